/* vs_slots.c - heavy-scan slots shared by every c-icap child, and the cap
 * on how many of them one client may hold or wait for (README "Heavy
 * scans"). State is OFD locks on bytes of one unlinked file opened in the
 * master before fork: the kernel drops them when the holder's descriptor
 * is closed, also when a child dies mid-scan, so no count can leak.
 * SECURITY: the client key is the end-user address the proxy sends
 * (X-Client-IP, else the ICAP peer: sk_txn_client_ip), client-controlled
 * where the proxy passes it on; it only picks a bucket through a keyed
 * hash, and a bucket's bytes are a fixed range of the file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <sekisho/net.h>
#include <sekisho/text.h>

#include "vs_internal.h"

#define SK_VS_SLOT_POLL_US 20000 /* between two tries of a waiter (< SK_VS_SLOT_YIELD_US) */

unsigned sk_vs_cap_resolve(unsigned asked, unsigned max_heavy)
{
    unsigned cap = asked ? asked : max_heavy / 2;

    if (cap < 1)
        cap = 1;
    return cap > max_heavy ? max_heavy : cap;
}

int sk_vs_slots_open(struct sk_vs_slots *s, const char *tmp_dir, unsigned max_heavy,
                     unsigned per_client, char **err)
{
    char path[4096];

    s->fd = -1;
    s->max_heavy = max_heavy;
    s->per_client = per_client;
    if (getrandom(s->key, sizeof(s->key), 0) != (ssize_t)sizeof(s->key)) {
        if (err &&
            asprintf(err, "cannot seed the heavy-scan client buckets: %s", strerror(errno)) == -1)
            *err = NULL;
        return -1;
    }
    snprintf(path, sizeof(path), "%s/sekisho-heavy.XXXXXX", tmp_dir);
    if ((s->fd = mkstemp(path)) == -1) {
        if (err && asprintf(err, "cannot create the heavy-scan lock file in %s: %s", tmp_dir,
                            strerror(errno)) == -1)
            *err = NULL;
        return -1;
    }
    unlink(path);
    return 0;
}

void sk_vs_slots_close(struct sk_vs_slots *s)
{
    if (s->fd != -1)
        close(s->fd);
    s->fd = -1;
}

unsigned sk_vs_slots_bucket(const struct sk_vs_slots *s, const char *client)
{
    unsigned char k[1 + 64];
    uint8_t a[16];
    size_t n;
    int family;

    if (!client)
        client = "";
    if (sk_ip_parse(client, strlen(client), &family, a) == 0) {
        /* IPv6 by its /64: one host picks any address in its prefix
         * (privacy addresses), so a cap per address would be none */
        n = family == 6 ? 8 : 4;
        k[0] = (unsigned char)family;
        memcpy(k + 1, a, n);
    } else { /* not an address (the proxy sent none, no peer): the text */
        n = strnlen(client, sizeof(k) - 1);
        k[0] = 0;
        memcpy(k + 1, client, n);
    }
    return (unsigned)(sk_siphash24(k, n + 1, s->key) % SK_VS_CAP_BUCKETS);
}

static int sk_vs_lock_byte(int fd, uint64_t off)
{
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = (off_t)off, .l_len = 1};

    return fcntl(fd, F_OFD_SETLK, &fl);
}

/* One of N bytes from FIRST locked through FD: 0, or -1 when all are held. */
static int sk_vs_lock_one(int fd, uint64_t first, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (sk_vs_lock_byte(fd, first + i) == 0)
            return 0;
    return -1;
}

void sk_vs_deadline(struct timespec *d, unsigned ms)
{
    clock_gettime(CLOCK_MONOTONIC, d);
    d->tv_sec += ms / 1000;
    d->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (d->tv_nsec >= 1000000000L)
        d->tv_sec++, d->tv_nsec -= 1000000000L;
}

int sk_vs_past(const struct timespec *d)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > d->tv_sec || (now.tv_sec == d->tv_sec && now.tv_nsec >= d->tv_nsec);
}

/* Bytes [0, max_heavy) are the node's slots; bucket b owns the per_client
 * bytes from max_heavy + b * per_client. Both are taken through one new
 * open file description (a /proc/self/fd reopen): each scanning thread
 * holds its own, and close() releases both at once. The client's byte
 * comes first, so a client over its cap waits without a slot. */
int sk_vs_slots_take(const struct sk_vs_slots *s, const char *client, unsigned wait_ms)
{
    uint64_t mine =
        (uint64_t)s->max_heavy + (uint64_t)sk_vs_slots_bucket(s, client) * s->per_client;
    struct timespec end;
    char path[64];
    int fd, waited = 0;

    snprintf(path, sizeof(path), "/proc/self/fd/%d", s->fd);
    if ((fd = open(path, O_RDWR | O_CLOEXEC)) == -1)
        return SK_VS_SLOT_NOGATE;
    sk_vs_deadline(&end, wait_ms);
    while (sk_vs_lock_one(fd, mine, s->per_client) == -1) {
        if (sk_vs_past(&end)) {
            close(fd);
            return SK_VS_SLOT_CAPPED;
        }
        waited = 1;
        usleep(SK_VS_SLOT_POLL_US);
    }
    /* It waited for its own cap: the slot that just freed was most likely
     * its own client's. Let the other clients' waiters (one try every
     * SK_VS_SLOT_POLL_US) see it first, or with one slot a flooding
     * client would win every other round. */
    if (waited)
        usleep(SK_VS_SLOT_YIELD_US);
    for (;;) {
        if (sk_vs_lock_one(fd, 0, s->max_heavy) == 0)
            return fd;
        if (sk_vs_past(&end))
            break;
        usleep(SK_VS_SLOT_POLL_US);
    }
    close(fd);
    return SK_VS_SLOT_BUSY;
}

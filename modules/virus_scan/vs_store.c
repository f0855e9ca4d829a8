/* vs_store.c - holds the bytes to scan: in memory up to a threshold, then
 * in a private spill file (mkstemp, 0600, in the server's 0700 temp dir,
 * unlinked at once so it disappears with the descriptor even if the child
 * dies). Memory per transaction never exceeds the threshold.
 * SECURITY: stores client bytes; never interprets them. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vs_internal.h"

/* Bodies past 64 KiB go straight into a buffer of the full threshold, and
 * those buffers are reused: glibc hands large blocks back to the kernel, so
 * a fresh 1 MiB per download cost 256 page faults and the zeroing of every
 * page, ~15% of the 1 MB scan rate. At most SK_VS_POOL_MAX buffers wait
 * here (4 MiB at the default threshold); thresholds over SK_VS_POOL_CAP are
 * not pooled. */
#define SK_VS_POOL_MAX 4
#define SK_VS_POOL_MIN (64u * 1024)
#define SK_VS_POOL_CAP (4u * 1024 * 1024)

static pthread_mutex_t sk_vs_pool_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char *sk_vs_pool[SK_VS_POOL_MAX];
static size_t sk_vs_pool_cap[SK_VS_POOL_MAX];
static int sk_vs_pool_n;

/* Do stores with this threshold use the pool? Only their full-threshold
 * buffers go there, so every pooled buffer has one of very few sizes. */
static int sk_vs_pooled(uint64_t threshold)
{
    return threshold > SK_VS_POOL_MIN && threshold <= SK_VS_POOL_CAP;
}

static unsigned char *sk_vs_pool_get(size_t cap)
{
    unsigned char *p = NULL;

    pthread_mutex_lock(&sk_vs_pool_lock);
    for (int i = 0; i < sk_vs_pool_n; i++) {
        if (sk_vs_pool_cap[i] == cap) {
            p = sk_vs_pool[i];
            sk_vs_pool_n--;
            sk_vs_pool[i] = sk_vs_pool[sk_vs_pool_n];
            sk_vs_pool_cap[i] = sk_vs_pool_cap[sk_vs_pool_n];
            break;
        }
    }
    pthread_mutex_unlock(&sk_vs_pool_lock);
    return p ? p : malloc(cap);
}

static void sk_vs_pool_put(unsigned char *p, size_t cap)
{
    if (p) {
        pthread_mutex_lock(&sk_vs_pool_lock);
        if (sk_vs_pool_n < SK_VS_POOL_MAX) {
            sk_vs_pool[sk_vs_pool_n] = p;
            sk_vs_pool_cap[sk_vs_pool_n++] = cap;
            p = NULL;
        }
        pthread_mutex_unlock(&sk_vs_pool_lock);
    }
    free(p);
}

void sk_vs_store_pool_drain(void)
{
    pthread_mutex_lock(&sk_vs_pool_lock);
    while (sk_vs_pool_n > 0)
        free(sk_vs_pool[--sk_vs_pool_n]);
    pthread_mutex_unlock(&sk_vs_pool_lock);
}

/* Gives back the memory buffer: to the pool if it is a full-threshold one. */
static void sk_vs_mem_release(struct sk_vs_store *s)
{
    if (s->cap == s->threshold && sk_vs_pooled(s->threshold))
        sk_vs_pool_put(s->mem, s->cap);
    else
        free(s->mem);
    s->mem = NULL;
    s->len = s->cap = 0;
}

void sk_vs_store_init(struct sk_vs_store *s, uint64_t threshold, const char *tmp_dir)
{
    memset(s, 0, sizeof(*s));
    s->fd = -1;
    s->threshold = threshold;
    s->tmp_dir = tmp_dir;
}

int sk_vs_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n == -1 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Move what is in memory to a fresh spill file. */
static int sk_vs_spill(struct sk_vs_store *s)
{
    char path[4096];
    int fd;

    if (snprintf(path, sizeof(path), "%s/sekisho-av.XXXXXX", s->tmp_dir) >= (int)sizeof(path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if ((fd = mkstemp(path)) == -1)
        return -1;
    unlink(path); /* gone with the descriptor: txn end, abort or crash */
    if (fchmod(fd, 0600) == -1 || sk_vs_write_all(fd, s->mem, s->len) == -1) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    sk_vs_mem_release(s);
    s->fd = fd;
    return 0;
}

int sk_vs_store_append(struct sk_vs_store *s, const void *buf, size_t len)
{
    if (len == 0)
        return 0;
    if (s->fd == -1 && s->len + len > s->threshold && sk_vs_spill(s) == -1)
        return -1;
    if (s->fd != -1) {
        if (sk_vs_write_all(s->fd, buf, len) == -1)
            return -1;
    } else {
        if (s->len + len > s->cap) {
            size_t cap = s->cap ? s->cap : 16384;
            while (cap < s->len + len)
                cap *= 2;
            int pooled = sk_vs_pooled(s->threshold);
            if (cap > s->threshold || (pooled && cap > SK_VS_POOL_MIN))
                cap = (size_t)s->threshold; /* pooled: one jump to a reusable buffer */
            unsigned char *m;
            if (pooled && cap == s->threshold) {
                if (!(m = sk_vs_pool_get(cap)))
                    return -1;
                if (s->len)
                    memcpy(m, s->mem, s->len);
                free(s->mem); /* a small one, never pooled */
            } else if (!(m = realloc(s->mem, cap))) {
                return -1;
            }
            s->mem = m;
            s->cap = cap;
        }
        memcpy(s->mem + s->len, buf, len);
        s->len += len;
    }
    s->total += len;
    return 0;
}

int sk_vs_store_view(struct sk_vs_store *s, const unsigned char **data, size_t *len)
{
    static const unsigned char empty[1];

    if (s->fd == -1) {
        *data = s->mem ? s->mem : empty;
        *len = s->len;
        return 0;
    }
    if (!s->map) {
        if (s->total == 0 || s->total > SIZE_MAX)
            return -1;
        void *m = mmap(NULL, (size_t)s->total, PROT_READ, MAP_PRIVATE, s->fd, 0);
        if (m == MAP_FAILED)
            return -1;
        s->map = m;
        s->map_len = (size_t)s->total;
    }
    *data = s->map;
    *len = s->map_len;
    return 0;
}

int sk_vs_store_read(void *store, int (*sink)(void *, const void *, size_t), void *arg)
{
    struct sk_vs_store *s = store;
    const size_t chunk = 256 * 1024;
    unsigned char *buf;
    uint64_t off = 0;
    int rc = 0;

    if (s->fd == -1)
        return s->len ? sink(arg, s->mem, s->len) : 0;
    if (!(buf = malloc(chunk)))
        return -1;
    while (off < s->total && rc == 0) {
        size_t want = s->total - off < chunk ? (size_t)(s->total - off) : chunk;
        ssize_t n = pread(s->fd, buf, want, (off_t)off);
        if (n == -1 && errno == EINTR)
            continue;
        if (n <= 0)
            rc = -1;
        else
            rc = sink(arg, buf, (size_t)n), off += (uint64_t)n;
    }
    free(buf);
    return rc;
}

void sk_vs_store_free(struct sk_vs_store *s)
{
    if (s->map)
        munmap(s->map, s->map_len);
    s->map = NULL;
    if (s->fd != -1)
        close(s->fd);
    s->fd = -1;
    sk_vs_mem_release(s);
}

/* vs_store.c - holds the bytes to scan: in memory up to a threshold, then
 * in a private spill file (mkstemp, 0600, in the server's 0700 temp dir,
 * unlinked at once so it disappears with the descriptor even if the child
 * dies). Memory per transaction never exceeds the threshold.
 * SECURITY: stores client bytes; never interprets them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vs_internal.h"

void sk_vs_store_init(struct sk_vs_store *s, uint64_t threshold, const char *tmp_dir)
{
    memset(s, 0, sizeof(*s));
    s->fd = -1;
    s->threshold = threshold;
    s->tmp_dir = tmp_dir;
}

static int sk_vs_write_all(int fd, const void *buf, size_t len)
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
    free(s->mem);
    s->mem = NULL;
    s->len = s->cap = 0;
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
            if (cap > s->threshold)
                cap = (size_t)s->threshold;
            unsigned char *m = realloc(s->mem, cap);
            if (!m)
                return -1;
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

void sk_vs_store_free(struct sk_vs_store *s)
{
    if (s->map)
        munmap(s->map, s->map_len);
    s->map = NULL;
    if (s->fd != -1)
        close(s->fd);
    s->fd = -1;
    free(s->mem);
    s->mem = NULL;
    s->len = s->cap = 0;
}

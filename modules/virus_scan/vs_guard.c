/* vs_guard.c - the decompression guard in front of libclamav: a gzip,
 * bzip2 or xz file (the body, or one libclamav extracted from an archive)
 * is checked by the core's guard (sekisho/decode.h, sk_decode_check)
 * before libclamav opens it, and a zip's entries by the core's zip walker
 * under the same guard (sk_zip_guard). libclamav decompresses such a file whole into
 * a temporary file, with no ratio check, before any limit of ours is
 * looked at: a 184-byte bzip2 of 200 MiB of zeros cost 3 s of CPU and one
 * of the node's heavy-scan slots (red team 6b, HEAVY-BOMB).
 * SECURITY: client bytes, read only; the check decodes into nothing and
 * stops at the guard's bound, so a bomb costs what its bound allows (with
 * the defaults 1 MiB + 100 x its size), milliseconds. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <sekisho/decode.h>

#include "vs_internal.h"

enum sk_coding sk_vs_guard_coding(const char *type)
{
    if (type == NULL)
        return 0;
    if (strcmp(type, "CL_TYPE_GZ") == 0)
        return SK_CODING_GZIP;
    if (strcmp(type, "CL_TYPE_BZ") == 0)
        return SK_CODING_BZIP2;
    if (strcmp(type, "CL_TYPE_XZ") == 0)
        return SK_CODING_XZ;
    return 0;
}

enum sk_vs_archive sk_vs_guard_archive(const char *type)
{
    if (type == NULL)
        return SK_VS_ARC_NONE;
    if (strcmp(type, "CL_TYPE_ZIP") == 0)
        return SK_VS_ARC_ZIP;
    if (strcmp(type, "CL_TYPE_7Z") == 0)
        return SK_VS_ARC_7Z;
    return SK_VS_ARC_NONE;
}

/* ---- zips: libclamav inflates each member whole into a temporary file
 * (deflate, and bzip2 of method 12) before its pre-scan callback or any
 * limit of ours sees the member; a 200 KB zip of 200 MiB of zeros cost
 * ~2 s of CPU. The core's zip walker decodes every entry into nothing
 * under the same guard (sk_zip_guard: each entry and the archive as a
 * whole) and stops at the bound. */

static int sk_vs_gz_begin(void *arg, const struct sk_zip_entry *e)
{
    (void)arg, (void)e;
    return 0; /* not read: the walker still decodes it to find its end */
}

static int sk_vs_gz_none(void *arg)
{
    (void)arg;
    return 0;
}

static int sk_vs_gz_data(void *arg, const void *buf, size_t len)
{
    (void)arg, (void)buf, (void)len;
    return 0; /* the directory and what follows the archive */
}

/* Is the zip P[0..N) a bomb under DL? A zip the walker cannot read to
 * the end is not one here: libclamav reads it within its own limits, and
 * the walk after the engine holds every entry it reads to the guard. */
int sk_vs_guard_zip(const unsigned char *p, size_t n, const struct sk_decode_limits *dl)
{
    struct sk_zip_handler h = {sk_vs_gz_begin, sk_vs_gz_data, sk_vs_gz_none,
                               sk_vs_gz_none,  NULL,          NULL};
    struct sk_zip *z = sk_zip_new(&h);
    int bomb;

    if (!z)
        return 0;
    sk_zip_guard(z, dl);
    if (sk_zip_write(z, p, n) == 0)
        sk_zip_end(z);
    bomb = sk_zip_stats(z)->bomb;
    sk_zip_free(z);
    return bomb != 0;
}

static const char *sk_vs_guard_name(enum sk_coding c)
{
    return c == SK_CODING_GZIP ? "a gzip" : c == SK_CODING_BZIP2 ? "a bzip2" : "an xz";
}

/* The object is a view into P[0..N) at an offset libclamav does not
 * tell (a cpio member read in place): each stream of its coding in
 * P is checked from where it starts, its input counted to P's end. */
static enum sk_decode_rc sk_vs_guard_each(enum sk_coding c, const unsigned char *p, size_t n,
                                          const struct sk_decode_limits *dl, size_t *at)
{
    enum sk_coding k;
    long i;

    for (size_t from = 0; (i = sk_stream_find(p, n, from, &k)) >= 0; from = (size_t)i + 1) {
        if (k == c && sk_decode_check(c, p + i, n - (size_t)i, dl, NULL) == SK_DECODE_LIMIT) {
            *at = (size_t)i;
            return SK_DECODE_LIMIT;
        }
    }
    return SK_DECODE_OK;
}

enum sk_vs_guard sk_vs_guard(const char *type, const unsigned char *p, size_t n, int fd,
                             uint64_t left, const struct sk_vs_limits *lim, char *why, size_t size)
{
    return sk_vs_guard_in(type, p, n, fd, 0, left, lim, why, size);
}

enum sk_vs_guard sk_vs_guard_in(const char *type, const unsigned char *p, size_t n, int fd,
                                int view, uint64_t left, const struct sk_vs_limits *lim, char *why,
                                size_t size)
{
    enum sk_coding c = sk_vs_guard_coding(type);
    enum sk_vs_archive arc = sk_vs_guard_archive(type);
    int zip = arc == SK_VS_ARC_ZIP, sz = arc == SK_VS_ARC_7Z;
    const struct sk_decode_limits dl = {
        .out_max = left, .ratio = lim->decode_ratio, .floor = lim->decode_floor};
    /* zips: the ratio only, av.max-scan-size is counted as libclamav
     * extracts (the members' sum is no bomb's sign) */
    const struct sk_decode_limits zl = {
        .out_max = UINT64_MAX, .ratio = lim->decode_ratio, .floor = lim->decode_floor};
    void *m = NULL;
    struct stat st;
    uint64_t out = 0;
    enum sk_decode_rc rc;

    if (c == 0 && !(zip && !view && lim->decode_ratio) && !(sz && !view))
        return SK_VS_GUARD_OK;
    if (p == NULL) {
        /* an object libclamav extracted into a temporary file of its own */
        if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0)
            return SK_VS_GUARD_OK;
        n = (size_t)st.st_size;
        if ((m = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED)
            return SK_VS_GUARD_OK; /* libclamav's own limits still apply */
        p = m;
    }
    if (zip || sz) {
        unsigned unread = 0;
        int bomb = zip ? sk_vs_guard_zip(p, n, &zl) : sk_7z_guard(p, n, &zl, &unread) == 1;
        if (m)
            munmap(m, n);
        if (!bomb && unread) {
            snprintf(why, size,
                     "a 7z archive of %zu bytes with %u folder(s) compressed by a method "
                     "libclamav does not decode (Deflate, Deflate64, Delta...): not scanned",
                     n, unread);
            return SK_VS_GUARD_UNREAD;
        }
        if (!bomb)
            return SK_VS_GUARD_OK;
        snprintf(why, size,
                 "%s of %zu bytes whose %s decompress beyond virus_scan.decode-max-ratio "
                 "(%llu:1 past decode-min-bytes, each and the archive): a decompression bomb",
                 zip ? "a zip" : "a 7z archive", n, zip ? "entries" : "folders (as declared)",
                 (unsigned long long)lim->decode_ratio);
        return SK_VS_GUARD_RATIO;
    }
    size_t at = 0;
    rc = view ? sk_vs_guard_each(c, p, n, &dl, &at) : sk_decode_check(c, p, n, &dl, &out);
    n -= at; /* the stream's input: from where it starts */
    if (m)
        munmap(m, n + at);
    if (rc != SK_DECODE_LIMIT)
        return SK_VS_GUARD_OK; /* corrupt: libclamav finds out itself, within the same bound */
    if (!sk_decode_by_ratio(&dl, n)) {
        snprintf(why, size,
                 "%s file of %zu bytes decompresses beyond av.max-scan-size (%llu bytes left)",
                 sk_vs_guard_name(c), n, (unsigned long long)left);
        return SK_VS_GUARD_SIZE;
    }
    snprintf(why, size,
             "%s file of %zu bytes decompresses beyond %llu bytes (virus_scan.decode-max-ratio "
             "%llu:1 past decode-min-bytes): a decompression bomb",
             sk_vs_guard_name(c), n, (unsigned long long)sk_decode_bound(&dl, n),
             (unsigned long long)lim->decode_ratio);
    return SK_VS_GUARD_RATIO;
}

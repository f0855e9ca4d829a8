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
#include <unistd.h>

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

/* A 7z read in place (VIEW: a self-extractor's archive after its program,
 * one after junk, a cpio member) at an offset libclamav does not tell:
 * each 7z signature in the ancestor P[0..N) is read by sk_7z_guard from
 * there (a signature that is no archive is nothing), its unread folders
 * added to *UNREAD; more than SK_VS_7Z_VIEWS candidates count as unread
 * (decoys cannot hide the archive after them). 1: one is a bomb. */
#define SK_VS_7Z_VIEWS 64
static int sk_vs_guard_7z_each(const unsigned char *p, size_t n, const struct sk_decode_limits *dl,
                               unsigned *unread)
{
    static const unsigned char sig[6] = {'7', 'z', 0xbc, 0xaf, 0x27, 0x1c};
    const unsigned char *q;
    unsigned seen = 0, u;

    for (size_t from = 0; from + 6 <= n && (q = memmem(p + from, n - from, sig, 6)) != NULL;
         from = (size_t)(q - p) + 1) {
        if (++seen > SK_VS_7Z_VIEWS) {
            *unread += 1;
            return 0;
        }
        if (sk_7z_guard(q, n - (size_t)(q - p), dl, &u) == 1)
            return 1;
        *unread += u;
    }
    return 0;
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

/* ARJ archives: libclamav's reader (unarj.c) skips a garbled (password
 * encrypted) member and one of a method it does not know (0-4 are ARJ's)
 * without a word, and calls the archive clean: EICAR in `arj a -g` came
 * through. The headers are walked as ARJ writes them (the main header,
 * then a file header and its compressed bytes each, an empty header at
 * the end); a walk that loses the chain stops (libclamav loses it too).
 * 1 garbled member found, 2 an unknown method, else 0. */
static int sk_vs_arj_unread(const unsigned char *p, size_t n)
{
    size_t at = 0;

    for (int first = 1; at + 4 <= n && p[at] == 0x60 && p[at + 1] == 0xea; first = 0) {
        size_t hs = (size_t)(p[at + 2] | p[at + 3] << 8);
        if (hs == 0 || hs > 2600 || hs < 20 || n - at - 4 < hs + 4)
            break; /* the end of the archive, or no header */
        const unsigned char *h = p + at + 4;
        uint32_t comp =
            (uint32_t)h[12] | (uint32_t)h[13] << 8 | (uint32_t)h[14] << 16 | (uint32_t)h[15] << 24;
        if (!first && (h[4] & 0x01))
            return 1;
        if (!first && h[5] > 4)
            return 2;
        at += 4 + hs + 4;
        for (;;) { /* extended headers: a size, its bytes and a CRC; 0 ends */
            if (n - at < 2)
                return 0;
            size_t es = (size_t)(p[at] | p[at + 1] << 8);
            at += 2;
            if (es == 0)
                break;
            if (n - at < es + 4)
                return 0;
            at += es + 4;
        }
        if (!first) {
            if (n - at < comp)
                return 0;
            at += comp;
        }
    }
    return 0;
}

/* Formats whose members nobody here reads, told by their bytes (the
 * object's first ones: P[0..N) or FD): the toolkit's list
 * (sk_container_unread: lzop, squashfs of zlib/lzma/lzo/lz4 blocks) and
 * ARJ archives with a member libclamav skips. Not OK: WHY says so. */
static enum sk_vs_guard sk_vs_guard_unread(const char *type, const unsigned char *p, size_t n,
                                           int fd, char *why, size_t size)
{
    unsigned char head[64];
    const char *what;
    void *m = NULL;
    struct stat st;
    int arj = type && strcmp(type, "CL_TYPE_ARJ") == 0;

    if (p == NULL) {
        ssize_t k = fd >= 0 ? pread(fd, head, sizeof(head), 0) : -1;
        if (k <= 0)
            return SK_VS_GUARD_OK;
        p = head, n = (size_t)k;
        if (arj && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
            (m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0)) != MAP_FAILED)
            p = m, n = (size_t)st.st_size;
        else
            m = NULL;
    }
    int a = arj ? sk_vs_arj_unread(p, n) : 0;
    if (m)
        munmap(m, n);
    if (a == 1) {
        snprintf(why, size, "an ARJ archive with a garbled (password-encrypted) member");
        return SK_VS_GUARD_ENCRYPTED;
    }
    if (a == 2) {
        snprintf(why, size,
                 "an ARJ archive with a member of a method libclamav does not decode: not "
                 "scanned");
        return SK_VS_GUARD_UNREAD;
    }
    if (!arj && (what = sk_container_unread(p, n)) != NULL) {
        snprintf(why, size, "%s, which neither libclamav nor Sekisho decodes: not scanned", what);
        return SK_VS_GUARD_UNREAD;
    }
    return SK_VS_GUARD_OK;
}

enum sk_vs_guard sk_vs_guard(const char *type, const unsigned char *p, size_t n, int fd,
                             uint64_t left, const struct sk_vs_limits *lim, char *why, size_t size)
{
    return sk_vs_guard_in(type, p, n, fd, 0, left, lim, why, size);
}

/* The 7z archives in P[0..N) - at its start or after a prefix, where
 * libclamav's 7zSFX signature finds one in any object and reads it in
 * place - each held to ZL; RATIO for a bomb, UNREAD for folders libclamav
 * does not decode, else OK. */
static enum sk_vs_guard sk_vs_guard_7z(const unsigned char *p, size_t n,
                                       const struct sk_decode_limits *zl, uint64_t ratio, char *why,
                                       size_t size)
{
    unsigned unread = 0;

    if (sk_vs_guard_7z_each(p, n, zl, &unread)) {
        snprintf(why, size,
                 "a 7z archive in %zu bytes whose folders (as declared) decompress beyond "
                 "virus_scan.decode-max-ratio (%llu:1 past decode-min-bytes, each and the "
                 "archive): a decompression bomb",
                 n, (unsigned long long)ratio);
        return SK_VS_GUARD_RATIO;
    }
    if (unread) {
        snprintf(why, size,
                 "a 7z archive in %zu bytes with %u folder(s) compressed by a method "
                 "libclamav does not decode (Deflate, Deflate64, Delta, the ARMT, PPC, "
                 "SPARC or IA64 filter...): not scanned",
                 n, unread);
        return SK_VS_GUARD_UNREAD;
    }
    return SK_VS_GUARD_OK;
}

enum sk_vs_guard sk_vs_guard_in(const char *type, const unsigned char *p, size_t n, int fd,
                                int view, uint64_t left, const struct sk_vs_limits *lim, char *why,
                                size_t size)
{
    enum sk_coding c = sk_vs_guard_coding(type);
    enum sk_vs_archive arc = sk_vs_guard_archive(type);
    /* a zip's entries (not one read in place: the walk's); 7z archives in
     * every object libclamav has in a file or in memory of its own, and in
     * the ancestor of a 7z it reads in place (a cpio member) */
    int zip = arc == SK_VS_ARC_ZIP && !view && lim->decode_ratio;
    int sz = !view || arc == SK_VS_ARC_7Z;
    const struct sk_decode_limits dl = {
        .out_max = left, .ratio = lim->decode_ratio, .floor = lim->decode_floor};
    /* archives: the ratio only, av.max-scan-size is counted as libclamav
     * extracts (the members' sum is no bomb's sign) */
    const struct sk_decode_limits zl = {
        .out_max = UINT64_MAX, .ratio = lim->decode_ratio, .floor = lim->decode_floor};
    void *m = NULL;
    struct stat st;
    uint64_t out = 0;
    enum sk_decode_rc rc;
    enum sk_vs_guard g;

    if (!view && (g = sk_vs_guard_unread(type, p, n, fd, why, size)) != SK_VS_GUARD_OK)
        return g;
    if (c == 0 && !zip && !sz)
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
    g = sz ? sk_vs_guard_7z(p, n, &zl, lim->decode_ratio, why, size) : SK_VS_GUARD_OK;
    if (g == SK_VS_GUARD_OK && zip && sk_vs_guard_zip(p, n, &zl)) {
        snprintf(why, size,
                 "a zip of %zu bytes whose entries decompress beyond virus_scan.decode-max-ratio "
                 "(%llu:1 past decode-min-bytes, each and the archive): a decompression bomb",
                 n, (unsigned long long)lim->decode_ratio);
        g = SK_VS_GUARD_RATIO;
    }
    if (g != SK_VS_GUARD_OK || c == 0) {
        if (m)
            munmap(m, n);
        return g;
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

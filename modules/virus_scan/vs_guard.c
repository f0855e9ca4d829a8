/* vs_guard.c - the decompression guard in front of libclamav: a gzip,
 * bzip2 or xz file (the body, or one libclamav extracted from an archive)
 * is checked by the core's guard (sekisho/decode.h, sk_decode_check)
 * before libclamav opens it, and a zip's entries by the core's zip walker
 * under the same guard (sk_zip_guard). libclamav decompresses such a file whole into
 * a temporary file, with no ratio check, before any limit of ours is
 * looked at: a 184-byte bzip2 of 200 MiB of zeros cost 3 s of CPU and one
 * of the node's heavy-scan slots (red team 6b, HEAVY-BOMB).
 * It also stops what libclamav would call clean unread (red team 8c): 7z
 * folders its reader does not decode, also in a 7z after a prefix (a
 * self-extractor), formats nobody decodes (lzop, squashfs of zlib
 * blocks), a garbled ARJ member; and ARJ, cab and LHA bombs by their
 * headers' declared sizes.
 * SECURITY: client bytes, read only; the check decodes into nothing and
 * stops at the guard's bound, so a bomb costs what its bound allows (with
 * the defaults 1 MiB + 100 x its size), milliseconds; header walks check
 * every size against the input's end. */
#include <stdio.h>
#include <stdlib.h>
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

/* Each 7z signature in P[0..N) - the object's start, or after a prefix:
 * a self-extractor's program, junk, a cpio or tar member, where
 * libclamav's 7zSFX signature finds it and reads it in place - read by
 * sk_7z_guard from there (a signature that is no archive is nothing), its
 * unread folders added to *UNREAD; more than SK_VS_7Z_VIEWS candidates
 * count as unread (decoys cannot hide the archive after them). 1: one is
 * a bomb. */
#define SK_VS_7Z_VIEWS 64
#define SK_VS_7Z_CHUNK (256u << 10)

/* The 7z at P + AT (N bytes in all): 1 a bomb, else its unread folders
 * added to *UNREAD; -1 past SK_VS_7Z_VIEWS candidates (unread). */
static int sk_vs_guard_7z_at(const unsigned char *p, size_t n, size_t at,
                             const struct sk_decode_limits *dl, unsigned *seen, unsigned *unread)
{
    unsigned u;

    if (++*seen > SK_VS_7Z_VIEWS) {
        *unread += 1;
        return -1;
    }
    if (sk_7z_guard(p + at, n - at, dl, &u) == 1)
        return 1;
    *unread += u;
    return 0;
}

static const unsigned char sk_vs_7z_sig[6] = {'7', 'z', 0xbc, 0xaf, 0x27, 0x1c};

size_t sk_vs_7z_next(const struct sk_magics *mg, const unsigned char *p, size_t n, size_t from)
{
    const unsigned char *q;

    if ((mg = sk_magics_for(mg, p, n)) != NULL) {
        /* the first four bytes are SK_MG_7Z's */
        for (size_t i = sk_magics_next(mg, from, SK_MG_7Z); i < mg->n;
             i = sk_magics_after(mg, i, SK_MG_7Z))
            if (n - mg->v[i].at >= 6 && memcmp(p + mg->v[i].at, sk_vs_7z_sig, 6) == 0)
                return mg->v[i].at;
        return SIZE_MAX;
    }
    if (from + 6 > n || !(q = memmem(p + from, n - from, sk_vs_7z_sig, 6)))
        return SIZE_MAX;
    return (size_t)(q - p);
}

static int sk_vs_guard_7z_each(const struct sk_magics *mg, const unsigned char *p, size_t n, int fd,
                               const struct sk_decode_limits *dl, unsigned *unread)
{
    const unsigned char *q;
    unsigned seen = 0;
    int r = 0;

    if (fd < 0) { /* in memory */
        for (size_t at = 0; r == 0 && (at = sk_vs_7z_next(mg, p, n, at)) != SIZE_MAX; at++)
            r = sk_vs_guard_7z_at(p, n, at, dl, &seen, unread);
        return r == 1;
    }
    /* P maps FD: searched through a small buffer, so that only the pages
     * an archive's headers are on join the process's resident set (a
     * 200 MB spilled body keeps ~10 MB of RSS: README "Bodies") */
    unsigned char *buf = malloc(SK_VS_7Z_CHUNK);
    if (!buf)
        return 0;
    for (size_t off = 0; r == 0 && off + 6 <= n; off += SK_VS_7Z_CHUNK - 5) {
        size_t want = n - off < SK_VS_7Z_CHUNK ? n - off : SK_VS_7Z_CHUNK;
        ssize_t got = pread(fd, buf, want, (off_t)off);
        if (got < 6)
            break;
        for (size_t from = 0; r == 0 && from + 6 <= (size_t)got &&
                              (q = memmem(buf + from, (size_t)got - from, sk_vs_7z_sig, 6));
             from = (size_t)(q - buf) + 1)
            r = sk_vs_guard_7z_at(p, n, off + (size_t)(q - buf), dl, &seen, unread);
        if ((size_t)got < want)
            break;
    }
    free(buf);
    return r == 1;
}

static const char *sk_vs_guard_name(enum sk_coding c)
{
    return c == SK_CODING_GZIP ? "a gzip" : c == SK_CODING_BZIP2 ? "a bzip2" : "an xz";
}

/* The object is a view into P[0..N) at an offset libclamav does not
 * tell (a cpio member read in place): each stream of its coding in
 * P is checked from where it starts, its input counted to P's end. */
static enum sk_decode_rc sk_vs_guard_each(const struct sk_magics *mg, enum sk_coding c,
                                          const unsigned char *p, size_t n,
                                          const struct sk_decode_limits *dl, size_t *at)
{
    enum sk_coding k;
    long i;

    for (size_t from = 0; (i = sk_stream_find_in(mg, p, n, from, &k)) >= 0; from = (size_t)i + 1) {
        if (k == c && sk_decode_check(c, p + i, n - (size_t)i, dl, NULL) == SK_DECODE_LIMIT) {
            *at = (size_t)i;
            return SK_DECODE_LIMIT;
        }
    }
    return SK_DECODE_OK;
}

/* ---- archives whose headers declare each member's unpacked size (ARJ,
 * cab, LHA): libclamav's readers decode a member whole into a temporary
 * file, to the size its header declares, before any limit of ours sees
 * it (200 MiB of zeros: 2.3 s of CPU in a 2 KB ARJ or a 350 KB cab, 3.2 s
 * in a 2 KB LHA, which then passed). As for 7z, the declared sizes are
 * held to the bound of the archive's bytes, from its headers alone. */

struct sk_vs_decl {
    uint64_t size; /* unpacked bytes the members declare, saturating */
    int garbled;   /* an encrypted member the reader skips unreported */
    int method;    /* a member of a method the reader does not know */
};

static uint32_t sk_vs_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void sk_vs_decl_add(struct sk_vs_decl *d, uint64_t v)
{
    d->size = d->size + v < d->size ? UINT64_MAX : d->size + v;
}

/* ARJ: the main header, then a file header and its compressed bytes each,
 * an empty header at the end; a walk that loses the chain stops (libclamav
 * loses it too). libclamav's unarj.c skips a garbled (password-encrypted)
 * member, and one of a method other than ARJ's 0-4, without a word and
 * calls the archive clean: EICAR in `arj a -g` came through. */
static void sk_vs_arj(const unsigned char *p, size_t n, struct sk_vs_decl *d)
{
    size_t at = 0;

    for (int first = 1; at + 4 <= n && p[at] == 0x60 && p[at + 1] == 0xea; first = 0) {
        size_t hs = (size_t)(p[at + 2] | p[at + 3] << 8);
        if (hs < 20 || hs > 2600 || n - at - 4 < hs + 4)
            return; /* the end of the archive (0), or no header */
        const unsigned char *h = p + at + 4;
        uint32_t comp = sk_vs_le32(h + 12);
        if (!first) {
            d->garbled |= h[4] & 0x01;
            d->method |= h[5] > 4;
            sk_vs_decl_add(d, sk_vs_le32(h + 16));
        }
        at += 4 + hs + 4;
        for (;;) { /* extended headers: a size, its bytes and a CRC; 0 ends */
            if (n - at < 2)
                return;
            size_t es = (size_t)(p[at] | p[at + 1] << 8);
            at += 2;
            if (es == 0)
                break;
            if (n - at < es + 4)
                return;
            at += es + 4;
        }
        if (!first) {
            if (n - at < comp)
                return;
            at += comp;
        }
    }
}

/* cab: CFFILE records (unpacked size, folder offset, folder, date, time,
 * attributes, a NUL-ended name) from the header's coffFiles, cFiles of
 * them. */
static void sk_vs_cab(const unsigned char *p, size_t n, struct sk_vs_decl *d)
{
    if (n < 36 || memcmp(p, "MSCF", 4) != 0)
        return;
    size_t at = sk_vs_le32(p + 16);
    unsigned files = (unsigned)(p[28] | p[29] << 8);
    for (unsigned i = 0; i < files && at < n && n - at > 16; i++) {
        const unsigned char *e = memchr(p + at + 16, 0, n - at - 16);
        if (!e)
            return;
        sk_vs_decl_add(d, sk_vs_le32(p + at));
        at = (size_t)(e - p) + 1;
    }
}

/* LHA: headers of level 0 and 1 (a size byte; the compressed size counts
 * level 1's extended headers) and 2 (a 16-bit total size), each followed
 * by its compressed bytes; the level is byte 20, the method "-lh?-" or
 * "-lz?-" bytes 2-6; a 0 size ends the archive. Returns the bytes the
 * chain of headers and members covers (0: P is no LHA header). */
static size_t sk_vs_lha(const unsigned char *p, size_t n, struct sk_vs_decl *d)
{
    size_t at = 0;

    while (at < n && n - at >= 22 && p[at + 2] == '-' && p[at + 3] == 'l' && p[at + 6] == '-') {
        const unsigned char *h = p + at;
        size_t hs = h[20] == 2 ? (size_t)(h[0] | h[1] << 8) : h[20] < 2 ? (size_t)h[0] + 2 : 0;
        if (hs < 22)
            break;
        sk_vs_decl_add(d, sk_vs_le32(h + 11));
        uint32_t comp = sk_vs_le32(h + 7);
        if (n - at < hs || n - at - hs < comp)
            break;
        at += hs + comp;
    }
    return at;
}

static void sk_vs_lha_decl(const unsigned char *p, size_t n, struct sk_vs_decl *d)
{
    (void)sk_vs_lha(p, n, d);
}

/* Is P a header LHA's readers accept (a known method, level 0-2; levels
 * 0 and 1 carry a checksum of their header bytes)? Strict: the walk looks
 * for LHA archives after a prefix (sk_vs_lha_inplace) in any object. */
static int sk_vs_lha_header(const unsigned char *p, size_t n)
{
    static const char *const methods[] = {"lh0", "lh1", "lh2", "lh3", "lh4", "lh5", "lh6",
                                          "lh7", "lhd", "lzs", "lz4", "lz5", NULL};
    int known = 0;

    if (n < 24 || p[2] != '-' || p[6] != '-' || p[20] > 2)
        return 0;
    for (int i = 0; methods[i]; i++)
        known |= memcmp(p + 3, methods[i], 3) == 0;
    if (!known)
        return 0;
    if (p[20] == 2) {
        size_t hs = (size_t)(p[0] | p[1] << 8);
        return hs >= 26 && hs <= n;
    }
    size_t hs = (size_t)p[0] + 2;
    unsigned sum = 0;
    if (p[0] < 20 || hs > n)
        return 0;
    for (size_t i = 2; i < hs; i++)
        sum += p[i];
    return (sum & 0xff) == p[1];
}

size_t sk_vs_lha_inplace(const struct sk_magics *mg, const unsigned char *p, size_t n, size_t from,
                         size_t *len)
{
    struct sk_vs_decl d = {0};

    if ((mg = sk_magics_for(mg, p, n)) != NULL) {
        /* the '-' of "-l??-" (SK_MG_LHA), as the search below finds it */
        for (size_t i = sk_magics_next(mg, from < 2 ? 2 : from, SK_MG_LHA); i < mg->n;
             i = sk_magics_after(mg, i, SK_MG_LHA)) {
            size_t at = mg->v[i].at;
            if (sk_vs_lha_header(p + at - 2, n - at + 2)) {
                *len = sk_vs_lha(p + at - 2, n - at + 2, &d);
                return at - 2;
            }
        }
        return SIZE_MAX;
    }
    for (size_t at = from < 2 ? 2 : from; at + 5 <= n;) {
        const unsigned char *q = memchr(p + at, '-', n - at - 4);
        if (!q)
            break;
        at = (size_t)(q - p);
        if (q[1] == 'l' && q[4] == '-' && sk_vs_lha_header(q - 2, n - at + 2)) {
            *len = sk_vs_lha(q - 2, n - at + 2, &d);
            return at - 2;
        }
        at++;
    }
    return SIZE_MAX;
}

size_t sk_vs_lha_extent(const unsigned char *p, size_t n)
{
    struct sk_vs_decl d = {0};

    return sk_vs_lha_header(p, n) ? sk_vs_lha(p, n, &d) : 0;
}

/* Is the object (P[0..N), or FD when P is NULL) an ISO 9660 image ("CD001"
 * in its first volume descriptor) holding a file compressed with zisofs
 * (mkisofs -z, bsdtar --options zisofs: each such file's data starts with
 * the zisofs magic)? libclamav reads such a file only as its compressed
 * bytes; bsdtar and the kernel decompress it. */
static int sk_vs_iso_zisofs(const unsigned char *p, size_t n, int fd)
{
    static const unsigned char zmagic[8] = {0x37, 0xe4, 0x53, 0x96, 0xc9, 0xdb, 0xd6, 0x07};
    unsigned char cd[5];
    struct stat st;
    int found = 0;

    if (p)
        return n >= 0x8006 && memcmp(p + 0x8001, "CD001", 5) == 0 && memmem(p, n, zmagic, 8);
    if (fd < 0 || pread(fd, cd, 5, 0x8001) != 5 || memcmp(cd, "CD001", 5) != 0 ||
        fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED)
        return 0;
    found = memmem(m, (size_t)st.st_size, zmagic, 8) != NULL;
    munmap(m, (size_t)st.st_size);
    return found;
}

/* Formats whose members nobody here reads, told by their bytes (the
 * object's first ones: P[0..N) or FD): the toolkit's list
 * (sk_container_unread: lzop, squashfs of zlib/lzma/lzo/lz4 blocks); an
 * ISO 9660 image with zisofs files (sk_vs_iso_zisofs); and
 * ARJ, cab and LHA archives (by TYPE) by their headers: a garbled ARJ
 * member (encrypted), one of an unknown method (unread), declared sizes
 * beyond ZL's bound (a bomb). Not OK: WHY says so. */
static enum sk_vs_guard sk_vs_guard_headers(const char *type, const unsigned char *p, size_t n,
                                            int fd, const struct sk_decode_limits *zl, char *why,
                                            size_t size)
{
    static const struct {
        const char *type, *name;
        void (*read)(const unsigned char *, size_t, struct sk_vs_decl *);
    } kinds[] = {{"CL_TYPE_ARJ", "an ARJ archive", sk_vs_arj},
                 {"CL_TYPE_MSCAB", "a cab archive", sk_vs_cab},
                 {"CL_TYPE_LHA_LZH", "an LHA archive", sk_vs_lha_decl}};
    unsigned char head[64];
    const char *what;
    void *m = NULL;
    struct stat st;
    size_t k = sizeof(kinds) / sizeof(kinds[0]);
    struct sk_vs_decl d = {0};

    if (sk_vs_iso_zisofs(p, n, fd)) {
        snprintf(why, size,
                 "an ISO 9660 image with zisofs-compressed files, which neither libclamav nor "
                 "Sekisho decodes: not scanned");
        return SK_VS_GUARD_UNREAD;
    }
    for (size_t i = 0; type && i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(type, kinds[i].type) == 0)
            k = i;
    if (p == NULL) {
        ssize_t r = fd >= 0 ? pread(fd, head, sizeof(head), 0) : -1;
        if (r <= 0)
            return SK_VS_GUARD_OK;
        p = head, n = (size_t)r;
        if (k < sizeof(kinds) / sizeof(kinds[0]) && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
            st.st_size > 0 &&
            (m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0)) != MAP_FAILED)
            p = m, n = (size_t)st.st_size;
        else
            m = NULL;
    }
    if (k == sizeof(kinds) / sizeof(kinds[0])) {
        if ((what = sk_container_unread(p, n)) == NULL)
            return SK_VS_GUARD_OK;
        snprintf(why, size, "%s, which neither libclamav nor Sekisho decodes: not scanned", what);
        return SK_VS_GUARD_UNREAD;
    }
    kinds[k].read(p, n, &d);
    if (m)
        munmap(m, n);
    if (d.garbled) {
        snprintf(why, size, "%s with a garbled (password-encrypted) member", kinds[k].name);
        return SK_VS_GUARD_ENCRYPTED;
    }
    if (d.method) {
        snprintf(why, size, "%s with a member of a method libclamav does not decode: not scanned",
                 kinds[k].name);
        return SK_VS_GUARD_UNREAD;
    }
    if (zl->ratio && d.size > sk_decode_bound(zl, n)) {
        snprintf(why, size,
                 "%s of %zu bytes whose members declare %llu bytes, beyond "
                 "virus_scan.decode-max-ratio (%llu:1 past decode-min-bytes): a decompression "
                 "bomb",
                 kinds[k].name, n, (unsigned long long)d.size, (unsigned long long)zl->ratio);
        return SK_VS_GUARD_RATIO;
    }
    return SK_VS_GUARD_OK;
}

enum sk_vs_guard sk_vs_guard(const char *type, const unsigned char *p, size_t n, int fd,
                             uint64_t left, const struct sk_vs_limits *lim, char *why, size_t size)
{
    return sk_vs_guard_in(type, p, n, fd, 0, left, lim, why, size);
}

/* The 7z archives in P[0..N) (a mapping of FD, or FD -1) - at its start
 * or after a prefix, where libclamav's 7zSFX signature finds one in any
 * object and reads it in place - each held to ZL; RATIO for a bomb,
 * UNREAD for folders libclamav does not decode, else OK. */
static enum sk_vs_guard sk_vs_guard_7z(const struct sk_magics *mg, const unsigned char *p, size_t n,
                                       int fd, const struct sk_decode_limits *zl, uint64_t ratio,
                                       char *why, size_t size)
{
    unsigned unread = 0;

    if (sk_vs_guard_7z_each(mg, p, n, fd, zl, &unread)) {
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
     * every object libclamav has in a file or in memory of its own (a view
     * is inside one of those, searched whole) */
    int zip = arc == SK_VS_ARC_ZIP && !view && lim->decode_ratio;
    int sz = !view;
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

    if (!view && (g = sk_vs_guard_headers(type, p, n, fd, &zl, why, size)) != SK_VS_GUARD_OK)
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
    /* the scan's buffer comes with its candidates (not a mapping of FD) */
    const struct sk_magics *mg = m ? NULL : lim->magics;
    g = sz ? sk_vs_guard_7z(mg, p, n, m ? fd : -1, &zl, lim->decode_ratio, why, size)
           : SK_VS_GUARD_OK;
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
    rc = view ? sk_vs_guard_each(mg, c, p, n, &dl, &at) : sk_decode_check(c, p, n, &dl, &out);
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

/* sk_container.c - zips found in an object (after a prefix too), and a
 * streaming zip walker (zip, docx/xlsx/pptx, odt, jar; ZIP64; data
 * descriptors) that
 * needs no central directory, so it reads archives libclamav will not
 * (it returns CLEAN for EICAR in a ZIP64 zip) and uploads still arriving.
 * SECURITY: client-controlled archives. Header sizes are never used to
 * allocate; names are sanitised before anyone sees them; every byte that
 * is not inside an entry the walker could read (central directory, comment,
 * bytes appended after the archive, the rest after an entry it cannot
 * delimit) goes to the "tail" object, so nothing is left uninspected.
 */
#include <stdlib.h>
#include <string.h>

#include "sekisho/decode.h"
#include "sk_util.h"

#define SK_ZIP_LOCAL 0x04034b50u
#define SK_ZIP_DESC  0x08074b50u
#define SK_ZIP_NAME  256
#define SK_ZIP_EXTRA 1024 /* extra-field bytes examined for ZIP64 sizes */

int sk_zip_local_plausible(const unsigned char *p, size_t n)
{
    static const unsigned methods[] = {0, 8, 9, 12, 14, 93, 95, 98, 99};
    unsigned method;
    size_t nlen, i;
    int known = 0;

    if (n < 30)
        return n >= 4 && memcmp(p, "PK\3\4", 4) != 0 ? 0 : -1;
    if (memcmp(p, "PK\3\4", 4) != 0 || p[4] > 63 || p[5] > 19)
        return 0;
    method = (unsigned)p[8] | (unsigned)p[9] << 8;
    for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        known |= method == methods[i];
    nlen = (size_t)p[26] | (size_t)p[27] << 8;
    if (!known || nlen == 0 || nlen > 1024)
        return 0;
    for (i = 0; i < nlen && 30 + i < n; i++)
        if (p[30 + i] < 0x20 || p[30 + i] == 0x7f)
            return 0;
    return 30 + nlen > n ? -1 : 1;
}

long sk_zip_find(const unsigned char *p, size_t n)
{
    const unsigned char *k = p, *end = p + n, *eocd = NULL;

    if (sk_container_sniff(p, n) == SK_CT_ZIP)
        return 0;
    /* the last archive end: a candidate needs one at or after its 30th
     * byte, so one search from the end serves every candidate */
    for (size_t i = n; i >= 4 && !eocd;) {
        const unsigned char *q = memrchr(p, 'P', i - 3);
        if (!q)
            break;
        if (!memcmp(q, "PK\5\6", 4))
            eocd = q;
        i = (size_t)(q - p) + 3;
    }
    while (eocd && eocd - k >= 30 && (k = memmem(k, (size_t)(eocd - k), "PK\3\4", 4)) != NULL &&
           eocd - k >= 30) {
        if (sk_zip_local_plausible(k, (size_t)(end - k)) == 1)
            return (long)(k - p);
        k++;
    }
    return -1;
}

long sk_zip_find_in(const struct sk_magics *m, const unsigned char *p, size_t n, size_t pos)
{
    size_t i, eocd;

    if (!(m = sk_magics_for(m, p, n)) || pos > n)
        return sk_zip_find(p + pos, n - pos);
    if (sk_container_sniff(p + pos, n - pos) == SK_CT_ZIP)
        return 0;
    /* the last archive end at POS or after, then the first plausible local
     * header at least 30 bytes before it, as sk_zip_find */
    for (i = m->n; i > 0 && !(m->v[i - 1].kinds & SK_MG_ZIP_END); i--)
        ;
    if (i == 0 || (eocd = m->v[i - 1].at) < pos)
        return -1;
    for (i = sk_magics_next(m, pos, SK_MG_ZIP_LOCAL); i < m->n && m->v[i].at + 30 <= eocd;
         i = sk_magics_after(m, i, SK_MG_ZIP_LOCAL))
        if (sk_zip_local_plausible(p + m->v[i].at, n - m->v[i].at) == 1)
            return (long)(m->v[i].at - pos);
    return -1;
}

#define SK_ZIP64_TAIL (65536 + 22 + 20 + 56 + 1024) /* comment, records, slack */

int sk_zip_has_zip64(const unsigned char *p, size_t n)
{
    const unsigned char *k;

    /* a ZIP64 end record sits in the archive's tail (before the locator
     * and the end record, after at most a 64 KiB comment), with its
     * locator after it: random bytes or a stored member's data hold that
     * pair by chance ~1 in 4e9 per 64 KiB, where "PK\6\6" alone anywhere
     * was ~1 in 400 for a 10 MB zip */
    const unsigned char *tail = n > SK_ZIP64_TAIL ? p + n - SK_ZIP64_TAIL : p;
    const unsigned char *rec = memmem(tail, n - (size_t)(tail - p), "PK\6\6", 4);
    if (rec && memmem(rec + 4, n - (size_t)(rec + 4 - p), "PK\6\7", 4))
        return 1;
    /* a local header whose 32-bit sizes say "see the ZIP64 extra field" */
    for (k = p; (k = memmem(k, n - (size_t)(k - p), "PK\3\4", 4)) != NULL; k++)
        if (n - (size_t)(k - p) >= 30 &&
            (!memcmp(k + 18, "\xff\xff\xff\xff", 4) || !memcmp(k + 22, "\xff\xff\xff\xff", 4)))
            return 1;
    return 0;
}

enum sk_zip_state {
    SK_ZS_HDR,   /* the 30-byte local header */
    SK_ZS_NAME,  /* file name */
    SK_ZS_EXTRA, /* extra field (ZIP64 sizes) */
    SK_ZS_STORED,
    SK_ZS_DEFLATE,
    SK_ZS_ZSTD,
    SK_ZS_ZSTD_NEXT, /* a zstd entry of unknown length after a frame: another frame? */
    SK_ZS_LZMA_HDR,  /* method 14: its own 4-byte header and the 5 properties bytes */
    SK_ZS_PACKED,    /* bzip2 (12), LZMA (14) or xz (95), of known length */
    SK_ZS_DROP,      /* the rest of an undecodable zstd (or packed) entry of known length */
    SK_ZS_LOST,      /* after an undecodable zstd entry of unknown length: nothing */
    SK_ZS_SKIP,      /* data of known length not read */
    SK_ZS_DESC,      /* data descriptor after an entry with flag bit 3 */
    SK_ZS_TAIL,      /* everything else: raw bytes to the tail object */
};

struct sk_zip {
    struct sk_zip_handler h;
    enum sk_zip_state state;
    unsigned char hdr[32];
    size_t nhdr;
    unsigned flags, method;
    uint64_t csize, usize, left;
    size_t nlen, xlen;
    unsigned char extra[SK_ZIP_EXTRA];
    size_t nextra;
    int zip64;
    char name[SK_ZIP_NAME];
    size_t nname;
    int reading;  /* this entry's data goes to the handler */
    int in_entry; /* begin returned 1 (or the tail began), end not yet */
    struct sk_inflate *inf;
    struct sk_unzstd *zs;  /* method 93 */
    int zs_known;          /* its compressed size is known (left counts it down) */
    struct sk_decoder *pk; /* methods 12, 14, 95: the toolkit's file decoders */
    uint64_t pos;          /* bytes consumed so far */
    uint64_t hdr_at;       /* where the current local header began */
    struct sk_zip_stats st;
    /* the decompression guard (sk_zip_guard) */
    int guarded;
    struct sk_decode_limits guard;
    uint64_t ein, eout; /* the entry: compressed bytes its decoder took, bytes out */
    uint64_t aout;      /* every entry's bytes out */
    uint64_t offer;     /* the slice the decoder has now (counted as taken) */
};

/* Compressed bytes a guarded decoder is given at once: the bound checked
 * while it decodes counts them as taken, so a slice allows ratio x 16 KiB
 * more output at most (1.6 MB with the defaults). */
#define SK_ZIP_SLICE (16u << 10)

struct sk_zip *sk_zip_new(const struct sk_zip_handler *h)
{
    struct sk_zip *z = calloc(1, sizeof(*z));

    if (z)
        z->h = *h;
    return z;
}

void sk_zip_free(struct sk_zip *z)
{
    if (z) {
        sk_inflate_free(z->inf);
        sk_unzstd_free(z->zs);
        sk_decoder_free(z->pk);
        free(z);
    }
}

void sk_zip_guard(struct sk_zip *z, const struct sk_decode_limits *lim)
{
    z->guarded = 1;
    z->guard = *lim;
}

/* States in which a decoder takes the entry's bytes. */
static int sk_zip_decoding(enum sk_zip_state s)
{
    return s == SK_ZS_DEFLATE || s == SK_ZS_ZSTD || s == SK_ZS_ZSTD_NEXT || s == SK_ZS_LZMA_HDR ||
           s == SK_ZS_PACKED;
}

/* Every decoder's output: counted against the guard, then the handler's
 * (when the entry is read) or nothing (an entry decoded to find its end). */
static int sk_zip_out(void *arg, const void *buf, size_t len)
{
    struct sk_zip *z = arg;

    z->eout += len;
    z->aout += len;
    if (z->guarded && z->eout > sk_decode_bound(&z->guard, z->ein + z->offer)) {
        z->st.bomb = 1;
        return -1;
    }
    if (z->guarded && z->aout > sk_decode_bound(&z->guard, z->pos + z->offer)) {
        z->st.bomb = 2;
        return -1;
    }
    return z->reading && len ? z->h.data(z->h.arg, buf, len) : 0;
}

const struct sk_zip_stats *sk_zip_stats(const struct sk_zip *z)
{
    return &z->st;
}

static int sk_zip_raw(struct sk_zip *z, const void *p, size_t n)
{
    return z->h.raw && n ? z->h.raw(z->h.arg, p, n) : 0;
}

static int sk_zip_end_entry(struct sk_zip *z)
{
    int rc = 0;

    if (z->in_entry)
        rc = z->h.end(z->h.arg);
    z->in_entry = z->reading = 0;
    return rc;
}

/* From here on every byte is raw tail data; BUF holds what was buffered. */
static int sk_zip_to_tail(struct sk_zip *z, const unsigned char *buf, size_t n)
{
    if (sk_zip_end_entry(z) == -1 || z->h.tail_begin(z->h.arg) == -1)
        return -1;
    z->state = SK_ZS_TAIL;
    z->in_entry = z->reading = 1; /* sk_zip_end closes the tail */
    z->st.tail_bytes += n;
    return n ? z->h.data(z->h.arg, buf, n) : 0;
}

/* ZIP64 extended information (header 0x0001) in the extra field X: the
 * 8-byte values that replace 0xffffffff, in this order - uncompressed
 * size, compressed size, and (in a directory record) the local header's
 * offset; OFF NULL for a local header. 1 when the field is there. */
static int sk_zip64_fields(const unsigned char *x, size_t xn, uint64_t *usize, uint64_t *csize,
                           uint64_t *off)
{
    for (size_t i = 0; i + 4 <= xn;) {
        unsigned id = (unsigned)sk_le(x + i, 2), len = (unsigned)sk_le(x + i + 2, 2);
        const unsigned char *d = x + i + 4;
        size_t k = 0;
        if (i + 4 + len > xn)
            return 0;
        if (id != 1) {
            i += 4 + len;
            continue;
        }
        uint64_t *v[3] = {usize, csize, off};
        for (int j = 0; j < 3; j++)
            if (v[j] && *v[j] == 0xffffffffu && k + 8 <= len)
                *v[j] = sk_le(d + k, 8), k += 8;
        return 1;
    }
    return 0;
}

static void sk_zip_extra64(struct sk_zip *z)
{
    if (sk_zip64_fields(z->extra, z->nextra, &z->usize, &z->csize, NULL)) {
        z->zip64 = 1;
        z->st.zip64++;
    }
}

static int sk_zip_after_data(struct sk_zip *z);
static size_t sk_zip_fill(struct sk_zip *z, size_t want, const unsigned char *p, size_t n);

/* Methods 12 (bzip2), 14 (LZMA) and 95 (xz), as 7-Zip and Info-ZIP write
 * them, are read by the toolkit's file decoders when the entry's
 * compressed size is known; with flag bit 3 and no size nothing delimits
 * them, so they stay unsupported (libclamav 1.4 reads only bzip2). */
static int sk_zip_packed_method(unsigned m)
{
    return m == 12 || m == 14 || m == 95;
}

static int sk_zip_packed_start(struct sk_zip *z, enum sk_coding c)
{
    /* no bound here: the handler's data callback charges every byte */
    static const struct sk_decode_limits lim = {.out_max = UINT64_MAX};
    struct sk_coding_chain ch = {.c = {c}, .n = 1};

    sk_decoder_free(z->pk);
    if (!(z->pk = sk_decoder_new(&ch, &lim)))
        return -1;
    z->state = SK_ZS_PACKED;
    return 0;
}

/* After a packed entry's bytes so far: the next header once they are all
 * in. */
static int sk_zip_packed_next(struct sk_zip *z)
{
    if (z->left > 0)
        return 0;
    sk_decoder_free(z->pk);
    z->pk = NULL;
    return sk_zip_after_data(z);
}

static int sk_zip_packed_bad(struct sk_zip *z)
{
    z->st.corrupt = 1;
    z->st.undecoded++;
    z->state = SK_ZS_DROP;
    return sk_zip_packed_next(z);
}

/* N compressed bytes of a packed entry (already counted off z->left); the
 * last ones (left 0) end the stream. An entry that does not decode counts
 * as undecoded, like a zstd one (the caller fails closed), and the rest
 * of its bytes is dropped. Returns 0, or -1 (stopped). */
static int sk_zip_packed_feed(struct sk_zip *z, const unsigned char *p, size_t n)
{
    enum sk_decode_rc rc = sk_decoder_feed(z->pk, p, n, z->left == 0, sk_zip_out, z);

    if (rc == SK_DECODE_FAIL)
        return -1;
    return rc == SK_DECODE_OK ? sk_zip_packed_next(z) : sk_zip_packed_bad(z);
}

/* Method 14's data starts with the LZMA SDK version (2 bytes), the size of
 * the properties (2 bytes, 5) and the properties; the stream that follows
 * has no size of its own: it is the legacy .lzma format without its
 * 13-byte header, which is rebuilt here (properties, then the entry's
 * size, or "unknown" when flag bit 1 says an end marker ends it). */
static long sk_zip_lzma_hdr(struct sk_zip *z, const unsigned char *p, size_t n)
{
    size_t want = 9 - z->nhdr < z->left ? 9 - z->nhdr : (size_t)z->left;
    size_t take = sk_zip_fill(z, z->nhdr + want, p, n);
    unsigned char alone[13];
    uint64_t size = (z->flags & 2) ? UINT64_MAX : z->usize;

    z->left -= take;
    if (z->nhdr < 9 && z->left > 0)
        return (long)take;
    z->state = SK_ZS_PACKED;
    if (z->nhdr < 9 || sk_le(z->hdr + 2, 2) != 5) /* cut, or no LZMA properties */
        return sk_zip_packed_bad(z) == -1 ? -1 : (long)take;
    memcpy(alone, z->hdr + 4, 5);
    for (int i = 0; i < 8; i++)
        alone[5 + i] = (unsigned char)(size >> (8 * i));
    z->nhdr = 0;
    return sk_zip_packed_feed(z, alone, sizeof(alone)) == -1 ? -1 : (long)take;
}

static long sk_zip_packed(struct sk_zip *z, const unsigned char *p, size_t n)
{
    size_t take = z->left < n ? (size_t)z->left : n;

    z->left -= take;
    return sk_zip_packed_feed(z, p, take) == -1 ? -1 : (long)take;
}

/* Name and extra are in: tell the handler, choose how to read the data. */
static int sk_zip_data(struct sk_zip *z)
{
    struct sk_zip_entry e = {.name = z->name, .offset = z->hdr_at, .method = z->method};
    int known, want;

    z->name[z->nname] = '\0';
    sk_zip_extra64(z);
    known = !(z->flags & 8) && z->csize != 0xffffffffu;
    e.sized = known;
    e.csize = z->csize;
    e.encrypted = (z->flags & 1) != 0;
    e.unsupported = z->method != 0 && z->method != 8 && z->method != 93 &&
                    !(sk_zip_packed_method(z->method) && known);
    z->st.entries++;
    z->ein = z->eout = 0;
    z->st.encrypted += e.encrypted;
    z->st.unsupported += e.unsupported && !e.encrypted;
    if ((want = z->h.begin(z->h.arg, &e)) == -1)
        return -1;
    z->in_entry = want == 1; /* end is called for every begin that said 1 */
    z->reading = want == 1 && !e.encrypted && !e.unsupported;
    z->left = z->csize;
    if (e.encrypted || e.unsupported || z->method == 0) {
        if (known) {
            z->state = z->reading ? SK_ZS_STORED : SK_ZS_SKIP;
            return 0;
        }
        /* no length to skip by: the rest is inspected as raw bytes */
        z->st.lost_sync = 1;
        return sk_zip_to_tail(z, NULL, 0);
    }
    if (sk_zip_packed_method(z->method)) {
        if (sk_zip_packed_start(z, z->method == 12   ? SK_CODING_BZIP2
                                   : z->method == 14 ? SK_CODING_LZMA
                                                     : SK_CODING_XZ) == -1)
            return -1;
        if (z->left == 0) /* no stream is 0 bytes long */
            return sk_zip_packed_bad(z);
        if (z->method == 14) { /* LZMA: its own header first */
            z->nhdr = 0;
            z->state = SK_ZS_LZMA_HDR;
        }
        return 0;
    }
    if (z->method == 93) { /* Zstandard (APPNOTE 4.4.5): one frame */
        if (!z->zs && !(z->zs = sk_unzstd_new()))
            return -1;
        sk_unzstd_reset(z->zs);
        z->zs_known = known;
        z->state = SK_ZS_ZSTD;
        return 0;
    }
    if (!z->inf && !(z->inf = sk_inflate_new(SK_Z_RAW)))
        return -1;
    sk_inflate_reset(z->inf, SK_Z_RAW);
    z->state = SK_ZS_DEFLATE;
    return 0;
}

static int sk_zip_after_data(struct sk_zip *z)
{
    int rc = sk_zip_end_entry(z);

    z->nhdr = 0;
    z->state = (z->flags & 8) ? SK_ZS_DESC : SK_ZS_HDR;
    return rc;
}

static int sk_zip_header(struct sk_zip *z)
{
    z->flags = (unsigned)sk_le(z->hdr + 6, 2);
    z->method = (unsigned)sk_le(z->hdr + 8, 2);
    z->csize = sk_le(z->hdr + 18, 4);
    z->usize = sk_le(z->hdr + 22, 4);
    z->nlen = (size_t)sk_le(z->hdr + 26, 2);
    z->xlen = (size_t)sk_le(z->hdr + 28, 2);
    z->nname = z->nextra = 0;
    z->zip64 = 0;
    z->state = SK_ZS_NAME;
    if (z->nlen == 0 && z->xlen == 0)
        return sk_zip_data(z);
    return 0;
}

static long sk_zip_deflate(struct sk_zip *z, const unsigned char *p, size_t n)
{
    size_t used;
    int rc = sk_inflate_feed(z->inf, p, n, &used, sk_zip_out, z);

    if (rc == -2)
        return -1;
    if (rc == 1 && sk_zip_after_data(z) == -1)
        return -1;
    if (rc == -1) { /* corrupt entry: no way to resynchronise */
        z->st.corrupt = 1;
        return sk_zip_to_tail(z, p + used, n - used) == -1 ? -1 : (long)n;
    }
    return (long)used;
}

/* A zstd entry that does not decode: it counts as undecoded (libclamav
 * does not read zstd entries, so the caller must not take the archive as
 * read). libzstd has taken more of the input than the error needed, and
 * how much depends on how the writes were cut; so the rest of the entry
 * is dropped, not passed on, and the walk goes on after it when its
 * length is known; else nothing after it is walked (lost_sync). The
 * caller's failure verdict covers both; the body as a whole was still
 * given to the engine. */
static void sk_zip_zstd_bad(struct sk_zip *z)
{
    z->st.corrupt = 1;
    z->st.undecoded++;
    if (!z->zs_known)
        z->st.lost_sync = 1;
    z->state = z->zs_known ? SK_ZS_DROP : SK_ZS_LOST;
}

/* A zstd entry: frame after frame, as an extractor decodes it - up to its
 * compressed size when the header gives it (a frame that runs past it is
 * cut: undecoded), else until what follows a frame is no frame (the data
 * descriptor, the next header). */
static long sk_zip_zstd(struct sk_zip *z, const unsigned char *p, size_t n)
{
    size_t used, take = z->zs_known && z->left < n ? (size_t)z->left : n;
    int rc = sk_unzstd_feed(z->zs, p, take, &used, sk_zip_out, z);

    if (z->zs_known)
        z->left -= used;
    if (rc == -2)
        return -1;
    if (rc == -1)
        sk_zip_zstd_bad(z);
    else if (rc == 1 && !z->zs_known) {
        z->nhdr = 0;
        z->state = SK_ZS_ZSTD_NEXT;
    } else if (z->zs_known && z->left == 0) {
        if (rc != 1) /* the entry's bytes ended inside a frame */
            sk_zip_zstd_bad(z);
        else if (sk_zip_after_data(z) == -1)
            return -1;
    }
    return (long)used;
}

static size_t sk_zip_fill(struct sk_zip *z, size_t want, const unsigned char *p, size_t n)
{
    size_t take = want - z->nhdr < n ? want - z->nhdr : n;

    memcpy(z->hdr + z->nhdr, p, take);
    z->nhdr += take;
    return take;
}

/* After a frame of a zstd entry of unknown length: four bytes decide. A
 * frame (or skippable frame) goes on in the entry; anything else ended it
 * and begins the data descriptor. */
static long sk_zip_zstd_next(struct sk_zip *z, const unsigned char *p, size_t n)
{
    size_t take = sk_zip_fill(z, 4, p, n);
    unsigned char h[4];

    if (z->nhdr < 4)
        return (long)take;
    if (sk_container_sniff(z->hdr, 4) != SK_CT_ZSTD) {
        /* the entry ended: the four bytes in hdr begin its descriptor */
        if (sk_zip_end_entry(z) == -1)
            return -1;
        z->state = (z->flags & 8) ? SK_ZS_DESC : SK_ZS_HDR;
        return (long)take;
    }
    memcpy(h, z->hdr, 4); /* the entry goes on; hdr is free again */
    z->nhdr = 0;
    z->state = SK_ZS_ZSTD;
    return sk_zip_zstd(z, h, 4) == -1 ? -1 : (long)take;
}

/* Data descriptor: [signature] crc32, sizes (4+4, or 8+8 for ZIP64).
 * DESC holds 24 bytes (or what the body had); the rest is given back. */
static int sk_zip_desc(struct sk_zip *z)
{
    size_t off = sk_le(z->hdr, 4) == SK_ZIP_DESC ? 4 : 0;
    size_t len = off + 4 + (z->zip64 ? 16 : 8);

    if (len > z->nhdr)
        len = z->nhdr;
    if (sk_zip_raw(z, z->hdr, len) == -1)
        return -1;
    memmove(z->hdr, z->hdr + len, z->nhdr - len);
    z->nhdr -= len;
    z->state = SK_ZS_HDR;
    return 0;
}

/* One step of the walk; returns bytes of P consumed, or -1. */
static long sk_zip_step(struct sk_zip *z, const unsigned char *p, size_t n)
{
    size_t take;

    switch (z->state) {
    case SK_ZS_HDR:
        take = sk_zip_fill(z, z->nhdr < 4 ? 4 : 30, p, n);
        if (z->nhdr >= 4 && sk_le(z->hdr, 4) != SK_ZIP_LOCAL) /* central directory, or not zip */
            return sk_zip_to_tail(z, z->hdr, z->nhdr) == -1 ? -1 : (long)take;
        z->hdr_at = z->pos + take - z->nhdr; /* HDR holds the header's first bytes */
        if (z->nhdr == 30 && (sk_zip_raw(z, z->hdr, 30) == -1 || sk_zip_header(z) == -1))
            return -1;
        return (long)take;
    case SK_ZS_NAME:
        take = z->nlen < n ? z->nlen : n;
        if (sk_zip_raw(z, p, take) == -1)
            return -1;
        for (size_t i = 0; i < take; i++)
            if (z->nname + 1 < SK_ZIP_NAME)
                z->name[z->nname++] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
        z->nlen -= take;
        if (z->nlen == 0)
            z->state = SK_ZS_EXTRA;
        if (z->nlen == 0 && z->xlen == 0 && sk_zip_data(z) == -1)
            return -1;
        return (long)take;
    case SK_ZS_EXTRA:
        take = z->xlen < n ? z->xlen : n;
        if (sk_zip_raw(z, p, take) == -1)
            return -1;
        for (size_t i = 0; i < take && z->nextra < SK_ZIP_EXTRA; i++)
            z->extra[z->nextra++] = p[i];
        z->xlen -= take;
        if (z->xlen == 0 && sk_zip_data(z) == -1)
            return -1;
        return (long)take;
    case SK_ZS_STORED:
    case SK_ZS_SKIP:
        take = z->left < n ? (size_t)z->left : n;
        if (z->state == SK_ZS_STORED && take && z->h.data(z->h.arg, p, take) == -1)
            return -1;
        z->aout += z->state == SK_ZS_STORED ? take : 0;
        if (z->state == SK_ZS_SKIP && sk_zip_raw(z, p, take) == -1)
            return -1;
        z->left -= take;
        if (z->left == 0 && sk_zip_after_data(z) == -1)
            return -1;
        return (long)take;
    case SK_ZS_DEFLATE:
        return sk_zip_deflate(z, p, n);
    case SK_ZS_ZSTD:
        return sk_zip_zstd(z, p, n);
    case SK_ZS_ZSTD_NEXT:
        return sk_zip_zstd_next(z, p, n);
    case SK_ZS_LZMA_HDR:
        return sk_zip_lzma_hdr(z, p, n);
    case SK_ZS_PACKED:
        return sk_zip_packed(z, p, n);
    case SK_ZS_DROP:
        take = z->left < n ? (size_t)z->left : n;
        z->left -= take;
        if (z->left == 0 && sk_zip_after_data(z) == -1)
            return -1;
        return (long)take;
    case SK_ZS_LOST:
        return (long)n;
    case SK_ZS_DESC:
        take = sk_zip_fill(z, 24, p, n);
        if (z->nhdr == 24 && sk_zip_desc(z) == -1)
            return -1;
        return (long)take;
    case SK_ZS_TAIL:
        z->st.tail_bytes += n;
        return z->h.data(z->h.arg, p, n) == -1 ? -1 : (long)n;
    }
    return -1;
}

int sk_zip_write(struct sk_zip *z, const void *buf, size_t len)
{
    const unsigned char *p = buf;

    while (len > 0) {
        int dec = sk_zip_decoding(z->state);
        size_t give = dec && z->guarded && len > SK_ZIP_SLICE ? SK_ZIP_SLICE : len;
        z->offer = dec ? give : 0;
        long used = sk_zip_step(z, p, give);
        z->offer = 0;
        if (used < 0)
            return -1;
        p += used, len -= (size_t)used;
        z->pos += (uint64_t)used;
        z->ein += dec ? (uint64_t)used : 0;
        /* a step that consumed nothing must have changed state (DESC gives
         * bytes back to HDR); process what it gave back */
        if (used == 0 && (z->state == SK_ZS_DEFLATE || z->state == SK_ZS_ZSTD))
            break;
    }
    return 0;
}

int sk_zip_end(struct sk_zip *z)
{
    if (z->state == SK_ZS_DESC && z->nhdr > 0 && sk_zip_desc(z) == -1)
        return -1;
    if ((z->state == SK_ZS_HDR || z->state == SK_ZS_ZSTD_NEXT) && z->nhdr > 0) {
        if (sk_zip_to_tail(z, z->hdr, z->nhdr) == -1)
            return -1;
    } else if (z->state != SK_ZS_HDR && z->state != SK_ZS_TAIL && z->state != SK_ZS_DESC &&
               z->state != SK_ZS_ZSTD_NEXT && z->state != SK_ZS_LOST) {
        z->st.corrupt = 1; /* the body ended inside an entry */
        z->st.undecoded +=
            z->state == SK_ZS_ZSTD || z->state == SK_ZS_LZMA_HDR || z->state == SK_ZS_PACKED;
    }
    return sk_zip_end_entry(z);
}

/* ---- the central directory ---------------------------------------------- */

#define SK_ZIP_EOCD_SPAN (65535 + 22) /* the end record and the longest comment */

/* One reading of where the directory is: its records in P[cd, at), its
 * offsets shifted by CONCAT. */
struct sk_zip_cd_at {
    uint64_t cd, at, concat, entries;
};

/* The end record at E (the archive ends P, whose first byte is BASE) read
 * as an extractor reads it: its own fields, or the ZIP64 end record before
 * its locator - always when both are there (Python's zipfile), only when
 * the end record's fields say "see ZIP64" (Java, Info-ZIP: ZIP64) -
 * into *D. 0; -2 when the directory cannot be where it says (that
 * extractor reads nothing); -4 when it may lie before the window. */
static int sk_zip_cd_locate(const unsigned char *p, const unsigned char *e, uint64_t base,
                            int always64, struct sk_zip_cd_at *d)
{
    uint64_t at = (uint64_t)(e - p), cd_size = sk_le(e + 12, 4), cd_off = sk_le(e + 16, 4);
    int magic = sk_le(e + 10, 2) == 0xffff || cd_size == 0xffffffffu || cd_off == 0xffffffffu;

    d->entries = sk_le(e + 10, 2);
    if (at < 20 && base > 0)
        return -4; /* a ZIP64 locator may be before the window */
    if (always64 && at < 20 + 56 && base > 0 && memcmp(e - 20, "PK\6\7", 4) == 0)
        return -4; /* ... or its record */
    /* zipfile ignores a locator without its record right before it */
    if (at >= 20 + 56 && memcmp(e - 20, "PK\6\7", 4) == 0 &&
        memcmp(e - 20 - 56, "PK\6\6", 4) == 0 && (always64 || magic)) {
        const unsigned char *r = e - 20 - 56;
        d->entries = sk_le(r + 32, 8);
        cd_size = sk_le(r + 40, 8);
        cd_off = sk_le(r + 48, 8);
        at -= 20 + 56;
    } else if (at < 20 + 56 && base > 0 && magic) {
        return -4;
    }
    /* the directory ends where the end records begin (in a window that
     * does not start the object, it may begin before it - unless it would
     * begin before the object: zipfile's "bad offset", a forged end record
     * in a comment) */
    if (cd_size > at)
        return base > 0 && cd_size - at <= base ? -4 : -2;
    d->at = at;
    d->cd = at - cd_size; /* in P */
    /* a stub before the archive shifts every offset (cd_off was written
     * as if the archive began the object); zipfile takes a negative shift
     * too, and a record whose header is then not in P is one no extractor
     * reads */
    d->concat = d->cd + base - cd_off; /* modulo 2^64 */
    return 0;
}

static long sk_zip_cd_records(const unsigned char *p, const struct sk_zip_cd_at *d,
                              int (*each)(void *arg, const struct sk_zip_cd_entry *), void *arg)
{
    long count = 0;

    for (uint64_t i = d->cd; i < d->at; count++) {
        struct sk_zip_cd_entry e;
        const unsigned char *r = p + i;
        if (d->at - i < 46 || memcmp(r, "PK\1\2", 4) != 0)
            return count == 0 && d->entries > 0 ? -2 : count;
        size_t nl = (size_t)sk_le(r + 28, 2), xl = (size_t)sk_le(r + 30, 2),
               cl = (size_t)sk_le(r + 32, 2);
        e.flags = (unsigned)sk_le(r + 8, 2);
        e.method = (unsigned)sk_le(r + 10, 2);
        e.csize = sk_le(r + 20, 4);
        e.usize = sk_le(r + 24, 4);
        e.local = sk_le(r + 42, 4);
        if (46 + nl + xl > d->at - i)
            return -2;
        sk_zip64_fields(r + 46 + nl, xl, &e.usize, &e.csize, &e.local);
        e.local += d->concat;
        if (each(arg, &e) == -1)
            return -3;
        i += 46 + nl + xl + cl;
    }
    return count;
}

long sk_zip_cd_each(const unsigned char *p, size_t n, uint64_t base,
                    int (*each)(void *arg, const struct sk_zip_cd_entry *), void *arg)
{
    const unsigned char *from = n > SK_ZIP_EOCD_SPAN ? p + n - SK_ZIP_EOCD_SPAN : p;
    const unsigned char *last = NULL, *exact = NULL;
    struct sk_zip_cd_at d[2];
    int rc[2] = {-1, -1};
    long total = 0, r;

    /* zipfile takes the last end record; Java and Info-ZIP the last one
     * whose comment reaches the end of the file (a forged one inside a
     * comment does not) */
    for (const unsigned char *k = from; n >= 22 && k + 22 <= p + n; k++) {
        k = memmem(k, (size_t)(p + n - k), "PK\5\6", 4);
        if (!k || k + 22 > p + n)
            break;
        last = k;
        if ((size_t)(p + n - k) == 22 + sk_le(k + 20, 2))
            exact = k;
    }
    if (!last)
        return -1;
    rc[0] = sk_zip_cd_locate(p, last, base, 1, &d[0]);
    if (exact)
        rc[1] = sk_zip_cd_locate(p, exact, base, 0, &d[1]);
    /* the same directory both ways is read once */
    if (rc[0] == 0 && rc[1] == 0 && d[0].cd == d[1].cd && d[0].at == d[1].at &&
        d[0].concat == d[1].concat)
        rc[1] = -1;
    /* a reading whose directory may lie before the window cannot be
     * checked: neither can the archive */
    if (rc[0] == -4 || rc[1] == -4)
        return -2;
    int read = 0, unreadable = 0;
    for (int k = 0; k < 2; k++) {
        if (rc[k] == -1)
            continue;
        if (rc[k] == -2 || (r = sk_zip_cd_records(p, &d[k], each, arg)) == -2) {
            unreadable++;
            continue;
        }
        if (r == -3)
            return -3;
        read++;
        total += r;
    }
    return read ? total : unreadable ? -2 : -1;
}

void sk_zip_seen_add(struct sk_zip_seen *s, const struct sk_zip_entry *e, uint64_t base)
{
    size_t at;

    if (s->oom)
        return;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        struct sk_zip_entry *v = realloc(s->v, cap * sizeof(*v));
        if (!v) {
            s->oom = 1;
            return;
        }
        s->v = v, s->cap = cap;
    }
    /* walks read in offset order; one that did not is put in its place */
    for (at = s->n; at > 0 && s->v[at - 1].offset > e->offset + base; at--)
        ;
    memmove(s->v + at + 1, s->v + at, (s->n - at) * sizeof(*s->v));
    s->v[at] = *e;
    s->v[at].name = NULL;
    s->v[at].offset += base;
    s->n++;
}

void sk_zip_seen_free(struct sk_zip_seen *s)
{
    free(s->v);
    memset(s, 0, sizeof(*s));
}

int sk_zip_cd_agrees(const struct sk_zip_seen *sn, const struct sk_zip_cd_entry *e)
{
    const struct sk_zip_entry *seen = sn->v;
    size_t lo = 0, hi = sn->n, n = sn->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (seen[mid].offset < e->local)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == n || seen[lo].offset != e->local)
        return 0; /* no header the walk read is there */
    const struct sk_zip_entry *s = &seen[lo];
    /* stored with its size after it: the walk could not delimit it (its
     * bytes went to the tail), so it was not read as an entry */
    if (!s->sized && s->method == 0)
        return 0;
    return s->method == e->method && s->encrypted == ((e->flags & 1) != 0) &&
           (!s->sized || s->csize == e->csize);
}

size_t sk_zip_cd_header(const struct sk_zip_cd_entry *e, const char *name, unsigned char *out)
{
    size_t nl = strlen(name) > 255 ? 255 : strlen(name);
    int z64 = e->csize >= 0xffffffffu || e->usize >= 0xffffffffu;
    unsigned flags = e->flags & ~8u; /* its sizes are here, not after it */
    static const unsigned char sig[4] = {'P', 'K', 3, 4};

    memset(out, 0, 30);
    memcpy(out, sig, 4);
    out[4] = 45;
    out[6] = (unsigned char)flags, out[7] = (unsigned char)(flags >> 8);
    out[8] = (unsigned char)e->method, out[9] = (unsigned char)(e->method >> 8);
    for (int i = 0; i < 4; i++) {
        out[18 + i] = z64 ? 0xff : (unsigned char)(e->csize >> (8 * i));
        out[22 + i] = z64 ? 0xff : (unsigned char)(e->usize >> (8 * i));
    }
    out[26] = (unsigned char)nl;
    out[28] = z64 ? 20 : 0;
    memcpy(out + 30, name, nl);
    if (!z64)
        return 30 + nl;
    unsigned char *x = out + 30 + nl;
    x[0] = 1, x[1] = 0, x[2] = 16, x[3] = 0;
    for (int i = 0; i < 8; i++) {
        x[4 + i] = (unsigned char)(e->usize >> (8 * i));
        x[12 + i] = (unsigned char)(e->csize >> (8 * i));
    }
    return 30 + nl + 20;
}

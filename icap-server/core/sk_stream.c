/* sk_stream.c - gzip, bzip2, xz, zstd, lz4 and Unix compress (.Z) streams
 * found at any offset of an object (sekisho/decode.h): the payload of a
 * self-extracting script (makeself: a shell stub, then a .tar.gz; its
 * --compress writes a .Z), a member of an ar archive or a
 * .deb, a compressed file after junk. `tail -c +N f | gunzip` and 7-Zip
 * read them; a scanner that looks at offset 0 only does not.
 * SECURITY: client bytes. A candidate is a header that verifies strictly
 * (gzip: method 8, no reserved flag; bzip2: "BZh1-9"
 * and a block or end magic; xz: magic, flags and their CRC32; zstd: a
 * frame the decoder reads, sk_stream_zstd_at; .Z: its magic, flags and
 * eight codes that can be, sk_stream_compress_at), so random data holds
 * about one in 10^8 positions or fewer; the caller decodes it (one stream, and the
 * streams of the same kind that follow it at once) within its own bound,
 * and one that does not decode is no stream. sk_stream_decode keeps
 * nothing between calls; a streaming reader (sk_stream_dec, one stream in
 * pieces) holds one decoder's memory, the same as sk_decoder's. */
#include <stdlib.h>
#include <string.h>

#include <bzlib.h>
#include <lz4frame.h>
#include <lzma.h>
#include <zlib.h>

#include "sekisho/decode.h"
#include "sk_unlzw.h"

/* A zstd frame header sk_unzstd reads: the sniffer's frame magic (not a
 * skippable or legacy frame), the reserved bit clear, no dictionary (no
 * decoder here has one), a window - or a single segment's content size -
 * within SK_ZSTD_WINDOW_LOG. At most 13 bytes are looked at. */
static int sk_stream_zstd_at(const unsigned char *p, size_t n)
{
    static const unsigned fcs_len[4] = {1, 2, 4, 8};
    uint64_t window = 0;

    /* a frame's magic, not a skippable or legacy one: the sniffer's */
    if (n < 6 || p[0] != 0x28 || sk_container_sniff(p, 4) != SK_CT_ZSTD)
        return 0;
    unsigned fhd = p[4];
    /* reserved bit; a dictionary ID: no decoder here has a dictionary */
    if ((fhd & 0x08) || (fhd & 0x03))
        return 0;
    if (!(fhd & 0x20)) {
        /* the window descriptor: 2^(10 + exponent) plus eighths of it */
        uint64_t base = (uint64_t)1 << (10 + (p[5] >> 3));
        window = base + base / 8 * (p[5] & 7);
    } else {
        /* single segment: the window is the content size */
        unsigned len = fcs_len[fhd >> 6];
        if (n < 5 + len)
            return 0;
        for (unsigned i = len; i > 0; i--)
            window = window << 8 | p[4 + i];
        if (len == 2)
            window += 256;
    }
    return window <= (uint64_t)1 << SK_ZSTD_WINDOW_LOG;
}

/* An lz4 frame header liblz4 reads (makeself --lz4 puts one after its
 * shell stub): the frame magic, version 01, the reserved bits clear, a
 * block size of 64 KiB..4 MiB, no dictionary ID (no decoder here has a
 * dictionary), and the header checksum liblz4 verifies
 * (LZ4F_getFrameInfo). At most 15 bytes are looked at. */
static int sk_stream_lz4_at(const unsigned char *p, size_t n)
{
    LZ4F_dctx *dc;
    LZ4F_frameInfo_t fi;

    if (n < 7 || memcmp(p, "\x04\x22\x4d\x18", 4) != 0 || (p[4] & 0xc2) != 0x40 || (p[4] & 0x01) ||
        (p[5] & 0x8f) || ((p[5] >> 4) & 7) < 4)
        return 0;
    size_t hlen = 7 + ((p[4] & 0x08) ? 8 : 0), in = hlen;
    if (n < hlen || LZ4F_isError(LZ4F_createDecompressionContext(&dc, LZ4F_VERSION)))
        return 0;
    size_t r = LZ4F_getFrameInfo(dc, &fi, p, &in);
    LZ4F_freeDecompressionContext(dc);
    return !LZ4F_isError(r) && in == hlen;
}

/* A Unix compress (.Z) header after a prefix (makeself --compress: `tail
 * | uncompress`): the magic, a flags byte as compress writes it (9-16 bit
 * codes, the unused bits clear), then eight 9-bit codes a reader takes -
 * a byte first, then none beyond the table's next entry (a clear only in
 * block mode). Random bytes pass about one in 256 of those tests, on top
 * of the three-byte header's one in a million. At most 12 bytes looked at. */
static int sk_stream_compress_at(const unsigned char *p, size_t n)
{
    if (n < 12 || p[0] != 0x1f || p[1] != 0x9d || (p[2] & 0x60) || (p[2] & 0x1f) < 9 ||
        (p[2] & 0x1f) > 16)
        return 0;
    int block = (p[2] & 0x80) != 0;
    uint32_t acc = 0, next = block ? 257 : 256;
    unsigned nacc = 0;
    size_t i = 3;
    for (int k = 0; k < 8; k++) {
        while (nacc < 9)
            acc |= (uint32_t)p[i++] << nacc, nacc += 8;
        uint32_t code = acc & 0x1ff;
        acc >>= 9, nacc -= 9;
        if (k == 0 ? code >= 256 : code > next || (code == 256 && !block))
            return 0;
        if (code == 256)
            return 1; /* a clear: the table starts again */
        next += k > 0;
    }
    return 1;
}

static enum sk_coding sk_stream_at(const unsigned char *p, size_t n)
{
    static const unsigned char pi[6] = {0x31, 0x41, 0x59, 0x26, 0x53, 0x59};
    static const unsigned char eos[6] = {0x17, 0x72, 0x45, 0x38, 0x50, 0x90};

    /* gzip: XFL and OS are any byte (GNU gzip and zlib read past them, and
     * whoever writes the header chooses them) */
    if (n >= 18 && p[0] == 0x1f && p[1] == 0x8b && p[2] == 8 && !(p[3] & 0xe0))
        return SK_CODING_GZIP;
    if (n >= 14 && p[0] == 'B' && p[1] == 'Z' && p[2] == 'h' && p[3] >= '1' && p[3] <= '9' &&
        (memcmp(p + 4, pi, 6) == 0 || memcmp(p + 4, eos, 6) == 0))
        return SK_CODING_BZIP2;
    if (n >= 24 &&
        memcmp(p,
               "\xfd"
               "7zXZ\0",
               6) == 0 &&
        p[6] == 0 && (p[7] == 0 || p[7] == 1 || p[7] == 4 || p[7] == 10) &&
        crc32(0, p + 6, 2) ==
            ((uLong)p[8] | (uLong)p[9] << 8 | (uLong)p[10] << 16 | (uLong)p[11] << 24))
        return SK_CODING_XZ;
    if (sk_stream_zstd_at(p, n))
        return SK_CODING_ZSTD;
    if (sk_stream_lz4_at(p, n))
        return SK_CODING_LZ4;
    if (sk_stream_compress_at(p, n))
        return SK_CODING_COMPRESS;
    return 0;
}

/* The first bytes a header can start with (gzip, bzip2, xz, zstd): one
 * table load per byte, as DLP searches every text it reads. */
static const unsigned char sk_stream_first[256] = {
    [0x1f] = 1, ['B'] = 1, [0xfd] = 1, [0x28] = 1, [0x04] = 1};

long sk_stream_find(const unsigned char *p, size_t n, size_t from, enum sk_coding *c)
{
    for (size_t i = from; i < n; i++) {
        if (!sk_stream_first[p[i]])
            continue;
        if ((*c = sk_stream_at(p + i, n - i)) != 0)
            return (long)i;
    }
    return -1;
}

long sk_stream_find_in(const struct sk_magics *m, const unsigned char *p, size_t n, size_t from,
                       enum sk_coding *c)
{
    if (!(m = sk_magics_for(m, p, n)))
        return sk_stream_find(p, n, from, c);
    /* a header sk_stream_at takes starts with one of the magics the index
     * records */
    for (size_t i = sk_magics_next(m, from, SK_MG_STREAMS); i < m->n;
         i = sk_magics_after(m, i, SK_MG_STREAMS)) {
        size_t at = m->v[i].at;
        if ((*c = sk_stream_at(p + at, n - at)) != 0)
            return (long)at;
    }
    return -1;
}

struct sk_stream_out {
    sk_decode_sink_fn sink;
    void *arg;
    uint64_t left; /* out_max still allowed */
    int over;
};

static int sk_stream_emit(struct sk_stream_out *o, const void *buf, size_t len)
{
    if (len > o->left) {
        len = (size_t)o->left;
        o->over = 1;
    }
    o->left -= len;
    if (len && o->sink(o->arg, buf, len) == -1)
        return -1;
    return o->over ? -1 : 0;
}

static int sk_stream_zsink(void *arg, const void *buf, size_t len)
{
    return sk_stream_emit(arg, buf, len);
}

struct sk_stream_dec {
    enum sk_coding c;
    struct sk_inflate *inf; /* gzip */
    struct sk_unzstd *zs;   /* zstd */
    bz_stream bz;
    int bz_live;
    lzma_stream xz;
    int xz_live;
    LZ4F_dctx *lz4;
    struct sk_unlzw *lzw; /* .Z */
    unsigned char buf[16384];
};

struct sk_stream_dec *sk_stream_dec_new(enum sk_coding c)
{
    struct sk_stream_dec *d = calloc(1, sizeof(*d));
    int ok;

    if (!d)
        return NULL;
    d->c = c;
    if (c == SK_CODING_GZIP)
        ok = (d->inf = sk_inflate_new(SK_Z_GZIP)) != NULL;
    else if (c == SK_CODING_ZSTD)
        ok = (d->zs = sk_unzstd_new()) != NULL;
    else if (c == SK_CODING_BZIP2)
        ok = d->bz_live = BZ2_bzDecompressInit(&d->bz, 0, 0) == BZ_OK;
    else if (c == SK_CODING_XZ) {
        d->xz = (lzma_stream)LZMA_STREAM_INIT;
        ok = d->xz_live = lzma_stream_decoder(&d->xz, SK_XZ_MEMLIMIT, 0) == LZMA_OK;
    } else if (c == SK_CODING_LZ4)
        ok = !LZ4F_isError(LZ4F_createDecompressionContext(&d->lz4, LZ4F_VERSION));
    else if (c == SK_CODING_COMPRESS)
        ok = (d->lzw = sk_unlzw_new()) != NULL;
    else
        ok = 0;
    if (!ok) {
        sk_stream_dec_free(d);
        return NULL;
    }
    return d;
}

void sk_stream_dec_free(struct sk_stream_dec *d)
{
    if (!d)
        return;
    sk_inflate_free(d->inf);
    sk_unzstd_free(d->zs);
    if (d->bz_live)
        BZ2_bzDecompressEnd(&d->bz);
    if (d->xz_live)
        lzma_end(&d->xz);
    if (d->lz4)
        LZ4F_freeDecompressionContext(d->lz4);
    sk_unlzw_free(d->lzw);
    free(d);
}

/* libbz2 outputs a block only once all of it arrived: what comes out
 * before an error does not depend on how the input was cut. */
static int sk_stream_bz2(struct sk_stream_dec *d, const unsigned char *p, size_t n, size_t *used,
                         sk_decode_sink_fn sink, void *arg)
{
    bz_stream *bz = &d->bz;
    int rc;

    bz->next_in = (char *)(uintptr_t)p;
    bz->avail_in = n > UINT32_MAX ? UINT32_MAX : (unsigned)n;
    for (;;) {
        bz->next_out = (char *)d->buf;
        bz->avail_out = sizeof(d->buf);
        int r = BZ2_bzDecompress(bz);
        size_t out = sizeof(d->buf) - bz->avail_out;
        if (out && sink(arg, d->buf, out) == -1) {
            rc = -2;
            break;
        }
        if (r != BZ_OK || (bz->avail_in == 0 && out < sizeof(d->buf))) {
            rc = r == BZ_STREAM_END ? 1 : r == BZ_OK ? 0 : r == BZ_MEM_ERROR ? -2 : -1;
            break;
        }
    }
    *used = (size_t)((const unsigned char *)bz->next_in - p);
    return rc;
}

static int sk_stream_xz(struct sk_stream_dec *d, const unsigned char *p, size_t n, size_t *used,
                        sk_decode_sink_fn sink, void *arg)
{
    lzma_stream *x = &d->xz;
    int rc;

    x->next_in = p;
    x->avail_in = n;
    for (;;) {
        x->next_out = d->buf;
        x->avail_out = sizeof(d->buf);
        lzma_ret r = lzma_code(x, LZMA_RUN);
        size_t out = sizeof(d->buf) - x->avail_out;
        if (out && sink(arg, d->buf, out) == -1) {
            rc = -2;
            break;
        }
        /* LZMA_BUF_ERROR: no progress with what there is (wants more) */
        if (r != LZMA_OK || (x->avail_in == 0 && out < sizeof(d->buf))) {
            rc = r == LZMA_STREAM_END                  ? 1
                 : r == LZMA_OK || r == LZMA_BUF_ERROR ? 0
                 : r == LZMA_MEM_ERROR                 ? -2
                                                       : -1;
            break;
        }
    }
    *used = (size_t)(x->next_in - p);
    return rc;
}

/* One lz4 frame: liblz4's hint is 0 once the frame ended (the bytes
 * after it are not consumed). */
static int sk_stream_lz4(struct sk_stream_dec *d, const unsigned char *p, size_t n, size_t *used,
                         sk_decode_sink_fn sink, void *arg)
{
    size_t at = 0;

    for (;;) {
        size_t out = sizeof(d->buf), in = n - at;
        size_t r = LZ4F_decompress(d->lz4, d->buf, &out, p + at, &in, NULL);
        at += in;
        *used = at;
        if (LZ4F_isError(r))
            return -1;
        if (out && sink(arg, d->buf, out) == -1)
            return -2;
        if (r == 0)
            return 1;
        if (in == 0 && out == 0)
            return 0; /* wants more */
    }
}

int sk_stream_dec_feed(struct sk_stream_dec *d, const unsigned char *p, size_t n, size_t *used,
                       sk_decode_sink_fn sink, void *arg)
{
    *used = 0;
    switch (d->c) {
    case SK_CODING_GZIP:
        return sk_inflate_feed(d->inf, p, n, used, sink, arg);
    case SK_CODING_ZSTD:
        return sk_unzstd_feed(d->zs, p, n, used, sink, arg);
    case SK_CODING_BZIP2:
        return sk_stream_bz2(d, p, n, used, sink, arg);
    case SK_CODING_LZ4:
        return sk_stream_lz4(d, p, n, used, sink, arg);
    case SK_CODING_COMPRESS: {
        /* no end mark: it goes on to the end of what it is given */
        int rc = sk_unlzw_feed(d->lzw, p, n, used, sink, arg);
        if (rc == 0)
            *used = n;
        return rc;
    }
    default:
        return sk_stream_xz(d, p, n, used, sink, arg);
    }
}

/* One stream of coding C at P: 1 ended (*USED), 0 cut, -1 corrupt, -2
 * stopped by the bound or the sink. */
static int sk_stream_one(enum sk_coding c, const unsigned char *p, size_t n, size_t *used,
                         struct sk_stream_out *o)
{
    struct sk_stream_dec *d = sk_stream_dec_new(c);
    int rc;

    *used = 0;
    if (!d)
        return -2;
    rc = sk_stream_dec_feed(d, p, n, used, sk_stream_zsink, o);
    sk_stream_dec_free(d);
    return rc;
}

int sk_stream_decode(enum sk_coding c, const unsigned char *p, size_t n, uint64_t out_max,
                     size_t *used, sk_decode_sink_fn sink, void *arg)
{
    struct sk_stream_out o = {sink, arg, out_max, 0};
    size_t at = 0, u;
    int rc;

    /* streams of the same kind one after another (gzip members, pbzip2's
     * streams, concatenated xz) are one file to its decompressor, NUL
     * padding between them too (sk_stream_pads) */
    size_t end = 0;
    do {
        rc = sk_stream_one(c, p + at, n - at, &u, &o);
        at += u, end = at;
        /* a .Z has no end mark: it ends with the data */
        if (rc == 0 && c == SK_CODING_COMPRESS && at == n)
            rc = 1;
        while (rc == 1 && sk_stream_pads(c) && at < n && p[at] == 0)
            at++;
    } while (rc == 1 && at < n && sk_stream_at(p + at, n - at) == c);
    *used = rc == 1 ? end : at;
    if (rc == -2)
        return o.over ? -2 : -3;
    return rc;
}

static int sk_stream_count(void *arg, const void *buf, size_t len)
{
    (void)buf;
    *(uint64_t *)arg += len;
    return 0;
}

enum sk_decode_rc sk_decode_check(enum sk_coding c, const unsigned char *p, size_t n,
                                  const struct sk_decode_limits *lim, uint64_t *out)
{
    uint64_t got = 0;
    size_t used;
    int rc = sk_stream_decode(c, p, n, sk_decode_bound(lim, n), &used, sk_stream_count, &got);

    if (out)
        *out = got;
    return rc == -2   ? SK_DECODE_LIMIT
           : rc == -3 ? SK_DECODE_FAIL
           : rc == -1 ? SK_DECODE_CORRUPT
                      : SK_DECODE_OK;
}

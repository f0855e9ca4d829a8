/* sk_tzip.c - test-only compressors and zip, tar and ar builders (see sk_tzip.h). Builds
 * archives from the tests' own bytes; never linked into Sekisho. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bzlib.h>
#include <cmocka.h>
#include <lz4frame.h>
#include <lzma.h>
#include <openssl/evp.h>
#include <zlib.h>
#include <zstd.h>

#include "sk_tzip.h"

unsigned char *sk_tz_deflate_level(const void *in, size_t n, int wbits, int level, size_t *olen)
{
    z_stream z = {0};
    size_t cap = compressBound((uLong)n) + 64;
    unsigned char *out = malloc(cap);

    assert_non_null(out);
    assert_int_equal(deflateInit2(&z, level, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    *olen = z.total_out;
    deflateEnd(&z);
    return out;
}

unsigned char *sk_tz_deflate(const void *in, size_t n, int wbits, size_t *olen)
{
    return sk_tz_deflate_level(in, n, wbits, 6, olen);
}

char *sk_tz_b64_wrap(const void *in, size_t n, size_t line)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *p = in;
    char *o = malloc(n / 3 * 6 + 8), *q = o; /* 4 bytes, and at most "\r\n" per 3 */
    size_t col = 0;

    assert_non_null(o);
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);
        *q++ = a[v >> 18], *q++ = a[v >> 12 & 63];
        *q++ = i + 1 < n ? a[v >> 6 & 63] : '=';
        *q++ = i + 2 < n ? a[v & 63] : '=';
        if (line && (col += 4) >= line && i + 3 < n)
            *q++ = '\r', *q++ = '\n', col = 0;
    }
    *q = 0;
    return o;
}

char *sk_tz_b64(const void *in, size_t n)
{
    return sk_tz_b64_wrap(in, n, 0);
}

static void sk_tz_grow(unsigned char **p, size_t *cap, size_t need)
{
    if (need <= *cap)
        return;
    *cap = need * 2 + 256;
    assert_non_null(*p = realloc(*p, *cap));
}

void sk_tzip_put(struct sk_tzip *z, const void *p, size_t n)
{
    sk_tz_grow(&z->p, &z->cap, z->n + n);
    memcpy(z->p + z->n, p, n);
    z->n += n;
}

/* V as N little-endian bytes onto *P (N*CAP grown), *N advanced. */
static void sk_tz_le(unsigned char **p, size_t *n, size_t *cap, uint64_t v, int bytes)
{
    sk_tz_grow(p, cap, *n + (size_t)bytes);
    for (int i = 0; i < bytes; i++)
        (*p)[(*n)++] = (unsigned char)(v >> (8 * i));
}

#define SK_TZ_LE(z, v, b)   sk_tz_le(&(z)->p, &(z)->n, &(z)->cap, (v), (b))
#define SK_TZ_CDLE(z, v, b) sk_tz_le(&(z)->cd, &(z)->cdn, &(z)->cdcap, (v), (b))

static unsigned char *sk_tz_lzma_run(lzma_stream *strm, const void *in, size_t n, size_t *olen);

/* A zip entry's method 14 data: LZMA SDK version 9.20, the properties'
 * size and the properties, then the raw stream (ending in its marker). */
static unsigned char *sk_tz_zip_lzma(const void *in, size_t n, size_t *olen)
{
    lzma_stream strm = LZMA_STREAM_INIT;
    lzma_options_lzma opt;
    size_t rl;

    assert_false(lzma_lzma_preset(&opt, 6));
    lzma_filter f[] = {{LZMA_FILTER_LZMA1, &opt}, {LZMA_VLI_UNKNOWN, NULL}};
    assert_int_equal(lzma_raw_encoder(&strm, f), LZMA_OK);
    unsigned char *raw = sk_tz_lzma_run(&strm, in, n, &rl), *b = malloc(9 + rl);
    assert_non_null(b);
    memcpy(b, "\x09\x14\x05\x00", 4);
    assert_int_equal(lzma_properties_encode(f, b + 4), LZMA_OK);
    memcpy(b + 9, raw, rl);
    free(raw);
    *olen = 9 + rl;
    return b;
}

void sk_tzip_entry(struct sk_tzip *z, const char *name, const void *data, size_t len, unsigned opts,
                   unsigned flags)
{
    int defl = (opts & SK_TZIP_DEFLATE) != 0, z64 = (opts & SK_TZIP_ZIP64) != 0;
    int desc = (opts & SK_TZIP_DESC) != 0, zst = (opts & SK_TZIP_ZSTD) != 0;
    size_t cl = len, nl = strlen(name), off = z->n;
    unsigned char *c = defl ? sk_tz_deflate(data, len, -15, &cl) : NULL;
    unsigned method = defl ? 8 : zst ? 93 : 0;

    if (zst) {
        c = malloc(ZSTD_compressBound(len));
        cl = ZSTD_compress(c, ZSTD_compressBound(len), data, len, 3);
        assert_false(ZSTD_isError(cl));
    }
    if (opts & SK_TZIP_BZIP2)
        c = sk_tz_bzip2(data, len, &cl), method = 12;
    if (opts & SK_TZIP_LZMA)
        c = sk_tz_zip_lzma(data, len, &cl), method = 14, flags |= 2;
    if (opts & SK_TZIP_XZ)
        c = sk_tz_xz(data, len, &cl), method = 95;
    uint32_t crc = (uint32_t)crc32(0, (const Bytef *)data, (uInt)len);
    unsigned version = z64 ? 45 : 20;

    flags |= desc ? 8 : 0;
    SK_TZ_LE(z, 0x04034b50, 4), SK_TZ_LE(z, version, 2), SK_TZ_LE(z, flags, 2);
    SK_TZ_LE(z, method, 2), SK_TZ_LE(z, 0, 4), SK_TZ_LE(z, desc ? 0 : crc, 4);
    SK_TZ_LE(z, z64 ? 0xffffffffu : desc ? 0 : cl, 4);
    SK_TZ_LE(z, z64 ? 0xffffffffu : desc ? 0 : len, 4);
    SK_TZ_LE(z, nl, 2), SK_TZ_LE(z, z64 ? 20 : 0, 2);
    sk_tzip_put(z, name, nl);
    if (z64) {
        SK_TZ_LE(z, 1, 2), SK_TZ_LE(z, 16, 2), SK_TZ_LE(z, len, 8), SK_TZ_LE(z, cl, 8);
    }
    sk_tzip_put(z, c ? c : data, cl);
    if (desc) {
        SK_TZ_LE(z, 0x08074b50, 4), SK_TZ_LE(z, crc, 4);
        SK_TZ_LE(z, cl, z64 ? 8 : 4), SK_TZ_LE(z, len, z64 ? 8 : 4);
    }
    free(c);
    /* its central directory record, written out by sk_tzip_central */
    SK_TZ_CDLE(z, 0x02014b50, 4), SK_TZ_CDLE(z, 20, 2), SK_TZ_CDLE(z, version, 2);
    SK_TZ_CDLE(z, flags, 2), SK_TZ_CDLE(z, method, 2), SK_TZ_CDLE(z, 0, 4);
    SK_TZ_CDLE(z, crc, 4), SK_TZ_CDLE(z, z64 ? 0xffffffffu : cl, 4);
    SK_TZ_CDLE(z, z64 ? 0xffffffffu : len, 4), SK_TZ_CDLE(z, nl, 2);
    SK_TZ_CDLE(z, z64 ? 20 : 0, 2), SK_TZ_CDLE(z, 0, 2), SK_TZ_CDLE(z, 0, 2);
    SK_TZ_CDLE(z, 0, 2), SK_TZ_CDLE(z, 0, 4), SK_TZ_CDLE(z, off, 4);
    sk_tz_grow(&z->cd, &z->cdcap, z->cdn + nl);
    memcpy(z->cd + z->cdn, name, nl), z->cdn += nl;
    if (z64) {
        SK_TZ_CDLE(z, 1, 2), SK_TZ_CDLE(z, 16, 2), SK_TZ_CDLE(z, len, 8), SK_TZ_CDLE(z, cl, 8);
    }
    z->entries++;
}

void sk_tzip_central(struct sk_tzip *z)
{
    size_t cd = z->n;

    sk_tzip_put(z, z->cd, z->cdn);
    SK_TZ_LE(z, 0x06054b50, 4), SK_TZ_LE(z, 0, 2), SK_TZ_LE(z, 0, 2);
    SK_TZ_LE(z, z->entries, 2), SK_TZ_LE(z, z->entries, 2);
    SK_TZ_LE(z, z->cdn, 4), SK_TZ_LE(z, cd, 4), SK_TZ_LE(z, 0, 2);
}

unsigned char *sk_tzip_take(struct sk_tzip *z, size_t *len)
{
    unsigned char *p = z->p;

    *len = z->n;
    z->p = NULL;
    sk_tzip_free(z);
    return p;
}

void sk_tzip_free(struct sk_tzip *z)
{
    free(z->p);
    free(z->cd);
    memset(z, 0, sizeof(*z));
}

unsigned char *sk_tzip_one(const char *name, const void *data, size_t len, unsigned flags,
                           size_t *zlen)
{
    struct sk_tzip z = {0};

    sk_tzip_entry(&z, name, data, len, 0, flags);
    sk_tzip_central(&z);
    return sk_tzip_take(&z, zlen);
}

void sk_tz_tar_hdr(struct sk_tzip *z, const char *name, char type, const unsigned char *size12,
                   uint64_t size, unsigned opts)
{
    unsigned char h[512] = {0};
    long sum = 0;

    assert_true(strlen(name) < 100);
    memcpy(h, name, strlen(name));
    snprintf((char *)h + 100, 8, "%07o", 0644);
    if (opts & SK_TZ_TAR_IDS) {
        snprintf((char *)h + 108, 8, "%07o", 0);
        snprintf((char *)h + 116, 8, "%07o", 0);
    }
    if (size12)
        memcpy(h + 124, size12, 12);
    else
        snprintf((char *)h + 124, 12, "%011llo", (unsigned long long)size);
    if (opts & SK_TZ_TAR_MTIME)
        snprintf((char *)h + 136, 12, "%011o", 0);
    memset(h + 148, ' ', 8);
    h[156] = (unsigned char)type;
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    for (size_t i = 0; i < sizeof(h); i++)
        sum += opts & SK_TZ_TAR_SIGNED ? (signed char)h[i] : h[i];
    snprintf((char *)h + 148, 8, "%06lo", sum);
    sk_tzip_put(z, h, sizeof(h));
}

void sk_tz_tar_member(struct sk_tzip *z, const char *name, char type, const unsigned char *size12,
                      uint64_t size, const void *data, size_t len, unsigned opts)
{
    static const unsigned char zero[512];

    sk_tz_tar_hdr(z, name, type, size12, size, opts);
    sk_tzip_put(z, data, len);
    if (len % 512)
        sk_tzip_put(z, zero, 512 - len % 512);
}

void sk_tz_tar_pax(struct sk_tzip *z, const char *name, char type, const char *records,
                   unsigned opts)
{
    sk_tz_tar_member(z, name, type, NULL, strlen(records), records, strlen(records), opts);
}

void sk_tz_pax_rec(char *out, size_t cap, const char *key, const char *val)
{
    size_t body = strlen(key) + strlen(val) + 3, len = body + 1;

    while ((size_t)snprintf(NULL, 0, "%zu", len) + body != len)
        len++;
    snprintf(out, cap, "%zu %s=%s\n", len, key, val);
}

void sk_tz_tar_entry(struct sk_tzip *z, const char *name, const void *data, size_t len)
{
    sk_tz_tar_member(z, name, '0', NULL, len, data, len, SK_TZ_TAR_IDS | SK_TZ_TAR_MTIME);
}

void sk_tz_tar_end(struct sk_tzip *z)
{
    static const unsigned char zero[1024];

    sk_tzip_put(z, zero, sizeof(zero));
}

/* NUL bytes up to a multiple of TO (at most 512) of the archive's length. */
static void sk_tz_pad(struct sk_tzip *z, size_t to)
{
    static const unsigned char zero[512];

    assert_true(to > 0 && to <= sizeof(zero));
    if (z->n % to)
        sk_tzip_put(z, zero, to - z->n % to);
}

void sk_tz_ar_member(struct sk_tzip *z, const char *name, const void *data, size_t len)
{
    char h[61];

    snprintf(h, sizeof(h), "%-16s%-12d%-6d%-6d%-8s%-10zu`\n", name, 0, 0, 0, "100644", len);
    sk_tzip_put(z, h, 60);
    sk_tzip_put(z, data, len);
    sk_tz_pad(z, 2);
}

unsigned char *sk_tz_data(const char *rel, size_t *n)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/tests/unit/data/%s", SK_SOURCE_DIR, rel);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    assert_true(len >= 0);
    fseek(f, 0, SEEK_SET);
    unsigned char *p = malloc(len ? (size_t)len : 1);
    assert_non_null(p);
    *n = fread(p, 1, (size_t)len, f);
    assert_int_equal(*n, (size_t)len);
    fclose(f);
    return p;
}

size_t sk_tz_cpio_newc(unsigned char *o, const char *name, const void *data, size_t dl)
{
    size_t nl = strlen(name) + 1, n;
    n = (size_t)sprintf((char *)o, "070701%08X%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X%08zX%08X",
                        1, 0100644, 0, 0, 1, 0, dl, 0, 0, 0, 0, nl, 0);
    memcpy(o + n, name, nl), n += nl;
    while (n % 4)
        o[n++] = 0;
    memcpy(o + n, data, dl), n += dl;
    while (n % 4)
        o[n++] = 0;
    return n;
}

void sk_tz_git_head(struct sk_tzip *z, uint32_t count)
{
    unsigned char h[12] = {'P', 'A', 'C', 'K', 0, 0, 0, 2};

    h[8] = (unsigned char)(count >> 24), h[9] = (unsigned char)(count >> 16);
    h[10] = (unsigned char)(count >> 8), h[11] = (unsigned char)count;
    sk_tzip_put(z, h, sizeof(h));
}

void sk_tz_git_end(struct sk_tzip *z, size_t at, int sha256)
{
    unsigned char h[EVP_MAX_MD_SIZE];
    unsigned int hl = 0;

    assert_true(EVP_Digest(z->p + at, z->n - at, h, &hl, sha256 ? EVP_sha256() : EVP_sha1(), NULL));
    sk_tzip_put(z, h, hl);
}

size_t sk_tz_git_obj(struct sk_tzip *z, int type, const void *data, size_t len, const void *pre,
                     size_t npre)
{
    size_t at = z->n, s = len >> 4;
    unsigned char c = (unsigned char)(type << 4 | (len & 15));
    uLongf zl = compressBound(len);
    unsigned char *d = malloc(zl);

    while (s) {
        unsigned char b = c | 0x80;
        sk_tzip_put(z, &b, 1);
        c = s & 0x7f;
        s >>= 7;
    }
    sk_tzip_put(z, &c, 1);
    if (npre)
        sk_tzip_put(z, pre, npre);
    assert_non_null(d);
    assert_int_equal(compress(d, &zl, data, len), Z_OK);
    sk_tzip_put(z, d, zl);
    free(d);
    return at;
}

unsigned char *sk_tz_zstd(const void *in, size_t n, size_t *olen)
{
    unsigned char *c = malloc(ZSTD_compressBound(n));
    size_t cl;

    assert_non_null(c);
    cl = ZSTD_compress(c, ZSTD_compressBound(n), in, n, 3);
    assert_false(ZSTD_isError(cl));
    *olen = cl;
    return c;
}

unsigned char *sk_tz_bzip2(const void *in, size_t n, size_t *olen)
{
    unsigned int cap = (unsigned)(n + n / 100 + 600);
    char *b = malloc(cap);

    assert_non_null(b);
    assert_int_equal(BZ2_bzBuffToBuffCompress(b, &cap, (char *)(uintptr_t)in, (unsigned)n, 9, 0, 0),
                     BZ_OK);
    *olen = cap;
    return (unsigned char *)b;
}

unsigned char *sk_tz_xz(const void *in, size_t n, size_t *olen)
{
    size_t cap = lzma_stream_buffer_bound(n), pos = 0;
    unsigned char *b = malloc(cap);

    assert_non_null(b);
    assert_int_equal(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL, in, n, b, &pos, cap),
                     LZMA_OK);
    *olen = pos;
    return b;
}

/* IN through liblzma encoder STRM (initialised), all of it. */
static unsigned char *sk_tz_lzma_run(lzma_stream *strm, const void *in, size_t n, size_t *olen)
{
    size_t cap = n + n / 2 + 1024;
    unsigned char *b = malloc(cap);

    assert_non_null(b);
    strm->next_in = in;
    strm->avail_in = n;
    strm->next_out = b;
    strm->avail_out = cap;
    assert_int_equal(lzma_code(strm, LZMA_FINISH), LZMA_STREAM_END);
    *olen = cap - strm->avail_out;
    lzma_end(strm);
    return b;
}

unsigned char *sk_tz_lzma(const void *in, size_t n, size_t *olen)
{
    lzma_stream strm = LZMA_STREAM_INIT;
    lzma_options_lzma opt;

    assert_false(lzma_lzma_preset(&opt, 6));
    assert_int_equal(lzma_alone_encoder(&strm, &opt), LZMA_OK);
    return sk_tz_lzma_run(&strm, in, n, olen);
}

unsigned char *sk_tz_lzip(const void *in, size_t n, size_t *olen)
{
    lzma_stream strm = LZMA_STREAM_INIT;
    lzma_options_lzma opt;
    size_t rl;

    assert_false(lzma_lzma_preset(&opt, 6));
    opt.dict_size = 8u << 20, opt.lc = 3, opt.lp = 0, opt.pb = 2;
    lzma_filter f[] = {{LZMA_FILTER_LZMA1, &opt}, {LZMA_VLI_UNKNOWN, NULL}};
    assert_int_equal(lzma_raw_encoder(&strm, f), LZMA_OK);
    unsigned char *raw = sk_tz_lzma_run(&strm, in, n, &rl); /* ends with the end marker */
    unsigned char *b = malloc(6 + rl + 20);
    assert_non_null(b);
    memcpy(b, "LZIP\1\x17", 6); /* version 1, dictionary 2^23 */
    memcpy(b + 6, raw, rl);
    uint64_t crc = crc32(0, in, (uInt)n), total = 6 + rl + 20;
    for (int i = 0; i < 4; i++)
        b[6 + rl + i] = (unsigned char)(crc >> (8 * i));
    for (int i = 0; i < 8; i++) {
        b[6 + rl + 4 + i] = (unsigned char)((uint64_t)n >> (8 * i));
        b[6 + rl + 12 + i] = (unsigned char)(total >> (8 * i));
    }
    free(raw);
    *olen = (size_t)total;
    return b;
}

unsigned char *sk_tz_lz4(const void *in, size_t n, size_t *olen)
{
    LZ4F_preferences_t pr;

    memset(&pr, 0, sizeof(pr));
    pr.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
    size_t cap = LZ4F_compressFrameBound(n, &pr);
    unsigned char *b = malloc(cap);
    assert_non_null(b);
    size_t r = LZ4F_compressFrame(b, cap, in, n, &pr);
    assert_false(LZ4F_isError(r));
    *olen = r;
    return b;
}

unsigned char *sk_tz_zip_texts(const char *const *names, const char *const *data, int n, int defl,
                               size_t *len)
{
    struct sk_tzip z = {0};

    for (int i = 0; i < n; i++)
        sk_tzip_entry(&z, names[i], data[i], strlen(data[i]), defl ? SK_TZIP_DEFLATE : 0, 0);
    sk_tzip_put(&z, "PK\x01\x02", 4);
    return sk_tzip_take(&z, len);
}

/* ---- 7z archives as 7-Zip writes them (sk_tz_7z) ---- */

struct t7z {
    unsigned char *b;
    size_t n, cap;
};

static void t7_put(struct t7z *t, const void *p, size_t n)
{
    if (t->n + n > t->cap) {
        t->cap = (t->n + n) * 2 + 64;
        t->b = realloc(t->b, t->cap);
        assert_non_null(t->b);
    }
    if (n)
        memcpy(t->b + t->n, p, n);
    t->n += n;
}

static void t7_byte(struct t7z *t, unsigned v)
{
    unsigned char c = (unsigned char)v;
    t7_put(t, &c, 1);
}

/* 7z's number: 0xff and eight bytes (any value; the reader takes it) */
static void t7_num(struct t7z *t, uint64_t v)
{
    if (v < 0x80) {
        t7_byte(t, (unsigned)v);
        return;
    }
    t7_byte(t, 0xff);
    for (int i = 0; i < 8; i++)
        t7_byte(t, (unsigned)(v >> (8 * i)) & 0xff);
}

/* StreamsInfo: NF folders, each one LZMA coder (PROPS) taking one pack
 * stream of PACK[i] bytes and declaring USIZE[i]. */
static void t7_streams(struct t7z *t, uint64_t pos, int nf, const uint64_t *pack,
                       const uint64_t *usize, const unsigned char *props)
{
    t7_byte(t, 0x06), t7_num(t, pos), t7_num(t, (uint64_t)nf), t7_byte(t, 0x09);
    for (int i = 0; i < nf; i++)
        t7_num(t, pack[i]);
    t7_byte(t, 0x00);
    t7_byte(t, 0x07), t7_byte(t, 0x0b), t7_num(t, (uint64_t)nf), t7_byte(t, 0);
    for (int i = 0; i < nf; i++) {
        t7_byte(t, 1), t7_byte(t, 0x23), t7_put(t, "\3\1\1", 3), t7_byte(t, 5);
        t7_put(t, props, 5);
    }
    t7_byte(t, 0x0c);
    for (int i = 0; i < nf; i++)
        t7_num(t, usize[i]);
    t7_byte(t, 0x00), t7_byte(t, 0x00);
}

/* Raw LZMA1 of P[0..N) (the props in PROPS[5]); caller frees. */
static unsigned char *t7_lzma(const void *p, size_t n, size_t *olen, unsigned char *props)
{
    lzma_options_lzma o;
    lzma_filter f[2] = {{LZMA_FILTER_LZMA1, &o}, {LZMA_VLI_UNKNOWN, NULL}};
    lzma_stream z = LZMA_STREAM_INIT;
    size_t cap = n + n / 8 + 4096;
    unsigned char *out = malloc(cap);
    uint32_t pb;

    lzma_lzma_preset(&o, 1);
    o.dict_size = 1u << 20;
    assert_int_equal(lzma_raw_encoder(&z, f), LZMA_OK);
    z.next_in = p, z.avail_in = n, z.next_out = out, z.avail_out = cap;
    assert_int_equal(lzma_code(&z, LZMA_FINISH), LZMA_STREAM_END);
    *olen = cap - z.avail_out;
    lzma_end(&z);
    assert_int_equal(lzma_properties_size(&pb, f), LZMA_OK);
    assert_int_equal(pb, 5);
    assert_int_equal(lzma_properties_encode(f, props), LZMA_OK);
    return out;
}

unsigned char *sk_tz_7z(const void *data, size_t dn, int nf, uint64_t usize, int enc, size_t *len)
{
    unsigned char props[5], hp[5];
    size_t cn, hn;
    unsigned char *c = t7_lzma(data, dn, &cn, props);
    uint64_t pack[64], us[64];
    struct t7z h = {NULL, 0, 0}, tt = {NULL, 0, 0}, *t = &tt;
    static const unsigned char zero32[32];

    assert_true(nf <= 64);
    t->n = 0;
    t7_put(t, zero32, 32);
    for (int i = 0; i < nf; i++) {
        t7_put(t, c, cn);
        pack[i] = cn, us[i] = usize ? usize : dn;
    }
    t7_byte(&h, 0x01), t7_byte(&h, 0x04);
    t7_streams(&h, 0, nf, pack, us, props);
    t7_byte(&h, 0x00);
    size_t hdr_at = t->n;
    if (enc) {
        unsigned char *hc = t7_lzma(h.b, h.n, &hn, hp);
        uint64_t hpack = hn, hus = h.n;
        t7_put(t, hc, hn);
        hdr_at = t->n;
        struct t7z e = {NULL, 0, 0};
        t7_byte(&e, 0x17);
        t7_streams(&e, hdr_at - hn - 32, 1, &hpack, &hus, hp);
        t7_put(t, e.b, e.n);
        free(hc);
        free(h.b);
        h = e;
    } else
        t7_put(t, h.b, h.n);
    memcpy(t->b, "7z\xbc\xaf\x27\x1c\0\4", 8);
    for (int i = 0; i < 8; i++) {
        t->b[12 + i] = (unsigned char)((hdr_at - 32) >> (8 * i));
        t->b[20 + i] = (unsigned char)((uint64_t)h.n >> (8 * i));
    }
    free(h.b);
    free(c);
    *len = t->n;
    return t->b;
}

void sk_tz_7z_coder(unsigned char *a, size_t an, const void *id, size_t n)
{
    unsigned char *h = a + 32 + (a[12] | a[13] << 8 | a[14] << 16);

    assert_true(n >= 1 && n <= 4);
    for (unsigned char *q = h; q + 10 <= a + an; q++)
        if (memcmp(q, "\x23\3\1\1\5", 5) == 0) {
            /* the record keeps its 10 bytes: flags 0x20 | n, the id, then
             * the properties take what the id left */
            unsigned char rep[10] = {0};
            rep[0] = (unsigned char)(0x20 | n);
            memcpy(rep + 1, id, n);
            rep[1 + n] = (unsigned char)(8 - n);
            memcpy(q, rep, sizeof(rep));
        }
}

/* The start of a 7z (KIND 0), rar 5 (1) or rar 4 (2) archive at OUT: a
 * signature and the header 7-Zip and unrar check. Its length. */
size_t sk_tz_sfx_head(int kind, unsigned char *out)
{
    if (kind == 0) {
        memcpy(out, "7z\xbc\xaf\x27\x1c\0\4", 8);
        memset(out + 8, 0, 24);
        out[12] = 0x40, out[20] = 0x21, out[24] = 0x5a; /* next header: where, size, CRC */
        uLong c = crc32(0, out + 12, 20);
        for (int i = 0; i < 4; i++)
            out[8 + i] = (unsigned char)(c >> (8 * i));
        return 32;
    }
    if (kind == 1) {
        /* size 3: type 1 (main), flags 0, archive flags 0 */
        memcpy(out, "Rar!\x1a\x07\x01\0\0\0\0\0\x03\x01\0\0", 16);
        uLong c = crc32(0, out + 12, 4);
        for (int i = 0; i < 4; i++)
            out[8 + i] = (unsigned char)(c >> (8 * i));
        return 16;
    }
    /* CRC-16, type 0x73, flags, size 13, 6 reserved bytes */
    memcpy(out, "Rar!\x1a\x07\0\xcf\x90\x73\0\0\x0d\0\0\0\0\0\0\0", 20);
    return 20;
}

void sk_tz_fat_boot(unsigned char *img)
{
    img[0] = 0xeb, img[1] = 0x3c, img[2] = 0x90, img[12] = 2, img[13] = 1, img[14] = 1;
    img[16] = 2, img[21] = 0xf8, img[510] = 0x55, img[511] = 0xaa;
}

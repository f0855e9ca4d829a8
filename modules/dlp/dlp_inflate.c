/* dlp_inflate.c - bounded decompression: zlib inflate (gzip, zlib, raw
 * deflate) for Content-Encoding, .gz files and zip entries, and brotli for
 * Content-Encoding br when built with libbrotlidec.
 * SECURITY: decompression bombs: every output byte is charged to the
 * transaction's budget (ctx->budget); when it runs out decoding stops and
 * ctx->limit says the rest was not inspected. Corrupt compressed data makes
 * the decompressor sink pass the remaining bytes on as they are, so a false
 * Content-Encoding cannot hide plain text.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>
#ifdef SK_DLP_HAVE_BROTLI
#include <brotli/decode.h>
#endif

#include "dlp.h"

#define SK_ZOUT 16384

struct sk_dlp_inflate {
    struct sk_dlp_ctx *ctx;
    z_stream z;
    unsigned char out[SK_ZOUT];
};

static int sk_zbits(enum sk_dlp_zmode m)
{
    return m == SK_DLP_Z_GZIP ? 15 + 16 : m == SK_DLP_Z_RAW ? -15 : 15;
}

struct sk_dlp_inflate *sk_dlp_inflate_new(struct sk_dlp_ctx *ctx, enum sk_dlp_zmode m)
{
    struct sk_dlp_inflate *f = calloc(1, sizeof(*f));

    if (f == NULL)
        return NULL;
    f->ctx = ctx;
    if (inflateInit2(&f->z, sk_zbits(m)) != Z_OK) {
        free(f);
        return NULL;
    }
    return f;
}

void sk_dlp_inflate_reset(struct sk_dlp_inflate *f, enum sk_dlp_zmode m)
{
    inflateReset2(&f->z, sk_zbits(m));
}

void sk_dlp_inflate_free(struct sk_dlp_inflate *f)
{
    if (f == NULL)
        return;
    inflateEnd(&f->z);
    free(f);
}

/* Charge N output bytes; 0 when the budget is exhausted. */
static size_t sk_charge(struct sk_dlp_ctx *ctx, size_t n)
{
    if (n > ctx->budget) {
        n = (size_t)ctx->budget;
        ctx->limit = 1;
    }
    ctx->budget -= n;
    return n;
}

int sk_dlp_inflate_feed(struct sk_dlp_inflate *f, const unsigned char *p, size_t n, size_t *used,
                        struct sk_dlp_sink *out)
{
    int rc = Z_OK;

    f->z.next_in = (Bytef *)p;
    f->z.avail_in = (uInt)n;
    do {
        size_t got, ok;
        f->z.next_out = f->out;
        f->z.avail_out = SK_ZOUT;
        rc = inflate(&f->z, Z_NO_FLUSH);
        got = SK_ZOUT - f->z.avail_out;
        ok = sk_charge(f->ctx, got);
        if (sk_dlp_put(out, f->out, ok) == -1)
            return *used = n - f->z.avail_in, -2;
        if (ok < got) {
            *used = n;
            return 1;
        }
    } while ((rc == Z_OK && (f->z.avail_in > 0 || f->z.avail_out == 0)));
    *used = n - f->z.avail_in;
    if (rc == Z_STREAM_END)
        return 1;
    if (rc == Z_OK || rc == Z_BUF_ERROR)
        return 0;
    return rc == Z_MEM_ERROR ? -2 : -1;
}

/* ---- Content-Encoding / .gz decompressor sink ---- */
enum sk_dz_state { SK_DZ_START, SK_DZ_RUN, SK_DZ_RAW, SK_DZ_DONE };

struct sk_decomp {
    struct sk_dlp_sink sink;
    struct sk_dlp_ctx *ctx;
    struct sk_dlp_sink *next;
    enum sk_dz_state state;
    int gzip, deflate, br;
    struct sk_dlp_inflate *inf;
#ifdef SK_DLP_HAVE_BROTLI
    BrotliDecoderState *bro;
    unsigned char bout[SK_ZOUT];
#endif
};

#ifdef SK_DLP_HAVE_BROTLI
static int sk_brotli(struct sk_decomp *d, const unsigned char *p, size_t n)
{
    BrotliDecoderResult r;

    do {
        size_t avail_out = SK_ZOUT, got, ok;
        uint8_t *op = d->bout;
        r = BrotliDecoderDecompressStream(d->bro, &n, &p, &avail_out, &op, NULL);
        got = SK_ZOUT - avail_out;
        ok = sk_charge(d->ctx, got);
        if (sk_dlp_put(d->next, d->bout, ok) == -1)
            return -1;
        if (ok < got) {
            d->state = SK_DZ_DONE;
            return 0;
        }
    } while (r == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT);
    if (r == BROTLI_DECODER_RESULT_ERROR) {
        d->state = SK_DZ_RAW;
        return sk_dlp_put(d->next, p, n);
    }
    if (r == BROTLI_DECODER_RESULT_SUCCESS)
        d->state = SK_DZ_DONE;
    return 0;
}
#endif

static int sk_decomp_write(struct sk_dlp_sink *s, const unsigned char *p, size_t n)
{
    struct sk_decomp *d = (struct sk_decomp *)s;
    size_t used;
    int rc;

    while (n > 0) {
        switch (d->state) {
        case SK_DZ_START:
#ifdef SK_DLP_HAVE_BROTLI
            if (d->br) {
                d->state = SK_DZ_RUN;
                continue;
            }
#endif
            /* "deflate" is zlib-wrapped by the standard, raw in practice too */
            d->inf = sk_dlp_inflate_new(d->ctx, d->gzip    ? SK_DLP_Z_GZIP
                                                : d->deflate && (p[0] & 0x0f) == 8 ? SK_DLP_Z_ZLIB
                                                : d->deflate ? SK_DLP_Z_RAW
                                                             : SK_DLP_Z_GZIP);
            if (d->inf == NULL)
                return -1;
            d->state = SK_DZ_RUN;
            continue;
        case SK_DZ_RUN:
#ifdef SK_DLP_HAVE_BROTLI
            if (d->br)
                return sk_brotli(d, p, n);
#endif
            rc = sk_dlp_inflate_feed(d->inf, p, n, &used, d->next);
            if (rc == -2)
                return -1;
            p += used, n -= used;
            if (rc == -1) {
                d->state = SK_DZ_RAW; /* corrupt: inspect the rest as it is */
            } else if (rc == 1 && d->ctx->limit) {
                d->state = SK_DZ_DONE;
            } else if (rc == 1 && d->gzip && n > 0 && p[0] == 0x1f) {
                sk_dlp_inflate_reset(d->inf, SK_DLP_Z_GZIP); /* next gzip member */
            } else if (rc == 1) {
                d->state = SK_DZ_RAW; /* trailing bytes: inspect as they are */
            }
            continue;
        case SK_DZ_RAW:
            return sk_dlp_put(d->next, p, n);
        case SK_DZ_DONE:
            return 0;
        }
    }
    return 0;
}

static int sk_decomp_end(struct sk_dlp_sink *s)
{
    struct sk_decomp *d = (struct sk_decomp *)s;
    return d->next->end(d->next);
}

static void sk_decomp_destroy(struct sk_dlp_sink *s)
{
    struct sk_decomp *d = (struct sk_decomp *)s;

    sk_dlp_inflate_free(d->inf);
#ifdef SK_DLP_HAVE_BROTLI
    if (d->bro)
        BrotliDecoderDestroyInstance(d->bro);
#endif
    d->next->destroy(d->next);
    free(d);
}

struct sk_dlp_sink *sk_dlp_decompress_new(struct sk_dlp_ctx *ctx, const char *kind,
                                          struct sk_dlp_sink *next)
{
    struct sk_decomp *d = calloc(1, sizeof(*d));

    if (d == NULL) {
        next->destroy(next);
        return NULL;
    }
    d->sink = (struct sk_dlp_sink){.write = sk_decomp_write, .end = sk_decomp_end,
                                   .destroy = sk_decomp_destroy};
    d->ctx = ctx;
    d->next = next;
    d->gzip = strcasecmp(kind, "gzip") == 0 || strcasecmp(kind, "x-gzip") == 0;
    d->deflate = strcasecmp(kind, "deflate") == 0;
    d->br = strcasecmp(kind, "br") == 0;
    if (!d->gzip && !d->deflate && !d->br)
        d->state = SK_DZ_RAW; /* unknown coding: inspect as it is */
#ifdef SK_DLP_HAVE_BROTLI
    if (d->br && (d->bro = BrotliDecoderCreateInstance(NULL, NULL, NULL)) == NULL) {
        sk_decomp_destroy(&d->sink);
        return NULL;
    }
#else
    if (d->br)
        d->state = SK_DZ_RAW; /* not built with brotli: inspect as it is */
#endif
    return &d->sink;
}

/* vs_decode.c - Content-Encoding gzip / deflate / br decoding before the
 * scan, streaming, with bounded output: more than out_max bytes, or more
 * than floor + ratio x input, is reported as a limit (decompression bomb).
 * SECURITY: input is client/origin-controlled compressed data; the only
 * state kept is the decoder's own window and one fixed output buffer. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zlib.h>
#ifdef SK_VS_HAVE_BROTLI
#include <brotli/decode.h>
#endif

#include "vs_internal.h"

#define SK_VS_DECODE_CHUNK 65536

struct sk_vs_decoder {
    enum sk_vs_coding coding;
    uint64_t out_max, ratio, floor;
    uint64_t in_total, out_total;
    z_stream z;
    int z_ready;
    unsigned char hdr[2]; /* deflate: first bytes, to tell zlib from raw */
    size_t hdr_len;
    int done;      /* end of stream reached; the rest is ignored */
    int members;   /* gzip members completed */
#ifdef SK_VS_HAVE_BROTLI
    BrotliDecoderState *br;
#endif
    unsigned char out[SK_VS_DECODE_CHUNK];
};

/* Trim spaces and tabs around [s, s+n) in place of a copy. */
static int sk_vs_token_is(const char *s, size_t n, const char *tok)
{
    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    return n == strlen(tok) && strncasecmp(s, tok, n) == 0;
}

enum sk_vs_coding sk_vs_coding_parse(const char *ce)
{
    size_t n;

    if (!ce)
        return SK_VS_IDENTITY;
    n = strlen(ce);
    if (n == 0 || sk_vs_token_is(ce, n, "identity"))
        return SK_VS_IDENTITY;
    if (sk_vs_token_is(ce, n, "gzip") || sk_vs_token_is(ce, n, "x-gzip"))
        return SK_VS_GZIP;
    if (sk_vs_token_is(ce, n, "deflate"))
        return SK_VS_DEFLATE;
    if (sk_vs_token_is(ce, n, "br"))
        return SK_VS_BR;
    return SK_VS_UNKNOWN; /* including stacked codings ("gzip, br") */
}

int sk_vs_coding_supported(enum sk_vs_coding c)
{
#ifdef SK_VS_HAVE_BROTLI
    return c != SK_VS_UNKNOWN;
#else
    return c != SK_VS_UNKNOWN && c != SK_VS_BR;
#endif
}

static int sk_vs_z_init(struct sk_vs_decoder *d, int wbits)
{
    if (d->z_ready)
        inflateEnd(&d->z);
    memset(&d->z, 0, sizeof(d->z));
    d->z_ready = inflateInit2(&d->z, wbits) == Z_OK;
    return d->z_ready ? 0 : -1;
}

struct sk_vs_decoder *sk_vs_decoder_new(enum sk_vs_coding c, uint64_t out_max, uint64_t ratio,
                                        uint64_t floor)
{
    struct sk_vs_decoder *d;

    if (!sk_vs_coding_supported(c) || c == SK_VS_IDENTITY || !(d = calloc(1, sizeof(*d))))
        return NULL;
    d->coding = c;
    d->out_max = out_max;
    d->ratio = ratio;
    d->floor = floor;
    if (c == SK_VS_GZIP || c == SK_VS_DEFLATE) {
        /* gzip: header required. deflate is set up once two bytes tell a
         * zlib header (RFC 9110) from raw deflate (common in practice). */
        if (c == SK_VS_GZIP && sk_vs_z_init(d, 16 + MAX_WBITS) == -1) {
            free(d);
            return NULL;
        }
    }
#ifdef SK_VS_HAVE_BROTLI
    if (c == SK_VS_BR && !(d->br = BrotliDecoderCreateInstance(NULL, NULL, NULL))) {
        free(d);
        return NULL;
    }
#endif
    return d;
}

static enum sk_vs_decode_rc sk_vs_emit(struct sk_vs_decoder *d, size_t n, sk_vs_sink_fn sink,
                                       void *arg)
{
    if (n == 0)
        return SK_VS_DECODE_OK;
    d->out_total += n;
    if (d->out_total > d->out_max)
        return SK_VS_DECODE_LIMIT;
    if (d->ratio && d->out_total > d->floor &&
        (d->out_total - d->floor) / d->ratio > d->in_total)
        return SK_VS_DECODE_LIMIT;
    return sink(arg, d->out, n) == 0 ? SK_VS_DECODE_OK : SK_VS_DECODE_FAIL;
}

static enum sk_vs_decode_rc sk_vs_feed_zlib(struct sk_vs_decoder *d, const void *buf,
                                            size_t len, sk_vs_sink_fn sink, void *arg)
{
    const unsigned char *in = buf;

    while (len > 0 && !d->done) {
        uInt take = len > (1u << 30) ? (1u << 30) : (uInt)len;
        d->z.next_in = (Bytef *)in;
        d->z.avail_in = take;
        do {
            d->z.next_out = d->out;
            d->z.avail_out = sizeof(d->out);
            int zr = inflate(&d->z, Z_NO_FLUSH);
            size_t got = sizeof(d->out) - d->z.avail_out;
            if (zr == Z_DATA_ERROR && d->members > 0) {
                d->done = 1; /* garbage after a complete member: ignored */
                break;
            }
            if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
                return zr == Z_MEM_ERROR ? SK_VS_DECODE_FAIL : SK_VS_DECODE_CORRUPT;
            enum sk_vs_decode_rc rc = sk_vs_emit(d, got, sink, arg);
            if (rc != SK_VS_DECODE_OK)
                return rc;
            if (zr == Z_STREAM_END) {
                d->members++;
                /* gzip allows concatenated members; anything else after
                 * the end is trailing garbage that browsers ignore */
                if (d->coding == SK_VS_GZIP && d->z.avail_in > 0 && inflateReset(&d->z) == Z_OK)
                    continue;
                d->done = 1;
                break;
            }
            if (zr == Z_BUF_ERROR && got == 0)
                break;
        } while (d->z.avail_in > 0 || d->z.avail_out == 0);
        in += take;
        len -= take;
    }
    return SK_VS_DECODE_OK;
}

#ifdef SK_VS_HAVE_BROTLI
static enum sk_vs_decode_rc sk_vs_feed_br(struct sk_vs_decoder *d, const void *buf, size_t len,
                                          sk_vs_sink_fn sink, void *arg)
{
    const uint8_t *in = buf;
    size_t avail_in = len;

    while (!d->done) {
        uint8_t *out = d->out;
        size_t avail_out = sizeof(d->out);
        BrotliDecoderResult r =
            BrotliDecoderDecompressStream(d->br, &avail_in, &in, &avail_out, &out, NULL);
        enum sk_vs_decode_rc rc = sk_vs_emit(d, sizeof(d->out) - avail_out, sink, arg);
        if (rc != SK_VS_DECODE_OK)
            return rc;
        if (r == BROTLI_DECODER_RESULT_ERROR)
            return SK_VS_DECODE_CORRUPT;
        if (r == BROTLI_DECODER_RESULT_SUCCESS)
            d->done = 1;
        else if (r == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT)
            break;
    }
    return SK_VS_DECODE_OK;
}
#endif

enum sk_vs_decode_rc sk_vs_decoder_feed(struct sk_vs_decoder *d, const void *buf, size_t len,
                                        int eof, sk_vs_sink_fn sink, void *arg)
{
    (void)eof; /* a truncated stream is scanned as far as it decodes */
    d->in_total += len;
    if (len == 0 || d->done)
        return SK_VS_DECODE_OK;
#ifdef SK_VS_HAVE_BROTLI
    if (d->coding == SK_VS_BR)
        return sk_vs_feed_br(d, buf, len, sink, arg);
#endif
    if (d->coding == SK_VS_DEFLATE && !d->z_ready) {
        const unsigned char *p = buf;
        size_t take = len < 2 - d->hdr_len ? len : 2 - d->hdr_len;
        memcpy(d->hdr + d->hdr_len, p, take);
        d->hdr_len += take;
        if (d->hdr_len < 2)
            return SK_VS_DECODE_OK;
        int zlib = (d->hdr[0] & 0x0f) == 8 && ((d->hdr[0] << 8) | d->hdr[1]) % 31 == 0;
        if (sk_vs_z_init(d, zlib ? MAX_WBITS : -MAX_WBITS) == -1)
            return SK_VS_DECODE_FAIL;
        enum sk_vs_decode_rc rc = sk_vs_feed_zlib(d, d->hdr, 2, sink, arg);
        if (rc != SK_VS_DECODE_OK)
            return rc;
        return sk_vs_feed_zlib(d, p + take, len - take, sink, arg);
    }
    return sk_vs_feed_zlib(d, buf, len, sink, arg);
}

void sk_vs_decoder_free(struct sk_vs_decoder *d)
{
    if (!d)
        return;
    if (d->z_ready)
        inflateEnd(&d->z);
#ifdef SK_VS_HAVE_BROTLI
    if (d->br)
        BrotliDecoderDestroyInstance(d->br);
#endif
    free(d);
}

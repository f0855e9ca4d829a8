/* sk_fuzz_decode.h - what the decoder targets share (fuzz_decode: coding
 * chains; fuzz_packed: compressed files): a run of the core decoder under
 * a chunk schedule, its output in a toolkit buffer. */
#ifndef SK_FUZZ_DECODE_H
#define SK_FUZZ_DECODE_H

#include <string.h>

#include <brotli/decode.h>
#include <bzlib.h>
#include <lz4frame.h>
#include <zlib.h>
#include <zstd.h>

#include <sekisho/decode.h>

#include "sk_fuzz.h"

/* The decoder's sink: the output goes to a toolkit buffer. */
static int sk_fuzz_sink(void *arg, const void *buf, size_t len)
{
    return len ? sk_buf_append(arg, buf, len) : 0;
}

/* The result of a run: LIMIT or FAIL (they stop the decoder) over
 * CORRUPT. A call returns the weightiest thing that happened in it, so a
 * corrupt gzip trailer whose raw remainder then crosses out_max is LIMIT
 * when fed whole, but CORRUPT then LIMIT when the error ends a write. */
static enum sk_decode_rc sk_fuzz_worse(enum sk_decode_rc worst, enum sk_decode_rc rc)
{
    if (rc == SK_DECODE_LIMIT || rc == SK_DECODE_FAIL)
        return worst == SK_DECODE_OK || worst == SK_DECODE_CORRUPT ? rc : worst;
    return rc == SK_DECODE_CORRUPT && worst == SK_DECODE_OK ? rc : worst;
}

/* D[0..N) through chain CH (output at most OUT_MAX) into O. Seed 0: the
 * whole body with EOF in one call (cli_catfetch, or a small body c-icap
 * read at once); else chunks by SEED, then EOF alone. */
static enum sk_decode_rc sk_fuzz_decode_chain(const struct sk_coding_chain *ch, const uint8_t *d,
                                              size_t n, unsigned seed, uint64_t out_max,
                                              struct sk_buf *o)
{
    struct sk_decode_limits lim = {.out_max = out_max};
    enum sk_decode_rc worst = SK_DECODE_OK;
    struct sk_decoder *dec;

    SK_FUZZ_CHECK((dec = sk_decoder_new(ch, &lim)) != NULL, "decoder");
    for (size_t off = 0, i = 0, c; off < n; off += c, i++) {
        c = seed == 0 ? n - off : 1 + (seed * 7 + i * 13) % 97;
        if (c > n - off)
            c = n - off;
        worst = sk_fuzz_worse(worst, sk_decoder_feed(dec, d + off, c, seed == 0, sk_fuzz_sink, o));
    }
    if (seed != 0 || n == 0)
        worst = sk_fuzz_worse(worst, sk_decoder_feed(dec, NULL, 0, 1, sk_fuzz_sink, o));
    sk_decoder_free(dec);
    return worst;
}

/* The coding's own library decoding D[0..N) in one pass, to at most
 * MAX + 1 bytes into O: 1 when it took every byte and every stream
 * ended cleanly (gzip members, bzip2 streams, zstd and lz4 frames one
 * after another; one zlib or raw deflate stream, one br stream), so our
 * layer must say OK with the same bytes, or LIMIT at exactly MAX when the
 * library got more. 0 otherwise (corrupt, cut, trailing bytes: our layer
 * has its own rules there). DEFLATE: zlib's header when the first two
 * bytes are one (our layer's rule, sk_stage_start), raw deflate else. */
static int sk_fuzz_ref_clean(enum sk_coding c, const uint8_t *d, size_t n, size_t max,
                             struct sk_buf *o)
{
    static uint8_t buf[16384];
    int clean = 0;

    if (n == 0)
        return 0;
    if (c == SK_CODING_GZIP || c == SK_CODING_DEFLATE) {
        z_stream z;
        int bits =
            c == SK_CODING_GZIP ? 16 + MAX_WBITS
            : n >= 2 && (d[0] & 0x0f) == 8 && (d[0] >> 4) <= 7 && ((d[0] << 8) | d[1]) % 31 == 0
                ? MAX_WBITS
                : -MAX_WBITS;
        memset(&z, 0, sizeof(z));
        if (inflateInit2(&z, bits) != Z_OK)
            return 0;
        z.next_in = (Bytef *)d, z.avail_in = (uInt)n;
        for (;;) {
            z.next_out = buf, z.avail_out = sizeof(buf);
            int rc = inflate(&z, Z_NO_FLUSH);
            sk_fuzz_put(o, buf, sizeof(buf) - z.avail_out);
            if (o->len > max) {
                clean = 1;
                break;
            }
            if (rc == Z_STREAM_END && z.avail_in == 0) {
                clean = 1;
                break;
            }
            if (rc == Z_STREAM_END && c == SK_CODING_GZIP && z.avail_in >= 2 &&
                z.next_in[0] == 0x1f && z.next_in[1] == 0x8b) {
                inflateReset(&z);
                continue;
            }
            if (rc != Z_OK)
                break;
        }
        inflateEnd(&z);
    } else if (c == SK_CODING_BR) {
        BrotliDecoderState *b = BrotliDecoderCreateInstance(NULL, NULL, NULL);
        const uint8_t *in = d;
        size_t avail_in = n;
        BrotliDecoderResult r;
        if (!b)
            return 0;
        do {
            uint8_t *op = buf;
            size_t avail = sizeof(buf);
            r = BrotliDecoderDecompressStream(b, &avail_in, &in, &avail, &op, NULL);
            sk_fuzz_put(o, buf, sizeof(buf) - avail);
        } while (r == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT && o->len <= max);
        clean = o->len > max || (r == BROTLI_DECODER_RESULT_SUCCESS && avail_in == 0);
        BrotliDecoderDestroyInstance(b);
    } else if (c == SK_CODING_ZSTD) {
        ZSTD_DCtx *z = ZSTD_createDCtx();
        ZSTD_inBuffer in = {d, n, 0};
        size_t r = 1;
        if (!z ||
            ZSTD_isError(ZSTD_DCtx_setParameter(z, ZSTD_d_windowLogMax, SK_ZSTD_WINDOW_LOG))) {
            ZSTD_freeDCtx(z);
            return 0;
        }
        for (;;) {
            ZSTD_outBuffer out = {buf, sizeof(buf), 0};
            size_t before = in.pos;
            r = ZSTD_decompressStream(z, &out, &in);
            sk_fuzz_put(o, buf, out.pos);
            if (ZSTD_isError(r) || o->len > max)
                break;
            if (in.pos == n && out.pos < out.size)
                break;
            if (in.pos == before && out.pos == 0)
                break;
        }
        clean = o->len > max || (!ZSTD_isError(r) && r == 0 && in.pos == n);
        ZSTD_freeDCtx(z);
    } else if (c == SK_CODING_BZIP2) {
        bz_stream bz;
        size_t pos = 0;
        for (;;) {
            int r;
            memset(&bz, 0, sizeof(bz));
            if (BZ2_bzDecompressInit(&bz, 0, 0) != BZ_OK)
                return 0;
            bz.next_in = (char *)(uintptr_t)(d + pos);
            bz.avail_in = (unsigned)(n - pos);
            do {
                bz.next_out = (char *)buf, bz.avail_out = sizeof(buf);
                r = BZ2_bzDecompress(&bz);
                sk_fuzz_put(o, buf, sizeof(buf) - bz.avail_out);
            } while (r == BZ_OK && o->len <= max && (bz.avail_in > 0 || bz.avail_out == 0));
            pos = n - bz.avail_in;
            BZ2_bzDecompressEnd(&bz);
            if (o->len > max) {
                clean = 1;
                break;
            }
            if (r != BZ_STREAM_END)
                break;
            if (pos == n) {
                clean = 1;
                break;
            }
            if (n - pos < 2 || d[pos] != 'B' || d[pos + 1] != 'Z')
                break; /* trailing bytes */
        }
    } else if (c == SK_CODING_LZ4) {
        /* our layer drops what the call that fails decoded (it says
         * CORRUPT), so no LIMIT is expected before the end: the whole
         * input is decoded, only the first MAX + 1 bytes kept */
        LZ4F_dctx *x;
        size_t pos = 0, r = 1;
        if (LZ4F_isError(LZ4F_createDecompressionContext(&x, LZ4F_VERSION)))
            return 0;
        for (;;) {
            size_t in = n - pos, out = sizeof(buf);
            size_t rr = LZ4F_decompress(x, buf, &out, d + pos, &in, NULL);
            if (LZ4F_isError(rr) || (in == 0 && out == 0)) {
                r = LZ4F_isError(rr) ? rr
                                     : r; /* else: the hint of the last step that did something */
                break;
            }
            r = rr, pos += in;
            if (o->len <= max)
                sk_fuzz_put(o, buf, out < max + 1 - o->len ? out : max + 1 - o->len);
        }
        clean = !LZ4F_isError(r) && r == 0 && pos == n;
        LZ4F_freeDecompressionContext(x);
    }
    return clean;
}

/* Our layer against a clean reference decode (sk_fuzz_ref_clean): result
 * A over output W, the library's REF, limit MAX. */
static void sk_fuzz_ref_agree(const char *what, enum sk_decode_rc a, const struct sk_buf *w,
                              const struct sk_buf *ref, size_t max)
{
    size_t m = ref->len < w->len ? ref->len : w->len;

    SK_FUZZ_CHECK(ref->len > max ? a == SK_DECODE_LIMIT && w->len == max
                                 : a == SK_DECODE_OK && w->len == ref->len,
                  "%s: the library decodes it cleanly (%zu bytes), our result %d with %zu bytes",
                  what, ref->len, a, w->len);
    SK_FUZZ_CHECK(m == 0 || memcmp(ref->data, w->data, m) == 0,
                  "%s: the library's bytes and ours differ", what);
}

#endif

/* fuzz_decode.c - libFuzzer target for the core Content-Encoding decoder
 * (icap-server/core/sk_decode.c): coding lists, gzip members, zlib/raw
 * deflate, br, zstd, chunked framing, chains. Input: one control byte (chain, chunk schedule),
 * then the encoded body.
 * Oracles: (1) zlib's own gunzip: every byte it gets out of a gzip body
 * (member after member, as gzip -d does) is what our layer emits first;
 * and a gzip, deflate, br or zstd body that its library decodes whole and
 * cleanly is OK for us with the same bytes (LIMIT at exactly out_max);
 * (2) the chunk schedule - a client's choice - changes neither the result
 * nor the output (except the partial output of a corrupt br stream); the
 * whole body goes in with EOF in the same call, the chunks are followed by
 * an empty EOF call: both ways the server ends a body. */
#include <string.h>
#include <zlib.h>

#include <sekisho/decode.h>

#include "sk_fuzz_decode.h"

#define SK_FUZZ_OUT_MAX                                                                            \
    (1u << 20) /* the decoder's limit (a bomb reaches it fast); zlib's run goes past it */

static const char *const sk_fuzz_chains[16] = {
    "gzip",          "x-gzip",     "deflate",          "br",       "identity, gzip",
    "gzip, deflate", "br, gzip",   "deflate, chunked", /* HTTP/1.1 framing left in a body, then
                                                          raw/zlib deflate */
    "zstd",          "zstd, gzip", "gzip, zstd",       "br, zstd", "zstd, chunked",
    "x-gzip, zstd",  "zstd, br",   "zstd, deflate",
};

static enum sk_decode_rc sk_fuzz_decode(const char *ce, const uint8_t *d, size_t n, unsigned seed,
                                        struct sk_buf *o)
{
    struct sk_coding_chain ch;

    SK_FUZZ_CHECK(sk_coding_parse(ce, &ch, NULL, 0) == 0, "chain %s", ce);
    return sk_fuzz_decode_chain(&ch, d, n, seed, SK_FUZZ_OUT_MAX, o);
}

/* zlib's gunzip of D, member after member (NUL padding between them
 * skipped), up to the first error. */
static void sk_fuzz_gunzip(const uint8_t *d, size_t n, struct sk_buf *o)
{
    z_stream z;
    unsigned char buf[16384];

    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
        return;
    z.next_in = (Bytef *)d;
    z.avail_in = (uInt)n;
    for (;;) {
        z.next_out = buf;
        z.avail_out = sizeof(buf);
        int rc = inflate(&z, Z_NO_FLUSH);
        sk_fuzz_sink(o, buf, sizeof(buf) - z.avail_out);
        /* NULs between members: skipped, as Python's gzip does */
        while (rc == Z_STREAM_END && z.avail_in > 0 && z.next_in[0] == 0)
            z.next_in++, z.avail_in--;
        if (rc == Z_STREAM_END && z.avail_in >= 2 && z.next_in[0] == 0x1f && z.next_in[1] == 0x8b) {
            inflateReset(&z);
            continue;
        }
        if (rc != Z_OK || o->len > SK_FUZZ_OUT_MAX)
            break;
    }
    inflateEnd(&z);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sk_buf whole = {0}, parts = {0}, ref = {0};
    const char *ce;
    enum sk_decode_rc a, b;
    unsigned seed;

    if (size < 1)
        return 0;
    ce = sk_fuzz_chains[data[0] & 15];
    seed = 1 + (data[0] >> 4);
    a = sk_fuzz_decode(ce, data + 1, size - 1, 0, &whole);
    b = sk_fuzz_decode(ce, data + 1, size - 1, seed, &parts);
    SK_FUZZ_CHECK(a == b, "%s: result %d whole, %d in chunks (seed %u)", ce, a, b, seed);
    /* Corrupt br or zstd: libbrotli flushes its window to the output when
     * input runs out, libzstd keeps a partial block, so what came out (and
     * the raw rest) around the error depends on the chunks. The result
     * (CORRUPT: the caller's on-error verdict) must not. */
    SK_FUZZ_CHECK((a == SK_DECODE_CORRUPT && (strstr(ce, "br") || strstr(ce, "zstd"))) ||
                      (whole.len == parts.len &&
                       (whole.len == 0 || memcmp(whole.data, parts.data, whole.len) == 0)),
                  "%s: %zu bytes whole, %zu in chunks (seed %u)", ce, whole.len, parts.len, seed);
    if ((data[0] & 15) <= 1) { /* one gzip stage */
        size_t n;
        sk_fuzz_gunzip(data + 1, size - 1, &ref);
        n = ref.len < whole.len ? ref.len : whole.len;
        SK_FUZZ_CHECK(n == 0 || memcmp(ref.data, whole.data, n) == 0,
                      "gzip: zlib got %zu bytes, our layer %zu, they differ", ref.len, whole.len);
        /* a bomb is cut at exactly out_max bytes (trailing or corrupt
         * bytes passed on as they are may make some of them) */
        SK_FUZZ_CHECK(a == SK_DECODE_LIMIT ? whole.len == SK_FUZZ_OUT_MAX : ref.len <= whole.len,
                      "gzip: result %d, zlib got %zu bytes, our layer %zu", a, ref.len, whole.len);
    }
    /* one stage its own library decodes cleanly: OK with its bytes */
    static const enum sk_coding one[16] = {[0] = SK_CODING_GZIP,
                                           [1] = SK_CODING_GZIP,
                                           [2] = SK_CODING_DEFLATE,
                                           [3] = SK_CODING_BR,
                                           [8] = SK_CODING_ZSTD};
    struct sk_buf lib = {0};
    if (one[data[0] & 15] &&
        sk_fuzz_ref_clean(one[data[0] & 15], data + 1, size - 1, SK_FUZZ_OUT_MAX, &lib))
        sk_fuzz_ref_agree(ce, a, &whole, &lib, SK_FUZZ_OUT_MAX);
    sk_buf_free(&whole), sk_buf_free(&parts), sk_buf_free(&ref), sk_buf_free(&lib);
    return 0;
}

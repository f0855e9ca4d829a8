/* fuzz_dlp_body.c - libFuzzer target for the DLP request-body pipeline as
 * the module builds it (modules/dlp/dlp_body.c: sk_dlp_body_new): the
 * Content-Encoding chain, multipart parts by their own Content-Type and
 * file name, objects sniffed by their first bytes (zip, gzip), the
 * declared-type decoders (form, JSON, XML) and the charset normaliser.
 * Input: one control byte (chunk schedule; high bit clear: a budget of a
 * few KiB), a Content-Type line, a Content-Encoding line, then the body;
 * both header values are client bytes too.
 * Oracles: chunking does not change what is found, what is counted as
 * encrypted or skipped, or the budget and error verdicts; a body sent
 * without a Content-Encoding (and the full budget) is read the same when
 * it comes gzip-compressed with "Content-Encoding: gzip" (a coding is a
 * client's choice too: what it hides would be a bypass); a run with
 * every filter built for small objects reads exactly as the normal one
 * (the filters sk_dlp_object_new leaves out of an object of a few bytes),
 * its dlp.on-error reasons too. */
#include <zlib.h>

#include "sk_fuzz_dlp.h"

struct sk_fuzz_body_hdrs {
    const char *ct, *ce;
};

static struct sk_dlp_sink *sk_fuzz_body(struct sk_dlp_ctx *ctx, const void *arg)
{
    const struct sk_fuzz_body_hdrs *h = arg;

    return sk_dlp_body_new(ctx, h->ct, h->ce);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sk_fuzz_dlp_result whole, parts;
    struct sk_fuzz_body_hdrs h;
    const uint8_t *nl1, *nl2, *body;
    char *ct, *ce;
    uint64_t budget;
    unsigned seed;

    if (size < 1 || !(nl1 = memchr(data + 1, '\n', size - 1)) ||
        !(nl2 = memchr(nl1 + 1, '\n', size - (size_t)(nl1 + 1 - data))))
        return 0;
    seed = 1 + data[0];
    budget = sk_fuzz_dlp_budget(data[0]);
    /* exact-size copies: a read past a header value's NUL is an ASan finding */
    ct = sk_fuzz_cstr(data + 1, (size_t)(nl1 - data - 1));
    ce = sk_fuzz_cstr(nl1 + 1, (size_t)(nl2 - nl1 - 1));
    body = nl2 + 1;
    if (ct && ce) {
        h.ct = *ct ? ct : NULL; /* no Content-Type header */
        h.ce = *ce ? ce : NULL;
        sk_fuzz_dlp_run(sk_fuzz_body, &h, body, size - (size_t)(body - data), 0, budget, &whole);
        sk_fuzz_dlp_run(sk_fuzz_body, &h, body, size - (size_t)(body - data), seed, budget, &parts);
        sk_fuzz_dlp_same(&whole, &parts, seed);
        struct sk_fuzz_dlp_result every;
        sk_fuzz_dlp_every = 1;
        sk_fuzz_dlp_run(sk_fuzz_body, &h, body, size - (size_t)(body - data), 0, budget, &every);
        sk_fuzz_dlp_every = 0;
        sk_fuzz_dlp_same(&whole, &every, 0);
        SK_FUZZ_CHECK(whole.undecodable == every.undecodable,
                      "undecodable %u, %u with every filter", whole.undecodable, every.undecodable);
        size_t n = size - (size_t)(body - data);
        if (!h.ce && (data[0] & 0x80) && n > 0 && n <= 16384) {
            struct sk_fuzz_dlp_result gz;
            uLongf zn = compressBound(n) + 32;
            unsigned char *z = malloc(zn);
            z_stream zs = {0};
            SK_FUZZ_CHECK(z && deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
                                            Z_DEFAULT_STRATEGY) == Z_OK,
                          "zlib");
            zs.next_in = (Bytef *)(uintptr_t)body, zs.avail_in = (uInt)n;
            zs.next_out = z, zs.avail_out = (uInt)zn;
            SK_FUZZ_CHECK(deflate(&zs, Z_FINISH) == Z_STREAM_END, "gzip");
            h.ce = "gzip";
            sk_fuzz_dlp_run(sk_fuzz_body, &h, z, zs.total_out, seed, budget, &gz);
            deflateEnd(&zs);
            free(z);
            sk_fuzz_dlp_same(&whole, &gz, seed);
        }
    }
    free(ct), free(ce);
    return 0;
}

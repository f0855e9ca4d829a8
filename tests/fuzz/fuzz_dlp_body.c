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
 * its dlp.on-error reasons too; and a small text or form body read as a
 * URL's path or query is (sk_dlp_read_whole: plain bytes straight into the
 * engine, anything else through the chain) reads as through the chain. */
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

/* A URL's path or query: the bytes gathered, then read in one piece
 * (sk_dlp_read_whole) at the end. ARG: the type. */
struct sk_fuzz_whole {
    struct sk_dlp_sink sink;
    struct sk_dlp_ctx *ctx;
    const char *ct;
    unsigned char buf[512];
    size_t n;
};

static int sk_fuzz_whole_write(struct sk_dlp_sink *s, const unsigned char *p, size_t n)
{
    struct sk_fuzz_whole *w = (struct sk_fuzz_whole *)s;

    SK_FUZZ_CHECK(n <= sizeof(w->buf) - w->n, "a piece over %zu bytes", sizeof(w->buf));
    memcpy(w->buf + w->n, p, n), w->n += n;
    return 0;
}

static int sk_fuzz_whole_end(struct sk_dlp_sink *s)
{
    struct sk_fuzz_whole *w = (struct sk_fuzz_whole *)s;

    return sk_dlp_read_whole(w->ctx, w->ct, "URL query", w->buf, w->n) == -1 ? -1 : 0;
}

static void sk_fuzz_whole_destroy(struct sk_dlp_sink *s)
{
    free(s);
}

static struct sk_dlp_sink *sk_fuzz_whole(struct sk_dlp_ctx *ctx, const void *arg)
{
    struct sk_fuzz_whole *w = calloc(1, sizeof(*w));

    if (w) {
        w->sink = (struct sk_dlp_sink){.write = sk_fuzz_whole_write,
                                       .end = sk_fuzz_whole_end,
                                       .destroy = sk_fuzz_whole_destroy};
        w->ctx = ctx, w->ct = arg;
    }
    return w ? &w->sink : NULL;
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
        if (!h.ce && n <= 512 && h.ct &&
            (strcmp(h.ct, "text/plain") == 0 ||
             strcmp(h.ct, "application/x-www-form-urlencoded") == 0)) {
            struct sk_fuzz_dlp_result plain, chain;
            sk_fuzz_dlp_run(sk_fuzz_whole, h.ct, body, n, 0, budget, &plain);
            sk_fuzz_dlp_every = 1;
            sk_fuzz_dlp_run(sk_fuzz_whole, h.ct, body, n, 0, budget, &chain);
            sk_fuzz_dlp_every = 0;
            sk_fuzz_dlp_same(&plain, &chain, 0);
            SK_FUZZ_CHECK(plain.undecodable == chain.undecodable,
                          "read whole: undecodable %u, %u through the chain", plain.undecodable,
                          chain.undecodable);
        }
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

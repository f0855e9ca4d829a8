/* fuzz_dlp_formats.c - libFuzzer target for the DLP text extractors
 * (modules/dlp/dlp_formats.c, dlp_dirtext.c): x-www-form-urlencoded, JSON,
 * XML, iCalendar/vCard walkers.
 * Input: one control byte (walker, chunk schedule), then the body.
 * Oracles: the extracted text is the same byte for byte whatever the
 * chunking; end() reaches the next stage exactly once; the text is never
 * longer than what the body could yield (4 bytes of UTF-8 per input byte,
 * and per byte XML entities expand to). */
#include "sk_fuzz_dlp.h"

/* Next stage that keeps what it is given. */
struct sk_fuzz_capture {
    struct sk_dlp_sink sink;
    unsigned char *buf;
    size_t len, cap;
    int ends;
};

static int sk_fuzz_capture_write(struct sk_dlp_sink *s, const unsigned char *p, size_t n)
{
    struct sk_fuzz_capture *c = (struct sk_fuzz_capture *)s;

    SK_FUZZ_CHECK(c->ends == 0, "write after end");
    if (c->len + n > c->cap) {
        size_t cap = (c->len + n) * 2;
        unsigned char *b = realloc(c->buf, cap);
        if (b == NULL)
            return -1;
        c->buf = b;
        c->cap = cap;
    }
    memcpy(c->buf + c->len, p, n);
    c->len += n;
    return 0;
}

static int sk_fuzz_capture_end(struct sk_dlp_sink *s)
{
    ((struct sk_fuzz_capture *)s)->ends++;
    return 0;
}

static void sk_fuzz_capture_destroy(struct sk_dlp_sink *s)
{
    (void)s; /* owned by the target, read after the walker is gone */
}

typedef struct sk_dlp_sink *(*sk_fuzz_walker_fn)(struct sk_dlp_sink *next);

static struct sk_dlp_sink *sk_fuzz_xml_new(struct sk_dlp_sink *next)
{
    return sk_dlp_xml_new(NULL, next);
}

static void sk_fuzz_walk(sk_fuzz_walker_fn make, const uint8_t *data, size_t size, unsigned seed,
                         struct sk_fuzz_capture *c)
{
    struct sk_dlp_sink *w;

    *c = (struct sk_fuzz_capture){.sink = {.write = sk_fuzz_capture_write,
                                           .end = sk_fuzz_capture_end,
                                           .destroy = sk_fuzz_capture_destroy}};
    SK_FUZZ_CHECK((w = make(&c->sink)) != NULL, "walker");
    sk_fuzz_feed(w, data, size, seed);
    w->destroy(w);
    SK_FUZZ_CHECK(c->ends == 1, "next stage ended %d times", c->ends);
    /* XML entities expand to at most 1 MiB more bytes read (no context) */
    SK_FUZZ_CHECK(c->len <= 4 * (size + (make == sk_fuzz_xml_new ? 1u << 20 : 0)),
                  "%zu bytes of text from %zu", c->len, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const sk_fuzz_walker_fn walkers[] = {sk_dlp_urlenc_new, sk_dlp_json_new, sk_fuzz_xml_new,
                                                sk_dlp_dirtext_new};
    const unsigned nw = sizeof(walkers) / sizeof(walkers[0]);
    struct sk_fuzz_capture whole, parts;
    sk_fuzz_walker_fn make;
    unsigned seed;

    if (size < 1)
        return 0;
    make = walkers[data[0] % nw];
    seed = 1 + data[0] / nw;
    sk_fuzz_walk(make, data + 1, size - 1, 0, &whole);
    sk_fuzz_walk(make, data + 1, size - 1, seed, &parts);
    SK_FUZZ_CHECK(whole.len == parts.len &&
                      (whole.len == 0 || memcmp(whole.buf, parts.buf, whole.len) == 0),
                  "walker %u: %zu bytes whole, %zu in chunks (seed %u)", data[0] % nw, whole.len,
                  parts.len, seed);
    free(whole.buf);
    free(parts.buf);
    return 0;
}

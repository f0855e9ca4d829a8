/* fuzz_multipart.c - libFuzzer target for the core multipart parser
 * (icap-server/core/sk_multipart.c), its message reader and the boundary
 * parameter parser. Input: one control byte (chunk schedule), then a
 * Content-Type line, a newline, and the body: read as a multipart when the
 * line gives a boundary, else as a mail message (sk_mp_new_message; and
 * sk_mp_message_like on its first bytes), or as an mbox (sk_mp_new_mbox)
 * when the control byte's high bit is set.
 * Oracle: the chunk schedule - a client's choice - changes nothing in the
 * sequence of objects (kind, depth, type, file name) and their bytes. */
#include <string.h>

#include <sekisho/decode.h>

#include "sk_fuzz.h"

static int sk_fuzz_begin(void *arg, const struct sk_mp_part *p)
{
    char h[64];
    int n = snprintf(h, sizeof(h), "<%d:%d:%d:", (int)p->kind, p->depth, p->malformed);
    sk_fuzz_put(arg, h, (size_t)n);
    sk_fuzz_put(arg, p->content_type, strlen(p->content_type));
    sk_fuzz_put(arg, "|", 1);
    return sk_fuzz_put(arg, p->filename, strlen(p->filename));
}

static int sk_fuzz_data(void *arg, const void *buf, size_t len)
{
    return sk_fuzz_put(arg, buf, len);
}

static int sk_fuzz_end(void *arg)
{
    return sk_fuzz_put(arg, ">", 1);
}

static void sk_fuzz_parse(const char *boundary, int mbox, const uint8_t *d, size_t n, unsigned seed,
                          struct sk_buf *l)
{
    struct sk_mp_handler h = {sk_fuzz_begin, sk_fuzz_data, sk_fuzz_end, l, NULL};
    struct sk_mp *m = boundary ? sk_mp_new(boundary, &h)
                      : mbox   ? sk_mp_new_mbox(&h)
                               : sk_mp_new_message(&h);

    SK_FUZZ_CHECK(m != NULL, "parser");
    for (size_t off = 0, i = 0, c; off < n; off += c, i++) {
        c = seed == 0 ? n - off : 1 + (seed * 5 + i * 11) % 67;
        if (c > n - off)
            c = n - off;
        SK_FUZZ_CHECK(sk_mp_write(m, d + off, c) == 0, "write");
    }
    SK_FUZZ_CHECK(sk_mp_end(m) == 0, "end");
    sk_mp_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char boundary[SK_MP_BOUNDARY_MAX + 1];
    struct sk_buf whole = {0}, parts = {0};
    const uint8_t *nl;
    char *ct;
    unsigned seed;

    if (size < 2 || !(nl = memchr(data + 1, '\n', size - 1)))
        return 0;
    seed = 1 + data[0];
    /* exactly the header's bytes: a read past its NUL is an ASan finding */
    ct = sk_fuzz_cstr(data + 1, (size_t)(nl - data - 1));
    if (ct) {
        size_t n = size - (size_t)(nl + 1 - data);
        const char *b = sk_mp_boundary(ct, boundary, sizeof(boundary)) == 0 ? boundary : NULL;
        if (!b)
            (void)sk_mp_message_like(nl + 1, n < 512 ? n : 512);
        sk_fuzz_parse(b, data[0] >> 7, nl + 1, n, 0, &whole);
        sk_fuzz_parse(b, data[0] >> 7, nl + 1, n, seed, &parts);
        SK_FUZZ_CHECK(whole.len == parts.len &&
                          (whole.len == 0 || memcmp(whole.data, parts.data, whole.len) == 0),
                      "objects differ with chunking (seed %u)", seed);
    }
    free(ct), sk_buf_free(&whole), sk_buf_free(&parts);
    return 0;
}

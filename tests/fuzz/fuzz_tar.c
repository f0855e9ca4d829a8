/* fuzz_tar.c - libFuzzer target for the tar reader of `category fetch`
 * (icap-server/core/sk_tar.c). Input: one control byte (chunk schedule),
 * then the archive bytes as downloaded.
 * Oracles: the chunk schedule changes neither the entries (name, type,
 * size), their bytes nor the result; an entry's data never exceeds its
 * declared size, and a whole entry delivers exactly that size; the data
 * delivered never exceeds the input. */
#include <string.h>

#include <sekisho/decode.h>
#include "sk_fuzz.h"

struct sk_fuzz_log {
    struct sk_buf b; /* first: the callbacks hand ARG to sk_fuzz_put */
    uint64_t want, got, total;
    int open;
};

static int sk_fuzz_begin(void *arg, const char *name, char type, uint64_t size)
{
    struct sk_fuzz_log *l = arg;
    char h[64];
    int n = snprintf(h, sizeof(h), "<%d:%llu:", (int)(unsigned char)type, (unsigned long long)size);

    SK_FUZZ_CHECK(strlen(name) <= 256, "name of %zu bytes", strlen(name));
    sk_fuzz_put(arg, h, (size_t)n);
    sk_fuzz_put(arg, name, strlen(name));
    l->want = size;
    l->got = 0;
    l->open = 1;
    return 1;
}

static int sk_fuzz_data(void *arg, const void *buf, size_t len)
{
    struct sk_fuzz_log *l = arg;

    SK_FUZZ_CHECK(l->open, "data outside an entry");
    l->got += len;
    l->total += len;
    SK_FUZZ_CHECK(l->got <= l->want, "entry data %llu over its size %llu",
                  (unsigned long long)l->got, (unsigned long long)l->want);
    return sk_fuzz_put(arg, buf, len);
}

static int sk_fuzz_end(void *arg)
{
    struct sk_fuzz_log *l = arg;

    SK_FUZZ_CHECK(l->open && l->got == l->want, "entry ended with %llu of %llu bytes",
                  (unsigned long long)l->got, (unsigned long long)l->want);
    l->open = 0;
    return sk_fuzz_put(arg, ">", 1);
}

static int sk_fuzz_walk(const uint8_t *d, size_t n, unsigned seed, struct sk_fuzz_log *l)
{
    struct sk_tar_handler h = {sk_fuzz_begin, sk_fuzz_data, sk_fuzz_end, l};
    struct sk_tar t;
    int rc = SK_TAR_OK;

    sk_tar_init(&t, &h);
    for (size_t off = 0, i = 0, c; off < n && rc == SK_TAR_OK; off += c, i++) {
        c = seed == 0 ? n - off : 1 + (seed * 3 + i * 7) % 613;
        if (c > n - off)
            c = n - off;
        rc = sk_tar_write(&t, d + off, c);
    }
    return rc == SK_TAR_OK ? sk_tar_end(&t) : rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sk_fuzz_log whole = {0}, parts = {0};
    unsigned seed;
    int a, b;

    if (size < 1)
        return 0;
    seed = 1 + data[0];
    data++, size--;
    if (size >= 512)
        (void)sk_tar_header_ok(data);
    a = sk_fuzz_walk(data, size, 0, &whole);
    b = sk_fuzz_walk(data, size, seed, &parts);
    SK_FUZZ_CHECK(a == b, "result %d vs %d with chunking (seed %u)", a, b, seed);
    SK_FUZZ_CHECK(whole.b.len == parts.b.len &&
                      (whole.b.len == 0 || memcmp(whole.b.data, parts.b.data, whole.b.len) == 0),
                  "entries differ with chunking (seed %u)", seed);
    SK_FUZZ_CHECK(whole.total <= size, "%llu data bytes from %zu input bytes",
                  (unsigned long long)whole.total, size);
    SK_FUZZ_CHECK(a != SK_TAR_OK || !whole.open, "whole archive with an entry left open");
    sk_buf_free(&whole.b), sk_buf_free(&parts.b);
    return 0;
}

/* fuzz_unescape.c - libFuzzer target for the toolkit's escape decoder
 * (sk_unescape in icap-server/core/sk_decode_charset.c: %XX, HTML
 * character references, a script's backslash escapes), which dlp's view of
 * escaped text and virus_scan's decoded form and JSON values read client
 * text through. Input: one control byte (the kinds, a chunk schedule),
 * then the text.
 * Oracles: (1) it never grows: the output fits in the input's length, in
 * place gives what a separate buffer gives; (2) the final call takes every
 * byte; (3) a streaming caller's pieces (what was not taken carried into
 * the next call, at most SK_UNESC_HOLD bytes) give the same output as the
 * whole, one byte at a time and in seeded chunks; (4) text without '%',
 * '&', '\\' or '+' comes back as it is. */
#include <stdlib.h>
#include <string.h>

#include <sekisho/decode.h>

#include "sk_fuzz.h"

static size_t sk_fuzz_pieces(const uint8_t *s, size_t n, unsigned seed, unsigned kinds,
                             uint8_t *out)
{
    uint8_t buf[SK_UNESC_HOLD + 64];
    size_t carry = 0, o = 0, i = 0;

    for (;;) {
        size_t k = 1 + (seed ? (seed = seed * 1103515245u + 12345u) >> 16 : 0) % 64, used;
        if (k > n - i)
            k = n - i;
        int final = i + k == n;
        memcpy(buf + carry, s + i, k);
        o += sk_unescape(buf, carry + k, final, kinds, out + o, &used);
        carry = carry + k - used;
        SK_FUZZ_CHECK(carry <= SK_UNESC_HOLD, "%zu bytes carried", carry);
        memmove(buf, buf + used, carry);
        i += k;
        if (final) {
            SK_FUZZ_CHECK(carry == 0, "%zu bytes left after the final call", carry);
            return o;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 16384)
        return 0;
    unsigned kinds = 1 + data[0] % 15, seed = data[0] / 15;
    data++, size--;
    uint8_t *whole = malloc(size + 1), *inplace = malloc(size + 1), *a = malloc(size + 1),
            *b = malloc(size + 1);
    size_t used, o, oi, oa, ob;

    if (!whole || !inplace || !a || !b)
        goto out;
    o = sk_unescape(data, size, 1, kinds, whole, &used);
    SK_FUZZ_CHECK(used == size && o <= size, "took %zu of %zu, wrote %zu", used, size, o);
    memcpy(inplace, data, size);
    oi = sk_unescape(inplace, size, 1, kinds, inplace, &used);
    SK_FUZZ_CHECK(oi == o && memcmp(inplace, whole, o) == 0, "in place: %zu bytes, not %zu", oi, o);
    oa = sk_fuzz_pieces(data, size, 0, kinds, a);
    SK_FUZZ_CHECK(oa == o && memcmp(a, whole, o) == 0, "one byte at a time: %zu bytes, not %zu", oa,
                  o);
    ob = sk_fuzz_pieces(data, size, seed + 1, kinds, b);
    SK_FUZZ_CHECK(ob == o && memcmp(b, whole, o) == 0, "in chunks (seed %u): %zu bytes, not %zu",
                  seed, ob, o);
    if (!memchr(data, '%', size) && !memchr(data, '&', size) && !memchr(data, '\\', size) &&
        !memchr(data, '+', size))
        SK_FUZZ_CHECK(o == size && memcmp(whole, data, size) == 0, "plain text changed");
out:
    free(whole), free(inplace), free(a), free(b);
    return 0;
}

/* sk_fuzz_decode.h - what the decoder targets share (fuzz_decode: coding
 * chains; fuzz_packed: compressed files): a run of the core decoder under
 * a chunk schedule, its output in a toolkit buffer. */
#ifndef SK_FUZZ_DECODE_H
#define SK_FUZZ_DECODE_H

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

#endif

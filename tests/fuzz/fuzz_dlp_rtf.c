/* fuzz_dlp_rtf.c - libFuzzer target for the DLP RTF parser
 * (modules/dlp/dlp_rtf.c: sk_dlp_rtf_parser_*). Input: one control byte
 * (chunk schedule), then the document.
 * Oracles: the three readings and the embedded objects' bytes are the same
 * byte for byte whatever the chunking; every object that begins ends, none
 * nests; no reading is longer than 4 bytes per input byte (a character
 * and, aside, a line end per group). */
#include <stdlib.h>

#include "sk_fuzz_dlp.h"

struct sk_fuzz_rtf_out {
    unsigned char *buf[SK_RTF_NOUT + 1]; /* the readings, then object bytes */
    size_t len[SK_RTF_NOUT + 1];
    int open, begins, ends;
};

static int sk_fuzz_rtf_keep(struct sk_fuzz_rtf_out *o, int i, const unsigned char *p, size_t n)
{
    unsigned char *b = realloc(o->buf[i], o->len[i] + n + 1);

    if (b == NULL)
        return -1;
    memcpy(b + o->len[i], p, n);
    o->buf[i] = b;
    o->len[i] += n;
    return 0;
}

static int sk_fuzz_rtf_text(void *arg, enum sk_rtf_out w, const unsigned char *p, size_t n)
{
    SK_FUZZ_CHECK(n > 0, "an empty write");
    return sk_fuzz_rtf_keep(arg, w, p, n);
}

static int sk_fuzz_rtf_obj(void *arg, enum sk_rtf_obj what, const unsigned char *p, size_t n)
{
    struct sk_fuzz_rtf_out *o = arg;

    if (what == SK_RTF_OBJ_BEGIN) {
        SK_FUZZ_CHECK(!o->open, "an object begins inside an object");
        o->open = 1, o->begins++;
        return sk_fuzz_rtf_keep(o, SK_RTF_NOUT, (const unsigned char *)"[", 1);
    }
    SK_FUZZ_CHECK(o->open, "object bytes or an end outside an object");
    if (what == SK_RTF_OBJ_END) {
        o->open = 0, o->ends++;
        return sk_fuzz_rtf_keep(o, SK_RTF_NOUT, (const unsigned char *)"]", 1);
    }
    return sk_fuzz_rtf_keep(o, SK_RTF_NOUT, p, n);
}

static void sk_fuzz_rtf_run(const uint8_t *data, size_t size, unsigned seed,
                            struct sk_fuzz_rtf_out *o)
{
    struct sk_rtf_handler h = {sk_fuzz_rtf_text, sk_fuzz_rtf_obj, o};
    struct sk_dlp_rtf *r = sk_dlp_rtf_parser_new(&h);

    memset(o, 0, sizeof(*o));
    SK_FUZZ_CHECK(r != NULL, "parser");
    for (size_t off = 0, i = 0, c; off < size; off += c, i++) {
        c = sk_fuzz_chunk(seed, i, size - off);
        SK_FUZZ_CHECK(sk_dlp_rtf_parser_write(r, data + off, c) == 0, "write");
    }
    SK_FUZZ_CHECK(sk_dlp_rtf_parser_end(r) == 0, "end");
    sk_dlp_rtf_parser_free(r);
    SK_FUZZ_CHECK(!o->open && o->begins == o->ends, "%d objects began, %d ended", o->begins,
                  o->ends);
    for (int i = 0; i < SK_RTF_NOUT; i++)
        SK_FUZZ_CHECK(o->len[i] <= 4 * size, "reading %d: %zu bytes from %zu", i, o->len[i], size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sk_fuzz_rtf_out whole, parts;

    if (size < 1)
        return 0;
    sk_fuzz_rtf_run(data + 1, size - 1, 0, &whole);
    sk_fuzz_rtf_run(data + 1, size - 1, 1 + data[0], &parts);
    for (int i = 0; i <= SK_RTF_NOUT; i++) {
        SK_FUZZ_CHECK(
            whole.len[i] == parts.len[i] &&
                (whole.len[i] == 0 || memcmp(whole.buf[i], parts.buf[i], whole.len[i]) == 0),
            "output %d: %zu bytes whole, %zu in chunks (seed %u)", i, whole.len[i], parts.len[i],
            1 + data[0]);
        free(whole.buf[i]);
        free(parts.buf[i]);
    }
    return 0;
}

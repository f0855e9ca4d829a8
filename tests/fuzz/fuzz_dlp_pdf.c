/* fuzz_dlp_pdf.c - libFuzzer target for dlp's PDF text reading
 * (modules/dlp/dlp_pdf*.c): the input as a whole document
 * (sk_dlp_pdf_text: pages, fonts, CMaps, forms, strings), as a CMap and
 * as a content stream with fonts of its own.
 * Oracles: the reading ends (forms drawn many times over count against
 * SK_PDF_WORK, lookups against SK_PDF_LOOKUPS) with 0 or 1, never out of
 * memory at these sizes; no empty emit; a code taken from a string is 1-4
 * bytes and never past its end; a CMap's text for a code fits
 * SK_PDF_UTF8_MAX; a string token's bytes never outgrow the token. */
#include <stdlib.h>
#include <string.h>

#include "dlp_pdf.h"
#include "sk_fuzz.h"

struct sk_fuzz_out {
    uint64_t n;
};

static int sk_fuzz_emit(void *arg, const char *p, size_t n)
{
    struct sk_fuzz_out *o = arg;

    SK_FUZZ_CHECK(n > 0 && p != NULL, "an empty emit");
    o->n += n;
    return 0;
}

static struct sk_pdf_font sk_fuzz_f;

static const struct sk_pdf_font *sk_fuzz_font(void *arg, void *res, const char *name)
{
    (void)arg, (void)res;
    return name[0] == 'F' ? &sk_fuzz_f : NULL;
}

static int sk_fuzz_form(void *arg, void *res, const char *name, const unsigned char **out,
                        size_t *n, void **sub, double m[6])
{
    static const char self[] = "BT /F1 1 Tf (x) Tj ET /X Do";

    (void)arg, (void)m;
    if (strcmp(name, "X") != 0)
        return -1;
    *out = (const unsigned char *)self, *n = sizeof(self) - 1, *sub = res;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sk_fuzz_out o = {0};
    char why[160];

    /* the whole document */
    int r = sk_dlp_pdf_text(data, size, sk_fuzz_emit, &o, why, sizeof(why));
    SK_FUZZ_CHECK(r == 0 || r == 1, "document: %d", r);

    /* the input as a CMap */
    struct sk_pdf_cmap *c = sk_pdf_cmap_parse(data, size);
    SK_FUZZ_CHECK(c != NULL, "oom");
    for (size_t i = 0; i < size && i < 4096;) {
        uint32_t code;
        char u[SK_PDF_UTF8_MAX];
        size_t k = sk_pdf_cmap_code(c, data + i, size - i, &code);
        SK_FUZZ_CHECK(k >= 1 && k <= 4 && k <= size - i, "code of %zu bytes", k);
        SK_FUZZ_CHECK(sk_pdf_cmap_lookup(c, code, k, u) <= SK_PDF_UTF8_MAX, "text too long");
        i += k;
    }

    /* ... and as a content stream, shown in a font with that CMap */
    memset(&sk_fuzz_f, 0, sizeof(sk_fuzz_f));
    sk_pdf_font_encoding(&sk_fuzz_f, "WinAnsiEncoding", data, size);
    sk_fuzz_f.tounicode = c;
    sk_fuzz_f.cid = size > 0 && (data[0] & 1);
    struct sk_pdf_res_ops ops = {sk_fuzz_font, sk_fuzz_form, sk_fuzz_emit, &o};
    struct sk_pdf_text *t = sk_pdf_text_new(&ops);
    SK_FUZZ_CHECK(t != NULL, "oom");
    int rc = sk_pdf_text_run(t, data, size, NULL);
    SK_FUZZ_CHECK(rc == 0 || rc == 1, "run %d", rc);
    SK_FUZZ_CHECK(sk_pdf_text_end(t) == 0, "end");
    sk_pdf_text_free(t);
    sk_pdf_cmap_free(c);

    /* a string token's bytes */
    unsigned char *b = malloc(size + 1);
    SK_FUZZ_CHECK(b != NULL, "oom");
    long bn = sk_pdf_string_bytes(data, size, b, size);
    SK_FUZZ_CHECK(bn <= (long)size, "string of %ld from %zu", bn, size);
    free(b);
    return 0;
}

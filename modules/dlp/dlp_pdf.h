/* dlp_pdf.h - the text of a PDF as a viewer shows it (dlp_pdf_text.c:
 * content streams, ToUnicode CMaps, simple fonts' encodings; dlp_pdf.c:
 * the document over core's reader, sekisho/pdf.h). Internal to dlp.
 * SECURITY: every byte is client-controlled: tokens, strings, CMaps and
 * nesting are bounded; nothing recurses without a depth bound.
 */
#ifndef SK_DLP_PDF_H
#define SK_DLP_PDF_H

#include <stddef.h>
#include <stdint.h>

#include <sekisho/pdf.h>

/* ---- tokens of content streams and CMaps ---- */
enum sk_pdf_tk {
    SK_TK_EOF,
    SK_TK_NUM,
    SK_TK_STR,  /* "(...)", P/N span the parentheses */
    SK_TK_HEX,  /* "<...>" */
    SK_TK_NAME, /* "/Name": P/N after the slash, #xx not undone */
    SK_TK_ARR,  /* "[...]" whole, nested ones and strings inside */
    SK_TK_DICT, /* "<<...>>" whole */
    SK_TK_OP    /* a keyword: an operator, true, null, ... */
};
struct sk_pdf_tok {
    enum sk_pdf_tk t;
    const unsigned char *p;
    size_t n;
    double v; /* SK_TK_NUM */
};
/* The token at or after P[I] (white space and comments skipped): the
 * offset after it. An unclosed string, array or dictionary runs to N. */
size_t sk_pdf_tok_next(const unsigned char *p, size_t n, size_t i, struct sk_pdf_tok *t);

/* A hex digit's value, or -1. */
int sk_pdf_hexval(unsigned char c);

/* ---- ToUnicode CMaps ---- */
struct sk_pdf_cmap;

/* Parse a CMap (codespace ranges, bfchar, bfrange with a base string or
 * an array; UTF-16BE destinations, surrogate pairs too). NULL when out of
 * memory; a CMap without any mapping is an empty, valid map. At most
 * SK_PDF_CMAP_MAX mappings are kept. */
#define SK_PDF_CMAP_MAX 65536
struct sk_pdf_cmap *sk_pdf_cmap_parse(const unsigned char *p, size_t n);
void sk_pdf_cmap_free(struct sk_pdf_cmap *);
/* The next code of the string S[0..N) (N > 0) by the codespace ranges:
 * its length in bytes (1-4), *CODE its value. Bytes no range takes are
 * read as one code of the shortest length the map uses. */
size_t sk_pdf_cmap_code(const struct sk_pdf_cmap *, const unsigned char *s, size_t n,
                        uint32_t *code);
/* The text of CODE (LEN bytes) as UTF-8 into OUT (SK_PDF_UTF8_MAX bytes):
 * its length, or 0 when the map has none (a code of another length with
 * the same value is taken when none of LEN is mapped). */
#define SK_PDF_UTF8_MAX 64
size_t sk_pdf_cmap_lookup(const struct sk_pdf_cmap *, uint32_t code, size_t len, char *out);
/* One code point as UTF-8 into OUT (4 bytes): its length (0: invalid). */
size_t sk_pdf_utf8(uint32_t u, char *out);

/* ---- fonts ---- */
/* The Unicode value of a glyph name (Adobe's names of ASCII and Latin-1,
 * "uniXXXX", "uXXXX[XX]", a ".suffix" dropped), or 0. */
uint32_t sk_pdf_glyph_unicode(const char *name, size_t n);

struct sk_pdf_font {
    struct sk_pdf_cmap *tounicode; /* owned, may be NULL */
    int cid;                       /* Type0: codes of 2 bytes (Identity-H/V) unless a CMap says */
    uint32_t enc[256];             /* simple font: code -> Unicode, 0 unknown */
    float width[256];              /* simple font: glyph widths (1/1000 em), < 0 unknown */
    float dw;                      /* default width */
    struct sk_pdf_cidw {
        uint32_t lo, hi;
        float w;
    } * cidw; /* Type0: /W */
    size_t ncidw;
};

/* A simple font's encoding: BASE ("WinAnsiEncoding", "MacRomanEncoding",
 * "StandardEncoding", NULL for the standard one) then the /Differences
 * array D[0..DN) (may be NULL). */
void sk_pdf_font_encoding(struct sk_pdf_font *, const char *base, const unsigned char *d,
                          size_t dn);
void sk_pdf_font_fini(struct sk_pdf_font *);

/* ---- content streams ---- */
/* What a content stream's names refer to: resources. RES is the caller's
 * handle of the resource dictionary in force. */
struct sk_pdf_res_ops {
    /* the font NAME of RES, or NULL (text shown in it is read as bytes) */
    const struct sk_pdf_font *(*font)(void *arg, void *res, const char *name);
    /* the Form XObject NAME of RES: its decoded content (*OUT, borrowed until
     * the end of the document), its resources (*SUB; RES when it has none)
     * and /Matrix M. 0, or -1 (not a form, or not there) */
    int (*form)(void *arg, void *res, const char *name, const unsigned char **out, size_t *n,
                void **sub, double m[6]);
    /* UTF-8 text out; 0 or -1 (stop) */
    int (*emit)(void *arg, const char *p, size_t n);
    void *arg;
};

#define SK_PDF_FORM_DEPTH 8 /* Form XObjects nested in Form XObjects */

struct sk_pdf_text;
/* The text state of one page (or one annotation appearance). */
struct sk_pdf_text *sk_pdf_text_new(const struct sk_pdf_res_ops *);
/* Interpret the content stream P[0..N) with resources RES (pages whose
 * /Contents is an array: one call per stream, the state goes on). 0, -1
 * (emit failed or out of memory), or 1 when a limit stopped it (form
 * depth, SK_PDF_WORK bytes interpreted). */
#define SK_PDF_WORK (256u << 20) /* content bytes interpreted per text state */
int sk_pdf_text_run(struct sk_pdf_text *, const unsigned char *p, size_t n, void *res);
/* End of the page: a line end is emitted, the graphics and text state
 * start anew (the work bound goes on). */
int sk_pdf_text_end(struct sk_pdf_text *);
void sk_pdf_text_free(struct sk_pdf_text *);

/* A string token's bytes: core's sk_pdf_string_bytes (sekisho/pdf.h). */
/* A text string's bytes (UTF-16BE or UTF-8 with a BOM, else
 * PDFDocEncoding) as UTF-8 into OUT (at least 3 x N + 4 bytes): length. */
size_t sk_pdf_text_string(const unsigned char *s, size_t n, char *out);

/* The text dlp reads in the PDF P[0..N) (pages, strings; embedded files
 * are not opened), to EMIT: what the tests compare with pdftotext. 0, 1
 * when something was not read (WHY says what), -1 out of memory. */
int sk_dlp_pdf_text(const unsigned char *p, size_t n, int (*emit)(void *, const char *, size_t),
                    void *arg, char *why, size_t whylen);

#endif

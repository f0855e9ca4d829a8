/* dlp_pdf.c - a PDF upload read as its reader shows it. The filter sits in
 * front of an object's text reader and passes every byte on unchanged (the
 * raw bytes are read as before); when "%PDF-" is within the first 1024
 * bytes (where readers look for it) it also holds the document and, at its
 * end, reads it with core's reader (sekisho/pdf.h: objects, object
 * streams, filters, predictors, the empty user password):
 * - every page's content streams (/Type /Page; /Resources inherited
 *   through /Parent) and the Form XObjects they draw, as text
 *   (dlp_pdf_text.c: ToUnicode CMaps, encodings, spacing by position);
 * - the strings a viewer shows or a receiver reads outside the pages: the
 *   Info dictionary, outline titles, annotations' /Contents, form fields'
 *   names and values (/T, /TU, /V, /DV, /RC), in every object;
 * - annotations' appearance streams (/AP /N /D /R, by state too), as
 *   forms with their own /Resources: what a viewer draws;
 * - embedded files (/Type /EmbeddedFile) and XMP metadata streams, each an
 *   object of its own (sk_dlp_object_new: a zip, a text, a PDF in it).
 * The text is one object in a window of its own (sk_dlp_engine_sub).
 * SECURITY: client-controlled. The held bytes are charged to the
 * transaction's dlp.max-decoded budget and at most SK_DLP_HOLD_MAX are
 * held (beyond: dlp.on-limit); decoded streams are charged too (the
 * reader's max_total). An encrypted document the empty password does not
 * open and a stream that does not decode are dlp.on-error. Fonts are
 * cached per document (SK_PDF_FONTS), nesting is bounded (resources'
 * /Parent chain, forms, SK_DLP_MAX_DEPTH objects).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sekisho/pdf.h>

#include "dlp.h"
#include "dlp_pdf.h"

#define SK_PDF_HEAD    1024     /* "%PDF-" is looked for in these bytes */
#define SK_PDF_FONTS   1024     /* fonts parsed per document; more read as bytes */
#define SK_PDF_PARENTS 32       /* /Parent hops for inherited /Resources */
#define SK_PDF_OBJECTS 1000000u /* objects indexed */
#define SK_PDF_FORMS   4096     /* Form XObjects decoded per document */
/* resource lookups (Tf, Do): bytes of dictionaries scanned and cache
 * entries compared, per document; beyond, names resolve no more and the
 * verdict is dlp.on-limit (a content stream of 10^7 Tf over a resource
 * dictionary of megabytes would otherwise take hours) */
#define SK_PDF_LOOKUPS (64ull << 20)

struct sk_dpdf_font {
    const unsigned char *key; /* the font dictionary's bytes */
    struct sk_pdf_font f;     /* its address is kept by the text state */
};

struct sk_dpdf_form {
    const struct sk_pdf_obj *o;
    unsigned char *data; /* decoded */
    size_t n;
    struct sk_dpdf_res *res;
    int shown; /* read as an annotation's appearance */
};

/* A resource dictionary in force (pages' and forms'). */
struct sk_dpdf_res {
    const unsigned char *d;
    size_t n;
    struct sk_dpdf_res *next; /* all of them, freed at the end */
};

struct sk_dpdf {
    struct sk_dlp_hold h;   /* first: the held document (dlp_hold.c) */
    struct sk_dlp_ctx *ctx; /* h's, or sk_dlp_pdf_text's own (no hold) */
    int depth;
    /* while the document is read */
    struct sk_pdf *pdf;
    struct sk_dlp_engine *win;
    struct sk_dlp_sink *text;
    struct sk_dpdf_font **fonts; /* SK_PDF_FONTS slots */
    size_t nfonts;
    struct sk_dpdf_form *forms;
    size_t nforms, cforms;
    struct sk_dpdf_res *res;
    int failed;    /* emit failed (out of memory) */
    uint64_t work; /* SK_PDF_LOOKUPS */
    /* sk_dlp_pdf_text: the text goes here instead, files are not opened */
    int (*emit)(void *, const char *, size_t);
    void *emit_arg;
};

static int sk_dpdf_out(struct sk_dpdf *d, const char *p, size_t n)
{
    if (d->emit)
        return d->emit(d->emit_arg, p, n);
    if (!d->text || d->failed)
        return -1;
    if (sk_dlp_put_in(d->ctx, d->win, d->text, p, n) == -1) {
        d->failed = 1;
        return -1;
    }
    return 0;
}

static int sk_dpdf_emit(void *arg, const char *p, size_t n)
{
    return sk_dpdf_out(arg, p, n);
}

/* A stream's decoded bytes, charged to the budget: 0, or -1 with the
 * reason recorded (on-error / on-limit). */
static int sk_dpdf_stream(struct sk_dpdf *d, const struct sk_pdf_obj *o, unsigned char **out,
                          size_t *n)
{
    enum sk_pdf_rc rc = o && o->stream ? sk_pdf_stream(d->pdf, o, out, n, NULL) : SK_PDF_BROKEN;

    if (rc == SK_PDF_OK) {
        if (*n > d->ctx->budget) {
            d->ctx->budget = 0, d->ctx->limit = 1;
            free(*out);
            return -1;
        }
        d->ctx->budget -= *n;
        return 0;
    }
    if (rc == SK_PDF_LIMIT)
        d->ctx->limit = 1;
    else if (rc == SK_PDF_NOMEM)
        d->ctx->oom = 1;
    else if (o && o->stream)
        sk_dlp_undecodable(d->ctx, rc == SK_PDF_ENCRYPTED ? "a PDF stream that cannot be decrypted"
                                                          : "a PDF stream that does not decode");
    return -1;
}

/* The object REF (a reference) names, or NULL. */
static const struct sk_pdf_obj *sk_dpdf_obj(struct sk_dpdf *d, const unsigned char *v, size_t n)
{
    unsigned num;

    return sk_pdf_ref(v, n, &num) == 0 ? sk_pdf_find(d->pdf, num) : NULL;
}

/* KEY of the dictionary D, followed through references: 0 or -1. */
static int sk_dpdf_get(struct sk_dpdf *d, const unsigned char *dict, size_t dn, const char *key,
                       const unsigned char **v, size_t *vn)
{
    const unsigned char *r;
    size_t rn;

    if (!dict || sk_pdf_dict_get(dict, dn, key, &r, &rn) != 0)
        return -1;
    return sk_pdf_resolve(d->pdf, r, rn, v, vn);
}

static int sk_dpdf_name_is(struct sk_dpdf *d, const unsigned char *dict, size_t dn, const char *key,
                           const char *want)
{
    const unsigned char *v;
    size_t vn;
    char nm[64];

    return sk_dpdf_get(d, dict, dn, key, &v, &vn) == 0 && sk_pdf_name(v, vn, nm, sizeof(nm)) == 0 &&
           strcmp(nm, want) == 0;
}

/* Charge a resource lookup of UNITS: 0, or -1 past SK_PDF_LOOKUPS. */
static int sk_dpdf_charge(struct sk_dpdf *d, size_t units)
{
    d->work += units + 1;
    if (d->work <= SK_PDF_LOOKUPS)
        return 0;
    d->ctx->limit = 1;
    return -1;
}

static struct sk_dpdf_res *sk_dpdf_res(struct sk_dpdf *d, const unsigned char *p, size_t n)
{
    struct sk_dpdf_res *r = calloc(1, sizeof(*r));

    if (!r) {
        d->ctx->oom = 1;
        return NULL;
    }
    r->d = p, r->n = n, r->next = d->res;
    d->res = r;
    return r;
}

/* Widths of a simple font (/FirstChar, /Widths) or a CID font (/DW, /W). */
static void sk_dpdf_widths(struct sk_dpdf *d, struct sk_pdf_font *f, const unsigned char *fd,
                           size_t fn)
{
    const unsigned char *v;
    size_t vn, i = 1;
    struct sk_pdf_tok t;
    long long first = 0;

    for (int c = 0; c < 256; c++)
        f->width[c] = -1;
    if (!f->cid) {
        if (sk_dpdf_get(d, fd, fn, "FirstChar", &v, &vn) == 0)
            sk_pdf_int(v, vn, &first);
        if (sk_dpdf_get(d, fd, fn, "Widths", &v, &vn) != 0 || vn < 2 || v[0] != '[')
            return;
        for (long long c = first; (i = sk_pdf_tok_next(v, vn - 1, i, &t)) < vn && t.t == SK_TK_NUM;
             c++)
            if (c >= 0 && c < 256)
                f->width[c] = (float)t.v;
        return;
    }
    if (sk_dpdf_get(d, fd, fn, "DW", &v, &vn) == 0 && sk_pdf_int(v, vn, &first) == 0)
        f->dw = (float)first;
    if (sk_dpdf_get(d, fd, fn, "W", &v, &vn) != 0 || vn < 2 || v[0] != '[')
        return;
    /* [c [w w ...] c1 c2 w ...] */
    double nums[2];
    int k = 0;
    size_t cap = 0;
    while ((i = sk_pdf_tok_next(v, vn - 1, i, &t)) <= vn && t.t != SK_TK_EOF) {
        uint32_t lo = 0, hi = 0;
        float w = 0;
        size_t j = 1;
        struct sk_pdf_tok e;
        if (t.t == SK_TK_NUM && k < 2) {
            nums[k++] = t.v;
            continue;
        }
        if (t.t == SK_TK_NUM && k == 2) { /* c1 c2 w */
            lo = (uint32_t)nums[0], hi = (uint32_t)nums[1], w = (float)t.v, k = 0;
        } else if (t.t == SK_TK_ARR && k == 1) { /* c [w ...] */
            k = 0;
            for (uint32_t c = (uint32_t)nums[0]; (j = sk_pdf_tok_next(t.p, t.n - 1, j, &e)) < t.n &&
                                                 e.t == SK_TK_NUM && f->ncidw < 65536;
                 c++) {
                if (f->ncidw == cap) {
                    struct sk_pdf_cidw *nw =
                        realloc(f->cidw, (cap = cap ? cap * 2 : 64) * sizeof(*nw));
                    if (!nw)
                        return;
                    f->cidw = nw;
                }
                f->cidw[f->ncidw++] = (struct sk_pdf_cidw){c, c, (float)e.v};
            }
            continue;
        } else {
            k = 0;
            continue;
        }
        if (f->ncidw == cap) {
            struct sk_pdf_cidw *nw = realloc(f->cidw, (cap = cap ? cap * 2 : 64) * sizeof(*nw));
            if (!nw)
                return;
            f->cidw = nw;
        }
        if (hi >= lo && f->ncidw < 65536)
            f->cidw[f->ncidw++] = (struct sk_pdf_cidw){lo, hi, w};
    }
}

/* Parse the font dictionary FD into F. */
static void sk_dpdf_font_read(struct sk_dpdf *d, struct sk_pdf_font *f, const unsigned char *fd,
                              size_t fn)
{
    const unsigned char *v, *dd = NULL;
    size_t vn, ddn = 0;
    char base[64] = "";

    memset(f, 0, sizeof(*f));
    f->cid = sk_dpdf_name_is(d, fd, fn, "Subtype", "Type0");
    const unsigned char *tu;
    size_t tun;
    if (sk_pdf_dict_get(fd, fn, "ToUnicode", &tu, &tun) == 0) {
        unsigned char *cm;
        size_t cn;
        if (sk_dpdf_stream(d, sk_dpdf_obj(d, tu, tun), &cm, &cn) == 0) {
            f->tounicode = sk_pdf_cmap_parse(cm, cn);
            free(cm);
        }
    }
    if (f->cid) {
        const unsigned char *df;
        size_t dfn;
        struct sk_pdf_tok t;
        if (sk_dpdf_get(d, fd, fn, "DescendantFonts", &v, &vn) == 0 && vn > 1 && v[0] == '[') {
            size_t s = sk_pdf_tok_next(v, vn - 1, 1, &t); /* "N G R" or a dictionary */
            const unsigned char *a = t.p;
            if (t.t == SK_TK_DICT)
                df = t.p, dfn = t.n;
            else if (sk_pdf_resolve(d->pdf, a, vn - (size_t)(a - v), &df, &dfn) != 0)
                df = NULL, dfn = 0;
            (void)s;
            if (df)
                sk_dpdf_widths(d, f, df, dfn);
        }
        return;
    }
    if (sk_dpdf_get(d, fd, fn, "Encoding", &v, &vn) == 0) {
        if (sk_pdf_name(v, vn, base, sizeof(base)) != 0) { /* a dictionary */
            const unsigned char *b;
            size_t bn;
            if (sk_dpdf_get(d, v, vn, "BaseEncoding", &b, &bn) == 0)
                sk_pdf_name(b, bn, base, sizeof(base));
            sk_dpdf_get(d, v, vn, "Differences", &dd, &ddn);
        }
    }
    sk_pdf_font_encoding(f, *base ? base : NULL, dd, ddn);
    sk_dpdf_widths(d, f, fd, fn);
}

static const struct sk_pdf_font *sk_dpdf_font(void *arg, void *res, const char *name)
{
    struct sk_dpdf *d = arg;
    struct sk_dpdf_res *r = res;
    const unsigned char *fonts, *fd;
    size_t fsn, fdn;

    if (!r || sk_dpdf_charge(d, r->n) == -1 ||
        sk_dpdf_get(d, r->d, r->n, "Font", &fonts, &fsn) != 0 ||
        sk_dpdf_charge(d, fsn + d->nfonts) == -1 ||
        sk_dpdf_get(d, fonts, fsn, name, &fd, &fdn) != 0)
        return NULL;
    for (size_t i = 0; i < d->nfonts; i++)
        if (d->fonts[i]->key == fd)
            return &d->fonts[i]->f;
    if (d->nfonts >= SK_PDF_FONTS)
        return NULL;
    if ((!d->fonts && !(d->fonts = calloc(SK_PDF_FONTS, sizeof(*d->fonts)))) ||
        !(d->fonts[d->nfonts] = calloc(1, sizeof(**d->fonts)))) {
        d->ctx->oom = 1;
        return NULL;
    }
    struct sk_dpdf_font *f = d->fonts[d->nfonts++];
    f->key = fd;
    sk_dpdf_font_read(d, &f->f, fd, fdn);
    return &f->f;
}

/* The Form XObject O decoded (once per document, however often it is
 * drawn), with its /Resources or else R: NULL when it cannot be (the
 * reason recorded). */
static struct sk_dpdf_form *sk_dpdf_form_get(struct sk_dpdf *d, const struct sk_pdf_obj *o,
                                             struct sk_dpdf_res *r)
{
    const unsigned char *v;
    size_t vn;

    for (size_t i = 0; i < d->nforms; i++)
        if (d->forms[i].o == o)
            return &d->forms[i];
    if (d->nforms >= SK_PDF_FORMS) {
        d->ctx->limit = 1;
        return NULL;
    }
    if (d->nforms == d->cforms) {
        size_t nc = d->cforms ? d->cforms * 2 : 16;
        struct sk_dpdf_form *nf = realloc(d->forms, nc * sizeof(*nf));
        if (!nf) {
            d->ctx->oom = 1;
            return NULL;
        }
        d->forms = nf, d->cforms = nc;
    }
    struct sk_dpdf_form *f = &d->forms[d->nforms];
    memset(f, 0, sizeof(*f));
    f->o = o;
    if (sk_dpdf_stream(d, o, &f->data, &f->n) == -1)
        return NULL;
    d->nforms++;
    f->res = r;
    if (sk_dpdf_get(d, o->dict, o->dict_len, "Resources", &v, &vn) == 0 &&
        !(f->res = sk_dpdf_res(d, v, vn)))
        return NULL;
    return f;
}

static int sk_dpdf_form(void *arg, void *res, const char *name, const unsigned char **out,
                        size_t *n, void **sub, double m[6])
{
    struct sk_dpdf *d = arg;
    struct sk_dpdf_res *r = res;
    const unsigned char *xs, *x, *v;
    size_t xsn, xn, vn;

    if (!r || sk_dpdf_charge(d, r->n) == -1 ||
        sk_dpdf_get(d, r->d, r->n, "XObject", &xs, &xsn) != 0 ||
        sk_dpdf_charge(d, xsn + d->nforms) == -1 || sk_pdf_dict_get(xs, xsn, name, &x, &xn) != 0)
        return -1;
    const struct sk_pdf_obj *o = sk_dpdf_obj(d, x, xn);
    if (!o || !o->stream || !sk_dpdf_name_is(d, o->dict, o->dict_len, "Subtype", "Form"))
        return -1;
    struct sk_dpdf_form *f = sk_dpdf_form_get(d, o, r);
    if (!f)
        return -1;
    if (sk_dpdf_get(d, o->dict, o->dict_len, "Matrix", &v, &vn) == 0 && vn > 1 && v[0] == '[') {
        struct sk_pdf_tok t;
        double mm[6];
        int k = 0;
        for (size_t i = 1;
             k < 6 && (i = sk_pdf_tok_next(v, vn - 1, i, &t)) < vn && t.t == SK_TK_NUM;)
            mm[k++] = t.v;
        if (k == 6)
            memcpy(m, mm, sizeof(mm));
    }
    *out = f->data, *n = f->n, *sub = f->res;
    return 0;
}

/* Is the decrypted content stream O also to be read as written? In an
 * encrypted document, one without filters: poppler opens a V4 document
 * whose /StmF and /StrF differ as not encrypted, so it shows such a
 * stream in clear (with a filter, the decrypted noise does not decode:
 * dlp.on-error). */
static int sk_dpdf_clear_too(struct sk_dpdf *d, const struct sk_pdf_obj *o)
{
    const unsigned char *v;
    size_t vn;

    return sk_pdf_encrypted(d->pdf) == 1 && o->raw &&
           sk_pdf_dict_get(o->dict, o->dict_len, "Filter", &v, &vn) != 0 &&
           sk_pdf_dict_get(o->dict, o->dict_len, "F", &v, &vn) != 0;
}

/* One page: its content streams (a stream or an array of them) with the
 * resources it has or inherits. */
static int sk_dpdf_page(struct sk_dpdf *d, const struct sk_pdf_obj *pg, struct sk_pdf_text *t)
{
    const unsigned char *v, *node = pg->dict, *c;
    size_t vn, nn = pg->dict_len, cn;
    struct sk_dpdf_res *res = NULL;

    for (int hop = 0; hop < SK_PDF_PARENTS && node; hop++) {
        if (sk_dpdf_get(d, node, nn, "Resources", &v, &vn) == 0) {
            if (!(res = sk_dpdf_res(d, v, vn)))
                return -1;
            break;
        }
        if (sk_dpdf_get(d, node, nn, "Parent", &node, &nn) != 0)
            break;
    }
    if (sk_pdf_dict_get(pg->dict, pg->dict_len, "Contents", &c, &cn) != 0)
        return 0;
    const struct sk_pdf_obj *o = sk_dpdf_obj(d, c, cn);
    const unsigned char *arr = NULL;
    size_t an = 0;
    if (!o || !o->stream) { /* an array, maybe through a reference */
        if (sk_pdf_resolve(d->pdf, c, cn, &arr, &an) != 0 || an < 2 || arr[0] != '[')
            return 0;
    }
    for (size_t i = 1;;) {
        if (arr) {
            struct sk_pdf_tok e;
            size_t s = sk_pdf_tok_next(arr, an - 1, i, &e);
            if (e.t == SK_TK_EOF)
                break;
            o = sk_dpdf_obj(d, e.p, an - 1 - (size_t)(e.p - arr));
            i = s;
            if (!o) /* not "N G R" at this token: the next one */
                continue;
            /* past "G R" */
            for (int k = 0; k < 2; k++)
                i = sk_pdf_tok_next(arr, an - 1, i, &e);
        }
        unsigned char *cs;
        size_t csn;
        if (o && sk_dpdf_stream(d, o, &cs, &csn) == 0) {
            int rc = sk_pdf_text_run(t, cs, csn, res);
            free(cs);
            if (rc == 0 && sk_dpdf_clear_too(d, o)) /* also as written (poppler) */
                rc = sk_pdf_text_run(t, o->raw, o->raw_len, res);
            if (rc == -1)
                return -1;
            if (rc == 1)
                d->ctx->limit = 1;
        }
        if (!arr)
            break;
    }
    return sk_pdf_text_end(t);
}

/* One appearance stream V (a reference) of an annotation: a Form XObject
 * read as page content is, with its own /Resources; each stream once,
 * however many annotations share it. */
static int sk_dpdf_ap_one(struct sk_dpdf *d, struct sk_pdf_text *t, const unsigned char *v,
                          size_t vn)
{
    const struct sk_pdf_obj *o = sk_dpdf_obj(d, v, vn);
    struct sk_dpdf_form *f = o && o->stream ? sk_dpdf_form_get(d, o, NULL) : NULL;

    if (!f || f->shown)
        return 0;
    f->shown = 1;
    int rc = sk_pdf_text_run(t, f->data, f->n, f->res);
    if (rc == 1)
        d->ctx->limit = 1;
    return rc == -1 ? -1 : sk_pdf_text_end(t);
}

/* The appearance streams of annotation O (/AP: /N, /D, /R; each a
 * stream, or a dictionary of them by state - a check box's /On and
 * /Off): what a viewer draws, whatever /Contents or /V say. */
static int sk_dpdf_ap(struct sk_dpdf *d, const struct sk_pdf_obj *o, struct sk_pdf_text *t)
{
    static const char *const kinds[] = {"N", "D", "R"};
    const unsigned char *ap, *v;
    size_t apn, vn;

    if (!t || sk_dpdf_get(d, o->dict, o->dict_len, "AP", &ap, &apn) != 0)
        return 0;
    for (size_t k = 0; k < sizeof(kinds) / sizeof(*kinds); k++) {
        if (sk_pdf_dict_get(ap, apn, kinds[k], &v, &vn) != 0)
            continue;
        const struct sk_pdf_obj *s = sk_dpdf_obj(d, v, vn);
        const unsigned char *st;
        size_t stn;
        if (s && s->stream) {
            if (sk_dpdf_ap_one(d, t, v, vn) == -1)
                return -1;
            continue;
        }
        if (sk_pdf_resolve(d->pdf, v, vn, &st, &stn) != 0 || stn < 4 || st[0] != '<')
            continue;
        struct sk_pdf_tok e; /* << /State N G R ... >> */
        for (size_t i = 2;
             (i = sk_pdf_tok_next(st, stn - 2, i, &e)) <= stn - 2 && e.t != SK_TK_EOF;) {
            if (e.t != SK_TK_NUM || !sk_dpdf_obj(d, e.p, stn - 2 - (size_t)(e.p - st)))
                continue;
            if (sk_dpdf_ap_one(d, t, e.p, stn - 2 - (size_t)(e.p - st)) == -1)
                return -1;
            for (int g = 0; g < 2; g++) /* past "G R" */
                i = sk_pdf_tok_next(st, stn - 2, i, &e);
        }
    }
    return 0;
}

/* The text of string token S[0..N) of object O as readers show it, as
 * UTF-8 into *OUT (malloc'd, *OUTN bytes): decrypted by core's
 * sk_pdf_string (/StrF, as qpdf and mupdf read it) and, when that
 * changed its bytes, also as written, on a line of its own (poppler opens
 * a V4 document whose /StmF and /StrF differ as not encrypted: its
 * strings in clear are what Evince shows; measured with pdfinfo 22.02).
 * 0, or -1: not read - a string of an unknown crypt filter is
 * dlp.on-error; one that does not decrypt (garbage to every reader) is
 * skipped, no error. */
static int sk_dpdf_str(struct sk_dpdf *d, const struct sk_pdf_obj *o, const unsigned char *s,
                       size_t n, char **out, size_t *outn)
{
    unsigned char *c, *w = NULL;
    size_t cn, wn = 0;
    enum sk_pdf_rc rc = sk_pdf_string(d->pdf, o, s, n, &c, &cn);

    *out = NULL;
    if (rc == SK_PDF_OK && sk_pdf_encrypted(d->pdf) != 0 &&
        (rc = sk_pdf_string(d->pdf, NULL, s, n, &w, &wn)) == SK_PDF_OK &&
        (wn == cn && memcmp(w, c, cn) == 0)) {
        free(w);
        w = NULL, wn = 0;
    }
    if (rc == SK_PDF_NOMEM)
        d->ctx->oom = 1;
    else if (rc == SK_PDF_ENCRYPTED)
        sk_dlp_undecodable(d->ctx, "a PDF string that cannot be decrypted");
    if (rc != SK_PDF_OK || !(*out = malloc(3 * (cn + wn) + 16))) {
        d->ctx->oom |= rc == SK_PDF_OK;
        free(c);
        free(w);
        return -1;
    }
    *outn = sk_pdf_text_string(c, cn, *out);
    if (w) {
        (*out)[(*outn)++] = '\n';
        *outn += sk_pdf_text_string(w, wn, *out + *outn);
    }
    free(c);
    free(w);
    return 0;
}

/* The strings of one dictionary a viewer shows or a receiver reads (one
 * pass over its keys). */
static int sk_dpdf_strings(struct sk_dpdf *d, const struct sk_pdf_obj *o)
{
    static const char *const keys[] = {"Title",   "Author",   "Subject",  "Keywords",
                                       "Creator", "Producer", "Contents", "V",
                                       "DV",      "T",        "TU",       "RC"};
    struct sk_pdf_tok k, v;
    const unsigned char *p = o->dict;
    size_t n = o->dict_len;

    if (n < 4 || p[0] != '<' || p[1] != '<')
        return 0;
    for (size_t i = 2; (i = sk_pdf_tok_next(p, n - 2, i, &k)) <= n - 2 && k.t != SK_TK_EOF;) {
        if (k.t != SK_TK_NAME)
            continue;
        i = sk_pdf_tok_next(p, n - 2, i, &v);
        if (v.t != SK_TK_STR && v.t != SK_TK_HEX)
            continue;
        char key[16]; /* #xx escapes undone: /Cont#65nts is /Contents */
        size_t j = 0;
        if (k.n >= sizeof(key) * 3 || sk_pdf_name(k.p - 1, k.n + 1, key, sizeof(key)) != 0)
            continue;
        while (j < sizeof(keys) / sizeof(*keys) && strcmp(keys[j], key) != 0)
            j++;
        if (j == sizeof(keys) / sizeof(*keys))
            continue;
        char *u;
        size_t un;
        int rc = 0;
        if (sk_dpdf_str(d, o, v.p, v.n, &u, &un) == 0 && un) {
            u[un++] = '\n';
            rc = sk_dpdf_out(d, u, un);
        }
        free(u);
        if (rc == -1 || d->ctx->oom)
            return -1;
    }
    return 0;
}

/* An embedded file or a metadata stream: an object of its own. */
/* The file name a file specification gives the embedded file stream O
 * (/UF, else /F, of a dictionary whose /EF names O), into NAME. */
static void sk_dpdf_file_name(struct sk_dpdf *d, const struct sk_pdf_obj *o, char *name,
                              size_t size)
{
    *name = '\0';
    for (size_t i = 0, n = sk_pdf_count(d->pdf); i < n; i++) {
        const struct sk_pdf_obj *s = sk_pdf_at(d->pdf, i);
        const unsigned char *ef, *f, *v;
        size_t efn, fn, vn;
        unsigned num;
        if (s->stream || sk_dpdf_charge(d, s->dict_len) == -1 ||
            sk_dpdf_get(d, s->dict, s->dict_len, "EF", &ef, &efn) != 0 ||
            !((sk_pdf_dict_get(ef, efn, "F", &f, &fn) == 0 && sk_pdf_ref(f, fn, &num) == 0 &&
               num == o->num) ||
              (sk_pdf_dict_get(ef, efn, "UF", &f, &fn) == 0 && sk_pdf_ref(f, fn, &num) == 0 &&
               num == o->num)))
            continue;
        if ((sk_pdf_dict_get(s->dict, s->dict_len, "UF", &v, &vn) == 0 ||
             sk_pdf_dict_get(s->dict, s->dict_len, "F", &v, &vn) == 0) &&
            vn < 256 && (v[0] == '(' || v[0] == '<')) {
            char *u;
            size_t un;
            if (sk_dpdf_str(d, s, v, vn, &u, &un) == 0)
                snprintf(name, size, "%.*s", (int)un, u);
            free(u);
        }
        return;
    }
}

static int sk_dpdf_file(struct sk_dpdf *d, const struct sk_pdf_obj *o, const char *ctype)
{
    unsigned char *b;
    size_t bn;

    if (d->emit)
        return 0;
    if (d->depth + 1 >= SK_DLP_MAX_DEPTH) {
        sk_dlp_undecodable(d->ctx, "a file embedded in a PDF nested too deeply");
        return 0;
    }
    if (sk_dpdf_stream(d, o, &b, &bn) == -1)
        return 0;
    /* named as its file specification names it (an attachment's .json
     * or .xml is read as one; the log shows the name) */
    char name[128];
    if (!ctype)
        sk_dpdf_file_name(d, o, name, sizeof(name));
    else
        *name = '\0';
    int rc = sk_dlp_member_read(d->ctx, ctype, *name ? name : NULL,
                                *name       ? name
                                : d->h.name ? d->h.name
                                            : "",
                                d->depth + 1, b, bn);
    free(b);
    return rc;
}

/* Read the document P[0..N) (borrowed while it is read). -1: out of memory. */
static int sk_dpdf_read(struct sk_dpdf *d, const unsigned char *p, size_t n)
{
    struct sk_pdf_limits lim = {
        .max_objects = SK_PDF_OBJECTS, .max_out = d->ctx->budget, .max_total = d->ctx->budget};
    enum sk_pdf_rc rc = sk_pdf_open(p, n, &lim, &d->pdf);

    if (rc == SK_PDF_NOT_PDF)
        return 0;
    if (rc == SK_PDF_NOMEM)
        return -1;
    if (rc == SK_PDF_LIMIT)
        d->ctx->limit = 1; /* the objects before it are read */
    else if (rc != SK_PDF_OK || !d->pdf) {
        sk_dlp_undecodable(d->ctx, rc == SK_PDF_ENCRYPTED
                                       ? "an encrypted PDF (not the empty password)"
                                       : "a PDF that cannot be read");
        return 0;
    }
    if (!d->pdf)
        return 0;
    if (sk_pdf_encrypted(d->pdf) == -1) {
        sk_dlp_undecodable(d->ctx, "an encrypted PDF (not the empty password)");
        return 0;
    }
    if (d->depth + 1 >= SK_DLP_MAX_DEPTH) {
        sk_dlp_undecodable(d->ctx, "a PDF nested too deeply");
        return 0;
    }
    struct sk_pdf_res_ops ops = {sk_dpdf_font, sk_dpdf_form, sk_dpdf_emit, d};
    struct sk_pdf_text *t = sk_pdf_text_new(&ops);
    d->win = t && !d->emit ? sk_dlp_engine_sub(d->ctx->e) : NULL;
    d->text = d->win
                  ? sk_dlp_object_new(d->ctx, "text/plain; charset=utf-8", d->h.name, d->depth + 1)
                  : NULL;
    int rc2 = d->text || (t && d->emit) ? 0 : -1;
    if (d->win)
        sk_dlp_engine_where(d->win, d->h.name ? d->h.name : "");
    for (size_t i = 0, nobj = sk_pdf_count(d->pdf); rc2 == 0 && i < nobj; i++) {
        const struct sk_pdf_obj *o = sk_pdf_at(d->pdf, i);
        if (sk_pdf_find(d->pdf, o->num) != o) /* replaced by a later update */
            continue;
        if (o->stream && sk_dpdf_name_is(d, o->dict, o->dict_len, "Type", "EmbeddedFile"))
            rc2 = sk_dpdf_file(d, o, NULL);
        else if (o->stream && sk_dpdf_name_is(d, o->dict, o->dict_len, "Type", "Metadata"))
            rc2 = sk_dpdf_file(d, o, "application/xml");
        else if (!o->stream && sk_dpdf_name_is(d, o->dict, o->dict_len, "Type", "Page"))
            rc2 = sk_dpdf_page(d, o, t);
        if (rc2 == 0 && !o->stream)
            rc2 = sk_dpdf_strings(d, o);
        if (rc2 == 0 && !o->stream)
            rc2 = sk_dpdf_ap(d, o, t);
    }
    if (rc2 == 0 && d->text)
        rc2 = sk_dlp_end_in(d->ctx, d->win, d->text);
    sk_pdf_text_free(t);
    return rc2;
}

static void sk_dpdf_release(struct sk_dpdf *d)
{
    for (size_t i = 0; i < d->nfonts; i++) {
        sk_pdf_font_fini(&d->fonts[i]->f);
        free(d->fonts[i]);
    }
    free(d->fonts);
    d->fonts = NULL, d->nfonts = 0;
    for (size_t i = 0; i < d->nforms; i++)
        free(d->forms[i].data);
    free(d->forms);
    d->forms = NULL, d->nforms = d->cforms = 0;
    while (d->res) {
        struct sk_dpdf_res *r = d->res;
        d->res = r->next;
        free(r);
    }
    if (d->text)
        d->text->destroy(d->text);
    d->text = NULL;
    sk_dlp_engine_free(d->win);
    d->win = NULL;
    sk_pdf_free(d->pdf);
    d->pdf = NULL;
}

/* dlp_hold.c's IS: "%PDF-" within the first SK_PDF_HEAD bytes. */
static int sk_dpdf_is(const unsigned char *p, size_t n, int final)
{
    size_t k = n < SK_PDF_HEAD ? n : SK_PDF_HEAD;

    if (k >= 5 && memmem(p, k, "%PDF-", 5) != NULL)
        return 1;
    return final || n >= SK_PDF_HEAD ? 0 : -1;
}

/* dlp_hold.c's READ: the held document, if what is left of
 * dlp.max-decoded covers reading it again. */
static int sk_dpdf_end(struct sk_dlp_hold *h)
{
    if (sk_dlp_hold_charge(h, h->held.len) == -1)
        return 0;
    return sk_dpdf_read((struct sk_dpdf *)h, sk_dlp_held(h), h->held.len);
}

static void sk_dpdf_release_held(struct sk_dlp_hold *h)
{
    sk_dpdf_release((struct sk_dpdf *)h);
}

int sk_dlp_pdf_wants(const unsigned char *p, size_t n)
{
    return sk_dlp_hold_wants(sk_dpdf_is, SK_PDF_HEAD, p, n);
}

struct sk_dlp_sink *sk_dlp_pdf_new(struct sk_dlp_ctx *ctx, const char *name, int depth,
                                   struct sk_dlp_sink *next)
{
    struct sk_dlp_hold *h = sk_dlp_hold_new(sizeof(struct sk_dpdf), ctx, name, depth, next);
    struct sk_dpdf *d = (struct sk_dpdf *)h;

    if (h == NULL)
        return NULL;
    h->head = SK_PDF_HEAD;
    h->is = sk_dpdf_is, h->read = sk_dpdf_end, h->release = sk_dpdf_release_held;
    d->ctx = ctx;
    d->depth = depth;
    return &h->sink;
}

int sk_dlp_pdf_text(const unsigned char *p, size_t n, int (*emit)(void *, const char *, size_t),
                    void *arg, char *why, size_t whylen)
{
    struct sk_dlp_ctx ctx = {.budget = 256ull << 20};
    struct sk_dpdf d = {.ctx = &ctx, .emit = emit, .emit_arg = arg};
    int rc = sk_dpdf_read(&d, p, n);

    sk_dpdf_release(&d);
    snprintf(why, whylen, "%s%s", ctx.undecodable ? ctx.why : "", ctx.limit ? " (a limit)" : "");
    return rc == -1 || ctx.oom ? -1 : (ctx.undecodable || ctx.limit);
}

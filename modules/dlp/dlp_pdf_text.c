/* dlp_pdf_text.c - the text a content stream draws, in the order it draws
 * it, with spaces and line ends where the glyphs' positions put them (as
 * pdftotext's reading of one line: a gap of more than 0.15 em between two
 * glyphs on one baseline is a space, a move off the baseline by more than
 * half the font size a line end). The text operators (BT/ET, Tf, Tc, Tw,
 * Tz, TL, Ts, Td, TD, Tm, T*, Tj, TJ, ', "), the graphics state's matrix
 * (q, Q, cm), Form XObjects (Do, through the caller's resources), and
 * inline images skipped (BI ... ID <bytes> EI). A glyph's text comes from
 * the font's ToUnicode CMap, else its encoding (simple fonts); its width
 * from /Widths or /W, else half an em.
 * SECURITY: client-controlled; operands are a bounded stack, q nests 64
 * deep (more is ignored, as readers cap it), forms SK_PDF_FORM_DEPTH
 * deep, and SK_PDF_WORK bytes are interpreted at most (forms drawn many
 * times over count each time).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dlp_pdf.h"

#define SK_NOPS  8  /* operands kept (the most any text operator takes is 6) */
#define SK_QMAX  64 /* q nesting */
#define SK_OUTSZ 4096

struct sk_gs {
    double ctm[6];
    double tc, tw, th, tl, ts, fs;
    const struct sk_pdf_font *font;
};

struct sk_pdf_text {
    struct sk_pdf_res_ops ops;
    struct sk_gs gs;
    struct sk_gs stack[SK_QMAX];
    int sp, over; /* over: q's past SK_QMAX not pushed */
    double tm[6], tlm[6];
    int have_last;
    double lx, ly; /* where the last glyph ended (device space) */
    char last;     /* the last character emitted */
    uint64_t work;
    int depth, limit;
    char out[SK_OUTSZ];
    size_t on;
    unsigned char *scratch; /* a string's bytes */
    size_t scap;
    /* marked content: an /ActualText replaces the text of the glyphs drawn
     * inside it (cairo draws a font's missing letters so), read where the
     * first of them is, as poppler does */
    int mc;       /* BMC/BDC nesting */
    int at_mc;    /* the level an /ActualText is open at, 0 none */
    int at_shown; /* it was emitted */
    char *at;     /* its text, UTF-8 */
    size_t atn;
};

static const double sk_id[6] = {1, 0, 0, 1, 0, 0};

/* R = A x B (row vectors, as PDF writes matrices) */
static void sk_mul(const double *a, const double *b, double *r)
{
    double t[6] = {a[0] * b[0] + a[1] * b[2],        a[0] * b[1] + a[1] * b[3],
                   a[2] * b[0] + a[3] * b[2],        a[2] * b[1] + a[3] * b[3],
                   a[4] * b[0] + a[5] * b[2] + b[4], a[4] * b[1] + a[5] * b[3] + b[5]};
    memcpy(r, t, sizeof(t));
}

struct sk_pdf_text *sk_pdf_text_new(const struct sk_pdf_res_ops *ops)
{
    struct sk_pdf_text *t = calloc(1, sizeof(*t));

    if (!t)
        return NULL;
    t->ops = *ops;
    memcpy(t->gs.ctm, sk_id, sizeof(sk_id));
    t->gs.th = 1;
    memcpy(t->tm, sk_id, sizeof(sk_id));
    memcpy(t->tlm, sk_id, sizeof(sk_id));
    t->last = '\n';
    return t;
}

void sk_pdf_text_free(struct sk_pdf_text *t)
{
    if (!t)
        return;
    free(t->scratch);
    free(t->at);
    free(t);
}

static int sk_flush(struct sk_pdf_text *t)
{
    int rc = t->on ? t->ops.emit(t->ops.arg, t->out, t->on) : 0;

    t->on = 0;
    return rc;
}

static int sk_emit(struct sk_pdf_text *t, const char *p, size_t n)
{
    if (t->on + n > sizeof(t->out) && sk_flush(t) == -1)
        return -1;
    memcpy(t->out + t->on, p, n);
    t->on += n;
    t->last = p[n - 1];
    return 0;
}

int sk_pdf_text_end(struct sk_pdf_text *t)
{
    if (t->last != '\n' && sk_emit(t, "\n", 1) == -1)
        return -1;
    /* the next page starts with a state of its own (the work done counts on) */
    memset(&t->gs, 0, sizeof(t->gs));
    memcpy(t->gs.ctm, sk_id, sizeof(sk_id));
    t->gs.th = 1;
    t->sp = t->over = 0;
    memcpy(t->tm, sk_id, sizeof(sk_id));
    memcpy(t->tlm, sk_id, sizeof(sk_id));
    t->have_last = 0;
    return sk_flush(t);
}

/* The width of CODE in glyph space (1/1000 em). */
static double sk_width(const struct sk_pdf_font *f, uint32_t code)
{
    if (!f)
        return 500;
    if (f->cid) {
        for (size_t i = 0; i < f->ncidw; i++)
            if (code >= f->cidw[i].lo && code <= f->cidw[i].hi)
                return f->cidw[i].w;
        return f->dw > 0 ? f->dw : 1000;
    }
    if (code < 256 && f->width[code] >= 0)
        return f->width[code];
    return f->dw > 0 ? f->dw : 500;
}

/* Before a glyph whose origin is (X, Y) in device space, with a text
 * direction (DX, DY) and a font size FSD in device space: a space or a
 * line end from where the last glyph ended. */
static int sk_sep(struct sk_pdf_text *t, double x, double y, double dx, double dy, double fsd)
{
    if (!t->have_last || t->last == '\n')
        return 0;
    double ex = x - t->lx, ey = y - t->ly;
    double along = ex * dx + ey * dy, across = -ex * dy + ey * dx;
    if (fabs(across) > 0.5 * fsd)
        return sk_emit(t, "\n", 1);
    if ((along > 0.15 * fsd || along < -fsd) && t->last != ' ')
        return sk_emit(t, " ", 1);
    return 0;
}

/* The device-space point of the text-space point (0, TS) under TM. */
static void sk_origin(const struct sk_pdf_text *t, double *x, double *y)
{
    double trm[6];

    sk_mul(t->tm, t->gs.ctm, trm);
    *x = t->gs.ts * trm[2] + trm[4];
    *y = t->gs.ts * trm[3] + trm[5];
}

/* Show the string S[0..N): each code's text, spaced by its position. */
static int sk_show(struct sk_pdf_text *t, const unsigned char *s, size_t n)
{
    const struct sk_pdf_font *f = t->gs.font;
    double trm[6];

    sk_mul(t->tm, t->gs.ctm, trm);
    double dl = hypot(trm[0], trm[1]), vl = hypot(trm[2], trm[3]);
    double dx = dl > 0 ? trm[0] / dl : 1, dy = dl > 0 ? trm[1] / dl : 0;
    double fsd = fabs(t->gs.fs) * (vl > 0 ? vl : 1);
    for (size_t i = 0; i < n;) {
        uint32_t code;
        size_t k;
        char u[SK_PDF_UTF8_MAX];
        size_t ul = 0;
        if (f && f->tounicode) {
            k = sk_pdf_cmap_code(f->tounicode, s + i, n - i, &code);
        } else if (f && f->cid) {
            k = n - i >= 2 ? 2 : 1;
            code = k == 2 ? (uint32_t)s[i] << 8 | s[i + 1] : s[i];
        } else {
            k = 1, code = s[i];
        }
        if (f && f->tounicode)
            ul = sk_pdf_cmap_lookup(f->tounicode, code, k, u);
        if (!ul && f && !f->cid && code < 256 && f->enc[code])
            ul = sk_pdf_utf8(f->enc[code], u);
        if (!ul && !f && code >= 0x20 && code < 0x7f) /* no font: the bytes as ASCII */
            u[0] = (char)code, ul = 1;
        double x, y;
        sk_origin(t, &x, &y);
        if (t->at_mc) { /* the actual text instead, once */
            ul = 0;
            if (!t->at_shown && t->atn &&
                (sk_sep(t, x, y, dx, dy, fsd) == -1 || sk_emit(t, t->at, t->atn) == -1))
                return -1;
            t->at_shown = 1;
        }
        if (ul && (sk_sep(t, x, y, dx, dy, fsd) == -1 || sk_emit(t, u, ul) == -1))
            return -1;
        double tx = (sk_width(f, code) / 1000 * t->gs.fs + t->gs.tc +
                     (k == 1 && code == 32 ? t->gs.tw : 0)) *
                    t->gs.th;
        t->tm[4] += tx * t->tm[0], t->tm[5] += tx * t->tm[1];
        sk_origin(t, &t->lx, &t->ly);
        t->have_last = 1;
        i += k;
    }
    return 0;
}

/* The bytes of a string operand (into the scratch buffer): length, -1. */
static long sk_str(struct sk_pdf_text *t, const struct sk_pdf_tok *o)
{
    if (o->t != SK_TK_STR && o->t != SK_TK_HEX)
        return -2;
    if (o->n + 1 > t->scap) {
        unsigned char *p = realloc(t->scratch, o->n + 1);
        if (!p)
            return -1;
        t->scratch = p, t->scap = o->n + 1;
    }
    return sk_pdf_string_bytes(o->p, o->n, t->scratch, t->scap);
}

static int sk_show_op(struct sk_pdf_text *t, const struct sk_pdf_tok *o)
{
    long k = sk_str(t, o);

    if (k == -1)
        return -1;
    return k > 0 ? sk_show(t, t->scratch, (size_t)k) : 0;
}

/* TJ: strings and adjustments (a number moves back by n/1000 em). */
static int sk_show_array(struct sk_pdf_text *t, const struct sk_pdf_tok *a)
{
    struct sk_pdf_tok e;

    if (a->t != SK_TK_ARR || a->n < 2)
        return 0;
    for (size_t i = 1; (i = sk_pdf_tok_next(a->p, a->n - 1, i, &e)) <= a->n && e.t != SK_TK_EOF;) {
        if (e.t == SK_TK_NUM) {
            double tx = -e.v / 1000 * t->gs.fs * t->gs.th;
            t->tm[4] += tx * t->tm[0], t->tm[5] += tx * t->tm[1];
        } else if (sk_show_op(t, &e) == -1) {
            return -1;
        }
    }
    return 0;
}

static void sk_td(struct sk_pdf_text *t, double x, double y)
{
    double m[6] = {1, 0, 0, 1, x, y};

    sk_mul(m, t->tlm, t->tlm);
    memcpy(t->tm, t->tlm, sizeof(t->tm));
}

/* After "ID": the offset after the inline image's data and "EI" (EI
 * between white space, or at the end). */
static size_t sk_skip_image(const unsigned char *p, size_t n, size_t i)
{
    if (i < n && (p[i] == ' ' || p[i] == '\n' || p[i] == '\r' || p[i] == '\t'))
        i++;
    for (; i + 1 < n; i++)
        if (p[i] == 'E' && p[i + 1] == 'I' && i > 0 && strchr(" \t\r\n\f", p[i - 1]) &&
            (i + 2 == n || strchr(" \t\r\n\f\0", p[i + 2])))
            return i + 2;
    return n;
}

static int sk_run(struct sk_pdf_text *t, const unsigned char *p, size_t n, void *res);

/* A name token's text with #xx escapes undone (as the resource
 * dictionary's keys are compared): 0, or -1 when it does not fit. */
static int sk_name(const struct sk_pdf_tok *k, char *out, size_t size)
{
    size_t o = 0;

    if (k->t != SK_TK_NAME)
        return -1;
    for (size_t i = 0; i < k->n; i++) {
        unsigned char c = k->p[i];
        if (c == '#' && i + 2 < k->n && sk_pdf_hexval(k->p[i + 1]) >= 0 &&
            sk_pdf_hexval(k->p[i + 2]) >= 0) {
            c = (unsigned char)(sk_pdf_hexval(k->p[i + 1]) << 4 | sk_pdf_hexval(k->p[i + 2]));
            i += 2;
        }
        if (o + 1 >= size || c == 0)
            return -1;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return 0;
}

/* BDC with a property list D: its /ActualText, if any, opens. */
static int sk_bdc(struct sk_pdf_text *t, const struct sk_pdf_tok *d)
{
    struct sk_pdf_tok k, v;

    t->mc++;
    if (t->at_mc || d->t != SK_TK_DICT || d->n < 4)
        return 0;
    for (size_t i = 2;
         (i = sk_pdf_tok_next(d->p, d->n - 2, i, &k)) <= d->n - 2 && k.t != SK_TK_EOF;) {
        i = sk_pdf_tok_next(d->p, d->n - 2, i, &v);
        if (k.t != SK_TK_NAME || k.n != 10 || memcmp(k.p, "ActualText", 10) != 0)
            continue;
        long bn = sk_str(t, &v);
        if (bn == -1)
            return -1;
        if (bn < 0)
            return 0;
        char *u = malloc(3 * (size_t)bn + 8);
        if (!u)
            return -1;
        free(t->at);
        t->at = u;
        t->atn = sk_pdf_text_string(t->scratch, (size_t)bn, u);
        t->at_mc = t->mc, t->at_shown = 0;
        return 0;
    }
    return 0;
}

/* Do: a Form XObject's content, drawn with its matrix, in a state of its
 * own that ends with it. */
static int sk_do(struct sk_pdf_text *t, const struct sk_pdf_tok *name, void *res)
{
    char nm[128];
    const unsigned char *c;
    size_t cn;
    void *sub;
    double m[6] = {1, 0, 0, 1, 0, 0};

    if (!t->ops.form || sk_name(name, nm, sizeof(nm)) == -1)
        return 0;
    if (t->ops.form(t->ops.arg, res, nm, &c, &cn, &sub, m) == -1)
        return 0;
    if (t->depth >= SK_PDF_FORM_DEPTH) {
        t->limit = 1;
        return 0;
    }
    struct sk_gs saved = t->gs;
    double tm[6], tlm[6];
    int sp = t->sp, over = t->over;
    memcpy(tm, t->tm, sizeof(tm));
    memcpy(tlm, t->tlm, sizeof(tlm));
    sk_mul(m, t->gs.ctm, t->gs.ctm);
    t->depth++;
    int rc = sk_run(t, c, cn, sub);
    t->depth--;
    t->gs = saved, t->sp = sp, t->over = over;
    memcpy(t->tm, tm, sizeof(tm));
    memcpy(t->tlm, tlm, sizeof(tlm));
    return rc;
}

#define OP(s) (k.n == sizeof(s) - 1 && memcmp(k.p, s, k.n) == 0)

static int sk_run(struct sk_pdf_text *t, const unsigned char *p, size_t n, void *res)
{
    struct sk_pdf_tok o[SK_NOPS], k;
    size_t no = 0, i = 0;

    if (t->work + n > SK_PDF_WORK) {
        t->limit = 1;
        return 0;
    }
    t->work += n;
    while ((i = sk_pdf_tok_next(p, n, i, &k)) <= n && k.t != SK_TK_EOF) {
        if (k.t != SK_TK_OP) {
            if (no == SK_NOPS)
                memmove(o, o + 1, sizeof(*o) * --no);
            o[no++] = k;
            continue;
        }
        double v[6] = {0};
        for (size_t j = 0; j < no && j < 6; j++)
            v[j] = o[no - 1 - j].t == SK_TK_NUM ? o[no - 1 - j].v : 0; /* v[0]: the last */
        const struct sk_pdf_tok *last = no ? &o[no - 1] : NULL;
        int rc = 0;
        if (OP("BT")) {
            memcpy(t->tm, sk_id, sizeof(sk_id));
            memcpy(t->tlm, sk_id, sizeof(sk_id));
        } else if (OP("Tj") && last) {
            rc = sk_show_op(t, last);
        } else if (OP("TJ") && last) {
            rc = sk_show_array(t, last);
        } else if (OP("'") && last) {
            sk_td(t, 0, -t->gs.tl);
            rc = sk_show_op(t, last);
        } else if (OP("\"") && no >= 3) {
            t->gs.tw = v[2], t->gs.tc = v[1];
            sk_td(t, 0, -t->gs.tl);
            rc = sk_show_op(t, last);
        } else if (OP("Td") && no >= 2) {
            sk_td(t, v[1], v[0]);
        } else if (OP("TD") && no >= 2) {
            t->gs.tl = -v[0];
            sk_td(t, v[1], v[0]);
        } else if (OP("T*")) {
            sk_td(t, 0, -t->gs.tl);
        } else if (OP("Tm") && no >= 6) {
            double m[6] = {v[5], v[4], v[3], v[2], v[1], v[0]};
            memcpy(t->tm, m, sizeof(m));
            memcpy(t->tlm, m, sizeof(m));
        } else if (OP("cm") && no >= 6) {
            double m[6] = {v[5], v[4], v[3], v[2], v[1], v[0]};
            sk_mul(m, t->gs.ctm, t->gs.ctm);
        } else if (OP("Tf") && no >= 2) {
            char nm[128];
            const struct sk_pdf_tok *f = &o[no - 2];
            t->gs.fs = v[0];
            t->gs.font = NULL;
            if (t->ops.font && sk_name(f, nm, sizeof(nm)) == 0)
                t->gs.font = t->ops.font(t->ops.arg, res, nm);
        } else if (OP("Tc") && no) {
            t->gs.tc = v[0];
        } else if (OP("Tw") && no) {
            t->gs.tw = v[0];
        } else if (OP("Tz") && no) {
            t->gs.th = v[0] / 100;
        } else if (OP("TL") && no) {
            t->gs.tl = v[0];
        } else if (OP("Ts") && no) {
            t->gs.ts = v[0];
        } else if (OP("q")) {
            if (t->sp < SK_QMAX)
                t->stack[t->sp++] = t->gs;
            else
                t->over++;
        } else if (OP("Q")) {
            if (t->over)
                t->over--;
            else if (t->sp)
                t->gs = t->stack[--t->sp];
        } else if (OP("Do") && last) {
            rc = sk_do(t, last, res);
        } else if (OP("BDC") && last) {
            rc = sk_bdc(t, last);
        } else if (OP("BMC")) {
            t->mc++;
        } else if (OP("EMC")) {
            if (t->at_mc && t->at_mc == t->mc)
                t->at_mc = 0;
            if (t->mc)
                t->mc--;
        } else if (OP("ID")) {
            i = sk_skip_image(p, n, i);
        }
        if (rc == -1)
            return -1;
        no = 0;
    }
    return 0;
}

#undef OP

int sk_pdf_text_run(struct sk_pdf_text *t, const unsigned char *p, size_t n, void *res)
{
    if (sk_run(t, p, n, res) == -1 || sk_flush(t) == -1)
        return -1;
    return t->limit ? 1 : 0;
}

/* dlp_pdf_cmap.c - the pieces of PDF text that are not the document: the
 * token reader of content streams and CMaps, strings (literal with
 * escapes, hex, text strings in UTF-16BE or PDFDocEncoding), ToUnicode
 * CMaps (codespace ranges, bfchar, bfrange with a base string or an
 * array), simple fonts' encodings (Standard, WinAnsi, MacRoman, then
 * /Differences by glyph name). The reference is pdftotext (poppler).
 * SECURITY: every byte is client-controlled; scanning is iterative (an
 * array nested 10^6 deep costs a counter), a CMap keeps at most
 * SK_PDF_CMAP_MAX mappings and 16 code points per code.
 */
#include <stdlib.h>
#include <string.h>

#include "dlp_pdf.h"

/* ---- tokens ---- */

static int sk_ws(unsigned char c)
{
    return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ';
}

static int sk_delim(unsigned char c)
{
    return c == '(' || c == ')' || c == '<' || c == '>' || c == '[' || c == ']' || c == '{' ||
           c == '}' || c == '/' || c == '%';
}

/* P[I] is '(': the offset after the matching ')' (escapes, nesting). */
static size_t sk_skip_str(const unsigned char *p, size_t n, size_t i)
{
    int depth = 0;

    for (; i < n; i++) {
        if (p[i] == '\\')
            i++;
        else if (p[i] == '(')
            depth++;
        else if (p[i] == ')' && --depth == 0)
            return i + 1;
    }
    return n;
}

/* P[I] is '[' or "<<": the offset after the matching close; strings,
 * hex strings and comments inside skipped. */
static size_t sk_skip_nest(const unsigned char *p, size_t n, size_t i)
{
    size_t depth = 0;

    while (i < n) {
        unsigned char c = p[i];
        if (c == '(') {
            i = sk_skip_str(p, n, i);
            continue;
        }
        if (c == '%') {
            while (i < n && p[i] != '\r' && p[i] != '\n')
                i++;
            continue;
        }
        if (c == '[' || (c == '<' && i + 1 < n && p[i + 1] == '<')) {
            depth++;
            i += c == '[' ? 1 : 2;
        } else if (c == ']' || (c == '>' && i + 1 < n && p[i + 1] == '>')) {
            i += c == ']' ? 1 : 2;
            if (depth && --depth == 0)
                return i;
        } else if (c == '<') { /* a hex string */
            const unsigned char *e = memchr(p + i, '>', n - i);
            i = e ? (size_t)(e - p) + 1 : n;
        } else {
            i++;
        }
    }
    return n;
}

size_t sk_pdf_tok_next(const unsigned char *p, size_t n, size_t i, struct sk_pdf_tok *t)
{
    for (;;) {
        while (i < n && sk_ws(p[i]))
            i++;
        if (i < n && p[i] == '%') {
            while (i < n && p[i] != '\r' && p[i] != '\n')
                i++;
            continue;
        }
        break;
    }
    t->p = p + i, t->n = 0, t->v = 0;
    if (i >= n) {
        t->t = SK_TK_EOF;
        return n;
    }
    size_t s = i;
    unsigned char c = p[i];
    if (c == '(') {
        t->t = SK_TK_STR;
        i = sk_skip_str(p, n, i);
    } else if (c == '<' && i + 1 < n && p[i + 1] == '<') {
        t->t = SK_TK_DICT;
        i = sk_skip_nest(p, n, i);
    } else if (c == '<') {
        const unsigned char *e = memchr(p + i, '>', n - i);
        t->t = SK_TK_HEX;
        i = e ? (size_t)(e - p) + 1 : n;
    } else if (c == '[') {
        t->t = SK_TK_ARR;
        i = sk_skip_nest(p, n, i);
    } else if (c == '/') {
        t->t = SK_TK_NAME;
        for (i++; i < n && !sk_ws(p[i]) && !sk_delim(p[i]);)
            i++;
        t->p = p + s + 1, t->n = i - s - 1;
        return i;
    } else if (sk_delim(c)) { /* a stray ')', ']', '>', '{', '}' */
        t->t = SK_TK_OP;
        i++;
    } else {
        for (; i < n && !sk_ws(p[i]) && !sk_delim(p[i]);)
            i++;
        t->t = SK_TK_OP;
        if (c == '+' || c == '-' || c == '.' || (c >= '0' && c <= '9')) {
            /* a number as readers take it: sign, digits, one point; junk
             * after it ends it ("4-2" is 4 to poppler) */
            double v = 0, scale = 0;
            int neg = 0, digits = 0;
            size_t k = s;
            while (k < i && (p[k] == '+' || p[k] == '-'))
                neg ^= p[k++] == '-';
            for (; k < i; k++) {
                if (p[k] == '.' && scale == 0)
                    scale = 1;
                else if (p[k] >= '0' && p[k] <= '9') {
                    digits = 1;
                    if (scale) {
                        scale /= 10;
                        v += (p[k] - '0') * scale;
                    } else if (v < 1e15) {
                        v = v * 10 + (p[k] - '0');
                    }
                } else
                    break;
            }
            t->t = SK_TK_NUM;
            t->v = neg ? -v : v;
            (void)digits;
        }
    }
    t->n = i - s;
    return i;
}

int sk_pdf_hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
        return (c | 0x20) - 'a' + 10;
    return -1;
}

size_t sk_pdf_utf8(uint32_t u, char *out)
{
    if (u < 0x80) {
        out[0] = (char)u;
        return 1;
    }
    if (u < 0x800) {
        out[0] = (char)(0xc0 | u >> 6), out[1] = (char)(0x80 | (u & 0x3f));
        return 2;
    }
    if ((u >= 0xd800 && u < 0xe000) || u > 0x10ffff)
        return 0;
    if (u < 0x10000) {
        out[0] = (char)(0xe0 | u >> 12), out[1] = (char)(0x80 | ((u >> 6) & 0x3f));
        out[2] = (char)(0x80 | (u & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | u >> 18), out[1] = (char)(0x80 | ((u >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((u >> 6) & 0x3f)), out[3] = (char)(0x80 | (u & 0x3f));
    return 4;
}

/* UTF-16BE S[0..N) into code points U (at most MAX): their count.
 * Surrogate pairs combined, a lone surrogate dropped; an odd length is
 * read as bytes (CMaps that write <20> for a space). */
static size_t sk_utf16_cps(const unsigned char *s, size_t n, uint32_t *u, size_t max)
{
    size_t k = 0;

    if (n % 2) {
        for (size_t i = 0; i < n && k < max; i++)
            u[k++] = s[i];
        return k;
    }
    for (size_t i = 0; i + 1 < n && k < max; i += 2) {
        uint32_t c = (uint32_t)s[i] << 8 | s[i + 1];
        if (c >= 0xd800 && c < 0xdc00 && i + 3 < n) {
            uint32_t d = (uint32_t)s[i + 2] << 8 | s[i + 3];
            if (d >= 0xdc00 && d < 0xe000) {
                u[k++] = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
                i += 2;
            }
            continue;
        }
        if (c >= 0xd800 && c < 0xe000)
            continue;
        u[k++] = c;
    }
    return k;
}

/* PDFDocEncoding 0x18-0x1f and 0x80-0xa0 (ISO 32000-1 Annex D); the rest
 * is Latin-1. */
static const uint16_t sk_pdfdoc_lo[8] = {0x02d8, 0x02c7, 0x02c6, 0x02d9,
                                         0x02dd, 0x02db, 0x02da, 0x02dc};
static const uint16_t sk_pdfdoc_hi[33] = {
    0x2022, 0x2020, 0x2021, 0x2026, 0x2014, 0x2013, 0x0192, 0x2044, 0x2039, 0x203a, 0x2212,
    0x2030, 0x201e, 0x201c, 0x201d, 0x2018, 0x2019, 0x201a, 0x2122, 0xfb01, 0xfb02, 0x0141,
    0x0152, 0x0160, 0x0178, 0x017d, 0x0131, 0x0142, 0x0153, 0x0161, 0x017e, 0x0000, 0x20ac};

size_t sk_pdf_text_string(const unsigned char *s, size_t n, char *out)
{
    size_t o = 0;

    if (n >= 2 && s[0] == 0xfe && s[1] == 0xff) {
        for (size_t i = 2; i + 1 < n;) {
            uint32_t u[16];
            size_t take = n - i > 32 ? 32 : (n - i) & ~(size_t)1;
            /* never cut a surrogate pair */
            if (take == 32 && s[i + 30] >= 0xd8 && s[i + 30] < 0xdc)
                take = 30;
            size_t k = sk_utf16_cps(s + i, take, u, 16);
            for (size_t j = 0; j < k; j++)
                o += sk_pdf_utf8(u[j], out + o);
            i += take;
        }
        return o;
    }
    if (n >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf) {
        memcpy(out, s + 3, n - 3);
        return n - 3;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t u = s[i];
        if (u >= 0x18 && u <= 0x1f)
            u = sk_pdfdoc_lo[u - 0x18];
        else if (u >= 0x80 && u <= 0xa0)
            u = sk_pdfdoc_hi[u - 0x80];
        if (u)
            o += sk_pdf_utf8(u, out + o);
    }
    return o;
}

/* ---- ToUnicode CMaps ---- */

struct sk_cmap_range {
    uint32_t lo, hi;
    uint32_t off; /* first code point in the pool */
    uint8_t ncp;  /* code points of the destination */
    uint8_t len;  /* bytes of the code */
    uint32_t seq; /* definition order: the later one wins */
};

struct sk_pdf_cmap {
    struct {
        uint8_t lo[4], hi[4], len;
    } cs[64];
    size_t ncs;
    struct sk_cmap_range *m;
    size_t nm, cm;
    uint32_t *pool;
    size_t np, cp;
    size_t srclen; /* longest source code seen (a CMap without codespace ranges) */
};

static int sk_cmap_add(struct sk_pdf_cmap *c, uint32_t lo, uint32_t hi, size_t len,
                       const uint32_t *u, size_t nu)
{
    if (c->nm >= SK_PDF_CMAP_MAX || nu == 0 || hi < lo)
        return 0;
    if (c->nm == c->cm) {
        size_t nc = c->cm ? c->cm * 2 : 64;
        struct sk_cmap_range *m = realloc(c->m, nc * sizeof(*m));
        if (!m)
            return -1;
        c->m = m, c->cm = nc;
    }
    if (c->np + nu > c->cp) {
        size_t nc = c->cp ? c->cp * 2 : 256;
        while (nc < c->np + nu)
            nc *= 2;
        uint32_t *p = realloc(c->pool, nc * sizeof(*p));
        if (!p)
            return -1;
        c->pool = p, c->cp = nc;
    }
    memcpy(c->pool + c->np, u, nu * sizeof(*u));
    c->m[c->nm] =
        (struct sk_cmap_range){lo, hi, (uint32_t)c->np, (uint8_t)nu, (uint8_t)len, (uint32_t)c->nm};
    c->nm++, c->np += nu;
    if (len > c->srclen)
        c->srclen = len;
    return 0;
}

/* A source code token (hex string of 1-4 bytes): 0 with *V and *LEN. */
static int sk_cmap_src(const struct sk_pdf_tok *t, uint32_t *v, size_t *len)
{
    unsigned char b[32]; /* a token's bytes never outnumber its characters */
    long k;

    if (t->t != SK_TK_HEX || t->n > sizeof(b) ||
        (k = sk_pdf_string_bytes(t->p, t->n, b, sizeof(b))) < 1 || k > 4)
        return -1;
    *v = 0;
    for (long i = 0; i < k; i++)
        *v = *v << 8 | b[i];
    *len = (size_t)k;
    return 0;
}

/* A destination: a hex string (UTF-16BE) or a glyph name. Code points
 * into U (16): their count, 0 when it is neither. */
static size_t sk_cmap_dst(const struct sk_pdf_tok *t, uint32_t *u)
{
    unsigned char b[160];

    if (t->t == SK_TK_NAME) {
        u[0] = sk_pdf_glyph_unicode((const char *)t->p, t->n);
        return u[0] != 0;
    }
    if (t->t != SK_TK_HEX || t->n > sizeof(b))
        return 0;
    long k = sk_pdf_string_bytes(t->p, t->n, b, sizeof(b));
    return k > 0 ? sk_utf16_cps(b, (size_t)k, u, 16) : 0;
}

static int sk_cmap_cmp(const void *a, const void *b)
{
    const struct sk_cmap_range *x = a, *y = b;

    if (x->lo != y->lo)
        return x->lo < y->lo ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

struct sk_pdf_cmap *sk_pdf_cmap_parse(const unsigned char *p, size_t n)
{
    struct sk_pdf_cmap *c = calloc(1, sizeof(*c));
    struct sk_pdf_tok t, a, b, d;
    enum { NONE, CS, CHAR, RANGE } in = NONE;
    size_t i = 0;

    if (!c)
        return NULL;
    while ((i = sk_pdf_tok_next(p, n, i, &t)) <= n && t.t != SK_TK_EOF) {
        if (t.t == SK_TK_OP) {
#define KW(s) (t.n == sizeof(s) - 1 && memcmp(t.p, s, t.n) == 0)
            if (KW("begincodespacerange"))
                in = CS;
            else if (KW("beginbfchar"))
                in = CHAR;
            else if (KW("beginbfrange"))
                in = RANGE;
            else if (KW("endcodespacerange") || KW("endbfchar") || KW("endbfrange"))
                in = NONE;
#undef KW
            continue;
        }
        if (in == NONE || t.t != SK_TK_HEX)
            continue;
        uint32_t lo, hi, u[16];
        size_t len, hl, nu;
        /* the entry's other tokens */
        i = sk_pdf_tok_next(p, n, i, &a);
        if (in == CS) {
            unsigned char x[32], y[32];
            long kx = t.n <= sizeof(x) ? sk_pdf_string_bytes(t.p, t.n, x, sizeof(x)) : -1;
            long ky = a.t == SK_TK_HEX && a.n <= sizeof(y)
                          ? sk_pdf_string_bytes(a.p, a.n, y, sizeof(y))
                          : -1;
            if (kx >= 1 && kx <= 4 && kx == ky && c->ncs < sizeof(c->cs) / sizeof(*c->cs)) {
                memcpy(c->cs[c->ncs].lo, x, (size_t)kx);
                memcpy(c->cs[c->ncs].hi, y, (size_t)kx);
                c->cs[c->ncs++].len = (uint8_t)kx;
            }
            continue;
        }
        if (sk_cmap_src(&t, &lo, &len) == -1)
            continue;
        if (in == CHAR) {
            if ((nu = sk_cmap_dst(&a, u)) && sk_cmap_add(c, lo, lo, len, u, nu) == -1)
                goto oom;
            continue;
        }
        i = sk_pdf_tok_next(p, n, i, &b);
        if (sk_cmap_src(&a, &hi, &hl) == -1 || hi < lo)
            continue;
        if (b.t == SK_TK_ARR) { /* one destination per code */
            size_t j = 1;
            for (uint32_t code = lo; code <= hi; code++) {
                j = sk_pdf_tok_next(b.p, b.n - 1, j, &d);
                if (d.t == SK_TK_EOF)
                    break;
                if ((nu = sk_cmap_dst(&d, u)) && sk_cmap_add(c, code, code, len, u, nu) == -1)
                    goto oom;
                if (code == UINT32_MAX)
                    break;
            }
        } else if ((nu = sk_cmap_dst(&b, u)) && sk_cmap_add(c, lo, hi, len, u, nu) == -1) {
            goto oom;
        }
    }
    if (c->nm)
        qsort(c->m, c->nm, sizeof(*c->m), sk_cmap_cmp);
    return c;
oom:
    sk_pdf_cmap_free(c);
    return NULL;
}

void sk_pdf_cmap_free(struct sk_pdf_cmap *c)
{
    if (!c)
        return;
    free(c->m);
    free(c->pool);
    free(c);
}

size_t sk_pdf_cmap_code(const struct sk_pdf_cmap *c, const unsigned char *s, size_t n,
                        uint32_t *code)
{
    size_t shortest = 0;

    for (size_t len = 1; len <= 4 && len <= n; len++)
        for (size_t r = 0; r < c->ncs; r++) {
            if (c->cs[r].len != len)
                continue;
            size_t k = 0;
            while (k < len && s[k] >= c->cs[r].lo[k] && s[k] <= c->cs[r].hi[k])
                k++;
            if (k == len) {
                *code = 0;
                for (k = 0; k < len; k++)
                    *code = *code << 8 | s[k];
                return len;
            }
        }
    /* no range takes it: a code of the shortest length in use */
    for (size_t r = 0; r < c->ncs; r++)
        if (!shortest || c->cs[r].len < shortest)
            shortest = c->cs[r].len;
    if (!shortest)
        shortest = c->srclen ? c->srclen : 1;
    if (shortest > n)
        shortest = n;
    *code = 0;
    for (size_t k = 0; k < shortest; k++)
        *code = *code << 8 | s[k];
    return shortest;
}

/* The mapping of CODE among those of length LEN (0: any). */
static const struct sk_cmap_range *sk_cmap_find(const struct sk_pdf_cmap *c, uint32_t code,
                                                size_t len)
{
    size_t lo = 0, hi = c->nm;
    const struct sk_cmap_range *best = NULL;

    while (lo < hi) { /* the first entry whose lo is above CODE */
        size_t mid = lo + (hi - lo) / 2;
        if (c->m[mid].lo <= code)
            lo = mid + 1;
        else
            hi = mid;
    }
    /* ranges that start at or below CODE; the latest definition wins */
    for (size_t i = lo, seen = 0; i-- > 0 && seen < 64; seen++) {
        const struct sk_cmap_range *r = &c->m[i];
        if (r->hi >= code && (!len || r->len == len) && (!best || r->seq > best->seq))
            best = r;
    }
    return best;
}

size_t sk_pdf_cmap_lookup(const struct sk_pdf_cmap *c, uint32_t code, size_t len, char *out)
{
    const struct sk_cmap_range *r = sk_cmap_find(c, code, len);
    size_t o = 0;

    if (!r)
        r = sk_cmap_find(c, code, 0);
    if (!r)
        return 0;
    for (size_t k = 0; k < r->ncp; k++) {
        uint32_t u = c->pool[r->off + k];
        if (k + 1 == r->ncp) /* a range counts up in its last unit */
            u += code - r->lo;
        o += sk_pdf_utf8(u, out + o);
    }
    return o;
}

/* ---- simple fonts ---- */

/* Glyph names of Adobe's list that readers meet in /Differences: ASCII
 * punctuation and digits (letters are their own names), and what folds
 * into a digit run (dashes, spaces). */
static const struct {
    const char *name;
    uint16_t u;
} sk_glyphs[] = {
    {"space", 0x20},
    {"exclam", 0x21},
    {"quotedbl", 0x22},
    {"numbersign", 0x23},
    {"dollar", 0x24},
    {"percent", 0x25},
    {"ampersand", 0x26},
    {"quotesingle", 0x27},
    {"parenleft", 0x28},
    {"parenright", 0x29},
    {"asterisk", 0x2a},
    {"plus", 0x2b},
    {"comma", 0x2c},
    {"hyphen", 0x2d},
    {"period", 0x2e},
    {"slash", 0x2f},
    {"zero", 0x30},
    {"one", 0x31},
    {"two", 0x32},
    {"three", 0x33},
    {"four", 0x34},
    {"five", 0x35},
    {"six", 0x36},
    {"seven", 0x37},
    {"eight", 0x38},
    {"nine", 0x39},
    {"colon", 0x3a},
    {"semicolon", 0x3b},
    {"less", 0x3c},
    {"equal", 0x3d},
    {"greater", 0x3e},
    {"question", 0x3f},
    {"at", 0x40},
    {"bracketleft", 0x5b},
    {"backslash", 0x5c},
    {"bracketright", 0x5d},
    {"asciicircum", 0x5e},
    {"underscore", 0x5f},
    {"grave", 0x60},
    {"braceleft", 0x7b},
    {"bar", 0x7c},
    {"braceright", 0x7d},
    {"asciitilde", 0x7e},
    {"nbspace", 0xa0},
    {"nonbreakingspace", 0xa0},
    {"sfthyphen", 0xad},
    {"softhyphen", 0xad},
    {"quoteleft", 0x2018},
    {"quoteright", 0x2019},
    {"quotedblleft", 0x201c},
    {"quotedblright", 0x201d},
    {"endash", 0x2013},
    {"emdash", 0x2014},
    {"minus", 0x2212},
    {"bullet", 0x2022},
    {"ellipsis", 0x2026},
    {"periodcentered", 0xb7},
    {"figuredash", 0x2012},
    {"afii00208", 0x2015},
    {"ff", 0xfb00},
    {"fi", 0xfb01},
    {"fl", 0xfb02},
    {"ffi", 0xfb03},
    {"ffl", 0xfb04},
    {"Euro", 0x20ac},
    {"copyright", 0xa9},
    {"registered", 0xae},
    {"degree", 0xb0},
    {"section", 0xa7},
    {"paragraph", 0xb6},
    {"germandbls", 0xdf},
    {"dotlessi", 0x131},
};

static int sk_hexnum(const char *s, size_t n, uint32_t *u)
{
    *u = 0;
    for (size_t i = 0; i < n; i++) {
        int v = sk_pdf_hexval((unsigned char)s[i]);
        if (v < 0 || (s[i] >= 'a' && s[i] <= 'f')) /* upper-case hex only, as the AGL says */
            return -1;
        *u = *u << 4 | (uint32_t)v;
    }
    return 0;
}

uint32_t sk_pdf_glyph_unicode(const char *name, size_t n)
{
    const char *dot = memchr(name, '.', n);
    uint32_t u;

    if (dot && dot > name) /* "zero.oldstyle", "one.lf" */
        n = (size_t)(dot - name);
    if (n == 1 && ((name[0] | 0x20) >= 'a' && (name[0] | 0x20) <= 'z'))
        return (unsigned char)name[0];
    if (n == 7 && memcmp(name, "uni", 3) == 0 && sk_hexnum(name + 3, 4, &u) == 0)
        return u >= 0xd800 && u < 0xe000 ? 0 : u;
    if (n >= 5 && n <= 7 && name[0] == 'u' && sk_hexnum(name + 1, n - 1, &u) == 0)
        return (u >= 0xd800 && u < 0xe000) || u > 0x10ffff ? 0 : u;
    for (size_t i = 0; i < sizeof(sk_glyphs) / sizeof(*sk_glyphs); i++)
        if (strlen(sk_glyphs[i].name) == n && memcmp(sk_glyphs[i].name, name, n) == 0)
            return sk_glyphs[i].u;
    return 0;
}

/* cp1252 0x80-0x9f (WinAnsiEncoding's; 0xa0-0xff is Latin-1) */
static const uint16_t sk_winansi[32] = {
    0x20ac, 0x2022, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x2022, 0x017d, 0x2022, 0x2022, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022,
    0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x2022, 0x017e, 0x0178};
/* MacRomanEncoding 0x80-0xff */
static const uint16_t sk_macroman[128] = {
    0x00c4, 0x00c5, 0x00c7, 0x00c9, 0x00d1, 0x00d6, 0x00dc, 0x00e1, 0x00e0, 0x00e2, 0x00e4, 0x00e3,
    0x00e5, 0x00e7, 0x00e9, 0x00e8, 0x00ea, 0x00eb, 0x00ed, 0x00ec, 0x00ee, 0x00ef, 0x00f1, 0x00f3,
    0x00f2, 0x00f4, 0x00f6, 0x00f5, 0x00fa, 0x00f9, 0x00fb, 0x00fc, 0x2020, 0x00b0, 0x00a2, 0x00a3,
    0x00a7, 0x2022, 0x00b6, 0x00df, 0x00ae, 0x00a9, 0x2122, 0x00b4, 0x00a8, 0x2260, 0x00c6, 0x00d8,
    0x221e, 0x00b1, 0x2264, 0x2265, 0x00a5, 0x00b5, 0x2202, 0x2211, 0x220f, 0x03c0, 0x222b, 0x00aa,
    0x00ba, 0x03a9, 0x00e6, 0x00f8, 0x00bf, 0x00a1, 0x00ac, 0x221a, 0x0192, 0x2248, 0x2206, 0x00ab,
    0x00bb, 0x2026, 0x00a0, 0x00c0, 0x00c3, 0x00d5, 0x0152, 0x0153, 0x2013, 0x2014, 0x201c, 0x201d,
    0x2018, 0x2019, 0x00f7, 0x25ca, 0x00ff, 0x0178, 0x2044, 0x00a4, 0x2039, 0x203a, 0xfb01, 0xfb02,
    0x2021, 0x00b7, 0x201a, 0x201e, 0x2030, 0x00c2, 0x00ca, 0x00c1, 0x00cb, 0x00c8, 0x00cd, 0x00ce,
    0x00cf, 0x00cc, 0x00d3, 0x00d4, 0xf8ff, 0x00d2, 0x00da, 0x00db, 0x00d9, 0x0131, 0x02c6, 0x02dc,
    0x00af, 0x02d8, 0x02d9, 0x02da, 0x00b8, 0x02dd, 0x02db, 0x02c7};
/* StandardEncoding above 0x7f (code, Unicode) */
static const uint16_t sk_standard_hi[][2] = {
    {0xa1, 0x00a1}, {0xa2, 0x00a2}, {0xa3, 0x00a3}, {0xa4, 0x2044}, {0xa5, 0x00a5}, {0xa6, 0x0192},
    {0xa7, 0x00a7}, {0xa8, 0x00a4}, {0xa9, 0x0027}, {0xaa, 0x201c}, {0xab, 0x00ab}, {0xac, 0x2039},
    {0xad, 0x203a}, {0xae, 0xfb01}, {0xaf, 0xfb02}, {0xb1, 0x2013}, {0xb2, 0x2020}, {0xb3, 0x2021},
    {0xb4, 0x00b7}, {0xb6, 0x00b6}, {0xb7, 0x2022}, {0xb8, 0x201a}, {0xb9, 0x201e}, {0xba, 0x201d},
    {0xbb, 0x00bb}, {0xbc, 0x2026}, {0xbd, 0x2030}, {0xbf, 0x00bf}, {0xc1, 0x0060}, {0xc2, 0x00b4},
    {0xc3, 0x02c6}, {0xc4, 0x02dc}, {0xc5, 0x00af}, {0xc6, 0x02d8}, {0xc7, 0x02d9}, {0xc8, 0x00a8},
    {0xca, 0x02da}, {0xcb, 0x00b8}, {0xcd, 0x02dd}, {0xce, 0x02db}, {0xcf, 0x02c7}, {0xd0, 0x2014},
    {0xe1, 0x00c6}, {0xe3, 0x00aa}, {0xe8, 0x0141}, {0xe9, 0x00d8}, {0xea, 0x0152}, {0xeb, 0x00ba},
    {0xf1, 0x00e6}, {0xf5, 0x0131}, {0xf8, 0x0142}, {0xf9, 0x00f8}, {0xfa, 0x0153}, {0xfb, 0x00df}};

void sk_pdf_font_encoding(struct sk_pdf_font *f, const char *base, const unsigned char *d,
                          size_t dn)
{
    int win = base && strcmp(base, "WinAnsiEncoding") == 0;
    int mac = base && strcmp(base, "MacRomanEncoding") == 0;

    memset(f->enc, 0, sizeof(f->enc));
    for (unsigned c = 0x20; c < 0x7f; c++)
        f->enc[c] = c;
    if (win || mac) {
        for (unsigned c = 0x80; c < 0x100; c++)
            f->enc[c] = win ? (c < 0xa0 ? sk_winansi[c - 0x80] : c) : sk_macroman[c - 0x80];
        if (win) /* WinAnsi draws 0x7f and 0xad as a bullet and a hyphen */
            f->enc[0xad] = 0x2d;
    } else { /* StandardEncoding: quotes are curly */
        f->enc[0x27] = 0x2019, f->enc[0x60] = 0x2018;
        for (size_t i = 0; i < sizeof(sk_standard_hi) / sizeof(*sk_standard_hi); i++)
            f->enc[sk_standard_hi[i][0]] = sk_standard_hi[i][1];
    }
    if (!d || dn < 2 || d[0] != '[')
        return;
    /* [ code /name /name ... code /name ... ] */
    struct sk_pdf_tok t;
    long code = -1;
    for (size_t i = 1; (i = sk_pdf_tok_next(d, dn - 1, i, &t)) <= dn && t.t != SK_TK_EOF;) {
        if (t.t == SK_TK_NUM)
            code = t.v >= 0 && t.v < 256 ? (long)t.v : -1;
        else if (t.t == SK_TK_NAME && code >= 0 && code < 256)
            f->enc[code++] = sk_pdf_glyph_unicode((const char *)t.p, t.n);
    }
}

void sk_pdf_font_fini(struct sk_pdf_font *f)
{
    sk_pdf_cmap_free(f->tounicode);
    free(f->cidw);
    memset(f, 0, sizeof(*f));
}

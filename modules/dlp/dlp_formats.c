/* dlp_formats.c - streaming text extractors: application/x-www-form-
 * urlencoded (percent-decoding) and JSON (string values, keys and numbers,
 * escapes decoded), and the frame and character-reference reader they and
 * the XML reader (dlp_xml.c) share. Each keeps a few bytes of state
 * between writes.
 * SECURITY: client-controlled input; tolerant by design (malformed input
 * still yields its text), bounded state, no recursion.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sekisho/text.h>

#include "dlp.h"
#include "dlp_fmt.h"

void sk_fmt_utf8(struct sk_fmt *f, uint32_t cp)
{
    unsigned char b[4];
    size_t k = sk_utf8_put(b, cp);

    for (size_t i = 0; i < k; i++)
        sk_fmt_byte(f, b[i]);
}

/* The reference in R as a browser renders it in text content (the
 * toolkit's sk_html_charref_text: U+00A0 for "&nbsp;", which the folding
 * makes a space): the longest reference it begins with ("&nbsp" of
 * "&nbsp1111"), then the rest as written; or all of it as written when it
 * begins none. SEMI: a ';' ended it. */
void sk_fmt_ref(struct sk_fmt *f, struct sk_ref *r, int semi)
{
    uint32_t cp;
    size_t k;

    r->on = 0;
    if (r->lead0 && r->n && (r->b[r->n - 1] == '#' || (r->b[r->n - 1] | 0x20) == 'x'))
        r->b[r->n++] = '0'; /* only zeros */
    if (semi)
        r->b[r->n++] = ';'; /* room: sk_ref_take keeps two bytes free */
    if (r->huge) {
        sk_fmt_utf8(f, 0xfffd);
        return;
    }
    k = r->n ? sk_html_charref_text((const unsigned char *)r->b, r->n, &cp) : 0;
    if (k)
        sk_fmt_utf8(f, cp);
    else
        sk_fmt_byte(f, '&');
    for (size_t i = k; i < r->n; i++)
        sk_fmt_byte(f, (unsigned char)r->b[i]);
}

/* Character C (0x100: one beyond ASCII) of a text that may hold
 * references: taken (1) - it began, continued or ended one with its ';'
 * - or not (0: the caller writes it; a reference in R ended before it). */
int sk_ref_take(struct sk_fmt *f, struct sk_ref *r, unsigned c)
{
    if (r->on) {
        int num = r->n > 0 && r->b[0] == '#';
        int hex = num && r->n >= 2 && (r->b[1] | 0x20) == 'x';
        size_t pre = hex ? 2 : 1; /* "#" or "#x" */
        int dig =
            num && r->n >= pre &&
            (hex ? sk_hex_digit((unsigned char)(c & 0xff)) >= 0 && c < 0x80 : c >= '0' && c <= '9');
        int alnum = (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');

        if (num && r->lead0 && r->n == pre && !dig) {
            r->b[r->n++] = '0'; /* "&#0x34;" is "&#0" and "x34;" */
            r->lead0 = 0;
        }
        if (c == ';') {
            sk_fmt_ref(f, r, 1);
            return 1;
        }
        if (dig && c == '0' && r->n == pre) {
            r->lead0 = 1; /* a leading zero */
            return 1;
        }
        if (dig && r->huge)
            return 1;
        if (r->n == 0 ? alnum || c == '#' : num ? dig || (r->n == 1 && (c | 0x20) == 'x') : alnum) {
            if (r->n + 2 < sizeof(r->b)) {
                r->b[r->n++] = (char)c;
                return 1;
            }
            if (dig) { /* more digits than any code point has */
                r->huge = 1;
                return 1;
            }
        }
        sk_fmt_ref(f, r, 0); /* it ended before C */
    }
    if (c == '&') {
        r->on = 1;
        r->n = 0;
        r->lead0 = r->huge = 0;
        return 1;
    }
    return 0;
}

int sk_fmt_end(struct sk_dlp_sink *s)
{
    struct sk_fmt *f = (struct sk_fmt *)s;

    sk_fmt_flush(f);
    return f->next->end(f->next) == -1 || f->err ? -1 : 0;
}

void sk_fmt_destroy(struct sk_dlp_sink *s)
{
    struct sk_fmt *f = (struct sk_fmt *)s;

    f->next->destroy(f->next);
    free(s);
}

/* ---- application/x-www-form-urlencoded ---- */
struct sk_urlenc {
    struct sk_fmt f;
    int state; /* 0 text, 1 after '%', 2 after '%X' */
    unsigned char hi;
};

static int sk_urlenc_write(struct sk_dlp_sink *s, const unsigned char *p, size_t n)
{
    struct sk_urlenc *u = (struct sk_urlenc *)s;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (u->state == 1) {
            u->hi = c;
            u->state = 2;
            continue;
        }
        if (u->state == 2) {
            int h = sk_hex_digit(u->hi), l = sk_hex_digit(c);
            u->state = 0;
            if (h >= 0 && l >= 0) {
                sk_fmt_byte(&u->f, (unsigned char)(h * 16 + l));
            } else { /* not an escape: keep it as it was */
                sk_fmt_byte(&u->f, '%');
                sk_fmt_byte(&u->f, u->hi);
                sk_fmt_byte(&u->f, c);
            }
            continue;
        }
        if (c == '%')
            u->state = 1;
        else if (c == '+')
            sk_fmt_byte(&u->f, ' ');
        else if (c == '&')
            sk_fmt_byte(&u->f, '\n'); /* fields never run together */
        else
            sk_fmt_byte(&u->f, c);
    }
    return u->f.err ? -1 : 0;
}

struct sk_fmt *sk_fmt_new(size_t size, struct sk_dlp_sink *next,
                          int (*wr)(struct sk_dlp_sink *, const unsigned char *, size_t))
{
    struct sk_fmt *f = calloc(1, size);

    if (f == NULL) {
        next->destroy(next);
        return NULL;
    }
    f->sink = (struct sk_dlp_sink){.write = wr, .end = sk_fmt_end, .destroy = sk_fmt_destroy};
    f->next = next;
    return f;
}

struct sk_dlp_sink *sk_dlp_urlenc_new(struct sk_dlp_sink *next)
{
    struct sk_fmt *f = sk_fmt_new(sizeof(struct sk_urlenc), next, sk_urlenc_write);
    return f ? &f->sink : NULL;
}

/* ---- JSON: strings (keys and values) one per line, escapes decoded; the
 * bytes between them as they are, structure ({}[],:) as line ends ---- */
enum { SK_J_OUT, SK_J_STR, SK_J_ESC, SK_J_U };

/* A number outside strings, as JSON.parse, json_decode and json.loads
 * take it: "4.111111111111111e15", "4111111111111111e0" and
 * "4111111111111111.0" are the integer 4111111111111111 to the
 * application (String(), str(), a database column), so besides the bytes
 * as written the integer part of such a number is written out, digits only
 * (sk_json_num_end). Fixed state: the first SK_JNUM_KEEP significant
 * digits and where the point is. */
#define SK_JNUM_KEEP 40
#define SK_JNUM_INT  19 /* integer parts of up to this many digits are written */

struct sk_jnum {
    int on;      /* in a number */
    int phase;   /* 0 integer digits, 1 fraction, 2 exponent */
    int written; /* a '.' or an exponent: written differently from its value */
    char d[SK_JNUM_KEEP];
    int nd;        /* significant digits kept */
    long point;    /* significant digits (kept or not) before the point */
    long exp;      /* the exponent, clamped */
    int exp_neg;   /* ... negative */
    int exp_digit; /* ... has a digit */
};

struct sk_json {
    struct sk_fmt f;
    int state;
    int nhex;
    uint32_t u, high;  /* \\u accumulator, pending high surrogate */
    int sep;           /* last byte written outside strings was a separator */
    int word;          /* ... and it was a letter, digit or '.' (a number cannot start) */
    struct sk_ref ref; /* a character reference in a string */
    struct sk_jnum num;
    /* HTML in a string (a rich-text editor's, an e-mail body): once a tag
     * began in it ('<' and a letter, '/' or '!'), a run of white space is
     * one space, as the page renders it ("<p>4111\n1111\n1111\n1111"
     * shows one number) */
    int markup, lt, ws;
};

/* A string's character C (a byte, or a code point): the one to write, or
 * -1 when it is white space that joins the run before it. */
static int sk_json_str_ws(struct sk_json *j, unsigned c)
{
    if (j->lt && c < 0x80 && (((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '/' || c == '!'))
        j->markup = 1;
    j->lt = c == '<';
    if (!(j->markup && (c == ' ' || c == '\t' || c == '\r' || c == '\n'))) {
        j->ws = 0;
        return (int)c;
    }
    if (j->ws)
        return -1;
    j->ws = 1;
    return ' ';
}

/* A string's "&...": HTML a rich-text editor put in JSON ("4111&nbsp;1111",
 * "&#52;", also written "\u0026#52;" by Go and .NET) reads as the browser
 * renders it (sk_ref_take); anything else as written. */
static int sk_json_ref_take(struct sk_json *j, unsigned c)
{
    return sk_ref_take(&j->f, &j->ref, c);
}

static void sk_json_cp(struct sk_json *j, uint32_t cp)
{
    if (cp >= 0xd800 && cp <= 0xdbff) {
        j->high = cp;
        return;
    }
    if (cp >= 0xdc00 && cp <= 0xdfff && j->high) {
        cp = 0x10000 + ((j->high - 0xd800) << 10) + (cp - 0xdc00);
    } else if (j->high) {
        sk_fmt_byte(&j->f, ' ');
    }
    j->high = 0;
    if (cp < 0x80) {
        int w = sk_json_str_ws(j, cp);
        if (w < 0)
            return;
        cp = (uint32_t)w;
    } else {
        j->lt = j->ws = 0;
    }
    if (!sk_json_ref_take(j, cp < 0x80 ? cp : 0x100))
        sk_fmt_utf8(&j->f, cp);
}

/* Byte C of a number; 0 when C does not belong to it (the number ended). */
static int sk_json_num_byte(struct sk_jnum *x, unsigned char c)
{
    if (c >= '0' && c <= '9') {
        if (x->phase == 2) {
            x->exp_digit = 1;
            if (x->exp < 100000)
                x->exp = x->exp * 10 + (c - '0');
        } else if (x->nd == 0 && c == '0') {
            if (x->phase == 1)
                x->point--; /* 0.0041...: the first significant digit is lower */
        } else {
            if (x->nd < SK_JNUM_KEEP)
                x->d[x->nd++] = (char)c;
            if (x->phase == 0 && x->point < 100000)
                x->point++;
        }
        return 1;
    }
    if (c == '.' && x->phase == 0) {
        x->phase = 1, x->written = 1;
        return 1;
    }
    if ((c == 'e' || c == 'E') && x->phase < 2) {
        x->phase = 2, x->written = 1;
        return 1;
    }
    if ((c == '-' || c == '+') && x->phase == 2 && !x->exp_digit && !x->exp_neg) {
        x->exp_neg = c == '-';
        return 1;
    }
    return 0;
}

/* The number ended: its integer part in digits, on a line of its own,
 * when it was written with a fraction or an exponent; and, when the
 * double the parsers make of it is a whole number other than that
 * integer part, that number too: past 2^52 a double has no room for a
 * fraction, so "5500000000000003.7" is 5500000000000004 to JSON.parse and
 * json.loads (String(), int()), where the digits say ...03 (red team
 * s22). */
static void sk_json_num_end(struct sk_json *j)
{
    struct sk_jnum *x = &j->num;
    long at = x->point + (x->exp_neg ? -x->exp : x->exp);

    if (x->written && x->nd && (x->phase != 2 || x->exp_digit) && at >= 1 && at <= SK_JNUM_INT) {
        char ip[SK_JNUM_INT + 1], num[SK_JNUM_KEEP + 24], dbl[48];
        for (long k = 0; k < at; k++)
            ip[k] = k < x->nd ? x->d[k] : '0';
        ip[at] = '\0';
        sk_fmt_byte(&j->f, '\n');
        for (long k = 0; k < at; k++)
            sk_fmt_byte(&j->f, (unsigned char)ip[k]);
        sk_fmt_byte(&j->f, '\n');
        /* the value from the kept digits: "DIGITSe(AT - ND)", no decimal
         * point for a locale to read */
        snprintf(num, sizeof(num), "%.*se%ld", x->nd, x->d, at - x->nd);
        double v = strtod(num, NULL);
        if (v >= 1 && v < 1e19 && v == floor(v)) {
            int dn = snprintf(dbl, sizeof(dbl), "%.0f", v);
            if (dn > 0 && (size_t)dn < sizeof(dbl) && strcmp(dbl, ip) != 0) {
                for (int k = 0; k < dn; k++)
                    sk_fmt_byte(&j->f, (unsigned char)dbl[k]);
                sk_fmt_byte(&j->f, '\n');
            }
        }
    }
    memset(x, 0, sizeof(*x));
}

static int sk_json_write(struct sk_dlp_sink *s, const unsigned char *p, size_t n)
{
    struct sk_json *j = (struct sk_json *)s;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        switch (j->state) {
        case SK_J_OUT:
            if (j->num.on && !sk_json_num_byte(&j->num, c))
                sk_json_num_end(j);
            else if (!j->num.on && !j->word && ((c >= '0' && c <= '9') || c == '-'))
                j->num.on = c == '-' || sk_json_num_byte(&j->num, c);
            j->word =
                (c >= '0' && c <= '9') || c == '.' || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
            /* Structure separates; every other byte (numbers, literals,
             * white space, and the text of a body that only claims to be
             * JSON) passes as it is: a lying type never hides text. */
            if (c == '"') {
                j->state = SK_J_STR;
                j->markup = j->lt = j->ws = 0;
            } else if (c == '{' || c == '}' || c == '[' || c == ']' || c == ',' || c == ':') {
                if (!j->sep)
                    sk_fmt_byte(&j->f, '\n');
                j->sep = 1;
            } else {
                sk_fmt_byte(&j->f, c);
                j->sep = 0;
            }
            break;
        case SK_J_STR:
            if (c == '"') {
                if (j->ref.on)
                    sk_fmt_ref(&j->f, &j->ref, 0);
                sk_fmt_byte(&j->f, '\n');
                j->state = SK_J_OUT;
                j->sep = 1;
            } else if (c == '\\') {
                j->state = SK_J_ESC;
            } else {
                int w = sk_json_str_ws(j, c);
                if (w >= 0 && !sk_json_ref_take(j, w < 0x80 ? (unsigned)w : 0x100))
                    sk_fmt_byte(&j->f, (unsigned char)w);
            }
            break;
        case SK_J_ESC: {
            static const char from[] = "bfnrt", to[] = "\b\f\n\r\t";
            const char *k = c ? strchr(from, c) : NULL;
            j->state = SK_J_STR;
            if (c == 'u') {
                j->state = SK_J_U;
                j->nhex = 0;
                j->u = 0;
            } else {
                int d = sk_json_str_ws(j, k ? (unsigned char)to[k - from] : c);
                if (d >= 0 && !sk_json_ref_take(j, d < 0x80 ? (unsigned)d : 0x100))
                    sk_fmt_byte(&j->f, (unsigned char)d);
            }
            break;
        }
        default: { /* SK_J_U */
            int h = sk_hex_digit(c);
            if (h < 0) { /* malformed: take the byte as text */
                j->state = SK_J_STR;
                sk_fmt_byte(&j->f, c);
                break;
            }
            j->u = j->u * 16 + (uint32_t)h;
            if (++j->nhex == 4) {
                sk_json_cp(j, j->u);
                j->state = SK_J_STR;
            }
        }
        }
    }
    return j->f.err ? -1 : 0;
}

/* End: a reference in progress is text too. */
static int sk_json_end(struct sk_dlp_sink *s)
{
    struct sk_json *j = (struct sk_json *)s;

    if (j->ref.on)
        sk_fmt_ref(&j->f, &j->ref, 0);
    if (j->num.on)
        sk_json_num_end(j);
    return sk_fmt_end(s);
}

struct sk_dlp_sink *sk_dlp_json_new(struct sk_dlp_sink *next)
{
    struct sk_fmt *f = sk_fmt_new(sizeof(struct sk_json), next, sk_json_write);
    if (f)
        f->sink.end = sk_json_end;
    return f ? &f->sink : NULL;
}

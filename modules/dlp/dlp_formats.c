/* dlp_formats.c - streaming text extractors: application/x-www-form-
 * urlencoded (percent-decoding), JSON (string values, keys and numbers,
 * escapes decoded) and XML (text content, entities decoded, CDATA;
 * attribute values and comments kept aside until a paragraph ends; used
 * for Office Open XML parts). Each keeps a few bytes of state between
 * writes; XML up to 2 MiB of aside text.
 * SECURITY: client-controlled input; tolerant by design (malformed input
 * still yields its text), bounded state, no recursion.
 */
#include <stdlib.h>
#include <string.h>

#include <sekisho/text.h>

#include "dlp.h"

#define SK_FOUT 4096

/* Common part: a small output buffer in front of NEXT. */
struct sk_fmt {
    struct sk_dlp_sink sink;
    struct sk_dlp_sink *next;
    unsigned char out[SK_FOUT];
    size_t nout;
    int err;
};

static void sk_fmt_flush(struct sk_fmt *f)
{
    if (f->nout && sk_dlp_put(f->next, f->out, f->nout) == -1)
        f->err = 1;
    f->nout = 0;
}

static inline void sk_fmt_byte(struct sk_fmt *f, unsigned char c)
{
    if (f->nout == SK_FOUT)
        sk_fmt_flush(f);
    f->out[f->nout++] = c;
}

static void sk_fmt_utf8(struct sk_fmt *f, uint32_t cp)
{
    unsigned char b[4];
    size_t k = sk_utf8_put(b, cp);

    for (size_t i = 0; i < k; i++)
        sk_fmt_byte(f, b[i]);
}

/* The HTML character reference REF (N bytes after its '&', its ';' if it
 * had one) as a browser renders it (the toolkit's sk_html_charref: U+00A0
 * for "&nbsp;", which the folding makes a space), else as written. */
static void sk_fmt_ref(struct sk_fmt *f, const char *ref, size_t n)
{
    uint32_t cp;

    if (n && sk_html_charref((const unsigned char *)ref, n, &cp) == n) {
        sk_fmt_utf8(f, cp);
        return;
    }
    sk_fmt_byte(f, '&');
    for (size_t i = 0; i < n; i++)
        sk_fmt_byte(f, (unsigned char)ref[i]);
}

static int sk_hexval(unsigned char c)
{
    return c >= '0' && c <= '9'                 ? c - '0'
           : (c | 32) >= 'a' && (c | 32) <= 'f' ? (c | 32) - 'a' + 10
                                                : -1;
}

static int sk_fmt_end(struct sk_dlp_sink *s)
{
    struct sk_fmt *f = (struct sk_fmt *)s;

    sk_fmt_flush(f);
    return f->next->end(f->next) == -1 || f->err ? -1 : 0;
}

static void sk_fmt_destroy(struct sk_dlp_sink *s)
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
            int h = sk_hexval(u->hi), l = sk_hexval(c);
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

static struct sk_fmt *sk_fmt_new(size_t size, struct sk_dlp_sink *next,
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

struct sk_json {
    struct sk_fmt f;
    int state;
    int nhex;
    uint32_t u, high; /* \\u accumulator, pending high surrogate */
    int sep;          /* last byte written outside strings was a separator */
    /* a character reference in a string, after its '&' (leading zeros of
     * a number not kept: "&#00000052;" is "&#52;") */
    int inref, lead0;
    char ref[24];
    size_t nref;
};

/* A string's "&...": HTML a rich-text editor put in JSON ("4111&nbsp;1111",
 * "&#52;", also written "\u0026#52;" by Go and .NET) reads as the browser
 * renders it; anything else as written. */
static void sk_json_ref_end(struct sk_json *j)
{
    j->inref = 0;
    if (j->lead0 && j->nref &&
        (j->ref[j->nref - 1] == '#' || j->ref[j->nref - 1] == 'x' || j->ref[j->nref - 1] == 'X'))
        j->ref[j->nref++] = '0'; /* only zeros */
    sk_fmt_ref(&j->f, j->ref, j->nref);
}

/* A string's character C (0x100: one beyond ASCII) as it is written or
 * unescaped: taken by a reference (1), or not (0: the caller writes it). */
static int sk_json_ref_take(struct sk_json *j, unsigned c)
{
    if (j->inref) {
        int alnum = (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
        int num = j->nref > 0 && j->ref[0] == '#';
        if (alnum || (c == '#' && j->nref == 0)) {
            if (num && c == '0' &&
                (j->ref[j->nref - 1] == '#' || (j->nref == 2 && j->ref[1] == 'x'))) {
                j->lead0 = 1; /* a leading zero */
                return 1;
            }
            if (j->nref + 2 < sizeof(j->ref)) {
                j->ref[j->nref++] = (char)c;
                return 1;
            }
        } else if (c == ';') {
            j->ref[j->nref++] = ';';
            sk_json_ref_end(j);
            return 1;
        }
        sk_json_ref_end(j); /* it ended before C */
    }
    if (c == '&') {
        j->inref = 1;
        j->nref = 0;
        j->lead0 = 0;
        return 1;
    }
    return 0;
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
    if (!sk_json_ref_take(j, cp < 0x80 ? cp : 0x100))
        sk_fmt_utf8(&j->f, cp);
}

static int sk_json_write(struct sk_dlp_sink *s, const unsigned char *p, size_t n)
{
    struct sk_json *j = (struct sk_json *)s;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        switch (j->state) {
        case SK_J_OUT:
            /* Structure separates; every other byte (numbers, literals,
             * white space, and the text of a body that only claims to be
             * JSON) passes as it is: a lying type never hides text. */
            if (c == '"') {
                j->state = SK_J_STR;
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
                if (j->inref)
                    sk_json_ref_end(j);
                sk_fmt_byte(&j->f, '\n');
                j->state = SK_J_OUT;
                j->sep = 1;
            } else if (c == '\\') {
                j->state = SK_J_ESC;
            } else if (!sk_json_ref_take(j, c < 0x80 ? c : 0x100)) {
                sk_fmt_byte(&j->f, c);
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
                unsigned char d = k ? (unsigned char)to[k - from] : c;
                if (!sk_json_ref_take(j, d < 0x80 ? d : 0x100))
                    sk_fmt_byte(&j->f, d);
            }
            break;
        }
        default: { /* SK_J_U */
            int h = sk_hexval(c);
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

    if (j->inref)
        sk_json_ref_end(j);
    return sk_fmt_end(s);
}

struct sk_dlp_sink *sk_dlp_json_new(struct sk_dlp_sink *next)
{
    struct sk_fmt *f = sk_fmt_new(sizeof(struct sk_json), next, sk_json_write);
    if (f)
        f->sink.end = sk_json_end;
    return f ? &f->sink : NULL;
}

/* ---- XML text (Office Open XML parts) ----
 * Tags vanish, except those that end a paragraph, cell, row or shared
 * string, which become a newline, so that Word's runs of one paragraph
 * join ("4111 11" + "11 1111 ...") while cells and paragraphs do not.
 * What is inside a tag (attribute values: alt text, properties), comments
 * and a '<' that never closes are not text of the run, but still data the
 * upload carries: they are kept aside and written out, each on its own
 * line, at the next break or at the end, so they never split a run.
 * CDATA sections are text. */
enum { SK_X_TEXT, SK_X_TAG, SK_X_ENT, SK_X_CDATA, SK_X_COMMENT };

#define SK_XML_SIDE_MAX (1u << 20) /* aside text kept until a break */

struct sk_xml {
    struct sk_fmt f;
    int state;
    char name[16]; /* local name of the current tag */
    size_t nname;
    int name_done, quote;
    char ent[12];
    size_t nent;
    unsigned match; /* bytes of "]]>" or "-->" seen */
    struct sk_buf side;
};

static int sk_xml_breaks(const char *name)
{
    static const char *const brk[] = {"p", "br", "cr",  "tr",          "tc", "c",
                                      "v", "si", "row", "txbxContent", "is", NULL};
    for (int i = 0; brk[i]; i++)
        if (strcmp(name, brk[i]) == 0)
            return 1;
    return 0;
}

static void sk_xml_side_flush(struct sk_xml *x);

static void sk_xml_side(struct sk_xml *x, unsigned char c)
{
    char b = (char)c;
    if (x->side.len >= 2 * SK_XML_SIDE_MAX)
        sk_xml_side_flush(x); /* one huge tag or comment: memory stays bounded */
    sk_buf_append(&x->side, &b, 1);
}

/* The aside text, on its own lines: at a break (or the end), or when it
 * grew past SK_XML_SIDE_MAX (at a tag end, still outside any text). */
static void sk_xml_side_flush(struct sk_xml *x)
{
    if (x->side.len == 0)
        return;
    sk_fmt_byte(&x->f, '\n');
    for (size_t i = 0; i < x->side.len; i++)
        sk_fmt_byte(&x->f, (unsigned char)x->side.data[i]);
    sk_fmt_byte(&x->f, '\n');
    x->side.len = 0;
    if (x->side.failed)
        x->f.err = 1;
}

/* The reference in x->ent (after its '&'; SEMI: a ';' ended it) as the
 * toolkit's HTML reader decodes it, else the bytes as they were. */
static void sk_xml_entity(struct sk_xml *x, int semi)
{
    size_t n = x->nent;

    if (semi)
        x->ent[n++] = ';'; /* room: nent + 1 < sizeof(ent) */
    sk_fmt_ref(&x->f, x->ent, n);
}

static void sk_xml_tag_byte(struct sk_xml *x, unsigned char c)
{
    if (x->quote) {
        if (c == x->quote) {
            x->quote = 0;
            sk_xml_side(x, ' ');
        } else {
            sk_xml_side(x, c);
        }
        return;
    }
    if (c == '>') {
        x->name[x->nname] = '\0';
        sk_xml_side(x, '\n'); /* one tag's values never join the next's */
        if (strcmp(x->name, "tab") == 0) {
            /* a tab stop (docx w:tab, odt text:tab) is a tab: it may
             * separate a number's groups as a space does (what was kept
             * aside waits for the next break) */
            sk_fmt_byte(&x->f, '\t');
        } else if (sk_xml_breaks(x->name)) {
            sk_fmt_byte(&x->f, '\n');
            sk_xml_side_flush(x);
        } else if (x->side.len > SK_XML_SIDE_MAX) {
            sk_xml_side_flush(x);
        }
        x->state = SK_X_TEXT;
        return;
    }
    if (x->name_done) {
        if (c == '"' || c == '\'')
            x->quote = c;
        else
            sk_xml_side(x, c == '=' ? ' ' : c);
        return;
    }
    if (c == '/' && x->nname == 0)
        return;
    if (c != '"' && c != '\'')
        sk_xml_side(x, c); /* the name too: "<4111-1111-1111-1111>" */
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '/' || c == '"' || c == '\'') {
        x->name_done = 1;
        if (c == '"' || c == '\'')
            x->quote = c;
    } else if (c == ':') {
        x->nname = 0; /* keep the local name only */
    } else if (x->nname + 1 < sizeof(x->name)) {
        x->name[x->nname++] = (char)c;
        if (x->nname == 8 && memcmp(x->name, "![CDATA[", 8) == 0)
            x->state = SK_X_CDATA, x->match = 0;
        else if (x->nname == 3 && memcmp(x->name, "!--", 3) == 0)
            x->state = SK_X_COMMENT, x->match = 0;
    }
}

/* Inside CDATA (text) or a comment (aside) until "]]>" / "-->"; bytes of
 * a partial end that turns out not to be one are given back. Both ends
 * start with a doubled byte, so after two of it a third one gives back
 * only the first ("]]]>" is "]" then the end). */
static void sk_xml_until(struct sk_xml *x, unsigned char c, const char *end, int text)
{
    if (x->match == 2 && c == (unsigned char)end[0]) {
        text ? sk_fmt_byte(&x->f, c) : sk_xml_side(x, c);
        return;
    }
    if ((unsigned char)end[x->match] == c) {
        if (++x->match == 3) {
            if (!text)
                sk_xml_side(x, '\n');
            x->state = SK_X_TEXT;
        }
        return;
    }
    for (unsigned i = 0; i < x->match; i++)
        text ? sk_fmt_byte(&x->f, (unsigned char)end[i]) : sk_xml_side(x, (unsigned char)end[i]);
    x->match = (unsigned char)end[0] == c;
    if (!x->match)
        text ? sk_fmt_byte(&x->f, c) : sk_xml_side(x, c);
}

static int sk_xml_write(struct sk_dlp_sink *s, const unsigned char *p, size_t n)
{
    struct sk_xml *x = (struct sk_xml *)s;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (x->state == SK_X_TAG) {
            sk_xml_tag_byte(x, c);
        } else if (x->state == SK_X_CDATA) {
            sk_xml_until(x, c, "]]>", 1);
        } else if (x->state == SK_X_COMMENT) {
            sk_xml_until(x, c, "-->", 0);
        } else if (x->state == SK_X_ENT) {
            if (c == ';') {
                sk_xml_entity(x, 1);
                x->state = SK_X_TEXT;
            } else if (x->nent + 1 < sizeof(x->ent) && c != '<' && c != '&') {
                x->ent[x->nent++] = (char)c;
            } else { /* not an entity after all */
                sk_xml_entity(x, 0);
                x->state = SK_X_TEXT;
                i--;
            }
        } else if (c == '<') {
            x->state = SK_X_TAG;
            x->nname = 0;
            x->name_done = 0;
            x->quote = 0;
        } else if (c == '&') {
            x->state = SK_X_ENT;
            x->nent = 0;
        } else {
            sk_fmt_byte(&x->f, c);
        }
    }
    return x->f.err ? -1 : 0;
}

/* End: an unfinished tag's name and an entity in progress are text too,
 * then everything kept aside. */
static int sk_xml_end(struct sk_dlp_sink *s)
{
    struct sk_xml *x = (struct sk_xml *)s;

    if (x->state == SK_X_TAG && !x->name_done) {
        sk_fmt_byte(&x->f, '\n');
        for (size_t i = 0; i < x->nname; i++)
            sk_fmt_byte(&x->f, (unsigned char)x->name[i]);
    } else if (x->state == SK_X_ENT) {
        sk_xml_entity(x, 0);
    }
    sk_xml_side_flush(x);
    return sk_fmt_end(s);
}

static void sk_xml_destroy(struct sk_dlp_sink *s)
{
    sk_buf_free(&((struct sk_xml *)s)->side);
    sk_fmt_destroy(s);
}

struct sk_dlp_sink *sk_dlp_xml_new(struct sk_dlp_sink *next)
{
    struct sk_fmt *f = sk_fmt_new(sizeof(struct sk_xml), next, sk_xml_write);

    if (!f)
        return NULL;
    f->sink.end = sk_xml_end;
    f->sink.destroy = sk_xml_destroy;
    return &f->sink;
}

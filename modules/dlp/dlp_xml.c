/* dlp_xml.c - DLP's streaming XML/HTML text extractor (dlp_fmt.h's
 * frame): text content, entities decoded (a DTD's internal ones too),
 * CDATA; attribute values and comments kept aside until a paragraph ends;
 * used for Office Open XML and ODF parts, SVG, plists, SOAP and HTML.
 * Split out of dlp_formats.c, whose character-reference reader it shares.
 * Up to 2 MiB of aside text.
 * SECURITY: client-controlled input; tolerant by design (malformed input
 * still yields its text), bounded state, no recursion beyond
 * SK_XML_EDEPTH entity levels.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sekisho/text.h>

#include "dlp.h"
#include "dlp_fmt.h"

/* ---- XML text (Office Open XML parts) ----
 * Tags vanish, except those that end a paragraph, cell, row or shared
 * string, which become a newline, so that Word's runs of one paragraph
 * join ("4111 11" + "11 1111 ...") while cells and paragraphs do not.
 * What is inside a tag (attribute values: alt text, properties), comments
 * and a '<' that never closes are not text of the run, but still data the
 * upload carries: they are kept aside and written out, each on its own
 * line, at the next break or at the end, so they never split a run.
 * A run of white space in text (line ends, tabs, spaces) is one space, as
 * a browser renders it. A docx field code, an ODF comment and ruby text
 * are aside too (sk_xml_aside_el); a position tab (w:ptab) is a tab as
 * w:tab is.
 * CDATA sections are text. */
enum { SK_X_TEXT, SK_X_TAG, SK_X_ENT, SK_X_CDATA, SK_X_COMMENT, SK_X_DTD, SK_X_EREF, SK_X_RAW };

#define SK_XML_SIDE_MAX (1u << 20) /* aside text kept until a break */
#define SK_XML_DTD_MAX  65536      /* a document type declaration's bytes read */
#define SK_XML_ENTS     64         /* internal entities declared */
#define SK_XML_ENAME    64         /* an entity name's bytes */
#define SK_XML_EDEPTH   16         /* entities within entities */
#define SK_XML_PEREFS   4096       /* parameter entity references read */

/* An internal general entity of the document's DTD (<!ENTITY a "...">):
 * libxml2, expat (Python's ElementTree), .NET and Java replace "&a;" in the
 * text by its value, so the value is text where the reference stands. */
struct sk_xml_ent {
    char name[SK_XML_ENAME + 1];
    int pe;         /* a parameter entity ("<!ENTITY % p ...">): declarations, not text */
    size_t at, len; /* the value in sk_xml.vals */
};

struct sk_xml {
    struct sk_fmt f;
    struct sk_dlp_ctx *ctx; /* NULL: limits are not reported */
    int state;
    char name[16]; /* local name of the current tag */
    size_t nname;
    int name_done, quote;
    int acr;           /* the last byte of an attribute value was a CR */
    struct sk_ref ref; /* a character reference in the text */
    unsigned match;    /* bytes of "]]>" or "-->" seen */
    struct sk_buf side;
    /* the document type declaration, read whole, then its entities */
    struct sk_buf dtd;
    int dquote, dsubset, dtd_done;
    char dlast[4];                /* the declaration's last bytes */
    uint64_t own_budget, *budget; /* bytes entities may still expand to */
    struct sk_xml_ent ents[SK_XML_ENTS];
    unsigned nents;
    struct sk_buf vals;
    char ename[SK_XML_ENAME]; /* "&name" being read while entities are declared */
    int aref;                 /* ... in an attribute value */
    unsigned pe_refs;         /* parameter entity references read */
    size_t nename;
    int depth;            /* entities being replaced */
    int ws;               /* the last text byte was white space (written as one ' ') */
    int closing;          /* the tag being read is an end tag */
    int instr;            /* inside elements whose text is aside (sk_xml_aside_el): depth */
    int final;            /* tracked deletions aside too (sk_dlp_xml_final) */
    unsigned char tlast;  /* the last byte of the tag being read (a '/': empty) */
    struct sk_fnode node; /* the text node being written (x->f.tap) */
    const char *raw;      /* SK_X_RAW: "</script" or "</style", matched up to x->match */
};

/* Elements whose text a reader does not show in the paragraph around
 * them (aside, so it never splits that paragraph's number): a docx field
 * code (w:instrText: Word shows the field's result), an ODF comment
 * anchored in the text (office:annotation, with its own paragraphs), ruby
 * text over characters (w:rt, ODF text:ruby-text, HTML rt); in a final
 * view (sk_dlp_xml_final), also a docx's tracked deletion and the source
 * of a tracked move (w:del, w:moveFrom: Word's "No Markup" and
 * python-docx show the text without them; red team s22: "4111
 * <w:del>9999</w:del>1111 1111 1111" passed). */
static int sk_xml_aside_el(const char *name, int final)
{
    return strcmp(name, "instrText") == 0 || strcmp(name, "annotation") == 0 ||
           strcmp(name, "rt") == 0 || strcmp(name, "ruby-text") == 0 ||
           (final && (strcmp(name, "del") == 0 || strcmp(name, "moveFrom") == 0));
}

/* An HTML script or style element: raw text to its end tag, which no
 * page shows (a browser runs it, applies it) - aside, so it never splits
 * the paragraph around it (red team s24: "4111 11<script>var x=99</script>11
 * 1111 1111" passed; LibreOffice and a browser show the card). The end
 * tag to look for, else NULL. */
static const char *sk_xml_raw_el(const char *name)
{
    return strcasecmp(name, "script") == 0  ? "</script"
           : strcasecmp(name, "style") == 0 ? "</style"
                                            : NULL;
}

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
static void sk_xml_node_aside(struct sk_xml *x);

/* Back to text: what is written now is a text node's (x->f.tap). */
static void sk_xml_to_text(struct sk_xml *x)
{
    x->state = SK_X_TEXT;
    x->f.tap = &x->node;
}

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
    struct sk_fnode *tap = x->f.tap;

    if (x->side.len == 0)
        return;
    x->f.tap = NULL; /* not a text node's */
    sk_fmt_byte(&x->f, '\n');
    for (size_t i = 0; i < x->side.len; i++)
        sk_fmt_byte(&x->f, (unsigned char)x->side.data[i]);
    sk_fmt_byte(&x->f, '\n');
    x->f.tap = tap;
    x->side.len = 0;
    if (x->side.failed)
        x->f.err = 1;
}

static int sk_xml_attr_ref(struct sk_xml *x, unsigned char c);

/* Attribute-value normalisation (XML 1.0 3.3.3): a literal white space
 * character in a value - a line end (CR LF is one: 2.11), a tab - is a
 * space to expat, libxml2, .NET and Java, so "4111<LF>1111" is a number
 * there. A character reference (&#10;) is kept as the character it names
 * (it is read as such later), except in an entity's replacement text,
 * where it is literal by then (sk_xml_side_refs). */
static unsigned char sk_xml_attr_ws(unsigned char c)
{
    return c == '\r' || c == '\n' || c == '\t' ? ' ' : c;
}

static void sk_xml_tag_byte(struct sk_xml *x, unsigned char c)
{
    if (x->quote) {
        int cr = x->acr;
        x->acr = c == '\r';
        if (x->nents && sk_xml_attr_ref(x, c))
            return;
        if (c == x->quote) {
            x->quote = 0;
            sk_xml_side(x, ' ');
        } else if (c != '\n' || !cr) { /* the CR of a CR LF gave the space */
            sk_xml_side(x, sk_xml_attr_ws(c));
        }
        return;
    }
    if (c == '>') {
        x->name[x->nname] = '\0';
        sk_xml_side(x, '\n'); /* one tag's values never join the next's */
        if (sk_xml_aside_el(x->name, x->final) && x->tlast != '/') {
            if (!x->closing)
                x->instr++;
            else if (x->instr > 0)
                x->instr--;
        }
        if (x->instr > 0) {
            /* inside an aside element: its paragraphs and tabs are its own */
        } else if (strcmp(x->name, "tab") == 0 || strcmp(x->name, "ptab") == 0) {
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
        sk_xml_to_text(x);
        if (!x->closing && x->tlast != '/' && (x->raw = sk_xml_raw_el(x->name)) != NULL) {
            x->state = SK_X_RAW;
            x->f.tap = NULL;
            x->match = 0;
        }
        return;
    }
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
        x->tlast = c;
    if (x->name_done) {
        if (c == '"' || c == '\'')
            x->quote = c;
        else
            sk_xml_side(x, c == '=' ? ' ' : c);
        return;
    }
    if (c == '/' && x->nname == 0) {
        x->closing = 1;
        return;
    }
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
        else if (x->nname == 8 && memcmp(x->name, "!DOCTYPE", 8) == 0 && !x->dtd_done)
            x->state = SK_X_DTD, x->dquote = x->dsubset = 0;
    }
}

/* Inside a script or style element: aside until its end tag, whose name
 * is then read as a tag's. */
static void sk_xml_raw_byte(struct sk_xml *x, unsigned char c)
{
    sk_xml_side(x, c);
    /* "</" exactly, then the name in any case */
    if (x->match < 2 ? c == (unsigned char)x->raw[x->match]
                     : (c | 0x20) == (unsigned char)x->raw[x->match]) {
        if (x->raw[++x->match] != '\0')
            return;
        x->state = SK_X_TAG;
        x->f.tap = NULL;
        x->nname = strlen(x->raw) - 2;
        memcpy(x->name, x->raw + 2, x->nname);
        x->name_done = x->quote = 0;
        x->closing = 1;
        x->tlast = 0;
        return;
    }
    x->match = c == '<';
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
            sk_xml_to_text(x);
        }
        return;
    }
    for (unsigned i = 0; i < x->match; i++)
        text ? sk_fmt_byte(&x->f, (unsigned char)end[i]) : sk_xml_side(x, (unsigned char)end[i]);
    x->match = (unsigned char)end[0] == c;
    if (!x->match)
        text ? sk_fmt_byte(&x->f, c) : sk_xml_side(x, c);
}

static void sk_xml_byte(struct sk_xml *x, unsigned char c);

static void sk_xml_undecodable(struct sk_xml *x, const char *why)
{
    if (x->ctx)
        sk_dlp_undecodable(x->ctx, why);
}

static int sk_xml_name_byte(unsigned char c)
{
    return c > ' ' && !strchr("&;<>\"'%=[]", c);
}

/* A literal's character references are replaced where it is declared (XML
 * 1.0 4.5), its entity references where the entity is used. */
static void sk_xml_ent_value(struct sk_xml *x, const char *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t cp;
        size_t k = v[i] == '&' && i + 1 < n && v[i + 1] == '#'
                       ? sk_html_charref_text((const unsigned char *)v + i + 1, n - i - 1, &cp)
                       : 0;
        if (k && v[i + k] == ';') {
            unsigned char b[4];
            sk_buf_append(&x->vals, (const char *)b, sk_utf8_put(b, cp));
            i += k;
        } else {
            sk_buf_append(&x->vals, v + i, 1);
        }
    }
}

static void sk_xml_dtd_parse(struct sk_xml *x, const char *d, size_t n, int depth);
static void sk_xml_side_refs(struct sk_xml *x, const char *v, size_t n);

/* "%NAME;" between declarations: the parameter entity's text is read as
 * declarations (libxml2 and expat do: a general entity declared by one is
 * replaced in the text), at most SK_XML_EDEPTH deep. */
static void sk_xml_pe_ref(struct sk_xml *x, const char *name, size_t n, int depth)
{
    for (unsigned k = 0; k < x->nents; k++) {
        const struct sk_xml_ent *t = &x->ents[k];
        if (!t->pe || strlen(t->name) != n || memcmp(t->name, name, n) != 0)
            continue;
        if (depth >= SK_XML_EDEPTH || ++x->pe_refs > SK_XML_PEREFS) {
            sk_xml_undecodable(x, "XML parameter entities nested too deeply, or too many");
            return;
        }
        if (t->len > *x->budget) {
            *x->budget = 0;
            if (x->ctx)
                x->ctx->limit = 1;
            return;
        }
        *x->budget -= t->len;
        char *v = t->len ? malloc(t->len) : NULL; /* the declarations it makes grow vals */
        if (t->len && !v) {
            x->f.err = 1;
            return;
        }
        if (v)
            memcpy(v, x->vals.data + t->at, t->len);
        sk_xml_dtd_parse(x, v, t->len, depth + 1);
        free(v);
        return;
    }
}

/* The internal general entities of a document type declaration D (its
 * bytes after "<!DOCTYPE"): "<!ENTITY name 'value'>" or "...\"value\"";
 * parameter (%) and external (SYSTEM, PUBLIC) ones are not replaced by
 * readers that do not load them, and the first declaration of a name
 * binds. */
static void sk_xml_dtd_parse(struct sk_xml *x, const char *d, size_t n, int depth)
{
    for (size_t i = 0; i < n;) {
        if (d[i] == '%') { /* a parameter entity's reference: its text is declarations */
            size_t ns = ++i;
            while (i < n && sk_xml_name_byte((unsigned char)d[i]))
                i++;
            if (i < n && d[i] == ';')
                sk_xml_pe_ref(x, d + ns, i - ns, depth);
            continue;
        }
        if (n - i >= 4 && memcmp(d + i, "<!--", 4) == 0) {
            const char *e = memmem(d + i + 4, n - i - 4, "-->", 3);
            i = e ? (size_t)(e - d) + 3 : n;
            continue;
        }
        if (n - i >= 2 && memcmp(d + i, "<?", 2) == 0) {
            const char *e = memmem(d + i + 2, n - i - 2, "?>", 2);
            i = e ? (size_t)(e - d) + 2 : n;
            continue;
        }
        if (d[i] == '"' || d[i] == '\'') {
            const char *e = memchr(d + i + 1, d[i], n - i - 1);
            i = e ? (size_t)(e - d) + 1 : n;
            continue;
        }
        if (n - i >= 10 && memcmp(d + i, "<!ATTLIST", 9) == 0 && strchr(" \t\r\n", d[i + 9])) {
            /* an attribute's default value (ElementTree adds it to the
             * element; libxml2 when asked): read aside where the DTD ends,
             * the entities it names replaced, as an attribute value */
            for (i += 9; i < n && d[i] != '>'; i++) {
                const char *e;
                if ((d[i] == '"' || d[i] == '\'') && (e = memchr(d + i + 1, d[i], n - i - 1))) {
                    sk_xml_side(x, '\n');
                    sk_xml_side_refs(x, d + i + 1, (size_t)(e - d) - i - 1);
                    sk_xml_side(x, '\n');
                    i = (size_t)(e - d);
                }
            }
            continue;
        }
        if (n - i < 9 || memcmp(d + i, "<!ENTITY", 8) != 0 || !strchr(" \t\r\n", d[i + 8])) {
            i++;
            continue;
        }
        for (i += 8; i < n && strchr(" \t\r\n", d[i]); i++)
            ;
        int pe = i + 1 < n && d[i] == '%' && strchr(" \t\r\n", d[i + 1]);
        for (i += pe ? 1 : 0; pe && i < n && strchr(" \t\r\n", d[i]); i++)
            ;
        size_t ns = i;
        while (i < n && sk_xml_name_byte((unsigned char)d[i]))
            i++;
        size_t nl = i - ns;
        while (i < n && strchr(" \t\r\n", d[i]))
            i++;
        if (nl == 0 || i >= n || (d[i] != '"' && d[i] != '\''))
            continue; /* an external entity: the scan goes on */
        const char *e = memchr(d + i + 1, d[i], n - i - 1);
        if (!e)
            break;
        size_t vs = i + 1, vl = (size_t)(e - d) - vs;
        i = (size_t)(e - d) + 1;
        int known = 0;
        for (unsigned k = 0; k < x->nents; k++)
            known |= x->ents[k].pe == pe && strlen(x->ents[k].name) == nl &&
                     memcmp(x->ents[k].name, d + ns, nl) == 0;
        if (known)
            continue;
        if (nl > SK_XML_ENAME || x->nents == SK_XML_ENTS) {
            sk_xml_undecodable(x, "XML document type: an entity name too long, or too many");
            continue;
        }
        struct sk_xml_ent *t = &x->ents[x->nents++];
        t->pe = pe;
        memcpy(t->name, d + ns, nl);
        t->name[nl] = '\0';
        t->at = x->vals.len;
        sk_xml_ent_value(x, d + vs, vl);
        t->len = x->vals.len - t->at;
    }
    if (x->vals.failed)
        x->f.err = 1;
}

/* Inside "<!DOCTYPE ...": every byte is aside text as a tag's are; the
 * declaration is kept (SK_XML_DTD_MAX bytes) and read at its '>' outside
 * literals, comments, processing instructions and the internal subset
 * ("[...]"). */
static void sk_xml_dtd_byte(struct sk_xml *x, unsigned char c)
{
    sk_xml_side(x, c);
    if (x->dtd.len < SK_XML_DTD_MAX)
        sk_buf_append(&x->dtd, (const char *)&c, 1);
    else if (x->dtd.len++ == SK_XML_DTD_MAX)
        sk_xml_undecodable(x, "XML document type declaration over 64 KiB");
    memmove(x->dlast, x->dlast + 1, sizeof(x->dlast) - 1);
    x->dlast[sizeof(x->dlast) - 1] = (char)c;
    if (x->dquote == 'c' || x->dquote == 'p') { /* until "-->" or "?>" */
        if (memcmp(x->dlast + (x->dquote == 'c' ? 1 : 2), x->dquote == 'c' ? "-->" : "?>",
                   x->dquote == 'c' ? 3 : 2) == 0)
            x->dquote = 0;
    } else if (x->dquote) {
        x->dquote = c == x->dquote ? 0 : x->dquote;
    } else if (c == '"' || c == '\'') {
        x->dquote = c;
    } else if (x->dsubset && memcmp(x->dlast, "<!--", 4) == 0) {
        x->dquote = 'c';
        memset(x->dlast, 0, sizeof(x->dlast));
    } else if (x->dsubset && memcmp(x->dlast + 2, "<?", 2) == 0) {
        x->dquote = 'p';
        memset(x->dlast, 0, sizeof(x->dlast));
    } else if (c == '[') {
        x->dsubset = 1;
    } else if (c == ']') {
        x->dsubset = 0;
    } else if (c == '>' && !x->dsubset) {
        sk_xml_dtd_parse(x, x->dtd.data, x->dtd.len < SK_XML_DTD_MAX ? x->dtd.len : SK_XML_DTD_MAX,
                         0);
        x->dtd_done = 1; /* one declaration per document */
        sk_xml_side(x, '\n');
        sk_xml_to_text(x);
    }
}

/* The declared entity NAME[0..N), if it may be replaced here: nested at
 * most SK_XML_EDEPTH deep (deeper is an error), its value charged to the
 * decoded-bytes budget (past it, a limit). NULL: the reference stays as it
 * is. */
static const struct sk_xml_ent *sk_xml_ent_take(struct sk_xml *x, const char *name, size_t n)
{
    const struct sk_xml_ent *t = NULL;

    for (unsigned k = 0; k < x->nents && !t; k++)
        if (!x->ents[k].pe && strlen(x->ents[k].name) == n && memcmp(x->ents[k].name, name, n) == 0)
            t = &x->ents[k];
    if (t && x->depth >= SK_XML_EDEPTH) {
        sk_xml_undecodable(x, "XML entities nested too deeply");
        return NULL;
    }
    if (t && t->len > *x->budget) {
        *x->budget = 0;
        if (x->ctx)
            x->ctx->limit = 1;
        return NULL;
    }
    if (t)
        *x->budget -= t->len;
    return t;
}

/* An entity named in an attribute value (alt text, an SVG's text): its
 * value is read aside where the reference stands, the entities it names
 * too (markup in it is not markup there). */
static void sk_xml_attr_ent(struct sk_xml *x, const struct sk_xml_ent *t);

/* V[0..N) aside, the entities it names replaced (sk_xml_attr_ent), as
 * an attribute value: white space a space (sk_xml_attr_ws). */
static void sk_xml_side_refs(struct sk_xml *x, const char *v, size_t n)
{
    const char *semi;

    for (size_t i = 0; i < n; i++) {
        const struct sk_xml_ent *u;
        if (v[i] == '&' && (semi = memchr(v + i + 1, ';', n - i - 1)) != NULL &&
            (u = sk_xml_ent_take(x, v + i + 1, (size_t)(semi - v) - i - 1)) != NULL) {
            sk_xml_attr_ent(x, u);
            i = (size_t)(semi - v);
        } else if (v[i] != '\r' || i + 1 == n || v[i + 1] != '\n') { /* CR LF: one space */
            sk_xml_side(x, sk_xml_attr_ws((unsigned char)v[i]));
        }
    }
}

static void sk_xml_attr_ent(struct sk_xml *x, const struct sk_xml_ent *t)
{
    x->depth++;
    /* no values yet: data is NULL */
    sk_xml_side_refs(x, t->len ? x->vals.data + t->at : "", t->len);
    x->depth--;
}

/* A byte of a quoted attribute value while the DTD declared entities:
 * 1 when it began, continued or ended a reference ("&NAME;"), 0 when the
 * caller reads it (the bytes of a reference that named no entity are then
 * aside as they were). */
static int sk_xml_attr_ref(struct sk_xml *x, unsigned char c)
{
    if (x->aref) {
        if (sk_xml_name_byte(c) && x->nename < sizeof(x->ename)) {
            x->ename[x->nename++] = (char)c;
            return 1;
        }
        x->aref = 0;
        const struct sk_xml_ent *t = c == ';' ? sk_xml_ent_take(x, x->ename, x->nename) : NULL;
        if (t) {
            sk_xml_attr_ent(x, t);
            return 1;
        }
        sk_xml_side(x, '&');
        for (size_t i = 0; i < x->nename; i++)
            sk_xml_side(x, (unsigned char)x->ename[i]);
    }
    if (c != '&')
        return 0;
    x->aref = 1;
    x->nename = 0;
    return 1;
}

/* The bytes of "&NAME" that named no entity, read as any reference. */
static void sk_xml_eref_replay(struct sk_xml *x)
{
    x->state = SK_X_ENT;
    sk_ref_take(&x->f, &x->ref, '&');
    for (size_t i = 0; i < x->nename; i++)
        sk_xml_byte(x, (unsigned char)x->ename[i]);
}

/* "&NAME;" of a declared entity: its value is read as text where it stands
 * (markup and references in it too), bounded by the decoded-bytes budget
 * (dlp.max-decoded: what expat and libxml2 bound as amplification) and by
 * SK_XML_EDEPTH. Otherwise the bytes are read as any reference. */
static void sk_xml_eref_end(struct sk_xml *x, unsigned char c)
{
    const struct sk_xml_ent *t = c == ';' ? sk_xml_ent_take(x, x->ename, x->nename) : NULL;

    sk_xml_to_text(x);
    if (t) {
        x->depth++;
        for (size_t i = 0; i < t->len; i++)
            sk_xml_byte(x, (unsigned char)x->vals.data[t->at + i]);
        x->depth--;
        return;
    }
    sk_xml_eref_replay(x);
    sk_xml_byte(x, c);
}

static void sk_xml_byte(struct sk_xml *x, unsigned char c)
{
    if (x->state == SK_X_TAG) {
        sk_xml_tag_byte(x, c);
    } else if (x->state == SK_X_RAW) {
        sk_xml_raw_byte(x, c);
    } else if (x->state == SK_X_CDATA) {
        sk_xml_until(x, c, "]]>", 1);
    } else if (x->state == SK_X_COMMENT) {
        sk_xml_until(x, c, "-->", 0);
    } else if (x->state == SK_X_DTD) {
        sk_xml_dtd_byte(x, c);
    } else if (x->state == SK_X_EREF) {
        if (sk_xml_name_byte(c) && x->nename < sizeof(x->ename))
            x->ename[x->nename++] = (char)c;
        else
            sk_xml_eref_end(x, c);
    } else if (x->state == SK_X_ENT) {
        /* the reader JSON strings use too: a reference ends at the
         * first byte that cannot continue it ("&#52&#49", "&#49 1111",
         * "&nbsp1111"), which is then text or markup */
        if (!sk_ref_take(&x->f, &x->ref, c < 0x80 ? c : 0x100)) {
            sk_xml_to_text(x);
            sk_xml_byte(x, c);
        } else if (!x->ref.on) {
            sk_xml_to_text(x);
        }
    } else if (c == '<') {
        sk_xml_node_aside(x);
        x->f.tap = NULL; /* a tag's writes are not a text node's */
        x->state = SK_X_TAG;
        x->nname = 0;
        x->name_done = 0;
        x->quote = 0;
        x->closing = 0;
        x->tlast = 0;
    } else if (x->instr) {
        /* a field code ("PAGE", "HYPERLINK ..."): Word shows the field's
         * result, not the code, so the code never splits the run it sits
         * in (a code between a card's digits hid it) */
        sk_xml_side(x, c);
    } else if (c == '&' && x->nents) {
        x->state = SK_X_EREF; /* a declared entity's name, or a reference as below */
        x->nename = 0;
    } else if (c == '&') {
        x->state = SK_X_ENT;
        sk_ref_take(&x->f, &x->ref, c);
        x->ws = 0;
    } else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        /* a run of white space in text is one space, as HTML renders it
         * ("<p>4111\n1111\n1111\n1111</p>" is one number on the page) and
         * a reader of a pretty-printed element's text sees it */
        if (!x->ws)
            sk_fmt_byte(&x->f, ' ');
        x->ws = 1;
    } else {
        sk_fmt_byte(&x->f, c);
        x->ws = 0;
    }
}

/* A text node ended (a tag starts): its edges, aside on a line of their
 * own. The run's text joins the nodes of one paragraph (Word's runs:
 * "4111 11" + "11 1111 ..."), which glues the nodes of data XML together
 * (<CardNumber>4111111111111111</CardNumber><Cvv>737</Cvv> reads
 * "4111111111111111737"): each node's first and last SK_FNODE bytes are
 * read on their own too, as ElementTree gives an element's text. */
static void sk_xml_node_aside(struct sk_xml *x)
{
    struct sk_fnode *t = &x->node;
    size_t h = t->n < SK_FNODE ? t->n : SK_FNODE;

    if (t->n == 0)
        return;
    for (size_t i = 0; i < h; i++)
        sk_xml_side(x, t->head[i]);
    if (t->n > SK_FNODE) {
        size_t k = t->n > 2 * SK_FNODE ? SK_FNODE : t->n - SK_FNODE;
        sk_xml_side(x, '\n');
        for (size_t i = t->n - k; i < t->n; i++)
            sk_xml_side(x, t->tail[i % SK_FNODE]);
    }
    sk_xml_side(x, '\n');
    t->n = 0;
}

static int sk_xml_write(struct sk_dlp_sink *s, const unsigned char *p, size_t n)
{
    struct sk_xml *x = (struct sk_xml *)s;

    for (size_t i = 0; i < n; i++)
        sk_xml_byte(x, p[i]);
    return x->f.err ? -1 : 0;
}

/* End: an unfinished tag's name and an entity in progress are text too,
 * then everything kept aside. */
static int sk_xml_end(struct sk_dlp_sink *s)
{
    struct sk_xml *x = (struct sk_xml *)s;

    if (x->state == SK_X_EREF)
        sk_xml_eref_replay(x);
    if (x->aref) { /* an attribute's "&NAME" cut by the end */
        sk_xml_side(x, '&');
        for (size_t i = 0; i < x->nename; i++)
            sk_xml_side(x, (unsigned char)x->ename[i]);
    }
    if (x->state == SK_X_TAG && !x->name_done) {
        sk_fmt_byte(&x->f, '\n');
        for (size_t i = 0; i < x->nname; i++)
            sk_fmt_byte(&x->f, (unsigned char)x->name[i]);
    } else if (x->state == SK_X_ENT) {
        sk_fmt_ref(&x->f, &x->ref, 0);
    }
    sk_xml_node_aside(x);
    x->f.tap = NULL;
    sk_xml_side_flush(x);
    return sk_fmt_end(s);
}

static void sk_xml_destroy(struct sk_dlp_sink *s)
{
    struct sk_xml *x = (struct sk_xml *)s;

    sk_buf_free(&x->side);
    sk_buf_free(&x->dtd);
    sk_buf_free(&x->vals);
    sk_fmt_destroy(s);
}

void sk_dlp_xml_final(struct sk_dlp_sink *s)
{
    ((struct sk_xml *)(struct sk_fmt *)s)->final = 1;
}

struct sk_dlp_sink *sk_dlp_xml_new(struct sk_dlp_ctx *ctx, struct sk_dlp_sink *next)
{
    struct sk_fmt *f = sk_fmt_new(sizeof(struct sk_xml), next, sk_xml_write);

    if (!f)
        return NULL;
    struct sk_xml *x = (struct sk_xml *)f;
    x->ctx = ctx;
    f->tap = &x->node;
    x->own_budget = 1u << 20; /* without a transaction's budget */
    x->budget = ctx ? &ctx->budget : &x->own_budget;
    f->sink.end = sk_xml_end;
    f->sink.destroy = sk_xml_destroy;
    return &f->sink;
}

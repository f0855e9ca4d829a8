/* dlp_rtf.c - the text of an RTF document as a reader shows it (RTF 1.9.1):
 * control words and their one-space delimiter, \'hh in the document's or
 * the current font's code page (cp1252 by default, Shift_JIS/cp932 and
 * the other CJK pages through iconv), \uN with its \ucN fallback skipped,
 * groups with a bounded state stack, destinations (font and colour
 * tables, pictures, theme and data stores skipped; fields' instructions,
 * document properties, headers and unknown \* destinations read aside),
 * \bin runs skipped by count, hidden text \v read in a reading of its
 * own, \objdata hex decoded into an object of its own. The parser
 * (sk_dlp_rtf_*) is a byte-at-a-time state machine, so what it yields
 * never depends on how the client cut its writes; the filter
 * (sk_dlp_rtf_new) sits in front of the object's text reader, which still
 * gets every raw byte.
 * SECURITY: client-controlled. State is bounded: SK_RTF_DEPTH groups
 * (deeper is dlp.on-error), SK_RTF_FONTS font definitions (more is
 * dlp.on-error), numbers saturate, \bin counts are skipped as they stream,
 * no allocation grows with the input.
 */
#include <iconv.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sekisho/decode.h>

#include "dlp.h"

#define SK_RTF_DEPTH  256  /* groups kept; deeper is an error */
#define SK_RTF_FONTS  1024 /* font definitions kept; more is an error */
#define SK_RTF_NAME   32   /* a control word's letters (the spec's maximum) */
#define SK_RTF_OUTBUF 512

enum sk_rtf_dest {
    SK_RD_BODY,    /* the document's text */
    SK_RD_ASIDE,   /* text no page shows: read on lines of its own */
    SK_RD_SKIP,    /* no text (tables, pictures, hex stores) */
    SK_RD_FONTTBL, /* the font table: font numbers and code pages */
    SK_RD_OBJDATA, /* an embedded object's hex bytes */
};

struct sk_rtf_level {
    unsigned char dest;   /* enum sk_rtf_dest */
    unsigned char hidden; /* \v */
    unsigned char opened; /* a destination began in this group */
    unsigned char star;   /* \* just read: the next word is a destination */
    uint16_t uc;          /* \ucN: fallback characters after \uN */
    int32_t font;         /* \fN; INT32_MIN: the default font */
};

enum sk_rtf_state { SK_RS_TEXT, SK_RS_ESC, SK_RS_NAME, SK_RS_NUM, SK_RS_HEX, SK_RS_BIN };

struct sk_dlp_rtf {
    struct sk_rtf_handler h;
    enum sk_rtf_state st;
    struct sk_rtf_level lv[SK_RTF_DEPTH + 1]; /* [0]: outside every group */
    size_t depth;                             /* index of the current level */
    uint64_t over;                            /* groups opened beyond SK_RTF_DEPTH */
    char name[SK_RTF_NAME + 1];
    size_t nname;
    int neg, ndig, hexn;
    int64_t num;
    unsigned hex;
    uint64_t bin;  /* \bin bytes still to skip */
    uint32_t skip; /* \uN fallback characters still to skip */
    uint32_t high; /* a high surrogate waiting for its pair */
    int lead;      /* a DBCS lead byte waiting for its trail, or -1 */
    unsigned ansicpg;
    int32_t deff;
    struct {
        int32_t num;
        uint16_t cp; /* 0: the document's */
    } font[SK_RTF_FONTS];
    size_t nfont;
    int deffont;        /* the font the table is defining (index), or -1 */
    int32_t cache_font; /* sk_rtf_cp's last font ... */
    int cache_idx;      /* ... its index, or -1 */
    int cache_ok;       /* cleared when the table grows */
    unsigned flags;
    unsigned icp; /* the code page conv converts */
    iconv_t conv;
    char iname[16]; /* its name, for sk_iconv_close */
    int failed;     /* a handler returned -1 */
    unsigned char out[SK_RTF_NOUT][SK_RTF_OUTBUF];
    size_t nout[SK_RTF_NOUT];
    unsigned char obj[SK_RTF_OUTBUF];
    size_t nobj;
    int hexhalf; /* objdata: a high nibble waiting, or -1 */
};

static void sk_rtf_flush(struct sk_dlp_rtf *r)
{
    for (int i = 0; i < SK_RTF_NOUT; i++) {
        if (r->nout[i] && !r->failed && r->h.text(r->h.arg, i, r->out[i], r->nout[i]) == -1)
            r->failed = 1;
        r->nout[i] = 0;
    }
    if (r->nobj && !r->failed && r->h.obj(r->h.arg, SK_RTF_OBJ_DATA, r->obj, r->nobj) == -1)
        r->failed = 1;
    r->nobj = 0;
}

static void sk_rtf_put(struct sk_dlp_rtf *r, int o, const void *p, size_t n)
{
    if (r->nout[o] + n > SK_RTF_OUTBUF)
        sk_rtf_flush(r);
    memcpy(r->out[o] + r->nout[o], p, n);
    r->nout[o] += n;
}

static struct sk_rtf_level *sk_rtf_top(struct sk_dlp_rtf *r)
{
    return &r->lv[r->depth];
}

/* Text as the current group shows it: the body's to the reading with
 * hidden text and, unless hidden, to the one without; a destination no
 * page shows to the aside reading. */
static void sk_rtf_emit(struct sk_dlp_rtf *r, const void *p, size_t n)
{
    struct sk_rtf_level *l = sk_rtf_top(r);

    if (l->dest == SK_RD_BODY) {
        sk_rtf_put(r, SK_RTF_FULL, p, n);
        if (!l->hidden)
            sk_rtf_put(r, SK_RTF_SHOWN, p, n);
    } else if (l->dest == SK_RD_ASIDE) {
        sk_rtf_put(r, SK_RTF_ASIDE, p, n);
    }
}

static void sk_rtf_char(struct sk_dlp_rtf *r, uint32_t c)
{
    unsigned char u[4];
    size_t n;

    if (c < 0x80) {
        u[0] = (unsigned char)c, n = 1;
    } else if (c < 0x800) {
        u[0] = (unsigned char)(0xc0 | c >> 6), u[1] = (unsigned char)(0x80 | (c & 0x3f)), n = 2;
    } else if (c < 0x10000) {
        if (c >= 0xd800 && c < 0xe000)
            return;
        u[0] = (unsigned char)(0xe0 | c >> 12), u[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
        u[2] = (unsigned char)(0x80 | (c & 0x3f)), n = 3;
    } else if (c < 0x110000) {
        u[0] = (unsigned char)(0xf0 | c >> 18), u[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3f));
        u[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3f)), u[3] = (unsigned char)(0x80 | (c & 0x3f));
        n = 4;
    } else {
        return;
    }
    sk_rtf_emit(r, u, n);
}

/* ---- code pages ---- */

/* The code page of a \fcharsetN (0 and 1: the document's). */
static unsigned sk_rtf_charset_cp(int64_t cs)
{
    static const struct {
        int cs;
        unsigned cp;
    } map[] = {{77, 10000}, {128, 932},  {129, 949},  {130, 1361}, {134, 936},  {136, 950},
               {161, 1253}, {162, 1254}, {163, 1258}, {177, 1255}, {178, 1256}, {186, 1257},
               {204, 1251}, {222, 874},  {238, 1250}, {254, 437},  {255, 850}};

    for (size_t i = 0; i < sizeof(map) / sizeof(*map); i++)
        if (map[i].cs == cs)
            return map[i].cp;
    return 0;
}

static int sk_rtf_font_find(const struct sk_dlp_rtf *r, int32_t num)
{
    for (size_t i = 0; i < r->nfont; i++)
        if (r->font[i].num == num)
            return (int)i;
    return -1;
}

/* The code page \'hh bytes are read in: the current font's, else the
 * document's (\ansicpg, cp1252). */
static unsigned sk_rtf_cp(struct sk_dlp_rtf *r)
{
    int32_t f = r->lv[r->depth].font;

    f = f == INT32_MIN ? r->deff : f;
    /* one font remembered: a page of high bytes in a document of many
     * fonts costs one search, not one per byte */
    if (!r->cache_ok || r->cache_font != f) {
        r->cache_idx = sk_rtf_font_find(r, f);
        r->cache_font = f;
        r->cache_ok = 1;
    }
    return r->cache_idx >= 0 && r->font[r->cache_idx].cp ? r->font[r->cache_idx].cp : r->ansicpg;
}

static int sk_rtf_dbcs_lead(unsigned cp, unsigned b)
{
    if (cp == 932)
        return (b >= 0x81 && b <= 0x9f) || (b >= 0xe0 && b <= 0xfc);
    return (cp == 936 || cp == 949 || cp == 950 || cp == 1361) && b >= 0x81 && b <= 0xfe;
}

/* N (1 or 2) bytes of code page CP as characters; what does not convert
 * is dropped. */
static void sk_rtf_conv(struct sk_dlp_rtf *r, unsigned cp, const unsigned char *b, size_t n)
{
    char out[16], *op = out;
    size_t ol = sizeof(out);
    char *ip = (char *)b;

    if (cp == 1252 || cp == 0) {
        uint32_t c = sk_cp1252(b[0]);
        if (c >= 0xa0) /* the five bytes cp1252 leaves undefined are dropped */
            sk_rtf_char(r, c);
        return;
    }
    if (r->icp != cp) {
        sk_iconv_close(r->iname, r->conv);
        snprintf(r->iname, sizeof(r->iname),
                 cp == 10000  ? "MACINTOSH"
                 : cp == 1361 ? "JOHAB"
                              : "CP%u",
                 cp);
        r->conv = sk_iconv_open(r->iname);
        r->icp = cp;
    }
    if (r->conv == (iconv_t)-1) { /* a page iconv lacks: as cp1252 */
        if (n == 1)
            sk_rtf_conv(r, 1252, b, 1);
        return;
    }
    iconv(r->conv, NULL, NULL, NULL, NULL);
    if (iconv(r->conv, &ip, &n, &op, &ol) != (size_t)-1)
        sk_rtf_emit(r, out, (size_t)(op - out));
}

/* One byte of text (literal or \'hh) in the current code page. */
static void sk_rtf_byte(struct sk_dlp_rtf *r, unsigned b)
{
    unsigned cp;
    unsigned char two[2];

    r->high = 0;
    if (sk_rtf_top(r)->dest > SK_RD_ASIDE)
        return;
    if (r->lead >= 0) {
        two[0] = (unsigned char)r->lead, two[1] = (unsigned char)b;
        r->lead = -1;
        sk_rtf_conv(r, sk_rtf_cp(r), two, 2);
        return;
    }
    if (b < 0x80) {
        two[0] = (unsigned char)b;
        sk_rtf_emit(r, two, 1);
        return;
    }
    cp = sk_rtf_cp(r);
    if (sk_rtf_dbcs_lead(cp, b)) {
        r->lead = (int)b;
        return;
    }
    two[0] = (unsigned char)b;
    sk_rtf_conv(r, cp, two, 1);
}

/* ---- objdata: hex digits into the embedded object's bytes ---- */

static void sk_rtf_obj_byte(struct sk_dlp_rtf *r, unsigned char b)
{
    if (r->nobj == SK_RTF_OUTBUF)
        sk_rtf_flush(r);
    r->obj[r->nobj++] = b;
}

static void sk_rtf_obj_hex(struct sk_dlp_rtf *r, unsigned char c)
{
    int v = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;

    if (v < 0) /* white space and anything else between the digits */
        return;
    if (r->hexhalf < 0) {
        r->hexhalf = v;
        return;
    }
    sk_rtf_obj_byte(r, (unsigned char)(r->hexhalf << 4 | v));
    r->hexhalf = -1;
}

/* ---- groups and destinations ---- */

static void sk_rtf_open(struct sk_dlp_rtf *r)
{
    if (r->depth == SK_RTF_DEPTH) {
        r->over++;
        r->flags |= SK_RTF_TOO_DEEP;
        return;
    }
    r->lv[r->depth + 1] = r->lv[r->depth];
    r->depth++;
    r->lv[r->depth].opened = r->lv[r->depth].star = 0;
}

static void sk_rtf_close(struct sk_dlp_rtf *r)
{
    struct sk_rtf_level *l = sk_rtf_top(r);

    if (r->over) {
        r->over--;
        return;
    }
    if (r->depth == 0) /* a stray '}': nothing to close */
        return;
    if (l->opened && l->dest == SK_RD_ASIDE)
        sk_rtf_put(r, SK_RTF_ASIDE, "\n", 1);
    if (l->opened && l->dest == SK_RD_OBJDATA && r->lv[r->depth - 1].dest != SK_RD_OBJDATA) {
        sk_rtf_flush(r);
        if (!r->failed && r->h.obj(r->h.arg, SK_RTF_OBJ_END, NULL, 0) == -1)
            r->failed = 1;
    }
    if (l->dest == SK_RD_FONTTBL)
        r->deffont = -1;
    r->depth--;
}

static void sk_rtf_dest(struct sk_dlp_rtf *r, enum sk_rtf_dest d)
{
    struct sk_rtf_level *l = sk_rtf_top(r);

    /* a destination is a group's (outside every group, after a stray
     * '}', nothing begins: an object begun there would never end); inside
     * a font table or an object's bytes nothing else begins; a picture may
     * hold text (its alt text in \*\picprop) */
    if (r->depth == 0 || l->dest == SK_RD_FONTTBL || l->dest == SK_RD_OBJDATA)
        return;
    if (d == SK_RD_OBJDATA) {
        sk_rtf_flush(r);
        r->hexhalf = -1;
        if (!r->failed && r->h.obj(r->h.arg, SK_RTF_OBJ_BEGIN, NULL, 0) == -1)
            r->failed = 1;
    }
    if (d == SK_RD_ASIDE)
        sk_rtf_put(r, SK_RTF_ASIDE, "\n", 1);
    l->dest = (unsigned char)d;
    l->opened = 1;
}

/* ---- control words ---- */

enum sk_rtf_act {
    SK_RA_DEST,  /* arg: enum sk_rtf_dest */
    SK_RA_TEXT,  /* arg: a character */
    SK_RA_UNI,   /* \uN */
    SK_RA_UC,    /* \ucN */
    SK_RA_BIN,   /* \binN */
    SK_RA_CPG,   /* \ansicpgN, or arg: a fixed code page (\mac, \pc, \pca) */
    SK_RA_FONT,  /* \fN */
    SK_RA_FCS,   /* \fcharsetN */
    SK_RA_FCPG,  /* \cpgN */
    SK_RA_DEFF,  /* \deffN */
    SK_RA_PLAIN, /* \plain */
    SK_RA_HIDE,  /* \v, \v0 */
};

/* Sorted by name (bsearch). */
static const struct sk_rtf_word {
    const char *name;
    unsigned char act;
    uint32_t arg;
} sk_rtf_words[] = {
    {"annotation", SK_RA_DEST, SK_RD_ASIDE},
    {"ansi", SK_RA_CPG, 1252},
    {"ansicpg", SK_RA_CPG, 0},
    {"atnauthor", SK_RA_DEST, SK_RD_ASIDE},
    {"atnid", SK_RA_DEST, SK_RD_ASIDE},
    {"author", SK_RA_DEST, SK_RD_ASIDE},
    {"bin", SK_RA_BIN, 0},
    {"blipuid", SK_RA_DEST, SK_RD_SKIP},
    {"bullet", SK_RA_TEXT, 0x2022},
    {"category", SK_RA_DEST, SK_RD_ASIDE},
    {"cell", SK_RA_TEXT, '\n'},
    {"colorschememapping", SK_RA_DEST, SK_RD_SKIP},
    {"colortbl", SK_RA_DEST, SK_RD_SKIP},
    {"comment", SK_RA_DEST, SK_RD_ASIDE},
    {"company", SK_RA_DEST, SK_RD_ASIDE},
    {"cpg", SK_RA_FCPG, 0},
    {"datastore", SK_RA_DEST, SK_RD_SKIP},
    {"deff", SK_RA_DEFF, 0},
    {"doccomm", SK_RA_DEST, SK_RD_ASIDE},
    {"emdash", SK_RA_TEXT, 0x2014},
    {"emspace", SK_RA_TEXT, 0x2003},
    {"endash", SK_RA_TEXT, 0x2013},
    {"enspace", SK_RA_TEXT, 0x2002},
    {"f", SK_RA_FONT, 0},
    {"fcharset", SK_RA_FCS, 0},
    {"fldinst", SK_RA_DEST, SK_RD_ASIDE},
    {"fonttbl", SK_RA_DEST, SK_RD_FONTTBL},
    {"footer", SK_RA_DEST, SK_RD_ASIDE},
    {"footerf", SK_RA_DEST, SK_RD_ASIDE},
    {"footerl", SK_RA_DEST, SK_RD_ASIDE},
    {"footerr", SK_RA_DEST, SK_RD_ASIDE},
    {"footnote", SK_RA_DEST, SK_RD_ASIDE},
    {"header", SK_RA_DEST, SK_RD_ASIDE},
    {"headerf", SK_RA_DEST, SK_RD_ASIDE},
    {"headerl", SK_RA_DEST, SK_RD_ASIDE},
    {"headerr", SK_RA_DEST, SK_RD_ASIDE},
    {"hlinkbase", SK_RA_DEST, SK_RD_ASIDE},
    {"info", SK_RA_DEST, SK_RD_ASIDE},
    {"keywords", SK_RA_DEST, SK_RD_ASIDE},
    {"latentstyles", SK_RA_DEST, SK_RD_SKIP},
    {"ldblquote", SK_RA_TEXT, 0x201c},
    {"line", SK_RA_TEXT, '\n'},
    {"listoverridetable", SK_RA_DEST, SK_RD_SKIP},
    {"listtable", SK_RA_DEST, SK_RD_SKIP},
    {"lquote", SK_RA_TEXT, 0x2018},
    {"mac", SK_RA_CPG, 10000},
    {"manager", SK_RA_DEST, SK_RD_ASIDE},
    {"nestcell", SK_RA_TEXT, '\n'},
    {"nestrow", SK_RA_TEXT, '\n'},
    {"objdata", SK_RA_DEST, SK_RD_OBJDATA},
    {"operator", SK_RA_DEST, SK_RD_ASIDE},
    {"page", SK_RA_TEXT, '\n'},
    {"panose", SK_RA_DEST, SK_RD_SKIP},
    {"par", SK_RA_TEXT, '\n'},
    {"passwordhash", SK_RA_DEST, SK_RD_SKIP},
    {"pc", SK_RA_CPG, 437},
    {"pca", SK_RA_CPG, 850},
    {"pict", SK_RA_DEST, SK_RD_SKIP},
    {"plain", SK_RA_PLAIN, 0},
    {"qmspace", SK_RA_TEXT, 0x2005},
    {"rdblquote", SK_RA_TEXT, 0x201d},
    {"row", SK_RA_TEXT, '\n'},
    {"rquote", SK_RA_TEXT, 0x2019},
    {"rsidtbl", SK_RA_DEST, SK_RD_SKIP},
    {"sect", SK_RA_TEXT, '\n'},
    {"sn", SK_RA_DEST, SK_RD_ASIDE}, /* a shape property's name, */
    {"stylesheet", SK_RA_DEST, SK_RD_SKIP},
    {"subject", SK_RA_DEST, SK_RD_ASIDE},
    {"sv", SK_RA_DEST, SK_RD_ASIDE}, /* ... its value (an image's alt text) */
    {"tab", SK_RA_TEXT, '\t'},
    {"themedata", SK_RA_DEST, SK_RD_SKIP},
    {"title", SK_RA_DEST, SK_RD_ASIDE},
    {"u", SK_RA_UNI, 0},
    {"uc", SK_RA_UC, 0},
    {"v", SK_RA_HIDE, 0},
    {"xmlnstbl", SK_RA_DEST, SK_RD_SKIP},
};

static int sk_rtf_word_cmp(const void *k, const void *e)
{
    return strcmp(k, ((const struct sk_rtf_word *)e)->name);
}

static int32_t sk_rtf_i32(int64_t v)
{
    return v > INT32_MAX ? INT32_MAX : v < INT32_MIN + 1 ? INT32_MIN + 1 : (int32_t)v;
}

static void sk_rtf_unicode(struct sk_dlp_rtf *r, int64_t n)
{
    uint32_t c = (uint32_t)(n < 0 ? n + 65536 : n);

    r->skip = sk_rtf_top(r)->uc;
    if (n < -32768 || c > 0x10ffff)
        return;
    if (c >= 0xd800 && c < 0xdc00) {
        r->high = c;
        return;
    }
    if (c >= 0xdc00 && c < 0xe000) {
        if (r->high)
            sk_rtf_char(r, 0x10000 + ((r->high - 0xd800) << 10) + (c - 0xdc00));
        r->high = 0;
        return;
    }
    r->high = 0;
    sk_rtf_char(r, c);
}

/* A control word: NAME, its parameter NUM when HAS. */
static void sk_rtf_word(struct sk_dlp_rtf *r, int has, int64_t num)
{
    struct sk_rtf_level *l = sk_rtf_top(r);
    const struct sk_rtf_word *w =
        bsearch(r->name, sk_rtf_words, sizeof(sk_rtf_words) / sizeof(*sk_rtf_words),
                sizeof(*sk_rtf_words), sk_rtf_word_cmp);
    int star = l->star;

    l->star = 0;
    r->lead = -1;
    if (r->skip && !(w && w->act == SK_RA_BIN)) { /* \uN's fallback: one character */
        r->skip--;
        return;
    }
    if (!w) {
        if (star) /* an ignorable destination no reader here knows */
            sk_rtf_dest(r, SK_RD_ASIDE);
        return;
    }
    if (w->act != SK_RA_UNI)
        r->high = 0;
    switch (w->act) {
    case SK_RA_DEST:
        sk_rtf_dest(r, w->arg);
        break;
    case SK_RA_TEXT:
        sk_rtf_char(r, w->arg);
        break;
    case SK_RA_UNI:
        if (has)
            sk_rtf_unicode(r, num);
        break;
    case SK_RA_UC:
        l->uc = (uint16_t)(!has || num < 0 ? 0 : num > 65535 ? 65535 : num);
        break;
    case SK_RA_BIN:
        r->bin = has && num > 0 ? (uint64_t)num : 0;
        if (r->bin)
            r->st = SK_RS_BIN;
        break;
    case SK_RA_CPG:
        if (w->arg || (has && num > 0 && num < 65536))
            r->ansicpg = w->arg ? w->arg : (unsigned)num;
        break;
    case SK_RA_FONT:
        if (l->dest != SK_RD_FONTTBL) {
            l->font = has ? sk_rtf_i32(num) : 0;
        } else if ((r->deffont = sk_rtf_font_find(r, sk_rtf_i32(num))) < 0) {
            if (r->nfont == SK_RTF_FONTS) {
                r->flags |= SK_RTF_MANY_FONTS;
            } else {
                r->font[r->nfont].num = sk_rtf_i32(num);
                r->font[r->nfont].cp = 0;
                r->deffont = (int)r->nfont++;
                r->cache_ok = 0;
            }
        }
        break;
    case SK_RA_FCS:
    case SK_RA_FCPG:
        if (l->dest == SK_RD_FONTTBL && r->deffont >= 0 && has) {
            unsigned cp = w->act == SK_RA_FCS      ? sk_rtf_charset_cp(num)
                          : num > 0 && num < 65536 ? (unsigned)num
                                                   : 0;
            if (cp && (w->act == SK_RA_FCPG || !r->font[r->deffont].cp))
                r->font[r->deffont].cp = (uint16_t)cp;
        }
        break;
    case SK_RA_DEFF:
        r->deff = sk_rtf_i32(num);
        break;
    case SK_RA_PLAIN:
        l->hidden = 0;
        l->font = INT32_MIN;
        break;
    case SK_RA_HIDE:
        l->hidden = !has || num != 0;
        break;
    }
}

/* A control symbol: '\' and C, not a letter. */
static void sk_rtf_symbol(struct sk_dlp_rtf *r, unsigned char c)
{
    static const struct {
        unsigned char c;
        uint32_t u;
    } sym[] = {{'~', 0xa0}, {'-', 0xad},  {'_', 0x2011}, {'{', '{'},
               {'}', '}'},  {'\\', '\\'}, {'\r', '\n'},  {'\n', '\n'}};

    if (c == '*') {
        sk_rtf_top(r)->star = 1;
        return;
    }
    r->lead = -1;
    if (r->skip) {
        r->skip--;
        return;
    }
    for (size_t i = 0; i < sizeof(sym) / sizeof(*sym); i++)
        if (sym[i].c == c) {
            sk_rtf_char(r, sym[i].u);
            return;
        }
}

/* ---- the byte loop ---- */

/* One byte of plain text in the current group. */
static void sk_rtf_text(struct sk_dlp_rtf *r, unsigned char c)
{
    struct sk_rtf_level *l = sk_rtf_top(r);

    l->star = 0;
    if (c == '\r' || c == '\n') /* line ends in RTF source are no text */
        return;
    if (l->dest == SK_RD_OBJDATA) {
        sk_rtf_obj_hex(r, c);
        return;
    }
    if (r->skip) {
        r->skip--;
        return;
    }
    sk_rtf_byte(r, c);
}

/* Bytes of a \bin run: an object's bytes, or skipped. Returns used. */
static size_t sk_rtf_bin(struct sk_dlp_rtf *r, const unsigned char *p, size_t n)
{
    size_t k = r->bin < n ? (size_t)r->bin : n;

    if (sk_rtf_top(r)->dest == SK_RD_OBJDATA)
        for (size_t i = 0; i < k; i++)
            sk_rtf_obj_byte(r, p[i]);
    r->bin -= k;
    if (!r->bin)
        r->st = SK_RS_TEXT;
    return k;
}

/* The end of a control word's name or number at C (not consumed unless it
 * is the delimiting space). Returns 1 when C was consumed. */
static int sk_rtf_word_end(struct sk_dlp_rtf *r, unsigned char c)
{
    int has = r->ndig > 0;
    int64_t num = r->neg ? -r->num : r->num;

    r->st = SK_RS_TEXT;
    sk_rtf_word(r, has, num);
    return c == ' ';
}

static void sk_rtf_step(struct sk_dlp_rtf *r, unsigned char c)
{
    int v;

    switch (r->st) {
    case SK_RS_TEXT:
        if (c == '\\') {
            r->st = SK_RS_ESC;
        } else if (c == '{' || c == '}') {
            r->skip = 0, r->lead = -1, r->high = 0;
            if (c == '{')
                sk_rtf_open(r);
            else
                sk_rtf_close(r);
        } else {
            sk_rtf_text(r, c);
        }
        return;
    case SK_RS_ESC:
        if (c >= 'a' && c <= 'z') {
            r->st = SK_RS_NAME;
            r->name[0] = (char)c, r->nname = 1;
            r->neg = r->ndig = 0, r->num = 0;
        } else if (c == '\'') {
            r->st = SK_RS_HEX, r->hexn = 0, r->hex = 0;
        } else {
            r->st = SK_RS_TEXT;
            sk_rtf_symbol(r, c);
        }
        return;
    case SK_RS_NAME:
        if (c >= 'a' && c <= 'z') {
            if (r->nname < SK_RTF_NAME)
                r->name[r->nname++] = (char)c;
            return;
        }
        r->name[r->nname] = '\0';
        if (c == '-' || (c >= '0' && c <= '9')) {
            r->st = SK_RS_NUM;
            r->neg = c == '-';
            if (c != '-')
                r->num = c - '0', r->ndig = 1;
            return;
        }
        if (!sk_rtf_word_end(r, c))
            sk_rtf_step(r, c);
        return;
    case SK_RS_NUM:
        if (c >= '0' && c <= '9') {
            if (r->num < ((int64_t)1 << 40)) /* saturates: numbers are 32-bit */
                r->num = r->num * 10 + (c - '0');
            r->ndig++;
            return;
        }
        if (!sk_rtf_word_end(r, c))
            sk_rtf_step(r, c);
        return;
    case SK_RS_HEX:
        if ((v = sk_hex_digit(c)) >= 0) {
            r->hex = r->hex << 4 | (unsigned)v;
            if (++r->hexn < 2)
                return;
        }
        r->st = SK_RS_TEXT;
        if (r->hexn == 2) {
            sk_rtf_top(r)->star = 0;
            if (sk_rtf_top(r)->dest == SK_RD_OBJDATA)
                ; /* \'hh is no part of an object's hex */
            else if (r->skip)
                r->skip--;
            else
                sk_rtf_byte(r, r->hex);
            return;
        }
        sk_rtf_step(r, c); /* a broken \'h: the byte is read as it is */
        return;
    case SK_RS_BIN:
        return; /* handled in sk_dlp_rtf_write */
    }
}

struct sk_dlp_rtf *sk_dlp_rtf_parser_new(const struct sk_rtf_handler *h)
{
    struct sk_dlp_rtf *r = calloc(1, sizeof(*r));

    if (!r)
        return NULL;
    r->h = *h;
    r->lv[0] = (struct sk_rtf_level){.dest = SK_RD_BODY, .uc = 1, .font = INT32_MIN};
    r->lead = -1;
    r->hexhalf = -1;
    r->ansicpg = 1252;
    r->deffont = -1;
    r->conv = (iconv_t)-1;
    return r;
}

int sk_dlp_rtf_parser_write(struct sk_dlp_rtf *r, const unsigned char *p, size_t n)
{
    size_t i = 0;

    while (i < n && !r->failed) {
        if (r->st == SK_RS_BIN)
            i += sk_rtf_bin(r, p + i, n - i);
        else
            sk_rtf_step(r, p[i++]);
    }
    sk_rtf_flush(r);
    return r->failed ? -1 : 0;
}

int sk_dlp_rtf_parser_end(struct sk_dlp_rtf *r)
{
    /* a control word at the very end still acts */
    if (r->st == SK_RS_NAME || r->st == SK_RS_NUM) {
        r->name[r->nname] = '\0';
        sk_rtf_word_end(r, 0);
    }
    /* groups left open: an object still open ends */
    while (r->depth > 0 && !r->failed) {
        r->over = 0;
        sk_rtf_close(r);
    }
    sk_rtf_flush(r);
    return r->failed ? -1 : 0;
}

unsigned sk_dlp_rtf_parser_flags(const struct sk_dlp_rtf *r)
{
    return r->flags;
}

void sk_dlp_rtf_parser_free(struct sk_dlp_rtf *r)
{
    if (!r)
        return;
    sk_iconv_close(r->iname, r->conv);
    free(r);
}

/* ---- the filter in front of an object's text reader ---- */

struct sk_drtf {
    struct sk_dlp_sink sink;
    struct sk_dlp_ctx *ctx;
    int depth;
    struct sk_dlp_sink *next; /* the text reader: gets every raw byte */
    struct sk_dlp_rtf *p;
    struct sk_dlp_sink *out[SK_RTF_NOUT]; /* each reading: a text of its own */
    struct sk_dlp_engine *win[SK_RTF_NOUT];
    struct sk_dlp_sink *obj; /* the open embedded object */
    struct sk_dlp_engine *objwin;
    int obj_over;  /* the budget ran out inside an object */
    unsigned told; /* flags already reported */
};

static int sk_drtf_text(void *arg, enum sk_rtf_out o, const unsigned char *p, size_t n)
{
    struct sk_drtf *d = arg;

    if (!d->out[o]) {
        if (!(d->win[o] = sk_dlp_engine_sub(d->ctx->e)))
            return -1;
        sk_dlp_engine_where(d->win[o], d->ctx->e->where);
        if (!(d->out[o] = sk_dlp_view_new(d->ctx, d->depth, sk_dlp_norm_new(d->ctx, "utf-8"))))
            return -1;
    }
    return sk_dlp_put_in(d->ctx, d->win[o], d->out[o], p, n);
}

static int sk_drtf_obj(void *arg, enum sk_rtf_obj what, const unsigned char *p, size_t n)
{
    struct sk_drtf *d = arg;
    int rc = 0;

    switch (what) {
    case SK_RTF_OBJ_BEGIN:
        if (d->depth + 1 >= SK_DLP_MAX_DEPTH) {
            sk_dlp_undecodable(d->ctx, "an object embedded in RTF nested too deeply");
            return 0;
        }
        if (!d->objwin && !(d->objwin = sk_dlp_engine_sub(d->ctx->e)))
            return -1;
        sk_dlp_engine_where(d->objwin, d->ctx->e->where);
        d->obj_over = 0;
        return (d->obj = sk_dlp_object_new(d->ctx, NULL, NULL, d->depth + 1)) ? 0 : -1;
    case SK_RTF_OBJ_DATA:
        if (!d->obj || d->obj_over)
            return 0;
        if (n > d->ctx->budget) { /* decoded bytes: charged as a base64 run's */
            n = (size_t)d->ctx->budget;
            d->ctx->limit = 1;
            d->obj_over = 1;
        }
        d->ctx->budget -= n;
        return sk_dlp_put_in(d->ctx, d->objwin, d->obj, p, n);
    case SK_RTF_OBJ_END:
        if (!d->obj)
            return 0;
        rc = sk_dlp_end_in(d->ctx, d->objwin, d->obj);
        d->obj->destroy(d->obj);
        d->obj = NULL;
        return rc;
    }
    return 0;
}

/* The parser's limits, reported once each (dlp.on-error). */
static void sk_drtf_tell(struct sk_drtf *d)
{
    unsigned f = sk_dlp_rtf_parser_flags(d->p) & ~d->told;

    if (f & SK_RTF_TOO_DEEP)
        sk_dlp_undecodable(d->ctx, "RTF groups nested too deeply (a limit)");
    if (f & SK_RTF_MANY_FONTS)
        sk_dlp_undecodable(d->ctx, "an RTF font table with too many fonts (a limit)");
    d->told |= f;
}

static int sk_drtf_write(struct sk_dlp_sink *s, const unsigned char *p, size_t n)
{
    struct sk_drtf *d = (struct sk_drtf *)s;
    int rc = sk_dlp_rtf_parser_write(d->p, p, n);

    sk_drtf_tell(d);
    return sk_dlp_put(d->next, p, n) == -1 ? -1 : rc;
}

static int sk_drtf_end(struct sk_dlp_sink *s)
{
    struct sk_drtf *d = (struct sk_drtf *)s;
    int rc = sk_dlp_rtf_parser_end(d->p);

    sk_drtf_tell(d);
    for (int i = 0; i < SK_RTF_NOUT; i++)
        if (d->out[i] && sk_dlp_end_in(d->ctx, d->win[i], d->out[i]) == -1)
            rc = -1;
    return d->next->end(d->next) == -1 ? -1 : rc;
}

static void sk_drtf_destroy(struct sk_dlp_sink *s)
{
    struct sk_drtf *d = (struct sk_drtf *)s;

    for (int i = 0; i < SK_RTF_NOUT; i++) {
        if (d->out[i])
            d->out[i]->destroy(d->out[i]);
        sk_dlp_engine_free(d->win[i]);
    }
    if (d->obj)
        d->obj->destroy(d->obj);
    sk_dlp_engine_free(d->objwin);
    sk_dlp_rtf_parser_free(d->p);
    d->next->destroy(d->next);
    free(d);
}

/* Word opens a file as RTF when it starts "{\rt" (what follows may be
 * anything: "{\rtf1", "{\rtx"), so that is what tells it here too. */
int sk_dlp_rtf_is(const unsigned char *p, size_t n)
{
    return n >= 4 && memcmp(p, "{\\rt", 4) == 0;
}

struct sk_dlp_sink *sk_dlp_rtf_new(struct sk_dlp_ctx *ctx, int depth, struct sk_dlp_sink *next)
{
    struct sk_drtf *d;

    if (!next)
        return NULL;
    if (!(d = calloc(1, sizeof(*d)))) {
        next->destroy(next);
        return NULL;
    }
    struct sk_rtf_handler h = {sk_drtf_text, sk_drtf_obj, d};
    if (!(d->p = sk_dlp_rtf_parser_new(&h))) {
        free(d);
        next->destroy(next);
        return NULL;
    }
    d->sink = (struct sk_dlp_sink){
        .write = sk_drtf_write, .end = sk_drtf_end, .destroy = sk_drtf_destroy};
    d->ctx = ctx;
    d->depth = depth;
    d->next = next;
    return &d->sink;
}

/* dlp_body.c - the object chain of a body or a part: what a body is comes
 * from its bytes first (zip, gzip, zstd, bzip2, xz, tar: sk_container_sniff,
 * sk_tar_header_ok; a stream after a prefix: dlp_stream.c), then from its
 * declared type and name (JSON, urlencoded, multipart); the adapters that
 * put the core decoding layer (sekisho/decode.h: Content-Encoding,
 * multipart) in front of the DLP engine; header parameter parsing.
 * SECURITY: every header here is client-controlled; an unknown or lying
 * type never means "skip": the fallback is the text sniffer over the raw
 * bytes, and what cannot be decoded is recorded (ctx->undecodable) for
 * the module's dlp.on-error verdict.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sekisho/decode.h>
#include <sekisho/text.h>

#include "dlp.h"

#define SK_SNIFF_HEAD 512 /* the first bytes an object is told by */

void sk_dlp_undecodable(struct sk_dlp_ctx *ctx, const char *why)
{
    if (ctx->undecodable++ == 0)
        snprintf(ctx->why, sizeof(ctx->why), "%s", why);
}

static int sk_ext(const char *name, const char *const *exts)
{
    /* every extension listed is one '.' and letters: only the name's
     * last '.' can start one (a name without one, "URL path", has none) */
    const char *dot = name ? strrchr(name, '.') : NULL;

    for (int i = 0; dot && dot > name && exts[i]; i++)
        if (strcasecmp(dot, exts[i]) == 0)
            return 1;
    return 0;
}

static int sk_is_json(const char *mt, const char *name)
{
    static const char *const ext[] = {".json", NULL};
    size_t n = strlen(mt);
    return strcmp(mt, "application/json") == 0 || strcmp(mt, "text/json") == 0 ||
           (n > 5 && strcmp(mt + n - 5, "+json") == 0) || sk_ext(name, ext);
}

/* iCalendar or vCard (dlp_dirtext.c): by type, by name, or by its first
 * line (after a BOM and white space), in any case. */
int sk_dlp_dirtext_like(const char *mt, const char *name, const unsigned char *head, size_t n)
{
    static const char *const types[] = {"text/calendar", "text/x-vcalendar", "text/vcard",
                                        "text/x-vcard", "text/directory"};
    static const char *const ext[] = {".ics", ".ical", ".ifb", ".vcs", ".vcf", ".vcard", NULL};

    for (size_t i = 0; mt && i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(mt, types[i]) == 0)
            return 1;
    if (sk_ext(name, ext))
        return 1;
    size_t i = n >= 3 && memcmp(head, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
    while (i < n && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n'))
        i++;
    return (n - i >= 15 && strncasecmp((const char *)head + i, "BEGIN:VCALENDAR", 15) == 0) ||
           (n - i >= 11 && strncasecmp((const char *)head + i, "BEGIN:VCARD", 11) == 0);
}

/* XML and HTML (Office XML parts by entry name, uploads by type or name):
 * tags stripped, entities decoded, tag contents kept aside. */
static int sk_is_xml(const char *mt, const char *name)
{
    static const char *const ext[] = {".xml", ".vml", ".html", ".htm", ".xhtml", ".svg", NULL};
    size_t n = strlen(mt);
    return strcmp(mt, "text/xml") == 0 || strcmp(mt, "application/xml") == 0 ||
           strcmp(mt, "text/html") == 0 || (n > 4 && strcmp(mt + n - 4, "+xml") == 0) ||
           sk_ext(name, ext);
}

/* Does P start "<?xm" in EBCDIC (4C 6F A7 94), as libxml2 tells an EBCDIC
 * document? */
static int sk_xml_ebcdic(const unsigned char *p, size_t n)
{
    return n >= 4 && memcmp(p, "\x4c\x6f\xa7\x94", 4) == 0;
}

/* A body that says nothing of XML but starts as XML: "<?xml" or
 * "<!DOCTYPE" after a BOM and white space (the NULs of UTF-16/32 skipped),
 * or "<?xm" in EBCDIC:
 * what an endpoint that parses any body as XML (SOAP, lxml on the raw
 * body) reads, entities and all. */
static int sk_xml_like(const unsigned char *p, size_t n)
{
    static const char *const starts[] = {"<?xml", "<!doctype"};
    char c[9];
    size_t k = 0, i = 0;

    if (sk_xml_ebcdic(p, n))
        return 1; /* libxml2 reads it (sk_xml_decl_charset) */
    if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
        i = 3;
    for (; i < n && k < sizeof(c); i++) {
        if (p[i] == 0 || p[i] == 0xff || p[i] == 0xfe || (!k && strchr(" \t\r\n", p[i])))
            continue;
        c[k++] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] | 0x20 : p[i]);
    }
    for (size_t s = 0; s < sizeof(starts) / sizeof(*starts); s++)
        if (k >= strlen(starts[s]) && memcmp(c, starts[s], strlen(starts[s])) == 0)
            return 1;
    return 0;
}

/* A byte of EBCDIC as ASCII, for the characters an XML declaration is
 * written in (letters, digits, "<?>=\"'-_.:/", white space: the same in
 * every EBCDIC code page); anything else is 0x01. */
static char sk_ebcdic_ascii(unsigned char c)
{
    static const unsigned char from[] = {0x40, 0x05, 0x0d, 0x25, 0x15, 0x4b, 0x4c, 0x60,
                                         0x61, 0x6d, 0x6e, 0x6f, 0x7a, 0x7d, 0x7e, 0x7f};
    static const char to[] = " \t\r\n\n.<-/_>?:'=\"";
    static const struct {
        unsigned char lo, hi;
        char first;
    } runs[] = {{0x81, 0x89, 'a'}, {0x91, 0x99, 'j'}, {0xa2, 0xa9, 's'}, {0xc1, 0xc9, 'A'},
                {0xd1, 0xd9, 'J'}, {0xe2, 0xe9, 'S'}, {0xf0, 0xf9, '0'}};

    for (size_t i = 0; i < sizeof(from); i++)
        if (c == from[i])
            return to[i];
    for (size_t i = 0; i < sizeof(runs) / sizeof(*runs); i++)
        if (c >= runs[i].lo && c <= runs[i].hi)
            return (char)(runs[i].first + (c - runs[i].lo));
    return 1;
}

/* The charset an XML document's own declaration names (<?xml version="1.0"
 * encoding="IBM037"?>: the pseudo-attribute in either quotes, white space
 * around '='), into CS. libxml2 (lxml, xmllint, PHP) reads the document
 * in it whatever the HTTP charset says: after a UTF-8 BOM, after ASCII,
 * and also after UTF-16/32 (it switches to the named charset behind the
 * declaration), here read with their NULs skipped; a start "<?xm" in
 * EBCDIC is read in EBCDIC, and without a name any EBCDIC reader knows
 * it is IBM037 (libxml2's default; digits and space are the same in every
 * EBCDIC page). 1: CS named; 0: none; -1: a declaration still open at the
 * end of a full head (HEAD_FULL), whose name may come later. */
static int sk_xml_decl_charset(const unsigned char *p, size_t n, int head_full, char *cs,
                               size_t cap)
{
    char a[512];
    size_t k = 0, i = 0;
    int ebcdic = sk_xml_ebcdic(p, n);

    *cs = '\0';
    if (!ebcdic && n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
        i = 3;
    while (!ebcdic && i < n && (p[i] == 0xff || p[i] == 0xfe || p[i] == 0)) /* UTF-16/32 BOM */
        i++;
    for (; i < n && k < sizeof(a); i++)
        if (ebcdic || p[i] != 0)
            a[k++] = ebcdic ? sk_ebcdic_ascii(p[i]) : (char)p[i];
    for (i = 0; i < k && strchr(" \t\r\n", a[i]); i++)
        ;
    if (k - i < 6 || strncasecmp(a + i, "<?xml", 5) != 0 || !strchr(" \t\r\n", a[i + 5]))
        return 0;
    const char *end = memchr(a + i, '>', k - i);
    size_t e = end ? (size_t)(end - a) : k;
    for (i += 5; i + 8 <= e; i++) {
        if (memcmp(a + i, "encoding", 8) != 0)
            continue;
        size_t j = i + 8;
        while (j < e && strchr(" \t\r\n", a[j]))
            j++;
        if (j == e || a[j++] != '=')
            continue;
        while (j < e && strchr(" \t\r\n", a[j]))
            j++;
        if (j == e || (a[j] != '"' && a[j] != '\''))
            continue;
        const char *q = memchr(a + j + 1, a[j], e - j - 1);
        if (!q || (size_t)(q - a) - j - 1 >= cap)
            continue;
        memcpy(cs, a + j + 1, (size_t)(q - a) - j - 1);
        cs[(size_t)(q - a) - j - 1] = '\0';
        break;
    }
    if (ebcdic && !sk_dlp_charset_second(cs))
        snprintf(cs, cap, "%s", "IBM037");
    if (*cs)
        return 1;
    return !end && head_full ? -1 : 0;
}

/* ---- Content-Encoding and .gz: the core decoder, output charged to the
 * transaction's budget ---- */

struct sk_decomp {
    struct sk_dlp_sink sink;
    struct sk_dlp_ctx *ctx;
    struct sk_dlp_sink *next;
    struct sk_decoder *dec;
    int stopped;
    int cut; /* SK_DECOMP_CUT */
};

static int sk_decomp_out(void *arg, const void *buf, size_t len)
{
    struct sk_decomp *d = arg;

    if (len > d->ctx->budget) {
        sk_dlp_put(d->next, buf, (size_t)d->ctx->budget);
        d->ctx->budget = 0;
        d->ctx->limit = 1;
        return -1;
    }
    d->ctx->budget -= len;
    return sk_dlp_put(d->next, buf, len);
}

static int sk_decomp_feed(struct sk_decomp *d, const unsigned char *p, size_t n, int eof)
{
    enum sk_decode_rc rc;

    if (d->stopped)
        return 0;
    rc = sk_decoder_feed(d->dec, p, n, eof, sk_decomp_out, d);
    if (rc == SK_DECODE_CORRUPT && !d->cut)
        sk_dlp_undecodable(d->ctx, "compressed data is corrupt");
    if (rc == SK_DECODE_LIMIT || rc == SK_DECODE_FAIL) {
        d->stopped = 1;
        if (rc == SK_DECODE_LIMIT) /* the guard's: the budget is charged by the sink */
            d->ctx->limit = d->ctx->bomb = 1;
        return d->ctx->limit ? 0 : -1; /* the budget: a limit, not an error */
    }
    return 0;
}

static int sk_decomp_write(struct sk_dlp_sink *s, const unsigned char *p, size_t n)
{
    return sk_decomp_feed((struct sk_decomp *)s, p, n, 0);
}

static int sk_decomp_end(struct sk_dlp_sink *s)
{
    struct sk_decomp *d = (struct sk_decomp *)s;

    if (sk_decomp_feed(d, NULL, 0, 1) == -1)
        return -1;
    /* chunk extensions and trailers of framing left in the body: an
     * object of their own (not the body's data; whoever reads the framed
     * body as it is receives them) */
    size_t n;
    int over, rc = 0;
    const unsigned char *side = sk_decoder_side(d->dec, &n, &over);
    if (over)
        sk_dlp_undecodable(d->ctx, "chunked framing with more than 64 KiB of extensions and "
                                   "trailers (a limit)");
    if (n)
        rc = sk_dlp_member_read(d->ctx, NULL, NULL, d->ctx->e->where, 1, side, n);
    return d->next->end(d->next) == -1 ? -1 : rc;
}

static void sk_decomp_destroy(struct sk_dlp_sink *s)
{
    struct sk_decomp *d = (struct sk_decomp *)s;

    sk_decoder_free(d->dec);
    d->next->destroy(d->next);
    free(d);
}

/* What a decomp filter reads: a compressed file found in an object, the
 * body's own Content-Encoding chain (sk_decode_limits keep_head), or a
 * zlib stream the sniff did not take, of which only what inflated before
 * an error is read, without dlp.on-error (sk_container_zlib_cut). */
enum sk_decomp_kind { SK_DECOMP_FILE, SK_DECOMP_BODY, SK_DECOMP_CUT };

/* Owns NEXT (destroyed on failure). */
static struct sk_dlp_sink *sk_decomp_new(struct sk_dlp_ctx *ctx, const struct sk_coding_chain *ch,
                                         struct sk_dlp_sink *next, enum sk_decomp_kind kind)
{
    struct sk_decomp *d = next ? calloc(1, sizeof(*d)) : NULL;
    /* the budget bounds the transaction, the guard each object */
    struct sk_decode_limits lim = {.out_max = UINT64_MAX,
                                   .ratio = ctx->decode_ratio,
                                   .floor = ctx->decode_floor,
                                   .keep_head = kind == SK_DECOMP_BODY,
                                   .drop_rest = kind == SK_DECOMP_CUT};

    if (d && !(d->dec = sk_decoder_new(ch, &lim))) {
        free(d);
        d = NULL;
    }
    if (!d) {
        if (next)
            next->destroy(next);
        return NULL;
    }
    d->sink = (struct sk_dlp_sink){
        .write = sk_decomp_write, .end = sk_decomp_end, .destroy = sk_decomp_destroy};
    d->ctx = ctx;
    d->next = next;
    d->cut = kind == SK_DECOMP_CUT;
    return &d->sink;
}

/* ---- an object whose first bytes decide what it is ---- */

struct sk_sniff {
    struct sk_dlp_sink sink;
    struct sk_dlp_ctx *ctx;
    int depth;
    char *ctype, *name;
    unsigned char head[SK_SNIFF_HEAD]; /* a tar is told by its first header's checksum */
    size_t nhead;
    struct sk_dlp_sink *next; /* chosen once the head is known */
};

static struct sk_dlp_sink *sk_tee_new(struct sk_dlp_ctx *ctx, struct sk_dlp_sink *next,
                                      struct sk_dlp_sink *view);

/* JSON, XML, iCalendar and vCard syntax is characters: the charset is
 * undone first (UTF-16 JSON/XML), the extractor's UTF-8 then folded as it
 * is. Percent-decoding yields bytes of the declared charset: after. What
 * the format reader yields is read again with its escapes undone, from the
 * first one on (sk_dlp_view_new). FINAL: a Word document's final view
 * (sk_dlp_xml_final). */
static struct sk_dlp_sink *sk_by_syntax(struct sk_dlp_ctx *ctx, int json, int xml, int depth,
                                        const char *charset, const char *as, int final)
{
    struct sk_dlp_sink *norm, *x;

    if ((norm = sk_dlp_view_new(ctx, depth, sk_dlp_norm_new(ctx, "utf-8"))) == NULL)
        return NULL;
    x = json ? sk_dlp_json_new(norm) : xml ? sk_dlp_xml_new(ctx, norm) : sk_dlp_dirtext_new(norm);
    if (x && final)
        sk_dlp_xml_final(x);
    x = x ? sk_dlp_conv_new(ctx, *charset ? charset : NULL, x) : NULL;
    if (x && as)
        sk_dlp_norm_as(x);
    return x;
}

/* The chain by declared type: format decoder + normaliser. AS: read the
 * text in that charset whatever the bytes say (sk_dlp_norm_as), or NULL. */
static struct sk_dlp_sink *sk_by_type_as(struct sk_dlp_ctx *ctx, const char *ct, const char *name,
                                         const unsigned char *head, size_t nhead, const char *as,
                                         int depth)
{
    char mt[128], charset[40] = "";
    struct sk_dlp_sink *norm, *x;

    sk_media_type(ct, mt, sizeof(mt));
    sk_dlp_ct_charset(ct, charset, sizeof(charset));
    if (as)
        snprintf(charset, sizeof(charset), "%s", as);
    /* undeclared JSON or XML (no type, text/plain, octet-stream...): as
     * JSON or XML */
    int form = strcmp(mt, "application/x-www-form-urlencoded") == 0;
    int xml = sk_is_xml(mt, name) || (!sk_is_json(mt, name) && !form && sk_xml_like(head, nhead));
    int json = sk_is_json(mt, name) || (!xml && !form && sk_json_like(head, nhead));
    int dir = !json && !xml && !form && sk_dlp_dirtext_like(mt, name, head, nhead);
    if (json || xml || dir) {
        x = sk_by_syntax(ctx, json, xml, depth, charset, as, 0);
        /* a Word document's parts: also as its final view shows them
         * (tracked deletions aside), in a window of its own */
        if (x && xml && name && strncmp(name, "word/", 5) == 0)
            x = sk_tee_new(ctx, x, sk_by_syntax(ctx, json, xml, depth, charset, as, 1));
        return x;
    }
    if ((norm = sk_dlp_norm_new(ctx, *charset ? charset : NULL)) == NULL)
        return NULL;
    if (as)
        sk_dlp_norm_as(norm);
    if ((norm = sk_dlp_view_new(ctx, depth, norm)) == NULL)
        return NULL;
    if (strcmp(mt, "application/x-www-form-urlencoded") == 0) {
        /* jQuery sends a JSON string as a form by default: its fields,
         * and its strings' escapes */
        if (sk_json_like(head, nhead)) {
            struct sk_dlp_sink *j = sk_dlp_json_new(norm);
            return j ? sk_dlp_urlenc_new(j) : NULL;
        }
        return sk_dlp_urlenc_new(norm);
    }
    return norm; /* text and anything else: sniffed bytes */
}

/* One object read twice: every byte to NEXT, and to VIEW in a text window
 * of its own (hits count distinct values, so what both see counts once). */
struct sk_tee {
    struct sk_dlp_sink sink;
    struct sk_dlp_ctx *ctx;
    struct sk_dlp_sink *next, *view;
    struct sk_dlp_engine *win;
};

static int sk_tee_write(struct sk_dlp_sink *s, const unsigned char *p, size_t n)
{
    struct sk_tee *t = (struct sk_tee *)s;
    int rc = sk_dlp_put_in(t->ctx, t->win, t->view, p, n);

    return sk_dlp_put(t->next, p, n) == -1 ? -1 : rc;
}

static int sk_tee_end(struct sk_dlp_sink *s)
{
    struct sk_tee *t = (struct sk_tee *)s;
    int rc = sk_dlp_end_in(t->ctx, t->win, t->view);

    return t->next->end(t->next) == -1 ? -1 : rc;
}

static void sk_tee_destroy(struct sk_dlp_sink *s)
{
    struct sk_tee *t = (struct sk_tee *)s;

    if (t->view)
        t->view->destroy(t->view);
    if (t->next)
        t->next->destroy(t->next);
    sk_dlp_engine_free(t->win);
    free(t);
}

/* Owns NEXT and VIEW, also when it fails. */
static struct sk_dlp_sink *sk_tee_new(struct sk_dlp_ctx *ctx, struct sk_dlp_sink *next,
                                      struct sk_dlp_sink *view)
{
    struct sk_tee *t = calloc(1, sizeof(*t));

    if (t) {
        t->sink = (struct sk_dlp_sink){
            .write = sk_tee_write, .end = sk_tee_end, .destroy = sk_tee_destroy};
        t->ctx = ctx;
    }
    if (!t || !next || !view || !(t->win = sk_dlp_engine_sub(ctx->e))) {
        if (next)
            next->destroy(next);
        if (view)
            view->destroy(view);
        if (t)
            t->next = t->view = NULL, sk_tee_destroy(&t->sink);
        return NULL;
    }
    sk_dlp_engine_where(t->win, ctx->e->where);
    t->next = next, t->view = view;
    return &t->sink;
}

/* An urlencoded form converted from CHARSET first, then split and
 * unquoted, its text read as UTF-8. */
static struct sk_dlp_sink *sk_form_in_charset(struct sk_dlp_ctx *ctx, const char *charset,
                                              int depth)
{
    struct sk_dlp_sink *norm = sk_dlp_view_new(ctx, depth, sk_dlp_norm_new(ctx, "utf-8"));
    struct sk_dlp_sink *x = norm ? sk_dlp_urlenc_new(norm) : NULL;

    if ((x = x ? sk_dlp_conv_new(ctx, charset, x) : NULL) != NULL)
        sk_dlp_norm_as(x);
    return x;
}

/* The charset an HTML document's own <meta> names in its first 1024 bytes
 * (<meta charset="big5">, or http-equiv's content="text/html;
 * charset=big5"), as a browser's prescan finds it, into CS: 1, or 0 when
 * there is none. Only for markup (MT text/html, an .html name, or "<html"
 * in those bytes): a browser shows the page in it. */
static int sk_html_meta_charset(const char *mt, const char *name, const unsigned char *p, size_t n,
                                char *cs, size_t cap)
{
    const char *h = (const char *)p;
    size_t lim = n < 1024 ? n : 1024;
    static const char *const ext[] = {".html", ".htm", ".xhtml", NULL};

    *cs = '\0';
    if (strcmp(mt, "text/html") != 0 && strcmp(mt, "application/xhtml+xml") != 0 &&
        !sk_ext(name, ext) && !memmem(h, lim, "<html", 5) && !memmem(h, lim, "<HTML", 5))
        return 0;
    for (size_t i = 0; i + 5 < lim; i++) {
        if (h[i] != '<' || strncasecmp(h + i + 1, "meta", 4) != 0 || !strchr(" \t\r\n/", h[i + 5]))
            continue;
        const char *end = memchr(h + i, '>', lim - i);
        size_t e = end ? (size_t)(end - h) : lim;
        for (size_t k = i + 5; k + 7 <= e; k++) {
            if (strncasecmp(h + k, "charset", 7) != 0)
                continue;
            size_t v = k + 7;
            while (v < e && strchr(" \t\r\n", h[v]))
                v++;
            if (v >= e || h[v] != '=')
                continue;
            for (v++; v < e && strchr(" \t\r\n\"'", h[v]); v++)
                ;
            size_t o = 0;
            while (v < e && o + 1 < cap && h[v] != '\0' &&
                   (isalnum((unsigned char)h[v]) || strchr("._:-", h[v]) != NULL))
                cs[o++] = h[v++];
            cs[o] = '\0';
            return o > 0;
        }
    }
    return 0;
}

/* sk_by_type_as with the charset the headers and the bytes give (and a
 * second reading in a declared charset that hides digits). A JSON
 * reader decides UTF-16/32 from the first four bytes alone (a NUL in the
 * first two: json.loads), while the sniffer weighs the first kilobyte: so
 * a JSON or XML body whose first bytes say UTF-16/32 is read both ways -
 * as the sniffer decides, and in the width its first bytes give. Neither
 * reading alone will do: trusting the NULs reads "{\0\0\0" + ASCII text
 * as UTF-32 garbage, trusting the sniffer reads UTF-16 JSON padded with
 * characters it finds implausible as bytes. */
static struct sk_dlp_sink *sk_by_type(struct sk_dlp_ctx *ctx, const char *ct, const char *name,
                                      const unsigned char *head, size_t nhead, int depth)
{
    char mt[128], cs[40] = "", xcs[40];
    const char *order = sk_charset_nul_order(head, nhead);
    struct sk_dlp_sink *s = sk_by_type_as(ctx, ct, name, head, nhead, NULL, depth);

    /* a charset that hides digits from bytes (UTF-7, EBCDIC): read in it
     * too (a mail reader does), beside the bytes (a reader that ignores
     * the declaration: a declared UTF-7 must not hide plain text) */
    sk_dlp_ct_charset(ct, cs, sizeof(cs));
    sk_media_type(ct, mt, sizeof(mt));
    char hn[32], on[32];
    int http = sk_charset_lookup(cs, hn, sizeof(hn)) == SK_CS_HIDES;
    if (s && http) {
        s = sk_tee_new(ctx, s, sk_by_type_as(ctx, ct, name, head, nhead, cs, depth));
        /* a form is decoded from its charset before it is split and
         * unquoted (Django's QueryDict): UTF-7's '+' is base64 there, not
         * a space - a third reading in that order */
        if (s && strcmp(mt, "application/x-www-form-urlencoded") == 0)
            s = sk_tee_new(ctx, s, sk_form_in_charset(ctx, cs, depth));
    }
    /* XML: the same for the charset its own declaration names (libxml2
     * reads that one, a reader that trusts the HTTP charset the one
     * above: both, unless they are one) */
    int decl = s && (sk_is_xml(mt, name) || sk_xml_like(head, nhead))
                   ? sk_xml_decl_charset(head, nhead, nhead >= SK_SNIFF_HEAD, xcs, sizeof(xcs))
                   : 0;
    if (decl == -1)
        sk_dlp_undecodable(ctx, "an XML declaration longer than the bytes read for it");
    if (decl == 1 && sk_charset_lookup(xcs, on, sizeof(on)) == SK_CS_HIDES &&
        (!http || strcmp(on, hn) != 0))
        s = sk_tee_new(ctx, s, sk_by_type_as(ctx, ct, name, head, nhead, xcs, depth));
    /* HTML: the charset its <meta> names, read in too when it hides
     * digits (a browser shows the page in it over the HTTP charset) */
    char mcs[40], mn[32];
    if (s && decl != 1 && sk_html_meta_charset(mt, name, head, nhead, mcs, sizeof(mcs)) &&
        sk_charset_lookup(mcs, mn, sizeof(mn)) == SK_CS_HIDES && (!http || strcmp(mn, hn) != 0))
        s = sk_tee_new(ctx, s, sk_by_type_as(ctx, ct, name, head, nhead, mcs, depth));
    if (!s || !order ||
        !(sk_is_json(mt, name) || sk_is_xml(mt, name) || sk_json_like(head, nhead) ||
          sk_xml_like(head, nhead)))
        return s;
    return sk_tee_new(ctx, s, sk_by_type_as(ctx, ct, name, head, nhead, order, depth));
}

/* An archive read as bytes whose members are not read, by a strict
 * header, for the reason, else NULL: ARJ (the main header's id and a sane
 * size), LHA at header level 3 (a "-lh?-" / "-lz?-" method at byte 2) -
 * their members are compressed - and what nobody here decodes
 * (sk_container_unread: lzop, squashfs of zlib/lzma/lzo/lz4 blocks). The
 * members of ar, cpio, ISO 9660, LHA of levels 0-2, git packs, 7z, rar,
 * cab and xar dlp_arc.c reads. */
static const char *sk_sniff_unread(const unsigned char *p, size_t n)
{
    if (n >= 4 && p[0] == 0x60 && p[1] == 0xea && (p[2] | p[3] << 8) >= 20 &&
        (p[2] | p[3] << 8) <= 2600)
        return "an ARJ archive (not read)";
    if (n >= 22 && p[2] == '-' && p[3] == 'l' && (p[4] == 'h' || p[4] == 'z') && p[6] == '-' &&
        p[20] == 3)
        return "an LHA archive of header level 3 (not read)";
    return sk_container_unread(p, n);
}

/* WHOLE: the head is the whole object (it ended within SK_SNIFF_HEAD
 * bytes) and goes on in one write: a filter that would only pass it on
 * (no base64 run, stream, zip, PDF or compound file in it: the filter's
 * own test) is
 * left out. A URL's path, a form field, a decoded run: most objects are
 * that small, and building and tearing down those filters cost more than
 * reading them. */
static int sk_sniff_decide(struct sk_sniff *z, int whole)
{
    enum sk_ctype t = sk_container_sniff(z->head, z->nhead);

    if (t != SK_CT_NONE && z->depth >= SK_DLP_MAX_DEPTH) {
        sk_dlp_undecodable(z->ctx, "archives nested too deeply");
        t = SK_CT_NONE;
    }
    const char *unread = t == SK_CT_NONE ? sk_sniff_unread(z->head, z->nhead) : NULL;
    if (unread)
        sk_dlp_undecodable(z->ctx, unread);
    if (t == SK_CT_7Z || t == SK_CT_RAR)
        t = SK_CT_NONE; /* read as bytes below, and its members by dlp_arc.c */
    /* a zlib stream that fails early, a legacy .lzma (neither has a
     * magic): read as bytes below, and what decodes before an error as an
     * object beside them, never dlp.on-error */
    enum sk_coding loose = sk_container_zlib_cut(t, z->head, z->nhead) ? SK_CODING_DEFLATE
                           : t == SK_CT_LZMA                           ? SK_CODING_LZMA
                                                                       : 0;
    if (t == SK_CT_LZMA)
        t = SK_CT_NONE;
    /* gzip, zstd, bzip2, xz */
    struct sk_coding_chain packed = {.c = {sk_container_coding(t)}, .n = 1};
    if (t == SK_CT_ZIP)
        z->next = sk_dlp_zip_new(z->ctx, z->name, z->depth);
    else if (packed.c[0])
        z->next = sk_decomp_new(
            z->ctx, &packed, sk_dlp_object_new(z->ctx, NULL, NULL, z->depth + 1), SK_DECOMP_FILE);
    else if ((z->next = sk_by_type(z->ctx, z->ctype, z->name, z->head, z->nhead, z->depth)) !=
             NULL) {
        /* (in front of the filters below an RTF reader, which passes on
         * what it reads: each filter sees other bytes, so all are built) */
        int rtf = sk_dlp_rtf_is(z->head, z->nhead), all = !whole || rtf || z->ctx->every_filter;
        const unsigned char *h = z->head;
        /* text: base64 runs in it decoded, a zip or a compressed stream
         * after a prefix read, a tar's entries read as objects too */
        if (z->depth < SK_DLP_MAX_DEPTH && (all || sk_dlp_b64_wants(h, z->nhead)))
            z->next = sk_dlp_b64_new(z->ctx, z->depth, z->next);
        /* a mail message (an .eml, message/rfc822, MHTML): its body is
         * also read as a mail reader decodes it (quoted-printable, base64,
         * its parts), in a window of its own */
        if (sk_mp_is_message(z->ctype, z->name, z->head, z->nhead)) {
            if (z->depth < SK_DLP_MAX_DEPTH)
                z->next = sk_tee_new(z->ctx, z->next,
                                     sk_dlp_multipart_new(z->ctx, NULL, NULL, 0, z->depth));
            else if (sk_mp_is_message(z->ctype, z->name, NULL, 0))
                /* its encodings would go unread; one told only by its
                 * first lines (a Debian control file's paragraphs, each a
                 * "message" in the one before) no mail reader opens so */
                sk_dlp_undecodable(z->ctx, "mail messages nested too deeply");
        }
        /* an mbox: also its messages one by one, as mailbox.mbox reads
         * them (a file that starts with a "From " line may be one message
         * to email.message_from_bytes: read both ways) */
        if (z->depth < SK_DLP_MAX_DEPTH && sk_mp_is_mbox(z->ctype, z->name, z->head, z->nhead))
            z->next =
                sk_tee_new(z->ctx, z->next, sk_dlp_multipart_new(z->ctx, NULL, NULL, 1, z->depth));
        if (z->nhead == sizeof(z->head) && sk_tar_header_ok(z->head)) {
            if (z->depth < SK_DLP_MAX_DEPTH)
                z->next = sk_dlp_tar_new(z->ctx, z->depth, z->next);
            else
                sk_dlp_undecodable(z->ctx, "archives nested too deeply");
        }
        /* a compressed stream after a prefix: beside the late zip (whose
         * walk reads what follows its header, streams too: as objects) */
        if (all || sk_dlp_streams_wants(h, z->nhead))
            z->next = sk_dlp_streams_new(z->ctx, z->depth, z->next);
        if (all || sk_dlp_late_zip_wants(h, z->nhead))
            z->next = sk_dlp_late_zip_new(z->ctx, z->depth, z->next);
        /* ar, cpio, ISO 9660, LHA, a git pack: held, and each member
         * read as an object of its own at its end */
        if (all || sk_dlp_arc_wants(h, z->nhead)) {
            if (z->depth < SK_DLP_MAX_DEPTH)
                z->next = sk_dlp_arc_new(z->ctx, z->name, z->depth, z->next);
            else if (sk_dlp_arc_wants(h, z->nhead))
                sk_dlp_undecodable(z->ctx, "archives nested too deeply");
        }
        /* a PDF: held, and its text read at its end */
        if (all || sk_dlp_pdf_wants(h, z->nhead))
            z->next = sk_dlp_pdf_new(z->ctx, z->name, z->depth, z->next);
        /* a legacy Office file (OLE2): held, and its streams read at its end */
        if (all || sk_dlp_ole2_wants(h, z->nhead))
            z->next = sk_dlp_ole2_new(z->ctx, z->name, z->depth, z->next);
        /* RTF, whatever its type or name says: its text as a reader shows
         * it (escapes, groups, hidden text), in front of everything, so
         * every byte reaches the parser */
        if (rtf)
            z->next = sk_dlp_rtf_new(z->ctx, z->depth, z->next);
    }
    /* also what decoded before an error, as a streaming reader hands it
     * out (in a window of its own) */
    if (z->next && z->depth < SK_DLP_MAX_DEPTH && loose) {
        struct sk_coding_chain zc = {.c = {loose}, .n = 1};
        z->next = sk_tee_new(z->ctx, z->next,
                             sk_decomp_new(z->ctx, &zc,
                                           sk_dlp_object_new(z->ctx, NULL, NULL, z->depth + 1),
                                           SK_DECOMP_CUT));
    }
    if (!z->next)
        return -1;
    return sk_dlp_put(z->next, z->head, z->nhead);
}

static int sk_sniff_write(struct sk_dlp_sink *s, const unsigned char *p, size_t n)
{
    struct sk_sniff *z = (struct sk_sniff *)s;

    if (!z->next) {
        size_t take = sizeof(z->head) - z->nhead < n ? sizeof(z->head) - z->nhead : n;
        memcpy(z->head + z->nhead, p, take);
        z->nhead += take, p += take, n -= take;
        if (z->nhead < sizeof(z->head) || sk_sniff_decide(z, 0) == -1)
            return z->nhead < sizeof(z->head) ? 0 : -1;
    }
    return sk_dlp_put(z->next, p, n);
}

static int sk_sniff_end(struct sk_dlp_sink *s)
{
    struct sk_sniff *z = (struct sk_sniff *)s;

    if (!z->next && sk_sniff_decide(z, 1) == -1)
        return -1;
    return z->next->end(z->next);
}

static void sk_sniff_destroy(struct sk_dlp_sink *s)
{
    struct sk_sniff *z = (struct sk_sniff *)s;

    if (z->next)
        z->next->destroy(z->next);
    free(z->ctype);
    free(z->name);
    free(z);
}

struct sk_dlp_sink *sk_dlp_object_new(struct sk_dlp_ctx *ctx, const char *content_type,
                                      const char *name, int depth)
{
    char boundary[SK_MP_BOUNDARY_MAX + 1];
    struct sk_sniff *z;
    struct sk_dlp_sink *s;

    int mp = sk_mp_boundary(content_type, boundary, sizeof(boundary));
    if (depth < SK_DLP_MAX_DEPTH && mp == 0 &&
        (s = sk_dlp_multipart_new(ctx, boundary, content_type, 0, depth)) != NULL)
        return s;
    if (mp == 0 && depth >= SK_DLP_MAX_DEPTH) /* its parts' encodings would go unread */
        sk_dlp_undecodable(ctx, "multipart nested too deeply");
    if (mp == -2) /* the bytes are still read as one object */
        sk_dlp_undecodable(
            ctx, "a multipart boundary that readers take differently (two, RFC 2231, text after "
                 "it, an escape, a quote, a tspecial)");
    if (!(z = calloc(1, sizeof(*z))))
        return NULL;
    z->sink = (struct sk_dlp_sink){
        .write = sk_sniff_write, .end = sk_sniff_end, .destroy = sk_sniff_destroy};
    z->ctx = ctx;
    z->depth = depth;
    z->ctype = content_type ? strdup(content_type) : NULL;
    z->name = name ? strdup(name) : NULL;
    if ((content_type && !z->ctype) || (name && !z->name)) {
        sk_sniff_destroy(&z->sink);
        return NULL;
    }
    return &z->sink;
}

int sk_dlp_member_open(struct sk_dlp_ctx *ctx, struct sk_dlp_member *m, const char *content_type,
                       const char *name, const char *where, int depth)
{
    m->s = NULL;
    if (!(m->win = sk_dlp_engine_sub(ctx->e)) ||
        !(m->s = sk_dlp_object_new(ctx, content_type, name, depth))) {
        sk_dlp_engine_free(m->win);
        m->win = NULL;
        return -1;
    }
    sk_dlp_engine_where(m->win, where);
    return 0;
}

int sk_dlp_member_close(struct sk_dlp_ctx *ctx, struct sk_dlp_member *m, int rc)
{
    if (rc == 0 && sk_dlp_end_in(ctx, m->win, m->s) == -1)
        rc = -1;
    m->s->destroy(m->s);
    sk_dlp_engine_free(m->win);
    m->s = NULL, m->win = NULL;
    return rc;
}

int sk_dlp_member_read(struct sk_dlp_ctx *ctx, const char *content_type, const char *name,
                       const char *where, int depth, const void *p, size_t n)
{
    struct sk_dlp_member m;

    if (sk_dlp_member_open(ctx, &m, content_type, name, where, depth) == -1)
        return -1;
    return sk_dlp_member_close(ctx, &m, sk_dlp_put_in(ctx, m.win, m.s, p, n));
}

struct sk_dlp_sink *sk_dlp_body_new(struct sk_dlp_ctx *ctx, const char *content_type,
                                    const char *content_encoding)
{
    struct sk_dlp_sink *s = sk_dlp_object_new(ctx, content_type, NULL, 0);
    struct sk_coding_chain ch;
    char bad[48], why[96];

    if (sk_coding_parse(content_encoding, &ch, bad, sizeof(bad)) == -1) {
        /* the raw bytes are still inspected; the verdict is dlp.on-error */
        snprintf(why, sizeof(why), "cannot decode Content-Encoding '%s'", bad);
        sk_dlp_undecodable(ctx, why);
        return s;
    }
    return s && ch.n ? sk_decomp_new(ctx, &ch, s, SK_DECOMP_BODY) : s;
}

/* A byte every reader of a text or form object passes on as it is:
 * letters, digits and a few marks, none of which starts an escape (%XX,
 * &name;, \u), a format (JSON's {[", XML's <, a vCard's or a mail's
 * "Field:", an mbox's "From "), an RTF group or HZ ("~{"); no space or
 * control byte. UTF-7's '+' only where it is declared (never here). In a
 * form, '&' too, and '+' is a space: the form reader writes them as a
 * line end and a space (sk_urlenc_write). */
static int sk_plain_byte(unsigned char c, int form)
{
    if ((unsigned)((c | 0x20) - 'a') < 26 || (unsigned)(c - '0') < 10)
        return 1;
    return c != 0 && strchr(form ? "-._/=@,;!*'()$+&" : "-._/=@,;!*'()$+", c) != NULL;
}

/* The text reader of a plain object (sk_plain_byte): its bytes to the
 * engine as its chain would give them (a form's '&' and '+' as the form
 * reader writes them), the end a boundary. Lives on its caller's stack:
 * destroy frees nothing. */
struct sk_plain {
    struct sk_dlp_sink sink;
    struct sk_dlp_ctx *ctx;
    int form;
};

static int sk_plain_write(struct sk_dlp_sink *s, const unsigned char *p, size_t n)
{
    struct sk_plain *t = (struct sk_plain *)s;
    unsigned char text[256];

    while (n > 0) {
        size_t k = n < sizeof(text) ? n : sizeof(text);
        for (size_t i = 0; i < k; i++)
            text[i] = !t->form ? p[i] : p[i] == '&' ? '\n' : p[i] == '+' ? ' ' : p[i];
        sk_dlp_engine_write(t->ctx->e, text, k);
        p += k, n -= k;
    }
    return 0;
}

static int sk_plain_end(struct sk_dlp_sink *s)
{
    sk_dlp_engine_boundary(((struct sk_plain *)s)->ctx->e);
    return 0;
}

static void sk_plain_destroy(struct sk_dlp_sink *s)
{
    (void)s;
}

int sk_dlp_read_whole(struct sk_dlp_ctx *ctx, const char *type, const char *name, const void *bytes,
                      size_t n)
{
    const unsigned char *p = bytes;
    int form = type && strcmp(type, "application/x-www-form-urlencoded") == 0, rc;
    int plain = !ctx->every_filter && n > 0 && n < SK_SNIFF_HEAD &&
                (form || (type && strcmp(type, "text/plain") == 0)) &&
                (name == NULL || strchr(name, '.') == NULL); /* no extension to read it by */

    for (size_t i = 0; plain && i < n; i++)
        plain = sk_plain_byte(p[i], form);
    /* and nothing the sniffer or a filter but base64's finds in it
     * (sk_sniff_decide): of what they test for, only a bzip2 header
     * ("BZh9" at the start, or "BZh91AY&SY" anywhere in a form) and an
     * ASCII cpio header (110 digits) can be made of these bytes; a zip,
     * 7z, rar, PDF, compound file, RTF and the other archives need others */
    plain = plain && sk_container_sniff(p, n) == SK_CT_NONE && sk_sniff_unread(p, n) == NULL &&
            !sk_dlp_arc_wants(p, n) && !sk_dlp_streams_wants(p, n);
    struct sk_plain t = {{sk_plain_write, sk_plain_end, sk_plain_destroy}, ctx, form};
    struct sk_dlp_sink *s = &t.sink;
    /* plain: a run of base64 digits is decoded into an object of its own,
     * as the chain's base64 reader does (the text passes on) */
    if (!plain)
        s = sk_dlp_object_new(ctx, type, name, 0);
    else if (sk_dlp_b64_wants(p, n))
        s = sk_dlp_b64_new(ctx, 0, s);
    if (s == NULL)
        return -1;
    rc = sk_dlp_put(s, p, n);
    if (rc == 0)
        rc = s->end(s);
    s->destroy(s);
    return rc == -1 ? -1 : plain;
}

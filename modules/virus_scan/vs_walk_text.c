/* vs_walk_text.c - the walk's reading of text objects: each run of base64
 * (the toolkit's sk_b64run) and each percent-encoded data: URL decoded and
 * scanned as an object of its own (a program a page assembles with atob(),
 * HTML smuggling; a file in a JSON or form upload), and the values an
 * application reads with their escapes undone (JSON, forms, scripts).
 * SECURITY: client-controlled text; the objects decoded from it are
 * bounded like parts and members (the walk's budget, SK_VS_B64_EACH
 * objects of their own, SK_VS_WALK_DEPTH). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sekisho/decode.h>
#include <sekisho/text.h>

#include "vs_internal.h"
#include "vs_walk.h"

/* ---- base64 runs in text ---- */

/* Is the object text a page, a script or an API carries base64 in: a
 * declared textual type (the browser reads it as text whatever its first
 * bytes), or, undeclared or declared otherwise, no control bytes in its
 * first KiB (random bytes hold ~9 per 100). The base64-looking stretches
 * of a program or an image are no file anybody decodes. */
static int sk_vs_textual(const unsigned char *p, size_t n, const char *ct)
{
    static const char *const types[] = {"json", "xml", "javascript", "ecmascript",
                                        "x-www-form-urlencoded"};

    if (ct && strncasecmp(ct, "text/", 5) == 0)
        return 1;
    for (size_t i = 0; ct && i < sizeof(types) / sizeof(types[0]); i++)
        if (strcasestr(ct, types[i]))
            return 1;
    if (n >= 263 && memcmp(p + 257, "ustar", 5) == 0)
        return 1; /* a tar: its members' bytes are stored as they are */
    for (size_t i = 0; i < n && i < 1024; i++)
        if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' && p[i] != '\r' && p[i] != '\f' &&
            p[i] != 0x1b)
            return 0;
    return 1;
}

/* UTF-16 (a BOM, or NULs among the first bytes; its NULs are no binary):
 * 1 little-endian, 2 big-endian, else 0. N >= 2. */
static int sk_vs_utf16(const unsigned char *p, size_t n)
{
    size_t head = n < 512 ? n : 512;

    return memchr(p, 0, head < 64 ? head : 64) || (p[0] == 0xff && p[1] == 0xfe) ||
                   (p[0] == 0xfe && p[1] == 0xff)
               ? sk_charset_utf16(p, head)
               : 0;
}

/* Objects decoded out of a text (base64 runs, percent-encoded data: URLs):
 * the walk's first SK_VS_B64_EACH each an object of its own (hash
 * signatures see the file), later ones together in one object per text
 * and kind, so a page of many costs a bounded number of scans. */
struct sk_vs_b64 {
    struct sk_vs_obj run;  /* the open one, an object of its own */
    struct sk_vs_obj rest; /* those past the walk's SK_VS_B64_EACH, together */
    int shared;            /* the open one goes to rest */
    const char *what;      /* what is found, for av-limit:depth */
};

static void sk_vs_b64_init(struct sk_vs_b64 *b, struct sk_vs_walk *w, int depth, const char *what,
                           const char *kind, const char *name)
{
    *b = (struct sk_vs_b64){.run = {.w = w, .depth = depth}, .rest = {.w = w, .depth = depth}};
    b->what = what;
    snprintf(b->run.name, sizeof(b->run.name), "%s in %.100s", kind,
             name && *name ? name : "the body");
    memcpy(b->rest.name, b->run.name, sizeof(b->rest.name));
}

static int sk_vs_b64_begin(void *arg)
{
    struct sk_vs_b64 *b = arg;
    struct sk_vs_walk *w = b->run.w;

    if (b->run.depth >= SK_VS_WALK_DEPTH)
        return sk_vs_walk_deep(w, b->what, b->run.depth);
    b->shared = w->b64_each >= SK_VS_B64_EACH;
    if (!b->shared) {
        w->b64_each++;
        return sk_vs_obj_open(&b->run);
    }
    if (!b->rest.active)
        return sk_vs_obj_open(&b->rest);
    return sk_vs_obj_data(&b->rest, "\n", 1);
}

static int sk_vs_b64_data(void *arg, const void *buf, size_t len)
{
    struct sk_vs_b64 *b = arg;

    return sk_vs_obj_data(b->shared ? &b->rest : &b->run, buf, len);
}

static int sk_vs_b64_end(void *arg)
{
    struct sk_vs_b64 *b = arg;

    return b->shared ? 0 : sk_vs_obj_end(&b->run);
}

/* After the text (RC: how it went): the shared object is scanned, what
 * is still open freed. */
static int sk_vs_b64_finish(struct sk_vs_b64 *b, int rc)
{
    if (rc == 0 && b->rest.active)
        rc = sk_vs_obj_end(&b->rest);
    if (b->run.active)
        sk_vs_store_free(&b->run.store);
    if (b->rest.active)
        sk_vs_store_free(&b->rest.store);
    return rc;
}

/* Encoded files inside a text object, found and decoded by the toolkit
 * (each decoder needs room for the encoded length): every one is walked as
 * an object of its own (engine, then gzip and the rest), counted with the
 * base64 runs.
 * - percent-encoded data: URLs (sk_dataurl_find): a script fetches one and
 *   saves the file (HTML smuggling without atob());
 * - uuencoded blocks (sk_uu_find): a shell archive holds its files so
 *   (`shar`; `shar -z`: gzip, then uuencode), and libclamav decodes
 *   uuencode only at a file's start. */
struct sk_vs_textcodec {
    int (*find)(const unsigned char *, size_t, size_t *, size_t *, size_t *);
    size_t (*decode)(const unsigned char *, size_t, unsigned char *);
    const char *what, *tag; /* sk_vs_b64_init's description and short name */
};

static const struct sk_vs_textcodec sk_vs_dataurls = {sk_dataurl_find, sk_dataurl_decode,
                                                      "a data: URL in a text", "data: URL"};
static const struct sk_vs_textcodec sk_vs_uu = {sk_uu_find, sk_uu_decode, "uuencode in a text",
                                                "uuencode"};
/* - arrays of byte values (sk_numarray_find): a page assembles the file
 *   with new Uint8Array([77, 90, ...]) or String.fromCharCode(88, ...), an
 *   API carries it as a Node Buffer's "data" (red team s20 listed them as
 *   unread) */
static const struct sk_vs_textcodec sk_vs_numarrays = {
    sk_numarray_find, sk_numarray_decode, "an array of byte values in a text", "byte array"};

static int sk_vs_walk_encoded_in(struct sk_vs_walk *w, const unsigned char *p, size_t n, int depth,
                                 const char *name, const struct sk_vs_textcodec *c)
{
    struct sk_vs_b64 d;
    size_t pos = 0, a, b;
    int rc = 0;

    sk_vs_b64_init(&d, w, depth, c->what, c->tag, name);
    while (rc == 0 && c->find(p, n, &pos, &a, &b)) {
        unsigned char *buf = malloc(b - a + 1);
        if (!buf) {
            char why[96];
            snprintf(why, sizeof(why), "out of memory decoding %s", c->tag);
            sk_vs_walk_stop(w, SK_VS_ERROR, "", why);
            rc = -1;
            break;
        }
        size_t m = c->decode(p + a, b - a, buf);
        rc = sk_vs_b64_begin(&d);
        if (rc == 0)
            rc = sk_vs_b64_data(&d, buf, m);
        if (rc == 0)
            rc = sk_vs_b64_end(&d);
        free(buf);
    }
    return sk_vs_b64_finish(&d, rc);
}

/* One pass of the base64 finder over text P (UTF16: its code units) */
static int sk_vs_b64_pass(struct sk_vs_walk *w, const unsigned char *p, size_t n, int utf16,
                          int depth, const char *name)
{
    struct sk_vs_b64 b;
    struct sk_b64run_handler h = {sk_vs_b64_begin, sk_vs_b64_data, sk_vs_b64_end, &b};
    struct sk_b64run *f;
    int rc;

    if (!(f = sk_b64run_new(SK_VS_B64_MIN, &h))) {
        sk_vs_walk_stop(w, SK_VS_ERROR, "", "out of memory reading base64 in a text");
        return -1;
    }
    if (utf16)
        sk_b64run_utf16(f, utf16 == 2);
    sk_vs_b64_init(&b, w, depth, "base64 in a text", "base64", name);
    rc = sk_b64run_write(f, p, n);
    if (rc == 0)
        rc = sk_b64run_end(f);
    rc = sk_vs_b64_finish(&b, rc);
    sk_b64run_free(f);
    return rc;
}

/* Does text P hold a character reference to a base64 digit ("&#43;" for
 * '+', "&#x57;") or a line break (.NET's XmlSerializer ends base64 lines
 * with "&#xD;")? */
static int sk_vs_refs_digit(const unsigned char *p, size_t n)
{
    for (const unsigned char *a = p; (a = memchr(a, '&', n - (size_t)(a - p))) != NULL; a++) {
        uint32_t cp;
        if (sk_html_charref(a + 1, n - (size_t)(a + 1 - p), &cp) && cp < 0x80 &&
            (sk_b64_digit((unsigned char)cp, 1) >= 0 || cp == '\r' || cp == '\n'))
            return 1;
    }
    return 0;
}

/* ---- values an application reads with their escapes undone ---- */

#define SK_VS_VALUE_MIN 16 /* shorter decoded values are no file */

/* One value P[0..N) decoded with KINDS (sk_unescape) and walked as an
 * object of its own, counted with the base64 runs (D). */
static int sk_vs_value(struct sk_vs_b64 *d, const unsigned char *p, size_t n, unsigned kinds)
{
    unsigned char *buf = malloc(n ? n : 1);
    size_t used;
    int rc;

    if (!buf) {
        sk_vs_walk_stop(d->run.w, SK_VS_ERROR, "", "out of memory decoding a text's values");
        return -1;
    }
    size_t m = sk_unescape(p, n, 1, kinds, buf, &used);
    rc = m < SK_VS_VALUE_MIN ? 0 : sk_vs_b64_begin(d);
    if (rc == 0 && m >= SK_VS_VALUE_MIN)
        rc = sk_vs_b64_data(d, buf, m);
    if (rc == 0 && m >= SK_VS_VALUE_MIN)
        rc = sk_vs_b64_end(d);
    free(buf);
    return rc;
}

/* The values of a form (FORM: a&b=c, percent-encoded, '+' a space) or the
 * string literals of JSON text (backslash escapes) that hold an escape,
 * each decoded as the application gets it (parse_qs, json.loads) and
 * walked as an object of its own: a text file in a form field or an API's
 * JSON string (the gist API's "content") has its '\' written "%5C" or
 * "\\", which no signature of the file matches. A value without an
 * escape is in the text as it is. */
static int sk_vs_walk_values(struct sk_vs_walk *w, const unsigned char *p, size_t n, int form,
                             int depth, const char *name)
{
    struct sk_vs_b64 d;
    int rc = 0;

    sk_vs_b64_init(&d, w, depth, form ? "a form field" : "a JSON string",
                   form ? "form field" : "JSON string", name);
    for (size_t i = 0; rc == 0 && i < n;) {
        size_t a, b;
        int esc = 0;
        if (form) { /* the value after a field's first '=', and its name before it */
            const unsigned char *amp = memchr(p + i, '&', n - i);
            b = amp ? (size_t)(amp - p) : n;
            const unsigned char *eq = memchr(p + i, '=', b - i);
            a = eq ? (size_t)(eq - p) + 1 : i;
            esc = memchr(p + a, '%', b - a) || memchr(p + a, '+', b - a);
            /* a name is a value too: parse_qsl, busboy and formidable hand
             * it on decoded ("X5O%21P...=1") */
            if (eq && (memchr(p + i, '%', a - 1 - i) || memchr(p + i, '+', a - 1 - i)) &&
                a - 1 - i >= SK_VS_VALUE_MIN)
                rc = sk_vs_value(&d, p + i, a - 1 - i, SK_UNESC_PCT | SK_UNESC_PLUS);
            i = b + 1;
        } else { /* a string literal: '"' to the next '"' not escaped */
            const unsigned char *q = memchr(p + i, '"', n - i);
            if (!q)
                break;
            for (a = b = (size_t)(q - p) + 1; b < n && p[b] != '"'; b++)
                if (p[b] == '\\')
                    esc = 1, b++;
            b = b < n ? b : n;
            i = b + 1;
        }
        if (rc == 0 && esc && b - a >= SK_VS_VALUE_MIN)
            rc = sk_vs_value(&d, p + a, b - a, form ? SK_UNESC_PCT | SK_UNESC_PLUS : SK_UNESC_BSL);
    }
    return sk_vs_b64_finish(&d, rc);
}

#define SK_VS_PCT_RUN 16 /* %XX in a row that make a script's string one to undo */

/* A script's text with its backslash escapes undone, as one object: a file
 * in a string literal (HTML smuggling without base64: new Blob(["..."])).
 * Only when it has an escape that changes a byte a signature reads. A
 * view of the same bytes, as a UTF-16 text's UTF-8 is: no level of its
 * own, and never read so again inside (a text of backslashes, a shell
 * script, was read again and again to av-limit:depth). */
static int sk_vs_script_text(struct sk_vs_walk *w, const unsigned char *p, size_t n, int depth,
                             const char *name)
{
    struct sk_vs_b64 d;
    int rc = 0;

    if (w->script_view)
        return 0;
    unsigned kinds = 0;
    for (const unsigned char *q = p; (q = memchr(q, '\\', n - (size_t)(q - p))) != NULL; q++)
        if (q + 1 < p + n && q[1] != 'n' && q[1] != 't' && q[1] != 'r') {
            kinds |= SK_UNESC_BSL;
            break;
        }
    /* a string of %XX for decodeURIComponent() or unescape() (red team
     * s24): a run of SK_VS_PCT_RUN of them */
    for (const unsigned char *q = p, *e = p + n; !(kinds & SK_UNESC_PCT) && q < e; q++) {
        size_t k = 0;
        while (q + 3 * k + 2 < e && q[3 * k] == '%' && sk_hex_digit(q[3 * k + 1]) >= 0 &&
               sk_hex_digit(q[3 * k + 2]) >= 0)
            k++;
        if (k >= SK_VS_PCT_RUN)
            kinds |= SK_UNESC_PCT;
        q += k ? 3 * k - 1 : 0;
    }
    if (kinds) {
        sk_vs_b64_init(&d, w, depth > 0 ? depth - 1 : 0, "a script's string", "script string",
                       name);
        w->script_view++;
        rc = sk_vs_b64_finish(&d, sk_vs_value(&d, p, n, kinds));
        w->script_view--;
    }
    return rc;
}

/* The offset of the next "<TAG" (any case) in P[FROM..N), or N. */
static size_t sk_vs_tag(const unsigned char *p, size_t n, size_t from, const char *tag)
{
    size_t tl = strlen(tag);

    for (const unsigned char *q = p + from; (q = memchr(q, '<', n - (size_t)(q - p))) != NULL; q++)
        if ((size_t)(p + n - q) > tl && strncasecmp((const char *)q + 1, tag, tl) == 0)
            return (size_t)(q - p);
    return n;
}

/* The names a script host runs. */
static const char *const sk_vs_script_exts[] = {".js",  ".mjs", ".cjs", ".jse",
                                                ".wsf", ".hta", NULL};

/* A text's scripts: each element of a page (HTML, SVG, an HTA or WSF) on
 * its own, as the browser or script host runs it - the page around it
 * would make the engine read the object as HTML (red team s24: EICAR in
 * an inline script's string passed); a text without one, whole, when
 * declared JavaScript (JS) or named as a script (a .js sent as text/plain
 * or octet-stream) - not any text: a tar's or a binary's bytes with their
 * "escapes" undone were a corrupt copy of its members (av.on-error). */
static int sk_vs_walk_script(struct sk_vs_walk *w, const unsigned char *p, size_t n, int js,
                             int depth, const char *name)
{
    size_t at = sk_vs_tag(p, n, 0, "script");
    int rc = 0;

    if (at == n)
        return js || sk_name_ext(name, sk_vs_script_exts) ? sk_vs_script_text(w, p, n, depth, name)
                                                          : 0;
    while (rc == 0 && at < n) {
        const unsigned char *gt = memchr(p + at, '>', n - at);
        if (!gt)
            break;
        size_t from = (size_t)(gt - p) + 1, end = sk_vs_tag(p, n, from, "/script");
        rc = sk_vs_script_text(w, p + from, end - from, depth, name);
        at = end < n ? sk_vs_tag(p, n, end + 1, "script") : n;
    }
    return rc;
}

/* The base64 string literals of a text that a script would join
 * (sk_b64_join_literals), their runs read: 0, or -1 (stopped). A text
 * without a quote has none. */
static int sk_vs_walk_joined(struct sk_vs_walk *w, const unsigned char *p, size_t n, int depth,
                             const char *name)
{
    const unsigned char *q = memchr(p, '"', n);
    if (!q && !memchr(p, '\'', n) && !memchr(p, '`', n))
        return 0;
    unsigned char *out = malloc(n);
    if (!out) {
        sk_vs_walk_stop(w, SK_VS_ERROR, "", "out of memory reading a text");
        return -1;
    }
    size_t m = sk_b64_join_literals(p, n, SK_VS_B64_MIN, out);
    int rc = m ? sk_vs_b64_pass(w, out, m, 0, depth, name) : 0;
    free(out);
    return rc;
}

/* A text as a browser or parser reads it: UTF-16 (UTF16: 1 little-, 2
 * big-endian) as UTF-8; and, where it has an '&', once more with its
 * character references decoded - an href's "&#37;21" is "%21", an href's
 * or an XML element's base64 with "&#43;" for '+' is base64 (in a script
 * they stay as written, so both are read). Its percent-encoded data: URLs
 * are read in each; the decoded one's base64 runs when a reference there
 * stood for a digit. */
static int sk_vs_walk_views(struct sk_vs_walk *w, const unsigned char *p, size_t n, int utf16,
                            int depth, const char *ct, const char *name)
{
    unsigned char *u8 = NULL, *refs = NULL;
    int rc = 0;

    if (utf16) {
        if (!(u8 = malloc(n / 2 * 3 + 4)))
            goto oom;
        n = sk_utf16_to_utf8(p, n, utf16 == 2, u8);
        p = u8;
    }
    rc = sk_vs_walk_encoded_in(w, p, n, depth, name, &sk_vs_dataurls);
    if (rc == 0 && memmem(p, n, "begin ", 6))
        rc = sk_vs_walk_encoded_in(w, p, n, depth, name, &sk_vs_uu);
    if (rc == 0 && memchr(p, ',', n))
        rc = sk_vs_walk_encoded_in(w, p, n, depth, name, &sk_vs_numarrays);
    if (rc == 0 && memchr(p, '&', n)) {
        if (!(refs = malloc(n)))
            goto oom;
        memcpy(refs, p, n);
        size_t m = sk_html_unref(refs, n);
        rc = sk_vs_walk_encoded_in(w, refs, m, depth, name, &sk_vs_dataurls);
        if (rc == 0 && sk_vs_refs_digit(p, n))
            rc = sk_vs_b64_pass(w, refs, m, 0, depth, name);
    }
    /* the base64 literals a script joins, as the string they make */
    if (rc == 0)
        rc = sk_vs_walk_joined(w, p, n, depth, name);
    /* a form's fields, JSON's strings, a script's text, as read */
    if (rc == 0 && ct && strcasestr(ct, "x-www-form-urlencoded"))
        rc = sk_vs_walk_values(w, p, n, 1, depth, name);
    else if (rc == 0 && ((ct && strcasestr(ct, "json")) || sk_json_like(p, n)))
        rc = sk_vs_walk_values(w, p, n, 0, depth, name);
    /* any other text as a script's, declared or not: a script inline in an
     * HTML page, an SVG, an HTA or WSF, a .js sent as text/plain or
     * octet-stream (red team s24: only a declared JavaScript type was) */
    else if (rc == 0)
        rc = sk_vs_walk_script(w, p, n,
                               ct && (strcasestr(ct, "javascript") || strcasestr(ct, "ecmascript")),
                               depth, name);
    free(u8);
    free(refs);
    return rc;
oom:
    free(u8);
    sk_vs_walk_stop(w, SK_VS_ERROR, "", "out of memory reading a text");
    return -1;
}

/* Each run of base64 in a text object P (declared CT, NAME), decoded and
 * scanned like a part or member (the engine, zips, runs inside it); then
 * the text's other views (sk_vs_walk_views). */
int sk_vs_walk_b64(struct sk_vs_walk *w, const unsigned char *p, size_t n, int depth,
                   const char *ct, const char *name)
{
    int rc;

    if (depth > SK_VS_WALK_DEPTH || n < SK_VS_B64_MIN)
        return 0; /* at SK_VS_WALK_DEPTH: a run found is av-limit:depth */
    /* UTF-32 text (json.loads takes a UTF-32 body): read as its UTF-8 */
    size_t bom;
    const char *cs =
        memchr(p, 0, n < 64 ? n : 64) ? sk_charset_sniff(p, n < 512 ? n : 512, &bom) : NULL;
    if (cs && strncmp(cs, "UTF-32", 6) == 0) {
        unsigned char *u8 = malloc(n + 4);
        if (!u8) {
            sk_vs_walk_stop(w, SK_VS_ERROR, "", "out of memory reading a UTF-32 text");
            return -1;
        }
        size_t m = sk_utf32_to_utf8(p, n, strcmp(cs, "UTF-32BE") == 0, u8);
        rc = m < n ? sk_vs_walk_b64(w, u8, m, depth, ct, name) : 0;
        free(u8);
        return rc;
    }
    int utf16 = sk_vs_utf16(p, n);

    if (!(utf16 || (w->any_text && depth == 0) || sk_vs_textual(p, n, ct)))
        return 0;
    /* a run's ZIP64 zips are checked in the run's own walk (the engine
     * scans the decoded run); the engine never saw them in this object,
     * so they must not stand in for one it saw and we did not walk (a
     * decoy beside a ZIP64 zip in a bz2) */
    unsigned z64 = w->zip64_walked;
    rc = sk_vs_b64_pass(w, p, n, utf16, depth, name);
    if (rc == 0)
        rc = sk_vs_walk_views(w, p, n, utf16, depth, ct, name);
    w->zip64_walked = z64;
    return rc;
}

int sk_vs_text_wants(const unsigned char *p, size_t n)
{
    return n >= SK_VS_B64_MIN && (sk_vs_utf16(p, n) || sk_vs_textual(p, n, NULL));
}

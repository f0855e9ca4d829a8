/* dlp_view.c - escaped text inside a text: a card list posted as a data:
 * URL without base64 ("data:text/plain,4111%201111..."), a rich-text
 * editor's "4111&nbsp;1111" in a form field or a plain text, JSON inside a
 * JSON string ("\uff14\uff11...": json.dumps of full-width digits, once
 * more escaped), a URL query in a JSON field. The filter sits in front of
 * an object's normaliser (after its format reader: the form's fields, the
 * JSON strings, the XML text, or the bytes of a plain text) and passes
 * every byte on unchanged; from the first escape on (sk_view_trigger: a
 * %XX, an HTML character reference, \u or \x - and the SK_VIEW_BACK bytes
 * before it, so a number the escape is in the middle of is whole), the text
 * is also read with every escape undone (sk_unescape: one toolkit decoder
 * for all three kinds) as an object of its own, in a window of its own
 * (sk_dlp_engine_sub, as dlp_b64.c's runs). That object has a view of its
 * own, so text escaped twice (%2541, &amp;#52;, JSON in JSON in a form) is
 * read too, one level per view, bounded by SK_DLP_MAX_DEPTH. A text
 * without escapes costs three memchr per write. Hits count distinct values,
 * so what both readings see counts once.
 * SECURITY: client-controlled; bounded state; the decoded view is never
 * longer than the text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sekisho/decode.h>

#include "dlp.h"

#define SK_VIEW_BACK 64 /* bytes before the first escape read decoded too */
#define SK_VIEW_ALL  (SK_UNESC_PCT | SK_UNESC_REF | SK_UNESC_BSL)

/* ---- the decoder: sk_unescape over a stream ---- */

struct sk_unesc {
    struct sk_dlp_sink sink;
    struct sk_dlp_sink *next;
    unsigned char carry[SK_UNESC_HOLD];
    size_t ncarry;
};

static int sk_unesc_run(struct sk_unesc *u, const unsigned char *p, size_t n, int final)
{
    unsigned char buf[4096 + SK_UNESC_HOLD];

    do {
        size_t k = n < 4096 ? n : 4096, used;
        memcpy(buf, u->carry, u->ncarry);
        if (k)
            memcpy(buf + u->ncarry, p, k);
        size_t o = sk_unescape(buf, u->ncarry + k, final && k == n, SK_VIEW_ALL, buf, &used);
        /* what was not taken: a possible escape cut off, at most the hold */
        size_t left = u->ncarry + k - used;
        memmove(u->carry, buf + used, left);
        u->ncarry = left;
        if (sk_dlp_put(u->next, buf, o) == -1)
            return -1;
        if (k)
            p += k, n -= k;
    } while (n > 0);
    return 0;
}

static int sk_unesc_write(struct sk_dlp_sink *s, const unsigned char *p, size_t n)
{
    return sk_unesc_run((struct sk_unesc *)s, p, n, 0);
}

static int sk_unesc_end(struct sk_dlp_sink *s)
{
    struct sk_unesc *u = (struct sk_unesc *)s;

    if (sk_unesc_run(u, NULL, 0, 1) == -1)
        return -1;
    return u->next->end(u->next);
}

static void sk_unesc_destroy(struct sk_dlp_sink *s)
{
    struct sk_unesc *u = (struct sk_unesc *)s;

    u->next->destroy(u->next);
    free(u);
}

static struct sk_dlp_sink *sk_unesc_new(struct sk_dlp_sink *next)
{
    struct sk_unesc *u;

    if (!next)
        return NULL;
    if (!(u = calloc(1, sizeof(*u)))) {
        next->destroy(next);
        return NULL;
    }
    u->sink = (struct sk_dlp_sink){
        .write = sk_unesc_write, .end = sk_unesc_end, .destroy = sk_unesc_destroy};
    u->next = next;
    return &u->sink;
}

/* ---- the filter ---- */

struct sk_view {
    struct sk_dlp_sink sink;
    struct sk_dlp_ctx *ctx;
    int depth;
    struct sk_dlp_sink *next;  /* the text reader: gets every byte */
    struct sk_dlp_sink *child; /* the decoded view, once an escape came */
    struct sk_dlp_engine *win;
    /* the last bytes before it: SK_VIEW_BACK, and the hold an escape cut
     * across writes may have of them */
    unsigned char back[SK_VIEW_BACK + SK_UNESC_HOLD];
    size_t nback;
};

/* Does an escape that changes what the text says start at S[0]: 1 yes, 0
 * no, -1 not known yet. A script's short escapes (\n, \") are JSON's and
 * a Windows path's everyday bytes, and the readers before this undo them
 * where they matter: only \u and \x (and \\u, JSON in a JSON string) count. */
static int sk_view_trigger(const unsigned char *s, size_t n, int final)
{
    uint32_t cp;
    int byte;

    if (s[0] == '\\') {
        if (n < 3)
            return final ? 0 : -1;
        if (!(s[1] == 'u' || s[1] == 'x' || (s[1] == '\\' && s[2] == 'u')))
            return 0;
    }
    long k = sk_unescape_at(s, n, final, SK_VIEW_ALL, &cp, &byte);
    return k < 0 ? -1 : k > 0;
}

static size_t sk_view_next(const unsigned char *s, size_t n, size_t from, int ch)
{
    const unsigned char *x = from < n ? memchr(s + from, ch, n - from) : NULL;

    return x ? (size_t)(x - s) : n;
}

/* The first escape in S[0..N): its offset, or N (none, or only ones not
 * known yet). Each byte is looked at once per kind. */
static size_t sk_view_scan(const unsigned char *s, size_t n, int final)
{
    size_t a = sk_view_next(s, n, 0, '%'), b = sk_view_next(s, n, 0, '&'),
           c = sk_view_next(s, n, 0, '\\');

    for (;;) {
        size_t m = a < b ? (a < c ? a : c) : (b < c ? b : c);
        if (m >= n)
            return n;
        if (sk_view_trigger(s + m, n - m, final) == 1)
            return m;
        if (m == a)
            a = sk_view_next(s, n, m + 1, '%');
        else if (m == b)
            b = sk_view_next(s, n, m + 1, '&');
        else
            c = sk_view_next(s, n, m + 1, '\\');
    }
}

/* Where the first escape is, counted from P's start (negative: in the
 * kept bytes before P), or INT64_MAX when there is none yet. */
static int64_t sk_view_escape(const struct sk_view *c, const unsigned char *p, size_t n, int final)
{
    /* across the write boundary: an escape may begin in the kept bytes'
     * last SK_UNESC_HOLD (undecided then) and end in P */
    unsigned char j[2 * SK_UNESC_HOLD];
    size_t b = c->nback < SK_UNESC_HOLD ? c->nback : SK_UNESC_HOLD,
           t = n < SK_UNESC_HOLD ? n : SK_UNESC_HOLD;

    memcpy(j, c->back + c->nback - b, b);
    if (t)
        memcpy(j + b, p, t);
    size_t at = sk_view_scan(j, b + t, final && t == n);
    if (at < b)
        return (int64_t)at - (int64_t)b;
    at = n ? sk_view_scan(p, n, final) : n;
    return at < n ? (int64_t)at : INT64_MAX;
}

/* Bytes into the decoded view, read in its own window. */
static int sk_view_put(struct sk_view *c, const unsigned char *p, size_t n)
{
    return sk_dlp_put_in(c->ctx, c->win, c->child, p, n);
}

/* Keep the last bytes of P for an escape that starts before the next. */
static void sk_view_keep(struct sk_view *c, const unsigned char *p, size_t n)
{
    if (n >= sizeof(c->back)) {
        memcpy(c->back, p + n - sizeof(c->back), sizeof(c->back));
        c->nback = sizeof(c->back);
        return;
    }
    size_t keep = c->nback + n > sizeof(c->back) ? sizeof(c->back) - n : c->nback;
    memmove(c->back, c->back + c->nback - keep, keep);
    memcpy(c->back + keep, p, n);
    c->nback = keep + n;
}

/* Start the decoded view at the escape E (sk_view_escape) of P. */
static int sk_view_start(struct sk_view *c, const unsigned char *p, size_t n, int64_t e)
{
    if ((!c->win && !(c->win = sk_dlp_engine_sub(c->ctx->e))) ||
        !(c->child = sk_unesc_new(sk_dlp_object_new(c->ctx, NULL, NULL, c->depth + 1))))
        return -1;
    sk_dlp_engine_where(c->win, c->ctx->e->where);
    /* the view starts SK_VIEW_BACK bytes before the escape (or at the
     * text's start): the same bytes however the writes were cut */
    int64_t from = e - SK_VIEW_BACK;
    if (from < -(int64_t)c->nback)
        from = -(int64_t)c->nback;
    if (from < 0 && sk_view_put(c, c->back + c->nback + from, (size_t)-from) == -1)
        return -1;
    c->nback = 0;
    size_t skip = from > 0 ? (size_t)from : 0;
    if (n > skip && sk_view_put(c, p + skip, n - skip) == -1)
        return -1;
    return 0;
}

static int sk_view_write(struct sk_dlp_sink *s, const unsigned char *p, size_t n)
{
    struct sk_view *c = (struct sk_view *)s;
    int64_t e;

    if (!c->child && n && (e = sk_view_escape(c, p, n, 0)) != INT64_MAX) {
        if (sk_view_start(c, p, n, e) == -1)
            return -1;
    } else if (c->child) {
        if (sk_view_put(c, p, n) == -1)
            return -1;
    } else {
        sk_view_keep(c, p, n);
    }
    return sk_dlp_put(c->next, p, n);
}

static int sk_view_end(struct sk_dlp_sink *s)
{
    struct sk_view *c = (struct sk_view *)s;
    int rc = 0;
    int64_t e;

    /* an escape the text ends in ("...&#52") is known only now */
    if (!c->child && c->nback && (e = sk_view_escape(c, NULL, 0, 1)) != INT64_MAX &&
        sk_view_start(c, NULL, 0, e) == -1)
        rc = -1;
    if (c->child && sk_dlp_end_in(c->ctx, c->win, c->child) == -1)
        rc = -1;
    if (c->next->end(c->next) == -1)
        rc = -1;
    return rc;
}

static void sk_view_destroy(struct sk_dlp_sink *s)
{
    struct sk_view *c = (struct sk_view *)s;

    if (c->child)
        c->child->destroy(c->child);
    sk_dlp_engine_free(c->win);
    c->next->destroy(c->next);
    free(c);
}

struct sk_dlp_sink *sk_dlp_view_new(struct sk_dlp_ctx *ctx, int depth, struct sk_dlp_sink *next)
{
    struct sk_view *c;

    if (!next || depth >= SK_DLP_MAX_DEPTH)
        return next;
    if (!(c = calloc(1, sizeof(*c)))) {
        next->destroy(next);
        return NULL;
    }
    c->sink = (struct sk_dlp_sink){
        .write = sk_view_write, .end = sk_view_end, .destroy = sk_view_destroy};
    c->ctx = ctx;
    c->depth = depth;
    c->next = next;
    return &c->sink;
}

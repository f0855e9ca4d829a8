/* dlp_pct.c - percent-encoded text inside a text body: a card list posted
 * as a data: URL without base64 ("data:text/plain,4111%201111..."), a URL
 * with its query in a JSON field. The filter sits in front of an object's
 * text reader and passes every byte on unchanged; from the first %XX escape
 * on (and the SK_PCT_BACK bytes before it, so a number the escape is in
 * the middle of is whole), the text is also percent-decoded (the form
 * decoder, sk_dlp_urlenc_new) into an object of its own read in a window of
 * its own (sk_dlp_engine_sub, as dlp_b64.c's runs). A text without escapes
 * costs one memchr per write. Hits count distinct values, so what both
 * readings see counts once.
 * SECURITY: client-controlled; bounded state; the decoded view is never
 * longer than the text; nesting (%2541) is bounded by SK_DLP_MAX_DEPTH.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sekisho/text.h>

#include "dlp.h"

#define SK_PCT_BACK 64 /* bytes before the first escape read decoded too */

struct sk_pct {
    struct sk_dlp_sink sink;
    struct sk_dlp_ctx *ctx;
    int depth;
    struct sk_dlp_sink *next;  /* the text reader: gets every byte */
    struct sk_dlp_sink *child; /* the decoded view, once an escape came */
    struct sk_dlp_engine *win;
    /* the last bytes before it: SK_PCT_BACK, and the two an escape split
     * across writes may have of them */
    unsigned char back[SK_PCT_BACK + 2];
    size_t nback;
};

/* Bytes into the decoded view, read in its own window. */
static int sk_pct_put(struct sk_pct *c, const unsigned char *p, size_t n)
{
    return sk_dlp_put_in(c->ctx, c->win, c->child, p, n);
}

/* Where the first %XX escape is, counted from P's start (-1, -2: its '%'
 * was in the kept bytes before P), or INT64_MAX when there is none yet. */
static int64_t sk_pct_escape(const struct sk_pct *c, const unsigned char *p, size_t n)
{
    unsigned char j[4];
    size_t k = 0, b = c->nback > 2 ? 2 : c->nback;

    /* across the write boundary: the kept bytes' last two, then P's first two */
    for (size_t i = c->nback - b; i < c->nback; i++)
        j[k++] = c->back[i];
    for (size_t i = 0; i < n && i < 2; i++)
        j[k++] = p[i];
    for (size_t i = 0; i + 2 < k && i < b; i++)
        if (j[i] == '%' && sk_hex_digit(j[i + 1]) >= 0 && sk_hex_digit(j[i + 2]) >= 0)
            return (int64_t)i - (int64_t)b;
    for (const unsigned char *q = p; (q = memchr(q, '%', n - (size_t)(q - p))) != NULL; q++)
        if ((size_t)(q - p) + 2 < n && sk_hex_digit(q[1]) >= 0 && sk_hex_digit(q[2]) >= 0)
            return q - p;
    return INT64_MAX;
}

static int sk_pct_write(struct sk_dlp_sink *s, const unsigned char *p, size_t n)
{
    struct sk_pct *c = (struct sk_pct *)s;
    int64_t e;

    if (!c->child && n && (e = sk_pct_escape(c, p, n)) != INT64_MAX) {
        if ((!c->win && !(c->win = sk_dlp_engine_sub(c->ctx->e))) ||
            !(c->child = sk_dlp_urlenc_new(sk_dlp_object_new(c->ctx, NULL, NULL, c->depth + 1))))
            return -1;
        sk_dlp_engine_where(c->win, c->ctx->e->where);
        /* the view starts SK_PCT_BACK bytes before the escape (or at the
         * text's start): the same bytes however the writes were cut */
        int64_t from = e - SK_PCT_BACK;
        if (from < -(int64_t)c->nback)
            from = -(int64_t)c->nback;
        if (from < 0 && sk_pct_put(c, c->back + c->nback + from, (size_t)-from) == -1)
            return -1;
        c->nback = 0;
        if (sk_pct_put(c, p + (from > 0 ? from : 0), n - (size_t)(from > 0 ? from : 0)) == -1)
            return -1;
        return sk_dlp_put(c->next, p, n);
    }
    if (c->child) {
        if (sk_pct_put(c, p, n) == -1)
            return -1;
    } else if (n >= sizeof(c->back)) {
        memcpy(c->back, p + n - sizeof(c->back), sizeof(c->back));
        c->nback = sizeof(c->back);
    } else {
        size_t keep = c->nback + n > sizeof(c->back) ? sizeof(c->back) - n : c->nback;
        memmove(c->back, c->back + c->nback - keep, keep);
        memcpy(c->back + keep, p, n);
        c->nback = keep + n;
    }
    return sk_dlp_put(c->next, p, n);
}

static int sk_pct_end(struct sk_dlp_sink *s)
{
    struct sk_pct *c = (struct sk_pct *)s;
    int rc = 0;

    if (c->child)
        rc = sk_dlp_end_in(c->ctx, c->win, c->child);
    if (c->next->end(c->next) == -1)
        rc = -1;
    return rc;
}

static void sk_pct_destroy(struct sk_dlp_sink *s)
{
    struct sk_pct *c = (struct sk_pct *)s;

    if (c->child)
        c->child->destroy(c->child);
    sk_dlp_engine_free(c->win);
    c->next->destroy(c->next);
    free(c);
}

struct sk_dlp_sink *sk_dlp_pct_new(struct sk_dlp_ctx *ctx, int depth, struct sk_dlp_sink *next)
{
    struct sk_pct *c;

    if (!next)
        return NULL;
    if (!(c = calloc(1, sizeof(*c)))) {
        next->destroy(next);
        return NULL;
    }
    c->sink =
        (struct sk_dlp_sink){.write = sk_pct_write, .end = sk_pct_end, .destroy = sk_pct_destroy};
    c->ctx = ctx;
    c->depth = depth;
    c->next = next;
    return &c->sink;
}

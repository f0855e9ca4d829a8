/* dlp_hold.c - an object held whole and read at its end: the frame the
 * PDF reader (dlp_pdf.c) and the compound-file reader (dlp_ole2.c) share.
 * Every byte passes on to the text reader as it comes; the first bytes
 * tell whether the object is one the reader opens; if so it is held (at
 * most SK_DLP_HOLD_MAX bytes: beyond, dlp.on-limit and the hold is
 * dropped) and read at its end, after every other reading of its bytes
 * has charged the budget, so the verdict never depends on how the client
 * cut its writes.
 * SECURITY: client-controlled bytes; memory bounded by SK_DLP_HOLD_MAX.
 */
#include <stdlib.h>
#include <string.h>

#include "dlp.h"

void sk_dlp_hold_drop(struct sk_dlp_hold *h)
{
    h->state = SK_HOLD_NONE;
    sk_buf_free(&h->held);
}

/* IS said no: the head may still be something nobody reads (UNREAD). */
static void sk_hold_no(struct sk_dlp_hold *h)
{
    const char *why = h->unread ? h->unread(sk_dlp_held(h), h->held.len) : NULL;

    if (why)
        sk_dlp_undecodable(h->ctx, why);
    sk_dlp_hold_drop(h);
}

static int sk_hold_write(struct sk_dlp_sink *s, const unsigned char *p, size_t n)
{
    struct sk_dlp_hold *h = (struct sk_dlp_hold *)s;
    size_t i = 0;

    if (h->state == SK_HOLD_HEAD) { /* the first HEAD bytes: is it one? */
        i = n < h->head - h->held.len ? n : h->head - h->held.len;
        if (sk_buf_append(&h->held, (const char *)p, i) == -1)
            return -1;
        int is = h->is(sk_dlp_held(h), h->held.len, h->held.len >= h->head);
        if (is == 1)
            h->state = SK_HOLD_HOLD;
        else if (is == 0)
            sk_hold_no(h);
    }
    if (h->state == SK_HOLD_HOLD && i < n) {
        if (h->held.len + (n - i) > SK_DLP_HOLD_MAX) { /* not read: dlp.on-limit */
            h->ctx->limit = 1;
            sk_dlp_hold_drop(h);
        } else if (sk_buf_append(&h->held, (const char *)p + i, n - i) == -1) {
            return -1;
        }
    }
    return sk_dlp_put(h->next, p, n);
}

int sk_dlp_hold_wants(int (*is)(const unsigned char *, size_t, int), size_t head,
                      const unsigned char *p, size_t n)
{
    return is(p, n < head ? n : head, 1) == 1;
}

int sk_dlp_hold_charge(struct sk_dlp_hold *h, size_t n)
{
    if (n > h->ctx->budget) {
        h->ctx->budget = 0, h->ctx->limit = 1;
        return -1;
    }
    h->ctx->budget -= n; /* the held bytes are read a second time */
    return 0;
}

static int sk_hold_end(struct sk_dlp_sink *s)
{
    struct sk_dlp_hold *h = (struct sk_dlp_hold *)s;
    /* the bytes' other readings first: what they decoded is charged */
    int rc = h->next->end(h->next);

    /* an object still undecided at its end (shorter than HEAD) is all
     * held: IS is asked once more, FINAL (the PDF's and the compound
     * file's answer as soon as they can, so it is 0 for them; the
     * archives' read pkt-lines only then, dlp_arc.c) */
    if (h->state == SK_HOLD_HEAD && h->is(sk_dlp_held(h), h->held.len, 1) == 1)
        h->state = SK_HOLD_HOLD;
    else if (h->state == SK_HOLD_HEAD)
        sk_hold_no(h);
    if (h->state == SK_HOLD_HOLD && h->read(h) == -1)
        rc = -1;
    h->release(h);
    sk_dlp_hold_drop(h);
    return rc;
}

static void sk_hold_destroy(struct sk_dlp_sink *s)
{
    struct sk_dlp_hold *h = (struct sk_dlp_hold *)s;

    h->release(h);
    sk_dlp_hold_drop(h);
    h->next->destroy(h->next);
    free(h->name);
    free(h);
}

struct sk_dlp_hold *sk_dlp_hold_new(size_t size, struct sk_dlp_ctx *ctx, const char *name,
                                    int depth, struct sk_dlp_sink *next)
{
    struct sk_dlp_hold *h;

    if (!next)
        return NULL;
    if (!(h = calloc(1, size)) || (name && !(h->name = strdup(name)))) {
        free(h);
        next->destroy(next);
        return NULL;
    }
    h->sink = (struct sk_dlp_sink){
        .write = sk_hold_write, .end = sk_hold_end, .destroy = sk_hold_destroy};
    h->ctx = ctx;
    h->depth = depth;
    h->next = next;
    return h;
}

/* dlp_b64.c - base64 inside a text body: a file a web page read as a data:
 * URL (FileReader.readAsDataURL) and posted in JSON or a form field, an
 * API's "content": "<base64>", a PEM-style block in a text upload. The
 * filter sits in front of an object's text reader and passes every byte
 * on unchanged (a long token is still text for regex templates); in
 * parallel, the toolkit's finder (sk_b64run, sekisho/decode.h: escapes,
 * line breaks) decodes a run of at least SK_DLP_B64_MIN base64 characters
 * into an object of its own (sniffed like any other: text, zip, gzip...)
 * whose text goes to a window of its own (sk_dlp_engine_sub: the decoded
 * text and the run's characters would otherwise take turns in one window
 * and cut each other's lines). Uuencoded blocks ("begin 644 name" ...
 * "end": a GNU shell archive, also `shar -z` with gzip inside) are found
 * and decoded the same way, by the core's sk_uurun (the lines virus_scan
 * decodes with sk_uu_find), into objects and a window of their own.
 * SECURITY: client-controlled; bounded state; decoded bytes are charged to
 * the decompression budget; a run that is no base64 (a hash, a long
 * identifier) decodes to bytes that are inspected and match nothing.
 */
#include <stdlib.h>
#include <string.h>

#include <sekisho/decode.h>

#include "dlp.h"

/* Where a finder's decoded runs go: each run an object of its own, their
 * text into one window. */
struct sk_b64_out {
    struct sk_b64 *b;
    struct sk_dlp_sink *child; /* the decoded run, once it qualified */
    struct sk_dlp_engine *win; /* the decoded runs' own text window */
    int over;                  /* the budget ran out */
};

struct sk_b64 {
    struct sk_dlp_sink sink;
    struct sk_dlp_ctx *ctx;
    int depth;
    struct sk_dlp_sink *next; /* the text reader: gets every byte */
    struct sk_b64run *runs;   /* the toolkit's finders: base64 runs */
    struct sk_uurun *uu;      /* ... and uuencoded blocks */
    struct sk_b64_out out_runs, out_uu;
    /* the first bytes, until they tell UTF-16 (read as characters) */
    unsigned char head[64];
    size_t nhead;
    int decided;
};

/* UTF-16 or not, from the first bytes; then they go to the finder. */
static int sk_b64_decide(struct sk_b64 *b)
{
    int order = sk_charset_utf16(b->head, b->nhead);

    b->decided = 1;
    if (order)
        sk_b64run_utf16(b->runs, order == 2);
    return sk_b64run_write(b->runs, b->head, b->nhead);
}

/* A run qualified: an object of its own, read in the runs' window. */
static int sk_b64_begin(void *arg)
{
    struct sk_b64_out *o = arg;
    struct sk_b64 *b = o->b;

    if ((!o->win && !(o->win = sk_dlp_engine_sub(b->ctx->e))) ||
        !(o->child = sk_dlp_object_new(b->ctx, NULL, NULL, b->depth + 1)))
        return -1;
    sk_dlp_engine_where(o->win, b->ctx->e->where);
    return 0;
}

/* Decoded bytes to the child, its text into the runs' own window. */
static int sk_b64_data(void *arg, const void *p, size_t n)
{
    struct sk_b64_out *o = arg;
    struct sk_dlp_ctx *ctx = o->b->ctx;

    if (o->over || n == 0)
        return 0;
    if (n > ctx->budget) {
        n = (size_t)ctx->budget;
        ctx->limit = 1;
        o->over = 1;
    }
    ctx->budget -= n;
    return sk_dlp_put_in(ctx, o->win, o->child, p, n) == -1 ? -1 : 0;
}

/* The run ended: its object ends. */
static int sk_b64_end_run(void *arg)
{
    struct sk_b64_out *o = arg;
    int rc = sk_dlp_end_in(o->b->ctx, o->win, o->child);

    o->child->destroy(o->child);
    o->child = NULL;
    return rc == -1 ? -1 : 0;
}

static int sk_b64_write(struct sk_dlp_sink *s, const unsigned char *p, size_t n)
{
    struct sk_b64 *b = (struct sk_b64 *)s;
    const unsigned char *q = p;
    size_t m = n;

    if (!b->decided) {
        size_t take = sizeof(b->head) - b->nhead < m ? sizeof(b->head) - b->nhead : m;
        memcpy(b->head + b->nhead, q, take);
        b->nhead += take, q += take, m -= take;
        if (b->nhead == sizeof(b->head) && sk_b64_decide(b) == -1)
            return -1;
    }
    if (m && sk_b64run_write(b->runs, q, m) == -1)
        return -1;
    if (sk_uurun_write(b->uu, p, n) == -1)
        return -1;
    return sk_dlp_put(b->next, p, n);
}

static int sk_b64_end(struct sk_dlp_sink *s)
{
    struct sk_b64 *b = (struct sk_b64 *)s;
    int rc = !b->decided && sk_b64_decide(b) == -1 ? -1 : sk_b64run_end(b->runs);

    if (sk_uurun_end(b->uu) == -1)
        rc = -1;

    if (b->next->end(b->next) == -1 || rc == -1)
        return -1;
    return 0;
}

static void sk_b64_destroy(struct sk_dlp_sink *s)
{
    struct sk_b64 *b = (struct sk_b64 *)s;

    for (struct sk_b64_out *o = &b->out_runs; o; o = o == &b->out_runs ? &b->out_uu : NULL) {
        if (o->child)
            o->child->destroy(o->child);
        sk_dlp_engine_free(o->win);
    }
    sk_b64run_free(b->runs);
    sk_uurun_free(b->uu);
    b->next->destroy(b->next);
    free(b);
}

/* A run needs SK_DLP_B64_MIN digits, and every digit the finder takes is
 * a digit of the bytes or of an escape (%XX, \xHH, \uHHHH, octal), or a
 * UTF-16 code unit holding one; a uuencoded block starts at a "begin "
 * line. Neither in P: the filter only passes P on. */
int sk_dlp_b64_wants(const unsigned char *p, size_t n)
{
    size_t digits = 0;

    for (size_t i = 0; i < n; i++) { /* sk_b64_digit(c, 1) >= 0, inline */
        unsigned char c = p[i];
        digits += (unsigned)((c | 0x20) - 'a') < 26 || (unsigned)(c - '0') < 10 || c == '+' ||
                  c == '/' || c == '-' || c == '_';
    }
    return digits >= SK_DLP_B64_MIN || (n >= 6 && memmem(p, n, "begin ", 6) != NULL);
}

struct sk_dlp_sink *sk_dlp_b64_new(struct sk_dlp_ctx *ctx, int depth, struct sk_dlp_sink *next)
{
    struct sk_b64 *b;

    if (!next)
        return NULL;
    if (!(b = calloc(1, sizeof(*b)))) {
        next->destroy(next);
        return NULL;
    }
    b->out_runs.b = b->out_uu.b = b;
    struct sk_b64run_handler h = {sk_b64_begin, sk_b64_data, sk_b64_end_run, &b->out_runs};
    struct sk_b64run_handler hu = {sk_b64_begin, sk_b64_data, sk_b64_end_run, &b->out_uu};
    if (!(b->runs = sk_b64run_new(SK_DLP_B64_MIN, &h)) || !(b->uu = sk_uurun_new(&hu))) {
        sk_b64run_free(b->runs);
        free(b);
        next->destroy(next);
        return NULL;
    }
    b->sink =
        (struct sk_dlp_sink){.write = sk_b64_write, .end = sk_b64_end, .destroy = sk_b64_destroy};
    b->ctx = ctx;
    b->depth = depth;
    b->next = next;
    return &b->sink;
}

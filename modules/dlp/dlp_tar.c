/* dlp_tar.c - a tar upload's members read as objects of their own. The
 * filter sits in front of the tar's text reader and passes every byte on
 * unchanged (names, pax records and stored text are still read as they
 * are, as before); in parallel the toolkit's tar reader (sk_tar_*,
 * sekisho/decode.h) hands each entry's bytes to an object (sniffed like
 * any other: a .gz, a .zst, a zip, a nested tar, UTF-16 text) whose text
 * goes to a window of its own (sk_dlp_engine_sub, as dlp_b64.c's runs):
 * a card list compressed inside a tar was read only as compressed bytes.
 * Hits count distinct values, so what both readings see counts once.
 * SECURITY: client-controlled; the reader checks every header's checksum
 * and bounds sizes; a header that is none (entries after it would go
 * unread as objects) is dlp.on-error, the text reading goes on;
 * nesting is bounded by SK_DLP_MAX_DEPTH (the caller's).
 */
#include <stdlib.h>
#include <string.h>

#include <sekisho/decode.h>

#include "dlp.h"

struct sk_dtar {
    struct sk_dlp_sink sink;
    struct sk_dlp_ctx *ctx;
    int depth;
    struct sk_dlp_sink *next;  /* the text reader: gets every byte */
    struct sk_dlp_sink *child; /* the open entry's object */
    struct sk_dlp_engine *win; /* the entries' own text window */
    struct sk_tar tar;
    int failed; /* the entries' walk stopped (reported once) */
};

static int sk_dtar_begin(void *arg, const char *name, char type, uint64_t size)
{
    struct sk_dtar *t = arg;

    (void)type; /* every entry with bytes: files, and pax / long-name records */
    if (size == 0)
        return 0;
    if ((!t->win && !(t->win = sk_dlp_engine_sub(t->ctx->e))) ||
        !(t->child = sk_dlp_object_new(t->ctx, NULL, name, t->depth + 1)))
        return -1;
    sk_dlp_engine_where(t->win, name);
    return 1;
}

static int sk_dtar_data(void *arg, const void *p, size_t n)
{
    struct sk_dtar *t = arg;

    return sk_dlp_put_in(t->ctx, t->win, t->child, p, n);
}

static int sk_dtar_end_entry(void *arg)
{
    struct sk_dtar *t = arg;
    int rc = sk_dlp_end_in(t->ctx, t->win, t->child);

    t->child->destroy(t->child);
    t->child = NULL;
    return rc;
}

/* The entries' walk stopped: out of memory (-1), or a header that is none
 * (dlp.on-error: the entries after it would go unread as objects; the
 * text reading goes on). */
static int sk_dtar_stop(struct sk_dtar *t, int rc)
{
    if (t->failed)
        return 0;
    t->failed = 1;
    if (rc == SK_TAR_STOP)
        return -1;
    sk_dlp_undecodable(t->ctx, "a tar archive with a corrupt header");
    return 0;
}

static int sk_dtar_write(struct sk_dlp_sink *s, const unsigned char *p, size_t n)
{
    struct sk_dtar *t = (struct sk_dtar *)s;
    int rc;

    if (!t->failed && (rc = sk_tar_write(&t->tar, p, n)) != SK_TAR_OK && sk_dtar_stop(t, rc) == -1)
        return -1;
    return sk_dlp_put(t->next, p, n);
}

static int sk_dtar_end(struct sk_dlp_sink *s)
{
    struct sk_dtar *t = (struct sk_dtar *)s;
    int rc = 0;

    /* cut short (inside an entry, or no end block): every byte that came
     * was read, the open entry's as far as it goes */
    if (t->child && sk_dtar_end_entry(t) == -1)
        rc = -1;
    if (t->next->end(t->next) == -1)
        rc = -1;
    return rc;
}

static void sk_dtar_destroy(struct sk_dlp_sink *s)
{
    struct sk_dtar *t = (struct sk_dtar *)s;

    if (t->child)
        t->child->destroy(t->child);
    sk_dlp_engine_free(t->win);
    t->next->destroy(t->next);
    free(t);
}

struct sk_dlp_sink *sk_dlp_tar_new(struct sk_dlp_ctx *ctx, int depth, struct sk_dlp_sink *next)
{
    struct sk_dtar *t;

    if (!next)
        return NULL;
    if (!(t = calloc(1, sizeof(*t)))) {
        next->destroy(next);
        return NULL;
    }
    struct sk_tar_handler h = {sk_dtar_begin, sk_dtar_data, sk_dtar_end_entry, t};
    sk_tar_init(&t->tar, &h);
    t->sink = (struct sk_dlp_sink){
        .write = sk_dtar_write, .end = sk_dtar_end, .destroy = sk_dtar_destroy};
    t->ctx = ctx;
    t->depth = depth;
    t->next = next;
    return &t->sink;
}

/* dlp_zip.c - zip / Office Open XML uploads through the core zip walker
 * (sekisho/decode.h, icap-server/core/sk_container.c): each entry becomes
 * its own object chain, chosen by its bytes (a zip in a zip is walked
 * too) and its name (XML parts); the central directory, a comment and
 * any bytes appended after the archive are inspected as plain bytes.
 * SECURITY: client-controlled archives. Output is charged to the
 * decompression budget; encrypted entries, unknown methods and entries
 * the walker cannot delimit are recorded for dlp.on-error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sekisho/decode.h>

#include "dlp.h"

struct sk_zip_sink {
    struct sk_dlp_sink sink;
    struct sk_dlp_ctx *ctx;
    int depth;
    char archive[48];
    struct sk_zip *zip;
    struct sk_dlp_sink *entry; /* current entry's chain, or NULL */
    int over;                  /* the budget ran out: the rest is not read */
};

static int sk_zs_begin(void *arg, const struct sk_zip_entry *e)
{
    struct sk_zip_sink *z = arg;
    char where[320];

    snprintf(where, sizeof(where), "%s%s%s", z->archive, *z->archive ? ":" : "", e->name);
    sk_dlp_engine_where(z->ctx->e, where);
    if (e->encrypted || e->unsupported) {
        z->ctx->encrypted += e->encrypted;
        z->ctx->skipped += e->unsupported;
        sk_dlp_undecodable(z->ctx, e->encrypted ? "encrypted archive entry"
                                                : "archive entry with an unknown method");
        return 0;
    }
    z->entry = sk_dlp_object_new(z->ctx, NULL, e->name, z->depth + 1);
    return z->entry ? 1 : -1;
}

/* Entry data: stored bytes or inflated output, charged to the budget. */
static int sk_zs_data(void *arg, const void *buf, size_t len)
{
    struct sk_zip_sink *z = arg;

    if (z->over || !z->entry)
        return 0;
    if (len > z->ctx->budget) {
        len = (size_t)z->ctx->budget;
        z->ctx->limit = 1;
        z->over = 1;
    }
    z->ctx->budget -= len;
    return sk_dlp_put(z->entry, buf, len);
}

static int sk_zs_end(void *arg)
{
    struct sk_zip_sink *z = arg;
    int rc = 0;

    if (z->entry) {
        rc = z->entry->end(z->entry);
        z->entry->destroy(z->entry);
        z->entry = NULL;
    }
    return rc;
}

static int sk_zs_tail(void *arg)
{
    struct sk_zip_sink *z = arg;

    sk_dlp_engine_where(z->ctx->e, z->archive);
    z->entry = sk_dlp_norm_new(z->ctx, NULL);
    return z->entry ? 0 : -1;
}

static int sk_zs_write(struct sk_dlp_sink *s, const unsigned char *p, size_t n)
{
    return sk_zip_write(((struct sk_zip_sink *)s)->zip, p, n);
}

static int sk_zs_finish(struct sk_dlp_sink *s)
{
    struct sk_zip_sink *z = (struct sk_zip_sink *)s;
    const struct sk_zip_stats *st;

    if (sk_zip_end(z->zip) == -1)
        return -1;
    st = sk_zip_stats(z->zip);
    if ((st->corrupt || st->lost_sync) && !z->over)
        sk_dlp_undecodable(z->ctx, st->corrupt ? "corrupt or truncated archive"
                                               : "archive entry of unknown length");
    return 0;
}

static void sk_zs_destroy(struct sk_dlp_sink *s)
{
    struct sk_zip_sink *z = (struct sk_zip_sink *)s;

    if (z->entry)
        z->entry->destroy(z->entry);
    sk_zip_free(z->zip);
    free(z);
}

struct sk_dlp_sink *sk_dlp_zip_new(struct sk_dlp_ctx *ctx, const char *name, int depth)
{
    struct sk_zip_sink *z = calloc(1, sizeof(*z));
    struct sk_zip_handler h = {sk_zs_begin, sk_zs_data, sk_zs_end, sk_zs_tail, z};

    if (z == NULL)
        return NULL;
    z->sink =
        (struct sk_dlp_sink){.write = sk_zs_write, .end = sk_zs_finish, .destroy = sk_zs_destroy};
    z->ctx = ctx;
    z->depth = depth;
    snprintf(z->archive, sizeof(z->archive), "%s", name ? name : "");
    if (!(z->zip = sk_zip_new(&h))) {
        free(z);
        return NULL;
    }
    return &z->sink;
}

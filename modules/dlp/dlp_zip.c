/* dlp_zip.c - streaming zip reader for uploads (zip, docx, xlsx, pptx and
 * other Office Open XML files): walks local file headers in order, inflates
 * each entry and hands it to its own object chain (XML text for *.xml,
 * text sniffing otherwise). The central directory is not needed.
 * SECURITY: client-controlled archives. Names are only used to choose a
 * decoder and for log samples; sizes are never trusted for allocation;
 * output is charged to the decompression budget; encrypted entries,
 * unknown methods and nested archives are counted, not inspected. A stream
 * that is not a zip at all is inspected as plain bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dlp.h"

#define SK_ZIP_LOCAL 0x04034b50u
#define SK_ZIP_DESC 0x08074b50u
#define SK_ZIP_NAME 256

enum sk_zip_state {
    SK_Z_HDR,   /* collecting the 30-byte local header */
    SK_Z_NAME,  /* file name */
    SK_Z_EXTRA, /* extra field, skipped */
    SK_Z_STORED,
    SK_Z_DEFLATE,
    SK_Z_SKIP, /* data not inspected */
    SK_Z_DESC, /* data descriptor after an entry with flag bit 3 */
    SK_Z_RAW,  /* not a zip (any more): the rest as plain bytes */
    SK_Z_DONE, /* central directory reached: nothing more to read */
};

struct sk_zip {
    struct sk_dlp_sink sink;
    struct sk_dlp_ctx *ctx;
    enum sk_zip_state state;
    unsigned char hdr[30];
    size_t nhdr;
    unsigned flags, method;
    uint64_t csize, left;
    size_t nlen, xlen;
    char name[SK_ZIP_NAME];
    size_t nname;
    char archive[48];
    struct sk_dlp_sink *entry; /* current entry's chain, or NULL (discard) */
    struct sk_dlp_inflate *inf;
    unsigned entries;
};

static uint32_t sk_le(const unsigned char *p, int n)
{
    uint32_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static int sk_null_write(struct sk_dlp_sink *s, const unsigned char *p, size_t n)
{
    return 0;
}
static int sk_null_end(struct sk_dlp_sink *s)
{
    return 0;
}
static void sk_null_destroy(struct sk_dlp_sink *s)
{
}
static struct sk_dlp_sink sk_null = {sk_null_write, sk_null_end, sk_null_destroy};

static int sk_ends_with(const char *s, const char *const *exts)
{
    size_t n = strlen(s);
    for (int i = 0; exts[i]; i++) {
        size_t k = strlen(exts[i]);
        if (n >= k && strcasecmp(s + n - k, exts[i]) == 0)
            return 1;
    }
    return 0;
}

/* Media, fonts and nested archives are not inspected (documented). */
static int sk_zip_skip_name(const char *name)
{
    static const char *const skip[] = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff",
                                       ".emf", ".wmf", ".odttf", ".ttf", ".otf", ".wdp", ".mp4",
                                       ".mp3", ".wav", ".rels", NULL};
    static const char *const nested[] = {".zip", ".docx", ".xlsx", ".pptx", ".jar", ".gz",
                                         ".7z", ".rar", ".tgz", NULL};
    if (sk_ends_with(name, nested))
        return 2;
    return sk_ends_with(name, skip);
}

static int sk_zip_end_entry(struct sk_zip *z)
{
    int rc = 0;

    if (z->entry) {
        rc = z->entry->end(z->entry);
        z->entry->destroy(z->entry);
        z->entry = NULL;
    }
    return rc;
}

static int sk_zip_begin_entry(struct sk_zip *z)
{
    static const char *const xml[] = {".xml", ".vml", NULL};
    char where[SK_ZIP_NAME + 64];
    int skip;

    z->name[z->nname] = '\0';
    z->entries++;
    snprintf(where, sizeof(where), "%s%s%s", z->archive, *z->archive ? ":" : "", z->name);
    sk_dlp_engine_where(z->ctx->e, where);
    if (z->flags & 1) {
        z->ctx->encrypted++;
        z->entry = NULL;
        return 0;
    }
    if ((skip = sk_zip_skip_name(z->name)) != 0) {
        z->ctx->skipped += skip == 2;
        z->entry = NULL;
        return 0;
    }
    z->entry = sk_dlp_norm_new(z->ctx, NULL);
    if (z->entry && sk_ends_with(z->name, xml))
        z->entry = sk_dlp_xml_new(z->entry);
    return z->entry ? 0 : -1;
}

/* After the header, name and extra: choose how to read the data. */
static int sk_zip_data(struct sk_zip *z)
{
    int known = !(z->flags & 8) && z->csize != 0xffffffffu;

    if (sk_zip_begin_entry(z) == -1)
        return -1;
    z->left = z->csize;
    if (z->flags & 1 || (z->method != 0 && z->method != 8)) {
        if (z->method != 0 && z->method != 8 && !(z->flags & 1))
            z->ctx->skipped++;
        z->state = known ? SK_Z_SKIP : SK_Z_DONE;
        return 0;
    }
    if (z->method == 0) {
        z->state = known ? SK_Z_STORED : SK_Z_DONE;
        if (!known)
            z->ctx->skipped++;
        return 0;
    }
    if (z->inf == NULL && (z->inf = sk_dlp_inflate_new(z->ctx, SK_DLP_Z_RAW)) == NULL)
        return -1;
    sk_dlp_inflate_reset(z->inf, SK_DLP_Z_RAW);
    z->state = SK_Z_DEFLATE;
    return 0;
}

static int sk_zip_after_data(struct sk_zip *z)
{
    int rc = sk_zip_end_entry(z);

    z->nhdr = 0;
    z->state = (z->flags & 8) ? SK_Z_DESC : SK_Z_HDR;
    return rc;
}

/* Not a zip: what was buffered and the rest go to a plain object. */
static int sk_zip_to_raw(struct sk_zip *z)
{
    sk_zip_end_entry(z);
    sk_dlp_engine_where(z->ctx->e, z->archive);
    if ((z->entry = sk_dlp_norm_new(z->ctx, NULL)) == NULL)
        return -1;
    z->state = SK_Z_RAW;
    return sk_dlp_put(z->entry, z->hdr, z->nhdr);
}

static int sk_zip_header(struct sk_zip *z)
{
    uint32_t sig = sk_le(z->hdr, 4);

    if (sig != SK_ZIP_LOCAL) {
        /* central directory, or garbage after the entries we read */
        if (z->entries > 0) {
            z->state = SK_Z_DONE;
            return 0;
        }
        return sk_zip_to_raw(z);
    }
    z->flags = sk_le(z->hdr + 6, 2);
    z->method = sk_le(z->hdr + 8, 2);
    z->csize = sk_le(z->hdr + 18, 4);
    z->nlen = sk_le(z->hdr + 26, 2);
    z->xlen = sk_le(z->hdr + 28, 2);
    z->nname = 0;
    z->state = SK_Z_NAME;
    return 0;
}

static int sk_zip_write(struct sk_dlp_sink *s, const unsigned char *p, size_t n)
{
    struct sk_zip *z = (struct sk_zip *)s;
    size_t take, used;
    int rc;

    while (n > 0) {
        switch (z->state) {
        case SK_Z_HDR:
            take = sizeof(z->hdr) - z->nhdr < n ? sizeof(z->hdr) - z->nhdr : n;
            memcpy(z->hdr + z->nhdr, p, take);
            z->nhdr += take, p += take, n -= take;
            if ((z->nhdr >= 4 && sk_le(z->hdr, 4) != SK_ZIP_LOCAL) ||
                z->nhdr == sizeof(z->hdr))
                if (sk_zip_header(z) == -1)
                    return -1;
            break;
        case SK_Z_NAME:
            take = z->nlen < n ? z->nlen : n;
            for (size_t i = 0; i < take; i++)
                if (z->nname + 1 < SK_ZIP_NAME)
                    z->name[z->nname++] = (char)p[i];
            z->nlen -= take, p += take, n -= take;
            if (z->nlen == 0)
                z->state = SK_Z_EXTRA;
            if (z->nlen == 0 && z->xlen == 0 && sk_zip_data(z) == -1)
                return -1;
            break;
        case SK_Z_EXTRA:
            take = z->xlen < n ? z->xlen : n;
            z->xlen -= take, p += take, n -= take;
            if (z->xlen == 0 && sk_zip_data(z) == -1)
                return -1;
            break;
        case SK_Z_STORED:
        case SK_Z_SKIP:
            take = z->left < n ? (size_t)z->left : n;
            if (z->state == SK_Z_STORED && z->entry && sk_dlp_put(z->entry, p, take) == -1)
                return -1;
            z->left -= take, p += take, n -= take;
            if (z->left == 0 && sk_zip_after_data(z) == -1)
                return -1;
            break;
        case SK_Z_DEFLATE:
            rc = sk_dlp_inflate_feed(z->inf, p, n, &used, z->entry ? z->entry : &sk_null);
            if (rc == -2)
                return -1;
            p += used, n -= used;
            if (rc == 1 && z->ctx->limit) {
                sk_zip_end_entry(z);
                z->state = SK_Z_DONE;
            } else if (rc == 1) {
                if (sk_zip_after_data(z) == -1)
                    return -1;
            } else if (rc == -1) {
                sk_zip_end_entry(z);
                z->ctx->skipped++;
                z->state = SK_Z_DONE; /* corrupt entry: no way to resynchronise */
            }
            break;
        case SK_Z_DESC:
            take = 16 - z->nhdr < n ? 16 - z->nhdr : n;
            memcpy(z->hdr + z->nhdr, p, take);
            z->nhdr += take, p += take, n -= take;
            if (z->nhdr == 16) {
                /* signature + crc + sizes (16), or crc + sizes (12) */
                size_t extra = sk_le(z->hdr, 4) == SK_ZIP_DESC ? 0 : 4;
                memmove(z->hdr, z->hdr + 16 - extra, extra);
                z->nhdr = extra;
                z->state = SK_Z_HDR;
            }
            break;
        case SK_Z_RAW:
            return sk_dlp_put(z->entry, p, n);
        case SK_Z_DONE:
            return 0;
        }
    }
    return 0;
}

static int sk_zip_end(struct sk_dlp_sink *s)
{
    struct sk_zip *z = (struct sk_zip *)s;

    if (z->state == SK_Z_HDR && z->entries == 0 && z->nhdr > 0 && sk_zip_to_raw(z) == -1)
        return -1;
    return sk_zip_end_entry(z);
}

static void sk_zip_destroy(struct sk_dlp_sink *s)
{
    struct sk_zip *z = (struct sk_zip *)s;

    if (z->entry)
        z->entry->destroy(z->entry);
    sk_dlp_inflate_free(z->inf);
    free(z);
}

struct sk_dlp_sink *sk_dlp_zip_new(struct sk_dlp_ctx *ctx, const char *name)
{
    struct sk_zip *z = calloc(1, sizeof(*z));

    if (z == NULL)
        return NULL;
    z->sink = (struct sk_dlp_sink){.write = sk_zip_write, .end = sk_zip_end,
                                   .destroy = sk_zip_destroy};
    z->ctx = ctx;
    snprintf(z->archive, sizeof(z->archive), "%s", name ? name : "");
    return &z->sink;
}

/* dlp_arc.c - the members of the archives the toolkit reads whole
 * (sekisho/archive.h): ar (a .deb, a static library), cpio (an rpm's
 * payload, an initramfs: newc, odc, binary), ISO 9660 images (primary and
 * Joliet trees), LHA (-lh0- to -lh7-, -lz4-) and git packs (a push's
 * body, a clone's or fetch's result, a bundle: each object, deltas
 * resolved, a thin pack's inserted bytes); and those libarchive reads
 * (7z, rar, cab, xar: their members are compressed with LZMA, PPMd, LZX,
 * rar's own coders - a library made for the job, Debian's libarchive,
 * rather than a decoder of our own for each). They were read as bytes only
 * (dlp.on-error): their members are compressed or in UTF-16 as often as
 * not (red team 8c, s22: cards in a .deb's data.tar.gz, an rpm, an .lzh,
 * on an ISO, pushed to a git host). The filter sits in front of the
 * object's text reader and passes every byte on unchanged; an object that
 * starts as one of them is held (dlp_hold.c: at most SK_DLP_HOLD_MAX
 * bytes, beyond dlp.on-limit) and, at its end, each member is read as an
 * object of its own (sniffed like any upload: a .gz, a nested archive,
 * UTF-16 text) in a window of its own.
 * SECURITY: client-controlled. The held bytes and every member decoded
 * (LHA, git) are charged to dlp.max-decoded; a header that does not read,
 * a member that does not decode (or not to its CRC), an LHA method not
 * read, a git pack that is corrupt or cut short are dlp.on-error; nesting
 * is bounded by SK_DLP_MAX_DEPTH (the caller's).
 */
#include <stdio.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include <sekisho/decode.h>

#include "dlp.h"

/* An ISO 9660 image is told by its primary volume descriptor (2 KiB at
 * 32 KiB, sk_iso_is): the held head reaches past it (every other format
 * is told by its first bytes, and said as soon as they came). */
#define SK_DARC_HEAD (32768 + 2048)

enum sk_darc_kind {
    SK_DARC_NONE,
    SK_DARC_AR,
    SK_DARC_CPIO,
    SK_DARC_ISO9660,
    SK_DARC_LHA,
    SK_DARC_GIT,
    SK_DARC_7Z, /* and the others libarchive reads */
    SK_DARC_RAR,
    SK_DARC_CAB,
    SK_DARC_XAR
};

struct sk_darc {
    struct sk_dlp_hold h; /* first: the held archive (dlp_hold.c) */
    int failed;           /* a member's object ran out of memory */
};

/* An LHA header at P: a method "-lh?-" / "-lz?-" at byte 2, a header
 * level of 0-2 at byte 20, a header size that fits. */
static int sk_darc_lha(const unsigned char *p, size_t n)
{
    return n >= 22 && p[2] == '-' && p[3] == 'l' && (p[4] == 'h' || p[4] == 'z') && p[6] == '-' &&
           p[20] <= 2 && (p[20] == 2 ? (size_t)(p[0] | p[1] << 8) : (size_t)p[0] + 2) >= 22;
}

/* The archives libarchive reads, by their signatures: 7z, rar 1.5-4 and 5,
 * cab ("MSCF", reserved 0), xar ("xar!", a 28-byte header, version 1). */
static enum sk_darc_kind sk_darc_libarchive(const unsigned char *p, size_t n)
{
    if (n >= 6 && memcmp(p, "7z\xbc\xaf\x27\x1c", 6) == 0)
        return SK_DARC_7Z;
    if (n >= 7 && memcmp(p, "Rar!\x1a\x07", 6) == 0 &&
        (p[6] == 0 || (p[6] == 1 && n >= 8 && !p[7])))
        return SK_DARC_RAR;
    if (n >= 8 && memcmp(p, "MSCF\0\0\0\0", 8) == 0)
        return SK_DARC_CAB;
    if (n >= 8 && memcmp(p, "xar!\0\x1c\0\x01", 8) == 0)
        return SK_DARC_XAR;
    return SK_DARC_NONE;
}

/* Is P[0..N) an archive of kind K? */
static int sk_darc_has(enum sk_darc_kind k, const unsigned char *p, size_t n)
{
    switch (k) {
    case SK_DARC_AR:
        return sk_ar_is(p, n);
    case SK_DARC_CPIO:
        return sk_cpio_is(p, n);
    case SK_DARC_ISO9660:
        return sk_iso_is(p, n);
    case SK_DARC_LHA:
        return sk_darc_lha(p, n);
    case SK_DARC_GIT:
        return sk_gitpack_is(p, n);
    case SK_DARC_NONE:
        return 0;
    default:
        return sk_darc_libarchive(p, n) == k;
    }
}

/* Any of them? */
static int sk_darc_any(const unsigned char *p, size_t n)
{
    for (int k = SK_DARC_AR; k <= SK_DARC_XAR; k++)
        if (sk_darc_has((enum sk_darc_kind)k, p, n))
            return 1;
    return 0;
}

/* dlp_hold.c's IS, asked after each write: 1 one of them, 0 none, -1 not
 * known yet. A magic at the start says so at once; pkt-lines (a pack may
 * follow them) and an ISO's descriptor are read once, at SK_DARC_HEAD
 * bytes or the end: walking the pkt-lines after every write would cost
 * the head's length per write (a client's 1-byte chunks). */
static int sk_darc_is(const unsigned char *p, size_t n, int final)
{
    if (sk_darc_libarchive(p, n) || sk_ar_is(p, n) || sk_cpio_is(p, n) || sk_darc_lha(p, n) ||
        (n >= 4 && memcmp(p, "PACK", 4) == 0 && sk_gitpack_is(p, n)))
        return 1;
    if (!final && n < SK_DARC_HEAD)
        return -1;
    return sk_darc_any(p, n);
}

/* One member whole (an sk_lha_member_fn's). */
static int sk_darc_member(void *arg, const char *name, const unsigned char *p, size_t n, int state)
{
    struct sk_darc *a = arg;
    struct sk_dlp_ctx *ctx = a->h.ctx;
    char why[160];

    if (state == SK_LHA_LIMIT) {
        ctx->limit = 1;
        return -1;
    }
    if (state != 0) {
        snprintf(why, sizeof(why), "%s (not read)",
                 state == SK_LHA_UNREAD ? "an LHA member packed with -lh1- to -lh3-, -lzs- or -lz5-"
                                        : "an archive member that does not decode");
        sk_dlp_undecodable(ctx, why);
        return 0;
    }
    if (n == 0)
        return 0;
    if (sk_dlp_member_read(ctx, NULL, name, name, a->h.depth + 1, p, n) == -1) {
        a->failed = 1;
        return -1;
    }
    return 0;
}

static int sk_darc_plain(void *arg, const char *name, const unsigned char *p, size_t n)
{
    return sk_darc_member(arg, name, p, n, 0);
}

/* A decoded member (LHA, git): charged to the budget first. */
static int sk_darc_decoded(void *arg, const char *name, const unsigned char *p, size_t n, int state)
{
    struct sk_darc *a = arg;

    if (state == 0 && sk_dlp_hold_charge(&a->h, n) == -1)
        return -1;
    return sk_darc_member(arg, name, p, n, state);
}

/* A 7z, rar, cab or xar (WHAT) read by libarchive: each regular file's
 * bytes, as they decode, to an object of its own, charged to the budget
 * as they come. An encrypted member, one that does not decode, a header
 * that does not read: dlp.on-error. 0, or -1 (out of memory). */
static int sk_darc_libarchive_read(struct sk_darc *a, const char *what, const unsigned char *p,
                                   size_t n)
{
    struct sk_dlp_ctx *ctx = a->h.ctx;
    struct archive *ar = archive_read_new();
    struct archive_entry *e;
    char why[160];
    int r = ARCHIVE_FATAL, bad = 0, entries = 0;

    if (!ar)
        return -1;
    /* the formats only: no filter (an outer .gz was undone by the sniffer) */
    if (archive_read_support_format_7zip(ar) == ARCHIVE_OK &&
        archive_read_support_format_rar(ar) == ARCHIVE_OK &&
        archive_read_support_format_rar5(ar) == ARCHIVE_OK &&
        archive_read_support_format_cab(ar) == ARCHIVE_OK &&
        archive_read_support_format_xar(ar) == ARCHIVE_OK &&
        archive_read_open_memory(ar, p, n) == ARCHIVE_OK) {
        while ((r = archive_read_next_header(ar, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
            entries++;
            if (archive_entry_filetype(e) != AE_IFREG)
                continue;
            if (archive_entry_is_encrypted(e)) {
                snprintf(why, sizeof(why), "an encrypted member of %s (not read)", what);
                sk_dlp_undecodable(ctx, why);
                continue;
            }
            const char *name = archive_entry_pathname(e);
            struct sk_dlp_member o;
            if (sk_dlp_member_open(ctx, &o, NULL, name ? name : "", name ? name : "",
                                   a->h.depth + 1) == -1) {
                a->failed = 1;
                break;
            }
            const void *buf;
            size_t len;
            la_int64_t off;
            int rc = 0;
            while (rc == 0 && (r = archive_read_data_block(ar, &buf, &len, &off)) == ARCHIVE_OK) {
                if (sk_dlp_hold_charge(&a->h, len) == -1)
                    break; /* the budget ran out: dlp.on-limit */
                rc = sk_dlp_put_in(ctx, o.win, o.s, buf, len);
            }
            if (sk_dlp_member_close(ctx, &o, rc) == -1) {
                a->failed = 1;
                break;
            }
            if (ctx->limit)
                break;
            if (r != ARCHIVE_EOF && r != ARCHIVE_OK) { /* a member that does not decode */
                bad = 1;
                break;
            }
        }
    }
    /* no entry at all: libarchive's rar5 reader ends junk after the
     * signature so (7-Zip and unrar call it corrupt) */
    if (!a->failed && !ctx->limit && (bad || r != ARCHIVE_EOF || entries == 0)) {
        snprintf(why, sizeof(why), "%s that does not read, or a member that does not decode", what);
        sk_dlp_undecodable(ctx, why);
    }
    archive_read_free(ar);
    return a->failed ? -1 : 0;
}

/* The held archive read as kind K. 0, or -1 (out of memory). */
static int sk_darc_read(struct sk_darc *a, enum sk_darc_kind k, const unsigned char *p, size_t n)
{
    struct sk_dlp_ctx *ctx = a->h.ctx;
    /* what the toolkit decodes (LHA, git) is held to the decode ratio too,
     * as a compressed stream is (red team s23: a 97 KB pack of 95 MiB) */
    const struct sk_decode_limits lim = {
        .out_max = ctx->budget, .ratio = ctx->decode_ratio, .floor = ctx->decode_floor};
    static const char *const names[] = {"a 7z archive", "a rar archive", "a cab archive",
                                        "a xar archive"};
    int rc;

    switch (k) {
    case SK_DARC_AR:
        rc = sk_ar_each(p, n, sk_darc_plain, a);
        break;
    case SK_DARC_CPIO:
        rc = sk_cpio_each(p, n, sk_darc_plain, a);
        break;
    case SK_DARC_ISO9660:
        rc = sk_iso_each(p, n, sk_darc_plain, a);
        break;
    case SK_DARC_LHA:
        rc = sk_lha_each(p, n, sk_decode_bound(&lim, n), sk_darc_decoded, a);
        break;
    case SK_DARC_GIT:
        rc = sk_gitpack_each(p, n, sk_decode_bound(&lim, n), sk_darc_decoded, a);
        break;
    default:
        return sk_darc_libarchive_read(a, names[k - SK_DARC_7Z], p, n);
    }
    if (a->failed)
        return -1;
    /* a header that does not read: the members after it go unread; a git
     * pack cut short (git would refuse it, but its bytes went) too */
    if (rc == SK_AR_CORRUPT || (rc == SK_AR_SHORT && k == SK_DARC_GIT))
        sk_dlp_undecodable(ctx, k == SK_DARC_GIT ? "a git pack that does not read"
                                                 : "an archive with a corrupt header");
    return 0;
}

/* dlp_hold.c's READ: every kind the held object is, each in turn (a git
 * pack with an ISO descriptor at 32 KiB, a cpio in an ISO's system area:
 * read both ways, red team s23). */
static int sk_darc_end(struct sk_dlp_hold *h)
{
    struct sk_darc *a = (struct sk_darc *)h;
    const unsigned char *p = sk_dlp_held(h);
    size_t n = h->held.len;

    if (sk_dlp_hold_charge(h, n) == -1)
        return 0;
    for (int k = SK_DARC_AR; k <= SK_DARC_XAR; k++)
        if (sk_darc_has((enum sk_darc_kind)k, p, n) &&
            sk_darc_read(a, (enum sk_darc_kind)k, p, n) == -1)
            return -1;
    return 0;
}

static void sk_darc_release(struct sk_dlp_hold *h)
{
    (void)h;
}

/* A disk or file system image (sk_disk_image): its files are read by
 * nobody here, and a file's clusters need not follow each other. */
static const char *sk_darc_image(const unsigned char *p, size_t n)
{
    return sk_disk_image(p, n) ? "a disk or file system image (not read)" : NULL;
}

int sk_dlp_arc_wants(const unsigned char *p, size_t n)
{
    /* a disk image too: the hold's head tells it (sk_darc_image) */
    return sk_darc_any(p, n) || sk_disk_image(p, n) != NULL;
}

struct sk_dlp_sink *sk_dlp_arc_new(struct sk_dlp_ctx *ctx, const char *name, int depth,
                                   struct sk_dlp_sink *next)
{
    struct sk_dlp_hold *h = sk_dlp_hold_new(sizeof(struct sk_darc), ctx, name, depth, next);

    if (h == NULL)
        return NULL;
    h->head = SK_DARC_HEAD;
    h->is = sk_darc_is, h->read = sk_darc_end, h->release = sk_darc_release;
    h->unread = sk_darc_image;
    return &h->sink;
}

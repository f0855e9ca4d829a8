/* dlp_zip.c - zip / Office Open XML uploads through the core zip walker
 * (sekisho/decode.h, icap-server/core/sk_container.c): each entry becomes
 * its own object chain, chosen by its bytes (a zip in a zip is walked
 * too) and its name (XML parts); the central directory, a comment and
 * any bytes appended after the archive are one more object (read as text,
 * and searched for a zip that follows). A zip that does not start its
 * object (after a self-extractor stub, in a tar, after junk: every unzip
 * tool opens it) is found by the late finder from a plausible local
 * header (sk_zip_local_plausible) and walked from there.
 * SECURITY: client-controlled archives. Output is charged to the
 * decompression budget and held to the decompression guard per entry and
 * per archive (sk_zip_guard: a zip of deflate bombs is dlp.on-limit after
 * ~1 MiB of each, as a .gz bomb); encrypted entries, unknown methods and entries
 * the walker cannot delimit are recorded for dlp.on-error - for a zip
 * found after a prefix only once an archive end ("PK\5\6") followed it,
 * so random bytes that happen to look like a header block nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sekisho/decode.h>
#include <sekisho/text.h>

#include "dlp.h"

struct sk_zip_sink {
    struct sk_dlp_sink sink;
    struct sk_dlp_ctx *ctx;
    int depth;
    char archive[48];
    struct sk_zip *zip;
    struct sk_dlp_sink *entry; /* current entry's chain, or NULL */
    int over;                  /* the budget ran out: the rest is not read */
    int bombed;                /* the decompression guard stopped the walk */
    struct sk_dlp_sink *raw;   /* headers, names, extra fields, skipped data: as text */
    int late;                  /* found after a prefix: failures wait for an archive end */
    const char *pending;       /* the first failure of a late zip, not yet recorded */
    unsigned pend_enc, pend_skip;
    /* the central directory check (sk_zs_cd): the local headers read, and
     * the bytes from the tail on (the directory and end record) */
    struct sk_zip_seen seen;
    int in_tail, tail_over, oom;
    int framed; /* one record framed by sk_zs_cd_entry: its parent checks the directory */
    struct sk_buf tail;
    uint64_t written;
    /* the last SK_ZS_RING bytes written: an archive whose directory sits
     * inside an entry that runs to the end (nothing reaches the tail) */
    unsigned char *ring;
};

#define SK_ZS_RING (128u << 10)

/* Tail bytes kept for the directory check: its records (~100 bytes per
 * entry) and the end record; an archive with more is dlp.on-error. */
#define SK_ZS_CD_MAX (4u << 20)

static void sk_zs_undecodable(struct sk_zip_sink *z, const char *why, int enc, int skip)
{
    if (!z->late) {
        z->ctx->encrypted += (unsigned)enc;
        z->ctx->skipped += (unsigned)skip;
        sk_dlp_undecodable(z->ctx, why);
        return;
    }
    z->pend_enc += (unsigned)enc;
    z->pend_skip += (unsigned)skip;
    if (!z->pending)
        z->pending = why;
}

static int sk_zs_begin(void *arg, const struct sk_zip_entry *e)
{
    struct sk_zip_sink *z = arg;
    char where[320];

    snprintf(where, sizeof(where), "%s%s%s", z->archive, *z->archive ? ":" : "", e->name);
    sk_dlp_engine_where(z->ctx->e, where);
    sk_zip_seen_add(&z->seen, e, 0);
    if (e->encrypted || e->unsupported) {
        sk_zs_undecodable(
            z, e->encrypted ? "encrypted archive entry" : "archive entry with an unknown method",
            e->encrypted, e->unsupported);
        return 0;
    }
    z->entry = sk_dlp_object_new(z->ctx, NULL, e->name, z->depth + 1);
    return z->entry ? 1 : -1;
}

/* Entry data: stored bytes or inflated output, charged to the budget. */
static int sk_zs_data(void *arg, const void *buf, size_t len)
{
    struct sk_zip_sink *z = arg;

    if (z->in_tail && !z->tail_over) {
        if (z->tail.len + len > SK_ZS_CD_MAX)
            z->tail_over = 1;
        else
            sk_buf_append(&z->tail, buf, len);
    }
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
    z->in_tail = 1;
    /* an object of its own: text, and a zip that may follow (a second
     * archive appended, or the real one after a header cut off) */
    z->entry = sk_dlp_object_new(z->ctx, NULL, NULL, z->depth + 1);
    return z->entry ? 0 : -1;
}

/* The archive's own bytes (sk_zip_handler.raw): a name, an extra field
 * or an entry the walk does not read carries text like any other bytes. */
static int sk_zs_raw(void *arg, const void *buf, size_t len)
{
    struct sk_zip_sink *z = arg;

    if (!z->raw && !(z->raw = sk_dlp_norm_new(z->ctx, NULL)))
        return -1;
    return sk_dlp_put(z->raw, buf, len);
}

static int sk_zs_write(struct sk_dlp_sink *s, const unsigned char *p, size_t n)
{
    struct sk_zip_sink *z = (struct sk_zip_sink *)s;

    if (z->bombed)
        return 0;
    if (!z->ring && !(z->ring = malloc(SK_ZS_RING)))
        z->oom = 1;
    if (z->ring) { /* byte K of the stream at ring[K % SK_ZS_RING] */
        const unsigned char *q = n > SK_ZS_RING ? p + n - SK_ZS_RING : p;
        uint64_t at = z->written + (uint64_t)(q - p);
        size_t left = n - (size_t)(q - p);
        while (left) {
            size_t o = (size_t)(at % SK_ZS_RING), k = SK_ZS_RING - o < left ? SK_ZS_RING - o : left;
            memcpy(z->ring + o, q, k);
            q += k, at += k, left -= k;
        }
    }
    z->written += n;
    if (sk_zip_write(z->zip, p, n) == 0)
        return 0;
    if (!sk_zip_stats(z->zip)->bomb)
        return -1;
    /* an entry, or the entries together, beyond the decompression guard:
     * dlp.on-limit, as for a .gz bomb; nothing more of it is read */
    z->ctx->limit = z->ctx->bomb = 1;
    z->over = z->bombed = 1;
    return 0;
}

static struct sk_dlp_sink *sk_zs_new(struct sk_dlp_ctx *ctx, const char *name, int depth,
                                     int framed);

/* The kept bytes a directory check reads: P[0..N) is the stream from
 * offset BASE on. */
struct sk_zs_kept {
    struct sk_zip_sink *z;
    const unsigned char *p;
    size_t n;
    uint64_t base;
};

/* A record that disagrees with the walk (sk_zip_cd_agrees) is read the way
 * the directory describes it, as virus_scan does, when its header and data
 * are still here (a second archive appended, an entry hidden at the end):
 * framed by sk_zip_cd_header and walked as an archive of one entry. One
 * whose bytes streamed past is what the walk cannot read any more: -1. */
static int sk_zs_cd_entry(void *arg, const struct sk_zip_cd_entry *e)
{
    struct sk_zs_kept *k = arg;
    struct sk_zip_sink *z = k->z;
    unsigned char hdr[30 + 255 + 20];
    char name[256];

    if (sk_zip_cd_agrees(&z->seen, e))
        return 0;
    if (e->local < k->base || e->local - k->base > k->n)
        return -1; /* gone, or not there at all (modulo 2^64) */
    uint64_t at = e->local - k->base;
    const unsigned char *l = k->p + at;
    if (k->n - at < 30 || memcmp(l, "PK\3\4", 4) != 0)
        return -1;
    size_t nl = (size_t)(l[26] | l[27] << 8), xl = (size_t)(l[28] | l[29] << 8);
    if (at + 30 + nl + xl > k->n)
        return -1;
    uint64_t data = at + 30 + nl + xl;
    /* a size past the end: extractors decode what is there */
    struct sk_zip_cd_entry r = *e;
    if (r.csize > k->n - data)
        r.csize = k->n - data;
    snprintf(name, sizeof(name), "%.*s", (int)(nl < 255 ? nl : 255), (const char *)l + 30);
    size_t hl = sk_zip_cd_header(&r, name, hdr);
    struct sk_dlp_sink *one = sk_zs_new(z->ctx, z->archive, z->depth, 1);
    if (!one) {
        z->oom = 1;
        return -1;
    }
    int rc = sk_dlp_put(one, hdr, hl) == -1 ||
                     sk_dlp_put(one, k->p + data, (size_t)r.csize) == -1 || one->end(one) == -1
                 ? -1
                 : 0;
    one->destroy(one);
    if (rc == -1)
        z->oom = 1;
    return rc;
}

/* Extractors read an archive by its central directory, this walk by its
 * local headers: each directory record must describe an entry the walk
 * read as it is (sk_zip_cd_agrees), else what an extractor gets was not
 * read - a header that says "stored, 0 bytes" before deflated data, an
 * entry only the directory lists (hidden in another's data). A record
 * whose bytes are still kept (the tail, the last SK_ZS_RING bytes) is read
 * as the directory says (sk_zs_cd_entry); one whose bytes streamed past
 * is dlp.on-error, as is a directory this cannot check (outside the kept
 * bytes, or over SK_ZS_CD_MAX). */
static void sk_zs_cd(struct sk_zip_sink *z, const struct sk_zip_stats *st)
{
    const char *why = NULL;
    long rc;

    if (!z->in_tail) {
        /* the body ended inside an entry (an upload cut short, or one
         * entry said to run to the end with the directory in it): its
         * last bytes decide */
        size_t len = z->written < SK_ZS_RING ? (size_t)z->written : SK_ZS_RING;
        unsigned char *lin = z->ring ? malloc(len ? len : 1) : NULL;
        if (!lin) {
            why = z->written ? "out of memory checking an archive's directory" : NULL;
        } else {
            size_t from = (size_t)((z->written - len) % SK_ZS_RING), k = SK_ZS_RING - from;
            if (k > len)
                k = len;
            memcpy(lin, z->ring + from, k);
            memcpy(lin + k, z->ring, len - k);
            struct sk_zs_kept kept = {z, lin, len, z->written - len};
            rc = sk_zip_cd_each(lin, len, kept.base, sk_zs_cd_entry, &kept);
            free(lin);
            if (rc == -2 || rc == -3)
                why = "archive directory inside an entry (an extractor reads other data)";
        }
    } else if (z->tail_over || z->tail.failed || z->oom || z->seen.oom) {
        why = "archive directory too large to check against its entries";
    } else {
        struct sk_zs_kept kept = {z, (const unsigned char *)z->tail.data, z->tail.len,
                                  z->written - st->tail_bytes};
        rc = sk_zip_cd_each(kept.p, kept.n, kept.base, sk_zs_cd_entry, &kept);
        if (rc == -2)
            why = "archive directory outside the archive's end";
        else if (rc == -3)
            why = "archive directory disagrees with its entries (an extractor reads other data)";
    }
    if (!why && z->oom)
        why = "out of memory checking an archive's directory";
    if (why)
        sk_zs_undecodable(z, why, 0, 0);
}

static int sk_zs_finish(struct sk_dlp_sink *s)
{
    struct sk_zip_sink *z = (struct sk_zip_sink *)s;
    const struct sk_zip_stats *st;

    if (sk_zip_end(z->zip) == -1 || (z->raw && z->raw->end(z->raw) == -1))
        return -1;
    st = sk_zip_stats(z->zip);
    if (!z->framed && !z->bombed) /* a stopped walk checks nothing */
        sk_zs_cd(z, st);
    z->ctx->zstd_broken += st->undecoded;
    if ((st->corrupt || st->lost_sync) && !z->over)
        sk_zs_undecodable(
            z, st->corrupt ? "corrupt or truncated archive" : "archive entry of unknown length", 0,
            0);
    return 0;
}

/* A late zip's failures count once an archive end followed its header. */
static void sk_zs_commit(struct sk_zip_sink *z)
{
    if (z->pending) {
        z->late = 0;
        sk_zs_undecodable(z, z->pending, (int)z->pend_enc, (int)z->pend_skip);
    }
}

static void sk_zs_destroy(struct sk_dlp_sink *s)
{
    struct sk_zip_sink *z = (struct sk_zip_sink *)s;

    if (z->entry)
        z->entry->destroy(z->entry);
    if (z->raw)
        z->raw->destroy(z->raw);
    sk_zip_free(z->zip);
    sk_zip_seen_free(&z->seen);
    sk_buf_free(&z->tail);
    free(z->ring);
    free(z);
}

static struct sk_dlp_sink *sk_zs_new(struct sk_dlp_ctx *ctx, const char *name, int depth,
                                     int framed)
{
    struct sk_zip_sink *z = calloc(1, sizeof(*z));
    struct sk_zip_handler h = {sk_zs_begin, sk_zs_data, sk_zs_end, sk_zs_tail, z, sk_zs_raw};

    if (z == NULL)
        return NULL;
    z->sink =
        (struct sk_dlp_sink){.write = sk_zs_write, .end = sk_zs_finish, .destroy = sk_zs_destroy};
    z->ctx = ctx;
    z->depth = depth;
    z->framed = framed;
    snprintf(z->archive, sizeof(z->archive), "%s", name ? name : "");
    if (!(z->zip = sk_zip_new(&h))) {
        free(z);
        return NULL;
    }
    /* the budget bounds the transaction, the guard each entry and archive */
    const struct sk_decode_limits lim = {
        .out_max = UINT64_MAX, .ratio = ctx->decode_ratio, .floor = ctx->decode_floor};
    sk_zip_guard(z->zip, &lim);
    return &z->sink;
}

struct sk_dlp_sink *sk_dlp_zip_new(struct sk_dlp_ctx *ctx, const char *name, int depth)
{
    return sk_zs_new(ctx, name, depth, 0);
}

/* ---- a zip that does not start its object ---- */

#define SK_LZ_HOLD (30 + 1024) /* a local header and the longest plausible name */

/* A splitter in front of an object's text reader: the bytes before a
 * plausible local header go to the text reader, the header and all after
 * it to the zip walk (entries, the archive's own bytes, the tail: every
 * byte is read once, by one reader, so the two never take turns in the
 * text window). Bytes that may still begin a header are held back until
 * that is known, so where the split falls does not depend on how the
 * client cut its writes. */
struct sk_late {
    struct sk_dlp_sink sink;
    struct sk_dlp_ctx *ctx;
    int depth;
    struct sk_dlp_sink *text; /* the object's text reader (owned) */
    /* from a candidate "PK\3\4" on, or a tail that may begin one */
    unsigned char hold[SK_LZ_HOLD];
    size_t nhold;
    struct sk_zip_sink *zip; /* walking from the plausible header on */
    int found;               /* a plausible header was found */
    int eocd;                /* ... and an archive end came after it */
    unsigned char last[3];   /* the last bytes after it, for an end split */
    size_t nlast;
    /* the last bytes, for a 7z or rar signature or header split */
    unsigned char sfx[SK_SFX_HEAD - 1];
    size_t nsfx;
    int sfx_seen;
    uint64_t sfx_off; /* bytes before the write: an archive at 0 is dlp_arc.c's */
};

/* Watch the bytes after the header for an end of central directory. */
static void sk_late_watch(struct sk_late *l, const unsigned char *p, size_t n)
{
    unsigned char join[6];
    size_t k = n < 3 ? n : 3;

    if (l->eocd || n == 0)
        return;
    memcpy(join, l->last, l->nlast);
    memcpy(join + l->nlast, p, k);
    if (memmem(join, l->nlast + k, "PK\5\6", 4) || memmem(p, n, "PK\5\6", 4))
        l->eocd = 1;
    /* keep the last 3 bytes of (last + p) */
    if (n >= 3) {
        memcpy(l->last, p + n - 3, 3);
        l->nlast = 3;
    } else {
        size_t keep = l->nlast + n > 3 ? 3 - n : l->nlast;
        memmove(l->last, l->last + l->nlast - keep, keep);
        memcpy(l->last + keep, p, n);
        l->nlast = keep + n;
    }
}

/* Bytes from the header on: to the walk (too deep to walk: to the text
 * reader, which then reads on), watched for the archive end. */
static int sk_late_feed(struct sk_late *l, const unsigned char *p, size_t n)
{
    sk_late_watch(l, p, n);
    if (l->zip)
        return sk_zs_write(&l->zip->sink, p, n);
    return sk_dlp_put(l->text, p, n);
}

/* The first SIG (LEN bytes) in P[0..N), or NULL: memchr's speed for its
 * rare first byte ('P', '7', 'R'; memmem took 8% of the DLP benchmark's
 * time on text, and its set-up more than the search on a URL's bytes). */
static const unsigned char *sk_late_find(const unsigned char *p, size_t n, const char *sig,
                                         size_t len)
{
    for (const unsigned char *q = p;
         n >= len && (q = memchr(q, sig[0], n - (len - 1) - (size_t)(q - p))) != NULL; q++)
        if (memcmp(q, sig, len) == 0)
            return q;
    return NULL;
}

static const unsigned char *sk_pk34(const unsigned char *p, size_t n)
{
    return sk_late_find(p, n, "PK\3\4", 4);
}

/* The first K held bytes are text: to the text reader. */
static int sk_late_release(struct sk_late *l, size_t k)
{
    if (k == 0)
        return 0;
    if (sk_dlp_put(l->text, l->hold, k) == -1)
        return -1;
    memmove(l->hold, l->hold + k, l->nhold - k);
    l->nhold -= k;
    return 0;
}

/* Decide what the held bytes are: text, a plausible header (the walk
 * starts), or not known yet (a candidate whose header or name is not all
 * in, or a tail that may begin "PK\3\4"). */
static int sk_late_scan(struct sk_late *l)
{
    for (;;) {
        const unsigned char *k = sk_pk34(l->hold, l->nhold);
        if (!k) {
            /* keep the longest tail that may begin the signature */
            size_t keep = 0;
            for (size_t t = l->nhold < 3 ? l->nhold : 3; t > 0 && !keep; t--)
                if (!memcmp(l->hold + l->nhold - t, "PK\3", t))
                    keep = t;
            return sk_late_release(l, l->nhold - keep);
        }
        if (sk_late_release(l, (size_t)(k - l->hold)) == -1)
            return -1;
        int pl = sk_zip_local_plausible(l->hold, l->nhold);
        if (pl == -1)
            return 0; /* the header or its name is not all in yet */
        if (pl == 0) {
            if (sk_late_release(l, 1) == -1)
                return -1;
            continue;
        }
        l->found = 1;
        if (l->depth < SK_DLP_MAX_DEPTH) {
            struct sk_dlp_sink *s = sk_dlp_zip_new(l->ctx, NULL, l->depth);
            if (!s)
                return -1;
            l->zip = (struct sk_zip_sink *)s;
            l->zip->late = 1;
        }
        size_t n = l->nhold;
        l->nhold = 0;
        return sk_late_feed(l, l->hold, n); /* hold may already reach the end */
    }
}

/* Does P[0..N) hold the 6 bytes SIG? */
static int sk_late_has(const unsigned char *p, size_t n, const char *sig)
{
    return sk_late_find(p, n, sig, 6) != NULL;
}

/* A 7z or rar archive after a prefix (a self-extractor's program stub):
 * 7-Zip and unrar open one they find by its signature and a header that
 * checks (sk_sfx_archive_at: the signatures alone are in every program
 * that reads those formats), and nothing here reads one there, so it is
 * dlp.on-error (one at the object's start dlp_arc.c reads with
 * libarchive). The last SK_SFX_HEAD - 1 bytes of a write wait for the next
 * (a signature or header split by it). */
static const struct {
    const char *sig, *why;
} sk_late_sigs[] = {{"7z\xbc\xaf\x27\x1c", "a 7z archive after a prefix (not read)"},
                    {"Rar!\x1a\x07", "a rar archive after a prefix (not read)"}};

/* What archive starts at a signature at P[FROM..TO) (offsets in P, which
 * holds N bytes), or NULL. */
static const char *sk_late_sfx_in(const unsigned char *p, size_t n, size_t from, size_t to)
{
    for (size_t i = 0; i < sizeof(sk_late_sigs) / sizeof(sk_late_sigs[0]); i++)
        for (const unsigned char *q = p + from;
             from < n && (q = sk_late_find(q, n - (size_t)(q - p), sk_late_sigs[i].sig, 6)) &&
             (size_t)(q - p) < to;
             q++)
            if (sk_sfx_archive_at(q, n - (size_t)(q - p)) == 1)
                return sk_late_sigs[i].why;
    return NULL;
}

static void sk_late_sfx(struct sk_late *l, const unsigned char *p, size_t n)
{
    unsigned char j[sizeof(l->sfx) + SK_SFX_HEAD];
    size_t k = n < SK_SFX_HEAD ? n : SK_SFX_HEAD;
    const char *why;

    if (l->sfx_seen || n == 0)
        return;
    /* the signatures that start in the kept bytes, read on into P */
    memcpy(j, l->sfx, l->nsfx);
    memcpy(j + l->nsfx, p, k);
    why = sk_late_sfx_in(j, l->nsfx + k, l->sfx_off == l->nsfx, l->nsfx);
    if (!why)
        why = sk_late_sfx_in(p, n, l->sfx_off == 0, n);
    if (why) {
        sk_dlp_undecodable(l->ctx, why);
        l->sfx_seen = 1;
        return;
    }
    /* keep the last bytes of (sfx + p) */
    if (n >= sizeof(l->sfx)) {
        memcpy(l->sfx, p + n - sizeof(l->sfx), sizeof(l->sfx));
        l->nsfx = sizeof(l->sfx);
    } else {
        size_t keep = l->nsfx + n > sizeof(l->sfx) ? sizeof(l->sfx) - n : l->nsfx;
        memmove(l->sfx, l->sfx + l->nsfx - keep, keep);
        memcpy(l->sfx + keep, p, n);
        l->nsfx = keep + n;
    }
    l->sfx_off += n;
}

static int sk_late_write(struct sk_dlp_sink *s, const unsigned char *p, size_t n)
{
    struct sk_late *l = (struct sk_late *)s;

    sk_late_sfx(l, p, n);

    while (n > 0 && !l->found) {
        size_t take = SK_LZ_HOLD - l->nhold < n ? SK_LZ_HOLD - l->nhold : n;
        memcpy(l->hold + l->nhold, p, take);
        l->nhold += take, p += take, n -= take;
        if (sk_late_scan(l) == -1)
            return -1;
    }
    return n ? sk_late_feed(l, p, n) : 0;
}

static int sk_late_end(struct sk_dlp_sink *s)
{
    struct sk_late *l = (struct sk_late *)s;
    int rc = 0;

    /* held bytes that never became a header are text */
    if (!l->found && sk_late_release(l, l->nhold) == -1)
        rc = -1;
    if (l->text->end(l->text) == -1)
        rc = -1;
    if (l->zip) {
        if (sk_zs_finish(&l->zip->sink) == -1)
            rc = -1;
        if (l->eocd)
            sk_zs_commit(l->zip);
    } else if (l->found && l->eocd) {
        sk_dlp_undecodable(l->ctx, "archives nested too deeply");
    }
    return rc;
}

static void sk_late_destroy(struct sk_dlp_sink *s)
{
    struct sk_late *l = (struct sk_late *)s;

    if (l->zip)
        sk_zs_destroy(&l->zip->sink);
    l->text->destroy(l->text);
    free(l);
}

int sk_dlp_late_zip_wants(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < sizeof(sk_late_sigs) / sizeof(sk_late_sigs[0]); i++)
        if (sk_late_has(p, n, sk_late_sigs[i].sig))
            return 1;
    return sk_pk34(p, n) != NULL;
}

struct sk_dlp_sink *sk_dlp_late_zip_new(struct sk_dlp_ctx *ctx, int depth, struct sk_dlp_sink *text)
{
    struct sk_late *l;

    if (!text)
        return NULL;
    if (!(l = calloc(1, sizeof(*l)))) {
        text->destroy(text);
        return NULL;
    }
    l->sink = (struct sk_dlp_sink){
        .write = sk_late_write, .end = sk_late_end, .destroy = sk_late_destroy};
    l->ctx = ctx;
    l->depth = depth;
    l->text = text;
    return &l->sink;
}

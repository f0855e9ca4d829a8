/* vs_walk_arc.c - what libclamav frames otherwise or not at all, read by
 * the walk through the toolkit's readers (sekisho/decode.h): tar members
 * whose size a pax record or a base-256 field gives (GNU tar, tarfile and
 * bsdtar extract them; libclamav takes the octal field and loses the
 * archive from there), ar archives (.deb packages: libclamav has no ar
 * reader), gzip/bzip2/xz/zstd streams after a prefix (makeself installers,
 * shell archives, junk before a .gz: the walk and the engine look at
 * offset 0 only), and other containers after a prefix: LHA archives
 * (self-extractors: libclamav reads LHA at offset 0 only) are scanned
 * from their first header, squashfs images and lzop files that nobody
 * decodes (an AppImage's runtime before its image) are av.on-error as at
 * offset 0.
 * SECURITY: client-controlled bytes. Members are views into the object
 * (no copy); each counts against av.max-files, and what the engine is
 * asked to scan anew (alt-sized tar members, ar members, decompressed
 * streams) against av.max-scan-size; nesting by SK_VS_WALK_DEPTH. A
 * stream candidate that does not decode is no stream (no verdict: random
 * binaries hold such bytes), but more than SK_VS_STREAM_BAD of them is
 * av.on-limit, so decoys cannot hide the stream after them.
 */
#include <stdio.h>
#include <string.h>

#include <sekisho/decode.h>

#include "vs_internal.h"
#include "vs_walk.h"

#define SK_VS_STREAM_BAD 64 /* candidates that did not decode, per walk */
#define SK_VS_LHA_MAX    16 /* LHA archives after a prefix, per object */

static int sk_vs_arc_member(struct sk_vs_walk *w, uint64_t len)
{
    char why[160];

    if (++w->files > w->lim->max_files) {
        snprintf(why, sizeof(why), "more than %llu archive members (av.max-files)",
                 (unsigned long long)w->lim->max_files);
        sk_vs_walk_stop(w, SK_VS_LIMIT, "Sekisho.Limits.Exceeded.MaxFiles", why);
        return -1;
    }
    if (len > w->budget) {
        snprintf(why, sizeof(why),
                 "archive members and decompressed streams exceed av.max-scan-size "
                 "(%llu bytes)",
                 (unsigned long long)w->max_size);
        sk_vs_walk_stop(w, SK_VS_LIMIT, "av-limit:max-scan-size", why);
        return -1;
    }
    w->budget -= len;
    return 0;
}

/* ---- tar ---- */

struct sk_vs_tarw {
    struct sk_vs_walk *w;
    struct sk_tar t;
    int depth;
    const unsigned char *at; /* the open member's bytes (one view: the tar is fed whole) */
    size_t len;
    int alt; /* the engine lost the archive at this member or before */
    char name[128];
};

static int sk_vs_tar_begin(void *arg, const char *name, char type, uint64_t size)
{
    struct sk_vs_tarw *a = arg;

    /* pax records and GNU long names are headers, not members */
    if (size == 0 || type == 'x' || type == 'X' || type == 'g' || type == 'L' || type == 'K')
        return 0;
    a->alt = a->t.alt_sized;
    a->at = NULL;
    a->len = 0;
    snprintf(a->name, sizeof(a->name), "%s", name);
    return 1;
}

static int sk_vs_tar_data(void *arg, const void *buf, size_t len)
{
    struct sk_vs_tarw *a = arg;

    if (!a->at)
        a->at = buf;
    a->len += len;
    return 0;
}

/* A member: one the engine framed as we do is read by our decoders only
 * (a compressed file, a tar, an ar, streams in it); from the first member
 * a pax or base-256 size framed on, each is an object of its own. */
static int sk_vs_tar_end(void *arg)
{
    struct sk_vs_tarw *a = arg;
    struct sk_vs_walk *w = a->w;
    int d = a->depth + 1;

    if (!a->at)
        return 0;
    if (d >= SK_VS_WALK_DEPTH)
        return a->alt ? sk_vs_walk_deep(w, "a tar member framed by a pax or base-256 size", d) : 0;
    if (a->alt)
        return sk_vs_arc_member(w, a->len) == -1
                   ? -1
                   : sk_vs_walk_object(w, a->at, a->len, d, NULL, a->name);
    if (sk_vs_opaque_packed(sk_container_sniff(a->at, a->len)))
        return 0; /* the engine copied it out: sk_vs_walk_inner read it */
    int rc = sk_vs_walk_packed(w, a->at, a->len, d, a->name);
    if (rc == 0)
        rc = sk_vs_walk_arc(w, a->at, a->len, d, a->name, NULL);
    /* its text as readers read it (JSON strings, scripts, base64 runs): a
     * member the engine scanned as bytes only (red team s20: EICAR as a
     * JSON string in a tar passed) */
    return rc == 0 ? sk_vs_walk_b64(w, a->at, a->len, d, NULL, a->name) : rc;
}

/* The tar P: 1 when its members covered it (read to the end block or cut
 * short), 0 when it is none, -1 (w->rep). A header that is none after the
 * first (a malformed pax record, two sizes, a bad checksum) is
 * av.on-error: extractors disagree on what follows, and GNU tar goes on
 * to the next header it finds. */
static int sk_vs_arc_tar(struct sk_vs_walk *w, const unsigned char *p, size_t n, int depth)
{
    struct sk_vs_tarw a = {.w = w, .depth = depth};
    struct sk_tar_handler h = {sk_vs_tar_begin, sk_vs_tar_data, sk_vs_tar_end, &a};
    int rc;

    if (n < 512 || !sk_tar_header_ok(p))
        return 0;
    sk_tar_init(&a.t, &h);
    rc = sk_tar_write(&a.t, p, n);
    if (rc == SK_TAR_OK)
        rc = sk_tar_end(&a.t);
    if (rc == SK_TAR_STOP || w->rep.result != SK_VS_CLEAN)
        return -1;
    if (rc == SK_TAR_SHORT && a.t.reading && sk_vs_tar_end(&a) == -1)
        return -1; /* cut inside a member: what there is of it */
    if (rc == SK_TAR_CORRUPT) {
        sk_vs_walk_stop(w, SK_VS_ERROR, "av-error",
                        "tar archive with a header that is none (a bad checksum, size or pax "
                        "record): extractors disagree on what follows");
        return -1;
    }
    return 1;
}

/* ---- ar (.deb) ---- */

struct sk_vs_arw {
    struct sk_vs_walk *w;
    int depth;
    const char *what;  /* sk_vs_state_member's: "an LHA member" */
    const char *check; /* what a member that decodes differently fails */
    int unseen;        /* the engine never saw the members' bytes */
};

static int sk_vs_ar_member(void *arg, const char *name, const unsigned char *p, size_t n)
{
    struct sk_vs_arw *a = arg;

    if (n == 0)
        return 0;
    if (a->depth + 1 >= SK_VS_WALK_DEPTH)
        return sk_vs_walk_deep(a->w, a->what ? a->what : "an ar archive", a->depth + 1);
    if (sk_vs_arc_member(a->w, n) == -1)
        return -1;
    return sk_vs_walk_object(a->w, p, n, a->depth + 1, NULL, name);
}

/* Each member of the ar archive P as an object of its own (the engine
 * saw them only as the archive's bytes): 1 covered, 0 none, -1. A header
 * that is none leaves the rest to the stream search. */
static int sk_vs_arc_ar(struct sk_vs_walk *w, const unsigned char *p, size_t n, int depth)
{
    struct sk_vs_arw a = {w, depth, NULL, NULL, 1};

    if (!sk_ar_is(p, n))
        return 0;
    int rc = sk_ar_each(p, n, sk_vs_ar_member, &a);
    if (rc == SK_AR_STOP || w->rep.result != SK_VS_CLEAN)
        return -1;
    return rc == SK_AR_CORRUPT ? 0 : 1;
}

/* ---- cpio archives, ISO 9660 images: members libclamav reads in place ---- */

/* A member libclamav scanned in place (a view it hands to nobody, not even
 * as a copy for the walk): what only our decoders find in it - a
 * compressed file at its start (.lzma, zlib, zstd: sk_vs_walk_packed), a
 * tar or ar, its text (base64 runs, data: URLs, scripts), a PDF's streams
 * (red team s22: an HTML smuggling page in an ISO or a cpio, a .lzma in a
 * cpio passed). Zips and streams after a prefix were searched for in the
 * whole archive. */
static int sk_vs_flat_member(void *arg, const char *name, const unsigned char *p, size_t n)
{
    struct sk_vs_arw *a = arg;
    struct sk_vs_walk *w = a->w;
    int d = a->depth + 1;

    if (d >= SK_VS_WALK_DEPTH)
        return sk_vs_walk_deep(w, "a cpio or ISO 9660 member", d);
    if (sk_vs_arc_member(w, n) == -1)
        return -1;
    int rc = sk_vs_walk_packed(w, p, n, d, name);
    if (rc == 0 && sk_vs_arc_wants(p, n))
        rc = sk_vs_walk_arc(w, p, n, d, name, NULL);
    if (rc == 0)
        rc = sk_vs_walk_b64(w, p, n, d, NULL, name);
    if (rc == 0)
        rc = sk_vs_walk_pdf(w, p, n, d, name);
    return rc;
}

/* A member the toolkit decoded (an sk_lha_member_fn's): a member of an
 * LHA archive, which libclamav decodes into memory and hands to nobody
 * (red team s22: an HTML smuggling page, a .lz4 or a .lzma in an .lzh
 * passed), then read as a cpio's member; an object of a git pack, which
 * libclamav does not read at all (red team s22: EICAR in a clone, in a
 * push), then scanned and walked as an ar's member. One that does not
 * decode, or not to what its CRC (its header) says, is av.on-error;
 * LHA's -lh1- to -lh3-, -lzs- and -lz5- (LHarc 1.x, LArc: decades old)
 * are the engine's reading only. */
static int sk_vs_state_member(void *arg, const char *name, const unsigned char *p, size_t n,
                              int state)
{
    struct sk_vs_arw *a = arg;
    char why[192];

    if (state == SK_LHA_UNREAD)
        return 0;
    if (state == SK_LHA_LIMIT) {
        snprintf(why, sizeof(why),
                 "%s decodes beyond av.max-scan-size (%llu bytes) or the decode ratio", a->what,
                 (unsigned long long)a->w->max_size);
        sk_vs_walk_stop(a->w, SK_VS_LIMIT, "av-limit:max-scan-size", why);
        return -1;
    }
    if (state == SK_LHA_CORRUPT) {
        snprintf(why, sizeof(why), "%s that does not decode, or not to what its %s says: %.80s",
                 a->what, a->check, name);
        sk_vs_walk_stop(a->w, SK_VS_ERROR, "av-error", why);
        return -1;
    }
    return a->unseen ? sk_vs_ar_member(arg, name, p, n) : sk_vs_flat_member(arg, name, p, n);
}

/* Each member of the cpio archive, ISO 9660 image, LHA archive or git
 * pack P: 0, or -1 (w->rep). One that does not read to its end leaves the
 * rest to the engine and the stream search. */
static int sk_vs_arc_flat(struct sk_vs_walk *w, const unsigned char *p, size_t n, int depth)
{
    struct sk_vs_arw a = {w, depth, "an LHA member", "CRC", 0};
    struct sk_vs_arw git = {w, depth, "a git pack object", "header", 1};
    const struct sk_decode_limits lim = {
        .out_max = w->budget, .ratio = w->conf->decode_ratio, .floor = w->conf->decode_floor};
    int rc = SK_AR_OK;

    /* every reader whose header is there, each in turn: a git pack with
     * an ISO descriptor at 32 KiB (red team s23), a cpio in an ISO's
     * system area - a file that is both is read both ways */
    if (sk_gitpack_is(p, n)) {
        /* held to the decode ratio, as a compressed stream is */
        rc = sk_gitpack_each(p, n, sk_decode_bound(&lim, n), sk_vs_state_member, &git);
        /* cut short, or its trailer missing: git refuses it, but the
         * objects after the cut, framed otherwise, might be read by it */
        if (rc == SK_AR_SHORT && w->rep.result == SK_VS_CLEAN)
            sk_vs_walk_stop(w, SK_VS_ERROR, "av-error", "a git pack cut short");
    }
    if (rc != SK_AR_STOP && w->rep.result == SK_VS_CLEAN && sk_cpio_is(p, n))
        rc = sk_cpio_each(p, n, sk_vs_flat_member, &a);
    if (rc != SK_AR_STOP && w->rep.result == SK_VS_CLEAN && sk_iso_is(p, n))
        rc = sk_iso_each(p, n, sk_vs_flat_member, &a);
    if (rc != SK_AR_STOP && w->rep.result == SK_VS_CLEAN && sk_vs_lha_extent(p, n))
        rc = sk_lha_each(p, n, sk_decode_bound(&lim, n), sk_vs_state_member, &a);
    return rc == SK_AR_STOP || w->rep.result != SK_VS_CLEAN ? -1 : 0;
}

/* ---- gzip, bzip2, xz, zstd, lz4 after a prefix ---- */

struct sk_vs_sout {
    struct sk_vs_walk *w;
    struct sk_vs_store store;
    int keep; /* 0: only whether it decodes */
};

static int sk_vs_stream_sink(void *arg, const void *buf, size_t len)
{
    struct sk_vs_sout *o = arg;

    o->w->budget -= len; /* within out_max, itself within the budget */
    if (o->keep && sk_vs_store_append(&o->store, buf, len) == -1) {
        sk_vs_walk_stop(o->w, SK_VS_ERROR, "", "cannot keep a decompressed stream for scanning");
        return -1;
    }
    return 0;
}

static const char *sk_vs_stream_name(enum sk_coding c)
{
    return c == SK_CODING_GZIP       ? "gzip"
           : c == SK_CODING_BZIP2    ? "bzip2"
           : c == SK_CODING_ZSTD     ? "zstd"
           : c == SK_CODING_LZ4      ? "lz4"
           : c == SK_CODING_COMPRESS ? ".Z"
                                     : "xz";
}

/* The stream of coding C at P + AT: decoded and scanned as an object of
 * its own. *NEXT: where the search goes on. 0 or -1. */
static int sk_vs_arc_stream(struct sk_vs_walk *w, const unsigned char *p, size_t n, size_t at,
                            enum sk_coding c, int depth, const char *name, size_t *next)
{
    struct sk_vs_sout o = {.w = w, .keep = depth + 1 < SK_VS_WALK_DEPTH};
    const struct sk_vs_conf *cf = w->conf;
    const struct sk_decode_limits lim = {
        .out_max = w->budget, .ratio = cf->decode_ratio, .floor = cf->decode_floor};
    uint64_t out_max = sk_decode_bound(&lim, n - at);
    size_t used = 0;
    char why[320], what[160];
    const unsigned char *q;
    size_t m;
    int rc = 0;

    sk_vs_store_init(&o.store, cf->mem_threshold, cf->tmp_dir);
    int drc = sk_stream_decode(c, p + at, n - at, out_max, &used, sk_vs_stream_sink, &o);
    *next = drc == 1 ? at + used : at + 1;
    if (drc == -1 || drc == 0)
        w->streams_bad++;
    snprintf(what, sizeof(what), "%s stream at offset %zu of %.80s", sk_vs_stream_name(c), at,
             name && *name ? name : "the body");
    if (drc == -2) {
        snprintf(why, sizeof(why),
                 "a %s decompresses beyond av.max-scan-size (%llu bytes) or the decode ratio", what,
                 (unsigned long long)w->max_size);
        sk_vs_walk_stop(w, SK_VS_LIMIT, "av-limit:max-scan-size", why);
        rc = -1;
    } else if (drc == -3) {
        if (w->rep.result == SK_VS_CLEAN)
            sk_vs_walk_stop(w, SK_VS_ERROR, "", "out of memory decompressing a stream");
        rc = -1;
    } else if (w->streams_bad > SK_VS_STREAM_BAD) {
        snprintf(why, sizeof(why),
                 "more than %d gzip, bzip2, xz or zstd headers that do not decode in one object",
                 SK_VS_STREAM_BAD);
        sk_vs_walk_stop(w, SK_VS_LIMIT, "av-limit:streams", why);
        rc = -1;
    } else if (!o.keep) {
        /* deeper than the walk goes: a stream that decodes is a limit, a
         * candidate that does not is no stream */
        rc = drc == 1 ? sk_vs_walk_deep(w, "a compressed stream", depth + 1) : 0;
    } else if (o.store.total > 0) {
        /* what an extractor gets, also from a stream cut short or damaged
         * after its first bytes */
        if (sk_vs_store_view(&o.store, &q, &m) == -1) {
            sk_vs_walk_stop(w, SK_VS_ERROR, "", "cannot map a decompressed stream");
            rc = -1;
        } else {
            rc = sk_vs_walk_object(w, q, m, depth + 1, NULL, what);
        }
    }
    sk_vs_store_free(&o.store);
    return rc;
}

/* Streams in P after its first byte (at offset 0 a gzip, zstd or .Z is
 * the walk's, a bzip2 or xz the engine's). A gzip, zstd or .Z file at the
 * start had its members or frames, and the bytes after them, read by
 * sk_vs_walk_packed already: candidates of its kind are its (a .Z's
 * codes hold "1f 9d" by chance). */
static int sk_vs_arc_streams(struct sk_vs_walk *w, const unsigned char *p, size_t n, int depth,
                             const char *name, const struct sk_magics *mg)
{
    enum sk_ctype t = sk_container_sniff(p, n);
    enum sk_coding own =
        t == SK_CT_GZIP || t == SK_CT_ZSTD || t == SK_CT_COMPRESS ? sk_container_coding(t) : 0;
    enum sk_coding c;
    long at;
    int rc = 0;

    for (size_t from = 1; rc == 0 && (at = sk_stream_find_in(mg, p, n, from, &c)) >= 0;) {
        if (c == own) {
            from = (size_t)at + 1;
            continue;
        }
        rc = sk_vs_arc_stream(w, p, n, (size_t)at, c, depth, name, &from);
    }
    return rc;
}

size_t sk_vs_unread_find(const struct sk_magics *mg, const unsigned char *p, size_t n,
                         const char **kind)
{
    static const struct {
        const char *magic;
        unsigned kind;
    } magic[] = {{"hsqs", SK_MG_SQFS_LE}, {"sqsh", SK_MG_SQFS_BE}, {"\x89LZO", SK_MG_LZOP}};
    const unsigned char *q;

    mg = sk_magics_for(mg, p, n);
    /* each magic over the whole object before the next (the first found
     * is the one reported) */
    for (size_t i = 0; i < sizeof(magic) / sizeof(magic[0]); i++) {
        if (mg) {
            for (size_t k = sk_magics_next(mg, 1, magic[i].kind); k < mg->n;
                 k = sk_magics_after(mg, k, magic[i].kind))
                if ((*kind = sk_container_unread(p + mg->v[k].at, n - mg->v[k].at)) != NULL)
                    return mg->v[k].at;
            continue;
        }
        for (size_t at = 1; at < n && (q = memmem(p + at, n - at, magic[i].magic, 4)); at++) {
            at = (size_t)(q - p);
            if ((*kind = sk_container_unread(q, n - at)) != NULL)
                return at;
        }
    }
    return SIZE_MAX;
}

/* Containers after a prefix that the engine reads at offset 0 only (LHA:
 * each archive found is scanned as an object of its own from its first
 * header, so libclamav and the guard read it) or that nobody reads
 * (squashfs, lzop: av.on-error, as sk_vs_guard says at offset 0). An LHA
 * at offset 0 is the engine's: the search starts after its members. */
static int sk_vs_arc_inplace(struct sk_vs_walk *w, const unsigned char *p, size_t n, int depth,
                             const char *name, const struct sk_magics *mg)
{
    const char *obj = name && *name ? name : "the body";
    size_t from = sk_vs_lha_extent(p, n), at, len = 0;
    char why[320], what[160];
    const char *kind;
    unsigned found = 0;
    int rc = 0;

    if ((at = sk_vs_unread_find(mg, p, n, &kind)) != SIZE_MAX) {
        snprintf(why, sizeof(why),
                 "%s at offset %zu of %.80s, which neither libclamav nor Sekisho "
                 "decodes: not scanned",
                 kind, at, obj);
        sk_vs_walk_stop(w, SK_VS_ERROR, "av-error", why);
        return -1;
    }
    if ((kind = sk_disk_image(p, n)) != NULL) {
        snprintf(why, sizeof(why), "%s (%.80s), whose files neither libclamav nor Sekisho reads",
                 kind, obj);
        sk_vs_walk_stop(w, SK_VS_ERROR, "av-error", why);
        return -1;
    }
    for (at = from ? from : 1; rc == 0 && (at = sk_vs_lha_inplace(mg, p, n, at, &len)) != SIZE_MAX;
         at += len) {
        if (++found > SK_VS_LHA_MAX) {
            snprintf(why, sizeof(why), "more than %d LHA archives after a prefix in %.80s",
                     SK_VS_LHA_MAX, obj);
            sk_vs_walk_stop(w, SK_VS_LIMIT, "av-limit:streams", why);
            return -1;
        }
        if (depth + 1 >= SK_VS_WALK_DEPTH)
            return sk_vs_walk_deep(w, "an LHA archive", depth + 1);
        if (!len)
            len = n - at; /* a chain cut short: what follows its header */
        if (sk_vs_arc_member(w, len) == -1)
            return -1;
        snprintf(what, sizeof(what), "LHA archive at offset %zu of %.80s", at, obj);
        rc = sk_vs_walk_object(w, p + at, len, depth + 1, NULL, what);
    }
    return rc;
}

int sk_vs_arc_wants(const unsigned char *p, size_t n)
{
    return (n >= 512 && sk_tar_header_ok(p)) || sk_ar_is(p, n) || sk_cpio_is(p, n) ||
           sk_iso_is(p, n) || sk_vs_lha_extent(p, n) || sk_gitpack_is(p, n) ||
           sk_disk_image(p, n) != NULL;
}

int sk_vs_walk_arc(struct sk_vs_walk *w, const unsigned char *p, size_t n, int depth,
                   const char *name, const struct sk_magics *mg)
{
    struct sk_magics own = {0};
    int rc = sk_vs_arc_tar(w, p, n, depth);

    if (rc == 0)
        rc = sk_vs_arc_ar(w, p, n, depth);
    if (rc == 0)
        rc = sk_vs_arc_flat(w, p, n, depth);
    if (rc == 0)
        mg = sk_vs_magics(mg, p, n, &own);
    if (rc == 0)
        rc = sk_vs_arc_streams(w, p, n, depth, name, mg);
    if (rc == 0)
        rc = sk_vs_arc_inplace(w, p, n, depth, name, mg);
    sk_magics_free(&own);
    return rc < 0 ? -1 : 0;
}

/* vs_walk.c - what virus_scan scans besides the whole body, through the
 * core decoding layer (sekisho/decode.h): each multipart part as a file
 * (decoded from base64/quoted-printable, NULs kept), and each member of a
 * zip found by its bytes, walked by our own streaming reader. libclamav
 * 1.4 returns CLEAN for EICAR deflated in a ZIP64 zip ("central not found,
 * using localhdrs"), so a zip it calls clean gets its members scanned one
 * by one; an archive we cannot walk either gets a failure verdict. In a
 * text object, each run of base64 (the toolkit's sk_b64run) is decoded and
 * scanned as an object of its own: a program a page assembles with
 * atob() (HTML smuggling), a file in a JSON or form upload.
 * SECURITY: client-controlled bodies. Bytes kept per object are bounded
 * by av.max-scan-size over the whole walk, members by av.max-files,
 * nesting by SK_VS_WALK_DEPTH; every stop is a LIMIT/ERROR/ENCRYPTED
 * report the hooks turn into the policy's verdict.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <sekisho/decode.h>

#include "vs_internal.h"

#include "vs_walk.h"

void sk_vs_walk_stop(struct sk_vs_walk *w, enum sk_vs_result r, const char *name, const char *why)
{
    if (w->rep.result != SK_VS_CLEAN)
        return;
    memset(&w->rep, 0, sizeof(w->rep));
    w->rep.result = r;
    snprintf(w->rep.name, sizeof(w->rep.name), "%s", name);
    snprintf(w->rep.why, sizeof(w->rep.why), "%s", why);
}

static int sk_vs_walk_zip(struct sk_vs_walk *w, const unsigned char *p, size_t n, int depth,
                          enum sk_ft_kind *kind, const struct sk_magics *mg);

const struct sk_magics *sk_vs_magics(const struct sk_magics *mg, const unsigned char *p, size_t n,
                                     struct sk_magics *own)
{
    if (mg && mg->p == p && mg->len == n)
        return mg; /* P's, complete or not: a second pass would not do better */
    /* past the cap or out of memory, OWN says so and every search reads P */
    (void)sk_magics_find(own, p, n);
    return own;
}

int sk_vs_walk_deep(struct sk_vs_walk *w, const char *what, int depth)
{
    char why[160];

    snprintf(why, sizeof(why), "%s nested %d levels deep (the walk reads %d)", what, depth,
             SK_VS_WALK_DEPTH - 1);
    sk_vs_walk_stop(w, SK_VS_LIMIT, "av-limit:depth", why);
    return -1;
}

/* One object: the engine (unless av is off), then (if it says clean) our
 * own zip walk; its type is noted once the member names are known. */
int sk_vs_walk_object(struct sk_vs_walk *w, const unsigned char *p, size_t n, int depth,
                      const char *ct, const char *name)
{
    struct sk_vs_report rep = {.result = SK_VS_CLEAN};
    enum sk_ft_kind k = SK_FT_NONE;
    struct sk_vs_inner inner = {0};
    struct sk_vs_limits lim = *w->lim;
    struct sk_magics own = {0};
    int rc = 0;

    /* one pass for the guard's and the walk's searches of P */
    const struct sk_magics *mg = sk_vs_magics(NULL, p, n, &own);
    lim.inner = &inner; /* what the engine extracts from this object for the walk */
    lim.magics = mg;
    if (w->av && w->sc->scan_mem(w->sc->self, p, n, &lim, &rep) == -1) {
        memset(&rep, 0, sizeof(rep));
        rep.result = SK_VS_ERROR;
        snprintf(rep.why, sizeof(rep.why), "scan engine error");
    }
    if (rep.result != SK_VS_CLEAN) {
        sk_vs_inner_free(&inner);
        sk_magics_free(&own);
        w->rep = rep;
        return -1;
    }
    if (w->ft)
        k = sk_ft_sniff(p, n, name);
    unsigned before = w->zip64_walked;
    rc = sk_vs_walk_zip(w, p, n, depth, &k, mg);
    if (rc == 0) /* the engine opened the gzip too: its ZIP64 zips count */
        rc = sk_vs_walk_packed(w, p, n, depth, name);
    if (rc == 0) /* before the ZIP64 count: its zips are walked there */
        rc = sk_vs_walk_inner(w, &inner, depth, name);
    if (rc == 0)
        rc = sk_vs_walk_zip64_check(w, rep.zip64_inner, w->zip64_walked - before);
    if (rc == 0)
        rc = sk_vs_walk_b64(w, p, n, depth, ct, name);
    if (rc == 0)
        rc = sk_vs_walk_arc(w, p, n, depth, name, mg);
    if (rc == 0)
        rc = sk_vs_walk_pdf(w, p, n, depth, name);
    sk_vs_inner_free(&inner);
    sk_magics_free(&own);
    if (w->ft) {
        sk_vs_ft_note(w->ft, k, ct, name);
        sk_vs_ft_note_kinds(w->ft, rep.kinds, name);
    }
    return rc;
}

int sk_vs_digest(const void *p, size_t n, unsigned char id[32])
{
    unsigned len = 0;

    return EVP_Digest(p, n, id, &len, EVP_sha256(), NULL) == 1 && len == 32 ? 0 : -1;
}

static int sk_vs_walk_read(const struct sk_vs_walk *w, const unsigned char id[32])
{
    for (unsigned i = 0; i < w->read_n; i++)
        if (memcmp(w->read_ids[i], id, 32) == 0)
            return 1;
    return 0;
}

/* Note P[0..N) (a zstd file, an inner object) as read by the walk: 0, or
 * -1 (w->rep). */
static int sk_vs_read_note(struct sk_vs_walk *w, const unsigned char *p, size_t n)
{
    if (w->read_n == w->read_cap) {
        unsigned cap = w->read_cap ? w->read_cap * 2 : 8;
        void *v = realloc(w->read_ids, cap * sizeof(*w->read_ids));
        if (!v) {
            sk_vs_walk_stop(w, SK_VS_ERROR, "", "out of memory walking an object");
            return -1;
        }
        w->read_ids = v;
        w->read_cap = cap;
    }
    if (sk_vs_digest(p, n, w->read_ids[w->read_n]) == -1) {
        sk_vs_walk_stop(w, SK_VS_ERROR, "", "cannot hash an object");
        return -1;
    }
    w->read_n++;
    return 0;
}

void sk_vs_walk_free(struct sk_vs_walk *w)
{
    free(w->read_ids);
    w->read_ids = NULL;
    w->read_n = w->read_cap = 0;
}

static int sk_vs_walk_extras(struct sk_vs_walk *w, const unsigned char *p, size_t n, int depth,
                             const char *name);

int sk_vs_walk_inner(struct sk_vs_walk *w, struct sk_vs_inner *in, int depth, const char *name)
{
    char why[192];
    int rc = 0;

    if (in->over) {
        snprintf(why, sizeof(why),
                 "more than %d objects (or av.max-scan-size) inside containers only the "
                 "engine opens",
                 SK_VS_INNER_MAX);
        sk_vs_walk_stop(w, SK_VS_LIMIT, "av-limit:max-files", why);
        rc = -1;
    }
    for (unsigned i = 0; rc == 0 && i < in->n; i++) {
        struct sk_vs_inner_obj *o = &in->v[i];

        if (sk_vs_walk_read(w, o->id))
            continue; /* a zip member or a .gz's content: read already */
        if (depth + 1 >= SK_VS_WALK_DEPTH) {
            rc = sk_vs_walk_deep(w, o->opaque ? "a compressed file" : "an object in an archive",
                                 depth + 1);
        } else if (o->opaque) {
            rc = sk_vs_walk_packed(w, o->data, o->len, depth + 1, name);
        } else if ((rc = sk_vs_read_note(w, o->data, o->len)) == 0) {
            /* the engine scanned it: only what our decoders find is new */
            rc = sk_vs_walk_extras(w, o->data, o->len, depth + 1, name);
        }
    }
    sk_vs_inner_free(in);
    return rc;
}

/* ---- objects collected into a store (parts, members) ---- */

int sk_vs_obj_open(struct sk_vs_obj *o)
{
    sk_vs_store_init(&o->store, o->w->conf->mem_threshold, o->w->conf->tmp_dir);
    o->active = 1;
    return 0;
}

int sk_vs_obj_data(void *arg, const void *buf, size_t len)
{
    struct sk_vs_obj *o = arg;
    char why[160];

    if (!o->active || o->tail)
        return 0;
    if (len > o->w->budget) {
        snprintf(why, sizeof(why),
                 "decoded parts and archive members exceed av.max-scan-size "
                 "(%llu bytes)",
                 (unsigned long long)o->w->max_size);
        sk_vs_walk_stop(o->w, SK_VS_LIMIT, "av-limit:max-scan-size", why);
        return -1;
    }
    o->w->budget -= len;
    if (sk_vs_store_append(&o->store, buf, len) == -1) {
        sk_vs_walk_stop(o->w, SK_VS_ERROR, "", "cannot keep a part or member for scanning");
        return -1;
    }
    return 0;
}

/* A form field (a part without a file name) declared UTF-16: busboy
 * hands it on decoded (its charset parameter names the decoder), so the
 * application gets the text, not the code units: walked as UTF-8 too.
 * 1 UTF-16LE, 2 UTF-16BE (BE, or "UTF-16" with a big-endian BOM), 0 not. */
static int sk_vs_field_utf16(const char *ct, const char *name, const unsigned char *p, size_t n)
{
    char cs[40], iconv_name[40];

    if (*name || !*ct || sk_header_param(ct, "charset", cs, sizeof(cs)) != 0 ||
        sk_charset_lookup(cs, iconv_name, sizeof(iconv_name)) != SK_CS_WIDE ||
        strncasecmp(iconv_name, "UTF-16", 6) != 0)
        return 0;
    if (strcasecmp(iconv_name, "UTF-16BE") == 0 ||
        (strcasecmp(iconv_name, "UTF-16") == 0 && n >= 2 && p[0] == 0xfe && p[1] == 0xff))
        return 2;
    return 1;
}

int sk_vs_obj_end(void *arg)
{
    struct sk_vs_obj *o = arg;
    const unsigned char *p;
    size_t n;
    int rc = 0;

    if (!o->active || o->tail) {
        o->tail = 0;
        return 0;
    }
    if (o->store.total > 0) {
        if (sk_vs_store_view(&o->store, &p, &n) == -1) {
            sk_vs_walk_stop(o->w, SK_VS_ERROR, "", "cannot map a part or member to scan it");
            rc = -1;
        } else {
            rc = sk_vs_walk_object(o->w, p, n, o->depth + 1, o->ct[0] ? o->ct : NULL,
                                   o->name[0] ? o->name : NULL);
            int u16 = rc == 0 ? sk_vs_field_utf16(o->ct, o->name, p, n) : 0;
            unsigned char *u8 = u16 ? malloc(n / 2 * 3 + 4) : NULL;
            if (u16 && !u8) {
                sk_vs_walk_stop(o->w, SK_VS_ERROR, "", "out of memory reading a form field");
                rc = -1;
            } else if (u8) {
                size_t m = sk_utf16_to_utf8(p, n, u16 == 2, u8);
                rc = sk_vs_walk_object(o->w, u8, m, o->depth + 1, "text/plain", NULL);
            }
            free(u8);
        }
    }
    sk_vs_store_free(&o->store);
    o->active = 0;
    return rc;
}

/* ---- zip members ---- */

static int sk_vs_zip_begin(void *arg, const struct sk_zip_entry *e)
{
    struct sk_vs_obj *o = arg;
    char why[192];

    if (++o->w->files > o->w->lim->max_files) {
        snprintf(why, sizeof(why), "more than %llu archive members (av.max-files)",
                 (unsigned long long)o->w->lim->max_files);
        sk_vs_walk_stop(o->w, SK_VS_LIMIT, "Sekisho.Limits.Exceeded.MaxFiles", why);
        return -1;
    }
    if (o->zkind)
        *o->zkind = e->encrypted ? SK_FT_ZIP_ENCRYPTED : sk_ft_zip_member(*o->zkind, e->name);
    if (o->seen)
        sk_zip_seen_add(o->seen, e, o->base);
    if (!o->w->av && (e->encrypted || e->unsupported))
        return 0; /* types only: nothing to read */
    /* Deflate64 (method 9, Windows' Explorer writes it for large files):
     * libclamav inflates it itself (its inflate64) and scans the member;
     * our walk has no decoder for it. Left to the engine, not refused: a
     * clean archive was blocked as av.on-error (red team 8c). */
    if (e->unsupported && !e->encrypted && e->method == SK_ZIP_DEFLATE64)
        return 0;
    if (e->encrypted || e->unsupported) {
        snprintf(why, sizeof(why), "archive member '%.64s' %s", e->name,
                 e->encrypted ? "is encrypted and cannot be scanned"
                              : "uses a compression method that cannot be scanned");
        sk_vs_walk_stop(o->w, e->encrypted ? SK_VS_ENCRYPTED : SK_VS_ERROR,
                        e->encrypted ? "Sekisho.Encrypted.Zip" : "av-error", why);
        return -1;
    }
    sk_vs_obj_open(o);
    o->ct[0] = '\0';
    snprintf(o->name, sizeof(o->name), "%s", e->name);
    return 1;
}

static int sk_vs_zip_tail(void *arg)
{
    ((struct sk_vs_obj *)arg)->tail = 1;
    return 0;
}

int sk_vs_walk_zip64_check(struct sk_vs_walk *w, unsigned engine, unsigned walked)
{
    if (engine <= walked)
        return 0;
    sk_vs_walk_stop(w, SK_VS_ERROR, "av-error",
                    "ZIP64 archive inside a container (gz, 7z, rar...) that cannot be walked "
                    "member by member");
    return -1;
}

/* The members of one zip walked from bytes a walker is given (the
 * archive, or one entry framed as its directory says): stops and failures
 * as the walk reports them. */
static int sk_vs_zip_feed(struct sk_vs_walk *w, struct sk_vs_obj *o, const unsigned char *a,
                          size_t an, const unsigned char *b, size_t bn,
                          const struct sk_zip_stats **out, struct sk_zip **zp)
{
    struct sk_zip_handler h = {
        sk_vs_zip_begin, sk_vs_obj_data, sk_vs_obj_end, sk_vs_zip_tail, o, NULL};
    struct sk_zip *z;
    int rc;

    /* av.max-scan-size is the walk's budget (sk_vs_obj_data), the guard
     * bounds each entry and the archive by their compressed bytes */
    const struct sk_decode_limits lim = {
        .out_max = UINT64_MAX, .ratio = w->conf->decode_ratio, .floor = w->conf->decode_floor};

    if (!(*zp = z = sk_zip_new(&h))) {
        sk_vs_walk_stop(w, SK_VS_ERROR, "", "out of memory walking an archive");
        return -1;
    }
    sk_zip_guard(z, &lim);
    rc = sk_zip_write(z, a, an);
    if (rc == 0 && bn)
        rc = sk_zip_write(z, b, bn);
    if (rc == 0)
        rc = sk_zip_end(z);
    const struct sk_zip_stats *st = *out = sk_zip_stats(z);
    if (st->bomb && w->rep.result == SK_VS_CLEAN) {
        char why[sizeof(w->rep.why)];
        snprintf(why, sizeof(why),
                 "a zip %s decompresses beyond virus_scan.decode-max-ratio (%llu:1 past "
                 "decode-min-bytes): a decompression bomb",
                 st->bomb == 1 ? "entry" : "archive's entries together",
                 (unsigned long long)w->conf->decode_ratio);
        sk_vs_walk_stop(w, SK_VS_LIMIT, "Sekisho.Limits.Exceeded.DecodeRatio", why);
        return -1;
    }
    if (rc == 0 && st->zip64 && (st->corrupt || st->lost_sync)) {
        /* the engine cannot read ZIP64 and neither could we: fail closed */
        sk_vs_walk_stop(w, SK_VS_ERROR, "av-error",
                        "ZIP64 archive that cannot be walked member by member");
        rc = -1;
    }
    if (rc == 0 && st->undecoded) {
        /* libclamav does not read zstd, LZMA or xz entries (and a
         * bzip2 one it may read differently): what we could not
         * decompress nobody scanned */
        sk_vs_walk_stop(w, SK_VS_ERROR, "av-error",
                        "archive member that cannot be decompressed (zstd, bzip2, LZMA or "
                        "xz: corrupt, cut, or a window over the limit)");
        rc = -1;
    }
    return rc;
}

struct sk_vs_cd {
    struct sk_vs_walk *w;
    const unsigned char *p;
    size_t n;
    int depth;
    const struct sk_zip_seen *seen;
};

/* A directory record: a member the walk read as the record says, or one
 * it did not (a local header that says "stored, 0 bytes" before deflated
 * data, another method, a member only the directory lists, hidden inside
 * another's data): that one is read as extractors read it - the header's
 * name and extra lengths, the record's method, flags and size - and
 * scanned. A record whose header or data is not in the object is one no
 * extractor reads. */
static int sk_vs_cd_entry(void *arg, const struct sk_zip_cd_entry *e)
{
    struct sk_vs_cd *c = arg;
    unsigned char hdr[30 + 255 + 20];
    char name[256];
    const unsigned char *l = c->p + e->local;
    const struct sk_zip_stats *st;
    struct sk_zip *z = NULL;

    if (sk_zip_cd_agrees(c->seen, e))
        return 0;
    if (e->local > c->n || c->n - e->local < 30 || memcmp(l, "PK\3\4", 4) != 0)
        return 0;
    size_t nl = (size_t)(l[26] | l[27] << 8), xl = (size_t)(l[28] | l[29] << 8);
    uint64_t data = e->local + 30 + nl + xl;
    if (data > c->n)
        return 0;
    /* a size past the end: extractors decode what is there (a deflate
     * stream ends on its own) */
    struct sk_zip_cd_entry r = *e;
    if (r.csize > c->n - data)
        r.csize = c->n - data;
    snprintf(name, sizeof(name), "%.*s", (int)(nl < 255 ? nl : 255), (const char *)l + 30);
    struct sk_vs_obj o = {.w = c->w, .depth = c->depth};
    size_t hl = sk_zip_cd_header(&r, name, hdr);
    int rc = sk_vs_zip_feed(c->w, &o, hdr, hl, c->p + data, (size_t)r.csize, &st, &z);
    if (o.active)
        sk_vs_store_free(&o.store);
    sk_zip_free(z);
    return rc;
}

/* The zips in P: at its start or after a prefix (sk_zip_find; the prefix
 * was scanned with the whole object), then again in what the walker could
 * not read as entries (a header cut off, a second archive appended): a
 * fake header first must not hide the zip after it. Members are walked
 * and scanned; then the central directory of the archive that ends P is
 * checked against them (sk_vs_cd_entry). */
static int sk_vs_walk_zip(struct sk_vs_walk *w, const unsigned char *p, size_t n, int depth,
                          enum sk_ft_kind *kind, const struct sk_magics *mg)
{
    struct sk_zip_seen seen = {0};
    long at;
    int rc = 0, zips = 0;

    if (depth >= SK_VS_WALK_DEPTH)
        return sk_zip_find_in(mg, p, n, 0) >= 0 ? sk_vs_walk_deep(w, "an archive", depth) : 0;
    for (size_t pos = 0; rc == 0 && pos < n && (at = sk_zip_find_in(mg, p, n, pos)) >= 0;) {
        struct sk_vs_obj o = {.w = w, .depth = depth, .seen = &seen};
        const struct sk_zip_stats *st;
        struct sk_zip *z = NULL;
        size_t len = n - pos - (size_t)at;

        /* only a zip at offset 0 gives the object its type; after a
         * prefix, the type is the prefix's */
        o.zkind = pos == 0 && at == 0 ? kind : NULL;
        o.base = pos + (size_t)at;
        zips++;
        rc = sk_vs_zip_feed(w, &o, p + pos + at, len, NULL, 0, &st, &z);
        if (!z) {
            sk_zip_seen_free(&seen);
            return -1;
        }
        if (rc == 0 && st->zip64)
            w->zip64_walked++;
        /* go on where the tail began (at least one byte on) */
        size_t walked = st->tail_bytes < len ? len - (size_t)st->tail_bytes : 0;
        pos += (size_t)at + (walked ? walked : 1);
        if (o.active)
            sk_vs_store_free(&o.store);
        sk_zip_free(z);
    }
    if (rc == 0 && zips && seen.oom) {
        sk_vs_walk_stop(w, SK_VS_ERROR, "", "out of memory walking an archive");
        rc = -1;
    }
    if (rc == 0 && zips) {
        struct sk_vs_cd c = {w, p, n, depth, &seen};
        rc = sk_zip_cd_each(p, n, 0, sk_vs_cd_entry, &c) == -3 ? -1 : 0;
    }
    sk_zip_seen_free(&seen);
    return rc;
}

int sk_vs_opaque_packed(enum sk_ctype t)
{
    return t == SK_CT_ZSTD || t == SK_CT_LZMA || t == SK_CT_LZIP || t == SK_CT_LZ4 ||
           t == SK_CT_COMPRESS || t == SK_CT_ZLIB;
}

/* libclamav's xz reader knows delta, the BCJ filters x86 to SPARC (4-9)
 * and LZMA2; a block with any other filter (ARM64, which xz 5.4 and 7-Zip
 * 23 write) it gives up on without a word, and what the block holds would
 * go unscanned: the walk decompresses such an xz file itself, as one the
 * engine does not open (red team s22). */
#define SK_VS_XZ_ENGINE (0x3f8ull | 1ull << 0x21)
static int sk_vs_xz_opaque(enum sk_ctype t, const unsigned char *p, size_t n)
{
    return t == SK_CT_XZ && (sk_xz_filters(p, n) & ~SK_VS_XZ_ENGINE) != 0;
}

/* The compressed files the walk decompresses itself: gzip (the engine
 * opens it too, the walk reads the runs and ZIP64 zips inside) and those
 * libclamav does not open at all (sk_vs_opaque_packed). bzip2 and xz the
 * engine opens, and what they hold comes to the walk as the engine's
 * copies (sk_vs_walk_inner). */
static int sk_vs_packed(enum sk_ctype t)
{
    return t == SK_CT_GZIP || sk_vs_opaque_packed(t);
}

static const char *sk_vs_packed_name(enum sk_ctype t)
{
    switch (t) {
    case SK_CT_ZSTD:
        return "zstd";
    case SK_CT_LZMA:
        return "lzma";
    case SK_CT_LZIP:
        return "lzip";
    case SK_CT_LZ4:
        return "lz4";
    case SK_CT_COMPRESS:
        return ".Z";
    case SK_CT_ZLIB:
        return "zlib";
    default:
        return "gzip";
    }
}

int sk_vs_walk_wants(const unsigned char *p, size_t n)
{
    struct sk_magics own = {0};
    const struct sk_magics *mg;
    enum sk_coding c;
    int rc;

    enum sk_ctype t = sk_container_sniff(p, n);
    if (sk_vs_packed(t) || sk_vs_arc_wants(p, n) || sk_container_zlib_cut(t, p, n) ||
        sk_vs_xz_opaque(t, p, n))
        return 1;
    mg = sk_vs_magics(NULL, p, n, &own); /* one pass for both searches */
    rc = sk_zip_find_in(mg, p, n, 0) >= 0 || sk_stream_find_in(mg, p, n, 1, &c) >= 0;
    sk_magics_free(&own);
    return rc || sk_vs_text_wants(p, n);
}
/* ---- compressed files (gzip, zstd) ---- */

/* A compressed file (a .gz, .tar.gz, .zst, .tar.zst download; not a
 * Content-Encoding, which the store undid). libclamav opens gzip when it
 * scans the object, but not what only our walk sees inside - base64 runs,
 * ZIP64 zips (also as tar members): those are walked on the decompressed
 * bytes, which the engine is not asked to scan again, and a corrupt gzip
 * is left to the engine's verdict. libclamav does not open zstd, lzma,
 * lzip or lz4 at all (sk_vs_opaque_packed): their decompressed bytes are
 * an object of their own (engine and walk), one that does not decode is
 * av.on-error (the engine saw only compressed bytes); like anything the
 * walk would open, one nested deeper than it goes is av.on-limit
 * (sk_vs_walk_deep). Bounded by the walk's budget (av.max-scan-size) and
 * the decode ratio. */
int sk_vs_walk_packed(struct sk_vs_walk *w, const unsigned char *p, size_t n, int depth,
                      const char *name)
{
    enum sk_ctype t = sk_container_sniff(p, n);
    /* a zlib stream the sniff did not take (it fails early): what
     * inflated before the error, as a streaming reader hands it out - an
     * object beside the bytes as they are, never av.on-error */
    int cut = sk_container_zlib_cut(t, p, n);
    /* a legacy .lzma has no magic either (sk_container_sniff): what its
     * header does not decode is no verdict, what decoded before it is read */
    int loose = cut || t == SK_CT_LZMA;
    int xz = sk_vs_xz_opaque(t, p, n); /* a filter libclamav does not know */
    struct sk_coding_chain ch = {.c = {cut                     ? SK_CODING_DEFLATE
                                       : sk_vs_packed(t) || xz ? sk_container_coding(t)
                                                               : 0},
                                 .n = 1};
    struct sk_decode_limits lim = {.out_max = w->budget,
                                   .ratio = w->conf->decode_ratio,
                                   .floor = w->conf->decode_floor,
                                   .drop_rest = loose};
    struct sk_vs_obj o = {.w = w, .depth = depth};
    const char *what = cut ? "zlib" : xz ? "xz" : sk_vs_packed_name(t);
    int opaque = cut || xz || sk_vs_opaque_packed(t); /* the engine never saw inside */
    struct sk_decoder *d;
    enum sk_decode_rc drc;
    const unsigned char *q;
    size_t m;
    char why[160];
    int rc = 0;

    if (ch.c[0] == 0)
        return 0;
    if (depth >= SK_VS_WALK_DEPTH) {
        char file[16];
        snprintf(file, sizeof(file), "a %s file", what);
        return sk_vs_walk_deep(w, file, depth);
    }
    if (opaque && sk_vs_read_note(w, p, n) == -1)
        return -1;
    if (!(d = sk_decoder_new(&ch, &lim))) {
        snprintf(why, sizeof(why), "out of memory decompressing a %s file", what);
        sk_vs_walk_stop(w, SK_VS_ERROR, "", why);
        return -1;
    }
    sk_vs_obj_open(&o);
    drc = sk_decoder_feed(d, p, n, 1, sk_vs_obj_data, &o);
    /* members after NUL padding: the engine's gzip reader (zlib's) stops
     * at the padding, Python's gzip reads on - so the engine never saw
     * them: the output is scanned as an object of its own */
    int padded = sk_decoder_padded(d);
    sk_decoder_free(d);
    if (drc == SK_DECODE_LIMIT && w->rep.result == SK_VS_CLEAN) {
        snprintf(why, sizeof(why),
                 "a %s file decompresses beyond av.max-scan-size (%llu bytes) or the "
                 "decode ratio",
                 what, (unsigned long long)w->max_size);
        sk_vs_walk_stop(w, SK_VS_LIMIT, "av-limit:max-scan-size", why);
    }
    if (drc == SK_DECODE_CORRUPT && opaque && !loose) {
        snprintf(why, sizeof(why),
                 "a %s file that cannot be decompressed (corrupt, cut short, or a window "
                 "over the limit)",
                 what);
        sk_vs_walk_stop(w, SK_VS_ERROR, "av-error", why);
    }
    if (w->rep.result != SK_VS_CLEAN || drc == SK_DECODE_FAIL) {
        sk_vs_store_free(&o.store);
        return -1;
    }
    if (o.store.total > 0) {
        if (sk_vs_store_view(&o.store, &q, &m) == -1) {
            snprintf(why, sizeof(why), "cannot map a decompressed %s file", what);
            sk_vs_walk_stop(w, SK_VS_ERROR, "", why);
            rc = -1;
        } else if (opaque || padded) {
            /* as a base64 run's: the engine never saw these bytes in the
             * parent, so their ZIP64 zips are checked in their own walk
             * and must not count for the parent's (sk_vs_walk_b64) */
            unsigned z64 = w->zip64_walked;
            rc = sk_vs_walk_object(w, q, m, depth + 1, NULL, name);
            w->zip64_walked = z64;
        } else {
            rc = sk_vs_walk_extras(w, q, m, depth + 1, name);
        }
    }
    sk_vs_store_free(&o.store);
    return rc;
}

/* What the engine scanned but only our decoders read further (a .gz's
 * content, an object from a container only the engine opens): the zips,
 * the base64 runs and a compressed file in it. */
static int sk_vs_walk_extras(struct sk_vs_walk *w, const unsigned char *p, size_t n, int depth,
                             const char *name)
{
    struct sk_magics own = {0};
    const struct sk_magics *mg = sk_vs_magics(NULL, p, n, &own);
    int rc = sk_vs_walk_zip(w, p, n, depth, NULL, mg);

    if (rc == 0)
        rc = sk_vs_walk_b64(w, p, n, depth, NULL, name);
    if (rc == 0)
        rc = sk_vs_walk_packed(w, p, n, depth, name);
    if (rc == 0)
        rc = sk_vs_walk_arc(w, p, n, depth, name, mg);
    if (rc == 0)
        rc = sk_vs_walk_pdf(w, p, n, depth, name);
    sk_magics_free(&own);
    return rc;
}

/* ---- multipart parts ---- */

static int sk_vs_part_begin(void *arg, const struct sk_mp_part *part)
{
    struct sk_vs_obj *o = arg;

    /* preamble and epilogue are raw bytes the whole-body scan already saw */
    o->tail = part->kind != SK_MP_PART;
    if (o->tail)
        return 0;
    char b[SK_MP_BOUNDARY_MAX + 1];
    if (part->ambiguous) {
        sk_vs_walk_stop(o->w, SK_VS_ERROR, "av-error",
                        "a multipart part whose header fields are not all read or read "
                        "differently (a field past 1 KiB, RFC 2231 sections past 64, two "
                        "Content-Transfer-Encoding fields)");
        return -1;
    }
    if (sk_mp_boundary(part->content_type, b, sizeof(b)) == -2) {
        sk_vs_walk_stop(o->w, SK_VS_ERROR, "av-error",
                        "a multipart part whose boundary readers take differently");
        return -1;
    }
    snprintf(o->ct, sizeof(o->ct), "%s", part->content_type);
    snprintf(o->name, sizeof(o->name), "%s", part->filename);
    return sk_vs_obj_open(o);
}

int sk_vs_walk_multipart(struct sk_vs_walk *w, const unsigned char *p, size_t n,
                         const char *boundary)
{
    struct sk_vs_obj o = {.w = w, .depth = -1}; /* parts are top-level objects */
    struct sk_mp_handler h = {sk_vs_part_begin, sk_vs_obj_data, sk_vs_obj_end, &o, NULL};
    struct sk_mp *m = boundary ? sk_mp_new(boundary, &h) : sk_mp_new_message(&h);
    int rc;

    if (m && boundary) {
        sk_mp_digest(m, w->digest);
        sk_mp_mail(m, w->mail);
    }
    if (!m) {
        sk_vs_walk_stop(w, SK_VS_ERROR, "", "out of memory splitting a multipart body");
        return -1;
    }
    rc = sk_mp_write(m, p, n);
    if (rc == 0)
        rc = sk_mp_end(m);
    w->parts_walked = rc == 0 && sk_mp_parts(m) > 0;
    if (rc == 0 && boundary && w->form && n && !sk_mp_delimited(m)) {
        /* Django reads it as one part, decoded by its Content-Transfer-Encoding */
        sk_vs_walk_stop(w, SK_VS_ERROR, "av-error",
                        "a multipart/form-data body without its boundary");
        rc = -1;
    }
    if (o.active)
        sk_vs_store_free(&o.store);
    sk_mp_free(m);
    return rc;
}

int sk_vs_walk_body(struct sk_vs_walk *w, const unsigned char *p, size_t n, const char *ct,
                    const char *name)
{
    enum sk_ft_kind k = w->ft ? sk_ft_sniff(p, n, name) : SK_FT_NONE;
    struct sk_magics own = {0};
    const struct sk_magics *mg = sk_vs_magics(w->magics, p, n, &own);
    int rc = 0;

    /* a mail message (an .eml up- or downloaded): its parts as a mail
     * reader decodes them, objects of their own - libclamav's own mail
     * reader misses encodings Python's email and mail clients undo (a stray
     * '=' in base64, "=\r" soft breaks, uuencode modes) */
    if (!w->parts_walked && sk_mp_is_message(ct, name, p, n))
        rc = sk_vs_walk_multipart(w, p, n, NULL);
    if (rc == 0)
        rc = sk_vs_walk_zip(w, p, n, 0, &k, mg);

    /* a multipart body's parts were objects of their own (their runs too) */
    if (rc == 0 && !(ct && strncasecmp(ct, "multipart/", 10) == 0))
        rc = sk_vs_walk_b64(w, p, n, 0, ct, name);
    if (rc == 0)
        rc = sk_vs_walk_packed(w, p, n, 0, name);
    /* each part was searched for tars and streams as an object of its own:
     * a search of the whole would decompress a .gz part a second time */
    if (rc == 0 && !w->parts_walked)
        rc = sk_vs_walk_arc(w, p, n, 0, name, mg);
    if (rc == 0 && !w->parts_walked) /* each part was an object: its PDF walked there */
        rc = sk_vs_walk_pdf(w, p, n, 0, name);
    sk_magics_free(&own);

    if (w->ft)
        sk_vs_ft_note(w->ft, k, ct, name);
    return rc;
}

/* dlp_stream.c - gzip, bzip2, xz and zstd streams that do not start their
 * object: a makeself `.run` installer (a shell stub, then a .tar.gz), junk
 * before a .gz, a stream inside a binary. `tail -c +N f | gunzip` and
 * 7-Zip read them; the container path (dlp_body.c) looks at offset 0 only.
 * The filter sits in front of an object's text reader and passes every
 * byte on unchanged; in parallel the toolkit's finder (sk_stream_find,
 * strict headers) marks candidates and each is decoded one stream at a
 * time (sk_stream_dec) into an object of its own (sniffed like any other:
 * a .tar, text) whose text goes to a window of its own (sk_dlp_engine_sub:
 * several streams and the raw text would otherwise cut each other's
 * lines). A stream followed at once by another of its kind (gzip members,
 * pbzip2 streams, zstd frames) goes on in the same object.
 * SECURITY: client-controlled. A candidate that does not decode is no
 * stream (random binaries hold such headers; what it decoded before the
 * error was read, the raw bytes are text too): no dlp.on-error. Bounded:
 * SK_DS_LIVE decoders at once, SK_DS_BAD candidates that do not decode per
 * object (decoys could otherwise hide the stream after them: beyond,
 * dlp.on-error as a limit), decoded bytes charged to dlp.max-decoded and
 * held to the decompression guard (dlp.decode-max-ratio: dlp.on-limit),
 * nesting by SK_DLP_MAX_DEPTH (a stream that decodes deeper: on-error).
 * What is found and read does not depend on how the client cut its
 * writes: a position is decided once SK_STREAM_HEAD bytes from it are in,
 * positions are decided in steps that end at multiples of SK_DS_STEP (of
 * the object), and decoders are fed the bytes up to a candidate or a step's
 * end, never up to where a write ended. So every decision sees the
 * decoders in the same state, and every decoder is called with the same
 * pieces however the object arrived: liblzma and libzstd hand out
 * different amounts of a corrupt stream before the error for different
 * pieces (liblzma's block decoder checks its sizes against the input at
 * hand; fuzz_dlp_body found it), and a corrupt candidate is no stream, so
 * what it yielded is all that is read of it.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sekisho/decode.h>

#include "dlp.h"

#define SK_DS_LIVE 4  /* decoders at once: an xz one may hold a 64 MiB dictionary */
#define SK_DS_BAD  64 /* candidates that did not decode, per object (as virus_scan) */
#define SK_DS_HOLD (SK_STREAM_HEAD - 1)
#ifndef SK_DS_STEP
#define SK_DS_STEP 4096 /* decoders are fed up to multiples of this */
#endif
/* undecided bytes at most: a step and the finder's look-ahead */
#define SK_DS_KEEP (SK_DS_STEP + SK_DS_HOLD)

struct sk_ds;

/* A stream being read: decoding (dec), or ended cleanly at END and
 * looking whether another of its kind starts there. */
struct sk_ds_one {
    struct sk_ds *ds;
    int used;
    enum sk_coding c;
    struct sk_stream_dec *dec;
    uint64_t end;          /* where its last stream ended (dec NULL) */
    unsigned char look[6]; /* the bytes after that end, so far */
    size_t nlook;
    struct sk_dlp_sink *child; /* its object; NULL too deep to read */
    struct sk_dlp_engine *win; /* its own text window (kept for the slot) */
    uint64_t in, out;          /* bytes offered to its decoders, bytes they gave: the guard */
};

struct sk_ds {
    struct sk_dlp_sink sink;
    struct sk_dlp_ctx *ctx;
    int depth;
    struct sk_dlp_sink *next; /* the text reader: gets every byte */
    struct sk_ds_one s[SK_DS_LIVE];
    size_t nhold;
    uint64_t pos; /* object offset of hold[0]: a multiple of SK_DS_STEP */
    unsigned bad; /* candidates that did not decode */
    int stopped;  /* no more candidates (a bound was reached) */
    int over;     /* the budget ran out: nothing more is decoded */
    int failed;   /* out of memory */
    /* the bytes of this write: hold + p, seen as one buffer V */
    const unsigned char *p;
    size_t n;
    /* the buffers last, not cleared (read only up to nhold and the bytes
     * written there): an object of a few bytes - a URL, a form field -
     * does not pay for clearing 8 KiB it never uses */
    /* undecided positions' bytes; after them, room for the first bytes of
     * a write that the finder joins to them */
    unsigned char hold[SK_DS_KEEP + SK_DS_HOLD];
    unsigned char join[SK_DS_STEP]; /* a piece across the hold's end */
};

/* Decoded bytes: charged to the budget, read in the stream's object. */
static int sk_ds_out(void *arg, const void *buf, size_t len)
{
    struct sk_ds_one *o = arg;
    struct sk_ds *d = o->ds;
    struct sk_dlp_ctx *ctx = d->ctx;

    if (!o->child) {
        sk_dlp_undecodable(ctx, "a compressed stream nested too deeply");
        return -1;
    }
    /* the decompression guard, over the object's streams so far */
    const struct sk_decode_limits lim = {
        .out_max = UINT64_MAX, .ratio = ctx->decode_ratio, .floor = ctx->decode_floor};
    o->out += len;
    if (o->out > sk_decode_bound(&lim, o->in)) {
        ctx->limit = ctx->bomb = 1;
        d->over = 1;
        return -1;
    }
    if (len > ctx->budget) {
        len = (size_t)ctx->budget;
        ctx->limit = 1;
        d->over = 1;
    }
    ctx->budget -= len;
    if (len && sk_dlp_put_in(ctx, o->win, o->child, buf, len) == -1) {
        d->failed = 1;
        return -1;
    }
    return d->over ? -1 : 0;
}

/* The stream's object ends: what it held was read. */
static int sk_ds_close(struct sk_ds_one *o)
{
    struct sk_ds *d = o->ds;
    int rc = 0;

    sk_stream_dec_free(o->dec);
    o->dec = NULL;
    if (o->child) {
        rc = sk_dlp_end_in(d->ctx, o->win, o->child);
        o->child->destroy(o->child);
        o->child = NULL;
    }
    o->used = 0;
    if (rc == -1)
        d->failed = 1;
    return rc;
}

/* A decoder stopped: 1 at its stream's end (object offset END), -1
 * corrupt, -2 the sink stopped it (budget, depth, memory). */
static void sk_ds_stopped(struct sk_ds_one *o, int rc, uint64_t end)
{
    struct sk_ds *d = o->ds;

    sk_stream_dec_free(o->dec);
    o->dec = NULL;
    if (rc == 1) {
        o->end = end; /* another stream of its kind may follow at once */
        o->nlook = 0;
        return;
    }
    if (rc == -1) {
        if (++d->bad > SK_DS_BAD && !d->stopped) {
            char why[128];
            snprintf(why, sizeof(why),
                     "more than %d gzip, bzip2, xz or zstd headers that do not decode in one "
                     "object (a limit)",
                     SK_DS_BAD);
            sk_dlp_undecodable(d->ctx, why);
            d->stopped = 1;
        }
    }
    sk_ds_close(o);
}

/* P (object offset OFF) to O's decoder: the bytes it took (all, unless
 * its stream ended in them). */
static size_t sk_ds_dec(struct sk_ds_one *o, const unsigned char *p, size_t n, uint64_t off)
{
    size_t used = 0;
    int rc;

    o->in += n;
    rc = sk_stream_dec_feed(o->dec, p, n, &used, sk_ds_out, o);

    if (rc != 0)
        sk_ds_stopped(o, rc, off + used);
    return rc == 1 ? used : n;
}

/* The bytes that tell whether another stream of C follows: as the
 * container path tells one at an object's start (a gzip member by 1f 8b
 * as gunzip reads them, a zstd frame or skippable frame, "BZh" and a
 * digit, xz's magic). */
static size_t sk_ds_look_len(enum sk_coding c)
{
    return c == SK_CODING_GZIP ? 2 : c == SK_CODING_XZ ? 6 : 4;
}

/* P (object offset OFF) to O: its decoder, or after a stream's end the
 * look at what follows (another stream of its kind goes on in the same
 * object: gzip members, pbzip2's streams, zstd frames with skippable
 * frames between them; anything else ends the object). */
static void sk_ds_bytes(struct sk_ds *d, struct sk_ds_one *o, const unsigned char *p, size_t n,
                        uint64_t off)
{
    while (n > 0 && o->used && !d->over && !d->failed) {
        if (o->dec) {
            size_t k = sk_ds_dec(o, p, n, off);
            p += k, n -= k, off += k;
            continue;
        }
        /* NUL padding after an xz stream or a gzip member (sk_stream_pads) */
        if (o->nlook == 0 && sk_stream_pads(o->c) && *p == 0) {
            p++, n--, off++;
            continue;
        }
        size_t need = sk_ds_look_len(o->c), k = need - o->nlook < n ? need - o->nlook : n;
        memcpy(o->look + o->nlook, p, k);
        o->nlook += k, p += k, n -= k, off += k;
        if (o->nlook < need)
            return;
        if (sk_container_coding(sk_container_sniff(o->look, need)) != o->c) {
            sk_ds_close(o);
            return;
        }
        if (!(o->dec = sk_stream_dec_new(o->c))) {
            d->failed = 1;
            return;
        }
        unsigned char look[sizeof(o->look)];
        memcpy(look, o->look, need);
        o->nlook = 0;
        sk_ds_dec(o, look, need, off - need); /* a stream is longer than its magic */
    }
}

/* Every open stream gets V[A, B) (hold, then this write), in pieces that
 * end at multiples of SK_DS_STEP: each piece in one call, joined in
 * d->join when it lies across the hold's end. */
static void sk_ds_advance(struct sk_ds *d, size_t a, size_t b)
{
    size_t h = d->nhold;

    while (a < b && !d->over && !d->failed) {
        uint64_t at = d->pos + a, step_end = at - at % SK_DS_STEP + SK_DS_STEP;
        size_t e = step_end - d->pos < b ? (size_t)(step_end - d->pos) : b;
        const unsigned char *q;
        if (e <= h)
            q = d->hold + a;
        else if (a >= h)
            q = d->p + (a - h);
        else {
            memcpy(d->join, d->hold + a, h - a);
            memcpy(d->join + (h - a), d->p, e - h);
            q = d->join;
        }
        for (int i = 0; i < SK_DS_LIVE; i++)
            if (d->s[i].used)
                sk_ds_bytes(d, &d->s[i], q, e - a, at);
        a = e;
    }
}

/* The next candidate in V[FROM, LIM): its offset in V, or -1. Positions
 * in the hold are searched with the first bytes of this write joined to
 * them; every position searched has SK_STREAM_HEAD bytes after it (or
 * the object's end), as the caller's LIM guarantees. */
static long sk_ds_find(struct sk_ds *d, size_t from, size_t lim, enum sk_coding *c)
{
    size_t h = d->nhold;
    long r;

    if (d->pos == 0 && from == 0)
        from = 1; /* an object that starts with a stream: the container path's */
    if (from < h) {
        size_t k = d->n < SK_DS_HOLD ? d->n : SK_DS_HOLD;
        if (k) /* at the object's end there is no write */
            memcpy(d->hold + h, d->p, k);
        r = sk_stream_find(d->hold, h + k, from, c);
        if (r >= 0 && (size_t)r < h)
            return (size_t)r < lim ? r : -1;
        from = h;
    }
    if (from >= lim)
        return -1;
    r = sk_stream_find(d->p, d->n, from - h, c);
    return r >= 0 && (size_t)r + h < lim ? r + (long)h : -1;
}

/* A candidate of coding C at V[Y]: a new stream, read in an object of
 * its own, unless it is the next of a stream that just ended there (that
 * one goes on by itself). */
static void sk_ds_start(struct sk_ds *d, size_t y, enum sk_coding c)
{
    struct sk_ds_one *o = NULL;
    int live = 0;

    for (int i = 0; i < SK_DS_LIVE; i++) {
        struct sk_ds_one *w = &d->s[i];
        if (w->used && !w->dec && w->c == c && w->end == d->pos + y)
            return;
        live += w->used;
    }
    if (d->stopped)
        return;
    if (live == SK_DS_LIVE) {
        char why[96];
        snprintf(why, sizeof(why), "more than %d compressed streams open at once (a limit)",
                 SK_DS_LIVE);
        sk_dlp_undecodable(d->ctx, why);
        d->stopped = 1;
        return;
    }
    for (int i = 0; i < SK_DS_LIVE && !o; i++)
        if (!d->s[i].used)
            o = &d->s[i];
    o->used = 1;
    o->c = c;
    o->in = o->out = 0;
    if (d->depth < SK_DLP_MAX_DEPTH) {
        if ((!o->win && !(o->win = sk_dlp_engine_sub(d->ctx->e))) ||
            !(o->child = sk_dlp_object_new(d->ctx, NULL, NULL, d->depth + 1))) {
            d->failed = 1;
            return;
        }
        sk_dlp_engine_where(o->win, d->ctx->e->where);
    }
    if (!(o->dec = sk_stream_dec_new(c)))
        d->failed = 1;
}

/* Decide the positions of V below LIM, in order, and feed the decoders
 * up to each: a decoder's state at a decision never depends on the
 * writes. */
static void sk_ds_run(struct sk_ds *d, size_t lim)
{
    size_t cur = 0, from = 0;
    enum sk_coding c;

    while (!d->over && !d->failed) {
        long y = sk_ds_find(d, from, lim, &c);
        size_t to = y < 0 ? lim : (size_t)y;
        sk_ds_advance(d, cur, to);
        cur = to;
        if (y < 0 || d->over || d->failed)
            break;
        sk_ds_start(d, (size_t)y, c);
        from = (size_t)y + 1;
    }
}

/* Keep V[LIM, end) for the next write. */
static void sk_ds_keep(struct sk_ds *d, size_t lim)
{
    size_t h = d->nhold;

    if (lim == 0) {
        memcpy(d->hold + h, d->p, d->n);
        d->nhold = h + d->n;
    } else if (lim >= h) {
        memcpy(d->hold, d->p + (lim - h), d->n - (lim - h));
        d->nhold = d->n - (lim - h);
    } else {
        memmove(d->hold, d->hold + lim, h - lim);
        memcpy(d->hold + (h - lim), d->p, d->n);
        d->nhold = h - lim + d->n;
    }
    d->pos += lim;
}

static int sk_ds_write(struct sk_dlp_sink *s, const unsigned char *p, size_t n)
{
    struct sk_ds *d = (struct sk_ds *)s;
    size_t total = d->nhold + n;

    if (!d->over) {
        /* decide up to the last multiple of SK_DS_STEP that has
         * SK_STREAM_HEAD bytes after it (d->pos is one): what stays is
         * less than SK_DS_KEEP */
        uint64_t e = total > SK_DS_HOLD ? d->pos + total - SK_DS_HOLD : 0;
        size_t lim = e > d->pos ? (size_t)(e - e % SK_DS_STEP - d->pos) : 0;
        d->p = p, d->n = n;
        sk_ds_run(d, lim);
        sk_ds_keep(d, lim);
    }
    if (d->failed)
        return -1;
    return sk_dlp_put(d->next, p, n);
}

static int sk_ds_end(struct sk_dlp_sink *s)
{
    struct sk_ds *d = (struct sk_ds *)s;
    int rc = 0;

    if (!d->over) {
        d->p = NULL, d->n = 0;
        sk_ds_run(d, d->nhold);
    }
    /* streams cut short by the object's end: what they held was read */
    for (int i = 0; i < SK_DS_LIVE; i++)
        if (d->s[i].used && sk_ds_close(&d->s[i]) == -1)
            rc = -1;
    if (d->next->end(d->next) == -1 || d->failed)
        rc = -1;
    return rc;
}

static void sk_ds_destroy(struct sk_dlp_sink *s)
{
    struct sk_ds *d = (struct sk_ds *)s;

    for (int i = 0; i < SK_DS_LIVE; i++) {
        sk_stream_dec_free(d->s[i].dec);
        if (d->s[i].child)
            d->s[i].child->destroy(d->s[i].child);
        sk_dlp_engine_free(d->s[i].win);
    }
    d->next->destroy(d->next);
    free(d);
}

int sk_dlp_streams_wants(const unsigned char *p, size_t n)
{
    enum sk_coding c;

    return sk_stream_find(p, n, 1, &c) >= 0; /* sk_ds_find's first candidate */
}

struct sk_dlp_sink *sk_dlp_streams_new(struct sk_dlp_ctx *ctx, int depth, struct sk_dlp_sink *next)
{
    struct sk_ds *d;

    if (!next)
        return NULL;
    if (!(d = malloc(sizeof(*d)))) {
        next->destroy(next);
        return NULL;
    }
    memset(d, 0, offsetof(struct sk_ds, hold));
    d->sink =
        (struct sk_dlp_sink){.write = sk_ds_write, .end = sk_ds_end, .destroy = sk_ds_destroy};
    d->ctx = ctx;
    d->depth = depth;
    d->next = next;
    for (int i = 0; i < SK_DS_LIVE; i++)
        d->s[i].ds = d;
    return &d->sink;
}

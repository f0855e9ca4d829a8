/* sk_decode.c - a streaming decoder for a coding chain (the chain a
 * message's fields name: sk_coding.c; one zlib stream or zstd frame:
 * sk_inflate.c): gzip with any number of members, zlib or
 * raw deflate, br, zstd with any number of frames; bzip2, xz, lzma, lzip
 * and lz4 files with any number of streams, compress (.Z) files), with
 * bomb limits.
 * SECURITY: input is client/origin-controlled compressed data. Memory per
 * decoder is fixed (one window and one output buffer per stage); output is
 * bounded by the caller's limits; a member or stream may end at any byte
 * of any write, and whatever follows the end of a stream is still passed
 * on (never silently dropped). HTTP/1.1 chunked framing left in a body is
 * one more stage (strict syntax, bounded lines; else the bytes pass as
 * they are).
 */
#include <stdlib.h>
#include <string.h>

#include <brotli/decode.h>
#include <bzlib.h>
#include <lz4frame.h>
#include <lzma.h>
#include <zlib.h>

#include "sekisho/decode.h"
#include "sekisho/text.h"
#include "sk_unlzw.h"
#include "sk_util.h"

#define SK_DEC_OUT  65536
#define SK_DEC_SIDE 65536 /* chunk extensions and trailers kept aside */
/* A stage's first input bytes are kept (at most this much): data that is
 * not of its coding is then passed on whole when the stage gives up, not
 * only what the library had not yet swallowed (sk_decode_limits keep_head) */
#define SK_DEC_HEAD 65536
/* xz and zstd stages call their library with pieces that end at multiples
 * of this many bytes of the stage's input, whatever the writes (below) */
#ifndef SK_DEC_STEP
#define SK_DEC_STEP 4096
#endif

/* ---- the chain decoder ---------------------------------------------- */

/* One stage undoes one coding. Between gzip members it looks at the next
 * two bytes: another member, or trailing bytes passed on as they are. */
enum sk_stage_state { SK_ST_START, SK_ST_RUN, SK_ST_BETWEEN, SK_ST_RAW };

/* Where the chunked stage is: a size line (hex digits, extension, line
 * end), chunk data, the line end after the data, or the trailer. */
enum sk_ck_state {
    SK_CK_SIZE,
    SK_CK_EXT,
    SK_CK_SIZE_LF,
    SK_CK_DATA,
    SK_CK_DATA_END,
    SK_CK_DATA_LF,
    SK_CK_TRAILER
};
#define SK_CK_LINE 256 /* longest framing line (size, extensions, trailer field) */

struct sk_stage {
    enum sk_coding coding;
    enum sk_stage_state state;
    struct sk_inflate *inf;
    BrotliDecoderState *br;
    struct sk_unzstd *uz;
    bz_stream bz;
    int bz_live;    /* bz holds a started stream */
    lzma_stream xz; /* xz, lzma, lzip */
    int xz_live;
    LZ4F_dctx *lz4;
    int lz4_mid; /* inside a frame */
    struct sk_unlzw *lzw;
    unsigned char look[2];
    size_t nlook;
    unsigned hpos;       /* gzip: bytes of the member's header fed so far (to its FLG) */
    uint64_t zpad;       /* NUL bytes after a gzip member, not yet passed on */
    unsigned char *step; /* xz, zstd: the piece being gathered */
    size_t nstep;
    /* chunked: the framing line read so far (passed on if it breaks) */
    enum sk_ck_state ck;
    uint64_t ck_left;
    int ck_seen; /* a size line was taken: a break after it is CORRUPT */
    int ck_ext;  /* the size line has an extension (its line end is kept aside too) */
    unsigned char ck_line[SK_CK_LINE];
    size_t ck_n;
    uint64_t out_total;
    /* the stage's first SK_DEC_HEAD bytes of input: a stage corrupt
     * within them passes them all on, after what it decoded (sk_stage_in) */
    struct sk_buf head;
    int head_off; /* no longer kept (over SK_DEC_HEAD, or not asked for) */
    int replay;   /* corrupt within the head: the head goes on, not the rest */
    int dropped;  /* corrupt with drop_rest: nothing more goes on */
    unsigned char bout[SK_DEC_OUT];
};

struct sk_decoder {
    struct sk_decode_limits lim;
    /* chunked framing's extensions and trailer lines: not the body's data,
     * but bytes whoever reads the framed body as it is gets (sk_decoder_side) */
    struct sk_buf side;
    int side_over;
    int padded; /* a gzip member after NUL padding (sk_decoder_padded) */
    uint64_t in_total, out_total;
    int n;
    int stopped;               /* LIMIT or FAIL reported */
    int corrupt;               /* CORRUPT seen (reported once) */
    enum sk_decode_rc pending; /* set by a stage's sink, returned by feed */
    sk_decode_sink_fn sink;
    void *arg;
    struct sk_stage st[SK_CODING_MAX];
};

struct sk_stage_out {
    struct sk_decoder *d;
    int k; /* stage whose output this is */
};

static int sk_stage_feed(struct sk_decoder *d, int k, const unsigned char *p, size_t n, int eof);
static int sk_stage_in(struct sk_decoder *d, int k, const unsigned char *p, size_t n, int eof);
static int sk_stage_pass(struct sk_decoder *d, int k, const void *buf, size_t len);

uint64_t sk_decode_bound(const struct sk_decode_limits *lim, uint64_t in)
{
    uint64_t b = lim->out_max;

    if (lim->ratio && in <= (UINT64_MAX - lim->floor) / lim->ratio &&
        lim->floor + lim->ratio * in < b)
        b = lim->floor + lim->ratio * in;
    return b;
}

int sk_decode_by_ratio(const struct sk_decode_limits *lim, uint64_t in)
{
    return sk_decode_bound(lim, in) < lim->out_max;
}

/* Output of stage K: charged to its total, then to stage K+1 or the sink.
 * A stage passes on exactly its first out_max bytes, then LIMIT: how much
 * came out before the limit must not depend on how the client cut its
 * writes (inflate hands over a partial buffer whenever a write runs out). */
static int sk_stage_emit(void *arg, const void *buf, size_t len)
{
    struct sk_stage_out *o = arg;
    struct sk_decoder *d = o->d;
    struct sk_stage *s = &d->st[o->k];
    int over = len > d->lim.out_max - s->out_total; /* out_total <= out_max */

    if (over)
        len = (size_t)(d->lim.out_max - s->out_total);
    s->out_total += len;
    if (len && sk_stage_pass(d, o->k, buf, len) == -1)
        return -1;
    if (over) {
        d->pending = SK_DECODE_LIMIT;
        return -1;
    }
    return 0;
}

/* LEN bytes of stage K's output to stage K+1, or (last stage) through the
 * ratio check to the sink. */
static int sk_stage_pass(struct sk_decoder *d, int k, const void *buf, size_t len)
{
    if (k + 1 < d->n)
        return sk_stage_in(d, k + 1, buf, len, 0);
    d->out_total += len;
    if (d->out_total > sk_decode_bound(&d->lim, d->in_total)) {
        d->pending = SK_DECODE_LIMIT;
        return -1;
    }
    if (d->sink(d->arg, buf, len) == -1) {
        d->pending = SK_DECODE_FAIL;
        return -1;
    }
    return 0;
}

/* Corrupt data: report it once and pass the rest on as it is; a stage
 * still within its kept head passes on all its input instead (sk_stage_in:
 * "X5O!P%@AP..." sent as deflate is read as a stored block whose lengths
 * do not agree, and the five bytes inflate ate are part of it; "\n\r\r\nX5O"
 * is a fixed-Huffman block that puts out a few bytes of noise first). */
static int sk_stage_corrupt(struct sk_decoder *d, int k, const unsigned char *p, size_t n)
{
    struct sk_stage_out o = {d, k};
    struct sk_stage *s = &d->st[k];

    s->state = SK_ST_RAW;
    if (!d->corrupt) {
        d->corrupt = 1;
        if (d->pending == SK_DECODE_OK)
            d->pending = SK_DECODE_CORRUPT;
    }
    if (d->lim.drop_rest) {
        s->dropped = 1;
        return 0;
    }
    if (!s->head_off) {
        s->replay = 1; /* the head holds these bytes: sk_stage_in passes it on */
        return 0;
    }
    return n ? sk_stage_emit(&o, p, n) : 0;
}

/* The head of a stage that went corrupt within it, passed on as it is
 * (once). */
static int sk_stage_replay(struct sk_decoder *d, int k)
{
    struct sk_stage *s = &d->st[k];
    struct sk_stage_out o = {d, k};
    struct sk_buf h = s->head;
    int rc = 0;

    if (!s->replay)
        return 0;
    s->replay = 0;
    s->head_off = 1;
    s->head = (struct sk_buf){0};
    if (h.failed)
        rc = -1;
    else if (h.len)
        rc = sk_stage_emit(&o, h.data, h.len);
    sk_buf_free(&h);
    if (rc == -1 && d->pending == SK_DECODE_OK)
        d->pending = SK_DECODE_FAIL;
    return rc;
}

/* Input to stage K from outside it (the body, or the stage before): its
 * first SK_DEC_HEAD bytes kept (chunked framing passes its broken lines
 * itself); after a corruption within them, the head goes on in place of
 * whatever the stage had not consumed. */
static int sk_stage_in(struct sk_decoder *d, int k, const unsigned char *p, size_t n, int eof)
{
    struct sk_stage *s = &d->st[k];

    if (!s->head_off && s->state != SK_ST_RAW) {
        if (!d->lim.keep_head || s->coding == SK_CODING_CHUNKED || s->head.len + n > SK_DEC_HEAD) {
            s->head_off = 1;
            sk_buf_free(&s->head);
        } else if (n && sk_buf_append(&s->head, (const char *)p, n) == -1) {
            s->head_off = 1; /* no memory: the rest as before */
            sk_buf_free(&s->head);
        }
    }
    int rc = sk_stage_feed(d, k, p, n, eof);
    return rc == 0 ? sk_stage_replay(d, k) : rc;
}

static int sk_stage_br(struct sk_decoder *d, int k, const unsigned char *p, size_t n)
{
    struct sk_stage *s = &d->st[k];
    struct sk_stage_out o = {d, k};
    BrotliDecoderResult r;

    do {
        size_t avail = sizeof(s->bout);
        uint8_t *op = s->bout;
        r = BrotliDecoderDecompressStream(s->br, &n, &p, &avail, &op, NULL);
        if (avail < sizeof(s->bout) && sk_stage_emit(&o, s->bout, sizeof(s->bout) - avail) == -1)
            return -1;
    } while (r == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT);
    /* Corrupt: the rest is inspected as it is. libbrotli buffers input, so
     * how much "rest" there is depends on how the writes were cut. */
    if (r == BROTLI_DECODER_RESULT_ERROR)
        return sk_stage_corrupt(d, k, p, n);
    if (r == BROTLI_DECODER_RESULT_SUCCESS) {
        s->state = SK_ST_RAW; /* bytes after the stream: passed on */
        return n ? sk_stage_emit(&o, p, n) : 0;
    }
    return 0;
}

/* Zstandard, frame after frame (skippable frames are skipped), through
 * the one-frame reader (sk_unzstd, zip members use it too). Corrupt data:
 * the rest is inspected as it is; a body that ends inside a frame is
 * corrupt too (sk_decoder_finish). */
static int sk_stage_zstd(struct sk_decoder *d, int k, const unsigned char *p, size_t n)
{
    struct sk_stage *s = &d->st[k];
    struct sk_stage_out o = {d, k};
    size_t used;

    while (n > 0) {
        int rc = sk_unzstd_feed(s->uz, p, n, &used, sk_stage_emit, &o);
        p += used, n -= used;
        if (rc == -2) {
            if (d->pending == SK_DECODE_OK)
                d->pending = SK_DECODE_FAIL;
            return -1;
        }
        if (rc == -1)
            return sk_stage_corrupt(d, k, p, n);
        if (rc == 0 || used == 0)
            break; /* all taken (0), or no progress */
    }
    return 0;
}

/* bzip2, stream after stream (pbzip2 writes many); bytes after the last
 * one are passed on as they are (sk_stage_decide). libbz2 outputs a block
 * only once all of it arrived, so what comes out before an error does not
 * depend on how the writes were cut. */
static int sk_stage_bz2(struct sk_decoder *d, int k, const unsigned char *p, size_t n)
{
    struct sk_stage *s = &d->st[k];
    struct sk_stage_out o = {d, k};
    int r;

    do {
        s->bz.next_in = (char *)(uintptr_t)p;
        s->bz.avail_in = n > UINT32_MAX ? UINT32_MAX : (unsigned)n;
        s->bz.next_out = (char *)s->bout;
        s->bz.avail_out = sizeof(s->bout);
        r = BZ2_bzDecompress(&s->bz);
        size_t used = (size_t)((const unsigned char *)s->bz.next_in - p);
        size_t out = sizeof(s->bout) - s->bz.avail_out;
        p += used, n -= used;
        if (out && sk_stage_emit(&o, s->bout, out) == -1)
            return -1;
        if (r == BZ_STREAM_END) {
            BZ2_bzDecompressEnd(&s->bz);
            s->bz_live = 0;
            s->state = SK_ST_BETWEEN; /* another stream, or a trailer */
            break;
        }
        if (r == BZ_MEM_ERROR) {
            if (d->pending == SK_DECODE_OK)
                d->pending = SK_DECODE_FAIL;
            return -1;
        }
        if (r != BZ_OK)
            return sk_stage_corrupt(d, k, p, n);
        if (used == 0 && out == 0)
            break;
    } while (n > 0 || s->bz.avail_out == 0);
    return n ? sk_stage_feed(d, k, p, n, 0) : 0;
}

/* xz, streams and stream padding one after another (liblzma's
 * LZMA_CONCATENATED); FINISH at the end of the body tells a whole file
 * from a cut one (sk_decoder_finish). */
static int sk_stage_xz(struct sk_decoder *d, int k, const unsigned char *p, size_t n, int finish)
{
    struct sk_stage *s = &d->st[k];
    struct sk_stage_out o = {d, k};
    lzma_ret r;

    s->xz.next_in = p;
    s->xz.avail_in = n;
    do {
        s->xz.next_out = s->bout;
        s->xz.avail_out = sizeof(s->bout);
        r = lzma_code(&s->xz, finish ? LZMA_FINISH : LZMA_RUN);
        size_t out = sizeof(s->bout) - s->xz.avail_out;
        if (out && sk_stage_emit(&o, s->bout, out) == -1)
            return -1;
        if (r == LZMA_STREAM_END) { /* bytes after it (a .lzma is one stream): passed on */
            s->state = SK_ST_RAW;
            return s->xz.avail_in ? sk_stage_emit(&o, s->xz.next_in, s->xz.avail_in) : 0;
        }
        if (r == LZMA_MEM_ERROR) {
            if (d->pending == SK_DECODE_OK)
                d->pending = SK_DECODE_FAIL;
            return -1;
        }
        /* data, format, memory limit; at FINISH a file cut short makes no
         * progress, and liblzma says LZMA_BUF_ERROR on the second such call */
        if (r != LZMA_OK)
            return sk_stage_corrupt(d, k, s->xz.next_in, s->xz.avail_in);
    } while (finish || s->xz.avail_in > 0 || s->xz.avail_out == 0);
    return 0;
}

/* lz4, frame after frame (skippable frames skipped by liblz4); a body
 * that ends inside a frame is corrupt (sk_decoder_finish). */
static int sk_stage_lz4(struct sk_decoder *d, int k, const unsigned char *p, size_t n)
{
    struct sk_stage *s = &d->st[k];
    struct sk_stage_out o = {d, k};

    do {
        size_t in = n, out = sizeof(s->bout);
        size_t r = LZ4F_decompress(s->lz4, s->bout, &out, p, &in, NULL);
        if (LZ4F_isError(r)) {
            s->lz4_mid = 0;
            return sk_stage_corrupt(d, k, p, n);
        }
        p += in, n -= in;
        s->lz4_mid = r != 0;
        if (out && sk_stage_emit(&o, s->bout, out) == -1)
            return -1;
        if (in == 0 && out < sizeof(s->bout))
            break; /* all taken, nothing more to give */
    } while (n > 0 || s->lz4_mid);
    return 0;
}

/* compress (.Z): no end mark, so a cut file is not told from a whole one;
 * a code that cannot be is corrupt, the rest passed on as it is. */
static int sk_stage_lzw(struct sk_decoder *d, int k, const unsigned char *p, size_t n)
{
    struct sk_stage_out o = {d, k};
    size_t used = 0;
    int rc = sk_unlzw_feed(d->st[k].lzw, p, n, &used, sk_stage_emit, &o);

    if (rc == -2)
        return -1;
    /* corrupt: the bytes after the bad code are passed on as they are */
    return rc == -1 ? sk_stage_corrupt(d, k, p + used, n - used) : 0;
}

static int sk_is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'f');
}

/* A chunk-size line up to its ';' or line end, L[0..N), as Python's
 * int(line.split(b";")[0], 16) reads it (http.client, urllib3 and so
 * requests): white space around it, a '+' (a '-' only before a zero), a
 * "0x", single '_' between digits. What RFC 9112 allows is the case of
 * hex digits then white space. Leading zeros do not count towards the 15
 * digits taken. Returns 1 with *SIZE set, 0 when it is not a size. */
static int sk_ck_size(const unsigned char *l, size_t n, uint64_t *size)
{
    size_t i = 0, digits = 0;
    uint64_t v = 0;
    int neg = 0;

    while (n > 0 && (l[n - 1] == ' ' || (l[n - 1] >= '\t' && l[n - 1] <= '\r')))
        n--;
    while (i < n && (l[i] == ' ' || (l[i] >= '\t' && l[i] <= '\r')))
        i++;
    if (i < n && (l[i] == '+' || l[i] == '-'))
        neg = l[i++] == '-';
    if (i + 1 < n && l[i] == '0' && (l[i + 1] | 32) == 'x')
        i += 2 + (i + 2 < n && l[i + 2] == '_'); /* int("0x_22", 16) */
    if (i == n)
        return 0;
    for (; i < n; i++) {
        if (l[i] == '_' && i + 1 < n && l[i + 1] != '_' && i > 0 && sk_is_hex(l[i - 1]))
            continue;
        if (!sk_is_hex(l[i]) || (v == 0 && l[i] == '0' ? 0 : ++digits > 15))
            return 0;
        v = v * 16 + (uint64_t)(l[i] <= '9' ? l[i] - '0' : (l[i] | 32) - 'a' + 10);
    }
    if (neg && v != 0)
        return 0;
    *size = v;
    return 1;
}

/* One framing byte C (already in ck_line). Returns 1 when it fits the
 * chunked syntax, 0 when the framing is broken. */
static int sk_ck_byte(struct sk_stage *s, unsigned char c)
{
    switch (s->ck) {
    case SK_CK_SIZE:
        /* the size line is read whole at its ';' or line end
         * (sk_ck_size); before that a byte no size can hold breaks it */
        if (c == ';' || c == '\n') {
            if (!sk_ck_size(s->ck_line, s->ck_n - 1, &s->ck_left))
                return 0;
            if (c == '\n')
                goto size_done;
            s->ck = SK_CK_EXT;
            return 1;
        }
        return sk_is_hex(c) || (c | 32) == 'x' || c == '_' || c == '+' || c == '-' || c == ' ' ||
               (c >= '\t' && c <= '\r');
    case SK_CK_EXT:
        if (c == '\r')
            s->ck = SK_CK_SIZE_LF;
        else if (c == '\n')
            goto size_done;
        else if ((c < 0x20 && c != '\t') || c == 0x7f)
            return 0;
        return 1;
    case SK_CK_SIZE_LF:
        if (c != '\n')
            return 0;
    size_done:
        s->ck_n = 0;
        s->ck_seen = 1;
        s->ck = s->ck_left ? SK_CK_DATA : SK_CK_TRAILER;
        return 1;
    case SK_CK_DATA_END:
    case SK_CK_DATA_LF:
        if (c == '\r' && s->ck == SK_CK_DATA_END) {
            s->ck = SK_CK_DATA_LF;
            return 1;
        }
        if (c != '\n')
            return 0;
        s->ck = SK_CK_SIZE;
        s->ck_n = 0, s->ck_left = 0;
        return 1;
    case SK_CK_TRAILER:
        if (c == '\n') {
            int empty = s->ck_n == 1 || (s->ck_n == 2 && s->ck_line[0] == '\r');
            s->ck_n = 0;
            if (empty)
                s->state = SK_ST_RAW; /* the end; bytes after it are passed on */
            return 1;
        }
        return !((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f);
    case SK_CK_DATA:
        break;
    }
    return 0;
}

/* Framing that breaks after a size line was taken: the lines taken were
 * not delivered (a 13-15 digit card number at the start of a line is a
 * valid chunk size), so this is CORRUPT (the caller's on-error), not a
 * body that merely kept its header. */
static void sk_ck_broken(struct sk_decoder *d, struct sk_stage *s)
{
    s->state = SK_ST_RAW;
    if (s->ck_seen && !d->corrupt) {
        d->corrupt = 1;
        if (d->pending == SK_DECODE_OK)
            d->pending = SK_DECODE_CORRUPT;
    }
}

/* A byte of an extension (from its ';') or a trailer line, kept aside
 * (SK_DEC_SIDE bytes; more: side_over). */
static void sk_decoder_side_put(struct sk_decoder *d, unsigned char c)
{
    if (d->side.len >= SK_DEC_SIDE)
        d->side_over = 1;
    else
        sk_buf_append(&d->side, (const char *)&c, 1);
}

/* HTTP/1.1 chunked framing: chunk data goes on; a byte that breaks the
 * syntax (or a line over SK_CK_LINE) sends the line read so far and
 * everything after it on as it is. */
static int sk_stage_chunked(struct sk_decoder *d, int k, const unsigned char *p, size_t n)
{
    struct sk_stage *s = &d->st[k];
    struct sk_stage_out o = {d, k};

    while (n > 0 && s->state == SK_ST_RUN) {
        if (s->ck == SK_CK_DATA) {
            size_t take = s->ck_left < n ? (size_t)s->ck_left : n;
            if (sk_stage_emit(&o, p, take) == -1)
                return -1;
            p += take, n -= take, s->ck_left -= take;
            if (s->ck_left == 0)
                s->ck = SK_CK_DATA_END;
            continue;
        }
        int fits = s->ck_n < sizeof(s->ck_line);
        enum sk_ck_state was = s->ck;
        /* a chunk's data ended by a bare LF: Python's http.client (urllib3,
         * requests) skips two bytes there whatever they are and reads the
         * next size line from the second, Go refuses it, curl takes the
         * LF - readers disagree, so CORRUPT (the caller's on-error); the
         * decoding goes on as curl reads it */
        if (was == SK_CK_DATA_END && *p == '\n' && !d->corrupt) {
            d->corrupt = 1;
            if (d->pending == SK_DECODE_OK)
                d->pending = SK_DECODE_CORRUPT;
        }
        if (fits)
            s->ck_line[s->ck_n++] = *p;
        if (fits && (was == SK_CK_EXT || was == SK_CK_TRAILER || (was != SK_CK_DATA && *p == ';') ||
                     (was == SK_CK_SIZE_LF && s->ck_ext)))
            sk_decoder_side_put(d, *p);
        s->ck_ext = (s->ck_ext || was == SK_CK_EXT || *p == ';') && was != SK_CK_SIZE_LF &&
                    !(was == SK_CK_EXT && *p == '\n');
        if (!fits || !sk_ck_byte(s, *p)) {
            sk_ck_broken(d, s);
            if (s->ck_n && sk_stage_emit(&o, s->ck_line, s->ck_n) == -1)
                return -1;
            s->ck_n = 0;
            return n - fits ? sk_stage_emit(&o, p + fits, n - fits) : 0;
        }
        p++, n--;
    }
    return n ? sk_stage_emit(&o, p, n) : 0;
}

/* First bytes of a deflate body: a zlib header (RFC 9110) or raw deflate
 * (what many servers send). Two bytes decide; fewer wait. */
static int sk_stage_start(struct sk_stage *s)
{
    enum sk_zmode m = SK_Z_GZIP;

    if (s->coding == SK_CODING_DEFLATE)
        m = sk_zlib_header(s->look, 2) ? SK_Z_ZLIB : SK_Z_RAW;
    if (s->coding == SK_CODING_BZIP2) {
        if (BZ2_bzDecompressInit(&s->bz, 0, 0) != BZ_OK)
            return -1;
        s->bz_live = 1;
        s->state = SK_ST_RUN;
        return 0;
    }
    if (!s->inf && !(s->inf = sk_inflate_new(m)))
        return -1;
    sk_inflate_reset(s->inf, m);
    s->hpos = 0;
    s->state = SK_ST_RUN;
    return 0;
}

/* Collect the two look-ahead bytes into s->look; returns bytes taken. */
static size_t sk_stage_look(struct sk_stage *s, const unsigned char *p, size_t n)
{
    size_t take = 2 - s->nlook < n ? 2 - s->nlook : n;

    memcpy(s->look + s->nlook, p, take);
    s->nlook += take;
    return take;
}

static int sk_stage_run(struct sk_decoder *d, int k, const unsigned char *p, size_t n);

/* Two look-ahead bytes are complete (or the body ended): start the
 * stream, the next gzip member, or pass them on raw. */
static int sk_stage_decide(struct sk_decoder *d, int k)
{
    struct sk_stage *s = &d->st[k];
    struct sk_stage_out o = {d, k};
    unsigned char look[2];
    size_t nlook = s->nlook;

    memcpy(look, s->look, nlook);
    s->nlook = 0;
    /* after a stream: the next gzip member ("\x1f\x8b") or bzip2 stream
     * ("BZ"), else trailing bytes */
    int next = nlook == 2 && (s->coding == SK_CODING_BZIP2 ? look[0] == 'B' && look[1] == 'Z'
                                                           : look[0] == 0x1f && look[1] == 0x8b);
    if (s->state == SK_ST_BETWEEN && !next) {
        s->state = SK_ST_RAW; /* trailing bytes after the last member */
        static const unsigned char zeros[256];
        for (; s->zpad > 0; s->zpad -= s->zpad < sizeof(zeros) ? s->zpad : sizeof(zeros))
            if (sk_stage_emit(&o, zeros, s->zpad < sizeof(zeros) ? s->zpad : sizeof(zeros)) == -1)
                return -1;
        return sk_stage_emit(&o, look, nlook);
    }
    if (s->zpad && next)
        d->padded = 1;
    s->zpad = 0;
    s->look[0] = look[0], s->look[1] = nlook > 1 ? look[1] : 0;
    if (sk_stage_start(s) == -1) {
        d->pending = SK_DECODE_FAIL;
        return -1;
    }
    return sk_stage_feed(d, k, look, nlook, 0);
}

static int sk_stage_run(struct sk_decoder *d, int k, const unsigned char *p, size_t n)
{
    struct sk_stage *s = &d->st[k];
    struct sk_stage_out o = {d, k};
    size_t used;

    while (n > 0 && s->state == SK_ST_RUN) {
        /* a gzip member's first 4 bytes one at a time: an FLG with the
         * reserved bits (0xe0) set is read with them cleared. zlib refuses
         * such a member; Python's gzip (and tarfile) reads it - so the
         * engine, zlib's reader, never saw what it holds: d->padded */
        unsigned char flg;
        const unsigned char *in = p;
        size_t len = n;
        if (s->coding == SK_CODING_GZIP && s->hpos < 4) {
            len = 1;
            if (s->hpos == 3 && (p[0] & 0xe0)) {
                flg = p[0] & 0x1f;
                in = &flg;
                d->padded = 1;
            }
        }
        int rc = sk_inflate_feed(s->inf, in, len, &used, sk_stage_emit, &o);
        if (s->coding == SK_CODING_GZIP && s->hpos < 4)
            s->hpos += (unsigned)used;
        p += used, n -= used;
        if (rc == -2) {
            if (d->pending == SK_DECODE_OK)
                d->pending = SK_DECODE_FAIL;
            return -1;
        }
        if (rc == -1)
            return sk_stage_corrupt(d, k, p, n);
        if (rc == 1) /* end of a stream: for gzip maybe another member */
            s->state = s->coding == SK_CODING_GZIP ? SK_ST_BETWEEN : SK_ST_RAW;
        else if (used == 0)
            break;
    }
    return n ? sk_stage_feed(d, k, p, n, 0) : 0;
}

/* liblzma and libzstd hand out different amounts of a corrupt stream
 * before the error for different input pieces (liblzma's block decoder
 * checks its sizes against the input at hand), and a client picks the
 * writes. So an xz or zstd stage gives its library pieces of SK_DEC_STEP
 * bytes of its input, gathered in s->step when the writes are smaller,
 * and the rest at the body's end (sk_decoder_finish): the same calls
 * however the body was cut. FN: the stage's decoder. */
static int sk_stage_steps(struct sk_decoder *d, int k, const unsigned char *p, size_t n,
                          int (*fn)(struct sk_decoder *, int, const unsigned char *, size_t))
{
    struct sk_stage *s = &d->st[k];

    while (n > 0 && s->state == SK_ST_RUN) {
        int rc;
        if (s->nstep > 0 || n < SK_DEC_STEP) {
            size_t take = SK_DEC_STEP - s->nstep < n ? SK_DEC_STEP - s->nstep : n;
            memcpy(s->step + s->nstep, p, take);
            s->nstep += take, p += take, n -= take;
            if (s->nstep < SK_DEC_STEP)
                return 0;
            s->nstep = 0;
            rc = fn(d, k, s->step, SK_DEC_STEP);
        } else {
            rc = fn(d, k, p, SK_DEC_STEP);
            p += SK_DEC_STEP, n -= SK_DEC_STEP;
        }
        if (rc == -1)
            return -1;
    }
    return n ? sk_stage_feed(d, k, p, n, 0) : 0; /* it ended: the rest is raw */
}

static int sk_stage_xz_run(struct sk_decoder *d, int k, const unsigned char *p, size_t n)
{
    return sk_stage_xz(d, k, p, n, 0);
}

static int sk_stage_feed(struct sk_decoder *d, int k, const unsigned char *p, size_t n, int eof)
{
    struct sk_stage *s = &d->st[k];
    struct sk_stage_out o = {d, k};
    size_t take;

    switch (s->state) {
    case SK_ST_START:
        if (s->coding == SK_CODING_BR || s->coding == SK_CODING_CHUNKED ||
            s->coding == SK_CODING_ZSTD || s->coding == SK_CODING_XZ ||
            s->coding == SK_CODING_LZMA || s->coding == SK_CODING_LZIP ||
            s->coding == SK_CODING_LZ4 || s->coding == SK_CODING_COMPRESS) {
            s->state = SK_ST_RUN;
            return sk_stage_feed(d, k, p, n, eof);
        }
        __attribute__((fallthrough)); /* collect the first two bytes */
    case SK_ST_BETWEEN:
        /* NUL bytes between gzip members: Python's gzip module skips them
         * and reads the next member (GNU gzip stops there); trailing
         * ones at the body's end are dropped */
        if (s->state == SK_ST_BETWEEN && sk_stream_pads(s->coding) && s->nlook == 0) {
            size_t z = 0;
            while (z < n && p[z] == 0)
                z++;
            s->zpad += z, p += z, n -= z;
            if (n == 0)
                return 0;
        }
        take = sk_stage_look(s, p, n);
        if (s->nlook < 2 && !(eof && s->nlook > 0))
            return 0;
        if (sk_stage_decide(d, k) == -1)
            return -1;
        return n - take ? sk_stage_feed(d, k, p + take, n - take, eof) : 0;
    case SK_ST_RUN:
        if (s->coding == SK_CODING_BR)
            return sk_stage_br(d, k, p, n);
        if (s->coding == SK_CODING_CHUNKED)
            return sk_stage_chunked(d, k, p, n);
        if (s->coding == SK_CODING_ZSTD)
            return sk_stage_steps(d, k, p, n, sk_stage_zstd);
        if (s->coding == SK_CODING_BZIP2)
            return sk_stage_bz2(d, k, p, n);
        if (s->coding == SK_CODING_XZ || s->coding == SK_CODING_LZMA || s->coding == SK_CODING_LZIP)
            return sk_stage_steps(d, k, p, n, sk_stage_xz_run);
        if (s->coding == SK_CODING_LZ4)
            return sk_stage_lz4(d, k, p, n);
        if (s->coding == SK_CODING_COMPRESS)
            return sk_stage_lzw(d, k, p, n);
        return sk_stage_run(d, k, p, n);
    case SK_ST_RAW:
        if (s->replay || s->dropped) /* in the head, passed on whole; or dropped */
            return 0;
        return n ? sk_stage_emit(&o, p, n) : 0;
    }
    return 0;
}

struct sk_decoder *sk_decoder_new(const struct sk_coding_chain *c, const struct sk_decode_limits *l)
{
    struct sk_decoder *d;

    if (c->n < 1 || c->n > SK_CODING_MAX || !(d = calloc(1, sizeof(*d))))
        return NULL;
    d->lim = *l;
    d->n = c->n;
    /* stage 0 undoes the coding applied last */
    for (int k = 0; k < c->n; k++) {
        d->st[k].coding = c->c[c->n - 1 - k];
        if (d->st[k].coding == SK_CODING_BR &&
            !(d->st[k].br = BrotliDecoderCreateInstance(NULL, NULL, NULL))) {
            sk_decoder_free(d);
            return NULL;
        }
        if (d->st[k].coding == SK_CODING_ZSTD && !(d->st[k].uz = sk_unzstd_new())) {
            sk_decoder_free(d);
            return NULL;
        }
        enum sk_coding sc = d->st[k].coding;
        if ((sc == SK_CODING_ZSTD || sc == SK_CODING_XZ || sc == SK_CODING_LZMA ||
             sc == SK_CODING_LZIP) &&
            !(d->st[k].step = malloc(SK_DEC_STEP))) {
            sk_decoder_free(d);
            return NULL;
        }
        if (sc == SK_CODING_XZ || sc == SK_CODING_LZMA || sc == SK_CODING_LZIP) {
            lzma_stream *x = &d->st[k].xz;
            *x = (lzma_stream)LZMA_STREAM_INIT;
            lzma_ret r =
                sc == SK_CODING_XZ     ? lzma_stream_decoder(x, SK_XZ_MEMLIMIT, LZMA_CONCATENATED)
                : sc == SK_CODING_LZIP ? lzma_lzip_decoder(x, SK_XZ_MEMLIMIT, LZMA_CONCATENATED)
                                       : lzma_alone_decoder(x, SK_XZ_MEMLIMIT);
            if (r != LZMA_OK) {
                sk_decoder_free(d);
                return NULL;
            }
            d->st[k].xz_live = 1;
        }
        if (sc == SK_CODING_COMPRESS && !(d->st[k].lzw = sk_unlzw_new())) {
            sk_decoder_free(d);
            return NULL;
        }
        if (sc == SK_CODING_LZ4 &&
            LZ4F_isError(LZ4F_createDecompressionContext(&d->st[k].lz4, LZ4F_VERSION))) {
            sk_decoder_free(d);
            return NULL;
        }
    }
    return d;
}

/* End of body: a look-ahead byte still waiting is decided now, and an
 * unfinished chunked framing line is passed on, stage by stage (what it
 * emits reaches the later stages before they finish). */
static int sk_decoder_finish(struct sk_decoder *d)
{
    for (int k = 0; k < d->n; k++) {
        struct sk_stage *s = &d->st[k];
        struct sk_stage_out o = {d, k};
        /* ended before the last chunk (a "0" line): unfinished framing */
        if (s->coding == SK_CODING_CHUNKED && s->state == SK_ST_RUN &&
            (s->ck != SK_CK_TRAILER || s->ck_n > 0)) {
            size_t n = s->ck_n;
            s->ck_n = 0;
            sk_ck_broken(d, s);
            if (n && sk_stage_emit(&o, s->ck_line, n) == -1)
                return -1;
        }
        if ((s->state == SK_ST_START || s->state == SK_ST_BETWEEN) && s->nlook > 0 &&
            sk_stage_decide(d, k) == -1)
            return -1;
        /* the last piece of an xz or zstd stage (sk_stage_steps) */
        size_t nstep = s->nstep;
        s->nstep = 0;
        if (s->coding == SK_CODING_ZSTD && s->state == SK_ST_RUN && nstep &&
            sk_stage_zstd(d, k, s->step, nstep) == -1)
            return -1;
        /* a zstd body that ends inside a frame is truncated: CORRUPT (a
         * zstd file is opaque to libclamav, so what was cut off must not
         * pass as clean) */
        if (s->coding == SK_CODING_ZSTD && s->state == SK_ST_RUN && sk_unzstd_mid(s->uz) &&
            sk_stage_corrupt(d, k, NULL, 0) == -1)
            return -1;
        /* so is a bzip2 or xz file cut inside a stream */
        if (s->coding == SK_CODING_BZIP2 && s->state == SK_ST_RUN && s->bz_live &&
            sk_stage_corrupt(d, k, NULL, 0) == -1)
            return -1;
        if ((s->coding == SK_CODING_XZ || s->coding == SK_CODING_LZMA ||
             s->coding == SK_CODING_LZIP) &&
            s->state == SK_ST_RUN && sk_stage_xz(d, k, s->step, nstep, 1) == -1)
            return -1;
        if (s->coding == SK_CODING_LZ4 && s->state == SK_ST_RUN && s->lz4_mid &&
            sk_stage_corrupt(d, k, NULL, 0) == -1)
            return -1;
        if (sk_stage_replay(d, k) == -1)
            return -1;
    }
    return 0;
}

enum sk_decode_rc sk_decoder_feed(struct sk_decoder *d, const void *buf, size_t len, int eof,
                                  sk_decode_sink_fn sink, void *arg)
{
    int rc = 0;

    if (d->stopped)
        return d->pending;
    d->sink = sink;
    d->arg = arg;
    d->pending = SK_DECODE_OK;
    d->in_total += len;
    if (len)
        rc = sk_stage_in(d, 0, buf, len, eof);
    if (rc == 0 && eof)
        rc = sk_decoder_finish(d);
    if (rc == -1 && d->pending == SK_DECODE_OK)
        d->pending = SK_DECODE_FAIL;
    if (d->pending == SK_DECODE_LIMIT || d->pending == SK_DECODE_FAIL)
        d->stopped = 1;
    return d->pending;
}

uint64_t sk_decoder_out_total(const struct sk_decoder *d)
{
    return d->out_total;
}

const unsigned char *sk_decoder_side(const struct sk_decoder *d, size_t *n, int *over)
{
    *n = d->side.len;
    *over = d->side_over || d->side.failed;
    return (const unsigned char *)d->side.data;
}

int sk_stream_pads(enum sk_coding c)
{
    return c == SK_CODING_XZ || c == SK_CODING_GZIP;
}

int sk_decoder_padded(const struct sk_decoder *d)
{
    return d->padded;
}

void sk_decoder_free(struct sk_decoder *d)
{
    if (!d)
        return;
    for (int k = 0; k < d->n; k++) {
        sk_buf_free(&d->st[k].head);
        sk_inflate_free(d->st[k].inf);
        if (d->st[k].br)
            BrotliDecoderDestroyInstance(d->st[k].br);
        sk_unzstd_free(d->st[k].uz);
        if (d->st[k].bz_live)
            BZ2_bzDecompressEnd(&d->st[k].bz);
        if (d->st[k].xz_live)
            lzma_end(&d->st[k].xz);
        if (d->st[k].lz4)
            LZ4F_freeDecompressionContext(d->st[k].lz4);
        sk_unlzw_free(d->st[k].lzw);
        free(d->st[k].step);
    }
    sk_buf_free(&d->side);
    free(d);
}

/* sk_inflate.c - one zlib stream (gzip, zlib or raw deflate) and one zstd
 * frame, fed in any pieces (sekisho/decode.h): the readers the chain
 * decoder (sk_decode.c), the zip walker and the stream finder share.
 * SECURITY: client bytes; fixed memory per reader (the library's window
 * and one output buffer); zstd windows over SK_ZSTD_WINDOW_LOG are
 * refused as corrupt; the output goes to the caller's sink, which bounds
 * it.
 */
#include <stdlib.h>

#include <zlib.h>
#include <zstd.h>

#include "sekisho/decode.h"

#define SK_DEC_OUT 65536

/* ---- one zlib stream ------------------------------------------------- */

struct sk_inflate {
    z_stream z;
    unsigned char out[SK_DEC_OUT];
};

static int sk_zbits(enum sk_zmode m)
{
    return m == SK_Z_GZIP ? 16 + MAX_WBITS : m == SK_Z_RAW ? -MAX_WBITS : MAX_WBITS;
}

struct sk_inflate *sk_inflate_new(enum sk_zmode m)
{
    struct sk_inflate *f = calloc(1, sizeof(*f));

    if (f && inflateInit2(&f->z, sk_zbits(m)) != Z_OK) {
        free(f);
        f = NULL;
    }
    return f;
}

void sk_inflate_reset(struct sk_inflate *f, enum sk_zmode m)
{
    inflateReset2(&f->z, sk_zbits(m));
}

void sk_inflate_free(struct sk_inflate *f)
{
    if (f) {
        inflateEnd(&f->z);
        free(f);
    }
}

int sk_inflate_feed(struct sk_inflate *f, const unsigned char *p, size_t n, size_t *used,
                    sk_decode_sink_fn sink, void *arg)
{
    size_t total = 0;
    int rc = Z_OK;

    *used = 0;
    while (n > 0) {
        uInt take = n > (1u << 30) ? (1u << 30) : (uInt)n;
        f->z.next_in = (Bytef *)p;
        f->z.avail_in = take;
        do {
            f->z.next_out = f->out;
            f->z.avail_out = sizeof(f->out);
            rc = inflate(&f->z, Z_NO_FLUSH);
            size_t got = sizeof(f->out) - f->z.avail_out;
            if (got && sink(arg, f->out, got) == -1) {
                *used = total + (take - f->z.avail_in);
                return -2;
            }
        } while (rc == Z_OK && (f->z.avail_in > 0 || f->z.avail_out == 0));
        size_t ate = take - f->z.avail_in;
        total += ate, p += ate, n -= ate;
        *used = total;
        if (rc == Z_STREAM_END)
            return 1;
        if (rc == Z_MEM_ERROR)
            return -2;
        if (rc != Z_OK && rc != Z_BUF_ERROR)
            return -1;
        if (ate == 0)
            break;
    }
    return 0;
}

/* ---- one zstd frame --------------------------------------------------- */

/* SK_ZSTD_WINDOW_LOG (sekisho/decode.h): a larger window is corrupt here. */

struct sk_unzstd {
    ZSTD_DCtx *dc;
    int mid; /* inside a frame */
    unsigned char out[SK_DEC_OUT];
};

struct sk_unzstd *sk_unzstd_new(void)
{
    struct sk_unzstd *u = calloc(1, sizeof(*u));

    if (u &&
        (!(u->dc = ZSTD_createDCtx()) ||
         ZSTD_isError(ZSTD_DCtx_setParameter(u->dc, ZSTD_d_windowLogMax, SK_ZSTD_WINDOW_LOG)))) {
        ZSTD_freeDCtx(u->dc);
        free(u);
        u = NULL;
    }
    return u;
}

void sk_unzstd_reset(struct sk_unzstd *u)
{
    ZSTD_DCtx_reset(u->dc, ZSTD_reset_session_only);
    u->mid = 0;
}

int sk_unzstd_mid(const struct sk_unzstd *u)
{
    return u->mid;
}

void sk_unzstd_free(struct sk_unzstd *u)
{
    if (u) {
        ZSTD_freeDCtx(u->dc);
        free(u);
    }
}

int sk_unzstd_feed(struct sk_unzstd *u, const unsigned char *p, size_t n, size_t *used,
                   sk_decode_sink_fn sink, void *arg)
{
    ZSTD_inBuffer in = {p, n, 0};
    ZSTD_outBuffer out;

    *used = 0;
    do {
        size_t before = in.pos;
        out = (ZSTD_outBuffer){u->out, sizeof(u->out), 0};
        size_t r = ZSTD_decompressStream(u->dc, &out, &in);
        *used = in.pos;
        /* what was decoded before an error (a bad block after good ones, a
         * checksum) goes out first: in smaller writes it would have */
        if (out.pos && sink(arg, u->out, out.pos) == -1)
            return -2;
        if (ZSTD_isError(r))
            return -1;
        u->mid = r != 0;
        if (r == 0)
            return 1; /* the frame ended (and was flushed); in.pos is after it */
        if (out.pos == 0 && in.pos == before)
            break;
    } while (in.pos < n || out.pos == out.size);
    return 0;
}

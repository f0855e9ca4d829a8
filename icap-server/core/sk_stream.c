/* sk_stream.c - gzip, bzip2 and xz streams found at any offset of an
 * object (sekisho/decode.h): the payload of a self-extracting script
 * (makeself: a shell stub, then a .tar.gz), a member of an ar archive or a
 * .deb, a compressed file after junk. `tail -c +N f | gunzip` and 7-Zip
 * read them; a scanner that looks at offset 0 only does not.
 * SECURITY: client bytes. A candidate is a header that verifies strictly
 * (gzip: method 8, no reserved flag, a known XFL and OS; bzip2: "BZh1-9"
 * and a block or end magic; xz: magic, flags and their CRC32), so random
 * data holds about one in 10^11 positions; the caller decodes it (one
 * stream, and the streams of the same kind that follow it at once) within
 * its own bound, and one that does not decode is no stream. Nothing is
 * kept between calls; decoder memory is freed before returning. */
#include <string.h>

#include <bzlib.h>
#include <lzma.h>
#include <zlib.h>

#include "sekisho/decode.h"

#define SK_STREAM_XZ_MEM (64u << 20) /* as the file decoders: above xz -9 */

static enum sk_coding sk_stream_at(const unsigned char *p, size_t n)
{
    static const unsigned char pi[6] = {0x31, 0x41, 0x59, 0x26, 0x53, 0x59};
    static const unsigned char eos[6] = {0x17, 0x72, 0x45, 0x38, 0x50, 0x90};

    if (n >= 18 && p[0] == 0x1f && p[1] == 0x8b && p[2] == 8 && !(p[3] & 0xe0) &&
        (p[8] == 0 || p[8] == 2 || p[8] == 4) && (p[9] <= 13 || p[9] == 255))
        return SK_CODING_GZIP;
    if (n >= 14 && p[0] == 'B' && p[1] == 'Z' && p[2] == 'h' && p[3] >= '1' && p[3] <= '9' &&
        (memcmp(p + 4, pi, 6) == 0 || memcmp(p + 4, eos, 6) == 0))
        return SK_CODING_BZIP2;
    if (n >= 24 &&
        memcmp(p,
               "\xfd"
               "7zXZ\0",
               6) == 0 &&
        p[6] == 0 && (p[7] == 0 || p[7] == 1 || p[7] == 4 || p[7] == 10) &&
        crc32(0, p + 6, 2) ==
            ((uLong)p[8] | (uLong)p[9] << 8 | (uLong)p[10] << 16 | (uLong)p[11] << 24))
        return SK_CODING_XZ;
    return 0;
}

long sk_stream_find(const unsigned char *p, size_t n, size_t from, enum sk_coding *c)
{
    for (size_t i = from; i < n; i++) {
        if (p[i] != 0x1f && p[i] != 'B' && p[i] != 0xfd)
            continue;
        if ((*c = sk_stream_at(p + i, n - i)) != 0)
            return (long)i;
    }
    return -1;
}

struct sk_stream_out {
    sk_decode_sink_fn sink;
    void *arg;
    uint64_t left; /* out_max still allowed */
    int over;
};

static int sk_stream_emit(struct sk_stream_out *o, const void *buf, size_t len)
{
    if (len > o->left) {
        len = (size_t)o->left;
        o->over = 1;
    }
    o->left -= len;
    if (len && o->sink(o->arg, buf, len) == -1)
        return -1;
    return o->over ? -1 : 0;
}

static int sk_stream_zsink(void *arg, const void *buf, size_t len)
{
    return sk_stream_emit(arg, buf, len);
}

/* One stream of coding C at P: 1 ended (*USED), 0 cut, -1 corrupt, -2
 * stopped by the bound or the sink. */
static int sk_stream_one(enum sk_coding c, const unsigned char *p, size_t n, size_t *used,
                         struct sk_stream_out *o)
{
    unsigned char buf[16384];
    int rc = -1;

    *used = 0;
    if (c == SK_CODING_GZIP) {
        struct sk_inflate *f = sk_inflate_new(SK_Z_GZIP);
        if (!f)
            return -2;
        rc = sk_inflate_feed(f, p, n, used, sk_stream_zsink, o);
        sk_inflate_free(f);
        return rc == -2 ? -2 : rc;
    }
    if (c == SK_CODING_BZIP2) {
        bz_stream bz = {0};
        if (BZ2_bzDecompressInit(&bz, 0, 0) != BZ_OK)
            return -2;
        bz.next_in = (char *)(uintptr_t)p;
        bz.avail_in = n > UINT32_MAX ? UINT32_MAX : (unsigned)n;
        for (;;) {
            bz.next_out = (char *)buf;
            bz.avail_out = sizeof(buf);
            int r = BZ2_bzDecompress(&bz);
            size_t out = sizeof(buf) - bz.avail_out;
            if (out && sk_stream_emit(o, buf, out) == -1) {
                rc = -2;
                break;
            }
            if (r == BZ_STREAM_END || r != BZ_OK || (bz.avail_in == 0 && out < sizeof(buf))) {
                rc = r == BZ_STREAM_END ? 1 : r == BZ_OK ? 0 : r == BZ_MEM_ERROR ? -2 : -1;
                break;
            }
        }
        *used = (size_t)((const unsigned char *)bz.next_in - p);
        BZ2_bzDecompressEnd(&bz);
        return rc;
    }
    lzma_stream x = LZMA_STREAM_INIT;
    if (lzma_stream_decoder(&x, SK_STREAM_XZ_MEM, 0) != LZMA_OK)
        return -2;
    x.next_in = p;
    x.avail_in = n;
    for (;;) {
        x.next_out = buf;
        x.avail_out = sizeof(buf);
        lzma_ret r = lzma_code(&x, LZMA_FINISH);
        size_t out = sizeof(buf) - x.avail_out;
        if (out && sk_stream_emit(o, buf, out) == -1) {
            rc = -2;
            break;
        }
        if (r != LZMA_OK || (x.avail_in == 0 && out < sizeof(buf))) {
            /* LZMA_BUF_ERROR at FINISH with all input taken: cut short */
            rc = r == LZMA_STREAM_END                  ? 1
                 : r == LZMA_BUF_ERROR || r == LZMA_OK ? 0
                 : r == LZMA_MEM_ERROR                 ? -2
                                                       : -1;
            break;
        }
    }
    *used = (size_t)(x.next_in - p);
    lzma_end(&x);
    return rc;
}

int sk_stream_decode(enum sk_coding c, const unsigned char *p, size_t n, uint64_t out_max,
                     size_t *used, sk_decode_sink_fn sink, void *arg)
{
    struct sk_stream_out o = {sink, arg, out_max, 0};
    size_t at = 0, u;
    int rc;

    /* streams of the same kind one after another (gzip members, pbzip2's
     * streams, concatenated xz) are one file to its decompressor */
    do {
        rc = sk_stream_one(c, p + at, n - at, &u, &o);
        at += u;
    } while (rc == 1 && sk_stream_at(p + at, n - at) == c);
    *used = at;
    if (rc == -2)
        return o.over ? -2 : -3;
    return rc;
}

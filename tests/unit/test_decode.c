/* test_decode.c - the core decoding layer (sekisho/decode.h): Content-
 * Encoding chains with zlib as the oracle (gzip members ending at every
 * possible write boundary, zlib/raw deflate, trailing bytes, corrupt data,
 * bombs), the multipart parser (CRLF/LF, preamble, nested, base64, QP,
 * every split point, ";boundary" without "="), the zip walker (stored,
 * deflated, ZIP64, data descriptors, bytes after the archive), charset
 * sniffing of UTF-16 without BOM and base64 runs inside text (escapes,
 * line breaks, every split). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>
#include <zstd.h>

#include <sekisho/decode.h>

#include "sk_tzip.h"

/* ---- helpers --------------------------------------------------------- */

struct out {
    unsigned char *p;
    size_t len, cap;
};

static int out_sink(void *arg, const void *buf, size_t len)
{
    struct out *o = arg;
    if (o->len + len + 1 > o->cap) {
        o->cap = (o->len + len + 1) * 2;
        o->p = realloc(o->p, o->cap);
    }
    memcpy(o->p + o->len, buf, len);
    o->len += len;
    o->p[o->len] = 0;
    return 0;
}

static const struct sk_decode_limits nolimit = {.out_max = UINT64_MAX};

/* Decode BUF with chain CH in two writes split at SPLIT (then eof). */
static enum sk_decode_rc decode_split_chain(const struct sk_coding_chain *ch,
                                            const unsigned char *buf, size_t n, size_t split,
                                            struct out *o, const struct sk_decode_limits *lim)
{
    struct sk_decoder *d;
    enum sk_decode_rc rc, worst = SK_DECODE_OK;

    assert_non_null(d = sk_decoder_new(ch, lim ? lim : &nolimit));
    o->len = 0;
    rc = sk_decoder_feed(d, buf, split, 0, out_sink, o);
    if (rc != SK_DECODE_OK)
        worst = rc;
    rc = sk_decoder_feed(d, buf + split, n - split, 1, out_sink, o);
    if (rc != SK_DECODE_OK)
        worst = rc;
    sk_decoder_free(d);
    return worst;
}

/* The same with the Content-Encoding list CE. */
static enum sk_decode_rc decode_split(const char *ce, const unsigned char *buf, size_t n,
                                      size_t split, struct out *o,
                                      const struct sk_decode_limits *lim)
{
    struct sk_coding_chain ch;

    assert_int_equal(sk_coding_parse(ce, &ch, NULL, 0), 0);
    return decode_split_chain(&ch, buf, n, split, o, lim);
}

/* ---- Content-Encoding ------------------------------------------------ */

static void test_coding_parse(void **s)
{
    static const struct {
        const char *v;
        int rc, n;
        enum sk_coding first;
    } cases[] = {
        {NULL, 0, 0, 0},
        {"", 0, 0, 0},
        {"identity", 0, 0, 0},
        {"identity, br", 0, 1, SK_CODING_BR}, /* two fields joined */
        {", br", 0, 1, SK_CODING_BR},         /* empty field + br */
        {"identity, deflate", 0, 1, SK_CODING_DEFLATE},
        {" X-GZIP ", 0, 1, SK_CODING_GZIP},
        {"gzip,br", 0, 2, SK_CODING_GZIP},
        {"gzip, zstd", 0, 2, SK_CODING_GZIP},
        {"ZSTD", 0, 1, SK_CODING_ZSTD},
        {"zstandard", -1, 0, 0},
        {"compress", -1, 0, 0},
        {"gzip;q=1", -1, 0, 0},
        {"Chunked", 0, 1, SK_CODING_CHUNKED},
        {"gzip,gzip,gzip,gzip,gzip,gzip,gzip,gzip,gzip", -1, 0, 0},
    };
    char bad[16];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sk_coding_chain ch;
        int rc = sk_coding_parse(cases[i].v, &ch, bad, sizeof(bad));
        if (rc != cases[i].rc)
            fail_msg("'%s': rc %d", cases[i].v ? cases[i].v : "(null)", rc);
        if (rc == 0) {
            assert_int_equal(ch.n, cases[i].n);
            if (ch.n)
                assert_int_equal(ch.c[0], cases[i].first);
        }
    }
    struct sk_coding_chain ch;
    assert_int_equal(sk_coding_parse("gzip, z\x01std", &ch, bad, sizeof(bad)), -1);
    assert_string_equal(bad, "z?std"); /* printable for the log */
}

/* HTTP/1.1 chunked framing left in a body ("Transfer-Encoding: chunked"
 * in the encapsulated header): undone at every split; a body that does not
 * start with a size line passes as it is; framing that breaks after one
 * was taken is CORRUPT. */
static void test_chunked_framing(void **s)
{
    static const struct {
        const char *in, *want;
        enum sk_decode_rc rc;
    } cases[] = {
        {"5\r\nX5O!P\r\n3 ;ext=\"a b\"\r\n%@A\r\n0\r\n\r\n", "X5O!P%@A", SK_DECODE_OK},
        {"000a\nabcdefghij\n0\nTrailer: x\n\n", "abcdefghij", SK_DECODE_OK}, /* LF, trailer */
        {"A\r\n0123456789\r\n0\r\n\r\nafter", "0123456789after", SK_DECODE_OK},
        {"3\r\nabc\r\n0\r\n", "abc", SK_DECODE_OK}, /* no empty line after the last chunk */
        /* no size line at the start: a body that kept its header */
        {"plain body, no framing", "plain body, no framing", SK_DECODE_OK},
        {"add 5 items", "add 5 items", SK_DECODE_OK},
        {"1;\x01\r\nq", "1;\x01\r\nq", SK_DECODE_OK},                     /* control byte */
        {"1234567890abcdef\r\nx", "1234567890abcdef\r\nx", SK_DECODE_OK}, /* 16 digits */
        /* framing that breaks or ends after a size line was taken: the
         * line is lost (a 15-digit card is a chunk size), so CORRUPT */
        {"2\r\nabXYZ", "abXYZ", SK_DECODE_CORRUPT},
        {"2\r\nab\r\nzz tail", "abzz tail", SK_DECODE_CORRUPT},
        {"378282246310005\r\nrest", "rest", SK_DECODE_CORRUPT},
        {"3\r\nabc\r\n", "abc", SK_DECODE_CORRUPT},
    };
    struct out o = {0};

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = strlen(cases[i].in);
        for (size_t split = 0; split <= n; split++) {
            enum sk_decode_rc rc =
                decode_split("chunked", (const unsigned char *)cases[i].in, n, split, &o, NULL);
            if (rc != cases[i].rc || o.len != strlen(cases[i].want) ||
                memcmp(o.p, cases[i].want, o.len) != 0)
                fail_msg("case %zu split %zu: rc %d got '%.*s'", i, split, rc, (int)o.len, o.p);
        }
    }
    /* an extension longer than a framing line may be: all of it passed on */
    char big[600];
    memset(big, 'e', sizeof(big));
    memcpy(big, "1;", 2);
    assert_int_equal(decode_split("chunked", (unsigned char *)big, sizeof(big), 300, &o, NULL),
                     SK_DECODE_OK);
    assert_int_equal(o.len, sizeof(big));
    /* gzip under chunked framing: "gzip, chunked" undoes chunked first */
    size_t gl;
    unsigned char *g = sk_tz_deflate("payload", 7, 16 + 15, &gl);
    unsigned char framed[256];
    int fl = snprintf((char *)framed, sizeof(framed), "%zx\r\n", gl);
    memcpy(framed + fl, g, gl);
    memcpy(framed + fl + gl, "\r\n0\r\n\r\n", 7);
    for (size_t split = 0; split <= fl + gl + 7; split++) {
        assert_int_equal(decode_split("gzip, chunked", framed, fl + gl + 7, split, &o, NULL),
                         SK_DECODE_OK);
        assert_int_equal(o.len, 7);
        assert_memory_equal(o.p, "payload", 7);
    }
    free(g);
    free(o.p);
}

/* gzip members ending at every byte of every write: nothing dropped. */
static void test_gzip_members_every_split(void **s)
{
    const char *parts[] = {"first member, ", "second member holds the payload, ", "third."};
    unsigned char body[1024];
    size_t blen = 0, m1 = 0;
    struct out o = {0};
    char want[256] = "";

    for (int i = 0; i < 3; i++) {
        size_t n;
        unsigned char *g = sk_tz_deflate(parts[i], strlen(parts[i]), 16 + 15, &n);
        memcpy(body + blen, g, n);
        blen += n;
        if (i == 0)
            m1 = blen;
        strcat(want, parts[i]);
        free(g);
    }
    for (size_t split = 0; split <= blen; split++) {
        assert_int_equal(decode_split("gzip", body, blen, split, &o, NULL), SK_DECODE_OK);
        if (o.len != strlen(want) || memcmp(o.p, want, o.len) != 0)
            fail_msg("split at %zu (member 1 ends at %zu): got '%.*s'", split, m1, (int)o.len, o.p);
    }
    /* one byte per write */
    struct sk_coding_chain ch;
    sk_coding_parse("x-gzip", &ch, NULL, 0);
    struct sk_decoder *d = sk_decoder_new(&ch, &nolimit);
    o.len = 0;
    for (size_t i = 0; i < blen; i++)
        assert_int_equal(sk_decoder_feed(d, body + i, 1, 0, out_sink, &o), SK_DECODE_OK);
    assert_int_equal(sk_decoder_feed(d, NULL, 0, 1, out_sink, &o), SK_DECODE_OK);
    assert_int_equal(o.len, strlen(want));
    sk_decoder_free(d);
    free(o.p);
}

static void test_deflate_zlib_raw_and_chain(void **s)
{
    const char *text = "deflated text, zlib-wrapped or raw";
    struct out o = {0};
    size_t n, n2;
    unsigned char *z = sk_tz_deflate(text, strlen(text), 15, &n);
    unsigned char *r = sk_tz_deflate(text, strlen(text), -15, &n2);

    for (size_t split = 0; split <= n; split++) {
        assert_int_equal(decode_split("deflate", z, n, split, &o, NULL), SK_DECODE_OK);
        assert_int_equal(o.len, strlen(text));
    }
    for (size_t split = 0; split <= n2; split++) {
        assert_int_equal(decode_split("identity, deflate", r, n2, split, &o, NULL), SK_DECODE_OK);
        assert_memory_equal(o.p, text, strlen(text));
    }
    /* "gzip, deflate": deflate was applied last, so it is undone first */
    size_t gl, dl;
    unsigned char *g = sk_tz_deflate(text, strlen(text), 16 + 15, &gl);
    unsigned char *gd = sk_tz_deflate(g, gl, 15, &dl);
    assert_int_equal(decode_split("gzip, deflate", gd, dl, dl / 2, &o, NULL), SK_DECODE_OK);
    assert_int_equal(o.len, strlen(text));
    free(z), free(r), free(g), free(gd), free(o.p);
}

static void test_trailing_corrupt_bomb(void **s)
{
    const char *text = "member";
    struct out o = {0};
    size_t n;
    unsigned char *g = sk_tz_deflate(text, strlen(text), 16 + 15, &n);
    unsigned char buf[256];

    /* bytes after the last member are passed on, never dropped */
    memcpy(buf, g, n);
    memcpy(buf + n, "TRAILING", 8);
    for (size_t split = 0; split <= n + 8; split++) {
        assert_int_equal(decode_split("gzip", buf, n + 8, split, &o, NULL), SK_DECODE_OK);
        assert_int_equal(o.len, 6 + 8);
        assert_memory_equal(o.p + 6, "TRAILING", 8);
    }
    /* a lone 0x1f at the very end is also passed on */
    buf[n] = 0x1f;
    assert_int_equal(decode_split("gzip", buf, n + 1, n, &o, NULL), SK_DECODE_OK);
    assert_int_equal(o.len, 7);
    /* corrupt: reported, and the rest still reaches the sink */
    assert_int_equal(decode_split("gzip",
                                  (const unsigned char *)"\x1f\x8b\x08\0\0\0\0\0\0\x03"
                                                         "\xff\xffgarbage!",
                                  20, 5, &o, NULL),
                     SK_DECODE_CORRUPT);
    assert_int_equal(decode_split("deflate", (const unsigned char *)"plain text!", 11, 3, &o, NULL),
                     SK_DECODE_CORRUPT);
    assert_non_null(memmem(o.p, o.len, "text!", 5));
    /* a bomb: over out_max and over the ratio */
    size_t zn = 8u << 20, bl;
    char *zeros = calloc(1, zn);
    unsigned char *bomb = sk_tz_deflate(zeros, zn, 16 + 15, &bl);
    struct sk_decode_limits cap = {.out_max = 1u << 20};
    struct sk_decode_limits ratio = {.out_max = UINT64_MAX, .ratio = 100, .floor = 1024};
    /* exactly the first out_max bytes come out, wherever the writes are cut */
    const size_t splits[] = {1, bl / 16, bl / 10 + 3}; /* before the cap is reached */
    for (size_t i = 0; i < sizeof(splits) / sizeof(splits[0]); i++) {
        assert_int_equal(decode_split("gzip", bomb, bl, splits[i], &o, &cap), SK_DECODE_LIMIT);
        assert_int_equal(o.len, 1u << 20);
        assert_true(o.p[0] == 0 && memcmp(o.p, o.p + 1, o.len - 1) == 0);
    }
    assert_int_equal(decode_split("gzip", bomb, bl, bl / 2, &o, &ratio), SK_DECODE_LIMIT);
    /* gzip inside gzip: the inner stage is limited too */
    size_t bbl;
    unsigned char *bb = sk_tz_deflate(bomb, bl, 16 + 15, &bbl);
    assert_int_equal(decode_split("gzip, gzip", bb, bbl, 1, &o, &cap), SK_DECODE_LIMIT);
    free(zeros), free(bomb), free(bb), free(g), free(o.p);
}

/* Zstandard (RFC 8878) with libzstd's compressor as the oracle: frames
 * one after another, a skippable frame in front, every write split; the
 * 8 MiB window bound of RFC 9659 (a frame that asks for 16 MiB is
 * CORRUPT); corrupt data; a bomb; the container sniffer. */
static void test_zstd(void **s)
{
    const char *parts[] = {"first frame, ", "second frame holds the payload."};
    unsigned char body[512];
    size_t blen = 0;
    struct out o = {0};
    char want[128] = "";

    /* a skippable frame (magic 0x184D2A5E, 3 bytes of user data) */
    memcpy(body, "\x5e\x2a\x4d\x18\x03\0\0\0xyz", 11);
    blen = 11;
    for (int i = 0; i < 2; i++) {
        size_t n = ZSTD_compress(body + blen, sizeof(body) - blen, parts[i], strlen(parts[i]), 3);
        assert_false(ZSTD_isError(n));
        blen += n;
        strcat(want, parts[i]);
    }
    assert_int_equal(sk_container_sniff(body, blen), SK_CT_ZSTD);
    assert_int_equal(sk_container_sniff(body + 11, blen - 11), SK_CT_ZSTD);
    assert_int_equal(sk_container_coding(SK_CT_ZSTD), SK_CODING_ZSTD);
    assert_int_equal(sk_container_coding(SK_CT_GZIP), SK_CODING_GZIP);
    assert_int_equal(sk_container_coding(SK_CT_ZIP), 0);
    assert_int_equal(sk_container_sniff((const unsigned char *)"\x28\xb5\x2f\xfc", 4), SK_CT_NONE);
    for (size_t split = 0; split <= blen; split++) {
        assert_int_equal(decode_split("zstd", body, blen, split, &o, NULL), SK_DECODE_OK);
        if (o.len != strlen(want) || memcmp(o.p, want, o.len) != 0)
            fail_msg("split at %zu: got '%.*s'", split, (int)o.len, o.p);
    }
    /* "zstd, gzip": gzip applied last, undone first */
    size_t gl;
    unsigned char *g = sk_tz_deflate(body, blen, 16 + 15, &gl);
    assert_int_equal(decode_split("zstd, gzip", g, gl, gl / 3, &o, NULL), SK_DECODE_OK);
    assert_int_equal(o.len, strlen(want));
    free(g);
    /* the window: a frame header asking for 8 MiB (exponent 13) decodes,
     * one asking for 16 MiB (exponent 14) is corrupt; then a raw last block
     * of one byte */
    unsigned char w8[] = {0x28, 0xb5, 0x2f, 0xfd, 0x00, 13 << 3, 0x09, 0x00, 0x00, 'A'};
    unsigned char w16[] = {0x28, 0xb5, 0x2f, 0xfd, 0x00, 14 << 3, 0x09, 0x00, 0x00, 'A'};
    assert_int_equal(decode_split("zstd", w8, sizeof(w8), 4, &o, NULL), SK_DECODE_OK);
    assert_int_equal(o.len, 1);
    assert_int_equal(o.p[0], 'A');
    assert_int_equal(decode_split("zstd", w16, sizeof(w16), 4, &o, NULL), SK_DECODE_CORRUPT);
    /* truncated inside a frame, at every length: corrupt (what was decoded
     * still came out); cut after a whole frame: fine */
    size_t f1 = 11 + ZSTD_findFrameCompressedSize(body + 11, blen - 11);
    for (size_t cut = 12; cut < blen; cut++) {
        enum sk_decode_rc rc = decode_split("zstd", body, cut, cut / 2, &o, NULL);
        if (rc != (cut == f1 ? SK_DECODE_OK : SK_DECODE_CORRUPT))
            fail_msg("cut at %zu (first frame ends at %zu): rc %d", cut, f1, rc);
    }
    /* corrupt: reported, the rest passed on as it is */
    assert_int_equal(
        decode_split("zstd", (const unsigned char *)"not zstd at all", 15, 3, &o, NULL),
        SK_DECODE_CORRUPT);
    assert_non_null(memmem(o.p, o.len, "all", 3));
    /* a bomb: exactly the first out_max bytes, and over the ratio */
    size_t zn = 8u << 20;
    char *zeros = calloc(1, zn);
    size_t bcap = ZSTD_compressBound(zn);
    unsigned char *bomb = malloc(bcap);
    size_t bl = ZSTD_compress(bomb, bcap, zeros, zn, 3);
    struct sk_decode_limits cap = {.out_max = 1u << 20};
    struct sk_decode_limits ratio = {.out_max = UINT64_MAX, .ratio = 100, .floor = 1024};
    assert_false(ZSTD_isError(bl));
    for (size_t split = 1; split < bl; split += bl / 5 + 1) {
        assert_int_equal(decode_split("zstd", bomb, bl, split, &o, &cap), SK_DECODE_LIMIT);
        assert_int_equal(o.len, 1u << 20);
    }
    assert_int_equal(decode_split("zstd", bomb, bl, bl / 2, &o, &ratio), SK_DECODE_LIMIT);
    free(zeros), free(bomb), free(o.p);
}

/* zstd frames at any offset (sk_stream_find, sk_stream_decode): a frame
 * the decoder reads is a candidate - the frame magic, reserved bit clear,
 * no dictionary, a window or single-segment size within 8 MiB - and
 * decodes with the frames that follow it; one streamed in pieces
 * (sk_stream_dec) ends where the whole-buffer decode ends. */
static void test_stream_zstd(void **s)
{
    const char *text = "a zstd frame after a prefix holds the payload.";
    unsigned char body[512], hdr[16];
    enum sk_coding c;
    struct out o = {0};
    size_t used = 0, zn;

    (void)s;
    memcpy(body, "#!/bin/sh\nexit 0\n", 17);
    zn = ZSTD_compress(body + 17, sizeof(body) - 17, text, strlen(text), 3);
    assert_false(ZSTD_isError(zn));
    assert_int_equal(sk_stream_find(body, 17 + zn, 0, &c), 17);
    assert_int_equal(c, SK_CODING_ZSTD);
    assert_int_equal(sk_stream_decode(c, body + 17, zn, 1 << 20, &used, out_sink, &o), 1);
    assert_int_equal(used, zn);
    assert_int_equal(o.len, strlen(text));
    assert_memory_equal(o.p, text, o.len);
    /* the same in pieces of every size: the frame ends at the same byte */
    for (size_t piece = 1; piece <= zn; piece++) {
        struct sk_stream_dec *d = sk_stream_dec_new(SK_CODING_ZSTD);
        size_t at = 0, u = 0;
        int rc = 0;
        assert_non_null(d);
        o.len = 0;
        while (rc == 0 && at < zn) {
            size_t k = zn - at < piece ? zn - at : piece;
            rc = sk_stream_dec_feed(d, body + 17 + at, k, &u, out_sink, &o);
            at += u;
        }
        sk_stream_dec_free(d);
        assert_int_equal(rc, 1);
        assert_int_equal(at, zn);
        assert_int_equal(o.len, strlen(text));
    }
    /* header checks: frame descriptor after the magic, window descriptor */
    static const struct {
        unsigned char fhd, wd;
        int ok;
        const char *what;
    } h[] = {
        {0x00, 0x68, 1, "8 MiB window (2^23)"},
        {0x00, 0x69, 0, "a window over 8 MiB"},
        {0x00, 0x70, 0, "a 16 MiB window"},
        {0x00, 0x00, 1, "1 KiB window"},
        {0x08, 0x00, 0, "reserved bit set"},
        {0x01, 0x00, 0, "a dictionary ID"},
        {0x20, 0x10, 1, "single segment, 1-byte content size"},
    };
    for (size_t i = 0; i < sizeof(h) / sizeof(h[0]); i++) {
        memcpy(hdr, "JUNK\x28\xb5\x2f\xfd", 8);
        hdr[8] = h[i].fhd, hdr[9] = h[i].wd;
        memset(hdr + 10, 0, 6);
        long at = sk_stream_find(hdr, sizeof(hdr), 0, &c);
        if ((at == 4) != h[i].ok)
            fail_msg("%s: found at %ld", h[i].what, at);
    }
    /* single segment with a 4-byte content size: over 8 MiB is none */
    memcpy(hdr, "JUNK\x28\xb5\x2f\xfd\xa0\x00\x00\x80\x00\x00\x00\x00", 16);
    assert_int_equal(sk_stream_find(hdr, sizeof(hdr), 0, &c), 4); /* 8 MiB exactly */
    hdr[11] = 0x81;
    assert_int_equal(sk_stream_find(hdr, sizeof(hdr), 0, &c), -1);
    /* skippable and legacy frames are no candidates after a prefix */
    memcpy(hdr, "JUNK\x50\x2a\x4d\x18\x00\x00\x00\x00\x00\x00\x00\x00", 16);
    assert_int_equal(sk_stream_find(hdr, sizeof(hdr), 0, &c), -1);
    memcpy(hdr, "JUNK\x27\xb5\x2f\xfd\x00\x00\x00\x00\x00\x00\x00\x00", 16);
    assert_int_equal(sk_stream_find(hdr, sizeof(hdr), 0, &c), -1);
    free(o.p);
}

/* bzip2 and xz files (sk_container_coding; never a Content-Encoding):
 * libbz2 and liblzma are the oracles (sk_tz_bzip2, sk_tz_xz) */
static void test_bzip2_xz(void **s)
{
    static const char *const parts[] = {"a first stream, ", "a second one holds the payload."};
    const struct sk_coding_chain bzc = {.c = {SK_CODING_BZIP2}, .n = 1};
    const struct sk_coding_chain xzc = {.c = {SK_CODING_XZ}, .n = 1};
    unsigned char body[2048];
    size_t blen = 0, l0 = 0;
    struct out o = {0};
    char want[128] = "";

    (void)s;
    for (int kind = 0; kind < 2; kind++) { /* 0 bzip2, 1 xz */
        const struct sk_coding_chain *ch = kind ? &xzc : &bzc;
        blen = 0, want[0] = '\0';
        for (int i = 0; i < 2; i++) {
            size_t n;
            unsigned char *c = kind ? sk_tz_xz(parts[i], strlen(parts[i]), &n)
                                    : sk_tz_bzip2(parts[i], strlen(parts[i]), &n);
            memcpy(body + blen, c, n);
            blen += n;
            if (i == 0)
                l0 = n;
            strcat(want, parts[i]);
            free(c);
        }
        assert_int_equal(sk_container_sniff(body, blen), kind ? SK_CT_XZ : SK_CT_BZIP2);
        assert_int_equal(sk_container_coding(kind ? SK_CT_XZ : SK_CT_BZIP2),
                         kind ? SK_CODING_XZ : SK_CODING_BZIP2);
        /* streams one after another, every split */
        for (size_t split = 0; split <= blen; split++) {
            assert_int_equal(decode_split_chain(ch, body, blen, split, &o, NULL), SK_DECODE_OK);
            if (o.len != strlen(want) || memcmp(o.p, want, o.len) != 0)
                fail_msg("%s split at %zu: got '%.*s'", kind ? "xz" : "bzip2", split, (int)o.len,
                         o.p);
        }
        /* cut inside a stream, at every length: corrupt; after the first
         * stream: what it held (bzip2: and one byte that cannot begin a
         * stream yet, passed on as a trailer) */
        for (size_t cut = 1; cut < blen; cut++) {
            enum sk_decode_rc rc = decode_split_chain(ch, body, cut, cut / 2, &o, NULL);
            int whole = cut == l0 || (!kind && cut == l0 + 1);
            if (rc != (whole ? SK_DECODE_OK : SK_DECODE_CORRUPT))
                fail_msg("%s cut at %zu (first stream ends at %zu): rc %d", kind ? "xz" : "bzip2",
                         cut, l0, rc);
        }
        /* a byte flipped inside the data: corrupt */
        unsigned char bad[2048];
        memcpy(bad, body, blen);
        bad[l0 / 2 + 8] ^= 0x55;
        assert_int_equal(decode_split_chain(ch, bad, blen, blen / 3, &o, NULL), SK_DECODE_CORRUPT);
    }
    /* bzip2: bytes after the last stream are passed on as they are */
    unsigned char tail[2048];
    size_t tl;
    unsigned char *c = sk_tz_bzip2("payload", 7, &tl);
    memcpy(tail, c, tl);
    memcpy(tail + tl, "TRAILER", 7);
    free(c);
    for (size_t split = 0; split <= tl + 7; split++) {
        assert_int_equal(decode_split_chain(&bzc, tail, tl + 7, split, &o, NULL), SK_DECODE_OK);
        assert_int_equal(o.len, 14);
        assert_memory_equal(o.p, "payloadTRAILER", 14);
    }
    /* xz: a dictionary over 64 MiB (the block header's LZMA2 property
     * raised to 128 MiB, its CRC32 made right again) is corrupt */
    size_t xl;
    unsigned char *x = sk_tz_xz("payload", 7, &xl);
    unsigned hs = (x[12] + 1u) * 4u, at = 0; /* block header after the stream header */
    for (unsigned i = 14; i + 2 < 12 + hs - 4 && !at; i++)
        if (x[i] == 0x21 && x[i + 1] == 1) /* LZMA2, one property byte */
            at = i + 2;
    assert_true(at > 0);
    x[at] = 30; /* (2 | (30 & 1)) << (30 / 2 + 11) = 128 MiB */
    uLong crc = crc32(0, x + 12, hs - 4);
    for (int i = 0; i < 4; i++)
        x[12 + hs - 4 + i] = (unsigned char)(crc >> (8 * i));
    assert_int_equal(decode_split_chain(&xzc, x, xl, xl / 2, &o, NULL), SK_DECODE_CORRUPT);
    x[at] = 28; /* 64 MiB (xz -9): within the limit */
    crc = crc32(0, x + 12, hs - 4);
    for (int i = 0; i < 4; i++)
        x[12 + hs - 4 + i] = (unsigned char)(crc >> (8 * i));
    assert_int_equal(decode_split_chain(&xzc, x, xl, xl / 2, &o, NULL), SK_DECODE_OK);
    assert_int_equal(o.len, 7);
    free(x);
    /* bombs: exactly the first out_max bytes */
    size_t zn = 4u << 20, bl;
    char *zeros = calloc(1, zn + 1);
    memset(zeros, 'z', zn);
    struct sk_decode_limits cap = {.out_max = 1u << 20};
    unsigned char *bomb = sk_tz_bzip2(zeros, zn, &bl);
    assert_int_equal(decode_split_chain(&bzc, bomb, bl, bl / 2, &o, &cap), SK_DECODE_LIMIT);
    assert_int_equal(o.len, 1u << 20);
    free(bomb);
    bomb = sk_tz_xz(zeros, zn, &bl);
    assert_int_equal(decode_split_chain(&xzc, bomb, bl, bl / 2, &o, &cap), SK_DECODE_LIMIT);
    assert_int_equal(o.len, 1u << 20);
    free(bomb), free(zeros);
    /* lzma (alone), lzip and lz4 files: every split; lzip and lz4 members
     * or frames one after another; cut inside: corrupt; lzma alone is one
     * stream, what follows it passes as it is */
    static const struct {
        const char *what;
        enum sk_coding c;
        enum sk_ctype t;
        unsigned char *(*enc)(const void *, size_t, size_t *);
        int many; /* streams one after another decode */
    } more[] = {{"lzma", SK_CODING_LZMA, SK_CT_LZMA, sk_tz_lzma, 0},
                {"lzip", SK_CODING_LZIP, SK_CT_LZIP, sk_tz_lzip, 1},
                {"lz4", SK_CODING_LZ4, SK_CT_LZ4, sk_tz_lz4, 1}};
    for (size_t m = 0; m < sizeof(more) / sizeof(more[0]); m++) {
        const struct sk_coding_chain ch = {.c = {more[m].c}, .n = 1};
        size_t n0, n1;
        unsigned char *a = more[m].enc(parts[0], strlen(parts[0]), &n0);
        unsigned char *b = more[m].enc(parts[1], strlen(parts[1]), &n1);
        memcpy(body, a, n0);
        memcpy(body + n0, b, n1);
        blen = n0 + n1;
        assert_int_equal(sk_container_sniff(body, blen), more[m].t);
        assert_int_equal(sk_container_coding(more[m].t), more[m].c);
        for (size_t split = 0; split <= blen; split++) {
            assert_int_equal(decode_split_chain(&ch, body, blen, split, &o, NULL), SK_DECODE_OK);
            size_t p0 = strlen(parts[0]), l1 = strlen(parts[1]);
            if (o.len != p0 + (more[m].many ? l1 : n1) || memcmp(o.p, parts[0], p0) != 0 ||
                memcmp(o.p + p0, more[m].many ? (const void *)parts[1] : (const void *)b,
                       more[m].many ? l1 : n1) != 0)
                fail_msg("%s split at %zu: %zu bytes", more[m].what, split, o.len);
        }
        for (size_t cut = 1; cut < n0; cut++)
            if (decode_split_chain(&ch, body, cut, cut / 2, &o, NULL) != SK_DECODE_CORRUPT)
                fail_msg("%s cut at %zu of %zu: not corrupt", more[m].what, cut, n0);
        /* a flipped byte in the data (lz4: caught by the content checksum) */
        memcpy(body, a, n0);
        body[n0 / 2 + 4] ^= 0x20;
        assert_int_equal(decode_split_chain(&ch, body, n0, n0 / 3, &o, NULL), SK_DECODE_CORRUPT);
        free(a), free(b);
    }
    /* legacy lz4 (lz4 -l) is recognised and not decoded: corrupt */
    static const unsigned char legacy[] = {0x02, 0x21, 0x4c, 0x18, 5,   0,   0,
                                           0,    0x50, 'h',  'e',  'l', 'l', 'o'};
    const struct sk_coding_chain l4 = {.c = {SK_CODING_LZ4}, .n = 1};
    assert_int_equal(sk_container_sniff(legacy, sizeof(legacy)), SK_CT_LZ4);
    assert_int_equal(decode_split_chain(&l4, legacy, sizeof(legacy), 3, &o, NULL),
                     SK_DECODE_CORRUPT);
    /* the .lzma header's sniff: a dictionary size as encoders write it */
    static const unsigned char notlzma[] = {0x5d, 0x00, 0x00, 0x81, 0x00, 0xff, 0xff,
                                            0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    assert_int_equal(sk_container_sniff(notlzma, sizeof(notlzma)), SK_CT_NONE);
    /* 7z and rar are recognised, and no coding undoes them */
    assert_int_equal(sk_container_sniff((const unsigned char *)"7z\xbc\xaf\x27\x1c\0\4", 8),
                     SK_CT_7Z);
    assert_int_equal(sk_container_sniff((const unsigned char *)"Rar!\x1a\x07\1\0", 8), SK_CT_RAR);
    assert_int_equal(sk_container_coding(SK_CT_7Z), 0);
    assert_int_equal(sk_container_sniff((const unsigned char *)"BZh0abcd", 8), SK_CT_NONE);
    free(o.p);
}

/* IN compressed by the reference compress(1) (ncompress: contrib/deps.sh
 * installs it) with -b BITS; *OLEN gets the length. */
static unsigned char *compress_of(const void *in, size_t n, int bits, size_t *olen)
{
    char tmpl[] = "/tmp/sk-test-lzw-XXXXXX", cmd[128];
    int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, in, n), (ssize_t)n);
    close(fd);
    snprintf(cmd, sizeof(cmd), "compress -b%d -c < %s", bits, tmpl);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    size_t cap = n + 4096, len = 0, r;
    unsigned char *b = malloc(cap);
    while ((r = fread(b + len, 1, cap - len, f)) > 0)
        len += r;
    int st = pclose(f);
    unlink(tmpl);
    if (st != 0 || len < 3)
        fail_msg("compress(1) failed (%d): is ncompress installed?", st);
    *olen = len;
    return b;
}

/* compress (.Z): ncompress is the oracle - widths up to 10, 12 and 16
 * bits, the padded groups at each width change, CLEAR codes (block mode:
 * random data once the table is full), any split of the writes (its -b9
 * files it cannot read back itself) */
static void test_compress(void **s)
{
    const struct sk_coding_chain ch = {.c = {SK_CODING_COMPRESS}, .n = 1};
    size_t n = 300000;
    unsigned char *text = malloc(n);
    uint32_t x = 12345;
    struct out o = {0};

    (void)s;
    for (size_t i = 0; i < n; i++) { /* words from a small alphabet, then noise */
        x = x * 1103515245 + 12345;
        text[i] = i < n / 2 ? "abcdefghij  "[(x >> 16) % 12] : (unsigned char)(x >> 16);
    }
    for (int bits = 10; bits <= 16; bits += bits == 10 ? 2 : 4) {
        size_t zl;
        unsigned char *z = compress_of(text, n, bits, &zl);
        assert_int_equal(sk_container_sniff(z, zl), SK_CT_COMPRESS);
        for (size_t split = 0; split <= zl; split += zl / 7 + 1) {
            assert_int_equal(decode_split_chain(&ch, z, zl, split, &o, NULL), SK_DECODE_OK);
            if (o.len != n || memcmp(o.p, text, n) != 0)
                fail_msg("-b%d split at %zu: %zu bytes, differ", bits, split, o.len);
        }
        /* one byte at a time */
        struct sk_decoder *d = sk_decoder_new(&ch, &nolimit);
        o.len = 0;
        for (size_t i = 0; i < zl; i++)
            assert_int_equal(sk_decoder_feed(d, z + i, 1, 0, out_sink, &o), SK_DECODE_OK);
        assert_int_equal(sk_decoder_feed(d, NULL, 0, 1, out_sink, &o), SK_DECODE_OK);
        sk_decoder_free(d);
        assert_int_equal(o.len, n);
        assert_memory_equal(o.p, text, n);
        free(z);
    }
    /* a first code that is no byte, and 'A' then code 258 (one past the
     * next free entry, 257): corrupt, the rest passed on */
    static const unsigned char bad[] = {0x1f, 0x9d, 0x90, 'A', 0xff, 0xff, 0xff, 0xff};
    static const unsigned char past[] = {0x1f, 0x9d, 0x90, 0x41, 0x04, 0x02};
    static const unsigned char next[] = {0x1f, 0x9d, 0x90, 0x41, 0x02, 0x02}; /* 257: "AA" */
    assert_int_equal(decode_split_chain(&ch, bad, sizeof(bad), 4, &o, NULL), SK_DECODE_CORRUPT);
    assert_int_equal(decode_split_chain(&ch, past, sizeof(past), 4, &o, NULL), SK_DECODE_CORRUPT);
    assert_int_equal(decode_split_chain(&ch, next, sizeof(next), 4, &o, NULL), SK_DECODE_OK);
    assert_int_equal(o.len, 3);
    assert_memory_equal(o.p, "AAA", 3);
    /* a header asking for 8 or 17 bits is no .Z */
    assert_int_equal(sk_container_sniff((const unsigned char *)"\x1f\x9d\x88", 3), SK_CT_NONE);
    assert_int_equal(sk_container_sniff((const unsigned char *)"\x1f\x9d\x91", 3), SK_CT_NONE);
    /* a bomb: exactly the first out_max bytes */
    memset(text, 'z', n);
    size_t zl;
    unsigned char *z = compress_of(text, n, 16, &zl);
    struct sk_decode_limits cap = {.out_max = 100000};
    assert_int_equal(decode_split_chain(&ch, z, zl, zl / 2, &o, &cap), SK_DECODE_LIMIT);
    assert_int_equal(o.len, 100000);
    free(z), free(text), free(o.p);
}

/* Percent-encoded data: URLs in text (sk_dataurl_find, sk_dataurl_decode) */
/* The views a reader of URLs in text takes: UTF-16 as UTF-8, character
 * references decoded in place (never growing). */
static void test_text_views(void **s)
{
    unsigned char out[64];
    static const unsigned char le[] = "\xff\xfe"
                                      "A\0\xe9\0\x3d\xd8\x00\xde"
                                      "\x00\xdcZ\0!";
    static const unsigned char be[] = "\0A\xd8\x3d\xde\x00\xd8\x00";
    size_t n;

    (void)s;
    n = sk_utf16_to_utf8(le, sizeof(le) - 1, 0, out); /* BOM, pair, lone low, odd byte */
    assert_int_equal(n, 1 + 2 + 4 + 3 + 1);
    assert_memory_equal(out, "A\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbdZ", n);
    n = sk_utf16_to_utf8(be, sizeof(be) - 1, 1, out); /* no BOM; a high surrogate at the end */
    assert_int_equal(n, 1 + 4 + 3);
    assert_memory_equal(out, "A\xf0\x9f\x98\x80\xef\xbf\xbd", n);
    char t[] = "a&#37;21b&amp;&lt=1&nbsp;&#0&#x80&bogus;&";
    n = sk_html_unref((unsigned char *)t, strlen(t));
    static const char want[] = "a%21b&&lt=1\xc2\xa0\xef\xbf\xbd\xe2\x82\xac&bogus;&";
    assert_int_equal(n, sizeof(want) - 1);
    assert_memory_equal(t, want, n);
    /* the shortest references with the longest output still fit in place */
    for (int k = 0; k < 3; k++) {
        static const char *const worst[] = {"&#0&#0&#0", "&#x0&#x80", "&#x10000&nbsp"};
        char w[32];
        snprintf(w, sizeof(w), "%s", worst[k]);
        size_t len = strlen(w), m = sk_html_unref((unsigned char *)w, len);
        assert_true(m <= len);
    }
}

static void test_dataurl(void **s)
{
    static const char text[] =
        "a <a href=\"data:,plain text\">x</a> b64 data:text/plain;base64,SGVsbG8%3D "
        "fetch(\"DATA:application/octet-stream,X5O%21P%25%40AP\").then() "
        "url('data:image/svg+xml;charset=utf-8,%3Csvg%3E') data: no, "
        "data:text/x;q=\"1\",%41 end data:,%4";
    const unsigned char *p = (const unsigned char *)text;
    size_t n = strlen(text), pos = 0, a, b;
    unsigned char out[64];
    static const char *const want[] = {"X5O!P%@AP", "<svg>"};
    int found = 0;

    (void)s;
    /* no escapes (text as it is), base64 (sk_b64run's), a quoted parameter:
     * not taken; a '%' without two hex digits is kept */
    while (sk_dataurl_find(p, n, &pos, &a, &b)) {
        assert_true(found < 2);
        size_t m = sk_dataurl_decode(p + a, b - a, out);
        assert_int_equal(m, strlen(want[found]));
        assert_memory_equal(out, want[found], m);
        found++;
    }
    assert_int_equal(found, 2); /* "data:,%4" has no %XX */
    assert_int_equal(pos, n);
    assert_int_equal(sk_dataurl_decode((const unsigned char *)"%4", 2, out), 2);
    assert_memory_equal(out, "%4", 2);
    /* many "data:" that are no URL: passed over, none found */
    size_t big = 1u << 20;
    char *junk = malloc(big);
    for (size_t i = 0; i < big; i++)
        junk[i] = "data:"[i % 5];
    pos = 0;
    assert_int_equal(sk_dataurl_find((const unsigned char *)junk, big, &pos, &a, &b), 0);
    free(junk);
}

/* ---- multipart ------------------------------------------------------- */

struct mp_rec {
    char log[4096];
    size_t n;
};

static int mp_begin(void *arg, const struct sk_mp_part *p)
{
    struct mp_rec *r = arg;
    r->n += (size_t)snprintf(r->log + r->n, sizeof(r->log) - r->n, "[%c%d:%s:%s|",
                             p->kind == SK_MP_PART       ? 'P'
                             : p->kind == SK_MP_PREAMBLE ? 'A'
                                                         : 'E',
                             p->depth, p->filename, p->content_type);
    return 0;
}

static int mp_data(void *arg, const void *buf, size_t len)
{
    struct mp_rec *r = arg;
    assert_true(r->n + len < sizeof(r->log));
    memcpy(r->log + r->n, buf, len);
    r->n += len;
    r->log[r->n] = 0;
    return 0;
}

static int mp_end(void *arg)
{
    struct mp_rec *r = arg;
    r->n += (size_t)snprintf(r->log + r->n, sizeof(r->log) - r->n, "]");
    return 0;
}

/* Parse BODY split at every position; each gives WANT. */
static void mp_expect(const char *boundary, const char *body, const char *want)
{
    size_t n = strlen(body);

    for (size_t split = 0; split <= n; split++) {
        struct mp_rec r = {"", 0};
        struct sk_mp_handler h = {mp_begin, mp_data, mp_end, &r};
        struct sk_mp *m = sk_mp_new(boundary, &h);
        assert_non_null(m);
        assert_int_equal(sk_mp_write(m, body, split), 0);
        assert_int_equal(sk_mp_write(m, body + split, n - split), 0);
        assert_int_equal(sk_mp_end(m), 0);
        sk_mp_free(m);
        if (strcmp(r.log, want) != 0)
            fail_msg("split %zu:\n got  %s\n want %s", split, r.log, want);
    }
}

static void test_multipart_forms(void **s)
{
    /* CRLF, with a preamble and an epilogue */
    mp_expect("XyZ",
              "pre\r\n--XyZ\r\nContent-Disposition: form-data; name=a; filename=\"r.dat\"\r\n"
              "Content-Type: application/zip\r\n\r\nPK\x03\x04"
              "data\r\n--XyZ\r\n\r\nv2\r\n"
              "--XyZ--\r\nepi",
              "[A0::|\npre][P0:r.dat:application/zip|PK\x03\x04"
              "data][P0::|v2][E0::|\r\nepi]");
    /* LF only, one part-header line */
    mp_expect("b", "--b\nContent-Type: text/plain\n\n4111 1111\n--b--\n",
              "[A0::|][P0::text/plain|4111 1111][E0::|\n]");
    /* "--b" followed by other text is data (RFC 2046), padding is allowed */
    mp_expect("b", "--b \t\r\n\r\nx\r\n--bx\r\ny\r\n--b--", "[A0::|][P0::|x\r\n--bx\r\ny][E0::|]");
    /* nested multipart, base64 and quoted-printable parts */
    mp_expect("o",
              "--o\r\nContent-Type: multipart/mixed; boundary=\"in\"\r\n\r\n"
              "--in\r\nContent-Transfer-Encoding: base64\r\n\r\nNDExMSAx\r\nMTEx\r\n"
              "--in\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\na=3Db=\r\nc\r\n"
              "--in--\r\n--o--\r\n",
              "[A0::|][A1::|][P1::|4111 1111][P1::|a=bc][E1::|][E0::|\r\n]");
    /* base64 padding: the last group's bytes are kept ("4111 1111 1" + "11") */
    mp_expect("b", "--b\nContent-Transfer-Encoding: BASE64\n\nNDExMSAxMTExIDE=\nMTE=\n--b--",
              "[A0::|][P0::|4111 1111 111][E0::|]");
    /* headers that never end: the bytes are still delivered */
    mp_expect("b", "--b\r\nX: y", "[A0::|][P0::|X: y]");
}

static void test_multipart_boundary_param(void **s)
{
    char out[SK_MP_BOUNDARY_MAX + 1];
    /* exact-size heap copies so ASan sees any read past the NUL */
    static const char *bad[] = {"multipart/form-data;boundary", "multipart/form-data; boundary",
                                "multipart/form-data;boundary=", "text/plain; boundary=x",
                                "multipart/form-data; boundary=\"\""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *c = strdup(bad[i]);
        assert_int_equal(sk_mp_boundary(c, out, sizeof(out)), -1);
        free(c);
    }
    char *c = strdup("Multipart/Form-Data; charset=x; boundary = \"a\\\"b\"");
    assert_int_equal(sk_mp_boundary(c, out, sizeof(out)), 0);
    assert_string_equal(out, "a\"b");
    free(c);
    char v[64];
    assert_int_equal(
        sk_header_param("form-data; name=f; filename*=UTF-8''r.dat", "filename*", v, sizeof(v)), 0);
    assert_string_equal(v, "r.dat");
    assert_int_equal(sk_header_param("text/plain; charset", "charset", v, sizeof(v)), -1);
    assert_int_equal(sk_header_param("text/plain; charset = \"sjis\"", "charset", v, 3), 0);
    assert_string_equal(v, "sj"); /* cut, never overflowing */
    char longb[300];
    memset(longb, 'x', sizeof(longb));
    memcpy(longb, "multipart/x; boundary=", 22);
    longb[299] = 0;
    assert_int_equal(sk_mp_boundary(longb, out, sizeof(out)), -1);
    /* a ';' inside a quoted value separates nothing: the boundary is the
     * real parameter's (Python's email and Go's mime read BBB too) */
    c = strdup("multipart/form-data; x=\"; boundary=AAA\"; boundary=BBB");
    assert_int_equal(sk_mp_boundary(c, out, sizeof(out)), 0);
    assert_string_equal(out, "BBB");
    free(c);
    /* two different boundaries: ambiguous (-2), never a guess; the same
     * one twice is no ambiguity */
    c = strdup("multipart/form-data; boundary=AAA; boundary=BBB");
    assert_int_equal(sk_mp_boundary(c, out, sizeof(out)), -2);
    free(c);
    c = strdup("multipart/form-data; boundary=AAA; BOUNDARY=\"AAA\"");
    assert_int_equal(sk_mp_boundary(c, out, sizeof(out)), 0);
    assert_string_equal(out, "AAA");
    free(c);
    /* RFC 2231 forms: Python's email reads "BB", frameworks no boundary */
    static const char *const r2231[] = {"multipart/form-data; boundary*0=B; boundary*1=B",
                                        "multipart/form-data; boundary*=utf-8''BB",
                                        "multipart/mixed; boundary=A; Boundary*=''A"};
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(sk_mp_boundary(r2231[i], out, sizeof(out)), -2);
    /* a quoted "boundary*" is no parameter */
    assert_int_equal(
        sk_mp_boundary("multipart/mixed; x=\"; boundary*=1\"; boundary=A", out, sizeof(out)), 0);
    assert_int_equal(sk_header_param("a; charset=x; charset=y", "charset", v, sizeof(v)), -2);
    assert_string_equal(v, "x");
    /* after a quoted value the scan goes on outside quotes */
    assert_int_equal(sk_header_param("a; charset=\"x\"; charset=y", "charset", v, sizeof(v)), -2);
    assert_int_equal(sk_header_param("a; name=\"f\"; filename=\"b.txt\"", "filename", v, sizeof(v)),
                     0);
    assert_string_equal(v, "b.txt");
}

/* ---- zip --------------------------------------------------------------- */

/* A local header + data (sk_tzip_entry); zip64 puts the sizes in a ZIP64
 * extra field; desc: flag bit 3 and a data descriptor after the data. */
static void zip_entry(struct sk_tzip *z, const char *name, const char *text, int deflate, int zip64,
                      int desc)
{
    sk_tzip_entry(z, name, text, strlen(text),
                  (deflate ? SK_TZIP_DEFLATE : 0) | (zip64 ? SK_TZIP_ZIP64 : 0) |
                      (desc ? SK_TZIP_DESC : 0),
                  0);
}

static int zb(void *arg, const struct sk_zip_entry *e)
{
    struct mp_rec *r = arg;
    r->n += (size_t)snprintf(r->log + r->n, sizeof(r->log) - r->n, "[%s%s|", e->name,
                             e->encrypted ? "!" : "");
    return 1;
}

static int zt(void *arg)
{
    struct mp_rec *r = arg;
    r->n += (size_t)snprintf(r->log + r->n, sizeof(r->log) - r->n, "[tail|");
    return 0;
}

static void zip_expect(const struct sk_tzip *z, const char *want_prefix)
{
    for (size_t split = 0; split <= z->n; split += 1) {
        struct mp_rec r = {"", 0};
        struct sk_zip_handler h = {zb, mp_data, mp_end, zt, &r, NULL};
        struct sk_zip *w = sk_zip_new(&h);
        assert_int_equal(sk_zip_write(w, z->p, split), 0);
        assert_int_equal(sk_zip_write(w, z->p + split, z->n - split), 0);
        assert_int_equal(sk_zip_end(w), 0);
        sk_zip_free(w);
        if (strncmp(r.log, want_prefix, strlen(want_prefix)) != 0)
            fail_msg("split %zu:\n got  %s\n want %s...", split, r.log, want_prefix);
    }
}

static void test_zip_walker(void **s)
{
    struct sk_tzip z = {0};

    zip_entry(&z, "a.txt", "stored text", 0, 0, 0);
    zip_entry(&z, "word/document.xml", "deflated 4111 1111 1111 1111", 1, 0, 0);
    zip_entry(&z, "big.bin", "zip64 entry holds EICAR-ish text", 1, 1, 0);
    zip_entry(&z, "d.txt", "descriptor entry", 1, 1, 1);
    zip_entry(&z, "e.txt", "plain descriptor", 1, 0, 1);
    sk_tzip_put(&z,
                "PK\x01\x02"
                "central",
                11);
    sk_tzip_put(&z, "APPENDED SECRET", 15);
    zip_expect(&z, "[a.txt|stored text][word/document.xml|deflated 4111 1111 1111 1111]"
                   "[big.bin|zip64 entry holds EICAR-ish text][d.txt|descriptor entry]"
                   "[e.txt|plain descriptor][tail|PK\x01\x02"
                   "centralAPPENDED SECRET]");
    /* zstd entries (method 93): with sizes, and with a descriptor (the
     * frame's end delimits them), then one that does not decode: tail,
     * and counted as undecoded */
    sk_tzip_free(&z);
    memset(&z, 0, sizeof(z));
    sk_tzip_entry(&z, "z.txt", "zstd entry text", 15, SK_TZIP_ZSTD, 0);
    sk_tzip_entry(&z, "zd.txt", "zstd with a descriptor", 22, SK_TZIP_ZSTD | SK_TZIP_DESC, 0);
    sk_tzip_entry(&z, "after.txt", "after", 5, 0, 0);
    zip_expect(&z, "[z.txt|zstd entry text][zd.txt|zstd with a descriptor][after.txt|after]");
    {
        size_t good = z.n;
        sk_tzip_entry(&z, "bad.txt", "corrupt zstd entry", 18, SK_TZIP_ZSTD, 0);
        z.p[good + 30 + 7] = 0; /* its frame's magic */
        struct mp_rec r = {"", 0};
        struct sk_zip_handler h = {zb, mp_data, mp_end, zt, &r, NULL};
        struct sk_zip *w = sk_zip_new(&h);
        assert_int_equal(sk_zip_write(w, z.p, z.n), 0);
        assert_int_equal(sk_zip_end(w), 0);
        assert_int_equal(sk_zip_stats(w)->undecoded, 1);
        assert_true(sk_zip_stats(w)->corrupt);
        sk_zip_free(w);
        /* cut inside the zstd entry: undecoded too */
        w = sk_zip_new(&h);
        assert_int_equal(sk_zip_write(w, z.p, good + 40), 0);
        assert_int_equal(sk_zip_end(w), 0);
        assert_int_equal(sk_zip_stats(w)->undecoded, 1);
        sk_zip_free(w);
    }
    /* bzip2 (12), LZMA (14) and xz (95) entries of known size, ZIP64
     * sizes too: the toolkit's decoders read them */
    z.n = 0;
    sk_tzip_entry(&z, "b.txt", "bzip2 entry text", 16, SK_TZIP_BZIP2, 0);
    sk_tzip_entry(&z, "l.txt", "lzma entry text", 15, SK_TZIP_LZMA, 0);
    sk_tzip_entry(&z, "x.txt", "xz entry text", 13, SK_TZIP_XZ | SK_TZIP_ZIP64, 0);
    sk_tzip_entry(&z, "after.txt", "after", 5, 0, 0);
    zip_expect(&z, "[b.txt|bzip2 entry text][l.txt|lzma entry text][x.txt|xz entry text]"
                   "[after.txt|after]");
    {
        /* method 14 without flag bit 1: the stream's size is the entry's
         * (liblzma takes the end marker after it too) */
        size_t at = z.n;
        sk_tzip_entry(&z, "k.txt", "lzma of known size", 18, SK_TZIP_LZMA, 0);
        z.p[at + 6] &= (unsigned char)~2;
        zip_expect(&z, "[b.txt|bzip2 entry text][l.txt|lzma entry text][x.txt|xz entry text]"
                       "[after.txt|after][k.txt|lzma of known size]");
    }
    /* each of them corrupt, cut short, or without properties: undecoded,
     * the rest of the entry dropped and the walk goes on after it */
    for (int m = 0; m < 5; m++) {
        static const unsigned opts[] = {SK_TZIP_BZIP2, SK_TZIP_LZMA, SK_TZIP_XZ, SK_TZIP_LZMA,
                                        SK_TZIP_BZIP2};
        char text[200];
        memset(text, 'q', sizeof(text));
        z.n = 0;
        sk_tzip_entry(&z, "bad.txt", text, sizeof(text), opts[m], 0);
        size_t data = 30 + 7, end = z.n;
        if (m == 3)
            z.p[data + 2] = 4; /* properties' size */
        else if (m == 4)
            z.p[18] = z.p[18] - 3; /* compressed size: cut inside the stream */
        else
            z.p[end - 6] ^= 0x55; /* inside the stream's last bytes (xz: its index) */
        if (m == 4) {
            memmove(z.p + end - 3, z.p + end, 0);
            z.n = end - 3;
        }
        sk_tzip_entry(&z, "after.txt", "after", 5, 0, 0);
        for (size_t split = 0; split <= z.n; split++) {
            struct mp_rec r = {"", 0};
            struct sk_zip_handler h = {zb, mp_data, mp_end, zt, &r, NULL};
            struct sk_zip *w = sk_zip_new(&h);
            assert_int_equal(sk_zip_write(w, z.p, split), 0);
            assert_int_equal(sk_zip_write(w, z.p + split, z.n - split), 0);
            assert_int_equal(sk_zip_end(w), 0);
            if (sk_zip_stats(w)->undecoded != 1 || !sk_zip_stats(w)->corrupt ||
                !memmem(r.log, r.n, "[after.txt|after]", 17)) /* garbage may hold NULs */
                fail_msg("case %d split %zu: undecoded %u, log (%zu) ...%s", m, split,
                         sk_zip_stats(w)->undecoded, r.n, r.log + (r.n > 60 ? r.n - 60 : 0));
            sk_zip_free(w);
        }
    }
    /* with a descriptor (no length): unsupported, its bytes the tail's */
    z.n = 0;
    sk_tzip_entry(&z, "bd.txt", "bzip2 with a descriptor", 23, SK_TZIP_BZIP2 | SK_TZIP_DESC, 0);
    zip_expect(&z, "[bd.txt|][tail|BZh9");
    /* stored with a descriptor has no length: the rest is tail, not lost */
    z.n = 0;
    zip_entry(&z, "s.txt", "stored data nobody can delimit", 0, 0, 1);
    zip_expect(&z, "[s.txt|][tail|stored data nobody can delimit");
    /* not a zip at all */
    z.n = 0;
    sk_tzip_put(&z, "plain", 5);
    zip_expect(&z, "[tail|plain]");
    assert_int_equal(sk_container_sniff((const unsigned char *)"PK\x03\x04", 4), SK_CT_ZIP);
    assert_int_equal(sk_container_sniff((const unsigned char *)"\x1f\x8b\x08", 3), SK_CT_GZIP);
    assert_int_equal(sk_container_sniff((const unsigned char *)"PK\x05\x06", 4), SK_CT_NONE);
    sk_tzip_free(&z);
}

/* The central directory reader and the agreement check: what a walk read
 * (its entries' offsets, methods, sizes) against what extractors read. */
struct cd_rec {
    struct sk_zip_cd_entry e[8];
    int n, stop_at;
};

static int cd_cb(void *arg, const struct sk_zip_cd_entry *e)
{
    struct cd_rec *r = arg;
    if (r->n == r->stop_at)
        return -1;
    r->e[r->n++] = *e;
    return 0;
}

static struct sk_zip_seen seen;

static int seen_begin(void *arg, const struct sk_zip_entry *e)
{
    (void)arg;
    sk_zip_seen_add(&seen, e, 0);
    return 1;
}
static int seen_data(void *arg, const void *b, size_t n)
{
    (void)arg, (void)b, (void)n;
    return 0;
}
static int seen_end(void *arg)
{
    (void)arg;
    return 0;
}
static int seen_tail(void *arg)
{
    (void)arg;
    return 0;
}

/* Walk P from OFF on; the entries it read are in seen. */
static void seen_walk(const unsigned char *p, size_t n, size_t off)
{
    struct sk_zip_handler h = {seen_begin, seen_data, seen_end, seen_tail, NULL, NULL};
    struct sk_zip *w = sk_zip_new(&h);
    sk_zip_seen_free(&seen);
    assert_int_equal(sk_zip_write(w, p + off, n - off), 0);
    assert_int_equal(sk_zip_end(w), 0);
    sk_zip_free(w);
}

static void test_zip_directory(void **s)
{
    struct sk_tzip z = {0};
    struct cd_rec r = {.stop_at = -1};
    unsigned char hdr[30 + 255 + 20];

    (void)s;
    sk_tzip_entry(&z, "a.txt", "stored text", 11, 0, 0);
    sk_tzip_entry(&z, "b.txt", "deflated text deflated text", 27, SK_TZIP_DEFLATE, 0);
    sk_tzip_entry(&z, "c.txt", "zip64 entry", 11, SK_TZIP_DEFLATE | SK_TZIP_ZIP64, 0);
    sk_tzip_entry(&z, "d.txt", "with a descriptor", 17, SK_TZIP_DEFLATE | SK_TZIP_DESC, 0);
    size_t ends = z.n;
    sk_tzip_central(&z);
    /* every record read, each agreeing with the walk */
    assert_int_equal(sk_zip_cd_each(z.p, z.n, 0, cd_cb, &r), 4);
    seen_walk(z.p, z.n, 0);
    assert_int_equal(seen.n, 4);
    for (int i = 0; i < 4; i++)
        assert_true(sk_zip_cd_agrees(&seen, &r.e[i]));
    assert_int_equal(r.e[0].local, 0);
    assert_int_equal(r.e[1].method, 8);
    assert_int_equal(r.e[2].csize, seen.v[2].csize); /* from the ZIP64 extra field */
    assert_int_equal(seen.v[3].sized, 0);            /* flag bit 3 */
    /* a stub before the archive: offsets shifted, as zipfile does */
    {
        unsigned char *sfx = malloc(z.n + 100);
        memset(sfx, 'M', 100);
        memcpy(sfx + 100, z.p, z.n);
        r.n = 0;
        assert_int_equal(sk_zip_cd_each(sfx, z.n + 100, 0, cd_cb, &r), 4);
        assert_int_equal(r.e[1].local, 100 + seen.v[1].offset);
        /* a window of the tail only (BASE): the same records */
        r.n = 0;
        assert_int_equal(sk_zip_cd_each(sfx + 100 + ends, z.n - ends, 100 + ends, cd_cb, &r), 4);
        assert_int_equal(r.e[3].local, 100 + seen.v[3].offset);
        /* the directory before the window: not checkable */
        assert_int_equal(sk_zip_cd_each(sfx + 101 + ends, z.n - ends - 1, 101 + ends, cd_cb, &r),
                         -2);
        free(sfx);
    }
    /* a forged end record in the comment (zipfile takes it, Java the one
     * whose comment reaches the end) and a locator without its ZIP64
     * record (zipfile ignores it): the real directory is read */
    {
        unsigned char *f = malloc(z.n + 64);
        memcpy(f, z.p, z.n);
        size_t e = z.n - 22, m = z.n;
        static const unsigned char fake[22] = {'P', 'K', 5, 6, 0, 0, 0, 0, 0, 0, 0,
                                               0,   0,   0, 0, 0, 0, 0, 0, 0, 7, 0};
        memcpy(f + m, fake, 22), m += 22;
        f[e + 20] = 22; /* the real record's comment holds the fake */
        r.n = 0;
        assert_int_equal(sk_zip_cd_each(f, m, 0, cd_cb, &r), 4);
        memcpy(f, z.p, z.n);
        memmove(f + e + 20, f + e, 22);
        memcpy(f + e, "PK\6\7\0\0\0\0\0\0\0\0\0\0\0\0\1\0\0\0", 20);
        f[e + 20 + 12] = (unsigned char)(f[e + 20 + 12] + 20); /* the locator is in the size */
        r.n = 0;
        assert_int_equal(sk_zip_cd_each(f, z.n + 20, 0, cd_cb, &r), 4);
        free(f);
    }
    /* EACH stops; no end record; a cut directory */
    r.n = 0, r.stop_at = 1;
    assert_int_equal(sk_zip_cd_each(z.p, z.n, 0, cd_cb, &r), -3);
    r.stop_at = -1;
    assert_int_equal(sk_zip_cd_each(z.p, ends, 0, cd_cb, &r), -1);
    assert_int_equal(sk_zip_cd_each(z.p, z.n - 1, 0, cd_cb, &r), -1);
    /* disagreements: another method, another size, an encrypted flag, an
     * offset no header the walk read is at */
    r.n = 0;
    assert_int_equal(sk_zip_cd_each(z.p, z.n, 0, cd_cb, &r), 4);
    struct sk_zip_cd_entry e = r.e[0];
    e.method = 8;
    assert_false(sk_zip_cd_agrees(&seen, &e));
    e = r.e[0], e.csize++;
    assert_false(sk_zip_cd_agrees(&seen, &e));
    e = r.e[0], e.flags |= 1;
    assert_false(sk_zip_cd_agrees(&seen, &e));
    e = r.e[0], e.local++;
    assert_false(sk_zip_cd_agrees(&seen, &e));
    e = r.e[3], e.csize += 7; /* bit 3: the header gave no size to compare */
    assert_true(sk_zip_cd_agrees(&seen, &e));
    /* a header for a record: a walker reads the entry as the record says */
    e = r.e[1];
    size_t hl = sk_zip_cd_header(&e, "b.txt", hdr);
    assert_int_equal(hl, 35);
    unsigned char *one = malloc(hl + e.csize);
    memcpy(one, hdr, hl);
    memcpy(one + hl, z.p + seen.v[1].offset + 35, e.csize);
    zip_expect(&(struct sk_tzip){.p = one, .n = hl + e.csize},
               "[b.txt|deflated text deflated text]");
    e.csize = 0xffffffffu; /* ZIP64 sizes: an extra field */
    assert_int_equal(sk_zip_cd_header(&e, "b.txt", hdr), 55);
    free(one);
    sk_tzip_free(&z);
    sk_zip_seen_free(&seen);
}

/* Where a zip starts (sk_zip_find), whether a local header is one
 * (sk_zip_local_plausible), ZIP64 records (sk_zip_has_zip64), and where the
 * walker's tail began (stats.tail_bytes). */
static void test_zip_find(void **s)
{
    struct sk_tzip z = {0}, b = {0};
    static const char eocd[22] = "PK\x05\x06";

    zip_entry(&z, "a.txt", "stored text", 0, 0, 0);
    const unsigned char *h = z.p;
    assert_int_equal(sk_zip_local_plausible(h, z.n), 1);
    assert_int_equal(sk_zip_local_plausible(h, 34), -1); /* name not all in */
    assert_int_equal(sk_zip_local_plausible(h, 29), -1);
    assert_int_equal(sk_zip_local_plausible((const unsigned char *)"PK\x03\x05", 4), 0);
    unsigned char bad[64];
    memcpy(bad, h, sizeof(bad));
    bad[8] = 7; /* method 7: no writer uses it */
    assert_int_equal(sk_zip_local_plausible(bad, sizeof(bad)), 0);
    memcpy(bad, h, sizeof(bad));
    bad[31] = '\n'; /* a control byte in the name */
    assert_int_equal(sk_zip_local_plausible(bad, sizeof(bad)), 0);
    memcpy(bad, h, sizeof(bad));
    bad[4] = 64; /* version 6.4: none exists */
    assert_int_equal(sk_zip_local_plausible(bad, sizeof(bad)), 0);
    size_t entry = z.n;
    sk_tzip_put(&z, eocd, sizeof(eocd));

    /* at 0; after 100 constants (no try limit); not without an end after */
    assert_int_equal(sk_zip_find(z.p, z.n), 0);
    sk_tzip_put(&b, "MZ", 2);
    for (int i = 0; i < 100; i++)
        sk_tzip_put(&b, "PK\x03\x04\x0f\xe8", 6);
    size_t at = b.n;
    sk_tzip_put(&b, (const char *)z.p, z.n);
    assert_int_equal(sk_zip_find(b.p, b.n), (long)at);
    assert_int_equal(sk_zip_find(b.p, b.n - sizeof(eocd)), -1);
    /* the end must be at least a header's length after the candidate */
    b.n = 0;
    sk_tzip_put(&b, "MZ", 2);
    sk_tzip_put(&b, (const char *)z.p, 29);
    sk_tzip_put(&b, eocd, sizeof(eocd));
    assert_int_equal(sk_zip_find(b.p, b.n), -1);

    /* the tail begins where the walker stopped reading entries */
    struct mp_rec r = {"", 0};
    struct sk_zip_handler zh = {zb, mp_data, mp_end, zt, &r, NULL};
    struct sk_zip *w = sk_zip_new(&zh);
    assert_int_equal(sk_zip_write(w, z.p, z.n), 0);
    assert_int_equal(sk_zip_end(w), 0);
    assert_int_equal(sk_zip_stats(w)->tail_bytes, z.n - entry);
    sk_zip_free(w);

    assert_int_equal(sk_zip_has_zip64(z.p, z.n), 0);
    b.n = 0;
    zip_entry(&b, "big.bin", "zip64 sizes", 1, 1, 0);
    assert_int_equal(sk_zip_has_zip64(b.p, b.n), 1);
    /* "PK\6\6" in data far before the tail, or without its locator, is none */
    b.n = 0;
    sk_tzip_put(&b, "PK\x06\x06", 4);
    for (int i = 0; i < 9000; i++)
        sk_tzip_put(&b, "filler..", 8);
    sk_tzip_put(&b, (const char *)z.p, z.n);
    assert_int_equal(sk_zip_has_zip64(b.p, b.n), 0);
    b.n = 0;
    sk_tzip_put(&b, (const char *)z.p, entry);
    sk_tzip_put(&b, "PK\x06\x06", 4);
    sk_tzip_put(&b, "PK\x06\x07", 4);
    assert_int_equal(sk_zip_has_zip64(b.p, b.n), 1);
    sk_tzip_free(&z);
    sk_tzip_free(&b);
}

static size_t raw_n, data_n;
static char raw_log[1024];
static int zraw(void *arg, const void *buf, size_t len)
{
    (void)arg;
    assert_true(raw_n + len < sizeof(raw_log));
    memcpy(raw_log + raw_n, buf, len);
    raw_n += len;
    return 0;
}
static int zdata(void *arg, const void *buf, size_t len)
{
    (void)arg, (void)buf;
    data_n += len;
    return 0;
}
static int zbegin(void *arg, const struct sk_zip_entry *e)
{
    (void)arg;
    return e->encrypted ? 0 : 1;
}
static int znop(void *arg)
{
    (void)arg;
    return 0;
}

/* handler.raw: a stored archive's bytes are entry data, raw or tail, each
 * byte once, whatever the write size: names, extra fields, descriptors
 * and an entry not read reach the reader that wants every byte. */
static void test_zip_raw(void **s)
{
    struct sk_tzip z = {0};

    sk_tzip_entry(&z, "name 4111 1111 1111 1111.txt", "stored", 6, 0, 0);
    sk_tzip_entry(&z, "big.bin", "zip64 sizes", 11, SK_TZIP_ZIP64, 0);
    sk_tzip_entry(&z, "secret.txt", "not read: 4111 1111 1111 1111", 29, 0, 1 /* encrypted */);
    sk_tzip_entry(&z, "d.bin", "descriptor", 10, SK_TZIP_DEFLATE | SK_TZIP_DESC, 0);
    size_t entries = z.n;
    sk_tzip_central(&z);
    for (size_t w = 1; w <= z.n; w = w < 8 ? w + 1 : w * 3) {
        struct mp_rec r = {"", 0};
        struct sk_zip_handler h = {zbegin, zdata, znop, znop, &r, zraw};
        struct sk_zip *k = sk_zip_new(&h);
        raw_n = data_n = 0;
        for (size_t off = 0; off < z.n; off += w)
            assert_int_equal(sk_zip_write(k, z.p + off, off + w < z.n ? w : z.n - off), 0);
        assert_int_equal(sk_zip_end(k), 0);
        const struct sk_zip_stats *st = sk_zip_stats(k);
        /* the deflated entry's compressed bytes are its data's source */
        size_t deflated = entries - raw_n - (6 + 11);
        assert_int_equal(st->tail_bytes, z.n - entries);
        assert_true(memmem(raw_log, raw_n, "name 4111 1111 1111 1111.txt", 28) != NULL);
        assert_true(memmem(raw_log, raw_n, "not read: 4111 1111 1111 1111", 29) != NULL);
        assert_true(memmem(raw_log, raw_n, "PK\x07\x08", 4) != NULL); /* the descriptor */
        assert_int_equal(data_n, 6 + 11 + 10 + st->tail_bytes);       /* the tail comes as data */
        assert_true(deflated > 0 && deflated < 32);
        sk_zip_free(k);
    }
    sk_tzip_free(&z);
}

/* ---- charset ----------------------------------------------------------- */

static void test_charset_sniff(void **s)
{
    /* "カード 4111" + U+3000 + "一" in UTF-16LE/BE without BOM: ASCII space,
     * U+3000 and U+4E00 each carry a 0x00 byte */
    static const unsigned short units[] = {0x30ab, 0x30fc, 0x30c9, 0x0020, 0x0034, 0x0031,
                                           0x0031, 0x0031, 0x3000, 0x4e00, 0x756a, 0x53f7};
    unsigned char lebuf[64], bebuf[64];
    size_t n = sizeof(units) / sizeof(units[0]), skip;

    for (size_t i = 0; i < n; i++) {
        lebuf[2 * i] = (unsigned char)units[i], lebuf[2 * i + 1] = (unsigned char)(units[i] >> 8);
        bebuf[2 * i] = (unsigned char)(units[i] >> 8), bebuf[2 * i + 1] = (unsigned char)units[i];
    }
    assert_string_equal(sk_charset_sniff(lebuf, 2 * n, &skip), "UTF-16LE");
    assert_int_equal(skip, 0);
    assert_string_equal(sk_charset_sniff(bebuf, 2 * n, &skip), "UTF-16BE");
    /* ASCII-only UTF-16LE */
    assert_string_equal(
        sk_charset_sniff((const unsigned char *)"4\0001\0001\0001\000 \0001\0", 12, &skip),
        "UTF-16LE");
    /* binary with NULs stays binary */
    static const unsigned char bin[] = {0x7f, 'E', 'L', 'F', 2,    1,    1, 0, 0,    0,
                                        0,    0,   0,   0,   0,    0,    3, 0, 0x3e, 0,
                                        1,    0,   0,   0,   0x10, 0x6b, 0, 0, 0,    0};
    assert_null(sk_charset_sniff(bin, sizeof(bin), &skip));
    assert_string_equal(sk_charset_sniff((const unsigned char *)"\xff\xfe"
                                                                "a"
                                                                "\0",
                                         4, &skip),
                        "UTF-16LE");
    assert_int_equal(skip, 2);
    assert_null(sk_charset_sniff((const unsigned char *)"plain ascii text", 16, &skip));
    /* UTF-32 (JSON readers detect it without a BOM) */
    assert_string_equal(sk_charset_sniff((const unsigned char *)"{\0\0\0\"\0\0\0"
                                                                "4\0\0\0"
                                                                "1\0\0\0",
                                         16, &skip),
                        "UTF-32LE");
    assert_int_equal(skip, 0);
    assert_string_equal(sk_charset_sniff((const unsigned char *)"\0\0\xfe\xff\0\0\0"
                                                                "4\0\0\0"
                                                                "1",
                                         12, &skip),
                        "UTF-32BE");
    assert_int_equal(skip, 4);
}

/* The first-bytes rule of JSON readers (json.detect_encoding is the
 * oracle: tests/hostile g_dlp reads the same bodies with json.loads). */
static void test_charset_nul_order(void **s)
{
    static const struct {
        const char *b, *want;
    } c[] = {
        {"\0\0\0{", "UTF-32BE"},    {"\0{\0\"", "UTF-16BE"}, {"{\0\0\0", "UTF-32LE"},
        {"{\0\"\0", "UTF-16LE"},    {"{\0\0\"", "UTF-16LE"}, {"\0\0\0\0", "UTF-32BE"},
        {"\0\x01\0\0", "UTF-16BE"}, {"{\"a\0", NULL},        {"\xef\xbb\xbf\0", NULL},
        {"\xff\xfe\0\0", NULL},     {"\xff\xfe{\0", NULL},   {"\xfe\xff\0{", NULL},
        {"\0\0\xfe\xff", NULL},     {"[1, ", NULL},
    };
    (void)s;
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        const char *got = sk_charset_nul_order((const unsigned char *)c[i].b, 4);
        if (c[i].want == NULL ? got != NULL : got == NULL || strcmp(got, c[i].want) != 0)
            fail_msg("case %zu: got %s, want %s", i, got ? got : "NULL",
                     c[i].want ? c[i].want : "NULL");
    }
    /* fewer than four bytes: no rule (and nothing read past them) */
    assert_null(sk_charset_nul_order((const unsigned char *)"{\0\0", 3));
}

/* ---- mutated inputs: split invariance ------------------------------------
 * A streaming parser must not depend on where writes end (the gzip bug was
 * exactly that). Mutated gzip, multipart and zip inputs are parsed whole and
 * in random pieces; the outputs must be identical (and ASan must stay
 * quiet). Deterministic seed: failures reproduce. */

static uint32_t rnd_state = 12345;

static uint32_t rnd(void)
{
    rnd_state ^= rnd_state << 13, rnd_state ^= rnd_state >> 17, rnd_state ^= rnd_state << 5;
    return rnd_state;
}

/* Escapes undone (sk_unescape): each kind, what is no escape, and the same
 * output whatever the pieces the text comes in (a carry of what was not
 * taken, as the streaming callers keep). */
static size_t unesc_pieces(const unsigned char *s, size_t n, size_t piece, unsigned kinds,
                           unsigned char *out)
{
    unsigned char carry[SK_UNESC_HOLD + 64], tmp[SK_UNESC_HOLD + 64 + 64];
    size_t nc = 0, o = 0;

    for (size_t i = 0; i < n || nc; i += piece) {
        size_t k = i < n ? (n - i < piece ? n - i : piece) : 0, used;
        int final = i + k >= n;
        memcpy(tmp, carry, nc);
        memcpy(tmp + nc, s + (i < n ? i : n), k);
        o += sk_unescape(tmp, nc + k, final, kinds, out + o, &used);
        nc = nc + k - used;
        assert_true(nc <= SK_UNESC_HOLD);
        memcpy(carry, tmp + used, nc);
        if (final) {
            assert_int_equal(nc, 0);
            break;
        }
    }
    return o;
}

static void test_unescape(void **st)
{
    static const struct {
        unsigned kinds;
        const char *in, *want;
    } c[] = {
        {SK_UNESC_PCT, "f=X5O%21P%25%40AP%5b4%5CPZX", "f=X5O!P%@AP[4\\PZX"},
        {SK_UNESC_PCT, "100% sure %4 %zz %", "100% sure %4 %zz %"},
        {SK_UNESC_REF, "4111&nbsp;1111&#32;1111&#x20;1111 &amp;c &#52&#49",
         "4111\xc2\xa0"
         "1111 1111 1111 &c 41"},
        {SK_UNESC_REF, "a & b &x; &", "a & b &x; &"},
        {SK_UNESC_BSL, "X5O!P%@AP[4\\\\PZX54(P^)7CC)7}$EICAR",
         "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR"},
        {SK_UNESC_BSL, "\\uff14\\uFF11 \\x41\\101\\u{1F600}\\ud83d\\ude00\\n\\\"\\/\\q",
         "\xef\xbc\x94\xef\xbc\x91 AA\xf0\x9f\x98\x80\xf0\x9f\x98\x80\n\"/q"},
        {SK_UNESC_BSL, "a\\\nb \\ud800x \\u12 \\x4 \\u{} \\",
         "ab \xef\xbf\xbdx \\u12 \\x4 \\u{} \\"},
        {SK_UNESC_PCT | SK_UNESC_REF | SK_UNESC_BSL, "%26nbsp; &#92;u0034 \\u0025 41",
         "&nbsp; \\u0034 % 41"},
    };
    unsigned char out[256], out2[256];
    (void)st;
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        size_t n = strlen(c[i].in), used;
        size_t o = sk_unescape((const unsigned char *)c[i].in, n, 1, c[i].kinds, out, &used);
        assert_int_equal(used, n);
        if (o != strlen(c[i].want) || memcmp(out, c[i].want, o) != 0)
            fail_msg("case %zu: got '%.*s'", i, (int)o, out);
        for (size_t piece = 1; piece <= 7; piece++) {
            size_t o2 = unesc_pieces((const unsigned char *)c[i].in, n, piece, c[i].kinds, out2);
            if (o2 != o || memcmp(out, out2, o) != 0)
                fail_msg("case %zu in pieces of %zu: got '%.*s'", i, piece, (int)o2, out2);
        }
    }
    /* random text made of escape pieces: in place, never longer, and the
     * same in any pieces */
    static const char *const bits[] = {"%", "4",  "1",  "&",  "#",    "x",   ";",  "\\", "u", "{",
                                       "}", "d8", "dc", "00", "nbsp", "amp", "\r", "\n", "a", "7"};
    unsigned char in[512], whole[512], parts[512];
    for (int round = 0; round < 3000; round++) {
        size_t n = 0;
        while (n < 400)
            for (const char *b = bits[rnd() % 20]; *b && n < 400; b++)
                in[n++] = (unsigned char)*b;
        unsigned kinds = 1 + rnd() % 7;
        size_t used;
        memcpy(whole, in, n);
        size_t o = sk_unescape(whole, n, 1, kinds, whole, &used); /* in place */
        assert_int_equal(used, n);
        assert_true(o <= n);
        size_t o2 = unesc_pieces(in, n, 1 + rnd() % 9, kinds, parts);
        assert_int_equal(o2, o);
        assert_memory_equal(parts, whole, o);
    }
}

static size_t mutate(unsigned char *b, size_t n, size_t cap)
{
    int k = 1 + (int)(rnd() % 4);
    while (k--) {
        size_t at = n ? rnd() % n : 0;
        switch (rnd() % 4) {
        case 0:
            b[at] ^= (unsigned char)(1u << (rnd() % 8));
            break;
        case 1:
            b[at] = (unsigned char)rnd();
            break;
        case 2:
            n = at;
            break; /* truncate */
        default:
            if (n < cap) {
                memmove(b + at + 1, b + at, n - at);
                b[at] = "\r\n-=PK\x03\x04\x1f\x8b"[rnd() % 10];
                n++;
            }
        }
    }
    return n;
}

/* Run one parser over B in pieces given by rnd() (0: whole), into O. */
enum kind { K_GZIP, K_MP, K_ZIP };

static void run_kind(enum kind k, const unsigned char *b, size_t n, int pieces, struct out *o)
{
    struct mp_rec r = {"", 0};
    struct sk_mp_handler mh = {mp_begin, mp_data, mp_end, &r};
    struct sk_zip_handler zh = {zb, mp_data, mp_end, zt, &r, NULL};
    struct sk_coding_chain ch = {.c = {SK_CODING_GZIP}, .n = 1};
    struct sk_decoder *d = k == K_GZIP ? sk_decoder_new(&ch, &nolimit) : NULL;
    struct sk_mp *m = k == K_MP ? sk_mp_new("b", &mh) : NULL;
    struct sk_zip *z = k == K_ZIP ? sk_zip_new(&zh) : NULL;
    size_t at = 0;

    o->len = 0;
    while (at < n) {
        size_t step = pieces ? 1 + rnd() % 64 : n;
        if (step > n - at)
            step = n - at;
        if (d)
            sk_decoder_feed(d, b + at, step, 0, out_sink, o);
        if (m)
            assert_int_equal(sk_mp_write(m, b + at, step), 0);
        if (z)
            assert_int_equal(sk_zip_write(z, b + at, step), 0);
        at += step;
    }
    if (d) {
        sk_decoder_feed(d, NULL, 0, 1, out_sink, o);
        sk_decoder_free(d);
    }
    if (m) {
        assert_int_equal(sk_mp_end(m), 0);
        sk_mp_free(m);
    }
    if (z) {
        assert_int_equal(sk_zip_end(z), 0);
        sk_zip_free(z);
    }
    if (k != K_GZIP)
        out_sink(o, r.log, r.n > sizeof(r.log) - 1 ? sizeof(r.log) - 1 : r.n);
}

static void test_mutations_split_invariant(void **s)
{
    unsigned char seed_gz[512], buf[1024];
    size_t ngz = 0, n1, n2;
    unsigned char *g1 = sk_tz_deflate("alpha member ", 13, 16 + 15, &n1);
    unsigned char *g2 = sk_tz_deflate("beta member", 11, 16 + 15, &n2);
    const char *mp = "pre\r\n--b\r\nContent-Type: multipart/mixed; boundary=c\r\n\r\n--c\n"
                     "Content-Transfer-Encoding: base64\n\nNDEx=\n--c--\r\n--b\n"
                     "Content-Transfer-Encoding: quoted-printable\n\na=3D=\nb\r\n--b--\n";
    struct sk_tzip zz = {0};
    struct out a = {0}, b = {0};

    memcpy(seed_gz, g1, n1), memcpy(seed_gz + n1, g2, n2), ngz = n1 + n2;
    zip_entry(&zz, "a.txt", "stored", 0, 0, 0);
    zip_entry(&zz, "b.txt", "deflated text", 1, 1, 1);
    sk_tzip_put(&zz,
                "PK\x01\x02"
                "cd",
                6);
    for (int i = 0; i < 3000; i++) {
        enum kind k = (enum kind)(i % 3);
        const unsigned char *seed = k == K_GZIP ? seed_gz
                                    : k == K_MP ? (const unsigned char *)mp
                                                : zz.p;
        size_t n = k == K_GZIP ? ngz : k == K_MP ? strlen(mp) : zz.n;
        memcpy(buf, seed, n);
        n = mutate(buf, n, sizeof(buf));
        run_kind(k, buf, n, 0, &a);
        run_kind(k, buf, n, 1, &b);
        if (a.len != b.len || memcmp(a.p, b.p, a.len) != 0)
            fail_msg("iteration %d (kind %d, %zu bytes): whole and split outputs differ", i, (int)k,
                     n);
    }
    free(g1), free(g2), free(a.p), free(b.p);
    sk_tzip_free(&zz);
}

/* ---- base64 runs inside text (sk_b64run) ------------------------------ */

struct b64runs {
    struct out o;
    int begins, ends, stop_at;
};

static int b64r_begin(void *arg)
{
    struct b64runs *r = arg;
    out_sink(&r->o, "<", 1);
    return ++r->begins == r->stop_at ? -1 : 0;
}

static int b64r_data(void *arg, const void *buf, size_t len)
{
    return out_sink(&((struct b64runs *)arg)->o, buf, len);
}

static int b64r_end(void *arg)
{
    struct b64runs *r = arg;
    r->ends++;
    return out_sink(&r->o, ">", 1);
}

/* The runs of TEXT (MIN digits), fed STEP bytes at a time (0: whole), as
 * "<decoded>" per run into R->o; the return of the last call. */
static int b64r_feed(struct b64runs *r, const char *text, size_t min, size_t step)
{
    struct sk_b64run_handler h = {b64r_begin, b64r_data, b64r_end, r};
    struct sk_b64run *f = sk_b64run_new(min, &h);
    size_t n = strlen(text);
    int rc = 0;

    assert_non_null(f);
    r->o.len = 0, r->begins = r->ends = 0;
    out_sink(&r->o, "", 0);
    for (size_t i = 0; i < n && rc == 0; i += step ? step : n)
        rc = sk_b64run_write(f, text + i, step && n - i > step ? step : n - i);
    if (rc == 0)
        rc = sk_b64run_end(f);
    sk_b64run_free(f);
    return rc;
}

/* Replace every C in S by REP (a new string). */
static char *subst(const char *s, char c, const char *rep)
{
    char *o = malloc(strlen(s) * strlen(rep) + 1), *q = o;
    for (; *s; s++)
        q = *s == c ? stpcpy(q, rep) : (*q++ = *s, q);
    *q = 0;
    return o;
}

static void test_b64run(void **s)
{
    (void)s;
    struct b64runs r = {0};
    static const size_t steps[] = {0, 1, 2, 3, 7, 64};
    char text[2048], want[1024];
    /* bytes whose base64 holds '+' and '/' (0xfb 0xff ...), and a card */
    unsigned char bin[96];
    for (size_t i = 0; i < sizeof(bin); i++)
        bin[i] = (unsigned char)(i % 3 == 0 ? 0xfb : i % 3 == 1 ? 0xff : 0xbf);
    memcpy(bin + 30, "4111 1111 1111 1111", 19);
    char *e = sk_tz_b64(bin, sizeof(bin));
    assert_non_null(strchr(e, '+'));
    assert_non_null(strchr(e, '/'));
    memcpy(want, "<", 1), memcpy(want + 1, bin, sizeof(bin)), want[1 + sizeof(bin)] = '>';
    size_t wn = sizeof(bin) + 2;

    /* plain, JSON "\/", form %2B/%2F (either case): one run, any split */
    char *json = subst(e, '/', "\\/"), *form1 = subst(e, '+', "%2B"),
         *form = subst(form1, '/', "%2f");
    /* JSON's \u escapes (.NET writes '+' as \u002B), a script's \x and \u{}
     * on digits too: a string the engine unescapes before atob() */
    char *u1 = subst(e, '+', "\\u002B"), *uesc = subst(u1, '/', "\\u002f");
    char *x1 = subst(e, 'A', "\\x41"), *x2 = subst(x1, 'Q', "\\u{51}"),
         *xesc = subst(x2, '+', "\\u{00002b}");
    const char *wraps[][2] = {{"text ", " tail"},
                              {"{\"f\":\"", "\"}"},
                              {"a=", "&b=1"},
                              {"{\"f\":\"", "\"}"},
                              {"atob(\"", "\")"}};
    const char *bodies[] = {e, json, form, uesc, xesc};
    assert_non_null(strstr(xesc, "\\x41"));
    for (int k = 0; k < 5; k++)
        for (size_t j = 0; j < sizeof(steps) / sizeof(steps[0]); j++) {
            snprintf(text, sizeof(text), "%s%s%s", wraps[k][0], bodies[k], wraps[k][1]);
            assert_int_equal(b64r_feed(&r, text, 20, steps[j]), 0);
            if (r.o.len != wn || memcmp(r.o.p, want, wn) != 0)
                fail_msg("form %d step %zu: %zu bytes decoded", k, steps[j], r.o.len);
        }

    /* MIN is the least run: 19 digits are text, 20 a run of 15 bytes */
    assert_int_equal(b64r_feed(&r, "x ABCDEFGHIJKLMNOPQRS y", 20, 1), 0);
    assert_int_equal(r.begins, 0);
    assert_int_equal(b64r_feed(&r, "x ABCDEFGHIJKLMNOPQRST y", 20, 1), 0);
    assert_int_equal(r.begins, 1);
    assert_int_equal(r.o.len, 2 + 15);
    assert_int_equal(b64r_feed(&r, "x ABCDEFGHIJKLMNOPQRST y", 24, 0), 0);
    assert_int_equal(r.begins, 0);

    /* line breaks continue a run after a full line (76, a multiple of 4),
     * CRLF, LF or JSON's \r\n; after a short line they end it */
    unsigned char big[300];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (unsigned char)(i * 7 + 1);
    char *eb = sk_tz_b64(big, sizeof(big)), lines[1024];
    const char *brk[] = {"\r\n", "\n", "\\r\\n", "\\n"};
    for (int k = 0; k < 4; k++) {
        size_t q = 0, n = strlen(eb);
        for (size_t i = 0; i < n; i += 76) {
            q += (size_t)snprintf(lines + q, sizeof(lines) - q, "%.76s%s", eb + i,
                                  i + 76 < n ? brk[k] : "");
        }
        assert_int_equal(b64r_feed(&r, lines, 64, 5), 0);
        assert_int_equal(r.begins, 1);
        assert_int_equal(r.o.len, sizeof(big) + 2);
        assert_memory_equal(r.o.p + 1, big, sizeof(big));
    }
    /* each text's runs as "<decoded>", fed whole and in every step size */
    static const struct {
        const char *text, *want;
    } tab[] = {
        /* a break after a line of 24 digits continues the run (base64
         * -w 24); after 26 (not a multiple of 4) or 16 (under 20) it ends it */
        {"QUJDREVGR0hJSktMTU5PUFFS\nQUJDREVGR0hJSktMTU5PUFFS",
         "<ABCDEFGHIJKLMNOPQRABCDEFGHIJKLMNOPQR>"},
        {"QUJDREVGR0hJSktMTU5PUFFSUw\nQUJDREVGR0hJSktMTU5PUFFS",
         "<ABCDEFGHIJKLMNOPQRS><ABCDEFGHIJKLMNOPQR>"},
        {"QUJDREVGR0hJSktM\r\nQUJDREVGR0hJSktMTU5PUFFS", "<ABCDEFGHIJKLMNOPQR>"},
        /* '=' ends a run; a '%' not followed by a hex pair ends it and is text */
        {"QUJDREVGR0hJSktMTU5PUFE=QUJDREVGR0hJSktMTU5PUFFS%zzQUJD",
         "<ABCDEFGHIJKLMNOPQ><ABCDEFGHIJKLMNOPQR>"},
        /* a last partial group: 3 digits are 2 bytes, 2 digits 1 */
        {"QUJDREVGR0hJSktMTU5PUFFSUw", "<ABCDEFGHIJKLMNOPQRS>"},
        {"QUJDREVGR0hJSktMTU5PUFFSU1Q", "<ABCDEFGHIJKLMNOPQRST>"},
        /* a script's concatenation continues a run ("..." + '...', across
         * lines, pieces of any length); a comma or another quote ends it */
        {"atob(\"QUJDREVGR0hJ\" + \"SktMTU5PUFFS\")", "<ABCDEFGHIJKLMNOPQR>"},
        {"x = 'QUJDREVGR0' +\n  'hJSktMTU5PUFFS';", "<ABCDEFGHIJKLMNOPQR>"},
        {"x = `QUJDREVGR0hJSkt`+`MTU5PUFFS`", "<ABCDEFGHIJKLMNOPQR>"},
        {"[\"QUJDREVGR0hJSktMTU5PUFFS\", \"QUJDREVGR0hJSktMTU5PUFFS\"]",
         "<ABCDEFGHIJKLMNOPQR><ABCDEFGHIJKLMNOPQR>"},
        {"\"QUJDREVGR0hJSktMTU5PUFFS\" + 'QUJD'", "<ABCDEFGHIJKLMNOPQR>"},
        /* pieces shorter than any run, in a 64-byte block with no run in
         * it (the block skip would pass over it): still joined */
        {"................................................................"
         "x = 'QUJD' + 'REVG' + 'R0hJ' +\n 'SktM' + 'TU5P' + 'UFFS';......"
         "................................................................",
         "<ABCDEFGHIJKLMNOPQR>"},
        /* escapes that are no digit end a run ('=' padding, a quote); a
         * cut or broken one ends it and is text */
        {"QUJDREVGR0hJSktMTU5PUFFS\\u003dQUJDREVGR0hJSktMTU5PUFFS",
         "<ABCDEFGHIJKLMNOPQR><ABCDEFGHIJKLMNOPQR>"},
        {"QUJDREVGR0hJSktMTU5PUFFS\\u00.QUJDREVGR0hJSktMTU5PUFFS\\x4",
         "<ABCDEFGHIJKLMNOPQR><ABCDEFGHIJKLMNOPQR>"},
        {"\\u{51}UJDREVGR0hJSktMTU5PUFFS\\u{}x", "<ABCDEFGHIJKLMNOPQR>"},
        /* a script's other escapes: leading zeros in \u{}, octal, identity
         * ("\Q" is "Q"), a line continued inside the string; JSON's
         * \u000D\u000A between full lines */
        {"\\u{00000000051}UJD\\122EVGR0hJ\\SktMTU5P\\\nUFFS", "<ABCDEFGHIJKLMNOPQR>"},
        {"QUJDREVGR0hJSktMTU5PUFFS\\u000D\\u000AQUJDREVGR0hJSktMTU5PUFFS",
         "<ABCDEFGHIJKLMNOPQRABCDEFGHIJKLMNOPQR>"},
        {"QUJDREVGR0hJSktMTU5PUFF\\123", "<ABCDEFGHIJKLMNOPQR>"},
        /* \b \t are control characters: the run ends */
        {"QUJDREVGR0hJSktMTU5PUFFS\\tQUJDREVGR0hJSktMTU5PUFFS",
         "<ABCDEFGHIJKLMNOPQR><ABCDEFGHIJKLMNOPQR>"},
        /* more than 64 white space bytes before the '+': not joined */
        {"'QUJDREVGR0hJSktM'                                                                  "
         "+ 'TU5PUFFS'",
         ""},
    };
    for (size_t k = 0; k < sizeof(tab) / sizeof(tab[0]); k++)
        for (size_t j = 0; j < sizeof(steps) / sizeof(steps[0]); j++) {
            assert_int_equal(b64r_feed(&r, tab[k].text, 20, steps[j]), 0);
            if (strcmp((char *)r.o.p, tab[k].want) != 0)
                fail_msg("'%s' in %zu-byte writes: '%s'", tab[k].text, steps[j], (char *)r.o.p);
        }

    /* UTF-16 text (either order, BOM or not, any split, odd ones too):
     * the same runs; a code unit beyond ASCII is a non-digit */
    static const char u16text[] = "x = atob(\"QUJDREVGR0hJSktMTU5PUFFS\") \xe2\x80\xa2 QUJD";
    for (int be = 0; be < 2; be++)
        for (size_t j = 0; j < sizeof(steps) / sizeof(steps[0]); j++) {
            unsigned char u16[256];
            size_t n16 = 0;
            u16[n16++] = be ? 0xfe : 0xff, u16[n16++] = be ? 0xff : 0xfe;
            for (const char *c = u16text; *c; c++) {
                unsigned u = (unsigned char)*c < 0x80 ? (unsigned char)*c : 0x2022;
                if ((unsigned char)*c >= 0x80 && (unsigned char)*c != 0xe2)
                    continue; /* the bullet's continuation bytes */
                u16[n16++] = (unsigned char)(be ? u >> 8 : u),
                u16[n16++] = (unsigned char)(be ? u : u >> 8);
            }
            struct sk_b64run_handler h16 = {b64r_begin, b64r_data, b64r_end, &r};
            struct sk_b64run *f = sk_b64run_new(20, &h16);
            r.o.len = 0, r.begins = r.ends = 0;
            out_sink(&r.o, "", 0);
            sk_b64run_utf16(f, be);
            size_t step = steps[j] ? steps[j] : n16;
            for (size_t i = 0; i < n16; i += step)
                assert_int_equal(sk_b64run_write(f, u16 + i, n16 - i < step ? n16 - i : step), 0);
            assert_int_equal(sk_b64run_end(f), 0);
            sk_b64run_free(f);
            if (strcmp((char *)r.o.p, "<ABCDEFGHIJKLMNOPQR>") != 0)
                fail_msg("UTF-16%s in %zu-byte writes: '%s'", be ? "BE" : "LE", step,
                         (char *)r.o.p);
        }

    /* a callback that stops: -1 now and for every later write */
    r.stop_at = 2;
    assert_int_equal(b64r_feed(&r, "QUJDREVGR0hJSktMTU5PUFFS QUJDREVGR0hJSktMTU5PUFFS x", 20, 0),
                     -1);
    assert_int_equal(r.begins, 2);
    assert_int_equal(r.ends, 1);
    r.stop_at = 0;
    /* MIN out of range */
    struct sk_b64run_handler h = {b64r_begin, b64r_data, b64r_end, &r};
    assert_null(sk_b64run_new(19, &h));
    assert_null(sk_b64run_new(257, &h));
    free(e), free(json), free(form1), free(form), free(eb), free(r.o.p);
    free(u1), free(uesc), free(x1), free(x2), free(xesc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_coding_parse),
        cmocka_unit_test(test_gzip_members_every_split),
        cmocka_unit_test(test_chunked_framing),
        cmocka_unit_test(test_deflate_zlib_raw_and_chain),
        cmocka_unit_test(test_trailing_corrupt_bomb),
        cmocka_unit_test(test_zstd),
        cmocka_unit_test(test_stream_zstd),
        cmocka_unit_test(test_bzip2_xz),
        cmocka_unit_test(test_dataurl),
        cmocka_unit_test(test_text_views),
        cmocka_unit_test(test_compress),
        cmocka_unit_test(test_multipart_forms),
        cmocka_unit_test(test_multipart_boundary_param),
        cmocka_unit_test(test_zip_walker),
        cmocka_unit_test(test_zip_find),
        cmocka_unit_test(test_zip_directory),
        cmocka_unit_test(test_zip_raw),
        cmocka_unit_test(test_charset_sniff),
        cmocka_unit_test(test_charset_nul_order),
        cmocka_unit_test(test_unescape),
        cmocka_unit_test(test_mutations_split_invariant),
        cmocka_unit_test(test_b64run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

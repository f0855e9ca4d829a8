/* test_decode.c - the core decoding layer (sekisho/decode.h): Content-
 * Encoding chains with zlib as the oracle (gzip members ending at every
 * possible write boundary, zlib/raw deflate, trailing bytes, corrupt data,
 * bombs), zstd, bzip2, xz, lzma, lzip, lz4 and compress(1) streams, and
 * the streaming parsers' split invariance (gzip, multipart, zip). The
 * multipart parser: test_decode_multipart.c; the zip walker and central
 * directory: test_decode_zip.c; streams after a prefix:
 * test_decode_stream.c; text views, charsets, escapes and base64
 * runs: test_decode_text.c. Shared helpers: support/decode_fixture.c. */
#include <unistd.h>

#include <zlib.h>
#include <zstd.h>

#include "decode_fixture.h"

/* ---- helpers --------------------------------------------------------- */

static const struct sk_decode_limits nolimit = {.out_max = UINT64_MAX};

/* Decode BUF with chain CH in two writes split at SPLIT (then eof). */
/* BUF decoded by CH in two writes cut at SPLIT, into O: the worse of the
 * two answers; *PADDED (may be NULL): sk_decoder_padded at the end. */
static enum sk_decode_rc decode_split_padded(const struct sk_coding_chain *ch,
                                             const unsigned char *buf, size_t n, size_t split,
                                             struct out *o, const struct sk_decode_limits *lim,
                                             int *padded)
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
    if (padded)
        *padded = sk_decoder_padded(d);
    sk_decoder_free(d);
    return worst;
}

static enum sk_decode_rc decode_split_chain(const struct sk_coding_chain *ch,
                                            const unsigned char *buf, size_t n, size_t split,
                                            struct out *o, const struct sk_decode_limits *lim)
{
    return decode_split_padded(ch, buf, n, split, o, lim, NULL);
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
 * was taken is CORRUPT. The cases of sizes that are no size were checked
 * against Python's int(line, 16). */
static void test_chunked_framing(void **s)
{
    static const struct {
        const char *in, *want;
        enum sk_decode_rc rc;
    } cases[] = {
        {"5\r\nX5O!P\r\n3 ;ext=\"a b\"\r\n%@A\r\n0\r\n\r\n", "X5O!P%@A", SK_DECODE_OK},
        {"000a\nabcdefghij\r\n0\nTrailer: x\n\n", "abcdefghij", SK_DECODE_OK}, /* LF, trailer */
        /* data ended by a bare LF: Python skips two bytes there (it reads
         * "helloab"), curl the LF: readers disagree, CORRUPT; curl's way */
        {"000a\nabcdefghij\n0\nTrailer: x\n\n", "abcdefghij", SK_DECODE_CORRUPT},
        {"5\r\nhello\n22\r\nab\r\n0\r\n\r\n", "helloab\r\n0\r\n\r\n", SK_DECODE_CORRUPT},
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
        /* sizes as Python's int(line, 16) reads them (http.client,
         * urllib3): "0x", '+', white space around, '_' between digits,
         * leading zeros beyond 15 digits, "-0" */
        {"0x2\r\nab\r\n0\r\n\r\n", "ab", SK_DECODE_OK},
        {"0X_2\r\nab\r\n0\r\n\r\n", "ab", SK_DECODE_OK},
        {"+2\r\nab\r\n+0x0\r\n\r\n", "ab", SK_DECODE_OK},
        {" \t2\r\nab\r\n0\r\n\r\n", "ab", SK_DECODE_OK},
        {"2\r\r\nab\r\n0\r\n\r\n", "ab", SK_DECODE_OK},
        {"2\v ;x\r\nab\r\n0\r\n\r\n", "ab", SK_DECODE_OK},
        {"1_1\r\n01234567890123456\r\n0\r\n\r\n", "01234567890123456", SK_DECODE_OK},
        {"00000000000000000002\r\nab\r\n-0\r\n\r\n", "ab", SK_DECODE_OK},
        /* what int() does not take is no size */
        {"1__1\r\nq", "1__1\r\nq", SK_DECODE_OK},
        {"_2\r\nab", "_2\r\nab", SK_DECODE_OK},
        {"2_\r\nab", "2_\r\nab", SK_DECODE_OK},
        {"0x\r\nab", "0x\r\nab", SK_DECODE_OK},
        {"x2\r\nab", "x2\r\nab", SK_DECODE_OK},
        {"-2\r\nab", "-2\r\nab", SK_DECODE_OK},
        {"2 2\r\nab", "2 2\r\nab", SK_DECODE_OK},
        {"+-2\r\nab", "+-2\r\nab", SK_DECODE_OK},
        {"\r\nab", "\r\nab", SK_DECODE_OK},
        {"0000000000000001000000000000000\r\nab", "0000000000000001000000000000000\r\nab",
         SK_DECODE_OK}, /* 16 digits after the zeros */
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
    /* extensions and trailers are kept aside (sk_decoder_side), every split */
    const char *sx = "5;a=\"X5O!P\"\r\nhello\r\n3 ;b\r\nabc\r\n0\r\nX-T: %@AP\r\n\r\n";
    for (size_t split = 0; split <= strlen(sx); split++) {
        struct sk_coding_chain ch = {.c = {SK_CODING_CHUNKED}, .n = 1};
        struct sk_decoder *d = sk_decoder_new(&ch, &nolimit);
        size_t sn;
        int over;
        o.len = 0;
        sk_decoder_feed(d, sx, split, 0, out_sink, &o);
        sk_decoder_feed(d, sx + split, strlen(sx) - split, 1, out_sink, &o);
        const unsigned char *side = sk_decoder_side(d, &sn, &over);
        const char *want = ";a=\"X5O!P\"\r\n;b\r\nX-T: %@AP\r\n\r\n";
        if (over || sn != strlen(want) || memcmp(side, want, sn) != 0 || o.len != 8)
            fail_msg("split %zu: side '%.*s'", split, (int)sn, side);
        sk_decoder_free(d);
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
    assert_false(sk_decoder_padded(d));
    sk_decoder_free(d);
    /* NUL bytes between members: Python's gzip skips them and reads the
     * next member (sk_decoder_padded says so); NULs before anything else
     * are trailing bytes, passed on with it; at the end, dropped */
    unsigned char pad[1100];
    memcpy(pad, body, m1);
    memset(pad + m1, 0, 300);
    memcpy(pad + m1 + 300, body + m1, blen - m1);
    for (size_t k = 0; k < 2; k++) { /* k 1: NULs, then no member */
        memcpy(pad + m1 + 300, body + m1, blen - m1);
        size_t plen = k == 1 ? m1 + 300 : m1 + 300 + blen - m1;
        memcpy(pad + plen, k == 1 ? "abc" : "\0\0", k == 1 ? 3 : 2);
        plen += k == 1 ? 3 : 2;
        for (size_t split = 0; split <= plen; split += 7) {
            int padded;
            assert_int_equal(decode_split_padded(&ch, pad, plen, split, &o, NULL, &padded),
                             SK_DECODE_OK);
            char w[400];
            size_t wl = 0;
            if (k == 1) {
                wl = strlen(parts[0]);
                memcpy(w, parts[0], wl);
                memset(w + wl, 0, 300);
                memcpy(w + wl + 300, "abc", 3);
                wl += 303;
            } else {
                wl = strlen(want);
                memcpy(w, want, wl);
            }
            if (o.len != wl || memcmp(o.p, w, wl) != 0 || padded != (k == 0))
                fail_msg("padding case %zu split %zu: got %zu bytes, padded %d", k, split, o.len,
                         padded);
        }
    }
    /* a member whose FLG sets a reserved bit (0x20, 0x40, 0x80; the
     * second member, or the first): read with it cleared, as Python's gzip
     * reads it, and said to be what zlib does not read (red team s20) */
    for (unsigned bit = 0x20; bit <= 0x80; bit <<= 1)
        for (size_t which = 0; which < 2; which++) {
            unsigned char fl[1100];
            memcpy(fl, body, blen);
            fl[(which ? m1 : 0) + 3] |= (unsigned char)bit;
            for (size_t split = 0; split <= blen; split += 3) {
                int padded;
                assert_int_equal(decode_split_padded(&ch, fl, blen, split, &o, NULL, &padded),
                                 SK_DECODE_OK);
                if (o.len != strlen(want) || memcmp(o.p, want, o.len) != 0 || !padded)
                    fail_msg("FLG bit %#x in member %zu, split %zu: %zu bytes, padded %d", bit,
                             which, split, o.len, padded);
            }
        }
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
    /* ... and the range coder's first byte, always 0 (a bitmap's bytes as
     * a C array, 00 00 10 00 00 00 50 00 00 00 48 00 00 f8, were one) */
    unsigned char bm[] = {0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x50, 0x00,
                          0x00, 0x00, 0x48, 0x00, 0x00, 0xf8, 0xc7, 0x00};
    assert_int_equal(sk_container_sniff(bm, sizeof(bm)), SK_CT_NONE);
    assert_int_equal(sk_container_sniff(bm, 13), SK_CT_NONE);
    bm[13] = 0;
    assert_int_equal(sk_container_sniff(bm, sizeof(bm)), SK_CT_LZMA);
    /* 7z and rar are recognised, and no coding undoes them */
    assert_int_equal(sk_container_sniff((const unsigned char *)"7z\xbc\xaf\x27\x1c\0\4", 8),
                     SK_CT_7Z);
    assert_int_equal(sk_container_sniff((const unsigned char *)"Rar!\x1a\x07\1\0", 8), SK_CT_RAR);
    assert_int_equal(sk_container_coding(SK_CT_7Z), 0);
    assert_int_equal(sk_container_sniff((const unsigned char *)"BZh0abcd", 8), SK_CT_NONE);
    free(o.p);
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

#define SK_TEST_STEP 4096 /* sk_decode.c's SK_DEC_STEP */

/* ---- mutated inputs: split invariance ------------------------------------
 * A streaming parser must not depend on where writes end (the gzip bug was
 * exactly that). Mutated gzip, multipart and zip inputs are parsed whole and
 * in random pieces; the outputs must be identical (and ASan must stay
 * quiet). Deterministic seed: failures reproduce. */

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
    struct sk_mp_handler mh = {mp_begin, mp_data, mp_end, &r, NULL};
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

/* Mutated xz and zstd bodies (Content-Encoding or sniffed file: one chain
 * decoder) of several KiB, whole and in pieces of 1..64 bytes: the same
 * output and the same verdict. liblzma and libzstd hand out different
 * amounts of a corrupt stream before the error for different pieces, so
 * the stage calls them with pieces that do not depend on the writes. */
static void test_mutations_split_xz_zstd(void **s)
{
    enum { N = 24000 };
    unsigned char *text = malloc(N), *buf = malloc(2 * N);
    struct out a = {0}, b = {0};

    assert_non_null(text), assert_non_null(buf);
    /* words and card-like digit runs: compressible, but not to nothing */
    for (size_t i = 0; i < N; i++)
        text[i] = (unsigned char)(i % 17 == 16 ? '\n'
                                               : (rnd() % 3 ? 'a' + rnd() % 26 : '0' + rnd() % 10));
    for (int kind = 0; kind < 2; kind++) {
        struct sk_coding_chain ch = {.c = {kind ? SK_CODING_ZSTD : SK_CODING_XZ}, .n = 1};
        size_t zn;
        unsigned char *z = kind ? sk_tz_zstd(text, N, &zn) : sk_tz_xz(text, N, &zn);
        assert_true(zn > 2 * SK_TEST_STEP && zn < N);
        for (int i = 0; i < 300; i++) {
            memcpy(buf, z, zn);
            size_t n = mutate(buf, zn, 2 * N);
            enum sk_decode_rc rw = SK_DECODE_OK, rp = SK_DECODE_OK;
            for (int pieces = 0; pieces < 2; pieces++) {
                struct out *o = pieces ? &b : &a;
                struct sk_decoder *d = sk_decoder_new(&ch, &nolimit);
                enum sk_decode_rc worst = SK_DECODE_OK, rc;
                assert_non_null(d);
                o->len = 0;
                for (size_t at = 0, step; at < n; at += step) {
                    step = pieces ? 1 + rnd() % 64 : n;
                    step = step < n - at ? step : n - at;
                    if ((rc = sk_decoder_feed(d, buf + at, step, 0, out_sink, o)) != SK_DECODE_OK)
                        worst = rc;
                }
                if ((rc = sk_decoder_feed(d, NULL, 0, 1, out_sink, o)) != SK_DECODE_OK)
                    worst = rc;
                sk_decoder_free(d);
                *(pieces ? &rp : &rw) = worst;
            }
            if (rw != rp || a.len != b.len || memcmp(a.p, b.p, a.len) != 0)
                fail_msg("%s, iteration %d (%zu bytes): whole %zu bytes (rc %d), in pieces %zu "
                         "bytes (rc %d)",
                         kind ? "zstd" : "xz", i, n, a.len, (int)rw, b.len, (int)rp);
        }
        free(z);
    }
    free(text), free(buf), free(a.p), free(b.p);
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
        cmocka_unit_test(test_bzip2_xz),
        cmocka_unit_test(test_compress),
        cmocka_unit_test(test_mutations_split_invariant),
        cmocka_unit_test(test_mutations_split_xz_zstd),
    };
    /* the draws test_unescape (test_decode_text.c) made first when it
     * shared this file: the mutated inputs are the ones they were */
    rnd_state = 380402113;
    return cmocka_run_group_tests(tests, NULL, NULL);
}

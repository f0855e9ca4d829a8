/* test_decode_stream.c - compressed streams found at any offset of an
 * object and decoded from there (sk_stream_find, sk_stream_find_in,
 * sk_stream_decode, sk_stream_dec; sekisho/decode.h): zstd, lz4 and Unix
 * compress (.Z) after a prefix, as self-extracting scripts carry them;
 * each with the magic index and without, whole and in pieces of every
 * size. Shared helpers: support/decode_fixture.c. */
#include <zstd.h>

#include <lzma.h>

#include "decode_fixture.h"

/* One stream of coding C at P[0..N) fed to sk_stream_dec in pieces of
 * every size from 1 to END: it must end at byte END every time, with OUT
 * bytes decoded (into O). */
static void stream_in_pieces(enum sk_coding c, const unsigned char *p, size_t n, size_t end,
                             size_t out, struct out *o)
{
    for (size_t piece = 1; piece <= end; piece++) {
        struct sk_stream_dec *d = sk_stream_dec_new(c);
        size_t at = 0, u = 0;
        int rc = 0;
        assert_non_null(d);
        o->len = 0;
        while (rc == 0 && at < n) {
            size_t k = n - at < piece ? n - at : piece;
            rc = sk_stream_dec_feed(d, p + at, k, &u, out_sink, o);
            at += u;
        }
        sk_stream_dec_free(d);
        if (rc != 1 || at != end || o->len != out)
            fail_msg("coding %d in pieces of %zu: rc %d, ended at %zu of %zu, %zu bytes", (int)c,
                     piece, rc, at, end, o->len);
    }
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
    stream_in_pieces(SK_CODING_ZSTD, body + 17, zn, zn, strlen(text), &o);
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

/* A gzip member after a prefix whose header has any XFL and OS byte (GNU
 * gzip and zlib read past them; a writer picks them): a candidate, found
 * the same with and without the magic index, and decoded. A reserved
 * flag bit makes none. */
static void test_stream_gzip_header(void **s)
{
    const char *text = "a gzip member after a stub, with odd header bytes.";
    size_t gn;
    unsigned char *gz = sk_tz_deflate(text, strlen(text), 16 + 15, &gn), body[1024];
    static const unsigned char xo[][2] = {{0, 3}, {1, 0x20}, {7, 200}, {0x80, 3}, {2, 255}};
    enum sk_coding c;
    struct sk_magics m;

    (void)s;
    assert_true(gn + 24 < sizeof(body));
    for (size_t i = 0; i < sizeof(xo) / sizeof(xo[0]); i++) {
        memcpy(body, "#!/bin/sh\nexit 0\n", 17);
        memcpy(body + 17, gz, gn);
        body[17 + 8] = xo[i][0], body[17 + 9] = xo[i][1];
        size_t n = 17 + gn, used = 0;
        struct out o = {0};
        if (sk_stream_find(body, n, 0, &c) != 17 || c != SK_CODING_GZIP)
            fail_msg("XFL %#x OS %#x: no gzip at 17", xo[i][0], xo[i][1]);
        assert_int_equal(sk_magics_find(&m, body, n), 0);
        assert_int_equal(sk_stream_find_in(&m, body, n, 0, &c), 17);
        sk_magics_free(&m);
        assert_int_equal(
            sk_stream_decode(SK_CODING_GZIP, body + 17, n - 17, 1 << 20, &used, out_sink, &o), 1);
        assert_int_equal(o.len, strlen(text));
        assert_memory_equal(o.p, text, o.len);
        free(o.p);
        body[17 + 3] |= 0x20; /* a reserved flag: no candidate */
        assert_int_equal(sk_stream_find(body, n, 0, &c), -1);
    }
    free(gz);
}

/* An xz stream of IN with FILTERS (LZMA_VLI_UNKNOWN-terminated, LZMA2
 * last, preset 1) appended to *OUT at *ON. */
static void xz_with(const lzma_vli *ids, const void *in, size_t n, unsigned char *out, size_t *on,
                    size_t cap)
{
    lzma_options_lzma lz;
    lzma_filter f[LZMA_FILTERS_MAX + 1];
    size_t k = 0;

    assert_false(lzma_lzma_preset(&lz, 1));
    for (; ids[k] != LZMA_VLI_UNKNOWN; k++)
        f[k] = (lzma_filter){.id = ids[k], .options = ids[k] == LZMA_FILTER_LZMA2 ? &lz : NULL};
    f[k] = (lzma_filter){.id = LZMA_VLI_UNKNOWN};
    assert_int_equal(lzma_stream_buffer_encode(f, LZMA_CHECK_CRC32, NULL, in, n, out, on, cap),
                     LZMA_OK);
}

/* The filters an xz file's blocks use (sk_xz_filters): every stream's
 * index read back from the end, each block's header; a file cut short or
 * with bytes in front: the first block's header. libclamav's reader does
 * not know ARM64 (0x0A): virus_scan decodes such a file itself. */
static void test_xz_filters(void **s)
{
    static const lzma_vli plain[] = {LZMA_FILTER_LZMA2, LZMA_VLI_UNKNOWN},
                          x86[] = {LZMA_FILTER_X86, LZMA_FILTER_LZMA2, LZMA_VLI_UNKNOWN},
                          arm64[] = {LZMA_FILTER_ARM64, LZMA_FILTER_LZMA2, LZMA_VLI_UNKNOWN};
    const uint64_t L2 = 1ull << 0x21, X86 = 1ull << 4, A64 = 1ull << 10, BAD = 1ull << 63;
    unsigned char text[3000], xz[16384];
    size_t n = 0, one;

    (void)s;
    for (size_t i = 0; i < sizeof(text); i++)
        text[i] = (unsigned char)("an xz stream with a filter chain "[i % 33] + i / 500);
    xz_with(plain, text, sizeof(text), xz, &n, sizeof(xz));
    assert_int_equal(sk_xz_filters(xz, n), L2);
    one = n;
    /* streams one after another, padding between: each one's blocks */
    memset(xz + n, 0, 8), n += 8;
    xz_with(arm64, text, sizeof(text), xz, &n, sizeof(xz));
    assert_int_equal(sk_xz_filters(xz, n), L2 | A64);
    xz_with(x86, text, sizeof(text), xz, &n, sizeof(xz));
    assert_int_equal(sk_xz_filters(xz, n), L2 | A64 | X86);
    /* the ARM64 stream alone, whole and cut short (no index: its first
     * block's header) */
    assert_int_equal(sk_xz_filters(xz + one + 8, n - one - 8), L2 | A64 | X86);
    size_t a = 0;
    unsigned char only[8192];
    xz_with(arm64, text, sizeof(text), only, &a, sizeof(only));
    assert_int_equal(sk_xz_filters(only, a), L2 | A64);
    assert_int_equal(sk_xz_filters(only, a - 20), L2 | A64);
    assert_int_equal(sk_xz_filters(only, 40), L2 | A64);
    /* a plain stream cut short: LZMA2 only; bytes in front of a whole
     * one: its index reads, the first header not: BAD */
    assert_int_equal(sk_xz_filters(xz, one - 20), L2);
    memmove(xz + 4, xz, one), memcpy(xz, "junk", 4);
    assert_int_equal(sk_xz_filters(xz, one + 4), L2 | BAD);
    assert_int_equal(sk_xz_filters((const unsigned char *)"not xz at all, no", 17), BAD);
}

/* lz4 frames at any offset (makeself --lz4: a shell stub, then the
 * frame): a header liblz4 reads - magic, version 1, reserved bits clear,
 * no dictionary ID, its header checksum - is a candidate, found the same
 * with and without the magic index; the frame decodes whole, and in
 * pieces of every size it ends at the same byte. liblz4 the oracle. */
static void test_stream_lz4(void **s)
{
    const char *text = "an lz4 frame after a prefix holds the payload.";
    size_t ln, used = 0;
    unsigned char *l4 = sk_tz_lz4(text, strlen(text), &ln), body[1024];
    enum sk_coding c;
    struct out o = {0};
    struct sk_magics m;

    (void)s;
    memcpy(body, "#!/bin/sh\nexit 0\n", 17);
    memcpy(body + 17, l4, ln);
    memcpy(body + 17 + ln, "trailer", 7);
    size_t n = 17 + ln + 7;
    assert_int_equal(sk_stream_find(body, n, 0, &c), 17);
    assert_int_equal(c, SK_CODING_LZ4);
    assert_int_equal(sk_magics_find(&m, body, n), 0);
    c = 0;
    assert_int_equal(sk_stream_find_in(&m, body, n, 0, &c), 17);
    assert_int_equal(c, SK_CODING_LZ4);
    assert_int_equal(sk_stream_find_in(&m, body, n, 18, &c), -1);
    sk_magics_free(&m);
    assert_int_equal(
        sk_stream_decode(SK_CODING_LZ4, body + 17, n - 17, 1 << 20, &used, out_sink, &o), 1);
    assert_int_equal(used, ln);
    assert_int_equal(o.len, strlen(text));
    assert_memory_equal(o.p, text, o.len);
    stream_in_pieces(SK_CODING_LZ4, body + 17, n - 17, ln, strlen(text), &o);
    /* a header that does not verify is no candidate: a flipped checksum,
     * version 2, a reserved bit, a dictionary ID */
    static const struct {
        size_t at;
        unsigned char x;
    } bad[] = {{6, 0x01}, {4, 0xc0}, {4, 0x02}, {5, 0x80}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        unsigned char h[64];
        memcpy(h, l4, ln < sizeof(h) ? ln : sizeof(h));
        h[bad[i].at] ^= bad[i].x;
        assert_int_equal(sk_stream_find(h, ln < sizeof(h) ? ln : sizeof(h), 0, &c), -1);
    }
    free(l4), free(o.p);
}

/* Unix compress (.Z) after a prefix (makeself --compress: a shell stub,
 * then `tail | uncompress`): the magic, the flags and the first eight
 * codes make a candidate, found the same with and without the index; the
 * stream has no end mark and ends with the data; ncompress the oracle.
 * Bytes that start like one but whose codes cannot be are no candidate. */
static void test_stream_compress(void **s)
{
    const char *stub = "#!/bin/sh\ntail -c +64 \"$0\" | uncompress | sh; exit\n";
    size_t tn = 5000, zl, used = 0;
    unsigned char *text = malloc(tn);
    enum sk_coding c;
    struct out o = {0};
    struct sk_magics m;

    (void)s;
    for (size_t i = 0; i < tn; i++)
        text[i] = (unsigned char)("echo payload 4111 1111 1111 1111; "[i % 34] ^ (i / 700 & 1));
    /* (-b9 files ncompress cannot read back itself: test_compress) */
    for (int bits = 10; bits <= 16; bits++) {
        unsigned char *z = compress_of(text, tn, bits, &zl);
        size_t sl = strlen(stub), n = sl + zl;
        unsigned char *body = malloc(n);
        memcpy(body, stub, sl);
        memcpy(body + sl, z, zl);
        c = 0;
        assert_int_equal(sk_stream_find(body, n, 0, &c), (long)sl);
        assert_int_equal(c, SK_CODING_COMPRESS);
        assert_int_equal(sk_magics_find(&m, body, n), 0);
        c = 0;
        assert_int_equal(sk_stream_find_in(&m, body, n, 0, &c), (long)sl);
        assert_int_equal(c, SK_CODING_COMPRESS);
        sk_magics_free(&m);
        o.len = 0;
        assert_int_equal(sk_stream_decode(c, body + sl, zl, 1 << 20, &used, out_sink, &o), 1);
        assert_int_equal(used, zl);
        if (o.len != tn || memcmp(o.p, text, tn) != 0)
            fail_msg("-b%d: %zu bytes decoded, differ", bits, o.len);
        /* in pieces: every byte is the stream's, nothing ends it */
        for (size_t piece = 1; piece <= zl; piece += piece < 16 ? 1 : zl / 9) {
            struct sk_stream_dec *d = sk_stream_dec_new(SK_CODING_COMPRESS);
            size_t at = 0, u = 0;
            int rc = 0;
            assert_non_null(d);
            o.len = 0;
            while (rc == 0 && at < zl) {
                size_t k = zl - at < piece ? zl - at : piece;
                rc = sk_stream_dec_feed(d, body + sl + at, k, &u, out_sink, &o);
                at += u;
            }
            sk_stream_dec_free(d);
            if (rc != 0 || at != zl || o.len != tn || memcmp(o.p, text, tn) != 0)
                fail_msg("-b%d in pieces of %zu: rc %d at %zu, %zu bytes", bits, piece, rc, at,
                         o.len);
        }
        /* the bound stops it: -2 */
        assert_int_equal(sk_stream_decode(c, body + sl, zl, 100, &used, out_sink, &o), -2);
        /* a first code that is no byte; a code past the table; reserved
         * flag bits: no candidate */
        static const struct {
            size_t at;
            unsigned char x;
        } bad[] = {{4, 0x01}, {2, 0x20}, {2, 0x40}};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            body[sl + bad[i].at] ^= bad[i].x;
            long at = sk_stream_find(body, n, 0, &c);
            if (at == (long)sl)
                fail_msg("-b%d: byte %zu ^ %#x still a candidate", bits, bad[i].at, bad[i].x);
            body[sl + bad[i].at] ^= bad[i].x;
        }
        free(body), free(z);
    }
    /* codes 2..8 past the table's next entry: 1f 9d 90, 'a', then 511s */
    static const unsigned char later[] = {0x1f, 0x9d, 0x90, 0x61, 0xfe, 0xff, 0xff,
                                          0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    assert_int_equal(sk_stream_find(later, sizeof(later), 0, &c), -1);
    /* random bytes after a valid header: about one in 256 passes the codes */
    unsigned char r[12] = {0x1f, 0x9d, 0x90};
    unsigned taken = 0;
    for (int k = 0; k < 20000; k++) {
        for (int i = 3; i < 12; i++)
            r[i] = (unsigned char)rnd();
        taken += sk_stream_find(r, sizeof(r), 0, &c) == 0;
    }
    if (taken > 200)
        fail_msg("%u of 20000 random code runs taken for .Z", taken);
    free(text), free(o.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_zstd),        cmocka_unit_test(test_stream_lz4),
        cmocka_unit_test(test_stream_gzip_header), cmocka_unit_test(test_xz_filters),
        cmocka_unit_test(test_stream_compress),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_decode_guard.c - the decompression guard (sekisho/decode.h):
 * sk_decode_bound's rule at its edges, the chain decoder held to it at the
 * exact byte, and sk_decode_check (the check before libclamav) stopping
 * bzip2, gzip, xz and zstd bombs at the bound while compressible text of
 * a few MiB passes. Shared helpers: support/decode_fixture.c. */
#include <lzma.h>

#include "decode_fixture.h"

static void test_bound(void **s)
{
    static const struct {
        struct sk_decode_limits lim;
        uint64_t in, want;
        int by_ratio;
    } cases[] = {
        {{.out_max = 1000, .ratio = 0, .floor = 0}, 5, 1000, 0},     /* ratio off */
        {{.out_max = 1000, .ratio = 10, .floor = 100}, 5, 150, 1},   /* floor + ratio x in */
        {{.out_max = 1000, .ratio = 10, .floor = 100}, 0, 100, 1},   /* nothing in: the floor */
        {{.out_max = 1000, .ratio = 10, .floor = 100}, 90, 1000, 0}, /* out_max is less */
        {{.out_max = 1000, .ratio = 10, .floor = 100}, 89, 990, 1},  /* just under it */
        {{.out_max = UINT64_MAX, .ratio = 100, .floor = 1 << 20}, UINT64_MAX / 50, UINT64_MAX, 0},
        {{.out_max = UINT64_MAX, .ratio = 2, .floor = UINT64_MAX - 1}, 1, UINT64_MAX, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (sk_decode_bound(&cases[i].lim, cases[i].in) != cases[i].want ||
            sk_decode_by_ratio(&cases[i].lim, cases[i].in) != cases[i].by_ratio)
            fail_msg("case %zu: bound %llu (want %llu), by ratio %d", i,
                     (unsigned long long)sk_decode_bound(&cases[i].lim, cases[i].in),
                     (unsigned long long)cases[i].want,
                     sk_decode_by_ratio(&cases[i].lim, cases[i].in));
    }
}

/* The chain decoder stops past the bound, not at it: a gzip of N bytes
 * whose bound is exactly N passes, one byte less is LIMIT. */
static void test_chain_exact(void **s)
{
    size_t zn = 3u << 20, bl;
    unsigned char *zeros = calloc(1, zn);
    unsigned char *gz = sk_tz_deflate(zeros, zn, 16 + 15, &bl);
    struct sk_coding_chain ch = {.c = {SK_CODING_GZIP}, .n = 1};

    assert_true(zn > 100 * bl);
    for (int less = 0; less <= 1; less++) {
        struct sk_decode_limits lim = {
            .out_max = UINT64_MAX, .ratio = 100, .floor = zn - 100 * bl - (uint64_t)less};
        struct sk_decoder *d = sk_decoder_new(&ch, &lim);
        struct out o = {0};
        enum sk_decode_rc rc = sk_decoder_feed(d, gz, bl, 1, out_sink, &o);
        assert_int_equal(rc, less ? SK_DECODE_LIMIT : SK_DECODE_OK);
        if (!less)
            assert_int_equal(o.len, zn);
        sk_decoder_free(d);
        free(o.p);
    }
    free(zeros), free(gz);
}

/* xz -9 (a 64 MiB dictionary: the decoder needs 65 MiB) is read by the
 * stream reader as by the chain decoder */
static unsigned char *xz9(const void *in, size_t n, size_t *olen)
{
    size_t cap = lzma_stream_buffer_bound(n), pos = 0;
    unsigned char *b = malloc(cap);

    assert_int_equal(lzma_easy_buffer_encode(9, LZMA_CHECK_CRC64, NULL, in, n, b, &pos, cap),
                     LZMA_OK);
    *olen = pos;
    return b;
}

/* Text that compresses about as logs do (8-20x), 2 MiB of it. */
static unsigned char *log_text(size_t n)
{
    unsigned char *p = malloc(n + 128);
    size_t at = 0;
    unsigned x = 12345;

    while (at < n) {
        x = x * 1103515245u + 12345u;
        at += (size_t)sprintf((char *)p + at,
                              "2026-12-01T07:%02u:%02u host%u sshd[%u]: session %s for user%u\n",
                              x % 60, (x >> 8) % 60, (x >> 4) % 8, 1000 + (x >> 12) % 9000,
                              (x & 1) ? "opened" : "closed", (x >> 16) % 50);
    }
    return p;
}

static void test_check(void **s)
{
    size_t zn = 16u << 20, tn = 2u << 20, n;
    unsigned char *zeros = calloc(1, zn), *text = log_text(tn), *c;
    const struct sk_decode_limits lim = {.out_max = 100u << 20, .ratio = 100, .floor = 1 << 20};
    const struct sk_decode_limits nolim = {.out_max = UINT64_MAX};
    static const enum sk_coding kinds[] = {SK_CODING_BZIP2, SK_CODING_GZIP, SK_CODING_XZ,
                                           SK_CODING_ZSTD};
    uint64_t out;

    for (size_t k = 0; k < 4; k++) {
        for (int which = 0; which < 2; which++) {
            const unsigned char *in = which ? text : zeros;
            size_t len = which ? tn : zn;
            c = kinds[k] == SK_CODING_BZIP2  ? sk_tz_bzip2(in, len, &n)
                : kinds[k] == SK_CODING_GZIP ? sk_tz_deflate(in, len, 16 + 15, &n)
                : kinds[k] == SK_CODING_XZ   ? xz9(in, len, &n)
                                             : sk_tz_zstd(in, len, &n);
            enum sk_decode_rc rc = sk_decode_check(kinds[k], c, n, &lim, &out);
            if (which == 0) { /* the bomb: stopped at exactly its bound */
                if (rc != SK_DECODE_LIMIT || out != sk_decode_bound(&lim, n))
                    fail_msg("coding %d bomb (%zu bytes): rc %d, %llu bytes decoded", kinds[k], n,
                             rc, (unsigned long long)out);
                assert_int_equal(sk_decode_check(kinds[k], c, n, &nolim, &out), SK_DECODE_OK);
                assert_int_equal(out, zn);
            } else if (rc != SK_DECODE_OK || out != tn) { /* text: whole, untouched */
                fail_msg("coding %d text (%zu bytes, %zux): rc %d, %llu bytes decoded", kinds[k], n,
                         tn / n, rc, (unsigned long long)out);
            }
            free(c);
        }
    }
    /* streams of a kind that follow one another are one file: counted
     * together (two bzip2 streams of 900 KiB of zeros, 1.8 MiB) */
    size_t n1;
    unsigned char *b1 = sk_tz_bzip2(zeros, 900u << 10, &n1), *two = malloc(2 * n1);
    memcpy(two, b1, n1), memcpy(two + n1, b1, n1);
    assert_int_equal(sk_decode_check(SK_CODING_BZIP2, b1, n1, &lim, &out), SK_DECODE_OK);
    assert_int_equal(sk_decode_check(SK_CODING_BZIP2, two, 2 * n1, &lim, &out), SK_DECODE_LIMIT);
    /* the budget alone (no ratio) is a limit too; not a stream is CORRUPT;
     * a coding it does not read FAIL */
    const struct sk_decode_limits small = {.out_max = 1000};
    assert_int_equal(sk_decode_check(SK_CODING_BZIP2, b1, n1, &small, &out), SK_DECODE_LIMIT);
    assert_int_equal(out, 1000);
    assert_false(sk_decode_by_ratio(&small, n1));
    assert_int_equal(
        sk_decode_check(SK_CODING_XZ, (const unsigned char *)"not xz at all", 13, &lim, NULL),
        SK_DECODE_CORRUPT);
    assert_int_equal(sk_decode_check(SK_CODING_LZIP, b1, n1, &lim, NULL), SK_DECODE_FAIL);
    /* a .Z (makeself --compress's payload) is read: whole, or cut at the
     * bound; bzip2 bytes are no .Z */
    assert_int_equal(sk_decode_check(SK_CODING_COMPRESS, b1, n1, &lim, NULL), SK_DECODE_CORRUPT);
    size_t zzn;
    unsigned char *zz = compress_of(zeros, 900u << 10, 16, &zzn);
    assert_int_equal(sk_decode_check(SK_CODING_COMPRESS, zz, zzn, &nolim, &out), SK_DECODE_OK);
    assert_int_equal(out, 900u << 10);
    assert_int_equal(sk_decode_check(SK_CODING_COMPRESS, zz, zzn, &small, &out), SK_DECODE_LIMIT);
    assert_int_equal(out, 1000);
    free(zz);
    /* an lz4 frame (makeself --lz4's payload) is read: whole, or cut at the bound */
    size_t l4n;
    unsigned char *l4 = sk_tz_lz4(zeros, 900u << 10, &l4n);
    assert_int_equal(sk_decode_check(SK_CODING_LZ4, l4, l4n, &nolim, &out), SK_DECODE_OK);
    assert_int_equal(out, 900u << 10);
    assert_int_equal(sk_decode_check(SK_CODING_LZ4, l4, l4n, &small, &out), SK_DECODE_LIMIT);
    assert_int_equal(out, 1000);
    assert_int_equal(sk_decode_check(SK_CODING_LZ4, b1, n1, &lim, NULL), SK_DECODE_CORRUPT);
    free(l4);
    free(b1), free(two), free(zeros), free(text);
}

/* ---- sk_7z_guard: 7z archives built as 7-Zip writes them
 * (support/sk_tzip.c, sk_tz_7z) ---- */

static void test_7z(void **s)
{
    const struct sk_decode_limits lim = {.out_max = UINT64_MAX, .ratio = 100, .floor = 1u << 20};
    size_t zn = 8u << 20, tl = 2u << 20;
    unsigned char *zero = calloc(1, zn), *text = malloc(tl);
    unsigned char *a;
    size_t an;

    (void)s;
    for (size_t i = 0; i < tl; i++)
        text[i] = (unsigned char)(i % 50 == 49 ? '\n' : 'a' + rnd() % 26);
    for (int enc = 0; enc < 2; enc++) {
        /* 8 MiB of zeros in ~1 KB: a bomb, plain or encoded header */
        a = sk_tz_7z(zero, zn, 1, 0, enc, &an);
        assert_int_equal(sk_7z_guard(a, an, &lim, NULL), 1);
        /* the ratio off: within the bound */
        const struct sk_decode_limits off = {.out_max = UINT64_MAX, .floor = 1u << 20};
        assert_int_equal(sk_7z_guard(a, an, &off, NULL), 0);
        /* the same data declared 1 MiB: what libclamav decodes, passes */
        free(a);
        a = sk_tz_7z(zero, zn, 1, 1u << 20, enc, &an);
        assert_int_equal(sk_7z_guard(a, an, &lim, NULL), 0);
        /* 1 MiB of zeros: the floor */
        free(a);
        a = sk_tz_7z(zero, 1u << 20, 1, 0, enc, &an);
        assert_int_equal(sk_7z_guard(a, an, &lim, NULL), 0);
        /* 40 folders of 1 MiB each: each at the floor, the archive beyond */
        free(a);
        a = sk_tz_7z(zero, 1u << 20, 40, 0, enc, &an);
        assert_int_equal(sk_7z_guard(a, an, &lim, NULL), 1);
        /* text (~1.7x): passes */
        free(a);
        a = sk_tz_7z(text, tl, 1, 0, enc, &an);
        assert_int_equal(sk_7z_guard(a, an, &lim, NULL), 0);
        /* a header cut short, or pointing past the end: not read (-1) */
        free(a);
        a = sk_tz_7z(zero, zn, 1, 0, enc, &an);
        assert_int_equal(sk_7z_guard(a, an - 3, &lim, NULL), -1);
        a[12] ^= 0x40;
        assert_int_equal(sk_7z_guard(a, an, &lim, NULL), -1);
        free(a);
    }
    /* lone coders libclamav does not decode (Deflate, Deflate64, Delta, a
     * branch filter with no main coder: its reader takes BCJ and ARM only
     * after one) are counted; LZMA, LZMA2, PPMd, BZip2, AES are not (the
     * filter shapes: tests/hostile g_zip_bombs, with 7-Zip's archives) */
    static const struct {
        const char *id;
        size_t n;
        unsigned unread;
    } coders[] = {{"\4\1\x08", 3, 1}, {"\4\1\x09", 3, 1},   {"\3", 1, 1},     {"\3\1\1", 3, 0},
                  {"\x21", 1, 0},     {"\3\4\1", 3, 0},     {"\4\2\2", 3, 0}, {"\3\3\1\3", 4, 1},
                  {"\3\3\7\1", 4, 1}, {"\6\xf1\7\1", 4, 0}, {"\0", 1, 0}};
    for (size_t i = 0; i < sizeof(coders) / sizeof(coders[0]); i++) {
        unsigned unread = 99;
        a = sk_tz_7z(text, 4096, 2, 0, 0, &an);
        sk_tz_7z_coder(a, an, coders[i].id, coders[i].n);
        assert_int_equal(sk_7z_guard(a, an, &lim, &unread), 0);
        if (unread != coders[i].unread * 2)
            fail_msg("coder %zu: %u folders unread", i, unread);
        free(a);
    }
    /* every cut of a small archive: no read past the end (ASan), never 1 */
    a = sk_tz_7z(text, 4096, 1, 0, 1, &an);
    for (size_t k = 0; k < an; k++)
        assert_true(sk_7z_guard(a, k, &lim, NULL) != 1);
    free(a);
    assert_int_equal(
        sk_7z_guard((const unsigned char *)"not a 7z archive at all, no", 27, &lim, NULL), -1);
    free(zero), free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bound),
        cmocka_unit_test(test_chain_exact),
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_7z),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_icap_syntax.c - unit test of icap-server/guard/sk_icap_syntax.c, the
 * strict parsers for chunk-size lines, Encapsulated values and ICAP header
 * blocks that sk_cicap_fix.so and sekisho_guard share. Table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sk_icap_syntax.h"

struct sk_chunk_case {
    const char *in;
    long want; /* line length, 0 incomplete, -1 refused */
    long want_size;
};

static void test_chunk_lines(void **state)
{
    static const struct sk_chunk_case cases[] = {
        {"5\r\nhello", 3, 5},
        {"A\r\n", 3, 10},
        {"a\r\n", 3, 10},
        {"000000000000000a\r\n", 18, 10},
        {"0\r\n\r\n", 3, 0},
        {"0; ieof\r\n\r\n", 9, 0},
        {"0 ;ieof\r\n", 9, 0},
        {"40000000\r\n", 10, 1L << 30},
        {"5", 0, 0},
        {"5\r", 0, 0},
        {"0; ie", 0, 0},
        {"0x5\r\n", -1, 0},
        {"0X7ffffffe\r\n", -1, 0},
        {"+5\r\n", -1, 0},
        {"-5\r\n", -1, 0},
        {" 5\r\n", -1, 0},
        {"\t5\r\n", -1, 0},
        {"\r\n", -1, 0},
        {"5 \r\n", -1, 0},
        {"5;x\r\n", -1, 0},
        {"5\n", -1, 0},
        {"5\r\r\n", -1, 0},
        {"5g\r\n", -1, 0},
        {"00000000000000005\r\n", -1, 0},
        {"40000001\r\n", -1, 0},
        {"7fffffff\r\n", -1, 0},
        {"ffffffffffffffff\r\n", -1, 0},
        {"0;a\nb\r\n", -1, 0},
        {"0x0\r\n", -1, 0},
        {"0; use-original-body=-5\r\n", -1, 0},
        {"0; ieofx\r\n", -1, 0},
        {"0; foo\r\n", -1, 0},
        {"0 ; ieof \r\n", 11, 0},
        {"0; ieof", 0, 0},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        long size = -7, got = sk_chunk_line(cases[i].in, (long)strlen(cases[i].in), &size);

        if (got != cases[i].want)
            fail_msg("chunk line %zu '%s': got %ld, want %ld", i, cases[i].in, got, cases[i].want);
        if (got > 0)
            assert_int_equal(size, cases[i].want_size);
    }
    /* a NUL inside the size line is refused, not read as a terminator */
    long size;
    assert_int_equal(sk_chunk_line("5\0\r\n", 4, &size), -1);
    /* an over-long last-chunk line without CRLF is refused, not waited for */
    char ext[SK_CHUNK_LINE_MAX + 10];
    memset(ext, ' ', sizeof(ext));
    ext[0] = '0';
    assert_int_equal(sk_chunk_line(ext, 100, &size), 0);
    assert_int_equal(sk_chunk_line(ext, (long)sizeof(ext), &size), -1);
}

static void test_encapsulated(void **state)
{
    static const char *const good[] = {
        " req-hdr=0, null-body=75",
        "req-hdr=0,null-body=75",
        "null-body=0",
        " req-hdr=0, res-hdr=120, res-body=300",
        "res-hdr=0, res-body=4", /* the shortest header section: CRLF CRLF */
        " req-hdr=0, null-body=4",
        " req-hdr=0,\r\n null-body=75",
        "req-body=0",
        " req-hdr=0, req-body=75 ",
    };
    static const char *const bad[] = {
        " req-hdr=0, null-body",
        " null-body",
        " req-hdr, null-body=75",
        " req-hdr=0, null-body=",
        " REQ-HDR=0, NULL-BODY=75",
        " req-hdr=+0, null-body=75",
        " req-hdr= 0, null-body=75",
        " req-hdr=0x0, null-body=75",
        " req-hdr=0, null-body=0000000075",
        " req-hdr=0, null-body=75, res-body=80",
        " opt-body=0",
        " req-hdr=0, req-hdr=1",
        " res-hdr=0, req-hdr=10, null-body=20",
        " req-hdr=5, null-body=75",
        " req-hdr=0, null-body=0",
        " req-hdr=10, null-body=5",
        " req-hdr=0, null-body=262145",
        " req-hdr=0; null-body=75",
        " req-hdr=0, null-body=75 x",
        "",
        " ",
        " req-hdr=0,",
        " req-hdr=0, res-hdr=1, res-body=2, null-body=3",
        " garbage",
        " req-hdr:0, null-body=75",
        " req-hdrX0, null-body=75",
        /* a header section shorter than its CRLF CRLF end */
        " req-hdr=0, null-body=1",
        " req-hdr=0, null-body=3",
        " req-hdr=0, req-body=2",
        " res-hdr=0, res-body=3",
        " req-hdr=0, res-hdr=3, res-body=80",
        " req-hdr=0, res-hdr=75, res-body=78",
    };
    struct sk_encaps e;
    const char *why;
    (void)state;
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (sk_encaps_parse(good[i], &e, &why) != 0)
            fail_msg("Encapsulated '%s' refused: %s", good[i], why);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (sk_encaps_parse(bad[i], &e, &why) != -1)
            fail_msg("Encapsulated '%s' accepted", bad[i]);
    }
    assert_int_equal(sk_encaps_parse(" req-hdr=0, res-hdr=120, res-body=300", &e, &why), 0);
    assert_int_equal(e.n, 3);
    assert_int_equal(e.type[1], SK_ENC_RES_HDR);
    assert_int_equal(e.off[2], 300);
    /* decreasing offsets are refused as such (the short-section rule would
     * refuse them too, with a reason that misleads whoever reads the log) */
    assert_int_equal(sk_encaps_parse(" req-hdr=0, res-hdr=75, res-body=10", &e, &why), -1);
    assert_string_equal(why, "Encapsulated offsets not increasing");
    assert_int_equal(sk_encaps_parse(" req-hdr=0, null-body=3", &e, &why), -1);
    assert_string_equal(why, "Encapsulated header section shorter than its CRLF CRLF end");
}

static int sk_check(const char *const *lines, int n, long max_preview)
{
    char copies[8][256];
    char *ptrs[8];
    const char *why;

    for (int i = 0; i < n; i++) {
        strcpy(copies[i], lines[i]);
        ptrs[i] = copies[i];
    }
    return sk_icap_headers_check(ptrs, n, max_preview, &why);
}

static void test_header_block(void **state)
{
    const char *ok[] = {"REQMOD icap://x/s ICAP/1.0", "Host: x",
                        "Encapsulated: req-hdr=0, null-body=9", "Preview: 1024", "Allow: 204"};
    const char *two_enc[] = {"REQMOD icap://x/s ICAP/1.0", "Encapsulated: null-body=0",
                             "encapsulated: req-hdr=0"};
    const char *no_colon[] = {"REQMOD icap://x/s ICAP/1.0", "Encapsulated: req-hdr=0, null-body=9",
                              "req-hdr=0, req-hdr=0"};
    const char *space_colon[] = {"REQMOD icap://x/s ICAP/1.0", "Preview : 10"};
    const char *big[] = {"REQMOD icap://x/s ICAP/1.0", "PREVIEW: 209715200"};
    const char *neg[] = {"REQMOD icap://x/s ICAP/1.0", "Preview: -1"};
    const char *two_pv[] = {"REQMOD icap://x/s ICAP/1.0", "Preview: 1", "preview: 2"};
    const char *hex_pv[] = {"REQMOD icap://x/s ICAP/1.0", "Preview: 0x10"};
    (void)state;
    assert_int_equal(sk_check(ok, 5, 1024), SK_HDR_OK);
    assert_int_equal(sk_check(ok, 5, 1023), SK_HDR_PREVIEW_BIG);
    assert_int_equal(sk_check(ok, 5, -1), SK_HDR_OK);
    assert_int_equal(sk_check(two_enc, 3, -1), SK_HDR_BAD);
    assert_int_equal(sk_check(no_colon, 3, -1), SK_HDR_BAD);
    assert_int_equal(sk_check(space_colon, 2, -1), SK_HDR_BAD);
    assert_int_equal(sk_check(big, 2, 65536), SK_HDR_PREVIEW_BIG);
    assert_int_equal(sk_check(neg, 2, -1), SK_HDR_BAD);
    assert_int_equal(sk_check(two_pv, 3, -1), SK_HDR_BAD);
    assert_int_equal(sk_check(hex_pv, 2, -1), SK_HDR_BAD);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chunk_lines),
        cmocka_unit_test(test_encapsulated),
        cmocka_unit_test(test_header_block),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

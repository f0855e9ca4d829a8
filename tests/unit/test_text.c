/* test_text.c - the toolkit (sekisho/text.h): the one size and duration
 * grammar, UTF-8 validation, FNV-1a, plain-text escaping, the buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sekisho/text.h"

#define NOPE UINT64_MAX /* expected: rejected */

static void test_size_grammar(void **s)
{
    static const struct {
        const char *in;
        uint64_t want;
    } cases[] = {
        {"0", 0},
        {"1048576", 1048576},
        {"1M", 1048576},
        {"1MB", 1048576},
        {"1MiB", 1048576},
        {"1m", 1048576},
        {"1mb", 1048576},
        {"1mib", 1048576},
        {"64K", 65536},
        {"64KB", 65536},
        {"64kib", 65536},
        {"2G", 2ull << 30},
        {"2GiB", 2ull << 30},
        {"1T", 1ull << 40},
        {"7B", 7},
        {"007", 7},
        {"18446744073709551615", UINT64_MAX - 0}, /* exactly fits */
        {"", NOPE},
        {"M", NOPE},
        {"-1", NOPE},
        {"+1", NOPE},
        {" 1", NOPE},
        {"1 ", NOPE},
        {"1 M", NOPE},
        {"1.5M", NOPE},
        {"1MBB", NOPE},
        {"1Mi", NOPE},
        {"1KM", NOPE},
        {"1X", NOPE},
        {"18446744073709551616", NOPE},
        {"17179869184G", NOPE}, /* overflow */
        {"16777216T", NOPE},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t v = 12345;
        int rc = sk_parse_size(cases[i].in, &v);
        if (cases[i].want == NOPE && strcmp(cases[i].in, "18446744073709551615") != 0) {
            if (rc != -1)
                fail_msg("size '%s' accepted as %llu", cases[i].in, (unsigned long long)v);
            assert_int_equal(v, 12345); /* nothing stored on error */
        } else {
            if (rc != 0 || v != cases[i].want)
                fail_msg("size '%s': rc %d value %llu", cases[i].in, rc, (unsigned long long)v);
        }
    }
    assert_int_equal(sk_parse_size(NULL, &(uint64_t){0}), -1);
}

static void test_duration_grammar(void **s)
{
    static const struct {
        const char *in;
        uint64_t want;
    } cases[] = {
        {"0", 0},      {"30", 30},
        {"30s", 30},   {"5m", 300},
        {"4h", 14400}, {"2d", 172800},
        {"", NOPE},    {"5M", NOPE},
        {"5 m", NOPE}, {"5ms", NOPE},
        {"-5s", NOPE}, {"1.5h", NOPE},
        {"s", NOPE},   {"99999999999999999999d", NOPE},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t v = 0;
        int rc = sk_parse_duration(cases[i].in, &v);
        if (cases[i].want == NOPE ? rc != -1 : rc != 0 || v != cases[i].want)
            fail_msg("duration '%s': rc %d value %llu", cases[i].in, rc, (unsigned long long)v);
    }
}

static void test_utf8_valid(void **s)
{
    assert_int_equal(sk_utf8_valid("abc \xe6\x97\xa5\xe6\x9c\xac", 10), 1);
    assert_int_equal(sk_utf8_valid("\xf0\x9f\x98\x80", 4), 1);
    assert_int_equal(sk_utf8_valid("\xc0\xaf", 2), 0);         /* overlong '/' */
    assert_int_equal(sk_utf8_valid("\xe0\x80\xaf", 3), 0);     /* overlong, 3 bytes */
    assert_int_equal(sk_utf8_valid("\xed\xa0\x80", 3), 0);     /* surrogate */
    assert_int_equal(sk_utf8_valid("\xf4\x90\x80\x80", 4), 0); /* > U+10FFFF */
    assert_int_equal(sk_utf8_valid("\xe6\x97", 2), 0);         /* truncated */
    assert_int_equal(sk_utf8_valid("a\0b", 3), 0);             /* NUL */
    assert_int_equal(sk_utf8_valid("\x80", 1), 0);
}

static void test_fnv1a64(void **s)
{
    /* published FNV-1a 64 test vectors */
    assert_true(sk_fnv1a64("", 0, 0) == 0xcbf29ce484222325ULL);
    assert_true(sk_fnv1a64("a", 1, 0) == 0xaf63dc4c8601ec8cULL);
    assert_true(sk_fnv1a64("foobar", 6, 0) == 0x85944171f73967e8ULL);
    /* continuing from a seed is hashing the concatenation */
    assert_true(sk_fnv1a64("bar", 3, sk_fnv1a64("foo", 3, 0)) == 0x85944171f73967e8ULL);
}

static void test_text_and_buffer(void **s)
{
    struct sk_buf b = {0};

    sk_text_escape(&b, "a\r\nb<&>\xff", 100);
    assert_string_equal(b.data, "a\xef\xbf\xbd\xef\xbf\xbd"
                                "b<&>\xef\xbf\xbd");
    sk_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(sk_buf_printf(&b, "%d-%s", 42, "x"), 0);
    assert_int_equal(sk_buf_append(&b, "yz", 1), 0);
    assert_string_equal(b.data, "42-xy");
    assert_int_equal(b.len, 5);
    b.failed = 1; /* after a failure every append reports it */
    assert_int_equal(sk_buf_puts(&b, "more"), -1);
    assert_string_equal(b.data, "42-xy");
    sk_buf_free(&b);
}

/* Every ASCII byte through each escaper: the bytes a syntax gives meaning
 * to, and every control byte, come out replaced; every other printable
 * byte comes out as itself (the escapers skip those with a bitmap, which
 * must not let one special byte through). */
static void test_escape_every_ascii(void **s)
{
    static const struct {
        void (*fn)(struct sk_buf *, const char *, size_t);
        const char *special;
    } esc[] = {
        {sk_json_escape, "\"\\"},
        {sk_html_escape, "\"&'<>"},
        {sk_text_escape, ""},
    };

    for (size_t k = 0; k < sizeof(esc) / sizeof(esc[0]); k++) {
        for (unsigned c = 1; c < 0x80; c++) {
            struct sk_buf b = {0};
            char in[2] = {(char)c, '\0'};
            int keep = c >= 0x20 && c != 0x7f && strchr(esc[k].special, (int)c) == NULL;

            esc[k].fn(&b, in, 10);
            assert_non_null(b.data);
            if (keep) {
                assert_string_equal(b.data, in);
            } else {
                assert_true(b.len > 1); /* replaced, never the byte alone */
            }
            sk_buf_free(&b);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_size_grammar),    cmocka_unit_test(test_duration_grammar),
        cmocka_unit_test(test_utf8_valid),      cmocka_unit_test(test_fnv1a64),
        cmocka_unit_test(test_text_and_buffer), cmocka_unit_test(test_escape_every_ascii),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_text.c - the toolkit (sekisho/text.h): the one size and duration
 * grammar, UTF-8 validation, FNV-1a, plain-text escaping, the buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "sekisho/decode.h"
#include "sekisho/net.h"
#include "sekisho/text.h"

#include "../../icap-server/toolkit/sk_charref_names.h"

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
    /* C1 controls (C2 80-9F) too: C2 9B is CSI to a terminal that honours
     * C1 in UTF-8; U+00A0 (C2 A0) is text; a C2 cut by MAX is no C1 */
    {
        static const struct {
            const char *in, *want;
            size_t max;
        } c1[] = {
            {"a\xc2\x9b[31mb", "a\xef\xbf\xbd[31mb", 100},
            {"\xc2\x80\xc2\x9f\xc2\xa0\xc3\x80", "\xef\xbf\xbd\xef\xbf\xbd\xc2\xa0\xc3\x80", 100},
            {"x\xc2\x9b", "x\xef\xbf\xbd...", 2},
        };
        for (size_t i = 0; i < sizeof(c1) / sizeof(c1[0]); i++) {
            sk_text_escape(&b, c1[i].in, c1[i].max);
            assert_string_equal(b.data, c1[i].want);
            sk_buf_free(&b);
        }
        /* JSON escapes them: the same value to a JSON reader, no raw CSI
         * to an administrator's `tail -f` (test_escape_controls) */
        sk_json_escape(&b, "\xc2\x9b", 100);
        assert_string_equal(b.data, "\\u009b");
        sk_buf_free(&b);
    }
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

/* Every escaper against the characters that change what a reader sees
 * (sekisho/text.h): C1 controls, U+2028/2029, the bidi controls; the
 * characters next to them stay; overlong forms are invalid UTF-8. */
static void test_escape_controls(void **s)
{
#define FFFD "\xef\xbf\xbd"
    static const struct {
        const char *in, *json, *html, *text, *prom;
    } t[] = {
        {"a\xc2\x80z", "a\\u0080z", "a" FFFD "z", "a" FFFD "z", "a" FFFD "z"},
        {"a\xc2\x9f", "a\\u009f", "a" FFFD, "a" FFFD, "a" FFFD},
        {"\xe2\x80\xae"
         "gpj.exe",
         "\\u202egpj.exe", FFFD "gpj.exe", FFFD "gpj.exe", FFFD "gpj.exe"},
        {"\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad", "\\u202a\\u202b\\u202c\\u202d",
         FFFD FFFD FFFD FFFD, FFFD FFFD FFFD FFFD, FFFD FFFD FFFD FFFD},
        {"\xe2\x81\xa6\xe2\x81\xa9", "\\u2066\\u2069", FFFD FFFD, FFFD FFFD, FFFD FFFD},
        {"\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c", "\\u200e\\u200f\\u061c", FFFD FFFD FFFD,
         FFFD FFFD FFFD, FFFD FFFD FFFD},
        {"l1\xe2\x80\xa8l2\xe2\x80\xa9", "l1\\u2028l2\\u2029", "l1" FFFD "l2" FFFD,
         "l1" FFFD "l2" FFFD, "l1" FFFD "l2" FFFD},
        /* neighbours are text: U+00A0, U+200D (ZWJ), U+2027, U+202F,
         * U+2065, U+206A, U+061B */
        {"\xc2\xa0\xe2\x80\x8d\xe2\x80\xa7\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa\xd8\x9b",
         "\xc2\xa0\xe2\x80\x8d\xe2\x80\xa7\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa\xd8\x9b",
         "\xc2\xa0\xe2\x80\x8d\xe2\x80\xa7\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa\xd8\x9b",
         "\xc2\xa0\xe2\x80\x8d\xe2\x80\xa7\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa\xd8\x9b",
         "\xc2\xa0\xe2\x80\x8d\xe2\x80\xa7\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa\xd8\x9b"},
        /* overlong '<' and '/', a lone continuation byte, a cut sequence */
        {"\xc0\xbc\xe0\x80\xaf", "\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd", FFFD FFFD FFFD FFFD FFFD,
         FFFD FFFD FFFD FFFD FFFD, FFFD FFFD FFFD FFFD FFFD},
        {"\x80x\xe2\x80", "\\ufffdx\\ufffd\\ufffd", FFFD "x" FFFD FFFD, FFFD "x" FFFD FFFD,
         FFFD "x" FFFD FFFD},
        /* the ASCII of each syntax */
        {"</script>\"'-->\\\r\n\x1b[2J\x7f", "</script>\\\"'-->\\\\\\u000d\\n\\u001b[2J\\u007f",
         "&lt;/script&gt;&quot;&#39;--&gt;\\" FFFD FFFD FFFD "[2J" FFFD,
         "</script>\"'-->\\" FFFD FFFD FFFD "[2J" FFFD,
         "</script>\\\"'-->\\\\" FFFD "\\n" FFFD "[2J" FFFD},
    };
    void (*fn[4])(struct sk_buf *, const char *, size_t) = {sk_json_escape, sk_html_escape,
                                                            sk_text_escape, sk_prom_label_escape};

    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        const char *want[4] = {t[i].json, t[i].html, t[i].text, t[i].prom};
        for (int k = 0; k < 4; k++) {
            struct sk_buf b = {0};
            fn[k](&b, t[i].in, 1000);
            if (strcmp(b.data ? b.data : "", want[k]) != 0)
                fail_msg("case %zu escaper %d: got '%s' want '%s'", i, k, b.data, want[k]);
            sk_buf_free(&b);
        }
    }
    /* a 64 KiB value is cut at MAX, with the ellipsis, never split inside
     * a character */
    {
        size_t n = 65536;
        char *big = malloc(n + 1);
        struct sk_buf b = {0};
        for (size_t i = 0; i < n; i += 2)
            memcpy(big + i, "\xc3\xa9", 2);
        big[n] = '\0';
        sk_html_escape(&b, big, 1001);
        assert_int_equal(b.len, 1000 + 3 + strlen("&hellip;"));
        assert_int_equal(sk_utf8_valid(b.data, b.len), 1);
        sk_buf_free(&b);
        free(big);
    }
#undef FFFD
}

/* The one CIDR parser and matcher (sekisho/net.h): the status listener's
 * --status-allow and policy client-ip scopes. */
static void test_cidr(void **s)
{
    static const struct {
        const char *list, *addr;
        int match;
    } t[] = {
        {"127.0.0.0/8,::1", "127.0.0.1", 1},
        {"127.0.0.0/8,::1", "127.255.1.2", 1},
        {"127.0.0.0/8,::1", "::1", 1},
        {"127.0.0.0/8,::1", "::2", 0},
        {"127.0.0.0/8,::1", "128.0.0.1", 0},
        {"127.0.0.0/8,::1", "::ffff:127.0.0.1", 1}, /* a dual-stack peer */
        {"::1", "127.0.0.1", 0},
        {"127.0.0.1", "::1", 0},
        {"10.1.2.0/23", "10.1.3.255", 1},
        {"10.1.2.0/23", "10.1.4.0", 0},
        {"10.1.2.0/24", "10.1.3.0", 0},
        {"10.1.2.3/32", "10.1.2.3", 1},
        {"10.1.2.3/32", "10.1.2.2", 0},
        {"10.1.2.3/31", "10.1.2.2", 1},
        {"0.0.0.0/0", "203.0.113.9", 1},
        {"0.0.0.0/0", "2001:db8::1", 0},
        {"::/0", "2001:db8::1", 1},
        {"2001:db8::/33", "2001:db8:7fff::1", 1},
        {"2001:db8::/33", "2001:db8:8000::1", 0},
        {"fe80::/10", "febf::1", 1},
        {"fe80::/10", "fec0::1", 0},
        {"10.0.0.1,10.0.0.2,10.0.0.3", "10.0.0.3", 1},
    };
    static const char *const bad[] = {
        "",
        ",",
        "10.0.0.1,",
        ",10.0.0.1",
        "10.0.0.1,,10.0.0.2",
        "10.0.0.1, 10.0.0.2",
        "10.0.0.0/33",
        "::/129",
        "10.0.0.0/",
        "10.0.0.0/-1",
        "10.0.0.0/+8",
        "10.0.0.0/8x",
        "10.0.0.0/0008",
        "10.1",
        "0x0a.0.0.1",
        "localhost",
        "10.0.0.1/8/8",
        "[::1]",
        "any",
        "10.0.0.1 ",
    };
    struct sk_cidr nets[4];
    uint8_t addr[16];
    int fam, n;

    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        n = sk_cidr_list_parse(t[i].list, nets, 4);
        assert_true(n >= 1);
        assert_int_equal(sk_ip_parse(t[i].addr, strlen(t[i].addr), &fam, addr), 0);
        if (sk_cidr_list_match(nets, n, fam, addr) != t[i].match)
            fail_msg("%s in %s: want %d", t[i].addr, t[i].list, t[i].match);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (sk_cidr_list_parse(bad[i], nets, 4) != -1)
            fail_msg("'%s' accepted", bad[i]);
    assert_int_equal(sk_cidr_list_parse("1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4", nets, 4), 4);
    assert_int_equal(sk_cidr_list_parse("1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4,5.5.5.5", nets, 4), -1);
    /* socket addresses: a v4-mapped IPv6 peer is IPv4 */
    {
        struct sockaddr_in6 a6 = {.sin6_family = AF_INET6};
        struct sockaddr_in a4 = {.sin_family = AF_INET};
        struct sockaddr un = {.sa_family = AF_UNIX};
        inet_pton(AF_INET6, "::ffff:127.0.0.1", &a6.sin6_addr);
        assert_int_equal(sk_ip_from_sockaddr((struct sockaddr *)&a6, &fam, addr), 0);
        assert_int_equal(fam, 4);
        assert_memory_equal(addr, "\x7f\x00\x00\x01", 4);
        inet_pton(AF_INET6, "::1", &a6.sin6_addr);
        assert_int_equal(sk_ip_from_sockaddr((struct sockaddr *)&a6, &fam, addr), 0);
        assert_int_equal(fam, 6);
        inet_pton(AF_INET, "10.9.8.7", &a4.sin_addr);
        assert_int_equal(sk_ip_from_sockaddr((struct sockaddr *)&a4, &fam, addr), 0);
        assert_int_equal(fam, 4);
        assert_memory_equal(addr, "\x0a\x09\x08\x07", 4);
        assert_int_equal(sk_ip_from_sockaddr(&un, &fam, addr), -1);
        assert_int_equal(sk_ip_from_sockaddr(NULL, &fam, addr), -1);
    }
}

/* HTML character references as a browser reads them in an attribute, and
 * the UTF-8 encoder they are written with. */
static void test_html_charref(void **s)
{
    static const struct {
        const char *in;
        size_t took;
        uint32_t cp;
    } t[] = {
        {"#37;", 4, '%'},
        {"#x25", 4, '%'},
        {"#X25;z", 5, '%'},
        {"#0;", 3, 0xfffd},
        {"#xD800;", 7, 0xfffd},
        {"#x110000;", 9, 0xfffd},
        {"#99999999999999;", 16, 0xfffd},
        {"#150;", 5, 0x2013},
        {"#x81;", 5, 0x81},
        {"#128", 4, 0x20ac},
        {"#x1F600;", 8, 0x1f600},
        {"percnt;", 7, '%'},
        {"percnt", 0, 0},
        {"amp", 3, '&'},
        {"amp;x", 4, '&'},
        {"ampx", 0, 0},
        {"lt=1", 0, 0},
        {"lt;", 3, '<'},
        {"lt ", 2, '<'},
        {"#;", 0, 0},
        {"#x;", 0, 0},
        {"", 0, 0},
        {"nbsp;", 5, 0xa0},
        {"bsol;", 5, '\\'},
        {"NewLine;", 8, '\n'},
        {"Percnt;", 0, 0},
        /* the names of what DLP's fold maps to a space or a dash, or
         * drops (DLP-HTMLREF) */
        {"ThinSpace;", 10, 0x2009},
        {"ThinSpace", 0, 0},
        {"numsp;1", 6, 0x2007},
        {"hyphen;", 7, 0x2010},
        {"dash;", 5, 0x2010},
        {"minus;", 6, 0x2212},
        {"boxh;", 5, 0x2500},
        {"shy;", 4, 0xad},
        {"shy", 3, 0xad},
        {"shy1", 0, 0},
        {"zwnj;", 5, 0x200c},
        {"ZeroWidthSpace;", 15, 0x200b},
        {"NegativeVeryThinSpace;", 22, 0x200b},
        {"DownBreve;", 10, 0x311},
        {"nbsp1", 0, 0},
        {"nbsp;1", 5, 0xa0},
        {"#52&#49", 3, '4'},
        {"#x34 1111", 4, '4'},
    };
    unsigned char b[4];

    (void)s;
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        uint32_t cp = 0;
        size_t took = sk_html_charref((const unsigned char *)t[i].in, strlen(t[i].in), &cp);
        if (took != t[i].took || (took && cp != t[i].cp))
            fail_msg("'&%s': took %zu cp U+%04X, want %zu U+%04X", t[i].in, took, (unsigned)cp,
                     t[i].took, (unsigned)t[i].cp);
    }
    /* a reference is read within N bytes only */
    uint32_t cp = 0;
    assert_int_equal(sk_html_charref((const unsigned char *)"#37;", 2, &cp), 2);
    assert_int_equal(cp, 3);
    /* in text content a legacy name needs no ';' whatever follows it
     * (html.unescape("&nbsp1111") is U+00A0 "1111"); other names do */
    static const struct {
        const char *in;
        size_t took;
        uint32_t cp;
    } text[] = {
        {"nbsp1111", 4, 0xa0}, {"shy1", 3, 0xad},    {"amplifier", 3, '&'}, {"lt=2", 2, '<'},
        {"nbsp;1", 5, 0xa0},   {"ThinSpace1", 0, 0}, {"#49 1", 3, '1'},     {"Nbsp", 0, 0},
    };
    for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++) {
        cp = 0;
        size_t took =
            sk_html_charref_text((const unsigned char *)text[i].in, strlen(text[i].in), &cp);
        if (took != text[i].took || (took && cp != text[i].cp))
            fail_msg("text '&%s': took %zu cp U+%04X, want %zu U+%04X", text[i].in, took,
                     (unsigned)cp, text[i].took, (unsigned)text[i].cp);
    }
    assert_int_equal(sk_utf8_put(b, 'A'), 1);
    assert_int_equal(sk_utf8_put(b, 0xe9), 2);
    assert_memory_equal(b, "\xc3\xa9", 2);
    assert_int_equal(sk_utf8_put(b, 0x20ac), 3);
    assert_memory_equal(b, "\xe2\x82\xac", 3);
    assert_int_equal(sk_utf8_put(b, 0x1f600), 4);
    assert_memory_equal(b, "\xf0\x9f\x98\x80", 4);
    assert_int_equal(sk_utf8_put(b, 0x110000), 3);
    assert_memory_equal(b, "\xef\xbf\xbd", 3);
    /* what the encoder writes is what the validator takes */
    for (uint32_t c = 1; c < 0x110000; c += 97)
        if (c < 0xd800 || c > 0xdfff) {
            size_t k = sk_utf8_put(b, c);
            assert_int_equal(sk_utf8_len(b, k), k);
        }
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
        {sk_prom_label_escape, "\"\\"},
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

/* The name table (sk_charref_names.h, generated): sorted, so the reader's
 * search by first letter finds every name, each decoded in both contexts;
 * a reference never longer as UTF-8 than as written (sk_html_unref works
 * in place); and the bounds that keep a reference's cost constant: at most
 * 32 bytes of name, at most 24 names under one first letter. */
static void test_charref_table(void **s)
{
    size_t n = sizeof(sk_charref_names) / sizeof(sk_charref_names[0]), bucket = 0;
    unsigned char b[4];

    (void)s;
    assert_true(n > 60);
    for (size_t i = 0; i < n; i++) {
        const char *name = sk_charref_names[i].name;
        size_t len = strlen(name);
        uint32_t cp = 0;

        if (i > 0 && strcmp(sk_charref_names[i - 1].name, name) >= 0)
            fail_msg("'%s' after '%s': not sorted", name, sk_charref_names[i - 1].name);
        bucket = i > 0 && sk_charref_names[i - 1].name[0] == name[0] ? bucket + 1 : 1;
        assert_true(bucket <= 24);
        assert_true(len <= 32);
        if (sk_html_charref((const unsigned char *)name, len, &cp) != len ||
            cp != sk_charref_names[i].cp)
            fail_msg("'&%s' not read as U+%04X", name, (unsigned)sk_charref_names[i].cp);
        cp = 0;
        if (sk_html_charref_text((const unsigned char *)name, len, &cp) != len ||
            cp != sk_charref_names[i].cp)
            fail_msg("'&%s' not read as U+%04X in text", name, (unsigned)sk_charref_names[i].cp);
        assert_true(sk_utf8_put(b, cp) <= len + 1);
    }
}

/* A reference costs the same whatever follows it. Not timing: a named
 * reference is read within 33 bytes however long the text is said to be
 * (a page that cannot be read lies right behind them), and 3 MB of
 * references without ';' ("&amp&amp...", "&ThinSpace&ThinSpace...",
 * "&#&#...", "&&&...") are decoded by sk_html_unref in one pass; then a
 * generous time bound over the lot (a quadratic reader takes minutes). */
static void test_charref_cost(void **s)
{
    static const char *const names[] = {"ThinSpace", "NegativeVeryThinSpace", "nbspx",
                                        "amp",       "ZeroWidthSpace",        "shyshy"};
    static const char *const units[] = {"&amp", "&ThinSpace", "&#", "&", "&#x", "&nbsp"};
    long page = sysconf(_SC_PAGESIZE);
    unsigned char *m =
        mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    size_t big = 3u << 20;
    unsigned char *t = malloc(big + 16);
    clock_t t0 = clock();

    (void)s;
    assert_true(m != MAP_FAILED);
    assert_int_equal(mprotect(m + page, (size_t)page, PROT_NONE), 0);
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        unsigned char *at = m + page - 33;
        uint32_t cp;
        memset(at, 'x', 33);
        memcpy(at, names[i], strlen(names[i]));
        /* N says a megabyte: a reader that looks past its longest name
         * faults on the page behind */
        (void)sk_html_charref(at, 1u << 20, &cp);
        (void)sk_html_charref_text(at, 1u << 20, &cp);
    }
    munmap(m, (size_t)page * 2);
    assert_non_null(t);
    for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
        size_t k = strlen(units[u]), len = 0, out;
        while (len + k <= big)
            memcpy(t + len, units[u], k), len += k;
        out = sk_html_unref(t, len);
        assert_true(out <= len);
        if (u == 0)
            assert_int_equal(out, len / 4); /* every "&amp" is one '&' */
    }
    free(t);
    /* six 3 MB texts: well under a second even with sanitizers */
    if ((double)(clock() - t0) / CLOCKS_PER_SEC > 10.0)
        fail_msg("3 MB of references took %.1f s", (double)(clock() - t0) / CLOCKS_PER_SEC);
}

/* sk_name_ext: a file name's ending, any case, after another character */
static void test_name_ext(void **state)
{
    static const char *const exts[] = {".eml", ".mht", NULL};

    (void)state;
    assert_true(sk_name_ext("a.eml", exts));
    assert_true(sk_name_ext("Mail.MHT", exts));
    assert_false(sk_name_ext(".eml", exts)); /* nothing before it */
    assert_false(sk_name_ext("a.emlx", exts));
    assert_false(sk_name_ext("aeml", exts));
    assert_false(sk_name_ext(NULL, exts));
    assert_false(sk_name_ext("", exts));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_ext),
        cmocka_unit_test(test_size_grammar),
        cmocka_unit_test(test_duration_grammar),
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_fnv1a64),
        cmocka_unit_test(test_text_and_buffer),
        cmocka_unit_test(test_escape_every_ascii),
        cmocka_unit_test(test_html_charref),
        cmocka_unit_test(test_charref_table),
        cmocka_unit_test(test_charref_cost),
        cmocka_unit_test(test_escape_controls),
        cmocka_unit_test(test_cidr),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

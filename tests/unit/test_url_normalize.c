/* test_url_normalize.c - table of URL evasions: every spelling of the same
 * resource must normalise to one canonical string; malformed or overlong
 * input must fail (the caller then applies the failure verdict). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sekisho/url.h>

struct sk_t_norm {
    const char *in;
    int is_connect;
    const char *want; /* canonical string, NULL = must fail */
};

static const struct sk_t_norm sk_t_cases[] = {
    /* dot-segments, plain and escaped */
    {"http://example.com/a/../b", 0, "http://example.com/b"},
    {"http://example.com/a/%2e%2e/b", 0, "http://example.com/b"},
    {"http://example.com/a/%2E%2e/b", 0, "http://example.com/b"},
    {"http://example.com/a/.%2E/b", 0, "http://example.com/b"},
    {"http://example.com/./a/./b/.", 0, "http://example.com/a/b/"},
    {"http://example.com/../../../etc/passwd", 0, "http://example.com/etc/passwd"},
    {"http://example.com/a/b/..", 0, "http://example.com/a/"},
    /* slashes */
    {"http://example.com//a///b", 0, "http://example.com/a/b"},
    {"http://example.com/a//../b", 0, "http://example.com/b"},
    {"http://example.com\\a\\b", 0, "http://example.com/a/b"},
    {"http://example.com", 0, "http://example.com/"},
    /* host case, trailing dot, default port, userinfo */
    {"HTTP://WWW.Example.COM/Path", 0, "http://www.example.com/Path"},
    {"http://example.com./x", 0, "http://example.com/x"},
    {"http://example.com:80/x", 0, "http://example.com/x"},
    {"https://example.com:443/x", 0, "https://example.com/x"},
    {"http://example.com:8080/x", 0, "http://example.com:8080/x"},
    {"http://example.com:/x", 0, "http://example.com/x"},
    {"http://example.com:0080/x", 0, "http://example.com/x"},
    {"http://user:pass@example.com/x", 0, "http://example.com/x"},
    {"http://good.com@evil.com/x", 0, "http://evil.com/x"},
    {"http://a@b@evil.com/", 0, "http://evil.com/"},
    {"http://%65xample.com/", 0, "http://example.com/"},
    /* IPv4 spellings */
    {"http://0x7f.1/", 0, "http://127.0.0.1/"},
    {"http://2130706433/", 0, "http://127.0.0.1/"},
    {"http://0177.0.0.1/", 0, "http://127.0.0.1/"},
    {"http://127.1/", 0, "http://127.0.0.1/"},
    {"http://0x7F000001/", 0, "http://127.0.0.1/"},
    {"http://127.0.0.1./", 0, "http://127.0.0.1/"},
    {"http://0x7f.0.0.0x1/", 0, "http://127.0.0.1/"},
    {"http://10.0.258/", 0, "http://10.0.1.2/"},
    /* IPv6 */
    {"http://[::FFFF:127.0.0.1]/", 0, "http://127.0.0.1/"},
    {"http://[2001:DB8:0:0:0:0:0:1]:8080/x", 0, "http://[2001:db8::1]:8080/x"},
    {"http://[2001:db8::1]:80/", 0, "http://[2001:db8::1]/"},
    /* IPv6 forms that reach an IPv4 address: NAT64 (RFC 6052), compatible */
    {"http://[64:ff9b::cb00:7105]/", 0, "http://203.0.113.5/"},
    {"http://[64:ff9b::203.0.113.5]:8080/", 0, "http://203.0.113.5:8080/"},
    {"http://[::203.0.113.5]/", 0, "http://203.0.113.5/"},
    {"http://[::1]/", 0, "http://[::1]/"},
    {"http://[::]/", 0, "http://[::]/"},
    {"http://[::0.1.2.3]/", 0, "http://[::0.1.2.3]/"}, /* first byte 0: IPv6 */
    {"http://[64:ff9b:1::cb00:7105]/", 0, "http://[64:ff9b:1::cb00:7105]/"},
    /* a last label that is a number: IPv4 when it reads as one, an error
     * when every label is a number, else a DNS name (Squid, curl) */
    {"http://intranet.2024/", 0, "http://intranet.2024/"},
    {"http://build.0x1f/", 0, "http://build.0x1f/"},
    {"http://Host.01./", 0, "http://host.01/"},
    /* IDN */
    {"http://bücher.example/", 0, "http://xn--bcher-kva.example/"},
    {"http://BÜCHER.example/", 0, "http://xn--bcher-kva.example/"},
    {"http://xn--bcher-kva.example/", 0, "http://xn--bcher-kva.example/"},
    {"http://b%C3%BCcher.example/", 0, "http://xn--bcher-kva.example/"},
    /* IDN mapping, then dots: every spelling of a trailing dot */
    {"http://blocked.test\xe3\x80\x82/", 0, "http://blocked.test/"}, /* U+3002 */
    {"http://blocked.test%E3%80%82/", 0, "http://blocked.test/"},
    {"http://blocked.test\xef\xbc\x8e/", 0, "http://blocked.test/"}, /* U+FF0E */
    {"http://blocked.test\xef\xbd\xa1/", 0, "http://blocked.test/"}, /* U+FF61 */
    {"http://blocked.test\xe3\x80\x82./", 0, "http://blocked.test/"},
    {"http://blocked.test..%2e/", 0, "http://blocked.test/"},
    {"http://blocked\xe3\x80\x82test/", 0, "http://blocked.test/"},
    {"http://blocked\xc2\xad.test/", 0, "http://blocked.test/"},     /* soft hyphen */
    {"http://blocked\xe2\x80\x8d.test/", 0, "http://blocked.test/"}, /* ZWJ */
    {"http://\xef\xbd\x82\xef\xbd\x8c\xef\xbd\x8f\xef\xbd\x83\xef\xbd\x8b\xef\xbd\x85"
     "\xef\xbd\x84.test/",
     0, "http://blocked.test/"},                                /* full-width */
    {"http://blocked.te\xc5\xbft/", 0, "http://blocked.test/"}, /* long s */
    {"http://\xef\xbc\x91\xef\xbc\x92\xef\xbc\x97\xe3\x80\x82\xef\xbc\x90\xe3\x80\x82"
     "\xef\xbc\x90\xe3\x80\x82\xef\xbc\x91/",
     0, "http://127.0.0.1/"},          /* full-width IPv4 */
    {"http://\xc2\xad/", 0, NULL},     /* maps to nothing */
    {"http://\xe3\x80\x82/", 0, NULL}, /* maps to "." */
    {"http://\xc2\xad\xe3\x80\x82\xc2\xad/", 0, NULL},
    {"http://blocked.test\xef\xbc\x8f.allowed/", 0, NULL}, /* maps to '/' */
    {"http://allowed\xef\xbc\xa0"
     "blocked.test/",
     0, NULL}, /* maps to '@' */
    {"http://.blocked.test/", 0, NULL},
    {"http://blocked..test/", 0, NULL},
    {"http://blocked\xe3\x80\x82\xe3\x80\x82test/", 0, NULL},
    {"http://1..2/", 0, NULL},
    /* one reading of the authority, or none */
    {"http://allowed#@blocked.test/", 0, NULL},
    {"http://allowed?@blocked.test/", 0, NULL},
    {"http://allowed\\@blocked.test/", 0, NULL},
    {"http://allowed/@blocked.test/", 0, "http://allowed/@blocked.test/"},
    {"http://::1/", 0, NULL},
    /* escapes */
    {"http://example.com/%41%42c", 0, "http://example.com/ABc"},
    {"http://example.com/a%2fb", 0, "http://example.com/a%2Fb"},
    {"http://example.com/a%2Fb", 0, "http://example.com/a%2Fb"},
    {"http://example.com/%7euser", 0, "http://example.com/~user"},
    {"http://example.com/100%", 0, "http://example.com/100%25"},
    {"http://example.com/%zz", 0, "http://example.com/%25zz"},
    {"http://example.com/%252e%252e/x", 0, "http://example.com/%252e%252e/x"},
    {"http://example.com/caf\xc3\xa9", 0, "http://example.com/caf%C3%A9"},
    {"http://example.com/a\"<>", 0, "http://example.com/a%22%3C%3E"},
    /* query kept (escapes normalised), fragment dropped */
    {"http://example.com/p?q=%61b&x=/../y", 0, "http://example.com/p?q=ab&x=/../y"},
    {"http://example.com/p?", 0, "http://example.com/p"}, /* empty query: origins serve /p */
    {"http://example.com/p?#f", 0, "http://example.com/p"},
    {"http://example.com/p??", 0, "http://example.com/p??"},
    {"http://example.com/p#frag", 0, "http://example.com/p"},
    {"http://example.com?q", 0, "http://example.com/?q"},
    /* CONNECT and scheme-less */
    {"Example.COM:443", 1, "https://example.com/"},
    {"example.com:8443", 1, "https://example.com:8443/"},
    {"[::1]:443", 1, "https://[::1]/"},
    {"0x7f.1:443", 1, "https://127.0.0.1/"},
    {"www.example.com/ads", 0, "http://www.example.com/ads"},
    /* malformed: failure verdict */
    {"http://exa mple.com/", 0, NULL},
    {"http://example.com/a\tb", 0, NULL},
    {"http://example.com/a\r\nb", 0, NULL},
    {"http:///path", 0, NULL},
    {"http://example.com:99999/", 0, NULL},
    {"http://example.com:8o/", 0, NULL},
    {"http://[::1/", 0, NULL},
    {"http://[::1%25eth0]/", 0, NULL},
    {"http://256.256.256.256/", 0, NULL},
    {"http://1.2.3.4.5/", 0, NULL},
    {"http://0x1.2.3.4.0x5/", 0, NULL},
    {"http://10.0.0.256/", 0, NULL},
    {"http://0x100000000/", 0, NULL},
    {"http://exa<mple.com/", 0, NULL},
    {"http://example.com%2f.evil.com/", 0, NULL},
    {"/origin/form", 0, NULL},
    {"example.com/x", 1, NULL},
    {"", 0, NULL},
    {"http://.../", 0, NULL},
};

static void sk_t_table(void **state)
{
    size_t fails = 0;

    for (size_t i = 0; i < sizeof(sk_t_cases) / sizeof(sk_t_cases[0]); i++) {
        const struct sk_t_norm *c = &sk_t_cases[i];
        struct sk_url u;
        char *err = NULL;
        int rc = sk_url_normalize(c->in, c->is_connect, &u, &err);

        if (c->want == NULL) {
            if (rc != -1 || err == NULL) {
                fprintf(stderr, "case %zu '%s': want failure, got '%s'\n", i, c->in,
                        rc == 0 ? u.str : "?");
                fails++;
            }
        } else if (rc != 0 || strcmp(u.str, c->want) != 0) {
            fprintf(stderr, "case %zu '%s': want '%s', got '%s'\n", i, c->in, c->want,
                    rc == 0 ? u.str : err);
            fails++;
        }
        free(err);
        sk_url_free(&u);
    }
    assert_int_equal(fails, 0);
}

static void sk_t_parts(void **state)
{
    struct sk_url u;
    char *err = NULL;

    assert_int_equal(
        sk_url_normalize("HTTPS://Bob:pw@WWW.Ex.COM:8443/A/./b%7e?Q=%7E#f", 0, &u, &err), 0);
    assert_string_equal(u.scheme, "https");
    assert_string_equal(u.host, "www.ex.com");
    assert_int_equal(u.host_type, SK_URL_HOST_NAME);
    assert_int_equal(u.port, 8443);
    assert_string_equal(u.path, "/A/b~");
    assert_string_equal(u.query, "Q=~");
    assert_string_equal(sk_url_string(&u), "https://www.ex.com:8443/A/b~?Q=~");
    assert_string_equal(u.rest, "www.ex.com:8443/A/b~?Q=~");
    assert_string_equal(u.folded, "www.ex.com:8443/a/b~?q=~");
    sk_url_free(&u);
    assert_null(u.str);

    assert_int_equal(sk_url_normalize("http://[2001:db8::5]/", 0, &u, &err), 0);
    assert_int_equal(u.host_type, SK_URL_HOST_IPV6);
    assert_string_equal(u.host, "2001:db8::5");
    assert_null(u.query);
    sk_url_free(&u);
}

static void sk_t_overlong(void **state)
{
    size_t n = SK_URL_MAX + 100;
    char *big = malloc(n + 1);
    struct sk_url u;
    char *err = NULL;

    assert_non_null(big);
    memcpy(big, "http://example.com/", 19);
    memset(big + 19, 'a', n - 19);
    big[n] = '\0';
    assert_int_equal(sk_url_normalize(big, 0, &u, &err), -1);
    assert_non_null(strstr(err, "longer"));
    free(err);
    err = NULL;
    /* Exactly at the limit is fine, and expands safely (all escaped). */
    memset(big + 19, '"', SK_URL_MAX - 19);
    big[SK_URL_MAX] = '\0';
    assert_int_equal(sk_url_normalize(big, 0, &u, &err), 0);
    assert_int_equal(strlen(u.path), 1 + 3 * (SK_URL_MAX - 19));
    sk_url_free(&u);
    free(big);
}

static void sk_t_request(void **state)
{
    struct sk_url u;
    char *err = NULL;

    assert_int_equal(sk_url_normalize_request("/a/../b?x", "WWW.Example.com:80", 0, &u, &err), 0);
    assert_string_equal(u.str, "http://www.example.com/b?x");
    sk_url_free(&u);
    assert_int_equal(sk_url_normalize_request("http://x.org/", "ignored", 0, &u, &err), 0);
    assert_string_equal(u.str, "http://x.org/");
    sk_url_free(&u);
    assert_int_equal(sk_url_normalize_request("x.org:443", NULL, 1, &u, &err), 0);
    assert_string_equal(u.str, "https://x.org/");
    sk_url_free(&u);
    assert_int_equal(sk_url_normalize_request("/a", NULL, 0, &u, &err), -1);
    free(err);
    err = NULL;
    assert_int_equal(sk_url_normalize_request("/a", "evil.com/x", 0, &u, &err), -1);
    free(err);
}

static void sk_t_host_alone(void **state)
{
    char out[256];
    char *err = NULL;

    assert_int_equal(sk_url_host_normalize("[2001:DB8::1]", 13, out, sizeof(out), &err),
                     SK_URL_HOST_IPV6);
    assert_string_equal(out, "2001:db8::1");
    assert_int_equal(sk_url_host_normalize("2001:DB8::1", 11, out, sizeof(out), &err),
                     SK_URL_HOST_IPV6);
    assert_int_equal(sk_url_host_normalize("Ex.COM.", 7, out, sizeof(out), &err), SK_URL_HOST_NAME);
    assert_string_equal(out, "ex.com");
    assert_int_equal(sk_url_host_normalize("017700000001", 12, out, sizeof(out), &err),
                     SK_URL_HOST_IPV4);
    assert_string_equal(out, "127.0.0.1");
    assert_int_equal(sk_url_host_normalize("a\xe3\x80\x82", 4, out, sizeof(out), &err),
                     SK_URL_HOST_NAME);
    assert_string_equal(out, "a");
    assert_int_equal(sk_url_host_normalize("\xc2\xad", 2, out, sizeof(out), &err), -1);
    assert_non_null(strstr(err, "empty host"));
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sk_t_table),      cmocka_unit_test(sk_t_parts),
        cmocka_unit_test(sk_t_overlong),   cmocka_unit_test(sk_t_request),
        cmocka_unit_test(sk_t_host_alone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_headers.c - handling of client-controlled header data: X-Client-IP
 * and X-Authenticated-User decoding, ICAP header lines modules may add,
 * JSON/HTML escaping for the access log and the block page. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "sk_accesslog.h"
#include "sk_ident.h"
#include "sk_page.h"
#include "sekisho/text.h"
#include "sk_txn.h"

static void test_client_ip(void **s)
{
    static const struct {
        const char *in;
        int rc;
        const char *out;
    } cases[] = {
        {"192.0.2.7", 0, "192.0.2.7"},
        {"  10.1.2.3", 0, "10.1.2.3"},
        {"2001:db8::1", 0, "2001:db8::1"},
        {"::ffff:10.0.0.1", 0, "::ffff:10.0.0.1"},
        {"10.0.0.1\r\nX-Evil: 1", 0, "10.0.0.1"},
        {"<script>", -1, ""},
        {"10.0.0.1;rm", -1, ""},
        {"", -1, ""},
        {NULL, -1, ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[64];
        assert_int_equal(sk_ident_client_ip(cases[i].in, out, sizeof(out)), cases[i].rc);
        assert_string_equal(out, cases[i].out);
    }
}

static void test_user(void **s)
{
    static const struct {
        const char *in;
        const char *out;
    } cases[] = {
        {"YWxpY2U=", "alice"},                            /* Squid: base64 */
        {"V2luTlQ6Ly9FWEFNUExFL2JvYg==", "EXAMPLE\\bob"}, /* ProxySG WinNT:// */
        {"WinNT://CORP/carol", "CORP\\carol"},            /* plain WinNT form */
        {"CORP\\dave", "CORP\\dave"},                     /* DOMAIN\user */
        {"alice", "alice"},                               /* plain, not base64 */
        {"Basic ZXZl", "eve"},
        {"bWFsAWNl", "bWFsAWNl"}, /* decodes to control bytes: kept raw */
        {"a\x01"
         "b",
         "ab"}, /* control characters dropped */
        {"", ""},
        {NULL, ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[128];
        sk_ident_user(cases[i].in, SK_USER_AUTO, out, sizeof(out));
        assert_string_equal(out, cases[i].out);
    }
}

static void test_icap_header_lines(void **s)
{
    struct sk_txn t;

    assert_int_equal(sk_txn_init(&t, SK_RESPMOD, "GET", "http://x/", "", "", ""), 0);
    assert_int_equal(sk_txn_add_icap_header(&t, "X-Virus-ID: Eicar-Test-Signature"), 0);
    assert_int_equal(sk_txn_add_icap_header(&t, "X-Virus-ID: a\r\nX-Injected: 1"), -1);
    assert_int_equal(sk_txn_add_icap_header(&t, "X-Virus-ID: tab\there"), -1);
    assert_int_equal(sk_txn_add_icap_header(&t, "No colon"), -1);
    assert_int_equal(sk_txn_add_icap_header(&t, ": empty name"), -1);
    assert_int_equal(sk_txn_add_icap_header(&t, "Bad Name: x"), -1);
    assert_int_equal(t.n_icap_headers, 1);
    assert_int_equal(sk_txn_set_page(&t, 99, NULL, "x", 1), -1);
    assert_int_equal(sk_txn_set_page(&t, 403, NULL, "page", 4), 0);
    assert_string_equal(t.page.body, "page");
    sk_txn_clear(&t);
}

static void test_json_escape(void **s)
{
    struct sk_buf b = {0};

    sk_json_escape(&b, "a\"b\\c\n\x01\x7f", 100);
    assert_string_equal(b.data, "a\\\"b\\\\c\\n\\u0001\\u007f");
    sk_buf_free(&b);
    sk_json_escape(&b, "\xe9t\xc3\xa9", 100); /* latin-1 byte, then valid UTF-8 */
    assert_string_equal(b.data, "\\ufffdt\xc3\xa9");
    sk_buf_free(&b);
    sk_json_escape(&b, "\xed\xa0\x80", 100); /* UTF-8 encoded surrogate */
    assert_string_equal(b.data, "\\ufffd\\ufffd\\ufffd");
    sk_buf_free(&b);
    sk_json_escape(&b, "abcdef", 3);
    assert_string_equal(b.data, "abc...");
    sk_buf_free(&b);
}

static void test_html_escape(void **s)
{
    struct sk_buf b = {0};

    sk_html_escape(&b, "<script>alert('x')</script>&\"\r\n", 1000);
    assert_string_equal(b.data, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"
                                "\xef\xbf\xbd\xef\xbf\xbd"); /* CR LF shown, never raw */
    sk_buf_free(&b);
}

static void test_block_page_escapes_everything(void **s)
{
    struct sk_buf b = {0};
    struct sk_page_info info = {
        .url = "http://x/<script>alert(1)</script>\r\nSet-Cookie: a=b",
        .reason = "<b>r</b>",
        .rule = "\"rule\"",
        .module = "test_block",
        .client = "10.0.0.1",
        .txn = "abc-1",
    };

    sk_page_render(&b, &info);
    assert_null(strstr(b.data, "<script>"));
    assert_null(strstr(b.data, "<b>r"));
    assert_null(strstr(b.data, "\r"));
    assert_non_null(strstr(
        b.data, "&lt;script&gt;alert(1)&lt;/script&gt;\xef\xbf\xbd\xef\xbf\xbdSet-Cookie: a=b"));
    assert_non_null(strstr(b.data, "&quot;rule&quot;"));
    assert_non_null(strstr(b.data, "abc-1"));
    sk_buf_free(&b);
}

static void test_access_log_line(void **s)
{
    struct sk_buf b = {0};
    struct sk_log_record r = {
        .txn = "t1",
        .service = "reqmod",
        .icap_method = "REQMOD",
        .client = "10.0.0.1",
        .user = "CORP\\bob",
        .method = "GET",
        .url = "http://x/\"q\"\n",
        .icap_status = 200,
        .verdict = "block",
        .module = "test_block",
        .rule = "test-url",
        .bytes_in = 10,
        .bytes_out = 20,
        .duration_ms = 1.5,
    };

    sk_accesslog_format(&b, &r);
    assert_int_equal(b.data[b.len - 1], '\n');
    assert_null(memchr(b.data, '\n', b.len - 1)); /* one line */
    assert_non_null(strstr(b.data, "\"url\":\"http://x/\\\"q\\\"\\n\""));
    assert_non_null(strstr(b.data, "\"user\":\"CORP\\\\bob\""));
    assert_non_null(strstr(b.data, "\"icap_status\":200"));
    assert_non_null(strstr(b.data, "\"verdict\":\"block\""));
    assert_non_null(strstr(b.data, "\"bytes_out\":20"));
    assert_true(b.data[0] == '{' && b.data[b.len - 2] == '}');
    assert_null(strstr(b.data, "detections"));
    sk_buf_free(&b);

    struct sk_detection d[2] = {
        {.kind = "virus", .name = "Eicar-Test", .detail = NULL},
        {.kind = "dlp", .name = "cards \"x\"", .detail = "credit-card x2: 4111 **** **** 1111"},
    };
    r.detections = d;
    r.n_detections = 2;
    sk_accesslog_format(&b, &r);
    assert_non_null(strstr(b.data, ",\"detections\":[{\"kind\":\"virus\",\"name\":\"Eicar-Test\"},"
                                   "{\"kind\":\"dlp\",\"name\":\"cards \\\"x\\\"\","
                                   "\"detail\":\"credit-card x2: 4111 **** **** 1111\"}]"));
    sk_buf_free(&b);
}

static size_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (size_t)st.st_size : 0;
}

static void test_access_log_batching(void **s)
{
    char dir[] = "/tmp/sk-test-log-XXXXXX", path[64];
    char *err = NULL;
    struct sk_log_record r = {.txn = "t", .url = "http://x/", .verdict = "allow"};
    size_t one;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/access.log", dir);
    assert_int_equal(sk_accesslog_open(path, &err), 0);

    sk_accesslog_write(&r); /* write-through by default */
    one = file_size(path);
    assert_true(one > 0);

    sk_accesslog_batching(1);
    usleep(3000);
    sk_accesslog_write(&r); /* > 2 ms since the last write: still written at once */
    assert_int_equal(file_size(path), 2 * one);
    /* a burst: lines are gathered (seen as a file shorter than what was
     * logged), and a flush writes every one of them, whole */
    size_t logged = 2;
    int gathered = 0;
    while (!gathered && logged < 1000) {
        sk_accesslog_write(&r);
        logged++;
        gathered = file_size(path) < logged * one;
    }
    assert_true(gathered);
    sk_accesslog_flush();
    assert_int_equal(file_size(path), logged * one);
    for (int i = 0; i < 200; i++) /* 32 KiB batches go out without a flush */
        sk_accesslog_write(&r);
    logged += 200;
    assert_true(file_size(path) >= logged * one - 32768);
    sk_accesslog_batching(0); /* turning it off writes the rest */
    assert_int_equal(file_size(path), logged * one);
    sk_accesslog_close();
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_ip),
        cmocka_unit_test(test_user),
        cmocka_unit_test(test_icap_header_lines),
        cmocka_unit_test(test_json_escape),
        cmocka_unit_test(test_html_escape),
        cmocka_unit_test(test_block_page_escapes_everything),
        cmocka_unit_test(test_access_log_line),
        cmocka_unit_test(test_access_log_batching),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

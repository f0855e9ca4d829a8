/* test_accesslog.c - the JSON-lines access log when its file cannot take a
 * whole write. A file-size limit (RLIMIT_FSIZE with SIGXFSZ ignored) cuts
 * write(2) short and then fails it with EFBIG, as a full disk does with
 * ENOSPC, without root or a mount (tests/hostile/test_ops.py does the
 * full-disk version through the daemon). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sk_accesslog.h"

static int sk_t_msgs;
static char sk_t_msg[1024];

static void sk_t_log(int level, const char *fmt, ...)
{
    va_list ap;

    (void)level;
    va_start(ap, fmt);
    vsnprintf(sk_t_msg, sizeof(sk_t_msg), fmt, ap);
    va_end(ap);
    sk_t_msgs++;
}

static void sk_t_write(int n)
{
    const struct sk_log_record r = {
        .txn = "t1",
        .service = "reqmod",
        .icap_method = "REQMOD",
        .client = "127.0.0.1",
        .user = "",
        .method = "GET",
        .url = "http://example.test/",
        .icap_status = 204,
        .verdict = "allow",
        .module = "",
        .rule = "",
        .duration_ms = 1.0,
    };

    for (int i = 0; i < n; i++)
        sk_accesslog_write(&r);
}

static off_t sk_t_size(const char *path)
{
    struct stat st;

    assert_int_equal(stat(path, &st), 0);
    return st.st_size;
}

static void sk_t_limit(rlim_t bytes)
{
    struct rlimit rl;

    assert_int_equal(getrlimit(RLIMIT_FSIZE, &rl), 0);
    rl.rlim_cur = bytes;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

/* Every line of path is one whole record, "{...}\n" and nothing else;
 * counts transaction lines and sums the lost_lines of lost-line records. */
static void sk_t_check_lines(const char *path, int *txns, long *lost)
{
    FILE *f = fopen(path, "rb");
    char *data;
    long len;

    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    rewind(f);
    data = calloc(1, (size_t)len + 1);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *txns = 0;
    *lost = 0;
    for (char *p = data, *nl; *p; p = nl + 1) {
        nl = strchr(p, '\n');
        assert_non_null(nl); /* the file ends with a newline */
        *nl = '\0';
        assert_true(p[0] == '{' && nl[-1] == '}');
        assert_null(strstr(p + 1, "{\"time\"")); /* no cut line glued to the next */
        if (strstr(p, "\"txn\":\"t1\""))
            (*txns)++;
        else if (strstr(p, "\"event\":\"access_log_lost\",\"lost_lines\":"))
            *lost += strtol(strstr(p, "\"lost_lines\":") + 13, NULL, 10);
        else
            fail_msg("unexpected line %s", p);
    }
    free(data);
}

static void test_short_writes_leave_whole_lines(void **state)
{
    char path[] = "/tmp/sk-test-alog-XXXXXX";
    char *err = NULL;
    off_t three, line;
    int fd, txns;
    long lost;

    (void)state;
    signal(SIGXFSZ, SIG_IGN);
    assert_int_not_equal(fd = mkstemp(path), -1);
    close(fd);
    sk_accesslog_set_msg(sk_t_log);
    assert_int_equal(sk_accesslog_open(path, &err), 0);

    sk_t_write(3); /* write-through: no flusher, no batching */
    three = sk_t_size(path);
    line = three / 3;
    assert_int_equal(three, line * 3);

    /* room for two and a half more lines: the third is cut short and
     * taken back; later lines are lost (the lost-line record fits once) */
    sk_t_limit((rlim_t)(three + 2 * line + line / 2));
    sk_t_write(5);
    sk_t_check_lines(path, &txns, &lost);
    assert_int_equal(txns, 5);
    assert_int_equal(sk_t_msgs, 1);
    assert_non_null(strstr(sk_t_msg, "cannot write, 1 line(s) lost so far"));
    assert_non_null(strstr(sk_t_msg, path));
    sk_t_write(10);
    assert_int_equal(sk_t_msgs, 1); /* rate-limited: still one message */

    sk_t_limit(RLIM_INFINITY);
    sk_t_write(1);
    assert_int_equal(sk_t_msgs, 2);
    assert_non_null(strstr(sk_t_msg, "writing again; 13 line(s) were lost"));
    sk_t_check_lines(path, &txns, &lost);
    assert_int_equal(txns, 6);
    assert_int_equal(lost, 13); /* written + recorded as lost = 19 sent */

    /* writing works: no more records or messages */
    sk_t_write(2);
    sk_t_check_lines(path, &txns, &lost);
    assert_int_equal(txns, 8);
    assert_int_equal(lost, 13);
    assert_int_equal(sk_t_msgs, 2);

    /* a second outage is reported at once, not after the rate limit */
    sk_t_limit((rlim_t)sk_t_size(path) + 10);
    sk_t_write(1);
    assert_int_equal(sk_t_msgs, 3);
    assert_non_null(strstr(sk_t_msg, "cannot write, 1 line(s) lost so far"));
    sk_t_limit(RLIM_INFINITY);
    sk_accesslog_close();
    unlink(path);
}

/* sha256 is logged with a detection only, after threat; escaped like
 * every field. */
static void test_sha256_with_detections_only(void **state)
{
    static const char hex[] = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f";
    struct sk_detection d = {.kind = "virus", .name = "Eicar-Test-Signature"};
    struct sk_log_record r = {
        .txn = "t1",
        .verdict = "block",
        .url = "http://x.test/",
        .sha256 = hex,
        .filename = "a\"b.exe",
    };
    struct sk_buf b = {0};

    (void)state;
    sk_accesslog_format(&b, &r);
    assert_false(b.failed);
    assert_null(strstr(b.data, "sha256")); /* no detection: no hash */
    b.len = 0;
    b.data[0] = '\0';
    r.detections = &d;
    r.n_detections = 1;
    sk_accesslog_format(&b, &r);
    assert_false(b.failed);
    assert_non_null(strstr(b.data, ",\"threat\":\"Eicar-Test-Signature\",\"sha256\":\"275a021b"));
    assert_non_null(strstr(b.data, "\"filename\":\"a\\\"b.exe\""));
    sk_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_short_writes_leave_whole_lines),
        cmocka_unit_test(test_sha256_with_detections_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

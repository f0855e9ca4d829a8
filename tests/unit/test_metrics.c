/* test_metrics.c - the node-wide metrics segment (sk_metrics.c) with real
 * processes: counts of a child that dies without giving its slot back
 * stay, its slot is reused, a master's reconfigure keeps the counts; and the syslog writer
 * (sk_syslog.c): RFC 5424 header, facility/severity, unknown facility refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sk_metrics.h"
#include "sk_syslog.h"

static char sk_tm_dir[] = "/tmp/sekisho-test-metrics.XXXXXX";
static char sk_tm_path[256];

static struct sk_metrics_shm *sk_tm_map(void)
{
    FILE *f = fopen(sk_tm_path, "r");
    void *p;

    assert_non_null(f);
    p = mmap(NULL, sizeof(struct sk_metrics_shm), PROT_READ, MAP_SHARED, fileno(f), 0);
    fclose(f);
    assert_true(p != MAP_FAILED);
    return p;
}

static void sk_tm_txns(int n, const char *verdict, const char *kind)
{
    struct sk_detection d = {.kind = (char *)kind, .name = (char *)"x"};
    struct sk_log_record rec = {.icap_method = "RESPMOD",
                                .verdict = verdict,
                                .bytes_in = 10,
                                .detections = &d,
                                .n_detections = kind ? 1 : 0,
                                .duration_ms = 2.0};

    for (int i = 0; i < n; i++)
        sk_metrics_txn(&rec, NULL);
}

/* A child counts and dies (SIGKILL, no stop): its counts stay, and the
 * next child gets its slot back. */
static void test_child_death(void **state)
{
    struct sk_metrics_shm *m;
    int32_t dead = 0;
    char *err = NULL;
    pid_t pid;
    int st;

    (void)state;
    snprintf(sk_tm_path, sizeof(sk_tm_path), "%s/metrics", sk_tm_dir);
    assert_int_equal(sk_metrics_open(sk_tm_path, &err), 0);
    m = sk_tm_map();
    for (int round = 0; round < 2; round++) {
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            sk_metrics_child_start();
            sk_metrics_busy(1); /* dies inside a transaction */
            sk_tm_txns(5, "block", "virus");
            kill(getpid(), SIGKILL);
        }
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFSIGNALED(st));
        if (round == 0)
            dead = m->child[0].pid;
    }
    /* the second child took slot 0 back: the first one's pid was gone */
    assert_int_not_equal(dead, 0);
    assert_int_not_equal(m->child[0].pid, 0);
    assert_int_not_equal(m->child[0].pid, dead);
    assert_int_equal(m->child[1].pid, 0);
    /* both children counted in slot 0: the second went on from the first's
     * counts (5 + 5), nothing reset, nothing in the overflow */
    const struct sk_metrics_counts *k = &m->child[0].counts;
    assert_int_equal(k->txn[1][SK_MV_BLOCK][0], 10);
    assert_int_equal(k->detections[SK_MK_VIRUS], 10);
    assert_int_equal(k->bytes_in, 100);
    assert_int_equal(k->txn_duration[1].count, 10);
    /* 2 ms falls in the 0.0025 s bucket (index 4) */
    assert_int_equal(k->txn_duration[1].bucket[4], 10);
    assert_int_equal(m->overflow.txn[1][SK_MV_BLOCK][0], 0);
    /* a process without a slot (the master here) counts in the overflow */
    sk_tm_txns(3, "allow", NULL);
    assert_int_equal(m->overflow.txn[1][SK_MV_ALLOW][0], 3);
    munmap(m, sizeof(*m));
}

/* The same master opening again (c-icap reconfigure reloads the service)
 * keeps the counts. */
static void test_reopen(void **state)
{
    struct sk_metrics_shm *m;
    char *err = NULL;

    (void)state;
    assert_int_equal(sk_metrics_open(sk_tm_path, &err), 0);
    m = sk_tm_map();
    assert_int_equal(m->child[0].counts.txn[1][SK_MV_BLOCK][0], 10);
    assert_int_equal(m->master_pid, (int32_t)getpid());
    assert_int_equal(m->magic, SK_METRICS_MAGIC);
    munmap(m, sizeof(*m));
}

static void test_syslog(void **state)
{
    char sock[300], buf[2048], *err = NULL;
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    ssize_t n;

    (void)state;
    snprintf(sock, sizeof(sock), "%s/log.sock", sk_tm_dir);
    memcpy(a.sun_path, sock, strlen(sock) + 1);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_true(sk_syslog_is_spec("syslog") && sk_syslog_is_spec("syslog:local3"));
    assert_false(sk_syslog_is_spec("syslogx") || sk_syslog_is_spec("/var/log/syslog"));
    assert_int_equal(sk_syslog_open("syslog:nosuch", sock, &err), -1);
    assert_non_null(strstr(err, "unknown syslog facility"));
    free(err);
    err = NULL;
    assert_int_equal(sk_syslog_open("syslog:LOCAL3", sock, &err), 0);
    sk_syslog_send(4, "{\"a\":1}\n", 8);
    n = recv(fd, buf, sizeof(buf) - 1, 0);
    assert_true(n > 0);
    buf[n] = '\0';
    /* <19*8+4>1 TIMESTAMP HOST sekisho PID access - MSG, no newline */
    assert_memory_equal(buf, "<156>1 ", 7);
    assert_non_null(strstr(buf, " sekisho "));
    assert_non_null(strstr(buf, " access - {\"a\":1}"));
    assert_true(buf[n - 1] == '}');
    sk_syslog_close();
    close(fd);
    /* no daemon listening: a clear start-up error */
    unlink(sock);
    assert_int_equal(sk_syslog_open("syslog", sock, &err), -1);
    assert_non_null(strstr(err, "syslog socket"));
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_child_death),
        cmocka_unit_test(test_reopen),
        cmocka_unit_test(test_syslog),
    };
    int rc;

    if (!mkdtemp(sk_tm_dir))
        return 1;
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    unlink(sk_tm_path);
    rmdir(sk_tm_dir);
    return rc;
}

/* test_vs_slots.c - virus_scan's heavy-scan slots and per-client cap
 * (vs_slots.c) on a real lock file: the default cap, the bucket of an
 * address (IPv4-mapped, IPv6 /64, keyed), the cap count beside the node's
 * slots, a client over its cap waiting without a slot, another client
 * served first when one frees, and release on close() and on SIGKILL of
 * a forked holder. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "virus_scan_fixture.h"

static double sk_t_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void open_slots(struct sk_vs_slots *s, unsigned heavy, unsigned cap)
{
    char *err = NULL;

    if (sk_vs_slots_open(s, tmpdir, heavy, cap, &err) == -1)
        fail_msg("sk_vs_slots_open: %s", err ? err : "?");
}

static void test_cap_default(void **st)
{
    static const struct {
        unsigned asked, heavy, want;
    } cases[] = {
        {0, 1, 1}, {0, 2, 1}, {0, 3, 1}, {0, 4, 2}, {0, 7, 3}, {0, 16, 8}, /* half, at least 1 */
        {1, 4, 1}, {3, 4, 3}, {4, 4, 4},                                   /* as asked */
        {5, 4, 4}, {9, 1, 1}, /* never above the slots */
    };

    (void)st;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (sk_vs_cap_resolve(cases[i].asked, cases[i].heavy) != cases[i].want)
            fail_msg("cap(%u of %u) = %u, want %u", cases[i].asked, cases[i].heavy,
                     sk_vs_cap_resolve(cases[i].asked, cases[i].heavy), cases[i].want);
}

static void test_bucket(void **st)
{
    struct sk_vs_slots s;
    static unsigned seen[SK_VS_CAP_BUCKETS / 32];
    unsigned distinct = 0, moved = 0;
    char ip[64];

    (void)st;
    open_slots(&s, 2, 1);
    /* one client however the proxy spells it */
    assert_int_equal(sk_vs_slots_bucket(&s, "10.1.2.3"), sk_vs_slots_bucket(&s, "::ffff:10.1.2.3"));
    assert_int_equal(sk_vs_slots_bucket(&s, "2001:db8:0:7::1"),
                     sk_vs_slots_bucket(&s, "2001:db8::7:0:0:0:1"));
    /* an IPv6 host is its /64: any address in it is the same client */
    assert_int_equal(sk_vs_slots_bucket(&s, "2001:db8:0:7::1"),
                     sk_vs_slots_bucket(&s, "2001:db8:0:7:a8c3:11ff:fe00:42"));
    assert_int_equal(sk_vs_slots_bucket(&s, NULL), sk_vs_slots_bucket(&s, ""));
    /* different addresses, different /64s: almost never one bucket (about
     * 8 collisions expected among 1,000 in 65,536 buckets) */
    memset(seen, 0, sizeof(seen));
    for (unsigned i = 0; i < 1000; i++) {
        snprintf(ip, sizeof(ip), i % 2 ? "10.0.%u.%u" : "2001:db8:%x:%x::1", i / 256, i % 256);
        unsigned b = sk_vs_slots_bucket(&s, ip);
        assert_true(b < SK_VS_CAP_BUCKETS);
        if (!(seen[b / 32] & (1u << (b % 32))))
            distinct++;
        seen[b / 32] |= 1u << (b % 32);
    }
    if (distinct < 980)
        fail_msg("1000 clients in %u buckets", distinct);
    /* keyed: another node start puts them elsewhere (not guessable) */
    struct sk_vs_slots o = s;
    o.key[0] ^= 1;
    for (unsigned i = 0; i < 100; i++) {
        snprintf(ip, sizeof(ip), "192.0.2.%u", i);
        moved += sk_vs_slots_bucket(&s, ip) != sk_vs_slots_bucket(&o, ip);
    }
    assert_true(moved > 90);
    sk_vs_slots_close(&s);
    assert_int_equal(s.fd, -1);
}

/* How many of the node's slot bytes are locked by someone else than FD. */
static unsigned slots_held(const struct sk_vs_slots *s)
{
    char path[64];
    unsigned n = 0;
    int fd;

    snprintf(path, sizeof(path), "/proc/self/fd/%d", s->fd);
    fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    for (unsigned i = 0; i < s->max_heavy; i++) {
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = i, .l_len = 1};
        assert_int_equal(fcntl(fd, F_OFD_GETLK, &fl), 0);
        n += fl.l_type != F_UNLCK;
    }
    close(fd);
    return n;
}

static void test_cap_count(void **st)
{
    struct sk_vs_slots s;
    int a1, a2, b, c;

    (void)st;
    open_slots(&s, 4, 2);
    a1 = sk_vs_slots_take(&s, "10.0.0.1", 0);
    a2 = sk_vs_slots_take(&s, "10.0.0.1", 0);
    assert_true(a1 >= 0 && a2 >= 0);
    assert_int_equal(slots_held(&s), 2);
    /* A is at its cap of 2 while two slots are free */
    assert_int_equal(sk_vs_slots_take(&s, "10.0.0.1", 0), SK_VS_SLOT_CAPPED);
    assert_int_equal(sk_vs_slots_take(&s, "::ffff:10.0.0.1", 0), SK_VS_SLOT_CAPPED);
    assert_int_equal(slots_held(&s), 2); /* the refused take holds nothing */
    /* other clients get the rest; then the node is full for everyone */
    b = sk_vs_slots_take(&s, "10.0.0.2", 0);
    c = sk_vs_slots_take(&s, "10.0.0.3", 0);
    assert_true(b >= 0 && c >= 0);
    assert_int_equal(slots_held(&s), 4);
    assert_int_equal(sk_vs_slots_take(&s, "10.0.0.4", 0), SK_VS_SLOT_BUSY);
    /* close() gives back A's byte and the slot */
    close(a1);
    assert_int_equal(slots_held(&s), 3);
    a1 = sk_vs_slots_take(&s, "10.0.0.1", 0);
    assert_true(a1 >= 0);
    close(a1), close(a2), close(b), close(c);
    assert_int_equal(slots_held(&s), 0);
    /* no lock file (it cannot be reopened): not gated */
    struct sk_vs_slots none = s;
    none.fd = 1000000;
    assert_int_equal(sk_vs_slots_take(&none, "10.0.0.1", 0), SK_VS_SLOT_NOGATE);
    sk_vs_slots_close(&s);
}

struct taker {
    const struct sk_vs_slots *s;
    const char *client;
    unsigned wait_ms;
    int got;
    double at; /* when it returned */
};

static void *taker_run(void *arg)
{
    struct taker *t = arg;

    t->got = sk_vs_slots_take(t->s, t->client, t->wait_ms);
    t->at = sk_t_now();
    return NULL;
}

/* A client over its cap waits without a slot: another client still gets
 * the last free one; the waiter gives up at its deadline as CAPPED. */
static void test_over_cap_waits_without_slot(void **st)
{
    struct sk_vs_slots s;
    struct taker w = {.client = "10.0.0.1", .wait_ms = 400};
    pthread_t th;
    int a, b;
    double t0;

    (void)st;
    open_slots(&s, 2, 1);
    w.s = &s;
    a = sk_vs_slots_take(&s, "10.0.0.1", 0);
    assert_true(a >= 0);
    t0 = sk_t_now();
    assert_int_equal(pthread_create(&th, NULL, taker_run, &w), 0);
    usleep(100000);
    assert_int_equal(slots_held(&s), 1);
    b = sk_vs_slots_take(&s, "10.0.0.2", 0);
    assert_true(b >= 0);
    pthread_join(th, NULL);
    assert_int_equal(w.got, SK_VS_SLOT_CAPPED);
    assert_true(w.at - t0 >= 0.39);
    close(a), close(b);
    sk_vs_slots_close(&s);
}

/* One slot, client A holding it with another of A's scans waiting for
 * A's cap, client B waiting for the slot: when A's scan ends, B's scan
 * runs next, and A's waiter after it. */
static void test_other_client_first(void **st)
{
    struct sk_vs_slots s;
    struct taker a2 = {.client = "10.0.0.1", .wait_ms = 5000},
                 b = {.client = "10.0.0.2", .wait_ms = 5000};
    pthread_t ta, tb;
    int a1;

    (void)st;
    open_slots(&s, 1, 1);
    a2.s = b.s = &s;
    for (int round = 0; round < 5; round++) {
        a1 = sk_vs_slots_take(&s, "10.0.0.1", 0);
        assert_true(a1 >= 0);
        a2.got = b.got = -100;
        assert_int_equal(pthread_create(&ta, NULL, taker_run, &a2), 0);
        assert_int_equal(pthread_create(&tb, NULL, taker_run, &b), 0);
        usleep(100000);
        close(a1); /* A's scan ends: its byte and the slot free at once */
        pthread_join(tb, NULL);
        if (b.got < 0)
            fail_msg("round %d: B got %d", round, b.got);
        usleep(100000);
        assert_int_equal(a2.got, -100); /* still waiting: B has the slot */
        close(b.got);
        pthread_join(ta, NULL);
        assert_true(a2.got >= 0);
        assert_true(a2.at > b.at);
        close(a2.got);
    }
    sk_vs_slots_close(&s);
}

/* A child killed by SIGKILL while it holds A's byte and the slot: both
 * come back with its death (the kernel closes its descriptions). */
static void test_release_on_kill(void **st)
{
    struct sk_vs_slots s;
    int p[2], fd;
    char c;
    pid_t pid;

    (void)st;
    open_slots(&s, 1, 1);
    assert_int_equal(pipe(p), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        fd = sk_vs_slots_take(&s, "10.0.0.1", 0);
        c = fd >= 0 ? 'y' : 'n';
        if (write(p[1], &c, 1) != 1)
            _exit(1);
        for (;;)
            pause(); /* mid-scan */
    }
    close(p[1]);
    assert_int_equal(read(p[0], &c, 1), 1);
    assert_int_equal(c, 'y');
    close(p[0]);
    assert_int_equal(sk_vs_slots_take(&s, "10.0.0.1", 0), SK_VS_SLOT_CAPPED);
    assert_int_equal(sk_vs_slots_take(&s, "10.0.0.2", 0), SK_VS_SLOT_BUSY);
    assert_int_equal(kill(pid, SIGKILL), 0);
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    fd = sk_vs_slots_take(&s, "10.0.0.1", 0);
    assert_true(fd >= 0);
    close(fd);
    sk_vs_slots_close(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cap_default),
        cmocka_unit_test(test_bucket),
        cmocka_unit_test(test_cap_count),
        cmocka_unit_test(test_over_cap_waits_without_slot),
        cmocka_unit_test(test_other_client_first),
        cmocka_unit_test(test_release_on_kill),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

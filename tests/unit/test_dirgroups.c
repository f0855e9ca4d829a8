/* test_dirgroups.c - directory groups without a directory: the nested-group
 * walk (depth and size bounds, cycles, errors) over a fake directory, DN ->
 * group name, SipHash against OpenSSL's, and the node-wide membership
 * cache (fresh/stale, fill and eviction, bounds, threads, two processes
 * sharing it across fork, the robust lock after a holder died). The LDAP path itself is tested
 * against a real slapd in tests/integration/test_directory.py. */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sekisho/directory.h>

#include "sekisho/text.h"
#include "sk_dirgroups.h"

/* A fake directory: edges "child -> parent" (child is a member of parent). */
struct fake_edge {
    const char *child, *parent;
};
struct fake_dir {
    const struct fake_edge *edges;
    size_t n;
    int calls;
    const char *fail_on; /* this DN's lookup fails */
    int chain;           /* > 0: "g<i>" is in "g<i+1>" up to g<chain> */
    int fanout;          /* > 0: the user is in f0 .. f<fanout-1> */
};

static int fake_parents(void *ctx, const char *dn, struct sk_dir_dns *out, char **err)
{
    struct fake_dir *d = ctx;
    char buf[32];

    d->calls++;
    if (d->fail_on != NULL && strcmp(dn, d->fail_on) == 0) {
        *err = strdup("fake: server gone");
        return -1;
    }
    for (size_t i = 0; i < d->n; i++)
        if (strcasecmp(d->edges[i].child, dn) == 0)
            assert_int_not_equal(sk_dir_dns_add(out, d->edges[i].parent), -1);
    if (d->chain > 0 && dn[0] == 'g' && atoi(dn + 1) < d->chain) {
        snprintf(buf, sizeof(buf), "g%d", atoi(dn + 1) + 1);
        sk_dir_dns_add(out, buf);
    }
    if (d->fanout > 0 && strcmp(dn, "user") == 0)
        for (int i = 0; i < d->fanout; i++) {
            snprintf(buf, sizeof(buf), "f%d", i);
            sk_dir_dns_add(out, buf);
        }
    return 0;
}

static int has(const struct sk_dir_dns *s, const char *dn)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcasecmp(s->v[i], dn) == 0)
            return 1;
    return 0;
}

static void test_nest_levels_and_cycle(void **st)
{
    static const struct fake_edge e[] = {
        {"user", "cn=Eng"},        {"cn=Eng", "cn=RnD"},     {"cn=RnD", "cn=AllStaff"},
        {"user", "cn=Loop1"},      {"cn=Loop1", "cn=Loop2"}, {"cn=Loop2", "CN=LOOP1"},
        {"cn=Eng", "cn=AllStaff"}, /* reached twice: listed once */
    };
    struct fake_dir d = {.edges = e, .n = sizeof(e) / sizeof(e[0])};
    struct sk_dir_dns g = {0};
    char *err = NULL;

    (void)st;
    sk_dir_dns_add(&g, "user");
    assert_int_equal(sk_dir_nest(&g, fake_parents, &d, &err), 0);
    assert_int_equal(g.n, 6); /* user + 5 groups, each once */
    assert_true(has(&g, "cn=AllStaff") && has(&g, "cn=RnD") && has(&g, "cn=Loop2"));
    /* every DN asked about once: the cycle ends */
    assert_int_equal(d.calls, 6);
    sk_dir_dns_free(&g);
}

static void test_nest_depth_bound(void **st)
{
    struct fake_dir d = {.chain = 50};
    struct sk_dir_dns g = {0};
    char *err = NULL;

    (void)st;
    sk_dir_dns_add(&g, "g0");
    assert_int_equal(sk_dir_nest(&g, fake_parents, &d, &err), 0);
    /* g0 plus SK_DIR_MAX_DEPTH levels above it, no more */
    assert_int_equal(g.n, SK_DIR_MAX_DEPTH + 1);
    assert_true(has(&g, "g8"));
    assert_false(has(&g, "g9"));
    sk_dir_dns_free(&g);
}

static void test_nest_size_bound(void **st)
{
    struct fake_dir d = {.fanout = 1000};
    struct sk_dir_dns g = {0};
    char *err = NULL;

    (void)st;
    sk_dir_dns_add(&g, "user");
    assert_int_equal(sk_dir_nest(&g, fake_parents, &d, &err), 0);
    assert_int_equal(g.n, SK_DIR_MAX_GROUPS);
    sk_dir_dns_free(&g);
}

static void test_nest_error(void **st)
{
    static const struct fake_edge e[] = {{"user", "cn=Eng"}, {"cn=Eng", "cn=RnD"}};
    struct fake_dir d = {.edges = e, .n = 2, .fail_on = "cn=Eng"};
    struct sk_dir_dns g = {0};
    char *err = NULL;

    (void)st;
    sk_dir_dns_add(&g, "user");
    assert_int_equal(sk_dir_nest(&g, fake_parents, &d, &err), -1);
    assert_non_null(err);
    assert_string_equal(err, "fake: server gone");
    free(err);
    sk_dir_dns_free(&g);
}

static void test_dn_name(void **st)
{
    static const struct {
        const char *dn, *want;
    } cases[] = {
        {"cn=Engineering,ou=Groups,dc=corp", "Engineering"},
        {"CN=Domain Users,CN=Users,DC=corp", "Domain Users"},
        {"cn=R\\2Bd,ou=g", "R+d"},
        {"cn=A\\+B,ou=g", "A+B"},
        {"cn=A\\,B,ou=g", ""}, /* a comma would split the group list */
        {"cn=bad\\0Aname,ou=g", ""},
        {"cn=,ou=g", ""},
        {"noequals", ""},
        {"cn=Multi+uid=x,ou=g", "Multi"},
    };
    (void)st;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sk_buf b = {0};
        sk_dir_dn_name(cases[i].dn, &b);
        assert_string_equal(b.data ? b.data : "", cases[i].want);
        sk_buf_free(&b);
    }
    struct sk_buf b = {0};
    sk_dir_dn_name("cn=A,ou=g", &b);
    sk_dir_dn_name("cn=B,ou=g", &b);
    assert_string_equal(b.data, "A,B");
    sk_buf_free(&b);
}

static void test_cache_fresh_stale(void **st)
{
    char *g = NULL;

    (void)st;
    sk_dircache_clear();
    assert_int_equal(sk_dircache_get("t\nalice", 100, 60, &g), 0);
    assert_null(g);
    assert_int_equal(sk_dircache_put("t\nalice", "Eng,RnD", 100, 60), 0);
    assert_int_equal(sk_dircache_get("t\nalice", 159, 60, &g), 1);
    assert_string_equal(g, "Eng,RnD");
    free(g);
    /* at TTL the entry is stale, still returned for outages */
    assert_int_equal(sk_dircache_get("t\nalice", 160, 60, &g), 2);
    assert_string_equal(g, "Eng,RnD");
    free(g);
    /* another directory tag is another entry */
    assert_int_equal(sk_dircache_get("u\nalice", 100, 60, &g), 0);
    /* a refresh replaces the groups and the time */
    assert_int_equal(sk_dircache_put("t\nalice", "", 200, 60), 0);
    assert_int_equal(sk_dircache_get("t\nalice", 201, 60, &g), 1);
    assert_string_equal(g, "");
    free(g);
    assert_int_equal(sk_dircache_count(), 1);
    sk_dircache_clear();
    assert_int_equal(sk_dircache_count(), 0);
}

/* Fill a small table: every put succeeds until a probe window is all
 * fresh; then nothing fresh is evicted; once expired, the oldest goes. */
static void test_cache_full(void **st)
{
    char key[32], *g = NULL;
    int n = 0;

    (void)st;
    sk_dircache_fini();
    assert_int_equal(sk_dircache_init(64), 0);
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "t\nu%d", i);
        int rc = sk_dircache_put(key, "G", 500, 100);
        assert_true(rc == 0 || rc == -1);
        n += rc == 0;
    }
    /* 64 slots: most of them filled, never more */
    assert_int_equal(sk_dircache_count(), n);
    assert_true(n > 40 && n <= 64);
    /* full of fresh entries: the new answer is not cached, none evicted */
    int fresh = 0;
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "t\nu%d", i);
        if (sk_dircache_get(key, 550, 100, &g) == 1) {
            assert_string_equal(g, "G");
            fresh++;
        }
        free(g);
    }
    assert_int_equal(fresh, n);
    for (int i = 1000; i < 1200; i++) {
        snprintf(key, sizeof(key), "t\nx%d", i);
        assert_int_equal(sk_dircache_put(key, "X", 550, 100), -1);
    }
    /* expired (at 600, ttl 100): replaced, the count stays */
    assert_int_equal(sk_dircache_put("t\nnew", "N", 600, 100), 0);
    assert_int_equal(sk_dircache_count(), n);
    assert_int_equal(sk_dircache_get("t\nnew", 600, 100, &g), 1);
    assert_string_equal(g, "N");
    free(g);
    sk_dircache_fini();

    /* 8 slots = one probe window: the longest-expired entry is the victim */
    assert_int_equal(sk_dircache_init(8), 0);
    for (int i = 0; i < 8; i++) {
        snprintf(key, sizeof(key), "t\nv%d", i);
        assert_int_equal(sk_dircache_put(key, "V", 20 - i, 100), 0);
    }
    assert_int_equal(sk_dircache_put("t\nw", "W", 200, 100), 0);
    assert_int_equal(sk_dircache_get("t\nv7", 200, 100, &g), 0); /* at 13: the oldest */
    for (int i = 0; i < 7; i++) {
        snprintf(key, sizeof(key), "t\nv%d", i);
        assert_int_equal(sk_dircache_get(key, 200, 100, &g), 2); /* stale, still served */
        free(g);
    }
    assert_int_equal(sk_dircache_count(), 8);
    sk_dircache_fini();
}

/* Too large for a slot: not cached (never truncated), reported once. */
static void test_cache_too_big(void **st)
{
    char key[SK_DIRCACHE_KEY + 1], *big = malloc(SK_DIRCACHE_GROUPS + 1), *g = NULL;

    (void)st;
    assert_non_null(big);
    sk_dircache_fini();
    assert_int_equal(sk_dircache_init(64), 0);
    memset(big, 'g', SK_DIRCACHE_GROUPS - 1);
    big[SK_DIRCACHE_GROUPS - 1] = '\0'; /* the largest that fits */
    assert_int_equal(sk_dircache_put("t\nfits", big, 10, 100), 0);
    assert_int_equal(sk_dircache_get("t\nfits", 10, 100, &g), 1);
    assert_int_equal(strlen(g), SK_DIRCACHE_GROUPS - 1);
    free(g);
    big[SK_DIRCACHE_GROUPS - 1] = 'g';
    big[SK_DIRCACHE_GROUPS] = '\0'; /* one more */
    assert_int_equal(sk_dircache_put("t\nbig", big, 10, 100), -2);
    assert_int_equal(sk_dircache_get("t\nbig", 10, 100, &g), 0);
    assert_null(g);
    memset(key, 'k', sizeof(key));
    key[SK_DIRCACHE_KEY - 1] = '\0'; /* the largest key that fits */
    assert_int_equal(sk_dircache_put(key, "K", 10, 100), 0);
    assert_int_equal(sk_dircache_get(key, 10, 100, &g), 1);
    free(g);
    key[SK_DIRCACHE_KEY - 1] = 'k';
    key[SK_DIRCACHE_KEY] = '\0';
    assert_int_equal(sk_dircache_put(key, "K", 10, 100), -2);
    assert_int_equal(sk_dircache_get(key, 10, 100, &g), 0);
    assert_int_equal(sk_dircache_first_too_big(), 1);
    assert_int_equal(sk_dircache_first_too_big(), 0);
    assert_int_equal(sk_dircache_count(), 2);
    free(big);
    sk_dircache_fini();
}

static void *cache_worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    char key[32], want[32], *g;

    for (int i = 0; i < 2000; i++) {
        snprintf(key, sizeof(key), "t\nw%d-%d", id, i % 50);
        snprintf(want, sizeof(want), "G%d", i % 50);
        sk_dircache_put(key, want, 10, 100);
        if (sk_dircache_get(key, 10, 100, &g) != 1 || strcmp(g, want) != 0)
            return (void *)1;
        free(g);
    }
    return NULL;
}

static void test_cache_threads(void **st)
{
    pthread_t t[4];
    void *rv;

    (void)st;
    sk_dircache_clear();
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, cache_worker, (void *)(intptr_t)i), 0);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(t[i], &rv), 0);
        assert_null(rv);
    }
    assert_int_equal(sk_dircache_count(), 200);
    sk_dircache_clear();
}

/* Two processes forked after init see each other's entries, also ones
 * written after the fork; and both hammering it leaves every value whole. */
static void test_cache_processes(void **st)
{
    int p2c[2], c2p[2], status;
    char b = 0, *g = NULL;

    (void)st;
    sk_dircache_fini();
    assert_int_equal(sk_dircache_init(1024), 0);
    assert_int_equal(sk_dircache_put("t\nbefore", "B", 10, 100), 0);
    assert_int_equal(pipe(p2c), 0);
    assert_int_equal(pipe(c2p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int bad = 0;
        bad |= sk_dircache_get("t\nbefore", 10, 100, &g) != 1 || strcmp(g, "B") != 0;
        free(g);
        bad |= sk_dircache_put("t\nchild", "C1,C2", 11, 100) != 0;
        bad |= write(c2p[1], "x", 1) != 1;
        bad |= read(p2c[0], &b, 1) != 1; /* the parent has written its entry */
        bad |= sk_dircache_get("t\nparent", 12, 100, &g) != 1 || strcmp(g, "P") != 0;
        free(g);
        for (int i = 0; i < 3000 && !bad; i++) {
            char key[32], want[32];
            snprintf(key, sizeof(key), "t\nshared%d", i % 40);
            snprintf(want, sizeof(want), "S%d,%s", i % 40, "RnD");
            sk_dircache_put(key, want, 20, 100);
            if (sk_dircache_get(key, 20, 100, &g) == 1)
                bad |= strcmp(g, want) != 0;
            free(g);
        }
        _exit(bad);
    }
    assert_int_equal(read(c2p[0], &b, 1), 1);
    assert_int_equal(sk_dircache_get("t\nchild", 11, 100, &g), 1);
    assert_string_equal(g, "C1,C2");
    free(g);
    assert_int_equal(sk_dircache_put("t\nparent", "P", 12, 100), 0);
    assert_int_equal(write(p2c[1], "x", 1), 1);
    int bad = 0;
    for (int i = 0; i < 3000; i++) {
        char key[32], want[32];
        snprintf(key, sizeof(key), "t\nshared%d", i % 40);
        snprintf(want, sizeof(want), "S%d,%s", i % 40, "RnD");
        sk_dircache_put(key, want, 20, 100);
        if (sk_dircache_get(key, 20, 100, &g) == 1)
            bad |= strcmp(g, want) != 0;
        free(g);
    }
    assert_int_equal(bad, 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(sk_dircache_count(), 3 + 40);
    close(p2c[0]);
    close(p2c[1]);
    close(c2p[0]);
    close(c2p[1]);
    sk_dircache_fini();
}

static void die_now(void)
{
    _exit(7);
}

/* A process killed while it holds the lock, halfway through a slot: the
 * next locker gets the lock (robust mutex), drops that half-written slot
 * and keeps every other entry. */
static void test_cache_robust_lock(void **st)
{
    char *g = NULL;
    int status;

    (void)st;
    sk_dircache_fini();
    assert_int_equal(sk_dircache_init(1024), 0);
    assert_int_equal(sk_dircache_put("t\nalice", "Eng", 10, 100), 0);
    assert_int_equal(sk_dircache_put("t\nhalf", "Old", 10, 100), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        sk_dircache_test_midwrite = die_now;
        sk_dircache_put("t\nhalf", "New,Groups", 11, 100);
        _exit(0); /* not reached */
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 7); /* died holding the lock */
    /* would hang for ever without the robust mutex */
    assert_int_equal(sk_dircache_get("t\nhalf", 12, 100, &g), 0);
    assert_null(g);
    assert_int_equal(sk_dircache_count(), 1);
    assert_int_equal(sk_dircache_get("t\nalice", 12, 100, &g), 1);
    assert_string_equal(g, "Eng");
    free(g);
    assert_int_equal(sk_dircache_put("t\nhalf", "Again", 13, 100), 0);
    assert_int_equal(sk_dircache_get("t\nhalf", 13, 100, &g), 1);
    assert_string_equal(g, "Again");
    free(g);
    sk_dircache_fini();
}

/* sk_siphash24 against OpenSSL's SipHash-2-4 (8-byte output), every
 * length across the 8-byte blocks, and the paper's vector. */
static void test_siphash(void **st)
{
    unsigned char key[16], msg[64], out[8];
    size_t outlen = 0, size = 8;
    OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size),
                           OSSL_PARAM_construct_end()};

    (void)st;
    for (int i = 0; i < 16; i++)
        key[i] = (unsigned char)i;
    for (int i = 0; i < 64; i++)
        msg[i] = (unsigned char)i;
    assert_true(sk_siphash24(msg, 15, key) == 0xa129ca6149be45e5ULL);
    for (size_t len = 0; len < sizeof(msg); len++) {
        uint64_t want = 0;
        assert_non_null(EVP_Q_mac(NULL, "SIPHASH", NULL, NULL, params, key, sizeof(key), msg, len,
                                  out, sizeof(out), &outlen));
        assert_int_equal(outlen, 8);
        for (int i = 7; i >= 0; i--)
            want = want << 8 | out[i];
        assert_true(sk_siphash24(msg, len, key) == want);
    }
    key[0] ^= 1; /* another key, another hash */
    assert_true(sk_siphash24(msg, 15, key) != 0xa129ca6149be45e5ULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nest_levels_and_cycle),
        cmocka_unit_test(test_nest_depth_bound),
        cmocka_unit_test(test_nest_size_bound),
        cmocka_unit_test(test_nest_error),
        cmocka_unit_test(test_dn_name),
        cmocka_unit_test(test_cache_fresh_stale),
        cmocka_unit_test(test_cache_full),
        cmocka_unit_test(test_cache_too_big),
        cmocka_unit_test(test_cache_processes),
        cmocka_unit_test(test_cache_robust_lock),
        cmocka_unit_test(test_siphash),
        cmocka_unit_test(test_cache_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

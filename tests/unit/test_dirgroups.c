/* test_dirgroups.c - directory groups without a directory: the nested-group
 * walk (depth and size bounds, cycles, errors) over a fake directory, DN ->
 * group name, and the per-process membership cache (fresh/stale/full,
 * threads). The LDAP path itself is tested against a real slapd in
 * tests/integration/test_directory.py. */
#include <pthread.h>
#include <setjmp.h>
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

static void test_cache_full(void **st)
{
    char key[32], *g = NULL;

    (void)st;
    sk_dircache_clear();
    for (int i = 0; i < SK_DIRCACHE_MAX; i++) {
        snprintf(key, sizeof(key), "t\nu%d", i);
        assert_int_equal(sk_dircache_put(key, "G", i < 10 ? 0 : 500, 100), 0);
    }
    /* full: the 10 expired entries make room */
    assert_int_equal(sk_dircache_put("t\nnew", "N", 550, 100), 0);
    assert_int_equal(sk_dircache_count(), SK_DIRCACHE_MAX - 10 + 1);
    assert_int_equal(sk_dircache_get("t\nu0", 550, 100, &g), 0);
    /* full of fresh entries: not cached, nothing evicted */
    for (int i = 0; i < 9; i++) {
        snprintf(key, sizeof(key), "t\nv%d", i);
        assert_int_equal(sk_dircache_put(key, "G", 550, 100), 0);
    }
    assert_int_equal(sk_dircache_put("t\nextra", "X", 550, 100), -1);
    assert_int_equal(sk_dircache_get("t\nu500", 550, 100, &g), 1);
    free(g);
    sk_dircache_clear();
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
        cmocka_unit_test(test_cache_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

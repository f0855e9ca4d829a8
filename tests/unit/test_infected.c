/* test_infected.c - the shared infected-URL table: add/check, expiry,
 * sharing across fork, bounded eviction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "sekisho/module.h"
#include "sk_infected.h"

static int setup(void **s)
{
    sk_infected_fini();
    return sk_infected_init(64);
}

static void test_add_and_check(void **s)
{
    assert_int_equal(sk_infected_url_check("http://a.example/x"), 0);
    assert_int_equal(sk_infected_url_add("http://a.example/x", 3600), 0);
    assert_int_equal(sk_infected_url_check("http://a.example/x"), 1);
    assert_int_equal(sk_infected_url_check("http://a.example/y"), 0);
    assert_int_equal(sk_infected_url_add("", 10), -1);
    assert_int_equal(sk_infected_url_add(NULL, 10), -1);
}

static void test_expiry(void **s)
{
    assert_int_equal(sk_infected_url_add("http://b.example/", 0), 0); /* expires now */
    assert_int_equal(sk_infected_url_check("http://b.example/"), 0);
    assert_int_equal(sk_infected_url_add("http://b.example/", 100), 0); /* re-listed */
    assert_int_equal(sk_infected_url_check("http://b.example/"), 1);
}

static void test_shared_across_fork(void **s)
{
    pid_t pid = fork();
    int status;

    assert_true(pid >= 0);
    if (pid == 0)
        _exit(sk_infected_url_add("http://child.example/virus", 3600) == 0 ? 0 : 1);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(sk_infected_url_check("http://child.example/virus"), 1);
}

static void test_bounded(void **s)
{
    char url[64];

    /* 10,000 URLs into a 64-entry table: no growth, recent ones findable */
    for (int i = 0; i < 10000; i++) {
        snprintf(url, sizeof(url), "http://flood.example/%d", i);
        assert_int_equal(sk_infected_url_add(url, 1000 + (unsigned)i), 0);
    }
    int found = 0;
    for (int i = 0; i < 10000; i++) {
        snprintf(url, sizeof(url), "http://flood.example/%d", i);
        found += sk_infected_url_check(url);
    }
    assert_true(found > 0 && found <= 64);
    snprintf(url, sizeof(url), "http://flood.example/%d", 9999);
    assert_int_equal(sk_infected_url_check(url), 1); /* the newest survives */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_add_and_check, setup),
        cmocka_unit_test_setup(test_expiry, setup),
        cmocka_unit_test_setup(test_shared_across_fork, setup),
        cmocka_unit_test_setup(test_bounded, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

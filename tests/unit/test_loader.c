/* test_loader.c - loading module objects: ABI stamp, missing objects,
 * init failures named, options, versions, duplicate names. Uses the real
 * test_block.so built under tests/modules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sk_chain.h"

static struct sk_chain_conf conf;

static int setup(void **s)
{
    memset(&conf, 0, sizeof(conf));
    conf.policy_db = "/nonexistent/policy.db";
    return 0;
}

static int teardown(void **s)
{
    sk_chain_conf_free(&conf);
    return 0;
}

static void test_load_by_name_and_init(void **s)
{
    struct sk_chain c = {.conf = &conf};
    char *err = NULL;
    char versions[128];

    assert_int_equal(sk_chain_load(&c, SK_TEST_MODULE_DIR, "test_block", &err), 0);
    assert_null(err);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.mods[0].mod->name, "test_block");
    assert_string_equal(c.mods[0].ctx.policy_db, "/nonexistent/policy.db");
    assert_int_equal(sk_chain_init(&c, &err), 0);
    sk_chain_versions(&c, versions, sizeof(versions));
    assert_string_equal(versions, "test_block=1;");
    sk_chain_unload(&c);
    assert_int_equal(c.n, 0);
}

static void test_load_by_path_and_option(void **s)
{
    struct sk_chain c = {.conf = &conf};
    char *err = NULL;
    char versions[128];

    assert_int_equal(sk_chain_conf_option(&conf, "test_block.version", "7", &err), 0);
    assert_int_equal(sk_chain_conf_option(&conf, "other.version", "9", &err), 0);
    assert_int_equal(sk_chain_load(&c, "/unused", SK_TEST_MODULE_DIR "/test_block.so", &err), 0);
    assert_int_equal(sk_chain_init(&c, &err), 0);
    sk_chain_versions(&c, versions, sizeof(versions));
    assert_string_equal(versions, "test_block=7;"); /* only its own option */
    sk_chain_unload(&c);
}

static void test_missing_module_named(void **s)
{
    struct sk_chain c = {.conf = &conf};
    char *err = NULL;

    assert_int_equal(sk_chain_load(&c, SK_TEST_MODULE_DIR, "no_such_module", &err), -1);
    assert_non_null(err);
    assert_non_null(strstr(err, "module no_such_module"));
    assert_int_equal(c.n, 0);
    free(err);
}

static void test_not_a_module(void **s)
{
    struct sk_chain c = {.conf = &conf};
    char *err = NULL;

    /* a real shared object without our descriptor */
    assert_int_equal(sk_chain_load(&c, NULL, "/lib/x86_64-linux-gnu/libm.so.6", &err), -1);
    assert_non_null(err);
    assert_non_null(strstr(err, "sk_module_descriptor"));
    assert_int_equal(c.n, 0);
    free(err);
}

static void test_init_failure_named(void **s)
{
    struct sk_chain c = {.conf = &conf};
    char *err = NULL;

    assert_int_equal(sk_chain_conf_option(&conf, "test_block.fail-init", "yes", &err), 0);
    assert_int_equal(sk_chain_load(&c, SK_TEST_MODULE_DIR, "test_block", &err), 0);
    assert_int_equal(sk_chain_init(&c, &err), -1);
    assert_non_null(err);
    assert_non_null(strstr(err, "module test_block:"));
    assert_non_null(strstr(err, "fail-init"));
    free(err);
    sk_chain_unload(&c);
}

static void test_abi_and_duplicates(void **s)
{
    struct sk_chain c = {.conf = &conf};
    char *err = NULL;
    struct sk_module old = {.abi = 0x534b0000u, .name = "old", .methods = SK_REQMOD};
    struct sk_module ok = {.abi = SK_MODULE_ABI, .name = "ok", .methods = SK_REQMOD};
    struct sk_module nomethods = {.abi = SK_MODULE_ABI, .name = "nm", .methods = 0};

    assert_int_equal(sk_chain_add(&c, &old, &err), -1);
    assert_non_null(strstr(err, "ABI"));
    assert_int_equal(sk_chain_add(&c, &nomethods, &err), -1);
    assert_int_equal(sk_chain_add(&c, &ok, &err), 0);
    assert_int_equal(sk_chain_add(&c, &ok, &err), -1);
    assert_non_null(strstr(err, "twice"));
    free(err);
    assert_int_equal(c.n, 1);
    sk_chain_unload(&c);
}

static void test_bad_option_syntax(void **s)
{
    char *err = NULL;

    assert_int_equal(sk_chain_conf_option(&conf, "nodot", "v", &err), -1);
    assert_non_null(err);
    assert_int_equal(sk_chain_conf_option(&conf, ".key", "v", &err), -1);
    assert_int_equal(sk_chain_conf_option(&conf, "mod.", "v", &err), -1);
    free(err);
    assert_int_equal(conf.n_options, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_load_by_name_and_init, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_by_path_and_option, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_module_named, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_a_module, setup, teardown),
        cmocka_unit_test_setup_teardown(test_init_failure_named, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abi_and_duplicates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_option_syntax, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

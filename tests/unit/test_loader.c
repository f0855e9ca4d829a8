/* test_loader.c - loading module objects: ABI stamp, missing objects,
 * init failures named, options, versions, duplicate names. Uses the real
 * test_block.so built under tests/modules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
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
    assert_int_equal(sk_chain_load(&c, "/unused", SK_TEST_MODULE_DIR "/test_block.so", &err), 0);
    assert_int_equal(sk_chain_init(&c, &err), 0);
    sk_chain_versions(&c, versions, sizeof(versions));
    assert_string_equal(versions, "test_block=7;");
    sk_chain_unload(&c);
}

/* An option for a module that is not loaded, or a key the module's table
 * does not have, stops start-up naming the directive; no init() runs. */
static void test_unknown_option_is_startup_error(void **s)
{
    static const struct {
        const char *key, *want;
    } cases[] = {
        {"other.version", "sekisho.Option other.version: no module 'other' in sekisho.Modules"},
        {"test_block.verison", "sekisho.Option test_block.verison: module test_block has no "
                               "option 'verison' (fail-init, version)"},
        {"test_block.Version", "no option 'Version'"}, /* keys are case-sensitive */
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sk_chain c = {.conf = &conf};
        char *err = NULL;

        /* fail-init would make init() fail with another message: it must
         * not run at all */
        assert_int_equal(sk_chain_conf_option(&conf, "test_block.fail-init", "yes", &err), 0);
        assert_int_equal(sk_chain_conf_option(&conf, cases[i].key, "1", &err), 0);
        assert_int_equal(sk_chain_load(&c, SK_TEST_MODULE_DIR, "test_block", &err), 0);
        assert_int_equal(sk_chain_init(&c, &err), -1);
        if (!err || !strstr(err, cases[i].want))
            fail_msg("%s: got '%s'", cases[i].key, err ? err : "(null)");
        assert_null(strstr(err, "initialisation refused"));
        free(err);
        sk_chain_unload(&c);
        sk_chain_conf_free(&conf);
    }
}

static const struct sk_module_option typed_opts[] = {
    {"size", SK_OPT_SIZE, "256M", NULL, "h"},
    {"dur", SK_OPT_DURATION, "60", NULL, "h"},
    {"n", SK_OPT_UINT, "17", NULL, "h"},
    {"flag", SK_OPT_BOOL, "on", NULL, "h"},
    {"mode", SK_OPT_ENUM, "block", "block|allow", "h"},
    {"dir", SK_OPT_DIR, NULL, NULL, "h"},
    {"text", SK_OPT_STRING, NULL, NULL, "h"},
    {NULL, 0, NULL, NULL, NULL},
};

static enum sk_verdict typed_headers(struct sk_txn *t, void *state)
{
    return SK_ALLOW;
}

static const struct sk_module typed_mod = {
    .abi = SK_MODULE_ABI,
    .name = "typed",
    .methods = SK_REQMOD,
    .on_headers = typed_headers,
    .options = typed_opts,
};

static void test_option_types_and_defaults(void **s)
{
    static const struct {
        const char *key, *value;
        int ok;
    } cases[] = {
        {"size", "1MB", 1},
        {"size", "1MiB", 1},
        {"size", "1048576", 1},
        {"size", "0", 1},
        {"size", "1M", 1},
        {"size", "1.5M", 0},
        {"size", "big", 0},
        {"dur", "5m", 1},
        {"dur", "5M", 0},
        {"n", "17", 1},
        {"n", "-1", 0},
        {"n", "1K", 0},
        {"n", "9999999999", 0},
        {"flag", "off", 1},
        {"flag", "maybe", 0},
        {"mode", "allow", 1},
        {"mode", "Allow", 0},
        {"mode", "blocks", 0},
        {"dir", "/tmp", 1},
        {"dir", "/nonexistent/x", 0},
        {"dir", "/etc/passwd", 0},
        {"text", "", 1},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sk_chain c = {.conf = &conf};
        char key[64], *err = NULL;

        snprintf(key, sizeof(key), "typed.%s", cases[i].key);
        assert_int_equal(sk_chain_conf_option(&conf, key, cases[i].value, &err), 0);
        assert_int_equal(sk_chain_add(&c, &typed_mod, &err), 0);
        int rc = sk_chain_init(&c, &err);
        if (cases[i].ok ? rc != 0 : rc != -1 || !err || !strstr(err, key))
            fail_msg("%s %s: rc %d err %s", key, cases[i].value, rc, err ? err : "-");
        if (cases[i].ok) /* the configured value, as written */
            assert_string_equal(c.mods[0].ctx.option(&c.mods[0].ctx, cases[i].key), cases[i].value);
        free(err);
        sk_chain_unload(&c);
        sk_chain_conf_free(&conf);
    }
    /* nothing configured: the table's defaults; no default: NULL */
    struct sk_chain c = {.conf = &conf};
    char *err = NULL;
    assert_int_equal(sk_chain_add(&c, &typed_mod, &err), 0);
    assert_int_equal(sk_chain_init(&c, &err), 0);
    assert_string_equal(c.mods[0].ctx.option(&c.mods[0].ctx, "size"), "256M");
    assert_string_equal(c.mods[0].ctx.option(&c.mods[0].ctx, "mode"), "block");
    assert_null(c.mods[0].ctx.option(&c.mods[0].ctx, "dir"));
    assert_null(c.mods[0].ctx.option(&c.mods[0].ctx, "nonesuch"));
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
        cmocka_unit_test_setup_teardown(test_unknown_option_is_startup_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_option_types_and_defaults, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_istag.c - ISTag derivation: fits c-icap's limit, changes with the
 * policy generation and with any engine version. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sk_istag.h"

static void test_format_and_length(void **s)
{
    char tag[64];

    sk_istag_make(tag, sizeof(tag), 12, "a=1;");
    assert_true(strncmp(tag, "-G12-", 5) == 0);
    assert_int_equal(strlen(tag), 5 + 12);
    sk_istag_make(tag, sizeof(tag), INT64_MAX, "a=1;");
    assert_true(strlen(tag) <= SK_ISTAG_MAX);
    for (const char *p = tag; *p; p++)
        assert_true((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || *p == '-' ||
                    *p == 'G');
}

static void test_changes_with_inputs(void **s)
{
    char a[32], b[32], c[32], d[32];

    sk_istag_make(a, sizeof(a), 1, "virus_scan=sig-100;");
    sk_istag_make(b, sizeof(b), 2, "virus_scan=sig-100;");
    sk_istag_make(c, sizeof(c), 1, "virus_scan=sig-101;");
    sk_istag_make(d, sizeof(d), 1, "virus_scan=sig-100;");
    assert_string_not_equal(a, b);
    assert_string_not_equal(a, c);
    assert_string_not_equal(b, c);
    assert_string_equal(a, d); /* deterministic: every cluster node agrees */
}

static void test_hash_spreads_over_many_generations(void **s)
{
    /* 10,000 consecutive generations give 10,000 distinct tags */
    enum { N = 10000 };
    static char tags[N][32];

    for (int i = 0; i < N; i++)
        sk_istag_make(tags[i], sizeof(tags[i]), i, "");
    /* issue 16: all pairs, not neighbours only, and on the hash part alone
     * (the "-G<generation>-" prefix makes whole tags distinct anyway) */
    static char hashes[N][32];
    for (int i = 0; i < N; i++) {
        const char *h = strrchr(tags[i], '-');
        assert_non_null(h);
        assert_int_equal(strlen(h + 1), 12);
        snprintf(hashes[i], sizeof(hashes[i]), "%s", h + 1);
    }
    qsort(hashes, N, sizeof(hashes[0]), (int (*)(const void *, const void *))strcmp);
    for (int i = 1; i < N; i++)
        if (strcmp(hashes[i], hashes[i - 1]) == 0)
            fail_msg("two of %d generations share the ISTag hash %s", N, hashes[i]);
    assert_int_not_equal(sk_fnv1a64("a", 1, 0), sk_fnv1a64("b", 1, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_and_length),
        cmocka_unit_test(test_changes_with_inputs),
        cmocka_unit_test(test_hash_spreads_over_many_generations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

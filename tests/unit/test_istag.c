/* test_istag.c - ISTag derivation: fits c-icap's limit, names the policy
 * content (not its generation) and changes with any engine version. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sk_istag.h"

#define H1 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define H2 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdee"

static void test_format_and_length(void **s)
{
    char tag[64];

    sk_istag_make(tag, sizeof(tag), H1, "a=1;");
    /* "-" + the first 12 hex digits of the content hash + "-" + 12 hex */
    assert_true(strncmp(tag, "-0123456789ab-", 14) == 0);
    assert_int_equal(strlen(tag), SK_ISTAG_MAX);
    for (const char *p = tag; *p; p++)
        assert_true((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || *p == '-');
    /* c-icap adds "CI0001": RFC 3507 allows 32 characters in all */
    assert_true(6 + strlen(tag) <= 32);
    sk_istag_make(tag, sizeof(tag), NULL, NULL);
    assert_true(strlen(tag) <= SK_ISTAG_MAX);
}

static void test_changes_with_inputs(void **s)
{
    char a[32], b[32], c[32], d[32];

    sk_istag_make(a, sizeof(a), H1, "virus_scan=sig-100;");
    sk_istag_make(b, sizeof(b), H2, "virus_scan=sig-100;"); /* last hex digit only */
    sk_istag_make(c, sizeof(c), H1, "virus_scan=sig-101;");
    sk_istag_make(d, sizeof(d), H1, "virus_scan=sig-100;");
    assert_string_not_equal(a, b);
    assert_string_not_equal(a, c);
    assert_string_not_equal(b, c);
    assert_string_equal(a, d); /* deterministic: every cluster node agrees */
}

static int sk_cmp(const void *x, const void *y)
{
    return strcmp(x, y);
}

static void test_many_contents_many_tags(void **s)
{
    /* 10,000 different contents give 10,000 distinct tags (all pairs) */
    enum { N = 10000 };
    static char tags[N][32];
    char hash[65];

    for (int i = 0; i < N; i++) {
        snprintf(hash, sizeof(hash), "%064x", i * 2654435761u);
        sk_istag_make(tags[i], sizeof(tags[i]), hash, "v=1;");
    }
    /* all pairs (sorted, then neighbours), and on the hash over content
     * and versions alone: the content prefix makes whole tags distinct */
    for (int i = 0; i < N; i++) {
        const char *h = strrchr(tags[i], '-');
        assert_non_null(h);
        assert_int_equal(strlen(h + 1), 12);
        memmove(tags[i], h + 1, 13);
    }
    qsort(tags, N, sizeof(tags[0]), sk_cmp);
    for (int i = 1; i < N; i++)
        if (strcmp(tags[i], tags[i - 1]) == 0)
            fail_msg("two of %d contents share the ISTag hash %s", N, tags[i]);
    assert_int_not_equal(sk_fnv1a64("a", 1, 0), sk_fnv1a64("b", 1, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_and_length),
        cmocka_unit_test(test_changes_with_inputs),
        cmocka_unit_test(test_many_contents_many_tags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

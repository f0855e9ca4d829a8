/* test_xheaders.c - the xheaders module: which ICAP headers appear for
 * which detections under which policy switches, their exact format, and
 * that a hostile detection name cannot split or extend a header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <sekisho/policy_db.h>
#include <sekisho/policy_snapshot.h>

#include "sk_txn.h"
#include "xheaders.h"
#include "sk_tpolicy.h"

static const char *const all_on[] = {
    "icap.x-virus-id", "on", "icap.x-infection-found", "on", "icap.x-violations-found", "on", NULL};

static void txn(struct sk_txn *t, struct sk_snapshot *snap, const char *url)
{
    assert_int_equal(sk_txn_init(t, SK_RESPMOD, "GET", url, "10.0.0.1", "", ""), 0);
    if (snap) {
        sk_snapshot_ref(snap);
        sk_txn_set_snapshot(t, snap);
    }
}

static void assert_no_ctl(const struct sk_txn *t)
{
    for (int i = 0; i < t->n_icap_headers; i++)
        for (const char *p = t->icap_headers[i]; *p; p++)
            assert_true((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
}

static void test_off_by_default(void **s)
{
    struct sk_txn t;

    txn(&t, NULL, "http://o.test/eicar.com");
    assert_int_equal(sk_txn_report(&t, "virus", "Eicar-Test-Signature", NULL), 0);
    sk_xh_decide(&t, SK_DECIDED_BLOCK);
    assert_int_equal(t.n_icap_headers, 0);
    sk_txn_clear(&t);

    const char *none[] = {NULL};
    struct sk_snapshot *snap = sk_t_policy_with(none);
    txn(&t, snap, "http://o.test/eicar.com");
    assert_int_equal(sk_txn_report(&t, "virus", "Eicar-Test-Signature", NULL), 0);
    sk_xh_decide(&t, SK_DECIDED_BLOCK);
    assert_int_equal(t.n_icap_headers, 0);
    sk_txn_clear(&t);
    sk_snapshot_unref(snap);
}

struct hdr_case {
    const char *const *settings;
    const char *kind, *name;
    int outcome;
    const char *want[3]; /* expected lines in order, NULL-terminated */
};

static const char *const virus_id_only[] = {"icap.x-virus-id", "on", NULL};
static const char *const infection_only[] = {"icap.x-infection-found", "on", NULL};

static void test_formats(void **s)
{
    static const struct hdr_case cases[] = {
        {virus_id_only,
         "virus",
         "Eicar-Test-Signature",
         SK_DECIDED_BLOCK,
         {"X-Virus-ID: Eicar-Test-Signature"}},
        {infection_only,
         "virus",
         "Eicar-Test-Signature",
         SK_DECIDED_BLOCK,
         {"X-Infection-Found: Type=0; Resolution=2; Threat=Eicar-Test-Signature;"}},
        {all_on,
         "virus",
         "Win.Trojan.Agent-1",
         SK_DECIDED_BLOCK,
         {"X-Virus-ID: Win.Trojan.Agent-1",
          "X-Infection-Found: Type=0; Resolution=2; Threat=Win.Trojan.Agent-1;",
          "X-Violations-Found: 1 eicar.com Win.Trojan.Agent-1 0 2"}},
        /* DLP: no X-Virus-ID; a policy violation; passed when log-only */
        {all_on,
         "dlp",
         "credit-cards",
         SK_DECIDED_ALLOW,
         {"X-Infection-Found: Type=1; Resolution=0; Threat=credit-cards;",
          "X-Violations-Found: 1 eicar.com credit-cards 0 0"}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sk_snapshot *snap = sk_t_policy_with(cases[i].settings);
        struct sk_txn t;
        int n = 0;

        txn(&t, snap, "http://o.test/dir/eicar.com?x=1");
        assert_int_equal(sk_txn_report(&t, cases[i].kind, cases[i].name, NULL), 0);
        sk_xh_decide(&t, cases[i].outcome);
        while (n < 3 && cases[i].want[n])
            n++;
        if (t.n_icap_headers != n)
            fail_msg("case %zu: %d headers, want %d", i, t.n_icap_headers, n);
        for (int j = 0; j < n; j++)
            assert_string_equal(t.icap_headers[j], cases[i].want[j]);
        sk_txn_clear(&t);
        sk_snapshot_unref(snap);
    }
}

static void test_no_detection_no_headers(void **s)
{
    struct sk_snapshot *snap = sk_t_policy_with(all_on);
    struct sk_txn t;

    txn(&t, snap, "http://o.test/");
    sk_xh_decide(&t, SK_DECIDED_ALLOW);
    assert_int_equal(t.n_icap_headers, 0);
    sk_txn_clear(&t);
    sk_snapshot_unref(snap);
}

static void test_hostile_names_cannot_inject(void **s)
{
    static const char *const names[] = {
        "Evil\r\nX-Injected: 1",
        "Evil\nISTag: \"x\"",
        "A; Resolution=1; Threat=Fake",
        "\x01\x02\x7f\xff\xfe name with spaces",
    };
    struct sk_snapshot *snap = sk_t_policy_with(all_on);

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct sk_txn t;
        txn(&t, snap, "http://o.test/a\r\nb/f;x=1 y");
        /* also bypass the server's own sanitising: feed the raw name */
        assert_int_equal(sk_txn_report(&t, "virus", names[i], NULL), 0);
        free(t.detections[0].name);
        t.detections[0].name = strdup(names[i]);
        sk_xh_decide(&t, SK_DECIDED_BLOCK);
        assert_int_equal(t.n_icap_headers, 3);
        assert_no_ctl(&t);
        /* the name stays inside the value: same three header names, and
         * no CR/LF (checked above) that could start another line */
        assert_true(strncmp(t.icap_headers[0], "X-Virus-ID: Evil", 16) == 0 ||
                    strncmp(t.icap_headers[0], "X-Virus-ID: ", 12) == 0);
        assert_true(strncmp(t.icap_headers[1], "X-Infection-Found: ", 19) == 0);
        assert_true(strncmp(t.icap_headers[2], "X-Violations-Found: 1 ", 22) == 0);
        assert_null(strchr(t.icap_headers[0] + 12, ' '));
        /* exactly the three parameters of X-Infection-Found */
        const char *inf = t.icap_headers[1];
        int semis = 0;
        for (const char *p = inf; *p; p++)
            semis += *p == ';';
        assert_int_equal(semis, 3);
        sk_txn_clear(&t);
    }
    sk_snapshot_unref(snap);
}

static void test_length_capped(void **s)
{
    char longname[2000], out[SK_XH_NAME_MAX + 1];
    struct sk_snapshot *snap = sk_t_policy_with(all_on);
    struct sk_txn t;

    memset(longname, 'N', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    sk_xh_sanitize(out, sizeof(out), longname);
    assert_int_equal(strlen(out), SK_XH_NAME_MAX);

    txn(&t, snap, "http://o.test/x");
    for (int i = 0; i < 8; i++)
        sk_txn_report(&t, "virus", longname, NULL);
    sk_xh_decide(&t, SK_DECIDED_BLOCK);
    assert_int_equal(t.n_icap_headers, 3); /* violations line still fits in one header */
    assert_true(strlen(t.icap_headers[2]) <= 1024);
    assert_true(strncmp(t.icap_headers[2], "X-Violations-Found: ", 20) == 0);
    sk_txn_clear(&t);
    sk_snapshot_unref(snap);
}

/* ---- issue 16: the sanitiser byte by byte, and exact header values ----
 * The old check counted ';' only, so a sanitiser that let '=' (or SPACE,
 * or bytes >= 0x80) through still passed. */
static void test_o16_sanitize_every_byte(void **s)
{
    for (int c = 1; c < 256; c++) {
        char in[2] = {(char)c, '\0'}, out[8];
        int keep = c > ' ' && c < 0x7f && c != ';' && c != '=' && c != ',' && c != '"' &&
                   c != '<' && c != '>' && c != '\'' && c != '\\' && c != '`';
        sk_xh_sanitize(out, sizeof(out), in);
        if (strlen(out) != 1 || out[0] != (keep ? (char)c : '_'))
            fail_msg("byte 0x%02x became '%s', want '%c'", c, out, keep ? c : '_');
    }
    char out[SK_XH_NAME_MAX + 1];
    sk_xh_sanitize(out, sizeof(out), "A; Resolution=1; Threat=Fake");
    assert_string_equal(out, "A__Resolution_1__Threat_Fake");
    sk_xh_sanitize(out, sizeof(out), "");
    assert_string_equal(out, "-");

    struct sk_snapshot *snap = sk_t_policy_with(all_on);
    struct sk_txn t;
    txn(&t, snap, "http://o.test/dir/f.zip?q=1");
    assert_int_equal(sk_txn_report(&t, "virus", "x", NULL), 0);
    free(t.detections[0].name);
    t.detections[0].name = strdup("Eicar=Test, Sig;1 \xe2\x80\x8b");
    sk_xh_decide(&t, SK_DECIDED_BLOCK);
    assert_int_equal(t.n_icap_headers, 3);
    assert_string_equal(t.icap_headers[0], "X-Virus-ID: Eicar_Test__Sig_1____");
    assert_string_equal(t.icap_headers[1],
                        "X-Infection-Found: Type=0; Resolution=2; Threat=Eicar_Test__Sig_1____;");
    assert_string_equal(t.icap_headers[2], "X-Violations-Found: 1 f.zip Eicar_Test__Sig_1____ 0 2");
    sk_txn_clear(&t);
    sk_snapshot_unref(snap);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_off_by_default),
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_no_detection_no_headers),
        cmocka_unit_test(test_hostile_names_cannot_inject),
        cmocka_unit_test(test_length_capped),
        cmocka_unit_test(test_o16_sanitize_every_byte), /* issue 16 */
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

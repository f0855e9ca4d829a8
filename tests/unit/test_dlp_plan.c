/* test_dlp_plan.c - dlp compiles templates once per policy and policy
 * content, not per request; a reload rebuilds them, a transaction in
 * flight keeps its plan, a schedule gives one plan per state. Shared
 * fixture: support/dlp_fixture.c. */
#include "dlp_fixture.h"

/* issue 17: templates are compiled once per policy and policy content,
 * not per request; a reload that changes them rebuilds the plans, and a
 * transaction that started before the reload finishes with its own plan
 * (freed when it ends: ASan build). */
static void test_o17_plan_once_per_generation(void **state)
{
    static const char secret[] = "quarterly numbers: newsecret-17 attached";
    struct req blk = {
        .ip = "10.0.0.2", .ctype = "text/plain", .body = secret, .len = sizeof(secret) - 1};
    struct req dflt = {
        .ip = "10.9.9.9", .ctype = "text/plain", .body = secret, .len = sizeof(secret) - 1};
    struct req card = {
        .ip = "10.0.0.2", .ctype = "text/plain", .body = "4111 1111 1111 1111", .len = 19};
    const char *dets[] = {"keyword:newsecret-17"};
    struct sk_pdb *db;
    struct sk_snapshot *old = snap;
    struct sk_txn t;
    void *st = NULL;
    char *err = NULL;

    /* warm: this snapshot's plans for "blk" and "default" exist */
    expect(&blk, SK_ALLOW, NULL, "before reload: keyword not in the policy");
    expect(&dflt, SK_ALLOW, NULL, "before reload: default policy");
    uint64_t b0 = sk_dlp_module_plan_builds();
    for (int i = 0; i < 300; i++) {
        expect(&blk, SK_ALLOW, NULL, "many transactions, same generation");
        expect(&dflt, SK_ALLOW, NULL, "many transactions, same generation (default)");
    }
    expect(&card, SK_BLOCK, "cards", "cached plan still blocks");
    assert_int_equal(sk_dlp_module_plan_builds(), b0); /* not one compile per request */

    /* a transaction in flight across the reload keeps its plan */
    assert_int_equal(
        sk_txn_init(&t, SK_REQMOD, "POST", "http://upload.example/x", "10.0.0.2", "", ""), 0);
    t.has_body = 1;
    t.headers = (struct sk_header_source){.get = hdr_get, .ctx = (void *)&card};
    sk_snapshot_ref(old);
    sk_txn_set_snapshot(&t, old);
    t.current = &mctx;
    assert_int_equal(sk_dlp_begin(&t, &st), 0);
    assert_int_equal(sk_dlp_headers(&t, st), SK_CONTINUE);

    /* reload: a new block template in "blk" */
    if ((db = sk_pdb_open(dbpath, SK_PDB_RW, &err)) == NULL || sk_pdb_write_begin(db, &err) != 0 ||
        sk_pdb_dlp_add(db, "blk", "o17", dets, 1, 1, "block", &err) <= 0 ||
        sk_pdb_write_commit(db, "tester", "o17", &err) < 0 ||
        (snap = sk_snapshot_load(db, &err)) == NULL)
        fail_msg("reload: %s", err);
    sk_pdb_close(db);
    expect(&blk, SK_BLOCK, "o17", "after reload: the new template applies");
    assert_int_equal(sk_dlp_module_plan_builds(), b0 + 1);
    for (int i = 0; i < 300; i++)
        expect(&blk, SK_BLOCK, "o17", "after reload, many transactions");
    expect(&dflt, SK_ALLOW, NULL, "after reload: default policy");
    assert_int_equal(sk_dlp_module_plan_builds(), b0 + 2); /* default's plan rebuilt once, too */

    /* the old transaction finishes with the old plan (dropped by the cache) */
    assert_int_equal(sk_dlp_body(&t, st, card.body, card.len, 1), SK_BLOCK);
    assert_string_equal(t.rule, "cards");
    sk_dlp_end(&t, st);
    t.current = NULL;
    sk_txn_clear(&t);
    sk_snapshot_unref(old);

    /* a schedule on the template: a plan per set of templates in force,
     * never another hour's (Wed 10:30 JST inside, 20:30 outside) */
    const char *times[] = {"09:00-18:00"};
    old = snap;
    if ((db = sk_pdb_open(dbpath, SK_PDB_RW, &err)) == NULL || sk_pdb_write_begin(db, &err) != 0 ||
        sk_pdb_schedule_add(db, "o17-biz", "mon-fri", times, 1, "Asia/Tokyo", &err) < 0 ||
        sk_pdb_dlp_when(db, "blk", "o17", "o17-biz", &err) != 1 ||
        sk_pdb_write_commit(db, "tester", "o17 when", &err) < 0 ||
        (snap = sk_snapshot_load(db, &err)) == NULL)
        fail_msg("schedule: %s", err);
    sk_pdb_close(db);
    sk_snapshot_unref(old);
    uint64_t b1 = sk_dlp_module_plan_builds();
    for (int round = 0; round < 2; round++) {
        run_clock = 1796175000; /* Wed 10:30 JST */
        expect(&blk, SK_BLOCK, "o17", "inside the template's schedule");
        run_clock = 1796175000 + 36000; /* Wed 20:30 JST */
        expect(&blk, SK_ALLOW, NULL, "outside the template's schedule");
    }
    run_clock = 0;
    assert_int_equal(sk_dlp_module_plan_builds(), b1 + 2); /* one plan per schedule state */
}

/* A keyword made only of characters the fold drops (a zero-width space)
 * can never match - the text loses them too - but it is a keyword the CLI
 * accepts: it must not make the policy's plan fail (the failure verdict
 * for every transaction). A keyword with a soft hyphen inside matches the
 * text with or without it. */
static void test_keyword_of_dropped_characters(void **state)
{
    static const char plain[] = "nothing to see here";
    static const char shy[] = "the sec\xc2\xadret-zw plan";
    struct req r = {
        .ip = "10.0.0.2", .ctype = "text/plain", .body = plain, .len = sizeof(plain) - 1};
    const char *dets[] = {"keyword:\xe2\x80\x8b", "keyword:secret\xc2\xad-zw"};
    struct sk_snapshot *old = snap;
    struct sk_pdb *db;
    char *err = NULL;

    if ((db = sk_pdb_open(dbpath, SK_PDB_RW, &err)) == NULL || sk_pdb_write_begin(db, &err) != 0 ||
        sk_pdb_dlp_add(db, "blk", "zw", dets, 2, 1, "block", &err) <= 0 ||
        sk_pdb_write_commit(db, "tester", "zw", &err) < 0 ||
        (snap = sk_snapshot_load(db, &err)) == NULL)
        fail_msg("reload: %s", err);
    sk_pdb_close(db);
    sk_snapshot_unref(old);
    expect(&r, SK_ALLOW, NULL, "a zero-width keyword does not fail the plan");
    r.body = shy, r.len = sizeof(shy) - 1;
    expect(&r, SK_BLOCK, "zw", "soft hyphens dropped on both sides");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_o17_plan_once_per_generation),  /* issue 17; changes the policy */
        cmocka_unit_test(test_keyword_of_dropped_characters), /* changes the policy */
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

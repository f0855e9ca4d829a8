/* test_policy_store.c - the per-process policy store (issue 16: it had no
 * unit test): a reload installs a new generation; a generation that cannot
 * be built leaves the last good snapshot in service and is logged once,
 * not on every poll; an unreadable database keeps the current one; a fixed
 * database is picked up again. Real SQLite database in a temp directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include <sekisho/policy_db.h>
#include <sekisho/policy_snapshot.h>

#include "sk_policy_store.h"
#include "sk_tpolicy.h"

static char t_dir[64], t_path[128];
static int t_cannot_load, t_unreadable, t_lines;

static void t_log(int level, const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    t_lines++;
    t_cannot_load += strstr(line, "cannot be loaded") != NULL;
    t_unreadable += strstr(line, "unreadable") != NULL;
}

/* One committed change (a new generation) made of SQL. */
static int64_t t_commit(const char *sql)
{
    char *err = NULL, *msg = NULL;
    struct sk_pdb *db = sk_pdb_open(t_path, SK_PDB_RW, &err);
    int64_t gen;

    assert_non_null(db);
    assert_int_equal(sk_pdb_write_begin(db, &err), 0);
    if (sqlite3_exec(sk_pdb_sqlite(db), sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
    assert_true(sk_pdb_write_commit(db, "tester", "test", &err) > 0);
    gen = sk_pdb_generation(db);
    sk_pdb_close(db);
    return gen;
}

static void test_last_good_kept(void **state)
{
    struct sk_policy_store s;
    struct sk_snapshot *snap;
    struct sk_pdb *db;
    char *err = NULL, moved[160];
    int64_t g1, g2, g3;

    strcpy(t_dir, "/tmp/sk-test-store-XXXXXX");
    assert_non_null(mkdtemp(t_dir));
    snprintf(t_path, sizeof(t_path), "%s/policy.db", t_dir);
    db = sk_pdb_open(t_path, SK_PDB_RW | SK_PDB_CREATE, &err);
    assert_non_null(db);
    assert_int_equal(sk_pdb_init(db, "tester", &err), 0);
    sk_pdb_close(db);
    g1 = t_commit(
        "INSERT INTO url_rules(policy_id, list, match, pattern) VALUES ("
        "(SELECT id FROM policies WHERE name = 'default'), 'block', 'domain', 'a.example')");

    assert_int_equal(sk_policy_store_open(&s, t_path, 1000, t_log, &err), 0);
    assert_int_equal(sk_policy_store_generation(&s), g1);
    assert_int_equal(sk_policy_store_poll(&s), 0); /* unchanged */

    /* a generation that cannot be built (a stored regex that does not compile) */
    g2 = t_commit("INSERT INTO url_rules(policy_id, list, match, pattern) VALUES ("
                  "(SELECT id FROM policies WHERE name = 'default'), 'block', 'regex', '(x')");
    assert_true(g2 > g1);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(sk_policy_store_poll(&s), -1);
        assert_int_equal(sk_policy_store_generation(&s), g1);
        snap = sk_policy_store_acquire(&s);
        assert_int_equal(sk_snapshot_generation(snap), g1);
        sk_snapshot_unref(snap);
    }
    assert_int_equal(t_cannot_load, 1); /* loudly, but once per bad generation */

    /* fixed: the next generation is installed */
    g3 = t_commit("DELETE FROM url_rules WHERE match = 'regex'");
    assert_int_equal(sk_policy_store_poll(&s), 1);
    assert_int_equal(sk_policy_store_generation(&s), g3);
    assert_int_equal(t_cannot_load, 1);

    /* database gone: keep serving g3, say so */
    snprintf(moved, sizeof(moved), "%s/moved.db", t_dir);
    assert_int_equal(rename(t_path, moved), 0);
    assert_int_equal(sk_policy_store_poll(&s), -1);
    assert_int_equal(sk_policy_store_generation(&s), g3);
    assert_true(t_unreadable >= 1);
    assert_int_equal(rename(moved, t_path), 0);
    assert_int_equal(sk_policy_store_poll(&s), 0);

    sk_policy_store_close(&s);
    sk_t_remove_db(t_dir, t_path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_last_good_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* sk_tpolicy.c - test-only temp policy databases (see sk_tpolicy.h).
 * Writes only below /tmp; never linked into Sekisho. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include <sekisho/policy_db.h>

#include "sk_tpolicy.h"

struct sk_snapshot *sk_t_policy_with(const char *const *kv)
{
    char dir[] = "/tmp/sk-test-policy-XXXXXX", path[128], *err = NULL;
    struct sk_pdb *db;
    struct sk_snapshot *s;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/policy.db", dir);
    if ((db = sk_pdb_open(path, SK_PDB_RW | SK_PDB_CREATE, &err)) == NULL ||
        sk_pdb_init(db, "tester", &err) != 0 || sk_pdb_write_begin(db, &err) != 0)
        fail_msg("policy database %s: %s", path, err);
    for (; kv[0]; kv += 2)
        if (sk_pdb_set_setting(db, NULL, kv[0], kv[1], &err) != 0)
            fail_msg("set %s: %s", kv[0], err);
    if (sk_pdb_write_commit(db, "tester", "test", &err) <= 0 ||
        (s = sk_snapshot_load(db, &err)) == NULL)
        fail_msg("policy database %s: %s", path, err);
    sk_pdb_close(db);
    sk_t_remove_db(dir, path);
    return s;
}

void sk_t_remove_db(const char *dir, const char *path)
{
    static const char *const side[] = {"", "-wal", "-shm", "-journal"};
    char p[4200];

    for (size_t i = 0; i < sizeof(side) / sizeof(side[0]); i++) {
        snprintf(p, sizeof(p), "%s%s", path, side[i]);
        unlink(p);
    }
    rmdir(dir);
}

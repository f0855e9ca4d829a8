/* pdb_settings.c - per-policy setting values in the database: effective
 * value lookup (read by server and CLI) and set/unset (CLI writes only). */
#include <stdlib.h>
#include <string.h>

#include "pdb_internal.h"

/* The policy's id, or -1 with "no such policy" / a database error. */
static int64_t sk_pdb_need_policy(struct sk_pdb *pdb, const char *policy, char **err)
{
    int64_t id = sk_pdb_policy_id(pdb, policy, err);

    if (id == 0)
        return sk_pdb_errf(err, "no such policy '%s'", policy);
    return id;
}

int sk_pdb_resolve_setting(struct sk_pdb *pdb, const char *policy, const char *key, char **value,
                           const char **from, char **err)
{
    /* The policy's own row sorts first, then the default policy's. */
    static const char sql[] =
        "SELECT s.value, p.name = 'default' FROM settings s JOIN policies p"
        " ON p.id = s.policy_id WHERE s.key = ?1 AND p.name IN (?2, 'default')"
        " ORDER BY p.name = 'default' LIMIT 1";
    const struct sk_pdb_setting_def *d;
    sqlite3_stmt *st = NULL;
    const char *src = "built-in", *stored;
    char *canon = NULL;
    int rc = -1, step;

    *value = NULL;
    if (policy == NULL)
        policy = SK_PDB_DEFAULT_POLICY;
    if ((d = sk_pdb_setting_find(key)) == NULL)
        return sk_pdb_setting_validate(key, "", NULL, err);
    if (sk_pdb_need_policy(pdb, policy, err) == -1)
        return -1;
    if (sqlite3_prepare_v2(pdb->db, sql, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(st, 2, policy, -1, SQLITE_STATIC) != SQLITE_OK) {
        sk_pdb_sqlerr(pdb, err, "cannot read settings");
        goto out;
    }
    step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        stored = (const char *)sqlite3_column_text(st, 0);
        src = sqlite3_column_int(st, 1) && strcmp(policy, SK_PDB_DEFAULT_POLICY) != 0
                  ? "default-policy"
                  : "policy";
        /* A hand-edited value must not reach the server unchecked. */
        if (stored == NULL || sk_pdb_setting_validate(key, stored, &canon, NULL) == -1) {
            sk_pdb_errf(err, "policy database %s: invalid stored value of %s in policy '%s'",
                        pdb->path, key, policy);
            goto out;
        }
    } else if (step == SQLITE_DONE) {
        if ((canon = strdup(d->def)) == NULL) {
            sk_pdb_errf(err, "out of memory");
            goto out;
        }
    } else {
        sk_pdb_sqlerr(pdb, err, "cannot read settings");
        goto out;
    }
    *value = canon;
    canon = NULL;
    if (from != NULL)
        *from = src;
    rc = 0;
out:
    free(canon);
    sqlite3_finalize(st);
    return rc;
}

int sk_pdb_get_setting(struct sk_pdb *pdb, const char *policy, const char *key, char **value,
                       char **err)
{
    return sk_pdb_resolve_setting(pdb, policy, key, value, NULL, err);
}

static int sk_pdb_in_write(struct sk_pdb *pdb, char **err)
{
    if (!(pdb->flags & SK_PDB_RW) || sqlite3_get_autocommit(pdb->db))
        return sk_pdb_errf(err, "policy database %s: change outside a write transaction",
                           pdb->path);
    return 0;
}

int sk_pdb_set_setting(struct sk_pdb *pdb, const char *policy, const char *key, const char *value,
                       char **err)
{
    static const char sql[] = "INSERT INTO settings(policy_id, key, value) VALUES (?1, ?2, ?3)"
                              " ON CONFLICT(policy_id, key) DO UPDATE SET value = excluded.value";
    sqlite3_stmt *st = NULL;
    char *canon = NULL;
    int64_t id;
    int rc = -1;

    if (policy == NULL)
        policy = SK_PDB_DEFAULT_POLICY;
    if (sk_pdb_in_write(pdb, err) == -1 || sk_pdb_setting_validate(key, value, &canon, err) == -1 ||
        (id = sk_pdb_need_policy(pdb, policy, err)) == -1)
        goto out;
    if (sqlite3_prepare_v2(pdb->db, sql, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_int64(st, 1, id) != SQLITE_OK ||
        sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(st, 3, canon, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_DONE) {
        sk_pdb_sqlerr(pdb, err, "cannot store setting");
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    free(canon);
    return rc;
}

int sk_pdb_unset_setting(struct sk_pdb *pdb, const char *policy, const char *key, char **err)
{
    sqlite3_stmt *st = NULL;
    int64_t id;
    int rc = -1;

    if (policy == NULL)
        policy = SK_PDB_DEFAULT_POLICY;
    if (sk_pdb_in_write(pdb, err) == -1)
        goto out;
    if (sk_pdb_setting_find(key) == NULL) {
        sk_pdb_setting_validate(key, "", NULL, err);
        goto out;
    }
    if ((id = sk_pdb_need_policy(pdb, policy, err)) == -1)
        goto out;
    if (sqlite3_prepare_v2(pdb->db, "DELETE FROM settings WHERE policy_id = ?1 AND key = ?2", -1,
                           &st, NULL) != SQLITE_OK ||
        sqlite3_bind_int64(st, 1, id) != SQLITE_OK ||
        sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_DONE) {
        sk_pdb_sqlerr(pdb, err, "cannot remove setting");
        goto out;
    }
    rc = sqlite3_changes(pdb->db) > 0 ? 1 : 0;
out:
    sqlite3_finalize(st);
    return rc;
}

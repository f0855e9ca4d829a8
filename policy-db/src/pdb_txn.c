/* pdb_txn.c - write transactions (generation bump + history row), history
 * listing, policy lookup. Trust: called by the CLI, the only writer. */
#include <stdlib.h>

#include "pdb_internal.h"

int sk_pdb_write_begin(struct sk_pdb *pdb, char **err)
{
    if (!(pdb->flags & SK_PDB_RW))
        return sk_pdb_errf(err, "policy database %s: opened read-only", pdb->path);
    if (!sqlite3_get_autocommit(pdb->db))
        return sk_pdb_errf(err, "policy database %s: a write is already in progress", pdb->path);
    /* IMMEDIATE takes the write lock now, so two CLIs queue on the busy
     * timeout instead of failing at their first write. */
    if (sqlite3_exec(pdb->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return sk_pdb_sqlerr(pdb, err, "cannot start a write");
    return 0;
}

void sk_pdb_write_rollback(struct sk_pdb *pdb)
{
    if (pdb != NULL && pdb->db != NULL && !sqlite3_get_autocommit(pdb->db))
        sqlite3_exec(pdb->db, "ROLLBACK", NULL, NULL, NULL);
}

int64_t sk_pdb_write_commit(struct sk_pdb *pdb, const char *actor, const char *command, char **err)
{
    static const char bump[] =
        "UPDATE meta SET value = value + 1 WHERE key = 'generation' RETURNING value";
    static const char hist[] = "INSERT INTO history(generation, at, actor, command)"
                               " VALUES (?1, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ?2, ?3)";
    sqlite3_stmt *st = NULL;
    int64_t gen = -1;

    if (sqlite3_get_autocommit(pdb->db)) {
        sk_pdb_errf(err, "policy database %s: commit without a write", pdb->path);
        return -1;
    }
    if (sqlite3_prepare_v2(pdb->db, bump, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        sk_pdb_sqlerr(pdb, err, "cannot bump the generation");
        goto fail;
    }
    gen = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(pdb->db, hist, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_int64(st, 1, gen) != SQLITE_OK ||
        sqlite3_bind_text(st, 2, actor ? actor : "unknown", -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(st, 3, command ? command : "", -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_DONE) {
        sk_pdb_sqlerr(pdb, err, "cannot record history");
        goto fail;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_exec(pdb->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        sk_pdb_sqlerr(pdb, err, "cannot commit");
        goto fail;
    }
    /* Fold the change into the main file and empty the WAL. Left behind, a
     * large write (a 1M-domain import writes ~70 MB of WAL) made every
     * server poll - a fresh read-only connection, twice a second per c-icap
     * child - re-read and checksum the whole WAL to rebuild its index:
     * ~100 ms of CPU each. Best effort: the change is committed either way. */
    sqlite3_exec(pdb->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    return gen;
fail:
    sqlite3_finalize(st);
    sk_pdb_write_rollback(pdb);
    return -1;
}

int64_t sk_pdb_policy_id(struct sk_pdb *pdb, const char *name, char **err)
{
    sqlite3_stmt *st = NULL;
    int64_t id = -1;

    if (sqlite3_prepare_v2(pdb->db, "SELECT id FROM policies WHERE name = ?1", -1, &st, NULL) !=
            SQLITE_OK ||
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC) != SQLITE_OK) {
        sk_pdb_sqlerr(pdb, err, "cannot read policies");
        goto out;
    }
    switch (sqlite3_step(st)) {
    case SQLITE_ROW:
        id = sqlite3_column_int64(st, 0);
        break;
    case SQLITE_DONE:
        id = 0;
        break;
    default:
        sk_pdb_sqlerr(pdb, err, "cannot read policies");
    }
out:
    sqlite3_finalize(st);
    return id;
}

static const char *sk_pdb_col(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

int sk_pdb_history(struct sk_pdb *pdb, int64_t limit, sk_pdb_history_fn fn, void *arg, char **err)
{
    static const char sql[] =
        "SELECT generation, at, actor, command FROM"
        " (SELECT * FROM history ORDER BY generation DESC LIMIT ?1) ORDER BY generation";
    sqlite3_stmt *st = NULL;
    int rc = -1, step;

    if (sqlite3_prepare_v2(pdb->db, sql, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_int64(st, 1, limit > 0 ? limit : -1) != SQLITE_OK) {
        sk_pdb_sqlerr(pdb, err, "cannot read history");
        goto out;
    }
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (fn(arg, sqlite3_column_int64(st, 0), sk_pdb_col(st, 1), sk_pdb_col(st, 2),
               sk_pdb_col(st, 3)) == -1) {
            sk_pdb_errf(err, "policy database %s: history listing stopped", pdb->path);
            goto out;
        }
    }
    if (step != SQLITE_DONE) {
        sk_pdb_sqlerr(pdb, err, "cannot read history");
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    return rc;
}

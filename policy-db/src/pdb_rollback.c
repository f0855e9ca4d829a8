/* pdb_rollback.c - per-generation snapshots of the policy state and
 * rollback to one of them. Bounded: SK_PDB_SNAPSHOT_KEEP generations; a
 * category's entries are archived once per import (category_versions) and
 * referenced, not copied, by snapshots. Trust: CLI only (the one writer). */
#include <stdlib.h>

#include "pdb_store.h"

static int sk_pdb_exec_gen(struct sk_pdb *pdb, const char *sql, int64_t gen, char **err)
{
    sqlite3_stmt *st = NULL;
    int rc = -1;

    if (sqlite3_prepare_v2(pdb->db, sql, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_int64(st, 1, gen) != SQLITE_OK ||
        sqlite3_bind_int64(st, 2, SK_PDB_SNAPSHOT_KEEP) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_DONE) {
        sk_pdb_sqlerr(pdb, err, "cannot store the snapshot");
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    return rc;
}

int sk_pdb_snapshot_save(struct sk_pdb *pdb, int64_t gen, char **err)
{
    struct sk_buf doc = {0};
    sqlite3_stmt *st = NULL;
    int rc = -1;

    if (sk_pdb_export_buf(pdb, SK_PDB_EXPORT_REFS, &doc, err) == -1)
        goto out;
    if (sqlite3_prepare_v2(pdb->db,
                           "INSERT OR REPLACE INTO snapshots(generation, document)"
                           " VALUES (?1, ?2)",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_int64(st, 1, gen) != SQLITE_OK ||
        sqlite3_bind_text(st, 2, doc.data, (int)doc.len, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_DONE) {
        sk_pdb_sqlerr(pdb, err, "cannot store the snapshot");
        goto out;
    }
    /* ?2 is bound by sk_pdb_exec_gen for every statement; unused ones
     * compare it with itself. */
    if (sk_pdb_exec_gen(pdb,
                        "INSERT OR IGNORE INTO snapshot_categories(generation, version_id)"
                        " SELECT ?1, version_id FROM category_current WHERE ?2 = ?2",
                        gen, err) == -1 ||
        sk_pdb_exec_gen(pdb, "DELETE FROM snapshots WHERE generation <= ?1 - ?2", gen, err) == -1 ||
        sk_pdb_exec_gen(pdb,
                        "DELETE FROM category_versions WHERE ?1 = ?1 AND ?2 = ?2"
                        " AND id NOT IN (SELECT version_id FROM snapshot_categories)"
                        " AND id NOT IN (SELECT version_id FROM category_current)",
                        gen, err) == -1)
        goto out;
    rc = 0;
out:
    sqlite3_finalize(st);
    free(doc.data);
    return rc;
}

int64_t sk_pdb_snapshot_oldest(struct sk_pdb *pdb, char **err)
{
    int64_t g;

    if (sk_pdb_query_int(pdb, "SELECT coalesce(min(generation), 0) FROM snapshots", &g, err) == -1)
        return -1;
    return g;
}

/* Why GEN cannot be restored: one line in *err; always -1. */
static int sk_pdb_no_snapshot(struct sk_pdb *pdb, int64_t gen, char **err)
{
    int64_t cur = sk_pdb_generation(pdb), oldest = sk_pdb_snapshot_oldest(pdb, NULL);

    if (gen < 1 || gen > cur)
        return sk_pdb_errf(err, "no generation %lld (the current generation is %lld)",
                           (long long)gen, (long long)cur);
    return sk_pdb_errf(err,
                       "the state of generation %lld is no longer stored (snapshots are"
                       " kept for the newest %d generations; the oldest one stored is %lld)",
                       (long long)gen, SK_PDB_SNAPSHOT_KEEP, (long long)oldest);
}

int sk_pdb_rollback(struct sk_pdb *pdb, int64_t gen, char **err)
{
    struct sk_buf doc = {0};
    sqlite3_stmt *st = NULL;
    int rc = -1, step;

    if (sqlite3_prepare_v2(pdb->db, "SELECT document FROM snapshots WHERE generation = ?1", -1, &st,
                           NULL) != SQLITE_OK ||
        sqlite3_bind_int64(st, 1, gen) != SQLITE_OK) {
        sk_pdb_sqlerr(pdb, err, "cannot read snapshots");
        goto out;
    }
    if ((step = sqlite3_step(st)) != SQLITE_ROW) {
        if (step == SQLITE_DONE)
            sk_pdb_no_snapshot(pdb, gen, err);
        else
            sk_pdb_sqlerr(pdb, err, "cannot read snapshots");
        goto out;
    }
    /* Copy it and finish the read first: the import drops a temp table,
     * which SQLite refuses while a statement is still active. */
    if (sqlite3_column_text(st, 0) == NULL ||
        sk_buf_append(&doc, (const char *)sqlite3_column_text(st, 0),
                      (size_t)sqlite3_column_bytes(st, 0)) == -1) {
        rc = sk_pdb_errf(err, "out of memory");
        goto out;
    }
    sqlite3_finalize(st);
    st = NULL;
    rc = sk_pdb_import_doc(pdb, doc.data, doc.len, SK_PDB_EXPORT_REFS, err);
    /* A snapshot the importer refuses is damage, not the caller's input. */
    if (rc == SK_PDB_REJECT)
        rc = -1;
out:
    sqlite3_finalize(st);
    free(doc.data);
    return rc;
}

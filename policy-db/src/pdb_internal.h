/* pdb_internal.h - types and helpers shared by the policy library's files;
 * not installed, not for the server or the CLI. */
#ifndef SK_PDB_INTERNAL_H
#define SK_PDB_INTERNAL_H

#include <sekisho/policy_db.h>

struct sk_pdb {
    sqlite3 *db;
    char *path;
    unsigned flags;
    int created; /* sk_pdb_open() created the file */
};

/* Set *err (if ERR is not NULL) to a malloc'd formatted message; always -1. */
int sk_pdb_errf(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "policy database PATH: WHAT: sqlite message"; always -1. */
int sk_pdb_sqlerr(struct sk_pdb *pdb, char **err, const char *what);
/* Run SQL (one or more statements, no results); 0/-1 with *err. */
int sk_pdb_exec(struct sk_pdb *pdb, const char *sql, char **err);

/* First column of the first row of SQL as an integer; 0/-1 with *err
 * (ERR may be NULL). */
int sk_pdb_query_int(struct sk_pdb *pdb, const char *sql, int64_t *out, char **err);

/* Schema SQL of migration step VERSION (1..SK_PDB_SCHEMA_VERSION). */
const char *sk_pdb_migration_sql(int version);

#endif

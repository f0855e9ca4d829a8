/* policy_db.h - the Sekisho policy database: open/check/init, generation,
 * write transactions with history, and the settings registry. */
#ifndef SEKISHO_POLICY_DB_H
#define SEKISHO_POLICY_DB_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

/* Schema version this build reads and writes (PRAGMA user_version). */
#define SK_PDB_SCHEMA_VERSION 1
/* PRAGMA application_id of every Sekisho policy database ("SKPD"). */
#define SK_PDB_APPLICATION_ID 0x534B5044
/* Name of the built-in policy that matches every client; always present. */
#define SK_PDB_DEFAULT_POLICY "default"
/* Default database path when neither --db nor $SEKISHO_POLICY_DB is given. */
#define SK_PDB_DEFAULT_PATH "/var/lib/sekisho/policy.db"

struct sk_pdb; /* opaque handle */

#define SK_PDB_RO 0x1     /* read-only: used by the server */
#define SK_PDB_RW 0x2     /* read-write: used by the CLI */
#define SK_PDB_CREATE 0x4 /* create the file if missing (with RW) */

/*
 * Open PATH. SK_PDB_RO and SK_PDB_RW without SK_PDB_CREATE require an
 * initialised Sekisho database of schema SK_PDB_SCHEMA_VERSION.
 * SK_PDB_RW|SK_PDB_CREATE also accepts a missing file (created mode 0640,
 * umask-independent; the parent directory must exist) or an empty one, for
 * sk_pdb_init(). Every connection gets a 5 s busy timeout and foreign keys on.
 * Returns the handle (caller closes), or NULL with a malloc'd one-line *err
 * naming the file (caller frees).
 */
struct sk_pdb *sk_pdb_open(const char *path, unsigned flags, char **err);
void sk_pdb_close(struct sk_pdb *);
/* The underlying connection, borrowed until sk_pdb_close(). */
sqlite3 *sk_pdb_sqlite(struct sk_pdb *);
/* Path given to sk_pdb_open(), borrowed until sk_pdb_close(). */
const char *sk_pdb_path(struct sk_pdb *);
/* 1 if sk_pdb_open() created the file, else 0 (lets the CLI remove a file
 * it created when init then fails). */
int sk_pdb_created(struct sk_pdb *);

/*
 * Create or migrate the schema and the built-in default policy. Each
 * migration step is one transaction that bumps the generation and writes a
 * history row (actor, command). Idempotent: on a current database it changes
 * nothing. Refuses foreign databases and newer schemas. 0, or -1 with *err.
 * sk_pdb_init() records the command as "init".
 */
int sk_pdb_init(struct sk_pdb *, const char *actor, char **err);
int sk_pdb_init_cmd(struct sk_pdb *, const char *actor, const char *command, char **err);

/* Current generation (>= 1 after init), -1 on error. */
int64_t sk_pdb_generation(struct sk_pdb *);
/* PRAGMA user_version, -1 on error. */
int sk_pdb_schema_version(struct sk_pdb *);

/*
 * For the launcher: is PATH an existing, readable Sekisho policy database of
 * the schema version this build understands? 0, or -1 with a one-line
 * malloc'd *err that names the file, the problem and, where there is one,
 * the command that fixes it.
 */
int sk_pdb_check(const char *path, char **err);

/*
 * Write transactions. A CLI write command is exactly one
 * sk_pdb_write_begin() .. sk_pdb_write_commit() pair: the commit bumps the
 * generation by one and records (generation, UTC time, actor, command) in
 * history, atomically with the changes. begin: 0/-1 (BEGIN IMMEDIATE, so
 * concurrent writers queue on the busy timeout). commit: the new generation,
 * or -1 with *err after rolling everything back. rollback: always safe.
 */
int sk_pdb_write_begin(struct sk_pdb *, char **err);
int64_t sk_pdb_write_commit(struct sk_pdb *, const char *actor, const char *command, char **err);
void sk_pdb_write_rollback(struct sk_pdb *);

/* id (> 0) of policy NAME, 0 if there is none (no *err), -1 on error. */
int64_t sk_pdb_policy_id(struct sk_pdb *, const char *name, char **err);

/* History rows, oldest first; LIMIT > 0 keeps only the newest LIMIT rows.
 * FN returns 0 to go on, -1 to stop (sk_pdb_history then returns -1). */
typedef int (*sk_pdb_history_fn)(void *arg, int64_t generation, const char *at,
                                 const char *actor, const char *command);
int sk_pdb_history(struct sk_pdb *, int64_t limit, sk_pdb_history_fn fn, void *arg, char **err);

/* S quoted for a POSIX shell where needed ("a b" -> "'a b'"), for history
 * command text and for the commands quoted in messages. Caller frees;
 * NULL when out of memory. */
char *sk_pdb_shell_quote(const char *s);

/* ---- settings registry ---- */

enum sk_pdb_type {
    SK_PDB_T_BOOL,     /* on|off (accepts true/false, yes/no, 1/0) */
    SK_PDB_T_SIZE,     /* bytes, optional K/M/G suffix (powers of 1024) */
    SK_PDB_T_INT,      /* signed decimal */
    SK_PDB_T_DURATION, /* seconds, optional s/m/h/d suffix */
    SK_PDB_T_ENUM,     /* one of .choices ("block|allow") */
    SK_PDB_T_STRING,   /* UTF-8, no control characters, <= 1024 bytes */
};

struct sk_pdb_setting_def {
    const char *key;
    enum sk_pdb_type type;
    const char *def;     /* default, in canonical form */
    const char *choices; /* SK_PDB_T_ENUM only: "a|b|c" */
    int64_t min, max;    /* SIZE (bytes), INT, DURATION (seconds) bounds */
    const char *help;
};

/* The registry, static; *count gets its length. */
const struct sk_pdb_setting_def *sk_pdb_settings(size_t *count);
/* Entry for KEY (static), or NULL if KEY is not a setting. */
const struct sk_pdb_setting_def *sk_pdb_setting_find(const char *key);
const char *sk_pdb_type_name(enum sk_pdb_type);

/*
 * Validate VALUE for KEY. 0 with *canonical (malloc'd, caller frees; may be
 * NULL if not wanted) set to the normal form stored in the database
 * (e.g. "1024K" -> "1M", "yes" -> "on", "240m" -> "4h"); -1 with *err naming
 * the key and what is accepted.
 */
int sk_pdb_setting_validate(const char *key, const char *value, char **canonical, char **err);

/* Parsers shared by the CLI and the server, so both read values alike.
 * 0, or -1 if TEXT is not a valid value of the type. */
int sk_pdb_parse_bool(const char *text, int *out);
int sk_pdb_parse_size(const char *text, uint64_t *bytes);
int sk_pdb_parse_duration(const char *text, uint64_t *seconds);

/*
 * Effective value of KEY for POLICY (NULL = the default policy): the
 * policy's own value, else the default policy's, else the built-in default.
 * *value is malloc'd (caller frees). *from (optional) gets "policy",
 * "default-policy" or "built-in" (static). 0, or -1 with *err for an
 * unknown key, unknown policy or database error.
 */
int sk_pdb_get_setting(struct sk_pdb *, const char *policy, const char *key, char **value,
                       char **err);
int sk_pdb_resolve_setting(struct sk_pdb *, const char *policy, const char *key, char **value,
                           const char **from, char **err);

/* Inside a write transaction: validate and store (canonical form) or remove
 * POLICY's own value of KEY (NULL = default policy). set: 0, or -1 with *err
 * (nothing changed). unset: 1 removed, 0 there was none, -1 with *err. */
int sk_pdb_set_setting(struct sk_pdb *, const char *policy, const char *key, const char *value,
                       char **err);
int sk_pdb_unset_setting(struct sk_pdb *, const char *policy, const char *key, char **err);

#endif

/* policy_db.h - the Sekisho policy database: open/check/init, generation,
 * write transactions with history, and the settings registry. */
#ifndef SEKISHO_POLICY_DB_H
#define SEKISHO_POLICY_DB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

#include <sekisho/policy_settings.h>

/* Schema version this build reads and writes (PRAGMA user_version). */
#define SK_PDB_SCHEMA_VERSION 6
/* PRAGMA application_id of every Sekisho policy database ("SKPD"). */
#define SK_PDB_APPLICATION_ID 0x534B5044
/* Name of the built-in policy that matches every client; always present. */
#define SK_PDB_DEFAULT_POLICY "default"
/* Default database path when neither --db nor $SEKISHO_POLICY_DB is given. */
#define SK_PDB_DEFAULT_PATH "/var/lib/sekisho/policy.db"

struct sk_pdb; /* opaque handle */

#define SK_PDB_RO     0x1 /* read-only: used by the server */
#define SK_PDB_RW     0x2 /* read-write: used by the CLI */
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
typedef int (*sk_pdb_history_fn)(void *arg, int64_t generation, const char *at, const char *actor,
                                 const char *command);
int sk_pdb_history(struct sk_pdb *, int64_t limit, sk_pdb_history_fn fn, void *arg, char **err);

/* S quoted for a POSIX shell where needed ("a b" -> "'a b'"), for history
 * command text and for the commands quoted in messages. Caller frees;
 * NULL when out of memory. */
char *sk_pdb_shell_quote(const char *s);

/* ---- settings registry: sekisho/policy_settings.h (read API) ---- */

/*
 * Validate VALUE for KEY. 0 with *canonical (malloc'd, caller frees; may be
 * NULL if not wanted) set to the normal form stored in the database
 * (e.g. "1024K" -> "1M", "yes" -> "on", "240m" -> "4h"); -1 with *err naming
 * the key and what is accepted.
 */
int sk_pdb_setting_validate(const char *key, const char *value, char **canonical, char **err);

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

/* ---- policies, URL rules, categories, export/import, rollback ----
 * Write helpers below run inside sk_pdb_write_begin() .. _commit() and
 * return 0 (or a count), -1 for an operation failure (database error), or
 * SK_PDB_REJECT when the input is invalid (unknown policy, bad CIDR, bad
 * regex, ...): the caller rolls back and reports a usage error. *err is a
 * malloc'd one-line message in both cases (caller frees). */
#define SK_PDB_REJECT (-2)

/* Directories (issue 14 item 3; pdb_directory.c). URIS: ldap:// or
 * ldaps:// host[:port] only, canonical with the port written (389/636, or
 * 3268/3269 with GLOBAL_CATALOG), joined by spaces in failover order; BASE
 * and BIND_DN: valid DNs (BASE may be empty only with GLOBAL_CATALOG: the
 * whole forest); GROUP_ATTRS: member attribute names (NULL/none: member,
 * uniqueMember); PASSWORD_FILE: absolute, and when CHECK_FILE a private
 * regular file (sk_dir_password_check). Name 1..64 of [A-Za-z0-9._-].
 * add: 0, -1, SK_PDB_REJECT (invalid, or the name is taken). rm: 1
 * removed, 0 no such directory, -1. */
struct sk_pdb_dir_spec {
    const char *name, *base, *bind_dn, *password_file;
    const char *const *uris;
    size_t nuris;
    const char *const *group_attrs;
    size_t ngroup_attrs;
    /* served domains (schema v6): NetBIOS names (1..15 of A-Z a-z 0-9 - _
     * .) and realms (DNS names); each item may be a comma list; none:
     * derived from BASE (sk_dir_base_domains) when the snapshot is built */
    const char *const *domains;
    size_t ndomains;
    const char *const *realms;
    size_t nrealms;
    int global_catalog, check_file;
};
int sk_pdb_directory_add(struct sk_pdb *, const struct sk_pdb_dir_spec *, char **err);
/* Replace NAME's domains (when SPEC->ndomains) and/or realms (when
 * SPEC->nrealms); SPEC->name names the directory, other fields unused.
 * 0, -1, SK_PDB_REJECT (invalid, no such directory). */
int sk_pdb_directory_set_domains(struct sk_pdb *, const struct sk_pdb_dir_spec *, char **err);
int sk_pdb_directory_rm(struct sk_pdb *, const char *name, char **err);
/* The same validation without a database (the CLI refuses before opening). */
int sk_pdb_directory_valid(const struct sk_pdb_dir_spec *, char **err);

/* Priorities: user policies 0..SK_PDB_PRIORITY_MAX, default is above. */
#define SK_PDB_PRIORITY_MAX     999999
#define SK_PDB_PRIORITY_DEFAULT 1000000
/* Snapshots (for rollback) of this many newest generations are kept. */
#define SK_PDB_SNAPSHOT_KEEP 200

/* Validate and canonicalise a policy scope value. KIND is "client-ip",
 * "user" or "group". client-ip: an IPv4/IPv6 address or CIDR; canonical
 * "ADDR/PREFIX" in inet_ntop form; host bits set are refused (naming the
 * network). user/group: 1..256 bytes, no control characters, kept as given.
 * 0 with *canon (caller frees), or -1 with *err. */
int sk_pdb_scope_canon(const char *kind, const char *value, char **canon, char **err);
/* Policy names: 1..64 bytes of [A-Za-z0-9._-], not starting with '-'. 0/-1. */
int sk_pdb_policy_name_valid(const char *name, char **err);

/* Add policy NAME at PRIORITY (-1: 10 above the highest user priority, at
 * least 100). Returns the priority used, -1, or SK_PDB_REJECT (name taken,
 * priority taken or out of range). */
int64_t sk_pdb_policy_add(struct sk_pdb *, const char *name, int64_t priority, const char *comment,
                          char **err);
/* Remove a user policy and everything it holds. 0, -1, SK_PDB_REJECT. */
int sk_pdb_policy_rm(struct sk_pdb *, const char *name, char **err);
/* Change priority (-1: keep), comment (NULL: keep), enabled (-1: keep). */
int sk_pdb_policy_update(struct sk_pdb *, const char *name, int64_t priority, const char *comment,
                         int enabled, char **err);
/* Add / remove one scope entry (VALUE canonicalised as above). 1 changed,
 * 0 it was already there / was not there, -1, SK_PDB_REJECT. */
int sk_pdb_scope_add(struct sk_pdb *, const char *policy, const char *kind, const char *value,
                     char **err);
int sk_pdb_scope_rm(struct sk_pdb *, const char *policy, const char *kind, const char *value,
                    char **err);

/* URL rules. LIST block|allow|approved; MATCH exact|prefix|substring|domain|
 * regex. domain: "example.com" or "*.example.com" (both mean the domain and
 * its subdomains; canonical drops "*." and a trailing dot, lower-cases, and
 * turns IDN U-labels into A-labels); regex: must compile with PCRE2 (the
 * error names the offset); others: 1..4096 bytes, no whitespace or control
 * characters. 0 with *canon (caller frees), or -1 with *err. */
int sk_pdb_url_canon(const char *list, const char *match, const char *pattern, char **canon,
                     char **err);
/* Add a rule to POLICY (NULL: default). The new rule's id, 0 if the same
 * rule is already there (nothing changed), -1, SK_PDB_REJECT. */
int64_t sk_pdb_url_add(struct sk_pdb *, const char *policy, const char *list, const char *match,
                       const char *pattern, const char *comment, char **err);
/* Remove by id, or by (policy, list, match, pattern). 1 removed, 0 there
 * was no such rule, -1, SK_PDB_REJECT. */
int sk_pdb_url_rm_id(struct sk_pdb *, int64_t id, char **err);
int sk_pdb_url_rm(struct sk_pdb *, const char *policy, const char *list, const char *match,
                  const char *pattern, char **err);

/* Domain-list entry: lower-cased, without leading '.', "*." or trailing '.',
 * IDN as A-labels. 0 with *canon, -1 with *err. */
int sk_pdb_domain_canon(const char *text, char **canon, char **err);

struct sk_pdb_import_stats {
    int64_t domains, urls, expressions; /* entries stored (after de-duplication) */
    int64_t lines, invalid, duplicates; /* data lines read, refused, repeated */
    int64_t first_invalid_line;         /* 1-based line of the first refused one */
    char first_invalid_file[16];        /* "domains", "urls" or "expressions" */
};
/* Import (or re-import, replacing) category NAME from a squidGuard/UT1
 * directory: DIR/domains and DIR/urls (either may be missing, not both),
 * DIR/expressions optional. Invalid lines are counted and skipped; more
 * than 10% of the data lines invalid refuses the import (not a list).
 * 0, -1, SK_PDB_REJECT (unreadable directory/file, bad name, garbage). */
int sk_pdb_category_import(struct sk_pdb *, const char *name, const char *dir,
                           struct sk_pdb_import_stats *, char **err);
/* The same, recording SOURCE (e.g. the URL it was downloaded from) as the
 * category's source instead of DIR's real path. */
int sk_pdb_category_import_src(struct sk_pdb *, const char *name, const char *dir,
                               const char *source, struct sk_pdb_import_stats *, char **err);
/* Remove category NAME (and its blocks in every policy). 0/-1/REJECT. */
int sk_pdb_category_rm(struct sk_pdb *, const char *name, char **err);
/* Block (BLOCK=1) or unblock category NAME in POLICY (NULL: default).
 * 1 changed, 0 already so, -1, SK_PDB_REJECT. */
int sk_pdb_category_block(struct sk_pdb *, const char *policy, const char *name, int block,
                          char **err);

/* Write the whole policy as one JSON document (deterministic: the same
 * state always gives the same bytes). 0, or -1 with *err. */
int sk_pdb_export(struct sk_pdb *, FILE *out, char **err);
/* SHA-256 of the canonical export, as 64 lower-case hex digits in OUT:
 * the policy's content hash. Equal content gives an equal hash on any
 * database, whatever its generation or history (export -> import keeps
 * it); any difference that export can show changes it. Runs in the
 * caller's read transaction when there is one. 0, or -1 with *err. */
int sk_pdb_content_hash(struct sk_pdb *, char out[SK_PDB_HASH_HEX + 1], char **err);
/* SHA-256 of P (N bytes) as 64 lower-case hex digits (the content hash's
 * form; also bundle manifests and key ids). 0, or -1 with OUT empty. */
int sk_pdb_sha256_hex(const void *p, size_t n, char out[SK_PDB_HASH_HEX + 1]);
/* Inside a write: replace the whole policy with the document TEXT (LEN
 * bytes) as written by sk_pdb_export(). Every value is validated as the
 * commands validate it; 0, -1, SK_PDB_REJECT (nothing changed). */
int sk_pdb_import(struct sk_pdb *, const char *text, size_t len, char **err);

/* Inside a write that will commit as generation GEN: store the policy
 * state as GEN's snapshot and prune snapshots older than
 * SK_PDB_SNAPSHOT_KEEP generations (and the category versions no snapshot
 * or category uses any more). 0, or -1 with *err. */
int sk_pdb_snapshot_save(struct sk_pdb *, int64_t gen, char **err);
/* Inside a write: restore the policy state of generation GEN. 0, -1,
 * SK_PDB_REJECT (unknown generation, or its snapshot was pruned). */
int sk_pdb_rollback(struct sk_pdb *, int64_t gen, char **err);
/* Oldest generation that still has a snapshot, 0 if none, -1 on error. */
int64_t sk_pdb_snapshot_oldest(struct sk_pdb *, char **err);

/* ---- DLP templates (pdb_dlp.c) ----
 * A template's detectors are stored canonical, one per line, in the order
 * given: a built-in name (credit-card, my-number, corporate-number, ssn,
 * iban, email, jp-phone; case-insensitive on input), "keyword:WORD" or
 * "regex:RE" (WORD/RE: 1..1024 bytes of UTF-8, no control characters; RE
 * must compile with PCRE2 in UTF + MATCH_INVALID_UTF mode and must not
 * match the empty string). The dlp module reads exactly this form. */
/* The built-in detector names, NULL-terminated (static). */
const char *const *sk_pdb_dlp_builtin_names(void);
/* Validate one detector; 0 with *canon (caller frees) or -1 with *err. */
int sk_pdb_dlp_detector_canon(const char *spec, char **canon, char **err);
/* Compile RE as the dlp module does. 0 with *code (a pcre2_code *, caller
 * frees with pcre2_code_free; CODE may be NULL to only validate), or -1
 * with *err quoting PCRE2's message and offset. */
int sk_pdb_dlp_regex_compile(const char *re, void **code, char **err);
/* Is STORED (one detector per line) a valid, canonical detector list? 0/-1. */
int sk_pdb_dlp_detectors_check(const char *stored, char **err);
/* Template names: 1..64 bytes of UTF-8 without control characters. 0/-1. */
int sk_pdb_dlp_name_valid(const char *name, char **err);
/* Add template NAME to POLICY (NULL: default) with N detectors (validated,
 * canonicalised, repeats dropped), MIN_COUNT 1..1000000 and ACTION
 * block|log. The new row id, -1, or SK_PDB_REJECT (bad input, unknown
 * policy, or a template of that name already in the policy). */
int64_t sk_pdb_dlp_add(struct sk_pdb *, const char *policy, const char *name,
                       const char *const *detectors, size_t n, int64_t min_count,
                       const char *action, char **err);
/* Remove template NAME from POLICY (NULL: default). 1 removed, 0 there was
 * none, -1, SK_PDB_REJECT (unknown policy). */
int sk_pdb_dlp_rm(struct sk_pdb *, const char *policy, const char *name, char **err);

/* ---- schedules (schema v4, pdb_schedule.c) ---- */
/*
 * Validate a schedule: DAYS ("mon-fri", "sat,sun", "all"; NULL = all),
 * TIMES ("09:00-12:00"; none = all day), TZ (a zone under
 * /usr/share/zoneinfo, "UTC", or NULL/"" = the node's local zone; the zone
 * must load on this machine). Canonical days and times (comma-joined,
 * sorted, merged) in malloc'd *DAYS_OUT and *TIMES_OUT; 0 or -1 with *err.
 */
int sk_pdb_schedule_canon(const char *days, const char *const *times, size_t ntimes, const char *tz,
                          char **days_out, char **times_out, char **err);
/* Add schedule NAME, or replace its days, times and zone. 1, -1,
 * SK_PDB_REJECT (bad input). */
int64_t sk_pdb_schedule_add(struct sk_pdb *, const char *name, const char *days,
                            const char *const *times, size_t ntimes, const char *tz, char **err);
/* Remove schedule NAME: 0; SK_PDB_REJECT when it does not exist or rules,
 * category blocks or DLP templates still use it (*err names them). */
int sk_pdb_schedule_rm(struct sk_pdb *, const char *name, char **err);
/* WHEN is "NAME" or "!NAME" of an existing schedule: 0, else SK_PDB_REJECT. */
int sk_pdb_when_check(struct sk_pdb *, const char *when, char **err);
/* Set (WHEN NULL: clear) the schedule of a URL rule, a category block or
 * a DLP template given by its natural key. Rows changed (0: no such row),
 * -1, SK_PDB_REJECT. */
int sk_pdb_url_when(struct sk_pdb *, const char *policy, const char *list, const char *match,
                    const char *pattern, const char *when, char **err);
int sk_pdb_category_when(struct sk_pdb *, const char *policy, const char *name, const char *when,
                         char **err);
int sk_pdb_dlp_when(struct sk_pdb *, const char *policy, const char *name, const char *when,
                    char **err);

#endif

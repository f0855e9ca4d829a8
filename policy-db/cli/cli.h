/* cli.h - shared state and helpers of the sekisho-policy command groups. */
#ifndef SK_CLI_H
#define SK_CLI_H

#include <stdint.h>
#include <stdio.h>

#include <sekisho/policy_db.h>

/* Exit codes: a contract with scripts. */
#define SK_CLI_OK    0
#define SK_CLI_FAIL  1 /* the operation failed (database missing, unreadable, ...) */
#define SK_CLI_USAGE 2 /* bad input: nothing was changed */

/* Options a command accepts (struct sk_cli_cmd.opts). */
#define SK_OPT_POLICY   0x1
#define SK_OPT_JSON     0x2
#define SK_OPT_LIMIT    0x4
#define SK_OPT_SCOPE    0x8   /* --client-ip, --user, --group (repeatable) */
#define SK_OPT_PRIORITY 0x10  /* --priority N */
#define SK_OPT_COMMENT  0x20  /* --comment TEXT */
#define SK_OPT_LIST     0x40  /* --list block|allow|approved */
#define SK_OPT_MATCH    0x80  /* --match exact|prefix|substring|domain|regex */
#define SK_OPT_DLP      0x100 /* --detector (repeatable), --min-count, --action */
#define SK_OPT_FLEET                                                                               \
    0x200 /* --key, --out, --source, --pubkey, --ca, --poll, --once, --state, --valid-for */
#define SK_OPT_REPORT 0x400  /* --log (repeatable), --from, --to, --csv */
#define SK_OPT_QUAR   0x800  /* --dir, --older (quarantine) */
#define SK_OPT_DIR    0x1000 /* --uri, --base, --bind-dn, --password-file, ... (directory) */

/* schedules (issue 14) */
#define SK_OPT_SCHED 0x2000 /* --days, --time (repeatable), --tz (schedule add) */
#define SK_OPT_WHEN  0x4000 /* --when NAME|!NAME */
#define SK_OPT_AT    0x8000 /* --at ISO-8601 (check) */
#define SK_OPT_LAST  SK_OPT_AT

/* One --client-ip/--user/--group, in command-line order. */
struct sk_cli_scope {
    const char *kind; /* "client-ip", "user", "group" */
    const char *value;
};

struct sk_cli {
    const char *db;     /* --db, else $SEKISHO_POLICY_DB, else SK_PDB_DEFAULT_PATH */
    const char *policy; /* --policy NAME, NULL if not given */
    int json;           /* --json */
    int64_t limit;      /* --limit N, 0 = all */
    unsigned seen;      /* SK_OPT_* given on the command line */
    int argc;           /* command name and operands */
    char **argv;
    int nops; /* operands after the command's words */
    char **ops;
    struct sk_cli_scope *scopes; /* --client-ip/--user/--group */
    int nscopes;
    const char *priority, *comment, *list, *match;
    const char **detectors; /* --detector D, in order (dlp add) */
    int ndetectors;
    const char *min_count, *action; /* --min-count N, --action block|log */
    /* keygen/publish/pull: key files, publish directory, bundle source */
    const char *key, *out, *source, *pubkey, *ca, *poll, *state, *valid_for;
    int once;
    /* report: access logs to read, period, CSV directory */
    const char **logs;
    int nlogs;
    const char *from, *to, *csv;
    /* quarantine: directory, purge age */
    const char *qdir, *older;
    /* directory add: --uri/--group-attr/--domain/--realm (repeatable) and
     * the rest; directory set: --domain/--realm */
    const char **uris, **group_attrs, **domains, **realms;
    int nuris, ngroup_attrs, ndomains, nrealms, global_catalog;
    const char *base, *bind_dn, *password_file;
    /* schedules: --days, --time (in order), --tz; --when; check --at */
    const char *days, *tz, *when, *at;
    const char **times;
    int ntimes;
    const char **words; /* options as given (not --db/--json/--limit), for history */
    int nwords;
};

struct sk_cli_cmd {
    const char *name;
    int (*run)(struct sk_cli *);
    unsigned opts;
    int min_args, max_args; /* operands after the command name */
    const char *synopsis;
    const char *help;
};

/* Commands, by group. */
/* directory groups (cli_directory.c) */
int sk_cli_directory_add(struct sk_cli *);
int sk_cli_directory_list(struct sk_cli *);
int sk_cli_directory_rm(struct sk_cli *);
int sk_cli_directory_set(struct sk_cli *);
int sk_cli_directory_test(struct sk_cli *);
/* quarantine (cli_quarantine.c) */
int sk_cli_quarantine_list(struct sk_cli *);
int sk_cli_quarantine_show(struct sk_cli *);
int sk_cli_quarantine_release(struct sk_cli *);
int sk_cli_quarantine_purge(struct sk_cli *);
/* true file types (cli_filetype.c) */
int sk_cli_filetype_block(struct sk_cli *);
int sk_cli_filetype_allow(struct sk_cli *);
int sk_cli_filetype_list(struct sk_cli *);
int sk_cli_init(struct sk_cli *);
int sk_cli_generation(struct sk_cli *);
int sk_cli_hash(struct sk_cli *);
/* fleet: signed bundles (cli_bundle.c, cli_pull.c), node status (cli_cluster.c) */
int sk_cli_keygen(struct sk_cli *);
int sk_cli_publish(struct sk_cli *);
int sk_cli_pull(struct sk_cli *);
int sk_cli_cluster_status(struct sk_cli *);
int sk_cli_log_report(struct sk_cli *);  /* cli_report.c */
int sk_cli_notify_test(struct sk_cli *); /* cli_notify.c */
int sk_cli_history(struct sk_cli *);
int sk_cli_set(struct sk_cli *);
int sk_cli_unset(struct sk_cli *);
int sk_cli_get(struct sk_cli *);
int sk_cli_keys(struct sk_cli *);
int sk_cli_policy_add(struct sk_cli *);
int sk_cli_policy_list(struct sk_cli *);
int sk_cli_policy_show(struct sk_cli *);
int sk_cli_policy_rm(struct sk_cli *);
int sk_cli_policy_set(struct sk_cli *);
int sk_cli_policy_enable(struct sk_cli *);
int sk_cli_policy_disable(struct sk_cli *);
int sk_cli_scope_add(struct sk_cli *);
int sk_cli_scope_rm(struct sk_cli *);
int sk_cli_url_add(struct sk_cli *);
int sk_cli_url_list(struct sk_cli *);
int sk_cli_url_rm(struct sk_cli *);
int sk_cli_category_import(struct sk_cli *);
int sk_cli_category_fetch(struct sk_cli *); /* cli_catfetch.c */
/* What an import stored, on stdout (import and fetch). */
struct timespec;
void sk_cli_category_imported(const char *name, const struct sk_pdb_import_stats *s,
                              const struct timespec *t0, int64_t gen);
int sk_cli_category_list(struct sk_cli *);
int sk_cli_category_rm(struct sk_cli *);
int sk_cli_category_block(struct sk_cli *);
int sk_cli_category_unblock(struct sk_cli *);
int sk_cli_show(struct sk_cli *);
int sk_cli_export(struct sk_cli *);
int sk_cli_import(struct sk_cli *);
int sk_cli_rollback(struct sk_cli *);
int sk_cli_check(struct sk_cli *);
int sk_cli_dlp_add(struct sk_cli *);
int sk_cli_dlp_list(struct sk_cli *);
int sk_cli_dlp_rm(struct sk_cli *);
/* schedules (cli_schedule.c) */
int sk_cli_schedule_add(struct sk_cli *);
int sk_cli_schedule_list(struct sk_cli *);
int sk_cli_schedule_rm(struct sk_cli *);

/* "sekisho-policy: MESSAGE" on stderr; return SK_CLI_FAIL / SK_CLI_USAGE. */
int sk_cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int sk_cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Text of column I of the current row, "" for NULL. Borrowed until the
 * next step of ST. */
const char *sk_cli_col(sqlite3_stmt *st, int i);
/* Print ERR (a library message) and free it; return CODE. */
int sk_cli_report(char **err, int code);

/* Who is running the command, for history: $SUDO_USER, $USER, the
 * account name or "uid N". Caller frees. */
char *sk_cli_actor(void);
/* The command as recorded in history: name, operands, --policy; caller frees. */
char *sk_cli_command_text(const struct sk_cli *);
/* Open the database for reading / for a write command; prints the reason
 * and returns NULL on failure. Caller closes. */
struct sk_pdb *sk_cli_open(const struct sk_cli *, unsigned flags);
/* Commit the open write as one generation with history; prints the reason
 * on failure. The new generation, or -1. */
int64_t sk_cli_commit(const struct sk_cli *, struct sk_pdb *);

/*
 * One write command: open the database read-write, begin, run FN, commit
 * (snapshot + generation + history). FN returns >= 0 (kept in *result),
 * -1 (operation failed: exit 1) or SK_PDB_REJECT (bad input: exit 2),
 * with *err set in both failure cases. Returns the exit code; *gen gets
 * the new generation.
 */
typedef int64_t (*sk_cli_write_fn)(struct sk_cli *, struct sk_pdb *, void *arg, char **err);
int sk_cli_write(struct sk_cli *, sk_cli_write_fn fn, void *arg, int64_t *result, int64_t *gen);
/* Does policy NAME exist? SK_CLI_OK (its id in *id when ID is not NULL),
 * or the exit code after saying why: 2 no such policy, 1 database error. */
int sk_cli_find_policy(struct sk_pdb *pdb, const char *name, int64_t *id);
/* The --policy or the default policy's name. */
const char *sk_cli_policy_name(const struct sk_cli *);
/* Parse a decimal integer in LO..HI; 0 or -1. */
int sk_cli_int(const char *text, int64_t lo, int64_t hi, int64_t *out);

/* Everything left in F into *BUF (malloc'd, NUL-terminated, NULL when
 * empty; caller frees) and *LEN. 0, or -1 with errno (ENOMEM, or the
 * read error) and nothing allocated. */
int sk_cli_read_all(FILE *f, char **buf, size_t *len);

/* cli_fetch.c: a download into memory. */
struct sk_fetch {
    char *p; /* malloc'd, NUL-terminated; caller frees */
    size_t len;
    long max; /* refuse more than this many bytes */
    int too_big;
};
/* GET URL into F (CA: a CA file, NULL for the system's). Returns the HTTP
 * status, or -1 with the reason in MSG. */
long sk_cli_fetch(const char *url, const char *ca, struct sk_fetch *f, char *msg, size_t msize);

/* Remove PATH-wal and PATH-shm (after removing a database init created). */
void sk_cli_remove_sidecars(const char *path);

/* S as a JSON string literal, quotes included. */
void sk_cli_json_str(FILE *, const char *s);
/* The SEP-separated words of S as a JSON array of strings (empty words
 * left out). */
void sk_cli_json_words(FILE *, const char *s, char sep);

/*
 * The listing commands: run SQL on the database opened read-only, with
 * ?1..?NARGS bound to the texts ARGS (NULL binds SQL NULL), and print
 * each row through ROW, given the row's index. With --json the rows are
 * the objects of one array: sk_cli_list prints the brackets, separators
 * and each object's braces, ROW only its members. When --policy is given,
 * a policy that does not exist exits 2 before anything is printed. WHAT
 * ("rules") names the rows when the database fails. Returns the exit code.
 */
typedef void (*sk_cli_row_fn)(const struct sk_cli *, sqlite3_stmt *, int n);
int sk_cli_list(const struct sk_cli *, const char *sql, const char *const *args, int nargs,
                const char *what, sk_cli_row_fn row);

#endif

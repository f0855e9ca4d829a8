/* test_policy_db.c - unit tests of libsekisho_policy: schema init and
 * idempotence, generation/history contract, settings registry, read-only
 * readers under WAL, sk_pdb_check messages. Uses real SQLite on temp files. */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <sekisho/policy_db.h>

struct sk_tdb {
    char dir[64];
    char path[128];
};

static int sk_t_setup(void **state)
{
    struct sk_tdb *t = calloc(1, sizeof(*t));

    if (t == NULL)
        return -1;
    strcpy(t->dir, "/tmp/sk-test-pdb-XXXXXX");
    if (mkdtemp(t->dir) == NULL) {
        free(t);
        return -1;
    }
    snprintf(t->path, sizeof(t->path), "%s/policy.db", t->dir);
    *state = t;
    return 0;
}

static int sk_t_teardown(void **state)
{
    struct sk_tdb *t = *state;
    struct dirent *e;
    char p[400];
    DIR *d;

    if ((d = opendir(t->dir)) != NULL) {
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(p, sizeof(p), "%s/%s", t->dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(t->dir);
    free(t);
    return 0;
}

/* Create and initialise a database at t->path; returns the RW handle. */
static struct sk_pdb *sk_t_init(struct sk_tdb *t)
{
    struct sk_pdb *pdb;
    char *err = NULL;

    pdb = sk_pdb_open(t->path, SK_PDB_RW | SK_PDB_CREATE, &err);
    assert_non_null(pdb);
    assert_int_equal(sk_pdb_init(pdb, "tester", &err), 0);
    assert_null(err);
    return pdb;
}

static int64_t sk_t_count(struct sk_pdb *pdb, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t n = -1;

    assert_int_equal(sqlite3_prepare_v2(sk_pdb_sqlite(pdb), sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* One write command through the library, as the CLI does it. */
static int64_t sk_t_set(struct sk_pdb *pdb, const char *policy, const char *key, const char *value,
                        char **err)
{
    if (sk_pdb_write_begin(pdb, err) == -1)
        return -1;
    if (sk_pdb_set_setting(pdb, policy, key, value, err) == -1) {
        sk_pdb_write_rollback(pdb);
        return -1;
    }
    return sk_pdb_write_commit(pdb, "tester", "set test", err);
}

static void test_init_fresh(void **state)
{
    struct sk_tdb *t = *state;
    struct sk_pdb *pdb;
    struct stat st;
    mode_t old = umask(0);

    pdb = sk_t_init(t);
    umask(old);
    assert_int_equal(sk_pdb_generation(pdb), 1);
    assert_int_equal(sk_pdb_schema_version(pdb), SK_PDB_SCHEMA_VERSION);
    assert_int_equal(sk_t_count(pdb, "SELECT count(*) FROM history"), 1);
    assert_int_equal(sk_t_count(pdb, "SELECT count(*) FROM history WHERE generation = 1"
                                     " AND actor = 'tester' AND command = 'init'"
                                     " AND at GLOB '[0-9][0-9][0-9][0-9]-*T*Z'"),
                     1);
    assert_int_equal(sk_t_count(pdb, "SELECT count(*) FROM policies WHERE name = 'default'"), 1);
    assert_int_equal(sk_t_count(pdb, "PRAGMA application_id"), SK_PDB_APPLICATION_ID);
    assert_int_equal(sk_t_count(pdb, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
    assert_int_equal(sk_t_count(pdb, "PRAGMA foreign_keys"), 1);
    sk_pdb_close(pdb);
    /* 0640 even with umask 0. */
    assert_int_equal(stat(t->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
}

static void test_init_idempotent(void **state)
{
    struct sk_tdb *t = *state;
    struct sk_pdb *pdb;
    char *err = NULL;

    pdb = sk_t_init(t);
    assert_int_equal(sk_pdb_init(pdb, "tester", &err), 0);
    sk_pdb_close(pdb);
    pdb = sk_pdb_open(t->path, SK_PDB_RW | SK_PDB_CREATE, &err);
    assert_non_null(pdb);
    assert_int_equal(sk_pdb_created(pdb), 0);
    assert_int_equal(sk_pdb_init(pdb, "tester", &err), 0);
    assert_int_equal(sk_pdb_generation(pdb), 1);
    assert_int_equal(sk_t_count(pdb, "SELECT count(*) FROM history"), 1);
    assert_int_equal(sk_t_count(pdb, "SELECT count(*) FROM policies"), 1);
    sk_pdb_close(pdb);
}

static void test_set_bumps_generation(void **state)
{
    struct sk_tdb *t = *state;
    struct sk_pdb *pdb = sk_t_init(t);
    const char *from = NULL;
    char *err = NULL, *value = NULL;

    assert_int_equal(sk_t_set(pdb, NULL, "av.max-scan-size", "2048k", &err), 2);
    assert_int_equal(sk_pdb_generation(pdb), 2);
    {
        /* A commit folds the WAL back into the file: readers opening the
         * database never rebuild an index from a large leftover WAL. */
        char wal[4200];
        struct stat st;
        snprintf(wal, sizeof(wal), "%s-wal", t->path);
        assert_int_equal(stat(wal, &st), 0);
        assert_int_equal(st.st_size, 0);
    }
    assert_int_equal(sk_t_count(pdb, "SELECT count(*) FROM history WHERE generation = 2"
                                     " AND command = 'set test'"),
                     1);
    assert_int_equal(sk_pdb_resolve_setting(pdb, NULL, "av.max-scan-size", &value, &from, &err), 0);
    assert_string_equal(value, "2M"); /* stored in canonical form */
    assert_string_equal(from, "policy");
    free(value);
    value = NULL;
    /* Unset is a write too, and falls back to the built-in default. */
    assert_int_equal(sk_pdb_write_begin(pdb, &err), 0);
    assert_int_equal(sk_pdb_unset_setting(pdb, NULL, "av.max-scan-size", &err), 1);
    assert_int_equal(sk_pdb_write_commit(pdb, "tester", "unset", &err), 3);
    assert_int_equal(sk_pdb_get_setting(pdb, NULL, "av.max-scan-size", &value, &err), 0);
    assert_string_equal(value, "100M");
    free(value);
    sk_pdb_close(pdb);
}

static void test_bad_input_changes_nothing(void **state)
{
    struct sk_tdb *t = *state;
    struct sk_pdb *pdb = sk_t_init(t);
    char *err = NULL, *value = NULL;

    assert_int_equal(sk_t_set(pdb, NULL, "av.foo", "on", &err), -1);
    assert_non_null(strstr(err, "unknown setting 'av.foo'"));
    free(err);
    err = NULL;
    assert_int_equal(sk_t_set(pdb, NULL, "av.enabled", "maybe", &err), -1);
    assert_non_null(strstr(err, "av.enabled"));
    free(err);
    err = NULL;
    assert_int_equal(sk_t_set(pdb, NULL, "av.max-scan-size", "5G", &err), -1);
    assert_non_null(strstr(err, "out of range"));
    free(err);
    err = NULL;
    assert_int_equal(sk_t_set(pdb, "nosuch", "av.enabled", "off", &err), -1);
    assert_non_null(strstr(err, "no such policy 'nosuch'"));
    free(err);
    err = NULL;
    assert_int_equal(sk_pdb_generation(pdb), 1);
    assert_int_equal(sk_t_count(pdb, "SELECT count(*) FROM history"), 1);
    assert_int_equal(sk_t_count(pdb, "SELECT count(*) FROM settings"), 0);
    /* Lookups reject what writes reject. */
    assert_int_equal(sk_pdb_get_setting(pdb, NULL, "av.foo", &value, &err), -1);
    assert_null(value);
    free(err);
    err = NULL;
    assert_int_equal(sk_pdb_get_setting(pdb, "nosuch", "av.enabled", &value, &err), -1);
    free(err);
    err = NULL;
    /* Changes outside a write transaction are refused. */
    assert_int_equal(sk_pdb_set_setting(pdb, NULL, "av.enabled", "off", &err), -1);
    free(err);
    sk_pdb_close(pdb);
}

/* Inserts INS before the first AT in DOC, or replaces the document's
 * closing brace when AT is NULL. Caller frees. */
static char *sk_t_insert(const char *doc, const char *at, const char *ins)
{
    const char *p = at ? strstr(doc, at) : strrchr(doc, '}');
    char *out;

    assert_non_null(p);
    assert_true(asprintf(&out, "%.*s%s%s", (int)(p - doc), doc, ins, at ? p : "}\n") > 0);
    return out;
}

/* A member name twice in one object: readers disagree on which counts
 * (jq and Python take the last), so import refuses it, naming the member,
 * the object's path and the line of the repetition; nothing changes. */
static void test_import_repeated_member(void **state)
{
    struct sk_tdb *t = *state;
    struct sk_pdb *pdb = sk_t_init(t);
    char *err = NULL, *doc = NULL, hash[SK_PDB_HASH_HEX + 1], after[SK_PDB_HASH_HEX + 1];
    size_t len = 0, lines = 1;
    FILE *f = open_memstream(&doc, &len);
    static const struct {
        const char *at, *ins; /* into the real export; NULL at: as its last member */
        const char *text;     /* or a document of its own */
        const char *want;
    } cases[] = {
        {NULL, ", \"policies\": []", NULL, "member \"policies\" repeated in the top-level object"},
        {"\"name\": \"default\"", "\"name\": \"x\", ", NULL,
         "member \"name\" repeated in .policies[0]"},
        {NULL, NULL, "{\"x\": 1, \"y\": 1, \"y\": 2, \"x\": 2}",
         "line 1: member \"y\" repeated in the top-level object"},
        {NULL, NULL, "{\"a\": [1, {\"b\": {\"c\": \"\\n\",\n\"c\": 2}}], \"d\": [{\"c\": 1}]}",
         "line 2: member \"c\" repeated in .a[1].b"},
        {NULL, NULL, "{\"e\\u0001\": 1, \"e\\u0001\": 2}", "member \"e\\u0001\" repeated"},
    };

    assert_non_null(f);
    assert_int_equal(sk_pdb_export(pdb, f, &err), 0);
    fclose(f);
    for (const char *c = doc; *c; c++)
        lines += *c == '\n';
    assert_int_equal(sk_pdb_content_hash(pdb, hash, &err), 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *text =
            cases[i].text ? strdup(cases[i].text) : sk_t_insert(doc, cases[i].at, cases[i].ins);

        assert_int_equal(sk_pdb_write_begin(pdb, &err), 0);
        assert_int_equal(sk_pdb_import(pdb, text, strlen(text), &err), SK_PDB_REJECT);
        sk_pdb_write_rollback(pdb);
        print_message("%zu: %s\n", i, err);
        assert_non_null(strstr(err, cases[i].want));
        if (i == 0) { /* the line of the repetition: the export's last */
            char want[64];
            snprintf(want, sizeof(want), "line %zu: ", lines - 1);
            assert_non_null(strstr(err, want));
        }
        free(err);
        err = NULL;
        free(text);
    }
    /* the same names in sibling objects are no repetition: the export reads */
    assert_int_equal(sk_pdb_write_begin(pdb, &err), 0);
    assert_int_equal(sk_pdb_import(pdb, doc, len, &err), 0);
    sk_pdb_write_rollback(pdb);
    assert_int_equal(sk_pdb_generation(pdb), 1);
    assert_int_equal(sk_pdb_content_hash(pdb, after, &err), 0);
    assert_string_equal(after, hash);
    free(doc);
    sk_pdb_close(pdb);
}

static void test_default_policy_protected(void **state)
{
    struct sk_tdb *t = *state;
    struct sk_pdb *pdb = sk_t_init(t);
    sqlite3 *db = sk_pdb_sqlite(pdb);

    assert_int_not_equal(
        sqlite3_exec(db, "DELETE FROM policies WHERE name = 'default'", NULL, NULL, NULL),
        SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(db,
                                      "UPDATE policies SET enabled = 0 WHERE name ="
                                      " 'default'",
                                      NULL, NULL, NULL),
                         SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(db,
                                      "INSERT INTO policy_scopes(policy_id, kind, value)"
                                      " SELECT id, 'user', 'bob' FROM policies",
                                      NULL, NULL, NULL),
                         SQLITE_OK);
    /* Enumerations are enforced by the schema itself. */
    assert_int_not_equal(sqlite3_exec(db,
                                      "INSERT INTO url_rules(policy_id, list, match,"
                                      " pattern) VALUES (1, 'deny', 'exact', 'x')",
                                      NULL, NULL, NULL),
                         SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "INSERT INTO url_rules(policy_id, list, match, pattern)"
                                  " VALUES (1, 'block', 'domain', 'example.com')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    /* Foreign keys are on. */
    assert_int_not_equal(sqlite3_exec(db,
                                      "INSERT INTO settings(policy_id, key, value)"
                                      " VALUES (99, 'av.enabled', 'on')",
                                      NULL, NULL, NULL),
                         SQLITE_OK);
    sk_pdb_close(pdb);
}

static void test_inheritance(void **state)
{
    struct sk_tdb *t = *state;
    struct sk_pdb *pdb = sk_t_init(t);
    const char *from = NULL;
    char *err = NULL, *value = NULL;

    assert_int_equal(sqlite3_exec(sk_pdb_sqlite(pdb),
                                  "INSERT INTO policies(name, priority)"
                                  " VALUES ('staff', 10)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_true(sk_pdb_policy_id(pdb, "staff", &err) > 0);
    assert_int_equal(sk_pdb_policy_id(pdb, "nosuch", &err), 0);
    assert_int_equal(sk_pdb_resolve_setting(pdb, "staff", "icap.x-virus-id", &value, &from, &err),
                     0);
    assert_string_equal(value, "off");
    assert_string_equal(from, "built-in");
    free(value);
    assert_int_equal(sk_t_set(pdb, NULL, "icap.x-virus-id", "yes", &err), 2);
    assert_int_equal(sk_pdb_resolve_setting(pdb, "staff", "icap.x-virus-id", &value, &from, &err),
                     0);
    assert_string_equal(value, "on");
    assert_string_equal(from, "default-policy");
    free(value);
    assert_int_equal(sk_t_set(pdb, "staff", "icap.x-virus-id", "false", &err), 3);
    assert_int_equal(sk_pdb_resolve_setting(pdb, "staff", "icap.x-virus-id", &value, &from, &err),
                     0);
    assert_string_equal(value, "off");
    assert_string_equal(from, "policy");
    free(value);
    sk_pdb_close(pdb);
}

static void test_readonly_sees_commits(void **state)
{
    struct sk_tdb *t = *state;
    struct sk_pdb *rw = sk_t_init(t), *ro;
    char *err = NULL;

    ro = sk_pdb_open(t->path, SK_PDB_RO, &err);
    assert_non_null(ro);
    assert_int_equal(sk_pdb_generation(ro), 1);
    assert_int_equal(sk_pdb_write_begin(ro, &err), -1);
    free(err);
    err = NULL;
    assert_int_equal(sk_t_set(rw, NULL, "av.enabled", "off", &err), 2);
    assert_int_equal(sk_pdb_generation(ro), 2);

    /* WAL: a reader inside a read transaction neither blocks the writer nor
     * sees half of it; it sees the commit when it starts a new one. */
    assert_int_equal(sqlite3_exec(sk_pdb_sqlite(ro), "BEGIN", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sk_pdb_generation(ro), 2);
    assert_int_equal(sk_t_set(rw, NULL, "av.enabled", "on", &err), 3);
    assert_int_equal(sk_pdb_generation(ro), 2);
    assert_int_equal(sqlite3_exec(sk_pdb_sqlite(ro), "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sk_pdb_generation(ro), 3);
    sk_pdb_close(ro);
    sk_pdb_close(rw);
}

static void test_check(void **state)
{
    struct sk_tdb *t = *state;
    char *err = NULL, garbage[256], buf[4096];
    int fd, rnd;

    /* Missing file: named, with the command that creates it. */
    assert_int_equal(sk_pdb_check(t->path, &err), -1);
    assert_non_null(strstr(err, t->path));
    assert_non_null(strstr(err, "no such file"));
    assert_non_null(strstr(err, "sekisho-policy --db"));
    assert_null(strchr(err, '\n'));
    free(err);
    err = NULL;

    /* Random bytes. */
    snprintf(garbage, sizeof(garbage), "%s/garbage.db", t->dir);
    rnd = open("/dev/urandom", O_RDONLY);
    assert_true(rnd >= 0);
    assert_int_equal(read(rnd, buf, sizeof(buf)), sizeof(buf));
    close(rnd);
    fd = open(garbage, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, buf, sizeof(buf)), sizeof(buf));
    close(fd);
    assert_int_equal(sk_pdb_check(garbage, &err), -1);
    assert_non_null(strstr(err, garbage));
    assert_non_null(strstr(err, "not a Sekisho policy database"));
    free(err);
    err = NULL;
    {
        /* init refuses it and leaves it alone. */
        struct sk_pdb *pdb = sk_pdb_open(garbage, SK_PDB_RW | SK_PDB_CREATE, &err);
        struct stat st;
        assert_non_null(pdb);
        assert_int_equal(sk_pdb_init(pdb, "tester", &err), -1);
        assert_non_null(strstr(err, "not a Sekisho policy database"));
        free(err);
        err = NULL;
        sk_pdb_close(pdb);
        assert_int_equal(stat(garbage, &st), 0);
        assert_int_equal(st.st_size, sizeof(buf));
    }

    /* Empty file: not initialised, with the fix. */
    fd = open(garbage, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(sk_pdb_check(garbage, &err), -1);
    assert_non_null(strstr(err, "not initialised"));
    free(err);
    err = NULL;

    /* A directory. */
    assert_int_equal(sk_pdb_check(t->dir, &err), -1);
    assert_non_null(strstr(err, "directory"));
    free(err);
    err = NULL;

    /* A valid database. */
    sk_pdb_close(sk_t_init(t));
    assert_int_equal(sk_pdb_check(t->path, &err), 0);
    assert_null(err);
}

static void test_foreign_database_refused(void **state)
{
    struct sk_tdb *t = *state;
    struct sk_pdb *pdb;
    sqlite3 *db;
    char *err = NULL;

    assert_int_equal(sqlite3_open(t->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE mail(id INTEGER)", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(sk_pdb_check(t->path, &err), -1);
    assert_non_null(strstr(err, "not a Sekisho policy database"));
    free(err);
    err = NULL;
    pdb = sk_pdb_open(t->path, SK_PDB_RW | SK_PDB_CREATE, &err);
    assert_non_null(pdb);
    assert_int_equal(sk_pdb_init(pdb, "tester", &err), -1);
    assert_non_null(strstr(err, "not a Sekisho policy database"));
    free(err);
    assert_int_equal(sk_t_count(pdb, "SELECT count(*) FROM sqlite_schema"), 1);
    sk_pdb_close(pdb);
}

static void test_missing_directory(void **state)
{
    struct sk_tdb *t = *state;
    char path[200], *err = NULL;

    snprintf(path, sizeof(path), "%s/nodir/policy.db", t->dir);
    assert_null(sk_pdb_open(path, SK_PDB_RW | SK_PDB_CREATE, &err));
    assert_non_null(strstr(err, "does not exist"));
    free(err);
    err = NULL;
    assert_null(sk_pdb_open(t->path, SK_PDB_RO | SK_PDB_CREATE, &err));
    free(err);
}

static void test_registry(void **state)
{
    static const struct {
        const char *key, *in, *canon; /* canon NULL: rejected */
    } cases[] = {
        {"icap.x-virus-id", "on", "on"},
        {"icap.x-virus-id", "TRUE", "on"},
        {"icap.x-virus-id", "0", "off"},
        {"icap.x-virus-id", "", NULL},
        {"icap.x-virus-id", "onn", NULL},
        {"av.max-scan-size", "100M", "100M"},
        {"av.max-scan-size", "1024k", "1M"},
        {"av.max-scan-size", "4g", "4G"},
        {"av.max-scan-size", "1000", "1000"},
        {"av.max-scan-size", "0", NULL},
        {"av.max-scan-size", "5G", NULL},
        {"av.max-scan-size", "10X", NULL},
        {"av.max-scan-size", "-1M", NULL},
        {"av.max-scan-size", "1MB", "1M"},
        {"av.max-scan-size", "1MiB", "1M"},
        {"av.max-scan-size", "1048576", "1M"},
        {"av.max-scan-size", "1 M", NULL},
        {"av.max-scan-size", "1.5M", NULL},
        {"av.max-scan-size", "1MBB", NULL},
        {"av.max-scan-size", "99999999999999999999", NULL},
        {"av.max-scan-size", " 1M", NULL},
        {"av.on-error", "ALLOW", "allow"},
        {"av.on-limit", "block", "block"},
        {"av.on-encrypted", "pass", NULL},
        {"url.on-error", "bloc", NULL},
        {"url.infected-block-time", "240m", "4h"},
        {"url.infected-block-time", "90", "90s"},
        {"url.infected-block-time", "0", "0s"},
        {"url.infected-block-time", "2d", "2d"},
        {"url.infected-block-time", "4H", NULL},
        {"url.infected-block-time", "400d", NULL},
        {"av.max-files", "500", "500"},
        {"av.max-files", "-5", NULL},
        {"av.max-files", "5x", NULL},
        {"page.contact", "", ""},
        {"page.contact", "it@example.com", "it@example.com"},
        {"page.contact", "a\nb", NULL},
        {"page.contact", "\xff", NULL},
        {"page.contact", "J\xc3\xb6rg", "J\xc3\xb6rg"},
        {"dlp.enabled", "no", "off"},
        {"av.enabled", "yes", "on"},
        {"no.such", "on", NULL},
    };
    const struct sk_pdb_setting_def *defs;
    char *canon, *err;
    size_t n;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        canon = err = NULL;
        int rc = sk_pdb_setting_validate(cases[i].key, cases[i].in, &canon, &err);
        if (cases[i].canon == NULL) {
            if (rc != -1 || err == NULL)
                fail_msg("%s=%s accepted", cases[i].key, cases[i].in);
            assert_null(strchr(err, '\n'));
        } else {
            if (rc != 0)
                fail_msg("%s=%s rejected: %s", cases[i].key, cases[i].in, err);
            assert_string_equal(canon, cases[i].canon);
        }
        free(canon);
        free(err);
    }
    /* Every default is valid and already canonical. */
    defs = sk_pdb_settings(&n);
    assert_true(n >= 13);
    for (size_t i = 0; i < n; i++) {
        canon = err = NULL;
        assert_int_equal(sk_pdb_setting_validate(defs[i].key, defs[i].def, &canon, &err), 0);
        assert_string_equal(canon, defs[i].def);
        free(canon);
    }
    assert_string_equal(sk_pdb_setting_find("icap.x-infection-found")->def, "off");
    assert_string_equal(sk_pdb_setting_find("icap.x-violations-found")->def, "off");
    assert_string_equal(sk_pdb_setting_find("url.infected-block-time")->def, "4h");
}

static void test_history_listing(void **state)
{
    struct sk_tdb *t = *state;
    struct sk_pdb *pdb = sk_t_init(t);
    char *err = NULL;
    char *q;

    assert_int_equal(sk_t_set(pdb, NULL, "page.contact", "x", &err), 2);
    assert_int_equal(sk_t_set(pdb, NULL, "page.contact", "y", &err), 3);
    assert_int_equal(sk_t_count(pdb, "SELECT group_concat(generation) = '1,2,3' FROM"
                                     " (SELECT generation FROM history ORDER BY 1)"),
                     1);
    q = sk_pdb_shell_quote("it's");
    assert_string_equal(q, "'it'\\''s'");
    free(q);
    q = sk_pdb_shell_quote("av.max-scan-size");
    assert_string_equal(q, "av.max-scan-size");
    free(q);
    sk_pdb_close(pdb);
}

/* ---- the sekisho-policy CLI: exit codes and messages are a contract ---- */

#ifndef SK_TEST_MODULE_DIR
#define SK_TEST_MODULE_DIR "."
#endif

/* build/tests/modules -> build/bin/sekisho-policy */
static void sk_t_cli_path(char *buf, size_t size)
{
    snprintf(buf, size, "%s/../../bin/sekisho-policy", SK_TEST_MODULE_DIR);
    if (access(buf, X_OK) != 0)
        fail_msg("%s not built (build the sekisho-policy target first)", buf);
}

/* Run the CLI with ARGV (NULL-terminated) and --db T->path; stdout and
 * stderr go to T->dir/out and T->dir/err. Returns the exit status. */
static int sk_t_cli(struct sk_tdb *t, const char *const *argv)
{
    char bin[300], out[200], errf[200];
    const char *args[16];
    int n = 0, status, fd;
    pid_t pid;

    sk_t_cli_path(bin, sizeof(bin));
    snprintf(out, sizeof(out), "%s/out", t->dir);
    snprintf(errf, sizeof(errf), "%s/err", t->dir);
    args[n++] = bin;
    args[n++] = "--db";
    args[n++] = t->path;
    while (*argv != NULL && n < 15)
        args[n++] = *argv++;
    args[n] = NULL;
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if ((fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0)
            dup2(fd, 1);
        if ((fd = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0)
            dup2(fd, 2);
        execv(bin, (char *const *)args);
        _exit(127);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

/* Contents of T->dir/NAME (static buffer). */
static const char *sk_t_slurp(struct sk_tdb *t, const char *name)
{
    static char buf[4096];
    char path[200];
    ssize_t n;
    int fd;

    snprintf(path, sizeof(path), "%s/%s", t->dir, name);
    fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

/* Exactly one line on stderr, containing WHAT. */
static void sk_t_one_line_error(struct sk_tdb *t, const char *what)
{
    const char *e = sk_t_slurp(t, "err");
    const char *nl = strchr(e, '\n');

    if (strstr(e, what) == NULL)
        fail_msg("stderr '%s' lacks '%s'", e, what);
    assert_non_null(nl);
    assert_int_equal(nl[1], '\0');
}

static void test_cli(void **state)
{
    struct sk_tdb *t = *state;
    static const struct {
        const char *argv[6];
        int code;
        const char *out; /* substring of stdout, or of stderr for failures */
    } steps[] = {
        {{"get", "av.enabled"}, 1, "no such file"},
        {{"init"}, 0, "generation 1"},
        {{"init"}, 0, "already initialised"},
        {{"generation"}, 0, "1\n"},
        {{"set", "av.max-scan-size", "200m"}, 0, "generation 2"},
        {{"get", "av.max-scan-size"}, 0, "200M\n"},
        {{"get", "av.max-scan-size", "--json"}, 0, "\"value\":\"200M\""},
        {{"set", "av.foo", "1"}, 2, "unknown setting 'av.foo' (see: sekisho-policy keys)"},
        {{"set", "av.enabled", "maybe"}, 2, "av.enabled"},
        {{"set", "av.enabled", "off", "--policy", "ghost"}, 2, "no such policy 'ghost'"},
        {{"get", "av.foo"}, 2, "unknown setting"},
        {{"frobnicate"}, 2, "unknown command 'frobnicate'"},
        {{"generation", "--bogus"}, 2, "unknown option '--bogus'"},
        {{"set", "av.enabled"}, 2, "usage:"},
        {{"init", "--policy", "x"}, 2, "does not apply"},
        {{"generation"}, 0, "2\n"},
        {{"history", "--json"}, 0, "\"command\":\"set av.max-scan-size 200m\""},
        {{"keys"}, 0, "icap.x-virus-id"},
    };

    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        int code = sk_t_cli(t, steps[i].argv);
        if (code != steps[i].code)
            fail_msg("step %zu (%s): exit %d, want %d; stderr: %s", i, steps[i].argv[0], code,
                     steps[i].code, sk_t_slurp(t, "err"));
        if (code == 0 && strstr(sk_t_slurp(t, "out"), steps[i].out) == NULL)
            fail_msg("step %zu: stdout '%s' lacks '%s'", i, sk_t_slurp(t, "out"), steps[i].out);
        if (code != 0)
            sk_t_one_line_error(t, steps[i].out);
    }
}

static void test_cli_missing_directory(void **state)
{
    struct sk_tdb *t = *state;
    static const char *const init[] = {"init", NULL};

    snprintf(t->path, sizeof(t->path), "%s/nodir/policy.db", t->dir);
    assert_int_equal(sk_t_cli(t, init), 1);
    sk_t_one_line_error(t, "does not exist");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_init_fresh, sk_t_setup, sk_t_teardown),
        cmocka_unit_test_setup_teardown(test_init_idempotent, sk_t_setup, sk_t_teardown),
        cmocka_unit_test_setup_teardown(test_set_bumps_generation, sk_t_setup, sk_t_teardown),
        cmocka_unit_test_setup_teardown(test_bad_input_changes_nothing, sk_t_setup, sk_t_teardown),
        cmocka_unit_test_setup_teardown(test_import_repeated_member, sk_t_setup, sk_t_teardown),
        cmocka_unit_test_setup_teardown(test_default_policy_protected, sk_t_setup, sk_t_teardown),
        cmocka_unit_test_setup_teardown(test_inheritance, sk_t_setup, sk_t_teardown),
        cmocka_unit_test_setup_teardown(test_readonly_sees_commits, sk_t_setup, sk_t_teardown),
        cmocka_unit_test_setup_teardown(test_check, sk_t_setup, sk_t_teardown),
        cmocka_unit_test_setup_teardown(test_foreign_database_refused, sk_t_setup, sk_t_teardown),
        cmocka_unit_test_setup_teardown(test_missing_directory, sk_t_setup, sk_t_teardown),
        cmocka_unit_test(test_registry),
        cmocka_unit_test_setup_teardown(test_history_listing, sk_t_setup, sk_t_teardown),
        cmocka_unit_test_setup_teardown(test_cli, sk_t_setup, sk_t_teardown),
        cmocka_unit_test_setup_teardown(test_cli_missing_directory, sk_t_setup, sk_t_teardown),
    };

    return cmocka_run_group_tests_name("policy_db", tests, NULL, NULL);
}

/* test_snapshot.c - policy snapshot built from a real temp database:
 * resolution by CIDR (v4/v6), user forms, groups and priority; settings
 * inheritance; URL decisions across global and policy lists and
 * categories; refcount; invalid stored values; a 100,000-domain category. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <sekisho/policy_db.h>
#include <sekisho/policy_snapshot.h>
#include "sk_tpolicy.h"

struct sk_tdb {
    char dir[64];
    char path[128];
    struct sk_pdb *db;
};

static void sk_t_sql(struct sk_pdb *db, const char *sql)
{
    char *msg = NULL;

    if (sqlite3_exec(sk_pdb_sqlite(db), sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
}

static const char sk_t_policy_sql[] =
    "INSERT INTO policies(id, name, priority, enabled) VALUES"
    " (10, 'staff', 10, 1), (11, 'admins', 5, 1), (12, 'sales', 20, 1),"
    " (13, 'itgroup', 15, 1), (14, 'disabled', 1, 0), (15, 'noscope', 2, 1);"
    "INSERT INTO policy_scopes(policy_id, kind, value) VALUES"
    " (10, 'client-ip', '10.0.0.0/8'), (10, 'client-ip', '2001:db8::/32'),"
    " (10, 'client-ip', '192.168.7.7'),"
    " (11, 'user', 'CORP\\admin'), (11, 'user', 'bob'), (11, 'user', 'Smith, Bob'),"
    " (11, 'user', 'CN=R\\26D Lead,OU=x'),"
    " (12, 'group', 'Sales'),"
    " (13, 'group', 'CN=IT Staff,OU=Groups,DC=corp,DC=example'),"
    " (14, 'client-ip', '0.0.0.0/0');"
    "INSERT INTO settings(policy_id, key, value) VALUES"
    " ((SELECT id FROM policies WHERE name = 'default'), 'av.max-scan-size', '50M'),"
    " (10, 'icap.x-virus-id', 'on'), (12, 'av.max-scan-size', '1024K'),"
    " (10, 'no.such-key', 'x');"
    "INSERT INTO url_rules(id, policy_id, list, match, pattern) VALUES"
    " (1, (SELECT id FROM policies WHERE name = 'default'), 'block', 'domain', 'bad.com'),"
    " (2, (SELECT id FROM policies WHERE name = 'default'), 'approved', 'prefix',"
    "     'update.vendor.com/'),"
    " (3, 10, 'allow', 'domain', 'bad.com'),"
    " (4, 10, 'block', 'substring', 'vendor.com/'),"
    " (5, 12, 'block', 'exact', 'http://news.example/sales-leak'),"
    " (6, (SELECT id FROM policies WHERE name = 'default'), 'block', 'regex', '\\.scr$'),"
    " (7, (SELECT id FROM policies WHERE name = 'default'), 'approved', 'prefix',"
    "     'files.example/pub/'),"
    " (8, (SELECT id FROM policies WHERE name = 'default'), 'block', 'prefix',"
    "     'files.example/private/'),"
    " (9, (SELECT id FROM policies WHERE name = 'default'), 'allow', 'prefix',"
    "     'ports.example:8080/'),"
    " (20, (SELECT id FROM policies WHERE name = 'default'), 'block', 'prefix', 'ports.example/');"
    "INSERT INTO categories(id, name) VALUES (1, 'gambling'), (2, 'social'), (3, 'unused');"
    "INSERT INTO category_entries(category_id, kind, value) VALUES"
    " (1, 'domain', 'casino.example'), (1, 'url', 'games.example/poker'),"
    " (2, 'domain', 'friends.example'), (3, 'domain', 'never.example');"
    "INSERT INTO policy_categories(policy_id, category_id) VALUES"
    " ((SELECT id FROM policies WHERE name = 'default'), 1), (10, 2);"
    "INSERT INTO dlp_templates(policy_id, name, detectors, min_count, action) VALUES"
    " (10, 'cards', 'credit-card', 3, 'block');";

static int sk_t_setup(void **state)
{
    struct sk_tdb *t = calloc(1, sizeof(*t));
    char *err = NULL;

    if (t == NULL)
        return -1;
    strcpy(t->dir, "/tmp/sk-test-snap-XXXXXX");
    if (mkdtemp(t->dir) == NULL)
        return -1;
    snprintf(t->path, sizeof(t->path), "%s/policy.db", t->dir);
    if ((t->db = sk_pdb_open(t->path, SK_PDB_RW | SK_PDB_CREATE, &err)) == NULL ||
        sk_pdb_init(t->db, "tester", &err) != 0) {
        fprintf(stderr, "setup: %s\n", err);
        return -1;
    }
    sk_t_sql(t->db, sk_t_policy_sql);
    *state = t;
    return 0;
}

static int sk_t_teardown(void **state)
{
    struct sk_tdb *t = *state;

    sk_pdb_close(t->db);
    sk_t_remove_db(t->dir, t->path);
    free(t);
    return 0;
}

static struct sk_snapshot *sk_t_load(struct sk_tdb *t)
{
    char *err = NULL;
    struct sk_snapshot *s = sk_snapshot_load(t->db, &err);

    if (s == NULL)
        fail_msg("load: %s", err);
    return s;
}

struct sk_t_who {
    const char *ip, *user, *groups, *want;
};

static void sk_t_resolve(void **state)
{
    static const struct sk_t_who c[] = {
        {"10.1.2.3", NULL, NULL, "staff"},
        {"::ffff:10.1.2.3", NULL, NULL, "staff"},
        {"2001:db8:1::5", NULL, NULL, "staff"},
        {"2001:db9::5", NULL, NULL, "default"},
        {"192.168.7.7", NULL, NULL, "staff"},
        {"192.168.7.8", NULL, NULL, "default"},
        {"11.0.0.1", NULL, NULL, "default"},
        {"not-an-ip", NULL, NULL, "default"},
        {NULL, "CORP\\admin", NULL, "admins"},
        {NULL, "corp\\ADMIN", NULL, "admins"},
        {NULL, "WinNT://CORP/admin", NULL, "admins"},
        {NULL, "admin@corp", NULL, "admins"},
        {NULL, "admin", NULL, "default"}, /* scope names a domain */
        {NULL, "OTHER\\admin", NULL, "default"},
        {NULL, "admin@corp.example.com", NULL, "default"},
        {NULL, "bob", NULL, "admins"}, /* no domain: any domain */
        {NULL, "EVIL\\Bob", NULL, "admins"},
        {NULL, "bob@x.example", NULL, "admins"},
        {NULL, "CN=bob,OU=People,DC=x", NULL, "admins"},
        {NULL, "uid=bob,ou=people,dc=x", NULL, "admins"}, /* a user DN as sk_ident_user keeps it */
        {NULL, "UID=admin,ou=people,dc=corp", NULL, "default"}, /* a DN has no NT domain */
        {NULL, "uid=bobby,ou=people,dc=x", NULL, "default"},
        {NULL, "bobby", NULL, "default"},
        /* RFC 4514 escapes in a user DN's first value (red team 7) */
        {NULL, "cn=Smith\\, Bob,ou=people,dc=corp", NULL, "admins"},
        {NULL, "cn=Smith\\2C Bob,ou=people,dc=corp", NULL, "admins"},
        {NULL, "CN=Smith\\2c Bob", NULL, "admins"},
        {NULL, "Smith, Bob", NULL, "admins"},
        {NULL, "cn=Smith\\,Bob,ou=people", NULL, "default"},
        {NULL, "cn=Smith\\", NULL, "default"}, /* a cut escape names nobody */
        {NULL, "cn=Smith\\2", NULL, "default"},
        {NULL, "cn=Smith,ou=Bob", NULL, "default"},  /* an unescaped comma ends the value */
        {NULL, "uid=R&D Lead,ou=y", NULL, "admins"}, /* the scope is a DN with \\26 */
        {NULL, "uid=R\\26D Lead", NULL, "admins"},
        {"10.1.2.3", "bob", NULL, "admins"},  /* priority 5 before 10 */
        {"10.1.2.3", NULL, "Sales", "staff"}, /* 10 before 20 */
        {NULL, NULL, "Users, Sales", "sales"},
        {NULL, NULL, "users,sales", "sales"},
        {NULL, NULL, "CN=Sales,OU=Groups,DC=corp", "sales"},
        {NULL, NULL, "OU=Sales,DC=corp", "default"}, /* DN continuation, not a group */
        {NULL, NULL, "WinNT://CORP/Sales", "sales"},
        {NULL, NULL, "Salesforce", "default"},
        {NULL, NULL, "CN=IT Staff,OU=Groups,DC=corp,DC=example", "itgroup"},
        {NULL, NULL, "x, CN=it staff,OU=Other", "itgroup"},
        {NULL, NULL, "", "default"},
        {NULL, NULL, NULL, "default"},
    };
    struct sk_snapshot *s = sk_t_load(*state);
    size_t fails = 0;

    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        struct sk_who w = {c[i].ip, c[i].user, c[i].groups};
        const char *got = sk_policy_name(sk_snapshot_resolve(s, &w));
        if (strcmp(got, c[i].want) != 0) {
            fprintf(stderr, "case %zu (%s, %s, %s): want %s, got %s\n", i, c[i].ip, c[i].user,
                    c[i].groups, c[i].want, got);
            fails++;
        }
    }
    assert_string_equal(sk_policy_name(sk_snapshot_resolve(s, NULL)), "default");
    assert_int_equal(fails, 0);
    sk_snapshot_unref(s);
}

/* Equal priorities cannot be written (UNIQUE); a table rebuilt by hand
 * without it must not let SQLite's row order pick the policy (red team 7). */
static void sk_t_priority_tie(void **state)
{
    struct sk_tdb *t = *state;
    char *err = NULL;

    sk_snapshot_unref(sk_t_load(t)); /* loads as set up */
    assert_int_not_equal(sqlite3_exec(sk_pdb_sqlite(t->db),
                                      "UPDATE policies SET priority = 5 WHERE name = 'staff'", NULL,
                                      NULL, NULL),
                         SQLITE_OK);
    assert_int_equal(sqlite3_exec(sk_pdb_sqlite(t->db),
                                  "PRAGMA foreign_keys = OFF; PRAGMA legacy_alter_table = ON;"
                                  "CREATE TABLE p2 AS SELECT * FROM policies;"
                                  "DROP TABLE policies;"
                                  "ALTER TABLE p2 RENAME TO policies;"
                                  "UPDATE policies SET priority = 5 WHERE name = 'staff';",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_null(sk_snapshot_load(t->db, &err));
    assert_non_null(err);
    assert_non_null(strstr(err, "share priority 5"));
    free(err);
}

static void sk_t_settings(void **state)
{
    struct sk_snapshot *s = sk_t_load(*state);
    const struct sk_policy *staff = sk_snapshot_policy(s, "staff");
    const struct sk_policy *sales = sk_snapshot_policy(s, "sales");
    const struct sk_policy *def = sk_snapshot_default(s);
    const struct sk_dlp_template *d;
    size_t n;

    assert_non_null(staff);
    assert_string_equal(sk_policy_get(staff, "icap.x-virus-id"), "on");   /* own */
    assert_string_equal(sk_policy_get(sales, "icap.x-virus-id"), "off");  /* built-in */
    assert_string_equal(sk_policy_get(staff, "av.max-scan-size"), "50M"); /* default's */
    assert_string_equal(sk_policy_get(sales, "av.max-scan-size"), "1M");  /* canonical */
    assert_string_equal(sk_policy_get(def, "url.infected-block-time"), "4h");
    assert_null(sk_policy_get(staff, "no.such-key"));
    assert_null(sk_snapshot_policy(s, "nope"));
    assert_int_equal(sk_policy_priority(staff), 10);
    d = sk_policy_dlp(staff, &n);
    assert_int_equal(n, 1);
    assert_string_equal(d[0].name, "cards");
    assert_int_equal(d[0].min_count, 3);
    assert_string_equal(d[0].action, "block");
    sk_policy_dlp(def, &n);
    assert_int_equal(n, 0);
    sk_snapshot_unref(s);
}

struct sk_t_dec {
    const char *policy, *url;
    enum sk_url_verdict verdict;
    const char *list, *match, *owner, *category;
    int64_t rule_id;
};

static void sk_t_decide(void **state)
{
    static const struct sk_t_dec c[] = {
        {"default", "http://www.bad.com/", SK_URL_BLOCK, "block", "domain", "default", "", 1},
        {"staff", "http://www.bad.com/", SK_URL_ALLOW, "allow", "domain", "staff", "", 3},
        {"sales", "http://www.bad.com/", SK_URL_BLOCK, "block", "domain", "default", "", 1},
        /* global approved beats the policy's own block */
        {"staff", "http://update.vendor.com/x", SK_URL_APPROVED, "approved", "prefix", "default",
         "", 2},
        {"staff", "http://www.vendor.com/x", SK_URL_BLOCK, "block", "substring", "staff", "", 4},
        {"default", "http://www.vendor.com/x", SK_URL_NONE, "", "", "", "", 0},
        {"sales", "http://NEWS.example:80/./sales-leak", SK_URL_BLOCK, "block", "exact", "sales",
         "", 5},
        {"staff", "http://a.org/setup.SCR", SK_URL_BLOCK, "block", "regex", "default", "", 6},
        /* categories: default's apply to all, a policy's add to them */
        {"staff", "http://www.casino.example/", SK_URL_BLOCK, "category", "domain", "staff",
         "gambling", 0},
        {"sales", "http://games.example/poker/1", SK_URL_BLOCK, "category", "url", "sales",
         "gambling", 0},
        {"staff", "http://friends.example/", SK_URL_BLOCK, "category", "domain", "staff", "social",
         0},
        {"default", "http://friends.example/", SK_URL_NONE, "", "", "", "", 0},
        {"default", "http://never.example/", SK_URL_NONE, "", "", "", "", 0},
        /* an allow rule beats a blocked category */
        {"staff", "http://casino.bad.com/", SK_URL_ALLOW, "allow", "domain", "staff", "", 3},
        /* what servers that decode %2F/%5C or drop ";params" read (nginx,
         * IIS, Tomcat): a block there is a block */
        {"sales", "http://news.example/x/..%2Fsales-leak", SK_URL_BLOCK, "block", "exact", "sales",
         "", 5},
        {"sales", "http://news.example/x/..%5csales-leak", SK_URL_BLOCK, "block", "exact", "sales",
         "", 5},
        {"sales", "http://news.example/sales-leak;jsessionid=1", SK_URL_BLOCK, "block", "exact",
         "sales", "", 5},
        {"default", "http://a.org/x%2F..%2Fsetup.scr", SK_URL_BLOCK, "block", "regex", "default",
         "", 6},
        {"sales", "http://games.example/a/..%2fpoker/1", SK_URL_BLOCK, "category", "url", "sales",
         "gambling", 0},
        {"sales", "http://news.example/sales-leak%2Fx", SK_URL_NONE, "", "", "", "", 0},
        {"sales", "http://news.example/sales-leak/x/..;a", SK_URL_NONE, "", "", "", "", 0},
        /* approved stays approved */
        {"staff", "http://update.vendor.com/x%2F..%2F..%2Fy", SK_URL_APPROVED, "approved", "prefix",
         "default", "", 2},
        /* ... but only where the origin's reading is approved too: an
         * approved prefix does not cover what the origin serves outside it */
        {"default", "http://files.example/pub/a%2Fb", SK_URL_APPROVED, "approved", "prefix",
         "default", "", 7},
        {"default", "http://files.example/pub/..%2Fprivate/x.exe", SK_URL_BLOCK, "block", "prefix",
         "default", "", 8},
        {"default", "http://files.example/pub/%2e%2e%2Fprivate/x.exe", SK_URL_BLOCK, "block",
         "prefix", "default", "", 8},
        {"default", "http://files.example/pub/..;/private/x.exe", SK_URL_BLOCK, "block", "prefix",
         "default", "", 8},
        {"default", "http://files.example/pub/..%5Cprivate/x.exe", SK_URL_BLOCK, "block", "prefix",
         "default", "", 8},
        {"default", "http://files.example/pub/..%2Fother/x", SK_URL_NONE, "", "", "", "", 0},
        /* a rule that names no port covers every port; one that names a
         * port only that port, and its list decides as in one reading */
        {"default", "http://ports.example/x", SK_URL_BLOCK, "block", "prefix", "default", "", 20},
        {"default", "http://ports.example:8081/x", SK_URL_BLOCK, "block", "prefix", "default", "",
         20},
        {"default", "http://ports.example:8080/x", SK_URL_ALLOW, "allow", "prefix", "default", "",
         9},
        {"default", "http://files.example:8443/private/x", SK_URL_BLOCK, "block", "prefix",
         "default", "", 8},
        {"default", "http://files.example:8443/pub/x", SK_URL_APPROVED, "approved", "prefix",
         "default", "", 7},
        {"sales", "http://news.example:8080/sales-leak", SK_URL_BLOCK, "block", "exact", "sales",
         "", 5},
        {"sales", "http://games.example:8080/poker/1", SK_URL_BLOCK, "category", "url", "sales",
         "gambling", 0},
        {"default", "http://files.example:8443/pub/..%2Fprivate/x", SK_URL_BLOCK, "block", "prefix",
         "default", "", 8},
    };
    struct sk_snapshot *s = sk_t_load(*state);

    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        struct sk_url_decision d;
        struct sk_url u;
        char *err = NULL;

        assert_int_equal(sk_url_normalize(c[i].url, 0, &u, &err), 0);
        assert_int_equal(sk_policy_check_url(sk_snapshot_policy(s, c[i].policy), &u, &d), 0);
        if (d.verdict != c[i].verdict || strcmp(d.list, c[i].list) != 0 ||
            strcmp(d.match, c[i].match) != 0 || strcmp(d.policy, c[i].owner) != 0 ||
            strcmp(d.category, c[i].category) != 0 || d.rule_id != c[i].rule_id)
            fail_msg("case %zu %s %s: got %s list=%s match=%s policy=%s cat=%s rule=%lld (%s)", i,
                     c[i].policy, c[i].url, sk_url_verdict_name(d.verdict), d.list, d.match,
                     d.policy, d.category, (long long)d.rule_id, d.rule);
        sk_url_free(&u);
    }
    sk_snapshot_unref(s);
}

static void sk_t_refcount_generation(void **state)
{
    struct sk_tdb *t = *state;
    struct sk_snapshot *s = sk_t_load(t), *s2;
    size_t entries, bytes;
    double ms;
    char *err = NULL;

    assert_int_equal(sk_snapshot_generation(s), sk_pdb_generation(t->db));
    sk_snapshot_stats(s, &entries, &bytes, &ms);
    assert_true(entries > 20);
    assert_true(bytes > 0);
    /* issue 16: a real duration of a real build (not "not negative"): more
     * than zero and less than the test's own timeout */
    assert_true(ms > 0.0 && ms < 120000.0);
    /* A reader keeps its snapshot across a reload. */
    sk_snapshot_ref(s);
    assert_int_equal(sk_pdb_write_begin(t->db, &err), 0);
    sk_t_sql(t->db, "DELETE FROM url_rules");
    assert_true(sk_pdb_write_commit(t->db, "tester", "test", &err) > 0);
    s2 = sk_t_load(t);
    assert_int_equal(sk_snapshot_generation(s2), sk_snapshot_generation(s) + 1);
    sk_snapshot_unref(s);
    assert_string_equal(sk_policy_name(sk_snapshot_default(s)), "default"); /* still alive */
    sk_snapshot_unref(s);
    sk_snapshot_unref(s2);
    sk_snapshot_unref(NULL);
}

/* A fresh database in DIR (a mkdtemp template) holding DOC, imported after
 * EXTRA empty generations (so its generation and history differ). */
static void sk_t_db_from(struct sk_tdb *u, const char *tmpl, const char *doc, size_t len, int extra)
{
    char *err = NULL;

    snprintf(u->dir, sizeof(u->dir), "%s", tmpl);
    assert_non_null(mkdtemp(u->dir));
    snprintf(u->path, sizeof(u->path), "%s/policy.db", u->dir);
    assert_non_null(u->db = sk_pdb_open(u->path, SK_PDB_RW | SK_PDB_CREATE, &err));
    assert_int_equal(sk_pdb_init(u->db, "other", &err), 0);
    for (int i = 0; i <= extra; i++) {
        assert_int_equal(sk_pdb_write_begin(u->db, &err), 0);
        if (i == extra && sk_pdb_import(u->db, doc, len, &err) != 0)
            fail_msg("import: %s", err);
        assert_true(sk_pdb_write_commit(u->db, "other", "test", &err) > 0);
    }
}

static char *sk_t_export(struct sk_pdb *db, size_t *len)
{
    char *doc = NULL, *err = NULL;
    FILE *mem = open_memstream(&doc, len);

    assert_non_null(mem);
    assert_int_equal(sk_pdb_export(db, mem, &err), 0);
    fclose(mem);
    return doc;
}

/* The content hash names what is enforced, not the history: databases
 * that got the same content by import at other generations have the same
 * hash; one changed setting, rule, category entry or flag changes it, and
 * undoing the change restores it. (The fixture is written with raw SQL in
 * non-canonical forms, "1024K" or a bare address, which import
 * canonicalises, so the comparison starts from one import.) */
static void sk_t_content_hash(void **state)
{
    struct sk_tdb *t = *state, u = {0}, v = {0};
    struct sk_snapshot *su, *sv;
    char *err = NULL, h1[SK_PDB_HASH_HEX + 1], h2[SK_PDB_HASH_HEX + 1], *doc;
    size_t len = 0;
    static const char *const edits[][2] = {
        {"UPDATE settings SET value = '51M' WHERE key = 'av.max-scan-size' AND value = '50M'",
         "UPDATE settings SET value = '50M' WHERE key = 'av.max-scan-size' AND value = '51M'"},
        {"UPDATE url_rules SET pattern = 'bad.co' WHERE pattern = 'bad.com' AND list = 'block'",
         "UPDATE url_rules SET pattern = 'bad.com' WHERE pattern = 'bad.co'"},
        {"UPDATE category_entries SET value = 'casino.exampla' WHERE value = 'casino.example'",
         "UPDATE category_entries SET value = 'casino.example' WHERE value = 'casino.exampla'"},
        {"UPDATE policies SET enabled = 0 WHERE name = 'sales'",
         "UPDATE policies SET enabled = 1 WHERE name = 'sales'"},
    };

    /* the fixture's hand-written unknown key would not import */
    sk_t_sql(t->db, "DELETE FROM settings WHERE key = 'no.such-key'");
    doc = sk_t_export(t->db, &len);
    sk_t_db_from(&u, "/tmp/sk-test-snapu-XXXXXX", doc, len, 0);
    free(doc);
    doc = sk_t_export(u.db, &len);
    sk_t_db_from(&v, "/tmp/sk-test-snapv-XXXXXX", doc, len, 3);
    free(doc);
    assert_non_null(su = sk_snapshot_load(u.db, &err));
    assert_non_null(sv = sk_snapshot_load(v.db, &err));
    assert_int_not_equal(sk_snapshot_generation(su), sk_snapshot_generation(sv));
    assert_int_equal(strlen(sk_snapshot_content_hash(su)), SK_PDB_HASH_HEX);
    assert_string_equal(sk_snapshot_content_hash(su), sk_snapshot_content_hash(sv));
    assert_int_equal(sk_pdb_content_hash(u.db, h1, &err), 0);
    assert_string_equal(h1, sk_snapshot_content_hash(su));

    for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
        sk_t_sql(u.db, edits[i][0]);
        assert_int_equal(sqlite3_changes(sk_pdb_sqlite(u.db)), 1);
        assert_int_equal(sk_pdb_content_hash(u.db, h2, &err), 0);
        assert_string_not_equal(h1, h2);
        sk_t_sql(u.db, edits[i][1]);
        assert_int_equal(sk_pdb_content_hash(u.db, h2, &err), 0);
        assert_string_equal(h1, h2);
    }
    sk_snapshot_unref(su);
    sk_snapshot_unref(sv);
    for (int i = 0; i < 2; i++) {
        void *copy = malloc(sizeof(u));
        assert_non_null(copy);
        memcpy(copy, i ? &v : &u, sizeof(u));
        sk_t_teardown(&copy); /* frees copy */
    }
}

static void sk_t_invalid_stored(void **state)
{
    static const char *const bad[] = {
        "UPDATE settings SET value = 'maybe' WHERE key = 'icap.x-virus-id'",
        "INSERT INTO policy_scopes(policy_id, kind, value) VALUES (10, 'client-ip', '10.0.0.0/33')",
        "INSERT INTO url_rules(policy_id, list, match, pattern) VALUES (10, 'block', 'regex', "
        "'(x')",
        "INSERT INTO url_rules(policy_id, list, match, pattern) VALUES (10, 'block', 'domain', 'a "
        "b')",
    };
    struct sk_tdb *t = *state;
    char *err = NULL;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sk_t_sql(t->db, "SAVEPOINT x");
        sk_t_sql(t->db, bad[i]);
        assert_null(sk_snapshot_load(t->db, &err));
        assert_non_null(err);
        assert_non_null(strstr(err, t->path));
        free(err);
        err = NULL;
        sk_t_sql(t->db, "ROLLBACK TO x; RELEASE x");
    }
}

static void sk_t_validators(void **state)
{
    char *canon = NULL, *err = NULL;

    assert_int_equal(sk_url_rule_validate("domain", "*.Example.COM.", &canon, &err), 0);
    assert_string_equal(canon, "example.com");
    free(canon);
    assert_int_equal(sk_url_rule_validate("prefix", "HTTP://WWW.Ex.com:80/a/../Ads", &canon, &err),
                     0);
    assert_string_equal(canon, "www.ex.com/ads");
    free(canon);
    assert_int_equal(sk_url_rule_validate("regex", "([a-z]", NULL, &err), -1);
    free(err);
    err = NULL;
    assert_int_equal(sk_url_rule_validate("fuzzy", "x", NULL, &err), -1);
    free(err);
    err = NULL;
    assert_int_equal(sk_scope_validate("client-ip", "10.0.0.0/8", &err), 0);
    assert_int_equal(sk_scope_validate("client-ip", "2001:db8::/129", &err), -1);
    free(err);
    err = NULL;
    assert_int_equal(sk_scope_validate("client-ip", "10.0.0/8", &err), -1);
    free(err);
    err = NULL;
    assert_int_equal(sk_scope_validate("user", "WinNT://CORP/alice", &err), 0);
    assert_int_equal(sk_scope_validate("user", "CORP\\", &err), -1);
    free(err);
}

static double sk_t_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sk_t_big_category(void **state)
{
    struct sk_tdb *t = *state;
    sqlite3 *db = sk_pdb_sqlite(t->db);
    sqlite3_stmt *st = NULL;
    struct sk_snapshot *s;
    const struct sk_policy *def;
    struct sk_url_decision d;
    char dom[64], url[96], *err = NULL;
    size_t entries, bytes;
    double ms, t0;

    sk_t_sql(t->db, "BEGIN; INSERT INTO categories(id, name) VALUES (50, 'big');"
                    "INSERT INTO policy_categories(policy_id, category_id)"
                    " VALUES ((SELECT id FROM policies WHERE name = 'default'), 50)");
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "INSERT INTO category_entries VALUES (50, 'domain', ?1)",
                                        -1, &st, NULL),
                     SQLITE_OK);
    for (int i = 0; i < 100000; i++) {
        snprintf(dom, sizeof(dom), "site%d.big%d.example", i, i % 97);
        sqlite3_bind_text(st, 1, dom, -1, SQLITE_TRANSIENT);
        assert_int_equal(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    sk_t_sql(t->db, "COMMIT");
    s = sk_t_load(t);
    sk_snapshot_stats(s, &entries, &bytes, &ms);
    fprintf(stderr, "100k-domain snapshot: %zu entries, %zu bytes, %.1f ms\n", entries, bytes, ms);
    assert_true(entries >= 100000);
    def = sk_snapshot_default(s);
    t0 = sk_t_now();
    for (int i = 0; i < 100000; i++) {
        struct sk_url u;
        snprintf(url, sizeof(url), "http://www.site%d.big%d.example/x", i, (i + (i & 1)) % 97);
        assert_int_equal(sk_url_normalize(url, 0, &u, &err), 0);
        assert_int_equal(sk_policy_check_url(def, &u, &d), 0);
        /* odd i: wrong parent label, must not match */
        assert_int_equal(d.verdict, (i & 1) && (i + 1) % 97 != i % 97 ? SK_URL_NONE : SK_URL_BLOCK);
        sk_url_free(&u);
    }
    fprintf(stderr, "100k normalise+decide: %.0f ns each\n", (sk_t_now() - t0) * 1e4);
    sk_snapshot_unref(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(sk_t_resolve, sk_t_setup, sk_t_teardown),
        cmocka_unit_test_setup_teardown(sk_t_priority_tie, sk_t_setup, sk_t_teardown),
        cmocka_unit_test_setup_teardown(sk_t_settings, sk_t_setup, sk_t_teardown),
        cmocka_unit_test_setup_teardown(sk_t_decide, sk_t_setup, sk_t_teardown),
        cmocka_unit_test_setup_teardown(sk_t_refcount_generation, sk_t_setup, sk_t_teardown),
        cmocka_unit_test_setup_teardown(sk_t_content_hash, sk_t_setup, sk_t_teardown),
        cmocka_unit_test_setup_teardown(sk_t_invalid_stored, sk_t_setup, sk_t_teardown),
        cmocka_unit_test(sk_t_validators),
        cmocka_unit_test_setup_teardown(sk_t_big_category, sk_t_setup, sk_t_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

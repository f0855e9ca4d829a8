/* pdb_export.c - the whole policy as one JSON document: policies (scopes,
 * settings, URL rules, blocked categories, DLP templates) and categories
 * (with entries, or version references in snapshots). Deterministic: rows
 * are ordered by their natural keys, so equal states give equal bytes.
 * Trust: reads the database; output goes to the administrator or to
 * the snapshots table. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "pdb_store.h"

/* Document layout version (not the schema version). */
#define SK_PDB_DOC_VERSION 1

struct sk_pdb_exp {
    sk_pdb_version_fn version_fn; /* REFS only */
    struct sk_pdb *pdb;
    struct sk_buf *b;
    char **err;
    int oom;
    int v4; /* schema v4 or later: schedules (a migration exports each step) */
    int v6; /* schema v6 or later: directories' domains and realms */
};

static void sk_pdb_out(struct sk_pdb_exp *x, const char *s)
{
    if (sk_buf_puts(x->b, s) == -1)
        x->oom = 1;
}

static void sk_pdb_out_json(struct sk_pdb_exp *x, const char *s)
{
    /* the toolkit's JSON escaping: \n \t short, other controls \u00XX */
    sk_buf_puts(x->b, "\"");
    sk_json_escape(x->b, s, SIZE_MAX);
    if (sk_buf_puts(x->b, "\"") == -1)
        x->oom = 1;
}

static void sk_pdb_out_int(struct sk_pdb_exp *x, int64_t v)
{
    if (sk_buf_printf(x->b, "%lld", (long long)v) == -1)
        x->oom = 1;
}

static const char *sk_pdb_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

/*
 * Run SQL (?1 = ID) and write each row as an object of NAMES (columns in
 * order; a name starting with '#' is an integer column, without the '#').
 * One object per line, INDENT before each. -1 on error.
 */
static int sk_pdb_out_rows(struct sk_pdb_exp *x, const char *sql, int64_t id,
                           const char *const *names, const char *indent)
{
    sqlite3_stmt *st = NULL;
    int rc = -1, step, n = 0;

    if (sqlite3_prepare_v2(x->pdb->db, sql, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_int64(st, 1, id) != SQLITE_OK)
        goto out;
    sk_pdb_out(x, "[");
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        sk_pdb_out(x, n++ ? ",\n" : "\n");
        sk_pdb_out(x, indent);
        sk_pdb_out(x, "{");
        for (int i = 0; names[i]; i++) {
            const char *name = names[i][0] == '#' || names[i][0] == '?' ? names[i] + 1 : names[i];
            /* '?': optional, left out when NULL, so documents of policies
             * without schedules stay byte-identical (same content hash) */
            if (names[i][0] == '?' && sqlite3_column_type(st, i) == SQLITE_NULL)
                continue;
            sk_pdb_out(x, i ? ", " : "");
            sk_pdb_out_json(x, name);
            sk_pdb_out(x, ": ");
            if (names[i][0] == '#')
                sk_pdb_out_int(x, sqlite3_column_int64(st, i));
            else
                sk_pdb_out_json(x, sk_pdb_text(st, i));
        }
        sk_pdb_out(x, "}");
    }
    if (step != SQLITE_DONE)
        goto out;
    if (n) {
        sk_pdb_out(x, "\n");
        sk_pdb_out(x, indent + 2);
    }
    sk_pdb_out(x, "]");
    rc = 0;
out:
    if (rc == -1)
        sk_pdb_sqlerr(x->pdb, x->err, "cannot export");
    sqlite3_finalize(st);
    return rc;
}

/* Rows of SQL (?1 = ID) as an array of strings (first column) or, with
 * PAIRS, an object of column 0 -> column 1. */
static int sk_pdb_out_strings(struct sk_pdb_exp *x, const char *sql, int64_t id, int pairs,
                              const char *indent)
{
    sqlite3_stmt *st = NULL;
    int rc = -1, step, n = 0;

    if (sqlite3_prepare_v2(x->pdb->db, sql, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_int64(st, 1, id) != SQLITE_OK)
        goto out;
    sk_pdb_out(x, pairs ? "{" : "[");
    while ((step = sqlite3_step(st)) == SQLITE_ROW && !x->oom) {
        sk_pdb_out(x, n++ ? ",\n" : "\n");
        sk_pdb_out(x, indent);
        sk_pdb_out_json(x, sk_pdb_text(st, 0));
        if (pairs) {
            sk_pdb_out(x, ": ");
            sk_pdb_out_json(x, sk_pdb_text(st, 1));
        }
    }
    if (step != SQLITE_DONE && !x->oom)
        goto out;
    if (n) {
        sk_pdb_out(x, "\n");
        sk_pdb_out(x, indent + 2);
    }
    sk_pdb_out(x, pairs ? "}" : "]");
    rc = 0;
out:
    if (rc == -1)
        sk_pdb_sqlerr(x->pdb, x->err, "cannot export");
    sqlite3_finalize(st);
    return rc;
}

/* Does SQL (?1 = ID) return a row? 1, 0, -1. */
static int sk_pdb_any(struct sk_pdb_exp *x, const char *sql, int64_t id)
{
    sqlite3_stmt *st = NULL;
    int step;

    if (sqlite3_prepare_v2(x->pdb->db, sql, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_int64(st, 1, id) != SQLITE_OK) {
        sqlite3_finalize(st);
        return sk_pdb_sqlerr(x->pdb, x->err, "cannot export");
    }
    step = sqlite3_step(st);
    sqlite3_finalize(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return sk_pdb_sqlerr(x->pdb, x->err, "cannot export");
    return step == SQLITE_ROW;
}

/* Category blocks with a schedule (schema v4): "scheduled_categories",
 * only when the policy has any, so older documents keep their bytes. */
static int sk_pdb_out_when_cats(struct sk_pdb_exp *x, int64_t id)
{
    static const char *const cols[] = {"name", "when", NULL};
    static const char sql[] = "SELECT c.name, pc.when_sched FROM policy_categories pc JOIN"
                              " categories c ON c.id = pc.category_id WHERE pc.policy_id = ?1"
                              " AND pc.when_sched IS NOT NULL ORDER BY c.name";
    int any = x->v4 ? sk_pdb_any(x, sql, id) : 0;

    if (any <= 0)
        return any;
    sk_pdb_out(x, ",\n      \"scheduled_categories\": ");
    return sk_pdb_out_rows(x, sql, id, cols, "        ");
}

/* Schedules (schema v4), only when there are any: see above. */
static int sk_pdb_out_schedules(struct sk_pdb_exp *x)
{
    static const char *const cols[] = {"name", "days", "times", "tz", NULL};
    static const char sql[] = "SELECT name, days, times, tz FROM schedules WHERE ?1 = ?1"
                              " ORDER BY name";
    int any = x->v4 ? sk_pdb_any(x, sql, 0) : 0;

    if (any <= 0)
        return any;
    sk_pdb_out(x, ",\n  \"schedules\": ");
    return sk_pdb_out_rows(x, sql, 0, cols, "    ");
}

static int sk_pdb_out_policy(struct sk_pdb_exp *x, sqlite3_stmt *p)
{
    static const char *const scope[] = {"kind", "value", NULL};
    static const char *const rule[] = {"list", "match", "pattern", "comment", "?when", NULL};
    static const char *const dlp[] = {"name", "detectors", "#min_count", "action", "?when", NULL};
    /* The policy's own tables, in document order: arrays of objects (cols)
     * or of strings / a key-value object (pairs). */
    static const struct {
        const char *label, *sql;
        const char *const *cols;
        int pairs;
    } sect[] = {
        {"scopes",
         "SELECT kind, value FROM policy_scopes WHERE policy_id = ?1"
         " ORDER BY kind, value",
         scope, 0},
        {"settings", "SELECT key, value FROM settings WHERE policy_id = ?1 ORDER BY key", NULL, 1},
        {"url_rules",
         "SELECT list, match, pattern, comment, when_sched FROM url_rules WHERE"
         " policy_id = ?1 ORDER BY list, match, pattern",
         rule, 0},
        {"categories",
         "SELECT c.name FROM policy_categories pc JOIN categories c ON"
         " c.id = pc.category_id WHERE pc.policy_id = ?1 AND pc.when_sched IS NULL"
         " ORDER BY c.name",
         NULL, 0},
        {"dlp_templates",
         "SELECT name, detectors, min_count, action, when_sched FROM dlp_templates"
         " WHERE policy_id = ?1 ORDER BY name",
         dlp, 0},
    };
    int64_t id = sqlite3_column_int64(p, 0);
    const char *in = "        ";

    sk_pdb_out(x, "    {\n      \"name\": ");
    sk_pdb_out_json(x, sk_pdb_text(p, 1));
    sk_pdb_out(x, ",\n      \"priority\": ");
    sk_pdb_out_int(x, sqlite3_column_int64(p, 2));
    sk_pdb_out(x, sqlite3_column_int(p, 3) ? ",\n      \"enabled\": true"
                                           : ",\n      \"enabled\": false");
    sk_pdb_out(x, ",\n      \"comment\": ");
    sk_pdb_out_json(x, sk_pdb_text(p, 4));
    for (size_t i = 0; i < sizeof(sect) / sizeof(sect[0]); i++) {
        sk_pdb_out(x, ",\n      \"");
        sk_pdb_out(x, sect[i].label);
        sk_pdb_out(x, "\": ");
        char sql[512];
        /* before schema v4 (a migration's intermediate step) the when
         * column does not exist: read it as NULL */
        snprintf(sql, sizeof(sql), "%s", sect[i].sql);
        for (char *w = sql; !x->v4 && (w = strstr(w, "when_sched")) != NULL; w += 10)
            memcpy(w, "(NULL)    ", 10);
        for (char *w = sql; !x->v4 && (w = strstr(w, "pc.(NULL)")) != NULL; w += 9)
            memcpy(w, "   (NULL)", 9);
        if ((sect[i].cols ? sk_pdb_out_rows(x, sql, id, sect[i].cols, in)
                          : sk_pdb_out_strings(x, sql, id, sect[i].pairs, in)) == -1)
            return -1;
    }
    if (sk_pdb_out_when_cats(x, id) == -1)
        return -1;
    sk_pdb_out(x, "\n    }");
    return 0;
}

static int sk_pdb_out_entries(struct sk_pdb_exp *x, int64_t cid)
{
    static const char *const kinds[] = {"domain", "url", "expression"};
    char sql[160];

    sk_pdb_out(x, ",\n      \"entries\": {");
    for (int k = 0; k < 3; k++) {
        snprintf(sql, sizeof(sql),
                 "SELECT value FROM category_entries WHERE category_id = ?1"
                 " AND kind = '%s' ORDER BY value",
                 kinds[k]);
        sk_pdb_out(x, k ? ",\n        " : "\n        ");
        sk_pdb_out_json(x, kinds[k]);
        sk_pdb_out(x, ": ");
        if (sk_pdb_out_strings(x, sql, cid, 0, "          ") == -1)
            return -1;
    }
    sk_pdb_out(x, "\n      }");
    return 0;
}

static int sk_pdb_out_category(struct sk_pdb_exp *x, sqlite3_stmt *c, unsigned flags)
{
    int64_t cid = sqlite3_column_int64(c, 0), version;

    sk_pdb_out(x, "    {\n      \"name\": ");
    sk_pdb_out_json(x, sk_pdb_text(c, 1));
    sk_pdb_out(x, ",\n      \"source\": ");
    sk_pdb_out_json(x, sk_pdb_text(c, 2));
    sk_pdb_out(x, ",\n      \"comment\": ");
    sk_pdb_out_json(x, sk_pdb_text(c, 3));
    if (flags & SK_PDB_EXPORT_REFS) {
        if (!x->version_fn) {
            sk_pdb_errf(x->err, "export: category references need the write library");
            return -1;
        }
        if (x->version_fn(x->pdb, cid, &version, x->err) == -1)
            return -1;
        sk_pdb_out(x, ",\n      \"version\": ");
        sk_pdb_out_int(x, version);
    } else if (sk_pdb_out_entries(x, cid) == -1) {
        return -1;
    }
    sk_pdb_out(x, "\n    }");
    return 0;
}

/* For each row of SQL call FN; writes the array around them. */
static int sk_pdb_out_each(struct sk_pdb_exp *x, const char *sql, unsigned flags,
                           int (*fn)(struct sk_pdb_exp *, sqlite3_stmt *, unsigned))
{
    sqlite3_stmt *st = NULL;
    int rc = -1, step, n = 0;

    if (sqlite3_prepare_v2(x->pdb->db, sql, -1, &st, NULL) != SQLITE_OK) {
        sk_pdb_sqlerr(x->pdb, x->err, "cannot export");
        goto out;
    }
    sk_pdb_out(x, "[");
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        sk_pdb_out(x, n++ ? ",\n" : "\n");
        if (fn(x, st, flags) == -1)
            goto out;
    }
    if (step != SQLITE_DONE) {
        sk_pdb_sqlerr(x->pdb, x->err, "cannot export");
        goto out;
    }
    sk_pdb_out(x, n ? "\n  ]" : "]");
    rc = 0;
out:
    sqlite3_finalize(st);
    return rc;
}

static int sk_pdb_out_policy_fn(struct sk_pdb_exp *x, sqlite3_stmt *st, unsigned flags)
{
    (void)flags;
    return sk_pdb_out_policy(x, st);
}

/* Directories (schema v5), only when there is one: a policy without
 * directories exports (and hashes) exactly as before. Their domains and
 * realms (v6) only when the administrator gave them: a directory serving
 * the domain of its base exports as it did in v5. The password file's
 * path is in the document and so in the content hash: the document is
 * what fleets ship and the hash is compared with a bundle's, so equal
 * content means an equal path on every node. The secret is in that file,
 * never in the document. */
/* 1 when SQL returns a row, 0 when not, -1 on error. */
static int sk_pdb_any_row(struct sk_pdb_exp *x, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int step;

    if (sqlite3_prepare_v2(x->pdb->db, sql, -1, &st, NULL) != SQLITE_OK) {
        sk_pdb_sqlerr(x->pdb, x->err, "cannot export");
        return -1;
    }
    step = sqlite3_step(st);
    sqlite3_finalize(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        sk_pdb_sqlerr(x->pdb, x->err, "cannot export");
        return -1;
    }
    return step == SQLITE_ROW;
}

static int sk_pdb_out_directories(struct sk_pdb_exp *x)
{
    static const char *const names[] = {
        "name",        "uris",     "base",    "bind_dn", "password_file", "#global_catalog",
        "group_attrs", "?domains", "?realms", NULL};
    int any;

    /* the table is absent while `init` walks a v1..v5 file up: each
     * step's snapshot is exported before v5 exists */
    any = sk_pdb_any_row(x, "SELECT 1 FROM sqlite_master WHERE type = 'table'"
                            " AND name = 'directories'");
    if (any == 1)
        any = sk_pdb_any_row(x, "SELECT 1 FROM directories LIMIT 1");
    if (any <= 0)
        return any;
    sk_pdb_out(x, ",\n  \"directories\": ");
    return sk_pdb_out_rows(x,
                           x->v6 ? "SELECT name, uris, base, bind_dn, password_file,"
                                   " global_catalog, group_attrs, NULLIF(domains, ''),"
                                   " NULLIF(realms, '') FROM directories WHERE id > ?1"
                                   " ORDER BY name"
                                 : "SELECT name, uris, base, bind_dn, password_file,"
                                   " global_catalog, group_attrs, NULL, NULL"
                                   " FROM directories WHERE id > ?1 ORDER BY name",
                           0, names, "    ");
}

int sk_pdb_export_buf_fn(struct sk_pdb *pdb, unsigned flags, sk_pdb_version_fn version_fn,
                         struct sk_buf *out, char **err)
{
    struct sk_pdb_exp x = {.pdb = pdb, .b = out, .err = err, .version_fn = version_fn};
    int own = sqlite3_get_autocommit(pdb->db), rc = -1;

    /* One read transaction: the document is one consistent state. */
    if (own && sk_pdb_exec(pdb, "BEGIN", err) == -1)
        return -1;
    int64_t uv = 0;
    if (sk_pdb_query_int(pdb, "PRAGMA user_version", &uv, err) == -1)
        goto out;
    x.v4 = uv >= 4;
    x.v6 = uv >= 6;
    sk_pdb_out(&x, "{\n  \"format\": \"sekisho-policy\",\n  \"version\": ");
    sk_pdb_out_int(&x, SK_PDB_DOC_VERSION);
    if (sk_pdb_out_schedules(&x) == -1)
        goto out;
    sk_pdb_out(&x, ",\n  \"policies\": ");
    if (sk_pdb_out_each(&x,
                        "SELECT id, name, priority, enabled, comment FROM policies"
                        " ORDER BY priority",
                        flags, sk_pdb_out_policy_fn) == -1)
        goto out;
    sk_pdb_out(&x, ",\n  \"categories\": ");
    if (sk_pdb_out_each(&x, "SELECT id, name, source, comment FROM categories ORDER BY name", flags,
                        sk_pdb_out_category) == -1)
        goto out;
    if (sk_pdb_out_directories(&x) == -1)
        goto out;
    sk_pdb_out(&x, "\n}\n");
    if (x.oom) {
        sk_pdb_errf(err, "out of memory");
        goto out;
    }
    rc = 0;
out:
    if (own)
        sqlite3_exec(pdb->db, "COMMIT", NULL, NULL, NULL);
    return rc;
}

int sk_pdb_export(struct sk_pdb *pdb, FILE *f, char **err)
{
    struct sk_buf b = {0};
    int rc = -1;

    if (sk_pdb_export_buf_fn(pdb, 0, NULL, &b, err) == -1)
        goto out;
    if (fwrite(b.data, 1, b.len, f) != b.len || fflush(f) != 0) {
        sk_pdb_errf(err, "cannot write the export: %s", strerror(errno));
        goto out;
    }
    rc = 0;
out:
    free(b.data);
    return rc;
}

int sk_pdb_sha256_hex(const void *p, size_t n, char out[SK_PDB_HASH_HEX + 1])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    if (EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
        out[0] = '\0';
        return -1;
    }
    sk_hex_encode(md, mdlen, out);
    return 0;
}

int sk_pdb_content_hash(struct sk_pdb *pdb, char out[SK_PDB_HASH_HEX + 1], char **err)
{
    struct sk_buf b = {0};
    int rc = -1;

    if (sk_pdb_export_buf_fn(pdb, 0, NULL, &b, err) == -1)
        goto out;
    if (sk_pdb_sha256_hex(b.data, b.len, out) == -1) {
        sk_pdb_errf(err, "cannot hash the policy (OpenSSL SHA-256 failed)");
        goto out;
    }
    rc = 0;
out:
    free(b.data);
    return rc;
}

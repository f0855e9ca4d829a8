/* cli_show.c - sekisho-policy show: everything about one policy (scope,
 * every setting with where its value comes from, rule counts, blocked
 * categories). Trust: read-only. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Print rows of SQL (?1 = policy id): "  a b" lines or a JSON array of
 * objects with NAMES (NULL-terminated); columns named "#x" are integers. */
static int sk_cli_rows(struct sk_cli *c, sqlite3 *db, const char *sql, int64_t id,
                       const char *title, const char *const *names)
{
    sqlite3_stmt *st = NULL;
    int n = 0, step;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_int64(st, 1, id) != SQLITE_OK) {
        sqlite3_finalize(st);
        return -1;
    }
    if (c->json)
        printf(",\"%s\":[", title);
    else
        printf("%s:\n", title);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (c->json) {
            fputs(n ? ",{" : "{", stdout);
            for (int i = 0; names[i]; i++) {
                int num = names[i][0] == '#';
                printf("%s\"%s\":", i ? "," : "", names[i] + num);
                if (num)
                    printf("%lld", (long long)sqlite3_column_int64(st, i));
                else
                    sk_cli_json_str(stdout, sk_cli_col(st, i));
            }
            fputc('}', stdout);
        } else {
            fputs("  ", stdout);
            for (int i = 0; names[i]; i++)
                printf("%s%s", i ? "  " : "", sk_cli_col(st, i));
            fputc('\n', stdout);
        }
        n++;
    }
    if (c->json)
        fputc(']', stdout);
    else if (n == 0)
        puts("  (none)");
    sqlite3_finalize(st);
    return step == SQLITE_DONE ? 0 : -1;
}

static int sk_cli_show_settings(struct sk_cli *c, struct sk_pdb *pdb, const char *policy)
{
    const struct sk_pdb_setting_def *d = NULL;
    size_t n;
    char *err = NULL;

    d = sk_pdb_settings(&n);
    printf(c->json ? ",\"settings\":[" : "settings:\n");
    for (size_t i = 0; i < n; i++) {
        const char *from = NULL;
        char *value = NULL;
        if (sk_pdb_resolve_setting(pdb, policy, d[i].key, &value, &from, &err) == -1)
            return sk_cli_report(&err, SK_CLI_FAIL);
        if (c->json) {
            fputs(i ? ",{\"key\":" : "{\"key\":", stdout);
            sk_cli_json_str(stdout, d[i].key);
            fputs(",\"value\":", stdout);
            sk_cli_json_str(stdout, value);
            printf(",\"source\":\"%s\"}", from);
        } else {
            printf("  %-26s %-12s (%s)\n", d[i].key, *value ? value : "\"\"", from);
        }
        free(value);
    }
    if (c->json)
        fputc(']', stdout);
    return SK_CLI_OK;
}

int sk_cli_show(struct sk_cli *c)
{
    static const char *const scope[] = {"kind", "value", NULL};
    static const char *const rules[] = {"list", "#count", NULL};
    static const char *const cats[] = {"name", "#entries", NULL};
    static const char *const dlp[] = {"name", "detectors", "#min_count", "action", NULL};
    const char *policy = sk_cli_policy_name(c);
    struct sk_pdb *pdb;
    sqlite3_stmt *st = NULL;
    sqlite3 *db;
    int rc = SK_CLI_FAIL;
    int64_t id;

    if ((pdb = sk_cli_open(c, SK_PDB_RO)) == NULL)
        return SK_CLI_FAIL;
    db = sk_pdb_sqlite(pdb);
    /* One read transaction: every part shows the same generation. */
    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    if ((rc = sk_cli_find_policy(pdb, policy, &id)) != SK_CLI_OK)
        goto out;
    rc = SK_CLI_FAIL; /* until everything is printed */
    if (sqlite3_prepare_v2(db, "SELECT priority, enabled, comment FROM policies WHERE id = ?1", -1,
                           &st, NULL) != SQLITE_OK ||
        sqlite3_bind_int64(st, 1, id) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
        goto dberr;
    if (c->json) {
        fputs("{\"policy\":", stdout);
        sk_cli_json_str(stdout, policy);
        printf(",\"generation\":%lld,\"priority\":%lld,\"enabled\":%s,\"comment\":",
               (long long)sk_pdb_generation(pdb), (long long)sqlite3_column_int64(st, 0),
               sqlite3_column_int(st, 1) ? "true" : "false");
        sk_cli_json_str(stdout, sk_cli_col(st, 2));
    } else {
        printf("policy %s (generation %lld)\npriority: %lld%s\ncomment: %s\n", policy,
               (long long)sk_pdb_generation(pdb), (long long)sqlite3_column_int64(st, 0),
               sqlite3_column_int(st, 1) ? "" : " (disabled)", sk_cli_col(st, 2));
    }
    if (sk_cli_rows(c, db,
                    "SELECT kind, value FROM policy_scopes WHERE policy_id = ?1"
                    " ORDER BY kind, value",
                    id, "scope", scope) == -1)
        goto dberr;
    if (sk_cli_show_settings(c, pdb, policy) != SK_CLI_OK)
        goto out;
    if (sk_cli_rows(c, db,
                    "SELECT list, count(*) FROM url_rules WHERE policy_id = ?1"
                    " GROUP BY list ORDER BY list",
                    id, "url_rules", rules) == -1 ||
        sk_cli_rows(c, db,
                    "SELECT c.name, (SELECT count(*) FROM category_entries e WHERE"
                    " e.category_id = c.id) FROM policy_categories pc JOIN categories c"
                    " ON c.id = pc.category_id WHERE pc.policy_id = ?1 ORDER BY c.name",
                    id, "blocked_categories", cats) == -1 ||
        sk_cli_rows(c, db,
                    "SELECT name, detectors, min_count, action FROM dlp_templates"
                    " WHERE policy_id = ?1 ORDER BY name",
                    id, "dlp_templates", dlp) == -1)
        goto dberr;
    if (c->json)
        fputs("}\n", stdout);
    else if (strcmp(policy, SK_PDB_DEFAULT_POLICY) != 0)
        puts("(the default policy's URL rules and blocked categories apply too)");
    rc = SK_CLI_OK;
    goto out;
dberr:
    rc = sk_cli_fail("policy database %s: cannot read policy '%s': %s", c->db, policy,
                     sqlite3_errmsg(db));
out:
    sqlite3_finalize(st);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    sk_pdb_close(pdb);
    return rc;
}

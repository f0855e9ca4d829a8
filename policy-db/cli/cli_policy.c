/* cli_policy.c - sekisho-policy policy commands: add, list, show, rm, set,
 * enable, disable, scope add/rm. Trust: administrator input, validated by
 * the library before any write; a refused command changes nothing. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* --priority, or -1 when not given; SK_CLI_OK or a usage exit. */
static int sk_cli_priority(const struct sk_cli *c, int64_t *prio)
{
    *prio = -1;
    if (c->priority != NULL && sk_cli_int(c->priority, 0, SK_PDB_PRIORITY_MAX, prio) == -1)
        return sk_cli_usage("invalid priority '%s': 0..%d (lower is tried first; the default"
                            " policy is %d)",
                            c->priority, SK_PDB_PRIORITY_MAX, SK_PDB_PRIORITY_DEFAULT);
    return SK_CLI_OK;
}

/* Validate every --client-ip/--user/--group before opening anything. */
static int sk_cli_check_scopes(const struct sk_cli *c)
{
    char *canon = NULL, *err = NULL;

    for (int i = 0; i < c->nscopes; i++) {
        if (sk_pdb_scope_canon(c->scopes[i].kind, c->scopes[i].value, &canon, &err) == -1)
            return sk_cli_report(&err, SK_CLI_USAGE);
        free(canon);
        canon = NULL;
    }
    return SK_CLI_OK;
}

static int64_t sk_cli_add_scopes(struct sk_cli *c, struct sk_pdb *pdb, const char *name, int rm,
                                 char **err)
{
    int64_t changed = 0;

    for (int i = 0; i < c->nscopes; i++) {
        int r = rm ? sk_pdb_scope_rm(pdb, name, c->scopes[i].kind, c->scopes[i].value, err)
                   : sk_pdb_scope_add(pdb, name, c->scopes[i].kind, c->scopes[i].value, err);
        if (r < 0)
            return r;
        changed += r;
    }
    return changed;
}

static int64_t sk_cli_do_add(struct sk_cli *c, struct sk_pdb *pdb, void *arg, char **err)
{
    int64_t prio = *(int64_t *)arg, r;

    if ((r = sk_pdb_policy_add(pdb, c->ops[0], prio, c->comment, err)) < 0)
        return r;
    *(int64_t *)arg = r;
    return sk_cli_add_scopes(c, pdb, c->ops[0], 0, err);
}

int sk_cli_policy_add(struct sk_cli *c)
{
    int64_t prio, gen;
    char *err = NULL;
    int rc;

    if ((rc = sk_cli_priority(c, &prio)) != SK_CLI_OK || (rc = sk_cli_check_scopes(c)) != 0)
        return rc;
    if (sk_pdb_policy_name_valid(c->ops[0], &err) == -1)
        return sk_cli_report(&err, SK_CLI_USAGE);
    if ((rc = sk_cli_write(c, sk_cli_do_add, &prio, NULL, &gen)) != SK_CLI_OK)
        return rc;
    printf("added policy '%s' (priority %lld%s) (generation %lld)\n", c->ops[0], (long long)prio,
           c->nscopes ? "" : ", no scope yet: it matches nobody", (long long)gen);
    return SK_CLI_OK;
}

static int64_t sk_cli_do_rm(struct sk_cli *c, struct sk_pdb *pdb, void *arg, char **err)
{
    return sk_pdb_policy_rm(pdb, c->ops[0], err);
}

int sk_cli_policy_rm(struct sk_cli *c)
{
    int64_t gen;
    int rc = sk_cli_write(c, sk_cli_do_rm, NULL, NULL, &gen);

    if (rc == SK_CLI_OK)
        printf("removed policy '%s' (generation %lld)\n", c->ops[0], (long long)gen);
    return rc;
}

static int64_t sk_cli_do_set(struct sk_cli *c, struct sk_pdb *pdb, void *arg, char **err)
{
    return sk_pdb_policy_update(pdb, c->ops[0], *(int64_t *)arg, c->comment, -1, err);
}

int sk_cli_policy_set(struct sk_cli *c)
{
    int64_t prio, gen;
    int rc;

    if ((rc = sk_cli_priority(c, &prio)) != SK_CLI_OK)
        return rc;
    if (c->priority == NULL && c->comment == NULL)
        return sk_cli_usage("policy set: give --priority N and/or --comment TEXT");
    if ((rc = sk_cli_write(c, sk_cli_do_set, &prio, NULL, &gen)) == SK_CLI_OK)
        printf("changed policy '%s' (generation %lld)\n", c->ops[0], (long long)gen);
    return rc;
}

static int64_t sk_cli_do_enable(struct sk_cli *c, struct sk_pdb *pdb, void *arg, char **err)
{
    return sk_pdb_policy_update(pdb, c->ops[0], -1, NULL, *(int *)arg, err);
}

static int sk_cli_enable(struct sk_cli *c, int on)
{
    int64_t gen;
    int rc = sk_cli_write(c, sk_cli_do_enable, &on, NULL, &gen);

    if (rc == SK_CLI_OK)
        printf("%s policy '%s' (generation %lld)\n", on ? "enabled" : "disabled", c->ops[0],
               (long long)gen);
    return rc;
}

int sk_cli_policy_enable(struct sk_cli *c)
{
    return sk_cli_enable(c, 1);
}

int sk_cli_policy_disable(struct sk_cli *c)
{
    return sk_cli_enable(c, 0);
}

static int64_t sk_cli_do_scope(struct sk_cli *c, struct sk_pdb *pdb, void *arg, char **err)
{
    return sk_cli_add_scopes(c, pdb, c->ops[0], *(int *)arg, err);
}

static int sk_cli_scope(struct sk_cli *c, int rm)
{
    int64_t changed = 0, gen;
    int rc;

    if (c->nscopes == 0)
        return sk_cli_usage("policy scope %s: give --client-ip, --user or --group",
                            rm ? "rm" : "add");
    if ((rc = sk_cli_check_scopes(c)) != SK_CLI_OK)
        return rc;
    if ((rc = sk_cli_write(c, sk_cli_do_scope, &rm, &changed, &gen)) != SK_CLI_OK)
        return rc;
    printf("%s %lld of %d scope entries %s policy '%s'%s (generation %lld)\n",
           rm ? "removed" : "added", (long long)changed, c->nscopes, rm ? "from" : "to", c->ops[0],
           changed < c->nscopes
               ? (rm ? "; the others were not there" : "; the others were already there")
               : "",
           (long long)gen);
    return SK_CLI_OK;
}

int sk_cli_scope_add(struct sk_cli *c)
{
    return sk_cli_scope(c, 0);
}

int sk_cli_scope_rm(struct sk_cli *c)
{
    return sk_cli_scope(c, 1);
}

/* ---- listing ---- */

static void sk_cli_policy_row(const struct sk_cli *c, sqlite3_stmt *st, int n)
{
    if (c->json) {
        fputs("\"name\":", stdout);
        sk_cli_json_str(stdout, sk_cli_col(st, 0));
        printf(",\"priority\":%lld,\"enabled\":%s,\"comment\":",
               (long long)sqlite3_column_int64(st, 1),
               sqlite3_column_int(st, 2) ? "true" : "false");
        sk_cli_json_str(stdout, sk_cli_col(st, 3));
        fputs(",\"scope\":", stdout);
        sk_cli_json_str(stdout, sk_cli_col(st, 4));
        printf(",\"url_rules\":%d,\"categories\":%d,\"settings\":%d", sqlite3_column_int(st, 5),
               sqlite3_column_int(st, 6), sqlite3_column_int(st, 7));
        return;
    }
    if (n == 0)
        printf("%-8s %-16s %-5s %-6s %-5s %-5s %s\n", "PRIO", "NAME", "ON", "RULES", "CATS", "KEYS",
               "SCOPE");
    printf("%-8lld %-16s %-5s %-6d %-5d %-5d %s\n", (long long)sqlite3_column_int64(st, 1),
           sk_cli_col(st, 0), sqlite3_column_int(st, 2) ? "yes" : "no", sqlite3_column_int(st, 5),
           sqlite3_column_int(st, 6), sqlite3_column_int(st, 7),
           strcmp(sk_cli_col(st, 0), SK_PDB_DEFAULT_POLICY) == 0 ? "(everyone else)"
                                                                 : sk_cli_col(st, 4));
}

int sk_cli_policy_list(struct sk_cli *c)
{
    static const char sql[] =
        "SELECT p.name, p.priority, p.enabled, p.comment,"
        " (SELECT group_concat(kind || ':' || value, ' ') FROM (SELECT kind, value FROM"
        "   policy_scopes WHERE policy_id = p.id ORDER BY kind, value)),"
        " (SELECT count(*) FROM url_rules WHERE policy_id = p.id),"
        " (SELECT count(*) FROM policy_categories WHERE policy_id = p.id),"
        " (SELECT count(*) FROM settings WHERE policy_id = p.id)"
        " FROM policies p ORDER BY p.priority";

    return sk_cli_list(c, sql, NULL, 0, "policies", sk_cli_policy_row);
}

int sk_cli_policy_show(struct sk_cli *c)
{
    c->policy = c->ops[0];
    return sk_cli_show(c);
}

/* cli_url.c - sekisho-policy URL rule commands: add, list, rm.
 * Trust: administrator input; patterns are validated (PCRE2, IDN) by the
 * library before they reach the database the server compiles. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* --list and --match given and valid, with PATTERN; usage exit otherwise. */
static int sk_cli_rule_args(const struct sk_cli *c, const char *cmd)
{
    char *canon = NULL, *err = NULL;

    if (c->list == NULL || c->match == NULL)
        return sk_cli_usage("url %s: give --list block|allow|approved and --match"
                            " exact|prefix|substring|domain|regex|cidr",
                            cmd);
    if (sk_pdb_url_canon(c->list, c->match, c->ops[0], &canon, &err) == -1)
        return sk_cli_report(&err, SK_CLI_USAGE);
    free(canon);
    return SK_CLI_OK;
}

static int64_t sk_cli_do_url_add(struct sk_cli *c, struct sk_pdb *pdb, void *arg, char **err)
{
    int64_t id = sk_pdb_url_add(pdb, c->policy, c->list, c->match, c->ops[0], c->comment, err);
    int rc;

    /* --when on a rule that exists already sets its schedule */
    if (id >= 0 && c->when != NULL &&
        (rc = sk_pdb_url_when(pdb, c->policy, c->list, c->match, c->ops[0], c->when, err)) < 0)
        return rc;
    return id;
}

int sk_cli_url_add(struct sk_cli *c)
{
    int64_t id = 0, gen;
    int rc;

    if ((rc = sk_cli_rule_args(c, "add")) != SK_CLI_OK)
        return rc;
    if ((rc = sk_cli_write(c, sk_cli_do_url_add, NULL, &id, &gen)) != SK_CLI_OK)
        return rc;
    if (id > 0)
        printf("added rule %lld to policy '%s' (generation %lld)\n", (long long)id,
               sk_cli_policy_name(c), (long long)gen);
    else if (c->when != NULL)
        printf("rule already in policy '%s'; its schedule is now %s (generation %lld)\n",
               sk_cli_policy_name(c), c->when, (long long)gen);
    else
        printf("rule already in policy '%s'; nothing added (generation %lld)\n",
               sk_cli_policy_name(c), (long long)gen);
    return SK_CLI_OK;
}

static int64_t sk_cli_do_url_rm(struct sk_cli *c, struct sk_pdb *pdb, void *arg, char **err)
{
    int64_t id = *(int64_t *)arg;
    int r = id > 0 ? sk_pdb_url_rm_id(pdb, id, err)
                   : sk_pdb_url_rm(pdb, c->policy, c->list, c->match, c->ops[0], err);

    if (r == 0) {
        /* Removing what is not there is a mistake worth exit 2. */
        if (id > 0 &&
            asprintf(err, "no URL rule %lld (see: sekisho-policy url list)", (long long)id) == -1)
            *err = NULL;
        if (id <= 0 && asprintf(err,
                                "no such rule in policy '%s' (see: sekisho-policy url"
                                " list)",
                                sk_cli_policy_name(c)) == -1)
            *err = NULL;
        return SK_PDB_REJECT;
    }
    return r;
}

int sk_cli_url_rm(struct sk_cli *c)
{
    int64_t id = 0, gen;
    int rc;

    if (c->list == NULL && c->match == NULL) {
        if (c->policy != NULL)
            return sk_cli_usage("url rm ID: --policy does not apply (ids are unique)");
        if (sk_cli_int(c->ops[0], 1, INT64_MAX, &id) == -1)
            return sk_cli_usage("invalid rule id '%s' (or give --list and --match with a"
                                " pattern)",
                                c->ops[0]);
    } else if ((rc = sk_cli_rule_args(c, "rm")) != SK_CLI_OK) {
        return rc;
    }
    if ((rc = sk_cli_write(c, sk_cli_do_url_rm, &id, NULL, &gen)) != SK_CLI_OK)
        return rc;
    printf("removed the rule (generation %lld)\n", (long long)gen);
    return SK_CLI_OK;
}

static void sk_cli_url_row(const struct sk_cli *c, sqlite3_stmt *st, int n)
{
    if (c->json) {
        printf("\"id\":%lld,\"policy\":", (long long)sqlite3_column_int64(st, 0));
        sk_cli_json_str(stdout, sk_cli_col(st, 1));
        fputs(",\"list\":", stdout);
        sk_cli_json_str(stdout, sk_cli_col(st, 2));
        fputs(",\"match\":", stdout);
        sk_cli_json_str(stdout, sk_cli_col(st, 3));
        fputs(",\"pattern\":", stdout);
        sk_cli_json_str(stdout, sk_cli_col(st, 4));
        fputs(",\"comment\":", stdout);
        sk_cli_json_str(stdout, sk_cli_col(st, 5));
        if (*sk_cli_col(st, 6)) { /* only rules with a schedule carry "when" */
            fputs(",\"when\":", stdout);
            sk_cli_json_str(stdout, sk_cli_col(st, 6));
        }
        return;
    }
    if (n == 0)
        printf("%-6s %-16s %-9s %-10s %s\n", "ID", "POLICY", "LIST", "MATCH", "PATTERN");
    printf("%-6lld %-16s %-9s %-10s %s%s%s%s%s\n", (long long)sqlite3_column_int64(st, 0),
           sk_cli_col(st, 1), sk_cli_col(st, 2), sk_cli_col(st, 3), sk_cli_col(st, 4),
           *sk_cli_col(st, 6) ? "  when " : "", sk_cli_col(st, 6), *sk_cli_col(st, 5) ? "  # " : "",
           sk_cli_col(st, 5));
}

int sk_cli_url_list(struct sk_cli *c)
{
    static const char sql[] =
        "SELECT r.id, p.name, r.list, r.match, r.pattern, r.comment, r.when_sched FROM url_rules r"
        " JOIN policies p ON p.id = r.policy_id"
        " WHERE (?1 IS NULL OR p.name = ?1) AND (?2 IS NULL OR r.list = ?2)"
        " ORDER BY p.priority, r.list, r.match, r.pattern";
    const char *args[] = {c->policy, c->list};

    if (c->list != NULL && strcmp(c->list, "block") != 0 && strcmp(c->list, "allow") != 0 &&
        strcmp(c->list, "approved") != 0)
        return sk_cli_usage("invalid list '%s': block, allow or approved", c->list);
    return sk_cli_list(c, sql, args, 2, "rules", sk_cli_url_row);
}

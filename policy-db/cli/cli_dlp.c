/* cli_dlp.c - sekisho-policy DLP template commands: dlp add, list, rm.
 * Trust: administrator input; detectors (regexes included) are validated
 * by the library exactly as the dlp module compiles them. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int64_t sk_cli_do_dlp_add(struct sk_cli *c, struct sk_pdb *pdb, void *arg, char **err)
{
    int64_t min_count = *(int64_t *)arg;

    int64_t id = sk_pdb_dlp_add(pdb, c->policy, c->ops[0], c->detectors, (size_t)c->ndetectors,
                                min_count, c->action, err);
    int rc;

    if (id > 0 && c->when != NULL &&
        (rc = sk_pdb_dlp_when(pdb, c->policy, c->ops[0], c->when, err)) < 0)
        return rc;
    return id;
}

int sk_cli_dlp_add(struct sk_cli *c)
{
    int64_t min_count = 1, id = 0, gen;
    char *canon = NULL, *err = NULL;
    int rc;

    if (c->ndetectors == 0)
        return sk_cli_usage("dlp add: give at least one --detector D (credit-card, my-number,"
                            " corporate-number, ssn, iban, email, jp-phone, keyword:WORD,"
                            " regex:RE)");
    if (c->action == NULL)
        return sk_cli_usage("dlp add: give --action block|log");
    if (c->min_count != NULL && sk_cli_int(c->min_count, 1, 1000000, &min_count) == -1)
        return sk_cli_usage("invalid --min-count '%s': 1 to 1000000", c->min_count);
    /* Refuse bad input before opening the database, with the library's words. */
    if (sk_pdb_dlp_name_valid(c->ops[0], &err) == -1)
        return sk_cli_report(&err, SK_CLI_USAGE);
    for (int i = 0; i < c->ndetectors; i++) {
        if (sk_pdb_dlp_detector_canon(c->detectors[i], &canon, &err) == -1)
            return sk_cli_report(&err, SK_CLI_USAGE);
        free(canon);
        canon = NULL;
    }
    if (strcmp(c->action, "block") != 0 && strcmp(c->action, "log") != 0)
        return sk_cli_usage("invalid --action '%s': block or log", c->action);
    if ((rc = sk_cli_write(c, sk_cli_do_dlp_add, &min_count, &id, &gen)) != SK_CLI_OK)
        return rc;
    printf("added DLP template '%s' to policy '%s' (generation %lld)\n", c->ops[0],
           sk_cli_policy_name(c), (long long)gen);
    return SK_CLI_OK;
}

static int64_t sk_cli_do_dlp_rm(struct sk_cli *c, struct sk_pdb *pdb, void *arg, char **err)
{
    int r = sk_pdb_dlp_rm(pdb, c->policy, c->ops[0], err);

    if (r == 0) {
        if (asprintf(err, "no DLP template '%s' in policy '%s' (see: sekisho-policy dlp list)",
                     c->ops[0], sk_cli_policy_name(c)) == -1)
            *err = NULL;
        return SK_PDB_REJECT;
    }
    return r;
}

int sk_cli_dlp_rm(struct sk_cli *c)
{
    int64_t gen;
    int rc;

    if ((rc = sk_cli_write(c, sk_cli_do_dlp_rm, NULL, NULL, &gen)) != SK_CLI_OK)
        return rc;
    printf("removed DLP template '%s' from policy '%s' (generation %lld)\n", c->ops[0],
           sk_cli_policy_name(c), (long long)gen);
    return SK_CLI_OK;
}

static void sk_cli_dlp_row(const struct sk_cli *c, sqlite3_stmt *st, int n)
{
    if (c->json) {
        fputs("\"policy\":", stdout);
        sk_cli_json_str(stdout, sk_cli_col(st, 0));
        fputs(",\"name\":", stdout);
        sk_cli_json_str(stdout, sk_cli_col(st, 1));
        fputs(",\"detectors\":", stdout);
        sk_cli_json_words(stdout, sk_cli_col(st, 2), '\n');
        printf(",\"min_count\":%lld,\"action\":", (long long)sqlite3_column_int64(st, 3));
        sk_cli_json_str(stdout, sk_cli_col(st, 4));
        if (*sk_cli_col(st, 5)) { /* only templates with a schedule */
            fputs(",\"when\":", stdout);
            sk_cli_json_str(stdout, sk_cli_col(st, 5));
        }
        return;
    }
    if (n == 0)
        printf("%-16s %-24s %-6s %-5s %s\n", "POLICY", "TEMPLATE", "ACTION", "MIN", "DETECTORS");
    printf("%-16s %-24s %-6s %-5lld ", sk_cli_col(st, 0), sk_cli_col(st, 1), sk_cli_col(st, 4),
           (long long)sqlite3_column_int64(st, 3));
    for (const char *p = sk_cli_col(st, 2); *p; p++)
        fputs(*p == '\n' ? " | " : (char[2]){*p, 0}, stdout);
    if (*sk_cli_col(st, 5))
        printf("  when %s", sk_cli_col(st, 5));
    fputc('\n', stdout);
}

int sk_cli_dlp_list(struct sk_cli *c)
{
    static const char sql[] =
        "SELECT p.name, d.name, d.detectors, d.min_count, d.action, d.when_sched FROM "
        "dlp_templates d"
        " JOIN policies p ON p.id = d.policy_id WHERE (?1 IS NULL OR p.name = ?1)"
        " ORDER BY p.priority, d.name";

    return sk_cli_list(c, sql, &c->policy, 1, "DLP templates", sk_cli_dlp_row);
}

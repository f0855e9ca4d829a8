/* cli_settings.c - sekisho-policy setting commands: set, unset, get, keys.
 * Trust: administrator input, validated against the registry before any
 * write; a rejected value leaves the database untouched. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *sk_cli_policy(const struct sk_cli *c)
{
    return c->policy ? c->policy : SK_PDB_DEFAULT_POLICY;
}

/* Inside the write: does the --policy exist? SK_CLI_OK or an exit code. */
static int sk_cli_need_policy(const struct sk_cli *c, struct sk_pdb *pdb)
{
    return sk_cli_find_policy(pdb, sk_cli_policy(c), NULL);
}

static void sk_cli_print_change(const struct sk_cli *c, const char *key, const char *value,
                                int64_t gen)
{
    if (c->json) {
        fputs("{\"key\":", stdout);
        sk_cli_json_str(stdout, key);
        fputs(",\"value\":", stdout);
        if (value != NULL)
            sk_cli_json_str(stdout, value);
        else
            fputs("null", stdout);
        fputs(",\"policy\":", stdout);
        sk_cli_json_str(stdout, sk_cli_policy(c));
        printf(",\"generation\":%lld}\n", (long long)gen);
    } else if (value != NULL) {
        printf("%s = %s in policy '%s' (generation %lld)\n", key, value, sk_cli_policy(c),
               (long long)gen);
    } else {
        printf("%s inherited again in policy '%s' (generation %lld)\n", key, sk_cli_policy(c),
               (long long)gen);
    }
}

int sk_cli_set(struct sk_cli *c)
{
    const char *key = c->argv[1], *value = c->argv[2];
    struct sk_pdb *pdb = NULL;
    char *canon = NULL, *err = NULL;
    int rc = SK_CLI_FAIL;
    int64_t gen;

    /* Bad input is refused before the database is even opened. */
    if (sk_pdb_setting_validate(key, value, &canon, &err) == -1)
        return sk_cli_report(&err, SK_CLI_USAGE);
    if ((pdb = sk_cli_open(c, SK_PDB_RW)) == NULL)
        goto out;
    if (sk_pdb_write_begin(pdb, &err) == -1) {
        sk_cli_report(&err, SK_CLI_FAIL);
        goto out;
    }
    if ((rc = sk_cli_need_policy(c, pdb)) != SK_CLI_OK)
        goto out;
    rc = SK_CLI_FAIL;
    if (sk_pdb_set_setting(pdb, c->policy, key, value, &err) == -1) {
        sk_cli_report(&err, SK_CLI_FAIL);
        goto out;
    }
    if ((gen = sk_cli_commit(c, pdb)) == -1)
        goto out;
    sk_cli_print_change(c, key, canon, gen);
    rc = SK_CLI_OK;
out:
    if (pdb != NULL)
        sk_pdb_write_rollback(pdb);
    sk_pdb_close(pdb);
    free(canon);
    return rc;
}

int sk_cli_unset(struct sk_cli *c)
{
    const char *key = c->argv[1];
    struct sk_pdb *pdb = NULL;
    char *err = NULL;
    int rc = SK_CLI_FAIL;
    int64_t gen;

    if (sk_pdb_setting_find(key) == NULL) {
        sk_pdb_setting_validate(key, "", NULL, &err);
        return sk_cli_report(&err, SK_CLI_USAGE);
    }
    if ((pdb = sk_cli_open(c, SK_PDB_RW)) == NULL)
        goto out;
    if (sk_pdb_write_begin(pdb, &err) == -1) {
        sk_cli_report(&err, SK_CLI_FAIL);
        goto out;
    }
    if ((rc = sk_cli_need_policy(c, pdb)) != SK_CLI_OK)
        goto out;
    rc = SK_CLI_FAIL;
    if (sk_pdb_unset_setting(pdb, c->policy, key, &err) == -1) {
        sk_cli_report(&err, SK_CLI_FAIL);
        goto out;
    }
    if ((gen = sk_cli_commit(c, pdb)) == -1)
        goto out;
    sk_cli_print_change(c, key, NULL, gen);
    rc = SK_CLI_OK;
out:
    if (pdb != NULL)
        sk_pdb_write_rollback(pdb);
    sk_pdb_close(pdb);
    return rc;
}

int sk_cli_get(struct sk_cli *c)
{
    const char *key = c->argv[1], *from = NULL;
    const struct sk_pdb_setting_def *d;
    struct sk_pdb *pdb = NULL;
    char *value = NULL, *err = NULL;
    int rc = SK_CLI_FAIL;

    if ((d = sk_pdb_setting_find(key)) == NULL) {
        sk_pdb_setting_validate(key, "", NULL, &err);
        return sk_cli_report(&err, SK_CLI_USAGE);
    }
    if ((pdb = sk_cli_open(c, SK_PDB_RO)) == NULL)
        goto out;
    if ((rc = sk_cli_need_policy(c, pdb)) != SK_CLI_OK)
        goto out;
    rc = SK_CLI_FAIL;
    if (sk_pdb_resolve_setting(pdb, c->policy, key, &value, &from, &err) == -1) {
        sk_cli_report(&err, SK_CLI_FAIL);
        goto out;
    }
    if (c->json) {
        fputs("{\"key\":", stdout);
        sk_cli_json_str(stdout, key);
        fputs(",\"value\":", stdout);
        sk_cli_json_str(stdout, value);
        printf(",\"type\":\"%s\",\"policy\":", sk_pdb_type_name(d->type));
        sk_cli_json_str(stdout, sk_cli_policy(c));
        printf(",\"source\":\"%s\"}\n", from);
    } else {
        printf("%s\n", value);
    }
    rc = SK_CLI_OK;
out:
    sk_pdb_close(pdb);
    free(value);
    return rc;
}

int sk_cli_keys(struct sk_cli *c)
{
    const struct sk_pdb_setting_def *d;
    size_t n;

    d = sk_pdb_settings(&n);
    if (c->json)
        fputc('[', stdout);
    for (size_t i = 0; i < n; i++) {
        const char *type = d[i].type == SK_PDB_T_ENUM ? d[i].choices : sk_pdb_type_name(d[i].type);
        if (c->json) {
            fputs(i ? ",\n  {\"key\":" : "\n  {\"key\":", stdout);
            sk_cli_json_str(stdout, d[i].key);
            printf(",\"type\":\"%s\",\"default\":", sk_pdb_type_name(d[i].type));
            sk_cli_json_str(stdout, d[i].def);
            if (d[i].type == SK_PDB_T_ENUM) {
                fputs(",\"choices\":", stdout);
                sk_cli_json_str(stdout, d[i].choices);
            }
            fputs(",\"help\":", stdout);
            sk_cli_json_str(stdout, d[i].help);
            fputc('}', stdout);
        } else {
            if (i == 0)
                printf("%-24s %-12s %-8s %s\n", "KEY", "TYPE", "DEFAULT", "MEANING");
            printf("%-24s %-12s %-8s %s\n", d[i].key, type, *d[i].def ? d[i].def : "\"\"",
                   d[i].help);
        }
    }
    if (c->json)
        fputs("\n]\n", stdout);
    return SK_CLI_OK;
}

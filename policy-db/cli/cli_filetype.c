/* cli_filetype.c - sekisho-policy filetype block|allow|list: the per-policy
 * set of blocked true file types, kept as the setting filetype.block (so
 * export/import, history, rollback, the content hash and the snapshot
 * carry it like any setting).
 * Trust: administrator input; every name is checked before the database
 * is opened, a rejected command changes nothing. */
#include <stdlib.h>
#include <string.h>

#include <sekisho/filetype.h>

#include "cli.h"

static const char *sk_cli_ft_policy(const struct sk_cli *c)
{
    return c->policy ? c->policy : SK_PDB_DEFAULT_POLICY;
}

/* The operands as a type mask; SK_CLI_USAGE (message printed) if one is
 * not a type name. */
static int sk_cli_ft_operands(const struct sk_cli *c, unsigned *mask)
{
    unsigned m = 0, one;
    char bad[40];

    for (int i = 0; i < c->nops; i++) {
        if (sk_ft_types_parse(c->ops[i], &one, bad, sizeof(bad)) == -1 || one == 0) {
            fprintf(stderr,
                    "sekisho-policy: unknown file type '%s' (see: sekisho-policy filetype "
                    "list)\n",
                    one == 0 && bad[0] == '\0' ? c->ops[i] : bad);
            return SK_CLI_USAGE;
        }
        m |= one;
    }
    *mask = m;
    return SK_CLI_OK;
}

/* block (add = 1) or allow (add = 0) the operand types in --policy:
 * the policy's effective set (its own, else inherited) changed and
 * stored as its own value. */
static int sk_cli_ft_change(struct sk_cli *c, int add)
{
    struct sk_pdb *pdb = NULL;
    char *cur = NULL, *val = NULL, *err = NULL;
    unsigned ops, mask = 0;
    int rc;
    int64_t gen;

    if ((rc = sk_cli_ft_operands(c, &ops)) != SK_CLI_OK)
        return rc;
    rc = SK_CLI_FAIL;
    if ((pdb = sk_cli_open(c, SK_PDB_RW)) == NULL)
        goto out;
    if (sk_pdb_write_begin(pdb, &err) == -1) {
        sk_cli_report(&err, SK_CLI_FAIL);
        goto out;
    }
    if ((rc = sk_cli_find_policy(pdb, sk_cli_ft_policy(c), NULL)) != SK_CLI_OK)
        goto out;
    rc = SK_CLI_FAIL;
    if (sk_pdb_resolve_setting(pdb, c->policy, "filetype.block", &cur, NULL, &err) == -1 ||
        sk_ft_types_parse(cur, &mask, NULL, 0) == -1) {
        if (err == NULL)
            err = strdup("stored filetype.block is invalid");
        sk_cli_report(&err, SK_CLI_FAIL);
        goto out;
    }
    mask = add ? mask | ops : mask & ~ops;
    if ((val = sk_ft_types_format(mask)) == NULL ||
        sk_pdb_set_setting(pdb, c->policy, "filetype.block", val, &err) == -1) {
        if (err == NULL)
            err = strdup("out of memory");
        sk_cli_report(&err, SK_CLI_FAIL);
        goto out;
    }
    if ((gen = sk_cli_commit(c, pdb)) == -1)
        goto out;
    printf("file types blocked in policy '%s': %s (generation %lld)\n", sk_cli_ft_policy(c),
           *val ? val : "none", (long long)gen);
    rc = SK_CLI_OK;
out:
    if (pdb != NULL)
        sk_pdb_write_rollback(pdb);
    sk_pdb_close(pdb);
    free(cur);
    free(val);
    return rc;
}

int sk_cli_filetype_block(struct sk_cli *c)
{
    return sk_cli_ft_change(c, 1);
}

int sk_cli_filetype_allow(struct sk_cli *c)
{
    return sk_cli_ft_change(c, 0);
}

/* Every type, whether --policy blocks it, and what it covers. */
int sk_cli_filetype_list(struct sk_cli *c)
{
    struct sk_pdb *pdb = NULL;
    char *cur = NULL, *err = NULL;
    const char *from = NULL;
    unsigned mask = 0;
    int rc = SK_CLI_FAIL;

    if ((pdb = sk_cli_open(c, SK_PDB_RO)) == NULL)
        goto out;
    if ((rc = sk_cli_find_policy(pdb, sk_cli_ft_policy(c), NULL)) != SK_CLI_OK)
        goto out;
    rc = SK_CLI_FAIL;
    if (sk_pdb_resolve_setting(pdb, c->policy, "filetype.block", &cur, &from, &err) == -1 ||
        sk_ft_types_parse(cur, &mask, NULL, 0) == -1) {
        if (err == NULL)
            err = strdup("stored filetype.block is invalid");
        sk_cli_report(&err, SK_CLI_FAIL);
        goto out;
    }
    if (c->json)
        fputc('[', stdout);
    else
        printf("%-18s %-7s %s\n", "TYPE", "ACTION", "COVERS");
    for (unsigned i = 0; sk_ft_type_name(i); i++) {
        const char *act = mask & (1u << i) ? "block" : "allow";
        if (c->json) {
            fputs(i ? ",\n  {\"type\":" : "\n  {\"type\":", stdout);
            sk_cli_json_str(stdout, sk_ft_type_name(i));
            printf(",\"action\":\"%s\",\"policy\":", act);
            sk_cli_json_str(stdout, sk_cli_ft_policy(c));
            printf(",\"source\":\"%s\",\"covers\":", from);
            sk_cli_json_str(stdout, sk_ft_type_help(i));
            fputc('}', stdout);
        } else {
            printf("%-18s %-7s %s\n", sk_ft_type_name(i), act, sk_ft_type_help(i));
        }
    }
    if (c->json)
        fputs("\n]\n", stdout);
    rc = SK_CLI_OK;
out:
    sk_pdb_close(pdb);
    free(cur);
    return rc;
}

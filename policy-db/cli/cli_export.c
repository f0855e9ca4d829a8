/* cli_export.c - sekisho-policy export, import and rollback: the whole
 * policy as one JSON document, replaced in one transaction. Trust: an
 * import file is administrator input that may be damaged; the library
 * validates all of it and a refused import changes nothing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int sk_cli_export(struct sk_cli *c)
{
    struct sk_pdb *pdb;
    char *err = NULL;
    int rc = SK_CLI_OK;

    if ((pdb = sk_cli_open(c, SK_PDB_RO)) == NULL)
        return SK_CLI_FAIL;
    if (sk_pdb_export(pdb, stdout, &err) == -1)
        rc = sk_cli_report(&err, SK_CLI_FAIL);
    sk_pdb_close(pdb);
    return rc;
}

struct sk_cli_doc {
    char *text;
    size_t len;
};

/* PATH ("-" = stdin) into memory; SK_CLI_OK or a usage exit. */
static int sk_cli_read_doc(const char *path, struct sk_cli_doc *d)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    int rc, e;

    if (f == NULL)
        return sk_cli_usage("cannot read %s: %s", path, strerror(errno));
    rc = sk_cli_read_all(f, &d->text, &d->len);
    e = errno;
    if (f != stdin)
        fclose(f);
    if (rc != 0)
        return e == ENOMEM ? sk_cli_fail("out of memory reading %s", path)
                           : sk_cli_usage("cannot read %s: %s", path, strerror(e));
    if (d->len == 0)
        return sk_cli_usage("%s is empty: not a policy export", path);
    return SK_CLI_OK;
}

static int64_t sk_cli_do_import(struct sk_cli *c, struct sk_pdb *pdb, void *arg, char **err)
{
    struct sk_cli_doc *d = arg;

    return sk_pdb_import(pdb, d->text, d->len, err);
}

int sk_cli_import(struct sk_cli *c)
{
    struct sk_cli_doc d = {0};
    int64_t gen;
    int rc;

    if ((rc = sk_cli_read_doc(c->ops[0], &d)) == SK_CLI_OK &&
        (rc = sk_cli_write(c, sk_cli_do_import, &d, NULL, &gen)) == SK_CLI_OK)
        printf("imported the policy from %s (generation %lld)\n", c->ops[0], (long long)gen);
    free(d.text);
    return rc;
}

static int64_t sk_cli_do_rollback(struct sk_cli *c, struct sk_pdb *pdb, void *arg, char **err)
{
    return sk_pdb_rollback(pdb, *(int64_t *)arg, err);
}

int sk_cli_rollback(struct sk_cli *c)
{
    int64_t target, gen;
    int rc;

    if (sk_cli_int(c->ops[0], 1, INT64_MAX, &target) == -1)
        return sk_cli_usage("invalid generation '%s' (see: sekisho-policy history)", c->ops[0]);
    if ((rc = sk_cli_write(c, sk_cli_do_rollback, &target, NULL, &gen)) == SK_CLI_OK)
        printf("restored the policy of generation %lld (generation %lld)\n", (long long)target,
               (long long)gen);
    return rc;
}

/* cli_db.c - sekisho-policy database commands: init, generation, history.
 * Trust: administrator input; init is the only command that creates files. */
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"

int sk_cli_init(struct sk_cli *c)
{
    struct sk_pdb *pdb;
    char *actor = NULL, *text = NULL, *err = NULL;
    int before, rc = SK_CLI_FAIL, created;
    int64_t gen;

    if ((pdb = sk_cli_open(c, SK_PDB_RW | SK_PDB_CREATE)) == NULL)
        return SK_CLI_FAIL;
    created = sk_pdb_created(pdb);
    if ((actor = sk_cli_actor()) == NULL || (text = sk_cli_command_text(c)) == NULL) {
        sk_cli_fail("out of memory");
        goto out;
    }
    before = sk_pdb_schema_version(pdb);
    if (sk_pdb_init_cmd(pdb, actor, text, &err) == -1) {
        sk_cli_report(&err, SK_CLI_FAIL);
        goto out;
    }
    if ((gen = sk_pdb_generation(pdb)) < 1) {
        sk_cli_fail("policy database %s: no generation after init", c->db);
        goto out;
    }
    if (before == SK_PDB_SCHEMA_VERSION)
        printf("policy database %s is already initialised (schema %d, generation %lld)\n", c->db,
               SK_PDB_SCHEMA_VERSION, (long long)gen);
    else if (before > 0)
        printf("migrated policy database %s from schema %d to %d (generation %lld)\n", c->db,
               before, SK_PDB_SCHEMA_VERSION, (long long)gen);
    else
        printf("initialised policy database %s (schema %d, generation %lld)\n", c->db,
               SK_PDB_SCHEMA_VERSION, (long long)gen);
    rc = SK_CLI_OK;
out:
    sk_pdb_close(pdb);
    /* Do not leave an empty, uninitialised file behind. */
    if (rc != SK_CLI_OK && created) {
        unlink(c->db);
        sk_cli_remove_sidecars(c->db);
    }
    free(actor);
    free(text);
    return rc;
}

int sk_cli_generation(struct sk_cli *c)
{
    struct sk_pdb *pdb;
    int64_t gen;

    if ((pdb = sk_cli_open(c, SK_PDB_RO)) == NULL)
        return SK_CLI_FAIL;
    gen = sk_pdb_generation(pdb);
    sk_pdb_close(pdb);
    if (gen < 1)
        return sk_cli_fail("policy database %s: cannot read the generation", c->db);
    if (c->json)
        printf("{\"generation\":%lld}\n", (long long)gen);
    else
        printf("%lld\n", (long long)gen);
    return SK_CLI_OK;
}

/* The content hash and the generation it was read at, in one read
 * transaction: what `cluster`-style comparisons and the ISTag are made of. */
int sk_cli_hash(struct sk_cli *c)
{
    struct sk_pdb *pdb;
    char hash[SK_PDB_HASH_HEX + 1], *err = NULL;
    int64_t gen;
    int rc;

    if ((pdb = sk_cli_open(c, SK_PDB_RO)) == NULL)
        return SK_CLI_FAIL;
    sqlite3_exec(sk_pdb_sqlite(pdb), "BEGIN", NULL, NULL, NULL);
    gen = sk_pdb_generation(pdb);
    rc = sk_pdb_content_hash(pdb, hash, &err);
    sqlite3_exec(sk_pdb_sqlite(pdb), "COMMIT", NULL, NULL, NULL);
    sk_pdb_close(pdb);
    if (rc == -1 || gen < 1) {
        rc = sk_cli_fail("policy database %s: %s", c->db, err ? err : "cannot read the generation");
        free(err);
        return rc;
    }
    if (c->json)
        printf("{\"content_hash\":\"%s\",\"generation\":%lld}\n", hash, (long long)gen);
    else
        printf("%s\n", hash);
    return SK_CLI_OK;
}

struct sk_cli_hist {
    int json;
    int n;
};

static int sk_cli_history_row(void *arg, int64_t gen, const char *at, const char *actor,
                              const char *command)
{
    struct sk_cli_hist *h = arg;

    if (h->json) {
        printf("%s\n  {\"generation\":%lld,\"at\":", h->n ? "," : "", (long long)gen);
        sk_cli_json_str(stdout, at);
        fputs(",\"actor\":", stdout);
        sk_cli_json_str(stdout, actor);
        fputs(",\"command\":", stdout);
        sk_cli_json_str(stdout, command);
        fputc('}', stdout);
    } else {
        if (h->n == 0)
            printf("%-6s %-20s %-16s %s\n", "GEN", "WHEN (UTC)", "WHO", "COMMAND");
        printf("%-6lld %-20s %-16s %s\n", (long long)gen, at, actor, command);
    }
    h->n++;
    return 0;
}

int sk_cli_history(struct sk_cli *c)
{
    struct sk_cli_hist h = {.json = c->json};
    struct sk_pdb *pdb;
    char *err = NULL;
    int rc = SK_CLI_OK;

    if ((pdb = sk_cli_open(c, SK_PDB_RO)) == NULL)
        return SK_CLI_FAIL;
    if (c->json)
        fputc('[', stdout);
    if (sk_pdb_history(pdb, c->limit, sk_cli_history_row, &h, &err) == -1)
        rc = sk_cli_report(&err, SK_CLI_FAIL);
    if (c->json)
        fputs(h.n ? "\n]\n" : "]\n", stdout);
    sk_pdb_close(pdb);
    return rc;
}

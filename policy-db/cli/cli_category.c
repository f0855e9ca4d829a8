/* cli_category.c - sekisho-policy category commands: import, list, rm,
 * block, unblock. Trust: list directories come from third-party
 * downloads; the library validates every line. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static int64_t sk_cli_do_import(struct sk_cli *c, struct sk_pdb *pdb, void *arg, char **err)
{
    return sk_pdb_category_import(pdb, c->ops[0], c->ops[1], arg, err);
}

void sk_cli_category_imported(const char *name, const struct sk_pdb_import_stats *s,
                              const struct timespec *t0, int64_t gen)
{
    struct timespec t1;

    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("imported category '%s': %lld domains, %lld urls, %lld expressions"
           " in %.2f s (generation %lld)\n",
           name, (long long)s->domains, (long long)s->urls, (long long)s->expressions,
           (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9,
           (long long)gen);
    if (s->duplicates > 0)
        printf("  %lld repeated lines stored once\n", (long long)s->duplicates);
    if (s->invalid > 0)
        printf("  %lld invalid lines skipped (first: %s line %lld)\n", (long long)s->invalid,
               s->first_invalid_file, (long long)s->first_invalid_line);
}

int sk_cli_category_import(struct sk_cli *c)
{
    struct sk_pdb_import_stats s;
    struct timespec t0;
    int64_t gen;
    int rc;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    if ((rc = sk_cli_write(c, sk_cli_do_import, &s, NULL, &gen)) != SK_CLI_OK)
        return rc;
    sk_cli_category_imported(c->ops[0], &s, &t0, gen);
    return SK_CLI_OK;
}

static int64_t sk_cli_do_cat_rm(struct sk_cli *c, struct sk_pdb *pdb, void *arg, char **err)
{
    return sk_pdb_category_rm(pdb, c->ops[0], err);
}

int sk_cli_category_rm(struct sk_cli *c)
{
    int64_t gen;
    int rc = sk_cli_write(c, sk_cli_do_cat_rm, NULL, NULL, &gen);

    if (rc == SK_CLI_OK)
        printf("removed category '%s' (generation %lld)\n", c->ops[0], (long long)gen);
    return rc;
}

static int64_t sk_cli_do_block(struct sk_cli *c, struct sk_pdb *pdb, void *arg, char **err)
{
    int n = sk_pdb_category_block(pdb, c->policy, c->ops[0], *(int *)arg, err), rc;

    if (n < 0)
        return n;
    /* --when on a block that exists already sets its schedule */
    if (c->when != NULL && (rc = sk_pdb_category_when(pdb, c->policy, c->ops[0], c->when, err)) < 0)
        return rc;
    return n || c->when != NULL;
}

static int sk_cli_block(struct sk_cli *c, int block)
{
    int64_t changed = 0, gen;
    int rc = sk_cli_write(c, sk_cli_do_block, &block, &changed, &gen);

    if (rc != SK_CLI_OK)
        return rc;
    printf("category '%s' %s in policy '%s'%s (generation %lld)\n", c->ops[0],
           block ? "blocked" : "not blocked", sk_cli_policy_name(c),
           changed ? ""
           : block ? " (it already was)"
                   : " (it was not blocked)",
           (long long)gen);
    return SK_CLI_OK;
}

int sk_cli_category_block(struct sk_cli *c)
{
    return sk_cli_block(c, 1);
}

int sk_cli_category_unblock(struct sk_cli *c)
{
    return sk_cli_block(c, 0);
}

static void sk_cli_category_row(const struct sk_cli *c, sqlite3_stmt *st, int n)
{
    if (c->json) {
        fputs("\"name\":", stdout);
        sk_cli_json_str(stdout, sk_cli_col(st, 0));
        printf(",\"domains\":%lld,\"urls\":%lld,\"expressions\":%lld,\"blocked_by\":",
               (long long)sqlite3_column_int64(st, 1), (long long)sqlite3_column_int64(st, 2),
               (long long)sqlite3_column_int64(st, 3));
        sk_cli_json_str(stdout, sk_cli_col(st, 4));
        fputs(",\"source\":", stdout);
        sk_cli_json_str(stdout, sk_cli_col(st, 5));
        return;
    }
    if (n == 0)
        printf("%-20s %10s %8s %6s  %s\n", "NAME", "DOMAINS", "URLS", "EXPR", "BLOCKED BY");
    printf("%-20s %10lld %8lld %6lld  %s\n", sk_cli_col(st, 0),
           (long long)sqlite3_column_int64(st, 1), (long long)sqlite3_column_int64(st, 2),
           (long long)sqlite3_column_int64(st, 3), *sk_cli_col(st, 4) ? sk_cli_col(st, 4) : "-");
}

int sk_cli_category_list(struct sk_cli *c)
{
    /* Counts come from the primary key (category_id, kind, ...): cheap
     * even for million-entry lists. */
    static const char sql[] =
        "SELECT c.name,"
        " (SELECT count(*) FROM category_entries WHERE category_id = c.id AND kind = 'domain'),"
        " (SELECT count(*) FROM category_entries WHERE category_id = c.id AND kind = 'url'),"
        " (SELECT count(*) FROM category_entries WHERE category_id = c.id"
        "   AND kind = 'expression'),"
        " (SELECT group_concat(name, ' ') FROM (SELECT p.name || coalesce('(when ' ||"
        "   pc.when_sched || ')', '') AS name FROM policy_categories pc JOIN"
        "   policies p ON p.id = pc.policy_id WHERE pc.category_id = c.id ORDER BY p.priority)),"
        " c.source FROM categories c ORDER BY c.name";

    return sk_cli_list(c, sql, NULL, 0, "categories", sk_cli_category_row);
}

/* cli_schedule.c - sekisho-policy schedule commands: add (or replace),
 * list, rm. Trust: administrator input, validated by the library with the
 * parsers the server's snapshot uses. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int64_t sk_cli_do_schedule_add(struct sk_cli *c, struct sk_pdb *pdb, void *arg, char **err)
{
    (void)arg;
    return sk_pdb_schedule_add(pdb, c->ops[0], c->days, c->times, (size_t)c->ntimes, c->tz, err);
}

int sk_cli_schedule_add(struct sk_cli *c)
{
    char *days = NULL, *times = NULL, *err = NULL;
    int64_t gen;
    int rc;

    /* refuse bad input before opening the database */
    if (sk_pdb_schedule_canon(c->days, c->times, (size_t)c->ntimes, c->tz, &days, &times, &err) ==
        -1)
        return sk_cli_report(&err, SK_CLI_USAGE);
    if ((rc = sk_cli_write(c, sk_cli_do_schedule_add, NULL, NULL, &gen)) == SK_CLI_OK)
        printf("schedule '%s': %s %s%s%s (generation %lld)\n", c->ops[0], days,
               *times ? times : "all day", c->tz && *c->tz ? " " : " node local time",
               c->tz && *c->tz ? c->tz : "", (long long)gen);
    free(days);
    free(times);
    return rc;
}

static int64_t sk_cli_do_schedule_rm(struct sk_cli *c, struct sk_pdb *pdb, void *arg, char **err)
{
    (void)arg;
    return sk_pdb_schedule_rm(pdb, c->ops[0], err);
}

int sk_cli_schedule_rm(struct sk_cli *c)
{
    int64_t gen;
    int rc;

    if ((rc = sk_cli_write(c, sk_cli_do_schedule_rm, NULL, NULL, &gen)) != SK_CLI_OK)
        return rc;
    printf("removed schedule '%s' (generation %lld)\n", c->ops[0], (long long)gen);
    return SK_CLI_OK;
}

static void sk_cli_schedule_row(const struct sk_cli *c, sqlite3_stmt *st, int n)
{
    if (c->json) {
        fputs("\"name\":", stdout);
        sk_cli_json_str(stdout, sk_cli_col(st, 0));
        fputs(",\"days\":", stdout);
        sk_cli_json_str(stdout, sk_cli_col(st, 1));
        fputs(",\"times\":", stdout);
        sk_cli_json_str(stdout, sk_cli_col(st, 2));
        fputs(",\"tz\":", stdout);
        sk_cli_json_str(stdout, sk_cli_col(st, 3));
        printf(",\"used_by\":%lld", (long long)sqlite3_column_int64(st, 4));
        return;
    }
    if (n == 0)
        printf("%-20s %-16s %-28s %-20s %s\n", "NAME", "DAYS", "TIMES", "ZONE", "USED BY");
    printf("%-20s %-16s %-28s %-20s %lld\n", sk_cli_col(st, 0), sk_cli_col(st, 1),
           *sk_cli_col(st, 2) ? sk_cli_col(st, 2) : "all day",
           *sk_cli_col(st, 3) ? sk_cli_col(st, 3) : "(node local)",
           (long long)sqlite3_column_int64(st, 4));
}

int sk_cli_schedule_list(struct sk_cli *c)
{
    static const char sql[] =
        "SELECT s.name, s.days, s.times, s.tz,"
        " (SELECT count(*) FROM url_rules WHERE ltrim(when_sched, '!') = s.name)"
        " + (SELECT count(*) FROM policy_categories WHERE ltrim(when_sched, '!') = s.name)"
        " + (SELECT count(*) FROM dlp_templates WHERE ltrim(when_sched, '!') = s.name)"
        " FROM schedules s ORDER BY s.name";

    return sk_cli_list(c, sql, NULL, 0, "schedules", sk_cli_schedule_row);
}

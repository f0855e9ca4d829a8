/* cli_directory.c - sekisho-policy directory commands: add, set, list, rm,
 * test.
 * Trust: administrator input. `test` talks to the directory with the same
 * code as the server (sk_dir_lookup); the password file is read, never
 * printed. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sekisho/directory.h>
#include <sekisho/policy_snapshot.h>

#include "cli.h"
#include "sekisho/text.h"

/* `directory test` waits this long: an administrator's probe, not a
 * transaction (the server uses directory.timeout). */
#define SK_CLI_DIR_TEST_MS 10000

static void sk_cli_dir_spec(const struct sk_cli *c, struct sk_pdb_dir_spec *d)
{
    memset(d, 0, sizeof(*d));
    d->name = c->ops[0];
    d->uris = c->uris;
    d->nuris = (size_t)c->nuris;
    d->base = c->base;
    d->bind_dn = c->bind_dn;
    d->password_file = c->password_file;
    d->group_attrs = c->group_attrs;
    d->ngroup_attrs = (size_t)c->ngroup_attrs;
    d->domains = c->domains;
    d->ndomains = (size_t)c->ndomains;
    d->realms = c->realms;
    d->nrealms = (size_t)c->nrealms;
    d->global_catalog = c->global_catalog;
    d->check_file = 1;
}

static int64_t sk_cli_do_dir_add(struct sk_cli *c, struct sk_pdb *pdb, void *arg, char **err)
{
    (void)c;
    return sk_pdb_directory_add(pdb, arg, err);
}

int sk_cli_directory_add(struct sk_cli *c)
{
    struct sk_pdb_dir_spec d;
    char *err = NULL;
    int64_t gen;
    int rc;

    if (c->nuris == 0 || c->base == NULL || c->bind_dn == NULL || c->password_file == NULL)
        return sk_cli_usage("directory add: give --uri, --base, --bind-dn and --password-file");
    sk_cli_dir_spec(c, &d);
    /* Refuse bad input (a readable password file included) before opening. */
    if (sk_pdb_directory_valid(&d, &err) == -1)
        return sk_cli_report(&err, SK_CLI_USAGE);
    if ((rc = sk_cli_write(c, sk_cli_do_dir_add, &d, NULL, &gen)) != SK_CLI_OK)
        return rc;
    printf("added directory '%s' (generation %lld)\n", d.name, (long long)gen);
    return SK_CLI_OK;
}

static int64_t sk_cli_do_dir_set(struct sk_cli *c, struct sk_pdb *pdb, void *arg, char **err)
{
    (void)c;
    return sk_pdb_directory_set_domains(pdb, arg, err);
}

int sk_cli_directory_set(struct sk_cli *c)
{
    struct sk_pdb_dir_spec d;
    int64_t gen;
    int rc;

    if (c->nuris || c->ngroup_attrs || c->base || c->bind_dn || c->password_file ||
        c->global_catalog)
        return sk_cli_usage("directory set: only --domain and --realm change (for the rest:"
                            " directory rm, then add)");
    if (c->ndomains == 0 && c->nrealms == 0)
        return sk_cli_usage("directory set: give --domain and/or --realm");
    sk_cli_dir_spec(c, &d);
    if ((rc = sk_cli_write(c, sk_cli_do_dir_set, &d, NULL, &gen)) != SK_CLI_OK)
        return rc;
    printf("changed directory '%s' (generation %lld)\n", d.name, (long long)gen);
    return SK_CLI_OK;
}

static int64_t sk_cli_do_dir_rm(struct sk_cli *c, struct sk_pdb *pdb, void *arg, char **err)
{
    int r = sk_pdb_directory_rm(pdb, c->ops[0], err);

    (void)arg;
    if (r == 0) {
        if (asprintf(err, "no directory '%s' (see: sekisho-policy directory list)", c->ops[0]) ==
            -1)
            *err = NULL;
        return SK_PDB_REJECT;
    }
    return r;
}

int sk_cli_directory_rm(struct sk_cli *c)
{
    int64_t gen;
    int rc;

    if ((rc = sk_cli_write(c, sk_cli_do_dir_rm, NULL, NULL, &gen)) != SK_CLI_OK)
        return rc;
    printf("removed directory '%s' (generation %lld)\n", c->ops[0], (long long)gen);
    return SK_CLI_OK;
}

/* The domains and realms a row serves: as given, else from its base. */
static void sk_cli_dir_served(sqlite3_stmt *st, struct sk_buf *doms, struct sk_buf *realms,
                              int *derived)
{
    struct sk_buf dd = {0}, dr = {0};

    sk_dir_base_domains(sk_cli_col(st, 2), &dd, &dr);
    derived[0] = sk_cli_col(st, 7)[0] == '\0';
    derived[1] = sk_cli_col(st, 8)[0] == '\0';
    sk_buf_puts(doms, derived[0] ? (dd.data ? dd.data : "") : sk_cli_col(st, 7));
    sk_buf_puts(realms, derived[1] ? (dr.data ? dr.data : "") : sk_cli_col(st, 8));
    sk_buf_free(&dd);
    sk_buf_free(&dr);
}

static void sk_cli_dir_row(const struct sk_cli *c, sqlite3_stmt *st, int n)
{
    static const char *const keys[] = {"name", "uris", "base", "bind_dn", "password_file"};
    struct sk_buf doms = {0}, realms = {0};
    int derived[2];

    sk_cli_dir_served(st, &doms, &realms, derived);
    if (c->json) {
        for (int i = 0; i < 5; i++) {
            printf("%s\"%s\":", i ? "," : "", keys[i]);
            if (i == 1)
                sk_cli_json_words(stdout, sk_cli_col(st, i), ' ');
            else
                sk_cli_json_str(stdout, sk_cli_col(st, i));
        }
        printf(",\"global_catalog\":%s,\"group_attrs\":",
               sqlite3_column_int(st, 5) ? "true" : "false");
        sk_cli_json_words(stdout, sk_cli_col(st, 6), ' ');
        printf(",\"domains\":");
        sk_cli_json_words(stdout, doms.data ? doms.data : "", ' ');
        printf(",\"realms\":");
        sk_cli_json_words(stdout, realms.data ? realms.data : "", ' ');
        printf(",\"domains_from_base\":%s,\"realms_from_base\":%s", derived[0] ? "true" : "false",
               derived[1] ? "true" : "false");
    } else {
        printf("%s%s\n  uris:          %s\n  base:          %s\n  bind-dn:       %s\n"
               "  password-file: %s\n  group-attrs:   %s\n  domains:       %s%s\n"
               "  realms:        %s%s\n",
               sk_cli_col(st, 0), sqlite3_column_int(st, 5) ? " (global catalog)" : "",
               sk_cli_col(st, 1), sk_cli_col(st, 2), sk_cli_col(st, 3), sk_cli_col(st, 4),
               sk_cli_col(st, 6), doms.data ? doms.data : "(none)",
               derived[0] ? " (from base)" : "", realms.data ? realms.data : "(none)",
               derived[1] ? " (from base)" : "");
    }
    sk_buf_free(&doms);
    sk_buf_free(&realms);
    (void)n;
}

int sk_cli_directory_list(struct sk_cli *c)
{
    static const char sql[] = "SELECT name, uris, base, bind_dn, password_file, global_catalog,"
                              " group_attrs, domains, realms FROM directories ORDER BY name";

    return sk_cli_list(c, sql, NULL, 0, "directories", sk_cli_dir_row);
}

int sk_cli_directory_test(struct sk_cli *c)
{
    struct sk_snapshot *snap = NULL;
    const struct sk_directory *dirs, *d = NULL;
    const char *user = NULL;
    struct sk_buf groups = {0};
    struct sk_pdb *pdb;
    struct timespec t0, t1;
    enum sk_dir_outcome outcome;
    char *err = NULL;
    size_t n = 0;
    int rc;

    for (int i = 0; i < c->nscopes; i++) {
        if (strcmp(c->scopes[i].kind, "user") != 0 || user != NULL)
            return sk_cli_usage("directory test: give exactly one --user U");
        user = c->scopes[i].value;
    }
    if (user == NULL || user[0] == '\0')
        return sk_cli_usage("directory test: give exactly one --user U");
    if ((pdb = sk_cli_open(c, SK_PDB_RO)) == NULL)
        return SK_CLI_FAIL;
    /* The server's view: the snapshot it would build. */
    snap = sk_snapshot_load(pdb, &err);
    sk_pdb_close(pdb);
    if (snap == NULL)
        return sk_cli_report(&err, SK_CLI_FAIL);
    dirs = sk_snapshot_directories(snap, &n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(dirs[i].name, c->ops[0]) == 0)
            d = &dirs[i];
    if (d == NULL) {
        sk_snapshot_unref(snap);
        return sk_cli_usage("no directory '%s' (see: sekisho-policy directory list)", c->ops[0]);
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = sk_dir_lookup(d, user, SK_CLI_DIR_TEST_MS, &groups, &outcome, &err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc == -1) {
        sk_snapshot_unref(snap);
        return sk_cli_report(&err, SK_CLI_FAIL);
    }
    printf("directory %s, user %s: %s (%.0f ms)\n", d->name, user,
           outcome == SK_DIR_NOT_SERVED
               ? "not asked: the user's domain is not this directory's (see directory list)"
           : outcome == SK_DIR_AMBIGUOUS ? "no groups (two or more entries match: ambiguous)"
           : groups.len                  ? "groups"
                                         : "no groups (unknown user, or in no group)",
           (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    for (const char *p = groups.data; p != NULL && *p != '\0';) {
        size_t k = strcspn(p, ",");
        printf("  %.*s\n", (int)k, p);
        p += k;
        p += *p == ',';
    }
    sk_buf_free(&groups);
    sk_snapshot_unref(snap);
    return SK_CLI_OK;
}

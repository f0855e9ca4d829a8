/* cli_check.c - sekisho-policy check: the verdict the server would give a
 * URL for a client, explained. Uses the server's own snapshot and matcher
 * (policy_snapshot.h): there is no second implementation to drift.
 * Trust: read-only; the URL and client are administrator input. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sekisho/policy_snapshot.h>
#include <sekisho/url.h>

#include "cli.h"

/* --client-ip/--user once each, --group repeatable (joined with ','). */
static int sk_cli_who(const struct sk_cli *c, struct sk_who *who, char **groups)
{
    unsigned char addr[16];
    size_t len = 0;

    *groups = NULL;
    for (int i = 0; i < c->nscopes; i++) {
        const struct sk_cli_scope *s = &c->scopes[i];
        if (strcmp(s->kind, "group") == 0) {
            len += strlen(s->value) + 1;
            continue;
        }
        if ((strcmp(s->kind, "client-ip") == 0 ? who->client_ip : who->user) != NULL)
            return sk_cli_usage("check: --%s given twice", s->kind);
        if (strcmp(s->kind, "user") == 0) {
            who->user = s->value;
        } else if (inet_pton(AF_INET, s->value, addr) == 1 ||
                   inet_pton(AF_INET6, s->value, addr) == 1) {
            who->client_ip = s->value;
        } else {
            return sk_cli_usage("invalid client IP '%s': check takes one address, not a"
                                " network",
                                s->value);
        }
    }
    if (len > 0) {
        if ((*groups = calloc(1, len)) == NULL)
            return sk_cli_fail("out of memory");
        for (int i = 0; i < c->nscopes; i++)
            if (strcmp(c->scopes[i].kind, "group") == 0) {
                if (**groups)
                    strcat(*groups, ",");
                strcat(*groups, c->scopes[i].value);
            }
        who->groups = *groups;
    }
    return SK_CLI_OK;
}

/* The schedule lines of `check`: why the deciding rule applied at AT, and
 * which rule would have decided had its schedule applied (ANY: the
 * decision with every schedule applying). */
struct sk_cli_sched_why {
    char used[512];     /* "" when the deciding rule has no schedule */
    char skipped[1400]; /* "" when no scheduled rule was left out */
};

static void sk_cli_sched_explain(const struct sk_snapshot *snap, const struct sk_url_decision *d,
                                 const struct sk_url_decision *any, int64_t at,
                                 struct sk_cli_sched_why *w)
{
    char line[400];

    w->used[0] = w->skipped[0] = '\0';
    if (*d->when && sk_snapshot_schedule_explain(snap, d->when, at, line, sizeof(line)) != -1)
        snprintf(w->used, sizeof(w->used), "%s", line);
    if (*any->when &&
        (any->verdict != d->verdict || any->rule_id != d->rule_id ||
         strcmp(any->category, d->category) != 0) &&
        sk_snapshot_schedule_explain(snap, any->when, at, line, sizeof(line)) != -1) {
        if (*any->category)
            snprintf(w->skipped, sizeof(w->skipped),
                     "not applied: category '%s' blocked by policy '%s' --when %s: %s",
                     any->category, any->policy, any->when, line);
        else
            snprintf(w->skipped, sizeof(w->skipped),
                     "not applied: rule %lld '%s:%s' (list %s, policy '%s') --when %s: %s",
                     (long long)any->rule_id, any->match, any->rule, any->list, any->policy,
                     any->when, line);
    }
}

static void sk_cli_print_decision(const struct sk_cli *c, const struct sk_policy *p,
                                  const struct sk_url_decision *d, const struct sk_url *u,
                                  const struct sk_cli_sched_why *w)
{
    const char *verdict = d->verdict == SK_URL_NONE ? "allow" : sk_url_verdict_name(d->verdict);
    const char *action = sk_policy_get(p, "url.action");
    int none = d->verdict == SK_URL_NONE;

    /* what the server does: url.action log passes a block as would-block */
    if (d->verdict == SK_URL_BLOCK && action != NULL && strcmp(action, "log") == 0)
        verdict = "would-block";

    if (c->json) {
        printf("{\"verdict\":\"%s\",\"policy\":", verdict);
        sk_cli_json_str(stdout, sk_policy_name(p));
        fputs(",\"rule\":", stdout);
        sk_cli_json_str(stdout, none ? "" : d->rule);
        fputs(",\"list\":", stdout);
        sk_cli_json_str(stdout, none ? "" : d->list);
        fputs(",\"match\":", stdout);
        sk_cli_json_str(stdout, none ? "" : d->match);
        fputs(",\"category\":", stdout);
        sk_cli_json_str(stdout, none ? "" : d->category);
        fputs(",\"rule_policy\":", stdout);
        sk_cli_json_str(stdout, none ? "" : d->policy);
        printf(",\"rule_id\":%lld,\"url\":", (long long)(none ? 0 : d->rule_id));
        sk_cli_json_str(stdout, sk_url_string(u));
        fputs(",\"when\":", stdout);
        sk_cli_json_str(stdout, none ? "" : d->when);
        fputs(",\"schedule\":", stdout);
        sk_cli_json_str(stdout, w->used);
        fputs(",\"not_applied\":", stdout);
        sk_cli_json_str(stdout, w->skipped);
        fputs("}\n", stdout);
        return;
    }
    if (none)
        printf("allow — policy '%s', no rule matched\n", sk_policy_name(p));
    else if (*d->category)
        printf("%s — policy '%s', category '%s' (%s '%s', blocked by policy '%s')\n", verdict,
               sk_policy_name(p), d->category, d->match, d->rule, d->policy);
    else
        printf("%s — policy '%s', rule '%s:%s' (list %s%s%s%s)\n", verdict, sk_policy_name(p),
               d->match, d->rule, d->list,
               strcmp(d->policy, sk_policy_name(p)) ? ", of policy '" : "",
               strcmp(d->policy, sk_policy_name(p)) ? d->policy : "",
               strcmp(d->policy, sk_policy_name(p)) ? "'" : "");
    printf("  url: %s\n", sk_url_string(u));
    if (*w->used)
        printf("  when %s: %s\n", d->when, w->used);
    if (*w->skipped)
        printf("  %s\n", w->skipped);
    if (strcmp(verdict, "would-block") == 0)
        printf("  monitor mode (url.action log): passed, logged as would-block\n");
}

int sk_cli_check(struct sk_cli *c)
{
    struct sk_who who = {0};
    struct sk_url_decision d, any;
    struct sk_cli_sched_why why;
    struct sk_url u = {0};
    int64_t at = (int64_t)time(NULL);
    struct sk_snapshot *snap = NULL;
    struct sk_pdb *pdb = NULL;
    const struct sk_policy *p;
    char *groups = NULL, *err = NULL;
    int rc;

    if ((rc = sk_cli_who(c, &who, &groups)) != SK_CLI_OK)
        goto out;
    if (c->at != NULL && sk_pdb_parse_time(c->at, &at) == -1) {
        rc = sk_cli_usage("invalid --at '%s': ISO 8601 with an offset, e.g."
                          " 2026-12-02T10:30:00+09:00 or 2026-12-02T01:30:00Z",
                          c->at);
        goto out;
    }
    if (sk_url_normalize(c->ops[0], 0, &u, &err) == -1) {
        rc = sk_cli_usage("invalid URL '%s': %s", c->ops[0], err ? err : "malformed");
        free(err);
        goto out;
    }
    rc = SK_CLI_FAIL;
    if ((pdb = sk_cli_open(c, SK_PDB_RO)) == NULL)
        goto out;
    if ((snap = sk_snapshot_load(pdb, &err)) == NULL) {
        sk_cli_report(&err, SK_CLI_FAIL);
        goto out;
    }
    p = sk_snapshot_resolve(snap, &who);
    memset(&d, 0, sizeof(d));
    if (sk_policy_check_url_at(p, &u, at, &d) == -1 ||
        sk_policy_check_url_at(p, &u, SK_AT_ANY, &any) == -1) {
        sk_cli_fail("cannot decide %s: a regex rule exceeded its match limit (the server"
                    " applies url.on-error)",
                    sk_url_string(&u));
        goto out;
    }
    sk_cli_sched_explain(snap, &d, &any, at, &why);
    sk_cli_print_decision(c, p, &d, &u, &why);
    rc = SK_CLI_OK;
out:
    sk_snapshot_unref(snap);
    sk_pdb_close(pdb);
    sk_url_free(&u);
    free(groups);
    return rc;
}

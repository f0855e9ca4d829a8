/* ub_module.c - the url_block module: decides a transaction from its URL
 * (request line and Host) with the transaction's policy snapshot, in
 * REQMOD and RESPMOD, and renders the block page.
 * SECURITY: the URL and every header are client-controlled. The URL is
 * normalised once by the policy library (the one matcher); anything it
 * cannot normalise gets the policy's failure verdict, never a guess. Values
 * shown on pages are escaped by ub_page.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sekisho/module.h>
#include <sekisho/policy_snapshot.h>
#include <sekisho/url.h>

#include "ub_internal.h"

#define UB_VERSION "1"

/* Why a transaction is blocked (or would be, under url.on-error). */
enum ub_why { UB_WHY_RULE, UB_WHY_CATEGORY, UB_WHY_INFECTED, UB_WHY_ERROR };

struct ub_hit {
    enum ub_why why;
    const struct sk_url_decision *dec; /* RULE, CATEGORY */
    const char *detail;                /* ERROR: what went wrong (English) */
    const char *canonical;             /* "" when the URL did not normalise */
};

/* ---- localised text ---- */

static const char *ub_match_name(enum sk_page_lang lang, const char *match)
{
    static const struct {
        const char *key, *name[SK_NLANG];
    } names[] = {
        {"domain", {"domain", "ドメイン"}},         {"exact", {"exact", "完全一致"}},
        {"prefix", {"prefix", "前方一致"}},         {"substring", {"substring", "部分一致"}},
        {"regex", {"regex", "正規表現"}},           {"url", {"URL", "URL"}},
        {"expression", {"expression", "正規表現"}}, {"cidr", {"network", "ネットワーク"}},
    };

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(names[i].key, match) == 0)
            return names[i].name[lang];
    return match;
}

/* The human reason for HIT in LANG (the log always gets English). */
static void ub_reason(char *buf, size_t size, enum sk_page_lang lang, const struct ub_hit *h)
{
    const struct sk_url_decision *d = h->dec;
    const char *m = d ? ub_match_name(lang, d->match) : "";

    switch (h->why) {
    case UB_WHY_RULE:
        snprintf(buf, size,
                 lang == SK_LANG_JA ? "URLルール %lld（%s「%s」、ポリシー %s）によるブロック"
                                    : "URL blocked by rule %lld (%s match '%s', policy %s)",
                 (long long)d->rule_id, m, d->rule, d->policy);
        break;
    case UB_WHY_CATEGORY:
        snprintf(buf, size,
                 lang == SK_LANG_JA ? "ブロック対象のカテゴリ「%s」（%s「%s」）"
                                    : "URL is in the blocked category '%s' (%s entry '%s')",
                 d->category, m, d->rule);
        break;
    case UB_WHY_INFECTED:
        snprintf(buf, size, "%s",
                 lang == SK_LANG_JA ? "このURLは最近ウイルスを配信しました"
                                    : "URL recently delivered a virus");
        break;
    case UB_WHY_ERROR:
        snprintf(buf, size,
                 lang == SK_LANG_JA ? "URLを検査できませんでした: %s"
                                    : "URL could not be checked: %s",
                 h->detail);
        break;
    }
}

/* ---- block page ---- */

static void ub_set_page(struct sk_txn *t, const struct sk_policy *pol, const struct ub_hit *h)
{
    const struct ub_global *g = sk_txn_module_ctx(t)->data;
    struct sk_page_req req = {.accept_language = sk_txn_req_header(t, "Accept-Language"),
                              .accept = sk_txn_req_header(t, "Accept"),
                              .http_method = sk_txn_http_method(t)};
    enum sk_page_lang lang = sk_page_pick_lang(req.accept_language);
    const char *vals[SK_NPV] = {NULL}, *ctype;
    char reason[1024];
    struct sk_buf out = {0};

    ub_reason(reason, sizeof(reason), lang, h);
    vals[SK_PV_URL] = sk_txn_url(t);
    vals[SK_PV_CANONICAL] = h->canonical;
    vals[SK_PV_REASON] = reason;
    vals[SK_PV_RULE] = h->dec ? h->dec->rule : "";
    vals[SK_PV_MATCH] = h->dec ? ub_match_name(lang, h->dec->match) : "";
    vals[SK_PV_CATEGORY] = h->dec ? h->dec->category : "";
    vals[SK_PV_DETAIL] = vals[SK_PV_CATEGORY]; /* the default page's Details row */
    vals[SK_PV_POLICY] = sk_policy_name(pol);
    vals[SK_PV_CLIENT] = sk_txn_client_ip(t);
    vals[SK_PV_USER] = sk_txn_user(t);
    vals[SK_PV_REF] = sk_txn_id(t);
    vals[SK_PV_CONTACT] = sk_policy_get(pol, "page.contact");
    /* Out of memory: no page of ours; the server renders its generic one. */
    if (sk_pageset_render(&g->pages, SK_REASON_URL, &req, vals, &out, &ctype) == 0)
        sk_txn_set_page(t, 403, ctype, out.data ? out.data : "", out.len);
    sk_buf_free(&out);
}

/* Block T for HIT: reason (English, for the log), a "url" detection (the
 * xheaders module's X-Violations-Found / X-Infection-Found) and the page.
 * With url.action log (monitor mode) the same reason and detection are
 * recorded as would-block and the request passes. Failure verdicts
 * (url.on-error) are their own setting and never pass through here as
 * monitored: a URL that cannot be read is not a policy being rolled out. */
static enum sk_verdict ub_block_or_log(struct sk_txn *t, const struct sk_policy *pol,
                                       const char *rule, const struct ub_hit *h, int may_log)
{
    const char *action = sk_policy_get(pol, "url.action");
    char reason[1024];

    ub_reason(reason, sizeof(reason), SK_LANG_EN, h);
    sk_txn_report(t, "url", rule, reason); /* best effort: the verdict stands */
    if (may_log && action != NULL && strcmp(action, "log") == 0) {
        sk_txn_would_block(t, rule, reason);
        return SK_ALLOW;
    }
    sk_txn_set_reason(t, rule, reason);
    ub_set_page(t, pol, h);
    return SK_BLOCK;
}

static enum sk_verdict ub_block(struct sk_txn *t, const struct sk_policy *pol, const char *rule,
                                const struct ub_hit *h)
{
    return ub_block_or_log(t, pol, rule, h, 0);
}

/* The URL could not be decided: the policy's url.on-error verdict (block
 * unless it says allow), logged with RULE and DETAIL either way. */
static enum sk_verdict ub_fail(struct sk_txn *t, const struct sk_policy *pol, const char *rule,
                               const char *detail)
{
    const char *onerr = sk_policy_get(pol, "url.on-error");
    struct ub_hit h = {.why = UB_WHY_ERROR, .detail = detail, .canonical = ""};
    char reason[1024];

    if (onerr && strcmp(onerr, "allow") == 0) {
        snprintf(reason, sizeof(reason), "URL could not be checked: %s (failure verdict: allow)",
                 detail);
        sk_txn_set_reason(t, rule, reason);
        return SK_ALLOW;
    }
    return ub_block(t, pol, rule, &h);
}

/* ---- the decision ---- */

/* Does an origin-form URL carry a Host header that smuggles URL syntax
 * ("bad.example@good.example", "good/x")? The server built URL as
 * "http://" + Host + target, so such a Host would move the host part. */
static int ub_host_smuggled(const char *url, const char *host)
{
    size_t hlen;

    if (host == NULL)
        return 0;
    hlen = strcspn(host, " \t\r\n");
    if (strncmp(url, "http://", 7) != 0 || strncmp(url + 7, host, hlen) != 0 ||
        url[7 + hlen] != '/')
        return 0;
    for (size_t i = 0; i < hlen; i++)
        if (strchr("/?#\\@", host[i]))
            return 1;
    return 0;
}

/* Normalise the transaction's URL into U. 0, or -1 with *rule and a
 * malloc'd *err (NULL when out of memory) for the failure verdict. */
static int ub_normalize(struct sk_txn *t, struct sk_url *u, const char **rule, char **err)
{
    const char *url = sk_txn_url(t), *host = sk_txn_req_header(t, "Host");
    int is_connect = strcasecmp(sk_txn_http_method(t), "CONNECT") == 0;

    *rule = "url-malformed";
    /* The server hands over at most SK_URL_MAX + 1 bytes: more than
     * SK_URL_MAX may have been cut, and a cut URL could hide what a rule
     * matches. */
    if (url[0] == '\0' && sk_txn_http_method(t)[0] != '\0') {
        *err = strdup("malformed request line, or an origin-form target without exactly one Host");
        return -1;
    }
    if (strlen(url) > SK_URL_MAX) {
        *rule = "url-overlong";
        *err = strdup("URL longer than the 8192 bytes that are checked");
        return -1;
    }
    if (!is_connect && ub_host_smuggled(url, host)) {
        *err = strdup("invalid Host header (URL syntax in the host name)");
        return -1;
    }
    /* asterisk-form (OPTIONS *) is about the server named by Host */
    if (strcmp(url, "*") == 0)
        return sk_url_normalize_request("/", host, 0, u, err);
    return sk_url_normalize(url, is_connect, u, err);
}

/* "list:match:pattern" ("category:NAME" for categories), for the log. */
static void ub_rule_label(char *buf, size_t size, const struct sk_url_decision *d)
{
    if (strcmp(d->list, "category") == 0)
        snprintf(buf, size, "category:%s", d->category);
    else
        snprintf(buf, size, "%s:%s:%s", d->list, d->match, d->rule);
}

static enum sk_verdict ub_headers(struct sk_txn *t, void *state)
{
    const struct sk_policy *pol = sk_txn_policy(t);
    struct sk_url u = {0};
    struct sk_url_decision d;
    struct ub_hit h = {.canonical = ""};
    const char *rule = NULL;
    char *err = NULL, label[400];
    enum sk_verdict v = SK_ALLOW;

    if (pol == NULL) {
        sk_txn_set_reason(t, "url-no-policy", "url_block: the server runs without a policy");
        return SK_ERROR;
    }
    /* RESPMOD without req-hdr: there is no request to decide on. (A
     * request line the server could not read has its method and no URL:
     * url-malformed, in RESPMOD too.) */
    if (sk_txn_url(t)[0] == '\0' && sk_txn_http_method(t)[0] == '\0' &&
        sk_txn_method(t) == SK_RESPMOD)
        return SK_ALLOW;
    if (ub_normalize(t, &u, &rule, &err) == -1) {
        v = ub_fail(t, pol, rule, err ? err : "out of memory");
        goto out;
    }
    h.canonical = sk_url_string(&u);
    if (sk_infected_url_check(h.canonical) == 1) {
        h.why = UB_WHY_INFECTED;
        v = ub_block_or_log(t, pol, "infected-url", &h, 1);
        goto out;
    }
    if (sk_policy_check_url_at(pol, &u, sk_txn_clock(t), &d) == -1) {
        v = ub_fail(t, pol, "url-error", "a rule could not be evaluated (regex match limit)");
        goto out;
    }
    switch (d.verdict) {
    case SK_URL_APPROVED:
        ub_rule_label(label, sizeof(label), &d);
        sk_txn_approve(t, label);
        break;
    case SK_URL_BLOCK:
        ub_rule_label(label, sizeof(label), &d);
        h.why = strcmp(d.list, "category") == 0 ? UB_WHY_CATEGORY : UB_WHY_RULE;
        h.dec = &d;
        v = ub_block_or_log(t, pol, label, &h, 1);
        break;
    case SK_URL_ALLOW: /* allow list: no URL block, later modules still run */
    case SK_URL_NONE:
        break;
    }
out:
    free(err);
    sk_url_free(&u);
    return v;
}

/* ---- life cycle ---- */

static int ub_init(struct sk_module_ctx *ctx, char **err)
{
    struct ub_global *g = calloc(1, sizeof(*g));

    if (g == NULL) {
        *err = strdup("out of memory");
        return -1;
    }
    if (ub_templates_load(g, ctx->option(ctx, "templates"), err) == -1) {
        free(g);
        return -1;
    }
    ctx->data = g;
    return 0;
}

static void ub_fini(struct sk_module_ctx *ctx)
{
    struct ub_global *g = ctx->data;

    if (g) {
        ub_templates_free(g);
        free(g);
    }
    ctx->data = NULL;
}

static const char *ub_version(struct sk_module_ctx *ctx)
{
    return UB_VERSION;
}

static const struct sk_module_option ub_options[] = {
    {"templates", SK_OPT_DIR, NULL, NULL, "directory replacing the block pages"},
    {NULL, 0, NULL, NULL, NULL},
};

__attribute__((visibility("default"))) const struct sk_module sk_module_descriptor = {
    .abi = SK_MODULE_ABI,
    .name = "url_block",
    .methods = SK_REQMOD | SK_RESPMOD,
    .init = ub_init,
    .fini = ub_fini,
    .version = ub_version,
    .on_headers = ub_headers,
    .options = ub_options,
};

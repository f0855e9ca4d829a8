/* dlp_report.c - what a hit leaves behind: the log detail (detector,
 * count, masked sample, file name) and the 403 block page (the server's
 * page engine: reason "dlp", English or Japanese, dlp.templates). Never contains a detected value
 * in clear. SECURITY: template names come from the administrator, file names from the client: both
 * are HTML-escaped on the page; samples are masked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlp_report.h"

/* "credit-card x3: 4111 **** **** 1111 (in cards.csv); keyword:secret x1" */
void sk_dlp_detail(const struct sk_dlp_engine *e, size_t tpl, struct sk_buf *out)
{
    const struct sk_dlp_plan *p = e->plan;
    char line[256];

    for (int d = 0; d < SK_DLP_NBUILTIN; d++) {
        if (!(p->tpl[tpl].builtins & (1u << d)) || e->count[d] == 0)
            continue;
        snprintf(line, sizeof(line), "%s%s x%u: %s%s%s%s", out->len ? "; " : "",
                 sk_dlp_det_name((enum sk_dlp_det)d), e->count[d], e->sample[d],
                 *e->sample_where[d] ? " (in " : "", e->sample_where[d],
                 *e->sample_where[d] ? ")" : "");
        sk_buf_puts(out, line);
    }
    for (size_t k = 0; k < p->ncust; k++) {
        if (p->cust[k].tpl != tpl || e->ccount[k] == 0)
            continue;
        if (p->cust[k].kind == SK_DLP_KEYWORD)
            snprintf(line, sizeof(line), "%skeyword:%.64s x%u", out->len ? "; " : "",
                     p->cust[k].text, e->ccount[k]);
        else
            snprintf(line, sizeof(line), "%sregex x%u", out->len ? "; " : "", e->ccount[k]);
        sk_buf_puts(out, line);
    }
}

/* Detectors and counts for the page, "credit-card: 3, keyword: 1": no
 * samples, not even masked ones. */
static void sk_dlp_page_counts(const struct sk_dlp_engine *e, size_t tpl, struct sk_buf *b)
{
    const struct sk_dlp_plan *p = e->plan;

    for (int d = 0; d < SK_DLP_NBUILTIN; d++)
        if ((p->tpl[tpl].builtins & (1u << d)) && e->count[d])
            sk_buf_printf(b, "%s%s: %u", b->len ? ", " : "", sk_dlp_det_name((enum sk_dlp_det)d),
                          e->count[d]);
    for (size_t k = 0; k < p->ncust; k++)
        if (p->cust[k].tpl == tpl && e->ccount[k])
            sk_buf_printf(b, "%s%s: %u", b->len ? ", " : "",
                          p->cust[k].kind == SK_DLP_KEYWORD ? "keyword" : "regex", e->ccount[k]);
}

void sk_dlp_page(struct sk_txn *t, const struct sk_pageset *pages, const struct sk_dlp_engine *e,
                 size_t tpl)
{
    const struct sk_policy *pol = sk_txn_policy(t);
    struct sk_page_req req = {.accept_language = sk_txn_req_header(t, "Accept-Language"),
                              .accept = sk_txn_req_header(t, "Accept"),
                              .http_method = sk_txn_http_method(t)};
    const char *name = e->plan->tpl[tpl].name, *vals[SK_NPV] = {NULL}, *ctype;
    struct sk_buf counts = {0}, reason = {0}, out = {0};

    sk_dlp_page_counts(e, tpl, &counts);
    if (sk_page_pick_lang(req.accept_language) == SK_LANG_JA)
        sk_buf_printf(&reason, "情報漏えい防止テンプレート「%s」に一致しました", name);
    else
        sk_buf_printf(&reason, "information leak prevention template \"%s\" matched", name);
    vals[SK_PV_URL] = sk_txn_shown_url(t);
    vals[SK_PV_REASON] = reason.data;
    vals[SK_PV_RULE] = name;
    vals[SK_PV_DETAIL] = counts.data;
    vals[SK_PV_POLICY] = pol ? sk_policy_name(pol) : NULL;
    vals[SK_PV_CLIENT] = sk_txn_client_ip(t);
    vals[SK_PV_USER] = sk_txn_user(t);
    vals[SK_PV_REF] = sk_txn_id(t);
    vals[SK_PV_CONTACT] = pol ? sk_policy_get(pol, "page.contact") : NULL;
    if (!counts.failed && !reason.failed &&
        sk_pageset_render(pages, SK_REASON_DLP, &req, vals, &out, &ctype) == 0)
        sk_txn_set_page(t, 403, ctype, out.data ? out.data : "", out.len);
    sk_buf_free(&counts);
    sk_buf_free(&reason);
    sk_buf_free(&out);
}

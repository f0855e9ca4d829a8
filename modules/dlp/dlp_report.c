/* dlp_report.c - what a hit leaves behind: the log detail (detector,
 * count, masked sample, file name) and the 403 block page in English or
 * Japanese. Never contains a detected value in clear.
 * SECURITY: template names come from the administrator, file names from
 * the client: both are HTML-escaped on the page; samples are masked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* Detectors and counts for the page: no samples, not even masked ones. */
static void sk_dlp_page_counts(const struct sk_dlp_engine *e, size_t tpl, struct sk_buf *b)
{
    const struct sk_dlp_plan *p = e->plan;
    char line[128];

    for (int d = 0; d < SK_DLP_NBUILTIN; d++)
        if ((p->tpl[tpl].builtins & (1u << d)) && e->count[d]) {
            snprintf(line, sizeof(line), "<li>%s: %u</li>\n", sk_dlp_det_name((enum sk_dlp_det)d),
                     e->count[d]);
            sk_buf_puts(b, line);
        }
    for (size_t k = 0; k < p->ncust; k++)
        if (p->cust[k].tpl == tpl && e->ccount[k]) {
            snprintf(line, sizeof(line), "<li>%s: %u</li>\n",
                     p->cust[k].kind == SK_DLP_KEYWORD ? "keyword" : "regex", e->ccount[k]);
            sk_buf_puts(b, line);
        }
}

int sk_dlp_wants_japanese(const char *accept_language)
{
    double best = -1;
    int ja = 0;

    for (const char *p = accept_language; p && *p;) {
        size_t n = strcspn(p, ",");
        char tag[32];
        double q = 1;
        size_t t = strcspn(p, ";,");
        const char *qs;
        while (t && (*p == ' ')) /* leading spaces */
            p++, t--, n--;
        snprintf(tag, sizeof(tag), "%.*s", (int)(t < 31 ? t : 31), p);
        if ((qs = strstr(p, ";q=")) != NULL && qs < p + n)
            q = strtod(qs + 3, NULL);
        if (q > best && *tag && strcmp(tag, "*") != 0) {
            best = q;
            ja = strncasecmp(tag, "ja", 2) == 0 && (tag[2] == '\0' || tag[2] == '-');
        }
        p += n + (p[n] == ',');
    }
    return ja;
}

void sk_dlp_page(const struct sk_dlp_engine *e, size_t tpl, int ja, const char *txn_id,
                 const char *contact, struct sk_buf *b)
{
    const char *name = e->plan->tpl[tpl].name;

    sk_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"");
    sk_buf_puts(b, ja ? "ja" : "en");
    sk_buf_puts(b, "\">\n<head><meta charset=\"utf-8\"><title>");
    sk_buf_puts(b, ja ? "情報漏えい防止 - information leak prevention"
                    : "Blocked: information leak prevention");
    sk_buf_puts(b, "</title></head>\n<body>\n<h1>");
    sk_buf_puts(b, ja ? "情報漏えい防止 (information leak prevention)"
                    : "Information leak prevention");
    sk_buf_puts(b, "</h1>\n<p>");
    if (ja) {
        sk_buf_puts(b, "送信しようとしたデータに機密情報が含まれているため、"
                     "情報漏えい防止ポリシーのテンプレート「");
        sk_html_escape(b, name, 1024);
        sk_buf_puts(b, "」によりブロックしました。");
    } else {
        sk_buf_puts(b, "The data you tried to send was blocked by the information leak "
                     "prevention template &quot;");
        sk_html_escape(b, name, 1024);
        sk_buf_puts(b, "&quot; because it contains sensitive information.");
    }
    sk_buf_puts(b, "</p>\n<ul>\n");
    sk_dlp_page_counts(e, tpl, b);
    sk_buf_puts(b, "</ul>\n<p>");
    sk_buf_puts(b, ja ? "トランザクション: " : "Transaction: ");
    sk_html_escape(b, txn_id ? txn_id : "", 1024);
    sk_buf_puts(b, "</p>\n");
    if (contact && *contact) {
        sk_buf_puts(b, ja ? "<p>お問い合わせ: " : "<p>Contact: ");
        sk_html_escape(b, contact, 1024);
        sk_buf_puts(b, "</p>\n");
    }
    sk_buf_puts(b, "</body>\n</html>\n");
}

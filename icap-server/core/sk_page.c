/* sk_page.c - default HTML block page.
 * SECURITY: URL, reason, rule and client are client-influenced; all of
 * them go through sk_html_escape. */
#include <time.h>

#include "sk_page.h"

#define SK_PAGE_VALUE_MAX 2048

static void sk_row(struct sk_buf *b, const char *label, const char *value)
{
    sk_buf_printf(b, "<tr><th>%s</th><td>", label);
    sk_html_escape(b, value && value[0] ? value : "-", SK_PAGE_VALUE_MAX);
    sk_buf_puts(b, "</td></tr>\n");
}

void sk_page_render(struct sk_buf *b, const struct sk_page_info *in)
{
    char when[64];
    time_t now = time(NULL);
    struct tm tm;

    gmtime_r(&now, &tm);
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
    sk_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                   "<title>Access blocked - Sekisho</title>"
                   "<style>body{font-family:sans-serif;margin:2em}"
                   "th{text-align:left;padding-right:1em}td{word-break:break-all}</style>"
                   "</head>\n<body><h1>Access blocked</h1>\n"
                   "<p>The Sekisho checkpoint blocked this request.</p>\n<table>\n");
    sk_row(b, "URL", in->url);
    sk_row(b, "Reason", in->reason);
    sk_row(b, "Rule", in->rule);
    sk_row(b, "Module", in->module);
    sk_row(b, "Client", in->client);
    sk_row(b, "Time", when);
    sk_row(b, "Reference", in->txn);
    sk_buf_puts(b, "</table>\n<p>If you think this is a mistake, contact your administrator "
                   "and quote the reference.</p>\n</body></html>\n");
}

/* vs_page.c - the virus block page (HTTP 403) in English or Japanese.
 * SECURITY: URL, threat name and reason are client/origin-influenced;
 * every one is HTML-escaped, control bytes dropped, non-ASCII bytes
 * percent-encoded, and capped in length. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vs_internal.h"

#define SK_VS_PAGE_VALUE_MAX 2048

static void sk_vs_escape(struct sk_buf *b, const char *s)
{
    sk_html_escape(b, s && *s ? s : "-", SK_VS_PAGE_VALUE_MAX);
}

/* Japanese when the most preferred language range is ja (q-values
 * honoured, first wins on a tie); English otherwise. */
static int sk_vs_wants_ja(const char *al)
{
    double best = -1;
    int ja = 0;

    while (al && *al) {
        size_t n = strcspn(al, ",");
        const char *q = memchr(al, ';', n);
        const char *tag = al;
        double qv = 1.0;
        while (tag < al + n && (*tag == ' ' || *tag == '\t'))
            tag++;
        if (q) {
            const char *v = strstr(q, "q=");
            if (v && v < al + n)
                qv = strtod(v + 2, NULL);
        }
        if (qv > best) {
            best = qv;
            ja = strncasecmp(tag, "ja", 2) == 0 && (tag[2] == '-' || tag[2] == ';' ||
                                                     tag[2] == ',' || tag[2] == ' ' ||
                                                     tag[2] == '\0');
        }
        al += n + (al[n] == ',');
    }
    return ja;
}

struct sk_vs_labels {
    const char *lang, *title, *heading, *intro, *url, *threat, *reason, *ref, *footer;
};

static const struct sk_vs_labels sk_vs_en = {
    "en", "Virus detected - Sekisho", "Virus detected",
    "The Sekisho checkpoint blocked this transfer because it contains a virus or could "
    "not be checked safely.",
    "URL", "Threat", "Reason", "Reference",
    "If you think this is a mistake, contact your administrator and quote the reference.",
};

static const struct sk_vs_labels sk_vs_ja = {
    "ja", "ウイルスを検出しました - Sekisho", "ウイルスを検出しました",
    "ウイルスが含まれているか、安全に検査できなかったため、Sekisho がこの転送をブロックしました。",
    "URL", "脅威", "理由", "参照番号",
    "誤りと思われる場合は、参照番号を添えて管理者に連絡してください。",
};

static void sk_vs_row(struct sk_buf *b, const char *label, const char *value)
{
    sk_buf_puts(b, "<tr><th>");
    sk_buf_puts(b, label);
    sk_buf_puts(b, "</th><td>");
    sk_vs_escape(b, value);
    sk_buf_puts(b, "</td></tr>\n");
}

char *sk_vs_page_render(const char *accept_language, const char *url, const char *threat,
                        const char *reason, const char *txn_id, size_t *len)
{
    const struct sk_vs_labels *l = sk_vs_wants_ja(accept_language) ? &sk_vs_ja : &sk_vs_en;
    struct sk_buf b = {0};

    sk_buf_puts(&b, "<!DOCTYPE html>\n<html lang=\"");
    sk_buf_puts(&b, l->lang);
    sk_buf_puts(&b, "\"><head><meta charset=\"utf-8\"><title>");
    sk_buf_puts(&b, l->title);
    sk_buf_puts(&b, "</title><style>body{font-family:sans-serif;margin:2em}"
                   "th{text-align:left;padding-right:1em}td{word-break:break-all}</style>"
                   "</head>\n<body><h1>");
    sk_buf_puts(&b, l->heading);
    sk_buf_puts(&b, "</h1>\n<p>");
    sk_buf_puts(&b, l->intro);
    sk_buf_puts(&b, "</p>\n<table>\n");
    sk_vs_row(&b, l->url, url);
    sk_vs_row(&b, l->threat, threat);
    sk_vs_row(&b, l->reason, reason);
    sk_vs_row(&b, l->ref, txn_id);
    sk_buf_puts(&b, "</table>\n<p>");
    sk_buf_puts(&b, l->footer);
    sk_buf_puts(&b, "</p>\n</body></html>\n");
    if (b.failed) {
        free(b.data);
        return NULL;
    }
    *len = b.len;
    return b.data;
}

/* sk_page.c - the server's own block page through the page engine.
 * SECURITY: URL, reason, rule and client are client-influenced; the
 * engine escapes all of them. */
#include <string.h>

#include "sk_page.h"

/* The values the server knows about any blocked transaction. */
static void sk_page_values(const char **vals, const struct sk_page_info *in)
{
    memset(vals, 0, SK_NPV * sizeof(*vals));
    vals[SK_PV_URL] = in->url;
    vals[SK_PV_REASON] = in->reason;
    vals[SK_PV_RULE] = in->rule;
    vals[SK_PV_DETAIL] = in->module;
    vals[SK_PV_CLIENT] = in->client;
    vals[SK_PV_REF] = in->txn;
}

int sk_page_default(struct sk_txn *t, const struct sk_pageset *pages, const char *module)
{
    struct sk_page_info in = {.url = sk_txn_shown_url(t),
                              .reason = t->reason,
                              .rule = t->rule,
                              .module = module,
                              .client = t->client_ip,
                              .txn = t->id};
    struct sk_page_req req = {.accept_language = sk_txn_req_header(t, "Accept-Language"),
                              .accept = sk_txn_req_header(t, "Accept"),
                              .http_method = t->http_method};
    const char *vals[SK_NPV], *ctype;
    struct sk_buf out = {0};
    int rc = -1;

    sk_page_values(vals, &in);
    vals[SK_PV_USER] = t->user;
    if (sk_pageset_render(pages, SK_REASON_GENERIC, &req, vals, &out, &ctype) == 0)
        rc = sk_txn_set_page(t, 403, ctype, out.data ? out.data : "", out.len);
    sk_buf_free(&out);
    return rc;
}

void sk_page_render(struct sk_buf *b, const struct sk_page_info *in)
{
    const char *html = sk_page_builtin_generic.text[SK_LANG_EN][SK_PAGE_HTML];
    const char *vals[SK_NPV];
    struct sk_tpl t;

    sk_page_values(vals, in);
    vals[SK_PV_TITLE] = sk_page_title(SK_REASON_GENERIC, SK_LANG_EN);
    vals[SK_PV_MESSAGE] = sk_page_message(SK_REASON_GENERIC, SK_LANG_EN);
    if (sk_tpl_parse(&t, html, strlen(html), "built-in block.en.html", NULL) == -1) {
        b->failed = 1;
        return;
    }
    sk_tpl_render(&t, SK_PAGE_HTML, vals, b);
    sk_tpl_free(&t);
}

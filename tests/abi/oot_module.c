/* oot_module.c - a module built outside the tree by tests/abi/test_abi.py
 * against the installed headers and pkg-config file only: blocks URLs
 * holding "oot-block" with its own page (escaped by the toolkit).
 * SECURITY: the URL is client-controlled; it is HTML-escaped. */
#include <sekisho/module.h>
#include <sekisho/text.h>

static enum sk_verdict oot_headers(struct sk_txn *t, void *state)
{
    const char *url = sk_txn_url(t);
    struct sk_buf page = {0};
    const char *p;

    (void)state;
    for (p = url; *p; p++)
        if (p[0] == 'o' && p[1] == 'o' && p[2] == 't' && p[3] == '-' && p[4] == 'b')
            break;
    if (!*p)
        return SK_ALLOW;
    sk_txn_set_reason(t, "oot-rule", "out-of-tree module");
    sk_buf_puts(&page, "<html><body>OOT-MODULE blocked ");
    sk_html_escape(&page, url, 1024);
    sk_buf_puts(&page, "</body></html>");
    if (!page.failed)
        sk_txn_set_page(t, 403, "text/html; charset=utf-8", page.data, page.len);
    sk_buf_free(&page);
    return SK_BLOCK;
}

static const struct sk_module_option oot_options[] = {
    {"marker", SK_OPT_STRING, "oot-block", NULL, "unused; proves the table is read"},
    {0, 0, 0, 0, 0},
};

__attribute__((visibility("default"))) const struct sk_module sk_module_descriptor = {
    .abi = SK_MODULE_ABI,
    .name = "oot",
    .methods = SK_REQMOD | SK_RESPMOD,
    .on_headers = oot_headers,
    .options = oot_options,
};

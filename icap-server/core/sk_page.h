/* sk_page.h - the default block page. */
#ifndef SK_PAGE_H
#define SK_PAGE_H

#include "sk_text.h"

struct sk_page_info {
    const char *url;
    const char *reason;
    const char *rule;
    const char *module;
    const char *client;
    const char *txn;
};

/* Render the HTML block page into b; every value is HTML-escaped. */
void sk_page_render(struct sk_buf *b, const struct sk_page_info *info);

#endif

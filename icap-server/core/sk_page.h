/* sk_page.h - the server's own block page (reason "block"), for a block
 * whose module set no page: module failures, modules without pages. It
 * goes through the one page engine (sekisho/page.h), so it answers
 * Accept-Language like every module page. */
#ifndef SK_PAGE_H
#define SK_PAGE_H

#include "sekisho/page.h"
#include "sk_txn.h"

struct sk_page_info {
    const char *url;
    const char *reason;
    const char *rule;
    const char *module;
    const char *client;
    const char *txn;
};

/* Set T's page from PAGES (the server's set, sekisho.PageTemplates) as
 * T's request negotiates it; MODULE named the block. 0, or -1 (out of
 * memory: no page set). */
int sk_page_default(struct sk_txn *t, const struct sk_pageset *pages, const char *module);

/* Last resort when no page could be set: the built-in English HTML page
 * into b (b->failed on out of memory); every value escaped. */
void sk_page_render(struct sk_buf *b, const struct sk_page_info *info);

#endif

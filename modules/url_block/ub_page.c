/* ub_page.c - url_block's default block-page templates (templates/,
 * embedded at build time) and their loading through the server's page
 * engine (sekisho/page.h). SECURITY: see sk_pageset_load. */
#include "ub_builtin.h" /* generated from templates/ at build time */
#include "ub_internal.h"

static const struct sk_page_builtin ub_builtin = {
    .text = {
        [SK_LANG_EN] = {(const char *)ub_builtin_block_en_html,
                        (const char *)ub_builtin_block_en_txt},
        [SK_LANG_JA] = {(const char *)ub_builtin_block_ja_html,
                        (const char *)ub_builtin_block_ja_txt},
    },
};

int ub_templates_load(struct ub_global *g, const char *dir, char **err)
{
    return sk_pageset_load(&g->pages, dir, &ub_builtin, "url_block.templates", err);
}

void ub_templates_free(struct ub_global *g)
{
    sk_pageset_free(&g->pages);
}

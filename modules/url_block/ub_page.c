/* ub_page.c - url_block's pages: the server's default templates (reason
 * "url"), replaceable from url_block.templates, through the one page
 * engine (sekisho/page.h). SECURITY: see sk_pageset_load. */
#include "ub_internal.h"

int ub_templates_load(struct ub_global *g, const char *dir, char **err)
{
    return sk_pageset_load(&g->pages, dir, &sk_page_builtin_generic, "url_block.templates", err);
}

void ub_templates_free(struct ub_global *g)
{
    sk_pageset_free(&g->pages);
}

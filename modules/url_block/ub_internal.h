/* ub_internal.h - types and prototypes shared by the url_block module's
 * files. Pages, templates and negotiation are the server's one engine
 * (sekisho/page.h). Nothing here is exported from the module object. */
#ifndef UB_INTERNAL_H
#define UB_INTERNAL_H

#include "sekisho/page.h"

/* The module's global state (ctx->data): its pages. */
struct ub_global {
    struct sk_pageset pages;
};

/* ---- ub_page.c ---- */

/* Load the pages: the server's default templates, each replaced from DIR
 * (option url_block.templates; see sk_pageset_load for the file names)
 * when DIR is given. 0, or -1 with a malloc'd *err naming the file. */
int ub_templates_load(struct ub_global *g, const char *dir, char **err);
void ub_templates_free(struct ub_global *g);

#endif

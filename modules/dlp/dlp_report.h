/* dlp_report.h - log detail and block page of the dlp module (internal). */
#ifndef SK_DLP_REPORT_H
#define SK_DLP_REPORT_H

#include "dlp.h"
#include "sekisho/module.h"
#include "sekisho/page.h"

/* Log detail of template TPL: detectors with counts and masked samples. */
void sk_dlp_detail(const struct sk_dlp_engine *, size_t tpl, struct sk_buf *out);
/* Set T's block page (reason "dlp", from PAGES as the client negotiates)
 * naming template TPL, with detector counts only: no sample, not even a
 * masked one. Out of memory: no page, the server's default one is used. */
void sk_dlp_page(struct sk_txn *t, const struct sk_pageset *pages, const struct sk_dlp_engine *,
                 size_t tpl);

#endif

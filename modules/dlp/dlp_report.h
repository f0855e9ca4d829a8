/* dlp_report.h - log detail and block page of the dlp module (internal). */
#ifndef SK_DLP_REPORT_H
#define SK_DLP_REPORT_H

#include "dlp.h"
#include "sekisho/text.h"


/* Log detail of template TPL: detectors with counts and masked samples. */
void sk_dlp_detail(const struct sk_dlp_engine *, size_t tpl, struct sk_buf *out);
/* 1 if the client's best-ranked language is Japanese. */
int sk_dlp_wants_japanese(const char *accept_language);
/* The block page (HTML, UTF-8) naming template TPL, with counts only. */
void sk_dlp_page(const struct sk_dlp_engine *, size_t tpl, int ja, const char *txn_id,
                 const char *contact, struct sk_buf *out);

#endif

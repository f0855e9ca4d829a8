/* dlp_module.h - the dlp module's hooks (dlp_module.c); the descriptor
 * (dlp_descriptor.c) and the unit tests refer to them. Not installed. */
#ifndef SK_DLP_MODULE_H
#define SK_DLP_MODULE_H

#include <stdint.h>

#include "sekisho/module.h"

int sk_dlp_init(struct sk_module_ctx *, char **err);
void sk_dlp_fini(struct sk_module_ctx *);
const char *sk_dlp_version(struct sk_module_ctx *);
int sk_dlp_begin(struct sk_txn *, void **state);
enum sk_verdict sk_dlp_headers(struct sk_txn *, void *state);
enum sk_verdict sk_dlp_body(struct sk_txn *, void *state, const void *buf, size_t len, int eof);
void sk_dlp_end(struct sk_txn *, void *state);

/* Diagnostics for tests and benchmarks: how many plans this process
 * compiled (one per policy and policy content, never per request). Not
 * exported from dlp.so. */
uint64_t sk_dlp_module_plan_builds(void);

#endif

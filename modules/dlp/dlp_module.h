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

/* The request URL as DLP reads it (dlp.inspect-url): what follows the
 * authority up to a '#' (NULL when that is nothing or "/"), whether a
 * plan could find anything there, and the path (text) and query (form)
 * fed to CTX as objects of their own (the query only when the path had
 * no hit: one hit blocks as well as two, and hides what follows). */
struct sk_dlp_plan;
struct sk_dlp_ctx;
const char *sk_dlp_url_rest(const char *url, size_t *n);
int sk_dlp_url_worth(const struct sk_dlp_plan *plan, const char *rest, size_t n);
/* *HIDE: where in REST the URL stops being shown (a hit in the path:
 * after its '/'; in the query: after its '?'), or (size_t)-1. */
int sk_dlp_url(struct sk_dlp_ctx *ctx, const char *rest, size_t n, size_t *hide);

/* Diagnostics for tests and benchmarks: how many plans this process
 * compiled (one per policy and policy content, never per request). Not
 * exported from dlp.so. */
uint64_t sk_dlp_module_plan_builds(void);

#endif

/* sk_pipeline.h - runs the module chain over one transaction. */
#ifndef SK_PIPELINE_H
#define SK_PIPELINE_H

#include <stdint.h>

#include "sk_bodyinfo.h"
#include "sk_chain.h"
#include "sk_txn.h"

enum sk_on_error { SK_ON_ERROR_BLOCK = 0, SK_ON_ERROR_ALLOW };

/* Outcome as written to the access log. */
enum sk_outcome {
    SK_OUT_PENDING = 0,
    SK_OUT_ALLOW,
    SK_OUT_APPROVED,
    SK_OUT_BLOCK,
};

struct sk_pipeline {
    const struct sk_chain *chain; /* borrowed */
    struct sk_txn *txn;           /* borrowed */
    enum sk_on_error on_error;
    void *state[SK_MAX_MODULES];
    unsigned char begun[SK_MAX_MODULES];      /* txn_end owed */
    unsigned char wants_body[SK_MAX_MODULES]; /* still reading the body */
    enum sk_outcome outcome;
    int decider;      /* index of the module that decided, -1 if none */
    int module_error; /* some module returned ERROR */
    int finished;
    int notified;                      /* on_decision has run */
    unsigned error_mask;               /* bit i: module i returned ERROR */
    uint64_t spent_ns[SK_MAX_MODULES]; /* time in each module's body hooks (metrics) */
    struct sk_bodyinfo body;           /* sha256, multipart file name (access log) */
};

/* Begin: txn_begin for every module that serves the transaction's method.
 * A failing txn_begin counts as that module returning ERROR. */
void sk_pipeline_start(struct sk_pipeline *p, const struct sk_chain *chain, struct sk_txn *txn,
                       enum sk_on_error on_error);
/* Run on_headers in order. Returns the outcome so far: SK_OUT_PENDING when
 * some module still wants the body, else the final outcome. */
enum sk_outcome sk_pipeline_headers(struct sk_pipeline *p);
/* Feed body bytes to the modules still reading. eof=1 ends the body (len
 * may be 0); after it the outcome is final. */
enum sk_outcome sk_pipeline_body(struct sk_pipeline *p, const void *buf, size_t len, int eof);
/* txn_end for every begun module, exactly once; safe to call twice. */
void sk_pipeline_finish(struct sk_pipeline *p);

/* Name of the deciding module, or "" when none decided. Borrowed. */
const char *sk_pipeline_decider(const struct sk_pipeline *p);
const char *sk_outcome_name(enum sk_outcome o);

#endif

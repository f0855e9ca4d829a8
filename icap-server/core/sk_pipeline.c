/* sk_pipeline.c - drives module hooks in configured order and folds their
 * verdicts into one outcome. Modules see client-controlled data; this
 * file trusts nothing they return (unknown verdicts count as ERROR). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sk_page.h"
#include "sk_pipeline.h"

/* Monotonic nanoseconds, for the per-module scan-duration metric. Only
 * body hooks are timed: a clock read costs ~25 ns, and timing the header
 * hooks too (2 reads per module) cost ~2% of a no-body REQMOD. */
static uint64_t sk_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int sk_serves(const struct sk_module *m, const struct sk_txn *t)
{
    return (m->methods & t->method) != 0;
}

/* Record that module i decided the transaction. A block whose module set
 * no page gets the server's own page now, while the request headers
 * (Accept-Language) are still readable. */
static void sk_decide(struct sk_pipeline *p, int i, enum sk_outcome o)
{
    p->outcome = o;
    p->decider = i;
    for (int j = 0; j < p->chain->n; j++)
        p->wants_body[j] = 0;
    if (o == SK_OUT_BLOCK && !p->txn->page.body && p->chain->pages)
        sk_page_default(p->txn, p->chain->pages, p->chain->mods[i].mod->name);
}

static void sk_module_failed(struct sk_pipeline *p, int i)
{
    const struct sk_module *m = p->chain->mods[i].mod;
    char reason[160];

    p->module_error = 1;
    p->error_mask |= 1u << i;
    p->wants_body[i] = 0;
    if (p->on_error == SK_ON_ERROR_ALLOW)
        return;
    snprintf(reason, sizeof(reason), "module %s could not decide (failure verdict: block)",
             m->name);
    sk_txn_set_reason(p->txn, "module-error", reason);
    sk_decide(p, i, SK_OUT_BLOCK);
}

/* Apply verdict v of module i. at_eof: the body has ended, so wanting
 * more is meaningless. */
static void sk_apply(struct sk_pipeline *p, int i, enum sk_verdict v, int at_eof)
{
    const struct sk_module *m = p->chain->mods[i].mod;

    switch (v) {
    case SK_CONTINUE:
    case SK_MODIFY:
        p->wants_body[i] = !at_eof && p->txn->has_body && m->on_body != NULL;
        break;
    case SK_ALLOW:
        p->wants_body[i] = 0;
        if (p->txn->approved)
            sk_decide(p, i, SK_OUT_APPROVED);
        break;
    case SK_BLOCK:
        if (!p->txn->rule)
            sk_txn_set_reason(p->txn, m->name, p->txn->reason);
        sk_decide(p, i, SK_OUT_BLOCK);
        break;
    case SK_ERROR:
    default:
        sk_module_failed(p, i);
        break;
    }
}

/* Tell every begun module the final outcome, once. */
static void sk_notify(struct sk_pipeline *p)
{
    int decided = p->outcome == SK_OUT_BLOCK      ? SK_DECIDED_BLOCK
                  : p->outcome == SK_OUT_APPROVED ? SK_DECIDED_APPROVED
                                                  : SK_DECIDED_ALLOW;

    p->notified = 1;
    for (int i = 0; i < p->chain->n; i++) {
        const struct sk_loaded_module *lm = &p->chain->mods[i];
        if (!p->begun[i] || !lm->mod->on_decision)
            continue;
        p->txn->current = (struct sk_module_ctx *)&lm->ctx;
        lm->mod->on_decision(p->txn, p->state[i], decided);
        p->txn->current = NULL;
    }
}

static enum sk_outcome sk_settle(struct sk_pipeline *p)
{
    if (p->outcome == SK_OUT_PENDING) {
        for (int i = 0; i < p->chain->n; i++) {
            if (p->wants_body[i])
                return SK_OUT_PENDING;
        }
        p->outcome = SK_OUT_ALLOW;
    }
    if (!p->notified)
        sk_notify(p);
    return p->outcome;
}

void sk_pipeline_start(struct sk_pipeline *p, const struct sk_chain *chain, struct sk_txn *txn,
                       enum sk_on_error on_error)
{
    memset(p, 0, sizeof(*p));
    p->chain = chain;
    p->txn = txn;
    p->on_error = on_error;
    p->decider = -1;
    if (txn->dir_block) {
        /* the policy depends on groups nobody could tell (sk_dirgroups.h):
         * no module runs, the transaction gets directory.on-error block */
        sk_txn_set_reason(txn, "directory",
                          "directory groups unavailable (directory.on-error: block)");
        p->outcome = SK_OUT_BLOCK;
        if (chain->pages)
            sk_page_default(txn, chain->pages, "directory");
        return;
    }
    for (int i = 0; i < chain->n && p->outcome == SK_OUT_PENDING; i++) {
        const struct sk_loaded_module *lm = &chain->mods[i];
        if (!sk_serves(lm->mod, txn))
            continue;
        if (lm->mod->txn_begin) {
            txn->current = (struct sk_module_ctx *)&lm->ctx;
            int rc = lm->mod->txn_begin(txn, &p->state[i]);
            txn->current = NULL;
            if (rc != 0) {
                sk_module_failed(p, i);
                continue;
            }
        }
        p->begun[i] = 1;
    }
}

enum sk_outcome sk_pipeline_headers(struct sk_pipeline *p)
{
    struct sk_txn *t = p->txn;

    for (int i = 0; i < p->chain->n && p->outcome == SK_OUT_PENDING; i++) {
        const struct sk_loaded_module *lm = &p->chain->mods[i];
        enum sk_verdict v = SK_CONTINUE;

        if (!p->begun[i])
            continue;
        if (lm->mod->on_headers) {
            t->current = (struct sk_module_ctx *)&lm->ctx;
            v = lm->mod->on_headers(t, p->state[i]);
            t->current = NULL;
        }
        sk_apply(p, i, v, 0);
    }
    return sk_settle(p);
}

enum sk_outcome sk_pipeline_body(struct sk_pipeline *p, const void *buf, size_t len, int eof)
{
    struct sk_txn *t = p->txn;

    if (p->outcome == SK_OUT_PENDING)
        sk_bodyinfo_write(&p->body, t, buf, len, eof);

    for (int i = 0; i < p->chain->n && p->outcome == SK_OUT_PENDING; i++) {
        const struct sk_loaded_module *lm = &p->chain->mods[i];
        if (!p->wants_body[i])
            continue;
        uint64_t t0 = sk_ns();
        t->current = (struct sk_module_ctx *)&lm->ctx;
        enum sk_verdict v = lm->mod->on_body(t, p->state[i], buf, len, eof);
        t->current = NULL;
        p->spent_ns[i] += sk_ns() - t0;
        sk_apply(p, i, v, eof);
    }
    if (eof) {
        for (int i = 0; i < p->chain->n; i++)
            p->wants_body[i] = 0;
    }
    return sk_settle(p);
}

void sk_pipeline_finish(struct sk_pipeline *p)
{
    /* the log's sha256 (detections only), from a keeper's copy: before
     * its txn_end */
    if (p->txn && p->txn->n_detections > 0)
        sk_bodyinfo_settle(&p->body);
    sk_bodyinfo_free(&p->body); /* a body not read to its end */
    if (p->finished || !p->chain)
        return;
    p->finished = 1;
    for (int i = 0; i < p->chain->n; i++) {
        const struct sk_loaded_module *lm = &p->chain->mods[i];
        if (!p->begun[i])
            continue;
        p->begun[i] = 0;
        if (lm->mod->txn_end) {
            p->txn->current = (struct sk_module_ctx *)&lm->ctx;
            lm->mod->txn_end(p->txn, p->state[i]);
            p->txn->current = NULL;
        }
        p->state[i] = NULL;
    }
}

const char *sk_pipeline_decider(const struct sk_pipeline *p)
{
    if (p->decider < 0 || !p->chain)
        return "";
    return p->chain->mods[p->decider].mod->name;
}

const char *sk_outcome_name(enum sk_outcome o)
{
    switch (o) {
    case SK_OUT_ALLOW:
        return "allow";
    case SK_OUT_APPROVED:
        return "approved";
    case SK_OUT_BLOCK:
        return "block";
    default:
        return "pending";
    }
}

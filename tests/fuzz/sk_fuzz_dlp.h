/* sk_fuzz_dlp.h - the DLP targets' shared harness: one plan with every
 * built-in detector, a run that feeds a stage whole or in fuzzer-chosen
 * chunks, and the observable result to compare. Input: fuzzer bytes. */
#ifndef SK_FUZZ_DLP_H
#define SK_FUZZ_DLP_H

#include <string.h>

#include <sekisho/policy_snapshot.h>

#include "dlp.h"
#include "sk_fuzz.h"

/* What a DLP run decided: everything that reaches a verdict or a log. */
struct sk_fuzz_dlp_result {
    uint32_t count[SK_DLP_NBUILTIN];
    uint64_t scanned;
    int error, limit, oom;
    unsigned encrypted, skipped, zstd_broken, undecodable;
};

/* Runs with every filter built for small objects too (sk_dlp_ctx
 * every_filter): what the small-object path leaves out must not matter. */
static int sk_fuzz_dlp_every;

static const struct sk_dlp_plan *sk_fuzz_dlp_plan(void)
{
    static struct sk_dlp_plan *plan;
    static const struct sk_dlp_template tpl = {
        .name = "fuzz",
        .detectors = "credit-card\nmy-number\ncorporate-number\nssn\niban\nemail\njp-phone",
        .min_count = 1,
        .action = "block"};
    const struct sk_dlp_template *tp = &tpl;
    char *err = NULL;

    if (plan == NULL && sk_dlp_plan_build(&tp, 1, &plan, &err) == -1) {
        fprintf(stderr, "fuzz: DLP plan: %s\n", err ? err : "?");
        abort();
    }
    return plan;
}

/* Chunk I of a schedule chosen by SEED: 0 means "all at once"; else sizes
 * 1..16 that vary, so boundaries fall everywhere over a run. */
static inline size_t sk_fuzz_chunk(unsigned seed, size_t i, size_t left)
{
    size_t c = seed == 0 ? left : 1 + (seed * 7 + i * 5) % 16;

    return c < left ? c : left;
}

/* Feed DATA to S in the chunks of SEED, then end it. -1 if a write or the
 * end failed (out of memory only: decoders are tolerant). */
static inline int sk_fuzz_feed(struct sk_dlp_sink *s, const uint8_t *data, size_t size,
                               unsigned seed)
{
    int rc = 0;

    for (size_t off = 0, i = 0, c; off < size; off += c, i++) {
        c = sk_fuzz_chunk(seed, i, size - off);
        if (s->write(s, data + off, c) == -1)
            rc = -1;
    }
    if (s->end(s) == -1)
        rc = -1;
    return rc;
}

/* The decompression budget (dlp max-decoded) of a run: the usual 16 MiB,
 * or (control byte's high bit clear) a few KiB, so that a fuzzer-sized
 * archive or gzip body reaches the cut. Both runs of an input get the same. */
static inline uint64_t sk_fuzz_dlp_budget(uint8_t control)
{
    return control & 0x80 ? 16u << 20 : 64 + (uint64_t)control * 61;
}

/* Run a stage made by MAKE(ctx, arg) over DATA into R, with BUDGET. */
static inline void sk_fuzz_dlp_run(struct sk_dlp_sink *(*make)(struct sk_dlp_ctx *, const void *),
                                   const void *arg, const uint8_t *data, size_t size, unsigned seed,
                                   uint64_t budget, struct sk_fuzz_dlp_result *r)
{
    struct sk_dlp_engine *e = sk_dlp_engine_new(sk_fuzz_dlp_plan());
    struct sk_dlp_ctx ctx = {.e = e, .budget = budget, .every_filter = sk_fuzz_dlp_every};
    struct sk_dlp_sink *s;

    memset(r, 0, sizeof(*r));
    SK_FUZZ_CHECK(e != NULL, "engine");
    SK_FUZZ_CHECK((s = make(&ctx, arg)) != NULL, "stage");
    sk_fuzz_feed(s, data, size, seed);
    s->destroy(s);
    memcpy(r->count, e->count, sizeof(r->count));
    r->scanned = e->scanned;
    r->error = e->error;
    r->limit = ctx.limit;
    r->oom = ctx.oom;
    r->encrypted = ctx.encrypted;
    r->skipped = ctx.skipped;
    r->zstd_broken = ctx.zstd_broken;
    r->undecodable = ctx.undecodable;
    sk_dlp_engine_free(e);
}

/* Chunking must not change what is found: a client picks the chunks.
 * Once the budget has run out, only that verdict must agree: nested stages
 * (a zip entry holding a zip or a gzip) charge the one transaction budget
 * in turns, each for the piece it was just given, so how far each got
 * before the cut depends on the chunking (seed
 * corpus/dlp_zip/known-budget-nested-chunking); the bytes after the cut
 * are not inspected in any chunking, and on-limit decides the verdict. */
static inline void sk_fuzz_dlp_same(const struct sk_fuzz_dlp_result *a,
                                    const struct sk_fuzz_dlp_result *b, unsigned seed)
{
    /* a zstd zip entry that does not decode: libzstd hands out what it
     * decoded before the error at call boundaries and keeps input it had
     * buffered, so what was read - and how much budget it took - depends
     * on the chunks; the verdict is dlp.on-error (or on-limit when the
     * budget ran out first). Nothing else is excused: .zst and .xz
     * objects, codings and streams after a prefix are decoded in pieces
     * that do not depend on the writes (sk_stage_steps, dlp_stream.c). */
    if (a->zstd_broken || b->zstd_broken)
        return;
    SK_FUZZ_CHECK(a->limit == b->limit && a->oom == b->oom,
                  "budget verdict %d whole, %d in chunks (seed %u)", a->limit, b->limit, seed);
    if (a->limit)
        return;
    for (int d = 0; d < SK_DLP_NBUILTIN; d++)
        SK_FUZZ_CHECK(a->count[d] == b->count[d], "detector %s: %u whole, %u in chunks (seed %u)",
                      sk_dlp_det_name((enum sk_dlp_det)d), a->count[d], b->count[d], seed);
    SK_FUZZ_CHECK(a->scanned == b->scanned, "scanned %llu whole, %llu in chunks (seed %u)",
                  (unsigned long long)a->scanned, (unsigned long long)b->scanned, seed);
    SK_FUZZ_CHECK(a->error == b->error && a->limit == b->limit && a->oom == b->oom &&
                      a->encrypted == b->encrypted && a->skipped == b->skipped,
                  "error/limit/encrypted/skipped differ with chunking (seed %u)", seed);
}

#endif

/* dlp_module.c - the dlp module: applies the policy's DLP templates to
 * REQMOD request bodies (uploads, form posts, API calls) as they stream
 * through, blocks with a 403 "information leak prevention" page or lets a
 * log-only hit through, and reports every hit with masked samples.
 * SECURITY: reads client bodies; memory per transaction is bounded (engine
 * window + decoder buffers, ~250 KiB at most); regexes have match limits;
 * decompression has an output budget (option max-decoded).
 * The hooks are linked from sk_dlp_core: the module adds only its
 * descriptor (dlp_descriptor.c), the unit tests call them directly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sekisho/decode.h"
#include "sekisho/module.h"
#include "sekisho/text.h"

#include "dlp.h"
#include "dlp_module.h"
#include "dlp_report.h"

#define SK_DLP_VERSION "dlp-1"

struct sk_dlp_cfg {
    uint64_t max_decoded;    /* decompressed bytes inspected per transaction */
    uint64_t decode_ratio;   /* decode-max-ratio: the decompression guard (0: off) */
    uint64_t decode_floor;   /* decode-min-bytes: the ratio applies beyond this */
    int on_limit_block;      /* beyond it: block (default) or allow */
    struct sk_pageset pages; /* block pages (option dlp.templates) */
    int on_error_block;      /* something could not be decoded: block (default) or allow */
};

/* Compiled plans of this process (after fork: of this child), shared by
 * its threads. Lives for the process: fini() may run while a last
 * transaction still holds a plan, which keeps its own reference. */
static struct sk_dlp_plan_cache sk_dlp_cache = {.lock = PTHREAD_MUTEX_INITIALIZER};

uint64_t sk_dlp_module_plan_builds(void)
{
    return sk_dlp_plan_cache_builds(&sk_dlp_cache);
}

static struct sk_dlp_cfg sk_dlp_defaults = {.max_decoded = 256ull << 20,
                                            .decode_ratio = 100,
                                            .decode_floor = 1ull << 20,
                                            .on_limit_block = 1,
                                            .on_error_block = 1};

/* A size option KEY into *OUT when given; 0, or -1 with *err. */
static int sk_dlp_size_opt(struct sk_module_ctx *mc, const char *key, uint64_t *out, char **err)
{
    const char *v = mc->option(mc, key);

    if (v == NULL || sk_parse_size(v, out) == 0)
        return 0;
    if (asprintf(err, "option dlp.%s: '%s' is not a number or size (e.g. 100, 1M)", key, v) == -1)
        *err = NULL;
    return -1;
}

/* on-limit / on-error: "block" or "allow"; 0, or -1 with *err. */
static int sk_dlp_verdict_opt(struct sk_module_ctx *mc, const char *key, int *out, char **err)
{
    const char *v = mc->option(mc, key);

    if (v == NULL)
        return 0;
    if (strcmp(v, "block") != 0 && strcmp(v, "allow") != 0) {
        if (asprintf(err, "option dlp.%s: '%s': block or allow", key, v) == -1)
            *err = NULL;
        return -1;
    }
    *out = strcmp(v, "block") == 0;
    return 0;
}

struct sk_dlp_txn {
    struct sk_dlp_plan *plan;
    struct sk_dlp_engine *e;
    struct sk_dlp_ctx ctx;
    struct sk_dlp_sink *body;
    char *err;
};

int sk_dlp_init(struct sk_module_ctx *mc, char **err)
{
    struct sk_dlp_cfg *cfg = malloc(sizeof(*cfg));
    const char *v;

    if (cfg == NULL)
        return *err = strdup("out of memory"), -1;
    *cfg = sk_dlp_defaults;
    if ((v = mc->option(mc, "max-decoded")) != NULL && sk_parse_size(v, &cfg->max_decoded)) {
        free(cfg);
        if (asprintf(err,
                     "option dlp.max-decoded: '%s' is not a size (e.g. 256M, 0 inspects nothing "
                     "decoded)",
                     v) == -1)
            *err = NULL;
        return -1;
    }
    if (sk_dlp_size_opt(mc, "decode-max-ratio", &cfg->decode_ratio, err) == -1 ||
        sk_dlp_size_opt(mc, "decode-min-bytes", &cfg->decode_floor, err) == -1 ||
        sk_dlp_verdict_opt(mc, "on-limit", &cfg->on_limit_block, err) == -1 ||
        sk_dlp_verdict_opt(mc, "on-error", &cfg->on_error_block, err) == -1) {
        free(cfg);
        return -1;
    }
    if (sk_pageset_load(&cfg->pages, mc->option(mc, "templates"), &sk_page_builtin_generic,
                        "dlp.templates", err) == -1) {
        free(cfg);
        return -1;
    }
    mc->data = cfg;
    return 0;
}

void sk_dlp_fini(struct sk_module_ctx *mc)
{
    struct sk_dlp_cfg *cfg = mc->data;

    if (cfg)
        sk_pageset_free(&cfg->pages);
    free(cfg);
    mc->data = NULL;
    /* the plans compiled in this process go with the module (c-icap
     * unloads it at exit and at a reconfigure); a transaction still
     * holding one keeps its own reference */
    sk_dlp_plan_cache_fini(&sk_dlp_cache);
    sk_dlp_plan_cache_init(&sk_dlp_cache);
}

const char *sk_dlp_version(struct sk_module_ctx *mc)
{
    return SK_DLP_VERSION;
}

int sk_dlp_begin(struct sk_txn *t, void **state)
{
    *state = calloc(1, sizeof(struct sk_dlp_txn));
    return *state ? 0 : -1;
}

/* The request's path and query, as its client sent them (after the
 * authority; a fragment is never sent, '#' ends it): a GET form, a search
 * box, an API path carry data out as a body does. The path is read as
 * text (its %XX undone by the view filter), the query as a form. Objects
 * of their own, before the body's. 0, or -1 (out of memory). */
static int sk_dlp_url_feed(struct sk_dlp_ctx *ctx, const char *type, const char *name,
                           const char *p, size_t n)
{
    sk_dlp_engine_where(ctx->e, name);
    return sk_dlp_read_whole(ctx, type, name, p, n) == -1 ? -1 : 0;
}

/* What follows URL's authority up to a '#': *N bytes, or NULL when that
 * is nothing or "/" (CONNECT's authority has none). */
const char *sk_dlp_url_rest(const char *url, size_t *n)
{
    const char *p = url ? strstr(url, "://") : NULL;

    if (p == NULL)
        return NULL;
    p += 3;
    p += strcspn(p, "/?#");
    *n = strcspn(p, "#");
    return *n > 1 ? p : NULL;
}

/* Could PLAN find anything in REST[0..N)? Keywords and regexes may match
 * any text; the built-in detectors need 9 digits (an SSN; every other
 * identifier has more) or an '@', unless something hides them: a %XX
 * escape (%40), a non-ASCII byte (full-width digits), or a run of base64
 * digits long enough for the base64 reader (20: a 15-digit card; `?d=
 * NDExMTEx...MQ==` has no digit at all). Every other escape (&#52;,
 * \u0034) shows digits of its own. Spares a no-body request's usual URL
 * the engine. */
int sk_dlp_url_worth(const struct sk_dlp_plan *plan, const char *rest, size_t n)
{
    unsigned digits = 0, run = 0;

    if (plan->ncust)
        return 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)rest[i];
        run = sk_b64_digit(c, 1) >= 0 ? run + 1 : 0;
        if (c >= '0' && c <= '9')
            digits++;
        else if (c == '%' || c == '@' || c >= 0x80 || run >= SK_DLP_B64_MIN)
            return 1;
    }
    return digits >= 9;
}

/* Hits of every template so far. */
static uint64_t sk_dlp_hits(const struct sk_dlp_engine *e)
{
    uint64_t n = 0;

    for (size_t i = 0; i < e->plan->ntpl; i++)
        n += sk_dlp_engine_tpl_count(e, i);
    return n;
}

int sk_dlp_url(struct sk_dlp_ctx *ctx, const char *p, size_t n, size_t *hide)
{
    const char *q = memchr(p, '?', n);
    size_t pn = q ? (size_t)(q - p) : n;
    uint64_t before = sk_dlp_hits(ctx->e);

    *hide = (size_t)-1;
    if (pn > 1 && sk_dlp_url_feed(ctx, "text/plain", "URL path", p, pn) == -1)
        return -1;
    if (sk_dlp_hits(ctx->e) != before) { /* found in the path: hide it and the query */
        *hide = p[0] == '/';
    } else if (q && n - pn > 1) {
        if (sk_dlp_url_feed(ctx, "application/x-www-form-urlencoded", "URL query", q + 1,
                            n - pn - 1) == -1)
            return -1;
        if (sk_dlp_hits(ctx->e) != before) /* the path stays readable */
            *hide = pn + 1;
    }
    return 0;
}

static enum sk_verdict sk_dlp_settle(struct sk_txn *t, struct sk_dlp_txn *s, int rc, int eof);

enum sk_verdict sk_dlp_headers(struct sk_txn *t, void *state)
{
    struct sk_dlp_txn *s = state;
    struct sk_module_ctx *mc = sk_txn_module_ctx(t);
    const struct sk_dlp_cfg *cfg = mc && mc->data ? mc->data : &sk_dlp_defaults;
    const struct sk_policy *pol;
    const char *enabled, *rest = NULL;
    size_t rn = 0;
    int body;

    if (sk_txn_method(t) != SK_REQMOD || (pol = sk_txn_policy(t)) == NULL)
        return SK_ALLOW;
    /* settings in the snapshot are canonical: "on" | "off" */
    if ((enabled = sk_policy_get(pol, "dlp.enabled")) != NULL && strcmp(enabled, "off") == 0)
        return SK_ALLOW;
    body = sk_txn_has_body(t);
    if ((enabled = sk_policy_get(pol, "dlp.inspect-url")) == NULL || strcmp(enabled, "off") != 0)
        rest = sk_dlp_url_rest(sk_txn_url(t), &rn);
    if (!body && rest == NULL)
        return SK_ALLOW;
    if (sk_dlp_plan_get(&sk_dlp_cache, sk_txn_snapshot(t), pol, sk_txn_clock(t), &s->plan,
                        &s->err) == -1) {
        sk_txn_set_reason(t, "dlp-error", s->err ? s->err : "cannot compile DLP templates");
        return SK_ERROR;
    }
    if (s->plan == NULL) /* no template applies */
        return SK_ALLOW;
    if (rest && !sk_dlp_url_worth(s->plan, rest, rn))
        rest = NULL;
    if (!body && rest == NULL)
        return SK_ALLOW;
    s->ctx.budget = cfg->max_decoded;
    s->ctx.decode_ratio = cfg->decode_ratio;
    s->ctx.decode_floor = cfg->decode_floor;
    if ((s->e = sk_dlp_engine_new(s->plan)) == NULL)
        return SK_ERROR;
    s->ctx.e = s->e;
    if (rest) {
        size_t hide;
        int rc = sk_dlp_url(&s->ctx, rest, rn, &hide);
        /* what was found stays out of the log, alerts and the page, as
         * the masked samples keep it out of the detail */
        if (hide != (size_t)-1)
            sk_txn_hide_url(t, (size_t)(rest - sk_txn_url(t)) + hide);
        enum sk_verdict v = sk_dlp_settle(t, s, rc, !body);
        sk_dlp_engine_where(s->e, "");
        if (v != SK_CONTINUE || !body)
            return v;
    }
    /* every Content-Encoding field, then Transfer-Encoding: one chain */
    char *ce = sk_txn_coding_list(t, 0), mt[128];
    /* two different types: the application may read the other one */
    if (sk_txn_media_type(t, 0, mt, sizeof(mt)) == -1)
        sk_dlp_undecodable(&s->ctx, "two different Content-Type fields");
    s->body = sk_dlp_body_new(&s->ctx, sk_txn_req_header(t, "Content-Type"), ce);
    free(ce);
    return s->body ? SK_CONTINUE : SK_ERROR;
}

static void sk_dlp_report_all(struct sk_txn *t, struct sk_dlp_txn *s)
{
    for (size_t i = 0; i < s->plan->ntpl; i++) {
        struct sk_buf d = {0};
        if (sk_dlp_engine_tpl_count(s->e, i) < (uint64_t)s->plan->tpl[i].min_count)
            continue;
        sk_dlp_detail(s->e, i, &d);
        sk_txn_report(t, "dlp", s->plan->tpl[i].name, d.data ? d.data : "");
        sk_buf_free(&d);
    }
}

static enum sk_verdict sk_dlp_block(struct sk_txn *t, struct sk_dlp_txn *s, size_t i)
{
    const struct sk_dlp_cfg *cfg = sk_txn_module_ctx(t)->data;
    char reason[256];

    sk_dlp_report_all(t, s);
    snprintf(reason, sizeof(reason),
             "information leak prevention: template '%s' matched %llu time(s)",
             s->plan->tpl[i].name, (unsigned long long)sk_dlp_engine_tpl_count(s->e, i));
    sk_txn_set_reason(t, s->plan->tpl[i].name, reason);
    sk_dlp_page(t, &cfg->pages, s->e, i);
    return SK_BLOCK;
}

/* The first block template over its minimum count, or -1. */
static long sk_dlp_blocking(const struct sk_dlp_txn *s)
{
    for (size_t i = 0; i < s->plan->ntpl; i++)
        if (s->plan->tpl[i].block &&
            sk_dlp_engine_tpl_count(s->e, i) >= (uint64_t)s->plan->tpl[i].min_count)
            return (long)i;
    return -1;
}

enum sk_verdict sk_dlp_body(struct sk_txn *t, void *state, const void *buf, size_t len, int eof)
{
    struct sk_dlp_txn *s = state;
    int rc = 0;

    if (s->body == NULL)
        return SK_ALLOW;
    if (len)
        rc = s->body->write(s->body, buf, len);
    if (rc == 0 && eof)
        rc = s->body->end(s->body);
    return sk_dlp_settle(t, s, rc, eof);
}

/* After text went in (RC: how the writes went): the first block template
 * over its minimum, a limit or an undecodable object as configured, and
 * at EOF the log-only reports and monitor mode's would-block. */
static enum sk_verdict sk_dlp_settle(struct sk_txn *t, struct sk_dlp_txn *s, int rc, int eof)
{
    struct sk_module_ctx *mc = sk_txn_module_ctx(t);
    const struct sk_dlp_cfg *cfg = mc && mc->data ? mc->data : &sk_dlp_defaults;
    long hit;

    if (rc == -1 || s->e->error) {
        sk_txn_set_reason(t, "dlp-error",
                          rc == -1 ? "out of memory while inspecting the body"
                                   : "a DLP regex exceeded its match limit");
        return SK_ERROR;
    }
    if ((hit = sk_dlp_blocking(s)) >= 0)
        return sk_dlp_block(t, s, (size_t)hit);
    if (s->ctx.limit && cfg->on_limit_block) {
        char reason[256];
        sk_dlp_report_all(t, s);
        if (s->ctx.bomb)
            snprintf(reason, sizeof(reason),
                     "information leak prevention: a compressed object decompresses beyond "
                     "dlp.decode-max-ratio (%llu:1 past dlp.decode-min-bytes): a decompression "
                     "bomb, not inspected (dlp.on-limit: block)",
                     (unsigned long long)cfg->decode_ratio);
        else
            snprintf(reason, sizeof(reason),
                     "information leak prevention: the decompressed body exceeds"
                     " dlp.max-decoded and cannot be inspected completely");
        sk_txn_set_reason(t, "dlp-limit", reason);
        return SK_BLOCK;
    }
    if (s->ctx.undecodable && cfg->on_error_block) {
        char reason[256];
        sk_dlp_report_all(t, s);
        snprintf(reason, sizeof(reason),
                 "information leak prevention: the body cannot be "
                 "inspected completely: %s (dlp.on-error: block)",
                 s->ctx.why);
        sk_txn_set_reason(t, "dlp-undecodable", reason);
        return SK_BLOCK;
    }
    if (!eof)
        return SK_CONTINUE;
    if (s->ctx.limit) /* dlp.on-limit allow: logged */
        sk_txn_set_reason(t, "dlp-limit",
                          s->ctx.bomb ? "a compressed object decompresses beyond "
                                        "dlp.decode-max-ratio: the rest of it was not inspected "
                                        "(dlp.on-limit: allow)"
                                      : "the decompressed body exceeds dlp.max-decoded: the rest "
                                        "was not inspected (dlp.on-limit: allow)");
    if (s->ctx.undecodable) { /* dlp.on-error allow: logged, raw bytes were inspected */
        char reason[256];
        snprintf(reason, sizeof(reason), "%s; inspected as raw bytes (dlp.on-error: allow)",
                 s->ctx.why);
        sk_txn_set_reason(t, "dlp-undecodable", reason);
    }
    sk_dlp_report_all(t, s);                   /* log-only templates */
    for (size_t i = 0; i < s->plan->ntpl; i++) /* monitor mode: the first one decides */
        if (sk_dlp_engine_tpl_count(s->e, i) >= (uint64_t)s->plan->tpl[i].min_count) {
            char reason[256];
            snprintf(reason, sizeof(reason),
                     "information leak prevention: template '%s' matched %llu time(s)"
                     " (action log: passed)",
                     s->plan->tpl[i].name, (unsigned long long)sk_dlp_engine_tpl_count(s->e, i));
            sk_txn_would_block(t, s->plan->tpl[i].name, reason);
            break;
        }
    return SK_ALLOW;
}

void sk_dlp_end(struct sk_txn *t, void *state)
{
    struct sk_dlp_txn *s = state;

    if (s->body)
        s->body->destroy(s->body);
    sk_dlp_engine_free(s->e);
    sk_dlp_plan_unref(s->plan);
    free(s->err);
    free(s);
}

/* dlp_engine.c - the streaming window: carry-over management, custom
 * keyword and regex detectors, distinct-value counting and samples.
 * SECURITY: memory per engine is fixed at creation (window + lower-case
 * copy + a 32 KiB set of value hashes), whatever the body size.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "dlp.h"

#define SK_DLP_SEEN    4096 /* distinct values remembered per transaction */
#define SK_DLP_MINFREE 4096
#define SK_DLP_START   (2 * SK_DLP_MINFREE) /* first window */

struct sk_dlp_engine *sk_dlp_engine_new(const struct sk_dlp_plan *plan)
{
    struct sk_dlp_engine *e = calloc(1, sizeof(*e));

    if (e == NULL)
        return NULL;
    e->plan = plan;
    e->root = e;
    e->bof = 1;
    /* carry-over is at most CTX + the longest of MAXTOK, RE_SPAN, keywords;
     * the window starts small and grows to that (a URL, a form field or a
     * base64 run's text is a few bytes: two 70 KiB buffers per object made
     * a no-body request's URL cost more than its transaction, the heap
     * trimmed and faulted them back every time) */
    e->full =
        SK_DLP_WINDOW + SK_DLP_CTX + SK_DLP_MAXTOK + SK_DLP_RE_SPAN + plan->kw_max + SK_DLP_MINFREE;
    e->cap = SK_DLP_START < e->full ? SK_DLP_START : e->full;
    e->buf = malloc(e->cap);
    if (plan->kw_max)
        e->lower = malloc(e->cap);
    if (plan->ncust) {
        e->cdone = calloc(plan->ncust, sizeof(*e->cdone));
        e->ccount = calloc(plan->ncust, sizeof(*e->ccount));
    }
    for (size_t i = 0; i < plan->ncust; i++)
        if (plan->cust[i].kind == SK_DLP_REGEX && e->md == NULL)
            e->md = pcre2_match_data_create(4, NULL);
    if (e->buf == NULL || (plan->kw_max && e->lower == NULL) ||
        (plan->ncust && (e->cdone == NULL || e->ccount == NULL))) {
        sk_dlp_engine_free(e);
        return NULL;
    }
    return e;
}

struct sk_dlp_engine *sk_dlp_engine_sub(struct sk_dlp_engine *e)
{
    struct sk_dlp_engine *s = sk_dlp_engine_new(e->plan);

    if (s) {
        s->root = e->root;
        memcpy(s->where, e->where, sizeof(s->where));
    }
    return s;
}

void sk_dlp_engine_free(struct sk_dlp_engine *e)
{
    if (e == NULL)
        return;
    free(e->buf);
    free(e->lower);
    free(e->cdone);
    free(e->ccount);
    free(e->seen);
    pcre2_match_data_free(e->md);
    free(e);
}

static uint64_t sk_dlp_hash(unsigned det, const char *v, size_t n)
{
    uint64_t h = 1469598103934665603ull ^ det;

    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)v[i]) * 1099511628211ull;
    return h ? h : 1;
}

/* 1 if the value was new (or the set is full), 0 if seen before. */
static int sk_dlp_first_time(struct sk_dlp_engine *e, uint64_t h)
{
    size_t i;

    e = e->root;
    if (e->seen == NULL && (e->seen = calloc(SK_DLP_SEEN, sizeof(*e->seen))) == NULL)
        return 1;
    if (e->nseen >= SK_DLP_SEEN * 3 / 4)
        return 1; /* saturated: count every further occurrence */
    for (i = h & (SK_DLP_SEEN - 1); e->seen[i]; i = (i + 1) & (SK_DLP_SEEN - 1))
        if (e->seen[i] == h)
            return 0;
    e->seen[i] = h;
    e->nseen++;
    return 1;
}

void sk_dlp_engine_hit(struct sk_dlp_engine *w, enum sk_dlp_det det, const char *v, size_t n,
                       int near)
{
    struct sk_dlp_engine *e = w->root; /* the window's name, the root's counts */

    if (!sk_dlp_first_time(e, sk_dlp_hash(det, v, n)))
        return;
    if (e->count[det]++ == 0) {
        sk_dlp_mask(det, v, n, e->sample[det], sizeof(e->sample[det]));
        memcpy(e->sample_where[det], w->where, sizeof(w->where));
    }
    e->near[det] += near != 0;
}

void sk_dlp_engine_where(struct sk_dlp_engine *e, const char *name)
{
    size_t o = 0;

    /* File names are client-controlled: printable ASCII only, capped. */
    for (const unsigned char *p = (const unsigned char *)(name ? name : ""); *p; p++)
        if (o + 1 < sizeof(e->where))
            e->where[o++] = (char)(*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\' ? *p : '?');
    e->where[o] = '\0';
}

uint64_t sk_dlp_engine_tpl_count(const struct sk_dlp_engine *e, size_t t)
{
    const struct sk_dlp_plan *p = e->plan;
    uint64_t n = 0;

    for (int d = 0; d < SK_DLP_NBUILTIN; d++)
        if (p->tpl[t].builtins & (1u << d))
            n += e->count[d];
    for (size_t k = 0; k < p->ncust; k++)
        if (p->cust[k].tpl == t)
            n += e->ccount[k];
    return n;
}

/* Keyword K: occurrences starting in [cdone, limit) of the lower-cased
 * window; returns the next cdone. */
static size_t sk_dlp_keyword(struct sk_dlp_engine *e, size_t k, size_t limit)
{
    const struct sk_dlp_custom *c = &e->plan->cust[k];
    const unsigned char *hay = e->lower, *p;
    size_t from = e->cdone[k], end = limit + c->len - 1;

    if (end > e->len)
        end = e->len;
    while (from < limit && end - from >= c->len &&
           (p = memmem(hay + from, end - from, c->text, c->len)) != NULL) {
        if ((size_t)(p - hay) >= limit)
            break;
        e->root->ccount[k]++;
        from = (size_t)(p - hay) + c->len;
    }
    return limit;
}

/* Regex K over the window; a match that runs into the end of the window
 * is left for the next pass (it may grow) unless it is already long. */
static size_t sk_dlp_regex(struct sk_dlp_engine *e, size_t k, size_t limit, int final)
{
    const struct sk_dlp_custom *c = &e->plan->cust[k];
    pcre2_match_data *md = e->md;
    size_t pos = e->cdone[k];
    int rc;

    while (pos < limit) {
        rc = pcre2_match(c->re, e->buf, e->len, pos, 0, md, e->plan->mctx);
        if (rc == PCRE2_ERROR_NOMATCH)
            break;
        if (rc < 0) {
            e->root->error = 1;
            break;
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        if (ov[0] >= limit)
            break;
        if (!final && ov[1] == e->len && e->len - ov[0] <= SK_DLP_RE_SPAN)
            return ov[0];
        if (sk_dlp_first_time(e, sk_dlp_hash(SK_DLP_NBUILTIN + (unsigned)k,
                                             (const char *)e->buf + ov[0], ov[1] - ov[0])))
            e->root->ccount[k]++;
        pos = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
    }
    return pos > limit ? pos : limit;
}

static void sk_dlp_custom_pass(struct sk_dlp_engine *e, int final)
{
    const struct sk_dlp_plan *p = e->plan;

    if (p->kw_max) {
        for (size_t i = e->lower_len; i < e->len; i++) {
            unsigned char ch = e->buf[i];
            e->lower[i] = (unsigned char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
        }
        e->lower_len = e->len;
    }
    for (size_t k = 0; k < p->ncust; k++) {
        const struct sk_dlp_custom *c = &p->cust[k];
        size_t limit;
        if (c->kind == SK_DLP_KEYWORD) {
            limit = final ? e->len : e->len >= c->len ? e->len - c->len + 1 : 0;
            if (limit > e->cdone[k])
                e->cdone[k] = sk_dlp_keyword(e, k, limit);
        } else {
            limit = final ? e->len : e->len > SK_DLP_RE_SPAN ? e->len - SK_DLP_RE_SPAN : 0;
            if (limit > e->cdone[k])
                e->cdone[k] = sk_dlp_regex(e, k, limit, final);
        }
    }
}

/* Scan the window; keep the carry-over needed by every detector. */
static void sk_dlp_pass(struct sk_dlp_engine *e, int final)
{
    size_t keep;

    e->done = sk_dlp_detect(e, final);
    if (e->plan->ncust)
        sk_dlp_custom_pass(e, final);
    if (final) {
        e->len = e->lower_len = e->done = 0;
        for (size_t k = 0; k < e->plan->ncust; k++)
            e->cdone[k] = 0;
        e->bof = 1;
        return;
    }
    keep = e->done;
    for (size_t k = 0; k < e->plan->ncust; k++)
        if (e->cdone[k] < keep)
            keep = e->cdone[k];
    keep = keep > SK_DLP_CTX ? keep - SK_DLP_CTX : 0;
    if (keep == 0)
        return;
    memmove(e->buf, e->buf + keep, e->len - keep);
    if (e->lower)
        memmove(e->lower, e->lower + keep, e->len - keep);
    e->len -= keep;
    e->lower_len -= keep;
    e->done -= keep;
    for (size_t k = 0; k < e->plan->ncust; k++)
        e->cdone[k] -= keep;
    e->bof = 0;
}

/* A window below its full size grows (x4) instead of being scanned, so
 * passes happen where they would with the full window from the start. 0,
 * or -1 (out of memory: the window stays as it is, and is scanned). */
static int sk_dlp_grow(struct sk_dlp_engine *e)
{
    size_t cap = e->cap * 4 < e->full ? e->cap * 4 : e->full;
    unsigned char *b = realloc(e->buf, cap), *l;

    if (b == NULL)
        return -1;
    e->buf = b;
    if (e->lower) {
        if ((l = realloc(e->lower, cap)) == NULL)
            return -1; /* both stay usable at the old size */
        e->lower = l;
    }
    e->cap = cap;
    return 0;
}

unsigned char *sk_dlp_engine_space(struct sk_dlp_engine *e, size_t *avail)
{
    if (e->cap - e->len < SK_DLP_MINFREE && (e->cap == e->full || sk_dlp_grow(e) == -1))
        sk_dlp_pass(e, 0);
    *avail = e->cap - e->len;
    return e->buf + e->len;
}

void sk_dlp_engine_commit(struct sk_dlp_engine *e, size_t n)
{
    e->len += n;
    e->root->scanned += n;
}

int sk_dlp_engine_write(struct sk_dlp_engine *e, const void *p, size_t n)
{
    const unsigned char *s = p;

    while (n > 0) {
        size_t avail, k;
        unsigned char *d = sk_dlp_engine_space(e, &avail);
        k = n < avail ? n : avail;
        memcpy(d, s, k);
        sk_dlp_engine_commit(e, k);
        s += k;
        n -= k;
    }
    return 0;
}

void sk_dlp_engine_boundary(struct sk_dlp_engine *e)
{
    sk_dlp_pass(e, 1);
}

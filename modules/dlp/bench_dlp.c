/* bench_dlp.c - module-level benchmark of the dlp scanning core: 1 MiB text
 * uploads through the same decoder chain the module builds, all built-in
 * detectors on. Prints MB/s per body kind (one core); then the per-request
 * cost of a small form post with two regex templates, compiling the plan
 * per request (as before issue 17) against the plan cache the module uses
 * (us/request and the ratio). Not a test.
 * Usage: bench_dlp [seconds-per-case [url]] (url: the URL cases only)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sekisho/policy_db.h>

#include "dlp.h"
#include "dlp_module.h"

#define SK_BENCH_SIZE (1u << 20)

static double sk_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* English-like text with the numbers real documents carry: dates, prices,
 * order numbers, phone-like and card-like digit groups (mostly invalid),
 * and a few e-mail addresses. */
static size_t sk_gen_text(char *out, size_t size, unsigned seed)
{
    static const char *const words[] = {
        "the",     "report", "quarterly", "customer", "order",   "shipment", "invoice",
        "total",   "please", "confirm",   "delivery", "account", "meeting",  "Tokyo",
        "project", "review", "budget",    "and",      "of",      "to",       "in",
        "for",     "with",   "on",        "by",       "status",  "Q3",       "v2"};
    size_t o = 0;
    unsigned r = seed;

    while (o + 64 < size) {
        r = r * 1103515245u + 12345u;
        unsigned k = (r >> 16) % 100;
        if (k < 80)
            o += (size_t)snprintf(out + o, size - o, "%s ", words[(r >> 8) % 28]);
        else if (k < 88)
            o += (size_t)snprintf(out + o, size - o, "%u ", (r >> 4) % 100000);
        else if (k < 92)
            o += (size_t)snprintf(out + o, size - o, "2024-%02u-%02u ", (r >> 3) % 12 + 1,
                                  (r >> 7) % 28 + 1);
        else if (k < 95)
            o += (size_t)snprintf(out + o, size - o, "%04u %04u %04u %04u ", (r >> 2) % 10000,
                                  (r >> 5) % 10000, (r >> 9) % 10000, (r >> 13) % 10000);
        else if (k < 97)
            o += (size_t)snprintf(out + o, size - o, "03-%04u-%04u ", (r >> 3) % 10000,
                                  (r >> 6) % 10000);
        else if (k < 98)
            o += (size_t)snprintf(out + o, size - o, "user%u@example.com ", (r >> 4) % 1000);
        else
            o += (size_t)snprintf(out + o, size - o, ".\n");
    }
    return o;
}

static size_t sk_gen_japanese(char *out, size_t size)
{
    static const char *const parts[] = {
        "お客様の注文番号は",    "１２３４５",           "です。", "発送予定日は",
        "2024年10月1日",         "、担当者は山田です。", "電話 ",  "０３−１２３４−５６７８",
        "までご連絡ください。\n"};
    size_t o = 0;
    for (int i = 0; o + 64 < size; i = (i + 1) % 9)
        o += (size_t)snprintf(out + o, size - o, "%s", parts[i]);
    return o;
}

static double sk_run(const struct sk_dlp_plan *plan, const char *ctype, const char *body,
                     size_t len, double secs, size_t chunk, unsigned *hits)
{
    double t0 = sk_now(), t;
    size_t bytes = 0;

    do {
        struct sk_dlp_engine *e = sk_dlp_engine_new(plan);
        struct sk_dlp_ctx ctx = {.e = e, .budget = 1ull << 30};
        struct sk_dlp_sink *s = sk_dlp_body_new(&ctx, ctype, NULL);
        for (size_t o = 0; o < len; o += chunk)
            s->write(s, (const unsigned char *)body + o, len - o < chunk ? len - o : chunk);
        s->end(s);
        *hits = 0;
        for (int d = 0; d < SK_DLP_NBUILTIN; d++)
            *hits += e->count[d];
        s->destroy(s);
        sk_dlp_engine_free(e);
        bytes += len;
        t = sk_now();
    } while (t - t0 < secs);
    return (double)bytes / (t - t0) / 1e6;
}

/* One small form post through a fresh engine, the way the module runs a
 * transaction once it has its plan. */
static void sk_small_request(const struct sk_dlp_plan *plan)
{
    static const char body[] = "name=Taro+Yamada&ref=EMP-123456&note=order+ORD-2024-000017+"
                               "confidential&mail=taro%40example.jp&card=4111+1111+1111+1111";
    struct sk_dlp_engine *e = sk_dlp_engine_new(plan);
    struct sk_dlp_ctx ctx = {.e = e, .budget = 1ull << 30};
    struct sk_dlp_sink *s = sk_dlp_body_new(&ctx, "application/x-www-form-urlencoded", NULL);

    s->write(s, (const unsigned char *)body, sizeof(body) - 1);
    s->end(s);
    s->destroy(s);
    sk_dlp_engine_free(e);
}

/* A snapshot with two templates of two regexes each (issue 17's case). */
static struct sk_snapshot *sk_bench_snapshot(char *dir)
{
    static const char *const a[] = {"regex:EMP-[0-9]{6}", "regex:ORD-20[0-9]{2}-[0-9]{6}",
                                    "credit-card"};
    static const char *const b[] = {"regex:(?i)confidential|secret", "regex:[A-Z]{2}[0-9]{7}",
                                    "email"};
    char path[256], *err = NULL;
    struct sk_pdb *db;
    struct sk_snapshot *snap = NULL;

    snprintf(path, sizeof(path), "%s/policy.db", dir);
    if ((db = sk_pdb_open(path, SK_PDB_RW | SK_PDB_CREATE, &err)) == NULL ||
        sk_pdb_init(db, "bench", &err) != 0 || sk_pdb_write_begin(db, &err) != 0 ||
        sk_pdb_dlp_add(db, NULL, "ids", a, 3, 1, "log", &err) <= 0 ||
        sk_pdb_dlp_add(db, NULL, "words", b, 3, 1, "log", &err) <= 0 ||
        sk_pdb_write_commit(db, "bench", "bench", &err) < 0 ||
        (snap = sk_snapshot_load(db, &err)) == NULL)
        fprintf(stderr, "bench_dlp: policy: %s\n", err ? err : "?");
    sk_pdb_close(db);
    free(err);
    unlink(path);
    strcat(path, "-wal");
    unlink(path);
    strcpy(path + strlen(path) - 4, "-shm");
    unlink(path);
    return snap;
}

/* us per small request: compile per request (CACHE NULL) or cached plan. */
static double sk_per_request(const struct sk_snapshot *snap, struct sk_dlp_plan_cache *cache,
                             double secs)
{
    const struct sk_policy *pol = sk_snapshot_default(snap);
    const struct sk_dlp_template *tpls[16];
    size_t n = sk_dlp_templates_of(snap, pol, SK_AT_ANY, tpls, NULL, 16);
    double t0 = sk_now(), t;
    unsigned long reqs = 0;
    char *err = NULL;

    do {
        struct sk_dlp_plan *plan = NULL;
        int rc = cache ? sk_dlp_plan_get(cache, snap, pol, SK_AT_ANY, &plan, &err)
                       : sk_dlp_plan_build(tpls, n, &plan, &err);
        if (rc == -1 || plan == NULL) {
            fprintf(stderr, "bench_dlp: plan: %s\n", err ? err : "none");
            exit(1);
        }
        sk_small_request(plan);
        sk_dlp_plan_unref(plan);
        reqs++;
        t = sk_now();
    } while (t - t0 < secs);
    return (t - t0) * 1e6 / (double)reqs;
}

static void sk_bench_plans(double secs)
{
    char dir[] = "/tmp/sk-bench-dlp-XXXXXX";
    struct sk_dlp_plan_cache cache;
    struct sk_snapshot *snap;

    if (mkdtemp(dir) == NULL || (snap = sk_bench_snapshot(dir)) == NULL)
        exit(1);
    rmdir(dir);
    sk_dlp_plan_cache_init(&cache);
    double per = sk_per_request(snap, NULL, secs), cached = sk_per_request(snap, &cache, secs);
    printf("\nsmall form post, 2 templates x 2 regexes (one core)\n");
    printf("%-44s %10s\n", "case", "us/req");
    printf("%-44s %10.2f\n", "plan compiled per request (before)", per);
    printf("%-44s %10.2f\n", "plan cache, once per policy content (after)", cached);
    printf("%-44s %10.1fx (plans built: %llu)\n", "speed-up", per / cached,
           (unsigned long long)sk_dlp_plan_cache_builds(&cache));
    sk_dlp_plan_cache_fini(&cache);
    sk_snapshot_unref(snap);
}

/* A no-body request's URL (path and query) read by DLP, as
 * sk_dlp_headers does: engine, the URL's objects, engine freed. us per
 * request, for each URL. */
static void sk_bench_url(const struct sk_dlp_plan *plan, const char *what, double secs)
{
    static const char *const urls[] = {
        "http://www.dizuji.io/hehe/soso?q=1",                   /* the bench's URL list */
        "http://www.rahuretigi106.top/rere/didi/gugu/susu?q=4", /* its longest: 20 base64 digits */
        "http://www.example.com/wp-content/uploads/2024/05/product-photo-large.jpg",
        "http://www.example.com/search?q=quarterly+report&lang=en&page=2",
        "http://www.example.com/api/v2/items?id=4111111111111111"};
    printf("%s\n", what);
    for (size_t u = 0; u < sizeof(urls) / sizeof(urls[0]); u++) {
        unsigned long n = 0;
        double t0 = sk_now(), t;
        do {
            for (int k = 0; k < 64; k++, n++) {
                size_t rn, hide;
                const char *rest = sk_dlp_url_rest(urls[u], &rn);
                if (rest == NULL || !sk_dlp_url_worth(plan, rest, rn))
                    continue;
                struct sk_dlp_engine *e = sk_dlp_engine_new(plan);
                struct sk_dlp_ctx ctx = {.e = e, .budget = 1ull << 30};
                if (e == NULL || sk_dlp_url(&ctx, rest, rn, &hide) == -1)
                    abort();
                sk_dlp_engine_free(e);
            }
        } while ((t = sk_now() - t0) < secs / 4);
        printf("  %-66s %7.2f us\n", urls[u] + 7, t * 1e6 / (double)n);
    }
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 2.0;
    struct sk_dlp_template tpl = {
        .name = "all",
        .detectors = "credit-card\nmy-number\ncorporate-number\nssn\niban\nemail\njp-phone",
        .min_count = 1000000,
        .action = "log"};
    const struct sk_dlp_template *tp = &tpl;
    struct sk_dlp_plan *plan;
    char *err = NULL, *text = malloc(SK_BENCH_SIZE + 1), *ja = malloc(SK_BENCH_SIZE + 1);
    char *mp = malloc(SK_BENCH_SIZE + 512);
    size_t tn, jn, mn;
    unsigned hits;

    if (!text || !ja || !mp || sk_dlp_plan_build(&tp, 1, &plan, &err) == -1) {
        fprintf(stderr, "bench_dlp: setup failed: %s\n", err ? err : "out of memory");
        return 1;
    }
    tn = sk_gen_text(text, SK_BENCH_SIZE, 42);
    jn = sk_gen_japanese(ja, SK_BENCH_SIZE);
    if (getenv("SK_BENCH_DUMP")) { /* the generated text, for debugging detectors */
        FILE *f = fopen(getenv("SK_BENCH_DUMP"), "wb");
        if (f) {
            fwrite(text, 1, tn, f);
            fclose(f);
        }
    }
    mn = (size_t)snprintf(mp, 512,
                          "--BOUNDARYxyz\r\nContent-Disposition: form-data; name=\"f\";"
                          " filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\n");
    memcpy(mp + mn, text, tn - 512);
    mn += tn - 512;
    mn += (size_t)snprintf(mp + mn, 512, "\r\n--BOUNDARYxyz--\r\n");

    printf("bench_dlp: 1 MiB bodies, all built-in detectors, %.1f s per case, one core\n", secs);
    printf("%-44s %10s %8s\n", "case", "MB/s", "hits");
    struct {
        const char *name, *ctype, *body;
        size_t len, chunk;
    } cases[] = {
        {"text/plain (English-like), 64 KiB writes", "text/plain", text, tn, 65536},
        {"text/plain (English-like), 8 KiB writes", "text/plain", text, tn, 8192},
        {"text/plain; charset=utf-8 (Japanese)", "text/plain; charset=utf-8", ja, jn, 65536},
        {"multipart/form-data upload (English-like)", "multipart/form-data; boundary=BOUNDARYxyz",
         mp, mn, 65536},
    };
    int url_only = argc > 2 && strcmp(argv[2], "url") == 0;
    for (size_t i = 0; !url_only && i < sizeof(cases) / sizeof(cases[0]); i++) {
        double mbs =
            sk_run(plan, cases[i].ctype, cases[i].body, cases[i].len, secs, cases[i].chunk, &hits);
        printf("%-44s %10.1f %8u\n", cases[i].name, mbs, hits);
    }
    {
        struct sk_dlp_template kw = {.name = "kw",
                                     .detectors = "credit-card\nmy-number\ncorporate-number\n"
                                                  "ssn\niban\nemail\njp-phone\n"
                                                  "keyword:CONFIDENTIAL",
                                     .min_count = 1,
                                     .action = "block"};
        const struct sk_dlp_template *kp = &kw;
        struct sk_dlp_plan *kplan;
        if (sk_dlp_plan_build(&kp, 1, &kplan, &err) == -1) {
            fprintf(stderr, "bench_dlp: keyword plan: %s\n", err ? err : "out of memory");
            return 1;
        }
        printf("\nno-body request, its URL read by DLP (one core):\n");
        sk_bench_url(plan, "built-in detectors only (URL skipped)", secs);
        sk_bench_url(kplan, "built-in detectors + keyword template", secs);
        sk_dlp_plan_unref(kplan);
    }
    sk_dlp_plan_unref(plan);
    if (!url_only)
        sk_bench_plans(secs);
    free(text);
    free(ja);
    free(mp);
    return 0;
}

/* rawscan.c - bench_rawscan: the in-process libclamav scan rate of a body
 * (the physical limit line of the bench). Trusts its arguments and files. */
#include <clamav.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sk_bench.h"

struct sk_raw {
    struct cl_engine *engine;
    const struct cl_scan_options *opts;
    const char *body;
    size_t blen;
    double duration;
    int vary;
    uint64_t counter_base;
    /* results, per thread */
    uint64_t scans, bytes, infected, errors;
    double cpu_s; /* thread CPU time spent in the scans */
    struct sk_lat lat;
};

static double sk_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of the calling thread: what a scan costs, whatever else runs
 * on the machine (the bisect compares this, not the wall clock). */
static double sk_cpu(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The options and engine settings virus_scan uses (vs_engine.c,
 * sk_vs_options), so the limit is the same scan without the server. */
static void sk_sekisho_opts(struct cl_scan_options *o)
{
    memset(o, 0, sizeof(*o));
    o->general = CL_SCAN_GENERAL_HEURISTICS;
    o->parse = ~0u;
    o->heuristic = CL_SCAN_HEURISTIC_EXCEEDS_MAX | CL_SCAN_HEURISTIC_ENCRYPTED_ARCHIVE |
                   CL_SCAN_HEURISTIC_ENCRYPTED_DOC;
}

/* Scans buf once with O; returns CL_CLEAN, CL_VIRUS or an error code. */
static cl_error_t sk_scan(struct cl_engine *e, const struct cl_scan_options *o, const char *buf,
                          size_t len, const char **vir)
{
    struct cl_scan_options oc = *o; /* libclamav takes it non-const */
    unsigned long scanned = 0;
    cl_fmap_t *map;
    cl_error_t rc;

    *vir = NULL;
    if ((map = cl_fmap_open_memory(buf, len)) == NULL)
        return CL_EMEM;
    rc = cl_scanmap_callback(map, NULL, vir, &scanned, e, &oc, NULL);
    cl_fmap_close(map);
    return rc;
}

static void *sk_worker(void *arg)
{
    struct sk_raw *w = arg;
    char *buf = malloc(w->blen ? w->blen : 1), tmp[17];
    const char *vir;
    double end, t, c0;
    uint64_t n = 0;
    cl_error_t rc;

    if (buf == NULL)
        return NULL;
    memcpy(buf, w->body, w->blen);
    end = sk_now() + w->duration;
    while ((t = sk_now()) < end) {
        if (w->vary && w->blen >= 16) {
            /* Unique content per scan, so the clean cache cannot answer. */
            snprintf(tmp, sizeof(tmp), "%016llx", (unsigned long long)(w->counter_base + n));
            memcpy(buf, tmp, 16);
        }
        c0 = sk_cpu();
        rc = sk_scan(w->engine, w->opts, buf, w->blen, &vir);
        w->cpu_s += sk_cpu() - c0;
        if (rc == CL_VIRUS)
            w->infected++;
        else if (rc != CL_CLEAN)
            w->errors++;
        sk_lat_add(&w->lat, (uint64_t)((sk_now() - t) * 1e6));
        w->scans++;
        w->bytes += w->blen;
        n++;
    }
    free(buf);
    return NULL;
}

static void sk_usage(FILE *out)
{
    fprintf(out, "usage: bench_rawscan --db DIR [--body FILE] [--duration S] [--threads N]\n"
                 "                     [--vary] [--check] [--json] [--bisect]\n"
                 "  --check   scan the body once, print the verdict, exit 0 clean / 1 virus\n"
                 "  --bisect  scan the body with each libclamav option set in turn (--duration\n"
                 "            each) and print a markdown table of what each option costs\n");
}

static char *sk_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *p = NULL;
    long n;

    if (f == NULL || fseek(f, 0, SEEK_END) == -1 || (n = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) == -1 || (p = malloc((size_t)n + 1)) == NULL ||
        fread(p, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "bench_rawscan: cannot read %s: %s\n", path, strerror(errno));
        exit(2);
    }
    fclose(f);
    *len = (size_t)n;
    return p;
}

/* The run's totals over all threads (latencies merged and sorted). */
struct sk_tot {
    uint64_t scans, bytes, infected, errors;
    double elapsed, cpu_s;
    struct sk_lat lat;
};

/* Scans BODY on THREADS threads for DURATION seconds with options O. */
static int sk_run_scans(struct cl_engine *e, const struct cl_scan_options *o, const char *body,
                        size_t blen, int threads, double duration, int vary, struct sk_tot *tot)
{
    static uint64_t run_no;
    struct sk_raw *w = calloc((size_t)threads, sizeof(*w));
    pthread_t *tid = calloc((size_t)threads, sizeof(*tid));
    double t0;
    int i;

    if (w == NULL || tid == NULL)
        return -1;
    run_no++;
    t0 = sk_now();
    for (i = 0; i < threads; i++) {
        /* Unique counters per thread and per run: no two scans alike. */
        w[i] = (struct sk_raw){.engine = e,
                               .opts = o,
                               .body = body,
                               .blen = blen,
                               .duration = duration,
                               .vary = vary,
                               .counter_base = run_no << 48 | (uint64_t)i << 40};
        if (pthread_create(&tid[i], NULL, sk_worker, &w[i]) != 0)
            return -1;
    }
    for (i = 0; i < threads; i++)
        pthread_join(tid[i], NULL);
    memset(tot, 0, sizeof(*tot));
    tot->elapsed = sk_now() - t0;
    for (i = 0; i < threads; i++) {
        tot->scans += w[i].scans;
        tot->bytes += w[i].bytes;
        tot->infected += w[i].infected;
        tot->errors += w[i].errors;
        tot->cpu_s += w[i].cpu_s;
        for (size_t j = 0; j < w[i].lat.n; j++)
            sk_lat_add(&tot->lat, w[i].lat.v[j]);
        free(w[i].lat.v);
    }
    sk_lat_sort(&tot->lat);
    free(w);
    free(tid);
    return 0;
}

static void sk_print(int json, struct sk_tot *tot, int threads, double t_load, double t_comp,
                     unsigned sigs, long rss_kb, size_t blen)
{
    double el = tot->elapsed;

    if (json) {
        printf("{\"signatures\":%u,\"load_s\":%.3f,\"compile_s\":%.3f,\"engine_rss_kb\":%ld,"
               "\"threads\":%d,\"body_bytes\":%zu,\"elapsed_s\":%.3f,\"scans\":%llu,"
               "\"scans_per_s\":%.1f,\"mb_per_s\":%.2f,\"infected\":%llu,\"errors\":%llu,"
               "\"lat_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f},\"cpu_s\":%.3f}\n",
               sigs, t_load, t_comp, rss_kb, threads, blen, el, (unsigned long long)tot->scans,
               tot->scans / el, tot->bytes / el / 1e6, (unsigned long long)tot->infected,
               (unsigned long long)tot->errors, sk_lat_quantile(&tot->lat, 0.5),
               sk_lat_quantile(&tot->lat, 0.99), sk_lat_quantile(&tot->lat, 1.0), tot->cpu_s);
        return;
    }
    printf("engine: %u signatures, load %.2f s, compile %.2f s, RSS %.1f MB\n", sigs, t_load,
           t_comp, rss_kb / 1024.0);
    printf("scan:   %d threads, %zu-byte body, %llu scans in %.2f s: %.1f scans/s, "
           "%.2f MB/s, p50 %.3f ms, p99 %.3f ms (infected %llu, errors %llu)\n",
           threads, blen, (unsigned long long)tot->scans, el, tot->scans / el,
           tot->bytes / el / 1e6, sk_lat_quantile(&tot->lat, 0.5), sk_lat_quantile(&tot->lat, 0.99),
           (unsigned long long)tot->infected, (unsigned long long)tot->errors);
}

/* One option set of the bisect table: Sekisho's options changed by one
 * thing (or a peer's whole set). */
struct sk_variant {
    const char *name;
    struct cl_scan_options o;
};

#define SK_PARSE(bit, label)                                                                       \
    {                                                                                              \
        "- parse " label, CL_SCAN_PARSE_##bit                                                      \
    }

/* Fills V with the option sets to compare; returns how many. The first
 * and the last are Sekisho's own (drift check). */
static int sk_variants(struct sk_variant *v, int max)
{
    static const struct {
        const char *name;
        uint32_t bit;
    } parse[] = {SK_PARSE(ARCHIVE, "ARCHIVE"),
                 SK_PARSE(ELF, "ELF"),
                 SK_PARSE(PDF, "PDF"),
                 SK_PARSE(SWF, "SWF"),
                 SK_PARSE(HWP3, "HWP3"),
                 SK_PARSE(XMLDOCS, "XMLDOCS"),
                 SK_PARSE(MAIL, "MAIL"),
                 SK_PARSE(OLE2, "OLE2"),
                 SK_PARSE(HTML, "HTML"),
                 SK_PARSE(PE, "PE"),
                 SK_PARSE(ONENOTE, "ONENOTE"),
                 SK_PARSE(IMAGE, "IMAGE"),
                 SK_PARSE(IMAGE_FUZZY_HASH, "IMAGE_FUZZY_HASH")};
    static const struct {
        const char *name;
        uint32_t bit;
        int add;
    } heur[] = {{"- heuristic EXCEEDS_MAX", CL_SCAN_HEURISTIC_EXCEEDS_MAX, 0},
                {"- heuristic ENCRYPTED_ARCHIVE", CL_SCAN_HEURISTIC_ENCRYPTED_ARCHIVE, 0},
                {"- heuristic ENCRYPTED_DOC", CL_SCAN_HEURISTIC_ENCRYPTED_DOC, 0},
                {"+ heuristic BROKEN (alert-broken)", CL_SCAN_HEURISTIC_BROKEN, 1},
                {"+ heuristic MACROS (OLE2 macros)", CL_SCAN_HEURISTIC_MACROS, 1},
                {"+ heuristic BROKEN_MEDIA", CL_SCAN_HEURISTIC_BROKEN_MEDIA, 1}};
    struct cl_scan_options base;
    size_t i;
    int n = 0;

    sk_sekisho_opts(&base);
    if (max < 32)
        return 0;
    v[n++] = (struct sk_variant){"Sekisho virus_scan (GENERAL_HEURISTICS, parse all, "
                                 "EXCEEDS_MAX + ENCRYPTED_ARCHIVE/DOC)",
                                 base};
    v[n] = (struct sk_variant){"- GENERAL_HEURISTICS (no heuristic alerts at all)", base};
    v[n].o.general = 0;
    v[n++].o.heuristic = 0;
    for (i = 0; i < sizeof(heur) / sizeof(heur[0]); i++) {
        v[n] = (struct sk_variant){heur[i].name, base};
        if (heur[i].add)
            v[n++].o.heuristic |= heur[i].bit;
        else
            v[n++].o.heuristic &= ~heur[i].bit;
    }
    v[n] = (struct sk_variant){"+ GENERAL_ALLMATCHES", base};
    v[n++].o.general |= CL_SCAN_GENERAL_ALLMATCHES;
    for (i = 0; i < sizeof(parse) / sizeof(parse[0]); i++) {
        v[n] = (struct sk_variant){parse[i].name, base};
        v[n++].o.parse &= ~parse[i].bit;
    }
    v[n] = (struct sk_variant){"parse nothing (raw byte patterns and hashes only)", base};
    v[n++].o.parse = 0;
    /* c-icap-modules clamav_mod.c: memset(&opts, 1, ...) then parse = ~0:
     * every byte 0x01, i.e. ALLMATCHES in general, MAIL_PARTIAL_MESSAGE,
     * DEV_COLLECT_SHA; heuristic alerts stay off without GENERAL_HEURISTICS. */
    memset(&v[n].o, 1, sizeof(v[n].o));
    v[n].o.parse = ~0u;
    v[n++].name = "stock clamav_mod defaults (its memset 0x01 options)";
    v[n] = v[n - 1];
    v[n].o.general |= CL_SCAN_GENERAL_HEURISTICS;
    v[n].o.heuristic |= CL_SCAN_HEURISTIC_ENCRYPTED_ARCHIVE | CL_SCAN_HEURISTIC_ENCRYPTED_DOC;
    v[n++].name = "stock clamav_mod + ArchiveBlockEncrypted on (the equal-protection peer)";
    v[n++] = (struct sk_variant){"Sekisho virus_scan again (drift check)", base};
    return n;
}

static int sk_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

#define SK_BISECT_ROUNDS 5

/* Prints the markdown bisect table for one body. Every option set runs in
 * each of SK_BISECT_ROUNDS rounds (DURATION split between them), so a
 * minute of load from elsewhere hits all of them alike; the figure is the
 * median over the rounds of the thread CPU time per scan. */
static int sk_bisect(struct cl_engine *e, const char *body, size_t blen, int threads,
                     double duration)
{
    struct sk_variant v[40];
    struct sk_tot t;
    double cpu[40][SK_BISECT_ROUNDS], med[40], wall[40] = {0}, base;
    int n = sk_variants(v, 40), i, r;

    for (r = 0; r < SK_BISECT_ROUNDS; r++)
        for (i = 0; i < n; i++) {
            if (sk_run_scans(e, &v[i].o, body, blen, threads, duration / SK_BISECT_ROUNDS, 1, &t) !=
                0)
                return -1;
            cpu[i][r] = t.scans ? t.cpu_s / (double)t.scans : 0;
            wall[i] += t.elapsed > 0 ? t.scans / t.elapsed / SK_BISECT_ROUNDS : 0;
            free(t.lat.v);
        }
    for (i = 0; i < n; i++) {
        qsort(cpu[i], SK_BISECT_ROUNDS, sizeof(double), sk_cmp_double);
        med[i] = cpu[i][SK_BISECT_ROUNDS / 2];
    }
    /* Relative to the first and last Sekisho runs together. */
    base = (med[0] + med[n - 1]) / 2;
    printf("| option set (%zu-byte body, %d thread%s, %d rounds of %.2g s) | CPU us/scan "
           "(median) | cost vs Sekisho's | wall scans/s (mean) |\n|---|--:|--:|--:|\n",
           blen, threads, threads == 1 ? "" : "s", SK_BISECT_ROUNDS, duration / SK_BISECT_ROUNDS);
    for (i = 0; i < n; i++)
        printf("| %s | %.1f | %.2f | %.1f |\n", v[i].name, med[i] * 1e6,
               base > 0 ? med[i] / base : 0.0, wall[i]);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", 1, 0, 'd'},     {"body", 1, 0, 'b'}, {"duration", 1, 0, 't'}, {"threads", 1, 0, 'n'},
        {"vary", 0, 0, 'v'},   {"json", 0, 0, 'j'}, {"check", 0, 0, 'c'},    {"help", 0, 0, 'h'},
        {"bisect", 0, 0, 'B'}, {0, 0, 0, 0}};
    const char *db = NULL, *body_path = NULL, *vir;
    int o, threads = (int)sysconf(_SC_NPROCESSORS_ONLN), vary = 0, json = 0, check = 0, bisect = 0;
    double duration = 5, t0, t_load, t_comp;
    unsigned sigs = 0;
    struct cl_engine *e;
    struct cl_scan_options so;
    struct sk_tot tot;
    char *body = "";
    size_t blen = 0;
    cl_error_t rc;
    struct sk_mem self = {.root = (int)getpid()};

    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'd':
            db = optarg;
            break;
        case 'b':
            body_path = optarg;
            break;
        case 't':
            duration = atof(optarg);
            break;
        case 'n':
            threads = atoi(optarg);
            break;
        case 'v':
            vary = 1;
            break;
        case 'j':
            json = 1;
            break;
        case 'c':
            check = 1;
            break;
        case 'B':
            bisect = 1;
            break;
        case 'h':
            sk_usage(stdout);
            return 0;
        default:
            sk_usage(stderr);
            return 2;
        }
    }
    if (db == NULL || threads < 1 || threads > 256 || duration <= 0) {
        sk_usage(stderr);
        return 2;
    }
    if (body_path)
        body = sk_read_file(body_path, &blen);
    if ((rc = cl_init(CL_INIT_DEFAULT)) != CL_SUCCESS || (e = cl_engine_new()) == NULL) {
        fprintf(stderr, "bench_rawscan: cl_init: %s\n", cl_strerror(rc));
        return 2;
    }
    cl_engine_set_num(e, CL_ENGINE_DISABLE_CACHE, 1); /* as virus_scan, see there */
    t0 = sk_now();
    if ((rc = cl_load(db, e, &sigs, CL_DB_STDOPT)) != CL_SUCCESS) {
        fprintf(stderr, "bench_rawscan: cl_load %s: %s\n", db, cl_strerror(rc));
        return 2;
    }
    t_load = sk_now() - t0;
    t0 = sk_now();
    if ((rc = cl_engine_compile(e)) != CL_SUCCESS) {
        fprintf(stderr, "bench_rawscan: cl_engine_compile: %s\n", cl_strerror(rc));
        return 2;
    }
    t_comp = sk_now() - t0;
    sk_mem_sample(&self);
    sk_sekisho_opts(&so);
    if (check) {
        rc = sk_scan(e, &so, body, blen, &vir);
        printf("%s: %s\n", body_path ? body_path : "(empty)",
               rc == CL_VIRUS   ? vir
               : rc == CL_CLEAN ? "clean"
                                : cl_strerror(rc));
        return rc == CL_VIRUS ? 1 : rc == CL_CLEAN ? 0 : 2;
    }
    if (bisect)
        return sk_bisect(e, body, blen, threads, duration) == 0 ? 0 : 2;
    if (sk_run_scans(e, &so, body, blen, threads, duration, vary, &tot) != 0)
        return 2;
    sk_print(json, &tot, threads, t_load, t_comp, sigs, (long)self.peak_rss_kb, blen);
    cl_engine_free(e);
    return 0;
}

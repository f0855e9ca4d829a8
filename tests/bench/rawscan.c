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
    const char *body;
    size_t blen;
    double duration;
    int vary;
    uint64_t counter_base;
    /* results, per thread */
    uint64_t scans, bytes, infected, errors;
    struct sk_lat lat;
};

static double sk_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Scans buf once; returns CL_CLEAN, CL_VIRUS or an error code. */
static cl_error_t sk_scan(struct cl_engine *e, const char *buf, size_t len, const char **vir)
{
    struct cl_scan_options o;
    unsigned long scanned = 0;
    cl_fmap_t *map;
    cl_error_t rc;

    /* The options and engine settings virus_scan uses (vs_engine.c), so the
     * limit is the same scan without the server around it. */
    memset(&o, 0, sizeof(o));
    o.general = CL_SCAN_GENERAL_HEURISTICS;
    o.parse = ~0u;
    o.heuristic = CL_SCAN_HEURISTIC_EXCEEDS_MAX | CL_SCAN_HEURISTIC_ENCRYPTED_ARCHIVE |
                  CL_SCAN_HEURISTIC_ENCRYPTED_DOC;
    *vir = NULL;
    if ((map = cl_fmap_open_memory(buf, len)) == NULL)
        return CL_EMEM;
    rc = cl_scanmap_callback(map, NULL, vir, &scanned, e, &o, NULL);
    cl_fmap_close(map);
    return rc;
}

static void *sk_worker(void *arg)
{
    struct sk_raw *w = arg;
    char *buf = malloc(w->blen ? w->blen : 1), tmp[17];
    const char *vir;
    double end, t;
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
        rc = sk_scan(w->engine, buf, w->blen, &vir);
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
                 "                     [--vary] [--check] [--json]\n"
                 "  --check   scan the body once, print the verdict, exit 0 clean / 1 virus\n");
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

static void sk_print(int json, struct sk_raw *all, int threads, double el, double t_load,
                     double t_comp, unsigned sigs, long rss_kb, size_t blen)
{
    struct sk_raw tot;
    int i;

    memset(&tot, 0, sizeof(tot));
    for (i = 0; i < threads; i++) {
        tot.scans += all[i].scans;
        tot.bytes += all[i].bytes;
        tot.infected += all[i].infected;
        tot.errors += all[i].errors;
        for (size_t j = 0; j < all[i].lat.n; j++)
            sk_lat_add(&tot.lat, all[i].lat.v[j]);
    }
    sk_lat_sort(&tot.lat);
    if (json) {
        printf("{\"signatures\":%u,\"load_s\":%.3f,\"compile_s\":%.3f,\"engine_rss_kb\":%ld,"
               "\"threads\":%d,\"body_bytes\":%zu,\"elapsed_s\":%.3f,\"scans\":%llu,"
               "\"scans_per_s\":%.1f,\"mb_per_s\":%.2f,\"infected\":%llu,\"errors\":%llu,"
               "\"lat_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f}}\n",
               sigs, t_load, t_comp, rss_kb, threads, blen, el, (unsigned long long)tot.scans,
               tot.scans / el, tot.bytes / el / 1e6, (unsigned long long)tot.infected,
               (unsigned long long)tot.errors, sk_lat_quantile(&tot.lat, 0.5),
               sk_lat_quantile(&tot.lat, 0.99), sk_lat_quantile(&tot.lat, 1.0));
        return;
    }
    printf("engine: %u signatures, load %.2f s, compile %.2f s, RSS %.1f MB\n", sigs, t_load,
           t_comp, rss_kb / 1024.0);
    printf("scan:   %d threads, %zu-byte body, %llu scans in %.2f s: %.1f scans/s, "
           "%.2f MB/s, p50 %.3f ms, p99 %.3f ms (infected %llu, errors %llu)\n",
           threads, blen, (unsigned long long)tot.scans, el, tot.scans / el, tot.bytes / el / 1e6,
           sk_lat_quantile(&tot.lat, 0.5), sk_lat_quantile(&tot.lat, 0.99),
           (unsigned long long)tot.infected, (unsigned long long)tot.errors);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"db", 1, 0, 'd'},      {"body", 1, 0, 'b'}, {"duration", 1, 0, 't'},
        {"threads", 1, 0, 'n'}, {"vary", 0, 0, 'v'}, {"json", 0, 0, 'j'},
        {"check", 0, 0, 'c'},   {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    const char *db = NULL, *body_path = NULL, *vir;
    int o, threads = (int)sysconf(_SC_NPROCESSORS_ONLN), vary = 0, json = 0, check = 0, i;
    double duration = 5, t0, t_load, t_comp;
    unsigned sigs = 0;
    struct cl_engine *e;
    struct sk_raw *w;
    pthread_t *tid;
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
    if (check) {
        rc = sk_scan(e, body, blen, &vir);
        printf("%s: %s\n", body_path ? body_path : "(empty)",
               rc == CL_VIRUS   ? vir
               : rc == CL_CLEAN ? "clean"
                                : cl_strerror(rc));
        return rc == CL_VIRUS ? 1 : rc == CL_CLEAN ? 0 : 2;
    }
    w = calloc((size_t)threads, sizeof(*w));
    tid = calloc((size_t)threads, sizeof(*tid));
    if (w == NULL || tid == NULL)
        return 2;
    t0 = sk_now();
    for (i = 0; i < threads; i++) {
        w[i] = (struct sk_raw){.engine = e,
                               .body = body,
                               .blen = blen,
                               .duration = duration,
                               .vary = vary,
                               .counter_base = (uint64_t)i << 40};
        if (pthread_create(&tid[i], NULL, sk_worker, &w[i]) != 0)
            return 2;
    }
    for (i = 0; i < threads; i++)
        pthread_join(tid[i], NULL);
    sk_print(json, w, threads, sk_now() - t0, t_load, t_comp, sigs, (long)self.peak_rss_kb, blen);
    cl_engine_free(e);
    return 0;
}

/* bench_metrics.c - CPU time the node-wide metrics add to one no-body
 * transaction, measured in-process with the real sk_metrics.c on a real
 * shared file mapping (what srv_request.c calls per transaction: busy +1,
 * the counts at the end, busy -1). CPU time, not wall time, so a loaded
 * machine does not inflate it. Divide by a request's CPU time
 * (tests/bench/status_cost.sh prints it) for the relative cost.
 * Usage: bench_metrics [THREADS] [ITERATIONS] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sk_metrics.h"

static struct sk_chain sk_bm_chain;
static struct sk_module sk_bm_mods[4];
static long sk_bm_iters = 2000000;

static double sk_bm_cpu(void)
{
    struct timespec t;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *sk_bm_run(void *arg)
{
    struct sk_pipeline p;
    struct sk_log_record rec = {.icap_method = "REQMOD",
                                .verdict = "allow",
                                .bytes_in = 154,
                                .bytes_out = 117,
                                .duration_ms = 0.05};

    (void)arg;
    memset(&p, 0, sizeof(p));
    p.chain = &sk_bm_chain;
    p.decider = -1;
    for (long i = 0; i < sk_bm_iters; i++) {
        sk_metrics_busy(1);
        sk_metrics_txn(&rec, &p);
        sk_metrics_busy(-1);
        __asm__ volatile("" ::: "memory");
    }
    return NULL;
}

int main(int argc, char **argv)
{
    char path[] = "/tmp/sekisho-bench-metrics.XXXXXX", *err = NULL;
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    pthread_t th[64];
    double t0;
    int fd = mkstemp(path);

    if (argc > 2)
        sk_bm_iters = atol(argv[2]);
    if (fd == -1 || threads < 1 || threads > 64)
        return 2;
    close(fd);
    unlink(path); /* sk_metrics_open creates it again, empty */
    for (int i = 0; i < 4; i++) {
        sk_bm_mods[i].name = "m";
        sk_bm_chain.mods[i].mod = &sk_bm_mods[i];
    }
    sk_bm_chain.n = 4;
    if (sk_metrics_open(path, &err) == -1) {
        fprintf(stderr, "bench_metrics: %s\n", err);
        return 1;
    }
    sk_metrics_set_static(&sk_bm_chain, "db", "sigs", "0.5.10", 20, 4);
    sk_metrics_child_start();
    t0 = sk_bm_cpu();
    for (int i = 0; i < threads; i++)
        pthread_create(&th[i], NULL, sk_bm_run, NULL);
    for (int i = 0; i < threads; i++)
        pthread_join(th[i], NULL);
    printf("bench_metrics: %d thread(s), %.1f ns CPU per transaction\n", threads,
           (sk_bm_cpu() - t0) * 1e9 / ((double)sk_bm_iters * threads));
    unlink(path);
    return 0;
}

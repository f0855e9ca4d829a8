/* bench_walk.c - what virus_scan's own reading costs per 1 MiB body on top
 * of the engine's scan: the walk with the engine off (sk_vs_walk_body) and
 * the guard's look at the body as libclamav's pre-scan callback does it
 * (sk_vs_guard_in on the top object), on random bytes (the common
 * download) and on bytes dense in container first bytes (the worst case of
 * the candidate search). Prints microseconds per MiB (one core). Not a
 * test.
 * Usage: bench_walk [seconds-per-case]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vs_internal.h"

#define SK_BENCH_SIZE (1u << 20)

static double sk_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sk_case(const char *label, const unsigned char *buf, size_t len, double secs, int guard)
{
    struct sk_vs_conf conf = {.mem_threshold = 1 << 20, .tmp_dir = "/tmp"};
    struct sk_vs_limits lim = {.max_files = 100000, .max_bytes = UINT64_MAX, .decode_ratio = 100};
    volatile unsigned sink = 0;
    double t0 = sk_now(), t;
    unsigned long iters = 0;
    char why[160];

    do {
        for (int i = 0; i < 16; i++) {
            if (guard) {
                sink += (unsigned)sk_vs_guard_in("CL_TYPE_BINARY_DATA", buf, len, -1, 0, UINT64_MAX,
                                                 &lim, why, sizeof(why));
            } else {
                struct sk_vs_walk w = {.conf = &conf,
                                       .lim = &lim,
                                       .max_size = UINT64_MAX,
                                       .budget = UINT64_MAX,
                                       .rep = {.result = SK_VS_CLEAN}};
                sk_vs_walk_body(&w, buf, len, "application/octet-stream", "a.bin");
                sink += (unsigned)w.rep.result;
                sk_vs_walk_free(&w);
            }
        }
        iters += 16;
        t = sk_now() - t0;
    } while (t < secs);
    printf("%-48s %10.1f us/MiB  (%lu runs)\n", label,
           t / (double)iters * 1e6 * ((double)SK_BENCH_SIZE / (double)len), iters);
    (void)sink;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 1.0;
    unsigned char *b = malloc(SK_BENCH_SIZE);
    unsigned x = 1344;

    if (!b)
        return 1;
    for (size_t i = 0; i < SK_BENCH_SIZE; i++) {
        x = x * 1103515245u + 12345u;
        b[i] = (unsigned char)(x >> 23);
    }
    sk_case("walk: 1 MiB random, av off", b, SK_BENCH_SIZE, secs, 0);
    sk_case("guard: 1 MiB random, top object", b, SK_BENCH_SIZE, secs, 1);
    static const unsigned char first[] = {0x1f, 'B', 0xfd, 0x28, 'h', 's', 0x89, '-', '7'};
    for (size_t i = 0; i < SK_BENCH_SIZE; i++)
        b[i] = first[i % sizeof(first)];
    sk_case("walk: 1 MiB of container first bytes", b, SK_BENCH_SIZE, secs, 0);
    sk_case("guard: 1 MiB of container first bytes", b, SK_BENCH_SIZE, secs, 1);
    free(b);
    return 0;
}

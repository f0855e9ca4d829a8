/* bench_walk.c - what virus_scan's own reading costs per 1 MiB body on top
 * of the engine's scan: the walk with the engine off (sk_vs_walk_body,
 * which finds the body's container magic itself), the guard's look at the
 * body as libclamav's pre-scan callback does it (sk_vs_guard_in on the top
 * object; "with the index": given the candidates the server finds once for
 * guard and walk), and that one pass alone (sk_magics_find), on random
 * bytes (the common download) and on bytes dense in container first bytes
 * (the worst case of the candidate search). Prints microseconds per MiB
 * (one core). Not a test.
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

enum sk_what { SK_WALK, SK_GUARD, SK_GUARD_INDEXED, SK_INDEX };

static void sk_case(const char *label, const unsigned char *buf, size_t len, double secs,
                    enum sk_what what)
{
    struct sk_magics mg;
    struct sk_vs_conf conf = {.mem_threshold = 1 << 20, .tmp_dir = "/tmp"};
    struct sk_vs_limits lim = {.max_files = 100000, .max_bytes = UINT64_MAX, .decode_ratio = 100};
    volatile unsigned sink = 0;
    double t0 = sk_now(), t;
    unsigned long iters = 0;
    char why[160];

    (void)sk_magics_find(&mg, buf, len);
    if (what == SK_GUARD_INDEXED)
        lim.magics = &mg;

    do {
        for (int i = 0; i < 16; i++) {
            if (what == SK_INDEX) {
                struct sk_magics m;
                (void)sk_magics_find(&m, buf, len);
                sink += (unsigned)m.n;
                sk_magics_free(&m);
            } else if (what != SK_WALK) {
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
    printf("%-48s %10.1f us/MiB  (%lu runs, %zu candidates%s)\n", label,
           t / (double)iters * 1e6 * ((double)SK_BENCH_SIZE / (double)len), iters, mg.n,
           mg.over ? ", over the cap" : "");
    sk_magics_free(&mg);
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
    sk_case("walk: 1 MiB random, av off", b, SK_BENCH_SIZE, secs, SK_WALK);
    sk_case("guard: 1 MiB random, top object", b, SK_BENCH_SIZE, secs, SK_GUARD);
    sk_case("guard: the same, with the index", b, SK_BENCH_SIZE, secs, SK_GUARD_INDEXED);
    sk_case("index: 1 MiB random (sk_magics_find)", b, SK_BENCH_SIZE, secs, SK_INDEX);
    static const unsigned char first[] = {0x1f, 'B', 0xfd, 0x28, 'h', 's', 0x89, '-', '7'};
    for (size_t i = 0; i < SK_BENCH_SIZE; i++)
        b[i] = first[i % sizeof(first)];
    sk_case("walk: 1 MiB of container first bytes", b, SK_BENCH_SIZE, secs, SK_WALK);
    sk_case("guard: 1 MiB of container first bytes", b, SK_BENCH_SIZE, secs, SK_GUARD);
    sk_case("index: 1 MiB of container first bytes", b, SK_BENCH_SIZE, secs, SK_INDEX);
    /* over the cap: "hsqs" every 4 bytes, each search the old way */
    for (size_t i = 0; i + 4 <= SK_BENCH_SIZE; i += 4)
        memcpy(b + i, "hsqs", 4);
    sk_case("walk: 1 MiB of \"hsqs\" (over the cap)", b, SK_BENCH_SIZE, secs, SK_WALK);
    free(b);
    return 0;
}

/* bench_ftype.c - cost of true file-type detection per 1 MiB body, as
 * virus_scan's pass does it: sk_ft_sniff over a whole object (text, a
 * program, an OLE2 document searched for its VBA stream: the worst case),
 * and the walk that types each member of a stored zip (16 x 64 KiB) with
 * the engine off. Prints microseconds per MiB (one core). Not a test.
 * Usage: bench_ftype [seconds-per-case]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "vs_internal.h"

#define SK_BENCH_SIZE (1u << 20)

static double sk_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sk_le(unsigned char **p, uint32_t v, int n)
{
    for (int i = 0; i < n; i++)
        *(*p)++ = (unsigned char)(v >> (8 * i));
}

/* A stored zip of N members of LEN bytes each (local headers only: the
 * walker reads those). Returns its size. */
static size_t sk_zip(unsigned char *out, int n, size_t len)
{
    unsigned char *p = out, *data = malloc(len);

    memset(data, 'z', len);
    for (int i = 0; i < n; i++) {
        char name[32];
        size_t nl = (size_t)snprintf(name, sizeof(name), "dir/member-%02d.txt", i);
        uint32_t crc = (uint32_t)crc32(0, data, (uInt)len);
        sk_le(&p, 0x04034b50, 4);
        sk_le(&p, 10, 2);
        sk_le(&p, 0, 2);
        sk_le(&p, 0, 2);
        sk_le(&p, 0, 4);
        sk_le(&p, crc, 4);
        sk_le(&p, (uint32_t)len, 4);
        sk_le(&p, (uint32_t)len, 4);
        sk_le(&p, (uint32_t)nl, 2);
        sk_le(&p, 0, 2);
        memcpy(p, name, nl);
        p += nl;
        memcpy(p, data, len);
        p += len;
    }
    free(data);
    return (size_t)(p - out);
}

static void sk_case(const char *label, const unsigned char *buf, size_t len, double secs, int walk)
{
    struct sk_vs_conf conf = {.mem_threshold = 1 << 20, .tmp_dir = "/tmp"};
    struct sk_vs_limits lim = {.max_files = 100000, .max_bytes = UINT64_MAX};
    volatile unsigned sink = 0;
    double t0 = sk_now(), t;
    unsigned long iters = 0;

    do {
        for (int i = 0; i < 64; i++) {
            if (walk) {
                struct sk_vs_ft ft = {.block = SK_FTT_EXECUTABLE};
                struct sk_vs_walk w = {.conf = &conf,
                                       .lim = &lim,
                                       .max_size = UINT64_MAX,
                                       .budget = UINT64_MAX,
                                       .ft = &ft,
                                       .rep = {.result = SK_VS_CLEAN}};
                sk_vs_walk_body(&w, buf, len, "application/zip", "a.zip");
                sink += (unsigned)ft.hit;
            } else {
                sink += (unsigned)sk_ft_sniff(buf, len, "a.bin");
            }
        }
        iters += 64;
        t = sk_now() - t0;
    } while (t < secs);
    printf("%-44s %10.3f us/MiB  (%lu runs)\n", label,
           t / (double)iters * 1e6 * ((double)SK_BENCH_SIZE / (double)len), iters);
    (void)sink;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 1.0;
    unsigned char *b = calloc(1, SK_BENCH_SIZE + 4096);

    memset(b, 'a', SK_BENCH_SIZE);
    sk_case("sniff: 1 MiB text", b, SK_BENCH_SIZE, secs, 0);
    memcpy(b, "MZ\x90\0", 4);
    sk_case("sniff: 1 MiB Windows program", b, SK_BENCH_SIZE, secs, 0);
    memset(b, 0, SK_BENCH_SIZE);
    memcpy(b, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8);
    b[0x1e] = 9;
    sk_case("sniff: 1 MiB OLE2 without macros (worst)", b, SK_BENCH_SIZE, secs, 0);
    size_t zl = sk_zip(b, 16, 64 * 1024);
    sk_case("walk: stored zip 16 x 64 KiB, av off", b, zl, secs, 1);
    free(b);
    return 0;
}

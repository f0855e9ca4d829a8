/* test_vs_budget.c - the per-policy av.max-scan-size budget inside the real
 * libclamav engine (modules/virus_scan/vs_engine.c): what an archive
 * inflates to counts, from memory and from a spill file; a member libclamav
 * reads in place from its archive (a view sharing the archive's descriptor)
 * is not counted twice; and a 64 MiB spill file is scanned without reading
 * it whole into memory (the cost of libclamav's file-inspection callback,
 * which the budget no longer uses). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sk_tzip.h"
#include "vs_internal.h"

static char tmpdir[64], dbdir[64];
static struct sk_vs_scanner sc;

/* A one-member zip, deflated: LEN zero bytes named NAME. */
static unsigned char *zip_of_zeros(const char *name, size_t len, size_t *out)
{
    struct sk_tzip z = {0};
    unsigned char *zeros = calloc(1, len);

    assert_non_null(zeros);
    sk_tzip_entry(&z, name, zeros, len, SK_TZIP_DEFLATE, 0);
    sk_tzip_central(&z);
    free(zeros);
    return sk_tzip_take(&z, out);
}

/* A cpio (newc) archive of one member of LEN zero bytes: libclamav scans
 * cpio members in place, as views of the archive. */
static unsigned char *cpio_of_zeros(size_t len, size_t *out)
{
    static const char *names[2] = {"zeros.bin", "TRAILER!!!"};
    unsigned char *b = calloc(1, len + 1024);
    size_t n = 0;

    assert_non_null(b);
    for (int i = 0; i < 2; i++) {
        size_t nl = strlen(names[i]) + 1, sz = i == 0 ? len : 0;
        n += (size_t)sprintf((char *)b + n,
                             "070701%08X%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X%08zX%08X", i + 1,
                             i == 0 ? 0100644 : 0, 0, 0, 1, 0, sz, 0, 0, 0, 0, nl, 0);
        memcpy(b + n, names[i], nl);
        n = (n + nl + 3) & ~(size_t)3;
        n = (n + sz + 3) & ~(size_t)3; /* zero data, already there */
    }
    *out = n;
    return b;
}

static int spill(const void *buf, size_t len)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/spill-XXXXXX", tmpdir);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    assert_int_equal(write(fd, buf, len), (ssize_t)len);
    return fd;
}

static void expect(const struct sk_vs_report *rep, enum sk_vs_result want, const char *what)
{
    if (rep->result != want)
        fail_msg("%s: result %d (want %d) name '%s' why '%s'", what, rep->result, want, rep->name,
                 rep->why);
    if (want == SK_VS_LIMIT && strcmp(rep->name, "Sekisho.Limits.Exceeded.MaxScanSize") != 0)
        fail_msg("%s: limit '%s', want MaxScanSize", what, rep->name);
}

/* 3 MiB of zeros in a 3 KB zip: the budget sees the 3 MiB, in memory and
 * from a spill file, and not below it. */
static void test_archive_contents_count(void **s)
{
    size_t zl;
    unsigned char *zip = zip_of_zeros("zeros.bin", 3u << 20, &zl);
    struct sk_vs_limits tight = {.max_files = 100, .max_bytes = 1u << 20};
    struct sk_vs_limits roomy = {.max_files = 100, .max_bytes = 8u << 20};
    struct sk_vs_report rep;
    (void)s;

    assert_true(zl < 64 * 1024);
    assert_int_equal(sc.scan_mem(sc.self, zip, zl, &tight, &rep), 0);
    expect(&rep, SK_VS_LIMIT, "zip in memory, budget 1 MiB");
    assert_int_equal(sc.scan_mem(sc.self, zip, zl, &roomy, &rep), 0);
    expect(&rep, SK_VS_CLEAN, "zip in memory, budget 8 MiB");
    int fd = spill(zip, zl);
    assert_int_equal(sc.scan_fd(sc.self, fd, &tight, &rep), 0);
    expect(&rep, SK_VS_LIMIT, "zip from a file, budget 1 MiB");
    assert_int_equal(sc.scan_fd(sc.self, fd, &roomy, &rep), 0);
    expect(&rep, SK_VS_CLEAN, "zip from a file, budget 8 MiB");
    close(fd);
    /* the scanned body itself counts: 3 KB over a 1 KB budget */
    struct sk_vs_limits tiny = {.max_files = 100, .max_bytes = 1024};
    assert_int_equal(sc.scan_mem(sc.self, zip, zl, &tiny, &rep), 0);
    expect(&rep, SK_VS_LIMIT, "zip larger than the budget itself");
    free(zip);
}

/* A 600 KB cpio whose member libclamav reads in place: 600 KB counted
 * once, so a 1 MiB budget holds (counted twice it would not). */
static void test_views_counted_once(void **s)
{
    size_t cl;
    unsigned char *cpio = cpio_of_zeros(600 * 1024, &cl);
    struct sk_vs_limits lim = {.max_files = 100, .max_bytes = 1u << 20};
    struct sk_vs_limits small = {.max_files = 100, .max_bytes = 500 * 1024};
    struct sk_vs_report rep;
    (void)s;

    int fd = spill(cpio, cl);
    assert_int_equal(sc.scan_fd(sc.self, fd, &lim, &rep), 0);
    expect(&rep, SK_VS_CLEAN, "cpio from a file, 600 KB in a 1 MiB budget");
    assert_int_equal(sc.scan_fd(sc.self, fd, &small, &rep), 0);
    expect(&rep, SK_VS_LIMIT, "cpio from a file, 600 KB in a 500 KB budget");
    close(fd);
    free(cpio);
}

/* VmRSS or VmHWM of this process, KiB. */
static long status_kib(const char *field)
{
    long kib = -1;
    char line[256];
    size_t n = strlen(field);
    FILE *f = fopen("/proc/self/status", "r");
    assert_non_null(f);
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, field, n) == 0 && line[n] == ':') {
            kib = strtol(line + n + 1, NULL, 10);
            break;
        }
    fclose(f);
    return kib;
}

/* A 64 MiB spill file is scanned in pieces: the process's peak resident
 * memory during the scan stays far below the file (a whole-object read for
 * libclamav's file-inspection callback raised it by the whole 64 MiB). */
static void test_large_file_not_loaded_whole(void **s)
{
    size_t len = 64u << 20;
    unsigned char *body = malloc(len);
    struct sk_vs_limits lim = {.max_files = 100, .max_bytes = 100u << 20};
    struct sk_vs_report rep;
    unsigned long x = 7;
    (void)s;

    assert_non_null(body);
    for (size_t i = 0; i < len; i += 8) { /* no zero runs, no structure */
        x = x * 6364136223846793005ul + 1442695040888963407ul;
        memcpy(body + i, &x, 8);
    }
    int fd = spill(body, len);
    free(body);
    /* reset the high-water mark (Linux >= 4.0) to what is resident now */
    FILE *cr = fopen("/proc/self/clear_refs", "w");
    assert_non_null(cr);
    assert_true(fputs("5", cr) >= 0);
    assert_int_equal(fclose(cr), 0);
    long before = status_kib("VmRSS");
    assert_true(before > 0);
    assert_int_equal(sc.scan_fd(sc.self, fd, &lim, &rep), 0);
    expect(&rep, SK_VS_CLEAN, "64 MiB of random bytes");
    long peak = status_kib("VmHWM");
    close(fd);
    if (peak - before > 24 * 1024)
        fail_msg("peak RSS grew by %ld KiB scanning a 64 MiB file", peak - before);
    print_message("peak RSS +%ld KiB scanning a 64 MiB file\n", peak - before);
}

static int group_setup(void **s)
{
    char *err = NULL;
    (void)s;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/sk-test-vsb-XXXXXX");
    snprintf(dbdir, sizeof(dbdir), "/tmp/sk-test-vsb-db-XXXXXX");
    if (!mkdtemp(tmpdir) || !mkdtemp(dbdir))
        return -1;
    struct sk_vs_engine_conf ec = {.db_dir = dbdir,
                                   .tmp_dir = tmpdir,
                                   .max_scansize = 400u << 20,
                                   .max_filesize = 100u << 20,
                                   .max_recursion = 16,
                                   .max_files = 10000,
                                   .max_scantime_ms = 120000,
                                   .test_signatures = 1};
    if (sk_vs_engine_create(&ec, &sc, &err) != 0) {
        fprintf(stderr, "engine: %s\n", err);
        free(err);
        return -1;
    }
    return 0;
}

static int group_teardown(void **s)
{
    (void)s;
    sc.destroy(sc.self);
    rmdir(dbdir);
    if (rmdir(tmpdir) != 0) {
        fprintf(stderr, "%s not empty after the scans\n", tmpdir);
        return -1;
    }
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_archive_contents_count),
        cmocka_unit_test(test_views_counted_once),
        cmocka_unit_test(test_large_file_not_loaded_whole),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/* test_vs_limits.c - virus_scan's limits and verdict mapping: a
 * decompression bomb and av.max-scan-size (also at its exact boundary and
 * for decoded bytes) are the limit verdict, every libclamav return code
 * maps to a verdict (only CL_CLEAN is clean), av.max-files exceeded for
 * real. Shared fixture: support/virus_scan_fixture.c. */
#include <clamav.h>

#include "virus_scan_fixture.h"

static void test_decompression_bomb_is_a_limit(void **s)
{
    size_t n = 64u << 20, elen;
    char *zeros = calloc(1, n);
    unsigned char *enc = sk_tz_deflate(zeros, n, 16 + 15, &elen);
    struct hdrs h = {{"Content-Encoding"}, {"gzip"}};
    struct sk_txn t;

    free(zeros);
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/bomb", &h, NULL);
    assert_int_equal(run(&t, enc, elen, 65536), SK_BLOCK);
    assert_string_equal(t.rule, "av-limit:decoded-size");
    assert_non_null(strstr(t.reason, "av.on-limit"));
    assert_int_equal(fk.scans, 0);
    assert_int_equal(t.page.status, 403);
    sk_txn_clear(&t);
    free(enc);

    /* our walk after the engine (the fake calls everything clean): a zip
     * whose deflate entry is 16 MiB of zeros, the same after a prefix
     * (libclamav's pre-scan check sees no zip there), and 40 entries of
     * 1 MiB of zeros: each is the guard's limit, within av.max-scan-size */
    {
        size_t zn = 16u << 20, zl, pl;
        unsigned char *zz = calloc(1, zn), *zip, *pre;
        struct sk_tzip z = {0};
        struct hdrs no = {{NULL}, {NULL}};
        sk_tzip_entry(&z, "zeros.bin", zz, zn, SK_TZIP_DEFLATE, 0);
        sk_tzip_central(&z);
        zip = sk_tzip_take(&z, &zl);
        pre = malloc(zl + 100);
        memset(pre, '#', 100);
        memcpy(pre + 100, zip, zl);
        pl = zl + 100;
        for (int i = 0; i < 40; i++)
            sk_tzip_entry(&z, "m.bin", zz, 1u << 20, SK_TZIP_DEFLATE, 0);
        sk_tzip_central(&z);
        size_t ml;
        unsigned char *many = sk_tzip_take(&z, &ml);
        const unsigned char *objs[] = {zip, pre, many};
        size_t lens[] = {zl, pl, ml};
        for (int i = 0; i < 3; i++) {
            txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/zipbomb", &no, NULL);
            assert_int_equal(run(&t, objs[i], lens[i], 65536), SK_BLOCK);
            if (strcmp(t.rule, "Sekisho.Limits.Exceeded.DecodeRatio") != 0 ||
                !strstr(t.reason, "decode-max-ratio"))
                fail_msg("zip bomb %d: rule '%s' reason '%s'", i, t.rule, t.reason);
            sk_txn_clear(&t);
        }
        free(zz), free(zip), free(pre), free(many);
    }

    /* a body the engine scans is given the guard's settings (it checks
     * gzip, bzip2 and xz files before libclamav inflates them) */
    struct hdrs none = {{NULL}, {NULL}};
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/plain", &none, NULL);
    assert_int_equal(run(&t, "plain", 5, 5), SK_ALLOW);
    assert_int_equal(fk.decode_ratio, 100);
    assert_int_equal(fk.decode_floor, 1 << 20);
    /* ... and its client, the key of the per-client heavy-scan cap */
    assert_string_equal(fk.client, "10.0.0.1");
    sk_txn_clear(&t);
    /* ... but not the ICAP peer's address: a proxy that sends no
     * X-Client-IP is all its users at once, never capped as one */
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/plain", &none, NULL);
    t.client_ip_sent = 0;
    assert_int_equal(run(&t, "plain", 5, 5), SK_ALLOW);
    assert_string_equal(fk.client, "(null)");
    sk_txn_clear(&t);

    /* corrupt gzip: the failure verdict, never a silent pass */
    h.values[0] = "gzip";
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/bad", &h, NULL);
    assert_int_equal(run(&t, "\x1f\x8b\x08\x00garbage-garbage-garbage", 27, 5), SK_BLOCK);
    assert_string_equal(t.rule, "av-error");
    sk_txn_clear(&t);

    /* an encoding we cannot decode */
    h.values[0] = "compress";
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/z", &h, NULL);
    assert_int_equal(run(&t, "abc", 3, 3), SK_BLOCK);
    assert_non_null(strstr(t.reason, "compress"));
    sk_txn_clear(&t);

    /* zstd is decoded; bytes that are no zstd are corrupt: the failure verdict */
    h.values[0] = "zstd";
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/zs", &h, NULL);
    assert_int_equal(run(&t, "abc-not-zstd", 12, 3), SK_BLOCK);
    assert_string_equal(t.rule, "av-error");
    sk_txn_clear(&t);
}

static void test_size_limit(void **s)
{
    struct hdrs h = {{"Content-Length", "Content-Type"}, {"209715200", "application/zip"}};
    const char *kv[] = {"av.max-scan-size", "1K", NULL};
    const char *kv2[] = {"av.max-scan-size", "1K", "av.on-limit", "allow", NULL};
    struct sk_snapshot *small = sk_t_policy_with(kv), *small_allow = sk_t_policy_with(kv2);
    char body[5000];
    struct sk_txn t;
    void *st;

    /* declared too large: decided at the headers, nothing buffered */
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/huge", &h, NULL);
    assert_int_equal(sk_vs_txn_begin(&t, &st), 0);
    assert_int_equal(sk_vs_on_headers(&t, st), SK_BLOCK);
    assert_string_equal(t.rule, "av-limit:max-scan-size");
    sk_vs_txn_end(&t, st);
    sk_txn_clear(&t);

    /* undeclared: found while streaming */
    memset(body, '.', sizeof(body));
    h.names[0] = "X-Nothing";
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/big", &h, small);
    assert_int_equal(run(&t, body, sizeof(body), 100), SK_BLOCK);
    assert_string_equal(t.rule, "av-limit:max-scan-size");
    assert_int_equal(fk.scans, 0);
    sk_txn_clear(&t);

    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/big", &h, small_allow);
    assert_int_equal(run(&t, body, sizeof(body), 100), SK_ALLOW);
    assert_non_null(strstr(t.reason, "passed unscanned"));
    sk_txn_clear(&t);
    sk_snapshot_unref(small);
    sk_snapshot_unref(small_allow);
}

/* ---- issue 16: verdict mapping of every libclamav code, av.max-files ----
 * Only CL_CLEAN may ever be clean; a code nobody listed must be an error
 * (av.on-error), never a pass. max-files is exceeded for real. */
static void test_o16_every_clamav_code(void **s)
{
    struct sk_vs_report rep;

    for (int rc = CL_CLEAN; rc <= CL_ELAST_ERROR + 5; rc++) {
        enum sk_vs_result want =
            rc == CL_CLEAN   ? SK_VS_CLEAN
            : rc == CL_VIRUS ? SK_VS_VIRUS
            : (rc == CL_ETIMEOUT || rc == CL_EMAXREC || rc == CL_EMAXSIZE || rc == CL_EMAXFILES)
                ? SK_VS_LIMIT
                : SK_VS_ERROR;
        sk_vs_test_classify(rc, "Some.Virus", &rep);
        if (rep.result != want)
            fail_msg("cl_error_t %d (%s): result %d, want %d", rc, cl_strerror(rc), rep.result,
                     want);
        if (want == SK_VS_ERROR && rep.why[0] == '\0')
            fail_msg("cl_error_t %d: an error without a reason", rc);
    }
    sk_vs_test_classify(CL_VIRUS, "Heuristics.Limits.Exceeded.MaxFileSize", &rep);
    assert_int_equal(rep.result, SK_VS_LIMIT);
    sk_vs_test_classify(CL_VIRUS, "Heuristics.Encrypted.Zip", &rep);
    assert_int_equal(rep.result, SK_VS_ENCRYPTED);
    sk_vs_test_classify(CL_VIRUS, "Win.Test.EICAR_HDB-1", &rep);
    assert_int_equal(rep.result, SK_VS_VIRUS);
    assert_string_equal(rep.name, "Win.Test.EICAR_HDB-1");
}

/* A stored zip with N members "m<i>.txt". Caller frees. */
static unsigned char *o16_zip_n(int n, size_t *zlen)
{
    struct sk_tzip z = {0};

    for (int i = 0; i < n; i++) {
        char name[16], data[32];
        int dl = snprintf(data, sizeof(data), "clean member %d\n", i);
        snprintf(name, sizeof(name), "m%d.txt", i);
        sk_tzip_entry(&z, name, data, (size_t)dl, 0, 0);
    }
    sk_tzip_central(&z);
    return sk_tzip_take(&z, zlen);
}

static void test_o16_max_files(void **s)
{
    char db[] = "/tmp/sk-test-vs-o16-XXXXXX";
    struct sk_vs_scanner sc;
    struct sk_vs_report rep;
    char *err = NULL;
    size_t zlen;

    assert_non_null(mkdtemp(db));
    struct sk_vs_engine_conf ec = {.db_dir = db,
                                   .tmp_dir = tmpdir,
                                   .reload_interval = 0,
                                   .max_scansize = 10 << 20,
                                   .max_filesize = 10 << 20,
                                   .max_recursion = 10,
                                   .max_files = 100,
                                   .max_scantime_ms = 60000,
                                   .test_signatures = 1};
    if (sk_vs_engine_create(&ec, &sc, &err) != 0)
        fail_msg("engine: %s", err);
    unsigned char *z = o16_zip_n(5, &zlen);
    for (unsigned max = 1; max <= 7; max++) {
        struct sk_vs_limits lim = {.max_files = max};
        assert_int_equal(sc.scan_mem(sc.self, z, zlen, &lim, &rep), 0);
        /* five members: limits 1-4 are exceeded, 5 and more are not */
        enum sk_vs_result want = max < 5 ? SK_VS_LIMIT : SK_VS_CLEAN;
        if (rep.result != want)
            fail_msg("5 members, av.max-files %u: result %d name '%s', want %d", max, rep.result,
                     rep.name, want);
        if (want == SK_VS_LIMIT)
            assert_non_null(strstr(rep.name, "MaxFiles"));
    }
    free(z);
    sc.destroy(sc.self);
    rmdir(db);
}

/* ---- issue 16: av.max-scan-size at its exact boundary ----
 * The old case streamed 5000 bytes against 1K, so a limit four times too
 * large still passed it. At the limit: scanned; one byte over: a limit. */
static void test_o16_size_boundary(void **s)
{
    struct hdrs h = {{"X-Nothing", "Content-Type"}, {"x", "application/octet-stream"}};
    const char *kv[] = {"av.max-scan-size", "1K", NULL};
    struct sk_snapshot *small = sk_t_policy_with(kv);
    char body[1025];
    struct sk_txn t;

    memset(body, '.', sizeof(body));
    for (size_t chunk = 1; chunk <= 2048; chunk *= 8) {
        int before = fk.scans;
        txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/at-limit", &h, small);
        if (run(&t, body, 1024, chunk) != SK_ALLOW)
            fail_msg("1024 bytes (= av.max-scan-size 1K) in %zu-byte chunks: not allowed", chunk);
        assert_int_equal(fk.scans, before + 1); /* really scanned */
        sk_txn_clear(&t);
        txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/over-limit", &h, small);
        if (run(&t, body, 1025, chunk) != SK_BLOCK)
            fail_msg("1025 bytes (> av.max-scan-size 1K) in %zu-byte chunks: not a limit", chunk);
        assert_string_equal(t.rule, "av-limit:max-scan-size");
        sk_txn_clear(&t);
    }
    /* declared: Content-Length 1025 is refused at the headers, 1024 is not */
    struct hdrs d = {{"Content-Length", "Content-Type"}, {"1025", "application/octet-stream"}};
    void *st;
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/declared", &d, small);
    assert_int_equal(sk_vs_txn_begin(&t, &st), 0);
    assert_int_equal(sk_vs_on_headers(&t, st), SK_BLOCK);
    sk_vs_txn_end(&t, st);
    sk_txn_clear(&t);
    d.values[0] = "1024";
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/declared", &d, small);
    assert_int_equal(sk_vs_txn_begin(&t, &st), 0);
    assert_int_not_equal(sk_vs_on_headers(&t, st), SK_BLOCK);
    sk_vs_txn_end(&t, st);
    sk_txn_clear(&t);
    sk_snapshot_unref(small);
}

/* issue 16: a gzip body that is not a bomb (ratio ~1) but decodes to more
 * than av.max-scan-size is stopped by the decoder itself (its own rule), not
 * inflated further and caught later by the store size check. */
static void test_o16_decoded_size(void **s)
{
    const char *kv[] = {"av.max-scan-size", "1K", NULL};
    struct sk_snapshot *small = sk_t_policy_with(kv);
    struct hdrs h = {{"Content-Encoding", "Content-Type"}, {"gzip", "application/octet-stream"}};
    unsigned char raw[5000];
    unsigned long x = 1;
    size_t elen;
    struct sk_txn t;

    for (size_t i = 0; i < sizeof(raw); i++) {
        x = x * 6364136223846793005ul + 1442695040888963407ul;
        raw[i] = (unsigned char)(x >> 56);
    }
    unsigned char *enc = sk_tz_deflate(raw, sizeof(raw), 16 + 15, &elen);
    assert_true(elen > 4000); /* incompressible: no ratio alarm */
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/gz-big", &h, small);
    assert_int_equal(run(&t, enc, elen, 512), SK_BLOCK);
    assert_string_equal(t.rule, "av-limit:decoded-size");
    sk_txn_clear(&t);
    /* 900 bytes (encoded and decoded within 1K) are fine */
    free(enc);
    enc = sk_tz_deflate(raw, 900, 16 + 15, &elen);
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/gz-ok", &h, small);
    assert_int_equal(run(&t, enc, elen, 512), SK_ALLOW);
    sk_txn_clear(&t);
    free(enc);
    sk_snapshot_unref(small);
}

/* sk_vs_guard (vs_guard.c): which libclamav types it checks, from memory
 * or a file, ratio against the scan's remaining av.max-scan-size. */
static void test_guard(void **s)
{
    size_t zn = 4u << 20, bl, tl = 1u << 20, tn;
    unsigned char *zeros = calloc(1, zn), *bomb = sk_tz_bzip2(zeros, zn, &bl);
    unsigned char *gz = sk_tz_deflate(zeros, zn, 16 + 15, &tn);
    const struct sk_vs_limits lim = {.decode_ratio = 100, .decode_floor = 1 << 20};
    char why[160] = "";

    assert_int_equal(sk_vs_guard_coding("CL_TYPE_GZ"), SK_CODING_GZIP);
    assert_int_equal(sk_vs_guard_coding("CL_TYPE_BZ"), SK_CODING_BZIP2);
    assert_int_equal(sk_vs_guard_coding("CL_TYPE_XZ"), SK_CODING_XZ);
    assert_int_equal(sk_vs_guard_coding("CL_TYPE_ZIP"), 0);
    assert_int_equal(sk_vs_guard_coding(NULL), 0);
    /* over the ratio; the reason says which file and which setting */
    assert_int_equal(sk_vs_guard("CL_TYPE_BZ", bomb, bl, -1, 100u << 20, &lim, why, sizeof(why)),
                     SK_VS_GUARD_RATIO);
    assert_non_null(strstr(why, "a bzip2 file"));
    assert_non_null(strstr(why, "decode-max-ratio 100:1"));
    assert_int_equal(sk_vs_guard("CL_TYPE_GZ", gz, tn, -1, 100u << 20, &lim, why, sizeof(why)),
                     SK_VS_GUARD_RATIO);
    /* the same bytes as another type are not decoded here */
    assert_int_equal(sk_vs_guard("CL_TYPE_ZIP", bomb, bl, -1, 100u << 20, &lim, why, sizeof(why)),
                     SK_VS_GUARD_OK);
    /* within the ratio but over what is left of the budget: the size */
    const struct sk_vs_limits off = {0};
    assert_int_equal(sk_vs_guard("CL_TYPE_BZ", bomb, bl, -1, zn - 1, &off, why, sizeof(why)),
                     SK_VS_GUARD_SIZE);
    assert_non_null(strstr(why, "av.max-scan-size"));
    assert_int_equal(sk_vs_guard("CL_TYPE_BZ", bomb, bl, -1, zn, &off, why, sizeof(why)),
                     SK_VS_GUARD_OK);
    /* a file libclamav extracted: read through its descriptor */
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(fwrite(bomb, 1, bl, f), bl);
    fflush(f);
    assert_int_equal(
        sk_vs_guard("CL_TYPE_BZ", NULL, 0, fileno(f), 100u << 20, &lim, why, sizeof(why)),
        SK_VS_GUARD_RATIO);
    fclose(f);
    /* compressible text over the floor passes */
    unsigned char *text = malloc(tl), *bt;
    for (size_t i = 0; i < tl; i++)
        text[i] = (unsigned char)('a' + (i * 2654435761u >> 13) % 26);
    bt = sk_tz_bzip2(text, tl, &tn);
    assert_int_equal(sk_vs_guard("CL_TYPE_BZ", bt, tn, -1, 100u << 20, &lim, why, sizeof(why)),
                     SK_VS_GUARD_OK);
    free(zeros), free(bomb), free(gz), free(text), free(bt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_decompression_bomb_is_a_limit, setup),
        cmocka_unit_test_setup(test_size_limit, setup),
        cmocka_unit_test(test_o16_every_clamav_code), /* issue 16 */
        cmocka_unit_test(test_guard),
        cmocka_unit_test(test_o16_max_files),
        cmocka_unit_test_setup(test_o16_size_boundary, setup),
        cmocka_unit_test_setup(test_o16_decoded_size, setup),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

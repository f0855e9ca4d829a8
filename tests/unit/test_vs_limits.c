/* test_vs_limits.c - virus_scan's limits and verdict mapping: a
 * decompression bomb and av.max-scan-size (also at its exact boundary and
 * for decoded bytes) are the limit verdict, every libclamav return code
 * maps to a verdict (only CL_CLEAN is clean), av.max-files exceeded for
 * real; the guard's archives by their headers (ARJ, cab, LHA), formats
 * nobody decodes and 7z archives after a prefix. Shared fixture:
 * support/virus_scan_fixture.c. */
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

/* ---- red team 8c: archives by their headers, formats nobody decodes, 7z
 * archives after a prefix (sk_vs_guard_headers, sk_vs_guard_7z). Samples:
 * 920 bytes of text by `arj a -m1`, `gcab -cz` and `jlha a`. */
static const unsigned char sk_t_arj[231] = {
    0x60, 0xea, 0x29, 0x00, 0x22, 0x0b, 0x01, 0x02, 0x10, 0x00, 0x02, 0xe0, 0x75, 0xa5, 0x11, 0x6b,
    0x75, 0xa5, 0x11, 0x6b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x61, 0x2e, 0x61, 0x72, 0x6a, 0x00, 0x00, 0xbc, 0x81, 0xae,
    0xae, 0x00, 0x00, 0x60, 0xea, 0x35, 0x00, 0x2e, 0x0b, 0x01, 0x02, 0x10, 0x01, 0x00, 0x75, 0x75,
    0xa5, 0x11, 0x6b, 0x71, 0x00, 0x00, 0x00, 0x98, 0x03, 0x00, 0x00, 0x83, 0x75, 0x01, 0x16, 0x00,
    0x00, 0xa4, 0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x75, 0xa5, 0x11, 0x6b, 0x75, 0xa5, 0x11,
    0x6b, 0x00, 0x00, 0x00, 0x00, 0x61, 0x2e, 0x74, 0x78, 0x74, 0x00, 0x00, 0x66, 0xe5, 0xe7, 0xa6,
    0x00, 0x00, 0x00, 0x66, 0x53, 0x71, 0xb4, 0x34, 0xa2, 0x95, 0xde, 0x00, 0xeb, 0x9b, 0xff, 0xf8,
    0xa0, 0x70, 0x4c, 0xa1, 0x88, 0xb2, 0x64, 0x09, 0x03, 0x8f, 0x65, 0x56, 0x8b, 0xe4, 0x80, 0x00,
    0x20, 0x1b, 0xfc, 0xda, 0xd4, 0xad, 0x6b, 0x4d, 0xf5, 0xa7, 0x5e, 0xed, 0x4e, 0x74, 0xfb, 0xc5,
    0xed, 0xe3, 0xb3, 0x20, 0xcc, 0x34, 0x0d, 0x80, 0x6f, 0x21, 0xbd, 0x06, 0xc4, 0x36, 0x41, 0xb3,
    0xfe, 0x64, 0x72, 0xa3, 0x95, 0x1c, 0xa8, 0xe5, 0x47, 0x2a, 0x39, 0x51, 0xca, 0x8e, 0x54, 0x72,
    0xa3, 0x95, 0x9c, 0xac, 0xe5, 0x67, 0x2b, 0x39, 0x59, 0xca, 0xce, 0x56, 0x72, 0xb3, 0x95, 0x9c,
    0xac, 0xe5, 0x87, 0x2c, 0x39, 0x61, 0xcb, 0x0e, 0x58, 0x72, 0xc3, 0x96, 0x1c, 0xb0, 0xe5, 0x87,
    0x2c, 0xfd, 0xca, 0x60, 0xea, 0x00, 0x00,
};
static const unsigned char sk_t_cab[195] = {
    0x4d, 0x53, 0x43, 0x46, 0x00, 0x00, 0x00, 0x00, 0xc3, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x01, 0x01, 0x00, 0x01, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x42, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x98,
    0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x83, 0x5d, 0xe0, 0x8a, 0x20, 0x00,
    0x61, 0x2e, 0x74, 0x78, 0x74, 0x00, 0x32, 0xd1, 0x59, 0x5d, 0x79, 0x00, 0x98, 0x03, 0x43,
    0x4b, 0x6d, 0xcf, 0xb1, 0x0d, 0x83, 0x30, 0x00, 0x44, 0xd1, 0x3e, 0x53, 0x78, 0x04, 0xdf,
    0x5d, 0x02, 0x61, 0x9c, 0x14, 0x8e, 0x40, 0x72, 0x00, 0x89, 0xec, 0x2f, 0x0a, 0x3a, 0xf4,
    0xdb, 0xd7, 0xbd, 0xbe, 0xac, 0xad, 0xd4, 0x5a, 0xcb, 0xf6, 0x2d, 0xff, 0xb9, 0x95, 0xe3,
    0xf3, 0xdb, 0x7b, 0x7b, 0xf4, 0x8b, 0xc5, 0x6c, 0xe6, 0x30, 0x3f, 0x99, 0x5f, 0xcc, 0x03,
    0xf3, 0xc8, 0xfc, 0x66, 0x9e, 0x90, 0xc5, 0x4b, 0xf1, 0x52, 0xbc, 0x14, 0x2f, 0xc5, 0x4b,
    0xf1, 0x52, 0xbc, 0x14, 0x2f, 0xc5, 0x4b, 0xf1, 0xd2, 0xbc, 0x34, 0x2f, 0xcd, 0x4b, 0xf3,
    0xd2, 0xbc, 0x34, 0x2f, 0xcd, 0x4b, 0xf3, 0xd2, 0xbc, 0x34, 0x2f, 0xc3, 0xcb, 0xf0, 0x32,
    0xbc, 0x0c, 0x2f, 0xc3, 0xcb, 0xf0, 0x32, 0xbc, 0x0c, 0x2f, 0xc3, 0xcb, 0xdc, 0x97, 0x27,
};
static const unsigned char sk_t_lha[153] = {
    0x27, 0x00, 0x2d, 0x6c, 0x68, 0x35, 0x2d, 0x71, 0x00, 0x00, 0x00, 0x98, 0x03, 0x00, 0x00, 0x75,
    0xa5, 0x11, 0x6b, 0x20, 0x02, 0x36, 0x28, 0x00, 0x05, 0x00, 0x00, 0x38, 0xac, 0x08, 0x00, 0x01,
    0x61, 0x2e, 0x74, 0x78, 0x74, 0x00, 0x00, 0x00, 0x66, 0x53, 0x6d, 0x8c, 0x44, 0xe2, 0x8d, 0xc8,
    0x01, 0xf7, 0x9f, 0x6d, 0x00, 0x08, 0x13, 0x18, 0x78, 0x81, 0x20, 0x0c, 0x96, 0xd0, 0xf7, 0x9a,
    0xe6, 0x3b, 0xa4, 0x00, 0x01, 0x00, 0xf3, 0xc7, 0x76, 0xa5, 0x6b, 0x5a, 0x79, 0xb5, 0x3e, 0x6f,
    0x6a, 0x7b, 0xd7, 0xaf, 0x5c, 0xda, 0xef, 0xa6, 0x41, 0x98, 0x68, 0x1a, 0xf0, 0xd8, 0x06, 0xc4,
    0x36, 0x41, 0xb3, 0x0d, 0xa7, 0xf3, 0x23, 0x95, 0x1c, 0xa8, 0xe5, 0x47, 0x2a, 0x39, 0x51, 0xca,
    0x8e, 0x54, 0x72, 0xa3, 0x95, 0x1c, 0xac, 0xe5, 0x67, 0x2b, 0x39, 0x59, 0xca, 0xce, 0x56, 0x72,
    0xb3, 0x95, 0x9c, 0xac, 0xe5, 0x67, 0x2c, 0x39, 0x61, 0xcb, 0x0e, 0x58, 0x72, 0xc3, 0x96, 0x1c,
    0xb0, 0xe5, 0x87, 0x2c, 0x39, 0x67, 0xee, 0x50, 0x00,
};

static void sk_t_put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v, p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16), p[3] = (unsigned char)(v >> 24);
}

static enum sk_vs_guard sk_t_guard(const char *type, const unsigned char *p, size_t n, char *why)
{
    const struct sk_vs_limits lim = {.decode_ratio = 100, .decode_floor = 1 << 20};
    return sk_vs_guard(type, p, n, -1, 100u << 20, &lim, why, 200);
}

static void test_guard_headers(void **s)
{
    static const struct {
        const char *type, *name;
        const unsigned char *p;
        size_t n, orig; /* where the (first) member's declared size is */
    } arcs[] = {{"CL_TYPE_ARJ", "an ARJ archive", sk_t_arj, sizeof(sk_t_arj), 51 + 4 + 16},
                {"CL_TYPE_MSCAB", "a cab archive", sk_t_cab, sizeof(sk_t_cab), 44},
                {"CL_TYPE_LHA_LZH", "an LHA archive", sk_t_lha, sizeof(sk_t_lha), 11}};
    unsigned char b[512];
    char why[200];

    (void)s;
    for (size_t i = 0; i < sizeof(arcs) / sizeof(arcs[0]); i++) {
        memcpy(b, arcs[i].p, arcs[i].n);
        /* as written: within the bound; every cut: no read past the end */
        assert_int_equal(sk_t_guard(arcs[i].type, b, arcs[i].n, why), SK_VS_GUARD_OK);
        for (size_t k = 0; k < arcs[i].n; k++)
            assert_int_not_equal(sk_t_guard(arcs[i].type, b, k, why), SK_VS_GUARD_RATIO);
        /* a member that declares 2 GiB in ~200 bytes: a bomb, from its
         * header alone; the same bytes as another type are not read so */
        sk_t_put32(b + arcs[i].orig, 0x7fffffff);
        assert_int_equal(sk_t_guard(arcs[i].type, b, arcs[i].n, why), SK_VS_GUARD_RATIO);
        assert_non_null(strstr(why, arcs[i].name));
        assert_non_null(strstr(why, "decode-max-ratio"));
        assert_int_equal(sk_t_guard("CL_TYPE_BINARY_DATA", b, arcs[i].n, why), SK_VS_GUARD_OK);
        /* through a descriptor (a member libclamav extracted) */
        FILE *f = tmpfile();
        assert_non_null(f);
        assert_int_equal(fwrite(b, 1, arcs[i].n, f), arcs[i].n);
        fflush(f);
        const struct sk_vs_limits lim = {.decode_ratio = 100, .decode_floor = 1 << 20};
        assert_int_equal(sk_vs_guard(arcs[i].type, NULL, 0, fileno(f), 100u << 20, &lim, why, 200),
                         SK_VS_GUARD_RATIO);
        fclose(f);
    }
    /* ARJ: a garbled member is encrypted, a method past 4 unread */
    memcpy(b, sk_t_arj, sizeof(sk_t_arj));
    b[51 + 4 + 4] |= 0x01;
    assert_int_equal(sk_t_guard("CL_TYPE_ARJ", b, sizeof(sk_t_arj), why), SK_VS_GUARD_ENCRYPTED);
    assert_non_null(strstr(why, "garbled"));
    memcpy(b, sk_t_arj, sizeof(sk_t_arj));
    b[51 + 4 + 5] = 5;
    assert_int_equal(sk_t_guard("CL_TYPE_ARJ", b, sizeof(sk_t_arj), why), SK_VS_GUARD_UNREAD);
    /* lzop; squashfs 4.0 of gzip blocks (xz ones are read: OK), a block
     * size that disagrees with its log is no squashfs */
    static const unsigned char lzop[] = {
        0x89, 0x4c, 0x5a, 0x4f, 0x00, 0x0d, 0x0a, 0x1a, 0x0a, 0x10, 0x40, 0x20, 0xa0, 0x09, 0x40,
        0x01, 0x05, 0x03, 0x00, 0x00, 0x09, 0x00, 0x00, 0x81, 0xa4, 0x65, 0x53, 0xf1, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x06, 0x6c, 0x7a, 0x2e, 0x74, 0x78, 0x74, 0x59, 0xbb, 0x06, 0xb4, 0x00,
        0x00, 0x00, 0x06, 0x00, 0x00, 0x00, 0x06, 0x08, 0x4b, 0x02, 0x1f, 0x68, 0x65, 0x6c, 0x6c};
    memset(b, 0, 64);
    memcpy(b, lzop, sizeof(lzop)); /* lzop 1.04's header of "hello\n" */
    assert_int_equal(sk_t_guard("CL_TYPE_BINARY_DATA", b, 64, why), SK_VS_GUARD_UNREAD);
    assert_non_null(strstr(why, "an lzop file"));
    /* ... its checksum one bit off, or the magic alone (every file type
     * database holds it: shared-mime-info's was blocked): no lzop */
    b[43] ^= 1;
    assert_int_equal(sk_t_guard("CL_TYPE_BINARY_DATA", b, 64, why), SK_VS_GUARD_OK);
    memset(b + 9, 0, 55);
    assert_int_equal(sk_t_guard("CL_TYPE_BINARY_DATA", b, 64, why), SK_VS_GUARD_OK);
    memset(b, 0, 64);
    memcpy(b, "hsqs", 4);
    sk_t_put32(b + 12, 1u << 17), b[20] = 1, b[22] = 17, b[28] = 4;
    assert_int_equal(sk_t_guard("CL_TYPE_BINARY_DATA", b, 64, why), SK_VS_GUARD_UNREAD);
    assert_non_null(strstr(why, "squashfs image (gzip)"));
    b[20] = 4;
    assert_int_equal(sk_t_guard("CL_TYPE_BINARY_DATA", b, 64, why), SK_VS_GUARD_OK);
    b[20] = 3, b[22] = 16;
    assert_int_equal(sk_t_guard("CL_TYPE_BINARY_DATA", b, 64, why), SK_VS_GUARD_OK);
}

/* 7z archives after a prefix, in an object of any type (libclamav's
 * 7zSFX signature reads them in place): a bomb, a Deflate folder, decoys */
static void test_guard_7z_after_prefix(void **s)
{
    size_t zn = 8u << 20, an, tl = 4096;
    unsigned char *zero = calloc(1, zn), *text = malloc(tl), *a, *o;
    char why[200];

    (void)s;
    for (size_t i = 0; i < tl; i++)
        text[i] = (unsigned char)('a' + i % 26);
    a = sk_tz_7z(zero, zn, 1, 0, 0, &an);
    o = malloc(1024 + an);
    memset(o, 'x', 1024);
    memcpy(o + 1024, a, an);
    assert_int_equal(sk_t_guard("CL_TYPE_ELF", o, 1024 + an, why), SK_VS_GUARD_RATIO);
    assert_non_null(strstr(why, "a 7z archive"));
    free(a), free(o);
    a = sk_tz_7z(text, tl, 1, 0, 0, &an);
    o = malloc(1024 + an);
    memset(o, 'x', 1024);
    memcpy(o + 1024, a, an);
    assert_int_equal(sk_t_guard("CL_TYPE_ELF", o, 1024 + an, why), SK_VS_GUARD_OK);
    sk_tz_7z_coder(o + 1024, an, "\4\1\x08", 3); /* Deflate */
    assert_int_equal(sk_t_guard("CL_TYPE_ELF", o, 1024 + an, why), SK_VS_GUARD_UNREAD);
    assert_non_null(strstr(why, "does not decode"));
    /* 63 signatures that are no archive before it: still read (64 in
     * all); 64 before it: unread */
    for (int decoys = 63; decoys <= 64; decoys++) {
        for (int d = 0; d < decoys; d++)
            memcpy(o + d * 8, "7z\xbc\xaf\x27\x1c\0\0", 8);
        memcpy(o + 1024, a, an);
        assert_int_equal(sk_t_guard("CL_TYPE_ELF", o, 1024 + an, why),
                         decoys == 63 ? SK_VS_GUARD_OK : SK_VS_GUARD_UNREAD);
    }
    free(a), free(o), free(zero), free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_decompression_bomb_is_a_limit, setup),
        cmocka_unit_test_setup(test_size_limit, setup),
        cmocka_unit_test(test_o16_every_clamav_code), /* issue 16 */
        cmocka_unit_test(test_guard),
        cmocka_unit_test(test_guard_headers),         /* red team 8c */
        cmocka_unit_test(test_guard_7z_after_prefix), /* red team 8c */
        cmocka_unit_test(test_o16_max_files),
        cmocka_unit_test_setup(test_o16_size_boundary, setup),
        cmocka_unit_test_setup(test_o16_decoded_size, setup),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/* test_vs_engine.c - virus_scan with the real libclamav engine and the
 * project's test signatures (tests/sigs): plain, zip, gzip file, spill
 * files, reload. Shared fixture: support/virus_scan_fixture.c. */
#include "virus_scan_fixture.h"

/* ---- tests: the real libclamav engine -------------------------------- */

/* TL bytes of sshd-like log lines from SEED: compresses ~10x, as real logs. */
static void log_lines(unsigned char *text, size_t tl, unsigned seed)
{
    unsigned x = seed;

    for (size_t at = 0; at < tl;) {
        char line[96];
        x = x * 1103515245u + 12345u;
        int k = snprintf(line, sizeof(line), "07:%02u:%02u host%u sshd[%u]: session %s u%u\n",
                         x % 60, (x >> 8) % 60, (x >> 4) % 8, (x >> 12) % 9000,
                         (x & 1) ? "opened" : "closed", (x >> 16) % 50);
        for (int j = 0; j < k && at < tl; j++)
            text[at++] = (unsigned char)line[j];
    }
}

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
    char p[256];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* A newc cpio archive of one member NAME (libclamav reads its members in
 * place: views into the archive, no file of their own). */
static unsigned char *cpio_one(const char *name, const void *data, size_t len, size_t *olen)
{
    struct sk_tzip z = {0};
    const char *names[2] = {name, "TRAILER!!!"};
    static const unsigned char pad[4];

    for (int i = 0; i < 2; i++) {
        char h[200];
        size_t nl = strlen(names[i]) + 1, dl = i ? 0 : len;
        snprintf(h, sizeof(h), "070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x", i + 1,
                 i ? 0 : 0100644, 0, 0, 1, 0, (unsigned)dl, 0, 0, 0, 0, (unsigned)nl, 0);
        sk_tzip_put(&z, h, 110);
        sk_tzip_put(&z, names[i], nl);
        sk_tzip_put(&z, pad, (4 - (110 + nl) % 4) % 4);
        sk_tzip_put(&z, data, dl);
        sk_tzip_put(&z, pad, (4 - dl % 4) % 4);
    }
    return sk_tzip_take(&z, olen);
}

static void test_real_engine(void **s)
{
    char db[] = "/tmp/sk-test-vs-sigs-XXXXXX";
    struct sk_vs_scanner sc;
    struct sk_vs_report rep;
    struct sk_vs_limits lim = {.max_files = 100};
    char *err = NULL;
    size_t zlen, glen;

    assert_non_null(mkdtemp(db));
    struct sk_vs_engine_conf ec = {.db_dir = db,
                                   .tmp_dir = tmpdir,
                                   .reload_interval = 1,
                                   .max_scansize = 10 << 20,
                                   .max_filesize = 10 << 20,
                                   .max_recursion = 10,
                                   .max_files = 100,
                                   .max_scantime_ms = 60000};
    /* no signatures and no test_signatures: refused, naming DIR and freshclam */
    assert_int_equal(sk_vs_engine_create(&ec, &sc, &err), -1);
    assert_non_null(err);
    assert_non_null(strstr(err, db));
    assert_non_null(strstr(err, "freshclam"));
    assert_null(strchr(err, '\n'));
    free(err);
    err = NULL;
    ec.test_signatures = 1;
    if (sk_vs_engine_create(&ec, &sc, &err) != 0)
        fail_msg("engine: %s", err);
    const char *v1 = sc.version(sc.self);
    assert_non_null(strstr(v1, "testsigs")); /* empty db dir: the built-in test set */

    unsigned char *zip = sk_tzip_one("eicar.com", eicar, 68, 0, &zlen);
    unsigned char *gz = sk_tz_deflate(eicar, 68, 16 + 15, &glen);
    static const char marker[] = "data SEKISHO-AV-TEST-MARKER-7f3c data";
    static const struct {
        const char *what;
        int which; /* 0 eicar, 1 zip, 2 gz, 3 clean, 4 marker */
        enum sk_vs_result want;
        const char *name;
    } cases[] = {
        {"plain", 0, SK_VS_VIRUS, "Eicar-Test-Signature"},
        {"zip", 1, SK_VS_VIRUS, "Eicar-Test-Signature"},
        {"gzip file", 2, SK_VS_VIRUS, "Eicar-Test-Signature"},
        {"clean", 3, SK_VS_CLEAN, ""},
        {"project marker", 4, SK_VS_VIRUS, "Sekisho.Test.Marker"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const void *b = cases[i].which == 0   ? (const void *)eicar
                        : cases[i].which == 1 ? (const void *)zip
                        : cases[i].which == 2 ? (const void *)gz
                        : cases[i].which == 3 ? (const void *)"just some text\n"
                                              : (const void *)marker;
        size_t n = cases[i].which == 0   ? 68
                   : cases[i].which == 1 ? zlen
                   : cases[i].which == 2 ? glen
                   : cases[i].which == 3 ? 15
                                         : sizeof(marker) - 1;
        assert_int_equal(sc.scan_mem(sc.self, b, n, &lim, &rep), 0);
        if (rep.result != cases[i].want ||
            strncmp(rep.name, cases[i].name, strlen(cases[i].name)) != 0)
            fail_msg("%s: result %d name '%s'", cases[i].what, rep.result, rep.name);
    }
    /* per-policy max-files: a zip is two objects (the archive, the member) */
    lim.max_files = 0;
    {
        struct sk_vs_limits one = {.max_files = 1};
        unsigned char *z2 = sk_tzip_one("clean.txt", "clean", 5, 0, &zlen);
        assert_int_equal(sc.scan_mem(sc.self, z2, zlen, &one, &rep), 0);
        assert_int_equal(rep.result, SK_VS_CLEAN);
        free(z2);
    }

    /* heuristic alerts: a member over the engine's max-filesize is a
     * limit, an encrypted member is "encrypted" - never clean */
    {
        size_t big = (11u << 20);
        char *zeros = calloc(1, big);
        unsigned char *z3 = sk_tzip_one("big.bin", zeros, big, 0, &zlen);
        assert_int_equal(sc.scan_mem(sc.self, z3, zlen, &lim, &rep), 0);
        if (rep.result != SK_VS_LIMIT)
            fail_msg("oversized member: result %d name '%s'", rep.result, rep.name);
        free(z3);
        free(zeros);
        z3 = sk_tzip_one("secret.txt", "0123456789abcdef", 16, 1, &zlen);
        assert_int_equal(sc.scan_mem(sc.self, z3, zlen, &lim, &rep), 0);
        if (rep.result != SK_VS_ENCRYPTED)
            fail_msg("encrypted member: result %d name '%s'", rep.result, rep.name);
        free(z3);
    }

    /* what libclamav extracts that only the walk reads further is copied
     * for it: zstd files anywhere (two members of a tar), by the SHA-256 of
     * their bytes; a tar's plain members are not (the walk reads a tar as
     * text), nor anything without a collector, nor a top-level .zst */
    {
        static const char text[] = "some text compressed with zstd, twice: some text";
        size_t z1len, z2len, tlen;
        unsigned char *z1 = sk_tz_zstd(text, sizeof(text) - 1, &z1len);
        unsigned char *z2 = sk_tz_zstd("other", 5, &z2len);
        unsigned char id[32];
        struct sk_tzip t = {0};
        struct sk_vs_inner in = {0};
        struct sk_vs_limits nl = {.max_files = 100, .inner = &in};

        sk_tz_tar_entry(&t, "a/readme.txt", "hello", 5);
        sk_tz_tar_entry(&t, "a/data.zst", z1, z1len);
        sk_tz_tar_entry(&t, "a/plain.txt",
                        "plain text, long enough to hold a base64 run "
                        "if it were in a container only the engine opens",
                        92);
        sk_tz_tar_entry(&t, "a/other.zst", z2, z2len);
        sk_tz_tar_end(&t);
        unsigned char *tar = sk_tzip_take(&t, &tlen);
        assert_int_equal(sc.scan_mem(sc.self, tar, tlen, &nl, &rep), 0);
        assert_int_equal(rep.result, SK_VS_CLEAN);
        assert_int_equal(in.n, 2);
        assert_int_equal(in.over, 0);
        assert_int_equal(sk_vs_digest(z1, z1len, id), 0);
        assert_memory_equal(in.v[0].id, id, 32);
        assert_true(in.v[0].opaque);
        assert_int_equal(in.v[0].len, z1len);
        assert_memory_equal(in.v[0].data, z1, z1len);
        assert_int_equal(sk_vs_digest(z2, z2len, id), 0);
        assert_memory_equal(in.v[1].id, id, 32);
        assert_int_equal(in.bytes, z1len + z2len);
        sk_vs_inner_free(&in);
        assert_int_equal(in.n, 0);
        assert_null(in.v);
        /* what a container only the engine opens (bzip2) holds: copied
         * when the walk's decoders would read it (text), the limit there */
        size_t tl = 100000, bl;
        char *txt = malloc(tl);
        for (size_t i = 0; i < tl; i++)
            txt[i] = "some words of text\n"[i % 19];
        unsigned char *bz = sk_tz_bzip2(txt, tl, &bl);
        nl.max_bytes = 150000;
        assert_int_equal(sc.scan_mem(sc.self, bz, bl, &nl, &rep), 0);
        assert_int_equal(rep.result, SK_VS_CLEAN);
        assert_int_equal(in.n, 1);
        assert_false(in.v[0].opaque);
        assert_int_equal(in.v[0].len, tl);
        assert_memory_equal(in.v[0].data, txt, tl);
        sk_vs_inner_free(&in);
        /* ... and the object that would cross av.max-scan-size is never
         * made: the guard stops the bzip2 before libclamav inflates it */
        nl.max_bytes = 60000;
        assert_int_equal(sc.scan_mem(sc.self, bz, bl, &nl, &rep), 0);
        assert_int_equal(rep.result, SK_VS_LIMIT);
        assert_string_equal(rep.name, "Sekisho.Limits.Exceeded.MaxScanSize");
        assert_non_null(strstr(rep.why, "av.max-scan-size"));
        assert_int_equal(in.n, 0);
        sk_vs_inner_free(&in);
        nl.max_bytes = 0;
        /* binary bytes in it are not (nothing for the walk's decoders) */
        for (size_t i = 0; i < tl; i++)
            txt[i] = (char)(i * 7 % 251);
        free(bz);
        bz = sk_tz_bzip2(txt, tl, &bl);
        assert_int_equal(sc.scan_mem(sc.self, bz, bl, &nl, &rep), 0);
        assert_int_equal(in.n, 0);
        free(bz), free(txt);
        /* a zip's .zst member, nothing without a collector */
        unsigned char *zz = sk_tzip_one("d.zst", z1, z1len, 0, &zlen);
        assert_int_equal(sc.scan_mem(sc.self, zz, zlen, &lim, &rep), 0);
        assert_int_equal(rep.result, SK_VS_CLEAN);
        /* a top-level .zst is the walk's own, not an inner object */
        assert_int_equal(sc.scan_mem(sc.self, z1, z1len, &nl, &rep), 0);
        assert_int_equal(in.n, 0);
        free(zz);
        free(tar);
        free(z1);
        free(z2);
    }

    /* the decompression guard before libclamav (vs_guard.c): a bzip2 of
     * 8 MiB of zeros (the body, a member libclamav extracts from a zip or
     * a tar, one it reads in place in a cpio archive)
     * is a limit named DecodeRatio, decided before libclamav inflates it;
     * compressible text far over the floor passes; with the ratio off the
     * same bomb is scanned within the budget and a size limit past it */
    {
        size_t zn = 8u << 20, bl, tl = 3u << 20, tn, tarn;
        unsigned char *zeros = calloc(1, zn), *text = malloc(tl);
        log_lines(text, tl, 1); /* about 10x with bzip2, as real logs */
        unsigned char *bomb = sk_tz_bzip2(zeros, zn, &bl), *tb = sk_tz_bzip2(text, tl, &tn);
        size_t bzzipn;
        unsigned char *bzzip = sk_tzip_one("logs/old.bz2", bomb, bl, 0, &bzzipn);
        struct sk_tzip t = {0};
        sk_tz_tar_entry(&t, "logs/readme.txt", "old logs\n", 9);
        sk_tz_tar_entry(&t, "logs/old.bz2", bomb, bl);
        sk_tz_tar_end(&t);
        unsigned char *tar = sk_tzip_take(&t, &tarn);
        struct sk_vs_limits gl = {
            .max_files = 100, .max_bytes = 9u << 20, .decode_ratio = 100, .decode_floor = 1 << 20};
        size_t cpn;
        unsigned char *cp = cpio_one("logs/old.bz2", bomb, bl, &cpn);
        const unsigned char *objs[] = {bomb, bzzip, tar, cp};
        size_t lens[] = {bl, bzzipn, tarn, cpn};
        for (int i = 0; i < 4; i++) {
            assert_int_equal(sc.scan_mem(sc.self, objs[i], lens[i], &gl, &rep), 0);
            if (rep.result != SK_VS_LIMIT ||
                strcmp(rep.name, "Sekisho.Limits.Exceeded.DecodeRatio") != 0 ||
                !strstr(rep.why, "a bzip2 file") || !strstr(rep.why, "decode-max-ratio"))
                fail_msg("bomb %d: result %d name '%s' why '%s'", i, rep.result, rep.name, rep.why);
        }
        assert_int_equal(sc.scan_mem(sc.self, tb, tn, &gl, &rep), 0);
        assert_int_equal(rep.result, SK_VS_CLEAN);
        gl.decode_ratio = 0; /* the ratio off: within the budget it is scanned */
        assert_int_equal(sc.scan_mem(sc.self, bomb, bl, &gl, &rep), 0);
        assert_int_equal(rep.result, SK_VS_CLEAN);
        gl.max_bytes = 4u << 20; /* ...over it, the size limit */
        assert_int_equal(sc.scan_mem(sc.self, bomb, bl, &gl, &rep), 0);
        assert_int_equal(rep.result, SK_VS_LIMIT);
        assert_string_equal(rep.name, "Sekisho.Limits.Exceeded.MaxScanSize");
        free(zeros), free(text), free(bomb), free(tb), free(tar), free(bzzip), free(cp);
    }

    /* zips before libclamav (sk_vs_guard_zip): a deflate or bzip2 entry
     * of 8 MiB of zeros (libclamav inflates both whole into a file first),
     * one with its sizes in a descriptor, a zip in a tar and in a zip (the
     * inner one a file libclamav extracted), 24 entries of 1 MiB of zeros
     * (each at the floor, the archive far beyond its bound): DecodeRatio,
     * named as a zip; 3 MiB of text in a zip passes, EICAR beside it is
     * found, and with the ratio off the bomb is scanned */
    {
        size_t zn = 8u << 20, n, tarn, nn, tl = 3u << 20;
        unsigned char *zeros = calloc(1, zn), *text = malloc(tl);
        static const unsigned m[] = {SK_TZIP_DEFLATE, SK_TZIP_BZIP2,
                                     SK_TZIP_DEFLATE | SK_TZIP_DESC};
        struct sk_vs_limits gl = {
            .max_files = 100, .max_bytes = 64u << 20, .decode_ratio = 100, .decode_floor = 1 << 20};
        unsigned char *objs[6];
        size_t lens[6];
        for (int i = 0; i < 3; i++) {
            struct sk_tzip z = {0};
            sk_tzip_entry(&z, "readme.txt", "hello", 5, 0, 0);
            sk_tzip_entry(&z, "zeros.bin", zeros, zn, m[i], 0);
            sk_tzip_central(&z);
            objs[i] = sk_tzip_take(&z, &lens[i]);
        }
        struct sk_tzip t = {0};
        sk_tz_tar_entry(&t, "a/readme.txt", "x\n", 2);
        sk_tz_tar_entry(&t, "a/zeros.zip", objs[0], lens[0]);
        sk_tz_tar_end(&t);
        objs[3] = sk_tzip_take(&t, &tarn), lens[3] = tarn;
        objs[4] = sk_tzip_one("inner.zip", objs[0], lens[0], 0, &nn), lens[4] = nn;
        struct sk_tzip mz = {0};
        for (int i = 0; i < 24; i++) {
            char name[16];
            snprintf(name, sizeof(name), "m%d.bin", i);
            sk_tzip_entry(&mz, name, zeros, 1u << 20, SK_TZIP_DEFLATE, 0);
        }
        sk_tzip_central(&mz);
        objs[5] = sk_tzip_take(&mz, &lens[5]);
        for (int i = 0; i < 6; i++) {
            assert_int_equal(sc.scan_mem(sc.self, objs[i], lens[i], &gl, &rep), 0);
            if (rep.result != SK_VS_LIMIT ||
                strcmp(rep.name, "Sekisho.Limits.Exceeded.DecodeRatio") != 0 ||
                !strstr(rep.why, "a zip of") || !strstr(rep.why, "decode-max-ratio"))
                fail_msg("zip bomb %d: result %d name '%s' why '%s'", i, rep.result, rep.name,
                         rep.why);
        }
        log_lines(text, tl, 7); /* about 10x with deflate */
        struct sk_tzip lz = {0};
        sk_tzip_entry(&lz, "log.txt", text, tl, SK_TZIP_DEFLATE, 0);
        sk_tzip_central(&lz);
        unsigned char *legit = sk_tzip_take(&lz, &n);
        assert_int_equal(sc.scan_mem(sc.self, legit, n, &gl, &rep), 0);
        assert_int_equal(rep.result, SK_VS_CLEAN);
        free(legit);
        memset(&lz, 0, sizeof(lz));
        sk_tzip_entry(&lz, "log.txt", text, tl, SK_TZIP_DEFLATE, 0);
        sk_tzip_entry(&lz, "x/eicar.com", EICAR_A EICAR_B, strlen(EICAR_A EICAR_B), SK_TZIP_DEFLATE,
                      0);
        sk_tzip_central(&lz);
        legit = sk_tzip_take(&lz, &n);
        assert_int_equal(sc.scan_mem(sc.self, legit, n, &gl, &rep), 0);
        assert_int_equal(rep.result, SK_VS_VIRUS);
        free(legit);
        /* a 7z (sk_7z_guard): its declared folder size, before libclamav */
        unsigned char *sz = sk_tz_7z(zeros, zn, 1, 0, 1, &n);
        assert_int_equal(sc.scan_mem(sc.self, sz, n, &gl, &rep), 0);
        if (rep.result != SK_VS_LIMIT || !strstr(rep.why, "a 7z archive"))
            fail_msg("7z bomb: result %d name '%s' why '%s'", rep.result, rep.name, rep.why);
        free(sz);
        /* a 7z whose folders are Deflate: libclamav calls it clean
         * unread (EICAR inside a real one came through: hostile.evasion
         * g_zip_bombs); now the scan error (av.on-error) */
        sz = sk_tz_7z(EICAR_A EICAR_B, strlen(EICAR_A EICAR_B), 1, 0, 0, &n);
        sk_tz_7z_coder(sz, n, "\4\1\x08", 3);
        assert_int_equal(sc.scan_mem(sc.self, sz, n, &gl, &rep), 0);
        if (rep.result != SK_VS_ERROR || !strstr(rep.why, "does not decode"))
            fail_msg("Deflate 7z: result %d why '%s'", rep.result, rep.why);
        free(sz);
        gl.decode_ratio = 0; /* the ratio off: libclamav inflates it, clean */
        assert_int_equal(sc.scan_mem(sc.self, objs[0], lens[0], &gl, &rep), 0);
        assert_int_equal(rep.result, SK_VS_CLEAN);
        for (int i = 0; i < 6; i++)
            free(objs[i]);
        free(zeros), free(text);
    }

    /* reload: real signatures appear in the db dir; changed() says so
     * (at most once per reload-interval), reload() rebuilds at once and the
     * version changes; a second reload() has nothing to do */
    static const char ndb[] = "Sekisho.Test.Reloaded:0:*:52454c4f41442d4d45\n"; /* RELOAD-ME */
    assert_int_equal(sc.reload(sc.self), 0);
    write_file(db, "reload.ndb", ndb, sizeof(ndb) - 1);
    sleep(2);
    assert_int_equal(sc.changed(sc.self), 1);
    assert_int_equal(sc.changed(sc.self), 0); /* paced by reload-interval */
    assert_int_equal(sc.reload(sc.self), 1);
    assert_int_equal(sc.reload(sc.self), 0);
    const char *v2 = sc.version(sc.self);
    assert_string_not_equal(v1, v2);
    assert_null(strstr(v2, "testsigs"));
    assert_int_equal(sc.scan_mem(sc.self, "xx RELOAD-ME xx", 15, &lim, &rep), 0);
    assert_int_equal(rep.result, SK_VS_VIRUS);
    assert_non_null(strstr(rep.name, "Sekisho.Test.Reloaded"));

    sc.destroy(sc.self);
    free(zip);
    free(gz);
    char p[256];
    snprintf(p, sizeof(p), "%s/reload.ndb", db);
    unlink(p);
    rmdir(db);
    assert_true(dir_is_empty(tmpdir)); /* test signature files removed */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_engine),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

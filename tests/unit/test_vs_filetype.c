/* test_vs_filetype.c - virus_scan's true file types with the fake
 * scanner: filetype.block by the bytes (zip members, encrypted zips, PE
 * in a document), filetype.on-mismatch, av.detect-pua categories,
 * av.skip-types and virus_scan off. Shared fixture:
 * support/virus_scan_fixture.c. */
#include "virus_scan_fixture.h"

/* ---- true file types ----------------------------------------------- */

static const unsigned char pe_stub[] = "MZ\x90\0\3\0\0\0\4\0\0\0\xff\xff\0\0 a program";

static void test_filetype_blocks(void **s)
{
    const char *exe[] = {"filetype.block", "executable", NULL};
    const char *exe_log[] = {"filetype.block", "executable", "filetype.action", "log", NULL};
    const char *jav[] = {"filetype.block", "java,encrypted-archive", "av.on-encrypted", "allow",
                         NULL};
    const char *noav[] = {"filetype.block", "executable", "av.enabled", "off", NULL};
    struct sk_snapshot *p_exe = sk_t_policy_with(exe), *p_log = sk_t_policy_with(exe_log),
                       *p_jav = sk_t_policy_with(jav), *p_noav = sk_t_policy_with(noav);
    struct hdrs h = {{"Content-Type", "Accept-Language"}, {"text/plain", "en"}};
    struct sk_txn t;
    unsigned char *z;
    size_t zl;

    /* a PE renamed .txt, declared text/plain */
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/readme.txt", &h, p_exe);
    assert_int_equal(run(&t, pe_stub, sizeof(pe_stub), 7), SK_BLOCK);
    assert_string_equal(t.rule, "filetype:pe");
    assert_non_null(strstr(t.page.body, "File type blocked: Windows executable"));
    sk_txn_clear(&t);
    h.values[1] = "ja";
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/readme.txt", &h, p_exe);
    assert_int_equal(run(&t, pe_stub, sizeof(pe_stub), 100), SK_BLOCK);
    assert_non_null(
        strstr(t.page.body, "ファイルタイプがブロックされました: Windows 実行ファイル"));
    sk_txn_clear(&t);
    /* inside a zip: the member's name is in the reason */
    z = sk_tzip_one("docs/notes.txt", pe_stub, sizeof(pe_stub), 0, &zl);
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/a.zip", &h, p_exe);
    assert_int_equal(run(&t, z, zl, 1000), SK_BLOCK);
    assert_string_equal(t.rule, "filetype:pe");
    assert_non_null(strstr(t.reason, "docs/notes.txt"));
    sk_txn_clear(&t);
    /* the zip itself is allowed (archive not blocked), a jar is java */
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/a.zip", &h, p_jav);
    assert_int_equal(run(&t, z, zl, 1000), SK_ALLOW);
    sk_txn_clear(&t);
    free(z);
    z = sk_tzip_one("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n", 22, 0, &zl);
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/app.jar", &h, p_jav);
    assert_int_equal(run(&t, z, zl, 1000), SK_BLOCK);
    assert_string_equal(t.rule, "filetype:jar");
    sk_txn_clear(&t);
    free(z);
    /* an encrypted member: encrypted-archive, even where av.on-encrypted allows */
    z = sk_tzip_one("secret.txt", "xxxxxxxxxxxx", 12, 1, &zl);
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/s.zip", &h, p_jav);
    assert_int_equal(run(&t, z, zl, 1000), SK_BLOCK);
    assert_string_equal(t.rule, "filetype:zip-encrypted");
    sk_txn_clear(&t);
    free(z);
    /* an inner object the engine typed (an ELF in a tar.gz) */
    fk.kinds = 1u << SK_FT_ELF;
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/x.tar.gz", &h, p_exe);
    assert_int_equal(run(&t, "\x1f\x8b\x08\0\0\0\0\0", 8, 8), SK_BLOCK);
    assert_string_equal(t.rule, "filetype:elf");
    sk_txn_clear(&t);
    fk.kinds = 0;
    /* monitor mode: passes, would-block */
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/readme.txt", &h, p_log);
    assert_int_equal(run(&t, pe_stub, sizeof(pe_stub), 100), SK_ALLOW);
    assert_true(sk_txn_would_blocked(&t));
    assert_string_equal(t.rule, "filetype:pe");
    sk_txn_clear(&t);
    /* av off: the type is still checked, nothing is scanned */
    fk.scans = 0;
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/readme.txt", &h, p_noav);
    assert_int_equal(run(&t, pe_stub, sizeof(pe_stub), 100), SK_BLOCK);
    assert_int_equal(fk.scans, 0);
    sk_txn_clear(&t);
    /* allowed types pass */
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/readme.txt", &h, p_exe);
    assert_int_equal(run(&t, "just text\n", 10, 10), SK_ALLOW);
    sk_txn_clear(&t);
    sk_snapshot_unref(p_exe);
    sk_snapshot_unref(p_log);
    sk_snapshot_unref(p_jav);
    sk_snapshot_unref(p_noav);
    (void)s;
}

static void test_filetype_mismatch(void **s)
{
    const char *blk[] = {"filetype.on-mismatch", "block", NULL};
    struct sk_snapshot *p_blk = sk_t_policy_with(blk);
    struct hdrs h = {{"Content-Type"}, {"image/png"}};
    struct sk_txn t;

    /* default: log and pass */
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/cat.png", &h, NULL);
    assert_int_equal(run(&t, pe_stub, sizeof(pe_stub), 100), SK_ALLOW);
    assert_string_equal(t.rule, "filetype-mismatch");
    assert_non_null(strstr(t.reason, "declared image/png, cat.png"));
    assert_false(sk_txn_would_blocked(&t));
    sk_txn_clear(&t);
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/cat.png", &h, p_blk);
    assert_int_equal(run(&t, pe_stub, sizeof(pe_stub), 100), SK_BLOCK);
    assert_string_equal(t.rule, "filetype:pe");
    sk_txn_clear(&t);
    /* a PE declared as a program is no mismatch */
    h.values[0] = "application/x-msdownload";
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/setup.exe", &h, p_blk);
    assert_int_equal(run(&t, pe_stub, sizeof(pe_stub), 100), SK_ALLOW);
    sk_txn_clear(&t);
    sk_snapshot_unref(p_blk);
    (void)s;
}

static void test_pua_wanted(void **s)
{
    struct sk_vs_limits off = {0}, on = {.pua = 1}, inc = {.pua = 1, .pua_include = "Win, Doc"},
                        exc = {.pua = 1, .pua_exclude = "Packed"};

    assert_true(sk_vs_pua_wanted(&off, "Eicar-Test-Signature"));
    assert_true(sk_vs_pua_wanted(NULL, "Win.Trojan.X"));
    assert_false(sk_vs_pua_wanted(&off, "PUA.Win.Tool.X"));
    assert_false(sk_vs_pua_wanted(NULL, "PUA.Win.Tool.X"));
    assert_true(sk_vs_pua_wanted(&on, "PUA.Win.Tool.X"));
    assert_true(sk_vs_pua_wanted(&inc, "PUA.win.Tool.X"));
    assert_true(sk_vs_pua_wanted(&inc, "PUA.Doc.Tool.X"));
    assert_false(sk_vs_pua_wanted(&inc, "PUA.Packed.X"));
    assert_false(sk_vs_pua_wanted(&inc, "PUA.Wi.Tool.X"));
    assert_false(sk_vs_pua_wanted(&exc, "PUA.Packed.UPX"));
    assert_true(sk_vs_pua_wanted(&exc, "PUA.Win.Tool.X"));
    (void)s;
}

static void test_skip_types_and_disabled(void **s)
{
    const char *kv[] = {"av.skip-types", "video/*, audio/mpeg", NULL};
    const char *off[] = {"av.enabled", "off", NULL};
    struct sk_snapshot *skip = sk_t_policy_with(kv), *disabled = sk_t_policy_with(off);
    /* listed types are skipped once the first bytes agree (no scan);
     * the same bytes under an unlisted type are scanned */
    static const struct {
        const char *ct;
        int scans;
    } cases[] = {
        {"video/mp4", 0},  {"VIDEO/webm; codecs=vp9", 0}, {"audio/mpeg", 0}, {"audio/ogg", 1},
        {"videox/mp4", 1}, {"application/zip", 1},
    };
    static unsigned char media[5000];
    memset(media, '.', sizeof(media));
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct hdrs h = {{"Content-Type"}, {cases[i].ct}};
        struct sk_txn t;
        fk.scans = 0;
        txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/m", &h, skip);
        if (run(&t, media, sizeof(media), 1000) != SK_ALLOW || fk.scans != cases[i].scans)
            fail_msg("%s: unexpected verdict or %d scans", cases[i].ct, fk.scans);
        sk_txn_clear(&t);
    }
    /* decided within the preview (1024 bytes): released before the rest */
    {
        struct hdrs h = {{"Content-Type"}, {"video/mp4"}};
        struct sk_txn t;
        void *st = NULL;
        txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/m", &h, skip);
        assert_int_equal(sk_vs_txn_begin(&t, &st), 0);
        assert_int_equal(sk_vs_on_headers(&t, st), SK_CONTINUE);
        assert_int_equal(sk_vs_on_body(&t, st, media, 511, 0), SK_CONTINUE);
        assert_int_equal(sk_vs_on_body(&t, st, media, 513, 0), SK_ALLOW);
        sk_vs_txn_end(&t, st);
        sk_txn_clear(&t);
    }
    /* a lying Content-Type: a program (or a zip) declared video/mp4 is scanned */
    unsigned char pe[200] = "MZ";
    memcpy(pe + 100, eicar, 68);
    for (int small = 0; small < 2; small++) {
        struct hdrs h = {{"Content-Type"}, {"video/mp4"}};
        struct sk_txn t;
        fk.scans = 0;
        txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/m.mp4", &h, skip);
        assert_int_equal(run(&t, pe, small ? 168 : sizeof(pe), small ? 7 : 200), SK_BLOCK);
        assert_string_equal(t.rule, "Eicar-Test-Signature");
        assert_int_equal(fk.scans, 1);
        sk_txn_clear(&t);
    }
    struct hdrs h = {{"Content-Type"}, {"application/zip"}};
    struct sk_txn t;
    fk.scans = 0;
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/m", &h, disabled);
    assert_int_equal(run(&t, eicar, 68, 68), SK_ALLOW);
    assert_int_equal(fk.scans, 0);
    sk_txn_clear(&t);
    sk_snapshot_unref(skip);
    sk_snapshot_unref(disabled);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_skip_types_and_disabled, setup),
        cmocka_unit_test_setup(test_filetype_blocks, setup),
        cmocka_unit_test_setup(test_filetype_mismatch, setup),
        cmocka_unit_test(test_pua_wanted),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

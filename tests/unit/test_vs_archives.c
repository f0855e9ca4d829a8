/* test_vs_archives.c - virus_scan reads what libclamav frames otherwise
 * or not at all (vs_walk_arc.c), with the fake scanner (it finds EICAR in
 * the bytes it is given and unpacks nothing): tar members after a pax or
 * base-256 size, ar members (.deb), gzip/bzip2/xz/zstd streams after a prefix;
 * and what must not change: a candidate header that does not decode is no
 * stream (random binaries pass), decoys past the bound are a limit, a tar
 * whose pax record is malformed is av.on-error. Each payload is lzma,
 * which only our walk decodes: the fake sees EICAR only if the walk read
 * the member. Shared fixture: support/virus_scan_fixture.c. */
#include "virus_scan_fixture.h"

/* A tar whose member a.lzma (DATA) is framed by the pax record REC (its
 * octal field 0), or by a base-256 field when REC is NULL. */
static void pax_tar(struct sk_tzip *b, const char *rec, const unsigned char *data, size_t n)
{
    unsigned char f[12] = {0x80};

    if (rec) {
        sk_tz_tar_pax(b, "./PaxHeaders/a.lzma", 'x', rec, 0);
        sk_tz_tar_member(b, "a.lzma", '0', NULL, 0, data, n, 0);
    } else {
        f[10] = (unsigned char)(n >> 8), f[11] = (unsigned char)n;
        sk_tz_tar_member(b, "a.lzma", '0', f, 0, data, n, 0);
    }
    sk_tz_tar_end(b);
}

static struct hdrs oct = {{"Content-Type"}, {"application/octet-stream"}};

static enum sk_verdict scan(const void *body, size_t n, const char *want_rule)
{
    struct sk_txn t;
    enum sk_verdict v;

    setup(NULL);
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/f", &oct, NULL);
    v = run(&t, body, n, 4096);
    if (want_rule && strcmp(t.rule ? t.rule : "", want_rule) != 0)
        fail_msg("rule '%s', want '%s'", t.rule ? t.rule : "", want_rule);
    sk_txn_clear(&t);
    return v;
}

/* pax `size` and base-256: the member is read (an object of its own);
 * the same member framed by its octal field is left to the engine's own
 * extraction (the fake extracts nothing: it passes) */
static void test_tar_sizes(void **s)
{
    size_t zn;
    unsigned char *z = sk_tz_lzma(eicar, 68, &zn);
    char rec[32], v[24];

    (void)s;
    snprintf(v, sizeof(v), "%zu", zn);
    sk_tz_pax_rec(rec, sizeof(rec), "size", v);
    assert_int_equal(strlen(rec), (size_t)atoi(rec));
    struct sk_tzip a = {0};
    pax_tar(&a, rec, z, zn);
    assert_int_equal(scan(a.p, a.n, "Eicar-Test-Signature"), SK_BLOCK);
    struct sk_tzip b = {0};
    pax_tar(&b, NULL, z, zn);
    assert_int_equal(scan(b.p, b.n, "Eicar-Test-Signature"), SK_BLOCK);
    /* octal, as every reader frames it: the engine's (the fake's: none) */
    struct sk_tzip c = {0};
    sk_tz_tar_member(&c, "a.lzma", '0', NULL, zn, z, zn, 0);
    sk_tz_tar_end(&c);
    assert_int_equal(scan(c.p, c.n, NULL), SK_ALLOW);
    /* a malformed pax record: extractors disagree on what follows */
    struct sk_tzip d = {0};
    pax_tar(&d, "12 size=5x0\n", z, zn);
    assert_int_equal(scan(d.p, d.n, "av-error"), SK_BLOCK);
    free(z);
    sk_tzip_free(&a), sk_tzip_free(&b), sk_tzip_free(&c), sk_tzip_free(&d);
}

/* A legacy .lzma has no magic: bytes that only look like its header (a
 * bitmap's zeros) are no verdict, and of one cut short or corrupt what
 * decoded before the error is scanned, as xz --format=lzma hands it out */
static void test_lzma_loose(void **s)
{
    static const unsigned char bm[14] = {0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x50,
                                         0x00, 0x00, 0x00, 0x48, 0x00, 0x00, 0x00};
    unsigned char obj[4096] = {0}, text[3068];
    size_t zn;

    (void)s;
    memcpy(obj, bm, sizeof(bm));
    assert_int_equal(scan(obj, sizeof(obj), NULL), SK_ALLOW);
    memcpy(text, eicar, 68);
    for (size_t i = 68; i < sizeof(text); i++)
        text[i] = (unsigned char)("lorem ipsum dolor "[i % 18] ^ (i % 7 == 0 ? 0x20 : 0));
    unsigned char *z = sk_tz_lzma(text, sizeof(text), &zn);
    assert_int_equal(scan(z, zn * 2 / 3, "Eicar-Test-Signature"), SK_BLOCK);
    z[zn - 8] ^= 0x55;
    assert_int_equal(scan(z, zn, "Eicar-Test-Signature"), SK_BLOCK);
    free(z);
}

/* A file system image's files are read by nobody (a file's clusters need
 * not follow each other): av.on-error, as the object and as a member */
static void test_disk_images(void **s)
{
    static unsigned char img[8192];
    (void)s;
    sk_tz_fat_boot(img);
    assert_int_equal(scan(img, sizeof(img), "av-error"), SK_BLOCK);
    struct sk_tzip a = {0};
    sk_tz_tar_member(&a, "disk.img", '0', NULL, sizeof(img), img, sizeof(img), 0);
    sk_tz_tar_end(&a);
    assert_int_equal(scan(a.p, a.n, "av-error"), SK_BLOCK);
    sk_tzip_free(&a);
    img[16] = 3; /* no FAT boot sector: bytes */
    assert_int_equal(scan(img, sizeof(img), NULL), SK_ALLOW);
}

/* ar (.deb): each member an object of its own */
static void test_ar_members(void **s)
{
    size_t zn;
    unsigned char *z = sk_tz_lzma(eicar, 68, &zn);
    struct sk_tzip a = {0};

    (void)s;
    sk_tzip_put(&a, "!<arch>\n", 8);
    sk_tz_ar_member(&a, "debian-binary", "2.0\n", 4);
    sk_tz_ar_member(&a, "data.tar.lzma", z, zn);
    assert_int_equal(scan(a.p, a.n, "Eicar-Test-Signature"), SK_BLOCK);
    /* a header that is none: not an ar to us (the stream search goes on) */
    a.p[8 + 58] = 'x';
    assert_int_equal(scan(a.p, a.n, NULL), SK_ALLOW);
    free(z);
    sk_tzip_free(&a);
}

/* git packs (libclamav reads none of it): a blob, a delta's result, a
 * thin delta's inserted bytes, the pack in side-band pkt-lines; a pack
 * whose object does not inflate is av.on-error; a clean one passes */
static void test_git_pack(void **s)
{
    unsigned char text[200], delta[3 + 68 + 3];
    (void)s;
    memset(text, 'x', sizeof(text));
    memcpy(text + 50, eicar, 68);
    struct sk_tzip a = {0};
    sk_tz_git_head(&a, 1);
    sk_tz_git_obj(&a, 3, text, sizeof(text), NULL, 0);
    sk_tz_git_end(&a, 0, 0);
    assert_int_equal(scan(a.p, a.n, "Eicar-Test-Signature"), SK_BLOCK);

    /* side-band-64k: band 1 in 40-byte lines */
    struct sk_tzip b = {0};
    sk_tzip_put(&b, "0008NAK\n", 8);
    for (size_t i = 0; i < a.n; i += 40) {
        char h[6];
        size_t m = a.n - i < 40 ? a.n - i : 40;
        snprintf(h, sizeof(h), "%04zx\001", m + 5);
        sk_tzip_put(&b, h, 5);
        sk_tzip_put(&b, a.p + i, m);
    }
    sk_tzip_put(&b, "0000", 4);
    assert_int_equal(scan(b.p, b.n, "Eicar-Test-Signature"), SK_BLOCK);

    /* a thin delta (its base is not in the pack) inserting EICAR */
    unsigned char id[20] = {1};
    delta[0] = 10, delta[1] = 68 + 2, delta[2] = 68;
    memcpy(delta + 3, eicar, 68);
    delta[71] = 0x91, delta[72] = 0, delta[73] = 2; /* copy 2 bytes from 0 */
    struct sk_tzip c = {0};
    sk_tz_git_head(&c, 1);
    sk_tz_git_obj(&c, 7, delta, sizeof(delta), id, 20);
    sk_tz_git_end(&c, 0, 0);
    assert_int_equal(scan(c.p, c.n, "Eicar-Test-Signature"), SK_BLOCK);

    /* clean; and one whose stream does not inflate */
    struct sk_tzip d = {0};
    sk_tz_git_head(&d, 1);
    sk_tz_git_obj(&d, 3, text, 50, NULL, 0);
    sk_tz_git_end(&d, 0, 0);
    assert_int_equal(scan(d.p, d.n, NULL), SK_ALLOW);
    /* cut short (git refuses it; read as whole it would pass) */
    assert_int_equal(scan(d.p, d.n - 1, "av-error"), SK_BLOCK);
    d.p[d.n - 20 - 6] ^= 0x40;
    assert_int_equal(scan(d.p, d.n, "av-error"), SK_BLOCK);
    sk_tzip_free(&a), sk_tzip_free(&b), sk_tzip_free(&c), sk_tzip_free(&d);
}

/* gzip, bzip2, xz, zstd after a prefix; a header that does not decode is no
 * stream; past SK_VS_STREAM_BAD decoys, a limit */
static void test_streams_after_prefix(void **s)
{
    size_t n[4];
    /* zstd keeps a short input's literals as they are: EICAR then skewed
     * letters, so its literals are Huffman-coded and the fake finds
     * EICAR only if the walk decoded the frame */
    unsigned char zin[68 + 400];
    uint32_t x = 1;
    memcpy(zin, eicar, 68);
    for (int i = 68; i < (int)sizeof(zin); i++) {
        x = x * 1103515245u + 12345u;
        zin[i] = (unsigned char)('a' + ((x >> 16) % 4 ? (x >> 20) % 3 : (x >> 18) % 26));
    }
    unsigned char *z[4] = {sk_tz_deflate(eicar, 68, 16 + 15, &n[0]), sk_tz_bzip2(eicar, 68, &n[1]),
                           sk_tz_xz(eicar, 68, &n[2]), sk_tz_zstd(zin, sizeof(zin), &n[3])};

    (void)s;
    assert_null(memmem(z[3], n[3], eicar, 20));
    for (int i = 0; i < 4; i++) {
        struct sk_tzip a = {0};
        sk_tzip_put(&a, "#!/bin/sh\ntail -c +41 $0 | gunzip; exit\n", 40);
        sk_tzip_put(&a, z[i], n[i]);
        assert_int_equal(scan(a.p, a.n, "Eicar-Test-Signature"), SK_BLOCK);
        /* the same stream damaged after its header: no verdict of its own */
        a.p[40 + n[i] / 2] ^= 0x55;
        a.p[40 + n[i] / 2 + 1] ^= 0x55;
        enum sk_verdict v = scan(a.p, a.n, NULL);
        assert_true(v == SK_ALLOW || v == SK_BLOCK);
        struct sk_txn t;
        setup(NULL);
        txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/f", &oct, NULL);
        run(&t, a.p, a.n, 4096);
        assert_true(!t.rule || strcmp(t.rule, "Eicar-Test-Signature") == 0);
        sk_txn_clear(&t);
        sk_tzip_free(&a);
    }
    /* a random binary holding gzip, bzip2 and xz headers that decode to
     * nothing: passes, as bytes nobody decompresses */
    struct sk_tzip r = {0};
    srand(7);
    for (int i = 0; i < 20000; i++) {
        unsigned char c = (unsigned char)rand();
        sk_tzip_put(&r, &c, 1);
    }
    memcpy(r.p + 1000, "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xff\xff\xff", 13);
    memcpy(r.p + 3000, "BZh91AY&SY\xff\xff\xff\xff", 14);
    assert_int_equal(scan(r.p, r.n, NULL), SK_ALLOW);
    /* decoys: av-limit:streams before they could hide the stream after */
    struct sk_tzip d = {0};
    for (int i = 0; i < 70; i++)
        sk_tzip_put(
            &d, "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xff\xff\xff\xff\xff\xff\xff\xff\xff", 19);
    sk_tzip_put(&d, z[0], n[0]);
    assert_int_equal(scan(d.p, d.n, "av-limit:streams"), SK_BLOCK);
    for (int i = 0; i < 4; i++)
        free(z[i]);
    sk_tzip_free(&r), sk_tzip_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tar_sizes),  cmocka_unit_test(test_lzma_loose),
        cmocka_unit_test(test_ar_members), cmocka_unit_test(test_streams_after_prefix),
        cmocka_unit_test(test_git_pack),   cmocka_unit_test(test_disk_images),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/* test_gitpack.c - git packs (sk_gitpack.c): packs git 2.39 made
 * (tests/unit/data/git: OFS and REF deltas, a thin pack, SHA-256 ids), the
 * framings a clone, a fetch, a push and a bundle put around one, and packs
 * written here: corrupt, cut short, over the limit, a cycle of deltas. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include <sekisho/decode.h>

#include "sk_tzip.h"

#define MARK "MARKER card 4111 1111 1111 1111 inserted\n"

/* notes.txt of commit one (NEW 0) and two (NEW 1): data/git/README.md */
static size_t notes(char *o, int new)
{
    size_t w = 0;

    for (int i = 0; i < 60; i++) {
        if (new &&i == 30)
            w += (size_t)sprintf(o + w, "%s", MARK);
        w += (size_t)sprintf(o + w,
                             "line %04d of the delta test file, some words to make it long\n", i);
    }
    return w;
}

struct rec {
    int objs, blobs, commits, states[4];
    int has_old, has_new, has_mark; /* a blob (or inserts) equal to / holding */
    int trees;                      /* trees given as their names: "notes.txt\n" */
    char names[16][64];
};

static int cb(void *arg, const char *name, const unsigned char *p, size_t n, int state)
{
    struct rec *r = arg;
    char old[4096], nw[4096];
    size_t on = notes(old, 0), nn = notes(nw, 1);

    r->states[state]++;
    if (state)
        return 0;
    if (r->objs < 16)
        snprintf(r->names[r->objs], sizeof(r->names[0]), "%s", name);
    r->objs++;
    r->blobs += strncmp(name, "blob ", 5) == 0;
    r->commits += strncmp(name, "commit ", 7) == 0;
    r->trees += strncmp(name, "tree ", 5) == 0 && n == 10 && memcmp(p, "notes.txt\n", 10) == 0;
    r->has_old |= n == on && memcmp(p, old, on) == 0;
    r->has_new |= n == nn && memcmp(p, nw, nn) == 0;
    r->has_mark |= memmem(p, n, MARK, strlen(MARK)) != NULL;
    return 0;
}

static struct rec each(const unsigned char *p, size_t n, uint64_t out_max, int want_rc)
{
    struct rec r;
    memset(&r, 0, sizeof(r));
    assert_int_equal(sk_gitpack_each(p, n, out_max, cb, &r), want_rc);
    return r;
}

/* Both texts whole from the packs git made: the delta resolved (OFS, REF
 * by SHA-1, REF by SHA-256); trees left out. */
static void test_git_made(void **state)
{
    (void)state;
    const char *const packs[] = {"git/ofs.pack", "git/ref.pack", "git/ref256.pack"};
    for (int k = 0; k < 3; k++) {
        size_t n;
        unsigned char *p = sk_tz_data(packs[k], &n);
        assert_true(sk_gitpack_is(p, n));
        struct rec r = each(p, n, 1 << 20, SK_AR_OK);
        assert_int_equal(r.blobs, 2);
        assert_int_equal(r.commits, 2);
        assert_int_equal(r.trees, 2); /* as their names */
        assert_int_equal(r.objs, 6);
        assert_true(r.has_old);
        assert_true(r.has_new);
        free(p);
    }
}

/* A thin pack (a push's): the blob is a delta on one the pack does not
 * hold - its inserted bytes are given, the marker line among them. */
static void test_thin(void **state)
{
    (void)state;
    size_t n;
    unsigned char *p = sk_tz_data("git/thin.pack", &n);
    struct rec r = each(p, n, 1 << 20, SK_AR_OK);
    assert_int_equal(r.commits, 1);
    assert_int_equal(r.blobs, 0);
    assert_true(r.has_mark);
    assert_false(r.has_new);
    assert_non_null(strstr(r.names[r.objs - 1], "not in the pack"));
    free(p);
}

static size_t pkt(unsigned char *o, const void *p, size_t n)
{
    sprintf((char *)o, "%04zx", n + 4);
    memcpy(o + 4, p, n);
    return n + 4;
}

/* The framings: a fetch's result in side-band-64k (band 1 split into
 * 50-byte lines, progress between them; protocol v2's section name), a
 * fetch without side-band, a push's request, a bundle. */
static void test_framings(void **state)
{
    (void)state;
    size_t n, w;
    unsigned char *p = sk_tz_data("git/ofs.pack", &n);
    unsigned char *b = malloc(4 * n + 4096), line[64];

    for (int v2 = 0; v2 < 2; v2++) {
        w = v2 ? pkt(b, "packfile\n", 9) : pkt(b, "NAK\n", 4);
        for (size_t i = 0; i < n; i += 50) {
            size_t m = n - i < 50 ? n - i : 50;
            line[0] = 1;
            memcpy(line + 1, p + i, m);
            w += pkt(b + w, line, m + 1);
            w += pkt(b + w, "\002Counting objects\r", 18);
        }
        memcpy(b + w, "0000", 4);
        struct rec r = each(b, w + 4, 1 << 20, SK_AR_OK);
        assert_true(r.has_old && r.has_new);
        assert_int_equal(r.objs, 6);
        /* a band-1 line cut in its middle: short, what came before read */
        memcpy(b + w - 30, "0000", 4);
        assert_true(sk_gitpack_is(b, w));
    }
    w = pkt(b, "NAK\n", 4);
    memcpy(b + w, p, n);
    struct rec r = each(b, w + n, 1 << 20, SK_AR_OK);
    assert_true(r.has_old && r.has_new);

    static const char cmd[] =
        "0000000000000000000000000000000000000000 8df062587de2ac179b1c53a660ffef7f5b510c33 "
        "refs/heads/main\0 report-status side-band-64k agent=git/2.39\n";
    w = pkt(b, cmd, sizeof(cmd) - 1);
    memcpy(b + w, "0000", 4);
    memcpy(b + w + 4, p, n);
    r = each(b, w + 4 + n, 1 << 20, SK_AR_OK);
    assert_true(r.has_old && r.has_new);

    w = (size_t)sprintf((char *)b, "# v2 git bundle\n%s refs/heads/main\n\n",
                        "8df062587de2ac179b1c53a660ffef7f5b510c33");
    memcpy(b + w, p, n);
    r = each(b, w + n, 1 << 20, SK_AR_OK);
    assert_true(r.has_old && r.has_new);

    /* not git: pkt-lines without a pack, text that starts with hex */
    w = pkt(b, "want 8df062587de2ac179b1c53a660ffef7f5b510c33\n", 46);
    memcpy(b + w, "00000009done\n", 13);
    assert_false(sk_gitpack_is(b, w + 13));
    assert_false(sk_gitpack_is((const unsigned char *)"0123 is a number", 16));
    assert_false(sk_gitpack_is((const unsigned char *)"PACK\0\0\0\4\0\0\0\1", 12));
    free(b);
    free(p);
}

/* The limit, corruption, a cut: what came before is read, the state said. */
static void test_bad(void **state)
{
    (void)state;
    size_t n;
    unsigned char *p = sk_tz_data("git/ofs.pack", &n);

    /* 3,900 bytes: the two commits (166 and 118 bytes) fit, the blob (3,701) not */
    struct rec r = each(p, n, 3900, SK_AR_OK);
    assert_int_equal(r.states[SK_LHA_LIMIT], 1);
    assert_false(r.has_new);
    assert_int_equal(r.commits, 2);

    /* a byte of the blob's zlib stream changed (offset 234 + 2: git's
     * verify-pack lists it there) */
    unsigned char *c = malloc(n);
    memcpy(c, p, n);
    c[234 + 40] ^= 0x55;
    r = each(c, n, 1 << 20, SK_AR_CORRUPT);
    assert_int_equal(r.states[SK_LHA_CORRUPT], 1);
    assert_false(r.has_new);

    /* a thousand empty blobs under 100 KiB: each object's bookkeeping
     * (SK_GP_KEEP) counts, not only its bytes (none) */
    struct sk_tzip e = {0};
    sk_tz_git_head(&e, 1000);
    for (int i = 0; i < 1000; i++)
        sk_tz_git_obj(&e, 3, "", 0, NULL, 0);
    sk_tz_git_end(&e, 0, 0);
    r = each(e.p, e.n, 100 << 10, SK_AR_OK);
    assert_int_equal(r.states[SK_LHA_LIMIT], 1);
    r = each(e.p, e.n, 1 << 20, SK_AR_OK);
    assert_int_equal(r.blobs, 1000);
    sk_tzip_free(&e);

    /* cut inside the blob */
    r = each(p, 300, 1 << 20, SK_AR_SHORT);
    assert_false(r.has_new);
    assert_int_equal(r.commits, 2);
    free(c);
    free(p);
}

/* A delta on a thin pack's delta (red team s23): A, on a blob the pack
 * does not hold, inserts the marker's halves swapped around 5 bytes of
 * its base; B, on A by offset, copies them back in order - B is whole,
 * A's halves alone are not the marker. */
static void test_thin_chain(void **state)
{
    (void)state;
    const char *m = MARK;
    size_t ml = strlen(m), h1 = ml / 2, h2 = ml - h1;
    unsigned char da[256], db[64], id[20];
    size_t na = 0, nb = 0;
    memset(id, 0x44, 20);
    da[na++] = 5;                            /* base: 5 bytes */
    da[na++] = (unsigned char)(h2 + 5 + h1); /* result */
    da[na++] = (unsigned char)h2;            /* insert the second half */
    memcpy(da + na, m + h1, h2), na += h2;
    da[na++] = 0x90, da[na++] = 5; /* copy 5 bytes at 0 */
    da[na++] = (unsigned char)h1;  /* insert the first half */
    memcpy(da + na, m, h1), na += h1;
    db[nb++] = (unsigned char)(h2 + 5 + h1); /* base: A */
    db[nb++] = (unsigned char)ml;
    db[nb++] = 0x91, db[nb++] = (unsigned char)(h2 + 5), db[nb++] = (unsigned char)h1;
    db[nb++] = 0x90, db[nb++] = (unsigned char)h2; /* copy the second half at 0 */
    struct sk_tzip a = {0};
    sk_tz_git_head(&a, 2);
    size_t at = sk_tz_git_obj(&a, 7, da, na, id, 20);
    unsigned char ofs = (unsigned char)(a.n - at);
    sk_tz_git_obj(&a, 6, db, nb, &ofs, 1);
    sk_tz_git_end(&a, 0, 0);
    struct rec r = each(a.p, a.n, 1 << 20, SK_AR_OK);
    assert_int_equal(r.objs, 2);
    assert_true(r.has_mark);
    assert_string_equal(r.names[0], "delta 0 (its base not in the pack)");
    assert_string_equal(r.names[1], "blob 1");
    sk_tzip_free(&a);
}

/* Two REF deltas on each other (a cycle): each gives its inserted bytes,
 * nothing loops; a delta whose copy runs past its base is corrupt; a
 * delta of size 0 on a blob is an empty blob. */
static void test_written(void **state)
{
    (void)state;
    unsigned char id1[20], id2[20];
    memset(id1, 0x11, 20);
    memset(id2, 0x22, 20);
    /* base size 5, result 10: insert 10 bytes */
    const unsigned char d1[] = {5, 10, 10, 'E', 'I', 'C', 'A', 'R', '-', 'O', 'N', 'E', '!'};
    const unsigned char d2[] = {5, 10, 10, 'S', 'E', 'C', 'O', 'N', 'D', '-', 'T', 'W', 'O'};
    struct sk_tzip a = {0};
    sk_tz_git_head(&a, 2);
    sk_tz_git_obj(&a, 7, d1, sizeof(d1), id2, 20);
    sk_tz_git_obj(&a, 7, d2, sizeof(d2), id1, 20);
    sk_tz_git_end(&a, 0, 0);
    struct rec r = each(a.p, a.n, 1 << 20, SK_AR_OK);
    assert_int_equal(r.objs, 2);
    assert_string_equal(r.names[0], "delta 0 (its base not in the pack)");

    /* a SHA-256 id (32 bytes) whose 21st and 22nd bytes make a zlib
     * header: the 20-byte guess does not inflate, 32 does */
    unsigned char id32[32];
    memset(id32, 0x33, 32);
    id32[20] = 0x78, id32[21] = 0x9c;
    struct sk_tzip e = {0};
    sk_tz_git_head(&e, 1);
    sk_tz_git_obj(&e, 7, d1, sizeof(d1), id32, 32);
    sk_tz_git_end(&e, 0, 1);
    r = each(e.p, e.n, 1 << 20, SK_AR_OK);
    assert_int_equal(r.objs, 1);
    sk_tzip_free(&e);

    /* a blob "hello", then an OFS delta copying 6 bytes of it */
    const unsigned char bad[] = {5, 6, 0x90, 6}; /* copy offset 0, size 6 */
    struct sk_tzip b = {0};
    sk_tz_git_head(&b, 2);
    size_t at = sk_tz_git_obj(&b, 3, "hello", 5, NULL, 0);
    unsigned char ofs = (unsigned char)(b.n - at);
    sk_tz_git_obj(&b, 6, bad, sizeof(bad), &ofs, 1);
    sk_tz_git_end(&b, 0, 0);
    r = each(b.p, b.n, 1 << 20, SK_AR_CORRUPT);
    assert_int_equal(r.blobs, 1);
    assert_int_equal(r.states[SK_LHA_CORRUPT], 1);

    /* ...the same copying 5: the blob twice */
    const unsigned char good[] = {5, 5, 0x90, 5};
    struct sk_tzip c = {0};
    sk_tz_git_head(&c, 2);
    at = sk_tz_git_obj(&c, 3, "hello", 5, NULL, 0);
    ofs = (unsigned char)(c.n - at);
    sk_tz_git_obj(&c, 6, good, sizeof(good), &ofs, 1);
    sk_tz_git_end(&c, 0, 0);
    r = each(c.p, c.n, 1 << 20, SK_AR_OK);
    assert_int_equal(r.blobs, 2);
    assert_string_equal(r.names[1], "blob 1");

    /* an object whose stream inflates to more than its header says */
    struct sk_tzip d = {0};
    sk_tz_git_head(&d, 1);
    at = sk_tz_git_obj(&d, 3, "hello world", 11, NULL, 0);
    sk_tz_git_end(&d, 0, 0);
    d.p[at] = (unsigned char)(3 << 4 | 5); /* says 5 */
    r = each(d.p, d.n, 1 << 20, SK_AR_CORRUPT);
    assert_int_equal(r.objs, 0);
    sk_tzip_free(&a), sk_tzip_free(&b), sk_tzip_free(&c), sk_tzip_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_git_made), cmocka_unit_test(test_thin),
        cmocka_unit_test(test_framings), cmocka_unit_test(test_bad),
        cmocka_unit_test(test_written),  cmocka_unit_test(test_thin_chain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

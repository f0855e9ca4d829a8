/* test_vs_magics.c - the one pass for container magic (core sk_magics.c)
 * and the searches that read it (sk_stream_find_in, sk_zip_find_in,
 * virus_scan's squashfs/lzop, LHA and 7z searches) against the
 * straightforward searches they replace, on random and adversarial
 * buffers: magics planted at random offsets (0, 1, the last possible
 * ones), overlapping, valid headers and decoys, bytes dense in magic
 * fragments, and bodies over the candidate cap (each search the old
 * way). The index must be exactly the positions a byte-by-byte reference
 * finds, and every search the same answer with and without it. */
#include <sys/mman.h>
#include <zlib.h>

#include "sk_magics_ref.h"
#include "virus_scan_fixture.h"

static uint64_t rng = 0x5ec1540u;

static unsigned rnd(unsigned lim)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return lim ? (unsigned)(rng >> 11) % lim : 0;
}

/* ---- references: the searches as they were, byte by byte ---- */

/* vs_walk_arc.c's squashfs/lzop search before the index: each magic over
 * the whole object, in this order. */
static size_t ref_unread(const unsigned char *p, size_t n, const char **kind)
{
    static const char *const magic[] = {"hsqs", "sqsh", "\x89LZO"};

    for (size_t i = 0; i < 3; i++) {
        for (size_t at = 1; at < n;) {
            const unsigned char *q = memmem(p + at, n - at, magic[i], 4);
            if (!q)
                break;
            at = (size_t)(q - p);
            if ((*kind = sk_container_unread(q, n - at)) != NULL)
                return at;
            at++;
        }
    }
    return SIZE_MAX;
}

static size_t ref_7z(const unsigned char *p, size_t n, size_t from)
{
    for (size_t i = from; i + 6 <= n; i++)
        if (memcmp(p + i, "7z\xbc\xaf\x27\x1c", 6) == 0)
            return i;
    return SIZE_MAX;
}

/* ---- headers that pass each search's exact test ---- */

static size_t put_le(unsigned char *p, uint32_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (unsigned char)(v >> (8 * i));
    return (size_t)n;
}

/* A valid header (or its bare magic, or a cut one) of kind K into B: its
 * length. */
static size_t header(unsigned char *b, unsigned k, int bare)
{
    size_t n = 0;

    switch (k) {
    case 0: /* gzip: method 8, no flags, XFL 0, OS 3 */
        memcpy(b, "\x1f\x8b\x08\0\0\0\0\0\0\x03", 10), n = 10;
        break;
    case 1:
        memcpy(b, "BZh9\x31\x41\x59\x26\x53\x59", 10), n = 10;
        break;
    case 2: { /* xz: magic, flags (CRC32), their CRC32 */
        static const unsigned char fl[2] = {0, 1};
        memcpy(b,
               "\xfd"
               "7zXZ\0\0\x01",
               8);
        n = 8 + put_le(b + 8, (uint32_t)crc32(0, fl, 2), 4);
        break;
    }
    case 3:
        memcpy(b, "\x28\xb5\x2f\xfd\x00\x00", 6), n = 6;
        break;
    case 4: /* squashfs 4.0 of gzip blocks, 128 KiB */
        memset(b, 0, 32);
        memcpy(b, "hsqs", 4);
        put_le(b + 12, 1u << 17, 4);
        put_le(b + 20, 1, 2);
        put_le(b + 22, 17, 2);
        put_le(b + 28, 4, 2);
        n = 32;
        break;
    case 5: /* big-endian squashfs 3 */
        memset(b, 0, 32);
        memcpy(b, "sqsh", 4);
        b[29] = 3;
        n = 32;
        break;
    case 6:
        memcpy(b, "\x89LZO\0\r\n\x1a\n", 9), n = 9;
        break;
    case 7: { /* LHA level 0: 24-byte header (checksum of bytes 2..23), 5 bytes stored */
        memset(b, 0, 29);
        b[0] = 22;
        memcpy(b + 2, "-lh0-", 5);
        put_le(b + 7, 5, 4);
        put_le(b + 11, 5, 4);
        b[21] = 1, b[22] = 'a';
        unsigned sum = 0;
        for (int i = 2; i < 24; i++)
            sum += b[i];
        b[1] = (unsigned char)sum;
        memcpy(b + 24, "hello", 5);
        n = 29;
        break;
    }
    case 8: /* a plausible local header "a.txt", stored */
        memset(b, 0, 35);
        memcpy(b, "PK\3\4\x14", 5);
        put_le(b + 26, 5, 2);
        memcpy(b + 30, "a.txt", 5);
        n = 35;
        break;
    case 9:
        memset(b, 0, 22);
        memcpy(b, "PK\5\6", 4);
        n = 22;
        break;
    case 10:
        memcpy(b, "7z\xbc\xaf\x27\x1c", 6), n = 6;
        break;
    case 11: /* lz4 frame: version 1, independent blocks, 64 KiB, header checksum */
        memcpy(b, "\x04\x22\x4d\x18\x60\x40\x82", 7), n = 7;
        break;
    default: /* compress -c of "ab" x 12 (16 bits, block mode) */
        memcpy(b, "\x1f\x9d\x90\x61\xc4\x04\x1c\x28\xb0\x20\xc1\x83\x05\x01", 14), n = 14;
        break;
    }
    if (bare == 1)
        n = 4; /* the magic alone, random after it */
    else if (bare == 2)
        n = 1 + rnd(4); /* cut inside the magic */
    return n;
}
#define SK_T_KINDS 13

/* ---- the checks ---- */

/* The index of P by the pass of WIDTH (16: the portable one; 0: the
 * best, AVX2 here when the CPU has it) against the reference. */
static void check_index(const unsigned char *p, size_t n, struct sk_magics *m, unsigned width)
{
    size_t want = 0, j = 0;
    int rc = sk_magics_find_w(m, p, n, width);

    assert_int_equal(rc, m->over ? -1 : 0);
    assert_ptr_equal(m->p, p);
    assert_int_equal(m->len, n);
    for (size_t i = 0; i < n; i++) {
        unsigned k = sk_magics_ref_kinds(p, n, i);
        if (!k)
            continue;
        want++;
        if (m->over)
            continue;
        if (j >= m->n)
            fail_msg("n %zu: offset %zu (kinds %#x) not in the index", n, i, k);
        if (m->v[j].at != i || m->v[j].kinds != k)
            fail_msg("n %zu: index has %zu (%#x) where the reference has %zu (%#x)", n, m->v[j].at,
                     m->v[j].kinds, i, k);
        j++;
    }
    if (m->over) { /* only past the cap */
        assert_true(want > m->max);
        assert_int_equal(m->max, SK_MAGICS_MIN + n / SK_MAGICS_PER);
        assert_null(sk_magics_for(m, p, n));
    } else {
        assert_int_equal(m->n, want);
        assert_ptr_equal(sk_magics_for(m, p, n), m);
        if (n)
            assert_null(sk_magics_for(m, p, n - 1)); /* another object's index */
    }
}

static void check_from(const unsigned char *p, size_t n, const struct sk_magics *m, size_t from)
{
    enum sk_coding c1 = 0, c2 = 0;
    size_t l1 = 0, l2 = 0;

    long a = sk_stream_find(p, n, from, &c1), b = sk_stream_find_in(m, p, n, from, &c2);
    if (a != b || (a >= 0 && c1 != c2))
        fail_msg("n %zu from %zu: stream at %ld (%d), indexed %ld (%d)", n, from, a, c1, b, c2);
    a = sk_zip_find(p + from, n - from), b = sk_zip_find_in(m, p, n, from);
    if (a != b)
        fail_msg("n %zu pos %zu: zip at %ld, indexed %ld", n, from, a, b);
    size_t x = sk_vs_lha_inplace(NULL, p, n, from, &l1), y = sk_vs_lha_inplace(m, p, n, from, &l2);
    if (x != y || (x != SIZE_MAX && l1 != l2))
        fail_msg("n %zu from %zu: LHA at %zu (%zu), indexed %zu (%zu)", n, from, x, l1, y, l2);
    x = ref_7z(p, n, from), y = sk_vs_7z_next(m, p, n, from);
    if (x != y || x != sk_vs_7z_next(NULL, p, n, from))
        fail_msg("n %zu from %zu: 7z at %zu, indexed %zu", n, from, x, y);
}

/* Objects in which each search found something (unread, stream, zip,
 * LHA, 7z): the buffers must hold hits, or the comparison proves little. */
static unsigned hits[5];

/* Every search with the index against the search without. */
static void check_one(const unsigned char *p, size_t n)
{
    struct sk_magics m;
    const char *k1 = NULL, *k2 = NULL, *k3 = NULL;
    enum sk_coding c;
    size_t len;

    check_index(p, n, &m, 16);
    sk_magics_free(&m);
    check_index(p, n, &m, 0);
    /* a walk's step (sk_magics_after) is the search from the next offset */
    for (size_t i = 0; i < m.n && i < 400; i++) {
        unsigned kinds = m.v[i].kinds | (i % 3 == 0 ? SK_MG_STREAMS : 0);
        if (sk_magics_after(&m, i, kinds) != sk_magics_next(&m, m.v[i].at + 1, kinds))
            fail_msg("n %zu: the step after candidate %zu", n, i);
    }
    size_t a = ref_unread(p, n, &k1), b = sk_vs_unread_find(&m, p, n, &k2);
    if (a != b || (a != SIZE_MAX && k1 != k2))
        fail_msg("n %zu: unread at %zu (%s), indexed %zu (%s)", n, a, a != SIZE_MAX ? k1 : "", b,
                 b != SIZE_MAX ? k2 : "");
    assert_int_equal(sk_vs_unread_find(NULL, p, n, &k3), a);
    hits[0] += a != SIZE_MAX;
    if (n <= 700) {
        for (size_t from = 0; from <= n; from++)
            check_from(p, n, &m, from);
    } else {
        size_t fixed[] = {0, 1, 2, 3, n - 6, n - 5, n - 4, n - 1, n};
        for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
            check_from(p, n, &m, fixed[i]);
        for (size_t i = 0; i < m.n && i < 300; i++)
            for (size_t d = 0; d < 3; d++)
                if (m.v[i].at + d >= 1)
                    check_from(p, n, &m, m.v[i].at + d - 1);
        for (int i = 0; i < 64; i++)
            check_from(p, n, &m, rnd((unsigned)n + 1));
    }
    hits[1] += sk_stream_find(p, n, 0, &c) >= 0;
    hits[2] += sk_zip_find(p, n) >= 0;
    hits[3] += sk_vs_lha_inplace(NULL, p, n, 0, &len) != SIZE_MAX;
    hits[4] += ref_7z(p, n, 0) != SIZE_MAX;
    sk_magics_free(&m);
}

/* P[0..N) copied against a page nobody may read, after its end and then
 * before its start: a search that reads a byte outside the object (a
 * vector pass one byte too far, an LHA header before the object) stops
 * the test with SIGSEGV. */
static void check_all(const unsigned char *p, size_t n)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE), span = (n + pg - 1) / pg * pg + pg;
    unsigned char *m =
        mmap(NULL, span + pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    assert_true(m != MAP_FAILED);
    assert_int_equal(mprotect(m + span, pg, PROT_NONE), 0); /* after */
    memcpy(m + span - n, p, n);
    check_one(m + span - n, n);
    assert_int_equal(mprotect(m + span, pg, PROT_READ | PROT_WRITE), 0);
    assert_int_equal(mprotect(m, pg, PROT_NONE), 0); /* before */
    memcpy(m + pg, p, n);
    check_one(m + pg, n);
    munmap(m, span + pg);
}

/* N random bytes with PLANTS headers (whole, bare or cut) at random
 * offsets, at the object's edges more often than not. */
static void fill(unsigned char *p, size_t n, unsigned plants)
{
    unsigned char h[64];

    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)rnd(256);
    for (unsigned i = 0; i < plants && n; i++) {
        size_t len = header(h, rnd(SK_T_KINDS), (int)rnd(3));
        if (len > n)
            continue;
        size_t at;
        switch (rnd(6)) {
        case 0:
            at = 0;
            break;
        case 1:
            at = n > len ? 1 : 0;
            break;
        case 2:
            at = n - len; /* ends with the object */
            break;
        case 3:
            at = n >= 4 ? n - 4 : 0; /* the last 4-byte position (cut when longer) */
            break;
        default:
            at = rnd((unsigned)(n - len + 1));
        }
        memcpy(p + at, h, at + len <= n ? len : n - at);
    }
    if (n >= 100 && plants && rnd(3) == 0) { /* a zip after a prefix: local header, end */
        size_t a = 1 + rnd((unsigned)(n - 90));
        size_t len = header(h, 8, 0);
        memcpy(p + a, h, len);
        /* a name of 1 or 2 bytes ("K", "PK"), the end record right after the header
         * (30 bytes from it: the least sk_zip_find takes), or too close */
        size_t e = rnd(2) ? a + 28 + rnd(4) : a + 28 + rnd((unsigned)(n - a - 28 - 3));
        if (e <= a + 30)
            p[a + 26] = (unsigned char)(1 + rnd(2)); /* "K" or "PK" */
        memcpy(p + e, "PK\5\6", 4);
    }
    if (n >= 40 && plants && rnd(8) == 0) /* an LHA whose header would start before P */
        memcpy(p, "x-lh0-", 6);
}

static void test_random_planted(void **s)
{
    unsigned char *p = malloc(5000);

    (void)s;
    for (int round = 0; round < 3000; round++) {
        size_t n = round < 64 ? (size_t)round : rnd(4) ? rnd(300) : 300 + rnd(4700);
        fill(p, n, rnd(6));
        check_all(p, n);
    }
    for (int i = 0; i < 5; i++) /* each search did find things */
        if (hits[i] < 100)
            fail_msg("search %d found something in %u objects only", i, hits[i]);
    free(p);
}

/* Bytes drawn from the magics' own bytes: candidates overlap, pairs that
 * are no magic at every turn. */
static void test_dense(void **s)
{
    static const unsigned char alpha[] = {
        0x1f, 0x8b, 0x08, 'B', 'Z', 'h', '9', 0xfd, '7',  'z', 'X', 0x28, 0xb5, 0x2f, 's',  'q',
        '-',  'l',  'P',  'K', 3,   4,   5,   6,    0x89, 'L', 'O', 0xbc, 0xaf, 0x27, 0x1c, 0};
    static const char *const frag[] = {"hsqsh",
                                       "sqsqsh",
                                       "PK\3\4PK\5\6",
                                       "-l--l-",
                                       "--lh5--",
                                       "7z7z\xbc\xaf\x27\x1c",
                                       "\x1f\x8b\x1f\x8b\x08",
                                       "BZBZh",
                                       "\x89LZ\x89LZO"};
    unsigned char *p = malloc(3000);

    (void)s;
    for (int round = 0; round < 1500; round++) {
        size_t n = rnd(3) ? rnd(200) : rnd(3000);
        for (size_t i = 0; i < n;) {
            if (rnd(4) == 0) {
                const char *f = frag[rnd(sizeof(frag) / sizeof(frag[0]))];
                size_t l = strlen(f);
                for (size_t j = 0; j < l && i < n; j++)
                    p[i++] = (unsigned char)f[j];
            } else {
                p[i++] = alpha[rnd(sizeof(alpha))];
            }
        }
        if (n > 40 && rnd(2)) { /* and a valid header or two */
            unsigned char h[64];
            size_t len = header(h, rnd(SK_T_KINDS), 0);
            if (len <= n)
                memcpy(p + rnd((unsigned)(n - len + 1)), h, len);
        }
        check_all(p, n);
    }
    free(p);
}

/* Over the cap: more candidates than SK_MAGICS_MIN + n / SK_MAGICS_PER
 * ("hsqs" every 4 bytes, "-lh0-" every 5, "PK\3\4" every 4), with valid
 * headers among them: the index says it is incomplete, and every search
 * (the old way) finds what it found. Just under the cap: complete. */
static void test_over_cap(void **s)
{
    size_t n = 64 * 1024;
    unsigned char *p = malloc(n), h[64];
    static const struct {
        const char *b;
        size_t len;
    } unit[] = {{"hsqs", 4}, {"-lh0-", 5}, {"PK\3\4", 4}, {"\x1f\x8b\x08\0", 4}};

    (void)s;
    for (size_t u = 0; u < sizeof(unit) / sizeof(unit[0]); u++) {
        for (size_t i = 0; i + unit[u].len <= n; i += unit[u].len)
            memcpy(p + i, unit[u].b, unit[u].len);
        for (int k = 0; k < SK_T_KINDS; k++) {
            size_t len = header(h, (unsigned)k, 0);
            memcpy(p + n - 200 + rnd(100), h, len);
        }
        struct sk_magics m;
        assert_int_equal(sk_magics_find(&m, p, n), -1);
        assert_true(m.over);
        sk_magics_free(&m);
        check_all(p, n);
    }
    /* exactly at the cap: complete; one more: over */
    size_t cap = SK_MAGICS_MIN + n / SK_MAGICS_PER;
    for (int extra = 0; extra < 2; extra++) {
        memset(p, 0, n);
        for (size_t i = 0; i < cap + (size_t)extra; i++)
            memcpy(p + i * 8, "7z\xbc\xaf", 4);
        struct sk_magics m;
        assert_int_equal(sk_magics_find(&m, p, n), extra ? -1 : 0);
        assert_int_equal(m.over, extra);
        if (!extra)
            assert_int_equal(m.n, cap);
        sk_magics_free(&m);
        check_all(p, n);
    }
    free(p);
}

/* A 1 MiB body: random, with headers planted far apart. */
static void test_large(void **s)
{
    size_t n = 1u << 20;
    unsigned char *p = malloc(n);

    (void)s;
    for (int round = 0; round < 4; round++) {
        fill(p, n, 40);
        check_all(p, n);
    }
    free(p);
}

/* The walk reports the squashfs image as before: every "hsqs" comes
 * before any "sqsh", wherever they are (the message names the offset),
 * with the index, without it (past the cap), and through the module's
 * body index. */
static void test_walk_order(void **s)
{
    struct sk_vs_conf conf = {.mem_threshold = 1 << 20, .tmp_dir = tmpdir};
    struct sk_vs_limits lim = {.max_files = 100, .max_bytes = UINT64_MAX};
    size_t n = 8192;
    unsigned char *p = malloc(n), h[64];

    (void)s;
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)rnd(256);
    header(h, 5, 0); /* sqsh first */
    memcpy(p + 100, h, 32);
    header(h, 4, 0); /* hsqs later */
    memcpy(p + 5000, h, 32);
    for (int mode = 0; mode < 3; mode++) {
        struct sk_magics m = {.p = p, .len = n, .over = 1};
        struct sk_vs_walk w = {.conf = &conf,
                               .lim = &lim,
                               .max_size = UINT64_MAX,
                               .budget = UINT64_MAX,
                               .rep = {.result = SK_VS_CLEAN}};
        if (mode == 1)
            w.magics = &m; /* incomplete: each search the old way */
        if (mode == 2 && sk_magics_find(&m, p, n) == 0)
            w.magics = &m;
        assert_int_equal(sk_vs_walk_body(&w, p, n, "application/octet-stream", "a.bin"), -1);
        assert_int_equal(w.rep.result, SK_VS_ERROR);
        if (!strstr(w.rep.why, "a squashfs image (gzip) at offset 5000 of a.bin"))
            fail_msg("mode %d: %s", mode, w.rep.why);
        sk_vs_walk_free(&w);
        if (mode == 2)
            sk_magics_free(&m);
    }
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_planted), cmocka_unit_test(test_dense),
        cmocka_unit_test(test_over_cap),       cmocka_unit_test(test_large),
        cmocka_unit_test(test_walk_order),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/* test_decode_zip.c - the zip walker (sekisho/decode.h): stored,
 * deflated, zstd, bzip2, LZMA and xz entries, ZIP64, data descriptors,
 * bytes after the archive, every split; where a zip starts, the central
 * directory and its agreement with the walk, and the raw bytes handed to
 * a reader that wants them all. Shared helpers: support/decode_fixture.c. */
#include <zlib.h>

#include "decode_fixture.h"

static void zip_expect(const struct sk_tzip *z, const char *want_prefix)
{
    for (size_t split = 0; split <= z->n; split += 1) {
        struct mp_rec r = {"", 0};
        struct sk_zip_handler h = {zb, mp_data, mp_end, zt, &r, NULL};
        struct sk_zip *w = sk_zip_new(&h);
        assert_int_equal(sk_zip_write(w, z->p, split), 0);
        assert_int_equal(sk_zip_write(w, z->p + split, z->n - split), 0);
        assert_int_equal(sk_zip_end(w), 0);
        sk_zip_free(w);
        if (strncmp(r.log, want_prefix, strlen(want_prefix)) != 0)
            fail_msg("split %zu:\n got  %s\n want %s...", split, r.log, want_prefix);
    }
}

static void test_zip_walker(void **s)
{
    struct sk_tzip z = {0};

    zip_entry(&z, "a.txt", "stored text", 0, 0, 0);
    zip_entry(&z, "word/document.xml", "deflated 4111 1111 1111 1111", 1, 0, 0);
    zip_entry(&z, "big.bin", "zip64 entry holds EICAR-ish text", 1, 1, 0);
    zip_entry(&z, "d.txt", "descriptor entry", 1, 1, 1);
    zip_entry(&z, "e.txt", "plain descriptor", 1, 0, 1);
    sk_tzip_put(&z,
                "PK\x01\x02"
                "central",
                11);
    sk_tzip_put(&z, "APPENDED SECRET", 15);
    zip_expect(&z, "[a.txt|stored text][word/document.xml|deflated 4111 1111 1111 1111]"
                   "[big.bin|zip64 entry holds EICAR-ish text][d.txt|descriptor entry]"
                   "[e.txt|plain descriptor][tail|PK\x01\x02"
                   "centralAPPENDED SECRET]");
    /* zstd entries (method 93): with sizes, and with a descriptor (the
     * frame's end delimits them), then one that does not decode: tail,
     * and counted as undecoded */
    sk_tzip_free(&z);
    memset(&z, 0, sizeof(z));
    sk_tzip_entry(&z, "z.txt", "zstd entry text", 15, SK_TZIP_ZSTD, 0);
    sk_tzip_entry(&z, "zd.txt", "zstd with a descriptor", 22, SK_TZIP_ZSTD | SK_TZIP_DESC, 0);
    sk_tzip_entry(&z, "after.txt", "after", 5, 0, 0);
    zip_expect(&z, "[z.txt|zstd entry text][zd.txt|zstd with a descriptor][after.txt|after]");
    {
        size_t good = z.n;
        sk_tzip_entry(&z, "bad.txt", "corrupt zstd entry", 18, SK_TZIP_ZSTD, 0);
        z.p[good + 30 + 7] = 0; /* its frame's magic */
        struct mp_rec r = {"", 0};
        struct sk_zip_handler h = {zb, mp_data, mp_end, zt, &r, NULL};
        struct sk_zip *w = sk_zip_new(&h);
        assert_int_equal(sk_zip_write(w, z.p, z.n), 0);
        assert_int_equal(sk_zip_end(w), 0);
        assert_int_equal(sk_zip_stats(w)->undecoded, 1);
        assert_true(sk_zip_stats(w)->corrupt);
        sk_zip_free(w);
        /* cut inside the zstd entry: undecoded too */
        w = sk_zip_new(&h);
        assert_int_equal(sk_zip_write(w, z.p, good + 40), 0);
        assert_int_equal(sk_zip_end(w), 0);
        assert_int_equal(sk_zip_stats(w)->undecoded, 1);
        sk_zip_free(w);
    }
    /* bzip2 (12), LZMA (14) and xz (95) entries of known size, ZIP64
     * sizes too: the toolkit's decoders read them */
    z.n = 0;
    sk_tzip_entry(&z, "b.txt", "bzip2 entry text", 16, SK_TZIP_BZIP2, 0);
    sk_tzip_entry(&z, "l.txt", "lzma entry text", 15, SK_TZIP_LZMA, 0);
    sk_tzip_entry(&z, "x.txt", "xz entry text", 13, SK_TZIP_XZ | SK_TZIP_ZIP64, 0);
    sk_tzip_entry(&z, "after.txt", "after", 5, 0, 0);
    zip_expect(&z, "[b.txt|bzip2 entry text][l.txt|lzma entry text][x.txt|xz entry text]"
                   "[after.txt|after]");
    {
        /* method 14 without flag bit 1: the stream's size is the entry's
         * (liblzma takes the end marker after it too) */
        size_t at = z.n;
        sk_tzip_entry(&z, "k.txt", "lzma of known size", 18, SK_TZIP_LZMA, 0);
        z.p[at + 6] &= (unsigned char)~2;
        zip_expect(&z, "[b.txt|bzip2 entry text][l.txt|lzma entry text][x.txt|xz entry text]"
                       "[after.txt|after][k.txt|lzma of known size]");
    }
    /* each of them corrupt, cut short, or without properties: undecoded,
     * the rest of the entry dropped and the walk goes on after it */
    for (int m = 0; m < 5; m++) {
        static const unsigned opts[] = {SK_TZIP_BZIP2, SK_TZIP_LZMA, SK_TZIP_XZ, SK_TZIP_LZMA,
                                        SK_TZIP_BZIP2};
        char text[200];
        memset(text, 'q', sizeof(text));
        z.n = 0;
        sk_tzip_entry(&z, "bad.txt", text, sizeof(text), opts[m], 0);
        size_t data = 30 + 7, end = z.n;
        if (m == 3)
            z.p[data + 2] = 4; /* properties' size */
        else if (m == 4)
            z.p[18] = z.p[18] - 3; /* compressed size: cut inside the stream */
        else
            z.p[end - 6] ^= 0x55; /* inside the stream's last bytes (xz: its index) */
        if (m == 4) {
            memmove(z.p + end - 3, z.p + end, 0);
            z.n = end - 3;
        }
        sk_tzip_entry(&z, "after.txt", "after", 5, 0, 0);
        for (size_t split = 0; split <= z.n; split++) {
            struct mp_rec r = {"", 0};
            struct sk_zip_handler h = {zb, mp_data, mp_end, zt, &r, NULL};
            struct sk_zip *w = sk_zip_new(&h);
            assert_int_equal(sk_zip_write(w, z.p, split), 0);
            assert_int_equal(sk_zip_write(w, z.p + split, z.n - split), 0);
            assert_int_equal(sk_zip_end(w), 0);
            if (sk_zip_stats(w)->undecoded != 1 || !sk_zip_stats(w)->corrupt ||
                !memmem(r.log, r.n, "[after.txt|after]", 17)) /* garbage may hold NULs */
                fail_msg("case %d split %zu: undecoded %u, log (%zu) ...%s", m, split,
                         sk_zip_stats(w)->undecoded, r.n, r.log + (r.n > 60 ? r.n - 60 : 0));
            sk_zip_free(w);
        }
    }
    /* with a descriptor (no length): unsupported, its bytes the tail's */
    z.n = 0;
    sk_tzip_entry(&z, "bd.txt", "bzip2 with a descriptor", 23, SK_TZIP_BZIP2 | SK_TZIP_DESC, 0);
    zip_expect(&z, "[bd.txt|][tail|BZh9");
    /* stored with a descriptor has no length: the rest is tail, not lost */
    z.n = 0;
    zip_entry(&z, "s.txt", "stored data nobody can delimit", 0, 0, 1);
    zip_expect(&z, "[s.txt|][tail|stored data nobody can delimit");
    /* not a zip at all */
    z.n = 0;
    sk_tzip_put(&z, "plain", 5);
    zip_expect(&z, "[tail|plain]");
    assert_int_equal(sk_container_sniff((const unsigned char *)"PK\x03\x04", 4), SK_CT_ZIP);
    assert_int_equal(sk_container_sniff((const unsigned char *)"\x1f\x8b\x08", 3), SK_CT_GZIP);
    assert_int_equal(sk_container_sniff((const unsigned char *)"PK\x05\x06", 4), SK_CT_NONE);
    sk_tzip_free(&z);
}

/* The central directory reader and the agreement check: what a walk read
 * (its entries' offsets, methods, sizes) against what extractors read. */
struct cd_rec {
    struct sk_zip_cd_entry e[8];
    int n, stop_at;
};

static int cd_cb(void *arg, const struct sk_zip_cd_entry *e)
{
    struct cd_rec *r = arg;
    if (r->n == r->stop_at)
        return -1;
    r->e[r->n++] = *e;
    return 0;
}

static struct sk_zip_seen seen;

static int seen_begin(void *arg, const struct sk_zip_entry *e)
{
    (void)arg;
    sk_zip_seen_add(&seen, e, 0);
    return 1;
}
static int seen_data(void *arg, const void *b, size_t n)
{
    (void)arg, (void)b, (void)n;
    return 0;
}
static int seen_end(void *arg)
{
    (void)arg;
    return 0;
}
static int seen_tail(void *arg)
{
    (void)arg;
    return 0;
}

/* Walk P from OFF on; the entries it read are in seen. */
static void seen_walk(const unsigned char *p, size_t n, size_t off)
{
    struct sk_zip_handler h = {seen_begin, seen_data, seen_end, seen_tail, NULL, NULL};
    struct sk_zip *w = sk_zip_new(&h);
    sk_zip_seen_free(&seen);
    assert_int_equal(sk_zip_write(w, p + off, n - off), 0);
    assert_int_equal(sk_zip_end(w), 0);
    sk_zip_free(w);
}

static void test_zip_directory(void **s)
{
    struct sk_tzip z = {0};
    struct cd_rec r = {.stop_at = -1};
    unsigned char hdr[30 + 255 + 20];

    (void)s;
    sk_tzip_entry(&z, "a.txt", "stored text", 11, 0, 0);
    sk_tzip_entry(&z, "b.txt", "deflated text deflated text", 27, SK_TZIP_DEFLATE, 0);
    sk_tzip_entry(&z, "c.txt", "zip64 entry", 11, SK_TZIP_DEFLATE | SK_TZIP_ZIP64, 0);
    sk_tzip_entry(&z, "d.txt", "with a descriptor", 17, SK_TZIP_DEFLATE | SK_TZIP_DESC, 0);
    size_t ends = z.n;
    sk_tzip_central(&z);
    /* every record read, each agreeing with the walk */
    assert_int_equal(sk_zip_cd_each(z.p, z.n, 0, cd_cb, &r), 4);
    seen_walk(z.p, z.n, 0);
    assert_int_equal(seen.n, 4);
    for (int i = 0; i < 4; i++)
        assert_true(sk_zip_cd_agrees(&seen, &r.e[i]));
    assert_int_equal(r.e[0].local, 0);
    assert_int_equal(r.e[1].method, 8);
    assert_int_equal(r.e[2].csize, seen.v[2].csize); /* from the ZIP64 extra field */
    assert_int_equal(seen.v[3].sized, 0);            /* flag bit 3 */
    /* a stub before the archive: offsets shifted, as zipfile does */
    {
        unsigned char *sfx = malloc(z.n + 100);
        memset(sfx, 'M', 100);
        memcpy(sfx + 100, z.p, z.n);
        r.n = 0;
        assert_int_equal(sk_zip_cd_each(sfx, z.n + 100, 0, cd_cb, &r), 4);
        assert_int_equal(r.e[1].local, 100 + seen.v[1].offset);
        /* a window of the tail only (BASE): the same records */
        r.n = 0;
        assert_int_equal(sk_zip_cd_each(sfx + 100 + ends, z.n - ends, 100 + ends, cd_cb, &r), 4);
        assert_int_equal(r.e[3].local, 100 + seen.v[3].offset);
        /* the directory before the window: not checkable */
        assert_int_equal(sk_zip_cd_each(sfx + 101 + ends, z.n - ends - 1, 101 + ends, cd_cb, &r),
                         -2);
        free(sfx);
    }
    /* a forged end record in the comment (zipfile takes it, Java the one
     * whose comment reaches the end) and a locator without its ZIP64
     * record (zipfile ignores it): the real directory is read */
    {
        unsigned char *f = malloc(z.n + 64);
        memcpy(f, z.p, z.n);
        size_t e = z.n - 22, m = z.n;
        static const unsigned char fake[22] = {'P', 'K', 5, 6, 0, 0, 0, 0, 0, 0, 0,
                                               0,   0,   0, 0, 0, 0, 0, 0, 0, 7, 0};
        memcpy(f + m, fake, 22), m += 22;
        f[e + 20] = 22; /* the real record's comment holds the fake */
        r.n = 0;
        assert_int_equal(sk_zip_cd_each(f, m, 0, cd_cb, &r), 4);
        memcpy(f, z.p, z.n);
        memmove(f + e + 20, f + e, 22);
        memcpy(f + e, "PK\6\7\0\0\0\0\0\0\0\0\0\0\0\0\1\0\0\0", 20);
        f[e + 20 + 12] = (unsigned char)(f[e + 20 + 12] + 20); /* the locator is in the size */
        r.n = 0;
        assert_int_equal(sk_zip_cd_each(f, z.n + 20, 0, cd_cb, &r), 4);
        free(f);
    }
    /* EACH stops; no end record; a cut directory */
    r.n = 0, r.stop_at = 1;
    assert_int_equal(sk_zip_cd_each(z.p, z.n, 0, cd_cb, &r), -3);
    r.stop_at = -1;
    assert_int_equal(sk_zip_cd_each(z.p, ends, 0, cd_cb, &r), -1);
    assert_int_equal(sk_zip_cd_each(z.p, z.n - 1, 0, cd_cb, &r), -1);
    /* disagreements: another method, another size, an encrypted flag, an
     * offset no header the walk read is at */
    r.n = 0;
    assert_int_equal(sk_zip_cd_each(z.p, z.n, 0, cd_cb, &r), 4);
    struct sk_zip_cd_entry e = r.e[0];
    e.method = 8;
    assert_false(sk_zip_cd_agrees(&seen, &e));
    e = r.e[0], e.csize++;
    assert_false(sk_zip_cd_agrees(&seen, &e));
    e = r.e[0], e.flags |= 1;
    assert_false(sk_zip_cd_agrees(&seen, &e));
    e = r.e[0], e.local++;
    assert_false(sk_zip_cd_agrees(&seen, &e));
    e = r.e[3], e.csize += 7; /* bit 3: the header gave no size to compare */
    assert_true(sk_zip_cd_agrees(&seen, &e));
    /* a header for a record: a walker reads the entry as the record says */
    e = r.e[1];
    size_t hl = sk_zip_cd_header(&e, "b.txt", hdr);
    assert_int_equal(hl, 35);
    unsigned char *one = malloc(hl + e.csize);
    memcpy(one, hdr, hl);
    memcpy(one + hl, z.p + seen.v[1].offset + 35, e.csize);
    zip_expect(&(struct sk_tzip){.p = one, .n = hl + e.csize},
               "[b.txt|deflated text deflated text]");
    e.csize = 0xffffffffu; /* ZIP64 sizes: an extra field */
    assert_int_equal(sk_zip_cd_header(&e, "b.txt", hdr), 55);
    free(one);
    sk_tzip_free(&z);
    sk_zip_seen_free(&seen);
}

/* Where a zip starts (sk_zip_find), whether a local header is one
 * (sk_zip_local_plausible), ZIP64 records (sk_zip_has_zip64), and where the
 * walker's tail began (stats.tail_bytes). */
static void test_zip_find(void **s)
{
    struct sk_tzip z = {0}, b = {0};
    static const char eocd[22] = "PK\x05\x06";

    zip_entry(&z, "a.txt", "stored text", 0, 0, 0);
    const unsigned char *h = z.p;
    assert_int_equal(sk_zip_local_plausible(h, z.n), 1);
    assert_int_equal(sk_zip_local_plausible(h, 34), -1); /* name not all in */
    assert_int_equal(sk_zip_local_plausible(h, 29), -1);
    assert_int_equal(sk_zip_local_plausible((const unsigned char *)"PK\x03\x05", 4), 0);
    unsigned char bad[64];
    memcpy(bad, h, sizeof(bad));
    bad[8] = 7; /* method 7: no writer uses it */
    assert_int_equal(sk_zip_local_plausible(bad, sizeof(bad)), 0);
    memcpy(bad, h, sizeof(bad));
    bad[31] = '\n'; /* a control byte in the name */
    assert_int_equal(sk_zip_local_plausible(bad, sizeof(bad)), 0);
    memcpy(bad, h, sizeof(bad));
    bad[4] = 64; /* version 6.4: none exists */
    assert_int_equal(sk_zip_local_plausible(bad, sizeof(bad)), 0);
    size_t entry = z.n;
    sk_tzip_put(&z, eocd, sizeof(eocd));

    /* at 0; after 100 constants (no try limit); not without an end after */
    assert_int_equal(sk_zip_find(z.p, z.n), 0);
    sk_tzip_put(&b, "MZ", 2);
    for (int i = 0; i < 100; i++)
        sk_tzip_put(&b, "PK\x03\x04\x0f\xe8", 6);
    size_t at = b.n;
    sk_tzip_put(&b, (const char *)z.p, z.n);
    assert_int_equal(sk_zip_find(b.p, b.n), (long)at);
    assert_int_equal(sk_zip_find(b.p, b.n - sizeof(eocd)), -1);
    /* the end must be at least a header's length after the candidate */
    b.n = 0;
    sk_tzip_put(&b, "MZ", 2);
    sk_tzip_put(&b, (const char *)z.p, 29);
    sk_tzip_put(&b, eocd, sizeof(eocd));
    assert_int_equal(sk_zip_find(b.p, b.n), -1);

    /* the tail begins where the walker stopped reading entries */
    struct mp_rec r = {"", 0};
    struct sk_zip_handler zh = {zb, mp_data, mp_end, zt, &r, NULL};
    struct sk_zip *w = sk_zip_new(&zh);
    assert_int_equal(sk_zip_write(w, z.p, z.n), 0);
    assert_int_equal(sk_zip_end(w), 0);
    assert_int_equal(sk_zip_stats(w)->tail_bytes, z.n - entry);
    sk_zip_free(w);

    assert_int_equal(sk_zip_has_zip64(z.p, z.n), 0);
    b.n = 0;
    zip_entry(&b, "big.bin", "zip64 sizes", 1, 1, 0);
    assert_int_equal(sk_zip_has_zip64(b.p, b.n), 1);
    /* "PK\6\6" in data far before the tail, or without its locator, is none */
    b.n = 0;
    sk_tzip_put(&b, "PK\x06\x06", 4);
    for (int i = 0; i < 9000; i++)
        sk_tzip_put(&b, "filler..", 8);
    sk_tzip_put(&b, (const char *)z.p, z.n);
    assert_int_equal(sk_zip_has_zip64(b.p, b.n), 0);
    b.n = 0;
    sk_tzip_put(&b, (const char *)z.p, entry);
    sk_tzip_put(&b, "PK\x06\x06", 4);
    sk_tzip_put(&b, "PK\x06\x07", 4);
    assert_int_equal(sk_zip_has_zip64(b.p, b.n), 1);
    sk_tzip_free(&z);
    sk_tzip_free(&b);
}

static size_t raw_n, data_n;
static char raw_log[1024];
static int zraw(void *arg, const void *buf, size_t len)
{
    (void)arg;
    assert_true(raw_n + len < sizeof(raw_log));
    memcpy(raw_log + raw_n, buf, len);
    raw_n += len;
    return 0;
}
static int zdata(void *arg, const void *buf, size_t len)
{
    (void)arg, (void)buf;
    data_n += len;
    return 0;
}
static int zbegin(void *arg, const struct sk_zip_entry *e)
{
    (void)arg;
    return e->encrypted ? 0 : 1;
}
static int znop(void *arg)
{
    (void)arg;
    return 0;
}

/* handler.raw: a stored archive's bytes are entry data, raw or tail, each
 * byte once, whatever the write size: names, extra fields, descriptors
 * and an entry not read reach the reader that wants every byte. */
static void test_zip_raw(void **s)
{
    struct sk_tzip z = {0};

    sk_tzip_entry(&z, "name 4111 1111 1111 1111.txt", "stored", 6, 0, 0);
    sk_tzip_entry(&z, "big.bin", "zip64 sizes", 11, SK_TZIP_ZIP64, 0);
    sk_tzip_entry(&z, "secret.txt", "not read: 4111 1111 1111 1111", 29, 0, 1 /* encrypted */);
    sk_tzip_entry(&z, "d.bin", "descriptor", 10, SK_TZIP_DEFLATE | SK_TZIP_DESC, 0);
    size_t entries = z.n;
    sk_tzip_central(&z);
    for (size_t w = 1; w <= z.n; w = w < 8 ? w + 1 : w * 3) {
        struct mp_rec r = {"", 0};
        struct sk_zip_handler h = {zbegin, zdata, znop, znop, &r, zraw};
        struct sk_zip *k = sk_zip_new(&h);
        raw_n = data_n = 0;
        for (size_t off = 0; off < z.n; off += w)
            assert_int_equal(sk_zip_write(k, z.p + off, off + w < z.n ? w : z.n - off), 0);
        assert_int_equal(sk_zip_end(k), 0);
        const struct sk_zip_stats *st = sk_zip_stats(k);
        /* the deflated entry's compressed bytes are its data's source */
        size_t deflated = entries - raw_n - (6 + 11);
        assert_int_equal(st->tail_bytes, z.n - entries);
        assert_true(memmem(raw_log, raw_n, "name 4111 1111 1111 1111.txt", 28) != NULL);
        assert_true(memmem(raw_log, raw_n, "not read: 4111 1111 1111 1111", 29) != NULL);
        assert_true(memmem(raw_log, raw_n, "PK\x07\x08", 4) != NULL); /* the descriptor */
        assert_int_equal(data_n, 6 + 11 + 10 + st->tail_bytes);       /* the tail comes as data */
        assert_true(deflated > 0 && deflated < 32);
        sk_zip_free(k);
    }
    sk_tzip_free(&z);
}

/* ---- the decompression guard on the walk (sk_zip_guard) ---- */

struct zg_rec {
    uint64_t out;
    unsigned entries;
    int tail;
    int skip; /* begin says 0: entries decoded only to find their end */
};

static int zg_begin(void *arg, const struct sk_zip_entry *e)
{
    (void)e;
    ((struct zg_rec *)arg)->entries++;
    return ((struct zg_rec *)arg)->skip ? 0 : 1;
}

static int zg_data(void *arg, const void *buf, size_t len)
{
    struct zg_rec *r = arg;

    (void)buf;
    r->out += r->tail ? 0 : len; /* the central directory is no entry's */
    return 0;
}

static int zg_end(void *arg)
{
    (void)arg;
    return 0;
}

static int zg_tail(void *arg)
{
    ((struct zg_rec *)arg)->tail = 1;
    return 0;
}

/* Walk Z[0..N) in writes of STEP bytes (0: one write) under the default
 * guard (100:1 past 1 MiB), or none (GUARD 0); *OUT: what the handler
 * got. Returns st.bomb, or -1 when the walk stopped otherwise. */
static int zg_walk_skip(const unsigned char *p, size_t n, size_t step, int guard, int skip,
                        uint64_t *out)
{
    const struct sk_decode_limits lim = {.out_max = UINT64_MAX, .ratio = 100, .floor = 1u << 20};
    struct zg_rec r = {0, 0, 0, skip};
    struct sk_zip_handler h = {zg_begin, zg_data, zg_end, zg_tail, &r, NULL};
    struct sk_zip *w = sk_zip_new(&h);
    int rc = 0;

    assert_non_null(w);
    if (guard)
        sk_zip_guard(w, &lim);
    for (size_t at = 0; rc == 0 && at < n;) {
        size_t k = step && n - at > step ? step : n - at;
        rc = sk_zip_write(w, p + at, k);
        at += k;
    }
    if (rc == 0)
        rc = sk_zip_end(w);
    int bomb = sk_zip_stats(w)->bomb;
    sk_zip_free(w);
    *out = r.out;
    return bomb ? bomb : rc;
}

static int zg_walk(const unsigned char *p, size_t n, size_t step, int guard, uint64_t *out)
{
    return zg_walk_skip(p, n, step, guard, 0, out);
}

/* The bound with the defaults for N compressed bytes, and what a guarded
 * walk may hand out before it stops: the bound counts each 16 KiB slice
 * as taken, and the decoder's last output buffer comes on top. */
static uint64_t zg_most(uint64_t n)
{
    return (1u << 20) + 100 * (n + (16u << 10)) + (256u << 10);
}

static void test_zip_guard(void **s)
{
    size_t big = 24u << 20, n;
    unsigned char *zero = calloc(1, big), *zb;
    uint64_t out;
    static const unsigned methods[] = {
        SK_TZIP_DEFLATE, SK_TZIP_DEFLATE | SK_TZIP_DESC, SK_TZIP_BZIP2, SK_TZIP_LZMA, SK_TZIP_XZ,
        SK_TZIP_ZSTD,    SK_TZIP_DEFLATE | SK_TZIP_ZIP64};

    (void)s;
    assert_non_null(zero);
    /* one bomb entry of each method, after a small text entry: stopped
     * within its bound, in one write and in odd writes; unguarded the
     * walker hands out all of it (the guard is what stops it) */
    for (size_t m = 0; m < sizeof(methods) / sizeof(*methods); m++) {
        struct sk_tzip z = {0};
        sk_tzip_entry(&z, "readme.txt", "hello", 5, 0, 0);
        size_t before = z.n;
        sk_tzip_entry(&z, "zeros.bin", zero, big, methods[m], 0);
        size_t csize = z.n - before;
        sk_tzip_central(&z);
        zb = sk_tzip_take(&z, &n);
        assert_int_equal(zg_walk(zb, n, 0, 1, &out), 1);
        if (out > zg_most(csize))
            fail_msg("method %u: %llu bytes out of %zu", methods[m], (unsigned long long)out,
                     csize);
        assert_int_equal(zg_walk(zb, n, 4093, 1, &out), 1);
        assert_true(out <= zg_most(csize));
        assert_int_equal(zg_walk(zb, n, 0, 0, &out), 0);
        assert_int_equal(out, big + 5);
        free(zb);
    }
    /* a bomb entry written at once with 2 MiB of stored noise after it:
     * the bound counts the slice the decoder has, not the whole write */
    {
        struct sk_tzip z = {0};
        unsigned char *noise = malloc(2u << 20);
        for (size_t i = 0; i < (2u << 20); i++)
            noise[i] = (unsigned char)rnd();
        sk_tzip_entry(&z, "zeros.bin", zero, big, SK_TZIP_DEFLATE, 0);
        size_t csize = z.n;
        sk_tzip_entry(&z, "noise.bin", noise, 2u << 20, 0, 0);
        sk_tzip_central(&z);
        zb = sk_tzip_take(&z, &n);
        assert_int_equal(zg_walk(zb, n, 0, 1, &out), 1);
        assert_true(out <= zg_most(csize));
        free(zb), free(noise);
    }
    /* 4 MiB of stored noise, then a bomb entry: the archive's bound is
     * far (400 MiB), the entry's is not - also for entries the handler
     * skips, which the walker still decodes to find their end */
    {
        struct sk_tzip z = {0};
        unsigned char *noise = malloc(4u << 20);
        for (size_t i = 0; i < (4u << 20); i++)
            noise[i] = (unsigned char)rnd();
        sk_tzip_entry(&z, "noise.bin", noise, 4u << 20, 0, 0);
        sk_tzip_entry(&z, "zeros.bin", zero, big, SK_TZIP_DEFLATE | SK_TZIP_DESC, 0);
        sk_tzip_central(&z);
        zb = sk_tzip_take(&z, &n);
        for (int skip = 0; skip < 2; skip++)
            if (zg_walk_skip(zb, n, 0, 1, skip, &out) != 1)
                fail_msg("a bomb after noise (skip %d) not stopped: %llu out", skip,
                         (unsigned long long)out);
        free(zb), free(noise);
    }
    /* many entries, each within the bound of its own bytes (1 MiB of
     * zeros: the floor), together far beyond the archive's: 2 */
    {
        struct sk_tzip z = {0};
        char name[32];
        for (int i = 0; i < 40; i++) {
            snprintf(name, sizeof(name), "m%d.bin", i);
            sk_tzip_entry(&z, name, zero, 1u << 20, SK_TZIP_DEFLATE, 0);
        }
        sk_tzip_central(&z);
        zb = sk_tzip_take(&z, &n);
        assert_int_equal(zg_walk(zb, n, 0, 1, &out), 2);
        assert_true(out < (40u << 20) && out <= zg_most(n));
        assert_int_equal(zg_walk(zb, n, 0, 0, &out), 0);
        assert_int_equal(out, 40u << 20);
        free(zb);
    }
    /* legitimate: hex text (~2x) and 1 MiB of zeros (the floor: any
     * ratio) pass whole, in one write and in small ones */
    {
        struct sk_tzip z = {0};
        size_t tn = 3u << 20;
        unsigned char *t = malloc(tn);
        for (size_t i = 0; i < tn; i++)
            t[i] = (unsigned char)"0123456789abcdef"[rnd() % 16];
        for (size_t i = 0; i < tn; i += 40)
            t[i] = '\n';
        sk_tzip_entry(&z, "log.txt", t, tn, SK_TZIP_DEFLATE, 0);
        sk_tzip_entry(&z, "floor.bin", zero, 1u << 20, SK_TZIP_DEFLATE, 0);
        sk_tzip_central(&z);
        zb = sk_tzip_take(&z, &n);
        assert_int_equal(zg_walk(zb, n, 0, 1, &out), 0);
        assert_int_equal(out, tn + (1u << 20));
        assert_int_equal(zg_walk(zb, n, 1000, 1, &out), 0);
        assert_int_equal(out, tn + (1u << 20));
        free(zb);
        free(t);
    }
    free(zero);
}

/* A bare zlib stream at the start of an object (sk_container_sniff): told
 * by its header and by zlib inflating what the head holds of it; text
 * that happens to start with a zlib header ("x^", "HK") and random bytes
 * after a header are not one. */
static void test_zlib_sniff(void **s)
{
    unsigned char text[20000], z[24000], head[512];
    uLongf zn;
    (void)s;

    for (size_t i = 0; i < sizeof(text); i++)
        text[i] = (unsigned char)("card 4111 1111 1111 1111, eicar, words "[i % 39] + i / 997 % 3);
    /* every level (0x78 0x01 / 5e / 9c / da) and window size zlib writes */
    for (int level = 0; level <= 9; level++)
        for (int wbits = 9; wbits <= 15; wbits++) {
            z_stream d = {0};
            assert_int_equal(deflateInit2(&d, level, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY),
                             Z_OK);
            d.next_in = text;
            d.avail_in = sizeof(text);
            d.next_out = z;
            d.avail_out = sizeof(z);
            assert_int_equal(deflate(&d, Z_FINISH), Z_STREAM_END);
            zn = d.total_out;
            deflateEnd(&d);
            /* the whole stream; a 512-byte head of it; a 64-byte one */
            if (sk_container_sniff(z, zn) != SK_CT_ZLIB ||
                sk_container_sniff(z, sizeof(head)) != SK_CT_ZLIB ||
                sk_container_sniff(z, 64) != SK_CT_ZLIB)
                fail_msg("level %d window %d: not told as zlib", level, wbits);
            /* a head shorter than 64 bytes of a longer stream says nothing */
            assert_int_equal(sk_container_sniff(z, 63), SK_CT_NONE);
        }
    /* a short stream, whole: its checksum decides */
    zn = sizeof(z);
    assert_int_equal(compress(z, &zn, (const unsigned char *)"4111 1111 1111 1111", 19), Z_OK);
    assert_true(zn < 64);
    assert_int_equal(sk_container_sniff(z, zn), SK_CT_ZLIB);
    z[zn - 1] ^= 1; /* adler32 */
    assert_int_equal(sk_container_sniff(z, zn), SK_CT_NONE);
    z[zn - 1] ^= 1;
    z[1] |= 0x20; /* a preset dictionary: nobody here has it */
    assert_int_equal(sk_container_sniff(z, zn), SK_CT_NONE);
    assert_int_equal(sk_container_coding(SK_CT_ZLIB), SK_CODING_DEFLATE);
    /* corrupt further on: one when 256 bytes inflated before the error */
    for (size_t i = 0; i < sizeof(text); i++) {
        text[i] = (unsigned char)('a' + rnd() % 26);
    }
    zn = sizeof(z);
    assert_int_equal(compress2(z, &zn, text, sizeof(text), 9), Z_OK);
    assert_true(zn > 1024);
    memcpy(head, z, sizeof(head));
    head[300] ^= 0xff, head[301] ^= 0xff, head[302] ^= 0xff;
    assert_int_equal(sk_container_sniff(head, sizeof(head)), SK_CT_ZLIB);
    memcpy(head, z, sizeof(head));
    head[40] ^= 0xff, head[41] ^= 0xff, head[42] ^= 0xff;
    assert_int_equal(sk_container_sniff(head, sizeof(head)), SK_CT_NONE);
    /* text with a zlib header for its first two bytes */
    static const char *const texts[] = {
        "x^2 + y^2 = z^2, and so on for a few more lines of ordinary text in a file. ",
        "HKEY_LOCAL_MACHINE\\SOFTWARE\\Vendor\\Product = \"value\" ; registry text ",
        "x\x01 then ordinary text: the rest of a line of prose in a notes file, again ",
        "HK$ 1,234.00 paid on 2026-01-01 for invoice 77; HK$ 99.00 paid later on ... "};
    for (size_t t = 0; t < sizeof(texts) / sizeof(texts[0]); t++) {
        size_t l = strlen(texts[t]);
        for (size_t i = 0; i < sizeof(head); i++)
            head[i] = (unsigned char)texts[t][i % l];
        if (sk_container_sniff(head, sizeof(head)) != SK_CT_NONE)
            fail_msg("text %zu taken for zlib", t);
    }
    /* random bytes after each valid header: none passes */
    unsigned hdrs = 0, taken = 0;
    for (unsigned cmf = 0x08; cmf <= 0x78; cmf += 0x10)
        for (unsigned flg = 0; flg < 256; flg++) {
            if ((flg & 0x20) || ((cmf << 8) | flg) % 31)
                continue;
            hdrs++;
            for (int k = 0; k < 2000; k++) {
                head[0] = (unsigned char)cmf;
                head[1] = (unsigned char)flg;
                for (size_t i = 2; i < sizeof(head); i++) {
                    head[i] = (unsigned char)(rnd() >> 8);
                }
                taken += sk_container_sniff(head, sizeof(head)) == SK_CT_ZLIB;
            }
        }
    assert_int_equal(hdrs, 8 * 4);
    if (taken)
        fail_msg("%u of %u random heads after a zlib header taken for zlib", taken, hdrs * 2000);
}

/* A zlib stream that fails early (sk_container_zlib_cut): a candidate,
 * and a decoder with drop_rest hands on exactly what zlib inflated before
 * the error - nothing of the bytes after it. */
static void test_zlib_cut(void **s)
{
    unsigned char text[4000], z[8000], ref[8000];
    uLongf zn = sizeof(z);
    (void)s;

    for (size_t i = 0; i < sizeof(text); i++)
        text[i] = (unsigned char)("card 4111 1111 1111 1111, eicar, words "[i % 39] + i / 97 % 3);
    z_stream zs = {0}; /* fixed Huffman codes: literals from the start */
    assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, 15, 8, Z_FIXED), Z_OK);
    zs.next_in = text, zs.avail_in = sizeof(text), zs.next_out = z, zs.avail_out = sizeof(z);
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    zn = zs.total_out;
    deflateEnd(&zs);
    /* whole, it is zlib, not a cut one; nor a gzip */
    assert_int_equal(sk_container_zlib_cut(sk_container_sniff(z, zn), z, zn), 0);
    assert_int_equal(
        sk_container_zlib_cut(SK_CT_GZIP, (const unsigned char *)"\x1f\x8b\x08\0\0\0\0\0\0\3", 10),
        0);
    /* the bytes after the first 40 replaced until an invalid code comes
     * within the first 256 */
    size_t refn = 0, used = 0;
    int zrc = Z_OK;
    for (int tries = 0; tries < 200 && (zrc != Z_DATA_ERROR || used >= 256); tries++) {
        for (size_t i = 40; i < zn; i++)
            z[i] = (unsigned char)(rnd() >> 8);
        memset(&zs, 0, sizeof(zs));
        assert_int_equal(inflateInit(&zs), Z_OK);
        zs.next_in = z, zs.avail_in = (uInt)zn, zs.next_out = ref, zs.avail_out = sizeof(ref);
        zrc = inflate(&zs, Z_NO_FLUSH);
        refn = zs.total_out, used = zs.total_in;
        inflateEnd(&zs);
    }
    if (zrc != Z_DATA_ERROR || used >= 256 || refn < 40)
        fail_msg("no early error (%d after %zu bytes, %zu out)", zrc, used, refn);
    assert_int_equal(sk_container_sniff(z, zn), SK_CT_NONE);
    assert_int_equal(sk_container_zlib_cut(sk_container_sniff(z, zn), z, zn), 1);
    z[1] |= 0x20; /* a preset dictionary */
    assert_int_equal(sk_container_zlib_cut(sk_container_sniff(z, zn), z, zn), 0);
    z[1] &= (unsigned char)~0x20;
    struct sk_coding_chain ch = {.c = {SK_CODING_DEFLATE}, .n = 1};
    for (int drop = 0; drop <= 1; drop++) {
        struct sk_decode_limits lim = {.out_max = 1u << 20, .drop_rest = drop};
        struct out o = {0};
        struct sk_decoder *d = sk_decoder_new(&ch, &lim);
        assert_non_null(d);
        /* in two writes, the second after the error */
        assert_int_equal(sk_decoder_feed(d, z, used + 10, 0, out_sink, &o), SK_DECODE_CORRUPT);
        assert_int_equal(sk_decoder_feed(d, z + used + 10, zn - used - 10, 1, out_sink, &o),
                         SK_DECODE_OK); /* reported once */
        sk_decoder_free(d);
        if (drop) {
            assert_int_equal(o.len, refn);
            assert_memory_equal(o.p, ref, refn);
        } else { /* the rest as it is, after what inflated */
            assert_true(o.len > refn + (zn - used - 10));
        }
        free(o.p);
    }
    /* text with a zlib header for its first bytes is a candidate too */
    assert_int_equal(
        sk_container_zlib_cut(SK_CT_NONE, (const unsigned char *)"x^2 + y^2 = z^2, a line", 23), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zip_walker),    cmocka_unit_test(test_zip_find),
        cmocka_unit_test(test_zip_directory), cmocka_unit_test(test_zip_raw),
        cmocka_unit_test(test_zip_guard),     cmocka_unit_test(test_zlib_sniff),
        cmocka_unit_test(test_zlib_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_tar.c - the toolkit's tar reader (sk_tar_*, sekisho/decode.h) as
 * extractors read sizes: pax `size` records (GNU tar, tarfile and bsdtar
 * take them over the header's octal field), GNU base-256 size fields, and
 * the malformed ones (negative, huge, two sizes, a size in a global
 * header, records whose length lies) that must be corrupt, never a guess.
 * Every case is also fed one byte at a time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sekisho/decode.h>

#include "sk_tzip.h"

/* ---- building archives (support/sk_tzip.c) ---- */

/* A member "a.gz", "b.txt"... of type '0' whose size field is SIZE12 or,
 * when NULL, FIELD in octal; the headers here write an mtime, no uid/gid. */
static void entry(struct sk_tzip *b, const char *name, const unsigned char *size12, size_t field,
                  const void *data, size_t len)
{
    sk_tz_tar_member(b, name, '0', size12, field, data, len, SK_TZ_TAR_MTIME);
}

/* An extended header of TYPE ('x', 'g') holding RECORDS as written. */
static void pax(struct sk_tzip *b, char type, const char *records)
{
    sk_tz_tar_pax(b, "./PaxHeaders/a", type, records, SK_TZ_TAR_MTIME);
}

/* ---- reading them ---- */

struct log {
    char names[8][64];
    char types[8];
    uint64_t sizes[8];
    int alt[8];
    unsigned n;
    unsigned char data[8][2048];
    size_t got[8];
    struct sk_tar *t;
};

static int l_begin(void *arg, const char *name, char type, uint64_t size)
{
    struct log *l = arg;

    assert_true(l->n < 8);
    snprintf(l->names[l->n], sizeof(l->names[0]), "%s", name);
    l->types[l->n] = type;
    l->sizes[l->n] = size;
    l->alt[l->n] = l->t->alt_size;
    l->got[l->n] = 0;
    l->n++;
    return 1;
}

static int l_data(void *arg, const void *p, size_t n)
{
    struct log *l = arg;
    unsigned i = l->n - 1;

    assert_true(l->got[i] + n <= sizeof(l->data[0]));
    memcpy(l->data[i] + l->got[i], p, n);
    l->got[i] += n;
    return 0;
}

static int l_end(void *arg)
{
    (void)arg;
    return 0;
}

/* Read B whole (STEP 0) or STEP bytes at a time: the sk_tar_end result. */
static int readb(const struct sk_tzip *b, size_t step, struct log *l, struct sk_tar *t)
{
    struct sk_tar_handler h = {l_begin, l_data, l_end, l};
    int rc = SK_TAR_OK;

    memset(l, 0, sizeof(*l));
    l->t = t;
    sk_tar_init(t, &h);
    for (size_t at = 0; at < b->n && rc == SK_TAR_OK; at += step ? step : b->n) {
        size_t k = step && b->n - at > step ? step : b->n - at;
        rc = sk_tar_write(t, b->p + at, k);
    }
    return sk_tar_end(t);
}

/* The file entry (type '0') named NAME: its index, or -1. */
static int file_at(const struct log *l, const char *name)
{
    for (unsigned i = 0; i < l->n; i++)
        if (l->types[i] == '0' && strcmp(l->names[i], name) == 0)
            return (int)i;
    return -1;
}

static const char payload[] =
    "a member whose bytes only the right size frames, "
    "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

/* Both ways (whole, byte by byte): RC, the member NAME of LEN bytes of
 * payload with alt_size ALT, then member "b.txt" (framed after it). */
static void expect(const struct sk_tzip *b, int rc, size_t len, int alt)
{
    struct log l;
    struct sk_tar t;

    for (size_t step = 0; step <= 1; step++) {
        assert_int_equal(readb(b, step, &l, &t), rc);
        int i = file_at(&l, "a.gz");
        assert_true(i >= 0);
        assert_int_equal(l.sizes[i], len);
        assert_int_equal(l.alt[i], alt);
        assert_int_equal(l.got[i], rc == SK_TAR_OK ? len : l.got[i]);
        size_t cmp = l.got[i] < sizeof(payload) - 1 ? l.got[i] : sizeof(payload) - 1;
        assert_true(l.got[i] >= cmp && cmp > 0);
        assert_memory_equal(l.data[i], payload, cmp);
        if (rc == SK_TAR_OK) {
            int j = file_at(&l, "b.txt");
            assert_true(j > i);
            assert_int_equal(l.got[j], 5);
            assert_memory_equal(l.data[j], "hello", 5);
            assert_int_equal(t.alt_sized, alt);
        }
    }
}

static void expect_corrupt(const struct sk_tzip *b)
{
    struct log l;
    struct sk_tar t;

    assert_int_equal(readb(b, 0, &l, &t), SK_TAR_CORRUPT);
    assert_int_equal(readb(b, 1, &l, &t), SK_TAR_CORRUPT);
    assert_int_equal(file_at(&l, "b.txt"), -1);
}

/* A pax size over ustar fields 0 and 10 (and equal: no alternative size) */
static void test_pax_size(void **state)
{
    size_t n = sizeof(payload) - 1;
    char r[64], v[32];

    (void)state;
    snprintf(v, sizeof(v), "%zu", n);
    sk_tz_pax_rec(r, sizeof(r), "size", v);
    for (int k = 0; k < 3; k++) {
        size_t field = k == 0 ? 0 : k == 1 ? 10 : n;
        struct sk_tzip b = {0};
        pax(&b, 'x', r);
        entry(&b, "a.gz", NULL, field, payload, n);
        entry(&b, "b.txt", NULL, 5, "hello", 5);
        sk_tz_tar_end(&b);
        expect(&b, SK_TAR_OK, n, k < 2);
        sk_tzip_free(&b);
    }
}

/* Pax records around the size (a path, long xattr keys and binary
 * values), a GNU long name between the pax header and its entry, and a
 * global header without a size: the size still frames the entry. */
static void test_pax_records(void **state)
{
    size_t n = sizeof(payload) - 1;
    char r[512], one[128], v[32];
    struct sk_tzip b = {0};

    (void)state;
    snprintf(v, sizeof(v), "%zu", n);
    r[0] = '\0';
    sk_tz_pax_rec(one, sizeof(one), "path", "dir/a-name-longer-than-it-needs-to-be.gz");
    strcat(r, one);
    sk_tz_pax_rec(one, sizeof(one), "SCHILY.xattr.user.sizes", "size=1\n2 3=");
    strcat(r, one);
    sk_tz_pax_rec(one, sizeof(one), "size", v);
    strcat(r, one);
    sk_tz_pax_rec(one, sizeof(one), "mtime", "1700000000.25");
    strcat(r, one);
    pax(&b, 'g', "20 comment=size=999\n");
    pax(&b, 'x', r);
    sk_tz_tar_member(&b, "././@LongLink", 'L', NULL, 6, "a.gz\0\0", 6, SK_TZ_TAR_MTIME);
    entry(&b, "a.gz", NULL, 0, payload, n);
    entry(&b, "b.txt", NULL, 5, "hello", 5);
    sk_tz_tar_end(&b);
    expect(&b, SK_TAR_OK, n, 1);
    sk_tzip_free(&b);
}

/* GNU base-256 sizes; the signed checksum old writers made */
static void test_base256(void **state)
{
    size_t n = sizeof(payload) - 1;
    unsigned char f[12] = {0x80};
    struct sk_tzip b = {0};

    (void)state;
    f[10] = (unsigned char)(n >> 8);
    f[11] = (unsigned char)n;
    entry(&b, "a.gz", f, 0, payload, n);
    entry(&b, "b.txt", NULL, 5, "hello", 5);
    sk_tz_tar_end(&b);
    expect(&b, SK_TAR_OK, n, 1);
    sk_tzip_free(&b);

    struct sk_tzip s = {0};
    char name[] = "a.gz";
    sk_tz_tar_hdr(&s, "\xe9t\xe9", '0', NULL, 0,
                  SK_TZ_TAR_MTIME | SK_TZ_TAR_SIGNED); /* high bytes: signed != unsigned */
    entry(&s, name, NULL, n, payload, n);
    entry(&s, "b.txt", NULL, 5, "hello", 5);
    sk_tz_tar_end(&s);
    expect(&s, SK_TAR_OK, n, 0);
    sk_tzip_free(&s);
}

/* A pax size larger than what follows: the entry is read as far as it
 * goes, the archive is short (not whole). */
static void test_pax_cut(void **state)
{
    struct sk_tzip b = {0};

    (void)state;
    pax(&b, 'x', "15 size=999999\n");
    entry(&b, "a.gz", NULL, 0, payload, sizeof(payload) - 1);
    expect(&b, SK_TAR_SHORT, 999999, 1);
    sk_tzip_free(&b);
}

/* Sizes that are none: corrupt, whole or byte by byte, and nothing after
 * them is read */
static void test_bad_sizes(void **state)
{
    static const char *const recs[] = {
        "12 size=-50\n",                     /* negative */
        "8 size=\n",                         /* empty */
        "12 size=5x0\n",                     /* not a number */
        "12 size= 50\n",                     /* tarfile's int() takes it, GNU tar not */
        "12 size=+50\n",                     /* likewise */
        "12 size=5_0\n",                     /* likewise */
        "32 size=99999999999999999999999\n", /* over 2^63 */
        "10 size=50\n",                      /* length one short: the record ends in its value */
        "12 size=50\n",                      /* length one long: the record is cut */
        "0 size=50\n",                       /* no length */
        "size=50\n",                         /* no length at all */
        "11 size=50\nXX",                    /* bytes after the last record */
        "10 size=50 ",                       /* no newline */
        "11 size=50\n11 size=60\n"           /* two sizes */
    };
    unsigned char neg[12], big[12] = {0x80, 1}, odd[12] = {0x81};

    (void)state;
    memset(neg, 0xff, sizeof(neg));
    for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
        struct sk_tzip b = {0};
        pax(&b, 'x', recs[i]);
        entry(&b, "a.gz", NULL, 0, payload, sizeof(payload) - 1);
        entry(&b, "b.txt", NULL, 5, "hello", 5);
        sk_tz_tar_end(&b);
        print_message("pax record %zu\n", i);
        expect_corrupt(&b);
        sk_tzip_free(&b);
    }
    /* two extended headers with a size each (tarfile takes the first,
     * GNU tar the last); a size in a global header */
    for (int k = 0; k < 2; k++) {
        struct sk_tzip b = {0};
        pax(&b, k ? 'g' : 'x', "11 size=50\n");
        if (!k)
            pax(&b, 'x', "11 size=60\n");
        entry(&b, "a.gz", NULL, 0, payload, sizeof(payload) - 1);
        entry(&b, "b.txt", NULL, 5, "hello", 5);
        sk_tz_tar_end(&b);
        expect_corrupt(&b);
        sk_tzip_free(&b);
    }
    const unsigned char *fields[] = {neg, big, odd};
    for (size_t i = 0; i < 3; i++) {
        struct sk_tzip b = {0};
        entry(&b, "a.gz", fields[i], 0, payload, sizeof(payload) - 1);
        entry(&b, "b.txt", NULL, 5, "hello", 5);
        sk_tz_tar_end(&b);
        expect_corrupt(&b);
        sk_tzip_free(&b);
    }
}

/* ---- cpio and ISO 9660 (sk_cpio.c) ---- */

struct members {
    char log[1024];
    size_t n;
};

static int member_cb(void *arg, const char *name, const unsigned char *data, size_t len)
{
    struct members *m = arg;
    m->n += (size_t)snprintf(m->log + m->n, sizeof(m->log) - m->n, "[%s|%.*s]", name, (int)len,
                             (const char *)data);
    return 0;
}

static size_t cpio_newc(unsigned char *o, const char *name, const char *data)
{
    return sk_tz_cpio_newc(o, name, data, strlen(data));
}

static size_t cpio_odc(unsigned char *o, const char *name, const char *data)
{
    size_t nl = strlen(name) + 1, dl = strlen(data), n;
    n = (size_t)sprintf((char *)o, "070707%06o%06o%06o%06o%06o%06o%06o%011o%06zo%011zo", 1, 2,
                        0100644, 0, 0, 1, 0, 0, nl, dl);
    memcpy(o + n, name, nl), n += nl;
    memcpy(o + n, data, dl), n += dl;
    return n;
}

static size_t cpio_bin_be(unsigned char *o, const char *name, const char *data)
{
    size_t nl = strlen(name) + 1, dl = strlen(data), n = 26;
    unsigned w[13] = {070707,
                      1,
                      2,
                      0100644,
                      0,
                      0,
                      1,
                      0,
                      0,
                      0,
                      (unsigned)nl,
                      (unsigned)(dl >> 16),
                      (unsigned)(dl & 0xffff)};
    for (int i = 0; i < 13; i++)
        o[2 * i] = (unsigned char)(w[i] >> 8), o[2 * i + 1] = (unsigned char)w[i];
    memcpy(o + n, name, nl), n += nl;
    if (n % 2)
        o[n++] = 0;
    memcpy(o + n, data, dl), n += dl;
    if (n % 2)
        o[n++] = 0;
    return n;
}

static void test_cpio(void **state)
{
    size_t (*const kinds[])(unsigned char *, const char *, const char *) = {cpio_newc, cpio_odc,
                                                                            cpio_bin_be};
    unsigned char a[2048];
    (void)state;

    for (size_t k = 0; k < 3; k++) {
        struct members m = {.n = 0};
        size_t n = kinds[k](a, "a.txt", "first");
        n += kinds[k](a + n, "dir/b", "second!");
        size_t cut = n;
        n += kinds[k](a + n, "TRAILER!!!", "");
        assert_true(sk_cpio_is(a, n));
        assert_int_equal(sk_cpio_each(a, n, member_cb, &m), SK_AR_OK);
        assert_string_equal(m.log, "[a.txt|first][dir/b|second!]");
        /* no trailer, and cut inside the second member: what there is */
        m.n = 0, m.log[0] = '\0';
        assert_int_equal(sk_cpio_each(a, cut, member_cb, &m), SK_AR_SHORT);
        assert_string_equal(m.log, "[a.txt|first][dir/b|second!]");
        m.n = 0, m.log[0] = '\0';
        assert_int_equal(sk_cpio_each(a, cut - 3, member_cb, &m), SK_AR_SHORT);
        assert_int_equal(strncmp(m.log, "[a.txt|first][dir/b|seco", 24), 0);
    }
    /* a header whose numbers do not read */
    size_t n = cpio_newc(a, "a.txt", "first");
    a[60] = 'g';
    assert_int_equal(sk_cpio_each(a, n, member_cb, &(struct members){.n = 0}), SK_AR_CORRUPT);
    assert_false(sk_cpio_is((const unsigned char *)"070701", 6));
    assert_false(sk_cpio_is((const unsigned char *)"hello, world", 12));
    /* a text that starts with the magic; a binary magic whose mode is no
     * file type; a name without its NUL */
    static char csv[256];
    for (int i = 0; i < 5; i++)
        strcat(csv, "070701,070702,070707 are dates in this list\n");
    assert_false(sk_cpio_is((const unsigned char *)csv, strlen(csv)));
    n = cpio_bin_be(a, "a.txt", "first");
    assert_true(sk_cpio_is(a, n));
    a[6] = 0xf1; /* mode 0170000 bits: none of the file types */
    assert_false(sk_cpio_is(a, n));
    n = cpio_newc(a, "a.txt", "first");
    assert_true(sk_cpio_is(a, n));
    a[110 + 5] = 'x'; /* the name's NUL */
    assert_false(sk_cpio_is(a, n));
    n = cpio_newc(a, "a.txt", "first");
    a[20] = 'g'; /* a field (the mode) that is not hex: every field is read */
    assert_false(sk_cpio_is(a, n));
    n = cpio_odc(a, "a.txt", "first");
    assert_true(sk_cpio_is(a, n));
    a[20] = '9'; /* an odc field that is not octal */
    assert_false(sk_cpio_is(a, n));
}

/* A directory record at R for extent X of L bytes (DIR: a directory). */
static size_t iso_rec_n(unsigned char *r, uint32_t x, uint32_t l, int dir, const char *name,
                        size_t nl)
{
    size_t rl = 33 + nl + (nl % 2 == 0);
    memset(r, 0, rl);
    r[0] = (unsigned char)rl;
    for (int i = 0; i < 4; i++) {
        r[2 + i] = (unsigned char)(x >> (8 * i)), r[9 - i] = (unsigned char)(x >> (8 * i));
        r[10 + i] = (unsigned char)(l >> (8 * i)), r[17 - i] = (unsigned char)(l >> (8 * i));
    }
    r[25] = dir ? 2 : 0;
    r[32] = (unsigned char)nl;
    memcpy(r + 33, name, nl);
    return rl;
}

static size_t iso_rec(unsigned char *r, uint32_t x, uint32_t l, int dir, const char *name)
{
    return iso_rec_n(r, x, l, dir, name, name[0] ? strlen(name) : 1);
}

/* Disk and file system images nobody reads: each told by its own
 * structure, one field off is none; an ISO 9660 image's boot MBR is the
 * ISO's */
static void test_disk_image(void **state)
{
    static unsigned char img[40 * 2048];
    (void)state;

    /* FAT: mkfs.fat's boot sector (jump, 512-byte sectors, 1 per cluster,
     * 1 reserved, 2 FATs, media F8) */
    memset(img, 0, sizeof(img));
    sk_tz_fat_boot(img);
    assert_string_equal(sk_disk_image(img, 4096), "a FAT file system image");
    img[16] = 3; /* three FATs: none */
    assert_null(sk_disk_image(img, 4096));
    img[16] = 2, img[13] = 3; /* 3 sectors per cluster: none */
    assert_null(sk_disk_image(img, 4096));
    img[13] = 1, img[511] = 0xab;
    assert_null(sk_disk_image(img, 4096));
    /* NTFS and exFAT by their OEM names */
    memset(img, 0, 512), memcpy(img + 3, "NTFS    ", 8), img[510] = 0x55, img[511] = 0xaa;
    assert_string_equal(sk_disk_image(img, 4096), "an NTFS file system image");
    memcpy(img + 3, "EXFAT   ", 8);
    assert_string_equal(sk_disk_image(img, 4096), "an exFAT file system image");
    /* an MBR: one partition of a type, a start, a size; a status byte
     * other than 0 and 0x80 is none */
    memset(img, 0, 512), img[510] = 0x55, img[511] = 0xaa;
    assert_null(sk_disk_image(img, 4096));
    img[446] = 0x80, img[446 + 4] = 0x0c, img[446 + 8] = 1, img[446 + 12] = 100;
    assert_string_equal(sk_disk_image(img, 4096), "an MBR-partitioned disk image");
    img[446 + 16] = 0x7f;
    assert_null(sk_disk_image(img, 4096));
    img[446 + 16] = 0;
    /* ... unless an ISO 9660 image carries it (isohybrid): read as one */
    unsigned char *pvd = img + 16 * 2048;
    pvd[0] = 1, memcpy(pvd + 1, "CD001", 5), pvd[6] = 1;
    assert_true(sk_iso_is(img, sizeof(img)));
    assert_null(sk_disk_image(img, sizeof(img)));
    memset(pvd, 0, 7);
    /* GPT: its header at 512 */
    memset(img, 0, 1024), memcpy(img + 512, "EFI PART", 8);
    assert_string_equal(sk_disk_image(img, 4096), "a GPT-partitioned disk image");
    /* ext2/3/4: the superblock's magic at 1080, its fields sane */
    memset(img, 0, 4096);
    img[1024] = 128, img[1048] = 2, img[1080] = 0x53, img[1081] = 0xef, img[1100] = 1;
    assert_string_equal(sk_disk_image(img, 4096), "an ext2/3/4 file system image");
    assert_null(sk_disk_image(img, 2047)); /* the superblock not all there */
    img[1048] = 7;                         /* a 128 KiB block: none */
    assert_null(sk_disk_image(img, 4096));
    img[1048] = 2, img[1100] = 2; /* revision 2: none */
    assert_null(sk_disk_image(img, 4096));
    /* image containers by their magic */
    memset(img, 0, 4096), memcpy(img, "conectix", 8);
    assert_string_equal(sk_disk_image(img, 4096), "a VHD disk image");
    memcpy(img, "QFI\xfb", 4);
    assert_string_equal(sk_disk_image(img, 4096), "a QCOW disk image");
    memcpy(img, "QFI\xfa", 4);
    assert_null(sk_disk_image(img, 4096));
}

static void test_iso(void **state)
{
    static unsigned char img[24 * 2048];
    (void)state;

    unsigned char *pvd = img + 16 * 2048;
    pvd[0] = 1, memcpy(pvd + 1, "CD001", 5), pvd[6] = 1;
    pvd[128] = 0, pvd[129] = 8; /* 2048-byte blocks */
    iso_rec(pvd + 156, 18, 2048, 1, "\0");
    /* the root (18): ".", "..", a file at 19, a directory at 20; the
     * directory: a file at 21 and the root again (read once) */
    unsigned char *d = img + 18 * 2048;
    d += iso_rec(d, 18, 2048, 1, "\0");
    d += iso_rec(d, 18, 2048, 1, "\1");
    d += iso_rec(d, 19, 5, 0, "A.TXT;1");
    iso_rec(d, 20, 2048, 1, "SUB");
    d = img + 20 * 2048;
    d += iso_rec(d, 20, 2048, 1, "\0");
    d += iso_rec(d, 18, 2048, 1, "\1");
    d += iso_rec(d, 21, 6, 0, "B.TXT;1");
    iso_rec(d, 18, 2048, 1, "LOOP");
    memcpy(img + 19 * 2048, "first", 5);
    memcpy(img + 21 * 2048, "second", 6);
    struct members m = {.n = 0};
    assert_true(sk_iso_is(img, sizeof(img)));
    assert_int_equal(sk_iso_each(img, sizeof(img), member_cb, &m), SK_AR_OK);
    assert_string_equal(m.log, "[A.TXT;1|first][B.TXT;1|second]");
    /* cut inside the second file: what there is */
    m.n = 0, m.log[0] = '\0';
    assert_int_equal(sk_iso_each(img, 21 * 2048 + 3, member_cb, &m), SK_AR_OK);
    assert_string_equal(m.log, "[A.TXT;1|first][B.TXT;1|sec]");
    /* a Joliet volume (sector 17) whose tree names a file the primary
     * one does not, and the primary's A.TXT again (read once) */
    unsigned char *svd = img + 17 * 2048;
    svd[0] = 2, memcpy(svd + 1, "CD001", 5), svd[6] = 1;
    svd[88] = '%', svd[89] = '/', svd[90] = 'E';
    iso_rec(svd + 156, 22, 2048, 1, "\0");
    unsigned char *jd = img + 22 * 2048;
    jd += iso_rec(jd, 22, 2048, 1, "\0");
    jd += iso_rec(jd, 22, 2048, 1, "\1");
    jd += iso_rec_n(jd, 19, 5, 0, "\0a\0.\0t", 6);
    iso_rec_n(jd, 23, 6, 0, "\0c\0.\0t", 6);
    memcpy(img + 23 * 2048, "hidden", 6);
    m.n = 0, m.log[0] = '\0';
    assert_int_equal(sk_iso_each(img, sizeof(img), member_cb, &m), SK_AR_OK);
    assert_string_equal(m.log, "[A.TXT;1|first][B.TXT;1|second][c.t|hidden]");
    /* a record that runs past its directory's end */
    iso_rec(pvd + 156, 18, 80, 1, "\0");
    assert_int_equal(sk_iso_each(img, sizeof(img), member_cb, &m), SK_AR_CORRUPT);
    assert_false(sk_iso_is(img, 16 * 2048 + 100));
}

/* ---- LHA (sk_lha.c) ---- */

/* `jlha a1` (header level 1, -lh5-) and `jlha a2o7` (level 2, -lh7-) of
 * the same 239-byte text, made with jlha-utils (the reference). */
static const unsigned char lha_lh5_l1[] = {
    0x1e, 0xb2, 0x2d, 0x6c, 0x68, 0x35, 0x2d, 0x47, 0x00, 0x00, 0x00, 0xef, 0x00, 0x00, 0x00,
    0x0a, 0x3a, 0x85, 0x5d, 0x20, 0x01, 0x05, 0x73, 0x2e, 0x74, 0x78, 0x74, 0xc1, 0x06, 0x00,
    0x05, 0x00, 0x00, 0x1f, 0x04, 0x00, 0x00, 0x00, 0x38, 0x4b, 0x91, 0x82, 0x33, 0x59, 0xd0,
    0x67, 0x65, 0x24, 0xf9, 0x18, 0x6d, 0x08, 0xd5, 0xb4, 0x01, 0xe7, 0x94, 0x1a, 0x73, 0x62,
    0x34, 0x58, 0xc9, 0x38, 0x01, 0x02, 0x9e, 0xe6, 0x81, 0x3a, 0x22, 0x09, 0xec, 0x50, 0x7c,
    0x9d, 0xac, 0x89, 0xa4, 0xad, 0x7d, 0xe5, 0x2c, 0xbc, 0x64, 0x54, 0xbc, 0x97, 0x4b, 0x1c,
    0xf5, 0x17, 0x78, 0xb7, 0x8e, 0xc1, 0xdd, 0xf4, 0x41, 0x6b, 0x9b, 0xfd, 0x80, 0x00,
};
static const unsigned char lha_lh7_l2[] = {
    0x27, 0x00, 0x2d, 0x6c, 0x68, 0x37, 0x2d, 0x42, 0x00, 0x00, 0x00, 0xef, 0x00, 0x00, 0x00, 0x44,
    0xba, 0x13, 0x6b, 0x20, 0x02, 0xc1, 0x06, 0x00, 0x05, 0x00, 0x00, 0x4b, 0xa5, 0x08, 0x00, 0x01,
    0x73, 0x2e, 0x74, 0x78, 0x74, 0x00, 0x00, 0x00, 0x38, 0x4b, 0x91, 0x82, 0x33, 0x59, 0xd0, 0x67,
    0x65, 0x24, 0xf9, 0x18, 0x6d, 0x08, 0xd5, 0xb4, 0x01, 0xe7, 0x94, 0x1a, 0x73, 0x62, 0x34, 0x58,
    0xc9, 0x1c, 0x00, 0x81, 0x4f, 0x73, 0x40, 0x9d, 0x11, 0x04, 0xf6, 0x28, 0x3e, 0x4e, 0xd6, 0x44,
    0xd2, 0x56, 0xbe, 0xf2, 0x96, 0x5e, 0x32, 0x2a, 0x5e, 0x4b, 0xa5, 0x8e, 0x7a, 0x8b, 0xbc, 0x5b,
    0xc7, 0x60, 0xee, 0xfa, 0x20, 0xb5, 0xcd, 0xfe, 0xc0, 0x00,
};

static const char lha_text[] = "card 4111 1111 1111 1111; card 4111 1111 1111 1111; "
                               "card 4111 1111 1111 1111; card 4111 1111 1111 1111; "
                               "the quick brown fox jumps over the lazy dog. "
                               "the quick brown fox jumps over the lazy dog. "
                               "the quick brown fox jumps over the lazy dog. ";

struct lha_rec {
    char log[1024];
    size_t n;
    unsigned char data[512];
    size_t len;
    int state;
};

static int lha_cb(void *arg, const char *name, const unsigned char *data, size_t len, int state)
{
    struct lha_rec *r = arg;
    r->n += (size_t)snprintf(r->log + r->n, sizeof(r->log) - r->n, "[%s %zu %d]", name, len, state);
    r->len = len < sizeof(r->data) ? len : sizeof(r->data);
    memcpy(r->data, data, r->len);
    r->state = state;
    return 0;
}

static void test_lha(void **state)
{
    const size_t tl = sizeof(lha_text) - 1;
    unsigned char b[sizeof(lha_lh7_l2)];
    (void)state;

    assert_int_equal(tl, 239);
    const unsigned char *const arcs[] = {lha_lh5_l1, lha_lh7_l2};
    const size_t lens[] = {sizeof(lha_lh5_l1), sizeof(lha_lh7_l2)};
    for (int k = 0; k < 2; k++) {
        struct lha_rec r = {.n = 0};
        assert_int_equal(sk_lha_each(arcs[k], lens[k], 1 << 20, lha_cb, &r), SK_AR_OK);
        assert_string_equal(r.log, "[s.txt 239 0]");
        assert_memory_equal(r.data, lha_text, tl);
        /* a bound below the declared size: what came before it */
        r = (struct lha_rec){.n = 0};
        assert_int_equal(sk_lha_each(arcs[k], lens[k], 100, lha_cb, &r), SK_AR_OK);
        assert_int_equal(r.state, SK_LHA_LIMIT);
        assert_int_equal(r.len, 100);
        assert_memory_equal(r.data, lha_text, 100);
        /* cut inside the member's data */
        assert_int_equal(sk_lha_each(arcs[k], lens[k] - 10, 1 << 20, lha_cb, &r), SK_AR_SHORT);
    }
    /* a changed byte in the packed data: a stream that does not decode, or
     * not to what its CRC says - never "whole" */
    for (size_t at = sizeof(lha_lh7_l2) - 30; at < sizeof(lha_lh7_l2) - 1; at += 3) {
        struct lha_rec r = {.n = 0};
        memcpy(b, lha_lh7_l2, sizeof(b));
        b[at] ^= 0x5a;
        assert_int_equal(sk_lha_each(b, sizeof(b), 1 << 20, lha_cb, &r), SK_AR_OK);
        if (r.state != SK_LHA_CORRUPT)
            fail_msg("byte %zu changed: state %d", at, r.state);
    }
    /* a header that is none */
    memcpy(b, lha_lh7_l2, sizeof(b));
    b[6] = 'x';
    assert_int_equal(sk_lha_each(b, sizeof(b), 1 << 20, lha_cb, &(struct lha_rec){.n = 0}),
                     SK_AR_CORRUPT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pax_size),   cmocka_unit_test(test_pax_records),
        cmocka_unit_test(test_base256),    cmocka_unit_test(test_pax_cut),
        cmocka_unit_test(test_bad_sizes),  cmocka_unit_test(test_cpio),
        cmocka_unit_test(test_iso),        cmocka_unit_test(test_lha),
        cmocka_unit_test(test_disk_image),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

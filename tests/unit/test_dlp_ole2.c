/* test_dlp_ole2.c - the core compound-file reader (sekisho/ole2.h) and
 * dlp's legacy Office text over it (dlp_ole2*.c). The files are
 * the .cfb files in tests/unit/data/ole2, written by tests/hostile/cfbforge.py
 * (`python3 cfbforge.py --unit DIR`: unit_fixtures() says what each is):
 * streams reassembled from shuffled sectors and mini sectors, at the
 * 4096-byte cutoff, with 4096-byte sectors, through a DIFAT; broken chains
 * (a cycle, a sector out of range, a chain longer or shorter than the
 * size, a directory that cycles); the storage of a .msg attachment; Word's
 * piece table (pieces out of order, compressed and UTF-16, field codes),
 * the table stream fWhichTblStm names, Excel's SST over CONTINUE records
 * (flag byte either way), NUMBER and RK cells, text outside cells
 * (comments, headers and footers, sheet names, chart series), PowerPoint's atoms,
 * Outlook's properties, encryption. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sekisho/ole2.h>

#include "dlp.h"
#include "dlp_fixture.h"
#include "dlp_ole2.h"

static unsigned char *load(const char *name, size_t *n)
{
    char rel[128];
    snprintf(rel, sizeof(rel), "ole2/%s.cfb", name);
    return sk_tz_data(rel, n);
}

/* The pattern cfbforge writes: byte i is (7 i) mod 251. */
static void assert_pattern(const unsigned char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (b[i] != (unsigned char)((i * 7) % 251))
            fail_msg("byte %zu is %u, not %u", i, b[i], (unsigned)((i * 7) % 251));
}

/* Stream NAME of FILE read back: the rc, its bytes checked if OK. */
static enum sk_ole2_rc read_stream(const char *file, const char *name, size_t want,
                                   const char **why)
{
    size_t n, bn;
    unsigned char *p = load(file, &n), *b;
    struct sk_ole2 *o;
    enum sk_ole2_rc rc = sk_ole2_open(p, n, NULL, &o, why);

    if (rc == SK_OLE2_OK) {
        long i = sk_ole2_find(o, 0, name);
        assert_true(i > 0);
        rc = sk_ole2_read(o, (size_t)i, &b, &bn);
        *why = sk_ole2_why(o);
        if (rc == SK_OLE2_OK) {
            assert_int_equal(bn, want);
            assert_pattern(b, bn);
            free(b);
        }
        sk_ole2_free(o);
    }
    free(p);
    return rc;
}

static void test_layouts(void **state)
{
    const char *why;
    (void)state;
    assert_int_equal(read_stream("shuffled", "A", 5000, &why), SK_OLE2_OK);
    assert_int_equal(read_stream("mini_shuffled", "B", 1000, &why), SK_OLE2_OK);
    assert_int_equal(read_stream("v4", "A", 5000, &why), SK_OLE2_OK);
    assert_int_equal(read_stream("difat", "A", 5000, &why), SK_OLE2_OK);
    /* 4096 bytes is a regular stream, 4095 is in the mini stream */
    assert_int_equal(read_stream("cutoff", "big", 4096, &why), SK_OLE2_OK);
    assert_int_equal(read_stream("cutoff", "small", 4095, &why), SK_OLE2_OK);
    assert_int_equal(read_stream("cutoff", "BIG", 4096, &why), SK_OLE2_OK); /* names: any case */
}

static void test_broken(void **state)
{
    const char *why;
    (void)state;
    assert_int_equal(read_stream("cycle", "A", 5000, &why), SK_OLE2_BROKEN);
    assert_string_equal(why, "a sector chain with a cycle");
    assert_int_equal(read_stream("out_of_range", "A", 5000, &why), SK_OLE2_BROKEN);
    assert_string_equal(why, "a sector number out of range");
    assert_int_equal(read_stream("longer", "A", 4500, &why), SK_OLE2_BROKEN);
    assert_string_equal(why, "a chain longer than its size");
    assert_int_equal(read_stream("shorter", "A", 5200, &why), SK_OLE2_BROKEN);
    assert_string_equal(why, "a chain shorter than its size");

    size_t n;
    unsigned char *p = load("dir_cycle", &n);
    struct sk_ole2 *o = (struct sk_ole2 *)1;
    assert_int_equal(sk_ole2_open(p, n, NULL, &o, &why), SK_OLE2_BROKEN);
    assert_null(o);
    assert_string_equal(why, "a sector chain with a cycle");
    free(p);
    /* every header field that says what the file is (a good file) */
    p = load("shuffled", &n);
    assert_int_equal(sk_ole2_open(p, n, NULL, &o, &why), SK_OLE2_OK);
    sk_ole2_free(o);
    static const struct {
        size_t at;
        unsigned char v;
    } bad[] = {{0, 0xD1}, {0x1A, 5}, {0x1C, 0xFF}, {0x1E, 10}, {0x20, 7}, {0x39, 0x20}};
    for (size_t k = 0; k < sizeof(bad) / sizeof(*bad); k++) {
        unsigned char save = p[bad[k].at];
        p[bad[k].at] = bad[k].v;
        assert_int_not_equal(sk_ole2_open(p, n, NULL, &o, &why), SK_OLE2_OK);
        p[bad[k].at] = save;
    }
    free(p);
}

static void test_limits(void **state)
{
    size_t n, bn;
    unsigned char *p = load("shuffled", &n), *b;
    struct sk_ole2 *o;
    struct sk_ole2_limits lim = {.max_out = 4999};
    (void)state;
    assert_int_equal(sk_ole2_open(p, n, &lim, &o, NULL), SK_OLE2_OK);
    assert_int_equal(sk_ole2_read(o, (size_t)sk_ole2_find(o, 0, "A"), &b, &bn), SK_OLE2_LIMIT);
    sk_ole2_free(o);
    lim = (struct sk_ole2_limits){.max_total = 9999};
    assert_int_equal(sk_ole2_open(p, n, &lim, &o, NULL), SK_OLE2_OK);
    assert_int_equal(sk_ole2_read(o, (size_t)sk_ole2_find(o, 0, "A"), &b, &bn), SK_OLE2_OK);
    free(b);
    assert_int_equal(sk_ole2_read(o, (size_t)sk_ole2_find(o, 0, "A"), &b, &bn), SK_OLE2_LIMIT);
    sk_ole2_free(o);
    lim = (struct sk_ole2_limits){.max_entries = 1};
    assert_int_equal(sk_ole2_open(p, n, &lim, &o, NULL), SK_OLE2_LIMIT);
    free(p);
}

static void test_storages(void **state)
{
    size_t n;
    unsigned char *p = load("msg", &n);
    struct sk_ole2 *o;
    (void)state;
    assert_int_equal(sk_ole2_open(p, n, NULL, &o, NULL), SK_OLE2_OK);
    assert_int_equal(sk_ole2_at(o, 0)->type, SK_OLE2_ROOT);
    assert_int_equal(sk_ole2_at(o, 0)->parent, SK_OLE2_NONE);
    long body = sk_ole2_find(o, 0, "__substg1.0_1000001F");
    assert_true(body > 0);
    assert_int_equal(sk_ole2_find(o, 0, "__substg1.0_37010102"), -1); /* not in the root */
    size_t st = 0;
    for (size_t i = 0; i < sk_ole2_count(o); i++)
        if (strcmp(sk_ole2_at(o, i)->name, "__attach_version1.0_#00000000") == 0)
            st = i;
    assert_true(st > 0);
    assert_int_equal(sk_ole2_at(o, st)->type, SK_OLE2_STORAGE);
    assert_int_equal(sk_ole2_at(o, st)->parent, 0);
    long data = sk_ole2_find(o, (uint32_t)st, "__substg1.0_37010102");
    assert_true(data > 0);
    assert_int_equal(sk_ole2_at(o, (size_t)data)->parent, st);
    assert_true(sk_ole2_at(o, (size_t)data)->mini);
    sk_ole2_free(o);
    free(p);
}

/* ---- the text dlp reads ---- */

static int text_of(const char *file, struct text *t, char *why, size_t wn)
{
    size_t n;
    unsigned char *p = load(file, &n);
    memset(t, 0, sizeof(*t));
    int rc = sk_dlp_ole2_text(p, n, text_collect, t, why, wn);
    free(p);
    return rc;
}

static void test_word(void **state)
{
    struct text t;
    char why[160];
    (void)state;
    /* pieces in CP order, not file order; cp1252 and UTF-16; the field's
     * code after the text, its result in it */
    assert_int_equal(text_of("doc_pieces", &t, why, sizeof(why)), 0);
    assert_string_equal(t.b, "Card: 4111 1111 1111 \xe2\x9c\x93\nlink end\n\n\n"
                             " HYPERLINK \"http://x/4111111111111111\" \n\n");
    assert_int_equal(text_of("doc_table0", &t, why, sizeof(why)), 0); /* fWhichTblStm 0 */
    assert_string_equal(t.b, "Zero 4111 1111 1111 1111\n\n\n");
    /* pieces that overlap to repeat the text: broken */
    assert_int_equal(text_of("doc_overlap", &t, why, sizeof(why)), 1);
    assert_non_null(strstr(why, "more text than their stream holds"));
    /* the title in a UTF-16 property set (code page 1200) */
    assert_int_equal(text_of("summary", &t, why, sizeof(why)), 0);
    assert_non_null(strstr(t.b, "Title \xe2\x9c\x93 4111 1111 1111 1111\n"));
    /* inside an OLE1 embedded object (RTF's \objdata) */
    assert_int_equal(text_of("ole1", &t, why, sizeof(why)), 0);
    assert_string_equal(t.b, "OLE1 4111 1111 1111 1111 \xe2\x9c\x93\n\n");
    assert_int_equal(text_of("doc_encrypted", &t, why, sizeof(why)), 1);
    assert_non_null(strstr(why, "encrypted Word document"));
}

static void test_excel(void **state)
{
    struct text t;
    char why[160];
    (void)state;
    assert_int_equal(text_of("xls", &t, why, sizeof(why)), 0);
    assert_string_equal(t.b, "Card 4111 1111 1111 1111 \xe2\x9c\x93\nsecond\n"
                             "4111111111111111\n0.5\n12345\n1234.56\n");
    assert_int_equal(text_of("xls_narrow", &t, why, sizeof(why)), 0);
    assert_string_equal(t.b, "Card 4111 1111 1111 1111\nz\n");
    assert_int_equal(text_of("xls_filepass", &t, why, sizeof(why)), 1);
    assert_non_null(strstr(why, "encrypted Excel workbook"));
    /* text outside cells, in record order: a sheet name, a header (UTF-16)
     * and footer (8-bit), an empty header record (nothing), the even
     * header and first footer of a HeaderFooter record, a comment's text
     * over two CONTINUE records (8-bit, then UTF-16), a chart's series */
    assert_int_equal(text_of("xls_objects", &t, why, sizeof(why)), 0);
    assert_string_equal(t.b, "cell\nS 4111\nH 4111 1111 1111 1111 \xe2\x9c\x93\n"
                             "F 5500 0000 0000 0004\nE 6011 \xe2\x9c\x93\nP 3782 822463 10005\n"
                             "Note 4111 1111 1111 1111 \xe2\x9c\x93\nSer \xe2\x9c\x93 5500\n");
    /* a comment whose text records are missing */
    assert_int_equal(text_of("xls_txo_cut", &t, why, sizeof(why)), 1);
    if (!strstr(why, "Excel cell or text record"))
        fail_msg("why: %s", why);
}

static void test_ppt_msg(void **state)
{
    struct text t;
    char why[160];
    (void)state;
    assert_int_equal(text_of("ppt", &t, why, sizeof(why)), 0);
    assert_string_equal(t.b, "Wide 4111 1111 1111 1111 \xe2\x9c\x93\nBytes 5500 0000\n");
    /* a comment in a ___PPT10 tag's binary data, after a tag whose data is
     * no records (that tag's own walk ends, the stream's goes on) */
    assert_int_equal(text_of("ppt_comment", &t, why, sizeof(why)), 0);
    assert_string_equal(t.b,
                        "___PPT9\nSlide\n___PPT10\nAnn\nNote 4111 1111 1111 1111 \xe2\x9c\x93\n");
    assert_int_equal(text_of("msg", &t, why, sizeof(why)), 0);
    assert_non_null(strstr(t.b, "Subject \xe2\x9c\x93\n"));
    assert_non_null(strstr(t.b, "Body 4111 1111 1111 1111\n"));
    assert_non_null(strstr(t.b, "a.txt\n"));
    /* a broken chain is reported */
    assert_int_equal(text_of("cycle", &t, why, sizeof(why)), 1);
    assert_non_null(strstr(why, "cycle"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layouts), cmocka_unit_test(test_broken),
        cmocka_unit_test(test_limits),  cmocka_unit_test(test_storages),
        cmocka_unit_test(test_word),    cmocka_unit_test(test_excel),
        cmocka_unit_test(test_ppt_msg),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

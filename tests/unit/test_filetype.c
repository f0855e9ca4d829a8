/* test_filetype.c - true file types from bytes (toolkit sk_filetype.c):
 * the magic table on synthetic samples, zip member refinement, OLE2 MSI
 * and VBA, the policy's names, libclamav's type names, the mismatch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sekisho/filetype.h"

/* An OLE2 header with 512-byte sectors, directory at sector 0 (offset
 * 512): the root entry's CLSID at 512 + 0x50. */
static unsigned char *ole2(size_t *n, const unsigned char *clsid, int vba)
{
    static const unsigned char vba_name[] = "_\0V\0B\0A\0_\0P\0R\0O\0J\0E\0C\0T\0";
    unsigned char *p = calloc(1, 2048);

    memcpy(p, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8);
    p[0x1e] = 9; /* sector shift */
    memset(p + 0x30, 0, 4);
    if (clsid)
        memcpy(p + 512 + 0x50, clsid, 16);
    if (vba)
        memcpy(p + 512 + 128, vba_name, sizeof(vba_name) - 1);
    *n = 2048;
    return p;
}

static void test_magic_table(void **s)
{
    static unsigned char big[0x8010];
    static const struct {
        const char *bytes;
        size_t len;
        const char *name;
        enum sk_ft_kind want;
    } cases[] = {
        {"MZ\x90\0\3\0\0\0", 8, NULL, SK_FT_PE},
        {"\x7f"
         "ELF\2\1\1\0",
         8, NULL, SK_FT_ELF},
        {"\xcf\xfa\xed\xfe\7\0\0\1", 8, NULL, SK_FT_MACHO},
        {"\xca\xfe\xba\xbe\0\0\0\2", 8, NULL, SK_FT_MACHO},   /* universal: 2 archs */
        {"\xca\xfe\xba\xbe\0\0\0\x34", 8, NULL, SK_FT_CLASS}, /* Java 8 class */
        {"MSCF\0\0\0\0\x10\0", 10, NULL, SK_FT_CAB},
        {"PK\x03\x04\x14\0\0\0", 8, NULL, SK_FT_ZIP},
        {"PK\x03\x04\x14\0\1\0", 8, NULL, SK_FT_ZIP_ENCRYPTED},
        {"\x1f\x8b\x08\0", 4, NULL, SK_FT_GZIP},
        {"BZh91AY", 7, NULL, SK_FT_BZIP2},
        {"\xfd"
         "7zXZ\0\0",
         7, NULL, SK_FT_XZ},
        {"7z\xbc\xaf\x27\x1c\0\4", 8, NULL, SK_FT_7Z},
        {"Rar!\x1a\x07\x01\0", 8, NULL, SK_FT_RAR},
        {"conectix\0\0", 10, NULL, SK_FT_VHD},
        {"QFI\xfb\0\0\0\3", 8, NULL, SK_FT_QCOW},
        {"#!/bin/sh\necho hi\n", 18, NULL, SK_FT_SCRIPT},
        {"echo hi\r\n", 9, "RUN.BAT", SK_FT_SCRIPT},
        {"Dim x\r\n", 7, "dir/a.vbs", SK_FT_SCRIPT},
        {"var a = 1;\n", 11, "app.js", SK_FT_NONE}, /* web JavaScript */
        {"hello world\n", 12, "a.txt", SK_FT_NONE},
        {"\x89PNG\r\n\x1a\n", 8, NULL, SK_FT_NONE},
        {"%PDF-1.7\n", 9, NULL, SK_FT_NONE},
        {"M", 1, NULL, SK_FT_NONE},
        {"", 0, NULL, SK_FT_NONE},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (sk_ft_sniff((const unsigned char *)cases[i].bytes, cases[i].len, cases[i].name) !=
            cases[i].want)
            fail_msg("case %zu: got %s, want %s", i,
                     sk_ft_kind_token(sk_ft_sniff((const unsigned char *)cases[i].bytes,
                                                  cases[i].len, cases[i].name)),
                     sk_ft_kind_token(cases[i].want));
    /* tar: "ustar" at 257; ISO 9660: "CD001" at 0x8001; DMG: "koly" 512 from the end */
    memset(big, 0, sizeof(big));
    memcpy(big + 257,
           "ustar\0"
           "00",
           8);
    assert_int_equal(sk_ft_sniff(big, 512, NULL), SK_FT_TAR);
    assert_int_equal(sk_ft_sniff(big, 261, NULL), SK_FT_NONE); /* cut before the magic ends */
    memset(big, 0, sizeof(big));
    memcpy(big + 0x8001, "CD001", 5);
    assert_int_equal(sk_ft_sniff(big, sizeof(big), NULL), SK_FT_ISO);
    memset(big, 0, sizeof(big));
    memcpy(big + 4096 - 512, "koly", 4);
    assert_int_equal(sk_ft_sniff(big, 4096, NULL), SK_FT_DMG);
    (void)s;
}

static void test_ole2_msi_and_macros(void **s)
{
    static const unsigned char msi[16] = {0x84, 0x10, 0x0c, 0, 0, 0, 0, 0,
                                          0xc0, 0,    0,    0, 0, 0, 0, 0x46};
    static const unsigned char doc[16] = {0x06, 0x09, 0x02, 0, 0, 0, 0, 0,
                                          0xc0, 0,    0,    0, 0, 0, 0, 0x46};
    size_t n;
    unsigned char *p;

    p = ole2(&n, msi, 0);
    assert_int_equal(sk_ft_sniff(p, n, NULL), SK_FT_MSI);
    assert_int_equal(sk_ft_sniff(p, 600, NULL), SK_FT_NONE); /* directory not there */
    free(p);
    p = ole2(&n, doc, 0);
    assert_int_equal(sk_ft_sniff(p, n, NULL), SK_FT_NONE); /* a Word document */
    free(p);
    p = ole2(&n, doc, 1);
    assert_int_equal(sk_ft_sniff(p, n, NULL), SK_FT_OLE2_MACRO);
    free(p);
    p = ole2(&n, msi, 0);
    p[0x30] = 0xff; /* directory sector far past the end: no read out of bounds */
    p[0x31] = 0xff;
    p[0x32] = 0xff;
    p[0x33] = 0xff;
    assert_int_equal(sk_ft_sniff(p, n, NULL), SK_FT_NONE);
    free(p);
    (void)s;
}

static void test_zip_members(void **s)
{
    assert_int_equal(sk_ft_zip_member(SK_FT_ZIP, "a.txt"), SK_FT_ZIP);
    assert_int_equal(sk_ft_zip_member(SK_FT_ZIP, "META-INF/MANIFEST.MF"), SK_FT_JAR);
    assert_int_equal(sk_ft_zip_member(SK_FT_ZIP, "com/x/Main.class"), SK_FT_JAR);
    assert_int_equal(sk_ft_zip_member(SK_FT_ZIP, "[Content_Types].xml"), SK_FT_OFFICE_ZIP);
    assert_int_equal(sk_ft_zip_member(SK_FT_OFFICE_ZIP, "word/vbaProject.bin"), SK_FT_OOXML_MACRO);
    assert_int_equal(sk_ft_zip_member(SK_FT_OOXML_MACRO, "word/document.xml"), SK_FT_OOXML_MACRO);
    assert_int_equal(sk_ft_zip_member(SK_FT_ZIP_ENCRYPTED, "[Content_Types].xml"),
                     SK_FT_ZIP_ENCRYPTED);
    assert_int_equal(sk_ft_kind_types(SK_FT_OFFICE_ZIP), 0); /* a docx is not an "archive" */
    assert_int_equal(sk_ft_kind_types(SK_FT_JAR), SK_FTT_JAVA);
    assert_int_equal(sk_ft_kind_types(SK_FT_ZIP_ENCRYPTED),
                     SK_FTT_ARCHIVE | SK_FTT_ENCRYPTED_ARCHIVE);
    (void)s;
}

static void test_names_and_lists(void **s)
{
    unsigned m = 0;
    char bad[16], *f;

    assert_int_equal(sk_ft_types_parse("", &m, bad, sizeof(bad)), 0);
    assert_int_equal(m, 0);
    assert_int_equal(sk_ft_types_parse("disk-image, EXECUTABLE,executable", &m, bad, 16), 0);
    assert_int_equal(m, SK_FTT_EXECUTABLE | SK_FTT_DISK_IMAGE);
    f = sk_ft_types_format(m);
    assert_string_equal(f, "executable,disk-image");
    free(f);
    f = sk_ft_types_format(0);
    assert_string_equal(f, "");
    free(f);
    assert_int_equal(sk_ft_types_parse("msi,exe", &m, bad, sizeof(bad)), -1);
    assert_string_equal(bad, "exe");
    assert_int_equal(sk_ft_types_parse("executables", &m, bad, 4), -1);
    assert_string_equal(bad, "exe"); /* cut to the buffer */
    for (unsigned i = 0; i < SK_FTT_COUNT; i++) {
        assert_int_equal(sk_ft_types_parse(sk_ft_type_name(i), &m, NULL, 0), 0);
        assert_int_equal(m, 1u << i);
        assert_non_null(sk_ft_type_help(i));
    }
    assert_null(sk_ft_type_name(SK_FTT_COUNT));
    assert_string_equal(sk_ft_kind_desc(SK_FT_PE, 0), "Windows executable");
    assert_string_equal(sk_ft_kind_desc(SK_FT_PE, 1), "Windows 実行ファイル");
    (void)s;
}

static void test_clamav_names(void **s)
{
    assert_int_equal(sk_ft_from_clamav("CL_TYPE_MSEXE"), SK_FT_PE);
    assert_int_equal(sk_ft_from_clamav("CL_TYPE_ELF"), SK_FT_ELF);
    assert_int_equal(sk_ft_from_clamav("CL_TYPE_MACHO_UNIBIN"), SK_FT_MACHO);
    assert_int_equal(sk_ft_from_clamav("CL_TYPE_POSIX_TAR"), SK_FT_TAR);
    assert_int_equal(sk_ft_from_clamav("CL_TYPE_JAVA"), SK_FT_CLASS);
    assert_int_equal(sk_ft_from_clamav("CL_TYPE_TEXT_ASCII"), SK_FT_NONE);
    assert_int_equal(sk_ft_from_clamav("CL_TYPE_MSEX"), SK_FT_NONE);
    assert_int_equal(sk_ft_from_clamav(NULL), SK_FT_NONE);
    (void)s;
}

static void test_mismatch(void **s)
{
    assert_true(sk_ft_mismatch(SK_FT_PE, "text/plain", NULL));
    assert_true(sk_ft_mismatch(SK_FT_PE, " Image/JPEG", NULL));
    assert_true(sk_ft_mismatch(SK_FT_PE, NULL, "report.TXT"));
    assert_true(sk_ft_mismatch(SK_FT_ZIP, "application/pdf", NULL));
    assert_false(sk_ft_mismatch(SK_FT_PE, "application/octet-stream", "setup.exe"));
    assert_false(sk_ft_mismatch(SK_FT_PE, NULL, NULL));
    assert_false(sk_ft_mismatch(SK_FT_NONE, "text/plain", "a.txt"));
    assert_false(sk_ft_mismatch(SK_FT_SCRIPT, "text/plain", "a.sh"));   /* scripts are text */
    assert_false(sk_ft_mismatch(SK_FT_OFFICE_ZIP, "text/plain", NULL)); /* not a named type */
    assert_false(sk_ft_mismatch(SK_FT_PE, NULL, "txt"));                /* no extension at all */
    (void)s;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_magic_table),  cmocka_unit_test(test_ole2_msi_and_macros),
        cmocka_unit_test(test_zip_members),  cmocka_unit_test(test_names_and_lists),
        cmocka_unit_test(test_clamav_names), cmocka_unit_test(test_mismatch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

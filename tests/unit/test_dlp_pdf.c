/* test_dlp_pdf.c - dlp's PDF text: the content-stream reader (text
 * operators, spacing by position, TJ adjustments, line ends, inline
 * images, Form XObjects and their depth bound), strings, ToUnicode CMaps
 * (1- and 2-byte codes, mixed codespaces, bfrange with a base and with an
 * array, surrogate pairs) and simple fonts' encodings (/Differences by
 * glyph name). Whole documents through the hooks: the end of this file.
 * pdftotext is the reference the expected strings were checked against
 * where a real PDF exists (tests/integration/test_dlp_pdf.py). */
#include "dlp.h"
#include "dlp_fixture.h"

#include "dlp_pdf.h"

/* Fonts of the tests' resources: F1 a simple WinAnsi font with widths of
 * 500 for every code, F2 a Type0 font with a 2-byte ToUnicode CMap, F3 a
 * simple font with /Differences, no widths. Forms: X1 draws "(form) Tj",
 * X2 draws itself. */
static struct sk_pdf_font f1, f2, f3;

static const struct sk_pdf_font *font(void *arg, void *res, const char *name)
{
    (void)arg, (void)res;
    if (strcmp(name, "F1") == 0)
        return &f1;
    if (strcmp(name, "F2") == 0)
        return &f2;
    if (strcmp(name, "F3") == 0)
        return &f3;
    return NULL;
}

static int form(void *arg, void *res, const char *name, const unsigned char **out, size_t *n,
                void **sub, double m[6])
{
    static const char x1[] = "BT /F1 10 Tf (form) Tj ET";
    static const char x2[] = "BT /F1 10 Tf 0 -20 Td (r) Tj ET /X2 Do";

    (void)arg;
    *sub = res;
    if (strcmp(name, "X1") == 0)
        *out = (const unsigned char *)x1, *n = sizeof(x1) - 1;
    else if (strcmp(name, "X2") == 0)
        *out = (const unsigned char *)x2, *n = sizeof(x2) - 1;
    else
        return -1;
    m[4] = 0, m[5] = -100; /* the form is drawn lower on the page */
    return 0;
}

/* The text of CONTENT; *RC the run's return. */
static const char *text(const char *content, int *rc)
{
    static struct text b;
    struct sk_pdf_res_ops ops = {font, form, text_collect, &b};
    struct sk_pdf_text *t = sk_pdf_text_new(&ops);

    b.n = 0, b.b[0] = '\0';
    assert_non_null(t);
    int r = sk_pdf_text_run(t, (const unsigned char *)content, strlen(content), NULL);
    assert_int_equal(sk_pdf_text_end(t), 0);
    sk_pdf_text_free(t);
    if (rc)
        *rc = r;
    else
        assert_int_equal(r, 0);
    return b.b;
}

static const char cmap2[] = "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
                            "1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
                            "2 beginbfchar <0003> <0020> <0011> <0034> endbfchar\n"
                            "1 beginbfrange <0012> <0014> <0031> endbfrange\n"
                            "endcmap CMapName currentdict /CMap defineresource pop end end";

static int fonts_setup(void **state)
{
    (void)state;
    sk_pdf_font_encoding(&f1, "WinAnsiEncoding", NULL, 0);
    for (int i = 0; i < 256; i++)
        f1.width[i] = 500;
    f2.cid = 1;
    f2.tounicode = sk_pdf_cmap_parse((const unsigned char *)cmap2, sizeof(cmap2) - 1);
    assert_non_null(f2.tounicode);
    static const char diff[] = "[1 /four /one /space /hyphen.alt 65 /zero /uni0035 /g17]";
    sk_pdf_font_encoding(&f3, NULL, (const unsigned char *)diff, sizeof(diff) - 1);
    for (int i = 0; i < 256; i++)
        f3.width[i] = -1;
    return 0;
}

static int fonts_teardown(void **state)
{
    (void)state;
    sk_pdf_font_fini(&f2);
    return 0;
}

static int group_setup(void **state)
{
    return fonts_setup(state) == 0 ? setup(state) : -1;
}

static int group_teardown(void **state)
{
    fonts_teardown(state);
    return teardown(state);
}

static void test_strings(void **state)
{
    (void)state; /* a string token's bytes: core's sk_pdf_string_bytes, test_pdf.c */
    char u[64];
    static const unsigned char u16[] = {0xfe, 0xff, 0x00, 0x34, 0xd8, 0x3d, 0xde, 0x00, 0x00, 0x31};
    size_t k = sk_pdf_text_string(u16, sizeof(u16), u);
    assert_int_equal(k, 6);
    assert_memory_equal(u,
                        "4\xf0\x9f\x98\x80"
                        "1",
                        6);
    static const unsigned char doc[] = {'4', 0x84, '1', 0x8a};
    k = sk_pdf_text_string(doc, sizeof(doc), u); /* PDFDocEncoding: em dash, minus */
    assert_int_equal(k, 8);
    assert_memory_equal(u,
                        "4\xe2\x80\x94"
                        "1\xe2\x88\x92",
                        8);
}

static void test_cmap(void **state)
{
    char u[SK_PDF_UTF8_MAX];
    uint32_t code;
    (void)state;

    /* 1-byte codes, bfchar, bfrange with a base, bfrange with an array
     * (a surrogate pair, a ligature of three), a name destination */
    static const char c1[] = "1 begincodespacerange <00> <FF> endcodespacerange\n"
                             "2 beginbfchar <01> <0034> <02> /hyphen endbfchar\n"
                             "2 beginbfrange <10> <19> <0030>\n"
                             "<20> <22> [<0041> <D83DDE00> <006600660069>] endbfrange";
    struct sk_pdf_cmap *c = sk_pdf_cmap_parse((const unsigned char *)c1, sizeof(c1) - 1);
    assert_non_null(c);
    assert_int_equal(sk_pdf_cmap_code(c, (const unsigned char *)"\x01\x02", 2, &code), 1);
    assert_int_equal(code, 1);
    assert_int_equal(sk_pdf_cmap_lookup(c, 1, 1, u), 1);
    assert_memory_equal(u, "4", 1);
    assert_int_equal(sk_pdf_cmap_lookup(c, 2, 1, u), 1);
    assert_memory_equal(u, "-", 1);
    assert_int_equal(sk_pdf_cmap_lookup(c, 0x10, 1, u), 1);
    assert_memory_equal(u, "0", 1);
    assert_int_equal(sk_pdf_cmap_lookup(c, 0x19, 1, u), 1);
    assert_memory_equal(u, "9", 1);
    assert_int_equal(sk_pdf_cmap_lookup(c, 0x1a, 1, u), 0); /* past the range's end */
    assert_int_equal(sk_pdf_cmap_lookup(c, 0x0f, 1, u), 0);
    assert_int_equal(sk_pdf_cmap_lookup(c, 0x20, 1, u), 1);
    assert_memory_equal(u, "A", 1);
    assert_int_equal(sk_pdf_cmap_lookup(c, 0x21, 1, u), 4);
    assert_memory_equal(u, "\xf0\x9f\x98\x80", 4);
    assert_int_equal(sk_pdf_cmap_lookup(c, 0x22, 1, u), 3);
    assert_memory_equal(u, "ffi", 3);
    sk_pdf_cmap_free(c);

    /* mixed codespaces (Shift_JIS-like): 1 byte below 0x80, 2 bytes
     * 8140-9FFC; a later definition of a code wins */
    static const char c2[] = "2 begincodespacerange <00> <80> <8140> <9FFC> endcodespacerange\n"
                             "3 beginbfchar <34> <0034> <8250> <FF11> <34> <0035> endbfchar";
    c = sk_pdf_cmap_parse((const unsigned char *)c2, sizeof(c2) - 1);
    assert_non_null(c);
    assert_int_equal(sk_pdf_cmap_code(c, (const unsigned char *)"\x82\x50\x34", 3, &code), 2);
    assert_int_equal(code, 0x8250);
    assert_int_equal(sk_pdf_cmap_lookup(c, code, 2, u), 3);
    assert_memory_equal(u, "\xef\xbc\x91", 3);
    assert_int_equal(sk_pdf_cmap_code(c, (const unsigned char *)"\x34\x82", 2, &code), 1);
    assert_int_equal(sk_pdf_cmap_lookup(c, code, 1, u), 1);
    assert_memory_equal(u, "5", 1);
    /* bytes no range takes: a code of the shortest length */
    assert_int_equal(sk_pdf_cmap_code(c, (const unsigned char *)"\xa0\x41", 2, &code), 1);
    assert_int_equal(code, 0xa0);
    /* a 2-byte lead byte at the string's end */
    assert_int_equal(sk_pdf_cmap_code(c, (const unsigned char *)"\x82", 1, &code), 1);
    sk_pdf_cmap_free(c);

    /* 2-byte codes: the range counts up in its last unit */
    assert_int_equal(sk_pdf_cmap_code(f2.tounicode, (const unsigned char *)"\x00\x12", 2, &code),
                     2);
    assert_int_equal(sk_pdf_cmap_lookup(f2.tounicode, 0x14, 2, u), 1);
    assert_memory_equal(u, "3", 1);
    assert_int_equal(sk_pdf_cmap_lookup(f2.tounicode, 0x15, 2, u), 0);

    /* no codespace ranges: codes as long as the sources */
    static const char c3[] = "beginbfchar <0001> <0034> endbfchar";
    c = sk_pdf_cmap_parse((const unsigned char *)c3, sizeof(c3) - 1);
    assert_int_equal(sk_pdf_cmap_code(c, (const unsigned char *)"\x00\x01", 2, &code), 2);
    assert_int_equal(sk_pdf_cmap_lookup(c, code, 2, u), 1);
    sk_pdf_cmap_free(c);
    /* sources, destinations and codespace bounds longer than any code
     * (fuzz.dlp_pdf: an 11-byte source overran its buffer): ignored */
    static const char c4[] = "1 begincodespacerange <000000000000000000000000000000000000> <FF> "
                             "endcodespacerange beginbfchar <0000000000000000000041> <0034> "
                             "<41> <00000000000000000000000000000000000000000000000000000000000000"
                             "000000000000000000000000000000000000000000000000000000000000000000"
                             "000000000000000000000000000000000034> endbfchar";
    c = sk_pdf_cmap_parse((const unsigned char *)c4, sizeof(c4) - 1);
    assert_non_null(c);
    assert_int_equal(sk_pdf_cmap_lookup(c, 0x41, 1, u), 0);
    sk_pdf_cmap_free(c);
    /* garbage: an empty map, never a crash */
    c = sk_pdf_cmap_parse((const unsigned char *)"beginbfrange <ff> <00> <0030> <01",
                          sizeof("beginbfrange <ff> <00> <0030> <01") - 1);
    assert_non_null(c);
    assert_int_equal(sk_pdf_cmap_lookup(c, 1, 1, u), 0);
    sk_pdf_cmap_free(c);
}

static void test_glyph_names(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        uint32_t u;
    } g[] = {{"zero", '0'},       {"nine", '9'},   {"space", ' '},         {"hyphen", '-'},
             {"A", 'A'},          {"z", 'z'},      {"four.oldstyle", '4'}, {"uni0034", '4'},
             {"u1D7CE", 0x1d7ce}, {"uni00341", 0}, {"uniD800", 0},         {"uni003a", 0},
             {"g17", 0},          {"", 0},         {"endash", 0x2013},     {"minus", 0x2212}};
    for (size_t i = 0; i < sizeof(g) / sizeof(*g); i++)
        assert_int_equal(sk_pdf_glyph_unicode(g[i].name, strlen(g[i].name)), g[i].u);
    /* the Differences of F3: codes 1-4, then 65, 66, 67 */
    assert_int_equal(f3.enc[1], '4');
    assert_int_equal(f3.enc[2], '1');
    assert_int_equal(f3.enc[3], ' ');
    assert_int_equal(f3.enc[4], '-');
    assert_int_equal(f3.enc[65], '0');
    assert_int_equal(f3.enc[66], '5');
    assert_int_equal(f3.enc[67], 0);
    assert_int_equal(f3.enc['B' + 2], 'D'); /* the base encoding stays */
    assert_int_equal(f3.enc[0x27], 0x2019); /* Standard: a curly quote */
    assert_int_equal(f1.enc[0x96], 0x2013); /* WinAnsi */
    struct sk_pdf_font mac = {0};
    sk_pdf_font_encoding(&mac, "MacRomanEncoding", NULL, 0);
    assert_int_equal(mac.enc[0xd0], 0x2013);
}

static void test_text_operators(void **state)
{
    (void)state;
    /* Tj; a Td that moves down is a line end */
    assert_string_equal(text("BT /F1 10 Tf 72 700 Td (4111 1111) Tj 0 -14 Td (next) Tj ET", NULL),
                        "4111 1111\nnext\n");
    /* TJ: small kerning joins, a large negative adjustment is a space */
    assert_string_equal(
        text("BT /F1 10 Tf [(4)-20(1)10(1)(1)-300(1)(1)(1)(1)-250(1)(1)(1)(1)] TJ ET", NULL),
        "4111 1111 1111\n");
    /* just under the threshold of 0.15 em: no space */
    assert_string_equal(text("BT /F1 10 Tf [(41)-140(11)] TJ ET", NULL), "4111\n");
    assert_string_equal(text("BT /F1 10 Tf [(41)-160(11)] TJ ET", NULL), "41 11\n");
    /* T*, ' and " with the leading */
    assert_string_equal(text("BT /F1 10 Tf 12 TL (a) Tj T* (b) Tj (c) ' 1 0 (d) \" ET", NULL),
                        "a\nb\nc\nd\n");
    /* TD sets the leading */
    assert_string_equal(text("BT /F1 10 Tf (a) Tj 0 -12 TD (b) Tj T* (c) Tj ET", NULL),
                        "a\nb\nc\n");
    /* single glyphs placed by Tm: next to each other, or apart */
    assert_string_equal(text("BT /F1 10 Tf 1 0 0 1 100 700 Tm (4) Tj 1 0 0 1 105 700 Tm (1) Tj "
                             "1 0 0 1 110 700 Tm (1) Tj 1 0 0 1 125 700 Tm (1) Tj ET",
                             NULL),
                        "411 1\n");
    /* a horizontal Td on one line: a gap, not a line end */
    assert_string_equal(text("BT /F1 10 Tf (4111) Tj 30 0 Td (1111) Tj ET", NULL), "4111 1111\n");
    /* scaled by cm and Tm: the thresholds are in the font's size on the page */
    assert_string_equal(text("2 0 0 2 0 0 cm BT /F1 5 Tf 1 0 0 1 0 0 Tm (41) Tj 1 0 0 1 5.5 0 "
                             "Tm (11) Tj 1 0 0 1 12 0 Tm (x) Tj ET",
                             NULL),
                        "4111 x\n");
    /* a simple font's /Differences; q/Q */
    assert_string_equal(text("BT q /F3 10 Tf <010202020301040141> Tj Q ET", NULL), "4111 4-40\n");
    /* names with #xx escapes are the names */
    assert_string_equal(text("BT /F#32 10 Tf <0011> Tj /#46#31 10 Tf (1) Tj ET", NULL), "41\n");
    /* a 2-byte ToUnicode font */
    assert_string_equal(text("BT /F2 10 Tf <0011001200120012000300120013> Tj ET", NULL),
                        "4111 12\n");
    /* no font: the bytes as ASCII */
    assert_string_equal(text("BT (41) Tj ET", NULL), "41\n");
    /* an inline image's bytes are no operators */
    assert_string_equal(
        text("BI /W 2 /H 2 /BPC 8 /CS /G ID \x01(x) Tj ) EIx\x02 EI BT /F1 10 Tf (ok) Tj ET", NULL),
        "ok\n");
    /* an /ActualText replaces the glyphs drawn inside it (cairo's missing
     * letters), once, where the first of them is; nested marked content
     * does not end it early */
    assert_string_equal(text("BT /F1 10 Tf (a) Tj /Span <</ActualText <FEFF0034>>> BDC (C) Tj EMC "
                             "/Span <</ActualText (1)>> BDC /X BMC (CC) Tj EMC (C) Tj EMC (b) Tj "
                             "ET",
                             NULL),
                        "a41b\n");
    assert_string_equal(text("BT /F1 10 Tf /Span <</ActualText (x)>> BDC EMC (a) Tj ET", NULL),
                        "a\n");
    /* marked content and unknown operators pass */
    assert_string_equal(text("/P <</MCID 0>> BDC BT /F1 10 Tf (a) Tj ET EMC 1 0 0 RG", NULL),
                        "a\n");
}

static void test_forms(void **state)
{
    int rc;
    (void)state;
    /* a form's text, below the page's: a line of its own */
    assert_string_equal(text("BT /F1 10 Tf (page) Tj ET /X1 Do", NULL), "page\nform\n");
    /* a form that draws itself: read to the depth bound, then a limit */
    const char *s = text("/X2 Do", &rc);
    assert_int_equal(rc, 1);
    size_t r = 0;
    for (; *s; s++)
        r += *s == 'r';
    assert_int_equal(r, SK_PDF_FORM_DEPTH);
    /* an unknown XObject (an image): nothing */
    assert_string_equal(text("/Im0 Do BT /F1 10 Tf (a) Tj ET", NULL), "a\n");
}

/* ---- whole documents through the hooks (policy "blk", 10.0.0.2: cards) ---- */

/* A PDF: the catalog, the page tree, one page whose content stream is
 * CONTENT (Flate-compressed unless RAW), Helvetica as F1, then EXTRA
 * (more objects, from number 6 on) and TRAILER's keys. Caller frees. */
static unsigned char *mkpdf_bin(const char *prefix, const char *content, int raw, const void *extra,
                                size_t extra_len, const char *trailer, size_t *len)
{
    size_t zn = strlen(content);
    unsigned char *z =
        raw ? (unsigned char *)strdup(content) : sk_tz_deflate(content, strlen(content), 15, &zn);
    size_t cap = zn + strlen(prefix) + extra_len + strlen(trailer) + 1024;
    unsigned char *b = malloc(cap);
    size_t n = (size_t)snprintf(
        (char *)b, cap,
        "%s%%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 /Resources << /Font << /F1 5 0 R >> "
        "/XObject << /X1 6 0 R >> >> >>\nendobj\n"
        "3 0 obj\n<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>\nendobj\n"
        "4 0 obj\n<< %s/Length %zu >>\nstream\n",
        prefix, raw ? "" : "/Filter /FlateDecode ", zn);
    memcpy(b + n, z, zn);
    n += zn;
    n += (size_t)snprintf((char *)b + n, cap - n,
                          "\nendstream\nendobj\n5 0 obj\n<< /Type /Font /Subtype /Type1 "
                          "/BaseFont /Helvetica /Encoding /WinAnsiEncoding >>\nendobj\n");
    memcpy(b + n, extra, extra_len);
    n += extra_len;
    n += (size_t)snprintf((char *)b + n, cap - n, "trailer\n<< /Root 1 0 R %s>>\n%%%%EOF\n",
                          trailer);
    free(z);
    *len = n;
    return b;
}

static unsigned char *mkpdf(const char *prefix, const char *content, int raw, const char *extra,
                            const char *trailer, size_t *len)
{
    return mkpdf_bin(prefix, content, raw, extra, strlen(extra), trailer, len);
}

/* Object NUM, a Flate stream of DATA[0..DN) with DICT's keys, then TAIL
 * (text), into a malloc'd buffer: what the raw bytes do not show. */
static unsigned char *flate_obj(int num, const char *dict, const void *data, size_t dn,
                                const char *tail, size_t *len)
{
    size_t zn;
    unsigned char *z = sk_tz_deflate(data, dn, 15, &zn);
    size_t cap = zn + strlen(dict) + strlen(tail) + 128;
    unsigned char *b = malloc(cap);
    size_t n = (size_t)snprintf((char *)b, cap,
                                "%d 0 obj\n<< %s /Filter /FlateDecode /Length %zu >>\nstream\n",
                                num, dict, zn);
    memcpy(b + n, z, zn);
    n += zn;
    n += (size_t)snprintf((char *)b + n, cap - n, "\nendstream\nendobj\n%s", tail);
    free(z);
    *len = n;
    return b;
}

static void expect_pdf(const unsigned char *b, size_t n, enum sk_verdict v, const char *rule,
                       const char *why)
{
    struct req r = {.ip = "10.0.0.2", .ctype = "application/pdf", .body = b, .len = n};

    expect(&r, v, rule, why);
    r.chunk = 1; /* held across 1-byte writes alike */
    expect(&r, v, rule, why);
    r.ctype = "application/octet-stream";
    expect(&r, v, rule, why);
}

static void test_documents(void **state)
{
    size_t n;
    unsigned char *b;
    (void)state;

    /* before this reader the card was compressed: it passed */
    b = mkpdf("", "BT /F1 12 Tf 72 700 Td (Card 4111 1111 1111 1111) Tj ET", 0, "", "", &n);
    expect_pdf(b, n, SK_BLOCK, "cards", "a card in a Flate content stream");
    free(b);
    b = mkpdf("", "BT /F1 12 Tf 72 700 Td (Card 4111 1111 1111 1112) Tj ET", 0, "", "", &n);
    expect_pdf(b, n, SK_ALLOW, NULL, "a clean PDF");
    free(b);
    /* one glyph at a time, kerned */
    b = mkpdf("",
              "BT /F1 12 Tf [(4)-5(1)(1)(1)-280(1)(1)(1)(1)-280(1)(1)(1)(1)-280(1)(1)(1)(1)] TJ ET",
              0, "", "", &n);
    expect_pdf(b, n, SK_BLOCK, "cards", "single glyphs in TJ");
    free(b);
    /* a Form XObject */
    size_t xn;
    static const char form[] = "BT /F1 9 Tf (4111-1111-1111-1111) Tj ET";
    unsigned char *x =
        flate_obj(6, "/Type /XObject /Subtype /Form", form, sizeof(form) - 1, "", &xn);
    b = mkpdf_bin("", "q /X1 Do Q", 0, x, xn, "", &n);
    expect_pdf(b, n, SK_BLOCK, "cards", "text in a Form XObject");
    free(b);
    free(x);
    /* a form that draws itself: the depth bound is dlp.on-limit */
    b = mkpdf("", "/X1 Do", 0,
              "6 0 obj\n<< /Type /XObject /Subtype /Form /Length 6 >>\nstream\n/X1 Do\n"
              "endstream\nendobj\n",
              "", &n);
    expect_pdf(b, n, SK_BLOCK, "dlp-limit", "a form drawing itself");
    free(b);
    /* "%PDF-" within the first 1024 bytes, as readers look for it */
    char junk[1100];
    memset(junk, 'x', sizeof(junk) - 1);
    junk[sizeof(junk) - 1] = '\0';
    junk[1000] = '\0';
    b = mkpdf(junk, "BT /F1 12 Tf (4111 1111 1111 1111) Tj ET", 0, "", "", &n);
    expect_pdf(b, n, SK_BLOCK, "cards", "a PDF after 1000 bytes");
    free(b);
    junk[1000] = 'x';
    b = mkpdf(junk, "BT /F1 12 Tf (4111 1111 1111 1111) Tj ET", 0, "", "", &n);
    expect_pdf(b, n, SK_ALLOW, NULL, "\"%PDF-\" after 1099 bytes: no PDF to readers");
    free(b);
    /* a content stream that does not decode */
    const char *bad = "4 0 obj\n<< /Filter /FlateDecode /Length 8 >>\nstream\nnotzlib!\nendstream";
    b = mkpdf("", "BT ET", 0, "", "", &n);
    size_t bn = n + strlen(bad) + 64;
    unsigned char *c = malloc(bn);
    /* the page's content replaced by a later definition that is corrupt */
    memcpy(c, b, n);
    bn = n + (size_t)snprintf((char *)c + n, bn - n, "%s\nendobj\n", bad);
    expect_pdf(c, bn, SK_BLOCK, "dlp-undecodable", "a content stream that does not decode");
    free(c);
    free(b);
    /* an unknown security handler: dlp.on-error */
    b = mkpdf("", "BT (x) Tj ET", 0, "9 0 obj\n<< /Filter /Nope /V 9 /R 9 >>\nendobj\n",
              "/Encrypt 9 0 R /ID [<00><00>] ", &n);
    expect_pdf(b, n, SK_BLOCK, "dlp-undecodable", "an unknown security handler");
    free(b);
    /* ... also when it holds no stream, only strings (none of them read) */
    static const char nostream[] = "%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
                                   "7 0 obj\n<< /Title (hello) >>\nendobj\n9 0 obj\n<< "
                                   "/Filter /Nope /V 9 /R 9 >>\nendobj\ntrailer\n<< /Root 1 0 R "
                                   "/Encrypt 9 0 R /ID [<00><00>] >>\n%%EOF\n";
    expect_pdf((const unsigned char *)nostream, sizeof(nostream) - 1, SK_BLOCK, "dlp-undecodable",
               "an unknown security handler, no stream");
    /* strings outside the pages: Info, an annotation, a field value */
    static const char *const strs[] = {"/Title (4111 1111 1111 1111)",
                                       "/Contents <3431313120313131"
                                       "3120313131312031313131>",
                                       "/V (4111\\0401111\\0401111\\0401111)",
                                       "/Cont#65nts (4111 1111 1111 1111)"};
    for (size_t i = 0; i < sizeof(strs) / sizeof(*strs); i++) {
        char extra[256];
        snprintf(extra, sizeof(extra), "7 0 obj\n<< %s >>\nendobj\n", strs[i]);
        b = mkpdf("", "BT ET", 0, extra, "", &n);
        expect_pdf(b, n, SK_BLOCK, "cards", strs[i]);
        free(b);
    }
    /* an embedded file: a zip of a card list in the PDF */
    const char *names[] = {"cards.csv"}, *data[] = {"taro,4111111111111111\n"};
    size_t zn;
    unsigned char *zip = sk_tz_zip_texts(names, data, 1, 1, &zn);
    x = flate_obj(8, "/Type /EmbeddedFile", zip, zn, "", &xn);
    b = mkpdf_bin("", "BT ET", 0, x, xn, "", &n);
    expect_pdf(b, n, SK_BLOCK, "cards", "a zip embedded in a PDF");
    free(b);
    free(x);
    free(zip);
    /* a text file, named as its file specification names it */
    static const char csv[] = "taro,4111111111111111\n";
    x = flate_obj(8, "/Type /EmbeddedFile", csv, sizeof(csv) - 1,
                  "9 0 obj\n<< /Type /Filespec /F (x.txt) /UF <FEFF006C0069"
                  "00730074002E006300730076> /EF << /F 8 0 R >> >>\nendobj\n",
                  &xn);
    b = mkpdf_bin("", "BT ET", 0, x, xn, "", &n);
    free(x);
    struct req r = {.ip = "10.0.0.2", .ctype = "application/pdf", .body = b, .len = n};
    struct res out;
    run(&r, &out);
    assert_int_equal(out.v, SK_BLOCK);
    assert_non_null(strstr(out.reports, "list.csv"));
    res_free(&out);
    free(b);
}

/* dlp.max-decoded bounds what is held: a larger PDF is dlp.on-limit */
static const char *opt_small(const struct sk_module_ctx *c, const char *key)
{
    (void)c;
    return strcmp(key, "max-decoded") == 0 ? "300" : NULL;
}

static void test_document_limits(void **state)
{
    struct sk_module_ctx saved = mctx;
    char *err = NULL;
    size_t n;
    (void)state;

    mctx = (struct sk_module_ctx){.name = "dlp", .option = opt_small};
    assert_int_equal(sk_dlp_init(&mctx, &err), 0);
    unsigned char *b = mkpdf("", "BT /F1 12 Tf (clean) Tj ET", 0, "", "", &n);
    assert_true(n > 300);
    expect_pdf(b, n, SK_BLOCK, "dlp-limit", "a PDF larger than dlp.max-decoded");
    free(b);
    sk_dlp_fini(&mctx);
    mctx = saved;
}

/* A PDF over SK_DLP_HOLD_MAX is not held on (memory): dlp.on-limit. */
static void test_hold_bound(void **state)
{
    size_t pad = SK_DLP_HOLD_MAX + 4096, n;
    char *spaces = malloc(pad);
    (void)state;

    memset(spaces, ' ', pad);
    unsigned char *b = mkpdf_bin("", "BT /F1 12 Tf (clean) Tj ET", 0, spaces, pad, "", &n);
    struct req r = {
        .ip = "10.0.0.2", .ctype = "application/pdf", .body = b, .len = n, .chunk = 1 << 20};
    expect(&r, SK_BLOCK, "dlp-limit", "a PDF over SK_DLP_HOLD_MAX");
    free(b);
    /* the same document with 4 KiB of padding: held, read, clean */
    b = mkpdf_bin("", "BT /F1 12 Tf (clean) Tj ET", 0, spaces, 4096, "", &n);
    r.body = b, r.len = n;
    expect(&r, SK_ALLOW, NULL, "the same PDF under the bound");
    free(b);
    free(spaces);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strings),         cmocka_unit_test(test_cmap),
        cmocka_unit_test(test_glyph_names),     cmocka_unit_test(test_text_operators),
        cmocka_unit_test(test_forms),           cmocka_unit_test(test_documents),
        cmocka_unit_test(test_document_limits), cmocka_unit_test(test_hold_bound),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

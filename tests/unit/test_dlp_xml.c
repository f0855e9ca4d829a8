/* test_dlp_xml.c - dlp over XML whose document type declaration declares
 * internal entities (<!ENTITY a "4111 1111">): "&a;" is its value where it
 * stands, as libxml2, expat (ElementTree), .NET and Java read it; nested
 * entities, names of any XML name characters, declarations after comments
 * and processing instructions holding quotes; the first declaration binds;
 * expansion bounded by dlp.max-decoded (a "billion laughs" document is a
 * limit) and by nesting depth (an error). Attribute values as readers
 * normalise them (a line end or a tab is a space); a document in the
 * charset its own XML declaration names (EBCDIC, UTF-7, HZ). Shared
 * fixture: support/dlp_fixture.c. */
#include <iconv.h>

#include "dlp_fixture.h"

#define DT(subset, text) "<?xml version=\"1.0\"?><!DOCTYPE c [" subset "]><c>" text "</c>"

static void test_entities(void **state)
{
    (void)state;
    static const struct {
        const char *what, *xml;
        enum sk_verdict want;
        const char *rule;
    } cases[] = {
        {"half a card in an entity", DT("<!ENTITY a \"4111 1111\">", "&a; 1111 1111"), SK_BLOCK,
         "cards"},
        {"a character reference in the value", DT("<!ENTITY a \"&#52;111\">", "&a; 1111 1111 1111"),
         SK_BLOCK, "cards"},
        {"&#38;#52; in the value: '&' at declaration, '4' at use",
         DT("<!ENTITY a \"&#38;#52;111\">", "&a; 1111 1111 1111"), SK_BLOCK, "cards"},
        {"an entity in an entity",
         DT("<!ENTITY b \"1111\"><!ENTITY a \"4111 &b;\">", "&a; 1111 1111"), SK_BLOCK, "cards"},
        {"a name with '-', '.', '_' and ':'",
         DT("<!ENTITY my-card.no_1:x '4111 1111'>", "&my-card.no_1:x; 1111 1111"), SK_BLOCK,
         "cards"},
        {"a non-ASCII name", DT("<!ENTITY \xe3\x82\xab \"4111 1111\">", "&\xe3\x82\xab; 1111 1111"),
         SK_BLOCK, "cards"},
        {"a comment with a quote before it",
         DT("<!-- don't --><!ENTITY a \"4111 1111\">", "&a; 1111 1111"), SK_BLOCK, "cards"},
        {"a processing instruction with a quote before it",
         DT("<?pi it's ?><!ENTITY a \"4111 1111\">", "&a; 1111 1111"), SK_BLOCK, "cards"},
        {"markup in the value", DT("<!ENTITY a \"<b>4111</b> 1111\">", "<p>&a; 1111 1111</p>"),
         SK_BLOCK, "cards"},
        {"an external identifier first",
         "<!DOCTYPE c SYSTEM \"x>y.dtd\" [<!ENTITY a \"4111 1111\">]><c>&a; 1111 1111</c>",
         SK_BLOCK, "cards"},
        {"entities in a double-quoted attribute",
         DT("<!ENTITY a \"4111 1111\"><!ENTITY b \" 1111 1111\">", "<img alt=\"&a;&b;\"/>"),
         SK_BLOCK, "cards"},
        {"nested entities in a single-quoted attribute",
         DT("<!ENTITY b \"1111 1111\"><!ENTITY a \"4111 1111 &b;\">", "<x t='&a;'/>"), SK_BLOCK,
         "cards"},
        {"an undeclared reference in an attribute stays as it is",
         DT("<!ENTITY a \"x\">", "<x t=\"&zz;4111 1111 1111 1111\"/>"), SK_BLOCK, "cards"},
        {"an attribute's default value (ElementTree adds it)",
         DT("<!ENTITY a \"4111 1111\"><!ENTITY b \" 1111 1111\"><!ATTLIST c x CDATA \"&a;&b;\">",
            ""),
         SK_BLOCK, "cards"},
        {"... #FIXED, single-quoted, after an enumeration",
         DT("<!ENTITY a '4111 1111'><!ATTLIST c y (p|q) 'p' x CDATA #FIXED '&a; 1111 1111'>", ""),
         SK_BLOCK, "cards"},
        {"the first declaration binds",
         DT("<!ENTITY a \"nothing\"><!ENTITY a \"4111 1111\">", "&a; 1111 1111"), SK_ALLOW, NULL},
        {"a parameter entity that declares a general one (libxml2 reads it)",
         DT("<!ENTITY % p \"<!ENTITY a '4111 1111'>\"> %p;", "&a; 1111 1111"), SK_BLOCK, "cards"},
        {"... its text written with character references",
         DT("<!ENTITY % p \"&#60;!ENTITY a '4111 1111'&#62;\"> %p;", "&a; 1111 1111"), SK_BLOCK,
         "cards"},
        {"parameter entities that name each other",
         DT("<!ENTITY % p \"%q;\"><!ENTITY % q \"%p;\"> %p;", "x"), SK_BLOCK, "dlp-undecodable"},
        {"a parameter entity is no general one", DT("<!ENTITY % a \"4111 1111\">", "&a; 1111 1111"),
         SK_ALLOW, NULL},
        {"a clean document", DT("<!ENTITY co \"Example Corp\">", "&co; 2024 &amp; 1111"), SK_ALLOW,
         NULL},
        {"an entity that names itself", DT("<!ENTITY a \"x&a;\">", "&a;"), SK_BLOCK,
         "dlp-undecodable"},
    };
    /* as declared, and as an endpoint that parses any body as XML reads it */
    static const char *const types[] = {"application/xml", "text/plain", "application/octet-stream",
                                        NULL};
    char why[160];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
            struct req r = {.ip = "10.0.0.2",
                            .ctype = types[t],
                            .body = cases[i].xml,
                            .len = strlen(cases[i].xml)};
            for (r.chunk = 0; r.chunk <= 3; r.chunk++) {
                snprintf(why, sizeof(why), "%s, %s, writes of %zu", cases[i].what,
                         types[t] ? types[t] : "no type", r.chunk);
                expect(&r, cases[i].want, cases[i].rule, why);
            }
        }
    }
}

/* One case's verdict as every type an endpoint may read XML under, the
 * body cut into writes of 1, 2 and 3 bytes too (a CR LF across writes). */
static void expect_xml(const char *ctype, const void *body, size_t len, enum sk_verdict want,
                       const char *rule, const char *what)
{
    static const char *const types[] = {"application/xml", "image/svg+xml", "text/plain",
                                        "application/octet-stream"};
    char why[200];

    for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
        struct req r = {
            .ip = "10.0.0.2", .ctype = ctype ? ctype : types[t], .body = body, .len = len};
        for (r.chunk = 0; r.chunk <= 3; r.chunk++) {
            snprintf(why, sizeof(why), "%s, %s, writes of %zu", what, r.ctype, r.chunk);
            expect(&r, want, rule, why);
        }
        if (ctype)
            break;
    }
}

/* Attribute-value normalisation (XML 1.0 3.3.3): expat (ElementTree) and
 * libxml2 read a literal CR, LF, CR LF (one) or tab in an attribute value
 * - also in an entity's replacement text there and in an <!ATTLIST>
 * default - as a space; a character reference (&#10;) written in the
 * value stays the character (a line end, as in text). The detector takes
 * one to three spaces between groups: "\r\n\r\n " is three, so a CR LF
 * read as two spaces would show. */
static void test_attr_whitespace(void **state)
{
    (void)state;
    static const struct {
        const char *what, *xml;
        enum sk_verdict want;
    } cases[] = {
        {"LF between the groups", DT("", "<r x=\"4111\n1111\n1111\n1111\"/>"), SK_BLOCK},
        {"CR between the groups", DT("", "<r x='4111\r1111\r1111\r1111'/>"), SK_BLOCK},
        {"CR LF twice and a space: three spaces",
         DT("", "<r x=\"4111\r\n\r\n 1111\r\n\r\n 1111\r\n\r\n 1111\"/>"), SK_BLOCK},
        {"an SVG text's x, LF and tab",
         DT("", "<svg><text x=\"4111\n1111\t1111\n1111\" y=\"1\"/></svg>"), SK_BLOCK},
        {"entities with LF in an attribute",
         DT("<!ENTITY a \"4111\n1111\"><!ENTITY b \"\n1111\n1111\">", "<r x=\"&a;&b;\"/>"),
         SK_BLOCK},
        {"an entity with CR LF twice and a space in an attribute",
         DT("<!ENTITY a \"4111\r\n\r\n 1111\r\n\r\n 1111\r\n\r\n 1111\">", "<r x='&a;'/>"),
         SK_BLOCK},
        {"&#10; in an entity: a literal LF by its use, a space in an attribute",
         DT("<!ENTITY a \"4111&#10;1111&#10;1111&#10;1111\">", "<r x=\"&a;\"/>"), SK_BLOCK},
        {"an <!ATTLIST> default with LF, tab and CR",
         DT("<!ATTLIST c x CDATA \"4111\n1111\t1111\r1111\">", ""), SK_BLOCK},
        {"an <!ATTLIST> default with CR LF twice and a space",
         DT("<!ATTLIST c x CDATA '4111\r\n\r\n 1111\r\n\r\n 1111\r\n\r\n 1111'>", ""), SK_BLOCK},
        {"&#10; written in an attribute stays a line end",
         DT("", "<r x=\"4111&#10;1111&#10;1111&#10;1111\"/>"), SK_ALLOW},
        {"a clean value with line ends", DT("", "<r x=\"order\n2024\r\n1111\"/>"), SK_ALLOW},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_xml(NULL, cases[i].xml, strlen(cases[i].xml), cases[i].want,
                   cases[i].want == SK_BLOCK ? "cards" : NULL, cases[i].what);
}

/* UTF-8 TEXT converted to CHARSET into OUT (CAP bytes); its length. */
static size_t conv(const char *charset, const char *text, char *out, size_t cap)
{
    iconv_t cd = iconv_open(charset, "UTF-8");
    size_t inl = strlen(text), outl = cap;
    char *op = out, *ip = (char *)text;

    assert_true(cd != (iconv_t)-1);
    assert_true(iconv(cd, &ip, &inl, &op, &outl) != (size_t)-1);
    iconv(cd, NULL, NULL, &op, &outl);
    iconv_close(cd);
    return (size_t)(op - out);
}

#define CARD_U7 "+/xT/Ef8R/xE +/xH/Ef8R/xE +/xH/Ef8R/xE +/xH/Ef8R/xE-" /* ４１１１ １１１１ ... */
#define CARD_HZ "~{#4#1#1#1~} ~{#1#1#1#1~} ~{#1#1#1#1~} ~{#1#1#1#1~}"

/* The charset the document's own XML declaration names, read as a
 * declared Content-Type charset is (a second reading): libxml2 (lxml,
 * xmllint, PHP) detects EBCDIC by "<?xm" in it and reads the name in
 * EBCDIC (none: IBM037), and reads UTF-7 and HZ, after a UTF-8 BOM, and
 * switches from UTF-16 to the named charset behind the declaration. Both
 * readings when the HTTP charset names another; a declaration longer than
 * the bytes looked at is dlp.on-error. */
static void test_encoding_declaration(void **state)
{
    (void)state;
    static const struct {
        const char *what, *charset, *doc;
        enum sk_verdict want;
    } ebcdic[] = {
        {"EBCDIC, encoding=\"IBM037\"", "IBM037",
         "<?xml version=\"1.0\" encoding=\"IBM037\"?><r>4111 1111 1111 1111</r>", SK_BLOCK},
        {"EBCDIC cp500, encoding = 'ebcdic-cp-be' across a line end", "IBM500",
         "<?xml version='1.0'\nencoding = 'ebcdic-cp-be'?><r a='4111 1111 1111 1111'/>", SK_BLOCK},
        {"EBCDIC cp273 without an encoding (libxml2: IBM037)", "IBM273",
         "<?xml version=\"1.0\"?><r>4111 1111 1111 1111</r>", SK_BLOCK},
        {"EBCDIC naming a charset it has no second reading for", "IBM1140",
         "<?xml version=\"1.0\" encoding=\"UTF-8\"?><r>4111 1111 1111 1111</r>", SK_BLOCK},
        {"clean EBCDIC", "IBM037", "<?xml version=\"1.0\" encoding=\"IBM037\"?><r>order 2024</r>",
         SK_ALLOW},
    };
    static const struct {
        const char *what, *ctype, *doc;
        enum sk_verdict want;
        const char *rule;
    } ascii[] = {
        {"encoding = 'UTF-7'", NULL, "<?xml version='1.0' encoding\t= 'UTF-7' ?><r>" CARD_U7 "</r>",
         SK_BLOCK, "cards"},
        {"encoding=\"HZ-GB-2312\"", NULL,
         "<?xml version=\"1.0\" encoding=\"HZ-GB-2312\"?><r>" CARD_HZ "</r>", SK_BLOCK, "cards"},
        {"a UTF-8 BOM, encoding=\"utf-7\"", NULL,
         "\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"utf-7\"?><r>" CARD_U7 "</r>", SK_BLOCK,
         "cards"},
        {"HTTP charset=cp037, the declaration UTF-7: both read", "application/xml; charset=cp037",
         "<?xml version=\"1.0\" encoding=\"UTF-7\"?><r>" CARD_U7 "</r>", SK_BLOCK, "cards"},
        {"HTTP charset=utf-7, the declaration IBM037: both read", "application/xml; charset=utf-7",
         "<?xml version=\"1.0\" encoding=\"IBM037\"?><r>" CARD_U7 "</r>", SK_BLOCK, "cards"},
        {"a declaration still open after 512 bytes", NULL,
         "<?xml version=\"1.0\"                                                                    "
         "                                                                                        "
         "                                                                                        "
         "                                                                                        "
         "                                                                                        "
         "                                                                                        "
         "encoding=\"UTF-7\"?><r>" CARD_U7 "</r>",
         SK_BLOCK, "dlp-undecodable"},
        {"clean UTF-7", NULL, "<?xml version=\"1.0\" encoding=\"UTF-7\"?><r>+ZeVnLA- 2024</r>",
         SK_ALLOW, NULL},
        {"clean, encoding=\"UTF-8\", a long text", NULL,
         "<?xml version=\"1.0\" encoding=\"UTF-8\"?><r>order 2024 1111 "
         "..............................................................................."
         "..............................................................................."
         "..............................................................................."
         "..............................................................................."
         "..............................................................................."
         "..............................................................................."
         "</r>",
         SK_ALLOW, NULL},
    };
    char buf[1024], what[160];
    size_t n;

    for (size_t i = 0; i < sizeof(ebcdic) / sizeof(ebcdic[0]); i++) {
        n = conv(ebcdic[i].charset, ebcdic[i].doc, buf, sizeof(buf));
        expect_xml(NULL, buf, n, ebcdic[i].want, ebcdic[i].want == SK_BLOCK ? "cards" : NULL,
                   ebcdic[i].what);
    }
    for (size_t i = 0; i < sizeof(ascii) / sizeof(ascii[0]); i++)
        expect_xml(ascii[i].ctype, ascii[i].doc, strlen(ascii[i].doc), ascii[i].want, ascii[i].rule,
                   ascii[i].what);
    /* UTF-16 (BOM or none, either order): libxml2 2.9 reads on in UTF-7
     * behind the declaration */
    static const char *const widths[] = {"UTF-16", "UTF-16LE", "UTF-16BE"};
    for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++) {
        n = conv(widths[w], "<?xml version=\"1.0\" encoding=\"UTF-7\"?><r>", buf, sizeof(buf));
        memcpy(buf + n, "xxxxxxxxxxxx " CARD_U7 "</r>", sizeof("xxxxxxxxxxxx " CARD_U7 "</r>") - 1);
        n += sizeof("xxxxxxxxxxxx " CARD_U7 "</r>") - 1;
        snprintf(what, sizeof(what), "a %s declaration naming UTF-7, UTF-7 behind it", widths[w]);
        expect_xml(NULL, buf, n, SK_BLOCK, "cards", what);
    }
}

/* A document whose entities expand ten-fold per level: past dlp.max-decoded
 * it is a limit (dlp.on-limit), not read as far as the budget allowed and
 * passed; a few levels are read. */
static void test_billion_laughs(void **state)
{
    (void)state;
    char xml[4096];
    size_t n = (size_t)snprintf(xml, sizeof(xml), "<!DOCTYPE c [<!ENTITY l0 \"lol \">");
    for (int l = 1; l <= 9; l++) {
        n += (size_t)snprintf(xml + n, sizeof(xml) - n, "<!ENTITY l%d \"", l);
        for (int k = 0; k < 10; k++)
            n += (size_t)snprintf(xml + n, sizeof(xml) - n, "&l%d;", l - 1);
        n += (size_t)snprintf(xml + n, sizeof(xml) - n, "\">");
    }
    size_t subset = n;
    snprintf(xml + n, sizeof(xml) - n, "]><c>&l9;</c>");
    struct req r = {.ip = "10.0.0.2", .ctype = "text/xml", .body = xml, .len = strlen(xml)};
    expect(&r, SK_BLOCK, "dlp-limit", "ten-fold entities, nine levels");
    snprintf(xml + subset, sizeof(xml) - subset, "]><c>&l2; 4111 1111 1111 1111</c>");
    r.len = strlen(xml);
    expect(&r, SK_BLOCK, "cards", "ten-fold entities, two levels used, then a card");
    snprintf(xml + subset, sizeof(xml) - subset, "]><c>&l2;</c>");
    r.len = strlen(xml);
    expect(&r, SK_ALLOW, NULL, "ten-fold entities, two levels used");
}

/* A text node is read on its own too (its first and last 64 bytes): the
 * run's text joins the nodes (Word's runs), which glued data XML's
 * elements into one number ("4111111111111111" + "737"); as ElementTree
 * and plistlib give an element's text, a card in one is found at every
 * write size, long nodes by their edges; nodes that only make a card
 * together with the next (Word's runs) still do. */
static void test_text_nodes(void **state)
{
    static const struct {
        const char *xml, *rule;
    } cases[] = {
        {"<Pay><CardNumber>4111111111111111</CardNumber><Cvv>737</Cvv></Pay>", "cards"},
        {"<a><id>7</id><card>4111111111111111</card><exp>1227</exp></a>", "cards"},
        {"<plist><dict><key>n</key><string>4111111111111111</string><integer>12</integer>"
         "</dict></plist>",
         "cards"},
        {"<a><note>a long note of text that goes on and on past the node edges kept "
         "aside, and at its end the number 4111111111111111</note><v>99</v></a>",
         "cards"},
        {"<w:p><w:r><w:t>4111 11</w:t></w:r><w:r><w:t>11 1111 1111</w:t></w:r></w:p>", "cards"},
        {"<a><x>4111111111111112</x><y>7</y></a>", NULL}, /* Luhn off by one */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        for (size_t chunk = 0; chunk <= 7; chunk += 7) {
            struct req r = {.ip = "10.0.0.2",
                            .ctype = "application/xml",
                            .body = cases[i].xml,
                            .len = strlen(cases[i].xml),
                            .chunk = chunk};
            char why[96];
            snprintf(why, sizeof(why), "text node case %zu, %zu-byte writes", i, chunk);
            expect(&r, cases[i].rule ? SK_BLOCK : SK_ALLOW, cases[i].rule, why);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_nodes),           cmocka_unit_test(test_entities),
        cmocka_unit_test(test_billion_laughs),       cmocka_unit_test(test_attr_whitespace),
        cmocka_unit_test(test_encoding_declaration),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

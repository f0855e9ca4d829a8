/* test_dlp.c - the dlp module through its hooks (linked from sk_dlp_core,
 * as dlp.so links them; real policy snapshot from a temp database,
 * transactions built directly): tables of valid and invalid values per
 * detector, matches split into 1-byte writes, multipart parts that must
 * not merge, block vs log, masked samples, the block page, dlp.enabled off
 * and the CLI's library helpers. Bodies and decoding: test_dlp_decode.c;
 * validators against oracles: test_dlp_validators.c; plans per policy
 * generation: test_dlp_plan.c. Shared fixture: support/dlp_fixture.c. */
#include "dlp.h"
#include "dlp_fixture.h"

struct tcase {
    const char *text, *det; /* det NULL: no detector may match */
};

static void test_detector_tables(void **state)
{
    static const struct tcase cases[] = {
        /* credit cards: brands, separators, Luhn */
        {"pay with 4111111111111111 today", "credit-card"},
        {"pay with 4111 1111 1111 1111 today", "credit-card"},
        {"pay with 4111-1111-1111-1111 today", "credit-card"},
        {"mc 5555555555554444.", "credit-card"},
        {"amex 3782 822463 10005", "credit-card"},
        {"jcb 3530111333300000", "credit-card"},
        {"discover 6011111111111117", "credit-card"},
        {"diners 36227206271667", "credit-card"},
        {"unionpay 6200000000000005", "credit-card"},
        {"カード番号4111111111111111です", "credit-card"},
        {"pay with 4111111111111112 today", NULL}, /* Luhn off by one */
        {"pay with 4111 1111 1111 1110 today", NULL},
        {"id 1234567812345670 x", NULL},            /* Luhn ok, no brand */
        {"pay with 41111111111111111 today", NULL}, /* 17 digits */
        {"ref 4111111111111111abc", NULL},          /* glued to a word */
        {"x 3.4111111111111111", NULL},             /* decimal fraction */
        {"pay 411 1111 1111 11111", NULL},          /* not a card layout */
        /* TOML/YAML digit separators; numbers with an exponent (a CSV or
         * XLSX cell, YAML, .NET's "R") that stand for the integer */
        {"card = 4111_1111_1111_1111", "credit-card"},
        {"card: 4111_1111_1111_1112", NULL}, /* Luhn off by one */
        {"id_4111_1111_1111_1111", NULL},    /* glued to a word */
        {"4111__1111_1111_1111", NULL},      /* two underscores */
        /* ...grouped any way (one integer to every reader; red team s22) */
        {"card = 4_111_111_111_111_111", "credit-card"},
        {"card = 41_1111_1111_1111_11", "credit-card"},
        {"card = 4_111_111_111_111_112", NULL}, /* Luhn off by one */
        {"pay 411 1111 1111 11111 x", NULL},    /* spaces: still not a card layout */
        {"n,4.111111111111111E+15,x", "credit-card"},
        {"<v>4111111111111111E0</v>", "credit-card"},
        {"v: 4.111111111111111e15", "credit-card"},
        {"v: 4.111111111111112e15", NULL},  /* Luhn */
        {"v: 4.1111111111111111e14", NULL}, /* not an integer */
        {"v: 4.111111111111111e15x", NULL}, /* glued */
        {"v: 0.4111111111111111e16", NULL}, /* a leading zero */
        {"v: 1.5e3 and 2e10", NULL},
        /* My Number: 4-4-4 alone, bare 12 digits only near a keyword */
        {"番号 1234 5678 9018", "my-number"},
        {"マイナンバー：123456789018", "my-number"},
        {"my number 987654321093", "my-number"},
        {"番号 1234 5678 9017", NULL}, /* check digit off by one */
        {"マイナンバー：123456789019", NULL},
        {"order 123456789018 shipped", NULL}, /* bare, no keyword */
        /* corporate number: 1-4-4-4 alone, bare near 法人番号 */
        {"7-0000-1205-0002", "corporate-number"},
        {"法人番号 7000012050002", "corporate-number"},
        {"法人番号 8000012050002", NULL},
        {"法人番号 7000012050003", NULL},
        {"order 7000012050002 shipped", NULL},
        /* SSN: 3-2-4 with one kind of separator, structural rules */
        {"ssn 078-05-1121", "ssn"},
        {"SSN: 536 22 1234", "ssn"},
        {"social security 536221234", "ssn"},
        {"id 000-12-3456", NULL},
        {"id 666-12-3456", NULL},
        {"id 900-12-3456", NULL},
        {"id 536-00-1234", NULL},
        {"id 536-22-0000", NULL},
        {"id 078-05-1120", NULL}, /* voided */
        {"id 536-22 1234", NULL}, /* mixed separators */
        {"part 536221234", NULL}, /* bare, no keyword */
        /* IBAN: country length + mod 97 */
        {"iban GB82 WEST 1234 5698 7654 32 ok", "iban"},
        {"iban GB82WEST12345698765432", "iban"},
        {"DE89370400440532013000", "iban"},
        {"FR1420041010050500013M02606", "iban"},
        {"NL91ABNA0417164300.", "iban"},
        /* lower case, hyphens between the groups (python-stdnum reads both) */
        {"iban de89370400440532013000", "iban"},
        {"iban gb82 west 1234 5698 7654 32", "iban"},
        {"DE89-3704-0044-0532-0130-00", "iban"},
        {"DE89-3704 0044-0532-0130-00", NULL}, /* mixed separators */
        {"iban GB82WEST12345698765433", NULL}, /* mod 97 off by one */
        {"iban GB83WEST12345698765432", NULL},
        {"iban GB82WEST1234569876543", NULL},  /* wrong length */
        {"iban XX82WEST12345698765432", NULL}, /* unknown country */
        /* e-mail */
        {"mail test@example.com now", "email"},
        {"<a.b+c@mail.example.co.jp>", "email"},
        {"メール：taro.yamada@example.jp。", "email"},
        {"at@ sign", NULL},
        {"user@localhost", NULL},
        {"user@example.c", NULL},
        {"a..b@example.com", NULL},
        {"user@-example.com", NULL},
        /* internationalised domains: an A-label TLD, Unicode labels */
        {"mail john.doe@example.xn--p1ai now", "email"},
        {"mail john.doe@пример.рф now", "email"},
        {"連絡先：zhang@例子.中国。", "email"},
        {"mail john.doe@example.x1 now", NULL},
        /* Japanese phone numbers */
        {"TEL 03-1234-5678", "jp-phone"},
        {"call 090-1234-5678", "jp-phone"},
        {"mobile 09012345678", "jp-phone"},
        {"0120-123-456", "jp-phone"},
        {"+81-90-1234-5678", "jp-phone"},
        {"電話 0312345678", "jp-phone"},
        {"id 0312345678", NULL},     /* bare fixed line, no keyword */
        {"call 090-1234-567", NULL}, /* too short */
        {"call 00-1234-5678", NULL},
        {"no 1234-5678-9012", NULL}, /* no leading 0 */
        /* random digits */
        {"2024-10-01 12:30 total 1,234,567 yen, qty 42", NULL},
        {"0123456789 9876543210 5555 66", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        check_text(cases[i].text, cases[i].det, (int)i);
}

static void test_one_byte_writes(void **state)
{
    const char *texts[] = {"xx 4111 1111 1111 1111 yy", "4111111111111111", "mail test@example.com",
                           "GB82 WEST 1234 5698 7654 32"};
    const char *rules[] = {"cards", "cards", "all e-mail addresses", NULL};
    for (int i = 0; i < 4; i++) {
        struct req r = {.ip = "10.0.0.2",
                        .ctype = "text/plain",
                        .body = texts[i],
                        .len = strlen(texts[i]),
                        .chunk = 1};
        if (rules[i])
            expect(&r, SK_BLOCK, rules[i], texts[i]);
    }
    /* IBAN is log-only: check it is reported with 1-byte writes */
    struct req r = {.ctype = "text/plain", .body = texts[3], .len = strlen(texts[3]), .chunk = 1};
    struct res o;
    run(&r, &o);
    assert_non_null(strstr(o.reports, "log-iban="));
    res_free(&o);
    /* a stray lead byte before a full-width card, one byte per write: the
     * pending lead must not swallow the lead of the next sequence (the
     * chunked text once differed from the whole one: found by fuzz_dlp_norm) */
    const char fw[] = "x \xef\xef\xbc\x94\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91"
                      "\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91"
                      "\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91"
                      "\xef\xbc\x91 y";
    for (size_t c = 1; c <= 4; c++) {
        struct req rf = {.ip = "10.0.0.2",
                         .ctype = "text/plain; charset=utf-8",
                         .body = fw,
                         .len = sizeof(fw) - 1,
                         .chunk = c};
        expect(&rf, SK_BLOCK, "cards", "stray lead byte before a full-width card");
    }
    /* an exponent's number and underscores, one byte per write: the
     * window ends inside them at every byte */
    const char *cut[] = {"n,4.111111111111111E+15", "v 4111111111111111e0 x",
                         "4111_1111_1111_1111"};
    for (size_t k = 0; k < sizeof(cut) / sizeof(cut[0]); k++)
        for (size_t c = 1; c <= 3; c++) {
            struct req rc = {.ip = "10.0.0.2",
                             .ctype = "text/plain",
                             .body = cut[k],
                             .len = strlen(cut[k]),
                             .chunk = c};
            expect(&rc, SK_BLOCK, "cards", cut[k]);
        }
    /* a long body of digits around the window size must not invent a card */
    size_t n = 300000;
    char *big = malloc(n);
    for (size_t k = 0; k < n; k++)
        big[k] = (char)('0' + k % 7);
    struct req rb = {.ip = "10.0.0.2", .ctype = "text/plain", .body = big, .len = n, .chunk = 4093};
    expect(&rb, SK_ALLOW, NULL, "one long digit run");
    /* a card right across the 64 KiB window edge, several write sizes */
    memset(big, 'a', n);
    memcpy(big + 65536 - 7, " 4111111111111111 ", 18);
    for (size_t c = 1; c <= 65536; c *= 4) {
        rb.chunk = c == 1 ? 997 : c;
        expect(&rb, SK_BLOCK, "cards", "card across the window edge");
    }
    free(big);
}

static const char mp_split[] =
    "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nnumber 4111 1111\r\n"
    "--XyZ\r\nContent-Disposition: form-data; name=\"b\"\r\n\r\n1111 1111 end\r\n--XyZ--\r\n";
static const char mp_file[] =
    "preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n"
    "--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"cards.csv\"\r\n"
    "Content-Type: text/csv\r\n\r\nname,card\r\ntaro,4111-1111-1111-1111\r\n"
    "--XyZ--\r\n";

/* Numbers written with other characters (issue: DLP misses card numbers
 * written with other characters): Unicode decimal digits of other
 * scripts, other spaces, invisible format characters and combining marks
 * between digits, dot-separated card groups, junk glued in front of a
 * card; and what must stay apart. */
static void test_unicode_digits(void **state)
{
    static const struct tcase cases[] = {
        /* Nd digits of other scripts (2-, 3- and 4-byte UTF-8) */
        {"card \xd9\xa4\xd9\xa1\xd9\xa1\xd9\xa1 \xd9\xa1\xd9\xa1\xd9\xa1\xd9\xa1 "
         "\xd9\xa1\xd9\xa1\xd9\xa1\xd9\xa1 \xd9\xa1\xd9\xa1\xd9\xa1\xd9\xa1 end",
         "credit-card"}, /* Arabic-Indic U+0664 U+0661 */
        {"\xdb\xb4\xdb\xb1\xdb\xb1\xdb\xb1\xdb\xb1\xdb\xb1\xdb\xb1\xdb\xb1"
         "\xdb\xb1\xdb\xb1\xdb\xb1\xdb\xb1\xdb\xb1\xdb\xb1\xdb\xb1\xdb\xb1",
         "credit-card"}, /* Extended Arabic-Indic (Persian) U+06F4 U+06F1 */
        {"x \xe0\xa5\xaa\xe0\xa5\xa7\xe0\xa5\xa7\xe0\xa5\xa7-\xe0\xa5\xa7\xe0\xa5\xa7\xe0\xa5\xa7"
         "\xe0\xa5\xa7-\xe0\xa5\xa7\xe0\xa5\xa7\xe0\xa5\xa7\xe0\xa5\xa7-\xe0\xa5\xa7\xe0\xa5\xa7"
         "\xe0\xa5\xa7\xe0\xa5\xa7 y",
         "credit-card"}, /* Devanagari U+096A U+0967 */
        {"\xe0\xa7\xaa\xe0\xa7\xa7\xe0\xa7\xa7\xe0\xa7\xa7 1111 1111 1111",
         "credit-card"}, /* Bengali, then ASCII: one number in two scripts */
        {"\xe0\xb9\x94\xe0\xb9\x91\xe0\xb9\x91\xe0\xb9\x91 1111 1111 1111",
         "credit-card"}, /* Thai */
        {"\xea\xa9\x94\xea\xa9\x91\xea\xa9\x91\xea\xa9\x91 1111 1111 1111",
         "credit-card"}, /* Cham */
        {"card \xf0\x9d\x9f\x92\xf0\x9d\x9f\x8f\xf0\x9d\x9f\x8f\xf0\x9d\x9f\x8f 1111 1111 "
         "\xf0\x9d\x9f\xb7\xf0\x9d\x9f\xb7\xf0\x9d\x9f\xb7\xf0\x9d\x9f\xb7",
         "credit-card"}, /* mathematical bold and monospace U+1D7D2 U+1D7CF U+1D7F7 */
        {"4\xd9\xa1\xdb\xb1\xe0\xa5\xa7 \xf0\x9d\x9f\x8f\xef\xbc\x91\xe0\xa7\xa7\xe0\xb9\x91 "
         "1111 1111",
         "credit-card"}, /* mixed scripts within one number */
        {"\xd9\xa4\xd9\xa1\xd9\xa1\xd9\xa1\xd9\xa1\xd9\xa1\xd9\xa1\xd9\xa1"
         "\xd9\xa1\xd9\xa1\xd9\xa1\xd9\xa1\xd9\xa1\xd9\xa1\xd9\xa1\xd9\xa2",
         NULL}, /* Luhn off by one */
        {"\xe7\x95\xaa\xe5\x8f\xb7 \xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4 "
         "\xd9\xa5\xd9\xa6\xd9\xa7\xd9\xa8 "
         "\xd9\xa9\xd9\xa0\xd9\xa1\xd9\xa8",
         "my-number"},
        /* other spaces between groups */
        {"pay 4111\xc2\xa0"
         "1111\xc2\xa0"
         "1111\xc2\xa0"
         "1111 now",
         "credit-card"}, /* NBSP */
        {"pay 4111\xe2\x80\xaf"
         "1111\xe2\x80\xaf"
         "1111\xe2\x80\xaf"
         "1111",
         "credit-card"},
        {"pay 4111\xe2\x80\x89"
         "1111\xe2\x80\x89"
         "1111\xe2\x80\x89"
         "1111",
         "credit-card"},
        {"pay 4111\xe2\x80\x87"
         "1111\xe2\x80\x87"
         "1111\xe2\x80\x87"
         "1111",
         "credit-card"},
        {"pay 4111\xe2\x80\x82"
         "1111\xe1\x9a\x80"
         "1111\xe2\x81\x9f"
         "1111",
         "credit-card"},
        {"SSN: 536\xc2\xa0"
         "22\xc2\xa0"
         "1234",
         "ssn"},
        {"TEL 03\xe2\x80\x89"
         "1234\xe2\x80\x89"
         "5678",
         "jp-phone"},
        /* invisible characters between digits are dropped */
        {"pay 4111\xe2\x80\x8b"
         "1111\xe2\x80\x8b"
         "1111\xe2\x80\x8b"
         "1111",
         "credit-card"},
        {"pay 41\xc2\xad"
         "11111111111111",
         "credit-card"}, /* soft hyphen */
        {"pay 4111\xe2\x81\xa0"
         "1111\xef\xbb\xbf"
         "1111\xe2\x80\x8d"
         "1111\xe2\x80\x8c",
         "credit-card"}, /* WJ, BOM, ZWJ, ZWNJ */
        {"pay 4111 \xe2\x80\x8e"
         "1111 1111 1111",
         "credit-card"}, /* LRM after the space */
        /* combining marks after digits are dropped */
        {"4\xef\xb8\x8f\xe2\x83\xa3"
         "111 1111 1111 1111",
         "credit-card"}, /* keycap */
        {"4\xcc\x81"
         "1\xcc\x81"
         "11 1111 1111 1111",
         "credit-card"},
        /* dots between card groups (only the card shapes, whole run) */
        {"card 4111.1111.1111.1111.", "credit-card"},
        {"amex 3782.822463.10005", "credit-card"},
        {"card 4111.1111.1111.1112", NULL},      /* Luhn */
        {"v 10.4111.1111.1111.1111", NULL},      /* not a card's shape */
        {"x 4111.1111.1111.1111.7", NULL},       /* nor this */
        {"4111.1111 1111.1111", NULL},           /* mixed separators */
        {"ip 192.168.0.1 and 10.0.0.255", NULL}, /* addresses */
        {"sum 4111111111111111.50", NULL},       /* a decimal */
        {"ssn 536.22.1234", NULL},               /* dots are for cards only */
        /* a junk group glued in front must not hide the card after it */
        {"price 1.5 4111 1111 1111 1111", "credit-card"},
        {"x1 4111 1111 1111 1111", "credit-card"},
        {"4111 1111 1111 1111 2x", "credit-card"},
        {"x\xd9\xa1 4111 1111 1111 1111", "credit-card"}, /* a glued digit is a digit */
        /* copy-paste spacing: up to three spaces, a spaced hyphen */
        {"pay 4111  1111  1111  1111", "credit-card"},
        {"pay 4111   1111 1111  1111", "credit-card"},
        {"pay 4111 - 1111 - 1111 - 1111", "credit-card"},
        {"pay 4111 -1111- 1111-1111", "credit-card"},
        {"pay 4111\xc2\xa0 1111 1111 1111", "credit-card"}, /* NBSP + space */
        {"SSN: 536 - 22 - 1234", "ssn"},
        {"TEL 03  1234  5678", "jp-phone"},
        {"pay 4111    1111 1111 1111", NULL}, /* four spaces: columns */
        {"pay 4111  1111 - 1111 1111", NULL}, /* mixed kinds */
        {"pay 4111 -- 1111 1111 1111", NULL},
        {"pay 4111 . 1111 . 1111 . 1111", NULL}, /* dots stand alone */
        /* markers, not digits: a bullet or a footnote glued to a card */
        {"\xe2\x91\xa0"
         "4111111111111111",
         "credit-card"},
        {"4111111111111111\xc2\xb9", "credit-card"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        check_text(cases[i].text, cases[i].det, (int)i);

    /* 2-, 3- and 4-byte digits and separators cut by every write size */
    const char mixed[] = "x \xf0\x9d\x9f\x92\xd9\xa1\xe0\xa5\xa7\xf0\x9d\x9f\x8f\xc2\xa0"
                         "1\xe2\x80\x8b"
                         "111\xe2\x80\xaf"
                         "11\xc2\xad"
                         "11 \xf0\x9d\x9f\x8f"
                         "\xf0\x9d\x9f\x8f\xf0\x9d\x9f\x8f\xf0\x9d\x9f\x8f y";
    const char spaced[] = "x 4111 - 1111- 1111 -1111 y 5500  0000   0000  0004  z";
    for (size_t c = 1; c <= 9; c++) {
        struct req r = {.ip = "10.0.0.2",
                        .ctype = "text/plain; charset=utf-8",
                        .body = mixed,
                        .len = sizeof(mixed) - 1,
                        .chunk = c};
        expect(&r, SK_BLOCK, "cards", "Unicode digits and separators, chunked");
        r.body = spaced, r.len = sizeof(spaced) - 1;
        expect(&r, SK_BLOCK, "cards", "spaced separators, chunked");
    }
    /* a token carrying its separator in front continues a structure to
     * its left: signed numbers (iproute2's tc tables), dotted hex (Unicode
     * collation elements) - no card; one written after a word still is */
    static const struct {
        const char *text;
        int card;
    } lead[] = {
        {" -6011 -1111 -1111 -1117 -6496 -6489\n", 0},
        {"30E8      ; [.4300.0020.0011.0002] # KATAKANA LETTER YO\n", 0},
        {"x -6011 -1111 -1111 -1117 y", 0},
        {"card 6011 -1111 -1111 -1117 y", 1},
        {"ref-4111-1111-1111-1111 y", 1},
        {"no.4300.0020.0011.0002 y", 1},
        {"pay -4111111111111111 y", 1},  /* one group: a number, no list */
        {"[-4111 1111 1111 1111] y", 1}, /* its separator is not the sign */
    };
    for (size_t i = 0; i < sizeof(lead) / sizeof(lead[0]); i++) {
        struct req r = {.ip = "10.0.0.2",
                        .ctype = "text/plain",
                        .body = lead[i].text,
                        .len = strlen(lead[i].text)};
        expect(&r, lead[i].card ? SK_BLOCK : SK_ALLOW, lead[i].card ? "cards" : NULL, lead[i].text);
    }
}

/* Dashes (DLP-DASH): every Unicode Pd dash, the minus sign, look-alikes
 * and their NFKC forms are a hyphen to the fold; the prolonged sound mark
 * ー (U+30FC, half-width U+FF70), what a Japanese IME in kana mode types
 * for '-', separates digit groups only right between two digits: in words
 * it is a letter (マイナンバー, カード, データー must stay as they are). */
static void test_dashes(void **state)
{
    static const struct tcase cases[] = {
        {"pay 4111\xe3\x83\xbc"
         "1111\xe3\x83\xbc"
         "1111\xe3\x83\xbc"
         "1111",
         "credit-card"}, /* ー */
        {"pay 4111\xef\xbd\xb0"
         "1111\xef\xbd\xb0"
         "1111\xef\xbd\xb0"
         "1111",
         "credit-card"}, /* half-width ｰ */
        {"\xe3\x82\xab\xe3\x83\xbc\xe3\x83\x89\xe7\x95\xaa\xe5\x8f\xb7\xe3\x81\xaf"
         "4111\xe3\x83\xbc"
         "1111\xe3\x83\xbc"
         "1111\xe3\x83\xbc"
         "1111\xe3\x81\xa7\xe3\x81\x99",
         "credit-card"}, /* カード番号は…です: glued to kana on both sides */
        {"TEL 03\xe3\x83\xbc"
         "1234\xe3\x83\xbc"
         "5678",
         "jp-phone"},
        {"090\xef\xbd\xb0"
         "1234\xef\xbd\xb0"
         "5678",
         "jp-phone"},
        {"+81\xe3\x83\xbc"
         "90\xe3\x83\xbc"
         "1234\xe3\x83\xbc"
         "5678",
         "jp-phone"},
        /* the context word マイナンバー keeps its ー: a bare 12-digit My
         * Number counts only with it */
        {"\xe3\x83\x9e\xe3\x82\xa4\xe3\x83\x8a\xe3\x83\xb3\xe3\x83\x90\xe3\x83\xbc "
         "123456789018",
         "my-number"},
        {"\xe3\x83\x9e\xe3\x82\xa4\xe3\x83\x8a\xe3\x83\xb3\xe3\x83\x90\xe3\x83\xbc\xef\xbc\x9a"
         "1234\xe3\x83\xbc"
         "5678\xe3\x83\xbc"
         "9018",
         "my-number"},
        /* ー not right between two digits separates nothing */
        {"pay 4111\xe3\x83\xbc "
         "1111 1111 1111",
         NULL},
        {"pay 4111 \xe3\x83\xbc"
         "1111 1111 1111",
         NULL},
        {"pay 4111\xe3\x83\xbc\xe3\x83\xbc"
         "1111\xe3\x83\xbc\xe3\x83\xbc"
         "1111\xe3\x83\xbc\xe3\x83\xbc"
         "1111",
         NULL},
        {"\xe3\x83\x87\xe3\x83\xbc\xe3\x82\xbf\xe3\x83\xbc"
         "1\xe4\xbb\xb6\xe3\x80\x81\xe3\x82\xb5\xe3\x83\xbc\xe3\x83\x90\xe3\x83\xbc"
         "2\xe5\x8f\xb0\xe3\x80\x81\xe3\x82\xb2\xe3\x83\xbc\xe3\x83\xa0 3\xe3\x83\xbc"
         "1",
         NULL}, /* データー1件、サーバー2台、ゲーム 3ー1 */
        {"pay 4111\xe3\x83\xbc"
         "1111\xe3\x83\xbc"
         "1111\xe3\x83\xbc"
         "1112",
         NULL}, /* Luhn */
        /* Pd dashes, their NFKC forms and look-alikes */
        {"pay 4111\xd6\x8a"
         "1111\xe2\xb8\xba"
         "1111\xef\xb9\x98"
         "1111",
         "credit-card"}, /* U+058A U+2E3A U+FE58 */
        {"pay 4111\xe2\x94\x80"
         "1111\xcb\x97"
         "1111\xe2\x81\x83"
         "1111",
         "credit-card"}, /* U+2500 U+02D7 U+2043 */
        {"pay 4111\xd6\xbe"
         "1111\xe1\x90\x80"
         "1111\xe2\xb8\x97"
         "1111",
         "credit-card"}, /* U+05BE U+1400 U+2E17 */
        {"pay 4111\xe2\x81\xbb"
         "1111\xe2\x82\x8b"
         "1111\xe3\x80\x9c"
         "1111",
         "credit-card"}, /* U+207B U+208B (NFKC U+2212), U+301C wave dash */
        {"SSN 536\xe2\xb8\x9a"
         "22\xe2\xb8\x9a"
         "1234",
         "ssn"}, /* U+2E1A */
        {"pay 4111\xf0\x90\xba\xad"
         "1111\xe2\xb9\x80"
         "1111\xe3\x82\xa0"
         "1111",
         "credit-card"}, /* U+10EAD U+2E40 U+30A0 */
        {"pay 4111\xe2\x94\x80\xe2\x94\x80"
         "1111 1111 1111",
         NULL}, /* two dashes are a rule, not a separator */
        {"\xe5\x8f\x97\xe4\xbb\x98 10:00\xe3\x80\x9c"
         "18:00, 2024\xe3\x80\x9c"
         "2025",
         NULL}, /* 受付 10:00〜18:00: a range stays a range */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        check_text(cases[i].text, cases[i].det, (int)i);

    /* ー and ｰ cut by every write size (the detector waits for the bytes
     * after a digit; the fold for a dash's) */
    const char jp[] = "x 4111\xe3\x83\xbc"
                      "1111\xef\xbd\xb0"
                      "1111\xe2\x94\x80"
                      "1111\xe3\x83\xbc y 5500\xef\xb9\x98"
                      "0000\xe2\xb8\xba"
                      "0000\xd6\x8a"
                      "0004 z";
    for (size_t c = 0; c <= 9; c++) {
        struct req r = {.ip = "10.0.0.2",
                        .ctype = "text/plain; charset=utf-8",
                        .body = jp,
                        .len = sizeof(jp) - 1,
                        .chunk = c};
        expect(&r, SK_BLOCK, "cards", "prolonged sound marks and dashes, chunked");
        r.ip = "10.0.0.3"; /* three cards needed: two here */
        expect(&r, SK_ALLOW, NULL, "two cards with marks and dashes are two");
    }
}

static void test_multipart(void **state)
{
    struct req r = {.ip = "10.0.0.2",
                    .ctype = "multipart/form-data; boundary=XyZ",
                    .body = mp_split,
                    .len = sizeof(mp_split) - 1};
    struct res o;

    expect(&r, SK_ALLOW, NULL, "a card split over two parts must not match");
    r.chunk = 1;
    expect(&r, SK_ALLOW, NULL, "split over two parts, 1-byte writes");
    r.body = mp_file, r.len = sizeof(mp_file) - 1;
    for (size_t c = 1; c < 40; c += 3) {
        r.chunk = c;
        expect(&r, SK_BLOCK, "cards", "card in an uploaded file");
    }
    run(&r, &o);
    assert_non_null(strstr(o.reports, "cards=credit-card x1: 4111 **** **** 1111 (in cards.csv)"));
    res_free(&o);

    /* two different Content-Type fields: the application may read the
     * other (a quoted-printable part text/plain never decodes) */
    static const char qp[] = "--B\r\nContent-Disposition: form-data; name=c\r\n"
                             "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
                             "=34=31=31=31 =31=31=31=31 =31=31=31=31 =31=31=31=31\r\n--B--\r\n";
    struct req two = {.ctype = "text/plain", .body = qp, .len = sizeof(qp) - 1};
    expect(&two, SK_ALLOW, NULL, "QP read as text/plain: no card (the case below needs this)");
    two.ctype2 = "multipart/form-data; boundary=B";
    expect(&two, SK_BLOCK, "dlp-undecodable", "text/plain, then multipart: dlp.on-error");
    two.ctype2 = "Text/Plain; charset=us-ascii";
    expect(&two, SK_ALLOW, NULL, "the same type twice is one type");

    /* a form part that declares base64 over a plain card: PHP, busboy and
     * cgi store the bytes as they are (RFC 7578 4.7), so the raw reading
     * counts, in a window of its own (the decoded garbage never joins it);
     * base64 of clean text passes in both readings, at any write size */
    static const char lie[] = "--B\r\nContent-Disposition: form-data; name=c\r\n"
                              "Content-Transfer-Encoding: base64\r\n\r\n"
                              "4111 1111 1111 1111\r\n--B--\r\n";
    static const char clean[] = "--B\r\nContent-Disposition: form-data; name=c\r\n"
                                "Content-Transfer-Encoding: base64\r\n\r\n"
                                "aGVsbG8gd29ybGQ=\r\n--B--\r\n";
    struct req raw = {.ip = "10.0.0.2", .ctype = "multipart/form-data; boundary=B"};
    for (raw.chunk = 0; raw.chunk <= 3; raw.chunk++) {
        raw.body = lie, raw.len = sizeof(lie) - 1;
        expect(&raw, SK_BLOCK, "cards", "a card under a base64 declaration, read raw");
        raw.body = clean, raw.len = sizeof(clean) - 1;
        expect(&raw, SK_ALLOW, NULL, "clean base64 part");
    }
}

static void test_block_log_mask_page(void **state)
{
    const char *text = "cards: 4111111111111111, 5555 5555 5555 4444 and 4111111111111111 again;"
                       " mail test@example.com";
    struct req r = {.ctype = "text/plain", .body = text, .len = strlen(text)};
    struct res o;

    /* default policy: log-only templates let it through and report */
    run(&r, &o);
    assert_int_equal(o.v, SK_ALLOW);
    assert_non_null(strstr(o.reports, "log-credit-card=credit-card x2: 4111 **** **** 1111"));
    assert_non_null(strstr(o.reports, "log-email=email x1: t***@example.com"));
    assert_null(strstr(o.reports, "4111111111111111"));
    assert_null(strstr(o.reports, "5555"));
    res_free(&o);

    /* block: 403 page naming the template, no values; Japanese on request */
    r.ip = "10.0.0.2";
    run(&r, &o);
    assert_int_equal(o.v, SK_BLOCK);
    assert_string_equal(o.rule, "cards");
    assert_int_equal(o.status, 403);
    assert_non_null(strstr(o.page, "nformation leak prevention"));
    assert_non_null(strstr(o.page, "&quot;cards&quot;"));
    assert_null(strstr(o.page, "4111"));
    assert_null(strstr(o.page, "test@"));
    res_free(&o);
    r.lang = "ja,en-US;q=0.8";
    run(&r, &o);
    assert_non_null(strstr(o.page, "情報漏えい防止"));
    assert_non_null(strstr(o.page, "「cards」"));
    res_free(&o);
    r.lang = "en-US,ja;q=0.5";
    run(&r, &o);
    assert_null(strstr(o.page, "「cards」"));
    res_free(&o);

    /* minimum count counts distinct numbers */
    r.ip = "10.0.0.3", r.lang = NULL;
    expect(&r, SK_ALLOW, NULL, "two distinct cards < 3");
    const char *three = "4111111111111111 5555555555554444 378282246310005";
    r.body = three, r.len = strlen(three);
    expect(&r, SK_BLOCK, "three cards", "three cards");

    /* dlp.enabled off: not inspected at all */
    r.ip = "10.0.0.4";
    run(&r, &o);
    assert_int_equal(o.v, SK_ALLOW);
    assert_int_equal(o.nreports, 0);
    res_free(&o);
}

/* IWSS acceptance: "all e-mail addresses" blocks an upload of a file that
 * holds test@example.com. */
static void test_iwss_email(void **state)
{
    const char *mp =
        "--b\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"a.txt\"\r\n"
        "Content-Type: text/plain\r\n\r\ntest@example.com\r\n--b--\r\n";
    struct req r = {.ip = "10.0.0.2",
                    .ctype = "multipart/form-data; boundary=b",
                    .body = mp,
                    .len = strlen(mp)};
    expect(&r, SK_BLOCK, "all e-mail addresses", "IWSS e-mail template");
}

/* dlp.inspect-url: the request's path and query are read as a body is;
 * what was found is hidden from the log and the page. */
static void test_url(void **state)
{
    struct req r = {.ip = "10.0.0.2", .nobody = 1};
    struct res o;
    const char *s;
    size_t n;

    r.url = "http://s.example/search?q=4111+1111+1111+1111";
    run(&r, &o);
    assert_int_equal(o.v, SK_BLOCK);
    assert_string_equal(o.rule, "cards");
    assert_string_equal(o.shown_url, "http://s.example/search?[hidden]");
    assert_non_null(strstr(o.reports, "4111 **** **** 1111 (in URL query)"));
    assert_null(strstr(o.page, "4111"));
    assert_non_null(strstr(o.page, "http://s.example/search?[hidden]"));
    res_free(&o);
    r.url = "http://s.example/cards/4111111111111111?a=b";
    run(&r, &o);
    assert_int_equal(o.v, SK_BLOCK);
    assert_string_equal(o.shown_url, "http://s.example/[hidden]");
    assert_non_null(strstr(o.reports, "(in URL path)"));
    res_free(&o);
    /* a clean body does not hide a card in the query */
    r.nobody = 0, r.ctype = "text/plain", r.body = "hello", r.len = 5;
    r.url = "http://s.example/u?c=4111111111111111";
    expect(&r, SK_BLOCK, "cards", "a clean POST, a card in its query");
    /* never sent, never read; the host is no path */
    r.nobody = 1;
    r.url = "http://s.example/p#4111111111111111";
    run(&r, &o);
    assert_int_equal(o.v, SK_ALLOW);
    assert_string_equal(o.shown_url, "http://s.example/p#4111111111111111");
    res_free(&o);
    r.url = "http://4111111111111111.example/";
    expect(&r, SK_ALLOW, NULL, "a number in the host");
    /* a log-only template's hit passes, and is hidden all the same */
    r.ip = "10.9.9.9", r.url = "http://s.example/f?card=4111111111111111";
    run(&r, &o);
    assert_int_equal(o.v, SK_ALLOW);
    assert_non_null(strstr(o.reports, "log-credit-card=credit-card x1: 4111 **** **** 1111"));
    assert_string_equal(o.shown_url, "http://s.example/f?[hidden]");
    res_free(&o);
    /* dlp.enabled off */
    r.ip = "10.0.0.4", r.url = "http://s.example/f?card=4111111111111111";
    run(&r, &o);
    assert_int_equal(o.v, SK_ALLOW);
    assert_int_equal(o.nreports, 0);
    res_free(&o);

    /* what follows the authority, up to a '#' */
    assert_null(sk_dlp_url_rest("http://h", &n));
    assert_null(sk_dlp_url_rest("http://h/", &n));
    assert_null(sk_dlp_url_rest("h.example:443", &n));
    assert_null(sk_dlp_url_rest(NULL, &n));
    assert_non_null(s = sk_dlp_url_rest("http://h/a#4111", &n));
    assert_int_equal(n, 2);
    assert_memory_equal(s, "/a", 2);
    assert_non_null(s = sk_dlp_url_rest("http://u@h:8080?q", &n));
    assert_int_equal(n, 2);
    assert_memory_equal(s, "?q", 2);
    /* worth reading: 9 digits (an SSN; every other identifier has more),
     * '@', a %XX, a non-ASCII byte; anything for keywords and regexes */
    struct sk_dlp_plan p = {0};
    assert_false(sk_dlp_url_worth(&p, "/a/12345678", 11));
    assert_true(sk_dlp_url_worth(&p, "/a/123456789", 12));
    assert_true(sk_dlp_url_worth(&p, "/1234/56789", 11));
    assert_true(sk_dlp_url_worth(&p, "/a@b", 4));
    assert_true(sk_dlp_url_worth(&p, "/a%b", 4));
    assert_true(sk_dlp_url_worth(&p, "/\x80", 2));
    assert_false(sk_dlp_url_worth(&p, "/search?q=hello+world&x=1", 25));
    /* base64 of a card has no digit: a run the base64 reader decodes */
    assert_true(sk_dlp_url_worth(&p, "/?d=NDExMTExMTExMTExMTExMQ==", 28));
    assert_true(sk_dlp_url_worth(&p, "/?d=abcdefghij-_klmnopqr", 24));
    assert_false(sk_dlp_url_worth(&p, "/?d=abcdefghijklmnopqr.s", 24));
    p.ncust = 1;
    assert_true(sk_dlp_url_worth(&p, "/search?q=hello", 15));
}

static void test_library_validation(void **state)
{
    char *canon = NULL, *err = NULL;

    assert_int_equal(sk_pdb_dlp_detector_canon("Credit-Card", &canon, &err), 0);
    assert_string_equal(canon, "credit-card");
    free(canon);
    assert_int_equal(sk_pdb_dlp_detector_canon("visa", &canon, &err), -1);
    assert_non_null(strstr(err, "unknown detector"));
    free(err);
    err = NULL;
    assert_int_equal(sk_pdb_dlp_detector_canon("regex:([a-z]", &canon, &err), -1);
    assert_non_null(strstr(err, "invalid regex"));
    free(err);
    err = NULL;
    assert_int_equal(sk_pdb_dlp_detector_canon("regex:x?", &canon, &err), -1);
    free(err);
    err = NULL;
    assert_int_equal(sk_pdb_dlp_detectors_check("email\nkeyword:a b", &err), 0);
    assert_int_equal(sk_pdb_dlp_detectors_check("email\nbogus", &err), -1);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detector_tables),
        cmocka_unit_test(test_unicode_digits),
        cmocka_unit_test(test_dashes),
        cmocka_unit_test(test_one_byte_writes),
        cmocka_unit_test(test_multipart),
        cmocka_unit_test(test_block_log_mask_page),
        cmocka_unit_test(test_iwss_email),
        cmocka_unit_test(test_library_validation),
        cmocka_unit_test(test_url),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

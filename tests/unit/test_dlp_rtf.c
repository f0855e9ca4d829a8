/* test_dlp_rtf.c - dlp over RTF (dlp_rtf.c). The parser's three readings
 * (shown, with hidden text, aside) and embedded objects' bytes for each
 * rule of RTF 1.9.1 - control words and their delimiter, control symbols,
 * \'hh in cp1252 and in a font's Shift_JIS, \uN with \ucN fallbacks,
 * surrogate pairs, groups, destinations, \bin, fields, hidden text,
 * \objdata - over every way of cutting the input into writes (1-byte
 * writes, every two-piece split). Expected text written by hand from the
 * spec (unrtf and catdoc, Debian's RTF readers, misread \uN, \bin and
 * Shift_JIS: see modules/dlp/README.md). Then whole transactions: a card
 * hidden each way is blocked, whatever the declared type; a clean RTF
 * passes; malformed RTF stays bounded. Shared fixture:
 * support/dlp_fixture.c. */
#include "dlp_fixture.h"

#include "dlp.h"

struct cap {
    char out[SK_RTF_NOUT][4096];
    size_t n[SK_RTF_NOUT];
    char obj[1024];
    size_t nobj;
};

static int cap_text(void *arg, enum sk_rtf_out o, const unsigned char *p, size_t n)
{
    struct cap *c = arg;

    assert_true(c->n[o] + n < sizeof(c->out[o]));
    memcpy(c->out[o] + c->n[o], p, n);
    c->n[o] += n;
    return 0;
}

static int cap_obj(void *arg, enum sk_rtf_obj what, const unsigned char *p, size_t n)
{
    struct cap *c = arg;

    if (what != SK_RTF_OBJ_DATA) {
        p = (const unsigned char *)(what == SK_RTF_OBJ_BEGIN ? "[" : "]");
        n = 1;
    }
    assert_true(c->nobj + n < sizeof(c->obj));
    memcpy(c->obj + c->nobj, p, n);
    c->nobj += n;
    return 0;
}

/* IN parsed in pieces cut at A and B (A <= B), or in writes of CHUNK when
 * CHUNK > 0. */
static unsigned parse(const char *in, size_t len, size_t chunk, size_t a, size_t b, struct cap *c)
{
    struct sk_rtf_handler h = {cap_text, cap_obj, c};
    struct sk_dlp_rtf *r = sk_dlp_rtf_parser_new(&h);
    const unsigned char *p = (const unsigned char *)in;
    unsigned flags;

    memset(c, 0, sizeof(*c));
    assert_non_null(r);
    if (chunk) {
        for (size_t off = 0; off < len; off += chunk)
            assert_int_equal(
                sk_dlp_rtf_parser_write(r, p + off, len - off < chunk ? len - off : chunk), 0);
    } else {
        assert_int_equal(sk_dlp_rtf_parser_write(r, p, a), 0);
        assert_int_equal(sk_dlp_rtf_parser_write(r, p + a, b - a), 0);
        assert_int_equal(sk_dlp_rtf_parser_write(r, p + b, len - b), 0);
    }
    assert_int_equal(sk_dlp_rtf_parser_end(r), 0);
    flags = sk_dlp_rtf_parser_flags(r);
    sk_dlp_rtf_parser_free(r);
    for (int i = 0; i < SK_RTF_NOUT; i++)
        c->out[i][c->n[i]] = '\0';
    c->obj[c->nobj] = '\0';
    return flags;
}

static void check(const char *what, const struct cap *c, const char *shown, const char *full,
                  const char *aside, const char *obj, const char *cut)
{
    const char *want[SK_RTF_NOUT] = {shown, full ? full : shown, aside ? aside : ""};
    static const char *const names[] = {"shown", "full", "aside"};

    for (int i = 0; i < SK_RTF_NOUT; i++)
        if (strcmp(c->out[i], want[i]) != 0)
            fail_msg("%s (%s): %s reading '%s', want '%s'", what, cut, names[i], c->out[i],
                     want[i]);
    if (strcmp(c->obj, obj ? obj : "") != 0)
        fail_msg("%s (%s): object bytes '%s', want '%s'", what, cut, c->obj, obj ? obj : "");
}

#define SJIS_4 "\xef\xbc\x94" /* U+FF14 FULLWIDTH DIGIT FOUR */
#define SJIS_1 "\xef\xbc\x91"

static const struct {
    const char *what, *rtf;
    const char *shown, *full, *aside, *obj; /* full NULL: as shown */
    unsigned flags;
} cases[] = {
    {.what = "a paragraph", "{\\rtf1\\ansi Hello\\par World}", "Hello\nWorld"},
    {.what = "one space after a control word is its delimiter",
     "{\\rtf1 \\b bold\\b0  two}",
     "bold two"},
    {.what = "a parameter ends the word without a space", "{\\rtf1\\fs24x\\i-1y}", "xy"},
    {.what = "a number of any length", "{\\rtf1\\fs99999999999999999999999 x}", "x"},
    {.what = "upper case is no control word: \\B is a symbol", "{\\rtf1 \\B4111}", "4111"},
    {.what = "hex escapes", "{\\rtf1 \\'34\\'31\\'31\\'31 \\'31}", "4111 1"},
    {.what = "hex escapes in upper case", "{\\rtf1 \\'3A\\'3a}", "::"},
    {.what = "cp1252 above 0x7f", "{\\rtf1\\ansi \\'80\\'e9\\'a0}", "\xe2\x82\xac\xc3\xa9\xc2\xa0"},
    {.what = "a broken hex escape: the byte is text", "{\\rtf1 \\'4x}", "x"},
    {.what = "\\u with its default one-character fallback", "{\\rtf1 \\u52?\\u49?\\u49?}", "411"},
    {.what = "\\uc0: no fallback", "{\\rtf1\\uc0\\u52\\u49 1}", "411"},
    {.what = "\\uc2: two hex escapes skipped", "{\\rtf1\\uc2\\u52\\'3f\\'3f1}", "41"},
    {.what = "a control word in a fallback counts one", "{\\rtf1\\uc2\\u52\\b x1}", "41"},
    {.what = "a group ends a fallback", "{\\rtf1\\uc3\\u52{}11}", "411"},
    {.what = "\\uc is the group's", "{\\rtf1{\\uc0 \\u52}\\u49?1}", "411"},
    {.what = "negative \\u (full-width four)", "{\\rtf1 \\u-236?\\u-239?}", SJIS_4 SJIS_1},
    {.what = "a surrogate pair", "{\\rtf1 \\u-10179?\\u-8704?}", "\xf0\x9f\x98\x80"},
    {.what = "a lone surrogate is dropped", "{\\rtf1 \\u-10179?x}", "x"},
    {.what = "groups split a number", "{\\rtf1 {\\b 4111}{ 1111}}", "4111 1111"},
    {.what = "source line ends are no text", "{\\rtf1 41\r\n11\n}", "4111"},
    {.what = "control symbols",
     "{\\rtf1 a\\~b\\-c\\_d\\{\\}\\\\e}",
     "a\xc2\xa0"
     "b\xc2\xad"
     "c\xe2\x80\x91"
     "d{}\\e"},
    {.what = "breaks",
     "{\\rtf1 a\\par b\\line c\\tab d\\cell e\\row f\\\n g\\sect h}",
     "a\nb\nc\td\ne\nf\n g\nh"},
    {.what = "named characters",
     "{\\rtf1 \\endash\\emdash\\lquote\\rdblquote}",
     "\xe2\x80\x93\xe2\x80\x94\xe2\x80\x98\xe2\x80\x9d"},
    {.what = "a Shift_JIS font (fcharset 128)",
     "{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0\\fswiss Arial;}{\\f1\\fnil\\fcharset128 "
     "MS Gothic;}}\\f1 \\'82\\'53\\'82\\'50\\f0 \\'82}",
     SJIS_4 SJIS_1 "\xe2\x80\x9a"},
    {.what = "a font table without groups, \\plain back to the default font",
     "{\\rtf1\\deff1{\\fonttbl\\f0\\fswiss Arial;\\f1\\fcharset128 Gothic;}\\f0 \\'82\\plain "
     "\\'82\\'53}",
     "\xe2\x80\x9a" SJIS_4},
    {.what = "\\ansicpg932, a trail byte written as text",
     "{\\rtf1\\ansi\\ansicpg932 \\'82S\\'82\\'50}",
     SJIS_4 SJIS_1},
    {.what = "a lead byte cut by a control word is dropped",
     "{\\rtf1\\ansicpg932 \\'82\\b 1}",
     "1"},
    {.what = "GBK (fcharset 134)",
     "{\\rtf1{\\fonttbl{\\f2\\fcharset134 SimSun;}}\\f2 \\'a3\\'b4}",
     SJIS_4},
    {.what = "\\cpg wins over \\fcharset",
     "{\\rtf1{\\fonttbl{\\f2\\fcharset0\\cpg932 X;}}\\f2 \\'82\\'53}",
     SJIS_4},
    {.what = "tables, pictures and stores are no text",
     "{\\rtf1{\\colortbl;\\red255\\green0\\blue0;}{\\stylesheet{\\s1 heading 1;}}"
     "{\\*\\themedata 4111}{\\pict\\wmetafile8 0123456789{\\*\\blipuid 1234}}x}",
     "x"},
    {.what = "a picture's alt text is read aside",
     "{\\rtf1{\\pict{\\*\\picprop{\\sp{\\sn wzDescription}{\\sv 4111}}}ffd8}x}",
     "x",
     NULL,
     "\n\nwzDescription\n\n4111\n\n"},
    {.what = "\\bin skips its bytes, braces and backslashes too", "{\\rtf1 a\\bin4 }\\{}b}", "ab"},
    {.what = "\\bin without a count skips nothing", "{\\rtf1 a\\bin b}", "ab"},
    {.what = "\\bin with a huge count skips the rest", "{\\rtf1 a\\bin99999999999999 bbbb}", "a"},
    {.what = "an unknown \\* destination: aside, not in the body",
     "{\\rtf1 41{\\*\\foo junk}11}",
     "4111",
     NULL,
     "\njunk\n"},
    {.what = "an unknown destination without \\* is text", "{\\rtf1 {\\foo 41}11}", "4111"},
    {.what = "hidden text", "{\\rtf1 41{\\v 99}11 \\v 5\\v0 6}", "4111 6", "419911 56"},
    {.what = "\\plain shows again", "{\\rtf1 \\v a\\plain b}", "b", "ab"},
    {.what = "a field: its result shown, its instruction aside",
     "{\\rtf1{\\field{\\*\\fldinst HYPERLINK \"http://x/?c=\\'34\"}{\\fldrslt click}}}",
     "click",
     NULL,
     "\nHYPERLINK \"http://x/?c=4\"\n"},
    {.what = "document properties aside",
     "{\\rtf1{\\info{\\title T1}{\\author A2}{\\creatim\\yr2020}{\\doccomm C3}}body}",
     "body",
     NULL,
     "\n\nT1\n\nA2\n\nC3\n\n"},
    {.what = "a header and a footnote aside",
     "{\\rtf1{\\header H}x{\\footnote F}y}",
     "xy",
     NULL,
     "\nH\n\nF\n"},
    {.what = "an embedded object's hex",
     "{\\rtf1{\\object{\\*\\objdata 34 31\r\n3131}{\\result r}}}",
     "r",
     NULL,
     NULL,
     "[4111]"},
    {.what = "\\bin inside an object is its bytes",
     "{\\rtf1{\\*\\objdata 41\\bin2 {}42}}",
     "",
     NULL,
     NULL,
     "[A{}B]"},
    {.what = "an object left open ends with the document",
     "{\\rtf1{\\*\\objdata 4142",
     "",
     NULL,
     NULL,
     "[AB]"},
    {.what = "stray closing braces", "}}{\\rtf1 a}}}b", "ab"},
    {.what = "no destination outside every group (fuzz finding)",
     "}\\objdata 41{\\*\\x y}",
     "41",
     NULL,
     "\ny\n"},
    {.what = "a control word at the very end", "{\\rtf1 a\\par", "a\n"},
};

static void test_parser(void **state)
{
    (void)state;
    struct cap c;
    char cut[64];

    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        size_t len = strlen(cases[i].rtf);
        for (size_t chunk = 1; chunk <= len; chunk++) {
            unsigned f = parse(cases[i].rtf, len, chunk, 0, 0, &c);
            snprintf(cut, sizeof(cut), "writes of %zu", chunk);
            check(cases[i].what, &c, cases[i].shown, cases[i].full, cases[i].aside, cases[i].obj,
                  cut);
            assert_int_equal(f, cases[i].flags);
        }
        for (size_t a = 0; a <= len; a++)
            for (size_t b = a; b <= len; b++) {
                parse(cases[i].rtf, len, 0, a, b, &c);
                snprintf(cut, sizeof(cut), "cut at %zu and %zu", a, b);
                check(cases[i].what, &c, cases[i].shown, cases[i].full, cases[i].aside,
                      cases[i].obj, cut);
            }
    }
}

/* Nesting past the parser's depth is reported (dlp.on-error); the text
 * still comes out; too many fonts likewise. */
static void test_limits(void **state)
{
    (void)state;
    struct cap c;
    char *deep = malloc(8192);
    size_t n = 0;

    assert_non_null(deep);
    n += (size_t)sprintf(deep, "{\\rtf1 ");
    for (int i = 0; i < 255; i++)
        deep[n++] = '{';
    deep[n++] = 'x';
    for (int i = 0; i < 255; i++)
        deep[n++] = '}';
    assert_int_equal(parse(deep, n, 1, 0, 0, &c), 0); /* 256 levels: kept */
    assert_string_equal(c.out[SK_RTF_SHOWN], "x");
    n = (size_t)sprintf(deep, "{\\rtf1 ");
    for (int i = 0; i < 256; i++)
        deep[n++] = '{';
    n += (size_t)sprintf(deep + n, "x\\v y");
    for (int i = 0; i < 256; i++)
        deep[n++] = '}';
    deep[n++] = 'z';
    assert_int_equal(parse(deep, n, 7, 0, 0, &c), SK_RTF_TOO_DEEP);
    assert_string_equal(c.out[SK_RTF_FULL], "xyz");

    n = (size_t)sprintf(deep, "{\\rtf1{\\fonttbl");
    for (int i = 0; i < 1025; i++)
        n += (size_t)sprintf(deep + n, "\\f%d;", i);
    n += (size_t)sprintf(deep + n, "}x}");
    assert_int_equal(parse(deep, n, 0, 0, 0, &c), SK_RTF_MANY_FONTS);
    assert_int_equal(parse(deep, n - 10, 0, 0, 0, &c), 0); /* 1024 fonts: kept */
    free(deep);
}

#define CARD_FORMS_HEAD "{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Arial;}{\\f1\\fcharset128 MS Mincho;}}"

/* A card each way an editor or an attacker may write it: every one passed
 * as bytes before. */
static const struct {
    const char *what, *rtf;
} hidden[] = {
    {"hex escapes", "\\'34\\'31\\'31\\'31 \\'31\\'31\\'31\\'31 \\'31\\'31\\'31\\'31 "
                    "\\'31\\'31\\'31\\'31"},
    {"\\u escapes", "\\u52?\\u49?\\u49?\\u49? \\u49?111 1111 1111"},
    {"\\uc0 \\u escapes", "\\uc0\\u52\\u49\\u49\\u49  1111 1111 1111"},
    {"groups", "4{\\b 111} 11{}11 1{\\i 1}11 111{}1"},
    {"tabs", "4111\\tab 1111\\tab 1111\\tab 1111"},
    {"no-break spaces", "4111\\~1111\\~1111\\~1111"},
    {"non-breaking hyphens", "4111\\_1111\\_1111\\_1111"},
    {"optional hyphens", "4111\\-1111\\-1111\\-1111"},
    {"a \\bin run", "41\\bin2 xx11 1111 1111 1111"},
    {"an ignorable destination between digits", "41{\\*\\junk 9}11 1111 1111 1111"},
    {"hidden digits between digits", "41{\\v 9}11 1111 1111 1111"},
    {"hidden text", "{\\v \\'34111 1111 1111 1111}"},
    {"an ignorable destination", "{\\*\\x \\'34111 1111 1111 1111}"},
    {"a field instruction",
     "{\\field{\\*\\fldinst HYPERLINK \"https://x.example/?n=\\'34111111111111111\"}"
     "{\\fldrslt link}}"},
    {"the document title", "{\\info{\\title \\'34111 1111 1111 1111}}"},
    {"full-width digits in Shift_JIS",
     "\\f1 \\'82\\'53\\'82\\'50\\'82\\'50\\'82\\'50 1111 1111 1111"},
    {"an embedded object", "{\\object{\\*\\objdata 34313131203131313120313131312031313131}}"},
};

static void test_cards(void **state)
{
    (void)state;
    static const char *const types[] = {"application/rtf", "text/rtf", "text/plain",
                                        "application/octet-stream", NULL};
    char body[1024], why[160];

    for (size_t i = 0; i < sizeof(hidden) / sizeof(*hidden); i++) {
        /* Word reads a file that starts "{\rt" as RTF, whatever follows */
        snprintf(body, sizeof(body), CARD_FORMS_HEAD "\\f0 Card: %s\\par}", hidden[i].rtf);
        if (i % 2)
            memcpy(body, "{\\rtx", 5);
        for (size_t t = 0; t < sizeof(types) / sizeof(*types); t++) {
            struct req r = {.ip = "10.0.0.2", .ctype = types[t], .body = body, .len = strlen(body)};
            for (r.chunk = 0; r.chunk <= 3; r.chunk++) {
                snprintf(why, sizeof(why), "%s, %s, writes of %zu", hidden[i].what,
                         types[t] ? types[t] : "no type", r.chunk);
                expect(&r, SK_BLOCK, "cards", why);
            }
        }
    }
}

static void test_clean_and_malformed(void **state)
{
    (void)state;
    static const char clean[] =
        "{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Arial;}}{\\colortbl;\\red255\\green0\\blue0;}"
        "{\\info{\\title Invoice 2024-001}}\\f0\\fs24 Invoice 2024-001, order 12345678, total "
        "1,234.56 \\'80\\par Phone ext. 1234\\tab qty 4111\\par"
        "{\\pict\\pngblip 41111111111111114111111111111111}"
        "{\\*\\objdata 0105000002000000}}";
    char *deep = malloc(4096);
    size_t n = 0;

    struct req r = {
        .ip = "10.0.0.2", .ctype = "application/rtf", .body = clean, .len = strlen(clean)};
    for (r.chunk = 0; r.chunk <= 2; r.chunk++)
        expect(&r, SK_ALLOW, NULL, "a clean RTF");

    /* too deep to read: dlp.on-error (the server's default: block) */
    assert_non_null(deep);
    n = (size_t)sprintf(deep, "{\\rtf1 ");
    for (int i = 0; i < 300; i++)
        deep[n++] = '{';
    n += (size_t)sprintf(deep + n, "text}");
    r = (struct req){.ip = "10.0.0.2", .ctype = "application/rtf", .body = deep, .len = n};
    expect(&r, SK_BLOCK, "dlp-undecodable", "RTF nested too deeply");
    /* a huge \bin count and unbalanced braces: bounded, read */
    n = (size_t)sprintf(deep, "{\\rtf1 }}}}{{{a\\bin9999999999999999999999 {{{{");
    r = (struct req){.ip = "10.0.0.2", .ctype = "application/rtf", .body = deep, .len = n};
    expect(&r, SK_ALLOW, NULL, "a huge \\bin");
    free(deep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parser),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_cards),
        cmocka_unit_test(test_clean_and_malformed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

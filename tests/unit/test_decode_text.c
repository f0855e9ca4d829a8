/* test_decode_text.c - the text views of the decoding layer
 * (sekisho/decode.h): UTF-16 as UTF-8, character references, charset
 * sniffing of UTF-16/32 without BOM and the JSON first-bytes rule,
 * escapes undone (sk_unescape) in any pieces, and base64 runs inside text
 * (escapes, line breaks, every split). Data embedded in text otherwise
 * (data: URLs, uuencode, joined literals, byte arrays):
 * test_decode_embedded.c. Shared helpers: support/decode_fixture.c. */
#include <iconv.h>
#include <pthread.h>

#include "decode_fixture.h"

/* Percent-encoded data: URLs in text (sk_dataurl_find, sk_dataurl_decode) */
/* The views a reader of URLs in text takes: UTF-16 as UTF-8, character
 * references decoded in place (never growing). */
static void test_text_views(void **s)
{
    unsigned char out[64];
    static const unsigned char le[] = "\xff\xfe"
                                      "A\0\xe9\0\x3d\xd8\x00\xde"
                                      "\x00\xdcZ\0!";
    static const unsigned char be[] = "\0A\xd8\x3d\xde\x00\xd8\x00";
    size_t n;

    (void)s;
    n = sk_utf16_to_utf8(le, sizeof(le) - 1, 0, out); /* BOM, pair, lone low, odd byte */
    assert_int_equal(n, 1 + 2 + 4 + 3 + 1);
    assert_memory_equal(out, "A\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbdZ", n);
    n = sk_utf16_to_utf8(be, sizeof(be) - 1, 1, out); /* no BOM; a high surrogate at the end */
    assert_int_equal(n, 1 + 4 + 3);
    assert_memory_equal(out, "A\xf0\x9f\x98\x80\xef\xbf\xbd", n);
    /* UTF-32: BOM dropped, a surrogate and a unit past U+10FFFF U+FFFD,
     * a last partial unit dropped; big-endian without a BOM */
    static const unsigned char le32[] = {0xff, 0xfe, 0,   0,    'A',  0,    0,  0, 0x00,
                                         0xd8, 0,    0,   0x00, 0xf6, 0x01, 0,  0, 0,
                                         0x11, 0,    'Z', 0,    0,    0,    'x'},
                               be32[] = {0, 0, 0, '4', 0, 0, 0xe9, 0x01};
    n = sk_utf32_to_utf8(le32, sizeof(le32), 0, out);
    assert_int_equal(n, 1 + 3 + 4 + 3 + 1);
    assert_memory_equal(out, "A\xef\xbf\xbd\xf0\x9f\x98\x80\xef\xbf\xbdZ", n);
    n = sk_utf32_to_utf8(be32, sizeof(be32), 1, out);
    assert_int_equal(n, 1 + 3);
    assert_memory_equal(out, "4\xee\xa4\x81", n);
    char t[] = "a&#37;21b&amp;&lt=1&nbsp;&#0&#x80&bogus;&";
    n = sk_html_unref((unsigned char *)t, strlen(t));
    static const char want[] = "a%21b&&lt=1\xc2\xa0\xef\xbf\xbd\xe2\x82\xac&bogus;&";
    assert_int_equal(n, sizeof(want) - 1);
    assert_memory_equal(t, want, n);
    /* the shortest references with the longest output still fit in place */
    for (int k = 0; k < 3; k++) {
        static const char *const worst[] = {"&#0&#0&#0", "&#x0&#x80", "&#x10000&nbsp"};
        char w[32];
        snprintf(w, sizeof(w), "%s", worst[k]);
        size_t len = strlen(w), m = sk_html_unref((unsigned char *)w, len);
        assert_true(m <= len);
    }
}

/* ---- charset ----------------------------------------------------------- */
static void test_charset_sniff(void **s)
{
    /* "カード 4111" + U+3000 + "一" in UTF-16LE/BE without BOM: ASCII space,
     * U+3000 and U+4E00 each carry a 0x00 byte */
    static const unsigned short units[] = {0x30ab, 0x30fc, 0x30c9, 0x0020, 0x0034, 0x0031,
                                           0x0031, 0x0031, 0x3000, 0x4e00, 0x756a, 0x53f7};
    unsigned char lebuf[64], bebuf[64];
    size_t n = sizeof(units) / sizeof(units[0]), skip;

    for (size_t i = 0; i < n; i++) {
        lebuf[2 * i] = (unsigned char)units[i], lebuf[2 * i + 1] = (unsigned char)(units[i] >> 8);
        bebuf[2 * i] = (unsigned char)(units[i] >> 8), bebuf[2 * i + 1] = (unsigned char)units[i];
    }
    assert_string_equal(sk_charset_sniff(lebuf, 2 * n, &skip), "UTF-16LE");
    assert_int_equal(skip, 0);
    assert_string_equal(sk_charset_sniff(bebuf, 2 * n, &skip), "UTF-16BE");
    /* ASCII-only UTF-16LE */
    assert_string_equal(
        sk_charset_sniff((const unsigned char *)"4\0001\0001\0001\000 \0001\0", 12, &skip),
        "UTF-16LE");
    /* binary with NULs stays binary */
    static const unsigned char bin[] = {0x7f, 'E', 'L', 'F', 2,    1,    1, 0, 0,    0,
                                        0,    0,   0,   0,   0,    0,    3, 0, 0x3e, 0,
                                        1,    0,   0,   0,   0x10, 0x6b, 0, 0, 0,    0};
    assert_null(sk_charset_sniff(bin, sizeof(bin), &skip));
    assert_string_equal(sk_charset_sniff((const unsigned char *)"\xff\xfe"
                                                                "a"
                                                                "\0",
                                         4, &skip),
                        "UTF-16LE");
    assert_int_equal(skip, 2);
    assert_null(sk_charset_sniff((const unsigned char *)"plain ascii text", 16, &skip));
    /* UTF-32 (JSON readers detect it without a BOM) */
    assert_string_equal(sk_charset_sniff((const unsigned char *)"{\0\0\0\"\0\0\0"
                                                                "4\0\0\0"
                                                                "1\0\0\0",
                                         16, &skip),
                        "UTF-32LE");
    assert_int_equal(skip, 0);
    assert_string_equal(sk_charset_sniff((const unsigned char *)"\0\0\xfe\xff\0\0\0"
                                                                "4\0\0\0"
                                                                "1",
                                         12, &skip),
                        "UTF-32BE");
    assert_int_equal(skip, 4);
}

/* The first-bytes rule of JSON readers (json.detect_encoding is the
 * oracle: tests/hostile g_dlp reads the same bodies with json.loads). */
static void test_charset_nul_order(void **s)
{
    static const struct {
        const char *b, *want;
    } c[] = {
        {"\0\0\0{", "UTF-32BE"},    {"\0{\0\"", "UTF-16BE"}, {"{\0\0\0", "UTF-32LE"},
        {"{\0\"\0", "UTF-16LE"},    {"{\0\0\"", "UTF-16LE"}, {"\0\0\0\0", "UTF-32BE"},
        {"\0\x01\0\0", "UTF-16BE"}, {"{\"a\0", NULL},        {"\xef\xbb\xbf\0", NULL},
        {"\xff\xfe\0\0", NULL},     {"\xff\xfe{\0", NULL},   {"\xfe\xff\0{", NULL},
        {"\0\0\xfe\xff", NULL},     {"[1, ", NULL},
    };
    (void)s;
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        const char *got = sk_charset_nul_order((const unsigned char *)c[i].b, 4);
        if (c[i].want == NULL ? got != NULL : got == NULL || strcmp(got, c[i].want) != 0)
            fail_msg("case %zu: got %s, want %s", i, got ? got : "NULL",
                     c[i].want ? c[i].want : "NULL");
    }
    /* fewer than four bytes: no rule (and nothing read past them) */
    assert_null(sk_charset_nul_order((const unsigned char *)"{\0\0", 3));
}

/* Escapes undone (sk_unescape): each kind, what is no escape, and the same
 * output whatever the pieces the text comes in (a carry of what was not
 * taken, as the streaming callers keep). */
static size_t unesc_pieces(const unsigned char *s, size_t n, size_t piece, unsigned kinds,
                           unsigned char *out)
{
    unsigned char carry[SK_UNESC_HOLD + 64], tmp[SK_UNESC_HOLD + 64 + 64];
    size_t nc = 0, o = 0;

    for (size_t i = 0; i < n || nc; i += piece) {
        size_t k = i < n ? (n - i < piece ? n - i : piece) : 0, used;
        int final = i + k >= n;
        memcpy(tmp, carry, nc);
        memcpy(tmp + nc, s + (i < n ? i : n), k);
        o += sk_unescape(tmp, nc + k, final, kinds, out + o, &used);
        nc = nc + k - used;
        assert_true(nc <= SK_UNESC_HOLD);
        memcpy(carry, tmp + used, nc);
        if (final) {
            assert_int_equal(nc, 0);
            break;
        }
    }
    return o;
}

/* Declared charset names: Python's spellings and aliases, EBCDIC pages by
 * number - and the page list is exactly the pages glibc's iconv reads as
 * EBCDIC (digits F0-F9, space 40). */
/* Does charset NM read some one or two bytes as a decimal digit other
 * than ASCII's, or ASCII's digit bytes as something else (iconv's
 * reading, each sequence from the initial state) - the oracle of
 * sk_charset_lookup's asking iconv to write every digit. */
static int reads_other_digits(const char *nm)
{
    iconv_t cd = iconv_open("UTF-8", nm);
    int found = 0;

    if (cd == (iconv_t)-1)
        return 0;
    for (unsigned s = 0; s < 0x10000 && !found; s++) {
        unsigned char in[2] = {(unsigned char)(s >> 8), (unsigned char)s};
        size_t n = s < 0x100 ? 1 : 2;
        if (n == 2 && in[0] < 0x80)
            continue;
        char out[16], *ip = (char *)(n == 1 ? in + 1 : in), *op = out;
        size_t il = n, ol = sizeof(out);
        iconv(cd, NULL, NULL, NULL, NULL);
        if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1 || il != 0)
            continue;
        const unsigned char *u = (const unsigned char *)out;
        size_t un = (size_t)(op - out), len = u[0] < 0x80   ? 1
                                              : u[0] < 0xe0 ? 2
                                              : u[0] < 0xf0 ? 3
                                                            : 4;
        if (un != len) /* not one character */
            continue;
        uint32_t cp = len == 1 ? u[0] : (uint32_t)(u[0] & (0x7f >> len));
        for (size_t k = 1; k < len; k++)
            cp = cp << 6 | (u[k] & 0x3f);
        if (n == 1 && in[1] >= '0' && in[1] <= '9' && cp != in[1])
            found = 1;
        for (size_t z = 0; z < SK_ND_NZERO; z++)
            found |= cp >= sk_nd_zeros()[z] && cp <= sk_nd_zeros()[z] + 9;
    }
    iconv_close(cd);
    return found;
}

static void test_charset_lookup(void **s)
{
    (void)s;
    static const struct {
        const char *in, *name;
        enum sk_cs_kind kind;
    } c[] = {
        {"utf-8", "UTF-8", SK_CS_UTF8},
        {"UTF8", "UTF-8", SK_CS_UTF8},
        {" Utf_8 ", "UTF-8", SK_CS_UTF8},
        {"u8", "UTF-8", SK_CS_UTF8},
        {"Shift_JIS", "CP932", SK_CS_WIDE},
        {"x-sjis", "CP932", SK_CS_WIDE},
        {"EUC-JP", "EUC-JP", SK_CS_WIDE},
        {"utf-16", "UTF-16", SK_CS_WIDE},
        {"UTF_16LE", "UTF-16LE", SK_CS_WIDE},
        {"utf-32-be", "UTF-32BE", SK_CS_WIDE},
        {"utf-7", "UTF-7", SK_CS_HIDES},
        {"UTF_7", "UTF-7", SK_CS_HIDES},
        {"utf 7", "UTF-7", SK_CS_HIDES},
        {"utf-7 ", "UTF-7", SK_CS_HIDES},
        {"u7", "UTF-7", SK_CS_HIDES},
        {"unicode_1_1_utf_7", "UTF-7", SK_CS_HIDES},
        {"HZ-GB-2312", "HZ", SK_CS_HIDES},
        {"hz_gb", "HZ", SK_CS_HIDES},
        {"ibm039", "IBM037", SK_CS_HIDES},
        {"037", "IBM037", SK_CS_HIDES},
        {"cp037", "IBM037", SK_CS_HIDES},
        {"IBM-037", "IBM037", SK_CS_HIDES},
        {"csIBM500", "IBM500", SK_CS_HIDES},
        {"ebcdic-cp-nl", "IBM037", SK_CS_HIDES},
        {"ebcdic_cp_us", "IBM037", SK_CS_HIDES},
        {"cp424", "IBM424", SK_CS_HIDES},
        {"cp875", "IBM875", SK_CS_HIDES},
        {"cp1026", "IBM1026", SK_CS_HIDES},
        {"1140", "IBM1140", SK_CS_HIDES},
        {"cp282", "CP282", SK_CS_HIDES},
        {"EBCDIC-CP-DK", "EBCDIC-CP-DK", SK_CS_HIDES},
        /* names iconv opens whose digits a reading of bytes misses */
        {"big5", "BIG5", SK_CS_HIDES},
        {"cp950", "CP950", SK_CS_HIDES},
        {"big5hkscs", "BIG5HKSCS", SK_CS_HIDES},
        {"Big5-HKSCS", "BIG5-HKSCS", SK_CS_HIDES},
        {"gbk", "GBK", SK_CS_HIDES},
        {"euc-kr", "EUC-KR", SK_CS_HIDES},
        {"johab", "JOHAB", SK_CS_HIDES},
        {"iso-2022-kr", "ISO-2022-KR", SK_CS_HIDES},
        {"tis-620", "TIS-620", SK_CS_HIDES},
        {"cp874", "CP874", SK_CS_HIDES},
        {"ISO_8859_11", "ISO-8859-11", SK_CS_HIDES},
        {"cp864", "CP864", SK_CS_HIDES},
        {"cp1252", "", SK_CS_NONE},
        {"windows-1251", "", SK_CS_NONE},
        {"koi8-r", "", SK_CS_NONE},
        {"iso-8859-6", "", SK_CS_NONE},
        {"iso-8859-1", "", SK_CS_NONE},
        {"cp850", "", SK_CS_NONE},
        {"utf-77", "", SK_CS_NONE},
        {"cp0371", "", SK_CS_NONE},
        {"cp037a", "", SK_CS_NONE},
        {"ucp037", "", SK_CS_NONE},
        {"", "", SK_CS_NONE},
    };
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        char name[32] = "x";
        enum sk_cs_kind k = sk_charset_lookup(c[i].in, name, sizeof(name));
        if (k != c[i].kind || strcmp(name, c[i].name) != 0)
            fail_msg("'%s': kind %d name '%s', want %d '%s'", c[i].in, (int)k, name, (int)c[i].kind,
                     c[i].name);
    }
    assert_int_equal(sk_charset_lookup(NULL, NULL, 0), SK_CS_NONE);
    /* the EBCDIC pages, and the pages with other digits, against iconv
     * itself (reading, where the lookup asks iconv to write) */
    int pages = 0, others = 0;
    for (unsigned p = 1; p < 20000; p++) {
        for (int f = 0; f < 2; f++) {
            char nm[16], want[16], out[8] = "", *ip = "\xf0\xf9\x40", *op = out;
            size_t il = 3, ol = sizeof(out) - 1;
            if (f == 0)
                snprintf(nm, sizeof(nm), "IBM%03u", p);
            else
                snprintf(nm, sizeof(nm), "CP%03u", p);
            iconv_t cd = iconv_open("UTF-8", nm);
            if (cd == (iconv_t)-1)
                continue;
            iconv(cd, &ip, &il, &op, &ol);
            iconv_close(cd);
            int ebcdic = strcmp(out, "09 ") == 0, other = !ebcdic && reads_other_digits(nm);
            snprintf(want, sizeof(want), "cp%u", p);
            char got[32];
            enum sk_cs_kind k = sk_charset_lookup(want, got, sizeof(got));
            if ((ebcdic || other) != (k == SK_CS_HIDES || k == SK_CS_WIDE) ||
                (ebcdic && k != SK_CS_HIDES))
                fail_msg("page %u: iconv reads it as %s, the lookup says %d", p,
                         ebcdic  ? "EBCDIC"
                         : other ? "other digits"
                                 : "ASCII digits",
                         (int)k);
            others += other;
            if (ebcdic) {
                pages++;
                iconv_t c2 = iconv_open("UTF-8", got);
                assert_true(c2 != (iconv_t)-1);
                iconv_close(c2);
            }
            break;
        }
    }
    assert_true(pages >= 70);
    assert_true(others >= 3); /* 864, 874, 950... */
}

static void test_unescape(void **st)
{
    static const struct {
        unsigned kinds;
        const char *in, *want;
    } c[] = {
        {SK_UNESC_PCT, "f=X5O%21P%25%40AP%5b4%5CPZX", "f=X5O!P%@AP[4\\PZX"},
        {SK_UNESC_PCT, "100% sure %4 %zz %", "100% sure %4 %zz %"},
        /* JavaScript's escape() past U+00FF: a character each */
        {SK_UNESC_PCT, "cc=%uFF14%uff11 %u00e9 %uD800 %u12 %use %u",
         "cc=\xef\xbc\x94\xef\xbc\x91 \xc3\xa9 \xef\xbf\xbd %u12 %use %u"},
        {SK_UNESC_REF, "4111&nbsp;1111&#32;1111&#x20;1111 &amp;c &#52&#49",
         "4111\xc2\xa0"
         "1111 1111 1111 &c 41"},
        {SK_UNESC_REF, "a & b &x; &", "a & b &x; &"},
        {SK_UNESC_BSL, "X5O!P%@AP[4\\\\PZX54(P^)7CC)7}$EICAR",
         "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR"},
        {SK_UNESC_BSL, "\\uff14\\uFF11 \\x41\\101\\u{1F600}\\ud83d\\ude00\\n\\\"\\/\\q",
         "\xef\xbc\x94\xef\xbc\x91 AA\xf0\x9f\x98\x80\xf0\x9f\x98\x80\n\"/q"},
        {SK_UNESC_BSL, "a\\\nb \\ud800x \\u12 \\x4 \\u{} \\",
         "ab \xef\xbf\xbdx \\u12 \\x4 \\u{} \\"},
        {SK_UNESC_PCT | SK_UNESC_REF | SK_UNESC_BSL, "%26nbsp; &#92;u0034 \\u0025 41",
         "&nbsp; \\u0034 % 41"},
    };
    unsigned char out[256], out2[256];
    (void)st;
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        size_t n = strlen(c[i].in), used;
        size_t o = sk_unescape((const unsigned char *)c[i].in, n, 1, c[i].kinds, out, &used);
        assert_int_equal(used, n);
        if (o != strlen(c[i].want) || memcmp(out, c[i].want, o) != 0)
            fail_msg("case %zu: got '%.*s'", i, (int)o, out);
        for (size_t piece = 1; piece <= 7; piece++) {
            size_t o2 = unesc_pieces((const unsigned char *)c[i].in, n, piece, c[i].kinds, out2);
            if (o2 != o || memcmp(out, out2, o) != 0)
                fail_msg("case %zu in pieces of %zu: got '%.*s'", i, piece, (int)o2, out2);
        }
    }
    /* random text made of escape pieces: in place, never longer, and the
     * same in any pieces */
    static const char *const bits[] = {"%", "4",  "1",  "&",  "#",    "x",   ";",  "\\", "u", "{",
                                       "}", "d8", "dc", "00", "nbsp", "amp", "\r", "\n", "a", "7"};
    unsigned char in[512], whole[512], parts[512];
    for (int round = 0; round < 3000; round++) {
        size_t n = 0;
        while (n < 400)
            for (const char *b = bits[rnd() % 20]; *b && n < 400; b++)
                in[n++] = (unsigned char)*b;
        unsigned kinds = 1 + rnd() % 7;
        size_t used;
        memcpy(whole, in, n);
        size_t o = sk_unescape(whole, n, 1, kinds, whole, &used); /* in place */
        assert_int_equal(used, n);
        assert_true(o <= n);
        size_t o2 = unesc_pieces(in, n, 1 + rnd() % 9, kinds, parts);
        assert_int_equal(o2, o);
        assert_memory_equal(parts, whole, o);
    }
}

/* ---- base64 runs inside text (sk_b64run) ------------------------------ */

struct b64runs {
    struct out o;
    int begins, ends, stop_at;
};

static int b64r_begin(void *arg)
{
    struct b64runs *r = arg;
    out_sink(&r->o, "<", 1);
    return ++r->begins == r->stop_at ? -1 : 0;
}

static int b64r_data(void *arg, const void *buf, size_t len)
{
    return out_sink(&((struct b64runs *)arg)->o, buf, len);
}

static int b64r_end(void *arg)
{
    struct b64runs *r = arg;
    r->ends++;
    return out_sink(&r->o, ">", 1);
}

/* The runs of TEXT (MIN digits), fed STEP bytes at a time (0: whole), as
 * "<decoded>" per run into R->o; the return of the last call. */
static int b64r_feed(struct b64runs *r, const char *text, size_t min, size_t step)
{
    struct sk_b64run_handler h = {b64r_begin, b64r_data, b64r_end, r};
    struct sk_b64run *f = sk_b64run_new(min, &h);
    size_t n = strlen(text);
    int rc = 0;

    assert_non_null(f);
    r->o.len = 0, r->begins = r->ends = 0;
    out_sink(&r->o, "", 0);
    for (size_t i = 0; i < n && rc == 0; i += step ? step : n)
        rc = sk_b64run_write(f, text + i, step && n - i > step ? step : n - i);
    if (rc == 0)
        rc = sk_b64run_end(f);
    sk_b64run_free(f);
    return rc;
}

/* Replace every C in S by REP (a new string). */
static char *subst(const char *s, char c, const char *rep)
{
    char *o = malloc(strlen(s) * strlen(rep) + 1), *q = o;
    for (; *s; s++)
        q = *s == c ? stpcpy(q, rep) : (*q++ = *s, q);
    *q = 0;
    return o;
}

static void test_b64run(void **s)
{
    (void)s;
    struct b64runs r = {0};
    static const size_t steps[] = {0, 1, 2, 3, 7, 64};
    char text[2048], want[1024];
    /* bytes whose base64 holds '+' and '/' (0xfb 0xff ...), and a card */
    unsigned char bin[96];
    for (size_t i = 0; i < sizeof(bin); i++)
        bin[i] = (unsigned char)(i % 3 == 0 ? 0xfb : i % 3 == 1 ? 0xff : 0xbf);
    memcpy(bin + 30, "4111 1111 1111 1111", 19);
    char *e = sk_tz_b64(bin, sizeof(bin));
    assert_non_null(strchr(e, '+'));
    assert_non_null(strchr(e, '/'));
    memcpy(want, "<", 1), memcpy(want + 1, bin, sizeof(bin)), want[1 + sizeof(bin)] = '>';
    size_t wn = sizeof(bin) + 2;

    /* plain, JSON "\/", form %2B/%2F (either case): one run, any split */
    char *json = subst(e, '/', "\\/"), *form1 = subst(e, '+', "%2B"),
         *form = subst(form1, '/', "%2f");
    /* JSON's \u escapes (.NET writes '+' as \u002B), a script's \x and \u{}
     * on digits too: a string the engine unescapes before atob() */
    char *u1 = subst(e, '+', "\\u002B"), *uesc = subst(u1, '/', "\\u002f");
    char *x1 = subst(e, 'A', "\\x41"), *x2 = subst(x1, 'Q', "\\u{51}"),
         *xesc = subst(x2, '+', "\\u{00002b}");
    const char *wraps[][2] = {{"text ", " tail"},
                              {"{\"f\":\"", "\"}"},
                              {"a=", "&b=1"},
                              {"{\"f\":\"", "\"}"},
                              {"atob(\"", "\")"}};
    const char *bodies[] = {e, json, form, uesc, xesc};
    assert_non_null(strstr(xesc, "\\x41"));
    for (int k = 0; k < 5; k++)
        for (size_t j = 0; j < sizeof(steps) / sizeof(steps[0]); j++) {
            snprintf(text, sizeof(text), "%s%s%s", wraps[k][0], bodies[k], wraps[k][1]);
            assert_int_equal(b64r_feed(&r, text, 20, steps[j]), 0);
            if (r.o.len != wn || memcmp(r.o.p, want, wn) != 0)
                fail_msg("form %d step %zu: %zu bytes decoded", k, steps[j], r.o.len);
        }

    /* MIN is the least run: 19 digits are text, 20 a run of 15 bytes */
    assert_int_equal(b64r_feed(&r, "x ABCDEFGHIJKLMNOPQRS y", 20, 1), 0);
    assert_int_equal(r.begins, 0);
    assert_int_equal(b64r_feed(&r, "x ABCDEFGHIJKLMNOPQRST y", 20, 1), 0);
    assert_int_equal(r.begins, 1);
    assert_int_equal(r.o.len, 2 + 15);
    assert_int_equal(b64r_feed(&r, "x ABCDEFGHIJKLMNOPQRST y", 24, 0), 0);
    assert_int_equal(r.begins, 0);

    /* line breaks continue a run after a full line (76, a multiple of 4),
     * CRLF, LF or JSON's \r\n; after a short line they end it */
    unsigned char big[300];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (unsigned char)(i * 7 + 1);
    char *eb = sk_tz_b64(big, sizeof(big)), lines[1024];
    const char *brk[] = {"\r\n", "\n", "\\r\\n", "\\n"};
    for (int k = 0; k < 4; k++) {
        size_t q = 0, n = strlen(eb);
        for (size_t i = 0; i < n; i += 76) {
            q += (size_t)snprintf(lines + q, sizeof(lines) - q, "%.76s%s", eb + i,
                                  i + 76 < n ? brk[k] : "");
        }
        assert_int_equal(b64r_feed(&r, lines, 64, 5), 0);
        assert_int_equal(r.begins, 1);
        assert_int_equal(r.o.len, sizeof(big) + 2);
        assert_memory_equal(r.o.p + 1, big, sizeof(big));
    }
    /* each text's runs as "<decoded>", fed whole and in every step size */
    static const struct {
        const char *text, *want;
    } tab[] = {
        /* a break after a line of 24 digits continues the run (base64
         * -w 24), and after 50 (base64 -w 50: atob and b64decode drop
         * white space anywhere); after 16 (under 20) it ends it */
        {"QUJDREVGR0hJSktMTU5PUFFS\nQUJDREVGR0hJSktMTU5PUFFS",
         "<ABCDEFGHIJKLMNOPQRABCDEFGHIJKLMNOPQR>"},
        {"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2\nxtbm9wcXJzdHV2d3g=",
         "<ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx>"},
        {"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2\\nxtbm9wcXJzdHV2d3g=",
         "<ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx>"},
        /* ... and after lines of 8 to 19 when all are as long (base64
         * -w 16, -w 12), the last one shorter; a short line of another
         * length ends the run at its end; lines of 6 make none */
        {"QUJDREVGR0hJSktM\nTU5PUFFSU1RVVldY\nWVo=\n", "<ABCDEFGHIJKLMNOPQRSTUVWXYZ>"},
        {"QUJDREVGR0hJ\r\nSktMTU5PUFFS\r\nU1RV\r\n", "<ABCDEFGHIJKLMNOPQRSTU>"},
        {"QUJDREVGR0hJSktM\nTU5PUFFSU1RV\nVldYWVo=\n", "<ABCDEFGHIJKLMNOPQRSTU>"},
        {"QUJDRE\nVGR0hJ\nSktMTU\n5PUFFS\n", ""},
        /* lines out of step, all as long (base64 -w 10, -w 18: red team
         * s22), held as a long line out of step is */
        {"QUJDREVGR0\nhJSktMTU5P\nUFFSU1RVVl\ndYWVo=\n", "<ABCDEFGHIJKLMNOPQRSTUVWXYZ>"},
        {"QUJDREVGR0hJSktMTU\n5PUFFSU1RVVldYWVo=\n", "<ABCDEFGHIJKLMNOPQRSTUVWXYZ>"},
        /* after long lines a short one is the last (base64 -w 22 of 57
         * bytes: 22, 22, 22, 10), not the first of a run of short ones */
        {"QUJDREVGR0hJSktMTU5PUF\nFSU1RVVldYWVpBQkNERUZH\nSElKS0xNTk9QUVJTVFVWV1\nhZWkFCQ0RF\n",
         "<ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZABCDE>"},
        /* after such a break, indentation and blank lines (a plist's
         * <data>, indented XML); anything else ends the run */
        {"<data>\n\t\tQUJDREVGR0hJSktMTU5PUFFS\n\t\tU1RVVldYWVphYmNkZWZnaGlq\r\n\r\n  "
         "a2xtbm9wcXJzdHV2d3g=\n\t</data>",
         "<ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx>"},
        {"QUJDREVGR0hJSktMTU5PUFFS\n  .\n  QUJDREVGR0hJSktMTU5PUFFS",
         "<ABCDEFGHIJKLMNOPQR><ABCDEFGHIJKLMNOPQR>"},
        /* white space at a full line's end, then the line end: one run;
         * then anything else: the run ended there */
        {"QUJDREVGR0hJSktMTU5PUFFS \t \r\nQUJDREVGR0hJSktMTU5PUFFS",
         "<ABCDEFGHIJKLMNOPQRABCDEFGHIJKLMNOPQR>"},
        {"QUJDREVGR0hJSktMTU5PUFFS  QUJDREVGR0hJSktMTU5PUFFS",
         "<ABCDEFGHIJKLMNOPQR><ABCDEFGHIJKLMNOPQR>"},
        /* a line out of step (21 digits: a stub's marker) before lines of
         * another length: the run ends at it, the data after it is a run
         * of its own (`sed 1,/marker/d | base64 -d`); lines of one length
         * out of step (base64 -w 50) and a shorter last line go on */
        {"__PAYLOAD_BELOW_HERE_\nQUJDREVGR0hJSktMTU5PUFFS\nQUJDREVGR0hJSktMTU5PUFFS\n",
         "<\xff\xf3\xc0`\xb3\x80\x0f\xf0"
         "D,\xe5\xbf\x1c"
         "DD>"
         "<ABCDEFGHIJKLMNOPQRABCDEFGHIJKLMNOPQR>"},
        /* '=' padding ends a run (Python, Node, atob); digits after it,
         * on the same line or the next, go on in a second object from the
         * first one's bytes (GNU base64 -d reads past padding: `cat a.b64
         * b.b64 | base64 -d`); a '%' not followed by a hex pair ends a run
         * and is text */
        {"QUJDREVGR0hJSktMTU5PUFE=QUJDREVGR0hJSktMTU5PUFFS%zzQUJD",
         "<ABCDEFGHIJKLMNOPQ><ABCDEFGHIJKLMNOPQABCDEFGHIJKLMNOPQR>"},
        {"QUJDREVGR0hJSktMTU5PUA==\r\nUVJTVFVWV1hZWg==\nYWJj",
         "<ABCDEFGHIJKLMNOP><ABCDEFGHIJKLMNOPQRSTUVWXYZ><ABCDEFGHIJKLMNOPQRSTUVWXYZabc>"},
        /* ... not after a '-' or '_' (GNU base64 takes no URL-safe digit: a
         * MIME part's base64, then its boundary) or other text */
        {"QUJDREVGR0hJSktMTU5PUA==\r\n\r\n--boundary--", "<ABCDEFGHIJKLMNOP>"},
        {"QUJDREVGR0hJSktMTU5PUA==\")QUJD", "<ABCDEFGHIJKLMNOP>"},
        /* pieces each shorter than a run make one (16 + 16 digits); the
         * padding must be whole and followed by digits or line ends only,
         * as GNU base64 -d takes it */
        {"x QUJDREVGR0hJSks=TE1OT1BRUlNUVVY= y", "<ABCDEFGHIJKLMNOPQRSTUV>"},
        {"x QUJDREVGR0hJSg==\nTE1OT1BRUlNUVVY= y", "<ABCDEFGHIJLMNOPQRSTUV>"},
        {"x QUJDREVGR0hJSg=TE1OT1BRUlNUVVY= y", ""},
        /* a short piece after padding that stays text leaves nothing
         * behind for the next run (found by fuzz_b64run) */
        {"abc=de QUJDREVGR0hJSktMTU5PUFFS", "<ABCDEFGHIJKLMNOPQR>"},
        /* ... nor the length of its short lines (fuzz_b64run) */
        {"abcdefghijkl\nxy z QUJDREVG\nQUJDREVGR0hJSktMTU5PUFFS", "<ABCDEFABCDEFGHIJKLMNOPQR>"},
        /* ... and the block skip does not pass over pieces joined so */
        {"................................................................"
         "QUJDREVGR0hJSks=TE1OT1BRUlNUVVY=................................"
         "................................................................",
         "<ABCDEFGHIJKLMNOPQRSTUV>"},
        {"x QUJDREVGR0hJSks= TE1OT1BRUlNUVVY= y", ""},
        {"x QUJDREVGR0hJSks==TE1OT1BRUlNUVVY= y", ""},
        /* a last partial group: 3 digits are 2 bytes, 2 digits 1 */
        {"QUJDREVGR0hJSktMTU5PUFFSUw", "<ABCDEFGHIJKLMNOPQRS>"},
        {"QUJDREVGR0hJSktMTU5PUFFSU1Q", "<ABCDEFGHIJKLMNOPQRST>"},
        /* a script's concatenation continues a run ("..." + '...', across
         * lines, pieces of any length); a comma or another quote ends it */
        {"atob(\"QUJDREVGR0hJ\" + \"SktMTU5PUFFS\")", "<ABCDEFGHIJKLMNOPQR>"},
        {"x = 'QUJDREVGR0' +\n  'hJSktMTU5PUFFS';", "<ABCDEFGHIJKLMNOPQR>"},
        {"x = `QUJDREVGR0hJSkt`+`MTU5PUFFS`", "<ABCDEFGHIJKLMNOPQR>"},
        {"[\"QUJDREVGR0hJSktMTU5PUFFS\", \"QUJDREVGR0hJSktMTU5PUFFS\"]",
         "<ABCDEFGHIJKLMNOPQR><ABCDEFGHIJKLMNOPQR>"},
        {"\"QUJDREVGR0hJSktMTU5PUFFS\" + 'QUJD'", "<ABCDEFGHIJKLMNOPQR>"},
        /* pieces shorter than any run, in a 64-byte block with no run in
         * it (the block skip would pass over it): still joined */
        {"................................................................"
         "x = 'QUJD' + 'REVG' + 'R0hJ' +\n 'SktM' + 'TU5P' + 'UFFS';......"
         "................................................................",
         "<ABCDEFGHIJKLMNOPQR>"},
        /* escapes that are no digit end a run ('=' padding, a quote); a
         * cut or broken one ends it and is text */
        {"QUJDREVGR0hJSktMTU5PUFFS\\u003dQUJDREVGR0hJSktMTU5PUFFS",
         "<ABCDEFGHIJKLMNOPQR><ABCDEFGHIJKLMNOPQR>"},
        {"QUJDREVGR0hJSktMTU5PUFFS\\u00.QUJDREVGR0hJSktMTU5PUFFS\\x4",
         "<ABCDEFGHIJKLMNOPQR><ABCDEFGHIJKLMNOPQR>"},
        {"\\u{51}UJDREVGR0hJSktMTU5PUFFS\\u{}x", "<ABCDEFGHIJKLMNOPQR>"},
        /* a script's other escapes: leading zeros in \u{}, octal, identity
         * ("\Q" is "Q"), a line continued inside the string; JSON's
         * \u000D\u000A between full lines */
        {"\\u{00000000051}UJD\\122EVGR0hJ\\SktMTU5P\\\nUFFS", "<ABCDEFGHIJKLMNOPQR>"},
        {"QUJDREVGR0hJSktMTU5PUFFS\\u000D\\u000AQUJDREVGR0hJSktMTU5PUFFS",
         "<ABCDEFGHIJKLMNOPQRABCDEFGHIJKLMNOPQR>"},
        {"QUJDREVGR0hJSktMTU5PUFF\\123", "<ABCDEFGHIJKLMNOPQR>"},
        /* \b \t are control characters: the run ends */
        {"QUJDREVGR0hJSktMTU5PUFFS\\tQUJDREVGR0hJSktMTU5PUFFS",
         "<ABCDEFGHIJKLMNOPQR><ABCDEFGHIJKLMNOPQR>"},
        /* more than 64 white space bytes before the '+': not joined */
        {"'QUJDREVGR0hJSktM'                                                                  "
         "+ 'TU5PUFFS'",
         ""},
    };
    for (size_t k = 0; k < sizeof(tab) / sizeof(tab[0]); k++)
        for (size_t j = 0; j < sizeof(steps) / sizeof(steps[0]); j++) {
            assert_int_equal(b64r_feed(&r, tab[k].text, 20, steps[j]), 0);
            if (strcmp((char *)r.o.p, tab[k].want) != 0)
                fail_msg("'%s' in %zu-byte writes: '%s'", tab[k].text, steps[j], (char *)r.o.p);
        }
    /* after padding, the second object starts with the first one's last
     * 8 KiB (SK_B64RUN_TAIL), not all of it: 10,000 bytes, "==", 3 more */
    {
        unsigned char first[10000];
        for (size_t i = 0; i < sizeof(first); i++)
            first[i] = (unsigned char)(i * 131 + 7);
        char *e1 = sk_tz_b64(first, sizeof(first));
        size_t l1 = strlen(e1);
        assert_true(l1 >= 2 && e1[l1 - 1] == '=' && e1[l1 - 2] == '=');
        char *t = malloc(l1 + 8);
        memcpy(t, e1, l1), memcpy(t + l1, "\nYWJj", 6);
        for (size_t j = 0; j < sizeof(steps) / sizeof(steps[0]); j++) {
            assert_int_equal(b64r_feed(&r, t, 20, steps[j]), 0);
            size_t wantn = 1 + sizeof(first) + 2 + 8192 + 3 + 1;
            if (r.begins != 2 || r.o.len != wantn ||
                memcmp(r.o.p + 1 + sizeof(first) + 2, first + sizeof(first) - 8192, 8192) != 0 ||
                memcmp(r.o.p + wantn - 4, "abc>", 4) != 0)
                fail_msg("a 10,000-byte piece, then 3 bytes, in %zu-byte writes: %d objects, "
                         "%zu bytes",
                         steps[j], r.begins, r.o.len);
        }
        free(t), free(e1);
    }
    /* bytes given again are bounded: 3,000 padded pieces of 24 digits
     * (16 bytes each) give at most 64 KiB more than their bytes; past
     * that, one object goes on through the padding */
    {
        size_t np = 3000, ln = 24;
        char *many = malloc(np * ln + 1);
        for (size_t i = 0; i < np; i++)
            memcpy(many + i * ln, "QUJDREVGR0hJSktMTU5PUA==", ln);
        many[np * ln] = 0;
        assert_int_equal(b64r_feed(&r, many, 20, 0), 0);
        size_t bytes = r.o.len - 2 * (size_t)r.begins;
        if (bytes > np * 16 + 65536 || bytes < np * 16 || r.begins < 2 || r.begins > 1000)
            fail_msg("3,000 padded pieces: %d objects, %zu bytes", r.begins, bytes);
        assert_memory_equal(r.o.p + r.o.len - 17, "ABCDEFGHIJKLMNOP>", 17);
        free(many);
    }

    /* UTF-16 text (either order, BOM or not, any split, odd ones too):
     * the same runs; a code unit beyond ASCII is a non-digit */
    static const char u16text[] = "x = atob(\"QUJDREVGR0hJSktMTU5PUFFS\") \xe2\x80\xa2 QUJD";
    for (int be = 0; be < 2; be++)
        for (size_t j = 0; j < sizeof(steps) / sizeof(steps[0]); j++) {
            unsigned char u16[256];
            size_t n16 = 0;
            u16[n16++] = be ? 0xfe : 0xff, u16[n16++] = be ? 0xff : 0xfe;
            for (const char *c = u16text; *c; c++) {
                unsigned u = (unsigned char)*c < 0x80 ? (unsigned char)*c : 0x2022;
                if ((unsigned char)*c >= 0x80 && (unsigned char)*c != 0xe2)
                    continue; /* the bullet's continuation bytes */
                u16[n16++] = (unsigned char)(be ? u >> 8 : u),
                u16[n16++] = (unsigned char)(be ? u : u >> 8);
            }
            struct sk_b64run_handler h16 = {b64r_begin, b64r_data, b64r_end, &r};
            struct sk_b64run *f = sk_b64run_new(20, &h16);
            r.o.len = 0, r.begins = r.ends = 0;
            out_sink(&r.o, "", 0);
            sk_b64run_utf16(f, be);
            size_t step = steps[j] ? steps[j] : n16;
            for (size_t i = 0; i < n16; i += step)
                assert_int_equal(sk_b64run_write(f, u16 + i, n16 - i < step ? n16 - i : step), 0);
            assert_int_equal(sk_b64run_end(f), 0);
            sk_b64run_free(f);
            if (strcmp((char *)r.o.p, "<ABCDEFGHIJKLMNOPQR>") != 0)
                fail_msg("UTF-16%s in %zu-byte writes: '%s'", be ? "BE" : "LE", step,
                         (char *)r.o.p);
        }

    /* a callback that stops: -1 now and for every later write */
    r.stop_at = 2;
    assert_int_equal(b64r_feed(&r, "QUJDREVGR0hJSktMTU5PUFFS QUJDREVGR0hJSktMTU5PUFFS x", 20, 0),
                     -1);
    assert_int_equal(r.begins, 2);
    assert_int_equal(r.ends, 1);
    r.stop_at = 0;
    /* MIN out of range */
    struct sk_b64run_handler h = {b64r_begin, b64r_data, b64r_end, &r};
    assert_null(sk_b64run_new(19, &h));
    assert_null(sk_b64run_new(257, &h));
    free(e), free(json), free(form1), free(form), free(eb), free(r.o.p);
    free(u1), free(uesc), free(x1), free(x2), free(xesc);
}

/* Is a glibc conversion module (NAME: "/EUC-JP.so") mapped in this process. */
static int so_mapped(const char *name)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    int found = 0;

    assert_non_null(f);
    while (fgets(line, sizeof(line), f))
        found |= strstr(line, name) != NULL;
    fclose(f);
    return found;
}

/* Opened and closed in turn, as readings do per object. */
static void churn(void)
{
    static const char *const other[] = {"SHIFT_JIS", "ISO-2022-JP", "GB2312", "BIG5", "CP932"};

    for (int k = 0; k < 3; k++)
        for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
            iconv_t c = iconv_open("UTF-8", other[i]);
            if (c != (iconv_t)-1)
                iconv_close(c);
        }
}

/* sk_iconv_open keeps a converter's module loaded after its descriptors
 * are closed (the no-body REQMOD with a DLP keyword template dlopen'ed
 * EUC-JP & co. per request); plain iconv_open does not, which is what the
 * second half shows (so the first half can fail). */
/* sk_iconv_open keeps a converter's module loaded after its descriptors
 * are closed (the no-body REQMOD with a DLP keyword template dlopen'ed
 * EUC-JP & co. per request); plain iconv_open does not, which is what the
 * second half shows (so the first half can fail). */
static void test_iconv_pinned(void **s)
{
    (void)s;
    iconv_t cd = sk_iconv_open("EUC-JP");
    char in[] = "\xa3\xb4\xa3\xb1", out[16], *ip = in, *op = out;
    size_t il = 4, ol = sizeof(out);

    assert_true(cd != (iconv_t)-1);
    assert_int_equal(iconv(cd, &ip, &il, &op, &ol), 0);
    assert_memory_equal(out, "\xef\xbc\x94\xef\xbc\x91", 6); /* fullwidth 4 1 */
    iconv_close(cd);
    churn();
    assert_true(so_mapped("/EUC-JP.so"));
    cd = sk_iconv_open("EUC-JP"); /* a second open pins nothing more */
    iconv_close(cd);
    churn();
    assert_true(so_mapped("/EUC-JP.so"));
    assert_true(sk_iconv_open("NO-SUCH-CHARSET") == (iconv_t)-1);

    cd = iconv_open("UTF-8", "EUC-KR");
    assert_true(cd != (iconv_t)-1);
    iconv_close(cd);
    churn();
    assert_false(so_mapped("/EUC-KR.so"));
}

/* sk_iconv_close keeps a few descriptors per thread for the next
 * sk_iconv_open of the same name, reset to the initial state: a stateful
 * decoder (ISO-2022-JP) left shifted into JIS X 0208 must read ASCII as
 * ASCII after it comes back. Other names, and a full cache, get their own;
 * a thread's kept ones are closed when it ends (ASan's leak check). */
static void *kept_in_thread(void *arg)
{
    (void)arg;
    sk_iconv_close("EUC-JP", sk_iconv_open("EUC-JP"));
    return NULL;
}

static void test_iconv_kept(void **s)
{
    (void)s;
    iconv_t cd = sk_iconv_open("ISO-2022-JP"), again, other, many[6];
    char shift[] = "\x1b$B", ascii[] = "AB", out[16], *ip = shift, *op = out;
    size_t il = 3, ol = sizeof(out);

    assert_true(cd != (iconv_t)-1);
    assert_int_equal(iconv(cd, &ip, &il, &op, &ol), 0);
    sk_iconv_close("ISO-2022-JP", cd);
    assert_true((other = sk_iconv_open("EUC-JP")) != cd); /* not that name's */
    assert_true((again = sk_iconv_open("ISO-2022-JP")) == cd);
    ip = ascii, il = 2, op = out, ol = sizeof(out);
    assert_int_equal(iconv(again, &ip, &il, &op, &ol), 0);
    assert_int_equal(op - out, 2); /* shifted, "AB" would be one kanji */
    assert_memory_equal(out, "AB", 2);
    iconv_t second = sk_iconv_open("ISO-2022-JP");
    assert_true(second != cd); /* lent once */
    sk_iconv_close("ISO-2022-JP", second);
    sk_iconv_close("ISO-2022-JP", again);
    sk_iconv_close("EUC-JP", other);
    /* more than the thread keeps: the rest are closed, none lost */
    for (int i = 0; i < 6; i++)
        assert_true((many[i] = sk_iconv_open("CP932")) != (iconv_t)-1);
    for (int i = 0; i < 6; i++)
        sk_iconv_close("CP932", many[i]);
    sk_iconv_close(NULL, sk_iconv_open("CP932"));
    sk_iconv_close("CP932", (iconv_t)-1);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, kept_in_thread, NULL), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_views),        cmocka_unit_test(test_charset_sniff),
        cmocka_unit_test(test_charset_nul_order), cmocka_unit_test(test_charset_lookup),
        cmocka_unit_test(test_unescape),          cmocka_unit_test(test_b64run),
        cmocka_unit_test(test_iconv_pinned),      cmocka_unit_test(test_iconv_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

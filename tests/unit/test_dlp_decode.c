/* test_dlp_decode.c - dlp over encoded text: every charset, JSON,
 * urlencoded and XML bodies, HTML references, base64 and percent-encoded
 * runs, evasions (containers by bytes, bytes after a zip, LF-only
 * multipart, UTF-16 without BOM), Content-Encoding br, dlp.max-decoded and
 * dlp.on-limit, nested mail. Containers and compressed uploads:
 * test_dlp_archives.c. Shared fixture: support/dlp_fixture.c. */
#include <brotli/encode.h>
#include <zlib.h>
#include <iconv.h>
#include <time.h>

#include "dlp_fixture.h"

/* UTF-8 TEXT converted to CHARSET (caller frees). */
static char *conv(const char *charset, const char *text, size_t *len)
{
    iconv_t cd = iconv_open(charset, "UTF-8");
    size_t inl = strlen(text), outl = inl * 4 + 16;
    char *out = malloc(outl), *op = out, *ip = (char *)text;

    assert_true(cd != (iconv_t)-1);
    assert_true(iconv(cd, &ip, &inl, &op, &outl) != (size_t)-1);
    iconv(cd, NULL, NULL, &op, &outl);
    iconv_close(cd);
    *len = (size_t)(op - out);
    return out;
}

static void test_encodings(void **state)
{
    static const char *const charsets[] = {"UTF-16LE", "UTF-16BE", "UTF-16",     "SHIFT_JIS",
                                           "CP932",    "EUC-JP",   "ISO-2022-JP"};
    static const char *const declared[] = {"utf-16le",    "utf-16be", "utf-16",     "shift_jis",
                                           "windows-31j", "euc-jp",   "iso-2022-jp"};
    const char *text = "お客様のカード番号は４１１１－１１１１－１１１１－１１１１です。"
                       "よろしくお願いいたします。山田太郎";
    /* JIS X 0208 has no U+FF0D: Shift_JIS, EUC-JP and ISO-2022-JP map
     * their full-width minus to U+2212 */
    const char *jis = "お客様のカード番号は４１１１−１１１１−１１１１−１１１１です。"
                      "よろしくお願いいたします。山田太郎";
    char ctype[80];

    for (size_t i = 0; i < sizeof(charsets) / sizeof(charsets[0]); i++) {
        size_t len;
        char *b = conv(charsets[i], i == 3 || i >= 5 ? jis : text, &len);
        snprintf(ctype, sizeof(ctype), "text/plain; charset=%s", declared[i]);
        struct req r = {.ip = "10.0.0.2", .ctype = ctype, .body = b, .len = len};
        char why[96];
        snprintf(why, sizeof(why), "%s declared", charsets[i]);
        expect(&r, SK_BLOCK, "cards", why);
        r.ctype = "application/octet-stream"; /* undeclared: sniffed */
        snprintf(why, sizeof(why), "%s sniffed", charsets[i]);
        expect(&r, SK_BLOCK, "cards", why);
        r.chunk = 1;
        snprintf(why, sizeof(why), "%s sniffed, 1-byte writes", charsets[i]);
        expect(&r, SK_BLOCK, "cards", why);
        free(b);
    }
    /* a declared charset cannot overrule the bytes: UTF-16 claimed for
     * ASCII, UTF-8 or Shift_JIS claimed for UTF-16, a BOM against the
     * declaration */
    static const char *const lies[] = {"utf-16", "utf-16le", "UTF-16BE", "utf-8", "shift_jis"};
    const char *card = "card 4111 1111 1111 1111 end";
    size_t u16len;
    char *u16 = conv("UTF-16LE", card, &u16len);
    char bom16[128] = "\xff\xfe";
    memcpy(bom16 + 2, u16, u16len);
    for (size_t i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
        char why[96];
        snprintf(ctype, sizeof(ctype), "text/plain; charset=%s", lies[i]);
        struct req r = {.ip = "10.0.0.2", .ctype = ctype};
        int wide = strncasecmp(lies[i], "utf-16", 6) == 0;
        r.body = wide ? card : u16, r.len = wide ? strlen(card) : u16len;
        snprintf(why, sizeof(why), "%s declared over %s", lies[i], wide ? "ASCII" : "UTF-16LE");
        expect(&r, SK_BLOCK, "cards", why);
        r.body = bom16, r.len = u16len + 2, r.chunk = 1;
        snprintf(why, sizeof(why), "%s declared, UTF-16LE BOM, 1-byte writes", lies[i]);
        expect(&r, SK_BLOCK, "cards", why);
    }
    free(u16);
    /* charsets that hide digits from a reading of bytes (UTF-7's "+ADQ-",
     * EBCDIC): read in them too, as a mail reader does; and a declared
     * UTF-7 hides nothing that its bytes show ("+-" is '+' in UTF-7) */
    static const char *const hidden[][2] = {
        {"utf-7", "card +ADQAMQAxADEAIAAxADEAMQAxACAAMQAxADEAMQAgADEAMQAxADE- end"},
        {"UTF-7", "+AGMAYQByAGQAIAA0ADEAMQAxACAAMQAxADEAMQ- +ADEAMQAxADEAIAAxADEAMQAx-"},
        {"cp037", "\x83\x81\x99\x84\x40\xf4\xf1\xf1\xf1\x40\xf1\xf1\xf1\xf1\x40\xf1\xf1\xf1"
                  "\xf1\x40\xf1\xf1\xf1\xf1"},
        {"ibm500", "\xf4\xf1\xf1\xf1\xf1\xf1\xf1\xf1\xf1\xf1\xf1\xf1\xf1\xf1\xf1\xf1"},
        {"utf-7", "card +4111 1111 1111 1111"}, /* UTF-7 reads "+4111" as base64 */
        {"cp037", "card 4111 1111 1111 1111"},
        /* HZ (RFC 1843), as Python's hz codec writes full-width digits */
        {"HZ-GB-2312", "~{?(:E~} ~{#4#1#1#1!!#1#1#1#1!!#1#1#1#1!!#1#1#1#1~}"},
        {"hz", "~~ ~\ncard ~{#4#1#1#1~}~\n 1111 ~{#1#1~}~{#1#1~} 1111"},
        /* the names Python's codecs.lookup takes (sk_charset_lookup) */
        {"UTF_7 ", "card +ADQAMQAxADEAIAAxADEAMQAxACAAMQAxADEAMQAgADEAMQAxADE- end"},
        {"unicode-1-1-utf-7", "+ADQAMQAxADEAIAAxADEAMQAxACAAMQAxADEAMQAgADEAMQAxADE-"},
        {"ibm039", "\xf4\xf1\xf1\xf1\x40\xf1\xf1\xf1\xf1\x40\xf1\xf1\xf1\xf1\x40\xf1\xf1\xf1\xf1"},
        {"cp1026", "\xf4\xf1\xf1\xf1\x40\xf1\xf1\xf1\xf1\x40\xf1\xf1\xf1\xf1\x40\xf1\xf1\xf1\xf1"},
        {"\"ebcdic cp nl\"",
         "\xf4\xf1\xf1\xf1\x40\xf1\xf1\xf1\xf1\x40\xf1\xf1\xf1\xf1\x40\xf1\xf1\xf1\xf1"},
        {"hz_gb", "~{#4#1#1#1!!#1#1#1#1!!#1#1#1#1!!#1#1#1#1~}"},
        /* an ill-formed UTF-7 run first ("+AB-": bits left over): the
         * reading starts again after it, as Python's decoder does */
        {"utf-7", "+AB- x +ADQAMQAxADEAIAAxADEAMQAxACAAMQAxADEAMQAgADEAMQAxADE-"},
        {"utf-7", "+A- x +ADQAMQAxADEAIAAxADEAMQAxACAAMQAxADEAMQAgADEAMQAxADE-"},
    };
    for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++) {
        char why[96];
        snprintf(ctype, sizeof(ctype), "text/plain; charset=%s", hidden[i][0]);
        struct req r = {
            .ip = "10.0.0.2", .ctype = ctype, .body = hidden[i][1], .len = strlen(hidden[i][1])};
        for (r.chunk = 0; r.chunk <= 3; r.chunk += 3) {
            snprintf(why, sizeof(why), "%s text %zu, writes of %zu", hidden[i][0], i, r.chunk);
            expect(&r, SK_BLOCK, "cards", why);
        }
    }
    /* the charset given in RFC 2231 form, which email's get_param reads */
    {
        static const char *const ext[][2] = {
            {"text/plain; charset*=''utf-7",
             "+ADQAMQAxADEAIAAxADEAMQAxACAAMQAxADEAMQAgADEAMQAxADE-"},
            {"text/plain; charset*0=utf; charset*1=-7",
             "+ADQAMQAxADEAIAAxADEAMQAxACAAMQAxADEAMQAgADEAMQAxADE-"},
            {"text/plain; charset*=us-ascii'en'cp037",
             "\xf4\xf1\xf1\xf1\x40\xf1\xf1\xf1\xf1\x40\xf1\xf1\xf1\xf1\x40\xf1\xf1\xf1\xf1"},
        };
        for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
            struct req r = {
                .ip = "10.0.0.2", .ctype = ext[i][0], .body = ext[i][1], .len = strlen(ext[i][1])};
            expect(&r, SK_BLOCK, "cards", ext[i][0]);
        }
    }
    /* a form's own charset (CS-FORM): an urlencoded body is converted
     * before it is split and unquoted (UTF-7's '+' is base64 there), and a
     * multipart/form-data field without a charset of its own is text in
     * the form's (Django's request.encoding) */
    {
        const char *u7 = "a=+/xT/Ef8R/xE +/xH/Ef8R/xE +/xH/Ef8R/xE +/xH/Ef8R/xE-";
        struct req r = {.ip = "10.0.0.2",
                        .ctype = "application/x-www-form-urlencoded; charset=utf-7",
                        .body = u7,
                        .len = strlen(u7)};
        expect(&r, SK_BLOCK, "cards", "an urlencoded form in UTF-7");
        static const char fd[] = "--zz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n"
                                 "\xf4\xf1\xf1\xf1\x40\xf1\xf1\xf1\xf1\x40\xf1\xf1\xf1\xf1\x40"
                                 "\xf1\xf1\xf1\xf1\r\n--zz--\r\n";
        r.ctype = "multipart/form-data; boundary=zz; charset=cp037";
        r.body = fd, r.len = sizeof(fd) - 1;
        expect(&r, SK_BLOCK, "cards", "a form-data field in the form's cp037");
        r.ctype = "multipart/form-data; boundary=zz";
        expect(&r, SK_ALLOW, NULL, "the same field without the form's charset");
    }
    /* chunked framing left in a body: a card in an extension or a trailer
     * is read (an object of its own), the data without them */
    static const char *const te[] = {"5;4111 1111 1111 1111\r\nhello\r\n0\r\n\r\n",
                                     "5;c=\"4111 1111 1111 1111\"\nhello\r\n0\n\n",
                                     "5\r\nhello\r\n0\r\nX-C: 4111 1111 1111 1111\r\n\r\n"};
    for (size_t i = 0; i < sizeof(te) / sizeof(te[0]); i++) {
        char why[64];
        struct req r = {.ip = "10.0.0.2",
                        .ctype = "text/plain",
                        .cenc = "chunked",
                        .body = te[i],
                        .len = strlen(te[i])};
        for (r.chunk = 0; r.chunk <= 2; r.chunk++) {
            snprintf(why, sizeof(why), "chunked framing %zu, writes of %zu", i, r.chunk);
            expect(&r, SK_BLOCK, "cards", why);
        }
    }
    const char *te_clean = "5;n=1\r\n4111 \r\n4;x\r\n1111\r\n0\r\n\r\n";
    struct req rc = {.ip = "10.0.0.2",
                     .ctype = "text/plain",
                     .cenc = "chunked",
                     .body = te_clean,
                     .len = strlen(te_clean)};
    expect(&rc, SK_ALLOW, NULL, "extensions are no part of the data ('4111 ' + '1111')");
    /* full-width digits in UTF-8, with the full-width '＠' too */
    const char *fw = "連絡先：ｔｅｓｔ＠ｅｘａｍｐｌｅ．ｃｏｍ";
    struct req r = {
        .ip = "10.0.0.2", .ctype = "text/plain", .body = fw, .len = strlen(fw), .chunk = 1};
    expect(&r, SK_BLOCK, "all e-mail addresses", "full-width e-mail");
    const char *mn = "個人番号　１２３４　５６７８　９０１８";
    r.body = mn, r.len = strlen(mn);
    expect(&r, SK_BLOCK, "マイナンバー", "full-width My Number");
}

static void test_formats(void **state)
{
    const char *json = "{\"user\":\"taro\",\"payment\":{\"card\":\"4111 1111 1111 \\u0031111\"}}";
    struct req r = {.ip = "10.0.0.2",
                    .ctype = "application/json",
                    .body = json,
                    .len = strlen(json),
                    .chunk = 3};
    expect(&r, SK_BLOCK, "cards", "JSON string with an escape");
    const char *jnum = "{\"n\": [1, 2], \"card\": 4111111111111111}";
    r.body = jnum, r.len = strlen(jnum);
    expect(&r, SK_BLOCK, "cards", "JSON number");
    /* a number written with a fraction or an exponent is the integer
     * JSON.parse, json_decode and json.loads hand the application
     * (String(4.111111111111111e15) is "4111111111111111"), at any write
     * size; a non-integer keeps its integer part; a number that is no
     * card's integer, or not a number, passes */
    static const struct {
        const char *body;
        enum sk_verdict want;
    } nums[] = {
        {"{\"c\": 4.111111111111111e15}", SK_BLOCK},
        {"{\"c\": 4.111111111111111E+15}", SK_BLOCK},
        {"{\"c\": 4111111111111111e0}", SK_BLOCK},
        {"{\"c\": 4111111111111111.0}", SK_BLOCK},
        {"{\"c\": -4111111111111111.25}", SK_BLOCK},
        {"{\"c\": 0.0004111111111111111e19}", SK_BLOCK},
        {"{\"c\": 41111111111111110000000000000000000000000000000000000e-37}", SK_BLOCK},
        {"{\"c\": 411111111111111.1e1}", SK_BLOCK},
        {"[4.1111111111114e15]", SK_BLOCK}, /* 4111111111111400: zeros fill the integer */
        /* the double a parser makes: past 2^52 the fraction rounds the
         * integer (String(5500000000000003.7) is "5500000000000004") */
        {"{\"c\": 5500000000000003.7}", SK_BLOCK},
        {"{\"c\": 4111111111111110.9}", SK_BLOCK},
        {"{\"c\": 55000000000000037e-1}", SK_BLOCK},
        {"{\"c\": 4111111111111110.6}", SK_ALLOW}, /* the double is ...10.5 */
        /* past 2^53 the digits, zero-filled, are the number (a 19-digit
         * card: the double, ...4688, is none) */
        {"{\"c\": 6.21234567890123451e18}", SK_BLOCK},
        {"{\"c\": 4.111111111111112e15}", SK_ALLOW},
        {"{\"c\": 4.111111111111111e14}", SK_ALLOW},
        {"{\"c\": 4.111111111111111e16}", SK_ALLOW},
        {"{\"c\": 4.111111111111111e}", SK_ALLOW},
        {"{\"c\": x4.111111111111111e15}", SK_ALLOW},
    };
    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
        struct req q = {.ip = "10.0.0.2", .ctype = "application/json", .body = nums[i].body};
        q.len = strlen(q.body);
        for (q.chunk = 0; q.chunk <= 2; q.chunk++)
            expect(&q, nums[i].want, nums[i].want == SK_BLOCK ? "cards" : NULL, nums[i].body);
    }
    const char *jsplit = "[\"4111 1111\", \"1111 1111\"]";
    r.body = jsplit, r.len = strlen(jsplit);
    expect(&r, SK_ALLOW, NULL, "JSON strings do not merge");
    /* JSON in UTF-16 (declared, sniffed): the charset is undone before
     * the JSON syntax is read */
    size_t j16len;
    char *j16 =
        conv("UTF-16LE", "{\"name\": \"taro\", \"card\": \"4111 1111 1111 1111\"}", &j16len);
    r.body = j16, r.len = j16len;
    r.ctype = "application/json; charset=utf-16le";
    expect(&r, SK_BLOCK, "cards", "UTF-16LE JSON declared");
    r.ctype = "application/json";
    expect(&r, SK_BLOCK, "cards", "UTF-16LE JSON sniffed");
    free(j16);
    r.body = jsplit, r.len = strlen(jsplit);
    /* XML and HTML bodies by type: entities decoded, names and attributes read */
    static const char *const markup[][2] = {
        {"text/html; charset=utf-8", "<p>card &#52;111&nbsp;1111 1111 &#x31;111</p>"},
        {"application/xml", "<a><b>&#52;111 1111 1111 1111</b></a>"},
        {"application/atom+xml", "<e n=\"4111 1111 1111 1111\"/>"},
        {"text/xml", "<4111-1111-1111-1111/>"},
    };
    for (size_t i = 0; i < sizeof(markup) / sizeof(markup[0]); i++) {
        struct req m = {.ip = "10.0.0.2", .ctype = markup[i][0], .body = markup[i][1]};
        m.len = strlen(m.body);
        expect(&m, SK_BLOCK, "cards", markup[i][0]);
    }
    /* a body that only claims to be JSON: its text is still read */
    const char *jlie = "my card is 4111 1111 1111 1111, thanks";
    r.body = jlie, r.len = strlen(jlie);
    expect(&r, SK_BLOCK, "cards", "text declared as JSON");
    const char *jbare = "{\"c\": 4111 1111 1111 1111}";
    r.body = jbare, r.len = strlen(jbare);
    expect(&r, SK_BLOCK, "cards", "spaced digits outside JSON strings");
    const char *form = "name=taro&card=4111%201111%2D1111+1111&x=1";
    r.ctype = "application/x-www-form-urlencoded", r.body = form, r.len = strlen(form);
    expect(&r, SK_ALLOW, NULL, "mixed separators are not one card");
    form = "name=taro&card=4111%201111%201111+1111&x=1";
    r.body = form, r.len = strlen(form);
    expect(&r, SK_BLOCK, "cards", "urlencoded");
    const char *kw = "これは【社外秘】の資料です";
    r.ctype = "text/plain", r.body = kw, r.len = strlen(kw);
    expect(&r, SK_BLOCK, "custom", "keyword");
    const char *re = "employee EMP-123456 left";
    r.body = re, r.len = strlen(re), r.chunk = 1;
    expect(&r, SK_BLOCK, "custom", "regex over 1-byte writes");
}

/* Numbers written with other characters, through the decoders that hand
 * text to the fold: converted charsets (UTF-16, iconv output), JSON
 * escapes, XML/HTML character references, multipart parts (sniffed). */
static void test_unicode_digits_decoded(void **state)
{
    /* Devanagari ४१११-११११-११११-११११ */
    const char *dev = "{\"card\": \"\xe0\xa5\xaa\xe0\xa5\xa7\xe0\xa5\xa7\xe0\xa5\xa7-"
                      "\xe0\xa5\xa7\xe0\xa5\xa7\xe0\xa5\xa7\xe0\xa5\xa7-"
                      "\xe0\xa5\xa7\xe0\xa5\xa7\xe0\xa5\xa7\xe0\xa5\xa7-"
                      "\xe0\xa5\xa7\xe0\xa5\xa7\xe0\xa5\xa7\xe0\xa5\xa7\"}";
    size_t n16;
    char *u16 = conv("UTF-16LE", dev, &n16);
    struct req r = {
        .ip = "10.0.0.2", .ctype = "application/json; charset=utf-16le", .body = u16, .len = n16};
    expect(&r, SK_BLOCK, "cards", "Devanagari digits in UTF-16LE JSON");
    r.ctype = "text/plain; charset=utf-16le", r.chunk = 1;
    expect(&r, SK_BLOCK, "cards", "Devanagari digits in UTF-16LE text, 1-byte writes");
    free(u16);
    /* mathematical digits (U+1D7D2 U+1D7CF, beyond the BMP) in UTF-16:
     * surrogate pairs converted by iconv */
    const char *math = "card \xf0\x9d\x9f\x92\xf0\x9d\x9f\x8f\xf0\x9d\x9f\x8f\xf0\x9d\x9f\x8f "
                       "1111 1111 1111 end";
    u16 = conv("UTF-16BE", math, &n16);
    r.body = u16, r.len = n16, r.ctype = "text/plain; charset=utf-16be", r.chunk = 3;
    expect(&r, SK_BLOCK, "cards", "mathematical digits in UTF-16BE");
    free(u16);
    /* UTF-16 text in another script (Cyrillic) around an ASCII card:
     * declared, and sniffed without a BOM */
    u16 = conv("UTF-16LE",
               "\xd0\x9d\xd0\xbe\xd0\xbc\xd0\xb5\xd1\x80 \xd0\xba\xd0\xb0\xd1\x80\xd1\x82"
               "\xd1\x8b: 4111 1111 1111 1111, \xd1\x81\xd0\xbf\xd0\xb0\xd1\x81\xd0\xb8\xd0\xb1"
               "\xd0\xbe \xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd\xd0\xbe\xd0\xb2",
               &n16);
    r.body = u16, r.len = n16, r.ctype = "text/plain; charset=utf-16le", r.chunk = 0;
    expect(&r, SK_BLOCK, "cards", "Cyrillic UTF-16LE declared");
    r.ctype = "text/plain";
    expect(&r, SK_BLOCK, "cards", "Cyrillic UTF-16LE sniffed");
    free(u16);
    const char *jesc =
        "{\"card\": \"\\u06f4\\u06f1\\u06f1\\u06f1\\u00a01\\u200b111\\u2009\\u200b1111 "
        "\\ud835\\udfcf111\"}";
    r.body = jesc, r.len = strlen(jesc), r.ctype = "application/json", r.chunk = 0;
    expect(&r, SK_BLOCK, "cards",
           "Persian digits, NBSP, ZWSP, thin space, surrogate pair as JSON escapes");
    const char *html = "<p>card 4111&#160;1&#8203;111&#8203; 1111 &#x1D7CF;111</p>";
    r.body = html, r.len = strlen(html), r.ctype = "text/html";
    expect(&r, SK_BLOCK, "cards", "HTML character references for NBSP, ZWSP, a digit");
    const char *part = "--B\r\nContent-Disposition: form-data; name=c\r\n\r\n"
                       "\xf0\x9d\x9f\x92\xf0\x9d\x9f\x8f\xf0\x9d\x9f\x8f\xf0\x9d\x9f\x8f "
                       "\xf0\x9d\x9f\x8f\xf0\x9d\x9f\x8f\xf0\x9d\x9f\x8f\xf0\x9d\x9f\x8f "
                       "\xf0\x9d\x9f\x8f\xf0\x9d\x9f\x8f\xf0\x9d\x9f\x8f\xf0\x9d\x9f\x8f "
                       "\xf0\x9d\x9f\x8f\xf0\x9d\x9f\x8f\xf0\x9d\x9f\x8f\xf0\x9d\x9f\x8f "
                       "\r\n--B--\r\n";
    r.body = part, r.len = strlen(part), r.ctype = "multipart/form-data; boundary=B";
    for (size_t c = 0; c <= 5; c++) {
        r.chunk = c;
        expect(&r, SK_BLOCK, "cards", "only mathematical digits in a multipart part (sniffed)");
    }
}

/* An HTML script or style element is raw text to its end tag, which a
 * page never shows: aside, so it never splits the paragraph's number
 * (red team s24), and read on its own line (a card in a script is one) */
static void test_html_raw_elements(void **state)
{
    static const char *const html[] = {
        "<p>Card: 4111 11<script>var x=99</script>11 1111 1111</p>",
        "<p>Card: 4111 11<style>p{color:red}</style>11 1111 1111</p>",
        "<p>4111<style>.a{}</style> 1111<style>.b{}</style> 1111<STYLE>.c{}</STYLE> 1111</p>",
        "<p>4111 11<SCRIPT type=\"x\">if (a<b && c</scr) f('</p>')</Script >11 1111 1111</p>",
        "<svg><text>4111 1111 </text><script><![CDATA[ 9 ]]></script><text>1111 1111</text></svg>",
        "<html><script>var c = '4111 1111 1111 1111';</script><p>nothing here</p></html>",
    };
    struct req r = {.ip = "10.0.0.2", .ctype = "text/html"};

    (void)state;
    for (size_t i = 0; i < sizeof(html) / sizeof(html[0]); i++)
        for (size_t c = 0; c <= 7; c += c < 3 ? 1 : 4) {
            r.body = html[i], r.len = strlen(html[i]), r.chunk = c;
            expect(&r, SK_BLOCK, "cards", html[i]);
        }
    /* a script's digits do not join the text around it: Luhn fails */
    const char *clean = "<p>4111 11<script>var x=99</script>12 1111 1111</p>";
    r.body = clean, r.len = strlen(clean), r.chunk = 0;
    expect(&r, SK_ALLOW, NULL, clean);
}

/* HTML character references as HTML5 reads them in text (DLP-HTMLREF):
 * numbers without their ';' (the reference ends at the first byte that
 * cannot continue it), legacy names without ';' whatever follows, the
 * names of the characters the fold maps to a space or a dash or drops;
 * in XML/HTML text and in JSON strings, cut by several write sizes. */
static void test_html_references(void **state)
{
    static const char *const html[] = {
        "<p>&#52&#49&#49&#49 1111 1111 1111</p>",
        "<p>&#x34&#x31&#x31&#x31 1111 1111 1111</p>",
        "<p>&#X34&#x031&#0049&#x00031 1111 1111 1111</p>",
        "<p>card 4111&nbsp1111&nbsp1111&nbsp1111</p>",
        "<p>4111&ThinSpace;1111&ThinSpace;1111&ThinSpace;1111</p>",
        "<p>4111&numsp;1111&numsp;1111&numsp;1111</p>",
        "<p>4111&hyphen;1111&dash;1111&minus;1111</p>",
        "<p>4111&zwnj;1111&shy;1111&ZeroWidthSpace;1111</p>",
        "<p>4111&shy1111&NegativeVeryThinSpace;1111&DownBreve;1111</p>",
        "<p>4111&boxh;1111&horbar;1111&mdash;1111</p>",
        "<p>&#00000000000000000000000000000000000000000000052;111 1111 1111 1111</p>",
        "<p>&#52</p><p>&#52;111 1111 1111 1111 &#52", /* one at the end */
    };
    static const char *const clean[] = {
        /* as html.unescape reads them: no card */
        "<p>4111&ThinSpace1111&ThinSpace1111&ThinSpace1111</p>", /* no ';' */
        "<p>&#52&#49&#49&#49 1111 1111 1112</p>",                /* Luhn */
        "<p>4111 1111 &#99999999999999999999999999999999999999999999991111 1111</p>",
        "<p>&#0x34111 1111 1111 1111</p>", /* "&#0" then "x34111" */
        "<p>4111&Nbsp;1111&Nbsp;1111&Nbsp;1111</p>",
    };
    struct req r = {.ip = "10.0.0.2", .ctype = "text/html"};

    for (size_t i = 0; i < sizeof(html) / sizeof(html[0]); i++) {
        for (size_t c = 0; c <= 7; c += c < 3 ? 1 : 4) {
            r.body = html[i], r.len = strlen(html[i]), r.chunk = c;
            expect(&r, SK_BLOCK, "cards", html[i]);
        }
    }
    for (size_t i = 0; i < sizeof(clean) / sizeof(clean[0]); i++) {
        r.body = clean[i], r.len = strlen(clean[i]), r.chunk = 0;
        expect(&r, SK_ALLOW, NULL, clean[i]);
        r.chunk = 1;
        expect(&r, SK_ALLOW, NULL, clean[i]);
    }
    /* the same reader in JSON strings (a rich-text editor's HTML) */
    const char *json = "{\"b\": \"<p>&#52&#49&#49&#49&nbsp1111&ThinSpace;11&shy11 1111</p>\"}";
    r.ctype = "application/json", r.body = json, r.len = strlen(json);
    for (size_t c = 0; c <= 5; c++) {
        r.chunk = c;
        expect(&r, SK_BLOCK, "cards", "references without ';' and names in a JSON string");
    }
    /* white space in a JSON string's HTML is one space once a tag began
     * in it (any split); the same line ends in a string with no markup
     * keep the groups apart, as in plain text */
    static const char *const jhtml[] = {
        "{\"b\": \"<div>4111\\n1111\\r\\n\\t1111\\u000a  1111</div>\"}",
        "{\"b\": \"x</b>4111\n\n1111\n1111\n1111\"}",
        "{\"b\": \"<!-- c -->4111\\n1111\\n1111\\n1111\"}"};
    for (size_t i = 0; i < sizeof(jhtml) / sizeof(jhtml[0]); i++)
        for (size_t c = 0; c <= 5; c++) {
            r.body = jhtml[i], r.len = strlen(jhtml[i]), r.chunk = c;
            expect(&r, SK_BLOCK, "cards", jhtml[i]);
        }
    static const char *const jplain[] = {
        "{\"b\": \"4111\\n1111\\n1111\\n1111\"}", "{\"b\": \"a < b: 4111\\n1111\\n1111\\n1111\"}",
        "{\"b\": \"<div>\", \"c\": \"4111\\n1111\\n1111\\n1111\"}"};
    for (size_t i = 0; i < sizeof(jplain) / sizeof(jplain[0]); i++) {
        r.body = jplain[i], r.len = strlen(jplain[i]), r.chunk = 0;
        expect(&r, SK_ALLOW, NULL, jplain[i]);
    }
    /* 3 MB of references that never end in ';' and of bare '&': read in
     * one pass (a generous bound: a reader that rescans takes minutes) */
    size_t big = 3u << 20, len = 0;
    char *b = malloc(big + 64);
    clock_t t0 = clock();
    assert_non_null(b);
    for (int u = 0; u < 2; u++) {
        const char *unit = u ? "&amp" : "&ThinSpace";
        size_t k = strlen(unit);
        for (len = 0; len + k <= big; len += k)
            memcpy(b + len, unit, k);
        len += (size_t)sprintf(b + len, " 4111&#32;1111&ThinSpace;1111 1111");
        r.ctype = "text/html", r.body = b, r.len = len, r.chunk = 65536;
        expect(&r, SK_BLOCK, "cards", "a card after 3 MB of references");
    }
    free(b);
    if ((double)(clock() - t0) / CLOCKS_PER_SEC > 30.0)
        fail_msg("6 MB of references took %.1f s", (double)(clock() - t0) / CLOCKS_PER_SEC);
}

/* Issue 11: containers by bytes, bytes after a zip, LF-only multipart,
 * UTF-16 without BOM, multi-member gzip at a write boundary, and what
 * cannot be decoded (dlp.on-error, default block). */
static void test_evasions(void **state)
{
    const char *names[] = {"notes.txt"};
    const char *data[] = {"card 4111 1111 1111 1111\n"};
    size_t zn, n1, n2;
    unsigned char *zip = sk_tz_zip_texts(names, data, 1, 1, &zn);
    struct req r = {.ip = "10.0.0.2", .body = zip, .len = zn};

    r.ctype = "application/octet-stream";
    expect(&r, SK_BLOCK, "cards", "zip as application/octet-stream");
    r.ctype = NULL, r.chunk = 3;
    expect(&r, SK_BLOCK, "cards", "zip without Content-Type, 3-byte writes");
    /* bytes appended after the archive */
    const char *clean[] = {"nothing here"};
    unsigned char *cz = sk_tz_zip_texts(names, clean, 1, 1, &zn);
    unsigned char *app = malloc(zn + 64);
    memcpy(app, cz, zn);
    memcpy(app + zn, " 4111 1111 1111 1111 ", 21);
    struct req a = {.ip = "10.0.0.2", .ctype = "application/zip", .body = app, .len = zn + 21};
    expect(&a, SK_BLOCK, "cards", "card appended after a zip");
    a.len = zn;
    expect(&a, SK_ALLOW, NULL, "the same zip without it");
    /* LF-only multipart, the zip part first, one part-header line */
    unsigned char *mp = malloc(zn + 256);
    size_t mn = (size_t)sprintf((char *)mp, "--b\nContent-Type: application/zip\n\n");
    memcpy(mp + mn, zip, (size_t)r.len), mn += r.len;
    mn += (size_t)sprintf((char *)mp + mn, "\n--b--\n");
    struct req m = {.ip = "10.0.0.2",
                    .ctype = "multipart/form-data; boundary=b",
                    .body = mp,
                    .len = mn,
                    .chunk = 5};
    expect(&m, SK_BLOCK, "cards", "LF-only multipart with a zip part");
    /* UTF-16LE without BOM, with U+3000 and ASCII spaces (0x00 bytes) */
    static const unsigned short u[] = {0x756a, 0x53f7, 0x3000, '4', '1',    '1', '1',   ' ',
                                       '1',    '1',    '1',    '1', 0x3000, '1', '1',   '1',
                                       '1',    ' ',    '1',    '1', '1',    '1', 0x4e00};
    unsigned char le[64];
    for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++)
        le[2 * i] = (unsigned char)u[i], le[2 * i + 1] = (unsigned char)(u[i] >> 8);
    struct req w = {.ip = "10.0.0.2", .ctype = "text/plain", .body = le, .len = 2 * 23};
    expect(&w, SK_BLOCK, "cards", "UTF-16LE without BOM");
    /* gzip: the card in member 2, member 1 ending where a write ends */
    unsigned char *g1 = sk_tz_deflate("member one ", 11, 15 + 16, &n1);
    unsigned char *g2 = sk_tz_deflate(data[0], strlen(data[0]), 15 + 16, &n2);
    unsigned char *gg = malloc(n1 + n2);
    memcpy(gg, g1, n1), memcpy(gg + n1, g2, n2);
    struct req g = {.ip = "10.0.0.2",
                    .ctype = "text/plain",
                    .cenc = "gzip",
                    .body = gg,
                    .len = n1 + n2,
                    .chunk = n1};
    expect(&g, SK_BLOCK, "cards", "gzip member 2 after a write boundary");
    /* cannot be decoded: dlp.on-error (default block) */
    struct req u1 = {
        .ip = "10.0.0.2", .ctype = "text/plain", .cenc = "zstd", .body = "abc", .len = 3};
    expect(&u1, SK_BLOCK, "dlp-undecodable", "unknown Content-Encoding");
    /* two different boundaries: the parts cannot be told apart */
    struct req mb = {.ip = "10.0.0.2",
                     .ctype = "multipart/form-data; boundary=AAA; boundary=BBB",
                     .body = "--BBB\r\n\r\nabc\r\n--BBB--\r\n",
                     .len = 23};
    expect(&mb, SK_BLOCK, "dlp-undecodable", "multipart with two boundaries");
    unsigned char *enc = malloc(zn);
    memcpy(enc, cz, zn);
    enc[6] = 1; /* encrypted flag */
    struct req e = {.ip = "10.0.0.2", .ctype = "application/zip", .body = enc, .len = zn};
    expect(&e, SK_BLOCK, "dlp-undecodable", "encrypted zip entry");
    /* an upload ending in 0xef (a possible UTF-8 lead byte) */
    struct req ef = {.ip = "10.0.0.2", .ctype = "text/plain", .body = "abc\xef", .len = 4};
    expect(&ef, SK_ALLOW, NULL, "upload ending in 0xef");
    free(zip), free(cz), free(app), free(mp), free(g1), free(g2), free(gg), free(enc);
}

/* Base64 in text bodies (data: URLs in JSON and forms, API fields, MIME
 * wrapped blocks): decoded into objects of their own, at every write
 * size; the text itself still reaches the detectors (a compact IBAN is a
 * base64-looking run). */
static void test_base64_runs(void **state)
{
    const char *csv = "name,card\ntaro,4111 1111 1111 1111\n??? ??? ???\n";
    char *e = sk_tz_b64_wrap(csv, strlen(csv), 0);
    char body[4096], *q;
    struct req r = {.ip = "10.0.0.2", .body = body};
    size_t k;

    r.ctype = "application/json";
    r.len = (size_t)snprintf(body, sizeof(body), "{\"file\": \"data:text/csv;base64,%s\"}", e);
    for (k = 0; k < 6; k++) {
        r.chunk = (size_t[]){0, 1, 2, 3, 7, 50}[k];
        expect(&r, SK_BLOCK, "cards", "data: URL in JSON");
    }
    /* PHP's json_encode writes '/' as "\/" */
    r.chunk = 0;
    r.len = 0;
    for (q = e; *q; q++) {
        if (*q == '/')
            body[r.len++] = '\\';
        body[r.len++] = *q;
    }
    assert_non_null(strchr(e, '/'));
    expect(&r, SK_BLOCK, "cards", "base64 with \\/ escapes");
    /* a form field, percent-encoded */
    r.ctype = "application/x-www-form-urlencoded";
    r.len = (size_t)snprintf(body, sizeof(body), "a=1&file=data%%3Atext%%2Fcsv%%3Bbase64%%2C");
    for (q = e; *q; q++)
        r.len += (size_t)(*q == '+'   ? snprintf(body + r.len, 4, "%%2B")
                          : *q == '/' ? snprintf(body + r.len, 4, "%%2F")
                          : *q == '=' ? snprintf(body + r.len, 4, "%%3D")
                                      : snprintf(body + r.len, 2, "%c", *q));
    for (k = 0; k < 3; k++) {
        r.chunk = (size_t[]){0, 1, 5}[k];
        expect(&r, SK_BLOCK, "cards", "data: URL in a form field");
    }
    free(e);
    /* one compact card (16 digits: 24 characters), and an Amex (20) */
    e = sk_tz_b64_wrap("4111111111111111", 16, 0);
    r.ctype = "application/json", r.chunk = 0;
    r.len = (size_t)snprintf(body, sizeof(body), "{\"c\":\"%s\"}", e);
    expect(&r, SK_BLOCK, "cards", "one compact card in base64");
    free(e);
    e = sk_tz_b64_wrap("378282246310005", 15, 0);
    r.len = (size_t)snprintf(body, sizeof(body), "{\"c\":\"%s\"}", e);
    assert_int_equal(strlen(e), 20);
    expect(&r, SK_BLOCK, "cards", "an Amex number in base64 (20 characters)");
    free(e);
    /* MIME-wrapped lines (76 and CRLF) in a text upload; a zip inside */
    const char *names[] = {"c.txt"};
    char long_text[3000];
    size_t ln = 0, zn;
    while (ln < 2000)
        ln += (size_t)snprintf(long_text + ln, sizeof(long_text) - ln, "row %zu ok\n", ln);
    snprintf(long_text + ln, sizeof(long_text) - ln, "card 4111 1111 1111 1111\n");
    const char *data[] = {long_text};
    unsigned char *zip = sk_tz_zip_texts(names, data, 1, 1, &zn);
    e = sk_tz_b64_wrap(zip, zn, 76);
    assert_non_null(strstr(e, "\r\n"));
    char *big = malloc(strlen(e) + 64);
    struct req m = {.ip = "10.0.0.2", .ctype = "text/plain", .body = big};
    m.len = (size_t)sprintf(big, "begin\n%s\nend\n", e);
    for (k = 0; k < 4; k++) {
        m.chunk = (size_t[]){0, 1, 13, 77}[k];
        expect(&m, SK_BLOCK, "cards", "MIME-wrapped base64 of a zip");
    }
    free(e), free(zip), free(big);
    /* a long decoded text (past the text reader's first look) read in its
     * own window: the run's characters, still text for the body, must not
     * cut its lines (three cards, 1-byte writes) */
    char *lt = malloc(8000);
    size_t tn = 0;
    for (int i = 0; tn < 6000; i++)
        tn += (size_t)snprintf(lt + tn, 8000 - tn, "%s line %d\n",
                               i > 150 && i % 60 == 59
                                   ? "card 4111 1111 1111 1111 5555 5555 5555 4444 "
                                     "3782 822463 10005"
                                   : "plain",
                               i);
    e = sk_tz_b64_wrap(lt, tn, 0);
    char *jb = malloc(strlen(e) + 32);
    struct req w = {.ip = "10.0.0.3", .ctype = "text/plain", .body = jb};
    w.len = (size_t)sprintf(jb, "doc: %s\n", e);
    for (k = 0; k < 3; k++) {
        w.chunk = (size_t[]){1, 3, 7}[k];
        expect(&w, SK_BLOCK, "three cards", "long base64 text, small writes");
    }
    free(e), free(jb), free(lt);
    /* runs that are no base64 of anything: hashes, long identifiers */
    r.ctype = "application/json", r.chunk = 0;
    r.len =
        (size_t)snprintf(body, sizeof(body),
                         "{\"sha256\": \"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b"
                         "0f00a08\", \"id\": \"internationalizationLocalizationFactory\"}");
    expect(&r, SK_ALLOW, NULL, "hashes and identifiers");
}

/* A JSON body whose first four bytes say UTF-16/32 (json.loads takes that
 * width) is read that way and as the sniffer decides: UTF-16/32 padded with
 * box drawing the sniffer finds implausible, and "{\0\0\0" before ASCII
 * text, each block at any write size; clean padded JSON passes. */
static void test_json_two_readings(void **state)
{
    static const char *const wide[] = {"UTF-16LE", "UTF-16BE", "UTF-32LE", "UTF-32BE"};
    char text[1200] = "{\"note\": \"", tail[] = "\", \"card\": \"4111 1111 1111 1111\"}";
    size_t len;

    for (int i = 0; i < 60; i++)
        strcat(text, "\u2502\u2500\u253c\u2550"); /* "│─┼═" */
    size_t head = strlen(text);
    for (size_t w = 0; w < sizeof(wide) / sizeof(wide[0]); w++) {
        for (int cards = 0; cards < 2; cards++) {
            char why[96];
            strcpy(text + head, cards ? tail : "\"}");
            char *b = conv(wide[w], text, &len);
            struct req r = {.ip = "10.0.0.2", .ctype = "application/json", .body = b, .len = len};
            for (r.chunk = 0; r.chunk <= 3; r.chunk += 3) {
                snprintf(why, sizeof(why), "%s JSON padded, %s, writes of %zu", wide[w],
                         cards ? "cards" : "clean", r.chunk);
                expect(&r, cards ? SK_BLOCK : SK_ALLOW, cards ? "cards" : NULL, why);
            }
            free(b);
        }
    }
    static const char ascii[] = "{\0\0\0 \"card\": \"4111 1111 1111 1111\"}";
    struct req r = {.ip = "10.0.0.2", .body = ascii, .len = sizeof(ascii) - 1};
    for (r.chunk = 0; r.chunk <= 1; r.chunk++)
        expect(&r, SK_BLOCK, "cards", "{\\0\\0\\0 then ASCII text");
}

/* Percent-encoded text in a text body (a data: URL without base64, a URL
 * query in JSON): read decoded too, from the escape's 64 bytes before on,
 * however the writes are cut; a form is decoded as one already */
static void test_percent_encoded(void **state)
{
    static const struct {
        const char *what, *ct, *body;
        enum sk_verdict want;
    } cases[] = {
        {"a data: URL in JSON", "application/json",
         "{\"f\":\"data:text/plain,card%204111%201111%201111%201111\"}", SK_BLOCK},
        {"a URL query in text", "text/plain",
         "see https://x.test/p?n=4111%2D1111%2D1111%2D1111&x=1 for it", SK_BLOCK},
        {"an escape after the number's start", "text/plain", "card 4111 1111 1111%201111 end",
         SK_BLOCK},
        {"escapes, no card", "application/json", "{\"u\":\"a%20b%2Fc\"}", SK_ALLOW},
        {"'%' without hex digits", "text/plain", "100% 4111 1111 1111 1112", SK_ALLOW},
        /* HTML references and script escapes: the same view (dlp_view.c) */
        {"a rich-text editor's &nbsp; in a form field", "application/x-www-form-urlencoded",
         "title=x&content=%3Cp%3Ecard+4111%26nbsp%3B1111%26nbsp%3B1111%26nbsp%3B1111%3C%2Fp%3E",
         SK_BLOCK},
        {"&nbsp; in a plain text", "text/plain", "card 4111&nbsp;1111&nbsp;1111&nbsp;1111",
         SK_BLOCK},
        {"&#52; written without ';' at the very end", "text/plain", "card 1111 1111 1111 &#52",
         SK_ALLOW}, /* "1111 1111 1111 4": no card */
        {"JSON in a JSON string, full-width digits as \\u", "application/json",
         "{\"v\": \"{\\\"c\\\": \\\"\\\\uff14\\\\uff11\\\\uff11\\\\uff11 1111 1111 "
         "1111\\\"}\"}",
         SK_BLOCK},
        {"JSON with \\u escapes in a form field", "application/x-www-form-urlencoded",
         "payload=%7B%22c%22%3A%22%5Cu0034%5Cu0031%5Cu0031%5Cu0031+1111+1111+1111%22%7D", SK_BLOCK},
        {"escaped twice: %25 and &amp;#", "text/plain",
         "card %2534111 1111 1111 &amp;#49;111 x 4111%25201111%25201111%25201111", SK_BLOCK},
        /* JavaScript's escape() of full-width digits (red team s22 F14) */
        {"escape()'s %uFF14 in a form field", "application/x-www-form-urlencoded",
         "cc=%uFF14%uFF11%uFF11%uFF11%20%uFF11%uFF11%uFF11%uFF11%201111%201111&x=1", SK_BLOCK},
        {"escape()'s %u0034 in a text", "text/plain", "card %u0034111 1111 1111 1111", SK_BLOCK},
        {"%u without four hex digits", "text/plain", "%u411 1111 1111 1111 %use", SK_ALLOW},
        {"references and \\u escapes, no card", "text/plain",
         "a &amp; b &nbsp; \\u00e9t\\u00e9 %41 C:\\\\users\\\\u1", SK_ALLOW},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct req r = {.ip = "10.0.0.2",
                        .ctype = cases[i].ct,
                        .body = cases[i].body,
                        .len = strlen(cases[i].body)};
        for (r.chunk = 0; r.chunk <= 13; r.chunk = r.chunk ? r.chunk + 6 : 1)
            expect(&r, cases[i].want, cases[i].want == SK_BLOCK ? "cards" : NULL, cases[i].what);
    }
    /* past the first 512 bytes (which the sniffer holds and passes in one
     * write) each escape is cut by 1-, 2- and 3-byte writes */
    static const char *const late[] = {"4111%201111%201111%201111",
                                       "4111&nbsp;1111&#32;1111&#x20;1111",
                                       "\\u0034111 1111 1111 1111"};
    char big[1024];
    for (size_t i = 0; i < sizeof(late) / sizeof(late[0]); i++) {
        memset(big, 'x', 700);
        snprintf(big + 700, sizeof(big) - 700, " card %s end", late[i]);
        struct req r = {.ip = "10.0.0.2", .ctype = "text/plain", .body = big, .len = strlen(big)};
        for (r.chunk = 1; r.chunk <= 3; r.chunk++)
            expect(&r, SK_BLOCK, "cards", late[i]);
    }
}

/* ---- issue 16: Content-Encoding br (brotli is REQUIRED at build time) ---- */

static void test_o16_brotli(void **state)
{
    /* long enough that brotli really compresses (a short input is stored
     * as an uncompressed meta-block, which the raw-byte scan finds anyway) */
    static char text[8192], clean[8192];
    size_t o = 0;
    for (int i = 0; i < 150; i++)
        o += (size_t)snprintf(text + o, sizeof(text) - o, "row %d, name taro, no number\n", i);
    memcpy(clean, text, o);
    snprintf(text + o, sizeof(text) - o, "card 4556737586899855\n");
    snprintf(clean + o, sizeof(clean) - o, "card 4556737586899856\n");
    const char *const bodies[] = {text, clean};

    for (int k = 0; k < 2; k++) {
        size_t n = BrotliEncoderMaxCompressedSize(strlen(bodies[k]));
        unsigned char *br = malloc(n);
        assert_non_null(br);
        assert_int_equal(BrotliEncoderCompress(BROTLI_DEFAULT_QUALITY, BROTLI_DEFAULT_WINDOW,
                                               BROTLI_MODE_GENERIC, strlen(bodies[k]),
                                               (const uint8_t *)bodies[k], &n, br),
                         BROTLI_TRUE);
        /* the compressed bytes alone must not reveal the number */
        assert_null(memmem(br, n, "455673758689985", 15));
        struct req r = {.ip = "10.0.0.2", .ctype = "text/csv", .cenc = "br", .body = br, .len = n};
        expect(&r, k == 0 ? SK_BLOCK : SK_ALLOW, k == 0 ? "cards" : NULL,
               k == 0 ? "Content-Encoding br" : "Content-Encoding br, invalid card");
        r.chunk = 1;
        expect(&r, k == 0 ? SK_BLOCK : SK_ALLOW, k == 0 ? "cards" : NULL,
               "Content-Encoding br, 1-byte writes");
        free(br);
    }
}

/* ---- issue 16: dlp.max-decoded and dlp.on-limit (module options) ---- */
static const char *o16_on_limit;

static const char *o16_opt(const struct sk_module_ctx *c, const char *key)
{
    if (strcmp(key, "max-decoded") == 0)
        return "1K";
    if (strcmp(key, "on-limit") == 0)
        return o16_on_limit;
    return NULL;
}

static void test_o16_max_decoded(void **state)
{
    static char plain[100000];
    struct sk_module_ctx saved = mctx;
    char *err = NULL;
    size_t n;

    memset(plain, 'a', sizeof(plain)); /* no detector matches it */
    unsigned char *gz = sk_tz_deflate(plain, sizeof(plain), 15 + 16, &n);
    struct req r = {.ip = "10.0.0.2", .ctype = "text/plain", .cenc = "gzip", .body = gz, .len = n};
    const char *modes[] = {NULL, "block", "allow"};
    for (int i = 0; i < 3; i++) {
        o16_on_limit = modes[i];
        mctx = (struct sk_module_ctx){.name = "dlp", .option = o16_opt};
        assert_int_equal(sk_dlp_init(&mctx, &err), 0);
        /* default and "block": 100 KB decoded > 1K cannot be inspected -> block */
        expect(&r, i < 2 ? SK_BLOCK : SK_ALLOW, i < 2 ? "dlp-limit" : NULL,
               i == 0   ? "over max-decoded, default"
               : i == 1 ? "over max-decoded, on-limit block"
                        : "over max-decoded, on-limit allow");
        sk_dlp_fini(&mctx);
    }
    /* within the budget the same clean body passes */
    mctx = (struct sk_module_ctx){.name = "dlp", .option = o16_opt};
    o16_on_limit = "block";
    assert_int_equal(sk_dlp_init(&mctx, &err), 0);
    unsigned char *small = sk_tz_deflate(plain, 500, 15 + 16, &n);
    struct req r2 = {
        .ip = "10.0.0.2", .ctype = "text/plain", .cenc = "gzip", .body = small, .len = n};
    expect(&r2, SK_ALLOW, NULL, "within max-decoded");
    sk_dlp_fini(&mctx);
    mctx = saved;
    free(gz);
    free(small);
}

/* Messages inside messages (message/rfc822 bodies): read down to the
 * nesting limit; one deeper is dlp.on-error, not its bytes read as text
 * (its quoted-printable card would go unread). */
static void test_mail_nested_deep(void **state)
{
    (void)state;
    for (int levels = 3; levels <= 9; levels += 6) {
        char body[1024] = "";
        for (int i = 0; i < levels; i++)
            strcat(body, "From: x\r\nContent-Type: message/rfc822\r\n\r\n");
        strcat(body, "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
                     "4111=201111=201111=201111\r\n");
        struct req r = {
            .ip = "10.0.0.2", .ctype = "message/rfc822", .body = body, .len = strlen(body)};
        for (r.chunk = 0; r.chunk <= 3; r.chunk += 3)
            expect(&r, SK_BLOCK, levels > 6 ? "dlp-undecodable" : "cards",
                   levels > 6 ? "messages nested past the limit (6)"
                              : "messages nested within the limit");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encodings),
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_unicode_digits_decoded),
        cmocka_unit_test(test_html_references),
        cmocka_unit_test(test_html_raw_elements),
        cmocka_unit_test(test_percent_encoded),
        cmocka_unit_test(test_json_two_readings),
        cmocka_unit_test(test_evasions),
        cmocka_unit_test(test_base64_runs),
        cmocka_unit_test(test_o16_brotli),
        cmocka_unit_test(test_o16_max_decoded),
        cmocka_unit_test(test_mail_nested_deep),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/* sk_decode_charset.c - charset sniffing for text objects whose charset
 * was not declared: BOMs, UTF-16 with or without BOM (also when most code
 * units hold a 0x00 byte: ASCII, U+3000, U+4E00 do), ISO-2022-JP escapes,
 * UTF-8 validity, Shift_JIS vs EUC-JP byte ranges; and the two views a
 * reader of URLs in text needs: UTF-16 as UTF-8, HTML character
 * references decoded.
 * SECURITY: reads at most N client bytes; writes within the bounds the
 * callers' buffers are documented to have.
 */
#include <string.h>

#include "sekisho/decode.h"
#include "sekisho/text.h"

size_t sk_utf16_to_utf8(const unsigned char *p, size_t n, int be, unsigned char *out)
{
    size_t i = 0, o = 0;

    if (n >= 2 && ((be && p[0] == 0xfe && p[1] == 0xff) || (!be && p[0] == 0xff && p[1] == 0xfe)))
        i = 2;
    for (; i + 1 < n; i += 2) {
        uint32_t u = be ? (uint32_t)(p[i] << 8 | p[i + 1]) : (uint32_t)(p[i] | p[i + 1] << 8);
        if (u >= 0xd800 && u <= 0xdbff && i + 3 < n) {
            uint32_t l =
                be ? (uint32_t)(p[i + 2] << 8 | p[i + 3]) : (uint32_t)(p[i + 2] | p[i + 3] << 8);
            if (l >= 0xdc00 && l <= 0xdfff) {
                o += sk_utf8_put(out + o, 0x10000 + ((u - 0xd800) << 10) + (l - 0xdc00));
                i += 2;
                continue;
            }
        }
        o += sk_utf8_put(out + o, u >= 0xd800 && u <= 0xdfff ? 0xfffd : u);
    }
    return o;
}

size_t sk_html_unref(unsigned char *p, size_t n)
{
    size_t o = 0;

    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k;
        if (p[i] == '&' && (k = sk_html_charref(p + i + 1, n - i - 1, &cp)) > 0) {
            o += sk_utf8_put(p + o, cp); /* never longer than '&' + K */
            i += 1 + k;
        } else {
            p[o++] = p[i++];
        }
    }
    return o;
}

/* Code units of text: ASCII, Latin-1; Latin Extended, combining marks,
 * Greek, Cyrillic (U+0100..U+052F), Hebrew, Arabic (U+0590..U+06FF),
 * the Indic scripts, Thai, Lao (U+0900..U+0EFF) - their digits are digits
 * to DLP, and text in them must not hide an ASCII number by looking like
 * no UTF-16 at all; general punctuation (spaces, zero-width characters,
 * dashes, U+2000..U+206F); CJK punctuation, kana, kanji, Hangul; surrogates
 * (supplementary characters: emoji, mathematical digits); full-width. */
static int sk_cs_plausible16(unsigned u)
{
    return (u >= 0x20 && u < 0x7f) || u == 0x0a || u == 0x0d || u == 0x09 ||
           (u >= 0xa0 && u <= 0x52f) || (u >= 0x590 && u <= 0x6ff) || (u >= 0x900 && u <= 0xeff) ||
           (u >= 0x2000 && u <= 0x206f) || (u >= 0x3000 && u <= 0x30ff) ||
           (u >= 0x4e00 && u <= 0x9fff) || (u >= 0xac00 && u <= 0xdfff) ||
           (u >= 0xff00 && u <= 0xffef);
}

/* UTF-16 by content: nearly all code units plausible in one byte order.
 * KANA: also require kana/CJK punctuation (text without NULs could be a
 * legacy double-byte charset otherwise). */
static const char *sk_cs_utf16(const unsigned char *s, size_t n, int kana)
{
    size_t le = 0, be = 0, kle = 0, kbe = 0, units = n / 2;

    if (n < 8)
        return NULL;
    for (size_t i = 0; i + 1 < n; i += 2) {
        unsigned ul = (unsigned)(s[i] | s[i + 1] << 8), ub = (unsigned)(s[i] << 8 | s[i + 1]);
        le += sk_cs_plausible16(ul);
        be += sk_cs_plausible16(ub);
        kle += ul >= 0x3000 && ul <= 0x30ff; /* kana and CJK punctuation: */
        kbe += ub >= 0x3000 && ub <= 0x30ff; /* never a Shift_JIS/EUC pair */
    }
    if (le * 10 >= units * 9 && le >= be && (!kana || (kle * 10 >= units && kle >= kbe)))
        return "UTF-16LE";
    if (be * 10 >= units * 9 && (!kana || kbe * 10 >= units))
        return "UTF-16BE";
    return NULL;
}

/* UTF-32 by content: nearly all 4-byte units a plausible character (as
 * for UTF-16) or beyond the BMP, in one byte order. JSON readers take it
 * without a BOM (RFC 4627's detection, Python's json.loads). */
static const char *sk_cs_utf32(const unsigned char *s, size_t n)
{
    size_t le = 0, be = 0, units = n / 4;

    if (n < 8)
        return NULL;
    for (size_t i = 0; i + 3 < n; i += 4) {
        uint32_t ul = (uint32_t)s[i] | (uint32_t)s[i + 1] << 8 | (uint32_t)s[i + 2] << 16 |
                      (uint32_t)s[i + 3] << 24;
        uint32_t ub = (uint32_t)s[i + 3] | (uint32_t)s[i + 2] << 8 | (uint32_t)s[i + 1] << 16 |
                      (uint32_t)s[i] << 24;
        le += ul < 0x10000 ? sk_cs_plausible16(ul) && !(ul >= 0xd800 && ul <= 0xdfff)
                           : ul <= 0x10ffff;
        be += ub < 0x10000 ? sk_cs_plausible16(ub) && !(ub >= 0xd800 && ub <= 0xdfff)
                           : ub <= 0x10ffff;
    }
    if (le * 10 >= units * 9 && le >= be)
        return "UTF-32LE";
    if (be * 10 >= units * 9)
        return "UTF-32BE";
    return NULL;
}

/* Valid UTF-8 (a truncated last sequence allowed)? */
static int sk_cs_utf8(const unsigned char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n;) {
        unsigned char c = s[i];
        size_t k = c < 0x80             ? 0
                   : (c & 0xe0) == 0xc0 ? 1
                   : (c & 0xf0) == 0xe0 ? 2
                   : (c & 0xf8) == 0xf0 ? 3
                                        : 9;
        if (k == 9 || c == 0xc0 || c == 0xc1)
            return 0;
        size_t j = 1;
        while (j <= k && i + j < n && (s[i + j] & 0xc0) == 0x80)
            j++;
        if (j <= k && i + j < n)
            return 0;
        i += k + 1;
    }
    return 1;
}

const char *sk_charset_sniff(const unsigned char *s, size_t n, size_t *skip)
{
    size_t nul = 0, high = 0, sjis_only = 0;
    const char *u16;

    *skip = 0;
    if (n >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf)
        return *skip = 3, NULL;
    if (n >= 4 && !memcmp(s, "\xff\xfe\0\0", 4))
        return *skip = 4, "UTF-32LE";
    if (n >= 4 && !memcmp(s, "\0\0\xfe\xff", 4))
        return *skip = 4, "UTF-32BE";
    if (n >= 2 && s[0] == 0xff && s[1] == 0xfe)
        return *skip = 2, "UTF-16LE";
    if (n >= 2 && s[0] == 0xfe && s[1] == 0xff)
        return *skip = 2, "UTF-16BE";
    for (size_t i = 0; i < n; i++)
        nul += s[i] == 0;
    if (nul) { /* UTF-32 or UTF-16 text, or binary: the code units decide */
        const char *u32 = sk_cs_utf32(s, n);
        return u32 ? u32 : sk_cs_utf16(s, n, 0);
    }
    if (memmem(s, n, "\x1b$B", 3) || memmem(s, n, "\x1b$@", 3) || memmem(s, n, "\x1b(J", 3))
        return "ISO-2022-JP";
    if (sk_cs_utf8(s, n))
        return NULL;
    if ((u16 = sk_cs_utf16(s, n, 1)) != NULL)
        return u16;
    /* Shift_JIS vs EUC-JP: bytes 0x81..0x8d and 0xa0 never occur in EUC-JP
     * text, while Shift_JIS hiragana/katakana leads are 0x82/0x83. */
    for (size_t i = 0; i < n; i++) {
        high += s[i] >= 0x80;
        sjis_only += (s[i] >= 0x81 && s[i] <= 0x8d) || s[i] == 0xa0;
    }
    if (high == 0)
        return NULL;
    return sjis_only ? "CP932" : "EUC-JP";
}

const char *sk_charset_nul_order(const unsigned char *s, size_t n)
{
    if (n < 4 || (s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf) || (s[0] == 0xff && s[1] == 0xfe) ||
        (s[0] == 0xfe && s[1] == 0xff) || !memcmp(s, "\0\0\xfe\xff", 4))
        return NULL;
    if (s[0] == 0) /* 00 00 .. ..: UTF-32BE; 00 xx .. ..: UTF-16BE */
        return s[1] ? "UTF-16BE" : "UTF-32BE";
    if (s[1] == 0) /* xx 00 00 00: UTF-32LE; xx 00 xx .. or xx 00 00 xx: UTF-16LE */
        return s[2] || s[3] ? "UTF-16LE" : "UTF-32LE";
    return NULL;
}

int sk_charset_utf16(const unsigned char *s, size_t n)
{
    size_t skip;
    const char *cs = sk_charset_sniff(s, n, &skip);

    if (!cs || strncmp(cs, "UTF-16", 6) != 0)
        return 0;
    return strcmp(cs, "UTF-16BE") == 0 ? 2 : 1;
}

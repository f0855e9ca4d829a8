/* sk_decode_charset.c - charset sniffing for text objects whose charset
 * was not declared: BOMs, UTF-16 with or without BOM (also when most code
 * units hold a 0x00 byte: ASCII, U+3000, U+4E00 do), ISO-2022-JP escapes,
 * UTF-8 validity, Shift_JIS vs EUC-JP byte ranges; and the two views a
 * reader of URLs in text needs: UTF-16 as UTF-8, HTML character
 * references decoded.
 * SECURITY: reads at most N client bytes; writes within the bounds the
 * callers' buffers are documented to have.
 */
#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

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

size_t sk_utf32_to_utf8(const unsigned char *p, size_t n, int be, unsigned char *out)
{
    size_t i = 0, o = 0;

    for (; i + 3 < n; i += 4) {
        uint32_t u = be ? (uint32_t)p[i] << 24 | (uint32_t)p[i + 1] << 16 |
                              (uint32_t)p[i + 2] << 8 | p[i + 3]
                        : (uint32_t)p[i + 3] << 24 | (uint32_t)p[i + 2] << 16 |
                              (uint32_t)p[i + 1] << 8 | p[i];
        if (i == 0 && u == 0xfeff)
            continue; /* the BOM */
        o += sk_utf8_put(out + o, (u >= 0xd800 && u <= 0xdfff) || u > 0x10ffff ? 0xfffd : u);
    }
    return o;
}

long sk_unescape_at(const unsigned char *s, size_t n, int final, unsigned kinds, uint32_t *cp,
                    int *byte)
{
    size_t i;
    int h, l;

    *byte = 0;
    if (s[0] == '+' && (kinds & SK_UNESC_PLUS)) {
        *cp = ' ', *byte = 1;
        return 1;
    }
    if (s[0] == '%' && (kinds & SK_UNESC_PCT) && n >= 2 && s[1] == 'u') {
        /* %uHHHH: JavaScript's escape() of a character past U+00FF, which
         * unescape() and IIS undo (a surrogate: U+FFFD) */
        uint32_t v = 0;
        for (i = 2; i < n && i < 6 && sk_hex_digit(s[i]) >= 0; i++)
            v = v * 16 + (uint32_t)sk_hex_digit(s[i]);
        if (i == 6) {
            *cp = v >= 0xd800 && v <= 0xdfff ? 0xfffd : v;
            return 6;
        }
        if (i == n && !final)
            return -1;
        return 0; /* "%u" and fewer than four hex digits: text */
    }
    if (s[0] == '%' && (kinds & SK_UNESC_PCT)) {
        if (n < 3)
            return final || (n == 2 && sk_hex_digit(s[1]) < 0) ? 0 : -1;
        if ((h = sk_hex_digit(s[1])) < 0 || (l = sk_hex_digit(s[2])) < 0)
            return 0;
        *cp = (uint32_t)(h * 16 + l), *byte = 1;
        return 3;
    }
    if (s[0] == '&' && (kinds & SK_UNESC_REF)) {
        /* a reference runs over letters, digits and '#': wait for its end
         * (and the byte after it: the legacy-name rule looks at it) */
        for (i = 1; i < n && i < SK_UNESC_HOLD &&
                    (s[i] == '#' || (s[i] >= '0' && s[i] <= '9') ||
                     ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z'));
             i++)
            ;
        if (i == n && !final && i < SK_UNESC_HOLD)
            return -1;
        /* at most the hold: read the same bytes whether the text came
         * whole or in pieces (a longer number is U+FFFD, the rest text) */
        size_t k = sk_html_charref(s + 1, (n < SK_UNESC_HOLD ? n : SK_UNESC_HOLD) - 1, cp);
        return k ? (long)k + 1 : 0;
    }
    if (s[0] != '\\' || !(kinds & SK_UNESC_BSL))
        return 0;
    if (n < 2)
        return final ? 0 : -1;
    unsigned char c = s[1];
    if (c == 'u' && n >= 3 && s[2] == '{') { /* \u{H...} */
        uint32_t v = 0;
        for (i = 3; i < n && sk_hex_digit(s[i]) >= 0 && i < 3 + 16; i++)
            v = v > 0x10ffff ? v : v * 16 + (uint32_t)sk_hex_digit(s[i]);
        if (i == n && !final)
            return -1;
        if (i == 3 || i >= n || s[i] != '}')
            return 0;
        *cp = v > 0x10ffff ? 0xfffd : v;
        return (long)i + 1;
    }
    if (c == 'u' || c == 'x') {
        size_t want = c == 'u' ? 4 : 2;
        uint32_t v = 0;
        for (i = 2; i < 2 + want && i < n; i++) {
            if ((h = sk_hex_digit(s[i])) < 0)
                return 0;
            v = v * 16 + (uint32_t)h;
        }
        if (i < 2 + want)
            return final ? 0 : -1;
        /* a surrogate pair written as two escapes is one character */
        if (c == 'u' && v >= 0xd800 && v <= 0xdbff) {
            static const char pat[] = "\\u";
            uint32_t lo = 0;
            for (i = 6; i < n && i < 12; i++) {
                if (i < 8 ? s[i] != (unsigned char)pat[i - 6] : (h = sk_hex_digit(s[i])) < 0)
                    break;
                if (i >= 8)
                    lo = lo * 16 + (uint32_t)h;
            }
            if (i == n && i < 12 && !final)
                return -1; /* "\uD83D\u" so far */
            if (i == 12 && lo >= 0xdc00 && lo <= 0xdfff) {
                *cp = 0x10000 + ((v - 0xd800) << 10) + (lo - 0xdc00);
                return 12;
            }
        }
        *cp = v >= 0xd800 && v <= 0xdfff ? 0xfffd : v;
        return (long)(2 + want);
    }
    if (c >= '0' && c <= '7') { /* octal, as in legacy scripts: up to 0377 */
        uint32_t v = 0;
        for (i = 1; i < n && i < 4 && s[i] >= '0' && s[i] <= '7' && v * 8 + (s[i] - '0') <= 0377;
             i++)
            v = v * 8 + (uint32_t)(s[i] - '0');
        if (i == n && i < 4 && !final)
            return -1;
        *cp = v;
        return (long)i;
    }
    if (c == '\r' || c == '\n') { /* a line continued: nothing */
        if (c == '\r' && n < 3 && !final)
            return -1;
        *cp = UINT32_MAX;
        return c == '\r' && n >= 3 && s[2] == '\n' ? 3 : 2;
    }
    static const char from[] = "nrtbfv", to[] = "\n\r\t\b\f\v";
    const char *m = memchr(from, c, sizeof(from) - 1);
    *cp = m ? (uint32_t)to[m - from] : c; /* any other: the character itself */
    if (c >= 0x80)                        /* a multi-byte character after '\': left as it is */
        return 0;
    return 2;
}

size_t sk_unescape(const unsigned char *s, size_t n, int final, unsigned kinds, unsigned char *out,
                   size_t *used)
{
    size_t i = 0, o = 0;

    while (i < n) {
        const unsigned char *q = s + i;
        size_t left = n - i, plain = 0;
        /* the bytes up to the next possible escape, as they are */
        while (plain < left && q[plain] != '%' && q[plain] != '&' && q[plain] != '\\' &&
               !(q[plain] == '+' && (kinds & SK_UNESC_PLUS)))
            plain++;
        if (plain) {
            memmove(out + o, q, plain);
            o += plain, i += plain;
            continue;
        }
        uint32_t cp;
        int byte;
        long k = sk_unescape_at(q, left, final, kinds, &cp, &byte);
        if (k < 0)
            break; /* maybe an escape cut off: the caller comes back with more */
        if (k == 0) {
            out[o++] = s[i++];
            continue;
        }
        if (byte)
            out[o++] = (unsigned char)cp;
        else if (cp != UINT32_MAX)
            o += sk_utf8_put(out + o, cp); /* never longer than the escape */
        i += (size_t)k;
    }
    *used = i;
    return o;
}

size_t sk_html_unref(unsigned char *p, size_t n)
{
    size_t used;

    return sk_unescape(p, n, 1, SK_UNESC_REF, p, &used);
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

/* A body that says nothing of JSON but is JSON: its first character
 * (after a BOM, white space, and the NULs of UTF-16/32) opens an object
 * with a key or an array - what requests.post(data=json.dumps(...)),
 * sendBeacon and no-cors fetch (text/plain) send. Read as JSON: its
 * reader passes every byte outside strings as it is, so text that only
 * starts like JSON loses nothing. */
int sk_json_like(const unsigned char *p, size_t n)
{
    size_t i = 0;
    unsigned char c[2];
    int k = 0;

    if (n >= 3 && p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)
        i = 3;
    else if (n >= 2 && (p[0] == 0xff || p[0] == 0xfe) && (p[1] == 0xff || p[1] == 0xfe))
        i = 2;
    for (; i < n && k < 2; i++) {
        if (p[i] == 0 || p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n')
            continue;
        c[k++] = p[i];
    }
    if (k == 0)
        return n > 0; /* white space only so far (the head is full): it may be */
    if (c[0] == '"')
        return 1; /* a string is JSON too (json.loads reads it) */
    if (k < 2)    /* "[" or "{" and white space to the head's end */
        return c[0] == '[' || c[0] == '{';
    if (c[0] == '{')
        return c[1] == '"' || c[1] == '}';
    return c[0] == '[' && (strchr("{[\"-0123456789tfn]", c[1]) != NULL);
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
    int esc = 0;
    for (size_t i = 0; i < n; i++) {
        nul += s[i] == 0;
        esc |= s[i] == 0x1b;
    }
    if (nul) { /* UTF-32 or UTF-16 text, or binary: the code units decide */
        const char *u32 = sk_cs_utf32(s, n);
        return u32 ? u32 : sk_cs_utf16(s, n, 0);
    }
    /* (the escapes searched only when there is an ESC: most text has none) */
    if (esc &&
        (memmem(s, n, "\x1b$B", 3) || memmem(s, n, "\x1b$@", 3) || memmem(s, n, "\x1b(J", 3)))
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

size_t sk_mime_word(const unsigned char *s, size_t n, unsigned char *out, size_t *olen)
{
    size_t cs, e, t, i, o = 0;

    *olen = 0;
    if (n < 8 || s[0] != '=' || s[1] != '?')
        return 0;
    for (cs = 2; cs < n && s[cs] != '?' && s[cs] > ' ' && s[cs] < 127; cs++)
        ;
    if (cs == 2 || cs + 3 >= n || s[cs] != '?' || s[cs + 2] != '?')
        return 0;
    e = s[cs + 1] | 0x20;
    if (e != 'b' && e != 'q')
        return 0;
    for (t = cs + 3; t + 1 < n && !(s[t] == '?' && s[t + 1] == '='); t++)
        if (s[t] <= ' ' || s[t] >= 127)
            return 0; /* an encoded word holds no white space */
    if (t + 1 >= n)
        return 0;
    if (e == 'b') {
        unsigned acc = 0, k = 0;
        for (i = cs + 3; i < t; i++) {
            int v = sk_b64_digit(s[i], 0);
            if (v < 0)
                continue; /* '=' padding; what Python's decoder skips too */
            acc = acc << 6 | (unsigned)v;
            if (++k % 4 == 0) {
                out[o++] = (unsigned char)(acc >> 16);
                out[o++] = (unsigned char)(acc >> 8);
                out[o++] = (unsigned char)acc;
            }
        }
        if (k % 4 >= 2)
            out[o++] = (unsigned char)(acc << 6 * (4 - k % 4) >> 16);
        if (k % 4 == 3)
            out[o++] = (unsigned char)(acc << 6 >> 8);
    } else {
        for (i = cs + 3; i < t; i++) {
            int h, l;
            if (s[i] == '_')
                out[o++] = ' ';
            else if (s[i] == '=' && i + 2 < t && (h = sk_hex_digit(s[i + 1])) >= 0 &&
                     (l = sk_hex_digit(s[i + 2])) >= 0)
                out[o++] = (unsigned char)(h << 4 | l), i += 2;
            else
                out[o++] = s[i];
        }
    }
    /* UTF-16 words as characters (the reader converts every charset; the
     * ASCII-compatible ones read as they are) */
    if (cs - 2 >= 6 && strncasecmp((const char *)s + 2, "utf-16", 6) == 0) {
        int be = !(cs - 2 >= 8 && (s[cs - 1] | 0x20) == 'e' && (s[cs - 2] | 0x20) == 'l');
        unsigned char tmp[SK_MIME_WORD_MAX];
        size_t m = o;
        if (m >= 2 && ((out[0] == 0xff && out[1] == 0xfe) || (out[0] == 0xfe && out[1] == 0xff)))
            be = out[0] == 0xfe;
        memcpy(tmp, out, m);
        o = sk_utf16_to_utf8(tmp, m, be, out);
    } else if (cs - 2 < 48) {
        /* a charset whose digits are not ASCII's bytes (Big5, TIS-620,
         * UTF-7, EBCDIC...: sk_charset_lookup): converted as the mail
         * reader converts it (email.header), within OUT's 2 * N bytes;
         * a byte it cannot read is skipped */
        char name[48], iname[64];
        memcpy(name, s + 2, cs - 2);
        name[cs - 2] = '\0';
        enum sk_cs_kind k = sk_charset_lookup(name, iname, sizeof(iname));
        iconv_t cd = (k == SK_CS_HIDES || k == SK_CS_WIDE) && strcmp(iname, "HZ") != 0
                         ? sk_iconv_open(iname)
                         : (iconv_t)-1;
        if (cd != (iconv_t)-1) {
            unsigned char tmp[SK_MIME_WORD_MAX];
            memcpy(tmp, out, o);
            char *ip = (char *)tmp, *op = (char *)out;
            size_t il = o, ol = 2 * n;
            while (il > 0 && iconv(cd, &ip, &il, &op, &ol) == (size_t)-1 && errno == EILSEQ) {
                ip++, il--; /* a byte it cannot read: skipped, the state reset */
                iconv(cd, NULL, NULL, NULL, NULL);
            }
            iconv(cd, NULL, NULL, &op, &ol); /* UTF-7: the shift state's last bytes */
            sk_iconv_close(iname, cd);
            o = (size_t)(op - (char *)out);
        }
    }
    *olen = o;
    return t + 2;
}

/* A name as Python's codecs.lookup compares it (encodings.normalize_
 * encoding): lower case, ASCII letters, digits and '.' kept, every run of
 * anything else between two kept characters one '_', leading and trailing
 * runs dropped ("UTF_7", "utf 7", " utf-7 " and "Utf--7" are "utf_7").
 * '.' is read as punctuation too (the lookup's second try). */
static void sk_cs_normalize(const char *in, char *out, size_t size)
{
    size_t o = 0;
    int punct = 0;

    for (; *in && o + 2 < size; in++) {
        unsigned char c = (unsigned char)*in;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
            if (punct && o)
                out[o++] = '_';
            out[o++] = (char)(c | ((c >= 'A' && c <= 'Z') ? 0x20 : 0));
            punct = 0;
        } else if (c < 0x80) {
            punct = 1; /* non-ASCII letters are dropped without a mark */
        }
    }
    out[o] = '\0';
}

/* EBCDIC code pages iconv (glibc) knows, by number: digits are F0-F9 and
 * the space 40 in every one of them (test_decode_text checks the list
 * against iconv: every page number it opens as IBMn or CPn is here
 * exactly when "\xf0\xf9\x40" reads "09 "). The mixed double-byte pages
 * (930...) shift with SO/SI, digits are still single bytes. */
static const unsigned short sk_ebcdic_pages[] = {
    37,   38,   256,  273,  274,  275,  277,  278,  280,  281,  282,  284,  285,  290,   297,
    420,  423,  424,  500,  803,  870,  871,  875,  880,  905,  918,  930,  933,  935,   937,
    939,  1025, 1026, 1047, 1070, 1079, 1081, 1084, 1097, 1112, 1122, 1123, 1130, 1132,  1137,
    1140, 1141, 1142, 1143, 1144, 1145, 1146, 1147, 1148, 1149, 1153, 1154, 1155, 1156,  1157,
    1158, 1160, 1164, 1166, 1364, 1371, 1388, 1390, 1399, 4517, 4899, 4971, 9030, 12712, 16804,
};

/* "IBM037"-style names glibc opens for each page above; a few are only
 * known as "CPn". */
static void sk_ebcdic_name(unsigned page, char *out, size_t size)
{
    int cp = page == 282 || page == 1070 || page == 1079 || page == 1081 || page == 1084;

    snprintf(out, size, cp ? "CP%03u" : "IBM%03u", page);
}

/* A code page number after one of the prefixes readers accept ("cp",
 * "ibm", "csibm", "cpibm", "x_ibm", each with or without a '_', or none:
 * Python's "037", Java's "ibm-037"), or 0. */
static unsigned sk_cs_page(const char *n)
{
    static const char *const pre[] = {"csibm", "cpibm", "x_ibm", "ibm", "cp", ""};
    for (size_t i = 0; i < sizeof(pre) / sizeof(pre[0]); i++) {
        size_t l = strlen(pre[i]);
        if (strncmp(n, pre[i], l) != 0)
            continue;
        const char *d = n + l + (l && n[l] == '_');
        unsigned v = 0;
        size_t k = 0;
        for (; d[k] >= '0' && d[k] <= '9' && k < 6; k++)
            v = v * 10 + (unsigned)(d[k] - '0');
        if (k > 0 && d[k] == '\0')
            return v;
    }
    return 0;
}

/* The zero of every run of ten decimal digits (general category Nd,
 * Unicode 14) but ASCII's: BMP and supplementary planes (U+FF10, the
 * full-width digits, is here too). DLP's fold reads them as their ASCII
 * digits; sk_cs_probe asks a charset which of them it can write. */
static const uint32_t sk_nd_zero[SK_ND_NZERO] = {
    0x0660,  0x06f0,  0x07c0,  0x0966,  0x09e6,  0x0a66,  0x0ae6,  0x0b66,  0x0be6,  0x0c66,
    0x0ce6,  0x0d66,  0x0de6,  0x0e50,  0x0ed0,  0x0f20,  0x1040,  0x1090,  0x17e0,  0x1810,
    0x1946,  0x19d0,  0x1a80,  0x1a90,  0x1b50,  0x1bb0,  0x1c40,  0x1c50,  0xa620,  0xa8d0,
    0xa900,  0xa9d0,  0xa9f0,  0xaa50,  0xabf0,  0x104a0, 0x10d30, 0x11066, 0x110f0, 0x11136,
    0x111d0, 0x112f0, 0x11450, 0x114d0, 0x11650, 0x116c0, 0x11730, 0x118e0, 0x11950, 0x11c50,
    0x11d50, 0x11da0, 0x16a60, 0x16ac0, 0x16b50, 0x1d7ce, 0x1d7d8, 0x1d7e2, 0x1d7ec, 0x1d7f6,
    0x1e140, 0x1e2f0, 0x1e950, 0x1fbf0, 0xff10,
};

const uint32_t *sk_nd_zeros(void)
{
    return sk_nd_zero;
}

/* Does iconv's CD (UTF-8 to the charset) write the bytes IN (N) other
 * than as AS (NA bytes): 1 yes, 0 no, -1 it cannot write them. */
static int sk_cs_writes_other(iconv_t cd, const char *in, size_t n, const char *as, size_t na)
{
    char out[64], *o = out, *i = (char *)in;
    size_t il = n, ol = sizeof(out);

    iconv(cd, NULL, NULL, NULL, NULL);
    if (iconv(cd, &i, &il, &o, &ol) == (size_t)-1 || iconv(cd, NULL, NULL, &o, &ol) == (size_t)-1)
        return -1;
    return (size_t)(o - out) != na || memcmp(out, as, na) != 0;
}

/* A declared name the table below does not list (N, normalised), as iconv
 * opens it (upper case, '_' as '-', or without it: "tis_620" is TIS-620,
 * "big5hkscs" BIG5HKSCS): SK_CS_HIDES, its iconv name in NAME, when it
 * writes ASCII's digits other than as their bytes (ISO-2022-KR's header)
 * or can write any other decimal digit - Big5's, GBK's and EUC-KR's
 * full-width, TIS-620's Thai, CP864's Arabic-Indic ones (other than as
 * the ASCII digit: IBM9448 writes Arabic-Indic digits so): a reader of the
 * declared charset reads those as a number that a reading of bytes does
 * not see. Anything else (Latin-1, KOI8-R, windows-125x, a name iconv
 * does not know) is SK_CS_NONE. Asked of iconv once per name: the answers
 * of the last 64 names are kept (names are the client's: a full table
 * replaces its oldest entry). */
static enum sk_cs_kind sk_cs_probe(const char *n, char *name, size_t size)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static struct {
        char n[64], name[64];
        enum sk_cs_kind kind;
    } seen[64];
    static unsigned nseen, next;
    char cand[3][64];
    enum sk_cs_kind kind = SK_CS_NONE;
    const char *opened = "";

    if (strlen(n) >= sizeof(cand[0]))
        return SK_CS_NONE;
    pthread_mutex_lock(&lock);
    for (unsigned i = 0; i < nseen; i++)
        if (strcmp(seen[i].n, n) == 0) {
            kind = seen[i].kind;
            if (name && size)
                snprintf(name, size, "%s", kind == SK_CS_NONE ? "" : seen[i].name);
            pthread_mutex_unlock(&lock);
            return kind;
        }
    pthread_mutex_unlock(&lock);
    size_t k = 0, j = 0;
    for (const char *c = n; *c; c++) {
        char u = *c >= 'a' && *c <= 'z' ? (char)(*c - 32) : *c;
        cand[0][k++] = u == '_' ? '-' : u;
        if (u != '_')
            cand[1][j++] = u;
    }
    cand[0][k] = cand[1][j] = '\0';
    /* a code page by number: glibc knows some only as IBMn (IBM943) */
    unsigned page = sk_cs_page(n);
    cand[2][0] = '\0';
    if (page)
        snprintf(cand[2], sizeof(cand[2]), "IBM%03u", page);
    iconv_t cd = (iconv_t)-1;
    for (int c = 0; c < 3 && cd == (iconv_t)-1 && cand[c][0]; c++)
        if ((cd = iconv_open(cand[c], "UTF-8")) != (iconv_t)-1)
            opened = cand[c];
    if (cd != (iconv_t)-1) {
        int hides = sk_cs_writes_other(cd, "0123456789", 10, "0123456789", 10) != 0;
        for (size_t z = 0; !hides && z < SK_ND_NZERO; z++)
            for (uint32_t d = 0; !hides && d < 10; d++) {
                unsigned char u[4];
                size_t un = sk_utf8_put(u, sk_nd_zero[z] + d);
                char ascii = (char)('0' + d); /* IBM9448 writes Arabic-Indic 4 as '4' */
                hides = sk_cs_writes_other(cd, (const char *)u, un, &ascii, 1) == 1;
            }
        iconv_close(cd);
        kind = hides ? SK_CS_HIDES : SK_CS_NONE;
    }
    pthread_mutex_lock(&lock);
    unsigned at = nseen < 64 ? nseen++ : next++ % 64;
    snprintf(seen[at].n, sizeof(seen[at].n), "%.63s", n);
    snprintf(seen[at].name, sizeof(seen[at].name), "%.63s", opened);
    seen[at].kind = kind;
    pthread_mutex_unlock(&lock);
    if (name && size)
        snprintf(name, size, "%s", kind == SK_CS_NONE ? "" : opened);
    return kind;
}

enum sk_cs_kind sk_charset_lookup(const char *declared, char *name, size_t size)
{
    static const struct {
        const char *alias, *name;
        enum sk_cs_kind kind;
    } map[] = {
        /* UTF-8 (Python's aliases) */
        {"utf_8", "UTF-8", SK_CS_UTF8},
        {"utf8", "UTF-8", SK_CS_UTF8},
        {"u8", "UTF-8", SK_CS_UTF8},
        {"utf", "UTF-8", SK_CS_UTF8},
        {"utf8_ucs2", "UTF-8", SK_CS_UTF8},
        {"utf8_ucs4", "UTF-8", SK_CS_UTF8},
        {"cp65001", "UTF-8", SK_CS_UTF8},
        /* wide and Japanese multi-byte text: converted in the reading */
        {"shift_jis", "CP932", SK_CS_WIDE},
        {"shiftjis", "CP932", SK_CS_WIDE},
        {"sjis", "CP932", SK_CS_WIDE},
        {"s_jis", "CP932", SK_CS_WIDE},
        {"csshiftjis", "CP932", SK_CS_WIDE},
        {"x_sjis", "CP932", SK_CS_WIDE},
        {"windows_31j", "CP932", SK_CS_WIDE},
        {"cp932", "CP932", SK_CS_WIDE},
        {"932", "CP932", SK_CS_WIDE},
        {"ms932", "CP932", SK_CS_WIDE},
        {"mskanji", "CP932", SK_CS_WIDE},
        {"ms_kanji", "CP932", SK_CS_WIDE},
        {"euc_jp", "EUC-JP", SK_CS_WIDE},
        {"eucjp", "EUC-JP", SK_CS_WIDE},
        {"ujis", "EUC-JP", SK_CS_WIDE},
        {"u_jis", "EUC-JP", SK_CS_WIDE},
        {"x_euc_jp", "EUC-JP", SK_CS_WIDE},
        {"iso_2022_jp", "ISO-2022-JP", SK_CS_WIDE},
        {"iso2022_jp", "ISO-2022-JP", SK_CS_WIDE},
        {"iso2022jp", "ISO-2022-JP", SK_CS_WIDE},
        {"csiso2022jp", "ISO-2022-JP", SK_CS_WIDE},
        {"utf_16", "UTF-16", SK_CS_WIDE},
        {"utf16", "UTF-16", SK_CS_WIDE},
        {"u16", "UTF-16", SK_CS_WIDE},
        {"utf_16le", "UTF-16LE", SK_CS_WIDE},
        {"utf_16_le", "UTF-16LE", SK_CS_WIDE},
        {"utf16le", "UTF-16LE", SK_CS_WIDE},
        {"unicodelittleunmarked", "UTF-16LE", SK_CS_WIDE},
        {"utf_16be", "UTF-16BE", SK_CS_WIDE},
        {"utf_16_be", "UTF-16BE", SK_CS_WIDE},
        {"utf16be", "UTF-16BE", SK_CS_WIDE},
        {"unicodebigunmarked", "UTF-16BE", SK_CS_WIDE},
        {"utf_32", "UTF-32", SK_CS_WIDE},
        {"utf32", "UTF-32", SK_CS_WIDE},
        {"u32", "UTF-32", SK_CS_WIDE},
        {"utf_32le", "UTF-32LE", SK_CS_WIDE},
        {"utf_32_le", "UTF-32LE", SK_CS_WIDE},
        {"utf32le", "UTF-32LE", SK_CS_WIDE},
        {"utf_32be", "UTF-32BE", SK_CS_WIDE},
        {"utf_32_be", "UTF-32BE", SK_CS_WIDE},
        {"utf32be", "UTF-32BE", SK_CS_WIDE},
        /* charsets in which digits are not their ASCII bytes */
        {"utf_7", "UTF-7", SK_CS_HIDES},
        {"utf7", "UTF-7", SK_CS_HIDES},
        {"u7", "UTF-7", SK_CS_HIDES},
        {"unicode_1_1_utf_7", "UTF-7", SK_CS_HIDES},
        {"csunicode11utf7", "UTF-7", SK_CS_HIDES},
        {"hz", "HZ", SK_CS_HIDES},
        {"hzgb", "HZ", SK_CS_HIDES},
        {"hz_gb", "HZ", SK_CS_HIDES},
        {"hz_gb_2312", "HZ", SK_CS_HIDES},
        {"ibm039", "IBM037", SK_CS_HIDES}, /* Python's alias */
        {"ebcdic_cp_us", "IBM037", SK_CS_HIDES},
        {"ebcdic_cp_ca", "IBM037", SK_CS_HIDES},
        {"ebcdic_cp_wt", "IBM037", SK_CS_HIDES},
        {"ebcdic_cp_nl", "IBM037", SK_CS_HIDES},
        {"ebcdic_cp_be", "IBM500", SK_CS_HIDES},
        {"ebcdic_cp_ch", "IBM500", SK_CS_HIDES},
        {"ebcdic_cp_he", "IBM424", SK_CS_HIDES},
    };
    char n[64];

    if (name && size)
        name[0] = '\0';
    if (!declared)
        return SK_CS_NONE;
    sk_cs_normalize(declared, n, sizeof(n));
    if (n[0] == '\0') /* none declared (the usual case): no alias, page or name */
        return SK_CS_NONE;
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(n, map[i].alias) == 0) {
            if (name)
                snprintf(name, size, "%s", map[i].name);
            return map[i].kind;
        }
    unsigned page = sk_cs_page(n);
    for (size_t i = 0; page && i < sizeof(sk_ebcdic_pages) / sizeof(sk_ebcdic_pages[0]); i++)
        if (sk_ebcdic_pages[i] == page) {
            if (name)
                sk_ebcdic_name(page, name, size);
            return SK_CS_HIDES;
        }
    /* glibc's own EBCDIC names ("EBCDIC-CP-DK", "EBCDIC-INT"...): iconv
     * opens them by that name */
    if (strncmp(n, "ebcdic", 6) == 0) {
        if (name) {
            size_t i = 0;
            for (; n[i] && i + 1 < size; i++)
                name[i] = n[i] == '_' ? '-' : (char)(n[i] >= 'a' && n[i] <= 'z' ? n[i] - 32 : n[i]);
            name[i] = '\0';
        }
        return SK_CS_HIDES;
    }
    return sk_cs_probe(n, name, size);
}

/* Names opened once and kept open (sk_iconv_open). The pinned
 * descriptors are kept here, reachable, for the life of the process: they
 * exist only to hold glibc's gconv module loaded, and a leak checker must
 * see them as held, not lost. */
#define SK_ICONV_PINS 64
static struct {
    pthread_mutex_t lock;
    size_t n;
    char names[SK_ICONV_PINS][48];
    iconv_t held[SK_ICONV_PINS];
} sk_iconv_pin = {PTHREAD_MUTEX_INITIALIZER, 0, {{0}}, {0}};

/* Descriptors a thread closed, kept open for its next open of the same
 * name (reset to the initial state): iconv_open looks the conversion up
 * and allocates its steps, which a small object's reading paid each time
 * (a URL's base64 run decoded, read as Shift_JIS: 5% of its CPU). Thread
 * local, so no lock; closed when the thread ends (the key's destructor).
 * Static TLS, so a leak checker sees them as held while the thread lives. */
#define SK_ICONV_KEEP 4
static __thread struct {
    char name[48];
    iconv_t cd;
} sk_iconv_kept[SK_ICONV_KEEP];
static pthread_key_t sk_iconv_key;
static pthread_once_t sk_iconv_once = PTHREAD_ONCE_INIT;
static __thread int sk_iconv_keyed;

static void sk_iconv_kept_close(void *arg)
{
    (void)arg;
    for (int i = 0; i < SK_ICONV_KEEP; i++)
        if (sk_iconv_kept[i].name[0]) {
            iconv_close(sk_iconv_kept[i].cd);
            sk_iconv_kept[i].name[0] = '\0';
        }
}

static void sk_iconv_key_make(void)
{
    if (pthread_key_create(&sk_iconv_key, sk_iconv_kept_close) != 0)
        sk_iconv_key = (pthread_key_t)-1;
}

iconv_t sk_iconv_open(const char *from)
{
    size_t i, len = strlen(from);

    for (i = 0; i < SK_ICONV_KEEP; i++)
        if (sk_iconv_kept[i].name[0] && strcmp(sk_iconv_kept[i].name, from) == 0) {
            iconv_t cd = sk_iconv_kept[i].cd;
            sk_iconv_kept[i].name[0] = '\0';
            iconv(cd, NULL, NULL, NULL, NULL);
            return cd;
        }
    iconv_t cd = iconv_open("UTF-8", from);
    if (cd == (iconv_t)-1 || len >= sizeof(sk_iconv_pin.names[0]))
        return cd;
    pthread_mutex_lock(&sk_iconv_pin.lock);
    for (i = 0; i < sk_iconv_pin.n; i++)
        if (strcmp(sk_iconv_pin.names[i], from) == 0)
            break;
    if (i == sk_iconv_pin.n && i < SK_ICONV_PINS &&
        (sk_iconv_pin.held[i] = iconv_open("UTF-8", from)) != (iconv_t)-1)
        memcpy(sk_iconv_pin.names[sk_iconv_pin.n++], from, len + 1);
    pthread_mutex_unlock(&sk_iconv_pin.lock);
    return cd;
}

void sk_iconv_close(const char *from, iconv_t cd)
{
    if (cd == (iconv_t)-1)
        return;
    if (from && *from && strlen(from) < sizeof(sk_iconv_kept[0].name)) {
        if (!sk_iconv_keyed) { /* the thread's first: closed at its end */
            pthread_once(&sk_iconv_once, sk_iconv_key_make);
            sk_iconv_keyed = sk_iconv_key != (pthread_key_t)-1 &&
                             pthread_setspecific(sk_iconv_key, &sk_iconv_keyed) == 0;
        }
        for (int i = 0; sk_iconv_keyed && i < SK_ICONV_KEEP; i++)
            if (!sk_iconv_kept[i].name[0]) {
                strcpy(sk_iconv_kept[i].name, from);
                sk_iconv_kept[i].cd = cd;
                return;
            }
    }
    iconv_close(cd);
}

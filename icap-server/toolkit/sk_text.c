/* sk_text.c - the toolkit's buffer, escapers (JSON, HTML, plain text,
 * headers), UTF-8 validation and FNV-1a. See sekisho/text.h.
 * SECURITY: the only place that turns untrusted bytes into output syntax;
 * it must never emit a raw quote, angle bracket, CR or LF from its input. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sekisho/text.h"
#include "sk_charref_names.h"

int sk_buf_reserve(struct sk_buf *b, size_t extra)
{
    size_t need;
    char *p;

    if (b->failed)
        return -1;
    need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    p = realloc(b->data, cap);
    if (!p) {
        b->failed = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

int sk_buf_append(struct sk_buf *b, const char *s, size_t n)
{
    if (sk_buf_reserve(b, n) == -1)
        return -1;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int sk_buf_puts(struct sk_buf *b, const char *s)
{
    return sk_buf_append(b, s, strlen(s));
}

int sk_buf_printf(struct sk_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        b->failed = 1;
    if (n < 0 || sk_buf_reserve(b, (size_t)n) == -1)
        return -1;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void sk_buf_free(struct sk_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

size_t sk_utf8_len(const unsigned char *s, size_t avail)
{
    unsigned c = s[0];
    size_t n;
    unsigned cp;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n > avail)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

int sk_utf8_valid(const char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        size_t n = sk_utf8_len((const unsigned char *)s + i, len - i);
        if (n == 0 || s[i] == '\0')
            return 0;
        i += n;
    }
    return 1;
}

/* One UTF-8 character from S (AVAIL bytes) into b, or BAD in place of an
 * invalid byte; returns how many input bytes it took. */
static size_t sk_put_utf8(struct sk_buf *b, const unsigned char *s, size_t avail, const char *bad)
{
    size_t n = sk_utf8_len(s, avail);

    if (n == 0) {
        sk_buf_puts(b, bad);
        return 1;
    }
    sk_buf_append(b, (const char *)s, n);
    return n;
}

/* One output syntax: what an ASCII byte becomes (NULL: itself), what an
 * invalid UTF-8 byte becomes, what an invisible control character
 * (sk_ctl_len) becomes - U+FFFD, or with json_u its \uXXXX escape - and
 * the mark of a cut input. plain[] has bit
 * (c & 31) of word c >> 5 set for each ASCII byte c that ascii() leaves as
 * it is, so runs of such bytes (nearly all of a URL or a user name) are
 * skipped without a call per byte; the access log escapes ten fields per
 * request (test_text checks the maps against ascii() for all 128 bytes). */
struct sk_escaper {
    const char *(*ascii)(unsigned c, char tmp[8]);
    const char *bad;
    int json_u;
    const char *ellipsis;
    uint32_t plain[4];
};

/* Length of the UTF-8 character at S (AVAIL bytes) when it is one that
 * no output of client bytes may carry as it is, else 0; its code point in
 * *CP. These are the C1 controls U+0080-U+009F (C2 9B is CSI to a
 * terminal that honours C1 in UTF-8), the line and paragraph separators
 * U+2028/U+2029 (a line break to some viewers, a string's end to older
 * JavaScript), and the bidirectional controls - ALM U+061C, LRM/RLM
 * U+200E/F, LRE..RLO U+202A-U+202E, LRI..PDI U+2066-U+2069 - which make
 * a displayed URL read in another order ("Trojan Source",
 * CVE-2021-42574): "evil.com/\u202egpj.exe" shows as "...exe.jpg". */
static size_t sk_ctl_len(const unsigned char *s, size_t avail, uint32_t *cp)
{
    if (s[0] == 0xc2 && avail >= 2 && s[1] >= 0x80 && s[1] <= 0x9f) {
        *cp = s[1];
        return 2;
    }
    if (s[0] == 0xd8 && avail >= 2 && s[1] == 0x9c) {
        *cp = 0x61c;
        return 2;
    }
    if (s[0] != 0xe2 || avail < 3 || (s[2] & 0xc0) != 0x80)
        return 0;
    *cp = 0x2000u | (uint32_t)(s[1] & 0x3f) << 6 | (uint32_t)(s[2] & 0x3f);
    if ((s[1] == 0x80 && (*cp == 0x200e || *cp == 0x200f || (*cp >= 0x2028 && *cp <= 0x202e))) ||
        (s[1] == 0x81 && *cp >= 0x2066 && *cp <= 0x2069))
        return 3;
    return 0;
}

static const char *sk_json_ascii(unsigned c, char tmp[8])
{
    if (c == '"')
        return "\\\"";
    if (c == '\\')
        return "\\\\";
    if (c == '\n')
        return "\\n";
    if (c == '\t')
        return "\\t";
    if (c >= 0x20 && c != 0x7f)
        return NULL;
    snprintf(tmp, 8, "\\u%04x", c);
    return tmp;
}

static const char *sk_html_ascii(unsigned c, char tmp[8])
{
    switch (c) {
    case '&':
        return "&amp;";
    case '<':
        return "&lt;";
    case '>':
        return "&gt;";
    case '"':
        return "&quot;";
    case '\'':
        return "&#39;";
    }
    /* a control character is shown, so a reader sees it was there */
    return c < 0x20 || c == 0x7f ? "\xef\xbf\xbd" : NULL;
}

static const char *sk_text_ascii(unsigned c, char tmp[8])
{
    return c < 0x20 || c == 0x7f ? "\xef\xbf\xbd" : NULL;
}

static const char *sk_prom_ascii(unsigned c, char tmp[8])
{
    switch (c) {
    case '"':
        return "\\\"";
    case '\\':
        return "\\\\";
    case '\n':
        return "\\n";
    }
    return c < 0x20 || c == 0x7f ? "\xef\xbf\xbd" : NULL;
}

/* 0x20-0x7e without '"' (0x22) and '\\' (0x5c) */
static const struct sk_escaper sk_json_esc = {.ascii = sk_json_ascii,
                                              .bad = "\\ufffd",
                                              .json_u = 1,
                                              .ellipsis = "...",
                                              .plain = {0, 0xfffffffbu, 0xefffffffu, 0x7fffffffu}};
/* 0x20-0x7e without '"' (0x22), '&' (0x26), '\'' (0x27), '<' (0x3c), '>' (0x3e) */
static const struct sk_escaper sk_html_esc = {.ascii = sk_html_ascii,
                                              .bad = "\xef\xbf\xbd",
                                              .ellipsis = "&hellip;",
                                              .plain = {0, 0xafffff3bu, 0xffffffffu, 0x7fffffffu}};
/* 0x20-0x7e */
static const struct sk_escaper sk_text_esc = {.ascii = sk_text_ascii,
                                              .bad = "\xef\xbf\xbd",
                                              .ellipsis = "...",
                                              .plain = {0, 0xffffffffu, 0xffffffffu, 0x7fffffffu}};

/* Prometheus label values: the JSON map, without JSON's \uXXXX */
static const struct sk_escaper sk_prom_esc = {.ascii = sk_prom_ascii,
                                              .bad = "\xef\xbf\xbd",
                                              .ellipsis = "...",
                                              .plain = {0, 0xfffffffbu, 0xefffffffu, 0x7fffffffu}};

static int sk_plain(const struct sk_escaper *e, unsigned c)
{
    return c < 0x80 && (e->plain[c >> 5] >> (c & 31) & 1u);
}

static void sk_escape(struct sk_buf *b, const char *str, size_t max, const struct sk_escaper *e)
{
    const unsigned char *s = (const unsigned char *)(str ? str : "");
    size_t total = strlen((const char *)s);
    size_t end = total < max ? total : max;
    size_t run = 0; /* start of the pending run of bytes taken as they are */
    char tmp[8];
    uint32_t cp;
    size_t n;

    for (size_t i = 0; i < end;) {
        const char *rep;

        if (sk_plain(e, s[i])) {
            i++;
            continue;
        }
        rep = s[i] < 0x80 ? e->ascii(s[i], tmp) : NULL;
        sk_buf_append(b, (const char *)s + run, i - run);
        if (rep) {
            sk_buf_puts(b, rep);
            i++;
        } else if ((n = sk_ctl_len(s + i, end - i, &cp)) != 0) {
            if (e->json_u)
                sk_buf_printf(b, "\\u%04x", (unsigned)cp);
            else
                sk_buf_puts(b, "\xef\xbf\xbd");
            i += n;
        } else {
            i += sk_put_utf8(b, s + i, end - i, e->bad);
        }
        run = i;
    }
    sk_buf_append(b, (const char *)s + run, end - run);
    if (total > max)
        sk_buf_puts(b, e->ellipsis);
}

void sk_json_escape(struct sk_buf *b, const char *s, size_t max)
{
    sk_escape(b, s, max, &sk_json_esc);
}

void sk_html_escape(struct sk_buf *b, const char *s, size_t max)
{
    sk_escape(b, s, max, &sk_html_esc);
}

void sk_text_escape(struct sk_buf *b, const char *s, size_t max)
{
    sk_escape(b, s, max, &sk_text_esc);
}

void sk_prom_label_escape(struct sk_buf *b, const char *s, size_t max)
{
    sk_escape(b, s, max, &sk_prom_esc);
}

void sk_header_sanitize(char *out, size_t size, const char *s)
{
    size_t i = 0;

    if (!size)
        return;
    for (; s && *s && i + 1 < size; s++)
        out[i++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
    out[i] = '\0';
}

uint64_t sk_fnv1a64(const void *data, size_t len, uint64_t seed)
{
    const unsigned char *p = data;
    uint64_t h = seed ? seed : 0xcbf29ce484222325ULL; /* offset basis */

    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL; /* FNV prime */
    }
    return h;
}

static uint64_t sk_le64(const unsigned char *p)
{
    uint64_t v = 0;

    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

#define SK_ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SK_SIPROUND                                                                                \
    do {                                                                                           \
        v0 += v1;                                                                                  \
        v1 = SK_ROTL(v1, 13) ^ v0;                                                                 \
        v0 = SK_ROTL(v0, 32);                                                                      \
        v2 += v3;                                                                                  \
        v3 = SK_ROTL(v3, 16) ^ v2;                                                                 \
        v0 += v3;                                                                                  \
        v3 = SK_ROTL(v3, 21) ^ v0;                                                                 \
        v2 += v1;                                                                                  \
        v1 = SK_ROTL(v1, 17) ^ v2;                                                                 \
        v2 = SK_ROTL(v2, 32);                                                                      \
    } while (0)

uint64_t sk_siphash24(const void *data, size_t len, const unsigned char key[16])
{
    const unsigned char *p = data;
    uint64_t k0 = sk_le64(key), k1 = sk_le64(key + 8);
    uint64_t v0 = k0 ^ 0x736f6d6570736575ULL, v1 = k1 ^ 0x646f72616e646f6dULL;
    uint64_t v2 = k0 ^ 0x6c7967656e657261ULL, v3 = k1 ^ 0x7465646279746573ULL;
    uint64_t m, b = (uint64_t)len << 56;
    size_t i = 0;

    for (; i + 8 <= len; i += 8) {
        m = sk_le64(p + i);
        v3 ^= m;
        SK_SIPROUND;
        SK_SIPROUND;
        v0 ^= m;
    }
    for (size_t j = 0; i + j < len; j++)
        b |= (uint64_t)p[i + j] << (8 * j);
    v3 ^= b;
    SK_SIPROUND;
    SK_SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SK_SIPROUND;
    SK_SIPROUND;
    SK_SIPROUND;
    SK_SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

int sk_b64_digit(unsigned char c, int urlsafe)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || (urlsafe && c == '-'))
        return 62;
    if (c == '/' || (urlsafe && c == '_'))
        return 63;
    return -1;
}

uint32_t sk_cp1252(unsigned char b)
{
    static const uint16_t hi[32] = {0x20ac, 0x81,   0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
                                    0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8d,   0x017d, 0x8f,
                                    0x90,   0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
                                    0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x9d,   0x017e, 0x0178};

    return b >= 0x80 && b < 0xa0 ? hi[b - 0x80] : b;
}

size_t sk_utf8_put(unsigned char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xc0 | cp >> 6);
        out[1] = (unsigned char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp >= 0x110000)
        cp = 0xfffd;
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xe0 | cp >> 12);
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (unsigned char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (unsigned char)(0xf0 | cp >> 18);
    out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (unsigned char)(0x80 | (cp & 0x3f));
    return 4;
}

/* The names, sorted (sk_charref_names.h, generated): the entries that
 * begin with byte C are found by a binary search on their first byte, so
 * a reference costs a few comparisons and at most one bucket of names,
 * whatever follows it ("&&&&" or "&amp&amp..." stays linear). */
#define SK_CHARREF_N (sizeof(sk_charref_names) / sizeof(sk_charref_names[0]))

static size_t sk_charref_first(unsigned char c)
{
    size_t lo = 0, hi = SK_CHARREF_N;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if ((unsigned char)sk_charref_names[mid].name[0] < c)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* TEXT: in text content (a legacy name without ';' is a reference
 * whatever follows it), else in an attribute value. */
static size_t sk_charref(const unsigned char *s, size_t n, int text, uint32_t *cp)
{
    size_t best = 0;

    if (n >= 2 && s[0] == '#') {
        int hex = s[1] == 'x' || s[1] == 'X', digits = 0;
        size_t i = hex ? 2 : 1;
        uint32_t v = 0;
        for (; i < n; i++) {
            int d = hex ? sk_hex_digit(s[i]) : (s[i] >= '0' && s[i] <= '9' ? s[i] - '0' : -1);
            if (d < 0)
                break;
            digits++;
            if (v <= 0x10ffff) /* past it the value stays "too large" */
                v = v * (hex ? 16u : 10u) + (uint32_t)d;
        }
        if (!digits)
            return 0;
        if (i < n && s[i] == ';')
            i++;
        if (v == 0 || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
            v = 0xfffd;
        else if (v >= 0x80 && v <= 0x9f)
            v = sk_cp1252((unsigned char)v); /* windows-1252 */
        *cp = v;
        return i;
    }
    if (n == 0 || !((s[0] | 0x20) >= 'a' && (s[0] | 0x20) <= 'z'))
        return 0; /* names begin with a letter ("&&&..." costs nothing) */
    for (size_t k = sk_charref_first(s[0]); k < SK_CHARREF_N && sk_charref_names[k].name[0] == s[0];
         k++) {
        const char *name = sk_charref_names[k].name;
        size_t len = strlen(name);
        if (len > n || len <= best || memcmp(s, name, len) != 0)
            continue;
        /* a legacy name without ';' before a letter, digit or '=' is no
         * reference in an attribute ("?a=1&lt=2", "&amplifier") */
        if (!text && name[len - 1] != ';' && len < n &&
            (s[len] == '=' || (s[len] >= '0' && s[len] <= '9') ||
             ((s[len] | 0x20) >= 'a' && (s[len] | 0x20) <= 'z')))
            continue;
        best = len; /* the longest name that matches: "nbsp;" over "nbsp" */
        *cp = sk_charref_names[k].cp;
    }
    return best;
}

size_t sk_html_charref(const unsigned char *s, size_t n, uint32_t *cp)
{
    return sk_charref(s, n, 0, cp);
}

size_t sk_html_charref_text(const unsigned char *s, size_t n, uint32_t *cp)
{
    return sk_charref(s, n, 1, cp);
}

int sk_name_ext(const char *name, const char *const *exts)
{
    size_t nl = name ? strlen(name) : 0;

    for (; *exts; exts++)
        if (nl > strlen(*exts) && strcasecmp(name + nl - strlen(*exts), *exts) == 0)
            return 1;
    return 0;
}

int sk_hex_digit(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

long sk_dn_value(const char *s, size_t n, char *out, size_t size, size_t *used)
{
    size_t i = 0, o = 0;

    if (size == 0)
        return -1;
    while (i < n && s[i] != ',' && s[i] != '+') {
        unsigned char c = (unsigned char)s[i++];
        if (c == '\\') {
            int hi, lo;
            if (i >= n)
                return -1;
            if (i + 1 < n && (hi = sk_hex_digit((unsigned char)s[i])) >= 0 &&
                (lo = sk_hex_digit((unsigned char)s[i + 1])) >= 0) {
                c = (unsigned char)(hi << 4 | lo);
                i += 2;
            } else if (sk_hex_digit((unsigned char)s[i]) >= 0) {
                return -1; /* "\2" then no second digit: not a pair */
            } else {
                c = (unsigned char)s[i++];
            }
        }
        if (c < 0x20 || c == 0x7f || o + 1 >= size)
            return -1;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    if (used != NULL)
        *used = i;
    return (long)o;
}

void sk_hex_encode(const unsigned char *in, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 15];
    }
    out[2 * n] = '\0';
}

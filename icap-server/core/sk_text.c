/* sk_text.c - escaping of client-controlled text (JSON, HTML, headers).
 * SECURITY: the only place that turns untrusted bytes into output syntax;
 * it must never emit a raw quote, angle bracket, CR or LF from its input. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sk_text.h"

static int sk_buf_reserve(struct sk_buf *b, size_t extra)
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

void sk_buf_append(struct sk_buf *b, const char *s, size_t n)
{
    if (sk_buf_reserve(b, n) == -1)
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void sk_buf_puts(struct sk_buf *b, const char *s)
{
    sk_buf_append(b, s, strlen(s));
}

void sk_buf_printf(struct sk_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || sk_buf_reserve(b, (size_t)n) == -1)
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void sk_buf_free(struct sk_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

/* Length of the valid UTF-8 sequence at s (at most avail bytes), or 0 if
 * it is not valid (overlongs, surrogates and >U+10FFFF are invalid). */
static size_t sk_utf8_len(const unsigned char *s, size_t avail)
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

int sk_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;

    for (size_t i = 0, k; i < n; i += k) {
        if ((k = sk_utf8_len(p + i, n - i)) == 0)
            return 0;
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

/* Printable ASCII that JSON takes as it is. */
static int sk_json_plain(unsigned c)
{
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

void sk_json_escape(struct sk_buf *b, const char *str, size_t max)
{
    const unsigned char *s = (const unsigned char *)(str ? str : "");
    size_t total = strlen((const char *)s);
    size_t end = total < max ? total : max;

    for (size_t i = 0; i < end;) {
        unsigned c = s[i];
        size_t n;

        if (sk_json_plain(c)) {
            /* a run of plain ASCII goes in with one append */
            for (n = i + 1; n < end && sk_json_plain(s[n]);)
                n++;
            sk_buf_append(b, (const char *)s + i, n - i);
            i = n;
        } else if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            sk_buf_append(b, esc, 2);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            sk_buf_printf(b, "\\u%04x", c);
            i++;
        } else {
            i += sk_put_utf8(b, s + i, end - i, "\\ufffd");
        }
    }
    if (total > max)
        sk_buf_puts(b, "...");
}

void sk_html_escape(struct sk_buf *b, const char *str, size_t max)
{
    const unsigned char *s = (const unsigned char *)(str ? str : "");
    size_t total = strlen((const char *)s);
    size_t end = total < max ? total : max;

    for (size_t i = 0; i < end;) {
        unsigned c = s[i];

        switch (c) {
        case '&':
            sk_buf_puts(b, "&amp;");
            i++;
            continue;
        case '<':
            sk_buf_puts(b, "&lt;");
            i++;
            continue;
        case '>':
            sk_buf_puts(b, "&gt;");
            i++;
            continue;
        case '"':
            sk_buf_puts(b, "&quot;");
            i++;
            continue;
        case '\'':
            sk_buf_puts(b, "&#39;");
            i++;
            continue;
        }
        if (c < 0x20 || c == 0x7f)
            i++;
        else
            i += sk_put_utf8(b, s + i, end - i, "\xef\xbf\xbd");
    }
    if (total > max)
        sk_buf_puts(b, "&hellip;");
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

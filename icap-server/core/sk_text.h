/* sk_text.h - escaping of client-controlled text for JSON, HTML and
 * headers. Every byte a client sent passes through here before it reaches
 * a log line, a block page or a response header. */
#ifndef SK_TEXT_H
#define SK_TEXT_H

#include <stddef.h>

/* A growable byte buffer; sb->data is always NUL-terminated (or NULL when
 * empty). On allocation failure sb->failed is set and appends are dropped. */
struct sk_buf {
    char *data;
    size_t len;
    size_t cap;
    int failed;
};

void sk_buf_append(struct sk_buf *b, const char *s, size_t n);
void sk_buf_puts(struct sk_buf *b, const char *s);
void sk_buf_printf(struct sk_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sk_buf_free(struct sk_buf *b);

/* Append s as the inside of a JSON string: quotes, backslash and control
 * characters escaped, invalid UTF-8 replaced by U+FFFD. At most max input
 * bytes are taken; a longer input ends with "..." */
void sk_json_escape(struct sk_buf *b, const char *s, size_t max);
/* Append s HTML-escaped (& < > " '), control characters dropped, invalid
 * UTF-8 replaced by U+FFFD, at most max input bytes. */
void sk_html_escape(struct sk_buf *b, const char *s, size_t max);
/* Copy s into out (size bytes) keeping printable US-ASCII only: anything
 * else becomes '?'. For values that go into ICAP/HTTP header lines. */
void sk_header_sanitize(char *out, size_t size, const char *s);

/* 1 if s[0..n) is valid UTF-8 (no overlongs, surrogates, >U+10FFFF). */
int sk_utf8_valid(const char *s, size_t n);

#endif

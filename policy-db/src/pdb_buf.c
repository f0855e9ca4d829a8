/* pdb_buf.c - growable byte buffers and JSON string literals for the
 * export writer. Trust: formats database values, never parses input. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdb_store.h"

int sk_pdb_buf_add(struct sk_pdb_buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        char *p;
        while (cap < b->len + n + 1)
            cap *= 2;
        if ((p = realloc(b->p, cap)) == NULL)
            return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

int sk_pdb_buf_str(struct sk_pdb_buf *b, const char *s)
{
    return sk_pdb_buf_add(b, s, strlen(s));
}

int sk_pdb_buf_fmt(struct sk_pdb_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    if ((size_t)n < sizeof(small))
        return sk_pdb_buf_add(b, small, (size_t)n);
    {
        char *big = NULL;
        int rc;
        va_start(ap, fmt);
        n = vasprintf(&big, fmt, ap);
        va_end(ap);
        if (n < 0)
            return -1;
        rc = sk_pdb_buf_add(b, big, (size_t)n);
        free(big);
        return rc;
    }
}

int sk_pdb_buf_json(struct sk_pdb_buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s, *run = p;

    if (sk_pdb_buf_add(b, "\"", 1) == -1)
        return -1;
    for (;; p++) {
        char esc[8];
        const char *e = NULL;
        if (*p != '\0' && *p != '"' && *p != '\\' && *p >= 0x20 && *p != 0x7f)
            continue;
        if (sk_pdb_buf_add(b, (const char *)run, (size_t)(p - run)) == -1)
            return -1;
        if (*p == '\0')
            break;
        switch (*p) {
        case '"':
            e = "\\\"";
            break;
        case '\\':
            e = "\\\\";
            break;
        case '\n':
            e = "\\n";
            break;
        case '\t':
            e = "\\t";
            break;
        default:
            snprintf(esc, sizeof(esc), "\\u%04x", *p);
            e = esc;
        }
        if (sk_pdb_buf_str(b, e) == -1)
            return -1;
        run = p + 1;
    }
    return sk_pdb_buf_add(b, "\"", 1);
}

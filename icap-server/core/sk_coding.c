/* sk_coding.c - the coding chain a message's header fields name
 * (sekisho/decode.h): Content-Encoding and Transfer-Encoding read as one
 * list over every field (repeated fields joined as RFC 9110 reads them),
 * each token parsed to a coding; and the media type of a Content-Type,
 * told apart when repeated fields disagree. The decoder for the chain is
 * sk_decode.c.
 * SECURITY: header values are client/origin-controlled; an unknown or
 * malformed coding is reported (quoted, bounded) for the caller's verdict,
 * never skipped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sekisho/decode.h"
#include "sk_txn.h"
#include "sk_util.h"

/* ---- the coding list ------------------------------------------------- */

static int sk_coding_token(const char *s, size_t n, enum sk_coding *c)
{
    if (n == 4 && strncasecmp(s, "gzip", 4) == 0)
        *c = SK_CODING_GZIP;
    else if (n == 6 && strncasecmp(s, "x-gzip", 6) == 0)
        *c = SK_CODING_GZIP;
    else if (n == 7 && strncasecmp(s, "deflate", 7) == 0)
        *c = SK_CODING_DEFLATE;
    else if (n == 2 && strncasecmp(s, "br", 2) == 0)
        *c = SK_CODING_BR;
    else if (n == 7 && strncasecmp(s, "chunked", 7) == 0)
        *c = SK_CODING_CHUNKED;
    else if (n == 4 && strncasecmp(s, "zstd", 4) == 0)
        *c = SK_CODING_ZSTD;
    else
        return -1;
    return 0;
}

static void sk_coding_bad(const char *s, size_t n, char *bad, size_t size)
{
    size_t o = 0;

    if (!bad || size == 0)
        return;
    for (size_t i = 0; i < n && o + 1 < size; i++)
        bad[o++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
    bad[o] = '\0';
}

int sk_coding_parse(const char *v, struct sk_coding_chain *out, char *bad, size_t badsize)
{
    out->n = 0;
    if (bad && badsize)
        bad[0] = '\0';
    for (const char *p = v; p && *p;) {
        size_t n = strcspn(p, ",");
        const char *s = p;
        size_t m = n;
        enum sk_coding c;

        p += n + (p[n] == ',');
        while (m && (*s == ' ' || *s == '\t'))
            s++, m--;
        while (m && (s[m - 1] == ' ' || s[m - 1] == '\t'))
            m--;
        if (m == 0 || (m == 8 && strncasecmp(s, "identity", 8) == 0))
            continue; /* RFC 9110 5.6.1: empty elements do not count */
        if (sk_coding_token(s, m, &c) == -1 || out->n == SK_CODING_MAX) {
            sk_coding_bad(s, m, bad, badsize);
            return -1;
        }
        out->c[out->n++] = c;
    }
    return 0;
}

/* ---- repeated header fields ------------------------------------------ */

struct sk_header_acc {
    struct sk_buf b;
    int fields;
};

static void sk_header_join(void *arg, const char *value)
{
    struct sk_header_acc *a = arg;

    if (a->fields++)
        sk_buf_append(&a->b, ", ", 2);
    sk_buf_puts(&a->b, value);
}

char *sk_txn_coding_list(const struct sk_txn *t, int response)
{
    char *ce = sk_txn_header_list(t, response, "Content-Encoding");
    char *te = sk_txn_header_list(t, response, "Transfer-Encoding");
    struct sk_buf b = {0};

    if (!te)
        return ce;
    if (!ce)
        return te;
    sk_buf_puts(&b, ce);
    sk_buf_append(&b, ", ", 2);
    sk_buf_puts(&b, te);
    free(ce);
    free(te);
    if (b.failed) {
        sk_buf_free(&b);
        return NULL;
    }
    return b.data;
}

char *sk_txn_header_list(const struct sk_txn *t, int response, const char *name)
{
    struct sk_header_acc a = {{0}, 0};
    const char *v;

    if (response && t->method != SK_RESPMOD)
        return NULL;
    if (t->headers.each)
        t->headers.each(t->headers.ctx, response, name, sk_header_join, &a);
    else if (t->headers.get && (v = t->headers.get(t->headers.ctx, response, name)))
        sk_header_join(&a, v);
    if (a.fields == 0 || a.b.failed) {
        sk_buf_free(&a.b);
        return NULL;
    }
    return a.b.data ? a.b.data : strdup(""); /* all fields empty */
}

void sk_media_type(const char *value, char *out, size_t size)
{
    size_t o = 0;

    if (size == 0)
        return;
    if (value)
        for (; *value == ' ' || *value == '\t'; value++)
            ;
    for (; value && *value && *value != ';' && *value != ' ' && *value != '\t' && *value != ',' &&
           o + 1 < size;
         value++)
        out[o++] = (char)((*value >= 'A' && *value <= 'Z') ? *value + 32 : *value);
    out[o] = '\0';
}

int sk_txn_media_type(const struct sk_txn *t, int response, char *out, size_t size)
{
    char *list = sk_txn_header_list(t, response, "Content-Type"), mt[128];
    int found = 0, quoted = 0;

    if (size == 0) {
        free(list);
        return -1;
    }
    out[0] = '\0';
    if (!list)
        return 0;
    /* every item of the list: the start, and after each comma outside quotes */
    for (char *p = list; p;) {
        sk_media_type(p, mt, sizeof(mt));
        if (strchr(mt, '/')) {
            if (!found++)
                snprintf(out, size, "%s", mt);
            else if (strncmp(out, mt, size - 1) != 0) {
                free(list);
                return -1;
            }
        }
        for (; *p && (quoted || *p != ','); p++) {
            if (*p == '\\' && quoted && p[1])
                p++;
            else if (*p == '"')
                quoted = !quoted;
        }
        p = *p ? p + 1 : NULL;
    }
    free(list);
    return found ? 1 : 0;
}

/* vs_multipart.c - splits multipart bodies (form-data uploads) into their
 * parts so each part's bytes are scanned as a file, NUL bytes and all
 * (ClamAV's mail parser drops NULs from binary parts).
 * SECURITY: parses client-controlled bodies: bounded by the body length,
 * no allocation, lenient about CRLF vs LF so a sloppy sender cannot hide
 * a part; anything not recognisable as multipart is scanned whole. */
#include <string.h>
#include <strings.h>

#include "vs_internal.h"

#define SK_VS_BOUNDARY_MAX 200 /* RFC 2046 says 70; senders exceed it */

int sk_vs_multipart_boundary(const char *ct, char *out, size_t size)
{
    const char *p;
    size_t n = 0;

    if (!ct || strncasecmp(ct, "multipart/", 10) != 0)
        return -1;
    for (p = ct; (p = strchr(p, ';')) != NULL;) {
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        if (strncasecmp(p, "boundary", 8) != 0)
            continue;
        p += 8;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p++ != '=')
            continue;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '"') {
            for (p++; *p && *p != '"' && n + 1 < size; p++)
                out[n++] = *p == '\\' && p[1] ? *++p : *p;
        } else {
            for (; *p && *p != ';' && *p != ' ' && *p != '\t' && n + 1 < size; p++)
                out[n++] = *p;
        }
        out[n] = '\0';
        return n > 0 && n <= SK_VS_BOUNDARY_MAX ? 0 : -1;
    }
    return -1;
}

/* Next "--boundary" at the start of a line at or after FROM. */
static const unsigned char *sk_vs_find_delim(const unsigned char *body, size_t len,
                                             const unsigned char *from, const char *delim,
                                             size_t dlen)
{
    const unsigned char *end = body + len;

    while (from < end) {
        const unsigned char *hit = memmem(from, (size_t)(end - from), delim, dlen);
        if (!hit)
            return NULL;
        if (hit == body || hit[-1] == '\n')
            return hit;
        from = hit + 1;
    }
    return NULL;
}

/* End of the part headers (first empty line) at or after P, or NULL. */
static const unsigned char *sk_vs_headers_end(const unsigned char *p, const unsigned char *end)
{
    while (p < end) {
        const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            return NULL;
        if (nl == p || (nl == p + 1 && *p == '\r'))
            return nl + 1; /* an empty line */
        p = nl + 1;
    }
    return NULL;
}

int sk_vs_multipart_each(const unsigned char *body, size_t len, const char *boundary,
                         sk_vs_part_fn fn, void *arg)
{
    char delim[SK_VS_BOUNDARY_MAX + 3];
    size_t dlen = strlen(boundary) + 2;
    const unsigned char *end = body + len, *p;
    int parts = 0;

    if (dlen > sizeof(delim) - 1 || dlen <= 2)
        return -1;
    delim[0] = delim[1] = '-';
    memcpy(delim + 2, boundary, dlen - 2);
    delim[dlen] = '\0';
    if (!(p = sk_vs_find_delim(body, len, body, delim, dlen)))
        return -1;
    for (;;) {
        p += dlen;
        if (end - p >= 2 && p[0] == '-' && p[1] == '-')
            break; /* close delimiter */
        const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            break;
        const unsigned char *data = sk_vs_headers_end(nl + 1, end);
        if (!data) /* headers never end: scan what follows the delimiter */
            data = nl + 1;
        const unsigned char *next = sk_vs_find_delim(body, len, data, delim, dlen);
        const unsigned char *stop = next ? next : end;
        /* the line break before the delimiter belongs to it */
        if (next && stop > data && stop[-1] == '\n')
            stop--;
        if (next && stop > data && stop[-1] == '\r')
            stop--;
        parts++;
        if (fn(arg, data, (size_t)(stop - data)) == -1)
            return -2;
        if (!next)
            break;
        p = next;
    }
    return parts > 0 ? parts : -1;
}

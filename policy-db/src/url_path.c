/* url_path.c - path and query normalisation: percent-escapes, slashes and
 * dot-segments. SECURITY: input is client-controlled; output is bounded by
 * the 3x expansion the callers allocate for. */
#include <sekisho/text.h>
#include <string.h>

#include "url_internal.h"

static const char sk_url_hex[] = "0123456789ABCDEF";

/* RFC 3986 unreserved: decoding these never changes meaning. */
static int sk_url_unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

/* Characters kept literally in a path (pchar and '/') or query (also '?'). */
static int sk_url_literal(unsigned char c, int query)
{
    if (sk_url_unreserved(c))
        return 1;
    if (c != 0 && strchr("!$&'()*+,;=:@/", c) != NULL)
        return 1;
    return query && c == '?';
}

/* Escape normalisation shared by path and query; OUT holds 3 * LEN + 1. */
static size_t sk_url_escapes(const char *in, size_t len, char *out, int query)
{
    size_t o = 0;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        int hi, lo;

        if (c == '%' && i + 2 < len && (hi = sk_hex_digit((unsigned char)in[i + 1])) >= 0 &&
            (lo = sk_hex_digit((unsigned char)in[i + 2])) >= 0) {
            c = (unsigned char)(hi << 4 | lo);
            i += 2;
            if (sk_url_unreserved(c)) {
                out[o++] = (char)c;
                continue;
            }
        } else if (c == '\\' && !query) {
            out[o++] = '/'; /* IIS and WHATWG read it as a separator */
            continue;
        } else if (sk_url_literal(c, query)) {
            out[o++] = (char)c;
            continue;
        }
        /* An escaped reserved byte, a stray '%' (becomes %25), or a byte
         * outside the URL character set: one upper-case escape. */
        out[o++] = '%';
        out[o++] = sk_url_hex[c >> 4];
        out[o++] = sk_url_hex[c & 15];
    }
    out[o] = '\0';
    return o;
}

size_t sk_url_query_norm(const char *in, size_t len, char *out)
{
    return sk_url_escapes(in, len, out, 1);
}

/*
 * Slashes and dot-segments on the escape-normalised path (so %2e%2e is
 * already ".."). OUT keeps the form "/" or "/s1/.../sn/" while building;
 * the final slash goes when the last input segment was a plain one.
 */
size_t sk_url_path_norm(const char *in, size_t len, char *out)
{
    size_t o = 1, n;
    const char *p, *end, *seg;
    int trailing = 1;

    n = sk_url_escapes(in, len, out + len * 2 + 1, 0);
    /* The escaped copy sits in the upper part of OUT; segments are copied
     * down and never overtake it (output <= input at every point). */
    p = out + len * 2 + 1;
    end = p + n;
    out[0] = '/';
    while (p < end) {
        seg = p;
        while (p < end && *p != '/')
            p++;
        n = (size_t)(p - seg);
        if (p < end)
            p++;
        if (n == 0 || (n == 1 && seg[0] == '.')) {
            trailing = 1;
            continue;
        }
        if (n == 2 && seg[0] == '.' && seg[1] == '.') {
            if (o > 1) {
                o--;
                while (o > 0 && out[o - 1] != '/')
                    o--;
            }
            trailing = 1;
            continue;
        }
        memmove(out + o, seg, n);
        o += n;
        out[o++] = '/';
        trailing = p > seg + n; /* a '/' followed the segment */
    }
    if (!trailing && o > 1)
        o--;
    out[o] = '\0';
    return o;
}

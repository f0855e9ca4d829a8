/* sk_bench_resp.c - streaming parser of ICAP responses for icapbench.
 * Input comes from the server under test and is not trusted: every length
 * is bounded and malformed input is a protocol error, never a crash. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sk_bench.h"

void sk_resp_reset(struct sk_resp *r)
{
    memset(r, 0, sizeof(*r));
    r->state = SK_RESP_HDR;
}

/* Finds "\r\n" in buf[0..len); returns its offset or -1. */
static long sk_find_crlf(const char *buf, size_t len)
{
    const char *p = memchr(buf, '\n', len);

    if (p == NULL)
        return -1;
    if (p == buf || p[-1] != '\r')
        return -2; /* bare LF: not ICAP */
    return (long)(p - buf - 1);
}

/* "req-hdr=0, res-hdr=123, res-body=456": the last entry is the body (or
 * null-body) and its offset is the length of the encapsulated headers. */
static int sk_parse_encap(struct sk_resp *r, const char *v, const char *end)
{
    const char *last = NULL, *p;

    for (p = v; p < end; p++) {
        if (p == v || p[-1] == ',' || p[-1] == ' ')
            if (isalpha((unsigned char)*p))
                last = p;
    }
    if (last == NULL)
        return -1;
    p = memchr(last, '=', (size_t)(end - last));
    if (p == NULL || p + 1 >= end || !isdigit((unsigned char)p[1]))
        return -1;
    r->skip = strtoull(p + 1, NULL, 10);
    if (r->skip > (1u << 20))
        return -1;
    r->has_body = (p - last >= 5 && strncasecmp(p - 5, "-body", 5) == 0 &&
                   strncasecmp(last, "null-body", 9) != 0);
    return 0;
}

/* Parses the status line and headers of one ICAP response block. */
static int sk_parse_head(struct sk_resp *r, const char *buf, size_t len)
{
    const char *line = buf, *end = buf + len, *eol, *colon, *v;

    if (len < 12 || strncmp(buf, "ICAP/1.0 ", 9) != 0)
        return -1;
    r->status = atoi(buf + 9);
    if (r->status < 100 || r->status > 999)
        return -1;
    while (line < end) {
        eol = memchr(line, '\r', (size_t)(end - line));
        if (eol == NULL)
            eol = end;
        colon = memchr(line, ':', (size_t)(eol - line));
        if (colon != NULL) {
            for (v = colon + 1; v < eol && (*v == ' ' || *v == '\t'); v++)
                ;
            if (colon - line == 12 && strncasecmp(line, "Encapsulated", 12) == 0) {
                if (sk_parse_encap(r, v, eol) == -1)
                    return -1;
            } else if (colon - line == 10 && strncasecmp(line, "Connection", 10) == 0 &&
                       eol - v >= 5 && strncasecmp(v, "close", 5) == 0) {
                r->conn_close = 1;
            }
        }
        line = eol + 2;
    }
    return 0;
}

/* One step of the state machine; returns bytes consumed, 0 when more input
 * is needed, -1 on error. */
static long sk_resp_step(struct sk_resp *r, const char *buf, size_t len)
{
    const char *hend;
    long crlf;
    size_t n;
    char *e;

    switch (r->state) {
    case SK_RESP_HDR:
        hend = memmem(buf, len, "\r\n\r\n", 4);
        if (hend == NULL)
            return 0;
        if (sk_parse_head(r, buf, (size_t)(hend - buf)) == -1)
            return -1;
        if (r->status == 100)
            r->state = SK_RESP_DONE;
        else if (r->skip > 0)
            r->state = SK_RESP_ENCAP_SKIP;
        else
            r->state = r->has_body ? SK_RESP_CHUNK_SIZE : SK_RESP_DONE;
        return hend - buf + 4;
    case SK_RESP_ENCAP_SKIP:
    case SK_RESP_CHUNK_DATA:
        n = len < r->skip ? len : (size_t)r->skip;
        r->skip -= n;
        if (r->state == SK_RESP_CHUNK_DATA)
            r->body_bytes += n;
        if (r->skip == 0) {
            if (r->state == SK_RESP_CHUNK_DATA)
                r->state = SK_RESP_CHUNK_CRLF;
            else
                r->state = r->has_body ? SK_RESP_CHUNK_SIZE : SK_RESP_DONE;
        }
        return (long)n;
    case SK_RESP_CHUNK_SIZE:
        if ((crlf = sk_find_crlf(buf, len)) == -1)
            return 0;
        if (crlf < 1 || !isxdigit((unsigned char)buf[0]))
            return -1;
        r->skip = strtoull(buf, &e, 16);
        if (e == buf || (e < buf + crlf && *e != ';' && *e != ' ') || r->skip > (1ull << 40))
            return -1;
        r->state = r->skip == 0 ? SK_RESP_TRAILER : SK_RESP_CHUNK_DATA;
        return crlf + 2;
    case SK_RESP_CHUNK_CRLF:
        if (len < 2)
            return 0;
        if (buf[0] != '\r' || buf[1] != '\n')
            return -1;
        r->state = SK_RESP_CHUNK_SIZE;
        return 2;
    case SK_RESP_TRAILER:
        if ((crlf = sk_find_crlf(buf, len)) == -1)
            return 0;
        if (crlf < 0)
            return -1;
        if (crlf == 0)
            r->state = SK_RESP_DONE;
        return crlf + 2;
    case SK_RESP_DONE:
        return 0;
    }
    return -1;
}

long sk_resp_feed(struct sk_resp *r, const char *buf, size_t len)
{
    size_t used = 0;
    long n;

    while (used < len && r->state != SK_RESP_DONE) {
        n = sk_resp_step(r, buf + used, len - used);
        if (n == -1)
            return -1;
        if (n == 0)
            break;
        used += (size_t)n;
    }
    return (long)used;
}

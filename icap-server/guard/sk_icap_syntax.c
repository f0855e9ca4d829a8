/* sk_icap_syntax.c - strict parsers for ICAP request headers, Encapsulated
 * values and chunk-size lines (see sk_icap_syntax.h for the grammar).
 * Trust boundary: parses client bytes; never reads past a NUL or len. */
#include <sekisho/text.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "sk_icap_syntax.h"

static const struct {
    const char *name;
    size_t len;
    enum sk_encaps_type type;
} sk_encaps_names[] = {
    {"req-hdr", 7, SK_ENC_REQ_HDR},     {"res-hdr", 7, SK_ENC_RES_HDR},
    {"req-body", 8, SK_ENC_REQ_BODY},   {"res-body", 8, SK_ENC_RES_BODY},
    {"null-body", 9, SK_ENC_NULL_BODY},
};

static int sk_is_ws(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* One "name=digits" at *pp; advances *pp. Returns 0 or -1. */
static int sk_encaps_entity(const char **pp, enum sk_encaps_type *type, long *off)
{
    const char *p = *pp;
    size_t k;
    int digits = 0;
    long v = 0;

    for (k = 0; k < sizeof(sk_encaps_names) / sizeof(sk_encaps_names[0]); k++) {
        if (strncmp(p, sk_encaps_names[k].name, sk_encaps_names[k].len) == 0 &&
            p[sk_encaps_names[k].len] == '=')
            break;
    }
    if (k == sizeof(sk_encaps_names) / sizeof(sk_encaps_names[0]))
        return -1;
    p += sk_encaps_names[k].len + 1;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (++digits > 9)
            return -1;
        v = v * 10 + (*p - '0');
    }
    if (digits == 0)
        return -1;
    *type = sk_encaps_names[k].type;
    *off = v;
    *pp = p;
    return 0;
}

/* Order and offsets of the entities parsed so far, the last one new. */
static int sk_encaps_order(const struct sk_encaps *e, const char **why)
{
    int i = e->n - 1;

    if (i == 0 && e->off[0] != 0)
        return *why = "first Encapsulated offset is not 0", -1;
    if (e->off[i] > SK_ENCAPS_MAX_OFFSET)
        return *why = "Encapsulated offset too large", -1;
    if (i == 0)
        return 0;
    if (e->off[i] <= e->off[i - 1])
        return *why = "Encapsulated offsets not increasing", -1;
    if (e->type[i - 1] > SK_ENC_RES_HDR)
        return *why = "Encapsulated entity after the body", -1;
    /* a header section ends in CRLF CRLF: c-icap compares its last 4 bytes
     * without checking that there are 4 (it reads before its buffer) */
    if (e->off[i] - e->off[i - 1] < 4)
        return *why = "Encapsulated header section shorter than its CRLF CRLF end", -1;
    if (e->type[i] <= SK_ENC_RES_HDR && e->type[i] <= e->type[i - 1])
        return *why = "Encapsulated header entities repeated or out of order", -1;
    return 0;
}

int sk_encaps_parse(const char *value, struct sk_encaps *out, const char **why)
{
    const char *p = value;

    out->n = 0;
    while (sk_is_ws(*p))
        p++;
    for (;;) {
        if (out->n == SK_ENCAPS_MAX)
            return *why = "more than 3 Encapsulated entities", -1;
        if (sk_encaps_entity(&p, &out->type[out->n], &out->off[out->n]) == -1)
            return *why = "Encapsulated entity is not name=offset", -1;
        out->n++;
        if (sk_encaps_order(out, why) == -1)
            return -1;
        while (sk_is_ws(*p))
            p++;
        if (*p == '\0')
            return 0;
        if (*p != ',')
            return *why = "junk between Encapsulated entities", -1;
        p++;
        while (sk_is_ws(*p))
            p++;
    }
}

/* RFC 7230 tchar. */
static int sk_is_tchar(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Preview value: [ws] 1*9DIGIT [ws]. Returns the value or -1. */
static long sk_preview_value(const char *p)
{
    long v = 0;
    int digits = 0;

    while (sk_is_ws(*p))
        p++;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (++digits > 9)
            return -1;
        v = v * 10 + (*p - '0');
    }
    while (sk_is_ws(*p))
        p++;
    return digits > 0 && *p == '\0' ? v : -1;
}

int sk_icap_headers_check(char *const *lines, int n, long max_preview, const char **why)
{
    struct sk_encaps e;
    int n_encaps = 0, n_preview = 0;

    for (int i = 1; i < n; i++) {
        const char *l = lines[i], *colon = l;
        size_t name_len;

        while (sk_is_tchar((unsigned char)*colon))
            colon++;
        if (colon == l || *colon != ':')
            return *why = "ICAP header line is not 'name: value'", SK_HDR_BAD;
        name_len = (size_t)(colon - l);
        if (name_len == 12 && strncasecmp(l, "Encapsulated", 12) == 0) {
            if (++n_encaps > 1)
                return *why = "more than one Encapsulated header", SK_HDR_BAD;
            if (sk_encaps_parse(colon + 1, &e, why) == -1)
                return SK_HDR_BAD;
        } else if (name_len == 7 && strncasecmp(l, "Preview", 7) == 0) {
            long v = sk_preview_value(colon + 1);

            if (++n_preview > 1)
                return *why = "more than one Preview header", SK_HDR_BAD;
            if (v < 0)
                return *why = "Preview is not a decimal size", SK_HDR_BAD;
            if (max_preview >= 0 && v > max_preview)
                return *why = "Preview larger than the configured maximum", SK_HDR_PREVIEW_BIG;
        }
    }
    return SK_HDR_OK;
}

/* Extension of the last chunk, from i: [SP/HT] [";" [SP/HT] "ieof" [SP/HT]].
 * "ieof" is the only one a client sends (RFC 3507 4.5); c-icap refuses
 * others except "use-original-body=", a server-to-client extension it would
 * take from the client with strtol(). Returns the offset of the CR, 0 when
 * incomplete, -1 when refused. */
static long sk_chunk_ext(const char *line, long i, long len)
{
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    if (i < len && line[i] == ';') {
        i++;
        while (i < len && (line[i] == ' ' || line[i] == '\t'))
            i++;
        for (int k = 0; k < 4; k++, i++) {
            if (i == len)
                return 0;
            if (line[i] != "ieof"[k])
                return -1;
        }
        while (i < len && (line[i] == ' ' || line[i] == '\t'))
            i++;
    }
    if (i >= SK_CHUNK_LINE_MAX)
        return -1;
    if (i == len)
        return 0;
    return line[i] == '\r' ? i : -1;
}

long sk_chunk_line(const char *p, long len, long *size)
{
    long i = 0, v = 0, cr;
    int d;

    for (; i < len && (d = sk_hex_digit((unsigned char)p[i])) >= 0; i++) {
        if (i >= 16)
            return -1;
        v = v * 16 + d;
        if (v > SK_CHUNK_MAX)
            return -1;
    }
    if (i == len)
        return 0;
    if (i == 0)
        return -1;
    if (v != 0)
        cr = p[i] == '\r' ? i : -1;
    else if ((cr = sk_chunk_ext(p, i, len)) <= 0)
        return cr;
    if (cr < 0)
        return -1;
    if (cr + 1 >= len)
        return 0;
    if (p[cr + 1] != '\n')
        return -1;
    *size = v;
    return cr + 2;
}

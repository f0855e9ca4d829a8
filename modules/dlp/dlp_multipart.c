/* dlp_multipart.c - streaming multipart/form-data: finds delimiters across
 * writes with a hold-back of less than one delimiter, and gives every part
 * (preamble and epilogue included) its own object chain, chosen by the
 * part's Content-Type and file name. Parts never run together: each one
 * ends with an engine boundary.
 * SECURITY: client-controlled; part headers are capped (8 KiB) and a part
 * whose headers never end is inspected as plain bytes.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dlp.h"

#define SK_MP_BOUNDARY 200
#define SK_MP_DELIM (SK_MP_BOUNDARY + 4)
#define SK_MP_HDRS 8192

enum sk_mp_state { SK_MP_BODY, SK_MP_AFTER, SK_MP_PAD, SK_MP_HEADERS };

struct sk_mp {
    struct sk_dlp_sink sink;
    struct sk_dlp_ctx *ctx;
    int depth;
    enum sk_mp_state state;
    unsigned char delim[SK_MP_DELIM]; /* CRLF "--" boundary */
    size_t dlen;
    unsigned char hold[2 * SK_MP_DELIM];
    size_t hlen;
    char after[2];
    size_t nafter, npad;
    char hdrs[SK_MP_HDRS + 1];
    size_t nh;
    int closed; /* the close delimiter was seen: the rest is epilogue */
    struct sk_dlp_sink *part;
};

static int sk_mp_emit(struct sk_mp *m, const unsigned char *p, size_t n)
{
    return m->part ? sk_dlp_put(m->part, p, n) : 0;
}

static int sk_mp_end_part(struct sk_mp *m)
{
    int rc = 0;

    if (m->part) {
        rc = m->part->end(m->part);
        m->part->destroy(m->part);
        m->part = NULL;
    }
    return rc;
}

/* A plain object for preamble/epilogue bytes (never sent to the
 * application, but a place to hide data). */
static int sk_mp_plain(struct sk_mp *m)
{
    sk_dlp_engine_where(m->ctx->e, "");
    m->part = sk_dlp_norm_new(m->ctx, NULL);
    return m->part ? 0 : -1;
}

/* Longest suffix of P[0..N) that is a proper prefix of the delimiter. */
static size_t sk_mp_partial(const struct sk_mp *m, const unsigned char *p, size_t n)
{
    size_t s = n < m->dlen - 1 ? n : m->dlen - 1;

    for (; s > 0; s--)
        if (p[n - s] == '\r' && memcmp(p + n - s, m->delim, s) == 0)
            return s;
    return 0;
}

/* Part data until the delimiter. Returns 1 when it was found (*used counts
 * up to its end), 0 when all of P was taken, -1 on error. */
static int sk_mp_body(struct sk_mp *m, const unsigned char *p, size_t n, size_t *used)
{
    const unsigned char *k;
    size_t s;

    *used = 0;
    while (n > 0) {
        if (m->hlen > 0 || n < m->dlen) {
            size_t take = sizeof(m->hold) - m->hlen < n ? sizeof(m->hold) - m->hlen : n;
            memcpy(m->hold + m->hlen, p, take);
            m->hlen += take, p += take, n -= take, *used += take;
            if ((k = memmem(m->hold, m->hlen, m->delim, m->dlen)) != NULL) {
                size_t at = (size_t)(k - m->hold), rest = m->hlen - at - m->dlen;
                *used -= rest; /* the rest came with this write: give it back */
                m->hlen = 0;
                return sk_mp_emit(m, m->hold, at) == -1 ? -1 : 1;
            }
            s = sk_mp_partial(m, m->hold, m->hlen);
            if (sk_mp_emit(m, m->hold, m->hlen - s) == -1)
                return -1;
            memmove(m->hold, m->hold + m->hlen - s, s);
            m->hlen = s;
            continue;
        }
        if ((k = memmem(p, n, m->delim, m->dlen)) != NULL) {
            *used += (size_t)(k - p) + m->dlen;
            return sk_mp_emit(m, p, (size_t)(k - p)) == -1 ? -1 : 1;
        }
        s = sk_mp_partial(m, p, n);
        if (sk_mp_emit(m, p, n - s) == -1)
            return -1;
        memcpy(m->hold, p + n - s, s);
        m->hlen = s;
        *used += n;
        return 0;
    }
    return 0;
}

/* Value of header NAME in the collected part headers, into OUT. */
static int sk_mp_header(const char *hdrs, const char *name, char *out, size_t size)
{
    size_t nl = strlen(name);

    for (const char *l = hdrs; *l;) {
        size_t len = strcspn(l, "\n");
        if (len > nl && strncasecmp(l, name, nl) == 0 && l[nl] == ':') {
            const char *v = l + nl + 1;
            size_t vl = len - nl - 1;
            while (vl && (*v == ' ' || *v == '\t'))
                v++, vl--;
            while (vl && (v[vl - 1] == '\r' || v[vl - 1] == ' '))
                vl--;
            if (vl >= size)
                vl = size - 1;
            memcpy(out, v, vl);
            out[vl] = '\0';
            return 0;
        }
        l += len + (l[len] == '\n');
    }
    return -1;
}

static int sk_mp_start_part(struct sk_mp *m)
{
    char ctype[256] = "", disp[1024] = "", fname[256] = "";

    m->hdrs[m->nh] = '\0';
    sk_mp_header(m->hdrs, "content-type", ctype, sizeof(ctype));
    if (sk_mp_header(m->hdrs, "content-disposition", disp, sizeof(disp)) == 0 &&
        sk_dlp_param(disp, "filename", fname, sizeof(fname)) == -1)
        sk_dlp_param(disp, "filename*", fname, sizeof(fname));
    sk_dlp_engine_where(m->ctx->e, fname);
    m->part = sk_dlp_object_new(m->ctx, *ctype ? ctype : NULL, *fname ? fname : NULL,
                                m->depth + 1);
    return m->part ? 0 : -1;
}

/* Headers end at an empty line; returns bytes of P used, or -1. */
static long sk_mp_headers(struct sk_mp *m, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        m->hdrs[m->nh++] = (char)p[i];
        int end = (m->nh >= 2 && m->hdrs[m->nh - 1] == '\n' && m->hdrs[m->nh - 2] == '\n') ||
                  (m->nh >= 4 && memcmp(m->hdrs + m->nh - 4, "\r\n\r\n", 4) == 0);
        if (end || m->nh == SK_MP_HDRS) {
            m->state = SK_MP_BODY;
            if (!end) { /* no end in sight: inspect it all as plain bytes */
                if (sk_mp_plain(m) == -1 || sk_dlp_put(m->part, m->hdrs, m->nh) == -1)
                    return -1;
            } else if (sk_mp_start_part(m) == -1) {
                return -1;
            }
            return (long)i + 1;
        }
    }
    return (long)n;
}

static int sk_mp_write(struct sk_dlp_sink *s, const unsigned char *p, size_t n)
{
    struct sk_mp *m = (struct sk_mp *)s;
    size_t used;
    long h;
    int r;

    while (n > 0) {
        if (m->closed) /* epilogue: no more delimiters to look for */
            return sk_dlp_put(m->part, p, n);
        switch (m->state) {
        case SK_MP_BODY:
            if ((r = sk_mp_body(m, p, n, &used)) == -1)
                return -1;
            p += used, n -= used;
            if (r == 1) {
                if (sk_mp_end_part(m) == -1)
                    return -1;
                m->state = SK_MP_AFTER;
                m->nafter = 0;
            }
            break;
        case SK_MP_AFTER: /* "--" closes; anything else is padding + CRLF */
            m->after[m->nafter++] = (char)*p++;
            n--;
            if (m->nafter == 2) {
                if (memcmp(m->after, "--", 2) == 0) {
                    m->closed = 1;
                    m->state = SK_MP_BODY;
                    if (sk_mp_plain(m) == -1)
                        return -1;
                } else if (m->after[0] == '\r' && m->after[1] == '\n') {
                    m->state = SK_MP_HEADERS;
                    m->nh = 0;
                } else {
                    m->state = m->after[1] == '\n' ? SK_MP_HEADERS : SK_MP_PAD;
                    m->nh = 0;
                    m->npad = 0;
                }
            }
            break;
        case SK_MP_PAD:
            if (*p == '\n' || ++m->npad > 1024) {
                m->state = SK_MP_HEADERS;
                m->nh = 0;
            }
            p++, n--;
            break;
        case SK_MP_HEADERS:
            if ((h = sk_mp_headers(m, p, n)) < 0)
                return -1;
            p += h, n -= (size_t)h;
            break;
        }
    }
    return 0;
}

static int sk_mp_end(struct sk_dlp_sink *s)
{
    struct sk_mp *m = (struct sk_mp *)s;

    if (m->state == SK_MP_HEADERS && m->nh > 0) {
        if (sk_mp_plain(m) == -1 || sk_dlp_put(m->part, m->hdrs, m->nh) == -1)
            return -1;
    }
    if (m->hlen && sk_mp_emit(m, m->hold, m->hlen) == -1)
        return -1;
    m->hlen = 0;
    return sk_mp_end_part(m);
}

static void sk_mp_destroy(struct sk_dlp_sink *s)
{
    struct sk_mp *m = (struct sk_mp *)s;

    if (m->part)
        m->part->destroy(m->part);
    free(m);
}

struct sk_dlp_sink *sk_dlp_multipart_new(struct sk_dlp_ctx *ctx, const char *boundary)
{
    struct sk_mp *m;
    size_t bl = strlen(boundary);
    size_t u;

    if (bl == 0 || bl > SK_MP_BOUNDARY || (m = calloc(1, sizeof(*m))) == NULL)
        return NULL;
    m->sink = (struct sk_dlp_sink){.write = sk_mp_write, .end = sk_mp_end,
                                   .destroy = sk_mp_destroy};
    m->ctx = ctx;
    memcpy(m->delim, "\r\n--", 4);
    memcpy(m->delim + 4, boundary, bl);
    m->dlen = bl + 4;
    m->state = SK_MP_BODY;
    /* The first delimiter has no CRLF before it: pretend there was one. */
    if (sk_mp_plain(m) == -1 || sk_mp_body(m, (const unsigned char *)"\r\n", 2, &u) == -1) {
        sk_mp_destroy(&m->sink);
        return NULL;
    }
    return &m->sink;
}

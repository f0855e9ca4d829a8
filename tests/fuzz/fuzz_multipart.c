/* fuzz_multipart.c - libFuzzer target for the core multipart parser
 * (icap-server/core/sk_multipart.c), its message reader and the boundary
 * parameter parser. Input: one control byte (chunk schedule), then a
 * Content-Type line, a newline, and the body: read as a multipart when the
 * line gives a boundary, else as a mail message (sk_mp_new_message; and
 * sk_mp_message_like on its first bytes), or as an mbox (sk_mp_new_mbox)
 * when the control byte's high bit is set.
 * Oracles: the chunk schedule - a client's choice - changes nothing in the
 * sequence of objects (kind, depth, type, file name) and their bytes; and a
 * round trip: the body cut into up to four pieces, each sent as a part of
 * a well-formed form (RFC 2046 delimiters on a boundary none of the
 * pieces holds; the piece as it is, base64 or quoted-printable, with a
 * file name), comes back as exactly those parts with exactly those bytes
 * (a well-formed body read otherwise is a silent mis-parse). */
#include <string.h>

#include <sekisho/decode.h>

#include "sk_fuzz.h"

static int sk_fuzz_begin(void *arg, const struct sk_mp_part *p)
{
    char h[64];
    int n = snprintf(h, sizeof(h), "<%d:%d:%d:", (int)p->kind, p->depth, p->malformed);
    sk_fuzz_put(arg, h, (size_t)n);
    sk_fuzz_put(arg, p->content_type, strlen(p->content_type));
    sk_fuzz_put(arg, "|", 1);
    return sk_fuzz_put(arg, p->filename, strlen(p->filename));
}

static int sk_fuzz_data(void *arg, const void *buf, size_t len)
{
    return sk_fuzz_put(arg, buf, len);
}

static int sk_fuzz_end(void *arg)
{
    return sk_fuzz_put(arg, ">", 1);
}

static void sk_fuzz_parse(const char *boundary, int mbox, const uint8_t *d, size_t n, unsigned seed,
                          struct sk_buf *l)
{
    struct sk_mp_handler h = {sk_fuzz_begin, sk_fuzz_data, sk_fuzz_end, l, NULL};
    struct sk_mp *m = boundary ? sk_mp_new(boundary, &h)
                      : mbox   ? sk_mp_new_mbox(&h)
                               : sk_mp_new_message(&h);

    SK_FUZZ_CHECK(m != NULL, "parser");
    for (size_t off = 0, i = 0, c; off < n; off += c, i++) {
        c = seed == 0 ? n - off : 1 + (seed * 5 + i * 11) % 67;
        if (c > n - off)
            c = n - off;
        SK_FUZZ_CHECK(sk_mp_write(m, d + off, c) == 0, "write");
    }
    SK_FUZZ_CHECK(sk_mp_end(m) == 0, "end");
    sk_mp_free(m);
}

/* ---- the round trip ---------------------------------------------------- */

struct sk_fuzz_rt {
    struct sk_buf got[4];
    char name[4][16];
    int parts, open, bad;
};

static int sk_fuzz_rt_begin(void *arg, const struct sk_mp_part *p)
{
    struct sk_fuzz_rt *r = arg;

    r->open = p->kind == SK_MP_PART;
    if (!r->open)
        return 0;
    if (r->parts >= 4 || p->depth != 0 || p->malformed || p->ambiguous ||
        strcmp(p->content_type, "application/octet-stream") != 0)
        r->bad = 1;
    else
        snprintf(r->name[r->parts], sizeof(r->name[0]), "%s", p->filename);
    r->parts++;
    return 0;
}

static int sk_fuzz_rt_data(void *arg, const void *buf, size_t len)
{
    struct sk_fuzz_rt *r = arg;

    if (r->open && r->parts <= 4)
        sk_fuzz_put(&r->got[r->parts - 1], buf, len);
    return 0;
}

static int sk_fuzz_rt_end(void *arg)
{
    ((struct sk_fuzz_rt *)arg)->open = 0;
    return 0;
}

/* P[0..N) as coding K (0: as it is, 1: base64 in 76-character lines, 2:
 * quoted-printable with every byte but letters and digits escaped and
 * soft line breaks) onto O. */
static void sk_fuzz_rt_encode(int k, const uint8_t *p, size_t n, struct sk_buf *o)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static const char hex[] = "0123456789ABCDEF";
    size_t col = 0;

    if (k == 0) {
        sk_fuzz_put(o, p, n);
        return;
    }
    for (size_t i = 0; i < n;) {
        char q[4];
        size_t w;
        if (k == 1) {
            unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
                         (i + 2 < n ? p[i + 2] : 0);
            for (int j = 0; j < 4; j++)
                q[j] = (size_t)j <= n - i ? b64[(v >> (18 - 6 * j)) & 63] : '=';
            i += 3, w = 4;
        } else if ((p[i] >= '0' && p[i] <= '9') || ((p[i] | 32) >= 'a' && (p[i] | 32) <= 'z')) {
            q[0] = (char)p[i++], w = 1;
        } else {
            q[0] = '=', q[1] = hex[p[i] >> 4], q[2] = hex[p[i] & 15];
            i++, w = 3;
        }
        if (col + w > 72) {
            sk_fuzz_put(o, k == 1 ? "\r\n" : "=\r\n", k == 1 ? 2 : 3);
            col = 0;
        }
        sk_fuzz_put(o, q, w);
        col += w;
    }
}

static void sk_fuzz_roundtrip(const uint8_t *d, size_t n, unsigned ctl)
{
    static const char *const cte[3] = {"", "Content-Transfer-Encoding: base64\r\n",
                                       "Content-Transfer-Encoding: quoted-printable\r\n"};
    int k = 1 + (int)(ctl & 3);
    struct sk_buf enc[4] = {{0}}, body = {0};
    char boundary[32], delim[40];
    struct sk_fuzz_rt r = {0};
    int b = 0;

    for (int i = 0; i < k; i++)
        sk_fuzz_rt_encode((int)((ctl >> 2) + (unsigned)i) % 3, d + n * (size_t)i / (size_t)k,
                          n * (size_t)(i + 1) / (size_t)k - n * (size_t)i / (size_t)k, &enc[i]);
    /* a boundary none of the encoded pieces holds */
    for (int clash = 1; clash; b++) {
        snprintf(boundary, sizeof(boundary), "sk%d", b);
        snprintf(delim, sizeof(delim), "--%s", boundary);
        clash = 0;
        for (int i = 0; i < k && !clash; i++)
            clash = enc[i].len && memmem(enc[i].data, enc[i].len, delim, strlen(delim)) != NULL;
    }
    for (int i = 0; i < k; i++) {
        char h[320];
        int hn = snprintf(h, sizeof(h),
                          "%s\r\nContent-Type: application/octet-stream\r\n"
                          "Content-Disposition: form-data; name=\"f\"; filename=\"f%d.bin\"\r\n"
                          "%s\r\n",
                          delim, i, cte[((ctl >> 2) + (unsigned)i) % 3]);
        sk_fuzz_put(&body, h, (size_t)hn);
        sk_fuzz_put(&body, enc[i].data, enc[i].len);
        sk_fuzz_put(&body, "\r\n", 2);
    }
    sk_fuzz_put(&body, delim, strlen(delim));
    sk_fuzz_put(&body, "--\r\n", 4);

    struct sk_mp_handler h = {sk_fuzz_rt_begin, sk_fuzz_rt_data, sk_fuzz_rt_end, &r, NULL};
    struct sk_mp *m = sk_mp_new(boundary, &h);
    SK_FUZZ_CHECK(m != NULL, "parser");
    SK_FUZZ_CHECK(sk_mp_write(m, body.data, body.len) == 0 && sk_mp_end(m) == 0, "write");
    sk_mp_free(m);
    SK_FUZZ_CHECK(r.parts == k && !r.bad, "round trip: %d parts of %d, bad %d", r.parts, k, r.bad);
    for (int i = 0; i < k; i++) {
        size_t a = n * (size_t)i / (size_t)k, len = n * (size_t)(i + 1) / (size_t)k - a;
        char want[16];
        snprintf(want, sizeof(want), "f%d.bin", i);
        SK_FUZZ_CHECK(strcmp(r.name[i], want) == 0, "round trip: part %d named '%s'", i, r.name[i]);
        SK_FUZZ_CHECK(r.got[i].len == len && (len == 0 || memcmp(r.got[i].data, d + a, len) == 0),
                      "round trip: part %d (coding %u) came back as %zu bytes of %zu", i,
                      ((ctl >> 2) + (unsigned)i) % 3, r.got[i].len, len);
    }
    for (int i = 0; i < 4; i++)
        sk_buf_free(&enc[i]), sk_buf_free(&r.got[i]);
    sk_buf_free(&body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char boundary[SK_MP_BOUNDARY_MAX + 1];
    struct sk_buf whole = {0}, parts = {0};
    const uint8_t *nl;
    char *ct;
    unsigned seed;

    if (size < 2 || !(nl = memchr(data + 1, '\n', size - 1)))
        return 0;
    seed = 1 + data[0];
    /* exactly the header's bytes: a read past its NUL is an ASan finding */
    ct = sk_fuzz_cstr(data + 1, (size_t)(nl - data - 1));
    if (ct) {
        size_t n = size - (size_t)(nl + 1 - data);
        const char *b = sk_mp_boundary(ct, boundary, sizeof(boundary)) == 0 ? boundary : NULL;
        if (!b)
            (void)sk_mp_message_like(nl + 1, n < 512 ? n : 512);
        sk_fuzz_parse(b, data[0] >> 7, nl + 1, n, 0, &whole);
        sk_fuzz_parse(b, data[0] >> 7, nl + 1, n, seed, &parts);
        SK_FUZZ_CHECK(whole.len == parts.len &&
                          (whole.len == 0 || memcmp(whole.data, parts.data, whole.len) == 0),
                      "objects differ with chunking (seed %u)", seed);
    }
    free(ct), sk_buf_free(&whole), sk_buf_free(&parts);
    sk_fuzz_roundtrip(data + 1, size - 1, data[0]);
    return 0;
}

/* dlp_b64.c - base64 inside a text body: a file a web page read as a data:
 * URL (FileReader.readAsDataURL) and posted in JSON or a form field, an
 * API's "content": "<base64>", a PEM-style block in a text upload. The
 * filter sits in front of an object's text reader and passes every byte
 * on unchanged (a long token is still text for regex templates); in
 * parallel, a run of at least SK_B64_MIN base64 characters is decoded
 * into an object of its own (sniffed like any other: text, zip, gzip...)
 * whose text goes to a window of its own (sk_dlp_engine_sub: the decoded
 * text and the run's characters would otherwise take turns in one window
 * and cut each other's lines). Inside a run the escapes JSON and form
 * encoding put on base64's own characters are undone ("\/", %2B, %2F,
 * %3D), and line breaks (CRLF, LF, JSON's "\r\n") continue a run after a
 * line of at least 60 characters, a multiple of 4 (MIME 76, PEM 64).
 * SECURITY: client-controlled; bounded state; decoded bytes are charged to
 * the decompression budget; a run that is no base64 (a hash, a long
 * identifier) decodes to bytes that are inspected and match nothing.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dlp.h"

#define SK_B64_MIN  20 /* characters: 15 bytes, an Amex number without spaces */
#define SK_B64_LINE 60

enum { SK_B_OUT, SK_B_RUN, SK_B_ESC, SK_B_PCT1, SK_B_PCT2 };

struct sk_b64 {
    struct sk_dlp_sink sink;
    struct sk_dlp_ctx *ctx;
    int depth;
    struct sk_dlp_sink *next;  /* the text reader: gets every byte */
    struct sk_dlp_sink *child; /* the decoded run, once it qualified */
    struct sk_dlp_engine *win; /* the decoded runs' own text window */
    int state;
    unsigned char val[SK_B64_MIN]; /* digits of a run not yet long enough */
    size_t nval;
    size_t line; /* digits since the run's start or last line break */
    int cr;      /* a line break's CR was just taken */
    unsigned char pct1;
    unsigned quad, nq;
    int over; /* the budget ran out */
    int err;
};

/* The value of each byte as a base64 digit (both alphabets), -1 for none;
 * and 1 for the bytes a run may be made of (digits, '\\' and '%'
 * escapes), for the block skip. */
static signed char sk_b64_tab[256];
static unsigned char sk_b64_runbyte[256];

static void sk_b64_tab_init(void)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    memset(sk_b64_tab, -1, sizeof(sk_b64_tab));
    for (int i = 0; i < 64; i++)
        sk_b64_tab[(unsigned char)a[i]] = (signed char)i;
    sk_b64_tab['-'] = 62, sk_b64_tab['_'] = 63;
    for (int c = 0; c < 256; c++)
        sk_b64_runbyte[c] = sk_b64_tab[c] >= 0 || c == '\\' || c == '%';
}

static int sk_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* Where in P[I..N) a run of SK_B64_MIN may begin, from a point outside any
 * run: 64 bytes at a time, a block where no SK_B64_MIN bytes in a row are
 * run bytes is passed over. The answer is the start of a stretch of run
 * bytes (preceded by a byte that is none, which leaves the filter outside
 * a run: see the escape rules), or N. */
static size_t sk_b64_skip(const unsigned char *p, size_t i, size_t n)
{
    while (i + 64 <= n) {
        uint64_t m = 0, r;
        for (int j = 0; j < 64; j++)
            m |= (uint64_t)sk_b64_runbyte[p[i + j]] << j;
        r = m & m >> 1;
        r &= r >> 2;
        r &= r >> 4;
        r &= r >> 8;
        r &= r >> 4; /* bit j: bytes j..j+19 are all run bytes */
        if (r)
            return i + (size_t)__builtin_ctzll(r); /* inside a stretch: see below */
        unsigned t = m == ~0ull ? 64 : (unsigned)__builtin_clzll(~m); /* trailing stretch */
        if (t)
            return i + 64 - t;
        i += 64;
    }
    return i;
}

static inline int sk_b64_val(unsigned char c)
{
    return sk_b64_tab[c];
}

/* Decoded bytes to the child, its text into the runs' own window. */
static void sk_b64_out(struct sk_b64 *b, const unsigned char *p, size_t n)
{
    struct sk_dlp_engine *parent = b->ctx->e;

    if (b->over || n == 0 || b->err)
        return;
    if (n > b->ctx->budget) {
        n = (size_t)b->ctx->budget;
        b->ctx->limit = 1;
        b->over = 1;
    }
    b->ctx->budget -= n;
    b->ctx->e = b->win;
    if (sk_dlp_put(b->child, p, n) == -1)
        b->err = 1;
    b->ctx->e = parent;
}

static void sk_b64_decode(struct sk_b64 *b, int v)
{
    unsigned char o[3];

    b->quad = b->quad << 6 | (unsigned)v;
    if (++b->nq < 4)
        return;
    o[0] = (unsigned char)(b->quad >> 16), o[1] = (unsigned char)(b->quad >> 8);
    o[2] = (unsigned char)b->quad;
    b->quad = b->nq = 0;
    sk_b64_out(b, o, 3);
}

/* A digit of the run: kept, or decoded once the run is long enough. */
static void sk_b64_digit(struct sk_b64 *b, int v)
{
    b->line++;
    if (b->child) {
        sk_b64_decode(b, v);
        return;
    }
    b->val[b->nval++] = (unsigned char)v;
    if (b->nval < SK_B64_MIN)
        return;
    if ((!b->win && !(b->win = sk_dlp_engine_sub(b->ctx->e))) ||
        !(b->child = sk_dlp_object_new(b->ctx, NULL, NULL, b->depth + 1))) {
        b->err = 1;
        return;
    }
    sk_dlp_engine_where(b->win, b->ctx->e->where);
    for (size_t i = 0; i < b->nval; i++)
        sk_b64_decode(b, b->val[i]);
    b->nval = 0;
}

/* The run ended: its object ends (a short run was only text). */
static void sk_b64_finish(struct sk_b64 *b)
{
    if (b->child) {
        struct sk_dlp_engine *parent = b->ctx->e;
        unsigned char o[2];
        if (b->nq >= 2) { /* a last partial group: 2 digits -> 1 byte, 3 -> 2 */
            unsigned q = b->quad << (6 * (4 - b->nq));
            o[0] = (unsigned char)(q >> 16), o[1] = (unsigned char)(q >> 8);
            sk_b64_out(b, o, b->nq - 1);
        }
        b->ctx->e = b->win;
        if (b->child->end(b->child) == -1)
            b->err = 1;
        b->ctx->e = parent;
        b->child->destroy(b->child);
        b->child = NULL;
    }
    b->nval = b->line = 0;
    b->quad = b->nq = 0;
    b->cr = 0;
    b->state = SK_B_OUT;
}

/* A line break continues a run after a full line (MIME 76, PEM 64). */
static int sk_b64_break_ok(const struct sk_b64 *b)
{
    return b->line >= SK_B64_LINE && b->line % 4 == 0;
}

static int sk_b64_write(struct sk_dlp_sink *s, const unsigned char *p, size_t n)
{
    struct sk_b64 *b = (struct sk_b64 *)s;

    for (size_t i = 0; i < n && !b->err; i++) {
        /* fast path (most text): bytes outside runs, and runs shorter
         * than a base64 object (words) ended by plain text; the slow path
         * below takes a run's qualifying digit and every byte that may
         * continue a run ('\\', '%', line ends, '=' padding) */
        if (b->state == SK_B_OUT || (b->state == SK_B_RUN && !b->child)) {
            size_t k = b->nval, line = b->line;
            unsigned char *val = b->val;
            while (i < n) {
                if (k == 0) { /* outside a run: blocks without one are passed over */
                    i = sk_b64_skip(p, i, n);
                    while (i < n && sk_b64_tab[p[i]] < 0)
                        i++;
                    if (i == n)
                        break;
                }
                signed char d = sk_b64_tab[p[i]];
                if (d >= 0) {
                    if (k + 1 >= SK_B64_MIN)
                        break;
                    val[k++] = (unsigned char)d, line++, i++;
                    continue;
                }
                unsigned char c = p[i];
                if (c == '\\' || c == '%' || c == '\r' || c == '\n' || c == '=')
                    break;
                k = line = 0, i++; /* a short run ended: it was only text */
            }
            b->nval = k, b->line = line, b->cr = 0;
            b->state = k ? SK_B_RUN : SK_B_OUT;
            if (i == n)
                break;
        }
        unsigned char c = p[i];
        int v = sk_b64_val(c);

        switch (b->state) {
        case SK_B_OUT:
            if (v >= 0) {
                b->state = SK_B_RUN;
                sk_b64_digit(b, v);
            }
            continue;
        case SK_B_RUN:
            if (v >= 0) {
                b->cr = 0;
                sk_b64_digit(b, v);
                continue;
            }
            if (c == '\\' || c == '%') {
                b->state = c == '\\' ? SK_B_ESC : SK_B_PCT1;
                continue;
            }
            if (((c == '\r' || c == '\n') && sk_b64_break_ok(b)) || (c == '\n' && b->cr)) {
                b->cr = c == '\r';
                if (c == '\n')
                    b->line = 0;
                continue;
            }
            break;
        case SK_B_ESC: /* JSON: "\/" is '/', "\r" "\n" a line break */
            if (c == '/') {
                b->state = SK_B_RUN;
                sk_b64_digit(b, 63);
                continue;
            }
            if ((c == 'r' || c == 'n') && (sk_b64_break_ok(b) || (c == 'n' && b->cr))) {
                b->state = SK_B_RUN;
                b->cr = c == 'r';
                if (c == 'n')
                    b->line = 0;
                continue;
            }
            break;
        case SK_B_PCT1:
            if (!sk_hex(c)) { /* no %XX: the run ended at '%', C is read again */
                sk_b64_finish(b);
                i--;
                continue;
            }
            b->pct1 = c;
            b->state = SK_B_PCT2;
            continue;
        default: { /* SK_B_PCT2: form encoding of '+' and '/' */
            unsigned char d = (unsigned char)(c | 0x20);
            if (!sk_hex(c)) {
                sk_b64_finish(b);
                i--;
                continue;
            }
            if (b->pct1 == '2' && (d == 'b' || d == 'f')) {
                b->state = SK_B_RUN;
                sk_b64_digit(b, d == 'b' ? 62 : 63);
                continue;
            }
            break;
        }
        }
        /* the run ended: '=' padding, a byte that is not part of it, or
         * an escape of something else (its last byte belongs to the
         * escape, "%3A" or "\u0041": it starts no run) */
        sk_b64_finish(b);
    }
    if (b->err)
        return -1;
    return sk_dlp_put(b->next, p, n);
}

static int sk_b64_end(struct sk_dlp_sink *s)
{
    struct sk_b64 *b = (struct sk_b64 *)s;

    sk_b64_finish(b);
    if (b->next->end(b->next) == -1 || b->err)
        return -1;
    return 0;
}

static void sk_b64_destroy(struct sk_dlp_sink *s)
{
    struct sk_b64 *b = (struct sk_b64 *)s;

    if (b->child)
        b->child->destroy(b->child);
    sk_dlp_engine_free(b->win);
    b->next->destroy(b->next);
    free(b);
}

struct sk_dlp_sink *sk_dlp_b64_new(struct sk_dlp_ctx *ctx, int depth, struct sk_dlp_sink *next)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    struct sk_b64 *b;

    pthread_once(&once, sk_b64_tab_init);
    if (!next)
        return NULL;
    if (!(b = calloc(1, sizeof(*b)))) {
        next->destroy(next);
        return NULL;
    }
    b->sink =
        (struct sk_dlp_sink){.write = sk_b64_write, .end = sk_b64_end, .destroy = sk_b64_destroy};
    b->ctx = ctx;
    b->depth = depth;
    b->next = next;
    return &b->sink;
}

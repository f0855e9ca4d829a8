/* sk_pdf_filter.c - a PDF stream's bytes decoded as a reader decodes
 * them (sekisho/pdf.h sk_pdf_stream): decryption, then the /Filter chain
 * (FlateDecode, LZWDecode, ASCIIHexDecode, ASCII85Decode,
 * RunLengthDecode, by full or abbreviated name) with each Flate or LZW
 * stage's /DecodeParms predictor (PNG 10-15, TIFF 2). An image codec
 * (DCT, JPX, CCITT, JBIG2) ends the chain: its input is the stream's
 * content, as an image, to a reader.
 * SECURITY: the stream and its dictionary are client-controlled. Every
 * stage's output is bounded by max_out and by what is left of
 * max_total; predictors work in place on at most the input's size, so a
 * /Columns of 2^31 allocates nothing more; an unknown filter or an LZW
 * code beyond the table is SK_PDF_BROKEN, never skipped (a PNG row type
 * beyond 4 is read as None, as readers do: not an error). */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "sk_pdf_internal.h"
#include "sk_util.h"

enum sk_pdf_kind {
    SK_PDF_F_FLATE = 0,
    SK_PDF_F_LZW,
    SK_PDF_F_AHX,
    SK_PDF_F_A85,
    SK_PDF_F_RL,
    SK_PDF_F_IMAGE, /* ends the chain */
    SK_PDF_F_CRYPT
};

static const struct {
    const char *name;
    int kind;
    int abbrev;
} sk_pdf_filters[] = {
    {"FlateDecode", SK_PDF_F_FLATE, 0},  {"Fl", SK_PDF_F_FLATE, 1},
    {"LZWDecode", SK_PDF_F_LZW, 0},      {"LZW", SK_PDF_F_LZW, 1},
    {"ASCIIHexDecode", SK_PDF_F_AHX, 0}, {"AHx", SK_PDF_F_AHX, 1},
    {"ASCII85Decode", SK_PDF_F_A85, 0},  {"A85", SK_PDF_F_A85, 1},
    {"RunLengthDecode", SK_PDF_F_RL, 0}, {"RL", SK_PDF_F_RL, 1},
    {"DCTDecode", SK_PDF_F_IMAGE, 0},    {"DCT", SK_PDF_F_IMAGE, 1},
    {"JPXDecode", SK_PDF_F_IMAGE, 0},    {"CCITTFaxDecode", SK_PDF_F_IMAGE, 0},
    {"CCF", SK_PDF_F_IMAGE, 1},          {"JBIG2Decode", SK_PDF_F_IMAGE, 0},
    {"Crypt", SK_PDF_F_CRYPT, 0},
};

/* A stream's decoding, read from its dictionary alone. */
struct sk_pdf_plan {
    int n;
    int kind[SK_PDF_MAX_FILTERS];
    const unsigned char *parm[SK_PDF_MAX_FILTERS]; /* its /DecodeParms (NULL: none) */
    size_t parmn[SK_PDF_MAX_FILTERS];
    int method;    /* decryption first (enum sk_pdf_cm) */
    int predicted; /* what libclamav does not undo */
};

struct sk_pdf_buf {
    unsigned char *p;
    size_t n, cap;
    uint64_t lim;
};

/* Room for at least one more byte: 0, or SK_PDF_LIMIT / SK_PDF_NOMEM. */
static enum sk_pdf_rc sk_pdf_room(struct sk_pdf_buf *b, size_t want)
{
    size_t cap;
    unsigned char *q;

    if (b->cap - b->n >= want)
        return SK_PDF_OK;
    if ((uint64_t)b->n + want > b->lim)
        return SK_PDF_LIMIT;
    cap = b->cap < 4096 ? 4096 : b->cap;
    while (cap - b->n < want)
        cap *= 2;
    if ((uint64_t)cap > b->lim + 1)
        cap = (size_t)b->lim + 1;
    q = realloc(b->p, cap);
    if (!q)
        return SK_PDF_NOMEM;
    b->p = q;
    b->cap = cap;
    return SK_PDF_OK;
}

/* Room for *N bytes or, past the limit, for those up to it (*N cut
 * there): 0, SK_PDF_LIMIT (the *N bytes that fit are to be written: a
 * head wants every byte up to its limit - fuzz.pdf) or SK_PDF_NOMEM. */
static enum sk_pdf_rc sk_pdf_fit(struct sk_pdf_buf *b, size_t *n)
{
    enum sk_pdf_rc rc = sk_pdf_room(b, *n);

    if (rc != SK_PDF_LIMIT)
        return rc;
    *n = b->lim > b->n ? (size_t)(b->lim - b->n) : 0;
    if (*n && sk_pdf_room(b, *n) != SK_PDF_OK)
        return SK_PDF_NOMEM;
    return SK_PDF_LIMIT;
}

static enum sk_pdf_rc sk_pdf_put(struct sk_pdf_buf *b, const unsigned char *s, size_t n)
{
    enum sk_pdf_rc rc = sk_pdf_fit(b, &n);

    if (rc != SK_PDF_NOMEM && n) { /* nothing to put: B may have no buffer yet */
        memcpy(b->p + b->n, s, n);
        b->n += n;
    }
    return rc;
}

/* zlib, or raw deflate when the zlib header is missing; a stream cut
 * short or corrupt after some output gives that output, as readers do. */
static enum sk_pdf_rc sk_pdf_flate(const unsigned char *in, size_t n, struct sk_pdf_buf *b,
                                   int *raw_used)
{
    int raw;

    for (raw = 0; raw < 2; raw++) {
        z_stream z;
        int zr;
        enum sk_pdf_rc rc = SK_PDF_OK;

        memset(&z, 0, sizeof(z));
        if (inflateInit2(&z, raw ? -15 : 15) != Z_OK)
            return SK_PDF_NOMEM;
        z.next_in = (unsigned char *)(uintptr_t)in;
        for (;;) {
            size_t left = n - (size_t)(z.next_in - in), room;
            if ((rc = sk_pdf_room(b, 1)) != SK_PDF_OK)
                break;
            room = b->cap - b->n;
            z.avail_in = left > UINT32_MAX ? UINT32_MAX : (uInt)left;
            z.next_out = b->p + b->n;
            z.avail_out = room > UINT32_MAX ? UINT32_MAX : (uInt)room;
            zr = inflate(&z, Z_NO_FLUSH);
            b->n = (size_t)(z.next_out - b->p);
            if (zr == Z_OK || (zr == Z_BUF_ERROR && z.avail_out == 0))
                continue; /* more input, or more room */
            break;        /* the end, the input's end, or an error */
        }
        inflateEnd(&z);
        if (rc != SK_PDF_OK)
            return rc;
        if (zr == Z_STREAM_END || zr == Z_BUF_ERROR || b->n > 0) {
            *raw_used = raw;
            return SK_PDF_OK; /* complete, cut short, or corrupt after some output */
        }
    }
    return SK_PDF_BROKEN;
}

/* LZW as PDF writes it: codes MSB first, 9 to 12 bits, 256 clears, 257
 * ends; EARLY: the code widens one code early (/EarlyChange, default 1).
 * A table entry is always the previous output plus one byte, so it is
 * kept as (offset, length) into the output itself. */
static enum sk_pdf_rc sk_pdf_lzw(const unsigned char *in, size_t n, int early, struct sk_pdf_buf *b)
{
    size_t *start = malloc(4096 * sizeof(*start)), prev_start = 0, i = 0;
    uint32_t *len = malloc(4096 * sizeof(*len)), acc = 0, prev_len = 0;
    unsigned bits = 9, nacc = 0, next = 258;
    int have_prev = 0;
    enum sk_pdf_rc rc = SK_PDF_OK;

    if (!start || !len) {
        rc = SK_PDF_NOMEM;
        goto out;
    }
    for (;;) {
        unsigned code;
        size_t at = b->n;
        while (nacc < bits && i < n) {
            acc = acc << 8 | in[i++];
            nacc += 8;
        }
        if (nacc < bits)
            break;
        code = (acc >> (nacc - bits)) & ((1u << bits) - 1);
        nacc -= bits;
        if (code == 256) {
            bits = 9;
            next = 258;
            have_prev = 0;
            continue;
        }
        if (code == 257)
            break;
        if (code < 256) {
            unsigned char c = (unsigned char)code;
            rc = sk_pdf_put(b, &c, 1);
        } else if (code < next && code >= 258) {
            size_t k = len[code];
            if ((rc = sk_pdf_fit(b, &k)) != SK_PDF_NOMEM && k) {
                memcpy(b->p + b->n, b->p + start[code], k);
                b->n += k;
            }
        } else if (code == next && have_prev) { /* the entry being defined */
            size_t k = (size_t)prev_len + 1;
            if ((rc = sk_pdf_fit(b, &k)) != SK_PDF_NOMEM && k) {
                memcpy(b->p + b->n, b->p + prev_start, k <= prev_len ? k : prev_len);
                if (k > prev_len)
                    b->p[b->n + prev_len] = b->p[prev_start];
                b->n += k;
            }
        } else {
            rc = SK_PDF_BROKEN;
        }
        if (rc != SK_PDF_OK)
            break;
        if (have_prev && next < 4096) {
            start[next] = prev_start;
            len[next++] = prev_len + 1;
        }
        have_prev = 1;
        prev_start = at;
        prev_len = (uint32_t)(b->n - at);
        if (next + (unsigned)early >= (1u << bits) && bits < 12)
            bits++;
    }
out:
    free(start);
    free(len);
    return rc;
}

static enum sk_pdf_rc sk_pdf_ahx(const unsigned char *in, size_t n, struct sk_pdf_buf *b)
{
    size_t i;
    int hi = -1;
    enum sk_pdf_rc rc = SK_PDF_OK;

    for (i = 0; i < n && in[i] != '>' && rc == SK_PDF_OK; i++) {
        int h;
        if (sk_pdf_is_ws(in[i]))
            continue;
        if (in[i] >= '0' && in[i] <= '9')
            h = in[i] - '0';
        else if ((in[i] | 0x20) >= 'a' && (in[i] | 0x20) <= 'f')
            h = (in[i] | 0x20) - 'a' + 10;
        else
            return SK_PDF_BROKEN;
        if (hi < 0) {
            hi = h;
        } else {
            unsigned char c = (unsigned char)(hi << 4 | h);
            rc = sk_pdf_put(b, &c, 1);
            hi = -1;
        }
    }
    if (hi >= 0 && rc == SK_PDF_OK) {
        unsigned char c = (unsigned char)(hi << 4);
        rc = sk_pdf_put(b, &c, 1);
    }
    return rc;
}

static enum sk_pdf_rc sk_pdf_a85(const unsigned char *in, size_t n, struct sk_pdf_buf *b)
{
    size_t i = 0;
    uint64_t acc = 0;
    int cnt = 0, k;
    unsigned char q[4];
    enum sk_pdf_rc rc = SK_PDF_OK;

    while (i < n && sk_pdf_is_ws(in[i]))
        i++;
    if (i + 1 < n && in[i] == '<' && in[i + 1] == '~')
        i += 2;
    for (; i < n && in[i] != '~' && rc == SK_PDF_OK; i++) {
        unsigned char c = in[i];
        if (sk_pdf_is_ws(c))
            continue;
        if (c == 'z' && cnt == 0) {
            memset(q, 0, 4);
            rc = sk_pdf_put(b, q, 4);
            continue;
        }
        if (c < '!' || c > 'u')
            return SK_PDF_BROKEN;
        acc = acc * 85 + (uint64_t)(c - '!');
        if (++cnt == 5) {
            if (acc > UINT32_MAX)
                return SK_PDF_BROKEN;
            for (k = 0; k < 4; k++)
                q[k] = (unsigned char)(acc >> (24 - 8 * k));
            rc = sk_pdf_put(b, q, 4);
            acc = 0;
            cnt = 0;
        }
    }
    if (rc != SK_PDF_OK || cnt == 0)
        return rc;
    if (cnt == 1)
        return SK_PDF_BROKEN;
    for (k = cnt; k < 5; k++)
        acc = acc * 85 + 84;
    if (acc > UINT32_MAX)
        return SK_PDF_BROKEN;
    for (k = 0; k < cnt - 1; k++)
        q[k] = (unsigned char)(acc >> (24 - 8 * k));
    return sk_pdf_put(b, q, (size_t)cnt - 1);
}

static enum sk_pdf_rc sk_pdf_rl(const unsigned char *in, size_t n, struct sk_pdf_buf *b)
{
    size_t i = 0;
    enum sk_pdf_rc rc = SK_PDF_OK;

    while (i < n && rc == SK_PDF_OK && in[i] != 128) {
        unsigned l = in[i++];
        if (l < 128) {
            size_t m = (size_t)l + 1 <= n - i ? (size_t)l + 1 : n - i;
            rc = sk_pdf_put(b, in + i, m);
            i += m;
        } else if (i < n) {
            size_t k = 257 - l;
            if ((rc = sk_pdf_fit(b, &k)) != SK_PDF_NOMEM && k) {
                memset(b->p + b->n, in[i++], k);
                b->n += k;
            }
        }
    }
    return rc;
}

static long long sk_pdf_parm(const struct sk_pdf *d, const unsigned char *parm, size_t pn,
                             const char *key, long long dflt)
{
    long long v;

    if (!parm || sk_pdf_dict_int(d, parm, pn, key, &v) != 0)
        return dflt;
    return v;
}

/* PNG predictors (10-15: each row says its own filter type), in place:
 * B->p[0..n) is both input and output, the output never longer. */
static enum sk_pdf_rc sk_pdf_png(struct sk_pdf_buf *b, uint64_t rowbytes, size_t bpp)
{
    unsigned char *p = b->p;
    size_t pos = 0, o = 0, x, n = b->n, row;

    for (row = 0; pos < n; row++) {
        unsigned ft = p[pos++];
        size_t m = rowbytes < n - pos ? (size_t)rowbytes : n - pos;
        unsigned char *cur = p + o;
        const unsigned char *up = row ? p + o - (size_t)rowbytes : NULL;
        memmove(cur, p + pos, m);
        for (x = 0; x < m; x++) {
            unsigned a = x >= bpp ? cur[x - bpp] : 0, u = up ? up[x] : 0;
            unsigned c = x >= bpp && up ? up[x - bpp] : 0;
            switch (ft) {
            case 0:
                break;
            case 1:
                cur[x] = (unsigned char)(cur[x] + a);
                break;
            case 2:
                cur[x] = (unsigned char)(cur[x] + u);
                break;
            case 3:
                cur[x] = (unsigned char)(cur[x] + ((a + u) >> 1));
                break;
            case 4: {
                int pp = (int)a + (int)u - (int)c, pa = abs(pp - (int)a), pb = abs(pp - (int)u),
                    pc = abs(pp - (int)c);
                cur[x] = (unsigned char)(cur[x] + (pa <= pb && pa <= pc ? a : pb <= pc ? u : c));
                break;
            }
            default: /* a type beyond 4 is None: qpdf 11 and poppler 22 read it so */
                break;
            }
        }
        pos += m;
        o += m;
    }
    b->n = o;
    return SK_PDF_OK;
}

static unsigned sk_pdf_bits_get(const unsigned char *r, size_t s, unsigned bpc)
{
    size_t bit = s * bpc;

    return (r[bit / 8] >> (8 - bpc - bit % 8)) & ((1u << bpc) - 1);
}

static void sk_pdf_bits_put(unsigned char *r, size_t s, unsigned bpc, unsigned v)
{
    size_t bit = s * bpc;
    unsigned sh = (unsigned)(8 - bpc - bit % 8), mask = ((1u << bpc) - 1) << sh;

    r[bit / 8] = (unsigned char)((r[bit / 8] & ~mask) | ((v << sh) & mask));
}

/* TIFF predictor 2: each sample is the difference to the one COLORS back
 * in its row; in place. */
static void sk_pdf_tiff(struct sk_pdf_buf *b, uint64_t rowbytes, unsigned colors, unsigned bpc,
                        uint64_t columns)
{
    size_t pos, s;

    for (pos = 0; pos < b->n; pos += (size_t)rowbytes) {
        unsigned char *r = b->p + pos;
        size_t m = rowbytes < b->n - pos ? (size_t)rowbytes : b->n - pos;
        uint64_t ns = (uint64_t)m * 8 / bpc;
        if (ns > columns * colors)
            ns = columns * colors;
        for (s = colors; s < ns; s++) {
            if (bpc == 8) {
                r[s] = (unsigned char)(r[s] + r[s - colors]);
            } else if (bpc == 16) {
                unsigned v = (unsigned)(r[2 * s] << 8 | r[2 * s + 1]) +
                             (unsigned)(r[2 * (s - colors)] << 8 | r[2 * (s - colors) + 1]);
                r[2 * s] = (unsigned char)(v >> 8);
                r[2 * s + 1] = (unsigned char)v;
            } else {
                sk_pdf_bits_put(r, s, bpc,
                                sk_pdf_bits_get(r, s, bpc) + sk_pdf_bits_get(r, s - colors, bpc));
            }
        }
    }
}

static int sk_pdf_predictor(const struct sk_pdf *d, const unsigned char *parm, size_t pn)
{
    long long pr = sk_pdf_parm(d, parm, pn, "Predictor", 1);

    return pr <= 1 ? 1 : pr > 1000 ? 1000 : (int)pr;
}

static enum sk_pdf_rc sk_pdf_predict(const struct sk_pdf *d, const unsigned char *parm, size_t pn,
                                     struct sk_pdf_buf *b)
{
    int pr = sk_pdf_predictor(d, parm, pn);
    long long colors = sk_pdf_parm(d, parm, pn, "Colors", 1);
    long long bpc = sk_pdf_parm(d, parm, pn, "BitsPerComponent", 8);
    long long columns = sk_pdf_parm(d, parm, pn, "Columns", 1);
    uint64_t rowbytes;

    if (pr == 1)
        return SK_PDF_OK;
    if (pr != 2 && (pr < 10 || pr > 15))
        return SK_PDF_BROKEN;
    if (colors < 1 || colors > 32 || columns < 1 || columns > UINT32_MAX ||
        (bpc != 1 && bpc != 2 && bpc != 4 && bpc != 8 && bpc != 16))
        return SK_PDF_BROKEN;
    rowbytes = ((uint64_t)colors * (uint64_t)bpc * (uint64_t)columns + 7) / 8;
    if (pr == 2) {
        sk_pdf_tiff(b, rowbytes, (unsigned)colors, (unsigned)bpc, (uint64_t)columns);
        return SK_PDF_OK;
    }
    return sk_pdf_png(b, rowbytes, (size_t)((colors * bpc + 7) / 8));
}

/* Does libclamav 1.4 decode this stage itself? Measured with clamscan
 * 1.4.6 (README.md): LZW and a /Crypt stage it does not. */
static int sk_pdf_clam_undoes(int kind, int abbrev, int escaped)
{
    (void)abbrev;
    (void)escaped;
    return kind == SK_PDF_F_FLATE || kind == SK_PDF_F_AHX || kind == SK_PDF_F_A85 ||
           kind == SK_PDF_F_RL || kind == SK_PDF_F_IMAGE;
}

/* One filter name of the chain into PL (with its parameters). */
static enum sk_pdf_rc sk_pdf_plan_add(const struct sk_pdf *d, struct sk_pdf_plan *pl,
                                      const unsigned char *v, size_t vn, const unsigned char *parm,
                                      size_t pn)
{
    char name[64];
    size_t k;

    if (pl->n >= SK_PDF_MAX_FILTERS)
        return SK_PDF_LIMIT;
    sk_pdf_deref(d, &v, &vn);
    if (vn > SK_PDF_MAX_PARMS || sk_pdf_name(v, vn, name, sizeof(name)) != 0)
        return SK_PDF_BROKEN;
    if (parm) {
        size_t i;
        sk_pdf_deref(d, &parm, &pn);
        if (pn > SK_PDF_MAX_PARMS)
            return SK_PDF_BROKEN;
        i = sk_pdf_skip_ws(parm, 0, pn);
        if (i + 1 >= pn || parm[i] != '<' || parm[i + 1] != '<')
            parm = NULL; /* null, or no dictionary */
    }
    for (k = 0; k < sizeof(sk_pdf_filters) / sizeof(sk_pdf_filters[0]); k++) {
        if (strcmp(name, sk_pdf_filters[k].name) == 0) {
            int kind = sk_pdf_filters[k].kind;
            pl->kind[pl->n] = kind;
            pl->parm[pl->n] = parm;
            pl->parmn[pl->n] = parm ? pn : 0;
            if (!sk_pdf_clam_undoes(kind, sk_pdf_filters[k].abbrev, memchr(v, '#', vn) != NULL))
                pl->predicted = 1;
            if ((kind == SK_PDF_F_FLATE || kind == SK_PDF_F_LZW) &&
                sk_pdf_predictor(d, parm, parm ? pn : 0) > 1)
                pl->predicted = 1;
            pl->n++;
            return SK_PDF_OK;
        }
    }
    return SK_PDF_BROKEN;
}

static int sk_pdf_obj_type(const struct sk_pdf_obj *o, const char *type)
{
    const unsigned char *v;
    size_t vn;

    return sk_pdf_dict_get(o->dict, o->dict_len, "Type", &v, &vn) == 0 &&
           sk_pdf_name_is(v, vn, type);
}

/* What decoding O takes: its decryption and its filters. */
static enum sk_pdf_rc sk_pdf_plan(const struct sk_pdf *d, const struct sk_pdf_obj *o,
                                  struct sk_pdf_plan *pl)
{
    const unsigned char *f, *dp = NULL;
    size_t fn, dpn = 0;
    enum sk_pdf_rc rc = SK_PDF_OK;

    memset(pl, 0, sizeof(*pl));
    if (sk_pdf_dict_val(d, o->dict, o->dict_len, "DecodeParms", &dp, &dpn) != 0 &&
        sk_pdf_dict_val(d, o->dict, o->dict_len, "DP", &dp, &dpn) != 0)
        dp = NULL;
    if (sk_pdf_dict_val(d, o->dict, o->dict_len, "Filter", &f, &fn) == 0 ||
        sk_pdf_dict_val(d, o->dict, o->dict_len, "F", &f, &fn) == 0) {
        size_t i = sk_pdf_skip_ws(f, 0, fn);
        if (fn > SK_PDF_MAX_PARMS || (dp && dpn > SK_PDF_MAX_PARMS))
            return SK_PDF_BROKEN; /* read again for each stream naming it: quadratic */
        if (i < fn && f[i] == '[') {
            size_t pi = dp ? sk_pdf_skip_ws(dp, 0, dpn) : 0, j;
            int arr = dp && pi < dpn && dp[pi] == '[';
            for (i++, pi++, j = 0; rc == SK_PDF_OK; j++) {
                size_t e, pe = pi;
                i = sk_pdf_skip_ws(f, i, fn);
                if (i >= fn || f[i] == ']')
                    break;
                e = sk_pdf_item_end(f, i, fn);
                if (e == i)
                    break;
                if (arr) { /* the matching entry of the /DecodeParms array */
                    pi = sk_pdf_skip_ws(dp, pi, dpn);
                    pe = pi < dpn && dp[pi] != ']' ? sk_pdf_item_end(dp, pi, dpn) : pi;
                    rc = sk_pdf_plan_add(d, pl, f + i, e - i, pe > pi ? dp + pi : NULL, pe - pi);
                    pi = pe;
                } else { /* a lone dictionary is the first filter's */
                    rc = sk_pdf_plan_add(d, pl, f + i, e - i, j == 0 ? dp : NULL, dpn);
                }
                i = e;
            }
        } else {
            rc = sk_pdf_plan_add(d, pl, f, fn, dp, dpn);
        }
    }
    if (rc != SK_PDF_OK)
        return rc;
    if (d->enc == 0 || (!d->enc_direct && o->num == d->enc_num) || sk_pdf_obj_type(o, "XRef") ||
        (!d->encrypt_meta && sk_pdf_obj_type(o, "Metadata")))
        return SK_PDF_OK; /* not encrypted: pl->method is SK_PDF_CM_NONE */
    pl->method = d->stm_method;
    if (pl->n > 0 && pl->kind[0] == SK_PDF_F_CRYPT) { /* this stream's own crypt filter */
        const unsigned char *nm;
        size_t nn;
        char name[64] = "Identity";
        if (pl->parm[0] && sk_pdf_dict_val(d, pl->parm[0], pl->parmn[0], "Name", &nm, &nn) == 0)
            sk_pdf_name(nm, nn, name, sizeof(name));
        pl->method = sk_pdf_crypt_method(d, name);
    }
    if (pl->method < 0 || (d->enc < 0 && pl->method != SK_PDF_CM_NONE))
        return SK_PDF_ENCRYPTED;
    return SK_PDF_OK;
}

int sk_pdf_predicted(struct sk_pdf *d, const struct sk_pdf_obj *o)
{
    struct sk_pdf_plan pl;
    unsigned char *head = NULL;
    size_t hn = 0;
    int k0, r;

    if (!d || !o || !o->stream)
        return 0;
    if (sk_pdf_plan(d, o, &pl) != SK_PDF_OK || pl.predicted)
        return 1;
    /* raw deflate: a Flate stage's input must be looked at; the first
     * stage's is the stream (decrypted), a later one's only decoding shows */
    k0 = pl.n > 0 && pl.kind[0] == SK_PDF_F_CRYPT;
    for (r = k0 + 1; r < pl.n && pl.kind[r] != SK_PDF_F_IMAGE; r++)
        if (pl.kind[r] == SK_PDF_F_FLATE)
            return 1;
    if (k0 >= pl.n || pl.kind[k0] != SK_PDF_F_FLATE)
        return 0;
    if (pl.method == SK_PDF_CM_NONE)
        return !sk_zlib_header(o->raw, o->raw_len);
    if (sk_pdf_decrypt(d, o, pl.method, o->raw, o->raw_len, 1, &head, &hn) != SK_PDF_OK)
        return 1;
    r = !sk_zlib_header(head, hn);
    free(head);
    return r;
}

/* One stage: IN[0..N) through filter K of PL into B (a Flate stage
 * without its zlib header sets PL->predicted: libclamav does not inflate
 * raw deflate, measured). */
static enum sk_pdf_rc sk_pdf_stage(const struct sk_pdf *d, struct sk_pdf_plan *pl, int k,
                                   const unsigned char *in, size_t n, struct sk_pdf_buf *b,
                                   int head)
{
    enum sk_pdf_rc rc;
    int raw = 0;

    switch (pl->kind[k]) {
    case SK_PDF_F_FLATE:
        rc = sk_pdf_flate(in, n, b, &raw);
        pl->predicted |= raw;
        break;
    case SK_PDF_F_LZW:
        rc = sk_pdf_lzw(in, n, sk_pdf_parm(d, pl->parm[k], pl->parmn[k], "EarlyChange", 1) != 0, b);
        break;
    case SK_PDF_F_AHX:
        rc = sk_pdf_ahx(in, n, b);
        return head && rc == SK_PDF_LIMIT ? SK_PDF_OK : rc;
    case SK_PDF_F_A85:
        rc = sk_pdf_a85(in, n, b);
        return head && rc == SK_PDF_LIMIT ? SK_PDF_OK : rc;
    case SK_PDF_F_RL:
        rc = sk_pdf_rl(in, n, b);
        return head && rc == SK_PDF_LIMIT ? SK_PDF_OK : rc;
    default:
        return SK_PDF_BROKEN;
    }
    if (head && rc == SK_PDF_LIMIT)
        rc = SK_PDF_OK; /* the first bytes are all a head wants */
    if (rc == SK_PDF_OK)
        rc = sk_pdf_predict(d, pl->parm[k], pl->parmn[k], b);
    return rc;
}

/* What stage K of a head of HEAD bytes may output: HEAD, and one PNG row
 * tag per row of them (a PNG predictor outputs less than it is given). */
static uint64_t sk_pdf_head_room(const struct sk_pdf *d, const struct sk_pdf_plan *pl, int k,
                                 size_t head)
{
    int pr = (pl->kind[k] == SK_PDF_F_FLATE || pl->kind[k] == SK_PDF_F_LZW)
                 ? sk_pdf_predictor(d, pl->parm[k], pl->parmn[k])
                 : 1;
    long long colors = sk_pdf_parm(d, pl->parm[k], pl->parmn[k], "Colors", 1);
    long long bpc = sk_pdf_parm(d, pl->parm[k], pl->parmn[k], "BitsPerComponent", 8);
    long long columns = sk_pdf_parm(d, pl->parm[k], pl->parmn[k], "Columns", 1);
    uint64_t rowbytes;

    if (pr < 10 || colors < 1 || colors > 32 || columns < 1 || columns > UINT32_MAX || bpc < 1 ||
        bpc > 16)
        return head; /* no PNG rows (or BROKEN anyway) */
    rowbytes = ((uint64_t)colors * (uint64_t)bpc * (uint64_t)columns + 7) / 8;
    return (uint64_t)head + head / rowbytes + 1;
}

enum sk_pdf_rc sk_pdf_decode(struct sk_pdf *d, const struct sk_pdf_obj *o, unsigned char **out,
                             size_t *out_len, int *predicted, size_t head)
{
    struct sk_pdf_plan pl;
    uint64_t lim = d->lim.max_total > d->total ? d->lim.max_total - d->total : 0;
    const unsigned char *in = o->raw ? o->raw : (const unsigned char *)"";
    size_t inn = o->raw_len;
    unsigned char *held = NULL, *q;
    enum sk_pdf_rc rc;
    int k;

    *out = NULL;
    *out_len = 0;
    if ((rc = sk_pdf_plan(d, o, &pl)) != SK_PDF_OK)
        return rc;
    if (lim > d->lim.max_out || head)
        lim = d->lim.max_out; /* a head is not counted, only bounded */
    if (pl.method != SK_PDF_CM_NONE) {
        rc = sk_pdf_decrypt(d, o, pl.method, in, inn, 0, &held, &inn);
        if (rc != SK_PDF_OK)
            return rc;
        in = held;
    }
    for (k = pl.n > 0 && pl.kind[0] == SK_PDF_F_CRYPT ? 1 : 0; k < pl.n; k++) {
        struct sk_pdf_buf nb = {0};
        int last = k + 1 == pl.n || pl.kind[k + 1] == SK_PDF_F_IMAGE;
        if (pl.kind[k] == SK_PDF_F_IMAGE)
            break; /* an image's coded bytes are what a reader has */
        /* a head cuts the last stage only (an earlier one may shrink in a
         * later: hex, whitespace), there with room for PNG's row tags */
        nb.lim = head && last && sk_pdf_head_room(d, &pl, k, head) < lim
                     ? sk_pdf_head_room(d, &pl, k, head)
                     : lim;
        rc = sk_pdf_stage(d, &pl, k, in, inn, &nb, head && last); /* a later Crypt is BROKEN */
        free(held);
        held = nb.p;
        in = held ? held : (const unsigned char *)"";
        inn = nb.n;
        if (rc != SK_PDF_OK)
            break;
    }
    if (rc == SK_PDF_OK && head && inn > head)
        inn = head;
    if (rc == SK_PDF_OK && inn > lim)
        rc = SK_PDF_LIMIT;
    if (rc != SK_PDF_OK) {
        free(held);
        return rc;
    }
    q = held ? realloc(held, inn + 1) : malloc(inn + 1); /* INN within HELD's bytes */
    if (!q) {
        free(held);
        return SK_PDF_NOMEM;
    }
    if (!held)
        memcpy(q, in, inn);
    q[inn] = '\0';
    if (!head)
        d->total += inn;
    if (predicted)
        *predicted = pl.predicted;
    *out = q;
    *out_len = inn;
    return SK_PDF_OK;
}

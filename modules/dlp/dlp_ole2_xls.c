/* dlp_ole2_xls.c - Excel 97-2003 (BIFF8, MS-XLS) text: the shared string
 * table over its CONTINUE records, LABEL and formula STRING results,
 * NUMBER, RK, MULRK and formula numbers; comments and text boxes (TXO),
 * page headers and footers, sheet names, chart series text.
 * SECURITY: the Workbook stream is client-controlled. Records are read in
 * one pass, each length checked against the stream; a string's character
 * count is read only as far as its records go (a CONTINUE restarts with a
 * flag byte that switches between 8-bit and UTF-16 characters); no
 * recursion, nothing allocated. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "dlp_ole2.h"

#define SK_XLS_SST      0x00FC
#define SK_XLS_CONTINUE 0x003C
#define SK_XLS_FILEPASS 0x002F
#define SK_XLS_BOF      0x0809
#define SK_XLS_LABEL    0x0204
#define SK_XLS_STRING   0x0207
#define SK_XLS_NUMBER   0x0203
#define SK_XLS_RK       0x027E
#define SK_XLS_MULRK    0x00BD
#define SK_XLS_FORMULA  0x0006
#define SK_XLS_HEADER   0x0014
#define SK_XLS_FOOTER   0x0015
#define SK_XLS_HF       0x089C /* HeaderFooter: even and first pages */
#define SK_XLS_TXO      0x01B6 /* a comment's or a text box's text */
#define SK_XLS_SHEET    0x0085 /* BoundSheet8: a sheet's name */
#define SK_XLS_SERIES   0x100D /* SeriesText: a chart's titles and labels */

static unsigned sk_x16(const unsigned char *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static uint32_t sk_x32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A cursor over a record's data and the CONTINUE records after it. */
struct sk_xcur {
    const unsigned char *p; /* the stream */
    size_t n;
    size_t at, end; /* the current record's data [at, end) */
    size_t next;    /* the header after it */
};

/* Move to the next CONTINUE record's data: 0, or -1 when none follows. */
static int sk_xcur_cont(struct sk_xcur *c)
{
    if (c->next + 4 > c->n || sk_x16(c->p + c->next) != SK_XLS_CONTINUE)
        return -1;
    size_t len = sk_x16(c->p + c->next + 2);
    if (len > c->n - c->next - 4)
        return -1;
    c->at = c->next + 4, c->end = c->at + len, c->next = c->end;
    return 0;
}

/* N bytes (crossing into CONTINUE records) into OUT (may be NULL: skip). */
static int sk_xcur_get(struct sk_xcur *c, unsigned char *out, size_t n)
{
    while (n) {
        if (c->at == c->end && sk_xcur_cont(c) == -1)
            return -1;
        size_t take = c->end - c->at < n ? c->end - c->at : n;
        if (out) {
            memcpy(out, c->p + c->at, take);
            out += take;
        }
        c->at += take, n -= take;
    }
    return 0;
}

/* CCH characters, 8-bit or UTF-16 as WIDE says, then a line end; at a
 * record boundary inside them the next CONTINUE starts with a flag byte
 * (bit 0: UTF-16) that switches. */
static int sk_xls_chars(struct sk_xcur *c, struct sk_otxt *out, size_t cch, int wide)
{
    unsigned char h[2];

    for (size_t k = 0; k < cch && !out->failed; k++) {
        if (c->at == c->end) { /* a CONTINUE: its flag byte first */
            if (sk_xcur_cont(c) == -1 || c->at == c->end)
                return -1;
            wide = c->p[c->at++] & 0x01;
            if (c->at == c->end) /* a CONTINUE of its flag byte alone: no */
                return -1;       /* character to read here (fuzz_dlp_ole2) */
        }
        if (wide) {
            if (sk_xcur_get(c, h, 2) == -1)
                return -1;
            sk_otxt_utf16(out, h, 1);
        } else {
            sk_otxt_cp1252(out, c->p + c->at, 1);
            c->at++;
        }
    }
    sk_otxt_put(out, '\n');
    return 0;
}

/* An XLUnicodeRichExtendedString (SST) or XLUnicodeString (LABEL), or
 * with SHORT a ShortXLUnicodeString (a one-byte count): the header, then
 * the characters (sk_xls_chars), then the rich and phonetic runs. */
static int sk_xls_string_in(struct sk_xcur *c, struct sk_otxt *out, int rich_ext, int short_cch)
{
    unsigned char h[4];

    if (sk_xcur_get(c, h, short_cch ? 2 : 3) == -1)
        return -1;
    size_t cch = short_cch ? h[0] : sk_x16(h);
    unsigned flags = short_cch ? h[1] : h[2];
    size_t runs = 0, ext = 0;
    if (rich_ext && (flags & 0x08)) {
        if (sk_xcur_get(c, h, 2) == -1)
            return -1;
        runs = sk_x16(h);
    }
    if (rich_ext && (flags & 0x04)) {
        if (sk_xcur_get(c, h, 4) == -1)
            return -1;
        ext = sk_x32(h);
    }
    if (sk_xls_chars(c, out, cch, flags & 0x01) == -1)
        return -1;
    return sk_xcur_get(c, NULL, 4 * runs) == -1 || sk_xcur_get(c, NULL, ext) == -1 ? -1 : 0;
}

static int sk_xls_string(struct sk_xcur *c, struct sk_otxt *out, int rich_ext)
{
    return sk_xls_string_in(c, out, rich_ext, 0);
}

/* HeaderFooter: after its fixed 38 bytes, the even pages' header and
 * footer and the first page's, each present when its count (bytes 30-37)
 * is not 0. */
static int sk_xls_hf(struct sk_xcur *c, const unsigned char *r, size_t len, struct sk_otxt *out)
{
    if (len < 38)
        return -1;
    c->at += 38;
    for (int k = 0; k < 4; k++)
        if (sk_x16(r + 30 + 2 * k) && sk_xls_string(c, out, 0) == -1)
            return -1;
    return 0;
}

/* A number as Excel's General format shows an integral value (all its
 * digits; up to 15 significant digits otherwise). */
static void sk_xls_number(struct sk_otxt *out, double v)
{
    char b[64];

    if (!isfinite(v))
        return;
    if (v == floor(v) && fabs(v) < 1e20)
        snprintf(b, sizeof(b), "%.0f\n", v);
    else
        snprintf(b, sizeof(b), "%.15g\n", v);
    for (const char *s = b; *s; s++)
        sk_otxt_put(out, (unsigned char)*s);
}

static double sk_xls_double(const unsigned char *p)
{
    uint64_t u = (uint64_t)sk_x32(p) | (uint64_t)sk_x32(p + 4) << 32;
    double v;

    memcpy(&v, &u, sizeof(v));
    return v;
}

/* RK: bit 1 an integer (30 bits, signed), else the high 30 bits of a
 * double; bit 0: divided by 100. */
static double sk_xls_rk(uint32_t rk)
{
    double v;

    if (rk & 2) {
        v = (double)((int32_t)rk >> 2);
    } else {
        uint64_t u = (uint64_t)(rk & 0xFFFFFFFCu) << 32;
        memcpy(&v, &u, sizeof(v));
    }
    return rk & 1 ? v / 100 : v;
}

enum sk_ofmt_rc sk_ofmt_xls(const unsigned char *p, size_t n, struct sk_otxt *out, const char **why)
{
    size_t i = 0;

    if (n < 8 || sk_x16(p) != SK_XLS_BOF || sk_x16(p + 4) != 0x0600) {
        *why = "an Excel workbook that is not BIFF8";
        return SK_OFMT_BROKEN;
    }
    while (i + 4 <= n) {
        unsigned type = sk_x16(p + i);
        size_t len = sk_x16(p + i + 2), d = i + 4;
        if (len > n - d) {
            *why = "an Excel record longer than its stream";
            return SK_OFMT_BROKEN;
        }
        const unsigned char *r = p + d;
        struct sk_xcur c = {.p = p, .n = n, .at = d, .end = d + len, .next = d + len};
        switch (type) {
        case SK_XLS_FILEPASS:
            return SK_OFMT_ENCRYPTED;
        case SK_XLS_SST:
            if (len < 8)
                goto broken;
            c.at += 8;
            for (uint32_t k = 0, u = sk_x32(r + 4); k < u && !out->failed; k++)
                if (sk_xls_string(&c, out, 1) == -1) {
                    *why = "an Excel shared string table cut short";
                    return SK_OFMT_BROKEN;
                }
            break;
        case SK_XLS_LABEL:
            if (len < 6)
                goto broken;
            c.at += 6;
            if (sk_xls_string(&c, out, 0) == -1)
                goto broken;
            break;
        case SK_XLS_STRING:
            if (sk_xls_string(&c, out, 0) == -1)
                goto broken;
            break;
        case SK_XLS_NUMBER:
            if (len < 14)
                goto broken;
            sk_xls_number(out, sk_xls_double(r + 6));
            break;
        case SK_XLS_FORMULA: /* a number result unless bytes 12-13 are FFFF */
            if (len < 14)
                goto broken;
            if (sk_x16(r + 12) != 0xFFFF)
                sk_xls_number(out, sk_xls_double(r + 6));
            break;
        case SK_XLS_RK:
            if (len < 10)
                goto broken;
            sk_xls_number(out, sk_xls_rk(sk_x32(r + 6)));
            break;
        case SK_XLS_HEADER: /* empty: no header */
        case SK_XLS_FOOTER:
            if (len > 0 && sk_xls_string(&c, out, 0) == -1)
                goto broken;
            break;
        case SK_XLS_HF:
            if (sk_xls_hf(&c, r, len, out) == -1)
                goto broken;
            break;
        case SK_XLS_TXO: /* cchText at 10; the text in the CONTINUEs after it */
            if (len < 14)
                goto broken;
            c.at = c.end;
            if (sk_xls_chars(&c, out, sk_x16(r + 10), 0) == -1)
                goto broken;
            break;
        case SK_XLS_SHEET: /* lbPlyPos, hsState, dt, then the name */
            if (len < 8)
                goto broken;
            c.at += 6;
            if (sk_xls_string_in(&c, out, 0, 1) == -1)
                goto broken;
            break;
        case SK_XLS_SERIES: /* reserved 2 bytes, then the text */
            if (len < 4)
                goto broken;
            c.at += 2;
            if (sk_xls_string_in(&c, out, 0, 1) == -1)
                goto broken;
            break;
        case SK_XLS_MULRK:
            if (len < 6 || (len - 6) % 6)
                goto broken;
            for (size_t k = 0; k < (len - 6) / 6; k++)
                sk_xls_number(out, sk_xls_rk(sk_x32(r + 4 + 6 * k + 2)));
            break;
        }
        if (out->failed)
            return SK_OFMT_FAIL;
        /* CONTINUE records a string read past were read with it */
        i = c.next > d + len ? c.next : d + len;
    }
    sk_otxt_flush(out);
    return out->failed ? SK_OFMT_FAIL : SK_OFMT_OK;
broken:
    *why = "an Excel cell or text record shorter than its fields";
    return SK_OFMT_BROKEN;
}

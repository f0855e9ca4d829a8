/* dlp_ole2_doc.c - Word 97-2003 text by its piece table (MS-DOC) and
 * PowerPoint's text atoms (MS-PPT), also those of comments in binary tag
 * data; the UTF-8 writer the Office readers share.
 * SECURITY: the streams are client-controlled. Every FIB field, CLX
 * record, piece (fc, cp range) and record length is checked against the
 * stream it points into before it is read; piece counts are bounded by
 * the CLX's size; field nesting by SK_DOC_FIELDS; PowerPoint's binary
 * tag data, the one recursion, by SK_PPT_BLOB_DEPTH. */
#include <string.h>

#include "sekisho/text.h"

#include "dlp_ole2.h"

#define SK_PPT_BLOB_DEPTH 4 /* binary tag data inside binary tag data */

#define SK_DOC_FIELDS 32 /* field nesting tracked; deeper fields read as text */

static uint32_t sk_rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static unsigned sk_rd16(const unsigned char *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

void sk_otxt_flush(struct sk_otxt *t)
{
    if (t->n && !t->failed && t->emit(t->arg, t->buf, t->n) == -1)
        t->failed = 1;
    t->n = 0;
}

void sk_otxt_put(struct sk_otxt *t, uint32_t c)
{
    if (c == 0) /* terminators, padding: no text */
        return;
    if (t->n + 4 > sizeof(t->buf))
        sk_otxt_flush(t);
    if (c >= 0xD800 && c < 0xE000) /* a lone surrogate */
        c = 0xFFFD;
    t->chars++;
    t->n += sk_utf8_put((unsigned char *)t->buf + t->n, c);
}

void sk_otxt_cp1252(struct sk_otxt *t, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sk_otxt_put(t, sk_cp1252(p[i]));
}

void sk_otxt_utf8(struct sk_otxt *t, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!p[i])
            continue;
        if (t->n + 1 > sizeof(t->buf))
            sk_otxt_flush(t);
        t->buf[t->n++] = (char)p[i];
    }
}

void sk_otxt_utf16(struct sk_otxt *t, const unsigned char *p, size_t units)
{
    for (size_t i = 0; i < units; i++) {
        uint32_t c = sk_rd16(p + 2 * i);
        if (c >= 0xD800 && c < 0xDC00 && i + 1 < units) {
            uint32_t lo = sk_rd16(p + 2 * i + 2);
            if (lo >= 0xDC00 && lo < 0xE000) {
                c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
                i++;
            }
        }
        sk_otxt_put(t, c);
    }
}

/* Word's text: characters as a reader shows them, field codes aside. */
struct sk_doc {
    struct sk_otxt *out;
    struct sk_otxt *aside; /* field codes (a link's target) */
    unsigned depth;        /* fields open */
    uint32_t code;         /* bit k: field k is still in its code part */
};

static void sk_doc_char(struct sk_doc *d, uint32_t c)
{
    switch (c) {
    case 0x13: /* field begin: its code follows */
        if (d->depth < SK_DOC_FIELDS)
            d->code |= 1u << d->depth;
        d->depth++;
        sk_otxt_put(d->aside, '\n');
        return;
    case 0x14: /* field separator: its result follows */
        if (d->depth && d->depth <= SK_DOC_FIELDS)
            d->code &= ~(1u << (d->depth - 1));
        sk_otxt_put(d->aside, '\n');
        return;
    case 0x15: /* field end */
        if (d->depth) {
            d->depth--;
            if (d->depth < SK_DOC_FIELDS)
                d->code &= ~(1u << d->depth);
        }
        return;
    case 0x0D: /* paragraph, cell and row ends, line and page breaks */
    case 0x07:
    case 0x0B:
    case 0x0C:
        c = '\n';
        break;
    case 0x1E: /* non-breaking hyphen */
        c = 0x2011;
        break;
    case 0x1F: /* optional hyphen */
        c = 0x00AD;
        break;
    default:
        if (c < 0x20 && c != '\t') /* anchors of pictures, notes, objects */
            return;
    }
    sk_otxt_put(d->code ? d->aside : d->out, c);
}

/* The FIB fields: fcClx/lcbClx (FibRgFcLcb97, pair 33), the flags. */
static enum sk_ofmt_rc sk_doc_fib(const unsigned char *wd, size_t wn, unsigned *flags, uint32_t *fc,
                                  uint32_t *lcb, const char **why)
{
    if (wn < 34 || sk_rd16(wd) != 0xA5EC) {
        *why = "a Word document without its FIB";
        return SK_OFMT_BROKEN;
    }
    *flags = sk_rd16(wd + 0x0A);
    size_t csw = sk_rd16(wd + 32), at = 34 + 2 * csw;
    if (at + 2 > wn)
        goto broken;
    size_t cslw = sk_rd16(wd + at);
    at += 2 + 4 * cslw;
    if (at + 2 > wn)
        goto broken;
    size_t pairs = sk_rd16(wd + at);
    at += 2;
    if (pairs < 34 || at + 8 * 34 > wn)
        goto broken;
    *fc = sk_rd32(wd + at + 8 * 33);
    *lcb = sk_rd32(wd + at + 8 * 33 + 4);
    return SK_OFMT_OK;
broken:
    *why = "a Word FIB shorter than its counts";
    return SK_OFMT_BROKEN;
}

enum sk_ofmt_rc sk_ofmt_doc(const unsigned char *wd, size_t wn, const unsigned char *t0, size_t n0,
                            const unsigned char *t1, size_t n1, struct sk_otxt *out,
                            const char **why)
{
    unsigned flags;
    uint32_t fc, lcb;
    enum sk_ofmt_rc rc = sk_doc_fib(wd, wn, &flags, &fc, &lcb, why);

    if (rc != SK_OFMT_OK)
        return rc;
    if (flags & 0x0100) /* fEncrypted: RC4 or XOR obfuscation */
        return SK_OFMT_ENCRYPTED;
    const unsigned char *tb = flags & 0x0200 ? t1 : t0; /* fWhichTblStm */
    size_t tn = flags & 0x0200 ? n1 : n0;
    if (!tb || fc > tn || lcb > tn - fc) {
        *why = "a Word document whose piece table is not in its table stream";
        return SK_OFMT_BROKEN;
    }
    /* CLX: Prc records (0x01, cbGrpprl, grpprl) then the Pcdt (0x02) */
    const unsigned char *c = tb + fc;
    size_t i = 0;
    while (i < lcb && c[i] == 0x01) {
        if (i + 3 > lcb)
            break;
        i += 3 + sk_rd16(c + i + 1);
    }
    if (i + 5 > lcb || c[i] != 0x02) {
        *why = "a Word piece table without its Pcdt";
        return SK_OFMT_BROKEN;
    }
    uint32_t plc = sk_rd32(c + i + 1);
    i += 5;
    if (plc > lcb - i || plc < 4 || (plc - 4) % 12) {
        *why = "a Word piece table of a wrong size";
        return SK_OFMT_BROKEN;
    }
    size_t npcd = (plc - 4) / 12;
    const unsigned char *cps = c + i, *pcds = cps + 4 * (npcd + 1);
    struct sk_otxt aside = {.emit = out->emit, .arg = out->arg};
    struct sk_doc d = {.out = out, .aside = &aside};
    size_t total = 0;
    for (size_t k = 0; k < npcd; k++) {
        uint32_t a = sk_rd32(cps + 4 * k), b = sk_rd32(cps + 4 * k + 4);
        uint32_t f = sk_rd32(pcds + 8 * k + 2);
        if (b < a) {
            *why = "a Word piece whose end is before its start";
            return SK_OFMT_BROKEN;
        }
        size_t cnt = b - a;
        /* a character takes at least a byte of the stream: pieces that
         * overlap to repeat it (a million pieces over one megabyte) are
         * no document */
        if (cnt > wn - total) {
            *why = "Word pieces with more text than their stream holds";
            return SK_OFMT_BROKEN;
        }
        total += cnt;
        if (f & 0x40000000u) { /* fCompressed: cp1252 at fc/2 */
            size_t off = (f & 0x3FFFFFFFu) / 2;
            if (off > wn || cnt > wn - off)
                goto out_of;
            for (size_t j = 0; j < cnt; j++)
                sk_doc_char(&d, sk_cp1252(wd[off + j]));
        } else {
            size_t off = f & 0x3FFFFFFFu;
            if (off > wn || cnt > (wn - off) / 2)
                goto out_of;
            for (size_t j = 0; j < cnt; j++) {
                uint32_t u = sk_rd16(wd + off + 2 * j);
                if (u >= 0xD800 && u < 0xDC00 && j + 1 < cnt) {
                    uint32_t lo = sk_rd16(wd + off + 2 * j + 2);
                    if (lo >= 0xDC00 && lo < 0xE000)
                        u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00), j++;
                }
                sk_doc_char(&d, u);
            }
        }
        if (out->failed || aside.failed)
            return SK_OFMT_FAIL;
    }
    /* field codes after the text, on lines of their own */
    sk_otxt_put(out, '\n');
    sk_otxt_flush(out);
    sk_otxt_put(&aside, '\n');
    sk_otxt_flush(&aside);
    return out->failed || aside.failed ? SK_OFMT_FAIL : SK_OFMT_OK;
out_of:
    *why = "a Word piece outside the WordDocument stream";
    return SK_OFMT_BROKEN;
}

/* PowerPoint records: 8-byte headers (recVer in the low 4 bits: 0xF is a
 * container, whose records follow its header), read in one pass. */
/* The records of P[0..N): containers entered in one pass, text atoms
 * read. A binary tag's data (ProgBinaryTagDataBlob, 0x138B: PowerPoint
 * 2002's extensions, where a slide's comments are) holds records too,
 * walked apart (DEPTH deep at most): one that does not parse as records
 * ends only its own walk. */
static enum sk_ofmt_rc sk_ppt_walk(const unsigned char *p, size_t n, struct sk_otxt *out,
                                   const char **why, int depth)
{
    size_t i = 0;

    while (i + 8 <= n) {
        unsigned ver = sk_rd16(p + i) & 0xF, type = sk_rd16(p + i + 2);
        uint32_t len = sk_rd32(p + i + 4);
        i += 8;
        if (ver == 0xF) /* a container: its records are next */
            continue;
        if (len > n - i) {
            *why = "a PowerPoint record longer than its stream";
            return SK_OFMT_BROKEN;
        }
        if (type == 0x0FA0 || type == 0x0FBA) { /* TextCharsAtom, CString */
            sk_otxt_utf16(out, p + i, len / 2);
            sk_otxt_put(out, '\n');
        } else if (type == 0x0FA8) { /* TextBytesAtom: UTF-16 code units' low bytes */
            for (uint32_t k = 0; k < len; k++)
                sk_otxt_put(out, p[i + k]);
            sk_otxt_put(out, '\n');
        } else if (type == 0x138B && depth < SK_PPT_BLOB_DEPTH) {
            const char *inner = NULL;
            if (sk_ppt_walk(p + i, len, out, &inner, depth + 1) == SK_OFMT_FAIL)
                return SK_OFMT_FAIL;
        }
        if (out->failed)
            return SK_OFMT_FAIL;
        i += len;
    }
    return SK_OFMT_OK;
}

enum sk_ofmt_rc sk_ofmt_ppt(const unsigned char *p, size_t n, struct sk_otxt *out, const char **why)
{
    enum sk_ofmt_rc rc = sk_ppt_walk(p, n, out, why, 0);

    if (rc != SK_OFMT_OK)
        return rc;
    sk_otxt_flush(out);
    return out->failed ? SK_OFMT_FAIL : SK_OFMT_OK;
}

/* One property set at P[0..N) (MS-OLEPS PropertySet): its string values,
 * 8-bit ones in the set's code page (property 1: 1200 is UTF-16, 65001
 * UTF-8, else cp1252). */
static void sk_props_set(const unsigned char *p, size_t n, struct sk_otxt *out, size_t *budget)
{
    if (n < 8)
        return;
    uint32_t count = sk_rd32(p + 4);
    unsigned cp = 1252;
    for (int pass = 0; pass < 2; pass++) /* the code page first, then the strings */
        for (uint32_t k = 0; k < count && 8 + 8 * (size_t)k + 8 <= n; k++) {
            uint32_t id = sk_rd32(p + 8 + 8 * k), off = sk_rd32(p + 12 + 8 * k);
            if (off > n || n - off < 8)
                continue;
            unsigned type = sk_rd16(p + off);
            uint32_t len = sk_rd32(p + off + 4);
            const unsigned char *v = p + off + 8;
            size_t room = n - off - 8;
            if (pass == 0) {
                if (id == 1 && type == 0x0002)
                    cp = sk_rd16(p + off + 4);
                continue;
            }
            /* values that overlap to repeat one string: at most the
             * stream's size in all */
            size_t bytes = type == 0x001F ? 2 * (size_t)len : len;
            if ((type == 0x001E || type == 0x001F) && bytes > *budget)
                return;
            if (type == 0x001E) { /* VT_LPSTR: LEN bytes */
                if (len > room)
                    continue;
                *budget -= len;
                if (cp == 1200)
                    sk_otxt_utf16(out, v, len / 2);
                else if (cp == 65001)
                    sk_otxt_utf8(out, v, len);
                else
                    sk_otxt_cp1252(out, v, len);
            } else if (type == 0x001F) { /* VT_LPWSTR: LEN characters */
                if (len > room / 2)
                    continue;
                *budget -= bytes;
                sk_otxt_utf16(out, v, len);
            } else {
                continue;
            }
            sk_otxt_put(out, '\n');
        }
}

/* "\005SummaryInformation", "\005DocumentSummaryInformation" and any
 * property set stream: a header (28 bytes), then FMTID/offset pairs. */
enum sk_ofmt_rc sk_ofmt_props(const unsigned char *p, size_t n, struct sk_otxt *out,
                              const char **why)
{
    if (n < 28 || sk_rd16(p) != 0xFFFE) {
        *why = "a property set stream without its header";
        return SK_OFMT_BROKEN;
    }
    uint32_t sets = sk_rd32(p + 24);
    size_t budget = n;
    for (uint32_t k = 0; k < sets && k < 16 && 28 + 20 * (size_t)k + 20 <= n; k++) {
        uint32_t off = sk_rd32(p + 28 + 20 * k + 16);
        if (off >= n || n - off < 8)
            continue;
        uint32_t size = sk_rd32(p + off);
        sk_props_set(p + off, size < n - off ? size : n - off, out, &budget);
        if (out->failed)
            return SK_OFMT_FAIL;
    }
    sk_otxt_flush(out);
    return out->failed ? SK_OFMT_FAIL : SK_OFMT_OK;
}

/* dlp_norm.c - charset normalisation into the engine (or, as a converter,
 * into a format extractor that must read characters, not bytes): sniffing, iconv
 * (glibc) to UTF-8 for UTF-16 (sniffing: core sk_decode_charset.c), Shift_JIS (CP932), EUC-JP and
 * ISO-2022-JP, and the NFKC-style folding that makes ０１２ and 012 alike. SECURITY: client bytes
 * of any charset claim; conversion errors are skipped byte by byte, never fatal; buffers are
 * fixed-size.
 */
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sekisho/decode.h>

#include "dlp.h"

#define SK_SNIFF 1024
#define SK_CONV  8192

enum sk_norm_mode { SK_N_SNIFF, SK_N_BYTES, SK_N_ICONV };

struct sk_norm {
    struct sk_dlp_sink sink;
    struct sk_dlp_ctx *ctx;
    enum sk_norm_mode mode;
    iconv_t cd;
    char cdname[48];        /* what cd converts from, for sk_iconv_close */
    unsigned char pend[16]; /* incomplete sequence carried to the next write */
    size_t npend;
    unsigned char sniff[SK_SNIFF];
    size_t nsniff;
    const char *declared;      /* iconv name of a declared charset, NULL: bytes */
    char dname[32], sname[32]; /* where declared and second point */
    int has_declared;          /* a charset we know was declared */
    int forced;                /* read as DECLARED whatever the bytes say (sk_dlp_norm_as) */
    const char *second;        /* a declared charset read in a second reading only */
    /* HZ (RFC 1843: GB2312 in 7 bits between "~{" and "~}"), undone to
     * GB2312 in front of iconv, which has no HZ */
    int hz, hz_gb, hz_tilde;
    unsigned char hz_lead;
    /* converter only (sk_dlp_conv_new): UTF-8 goes to NEXT (a format
     * extractor), unfolded; NULL: folded into the engine */
    struct sk_dlp_sink *next;
};

/* Converted text out: to the next sink, or raw into the engine. */
static void sk_norm_out(struct sk_norm *z, const void *p, size_t n)
{
    if (z->next)
        sk_dlp_put(z->next, p, n);
    else
        sk_dlp_engine_write(z->ctx->e, p, n);
}

/*
 * Folding (a documented subset of NFKC plus what hides a number; the list
 * is the README's "Charsets and normalisation"):
 *  - U+FF01..U+FF5E full-width ASCII -> ASCII;
 *  - every other Unicode decimal digit (general category Nd, Unicode 14:
 *    the 64 runs of 0..9 in sk_nd_zero, BMP and supplementary planes,
 *    e.g. Arabic-Indic, Devanagari, Thai, mathematical U+1D7CE..U+1D7FF)
 *    -> its ASCII digit: a reader reads them as that number, so must we;
 *  - space separators (Zs: U+00A0, U+1680, U+2000..U+200A, U+202F,
 *    U+205F, U+3000) -> ' ';
 *  - U+2024 one dot leader, U+FE52 small full stop (NFKC '.') -> '.'
 *    (sk_fold_dot, generated);
 *  - dashes -> '-': all of Unicode Pd but '-', U+2212, the look-alikes
 *    U+02D7, U+2043, U+2500, U+2501, U+2796, and their NFKC forms
 *    (sk_fold_dash, generated: contrib/gen_text_tables.py);
 *  - dropped, because they are invisible and only split what a reader sees
 *    as one number (or word): soft hyphen U+00AD, zero-width and bidi
 *    format characters (U+061C, U+180E, U+200B..U+200F, U+202A..U+202E,
 *    U+2060..U+2064, U+2066..U+206F, U+FEFF), variation selectors
 *    (U+FE00..U+FE0F, U+E0100..U+E01EF), tags (U+E0001, U+E0020..U+E007F)
 *    and the script-independent combining marks (U+0300..U+036F,
 *    U+1AB0..U+1AFF, U+1DC0..U+1DFF, U+20D0..U+20FF with the keycap
 *    U+20E3, U+FE20..U+FE2F), which sit on a digit without changing it;
 *    and every other format character (Cf: the interlinear annotation
 *    marks U+FFF9..U+FFFB, musical, shorthand and Egyptian format
 *    controls) and the invisible Khmer vowels U+17B4/U+17B5 and Mongolian
 *    variation selectors (sk_fold_invisible, generated), but the drawn
 *    prepended concatenation marks (the Arabic number sign U+0600...).
 * Everything else passes unchanged, including malformed and overlong UTF-8
 * (byte by byte). Not folded on purpose: superscript, subscript and
 * circled digits (No, not Nd) are footnote and bullet markers far more
 * often than numbers, and as digits they would glue onto the number they
 * mark and hide it.
 */
enum sk_fold_kind {
    SK_FOLD_DIGIT,
    SK_FOLD_ASCII,
    SK_FOLD_SPACE,
    SK_FOLD_DASH,
    SK_FOLD_DOT,
    SK_FOLD_DROP
};

#define SK_FOLD_KEEP  (-1) /* sk_fold_cp: a character not ours, copy it */
#define SK_FOLD_NONE  (-2) /* sk_fold_cp: dropped */
#define SK_FOLD_RAW   (-3) /* sk_fold_cp: not UTF-8, copy the first byte */
#define SK_FOLD_MAXCP 0x110000

/* The zeros of the other digit runs: sk_nd_zeros() (the decoding layer's;
 * its U+FF10 is folded with the full-width ASCII range below). */

struct sk_fold_range {
    uint32_t first, last;
    enum sk_fold_kind kind;
};

static const struct sk_fold_range sk_fold_other[] = {
    {0x00a0, 0x00a0, SK_FOLD_SPACE},  {0x00ad, 0x00ad, SK_FOLD_DROP},
    {0x0300, 0x036f, SK_FOLD_DROP},   {0x061c, 0x061c, SK_FOLD_DROP},
    {0x1680, 0x1680, SK_FOLD_SPACE},  {0x180e, 0x180e, SK_FOLD_DROP},
    {0x1ab0, 0x1aff, SK_FOLD_DROP},   {0x1dc0, 0x1dff, SK_FOLD_DROP},
    {0x2000, 0x200a, SK_FOLD_SPACE},  {0x200b, 0x200f, SK_FOLD_DROP},
    {0x202a, 0x202e, SK_FOLD_DROP},   {0x202f, 0x202f, SK_FOLD_SPACE},
    {0x205f, 0x205f, SK_FOLD_SPACE},  {0x2060, 0x2064, SK_FOLD_DROP},
    {0x2066, 0x206f, SK_FOLD_DROP},   {0x20d0, 0x20ff, SK_FOLD_DROP},
    {0x3000, 0x3000, SK_FOLD_SPACE},  {0xfe00, 0xfe0f, SK_FOLD_DROP},
    {0xfe20, 0xfe2f, SK_FOLD_DROP},   {0xfeff, 0xfeff, SK_FOLD_DROP},
    {0xff01, 0xff5e, SK_FOLD_ASCII},  {0xe0001, 0xe0001, SK_FOLD_DROP},
    {0xe0020, 0xe007f, SK_FOLD_DROP}, {0xe0100, 0xe01ef, SK_FOLD_DROP},
};

/* Dashes -> '-' (contrib/gen_text_tables.py writes this table; the
 * characters the two tables above fold are left out of it). */
struct sk_fold_span {
    uint32_t first, last;
};

/* BEGIN generated by contrib/gen_text_tables.py */
/* clang-format off */
/* Unicode 14.0.0: Pd but '-', U+2212, look-alikes, their NFKC forms */
static const struct sk_fold_span sk_fold_dash[] = {
    {0x02d7, 0x02d7}, {0x058a, 0x058a}, {0x05be, 0x05be}, {0x1400, 0x1400}, {0x1806, 0x1806},
    {0x2010, 0x2015}, {0x2043, 0x2043}, {0x207b, 0x207b}, {0x208b, 0x208b}, {0x2212, 0x2212},
    {0x2500, 0x2501}, {0x2796, 0x2796}, {0x2e17, 0x2e17}, {0x2e1a, 0x2e1a}, {0x2e3a, 0x2e3b},
    {0x2e40, 0x2e40}, {0x2e5d, 0x2e5d}, {0x301c, 0x301c}, {0x3030, 0x3030}, {0x30a0, 0x30a0},
    {0xfe31, 0xfe32}, {0xfe58, 0xfe58}, {0xfe63, 0xfe63}, {0x10ead, 0x10ead},
};
/* Unicode 14.0.0: Cf and the invisible marks INVISIBLE_MARKS, but the
 * prepended concatenation marks (drawn); less the tables above */
static const struct sk_fold_span sk_fold_invisible[] = {
    {0x17b4, 0x17b5}, {0x180b, 0x180d}, {0x180f, 0x180f}, {0xfff9, 0xfffb}, {0x13430, 0x13438},
    {0x1bca0, 0x1bca3}, {0x1d173, 0x1d17a},
};
/* Unicode 14.0.0: the characters whose NFKC form is '.' (the full-width
 * one is in the full-width ASCII range) */
static const struct sk_fold_span sk_fold_dot[] = {
    {0x2024, 0x2024}, {0xfe52, 0xfe52},
};
/* clang-format on */
/* END generated */

#define SK_FOLD_NZERO  (SK_ND_NZERO - 1) /* but U+FF10 */
#define SK_FOLD_NOTHER (sizeof(sk_fold_other) / sizeof(sk_fold_other[0]))
#define SK_FOLD_NDASH  (sizeof(sk_fold_dash) / sizeof(sk_fold_dash[0]))
#define SK_FOLD_NINV   (sizeof(sk_fold_invisible) / sizeof(sk_fold_invisible[0]))
#define SK_FOLD_NDOT   (sizeof(sk_fold_dot) / sizeof(sk_fold_dot[0]))

/* Built once from the two tables above: all ranges sorted by first code
 * point, one bit per BMP code point that is in one (BMP text is decided by
 * that bit alone; beyond it, where ours are rare, the table is searched),
 * and the UTF-8 lead bytes that can start one (only those make
 * sk_dlp_fold decode or wait). */
static struct sk_fold_range
    sk_fold_tab[SK_FOLD_NZERO + SK_FOLD_NOTHER + SK_FOLD_NDASH + SK_FOLD_NINV + SK_FOLD_NDOT];
static unsigned char sk_fold_bmp[0x10000 / 8];
static unsigned char sk_fold_lead[256];

static int sk_fold_cmp(const void *a, const void *b)
{
    const struct sk_fold_range *x = a, *y = b;

    return x->first < y->first ? -1 : x->first > y->first;
}

static unsigned char sk_fold_lead_of(uint32_t cp)
{
    return (unsigned char)(cp < 0x800     ? 0xc0 | cp >> 6
                           : cp < 0x10000 ? 0xe0 | cp >> 12
                                          : 0xf0 | cp >> 18);
}

__attribute__((constructor)) static void sk_fold_init(void)
{
    size_t n = 0;

    const uint32_t *zero = sk_nd_zeros();

    for (size_t i = 0; i < SK_ND_NZERO; i++)
        if (zero[i] != 0xff10)
            sk_fold_tab[n++] = (struct sk_fold_range){zero[i], zero[i] + 9, SK_FOLD_DIGIT};
    for (size_t i = 0; i < SK_FOLD_NOTHER; i++)
        sk_fold_tab[n++] = sk_fold_other[i];
    for (size_t i = 0; i < SK_FOLD_NDASH; i++)
        sk_fold_tab[n++] =
            (struct sk_fold_range){sk_fold_dash[i].first, sk_fold_dash[i].last, SK_FOLD_DASH};
    for (size_t i = 0; i < SK_FOLD_NINV; i++)
        sk_fold_tab[n++] = (struct sk_fold_range){sk_fold_invisible[i].first,
                                                  sk_fold_invisible[i].last, SK_FOLD_DROP};
    for (size_t i = 0; i < SK_FOLD_NDOT; i++)
        sk_fold_tab[n++] =
            (struct sk_fold_range){sk_fold_dot[i].first, sk_fold_dot[i].last, SK_FOLD_DOT};
    qsort(sk_fold_tab, n, sizeof(sk_fold_tab[0]), sk_fold_cmp);
    for (size_t i = 0; i < n; i++)
        for (uint32_t cp = sk_fold_tab[i].first; cp <= sk_fold_tab[i].last; cp++) {
            if (cp < 0x10000)
                sk_fold_bmp[cp >> 3] |= (unsigned char)(1u << (cp & 7));
            sk_fold_lead[sk_fold_lead_of(cp)] = 1;
        }
}

/* The LEN-byte sequence at S (its lead is in sk_fold_lead): the ASCII byte
 * it folds to, SK_FOLD_NONE (dropped), SK_FOLD_KEEP (not ours) or
 * SK_FOLD_RAW (not well-formed UTF-8: continuation bytes, overlong, beyond
 * U+10FFFF). */
static int sk_fold_cp(const unsigned char *s, size_t len)
{
    static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
    uint32_t cp = s[0] & (0x7f >> len);
    size_t lo = 0, hi = sizeof(sk_fold_tab) / sizeof(sk_fold_tab[0]);

    for (size_t k = 1; k < len; k++) {
        if ((s[k] & 0xc0) != 0x80)
            return SK_FOLD_RAW;
        cp = cp << 6 | (s[k] & 0x3f);
    }
    if (cp < min[len] || cp >= SK_FOLD_MAXCP)
        return SK_FOLD_RAW;
    if (cp < 0x10000 && !(sk_fold_bmp[cp >> 3] & (1u << (cp & 7))))
        return SK_FOLD_KEEP;
    if (cp >= 0xff01 && cp <= 0xff5e) /* the common case (Japanese text) */
        return (int)(cp - 0xfee0);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < sk_fold_tab[mid].first)
            hi = mid;
        else if (cp > sk_fold_tab[mid].last)
            lo = mid + 1;
        else
            switch (sk_fold_tab[mid].kind) {
            case SK_FOLD_DIGIT:
                return '0' + (int)(cp - sk_fold_tab[mid].first);
            case SK_FOLD_ASCII:
                return (int)(cp - 0xfee0);
            case SK_FOLD_SPACE:
                return ' ';
            case SK_FOLD_DASH:
                return '-';
            case SK_FOLD_DOT:
                return '.';
            case SK_FOLD_DROP:
                return SK_FOLD_NONE;
            }
    }
    return SK_FOLD_KEEP;
}

size_t sk_dlp_fold(const unsigned char *s, size_t n, unsigned char *d, size_t cap, size_t *used,
                   int final)
{
    size_t i = 0, o = 0;

    while (i < n && o < cap) {
        /* ASCII runs: eight bytes at a time */
        while (i + 8 <= n && o + 8 <= cap) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & 0x8080808080808080ull)
                break;
            memcpy(d + o, &w, 8);
            i += 8, o += 8;
        }
        if (i >= n || o >= cap)
            break;
        unsigned char c = s[i];
        if (!sk_fold_lead[c]) {
            /* and the bytes after it that start nothing of ours either
             * (continuation bytes, most CJK leads) */
            d[o++] = c;
            i++;
            while (i < n && o < cap && s[i] >= 0x80 && !sk_fold_lead[s[i]])
                d[o++] = s[i++];
            continue;
        }
        size_t len = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
        if (n - i < len && !final)
            break; /* maybe an incomplete sequence: wait for more */
        int out = n - i >= len ? sk_fold_cp(s + i, len) : SK_FOLD_RAW;
        if (out == SK_FOLD_KEEP && cap - o >= len) {
            memcpy(d + o, s + i, len);
            o += len, i += len;
            continue;
        }
        if (out == SK_FOLD_KEEP || out == SK_FOLD_RAW) {
            d[o++] = c;
            i++;
            continue;
        }
        if (out != SK_FOLD_NONE)
            d[o++] = (unsigned char)out;
        i += len;
    }
    *used = i;
    return o;
}

/* Fold into the engine; keeps an incomplete tail in pend. */
static void sk_norm_bytes(struct sk_norm *z, const unsigned char *p, size_t n, int final)
{
    struct sk_dlp_engine *e = z->ctx->e;

    if (z->next) { /* converter: the extractor gets UTF-8 as it is */
        sk_norm_out(z, p, n);
        return;
    }
    while (n > 0) {
        size_t avail, used, o;
        unsigned char *d = sk_dlp_engine_space(e, &avail);
        o = sk_dlp_fold(p, n, d, avail, &used, final);
        sk_dlp_engine_commit(e, o);
        p += used;
        n -= used;
        if (used == 0 && o == 0) {
            /* fewer than four bytes that may start a sequence */
            memcpy(z->pend, p, n);
            z->npend = n;
            return;
        }
    }
}

/* Bytes (UTF-8 or ASCII-compatible): complete a pending sequence start
 * (at most three bytes, see sk_dlp_fold) first. The pending bytes and the
 * next few new ones are folded as if they had come in one write (final
 * only when this is the end): where a client cuts its chunks must not
 * change the text ("\xef" | "\xef\xbc\x91" is a raw byte and a full-width
 * "1", exactly as in one piece). */
static void sk_norm_flush_bytes(struct sk_norm *z, const unsigned char *p, size_t n, int final)
{
    if (z->next) {
        sk_norm_out(z, p, n);
        return;
    }
    if (z->npend) {
        unsigned char tmp[sizeof(z->pend) + 4], *d;
        size_t old = z->npend, take = n < 4 ? n : 4, used, o, avail;

        memcpy(tmp, z->pend, old);
        if (take > 0) /* end() passes p == NULL, n == 0 */
            memcpy(tmp + old, p, take);
        d = sk_dlp_engine_space(z->ctx->e, &avail);
        o = sk_dlp_fold(tmp, old + take, d, avail, &used, final);
        sk_dlp_engine_commit(z->ctx->e, o);
        if (used < old) {
            /* Still a possible sequence start, and all of P was taken
             * (fold only waits with at most three bytes left). */
            memmove(z->pend, tmp + used, old + take - used);
            z->npend = old + take - used;
            return;
        }
        z->npend = 0;
        if (used > old)
            p += used - old, n -= used - old;
    }
    sk_norm_bytes(z, p, n, final);
}

static int sk_norm_conv(struct sk_norm *z, const unsigned char *in, size_t n, size_t *used)
{
    char out[SK_CONV], *op = out, *ip = (char *)in;
    size_t inleft = n, outleft = sizeof(out);
    size_t r = iconv(z->cd, &ip, &inleft, &op, &outleft);
    int err = r == (size_t)-1 ? errno : 0;

    *used = n - inleft;
    sk_norm_bytes(z, (unsigned char *)out, (size_t)(op - out), 1);
    return err;
}

/* An invalid byte: a space (a token boundary), and the conversion back in
 * its initial shift state - a UTF-7 decoder ends a bad base64 run there
 * (Python's "replace"), glibc's would stay in it and read what follows as
 * base64. */
static void sk_norm_invalid(struct sk_norm *z)
{
    iconv(z->cd, NULL, NULL, NULL, NULL);
    sk_norm_out(z, " ", 1);
}

/* iconv to UTF-8, then fold. An incomplete sequence at the end of a write
 * waits in pend; an invalid byte is sk_norm_invalid. */
static void sk_norm_iconv(struct sk_norm *z, const unsigned char *p, size_t n, int final)
{
    size_t used;
    int err;

    while (z->npend && (n || final)) {
        if (n)
            z->pend[z->npend++] = *p++, n--;
        err = sk_norm_conv(z, z->pend, z->npend, &used);
        memmove(z->pend, z->pend + used, z->npend - used);
        z->npend -= used;
        if (err == EILSEQ && z->npend) {
            memmove(z->pend, z->pend + 1, --z->npend);
            sk_norm_invalid(z);
        } else if (err == EINVAL && (z->npend == sizeof(z->pend) || (n == 0 && final))) {
            z->npend = 0; /* truncated for good */
            sk_norm_out(z, " ", 1);
        } else if (err == EINVAL && n == 0) {
            return;
        }
    }
    while (n > 0) {
        err = sk_norm_conv(z, p, n, &used);
        p += used, n -= used;
        if (err == 0)
            break;
        if (err == EILSEQ && n > 0) {
            p++, n--;
            sk_norm_invalid(z);
        } else if (err == EINVAL) {
            if (n < sizeof(z->pend) && !final) {
                memcpy(z->pend, p, n);
                z->npend = n;
            }
            return;
        } else if (err != E2BIG) {
            return;
        }
    }
}

/* A declared charset that hides digits from a reading of bytes: the
 * decoding layer's name lookup (sk_charset_lookup: Python's spellings and
 * aliases, every EBCDIC page by number). */
int sk_dlp_charset_second(const char *cs)
{
    return sk_charset_lookup(cs, NULL, 0) == SK_CS_HIDES;
}

static void sk_norm_start(struct sk_norm *z, const char *name)
{
    z->mode = SK_N_BYTES;
    if (name != NULL) {
        z->hz = strcmp(name, "HZ") == 0;
        snprintf(z->cdname, sizeof(z->cdname), "%s", z->hz ? "GB2312" : name);
        z->cd = sk_iconv_open(z->cdname);
        if (z->cd != (iconv_t)-1)
            z->mode = SK_N_ICONV;
    }
}

/* HZ to GB2312 as Python's hz codec reads it: "~~" is '~', "~{" and
 * "~}" switch to and from GB2312 pairs (each byte | 0x80), "~" newline is
 * nothing; a '~' before anything else is a token boundary. O holds N + 1
 * bytes (a pair's first byte from the last write). */
static size_t sk_norm_unhz(struct sk_norm *z, const unsigned char *p, size_t n, unsigned char *o)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (z->hz_tilde) {
            z->hz_tilde = 0;
            if (c == '~' && !z->hz_gb)
                o[k++] = '~';
            else if ((c == '{' && !z->hz_gb) || (c == '}' && z->hz_gb))
                z->hz_gb = c == '{';
            else if (c != '\n' || z->hz_gb) {
                o[k++] = ' ';
                i--; /* C is read as it is */
            }
        } else if (c == '~' && !z->hz_lead) {
            z->hz_tilde = 1;
        } else if (!z->hz_gb || (!z->hz_lead && (c < 0x21 || c > 0x7e))) {
            o[k++] = c;
        } else if (z->hz_lead) {
            o[k++] = z->hz_lead | 0x80;
            o[k++] = c | 0x80;
            z->hz_lead = 0;
        } else {
            z->hz_lead = c;
        }
    }
    return k;
}

static void sk_norm_feed(struct sk_norm *z, const unsigned char *p, size_t n, int final)
{
    if (z->mode == SK_N_ICONV && z->hz) {
        unsigned char o[4097] = {0}; /* (only HZ pays the clearing) */
        do {
            size_t take = n < 4096 ? n : 4096;
            sk_norm_iconv(z, o, sk_norm_unhz(z, p, take, o), final && take == n);
            p += take, n -= take;
        } while (n > 0);
    } else if (z->mode == SK_N_ICONV)
        sk_norm_iconv(z, p, n, final);
    else
        sk_norm_flush_bytes(z, p, n, final);
}

/* The code unit width of a charset: 16 or 32 for UTF-16/UTF-32, else 0. */
static int sk_norm_wide(const char *name)
{
    if (!name || strncasecmp(name, "UTF-", 4) != 0)
        return 0;
    return strncmp(name + 4, "16", 2) == 0 ? 16 : strncmp(name + 4, "32", 2) == 0 ? 32 : 0;
}

/* Decide on the sniffed bytes and push them through. A declared charset
 * picks among the ASCII-compatible ones, or the byte order, but it cannot
 * overrule the bytes themselves: a BOM wins (as in browsers), and whether
 * the text is UTF-16 at all is what the bytes say - "charset=utf-16" on
 * ASCII text, or "utf-8" on NUL-interleaved UTF-16, would otherwise turn
 * every digit into something no detector reads. */
static void sk_norm_decide(struct sk_norm *z, int final)
{
    size_t skip = 0;
    const char *name = sk_charset_sniff(z->sniff, z->nsniff, &skip);

    if (z->forced)
        name = z->declared, skip = 0;
    else if (z->has_declared && skip == 0 && sk_norm_wide(name) == sk_norm_wide(z->declared))
        name = z->declared;
    sk_norm_start(z, name);
    sk_norm_feed(z, z->sniff + skip, z->nsniff - skip, final);
    z->nsniff = 0;
}

static int sk_norm_write(struct sk_dlp_sink *s, const unsigned char *p, size_t n)
{
    struct sk_norm *z = (struct sk_norm *)s;

    if (z->mode == SK_N_SNIFF) {
        size_t take = n < SK_SNIFF - z->nsniff ? n : SK_SNIFF - z->nsniff;
        memcpy(z->sniff + z->nsniff, p, take);
        z->nsniff += take;
        p += take, n -= take;
        if (z->nsniff < SK_SNIFF)
            return 0;
        sk_norm_decide(z, 0);
    }
    sk_norm_feed(z, p, n, 0);
    return 0;
}

static int sk_norm_end(struct sk_dlp_sink *s)
{
    struct sk_norm *z = (struct sk_norm *)s;

    if (z->mode == SK_N_SNIFF)
        sk_norm_decide(z, 1);
    else
        sk_norm_feed(z, NULL, 0, 1);
    if (z->npend) /* a truncated sequence at the very end: keep its bytes */
        sk_norm_out(z, z->pend, z->npend);
    z->npend = 0;
    if (z->next)
        return z->next->end(z->next);
    sk_dlp_engine_boundary(z->ctx->e);
    return 0;
}

static void sk_norm_destroy(struct sk_dlp_sink *s)
{
    struct sk_norm *z = (struct sk_norm *)s;

    if (z->mode == SK_N_ICONV)
        sk_iconv_close(z->cdname, z->cd);
    if (z->next)
        z->next->destroy(z->next);
    free(z);
}

struct sk_dlp_sink *sk_dlp_norm_new(struct sk_dlp_ctx *ctx, const char *charset)
{
    struct sk_norm *z = calloc(1, sizeof(*z));

    if (z == NULL)
        return NULL;
    z->sink = (struct sk_dlp_sink){
        .write = sk_norm_write, .end = sk_norm_end, .destroy = sk_norm_destroy};
    z->ctx = ctx;
    z->mode = SK_N_SNIFF;
    if (charset && *charset) {
        /* taken at the first SK_SNIFF bytes, with what they show
         * (sk_norm_decide); "UTF-16" lets iconv read a BOM itself */
        enum sk_cs_kind k = sk_charset_lookup(charset, z->dname, sizeof(z->dname));
        if (k == SK_CS_WIDE)
            z->declared = z->dname;
        else if (k == SK_CS_HIDES)
            z->second = memcpy(z->sname, z->dname, sizeof(z->sname));
        z->has_declared = k == SK_CS_WIDE || k == SK_CS_UTF8;
    }
    return &z->sink;
}

void sk_dlp_norm_as(struct sk_dlp_sink *s)
{
    struct sk_norm *z = (struct sk_norm *)s;

    if (!z->declared)
        z->declared = z->second;
    z->forced = z->declared != NULL;
}

struct sk_dlp_sink *sk_dlp_conv_new(struct sk_dlp_ctx *ctx, const char *charset,
                                    struct sk_dlp_sink *next)
{
    struct sk_dlp_sink *s = next ? sk_dlp_norm_new(ctx, charset) : NULL;

    if (!s) {
        if (next)
            next->destroy(next);
        return NULL;
    }
    ((struct sk_norm *)s)->next = next;
    return s;
}

/* dlp_norm.c - charset normalisation into the engine (or, as a converter,
 * into a format extractor that must read characters, not bytes): sniffing, iconv
 * (glibc) to UTF-8 for UTF-16 (sniffing: core sk_decode_charset.c), Shift_JIS (CP932), EUC-JP and
 * ISO-2022-JP, and the NFKC-style folding that makes ０１２ and 012 alike. SECURITY: client bytes
 * of any charset claim; conversion errors are skipped byte by byte, never fatal; buffers are
 * fixed-size.
 */
#include <errno.h>
#include <iconv.h>
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
    unsigned char pend[16]; /* incomplete sequence carried to the next write */
    size_t npend;
    unsigned char sniff[SK_SNIFF];
    size_t nsniff;
    const char *declared; /* iconv name of a declared charset, NULL: bytes */
    int has_declared;     /* a charset we know was declared */
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
 * Folding (a documented subset of NFKC, the part that matters for the
 * detectors): U+FF01..U+FF5E full-width ASCII -> ASCII, U+3000 -> space,
 * U+2010..U+2015 and U+2212, U+FE63 (dashes, minus) -> '-'. Everything
 * else passes unchanged.
 */
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
        if (c != 0xef && c != 0xe2 && c != 0xe3) {
            d[o++] = c;
            i++;
            continue;
        }
        if (i + 2 >= n && !final)
            break; /* maybe an incomplete sequence: wait for more */
        unsigned char c1 = i + 1 < n ? s[i + 1] : 0, c2 = i + 2 < n ? s[i + 2] : 0;
        int out = -1;
        if (c == 0xef && c1 == 0xbc && c2 >= 0x81 && c2 <= 0xbf)
            out = c2 - 0x60;
        else if (c == 0xef && c1 == 0xbd && c2 >= 0x80 && c2 <= 0x9e)
            out = c2 - 0x20;
        else if (c == 0xef && c1 == 0xb9 && c2 == 0xa3)
            out = '-';
        else if (c == 0xe3 && c1 == 0x80 && c2 == 0x80)
            out = ' ';
        else if (c == 0xe2 &&
                 ((c1 == 0x80 && c2 >= 0x90 && c2 <= 0x95) || (c1 == 0x88 && c2 == 0x92)))
            out = '-';
        if (out >= 0) {
            d[o++] = (unsigned char)out;
            i += 3;
        } else {
            d[o++] = c;
            i++;
        }
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
            /* fewer than three bytes that may start a sequence */
            memcpy(z->pend, p, n);
            z->npend = n;
            return;
        }
    }
}

/* Bytes (UTF-8 or ASCII-compatible): complete a pending sequence start
 * (at most two bytes, see sk_dlp_fold) first. The pending bytes and the
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
             * (fold only waits with at most two bytes left). */
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

/* iconv to UTF-8, then fold. An incomplete sequence at the end of a write
 * waits in pend; an invalid byte becomes a space (a token boundary). */
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
            sk_norm_out(z, " ", 1);
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
            sk_norm_out(z, " ", 1);
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

/* Declared charset -> iconv name, NULL for UTF-8/ASCII/unknown (bytes). */
static const char *sk_norm_charset(const char *cs)
{
    static const struct {
        const char *alias, *name;
    } map[] = {
        {"shift_jis", "CP932"}, {"shift-jis", "CP932"},         {"sjis", "CP932"},
        {"x-sjis", "CP932"},    {"windows-31j", "CP932"},       {"cp932", "CP932"},
        {"ms_kanji", "CP932"},  {"euc-jp", "EUC-JP"},           {"x-euc-jp", "EUC-JP"},
        {"eucjp", "EUC-JP"},    {"iso-2022-jp", "ISO-2022-JP"}, {"csiso2022jp", "ISO-2022-JP"},
        {"utf-16", "UTF-16"},   {"utf-16le", "UTF-16LE"},       {"utf-16be", "UTF-16BE"},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcasecmp(cs, map[i].alias) == 0)
            return map[i].name;
    return NULL;
}

static void sk_norm_start(struct sk_norm *z, const char *name)
{
    z->mode = SK_N_BYTES;
    if (name != NULL) {
        z->cd = iconv_open("UTF-8", name);
        if (z->cd != (iconv_t)-1)
            z->mode = SK_N_ICONV;
    }
}

static void sk_norm_feed(struct sk_norm *z, const unsigned char *p, size_t n, int final)
{
    if (z->mode == SK_N_ICONV)
        sk_norm_iconv(z, p, n, final);
    else
        sk_norm_flush_bytes(z, p, n, final);
}

static int sk_norm_wide(const char *name)
{
    return name && strncmp(name, "UTF-16", 6) == 0;
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

    if (z->has_declared && skip == 0 && sk_norm_wide(name) == sk_norm_wide(z->declared))
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
        iconv_close(z->cd);
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
        z->declared = sk_norm_charset(charset);
        z->has_declared = z->declared != NULL || strcasecmp(charset, "utf-8") == 0 ||
                          strcasecmp(charset, "utf8") == 0;
    }
    return &z->sink;
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

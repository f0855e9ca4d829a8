/* sk_lha.c - the members of an LHA archive (.lzh, .lha; sekisho/decode.h),
 * decoded: stored (-lh0-, -lz4-) and the static-Huffman LZ methods
 * -lh4- to -lh7- (4 to 64 KiB windows), what LHA, 7-Zip and Lhaplus
 * write. libclamav decodes an LHA's members into memory and hands them to
 * nobody, so the walk's own readers (base64 in a page, a .lzma or .lz4
 * member) need them decoded here.
 * SECURITY: client bytes. Headers are checked against the bytes there
 * are; a member decodes into a buffer of at most its declared size and
 * the caller's bound (the walk's budget), every table the stream
 * describes is checked to be a complete prefix code before it is used,
 * tree walks stop after 16 bits, and a stream that runs out reads zeros
 * and ends at the declared size: a corrupt member costs at most its
 * declared size of output.
 */
#include <stdlib.h>
#include <string.h>

#include "sekisho/decode.h"
#include "sk_util.h"

#define SK_LHA_NC  510 /* literals 0-255, lengths 3-256 */
#define SK_LHA_NT  19
#define SK_LHA_NPT 0x80
#define SK_LHA_CB  9 /* bits of the literal/length code count */
#define SK_LHA_TB  5 /* bits of the code-length code count */

struct sk_unlha {
    const unsigned char *in;
    size_t n, pos;
    unsigned bitbuf; /* the next 16 bits, most significant first */
    unsigned sub;    /* bits of cur not yet in bitbuf */
    unsigned cur;
    int np, pbit;
    int bad;
    unsigned blocksize;
    unsigned char c_len[SK_LHA_NC], pt_len[SK_LHA_NPT];
    unsigned short c_table[4096], pt_table[256];
    unsigned short left[2 * SK_LHA_NC - 1], right[2 * SK_LHA_NC - 1];
};

static void sk_lha_fill(struct sk_unlha *u, unsigned n)
{
    u->bitbuf = (u->bitbuf << n) & 0xffff;
    while (n > u->sub) {
        n -= u->sub;
        u->bitbuf |= (u->cur << n) & 0xffff;
        u->cur = u->pos < u->n ? u->in[u->pos] : 0;
        u->pos++;
        u->sub = 8;
    }
    u->sub -= n;
    u->bitbuf |= (u->cur >> u->sub) & ((1u << n) - 1);
}

static unsigned sk_lha_get(struct sk_unlha *u, unsigned n)
{
    unsigned v = u->bitbuf >> (16 - n);
    sk_lha_fill(u, n);
    return v;
}

/* The lookup TABLE (TBITS bits) and the tree beyond it for the code
 * lengths LEN[0..NCH): -1 when they are no complete prefix code. */
static int sk_lha_table(struct sk_unlha *u, int nch, const unsigned char *len, int tbits,
                        unsigned short *table)
{
    unsigned count[17] = {0}, weight[17], start[18];
    int jut = 16 - tbits;
    unsigned avail = (unsigned)nch, mask = 1u << (15 - tbits), tsize = 1u << tbits;

    for (int i = 0; i < nch; i++) {
        if (len[i] > 16)
            return -1;
        count[len[i]]++;
    }
    start[1] = 0;
    for (int i = 1; i <= 16; i++)
        start[i + 1] = start[i] + (count[i] << (16 - i));
    if (start[17] != 1u << 16)
        return -1;
    for (int i = 1; i <= tbits; i++) {
        start[i] >>= jut;
        weight[i] = 1u << (tbits - i);
    }
    for (int i = tbits + 1; i <= 16; i++)
        weight[i] = 1u << (16 - i);
    for (unsigned i = start[tbits + 1] >> jut; i < tsize; i++)
        table[i] = 0;
    for (int ch = 0; ch < nch; ch++) {
        unsigned l = len[ch];
        if (l == 0)
            continue;
        unsigned next = start[l] + weight[l];
        if ((int)l <= tbits) {
            if (next > tsize)
                return -1;
            for (unsigned i = start[l]; i < next; i++)
                table[i] = (unsigned short)ch;
        } else {
            unsigned k = start[l];
            unsigned short *p = &table[k >> jut];
            for (int i = (int)l - tbits; i > 0; i--) {
                if (*p == 0) {
                    if (avail >= 2 * (unsigned)nch - 1)
                        return -1;
                    u->right[avail] = u->left[avail] = 0;
                    *p = (unsigned short)avail++;
                }
                if (*p < nch)
                    return -1; /* a leaf where the tree goes on */
                p = (k & mask) ? &u->right[*p] : &u->left[*p];
                k <<= 1;
            }
            *p = (unsigned short)ch;
        }
        start[l] = next;
    }
    return 0;
}

/* A symbol through TABLE (TBITS bits) and the tree, whose lengths are
 * LEN, of NCH symbols. */
static unsigned sk_lha_sym(struct sk_unlha *u, const unsigned short *table, int tbits,
                           const unsigned char *len, int nch)
{
    unsigned j = table[u->bitbuf >> (16 - tbits)];
    if ((int)j >= nch) {
        unsigned mask = 1u << (15 - tbits);
        while ((int)j >= nch && mask) {
            j = (u->bitbuf & mask) ? u->right[j] : u->left[j];
            mask >>= 1;
        }
        if ((int)j >= nch) {
            u->bad = 1;
            return 0;
        }
    }
    sk_lha_fill(u, len[j]);
    return j;
}

/* A table of one code (a count of 0 in the stream): symbol C, of NSYM,
 * whatever the bits say, and no bits read for it. */
static int sk_lha_one(unsigned c, int nsym, unsigned char *len, size_t nlen, unsigned short *table,
                      size_t ntab)
{
    if ((int)c >= nsym)
        return -1;
    memset(len, 0, nlen);
    for (size_t i = 0; i < ntab; i++)
        table[i] = (unsigned short)c;
    return 0;
}

static int sk_lha_pt_len(struct sk_unlha *u, int nn, int nbit, int special)
{
    int n = (int)sk_lha_get(u, (unsigned)nbit);

    if (n == 0)
        return sk_lha_one(sk_lha_get(u, (unsigned)nbit), nn, u->pt_len, sizeof(u->pt_len),
                          u->pt_table, 256);
    if (n > nn)
        return -1;
    int i = 0;
    while (i < n) {
        unsigned c = u->bitbuf >> 13;
        if (c == 7) {
            unsigned mask = 1u << 12;
            while (mask & u->bitbuf) {
                mask >>= 1;
                c++;
            }
            if (c > 16)
                return -1;
        }
        sk_lha_fill(u, c < 7 ? 3 : c - 3);
        u->pt_len[i++] = (unsigned char)c;
        if (i == special) {
            int z = (int)sk_lha_get(u, 2);
            while (z-- > 0 && i < n)
                u->pt_len[i++] = 0;
        }
    }
    while (i < nn)
        u->pt_len[i++] = 0;
    return sk_lha_table(u, nn, u->pt_len, 8, u->pt_table);
}

static int sk_lha_c_len(struct sk_unlha *u)
{
    int n = (int)sk_lha_get(u, SK_LHA_CB);

    if (n == 0)
        return sk_lha_one(sk_lha_get(u, SK_LHA_CB), SK_LHA_NC, u->c_len, sizeof(u->c_len),
                          u->c_table, 4096);
    if (n > SK_LHA_NC)
        return -1;
    int i = 0;
    while (i < n) {
        unsigned c = sk_lha_sym(u, u->pt_table, 8, u->pt_len, SK_LHA_NT);
        if (u->bad)
            return -1;
        if (c <= 2) {
            int z = c == 0   ? 1
                    : c == 1 ? (int)sk_lha_get(u, 4) + 3
                             : (int)sk_lha_get(u, SK_LHA_CB) + 20;
            while (z-- > 0 && i < SK_LHA_NC)
                u->c_len[i++] = 0;
        } else {
            u->c_len[i++] = (unsigned char)(c - 2);
        }
    }
    while (i < SK_LHA_NC)
        u->c_len[i++] = 0;
    return sk_lha_table(u, SK_LHA_NC, u->c_len, 12, u->c_table);
}

/* IN[0..N) of method -lh4- to -lh7- (DICBIT 12, 13, 15, 16) into OUT,
 * OUTN bytes (the declared size): 0, or -1 corrupt (OUT holds what came
 * before; *GOT says how much). */
static int sk_unlha(const unsigned char *in, size_t n, int dicbit, unsigned char *out, size_t outn,
                    size_t *got)
{
    struct sk_unlha *u = calloc(1, sizeof(*u));
    size_t o = 0;
    int rc = 0;

    if (!u)
        return -2;
    u->in = in, u->n = n;
    u->np = dicbit <= 13 ? 14 : dicbit == 16 ? 17 : 16;
    u->pbit = dicbit <= 13 ? 4 : 5;
    sk_lha_fill(u, 16);
    while (o < outn) {
        if (u->blocksize == 0) {
            u->blocksize = sk_lha_get(u, 16);
            if (u->blocksize == 0 || sk_lha_pt_len(u, SK_LHA_NT, SK_LHA_TB, 3) == -1 ||
                sk_lha_c_len(u) == -1 || sk_lha_pt_len(u, u->np, u->pbit, -1) == -1) {
                rc = -1;
                break;
            }
        }
        u->blocksize--;
        unsigned c = sk_lha_sym(u, u->c_table, 12, u->c_len, SK_LHA_NC);
        if (c < 256) {
            out[o++] = (unsigned char)c;
        } else {
            size_t len = c - 253;
            unsigned p = sk_lha_sym(u, u->pt_table, 8, u->pt_len, u->np);
            if (p > 1)
                p = (1u << (p - 1)) + sk_lha_get(u, p - 1);
            size_t dist = (size_t)p + 1;
            if (dist > (size_t)1 << dicbit) {
                rc = -1;
                break;
            }
            /* before the start: the window LHA fills with spaces */
            for (size_t k = 0; k < len && o < outn; k++, o++)
                out[o] = dist > o ? ' ' : out[o - dist];
        }
        if (u->bad || u->pos > n + 4) { /* codes that do not read, or past the data */
            rc = -1;
            break;
        }
    }
    *got = o;
    free(u);
    return rc;
}

/* LHA's CRC-16 (polynomial 0xA001 reflected, 0 to start) of P[0..N). */
static unsigned sk_lha_crc(const unsigned char *p, size_t n)
{
    unsigned crc = 0;

    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = crc & 1 ? crc >> 1 ^ 0xa001 : crc >> 1;
    }
    return crc;
}

int sk_lha_each(const unsigned char *p, size_t n, uint64_t out_max, sk_lha_member_fn fn, void *arg)
{
    size_t at = 0;

    while (at < n && p[at] != 0) {
        const unsigned char *h = p + at;
        size_t left = n - at;
        if (left < 22 || h[2] != '-' || h[3] != 'l' || h[6] != '-' || h[20] > 2)
            return SK_AR_CORRUPT;
        int level = h[20];
        size_t hs = level == 2 ? (size_t)(h[0] | h[1] << 8) : (size_t)h[0] + 2, data = hs;
        if (hs < 22 || hs > left)
            return hs > left ? SK_AR_SHORT : SK_AR_CORRUPT;
        uint32_t comp = sk_le32(h + 7), orig = sk_le32(h + 11);
        char name[256] = "";
        long crc = -1; /* the original data's CRC-16, when the header has one */
        if (level < 2 && 22 + (size_t)h[21] <= hs) {
            size_t nl = h[21] < sizeof(name) - 1 ? h[21] : sizeof(name) - 1;
            memcpy(name, h + 22, nl);
            name[nl] = '\0';
            if (22 + (size_t)h[21] + 2 <= hs)
                crc = h[22 + h[21]] | h[23 + h[21]] << 8;
        } else if (level == 2) {
            crc = h[21] | h[22] << 8;
            /* its extended headers: the file name (type 1) */
            size_t e = 26, ext = hs >= 26 ? (size_t)(h[24] | h[25] << 8) : 0;
            for (int k = 0; ext >= 3 && e + ext <= hs && k < 256; k++) {
                if (h[e] == 1) {
                    size_t nl = ext - 3 < sizeof(name) - 1 ? ext - 3 : sizeof(name) - 1;
                    memcpy(name, h + e + 1, nl);
                    name[nl] = '\0';
                }
                e += ext;
                ext = (size_t)(h[e - 2] | h[e - 1] << 8);
            }
        }
        if (level == 1) { /* extended headers, counted in the compressed size */
            size_t ext = (size_t)(h[hs - 2] | h[hs - 1] << 8), e = hs;
            for (int k = 0; ext && k < 256; k++) {
                if (ext < 3 || e + ext > left || ext > comp)
                    return SK_AR_CORRUPT;
                comp -= (uint32_t)ext;
                e += ext;
                ext = (size_t)(p[at + e - 2] | p[at + e - 1] << 8);
            }
            data = e;
        }
        if (comp > left - data)
            return SK_AR_SHORT;
        const unsigned char *d = h + data;
        int dicbit = memcmp(h + 3, "lh4", 3) == 0   ? 12
                     : memcmp(h + 3, "lh5", 3) == 0 ? 13
                     : memcmp(h + 3, "lh6", 3) == 0 ? 15
                     : memcmp(h + 3, "lh7", 3) == 0 ? 16
                                                    : 0;
        int stored = memcmp(h + 3, "lh0", 3) == 0 || memcmp(h + 3, "lz4", 3) == 0;
        if (stored) {
            if (comp && fn(arg, name, d, comp, 0) == -1)
                return SK_AR_STOP;
        } else if (dicbit && orig) {
            size_t want = orig < out_max ? orig : (size_t)out_max, got = 0;
            unsigned char *out = want ? malloc(want) : NULL;
            if (want && !out)
                return SK_AR_STOP;
            int rc = want ? sk_unlha(d, comp, dicbit, out, want, &got) : 0;
            if (rc == 0 && want == orig && crc >= 0 && sk_lha_crc(out, got) != (unsigned)crc)
                rc = -1; /* decoded, but not to what was packed */
            int r = rc == -2 ? -1
                             : fn(arg, name, out, got,
                                  rc == -1      ? SK_LHA_CORRUPT
                                  : orig > want ? SK_LHA_LIMIT
                                                : 0);
            free(out);
            if (r == -1 || rc == -2)
                return SK_AR_STOP;
        } else if (!dicbit && memcmp(h + 3, "lhd", 3) != 0 && comp) {
            if (fn(arg, name, d, comp, SK_LHA_UNREAD) == -1) /* -lh1- to -lh3-, -lzs-, -lz5- */
                return SK_AR_STOP;
        }
        at += data + comp;
    }
    return SK_AR_OK;
}

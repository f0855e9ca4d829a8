/* sk_7z.c - the decompression guard for 7z archives (sekisho/decode.h,
 * sk_7z_guard): reads the archive's headers - the signature header, an
 * encoded header (LZMA or LZMA2, decoded here within the guard's bound),
 * the main streams' pack sizes and folders - and holds each folder's
 * declared unpacked size to sk_decode_bound of its packed bytes, and all
 * folders together to the bound of the archive's bytes.
 * Why declared sizes are enough: libclamav (the LZMA SDK's 7z reader)
 * decodes each folder into a buffer of its declared unpacked size and
 * stops there, so what a 7z costs it is what its headers say; a header
 * that says little and data that hold more is cut (a data error), not
 * decoded on.
 * SECURITY: client bytes, read only; every number is checked against the
 * input's end before use; counts are capped (SK_7Z_MAX); the encoded
 * header's decoder output is bounded by the guard and its dictionary to
 * 64 MiB (7-Zip's -mx=9; SK_XZ_MEMLIMIT less the decoder's state).
 * Not read (-1, left to libclamav's own limits): an encoded header of
 * another coder or chain, or a larger dictionary - 7-Zip writes neither. */
#include <lzma.h>
#include <stdlib.h>
#include <string.h>

#include <sekisho/decode.h>

#define SK_7Z_MAX    4096 /* folders, coders per folder, pack streams */
#define SK_7Z_LEVELS 4    /* encoded headers inside encoded headers */

enum {
    SK_7Z_END = 0x00,
    SK_7Z_HEADER = 0x01,
    SK_7Z_ARCHIVE_PROPS = 0x02,
    SK_7Z_ADD_STREAMS = 0x03,
    SK_7Z_MAIN_STREAMS = 0x04,
    SK_7Z_PACK_INFO = 0x06,
    SK_7Z_UNPACK_INFO = 0x07,
    SK_7Z_SUBSTREAMS = 0x08,
    SK_7Z_SIZE = 0x09,
    SK_7Z_CRC = 0x0a,
    SK_7Z_FOLDER = 0x0b,
    SK_7Z_UNPACK_SIZE = 0x0c,
    SK_7Z_ENCODED = 0x17,
};

struct sk_7z_rd {
    const unsigned char *p;
    size_t n, i;
};

/* What the guard needs of one StreamsInfo: the pack streams' sizes, and
 * per folder how many of them it takes, its largest unpacked size, and
 * (for an encoded header) its one coder. */
struct sk_7z_si {
    uint64_t pack_pos, npack;
    uint64_t *pack; /* npack sizes */
    uint64_t nfold;
    uint64_t *fold_packed; /* pack streams each folder takes */
    uint64_t *fold_outs;   /* out streams each folder has */
    uint64_t *fold_unpack; /* largest unpacked size of each folder */
    /* folder 0's coder when it is its only one */
    unsigned char id[4];
    size_t idn;
    unsigned char props[8];
    size_t propn;
    int one_coder;
    unsigned unread; /* folders libclamav does not decode (sk_7z_folder_read) */
};

static int sk_7z_byte(struct sk_7z_rd *r, unsigned *b)
{
    if (r->i >= r->n)
        return -1;
    *b = r->p[r->i++];
    return 0;
}

/* 7z's variable-length number: the first byte's leading one bits say how
 * many bytes follow (little-endian), its remaining bits are the top. */
static int sk_7z_num(struct sk_7z_rd *r, uint64_t *v)
{
    unsigned first, mask = 0x80;
    uint64_t val = 0;

    if (sk_7z_byte(r, &first) == -1)
        return -1;
    for (int i = 0; i < 8; i++, mask >>= 1) {
        if ((first & mask) == 0) {
            *v = val | (uint64_t)(first & (mask - 1)) << (8 * i);
            return 0;
        }
        if (r->i >= r->n)
            return -1;
        val |= (uint64_t)r->p[r->i++] << (8 * i);
    }
    *v = val;
    return 0;
}

static int sk_7z_skip(struct sk_7z_rd *r, uint64_t k)
{
    if (k > r->n - r->i)
        return -1;
    r->i += (size_t)k;
    return 0;
}

/* A CRC list of N items: an "all defined" byte, else a bit field. */
static int sk_7z_digests(struct sk_7z_rd *r, uint64_t n)
{
    unsigned all;
    uint64_t defined = 0;

    if (sk_7z_byte(r, &all) == -1)
        return -1;
    if (all)
        defined = n;
    else {
        for (uint64_t i = 0; i < n; i += 8) {
            unsigned b;
            if (sk_7z_byte(r, &b) == -1)
                return -1;
            defined += (unsigned)__builtin_popcount(b);
        }
    }
    return sk_7z_skip(r, defined * 4);
}

static void sk_7z_si_free(struct sk_7z_si *s)
{
    free(s->pack);
    free(s->fold_packed);
    free(s->fold_outs);
    free(s->fold_unpack);
    memset(s, 0, sizeof(*s));
}

static int sk_7z_pack_info(struct sk_7z_rd *r, struct sk_7z_si *s)
{
    unsigned id = 0xff; /* not END: a list cut short is no list */

    if (sk_7z_num(r, &s->pack_pos) == -1 || sk_7z_num(r, &s->npack) == -1 || s->npack > SK_7Z_MAX ||
        !(s->pack = calloc(s->npack + 1, sizeof(*s->pack))))
        return -1;
    while (sk_7z_byte(r, &id) == 0 && id != SK_7Z_END) {
        if (id == SK_7Z_SIZE) {
            for (uint64_t i = 0; i < s->npack; i++)
                if (sk_7z_num(r, &s->pack[i]) == -1)
                    return -1;
        } else if (id == SK_7Z_CRC) {
            if (sk_7z_digests(r, s->npack) == -1)
                return -1;
        } else
            return -1;
    }
    return id == SK_7Z_END ? 0 : -1;
}

/* Coder ids as libclamav 1.4's 7z reader (the LZMA SDK's 7zDec, PPMd
 * enabled) numbers them: the id's bytes big-endian. */
enum {
    SK_7Z_COPY = 0x00,
    SK_7Z_LZMA2 = 0x21,
    SK_7Z_LZMA = 0x030101,
    SK_7Z_PPMD = 0x030401,
    SK_7Z_BZIP2 = 0x040202,
    SK_7Z_BCJ = 0x03030103,
    SK_7Z_BCJ2 = 0x0303011b,
    SK_7Z_ARM = 0x03030501,
    SK_7Z_AES = 0x06f10701,
};

/* One coder of a folder as the reader sees it. */
struct sk_7z_coder {
    uint64_t id; /* UINT64_MAX: an id longer than 8 bytes */
    uint64_t ins, outs;
};

static int sk_7z_main_coder(const struct sk_7z_coder *c)
{
    return c->ins == 1 && c->outs == 1 &&
           (c->id == SK_7Z_COPY || c->id == SK_7Z_LZMA || c->id == SK_7Z_LZMA2 ||
            c->id == SK_7Z_PPMD);
}

/* Does libclamav 1.4's 7z reader decode this folder (NC coders C, NB bind
 * pairs BIND as in/out index pairs, NP packed streams PACK)? Its
 * CheckSupportedFolder takes three shapes only: one main coder (Copy,
 * LZMA, LZMA2, PPMd); a main coder followed by BCJ or ARM; three main
 * coders and BCJ2 bound as 7-Zip binds them. Anything else - Deflate,
 * Deflate64, Delta, the PPC, IA64, ARMT and SPARC filters, two filters,
 * BCJ2 in another layout - it passes as clean without reading: EICAR in
 * a Deflate 7z, or an LZMA one behind the ARMT filter, came through.
 * Counted as read as well: a folder with an AES coder (libclamav reports
 * it encrypted) and a lone BZip2 coder (the walk after the engine finds
 * its stream by its header and reads it). */
static int sk_7z_folder_read(const struct sk_7z_coder *c, uint64_t nc, const uint64_t *bind,
                             uint64_t nb, const uint64_t *pack, uint64_t np)
{
    static const uint64_t bcj2_bind[6] = {5, 0, 4, 1, 3, 2}, bcj2_pack[4] = {2, 6, 1, 0};

    for (uint64_t i = 0; i < nc; i++)
        if (c[i].id == SK_7Z_AES)
            return 1;
    if (nc == 1)
        return np == 1 && pack[0] == 0 && nb == 0 &&
               (sk_7z_main_coder(&c[0]) || (c[0].id == SK_7Z_BZIP2 && c[0].ins == 1));
    if (nc == 2)
        return sk_7z_main_coder(&c[0]) && c[1].ins == 1 && c[1].outs == 1 && np == 1 &&
               pack[0] == 0 && nb == 1 && bind[0] == 1 && bind[1] == 0 &&
               (c[1].id == SK_7Z_BCJ || c[1].id == SK_7Z_ARM);
    if (nc == 4)
        return sk_7z_main_coder(&c[0]) && sk_7z_main_coder(&c[1]) && sk_7z_main_coder(&c[2]) &&
               c[3].id == SK_7Z_BCJ2 && c[3].ins == 4 && c[3].outs == 1 && np == 4 &&
               memcmp(pack, bcj2_pack, sizeof(bcj2_pack)) == 0 && nb == 3 &&
               memcmp(bind, bcj2_bind, sizeof(bcj2_bind)) == 0;
    return 0;
}

/* One folder: its coders (noted when it has one only), bind pairs and
 * packed stream indices; *OUTS and *PACKED its stream counts. A folder
 * libclamav does not decode (sk_7z_folder_read) counts in S's unread. */
static int sk_7z_folder(struct sk_7z_rd *r, struct sk_7z_si *s, int first, uint64_t *outs,
                        uint64_t *packed)
{
    struct sk_7z_coder cod[4] = {{0}};
    uint64_t nc, ins = 0, o = 0, v, bind[6] = {0}, pack[4] = {0};

    if (sk_7z_num(r, &nc) == -1 || nc == 0 || nc > 64)
        return -1;
    for (uint64_t c = 0; c < nc; c++) {
        unsigned f;
        uint64_t ci = 1, co = 1, pn = 0, id = 0;
        if (sk_7z_byte(r, &f) == -1 || (f & 0xc0))
            return -1; /* alternative methods: not written by any 7z tool */
        size_t idn = f & 0x0f, at = r->i;
        if (sk_7z_skip(r, idn) == -1)
            return -1;
        for (size_t k = 0; k < idn; k++)
            id = k < 8 ? id << 8 | r->p[at + k] : UINT64_MAX;
        if ((f & 0x10) &&
            (sk_7z_num(r, &ci) == -1 || sk_7z_num(r, &co) == -1 || ci > 64 || co > 64))
            return -1;
        size_t pat = 0;
        if (f & 0x20) {
            if (sk_7z_num(r, &pn) == -1)
                return -1;
            pat = r->i;
            if (sk_7z_skip(r, pn) == -1)
                return -1;
        }
        if (first && nc == 1 && idn <= sizeof(s->id) && pn <= sizeof(s->props)) {
            s->one_coder = 1;
            memcpy(s->id, r->p + at, idn);
            s->idn = idn;
            memcpy(s->props, r->p + pat, (size_t)pn);
            s->propn = (size_t)pn;
        }
        if (c < 4)
            cod[c] = (struct sk_7z_coder){id, ci, co};
        ins += ci, o += co;
    }
    if (o == 0 || ins + 1 < o)
        return -1;
    for (uint64_t b = 0; b + 1 < o; b++) { /* bind pairs: in index, out index */
        uint64_t in, out;
        if (sk_7z_num(r, &in) == -1 || sk_7z_num(r, &out) == -1)
            return -1;
        if (b < 3)
            bind[2 * b] = in, bind[2 * b + 1] = out;
    }
    *packed = ins - (o - 1);
    if (*packed > 1) {
        for (uint64_t k = 0; k < *packed; k++) {
            if (sk_7z_num(r, &v) == -1)
                return -1;
            if (k < 4)
                pack[k] = v;
        }
    } else { /* the one in stream no bind pair takes */
        pack[0] = 0;
        for (uint64_t k = 0; k < ins; k++) {
            int bound = 0;
            for (uint64_t b = 0; b + 1 < o && b < 3; b++)
                bound |= bind[2 * b] == k;
            if (!bound) {
                pack[0] = k;
                break;
            }
        }
    }
    *outs = o;
    if (nc > 4 || o - 1 > 3 || *packed > 4 ||
        !sk_7z_folder_read(cod, nc, bind, o - 1, pack, *packed))
        s->unread++;
    return 0;
}

static int sk_7z_unpack_info(struct sk_7z_rd *r, struct sk_7z_si *s)
{
    unsigned id = 0xff, ext;

    if (sk_7z_byte(r, &id) == -1 || id != SK_7Z_FOLDER || sk_7z_num(r, &s->nfold) == -1 ||
        s->nfold == 0 || s->nfold > SK_7Z_MAX || sk_7z_byte(r, &ext) == -1 || ext != 0)
        return -1; /* "external" folders point into another stream: none is written */
    if (!(s->fold_packed = calloc(s->nfold, sizeof(uint64_t))) ||
        !(s->fold_outs = calloc(s->nfold, sizeof(uint64_t))) ||
        !(s->fold_unpack = calloc(s->nfold, sizeof(uint64_t))))
        return -1;
    for (uint64_t f = 0; f < s->nfold; f++)
        if (sk_7z_folder(r, s, f == 0, &s->fold_outs[f], &s->fold_packed[f]) == -1)
            return -1;
    if (sk_7z_byte(r, &id) == -1 || id != SK_7Z_UNPACK_SIZE)
        return -1;
    for (uint64_t f = 0; f < s->nfold; f++)
        for (uint64_t k = 0; k < s->fold_outs[f]; k++) {
            uint64_t u;
            if (sk_7z_num(r, &u) == -1)
                return -1;
            if (u > s->fold_unpack[f])
                s->fold_unpack[f] = u;
        }
    while (sk_7z_byte(r, &id) == 0 && id != SK_7Z_END) {
        if (id != SK_7Z_CRC || sk_7z_digests(r, s->nfold) == -1)
            return -1;
    }
    return id == SK_7Z_END ? 0 : -1;
}

/* StreamsInfo up to its end; substreams (file sizes within folders) are
 * not needed: a folder is decoded whole. */
static int sk_7z_streams(struct sk_7z_rd *r, struct sk_7z_si *s)
{
    unsigned id = 0xff; /* not END: a list cut short is no list */

    while (sk_7z_byte(r, &id) == 0 && id != SK_7Z_END) {
        if (id == SK_7Z_PACK_INFO && !s->pack) {
            if (sk_7z_pack_info(r, s) == -1)
                return -1;
        } else if (id == SK_7Z_UNPACK_INFO && !s->fold_unpack) {
            if (sk_7z_unpack_info(r, s) == -1)
                return -1;
        } else if (id == SK_7Z_SUBSTREAMS) {
            return 0; /* what follows is per file */
        } else
            return -1;
    }
    return id == SK_7Z_END ? 0 : -1;
}

/* The guard over one StreamsInfo of an archive of N bytes: each folder's
 * declared size within the bound of its packed bytes, and all of them
 * (*TOTAL, across the headers read) within the bound of N. 1: beyond. */
static int sk_7z_over(const struct sk_7z_si *s, size_t n, const struct sk_decode_limits *lim,
                      uint64_t *total)
{
    uint64_t k = 0;

    for (uint64_t f = 0; f < s->nfold; f++) {
        uint64_t in = 0;
        for (uint64_t j = 0; j < s->fold_packed[f] && k < s->npack; j++, k++)
            in = in + s->pack[k] < in ? UINT64_MAX : in + s->pack[k];
        if (s->fold_unpack[f] > sk_decode_bound(lim, in))
            return 1;
        *total = *total + s->fold_unpack[f] < *total ? UINT64_MAX : *total + s->fold_unpack[f];
        if (*total > sk_decode_bound(lim, n))
            return 1;
    }
    return 0;
}

/* Decode an encoded header: folder 0 of S, one LZMA (03 01 01) or LZMA2
 * (21) coder, its packed bytes at 32 + pack_pos. *OUT (caller frees) the
 * header, its declared size long (already held to the guard). -1: not
 * readable here. */
static int sk_7z_unpack_header(const unsigned char *p, size_t n, const struct sk_7z_si *s,
                               unsigned char **out, size_t *outn)
{
    lzma_filter f[2] = {{.id = LZMA_VLI_UNKNOWN}, {.id = LZMA_VLI_UNKNOWN}};
    lzma_stream z = LZMA_STREAM_INIT;
    uint64_t at = 32 + s->pack_pos;
    int rc = -1;

    if (!s->one_coder || s->npack < 1 || at > n || s->pack[0] > n - at || s->fold_unpack[0] == 0 ||
        s->fold_unpack[0] > SIZE_MAX / 2)
        return -1;
    if (s->idn == 3 && memcmp(s->id, "\3\1\1", 3) == 0)
        f[0].id = LZMA_FILTER_LZMA1;
    else if (s->idn == 1 && s->id[0] == 0x21)
        f[0].id = LZMA_FILTER_LZMA2;
    else
        return -1;
    if (lzma_properties_decode(&f[0], NULL, s->props, s->propn) != LZMA_OK)
        return -1;
    if (((lzma_options_lzma *)f[0].options)->dict_size > SK_XZ_MEMLIMIT - (4u << 20))
        goto out;
    /* LZMA1 with a known size: the raw decoder needs no end marker */
    if (lzma_raw_decoder(&z, f) != LZMA_OK)
        goto out;
    *outn = (size_t)s->fold_unpack[0];
    if (!(*out = malloc(*outn)))
        goto out;
    z.next_in = p + at, z.avail_in = (size_t)s->pack[0];
    z.next_out = *out, z.avail_out = *outn;
    lzma_ret lr = lzma_code(&z, LZMA_RUN);
    if ((lr == LZMA_OK || lr == LZMA_STREAM_END) && z.avail_out == 0)
        rc = 0;
    else {
        free(*out);
        *out = NULL;
    }
out:
    lzma_end(&z);
    free(f[0].options);
    return rc;
}

int sk_7z_guard(const unsigned char *p, size_t n, const struct sk_decode_limits *lim,
                unsigned *unread)
{
    static const unsigned char sig[6] = {'7', 'z', 0xbc, 0xaf, 0x27, 0x1c};
    unsigned char *hdr = NULL;
    uint64_t total = 0;
    struct sk_7z_si s = {0};
    int rc = -1;

    if (unread)
        *unread = 0;
    if (n < 32 || memcmp(p, sig, 6) != 0)
        return -1;
    uint64_t off = 0, len = 0;
    for (int i = 7; i >= 0; i--) {
        off = off << 8 | p[12 + i];
        len = len << 8 | p[20 + i];
    }
    if (off > n - 32 || len > n - 32 - off || len == 0)
        return -1;
    struct sk_7z_rd r = {p + 32 + off, (size_t)len, 0};
    for (int level = 0; level < SK_7Z_LEVELS; level++) {
        unsigned id = SK_7Z_END;
        sk_7z_si_free(&s);
        if (sk_7z_byte(&r, &id) == -1)
            break;
        if (id == SK_7Z_ENCODED) {
            unsigned char *next = NULL;
            size_t nn = 0;
            if (sk_7z_streams(&r, &s) == -1 || !s.fold_unpack || !s.pack)
                break;
            if (sk_7z_over(&s, n, lim, &total)) {
                rc = 1;
                break;
            }
            if (sk_7z_unpack_header(p, n, &s, &next, &nn) == -1) {
                if (unread && s.unread)
                    *unread = s.unread; /* a header libclamav cannot read either */
                break;
            }
            free(hdr);
            hdr = next;
            r = (struct sk_7z_rd){hdr, nn, 0};
            continue;
        }
        if (id != SK_7Z_HEADER)
            break;
        if (sk_7z_byte(&r, &id) == 0 && id == SK_7Z_ARCHIVE_PROPS) {
            for (;;) { /* (type, size, bytes) until a 0 type */
                uint64_t t, k;
                if (sk_7z_num(&r, &t) == -1)
                    goto out;
                if (t == 0)
                    break;
                if (sk_7z_num(&r, &k) == -1 || sk_7z_skip(&r, k) == -1)
                    goto out;
            }
            if (sk_7z_byte(&r, &id) == -1)
                break;
        }
        if (id == SK_7Z_ADD_STREAMS) {
            if (sk_7z_streams(&r, &s) == -1)
                break;
            sk_7z_si_free(&s);
            if (sk_7z_byte(&r, &id) == -1)
                break;
        }
        rc = 0; /* an archive of no streams (empty files only) is read */
        if (id == SK_7Z_MAIN_STREAMS) {
            if (sk_7z_streams(&r, &s) == -1)
                rc = -1;
            else if (s.fold_unpack && s.pack && sk_7z_over(&s, n, lim, &total))
                rc = 1;
            if (unread)
                *unread = s.unread;
        }
        break;
    }
out:
    sk_7z_si_free(&s);
    free(hdr);
    return rc;
}

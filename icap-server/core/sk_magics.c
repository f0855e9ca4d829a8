/* sk_magics.c - container magic found in one pass over an object
 * (sekisho/decode.h): every offset where one of the magics the walk's
 * searches look for begins (gzip, bzip2, xz, zstd, lz4 and .Z headers,
 * squashfs, lzop, LHA, zip local and end headers, 7z), recorded once so that each
 * search runs its exact check at those offsets only, instead of reading
 * the whole object again (six passes per 1 MiB body cost ~2 ms).
 * SECURITY: client bytes, read only. The candidates are a superset of
 * what any search finds: a magic's fixed first bytes are a necessary
 * condition of that search's test. Their number is capped (a body of
 * "hsqs" repeated has one per 4 bytes): past the cap the index says it is
 * incomplete and every caller searches the old way (sk_magics_for). */
#include <stdlib.h>
#include <string.h>

#include "sekisho/decode.h"

/* The magics by their first four bytes (little-endian, under MASK). An
 * LHA candidate is the '-' of "-lh5-" (header byte 2), with byte 4 '-'
 * as well, checked apart. */
static const struct {
    uint32_t val, mask;
    unsigned kind;
} sk_mg_tab[] = {
    {0x00088b1fu, 0x00ffffffu, SK_MG_GZIP},      /* 1f 8b 08 */
    {0x00685a42u, 0x00ffffffu, SK_MG_BZIP2},     /* "BZh" */
    {0x587a37fdu, 0xffffffffu, SK_MG_XZ},        /* fd "7zX" */
    {0xfd2fb528u, 0xffffffffu, SK_MG_ZSTD},      /* 28 b5 2f fd */
    {0x73717368u, 0xffffffffu, SK_MG_SQFS_LE},   /* "hsqs" */
    {0x68737173u, 0xffffffffu, SK_MG_SQFS_BE},   /* "sqsh" */
    {0x4f5a4c89u, 0xffffffffu, SK_MG_LZOP},      /* 89 "LZO" */
    {0x00006c2du, 0x0000ffffu, SK_MG_LHA},       /* "-l", and '-' at +4 */
    {0x04034b50u, 0xffffffffu, SK_MG_ZIP_LOCAL}, /* "PK\3\4" */
    {0x06054b50u, 0xffffffffu, SK_MG_ZIP_END},   /* "PK\5\6" */
    {0xafbc7a37u, 0xffffffffu, SK_MG_7Z},        /* "7z" bc af */
    {0x184d2204u, 0xffffffffu, SK_MG_LZ4},       /* 04 22 4d 18 */
    {0x00009d1fu, 0x0000ffffu, SK_MG_COMPRESS},  /* 1f 9d */
};

/* The kinds that start at P[I] (I + 4 <= N), 0 for none. */
static unsigned sk_mg_kinds(const unsigned char *p, size_t n, size_t i)
{
    uint32_t x = (uint32_t)p[i] | (uint32_t)p[i + 1] << 8 | (uint32_t)p[i + 2] << 16 |
                 (uint32_t)p[i + 3] << 24;
    unsigned k = 0;

    for (size_t j = 0; j < sizeof(sk_mg_tab) / sizeof(sk_mg_tab[0]); j++)
        if ((x & sk_mg_tab[j].mask) == sk_mg_tab[j].val)
            k |= sk_mg_tab[j].kind;
    if ((k & SK_MG_LHA) && (i + 5 > n || p[i + 4] != '-'))
        k &= ~(unsigned)SK_MG_LHA;
    return k;
}

/* 0, or -1 past the cap or out of memory (M->over). */
static int sk_mg_add(struct sk_magics *m, size_t at, unsigned kinds)
{
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        if (cap > m->max)
            cap = m->max;
        void *v = cap > m->cap ? realloc(m->v, cap * sizeof(*m->v)) : NULL;
        if (!v) {
            m->over = 1;
            return -1;
        }
        m->v = v;
        m->cap = cap;
    }
    m->v[m->n].at = at;
    m->v[m->n].kinds = kinds;
    m->n++;
    return 0;
}

static int sk_mg_at(struct sk_magics *m, const unsigned char *p, size_t n, size_t i)
{
    unsigned k = sk_mg_kinds(p, n, i);

    return k ? sk_mg_add(m, i, k) : 0;
}

/* Each position of P + I whose byte in W is set (8 positions). */
static int sk_mg_bytes(struct sk_magics *m, const unsigned char *p, size_t n, size_t i, uint64_t w)
{
    while (w) {
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        unsigned j = (unsigned)__builtin_clzll(w) / 8; /* P[i] is the top byte */
        w &= ~((uint64_t)0xff << (8 * (7 - j)));
#else
        unsigned j = (unsigned)__builtin_ctzll(w) / 8;
        w &= ~((uint64_t)0xff << (8 * j));
#endif
        if (i + j + 4 <= n && sk_mg_at(m, p, n, i + j) == -1)
            return -1;
    }
    return 0;
}

/* The pairs of first bytes, a vector of positions at a time: a block
 * none of them starts in (nearly every block of random or text bytes)
 * costs a few vector instructions (GCC/Clang vector extensions: SSE2 or
 * NEON 16 bytes, AVX2 32 where the CPU has it). The pairs' bytes, each
 * repeated across a vector, are compared from memory: 24 of them do not
 * fit in the registers, and rebuilding them per block cost 10%. */
#define SK_MG_R4(x) x, x, x, x
#define SK_MG_R16(x)                                                                               \
    {                                                                                              \
        SK_MG_R4(x), SK_MG_R4(x), SK_MG_R4(x), SK_MG_R4(x)                                         \
    }
#define SK_MG_R32(x)                                                                               \
    {                                                                                              \
        SK_MG_R4(x), SK_MG_R4(x), SK_MG_R4(x), SK_MG_R4(x), SK_MG_R4(x), SK_MG_R4(x), SK_MG_R4(x), \
            SK_MG_R4(x)                                                                            \
    }
#define SK_MG_PAIRS(R)                                                                             \
    {                                                                                              \
        R(0x1f), R(0x8b), R('B'), R('Z'), R(0xfd), R('7'), R(0x28), R(0xb5), R('h'), R('s'),       \
            R('s'), R('q'), R(0x89), R('L'), R('-'), R('l'), R('P'), R('K'), R('7'), R('z'),       \
            R(0x04), R(0x22), R(0x1f), R(0x9d)                                                     \
    }

/* The blocks of W positions from *I on whose W + 1 bytes are all in P
 * (FN's name; ATTR: its target), candidates into M; *I where it stopped.
 * 0, or -1 (M->over). */
#define SK_MG_SCAN(FN, W, ATTR)                                                                    \
    typedef unsigned char FN##_v __attribute__((vector_size(W)));                                  \
    typedef signed char FN##_m __attribute__((vector_size(W)));                                    \
    static const FN##_v FN##_k[24] = SK_MG_PAIRS(SK_MG_R##W);                                      \
    ATTR static int FN(struct sk_magics *m, const unsigned char *p, size_t n, size_t *ip)          \
    {                                                                                              \
        size_t i = *ip;                                                                            \
        int rc = 0;                                                                                \
        for (; rc == 0 && i + W + 1 <= n; i += W) {                                                \
            FN##_v a, b;                                                                           \
            uint64_t w[W / 8], any = 0;                                                            \
            memcpy(&a, p + i, W);                                                                  \
            memcpy(&b, p + i + 1, W);                                                              \
            FN##_m x =                                                                             \
                ((a == FN##_k[0]) & (b == FN##_k[1])) | ((a == FN##_k[2]) & (b == FN##_k[3])) |    \
                ((a == FN##_k[4]) & (b == FN##_k[5])) | ((a == FN##_k[6]) & (b == FN##_k[7])) |    \
                ((a == FN##_k[8]) & (b == FN##_k[9])) | ((a == FN##_k[10]) & (b == FN##_k[11])) |  \
                ((a == FN##_k[12]) & (b == FN##_k[13])) |                                          \
                ((a == FN##_k[14]) & (b == FN##_k[15])) |                                          \
                ((a == FN##_k[16]) & (b == FN##_k[17])) |                                          \
                ((a == FN##_k[18]) & (b == FN##_k[19])) |                                          \
                ((a == FN##_k[20]) & (b == FN##_k[21])) | ((a == FN##_k[22]) & (b == FN##_k[23])); \
            memcpy(w, &x, W);                                                                      \
            for (int k = 0; k < W / 8; k++)                                                        \
                any |= w[k];                                                                       \
            for (int k = 0; any && rc == 0 && k < W / 8; k++)                                      \
                if (w[k])                                                                          \
                    rc = sk_mg_bytes(m, p, n, i + 8 * (size_t)k, w[k]);                            \
        }                                                                                          \
        *ip = i;                                                                                   \
        return rc;                                                                                 \
    }

SK_MG_SCAN(sk_mg_scan16, 16, )
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SK_MG_AVX2 1
SK_MG_SCAN(sk_mg_scan32, 32, __attribute__((target("avx2"))))
#endif

int sk_magics_find(struct sk_magics *m, const unsigned char *p, size_t n)
{
    return sk_magics_find_w(m, p, n, 0);
}

int sk_magics_find_w(struct sk_magics *m, const unsigned char *p, size_t n, unsigned width)
{
    size_t i = 0;
    int rc;

    memset(m, 0, sizeof(*m));
    m->p = p;
    m->len = n;
    m->max = SK_MAGICS_MIN + n / SK_MAGICS_PER;
#ifdef SK_MG_AVX2
    __builtin_cpu_init(); /* idempotent; needed before constructors have run */
    if (width != 16 && __builtin_cpu_supports("avx2"))
        rc = sk_mg_scan32(m, p, n, &i);
    else
#endif
        rc = sk_mg_scan16(m, p, n, &i);
    /* the last positions one at a time */
    for (; rc == 0 && i + 4 <= n; i++)
        rc = sk_mg_at(m, p, n, i);
    return rc;
}

void sk_magics_free(struct sk_magics *m)
{
    free(m->v);
    m->v = NULL;
    m->n = m->cap = 0;
}

const struct sk_magics *sk_magics_for(const struct sk_magics *m, const unsigned char *p, size_t n)
{
    return m && !m->over && m->p == p && m->len == n ? m : NULL;
}

size_t sk_magics_next(const struct sk_magics *m, size_t from, unsigned kinds)
{
    /* the first candidate at FROM or after (binary search), then on */
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->v[mid].at < from)
            lo = mid + 1;
        else
            hi = mid;
    }
    while (lo < m->n && !(m->v[lo].kinds & kinds))
        lo++;
    return lo;
}

size_t sk_magics_after(const struct sk_magics *m, size_t i, unsigned kinds)
{
    for (i++; i < m->n && !(m->v[i].kinds & kinds); i++)
        ;
    return i;
}

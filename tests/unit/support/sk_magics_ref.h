/* sk_magics_ref.h - the test oracle of core's one-pass magic index
 * (sk_magics_find, sekisho/decode.h): the kinds that start at one offset,
 * looked up byte by byte with memcmp, written apart from the index's own
 * table and vector scan. Shared by unit.test_vs_magics and fuzz_container. */
#ifndef SK_MAGICS_REF_H
#define SK_MAGICS_REF_H

#include <string.h>

#include <sekisho/decode.h>

/* The kinds at P[I] of P[0..N), as the index must record them. */
static inline unsigned sk_magics_ref_kinds(const unsigned char *p, size_t n, size_t i)
{
    static const struct {
        const char *m;
        size_t len;
        unsigned kind;
    } t[] = {
        {"\x1f\x8b\x08", 3, SK_MG_GZIP},
        {"BZh", 3, SK_MG_BZIP2},
        {"\xfd"
         "7zX",
         4, SK_MG_XZ},
        {"\x28\xb5\x2f\xfd", 4, SK_MG_ZSTD},
        {"hsqs", 4, SK_MG_SQFS_LE},
        {"sqsh", 4, SK_MG_SQFS_BE},
        {"\x89LZO", 4, SK_MG_LZOP},
        {"PK\3\4", 4, SK_MG_ZIP_LOCAL},
        {"PK\5\6", 4, SK_MG_ZIP_END},
        {"7z\xbc\xaf", 4, SK_MG_7Z},
        {"\x04\x22\x4d\x18", 4, SK_MG_LZ4},
        {"\x1f\x9d", 2, SK_MG_COMPRESS},
    };
    unsigned k = 0;

    if (i + 4 > n)
        return 0;
    for (size_t j = 0; j < sizeof(t) / sizeof(t[0]); j++)
        if (memcmp(p + i, t[j].m, t[j].len) == 0)
            k |= t[j].kind;
    if (i + 5 <= n && p[i] == '-' && p[i + 1] == 'l' && p[i + 4] == '-')
        k |= SK_MG_LHA;
    return k;
}

#endif

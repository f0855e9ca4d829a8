/* sk_util.h - small helpers shared by the server's pieces. No I/O. */
#ifndef SK_UTIL_H
#define SK_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Set *err (if err is not NULL) to a malloc'd formatted message. */
void sk_seterr(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Does a zlib (RFC 1950) header start P[0..N): deflate, a window of at
 * most 32 KiB, the check bits? (A preset dictionary is the caller's to
 * refuse.) The one test for Content-Encoding: deflate, PDF streams and a
 * bare zlib file. */
static inline int sk_zlib_header(const unsigned char *p, size_t n)
{
    return n >= 2 && (p[0] & 0x0f) == 8 && (p[0] >> 4) <= 7 &&
           ((unsigned)p[0] << 8 | p[1]) % 31 == 0;
}

/* Fields of the binary formats the toolkit reads (zip, OLE2, LHA, ISO
 * 9660/UDF, git packs, the sniffed headers): the unsigned little-endian
 * number in P's first N (1..8) bytes, and the usual widths. */
static inline uint64_t sk_le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static inline unsigned sk_le16(const unsigned char *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static inline uint32_t sk_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint32_t sk_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* sk_parse_size: the one size grammar, in sekisho/text.h. */
#include "sekisho/text.h"

#endif

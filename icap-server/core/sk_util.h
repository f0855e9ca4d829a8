/* sk_util.h - small helpers shared by the server's pieces. No I/O. */
#ifndef SK_UTIL_H
#define SK_UTIL_H

#include <stddef.h>

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

/* sk_parse_size: the one size grammar, in sekisho/text.h. */
#include "sekisho/text.h"

#endif

/* sk_util.h - small helpers shared by the server's pieces. No I/O. */
#ifndef SK_UTIL_H
#define SK_UTIL_H

#include <stddef.h>

/* Set *err (if err is not NULL) to a malloc'd formatted message. */
void sk_seterr(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parse a size with optional K/M/G suffix (powers of 1024). 0 or -1. */
int sk_parse_size(const char *s, size_t *out);

#endif

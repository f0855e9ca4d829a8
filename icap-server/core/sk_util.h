/* sk_util.h - small helpers shared by the server's pieces. No I/O. */
#ifndef SK_UTIL_H
#define SK_UTIL_H

#include <stddef.h>

/* Set *err (if err is not NULL) to a malloc'd formatted message. */
void sk_seterr(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* sk_parse_size: the one size grammar, in sekisho/text.h. */
#include "sekisho/text.h"

#endif

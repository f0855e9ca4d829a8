/* sk_util.c - error-message helper. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "sk_util.h"

void sk_seterr(char **err, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return;
    free(*err);
    *err = NULL;
    va_start(ap, fmt);
    if (vasprintf(err, fmt, ap) == -1)
        *err = NULL;
    va_end(ap);
}

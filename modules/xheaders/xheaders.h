/* xheaders.h - internals of the xheaders module shared with its unit test. */
#ifndef SK_XHEADERS_H
#define SK_XHEADERS_H

#include <stddef.h>

#include "sekisho/module.h"

#define SK_XH_NAME_MAX 128

/* Copy IN into OUT (SIZE bytes) as a header-safe token. */
void sk_xh_sanitize(char *out, size_t size, const char *in);
/* Add the switched-on headers for the transaction's detections. */
void sk_xh_decide(struct sk_txn *t, int outcome);

#endif

/* sk_unlzw.h - the Unix compress (.Z) reader of the decoding layer
 * (sk_decode.c's SK_CODING_COMPRESS stage). Core-internal. */
#ifndef SK_UNLZW_H
#define SK_UNLZW_H

#include <stddef.h>

struct sk_unlzw;
struct sk_unlzw *sk_unlzw_new(void);
void sk_unlzw_free(struct sk_unlzw *);
/* Feed N bytes (the file from its header on, any split); decoded bytes go
 * to EMIT(ARG, buf, len) (-1 from it stops: returns -2). Returns 0, -1
 * when the data is no valid .Z (a bad header, a code that cannot be: *USED
 * gets the bytes of P taken up to it, the same however the file was cut),
 * -2 when EMIT stopped. */
int sk_unlzw_feed(struct sk_unlzw *, const unsigned char *p, size_t n, size_t *used,
                  int (*emit)(void *, const void *, size_t), void *arg);

#endif

/* vs_walk.h - the walk's objects (parts, members, decoded runs) kept in a
 * store and walked at their end, shared by vs_walk.c and vs_walk_text.c.
 * Internal to virus_scan. */
#ifndef SK_VS_WALK_H
#define SK_VS_WALK_H

#include <stddef.h>
#include <stdint.h>

#include <sekisho/decode.h>

#include "vs_internal.h"

/* Base64 runs: at least SK_VS_B64_MIN digits (48 bytes; EICAR is 92) are
 * decoded and scanned; the first SK_VS_B64_EACH runs of a walk each as an
 * object of its own (hash signatures see the file), later ones together
 * in one object per text, so a page of many tokens costs a bounded number
 * of scans (body signatures still see every run). */
#define SK_VS_B64_MIN  64
#define SK_VS_B64_EACH 32

struct sk_vs_obj {
    struct sk_vs_walk *w;
    struct sk_zip_seen *seen; /* zip members: noted here, or NULL */
    uint64_t base;            /* ... their offsets shifted by this */
    int depth;
    int active; /* a store is open */
    int tail;   /* zip tail: libclamav saw these bytes in the whole */
    struct sk_vs_store store;
    enum sk_ft_kind *zkind;  /* the zip's kind, refined by member names */
    char ct[128], name[128]; /* declared type and name of the open object */
};

/* An object's store opened, bytes added within the walk's budget
 * (av.max-scan-size), and at its end walked as an object (ARG: the
 * struct sk_vs_obj; the multipart and zip readers' callbacks). */
int sk_vs_obj_open(struct sk_vs_obj *o);
int sk_vs_obj_data(void *arg, const void *buf, size_t len);
int sk_vs_obj_end(void *arg);

/* Each run of base64 in a text object P (declared CT, NAME), decoded and
 * scanned like a part or member; then the text's other views. */
int sk_vs_walk_b64(struct sk_vs_walk *w, const unsigned char *p, size_t n, int depth,
                   const char *ct, const char *name);

/* Would the walk's text reading look at P (long enough, text or UTF-16)? */
int sk_vs_text_wants(const unsigned char *p, size_t n);

#endif

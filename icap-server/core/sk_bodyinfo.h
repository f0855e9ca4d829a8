/* sk_bodyinfo.h - facts about a transaction's body for the access log,
 * gathered while the body passes to the modules: its SHA-256 and the file
 * name of the first multipart part that has one. */
#ifndef SK_BODYINFO_H
#define SK_BODYINFO_H

#include <stddef.h>

struct sk_txn;
struct sk_mp;

struct sk_bodyinfo {
    void *sha;           /* EVP_MD_CTX while hashing */
    struct sk_mp *mp;    /* multipart parser until the first file name */
    int started;         /* the first body call has looked at Content-Type */
    char sha256_hex[65]; /* set only when the whole body went through */
    char part_filename[256];
};

/* Body bytes (LEN may be 0); EOF ends the body. T gives the object's
 * Content-Type (the response's for RESPMOD). Never fails: what cannot be
 * computed (out of memory, OpenSSL error) stays "". */
void sk_bodyinfo_write(struct sk_bodyinfo *b, const struct sk_txn *t, const void *buf, size_t len,
                       int eof);
/* Frees what is still open; the strings stay. Safe to call twice. */
void sk_bodyinfo_free(struct sk_bodyinfo *b);

#endif

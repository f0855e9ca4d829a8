/* sk_bodyinfo.h - facts about a transaction's body for the access log,
 * gathered while the body passes to the modules: its SHA-256 (or, when a
 * module keeps the body, later from its copy) and the file name of the
 * first multipart part that has one. */
#ifndef SK_BODYINFO_H
#define SK_BODYINFO_H

#include <stddef.h>

#include "sekisho/module.h" /* sk_body_read_fn */

struct sk_txn;
struct sk_mp;

struct sk_bodyinfo {
    void *sha; /* EVP_MD_CTX while hashing */
    /* A module kept the body from its first byte (sk_txn_keep_body): not
     * hashed as it passes; sk_bodyinfo_settle hashes the kept bytes. */
    sk_body_read_fn kept_read;
    void *kept_ctx;
    unsigned long long seen; /* bytes written while kept */
    int complete;            /* the whole body was written while kept */
    struct sk_mp *mp;        /* multipart parser until the first file name */
    int started;             /* the first body call has looked at Content-Type */
    char sha256_hex[65];     /* set only when the whole body went through */
    char part_filename[256];
};

/* Body bytes (LEN may be 0); EOF ends the body. T gives the object's
 * Content-Type (the response's for RESPMOD). Never fails: what cannot be
 * computed (out of memory, OpenSSL error) stays "". */
void sk_bodyinfo_write(struct sk_bodyinfo *b, const struct sk_txn *t, const void *buf, size_t len,
                       int eof);
/* The transaction has a detection: make sha256_hex from the kept bytes if
 * the body was kept (no-op otherwise). Before the keeper's txn_end. */
void sk_bodyinfo_settle(struct sk_bodyinfo *b);
/* Frees what is still open; the strings stay. Safe to call twice. */
void sk_bodyinfo_free(struct sk_bodyinfo *b);

#endif

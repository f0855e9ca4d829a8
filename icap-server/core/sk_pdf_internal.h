/* sk_pdf_internal.h - what the three files of the PDF reader share
 * (sk_pdf.c: index and values; sk_pdf_filter.c: decoded streams;
 * sk_pdf_crypt.c: the standard security handler). Core-internal.
 * SECURITY: the bytes are client-controlled; see sekisho/pdf.h. */
#ifndef SK_PDF_INTERNAL_H
#define SK_PDF_INTERNAL_H

#include <sekisho/pdf.h>

/* How a stream or string is encrypted (a crypt filter's /CFM). */
enum sk_pdf_cm { SK_PDF_CM_NONE = 0, SK_PDF_CM_RC4, SK_PDF_CM_AESV2, SK_PDF_CM_AESV3 };

#define SK_PDF_MAX_DEPTH   64 /* nested arrays and dictionaries in one value */
#define SK_PDF_MAX_FILTERS 16 /* filters in one /Filter chain */
#define SK_PDF_MAX_REFS    8  /* references followed from one value */
/* A /Filter or /DecodeParms value (or an entry of one) longer than this is
 * SK_PDF_BROKEN: no writer makes one, and one shared by reference would be
 * read again for each of 100,000 streams. The /CF dictionary likewise. */
#define SK_PDF_MAX_PARMS 4096
#define SK_PDF_MAX_CF    65536

struct sk_pdf {
    const unsigned char *p;
    size_t n;
    struct sk_pdf_limits lim;
    struct sk_pdf_obj *obj;
    size_t *order; /* per object: its file offset, or its object stream's */
    size_t nobj, cap;
    size_t *byn; /* object indexes sorted by (num, order, index) */
    size_t nbyn;
    unsigned char **own; /* decoded object streams */
    size_t nown, capown;
    uint64_t total; /* decoded bytes handed out */
    size_t es_from; /* the last "endstream" search started here ... */
    size_t es_pos;  /* ... and found it here (N: none) */
    int es_valid;
    /* The standard security handler (sk_pdf_crypt.c). */
    int enc;          /* 0 not encrypted, 1 opened, -1 cannot be */
    unsigned enc_num; /* object of the /Encrypt dictionary (not decrypted) */
    int enc_direct;   /* /Encrypt was a direct dictionary */
    int r, v;         /* revision and version */
    size_t keylen;    /* file key bytes */
    unsigned char key[32];
    int stm_method;          /* enum sk_pdf_cm of /StmF */
    int str_method;          /* enum sk_pdf_cm of /StrF, -1 an unknown crypt filter */
    int encrypt_meta;        /* /EncryptMetadata */
    const unsigned char *cf; /* the /CF dictionary (named crypt filters) */
    size_t cfn;
};

/* Lexing (sk_pdf.c). */
int sk_pdf_is_ws(unsigned char c);
int sk_pdf_is_delim(unsigned char c);
size_t sk_pdf_skip_ws(const unsigned char *p, size_t i, size_t n);
/* End of the value starting at P[I] (after any whitespace): the index
 * just past it, never beyond N. Arrays and dictionaries are walked
 * without recursion; deeper than SK_PDF_MAX_DEPTH ends at N. */
size_t sk_pdf_value_end(const unsigned char *p, size_t i, size_t n);
/* As sk_pdf_value_end, an indirect reference "N G R" taken whole. */
size_t sk_pdf_item_end(const unsigned char *p, size_t i, size_t n);
/* Does the name value V equal NAME (after #xx escapes)? */
int sk_pdf_name_is(const unsigned char *v, size_t n, const char *name);
/* The value of V followed through references (at most SK_PDF_MAX_REFS). */
void sk_pdf_deref(const struct sk_pdf *, const unsigned char **v, size_t *n);
/* KEY of dictionary D read as an integer, references followed: 0 or -1. */
int sk_pdf_dict_int(const struct sk_pdf *, const unsigned char *d, size_t n, const char *key,
                    long long *out);
/* KEY of dictionary D, references followed: 0 or -1. */
int sk_pdf_dict_val(const struct sk_pdf *, const unsigned char *d, size_t n, const char *key,
                    const unsigned char **v, size_t *vn);
/* Keep BUF until sk_pdf_free: 0 or -1 (then BUF is freed). */
int sk_pdf_keep(struct sk_pdf *, unsigned char *buf);

/* Decoding (sk_pdf_filter.c): the stream of O with its whole chain,
 * counted in the document's total; HEAD > 0: only its first HEAD bytes
 * (each stage cut there), not counted. */
enum sk_pdf_rc sk_pdf_decode(struct sk_pdf *, const struct sk_pdf_obj *o, unsigned char **out,
                             size_t *out_len, int *predicted, size_t head);

/* Decryption (sk_pdf_crypt.c). */
void sk_pdf_crypt_open(struct sk_pdf *);
/* The method of the crypt filter NAME of /CF ("Identity": none); -1 unknown. */
int sk_pdf_crypt_method(const struct sk_pdf *, const char *name);
/* IN[0..N) of object O decrypted with METHOD into a malloc'd *OUT;
 * HEAD: only its first bytes (at least 2 when there are), for a peek. */
enum sk_pdf_rc sk_pdf_decrypt(const struct sk_pdf *, const struct sk_pdf_obj *o, int method,
                              const unsigned char *in, size_t n, int head, unsigned char **out,
                              size_t *out_len);

#endif

/* sekisho/pdf.h - the one PDF reader every inspecting module uses
 * (core/sk_pdf.c): an index of a PDF's objects over the caller's bytes,
 * found by their "N G obj" headers (a broken or lying xref table changes
 * nothing; object streams are read too), dictionary access, and each
 * stream's bytes decoded as a PDF reader decodes them: the whole /Filter
 * chain (FlateDecode, LZWDecode, ASCIIHexDecode, ASCII85Decode,
 * RunLengthDecode, their abbreviations, names with #xx escapes), the
 * predictors of /DecodeParms (PNG 10-15 and TIFF 2), and the standard
 * security handler's decryption with the empty user password (RC4 and
 * AES, revisions 2-6; strings by /StrF, streams by /StmF). virus_scan
 * scans decoded streams libclamav cannot decode itself; dlp reads the
 * text of the content streams and of strings (sk_pdf_string).
 * SECURITY: every byte is client-controlled. Object counts, nesting and
 * decoded sizes are bounded by the caller's limits; nothing recurses
 * without a depth bound; what cannot be decoded is reported, never
 * silently skipped.
 */
#ifndef SEKISHO_PDF_H
#define SEKISHO_PDF_H

#ifndef SK_API
#define SK_API __attribute__((visibility("default")))
#endif
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum sk_pdf_rc {
    SK_PDF_OK = 0,
    SK_PDF_NOT_PDF,   /* no "%PDF-" in the first 1024 bytes */
    SK_PDF_LIMIT,     /* over a limit below */
    SK_PDF_ENCRYPTED, /* needs a password other than the empty one, or an unknown handler */
    SK_PDF_BROKEN,    /* a stream or filter that cannot be decoded */
    SK_PDF_NOMEM
};

struct sk_pdf_limits {
    size_t max_objects; /* objects indexed, object streams' included */
    uint64_t max_out;   /* decoded bytes of one stream */
    uint64_t max_total; /* decoded bytes over every sk_pdf_stream call of a document */
};

struct sk_pdf;

/* One object. DICT points at its dictionary ("<<" to the matching ">>")
 * or, for an object that is not a dictionary, at its value; STREAM is set
 * for a stream object (its raw, still encoded bytes follow the "stream"
 * keyword: RAW, RAW_LEN, taken from /Length when it is right and up to
 * "endstream" otherwise). Borrowed from the document. */
struct sk_pdf_obj {
    unsigned num, gen;
    const unsigned char *dict;
    size_t dict_len;
    int stream;
    const unsigned char *raw;
    size_t raw_len;
    int in_objstm; /* read from an object stream */
};

/* Index P[0..N) (borrowed until sk_pdf_free). *OUT is NULL on an error
 * other than SK_PDF_LIMIT, where the objects before the limit are kept. */
SK_API enum sk_pdf_rc sk_pdf_open(const unsigned char *p, size_t n, const struct sk_pdf_limits *,
                                  struct sk_pdf **out);
SK_API void sk_pdf_free(struct sk_pdf *);
/* Objects in file order; a number defined twice (incremental updates)
 * appears twice, and sk_pdf_find gives the last one, as readers do. */
SK_API size_t sk_pdf_count(const struct sk_pdf *);
SK_API const struct sk_pdf_obj *sk_pdf_at(const struct sk_pdf *, size_t i);
SK_API const struct sk_pdf_obj *sk_pdf_find(const struct sk_pdf *, unsigned num);
/* Is the document encrypted (a trailer's /Encrypt), and could the empty
 * user password open it? 0: not encrypted; 1: opened; -1: cannot be. */
SK_API int sk_pdf_encrypted(const struct sk_pdf *);

/* Value of KEY ("Filter", no slash) in the dictionary D[0..N): the token
 * after the key, a whole array/dictionary/string included. Returns 0 and
 * sets *V and *VLEN, or -1 when absent. Keys are compared after #xx escapes. */
SK_API int sk_pdf_dict_get(const unsigned char *d, size_t n, const char *key,
                           const unsigned char **v, size_t *vlen);
/* A value read as an indirect reference "N G R" (*NUM), an integer, or a
 * name ("/Type" -> "Type", #xx escapes undone, cut to SIZE - 1): 0 or -1. */
SK_API int sk_pdf_ref(const unsigned char *v, size_t n, unsigned *num);
SK_API int sk_pdf_int(const unsigned char *v, size_t n, long long *out);
SK_API int sk_pdf_name(const unsigned char *v, size_t n, char *out, size_t size);
/* Follow V (a reference, or the value itself) to a dictionary's bytes
 * (or, for an object that is no dictionary, its value: an array, ...):
 * 0, or -1 for a reference to nothing. */
SK_API int sk_pdf_resolve(const struct sk_pdf *, const unsigned char *v, size_t n,
                          const unsigned char **d, size_t *dn);

/* The bytes of the string token S[0..N): a literal "(...)" with its
 * escapes undone (\n \r \t \b \f \( \) \\, octal \ddd, a backslash
 * before an end of line is a line continuation, an unknown escape is the
 * character, an end of line CR, LF or CR LF is read as LF) or a hex
 * string "<...>" (white space and other non-hex bytes skipped, as poppler
 * does; an odd last digit followed by 0), leading white space skipped.
 * At most SIZE bytes into OUT (cut there): their count, or -1 when S is
 * no string. No decryption: for content streams, CMaps, and the /Encrypt
 * dictionary itself. Added after the first contract. */
SK_API long sk_pdf_string_bytes(const unsigned char *s, size_t n, unsigned char *out, size_t size);
/* The bytes of the string token S[0..N) (sk_pdf_string_bytes) found in
 * object O (a value of its dictionary, or O's value itself), as a reader
 * has them: in an encrypted document decrypted with O's key and the
 * crypt filter strings use (/StrF of a V4/V5 handler, which may differ
 * from the streams' /StmF: /Identity leaves strings in clear; V1-V3:
 * RC4), unless O was read from an object stream (decrypted whole as a
 * stream), is the /Encrypt dictionary or a cross-reference stream (/ID is
 * never encrypted). O NULL: no decryption. *OUT malloc'd (caller frees),
 * NUL-terminated beyond *OUT_LEN (never more than N). SK_PDF_OK,
 * SK_PDF_BROKEN (not a string), SK_PDF_ENCRYPTED (the document cannot be
 * opened, or /StrF names a crypt filter we do not know), SK_PDF_NOMEM.
 * Added after the first contract. */
SK_API enum sk_pdf_rc sk_pdf_string(struct sk_pdf *, const struct sk_pdf_obj *o,
                                    const unsigned char *s, size_t n, unsigned char **out,
                                    size_t *out_len);

/* Each string token of V[0..N) (an object's value or a stream's
 * dictionary: nested arrays and dictionaries walked, comments skipped),
 * in order, to FN with its bytes as written (S[0..SN), for sk_pdf_string);
 * a nonzero return of FN stops the walk and is returned, else 0. Added
 * after the first contract. */
SK_API int sk_pdf_each_string(const unsigned char *v, size_t n,
                              int (*fn)(void *arg, const unsigned char *s, size_t sn), void *arg);

/* The decoded bytes of stream object O (filters, predictors, decryption).
 * *OUT is malloc'd (caller frees) and NUL-terminated beyond *OUT_LEN.
 * *PREDICTED (may be NULL) is set when a predictor or a filter libclamav
 * 1.4 does not undo was applied, so virus_scan knows which streams its
 * engine has not seen decoded. */
SK_API enum sk_pdf_rc sk_pdf_stream(struct sk_pdf *, const struct sk_pdf_obj *o,
                                    unsigned char **out, size_t *out_len, int *predicted);
/* Could sk_pdf_stream set *PREDICTED for O? Read from O's dictionary
 * (and the first bytes of its data) without decoding: 0 means surely
 * not; 1 also for a stream that cannot be decoded or one only decoding
 * tells (a Flate stage after another filter: raw deflate?), so a caller
 * decodes only the streams it may need. Added after the first contract. */
SK_API int sk_pdf_predicted(struct sk_pdf *, const struct sk_pdf_obj *o);
/* The first MAX decoded bytes of stream O (fewer only when it is
 * shorter): what a stream is (an attached PDF?) without decoding it whole
 * - the last stage of its chain is cut there (earlier ones are whole:
 * hex or whitespace may shrink them later), within max_out. *OUT as for
 * sk_pdf_stream; not counted in max_total. Added after the first contract. */
SK_API enum sk_pdf_rc sk_pdf_stream_head(struct sk_pdf *, const struct sk_pdf_obj *o,
                                         unsigned char **out, size_t *out_len, size_t max);

#ifdef __cplusplus
}
#endif
#endif

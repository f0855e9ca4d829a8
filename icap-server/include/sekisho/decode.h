/* sekisho/decode.h - the one decoding layer every inspecting module uses:
 * Content-Encoding chains (sk_decode.c), multipart per RFC 2046
 * (sk_multipart.c, its header parameters sk_header_param.c), archives (sekisho/archive.h),
 * containers recognised from their bytes (sk_sniff.c) and zips walked (sk_container.c), base64 runs
 * inside text (sk_b64run.c) and charset sniffing (sk_decode_charset.c). virus_scan and dlp both
 * read bodies through it, so they can never disagree about what a body holds. SECURITY: every byte
 * given to these functions is client-controlled. Nothing here allocates in proportion to the input;
 * every output is bounded by the caller's limits; anything that cannot be decoded is reported to
 * the caller, which applies its configured verdict.
 */
#ifndef SEKISHO_DECODE_H
#define SEKISHO_DECODE_H

#ifndef SK_API
#define SK_API __attribute__((visibility("default")))
#endif
#include <iconv.h>
#include <stddef.h>
#include <stdint.h>

#include "sekisho/archive.h" /* tar, ar, cpio, ISO 9660, LHA, git packs */

#ifdef __cplusplus
extern "C" {
#endif

struct sk_txn;

/* Receives decoded bytes; returns 0, or -1 to stop (out of memory...). */
typedef int (*sk_decode_sink_fn)(void *arg, const void *buf, size_t len);

/* ---- Content-Encoding (sk_decode.c) ---------------------------------- */

/* SK_CODING_CHUNKED: HTTP/1.1 chunked framing left in an encapsulated body
 * whose header says "Transfer-Encoding: chunked" (see sk_txn_coding_list). */
enum sk_coding {
    SK_CODING_GZIP = 1,
    SK_CODING_DEFLATE,
    SK_CODING_BR,
    SK_CODING_CHUNKED,
    SK_CODING_ZSTD, /* RFC 8878; frames needing a window over 8 MiB are CORRUPT (RFC 9659) */
    /* compressed files, never a Content-Encoding (sk_container_coding):
     * streams one after another, as bzip2, xz, lzip and lz4 decode them;
     * a dictionary over 64 MiB (above xz -9) is CORRUPT */
    SK_CODING_BZIP2,
    SK_CODING_XZ,
    SK_CODING_LZMA, /* the legacy .lzma ("LZMA alone") format */
    SK_CODING_LZIP,
    SK_CODING_LZ4,     /* frames (the legacy lz4 -l format is CORRUPT) */
    SK_CODING_COMPRESS /* Unix compress (.Z, LZW): no end mark, a cut file is not told */
};
#define SK_CODING_MAX 8 /* longest chain accepted; more is an error */

/* The codings in the order they were applied (the order listed). */
struct sk_coding_chain {
    enum sk_coding c[SK_CODING_MAX];
    int n; /* 0: identity */
};

/* Parse a Content-Encoding list (every field of the message, joined with
 * ","; see sk_txn_header_list). "identity" and empty elements are skipped;
 * "x-gzip" is gzip, "chunked" the HTTP/1.1 framing, "zstd" Zstandard. Returns 0, or -1 for an
 * unknown or unsupported coding or a chain longer than SK_CODING_MAX; then BAD (if not NULL) gets
 * the offending token, printable ASCII only. */
SK_API int sk_coding_parse(const char *value, struct sk_coding_chain *out, char *bad,
                           size_t badsize);

/* The codings of the encapsulated request (response 0) or response (1) in
 * the order they were applied: every Content-Encoding field, then every
 * Transfer-Encoding field ("gzip, chunked"), joined with ", "; NULL when
 * there is none. A body may reach us with its chunked framing still in
 * it (an ICAP client that forwards the origin's bytes): undone here, so
 * a signature split across HTTP chunks is seen whole. Caller frees. */
SK_API char *sk_txn_coding_list(const struct sk_txn *, int response);

/* Every field NAME of the encapsulated request (response 0) or response
 * (1), in order, joined with ", " (RFC 9110 5.3); NULL when there is none.
 * Caller frees. */
SK_API char *sk_txn_header_list(const struct sk_txn *, int response, const char *name);

/* The media type of header VALUE ("Text/HTML; charset=x" -> "text/html"):
 * lower case, parameters and white space dropped, cut to SIZE - 1. */
SK_API void sk_media_type(const char *value, char *out, size_t size);
/* The media type the encapsulated request (response 0) or response (1)
 * declares, into OUT (sk_media_type): 1, or 0 when there is no
 * Content-Type. Content-Type is one value (RFC 9110 8.3), yet a message can
 * carry several fields or a list: readers disagree on which counts (a
 * browser takes the last valid one, most servers the first), so a type
 * that differs from the first is -1 and the caller applies its failure
 * verdict. Items without a '/' (a comma in an unquoted parameter) are not
 * types; a comma inside quotes separates nothing. */
SK_API int sk_txn_media_type(const struct sk_txn *, int response, char *out, size_t size);

enum sk_decode_rc {
    SK_DECODE_OK = 0,
    SK_DECODE_LIMIT,   /* decoded output over out_max or over the ratio: a bomb */
    SK_DECODE_CORRUPT, /* not valid data for the coding (reported once; the rest
                        * is then passed on as it is, so it is still inspected;
                        * for br, what came out before the error depends on how
                        * the writes were cut: libbrotli buffers) */
    SK_DECODE_FAIL,    /* out of memory, or the sink returned -1 */
};

struct sk_decode_limits {
    uint64_t out_max; /* most bytes any stage may produce */
    uint64_t ratio;   /* decoded may exceed floor + ratio x encoded only as LIMIT; 0: off */
    uint64_t floor;
    /* a stage corrupt within its first 64 KiB of input passes on all of it
     * (not only what its library left): for a body's own codings, whose
     * bytes as they are nothing else reads; not for a stream found inside
     * an object, which is read as it is with that object (and whose whole
     * input passed on would be the same stream again, found again) */
    int keep_head;
    /* a corrupt stage passes on nothing more: the output is what a reader
     * that stops at the error handed out before it (Java's
     * InflaterInputStream, Go's zlib.Reader) - a view beside the bytes as
     * they are, which are read anyway (sk_container_zlib_cut) */
    int drop_rest;
};

/* The decompression guard: the one rule every decompression of client
 * bytes is held to (the chain decoder below, the whole-object check
 * sk_decode_check, virus_scan's walk and engine, DLP's decoders). IN
 * compressed bytes may decode to at most min(out_max, floor + ratio x IN)
 * bytes (ratio 0: out_max only; saturating, never wraps). A caller that
 * decodes in pieces counts IN as the bytes offered so far, which never
 * makes the bound tighter than the whole object's. */
SK_API uint64_t sk_decode_bound(const struct sk_decode_limits *, uint64_t in);
/* Was the ratio, not out_max, what set sk_decode_bound(LIM, IN)? For the
 * log: "decode ratio" and "size limit" are different reasons. */
SK_API int sk_decode_by_ratio(const struct sk_decode_limits *, uint64_t in);

struct sk_decoder;
/* A streaming decoder for CHAIN (n >= 1). NULL when out of memory. */
SK_API struct sk_decoder *sk_decoder_new(const struct sk_coding_chain *,
                                         const struct sk_decode_limits *);
/* Feed encoded bytes, any split; EOF on the last call (LEN may be 0).
 * gzip: any number of members, each may end at any byte. Bytes after the
 * end of a stream that are not another gzip member are passed on as they
 * are. chunked: a body that does not start with a chunk-size line is
 * passed on as it is and is not CORRUPT (ICAP clients that already removed
 * the framing may keep the header); framing that breaks or ends early
 * after a size line was taken is CORRUPT (the lines taken were not passed
 * on), the rest passed on as it is. Chunk extensions and trailer fields
 * are dropped, as every HTTP recipient drops them. After LIMIT or FAIL the decoder stays
 * stopped. */
SK_API enum sk_decode_rc sk_decoder_feed(struct sk_decoder *, const void *buf, size_t len, int eof,
                                         sk_decode_sink_fn sink, void *arg);
SK_API uint64_t sk_decoder_out_total(const struct sk_decoder *);
/* Chunked framing's extensions (from their ';') and trailer lines, line
 * ends kept: not the body's data, so not in the output, but bytes whoever
 * reads the framed body as it is receives. Callers inspect them as an
 * object of their own. *N their length; *OVER when more than 64 KiB were
 * dropped (or memory failed): the caller's limit verdict. */
SK_API const unsigned char *sk_decoder_side(const struct sk_decoder *, size_t *n, int *over);
/* Did the output get what zlib's gzip reader does not: a gzip member
 * after NUL padding (which Python's gzip skips, while zlib's gzread and
 * GNU gzip stop there), or a member whose FLG sets reserved bits (read
 * with them cleared, as Python's gzip and tarfile do; zlib and GNU gzip
 * refuse it)? A caller whose other reader is zlib's reads the output
 * itself. */
SK_API int sk_decoder_padded(const struct sk_decoder *);
SK_API void sk_decoder_free(struct sk_decoder *);

/* One raw zlib stream, for containers (zip entries). */
enum sk_zmode { SK_Z_GZIP, SK_Z_ZLIB, SK_Z_RAW };
struct sk_inflate;
SK_API struct sk_inflate *sk_inflate_new(enum sk_zmode);
SK_API void sk_inflate_reset(struct sk_inflate *, enum sk_zmode);
SK_API void sk_inflate_free(struct sk_inflate *);
/* Feed N bytes; output to SINK. *used gets bytes consumed. Returns 0 (wants
 * more), 1 (stream ended; bytes after it not consumed), -1 (corrupt), -2
 * (out of memory or the sink returned -1). */
SK_API int sk_inflate_feed(struct sk_inflate *, const unsigned char *p, size_t n, size_t *used,
                           sk_decode_sink_fn sink, void *arg);

/* One Zstandard frame (skippable frames are frames too), for the chain
 * decoder and zip members (method 93); a window over 8 MiB is corrupt.
 * sk_unzstd_feed returns as sk_inflate_feed: 0 (wants more), 1 (the frame
 * ended; bytes after it not consumed), -1 (corrupt), -2 (the sink
 * returned -1). sk_unzstd_mid: inside a frame (an end here is a cut). */
struct sk_unzstd;
/* A frame that asks for a window over 8 MiB is corrupt here: RFC 9659
 * bounds the "zstd" content coding to 8 MiB, as browsers decode it, and a
 * decoder's memory is the window (zip tools stay within it below their
 * --ultra levels). sk_stream_find's zstd test takes the same bound. */
#define SK_ZSTD_WINDOW_LOG 23
/* The memory an xz, lzma or lzip decoder may take: dictionaries up to
 * 64 MiB (xz -9, lzip -9) and the decoder's own state (xz -9 needs 65 MiB).
 * One bound for the chain decoder and the stream reader, so a stream one
 * reads is never corrupt to the other. */
#define SK_XZ_MEMLIMIT ((uint64_t)68 << 20)
SK_API struct sk_unzstd *sk_unzstd_new(void);
SK_API void sk_unzstd_reset(struct sk_unzstd *);
SK_API int sk_unzstd_mid(const struct sk_unzstd *);
SK_API void sk_unzstd_free(struct sk_unzstd *);
SK_API int sk_unzstd_feed(struct sk_unzstd *, const unsigned char *p, size_t n, size_t *used,
                          sk_decode_sink_fn sink, void *arg);

/* ---- multipart, RFC 2046 (sk_multipart.c) ----------------------------- */

#define SK_MP_BOUNDARY_MAX 200 /* RFC 2046 says 70; senders exceed it */
#define SK_MP_DEPTH_MAX    4   /* nested multipart levels decoded */

/* ---- header parameters, RFC 2045/2231/6266 (sk_header_param.c) ------- */

/* The boundary parameter of a multipart Content-Type into OUT (size >
 * SK_MP_BOUNDARY_MAX): 0, or -1 when CT is not multipart or has no valid
 * boundary, -2 when readers disagree on it: two different
 * ones, an RFC 2231 one (boundary*=, boundary*0=), a comment ("(c)"),
 * text after the value ("A B": compat32 keeps it, frameworks stop at the
 * space), or a value whose raw text readers unquote differently: a
 * backslash, a quote that never closes or is inside a token, a token
 * holding a tspecial ("aa,bb", "a=b": policy.default stops there), '*' or
 * '\'', an RFC 2047 word ("=?utf-8?q?aa?=": policy.default decodes it), a
 * control byte (a mail header's NUL included: the parser keeps it as
 * another control byte), or a ';' in any quoted value (aiohttp splits
 * there: 'x="; boundary=A"; boundary=B' is A to it, B to email); callers give their failure
 * verdict. Quoted values with '=', '?', '/', ':', '+' or spaces ("----=_Part_0_1.2",
 * "===============123==") are fine. Never reads past the terminating NUL. */
SK_API int sk_mp_boundary(const char *content_type, char *out, size_t size);
/* Parameter NAME ("; name=value", quoted or token, white space around '='
 * allowed) of a header VALUE into OUT, cut to SIZE - 1 bytes; for a NAME
 * ending in '*' (RFC 5987) the charset''language prefix is dropped. A ';'
 * inside a quoted value separates nothing. 0, -1 when absent (";name"
 * without '=' is absent), -2 when NAME is given twice with two different
 * values (OUT then holds the first). Reads VALUE only up to its NUL. */
SK_API int sk_header_param(const char *value, const char *name, char *out, size_t size);
/* Parameter NAME of VALUE as a reader that knows RFC 2231 takes it
 * (Python's email get_filename / get_param, browsers for RFC 6266's
 * filename*): NAME* (charset'language'percent-encoded), else the sections
 * NAME*0, NAME*1... (NAME*N* percent-encoded, the first one's prefix
 * dropped), else NAME; the bytes percent-decoded are converted from the
 * prefix's charset to UTF-8 (iconv; cp037, utf-16le, utf-7 as readers
 * decode them; an unknown one leaves the bytes). The sections are joined
 * as READING says: SK_2231_ALL as email's compat32 does (every section in
 * numeric order, across gaps, two of one number both, sorted by value),
 * SK_2231_RUN as policy.default does (from *0 up to the first missing
 * number, the first of two; it also decodes RFC 2047 words in them, which
 * is the caller's: sk_multipart's header text does). Cut to SIZE - 1.
 * 0; -1 absent; -2 when not all of it was read: more than 64 sections, or
 * a section number past 9 digits (OUT holds what was read). On -2 a
 * caller gives its failure verdict, as for a boundary readers take
 * differently: the multipart parser marks the part (sk_mp_part.ambiguous),
 * DLP calls that dlp.on-error, virus_scan av.on-error; a name only logged
 * is logged as read. */
#define SK_2231_ALL 0
#define SK_2231_RUN 1
SK_API int sk_header_param_2231(const char *value, const char *name, int reading, char *out,
                                size_t size);
/* sk_header_param_2231(..., SK_2231_ALL, ...). */
SK_API int sk_header_param_ext(const char *value, const char *name, char *out, size_t size);
/* 1 when VALUE has a parameter whose name starts with PREFIX ("boundary*"
 * finds RFC 2231's boundary*=charset''value and boundary*0=, boundary*1=),
 * else 0. A ';' inside a quoted string separates nothing. */
SK_API int sk_header_param_named(const char *value, const char *prefix);

/* ---- the multipart and mbox reader (sk_multipart.c) ------------------ */

enum sk_mp_kind { SK_MP_PART = 1, SK_MP_PREAMBLE, SK_MP_EPILOGUE };

/* What is known about a part when its data starts. Strings borrowed until
 * the part's end callback, "" when absent. */
struct sk_mp_part {
    enum sk_mp_kind kind;
    int depth;                /* 0: parts of the body; 1: of a nested multipart... */
    const char *content_type; /* full header value */
    const char *filename;     /* Content-Disposition filename (or filename*) */
    const char *headers;      /* raw part headers (for samples), NUL-terminated */
    int malformed;            /* headers never ended: data is the raw bytes */
    /* readers take the part's header section differently or it was not all
     * read: a kept field (Content-Type, -Disposition, -Transfer-Encoding)
     * past 1 KiB, an RFC 2231 parameter past what is read
     * (sk_header_param_2231 -2), two Content-Transfer-Encoding fields in a
     * part of an HTTP body (email takes the first, python-multipart the
     * last): callers give their failure verdict */
    int ambiguous;
    /* a part of a multipart HTTP body (sk_mp_new: form-data, and mixed or
     * related, which cgi.FieldStorage reads as a form too; a multipart in
     * one) decoded from its Content-Transfer-Encoding: most form readers
     * (PHP, busboy, formidable, cgi, commons-fileupload) ignore that field,
     * as RFC 7578 4.7 deprecates it, and hand on the bytes as they are,
     * while python-multipart, Django and email decode them. Both readings
     * exist: the raw bytes also go to the handler's raw callback (if any).
     * Not in a mail message (sk_mp_new_message): its readers decode */
    int encoded;
};

/* Leaf parts only: a nested multipart part is parsed and its own parts
 * are delivered (up to SK_MP_DEPTH_MAX, then as plain data). Part data is
 * already decoded from its Content-Transfer-Encoding (base64,
 * quoted-printable, x-uuencode: the lines between "begin" and "end").
 * Each callback returns 0, or -1 to stop. */
struct sk_mp_handler {
    int (*begin)(void *arg, const struct sk_mp_part *);
    int (*data)(void *arg, const void *buf, size_t len);
    int (*end)(void *arg);
    void *arg;
    /* optional (NULL): an encoded part's bytes as they are in the body,
     * before the data callback gets them decoded (sk_mp_part.encoded) */
    int (*raw)(void *arg, const void *buf, size_t len);
};

struct sk_mp;
/* A streaming parser for BOUNDARY (CRLF or bare LF line ends; preamble and
 * epilogue delivered as their own objects). NULL when out of memory or the
 * boundary is empty or too long. */
SK_API struct sk_mp *sk_mp_new(const char *boundary, const struct sk_mp_handler *);
/* A parser for one message (RFC 5322/2045: an .eml, a message/rfc822
 * object): its header section, then its body as one part at depth 0 -
 * decoded from its Content-Transfer-Encoding, a multipart body parsed into
 * its parts. Of the header section only the first Content-Type,
 * Content-Transfer-Encoding and Content-Disposition fields are kept (each
 * cut at 1 KiB), so a section of any length is read; it is delivered as a
 * text object of its own (SK_MP_PREAMBLE: unfolded, RFC 2047 words
 * decoded, RFC 2231 file names joined). A section that never ends gives
 * no part. NULL when out of memory. */
SK_API struct sk_mp *sk_mp_new_message(const struct sk_mp_handler *);
/* An mbox file read as Python's mailbox.mbox reads one: messages as
 * sk_mp_new_message reads one, each line that starts "From " (in a body
 * or a header section after its first line) beginning the next. */
SK_API struct sk_mp *sk_mp_new_mbox(const struct sk_mp_handler *);
/* Is an object an mbox (application/mbox, a name ending in .mbox, or
 * bytes P[0..N) with a "From " line first, or after a UTF-8 BOM and at
 * most 4 lines of anything within the first 512 bytes: mailbox.mbox skips
 * what comes before its first "From " line)? One that starts so may be
 * a single message too (email.message_from_bytes reads it so): callers
 * read it both ways. */
SK_API int sk_mp_is_mbox(const char *content_type, const char *name, const unsigned char *p,
                         size_t n);
/* Do the first bytes P[0..N) look like a mail message whose body may need
 * decoding: an optional mbox "From " line, then header fields (a name of
 * printable ASCII starting with a letter or digit, and ':'; continuation
 * lines, "From " lines) on every line up to an empty
 * line or the end of P, among them Content-Type, Content-Transfer-Encoding or
 * MIME-Version, or with an RFC 2047 encoded word - or P ends before the
 * section does (those fields may come
 * later: a mail's Received lines, padding), unless P is shorter than 512
 * bytes and reaches no line end at all (no body to decode). 1 or 0. */
SK_API int sk_mp_message_like(const unsigned char *p, size_t n);
/* Is an object a mail message: declared (any message/ type: email parses
 * rfc822, global, news alike; a name ending in .eml, .mht, .mhtml) or told
 * by its first bytes P[0..N) (sk_mp_message_like, at most 512 of them)?
 * DLP and virus_scan read such an object with sk_mp_new_message. */
SK_API int sk_mp_is_message(const char *content_type, const char *name, const unsigned char *p,
                            size_t n);
/* Is CONTENT_TYPE multipart/digest, whose parts without a Content-Type are
 * message/rfc822 (RFC 2046 5.1.5)? A parser of one is told so with
 * sk_mp_digest (nested ones know it themselves): such parts are then
 * delivered with that type. */
SK_API int sk_mp_is_digest(const char *content_type);
SK_API void sk_mp_digest(struct sk_mp *, int on);
/* Is CONTENT_TYPE multipart/form-data? Every other multipart subtype is
 * read as mail (sk_mp_mail) also when it is an HTTP body: its readers are
 * email's (googleapiclient's batch responses: email.feedparser), which end
 * a line at a bare CR too, so "\r--boundary" is a delimiter; form-data's
 * readers (Django, aiohttp, browsers) know CRLF and LF only. A parser made
 * by sk_mp_new is told with sk_mp_mail (a message's parts and nested
 * multiparts other than form-data know it themselves). */
SK_API int sk_mp_is_form_data(const char *content_type);
SK_API void sk_mp_mail(struct sk_mp *, int on);
/* 0, or -1 when a callback stopped the parse (or out of memory). */
SK_API int sk_mp_write(struct sk_mp *, const void *buf, size_t len);
/* End of the body: finishes the open part. 0 or -1. */
SK_API int sk_mp_end(struct sk_mp *);
/* Was a delimiter (or the close delimiter) of the boundary seen at depth
 * 0? A multipart/form-data body without one is read by Django as one part
 * (its header lines first, then decoded by its Content-Transfer-Encoding),
 * rejected by aiohttp, never sent by a browser: DLP and virus_scan give
 * it their failure verdict (red team 5, FORM-NODELIM). */
SK_API int sk_mp_delimited(const struct sk_mp *);
/* Number of parts (not preamble/epilogue) seen at depth 0. */
SK_API unsigned sk_mp_parts(const struct sk_mp *);
SK_API void sk_mp_free(struct sk_mp *);

/* ---- compressed streams at any offset (sk_stream.c) ------------------- */

/* The first gzip, bzip2, xz, zstd, lz4 or .Z stream header at or after FROM
 * in P that verifies strictly (gzip: method 8, no reserved flag bit, XFL
 * 0/2/4, a known OS; bzip2: "BZh1".."BZh9" and a block or end magic; xz:
 * magic, stream flags and their CRC32; zstd: the frame magic, the reserved
 * bit clear, no dictionary ID, a window - or a single segment's content
 * size - of at most 2^SK_ZSTD_WINDOW_LOG, what sk_unzstd reads; lz4: the
 * frame magic, version 1, reserved bits clear, no dictionary ID, and its
 * header checksum): its offset, *C
 * its coding; -1 none. A position is decided by its first SK_STREAM_HEAD
 * bytes (fewer before the end of P: as they are), so a streaming caller
 * that holds the last SK_STREAM_HEAD - 1 bytes back finds what a
 * whole-buffer search finds. Random data holds about one per 10^10 bytes;
 * the caller decodes a candidate (sk_stream_decode, sk_stream_dec) and
 * takes one that does not decode as none. Linear in N. */
#define SK_STREAM_HEAD 24
SK_API long sk_stream_find(const unsigned char *p, size_t n, size_t from, enum sk_coding *c);

/* ---- container magic in one pass (sk_magics.c) ------------------------ */
/* Where the magics the walk's searches look for begin in an object: one
 * pass records every offset whose first bytes are those of a magic below
 * (fixed bytes only: each search's exact test runs there, so the index is
 * a superset of what any of them finds), and a search runs at those
 * offsets instead of reading the object again. */
enum sk_magic_kind {
    SK_MG_GZIP = 1u << 0,      /* 1f 8b 08 (sk_stream_find) */
    SK_MG_BZIP2 = 1u << 1,     /* "BZh" */
    SK_MG_XZ = 1u << 2,        /* fd "7zX" */
    SK_MG_ZSTD = 1u << 3,      /* 28 b5 2f fd, a frame's magic */
    SK_MG_SQFS_LE = 1u << 4,   /* "hsqs" (sk_container_unread) */
    SK_MG_SQFS_BE = 1u << 5,   /* "sqsh" */
    SK_MG_LZOP = 1u << 6,      /* 89 "LZO" */
    SK_MG_LHA = 1u << 7,       /* "-l??-": byte 2 of an LHA header (at - 2) */
    SK_MG_ZIP_LOCAL = 1u << 8, /* "PK\3\4" (sk_zip_find) */
    SK_MG_ZIP_END = 1u << 9,   /* "PK\5\6" */
    SK_MG_7Z = 1u << 10,       /* "7z" bc af, a 7z signature's first four */
    SK_MG_LZ4 = 1u << 11,      /* 04 22 4d 18, an lz4 frame's magic */
    SK_MG_COMPRESS = 1u << 12, /* 1f 9d, Unix compress (.Z) */
};
#define SK_MG_STREAMS                                                                              \
    (SK_MG_GZIP | SK_MG_BZIP2 | SK_MG_XZ | SK_MG_ZSTD | SK_MG_LZ4 | SK_MG_COMPRESS)
/* At most SK_MAGICS_MIN + N / SK_MAGICS_PER candidates are kept (random
 * bytes hold ~16 per MiB, text fewer): 16 bytes each, grown as found. */
#define SK_MAGICS_MIN 1024
#define SK_MAGICS_PER 128
struct sk_magics {
    const unsigned char *p; /* the object indexed (borrowed) */
    size_t len;
    int over; /* past the cap or out of memory: incomplete, search the old way */
    size_t n, cap, max;
    struct sk_magic {
        size_t at;      /* offset in P */
        unsigned kinds; /* SK_MG_* that start there */
    } * v;              /* by offset; caller frees (sk_magics_free) */
};
/* Index P[0..N) into *M (filled whole; M->v owned by M). 0, or -1 with
 * M->over set (more candidates than the cap, or out of memory): M is
 * then no index, and sk_magics_for says so. */
SK_API int sk_magics_find(struct sk_magics *m, const unsigned char *p, size_t n);
/* The same with the pass's vector WIDTH chosen (tests: 16 the portable
 * pass, 32 AVX2 when the CPU has it, 0 the best there is). */
SK_API int sk_magics_find_w(struct sk_magics *m, const unsigned char *p, size_t n, unsigned width);
SK_API void sk_magics_free(struct sk_magics *m);
/* M when it is a complete index of exactly P[0..N), else NULL: the
 * caller searches P itself. M may be NULL. */
SK_API const struct sk_magics *sk_magics_for(const struct sk_magics *m, const unsigned char *p,
                                             size_t n);
/* The index in M->v of the first candidate at offset FROM or after with
 * one of KINDS; M->n when there is none. */
SK_API size_t sk_magics_next(const struct sk_magics *m, size_t from, unsigned kinds);
/* The index of the next candidate after index I with one of KINDS (the
 * entries are in offset order, one per offset): a walk's step from one
 * candidate to the next; M->n when there is none. */
SK_API size_t sk_magics_after(const struct sk_magics *m, size_t i, unsigned kinds);
/* sk_stream_find(P, N, FROM, C) through M (an index of P[0..N), or NULL:
 * the search itself): the same answer. */
SK_API long sk_stream_find_in(const struct sk_magics *m, const unsigned char *p, size_t n,
                              size_t from, enum sk_coding *c);
/* Decode the stream of coding C (gzip, bzip2, xz, zstd, lz4 or .Z) at P,
 * and the streams of the same kind that follow it at once, to SINK; at
 * most OUT_MAX bytes (a .Z, which has no end mark, ends with P[N-1]).
 * *USED: the bytes read. Returns 1 (the streams ended), 0
 * (cut short), -1 (corrupt: what decoded before went to SINK), -2
 * (OUT_MAX reached), -3 (out of memory or SINK's -1). Nothing is passed
 * on raw. */
SK_API int sk_stream_decode(enum sk_coding c, const unsigned char *p, size_t n, uint64_t out_max,
                            size_t *used, sk_decode_sink_fn sink, void *arg);
/* May NUL bytes stand between two streams of coding C that readers take
 * as one file? xz: its Stream Padding (xz -dc reads on); gzip: Python's
 * gzip skips them (zlib's gzread and GNU gzip stop there). In sk_decode.c:
 * its decoder skips them too. */
SK_API int sk_stream_pads(enum sk_coding c);
/* One stream of coding C (a gzip member, a bzip2 or xz stream, a zstd
 * or lz4 frame, a .Z: it never ends, every byte is taken) fed in pieces,
 * any split: for a reader that cannot hold the
 * object (DLP). Unlike sk_decoder it stops at the stream's end, so the
 * caller knows where the stream ended and reads what follows itself.
 * NULL: out of memory or another coding. */
struct sk_stream_dec;
SK_API struct sk_stream_dec *sk_stream_dec_new(enum sk_coding c);
/* Returns as sk_inflate_feed: 0 (wants more), 1 (the stream ended; *USED
 * bytes taken, the rest is not), -1 (corrupt: what decoded before went to
 * SINK), -2 (out of memory or SINK's -1). */
SK_API int sk_stream_dec_feed(struct sk_stream_dec *, const unsigned char *p, size_t n,
                              size_t *used, sk_decode_sink_fn sink, void *arg);
SK_API void sk_stream_dec_free(struct sk_stream_dec *);
/* The guard before a reader that decompresses on its own (libclamav opens
 * gzip, bzip2 and xz files and decompresses them whole, with no ratio
 * check, before any of its limits is looked at): would the compressed
 * object P[0..N) of coding C (gzip, bzip2, xz, zstd or lz4: its stream and the
 * streams of its kind that follow, as sk_stream_decode reads them) stay
 * within sk_decode_bound(LIM, N)? Decodes into nothing, so it stops a bomb
 * after the bound's bytes (a 200-byte bzip2 of 200 MiB of zeros: 1 MiB
 * with the defaults, milliseconds). SK_DECODE_OK (ended or cut short
 * within the bound), SK_DECODE_LIMIT (over it), SK_DECODE_CORRUPT (not
 * that coding: the reader finds out itself), SK_DECODE_FAIL (out of
 * memory). *OUT (may be NULL): the bytes it decoded. */
SK_API enum sk_decode_rc sk_decode_check(enum sk_coding c, const unsigned char *p, size_t n,
                                         const struct sk_decode_limits *lim, uint64_t *out);

/* ---- containers recognised from bytes (sk_sniff.c) -------------------- */

enum sk_ctype {
    SK_CT_NONE = 0,
    SK_CT_ZIP,
    SK_CT_GZIP,
    SK_CT_ZSTD,
    SK_CT_BZIP2,
    SK_CT_XZ,
    SK_CT_LZMA,
    SK_CT_LZIP,
    SK_CT_LZ4,
    SK_CT_COMPRESS,
    SK_CT_7Z, /* archives the decoding layer does not read */
    SK_CT_RAR,
    SK_CT_ZLIB /* a bare zlib stream (RFC 1950); decoded as SK_CODING_DEFLATE */
};
/* What the first bytes of an object are; N >= 14 for a firm answer (4 are
 * enough for zip, gzip, zstd, bzip2, lz4). Zip is recognised by a local
 * header, also after a prefix the caller skipped. Zstandard: a frame, a
 * skippable frame (which may hide the frame after it) or a legacy
 * (v0.2-v0.7) frame; libzstd decides whether it decodes. The legacy .lzma
 * format has no magic: its 13-byte header's properties, dictionary size
 * (as encoders write it) and size field, and the range coder's first byte
 * (0) tell it (about one random 14 bytes in 10^10 pass; mostly zero bytes
 * more often: like a zlib candidate's, what such a header does not decode
 * is worth a look, never a verdict - SK_CT_LZMA is read with drop_rest).
 * A bare zlib stream (what zlib.compress and `pigz -z` write,
 * a git object) has a two-byte header that one object in ~2000 starts with
 * by chance ("x^", "HK" in text): it is one when zlib also inflates what N
 * holds of it - the whole stream with its checksum when it ends within N,
 * else at least 64 bytes of it without an error, or 256 before one (random
 * bytes after a header fail within 64). */
SK_API enum sk_ctype sk_container_sniff(const unsigned char *p, size_t n);
/* A zlib header (no preset dictionary) at P that sk_container_sniff did
 * not take as SK_CT_ZLIB (T: what it said of P, so that the sniff's
 * inflating is not done twice): its stream fails early or is cut short, or the
 * bytes only look like a header. A streaming reader hands out what inflated
 * before the error, so that is worth a look, never a verdict of its own
 * (a decoder with drop_rest; random bytes after a header inflate a few
 * bytes of noise). 1 when P[0..N) is such a candidate. */
SK_API int sk_container_zlib_cut(enum sk_ctype t, const unsigned char *p, size_t n);
/* The filters the blocks of the .xz file P[0..N) use, as a mask: bit ID
 * for each filter ID below 63 (LZMA2 0x21, the BCJ filters 4-11, delta 3),
 * bit 63 for any other and for a block header that does not read. Every
 * block each stream's index lists (the streams read from the end); when
 * the indexes do not read back to offset 0 (a file cut short, bytes in
 * front), the first block's header only, and bit 63 when not even that
 * reads. A reader that knows fewer filters (libclamav's does not know
 * ARM64, 0x0A) gives up on a block that uses one. */
SK_API uint64_t sk_xz_filters(const unsigned char *p, size_t n);
/* Formats nobody here decodes - neither libclamav nor the toolkit's
 * decoders - recognised by a strict header: an lzop file (its 9-byte
 * magic and a header whose checksum agrees); a squashfs image whose blocks are zlib, lzma, lzo or
 * lz4 data without a stream header (version 4: a compression id and a block size that agrees with
 * its log; versions 1-3, zlib only). A squashfs of xz or zstd blocks is not listed: each block is
 * an xz stream or a zstd frame, which the streams-after-a-prefix finder reads. A WIM image
 * ("MSWIM", any compression: 7z and wimlib read it) and a cramfs image (its magic in either order
 * and "Compressed ROMFS"), at the start only. What the format is, for a log line ("an lzop file"),
 * else NULL. N >= 32 for squashfs. */
SK_API const char *sk_container_unread(const unsigned char *p, size_t n);
/* A 7z or rar archive starting at P, as 7-Zip and unrar take one they
 * find after a prefix (a self-extractor's stub): 7z's signature header
 * with the CRC-32 of its start header; rar 1.5-4's marker and a main
 * header (type 0x73, a size of 13 to 4096); rar 5's marker and a main
 * header (type 1) whose CRC-32 agrees. The signatures alone are in every
 * program that reads those formats (libarchive, 7-Zip, a browser). 1: an
 * archive; 0: not; -1: P[0..N) is too short to tell (SK_SFX_HEAD bytes
 * always tell). */
/* A disk or file system image P[0..N) (its first 2 KiB tell) whose
 * files nobody here reads - libclamav scans an MBR's or GPT's partitions
 * as bytes, not the files in them, and a file's clusters need not follow
 * each other (red team s24: EICAR in two clusters of a FAT image, split
 * by another): VHD (dynamic), VHDX, VMDK, QCOW, VirtualBox images; a GPT
 * or MBR partition table (not an ISO 9660 image's, which is read); an
 * NTFS, exFAT or FAT boot sector; an ext2/3/4 superblock. What it is, for
 * a log line, else NULL. */
SK_API const char *sk_disk_image(const unsigned char *p, size_t n);
#define SK_SFX_HEAD 64
SK_API int sk_sfx_archive_at(const unsigned char *p, size_t n);
/* The coding that undoes a compressed file of type T (gzip, zstd, bzip2,
 * xz, lzma, lzip, lz4, compress, zlib), or 0 when T is no compressed file. */
SK_API enum sk_coding sk_container_coding(enum sk_ctype t);

/* Is the "PK\3\4" at P (N bytes from it) a local header as zip writers
 * make them: a known version and method, a name of 1..1024 printable
 * bytes? 1 yes, 0 no, -1 not known yet (fewer than 30 + name bytes). The
 * constant alone is in every zip library and in random bytes; a zip after
 * a prefix (self-extractor stub, tar member, junk) is found by this test
 * and an archive end after it (sk_zip_find, or a streaming reader's own
 * look for "PK\5\6"). */
SK_API int sk_zip_local_plausible(const unsigned char *p, size_t n);
/* Where a zip starts in P: 0 when P starts with a local header, else the
 * first plausible local header with an end of central directory
 * ("PK\5\6") after it: zip readers find an archive from its end, so a
 * prefix does not stop them. -1: none. Linear in N, however many
 * candidates P holds. */
SK_API long sk_zip_find(const unsigned char *p, size_t n);
/* sk_zip_find(P + POS, N - POS) through M (an index of P[0..N), or NULL:
 * the search itself): the same answer, an offset from POS. */
SK_API long sk_zip_find_in(const struct sk_magics *m, const unsigned char *p, size_t n, size_t pos);
/* Does the zip in P hold ZIP64 records: a local header whose sizes are in
 * a ZIP64 extra field, or a ZIP64 end record with its locator in the
 * archive's tail? (libclamav 1.4 reads no such zip.) */
SK_API int sk_zip_has_zip64(const unsigned char *p, size_t n);

/* A streaming zip walker (local headers in order; ZIP64 sizes and data
 * descriptors; stored, deflated and zstd (93) entries, and bzip2 (12),
 * LZMA (14) and xz (95) ones of known size). Everything that is not the
 * inside of an entry it could read - the central directory, a comment,
 * bytes appended after the archive, or the rest after an entry it cannot
 * walk - is delivered as the "tail" object, so nothing goes uninspected. */
#define SK_ZIP_DEFLATE64 9 /* APPNOTE 4.4.5: libclamav reads it, the walker does not */
struct sk_zip_entry {
    const char *name; /* sanitised: printable ASCII, capped */
    uint64_t offset;  /* its local header, from the walker's first byte */
    unsigned method;
    int sized;       /* its compressed size came from the header (no flag bit 3) */
    uint64_t csize;  /* that size (ZIP64 included) */
    int encrypted;   /* flag bit 0: contents not readable */
    int unsupported; /* a method the walker does not read (or 12/14/95 of unknown size):
                      * contents skipped */
};
struct sk_zip_handler {
    /* begin returns 1 to read the entry, 0 to skip it, -1 to stop; end
     * follows every begin that returned 1 (with no data for an encrypted
     * or unsupported entry) */
    int (*begin)(void *arg, const struct sk_zip_entry *);
    int (*data)(void *arg, const void *buf, size_t len);
    int (*end)(void *arg);
    /* raw bytes not inside a readable entry; tail_begin once before */
    int (*tail_begin)(void *arg);
    void *arg;
    /* optional: the archive's own bytes the walk consumed without handing
     * them over as entry data or tail - local headers, names, extra
     * fields, data descriptors, the stored data of entries not read
     * (skipped, encrypted, unknown method) - so a reader that wants every
     * byte inspected gets it: data + raw + tail cover the input once,
     * except the compressed data of compressed entries (its output is the
     * data) and what follows a zstd entry of unknown length that does not
     * decode (st.lost_sync, st.undecoded: the caller fails closed). NULL:
     * not wanted. */
    int (*raw)(void *arg, const void *buf, size_t len);
};
struct sk_zip_stats {
    unsigned entries, encrypted, unsupported;
    unsigned zip64; /* entries with ZIP64 sizes (libclamav 1.4 cannot read these) */
    int corrupt;    /* an entry's data was corrupt: the rest went to the tail */
    int lost_sync;  /* an entry of unknown length could not be walked */
    /* zstd, bzip2, LZMA and xz entries whose data did not decode:
     * libclamav reads none of them but bzip2, so a caller must not take
     * the archive as read. The rest of such an entry is dropped (its
     * length known) or nothing after it is walked (lost_sync): the
     * decoders take more input than the error needed, depending on the
     * writes. */
    unsigned undecoded;
    /* bytes given to the tail object: the tail began at (bytes written -
     * tail_bytes), where a caller looks for a zip that follows */
    uint64_t tail_bytes;
    /* the decompression guard (sk_zip_guard) stopped the walk: 1 an
     * entry decoded beyond sk_decode_bound of its compressed bytes, 2 the
     * entries together beyond the bound of the archive's bytes */
    int bomb;
};
struct sk_zip;
SK_API struct sk_zip *sk_zip_new(const struct sk_zip_handler *);
SK_API int sk_zip_write(struct sk_zip *, const void *buf, size_t len); /* 0 / -1 (stopped) */
SK_API int sk_zip_end(struct sk_zip *);                                /* 0 / -1 */
/* The decompression guard on the walk (call before the first write): each
 * entry may decode to sk_decode_bound(LIM, its compressed bytes) and all
 * entries together (stored ones too) to sk_decode_bound(LIM, the archive's
 * bytes); the input counted is what the entry's decoder was offered, in
 * slices of at most 16 KiB. Beyond, st.bomb is set and sk_zip_write
 * returns -1, the decoder stopped within a slice: a zip of deflate, bzip2
 * or LZMA bombs costs what a .gz bomb costs. Entries the handler skips are
 * decoded to find their end and held to the same bound. */
SK_API void sk_zip_guard(struct sk_zip *, const struct sk_decode_limits *lim);

/* The decompression guard for a 7z archive P[0..N) (sk_7z.c): its headers
 * read (an encoded header decoded, LZMA or LZMA2, within the bound), each
 * folder's declared unpacked size held to sk_decode_bound(LIM, its packed
 * bytes) and all folders to sk_decode_bound(LIM, N). Declared sizes are
 * what a 7z costs libclamav, which decodes a folder into a buffer of that
 * size and no further. 1: beyond the bound (a bomb), 0: within it, -1:
 * not a 7z whose headers this reads (the reader's own limits apply).
 * *UNREAD (may be NULL): folders (or an encoded header) compressed with a
 * method libclamav's 7z reader does not decode (Deflate, Deflate64, Delta,
 * zstd...): it passes those as clean unread. */
SK_API int sk_7z_guard(const unsigned char *p, size_t n, const struct sk_decode_limits *lim,
                       unsigned *unread);
SK_API const struct sk_zip_stats *sk_zip_stats(const struct sk_zip *);
SK_API void sk_zip_free(struct sk_zip *);

/* The central directory: what extractors (Python's zipfile, Java, 7-Zip,
 * libclamav) read an archive by. The walker above reads local headers; the
 * two can disagree (a header that says "stored, 0 bytes" before deflated
 * data, an entry only the directory lists, inside another's data), so a
 * reader checks each record against what its walk read (sk_zip_cd_agrees)
 * and reads the ones that disagree as the directory says. */
struct sk_zip_cd_entry {
    uint64_t local; /* its local header: an offset in P's coordinates (BASE added) */
    uint64_t csize, usize;
    unsigned method, flags;
};
/* The directory of the archive that ends P[0..N), P being the object's
 * bytes from offset BASE on, read both ways extractors find it: zipfile's
 * (the last end record, "PK\5\6", in the last 65,557 bytes, and the ZIP64
 * end record before its locator when both are there) and Java's and
 * Info-ZIP's (the end record whose comment reaches the end, ZIP64 only
 * when its fields say so); a directory both readings find is read once.
 * Offsets are shifted by what precedes the archive (a self-extractor
 * stub). EACH (0: go on, -1: stop) gets every record of each. Returns the
 * number of records; -1 no end record (no archive ends P: nothing to
 * check); -2 a reading's directory may lie before BASE, or no reading's
 * directory is readable (a reader cannot check, and fails closed); -3
 * EACH stopped. */
SK_API long sk_zip_cd_each(const unsigned char *p, size_t n, uint64_t base,
                           int (*each)(void *arg, const struct sk_zip_cd_entry *), void *arg);
/* The local headers a walk read, in offset order (names not kept). */
struct sk_zip_seen {
    struct sk_zip_entry *v;
    size_t n, cap;
    int oom; /* one could not be noted: the list is incomplete */
};
/* Note E (from a walker's begin), its offset shifted by BASE: where the
 * walker's first byte is in the coordinates of the directory check. */
SK_API void sk_zip_seen_add(struct sk_zip_seen *, const struct sk_zip_entry *e, uint64_t base);
SK_API void sk_zip_seen_free(struct sk_zip_seen *);
/* Does record E describe an entry a walk read as it is: a local header at
 * E->local in SEEN, with the same method and encryption flag and, when the
 * header gave it, the same compressed size? */
SK_API int sk_zip_cd_agrees(const struct sk_zip_seen *seen, const struct sk_zip_cd_entry *e);
/* A local header, name and ZIP64 extra field for E (name NAME), into OUT
 * (room for 30 + 255 + 20 bytes): fed to a walker followed by the entry's
 * CSIZE bytes of data, it reads the entry as the directory describes it.
 * Returns the length. */
SK_API size_t sk_zip_cd_header(const struct sk_zip_cd_entry *e, const char *name,
                               unsigned char *out);

/* ---- base64 inside text (sk_b64run.c) -------------------------------- */

/* The runs of base64 in a text stream: a file a page read as a data: URL
 * and posted in JSON or a form field, an API's "content": "<base64>", a
 * script's atob("...") (HTML smuggling), MIME and PEM blocks. A run is
 * base64 digits of either alphabet ('+' '/' or '-' '_'); inside a run the
 * escapes JSON and form encoding put on base64's own characters are undone
 * ("\/", %2B, %2F, \u002B, and a script's \xHH, \uHHHH, \u{H} of any
 * digit), and a line break (CRLF, LF, JSON's "\r\n") continues a run after
 * a line of at least SK_B64RUN_MIN_LO digits, a multiple of 4 (MIME 76, PEM
 * 64, base64 -w 40). '=' padding, any other byte or escape ends it. A run of at least
 * MIN digits is decoded: begin, its bytes to data (any split), end; a
 * shorter one was only text. Bytes outside runs cost one table lookup per
 * byte, 64 at a time. */
#define SK_B64RUN_MIN_LO 20  /* the least MIN: 15 bytes, an Amex number */
#define SK_B64RUN_MIN_HI 256 /* the greatest */
struct sk_b64run_handler {
    int (*begin)(void *arg); /* 0, or -1 to stop */
    int (*data)(void *arg, const void *buf, size_t len);
    int (*end)(void *arg);
    void *arg;
};
struct sk_b64run;
/* NULL when MIN is out of [SK_B64RUN_MIN_LO, SK_B64RUN_MIN_HI] or out of
 * memory. */
SK_API struct sk_b64run *sk_b64run_new(size_t min, const struct sk_b64run_handler *);
/* 0, or -1 once a callback stopped (every later call returns -1). */
SK_API int sk_b64run_write(struct sk_b64run *, const void *buf, size_t len);
/* The text is UTF-16 (BE != 0: big-endian), before the first write: code
 * units are read as characters (a page served as UTF-16 runs its atob()
 * all the same); a BOM or any code unit beyond ASCII is a non-digit. */
SK_API void sk_b64run_utf16(struct sk_b64run *, int be);
/* End of the text: ends a run in progress. 0 / -1. */
SK_API int sk_b64run_end(struct sk_b64run *);
SK_API void sk_b64run_free(struct sk_b64run *);

/* ---- base64 string literals a script joins (sk_b64join.c) ------------- */

/* A script assembles a file from pieces of its base64: ["...", "..."].join(""),
 * var a = "..."; var b = "..."; atob(a + b), "...".concat("..."),
 * "..." + ("...") with a comment between. No piece need be a run
 * (sk_b64run) on its own, and a signature across two is in neither. The string literals of P[0..N)
 * (quoted with ", ' or `) made only of base64 digits (either alphabet, '='
 * padding, JSON's \/), in the order they are written, are joined: a group
 * goes on while the bytes between two literals are at most
 * SK_B64JOIN_GAP and hold no ':' (an object's key: value, a ternary), and a
 * literal followed by ':' (a JSON key) is none. Each group of at least two
 * literals and MIN digits is written to OUT (room for N bytes), its digits
 * one after the other, groups ended by '#': a text the run finder reads as
 * one run per group. Returns the length written (0: no such group). */
#define SK_B64JOIN_GAP 4096
SK_API size_t sk_b64_join_literals(const unsigned char *p, size_t n, size_t min,
                                   unsigned char *out);

/* ---- percent-encoded data: URLs in text (sk_dataurl.c) ---------------- */

/* The next data: URL (RFC 2397, any case) from *POS on in P[0..N) whose
 * data is percent-encoded: not ";base64" (sk_b64run's), at least one %XX.
 * Its data is [*START, *END): after the ',' up to the first byte that ends
 * a URL in HTML, CSS or a script (white space, a quote or backtick, '<',
 * '>', ')', '\'). *POS moves past it. 1 found, 0 none (then *POS = N).
 * A script that fetches such a URL saves the file with no decoding of
 * its own (HTML smuggling without atob()). */
SK_API int sk_dataurl_find(const unsigned char *p, size_t n, size_t *pos, size_t *start,
                           size_t *end);
/* IN[0..N) percent-decoded into OUT (room for N bytes); a '%' not followed
 * by two hex digits is kept. Returns the decoded length. */
SK_API size_t sk_dataurl_decode(const unsigned char *in, size_t n, unsigned char *out);

/* ---- arrays of byte values in text (sk_numarray.c) -------------------- */

/* The next array of byte values in text P[0..N) from *POS on: at least
 * SK_NUMARRAY_MIN numbers 0-255 (decimal, or 0x and one or two hex digits,
 * each standing alone), one ',' and any white space between two - a
 * script's new Uint8Array([77, 90, 144, ...]) or String.fromCharCode(88,
 * 53, ...), a Node Buffer in JSON ({"type": "Buffer", "data": [88, ...]}):
 * [*START, *END), *POS past it. 1 found, 0 none (then *POS = N). */
#define SK_NUMARRAY_MIN 64
SK_API int sk_numarray_find(const unsigned char *p, size_t n, size_t *pos, size_t *start,
                            size_t *end);
/* IN[0..N), such a run, as the bytes it lists into OUT (room for N / 2 + 1):
 * how many. */
SK_API size_t sk_numarray_decode(const unsigned char *in, size_t n, unsigned char *out);

/* ---- uuencoded blocks in text (sk_multipart.c) ------------------------ */

/* The next uuencoded block from *POS on in P[0..N): a line "begin MODE
 * NAME" (MODE octal, as a part's x-uuencode is read) at a line start;
 * its encoded lines are [*START, *END): up to the line "end" (white space
 * around it) or the text's end. *POS moves past it. 1 found, 0 none (then
 * *POS = N). A shell archive (GNU shar, `shar -z` for gzip inside) holds
 * its files so, and a script decodes them with uudecode. */
SK_API int sk_uu_find(const unsigned char *p, size_t n, size_t *pos, size_t *start, size_t *end);
/* The encoded lines IN[0..N) decoded into OUT (room for N bytes), each as
 * binascii.a2b_uu reads one, leniently. Returns the decoded length. */
SK_API size_t sk_uu_decode(const unsigned char *in, size_t n, unsigned char *out);
/* The same blocks found and decoded as a text streams by (any split):
 * BEGIN at a block's "begin" line, DATA with each encoded line's bytes,
 * END at its "end" line or at sk_uurun_end. Callbacks as sk_b64run's. */
struct sk_uurun;
SK_API struct sk_uurun *sk_uurun_new(const struct sk_b64run_handler *);
/* 0, or -1 once a callback stopped (every later call returns -1). */
SK_API int sk_uurun_write(struct sk_uurun *, const void *buf, size_t len);
SK_API int sk_uurun_end(struct sk_uurun *);
SK_API void sk_uurun_free(struct sk_uurun *);

/* ---- charset sniffing (sk_decode_charset.c) --------------------------- */

/* The encoding of the first N bytes of a text object: NULL for bytes as
 * they are (UTF-8, ASCII or binary), else an iconv name ("UTF-16LE",
 * "CP932"...). *skip gets the length of a BOM. UTF-16 without a BOM is
 * recognised even when most code units hold a 0x00 byte (ASCII, U+3000,
 * U+4E00). */
SK_API const char *sk_charset_sniff(const unsigned char *s, size_t n, size_t *skip);
/* The width a JSON reader takes from the first four bytes alone when there
 * is no BOM: a NUL in the first two (RFC 4627 section 3, the rule of
 * Python's json.loads) - "UTF-16LE", "UTF-16BE", "UTF-32LE", "UTF-32BE";
 * NULL for a BOM, no NUL there, or fewer than four bytes. Unlike
 * sk_charset_sniff it does not look at the rest: a reader that trusts it
 * reads a body of any content that way. */
SK_API const char *sk_charset_nul_order(const unsigned char *s, size_t n);
/* Does P[0..N) (a body's first bytes) start as JSON: after a BOM, white
 * space and the NULs of UTF-16/32, an object with a key, an array, or a
 * string (json.loads reads each); white space alone (a full head) may
 * be. For bodies that say nothing of JSON (text/plain, no type). */
SK_API int sk_json_like(const unsigned char *p, size_t n);
/* What a declared charset name (a Content-Type or XML declaration, an
 * RFC 2231 prefix) means to a reader. Names are compared as Python's
 * codecs.lookup compares them (case, spaces and punctuation runs ignored:
 * "UTF_7", "utf 7", "utf-7 " are one name) against its aliases, and any
 * EBCDIC page glibc knows is taken by number ("cp1026", "ibm-037",
 * "csibm500", "037"). */
enum sk_cs_kind {
    SK_CS_NONE = 0, /* ASCII's digits as bytes, no other: read the bytes (or sniff) */
    SK_CS_UTF8,     /* UTF-8 by one of its names */
    SK_CS_WIDE,     /* UTF-16/32, Japanese multi-byte: converted to read */
    SK_CS_HIDES,    /* EBCDIC, UTF-7, HZ, and any name iconv opens that writes
                     * a decimal digit other than as ASCII's bytes (Big5, GBK,
                     * EUC-KR, TIS-620, CP864...): read in it too */
};
/* The zero of each run of ten Unicode decimal digits (Nd) but ASCII's:
 * SK_ND_NZERO code points (U+FF10, the full-width digits, among them). */
#define SK_ND_NZERO 65
SK_API const uint32_t *sk_nd_zeros(void);
/* The kind of DECLARED (NULL: SK_CS_NONE) and, in NAME (SIZE bytes; may be
 * NULL), the name iconv opens ("HZ" for HZ-GB-2312, which iconv does not
 * know: the caller unwraps it to GB2312); "" for SK_CS_NONE. */
SK_API enum sk_cs_kind sk_charset_lookup(const char *declared, char *name, size_t size);
/* iconv_open("UTF-8", FROM), for every converter the server and modules
 * open per transaction. The first time a name opens in a process, one more
 * descriptor of it is kept open for the life of the process: glibc unloads
 * a conversion module (dlclose, and a TLB flush on every core) once its
 * last descriptor is closed and other modules were released twice, and
 * loads it again (dlopen) at the next open. Readings that open EUC-JP,
 * Shift_JIS, ISO-2022-JP... in turn for every object paid that per
 * request: the no-body REQMOD with a DLP keyword template (every URL is
 * read) cost 2.5x the CPU. At most 64 names are kept; thread-safe. Close
 * with sk_iconv_close (or iconv_close). */
SK_API iconv_t sk_iconv_open(const char *from);
/* Close CD, opened by sk_iconv_open(FROM): the thread keeps a few open
 * for its next sk_iconv_open of that name, which gets one reset to the
 * initial state. FROM NULL, or (iconv_t)-1: as iconv_close. */
SK_API void sk_iconv_close(const char *from, iconv_t cd);
/* Is that encoding UTF-16: 0 no, 1 little-endian, 2 big-endian (for
 * readers that take code units themselves, sk_b64run_utf16). */
SK_API int sk_charset_utf16(const unsigned char *s, size_t n);
/* UTF-16 text P[0..N) (BE != 0: big-endian; a BOM first is dropped) as
 * UTF-8 into OUT, which has room for N / 2 * 3 + 4 bytes: surrogate pairs
 * joined, a lone surrogate U+FFFD, an odd last byte dropped. Returns the
 * length written. */
SK_API size_t sk_utf16_to_utf8(const unsigned char *p, size_t n, int be, unsigned char *out);
/* The same for UTF-32 (OUT has room for N bytes + 4): a BOM first dropped,
 * a surrogate or a unit past U+10FFFF U+FFFD, a last partial unit dropped. */
SK_API size_t sk_utf32_to_utf8(const unsigned char *p, size_t n, int be, unsigned char *out);
/* Text with its escapes undone, the kinds KINDS says: SK_UNESC_PCT %XX
 * (a byte) and %uHHHH (a character: JavaScript's escape()), SK_UNESC_REF
 * HTML character references (sk_html_charref),
 * SK_UNESC_BSL a script's or JSON's backslash escapes (\uHHHH with
 * surrogate pairs, \u{H}, \xHH, octal, \n \r \t \b \f \v, a line
 * continued, any other character as itself); characters as UTF-8. An
 * escape never grows, so OUT may be S (in place) and needs at most N
 * bytes. Unless FINAL it stops before what may be an escape cut off at
 * the end (at most 48 bytes, which the caller passes again with more);
 * *USED gets the bytes taken. Returns the length written. One pass: what
 * an escape yields is not read again (%2526 is "%26"). */
#define SK_UNESC_PCT  1u
#define SK_UNESC_REF  2u
#define SK_UNESC_BSL  4u
#define SK_UNESC_PLUS 8u /* a form field: '+' is a space */
#define SK_UNESC_HOLD 48 /* the longest escape it waits for */
/* The escape at S[0] ('%', '&', '\\' or '+', of KINDS): 0 when it is none (S[0]
 * stands for itself), -1 when the bytes so far may still begin one (only
 * unless FINAL), else the bytes it takes, with its code point in *CP
 * (UINT32_MAX: nothing, a line continued; *BYTE set: a %XX escape is one
 * byte, not a character). */
SK_API long sk_unescape_at(const unsigned char *s, size_t n, int final, unsigned kinds,
                           uint32_t *cp, int *byte);
SK_API size_t sk_unescape(const unsigned char *s, size_t n, int final, unsigned kinds,
                          unsigned char *out, size_t *used);
/* An RFC 2047 encoded word at S[0..N) (N at most SK_MIME_WORD_MAX):
 * "=?charset?B?base64?=" or "=?charset?Q?text?=" ('_' a space, =XX a byte),
 * no white space inside. Returns its length and its bytes in OUT (room for
 * 2 * N bytes) and *OLEN: as they are, but a UTF-16 charset's as UTF-8
 * (the caller reads ASCII-compatible charsets as text); 0 when S does not
 * start one. Python's email.header and mail readers decode these in a
 * message's header fields. */
#define SK_MIME_WORD_MAX 256
SK_API size_t sk_mime_word(const unsigned char *s, size_t n, unsigned char *out, size_t *olen);
/* Decode the HTML character references (sk_html_charref) in P[0..N) in
 * place, as a browser does in an attribute; a reference never grows, so
 * the text only shrinks. Returns the new length. */
SK_API size_t sk_html_unref(unsigned char *p, size_t n);

#ifdef __cplusplus
}
#endif
#endif

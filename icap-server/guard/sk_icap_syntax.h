/* sk_icap_syntax.h - strict parsers for the ICAP request syntax c-icap 0.5.10
 * parses loosely; shared by sk_cicap_fix.so (before c-icap parses) and the
 * sekisho_guard access controller (after), so both refuse the same inputs.
 * Trust boundary: every byte given to these functions comes from an ICAP client. */
#ifndef SK_ICAP_SYNTAX_H
#define SK_ICAP_SYNTAX_H

/* RFC 3507 4.4.1: at most req-hdr, res-hdr and one body entity. */
#define SK_ENCAPS_MAX 3
/* Largest Encapsulated offset accepted: the encapsulated HTTP header blocks
 * together (c-icap allocates their size up front). */
#define SK_ENCAPS_MAX_OFFSET (256 * 1024)
/* Largest chunk size accepted (c-icap keeps it in an int and adds 2). */
#define SK_CHUNK_MAX (1L << 30)
/* Longest chunk-size line (digits and extensions) accepted. */
#define SK_CHUNK_LINE_MAX 4096

/* Entity types, in the order RFC 3507 requires them. */
enum sk_encaps_type {
    SK_ENC_REQ_HDR,
    SK_ENC_RES_HDR,
    SK_ENC_REQ_BODY,
    SK_ENC_RES_BODY,
    SK_ENC_NULL_BODY,
};

struct sk_encaps {
    int n;
    enum sk_encaps_type type[SK_ENCAPS_MAX];
    long off[SK_ENCAPS_MAX];
};

/* Parses the value of an Encapsulated header (the text after the colon,
 * NUL-terminated). Accepted: [ws] name "=" 1*9DIGIT *( [ws] "," [ws] name
 * "=" 1*9DIGIT ) [ws], ws being SP, HT, CR, LF (folded lines); names exactly
 * as c-icap's get_encaps_type() compares them; offsets strictly increasing,
 * the first 0, none above SK_ENCAPS_MAX_OFFSET; header entities first
 * (req-hdr before res-hdr, each once), at most one body entity and last.
 * Anything else - a name without "=" and digits (c-icap then reads past the
 * end of the line), signs, spaces inside a number, unknown names, more than
 * SK_ENCAPS_MAX entities - is refused. Returns 0 or -1; *why a static reason. */
int sk_encaps_parse(const char *value, struct sk_encaps *out, const char **why);

enum sk_hdr_check {
    SK_HDR_OK = 0,
    SK_HDR_BAD = -1,         /* answer 400 */
    SK_HDR_PREVIEW_BIG = -2, /* Preview above the configured maximum: 400 */
};

/* Checks the ICAP request header lines as c-icap's ci_headers_unpack()
 * split them (lines[0] the request line, each NUL-terminated, folded lines
 * kept inside their header). Every other line must be "token:" value; the
 * Encapsulated and Preview headers are matched case-insensitively, must
 * appear at most once each and parse strictly; Preview is 1*9DIGIT and at
 * most max_preview (< 0: no maximum). Returns an enum sk_hdr_check value;
 * *why a static reason. */
int sk_icap_headers_check(char *const *lines, int n, long max_preview, const char **why);

/* Parses a chunk-size line at p (len bytes available). Accepted exactly:
 * 1*16HEXDIG CRLF for a data chunk, and for the last chunk "0" optionally
 * followed by "; ieof" (SP/HT allowed around ";" and after) before CRLF;
 * the size at most SK_CHUNK_MAX. Everything strtol(..., 16) would read
 * differently (leading space, sign, "0x", trailing junk) is refused.
 * Returns the line length including CRLF with *size set, 0 when the line
 * is incomplete (and still acceptable so far), -1 when refused. */
long sk_chunk_line(const char *p, long len, long *size);

#endif

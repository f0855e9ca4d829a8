/* sk_mp_internal.h - the multipart reader's state, shared by its files:
 * sk_multipart.c (delimiters, part bodies and their transfer encodings,
 * objects, mbox bodies) and sk_mp_header.c (a header section: the fields a
 * part is read by, its text object). Not installed; not part of the API.
 */
#ifndef SK_MP_INTERNAL_H
#define SK_MP_INTERNAL_H

#include <stddef.h>

#include "sekisho/decode.h"

#define SK_MP_HDRS  8192
#define SK_MP_DELIM (SK_MP_BOUNDARY_MAX + 3) /* "\n--" boundary */
#define SK_MP_AFTER 64                       /* padding after a delimiter */

enum sk_mp_state { SK_MPS_BODY, SK_MPS_AFTER, SK_MPS_HEADERS };
enum sk_mp_cte { SK_CTE_NONE, SK_CTE_B64, SK_CTE_QP, SK_CTE_UU };

struct sk_mp {
    struct sk_mp_handler h;
    int depth;
    enum sk_mp_state state;
    unsigned char delim[SK_MP_DELIM];
    size_t dlen;
    unsigned char hold[SK_MP_DELIM + 2]; /* a possible delimiter start ("\r\n--Bou") */
    size_t hlen;
    unsigned char after[SK_MP_AFTER];
    size_t nafter;
    char hdrs[SK_MP_HDRS + 1];
    size_t nh;
    int had_cr; /* the delimiter found had a '\r' before its '\n' */
    /* mail (a message and the multiparts in it): a bare CR is a line end,
     * so "\r--boundary" is a delimiter too (email.feedparser splits lines
     * at CRLF, CR and LF); form-data is HTTP's, whose readers know CRLF
     * and LF only */
    int mail;
    int dcr; /* the delimiter found is "\r--boundary" */
    /* an HTTP body's multipart (sk_mp_new, any subtype; children inherit
     * it), not a mail message's: an encoded part's raw bytes are a reading
     * of their own (sk_mp_part.encoded) */
    int form;
    int closed; /* close delimiter seen: the rest is epilogue */
    int open;   /* an object is open at this level (begin called) */
    unsigned parts;
    /* a message (sk_mp_new_message): one part, no delimiter; its header
     * section is read by sk_mp_msg_headers */
    int message;
    /* an mbox (sk_mp_new_mbox): a line that starts "From " begins the next
     * message, as Python's mailbox.mbox reads one */
    int mbox;
    int bol;             /* the next body byte starts a line */
    unsigned char fh[5]; /* "From " read so far at a line start */
    size_t nfh;
    unsigned hlines; /* lines of the header section so far */
    int digest;      /* multipart/digest: a part without a Content-Type is message/rfc822 */
    size_t llen;     /* bytes of the current physical header line */
    int lcr;         /* that line began with '\r' */
    int keep;        /* the current header field is kept */
    int named;       /* ... and its name was read */
    size_t fstart;   /* where that field starts in hdrs */
    unsigned seen;   /* which of the fields read were kept (bits) */
    int cut;         /* a kept field was longer than SK_MP_FIELD */
    int amb;         /* an RFC 2231 parameter past what is read (sk_mp_hext), or a
                      * second Content-Transfer-Encoding in an HTTP body's part */
    /* ... and the header section as a text object of its own: unfolded,
     * RFC 2047 encoded words decoded (sk_mp_htext) */
    unsigned char lpre[SK_MP_DELIM + SK_MP_AFTER]; /* a header line's first bytes */
    size_t nlpre;
    int lfield;     /* the header line is a field (or a continuation) */
    int hcr;        /* a CR waits for the byte after it */
    int hnl;        /* a line end held (a fold if white space follows) */
    int after_word; /* an encoded word was the last thing written */
    unsigned char word[SK_MIME_WORD_MAX], ws[64], hout[512];
    size_t nword, nws, nhout;
    /* the open part */
    enum sk_mp_cte cte;
    unsigned b64_acc, b64_n, b64_pads;
    unsigned char qp[3];
    size_t nqp;
    int qp_skip;             /* in a soft line break, after its "=\r" */
    int uu;                  /* x-uuencode: 0 before "begin", 1 in the lines, 2 after "end" */
    int uu_cr;               /* the last byte was a CR */
    unsigned char uline[96]; /* the current line's first bytes */
    size_t nuline;
    struct sk_mp *child;
    char ctype[512], fname[256];
};

/* sk_multipart.c */
int sk_mp_part_data(struct sk_mp *m, const unsigned char *p, size_t n, int final);
int sk_mp_close(struct sk_mp *m);
int sk_mp_open_plain(struct sk_mp *m, enum sk_mp_kind kind, int malformed);
int sk_mp_open_part(struct sk_mp *m);
int sk_mp_mbox_next(struct sk_mp *m);

/* sk_mp_header.c */
int sk_mp_header(const char *hdrs, const char *name, char *out, size_t size);
void sk_mp_hdr_reset(struct sk_mp *m);
int sk_mp_hdr_byte(struct sk_mp *m, unsigned char c);
int sk_mp_htext_end(struct sk_mp *m);
long sk_mp_msg_headers(struct sk_mp *m, const unsigned char *p, size_t n);

#endif

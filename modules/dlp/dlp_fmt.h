/* dlp_fmt.h - the frame DLP's streaming text extractors share
 * (dlp_formats.c: urlencoded, JSON; dlp_xml.c: XML and HTML;
 * dlp_dirtext.c: iCalendar and vCard): a small output buffer in front of
 * the next sink, and the character-reference reader of JSON strings and
 * markup text. Internal to dlp. */
#ifndef SK_DLP_FMT_H
#define SK_DLP_FMT_H

#include "dlp.h"

#define SK_FOUT 4096

/* Common part: a small output buffer in front of NEXT. A reader's own
 * struct starts with it. */
/* A text node's edges (the XML reader's): its first and its last
 * SK_FNODE bytes as written, kept while TAP is set. */
#define SK_FNODE 64
struct sk_fnode {
    unsigned char head[SK_FNODE], tail[SK_FNODE];
    size_t n; /* bytes of the node written so far */
};

struct sk_fmt {
    struct sk_dlp_sink sink;
    struct sk_dlp_sink *next;
    unsigned char out[SK_FOUT];
    size_t nout;
    int err;
    struct sk_fnode *tap;
};

static inline void sk_fmt_flush(struct sk_fmt *f)
{
    if (f->nout && sk_dlp_put(f->next, f->out, f->nout) == -1)
        f->err = 1;
    f->nout = 0;
}

static inline void sk_fmt_byte(struct sk_fmt *f, unsigned char c)
{
    if (f->nout == SK_FOUT)
        sk_fmt_flush(f);
    f->out[f->nout++] = c;
    if (f->tap) {
        struct sk_fnode *t = f->tap;
        if (t->n < SK_FNODE)
            t->head[t->n] = c;
        t->tail[t->n++ % SK_FNODE] = c;
    }
}

/* A reader of SIZE bytes (zeroed) writing through WR to NEXT; its end
 * flushes and ends NEXT, its destroy destroys NEXT. NULL (NEXT destroyed)
 * when out of memory. */
struct sk_fmt *sk_fmt_new(size_t size, struct sk_dlp_sink *next,
                          int (*wr)(struct sk_dlp_sink *, const unsigned char *, size_t));
/* The frame's end: flush, then NEXT's end (-1 if either failed). */
int sk_fmt_end(struct sk_dlp_sink *s);
/* Destroys NEXT, then the frame. */
void sk_fmt_destroy(struct sk_dlp_sink *s);
/* Code point CP written as UTF-8. */
void sk_fmt_utf8(struct sk_fmt *f, uint32_t cp);

/* A character reference being read after its '&', the same way in JSON
 * strings and in XML/HTML text: a '#', an 'x' and digits of its base (a
 * number ends at its first other byte), or letters and digits (a name), up
 * to a ';' (taken) or any other byte (not taken: text after the
 * reference). Leading zeros of a number are not kept ("&#00000052;" is
 * "&#52;"), nor are the digits of a number already too large (U+FFFD
 * however long); a name longer than any HTML name ends the reference
 * where the buffer does. */
struct sk_ref {
    int on, lead0, huge;
    char b[40]; /* the longest HTML name is 32 bytes with its ';' */
    size_t n;
};

/* The reference in R written as a browser renders it in text (SEMI: a ';'
 * ended it); see dlp_formats.c. */
void sk_fmt_ref(struct sk_fmt *f, struct sk_ref *r, int semi);
/* Character C (0x100: one beyond ASCII) of a text that may hold
 * references: taken (1) - it began, continued or ended one with its ';'
 * - or not (0: the caller writes it; a reference in R ended before it). */
int sk_ref_take(struct sk_fmt *f, struct sk_ref *r, unsigned c);

#endif

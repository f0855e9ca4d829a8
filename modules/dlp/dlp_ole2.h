/* dlp_ole2.h - the text of legacy Office streams (dlp_ole2_doc.c: Word's
 * piece table and PowerPoint's text atoms; dlp_ole2_xls.c: Excel BIFF8
 * cells), for dlp_ole2.c. Not installed.
 * SECURITY: the streams are client-controlled; every offset and count is
 * checked against the stream it points into; no recursion. */
#ifndef SK_DLP_OLE2_H
#define SK_DLP_OLE2_H

#include <stddef.h>
#include <stdint.h>

enum sk_ofmt_rc {
    SK_OFMT_OK = 0,
    SK_OFMT_ENCRYPTED, /* the format's own encryption (FIB fEncrypted, FILEPASS) */
    SK_OFMT_BROKEN,    /* a structure that cannot be read: WHY says which */
    SK_OFMT_FAIL       /* the emitter failed (out of memory) */
};

/* UTF-8 text out, in pieces of at most SK_OTXT_BUF bytes. */
#define SK_OTXT_BUF 4096
struct sk_otxt {
    int (*emit)(void *arg, const char *p, size_t n);
    void *arg;
    char buf[SK_OTXT_BUF];
    size_t n;
    int failed;
    uint64_t chars; /* code points put */
};

/* One code point (0 is dropped: terminators and padding are no text). */
void sk_otxt_put(struct sk_otxt *t, uint32_t cp);
/* N bytes of cp1252 (Word's compressed pieces, 8-bit strings). */
void sk_otxt_cp1252(struct sk_otxt *t, const unsigned char *p, size_t n);
/* N bytes of UTF-8, as they are (NUL bytes dropped). */
void sk_otxt_utf8(struct sk_otxt *t, const unsigned char *p, size_t n);
/* N code units of UTF-16LE (surrogate pairs joined). */
void sk_otxt_utf16(struct sk_otxt *t, const unsigned char *p, size_t units);
void sk_otxt_flush(struct sk_otxt *t);

/* Word 97-2003: WD (the WordDocument stream), T0 and T1 (0Table and
 * 1Table, either may be NULL): the text in piece-table order (the CLX the
 * FIB's fcClx/lcbClx name in the table stream fWhichTblStm chooses),
 * compressed (cp1252 at fc/2) and UTF-16 pieces, field codes left out of
 * the text and put on lines of their own after it. */
enum sk_ofmt_rc sk_ofmt_doc(const unsigned char *wd, size_t wn, const unsigned char *t0, size_t n0,
                            const unsigned char *t1, size_t n1, struct sk_otxt *out,
                            const char **why);
/* PowerPoint: every TextCharsAtom (UTF-16), TextBytesAtom and CString of
 * the "PowerPoint Document" stream, one line each. */
enum sk_ofmt_rc sk_ofmt_ppt(const unsigned char *p, size_t n, struct sk_otxt *out,
                            const char **why);
/* Excel BIFF8 (the Workbook stream): the shared strings (SST over its
 * CONTINUE records, each restarting with a flag byte), LABEL and formula
 * STRING results, and NUMBER, RK, MULRK and formula numbers as the digits
 * Excel shows for integral values; one cell a line. A FILEPASS record is
 * SK_OFMT_ENCRYPTED. */
enum sk_ofmt_rc sk_ofmt_xls(const unsigned char *p, size_t n, struct sk_otxt *out,
                            const char **why);
/* A property set stream (MS-OLEPS: "\005SummaryInformation",
 * "\005DocumentSummaryInformation": title, subject, author, keywords,
 * comments, company...): its string values, one a line, 8-bit ones in the
 * set's code page. */
enum sk_ofmt_rc sk_ofmt_props(const unsigned char *p, size_t n, struct sk_otxt *out,
                              const char **why);

#endif

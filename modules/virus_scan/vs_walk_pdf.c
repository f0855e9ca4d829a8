/* vs_walk_pdf.c - the streams of a PDF that libclamav leaves encoded,
 * decoded by the core PDF reader (sekisho/pdf.h) and scanned as objects
 * of their own. libclamav 1.4 inflates a PDF's FlateDecode streams (and
 * decrypts a document with the empty user password) but applies no
 * /DecodeParms predictor, decodes no LZW, skips a /Crypt stage and
 * raw deflate: EICAR in a Flate + PNG-predictor stream passed as clean
 * (measured with clamscan 1.4.6: README.md, "PDF"). A reader runs
 * JavaScript from any such stream whatever its /Type, so none is exempt:
 * every stream sk_pdf_predicted names is decoded and, when its decoding
 * took what libclamav does not do, scanned; so is a stream holding a PDF
 * (an attachment: libclamav reads it with the same blind spots). Strings
 * not as written (encrypted, escaped, hex) are decoded and scanned as one
 * object (libclamav scans them as written: ciphertext, escapes).
 * SECURITY: the document is client-controlled. Decoded bytes count
 * against av.max-scan-size (w->budget); the first SK_VS_PDF_EACH streams
 * are objects of their own (hash signatures see each), later ones are
 * scanned joined in one object, so 100,000 tiny streams cost a bounded
 * number of scans; nesting by SK_VS_WALK_DEPTH. A stream that cannot be
 * decoded is av.on-error, a document the empty password does not open
 * av.on-encrypted, a limit av.on-limit: never passed unread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sekisho/pdf.h>

#include "vs_internal.h"

#define SK_VS_PDF_EACH    32      /* streams scanned each as an object */
#define SK_VS_PDF_OBJECTS 1000000 /* objects of one document indexed */

/* Streams after the first SK_VS_PDF_EACH, joined (one line end apart). */
struct sk_vs_pdf_join {
    unsigned char *p;
    size_t n, cap;
};

static int sk_vs_pdf_join(struct sk_vs_walk *w, struct sk_vs_pdf_join *j, const unsigned char *p,
                          size_t n)
{
    if (j->cap - j->n < n + 1) {
        size_t cap = j->cap ? j->cap : 65536;
        unsigned char *q;
        while (cap - j->n < n + 1)
            cap *= 2;
        q = realloc(j->p, cap);
        if (!q) {
            sk_vs_walk_stop(w, SK_VS_ERROR, "", "out of memory joining a PDF's streams");
            return -1;
        }
        j->p = q;
        j->cap = cap;
    }
    memcpy(j->p + j->n, p, n);
    j->n += n;
    j->p[j->n++] = '\n';
    return 0;
}

/* The stop for what sk_pdf_stream returned for object NUM. */
static int sk_vs_pdf_fail(struct sk_vs_walk *w, enum sk_pdf_rc rc, unsigned num)
{
    char why[192];

    switch (rc) {
    case SK_PDF_LIMIT:
        snprintf(why, sizeof(why),
                 "a PDF stream (object %u) decodes beyond av.max-scan-size (%llu bytes)", num,
                 (unsigned long long)w->max_size);
        sk_vs_walk_stop(w, SK_VS_LIMIT, "av-limit:max-scan-size", why);
        break;
    case SK_PDF_ENCRYPTED:
        snprintf(why, sizeof(why),
                 "a PDF stream (object %u) encrypted by a handler or crypt filter we cannot open",
                 num);
        sk_vs_walk_stop(w, SK_VS_ENCRYPTED, "Sekisho.Encrypted.PDF", why);
        break;
    case SK_PDF_NOMEM:
        sk_vs_walk_stop(w, SK_VS_ERROR, "", "out of memory decoding a PDF stream");
        break;
    default:
        snprintf(why, sizeof(why),
                 "a PDF stream (object %u) that cannot be decoded (an unknown filter, a bad "
                 "predictor or LZW code)",
                 num);
        sk_vs_walk_stop(w, SK_VS_ERROR, "av-error", why);
        break;
    }
    return -1;
}

/* One decoded stream OUT[0..N): counted, then scanned or joined. */
static int sk_vs_pdf_scan(struct sk_vs_walk *w, struct sk_vs_pdf_join *j, unsigned *each,
                          const unsigned char *out, size_t n, int depth, const char *name)
{
    char why[160];

    if (n > w->budget) {
        snprintf(why, sizeof(why), "decoded PDF streams exceed av.max-scan-size (%llu bytes)",
                 (unsigned long long)w->max_size);
        sk_vs_walk_stop(w, SK_VS_LIMIT, "av-limit:max-scan-size", why);
        return -1;
    }
    w->budget -= n;
    if (*each < SK_VS_PDF_EACH) {
        ++*each;
        return sk_vs_walk_object(w, out, n, depth + 1, NULL, name);
    }
    return sk_vs_pdf_join(w, j, out, n);
}

static int sk_vs_pdf_is(const unsigned char *p, size_t n)
{
    return n >= 5 && memmem(p, n < 1024 ? n : 1024, "%PDF-", 5) != NULL;
}

/* A stream libclamav decodes that holds a PDF (an attachment): libclamav
 * reads that PDF with the same blind spots, and never hands it to our
 * walk (documents are not engine-only containers), so it is walked here.
 * Its first 1 KiB tells (sk_pdf_stream_head: not decoded whole). */
static int sk_vs_pdf_nested(struct sk_pdf *d, const struct sk_pdf_obj *o)
{
    unsigned char *h = NULL;
    size_t hn = 0;
    int is = sk_pdf_stream_head(d, o, &h, &hn, 1024) == SK_PDF_OK && sk_vs_pdf_is(h, hn);

    free(h);
    return is;
}

/* A PDF's strings as a reader has them (sk_pdf_string: escapes undone,
 * decrypted) are joined here: libclamav 1.4 scans strings as written - a
 * /JS string of a document encrypted with the empty password (qpdf's RC4
 * and AES, R2-R6) passed as clean, and so did one whose signature bytes
 * are written with an octal escape ("\067" for "7") in a plain document
 * (measured with clamscan; qpdf reads both). Only the strings whose bytes
 * differ from what is written are taken: encrypted ones, and those with
 * a backslash or in hex (those libclamav decodes itself: also taken). */
struct sk_vs_pdf_strs {
    struct sk_vs_walk *w;
    struct sk_pdf *d;
    const struct sk_pdf_obj *o;
    int enc; /* the strings of O are decrypted */
    struct sk_vs_pdf_join j;
};

static int sk_vs_pdf_str(void *arg, const unsigned char *s, size_t sn)
{
    struct sk_vs_pdf_strs *x = arg;
    unsigned char *c = NULL;
    size_t cn = 0;
    int r = 0;
    enum sk_pdf_rc rc;

    if (!x->enc && s[0] == '(' && !memchr(s, '\\', sn))
        return 0; /* as written: libclamav reads it in the document's bytes */
    rc = sk_pdf_string(x->d, x->o, s, sn, &c, &cn);
    if (rc == SK_PDF_NOMEM || rc == SK_PDF_ENCRYPTED) {
        r = sk_vs_pdf_fail(x->w, rc, x->o->num);
    } else if (rc == SK_PDF_OK && cn > 0) { /* a cut AES block: nothing, as readers */
        if (cn > x->w->budget) {
            r = sk_vs_pdf_fail(x->w, SK_PDF_LIMIT, x->o->num);
        } else {
            x->w->budget -= cn;
            r = sk_vs_pdf_join(x->w, &x->j, c, cn);
        }
    }
    free(c);
    return r;
}

/* The strings of every object of D (those of object streams too: their
 * escapes are as written in the decoded stream libclamav reads) that are
 * not as written, scanned as one object. */
static int sk_vs_pdf_strings(struct sk_vs_walk *w, struct sk_pdf *d, int depth, const char *name)
{
    struct sk_vs_pdf_strs x = {.w = w, .d = d};
    size_t i;
    int r = 0;

    for (i = 0; r == 0 && i < sk_pdf_count(d); i++) {
        x.o = sk_pdf_at(d, i);
        x.enc = sk_pdf_encrypted(d) == 1 && !x.o->in_objstm;
        r = sk_pdf_each_string(x.o->dict, x.o->dict_len, sk_vs_pdf_str, &x);
    }
    if (r == 0 && x.j.n > 0) {
        if (depth + 1 >= SK_VS_WALK_DEPTH)
            r = sk_vs_walk_deep(w, "the strings of a PDF", depth + 1);
        else
            r = sk_vs_walk_object(w, x.j.p, x.j.n, depth + 1, NULL, name);
    }
    free(x.j.p);
    return r;
}

int sk_vs_walk_pdf(struct sk_vs_walk *w, const unsigned char *p, size_t n, int depth,
                   const char *name)
{
    uint64_t room = w->budget < UINT64_MAX ? w->budget + 1 : w->budget; /* over it: LIMIT */
    struct sk_pdf_limits lim = {SK_VS_PDF_OBJECTS, room, room};
    struct sk_vs_pdf_join j = {0};
    struct sk_pdf *d = NULL;
    enum sk_pdf_rc rc;
    unsigned each = 0;
    size_t i;
    int r = 0;
    char why[160];

    if (!w->av || !sk_vs_pdf_is(p, n))
        return 0;
    rc = sk_pdf_open(p, n, &lim, &d);
    if (rc == SK_PDF_NOT_PDF)
        return 0;
    if (rc == SK_PDF_LIMIT) {
        snprintf(why, sizeof(why),
                 "a PDF of more than %u objects, or object streams beyond "
                 "av.max-scan-size",
                 SK_VS_PDF_OBJECTS);
        sk_vs_walk_stop(w, SK_VS_LIMIT, "av-limit:max-files", why);
        sk_pdf_free(d);
        return -1;
    }
    if (rc != SK_PDF_OK)
        return sk_vs_pdf_fail(w, rc, 0);
    if (sk_pdf_encrypted(d) < 0) {
        sk_vs_walk_stop(w, SK_VS_ENCRYPTED, "Sekisho.Encrypted.PDF",
                        "a PDF encrypted with a user password (not the empty one) or an "
                        "unknown security handler");
        sk_pdf_free(d);
        return -1;
    }
    for (i = 0; r == 0 && i < sk_pdf_count(d); i++) {
        const struct sk_pdf_obj *o = sk_pdf_at(d, i);
        unsigned char *out = NULL;
        size_t on = 0;
        int predicted = 0;

        if (!o->stream)
            continue;
        if (!sk_pdf_predicted(d, o) && !sk_vs_pdf_nested(d, o))
            continue; /* libclamav decodes and reads it itself */
        if (depth + 1 >= SK_VS_WALK_DEPTH) {
            r = sk_vs_walk_deep(w, "a PDF stream libclamav does not decode", depth + 1);
            break;
        }
        rc = sk_pdf_stream(d, o, &out, &on, &predicted);
        if (rc != SK_PDF_OK)
            r = sk_vs_pdf_fail(w, rc, o->num);
        else if (predicted || sk_vs_pdf_is(out, on))
            r = sk_vs_pdf_scan(w, &j, &each, out, on, depth, name);
        free(out);
    }
    if (r == 0 && j.n > 0)
        r = sk_vs_walk_object(w, j.p, j.n, depth + 1, NULL, name);
    if (r == 0)
        r = sk_vs_pdf_strings(w, d, depth, name);
    free(j.p);
    sk_pdf_free(d);
    return r;
}

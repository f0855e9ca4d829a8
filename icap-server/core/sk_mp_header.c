/* sk_mp_header.c - one header section of a multipart part or a mail
 * message, read a byte at a time: the fields a part is read by are kept
 * (the first Content-Type, Content-Transfer-Encoding and
 * Content-Disposition, SK_MP_FIELD bytes each; every other line dropped),
 * and the section is delivered as a text object of its own (unfolded, RFC
 * 2047 encoded words decoded, RFC 2231 file names added as lines). A line
 * that is no field ends the section as email.feedparser ends it.
 * SECURITY: parses client-controlled bytes; fixed memory (struct sk_mp).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sekisho/text.h"
#include "sk_mp_internal.h"

/* Value of header NAME in the collected part headers (folded lines
 * joined), into OUT; 0 or -1. */
int sk_mp_header(const char *hdrs, const char *name, char *out, size_t size)
{
    size_t nl = strlen(name), o = 0;

    for (const char *l = hdrs; *l;) {
        size_t len = strcspn(l, "\n");
        if (len > nl && strncasecmp(l, name, nl) == 0 && l[nl] == ':') {
            const char *v = l + nl + 1;
            for (;;) {
                for (size_t i = 0; v + i < l + len; i++)
                    if (v[i] != '\r' && o + 1 < size)
                        out[o++] = v[i];
                l += len + (l[len] == '\n');
                if (*l != ' ' && *l != '\t')
                    break; /* continuation lines start with white space */
                v = l;
                len = strcspn(l, "\n");
            }
            while (o && (out[o - 1] == ' ' || out[o - 1] == '\t'))
                o--;
            size_t s = 0;
            while (s < o && (out[s] == ' ' || out[s] == '\t'))
                s++;
            memmove(out, out + s, o - s);
            out[o - s] = '\0';
            return 0;
        }
        l += len + (l[len] == '\n');
    }
    return -1;
}

/* The fields a part is read by: only the first of each counts, as
 * email.message.get() and mail readers take it. */
static const char *const sk_mp_fields[] = {
    "content-type:", "content-transfer-encoding:", "content-disposition:"};
#define SK_MP_FIELD 1024 /* a kept field's bytes (its continuations too) */

/* The name of the field at hdrs[fstart..nh) ended (':', a line end, or
 * longer than any name read): keep the field or drop its bytes. */
static void sk_mp_msg_decide(struct sk_mp *m)
{
    size_t len = m->nh - m->fstart;

    m->keep = 0;
    m->named = 1;
    for (unsigned f = 0; f < sizeof(sk_mp_fields) / sizeof(*sk_mp_fields); f++) {
        if (len != strlen(sk_mp_fields[f]) ||
            strncasecmp(m->hdrs + m->fstart, sk_mp_fields[f], len) != 0)
            continue;
        if (!(m->seen & 1u << f)) {
            m->seen |= 1u << f;
            m->keep = 1;
        } else if (f == 1 && m->form) {
            /* a second Content-Transfer-Encoding in an HTTP body's part:
             * email takes the first, python-multipart the last (a dict):
             * readers decode the part differently */
            m->amb = 1;
        }
    }
    if (!m->keep)
        m->nh = m->fstart; /* dropped: the caller reads the raw bytes */
}

/* The header text's output, in pieces of sizeof(hout): the object is
 * opened (a preamble at depth 0) by the first byte. */
static int sk_mp_hflush(struct sk_mp *m)
{
    size_t n = m->nhout;

    m->nhout = 0;
    if (n == 0)
        return 0;
    if (!m->open && sk_mp_open_plain(m, SK_MP_PREAMBLE, 0) == -1)
        return -1;
    return m->h.data(m->h.arg, m->hout, n);
}

static int sk_mp_hput(struct sk_mp *m, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (m->nhout == sizeof(m->hout) && sk_mp_hflush(m) == -1)
            return -1;
        m->hout[m->nhout++] = p[i];
    }
    return 0;
}

/* What was held as it is: the white space after an encoded word, then the
 * bytes of one that turned out none. */
static int sk_mp_hraw(struct sk_mp *m)
{
    int rc = sk_mp_hput(m, m->ws, m->nws) == -1 || sk_mp_hput(m, m->word, m->nword) == -1;

    m->nws = m->nword = 0;
    m->after_word = 0;
    return rc ? -1 : 0;
}

/* One unfolded header byte: encoded words ("=?utf-8?Q?4111_1111?=")
 * decoded, the white space between two of them dropped (RFC 2047 6.2, as
 * Python's email reads them). */
static int sk_mp_hword(struct sk_mp *m, unsigned char c)
{
    if (m->nword) {
        int ok = m->nword == 1 ? c == '?' : c > ' ' && c < 127;
        if (ok && m->nword < sizeof(m->word)) {
            m->word[m->nword++] = c;
            unsigned char out[2 * SK_MIME_WORD_MAX];
            size_t olen;
            if (c != '=' || m->word[m->nword - 2] != '?' ||
                sk_mime_word(m->word, m->nword, out, &olen) != m->nword)
                return 0;
            m->nword = 0;
            if (!m->after_word && sk_mp_hput(m, m->ws, m->nws) == -1)
                return -1;
            m->nws = 0;
            m->after_word = 1;
            return sk_mp_hput(m, out, olen);
        }
        if (sk_mp_hraw(m) == -1)
            return -1; /* not a word: C starts over */
    }
    if (c == '=') {
        m->word[m->nword++] = c;
        return 0;
    }
    if ((c == ' ' || c == '\t') && m->after_word && m->nws < sizeof(m->ws)) {
        m->ws[m->nws++] = c;
        return 0;
    }
    if (sk_mp_hraw(m) == -1)
        return -1;
    return sk_mp_hput(m, &c, 1);
}

/* One byte of the header section as text: '\r' dropped, a line end
 * followed by white space is a fold (dropped). */
static int sk_mp_htext(struct sk_mp *m, unsigned char c)
{
    if (c == '\r')
        return 0;
    if (m->hnl) {
        m->hnl = 0;
        if (c != ' ' && c != '\t' && sk_mp_hword(m, '\n') == -1)
            return -1;
    }
    if (c == '\n') {
        m->hnl = 1;
        return 0;
    }
    return sk_mp_hword(m, c);
}

/* A file name in RFC 2231 sections (filename*0=, filename*1=) or
 * percent-encoded (filename*=): what a mail reader shows (get_filename) is
 * a line of the header text too, "filename: the name". */
static int sk_mp_hext_line(struct sk_mp *m, const char *param, const char *x)
{
    if (sk_mp_hput(m, (const unsigned char *)"\n", 1) == -1 ||
        sk_mp_hput(m, (const unsigned char *)param, strlen(param)) == -1 ||
        sk_mp_hput(m, (const unsigned char *)": ", 2) == -1)
        return -1;
    /* RFC 2047 words in the value decoded (policy.default does) */
    for (; *x; x++)
        if (sk_mp_hword(m, (unsigned char)*x) == -1)
            return -1;
    return sk_mp_hraw(m) == -1 || sk_mp_hput(m, (const unsigned char *)"\n", 1) == -1 ? -1 : 0;
}

static int sk_mp_hext(struct sk_mp *m)
{
    static const char *const fp[][2] = {{"content-disposition", "filename"},
                                        {"content-type", "name"},
                                        {"content-disposition", "name"}};
    char v[SK_MP_FIELD + 1], x[SK_MP_FIELD + 1], y[SK_MP_FIELD + 1], star[16];

    m->hdrs[m->nh] = '\0';
    for (size_t i = 0; i < sizeof(fp) / sizeof(fp[0]); i++) {
        snprintf(star, sizeof(star), "%s*", fp[i][1]);
        if (sk_mp_header(m->hdrs, fp[i][0], v, sizeof(v)) != 0 || !sk_header_param_named(v, star))
            continue;
        /* both readings when they differ: compat32's (every section) and
         * policy.default's (a run from *0, the first of two) */
        int rc = sk_header_param_2231(v, fp[i][1], SK_2231_ALL, x, sizeof(x));
        if (rc == -2)
            m->amb = 1;
        if (rc != -1 && sk_mp_hext_line(m, fp[i][1], x) == -1)
            return -1;
        if (sk_header_param_2231(v, fp[i][1], SK_2231_RUN, y, sizeof(y)) != -1 && *y &&
            strcmp(x, y) != 0 && sk_mp_hext_line(m, fp[i][1], y) == -1)
            return -1;
    }
    return 0;
}

/* The header section ended (or the input did): its text object too. */
int sk_mp_htext_end(struct sk_mp *m)
{
    if ((m->hnl && sk_mp_hword(m, '\n') == -1) || sk_mp_hraw(m) == -1 || sk_mp_hext(m) == -1 ||
        sk_mp_hflush(m) == -1)
        return -1;
    m->hnl = 0;
    return sk_mp_close(m);
}

/* A header section begins (a message's, or a part's after its
 * delimiter). */
void sk_mp_hdr_reset(struct sk_mp *m)
{
    m->nh = m->llen = m->nlpre = 0;
    m->lfield = m->hcr = 0;
    m->keep = m->named = 0;
    m->fstart = 0;
    m->seen = 0;
    m->cut = m->amb = 0;
    m->hnl = m->after_word = 0;
    m->nword = m->nws = m->nhout = 0;
    m->hlines = 0;
}

/* Is the header line in m->lpre a delimiter ("--boundary", "--" to
 * close, padding)? A part whose header section never ended ends there, as
 * its body would. 0 no, 1 a delimiter, 2 the close delimiter. */
static int sk_mp_hdr_delim(const struct sk_mp *m)
{
    size_t d = m->dlen - 1, i; /* "--boundary" without the "\n" */
    int close;

    if (m->message || m->nlpre < d || memcmp(m->lpre, m->delim + 1, d) != 0)
        return 0;
    close = m->nlpre >= d + 2 && m->lpre[d] == '-' && m->lpre[d + 1] == '-';
    for (i = d + (close ? 2 : 0); i < m->nlpre; i++)
        if (!strchr(" \t\r", m->lpre[i]))
            return 0;
    return m->nlpre < sizeof(m->lpre) ? 1 + close : 0;
}

/* The header line in m->lpre is no field: the section ended before it, and
 * it is the body's first line (email.feedparser). The part opens, the line
 * is read as the body (after a line end, so a delimiter it is is one).
 * Returns 1, or -1. */
static int sk_mp_hdr_nosep(struct sk_mp *m)
{
    unsigned char line[sizeof(m->lpre)];
    size_t n = m->nlpre;

    memcpy(line, m->lpre, n);
    m->nh = m->keep && !m->named ? m->fstart : m->nh; /* the line's bytes were no field */
    m->state = SK_MPS_BODY;
    if (sk_mp_htext_end(m) == -1 || sk_mp_open_part(m) == -1)
        return -1;
    if ((!m->message && sk_mp_write(m, "\n", 1) == -1) || sk_mp_write(m, line, n) == -1)
        return -1;
    return 1;
}

/* One byte C of a header section. Returns 0 to go on, 1 when the section
 * ended with it (the part is open, the state is the body's), -1 on error. */
int sk_mp_hdr_byte(struct sk_mp *m, unsigned char c)
{
    if (c == '\n') {
        if (m->llen == 0 || (m->llen == 1 && m->lcr)) {
            if (!m->named)
                m->nh = m->fstart; /* the empty line's '\r' */
            m->state = SK_MPS_BODY;
            if (sk_mp_htext_end(m) == -1)
                return -1;
            return sk_mp_open_part(m) == -1 ? -1 : 1;
        }
        int delim = sk_mp_hdr_delim(m);
        if (!delim && !m->lfield && !(m->llen == 1 && m->lcr)) {
            if (m->nlpre < sizeof(m->lpre))
                m->lpre[m->nlpre++] = c; /* the line end is the body's */
            return sk_mp_hdr_nosep(m);
        }
        if (delim) {
            /* a part that ends in its headers: an empty part, then the
             * next one's headers (or the epilogue) */
            m->nh = m->keep ? m->fstart : m->nh;
            if (sk_mp_htext_end(m) == -1 || sk_mp_open_part(m) == -1 || sk_mp_close(m) == -1)
                return -1;
            sk_mp_hdr_reset(m);
            if (delim == 2) {
                m->closed = 1;
                m->state = SK_MPS_BODY;
                return sk_mp_open_plain(m, SK_MP_EPILOGUE, 0) == -1 ? -1 : 1;
            }
            return 0;
        }
        if (sk_mp_htext(m, c) == -1)
            return -1;
        if (!m->named)
            sk_mp_msg_decide(m);
        if (m->keep && m->hdrs[m->nh - 1] != '\n')
            m->hdrs[m->nh++] = '\n';
        m->llen = m->nlpre = 0;
        m->hlines++;
        return 0;
    }
    if (sk_mp_htext(m, c) == -1)
        return -1;
    if (m->nlpre < sizeof(m->lpre))
        m->lpre[m->nlpre++] = c;
    else
        m->nlpre = sizeof(m->lpre); /* too long for a delimiter */
    if (m->llen == 0)
        m->lfield = c == ' ' || c == '\t'; /* a continuation */
    if (!m->lfield) {
        /* email.feedparser: a line is a field when printable ASCII up
         * to a ':' begins it (or "From "); any other ends the section
         * and is the body's first (a name longer than the line kept
         * is taken for one) */
        if (m->mbox && m->hlines && m->nlpre == 5 && memcmp(m->lpre, "From ", 5) == 0)
            return 2; /* the next message of the mbox begins (sk_mp_msg_headers) */
        if (c == ':' || (m->nlpre == 5 && memcmp(m->lpre, "From ", 5) == 0) ||
            m->nlpre == sizeof(m->lpre))
            m->lfield = 1;
        else if ((c < 0x21 || c > 0x7e) && !(c == '\r' && m->llen == 0))
            return sk_mp_hdr_nosep(m);
    }
    if (m->llen++ == 0) {
        m->lcr = c == '\r';
        if (c != ' ' && c != '\t') { /* a new field; a continuation keeps the last one's fate */
            m->keep = 1;
            m->named = 0;
            m->fstart = m->nh;
        }
    }
    if (!m->keep)
        return 0;
    if (m->nh - m->fstart >= SK_MP_FIELD) {
        m->cut = 1; /* readers read on: the part is ambiguous */
        return 0;
    }
    /* a NUL would end the field where email reads on ("boundary=aa\0"):
     * kept as another control byte, which sk_mp_boundary refuses */
    m->hdrs[m->nh++] = c ? (char)c : '\x01';
    if (!m->named && (c == ':' || m->nh - m->fstart > 26))
        sk_mp_msg_decide(m);
    return 0;
}

/* A header section, any length (sk_mp_hdr_byte per byte). A CR waits for
 * the byte after it: a bare CR is a line end too (email.feedparser splits
 * lines at CRLF, CR and LF). Returns bytes used, or -1. */
long sk_mp_msg_headers(struct sk_mp *m, const unsigned char *p, size_t n)
{
    long r;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (m->hcr) {
            m->hcr = 0;
            /* CRLF: the CR is read as ever; a bare CR: a line end of its own
             * (C is then the body's, or the next line's) */
            if ((r = sk_mp_hdr_byte(m, c == '\n' ? '\r' : '\n')) != 0)
                return r == -1 ? -1 : (long)i;
        }
        if (c == '\r') {
            m->hcr = 1;
            continue;
        }
        if ((r = sk_mp_hdr_byte(m, c)) == 2) {
            /* a message whose header section never ended: the next one's
             * "From " line begins */
            m->nh = m->keep ? m->fstart : m->nh;
            if (sk_mp_htext_end(m) == -1 || sk_mp_mbox_next(m) == -1 ||
                sk_mp_msg_headers(m, (const unsigned char *)"From ", 5) == -1)
                return -1;
            continue;
        }
        if (r != 0)
            return r == -1 ? -1 : (long)i + 1;
    }
    return (long)n;
}

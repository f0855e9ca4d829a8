/* sk_multipart.c - streaming multipart parser per RFC 2046 (form-data
 * uploads, mixed, related): CRLF or bare-LF line ends, preamble and
 * epilogue, transport padding, nested multipart, base64,
 * quoted-printable and x-uuencode part encodings; one mail message
 * (sk_mp_new_message) or an mbox of them. Every byte of the body reaches
 * the handler in some object (a part, the preamble or the epilogue).
 * Header sections are read by sk_mp_header.c, the state both share is in
 * sk_mp_internal.h; sk_mp_sniff.c tells a message or mbox body.
 * SECURITY: parses client-controlled bodies. Fixed memory per level; a
 * delimiter line inside a part's header section ends that part; nesting is
 * bounded by SK_MP_DEPTH_MAX; header parameters are read only up to their
 * terminating NUL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sekisho/decode.h"
#include "sekisho/text.h"

#include "sk_mp_internal.h"

static struct sk_mp *sk_mp_new_at(const char *boundary, const struct sk_mp_handler *h, int depth);

/* ---- part data: transfer encodings, nesting ---------------------------- */

static int sk_mp_deliver(struct sk_mp *m, const unsigned char *p, size_t n)
{
    if (n == 0)
        return 0;
    return m->child ? sk_mp_write(m->child, p, n) : m->h.data(m->h.arg, p, n);
}

/* The bytes of a partial base64 group (padding, or the end of the part). */
static size_t sk_mp_b64_flush(struct sk_mp *m, unsigned char *o)
{
    size_t k = 0;

    if (m->b64_n >= 2) {
        unsigned acc = m->b64_acc << (6 * (4 - m->b64_n));
        o[k++] = (unsigned char)(acc >> 16);
        if (m->b64_n == 3)
            o[k++] = (unsigned char)(acc >> 8);
    }
    m->b64_n = m->b64_acc = 0;
    return k;
}

/* base64, lenient: characters outside the alphabet (line ends) are
 * skipped, as decoders in mail and form handlers do. Padding ends a group
 * only when it completes one (two or three characters and their '='s), as
 * binascii.a2b_base64 reads it (email, Django, aiohttp): a stray '='
 * elsewhere is skipped, not a cut that would shift every byte after it.
 * Decoding goes on after the padding, so concatenated encodings decode
 * too. */
static size_t sk_mp_b64(struct sk_mp *m, const unsigned char *p, size_t n, unsigned char *o)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        int v = sk_b64_digit(p[i], 1);
        if (p[i] == '=' && m->b64_n >= 2 && m->b64_n + ++m->b64_pads >= 4) {
            k += sk_mp_b64_flush(m, o + k);
            m->b64_pads = 0;
        }
        if (v < 0)
            continue;
        m->b64_pads = 0;
        m->b64_acc = (m->b64_acc << 6) | (unsigned)v;
        if (++m->b64_n == 4) {
            o[k++] = (unsigned char)(m->b64_acc >> 16);
            o[k++] = (unsigned char)(m->b64_acc >> 8);
            o[k++] = (unsigned char)m->b64_acc;
            m->b64_n = m->b64_acc = 0;
        }
    }
    return k;
}

/* quoted-printable: "=XX", soft line breaks "=\n" and "=\r" through the
 * next LF; a bad escape is kept as it is. Up to two bytes wait in m->qp. */
static size_t sk_mp_qp(struct sk_mp *m, const unsigned char *p, size_t n, unsigned char *o,
                       int final)
{
    size_t k = 0;

    for (size_t i = 0; i < n || (final && m->nqp);) {
        if (m->qp_skip && i < n) { /* after "=\r": through the next LF */
            m->qp_skip = p[i++] != '\n';
            continue;
        }
        if (m->nqp == 0 && i < n && p[i] != '=') {
            o[k++] = p[i++];
            continue;
        }
        if (i < n)
            m->qp[m->nqp++] = p[i++];
        if (m->nqp < 3 && !(final && i >= n) &&
            !(m->nqp == 2 && (m->qp[1] == '\n' || m->qp[1] == '\r')))
            continue;
        if (m->nqp >= 2 && m->qp[1] == '\r') {
            /* a soft break runs from "=\r" to the next LF, whatever is
             * between (binascii.a2b_qp: quopri, email, aiohttp) */
            m->qp_skip = 1;
            m->nqp = 0;
            continue;
        }
        if (m->nqp >= 2 && m->qp[1] == '\n') {
            m->nqp -= 2; /* soft break =LF; a third byte starts over */
            if (m->nqp)
                memmove(m->qp, m->qp + 2, m->nqp);
            continue;
        }
        int hi = m->nqp == 3 ? sk_hex_digit(m->qp[1]) : -1,
            lo = m->nqp == 3 ? sk_hex_digit(m->qp[2]) : -1;
        if (hi >= 0 && lo >= 0) {
            o[k++] = (unsigned char)(hi << 4 | lo);
            m->nqp = 0;
        } else {
            memcpy(o + k, m->qp, m->nqp); /* not an escape: keep the bytes */
            k += m->nqp;
            m->nqp = 0;
        }
    }
    return k;
}

/* One uuencoded line L (its length character, then groups of four):
 * binascii.a2b_uu's bytes, leniently (any character is (c - 32) & 63), but
 * not the zeros it pads a short line with: never more bytes out than in. */
static size_t sk_mp_uu_line(const unsigned char *l, size_t n, unsigned char *o)
{
    if (n == 0)
        return 0;
    size_t want = (size_t)((l[0] - 32) & 63), k = 0;
    if (want > (n - 1) / 4 * 3 + ((n - 1) % 4 ? (n - 1) % 4 - 1 : 0))
        want = (n - 1) / 4 * 3 + ((n - 1) % 4 ? (n - 1) % 4 - 1 : 0);
    for (size_t j = 1; k < want; j += 4) {
        unsigned v = 0;
        for (size_t i = 0; i < 4; i++)
            v = v << 6 | (j + i < n ? (unsigned)((l[j + i] - 32) & 63) : 0);
        for (int b = 2; b >= 0 && k < want; b--)
            o[k++] = (unsigned char)(v >> (8 * b));
    }
    return k;
}

/* Is S[0..N) a number int(S, 8) takes: white space around, a sign, "0o",
 * octal digits with single '_' between them (and after "0o")? */
static int sk_mp_octal(const unsigned char *s, size_t n)
{
    size_t i = 0, digits = 0;

    while (n && strchr(" \t\v\f\r", s[n - 1]))
        n--;
    while (i < n && strchr(" \t\v\f\r", s[i]))
        i++;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    int pre = i + 1 < n && s[i] == '0' && (s[i + 1] | 0x20) == 'o';
    if (pre)
        i += 2;
    for (int under = 0; i < n; i++) {
        if (s[i] == '_' && !under && (digits || pre))
            under = 1;
        else if (s[i] >= '0' && s[i] <= '7')
            digits++, under = 0;
        else
            return 0;
    }
    return digits && s[n - 1] != '_';
}

/* Is L[0..N) the "end" line of a uuencoded block: "end" with white space
 * (a CR too) around it? */
static int sk_uu_end_line(const unsigned char *l, size_t n)
{
    size_t t = n, b = 0;

    while (t > b && strchr(" \t\f\r", l[t - 1]))
        t--;
    while (b < t && strchr(" \t\f", l[b]))
        b++;
    return t - b == 3 && memcmp(l + b, "end", 3) == 0;
}

/* Is L[0..N) a "begin MODE NAME" line (MODE octal, as int(MODE, 8) takes
 * it)? A text's block needs the space after MODE (SPACE); a part's
 * x-uuencode, read as email.message reads it, takes "begin 644" alone. */
static int sk_uu_begin_line(const unsigned char *l, size_t n, int space)
{
    if (n <= 6 || memcmp(l, "begin ", 6) != 0)
        return 0;
    const unsigned char *sp = memchr(l + 6, ' ', n - 6);
    if (!sp && space)
        return 0;
    return sk_mp_octal(l + 6, sp ? (size_t)(sp - l) - 6 : n - 6);
}

/* uuencoded blocks in any text (a shell archive, a post): the lines
 * between "begin MODE NAME" and "end", decoded as a part's x-uuencode
 * lines are (sk_mp_uu_line, sk_mp_octal). */
static size_t sk_uu_eol(const unsigned char *p, size_t n, size_t at)
{
    const unsigned char *e = memchr(p + at, '\n', n - at);
    return e ? (size_t)(e - p) : n;
}

int sk_uu_find(const unsigned char *p, size_t n, size_t *pos, size_t *start, size_t *end)
{
    for (size_t at = *pos; at < n;) {
        size_t eol = sk_uu_eol(p, n, at), len = eol - at;
        if ((at == 0 || p[at - 1] == '\n') && sk_uu_begin_line(p + at, len, 1)) {
            size_t a = eol < n ? eol + 1 : n, b = a;
            while (b < n) { /* to the "end" line (white space around it), or the text's end */
                size_t le = sk_uu_eol(p, n, b);
                if (sk_uu_end_line(p + b, le - b))
                    break;
                b = le < n ? le + 1 : n;
            }
            *start = a, *end = b;
            *pos = b < n ? sk_uu_eol(p, n, b) : n;
            return 1;
        }
        at = eol < n ? eol + 1 : n;
    }
    *pos = n;
    return 0;
}

size_t sk_uu_decode(const unsigned char *in, size_t n, unsigned char *out)
{
    size_t k = 0;

    for (size_t at = 0; at < n;) {
        size_t eol = sk_uu_eol(in, n, at), t = eol;
        if (t > at && in[t - 1] == '\r')
            t--;
        k += sk_mp_uu_line(in + at, t - at, out + k);
        at = eol < n ? eol + 1 : n;
    }
    return k;
}

/* The streaming form of sk_uu_find + sk_uu_decode, for readers that see a
 * text once (dlp): the same lines, the same rules. */
struct sk_uurun {
    struct sk_b64run_handler h;
    int in, failed;
    unsigned char line[96]; /* the current line's first bytes */
    size_t n;
};

struct sk_uurun *sk_uurun_new(const struct sk_b64run_handler *h)
{
    struct sk_uurun *u = calloc(1, sizeof(*u));

    if (u)
        u->h = *h;
    return u;
}

/* The current line ended (its '\n' seen, or the text ended). */
static int sk_uurun_eol(struct sk_uurun *u)
{
    const unsigned char *l = u->line;
    size_t n = u->n;
    unsigned char o[96];

    u->n = 0;
    if (u->in) {
        if (n && l[n - 1] == '\r')
            n--;
        if (sk_uu_end_line(l, n)) {
            u->in = 0;
            return u->h.end(u->h.arg);
        }
        size_t k = sk_mp_uu_line(l, n, o);
        return k ? u->h.data(u->h.arg, o, k) : 0;
    }
    if (sk_uu_begin_line(l, n, 1)) {
        u->in = 1;
        return u->h.begin(u->h.arg);
    }
    return 0;
}

int sk_uurun_write(struct sk_uurun *u, const void *buf, size_t len)
{
    const unsigned char *p = buf;

    for (size_t i = 0; i < len && !u->failed; i++) {
        if (p[i] == '\n')
            u->failed = sk_uurun_eol(u) == -1;
        else if (u->n < sizeof(u->line))
            u->line[u->n++] = p[i];
    }
    return u->failed ? -1 : 0;
}

int sk_uurun_end(struct sk_uurun *u)
{
    if (!u->failed && u->n)
        u->failed = sk_uurun_eol(u) == -1;
    if (!u->failed && u->in) { /* no "end" line: the text's end ends it */
        u->in = 0;
        u->failed = u->h.end(u->h.arg) == -1;
    }
    return u->failed ? -1 : 0;
}

void sk_uurun_free(struct sk_uurun *u)
{
    free(u);
}

/* The line in m->uline ended: "begin MODE ..." (octal) starts the encoded
 * lines, "end" ends them (email.message's _decode_uu); an encoded line is
 * decoded into O. */
static size_t sk_mp_uu_eol(struct sk_mp *m, unsigned char *o)
{
    const unsigned char *l = m->uline;
    size_t n = m->nuline, k = 0;

    m->nuline = 0;
    /* spaces are data (zeros); "end" may have white space around it (the
     * line holds no CR: lines are cut at CR too) */
    if (m->uu == 1) {
        if (sk_uu_end_line(l, n))
            m->uu = 2;
        else
            k = sk_mp_uu_line(l, n, o);
    } else if (m->uu == 0 && sk_uu_begin_line(l, n, 0)) {
        m->uu = 1;
    }
    return k;
}

/* x-uuencode (as email.message reads it): the lines before "begin" and
 * after "end" pass as they are, the lines between are decoded. */
static size_t sk_mp_uu(struct sk_mp *m, const unsigned char *p, size_t n, unsigned char *o,
                       int final)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        int crlf = m->uu_cr && p[i] == '\n'; /* the LF of a CRLF: that line ended */
        m->uu_cr = p[i] == '\r';
        if (m->uu != 1)
            o[k++] = p[i];
        if (crlf)
            continue;
        if (p[i] == '\n' || p[i] == '\r') /* lines as bytes.splitlines cuts them */
            k += sk_mp_uu_eol(m, o + k);
        else if (m->nuline < sizeof(m->uline))
            m->uline[m->nuline++] = p[i];
    }
    if (final && m->nuline)
        k += sk_mp_uu_eol(m, o + k);
    return k;
}

int sk_mp_part_data(struct sk_mp *m, const unsigned char *p, size_t n, int final)
{
    if (!m->open)
        return 0; /* nothing open (after a failed begin): dropped */
    unsigned char out[4096 + 96];

    if (m->cte == SK_CTE_NONE)
        return sk_mp_deliver(m, p, n);
    /* the bytes most form readers hand on, Content-Transfer-Encoding or
     * not (sk_mp_part.encoded) */
    if (m->form && !m->child && n && m->h.raw && m->h.raw(m->h.arg, p, n) == -1)
        return -1;
    do {
        size_t take = n < 4096 ? n : 4096;
        size_t k = m->cte == SK_CTE_B64  ? sk_mp_b64(m, p, take, out)
                   : m->cte == SK_CTE_UU ? sk_mp_uu(m, p, take, out, final && take == n)
                                         : sk_mp_qp(m, p, take, out, final && take == n);
        if (sk_mp_deliver(m, out, k) == -1)
            return -1;
        if (take) /* the final QP flush passes p == NULL */
            p += take, n -= take;
    } while (n > 0);
    return 0;
}

/* ---- objects: begin/end ------------------------------------------------ */

int sk_mp_close(struct sk_mp *m)
{
    int rc = 0;

    if (!m->open)
        return 0;
    if ((m->cte == SK_CTE_QP || m->cte == SK_CTE_UU) && sk_mp_part_data(m, NULL, 0, 1) == -1)
        rc = -1;
    if (m->cte == SK_CTE_B64) {
        unsigned char tail[3];
        size_t k = sk_mp_b64_flush(m, tail);
        if (k && sk_mp_deliver(m, tail, k) == -1)
            rc = -1;
    }
    if (m->child) {
        if (sk_mp_end(m->child) == -1)
            rc = -1;
        sk_mp_free(m->child);
        m->child = NULL;
    } else if (m->h.end(m->h.arg) == -1) {
        rc = -1;
    }
    m->open = 0;
    return rc;
}

int sk_mp_open_plain(struct sk_mp *m, enum sk_mp_kind kind, int malformed)
{
    struct sk_mp_part part = {.kind = kind,
                              .depth = m->depth,
                              .content_type = "",
                              .filename = "",
                              .headers = "",
                              .malformed = malformed};

    m->cte = SK_CTE_NONE;
    if (malformed) {
        m->hdrs[m->nh] = '\0';
        part.headers = m->hdrs;
    }
    m->open = 1;
    return m->h.begin(m->h.arg, &part);
}

/* Is CONTENT_TYPE's media type TYPE (any case; white space before it,
 * its parameters after)? */
static int sk_mp_is_type(const char *content_type, const char *type)
{
    size_t n = strlen(type);

    while (content_type && (*content_type == ' ' || *content_type == '\t'))
        content_type++;
    return content_type && strncasecmp(content_type, type, n) == 0 &&
           strchr(" \t;", content_type[n]);
}

int sk_mp_is_digest(const char *content_type)
{
    return sk_mp_is_type(content_type, "multipart/digest");
}

void sk_mp_digest(struct sk_mp *m, int on)
{
    m->digest = on;
}

int sk_mp_is_form_data(const char *content_type)
{
    return sk_mp_is_type(content_type, "multipart/form-data");
}

void sk_mp_mail(struct sk_mp *m, int on)
{
    m->mail = on;
}

int sk_mp_open_part(struct sk_mp *m)
{
    char disp[1024] = "", cte[64] = "", boundary[SK_MP_BOUNDARY_MAX + 1];
    struct sk_mp_part part = {
        .kind = SK_MP_PART, .depth = m->depth, .headers = m->hdrs, .ambiguous = m->cut || m->amb};

    m->hdrs[m->nh] = '\0';
    m->ctype[0] = m->fname[0] = '\0';
    sk_mp_header(m->hdrs, "content-type", m->ctype, sizeof(m->ctype));
    if (sk_mp_header(m->hdrs, "content-disposition", disp, sizeof(disp)) == 0)
        sk_header_param_ext(disp, "filename", m->fname, sizeof(m->fname));
    sk_mp_header(m->hdrs, "content-transfer-encoding", cte, sizeof(cte));
    m->cte = strcasecmp(cte, "base64") == 0             ? SK_CTE_B64
             : strcasecmp(cte, "quoted-printable") == 0 ? SK_CTE_QP
             : strcasecmp(cte, "x-uuencode") == 0 || strcasecmp(cte, "uuencode") == 0 ||
                     strcasecmp(cte, "x-uue") == 0 || strcasecmp(cte, "uue") == 0
                 ? SK_CTE_UU
                 : SK_CTE_NONE;
    m->b64_acc = m->b64_n = m->b64_pads = 0;
    m->nqp = 0, m->qp_skip = 0;
    m->uu = 0, m->nuline = 0, m->uu_cr = 0;
    m->bol = 1; /* the body starts a line (an mbox's "From " may begin it) */
    m->open = 1;
    if (m->depth == 0)
        m->parts++;
    if (m->depth + 1 < SK_MP_DEPTH_MAX && !part.ambiguous &&
        sk_mp_boundary(m->ctype, boundary, sizeof(boundary)) == 0 &&
        (m->child = sk_mp_new_at(boundary, &m->h, m->depth + 1)) != NULL) {
        m->child->digest = sk_mp_is_digest(m->ctype);
        m->child->mail = m->mail || !sk_mp_is_form_data(m->ctype);
        m->child->form = m->form;
        return 0;
    }
    if (!m->ctype[0] && m->digest)
        snprintf(m->ctype, sizeof(m->ctype), "message/rfc822");
    part.content_type = m->ctype;
    part.filename = m->fname;
    part.encoded = m->form && m->cte != SK_CTE_NONE;
    return m->h.begin(m->h.arg, &part);
}

/* ---- the delimiter scan ------------------------------------------------ */

/* Bytes at the end of P[0..N) that may start a delimiter ("\n--Bou", with
 * a '\r' before it, which would belong to it): held until more comes. */
static size_t sk_mp_partial(const struct sk_mp *m, const unsigned char *p, size_t n)
{
    size_t s = n < m->dlen - 1 ? n : m->dlen - 1;

    for (; s > 0; s--)
        if (memcmp(p + n - s, m->delim, s) == 0 ||
            (m->mail && p[n - s] == '\r' && memcmp(p + n - s + 1, m->delim + 1, s - 1) == 0))
            break;
    if (s < n && p[n - s - 1] == '\r')
        s++;
    return s;
}

/* The first delimiter in P[0..N): "\n--boundary", or in mail
 * "\r--boundary" too (m->dcr says which); NULL none. */
static const unsigned char *sk_mp_find(struct sk_mp *m, const unsigned char *p, size_t n)
{
    const unsigned char *k = memmem(p, n, m->delim, m->dlen);

    m->dcr = 0;
    if (m->mail) {
        size_t lim = k ? (size_t)(k - p) : n;
        for (const unsigned char *c = p; (c = memchr(c, '\r', lim - (size_t)(c - p))) != NULL; c++)
            if ((size_t)(c - p) + m->dlen <= n && memcmp(c + 1, m->delim + 1, m->dlen - 1) == 0) {
                m->dcr = 1;
                return c;
            }
    }
    return k;
}

/* Part data before a delimiter at P[AT] (a '\r' before "\n--" is the
 * delimiter's); 1, or -1. */
static int sk_mp_found(struct sk_mp *m, const unsigned char *p, size_t at)
{
    m->had_cr = !m->dcr && at && p[at - 1] == '\r';
    return sk_mp_part_data(m, p, m->had_cr ? at - 1 : at, 0) == -1 ? -1 : 1;
}

/* Part data up to a delimiter. Returns 1 when "\n--boundary" was found
 * (*used counts through it), 0 when all of P was taken, -1 on error. The
 * line end before the delimiter belongs to it and is not delivered. */
static int sk_mp_body(struct sk_mp *m, const unsigned char *p, size_t n, size_t *used)
{
    const unsigned char *k;
    size_t s;

    *used = 0;
    if (m->hlen > 0) {
        /* join the held bytes with enough of P to decide about them */
        unsigned char win[2 * sizeof(m->hold)];
        size_t take = n < sizeof(m->hold) ? n : sizeof(m->hold);
        memcpy(win, m->hold, m->hlen);
        memcpy(win + m->hlen, p, take);
        size_t wl = m->hlen + take;
        if ((k = sk_mp_find(m, win, wl)) != NULL) {
            size_t at = (size_t)(k - win), end = at + m->dlen;
            m->hlen = 0;
            *used = end - (wl - take);
            return sk_mp_found(m, win, at);
        }
        /* no delimiter across the seam: the held bytes (but not a new
         * partial at the end of the window) are data */
        s = take == n ? sk_mp_partial(m, win, wl) : 0;
        size_t give = wl - s < m->hlen ? wl - s : m->hlen;
        if (sk_mp_part_data(m, win, give, 0) == -1)
            return -1;
        memmove(m->hold, m->hold + give, m->hlen - give);
        m->hlen -= give;
        if (m->hlen > 0) { /* P is short and continues a partial: keep all */
            memcpy(m->hold + m->hlen, p, n);
            m->hlen += n;
            *used = n;
            return 0;
        }
    }
    if ((k = sk_mp_find(m, p, n)) != NULL) {
        size_t at = (size_t)(k - p);
        *used = at + m->dlen;
        return sk_mp_found(m, p, at);
    }
    s = sk_mp_partial(m, p, n);
    if (sk_mp_part_data(m, p, n - s, 0) == -1)
        return -1;
    memcpy(m->hold, p + n - s, s);
    m->hlen = s;
    *used = n;
    return 0;
}

void sk_mp_hdr_reset(struct sk_mp *m);

/* After "\n--boundary": "--" closes, [ \t]* and a line end starts a part;
 * anything else means it was data after all (RFC 2046 5.1.1). Returns
 * bytes used, or -1. */
static long sk_mp_after(struct sk_mp *m, const unsigned char *p, size_t n)
{
    size_t i = 0;

    while (i < n) {
        unsigned char c = p[i++];
        if (m->mail && m->nafter && m->after[m->nafter - 1] == '\r' && c != '\n') {
            /* mail: a bare CR ended the delimiter line; C is the headers' */
            if (sk_mp_close(m) == -1)
                return -1;
            m->state = SK_MPS_HEADERS;
            sk_mp_hdr_reset(m);
            return (long)i - 1;
        }
        m->after[m->nafter++] = c;
        if (m->nafter == 2 && m->after[0] == '-' && c == '-') {
            if (sk_mp_close(m) == -1)
                return -1;
            m->closed = 1;
            m->state = SK_MPS_BODY;
            return sk_mp_open_plain(m, SK_MP_EPILOGUE, 0) == -1 ? -1 : (long)i;
        }
        if (c == '\n') {
            if (sk_mp_close(m) == -1)
                return -1;
            m->state = SK_MPS_HEADERS;
            sk_mp_hdr_reset(m);
            return (long)i;
        }
        if ((c == ' ' || c == '\t' || c == '\r' || (c == '-' && m->nafter == 1)) &&
            m->nafter < SK_MP_AFTER)
            continue;
        /* not a delimiter: the bytes were part data */
        m->state = SK_MPS_BODY;
        if ((m->had_cr && sk_mp_part_data(m, (const unsigned char *)"\r", 1, 0) == -1) ||
            (m->dcr && sk_mp_part_data(m, (const unsigned char *)"\r", 1, 0) == -1) ||
            sk_mp_part_data(m, m->delim + m->dcr, m->dlen - m->dcr, 0) == -1 ||
            sk_mp_part_data(m, m->after, m->nafter, 0) == -1)
            return -1;
        return (long)i;
    }
    return (long)i;
}

/* The mbox's next message begins: the last one's object is closed. */
int sk_mp_mbox_next(struct sk_mp *m)
{
    int rc = sk_mp_close(m);

    sk_mp_hdr_reset(m);
    m->state = SK_MPS_HEADERS;
    m->hcr = 0;
    m->bol = 0, m->nfh = 0;
    return rc;
}

/* An mbox message's body: data up to a line that starts "From " (held
 * across writes while it may be one), which begins the next message.
 * Returns bytes used, or -1. */
static long sk_mp_mbox_body(struct sk_mp *m, const unsigned char *p, size_t n)
{
    static const unsigned char from[] = "From ";
    size_t i = 0;

    if (m->bol || m->nfh) {
        while (i < n && m->nfh < 5 && p[i] == from[m->nfh])
            m->fh[m->nfh++] = p[i++];
        m->bol = 0;
        if (m->nfh == 5) {
            m->nfh = 0;
            if (sk_mp_mbox_next(m) == -1 || sk_mp_msg_headers(m, from, 5) == -1)
                return -1;
            return (long)i;
        }
        if (i == n)
            return (long)i; /* all of it may still be "From " */
        size_t k = m->nfh;
        m->nfh = 0;
        if (k && sk_mp_part_data(m, m->fh, k, 0) == -1)
            return -1;
    }
    const unsigned char *e = memmem(p + i, n - i, "\nFrom ", 6);
    size_t end = e ? (size_t)(e - p) + 1 : n;
    if (!e) /* a line end near the end: what follows it may be "From " */
        for (size_t t = n; t > i && t + 5 > n; t--)
            if (p[t - 1] == '\n' && memcmp(p + t, from, n - t) == 0) {
                end = t;
                break;
            }
    if (end > i && sk_mp_part_data(m, p + i, end - i, 0) == -1)
        return -1;
    m->bol = end < n || (end == n && n > 0 && p[n - 1] == '\n');
    return (long)end;
}

int sk_mp_write(struct sk_mp *m, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    size_t used;
    long u;
    int r;

    while (len > 0) {
        /* epilogue, or a message's body: no more delimiters to look for
         * (an mbox's: the next message's "From " line) */
        if (m->mbox && m->state == SK_MPS_BODY) {
            if ((u = sk_mp_mbox_body(m, p, len)) < 0)
                return -1;
            p += u, len -= (size_t)u;
            continue;
        }
        if (m->closed || (m->message && m->state == SK_MPS_BODY))
            return sk_mp_part_data(m, p, len, 0);
        switch (m->state) {
        case SK_MPS_BODY:
            if ((r = sk_mp_body(m, p, len, &used)) == -1)
                return -1;
            if (r == 1) {
                m->state = SK_MPS_AFTER;
                m->nafter = 0;
            }
            u = (long)used;
            break;
        case SK_MPS_AFTER:
            u = sk_mp_after(m, p, len);
            break;
        case SK_MPS_HEADERS:
        default:
            u = sk_mp_msg_headers(m, p, len);
            break;
        }
        if (u < 0)
            return -1;
        p += u, len -= (size_t)u;
    }
    return 0;
}

int sk_mp_end(struct sk_mp *m)
{
    if (m->state == SK_MPS_HEADERS && m->hcr) { /* a CR last: a line end */
        m->hcr = 0;
        if (sk_mp_hdr_byte(m, '\n') == -1)
            return -1;
    }
    if (m->state == SK_MPS_HEADERS)
        return sk_mp_htext_end(m); /* headers that never ended: their text, no body */
    if (m->nfh && sk_mp_part_data(m, m->fh, m->nfh, 0) == -1)
        return -1;
    m->nfh = 0;
    if (m->hlen && m->open && sk_mp_part_data(m, m->hold, m->hlen, 0) == -1)
        return -1;
    m->hlen = 0;
    return sk_mp_close(m);
}

int sk_mp_delimited(const struct sk_mp *m)
{
    return m->parts > 0 || m->closed;
}

unsigned sk_mp_parts(const struct sk_mp *m)
{
    return m->parts;
}

void sk_mp_free(struct sk_mp *m)
{
    if (!m)
        return;
    sk_mp_free(m->child);
    free(m);
}

static struct sk_mp *sk_mp_new_at(const char *boundary, const struct sk_mp_handler *h, int depth)
{
    size_t bl = strlen(boundary), used;
    struct sk_mp *m;

    if (bl == 0 || bl > SK_MP_BOUNDARY_MAX || !(m = calloc(1, sizeof(*m))))
        return NULL;
    m->h = *h;
    m->depth = depth;
    memcpy(m->delim, "\n--", 3);
    memcpy(m->delim + 3, boundary, bl);
    m->dlen = bl + 3;
    m->state = SK_MPS_BODY;
    /* the first delimiter may open the body: pretend a line end before it */
    if (sk_mp_open_plain(m, SK_MP_PREAMBLE, 0) == -1 ||
        sk_mp_body(m, (const unsigned char *)"\n", 1, &used) == -1) {
        sk_mp_free(m);
        return NULL;
    }
    return m;
}

struct sk_mp *sk_mp_new(const char *boundary, const struct sk_mp_handler *h)
{
    struct sk_mp *m = sk_mp_new_at(boundary, h, 0);

    if (m)
        m->form = 1; /* an HTTP body, whatever its subtype (sk_mp_part.encoded) */
    return m;
}

struct sk_mp *sk_mp_new_message(const struct sk_mp_handler *h)
{
    struct sk_mp *m = calloc(1, sizeof(*m));

    if (!m)
        return NULL;
    m->h = *h;
    m->message = 1;
    m->mail = 1;
    m->state = SK_MPS_HEADERS;
    return m;
}

struct sk_mp *sk_mp_new_mbox(const struct sk_mp_handler *h)
{
    struct sk_mp *m = sk_mp_new_message(h);

    if (m)
        m->mbox = 1;
    return m;
}

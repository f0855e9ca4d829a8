/* dlp_dirtext.c - iCalendar (RFC 5545) and vCard (RFC 6350, 2.1) text as
 * a calendar or an address book shows it: folded lines joined (a line
 * end followed by a space or a tab is no line end: a card split by the
 * 75-octet fold passed), escapes undone (\n \N \, \; \: \\), and vCard
 * 2.1's quoted-printable values (ENCODING=QUOTED-PRINTABLE: =XX bytes,
 * "=" at a line end joins the next line) decoded. Each property is a line
 * "NAME;PARAMETERS: value", the parameters as written.
 * SECURITY: client-controlled bytes; a byte at a time, a few bytes of
 * state (a parameter is compared within 32 bytes), no allocation after
 * the reader's own. */
#include <stdlib.h>
#include <string.h>

#include <sekisho/text.h>

#include "dlp.h"
#include "dlp_fmt.h"

enum {
    SK_DT_NAME,   /* a property's name */
    SK_DT_PARAM,  /* its parameters, after ';' */
    SK_DT_QUOTE,  /* a parameter's quoted value */
    SK_DT_VALUE,  /* its value, after ':' */
    SK_DT_ESC,    /* after '\' in a value */
    SK_DT_QPEQ,   /* after '=' in a quoted-printable value */
    SK_DT_QPHEX,  /* after "=X" */
    SK_DT_LSTART, /* after a line end: a fold, or the next property */
};

struct sk_dirtext {
    struct sk_fmt f;
    int state;
    int resume; /* the state a folded line goes on in */
    int qp;     /* the value is quoted-printable */
    int soft;   /* a quoted-printable soft line break: the line goes on */
    unsigned char hi;
    char par[32]; /* the current parameter, upper case */
    size_t npar;
};

static void sk_dt_param_end(struct sk_dirtext *d)
{
    d->par[d->npar < sizeof(d->par) ? d->npar : sizeof(d->par) - 1] = '\0';
    if (strcmp(d->par, "ENCODING=QUOTED-PRINTABLE") == 0 || strcmp(d->par, "QUOTED-PRINTABLE") == 0)
        d->qp = 1;
    d->npar = 0;
}

static void sk_dt_value_sep(struct sk_dirtext *d)
{
    sk_fmt_byte(&d->f, ':');
    sk_fmt_byte(&d->f, ' ');
    d->state = SK_DT_VALUE;
}

/* One byte, CR already dropped and LF handled by the caller. */
static void sk_dt_byte(struct sk_dirtext *d, unsigned char c)
{
    switch (d->state) {
    case SK_DT_LSTART:
        if (d->soft) { /* after "=" at a line end the next line is the value's,
                        * a space in it too (RFC 2045) */
            d->state = d->resume;
            d->soft = 0;
            sk_dt_byte(d, c);
            return;
        }
        if (c == ' ' || c == '\t') { /* a fold: the line goes on */
            d->state = d->resume;
            return;
        }
        sk_fmt_byte(&d->f, '\n');
        d->state = SK_DT_NAME;
        d->qp = 0;
        d->npar = 0;
        sk_dt_byte(d, c);
        return;
    case SK_DT_NAME:
        if (c == ':') {
            sk_dt_value_sep(d);
            return;
        }
        if (c == ';')
            d->state = SK_DT_PARAM;
        sk_fmt_byte(&d->f, c);
        return;
    case SK_DT_PARAM:
        if (c == ':') {
            sk_dt_param_end(d);
            sk_dt_value_sep(d);
            return;
        }
        if (c == '"')
            d->state = SK_DT_QUOTE;
        else if (c == ';')
            sk_dt_param_end(d);
        else if (d->npar < sizeof(d->par))
            d->par[d->npar++] = (char)(c >= 'a' && c <= 'z' ? c - 32 : c);
        sk_fmt_byte(&d->f, c);
        return;
    case SK_DT_QUOTE:
        if (c == '"')
            d->state = SK_DT_PARAM;
        sk_fmt_byte(&d->f, c);
        return;
    case SK_DT_VALUE:
        if (c == '\\')
            d->state = SK_DT_ESC;
        else if (c == '=' && d->qp)
            d->state = SK_DT_QPEQ;
        else
            sk_fmt_byte(&d->f, c);
        return;
    case SK_DT_ESC:
        d->state = SK_DT_VALUE;
        if (c == 'n' || c == 'N') {
            sk_fmt_byte(&d->f, '\n');
        } else if (c == ',' || c == ';' || c == ':' || c == '\\') {
            sk_fmt_byte(&d->f, c);
        } else { /* not an escape: as written */
            sk_fmt_byte(&d->f, '\\');
            sk_dt_byte(d, c);
        }
        return;
    case SK_DT_QPEQ:
        if (sk_hex_digit(c) >= 0) {
            d->hi = c;
            d->state = SK_DT_QPHEX;
        } else {
            sk_fmt_byte(&d->f, '=');
            d->state = SK_DT_VALUE;
            sk_dt_byte(d, c);
        }
        return;
    case SK_DT_QPHEX:
        d->state = SK_DT_VALUE;
        if (sk_hex_digit(c) >= 0) {
            sk_fmt_byte(&d->f, (unsigned char)(sk_hex_digit(d->hi) * 16 + sk_hex_digit(c)));
        } else {
            sk_fmt_byte(&d->f, '=');
            sk_fmt_byte(&d->f, d->hi);
            sk_dt_byte(d, c);
        }
        return;
    }
}

/* What a state left unwritten at a line end or at the end. */
static void sk_dt_pending(struct sk_dirtext *d)
{
    if (d->state == SK_DT_ESC) {
        sk_fmt_byte(&d->f, '\\');
    } else if (d->state == SK_DT_QPHEX) {
        sk_fmt_byte(&d->f, '=');
        sk_fmt_byte(&d->f, d->hi);
    } else if (d->state == SK_DT_QPEQ) {
        sk_fmt_byte(&d->f, '=');
    } else {
        return;
    }
    d->state = SK_DT_VALUE;
}

static int sk_dt_write(struct sk_dlp_sink *s, const unsigned char *p, size_t n)
{
    struct sk_dirtext *d = (struct sk_dirtext *)s;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (c == '\r')
            continue;
        if (c != '\n') {
            sk_dt_byte(d, c);
            continue;
        }
        if (d->state == SK_DT_LSTART) { /* an empty line */
            sk_fmt_byte(&d->f, '\n');
            d->soft = 0;
            continue;
        }
        if (d->state == SK_DT_QPEQ) { /* "=" at a line end: soft */
            d->soft = 1;
            d->state = SK_DT_VALUE;
        }
        /* a fold may split an escape ("\" then "n"), but not "=XX" */
        if (d->state == SK_DT_QPHEX)
            sk_dt_pending(d);
        d->resume = d->state;
        d->state = SK_DT_LSTART;
    }
    return d->f.err ? -1 : 0;
}

static int sk_dt_end(struct sk_dlp_sink *s)
{
    struct sk_dirtext *d = (struct sk_dirtext *)s;

    if (d->state == SK_DT_LSTART)
        d->state = d->resume;
    sk_dt_pending(d);
    return sk_fmt_end(s);
}

struct sk_dlp_sink *sk_dlp_dirtext_new(struct sk_dlp_sink *next)
{
    struct sk_fmt *f = sk_fmt_new(sizeof(struct sk_dirtext), next, sk_dt_write);

    if (f == NULL)
        return NULL;
    f->sink.end = sk_dt_end;
    ((struct sk_dirtext *)f)->state = SK_DT_NAME;
    return &f->sink;
}

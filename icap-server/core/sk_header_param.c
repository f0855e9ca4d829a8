/* sk_header_param.c - parameters of a MIME header value (RFC 2045, 2231,
 * 5987, 6266): sk_header_param, its RFC 2231 readings
 * (sk_header_param_2231: sections, percent-encoding, the charset prefix
 * converted to UTF-8) and the multipart boundary (sk_mp_boundary), read
 * the way the readers a checkpoint stands in front of read them, and -2
 * wherever they disagree. The multipart/mbox reader (sk_multipart.c),
 * DLP and virus_scan take their parameters from here.
 * SECURITY: every value is client-controlled; values are read only up to
 * their terminating NUL and written cut to the caller's size.
 */
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sekisho/decode.h"
#include "sekisho/text.h"

/* The next ';' of VALUE from P that is not inside a quoted string. */
static const char *sk_param_next(const char *p)
{
    int q = 0;

    for (; *p; p++) {
        if (q && *p == '\\' && p[1])
            p++;
        else if (*p == '"')
            q = !q;
        else if (!q && *p == ';')
            return p;
    }
    return NULL;
}

/* A byte that readers take differently in a value: a control byte (a NUL
 * ends the C string, email keeps it); in a token also a tspecial of RFC
 * 2045 or '*' or '\'' (email's policy.default ends the value there, or
 * reads none, where compat32 and web frameworks keep it: "a=b" is "a" to
 * one and "a=b" to the others). */
static int sk_param_odd_byte(unsigned char c, int token)
{
    return (c < 0x20 && c != '\t') || c == 0x7f ||
           (token && c && strchr("()<>@,:/[]?=\"\\*'", c) != NULL);
}

/* One parameter's value from P (just after '=') into OUT; P after it.
 * *ODD (if not NULL) is set when readers take the raw value differently:
 * a backslash (compat32 and aiohttp keep it, policy.default unescapes), a
 * quoted string that never closes (compat32 keeps the quote), a byte
 * sk_param_odd_byte names, an RFC 2047 word in a quoted string
 * (policy.default decodes "=?utf-8?q?aa?=", the others do not). */
static const char *sk_param_value_odd(const char *p, char *out, size_t size, int *odd)
{
    size_t o = 0;
    int bad = 0;

    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '"') {
        for (p++; *p && *p != '"'; p++) {
            if (*p == '\\') {
                bad = 1;
                if (p[1])
                    p++;
            }
            bad |= sk_param_odd_byte((unsigned char)*p, 0);
            if (o + 1 < size)
                out[o++] = *p;
        }
        if (*p == '"')
            p++; /* past the closing quote: it opens nothing */
        else
            bad = 1; /* never closed */
    } else {
        for (; *p && *p != ';' && *p != ' ' && *p != '\t'; p++) {
            bad |= sk_param_odd_byte((unsigned char)*p, 1);
            if (o + 1 < size)
                out[o++] = *p;
        }
    }
    out[o] = '\0';
    const char *w = strstr(out, "=?");
    if (w && strstr(w + 2, "?=") != NULL)
        bad = 1;
    if (odd && bad)
        *odd = 1;
    return p;
}

static const char *sk_param_value(const char *p, char *out, size_t size)
{
    return sk_param_value_odd(p, out, size, NULL);
}

/* sk_header_param; *ODD (if not NULL) set when a value of NAME has text
 * after it before the next ';' ("A B", "\"A\" B", "A (c)"): readers take
 * such a value differently (compat32 keeps it all, frameworks stop); so
 * they do a value sk_param_value_odd names (an escape, a stray quote, a
 * tspecial in a token, an encoded word, a control byte). */
static int sk_header_param_odd(const char *value, const char *name, char *out, size_t size,
                               int *odd)
{
    size_t nl = strlen(name);
    int found = 0;
    char other[512];

    if (size == 0)
        return -1;
    /* ';' inside a quoted value separates nothing ('x="; boundary=A"'),
     * and a parameter given twice with two values is ambiguous: readers
     * disagree on which one counts, so it is reported, not guessed. */
    for (const char *p = value; p && (p = sk_param_next(p)) != NULL;) {
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        if (strncasecmp(p, name, nl) != 0)
            continue;
        p += nl;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p != '=')
            continue; /* ";boundary" alone: no value, and p stays inside the string */
        if (!found) {
            p = sk_param_value_odd(p + 1, out, size, odd);
            found = 1;
        } else {
            size_t osz = size < sizeof(other) ? size : sizeof(other);
            p = sk_param_value_odd(p + 1, other, osz, odd);
            if (strncmp(other, out, osz - 1) != 0)
                return -2;
        }
        const char *t = p + strspn(p, " \t");
        if (odd && *t && *t != ';')
            *odd = 1;
    }
    if (!found)
        return -1;
    char *q = strstr(out, "''"); /* RFC 5987 name*=charset''value */
    if (name[nl - 1] == '*' && q)
        memmove(out, q + 2, strlen(q + 2) + 1);
    return 0;
}

int sk_header_param(const char *value, const char *name, char *out, size_t size)
{
    return sk_header_param_odd(value, name, out, size, NULL);
}

/* One RFC 2231 value from P (after '=') appended to OUT at *O: as it is,
 * or (ENC) percent-decoded, and (FIRST) without its charset'language
 * prefix, whose charset goes to CS (CSSIZE bytes). */
static void sk_param_2231_put(const char *p, int enc, int first, char *out, size_t size, size_t *o,
                              char *cs, size_t cssize)
{
    char v[1024];
    const char *s = v;

    sk_param_value(p, v, sizeof(v));
    p += strspn(p, " \t");
    if (*p != '"') { /* a token: compat32 reads on to the ';' (white space too) */
        size_t k = strcspn(p, ";");
        while (k && (p[k - 1] == ' ' || p[k - 1] == '\t'))
            k--;
        snprintf(v, sizeof(v), "%.*s", (int)k, p);
    }
    if (enc && first) {
        const char *q = strchr(v, '\'');
        const char *r = q ? strchr(q + 1, '\'') : NULL;
        s = r ? r + 1 : v;
        if (r && cs)
            snprintf(cs, cssize, "%.*s", (int)(q - v), v);
    }
    for (; *s; s++) {
        int hi, lo;
        char c = *s;
        if (enc && c == '%' && (hi = sk_hex_digit((unsigned char)s[1])) >= 0 &&
            (lo = sk_hex_digit((unsigned char)s[2])) >= 0) {
            c = (char)(hi * 16 + lo);
            s += 2;
        }
        if (*o + 1 < size)
            out[(*o)++] = c;
    }
    out[*o] = '\0';
}

/* OUT[0..*N) (the bytes a charset'' prefix declares, CS) as UTF-8, as
 * readers show a file name (email's get_filename, Django, aiohttp decode
 * from the charset): invalid bytes skipped. UTF-8, ASCII, an empty or
 * unknown charset: left as they are (Python falls back to the bytes). */
static void sk_param_2231_charset(const char *cs, char *out, size_t size, size_t *n)
{
    char name[64], conv[4096];

    if (!*cs || strcasecmp(cs, "utf-8") == 0 || strcasecmp(cs, "utf8") == 0 ||
        strcasecmp(cs, "us-ascii") == 0 || strcasecmp(cs, "ascii") == 0)
        return;
    /* Python's spellings and aliases (sk_charset_lookup), else the name
     * as iconv may know it (windows-1252, iso-8859-2...) */
    enum sk_cs_kind k = sk_charset_lookup(cs, name, sizeof(name));
    if (k == SK_CS_UTF8)
        return;
    if (k == SK_CS_NONE)
        snprintf(name, sizeof(name), "%s", cs);
    iconv_t cd = sk_iconv_open(name);
    for (char *u = name; cd == (iconv_t)-1 && *u; u++) /* utf_16le: Python's spelling */
        if (*u == '_' && (*u = '-') && (cd = sk_iconv_open(name)) != (iconv_t)-1)
            break;
    if (cd == (iconv_t)-1)
        return;
    char *in = out, *o = conv;
    size_t il = *n, ol = sizeof(conv) - 1;
    while (il > 0 && ol > 0) {
        if (iconv(cd, &in, &il, &o, &ol) != (size_t)-1 || errno == E2BIG)
            break;
        if (errno == EINVAL)
            break;  /* a sequence cut at the end */
        in++, il--; /* EILSEQ: skip the byte, start the state over */
        iconv(cd, NULL, NULL, NULL, NULL);
    }
    iconv(cd, NULL, NULL, &o, &ol); /* UTF-7: the shift state's last bytes */
    sk_iconv_close(name, cd);
    *n = (size_t)(o - conv) < size ? (size_t)(o - conv) : size - 1;
    memcpy(out, conv, *n);
    out[*n] = '\0';
}

/* The sections of one RFC 2231 parameter read (more are -2). */
#define SK_2231_SECTIONS 64

struct sk_2231_sec {
    long n;        /* its number */
    const char *p; /* its value (after '=') */
    int enc;       /* NAME*N*: percent-encoded */
};

/* Section order: by number, then (two of one number) by value, as
 * compat32's decode_params sorts them. */
static int sk_2231_before(const struct sk_2231_sec *a, const struct sk_2231_sec *b)
{
    char va[256], vb[256];

    if (a->n != b->n)
        return a->n < b->n;
    sk_param_value(a->p, va, sizeof(va));
    sk_param_value(b->p, vb, sizeof(vb));
    return strcmp(va, vb) < 0;
}

int sk_header_param_2231(const char *value, const char *name, int reading, char *out, size_t size)
{
    size_t nl = strlen(name), o = 0;
    const char *plain = NULL, *ext = NULL;
    struct sk_2231_sec sec[SK_2231_SECTIONS];
    size_t nsec = 0;
    int over = 0;
    char cs[64] = "";

    if (size == 0)
        return -1;
    for (const char *p = value; (p = sk_param_next(p)) != NULL;) {
        p += 1 + strspn(p + 1, " \t");
        if (strncasecmp(p, name, nl) != 0)
            continue;
        const char *a = p + nl, *eq;
        long n = -1;
        int e = 0, digits = 0;
        if (*a == '*') {
            a++;
            if (*a >= '0' && *a <= '9') {
                for (n = 0; *a >= '0' && *a <= '9'; a++)
                    if (++digits <= 9) /* int() takes any; past 9 digits: -2 */
                        n = n * 10 + (*a - '0');
                if (*a == '*')
                    e = 1, a++;
            } else {
                e = 2; /* NAME*: one extended value */
            }
        }
        eq = a + strspn(a, " \t");
        if (*eq != '=')
            continue;
        if (e == 2 && !ext) {
            ext = eq + 1;
        } else if (n >= 0) {
            if (nsec == SK_2231_SECTIONS || digits > 9) {
                over = 1; /* compat32 joins them all: what is not read is -2 */
                continue;
            }
            struct sk_2231_sec x = {n, eq + 1, e};
            size_t k = nsec++;
            if (reading == SK_2231_ALL)
                for (; k > 0 && sk_2231_before(&x, &sec[k - 1]); k--)
                    sec[k] = sec[k - 1];
            else /* first of one number wins; order by number */
                for (; k > 0 && x.n < sec[k - 1].n; k--)
                    sec[k] = sec[k - 1];
            sec[k] = x;
        } else if (n < 0 && e == 0 && !plain) {
            plain = eq + 1;
        }
    }
    out[0] = '\0';
    if (ext) {
        sk_param_2231_put(ext, 1, 1, out, size, &o, cs, sizeof(cs));
    } else if (nsec && (reading == SK_2231_ALL || sec[0].n == 0)) {
        /* compat32: every section in order, across gaps, two of one number
         * both (the first present one's charset prefix counts);
         * policy.default: from *0 up to the first missing number, the
         * first of two (and RFC 2047 words in them decoded: the caller's) */
        for (size_t i = 0; i < nsec; i++) {
            if (reading != SK_2231_ALL && i && sec[i].n != sec[i - 1].n + 1) {
                if (sec[i].n == sec[i - 1].n)
                    continue;
                break;
            }
            sk_param_2231_put(sec[i].p, sec[i].enc, i == 0, out, size, &o, cs, sizeof(cs));
        }
    } else if (nsec) {
        /* policy.default without a *0: no name */
    } else if (plain) {
        sk_param_2231_put(plain, 0, 0, out, size, &o, NULL, 0);
    } else {
        return -1;
    }
    sk_param_2231_charset(cs, out, size, &o);
    return over ? -2 : 0;
}

int sk_header_param_ext(const char *value, const char *name, char *out, size_t size)
{
    return sk_header_param_2231(value, name, SK_2231_ALL, out, size);
}

/* Does C occur in V inside a quoted string (QUOTED 1) or outside one
 * (QUOTED 0)? A backslash escapes the next byte inside quotes. */
static int sk_param_has(const char *v, char c, int quoted)
{
    int q = 0;

    for (; *v; v++) {
        if (q && *v == '\\' && v[1])
            v++;
        else if (*v == '"')
            q = !q;
        else if (q == quoted && *v == c)
            return 1;
    }
    return 0;
}

int sk_header_param_named(const char *value, const char *prefix)
{
    size_t n = strlen(prefix);

    for (const char *p = value; (p = sk_param_next(p)) != NULL;) {
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        if (strncasecmp(p, prefix, n) == 0)
            return 1;
    }
    return 0;
}

int sk_mp_boundary(const char *ct, char *out, size_t size)
{
    char b[SK_MP_BOUNDARY_MAX + 2]; /* one more: a longer value is refused, not cut */

    if (!ct || size <= SK_MP_BOUNDARY_MAX)
        return -1;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    if (strncasecmp(ct, "multipart/", 10) != 0)
        return -1;
    /* RFC 2231 forms: Python's email reads them (and a part they bound),
     * web frameworks read no boundary (one text): two readings, as with
     * two different boundaries */
    /* so do a comment (policy.default reads ";(c) boundary=A", the others
     * no boundary), a value with text after it, and a value whose raw text
     * readers unquote differently (sk_param_value_odd: "a\\a", aa,bb, an
     * unclosed quote, "=?utf-8?q?aa?=", a control byte), and a quoted ';'
     * (aiohttp splits there) */
    /* (a comment is '(' outside quotes, which policy.default skips and
     * compat32 and web frameworks read as text; a quoted ';' separates
     * nothing for email, Django and Go, but aiohttp splits there, so
     * 'x="; boundary=A"; boundary=B' is A to it and B to the others) */
    if (sk_header_param_named(ct, "boundary*") || sk_param_has(ct, '(', 0) ||
        sk_param_has(ct, ';', 1))
        return -2;
    int odd = 0, rc = sk_header_param_odd(ct, "boundary", b, sizeof(b), &odd);
    if (rc != 0)
        return rc; /* -1 none, -2 two different ones */
    if (odd)
        return -2;
    /* a boundary never ends in white space (RFC 2046 bcharsnospace):
     * email's get_boundary() strips it, so the parts are found */
    for (size_t k = strlen(b); k && (b[k - 1] == ' ' || b[k - 1] == '\t');)
        b[--k] = '\0';
    if (!b[0] || strlen(b) > SK_MP_BOUNDARY_MAX)
        return -1;
    memcpy(out, b, strlen(b) + 1);
    return 0;
}

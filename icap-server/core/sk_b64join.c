/* sk_b64join.c - base64 string literals a script joins (sekisho/decode.h):
 * the pieces of a file a page assembles before atob() - an array joined,
 * variables added, .concat() - read as the one string they make.
 * SECURITY: client text, read once, left to right; the output is never
 * longer than the input (each literal costs two quotes, a group's '#' is
 * paid by its second literal's; a group that does not count is taken
 * back, its '#' with it).
 */
#include <pthread.h>
#include <string.h>

#include "sekisho/decode.h"
#include "sekisho/text.h"

/* 1 base64 digit (either alphabet) or '=', 2 a quote, 4 white space */
static unsigned char sk_bj_cls[256];

static void sk_bj_init(void)
{
    for (int c = 0; c < 256; c++)
        sk_bj_cls[c] = (unsigned char)((sk_b64_digit((unsigned char)c, 1) >= 0 || c == '=') |
                                       (c == '"' || c == '\'' || c == '`') << 1 |
                                       (c == ' ' || c == '\t' || c == '\r' || c == '\n') << 2);
}

/* The literal whose opening quote is at P[I]: its end (the closing quote)
 * and its digits, or 0 when the bytes after the quote are not only digits
 * up to a closing quote of the same kind (JSON's "\/" counts as '/'). */
static size_t sk_bj_literal(const unsigned char *p, size_t n, size_t i, size_t *digits)
{
    size_t k = i + 1, d = 0;

    while (k < n) {
        if (sk_bj_cls[p[k]] & 1)
            k++, d++;
        else if (p[k] == '\\' && k + 1 < n && p[k + 1] == '/')
            k += 2, d++;
        else
            break;
    }
    if (k >= n || p[k] != p[i] || d == 0)
        return 0;
    *digits = d;
    return k;
}

/* P[I..N) after a literal: does white space and then ':' follow (a key)? */
static int sk_bj_key(const unsigned char *p, size_t n, size_t i)
{
    while (i < n && (sk_bj_cls[p[i]] & 4))
        i++;
    return i < n && p[i] == ':';
}

size_t sk_b64_join_literals(const unsigned char *p, size_t n, size_t min, unsigned char *out)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    size_t o = 0, gstart = 0, glits = 0, gdigits = 0, last_end = 0, colon = 0;

    pthread_once(&once, sk_bj_init);
    for (size_t i = 0; i < n; i++) {
        unsigned cls = sk_bj_cls[p[i]];
        if (p[i] == ':')
            colon = i + 1; /* the last ':' seen, plus one */
        if (!(cls & 2))
            continue;
        size_t digits, end = sk_bj_literal(p, n, i, &digits);
        if (!end)
            continue; /* not a literal of digits: the next quote may open one */
        int key = sk_bj_key(p, n, end + 1);
        /* the group ends before this literal: a gap too long or with a ':',
         * or this literal is a key */
        if (glits && (key || i - last_end > SK_B64JOIN_GAP || colon > last_end)) {
            if (!(glits >= 2 && gdigits >= min))
                o = gstart;
            glits = gdigits = 0;
        }
        if (key) {
            i = end;
            continue;
        }
        if (!glits) { /* a group after one kept: '#' between them */
            gstart = o;
            if (o)
                out[o++] = '#';
        }
        for (size_t k = i + 1; k < end; k++)
            if (p[k] != '\\')
                out[o++] = p[k];
        glits++, gdigits += digits;
        last_end = end + 1;
        i = end;
    }
    if (glits && !(glits >= 2 && gdigits >= min))
        o = gstart;
    return o;
}

/* sk_numarray.c - arrays of byte values in text (sekisho/decode.h): a
 * program a page assembles from numbers instead of base64 (HTML smuggling
 * with new Uint8Array([77, 90, 144, ...]) or String.fromCharCode(88, 53,
 * ...)), a file in an API's JSON as a Node Buffer ({"type": "Buffer",
 * "data": [88, 53, ...]}).
 * SECURITY: client text, read once; the decoded bytes are never more than
 * half the run's length.
 */
#include "sekisho/decode.h"

static int sk_na_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int sk_na_word(unsigned char c)
{
    return sk_na_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '.' || c == '_';
}

static int sk_na_hex(unsigned char c)
{
    return sk_na_digit(c)                           ? c - '0'
           : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10
                                                    : -1;
}

/* The number 0-255 at P[J] (decimal, or 0x and one or two hex digits),
 * standing alone (no letter, digit, '.' or '_' after it): its end, its
 * value in *V; 0 when there is none. */
static size_t sk_na_num(const unsigned char *p, size_t n, size_t j, unsigned *v)
{
    size_t k = j;

    *v = 0;
    if (k + 2 < n && p[k] == '0' && (p[k + 1] | 0x20) == 'x' && sk_na_hex(p[k + 2]) >= 0) {
        k += 2;
        for (int d = 0; d < 2 && k < n && sk_na_hex(p[k]) >= 0; d++)
            *v = *v * 16 + (unsigned)sk_na_hex(p[k++]);
    } else {
        for (int d = 0; d < 3 && k < n && sk_na_digit(p[k]); d++)
            *v = *v * 10 + (unsigned)(p[k++] - '0');
    }
    if (k == j || *v > 255 || (k < n && sk_na_word(p[k])))
        return 0;
    return k;
}

static size_t sk_na_ws(const unsigned char *p, size_t n, size_t k)
{
    while (k < n && (p[k] == ' ' || p[k] == '\t' || p[k] == '\r' || p[k] == '\n'))
        k++;
    return k;
}

int sk_numarray_find(const unsigned char *p, size_t n, size_t *pos, size_t *start, size_t *end)
{
    for (size_t i = *pos; i < n;) {
        if (!sk_na_digit(p[i]) || (i > 0 && sk_na_word(p[i - 1]))) {
            i++;
            continue;
        }
        size_t j = i, last = i, count = 0, e;
        unsigned v;
        while ((e = sk_na_num(p, n, j, &v)) != 0) {
            count++, last = e;
            size_t k = sk_na_ws(p, n, e);
            if (k >= n || p[k] != ',')
                break;
            j = sk_na_ws(p, n, k + 1);
        }
        if (count >= SK_NUMARRAY_MIN) {
            *start = i, *end = last, *pos = last;
            return 1;
        }
        i = last > i ? last : i + 1;
    }
    *pos = n;
    return 0;
}

size_t sk_numarray_decode(const unsigned char *in, size_t n, unsigned char *out)
{
    size_t o = 0, j = 0, e;
    unsigned v;

    while (j < n && (e = sk_na_num(in, n, j, &v)) != 0) {
        out[o++] = (unsigned char)v;
        size_t k = sk_na_ws(in, n, e);
        if (k >= n || in[k] != ',')
            break;
        j = sk_na_ws(in, n, k + 1);
    }
    return o;
}

/* sk_dataurl.c - data: URLs whose data is percent-encoded (RFC 2397
 * without ";base64"; sekisho/decode.h). A page's script fetches such a URL
 * and saves the bytes (HTML smuggling without atob()): the file is in the
 * page only as %XX escapes, which no signature sees. Base64 data: URLs are
 * sk_b64run's. SECURITY: client-controlled text; linear in its length
 * (each byte is looked at a bounded number of times: a "data:" that is no
 * URL is passed over by its five bytes); nothing allocated.
 */
#include <string.h>
#include <strings.h>

#include "sekisho/decode.h"
#include "sekisho/text.h"

#define SK_DATAURL_TYPE_MAX 256 /* media type and parameters */

/* Does byte C end a URL in HTML, CSS or a script? */
static int sk_dataurl_stop(unsigned char c)
{
    return c <= ' ' || c == '"' || c == '\'' || c == '`' || c == '<' || c == '>' || c == ')' ||
           c == '\\' || c == 0x7f;
}

/* Media type characters (token, '/', ';', '=', '+', '.'; a quoted
 * parameter is no data URL a browser takes from a script either). */
static int sk_dataurl_type(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           strchr("/;=+-._!#$&^*~%", c) != NULL;
}

int sk_dataurl_find(const unsigned char *p, size_t n, size_t *pos, size_t *start, size_t *end)
{
    size_t i = *pos;

    while (i + 5 < n) {
        const unsigned char *d = memchr(p + i, ':', n - i);
        if (!d)
            break;
        size_t c = (size_t)(d - p); /* the colon */
        i = c + 1;
        if (c < 4 || strncasecmp((const char *)p + c - 4, "data", 4) != 0)
            continue;
        size_t t = c + 1, b64 = 0;
        while (t < n && t - c - 1 < SK_DATAURL_TYPE_MAX && sk_dataurl_type(p[t]))
            t++;
        if (t >= n || p[t] != ',')
            continue;
        for (size_t k = c + 1; k + 7 <= t; k++)
            if (strncasecmp((const char *)p + k, ";base64", 7) == 0)
                b64 = 1;
        size_t e = t + 1, esc = 0;
        while (e < n && !sk_dataurl_stop(p[e])) {
            if (p[e] == '%' && e + 2 < n && sk_hex_digit(p[e + 1]) >= 0 &&
                sk_hex_digit(p[e + 2]) >= 0)
                esc++;
            e++;
        }
        i = e;
        if (b64 || esc == 0)
            continue; /* base64 is sk_b64run's; without escapes it is text as it is */
        *start = t + 1;
        *end = e;
        *pos = e;
        return 1;
    }
    *pos = n;
    return 0;
}

size_t sk_dataurl_decode(const unsigned char *in, size_t n, unsigned char *out)
{
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (in[i] == '%' && i + 2 < n && (hi = sk_hex_digit(in[i + 1])) >= 0 &&
            (lo = sk_hex_digit(in[i + 2])) >= 0) {
            out[o++] = (unsigned char)(hi << 4 | lo);
            i += 2;
        } else {
            out[o++] = in[i];
        }
    }
    return o;
}

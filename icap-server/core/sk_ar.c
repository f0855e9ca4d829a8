/* sk_ar.c - ar archives (sekisho/decode.h): Debian packages (.deb),
 * static libraries. libclamav has no reader for them; dpkg-deb, ar, bsdtar
 * and 7-Zip extract their members.
 * SECURITY: client bytes. Every 60-byte member header must end in "`\n"
 * and give a decimal size; members are views into the caller's buffer
 * (nothing is copied or allocated), a member past the end is cut to what
 * is there. */
#include <stdio.h>
#include <string.h>

#include "sekisho/decode.h"

int sk_ar_is(const unsigned char *p, size_t n)
{
    return n >= 8 && memcmp(p, "!<arch>\n", 8) == 0;
}

/* The decimal size field (digits, then spaces): -1 when it is none. */
static int sk_ar_size(const unsigned char *f, uint64_t *size)
{
    size_t i = 0;

    *size = 0;
    for (; i < 10 && f[i] >= '0' && f[i] <= '9'; i++)
        *size = *size * 10 + (uint64_t)(f[i] - '0');
    if (i == 0)
        return -1;
    for (; i < 10; i++)
        if (f[i] != ' ')
            return -1;
    return 0;
}

int sk_ar_each(const unsigned char *p, size_t n, sk_ar_member_fn fn, void *arg)
{
    size_t at = 8;

    if (!sk_ar_is(p, n))
        return SK_AR_CORRUPT;
    while (at < n) {
        const unsigned char *h = p + at;
        char name[256];
        uint64_t size;
        size_t nl = 16;

        if (n - at == 1 && p[at] == '\n')
            break; /* the last member's padding */
        if (n - at < 60)
            return SK_AR_SHORT;
        if (h[58] != '`' || h[59] != '\n' || sk_ar_size(h + 48, &size) == -1)
            return SK_AR_CORRUPT;
        at += 60;
        size_t len = size < n - at ? (size_t)size : n - at;
        const unsigned char *d = p + at;
        while (nl > 0 && (h[nl - 1] == ' ' || (nl > 1 && h[nl - 1] == '/')))
            nl--;
        snprintf(name, sizeof(name), "%.*s", (int)nl, (const char *)h);
        if (memcmp(h, "#1/", 3) == 0) { /* BSD: the name opens the data */
            uint64_t bl = 0;
            for (size_t i = 3; i < 16 && h[i] >= '0' && h[i] <= '9'; i++)
                bl = bl * 10 + (uint64_t)(h[i] - '0');
            if (bl > size)
                return SK_AR_CORRUPT;
            size_t take = bl < len ? (size_t)bl : len;
            snprintf(name, sizeof(name), "%.*s", (int)(take < 255 ? take : 255), (const char *)d);
            d += take;
            len -= take;
        }
        if (fn(arg, name, d, len) == -1)
            return SK_AR_STOP;
        if (size > n - at)
            return SK_AR_SHORT;
        at += (size_t)size + (size & 1);
    }
    return SK_AR_OK;
}

/* sk_tar.c - streaming tar reader (sekisho/decode.h).
 * SECURITY: the archive is an untrusted download. Headers are fixed
 * 512-byte blocks whose checksum must verify; sizes are octal and bounded
 * (base-256 sizes, over 8 GiB, are refused); names are NUL-bounded copies
 * handed to the caller, which only compares them. Nothing is allocated. */
#include <stdio.h>
#include <string.h>

#include <sekisho/decode.h>

static uint64_t sk_tar_octal(const unsigned char *p, size_t n, int *bad)
{
    uint64_t v = 0;
    size_t i = 0;

    while (i < n && p[i] == ' ')
        i++;
    for (; i < n && p[i] >= '0' && p[i] <= '7'; i++) {
        if (v > (UINT64_MAX >> 3))
            *bad = 1;
        v = v * 8 + (uint64_t)(p[i] - '0');
    }
    if (i < n && p[i] != '\0' && p[i] != ' ')
        *bad = 1; /* base-256 and garbage alike */
    return v;
}

int sk_tar_header_ok(const unsigned char *h)
{
    uint64_t sum = 0, want;
    int bad = 0;

    for (int i = 0; i < 512; i++)
        sum += (i >= 148 && i < 156) ? ' ' : h[i];
    want = sk_tar_octal(h + 148, 8, &bad);
    return !bad && want == sum;
}

void sk_tar_init(struct sk_tar *t, const struct sk_tar_handler *h)
{
    memset(t, 0, sizeof(*t));
    t->h = *h;
}

static int sk_tar_fail(struct sk_tar *t, int rc)
{
    if (t->rc == SK_TAR_OK)
        t->rc = rc;
    return t->rc;
}

static int sk_tar_header(struct sk_tar *t)
{
    const unsigned char *h = t->hdr;
    char name[256 + 2];
    int bad = 0, i, want;

    for (i = 0; i < 512 && h[i] == 0; i++)
        ;
    if (i == 512) {
        t->ended = 1;
        return SK_TAR_OK;
    }
    if (!sk_tar_header_ok(h))
        return sk_tar_fail(t, SK_TAR_CORRUPT);
    t->left = sk_tar_octal(h + 124, 12, &bad);
    if (bad)
        return sk_tar_fail(t, SK_TAR_CORRUPT);
    t->pad = (512 - t->left % 512) % 512;
    if (memcmp(h + 257, "ustar", 5) == 0 && h[345])
        snprintf(name, sizeof(name), "%.155s/%.100s", (const char *)h + 345, (const char *)h);
    else
        snprintf(name, sizeof(name), "%.100s", (const char *)h);
    want = t->h.begin(t->h.arg, name, (char)h[156], t->left);
    if (want < 0)
        return sk_tar_fail(t, SK_TAR_STOP);
    t->reading = want == 1;
    if (t->reading && t->left == 0) {
        t->reading = 0;
        if (t->h.end(t->h.arg) < 0)
            return sk_tar_fail(t, SK_TAR_STOP);
    }
    return SK_TAR_OK;
}

int sk_tar_write(struct sk_tar *t, const void *buf, size_t len)
{
    const unsigned char *p = buf;

    while (len > 0 && t->rc == SK_TAR_OK && !t->ended) {
        size_t n;
        if (t->left > 0) {
            n = len < t->left ? len : (size_t)t->left;
            if (t->reading && t->h.data(t->h.arg, p, n) < 0)
                return sk_tar_fail(t, SK_TAR_STOP);
            t->left -= n;
            if (t->left == 0 && t->reading) {
                t->reading = 0;
                if (t->h.end(t->h.arg) < 0)
                    return sk_tar_fail(t, SK_TAR_STOP);
            }
        } else if (t->pad > 0) {
            n = len < t->pad ? len : (size_t)t->pad;
            t->pad -= n;
        } else {
            n = sizeof(t->hdr) - t->hlen < len ? sizeof(t->hdr) - t->hlen : len;
            memcpy(t->hdr + t->hlen, p, n);
            t->hlen += n;
            if (t->hlen == sizeof(t->hdr)) {
                t->hlen = 0;
                if (sk_tar_header(t) != SK_TAR_OK)
                    return t->rc;
            }
        }
        p += n;
        len -= n;
    }
    return t->rc; /* after the end block the rest (zero padding) is ignored */
}

int sk_tar_end(struct sk_tar *t)
{
    if (t->rc != SK_TAR_OK)
        return t->rc;
    return t->ended && !t->left && !t->hlen ? SK_TAR_OK : SK_TAR_SHORT;
}

/* sk_tar.c - streaming tar reader (sekisho/decode.h).
 * SECURITY: the archive is an untrusted download. Headers are fixed
 * 512-byte blocks whose checksum must verify; sizes are octal or GNU
 * base-256 (positive, below 2^63), or a pax `size` record of decimal
 * digits, as extractors read them: a reader that takes another size than
 * GNU tar, tarfile and bsdtar frames the entries after it otherwise and
 * misses what they extract. Pax records are parsed as they stream, each
 * checked against its declared length; a malformed one, a second size
 * before the entry it applies to, or a size in a global header (readers
 * disagree on what it applies to) is corrupt. Names are NUL-bounded
 * copies handed to the caller, which only compares them. Nothing is
 * allocated. */
#include <stdio.h>
#include <string.h>

#include <sekisho/decode.h>

/* Pax records: "LEN KEY=VALUE\n", LEN counting the whole record. */
enum { SK_PAX_LEN = 0, SK_PAX_KEY, SK_PAX_VAL };
#define SK_PAX_LEN_MAX  ((uint64_t)1 << 40)
#define SK_TAR_SIZE_MAX ((uint64_t)INT64_MAX)

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
        *bad = 1; /* garbage */
    return v;
}

/* A numeric field: octal, or GNU base-256 (0x80, then the number
 * big-endian; tarfile takes no bits from the first byte, GNU tar its low
 * six, zero here). Negative (0xff) and other marks are bad. *B256 is set
 * for a base-256 field. */
static uint64_t sk_tar_number(const unsigned char *p, size_t n, int *bad, int *b256)
{
    uint64_t v = 0;

    if (!(p[0] & 0x80))
        return sk_tar_octal(p, n, bad);
    *b256 = 1;
    if (p[0] != 0x80) {
        *bad = 1;
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if (v > (SK_TAR_SIZE_MAX >> 8)) {
            *bad = 1;
            return 0;
        }
        v = v << 8 | p[i];
    }
    return v;
}

int sk_tar_header_ok(const unsigned char *h)
{
    uint64_t sum = 0, want;
    int64_t ssum = 0;
    int bad = 0;

    for (int i = 0; i < 512; i++) {
        unsigned char c = (i >= 148 && i < 156) ? ' ' : h[i];
        sum += c;
        ssum += (signed char)c;
    }
    want = sk_tar_octal(h + 148, 8, &bad);
    return !bad && (want == sum || (ssum >= 0 && want == (uint64_t)ssum));
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

/* One complete record: only `size` matters (decimal digits, bounded). */
static int sk_tar_pax_record(struct sk_tar *t)
{
    uint64_t v = 0;

    if (t->pax_klen != 4 || memcmp(t->pax_key, "size", 4) != 0)
        return 0;
    if (t->pax == 'g' || t->pax_has_size || t->pax_vlen == 0 || t->pax_vlen > 19)
        return -1;
    for (size_t i = 0; i < t->pax_vlen; i++) {
        if (t->pax_val[i] < '0' || t->pax_val[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(t->pax_val[i] - '0');
    }
    if (v > SK_TAR_SIZE_MAX)
        return -1;
    t->pax_has_size = 1;
    t->pax_size = v;
    return 0;
}

/* Pax record bytes P[0..N): N, or the bytes before the one that makes a
 * record malformed (the caller hands those on and stops, so what the
 * handler gets does not depend on how the archive was cut). */
static size_t sk_tar_pax(struct sk_tar *t, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];

        t->pax_at++;
        switch (t->pax_state) {
        case SK_PAX_LEN:
            if (c >= '0' && c <= '9' && t->pax_len < SK_PAX_LEN_MAX) {
                t->pax_len = t->pax_len * 10 + (uint64_t)(c - '0');
                break;
            }
            if (c != ' ' || t->pax_at == 1 || t->pax_len == 0)
                return i;
            t->pax_state = SK_PAX_KEY;
            t->pax_klen = t->pax_vlen = 0;
            break;
        case SK_PAX_KEY:
            if (c == '=' && t->pax_klen > 0)
                t->pax_state = SK_PAX_VAL;
            else if (t->pax_klen++ < sizeof(t->pax_key))
                t->pax_key[t->pax_klen - 1] = (char)c;
            break;
        default:
            if (t->pax_at == t->pax_len) {
                if (c != '\n' || sk_tar_pax_record(t) == -1)
                    return i;
                t->pax_state = SK_PAX_LEN;
                t->pax_len = t->pax_at = 0;
                continue;
            }
            if (t->pax_vlen < sizeof(t->pax_val))
                t->pax_val[t->pax_vlen] = (char)c;
            t->pax_vlen++;
            break;
        }
        if (t->pax_state != SK_PAX_LEN && t->pax_at >= t->pax_len)
            return i; /* the record ends before its value does */
    }
    return n;
}

/* The size of the entry of header H: *ALT when it is not the octal field
 * a ustar-only reader takes. -1: a size that is none. */
static int sk_tar_size(struct sk_tar *t, const unsigned char *h, uint64_t *size, int *alt)
{
    int bad = 0, b256 = 0;
    char type = (char)h[156];
    uint64_t field = sk_tar_number(h + 124, 12, &bad, &b256);

    if (bad)
        return -1;
    *size = field;
    *alt = b256;
    /* a pax size is for the next entry that is no header of its own */
    if (t->pax_has_size && type != 'x' && type != 'X' && type != 'g' && type != 'L' &&
        type != 'K') {
        t->pax_has_size = 0;
        *alt = *alt || t->pax_size != field;
        *size = t->pax_size;
    }
    return 0;
}

/* The current entry's data ended: its end callback, and its pax records
 * must have ended with it. */
static int sk_tar_entry_done(struct sk_tar *t)
{
    if (t->reading) {
        t->reading = 0;
        if (t->h.end(t->h.arg) < 0)
            return sk_tar_fail(t, SK_TAR_STOP);
    }
    if (t->pax && (t->pax_state != SK_PAX_LEN || t->pax_at != 0))
        return sk_tar_fail(t, SK_TAR_CORRUPT);
    t->pax = 0;
    return SK_TAR_OK;
}

static int sk_tar_header(struct sk_tar *t)
{
    const unsigned char *h = t->hdr;
    char name[256 + 2];
    int i, want, alt;
    uint64_t size;

    for (i = 0; i < 512 && h[i] == 0; i++)
        ;
    if (i == 512) {
        t->ended = 1;
        return SK_TAR_OK;
    }
    if (!sk_tar_header_ok(h) || sk_tar_size(t, h, &size, &alt) == -1)
        return sk_tar_fail(t, SK_TAR_CORRUPT);
    t->left = size;
    t->pad = (512 - t->left % 512) % 512;
    t->alt_size = alt;
    t->alt_sized |= alt;
    t->pax = h[156] == 'x' || h[156] == 'X' || h[156] == 'g' ? h[156] : 0;
    t->pax_state = SK_PAX_LEN;
    t->pax_len = t->pax_at = 0;
    if (memcmp(h + 257, "ustar", 5) == 0 && h[345])
        snprintf(name, sizeof(name), "%.155s/%.100s", (const char *)h + 345, (const char *)h);
    else
        snprintf(name, sizeof(name), "%.100s", (const char *)h);
    want = t->h.begin(t->h.arg, name, (char)h[156], t->left);
    if (want < 0)
        return sk_tar_fail(t, SK_TAR_STOP);
    t->reading = want == 1;
    if (t->left == 0)
        return sk_tar_entry_done(t);
    return SK_TAR_OK;
}

int sk_tar_write(struct sk_tar *t, const void *buf, size_t len)
{
    const unsigned char *p = buf;

    while (len > 0 && t->rc == SK_TAR_OK && !t->ended) {
        size_t n;
        if (t->left > 0) {
            n = len < t->left ? len : (size_t)t->left;
            size_t ok = t->pax ? sk_tar_pax(t, p, n) : n;
            if (t->reading && ok > 0 && t->h.data(t->h.arg, p, ok) < 0)
                return sk_tar_fail(t, SK_TAR_STOP);
            if (ok < n)
                return sk_tar_fail(t, SK_TAR_CORRUPT);
            t->left -= n;
            if (t->left == 0 && sk_tar_entry_done(t) != SK_TAR_OK)
                return t->rc;
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

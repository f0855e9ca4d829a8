/* url_host.c - host normalisation: escapes, case, trailing dots, IDN to
 * punycode, the many spellings of an IPv4 address, IPv6 literals.
 * SECURITY: input is client-controlled; every exit is bounded or an error. */
#include <sekisho/text.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>

#include <sekisho/url.h>

#include "pdb_internal.h"

#define SK_HOST_IN_MAX  1024 /* before IDN mapping; DNS names are <= 253 */
#define SK_HOST_OUT_MAX 253

/* One IPv4 part as WHATWG reads it: 0x hex, leading-zero octal, decimal.
 * -1 when it is not a number (then the host is not an IPv4 address). */
static int sk_host_v4part(const char *s, size_t n, uint64_t *v)
{
    unsigned base = 10;

    *v = 0;
    if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
        n -= 2;
    } else if (n >= 2 && s[0] == '0') {
        base = 8;
        s++;
        n--;
    } else if (n == 0) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        int d = sk_hex_digit((unsigned char)s[i]);
        if (d < 0 || (unsigned)d >= base)
            return -1;
        *v = *v * base + (unsigned)d;
        if (*v > 0xFFFFFFFFull)
            return -1;
    }
    return 0;
}

/* Does the label L (LN bytes) look numeric (digits, or 0x + hex)? */
static int sk_label_numeric(const char *l, size_t ln)
{
    size_t i = 0;

    if (ln == 0)
        return 0;
    if (ln >= 2 && l[0] == '0' && (l[1] == 'x' || l[1] == 'X')) {
        for (i = 2; i < ln; i++)
            if (sk_hex_digit((unsigned char)l[i]) < 0)
                return 0;
        return 1;
    }
    for (; i < ln; i++)
        if (l[i] < '0' || l[i] > '9')
            return 0;
    return 1;
}

/* Does the last label look numeric? WHATWG then requires the whole host
 * to be an IPv4 address. */
static int sk_host_ends_in_number(const char *h, size_t n)
{
    const char *last = h + n;

    while (last > h && last[-1] != '.')
        last--;
    return sk_label_numeric(last, (size_t)(h + n - last));
}

/* Does every label look numeric ("1.2.3.4.5", "0x1.300")? */
static int sk_host_all_numeric(const char *h, size_t n)
{
    for (size_t i = 0, start = 0; i <= n; i++)
        if (i == n || h[i] == '.') {
            if (!sk_label_numeric(h + start, i - start))
                return 0;
            start = i + 1;
        }
    return 1;
}

/* 1..4 parts; all but the last <= 255, the last fills the rest. */
static int sk_host_ipv4(const char *h, size_t n, char *out, size_t size)
{
    uint64_t part[4], v;
    size_t np = 0, start = 0;
    uint32_t addr = 0;

    for (size_t i = 0; i <= n; i++) {
        if (i < n && h[i] != '.')
            continue;
        if (np == 4 || sk_host_v4part(h + start, i - start, &v) == -1)
            return -1;
        part[np++] = v;
        start = i + 1;
    }
    for (size_t i = 0; i + 1 < np; i++) {
        if (part[i] > 255)
            return -1;
        addr |= (uint32_t)part[i] << (24 - 8 * i);
    }
    if (part[np - 1] >= (1ull << (8 * (5 - np))))
        return -1;
    addr |= (uint32_t)part[np - 1];
    snprintf(out, size, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 255, (addr >> 8) & 255,
             addr & 255);
    return 0;
}

/* An IPv6 address that reaches an IPv4 one: IPv4-mapped (::ffff:a.b.c.d),
 * the NAT64 well-known prefix (64:ff9b::a.b.c.d, RFC 6052: an IPv6-only
 * proxy behind NAT64 reaches a.b.c.d through it) and IPv4-compatible
 * (::a.b.c.d, deprecated; not :: or ::1, whose first byte is 0). */
static int sk_host_v6_embeds_v4(const struct in6_addr *a)
{
    static const unsigned char nat64[12] = {0x00, 0x64, 0xff, 0x9b};
    static const unsigned char zero[12] = {0};

    return IN6_IS_ADDR_V4MAPPED(a) || memcmp(a->s6_addr, nat64, 12) == 0 ||
           (memcmp(a->s6_addr, zero, 12) == 0 && a->s6_addr[12] != 0);
}

/* Bracket contents (or a bare literal); an IPv4 address in it
 * (sk_host_v6_embeds_v4) becomes the dotted quad. */
static int sk_host_ipv6(const char *h, size_t n, char *out, size_t size, char **err)
{
    char tmp[INET6_ADDRSTRLEN + 1];
    struct in6_addr a;

    if (n >= sizeof(tmp) || memchr(h, '%', n) != NULL)
        return sk_pdb_errf(err, "invalid IPv6 address in host");
    memcpy(tmp, h, n);
    tmp[n] = '\0';
    if (inet_pton(AF_INET6, tmp, &a) != 1)
        return sk_pdb_errf(err, "invalid IPv6 address in host");
    if (sk_host_v6_embeds_v4(&a)) {
        snprintf(out, size, "%u.%u.%u.%u", a.s6_addr[12], a.s6_addr[13], a.s6_addr[14],
                 a.s6_addr[15]);
        return SK_URL_HOST_IPV4;
    }
    if (inet_ntop(AF_INET6, &a, out, (socklen_t)size) == NULL)
        return sk_pdb_errf(err, "invalid IPv6 address in host");
    return SK_URL_HOST_IPV6;
}

/* Percent-decode into OUT (SK_HOST_IN_MAX + 1); -1 on a bad byte. */
static int sk_host_decode(const char *in, size_t len, char *out, size_t *olen, int *nonascii)
{
    size_t o = 0;
    int hi, lo;

    *nonascii = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == '%') {
            if (i + 2 >= len || (hi = sk_hex_digit((unsigned char)in[i + 1])) < 0 ||
                (lo = sk_hex_digit((unsigned char)in[i + 2])) < 0)
                return -1;
            c = (unsigned char)(hi << 4 | lo);
            i += 2;
        }
        if (c <= 0x20 || c == 0x7f || strchr("/\\?#@:[]%<>^|", c) != NULL)
            return -1;
        if (c >= 0x80)
            *nonascii = 1;
        else if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        out[o++] = (char)c;
    }
    out[o] = '\0';
    *olen = o;
    return 0;
}

/* IDNA lookup (TR46 non-transitional, then transitional) into BUF. */
static int sk_host_idn(char *buf, size_t *len, char **err)
{
    uint8_t *res = NULL;
    size_t n;
    int rc;

    rc = idn2_lookup_u8((const uint8_t *)buf, &res, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
    if (rc != IDN2_OK)
        rc = idn2_lookup_u8((const uint8_t *)buf, &res, IDN2_NFC_INPUT | IDN2_TRANSITIONAL);
    if (rc != IDN2_OK)
        return sk_pdb_errf(err, "invalid internationalised host name (%s)", idn2_strerror(rc));
    n = strlen((const char *)res);
    if (n > SK_HOST_IN_MAX) {
        idn2_free(res);
        return sk_pdb_errf(err, "host name too long");
    }
    memcpy(buf, res, n + 1);
    idn2_free(res);
    *len = n;
    for (size_t i = 0; i < n; i++)
        if (buf[i] >= 'A' && buf[i] <= 'Z')
            buf[i] = (char)(buf[i] - 'A' + 'a');
    return 0;
}

/*
 * Dots after mapping: every trailing dot goes (an FQDN's root dot is the
 * same host; more than one resolves nowhere, so matching the name can only
 * over-block); an empty host or an empty label elsewhere (".a", "a..b") is
 * an error, since no resolver accepts it and a guess could be an allow.
 */
static int sk_host_dots(char *buf, size_t *len, char **err)
{
    size_t n = *len, label = 0;

    while (n > 0 && buf[n - 1] == '.')
        buf[--n] = '\0';
    *len = n;
    if (n == 0)
        return sk_pdb_errf(err, "empty host");
    for (size_t i = 0; i <= n; i++) {
        if (i < n && buf[i] != '.') {
            label++;
            continue;
        }
        if (label == 0)
            return sk_pdb_errf(err, "empty label in host");
        if (label > 63)
            return sk_pdb_errf(err, "host label longer than 63 bytes");
        label = 0;
    }
    return 0;
}

/*
 * Order matters and is the whole fix for mapping tricks: decode escapes,
 * map (UTS46: full-width and ideographic dots become '.', soft hyphens and
 * joiners vanish, full-width letters fold), THEN strip dots, check labels,
 * read IPv4 forms and validate the bytes. Whatever the mapping produced is
 * judged like a plain ASCII host, so "blocked.test\u3002" is blocked.test
 * and a host that maps to nothing or to '/' is an error, never an allow.
 */
int sk_url_host_normalize(const char *in, size_t len, char *out, size_t size, char **err)
{
    char buf[SK_HOST_IN_MAX + 1];
    size_t n;
    int nonascii;

    if (size < SK_HOST_OUT_MAX + 1)
        return sk_pdb_errf(err, "host buffer too small");
    if (len == 0)
        return sk_pdb_errf(err, "empty host");
    if (len > SK_HOST_IN_MAX)
        return sk_pdb_errf(err, "host name too long");
    if (in[0] == '[') {
        if (len < 2 || in[len - 1] != ']')
            return sk_pdb_errf(err, "unterminated IPv6 literal in host");
        return sk_host_ipv6(in + 1, len - 2, out, size, err);
    }
    if (memchr(in, ':', len) != NULL)
        return sk_host_ipv6(in, len, out, size, err);
    if (sk_host_decode(in, len, buf, &n, &nonascii) == -1)
        return sk_pdb_errf(err, "invalid character in host");
    if (nonascii && sk_host_idn(buf, &n, err) == -1)
        return -1;
    if (sk_host_dots(buf, &n, err) == -1)
        return -1;
    /* A host ending in a number is an IPv4 address when it reads as one;
     * one that does not is an error when all its labels are numbers
     * ("1.2.3.4.5", "10.0.0.256": readers disagree) and otherwise a DNS
     * name ("intranet.2024"): WHATWG refuses it, but Squid, curl and
     * Python resolve it, so it is the name they ask DNS for. */
    if (sk_host_ends_in_number(buf, n)) {
        if (sk_host_ipv4(buf, n, out, size) == 0)
            return SK_URL_HOST_IPV4;
        if (sk_host_all_numeric(buf, n))
            return sk_pdb_errf(err, "invalid IPv4 address in host");
    }
    if (n > SK_HOST_OUT_MAX)
        return sk_pdb_errf(err, "host name too long");
    for (size_t i = 0; i < n; i++) {
        char c = buf[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
            return sk_pdb_errf(err, "invalid character in host");
    }
    memcpy(out, buf, n + 1);
    return SK_URL_HOST_NAME;
}

/* url_parse.c - split a request target into scheme, authority, path and
 * query, and assemble the canonical string. SECURITY: input is
 * client-controlled (request line, Host header); overlong or malformed
 * input is an error for the caller's failure verdict, never a guess.
 *
 * WHATWG URL (what browsers send) is the reference; where we differ it is
 * on purpose, because the result is a policy key, not a fetchable URL:
 *  - every trailing dot is stripped ("a.test.." is a.test; WHATWG keeps
 *    them): a resolver reaches a.test or nothing, so matching a.test can
 *    only over-block. Empty labels elsewhere (".a", "a..b") are errors.
 *  - tab, CR, LF, space anywhere are errors (WHATWG deletes tab/CR/LF);
 *  - ZWJ/ZWNJ that make a label invalid for UTS46 non-transitional are
 *    mapped away by the transitional fallback (WHATWG: failure), so
 *    "blocked\u200d.test" is blocked.test;
 *  - an authority ended by '?', '#' or '\' followed by '@' before any '/'
 *    is an error (WHATWG takes the first host; Squid-like parsers the
 *    last), as are "http:host" / "http:///host" (WHATWG repairs them),
 *    unbracketed IPv6, port 0, label > 63 bytes, bytes outside
 *    [a-z0-9-_.] after mapping;
 *  - "1.2.3.4.." is 1.2.3.4 (WHATWG: a domain name).
 *  - non-ASCII labels go through libidn2 (UTS46 mapping + IDNA2008 rules),
 *    stricter than WHATWG: "bｂ-" or a leading hyphen is an error while
 *    WHATWG accepts it; when non-transitional processing refuses a name we
 *    retry transitional (ß becomes ss) where WHATWG would keep ß or fail.
 *  Checked against Node's WHATWG URL on 30000 generated hosts (dots, IDN
 *  dots, joiners, full-width, IPv4 forms, userinfo): no host that WHATWG
 *  reads as another name than ours, except the cases above.
 * Python's idna (IDNA 2008, no UTS46 mapping by default) refuses most of
 * what UTS46 maps; we follow UTS46 as browsers do. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sekisho/url.h>

#include "pdb_internal.h"
#include "url_internal.h"

struct sk_url_default_port {
    const char *scheme;
    unsigned port;
};

static const struct sk_url_default_port sk_url_ports[] = {{"http", 80}, {"https", 443}, {"ftp", 21},
                                                          {"ws", 80},   {"wss", 443},   {NULL, 0}};

static unsigned sk_url_default_port(const char *scheme)
{
    for (const struct sk_url_default_port *d = sk_url_ports; d->scheme != NULL; d++)
        if (strcmp(d->scheme, scheme) == 0)
            return d->port;
    return 0;
}

/* "scheme://" at the start of S: length of the scheme, else 0. */
static size_t sk_url_scheme_len(const char *s)
{
    size_t n = 0;

    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
        return 0;
    while ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
           (s[n] >= '0' && s[n] <= '9') || s[n] == '+' || s[n] == '-' || s[n] == '.')
        n++;
    return strncmp(s + n, "://", 3) == 0 ? n : 0;
}

/* Port digits (possibly empty: the default); 0, or -1 if invalid. */
static int sk_url_port(const char *p, size_t n, unsigned *port)
{
    unsigned long v = 0;

    *port = 0;
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        v = v * 10 + (unsigned long)(p[i] - '0');
        if (v > 65535)
            return -1;
    }
    if (v == 0)
        return -1;
    *port = (unsigned)v;
    return 0;
}

/* Authority A[0..N) without userinfo: host and port into OUT. */
static int sk_url_authority(const char *a, size_t n, struct sk_url *out, char **err)
{
    const char *at, *colon = NULL;
    size_t hlen;
    int type;

    /* Userinfo ends at the last '@' (a password may contain '@'). */
    for (at = a + n; at > a && at[-1] != '@'; at--)
        ;
    n -= (size_t)(at - a);
    a = at;
    if (n > 0 && a[0] == '[') {
        const char *close = memchr(a, ']', n);
        if (close == NULL)
            return sk_pdb_errf(err, "unterminated IPv6 literal in host");
        hlen = (size_t)(close - a) + 1;
        if (hlen < n && a[hlen] != ':')
            return sk_pdb_errf(err, "malformed authority after IPv6 literal");
        if (hlen < n)
            colon = a + hlen;
    } else {
        colon = memrchr(a, ':', n);
        hlen = colon != NULL ? (size_t)(colon - a) : n;
        /* "http://::1/" is no host at all for WHATWG and RFC 3986; reading
         * it as [::]:1 would be a guess. */
        if (memchr(a, ':', hlen) != NULL)
            return sk_pdb_errf(err, "IPv6 address without brackets");
    }
    if (colon != NULL && sk_url_port(colon + 1, n - hlen - 1, &out->port) == -1)
        return sk_pdb_errf(err, "invalid port");
    if ((type = sk_url_host_normalize(a, hlen, out->host, sizeof(out->host), err)) == -1)
        return -1;
    out->host_type = (enum sk_url_host_type)type;
    if (out->port == sk_url_default_port(out->scheme))
        out->port = 0;
    return 0;
}

/* Build buf = str NUL lower NUL path NUL [query NUL] from the parts. */
static int sk_url_assemble(struct sk_url *out, const char *path, size_t plen, const char *query,
                           size_t qlen, int has_query, char **err)
{
    size_t hlen = strlen(out->host), slen, fixed, off;
    char *buf, port[16] = "";
    int v6 = out->host_type == SK_URL_HOST_IPV6;

    if (out->port != 0)
        snprintf(port, sizeof(port), ":%u", out->port);
    fixed = strlen(out->scheme) + 3 + hlen + 2 + strlen(port);
    slen = fixed + plen + (has_query ? qlen + 1 : 0);
    if ((buf = malloc(3 * slen + 4)) == NULL)
        return sk_pdb_errf(err, "out of memory");
    off = (size_t)snprintf(buf, slen + 1, "%s://%s%s%s%s", out->scheme, v6 ? "[" : "", out->host,
                           v6 ? "]" : "", port);
    memcpy(buf + off, path, plen);
    off += plen;
    if (has_query) {
        buf[off++] = '?';
        memcpy(buf + off, query, qlen);
        off += qlen;
    }
    buf[off] = '\0';
    slen = off;
    out->buf = buf;
    out->str = buf;
    out->rest = buf + strlen(out->scheme) + 3;
    char *lower = buf + slen + 1;
    for (size_t i = 0; i <= slen; i++)
        lower[i] = buf[i] >= 'A' && buf[i] <= 'Z' ? (char)(buf[i] - 'A' + 'a') : buf[i];
    out->lower = lower;
    out->folded = lower + (out->rest - buf);
    char *p = lower + slen + 1;
    memcpy(p, path, plen);
    p[plen] = '\0';
    out->path = p;
    if (has_query) {
        memcpy(p + plen + 1, query, qlen);
        p[plen + 1 + qlen] = '\0';
        out->query = p + plen + 1;
    }
    return 0;
}

/* Path and query after the authority: normalise and assemble. */
static int sk_url_tail(struct sk_url *out, const char *t, char **err)
{
    size_t plen = strcspn(t, "?#"), qlen = 0;
    const char *q = NULL;
    char *pbuf, *qbuf = NULL;
    int rc = -1;

    if (t[plen] == '?') {
        q = t + plen + 1;
        qlen = strcspn(q, "#");
    }
    pbuf = malloc(5 * plen + 2);
    qbuf = malloc(3 * qlen + 1);
    if (pbuf == NULL || qbuf == NULL) {
        sk_pdb_errf(err, "out of memory");
        goto out;
    }
    plen = sk_url_path_norm(t, plen, pbuf);
    if (q != NULL)
        qlen = sk_url_query_norm(q, qlen, qbuf);
    /* an empty query ("/page?") names the resource without one: origins
     * serve /page for it, so it is /page to the rules */
    rc = sk_url_assemble(out, pbuf, plen, qbuf, qlen, q != NULL && qlen > 0, err);
out:
    free(pbuf);
    free(qbuf);
    return rc;
}

/*
 * T is what follows the authority. An '@' before the first '/' means the
 * authority ended at '?', '#' or '\\' with userinfo-looking text after it:
 * "http://allowed#@blocked.test/". We (and WHATWG) read host "allowed";
 * parsers that split at the first '/' and then at '@' (Squid's among them)
 * read "blocked.test". Two readings of one URL is an error, not a choice.
 */
static int sk_url_ambiguous(const char *t)
{
    size_t n = strcspn(t, "/");

    return *t != '/' && memchr(t, '@', n) != NULL;
}

static int sk_url_parse(const char *in, size_t len, int is_connect, struct sk_url *out, char **err)
{
    size_t slen, alen;
    const char *a;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c <= 0x20 || c == 0x7f)
            return sk_pdb_errf(err, "control character or space in URL");
    }
    if (is_connect) {
        strcpy(out->scheme, "https");
        if (strpbrk(in, "/?#\\@") != NULL)
            return sk_pdb_errf(err, "CONNECT target is not host:port");
        if (sk_url_authority(in, len, out, err) == -1)
            return -1;
        return sk_url_assemble(out, "/", 1, NULL, 0, 0, err);
    }
    if ((slen = sk_url_scheme_len(in)) > 0) {
        if (slen >= sizeof(out->scheme))
            return sk_pdb_errf(err, "URL scheme too long");
        for (size_t i = 0; i < slen; i++)
            out->scheme[i] = (char)(in[i] >= 'A' && in[i] <= 'Z' ? in[i] - 'A' + 'a' : in[i]);
        out->scheme[slen] = '\0';
        a = in + slen + 3;
    } else if (in[0] == '/' || in[0] == '*') {
        return sk_pdb_errf(err, "origin-form target without a Host header");
    } else {
        strcpy(out->scheme, "http");
        a = in;
    }
    alen = strcspn(a, "/?#\\");
    if (sk_url_ambiguous(a + alen))
        return sk_pdb_errf(err, "'@' after the authority ended at '%c'", a[alen]);
    if (sk_url_authority(a, alen, out, err) == -1)
        return -1;
    return sk_url_tail(out, a + alen, err);
}

int sk_url_normalize(const char *in, int is_connect, struct sk_url *out, char **err)
{
    size_t len;

    memset(out, 0, sizeof(*out));
    if (in == NULL)
        return sk_pdb_errf(err, "no URL");
    if ((len = strnlen(in, SK_URL_MAX + 1)) > SK_URL_MAX)
        return sk_pdb_errf(err, "URL longer than %d bytes", SK_URL_MAX);
    if (len == 0)
        return sk_pdb_errf(err, "empty URL");
    if (sk_url_parse(in, len, is_connect, out, err) == -1) {
        sk_url_free(out);
        return -1;
    }
    return 0;
}

int sk_url_normalize_request(const char *target, const char *host, int is_connect,
                             struct sk_url *out, char **err)
{
    char *abs;
    size_t hl, tl;
    int rc;

    if (is_connect || target == NULL || target[0] != '/')
        return sk_url_normalize(target, is_connect, out, err);
    memset(out, 0, sizeof(*out));
    if (host == NULL || host[0] == '\0')
        return sk_pdb_errf(err, "origin-form target without a Host header");
    hl = strnlen(host, SK_URL_MAX + 1);
    tl = strnlen(target, SK_URL_MAX + 1);
    if (hl + tl + 7 > SK_URL_MAX)
        return sk_pdb_errf(err, "URL longer than %d bytes", SK_URL_MAX);
    if (strpbrk(host, "/?#\\@") != NULL)
        return sk_pdb_errf(err, "invalid Host header");
    if ((abs = malloc(hl + tl + 8)) == NULL)
        return sk_pdb_errf(err, "out of memory");
    snprintf(abs, hl + tl + 8, "http://%s%s", host, target);
    rc = sk_url_normalize(abs, 0, out, err);
    free(abs);
    return rc;
}

const char *sk_url_string(const struct sk_url *u)
{
    return u->str;
}

void sk_url_free(struct sk_url *u)
{
    if (u == NULL)
        return;
    free(u->buf);
    u->buf = NULL;
    u->str = u->rest = u->lower = u->folded = u->path = u->query = NULL;
}

/* snap_resolve.c - which policy applies to a client: CIDR, user and group
 * scopes. SECURITY: client IP, user and groups come from ICAP headers the
 * proxy sets (client-controlled if the proxy is); parsing is bounded and
 * allocation-free on the request path. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "snap_internal.h"
#include "sekisho/text.h"

/* A DN's unescaped first value is at most this long (names are <= 256). */
#define SK_IDENT_NAME_MAX 1024

static char *sk_lower_dup(const char *s, size_t n)
{
    char *d = malloc(n + 1);

    if (d == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++)
        d[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
    d[n] = '\0';
    return d;
}

/* Split a name into domain and name parts without copying, except a DN's
 * value, which is unescaped into BUF (BSIZE bytes): "cn=Smith\, Bob,ou=x"
 * is "Smith, Bob" (RFC 4514). A value that does not read has length 0. */
static void sk_ident_split(const char *s, size_t n, const char **dom, size_t *dlen,
                           const char **name, size_t *nlen, char *buf, size_t bsize)
{
    const char *p;

    while (n > 0 && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    *dom = s;
    *dlen = 0;
    *name = s;
    *nlen = n;
    if (n > 8 && strncasecmp(s, "WinNT://", 8) == 0) {
        s += 8;
        n -= 8;
        if ((p = memrchr(s, '/', n)) != NULL) {
            *dom = s;
            *dlen = (size_t)(p - s);
            *name = p + 1;
            *nlen = n - *dlen - 1;
        } else {
            *name = s;
            *nlen = n;
        }
    } else if ((n > 3 && strncasecmp(s, "CN=", 3) == 0) ||
               (n > 4 && strncasecmp(s, "UID=", 4) == 0)) {
        /* a DN (a group, or a user as sk_ident_user keeps it): the first
         * RDN's value is the name, and a DN has no NT domain */
        size_t a = s[0] == 'c' || s[0] == 'C' ? 3 : 4;
        long v = sk_dn_value(s + a, n - a, buf, bsize, NULL);
        *name = buf;
        *nlen = v < 0 ? 0 : (size_t)v;
    } else if ((p = memchr(s, '\\', n)) != NULL) {
        *dlen = (size_t)(p - s);
        *name = p + 1;
        *nlen = n - *dlen - 1;
    } else if ((p = memrchr(s, '@', n)) != NULL) {
        *name = s;
        *nlen = (size_t)(p - s);
        *dom = p + 1;
        *dlen = n - *nlen - 1;
    }
}

int sk_ident_name_parse(const char *s, size_t len, struct sk_ident_name *out)
{
    const char *d, *nm;
    size_t dl, nl;
    char buf[SK_IDENT_NAME_MAX];

    memset(out, 0, sizeof(*out));
    sk_ident_split(s, len, &d, &dl, &nm, &nl, buf, sizeof(buf));
    if (nl == 0)
        return -1;
    out->domain = sk_lower_dup(d, dl);
    out->name = sk_lower_dup(nm, nl);
    if (out->domain == NULL || out->name == NULL) {
        sk_ident_name_free(out);
        return -1;
    }
    return 0;
}

void sk_ident_name_free(struct sk_ident_name *n)
{
    free(n->domain);
    free(n->name);
    n->domain = n->name = NULL;
}

/* Does the name S[0..N) (any accepted form) match one of SCOPES? */
static int sk_ident_match(const char *s, size_t n, const struct sk_ident_name *scopes, size_t ns)
{
    const char *d, *nm;
    size_t dl, nl;
    char buf[SK_IDENT_NAME_MAX];

    sk_ident_split(s, n, &d, &dl, &nm, &nl, buf, sizeof(buf));
    if (nl == 0)
        return 0;
    for (size_t i = 0; i < ns; i++) {
        const struct sk_ident_name *sc = &scopes[i];
        if (strlen(sc->name) != nl || strncasecmp(sc->name, nm, nl) != 0)
            continue;
        if (sc->domain[0] == '\0' ||
            (strlen(sc->domain) == dl && strncasecmp(sc->domain, d, dl) == 0))
            return 1;
    }
    return 0;
}

/* An "attr=value" piece other than CN= continues an LDAP DN that the
 * comma split cut: it is not a group of its own. */
static int sk_dn_continuation(const char *s, size_t n)
{
    size_t i = 0;

    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    size_t a = i;
    while (i < n && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
        i++;
    if (i == a || i >= n || s[i] != '=')
        return 0;
    return !(i - a == 2 && strncasecmp(s + a, "cn", 2) == 0);
}

static int sk_groups_match(const char *groups, const struct sk_ident_name *scopes, size_t ns)
{
    const char *p = groups;

    while (*p != '\0') {
        size_t n = strcspn(p, ",");
        if (n > 0 && !sk_dn_continuation(p, n) && sk_ident_match(p, n, scopes, ns))
            return 1;
        p += n;
        if (*p == ',')
            p++;
    }
    return 0;
}

static int sk_policy_matches(const struct sk_policy *p, const struct sk_who *who, int family,
                             const uint8_t *addr)
{
    if (family != 0)
        for (size_t i = 0; i < p->nips; i++)
            if (sk_cidr_match(&p->ips[i], family, addr))
                return 1;
    if (p->nusers > 0 && who->user != NULL &&
        sk_ident_match(who->user, strlen(who->user), p->users, p->nusers))
        return 1;
    if (p->ngroups > 0 && who->groups != NULL &&
        sk_groups_match(who->groups, p->groups, p->ngroups))
        return 1;
    return 0;
}

const struct sk_policy *sk_snapshot_resolve(const struct sk_snapshot *s, const struct sk_who *who)
{
    uint8_t addr[16];
    int family = 0;

    if (who != NULL && who->client_ip != NULL &&
        sk_ip_parse(who->client_ip, strlen(who->client_ip), &family, addr) == -1)
        family = 0;
    for (size_t i = 0; who != NULL && i < s->npol; i++) {
        const struct sk_policy *p = &s->pol[i];
        if (p == s->def || !p->enabled)
            continue;
        if (sk_policy_matches(p, who, family, addr))
            return p;
    }
    return s->def;
}

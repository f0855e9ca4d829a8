/* fuzz_url.c - libFuzzer target for the URL normaliser (policy-db/src/
 * url_*.c): request targets, CONNECT authorities, origin-form + Host, and
 * bare host names, all client bytes.
 * Oracles: the canonical form is a fixed point (normalise(normalise(x)) ==
 * normalise(x), up to SK_URL_MAX bytes), a host is never empty and holds only what a canonical
 * host may hold (no trailing or empty label), paths have no dot-segments
 * or empty segments, the lower-cased copy matches the string, and a
 * CONNECT authority reads as the same URL as https://authority/. */
#include <arpa/inet.h>
#include <string.h>

#include <sekisho/url.h>

#include "sk_fuzz.h"

/* Canonical host of TYPE: what every rule lookup relies on. */
static void sk_fuzz_host_ok(const char *h, int type)
{
    size_t n = strlen(h), label = 0;
    unsigned char a[16];

    SK_FUZZ_CHECK(n > 0, "empty host");
    if (type == SK_URL_HOST_IPV4) {
        SK_FUZZ_CHECK(inet_pton(AF_INET, h, a) == 1, "IPv4 host '%s'", h);
        return;
    }
    if (type == SK_URL_HOST_IPV6) {
        SK_FUZZ_CHECK(inet_pton(AF_INET6, h, a) == 1, "IPv6 host '%s'", h);
        return;
    }
    SK_FUZZ_CHECK(type == SK_URL_HOST_NAME, "host type %d", type);
    SK_FUZZ_CHECK(n <= 253, "host of %zu bytes", n);
    for (size_t i = 0; i <= n; i++) {
        if (i == n || h[i] == '.') {
            SK_FUZZ_CHECK(label > 0 && label <= 63, "empty or long label in '%s'", h);
            label = 0;
            continue;
        }
        SK_FUZZ_CHECK((h[i] >= 'a' && h[i] <= 'z') || (h[i] >= '0' && h[i] <= '9') || h[i] == '-' ||
                          h[i] == '_',
                      "byte 0x%02x in host '%s'", (unsigned char)h[i], h);
        label++;
    }
}

static void sk_fuzz_path_ok(const char *p)
{
    SK_FUZZ_CHECK(p[0] == '/', "path '%s'", p);
    SK_FUZZ_CHECK(strstr(p, "//") == NULL, "empty segment in '%s'", p);
    SK_FUZZ_CHECK(strstr(p, "/./") == NULL && strstr(p, "/../") == NULL, "dot-segment in '%s'", p);
    size_t n = strlen(p);
    SK_FUZZ_CHECK(!(n >= 2 && strcmp(p + n - 2, "/.") == 0) &&
                      !(n >= 3 && strcmp(p + n - 3, "/..") == 0),
                  "trailing dot-segment in '%s'", p);
}

/* U is a successful result: its invariants, then the fixed point. */
static void sk_fuzz_url_ok(const struct sk_url *u)
{
    struct sk_url again;
    char *err = NULL;
    size_t n = strlen(u->str);

    sk_fuzz_host_ok(u->host, (int)u->host_type);
    sk_fuzz_path_ok(u->path);
    SK_FUZZ_CHECK(strncmp(u->str, u->scheme, strlen(u->scheme)) == 0 &&
                      strncmp(u->str + strlen(u->scheme), "://", 3) == 0,
                  "'%s' does not start with its scheme", u->str);
    SK_FUZZ_CHECK(strlen(u->lower) == n, "lower-case copy of another length");
    for (size_t i = 0; i < n; i++) {
        char c = u->str[i];
        c = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
        SK_FUZZ_CHECK(u->lower[i] == c, "lower-case copy differs at %zu", i);
    }
    /* Escaping may triple a path: a canonical form over the input limit is
     * never parsed again (rules see it as is), so it has no fixed point. */
    if (n > SK_URL_MAX)
        return;
    SK_FUZZ_CHECK(sk_url_normalize(u->str, 0, &again, &err) == 0, "canonical '%s' is rejected: %s",
                  u->str, err ? err : "?");
    SK_FUZZ_CHECK(strcmp(again.str, u->str) == 0, "not a fixed point: '%s' -> '%s'", u->str,
                  again.str);
    SK_FUZZ_CHECK(again.host_type == u->host_type && again.port == u->port,
                  "host type or port changed for '%s'", u->str);
    sk_url_free(&again);
}

/* A CONNECT authority and the same authority in an https:// URL name
 * one host: a client must not get two readings by choosing the form. */
static void sk_fuzz_connect_same(const char *authority, const struct sk_url *u)
{
    size_t n = strlen(authority);
    char *abs = malloc(n + 10), *err = NULL;
    struct sk_url v;

    if (abs == NULL)
        return;
    snprintf(abs, n + 10, "https://%s/", authority);
    SK_FUZZ_CHECK(sk_url_normalize(abs, 0, &v, &err) == 0, "CONNECT '%s' ok, '%s' not: %s",
                  authority, abs, err ? err : "?");
    SK_FUZZ_CHECK(strcmp(v.str, u->str) == 0, "CONNECT '%s' is '%s', as a URL '%s'", authority,
                  u->str, v.str);
    sk_url_free(&v);
    free(abs);
}

static void sk_fuzz_host_only(const char *s)
{
    char out[256], out2[256], *err = NULL;
    int t, t2;

    if ((t = sk_url_host_normalize(s, strlen(s), out, sizeof(out), &err)) == -1) {
        SK_FUZZ_CHECK(err != NULL, "error without a reason");
        free(err);
        return;
    }
    sk_fuzz_host_ok(out, t);
    t2 = sk_url_host_normalize(out, strlen(out), out2, sizeof(out2), &err);
    SK_FUZZ_CHECK(t2 == t && strcmp(out, out2) == 0, "host not a fixed point: '%s' -> '%s'", out,
                  t2 == -1 ? err : out2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sk_url u;
    char *s, *err = NULL, *nl;
    int rc;

    if (size < 1 || (s = sk_fuzz_cstr(data + 1, size - 1)) == NULL)
        return 0;
    switch (data[0] & 3) {
    case 0:
        rc = sk_url_normalize(s, 0, &u, &err);
        break;
    case 1:
        rc = sk_url_normalize(s, 1, &u, &err);
        break;
    case 2: /* "target\nhost" as the request line and Host header */
        if ((nl = strchr(s, '\n')) != NULL)
            *nl++ = '\0';
        rc = sk_url_normalize_request(s, nl, 0, &u, &err);
        break;
    default:
        sk_fuzz_host_only(s);
        free(s);
        return 0;
    }
    if (rc == 0) {
        sk_fuzz_url_ok(&u);
        if ((data[0] & 3) == 1 && strlen(s) + 10 <= SK_URL_MAX)
            sk_fuzz_connect_same(s, &u);
        sk_url_free(&u);
    } else {
        SK_FUZZ_CHECK(rc == -1 && err != NULL, "rc %d without a reason", rc);
    }
    free(err);
    free(s);
    return 0;
}

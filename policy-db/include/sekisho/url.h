/* url.h - URL normalisation before policy matching: one canonical form for
 * every spelling of the same resource (evasion-proof), shared by the server
 * (url_block) and the CLI (`check`). Input is client-controlled. */
#ifndef SEKISHO_URL_H
#define SEKISHO_URL_H

/* SK_API marks what srv_sekisho.so exports to modules: the server is
 * built with hidden visibility, so anything without it stays internal. */
#ifndef SK_API
#define SK_API __attribute__((visibility("default")))
#endif

#include <stddef.h>

/* Longest URL accepted (bytes of input); longer is a failure verdict. */
#define SK_URL_MAX 8192

enum sk_url_host_type {
    SK_URL_HOST_NAME = 1, /* DNS name, lower-case, punycode (A-labels) */
    SK_URL_HOST_IPV4,     /* dotted quad */
    SK_URL_HOST_IPV6,     /* inet_ntop form, without brackets */
};

struct sk_url {
    char scheme[16]; /* lower-case: http, https, ftp, ... */
    char host[256];  /* see host_type; never empty */
    enum sk_url_host_type host_type;
    unsigned port;      /* 0 when the scheme's default port (stripped) */
    const char *path;   /* "/..." normalised; never empty */
    const char *query;  /* after '?', escapes normalised; NULL if none */
    const char *str;    /* canonical "scheme://host[:port]/path[?query]" */
    const char *rest;   /* str without "scheme://" (what rules match) */
    const char *lower;  /* str, ASCII lower-cased */
    const char *folded; /* rest, ASCII lower-cased (case-insensitive rules);
                         * the tail of lower */
    char *buf;          /* owns path, query, str, lower */
};

/*
 * Normalise IN into OUT. Accepted forms:
 *  - absolute "scheme://[userinfo@]host[:port][/path][?query][#frag]";
 *  - with IS_CONNECT, "host:port" (CONNECT authority); it becomes
 *    https://host[:port]/ (port stripped when 443);
 *  - "host[:port]/path" without a scheme, taken as http (CLI convenience).
 * Host: percent-escapes decoded, lower-cased, trailing dots stripped, IDN to
 * punycode (libidn2, TR46 non-transitional), IPv4 in decimal/octal/hex/
 * short forms to a dotted quad, bracketed IPv6 via inet_pton/inet_ntop
 * (IPv4-mapped addresses become the dotted quad). Port: default stripped.
 * Path: '\' read as '/', escapes of unreserved characters decoded, other
 * escapes upper-case hex, bytes outside the URL character set escaped,
 * repeated slashes collapsed, dot-segments resolved. Query: escapes
 * normalised as in the path, otherwise kept; an empty one ("?") dropped.
 * Userinfo and fragment dropped.
 * Returns 0 (free OUT with sk_url_free), or -1 with a malloc'd reason in
 * *ERR (caller frees; ERR may be NULL) for overlong (> SK_URL_MAX) or
 * malformed input: the caller applies the policy's failure verdict.
 */
SK_API int sk_url_normalize(const char *in, int is_connect, struct sk_url *out, char **err);

/*
 * The request target as the server sees it: absolute-form, CONNECT
 * authority-form, or origin-form ("/path") completed with HOST (the Host
 * header) as http://HOST/path. 0 or -1 with *err, as sk_url_normalize.
 */
SK_API int sk_url_normalize_request(const char *target, const char *host, int is_connect,
                                    struct sk_url *out, char **err);

/* Canonical string form, borrowed until sk_url_free(). */
SK_API const char *sk_url_string(const struct sk_url *);

/* Release what sk_url_normalize() allocated; safe on a zeroed struct. */
SK_API void sk_url_free(struct sk_url *);

/*
 * Normalise a host name alone (as above: escapes, case, trailing dots, IDN,
 * IPv4 forms, IPv6 with or without brackets) into OUT (SIZE >= 256).
 * Returns the host type, or -1 with *err.
 */
SK_API int sk_url_host_normalize(const char *in, size_t len, char *out, size_t size, char **err);

#endif

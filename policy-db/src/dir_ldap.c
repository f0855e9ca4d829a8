/* dir_ldap.c - a user's groups from an LDAP directory (OpenLDAP's libldap):
 * bind, find the user, walk nested groups (dir_nest.c), all inside one
 * time budget. SECURITY: the user name comes from an ICAP header (client
 * controlled): it only reaches LDAP escaped as a filter value. The bind
 * password is read from a file that must be private (0600/0400). */
#define LDAP_DEPRECATED 0
#include <errno.h>
#include <fcntl.h>
#include <lber.h>
#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sekisho/directory.h>

#include "pdb_internal.h"
#include "sekisho/text.h"

#define SK_DIR_PASSWORD_MAX 1024

int sk_dir_password_check(const char *path, char **err)
{
    struct stat st;

    if (path == NULL || path[0] != '/')
        return sk_pdb_errf(err, "password file %s: give an absolute path", path ? path : "");
    if (stat(path, &st) == -1)
        return sk_pdb_errf(err, "password file %s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return sk_pdb_errf(err, "password file %s: not a regular file", path);
    if ((st.st_mode & 077) != 0)
        return sk_pdb_errf(err,
                           "password file %s: mode %04o lets group or others read it;"
                           " chmod 600 (or 400) it",
                           path, (unsigned)(st.st_mode & 07777));
    return 0;
}

/* The password: the file's content without a trailing newline. Caller
 * frees cred->bv_val (zeroed first). */
static int sk_dir_password(const char *path, struct berval *cred, char **err)
{
    char *buf;
    ssize_t n;
    int fd;

    if (sk_dir_password_check(path, err) == -1)
        return -1;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
        return sk_pdb_errf(err, "password file %s: %s", path, strerror(errno));
    if ((buf = calloc(1, SK_DIR_PASSWORD_MAX + 1)) == NULL) {
        close(fd);
        return sk_pdb_errf(err, "out of memory");
    }
    n = read(fd, buf, SK_DIR_PASSWORD_MAX + 1);
    close(fd);
    if (n < 0 || n > SK_DIR_PASSWORD_MAX) {
        free(buf);
        return sk_pdb_errf(err, "password file %s: %s", path,
                           n < 0 ? strerror(errno) : "longer than 1024 bytes");
    }
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    cred->bv_val = buf;
    cred->bv_len = (ber_len_t)n;
    return 0;
}

struct sk_dir_conn {
    const struct sk_directory *d;
    LDAP *ld;
    struct timespec deadline;
};

/* Time left before the deadline; -1 when it has passed. */
static int sk_dir_left(const struct sk_dir_conn *c, struct timeval *tv)
{
    struct timespec now;
    long long ms;

    clock_gettime(CLOCK_MONOTONIC, &now);
    ms = (long long)(c->deadline.tv_sec - now.tv_sec) * 1000 +
         (c->deadline.tv_nsec - now.tv_nsec) / 1000000;
    if (ms <= 0)
        return -1;
    tv->tv_sec = (time_t)(ms / 1000);
    tv->tv_usec = (suseconds_t)(ms % 1000) * 1000;
    return 0;
}

static int sk_dir_ldap_err(const struct sk_dir_conn *c, const char *what, int rc, char **err)
{
    return sk_pdb_errf(err, "directory %s: %s: %s", c->d->name, what,
                       rc == LDAP_TIMEOUT ? "timed out" : ldap_err2string(rc));
}

/* What to search: BASE with SCOPE (NULL: the directory's base, subtree). */
struct sk_dir_query {
    const char *base, *filter;
    int scope, memberof, sizelimit;
};

/* Run Q (no attributes unless MEMBEROF); the DNs of the entries into DNS
 * and, when MEMBEROF, their memberOf values too. The number of entries,
 * or -1. LDAP_SIZELIMIT_EXCEEDED is not an error: the entries up to the
 * limit are counted, and a caller that needs one entry asks for two. */
static int sk_dir_search(struct sk_dir_conn *c, const struct sk_dir_query *q,
                         struct sk_dir_dns *dns, char **err)
{
    char *attrs_none[] = {LDAP_NO_ATTRS, NULL}, *attrs_mo[] = {"memberOf", NULL};
    LDAPMessage *res = NULL;
    struct timeval tv;
    int rc, out = -1, n = 0;

    if (sk_dir_left(c, &tv) == -1)
        return sk_dir_ldap_err(c, "search", LDAP_TIMEOUT, err);
    rc = ldap_search_ext_s(
        c->ld, q->base ? q->base : c->d->base, q->base ? q->scope : LDAP_SCOPE_SUBTREE, q->filter,
        q->memberof ? attrs_mo : attrs_none, 0, NULL, NULL, &tv, q->sizelimit, &res);
    if (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED && rc != LDAP_NO_SUCH_OBJECT) {
        sk_dir_ldap_err(c, "search", rc, err);
        goto out;
    }
    for (LDAPMessage *e = ldap_first_entry(c->ld, res); e; e = ldap_next_entry(c->ld, e), n++) {
        char *dn = ldap_get_dn(c->ld, e);
        int bad = dn == NULL || sk_dir_dns_add(dns, dn) == -1;
        ldap_memfree(dn);
        if (bad)
            goto oom;
        struct berval **vals = q->memberof ? ldap_get_values_len(c->ld, e, "memberOf") : NULL;
        for (int i = 0; vals != NULL && vals[i] != NULL; i++)
            if (vals[i]->bv_len > 0 && memchr(vals[i]->bv_val, '\0', vals[i]->bv_len) == NULL &&
                sk_dir_dns_add(dns, vals[i]->bv_val) == -1)
                bad = 1;
        ldap_value_free_len(vals);
        if (bad)
            goto oom;
    }
    out = n;
    goto out;
oom:
    sk_pdb_errf(err, "out of memory");
out:
    ldap_msgfree(res);
    return out;
}

/* "(|(a=V)(b=V)...)" for each attribute of the space-separated ATTRS, V
 * escaped (RFC 4515). Caller frees. */
static char *sk_dir_filter(const char *attrs, const char *value)
{
    struct berval in = {.bv_len = strlen(value), .bv_val = (char *)value}, esc = {0};
    struct sk_buf f = {0};

    if (ldap_bv2escaped_filter_value(&in, &esc) != 0)
        return NULL;
    sk_buf_puts(&f, "(|");
    for (const char *p = attrs; *p != '\0';) {
        size_t n = strcspn(p, " ");
        if (n > 0)
            sk_buf_printf(&f, "(%.*s=%s)", (int)n, p, esc.bv_val);
        p += n;
        p += *p == ' ';
    }
    sk_buf_puts(&f, ")");
    ber_memfree(esc.bv_val);
    if (f.failed) {
        sk_buf_free(&f);
        return NULL;
    }
    return f.data;
}

static int sk_dir_parents(void *ctx, const char *dn, struct sk_dir_dns *out, char **err)
{
    struct sk_dir_conn *c = ctx;
    struct sk_dir_query q = {.filter = sk_dir_filter(c->d->group_attrs, dn)};
    int rc;

    if (q.filter == NULL)
        return sk_pdb_errf(err, "out of memory");
    rc = sk_dir_search(c, &q, out, err);
    free((char *)q.filter);
    return rc == -1 ? -1 : 0;
}

static int sk_dir_connect(struct sk_dir_conn *c, char **err)
{
    struct berval cred = {0};
    struct timeval tv;
    LDAPMessage *res = NULL;
    int v3 = LDAP_VERSION3, rc, msgid = -1, nuris = 1;
    long long share;

    if (sk_dir_password(c->d->password_file, &cred, err) == -1)
        return -1;
    rc = ldap_initialize(&c->ld, c->d->uris);
    if (rc != LDAP_SUCCESS) {
        sk_dir_ldap_err(c, "bad URI list", rc, err);
        goto out;
    }
    if (sk_dir_left(c, &tv) == -1) {
        rc = sk_dir_ldap_err(c, "connect", LDAP_TIMEOUT, err);
        goto out;
    }
    /* libldap tries the URIs in order, each connect bounded by the
     * network timeout: each gets an equal share of the budget, so a
     * black-holed first server leaves time for the next one and the sum
     * stays within it. */
    for (const char *p = c->d->uris; *p; p++)
        nuris += *p == ' ';
    share = ((long long)tv.tv_sec * 1000000 + tv.tv_usec) / nuris;
    tv.tv_sec = (time_t)(share / 1000000);
    tv.tv_usec = (suseconds_t)(share % 1000000);
    ldap_set_option(c->ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
    ldap_set_option(c->ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
    ldap_set_option(c->ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
    /* connect happens here; the answer is awaited with what is left */
    rc = ldap_sasl_bind(c->ld, c->d->bind_dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, &msgid);
    if (rc != LDAP_SUCCESS) {
        sk_dir_ldap_err(c, "connect", rc, err);
        goto out;
    }
    if (sk_dir_left(c, &tv) == -1) {
        rc = sk_dir_ldap_err(c, "bind", LDAP_TIMEOUT, err);
        goto out;
    }
    switch (ldap_result(c->ld, msgid, LDAP_MSG_ALL, &tv, &res)) {
    case 0:
        rc = sk_dir_ldap_err(c, "bind", LDAP_TIMEOUT, err);
        goto out;
    case -1:
        ldap_get_option(c->ld, LDAP_OPT_RESULT_CODE, &rc);
        sk_dir_ldap_err(c, "bind", rc == LDAP_SUCCESS ? LDAP_OTHER : rc, err);
        rc = -1;
        goto out;
    }
    if (ldap_parse_result(c->ld, res, &rc, NULL, NULL, NULL, NULL, 1) != LDAP_SUCCESS)
        rc = LDAP_OTHER;
    res = NULL;
    if (rc != LDAP_SUCCESS)
        sk_dir_ldap_err(c, "bind", rc, err);
out:
    ldap_msgfree(res);
    if (cred.bv_val != NULL) {
        explicit_bzero(cred.bv_val, cred.bv_len);
        free(cred.bv_val);
    }
    return rc == LDAP_SUCCESS ? 0 : -1;
}

/* The filter that finds NAME's entry (see sk_dir_lookup). Caller frees. */
static char *sk_dir_user_filter(const struct sk_dir_name *name)
{
    char upn[520], *f1 = NULL, *f2 = NULL, *filter = NULL;

    f1 = sk_dir_filter("uid sAMAccountName", name->local);
    switch (name->kind) {
    case SK_DIRN_BARE:
        f2 = sk_dir_filter("userPrincipalName", name->local);
        break;
    case SK_DIRN_REALM:
        snprintf(upn, sizeof(upn), "%s@%s", name->local, name->domain);
        f2 = sk_dir_filter("userPrincipalName", upn);
        break;
    case SK_DIRN_NETBIOS: /* a UPN never holds a backslash */
    case SK_DIRN_DN:
        f2 = strdup("");
        break;
    }
    if (f1 && f2 && (filter = malloc(strlen(f1) + strlen(f2) + 4)) != NULL)
        sprintf(filter, "(|%s%s)", f1, f2);
    free(f1);
    free(f2);
    return filter;
}

/* NAME's entry and its direct groups (memberOf) into DNS: DNS[0] is the
 * user. Asks for two entries and takes exactly one: with two (the same
 * sAMAccountName in two domains of a forest-wide base, uid=alice in two
 * OUs) the server's first would decide whose groups apply. */
static int sk_dir_find_user(struct sk_dir_conn *c, const struct sk_dir_name *name,
                            struct sk_dir_dns *dns, enum sk_dir_outcome *outcome, char **err)
{
    struct sk_dir_query q = {.memberof = 1, .sizelimit = 2};
    int n;

    if (name->kind == SK_DIRN_DN) {
        q.base = name->local;
        q.scope = LDAP_SCOPE_BASE;
        q.filter = strdup("(objectClass=*)");
    } else {
        q.filter = sk_dir_user_filter(name);
    }
    if (q.filter == NULL)
        return sk_pdb_errf(err, "out of memory");
    n = sk_dir_search(c, &q, dns, err);
    free((char *)q.filter);
    if (n == -1)
        return -1;
    *outcome = n == 1 ? SK_DIR_FOUND : n == 0 ? SK_DIR_UNKNOWN : SK_DIR_AMBIGUOUS;
    return 0;
}

int sk_dir_lookup(const struct sk_directory *d, const char *user, unsigned timeout_ms,
                  struct sk_buf *out, enum sk_dir_outcome *outcome, char **err)
{
    struct sk_dir_conn c = {.d = d};
    struct sk_dir_dns dns = {0}, groups = {0};
    struct sk_dir_name name;
    int rc = -1;

    *outcome = SK_DIR_UNKNOWN;
    if (sk_dir_name_parse(user, &name) == -1)
        return 0;
    if (!sk_dir_serves(d, &name)) {
        *outcome = SK_DIR_NOT_SERVED;
        return 0;
    }
    clock_gettime(CLOCK_MONOTONIC, &c.deadline);
    c.deadline.tv_sec += timeout_ms / 1000;
    c.deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
    if (c.deadline.tv_nsec >= 1000000000) {
        c.deadline.tv_sec++;
        c.deadline.tv_nsec -= 1000000000;
    }
    if (sk_dir_connect(&c, err) == -1)
        goto out;
    if (sk_dir_find_user(&c, &name, &dns, outcome, err) == -1)
        goto out;
    if (*outcome != SK_DIR_FOUND) {
        rc = 0;
        goto out;
    }
    /* dns = user DN, then memberOf values: the user DN seeds the walk (its
     * parents are its direct groups), memberOf ones are direct groups. */
    for (size_t i = 0; i < dns.n; i++)
        if (sk_dir_dns_add(&groups, dns.v[i]) == -1) {
            sk_pdb_errf(err, "out of memory");
            goto out;
        }
    if (sk_dir_nest(&groups, sk_dir_parents, &c, err) == -1)
        goto out;
    for (size_t i = 1; i < groups.n; i++) /* [0] is the user */
        sk_dir_dn_name(groups.v[i], out);
    rc = 0;
out:
    if (c.ld != NULL)
        ldap_unbind_ext_s(c.ld, NULL, NULL);
    sk_dir_dns_free(&dns);
    sk_dir_dns_free(&groups);
    return rc;
}

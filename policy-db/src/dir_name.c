/* dir_name.c - which directory may answer for a user name: the name's
 * domain (NetBIOS, realm, DN tree) against the domains a directory
 * serves. No network here (unit-tested). SECURITY: the user name comes
 * from an ICAP header (client controlled): a name whose domain is not a
 * directory's must never reach that directory as a bare account name,
 * or another domain's account of the same name gets its groups. */
#define LDAP_DEPRECATED 0
#include <ctype.h>
#include <ldap.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sekisho/directory.h>

#include "sekisho/text.h"

/* USER after "LDAP://host[:port]/", when it starts so. */
static const char *sk_dir_strip_ldap_url(const char *user)
{
    const char *slash;

    if (strncasecmp(user, "LDAP://", 7) != 0 || (slash = strchr(user + 7, '/')) == NULL)
        return user;
    return slash + 1;
}

/* Does S start with "attr=" (an LDAP attribute name, then '=')? */
static int sk_dir_looks_dn(const char *s)
{
    size_t i = 0;

    if (!isalpha((unsigned char)s[0]))
        return 0;
    while (isalnum((unsigned char)s[i]) || s[i] == '-')
        i++;
    return s[i] == '=';
}

static int sk_dir_dn_parses(const char *s)
{
    LDAPDN dn = NULL;

    if (ldap_str2dn(s, &dn, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS || dn == NULL)
        return 0;
    ldap_dnfree(dn);
    return 1;
}

int sk_dir_name_parse(const char *user, struct sk_dir_name *out)
{
    const char *sep;
    size_t dl;

    memset(out, 0, sizeof(*out));
    if (user == NULL || user[0] == '\0' || strlen(user) >= sizeof(out->local))
        return -1;
    if (strncasecmp(user, "WinNT://", 8) == 0) { /* as sk_ident_user reads it */
        user += 8;
        if ((sep = strchr(user, '/')) == NULL)
            goto bare;
        out->kind = SK_DIRN_NETBIOS;
    } else if (sk_dir_looks_dn(sk_dir_strip_ldap_url(user))) {
        user = sk_dir_strip_ldap_url(user);
        if (!sk_dir_dn_parses(user))
            return -1;
        out->kind = SK_DIRN_DN;
        snprintf(out->local, sizeof(out->local), "%s", user);
        return 0;
    } else if ((sep = strchr(user, '\\')) != NULL) {
        out->kind = SK_DIRN_NETBIOS;
    } else if ((sep = strrchr(user, '@')) != NULL) {
        out->kind = SK_DIRN_REALM;
    } else {
        goto bare;
    }
    dl = (size_t)(sep - user);
    if (dl == 0 || sep[1] == '\0' || strpbrk(sep + 1, "\\/@") != NULL ||
        memchr(user, '@', dl) != NULL)
        return -1;
    if (out->kind == SK_DIRN_REALM) {
        snprintf(out->domain, sizeof(out->domain), "%s", sep + 1);
        snprintf(out->local, sizeof(out->local), "%.*s", (int)dl, user);
    } else {
        snprintf(out->domain, sizeof(out->domain), "%.*s", (int)dl, user);
        snprintf(out->local, sizeof(out->local), "%s", sep + 1);
    }
    return 0;
bare:
    out->kind = SK_DIRN_BARE;
    snprintf(out->local, sizeof(out->local), "%s", user);
    return 0;
}

void sk_dir_base_domains(const char *base, struct sk_buf *domains, struct sk_buf *realms)
{
    LDAPDN dn = NULL;
    struct sk_buf realm = {0};
    const char *first = NULL;
    size_t first_len = 0;

    if (base == NULL || base[0] == '\0' ||
        ldap_str2dn(base, &dn, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS || dn == NULL)
        return;
    for (int i = 0; dn[i] != NULL; i++) {
        LDAPAVA *ava = dn[i][0];
        if (dn[i][1] != NULL || ava->la_attr.bv_len != 2 ||
            strncasecmp(ava->la_attr.bv_val, "dc", 2) != 0 || ava->la_value.bv_len == 0)
            continue;
        if (first == NULL) {
            first = ava->la_value.bv_val;
            first_len = ava->la_value.bv_len;
        }
        if (realm.len > 0)
            sk_buf_puts(&realm, ".");
        for (size_t k = 0; k < ava->la_value.bv_len; k++)
            sk_buf_append(&realm, &(char){(char)tolower((unsigned char)ava->la_value.bv_val[k])},
                          1);
    }
    if (first != NULL && !realm.failed) {
        if (domains->len > 0)
            sk_buf_puts(domains, " ");
        for (size_t k = 0; k < first_len; k++)
            sk_buf_append(domains, &(char){(char)toupper((unsigned char)first[k])}, 1);
        if (realms->len > 0)
            sk_buf_puts(realms, " ");
        sk_buf_append(realms, realm.data, realm.len);
    }
    sk_buf_free(&realm);
    ldap_dnfree(dn);
}

/* Is WORD one of the space-separated LIST, case-insensitively? */
static int sk_dir_word_in(const char *list, const char *word)
{
    size_t wl = strlen(word);

    for (const char *p = list; p != NULL && *p != '\0';) {
        size_t n = strcspn(p, " ");
        if (n == wl && strncasecmp(p, word, n) == 0)
            return 1;
        p += n;
        p += *p == ' ';
    }
    return 0;
}

static int sk_dir_ava_eq(const LDAPAVA *a, const LDAPAVA *b)
{
    return a->la_attr.bv_len == b->la_attr.bv_len &&
           strncasecmp(a->la_attr.bv_val, b->la_attr.bv_val, a->la_attr.bv_len) == 0 &&
           a->la_value.bv_len == b->la_value.bv_len &&
           strncasecmp(a->la_value.bv_val, b->la_value.bv_val, a->la_value.bv_len) == 0;
}

/* Is BASE the parent of DN or an ancestor of it? Attribute names and
 * values compare case-insensitively (the directory's own matching rule
 * for dc/ou/cn/o); a multi-valued RDN must match AVA for AVA in order. */
static int sk_dir_dn_under(const char *dn_s, const char *base_s)
{
    LDAPDN dn = NULL, base = NULL;
    int nd = 0, nb = 0, under = 0;

    if (base_s[0] == '\0')
        return 1; /* the whole forest (Global Catalog) */
    if (ldap_str2dn(dn_s, &dn, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS ||
        ldap_str2dn(base_s, &base, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS || dn == NULL ||
        base == NULL)
        goto out;
    while (dn[nd] != NULL)
        nd++;
    while (base[nb] != NULL)
        nb++;
    if (nd <= nb)
        goto out;
    under = 1;
    for (int i = 1; i <= nb && under; i++) {
        LDAPRDN a = dn[nd - i], b = base[nb - i];
        int k = 0;
        for (; a[k] != NULL && b[k] != NULL; k++)
            if (!sk_dir_ava_eq(a[k], b[k]))
                break;
        under = a[k] == NULL && b[k] == NULL;
    }
out:
    if (dn != NULL)
        ldap_dnfree(dn);
    if (base != NULL)
        ldap_dnfree(base);
    return under;
}

int sk_dir_serves(const struct sk_directory *d, const struct sk_dir_name *name)
{
    switch (name->kind) {
    case SK_DIRN_BARE:
        return 1;
    case SK_DIRN_NETBIOS:
    case SK_DIRN_REALM:
        return sk_dir_word_in(d->domains, name->domain) || sk_dir_word_in(d->realms, name->domain);
    case SK_DIRN_DN:
        return sk_dir_dn_under(name->local, d->base);
    }
    return 0;
}

/* dir_nest.c - nested directory groups: the breadth-first walk with its
 * depth/size bounds and cycle protection, and DN -> group name. No LDAP
 * here (unit-tested with a fake directory). Trust: DNs come from the
 * directory server, which is trusted to answer, not to be well-formed. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sekisho/directory.h>

#include "sekisho/text.h"

int sk_dir_dns_add(struct sk_dir_dns *s, const char *dn)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcasecmp(s->v[i], dn) == 0)
            return 0;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        char **v = realloc(s->v, cap * sizeof(*v));
        if (v == NULL)
            return -1;
        s->v = v;
        s->cap = cap;
    }
    if ((s->v[s->n] = strdup(dn)) == NULL)
        return -1;
    s->n++;
    return 1;
}

void sk_dir_dns_free(struct sk_dir_dns *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof(*s));
}

int sk_dir_nest(struct sk_dir_dns *groups, sk_dir_parents_fn fn, void *ctx, char **err)
{
    size_t from = 0; /* groups[from..to) is the level being expanded */
    int rc = 0;

    if (groups->n > SK_DIR_MAX_GROUPS) {
        for (size_t i = SK_DIR_MAX_GROUPS; i < groups->n; i++)
            free(groups->v[i]);
        groups->n = SK_DIR_MAX_GROUPS;
    }
    for (unsigned depth = 0; depth < SK_DIR_MAX_DEPTH && from < groups->n; depth++) {
        size_t to = groups->n;
        for (size_t i = from; i < to && groups->n < SK_DIR_MAX_GROUPS; i++) {
            struct sk_dir_dns parents = {0};
            if (fn(ctx, groups->v[i], &parents, err) == -1) {
                sk_dir_dns_free(&parents);
                return -1;
            }
            for (size_t k = 0; k < parents.n && groups->n < SK_DIR_MAX_GROUPS && rc == 0; k++)
                if (sk_dir_dns_add(groups, parents.v[k]) == -1)
                    rc = -1;
            sk_dir_dns_free(&parents);
            if (rc == -1) {
                if (err != NULL && *err == NULL)
                    *err = strdup("out of memory resolving nested groups");
                return -1;
            }
        }
        from = to;
    }
    return 0;
}

void sk_dir_dn_name(const char *dn, struct sk_buf *out)
{
    const char *eq = strchr(dn, '=');
    char name[256];
    size_t n = 0;

    if (eq == NULL)
        return;
    for (const char *p = eq + 1; *p != '\0' && *p != ',' && *p != '+'; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '\\' && p[1] != '\0') {
            /* RFC 4514: \, \+ \" \\ ... or \XX hex */
            int h = sk_hex_digit((unsigned char)p[1]),
                l = h >= 0 && p[2] != '\0' ? sk_hex_digit((unsigned char)p[2]) : -1;
            if (h >= 0 && l >= 0) {
                c = (unsigned char)(h * 16 + l);
                p += 2;
            } else {
                c = (unsigned char)*++p;
            }
        }
        if (c < 0x20 || c == 0x7f || c == ',' || n + 1 >= sizeof(name))
            return;
        name[n++] = (char)c;
    }
    while (n > 0 && name[n - 1] == ' ')
        n--;
    if (n == 0)
        return;
    if (out->len > 0)
        sk_buf_puts(out, ",");
    sk_buf_append(out, name, n);
}

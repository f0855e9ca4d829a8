/* match_cat.c - imported categories (squidGuard/UT1 domains, urls and
 * expressions), compiled once per snapshot into one domain hash, one prefix
 * automaton and one regex array shared by every policy; a policy selects
 * its blocked categories with a bitset. Entries are bulk-imported lists:
 * an entry that does not parse is skipped and counted, never fatal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match_internal.h"
#include "pdb_internal.h"

int sk_catset_add_category(struct sk_catset *cs, const char *name, char **err)
{
    if (cs->n == cs->cap) {
        size_t cap = cs->cap ? cs->cap * 2 : 16;
        char **nn = realloc(cs->names, cap * sizeof(*nn));
        if (nn == NULL)
            return sk_pdb_errf(err, "out of memory");
        cs->names = nn;
        cs->cap = cap;
    }
    if ((cs->names[cs->n] = strdup(name)) == NULL)
        return sk_pdb_errf(err, "out of memory");
    return (int)cs->n++;
}

/* squidGuard reads "www." as no prefix at all; so do we, on both sides. */
static const char *sk_cat_www(const char *s)
{
    return strncmp(s, "www.", 4) == 0 ? s + 4 : s;
}

static int sk_cat_add_rx(struct sk_catset *cs, uint32_t cat, const char *value)
{
    void *re;

    if ((re = sk_rx_compile(value, NULL)) == NULL)
        return 1; /* skipped */
    if (cs->nrx == cs->rxcap) {
        size_t cap = cs->rxcap ? cs->rxcap * 2 : 16;
        struct sk_rx *x = realloc(cs->rx, cap * sizeof(*x));
        if (x == NULL) {
            sk_rx_free(re);
            return -1;
        }
        cs->rx = x;
        cs->rxcap = cap;
    }
    cs->rx[cs->nrx].code = re;
    cs->rx[cs->nrx].value = cat;
    if ((cs->rx[cs->nrx].pattern = strdup(value)) == NULL) {
        sk_rx_free(re);
        return -1;
    }
    cs->nrx++;
    return 0;
}

/* 0 added, 1 skipped (unparsable entry), -1 out of memory. */
static int sk_cat_add(struct sk_catset *cs, uint32_t cat, const char *kind, const char *value)
{
    char *key = NULL;
    int rc;

    if (strcmp(kind, "expression") == 0)
        return sk_cat_add_rx(cs, cat, value);
    if (strcmp(kind, "domain") == 0) {
        if (sk_rule_canon(SK_MATCH_DOMAIN, value, &key, NULL) == -1)
            return 1;
        rc = sk_hset_add(&cs->domains, key, strlen(key), cat);
    } else if (strcmp(kind, "url") == 0) {
        if (sk_rule_canon(SK_MATCH_PREFIX, value, &key, NULL) == -1)
            return 1;
        if (cs->urls == NULL && (cs->urls = sk_ac_new()) == NULL) {
            free(key);
            return -1;
        }
        rc = sk_ac_add(cs->urls, sk_cat_www(key), strlen(sk_cat_www(key)), SK_AC_PREFIX, cat);
    } else {
        return 1;
    }
    free(key);
    return rc;
}

int sk_catset_add_entry(struct sk_catset *cs, uint32_t cat, const char *kind, const char *value,
                        char **err)
{
    int rc = sk_cat_add(cs, cat, kind, value);

    if (rc == -1)
        return sk_pdb_errf(err, "out of memory loading category %s", cs->names[cat]);
    if (rc == 1)
        cs->skipped++;
    else
        cs->entries++;
    return 0;
}

int sk_catset_build(struct sk_catset *cs, char **err)
{
    if (cs->urls != NULL && sk_ac_build(cs->urls) == -1)
        return sk_pdb_errf(err, "out of memory compiling categories");
    sk_hset_seal(&cs->domains);
    if (sk_rxpre_build(&cs->pre, cs->rx, cs->nrx) == -1)
        return sk_pdb_errf(err, "out of memory compiling categories");
    return 0;
}

struct sk_cat_ctx {
    const uint8_t *bits;
    uint32_t cat;
    size_t end;
};

static int sk_cat_cb(void *arg, uint32_t v, size_t end)
{
    struct sk_cat_ctx *c = arg;

    if (!(c->bits[v >> 3] & (1u << (v & 7))))
        return 0;
    c->cat = v;
    c->end = end;
    return 1;
}

static void sk_cat_hit(struct sk_cat_hit *hit, struct sk_cat_ctx *c, const char *kind,
                       const char *entry, size_t len)
{
    hit->cat = c->cat;
    snprintf(hit->kind, sizeof(hit->kind), "%s", kind);
    if (len >= sizeof(hit->entry))
        len = sizeof(hit->entry) - 1;
    memcpy(hit->entry, entry, len);
    hit->entry[len] = '\0';
}

static int sk_cat_regex(const struct sk_catset *cs, const uint8_t *bits, const struct sk_url *u,
                        struct sk_cat_hit *hit)
{
    uint8_t sbits[512], *cand = sbits;
    size_t nb = (cs->nrx + 7) / 8;
    void *md;
    int rc = 0;

    if ((md = sk_rx_md_new()) == NULL)
        return -1;
    if (nb > sizeof(sbits) && (cand = malloc(nb)) == NULL) {
        sk_rx_md_free(md);
        return -1;
    }
    sk_rxpre_scan(&cs->pre, u->lower, strlen(u->lower), cand);
    for (size_t i = 0; i < cs->nrx; i++) {
        uint32_t v = cs->rx[i].value;
        if (!(bits[v >> 3] & (1u << (v & 7))) || !sk_rxpre_may(&cs->pre, cand, i))
            continue;
        if ((rc = sk_rx_match(cs->rx[i].code, u->str, strlen(u->str), md)) != 0) {
            if (rc == 1) {
                hit->cat = v;
                snprintf(hit->kind, sizeof(hit->kind), "expression");
                snprintf(hit->entry, sizeof(hit->entry), "%s", cs->rx[i].pattern);
            }
            break;
        }
    }
    sk_rx_md_free(md);
    if (cand != sbits)
        free(cand);
    return rc;
}

int sk_catset_check(const struct sk_catset *cs, const uint8_t *bits, const struct sk_url *u,
                    struct sk_cat_hit *hit)
{
    struct sk_cat_ctx c = {bits, 0, 0};
    const char *host = u->host, *t;

    /* Longest host suffix first: the most specific category entry. */
    for (const char *p = host; u->host_type == SK_URL_HOST_NAME || p == host;) {
        if (sk_hset_find(&cs->domains, p, strlen(p), sk_cat_cb, &c)) {
            sk_cat_hit(hit, &c, "domain", p, strlen(p));
            return 1;
        }
        if (u->host_type != SK_URL_HOST_NAME || (p = strchr(p, '.')) == NULL)
            break;
        p++;
    }
    t = sk_cat_www(u->folded);
    if (sk_ac_prefix(cs->urls, t, strlen(t), sk_cat_cb, &c)) {
        sk_cat_hit(hit, &c, "url", t, c.end);
        return 1;
    }
    if (cs->nrx == 0)
        return 0;
    return sk_cat_regex(cs, bits, u, hit);
}

size_t sk_catset_bytes(const struct sk_catset *cs)
{
    size_t b = cs->cap * sizeof(*cs->names) + sk_hset_bytes(&cs->domains) + sk_ac_bytes(cs->urls);

    for (size_t i = 0; i < cs->n; i++)
        b += strlen(cs->names[i]) + 1;
    for (size_t i = 0; i < cs->nrx; i++)
        b += sizeof(*cs->rx) + sk_rx_bytes(cs->rx[i].code) + strlen(cs->rx[i].pattern) + 1;
    return b + sk_rxpre_bytes(&cs->pre);
}

void sk_catset_free(struct sk_catset *cs)
{
    for (size_t i = 0; i < cs->n; i++)
        free(cs->names[i]);
    free(cs->names);
    sk_hset_free(&cs->domains);
    sk_ac_free(cs->urls);
    for (size_t i = 0; i < cs->nrx; i++) {
        sk_rx_free(cs->rx[i].code);
        free(cs->rx[i].pattern);
    }
    free(cs->rx);
    sk_rxpre_free(&cs->pre);
    memset(cs, 0, sizeof(*cs));
}

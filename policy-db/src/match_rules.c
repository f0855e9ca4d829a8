/* match_rules.c - one policy's URL rules compiled for lookups that do not
 * grow with the list: hash sets for domain and exact rules, one automaton
 * for prefix and substring rules, a JIT regex array. Rules are trusted
 * policy data (validated again here); URLs are client-controlled. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match_internal.h"
#include "pdb_internal.h"

static const char *const sk_list_names[] = {"approved", "allow", "block"};
static const char *const sk_match_names[] = {"exact",  "prefix", "substring",
                                             "domain", "regex",  "cidr"};
#define SK_NMATCH (sizeof(sk_match_names) / sizeof(sk_match_names[0]))

int sk_rule_list_parse(const char *s, enum sk_rule_list *out)
{
    for (int i = 0; i < 3; i++)
        if (s != NULL && strcmp(s, sk_list_names[i]) == 0) {
            *out = (enum sk_rule_list)i;
            return 0;
        }
    return -1;
}

int sk_rule_match_parse(const char *s, enum sk_rule_match *out)
{
    for (size_t i = 0; i < SK_NMATCH; i++)
        if (s != NULL && strcmp(s, sk_match_names[i]) == 0) {
            *out = (enum sk_rule_match)i;
            return 0;
        }
    return -1;
}

const char *sk_rule_list_name(enum sk_rule_list l)
{
    return (unsigned)l < 3 ? sk_list_names[l] : "?";
}

const char *sk_rule_match_name(enum sk_rule_match m)
{
    return (unsigned)m < SK_NMATCH ? sk_match_names[m] : "?";
}

static char *sk_fold_dup(const char *s, size_t n)
{
    char *d = malloc(n + 1);

    if (d == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++)
        d[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
    d[n] = '\0';
    return d;
}

/* "scheme://" stripped: rules match the URL without its scheme. */
static const char *sk_strip_scheme(const char *p)
{
    const char *s = strstr(p, "://");

    if (s == NULL)
        return p;
    for (const char *q = p; q < s; q++)
        if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
              *q == '+' || *q == '-' || *q == '.'))
            return p;
    return s + 3;
}

/* Scheme-less folded canonical URL of P (a URL or a URL prefix). */
static int sk_canon_url(const char *p, char **key, char **err)
{
    struct sk_url u;

    if (sk_url_normalize(p, 0, &u, err) == -1)
        return -1;
    *key = strdup(u.folded);
    sk_url_free(&u);
    return *key ? 0 : sk_pdb_errf(err, "out of memory");
}

static int sk_canon_domain(const char *p, char **key, char **err)
{
    char host[256];
    struct sk_url u;

    if (strncmp(p, "*.", 2) == 0)
        p += 2;
    else if (p[0] == '.')
        p++;
    if (strchr(p, '/') != NULL) { /* a URL written where a domain belongs */
        if (sk_url_normalize(p, 0, &u, err) == -1)
            return -1;
        strcpy(host, u.host);
        sk_url_free(&u);
    } else if (sk_url_host_normalize(p, strlen(p), host, sizeof(host), err) == -1) {
        return -1;
    }
    *key = strdup(host);
    return *key ? 0 : sk_pdb_errf(err, "out of memory");
}

/* Network with its host bits cleared (10.1.2.3/8 is 10.0.0.0/8). */
static void sk_cidr_mask(struct sk_cidr *c)
{
    int max = c->family == 4 ? 4 : 16;

    for (int i = 0; i < max; i++) {
        int keep = c->bits - i * 8;
        c->addr[i] &= keep >= 8 ? 0xff : keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
    }
}

/* Canonical "network/bits" of a cidr pattern: the strict parser the
 * client-ip scopes use (no 0x0a or 10.1 spellings in policy: an
 * administrator writes what they mean), masked, inet_ntop form. */
static int sk_canon_cidr(const char *p, struct sk_cidr *c, char **key, char **err)
{
    char addr[INET6_ADDRSTRLEN], buf[INET6_ADDRSTRLEN + 8];

    if (sk_cidr_parse(p, c) == -1)
        return sk_pdb_errf(err, "invalid network '%s': expected 10.0.0.0/8 or 2001:db8::/32", p);
    sk_cidr_mask(c);
    if (inet_ntop(c->family == 4 ? AF_INET : AF_INET6, c->addr, addr, sizeof(addr)) == NULL)
        return sk_pdb_errf(err, "invalid network '%s'", p);
    snprintf(buf, sizeof(buf), "%s/%d", addr, c->bits);
    *key = strdup(buf);
    return *key ? 0 : sk_pdb_errf(err, "out of memory");
}

int sk_rule_canon(enum sk_rule_match m, const char *pattern, char **key, char **err)
{
    const char *p;
    void *re;

    *key = NULL;
    if (pattern == NULL || pattern[0] == '\0')
        return sk_pdb_errf(err, "empty pattern");
    switch (m) {
    case SK_MATCH_DOMAIN:
        return sk_canon_domain(pattern, key, err);
    case SK_MATCH_EXACT:
        return sk_canon_url(pattern, key, err);
    case SK_MATCH_PREFIX:
        /* With a path, the host part and the path are canonicalised like a
         * URL; a bare "www.exa" prefix is only folded (it may end mid-label). */
        p = sk_strip_scheme(pattern);
        if (strchr(p, '/') != NULL && sk_canon_url(p, key, NULL) == 0)
            return 0;
        break;
    case SK_MATCH_SUBSTRING:
        p = pattern;
        break;
    case SK_MATCH_REGEX:
        if ((re = sk_rx_compile(pattern, err)) == NULL)
            return -1;
        sk_rx_free(re);
        p = pattern;
        *key = strdup(p);
        return *key ? 0 : sk_pdb_errf(err, "out of memory");
    case SK_MATCH_CIDR: {
        struct sk_cidr c;
        return sk_canon_cidr(pattern, &c, key, err);
    }
    default:
        return sk_pdb_errf(err, "unknown match mode");
    }
    if (p[0] == '\0')
        return sk_pdb_errf(err, "empty pattern");
    *key = sk_fold_dup(p, strlen(p));
    return *key ? 0 : sk_pdb_errf(err, "out of memory");
}

int sk_ruleset_add(struct sk_ruleset *rs, int64_t id, enum sk_rule_list list, enum sk_rule_match m,
                   const char *pattern, char **err)
{
    struct sk_rule *r;
    char *key = NULL;
    uint32_t idx = (uint32_t)rs->n;
    int rc = -1;

    if (sk_rule_canon(m, pattern, &key, err) == -1)
        return sk_pdb_errf(err, "URL rule %lld ('%s', %s): invalid pattern", (long long)id, pattern,
                           sk_rule_match_name(m));
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 16;
        if ((r = realloc(rs->rules, cap * sizeof(*r))) == NULL)
            goto oom;
        rs->rules = r;
        rs->cap = cap;
    }
    r = &rs->rules[rs->n];
    r->id = id;
    r->list = list;
    r->match = m;
    r->when = 0;
    if ((r->pattern = strdup(pattern)) == NULL)
        goto oom;
    rs->n++;
    switch (m) {
    case SK_MATCH_DOMAIN:
        rc = sk_hset_add(&rs->domains, key, strlen(key), idx);
        break;
    case SK_MATCH_EXACT:
        rc = sk_hset_add(&rs->exact, key, strlen(key), idx);
        break;
    case SK_MATCH_PREFIX:
    case SK_MATCH_SUBSTRING: {
        struct sk_ac **ac = m == SK_MATCH_PREFIX ? &rs->ac_pre : &rs->ac_sub;
        if (*ac == NULL && (*ac = sk_ac_new()) == NULL)
            goto oom;
        rc = sk_ac_add(*ac, key, strlen(key), m == SK_MATCH_PREFIX ? SK_AC_PREFIX : SK_AC_SUBSTRING,
                       idx);
        break;
    }
    case SK_MATCH_REGEX: {
        struct sk_rx *x = realloc(rs->rx, (rs->nrx + 1) * sizeof(*x));
        if (x == NULL)
            goto oom;
        rs->rx = x;
        x[rs->nrx].value = idx;
        if ((x[rs->nrx].pattern = strdup(pattern)) == NULL)
            goto oom;
        if ((x[rs->nrx].code = sk_rx_compile(pattern, err)) == NULL) {
            free(x[rs->nrx].pattern);
            goto out;
        }
        rs->nrx++;
        rc = 0;
        break;
    }
    case SK_MATCH_CIDR: {
        struct sk_cidr c;
        free(key);
        key = NULL;
        if (sk_canon_cidr(pattern, &c, &key, err) == -1)
            goto out;
        (c.family == 4 ? rs->net_bits4 : rs->net_bits6)[c.bits] = 1;
        rs->nnets++;
        rc = sk_hset_add(&rs->nets, key, strlen(key), idx);
        break;
    }
    }
    if (rc == -1)
        goto oom;
out:
    free(key);
    return rc;
oom:
    free(key);
    return sk_pdb_errf(err, "out of memory compiling URL rules");
}

static int sk_rx_cmp(const void *a, const void *b, void *arg)
{
    const struct sk_ruleset *rs = arg;
    const struct sk_rule *ra = &rs->rules[((const struct sk_rx *)a)->value];
    const struct sk_rule *rb = &rs->rules[((const struct sk_rx *)b)->value];

    if (ra->list != rb->list)
        return ra->list < rb->list ? -1 : 1;
    return ra->id < rb->id ? -1 : ra->id > rb->id;
}

int sk_ruleset_build(struct sk_ruleset *rs, char **err)
{
    if ((rs->ac_pre != NULL && sk_ac_build(rs->ac_pre) == -1) ||
        (rs->ac_sub != NULL && sk_ac_build(rs->ac_sub) == -1))
        return sk_pdb_errf(err, "out of memory compiling URL rules");
    sk_hset_seal(&rs->domains);
    sk_hset_seal(&rs->exact);
    sk_hset_seal(&rs->nets);
    if (rs->nrx > 1)
        qsort_r(rs->rx, rs->nrx, sizeof(*rs->rx), sk_rx_cmp, rs);
    if (sk_rxpre_build(&rs->pre, rs->rx, rs->nrx) == -1)
        return sk_pdb_errf(err, "out of memory compiling URL rules");
    rs->bytes = rs->cap * sizeof(*rs->rules) + sk_hset_bytes(&rs->domains) +
                sk_hset_bytes(&rs->exact) + sk_ac_bytes(rs->ac_pre) + sk_ac_bytes(rs->ac_sub);
    for (size_t i = 0; i < rs->n; i++)
        rs->bytes += strlen(rs->rules[i].pattern) + 1;
    for (size_t i = 0; i < rs->nrx; i++)
        rs->bytes += sizeof(*rs->rx) + sk_rx_bytes(rs->rx[i].code) + strlen(rs->rx[i].pattern);
    rs->bytes += sk_rxpre_bytes(&rs->pre) + sk_hset_bytes(&rs->nets);
    return 0;
}

int sk_match_domains(const struct sk_hset *s, const struct sk_url *u, sk_match_fn fn, void *arg)
{
    const char *p = u->host;
    int rc;

    if (s->count == 0)
        return 0;
    if (u->host_type != SK_URL_HOST_NAME)
        return sk_hset_find(s, p, strlen(p), fn, arg);
    for (;;) {
        if ((rc = sk_hset_find(s, p, strlen(p), fn, arg)) != 0)
            return rc;
        if ((p = strchr(p, '.')) == NULL)
            return 0;
        p++;
    }
}

struct sk_best {
    const struct sk_ruleset *rs;
    const struct sk_when *w; /* NULL: every rule applies */
    uint64_t key;            /* (list << 32) | index; UINT64_MAX = none */
};

static int sk_best_cb(void *arg, uint32_t v, size_t end)
{
    struct sk_best *b = arg;
    uint64_t k = ((uint64_t)b->rs->rules[v].list << 32) | v;

    (void)end;
    if (k < b->key && (b->rs->rules[v].when == 0 || sk_when_active(b->w, b->rs->rules[v].when)))
        b->key = k;
    return 0;
}

/* Regexes are sorted by (list, id): the first hit is the best regex, and
 * one in a list no better than the current winner cannot win. */
static int sk_ruleset_regex(const struct sk_ruleset *rs, const struct sk_url *u, struct sk_best *b)
{
    uint8_t sbits[512], *bits = sbits;
    size_t nb = (rs->nrx + 7) / 8;
    void *md = NULL;
    int rc = 0;

    if (nb > sizeof(sbits) && (bits = malloc(nb)) == NULL)
        return -1;
    sk_rxpre_scan(&rs->pre, u->lower, strlen(u->lower), bits);
    for (size_t i = 0; i < rs->nrx; i++) {
        uint32_t v = rs->rx[i].value;
        if (b->key != UINT64_MAX && (uint64_t)rs->rules[v].list >= b->key >> 32)
            break;
        if (!sk_rxpre_may(&rs->pre, bits, i) ||
            (rs->rules[v].when != 0 && !sk_when_active(b->w, rs->rules[v].when)))
            continue;
        if (md == NULL && (md = sk_rx_md_new()) == NULL) {
            rc = -1;
            break;
        }
        if ((rc = sk_rx_match(rs->rx[i].code, u->str, strlen(u->str), md)) == 1) {
            sk_best_cb(b, v, 0);
            rc = 0;
            break;
        }
        if (rc == -1)
            break;
    }
    sk_rx_md_free(md);
    if (bits != sbits)
        free(bits);
    return rc;
}

/* cidr rules against the normalised host: the normaliser has already
 * turned 0x0a010203, 167838211, 012.1.2.3, 10.1.515 and ::ffff:10.1.2.3
 * into "10.1.2.3", so this only reads its canonical text. */
static void sk_ruleset_nets(const struct sk_ruleset *rs, const struct sk_url *u, struct sk_best *b)
{
    char addr[INET6_ADDRSTRLEN], key[INET6_ADDRSTRLEN + 8];
    const uint8_t *present;
    struct sk_cidr ip, net;
    int max;

    if (rs->nnets == 0 || (u->host_type != SK_URL_HOST_IPV4 && u->host_type != SK_URL_HOST_IPV6) ||
        sk_cidr_parse(u->host, &ip) == -1)
        return;
    max = ip.family == 4 ? 32 : 128;
    present = ip.family == 4 ? rs->net_bits4 : rs->net_bits6;
    for (int bits = max; bits >= 0; bits--) {
        if (!present[bits])
            continue;
        net = ip;
        net.bits = bits;
        sk_cidr_mask(&net);
        if (inet_ntop(ip.family == 4 ? AF_INET : AF_INET6, net.addr, addr, sizeof(addr)) == NULL)
            continue;
        snprintf(key, sizeof(key), "%s/%d", addr, bits);
        sk_hset_find(&rs->nets, key, strlen(key), sk_best_cb, b);
    }
}

int sk_ruleset_check(const struct sk_ruleset *rs, const struct sk_url *u, uint32_t *best)
{
    return sk_ruleset_check_when(rs, u, NULL, NULL, best);
}

int sk_ruleset_check_when(const struct sk_ruleset *rs, const struct sk_url *u,
                          const struct sk_url *bare, const struct sk_when *w, uint32_t *best)
{
    struct sk_best b = {rs, w, UINT64_MAX};

    if (rs->n == 0)
        return 0;
    /* domain and address rules read the host alone: once */
    sk_match_domains(&rs->domains, u, sk_best_cb, &b);
    sk_ruleset_nets(rs, u, &b);
    /* the rules that read the URL's text: each reading, one winner */
    for (const struct sk_url *r = u; r != NULL; r = r == u ? bare : NULL) {
        size_t flen = strlen(r->folded);

        sk_hset_find(&rs->exact, r->folded, flen, sk_best_cb, &b);
        sk_ac_prefix(rs->ac_pre, r->folded, flen, sk_best_cb, &b);
        sk_ac_substr(rs->ac_sub, r->folded, flen, sk_best_cb, &b);
        if (rs->nrx > 0 && sk_ruleset_regex(rs, r, &b) == -1)
            return -1;
    }
    if (b.key == UINT64_MAX)
        return 0;
    *best = (uint32_t)b.key;
    return 1;
}

void sk_ruleset_free(struct sk_ruleset *rs)
{
    for (size_t i = 0; i < rs->n; i++)
        free(rs->rules[i].pattern);
    free(rs->rules);
    sk_hset_free(&rs->domains);
    sk_hset_free(&rs->exact);
    sk_ac_free(rs->ac_pre);
    sk_ac_free(rs->ac_sub);
    for (size_t i = 0; i < rs->nrx; i++) {
        sk_rx_free(rs->rx[i].code);
        free(rs->rx[i].pattern);
    }
    free(rs->rx);
    sk_hset_free(&rs->nets);
    sk_rxpre_free(&rs->pre);
    memset(rs, 0, sizeof(*rs));
}

/* snap_policy.c - the snapshot's read side: reference counting, settings
 * lookup, the URL decision, and the validators the CLI shares with it.
 * Called on the request path by many threads: no locks, no writes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pdb_internal.h"
#include "snap_internal.h"

void sk_snapshot_ref(struct sk_snapshot *s)
{
    __atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
}

void sk_snapshot_unref(struct sk_snapshot *s)
{
    if (s != NULL && __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) == 0)
        sk_snapshot_free(s);
}

static void sk_policy_free(struct sk_policy *p)
{
    size_t nset;

    sk_pdb_settings(&nset);
    for (size_t i = 0; p->settings != NULL && i < nset; i++)
        free(p->settings[i]);
    free(p->settings);
    free(p->name);
    free(p->ips);
    for (size_t i = 0; i < p->nusers; i++)
        sk_ident_name_free(&p->users[i]);
    for (size_t i = 0; i < p->ngroups; i++)
        sk_ident_name_free(&p->groups[i]);
    free(p->users);
    free(p->groups);
    sk_ruleset_free(&p->rules);
    free(p->blocked);
    for (size_t i = 0; i < p->ndlp; i++) {
        free((char *)p->dlp[i].name);
        free((char *)p->dlp[i].detectors);
        free((char *)p->dlp[i].action);
    }
    free(p->dlp);
    free(p->dlp_when);
    free(p->catwhen);
}

void sk_snapshot_free(struct sk_snapshot *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->npol; i++)
        sk_policy_free(&s->pol[i]);
    free(s->pol);
    sk_catset_free(&s->cats);
    for (size_t i = 0; i < s->ndirs; i++) {
        struct sk_directory *d = &s->dirs[i];
        free(d->name);
        free(d->uris);
        free(d->base);
        free(d->bind_dn);
        free(d->password_file);
        free(d->group_attrs);
        free(d->domains);
        free(d->realms);
    }
    free(s->dirs);
    for (size_t i = 0; i < s->nsched; i++) {
        free(s->sched[i].name);
        free(s->sched[i].tz);
    }
    free(s->sched);
    for (size_t i = 0; i < s->nzones; i++) {
        sk_tz_free(&s->zones[i]);
        free(s->zone_names[i]);
    }
    free(s->zones);
    free(s->zone_names);
    free(s);
}

int64_t sk_snapshot_generation(const struct sk_snapshot *s)
{
    return s->generation;
}

const char *sk_snapshot_content_hash(const struct sk_snapshot *s)
{
    return s->content_hash;
}

void sk_snapshot_stats(const struct sk_snapshot *s, size_t *entries, size_t *bytes,
                       double *build_ms)
{
    if (entries != NULL)
        *entries = s->entries;
    if (bytes != NULL)
        *bytes = s->bytes;
    if (build_ms != NULL)
        *build_ms = s->build_ms;
}

size_t sk_snapshot_skipped(const struct sk_snapshot *s)
{
    return s->cats.skipped;
}

const struct sk_policy *sk_snapshot_policy(const struct sk_snapshot *s, const char *name)
{
    for (size_t i = 0; name != NULL && i < s->npol; i++)
        if (strcmp(s->pol[i].name, name) == 0)
            return &s->pol[i];
    return NULL;
}

const struct sk_policy *sk_snapshot_default(const struct sk_snapshot *s)
{
    return s->def;
}

const char *sk_policy_name(const struct sk_policy *p)
{
    return p->name;
}

int64_t sk_policy_priority(const struct sk_policy *p)
{
    return p->priority;
}

const char *sk_policy_get(const struct sk_policy *p, const char *key)
{
    const struct sk_pdb_setting_def *d = sk_pdb_setting_find(key), *reg;
    size_t n, i;

    if (d == NULL)
        return NULL;
    reg = sk_pdb_settings(&n);
    i = (size_t)(d - reg);
    if (p->settings[i] != NULL)
        return p->settings[i];
    if (p->snap->def->settings[i] != NULL)
        return p->snap->def->settings[i];
    return d->def;
}

const struct sk_dlp_template *sk_policy_dlp(const struct sk_policy *p, size_t *count)
{
    *count = p->ndlp;
    return p->dlp;
}

const char *sk_url_verdict_name(enum sk_url_verdict v)
{
    switch (v) {
    case SK_URL_NONE:
        return "none";
    case SK_URL_ALLOW:
        return "allow";
    case SK_URL_APPROVED:
        return "approved";
    case SK_URL_BLOCK:
        return "block";
    }
    return "?";
}

/*
 * Schedules on the request path: the zone's offset is one binary search in
 * a table built at load (sched_tz.c), then integer arithmetic; no file,
 * no lock, no setenv("TZ"). Nothing is cached per minute: the lookup costs
 * about what a cache check would, and is only made for rules that matched
 * (or for scheduled category blocks / DLP templates of the policy).
 */
static int sk_sched_in_at(const struct sk_snapshot *s, size_t i, int64_t at, int *wday, int *min)
{
    const struct sk_snap_sched *sc = &s->sched[i];

    sk_sched_local(at, sk_tz_offset(&s->zones[sc->zone], at), wday, min);
    return sk_sched_spec_in(&sc->spec, *wday, *min);
}

int sk_when_active(const struct sk_when *w, int32_t when)
{
    int wday, min, in;

    if (when == 0 || w == NULL)
        return 1;
    in = sk_sched_in_at(w->snap, (size_t)(when < 0 ? -when : when) - 1, w->at, &wday, &min);
    return when > 0 ? in : !in;
}

/* "NAME" / "!NAME" of a when code, "" for none. */
static const char *sk_when_name(const struct sk_snapshot *s, int32_t when, char *buf, size_t size)
{
    if (when == 0)
        return "";
    snprintf(buf, size, "%s%s", when < 0 ? "!" : "", s->sched[(when < 0 ? -when : when) - 1].name);
    return buf;
}

static void sk_decide_rule(struct sk_url_decision *out, const struct sk_policy *owner,
                           const struct sk_rule *r)
{
    static const enum sk_url_verdict v[] = {SK_URL_APPROVED, SK_URL_ALLOW, SK_URL_BLOCK};

    out->verdict = v[r->list];
    out->rule_id = r->id;
    snprintf(out->rule, sizeof(out->rule), "%s", r->pattern);
    snprintf(out->list, sizeof(out->list), "%s", sk_rule_list_name(r->list));
    snprintf(out->match, sizeof(out->match), "%s", sk_rule_match_name(r->match));
    snprintf(out->policy, sizeof(out->policy), "%s", owner->name);
    sk_when_name(owner->snap, r->when, out->when, sizeof(out->when));
}

/* The policy's category bitset at W: unconditional blocks plus the
 * scheduled ones that apply. BUF has room for the bitset. */
static const uint8_t *sk_blocked_at(const struct sk_policy *p, const struct sk_when *w,
                                    uint8_t *buf)
{
    if (p->ncatwhen == 0)
        return p->blocked;
    memcpy(buf, p->blocked, (p->snap->cats.n + 7) / 8 + 1);
    for (size_t i = 0; i < p->ncatwhen; i++)
        if (w == NULL || sk_when_active(w, p->catwhen[i].when))
            buf[p->catwhen[i].cat >> 3] |= (uint8_t)(1u << (p->catwhen[i].cat & 7));
    return buf;
}

/* Which scheduled block named category CAT at W (for the decision). */
static int32_t sk_cat_when_of(const struct sk_policy *p, const struct sk_when *w, uint32_t cat)
{
    if (p->blocked[cat >> 3] & (1u << (cat & 7)))
        return 0;
    for (size_t i = 0; i < p->ncatwhen; i++)
        if (p->catwhen[i].cat == cat && (w == NULL || sk_when_active(w, p->catwhen[i].when)))
            return p->catwhen[i].when;
    return 0;
}

/* U's decision; BARE (NULL: none) is U without its port, read with it
 * (sk_ruleset_check_when). */
static int sk_check_url_one(const struct sk_policy *p, const struct sk_url *u,
                            const struct sk_url *bare, int64_t at, struct sk_url_decision *out)
{
    const struct sk_policy *def = p->snap->def;
    const struct sk_rule *own = NULL, *glob = NULL;
    struct sk_when when = {p->snap, at}, *w = at == SK_AT_ANY ? NULL : &when;
    struct sk_cat_hit hit;
    uint8_t sbits[512], *bits = sbits;
    const uint8_t *blocked;
    uint32_t i;
    int rc;

    memset(out, 0, sizeof(*out));
    out->verdict = SK_URL_NONE;
    if ((rc = sk_ruleset_check_when(&p->rules, u, bare, w, &i)) == -1)
        return -1;
    if (rc == 1)
        own = &p->rules.rules[i];
    if (p != def) {
        if ((rc = sk_ruleset_check_when(&def->rules, u, bare, w, &i)) == -1)
            return -1;
        if (rc == 1)
            glob = &def->rules.rules[i];
    }
    /* Same list: the policy's own rule names the decision. */
    if (own != NULL && (glob == NULL || own->list <= glob->list)) {
        sk_decide_rule(out, p, own);
        return 0;
    }
    if (glob != NULL) {
        sk_decide_rule(out, def, glob);
        return 0;
    }
    if (p->ncatwhen > 0 && (p->snap->cats.n + 7) / 8 + 1 > sizeof(sbits) &&
        (bits = malloc((p->snap->cats.n + 7) / 8 + 1)) == NULL)
        return -1;
    blocked = sk_blocked_at(p, w, bits);
    rc = sk_catset_check(&p->snap->cats, blocked, u, &hit);
    if (rc == 0 && bare != NULL)
        rc = sk_catset_check(&p->snap->cats, blocked, bare, &hit);
    if (rc == 1) {
        out->verdict = SK_URL_BLOCK;
        snprintf(out->rule, sizeof(out->rule), "%s", hit.entry);
        snprintf(out->list, sizeof(out->list), "category");
        snprintf(out->match, sizeof(out->match), "%s", hit.kind);
        snprintf(out->category, sizeof(out->category), "%s", p->snap->cats.names[hit.cat]);
        snprintf(out->policy, sizeof(out->policy), "%s", p->name);
        sk_when_name(p->snap, sk_cat_when_of(p, w, hit.cat), out->when, sizeof(out->when));
    }
    if (bits != sbits)
        free(bits);
    return rc == -1 ? -1 : 0;
}

/* The path as servers that decode more than RFC 3986 read it: %2F and %5C
 * as '/' (nginx, IIS, many frameworks), ";params" dropped from each
 * segment (Tomcat, Jetty: /bad;x=1/y is /bad/y), dot-segments resolved
 * again (/a/..%2Fbad is /bad). 1 with *ALT normalised when that differs
 * from U's path, 0 when it cannot, -1 when out of memory. */
static int sk_url_alternate(const struct sk_url *u, struct sk_url *alt)
{
    const char *path = u->path, *hostend;
    size_t n = strlen(path), pre;
    char *s, *o, *err = NULL;
    int rc, changed = 0;

    if (!strchr(path, ';') && !strchr(path, '%'))
        return 0;
    hostend = u->rest + strcspn(u->rest, "/");
    pre = (size_t)(hostend - u->str);
    if (!(s = malloc(pre + n + (u->query ? strlen(u->query) + 1 : 0) + 1)))
        return -1;
    memcpy(s, u->str, pre);
    o = s + pre;
    for (const char *c = path; *c;) {
        if (c[0] == '%' && c[1] && c[2] &&
            ((c[1] == '2' && (c[2] | 0x20) == 'f') || (c[1] == '5' && (c[2] | 0x20) == 'c'))) {
            *o++ = '/', c += 3, changed = 1;
        } else if (*c == ';') {
            while (*c && *c != '/')
                c++;
            changed = 1;
        } else {
            *o++ = *c++;
        }
    }
    if (u->query)
        *o++ = '?', o = stpcpy(o, u->query);
    *o = '\0';
    rc = changed ? sk_url_normalize(s, 0, alt, &err) : -1;
    free(err);
    free(s);
    if (rc == 0 && strcmp(alt->path, u->path) == 0) {
        sk_url_free(alt);
        rc = -1;
    }
    return rc == 0 ? 1 : 0;
}

/* U without its port (a port that is not the scheme's default): 1 with
 * *BARE normalised, 0 when U has no port, -1 when out of memory. */
static int sk_url_portless(const struct sk_url *u, struct sk_url *bare)
{
    const char *hostend = u->rest + strcspn(u->rest, "/"), *colon = hostend;
    char *s, *err = NULL;
    int rc;

    if (u->port == 0)
        return 0;
    while (colon > u->rest && colon[-1] != ':')
        colon--;
    if (colon == u->rest)
        return 0;
    if (asprintf(&s, "%.*s%s", (int)(colon - 1 - u->str), u->str, hostend) == -1)
        return -1;
    rc = sk_url_normalize(s, 0, bare, &err);
    free(err);
    free(s);
    return rc == 0 ? 1 : 0;
}

/* One reading of U (with its port and without it). */
static int sk_check_reading(const struct sk_policy *p, const struct sk_url *u, int64_t at,
                            struct sk_url_decision *out)
{
    struct sk_url bare = {0};
    int b = sk_url_portless(u, &bare), rc;

    if (b == -1)
        return -1;
    rc = sk_check_url_one(p, u, b == 1 ? &bare : NULL, at, out);
    sk_url_free(&bare);
    return rc;
}

int sk_policy_check_url_at(const struct sk_policy *p, const struct sk_url *u, int64_t at,
                           struct sk_url_decision *out)
{
    struct sk_url alt = {0};
    struct sk_url_decision d;
    int rc = sk_check_reading(p, u, at, out), a;

    /* what the origin may read instead: a block there is a block, and an
     * approval must hold there too (an approved prefix does not cover
     * /pub/..%2Fprivate, which the origin serves as /private); an allow
     * rule does not cover it either */
    if (rc != 0 || out->verdict == SK_URL_BLOCK)
        return rc;
    if ((a = sk_url_alternate(u, &alt)) == -1)
        return -1;
    if (a == 1) {
        rc = sk_check_reading(p, &alt, at, &d);
        if (rc == 0 && (d.verdict == SK_URL_BLOCK ||
                        (out->verdict == SK_URL_APPROVED && d.verdict != SK_URL_APPROVED)))
            *out = d;
        sk_url_free(&alt);
    }
    return rc;
}

int sk_policy_check_url(const struct sk_policy *p, const struct sk_url *u,
                        struct sk_url_decision *out)
{
    return sk_policy_check_url_at(p, u, (int64_t)time(NULL), out);
}

int sk_policy_dlp_active(const struct sk_policy *p, size_t i, int64_t at)
{
    struct sk_when w = {p->snap, at};

    if (i >= p->ndlp)
        return 0;
    return at == SK_AT_ANY || sk_when_active(&w, p->dlp_when[i]);
}

uint64_t sk_snapshot_schedule_state(const struct sk_snapshot *s, int64_t at)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a over one byte per schedule */
    int wday, min;

    if (s->nsched == 0)
        return 0;
    for (size_t i = 0; i < s->nsched; i++)
        h = (h ^ (uint64_t)(1 + sk_sched_in_at(s, i, at, &wday, &min))) * 1099511628211ULL;
    return h ? h : 1;
}

int sk_snapshot_schedule_explain(const struct sk_snapshot *s, const char *when, int64_t at,
                                 char *buf, size_t size)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    const struct sk_snap_sched *sc = NULL;
    char d[64], t[SK_SCHED_MAX_RANGES * 12 + 1];
    int neg = when != NULL && *when == '!', wday, min, in;

    for (size_t i = 0; when != NULL && i < s->nsched && sc == NULL; i++)
        if (strcmp(s->sched[i].name, when + neg) == 0)
            sc = &s->sched[i];
    if (sc == NULL) {
        snprintf(buf, size, "no schedule '%s'", when ? when + neg : "");
        return -1;
    }
    in = sk_sched_in_at(s, (size_t)(sc - s->sched), at, &wday, &min);
    sk_sched_days_format(sc->spec.days, d, sizeof(d));
    sk_sched_times_format(&sc->spec, t, sizeof(t));
    snprintf(buf, size, "schedule '%s' (%s %s, %s): local time %s %02d:%02d is %s it%s", sc->name,
             d, *t ? t : "all day", *sc->tz ? sc->tz : "node local time", days[wday], min / 60,
             min % 60, in ? "inside" : "outside", neg ? " (--when !: applies outside)" : "");
    return neg ? !in : in;
}

int sk_url_rule_validate(const char *match, const char *pattern, char **canonical, char **err)
{
    enum sk_rule_match m;
    char *key = NULL;

    if (canonical != NULL)
        *canonical = NULL;
    if (sk_rule_match_parse(match, &m) == -1)
        return sk_pdb_errf(err,
                           "unknown match mode '%s' (exact|prefix|substring|domain|regex|cidr)",
                           match ? match : "");
    if (sk_rule_canon(m, pattern, &key, err) == -1)
        return -1;
    if (canonical != NULL)
        *canonical = key;
    else
        free(key);
    return 0;
}

int sk_scope_validate(const char *kind, const char *value, char **err)
{
    struct sk_ident_name n;
    struct sk_cidr c;

    if (kind == NULL || value == NULL)
        return sk_pdb_errf(err, "missing scope");
    if (strcmp(kind, "client-ip") == 0) {
        if (sk_cidr_parse(value, &c) == -1)
            return sk_pdb_errf(err, "invalid client-ip '%s' (want an IPv4/IPv6 address or CIDR)",
                               value);
        return 0;
    }
    if (strcmp(kind, "user") != 0 && strcmp(kind, "group") != 0)
        return sk_pdb_errf(err, "unknown scope kind '%s' (client-ip|user|group)", kind);
    if (sk_ident_name_parse(value, strlen(value), &n) == -1)
        return sk_pdb_errf(err,
                           "invalid %s '%s': it names nobody (an empty name, or a DN value"
                           " with a cut escape or a control character)",
                           kind, value);
    sk_ident_name_free(&n);
    return 0;
}

const struct sk_directory *sk_snapshot_directories(const struct sk_snapshot *s, size_t *n)
{
    *n = s->ndirs;
    return s->dirs;
}

const char *sk_snapshot_directory_tag(const struct sk_snapshot *s)
{
    return s->dir_tag;
}

/* snap_load.c - build a policy snapshot from the database in one read
 * transaction. Trust: the database is the administrator's (written by the
 * CLI, possibly hand-edited): every stored value is validated again, and a
 * value that does not validate fails the load (the server keeps its last
 * good snapshot) rather than being guessed at. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pdb_internal.h"
#include "sekisho/text.h"
#include "snap_internal.h"

struct sk_load {
    struct sk_pdb *db;
    struct sk_snapshot *s;
    uint32_t *cat_ids; /* database id of each category in s->cats */
    size_t ncat_ids;
    uint32_t cur_cat; /* category whose entries are being read */
    char **err;
};

typedef int (*sk_row_fn)(struct sk_load *, sqlite3_stmt *);

static int sk_load_rows(struct sk_load *l, const char *sql, int64_t bind, sk_row_fn fn)
{
    sqlite3_stmt *st = NULL;
    int rc = -1, step;

    if (sqlite3_prepare_v2(sk_pdb_sqlite(l->db), sql, -1, &st, NULL) != SQLITE_OK ||
        (bind != 0 && sqlite3_bind_int64(st, 1, bind) != SQLITE_OK)) {
        sk_pdb_sqlerr(l->db, l->err, "cannot read policy");
        goto out;
    }
    while ((step = sqlite3_step(st)) == SQLITE_ROW)
        if (fn(l, st) == -1)
            goto out;
    if (step != SQLITE_DONE) {
        sk_pdb_sqlerr(l->db, l->err, "cannot read policy");
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    return rc;
}

static const char *sk_col(sqlite3_stmt *st, int i)
{
    const char *t = (const char *)sqlite3_column_text(st, i);

    return t != NULL ? t : "";
}

static struct sk_policy *sk_load_policy(struct sk_load *l, int64_t id)
{
    for (size_t i = 0; i < l->s->npol; i++)
        if (l->s->pol[i].id == id)
            return &l->s->pol[i];
    sk_pdb_errf(l->err, "policy database %s: row refers to missing policy %lld", sk_pdb_path(l->db),
                (long long)id);
    return NULL;
}

static int sk_load_oom(struct sk_load *l)
{
    return sk_pdb_errf(l->err, "out of memory building the policy snapshot");
}

/* One schedule: days and times validated again (hand-edited database),
 * its zone loaded once per distinct name. A zone that cannot be loaded
 * fails the load: the server keeps its last good snapshot rather than
 * deciding a schedule in the wrong zone. */
static int sk_row_schedule(struct sk_load *l, sqlite3_stmt *st)
{
    struct sk_snapshot *s = l->s;
    struct sk_snap_sched *sc;
    const char *name = sk_col(st, 0), *tz = sk_col(st, 3);
    char *why = NULL;
    size_t z;

    if ((sc = realloc(s->sched, (s->nsched + 1) * sizeof(*sc))) == NULL)
        return sk_load_oom(l);
    s->sched = sc;
    sc = &s->sched[s->nsched];
    memset(sc, 0, sizeof(*sc));
    s->nsched++;
    if ((sc->name = strdup(name)) == NULL || (sc->tz = strdup(tz)) == NULL)
        return sk_load_oom(l);
    if (sk_sched_spec_parse(sk_col(st, 1), sk_col(st, 2), &sc->spec, &why) == -1)
        goto bad;
    for (z = 0; z < s->nzones && strcmp(s->zone_names[z], tz) != 0; z++)
        ;
    if (z == s->nzones) {
        struct sk_tz *zn = realloc(s->zones, (z + 1) * sizeof(*zn));
        char **nn;
        if (zn == NULL)
            return sk_load_oom(l);
        s->zones = zn;
        if ((nn = realloc(s->zone_names, (z + 1) * sizeof(*nn))) == NULL)
            return sk_load_oom(l);
        s->zone_names = nn;
        if ((nn[z] = strdup(tz)) == NULL)
            return sk_load_oom(l);
        if (sk_tz_load(tz, &zn[z], &why) == -1) {
            free(nn[z]);
            goto bad;
        }
        s->nzones++;
    }
    sc->zone = z;
    s->entries++;
    return 0;
bad:
    sk_pdb_errf(l->err, "policy database %s: schedule '%s': %s", sk_pdb_path(l->db), name,
                why ? why : "out of memory");
    free(why);
    return -1;
}

static int sk_sched_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const struct sk_snap_sched *)elem)->name);
}

/* Column COL ("NAME", "!NAME" or NULL) into a when code (see sk_rule). */
static int sk_load_when(struct sk_load *l, sqlite3_stmt *st, int col, int32_t *out)
{
    const char *w = (const char *)sqlite3_column_text(st, col);
    const struct sk_snap_sched *sc;
    int neg;

    *out = 0;
    if (w == NULL || *w == '\0')
        return 0;
    neg = *w == '!';
    sc = bsearch(w + neg, l->s->sched, l->s->nsched, sizeof(*sc), sk_sched_cmp);
    if (sc == NULL)
        return sk_pdb_errf(l->err, "policy database %s: a rule refers to unknown schedule '%s'",
                           sk_pdb_path(l->db), w + neg);
    *out = (int32_t)(sc - l->s->sched) + 1;
    if (neg)
        *out = -*out;
    return 0;
}

static int sk_row_policy(struct sk_load *l, sqlite3_stmt *st)
{
    struct sk_snapshot *s = l->s;
    struct sk_policy *p, *np;
    size_t nset;

    sk_pdb_settings(&nset);
    if ((np = realloc(s->pol, (s->npol + 1) * sizeof(*np))) == NULL)
        return sk_load_oom(l);
    s->pol = np;
    p = &s->pol[s->npol];
    memset(p, 0, sizeof(*p));
    s->npol++;
    p->id = sqlite3_column_int64(st, 0);
    p->priority = sqlite3_column_int64(st, 2);
    p->enabled = sqlite3_column_int(st, 3) != 0;
    if ((p->name = strdup(sk_col(st, 1))) == NULL ||
        (p->settings = calloc(nset, sizeof(*p->settings))) == NULL)
        return sk_load_oom(l);
    /* Rows come ORDER BY priority. Two at one priority (only a database
     * rebuilt by hand without the UNIQUE constraint) would be tried in
     * SQLite's row order, an order nobody chose: refused, the server
     * keeps its last good policy. */
    if (s->npol > 1 && s->pol[s->npol - 2].priority == p->priority)
        return sk_pdb_errf(l->err,
                           "policy database %s: policies '%s' and '%s' share priority %lld;"
                           " give one of them another (policy set NAME --priority N)",
                           sk_pdb_path(l->db), s->pol[s->npol - 2].name, p->name,
                           (long long)p->priority);
    return 0;
}

static int sk_push_name(struct sk_ident_name **arr, size_t *n, const char *v)
{
    struct sk_ident_name *a = realloc(*arr, (*n + 1) * sizeof(*a));

    if (a == NULL)
        return -1;
    *arr = a;
    if (sk_ident_name_parse(v, strlen(v), &a[*n]) == -1)
        return -1;
    (*n)++;
    return 0;
}

static int sk_row_scope(struct sk_load *l, sqlite3_stmt *st)
{
    struct sk_policy *p = sk_load_policy(l, sqlite3_column_int64(st, 0));
    const char *kind = sk_col(st, 1), *v = sk_col(st, 2);
    char *why = NULL;

    if (p == NULL)
        return -1;
    if (sk_scope_validate(kind, v, &why) == -1) {
        sk_pdb_errf(l->err, "policy database %s: policy '%s': %s", sk_pdb_path(l->db), p->name,
                    why);
        free(why);
        return -1;
    }
    if (strcmp(kind, "client-ip") == 0) {
        struct sk_cidr *c = realloc(p->ips, (p->nips + 1) * sizeof(*c));
        if (c == NULL)
            return sk_load_oom(l);
        p->ips = c;
        sk_cidr_parse(v, &c[p->nips++]);
    } else if (sk_push_name(strcmp(kind, "user") == 0 ? &p->users : &p->groups,
                            strcmp(kind, "user") == 0 ? &p->nusers : &p->ngroups, v) == -1) {
        return sk_load_oom(l);
    }
    l->s->entries++;
    return 0;
}

static int sk_row_setting(struct sk_load *l, sqlite3_stmt *st)
{
    struct sk_policy *p = sk_load_policy(l, sqlite3_column_int64(st, 0));
    const char *key = sk_col(st, 1);
    const struct sk_pdb_setting_def *d = sk_pdb_setting_find(key), *reg;
    size_t n;
    char *canon = NULL;

    if (p == NULL)
        return -1;
    if (d == NULL) /* written by a newer Sekisho: nothing here reads it */
        return 0;
    if (sk_pdb_setting_validate(key, sk_col(st, 2), &canon, NULL) == -1)
        return sk_pdb_errf(l->err, "policy database %s: invalid stored value of %s in policy '%s'",
                           sk_pdb_path(l->db), key, p->name);
    reg = sk_pdb_settings(&n);
    free(p->settings[d - reg]);
    p->settings[d - reg] = canon;
    l->s->entries++;
    return 0;
}

static int sk_row_rule(struct sk_load *l, sqlite3_stmt *st)
{
    struct sk_policy *p = sk_load_policy(l, sqlite3_column_int64(st, 0));
    enum sk_rule_list list;
    enum sk_rule_match m;
    char *why = NULL;

    if (p == NULL)
        return -1;
    if (sk_rule_list_parse(sk_col(st, 1), &list) == -1 ||
        sk_rule_match_parse(sk_col(st, 2), &m) == -1)
        return sk_pdb_errf(l->err, "policy database %s: URL rule %lld: invalid list or match",
                           sk_pdb_path(l->db), (long long)sqlite3_column_int64(st, 4));
    if (sk_ruleset_add(&p->rules, sqlite3_column_int64(st, 4), list, m, sk_col(st, 3), &why) ==
        -1) {
        sk_pdb_errf(l->err, "policy database %s: policy '%s': %s", sk_pdb_path(l->db), p->name,
                    why);
        free(why);
        return -1;
    }
    if (sk_load_when(l, st, 5, &p->rules.rules[p->rules.n - 1].when) == -1)
        return -1;
    l->s->entries++;
    return 0;
}

/* One row per (policy, blocked category): give each category an index the
 * first time it is seen; the policy's bit is set after all are known. */
static int sk_row_blocked(struct sk_load *l, sqlite3_stmt *st)
{
    uint32_t cid = (uint32_t)sqlite3_column_int64(st, 1);
    size_t i;
    int idx;

    if (sk_load_policy(l, sqlite3_column_int64(st, 0)) == NULL)
        return -1;
    for (i = 0; i < l->ncat_ids && l->cat_ids[i] != cid; i++)
        ;
    if (i < l->ncat_ids)
        return 0;
    uint32_t *ids = realloc(l->cat_ids, (l->ncat_ids + 1) * sizeof(*ids));
    if (ids == NULL)
        return sk_load_oom(l);
    l->cat_ids = ids;
    if ((idx = sk_catset_add_category(&l->s->cats, sk_col(st, 2), l->err)) == -1)
        return -1;
    ids[l->ncat_ids++] = cid;
    return 0;
}

static int sk_row_bit(struct sk_load *l, sqlite3_stmt *st)
{
    struct sk_policy *p = sk_load_policy(l, sqlite3_column_int64(st, 0));
    uint32_t cid = (uint32_t)sqlite3_column_int64(st, 1);
    int32_t when;

    if (p == NULL || sk_load_when(l, st, 2, &when) == -1)
        return -1;
    for (size_t i = 0; i < l->ncat_ids; i++) {
        if (l->cat_ids[i] != cid)
            continue;
        if (when == 0) {
            p->blocked[i >> 3] |= (uint8_t)(1u << (i & 7));
        } else {
            struct sk_cat_when *cw = realloc(p->catwhen, (p->ncatwhen + 1) * sizeof(*cw));
            if (cw == NULL)
                return sk_load_oom(l);
            p->catwhen = cw;
            cw[p->ncatwhen].cat = (uint32_t)i;
            cw[p->ncatwhen++].when = when;
        }
    }
    return 0;
}

static int sk_row_entry(struct sk_load *l, sqlite3_stmt *st)
{
    const char *v = (const char *)sqlite3_column_text(st, 1);

    if (v == NULL)
        return 0;
    return sk_catset_add_entry(&l->s->cats, l->cur_cat, sk_col(st, 0), v, l->err);
}

static int sk_row_dlp(struct sk_load *l, sqlite3_stmt *st)
{
    struct sk_policy *p = sk_load_policy(l, sqlite3_column_int64(st, 0));
    struct sk_dlp_template *t;

    if (p == NULL)
        return -1;
    int32_t *w;

    if ((t = realloc(p->dlp, (p->ndlp + 1) * sizeof(*t))) == NULL)
        return sk_load_oom(l);
    p->dlp = t;
    if ((w = realloc(p->dlp_when, (p->ndlp + 1) * sizeof(*w))) == NULL)
        return sk_load_oom(l);
    p->dlp_when = w;
    if (sk_load_when(l, st, 5, &w[p->ndlp]) == -1)
        return -1;
    t = &p->dlp[p->ndlp];
    memset(t, 0, sizeof(*t));
    p->ndlp++;
    t->min_count = sqlite3_column_int64(st, 3);
    if ((t->name = strdup(sk_col(st, 1))) == NULL ||
        (t->detectors = strdup(sk_col(st, 2))) == NULL ||
        (t->action = strdup(sk_col(st, 4))) == NULL)
        return sk_load_oom(l);
    l->s->entries++;
    return 0;
}

/* Category bitsets: a policy blocks its own categories and the default's. */
static int sk_load_categories(struct sk_load *l)
{
    struct sk_snapshot *s = l->s;
    size_t nb = (s->cats.n + 7) / 8 + 1;

    for (size_t i = 0; i < s->npol; i++)
        if ((s->pol[i].blocked = calloc(nb, 1)) == NULL)
            return sk_load_oom(l);
    if (sk_load_rows(l, "SELECT policy_id, category_id, when_sched FROM policy_categories", 0,
                     sk_row_bit) == -1)
        return -1;
    for (size_t i = 0; i < s->npol; i++) {
        struct sk_policy *p = &s->pol[i];
        for (size_t b = 0; b < nb; b++)
            p->blocked[b] |= s->def->blocked[b];
        /* the default's scheduled blocks apply to every policy too */
        if (p != s->def && s->def->ncatwhen > 0) {
            struct sk_cat_when *cw =
                realloc(p->catwhen, (p->ncatwhen + s->def->ncatwhen) * sizeof(*cw));
            if (cw == NULL)
                return sk_load_oom(l);
            p->catwhen = cw;
            memcpy(cw + p->ncatwhen, s->def->catwhen, s->def->ncatwhen * sizeof(*cw));
            p->ncatwhen += s->def->ncatwhen;
        }
    }
    for (size_t i = 0; i < l->ncat_ids; i++) {
        l->cur_cat = (uint32_t)i;
        if (sk_load_rows(l, "SELECT kind, value FROM category_entries WHERE category_id = ?1",
                         l->cat_ids[i], sk_row_entry) == -1)
            return -1;
    }
    s->entries += s->cats.entries;
    return sk_catset_build(&s->cats, l->err);
}

/* Directories (issue 14 item 3), and the tag that names their
 * configuration for the server's group cache. */
static int sk_row_directory(struct sk_load *l, sqlite3_stmt *st)
{
    struct sk_snapshot *s = l->s;
    struct sk_directory *v = realloc(s->dirs, (s->ndirs + 1) * sizeof(*v)), *d;

    if (v == NULL)
        return sk_pdb_errf(l->err, "out of memory building the policy snapshot");
    s->dirs = v;
    d = &s->dirs[s->ndirs++];
    memset(d, 0, sizeof(*d));
    d->name = strdup(sk_col(st, 0));
    d->uris = strdup(sk_col(st, 1));
    d->base = strdup(sk_col(st, 2));
    d->bind_dn = strdup(sk_col(st, 3));
    d->password_file = strdup(sk_col(st, 4));
    d->global_catalog = sqlite3_column_int(st, 5);
    d->group_attrs = strdup(sk_col(st, 6));
    d->domains = strdup(sk_col(st, 7));
    d->realms = strdup(sk_col(st, 8));
    if (!d->name || !d->uris || !d->base || !d->bind_dn || !d->password_file || !d->group_attrs ||
        !d->domains || !d->realms)
        return sk_pdb_errf(l->err, "out of memory building the policy snapshot");
    /* none given: the domain the base names (dc=corp,dc=example: CORP and
     * corp.example), so a directory answers for its own domain only */
    if (d->domains[0] == '\0' || d->realms[0] == '\0') {
        struct sk_buf dom = {0}, realm = {0};
        sk_dir_base_domains(d->base, &dom, &realm);
        if (dom.failed || realm.failed) {
            sk_buf_free(&dom);
            sk_buf_free(&realm);
            return sk_pdb_errf(l->err, "out of memory building the policy snapshot");
        }
        if (d->domains[0] == '\0' && dom.len > 0) {
            free(d->domains);
            d->domains = dom.data;
            dom.data = NULL;
        }
        if (d->realms[0] == '\0' && realm.len > 0) {
            free(d->realms);
            d->realms = realm.data;
            realm.data = NULL;
        }
        sk_buf_free(&dom);
        sk_buf_free(&realm);
    }
    return 0;
}

static int sk_load_directories(struct sk_load *l)
{
    struct sk_snapshot *s = l->s;
    uint64_t h = 0;

    if (sk_load_rows(l,
                     "SELECT name, uris, base, bind_dn, password_file, global_catalog,"
                     " group_attrs, domains, realms FROM directories ORDER BY name",
                     0, sk_row_directory) == -1)
        return -1;
    for (size_t i = 0; i < s->ndirs; i++) {
        const struct sk_directory *d = &s->dirs[i];
        const char *f[] = {d->name,    d->uris,          d->base,
                           d->bind_dn, d->password_file, d->group_attrs,
                           d->domains, d->realms,        d->global_catalog ? "1" : "0"};
        for (size_t k = 0; k < sizeof(f) / sizeof(f[0]); k++)
            h = sk_fnv1a64(f[k], strlen(f[k]) + 1, h);
    }
    snprintf(s->dir_tag, sizeof(s->dir_tag), "%016llx", (unsigned long long)h);
    return 0;
}

/* Everything read inside one transaction: one generation, one state. */
static int sk_load_read(struct sk_load *l)
{
    struct sk_snapshot *s = l->s;

    if ((s->generation = sk_pdb_generation(l->db)) == -1)
        return sk_pdb_sqlerr(l->db, l->err, "cannot read the generation");
    /* schedules first: rules refer to them (ORDER BY name: bsearch) */
    if (sk_load_rows(l, "SELECT name, days, times, tz FROM schedules ORDER BY name", 0,
                     sk_row_schedule) == -1 ||
        sk_load_rows(l, "SELECT id, name, priority, enabled FROM policies ORDER BY priority", 0,
                     sk_row_policy) == -1)
        return -1;
    for (size_t i = 0; i < s->npol; i++)
        if (strcmp(s->pol[i].name, SK_PDB_DEFAULT_POLICY) == 0)
            s->def = &s->pol[i];
    if (s->def == NULL)
        return sk_pdb_errf(l->err, "policy database %s: the default policy is missing",
                           sk_pdb_path(l->db));
    s->entries += s->npol;
    if (sk_load_rows(l, "SELECT policy_id, kind, value FROM policy_scopes ORDER BY id", 0,
                     sk_row_scope) == -1 ||
        sk_load_rows(l, "SELECT policy_id, key, value FROM settings", 0, sk_row_setting) == -1 ||
        sk_load_rows(l,
                     "SELECT policy_id, list, match, pattern, id, when_sched FROM url_rules"
                     " ORDER BY id",
                     0, sk_row_rule) == -1 ||
        sk_load_rows(l,
                     "SELECT pc.policy_id, c.id, c.name FROM policy_categories pc"
                     " JOIN categories c ON c.id = pc.category_id ORDER BY c.id",
                     0, sk_row_blocked) == -1 ||
        sk_load_rows(l,
                     "SELECT policy_id, name, detectors, min_count, action, when_sched"
                     " FROM dlp_templates ORDER BY id",
                     0, sk_row_dlp) == -1)
        return -1;
    if (sk_load_directories(l) == -1)
        return -1;
    return sk_load_categories(l);
}

static int sk_load_build(struct sk_load *l)
{
    struct sk_snapshot *s = l->s;

    s->bytes = sizeof(*s) + s->npol * sizeof(*s->pol) + sk_catset_bytes(&s->cats);
    for (size_t i = 0; i < s->npol; i++) {
        struct sk_policy *p = &s->pol[i];
        p->snap = s;
        if (sk_ruleset_build(&p->rules, l->err) == -1)
            return -1;
        s->bytes += p->rules.bytes + p->nips * sizeof(*p->ips) +
                    (p->nusers + p->ngroups) * sizeof(*p->users);
    }
    return 0;
}

struct sk_snapshot *sk_snapshot_load(struct sk_pdb *db, char **err)
{
    struct sk_load l = {.db = db, .err = err};
    sqlite3 *sq = sk_pdb_sqlite(db);
    struct timespec t0, t1;
    int own_txn = sqlite3_get_autocommit(sq), rc;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    if ((l.s = calloc(1, sizeof(*l.s))) == NULL) {
        sk_pdb_errf(err, "out of memory building the policy snapshot");
        return NULL;
    }
    l.s->refs = 1;
    if (own_txn && sqlite3_exec(sq, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        sk_pdb_sqlerr(db, err, "cannot begin a read transaction");
        goto fail;
    }
    rc = sk_load_read(&l);
    /* The hash of what was just read, in the same read transaction, so the
     * ISTag names exactly the content this snapshot enforces. */
    if (rc == 0)
        rc = sk_pdb_content_hash(db, l.s->content_hash, err);
    if (own_txn)
        sqlite3_exec(sq, "COMMIT", NULL, NULL, NULL);
    if (rc == -1 || sk_load_build(&l) == -1)
        goto fail;
    free(l.cat_ids);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    l.s->build_ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    return l.s;
fail:
    free(l.cat_ids);
    sk_snapshot_free(l.s);
    return NULL;
}

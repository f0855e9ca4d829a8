/* dlp_cache.c - the compiled DLP plans of one process, one per policy and
 * set of templates in force, kept for as long as the policy content
 * (sk_snapshot_content_hash) does not change, so templates are compiled
 * once per policy generation instead of once per request (issue 17: ~32 us
 * of pcre2_compile + JIT per request with two regexes). Trust: templates
 * come from the administrator's database; nothing here sees client bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlp.h"

#define SK_DLP_MAX_TEMPLATES 256
/* Entries at most (policies x schedule states seen); beyond, all are
 * dropped and rebuilt on demand: memory stays bounded whatever the
 * schedules do. */
#define SK_DLP_CACHE_MAX 256

size_t sk_dlp_templates_of(const struct sk_snapshot *snap, const struct sk_policy *pol, int64_t at,
                           const struct sk_dlp_template **out, uint32_t *sel, size_t max)
{
    const struct sk_policy *def = snap ? sk_snapshot_default(snap) : NULL;
    const struct sk_dlp_template *own, *glob;
    size_t nown = 0, nglob = 0, n = 0;

    own = sk_policy_dlp(pol, &nown);
    for (size_t i = 0; i < nown && n < max; i++)
        if (at == SK_AT_ANY || sk_policy_dlp_active(pol, i, at)) {
            if (sel)
                sel[n] = (uint32_t)i;
            out[n++] = &own[i];
        }
    if (def == NULL || def == pol)
        return n;
    glob = sk_policy_dlp(def, &nglob);
    for (size_t i = 0; i < nglob && n < max; i++) {
        int shadowed = 0;
        for (size_t j = 0; j < nown && !shadowed; j++)
            shadowed = strcmp(own[j].name, glob[i].name) == 0;
        if (!shadowed && (at == SK_AT_ANY || sk_policy_dlp_active(def, i, at))) {
            if (sel)
                sel[n] = SK_DLP_SEL_GLOBAL | (uint32_t)i;
            out[n++] = &glob[i];
        }
    }
    return n;
}

void sk_dlp_plan_cache_init(struct sk_dlp_plan_cache *c)
{
    memset(c, 0, sizeof(*c));
    pthread_mutex_init(&c->lock, NULL);
}

/* Caller holds the lock. */
static void sk_dlp_cache_drop(struct sk_dlp_plan_cache *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->ent[i].policy);
        free(c->ent[i].sel);
        sk_dlp_plan_unref(c->ent[i].plan); /* freed when the last transaction ends */
    }
    free(c->ent);
    c->ent = NULL;
    c->n = 0;
}

void sk_dlp_plan_cache_fini(struct sk_dlp_plan_cache *c)
{
    sk_dlp_cache_drop(c);
    c->hash[0] = '\0';
    pthread_mutex_destroy(&c->lock);
}

uint64_t sk_dlp_plan_cache_builds(struct sk_dlp_plan_cache *c)
{
    uint64_t n;

    pthread_mutex_lock(&c->lock);
    n = c->builds;
    pthread_mutex_unlock(&c->lock);
    return n;
}

/* Compile the plan of templates TPLS (N, which ones: SEL) for policy NAME
 * and remember it; caller holds the lock. A plan that does not compile is
 * not remembered: every transaction gets the error. */
static int sk_dlp_cache_add(struct sk_dlp_plan_cache *c, const char *name,
                            const struct sk_dlp_template *const *tpls, const uint32_t *sel,
                            size_t n, struct sk_dlp_plan **out, char **err)
{
    struct sk_dlp_cache_entry *grown, e = {0};
    struct sk_dlp_plan *plan = NULL;

    if (n > 0) {
        c->builds++;
        if (sk_dlp_plan_build(tpls, n, &plan, err) == -1)
            return -1;
    }
    *out = plan;
    if (c->n >= SK_DLP_CACHE_MAX)
        sk_dlp_cache_drop(c);
    e.policy = strdup(name);
    e.sel = malloc((n ? n : 1) * sizeof(*e.sel));
    if (e.policy == NULL || e.sel == NULL ||
        (grown = realloc(c->ent, (c->n + 1) * sizeof(*grown))) == NULL) {
        free(e.policy);
        free(e.sel);
        return 0; /* usable, only not remembered */
    }
    memcpy(e.sel, sel, n * sizeof(*e.sel));
    e.nsel = n;
    e.plan = plan;
    if (plan)
        sk_dlp_plan_ref(plan); /* the cache's, plus the caller's */
    c->ent = grown;
    c->ent[c->n++] = e;
    return 0;
}

int sk_dlp_plan_get(struct sk_dlp_plan_cache *c, const struct sk_snapshot *snap,
                    const struct sk_policy *pol, int64_t at, struct sk_dlp_plan **out, char **err)
{
    const struct sk_dlp_template *tpls[SK_DLP_MAX_TEMPLATES];
    uint32_t sel[SK_DLP_MAX_TEMPLATES];
    const char *hash = snap ? sk_snapshot_content_hash(snap) : "";
    const char *name = sk_policy_name(pol);
    size_t n = sk_dlp_templates_of(snap, pol, at, tpls, sel, SK_DLP_MAX_TEMPLATES);
    int rc = 0;

    *out = NULL;
    *err = NULL;
    pthread_mutex_lock(&c->lock);
    if (strncmp(c->hash, hash, sizeof(c->hash)) != 0) {
        sk_dlp_cache_drop(c); /* another policy content: every plan may differ */
        snprintf(c->hash, sizeof(c->hash), "%s", hash);
    }
    for (size_t i = 0; i < c->n; i++) {
        const struct sk_dlp_cache_entry *e = &c->ent[i];
        if (e->nsel == n && strcmp(e->policy, name) == 0 &&
            memcmp(e->sel, sel, n * sizeof(*sel)) == 0) {
            if ((*out = e->plan) != NULL)
                sk_dlp_plan_ref(*out);
            goto out;
        }
    }
    rc = sk_dlp_cache_add(c, name, tpls, sel, n, out, err);
out:
    pthread_mutex_unlock(&c->lock);
    return rc;
}

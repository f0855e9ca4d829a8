/* dlp_plan.c - compiles a policy's DLP templates (as stored: one detector
 * per line, see policy_db.h) into the plan the engine runs: a built-in
 * detector mask per template, keywords folded like the text they are
 * matched against, regexes compiled with PCRE2 (JIT) and match limits.
 * Trust: templates come from the administrator's database; a value that
 * does not compile (hand-edited file) is an error, never skipped (a
 * keyword the fold leaves empty is not an error: it can never match).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlp.h"

/* Bounds backtracking per match call: a pathological regex fails the
 * transaction (fail closed) instead of pinning a CPU. */
#define SK_DLP_MATCH_LIMIT 1000000

static int sk_dlp_plan_err(char **err, const char *tpl, const char *det, const char *why)
{
    if (asprintf(err, "DLP template '%s': detector '%s': %s", tpl, det, why) == -1)
        *err = NULL;
    return -1;
}

static int sk_dlp_add_custom(struct sk_dlp_plan *p, size_t tpl, const char *det, char **err)
{
    struct sk_dlp_custom *c, *grown;
    int is_kw = strncmp(det, "keyword:", 8) == 0;
    const char *arg = strchr(det, ':') + 1;
    size_t n = strlen(arg), used;

    if ((grown = realloc(p->cust, (p->ncust + 1) * sizeof(*grown))) == NULL)
        return sk_dlp_plan_err(err, p->tpl[tpl].name, det, "out of memory");
    p->cust = grown;
    c = &p->cust[p->ncust];
    memset(c, 0, sizeof(*c));
    c->tpl = tpl;
    c->kind = is_kw ? SK_DLP_KEYWORD : SK_DLP_REGEX;
    if ((c->text = malloc(n + 1)) == NULL)
        return sk_dlp_plan_err(err, p->tpl[tpl].name, det, "out of memory");
    p->ncust++;
    if (is_kw) {
        /* Same folding as the body text, then ASCII lower case. */
        c->len = sk_dlp_fold((const unsigned char *)arg, n, (unsigned char *)c->text, n, &used, 1);
        for (size_t i = 0; i < c->len; i++)
            if (c->text[i] >= 'A' && c->text[i] <= 'Z')
                c->text[i] += 32;
        c->text[c->len] = '\0';
        if (c->len == 0) {
            /* only characters the fold drops (zero-width, soft hyphen,
             * combining marks): the text never holds them either, so it
             * can never match. The CLI accepts it; failing the policy's
             * every transaction over it would be an outage. */
            free(c->text);
            c->text = NULL;
            p->ncust--;
            return 0;
        }
        if (c->len > p->kw_max)
            p->kw_max = c->len;
        return 0;
    }
    memcpy(c->text, arg, n + 1);
    c->len = n;
    int code = 0;
    PCRE2_SIZE off = 0;
    /* The flags sk_pdb_dlp_regex_compile() validates with. */
    c->re =
        pcre2_compile((PCRE2_SPTR)arg, n, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &code, &off, NULL);
    if (c->re == NULL) {
        PCRE2_UCHAR msg[160];
        if (pcre2_get_error_message(code, msg, sizeof(msg)) < 0)
            strcpy((char *)msg, "invalid regex");
        return sk_dlp_plan_err(err, p->tpl[tpl].name, det, (const char *)msg);
    }
    (void)pcre2_jit_compile(c->re, PCRE2_JIT_COMPLETE); /* interpreter if no JIT */
    return 0;
}

/* One template's detectors (stored one per line). */
static int sk_dlp_plan_tpl(struct sk_dlp_plan *p, size_t i, const char *dets, char **err)
{
    char *copy = strdup(dets), *save = NULL;
    int rc = 0, any = 0;

    if (copy == NULL)
        return sk_dlp_plan_err(err, p->tpl[i].name, "", "out of memory");
    for (char *d = strtok_r(copy, "\n", &save); d && rc == 0; d = strtok_r(NULL, "\n", &save)) {
        int b = sk_dlp_det_find(d);
        any = 1;
        if (b >= 0)
            p->tpl[i].builtins |= 1u << b;
        else if ((strncmp(d, "keyword:", 8) == 0 || strncmp(d, "regex:", 6) == 0) &&
                 strchr(d, ':')[1] != '\0')
            rc = sk_dlp_add_custom(p, i, d, err);
        else
            rc = sk_dlp_plan_err(err, p->tpl[i].name, d, "unknown detector");
    }
    free(copy);
    if (rc == 0 && !any)
        rc = sk_dlp_plan_err(err, p->tpl[i].name, "", "no detector");
    return rc;
}

int sk_dlp_plan_build(const struct sk_dlp_template *const *tpls, size_t n, struct sk_dlp_plan **out,
                      char **err)
{
    struct sk_dlp_plan *p = calloc(1, sizeof(*p));

    *out = NULL;
    *err = NULL;
    if (p != NULL)
        p->refs = 1;
    if (p == NULL || (n && (p->tpl = calloc(n, sizeof(*p->tpl))) == NULL))
        goto oom;
    p->ntpl = n;
    for (size_t i = 0; i < n; i++) {
        if ((p->tpl[i].name = strdup(tpls[i]->name)) == NULL)
            goto oom;
        p->tpl[i].min_count = tpls[i]->min_count > 0 ? tpls[i]->min_count : 1;
        p->tpl[i].block = strcmp(tpls[i]->action, "log") != 0; /* unknown: block */
        if (sk_dlp_plan_tpl(p, i, tpls[i]->detectors, err) == -1) {
            sk_dlp_plan_unref(p);
            return -1;
        }
        p->builtins |= p->tpl[i].builtins;
    }
    for (size_t k = 0; k < p->ncust; k++)
        if (p->cust[k].kind == SK_DLP_REGEX) {
            if ((p->mctx = pcre2_match_context_create(NULL)) == NULL)
                goto oom;
            pcre2_set_match_limit(p->mctx, SK_DLP_MATCH_LIMIT);
            pcre2_set_depth_limit(p->mctx, SK_DLP_MATCH_LIMIT / 10);
            break;
        }
    *out = p;
    return 0;
oom:
    sk_dlp_plan_unref(p);
    *err = strdup("out of memory");
    return -1;
}

void sk_dlp_plan_ref(struct sk_dlp_plan *p)
{
    __atomic_add_fetch(&p->refs, 1, __ATOMIC_RELAXED);
}

void sk_dlp_plan_unref(struct sk_dlp_plan *p)
{
    if (p == NULL || __atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    for (size_t k = 0; k < p->ncust; k++) {
        free(p->cust[k].text);
        pcre2_code_free(p->cust[k].re);
    }
    free(p->cust);
    for (size_t i = 0; p->tpl != NULL && i < p->ntpl; i++)
        free(p->tpl[i].name);
    free(p->tpl);
    pcre2_match_context_free(p->mctx);
    free(p);
}

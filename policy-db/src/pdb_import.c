/* pdb_import.c - replace the whole policy with a JSON document (import)
 * or a stored snapshot (rollback). Every value goes through the same
 * validation as the commands; any error leaves the caller's transaction
 * to roll back, so a bad document changes nothing. Trust: the document is
 * administrator input that may be hand-edited or damaged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdb_json.h"
#include "pdb_store.h"
#include "sched_internal.h"

struct sk_pdb_imp {
    struct sk_pdb *pdb;
    unsigned flags;
    char **err;
};

static int sk_pdb_bad(struct sk_pdb_imp *m, const char *what, const char *name)
{
    sk_pdb_errf(m->err, "policy document: %s%s%s%s", what, name ? " '" : "", name ? name : "",
                name ? "'" : "");
    return SK_PDB_REJECT;
}

/* Member KEY of O with type TYPE, or NULL. */
static const struct sk_json *sk_pdb_member(const struct sk_json *o, const char *key,
                                           enum sk_json_type type)
{
    const struct sk_json *v = sk_json_get(o, key);
    return v != NULL && v->type == type ? v : NULL;
}

static const char *sk_pdb_mstr(const struct sk_json *o, const char *key)
{
    const struct sk_json *v = sk_pdb_member(o, key, SK_JSON_STR);
    return v ? v->s : NULL;
}

/* A write helper's result: database errors stay -1, everything else is
 * the document's fault. */
static int sk_pdb_step_rc(int64_t rc)
{
    return rc == -1 ? -1 : rc == SK_PDB_REJECT ? SK_PDB_REJECT : 0;
}

static int sk_pdb_imp_entries(struct sk_pdb_imp *m, const char *cname,
                              const struct sk_json *entries, struct sk_pdb_entries *e)
{
    static const char *const kinds[] = {"domain", "url", "expression"};
    char out[8192];

    if (entries == NULL || entries->type != SK_JSON_OBJ)
        return sk_pdb_bad(m, "missing entries of category", cname);
    for (int k = 0; k < 3; k++) {
        const struct sk_json *a = sk_pdb_member(entries, kinds[k], SK_JSON_ARR);
        if (a == NULL)
            return sk_pdb_bad(m, "missing entry list in category", cname);
        for (size_t i = 0; i < a->n; i++) {
            const struct sk_json *v = &a->kids[i];
            ssize_t n = -1;
            if (v->type != SK_JSON_STR)
                return sk_pdb_bad(m, "entries must be strings in category", cname);
            if (k == 0)
                n = sk_pdb_domain_norm(v->s, v->len, out, sizeof(out));
            else if (k == 1)
                n = sk_pdb_url_entry_norm(v->s, v->len, out, sizeof(out));
            else if (v->len > 0 && v->len < sizeof(out) && sk_pdb_expression_valid(v->s))
                n = (ssize_t)v->len, memcpy(out, v->s, v->len + 1);
            if (n <= 0) {
                sk_pdb_errf(m->err, "policy document: invalid %s '%s' in category '%s'", kinds[k],
                            v->s, cname);
                return SK_PDB_REJECT;
            }
            if (sk_pdb_entries_add(e, kinds[k][0], out, (size_t)n) == -1)
                return sk_pdb_errf(m->err, "out of memory");
        }
    }
    sk_pdb_entries_sort(e);
    return 0;
}

/* The live version of category NAME, 0 if none/new. */
static int64_t sk_pdb_live_version(struct sk_pdb *pdb, const char *name)
{
    sqlite3_stmt *st = NULL;
    int64_t v = 0;

    if (sqlite3_prepare_v2(pdb->db,
                           "SELECT cc.version_id FROM categories c JOIN"
                           " category_current cc ON cc.category_id = c.id"
                           " WHERE c.name = ?1",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static int sk_pdb_imp_category(struct sk_pdb_imp *m, const struct sk_json *c)
{
    struct sk_pdb_entries e = {0};
    const char *name = sk_pdb_mstr(c, "name"), *source = sk_pdb_mstr(c, "source"),
               *comment = sk_pdb_mstr(c, "comment");
    const struct sk_json *ver = sk_pdb_member(c, "version", SK_JSON_INT);
    int64_t version = 0;
    int rc;

    if (name == NULL || source == NULL || comment == NULL)
        return sk_pdb_bad(m, "a category needs name, source and comment", name);
    if ((m->flags & SK_PDB_EXPORT_REFS) && ver != NULL) {
        version = ver->i;
        if (version == sk_pdb_live_version(m->pdb, name)) {
            /* Live entries are already that version: skip the rewrite. */
            sqlite3_stmt *st = NULL;
            rc = sqlite3_prepare_v2(m->pdb->db,
                                    "UPDATE categories SET source = ?2,"
                                    " comment = ?3 WHERE name = ?1",
                                    -1, &st, NULL) == SQLITE_OK &&
                         sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC) == SQLITE_OK &&
                         sqlite3_bind_text(st, 2, source, -1, SQLITE_STATIC) == SQLITE_OK &&
                         sqlite3_bind_text(st, 3, comment, -1, SQLITE_STATIC) == SQLITE_OK &&
                         sqlite3_step(st) == SQLITE_DONE
                     ? 0
                     : sk_pdb_sqlerr(m->pdb, m->err, "cannot restore categories");
            sqlite3_finalize(st);
            return rc;
        }
        rc = sk_pdb_version_load(m->pdb, version, &e, m->err);
    } else {
        rc = sk_pdb_imp_entries(m, name, sk_json_get(c, "entries"), &e);
    }
    if (rc == 0)
        rc = sk_pdb_category_store(m->pdb, name, source, comment, &e, version, m->err);
    sk_pdb_entries_free(&e);
    return rc;
}

/* Categories in the document replace all categories. */
static int sk_pdb_imp_categories(struct sk_pdb_imp *m, const struct sk_json *cats)
{
    int rc;

    if (sk_pdb_exec(m->pdb,
                    "CREATE TEMP TABLE IF NOT EXISTS sk_keep(name TEXT PRIMARY KEY);"
                    "DELETE FROM sk_keep;",
                    m->err) == -1)
        return -1;
    for (size_t i = 0; i < cats->n; i++) {
        const struct sk_json *c = &cats->kids[i];
        const char *name = sk_pdb_mstr(c, "name");
        sqlite3_stmt *st = NULL;
        if (c->type != SK_JSON_OBJ || name == NULL)
            return sk_pdb_bad(m, "a category must be an object with a name", NULL);
        if (sqlite3_prepare_v2(m->pdb->db, "INSERT INTO sk_keep VALUES (?1)", -1, &st, NULL) !=
                SQLITE_OK ||
            sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC) != SQLITE_OK ||
            sqlite3_step(st) != SQLITE_DONE) {
            sqlite3_finalize(st);
            return sk_pdb_bad(m, "duplicate category", name);
        }
        sqlite3_finalize(st);
    }
    if (sk_pdb_exec(m->pdb,
                    "DELETE FROM categories WHERE name NOT IN (SELECT name FROM"
                    " sk_keep); DROP TABLE sk_keep;",
                    m->err) == -1)
        return -1;
    for (size_t i = 0; i < cats->n; i++)
        if ((rc = sk_pdb_imp_category(m, &cats->kids[i])) != 0)
            return rc;
    return 0;
}

static int sk_pdb_imp_scopes(struct sk_pdb_imp *m, const char *name, const struct sk_json *a)
{
    for (size_t i = 0; a != NULL && i < a->n; i++) {
        const char *kind = sk_pdb_mstr(&a->kids[i], "kind"),
                   *value = sk_pdb_mstr(&a->kids[i], "value");
        int rc;
        if (kind == NULL || value == NULL)
            return sk_pdb_bad(m, "a scope needs kind and value in policy", name);
        if ((rc = sk_pdb_step_rc(sk_pdb_scope_add(m->pdb, name, kind, value, m->err))) != 0)
            return rc;
    }
    return 0;
}

/* An optional "when" member must be a string naming a schedule. */
static int sk_pdb_imp_when(struct sk_pdb_imp *m, const struct sk_json *o, const char *policy)
{
    const struct sk_json *w = sk_json_get(o, "when");

    if (w != NULL && w->type != SK_JSON_STR)
        return sk_pdb_bad(m, "\"when\" must be a schedule name in policy", policy);
    return 0;
}

/* Schedules in the document replace all schedules (nothing refers to
 * them any more: the caller emptied the rule tables). */
static int sk_pdb_imp_schedules(struct sk_pdb_imp *m, const struct sk_json *a)
{
    const char *times[SK_SCHED_MAX_RANGES + 1];
    char buf[SK_SCHED_MAX_RANGES * 12 + 1];
    int rc;

    if (sk_pdb_exec(m->pdb, "DELETE FROM schedules;", m->err) == -1)
        return -1;
    for (size_t i = 0; a != NULL && i < a->n; i++) {
        const struct sk_json *s = &a->kids[i];
        const char *name = sk_pdb_mstr(s, "name"), *days = sk_pdb_mstr(s, "days"),
                   *t = sk_pdb_mstr(s, "times"), *tz = sk_pdb_mstr(s, "tz");
        size_t nt = 0;
        if (!name || !days || !t || !tz || strlen(t) >= sizeof(buf))
            return sk_pdb_bad(m, "a schedule needs name, days, times and tz", name);
        memcpy(buf, t, strlen(t) + 1);
        for (char *p = buf, *save = NULL, *tok; (tok = strtok_r(p, ",", &save)) != NULL; p = NULL) {
            if (nt == SK_SCHED_MAX_RANGES)
                return sk_pdb_bad(m, "too many time ranges in schedule", name);
            times[nt++] = tok;
        }
        if ((rc = sk_pdb_step_rc(sk_pdb_schedule_add(m->pdb, name, days, times, nt, tz, m->err))) !=
            0)
            return rc;
    }
    return 0;
}

static int sk_pdb_imp_rules(struct sk_pdb_imp *m, const char *name, const struct sk_json *a)
{
    for (size_t i = 0; a != NULL && i < a->n; i++) {
        const struct sk_json *r = &a->kids[i];
        const char *list = sk_pdb_mstr(r, "list"), *match = sk_pdb_mstr(r, "match"),
                   *pattern = sk_pdb_mstr(r, "pattern"), *comment = sk_pdb_mstr(r, "comment");
        int rc;
        if (!list || !match || !pattern || !comment)
            return sk_pdb_bad(m, "a URL rule needs list, match, pattern and comment in policy",
                              name);
        if ((rc = sk_pdb_step_rc(
                 sk_pdb_url_add(m->pdb, name, list, match, pattern, comment, m->err))) != 0)
            return rc;
        if ((rc = sk_pdb_imp_when(m, r, name)) != 0 ||
            (sk_pdb_mstr(r, "when") != NULL &&
             (rc = sk_pdb_step_rc(sk_pdb_url_when(m->pdb, name, list, match, pattern,
                                                  sk_pdb_mstr(r, "when"), m->err))) != 0))
            return rc;
    }
    return 0;
}

static int sk_pdb_imp_dlp(struct sk_pdb_imp *m, int64_t pid, const char *name,
                          const struct sk_json *a)
{
    for (size_t i = 0; a != NULL && i < a->n; i++) {
        const struct sk_json *t = &a->kids[i], *min = sk_pdb_member(t, "min_count", SK_JSON_INT);
        const char *tname = sk_pdb_mstr(t, "name"), *det = sk_pdb_mstr(t, "detectors"),
                   *action = sk_pdb_mstr(t, "action");
        sqlite3_stmt *st = NULL;
        int ok;
        if (!tname || !det || !action || !min || !*tname || strlen(tname) > 64 || !*det ||
            min->i < 1 || (strcmp(action, "block") != 0 && strcmp(action, "log") != 0))
            return sk_pdb_bad(m, "invalid DLP template in policy", name);
        /* the same detector rules as `dlp add`, so an import cannot store a
         * template the dlp module would refuse at run time */
        char *why = NULL;
        if (sk_pdb_dlp_detectors_check(det, &why) != 0) {
            sk_pdb_errf(m->err, "policy document: DLP template '%s' in policy '%s': %s", tname,
                        name ? name : "?", why ? why : "invalid detectors");
            free(why);
            return SK_PDB_REJECT;
        }
        ok = sqlite3_prepare_v2(m->pdb->db,
                                "INSERT INTO dlp_templates(policy_id, name,"
                                " detectors, min_count, action) VALUES"
                                " (?1, ?2, ?3, ?4, ?5)",
                                -1, &st, NULL) == SQLITE_OK &&
             sqlite3_bind_int64(st, 1, pid) == SQLITE_OK &&
             sqlite3_bind_text(st, 2, tname, -1, SQLITE_STATIC) == SQLITE_OK &&
             sqlite3_bind_text(st, 3, det, -1, SQLITE_STATIC) == SQLITE_OK &&
             sqlite3_bind_int64(st, 4, min->i) == SQLITE_OK &&
             sqlite3_bind_text(st, 5, action, -1, SQLITE_STATIC) == SQLITE_OK &&
             sqlite3_step(st) == SQLITE_DONE;
        sqlite3_finalize(st);
        if (!ok)
            return sk_pdb_bad(m, "duplicate DLP template in policy", name);
        int rc;
        if ((rc = sk_pdb_imp_when(m, t, name)) != 0 ||
            (sk_pdb_mstr(t, "when") != NULL &&
             (rc = sk_pdb_step_rc(
                  sk_pdb_dlp_when(m->pdb, name, tname, sk_pdb_mstr(t, "when"), m->err))) != 0))
            return rc;
    }
    return 0;
}

static int sk_pdb_imp_policy(struct sk_pdb_imp *m, const struct sk_json *p)
{
    const char *name = sk_pdb_mstr(p, "name"), *comment = sk_pdb_mstr(p, "comment");
    const struct sk_json *prio = sk_pdb_member(p, "priority", SK_JSON_INT),
                         *en = sk_pdb_member(p, "enabled", SK_JSON_BOOL),
                         *settings = sk_pdb_member(p, "settings", SK_JSON_OBJ),
                         *cats = sk_pdb_member(p, "categories", SK_JSON_ARR);
    int def, rc;
    int64_t pid;

    if (!name || !comment || !prio || !en || !settings || !cats ||
        !sk_pdb_member(p, "scopes", SK_JSON_ARR) || !sk_pdb_member(p, "url_rules", SK_JSON_ARR) ||
        !sk_pdb_member(p, "dlp_templates", SK_JSON_ARR))
        return sk_pdb_bad(m,
                          "a policy needs name, priority, enabled, comment, scopes,"
                          " settings, url_rules, categories and dlp_templates",
                          name);
    def = strcmp(name, SK_PDB_DEFAULT_POLICY) == 0;
    if (def && (prio->i != SK_PDB_PRIORITY_DEFAULT || !en->i))
        return sk_pdb_bad(m, "the default policy must have priority 1000000 and be enabled", NULL);
    if (!def && (rc = sk_pdb_step_rc(sk_pdb_policy_add(m->pdb, name, prio->i < 0 ? -3 : prio->i,
                                                       comment, m->err))) != 0)
        return rc;
    if ((rc = sk_pdb_step_rc(
             sk_pdb_policy_update(m->pdb, name, -1, comment, def ? -1 : (int)en->i, m->err))) != 0)
        return rc;
    if ((pid = sk_pdb_policy_id(m->pdb, name, m->err)) <= 0)
        return -1;
    if ((rc = sk_pdb_imp_scopes(m, name, sk_json_get(p, "scopes"))) != 0 ||
        (rc = sk_pdb_imp_rules(m, name, sk_json_get(p, "url_rules"))) != 0 ||
        (rc = sk_pdb_imp_dlp(m, pid, name, sk_json_get(p, "dlp_templates"))) != 0)
        return rc;
    for (size_t i = 0; i < settings->n; i++) {
        const struct sk_json *s = &settings->kids[i];
        if (s->type != SK_JSON_STR)
            return sk_pdb_bad(m, "setting values must be strings in policy", name);
        if (sk_pdb_set_setting(m->pdb, name, s->key, s->s, m->err) == -1)
            return SK_PDB_REJECT;
    }
    for (size_t i = 0; i < cats->n; i++) {
        if (cats->kids[i].type != SK_JSON_STR)
            return sk_pdb_bad(m, "category names must be strings in policy", name);
        if ((rc = sk_pdb_step_rc(
                 sk_pdb_category_block(m->pdb, name, cats->kids[i].s, 1, m->err))) != 0)
            return rc;
    }
    /* schema v4: category blocks with a schedule */
    const struct sk_json *sc = sk_json_get(p, "scheduled_categories");
    if (sc != NULL && sc->type != SK_JSON_ARR)
        return sk_pdb_bad(m, "\"scheduled_categories\" must be an array in policy", name);
    for (size_t i = 0; sc != NULL && i < sc->n; i++) {
        const char *cname = sk_pdb_mstr(&sc->kids[i], "name"),
                   *when = sk_pdb_mstr(&sc->kids[i], "when");
        if (cname == NULL || when == NULL)
            return sk_pdb_bad(m, "a scheduled category needs name and when in policy", name);
        if ((rc = sk_pdb_step_rc(sk_pdb_category_block(m->pdb, name, cname, 1, m->err))) != 0 ||
            (rc = sk_pdb_step_rc(sk_pdb_category_when(m->pdb, name, cname, when, m->err))) != 0)
            return rc;
    }
    return 0;
}

/* Space-separated words of S into V (at most MAX); the count. */
static size_t sk_pdb_imp_words(char *s, char **v, size_t max)
{
    size_t n = 0;

    for (char *save = NULL, *w = strtok_r(s, " ", &save); w && n < max;
         w = strtok_r(NULL, " ", &save))
        v[n++] = w;
    return n;
}

/* "directories" (optional: absent = none) replace all directories. The
 * password file is not required to exist here: a document may be applied
 * on a node before its secret is put in place (the server refuses a
 * missing or readable file at lookup time, and says so). */
static int sk_pdb_imp_directories(struct sk_pdb_imp *m, const struct sk_json *doc)
{
    const struct sk_json *dirs = sk_json_get(doc, "directories");

    if (sk_pdb_exec(m->pdb, "DELETE FROM directories;", m->err) == -1)
        return -1;
    if (dirs == NULL)
        return 0;
    if (dirs->type != SK_JSON_ARR)
        return sk_pdb_bad(m, "\"directories\" must be an array", NULL);
    for (size_t i = 0; i < dirs->n; i++) {
        const struct sk_json *d = &dirs->kids[i];
        const struct sk_json *gc = sk_pdb_member(d, "global_catalog", SK_JSON_INT);
        const char *uris = sk_pdb_mstr(d, "uris"), *attrs = sk_pdb_mstr(d, "group_attrs");
        /* optional (schema v6): absent = derived from the base */
        const char *doms = sk_pdb_mstr(d, "domains"), *realms = sk_pdb_mstr(d, "realms");
        char ubuf[8192], abuf[1024], dbuf[1024], rbuf[4096], *uv[16], *av[16], *dv[17], *rv[17];
        struct sk_pdb_dir_spec spec = {
            .name = sk_pdb_mstr(d, "name"),
            .base = sk_pdb_mstr(d, "base"),
            .bind_dn = sk_pdb_mstr(d, "bind_dn"),
            .password_file = sk_pdb_mstr(d, "password_file"),
        };
        int rc;

        if (d->type != SK_JSON_OBJ || !spec.name || !spec.base || !spec.bind_dn ||
            !spec.password_file || !uris || !attrs || !gc || strlen(uris) >= sizeof(ubuf) ||
            strlen(attrs) >= sizeof(abuf) || (doms && strlen(doms) >= sizeof(dbuf)) ||
            (realms && strlen(realms) >= sizeof(rbuf)))
            return sk_pdb_bad(m,
                              "a directory needs name, uris, base, bind_dn, password_file,"
                              " global_catalog and group_attrs",
                              spec.name);
        snprintf(ubuf, sizeof(ubuf), "%s", uris);
        snprintf(abuf, sizeof(abuf), "%s", attrs);
        spec.nuris = sk_pdb_imp_words(ubuf, uv, 16);
        spec.ngroup_attrs = sk_pdb_imp_words(abuf, av, 16);
        spec.uris = (const char *const *)uv;
        spec.group_attrs = (const char *const *)av;
        snprintf(dbuf, sizeof(dbuf), "%s", doms ? doms : "");
        snprintf(rbuf, sizeof(rbuf), "%s", realms ? realms : "");
        spec.ndomains = sk_pdb_imp_words(dbuf, dv, 17);
        spec.nrealms = sk_pdb_imp_words(rbuf, rv, 17);
        spec.domains = (const char *const *)dv;
        spec.realms = (const char *const *)rv;
        spec.global_catalog = gc->i != 0;
        if ((rc = sk_pdb_step_rc(sk_pdb_directory_add(m->pdb, &spec, m->err))) != 0)
            return rc;
    }
    return 0;
}

static int sk_pdb_imp_tree(struct sk_pdb_imp *m, const struct sk_json *doc)
{
    const struct sk_json *ver = sk_pdb_member(doc, "version", SK_JSON_INT),
                         *pols = sk_pdb_member(doc, "policies", SK_JSON_ARR),
                         *cats = sk_pdb_member(doc, "categories", SK_JSON_ARR);
    const char *format = sk_pdb_mstr(doc, "format");
    int rc, have_default = 0;

    if (format == NULL || strcmp(format, "sekisho-policy") != 0)
        return sk_pdb_bad(m,
                          "not a Sekisho policy export (\"format\" is not"
                          " \"sekisho-policy\")",
                          NULL);
    if (ver == NULL || ver->i != 1)
        return sk_pdb_bad(m, "unsupported document version (this build reads version 1)", NULL);
    if (pols == NULL || cats == NULL)
        return sk_pdb_bad(m, "\"policies\" and \"categories\" must be arrays", NULL);
    for (size_t i = 0; i < pols->n; i++) {
        const char *name = sk_pdb_mstr(&pols->kids[i], "name");
        have_default += name != NULL && strcmp(name, SK_PDB_DEFAULT_POLICY) == 0;
    }
    if (have_default != 1)
        return sk_pdb_bad(m, "the document must hold the default policy exactly once", NULL);
    if (sk_pdb_exec(m->pdb,
                    "DELETE FROM policy_categories; DELETE FROM url_rules;"
                    " DELETE FROM settings; DELETE FROM policy_scopes;"
                    " DELETE FROM dlp_templates;"
                    " DELETE FROM policies WHERE name <> 'default';",
                    m->err) == -1)
        return -1;
    const struct sk_json *sch = sk_json_get(doc, "schedules");
    if (sch != NULL && sch->type != SK_JSON_ARR)
        return sk_pdb_bad(m, "\"schedules\" must be an array", NULL);
    if ((rc = sk_pdb_imp_schedules(m, sch)) != 0 || (rc = sk_pdb_imp_categories(m, cats)) != 0)
        return rc;
    if ((rc = sk_pdb_imp_directories(m, doc)) != 0)
        return rc;
    for (size_t i = 0; i < pols->n; i++) {
        if (pols->kids[i].type != SK_JSON_OBJ)
            return sk_pdb_bad(m, "a policy must be an object", NULL);
        if ((rc = sk_pdb_imp_policy(m, &pols->kids[i])) != 0)
            return rc;
    }
    return 0;
}

int sk_pdb_import_doc(struct sk_pdb *pdb, const char *text, size_t len, unsigned flags, char **err)
{
    struct sk_pdb_imp m = {.pdb = pdb, .flags = flags, .err = err};
    struct sk_json *doc = NULL;
    char *copy = malloc(len + 1);
    int rc = SK_PDB_REJECT;

    if (copy == NULL)
        return sk_pdb_errf(err, "out of memory");
    memcpy(copy, text, len);
    copy[len] = '\0';
    if ((doc = sk_json_parse(copy, len, err)) == NULL)
        goto out;
    if (doc->type != SK_JSON_OBJ) {
        sk_pdb_bad(&m, "the document must be a JSON object", NULL);
        goto out;
    }
    rc = sk_pdb_imp_tree(&m, doc);
out:
    sk_json_free(doc);
    free(copy);
    return rc;
}

int sk_pdb_import(struct sk_pdb *pdb, const char *text, size_t len, char **err)
{
    return sk_pdb_import_doc(pdb, text, len, 0, err);
}

/* dlp_fixture.c - what the dlp unit suites share (tests/unit/test_dlp.c,
 * test_dlp_*.c): a temp policy database with a template per detector and
 * a few policies, its snapshot, the module initialised through its hooks,
 * and one REQMOD transaction driven through them. Test-only. */
#include "dlp_fixture.h"

struct sk_module_ctx mctx;
struct sk_snapshot *snap;
char dbdir[64], dbpath[128];
int64_t run_clock;

static const char *opt_none(const struct sk_module_ctx *c, const char *key)
{
    return NULL;
}

/* ---- policy database ---- */
/* ---- policy database ---- */
static void add_tpl(struct sk_pdb *db, const char *policy, const char *name, const char *dets,
                    int64_t min, const char *action)
{
    const char *d[8];
    size_t n = 0;
    char *copy = strdup(dets), *save = NULL, *err = NULL;

    for (char *p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save))
        d[n++] = p;
    if (sk_pdb_dlp_add(db, policy, name, d, n, min, action, &err) <= 0)
        fail_msg("dlp add %s: %s", name, err);
    free(copy);
}

static void add_policy(struct sk_pdb *db, const char *name, const char *ip)
{
    char *err = NULL;
    if (sk_pdb_policy_add(db, name, -1, NULL, &err) < 0 ||
        sk_pdb_scope_add(db, name, "client-ip", ip, &err) < 0)
        fail_msg("policy %s: %s", name, err);
}

int setup(void **state)
{
    struct sk_pdb *db;
    char *err = NULL;
    static const char *const dets[] = {"credit-card", "my-number", "corporate-number", "ssn",
                                       "iban",        "email",     "jp-phone"};

    strcpy(dbdir, "/tmp/sk-test-dlp-XXXXXX");
    if (mkdtemp(dbdir) == NULL)
        return -1;
    snprintf(dbpath, sizeof(dbpath), "%s/policy.db", dbdir);
    if ((db = sk_pdb_open(dbpath, SK_PDB_RW | SK_PDB_CREATE, &err)) == NULL ||
        sk_pdb_init(db, "tester", &err) != 0 || sk_pdb_write_begin(db, &err) != 0) {
        fprintf(stderr, "setup: %s\n", err);
        return -1;
    }
    /* default policy: one log-only template per detector (global) */
    for (size_t i = 0; i < sizeof(dets) / sizeof(dets[0]); i++) {
        char name[64];
        snprintf(name, sizeof(name), "log-%s", dets[i]);
        add_tpl(db, NULL, name, dets[i], 1, "log");
    }
    add_policy(db, "blk", "10.0.0.2");
    add_tpl(db, "blk", "cards", "credit-card", 1, "block");
    add_tpl(db, "blk", "all e-mail addresses", "email", 1, "block");
    add_tpl(db, "blk", "マイナンバー", "my-number", 1, "block");
    add_tpl(db, "blk", "custom", "keyword:社外秘,regex:EMP-[0-9]{6}", 1, "block");
    add_policy(db, "three", "10.0.0.3");
    add_tpl(db, "three", "three cards", "credit-card", 3, "block");
    add_policy(db, "off", "10.0.0.4");
    add_tpl(db, "off", "cards", "credit-card", 1, "block");
    if (sk_pdb_set_setting(db, "off", "dlp.enabled", "off", &err) != 0 ||
        sk_pdb_write_commit(db, "tester", "test setup", &err) < 0 ||
        (snap = sk_snapshot_load(db, &err)) == NULL) {
        fprintf(stderr, "setup: %s\n", err);
        return -1;
    }
    sk_pdb_close(db);
    mctx = (struct sk_module_ctx){.name = "dlp", .option = opt_none};
    if (sk_dlp_init(&mctx, &err) != 0)
        return -1;
    return 0;
}

int teardown(void **state)
{
    sk_dlp_fini(&mctx);
    sk_snapshot_unref(snap);
    sk_t_remove_db(dbdir, dbpath);
    return 0;
}

/* ---- one transaction ---- */
static const struct req *cur_req;

const char *hdr_get(void *ctx, int response, const char *name)
{
    const struct req *r = ctx;
    if (response)
        return NULL;
    if (strcasecmp(name, "Content-Type") == 0)
        return r->ctype;
    if (strcasecmp(name, "Content-Encoding") == 0)
        return r->cenc;
    if (strcasecmp(name, "Accept-Language") == 0)
        return r->lang;
    return NULL;
}

/* Every field NAME, as c-icap's iterator gives them (Content-Type twice
 * when R has ctype2). */
static void hdr_each(void *ctx, int response, const char *name,
                     void (*fn)(void *arg, const char *value), void *arg)
{
    const struct req *r = ctx;
    const char *v = hdr_get(ctx, response, name);

    if (v)
        fn(arg, v);
    if (!response && r->ctype2 && strcasecmp(name, "Content-Type") == 0)
        fn(arg, r->ctype2);
}

void run(const struct req *r, struct res *out)
{
    struct sk_txn t;
    void *st = NULL;
    enum sk_verdict v;
    const char *kind, *name, *detail;

    memset(out, 0, sizeof(*out));
    cur_req = r;
    assert_int_equal(sk_txn_init(&t, SK_REQMOD, r->nobody ? "GET" : "POST",
                                 r->url ? r->url : "http://upload.example/x",
                                 r->ip ? r->ip : "10.9.9.9", "", ""),
                     0);
    t.has_body = !r->nobody;
    t.headers = (struct sk_header_source){.get = hdr_get, .each = hdr_each, .ctx = (void *)r};
    if (run_clock)
        t.clock = run_clock;
    sk_snapshot_ref(snap);
    sk_txn_set_snapshot(&t, snap);
    t.current = &mctx;
    assert_int_equal(sk_dlp_begin(&t, &st), 0);
    v = sk_dlp_headers(&t, st);
    assert_true(!r->nobody || v != SK_CONTINUE); /* nothing more will come */
    if (v == SK_CONTINUE) {
        const unsigned char *p = r->body;
        size_t chunk = r->chunk ? r->chunk : r->len + 1, off = 0;
        do {
            size_t n = r->len - off < chunk ? r->len - off : chunk;
            v = sk_dlp_body(&t, st, p + off, n, off + n == r->len);
            off += n;
        } while (v == SK_CONTINUE && off < r->len);
        if (v == SK_CONTINUE && r->len == 0)
            v = sk_dlp_body(&t, st, NULL, 0, 1);
    }
    sk_dlp_end(&t, st);
    out->v = v;
    snprintf(out->rule, sizeof(out->rule), "%s", t.rule ? t.rule : "");
    snprintf(out->reason, sizeof(out->reason), "%s", t.reason ? t.reason : "");
    for (int i = 0; sk_txn_detection(&t, i, &kind, &name, &detail) == 0; i++) {
        size_t o = strlen(out->reports);
        snprintf(out->reports + o, sizeof(out->reports) - o, "%s=%s\n", name, detail ? detail : "");
        out->nreports++;
    }
    if (t.page.body)
        out->page = strdup(t.page.body);
    out->status = t.page.status;
    snprintf(out->shown_url, sizeof(out->shown_url), "%s", sk_txn_shown_url(&t));
    t.current = NULL;
    sk_txn_clear(&t);
}

int text_collect(void *arg, const char *p, size_t n)
{
    struct text *t = arg;

    assert_true(t->n + n < sizeof(t->b));
    memcpy(t->b + t->n, p, n);
    t->n += n;
    t->b[t->n] = '\0';
    return 0;
}

void res_free(struct res *r)
{
    free(r->page);
}

/* Which log-<det> templates reported for TEXT (default policy). */
void check_text(const char *text, const char *want_tpl, int line)
{
    struct req r = {.ctype = "text/plain", .body = text, .len = strlen(text)};
    struct res o;
    char want[80];

    run(&r, &o);
    if (o.v != SK_ALLOW)
        fail_msg("line %d: verdict %d for '%s'", line, o.v, text);
    if (want_tpl == NULL && o.nreports != 0)
        fail_msg("line %d: '%s' must not match, got %s", line, text, o.reports);
    if (want_tpl != NULL) {
        snprintf(want, sizeof(want), "log-%s=", want_tpl);
        if (o.nreports != 1 || strstr(o.reports, want) != o.reports)
            fail_msg("line %d: '%s' must match %s only, got '%s'", line, text, want_tpl, o.reports);
    }
    res_free(&o);
}

void expect(const struct req *r, enum sk_verdict v, const char *rule, const char *why)
{
    struct res o;
    run(r, &o);
    if (o.v != v || (rule && strcmp(o.rule, rule) != 0))
        fail_msg("%s: verdict %d rule '%s' (want %d '%s'); reports: %s", why, o.v, o.rule, v,
                 rule ? rule : "", o.reports);
    res_free(&o);
}

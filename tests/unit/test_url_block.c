/* test_url_block.c - the url_block module, loaded from its .so and driven
 * through the real pipeline with transactions built directly (no c-icap):
 * every match mode, precedence, normalisation evasions end to end, CONNECT,
 * infected URLs, failure verdicts, block pages (language, kind, escaping)
 * and administrator templates. The policy is a temporary database written
 * with the policy library. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <sekisho/policy_db.h>
#include <sekisho/policy_snapshot.h>

#include "sk_chain.h"
#include "sk_infected.h"
#include "sk_pipeline.h"

#define UB_SO SK_TEST_MODULE_DIR "/../../lib/sekisho/modules/url_block.so"

static char ub_dir[64]; /* temp dir: policy.db, cat/, tpl/ */
static char ub_db[128];
static struct sk_snapshot *ub_snap; /* one reference, held by the group */
static struct sk_chain_conf ub_conf;
static struct sk_chain ub_chain = {.conf = &ub_conf};

/* ---- fixture: the policy ---- */

struct ub_rule {
    const char *policy, *list, *match, *pattern;
};

static const struct ub_rule ub_rules[] = {
    {NULL, "block", "domain", "bad.example"},
    {NULL, "block", "domain", "*.wild.example"},
    {NULL, "block", "domain", "192.0.2.66"},
    {NULL, "block", "domain", "bücher.example"},
    {NULL, "block", "prefix", "ads.example.net/banner/"},
    {NULL, "block", "prefix", "[2001:db8::66]/"},
    {NULL, "block", "substring", "/tracking-pixel"},
    {NULL, "block", "exact", "http://exact.example/only/this?x=1"},
    {NULL, "block", "regex", "^https?://[^/]*\\.regex\\.example/.*\\.exe$"},
    {NULL, "block", "regex", "^https?://redos\\.example/b/(a+)+b"},
    {NULL, "block", "domain", "both.example"},
    {NULL, "approved", "prefix", "update.vendor.example/"},
    {NULL, "approved", "domain", "approved.bad.example"},
    {NULL, "allow", "domain", "ok.bad.example"},
    {NULL, "allow", "domain", "fine.casino.example"},
    {"lab", "block", "substring", "lab-only"},
    {"lab", "block", "regex", "^https?://labredos\\.example/b/(a+)+b"},
    {NULL, "block", "cidr", "10.1.0.0/16"},
    {"mon", "block", "cidr", "10.1.0.0/16"},
};

static void ub_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void ub_ok(int rc, char *err, const char *what)
{
    if (rc < 0)
        fail_msg("%s: %s", what, err ? err : "?");
}

static void ub_build_policy(const char *dbpath)
{
    char *err = NULL, cat[128], p[160];
    struct sk_pdb *db = sk_pdb_open(dbpath, SK_PDB_RW | SK_PDB_CREATE, &err);
    struct sk_pdb_import_stats st;

    assert_non_null(db);
    ub_ok(sk_pdb_init(db, "tester", &err), err, "init");
    snprintf(cat, sizeof(cat), "%s/cat", ub_dir);
    assert_int_equal(mkdir(cat, 0700), 0);
    snprintf(p, sizeof(p), "%s/domains", cat);
    ub_write_file(p, "casino.example\nboth.example\n");
    snprintf(p, sizeof(p), "%s/urls", cat);
    ub_write_file(p, "games.example/poker\n");
    ub_ok(sk_pdb_write_begin(db, &err), err, "begin");
    ub_ok((int)sk_pdb_policy_add(db, "lab", -1, NULL, &err), err, "policy add");
    ub_ok(sk_pdb_scope_add(db, "lab", "client-ip", "10.9.0.0/16", &err), err, "scope");
    ub_ok(sk_pdb_set_setting(db, "lab", "url.on-error", "allow", &err), err, "set");
    ub_ok((int)sk_pdb_policy_add(db, "mon", -1, NULL, &err), err, "policy add mon");
    ub_ok(sk_pdb_scope_add(db, "mon", "client-ip", "10.8.0.0/16", &err), err, "scope mon");
    ub_ok(sk_pdb_set_setting(db, "mon", "url.action", "log", &err), err, "set url.action");
    ub_ok(sk_pdb_set_setting(db, NULL, "page.contact", "IT <it@corp.example> & \"desk\"", &err),
          err, "contact");
    for (size_t i = 0; i < sizeof(ub_rules) / sizeof(ub_rules[0]); i++)
        ub_ok((int)sk_pdb_url_add(db, ub_rules[i].policy, ub_rules[i].list, ub_rules[i].match,
                                  ub_rules[i].pattern, NULL, &err),
              err, ub_rules[i].pattern);
    ub_ok(sk_pdb_category_import(db, "gambling", cat, &st, &err), err, "import");
    ub_ok(sk_pdb_category_block(db, NULL, "gambling", 1, &err), err, "category block");
    ub_ok((int)sk_pdb_write_commit(db, "tester", "test fixture", &err), err, "commit");
    ub_snap = sk_snapshot_load(db, &err);
    if (ub_snap == NULL)
        fail_msg("snapshot: %s", err);
    sk_pdb_close(db);
}

static int ub_group_setup(void **state)
{
    char *err = NULL;

    strcpy(ub_dir, "/tmp/sk-test-urlblock-XXXXXX");
    if (mkdtemp(ub_dir) == NULL)
        return -1;
    snprintf(ub_db, sizeof(ub_db), "%s/policy.db", ub_dir);
    ub_build_policy(ub_db);
    if (sk_infected_init(64) == -1)
        return -1;
    ub_conf.policy_db = ub_db;
    if (sk_chain_load(&ub_chain, NULL, UB_SO, &err) == -1 || sk_chain_init(&ub_chain, &err) == -1) {
        fprintf(stderr, "url_block: %s\n", err);
        return -1;
    }
    return 0;
}

static int ub_group_teardown(void **state)
{
    char cmd[128];

    sk_chain_unload(&ub_chain);
    sk_chain_conf_free(&ub_conf);
    sk_snapshot_unref(ub_snap);
    sk_infected_fini();
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", ub_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- one transaction ---- */

struct ub_hdrs {
    const char *host, *accept, *accept_language;
};

static const char *ub_hdr_get(void *ctx, int response, const char *name)
{
    const struct ub_hdrs *h = ctx;

    if (response || h == NULL)
        return NULL;
    if (strcasecmp(name, "Host") == 0)
        return h->host;
    if (strcasecmp(name, "Accept") == 0)
        return h->accept;
    if (strcasecmp(name, "Accept-Language") == 0)
        return h->accept_language;
    return NULL;
}

struct ub_run {
    struct sk_txn t;
    struct ub_hdrs h;
    enum sk_outcome out;
    int module_error;
};

/* Run CHAIN over one transaction; the caller clears r->t. */
static void ub_go(struct ub_run *r, const struct sk_chain *chain, unsigned icap_method,
                  const char *http_method, const char *url, const char *client, const char *user)
{
    struct sk_pipeline p;

    assert_int_equal(sk_txn_init(&r->t, icap_method, http_method, url, client, user, ""), 0);
    r->t.headers.get = ub_hdr_get;
    r->t.headers.ctx = &r->h;
    sk_snapshot_ref(ub_snap);
    sk_txn_set_snapshot(&r->t, ub_snap);
    sk_pipeline_start(&p, chain, &r->t, SK_ON_ERROR_BLOCK);
    r->out = sk_pipeline_headers(&p);
    r->module_error = p.module_error;
    sk_pipeline_finish(&p);
}

static void ub_run(struct ub_run *r, const char *method, const char *url, const char *client)
{
    ub_go(r, &ub_chain, SK_REQMOD, method, url, client, "");
}

static const char *ub_page(const struct ub_run *r)
{
    return r->t.page.body ? r->t.page.body : "";
}

/* ---- decisions ---- */

struct ub_case {
    const char *method, *url, *client;
    enum sk_outcome want;
    const char *rule; /* expected rule (log label); NULL: none checked */
};

static const char *ub_out_name(enum sk_outcome o)
{
    return sk_outcome_name(o);
}

static void ub_table(const struct ub_case *c, size_t n)
{
    size_t fails = 0;

    for (size_t i = 0; i < n; i++) {
        struct ub_run r = {.h = {.accept = "text/html"}};
        const char *m = c[i].method ? c[i].method : "GET";
        ub_run(&r, m, c[i].url, c[i].client ? c[i].client : "192.0.2.1");
        int bad = r.out != c[i].want || (c[i].rule && (!r.t.rule || strcmp(r.t.rule, c[i].rule)));
        if (!bad && r.out == SK_OUT_BLOCK && r.t.page.status != 403)
            bad = 1;
        if (bad) {
            fprintf(stderr, "case %zu: %s %s: want %s %s, got %s %s (%s)\n", i, m, c[i].url,
                    ub_out_name(c[i].want), c[i].rule ? c[i].rule : "", ub_out_name(r.out),
                    r.t.rule ? r.t.rule : "-", r.t.reason ? r.t.reason : "-");
            fails++;
        }
        sk_txn_clear(&r.t);
    }
    assert_int_equal(fails, 0);
}

#define UB_B    SK_OUT_BLOCK
#define UB_A    SK_OUT_ALLOW
#define UB_P    SK_OUT_APPROVED
#define UB_N(a) (sizeof(a) / sizeof((a)[0]))

static void ub_match_modes(void **state)
{
    static const struct ub_case c[] = {
        /* domain: the host and its subdomains, never a look-alike */
        {NULL, "http://bad.example/", NULL, UB_B, "block:domain:bad.example"},
        {NULL, "http://a.b.bad.example/x", NULL, UB_B, "block:domain:bad.example"},
        {NULL, "http://notbad.example/", NULL, UB_A, NULL},
        {NULL, "http://bad.example.org/", NULL, UB_A, NULL},
        {NULL, "http://wild.example/", NULL, UB_B, "block:domain:wild.example"},
        {NULL, "http://x.wild.example/", NULL, UB_B, "block:domain:wild.example"},
        /* prefix: scheme-less, anchored at the host */
        {NULL, "http://ads.example.net/banner/1.gif", NULL, UB_B,
         "block:prefix:ads.example.net/banner/"},
        {NULL, "https://ads.example.net/banner/1.gif", NULL, UB_B, NULL},
        {NULL, "http://ads.example.net/other/banner/", NULL, UB_A, NULL},
        {NULL, "http://x.ads.example.net/banner/", NULL, UB_A, NULL},
        /* substring: anywhere after the scheme */
        {NULL, "http://any.example/a/tracking-pixel?x", NULL, UB_B,
         "block:substring:/tracking-pixel"},
        {NULL, "http://any.example/a/tracking_pixel", NULL, UB_A, NULL},
        /* exact: the whole canonical URL, query included */
        {NULL, "http://exact.example/only/this?x=1", NULL, UB_B,
         "block:exact:exact.example/only/this?x=1"},
        {NULL, "http://exact.example/only/this?x=2", NULL, UB_A, NULL},
        {NULL, "http://exact.example/only/this", NULL, UB_A, NULL},
        {NULL, "http://exact.example/only/this/x?x=1", NULL, UB_A, NULL},
        /* regex: sees the scheme; case-insensitive */
        {NULL, "https://dl.regex.example/setup.exe", NULL, UB_B, NULL},
        {NULL, "https://dl.regex.example/setup.txt", NULL, UB_A, NULL},
        {NULL, "ftp://dl.regex.example/setup.exe", NULL, UB_A, NULL},
        /* categories: domains and urls lists */
        {NULL, "http://www.casino.example/", NULL, UB_B, "category:gambling"},
        {NULL, "http://games.example/poker/table1", NULL, UB_B, "category:gambling"},
        {NULL, "http://www.games.example/poker", NULL, UB_B, "category:gambling"},
        {NULL, "http://games.example/chess", NULL, UB_A, NULL},
        /* a policy's own rule applies to its clients only */
        {NULL, "http://x.example/lab-only", "10.9.1.1", UB_B, "block:substring:lab-only"},
        {NULL, "http://x.example/lab-only", "10.8.1.1", UB_A, NULL},
        /* nothing matched */
        {NULL, "http://www.example.com/", NULL, UB_A, NULL},
    };
    ub_table(c, UB_N(c));
}

static void ub_precedence(void **state)
{
    static const struct ub_case c[] = {
        /* approved beats block (a subdomain of a blocked domain) */
        {NULL, "http://approved.bad.example/x", NULL, UB_P, "approved:domain:approved.bad.example"},
        {NULL, "http://update.vendor.example/win/kb1.msu", NULL, UB_P,
         "approved:prefix:update.vendor.example/"},
        /* allow beats block, and is not "approved" */
        {NULL, "http://ok.bad.example/", NULL, UB_A, NULL},
        {NULL, "http://deeper.ok.bad.example/", NULL, UB_A, NULL},
        /* block list beats category: the rule names the decision */
        {NULL, "http://both.example/", NULL, UB_B, "block:domain:both.example"},
        /* allow beats category */
        {NULL, "http://fine.casino.example/", NULL, UB_A, NULL},
        {NULL, "http://other.casino.example/", NULL, UB_B, "category:gambling"},
    };
    ub_table(c, UB_N(c));
}

/* Every spelling reaches the same decision as the canonical URL. */
static void ub_evasions(void **state)
{
    static const struct ub_case c[] = {
        {NULL, "http://BAD.EXAMPLE/", NULL, UB_B, "block:domain:bad.example"},
        {NULL, "HTTP://Bad.Example/x", NULL, UB_B, NULL},
        {NULL, "http://bad.example./", NULL, UB_B, NULL},
        {NULL, "http://bad.example.../", NULL, UB_B, NULL},
        {NULL, "http://www.bad.example./", NULL, UB_B, NULL},
        {NULL, "http://user:pass@bad.example/", NULL, UB_B, NULL},
        {NULL, "http://good.example@bad.example/", NULL, UB_B, NULL},
        {NULL, "http://good.example:x@bad.example:80/", NULL, UB_B, NULL},
        {NULL, "http://%62%61%64.example/", NULL, UB_B, NULL},
        {NULL, "http://bad%2eexample/", NULL, UB_B, NULL},
        {NULL, "http://bad.example:80/", NULL, UB_B, NULL},
        {NULL, "http://bad.example:0080/", NULL, UB_B, NULL},
        {NULL, "https://bad.example:8443/", NULL, UB_B, NULL},
        /* IPv4 spellings of 192.0.2.66 */
        {NULL, "http://192.0.2.66/", NULL, UB_B, "block:domain:192.0.2.66"},
        {NULL, "http://3221226050/", NULL, UB_B, NULL},
        {NULL, "http://0xc0.0.2.66/", NULL, UB_B, NULL},
        {NULL, "http://0300.0.2.66/", NULL, UB_B, NULL},
        {NULL, "http://0xc0000242/", NULL, UB_B, NULL},
        {NULL, "http://192.0.578/", NULL, UB_B, NULL},
        {NULL, "http://192.0.2.66./", NULL, UB_B, NULL},
        {NULL, "http://[::ffff:192.0.2.66]/", NULL, UB_B, NULL},
        /* IPv6 */
        {NULL, "http://[2001:0DB8:0:0::66]/x", NULL, UB_B, "block:prefix:[2001:db8::66]/"},
        /* IDN */
        {NULL, "http://bücher.example/", NULL, UB_B, "block:domain:xn--bcher-kva.example"},
        {NULL, "http://BÜCHER.example/", NULL, UB_B, NULL},
        {NULL, "http://xn--bcher-kva.example/", NULL, UB_B, NULL},
        {NULL, "http://XN--BCHER-KVA.EXAMPLE./", NULL, UB_B, NULL},
        {NULL, "http://b%C3%BCcher.example/", NULL, UB_B, NULL},
        {NULL, "http://www.bücher.example/", NULL, UB_B, NULL},
        /* paths against the prefix rule ads.example.net/banner/ */
        {NULL, "http://ads.example.net//banner/1.gif", NULL, UB_B, NULL},
        {NULL, "http://ads.example.net/x/../banner/1.gif", NULL, UB_B, NULL},
        {NULL, "http://ads.example.net/./banner/1.gif", NULL, UB_B, NULL},
        {NULL, "http://ads.example.net/%2e%2e/banner/1.gif", NULL, UB_B, NULL},
        {NULL, "http://ads.example.net/x/%2E%2E/banner/1.gif", NULL, UB_B, NULL},
        {NULL, "http://ads.example.net/%62anner/1.gif", NULL, UB_B, NULL},
        {NULL, "http://ads.example.net/BANNER/1.gif", NULL, UB_B, NULL},
        {NULL, "http://ads.example.net\\banner\\1.gif", NULL, UB_B, NULL},
        {NULL, "http://ads.example.net/banner/1.gif#frag", NULL, UB_B, NULL},
        {NULL, "http://ADS.example.NET:80/banner/1.gif", NULL, UB_B, NULL},
        /* substring and exact rules */
        {NULL, "http://any.example/a/%74racking-pixel", NULL, UB_B, NULL},
        {NULL, "http://any.example/a/TRACKING-PIXEL", NULL, UB_B, NULL},
        {NULL, "http://EXACT.example:80/only/./this?x=1", NULL, UB_B, NULL},
        {NULL, "http://exact.example/only//this?x=1", NULL, UB_B, NULL},
        {NULL, "http://exact.example/only/this?x=%31", NULL, UB_B, NULL},
        {NULL, "http://exact.example/only/this?x=1#f", NULL, UB_B, NULL},
        /* regex and category spellings */
        {NULL, "HTTPS://DL.REGEX.EXAMPLE/SETUP.EXE", NULL, UB_B, NULL},
        {NULL, "http://WWW.Casino.Example./", NULL, UB_B, "category:gambling"},
        /* CONNECT (HTTPS without decryption): host:port */
        {"CONNECT", "bad.example:443", NULL, UB_B, "block:domain:bad.example"},
        {"CONNECT", "BAD.EXAMPLE.:443", NULL, UB_B, NULL},
        {"CONNECT", "www.bad.example:8443", NULL, UB_B, NULL},
        {"CONNECT", "3221226050:443", NULL, UB_B, NULL},
        {"CONNECT", "[::ffff:c000:242]:443", NULL, UB_B, NULL},
        {"CONNECT", "casino.example:443", NULL, UB_B, "category:gambling"},
        {"CONNECT", "good.example:443", NULL, UB_A, NULL},
        {"connect", "bad.example:443", NULL, UB_B, NULL},
        /* broken spellings are never a bypass: failure verdict (block) */
        {NULL, "http://bad.example%00.good.example/", NULL, UB_B, "url-malformed"},
        {NULL, "http://bad.example/a b", NULL, UB_B, "url-malformed"},
        {NULL, "http://bad.example/\r\nX: y", NULL, UB_B, "url-malformed"},
        {NULL, "http://[::1/", NULL, UB_B, "url-malformed"},
        {NULL, "http://1.2.3.999/", NULL, UB_B, "url-malformed"},
        {NULL, "http://bad.example:99999/", NULL, UB_B, "url-malformed"},
        {NULL, "", NULL, UB_B, "url-malformed"},
    };
    ub_table(c, UB_N(c));
}

/* Origin-form request: the server built http://Host/path; a Host that
 * smuggles URL syntax is refused, asterisk-form is decided by Host. */
static void ub_host_header(void **state)
{
    struct ub_run r = {.h = {.host = "bad.example@good.example"}};

    ub_run(&r, "GET", "http://bad.example@good.example/x", "192.0.2.1");
    assert_int_equal(r.out, SK_OUT_BLOCK);
    assert_string_equal(r.t.rule, "url-malformed");
    sk_txn_clear(&r.t);

    r = (struct ub_run){.h = {.host = "BAD.example"}};
    ub_run(&r, "GET", "http://BAD.example/x", "192.0.2.1");
    assert_int_equal(r.out, SK_OUT_BLOCK);
    assert_string_equal(r.t.rule, "block:domain:bad.example");
    sk_txn_clear(&r.t);

    r = (struct ub_run){.h = {.host = "www.bad.example"}};
    ub_run(&r, "OPTIONS", "*", "192.0.2.1");
    assert_int_equal(r.out, SK_OUT_BLOCK);
    sk_txn_clear(&r.t);

    r = (struct ub_run){.h = {.host = "good.example"}};
    ub_run(&r, "OPTIONS", "*", "192.0.2.1");
    assert_int_equal(r.out, SK_OUT_ALLOW);
    sk_txn_clear(&r.t);
}

/* Overlong URLs, a regex over its match limit, and url.on-error. */
static void ub_failure_verdict(void **state)
{
    size_t n = SK_URL_MAX + 100;
    char *url = malloc(n + 1);
    struct ub_run r = {0};

    assert_non_null(url);
    /* the server hands over at most SK_URL_MAX + 1 bytes: more than
     * SK_URL_MAX is refused, SK_URL_MAX itself is checked normally */
    memset(url, 'a', n);
    memcpy(url, "http://good.example/", 20);
    url[SK_URL_MAX + 1] = '\0';
    ub_run(&r, "GET", url, "192.0.2.1");
    assert_int_equal(r.out, SK_OUT_BLOCK);
    assert_string_equal(r.t.rule, "url-overlong");
    assert_non_null(strstr(ub_page(&r), "could not be checked"));
    sk_txn_clear(&r.t);
    url[SK_URL_MAX] = '\0'; /* one byte shorter: checked normally */
    ub_run(&r, "GET", url, "192.0.2.1");
    assert_int_equal(r.out, SK_OUT_ALLOW);
    sk_txn_clear(&r.t);
    url[n] = '\0';
    url[SK_URL_MAX] = 'a';
    url[SK_URL_MAX + 1] = 'a';
    ub_run(&r, "GET", url, "192.0.2.1");
    assert_int_equal(r.out, SK_OUT_BLOCK);
    sk_txn_clear(&r.t);

    /* same URL for a client whose policy says url.on-error allow */
    ub_run(&r, "GET", url, "10.9.0.1");
    assert_int_equal(r.out, SK_OUT_ALLOW);
    assert_string_equal(r.t.rule, "url-overlong");
    assert_non_null(strstr(r.t.reason, "failure verdict: allow"));
    assert_null(r.t.page.body);
    sk_txn_clear(&r.t);
    free(url);

    /* catastrophic backtracking: evaluation fails, never hangs */
    ub_run(&r, "GET", "http://redos.example/b/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac",
           "192.0.2.1");
    assert_int_equal(r.out, SK_OUT_BLOCK);
    assert_string_equal(r.t.rule, "url-error");
    sk_txn_clear(&r.t);
    ub_run(&r, "GET", "http://labredos.example/b/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaac",
           "10.9.3.3");
    assert_int_equal(r.out, SK_OUT_ALLOW);
    assert_string_equal(r.t.rule, "url-error");
    sk_txn_clear(&r.t);
    /* malformed for the allow policy: allowed, logged */
    ub_run(&r, "GET", "http://bad.example/a b", "10.9.0.1");
    assert_int_equal(r.out, SK_OUT_ALLOW);
    assert_string_equal(r.t.rule, "url-malformed");
    sk_txn_clear(&r.t);
}

/* RESPMOD decides from the encapsulated request; without one, allows. */
static void ub_respmod(void **state)
{
    struct ub_run r = {0};
    const char *kind, *name, *det;

    ub_go(&r, &ub_chain, SK_RESPMOD, "GET", "http://www.bad.example/file", "192.0.2.1", "");
    assert_int_equal(r.out, SK_OUT_BLOCK);
    assert_string_equal(r.t.rule, "block:domain:bad.example");
    assert_int_equal(r.t.page.status, 403);
    /* reported for X-Violations-Found (xheaders) */
    assert_int_equal(sk_txn_detection(&r.t, 0, &kind, &name, &det), 0);
    assert_string_equal(kind, "url");
    assert_string_equal(name, "block:domain:bad.example");
    assert_int_equal(sk_txn_detection(&r.t, 1, &kind, &name, &det), -1);
    sk_txn_clear(&r.t);
    ub_go(&r, &ub_chain, SK_RESPMOD, "", "", "192.0.2.1", "");
    assert_int_equal(r.out, SK_OUT_ALLOW);
    assert_null(r.t.rule);
    sk_txn_clear(&r.t);
}

/* ---- approved skips later modules ---- */

static int ub_later_calls;

static enum sk_verdict ub_later_headers(struct sk_txn *t, void *state)
{
    ub_later_calls++;
    sk_txn_set_reason(t, "later", "later module blocks everything");
    return SK_BLOCK;
}

static const struct sk_module ub_later = {
    .abi = SK_MODULE_ABI,
    .name = "later",
    .methods = SK_REQMOD | SK_RESPMOD,
    .on_headers = ub_later_headers,
};

static void ub_approved_skips_rest(void **state)
{
    struct sk_chain_conf conf = {0};
    struct sk_chain c = {.conf = &conf};
    struct ub_run r = {0};
    char *err = NULL;

    assert_int_equal(sk_chain_load(&c, NULL, UB_SO, &err), 0);
    assert_int_equal(sk_chain_add(&c, &ub_later, &err), 0);
    assert_int_equal(sk_chain_init(&c, &err), 0);
    ub_later_calls = 0;
    ub_go(&r, &c, SK_RESPMOD, "GET", "http://update.vendor.example/eicar.com", "192.0.2.1", "");
    assert_int_equal(r.out, SK_OUT_APPROVED);
    assert_int_equal(sk_txn_approved(&r.t), 1);
    assert_int_equal(ub_later_calls, 0);
    sk_txn_clear(&r.t);
    /* allow-listed is not approved: the later module still runs */
    ub_go(&r, &c, SK_RESPMOD, "GET", "http://ok.bad.example/x", "192.0.2.1", "");
    assert_int_equal(r.out, SK_OUT_BLOCK);
    assert_int_equal(ub_later_calls, 1);
    assert_string_equal(r.t.rule, "later");
    sk_txn_clear(&r.t);
    sk_chain_unload(&c);
    sk_chain_conf_free(&conf);
}

/* ---- infected URLs ---- */

static void ub_infected(void **state)
{
    struct ub_run r = {.h = {.accept_language = "ja"}};

    assert_int_equal(sk_infected_url_add("http://files.example/setup.exe", 3600), 0);
    /* any spelling, any client, even an approved URL */
    ub_run(&r, "GET", "HTTP://FILES.EXAMPLE:80/x/../setup.exe", "10.9.9.9");
    assert_int_equal(r.out, SK_OUT_BLOCK);
    assert_string_equal(r.t.rule, "infected-url");
    assert_string_equal(r.t.reason, "URL recently delivered a virus");
    assert_non_null(strstr(ub_page(&r), "このURLは最近ウイルスを配信しました"));
    sk_txn_clear(&r.t);
    assert_int_equal(sk_infected_url_add("http://update.vendor.example/bad.msu", 3600), 0);
    r = (struct ub_run){0};
    ub_run(&r, "GET", "http://update.vendor.example/bad.msu", "192.0.2.1");
    assert_int_equal(r.out, SK_OUT_BLOCK);
    assert_string_equal(r.t.rule, "infected-url");
    assert_non_null(strstr(ub_page(&r), "URL recently delivered a virus"));
    sk_txn_clear(&r.t);
    ub_run(&r, "GET", "http://files.example/other.exe", "192.0.2.1");
    assert_int_equal(r.out, SK_OUT_ALLOW);
    sk_txn_clear(&r.t);
}

/* ---- block pages ---- */

struct ub_lang_case {
    const char *accept_language;
    const char *want; /* "en" or "ja" */
};

/* url.action log (monitor mode): what would block passes as would-block
 * with the same rule and a detection; failure verdicts are not monitored. */
static void ub_monitor(void **state)
{
    struct ub_run r = {.h = {.accept = "text/html"}};
    char *url;

    ub_run(&r, "GET", "http://0x0a010203/", "192.0.2.1");
    assert_int_equal(r.out, SK_OUT_BLOCK);
    assert_string_equal(r.t.rule, "block:cidr:10.1.0.0/16");
    assert_int_equal(r.t.would_block, 0);
    sk_txn_clear(&r.t);
    ub_run(&r, "GET", "http://0x0a010203/", "10.8.1.1");
    assert_int_equal(r.out, SK_OUT_ALLOW);
    assert_int_equal(r.t.would_block, 1);
    assert_string_equal(r.t.rule, "block:cidr:10.1.0.0/16");
    assert_null(r.t.page.body);
    assert_int_equal(r.t.n_detections, 1);
    assert_int_equal(r.t.n_icap_headers, 1);
    assert_string_equal(r.t.icap_headers[0], "X-Sekisho-Verdict: would-block");
    sk_txn_clear(&r.t);
    ub_run(&r, "GET", "http://games.example/poker/x", "10.8.1.1"); /* category */
    assert_int_equal(r.out, SK_OUT_ALLOW);
    assert_int_equal(r.t.would_block, 1);
    assert_string_equal(r.t.rule, "category:gambling");
    sk_txn_clear(&r.t);
    ub_run(&r, "GET", "http://clean.example/", "10.8.1.1");
    assert_int_equal(r.out, SK_OUT_ALLOW);
    assert_int_equal(r.t.would_block, 0);
    assert_int_equal(r.t.n_icap_headers, 0);
    sk_txn_clear(&r.t);
    url = malloc(SK_URL_MAX + 32); /* url.on-error (block) is not monitored */
    assert_non_null(url);
    strcpy(url, "http://long.example/");
    memset(url + 20, 'a', SK_URL_MAX);
    url[SK_URL_MAX + 10] = '\0';
    ub_run(&r, "GET", url, "10.8.1.1");
    assert_int_equal(r.out, SK_OUT_BLOCK);
    assert_int_equal(r.t.would_block, 0);
    sk_txn_clear(&r.t);
    free(url);
}

static void ub_page_language(void **state)
{
    static const struct ub_lang_case c[] = {
        {NULL, "en"},
        {"", "en"},
        {"ja", "ja"},
        {"ja-JP", "ja"},
        {"JA-jp,en;q=0.5", "ja"},
        {"en-US,en;q=0.9,ja;q=0.8", "en"},
        {"en;q=0.5, ja;q=0.8", "ja"},
        {"fr-FR, ja;q=0.3", "ja"},
        {"fr, de", "en"},
        {"ja;q=0, en", "en"},
        {"ja;q=0", "en"},
        {"ja;q=0.000", "en"},
        {"ja;q=1.5, en;q=0.1", "en"}, /* malformed q: element ignored */
        {"*;q=0.9, ja;q=0.5", "en"},
        {"ja;q=0.9, *;q=0.5", "ja"},
        {"ja ; q=0.7 , en ; q=0.6", "ja"},
        {"jav, ja-Latn;q=0.2", "ja"}, /* "jav" is not "ja" */
        {"zh-TW,zh;q=0.9", "en"},
        {",,;,ja", "ja"},
    };
    size_t fails = 0;

    for (size_t i = 0; i < UB_N(c); i++) {
        struct ub_run r = {.h = {.accept_language = c[i].accept_language}};
        char want[32];
        ub_run(&r, "GET", "http://bad.example/", "192.0.2.1");
        snprintf(want, sizeof(want), "<html lang=\"%s\">", c[i].want);
        if (r.out != SK_OUT_BLOCK || !strstr(ub_page(&r), want)) {
            fprintf(stderr, "case %zu: Accept-Language %s: want %s\n", i,
                    c[i].accept_language ? c[i].accept_language : "(none)", c[i].want);
            fails++;
        }
        sk_txn_clear(&r.t);
    }
    assert_int_equal(fails, 0);
}

struct ub_kind_case {
    const char *method, *accept;
    int html;
};

static void ub_page_kind(void **state)
{
    static const struct ub_kind_case c[] = {
        {"GET", NULL, 1},
        {"GET", "", 1},
        {"GET", "text/html,application/xhtml+xml,*/*;q=0.8", 1},
        {"GET", "*/*", 1},
        {"GET", "text/*", 1},
        {"GET", "application/xhtml+xml", 1},
        {"GET", "image/png,image/*;q=0.8", 0},
        {"GET", "application/json", 0},
        {"GET", "text/html;q=0, application/json", 0},
        {"GET", "TEXT/HTML", 1},
        {"HEAD", "text/html", 0},
        {"HEAD", NULL, 0},
        {"CONNECT", NULL, 1},
    };
    size_t fails = 0;

    for (size_t i = 0; i < UB_N(c); i++) {
        struct ub_run r = {.h = {.accept = c[i].accept}};
        const char *url =
            strcmp(c[i].method, "CONNECT") ? "http://bad.example/" : "bad.example:443";
        ub_run(&r, c[i].method, url, "192.0.2.1");
        const char *ct = r.t.page.content_type ? r.t.page.content_type : "";
        int html = strncmp(ct, "text/html", 9) == 0 && strstr(ub_page(&r), "<!DOCTYPE html>");
        int text = strncmp(ct, "text/plain", 10) == 0 && !strchr(ub_page(&r), '<') &&
                   strstr(ub_page(&r), "Access to this web page is blocked (Sekisho)") &&
                   r.t.page.len < 512;
        if (r.out != SK_OUT_BLOCK || (c[i].html ? !html : !text)) {
            fprintf(stderr, "case %zu: %s Accept %s: want %s, got %s\n", i, c[i].method,
                    c[i].accept ? c[i].accept : "(none)", c[i].html ? "html" : "text", ct);
            fails++;
        }
        sk_txn_clear(&r.t);
    }
    assert_int_equal(fails, 0);
}

/* What the page shows, and that every client-influenced value is escaped. */
static void ub_page_values_escaped(void **state)
{
    struct ub_run r = {.h = {.accept = "text/html"}};
    const char *page;

    /* malformed (space, CR/LF): the raw URL is what the page shows */
    ub_go(&r, &ub_chain, SK_REQMOD, "GET",
          "http://bad.example/<script>alert(1)</script>\r\nSet-Cookie: x=\"1\" '&", "192.0.2.1",
          "<b>mallory</b>");
    page = ub_page(&r);
    assert_int_equal(r.out, SK_OUT_BLOCK);
    assert_null(strstr(page, "<script>"));
    assert_null(strstr(page, "<b>"));
    assert_null(strstr(page, "\r"));
    assert_non_null(strstr(page, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_non_null(strstr(page, "\xef\xbf\xbd\xef\xbf\xbdSet-Cookie: x=&quot;1&quot; &#39;&amp;"));
    assert_non_null(strstr(page, "&lt;b&gt;mallory&lt;/b&gt;"));
    /* administrator text is escaped too */
    assert_non_null(strstr(page, "IT &lt;it@corp.example&gt; &amp; &quot;desk&quot;"));
    assert_non_null(strstr(page, r.t.id));
    assert_non_null(strstr(page, "<td>default</td>"));
    assert_non_null(strstr(page, "<td>192.0.2.1</td>"));
    assert_non_null(strstr(page, " UTC</td>"));
    sk_txn_clear(&r.t);

    /* the same values on the text page: no line can be injected */
    r = (struct ub_run){.h = {.accept = "application/json"}};
    ub_run(&r, "GET", "http://bad.example/\r\nX-Injected: 1\n<x>", "192.0.2.1");
    page = ub_page(&r);
    assert_null(strstr(page, "\r"));
    assert_null(strstr(page, "\nX-Injected"));
    assert_non_null(strstr(page, "<x>")); /* text/plain: no HTML escaping needed */
    sk_txn_clear(&r.t);

    /* invalid UTF-8 becomes U+FFFD; valid UTF-8 is kept */
    r = (struct ub_run){.h = {.accept = "text/html"}};
    ub_run(&r, "GET", "http://bad.example/\xff\xfe/日本", "192.0.2.1");
    page = ub_page(&r);
    assert_non_null(strstr(page, "/\xef\xbf\xbd\xef\xbf\xbd/日本"));
    sk_txn_clear(&r.t);

    /* category page names the category */
    r = (struct ub_run){.h = {.accept_language = "en"}};
    ub_run(&r, "GET", "http://casino.example/", "192.0.2.1");
    page = ub_page(&r);
    assert_non_null(strstr(page, "<td>gambling</td>"));
    assert_non_null(strstr(page, "blocked category &#39;gambling&#39;"));
    sk_txn_clear(&r.t);
    r = (struct ub_run){.h = {.accept_language = "ja"}};
    ub_run(&r, "GET", "http://ads.example.net/banner/x", "192.0.2.1");
    page = ub_page(&r);
    assert_non_null(strstr(page, "前方一致"));
    assert_non_null(strstr(page, "アクセスはブロックされました"));
    sk_txn_clear(&r.t);
}

/* Administrator templates: a directory replaces the built-in ones it
 * names; bad templates stop start-up with the file named. */
static void ub_custom_templates(void **state)
{
    struct sk_chain_conf conf = {0};
    struct sk_chain c = {.conf = &conf};
    struct ub_run r = {.h = {.accept_language = "ja"}};
    char tpl[128], p[192], *err = NULL;

    snprintf(tpl, sizeof(tpl), "%s/tpl", ub_dir);
    assert_int_equal(mkdir(tpl, 0700), 0);
    snprintf(p, sizeof(p), "%s/block.ja.html", tpl);
    ub_write_file(p, "<p>カスタム {{ url }}|{{reason}}|{{rule}}|{{match}}|{{category}}|"
                     "{{policy}}|{{client}}|{{user}}|{{ref}}|{{canonical}}|{{contact}}</p>\n");
    assert_int_equal(sk_chain_conf_option(&conf, "url_block.templates", tpl, &err), 0);
    assert_int_equal(sk_chain_load(&c, NULL, UB_SO, &err), 0);
    assert_int_equal(sk_chain_init(&c, &err), 0);
    ub_go(&r, &c, SK_REQMOD, "GET", "http://WWW.bad.example/<i>", "192.0.2.9", "");
    assert_int_equal(r.out, SK_OUT_BLOCK);
    assert_non_null(strstr(ub_page(&r), "<p>カスタム http://WWW.bad.example/&lt;i&gt;|URLルール"));
    assert_non_null(strstr(ub_page(&r), "|bad.example|ドメイン|-|default|192.0.2.9|-|"));
    assert_non_null(strstr(ub_page(&r), "|http://www.bad.example/%3Ci%3E|IT &lt;"));
    sk_txn_clear(&r.t);
    /* English was not replaced: built-in */
    r = (struct ub_run){.h = {.accept_language = "en"}};
    ub_go(&r, &c, SK_REQMOD, "GET", "http://bad.example/", "192.0.2.9", "");
    assert_non_null(strstr(ub_page(&r), "<html lang=\"en\">"));
    sk_txn_clear(&r.t);
    sk_chain_unload(&c);

    /* unknown placeholder: init fails naming the file and line */
    ub_write_file(p, "<p>line one</p>\n<p>{{nope}}</p>\n");
    assert_int_equal(sk_chain_load(&c, NULL, UB_SO, &err), 0);
    assert_int_equal(sk_chain_init(&c, &err), -1);
    assert_non_null(strstr(err, "block.ja.html"));
    assert_non_null(strstr(err, "unknown placeholder"));
    assert_non_null(strstr(err, "line 2"));
    free(err);
    err = NULL;
    sk_chain_unload(&c);
    /* unterminated placeholder, invalid UTF-8 */
    ub_write_file(p, "{{url");
    assert_int_equal(sk_chain_load(&c, NULL, UB_SO, &err), 0);
    assert_int_equal(sk_chain_init(&c, &err), -1);
    assert_non_null(strstr(err, "without a closing"));
    free(err);
    err = NULL;
    sk_chain_unload(&c);
    ub_write_file(p, "caf\xe9 {{url}}");
    assert_int_equal(sk_chain_load(&c, NULL, UB_SO, &err), 0);
    assert_int_equal(sk_chain_init(&c, &err), -1);
    assert_non_null(strstr(err, "UTF-8"));
    free(err);
    err = NULL;
    sk_chain_unload(&c);
    unlink(p);
    rmdir(tpl);
    /* a directory that does not exist */
    assert_int_equal(sk_chain_load(&c, NULL, UB_SO, &err), 0);
    assert_int_equal(sk_chain_init(&c, &err), -1);
    assert_non_null(strstr(err, "sekisho.Option url_block.templates"));
    assert_non_null(strstr(err, "existing directory"));
    free(err);
    sk_chain_unload(&c);
    sk_chain_conf_free(&conf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ub_match_modes),
        cmocka_unit_test(ub_precedence),
        cmocka_unit_test(ub_evasions),
        cmocka_unit_test(ub_host_header),
        cmocka_unit_test(ub_failure_verdict),
        cmocka_unit_test(ub_respmod),
        cmocka_unit_test(ub_approved_skips_rest),
        cmocka_unit_test(ub_infected),
        cmocka_unit_test(ub_monitor),
        cmocka_unit_test(ub_page_language),
        cmocka_unit_test(ub_page_kind),
        cmocka_unit_test(ub_page_values_escaped),
        cmocka_unit_test(ub_custom_templates),
    };
    return cmocka_run_group_tests(tests, ub_group_setup, ub_group_teardown);
}

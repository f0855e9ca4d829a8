/* cli_pull.c - `sekisho-policy pull`: a node fetches the signed bundle
 * that a publish directory's index names (libcurl: TLS verification on,
 * timeouts, size limits), verifies it (cli_bundle.c) and imports it into
 * the local database in one write, which the server's children then load
 * as they load any change. The index (a few hundred bytes) is fetched whole
 * at every poll on purpose: static servers' validators have one-second
 * granularity (nginx's ETag is mtime seconds + size), so a conditional
 * request could hide a publish made within the same second. The bundle,
 * immutable under its name (generation and content hash), is fetched only
 * when the index names one this process has not acted on: that name is
 * the condition. The local database is the last good copy: a node restarted while the source is
 * down starts from it. Older bundles (by the publisher's generation) are refused: an explicit
 * rollback is a newer bundle. Each outcome is logged when it changes, not at every poll. SECURITY:
 * everything fetched is untrusted until the Ed25519 signature by the configured key, the key id,
 * the length and the content hash agree. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cli.h"
#include "cli_bundle.h"

#define SK_PULL_MAX_BUNDLE  (512L << 20) /* a 1M-domain policy exports to ~30 MB */
#define SK_PULL_MAX_SMALL   (64L << 10)  /* index, signature */
#define SK_PULL_BACKOFF_MAX 600

enum sk_pull_outcome { SK_PULL_APPLIED, SK_PULL_CURRENT, SK_PULL_REFUSED, SK_PULL_UNREACHABLE };

struct sk_pull {
    struct sk_cli *c;
    EVP_PKEY *key;
    char key_id[SK_BUNDLE_KEYID_HEX + 1];
    char acted[256]; /* bundle name last applied or refused for good */
    char last[1024]; /* last logged outcome */
    char msg[1024];
};

static volatile sig_atomic_t sk_pull_stop;

static void sk_pull_on_signal(int sig)
{
    (void)sig;
    sk_pull_stop = 1;
}

static void sk_pull_set(struct sk_pull *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void sk_pull_set(struct sk_pull *p, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(p->msg, sizeof(p->msg), fmt, ap);
    va_end(ap);
}

/* GET SOURCE/NAME into F. Returns the HTTP status, or -1 with p->msg set. */
static long sk_pull_get(struct sk_pull *p, const char *name, struct sk_fetch *f)
{
    char url[4096];

    snprintf(url, sizeof(url), "%s%s%s", p->c->source,
             p->c->source[strlen(p->c->source) - 1] == '/' ? "" : "/", name);
    return sk_cli_fetch(url, p->c->ca, f, p->msg, sizeof(p->msg));
}

static int sk_pull_index_name(const char *idx, char *name, size_t size)
{
    const char *b;
    size_t n = 0;

    if (strncmp(idx, "sekisho-policy-index 1\n", 23) != 0 ||
        (b = strstr(idx, "\nbundle: ")) == NULL)
        return -1;
    b += 9;
    while (b[n] && b[n] != '\n')
        n++;
    if (n < 22 || n >= size || strncmp(b, "policy-", 7) != 0 ||
        strncmp(b + n - 7, ".bundle", 7) != 0)
        return -1;
    for (size_t i = 7; i < n - 7; i++)
        if (!((b[i] >= '0' && b[i] <= '9') || (b[i] >= 'a' && b[i] <= 'f') || b[i] == '-'))
            return -1;
    memcpy(name, b, n);
    name[n] = '\0';
    return 0;
}

static int64_t sk_pull_meta_int(struct sk_pdb *pdb, const char *key)
{
    sqlite3_stmt *st = NULL;
    int64_t v = 0;

    if (sqlite3_prepare_v2(sk_pdb_sqlite(pdb), "SELECT value FROM meta WHERE key = ?1", -1, &st,
                           NULL) == SQLITE_OK &&
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Import B into the local database in one write, with the bundle's
 * generation recorded beside it. The comparison with what was applied
 * before happens inside the same write, so two pullers cannot race. */
static enum sk_pull_outcome sk_pull_apply(struct sk_pull *p, const struct sk_bundle *b,
                                          const char *name)
{
    struct sk_pdb *pdb = sk_cli_open(p->c, SK_PDB_RW);
    char *err = NULL, cmd[1200];
    sqlite3_stmt *st = NULL;
    int64_t applied, gen;
    enum sk_pull_outcome out = SK_PULL_REFUSED;

    if (!pdb) {
        sk_pull_set(p, "cannot open the local policy database %s", p->c->db);
        return SK_PULL_REFUSED;
    }
    if (sk_pdb_write_begin(pdb, &err) != 0) {
        sk_pull_set(p, "local database: %s", err ? err : "cannot begin a write");
        goto out;
    }
    applied = sk_pull_meta_int(pdb, "bundle_generation");
    if (b->generation < applied) {
        sk_pull_set(p,
                    "refused %s: generation %lld is older than the applied %lld "
                    "(no downgrade; publish a rollback as a new bundle)",
                    name, (long long)b->generation, (long long)applied);
        sk_pdb_write_rollback(pdb);
        goto out;
    }
    if (b->generation == applied) {
        char have[SK_PDB_HASH_HEX + 1];
        if (sk_pdb_content_hash(pdb, have, &err) == 0 && strcmp(have, b->content_hash) == 0) {
            sk_pull_set(p, "up to date with %s (generation %lld, content %.12s)", name,
                        (long long)applied, have);
            out = SK_PULL_CURRENT;
        } else {
            sk_pull_set(p, "refused %s: generation %lld was applied before with other content",
                        name, (long long)applied);
        }
        sk_pdb_write_rollback(pdb);
        goto out;
    }
    if (sk_pdb_import(pdb, b->policy, b->policy_len, &err) != 0) {
        sk_pull_set(p, "refused %s: %s", name, err ? err : "import failed");
        sk_pdb_write_rollback(pdb);
        goto out;
    }
    if (sqlite3_prepare_v2(sk_pdb_sqlite(pdb),
                           "INSERT OR REPLACE INTO meta(key, value) VALUES"
                           " ('bundle_generation', ?1)",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_int64(st, 1, b->generation) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
        sk_pull_set(p, "local database: cannot record the bundle generation");
        sqlite3_finalize(st);
        sk_pdb_write_rollback(pdb);
        goto out;
    }
    sqlite3_finalize(st);
    snprintf(cmd, sizeof(cmd), "pull %s", name);
    if ((gen = sk_pdb_write_commit(pdb, "pull", cmd, &err)) < 0) {
        sk_pull_set(p, "local database: %s", err ? err : "commit failed");
        goto out;
    }
    sk_pull_set(p,
                "applied %s (publisher generation %lld, content %.12s, signed by %s) as local "
                "generation %lld",
                name, (long long)b->generation, b->content_hash, b->key_id, (long long)gen);
    out = SK_PULL_APPLIED;
out:
    free(err);
    sk_pdb_close(pdb);
    return out;
}

static enum sk_pull_outcome sk_pull_once(struct sk_pull *p)
{
    struct sk_fetch idx = {.max = SK_PULL_MAX_SMALL}, bun = {.max = SK_PULL_MAX_BUNDLE},
                    sig = {.max = SK_PULL_MAX_SMALL};
    char name[256], signame[300];
    struct sk_bundle b;
    char *why = NULL, hash[65];
    enum sk_pull_outcome out = SK_PULL_UNREACHABLE;
    long st;

    if ((st = sk_pull_get(p, "index", &idx)) != 200) {
        if (st > 0)
            sk_pull_set(p, "%s/index: HTTP %ld", p->c->source, st);
        goto out;
    }
    if (!idx.p || sk_pull_index_name(idx.p, name, sizeof(name)) != 0) {
        sk_pull_set(p, "refused %s/index: not a Sekisho policy index", p->c->source);
        out = SK_PULL_REFUSED;
        goto out;
    }
    if (strcmp(name, p->acted) == 0) {
        /* acted on already: the outcome logged then still stands */
        sk_pull_set(p, "%s", p->last);
        out = strncmp(p->last, "refused", 7) == 0 ? SK_PULL_REFUSED : SK_PULL_CURRENT;
        goto out;
    }
    snprintf(signame, sizeof(signame), "%s.sig", name);
    if ((st = sk_pull_get(p, name, &bun)) != 200) {
        if (st > 0)
            sk_pull_set(p, "%s/%s: HTTP %ld", p->c->source, name, st);
        goto out;
    }
    if ((st = sk_pull_get(p, signame, &sig)) != 200) {
        if (st > 0)
            sk_pull_set(p, "%s/%s: HTTP %ld", p->c->source, signame, st);
        goto out;
    }
    out = SK_PULL_REFUSED;
    if (sk_bundle_parse(bun.p ? bun.p : "", bun.len, &b, &why) != 0) {
        sk_pull_set(p, "refused %s: %s", name, why);
    } else if (strcmp(b.key_id, p->key_id) != 0) {
        sk_pull_set(p, "refused %s: signed by key %s, this node trusts %s", name, b.key_id,
                    p->key_id);
    } else if (sk_bundle_verify(p->key, bun.p, bun.len, sig.p ? sig.p : "", sig.len) != 0) {
        sk_pull_set(p,
                    "refused %s: the signature does not verify (tampered, or not signed "
                    "by key %s)",
                    name, p->key_id);
    } else if (sk_pdb_sha256_hex(b.policy, b.policy_len, hash), strcmp(hash, b.content_hash)) {
        sk_pull_set(p, "refused %s: content hash mismatch", name);
    } else {
        out = sk_pull_apply(p, &b, name);
    }
    /* a verdict on the bundle itself is final for that name (it is
     * immutable); a local database error is tried again at the next poll */
    if (out == SK_PULL_APPLIED || out == SK_PULL_CURRENT ||
        (out == SK_PULL_REFUSED && strncmp(p->msg, "refused", 7) == 0))
        snprintf(p->acted, sizeof(p->acted), "%s", name);
out:
    free(idx.p);
    free(bun.p);
    free(sig.p);
    return out;
}

static void sk_pull_log(struct sk_pull *p)
{
    char ts[32];
    time_t now = time(NULL);
    struct tm tm;

    if (strcmp(p->msg, p->last) == 0)
        return;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(stderr, "%s sekisho-policy pull: %s\n", ts, p->msg);
    fflush(stderr);
    snprintf(p->last, sizeof(p->last), "%s", p->msg);
}

int sk_cli_pull(struct sk_cli *c)
{
    struct sk_pull p = {.c = c};
    char *why = NULL;
    long poll = 30, fails = 0;
    int rc = SK_CLI_OK;
    struct sigaction sa = {.sa_handler = sk_pull_on_signal};

    if (!c->source || !c->pubkey)
        return sk_cli_usage("pull needs --source URL and --pubkey FILE");
    if (strncmp(c->source, "http://", 7) != 0 && strncmp(c->source, "https://", 8) != 0)
        return sk_cli_usage("--source %s: an http:// or https:// URL", c->source);
    if (c->poll) {
        char *e;
        errno = 0;
        poll = strtol(c->poll, &e, 10);
        if (errno || *e || poll < 1 || poll > 86400)
            return sk_cli_usage("--poll %s: seconds between 1 and 86400", c->poll);
    }
    if ((p.key = sk_bundle_load_key(c->pubkey, 0, &why)) == NULL)
        return sk_cli_usage("--pubkey %s: %s", c->pubkey, why);
    sk_bundle_key_id(p.key, p.key_id);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
        EVP_PKEY_free(p.key);
        return sk_cli_fail("cannot initialise libcurl");
    }
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    srandom((unsigned)(time(NULL) ^ getpid()));
    while (!sk_pull_stop) {
        enum sk_pull_outcome o = sk_pull_once(&p);
        long wait;

        sk_pull_log(&p);
        if (c->once) {
            rc = (o == SK_PULL_APPLIED || o == SK_PULL_CURRENT) ? SK_CLI_OK : SK_CLI_FAIL;
            break;
        }
        /* back off while the source is unreachable: 2x per failure up to
         * SK_PULL_BACKOFF_MAX (or the poll interval, if longer) */
        fails = (o == SK_PULL_UNREACHABLE) ? fails + 1 : 0;
        wait = poll << (fails < 5 ? fails : 5);
        if (wait > SK_PULL_BACKOFF_MAX)
            wait = poll > SK_PULL_BACKOFF_MAX ? poll : SK_PULL_BACKOFF_MAX;
        /* +-20% jitter, in milliseconds: a fleet restarted together
         * spreads its polls */
        wait = wait * 1000 * (80 + random() % 41) / 100;
        for (long ms = 0; ms < wait && !sk_pull_stop; ms += 50)
            usleep(50000);
    }
    curl_global_cleanup();
    EVP_PKEY_free(p.key);
    return rc;
}

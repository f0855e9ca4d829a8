/* cli_pull.c - `sekisho-policy pull`: a node fetches the signed bundle
 * that a publish directory's index names (libcurl: TLS verification on,
 * timeouts, size limits), verifies it (cli_bundle.c) and imports it into
 * the local database in one write, which the server's children then load
 * as they load any change. The index (a few hundred bytes) is fetched whole
 * at every poll on purpose: static servers' validators have one-second
 * granularity (nginx's ETag is mtime seconds + size), so a conditional
 * request could hide a publish made within the same second. The bundle,
 * immutable under its name (generation and content hash), is fetched only
 * when the index names one this process has not given a final verdict on
 * (a verified bundle applied, current or refused) and nobody wrote to the
 * local database since; bytes that do not verify are fetched again at the
 * next poll. The local database is the last good copy: a node restarted
 * while the source is down starts from it. Older bundles (by the
 * publisher's generation) are refused: an explicit rollback is a newer
 * bundle. The trusted key file is re-read when it changes. Each outcome is
 * logged when it changes, not at every poll, and written to --state for
 * the node's status listener. SECURITY: everything fetched is untrusted
 * until the Ed25519 signature by the configured key, the key id, the
 * length and the content hash agree. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cli.h"
#include "cli_bundle.h"

#define SK_PULL_MAX_BUNDLE  (512L << 20) /* a 1M-domain policy exports to ~30 MB */
#define SK_PULL_MAX_SMALL   (64L << 10)  /* index, signature */
#define SK_PULL_BACKOFF_MAX 600

/* APPLIED, CURRENT and REFUSED are verdicts on a bundle whose signature
 * verified: final for its name (a published bundle is immutable). FAILED is
 * everything else - source unreachable, bytes that do not verify, no trusted
 * key, the local database busy - and is tried again at the next poll (with
 * back-off): a cache or proxy that served a truncated, re-encoded or stale
 * copy once must not keep the node from the real bundle until the next
 * publish (red team 8f). */
enum sk_pull_outcome { SK_PULL_APPLIED, SK_PULL_CURRENT, SK_PULL_REFUSED, SK_PULL_FAILED };

struct sk_pull {
    struct sk_cli *c;
    EVP_PKEY *key; /* NULL: no key is trusted, nothing is applied */
    struct stat key_st;
    char key_id[SK_BUNDLE_KEYID_HEX + 1];
    char acted[256]; /* bundle name last applied or refused for good */
    char acted_msg[1024];
    enum sk_pull_outcome acted_out;
    int64_t acted_local; /* the local generation when it was acted on */
    int64_t local_gen;   /* set by sk_pull_apply */
    char last[1024];     /* last logged outcome */
    char msg[1024];
    /* for --state */
    int64_t bundle_gen, bundle_created, attempt_at, success_at, applied_at;
    int64_t index_expires; /* the last index that verified: until when it is valid */
    long failures;
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

/* Is the directory holding PATH writable by group or others? */
static int sk_pull_dir_writable(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    struct stat st;

    if (!slash)
        snprintf(dir, sizeof(dir), ".");
    else
        snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
    return stat(dir, &st) != 0 || (st.st_mode & 022) != 0;
}

/* The trusted key, (re)read whenever --pubkey's file changed (device,
 * inode, size, mtime): an operator who rotates or removes a key stops
 * trusting the old one at the next poll, not at the next restart. 0 with
 * p->key set, or -1 (p->msg says why) when no key is trusted now. A key
 * file that group or others may write, or replace (its directory), is no
 * key: whoever can write it decides what the node enforces. Checked at
 * every poll, so a chmod counts as well. */
static int sk_pull_key(struct sk_pull *p)
{
    struct stat st;
    char *why = NULL;
    char id[SK_BUNDLE_KEYID_HEX + 1];

    if (stat(p->c->pubkey, &st) != 0) {
        why = strerror(errno);
    } else if (st.st_mode & 022) {
        why = "writable by group or others (whoever can write it chooses the policy)";
    } else if (sk_pull_dir_writable(p->c->pubkey)) {
        why = "its directory is writable by group or others (the file could be replaced)";
    } else if (p->key && st.st_dev == p->key_st.st_dev && st.st_ino == p->key_st.st_ino &&
               st.st_size == p->key_st.st_size && st.st_mtim.tv_sec == p->key_st.st_mtim.tv_sec &&
               st.st_mtim.tv_nsec == p->key_st.st_mtim.tv_nsec) {
        return 0;
    }
    EVP_PKEY_free(p->key);
    p->key = why ? NULL : sk_bundle_load_key(p->c->pubkey, 0, &why);
    if (!p->key) {
        sk_pull_set(p, "no trusted key (--pubkey %s: %s): nothing is applied", p->c->pubkey, why);
        return -1;
    }
    p->key_st = st;
    sk_bundle_key_id(p->key, id);
    if (strcmp(id, p->key_id) != 0) {
        /* another key: what was refused as "signed by another key" or
         * applied under the old one is judged again */
        memcpy(p->key_id, id, sizeof(id));
        p->acted[0] = '\0';
    }
    return 0;
}

/* GET SOURCE/NAME into F. Returns the HTTP status, or -1 with p->msg set. */
static long sk_pull_get(struct sk_pull *p, const char *name, struct sk_fetch *f)
{
    char url[4096];

    snprintf(url, sizeof(url), "%s%s%s", p->c->source,
             p->c->source[strlen(p->c->source) - 1] == '/' ? "" : "/", name);
    return sk_cli_fetch(url, p->c->ca, f, p->msg, sizeof(p->msg));
}

/* meta KEY as an integer (0 when absent) or, with TEXT, its text ("" when
 * absent) into TEXT[SIZE]. */
static int64_t sk_pull_meta(struct sk_pdb *pdb, const char *key, char *text, size_t size)
{
    sqlite3_stmt *st = NULL;
    int64_t v = 0;

    if (text)
        text[0] = '\0';
    if (sqlite3_prepare_v2(sk_pdb_sqlite(pdb), "SELECT value FROM meta WHERE key = ?1", -1, &st,
                           NULL) == SQLITE_OK &&
        sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
        if (text && sqlite3_column_text(st, 0))
            snprintf(text, size, "%s", (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return v;
}

/* Record the applied bundle's generation and content hash. 0 or -1. */
static int sk_pull_record(struct sk_pdb *pdb, const struct sk_bundle *b)
{
    sqlite3_stmt *st = NULL;
    int rc = -1;

    if (sqlite3_prepare_v2(sk_pdb_sqlite(pdb),
                           "INSERT OR REPLACE INTO meta(key, value) VALUES"
                           " ('bundle_generation', ?1), ('bundle_hash', ?2)",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_bind_int64(st, 1, b->generation) == SQLITE_OK &&
        sqlite3_bind_text(st, 2, b->content_hash, -1, SQLITE_STATIC) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_DONE)
        rc = 0;
    sqlite3_finalize(st);
    return rc;
}

/* Import B into the local database in one write, with the bundle's
 * generation and content hash recorded beside it. The comparison with what
 * was applied before happens inside the same write, so two pullers cannot
 * race. The bundle applied last, served again while the local content
 * differs (a local write on this node since), is imported again: the
 * fleet's policy is the node's policy. Another content under the applied
 * generation is refused (two publishers sharing a key). */
static enum sk_pull_outcome sk_pull_apply(struct sk_pull *p, const struct sk_bundle *b,
                                          const char *name)
{
    struct sk_pdb *pdb = sk_cli_open(p->c, SK_PDB_RW);
    char *err = NULL, cmd[1200], have[SK_PDB_HASH_HEX + 1], recorded[SK_PDB_HASH_HEX + 1];
    int64_t applied, gen;
    int drift = 0;
    enum sk_pull_outcome out = SK_PULL_FAILED;

    if (!pdb) {
        sk_pull_set(p, "cannot open the local policy database %s", p->c->db);
        return SK_PULL_FAILED;
    }
    if (sk_pdb_write_begin(pdb, &err) != 0) {
        sk_pull_set(p, "local database: %s", err ? err : "cannot begin a write");
        goto out;
    }
    p->local_gen = sk_pdb_generation(pdb);
    applied = sk_pull_meta(pdb, "bundle_generation", NULL, 0);
    sk_pull_meta(pdb, "bundle_hash", recorded, sizeof(recorded));
    out = SK_PULL_REFUSED;
    if (b->generation < applied) {
        sk_pull_set(p,
                    "refused %s: generation %lld is older than the applied %lld "
                    "(no downgrade; publish a rollback as a new bundle)",
                    name, (long long)b->generation, (long long)applied);
        sk_pdb_write_rollback(pdb);
        goto out;
    }
    if (b->generation == applied) {
        if (sk_pdb_content_hash(pdb, have, &err) != 0) {
            sk_pull_set(p, "local database: %s", err ? err : "cannot hash the policy");
            out = SK_PULL_FAILED;
        } else if (strcmp(have, b->content_hash) == 0) {
            sk_pull_set(p, "up to date with %s (generation %lld, content %.12s)", name,
                        (long long)applied, have);
            out = SK_PULL_CURRENT;
        } else if (strcmp(recorded, b->content_hash) == 0) {
            drift = 1;
        } else {
            sk_pull_set(p, "refused %s: generation %lld was applied before with other content",
                        name, (long long)applied);
        }
        if (!drift) {
            sk_pdb_write_rollback(pdb);
            goto out;
        }
    }
    if (sk_pdb_import(pdb, b->policy, b->policy_len, &err) != 0) {
        sk_pull_set(p, "refused %s: %s", name, err ? err : "import failed");
        sk_pdb_write_rollback(pdb);
        goto out;
    }
    out = SK_PULL_FAILED;
    if (sk_pull_record(pdb, b) != 0) {
        sk_pull_set(p, "local database: cannot record the bundle generation");
        sk_pdb_write_rollback(pdb);
        goto out;
    }
    snprintf(cmd, sizeof(cmd), "pull %s", name);
    if ((gen = sk_pdb_write_commit(pdb, "pull", cmd, &err)) < 0) {
        sk_pull_set(p, "local database: %s", err ? err : "commit failed");
        goto out;
    }
    sk_pull_set(p,
                "applied %s (publisher generation %lld, content %.12s, signed by %s) as local "
                "generation %lld%s",
                name, (long long)b->generation, b->content_hash, b->key_id, (long long)gen,
                drift ? ", replacing local changes made on this node since it was applied" : "");
    p->local_gen = gen;
    out = SK_PULL_APPLIED;
out:
    free(err);
    sk_pdb_close(pdb);
    return out;
}

/* The local database's generation now, or -1. */
static int64_t sk_pull_local_generation(struct sk_pull *p)
{
    struct sk_pdb *pdb = sk_cli_open(p->c, SK_PDB_RO);
    int64_t g = pdb ? sk_pdb_generation(pdb) : -1;

    sk_pdb_close(pdb);
    return g;
}

/* The checks on bytes from the network, in order; SK_PULL_FAILED (p->msg
 * set) unless they all pass, then the verdict of sk_pull_apply. */
static enum sk_pull_outcome sk_pull_verify(struct sk_pull *p, const char *name,
                                           const struct sk_fetch *bun, const struct sk_fetch *sig)
{
    struct sk_bundle b;
    char *why = NULL, hash[65];
    enum sk_pull_outcome out;

    if (sk_bundle_parse(bun->p ? bun->p : "", bun->len, &b, &why) != 0) {
        sk_pull_set(p, "refused %s: %s", name, why);
    } else if (strcmp(b.key_id, p->key_id) != 0) {
        sk_pull_set(p, "refused %s: signed by key %s, this node trusts %s", name, b.key_id,
                    p->key_id);
    } else if (sk_bundle_verify(p->key, bun->p, bun->len, sig->p ? sig->p : "", sig->len) != 0) {
        sk_pull_set(p,
                    "refused %s: the signature does not verify (tampered, or not signed "
                    "by key %s)",
                    name, p->key_id);
    } else if (sk_pdb_sha256_hex(b.policy, b.policy_len, hash), strcmp(hash, b.content_hash)) {
        sk_pull_set(p, "refused %s: content hash mismatch", name);
    } else {
        out = sk_pull_apply(p, &b, name);
        if (out == SK_PULL_APPLIED || out == SK_PULL_CURRENT) {
            time_t created = sk_bundle_time(b.created);
            p->bundle_gen = b.generation;
            p->bundle_created = created == (time_t)-1 ? 0 : created;
        }
        return out;
    }
    return SK_PULL_FAILED;
}

static enum sk_pull_outcome sk_pull_once(struct sk_pull *p)
{
    struct sk_fetch idx = {.max = SK_PULL_MAX_SMALL}, bun = {.max = SK_PULL_MAX_BUNDLE},
                    sig = {.max = SK_PULL_MAX_SMALL};
    char name[256], signame[300];
    struct sk_bundle_index ix;
    const char *why = NULL;
    enum sk_pull_outcome out = SK_PULL_FAILED;
    int64_t local;
    long st;

    if (sk_pull_key(p) != 0)
        goto out;
    if ((st = sk_pull_get(p, "index", &idx)) != 200) {
        if (st > 0)
            sk_pull_set(p, "%s/index: HTTP %ld", p->c->source, st);
        goto out;
    }
    if (!idx.p || sk_bundle_index_parse(p->key, idx.p, idx.len, &ix, &why) != 0) {
        if (idx.p && ix.key_id[0] && strcmp(ix.key_id, p->key_id) != 0)
            sk_pull_set(p, "refused %s/index: signed by key %s, this node trusts %s", p->c->source,
                        ix.key_id, p->key_id);
        else
            sk_pull_set(p, "refused %s/index: %s", p->c->source, idx.p ? why : "empty");
        goto out;
    }
    p->index_expires = (int64_t)ix.expires;
    if (time(NULL) > ix.expires) {
        char a[32], b[32];
        struct tm tm;
        strftime(a, sizeof(a), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&ix.signed_at, &tm));
        strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&ix.expires, &tm));
        sk_pull_set(p,
                    "refused %s/index: signed %s, expired %s - the publisher has not published "
                    "since (a stalled publisher, or a source serving an old copy); the node "
                    "keeps its policy (generation %lld)",
                    p->c->source, a, b, (long long)sk_pull_local_generation(p));
        goto out;
    }
    snprintf(name, sizeof(name), "%s", ix.bundle);
    /* acted on already, and nobody wrote to the local database since: the
     * outcome logged then still stands */
    local = sk_pull_local_generation(p);
    if (strcmp(name, p->acted) == 0 && local == p->acted_local) {
        sk_pull_set(p, "%s", p->acted_msg);
        out = p->acted_out;
        goto out;
    }
    p->local_gen = local; /* sk_pull_apply updates it */
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
    out = sk_pull_verify(p, name, &bun, &sig);
    /* a verdict on a verified bundle is final for that name (it is
     * immutable); anything else is tried again at the next poll */
    if (out != SK_PULL_FAILED) {
        snprintf(p->acted, sizeof(p->acted), "%s", name);
        snprintf(p->acted_msg, sizeof(p->acted_msg), "%s", p->msg);
        p->acted_out = out;
        p->acted_local = p->local_gen;
    }
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

/* --state FILE: how the last poll went, rewritten atomically after each
 * one, for the node's /metrics and `sekisho-server --status`
 * (icap-server/launcher/sk_launch_pull.c reads it). One "key value" per
 * line; the message is the logged outcome with control bytes replaced. */
static void sk_pull_state(struct sk_pull *p, enum sk_pull_outcome o)
{
    static const char *const names[] = {"applied", "current", "refused", "failed"};
    char msg[sizeof(p->msg)], *text = NULL;
    int n;

    if (!p->c->state)
        return;
    for (size_t i = 0; (msg[i] = p->msg[i]) != '\0'; i++)
        if ((unsigned char)msg[i] < 0x20 || (unsigned char)msg[i] == 0x7f)
            msg[i] = '?';
    n = asprintf(&text,
                 "sekisho-pull-state 1\noutcome %s\nattempt %lld\nsuccess %lld\napplied %lld\n"
                 "failures %ld\nbundle-generation %lld\nbundle-created %lld\n"
                 "index-expires %lld\nmessage %s\n",
                 names[o], (long long)p->attempt_at, (long long)p->success_at,
                 (long long)p->applied_at, p->failures, (long long)p->bundle_gen,
                 (long long)p->bundle_created, (long long)p->index_expires, msg);
    if (n < 0 || sk_bundle_write_file(p->c->state, text, (size_t)n, 0644) != 0)
        fprintf(stderr, "sekisho-policy pull: cannot write --state %s: %s\n", p->c->state,
                strerror(errno));
    free(text);
}

/* Note the outcome of one poll for --state. */
static void sk_pull_count(struct sk_pull *p, enum sk_pull_outcome o)
{
    p->attempt_at = (int64_t)time(NULL);
    if (o == SK_PULL_APPLIED)
        p->applied_at = p->attempt_at;
    if (o == SK_PULL_APPLIED || o == SK_PULL_CURRENT) {
        p->success_at = p->attempt_at;
        p->failures = 0;
    } else {
        p->failures++;
    }
    sk_pull_state(p, o);
}

int sk_cli_pull(struct sk_cli *c)
{
    struct sk_pull p = {.c = c};
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
    if (sk_pull_key(&p) != 0)
        return sk_cli_usage("%s", p.msg);
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
        sk_pull_count(&p, o);
        if (c->once) {
            rc = (o == SK_PULL_APPLIED || o == SK_PULL_CURRENT) ? SK_CLI_OK : SK_CLI_FAIL;
            break;
        }
        /* back off while nothing verifies (source down, bad bytes): 2x per
         * failure up to SK_PULL_BACKOFF_MAX (or the poll interval, if longer) */
        fails = (o == SK_PULL_FAILED) ? fails + 1 : 0;
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

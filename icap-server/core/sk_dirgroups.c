/* sk_dirgroups.c - directory groups for a transaction: the node-wide
 * membership cache and the lookup bounded by directory.timeout.
 *
 * The cache lives in one anonymous shared mapping the c-icap master makes
 * in post_init, before fork (like the notify page, sk_notify.c, and the
 * infected-URL table, sk_infected.c), so every child sees every other
 * child's entries and the cache survives the children: a reload (policy
 * or signatures) and c-icap's recycling (MaxRequestsPerChild) replace the
 * children, not the master's mapping. A fixed table, open addressing with
 * SK_DIRCACHE_PROBE slots probed, under one process-shared robust mutex
 * (a child killed while holding it: the next locker clears the slot that
 * child was writing and goes on). Layout: a compact index (keyed hash,
 * fetched-at) probed per lookup, and a fixed-size body per slot (key and
 * groups as bounded strings) touched only on a hash match, so a lookup
 * reads one or two cache lines and memory pages are touched only for the
 * slots in use. Sizes: sk_dirgroups.h.
 *
 * SECURITY: the user name is client-controlled (an ICAP header): it
 * reaches LDAP only as an escaped filter value (dir_ldap.c) and the log
 * escaped; it is hashed with SipHash under a key drawn at start, so a
 * client cannot aim names at one slot run to evict someone's entry, and
 * the full key is compared on lookup, so a hash collision never serves
 * another user's groups. Fresh entries are never evicted. */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <sekisho/directory.h>
#include <sekisho/policy_snapshot.h>

#include "sekisho/text.h"
#include "sk_dirgroups.h"

struct sk_dc_index {
    uint64_t hash; /* keyed hash of the key; 0 = empty */
    int64_t at;    /* fetched at, CLOCK_MONOTONIC seconds (node-wide clock) */
};

struct sk_dc_body {
    char key[SK_DIRCACHE_KEY]; /* "directory tag\nlower-case user" */
    char groups[SK_DIRCACHE_GROUPS];
};

struct sk_dc_shm {
    pthread_mutex_t lock; /* PTHREAD_PROCESS_SHARED, robust */
    unsigned char hkey[16];
    size_t nslots;
    size_t count;
    size_t writing;       /* slot + 1 being written under the lock, 0 none */
    uint64_t too_big;     /* answers not cached: larger than a slot */
    int too_big_reported; /* the first one was logged (once per node) */
    struct sk_dc_index *index;
    struct sk_dc_body *body;
    size_t map_len;
};

static struct sk_dc_shm *sk_dc;
void (*sk_dircache_test_midwrite)(void); /* unit tests only: NULL */

static size_t sk_dc_map_len(size_t slots)
{
    return sizeof(struct sk_dc_shm) + slots * sizeof(struct sk_dc_index) +
           slots * sizeof(struct sk_dc_body);
}

int sk_dircache_init(size_t slots)
{
    pthread_mutexattr_t a;
    struct sk_dc_shm *d;
    size_t len;
    void *p;

    if (sk_dc != NULL) /* reconfigure: this object stays loaded (srv_sekisho.c) */
        return 0;
    if (slots < SK_DIRCACHE_PROBE)
        slots = SK_DIRCACHE_PROBE;
    len = sk_dc_map_len(slots);
    p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    d = p;
    d->map_len = len;
    d->nslots = slots;
    /* pointers into the mapping stay valid in every child: same address */
    d->index = (struct sk_dc_index *)(d + 1);
    d->body = (struct sk_dc_body *)(d->index + slots);
    if (getrandom(d->hkey, sizeof(d->hkey), 0) != (ssize_t)sizeof(d->hkey)) {
        munmap(p, len);
        return -1;
    }
    if (pthread_mutexattr_init(&a) != 0 ||
        pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED) != 0 ||
        pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST) != 0 ||
        pthread_mutex_init(&d->lock, &a) != 0) {
        munmap(p, len);
        return -1;
    }
    pthread_mutexattr_destroy(&a);
    sk_dc = d;
    return 0;
}

void sk_dircache_fini(void)
{
    if (sk_dc == NULL)
        return;
    pthread_mutex_destroy(&sk_dc->lock);
    munmap(sk_dc, sk_dc->map_len);
    sk_dc = NULL;
}

/* The mapping; made on first use when init never ran (unit tests, or a
 * master that could not map it: then the cache is per process). */
static struct sk_dc_shm *sk_dc_get(void)
{
    if (sk_dc == NULL)
        sk_dircache_init(SK_DIRCACHE_MAX);
    return sk_dc;
}

static int sk_dc_lock(struct sk_dc_shm *d)
{
    int r = pthread_mutex_lock(&d->lock);

    if (r == EOWNERDEAD) {
        /* the holder died, perhaps halfway through a slot: drop that one
         * and count again (rare; reads the index only) */
        size_t w = __atomic_load_n(&d->writing, __ATOMIC_SEQ_CST);
        if (w > 0 && w <= d->nslots)
            d->index[w - 1].hash = 0;
        __atomic_store_n(&d->writing, 0, __ATOMIC_SEQ_CST);
        d->count = 0;
        for (size_t s = 0; s < d->nslots; s++)
            d->count += d->index[s].hash != 0;
        r = pthread_mutex_consistent(&d->lock);
    }
    return r == 0 ? 0 : -1;
}

static uint64_t sk_dc_hash(const struct sk_dc_shm *d, const char *key, size_t len)
{
    uint64_t h = sk_siphash24(key, len, d->hkey);
    return h ? h : 1; /* 0 marks an empty slot */
}

/* Slot holding KEY, or -1. Lock held. */
static long sk_dc_find(const struct sk_dc_shm *d, uint64_t h, const char *key)
{
    for (size_t i = 0; i < SK_DIRCACHE_PROBE; i++) {
        size_t s = (h + i) % d->nslots;
        if (d->index[s].hash == h && strcmp(d->body[s].key, key) == 0)
            return (long)s;
    }
    return -1;
}

int sk_dircache_get(const char *key, int64_t now, int64_t ttl, char **groups)
{
    struct sk_dc_shm *d = sk_dc_get();
    char copy[SK_DIRCACHE_GROUPS];
    size_t len = strlen(key);
    int64_t at = 0;
    long s;

    *groups = NULL;
    if (d == NULL || len >= SK_DIRCACHE_KEY)
        return 0;
    uint64_t h = sk_dc_hash(d, key, len);
    if (sk_dc_lock(d) == -1)
        return 0;
    if ((s = sk_dc_find(d, h, key)) >= 0) {
        memcpy(copy, d->body[s].groups, sizeof(copy));
        at = d->index[s].at;
    }
    pthread_mutex_unlock(&d->lock);
    if (s < 0)
        return 0;
    copy[sizeof(copy) - 1] = '\0';
    if ((*groups = strdup(copy)) == NULL)
        return 0;
    return now - at < ttl ? 1 : 2;
}

int sk_dircache_put(const char *key, const char *groups, int64_t now, int64_t ttl)
{
    struct sk_dc_shm *d = sk_dc_get();
    size_t klen = strlen(key), glen = strlen(groups);
    long s, victim = -1;
    int rc = -1;

    if (d == NULL)
        return -1;
    if (klen >= SK_DIRCACHE_KEY || glen >= SK_DIRCACHE_GROUPS) {
        __atomic_add_fetch(&d->too_big, 1, __ATOMIC_RELAXED);
        return -2;
    }
    uint64_t h = sk_dc_hash(d, key, klen);
    if (sk_dc_lock(d) == -1)
        return -1;
    if ((s = sk_dc_find(d, h, key)) < 0) {
        /* an empty slot, else the longest-expired one; fresh ones stay */
        for (size_t i = 0; i < SK_DIRCACHE_PROBE; i++) {
            size_t t = (h + i) % d->nslots;
            if (d->index[t].hash == 0) {
                victim = (long)t;
                break;
            }
            if (now - d->index[t].at >= ttl && (victim < 0 || d->index[t].at < d->index[victim].at))
                victim = (long)t;
        }
        if (victim < 0)
            goto out;
        s = victim;
    }
    /* atomic stores: neither dropped nor moved by the compiler, so a
     * holder that dies anywhere in between leaves `writing` pointing here */
    __atomic_store_n(&d->writing, (size_t)s + 1, __ATOMIC_SEQ_CST);
    d->count += d->index[s].hash == 0;
    d->index[s].hash = h;
    d->index[s].at = now;
    memcpy(d->body[s].key, key, klen + 1);
    if (sk_dircache_test_midwrite != NULL)
        sk_dircache_test_midwrite();
    memcpy(d->body[s].groups, groups, glen + 1);
    __atomic_store_n(&d->writing, 0, __ATOMIC_SEQ_CST);
    rc = 0;
out:
    pthread_mutex_unlock(&d->lock);
    return rc;
}

int sk_dircache_first_too_big(void)
{
    struct sk_dc_shm *d = sk_dc_get();
    return d != NULL && __atomic_exchange_n(&d->too_big_reported, 1, __ATOMIC_RELAXED) == 0;
}

void sk_dircache_clear(void)
{
    struct sk_dc_shm *d = sk_dc_get();

    if (d == NULL || sk_dc_lock(d) == -1)
        return;
    for (size_t s = 0; s < d->nslots; s++)
        if (d->index[s].hash != 0)
            d->index[s].hash = 0;
    d->count = 0;
    pthread_mutex_unlock(&d->lock);
}

size_t sk_dircache_count(void)
{
    struct sk_dc_shm *d = sk_dc_get();
    size_t n = 0;

    if (d == NULL || sk_dc_lock(d) == -1)
        return 0;
    n = d->count;
    pthread_mutex_unlock(&d->lock);
    return n;
}

static int64_t sk_dg_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Append the comma-separated LIST to OUT. */
static void sk_dg_append(struct sk_buf *out, const char *list)
{
    if (list == NULL || list[0] == '\0')
        return;
    if (out->len > 0)
        sk_buf_puts(out, ",");
    sk_buf_puts(out, list);
}

/* Ask every directory that serves USER's domain, in name order, within
 * TIMEOUT_MS in all. Why a user got no groups although directories exist
 * (ambiguous entries, a domain no directory serves) goes to NOTES: not a
 * failure, the answer is cached like any other, so it is logged once per
 * user and cache period. */
static int sk_dg_lookup(const struct sk_directory *dirs, size_t n, const char *user,
                        int64_t timeout_ms, struct sk_buf *found, struct sk_buf *notes, char **err)
{
    int64_t deadline = sk_dg_now_ms() + timeout_ms;
    size_t served = 0;

    for (size_t i = 0; i < n; i++) {
        enum sk_dir_outcome outcome;
        int64_t left = deadline - sk_dg_now_ms();
        if (left <= 0) {
            if (asprintf(err, "directory %s: not asked, no time left (directory.timeout)",
                         dirs[i].name) == -1)
                *err = NULL;
            return -1;
        }
        if (sk_dir_lookup(&dirs[i], user, (unsigned)left, found, &outcome, err) == -1)
            return -1;
        served += outcome != SK_DIR_NOT_SERVED;
        if (outcome == SK_DIR_AMBIGUOUS)
            sk_buf_printf(notes,
                          "%sdirectory %s: two or more entries match: ambiguous, no groups from it",
                          notes->len ? "; " : "", dirs[i].name);
    }
    if (served == 0)
        sk_buf_printf(notes,
                      "%sno directory groups: its domain is served by no directory"
                      " (sekisho-policy directory list: domains, realms, base)",
                      notes->len ? "; " : "");
    return found->failed ? -1 : 0;
}

enum sk_dirgroups_rc sk_dirgroups_resolve(const struct sk_snapshot *snap, const char *user,
                                          const char *txn_id, struct sk_buf *out, sk_log_fn log,
                                          int *block)
{
    const struct sk_policy *def = sk_snapshot_default(snap);
    const struct sk_directory *dirs;
    const char *v;
    struct sk_buf key = {0}, found = {0}, esc = {0}, notes = {0};
    uint64_t ttl = 86400;
    int64_t timeout_ms = 200;
    char *cached = NULL, *err = NULL;
    size_t n = 0;
    enum sk_dirgroups_rc rc = SK_DIRG_NONE;
    int c;

    *block = 0;
    dirs = sk_snapshot_directories(snap, &n);
    if (n == 0 || user == NULL || user[0] == '\0')
        return SK_DIRG_NONE;
    /* canonical values, validated when the snapshot was built */
    if ((v = sk_policy_get(def, "directory.cache-ttl")) != NULL)
        sk_parse_duration(v, &ttl);
    if ((v = sk_policy_get(def, "directory.timeout")) != NULL)
        timeout_ms = atoll(v);
    /* user names compare case-insensitively in AD and in our scopes */
    sk_buf_printf(&key, "%s\n", sk_snapshot_directory_tag(snap));
    for (const char *p = user; *p; p++)
        sk_buf_append(&key, &(char){(char)tolower((unsigned char)*p)}, 1);
    if (key.failed)
        goto out;
    int64_t now = sk_dg_now_ms() / 1000;
    c = sk_dircache_get(key.data, now, (int64_t)ttl, &cached);
    if (c == 1) {
        sk_dg_append(out, cached);
        rc = SK_DIRG_CACHED;
        goto out;
    }
    if (sk_dg_lookup(dirs, n, user, timeout_ms, &found, &notes, &err) == 0) {
        if (notes.len > 0) {
            sk_text_escape(&esc, user, 256);
            log(1, "sekisho: txn %s: user '%s': %s\n", txn_id, esc.data ? esc.data : "",
                notes.data);
            sk_buf_free(&esc);
        }
        if (sk_dircache_put(key.data, found.data ? found.data : "", now, (int64_t)ttl) == -2 &&
            sk_dircache_first_too_big()) {
            sk_text_escape(&esc, user, 256);
            log(1,
                "sekisho: txn %s: user '%s': %zu bytes of groups or a name over the directory"
                " cache's slot (%d, %d bytes): not cached, asked every time (logged once)\n",
                txn_id, esc.data ? esc.data : "", found.len, SK_DIRCACHE_GROUPS - 1,
                SK_DIRCACHE_KEY - 1);
        }
        sk_dg_append(out, found.data);
        rc = SK_DIRG_LOOKUP;
        goto out;
    }
    sk_text_escape(&esc, user, 256);
    v = sk_policy_get(def, "directory.on-error");
    if (c == 2) {
        sk_dg_append(out, cached);
        rc = SK_DIRG_STALE;
        log(1, "sekisho: txn %s: %s; user '%s': using the cached groups\n", txn_id,
            err ? err : "directory lookup failed", esc.data ? esc.data : "");
    } else {
        rc = SK_DIRG_FAILED;
        *block = v == NULL || strcmp(v, "block") == 0;
        log(1, "sekisho: txn %s: %s; user '%s' not cached: %s\n", txn_id,
            err ? err : "directory lookup failed", esc.data ? esc.data : "",
            *block ? "blocked (directory.on-error block)"
                   : "X-Authenticated-Groups only (directory.on-error header-groups)");
    }
out:
    free(cached);
    free(err);
    sk_buf_free(&key);
    sk_buf_free(&found);
    sk_buf_free(&esc);
    sk_buf_free(&notes);
    return rc;
}

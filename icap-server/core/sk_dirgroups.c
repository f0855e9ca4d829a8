/* sk_dirgroups.c - directory groups for a transaction: the per-process
 * membership cache (hash table under one mutex, shared by the threads of
 * one c-icap child) and the lookup bounded by directory.timeout.
 * SECURITY: the user name is client-controlled (an ICAP header): it reaches
 * LDAP only as an escaped filter value (dir_ldap.c) and the log escaped. */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sekisho/directory.h>
#include <sekisho/policy_snapshot.h>

#include "sekisho/text.h"
#include "sk_dirgroups.h"

#define SK_DC_BUCKETS 4096

struct sk_dc_entry {
    struct sk_dc_entry *next;
    char *key;
    char *groups;
    int64_t at;
};

static struct sk_dc_entry *sk_dc_tab[SK_DC_BUCKETS];
static size_t sk_dc_n;
static pthread_mutex_t sk_dc_lock = PTHREAD_MUTEX_INITIALIZER;

static struct sk_dc_entry **sk_dc_slot(const char *key)
{
    uint64_t h = sk_fnv1a64(key, strlen(key), 0);
    struct sk_dc_entry **e = &sk_dc_tab[h % SK_DC_BUCKETS];

    while (*e != NULL && strcmp((*e)->key, key) != 0)
        e = &(*e)->next;
    return e;
}

static void sk_dc_free(struct sk_dc_entry *e)
{
    free(e->key);
    free(e->groups);
    free(e);
}

int sk_dircache_get(const char *key, int64_t now, int64_t ttl, char **groups)
{
    int rc = 0;

    *groups = NULL;
    pthread_mutex_lock(&sk_dc_lock);
    struct sk_dc_entry *e = *sk_dc_slot(key);
    if (e != NULL && (*groups = strdup(e->groups)) != NULL)
        rc = now - e->at < ttl ? 1 : 2;
    pthread_mutex_unlock(&sk_dc_lock);
    return rc;
}

/* Drop entries older than TTL. Lock held. */
static void sk_dc_expire(int64_t now, int64_t ttl)
{
    for (size_t b = 0; b < SK_DC_BUCKETS; b++)
        for (struct sk_dc_entry **e = &sk_dc_tab[b]; *e != NULL;) {
            if (now - (*e)->at >= ttl) {
                struct sk_dc_entry *old = *e;
                *e = old->next;
                sk_dc_free(old);
                sk_dc_n--;
            } else {
                e = &(*e)->next;
            }
        }
}

int sk_dircache_put(const char *key, const char *groups, int64_t now, int64_t ttl)
{
    char *g = strdup(groups);
    int rc = -1;

    if (g == NULL)
        return -1;
    pthread_mutex_lock(&sk_dc_lock);
    struct sk_dc_entry **slot = sk_dc_slot(key), *e = *slot;
    if (e != NULL) {
        free(e->groups);
        e->groups = g;
        e->at = now;
        g = NULL;
        rc = 0;
        goto out;
    }
    if (sk_dc_n >= SK_DIRCACHE_MAX) {
        sk_dc_expire(now, ttl);
        if (sk_dc_n >= SK_DIRCACHE_MAX)
            goto out;
        slot = sk_dc_slot(key);
    }
    if ((e = calloc(1, sizeof(*e))) == NULL || (e->key = strdup(key)) == NULL) {
        free(e);
        goto out;
    }
    e->groups = g;
    e->at = now;
    g = NULL;
    *slot = e;
    sk_dc_n++;
    rc = 0;
out:
    pthread_mutex_unlock(&sk_dc_lock);
    free(g);
    return rc;
}

void sk_dircache_clear(void)
{
    pthread_mutex_lock(&sk_dc_lock);
    for (size_t b = 0; b < SK_DC_BUCKETS; b++)
        while (sk_dc_tab[b] != NULL) {
            struct sk_dc_entry *e = sk_dc_tab[b];
            sk_dc_tab[b] = e->next;
            sk_dc_free(e);
        }
    sk_dc_n = 0;
    pthread_mutex_unlock(&sk_dc_lock);
}

size_t sk_dircache_count(void)
{
    pthread_mutex_lock(&sk_dc_lock);
    size_t n = sk_dc_n;
    pthread_mutex_unlock(&sk_dc_lock);
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

/* Ask every directory, in name order, within TIMEOUT_MS in all. */
static int sk_dg_lookup(const struct sk_directory *dirs, size_t n, const char *user,
                        int64_t timeout_ms, struct sk_buf *found, char **err)
{
    int64_t deadline = sk_dg_now_ms() + timeout_ms;

    for (size_t i = 0; i < n; i++) {
        int64_t left = deadline - sk_dg_now_ms();
        if (left <= 0) {
            if (asprintf(err, "directory %s: not asked, no time left (directory.timeout)",
                         dirs[i].name) == -1)
                *err = NULL;
            return -1;
        }
        if (sk_dir_lookup(&dirs[i], user, (unsigned)left, found, err) == -1)
            return -1;
    }
    return found->failed ? -1 : 0;
}

enum sk_dirgroups_rc sk_dirgroups_resolve(const struct sk_snapshot *snap, const char *user,
                                          const char *txn_id, struct sk_buf *out, sk_log_fn log,
                                          int *block)
{
    const struct sk_policy *def = sk_snapshot_default(snap);
    const struct sk_directory *dirs;
    const char *v;
    struct sk_buf key = {0}, found = {0}, esc = {0};
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
    if (sk_dg_lookup(dirs, n, user, timeout_ms, &found, &err) == 0) {
        sk_dircache_put(key.data, found.data ? found.data : "", now, (int64_t)ttl);
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
    return rc;
}

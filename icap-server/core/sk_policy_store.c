/* sk_policy_store.c - keeps one immutable policy snapshot per process and
 * swaps in a new one, built on a background thread, when the database
 * generation changes. Requests in flight keep the snapshot they took.
 * The database is written only by sekisho-policy (trusted administrator
 * input) and opened read-only here; a database that is missing, locked or
 * corrupt at reload time leaves the last good snapshot in place. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sekisho/policy_db.h>
#include <sekisho/policy_snapshot.h>

#include "sk_notify.h"
#include "sk_policy_store.h"
#include "sk_util.h"

static void sk_nolog(int level, const char *fmt, ...)
{
}

/* Identity of the database file; all zero when it cannot be stat'ed. */
static struct sk_store_fileid sk_store_fileid(const char *path)
{
    struct sk_store_fileid id = {0};
    struct stat st;

    if (stat(path, &st) == 0) {
        id.dev = st.st_dev;
        id.ino = st.st_ino;
        id.size = st.st_size;
        id.mtime = st.st_mtim;
    }
    return id;
}

static int sk_store_fileid_eq(const struct sk_store_fileid *a, const struct sk_store_fileid *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

/* Build a snapshot from a fresh read-only connection; the connection is
 * closed again so no SQLite handle is ever shared across fork. */
static struct sk_snapshot *sk_store_build(const char *path, char **err)
{
    struct sk_pdb *db = sk_pdb_open(path, SK_PDB_RO, err);
    struct sk_snapshot *snap;

    if (!db)
        return NULL;
    snap = sk_snapshot_load(db, err);
    sk_pdb_close(db);
    return snap;
}

static void sk_store_install(struct sk_policy_store *s, struct sk_snapshot *snap)
{
    struct sk_snapshot *old;
    size_t entries = 0, bytes = 0;
    double ms = 0;

    pthread_mutex_lock(&s->lock);
    old = s->current;
    s->current = snap;
    __atomic_store_n(&s->generation, sk_snapshot_generation(snap), __ATOMIC_RELEASE);
    __atomic_add_fetch(&s->serial, 1, __ATOMIC_RELEASE);
    s->loaded_at = time(NULL);
    pthread_mutex_unlock(&s->lock);
    if (old)
        sk_snapshot_unref(old); /* freed when the last request lets go */
    sk_snapshot_stats(snap, &entries, &bytes, &ms);
    s->log(1,
           "sekisho: policy generation %lld (content %.12s) loaded: %zu entries, %zu bytes, "
           "%.1f ms\n",
           (long long)sk_snapshot_generation(snap), sk_snapshot_content_hash(snap), entries, bytes,
           ms);
}

int sk_policy_store_open(struct sk_policy_store *s, const char *path, unsigned interval_ms,
                         sk_log_fn log, char **err)
{
    struct sk_snapshot *snap;

    memset(s, 0, sizeof(*s));
    s->path = path;
    s->log = log ? log : sk_nolog;
    s->interval_ms = interval_ms ? interval_ms : 1000;
    s->failed_generation = -1;
    s->last_ok = 1;
    pthread_mutex_init(&s->lock, NULL);
    s->loaded_id = sk_store_fileid(path);
    snap = sk_store_build(path, err);
    if (!snap)
        return -1;
    sk_store_install(s, snap);
    return 0;
}

static int sk_store_poll_once(struct sk_policy_store *s);

int sk_policy_store_poll(struct sk_policy_store *s)
{
    int rc = sk_store_poll_once(s);

    __atomic_store_n(&s->last_ok, rc != -1, __ATOMIC_RELEASE);
    if (rc == -1)
        __atomic_store_n(&s->failed_at, time(NULL), __ATOMIC_RELEASE);
    return rc;
}

static int sk_store_poll_once(struct sk_policy_store *s)
{
    char *err = NULL;
    /* stat before open: if the file changes in between, the next poll
     * sees a new identity and loads again (never the reverse) */
    struct sk_store_fileid id = sk_store_fileid(s->path);
    struct sk_pdb *db = sk_pdb_open(s->path, SK_PDB_RO, &err);
    struct sk_snapshot *snap;
    int64_t gen;
    int same_file = sk_store_fileid_eq(&id, &s->loaded_id);
    int failed_before;

    if (!db) {
        s->log(1, "sekisho: policy database unreadable, keeping generation %lld: %s\n",
               (long long)sk_policy_store_generation(s), err ? err : "?");
        free(err);
        return -1;
    }
    gen = sk_pdb_generation(db);
    if (gen < 0) {
        s->log(1, "sekisho: policy database %s: cannot read the generation, keeping %lld\n",
               s->path, (long long)sk_policy_store_generation(s));
        sk_pdb_close(db);
        return -1;
    }
    failed_before = gen == s->failed_generation && sk_store_fileid_eq(&id, &s->failed_id);
    if ((gen == sk_policy_store_generation(s) && same_file) || failed_before) {
        sk_pdb_close(db);
        return failed_before ? -1 : 0;
    }
    snap = sk_snapshot_load(db, &err);
    sk_pdb_close(db);
    if (!snap) {
        /* log once per bad generation, loudly, and keep serving */
        s->failed_generation = gen;
        s->failed_id = id;
        s->log(1,
               "sekisho: ERROR policy generation %lld cannot be loaded, still serving %lld: %s\n",
               (long long)gen, (long long)sk_policy_store_generation(s), err ? err : "?");
        {
            char g[24];
            struct sk_snapshot *cur = sk_policy_store_acquire(s);
            const char *f[] = {"generation", g,       "error", err ? err : "?",
                               "database",   s->path, NULL};
            snprintf(g, sizeof(g), "%lld", (long long)gen);
            sk_notify_emit(cur, "policy-load-failed", f); /* settings of the last good one */
            sk_snapshot_unref(cur);
        }
        free(err);
        return -1;
    }
    s->failed_generation = -1;
    s->loaded_id = id;
    sk_store_install(s, snap);
    return 1;
}

static void *sk_store_thread(void *arg)
{
    struct sk_policy_store *s = arg;
    struct timespec ts = {
        .tv_sec = s->interval_ms / 1000,
        .tv_nsec = (long)(s->interval_ms % 1000) * 1000000L,
    };

    while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
        nanosleep(&ts, NULL);
        if (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE))
            sk_policy_store_poll(s);
    }
    return NULL;
}

int sk_policy_store_start(struct sk_policy_store *s)
{
    pid_t pid = getpid();

    if (s->thread_pid == pid)
        return 0;
    __atomic_store_n(&s->stop, 0, __ATOMIC_RELEASE);
    if (pthread_create(&s->thread, NULL, sk_store_thread, s) != 0) {
        s->log(1, "sekisho: cannot start the policy reload thread: %s\n", strerror(errno));
        return -1;
    }
    s->thread_pid = pid;
    return 0;
}

struct sk_snapshot *sk_policy_store_acquire(struct sk_policy_store *s)
{
    struct sk_snapshot *snap;

    pthread_mutex_lock(&s->lock);
    snap = s->current;
    if (snap)
        sk_snapshot_ref(snap);
    pthread_mutex_unlock(&s->lock);
    return snap;
}

int64_t sk_policy_store_generation(struct sk_policy_store *s)
{
    return __atomic_load_n(&s->generation, __ATOMIC_ACQUIRE);
}

uint64_t sk_policy_store_serial(struct sk_policy_store *s)
{
    return __atomic_load_n(&s->serial, __ATOMIC_ACQUIRE);
}

void sk_policy_store_content_hash(struct sk_policy_store *s, char out[65])
{
    pthread_mutex_lock(&s->lock);
    snprintf(out, 65, "%s", s->current ? sk_snapshot_content_hash(s->current) : "");
    pthread_mutex_unlock(&s->lock);
}

void sk_policy_store_stop(struct sk_policy_store *s)
{
    if (s->thread_pid == getpid()) {
        __atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
        pthread_join(s->thread, NULL);
        s->thread_pid = 0;
    }
}

void sk_policy_store_close(struct sk_policy_store *s)
{
    sk_policy_store_stop(s);
    pthread_mutex_lock(&s->lock);
    if (s->current)
        sk_snapshot_unref(s->current);
    s->current = NULL;
    pthread_mutex_unlock(&s->lock);
}

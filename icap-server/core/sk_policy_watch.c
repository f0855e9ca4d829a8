/* sk_policy_watch.c - reads the policy generation from the database,
 * read-only, at most once per interval, in whichever process asks.
 * The database is written by sekisho-policy only (trusted admin input). */
#include <stdlib.h>
#include <unistd.h>

#include <sekisho/policy_db.h>

#include "sk_policy_watch.h"
#include "sk_util.h"

static time_t sk_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

void sk_policy_watch_init(struct sk_policy_watch *w, const char *path, int interval)
{
    w->path = path;
    pthread_mutex_init(&w->lock, NULL);
    w->pid = 0;
    w->db = NULL;
    w->last_check = 0;
    w->interval = interval > 0 ? interval : 1;
    w->generation = -1;
}

/* Caller holds w->lock. */
static int sk_watch_read(struct sk_policy_watch *w, char **err)
{
    int64_t gen;

    if (w->db && w->pid != getpid()) {
        /* Inherited across fork: never use or close the parent's
         * connection here; just forget it. */
        w->db = NULL;
    }
    if (!w->db) {
        w->db = sk_pdb_open(w->path, SK_PDB_RO, err);
        if (!w->db)
            return -1;
        w->pid = getpid();
    }
    gen = sk_pdb_generation(w->db);
    if (gen < 0) {
        sk_seterr(err, "policy database %s: cannot read the generation", w->path);
        sk_pdb_close(w->db);
        w->db = NULL;
        return -1;
    }
    w->generation = gen;
    w->last_check = sk_now();
    return 0;
}

int sk_policy_watch_check(struct sk_policy_watch *w, char **err)
{
    int rc;

    pthread_mutex_lock(&w->lock);
    rc = sk_watch_read(w, err);
    pthread_mutex_unlock(&w->lock);
    return rc;
}

int64_t sk_policy_watch_generation(struct sk_policy_watch *w)
{
    int64_t gen;

    pthread_mutex_lock(&w->lock);
    if (w->pid != getpid() || sk_now() - w->last_check >= w->interval) {
        char *err = NULL;
        if (sk_watch_read(w, &err) == -1)
            w->last_check = sk_now(); /* do not hammer a broken file */
        free(err);
    }
    gen = w->generation;
    pthread_mutex_unlock(&w->lock);
    return gen;
}

void sk_policy_watch_close(struct sk_policy_watch *w)
{
    pthread_mutex_lock(&w->lock);
    if (w->db && w->pid == getpid())
        sk_pdb_close(w->db);
    w->db = NULL;
    pthread_mutex_unlock(&w->lock);
}

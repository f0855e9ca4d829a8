/* sk_metrics.c - the writing side of the node-wide metrics segment (see
 * sk_metrics.h for why it is a shared file mapping made before fork).
 * Trust: called by our own code only; record strings (module names,
 * detection kinds) are compared, never copied into the segment. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sk_metrics.h"
#include "sk_util.h"
#include "sk_version.h"

static struct sk_metrics_shm *sk_m;      /* NULL: metrics off */
static struct sk_metrics_child *sk_mine; /* this child's slot */

#define SK_ADD(field, n) __atomic_add_fetch(&(field), (n), __ATOMIC_RELAXED)

int sk_metrics_open(const char *path, char **err)
{
    struct stat st;
    void *p;
    int fd, fresh;

    if (!path || !path[0] || strcmp(path, "none") == 0)
        return 0;
    if (sk_m) /* reconfigure: the master keeps its mapping and counts */
        return 0;
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd == -1 || fstat(fd, &st) == -1) {
        sk_seterr(err, "metrics file %s: %m", path);
        goto fail;
    }
    fresh = st.st_size != (off_t)sizeof(struct sk_metrics_shm);
    if (fresh && ftruncate(fd, sizeof(struct sk_metrics_shm)) == -1) {
        sk_seterr(err, "metrics file %s: %m", path);
        goto fail;
    }
    p = mmap(NULL, sizeof(struct sk_metrics_shm), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        sk_seterr(err, "metrics file %s: mmap: %m", path);
        goto fail;
    }
    close(fd);
    sk_m = p;
    /* Another run's counts (same run dir, other master) start from zero. */
    if (fresh || sk_m->magic != SK_METRICS_MAGIC || sk_m->master_pid != (int32_t)getpid()) {
        sk_m->magic = 0;
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        memset((char *)sk_m + sizeof(sk_m->magic), 0, sizeof(*sk_m) - sizeof(sk_m->magic));
        sk_m->version = SK_METRICS_VERSION;
        sk_m->size = sizeof(*sk_m);
        sk_m->master_pid = (int32_t)getpid();
        sk_m->started_at = (int64_t)time(NULL);
        __atomic_store_n(&sk_m->magic, SK_METRICS_MAGIC, __ATOMIC_RELEASE);
    }
    return 0;
fail:
    if (fd != -1)
        close(fd);
    return -1;
}

void sk_metrics_set_static(const struct sk_chain *chain, const char *policy_db,
                           const char *clamav_db, const char *cicap_version, int threads_per_child,
                           int max_children)
{
    if (!sk_m)
        return;
    snprintf(sk_m->cicap_version, sizeof(sk_m->cicap_version), "%s", cicap_version);
    for (int i = 0; i < chain->n && i + 1 < SK_METRICS_MODULES; i++)
        snprintf(sk_m->module[i + 1], SK_METRICS_NAME, "%s", chain->mods[i].mod->name);
    sk_m->n_modules = chain->n;
    snprintf(sk_m->sekisho_version, sizeof(sk_m->sekisho_version), "%s", sk_version());
    snprintf(sk_m->policy_db, sizeof(sk_m->policy_db), "%s", policy_db ? policy_db : "");
    snprintf(sk_m->clamav_db, sizeof(sk_m->clamav_db), "%s", clamav_db ? clamav_db : "");
    sk_m->threads_per_child = threads_per_child;
    sk_m->max_children = max_children;
}

/* Only the master: a child that exits runs close_service too. */
void sk_metrics_set_ready(int ready)
{
    if (sk_m && sk_m->master_pid == (int32_t)getpid())
        __atomic_store_n(&sk_m->ready, ready, __ATOMIC_RELEASE);
}

/* A slot is free when its pid is 0 or names a process that is gone (a
 * killed child never gave it back). Dead slots are taken back first, so
 * a stale pid cannot be reused by an unrelated process and look alive.
 * Claimed with a compare-and-swap; counters are node-wide, not per slot,
 * so nothing is lost with the slot. */
void sk_metrics_child_start(void)
{
    int32_t me = (int32_t)getpid();

    if (!sk_m || sk_mine)
        return;
    for (int i = 0; i < SK_METRICS_CHILDREN; i++) {
        struct sk_metrics_child *c = &sk_m->child[i];
        int32_t old = __atomic_load_n(&c->pid, __ATOMIC_ACQUIRE);
        if (old != 0 && (kill(old, 0) == 0 || errno != ESRCH))
            continue;
        if (__atomic_compare_exchange_n(&c->pid, &old, me, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
            __atomic_store_n(&c->busy, 0, __ATOMIC_RELEASE);
            sk_mine = c;
            return;
        }
    }
}

void sk_metrics_child_stop(void)
{
    if (!sk_mine)
        return;
    __atomic_store_n(&sk_mine->pid, 0, __ATOMIC_RELEASE);
    sk_mine = NULL;
}

void sk_metrics_child_publish(int64_t generation, const char *hash, int policy_ok,
                              int64_t loaded_at, int64_t failed_at, int64_t max_sig_age,
                              const char *versions)
{
    struct sk_metrics_child *c = sk_mine;

    if (!c)
        return;
    /* seqlock: readers retry while seq is odd or moved */
    __atomic_add_fetch(&c->seq, 1, __ATOMIC_ACQ_REL);
    if (strcmp(c->versions, versions ? versions : "") != 0) {
        if (c->versions[0])
            c->versions_changed_at = (int64_t)time(NULL);
        snprintf(c->versions, sizeof(c->versions), "%s", versions ? versions : "");
    }
    c->policy_generation = generation;
    snprintf(c->policy_hash, sizeof(c->policy_hash), "%s", hash ? hash : "");
    c->policy_ok = policy_ok;
    c->policy_loaded_at = loaded_at;
    c->policy_failed_at = failed_at;
    c->max_signature_age = max_sig_age;
    __atomic_add_fetch(&c->seq, 1, __ATOMIC_ACQ_REL);
}

void sk_metrics_busy(int delta)
{
    if (sk_mine)
        __atomic_add_fetch(&sk_mine->busy, (uint32_t)delta, __ATOMIC_RELAXED);
}

/* This process's counters: its slot's, else the shared overflow. */
static struct sk_metrics_counts *sk_counts(void)
{
    return sk_mine ? &sk_mine->counts : &sk_m->overflow;
}

void sk_metrics_set_alerts(const uint64_t v[4])
{
    for (int i = 0; sk_m && i < 4; i++) {
        uint64_t old = __atomic_load_n(&sk_m->alerts[i], __ATOMIC_RELAXED);
        while (v[i] > old && !__atomic_compare_exchange_n(&sk_m->alerts[i], &old, v[i], 0,
                                                          __ATOMIC_RELAXED, __ATOMIC_RELAXED))
            ;
    }
}

void sk_metrics_log_dropped(void)
{
    if (sk_m)
        SK_ADD(sk_counts()->log_dropped, 1);
}

static void sk_hist_add(struct sk_metrics_hist *h, uint64_t ns)
{
    double s = (double)ns / 1e9;
    int b = 0;

    while (b < SK_METRICS_BUCKETS && s > sk_metrics_bounds[b])
        b++;
    if (b < SK_METRICS_BUCKETS)
        SK_ADD(h->bucket[b], 1);
    SK_ADD(h->count, 1);
    SK_ADD(h->sum_ns, ns);
}

static int sk_kind_index(const char *kind)
{
    for (int k = 0; k < SK_MK_OTHER; k++)
        if (kind && strcmp(kind, sk_metrics_kind_names[k]) == 0)
            return k;
    return SK_MK_OTHER;
}

static int sk_verdict_index(const char *v)
{
    for (int i = 0; i < SK_MV_N; i++)
        if (v && strcmp(v, sk_metrics_verdict_names[i]) == 0)
            return i;
    return SK_MV_ERROR;
}

/* One transaction ended (called where its access-log line is made). */
void sk_metrics_txn(const struct sk_log_record *rec, const struct sk_pipeline *pipe)
{
    int m = rec->icap_method && strcmp(rec->icap_method, "RESPMOD") == 0;
    int dec = pipe && pipe->decider >= 0 ? pipe->decider + 1 : 0;
    int v = sk_verdict_index(rec->verdict);

    struct sk_metrics_counts *k;

    if (!sk_m)
        return;
    k = sk_counts();
    if (dec >= SK_METRICS_MODULES)
        dec = 0;
    SK_ADD(k->txn[m][v][dec], 1);
    for (int i = 0; i < rec->n_detections; i++)
        SK_ADD(k->detections[sk_kind_index(rec->detections[i].kind)], 1);
    SK_ADD(k->bytes_in, rec->bytes_in);
    SK_ADD(k->bytes_out, rec->bytes_out);
    sk_hist_add(&k->txn_duration[m], (uint64_t)(rec->duration_ms * 1e6));
    if (!pipe || !pipe->chain)
        return;
    for (int i = 0; i < pipe->chain->n && i + 1 < SK_METRICS_MODULES; i++) {
        if (pipe->error_mask & (1u << i))
            SK_ADD(k->module_errors[i + 1], 1);
        if (pipe->spent_ns[i])
            sk_hist_add(&k->module_duration[i + 1], pipe->spent_ns[i]);
    }
}

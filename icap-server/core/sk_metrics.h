/* sk_metrics.h - node-wide counters in one shared, file-backed memory
 * segment: written by the c-icap master (static facts) and its children
 * (counters, per-child state), read by the launcher's status listener.
 * Trust: the segment lives in the 0700 run directory; readers still treat
 * every string in it as untrusted bytes (bounded, NUL-forced).
 *
 * Why a file mapped MAP_SHARED, created by the master before fork:
 * - children inherit the mapping, so one atomic add per event counts for
 *   the whole node with no lock and no message; counters of a child that
 *   is recycled or killed are already in the segment (the reader sums
 *   every slot, dead ones too; see struct sk_metrics_counts);
 * - a file (not MAP_ANONYMOUS) lets a separate process, the launcher,
 *   map the same pages read-only and serve HTTP without any code in
 *   c-icap's master (which forks, reloads and unloads our object on
 *   SIGHUP) and without a lock on the request path.
 * c-icap's own statistics (stats.h) were not used: they hold unlabelled
 * 64-bit counters registered before fork and are read through the
 * `info` ICAP service; labels and histograms do not fit them. */
#ifndef SK_METRICS_H
#define SK_METRICS_H

#include <stdint.h>

#define SK_METRICS_MAGIC    0x534b4d33u /* "SKM3" */
#define SK_METRICS_VERSION  3           /* 2: verdict would-block (monitor mode); 3: alerts */
#define SK_METRICS_MODULES  17          /* index 0: no module decided; 1..16 chain order */
#define SK_METRICS_CHILDREN 64
#define SK_METRICS_NAME     32

enum sk_metrics_verdict {
    SK_MV_ALLOW = 0,
    SK_MV_APPROVED,
    SK_MV_BLOCK,
    SK_MV_ERROR,
    SK_MV_WOULD_BLOCK, /* monitor mode: passed, would have been blocked */
    SK_MV_N
};
enum sk_metrics_kind {
    SK_MK_VIRUS = 0,
    SK_MK_DLP,
    SK_MK_URL,
    SK_MK_FILETYPE,
    SK_MK_LIMIT,
    SK_MK_ERROR,
    SK_MK_OTHER,
    SK_MK_N
};
/* Upper bounds (seconds) of the duration histogram buckets; +Inf is the
 * count. Spans a no-body REQMOD (~50 us) to a long archive scan. */
#define SK_METRICS_BUCKETS 12
#define SK_METRICS_BUCKET_BOUNDS                                                                   \
    {                                                                                              \
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1.0, 5.0, 30.0            \
    }

struct sk_metrics_hist {
    uint64_t bucket[SK_METRICS_BUCKETS]; /* not cumulative; the reader sums */
    uint64_t count;
    uint64_t sum_ns;
};

/* One c-icap child. Claimed at child start (pid), given back at a clean
 * stop; a killed child's slot is recognised by its dead pid and reused.
 * The strings are written under the seqlock `seq` (odd while writing) by
 * the child's flusher thread only. */
/* The counters; only uint64_t fields (the reader sums them as an array).
 * Each child adds to its own slot's copy, so two children on two cores
 * never bounce a cache line between them; the reader sums every slot,
 * dead ones included, and a child taking a dead slot goes on adding to
 * it, so no count is ever lost or reset. */
struct sk_metrics_counts {
    uint64_t txn[2][SK_MV_N][SK_METRICS_MODULES]; /* [0] REQMOD, [1] RESPMOD */
    uint64_t detections[SK_MK_N];
    uint64_t bytes_in, bytes_out;
    uint64_t module_errors[SK_METRICS_MODULES];
    uint64_t log_dropped; /* access-log lines syslog did not take */
    struct sk_metrics_hist txn_duration[2];
    struct sk_metrics_hist module_duration[SK_METRICS_MODULES];
};

struct sk_metrics_child {
    int32_t pid;   /* 0: free */
    uint32_t busy; /* threads inside a transaction */
    uint64_t seq;
    int64_t policy_generation;
    int64_t policy_loaded_at; /* wall-clock second of the last install */
    int64_t policy_failed_at; /* of the last failed load, 0 none */
    int32_t policy_ok;        /* the last check of the database worked */
    int32_t pad;
    int64_t max_signature_age;   /* av.max-signature-age, seconds */
    int64_t versions_changed_at; /* last signature/engine version change */
    char policy_hash[72];
    char versions[512]; /* module/engine/signature versions */
    struct sk_metrics_counts counts __attribute__((aligned(64)));
} __attribute__((aligned(64)));

struct sk_metrics_shm {
    uint32_t magic, version, size;
    int32_t master_pid;
    int64_t started_at; /* wall clock */
    int32_t ready;      /* modules initialised, service up */
    int32_t threads_per_child;
    int32_t max_children;
    int32_t n_modules;
    char module[SK_METRICS_MODULES][SK_METRICS_NAME]; /* [0] = "" */
    char sekisho_version[32];
    char cicap_version[32];
    char clamav_db[1024];
    char policy_db[1024];
    /* alerts (sk_notify.c): sent, failed, dropped (queue full), suppressed
     * (rate limit); node-wide already, copied here by every child */
    uint64_t alerts[4];
    /* a process without a slot (more than SK_METRICS_CHILDREN children) */
    struct sk_metrics_counts overflow __attribute__((aligned(64)));
    struct sk_metrics_child child[SK_METRICS_CHILDREN];
};

/* Label values, shared by the writer and the reader (launcher). */
static const char *const sk_metrics_verdict_names[SK_MV_N]
    __attribute__((unused)) = {"allow", "approved", "block", "error", "would-block"};
static const char *const sk_metrics_kind_names[SK_MK_N]
    __attribute__((unused)) = {"virus", "dlp", "url", "filetype", "limit", "error", "other"};
static const double sk_metrics_bounds[SK_METRICS_BUCKETS] __attribute__((unused)) =
    SK_METRICS_BUCKET_BOUNDS;

#ifndef SK_METRICS_READER_ONLY
#include "sk_accesslog.h"
#include "sk_chain.h"
#include "sk_pipeline.h"

/* Master, before fork: map PATH (created 0600, reset unless it already
 * belongs to this master, so a reconfigure keeps the counts). NULL path:
 * metrics off, every call below is a no-op. 0 or -1 with malloc'd *err. */
int sk_metrics_open(const char *path, char **err);
/* Master: static facts after the chain is initialised. */
void sk_metrics_set_static(const struct sk_chain *chain, const char *policy_db,
                           const char *clamav_db, const char *cicap_version, int threads_per_child,
                           int max_children);
void sk_metrics_set_ready(int ready);
/* Child: claim / give back this process's slot. */
void sk_metrics_child_start(void);
void sk_metrics_child_stop(void);
/* Child, about once a second: policy and version state of this process. */
void sk_metrics_child_publish(int64_t generation, const char *hash, int policy_ok,
                              int64_t loaded_at, int64_t failed_at, int64_t max_sig_age,
                              const char *versions);
/* Per transaction: busy threads, and the counts at the end. */
void sk_metrics_busy(int delta);
void sk_metrics_txn(const struct sk_log_record *rec, const struct sk_pipeline *pipe);
void sk_metrics_log_dropped(void);
/* Child: the node-wide alert counters (never lowered: children copy them
 * at different moments). */
void sk_metrics_set_alerts(const uint64_t v[4]);
#endif

#endif

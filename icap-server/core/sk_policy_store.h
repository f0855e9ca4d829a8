/* sk_policy_store.h - the current policy snapshot of one process, and the
 * background thread that replaces it when the database generation moves. */
#ifndef SK_POLICY_STORE_H
#define SK_POLICY_STORE_H

#include <pthread.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

struct sk_snapshot;

typedef void (*sk_log_fn)(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct sk_policy_store {
    const char *path; /* borrowed */
    sk_log_fn log;
    pthread_mutex_t lock;        /* guards current */
    struct sk_snapshot *current; /* one reference held by the store */
    int64_t generation;          /* of current; read without the lock */
    unsigned interval_ms;        /* between generation checks */
    pthread_t thread;
    pid_t thread_pid; /* process the thread runs in (threads do not survive fork) */
    int stop;
    int64_t failed_generation; /* last generation that failed to load */
    /* The database file the current snapshot came from (device, inode,
     * size, mtime): a file replaced by rename (scp, rsync) or rewritten in
     * place at the same generation is still a different policy. */
    struct sk_store_fileid {
        dev_t dev;
        ino_t ino;
        off_t size;
        struct timespec mtime;
    } loaded_id, failed_id;
    uint64_t serial; /* bumped by every install; read without the lock */
    /* For the status listener: did the last check of the database work,
     * and when (wall clock) did the last install and failure happen. */
    int last_ok;
    time_t loaded_at, failed_at;
};

/* Load the first snapshot (start-up: failure is fatal). 0 or -1 with a
 * malloc'd *err. */
int sk_policy_store_open(struct sk_policy_store *s, const char *path, unsigned interval_ms,
                         sk_log_fn log, char **err);
/* Start the reload thread in this process (call in each c-icap child).
 * Idempotent per process. */
int sk_policy_store_start(struct sk_policy_store *s);
/* Check the database once now: reload if the generation moved or the file
 * is another one (see loaded_id). Returns 1
 * if a new snapshot was installed, 0 if unchanged, -1 if the database could
 * not be read or the snapshot not built (the old one stays). */
int sk_policy_store_poll(struct sk_policy_store *s);
/* A referenced snapshot; release with sk_snapshot_unref. Never NULL after a
 * successful open. */
struct sk_snapshot *sk_policy_store_acquire(struct sk_policy_store *s);
int64_t sk_policy_store_generation(struct sk_policy_store *s);
/* Changes whenever another snapshot is installed (reload, replaced file):
 * one atomic read tells a caller that derived state (the ISTag) is stale. */
uint64_t sk_policy_store_serial(struct sk_policy_store *s);
/* The content hash of the current snapshot, copied into OUT (65 bytes). */
void sk_policy_store_content_hash(struct sk_policy_store *s, char out[65]);
/* Stop and join the reload thread if it runs in this process; the current
 * snapshot stays in service. */
void sk_policy_store_stop(struct sk_policy_store *s);
/* Stop the thread (if it runs in this process) and drop the snapshot. */
void sk_policy_store_close(struct sk_policy_store *s);

#endif

/* sk_policy_watch.h - tracks the policy database generation per process. */
#ifndef SK_POLICY_WATCH_H
#define SK_POLICY_WATCH_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct sk_pdb;

struct sk_policy_watch {
    const char *path; /* borrowed */
    pthread_mutex_t lock;
    pid_t pid;          /* process that owns db (connections do not survive fork) */
    struct sk_pdb *db;  /* read-only connection */
    time_t last_check;  /* seconds, CLOCK_MONOTONIC */
    int interval;       /* seconds between generation reads */
    int64_t generation; /* last value read, -1 if never */
};

void sk_policy_watch_init(struct sk_policy_watch *w, const char *path, int interval);
/* Current generation, read from the database at most once per interval.
 * Returns the last known value when the database is briefly unreadable,
 * -1 if it was never readable. Thread-safe. */
int64_t sk_policy_watch_generation(struct sk_policy_watch *w);
/* Read now, ignoring the interval; 0 or -1 with malloc'd *err. */
int sk_policy_watch_check(struct sk_policy_watch *w, char **err);
void sk_policy_watch_close(struct sk_policy_watch *w);

#endif

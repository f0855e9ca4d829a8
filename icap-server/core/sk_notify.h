/* sk_notify.h - alerts off the transaction path (sk_notify.c). */
#ifndef SK_NOTIFY_H
#define SK_NOTIFY_H

#include <stdint.h>

struct sk_snapshot;

/* In the master before fork: the page that rate-limits alerts node-wide.
 * 0 or -1 (then each process limits on its own). */
int sk_notify_init(void);
/* Queue an alert of KIND ("virus", ...) if SNAP's default policy wants it
 * (notify.events, a webhook or mail configured, not within
 * notify.min-interval of the last one of that kind). FIELDS: name, value
 * pairs ending with NULL. Never blocks on the network. */
void sk_notify_emit(const struct sk_snapshot *snap, const char *kind, const char *const *fields);
/* The alerts a finished transaction gives: virus (any verdict: a virus is
 * news even when a log-only policy let it through), dlp-block, module-error. */
struct sk_txn;
void sk_notify_txn(const struct sk_txn *t, const char *verdict, const char *module,
                   int module_error);
/* The signatures-stale alert: when the newest signature database in DIR
 * (sk_sigdb.h) is older than MAX_AGE seconds at NOW, queue the alert
 * through sk_notify_emit's rate limit (and at most once an hour node-wide
 * whatever notify.min-interval says). A directory without signature files
 * (built-in test signatures) is not "stale". Returns 1 when stale, else 0.
 * Reads the directory: call it about once a minute, not per transaction. */
int sk_notify_signatures(const struct sk_snapshot *snap, const char *dir, int64_t max_age,
                         int64_t now);
/* Deliver what is queued and join this process's notifier (child exit). */
void sk_notify_stop(void);
/* Node-wide counters (for metrics): delivered, failed, dropped (queue full),
 * suppressed (rate limit). Any pointer may be NULL. */
void sk_notify_stats(uint64_t *sent, uint64_t *failed, uint64_t *dropped, uint64_t *suppressed);

#endif

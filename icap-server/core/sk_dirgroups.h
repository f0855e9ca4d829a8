/* sk_dirgroups.h - a transaction's groups from the policy's LDAP
 * directories, and the per-process membership cache behind them. */
#ifndef SK_DIRGROUPS_H
#define SK_DIRGROUPS_H

#include <stddef.h>
#include <stdint.h>

#include "sk_policy_store.h" /* sk_log_fn */

struct sk_buf;
struct sk_snapshot;

/* Most users cached per process; when full, entries older than the TTL
 * are dropped, and if none is, the new answer is not cached. */
#define SK_DIRCACHE_MAX 65536

/* KEY's cached groups into *groups (malloc'd, caller frees). 1 fresh
 * (younger than TTL seconds at NOW), 2 stale (kept for outages), 0 none
 * (or out of memory). Thread-safe. */
int sk_dircache_get(const char *key, int64_t now, int64_t ttl, char **groups);
/* Remember GROUPS (may be "") for KEY as of NOW. 0, or -1 (not cached:
 * full or out of memory). Thread-safe. */
int sk_dircache_put(const char *key, const char *groups, int64_t now, int64_t ttl);
void sk_dircache_clear(void);
size_t sk_dircache_count(void);

/* How a transaction's directory groups were found. */
enum sk_dirgroups_rc {
    SK_DIRG_NONE,   /* no directory configured, or no user: nothing to add */
    SK_DIRG_CACHED, /* fresh cache entry */
    SK_DIRG_LOOKUP, /* asked the directories now */
    SK_DIRG_STALE,  /* directories failed; the expired cache entry served */
    SK_DIRG_FAILED, /* directories failed, nothing cached: directory.on-error */
};

/*
 * USER's groups from SNAP's directories, appended to OUT (comma-separated,
 * names as sk_dir_dn_name gives them). Reads directory.cache-ttl,
 * .timeout and .on-error from the default policy: the directory decides
 * which policy applies, so it cannot be configured per policy. On failure
 * logs one line through LOG naming TXN_ID and the directory. *block is set
 * when the result is SK_DIRG_FAILED and directory.on-error is block.
 */
enum sk_dirgroups_rc sk_dirgroups_resolve(const struct sk_snapshot *snap, const char *user,
                                          const char *txn_id, struct sk_buf *out, sk_log_fn log,
                                          int *block);

#endif

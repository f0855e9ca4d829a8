/* sk_dirgroups.h - a transaction's groups from the policy's LDAP
 * directories, and the node-wide membership cache behind them (shared by
 * every c-icap child, kept across reloads and child recycling). */
#ifndef SK_DIRGROUPS_H
#define SK_DIRGROUPS_H

#include <stddef.h>
#include <stdint.h>

#include "sk_policy_store.h" /* sk_log_fn */

struct sk_buf;
struct sk_snapshot;

/* Sizes of the node-wide cache (constants: change and rebuild).
 * Users cached per node; a new user goes to an empty slot or the
 * longest-expired one among SK_DIRCACHE_PROBE slots from its hash; if all
 * of them are fresh, the answer is not cached (nothing fresh is evicted).
 * Every slot is SK_DIRCACHE_KEY + SK_DIRCACHE_GROUPS bytes of body plus 16
 * of index: 65536 x 2064 B = 129 MiB of address space, shared by the
 * children; pages are touched (resident) only for slots in use, about 2 KiB
 * per cached user, and the 1 MiB index. A key ("directory tag\n" + user)
 * or a groups list that does not fit is not cached (never truncated: a
 * missing group could pick a more permissive policy); logged once per node. */
#define SK_DIRCACHE_MAX    65536
#define SK_DIRCACHE_PROBE  8
#define SK_DIRCACHE_KEY    288  /* 16-hex tag, '\n', user name up to 270 bytes, NUL */
#define SK_DIRCACHE_GROUPS 1760 /* comma-separated groups, NUL included */

/* Map the cache of SLOTS entries, shared with processes forked afterwards
 * (the c-icap master calls it in post_init; a second call keeps the first
 * mapping and its entries). 0, or -1 (then each process maps its own on
 * first use). */
int sk_dircache_init(size_t slots);
/* Unmap it (unit tests: the next call maps a new, empty one). */
void sk_dircache_fini(void);
/* KEY's cached groups into *groups (malloc'd, caller frees). 1 fresh
 * (younger than TTL seconds at NOW), 2 stale (kept for outages), 0 none
 * (or out of memory). NOW: CLOCK_MONOTONIC seconds, the same in every
 * process. Thread- and process-safe. */
int sk_dircache_get(const char *key, int64_t now, int64_t ttl, char **groups);
/* Remember GROUPS (may be "") for KEY as of NOW. 0; -1 not cached (its
 * slots all fresh, or no cache); -2 not cached: KEY or GROUPS larger than
 * a slot. Thread- and process-safe. */
int sk_dircache_put(const char *key, const char *groups, int64_t now, int64_t ttl);
/* 1 for the first caller on the node after a -2 put (to log it once). */
int sk_dircache_first_too_big(void);
void sk_dircache_clear(void);
/* Unit tests only (NULL otherwise): called by put halfway through writing
 * a slot, with the lock held (tests/unit/test_dirgroups.c kills a process
 * there to check the robust lock). */
extern void (*sk_dircache_test_midwrite)(void);
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

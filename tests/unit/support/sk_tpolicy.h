/* sk_tpolicy.h - test-only temp policy databases shared by the unit
 * tests: a snapshot with given settings, and removing a database with its
 * SQLite side files. Failures abort the running cmocka test. */
#ifndef SK_TPOLICY_H
#define SK_TPOLICY_H

#include <sekisho/policy_snapshot.h>

/* A snapshot of a fresh policy database with the settings KV (key, value
 * pairs, NULL-terminated) on the default policy; the database itself is
 * removed before returning. Caller unrefs. */
struct sk_snapshot *sk_t_policy_with(const char *const *kv);
/* Remove the database PATH with its -wal, -shm and -journal files, then
 * the directory DIR that held it. */
void sk_t_remove_db(const char *dir, const char *path);

#endif

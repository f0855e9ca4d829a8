/* policy_snapshot.h - the compiled, immutable policy that the server
 * (url_block and later modules) and the CLI `check` both decide with: one
 * implementation. Built from the database in one read transaction; shared
 * read-only by threads; reference counted. See policy-db/SNAPSHOT.md. */
#ifndef SEKISHO_POLICY_SNAPSHOT_H
#define SEKISHO_POLICY_SNAPSHOT_H

/* SK_API marks what srv_sekisho.so exports to modules: the server is
 * built with hidden visibility, so anything without it stays internal. */
#ifndef SK_API
#define SK_API __attribute__((visibility("default")))
#endif

#include <stddef.h>
#include <stdint.h>

#include <sekisho/policy_settings.h>
#include <sekisho/url.h>

/* Only the snapshot (read) API: this header does not pull in the policy
 * store's write API (policy_db.h) nor <sqlite3.h>, so a module sees
 * neither. The loader takes an opened store by pointer. */
struct sk_pdb;
struct sk_snapshot; /* immutable after load, reference counted (atomic) */
struct sk_policy;   /* borrowed from its snapshot */

/*
 * Build a snapshot of DB in one read transaction: policies, scopes,
 * settings (validated, canonical), URL rules, blocked categories, DLP
 * templates. Returns it with one reference (the caller's), or NULL with a
 * malloc'd *err (caller frees) naming the problem: a database error or a
 * stored value that does not validate (hand-edited file). Category entries
 * that do not parse are skipped and counted (sk_snapshot_skipped).
 */
SK_API struct sk_snapshot *sk_snapshot_load(struct sk_pdb *db, char **err);
SK_API void sk_snapshot_ref(struct sk_snapshot *);
/* Drops a reference; the last one frees. NULL is ignored. */
SK_API void sk_snapshot_unref(struct sk_snapshot *);
SK_API int64_t sk_snapshot_generation(const struct sk_snapshot *);
/* The content hash of the policy this snapshot enforces (64 hex digits,
 * see sk_pdb_content_hash). Borrowed for the snapshot's life. */
SK_API const char *sk_snapshot_content_hash(const struct sk_snapshot *);
/* For the log line at each build: entries (policies, scopes, settings,
 * rules, category entries, DLP templates), bytes of compiled structures,
 * build time in milliseconds. Any pointer may be NULL. */
SK_API void sk_snapshot_stats(const struct sk_snapshot *, size_t *entries, size_t *bytes,
                              double *build_ms);
/* Category entries skipped at load because they did not parse. */
SK_API size_t sk_snapshot_skipped(const struct sk_snapshot *);

/*
 * Who is asking, as the server decoded it (base64 already undone).
 * client_ip: IPv4 or IPv6 text (IPv4-mapped IPv6 counts as IPv4).
 * user: "user", "DOMAIN\user", "user@DOMAIN", "WinNT://DOMAIN/user" or an
 *   LDAP DN "CN=user,OU=...". A scope without a domain matches that user
 *   name in any domain; a scope with a domain needs the same domain
 *   ("CORP\alice" = "alice@corp" = "WinNT://CORP/alice"; "alice@corp.example"
 *   is another domain). Case-insensitive (ASCII).
 * groups: comma-separated X-Authenticated-Groups values, each in the same
 *   forms; LDAP DNs are split correctly and compared by their CN.
 * Any field may be NULL or empty.
 */
struct sk_who {
    const char *client_ip;
    const char *user;
    const char *groups;
};

/*
 * The first enabled policy, in ascending priority, with a scope that
 * matches WHO (any one scope: client-ip CIDR, user or group); a policy with
 * no scope matches nobody; the default policy always matches, last.
 * Never NULL; borrowed until the snapshot's last unref.
 */
SK_API const struct sk_policy *sk_snapshot_resolve(const struct sk_snapshot *,
                                                   const struct sk_who *);
/* The policy named NAME, or NULL; borrowed like sk_snapshot_resolve(). */
SK_API const struct sk_policy *sk_snapshot_policy(const struct sk_snapshot *, const char *name);
SK_API const struct sk_policy *sk_snapshot_default(const struct sk_snapshot *);

SK_API const char *sk_policy_name(const struct sk_policy *);
SK_API int64_t sk_policy_priority(const struct sk_policy *);
/*
 * Canonical value of setting KEY: the policy's own, else the default
 * policy's, else the built-in default. NULL only for an unknown key.
 * Read it with sk_pdb_parse_bool (policy_settings.h) or sk_parse_size /
 * sk_parse_duration (sekisho/text.h). Borrowed (snapshot).
 */
SK_API const char *sk_policy_get(const struct sk_policy *, const char *key);

enum sk_url_verdict { SK_URL_NONE = 1, SK_URL_ALLOW, SK_URL_APPROVED, SK_URL_BLOCK };

struct sk_url_decision {
    enum sk_url_verdict verdict;
    char rule[256];     /* pattern as stored (rule) or matching entry (category) */
    char list[16];      /* approved | allow | block | category; "" for NONE */
    char match[16];     /* exact|prefix|substring|domain|regex; for a category
                         * domain|url|expression */
    char category[128]; /* category name, "" unless list is "category" */
    int64_t rule_id;    /* url_rules.id, 0 for categories and NONE */
    char policy[72];    /* policy whose list decided ("default" = global) */
    char when[72];      /* the rule's or category block's schedule ("NAME",
                         * "!NAME" = outside it), "" when it has none */
};

/*
 * Decide URL (normalised) for POLICY. Lists: the default policy's rules are
 * global and apply to every policy; a policy's own rules add to them.
 * Precedence: approved > allow > block rules > blocked categories
 * (categories blocked by the policy or by the default policy); NONE when
 * nothing matched. Within a list the lowest rule id among domain, exact,
 * prefix and substring hits wins, the policy's own before the global ones.
 * 0 with *out filled, or -1 when evaluation failed (a regex exceeded its
 * match limit): the caller applies url.on-error.
 */
SK_API int sk_policy_check_url(const struct sk_policy *, const struct sk_url *,
                               struct sk_url_decision *out);
SK_API const char *sk_url_verdict_name(enum sk_url_verdict);

/*
 * The same decision at time AT (seconds since the epoch, UTC): a rule,
 * category block or DLP template with a schedule (`--when NAME`) applies
 * only while AT is inside it (`--when '!NAME'`: outside it). Schedules are
 * days and minute ranges in their own zone, compiled into the snapshot.
 * sk_policy_check_url() is this at time(NULL). SK_AT_ANY: every rule
 * applies whatever its schedule (`check` uses it to explain).
 */
#define SK_AT_ANY INT64_MIN
/* ISO 8601 date and time with an offset ("2026-12-02T10:30:00+09:00",
 * "2026-12-02T01:30Z") into seconds since the epoch: `check --at` and the
 * server's test clock. 0, or -1 (no offset, invalid date). */
SK_API int sk_pdb_parse_time(const char *text, int64_t *out);
SK_API int sk_policy_check_url_at(const struct sk_policy *, const struct sk_url *, int64_t at,
                                  struct sk_url_decision *out);
/* Does DLP template I of sk_policy_dlp(POLICY) apply at AT? 1 or 0. */
SK_API int sk_policy_dlp_active(const struct sk_policy *, size_t i, int64_t at);
/* For `check --at`: one line into BUF saying whether AT is inside
 * schedule WHEN ("NAME" or "!NAME") and why (its days, times, zone and
 * the local time there). 1 the rule applies, 0 it does not, -1 no such
 * schedule. */
/* Which schedules apply at AT, as a value that changes whenever one of
 * them starts or ends; 0 without schedules. The server mixes it into the
 * ISTag: a verdict can change at a schedule boundary, so proxies that cache
 * by ISTag (Cisco `icap rescan-cache ISTag-change`) must re-ask then. */
SK_API uint64_t sk_snapshot_schedule_state(const struct sk_snapshot *, int64_t at);
SK_API int sk_snapshot_schedule_explain(const struct sk_snapshot *, const char *when, int64_t at,
                                        char *buf, size_t size);

/* DLP templates of a policy, raw for the DLP module (own rows only; the
 * module decides about inheritance from sk_snapshot_default()). */
struct sk_dlp_template {
    const char *name;
    const char *detectors; /* as stored */
    int64_t min_count;
    const char *action; /* block | log */
};
SK_API const struct sk_dlp_template *sk_policy_dlp(const struct sk_policy *, size_t *count);

/*
 * For the CLI before it stores a rule: is PATTERN valid for MATCH
 * ("exact|prefix|substring|domain|regex|cidr")? 0 with *canonical (the key the
 * matcher uses, malloc'd, may be NULL if unwanted), or -1 with *err.
 */
SK_API int sk_url_rule_validate(const char *match, const char *pattern, char **canonical,
                                char **err);
/* Is VALUE a valid scope of KIND ("client-ip|user|group")? 0, or -1 with
 * *err (e.g. a bad CIDR). */
SK_API int sk_scope_validate(const char *kind, const char *value, char **err);

#endif

/* match_internal.h - the compiled matchers behind the policy snapshot:
 * string hash multiset, Aho-Corasick automaton, rule and category sets.
 * Built once per snapshot (trusted policy data), then read-only and shared
 * by threads; lookups take client-controlled URLs. Not installed. */
#ifndef SK_MATCH_INTERNAL_H
#define SK_MATCH_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <sekisho/net.h>
#include <sekisho/url.h>

/* Callback per match: VALUE stored with the pattern, END the length of the
 * text matched (key length; prefix length; end offset of a substring).
 * Return nonzero to stop the lookup. */
typedef int (*sk_match_fn)(void *arg, uint32_t value, size_t end);

/* ---- hash multiset: NUL-free string keys -> uint32 values ---- */
struct sk_hset {
    uint64_t *slots; /* (hash32 << 32) | (arena offset + 1); 0 = empty */
    size_t mask;     /* slots - 1; slots is a power of two */
    size_t count;
    char *arena; /* entries: uint32 value, key bytes, NUL */
    size_t alen, acap;
};

/* Add (KEY, VALUE); an identical pair is stored once. 0, -1 out of memory. */
int sk_hset_add(struct sk_hset *, const char *key, size_t len, uint32_t value);
/* Shrink the arena to its size after the last add (optional). */
void sk_hset_seal(struct sk_hset *);
/* Calls FN for every value stored under KEY; returns what FN returned to
 * stop, else 0. */
int sk_hset_find(const struct sk_hset *, const char *key, size_t len, sk_match_fn fn, void *arg);
size_t sk_hset_bytes(const struct sk_hset *);
void sk_hset_free(struct sk_hset *);

/* ---- Aho-Corasick over bytes: prefix (anchored) and substring patterns ---- */
struct sk_ac;
enum sk_ac_kind { SK_AC_PREFIX, SK_AC_SUBSTRING };

struct sk_ac *sk_ac_new(void);
/* Add a non-empty pattern before sk_ac_build(); 0, -1 out of memory. */
int sk_ac_add(struct sk_ac *, const char *pat, size_t len, enum sk_ac_kind, uint32_t value);
/* Compute failure links and compact the edges; 0, -1 out of memory. */
int sk_ac_build(struct sk_ac *);
/* Prefix patterns that TEXT starts with (trie walk from the root). */
int sk_ac_prefix(const struct sk_ac *, const char *text, size_t len, sk_match_fn fn, void *arg);
/* Substring patterns anywhere in TEXT (one pass). */
int sk_ac_substr(const struct sk_ac *, const char *text, size_t len, sk_match_fn fn, void *arg);
size_t sk_ac_bytes(const struct sk_ac *);
size_t sk_ac_patterns(const struct sk_ac *);
void sk_ac_free(struct sk_ac *);

/* Host label suffixes of URL's host, longest first (a.b.c, b.c, c); an IP
 * address only as a whole. Calls sk_hset_find for each. */
int sk_match_domains(const struct sk_hset *, const struct sk_url *, sk_match_fn fn, void *arg);

/* ---- IP networks: struct sk_cidr, sk_cidr_parse, sk_cidr_match and
 * sk_ip_parse are the toolkit's (sekisho/net.h) ---- */

/* ---- rule sets: one policy's own URL rules ---- */
enum sk_rule_list { SK_LIST_APPROVED = 0, SK_LIST_ALLOW = 1, SK_LIST_BLOCK = 2 };
enum sk_rule_match {
    SK_MATCH_EXACT,
    SK_MATCH_PREFIX,
    SK_MATCH_SUBSTRING,
    SK_MATCH_DOMAIN,
    SK_MATCH_REGEX,
    SK_MATCH_CIDR /* destination network: literal IP hosts only (after normalisation) */
};

struct sk_rule {
    int64_t id;
    enum sk_rule_list list;
    enum sk_rule_match match;
    char *pattern; /* as stored in the database */
    int32_t when;  /* 0 always; k > 0 inside schedule k - 1; -k outside it */
};

/* The moment a decision is made, for rules with a schedule (--when):
 * schedules of SNAP evaluated at AT (seconds since the epoch). */
struct sk_snapshot;
struct sk_when {
    const struct sk_snapshot *snap;
    int64_t at;
};
/* Does a rule with WHEN apply? 1 for WHEN 0 or W NULL (snap_policy.c). */
int sk_when_active(const struct sk_when *w, int32_t when);

struct sk_rx {
    void *code; /* pcre2_code *, JIT-compiled where JIT is available */
    uint32_t value;
    char *pattern; /* owned copy, for the prefilter and for reports */
};

/* Literal prefilter over an array of regexes (match_regex.c): one
 * automaton pass says which regexes can possibly match. */
struct sk_rxpre {
    struct sk_ac *ac; /* required literal of regex i, value i */
    uint8_t *has_lit; /* 0: no literal found, always run regex i */
    size_t n;
};

/* Build from RX[0..N) in their final order (uses rx[i].pattern). */
int sk_rxpre_build(struct sk_rxpre *, const struct sk_rx *rx, size_t n);
/* Mark candidates for the lower-cased URL in BITS ((n + 7) / 8 bytes). */
void sk_rxpre_scan(const struct sk_rxpre *, const char *lower, size_t len, uint8_t *bits);
/* May regex I match, given BITS from sk_rxpre_scan? */
int sk_rxpre_may(const struct sk_rxpre *, const uint8_t *bits, size_t i);
size_t sk_rxpre_bytes(const struct sk_rxpre *);
void sk_rxpre_free(struct sk_rxpre *);

struct sk_ruleset {
    struct sk_rule *rules; /* ascending id */
    size_t n, cap;
    struct sk_hset domains, exact; /* value = index into rules */
    /* value = index. Two automata: a substring pass that also walked the
     * prefix rules' trie was rarely at the root (5,000 random prefixes start
     * with every letter) and cost 5% of a no-body REQMOD. */
    struct sk_ac *ac_pre; /* prefix rules: a trie walk from the start */
    struct sk_ac *ac_sub; /* substring rules: one Aho-Corasick pass */
    struct sk_rx *rx;     /* sorted by (list, id) */
    size_t nrx;
    struct sk_rxpre pre;
    /* cidr rules: canonical "network/bits" -> index, and which prefix
     * lengths occur per family. A lookup masks the host's address to each
     * length present (a handful) and probes the set: constant in the
     * number of rules, and only for URLs whose host is an IP literal. */
    struct sk_hset nets;
    uint8_t net_bits4[33], net_bits6[129];
    size_t nnets;
    size_t bytes;
};

/* Parse the database words "block|allow|approved", "exact|...|regex|cidr". */
int sk_rule_list_parse(const char *s, enum sk_rule_list *out);
int sk_rule_match_parse(const char *s, enum sk_rule_match *out);
const char *sk_rule_list_name(enum sk_rule_list);
const char *sk_rule_match_name(enum sk_rule_match);

/* Canonical matching key of a pattern (see policy_snapshot.h); caller frees. */
int sk_rule_canon(enum sk_rule_match, const char *pattern, char **key, char **err);

int sk_ruleset_add(struct sk_ruleset *, int64_t id, enum sk_rule_list, enum sk_rule_match,
                   const char *pattern, char **err);
int sk_ruleset_build(struct sk_ruleset *, char **err);
/* Winning rule index in *best (lowest list, then lowest index): 1 matched,
 * 0 nothing, -1 a regex hit its match limit (evaluation failed). */
int sk_ruleset_check(const struct sk_ruleset *, const struct sk_url *, uint32_t *best);
/* The same, skipping rules whose schedule does not apply at W (NULL: all
 * apply), and reading the exact, prefix, substring and regex rules against
 * BARE too when it is not NULL (the URL without its port: a rule that
 * names no port covers every port); one winner over both readings, so a
 * rule's list decides as it does in one reading. */
int sk_ruleset_check_when(const struct sk_ruleset *, const struct sk_url *,
                          const struct sk_url *bare, const struct sk_when *w, uint32_t *best);
void sk_ruleset_free(struct sk_ruleset *);

/* ---- regex helpers (match_regex.c) ---- */
/* Compile PATTERN caseless with JIT; the code or NULL with *err. */
void *sk_rx_compile(const char *pattern, char **err);
/* Match data for one thread's lookups (pcre2_match_data *); NULL if out
 * of memory. */
void *sk_rx_md_new(void);
void sk_rx_md_free(void *md);
/* 1 match, 0 no match, -1 error (match limit, out of memory). */
int sk_rx_match(const void *code, const char *text, size_t len, void *md);
size_t sk_rx_bytes(const void *code);
void sk_rx_free(void *code);

/* ---- category set: every blocked category, compiled once ---- */
struct sk_catset {
    char **names;
    size_t n, cap;
    struct sk_hset domains; /* value = category index */
    struct sk_ac *urls;     /* prefix, value = category index */
    struct sk_rx *rx;       /* expressions, value = category index */
    size_t nrx, rxcap;
    struct sk_rxpre pre;
    size_t entries, skipped; /* skipped: entries that did not parse */
};

struct sk_cat_hit {
    uint32_t cat;
    char kind[16];   /* domain | url | expression */
    char entry[256]; /* the matching entry, truncated */
};

/* Add a category (returns its index) and its entries. */
int sk_catset_add_category(struct sk_catset *, const char *name, char **err);
int sk_catset_add_entry(struct sk_catset *, uint32_t cat, const char *kind, const char *value,
                        char **err);
int sk_catset_build(struct sk_catset *, char **err);
/* First category blocked in BITSET that matches: 1 with *hit, 0, -1 error. */
int sk_catset_check(const struct sk_catset *, const uint8_t *bitset, const struct sk_url *,
                    struct sk_cat_hit *hit);
size_t sk_catset_bytes(const struct sk_catset *);
void sk_catset_free(struct sk_catset *);

#endif

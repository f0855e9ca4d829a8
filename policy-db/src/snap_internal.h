/* snap_internal.h - the layout of a policy snapshot, shared by the snap_*.c
 * files (load, resolve, decide). Not installed. */
#ifndef SK_SNAP_INTERNAL_H
#define SK_SNAP_INTERNAL_H

#include <stdint.h>

#include <sekisho/directory.h>
#include <sekisho/policy_snapshot.h>

#include "match_internal.h"
#include "sched_internal.h"

/* A user or group scope: lower-case name and domain ("" = any domain). */
struct sk_ident_name {
    char *domain;
    char *name;
};

/* A category block with a schedule: category index, sk_rule.when code. */
struct sk_cat_when {
    uint32_t cat;
    int32_t when;
};

/* A schedule compiled: days and minute ranges in the local time of zone
 * zones[zone] (the snapshot's distinct zones, loaded once). */
struct sk_snap_sched {
    char *name, *tz; /* tz "" = the node's local zone */
    struct sk_sched_spec spec;
    size_t zone;
};

struct sk_policy {
    const struct sk_snapshot *snap;
    int64_t id, priority;
    int enabled;
    char *name;
    struct sk_cidr *ips;
    size_t nips;
    struct sk_ident_name *users, *groups;
    size_t nusers, ngroups;
    char **settings; /* registry order; the policy's own canonical value or NULL */
    struct sk_ruleset rules;
    uint8_t *blocked; /* bitset over snap->cats: own and default's categories */
    struct sk_dlp_template *dlp;
    size_t ndlp;
    int32_t *dlp_when; /* per template, as sk_rule.when */
    /* category blocks with a schedule (own and default's); blocked holds
     * only the unconditional ones */
    struct sk_cat_when *catwhen;
    size_t ncatwhen;
};

struct sk_snapshot {
    long refs; /* __atomic builtins */
    int64_t generation;
    char content_hash[SK_PDB_HASH_HEX + 1]; /* sk_pdb_content_hash, same transaction */
    struct sk_policy *pol;                  /* ascending priority; the default policy last */
    size_t npol;
    struct sk_policy *def;
    struct sk_catset cats;
    struct sk_snap_sched *sched; /* sorted by name */
    size_t nsched;
    struct sk_tz *zones;
    char **zone_names;
    size_t nzones;
    size_t entries, bytes;
    double build_ms;
    struct sk_directory *dirs; /* by name (schema v5) */
    size_t ndirs;
    char dir_tag[17];
};

/* User/group name in any accepted form into lower-case DOMAIN and NAME
 * (malloc'd both, caller frees); 0, -1 when empty or out of memory. */
int sk_ident_name_parse(const char *s, size_t len, struct sk_ident_name *out);
void sk_ident_name_free(struct sk_ident_name *);

void sk_snapshot_free(struct sk_snapshot *);

#endif

/* directory.h - LDAP directories whose groups join X-Authenticated-Groups
 * (issue 14 item 3): the configuration a snapshot holds, the nested-group
 * walk and the LDAP lookup shared by the server and `sekisho-policy
 * directory test`. See policy-db/README.md, "Directories". */
#ifndef SEKISHO_DIRECTORY_H
#define SEKISHO_DIRECTORY_H

#ifndef SK_API
#define SK_API __attribute__((visibility("default")))
#endif

#include <stddef.h>

struct sk_buf;
struct sk_snapshot;

/* Levels of nesting followed above a user's direct groups, and most groups
 * one user resolves to: a bound on the work a hostile or broken directory
 * can cause. */
#define SK_DIR_MAX_DEPTH  8
#define SK_DIR_MAX_GROUPS 256

/* One `directory add`, as stored (canonical: URIs with explicit ports,
 * space-separated in failover order; group_attrs space-separated). */
struct sk_directory {
    char *name;
    char *uris;
    char *base;
    char *bind_dn;
    char *password_file;
    char *group_attrs;
    int global_catalog;
};

/* The snapshot's directories, by name; *n = 0 when none. Borrowed for the
 * snapshot's life. */
const struct sk_directory *sk_snapshot_directories(const struct sk_snapshot *, size_t *n);
/* 16 hex digits naming the directory configuration (every field of every
 * directory): a cache entry made under another tag is not used. */
const char *sk_snapshot_directory_tag(const struct sk_snapshot *);

/* A set of DNs, kept in insertion order, compared case-insensitively. */
struct sk_dir_dns {
    char **v;
    size_t n, cap;
};
/* 1 added, 0 already there, -1 out of memory. */
int sk_dir_dns_add(struct sk_dir_dns *, const char *dn);
void sk_dir_dns_free(struct sk_dir_dns *);

/* The groups that directly contain DN are added to OUT (duplicates are
 * fine). 0, or -1 with *err (malloc'd). */
typedef int (*sk_dir_parents_fn)(void *ctx, const char *dn, struct sk_dir_dns *out, char **err);

/*
 * Nested groups, breadth-first: GROUPS holds a user's direct groups on
 * entry; the parents of each level are added until no new group appears
 * (cycles end there: a DN is visited once), SK_DIR_MAX_DEPTH levels were
 * followed, or SK_DIR_MAX_GROUPS groups are known (the rest is ignored,
 * not an error). 0, or -1 with *err from FN.
 */
int sk_dir_nest(struct sk_dir_dns *groups, sk_dir_parents_fn fn, void *ctx, char **err);

/* Append the group name of DN (the value of its first RDN, "cn=Eng,ou=G"
 * -> "Eng") to OUT, preceded by ',' when OUT is not empty. Names holding a
 * ',' or a control character are skipped (they would split or corrupt the
 * comma-separated group list). */
void sk_dir_dn_name(const char *dn, struct sk_buf *out);

/* PATH must be an absolute path to a regular file not readable or
 * writable by group or others (0600/0400). 0, or -1 with *err naming the
 * file and the fix. */
int sk_dir_password_check(const char *path, char **err);

/*
 * Look USER up in D: bind as D->bind_dn with the password file, find the
 * user's entry (uid, sAMAccountName or userPrincipalName; "DOM\user" and
 * "user@realm" are searched by their user part, the latter also as a
 * whole UPN), then its groups, nested included. The names are appended to
 * OUT comma-separated. The whole lookup (connect to each URI in order,
 * bind, every search) is bounded by TIMEOUT_MS. Returns 0 (an unknown
 * user is 0 with nothing appended), or -1 with *err (malloc'd, caller
 * frees): server unreachable, timeout, bind refused, bad password file.
 */
int sk_dir_lookup(const struct sk_directory *d, const char *user, unsigned timeout_ms,
                  struct sk_buf *out, char **err);

#endif

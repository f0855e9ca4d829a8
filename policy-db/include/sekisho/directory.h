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
 * space-separated in failover order; group_attrs space-separated).
 * DOMAINS and REALMS are the ones it serves, as the snapshot resolved
 * them: the administrator's (--domain/--realm), else derived from BASE
 * (sk_dir_base_domains); space-separated, NetBIOS names upper case,
 * realms lower case, "" when none. */
struct sk_directory {
    char *name;
    char *uris;
    char *base;
    char *bind_dn;
    char *password_file;
    char *group_attrs;
    char *domains;
    char *realms;
    int global_catalog;
};

/* What a user name says about where its account lives (dir_name.c). */
enum sk_dir_name_kind {
    SK_DIRN_BARE,    /* "alice": no domain; every directory is asked */
    SK_DIRN_NETBIOS, /* "CORP\alice" (and "WinNT://CORP/alice") */
    SK_DIRN_REALM,   /* "alice@corp.example": a UPN or Kerberos principal */
    SK_DIRN_DN,      /* "uid=alice,ou=people,dc=corp,dc=example" */
};

struct sk_dir_name {
    enum sk_dir_name_kind kind;
    char local[256];  /* the account name; the whole DN for SK_DIRN_DN */
    char domain[256]; /* NetBIOS domain or realm as sent; "" otherwise */
};

/* Read USER ("LDAP://host/" before a DN is dropped). 0, or -1 when it
 * names no account a directory could hold: empty, over 255 bytes, an
 * empty domain or account part, a '\' or '@' left in the account
 * part, a DN that does not parse. */
int sk_dir_name_parse(const char *user, struct sk_dir_name *out);

/* The NetBIOS domain and the realm a base DN implies: its dc= RDNs in
 * order ("ou=x,dc=corp,dc=example" -> "CORP" and "corp.example"),
 * appended to DOMAINS / REALMS (space before when not empty). Nothing
 * when BASE has no dc= RDN (an empty Global Catalog base, "o=Example"). */
void sk_dir_base_domains(const char *base, struct sk_buf *domains, struct sk_buf *realms);

/* Does D serve NAME? A bare name: every directory. DOMAIN\x and x@REALM:
 * the qualifier is one of D's domains or realms (case-insensitive;
 * "x@corp" is CORP\x, as for policy scopes). A DN: D's base is the DN's
 * parent or an ancestor of it (an empty base, the whole forest, serves
 * every DN). 1 or 0. */
int sk_dir_serves(const struct sk_directory *d, const struct sk_dir_name *name);

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

/* What sk_dir_lookup found (not an error: each is an answer). */
enum sk_dir_outcome {
    SK_DIR_FOUND,      /* one entry: its groups were appended */
    SK_DIR_UNKNOWN,    /* no entry, or a name no directory could hold */
    SK_DIR_AMBIGUOUS,  /* two or more entries: none is taken */
    SK_DIR_NOT_SERVED, /* the name's domain/realm/tree is not D's: not asked */
};

/*
 * Look USER up in D, if D serves it (sk_dir_serves; else nothing is asked
 * and *outcome is SK_DIR_NOT_SERVED): bind as D->bind_dn with the
 * password file, find the user's entry, then its groups, nested included.
 * The entry: a bare name by uid, sAMAccountName or userPrincipalName;
 * DOMAIN\name by uid or sAMAccountName; name@realm by userPrincipalName
 * or by uid/sAMAccountName (the realm is D's); a DN by itself. Exactly
 * one entry must match: two or more are SK_DIR_AMBIGUOUS, never the
 * server's first. The names are appended to OUT comma-separated. The
 * whole lookup (connect to each URI in order, bind, every search) is
 * bounded by TIMEOUT_MS. Returns 0 with *OUTCOME set (OUT changes only
 * for SK_DIR_FOUND), or -1 with *err (malloc'd, caller frees): server
 * unreachable, timeout, bind refused, bad password file.
 */
int sk_dir_lookup(const struct sk_directory *d, const char *user, unsigned timeout_ms,
                  struct sk_buf *out, enum sk_dir_outcome *outcome, char **err);

#endif

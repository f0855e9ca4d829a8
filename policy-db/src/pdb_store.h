/* pdb_store.h - helpers shared by the policy-store files (policies, rules,
 * categories, export/import, snapshots); internal to libsekisho_policy. */
#ifndef SK_PDB_STORE_H
#define SK_PDB_STORE_H

#include <sys/types.h>

#include "pdb_internal.h"

/* Buffers and JSON escaping: the toolkit's struct sk_buf (see there why
 * the lowest layer may include it). */
#include "sekisho/text.h"

/* The id of policy NAME (NULL: the default policy); SK_PDB_REJECT with
 * "no such policy" in *err when it does not exist, -1 on a database error. */
int64_t sk_pdb_policy_ref(struct sk_pdb *pdb, const char *name, char **err);

/* Domain normalisation into OUT (see sk_pdb_domain_canon); length or -1. */
ssize_t sk_pdb_domain_norm(const char *text, size_t len, char *out, size_t size);

/* A category's entries: (kind, value) pairs in an arena, sorted as the
 * category_entries primary key sorts them (kind, then bytes). */
struct sk_pdb_entry {
    size_t off; /* into arena */
    unsigned len;
    char kind; /* 'd'omain, 'e'xpression, 'u'rl */
};
struct sk_pdb_entries {
    struct sk_buf arena;
    struct sk_pdb_entry *v;
    size_t n, cap;
};
/* Add one entry (VALUE already canonical). 0/-1 (out of memory). */
int sk_pdb_entries_add(struct sk_pdb_entries *, char kind, const char *value, size_t len);
/* Sort and drop repeats; returns how many repeats were dropped. */
size_t sk_pdb_entries_sort(struct sk_pdb_entries *);
void sk_pdb_entries_free(struct sk_pdb_entries *);
const char *sk_pdb_kind_name(char kind);
/* Canonical url / expression entry into OUT; length or -1 (invalid). */
ssize_t sk_pdb_url_entry_norm(const char *text, size_t len, char *out, size_t size);
int sk_pdb_expression_valid(const char *text);

/*
 * Store category NAME with ENTRIES (sorted) as its live entries, creating
 * it if needed. VERSION > 0 reuses that category_versions row (rollback);
 * 0 archives the entries as a new version. 0/-1.
 */
int sk_pdb_category_store(struct sk_pdb *, const char *name, const char *source,
                          const char *comment, struct sk_pdb_entries *, int64_t version,
                          char **err);
/* Version of the category's live entries, archiving them first if they
 * have none yet (databases from before schema v2). 0/-1. */
int sk_pdb_category_version(struct sk_pdb *, int64_t category_id, int64_t *version, char **err);
/* Entries of version VERSION, appended to OUT. 0, -1, SK_PDB_REJECT (gone). */
int sk_pdb_version_load(struct sk_pdb *, int64_t version, struct sk_pdb_entries *out, char **err);

/* Export with categories inline, or (REFS, snapshots: the write library
 * only) as references to archived versions that VERSION_FN names, archiving
 * them if needed. pdb_export.c is in the read library (the server hashes
 * the export), sk_pdb_category_version in the write library, hence the
 * function pointer rather than a call. */
#define SK_PDB_EXPORT_REFS 0x1
typedef int (*sk_pdb_version_fn)(struct sk_pdb *, int64_t category_id, int64_t *version,
                                 char **err);
int sk_pdb_export_buf_fn(struct sk_pdb *, unsigned flags, sk_pdb_version_fn, struct sk_buf *out,
                         char **err);
#define sk_pdb_export_buf(pdb, flags, out, err)                                                    \
    sk_pdb_export_buf_fn((pdb), (flags),                                                           \
                         ((flags)&SK_PDB_EXPORT_REFS) ? sk_pdb_category_version : NULL, (out),     \
                         (err))
/* Import a document; REFS: categories may be version references. */
int sk_pdb_import_doc(struct sk_pdb *, const char *text, size_t len, unsigned flags, char **err);

#endif

/* pdb_category.c - URL categories: squidGuard/UT1 list import (1M lines in
 * seconds), live entries, archived versions for rollback, block/unblock.
 * Trust: list files come from third parties (blacklist downloads): every
 * line is normalised and validated, garbage is counted and skipped. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <errno.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "pdb_store.h"

#define SK_PDB_LIST_MAX  (1024L * 1024 * 1024) /* biggest list file read */
#define SK_PDB_ENTRY_MAX 4096

/* ---- entry sets ---- */

int sk_pdb_entries_add(struct sk_pdb_entries *e, char kind, const char *value, size_t len)
{
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 1024;
        struct sk_pdb_entry *v = realloc(e->v, cap * sizeof(*v));
        if (v == NULL)
            return -1;
        e->v = v;
        e->cap = cap;
    }
    e->v[e->n] = (struct sk_pdb_entry){.off = e->arena.len, .len = (unsigned)len, .kind = kind};
    /* Each value NUL-terminated in the arena, for binding as text. */
    if (sk_buf_append(&e->arena, value, len) == -1 || sk_buf_append(&e->arena, "", 1) == -1)
        return -1;
    e->n++;
    return 0;
}

/* Byte order with the shorter first on a tie: SQLite's BINARY collation,
 * so inserts arrive in primary-key order. kind letters sort like the
 * kind names ('d'omain < 'e'xpression < 'u'rl). */
static int sk_pdb_entry_cmp(const void *a, const void *b, void *arg)
{
    const struct sk_pdb_entry *x = a, *y = b;
    const char *arena = arg;
    int c;

    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    c = memcmp(arena + x->off, arena + y->off, x->len < y->len ? x->len : y->len);
    if (c != 0)
        return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

size_t sk_pdb_entries_sort(struct sk_pdb_entries *e)
{
    size_t out = 0;

    if (e->n == 0)
        return 0;
    qsort_r(e->v, e->n, sizeof(e->v[0]), sk_pdb_entry_cmp, e->arena.data);
    for (size_t i = 1; i < e->n; i++)
        if (sk_pdb_entry_cmp(&e->v[out], &e->v[i], e->arena.data) != 0)
            e->v[++out] = e->v[i];
    out++;
    {
        size_t dropped = e->n - out;
        e->n = out;
        return dropped;
    }
}

void sk_pdb_entries_free(struct sk_pdb_entries *e)
{
    free(e->arena.data);
    free(e->v);
    memset(e, 0, sizeof(*e));
}

const char *sk_pdb_kind_name(char kind)
{
    return kind == 'd' ? "domain" : kind == 'u' ? "url" : "expression";
}

static char sk_pdb_kind_letter(const char *name)
{
    return strcmp(name, "domain") == 0 ? 'd' : strcmp(name, "url") == 0 ? 'u' : 'e';
}

/* ---- line normalisation ---- */

/* squidGuard "urls" lines are host/path without scheme: drop a scheme if
 * one is there, lower-case the host, keep the path as written. */
ssize_t sk_pdb_url_entry_norm(const char *text, size_t len, char *out, size_t size)
{
    size_t n = 0, i = 0;
    int host = 1;

    if (len >= 7 && strncasecmp(text, "http://", 7) == 0)
        i = 7;
    else if (len >= 8 && strncasecmp(text, "https://", 8) == 0)
        i = 8;
    if (i >= len || len - i >= size || len - i > SK_PDB_ENTRY_MAX || text[i] == '/')
        return -1;
    for (; i < len; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch <= 0x20 || ch == 0x7f)
            return -1;
        if (ch == '/')
            host = 0;
        out[n++] = host ? (char)tolower(ch) : (char)ch;
    }
    out[n] = '\0';
    return (ssize_t)n;
}

int sk_pdb_expression_valid(const char *text)
{
    PCRE2_SIZE offset;
    int code;
    pcre2_code *re =
        pcre2_compile((PCRE2_SPTR)text, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &code, &offset, NULL);

    if (re == NULL)
        return 0;
    pcre2_code_free(re);
    return 1;
}

/* ---- list files ---- */

/* Whole file into a malloc'd NUL-terminated buffer. 1 read, 0 missing,
 * -1 unreadable (with *err). */
static int sk_pdb_slurp(const char *path, char **data, size_t *len, char **err)
{
    struct stat sb;
    FILE *f = fopen(path, "rb");
    int rc = -1;

    *data = NULL;
    if (f == NULL) {
        if (errno == ENOENT)
            return 0;
        return sk_pdb_errf(err, "cannot read %s: %s", path, strerror(errno));
    }
    if (fstat(fileno(f), &sb) == -1 || !S_ISREG(sb.st_mode)) {
        sk_pdb_errf(err, "cannot read %s: not a regular file", path);
        goto out;
    }
    if (sb.st_size > SK_PDB_LIST_MAX) {
        sk_pdb_errf(err, "%s: larger than 1 GiB, refusing", path);
        goto out;
    }
    if ((*data = malloc((size_t)sb.st_size + 1)) == NULL) {
        sk_pdb_errf(err, "out of memory reading %s", path);
        goto out;
    }
    *len = fread(*data, 1, (size_t)sb.st_size, f);
    if (ferror(f)) {
        sk_pdb_errf(err, "cannot read %s: %s", path, strerror(errno));
        free(*data);
        *data = NULL;
        goto out;
    }
    (*data)[*len] = '\0';
    rc = 1;
out:
    fclose(f);
    return rc;
}

/* Parse one list file of KIND into E; counts go to S. */
static int sk_pdb_parse_list(char kind, const char *file, char *data, size_t len,
                             struct sk_pdb_entries *e, struct sk_pdb_import_stats *s)
{
    char out[SK_PDB_ENTRY_MAX + 512];
    int64_t lineno = 0;
    char *p = data, *end = data + len;

    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p)), *line = p, *le;
        ssize_t n;

        le = nl ? nl : end;
        p = nl ? nl + 1 : end;
        lineno++;
        while (line < le && isspace((unsigned char)*line))
            line++;
        while (le > line && isspace((unsigned char)le[-1]))
            le--;
        if (line == le || *line == '#')
            continue;
        s->lines++;
        if (kind == 'd') {
            n = sk_pdb_domain_norm(line, (size_t)(le - line), out, sizeof(out));
        } else if (kind == 'u') {
            n = sk_pdb_url_entry_norm(line, (size_t)(le - line), out, sizeof(out));
        } else {
            n = le - line <= SK_PDB_ENTRY_MAX ? le - line : -1;
            if (n > 0) {
                memcpy(out, line, (size_t)n);
                out[n] = '\0';
                if (!sk_pdb_expression_valid(out))
                    n = -1;
            }
        }
        if (n <= 0) {
            if (s->invalid++ == 0) {
                s->first_invalid_line = lineno;
                snprintf(s->first_invalid_file, sizeof(s->first_invalid_file), "%s", file);
            }
            continue;
        }
        if (sk_pdb_entries_add(e, kind, out, (size_t)n) == -1)
            return -1;
    }
    return 0;
}

/* ---- storing ---- */

/* Archive E as a new category_versions row: "<kind letter><value>\n" per
 * entry, zlib-compressed (a 1M-domain list is ~5 MB, not ~20). */
static int sk_pdb_version_save(struct sk_pdb *pdb, const char *name, const struct sk_pdb_entries *e,
                               int64_t *version, char **err)
{
    struct sk_buf raw = {0};
    sqlite3_stmt *st = NULL;
    unsigned char *z = NULL;
    uLongf zlen;
    int rc = -1;

    for (size_t i = 0; i < e->n; i++)
        if (sk_buf_append(&raw, &e->v[i].kind, 1) == -1 ||
            sk_buf_append(&raw, e->arena.data + e->v[i].off, e->v[i].len) == -1 ||
            sk_buf_append(&raw, "\n", 1) == -1)
            goto oom;
    zlen = compressBound(raw.len);
    if ((z = malloc(zlen)) == NULL)
        goto oom;
    if (compress2(z, &zlen, (const Bytef *)(raw.data ? raw.data : ""), raw.len, 1) != Z_OK) {
        sk_pdb_errf(err, "cannot compress category '%s'", name);
        goto out;
    }
    /* Re-importing an unchanged list reuses its archived version. */
    if (sqlite3_prepare_v2(pdb->db,
                           "SELECT id FROM category_versions WHERE name = ?1 AND"
                           " size = ?2 AND data = ?3 ORDER BY id DESC LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_int64(st, 2, (int64_t)raw.len) != SQLITE_OK ||
        sqlite3_bind_blob(st, 3, z, (int)zlen, SQLITE_STATIC) != SQLITE_OK) {
        sk_pdb_sqlerr(pdb, err, "cannot read category versions");
        goto out;
    }
    if (sqlite3_step(st) == SQLITE_ROW) {
        *version = sqlite3_column_int64(st, 0);
        rc = 0;
        goto out;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(pdb->db,
                           "INSERT INTO category_versions(name, entries, size, data)"
                           " VALUES (?1, ?2, ?3, ?4)",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_int64(st, 2, (int64_t)e->n) != SQLITE_OK ||
        sqlite3_bind_int64(st, 3, (int64_t)raw.len) != SQLITE_OK ||
        sqlite3_bind_blob(st, 4, z, (int)zlen, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_DONE) {
        sk_pdb_sqlerr(pdb, err, "cannot archive the category");
        goto out;
    }
    *version = sqlite3_last_insert_rowid(pdb->db);
    rc = 0;
    goto out;
oom:
    sk_pdb_errf(err, "out of memory");
out:
    sqlite3_finalize(st);
    free(raw.data);
    free(z);
    return rc;
}

int sk_pdb_version_load(struct sk_pdb *pdb, int64_t version, struct sk_pdb_entries *out, char **err)
{
    sqlite3_stmt *st = NULL;
    char *raw = NULL;
    uLongf rawlen;
    int rc = -1, step;

    if (sqlite3_prepare_v2(pdb->db, "SELECT size, data FROM category_versions WHERE id = ?1", -1,
                           &st, NULL) != SQLITE_OK ||
        sqlite3_bind_int64(st, 1, version) != SQLITE_OK) {
        sk_pdb_sqlerr(pdb, err, "cannot read category versions");
        goto out;
    }
    if ((step = sqlite3_step(st)) != SQLITE_ROW) {
        if (step == SQLITE_DONE) {
            sk_pdb_errf(err, "category version %lld is gone", (long long)version);
            rc = SK_PDB_REJECT;
        } else {
            sk_pdb_sqlerr(pdb, err, "cannot read category versions");
        }
        goto out;
    }
    rawlen = (uLongf)sqlite3_column_int64(st, 0);
    if ((raw = malloc(rawlen + 1)) == NULL) {
        sk_pdb_errf(err, "out of memory");
        goto out;
    }
    if (uncompress((Bytef *)raw, &rawlen, sqlite3_column_blob(st, 1),
                   (uLong)sqlite3_column_bytes(st, 1)) != Z_OK) {
        sk_pdb_errf(err, "policy database %s: category version %lld is corrupt", pdb->path,
                    (long long)version);
        goto out;
    }
    for (char *p = raw, *end = raw + rawlen; p < end;) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL || nl == p ||
            sk_pdb_entries_add(out, *p, p + 1, (size_t)(nl - p - 1)) == -1) {
            sk_pdb_errf(err, "policy database %s: category version %lld is corrupt", pdb->path,
                        (long long)version);
            goto out;
        }
        p = nl + 1;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    free(raw);
    return rc;
}

/* Id of category NAME (creating it when CREATE), 0 if none, -1. */
static int64_t sk_pdb_category_id(struct sk_pdb *pdb, const char *name, int create, char **err)
{
    sqlite3_stmt *st = NULL;
    int64_t id = -1;
    int step;

    if (sqlite3_prepare_v2(pdb->db,
                           create ? "INSERT INTO categories(name) VALUES (?1)"
                                    " ON CONFLICT(name) DO UPDATE SET name = name"
                                    " RETURNING id"
                                  : "SELECT id FROM categories WHERE name = ?1",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC) != SQLITE_OK) {
        sk_pdb_sqlerr(pdb, err, "cannot read categories");
        goto out;
    }
    step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        id = sqlite3_column_int64(st, 0);
    else if (step == SQLITE_DONE)
        id = 0;
    else
        sk_pdb_sqlerr(pdb, err, "cannot read categories");
out:
    sqlite3_finalize(st);
    return id;
}

static int sk_pdb_exec_id(struct sk_pdb *pdb, const char *sql, int64_t a, int64_t b, const char *t1,
                          const char *t2, char **err)
{
    sqlite3_stmt *st = NULL;
    int rc = -1;

    if (sqlite3_prepare_v2(pdb->db, sql, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_int64(st, 1, a) != SQLITE_OK || sqlite3_bind_int64(st, 2, b) != SQLITE_OK ||
        (t1 && sqlite3_bind_text(st, 3, t1, -1, SQLITE_STATIC) != SQLITE_OK) ||
        (t2 && sqlite3_bind_text(st, 4, t2, -1, SQLITE_STATIC) != SQLITE_OK) ||
        sqlite3_step(st) != SQLITE_DONE) {
        sk_pdb_sqlerr(pdb, err, "cannot write categories");
        goto out;
    }
    rc = sqlite3_changes(pdb->db);
out:
    sqlite3_finalize(st);
    return rc;
}

static int sk_pdb_entries_insert(struct sk_pdb *pdb, int64_t cid, const struct sk_pdb_entries *e,
                                 char **err)
{
    sqlite3_stmt *st = NULL;
    int rc = -1;

    /* A bigger page cache keeps the B-tree pages of a sorted bulk insert
     * in memory until commit. */
    sqlite3_exec(pdb->db, "PRAGMA cache_size = -131072", NULL, NULL, NULL);
    if (sqlite3_prepare_v2(pdb->db,
                           "INSERT INTO category_entries(category_id, kind, value)"
                           " VALUES (?1, ?2, ?3)",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_int64(st, 1, cid) != SQLITE_OK) {
        sk_pdb_sqlerr(pdb, err, "cannot store category entries");
        goto out;
    }
    for (size_t i = 0; i < e->n; i++) {
        if (sqlite3_bind_text(st, 2, sk_pdb_kind_name(e->v[i].kind), -1, SQLITE_STATIC) !=
                SQLITE_OK ||
            sqlite3_bind_text(st, 3, e->arena.data + e->v[i].off, (int)e->v[i].len,
                              SQLITE_STATIC) != SQLITE_OK ||
            sqlite3_step(st) != SQLITE_DONE) {
            sk_pdb_sqlerr(pdb, err, "cannot store category entries");
            goto out;
        }
        sqlite3_reset(st);
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    return rc;
}

int sk_pdb_category_store(struct sk_pdb *pdb, const char *name, const char *source,
                          const char *comment, struct sk_pdb_entries *e, int64_t version,
                          char **err)
{
    int64_t cid = sk_pdb_category_id(pdb, name, 1, err);

    if (cid == -1 ||
        sk_pdb_exec_id(pdb,
                       "UPDATE categories SET source = ?3, comment = ?4 WHERE id = ?1"
                       " AND ?2 = ?2",
                       cid, 0, source, comment, err) == -1 ||
        sk_pdb_exec_id(pdb, "DELETE FROM category_entries WHERE category_id = ?1 AND ?2 = ?2", cid,
                       0, NULL, NULL, err) == -1 ||
        sk_pdb_entries_insert(pdb, cid, e, err) == -1)
        return -1;
    if (version <= 0 && sk_pdb_version_save(pdb, name, e, &version, err) == -1)
        return -1;
    return sk_pdb_exec_id(pdb,
                          "INSERT OR REPLACE INTO category_current(category_id,"
                          " version_id) VALUES (?1, ?2)",
                          cid, version, NULL, NULL, err) == -1
               ? -1
               : 0;
}

int sk_pdb_category_version(struct sk_pdb *pdb, int64_t cid, int64_t *version, char **err)
{
    struct sk_pdb_entries e = {0};
    sqlite3_stmt *st = NULL;
    const char *name = NULL;
    int rc = -1, step;

    if (sqlite3_prepare_v2(pdb->db,
                           "SELECT c.name, v.version_id FROM categories c LEFT JOIN"
                           " category_current v ON v.category_id = c.id"
                           " WHERE c.id = ?1",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_int64(st, 1, cid) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
        sk_pdb_sqlerr(pdb, err, "cannot read categories");
        goto out;
    }
    if (sqlite3_column_type(st, 1) != SQLITE_NULL) {
        *version = sqlite3_column_int64(st, 1);
        rc = 0;
        goto out;
    }
    /* Live entries without an archived version: archive them now. */
    {
        sqlite3_stmt *q = NULL;
        name = (const char *)sqlite3_column_text(st, 0);
        if (sqlite3_prepare_v2(pdb->db,
                               "SELECT kind, value FROM category_entries WHERE"
                               " category_id = ?1 ORDER BY kind, value",
                               -1, &q, NULL) != SQLITE_OK ||
            sqlite3_bind_int64(q, 1, cid) != SQLITE_OK) {
            sqlite3_finalize(q);
            sk_pdb_sqlerr(pdb, err, "cannot read category entries");
            goto out;
        }
        while ((step = sqlite3_step(q)) == SQLITE_ROW)
            if (sk_pdb_entries_add(&e, sk_pdb_kind_letter((const char *)sqlite3_column_text(q, 0)),
                                   (const char *)sqlite3_column_text(q, 1),
                                   (size_t)sqlite3_column_bytes(q, 1)) == -1)
                break;
        sqlite3_finalize(q);
        if (step != SQLITE_DONE) {
            sk_pdb_sqlerr(pdb, err, "cannot read category entries");
            goto out;
        }
    }
    if (sk_pdb_version_save(pdb, name, &e, version, err) == -1 ||
        sk_pdb_exec_id(pdb,
                       "INSERT INTO category_current(category_id, version_id)"
                       " VALUES (?1, ?2)",
                       cid, *version, NULL, NULL, err) == -1)
        goto out;
    rc = 0;
out:
    sqlite3_finalize(st);
    sk_pdb_entries_free(&e);
    return rc;
}

/* ---- commands ---- */

static int sk_pdb_category_name_valid(const char *name, char **err)
{
    size_t n = strlen(name);

    if (n == 0 || n > 64 || name[0] == '-')
        return sk_pdb_errf(err,
                           "invalid category name '%s': 1 to 64 characters of letters,"
                           " digits, '.', '_' and '-'",
                           name);
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-')
            return sk_pdb_errf(err,
                               "invalid category name '%s': 1 to 64 characters of"
                               " letters, digits, '.', '_' and '-'",
                               name);
    return 0;
}

/* Read DIR's list files into E. 0, SK_PDB_REJECT (with *err). */
static int sk_pdb_read_lists(const char *dir, struct sk_pdb_entries *e,
                             struct sk_pdb_import_stats *s, char **err)
{
    static const struct {
        const char *file;
        char kind;
    } lists[] = {{"domains", 'd'}, {"urls", 'u'}, {"expressions", 'e'}};
    struct stat sb;
    int found = 0;

    if (stat(dir, &sb) == -1) {
        sk_pdb_errf(err, "cannot read category directory %s: %s", dir, strerror(errno));
        return SK_PDB_REJECT;
    }
    if (!S_ISDIR(sb.st_mode)) {
        sk_pdb_errf(err, "cannot read category directory %s: not a directory", dir);
        return SK_PDB_REJECT;
    }
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        char *path = NULL, *data = NULL;
        size_t len = 0;
        int got;
        if (asprintf(&path, "%s/%s", dir, lists[i].file) == -1)
            return sk_pdb_errf(err, "out of memory");
        got = sk_pdb_slurp(path, &data, &len, err);
        free(path);
        if (got == -1)
            return SK_PDB_REJECT;
        if (got == 0)
            continue;
        found += lists[i].kind != 'e';
        got = sk_pdb_parse_list(lists[i].kind, lists[i].file, data, len, e, s);
        free(data);
        if (got == -1)
            return sk_pdb_errf(err, "out of memory");
    }
    if (found == 0) {
        sk_pdb_errf(err, "category directory %s has neither a 'domains' nor a 'urls' file", dir);
        return SK_PDB_REJECT;
    }
    return 0;
}

int sk_pdb_category_import(struct sk_pdb *pdb, const char *name, const char *dir,
                           struct sk_pdb_import_stats *s, char **err)
{
    return sk_pdb_category_import_src(pdb, name, dir, NULL, s, err);
}

int sk_pdb_category_import_src(struct sk_pdb *pdb, const char *name, const char *dir,
                               const char *src, struct sk_pdb_import_stats *s, char **err)
{
    struct sk_pdb_entries e = {0};
    char *source = NULL;
    int rc;

    memset(s, 0, sizeof(*s));
    if (sk_pdb_category_name_valid(name, err) == -1)
        return SK_PDB_REJECT;
    if ((rc = sk_pdb_read_lists(dir, &e, s, err)) != 0)
        goto out;
    /* More than 10% garbage: this is not a list (wrong directory, HTML
     * error page saved as a list, ...). */
    if (s->invalid > 0 && s->invalid * 10 > s->lines) {
        sk_pdb_errf(err,
                    "%s/%s: %lld of %lld lines are not valid entries (first: line %lld);"
                    " not a squidGuard list?",
                    dir, s->first_invalid_file, (long long)s->invalid, (long long)s->lines,
                    (long long)s->first_invalid_line);
        rc = SK_PDB_REJECT;
        goto out;
    }
    s->duplicates = (int64_t)sk_pdb_entries_sort(&e);
    for (size_t i = 0; i < e.n; i++) {
        if (e.v[i].kind == 'd')
            s->domains++;
        else if (e.v[i].kind == 'u')
            s->urls++;
        else
            s->expressions++;
    }
    source = src ? NULL : realpath(dir, NULL);
    rc = sk_pdb_category_store(pdb, name, src ? src : source ? source : dir, "", &e, 0, err);
out:
    free(source);
    sk_pdb_entries_free(&e);
    return rc;
}

int sk_pdb_category_rm(struct sk_pdb *pdb, const char *name, char **err)
{
    int64_t cid = sk_pdb_category_id(pdb, name, 0, err);

    if (cid == 0) {
        sk_pdb_errf(err, "no such category '%s'", name);
        return SK_PDB_REJECT;
    }
    if (cid == -1 || sk_pdb_exec_id(pdb, "DELETE FROM categories WHERE id = ?1 AND ?2 = ?2", cid, 0,
                                    NULL, NULL, err) == -1)
        return -1;
    return 0;
}

int sk_pdb_category_block(struct sk_pdb *pdb, const char *policy, const char *name, int block,
                          char **err)
{
    int64_t cid = sk_pdb_category_id(pdb, name, 0, err), pid;
    int n;

    if (cid == 0) {
        sk_pdb_errf(err, "no such category '%s' (see: sekisho-policy category list)", name);
        return SK_PDB_REJECT;
    }
    if (cid == -1)
        return -1;
    if ((pid = sk_pdb_policy_ref(pdb, policy, err)) < 0)
        return pid;
    n = sk_pdb_exec_id(pdb,
                       block ? "INSERT OR IGNORE INTO policy_categories(policy_id,"
                               " category_id) VALUES (?1, ?2)"
                             : "DELETE FROM policy_categories WHERE policy_id = ?1"
                               " AND category_id = ?2",
                       pid, cid, NULL, NULL, err);
    return n == -1 ? -1 : n > 0;
}

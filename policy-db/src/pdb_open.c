/* pdb_open.c - open/check the policy database, generation, write transactions
 * with history. Trust: the file is the administrator's, but the server must
 * survive (refuse) a damaged or foreign one, so every read is checked. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pdb_internal.h"

#define SK_PDB_BUSY_TIMEOUT_MS 5000
#define SK_PDB_FILE_MODE       0640

int sk_pdb_errf(char **err, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return -1;
    free(*err);
    *err = NULL;
    va_start(ap, fmt);
    if (vasprintf(err, fmt, ap) == -1)
        *err = NULL;
    va_end(ap);
    return -1;
}

int sk_pdb_sqlerr(struct sk_pdb *pdb, char **err, const char *what)
{
    int code = sqlite3_errcode(pdb->db) & 0xff;

    if (code == SQLITE_NOTADB)
        return sk_pdb_errf(err,
                           "policy database %s: not a Sekisho policy database "
                           "(not an SQLite database)",
                           pdb->path);
    if (code == SQLITE_CORRUPT)
        return sk_pdb_errf(err, "policy database %s: damaged (%s)", pdb->path,
                           sqlite3_errmsg(pdb->db));
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
        return sk_pdb_errf(err,
                           "policy database %s: locked by another process for more than "
                           "%d s",
                           pdb->path, SK_PDB_BUSY_TIMEOUT_MS / 1000);
    return sk_pdb_errf(err, "policy database %s: %s: %s", pdb->path, what, sqlite3_errmsg(pdb->db));
}

int sk_pdb_exec(struct sk_pdb *pdb, const char *sql, char **err)
{
    if (sqlite3_exec(pdb->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return sk_pdb_sqlerr(pdb, err, "cannot update");
    return 0;
}

int sk_pdb_query_int(struct sk_pdb *pdb, const char *sql, int64_t *out, char **err)
{
    sqlite3_stmt *st = NULL;
    int rc = -1;

    if (sqlite3_prepare_v2(pdb->db, sql, -1, &st, NULL) != SQLITE_OK) {
        sk_pdb_sqlerr(pdb, err, "cannot read");
        goto out;
    }
    switch (sqlite3_step(st)) {
    case SQLITE_ROW:
        *out = sqlite3_column_int64(st, 0);
        rc = 0;
        break;
    case SQLITE_DONE:
        sk_pdb_errf(err, "policy database %s: no result for: %s", pdb->path, sql);
        break;
    default:
        sk_pdb_sqlerr(pdb, err, "cannot read");
    }
out:
    sqlite3_finalize(st);
    return rc;
}

char *sk_pdb_shell_quote(const char *s)
{
    static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "0123456789._/:=@%+,-";
    size_t n = 3;
    char *q, *p;

    if (*s != '\0' && strspn(s, safe) == strlen(s))
        return strdup(s);
    for (const char *c = s; *c; c++)
        n += *c == '\'' ? 4 : 1;
    if ((q = p = malloc(n)) == NULL)
        return NULL;
    *p++ = '\'';
    for (const char *c = s; *c; c++) {
        if (*c == '\'') {
            memcpy(p, "'\\''", 4);
            p += 4;
        } else {
            *p++ = *c;
        }
    }
    *p++ = '\'';
    *p = '\0';
    return q;
}

/* The path exists and is a regular file; messages say how to fix it. */
static int sk_pdb_stat_check(const char *path, char **err)
{
    struct stat st;
    char *q = NULL;
    int rc = -1;

    if (stat(path, &st) == -1) {
        if (errno == ENOENT && (q = sk_pdb_shell_quote(path)) != NULL)
            sk_pdb_errf(err,
                        "policy database %s: no such file "
                        "(create it with: sekisho-policy --db %s init)",
                        path, q);
        else
            sk_pdb_errf(err, "policy database %s: %s", path, strerror(errno));
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        sk_pdb_errf(err, "policy database %s: is a directory, not a file", path);
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        sk_pdb_errf(err, "policy database %s: not a regular file", path);
        goto out;
    }
    rc = 0;
out:
    free(q);
    return rc;
}

/* Create PATH with mode 0640 whatever the umask, unless it exists. */
static int sk_pdb_create_file(const char *path, int *created, char **err)
{
    const char *slash;
    int fd;

    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, SK_PDB_FILE_MODE);
    if (fd == -1 && errno == EEXIST)
        return sk_pdb_stat_check(path, err);
    if (fd == -1 && errno == ENOENT) {
        slash = strrchr(path, '/');
        if (slash == NULL || slash == path)
            return sk_pdb_errf(err, "policy database %s: cannot create: %s", path,
                               strerror(ENOENT));
        return sk_pdb_errf(err,
                           "policy database %s: directory %.*s does not exist "
                           "(create it first)",
                           path, (int)(slash - path), path);
    }
    if (fd == -1)
        return sk_pdb_errf(err, "policy database %s: cannot create: %s", path, strerror(errno));
    if (fchmod(fd, SK_PDB_FILE_MODE) == -1) {
        sk_pdb_errf(err, "policy database %s: chmod: %s", path, strerror(errno));
        close(fd);
        unlink(path);
        return -1;
    }
    close(fd);
    *created = 1;
    return 0;
}

/* Is the open file a Sekisho database of exactly our schema version? */
static int sk_pdb_identify(struct sk_pdb *pdb, char **err)
{
    int64_t appid, version, tables;
    char *q = NULL;
    int rc = -1;

    if (sk_pdb_query_int(pdb, "PRAGMA application_id", &appid, err) == -1 ||
        sk_pdb_query_int(pdb, "PRAGMA user_version", &version, err) == -1 ||
        sk_pdb_query_int(pdb, "SELECT count(*) FROM sqlite_schema", &tables, err) == -1)
        goto out;
    if ((q = sk_pdb_shell_quote(pdb->path)) == NULL) {
        sk_pdb_errf(err, "out of memory");
        goto out;
    }
    if (appid == 0 && version == 0 && tables == 0)
        sk_pdb_errf(err,
                    "policy database %s: not initialised "
                    "(initialise it with: sekisho-policy --db %s init)",
                    pdb->path, q);
    else if (appid != SK_PDB_APPLICATION_ID)
        sk_pdb_errf(err, "policy database %s: not a Sekisho policy database", pdb->path);
    else if (version < SK_PDB_SCHEMA_VERSION)
        sk_pdb_errf(err,
                    "policy database %s: schema version %lld is older than this "
                    "build's %d (upgrade it with: sekisho-policy --db %s init)",
                    pdb->path, (long long)version, SK_PDB_SCHEMA_VERSION, q);
    else if (version > SK_PDB_SCHEMA_VERSION)
        sk_pdb_errf(err,
                    "policy database %s: schema version %lld is newer than this build "
                    "understands (%d); upgrade Sekisho",
                    pdb->path, (long long)version, SK_PDB_SCHEMA_VERSION);
    else
        rc = 0;
out:
    free(q);
    return rc;
}

static int sk_pdb_connect(struct sk_pdb *pdb, char **err)
{
    int oflags = (pdb->flags & SK_PDB_RW) ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY;
    int persist = 1;

    if (sqlite3_open_v2(pdb->path, &pdb->db, oflags, NULL) != SQLITE_OK) {
        if (pdb->db == NULL)
            return sk_pdb_errf(err, "policy database %s: out of memory", pdb->path);
        return sk_pdb_sqlerr(pdb, err, "cannot open");
    }
    /* SQLite quietly falls back to read-only when the file is not writable;
     * a write command should say so now, not at its first change. */
    if ((pdb->flags & SK_PDB_RW) && sqlite3_db_readonly(pdb->db, "main") == 1)
        return sk_pdb_errf(err,
                           "policy database %s: not writable by this user "
                           "(permission denied)",
                           pdb->path);
    sqlite3_busy_timeout(pdb->db, SK_PDB_BUSY_TIMEOUT_MS);
    /* trusted_schema off: a tampered file cannot run SQL functions from
     * views or triggers in the reader. */
    if (sk_pdb_exec(pdb, "PRAGMA foreign_keys = ON; PRAGMA trusted_schema = OFF;", err) == -1)
        return -1;
    /* Keep -wal/-shm after the CLI exits so a reader without write access
     * to the directory can still open the database (SQLite >= 3.22). */
    if ((pdb->flags & SK_PDB_RW) &&
        sqlite3_file_control(pdb->db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist) != SQLITE_OK)
        return sk_pdb_sqlerr(pdb, err, "cannot set persistent WAL");
    return 0;
}

struct sk_pdb *sk_pdb_open(const char *path, unsigned flags, char **err)
{
    unsigned mode = flags & (SK_PDB_RO | SK_PDB_RW);
    struct sk_pdb *pdb = NULL;

    if (path == NULL || *path == '\0') {
        sk_pdb_errf(err, "policy database: no path given");
        return NULL;
    }
    if ((mode != SK_PDB_RO && mode != SK_PDB_RW) ||
        (flags & ~(SK_PDB_RO | SK_PDB_RW | SK_PDB_CREATE)) ||
        ((flags & SK_PDB_CREATE) && mode != SK_PDB_RW)) {
        sk_pdb_errf(err, "policy database %s: invalid open flags 0x%x", path, flags);
        return NULL;
    }
    if ((pdb = calloc(1, sizeof(*pdb))) == NULL || (pdb->path = strdup(path)) == NULL) {
        sk_pdb_errf(err, "policy database %s: out of memory", path);
        goto fail;
    }
    pdb->flags = flags;
    if (flags & SK_PDB_CREATE) {
        if (sk_pdb_create_file(path, &pdb->created, err) == -1)
            goto fail;
    } else if (sk_pdb_stat_check(path, err) == -1) {
        goto fail;
    }
    if (sk_pdb_connect(pdb, err) == -1)
        goto fail;
    /* init (SK_PDB_CREATE) does its own, migration-aware identification. */
    if (!(flags & SK_PDB_CREATE) && sk_pdb_identify(pdb, err) == -1)
        goto fail;
    return pdb;
fail:
    if (pdb != NULL && pdb->created)
        unlink(path);
    sk_pdb_close(pdb);
    return NULL;
}

void sk_pdb_close(struct sk_pdb *pdb)
{
    if (pdb == NULL)
        return;
    sqlite3_close_v2(pdb->db);
    free(pdb->path);
    free(pdb);
}

sqlite3 *sk_pdb_sqlite(struct sk_pdb *pdb)
{
    return pdb->db;
}

const char *sk_pdb_path(struct sk_pdb *pdb)
{
    return pdb->path;
}

int sk_pdb_created(struct sk_pdb *pdb)
{
    return pdb->created;
}

int64_t sk_pdb_generation(struct sk_pdb *pdb)
{
    int64_t gen;

    if (sk_pdb_query_int(pdb, "SELECT value FROM meta WHERE key = 'generation'", &gen, NULL) == -1)
        return -1;
    return gen;
}

int sk_pdb_schema_version(struct sk_pdb *pdb)
{
    int64_t v;

    if (sk_pdb_query_int(pdb, "PRAGMA user_version", &v, NULL) == -1 || v < 0 || v > INT32_MAX)
        return -1;
    return (int)v;
}

int sk_pdb_check(const char *path, char **err)
{
    struct sk_pdb *pdb = NULL;
    int fd, rc = -1;

    if (path == NULL || *path == '\0')
        return sk_pdb_errf(err, "policy database: no path given");
    if (sk_pdb_stat_check(path, err) == -1)
        return -1;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
        return sk_pdb_errf(err, "policy database %s: cannot read: %s", path, strerror(errno));
    close(fd);
    if ((pdb = sk_pdb_open(path, SK_PDB_RO, err)) == NULL)
        goto out;
    if (sk_pdb_generation(pdb) < 1) {
        sk_pdb_errf(err, "policy database %s: damaged (no valid generation)", path);
        goto out;
    }
    rc = 0;
out:
    sk_pdb_close(pdb);
    return rc;
}

/* cli_util.c - messages, actor/command text for history, JSON strings.
 * Trust: runs as the administrator; environment values are only recorded. */
#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sekisho/text.h>

#include "cli.h"

static int sk_cli_vmsg(int code, const char *fmt, va_list ap)
{
    fputs("sekisho-policy: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    return code;
}

int sk_cli_fail(const char *fmt, ...)
{
    va_list ap;
    int code;

    va_start(ap, fmt);
    code = sk_cli_vmsg(SK_CLI_FAIL, fmt, ap);
    va_end(ap);
    return code;
}

int sk_cli_usage(const char *fmt, ...)
{
    va_list ap;
    int code;

    va_start(ap, fmt);
    code = sk_cli_vmsg(SK_CLI_USAGE, fmt, ap);
    va_end(ap);
    return code;
}

int sk_cli_report(char **err, int code)
{
    fprintf(stderr, "sekisho-policy: %s\n", *err ? *err : "unknown error");
    free(*err);
    *err = NULL;
    return code;
}

/* NAME unless it is empty, too long or holds control characters. */
static char *sk_cli_clean_name(const char *name)
{
    if (name == NULL || *name == '\0' || strlen(name) > 64)
        return NULL;
    for (const char *p = name; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return NULL;
    return strdup(name);
}

char *sk_cli_actor(void)
{
    struct passwd *pw;
    char *actor;

    if ((actor = sk_cli_clean_name(getenv("SUDO_USER"))) != NULL ||
        (actor = sk_cli_clean_name(getenv("USER"))) != NULL)
        return actor;
    if ((pw = getpwuid(getuid())) != NULL && (actor = sk_cli_clean_name(pw->pw_name)) != NULL)
        return actor;
    if (asprintf(&actor, "uid %u", (unsigned)getuid()) == -1)
        return NULL;
    return actor;
}

/* Append " WORD" (shell-quoted) to *TEXT; 0/-1. */
static int sk_cli_append(char **text, const char *word)
{
    char *q = sk_pdb_shell_quote(word), *joined = NULL;

    if (q == NULL)
        return -1;
    if (asprintf(&joined, "%s%s%s", *text ? *text : "", *text ? " " : "", q) == -1)
        joined = NULL;
    free(q);
    if (joined == NULL)
        return -1;
    free(*text);
    *text = joined;
    return 0;
}

char *sk_cli_command_text(const struct sk_cli *c)
{
    char *text = NULL;

    for (int i = 0; i < c->argc; i++)
        if (sk_cli_append(&text, c->argv[i]) == -1)
            goto fail;
    for (int i = 0; i < c->nwords; i++)
        if (sk_cli_append(&text, c->words[i]) == -1)
            goto fail;
    return text;
fail:
    free(text);
    return NULL;
}

struct sk_pdb *sk_cli_open(const struct sk_cli *c, unsigned flags)
{
    struct sk_pdb *pdb;
    char *err = NULL;

    if ((pdb = sk_pdb_open(c->db, flags, &err)) == NULL)
        sk_cli_report(&err, SK_CLI_FAIL);
    return pdb;
}

int64_t sk_cli_commit(const struct sk_cli *c, struct sk_pdb *pdb)
{
    char *actor = sk_cli_actor(), *text = sk_cli_command_text(c), *err = NULL;
    int64_t gen = -1, cur;

    if (actor == NULL || text == NULL) {
        sk_pdb_write_rollback(pdb);
        sk_cli_fail("out of memory");
        goto out;
    }
    /* The write lock is held: the commit will make generation cur + 1.
     * Its snapshot goes into the same transaction, for rollback. */
    if ((cur = sk_pdb_generation(pdb)) < 1 || sk_pdb_snapshot_save(pdb, cur + 1, &err) == -1) {
        sk_pdb_write_rollback(pdb);
        if (err == NULL)
            sk_cli_fail("policy database %s: cannot read the generation", c->db);
        else
            sk_cli_report(&err, SK_CLI_FAIL);
        goto out;
    }
    if ((gen = sk_pdb_write_commit(pdb, actor, text, &err)) == -1)
        sk_cli_report(&err, SK_CLI_FAIL);
out:
    free(actor);
    free(text);
    return gen;
}

int sk_cli_write(struct sk_cli *c, sk_cli_write_fn fn, void *arg, int64_t *result, int64_t *gen)
{
    struct sk_pdb *pdb;
    char *err = NULL;
    int64_t r;
    int rc = SK_CLI_FAIL;

    if ((pdb = sk_cli_open(c, SK_PDB_RW)) == NULL)
        return SK_CLI_FAIL;
    if (sk_pdb_write_begin(pdb, &err) == -1) {
        sk_cli_report(&err, SK_CLI_FAIL);
        goto out;
    }
    if ((r = fn(c, pdb, arg, &err)) < 0) {
        sk_pdb_write_rollback(pdb);
        rc = sk_cli_report(&err, r == SK_PDB_REJECT ? SK_CLI_USAGE : SK_CLI_FAIL);
        goto out;
    }
    if (result != NULL)
        *result = r;
    if ((*gen = sk_cli_commit(c, pdb)) == -1)
        goto out;
    rc = SK_CLI_OK;
out:
    sk_pdb_write_rollback(pdb);
    sk_pdb_close(pdb);
    return rc;
}

const char *sk_cli_policy_name(const struct sk_cli *c)
{
    return c->policy ? c->policy : SK_PDB_DEFAULT_POLICY;
}

int sk_cli_int(const char *text, int64_t lo, int64_t hi, int64_t *out)
{
    char *end;
    long long v;

    errno = 0;
    v = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < lo || v > hi ||
        !isdigit((unsigned char)*text))
        return -1;
    *out = v;
    return 0;
}

/* The N bytes at S as a JSON string literal, quotes included. */
/* A JSON string: the toolkit's escaper (the access log's), so invalid
 * UTF-8 from a database or a directory becomes U+FFFD, never bad JSON. */
static void sk_cli_json_strn(FILE *f, const char *s, size_t n)
{
    struct sk_buf b = {0};
    char *one = strndup(s, n);

    sk_json_escape(&b, one ? one : "", SIZE_MAX);
    fprintf(f, "\"%s\"", b.data && !b.failed ? b.data : "");
    sk_buf_free(&b);
    free(one);
}

void sk_cli_json_str(FILE *f, const char *s)
{
    sk_cli_json_strn(f, s, strlen(s));
}

void sk_cli_json_words(FILE *f, const char *s, char sep)
{
    int n = 0;

    fputc('[', f);
    while (*s != '\0') {
        size_t k = strcspn(s, (char[2]){sep, '\0'});
        if (k > 0) {
            fputs(n++ ? "," : "", f);
            sk_cli_json_strn(f, s, k);
        }
        s += k;
        s += *s == sep;
    }
    fputc(']', f);
}

void sk_cli_remove_sidecars(const char *path)
{
    static const char *const suffix[] = {"-wal", "-shm", "-journal"};
    char *side;

    for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
        if (asprintf(&side, "%s%s", path, suffix[i]) == -1)
            continue;
        unlink(side);
        free(side);
    }
}

int sk_cli_find_policy(struct sk_pdb *pdb, const char *name, int64_t *id)
{
    char *err = NULL;
    int64_t v = sk_pdb_policy_id(pdb, name, &err);

    if (v == -1)
        return sk_cli_report(&err, SK_CLI_FAIL);
    if (v == 0)
        return sk_cli_usage("no such policy '%s'", name);
    if (id)
        *id = v;
    return SK_CLI_OK;
}

int sk_cli_list(const struct sk_cli *c, const char *sql, const char *const *args, int nargs,
                const char *what, sk_cli_row_fn row)
{
    struct sk_pdb *pdb;
    sqlite3_stmt *st = NULL;
    int n = 0, rc, step = SQLITE_ERROR, ready;

    if ((pdb = sk_cli_open(c, SK_PDB_RO)) == NULL)
        return SK_CLI_FAIL;
    if (c->policy != NULL && (rc = sk_cli_find_policy(pdb, c->policy, NULL)) != SK_CLI_OK) {
        sk_pdb_close(pdb);
        return rc;
    }
    ready = sqlite3_prepare_v2(sk_pdb_sqlite(pdb), sql, -1, &st, NULL) == SQLITE_OK;
    for (int i = 0; ready && i < nargs; i++)
        ready = sqlite3_bind_text(st, i + 1, args[i], -1, SQLITE_STATIC) == SQLITE_OK;
    if (ready) {
        if (c->json)
            fputc('[', stdout);
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            if (c->json)
                fputs(n ? ",\n  {" : "\n  {", stdout);
            row(c, st, n++);
            if (c->json)
                fputc('}', stdout);
        }
        if (c->json)
            fputs(n ? "\n]\n" : "]\n", stdout);
    }
    if (step != SQLITE_DONE)
        sk_cli_fail("policy database %s: cannot list %s: %s", c->db, what,
                    sqlite3_errmsg(sk_pdb_sqlite(pdb)));
    sqlite3_finalize(st);
    sk_pdb_close(pdb);
    return step == SQLITE_DONE ? SK_CLI_OK : SK_CLI_FAIL;
}

const char *sk_cli_col(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

int sk_cli_read_all(FILE *f, char **buf, size_t *len)
{
    char chunk[65536];
    size_t n;

    *buf = NULL;
    *len = 0;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        char *t = realloc(*buf, *len + n + 1);
        if (t == NULL) {
            free(*buf);
            *buf = NULL;
            errno = ENOMEM;
            return -1;
        }
        *buf = t;
        memcpy(*buf + *len, chunk, n);
        *len += n;
        (*buf)[*len] = '\0';
    }
    if (ferror(f)) {
        int e = errno;
        free(*buf);
        *buf = NULL;
        errno = e;
        return -1;
    }
    return 0;
}

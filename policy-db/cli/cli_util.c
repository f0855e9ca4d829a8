/* cli_util.c - messages, actor/command text for history, JSON strings.
 * Trust: runs as the administrator; environment values are only recorded. */
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    if (c->policy != NULL &&
        (sk_cli_append(&text, "--policy") == -1 || sk_cli_append(&text, c->policy) == -1))
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
    int64_t gen = -1;

    if (actor == NULL || text == NULL) {
        sk_pdb_write_rollback(pdb);
        sk_cli_fail("out of memory");
        goto out;
    }
    if ((gen = sk_pdb_write_commit(pdb, actor, text, &err)) == -1)
        sk_cli_report(&err, SK_CLI_FAIL);
out:
    free(actor);
    free(text);
    return gen;
}

void sk_cli_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"':
            fputs("\\\"", f);
            break;
        case '\\':
            fputs("\\\\", f);
            break;
        case '\n':
            fputs("\\n", f);
            break;
        case '\t':
            fputs("\\t", f);
            break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
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

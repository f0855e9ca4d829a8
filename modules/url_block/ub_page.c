/* ub_page.c - block-page templates: load (built-in or an administrator's
 * directory), parse once at start-up, render with escaped values.
 * SECURITY: template files are trusted administrator input but are still
 * validated (UTF-8, size, known placeholders); the values substituted are
 * client-controlled and always escaped. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ub_builtin.h" /* generated from templates/ at build time */
#include "ub_internal.h"

#define UB_TPL_MAX (64 * 1024)

static const char *const ub_var_names[UB_NVAR] = {
    [UB_VAR_URL] = "url",       [UB_VAR_CANONICAL] = "canonical",
    [UB_VAR_REASON] = "reason", [UB_VAR_RULE] = "rule",
    [UB_VAR_MATCH] = "match",   [UB_VAR_CATEGORY] = "category",
    [UB_VAR_POLICY] = "policy", [UB_VAR_CLIENT] = "client",
    [UB_VAR_USER] = "user",     [UB_VAR_TIME] = "time",
    [UB_VAR_REF] = "ref",       [UB_VAR_CONTACT] = "contact",
};

/* Longest input shown per value: the URL gets more room than the rest. */
static const size_t ub_var_max[UB_NVAR] = {
    [UB_VAR_URL] = 2048, [UB_VAR_CANONICAL] = 2048, [UB_VAR_REASON] = 1024, [UB_VAR_RULE] = 512,
    [UB_VAR_MATCH] = 64, [UB_VAR_CATEGORY] = 256,   [UB_VAR_POLICY] = 128,  [UB_VAR_CLIENT] = 128,
    [UB_VAR_USER] = 256, [UB_VAR_TIME] = 64,        [UB_VAR_REF] = 64,      [UB_VAR_CONTACT] = 1024,
};

static const char *const ub_file_names[UB_NLANG][UB_NKIND] = {
    [UB_LANG_EN] = {"block.en.html", "block.en.txt"},
    [UB_LANG_JA] = {"block.ja.html", "block.ja.txt"},
};

static const struct {
    const unsigned char *data;
    size_t len;
} ub_builtin[UB_NLANG][UB_NKIND] = {
    [UB_LANG_EN] = {{ub_builtin_block_en_html, sizeof(ub_builtin_block_en_html)},
                    {ub_builtin_block_en_txt, sizeof(ub_builtin_block_en_txt)}},
    [UB_LANG_JA] = {{ub_builtin_block_ja_html, sizeof(ub_builtin_block_ja_html)},
                    {ub_builtin_block_ja_txt, sizeof(ub_builtin_block_ja_txt)}},
};

/* Append S (at most MAX input bytes) escaped for KIND: the toolkit's
 * HTML or plain-text escaping. */
void ub_escape(struct sk_buf *b, const char *s, size_t max, enum ub_kind kind)
{
    if (kind == UB_KIND_HTML)
        sk_html_escape(b, s, max);
    else
        sk_text_escape(b, s, max);
}

/* ---- templates ---- */

static int ub_err(char **err, const char *origin, const char *what, size_t line)
{
    if (err && asprintf(err, "template %s: %s (line %zu)", origin, what, line) == -1)
        *err = NULL;
    return -1;
}

static size_t ub_line_of(const char *text, size_t off)
{
    size_t line = 1;
    for (size_t i = 0; i < off; i++)
        line += text[i] == '\n';
    return line;
}

static int ub_add_piece(struct ub_tpl *t, size_t *cap, size_t off, size_t len, int var)
{
    if (var < 0 && len == 0)
        return 0;
    if (t->n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        struct ub_piece *p = realloc(t->pieces, ncap * sizeof(*p));
        if (p == NULL)
            return -1;
        t->pieces = p;
        *cap = ncap;
    }
    t->pieces[t->n++] = (struct ub_piece){.off = off, .len = len, .var = var};
    return 0;
}

/* NAME (LEN bytes, spaces around it allowed) as a placeholder index, or -1. */
static int ub_var_find(const char *name, size_t len)
{
    while (len && name[0] == ' ')
        name++, len--;
    while (len && name[len - 1] == ' ')
        len--;
    for (int i = 0; i < UB_NVAR; i++)
        if (strlen(ub_var_names[i]) == len && memcmp(ub_var_names[i], name, len) == 0)
            return i;
    return -1;
}

static void ub_tpl_free(struct ub_tpl *t)
{
    free(t->text);
    free(t->pieces);
    memset(t, 0, sizeof(*t));
}

int ub_tpl_parse(struct ub_tpl *t, const char *text, size_t len, const char *origin, char **err)
{
    size_t cap = 0, lit = 0, i = 0;

    memset(t, 0, sizeof(*t));
    snprintf(t->origin, sizeof(t->origin), "%s", origin);
    if (len > UB_TPL_MAX)
        return ub_err(err, origin, "larger than 64 KiB", 1);
    if (!sk_utf8_valid(text, len))
        return ub_err(err, origin, "not valid UTF-8 text", 1);
    if ((t->text = malloc(len + 1)) == NULL)
        return ub_err(err, origin, "out of memory", 1);
    memcpy(t->text, text, len);
    t->text[len] = '\0';
    t->len = len;
    while (i + 1 < len) {
        if (text[i] != '{' || text[i + 1] != '{') {
            i++;
            continue;
        }
        const char *close = strstr(t->text + i + 2, "}}");
        size_t nlen = close ? (size_t)(close - (t->text + i + 2)) : 0;
        int var = close && nlen <= 32 ? ub_var_find(t->text + i + 2, nlen) : -1;
        if (var < 0) {
            ub_err(err, origin,
                   close && nlen <= 32 ? "unknown placeholder (known: url canonical reason "
                                         "rule match category policy client user time ref "
                                         "contact)"
                                       : "'{{' without a closing '}}'",
                   ub_line_of(text, i));
            ub_tpl_free(t);
            return -1;
        }
        if (ub_add_piece(t, &cap, lit, i - lit, -1) == -1 ||
            ub_add_piece(t, &cap, 0, 0, var) == -1) {
            ub_tpl_free(t);
            return ub_err(err, origin, "out of memory", 1);
        }
        i += 2 + nlen + 2;
        lit = i;
    }
    if (ub_add_piece(t, &cap, lit, len - lit, -1) == -1) {
        ub_tpl_free(t);
        return ub_err(err, origin, "out of memory", 1);
    }
    return 0;
}

int ub_tpl_render(const struct ub_tpl *t, enum ub_kind kind, const char *const *vals,
                  struct sk_buf *out)
{
    for (size_t i = 0; i < t->n; i++) {
        const struct ub_piece *p = &t->pieces[i];
        if (p->var < 0)
            sk_buf_append(out, t->text + p->off, p->len);
        else if (vals[p->var] == NULL || vals[p->var][0] == '\0')
            sk_buf_append(out, "-", 1); /* keeps "Rule: -" readable */
        else
            ub_escape(out, vals[p->var], ub_var_max[p->var], kind);
    }
    return out->failed ? -1 : 0;
}

/* Read PATH (a regular file, at most UB_TPL_MAX bytes). 1 read (*data
 * malloc'd), 0 it does not exist, -1 with *err. */
static int ub_read_file(const char *path, char **data, size_t *len, char **err)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    int rc = -1;

    *data = NULL;
    if (f == NULL) {
        if (errno == ENOENT)
            return 0;
        if (asprintf(err, "template %s: %s", path, strerror(errno)) == -1)
            *err = NULL;
        return -1;
    }
    if (fstat(fileno(f), &st) == -1 || !S_ISREG(st.st_mode) || st.st_size > UB_TPL_MAX) {
        if (asprintf(err, "template %s: not a regular file of at most 64 KiB", path) == -1)
            *err = NULL;
        goto out;
    }
    if ((*data = malloc((size_t)st.st_size + 1)) == NULL ||
        fread(*data, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        if (asprintf(err, "template %s: cannot read it", path) == -1)
            *err = NULL;
        free(*data);
        *data = NULL;
        goto out;
    }
    *len = (size_t)st.st_size;
    rc = 1;
out:
    fclose(f);
    return rc;
}

int ub_templates_load(struct ub_global *g, const char *dir, char **err)
{
    struct stat st;

    if (dir && strlen(dir) > 256) {
        if (asprintf(err, "url_block.templates: directory name longer than 256 bytes") == -1)
            *err = NULL;
        return -1;
    }
    if (dir && (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode))) {
        if (asprintf(err, "url_block.templates %s: not a readable directory", dir) == -1)
            *err = NULL;
        return -1;
    }
    for (int l = 0; l < UB_NLANG; l++) {
        for (int k = 0; k < UB_NKIND; k++) {
            char path[300], *data = NULL;
            size_t len = 0;
            int rc = 0;

            if (dir) {
                snprintf(path, sizeof(path), "%s/%s", dir, ub_file_names[l][k]);
                if ((rc = ub_read_file(path, &data, &len, err)) == -1)
                    goto fail;
            }
            if (rc == 1) {
                rc = ub_tpl_parse(&g->tpl[l][k], data, len, path, err);
                free(data);
            } else {
                snprintf(path, sizeof(path), "built-in %s", ub_file_names[l][k]);
                /* the generated arrays end with a NUL that is not text */
                rc = ub_tpl_parse(&g->tpl[l][k], (const char *)ub_builtin[l][k].data,
                                  ub_builtin[l][k].len - 1, path, err);
            }
            if (rc == -1)
                goto fail;
        }
    }
    return 0;
fail:
    ub_templates_free(g);
    return -1;
}

void ub_templates_free(struct ub_global *g)
{
    for (int l = 0; l < UB_NLANG; l++)
        for (int k = 0; k < UB_NKIND; k++)
            ub_tpl_free(&g->tpl[l][k]);
}

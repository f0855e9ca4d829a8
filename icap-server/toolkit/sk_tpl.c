/* sk_tpl.c - block-page templates: parse once at start-up, render with
 * escaped values (sekisho/page.h).
 * SECURITY: template text is trusted administrator input but is still
 * validated (UTF-8, size, known placeholders); the values substituted are
 * client-controlled and always escaped for the page's kind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sekisho/page.h"

#define SK_TPL_MAX (64 * 1024)

static const char *const sk_var_names[SK_NPV] = {
    [SK_PV_TITLE] = "title",         [SK_PV_MESSAGE] = "message",   [SK_PV_URL] = "url",
    [SK_PV_CANONICAL] = "canonical", [SK_PV_REASON] = "reason",     [SK_PV_RULE] = "rule",
    [SK_PV_MATCH] = "match",         [SK_PV_CATEGORY] = "category", [SK_PV_DETAIL] = "detail",
    [SK_PV_POLICY] = "policy",       [SK_PV_CLIENT] = "client",     [SK_PV_USER] = "user",
    [SK_PV_TIME] = "time",           [SK_PV_REF] = "ref",           [SK_PV_CONTACT] = "contact",
};

/* Longest input shown per value: URLs get more room than the rest. */
static const size_t sk_var_max[SK_NPV] = {
    [SK_PV_TITLE] = 256,   [SK_PV_MESSAGE] = 1024, [SK_PV_URL] = 2048,     [SK_PV_CANONICAL] = 2048,
    [SK_PV_REASON] = 1024, [SK_PV_RULE] = 512,     [SK_PV_MATCH] = 64,     [SK_PV_CATEGORY] = 256,
    [SK_PV_DETAIL] = 1024, [SK_PV_POLICY] = 128,   [SK_PV_CLIENT] = 128,   [SK_PV_USER] = 256,
    [SK_PV_TIME] = 64,     [SK_PV_REF] = 64,       [SK_PV_CONTACT] = 1024,
};

static int sk_tpl_err(char **err, const char *origin, const char *what, size_t line)
{
    if (err && asprintf(err, "template %s: %s (line %zu)", origin, what, line) == -1)
        *err = NULL;
    return -1;
}

static size_t sk_line_of(const char *text, size_t off)
{
    size_t line = 1;

    for (size_t i = 0; i < off; i++)
        line += text[i] == '\n';
    return line;
}

static int sk_add_piece(struct sk_tpl *t, size_t *cap, size_t off, size_t len, int var)
{
    if (var < 0 && len == 0)
        return 0;
    if (t->n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        struct sk_tpl_piece *p = realloc(t->pieces, ncap * sizeof(*p));
        if (p == NULL)
            return -1;
        t->pieces = p;
        *cap = ncap;
    }
    t->pieces[t->n++] = (struct sk_tpl_piece){.off = off, .len = len, .var = var};
    return 0;
}

/* NAME (LEN bytes, spaces around it allowed) as a placeholder, or -1. */
static int sk_var_find(const char *name, size_t len)
{
    while (len && name[0] == ' ')
        name++, len--;
    while (len && name[len - 1] == ' ')
        len--;
    for (int i = 0; i < SK_NPV; i++)
        if (strlen(sk_var_names[i]) == len && memcmp(sk_var_names[i], name, len) == 0)
            return i;
    return -1;
}

void sk_tpl_free(struct sk_tpl *t)
{
    free(t->text);
    free(t->pieces);
    memset(t, 0, sizeof(*t));
}

/* The placeholder starting at t->text[i] ("{{"): its index, with *skip
 * set to its length, or -1 with *err. */
static int sk_tpl_var(const struct sk_tpl *t, size_t i, const char *origin, size_t *skip,
                      char **err)
{
    const char *close = strstr(t->text + i + 2, "}}");
    size_t nlen = close ? (size_t)(close - (t->text + i + 2)) : 0;
    int var = close && nlen <= 32 ? sk_var_find(t->text + i + 2, nlen) : -1;

    if (var < 0)
        sk_tpl_err(err, origin,
                   close && nlen <= 32 ? "unknown placeholder (known: title message url "
                                         "canonical reason rule match category detail policy "
                                         "client user time ref contact)"
                                       : "'{{' without a closing '}}'",
                   sk_line_of(t->text, i));
    *skip = 2 + nlen + 2;
    return var;
}

int sk_tpl_parse(struct sk_tpl *t, const char *text, size_t len, const char *origin, char **err)
{
    size_t cap = 0, lit = 0, i = 0;

    memset(t, 0, sizeof(*t));
    if (len > SK_TPL_MAX)
        return sk_tpl_err(err, origin, "larger than 64 KiB", 1);
    if (!sk_utf8_valid(text, len))
        return sk_tpl_err(err, origin, "not valid UTF-8 text", 1);
    if ((t->text = malloc(len + 1)) == NULL)
        return sk_tpl_err(err, origin, "out of memory", 1);
    memcpy(t->text, text, len);
    t->text[len] = '\0';
    t->len = len;
    while (i + 1 < len) {
        size_t skip;
        int var;

        if (text[i] != '{' || text[i + 1] != '{') {
            i++;
            continue;
        }
        if ((var = sk_tpl_var(t, i, origin, &skip, err)) < 0)
            goto fail;
        if (sk_add_piece(t, &cap, lit, i - lit, -1) == -1 || sk_add_piece(t, &cap, 0, 0, var) == -1)
            goto oom;
        i += skip;
        lit = i;
    }
    if (sk_add_piece(t, &cap, lit, len - lit, -1) == -1)
        goto oom;
    return 0;
oom:
    sk_tpl_err(err, origin, "out of memory", 1);
fail:
    sk_tpl_free(t);
    return -1;
}

int sk_tpl_render(const struct sk_tpl *t, enum sk_page_kind kind, const char *const *vals,
                  struct sk_buf *out)
{
    for (size_t i = 0; i < t->n; i++) {
        const struct sk_tpl_piece *p = &t->pieces[i];
        const char *v = p->var < 0 ? NULL : vals[p->var];

        if (p->var < 0)
            sk_buf_append(out, t->text + p->off, p->len);
        else if (v == NULL || v[0] == '\0')
            sk_buf_append(out, "-", 1); /* keeps "Rule: -" readable */
        else if (kind == SK_PAGE_HTML)
            sk_html_escape(out, v, sk_var_max[p->var]);
        else
            sk_text_escape(out, v, sk_var_max[p->var]);
    }
    return out->failed ? -1 : 0;
}

/* ub_internal.h - types and prototypes shared by the url_block module's
 * files: block-page templates, content negotiation, value escaping.
 * Nothing here is exported from the module object. */
#ifndef UB_INTERNAL_H
#define UB_INTERNAL_H

#include <stddef.h>

#include "sekisho/text.h"

/* Page languages, in the order of preference when the client expresses
 * none (the first is the fallback). */
enum ub_lang { UB_LANG_EN, UB_LANG_JA, UB_NLANG };
/* Page kinds: full HTML page, or a short text/plain body. */
enum ub_kind { UB_KIND_HTML, UB_KIND_TEXT, UB_NKIND };

/* Values a template may show, as {{name}}. Every value is escaped for the
 * template's kind when it is substituted: there is no raw form. */
enum ub_var {
    UB_VAR_URL,       /* URL as requested (not the canonical form) */
    UB_VAR_CANONICAL, /* canonical URL that was matched, or "" */
    UB_VAR_REASON,    /* localised human reason */
    UB_VAR_RULE,      /* rule pattern or category entry that matched */
    UB_VAR_MATCH,     /* localised match mode, e.g. "domain" / "ドメイン" */
    UB_VAR_CATEGORY,  /* category name, or "" */
    UB_VAR_POLICY,    /* the client's policy */
    UB_VAR_CLIENT,    /* client IP */
    UB_VAR_USER,      /* authenticated user, or "" */
    UB_VAR_TIME,      /* UTC, "YYYY-MM-DD HH:MM:SS UTC" */
    UB_VAR_REF,       /* transaction id, to quote to the help desk */
    UB_VAR_CONTACT,   /* policy setting page.contact */
    UB_NVAR
};

/* One parsed template: a list of literal pieces and placeholders. */
struct ub_piece {
    size_t off, len; /* literal text in ub_tpl.text, or... */
    int var;         /* ...a placeholder (enum ub_var), -1 for literal */
};

struct ub_tpl {
    char *text; /* malloc'd source, NUL-terminated */
    size_t len;
    struct ub_piece *pieces; /* malloc'd */
    size_t n;
    char origin[320]; /* "built-in" or the file path, for messages */
};

/* The module's global state (ctx->data): templates by language and kind. */
struct ub_global {
    struct ub_tpl tpl[UB_NLANG][UB_NKIND];
};


/* ---- ub_page.c ---- */

/* Load the templates: the built-in ones, each replaced by DIR/block.LANG.KIND
 * (block.en.html, block.ja.txt, ...) when DIR is given and the file exists.
 * DIR itself must exist. 0, or -1 with a malloc'd *err naming the file. */
int ub_templates_load(struct ub_global *g, const char *dir, char **err);
void ub_templates_free(struct ub_global *g);

/* Parse TEXT (LEN bytes, copied) into T. ORIGIN names it in messages.
 * Rejects invalid UTF-8, NUL bytes, unknown or unterminated placeholders.
 * 0, or -1 with a malloc'd *err. */
int ub_tpl_parse(struct ub_tpl *t, const char *text, size_t len, const char *origin, char **err);

/* Render T with VALS (UB_NVAR strings) into OUT, escaping each value for
 * KIND; an empty or NULL value shows as "-". Output is O(template +
 * values). 0, or -1 out of memory. */
int ub_tpl_render(const struct ub_tpl *t, enum ub_kind kind, const char *const *vals,
                  struct sk_buf *out);

/* Append S (at most MAX input bytes, then "...") escaped for KIND: HTML
 * escapes & < > " ' ; both kinds replace control characters and invalid
 * UTF-8 with U+FFFD, so CR/LF can never start a new line or header. */
void ub_escape(struct sk_buf *b, const char *s, size_t max, enum ub_kind kind);

/* ---- ub_negotiate.c ---- */

/* Page language for an Accept-Language value (NULL: none sent): the
 * supported language with the highest q (ties: first listed); "ja-JP"
 * counts as "ja", "*" as the fallback; q=0 excludes. Fallback: English. */
enum ub_lang ub_pick_lang(const char *accept_language);

/* HTML or text: text for HEAD, and for an Accept value that admits none of
 * text/html, application/xhtml+xml and the text and full wildcards (with
 * q > 0). A missing or empty Accept admits anything, so HTML. */
enum ub_kind ub_pick_kind(const char *http_method, const char *accept);

#endif

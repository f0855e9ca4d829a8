/* sekisho/page.h - the one block-page engine: Accept-Language and Accept
 * negotiation, templates with escaped placeholders, per-reason titles and
 * texts, and the loader that lets an administrator replace any page.
 * Every block page (core default, url_block, virus_scan, dlp) goes through
 * here, so all of them answer one Accept-Language header alike.
 * SECURITY: negotiation parses client header values (bounded, no
 * allocation); template files are trusted administrator input but still
 * validated (UTF-8, 64 KiB, known placeholders); substituted values are
 * client-controlled and always escaped for the page's kind.
 * Part of libsekisho_toolkit (see sekisho/text.h for the layering).
 */
#ifndef SEKISHO_PAGE_H
#define SEKISHO_PAGE_H

#include <stddef.h>

#include "sekisho/text.h"

/* Page languages; the first is the default (and the fallback). */
enum sk_page_lang { SK_LANG_EN, SK_LANG_JA, SK_NLANG };
/* Full HTML page, or a short text/plain body (HEAD, clients refusing HTML). */
enum sk_page_kind { SK_PAGE_HTML, SK_PAGE_TEXT, SK_NKIND };

/* Why a page is shown: each has its own title and text, and its own
 * optional template file (the name in sk_page_reason_name). */
enum sk_page_reason {
    SK_REASON_GENERIC,    /* "blocked": core default page, module failure */
    SK_REASON_URL,        /* URL policy */
    SK_REASON_VIRUS,      /* a virus or other threat was found */
    SK_REASON_TOO_LARGE,  /* larger than the scan limits (av.on-limit) */
    SK_REASON_ENCRYPTED,  /* encrypted archive or document (av.on-encrypted) */
    SK_REASON_SCAN_ERROR, /* could not be scanned (av.on-error) */
    SK_REASON_DLP,        /* information leak prevention */
    SK_REASON_FILE_TYPE,  /* a file type the policy does not allow */
    SK_NREASON
};

/* Placeholders, {{name}} in a template; the same set for every page. A
 * NULL or empty value shows as "-". */
enum sk_page_var {
    SK_PV_TITLE,     /* localised title of the reason (filled in if NULL) */
    SK_PV_MESSAGE,   /* localised explanation of the reason (likewise) */
    SK_PV_URL,       /* URL as requested */
    SK_PV_CANONICAL, /* canonical URL that was matched */
    SK_PV_REASON,    /* human reason (localised where the module can) */
    SK_PV_RULE,      /* rule, signature/threat name or DLP template */
    SK_PV_MATCH,     /* localised match mode (url_block) */
    SK_PV_CATEGORY,  /* category name (url_block) */
    SK_PV_DETAIL,    /* more detail, e.g. DLP detector counts */
    SK_PV_POLICY,    /* the client's policy */
    SK_PV_CLIENT,    /* client IP */
    SK_PV_USER,      /* authenticated user */
    SK_PV_TIME,      /* UTC time (filled in if NULL) */
    SK_PV_REF,       /* transaction id, to quote to the help desk */
    SK_PV_CONTACT,   /* policy setting page.contact */
    SK_NPV
};

/* ---- negotiation (RFC 9110 12.5.4 / 12.5.1) ---- */

/*
 * Page language for an Accept-Language value (NULL or empty: none sent).
 * Each supported language gets the weight of the range naming its primary
 * subtag ("ja", "JA", "ja-JP"; a bare "ja" beats "ja-JP" when both are
 * listed, else the first listed); a language no range names gets the
 * weight of "*" if present, else 0. q=0 refuses a language. Highest weight
 * wins; ties go to the range listed first (then to the default). Elements
 * with a malformed weight are ignored. Nothing acceptable: the default.
 */
enum sk_page_lang sk_page_pick_lang(const char *accept_language);
/* HTML or text: text for HEAD, and for an Accept value that admits none of
 * text/html, application/xhtml+xml, text/wildcard and the full wildcard
 * (with q > 0). A missing or empty Accept admits anything: HTML. */
enum sk_page_kind sk_page_pick_kind(const char *http_method, const char *accept);
/* "en" / "ja"; "block", "url", "virus", "too-large", "encrypted",
 * "scan-error", "dlp", "file-type". */
const char *sk_page_lang_tag(enum sk_page_lang);
const char *sk_page_reason_name(enum sk_page_reason);
/* Localised title / one-paragraph text of a reason (static strings). */
const char *sk_page_title(enum sk_page_reason, enum sk_page_lang);
const char *sk_page_message(enum sk_page_reason, enum sk_page_lang);

/* ---- templates ---- */

struct sk_tpl_piece {
    size_t off, len; /* literal text in sk_tpl.text, or... */
    int var;         /* ...a placeholder (enum sk_page_var); -1: literal */
};

struct sk_tpl {
    char *text; /* malloc'd source, NUL-terminated */
    size_t len;
    struct sk_tpl_piece *pieces; /* malloc'd */
    size_t n;
};

/* Parse TEXT (LEN bytes, copied). ORIGIN names it in messages. Rejects
 * more than 64 KiB, invalid UTF-8, NUL bytes, unknown or unterminated
 * placeholders. 0, or -1 with a malloc'd *err naming ORIGIN and the line. */
int sk_tpl_parse(struct sk_tpl *t, const char *text, size_t len, const char *origin, char **err);
/* Render with VALS (SK_NPV strings), each escaped for KIND and capped in
 * length. O(template + values). 0, or -1 out of memory. */
int sk_tpl_render(const struct sk_tpl *t, enum sk_page_kind kind, const char *const *vals,
                  struct sk_buf *out);
void sk_tpl_free(struct sk_tpl *t);

/* ---- one module's pages ---- */

/* Built-in template text (NUL-terminated) per language and kind. */
struct sk_page_builtin {
    const char *text[SK_NLANG][SK_NKIND];
};

/* The default templates (icap-server/toolkit/templates/block.*): title,
 * message, URL, reason, rule, detail, policy, client, time, reference. */
extern const struct sk_page_builtin sk_page_builtin_generic;

/* Every page one module can show: for each reason, language and kind. */
struct sk_pageset {
    struct sk_tpl tpl[SK_NREASON][SK_NLANG][SK_NKIND];
};

/*
 * Load a page set. For each reason, language and kind the template is,
 * first found: DIR/<reason>.<lang>.<html|txt> (e.g. virus.ja.html),
 * DIR/block.<lang>.<html|txt>, the built-in. DIR NULL: built-ins only;
 * otherwise DIR must be a readable directory. OPTION names the setting in
 * messages (e.g. "virus_scan.templates"). 0, or -1 with a malloc'd *err
 * naming the file and line; nothing is left allocated on failure.
 */
int sk_pageset_load(struct sk_pageset *ps, const char *dir, const struct sk_page_builtin *builtin,
                    const char *option, char **err);
void sk_pageset_free(struct sk_pageset *ps);

/* What the client asked for: header values as received (NULL: absent). */
struct sk_page_req {
    const char *accept_language;
    const char *accept;
    const char *http_method;
};

/*
 * Render the page for REASON as REQ negotiates it. VALS: SK_NPV values
 * (title, message and time are filled in when NULL). *content_type gets a
 * static "text/html; charset=utf-8" or "text/plain; charset=utf-8".
 * 0, or -1 out of memory.
 */
int sk_pageset_render(const struct sk_pageset *ps, enum sk_page_reason reason,
                      const struct sk_page_req *req, const char *const *vals, struct sk_buf *out,
                      const char **content_type);

#endif

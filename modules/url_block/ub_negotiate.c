/* ub_negotiate.c - picks the block page's language (Accept-Language) and
 * kind (Accept, HEAD). SECURITY: parses client-controlled header values;
 * one bounded pass over each, no allocation. */
#include <string.h>
#include <strings.h>

#include "ub_internal.h"

static const char *const ub_lang_tags[UB_NLANG] = {"en", "ja"};

/* One comma-separated element of an Accept-style list. */
struct ub_elem {
    const char *name; /* the range or media range, trimmed */
    size_t nlen;
    int q; /* quality 0..1000; -1 when the q parameter is malformed */
};

static int ub_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* q = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) (RFC 9110). */
static int ub_parse_q(const char *s, size_t n)
{
    int q, scale = 100;
    size_t i;

    if (n == 0 || (s[0] != '0' && s[0] != '1'))
        return -1;
    q = (s[0] - '0') * 1000;
    if (n == 1)
        return q;
    if (s[1] != '.' || n > 5)
        return -1;
    for (i = 2; i < n; i++, scale /= 10) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        q += (s[i] - '0') * scale;
    }
    return q > 1000 ? -1 : q;
}

/* Split the element [p, end) into its name and q; other parameters are
 * ignored. */
static void ub_elem_parse(const char *p, const char *end, struct ub_elem *e)
{
    const char *semi = memchr(p, ';', (size_t)(end - p));
    const char *ne = semi ? semi : end;

    while (p < ne && ub_ows(*p))
        p++;
    while (ne > p && ub_ows(ne[-1]))
        ne--;
    e->name = p;
    e->nlen = (size_t)(ne - p);
    e->q = 1000;
    while (semi) {
        const char *ps = semi + 1, *pe;
        semi = memchr(ps, ';', (size_t)(end - ps));
        pe = semi ? semi : end;
        while (ps < pe && ub_ows(*ps))
            ps++;
        while (pe > ps && ub_ows(pe[-1]))
            pe--;
        if (pe - ps >= 2 && (ps[0] == 'q' || ps[0] == 'Q') && ps[1] == '=')
            e->q = ub_parse_q(ps + 2, (size_t)(pe - ps - 2));
    }
}

/* Calls FN for each well-formed element of LIST (NULL: none). */
static void ub_each(const char *list, void (*fn)(const struct ub_elem *, void *), void *arg)
{
    const char *p = list;

    while (p && *p) {
        const char *comma = strchr(p, ',');
        const char *end = comma ? comma : p + strlen(p);
        struct ub_elem e;

        ub_elem_parse(p, end, &e);
        if (e.nlen > 0 && e.q >= 0)
            fn(&e, arg);
        p = comma ? comma + 1 : NULL;
    }
}

struct ub_lang_pick {
    int best_q;
    enum ub_lang best;
};

static void ub_lang_elem(const struct ub_elem *e, void *arg)
{
    struct ub_lang_pick *pk = arg;
    size_t primary = strcspn(e->name, "-_;, \t");
    enum ub_lang l = UB_NLANG;

    if (primary > e->nlen)
        primary = e->nlen;
    if (e->nlen == 1 && e->name[0] == '*') {
        l = UB_LANG_EN;
    } else {
        for (int i = 0; i < UB_NLANG; i++) {
            if (strlen(ub_lang_tags[i]) == primary &&
                strncasecmp(e->name, ub_lang_tags[i], primary) == 0)
                l = (enum ub_lang)i;
        }
    }
    if (l != UB_NLANG && e->q > 0 && e->q > pk->best_q) {
        pk->best_q = e->q;
        pk->best = l;
    }
}

enum ub_lang ub_pick_lang(const char *accept_language)
{
    struct ub_lang_pick pk = {.best_q = 0, .best = UB_LANG_EN};

    ub_each(accept_language, ub_lang_elem, &pk);
    return pk.best;
}

static int ub_is(const struct ub_elem *e, const char *s)
{
    return e->nlen == strlen(s) && strncasecmp(e->name, s, e->nlen) == 0;
}

static void ub_accept_elem(const struct ub_elem *e, void *arg)
{
    int *html = arg;

    if (e->q > 0 && (ub_is(e, "text/html") || ub_is(e, "application/xhtml+xml") ||
                     ub_is(e, "text/*") || ub_is(e, "*/*")))
        *html = 1;
}

enum ub_kind ub_pick_kind(const char *http_method, const char *accept)
{
    int html = 0;
    const char *p = accept;

    if (http_method && strcmp(http_method, "HEAD") == 0)
        return UB_KIND_TEXT;
    while (p && ub_ows(*p))
        p++;
    if (p == NULL || *p == '\0')
        return UB_KIND_HTML;
    ub_each(accept, ub_accept_elem, &html);
    return html ? UB_KIND_HTML : UB_KIND_TEXT;
}

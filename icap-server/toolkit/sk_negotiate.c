/* sk_negotiate.c - picks a block page's language (Accept-Language) and
 * kind (Accept, HEAD) for every page of the server (sekisho/page.h).
 * SECURITY: parses client-controlled header values; one bounded pass over
 * each, no allocation. */
#include <string.h>
#include <strings.h>

#include "sekisho/page.h"

static const char *const sk_lang_tags[SK_NLANG] = {"en", "ja"};

/* One comma-separated element of an Accept-style list. */
struct sk_elem {
    const char *name; /* the range or media range, trimmed */
    size_t nlen;
    int q;     /* quality 0..1000; -1 when the q parameter is malformed */
    int index; /* position in the list, for ties */
};

static int sk_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) (RFC 9110). */
static int sk_parse_q(const char *s, size_t n)
{
    int q, scale = 100;

    if (n == 0 || (s[0] != '0' && s[0] != '1'))
        return -1;
    q = (s[0] - '0') * 1000;
    if (n == 1)
        return q;
    if (s[1] != '.' || n > 5)
        return -1;
    for (size_t i = 2; i < n; i++, scale /= 10) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        q += (s[i] - '0') * scale;
    }
    return q > 1000 ? -1 : q;
}

/* Split the element [p, end) into its name and q; other parameters are
 * ignored (weight = OWS ";" OWS "q=" qvalue). */
static void sk_elem_parse(const char *p, const char *end, struct sk_elem *e)
{
    const char *semi = memchr(p, ';', (size_t)(end - p));
    const char *ne = semi ? semi : end;

    while (p < ne && sk_ows(*p))
        p++;
    while (ne > p && sk_ows(ne[-1]))
        ne--;
    e->name = p;
    e->nlen = (size_t)(ne - p);
    e->q = 1000;
    while (semi) {
        const char *ps = semi + 1, *pe;
        semi = memchr(ps, ';', (size_t)(end - ps));
        pe = semi ? semi : end;
        while (ps < pe && sk_ows(*ps))
            ps++;
        while (pe > ps && sk_ows(pe[-1]))
            pe--;
        if (pe - ps >= 2 && (ps[0] == 'q' || ps[0] == 'Q') && ps[1] == '=')
            e->q = sk_parse_q(ps + 2, (size_t)(pe - ps - 2));
        else if (pe - ps >= 1 && (ps[0] == 'q' || ps[0] == 'Q'))
            e->q = -1; /* "q = 0.5", "q": a weight we cannot read */
    }
}

/* Calls FN for each well-formed element of LIST (NULL: none). */
static void sk_each(const char *list, void (*fn)(const struct sk_elem *, void *), void *arg)
{
    const char *p = list;
    int index = 0;

    while (p && *p) {
        const char *comma = strchr(p, ',');
        const char *end = comma ? comma : p + strlen(p);
        struct sk_elem e;

        sk_elem_parse(p, end, &e);
        e.index = index++;
        if (e.nlen > 0 && e.q >= 0)
            fn(&e, arg);
        p = comma ? comma + 1 : NULL;
    }
}

/* What the header says about each language: the weight and position of
 * the range that decides it (exact > with subtags > "*"). */
struct sk_lang_weigh {
    int q[SK_NLANG], index[SK_NLANG], rank[SK_NLANG]; /* rank 0: unnamed */
    int star_q, star_index;
};

static void sk_lang_elem(const struct sk_elem *e, void *arg)
{
    struct sk_lang_weigh *w = arg;
    size_t primary = strcspn(e->name, "-_");

    if (primary > e->nlen)
        primary = e->nlen;
    if (e->nlen == 1 && e->name[0] == '*') {
        if (w->star_q < 0) {
            w->star_q = e->q;
            w->star_index = e->index;
        }
        return;
    }
    for (int i = 0; i < SK_NLANG; i++) {
        int rank = primary == e->nlen ? 2 : 1; /* "ja" beats "ja-JP" */
        if (strlen(sk_lang_tags[i]) != primary ||
            strncasecmp(e->name, sk_lang_tags[i], primary) != 0 || rank <= w->rank[i])
            continue;
        w->q[i] = e->q;
        w->index[i] = e->index;
        w->rank[i] = rank;
    }
}

enum sk_page_lang sk_page_pick_lang(const char *accept_language)
{
    struct sk_lang_weigh w = {.star_q = -1};
    enum sk_page_lang best = SK_LANG_EN;
    int best_q = 0, best_index = 0;

    sk_each(accept_language, sk_lang_elem, &w);
    for (int i = 0; i < SK_NLANG; i++) {
        int q = w.rank[i] ? w.q[i] : w.star_q > 0 ? w.star_q : 0;
        int index = w.rank[i] ? w.index[i] : w.star_index;
        /* languages are tried default first, so a tie on "*" keeps it */
        if (q > best_q || (q == best_q && q > 0 && index < best_index)) {
            best = (enum sk_page_lang)i;
            best_q = q;
            best_index = index;
        }
    }
    return best;
}

const char *sk_page_lang_tag(enum sk_page_lang l)
{
    return (unsigned)l < SK_NLANG ? sk_lang_tags[l] : sk_lang_tags[SK_LANG_EN];
}

static int sk_is(const struct sk_elem *e, const char *s)
{
    return e->nlen == strlen(s) && strncasecmp(e->name, s, e->nlen) == 0;
}

static void sk_accept_elem(const struct sk_elem *e, void *arg)
{
    int *html = arg;

    if (e->q > 0 && (sk_is(e, "text/html") || sk_is(e, "application/xhtml+xml") ||
                     sk_is(e, "text/*") || sk_is(e, "*/*")))
        *html = 1;
}

enum sk_page_kind sk_page_pick_kind(const char *http_method, const char *accept)
{
    int html = 0;
    const char *p = accept;

    if (http_method && strcmp(http_method, "HEAD") == 0)
        return SK_PAGE_TEXT;
    while (p && sk_ows(*p))
        p++;
    if (p == NULL || *p == '\0')
        return SK_PAGE_HTML;
    sk_each(accept, sk_accept_elem, &html);
    return html ? SK_PAGE_HTML : SK_PAGE_TEXT;
}

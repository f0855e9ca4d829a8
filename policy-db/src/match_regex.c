/* match_regex.c - PCRE2 regex rules: compiled once per snapshot with JIT,
 * matched with a match limit so a hostile URL cannot make a backtracking
 * pattern spin. Patterns are trusted policy data; subjects client URLs. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcre2.h>

#include "match_internal.h"
#include "pdb_internal.h"

/* Backtracking budget per match; URLs are at most a few KB, so a pattern
 * that needs more is pathological: an evaluation error (failure verdict). */
#define SK_RX_MATCH_LIMIT 200000
#define SK_RX_DEPTH_LIMIT 10000

static pthread_once_t sk_rx_once = PTHREAD_ONCE_INIT;
static pcre2_match_context *sk_rx_mctx;

static void sk_rx_init(void)
{
    if ((sk_rx_mctx = pcre2_match_context_create(NULL)) != NULL) {
        pcre2_set_match_limit(sk_rx_mctx, SK_RX_MATCH_LIMIT);
        pcre2_set_depth_limit(sk_rx_mctx, SK_RX_DEPTH_LIMIT);
    }
}

/* Caseless like the other modes (rules match case-insensitively); no UTF
 * mode because the subject is the ASCII canonical URL. */
void *sk_rx_compile(const char *pattern, char **err)
{
    PCRE2_UCHAR msg[256];
    PCRE2_SIZE off;
    pcre2_code *re;
    int ec;

    re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_CASELESS | PCRE2_DUPNAMES,
                       &ec, &off, NULL);
    if (re == NULL) {
        pcre2_get_error_message(ec, msg, sizeof(msg));
        sk_pdb_errf(err, "invalid regex '%s' at offset %zu: %s", pattern, (size_t)off,
                    (const char *)msg);
        return NULL;
    }
    /* JIT is an optimisation: without it (unsupported CPU) the
     * interpreter gives the same answers. */
    (void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
    return re;
}

void *sk_rx_md_new(void)
{
    return pcre2_match_data_create(1, NULL);
}

void sk_rx_md_free(void *md)
{
    pcre2_match_data_free(md);
}

int sk_rx_match(const void *code, const char *text, size_t len, void *md)
{
    int rc;

    pthread_once(&sk_rx_once, sk_rx_init);
    if (md == NULL || sk_rx_mctx == NULL)
        return -1;
    rc = pcre2_match(code, (PCRE2_SPTR)text, len, 0, 0, md, sk_rx_mctx);
    if (rc >= 0)
        return 1;
    return rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

size_t sk_rx_bytes(const void *code)
{
    size_t n = 0, jit = 0;

    pcre2_pattern_info(code, PCRE2_INFO_SIZE, &n);
    pcre2_pattern_info(code, PCRE2_INFO_JITSIZE, &jit);
    return n + jit;
}

void sk_rx_free(void *code)
{
    pcre2_code_free(code);
}

/*
 * Prefilter. Running every regex on every URL costs ~40-80 ns per regex
 * even with JIT; most regexes contain a literal that any match must
 * contain ("\.ads\.net/" needs ".ads.net/"). We extract the longest such
 * literal conservatively and run the regex only when the automaton saw
 * its literal in the lower-cased URL. Anything the scanner does not fully
 * understand yields no literal: that regex simply always runs.
 */
#define SK_RX_LIT_MIN 3
#define SK_RX_LIT_MAX 64

/* "[:name:]" or "[:^name:]" at P (inside a class): its length, else 0.
 * Only this strict form is a POSIX class for PCRE2 and us alike. */
static size_t sk_rx_posix(const char *p)
{
    size_t i = 2;

    if (p[i] == '^')
        i++;
    if (p[i] < 'a' || p[i] > 'z')
        return 0;
    while (p[i] >= 'a' && p[i] <= 'z')
        i++;
    return p[i] == ':' && p[i + 1] == ']' ? i + 2 : 0;
}

/*
 * Skip a character class starting at P ('['); the position after its ']',
 * or NULL when it does not close or holds anything whose extent we do not
 * know for certain: "[:" "[." "[=" other than a strict POSIX class (PCRE2
 * reads "[[:[:]|]zzz" as a class, '|', "]zzz"), "\Q..\E" and "\c]" (they
 * can make ']' a member). NULL means: no prefilter for this regex.
 */
static const char *sk_rx_skip_class(const char *p)
{
    size_t n;

    p++;
    if (*p == '^')
        p++;
    if (*p == ']')
        p++;
    while (*p != '\0' && *p != ']') {
        if (*p == '\\') {
            if (p[1] == '\0' || strchr("QEc", p[1]) != NULL)
                return NULL;
            p += 2;
        } else if (p[0] == '[' && p[1] != '\0' && strchr(":.=", p[1]) != NULL) {
            /* PCRE2 closes "[:" only with ":]" ("[=d:]" is no class but
             * four members), and a valid "[.x.]" or "[=x=]" does not
             * compile: only the strict ':' form is skipped as a unit. */
            if (p[1] != ':' || (n = sk_rx_posix(p)) == 0)
                return NULL;
            p += n;
        } else {
            p++;
        }
    }
    return *p == ']' ? p + 1 : NULL;
}

/* After '{' at P: a counted repeat ("{2}", "{1,}", and "{,3}" or "{ 2 }"
 * in newer PCRE2) or a literal '{'. Either way the atom before it may be
 * absent and nothing up to a '}' is a certain literal: skip digits,
 * commas, spaces and one '}'. */
static const char *sk_rx_skip_brace(const char *p)
{
    p++;
    while ((*p >= '0' && *p <= '9') || *p == ',' || *p == ' ')
        p++;
    return *p == '}' ? p + 1 : p;
}

/* Constructs that change what the rest of the pattern means: extended
 * mode (whitespace, '#'), verbs and start options ("(*ACCEPT)" ends a
 * match early, "(*UTF)" brings Unicode case folding), callouts whose
 * string arguments may hold parentheses. */
static int sk_rx_unmodelled(const char *pattern)
{
    return (strstr(pattern, "(?") != NULL && strpbrk(pattern, "x#") != NULL) ||
           strstr(pattern, "(*") != NULL || strstr(pattern, "(?C") != NULL;
}

struct sk_rx_runs {
    char run[SK_RX_LIT_MAX + 1], best[SK_RX_LIT_MAX + 1];
    size_t rlen, blen;
};

static void sk_rx_commit(struct sk_rx_runs *r)
{
    if (r->rlen > r->blen) {
        memcpy(r->best, r->run, r->rlen);
        r->blen = r->rlen;
    }
    r->rlen = 0;
}

/* Longest literal every match of PATTERN contains, lower-cased, into OUT
 * (SK_RX_LIT_MAX + 1 bytes); its length, 0 if none is certain. */
static size_t sk_rx_literal(const char *pattern, char *out)
{
    struct sk_rx_runs r = {.rlen = 0, .blen = 0};
    const char *p = pattern;
    int depth = 0;

    if (sk_rx_unmodelled(pattern))
        return 0;
    while (*p != '\0') {
        char c = *p, lit;
        if (c == '\\') {
            if (p[1] == '\0')
                return 0;
            if (strchr("dwsDWSbB", p[1]) != NULL) {
                sk_rx_commit(&r);
                p += 2;
                continue;
            }
            if ((p[1] >= 'a' && p[1] <= 'z') || (p[1] >= 'A' && p[1] <= 'Z') ||
                (p[1] >= '0' && p[1] <= '9'))
                return 0; /* \x.., \p{..}, \Q, back-references: not modelled */
            lit = p[1];
            p += 2;
        } else if (c == '|') {
            if (depth == 0)
                return 0;
            p++;
            continue;
        } else if (c == '(' || c == ')') {
            depth += c == '(' ? 1 : -1;
            sk_rx_commit(&r);
            p++;
            continue;
        } else if (c == '[') {
            sk_rx_commit(&r);
            if ((p = sk_rx_skip_class(p)) == NULL)
                return 0;
            continue;
        } else if (c == '.' || c == '^' || c == '$') {
            sk_rx_commit(&r);
            p++;
            continue;
        } else if (c == '*' || c == '?' || c == '{') {
            /* The atom before may be absent: drop it from the run. */
            if (r.rlen > 0)
                r.rlen--;
            sk_rx_commit(&r);
            p = c == '{' ? sk_rx_skip_brace(p) : p + 1;
            continue;
        } else if (c == '+') {
            sk_rx_commit(&r);
            p++;
            continue;
        } else {
            lit = c;
            p++;
        }
        if (depth > 0)
            continue;
        if (r.rlen == SK_RX_LIT_MAX)
            sk_rx_commit(&r);
        /* A quantifier that follows binds to this character alone. */
        r.run[r.rlen++] = lit >= 'A' && lit <= 'Z' ? (char)(lit - 'A' + 'a') : lit;
    }
    sk_rx_commit(&r);
    if (depth != 0 || r.blen < SK_RX_LIT_MIN)
        return 0;
    memcpy(out, r.best, r.blen);
    out[r.blen] = '\0';
    return r.blen;
}

int sk_rxpre_build(struct sk_rxpre *pre, const struct sk_rx *rx, size_t n)
{
    char lit[SK_RX_LIT_MAX + 1];
    size_t len;

    memset(pre, 0, sizeof(*pre));
    pre->n = n;
    if (n == 0)
        return 0;
    if ((pre->has_lit = calloc(n, 1)) == NULL || (pre->ac = sk_ac_new()) == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if ((len = sk_rx_literal(rx[i].pattern, lit)) == 0)
            continue;
        if (sk_ac_add(pre->ac, lit, len, SK_AC_SUBSTRING, (uint32_t)i) == -1)
            return -1;
        pre->has_lit[i] = 1;
    }
    return sk_ac_build(pre->ac);
}

static int sk_rxpre_mark(void *arg, uint32_t v, size_t end)
{
    uint8_t *bits = arg;

    (void)end;
    bits[v >> 3] |= (uint8_t)(1u << (v & 7));
    return 0;
}

void sk_rxpre_scan(const struct sk_rxpre *pre, const char *lower, size_t len, uint8_t *bits)
{
    memset(bits, 0, (pre->n + 7) / 8);
    sk_ac_substr(pre->ac, lower, len, sk_rxpre_mark, bits);
}

int sk_rxpre_may(const struct sk_rxpre *pre, const uint8_t *bits, size_t i)
{
    return !pre->has_lit[i] || (bits[i >> 3] & (1u << (i & 7)));
}

size_t sk_rxpre_bytes(const struct sk_rxpre *pre)
{
    return pre->n + sk_ac_bytes(pre->ac);
}

void sk_rxpre_free(struct sk_rxpre *pre)
{
    free(pre->has_lit);
    sk_ac_free(pre->ac);
    memset(pre, 0, sizeof(*pre));
}

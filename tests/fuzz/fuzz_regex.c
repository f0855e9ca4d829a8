/* fuzz_regex.c - differential target for the regex literal prefilter
 * (policy-db/src/match_regex.c). Input: PATTERNS NUL SUBJECT, the patterns
 * separated by LF (up to 8, sharing one automaton as a rule set does).
 * Patterns are policy data, subjects client URLs; the prefilter may only
 * skip a regex that provably cannot match.
 * Oracle: plain PCRE2 (the same compiled code, no prefilter). Whenever the
 * prefilter says "cannot match", PCRE2 must not find a match. */
#include <string.h>

#include "../../policy-db/src/match_internal.h"
#include "sk_fuzz.h"

#define SK_FUZZ_RX_MAX 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    struct sk_rx rx[SK_FUZZ_RX_MAX];
    struct sk_rxpre pre;
    char *pats, *err = NULL, *lower = NULL, *save = NULL;
    uint8_t bits[(SK_FUZZ_RX_MAX + 7) / 8];
    void *md = NULL;
    size_t slen, n = 0;

    /* Patterns are C strings in the database; the subject is what follows
     * the NUL (none: the patterns' own bytes). */
    if ((pats = sk_fuzz_cstr(data, nul ? (size_t)(nul - data) : size)) == NULL)
        return 0;
    const uint8_t *subj = nul ? nul + 1 : data;
    slen = nul ? size - (size_t)(nul - data) - 1 : size;
    for (char *p = strtok_r(pats, "\n", &save); p && n < SK_FUZZ_RX_MAX;
         p = strtok_r(NULL, "\n", &save)) {
        rx[n] = (struct sk_rx){.pattern = p, .value = (uint32_t)n};
        if ((rx[n].code = sk_rx_compile(p, &err)) != NULL)
            n++;
        free(err);
        err = NULL;
    }
    if (n == 0 || (md = sk_rx_md_new()) == NULL || (lower = malloc(slen + 1)) == NULL)
        goto out;
    for (size_t i = 0; i < slen; i++)
        lower[i] = (char)(subj[i] >= 'A' && subj[i] <= 'Z' ? subj[i] - 'A' + 'a' : subj[i]);
    lower[slen] = '\0';
    if (sk_rxpre_build(&pre, rx, n) == -1)
        goto out;
    sk_rxpre_scan(&pre, lower, slen, bits);
    for (size_t i = 0; i < n; i++)
        SK_FUZZ_CHECK(sk_rx_match(rx[i].code, (const char *)subj, slen, md) != 1 ||
                          sk_rxpre_may(&pre, bits, i),
                      "prefilter hides a match of /%s/", rx[i].pattern);
    sk_rxpre_free(&pre);
out:
    free(lower);
    sk_rx_md_free(md);
    for (size_t i = 0; i < n; i++)
        sk_rx_free(rx[i].code);
    free(pats);
    return 0;
}

/* fuzz_regex.c - differential target for the regex literal prefilter
 * (policy-db/src/match_regex.c). Input: PATTERN NUL SUBJECT. Patterns are
 * policy data, subjects client URLs; the prefilter may only skip a regex
 * that provably cannot match.
 * Oracle: plain PCRE2 (the same compiled code, no prefilter). Whenever the
 * prefilter says "cannot match", PCRE2 must not find a match. */
#include <string.h>

#include "../../policy-db/src/match_internal.h"
#include "sk_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    struct sk_rxpre pre;
    struct sk_rx rx = {0};
    char *err = NULL, *lower = NULL;
    uint8_t bits[1];
    void *md = NULL;
    size_t slen;
    int direct;

    /* A pattern is a C string in the database; the subject is what
     * follows its NUL (none: the pattern's own bytes). */
    if ((rx.pattern = sk_fuzz_cstr(data, nul ? (size_t)(nul - data) : size)) == NULL)
        return 0;
    const uint8_t *subj = nul ? nul + 1 : data;
    slen = nul ? size - (size_t)(nul - data) - 1 : size;
    if ((rx.code = sk_rx_compile(rx.pattern, &err)) == NULL)
        goto out;
    if ((md = sk_rx_md_new()) == NULL || (lower = malloc(slen + 1)) == NULL)
        goto out;
    for (size_t i = 0; i < slen; i++)
        lower[i] = (char)(subj[i] >= 'A' && subj[i] <= 'Z' ? subj[i] - 'A' + 'a' : subj[i]);
    lower[slen] = '\0';
    if (sk_rxpre_build(&pre, &rx, 1) == -1)
        goto out;
    sk_rxpre_scan(&pre, lower, slen, bits);
    direct = sk_rx_match(rx.code, (const char *)subj, slen, md);
    SK_FUZZ_CHECK(direct != 1 || sk_rxpre_may(&pre, bits, 0),
                  "prefilter hides a match of /%s/", rx.pattern);
    sk_rxpre_free(&pre);
out:
    free(err);
    free(lower);
    sk_rx_md_free(md);
    if (rx.code != NULL)
        sk_rx_free(rx.code);
    free(rx.pattern);
    return 0;
}

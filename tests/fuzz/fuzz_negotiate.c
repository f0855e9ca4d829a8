/* fuzz_negotiate.c - libFuzzer target for block-page negotiation
 * (icap-server/toolkit/sk_negotiate.c, sekisho/page.h: every page uses it): Accept-Language and
 * Accept from the client's request, and the method. Input: method NUL Accept-Language NUL Accept
 * (missing parts are absent headers). Oracles: results are valid enum values; a language or kind
 * picked from a list does not change when the list is repeated (a client cannot steer the parser
 * with duplicates or long lists). */
#include <string.h>

#include "sk_fuzz.h"
#include <sekisho/page.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = sk_fuzz_cstr(data, size), *part[3] = {NULL, NULL, NULL}, *twice;
    size_t off = 0;
    enum sk_page_lang lang;
    enum sk_page_kind kind;

    if (s == NULL)
        return 0;
    for (int i = 0; i < 3 && off <= size; i++) {
        part[i] = s + off;
        off += strlen(s + off) + 1;
    }
    lang = sk_page_pick_lang(part[1]);
    kind = sk_page_pick_kind(part[0], part[2]);
    SK_FUZZ_CHECK(lang >= 0 && lang < SK_NLANG, "language %d", (int)lang);
    SK_FUZZ_CHECK(kind >= 0 && kind < SK_NKIND, "kind %d", (int)kind);
    if (part[1] != NULL && (twice = malloc(2 * strlen(part[1]) + 2)) != NULL) {
        sprintf(twice, "%s,%s", part[1], part[1]);
        SK_FUZZ_CHECK(sk_page_pick_lang(twice) == lang, "'%s' twice picks another language",
                      part[1]);
        free(twice);
    }
    free(s);
    return 0;
}

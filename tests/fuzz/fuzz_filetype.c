/* fuzz_filetype.c - libFuzzer target for true file types
 * (icap-server/toolkit/sk_filetype.c, sekisho/filetype.h): every object of
 * every body, part and zip member goes through sk_ft_sniff, whose OLE2
 * reader follows offsets from the bytes. Input: one byte choosing the
 * declared name, then the object (copied to an exact-size buffer so an
 * over-read is caught by ASan). Oracles: kinds and types in range; the
 * answer is the same twice; kinds the policy does not name never
 * mismatch; a type list that parses formats to a list that parses to the
 * same set. */
#include <stdlib.h>
#include <string.h>

#include "sk_fuzz.h"
#include <sekisho/filetype.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {NULL, "a.txt", "run.bat", "x.PS1", "dir/", "."};
    const char *name;
    unsigned char *obj;
    enum sk_ft_kind k;
    unsigned mask, again;
    char *s, *f;

    if (size == 0)
        return 0;
    name = names[data[0] % (sizeof(names) / sizeof(names[0]))];
    if ((obj = malloc(size - 1 ? size - 1 : 1)) == NULL)
        return 0;
    memcpy(obj, data + 1, size - 1);
    k = sk_ft_sniff(obj, size - 1, name);
    SK_FUZZ_CHECK(k >= SK_FT_NONE && k < SK_FT_NKIND, "kind %d", (int)k);
    SK_FUZZ_CHECK(sk_ft_sniff(obj, size - 1, name) == k, "not deterministic");
    SK_FUZZ_CHECK((sk_ft_kind_types(k) >> SK_FTT_COUNT) == 0, "types out of range");
    SK_FUZZ_CHECK(sk_ft_kind_types(k) != 0 || !sk_ft_mismatch(k, "text/plain", "a.txt"),
                  "an unnamed kind mismatches");
    SK_FUZZ_CHECK(sk_ft_kind_desc(k, 0) && sk_ft_kind_desc(k, 1) && sk_ft_kind_token(k),
                  "no description");
    free(obj);
    if ((s = sk_fuzz_cstr(data + 1, size - 1)) == NULL)
        return 0;
    k = sk_ft_zip_member(SK_FT_ZIP, s);
    SK_FUZZ_CHECK(k == SK_FT_ZIP || k == SK_FT_JAR || k == SK_FT_OFFICE_ZIP ||
                      k == SK_FT_OOXML_MACRO,
                  "zip member kind %d", (int)k);
    (void)sk_ft_from_clamav(s);
    if (sk_ft_types_parse(s, &mask, NULL, 0) == 0) {
        f = sk_ft_types_format(mask);
        SK_FUZZ_CHECK(f != NULL && sk_ft_types_parse(f, &again, NULL, 0) == 0 && again == mask,
                      "'%s' does not round-trip", s);
        free(f);
    }
    free(s);
    return 0;
}

/* sk_istag.c - ISTag derivation. Inputs come from the policy database and
 * module version strings, never from clients. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sk_istag.h"

#define SK_FNV_OFFSET 0xcbf29ce484222325ULL
#define SK_FNV_PRIME 0x100000001b3ULL

uint64_t sk_fnv1a64(const void *data, size_t len, uint64_t seed)
{
    const unsigned char *p = data;
    uint64_t h = seed ? seed : SK_FNV_OFFSET;

    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= SK_FNV_PRIME;
    }
    return h;
}

void sk_istag_make(char *out, size_t size, const char *content_hash, const char *versions)
{
    uint64_t h;

    if (!content_hash)
        content_hash = "";
    h = sk_fnv1a64(content_hash, strlen(content_hash), 0);
    if (versions)
        h = sk_fnv1a64(versions, strlen(versions), h);
    /* 1 + 12 + 1 + 12 = 26 characters: the policy part alone lets an
     * administrator match a tag with `sekisho-policy hash`; the second part
     * covers policy and engine/signature versions together. */
    snprintf(out, size, "-%.12s-%012" PRIx64, content_hash, (uint64_t)(h & 0xffffffffffffULL));
    if (size > SK_ISTAG_MAX)
        out[SK_ISTAG_MAX] = '\0';
}

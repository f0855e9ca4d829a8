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

void sk_istag_make(char *out, size_t size, int64_t generation, const char *versions)
{
    uint64_t h = sk_fnv1a64(&generation, sizeof(generation), 0);

    if (versions)
        h = sk_fnv1a64(versions, strlen(versions), h);
    if (generation < 0)
        generation = 0;
    /* generation is at most 10 digits in practice; the hash keeps the tag
     * unique when it is not, and snprintf truncation stays within 26. */
    snprintf(out, size, "-G%" PRId64 "-%012" PRIx64, generation, (uint64_t)(h & 0xffffffffffffULL));
    if (size > SK_ISTAG_MAX)
        out[SK_ISTAG_MAX] = '\0';
}

/* sk_istag.c - ISTag derivation. Inputs come from the policy database and
 * module version strings, never from clients. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sekisho/text.h"
#include "sk_istag.h"

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

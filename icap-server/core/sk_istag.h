/* sk_istag.h - ISTag derivation from policy generation and engine versions. */
#ifndef SK_ISTAG_H
#define SK_ISTAG_H

#include <stddef.h>
#include <stdint.h>

/* c-icap prefixes our tag with "CI0001" and keeps at most 26 characters. */
#define SK_ISTAG_MAX 26

/* Write "-G<generation>-<12 hex of hash(generation, versions)>" into out.
 * Any change of either input changes the tag (Cisco's
 * `icap rescan-cache ISTag-change` relies on that). */
void sk_istag_make(char *out, size_t size, int64_t generation, const char *versions);

/* sk_fnv1a64 (used by the ISTag and infected-URL keys): sekisho/text.h */
#include "sekisho/text.h"

#endif

/* sk_istag.h - ISTag derivation from policy content and engine versions. */
#ifndef SK_ISTAG_H
#define SK_ISTAG_H

#include <stddef.h>
#include <stdint.h>

/* c-icap prefixes our tag with "CI0001" and keeps at most 26 characters. */
#define SK_ISTAG_MAX 26

/* Write "-<12 hex of the content hash>-<12 hex of hash(content hash,
 * versions)>" into out. Equal policy content and versions give the same
 * tag on every node, whatever the database generation; any change of
 * either changes it (Cisco's `icap rescan-cache ISTag-change` and Squid's
 * revalidation rely on that). */
void sk_istag_make(char *out, size_t size, const char *content_hash, const char *versions);

/* 64-bit FNV-1a, exposed for tests. */
uint64_t sk_fnv1a64(const void *data, size_t len, uint64_t seed);

#endif

/* url_internal.h - helpers shared by the url_*.c files (not installed).
 * Inputs are client-controlled URL parts; outputs are bounded by callers. */
#ifndef SK_URL_INTERNAL_H
#define SK_URL_INTERNAL_H

#include <stddef.h>

/*
 * Normalise path bytes IN[0..LEN) into OUT, which must hold 5 * LEN + 2
 * bytes (the upper part is scratch): escapes normalised, '\' as '/', slashes collapsed,
 * dot-segments resolved. Always starts with '/'. Returns the length written (NUL added).
 */
size_t sk_url_path_norm(const char *in, size_t len, char *out);

/* Query bytes IN[0..LEN) with escapes normalised into OUT (3 * LEN + 1
 * bytes). Returns the length written (NUL added). */
size_t sk_url_query_norm(const char *in, size_t len, char *out);

#endif

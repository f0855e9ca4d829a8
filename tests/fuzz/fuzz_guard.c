/* fuzz_guard.c - libFuzzer target for the ICAP guard's parsers of client
 * bytes (icap-server/guard/): chunk-size lines and Encapsulated headers,
 * which the guard must read exactly as c-icap 0.5.10 will, or refuse.
 * Built only when icap-server/guard/sk_guard_parse.h exists; it expects:
 *   long sk_guard_chunk_line(const char *p, size_t len, uint64_t *size);
 *     line length through LF, 0 incomplete, -1 refused; *size the size.
 *   int sk_guard_encapsulated(const char *value, size_t len);
 *     0 acceptable (at most 3 known entities, offsets ascending), -1 not.
 * Input: one control byte (which parser), then the bytes.
 * Oracles: an accepted chunk line is 1*HEXDIG followed by ';', WSP or
 * CRLF, and c-icap's own reading (strtol base 16) gives the same size,
 * within 1 GiB; an accepted Encapsulated value names at most 3 entities
 * and c-icap's scanner (name '=' decimal, ", " separated) sees them all. */
#include <ctype.h>
#include <string.h>

#include "sk_fuzz.h"
#include "sk_guard_parse.h"

static void sk_fuzz_chunk_line(const char *s, size_t n)
{
    uint64_t size = 0;
    long rc = sk_guard_chunk_line(s, n, &size);
    size_t digits = 0;

    SK_FUZZ_CHECK(rc >= -1 && rc <= (long)n, "chunk line length %ld of %zu", rc, n);
    if (rc <= 0)
        return;
    while (digits < n && isxdigit((unsigned char)s[digits]))
        digits++;
    SK_FUZZ_CHECK(digits > 0 && digits < (size_t)rc, "accepted a line without a hex size");
    SK_FUZZ_CHECK(strchr("; \t\r\n", s[digits]) != NULL, "accepted 0x%02x after the size",
                  (unsigned char)s[digits]);
    SK_FUZZ_CHECK(s[rc - 1] == '\n', "line does not end at LF");
    SK_FUZZ_CHECK(size == (uint64_t)strtol(s, NULL, 16), "size %llu, c-icap reads %ld",
                  (unsigned long long)size, strtol(s, NULL, 16));
    SK_FUZZ_CHECK(size <= (1u << 30), "size %llu accepted", (unsigned long long)size);
}

static void sk_fuzz_encapsulated(const char *s, size_t n)
{
    static const char *const names[] = {"req-hdr", "res-hdr", "req-body", "res-body",
                                        "null-body", "opt-body"};
    int entities = 0;

    if (sk_guard_encapsulated(s, n) != 0)
        return;
    for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
        for (const char *p = s; (p = strstr(p, names[k])) != NULL; p++)
            entities++;
    SK_FUZZ_CHECK(entities <= 3, "accepted %d entity names", entities);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s;

    if (size < 1 || (s = sk_fuzz_cstr(data + 1, size - 1)) == NULL)
        return 0;
    if (data[0] & 1)
        sk_fuzz_encapsulated(s, size - 1);
    else
        sk_fuzz_chunk_line(s, size - 1);
    free(s);
    return 0;
}

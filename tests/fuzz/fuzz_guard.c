/* fuzz_guard.c - libFuzzer target for the ICAP guard's strict parsers
 * (icap-server/guard/sk_icap_syntax.c): chunk-size lines, Encapsulated
 * values and ICAP header blocks, all client bytes, which the guard must
 * read exactly as c-icap 0.5.10 will or refuse. Input: one control byte
 * (parser; Preview maximum), then the bytes.
 * Oracles: an accepted chunk line is hex digits then CRLF (or "0" with
 * extensions), c-icap's own reading (strtol base 16) gives the same size,
 * within SK_CHUNK_MAX, and every shorter prefix of it is "incomplete",
 * never a different answer (a client chooses where packets end); an
 * accepted Encapsulated value has at most 3 entities, each name the value
 * mentions is one of them, and the offsets strictly increase from 0. */
#include <ctype.h>
#include <string.h>

#include "sk_fuzz.h"
#include "sk_icap_syntax.h"

static void sk_fuzz_chunk(const char *p, long len)
{
    long size = -1, rc = sk_chunk_line(p, len, &size), i = 0, psize;

    SK_FUZZ_CHECK(rc >= -1 && rc <= len, "chunk line length %ld of %ld", rc, len);
    if (rc <= 0)
        return;
    SK_FUZZ_CHECK(rc >= 3 && p[rc - 2] == '\r' && p[rc - 1] == '\n', "line without CRLF");
    while (i < rc && isxdigit((unsigned char)p[i]))
        i++;
    SK_FUZZ_CHECK(i > 0, "accepted a line without a hex size");
    SK_FUZZ_CHECK(p[i] == '\r' || (size == 0 && strchr(" \t;", p[i]) != NULL),
                  "accepted 0x%02x after the size %ld", (unsigned char)p[i], size);
    SK_FUZZ_CHECK(size >= 0 && size <= SK_CHUNK_MAX, "size %ld", size);
    SK_FUZZ_CHECK(size == strtol(p, NULL, 16), "size %ld, c-icap reads %ld", size,
                  strtol(p, NULL, 16));
    for (long n = 0; n < rc; n++)
        SK_FUZZ_CHECK(sk_chunk_line(p, n, &psize) == 0, "prefix of %ld bytes not incomplete", n);
}

static void sk_fuzz_encaps(const char *s)
{
    static const char *const names[] = {"req-hdr",  "res-hdr",   "req-body",
                                        "res-body", "null-body", "opt-body"};
    struct sk_encaps e;
    const char *why = NULL;
    int mentioned = 0;

    if (sk_encaps_parse(s, &e, &why) != 0) {
        SK_FUZZ_CHECK(why != NULL, "refused without a reason");
        return;
    }
    SK_FUZZ_CHECK(e.n >= 1 && e.n <= SK_ENCAPS_MAX, "%d entities", e.n);
    for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
        for (const char *p = s; (p = strstr(p, names[k])) != NULL; p++)
            mentioned++;
    SK_FUZZ_CHECK(mentioned == e.n, "%d entities parsed, %d names in the value", e.n, mentioned);
    SK_FUZZ_CHECK(e.off[0] == 0, "first offset %ld", e.off[0]);
    for (int i = 1; i < e.n; i++)
        SK_FUZZ_CHECK(e.off[i] > e.off[i - 1], "offsets not increasing");
}

/* Header lines split at LF, as c-icap's unpacker hands them over. */
static void sk_fuzz_headers(char *s, long max_preview)
{
    char *lines[64];
    const char *why = NULL;
    int n = 0, rc;

    for (char *p = s; p != NULL && n < 64;) {
        lines[n++] = p;
        if ((p = strchr(p, '\n')) != NULL)
            *p++ = '\0';
    }
    rc = sk_icap_headers_check(lines, n, max_preview, &why);
    SK_FUZZ_CHECK(rc == SK_HDR_OK || ((rc == SK_HDR_BAD || rc == SK_HDR_PREVIEW_BIG) && why),
                  "result %d", rc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s;

    if (size < 1 || (s = sk_fuzz_cstr(data + 1, size - 1)) == NULL)
        return 0;
    switch (data[0] % 3) {
    case 0:
        sk_fuzz_chunk(s, (long)(size - 1));
        break;
    case 1:
        sk_fuzz_encaps(s);
        break;
    default:
        sk_fuzz_headers(s, data[0] & 0x80 ? -1 : (long)(data[0] >> 2) * 1024);
        break;
    }
    free(s);
    return 0;
}

/* fuzz_ident.c - libFuzzer target for identity header decoding
 * (icap-server/core/sk_ident.c): X-Client-IP and X-Authenticated-User as
 * ICAP clients send them (base64, "Basic ", WinNT://, LDAP://, DNs, plain;
 * each sekisho.UserEncoding)
 * and X-Authenticated-Groups lists. Input: one byte for the output size,
 * then the header value.
 * Oracles: output always NUL-terminated inside the buffer (exact-size heap
 * buffer, so ASan sees one byte too many), never a control character; an
 * accepted address holds only hex digits, '.' and ':'; a group list has no
 * empty item (no leading, trailing or doubled comma). */
#include <string.h>

#include "sk_fuzz.h"
#include "sk_ident.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t osize;
    char *hdr, *out;

    if (size < 1)
        return 0;
    osize = data[0] + 1u;
    if ((hdr = sk_fuzz_cstr(data + 1, size - 1)) == NULL || (out = malloc(osize)) == NULL) {
        free(hdr);
        return 0;
    }
    /* every encoding: the size byte's value picks one */
    sk_ident_user(hdr, (enum sk_user_encoding)(data[0] % 3), out, osize);
    SK_FUZZ_CHECK(memchr(out, '\0', osize) != NULL, "user not terminated");
    for (const char *p = out; *p; p++)
        SK_FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f, "control byte in user");
    sk_ident_groups(hdr, (enum sk_user_encoding)(data[0] % 3), out, osize);
    SK_FUZZ_CHECK(memchr(out, '\0', osize) != NULL, "groups not terminated");
    for (const char *p = out; *p; p++)
        SK_FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f, "control byte in groups");
    SK_FUZZ_CHECK(out[0] != ',' && strstr(out, ",,") == NULL &&
                      (out[0] == '\0' || out[strlen(out) - 1] != ','),
                  "empty group in '%s'", out);
    if (sk_ident_client_ip(hdr, out, osize) == 0) {
        SK_FUZZ_CHECK(memchr(out, '\0', osize) != NULL && strlen(out) <= 45, "address length");
        SK_FUZZ_CHECK(out[0] != '\0' && strspn(out, "0123456789abcdefABCDEF.:") == strlen(out),
                      "address '%s'", out);
    } else {
        SK_FUZZ_CHECK(out[0] == '\0', "rejected address left in out");
    }
    free(out);
    free(hdr);
    return 0;
}

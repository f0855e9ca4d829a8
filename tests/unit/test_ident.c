/* test_ident.c - identity forms ICAP clients send (sk_ident.c): users and
 * groups from Squid, ProxySG (base64, WinNT://), Cisco (LDAP://, DNs),
 * normalised to what the policy resolver compares; which header the user
 * comes from. Table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "sk_ident.h"

#define P SK_USER_PLAIN
#define B SK_USER_BASE64
#define A SK_USER_AUTO

static void test_user_forms(void **s)
{
    static const struct {
        const char *in;
        enum sk_user_encoding enc;
        const char *out;
    } cases[] = {
        {"YWxpY2U=", A, "alice"},                            /* Squid, base64 */
        {"V2luTlQ6Ly9FWEFNUExFL2JvYg==", A, "EXAMPLE\\bob"}, /* ProxySG WinNT:// */
        {"WinNT://CORP/carol", A, "CORP\\carol"},            /* plain WinNT */
        {"winnt://corp/carol", A, "corp\\carol"},
        {"CORP\\dave", A, "CORP\\dave"}, /* DOMAIN\user */
        {"dave@corp.example", A, "dave@corp.example"},
        /* Cisco: the DN stays (the directory looks that entry up, in its
         * own tree only; policies match it by "bob") */
        {"LDAP://ldap.corp:389/cn=bob,ou=Staff,dc=corp,dc=example", A,
         "cn=bob,ou=Staff,dc=corp,dc=example"},
        {"ldap://ldap.corp/CN=bob,OU=Staff", A, "CN=bob,OU=Staff"},
        {"cn=bob,ou=Staff,dc=corp", A, "cn=bob,ou=Staff,dc=corp"},
        {"uid=bob,ou=people,dc=corp ", A, "uid=bob,ou=people,dc=corp"},
        {"UID=bob", A, "UID=bob"},
        {"cn=Smith\\, Bob,ou=Staff", A, "cn=Smith\\, Bob,ou=Staff"},
        /* base64 of "LDAP://h/uid=bob,ou=x" */
        {"TERBUDovL2gvdWlkPWJvYixvdT14", A, "uid=bob,ou=x"},
        {"alice", A, "alice"}, /* plain, not base64 */
        {"john", A, "john"},   /* four base64 letters, decodes to invalid UTF-8 */
        {"  alice  ", A, "alice"},
        {"Basic ZXZl", A, "eve"},
        {"bWFsAWNl", A, "bWFsAWNl"},          /* decodes to a control byte: kept raw */
        {"w6lsb2lzZQ==", A, "\xc3\xa9loise"}, /* UTF-8 name */
        {"a\x01"
         "b",
         A, "ab"},                                   /* control characters dropped */
        {"ou=Staff,dc=corp", A, "ou=Staff,dc=corp"}, /* no user RDN: as sent */
        {"", A, ""},
        {NULL, A, ""},
        /* red team 6a B64-USER: a plain name that is canonical base64 of
         * another ("Ym9i" is "bob") stays itself unless the proxy encodes */
        {"Ym9i", P, "Ym9i"},
        {"Ym9i", B, "bob"},
        {"Ym9i", A, "bob"}, /* auto guesses: the documented risk of a mixed fleet */
        {"YWxpY2U=", P, "YWxpY2U="},
        {"Basic ZXZl", P, "Basic ZXZl"},
        {"CORP\\dave", P, "CORP\\dave"},
        {"WinNT://CORP/carol", P, "CORP\\carol"},
        {"LDAP://h/uid=bob,ou=x", P, "uid=bob,ou=x"},
        {"V2luTlQ6Ly9FWEFNUExFL2JvYg==", B, "EXAMPLE\\bob"},
        {"Basic ZXZl", B, "eve"},
        {"alice", B, ""},    /* not base64: nobody, not a guess */
        {"john", B, ""},     /* base64 letters, not text */
        {"bWFsAWNl", B, ""}, /* a control byte */
        {"", B, ""},
        /* a name cut to the buffer is someone else's: none (out is 128) */
        {"uid=alice,ou=people,dc=corp,dc=example,ou=padding-padding-padding-padding-padding-"
         "padding-padding-padding-padding-padding-padding-padding-padding,dc=evil",
         P, ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[128];
        sk_ident_user(cases[i].in, cases[i].enc, out, sizeof(out));
        if (strcmp(out, cases[i].out) != 0)
            fail_msg("user %zu %s (enc %d): got '%s', want '%s'", i,
                     cases[i].in ? cases[i].in : "(null)", (int)cases[i].enc, out, cases[i].out);
    }
}

static void test_user_encoding_names(void **s)
{
    enum sk_user_encoding e = SK_USER_AUTO;

    assert_int_equal(sk_ident_user_encoding("plain", &e), 0);
    assert_int_equal(e, SK_USER_PLAIN);
    assert_int_equal(sk_ident_user_encoding("BASE64", &e), 0);
    assert_int_equal(e, SK_USER_BASE64);
    assert_int_equal(sk_ident_user_encoding("auto", &e), 0);
    assert_int_equal(e, SK_USER_AUTO);
    assert_int_equal(sk_ident_user_encoding("on", &e), -1);
    assert_int_equal(sk_ident_user_encoding("", &e), -1);
    assert_int_equal(sk_ident_user_encoding(NULL, &e), -1);
    assert_int_equal(e, SK_USER_AUTO);
}

static void test_group_forms(void **s)
{
    static const struct {
        const char *in;
        const char *out;
    } cases[] = {
        /* read as auto: base64 guessed per value and per item */
        {"V2luTlQ6Ly9NWURPTUFJTi9NeUdyb3Vw", "MYDOMAIN\\MyGroup"}, /* ProxySG, issue 15 */
        /* base64 of "WinNT://D/G1, WinNT://D/G2": one text for the list */
        {"V2luTlQ6Ly9EL0cxLCBXaW5OVDovL0QvRzI=", "D\\G1,D\\G2"},
        /* a list of base64 items */
        {"V2luTlQ6Ly9EL0cx, V2luTlQ6Ly9EL0cy", "D\\G1,D\\G2"},
        /* padded items ("...cg==") are base64, not an "attr=value" RDN */
        {"V2luTlQ6Ly9NWURPTUFJTi9PdGhlcg==,V2luTlQ6Ly9EL0cy", "MYDOMAIN\\Other,D\\G2"},
        {"WinNT://D/G1,WinNT://D/G2", "D\\G1,D\\G2"},
        {"CN=Sales,OU=Groups,DC=corp,CN=IT,OU=Groups", "Sales,IT"}, /* DNs: RDNs skipped */
        {"LDAP://ldap.corp/cn=Sales,ou=Groups,dc=corp", "Sales"},
        {"LDAP://h/cn=A,ou=x, LDAP://h/cn=B,ou=y", "A,B"},
        {"Sales, IT", "Sales,IT"},
        {"CORP\\Sales", "CORP\\Sales"},
        {"Team", "Team"}, /* looks like base64, decodes to invalid UTF-8 */
        {",,Sales,,", "Sales"},
        /* an escaped comma in a group name cannot be carried by the list
         * (fuzz finding: "cn=Smith\\," gave "Smith,") */
        {"cn=Smith\\, Bob,ou=Staff,cn=IT", "IT"},
        {"cn=Smith\\,", ""},
        /* RFC 4514 escapes (red team 7): hex pairs and escaped specials */
        {"cn=R\\26D,ou=x,cn=IT", "R&D,IT"},
        {"cn=Smith\\2C Bob,ou=Staff,cn=IT", "IT"},
        {"cn=A\\2", ""},           /* a cut hex pair names nothing */
        {"cn=A\\00B,cn=IT", "IT"}, /* nor does a control character */
        {"cn=\\#1\\+x", "#1+x"},
        {"", ""},
        {NULL, ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[256];
        sk_ident_groups(cases[i].in, SK_USER_AUTO, out, sizeof(out));
        if (strcmp(out, cases[i].out) != 0)
            fail_msg("groups %zu %s: got '%s', want '%s'", i, cases[i].in ? cases[i].in : "(null)",
                     out, cases[i].out);
    }
}

/* sekisho.GroupEncoding (red team 7): plain never decodes ("RW5n" is a
 * group of that name, not base64 of "Eng"); base64 decodes the whole
 * value or each item and drops what does not decode; auto guesses. */
static void test_group_encoding(void **s)
{
    static const struct {
        enum sk_user_encoding enc;
        const char *in, *out;
    } cases[] = {
        {SK_USER_PLAIN, "RW5n", "RW5n"},
        {SK_USER_AUTO, "RW5n", "Eng"},
        {SK_USER_BASE64, "RW5n", "Eng"},
        {SK_USER_PLAIN, "RW5n,Sales", "RW5n,Sales"},
        {SK_USER_BASE64, "RW5n,Sales", "Eng"}, /* "Sales" is not base64: no group */
        {SK_USER_AUTO, "RW5n,Sales", "Eng,Sales"},
        /* ProxySG: base64 of "WinNT://D/G1, WinNT://D/G2", one text */
        {SK_USER_BASE64, "V2luTlQ6Ly9EL0cxLCBXaW5OVDovL0QvRzI=", "D\\G1,D\\G2"},
        {SK_USER_PLAIN, "V2luTlQ6Ly9EL0cx", "V2luTlQ6Ly9EL0cx"},
        {SK_USER_PLAIN, "WinNT://D/G1,cn=IT,ou=x", "D\\G1,IT"},
        {SK_USER_BASE64, "WinNT://D/G1", ""},
    };
    (void)s;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char out[256];
        sk_ident_groups(cases[i].in, cases[i].enc, out, sizeof(out));
        if (strcmp(out, cases[i].out) != 0)
            fail_msg("groups %zu (%d) %s: got '%s', want '%s'", i, cases[i].enc, cases[i].in, out,
                     cases[i].out);
    }
}

/* GroupEncoding unset (-1): plain users, plain groups; base64 or auto
 * users, auto groups. Set: as set. */
static void test_group_encoding_default(void **s)
{
    (void)s;
    assert_int_equal(sk_ident_group_encoding(-1, SK_USER_PLAIN), SK_USER_PLAIN);
    assert_int_equal(sk_ident_group_encoding(-1, SK_USER_BASE64), SK_USER_AUTO);
    assert_int_equal(sk_ident_group_encoding(-1, SK_USER_AUTO), SK_USER_AUTO);
    assert_int_equal(sk_ident_group_encoding(SK_USER_PLAIN, SK_USER_BASE64), SK_USER_PLAIN);
    assert_int_equal(sk_ident_group_encoding(SK_USER_BASE64, SK_USER_PLAIN), SK_USER_BASE64);
    assert_int_equal(sk_ident_group_encoding(SK_USER_AUTO, SK_USER_PLAIN), SK_USER_AUTO);
}

/* A group that does not fit is left out whole, never cut. */
static void test_groups_bounded(void **s)
{
    char out[12];

    sk_ident_groups("Sales,Engineering,IT", SK_USER_AUTO, out, sizeof(out));
    assert_string_equal(out, "Sales,IT");
    sk_ident_groups("Engineering-and-more", SK_USER_AUTO, out, sizeof(out));
    assert_string_equal(out, "");
}

struct fake_hdrs {
    const char *names[8];
    const char *values[8];
};

static const char *fake_get(void *ctx, const char *name)
{
    struct fake_hdrs *h = ctx;

    for (int i = 0; h->names[i]; i++)
        if (strcasecmp(h->names[i], name) == 0)
            return h->values[i];
    return NULL;
}

static void test_read_headers(void **s)
{
    static const struct {
        struct fake_hdrs h;
        const char *user_header;
        const char *user, *groups, *client, *server;
    } cases[] = {
        {{{"X-Authenticated-User", "X-Client-Username"}, {"YWxpY2U=", "bob"}},
         NULL,
         "alice",
         "",
         "",
         ""},
        {{{"X-Client-Username"}, {"bob"}}, NULL, "bob", "", "", ""}, /* Squid's default */
        {{{"X-Client-Username", "X-Proxy-User"}, {"bob", "carol"}},
         "X-Proxy-User",
         "carol",
         "",
         "",
         ""}, /* the admin's header */
        {{{"X-Authenticated-User"}, {"alice"}}, "X-Proxy-User", "", "", "", ""},
        {{{"X-Client-IP", "X-Server-IP", "X-Authenticated-Groups"},
          {"10.0.0.1", "192.0.2.80", "V2luTlQ6Ly9NWURPTUFJTi9NeUdyb3Vw"}},
         NULL,
         "",
         "MYDOMAIN\\MyGroup",
         "10.0.0.1",
         "192.0.2.80"},
        {{{"X-Server-IP"}, {"not an address"}}, NULL, "", "", "", ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sk_ident id;
        memset(&id, 0x55, sizeof(id));
        (void)s;
        sk_ident_read(&id, fake_get, (void *)&cases[i].h, cases[i].user_header, SK_USER_AUTO,
                      SK_USER_AUTO);
        assert_string_equal(id.user, cases[i].user);
        assert_string_equal(id.groups, cases[i].groups);
        assert_string_equal(id.client_ip, cases[i].client);
        assert_string_equal(id.server_ip, cases[i].server);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_user_forms),
        cmocka_unit_test(test_user_encoding_names),
        cmocka_unit_test(test_group_forms),
        cmocka_unit_test(test_group_encoding),
        cmocka_unit_test(test_group_encoding_default),
        cmocka_unit_test(test_groups_bounded),
        cmocka_unit_test(test_read_headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

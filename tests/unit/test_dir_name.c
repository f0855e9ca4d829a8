/* test_dir_name.c - which directory answers for a user name (dir_name.c):
 * the name's domain (NetBIOS, realm, DN tree) read from what proxies
 * send, the domains a base DN implies, and the serve decision (red team
 * 6a, DIR-DOMAIN: EVIL\alice, alice@evil.example, a DN of another tree
 * must not reach corp's directory as "alice"). Table-driven. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <sekisho/directory.h>

#include "sekisho/text.h"

static void test_parse(void **s)
{
    static const struct {
        const char *in;
        int rc;
        enum sk_dir_name_kind kind;
        const char *local, *domain;
    } c[] = {
        {"alice", 0, SK_DIRN_BARE, "alice", ""},
        {"CORP\\alice", 0, SK_DIRN_NETBIOS, "alice", "CORP"},
        {"WinNT://CORP/alice", 0, SK_DIRN_NETBIOS, "alice", "CORP"},
        {"alice@corp.example", 0, SK_DIRN_REALM, "alice", "corp.example"},
        {"ALICE@CORP.EXAMPLE", 0, SK_DIRN_REALM, "ALICE", "CORP.EXAMPLE"},
        {"uid=alice,ou=people,dc=corp,dc=example", 0, SK_DIRN_DN,
         "uid=alice,ou=people,dc=corp,dc=example", ""},
        {"LDAP://dc1:389/CN=Alice,OU=Staff,DC=corp", 0, SK_DIRN_DN, "CN=Alice,OU=Staff,DC=corp",
         ""},
        {"", -1, SK_DIRN_BARE, "", ""},
        {NULL, -1, SK_DIRN_BARE, "", ""},
        {"\\alice", -1, SK_DIRN_BARE, "", ""},          /* empty domain */
        {"CORP\\", -1, SK_DIRN_BARE, "", ""},           /* empty account */
        {"@corp.example", -1, SK_DIRN_BARE, "", ""},    /* empty account */
        {"alice@", -1, SK_DIRN_BARE, "", ""},           /* empty realm */
        {"CORP\\alice@evil", -1, SK_DIRN_BARE, "", ""}, /* two qualifiers */
        {"EVIL\\CORP\\alice", -1, SK_DIRN_BARE, "", ""},
        {"a@b@corp.example", -1, SK_DIRN_BARE, "", ""},
        {"uid=alice,=x", -1, SK_DIRN_BARE, "", ""}, /* not a DN */
    };
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        struct sk_dir_name n;
        int rc = sk_dir_name_parse(c[i].in, &n);
        if (rc != c[i].rc || (rc == 0 && (n.kind != c[i].kind || strcmp(n.local, c[i].local) != 0 ||
                                          strcmp(n.domain, c[i].domain) != 0)))
            fail_msg("parse %zu '%s': rc %d kind %d '%s' '%s'", i, c[i].in ? c[i].in : "(null)", rc,
                     (int)n.kind, n.local, n.domain);
    }
    char big[300];
    struct sk_dir_name n;
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(sk_dir_name_parse(big, &n), -1);
    (void)s;
}

static void test_base_domains(void **s)
{
    static const struct {
        const char *base, *dom, *realm;
    } c[] = {
        {"dc=corp,dc=example", "CORP", "corp.example"},
        {"ou=Staff,DC=Corp,DC=Example", "CORP", "corp.example"},
        {"dc=child,dc=corp,dc=example", "CHILD", "child.corp.example"},
        {"o=Example", "", ""},
        {"", "", ""},
        {"not a dn", "", ""},
    };
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        struct sk_buf d = {0}, r = {0};
        sk_dir_base_domains(c[i].base, &d, &r);
        if (strcmp(d.data ? d.data : "", c[i].dom) != 0 ||
            strcmp(r.data ? r.data : "", c[i].realm) != 0)
            fail_msg("base %zu '%s': '%s' '%s'", i, c[i].base, d.data ? d.data : "",
                     r.data ? r.data : "");
        sk_buf_free(&d);
        sk_buf_free(&r);
    }
    struct sk_buf d = {0}, r = {0};
    sk_buf_puts(&d, "X");
    sk_buf_puts(&r, "x.example");
    sk_dir_base_domains("dc=corp,dc=example", &d, &r);
    assert_string_equal(d.data, "X CORP");
    assert_string_equal(r.data, "x.example corp.example");
    sk_buf_free(&d);
    sk_buf_free(&r);
    (void)s;
}

static void test_serves(void **s)
{
    struct sk_directory corp = {.name = "corp",
                                .base = "dc=corp,dc=example",
                                .domains = "CORP",
                                .realms = "corp.example"},
                        two = {.name = "two",
                               .base = "ou=people,dc=corp,dc=example",
                               .domains = "CORP PARTNER",
                               .realms = "corp.example partner.example"},
                        none = {.name = "none", .base = "o=Example", .domains = "", .realms = ""},
                        gc = {.name = "gc", .base = "", .domains = "", .realms = ""};
    static const struct {
        const char *user;
        int corp, two, none, gc;
    } c[] = {
        {"alice", 1, 1, 1, 1}, /* a bare name: as before, every directory */
        {"CORP\\alice", 1, 1, 0, 0},
        {"corp\\alice", 1, 1, 0, 0},
        {"WinNT://CORP/alice", 1, 1, 0, 0},
        {"EVIL\\alice", 0, 0, 0, 0},
        {"PARTNER\\alice", 0, 1, 0, 0},
        {"WinNT://EVIL/alice", 0, 0, 0, 0},
        {"alice@corp.example", 1, 1, 0, 0},
        {"alice@CORP.EXAMPLE", 1, 1, 0, 0}, /* a Kerberos realm, upper case */
        {"alice@corp", 1, 1, 0, 0},         /* = CORP\alice, as for policy scopes */
        {"alice@evil.example", 0, 0, 0, 0},
        {"alice@example", 0, 0, 0, 0},
        {"uid=alice,ou=people,dc=corp,dc=example", 1, 1, 0, 1},
        {"UID=alice,OU=People,DC=Corp,DC=Example", 1, 1, 0, 1},
        {"uid=alice,ou=partners,dc=corp,dc=example", 1, 0, 0, 1},
        {"uid=alice,ou=people,dc=evil,dc=example", 0, 0, 0, 1},
        {"uid=alice,ou=people,dc=corp,dc=example,dc=evil", 0, 0, 0, 1},
        {"dc=corp,dc=example", 0, 0, 0, 1}, /* the base itself is no user */
        {"uid=alice,o=Example", 0, 0, 1, 1},
    };
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        struct sk_dir_name n;
        int got[4];
        if (sk_dir_name_parse(c[i].user, &n) != 0)
            fail_msg("serves %zu '%s': does not parse", i, c[i].user);
        got[0] = sk_dir_serves(&corp, &n);
        got[1] = sk_dir_serves(&two, &n);
        got[2] = sk_dir_serves(&none, &n);
        got[3] = sk_dir_serves(&gc, &n);
        if (got[0] != c[i].corp || got[1] != c[i].two || got[2] != c[i].none || got[3] != c[i].gc)
            fail_msg("serves %zu '%s': corp %d two %d none %d gc %d", i, c[i].user, got[0], got[1],
                     got[2], got[3]);
    }
    (void)s;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_base_domains),
        cmocka_unit_test(test_serves),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

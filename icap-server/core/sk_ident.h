/* sk_ident.h - who is asking: client and server address, user name and
 * groups as ICAP clients (Squid, ProxySG, Cisco WSA/CE) send them,
 * normalised to the forms the policy resolver compares
 * (<sekisho/policy_snapshot.h>, struct sk_who). */
#ifndef SK_IDENT_H
#define SK_IDENT_H

#include <stddef.h>

#define SK_IDENT_USER_MAX   256
#define SK_IDENT_GROUPS_MAX 2048

/* Copy an address header (X-Client-IP, X-Server-IP) into out if it looks
 * like an IPv4/IPv6 address (hex digits, '.', ':'), else return -1 and
 * leave out empty. */
int sk_ident_client_ip(const char *hdr, char *out, size_t size);

/* Decode a user header into out (always NUL-terminated):
 * - base64 (Squid with icap_client_username_encode, ProxySG, Cisco) is
 *   undone when the value is canonical base64 of valid UTF-8 text without
 *   control characters; otherwise the value is taken as plain text;
 * - "WinNT://DOMAIN/user" becomes "DOMAIN\user";
 * - an LDAP name, "LDAP://host/cn=bob,ou=..." or a bare DN "cn=bob,..." /
 *   "uid=bob,...", becomes its first RDN value "bob" (so it matches
 *   --user bob; a DN carries no NT domain);
 * - "DOMAIN\user" and "user@domain" stay as they are.
 * Control characters are dropped. */
void sk_ident_user(const char *hdr, char *out, size_t size);

/* Decode X-Authenticated-Groups into a comma-separated list, each group
 * normalised as sk_ident_user() does ("WinNT://DOM/G" -> "DOM\G",
 * "LDAP://host/cn=G,ou=..." and "cn=G,ou=..." -> "G"). The whole value may
 * be one base64 text (ProxySG) or a list whose items are base64 or plain;
 * the RDNs after the first of a DN are not groups. Always NUL-terminates;
 * groups that do not fit are left out whole. */
void sk_ident_groups(const char *hdr, char *out, size_t size);

/* Everything above read from one request's ICAP headers. */
struct sk_ident {
    char client_ip[64];
    char server_ip[64];
    char user[SK_IDENT_USER_MAX];
    char groups[SK_IDENT_GROUPS_MAX];
};

/* Header lookup: the value of ICAP header NAME or NULL. */
typedef const char *(*sk_ident_get_fn)(void *ctx, const char *name);

/* Fill id from the headers. The user comes from user_header when given
 * (sekisho.UserHeader), else from X-Authenticated-User (ProxySG, Cisco,
 * IWSS) or, without it, X-Client-Username (Squid's default
 * icap_client_username_header). Fields not sent stay empty. */
void sk_ident_read(struct sk_ident *id, sk_ident_get_fn get, void *ctx, const char *user_header);

#endif

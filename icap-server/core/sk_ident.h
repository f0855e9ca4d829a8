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

/* How the proxy sends the user name (sekisho.UserEncoding). A name that
 * is also canonical base64 ("Ym9i" is base64 of "bob") cannot be told
 * from an encoded one: the proxy's setting says which it is. */
enum sk_user_encoding {
    SK_USER_PLAIN,  /* as is: Squid's default (icap_client_username_encode off) */
    SK_USER_BASE64, /* always base64: Squid's encode on, ProxySG, Cisco WSA/CE */
    SK_USER_AUTO,   /* guess per value (mixed fleets): base64 when canonical */
};

/* "plain", "base64" or "auto" (any case) into *out. 0, or -1. The one
 * parser of sekisho.UserEncoding and sekisho.GroupEncoding. */
int sk_ident_user_encoding(const char *s, enum sk_user_encoding *out);

/* The encoding of X-Authenticated-Groups: GROUP when sekisho.GroupEncoding
 * was set (an enum sk_user_encoding value), else (-1) derived from the user
 * encoding: plain stays plain (Squid: nothing guessed), base64 and auto
 * give auto (ProxySG sends the list in base64, Cisco may send plain
 * LDAP:// groups beside a base64 user: the reading those nodes had). */
enum sk_user_encoding sk_ident_group_encoding(int group, enum sk_user_encoding user);

/* Decode a user header into out (always NUL-terminated):
 * - ENC plain: the value as sent; base64: "Basic " skipped, then it must
 *   be canonical base64 of valid UTF-8 text without control characters,
 *   else there is no user (""); auto: decoded when it is such base64,
 *   else taken as plain text;
 * - "WinNT://DOMAIN/user" becomes "DOMAIN\user";
 * - an LDAP name, "LDAP://host/cn=bob,ou=..." or a bare DN "cn=bob,..." /
 *   "uid=bob,...", stays the DN (without "LDAP://host/"): it matches
 *   --user bob by its first RDN value, and the directory looks up exactly
 *   that entry, in its own tree only;
 * - "DOMAIN\user" and "user@domain" stay as they are.
 * Control characters are dropped. A name that does not fit in SIZE is no
 * user (""): a cut name, a DN above all, may be someone else's. */
void sk_ident_user(const char *hdr, enum sk_user_encoding enc, char *out, size_t size);

/* Decode X-Authenticated-Groups into a comma-separated list, each group
 * normalised as sk_ident_user() does ("WinNT://DOM/G" -> "DOM\G",
 * "LDAP://host/cn=G,ou=..." and "cn=G,ou=..." -> "G", RFC 4514 escapes
 * read); the RDNs after the first of a DN are not groups. ENC
 * (sekisho.GroupEncoding): plain, every item as sent; base64, the whole
 * value is one base64 text of the list (ProxySG) or each item is base64,
 * and an item that does not decode is no group; auto, either, guessed per
 * value and item. A group whose name holds a comma is left out (the list
 * cannot carry it). Always NUL-terminates; groups that do not fit are
 * left out whole. */
void sk_ident_groups(const char *hdr, enum sk_user_encoding enc, char *out, size_t size);

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
 * icap_client_username_header), read as ENC says (sekisho.UserEncoding);
 * the groups as GENC says (sekisho.GroupEncoding). Fields not sent stay
 * empty. */
void sk_ident_read(struct sk_ident *id, sk_ident_get_fn get, void *ctx, const char *user_header,
                   enum sk_user_encoding enc, enum sk_user_encoding genc);

#endif

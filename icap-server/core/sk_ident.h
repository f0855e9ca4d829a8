/* sk_ident.h - who is asking: client address and user name as ICAP
 * clients (Squid, ProxySG, Cisco CE) send them. */
#ifndef SK_IDENT_H
#define SK_IDENT_H

#include <stddef.h>

/* Copy X-Client-IP into out if it looks like an IPv4/IPv6 address
 * (digits, hex, '.', ':'), else return -1 and leave out empty. */
int sk_ident_client_ip(const char *hdr, char *out, size_t size);

/* Decode X-Authenticated-User: base64 (Squid, ProxySG) or plain text;
 * "WinNT://DOMAIN/user" becomes "DOMAIN\user". Control characters are
 * dropped. Always NUL-terminates out. */
void sk_ident_user(const char *hdr, char *out, size_t size);

#endif

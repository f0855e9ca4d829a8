/* sekisho/net.h - the one IP address and network (CIDR) parser and
 * matcher of Sekisho: policy client-ip scopes and cidr URL rules
 * (policy-db), the launcher's --allow-clients check and the status
 * listener's --status-allow list.
 * SECURITY: addresses come from ICAP headers (X-Client-IP) and accepted
 * sockets; parsing is bounded (inet_pton forms only, no 0x0a or 10.1
 * spellings) and allocation-free. Part of libsekisho_toolkit (see
 * sekisho/text.h for the layering). */
#ifndef SEKISHO_NET_H
#define SEKISHO_NET_H

#include <stddef.h>
#include <stdint.h>

struct sockaddr;

/* A network: family 4 or 6 (an IPv4-mapped IPv6 address is family 4),
 * the address as written (host bits may be set: matching ignores them),
 * prefix length. */
struct sk_cidr {
    int family;
    uint8_t addr[16];
    int bits;
};

/* The address in the N bytes at S (IPv4 dotted quad, IPv6 text) into
 * *FAMILY (4, or 6) and ADDR (4 or 16 bytes used); ::ffff:a.b.c.d is
 * family 4. 0, or -1. */
int sk_ip_parse(const char *s, size_t n, int *family, uint8_t addr[16]);
/* The same from a socket address (AF_INET, AF_INET6); 0, or -1. */
int sk_ip_from_sockaddr(const struct sockaddr *sa, int *family, uint8_t addr[16]);
/* "a.b.c.d[/n]" or "x:y::z[/n]" (a decimal prefix up to 32 / 128, no
 * sign or space); 0, or -1. */
int sk_cidr_parse(const char *s, struct sk_cidr *out);
/* 1 when ADDR (of FAMILY) is inside C, else 0. */
int sk_cidr_match(const struct sk_cidr *c, int family, const uint8_t *addr);
/* "CIDR[,CIDR...]" (no space: the list is one c-icap directive word) into OUT, at most MAX
 * of them; returns how many (at least 1), or -1 when any item is not a
 * network, an item is empty or there are more than MAX. */
int sk_cidr_list_parse(const char *text, struct sk_cidr *out, int max);
/* 1 when ADDR is inside one of the N networks of LIST, else 0. */
int sk_cidr_list_match(const struct sk_cidr *list, int n, int family, const uint8_t *addr);

#endif

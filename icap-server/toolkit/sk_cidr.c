/* sk_cidr.c - IP addresses and networks (sekisho/net.h): parsing with
 * inet_pton, IPv4-mapped IPv6 read as IPv4, prefix matching.
 * SECURITY: parses client-controlled addresses (X-Client-IP) and the
 * peers of accepted sockets; bounded, no allocation. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "sekisho/net.h"

int sk_ip_parse(const char *s, size_t n, int *family, uint8_t addr[16])
{
    char tmp[INET6_ADDRSTRLEN + 1];

    if (n == 0 || n >= sizeof(tmp))
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    if (inet_pton(AF_INET, tmp, addr) == 1) {
        *family = 4;
        return 0;
    }
    if (inet_pton(AF_INET6, tmp, addr) != 1)
        return -1;
    if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)addr)) {
        memmove(addr, addr + 12, 4);
        *family = 4;
    } else {
        *family = 6;
    }
    return 0;
}

int sk_ip_from_sockaddr(const struct sockaddr *sa, int *family, uint8_t addr[16])
{
    if (sa && sa->sa_family == AF_INET) {
        memcpy(addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
        *family = 4;
        return 0;
    }
    if (!sa || sa->sa_family != AF_INET6)
        return -1;
    memcpy(addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
    if (IN6_IS_ADDR_V4MAPPED((struct in6_addr *)addr)) {
        memmove(addr, addr + 12, 4);
        *family = 4;
    } else {
        *family = 6;
    }
    return 0;
}

int sk_cidr_parse(const char *s, struct sk_cidr *out)
{
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    int max, bits = 0;

    memset(out, 0, sizeof(*out));
    if (sk_ip_parse(s, n, &out->family, out->addr) == -1)
        return -1;
    max = out->family == 4 ? 32 : 128;
    out->bits = max;
    if (slash == NULL)
        return 0;
    if (slash[1] == '\0' || strlen(slash + 1) > 3)
        return -1;
    for (const char *p = slash + 1; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        bits = bits * 10 + (*p - '0');
    }
    if (bits > max)
        return -1;
    out->bits = bits;
    return 0;
}

int sk_cidr_match(const struct sk_cidr *c, int family, const uint8_t *addr)
{
    int full = c->bits / 8, rest = c->bits % 8;

    if (c->family != family || memcmp(c->addr, addr, (size_t)full) != 0)
        return 0;
    if (rest == 0)
        return 1;
    return ((c->addr[full] ^ addr[full]) & (0xff << (8 - rest))) == 0;
}

int sk_cidr_list_parse(const char *text, struct sk_cidr *out, int max)
{
    char item[INET6_ADDRSTRLEN + 8];
    int n = 0;

    if (text == NULL)
        return -1;
    for (const char *p = text;; p++) {
        size_t len = strcspn(p, ",");

        if (len == 0 || len >= sizeof(item) || n == max)
            return -1;
        memcpy(item, p, len);
        item[len] = '\0';
        if (sk_cidr_parse(item, &out[n]) == -1)
            return -1;
        n++;
        p += len;
        if (*p == '\0')
            return n;
    }
}

int sk_cidr_list_match(const struct sk_cidr *list, int n, int family, const uint8_t *addr)
{
    for (int i = 0; i < n; i++)
        if (sk_cidr_match(&list[i], family, addr))
            return 1;
    return 0;
}

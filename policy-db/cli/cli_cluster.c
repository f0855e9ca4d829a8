/* cli_cluster.c - `sekisho-policy cluster status HOST:PORT...`: asks each
 * node with an ICAP OPTIONS request and prints its ISTag, policy content
 * hash and generation (the server's X-Sekisho-Policy header) and engine
 * versions (X-Sekisho-Versions). Exit 0 only when every node answered and
 * all agree on ISTag and policy: usable from monitoring as it is.
 * SECURITY: node answers are untrusted bytes; only printable ASCII of
 * bounded length is kept from them. */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define SK_CL_TIMEOUT_MS 3000

struct sk_node {
    const char *addr;
    int up;
    char why[128];
    char istag[64], policy[96], versions[256];
};

static long sk_ms_left(const struct timespec *deadline)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

/* Copy header NAME's value from HEAD (printable ASCII only). */
static void sk_cl_header(const char *head, const char *name, char *out, size_t size)
{
    size_t nl = strlen(name), o = 0;

    out[0] = '\0';
    for (const char *p = head; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncasecmp(p, name, nl) != 0 || p[nl] != ':')
            continue;
        p += nl + 1;
        while (*p == ' ')
            p++;
        while (*p && *p != '\r' && *p != '\n' && o + 1 < size) {
            out[o++] = (*p >= 0x20 && *p < 0x7f) ? *p : '?';
            p++;
        }
        out[o] = '\0';
        return;
    }
}

static int sk_cl_connect(const char *host, const char *port, const struct timespec *deadline,
                         char *why, size_t wsize)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    int fd = -1, gai;

    if ((gai = getaddrinfo(host, port, &hints, &res)) != 0) {
        snprintf(why, wsize, "%s", gai_strerror(gai));
        return -1;
    }
    for (struct addrinfo *a = res; a && fd == -1; a = a->ai_next) {
        struct pollfd pfd;
        int err = 0;
        socklen_t el = sizeof(err);

        fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd == -1)
            continue;
        if (connect(fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS)
            err = errno;
        else {
            pfd = (struct pollfd){.fd = fd, .events = POLLOUT};
            if (poll(&pfd, 1, (int)sk_ms_left(deadline)) != 1)
                err = ETIMEDOUT;
            else
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
        }
        if (err) {
            snprintf(why, wsize, "%s", strerror(err));
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    return fd;
}

static void sk_cl_ask(struct sk_node *n)
{
    char host[256], req[512], head[8192];
    const char *colon = strrchr(n->addr, ':');
    struct timespec deadline;
    size_t got = 0;
    int fd;

    if (!colon || colon == n->addr || (size_t)(colon - n->addr) >= sizeof(host)) {
        snprintf(n->why, sizeof(n->why), "not HOST:PORT");
        return;
    }
    memcpy(host, n->addr, (size_t)(colon - n->addr));
    host[colon - n->addr] = '\0';
    if (host[0] == '[' && host[strlen(host) - 1] == ']') { /* [::1]:1344 */
        memmove(host, host + 1, strlen(host));
        host[strlen(host) - 1] = '\0';
    }
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += SK_CL_TIMEOUT_MS / 1000;
    if ((fd = sk_cl_connect(host, colon + 1, &deadline, n->why, sizeof(n->why))) == -1)
        return;
    snprintf(req, sizeof(req),
             "OPTIONS icap://%s/sekisho ICAP/1.0\r\nHost: %s\r\nEncapsulated: null-body=0\r\n"
             "Connection: close\r\n\r\n",
             n->addr, n->addr);
    if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
        snprintf(n->why, sizeof(n->why), "cannot send");
        goto out;
    }
    while (got + 1 < sizeof(head)) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        ssize_t r;
        long left = sk_ms_left(&deadline);

        if (left <= 0 || poll(&pfd, 1, (int)left) != 1) {
            snprintf(n->why, sizeof(n->why), "no answer within %d ms", SK_CL_TIMEOUT_MS);
            goto out;
        }
        if ((r = recv(fd, head + got, sizeof(head) - 1 - got, 0)) <= 0)
            break;
        got += (size_t)r;
        head[got] = '\0';
        if (strstr(head, "\r\n\r\n"))
            break;
    }
    head[got] = '\0';
    if (strncmp(head, "ICAP/1.0 200", 12) != 0) {
        snprintf(n->why, sizeof(n->why), "OPTIONS not answered with 200");
        goto out;
    }
    sk_cl_header(head, "ISTag", n->istag, sizeof(n->istag));
    sk_cl_header(head, "X-Sekisho-Policy", n->policy, sizeof(n->policy));
    sk_cl_header(head, "X-Sekisho-Versions", n->versions, sizeof(n->versions));
    n->up = 1;
out:
    close(fd);
}

int sk_cli_cluster_status(struct sk_cli *c)
{
    struct sk_node *nodes = calloc((size_t)c->nops, sizeof(*nodes));
    int agree = 1;

    if (!nodes)
        return sk_cli_fail("out of memory");
    for (int i = 0; i < c->nops; i++) {
        nodes[i].addr = c->ops[i];
        sk_cl_ask(&nodes[i]);
        /* the policy header is "HASH Ggen": local generations differ
         * between nodes that pulled the same bundle; the content may not */
        if (!nodes[i].up || strcmp(nodes[i].istag, nodes[0].istag) != 0 ||
            strncmp(nodes[i].policy, nodes[0].policy, 64) != 0 || nodes[i].istag[0] == '\0')
            agree = 0;
    }
    if (c->json)
        printf("{\"agree\":%s,\"nodes\":[", agree ? "true" : "false");
    for (int i = 0; i < c->nops; i++) {
        struct sk_node *n = &nodes[i];
        if (c->json) {
            printf("%s\n  {\"node\":", i ? "," : "");
            sk_cli_json_str(stdout, n->addr);
            printf(",\"reachable\":%s,\"istag\":", n->up ? "true" : "false");
            sk_cli_json_str(stdout, n->istag);
            printf(",\"policy\":");
            sk_cli_json_str(stdout, n->policy);
            printf(",\"versions\":");
            sk_cli_json_str(stdout, n->versions);
            printf(",\"error\":");
            sk_cli_json_str(stdout, n->up ? "" : n->why);
            printf("}");
        } else if (n->up) {
            printf("%-24s up    ISTag %s  policy %s  versions %s\n", n->addr, n->istag,
                   n->policy[0] ? n->policy : "?", n->versions[0] ? n->versions : "?");
        } else {
            printf("%-24s DOWN  %s\n", n->addr, n->why);
        }
    }
    if (c->json)
        printf("\n]}\n");
    else
        printf("%s\n", agree ? "all nodes agree" : "NODES DISAGREE or are unreachable");
    free(nodes);
    return agree ? SK_CLI_OK : SK_CLI_FAIL;
}

/* sk_conn_guard.c - who may talk to c-icap, and how much: the accept path of
 * sk_cicap_fix.so (client allow list, connections per client address,
 * mutual-TLS issuer check, TLS handshake timeout) and its configuration.
 * SECURITY: runs in c-icap's listener thread on every accepted connection,
 * before a worker thread is taken, so a refused or over-limit client never
 * holds one. Counts live in a shared anonymous mapping made in the c-icap
 * main process and inherited by every child, one row per child so that a
 * killed child's connections stop counting (its pid is gone). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "c-icap.h"
#include "debug.h"
#include "net_io.h"
#include "port.h"
#include "service.h"
#include "sk_fix.h"

struct sk_fix_conf sk_fix_conf = {
    .max_header = 65536,
    .max_preview = -1,
    .header_timeout = 300,
    .continue_timeout = 300,
    .keepalive_timeout = 600,
    .allow_all = 1,
};

#define SK_ROWS         64   /* c-icap children alive at once (MaxServers) */
#define SK_BUCKETS      4096 /* client addresses, hashed with a secret key */
#define SK_FDS          65536
#define SK_LOG_INTERVAL 60 /* s between two refusal lines for one address */

struct sk_shm {
    uint64_t key;
    int pid[SK_ROWS];
    uint32_t count[SK_ROWS][SK_BUCKETS];
    int64_t logged[2][SK_BUCKETS]; /* last refusal line: not allowed, over limit */
    uint32_t suppressed[2][SK_BUCKETS];
};

static struct sk_shm *sk_shm;
static int sk_row = -1; /* this process's row, claimed on first accept */
static int sk_row_pid;
static uint16_t sk_fd_bucket[SK_FDS]; /* bucket + 1 of an fd we counted, 0 none */
/* Accepts per descriptor number in this process, for sk_fix_conn_epoch(). */
static uint32_t sk_fd_epoch[SK_FDS];

__attribute__((constructor)) static void sk_conn_init(void)
{
    void *m = mmap(NULL, sizeof(struct sk_shm), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                   -1, 0);

    if (m == MAP_FAILED)
        return; /* limits then not enforced; logged at configuration */
    sk_shm = m;
    if (getrandom(&sk_shm->key, sizeof(sk_shm->key), 0) != (ssize_t)sizeof(sk_shm->key))
        sk_shm->key = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ULL ^ (uint64_t)getpid();
}

/* Client address as 16 bytes (IPv4 as ::ffff:a.b.c.d) and its family.
 * Takes a struct sockaddr: Debian's c-icap is built without USE_IPV6, so
 * ci_sockaddr_t holds only a sockaddr_in and AF_INET6 never comes from it. */
static int sk_addr(const struct sockaddr *sa, unsigned char out[16])
{
    uint8_t a[16];
    int family;

    memset(out, 0, 16);
    if (sk_ip_from_sockaddr(sa, &family, a) == -1) /* the toolkit's reader */
        return -1;
    if (family == 4) {
        out[10] = out[11] = 0xff;
        memcpy(out + 12, a, 4);
        return AF_INET;
    }
    memcpy(out, a, 16);
    return AF_INET6;
}

#define SK_SA(ci_addr) ((const struct sockaddr *)&(ci_addr)->sockaddr)

void sk_conn_addr_text(const struct sockaddr *a, char *buf, size_t len)
{
    unsigned char b[16];
    int fam = sk_addr(a, b);

    if (fam < 0 || !inet_ntop(fam, fam == AF_INET ? b + 12 : b, buf, (socklen_t)len))
        snprintf(buf, len, "?");
}

static unsigned sk_bucket(const unsigned char b[16])
{
    uint64_t h = 0xcbf29ce484222325ULL ^ (sk_shm ? sk_shm->key : 0);

    for (int i = 0; i < 16; i++)
        h = (h ^ b[i]) * 0x100000001b3ULL;
    h ^= h >> 29;
    return (unsigned)(h % SK_BUCKETS);
}

static int sk_pid_alive(int pid)
{
    return pid > 0 && (kill(pid, 0) == 0 || errno != ESRCH);
}

/* Claims a row for this process: a free one or one whose owner died. */
static int sk_claim_row(void)
{
    int me = getpid();

    if (sk_row >= 0 && sk_row_pid == me)
        return sk_row;
    sk_row = -1;
    memset(sk_fd_bucket, 0, sizeof(sk_fd_bucket)); /* inherited from the parent */
    for (int r = 0; r < SK_ROWS && sk_row < 0; r++) {
        int owner = __atomic_load_n(&sk_shm->pid[r], __ATOMIC_ACQUIRE);

        if (owner != 0 && sk_pid_alive(owner))
            continue;
        if (__atomic_compare_exchange_n(&sk_shm->pid[r], &owner, me, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE)) {
            for (int b = 0; b < SK_BUCKETS; b++)
                __atomic_store_n(&sk_shm->count[r][b], 0, __ATOMIC_RELAXED);
            sk_row = r;
        }
    }
    sk_row_pid = me;
    return sk_row;
}

/* Connections of a bucket in all living children. */
static long sk_bucket_total(unsigned b)
{
    long n = 0;

    for (int r = 0; r < SK_ROWS; r++) {
        uint32_t c = __atomic_load_n(&sk_shm->count[r][b], __ATOMIC_RELAXED);

        if (c != 0 &&
            (r == sk_row || sk_pid_alive(__atomic_load_n(&sk_shm->pid[r], __ATOMIC_RELAXED))))
            n += c;
    }
    return n;
}

void sk_conn_release(int fd)
{
    unsigned b;

    if (fd < 0 || fd >= SK_FDS || !sk_shm || sk_row < 0 || sk_fd_bucket[fd] == 0)
        return;
    b = sk_fd_bucket[fd] - 1u;
    sk_fd_bucket[fd] = 0;
    __atomic_sub_fetch(&sk_shm->count[sk_row][b], 1, __ATOMIC_RELAXED);
}

int sk_conn_log_ok(const struct sockaddr *a, int what)
{
    unsigned char b[16];
    unsigned k;
    int64_t now = (int64_t)time(NULL), last;

    if (!sk_shm)
        return 1;
    sk_addr(a, b);
    k = sk_bucket(b);
    last = __atomic_load_n(&sk_shm->logged[what][k], __ATOMIC_RELAXED);
    if (now - last < SK_LOG_INTERVAL ||
        !__atomic_compare_exchange_n(&sk_shm->logged[what][k], &last, now, 0, __ATOMIC_RELAXED,
                                     __ATOMIC_RELAXED)) {
        __atomic_add_fetch(&sk_shm->suppressed[what][k], 1, __ATOMIC_RELAXED);
        return 0;
    }
    return 1;
}

static uint32_t sk_take_suppressed(const struct sockaddr *a, int what)
{
    unsigned char b[16];

    sk_addr(a, b);
    return __atomic_exchange_n(&sk_shm->suppressed[what][sk_bucket(b)], 0, __ATOMIC_RELAXED);
}

void sk_conn_answer(ci_connection_t *conn, const char *status_line)
{
    char buf[160];
    int n = snprintf(buf, sizeof(buf),
                     "ICAP/1.0 %s\r\nConnection: close\r\nEncapsulated: null-body=0\r\n\r\n",
                     status_line);

    if (conn->bio)
        ci_connection_write(conn, buf, (size_t)n, 1);
    else if (send(conn->fd, buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
        return; /* best effort: the client is closed on anyway */
}

static int sk_allowed(const unsigned char b[16], int fam)
{
    if (sk_fix_conf.allow_all)
        return 1;
    return sk_cidr_list_match(sk_fix_conf.cidrs, sk_fix_conf.n_cidrs, fam == AF_INET ? 4 : 6,
                              fam == AF_INET ? b + 12 : b);
}

/* CA certificates of --tls-client-ca, read in the c-icap main process
 * (sk_fix_configure, at start and at every reconfigure: SIGHUP) and
 * inherited by the children. A reconfigure replaces the set with what the
 * file holds now, so a CA taken out of the file is no longer trusted once
 * the new children serve; a file that now holds no certificate leaves
 * none trusted (every client certificate refused) and fails the directive. */
static STACK_OF(X509) * sk_client_cas;

int sk_conn_load_client_ca(const char *path)
{
    FILE *f = fopen(path, "r");
    STACK_OF(X509) *fresh = sk_X509_new_null(), *old = sk_client_cas;
    X509 *ca;

    if (f && fresh)
        while ((ca = PEM_read_X509(f, NULL, NULL, NULL)) != NULL)
            if (!sk_X509_push(fresh, ca))
                X509_free(ca);
    if (f)
        fclose(f);
    sk_client_cas = fresh; /* NULL (no memory) trusts nothing either */
    sk_X509_pop_free(old, X509_free);
    return fresh && sk_X509_num(fresh) > 0 ? 0 : -1;
}

/* Mutual TLS: c-icap's client_ca= also trusts the system store (it calls
 * SSL_CTX_set_default_verify_paths), so a certificate from any public CA
 * would pass. The verified chain must end in a certificate of our file. */
static int sk_tls_issuer_ok(ci_connection_t *conn)
{
    SSL *ssl = NULL;
    STACK_OF(X509) * chain;
    X509 *top;

    if (sk_fix_conf.tls_client_ca[0] == '\0')
        return 1;
    BIO_get_ssl(conn->bio, &ssl);
    if (!ssl || !sk_client_cas || SSL_get_verify_result(ssl) != X509_V_OK ||
        (chain = SSL_get0_verified_chain(ssl)) == NULL || sk_X509_num(chain) < 1)
        return 0;
    top = sk_X509_value(chain, sk_X509_num(chain) - 1);
    for (int i = 0; i < sk_X509_num(sk_client_cas); i++) {
        if (X509_cmp(sk_X509_value(sk_client_cas, i), top) == 0)
            return 1;
    }
    return 0;
}

/* what: 0 not allowed (or no valid client certificate), 1 over the limit. */
static void sk_log_refusal(const struct sockaddr *a, int what, int tls)
{
    char ip[64];
    uint32_t more;

    if (!sk_conn_log_ok(a, what))
        return;
    more = sk_shm ? sk_take_suppressed(a, what) : 0;
    sk_conn_addr_text(a, ip, sizeof(ip));
    ci_debug_printf(1,
                    "sekisho guard: refusing connections from %s: %s (%u more refused "
                    "since the last line; one line per address per %d s)\n",
                    ip,
                    what == 0 ? (tls ? "not an allowed client or no valid client certificate"
                                     : "not an allowed client")
                              : "too many connections from this address",
                    more, SK_LOG_INTERVAL);
}

/* c-icap 0.5.10 leaves an ICAPS connection's client address empty once it
 * has reconfigured (SIGHUP, or a policy or signature reload): every client
 * was then refused as "?", and the policy and the access log would have no
 * client address. Taken from the socket when missing (an IPv4 address:
 * Debian's ci_sockaddr_t holds a sockaddr_in). */
static void sk_fill_claddr(ci_connection_t *conn)
{
    struct sockaddr_storage peer;
    socklen_t plen = sizeof(peer);
    unsigned char b[16];

    if (sk_addr(SK_SA(&conn->claddr), b) >= 0 || conn->fd < 0 ||
        getpeername(conn->fd, (struct sockaddr *)&peer, &plen) != 0 || peer.ss_family != AF_INET ||
        sizeof(conn->claddr.sockaddr) < sizeof(struct sockaddr_in))
        return;
    memcpy(&conn->claddr.sockaddr, &peer, sizeof(struct sockaddr_in));
    ci_fill_sockaddr(&conn->claddr);
}

/* Returns 0 to serve the connection, -1 after refusing (and closing) it. */
static int sk_admit(ci_connection_t *conn, int tls)
{
    unsigned char b[16];
    int fam, what = -1;
    unsigned k;

    sk_fill_claddr(conn);
    fam = sk_addr(SK_SA(&conn->claddr), b);

    if (conn->fd >= 0 && conn->fd < SK_FDS) /* 0 stays "unknown" after a wrap */
        if (__atomic_add_fetch(&sk_fd_epoch[conn->fd], 1, __ATOMIC_RELEASE) == 0)
            __atomic_add_fetch(&sk_fd_epoch[conn->fd], 1, __ATOMIC_RELEASE);
    if (fam < 0 || !sk_allowed(b, fam) || (tls && !sk_tls_issuer_ok(conn)))
        what = 0;
    if (what < 0 && sk_shm && sk_claim_row() >= 0 && conn->fd >= 0 && conn->fd < SK_FDS) {
        k = sk_bucket(b);
        sk_conn_release(conn->fd); /* an fd reused without a close we saw */
        if (sk_fix_conf.max_conns_per_client > 0 &&
            sk_bucket_total(k) >= sk_fix_conf.max_conns_per_client) {
            what = 1;
        } else {
            __atomic_add_fetch(&sk_shm->count[sk_row][k], 1, __ATOMIC_RELAXED);
            sk_fd_bucket[conn->fd] = (uint16_t)(k + 1);
        }
    }
    if (what < 0)
        return 0;
    if (what == 1)
        sk_conn_answer(conn, "503 Service Unavailable");
    sk_log_refusal(SK_SA(&conn->claddr), what, tls);
    /* Accepted sockets inherit c-icap's SO_LINGER: close() would wait for
     * the peer to acknowledge the 503 (a delayed ACK, ~40 ms) inside the
     * listener, i.e. ~25 refusals a second for the whole server. */
    setsockopt(conn->fd, SOL_SOCKET, SO_LINGER, &(struct linger){0, 0}, sizeof(struct linger));
    ci_connection_hard_close(conn);
    conn->fd = -1;
    return -1;
}

typedef int (*sk_accept_fn)(ci_port_t *, ci_connection_t *);
typedef int (*sk_sys_accept_fn)(int, struct sockaddr *, socklen_t *);

static SK_PRELOAD_TLS int sk_accept_refused; /* the last accept() refused a client */
static SK_PRELOAD_TLS int sk_in_icap_accept; /* inside c-icap's accept: 1 ICAP, 2 ICAPS port */

/* accept(2) itself, for c-icap's raw accept and OpenSSL's accept BIO: a
 * client outside --allow-clients is closed here, before c-icap starts a
 * TLS handshake with it (CPU, and the listener blocked meanwhile). It
 * looks like a connection aborted before accept, which c-icap skips.
 * Only ICAP ports: other listeners in the process (a status page, c-icap's
 * own sockets) keep their own rules. */
__attribute__((visibility("default"))) int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    static void *slot;
    sk_sys_accept_fn real = (sk_sys_accept_fn)sk_fix_real(&slot, "accept");
    struct sockaddr_storage peer;
    socklen_t plen = sizeof(peer);
    unsigned char b[16];
    int s, fam, what = -1;

    sk_accept_refused = 0;
    if (!real)
        return -1;
    memset(&peer, 0, sizeof(peer));
    s = real(fd, (struct sockaddr *)&peer, &plen);
    if (s < 0 || !sk_in_icap_accept ||
        (sk_fix_conf.allow_all && (sk_in_icap_accept != 2 || !sk_fix_conf.max_conns_per_client)))
        goto out;
    fam = sk_addr((struct sockaddr *)&peer, b);
    if (fam < 0 || !sk_allowed(b, fam))
        what = 0;
    /* An ICAPS client over its limit would get its 503 only after a full
     * handshake; refuse it first (the count itself is taken in sk_admit()
     * after the handshake; the accept lock makes this one at a time). */
    else if (sk_in_icap_accept == 2 && sk_fix_conf.max_conns_per_client > 0 && sk_shm &&
             sk_claim_row() >= 0 &&
             sk_bucket_total(sk_bucket(b)) >= sk_fix_conf.max_conns_per_client)
        what = 1;
    if (what < 0)
        goto out;
    setsockopt(s, SOL_SOCKET, SO_LINGER, &(struct linger){0, 0}, sizeof(struct linger));
    close(s);
    sk_log_refusal((struct sockaddr *)&peer, what, 0);
    sk_accept_refused = 1;
    errno = ECONNABORTED;
    return -1;
out:
    if (s >= 0 && addr && len) {
        memcpy(addr, &peer, *len < plen ? *len : plen);
        *len = plen;
    }
    return s;
}

/* The listening sockets this process's listener accepts on (ICAP and ICAPS
 * ports; c-icap opens them in the main process and children share them),
 * noted on each accept for sk_conn_backlog. */
#define SK_LISTEN_MAX 16
static int sk_listen_fd[SK_LISTEN_MAX];
static int sk_listen_n;

static void sk_listen_note(int fd)
{
    int n = __atomic_load_n(&sk_listen_n, __ATOMIC_ACQUIRE);

    if (fd < 0)
        return;
    for (int i = 0; i < n; i++)
        if (__atomic_load_n(&sk_listen_fd[i], __ATOMIC_RELAXED) == fd)
            return;
    if (n >= SK_LISTEN_MAX)
        return;
    /* one writer: the listener thread */
    __atomic_store_n(&sk_listen_fd[n], fd, __ATOMIC_RELAXED);
    __atomic_store_n(&sk_listen_n, n + 1, __ATOMIC_RELEASE);
}

int sk_conn_backlog(void)
{
    struct pollfd pf[SK_LISTEN_MAX];
    int n = __atomic_load_n(&sk_listen_n, __ATOMIC_ACQUIRE);

    for (int i = 0; i < n; i++)
        pf[i] = (struct pollfd){.fd = __atomic_load_n(&sk_listen_fd[i], __ATOMIC_RELAXED),
                                .events = POLLIN};
    return n > 0 && poll(pf, (nfds_t)n, 0) > 0;
}

/* c-icap's listener: a connection with fd < 0 is skipped ("aborted"). */
__attribute__((visibility("default"))) int icap_accept_raw_connection(ci_port_t *port,
                                                                      ci_connection_t *conn)
{
    static void *slot;
    sk_accept_fn real = (sk_accept_fn)sk_fix_real(&slot, "icap_accept_raw_connection");
    int r;

    if (!real)
        return -2;
    sk_listen_note(port->fd);
    sk_in_icap_accept = 1;
    r = real(port, conn);
    sk_in_icap_accept = 0;
    if (r > 0 && conn->fd >= 0 && sk_admit(conn, 0) == -1)
        return -1;
    return r;
}

/* The TLS handshake runs inside c-icap's listener thread, which holds the
 * accept lock of every child: a client that connects and stays silent would
 * stop all accepting. Accepted sockets inherit the listening socket's
 * SO_RCVTIMEO/SO_SNDTIMEO, which bound the blocking handshake. */
__attribute__((visibility("default"))) int icap_accept_tls_connection(ci_port_t *port,
                                                                      ci_connection_t *conn)
{
    static void *slot;
    sk_accept_fn real = (sk_accept_fn)sk_fix_real(&slot, "icap_accept_tls_connection");
    int r, lfd = -1;

    if (!real)
        return -2;
    if (port->bio && BIO_get_fd(port->bio, &lfd) >= 0 && lfd >= 0) {
        struct timeval tv = {sk_fix_conf.header_timeout, 0};

        setsockopt(lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(lfd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        sk_listen_note(lfd);
    }
    sk_in_icap_accept = 2;
    r = real(port, conn);
    sk_in_icap_accept = 0;
    if (r == -2 && (sk_accept_refused || errno == EAGAIN || errno == EWOULDBLOCK))
        return -1; /* refused in accept(), or it timed out: not fatal for the listener */
    if (r > 0 && conn->fd >= 0 && sk_admit(conn, 1) == -1)
        return -1;
    return r;
}

typedef void (*sk_set_max_conns_fn)(ci_service_xdata_t *, int);

/* Services advertise Max-Connections in OPTIONS (srv_sekisho: all threads
 * of all children, from the configuration as finally read). A proxy that
 * honours it must not be led past the per-client limit, where it would get
 * 503s and mark the service down: the advertised value is the smaller. */
__attribute__((visibility("default"))) void
ci_service_set_max_connections(ci_service_xdata_t *xdata, int max_connections)
{
    static void *slot;
    sk_set_max_conns_fn real =
        (sk_set_max_conns_fn)sk_fix_real(&slot, "ci_service_set_max_connections");
    int limit;

    if (max_connections > 0)
        sk_fix_capacity(max_connections); /* resolves "auto" if still unset */
    limit = sk_fix_conf.max_conns_per_client;
    if (limit > 0 && (max_connections <= 0 || max_connections > limit))
        max_connections = limit;
    if (real)
        real(xdata, max_connections);
}

/* How many connections this process has accepted on descriptor FD (0:
 * none seen, or FD out of range). A request whose FD still has the epoch
 * of an earlier request is on the same connection: srv_drain.c reads the
 * socket's inode once per connection instead of once per request. */
__attribute__((visibility("default"))) uint32_t sk_fix_conn_epoch(int fd)
{
    return fd >= 0 && fd < SK_FDS ? __atomic_load_n(&sk_fd_epoch[fd], __ATOMIC_ACQUIRE) : 0;
}

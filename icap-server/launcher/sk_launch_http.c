/* sk_launch_http.c - the status listener (--status-listen): GET /metrics,
 * /healthz, /readyz and /status over HTTP from the launcher process.
 * SECURITY: answers only the addresses of --status-allow (loopback by
 * default; a non-loopback listener needs a list, sk_launch_args.c): any
 * other peer is closed at accept, before a byte of its request is read,
 * counted (sekisho_status_refused_total) and logged at most once per
 * address per SK_STATUS_LOG_INTERVAL (and SK_STATUS_LOG_LINES lines in
 * all per interval), so a flood of refused connections cannot flood the
 * log. Serves fixed paths only, takes no request body and reveals no
 * client data (counts, versions, paths).
 *
 * Why libmicrohttpd: a maintained, fuzzed HTTP/1.1 server library in
 * Debian (libmicrohttpd12) that does the parsing, keep-alive, limits and
 * timeouts we would otherwise write by hand; its own thread (internal
 * polling) so the launcher's signal loop stays as it is.
 * Why in the launcher and not in c-icap's master: the master forks
 * children (which would inherit a listener thread's state), and on
 * reconfigure unloads and reloads srv_sekisho.so under a running thread;
 * the launcher is a separate, stable process that reads the shared
 * metrics file and knows whether c-icap is alive at all (/healthz).
 *
 * Slow clients: MHD's CONNECTION_TIMEOUT is an idle timeout that every
 * received byte restarts, so a client sending one header line every few
 * seconds held a slot for ever, and 32 of them kept /readyz from
 * answering (red team 6b STATUS-SLOW). So each request has a deadline of
 * its own, SK_STATUS_DEADLINE_MS from accept (or from the end of the
 * previous answer on a keep-alive connection) until its answer is sent;
 * our own thread runs MHD's event loop and, between its rounds, shuts
 * down the socket of a connection past it. MHD closes sockets only inside
 * MHD_run() on that same thread, so the descriptor we shut down is still
 * the connection's. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "sk_launch.h"
#include "sk_launch_status.h"
#include "sekisho/text.h"

/* A scraper and a health checker send their request in one packet and
 * read a few KB back: 5 s is ample over a slow WAN path and bounds what
 * a slot costs. Per address: Prometheus, a blackbox probe and a few
 * HAProxy processes checking from one host; the total leaves room for
 * 32 such hosts (epoll: no FD_SETSIZE bound). */
#define SK_STATUS_DEADLINE_MS 5000
#define SK_STATUS_PER_IP      8
#define SK_STATUS_CONNS       256

/* Refusals by --status-allow: at most one line per address per interval,
 * and SK_STATUS_LOG_LINES lines in all per interval. */
#define SK_STATUS_LOG_INTERVAL 60 /* s */
#define SK_STATUS_LOG_LINES    16
#define SK_STATUS_LOG_SLOTS    256

/* One accepted connection, in sk_conns from MHD's STARTED to its CLOSED
 * notification; touched only by the listener thread. */
struct sk_status_conn {
    struct sk_status_conn *prev, *next;
    int fd;            /* -1 once shut down */
    uint64_t since_ms; /* accept, or the end of the previous answer */
};

static struct MHD_Daemon *sk_httpd;
static char *sk_metrics_path;
static pid_t sk_cicap_pid;
static struct sk_status_conn sk_conns = {&sk_conns, &sk_conns, -1, 0};
static pthread_t sk_thread;
static int sk_wake_fd = -1; /* eventfd: sk_launch_status_stop() ends the loop */
/* --status-allow, borrowed from the launcher's options for its life */
static const struct sk_cidr *sk_allow_nets;
static int sk_allow_n, sk_allow_all;
static uint64_t sk_refused; /* atomic: read by /metrics */

/* Refusal log state, touched by the listener thread only (MHD calls the
 * accept policy from MHD_run on our loop thread). A slot per address
 * hash: an address whose slot another took may be logged again early,
 * which the per-interval cap on all lines bounds. */
struct sk_refusal_slot {
    int family;
    uint8_t addr[16];
    time_t logged;       /* last line for this address, 0 never */
    uint64_t suppressed; /* refusals since that line */
};
static struct sk_refusal_slot sk_rslots[SK_STATUS_LOG_SLOTS];
static time_t sk_rwindow;  /* start of the current interval */
static unsigned sk_rlines; /* lines written in it */

uint64_t sk_launch_status_refused(void)
{
    return __atomic_load_n(&sk_refused, __ATOMIC_RELAXED);
}

/* One refusal of ADDR at NOW: a line when this address had none for an
 * interval and the interval's budget of lines is not spent. */
static void sk_refusal_log(int family, const uint8_t addr[16], time_t now)
{
    size_t alen = family == 4 ? 4 : 16;
    struct sk_refusal_slot *r =
        &sk_rslots[(sk_fnv1a64(addr, alen, (uint64_t)family) ^ (uint64_t)family) %
                   SK_STATUS_LOG_SLOTS];
    char text[INET6_ADDRSTRLEN] = "?";

    if (r->family != family || memcmp(r->addr, addr, alen) != 0) {
        memset(r, 0, sizeof(*r));
        r->family = family;
        memcpy(r->addr, addr, alen);
    }
    if (now - sk_rwindow >= SK_STATUS_LOG_INTERVAL) {
        sk_rwindow = now;
        sk_rlines = 0;
    }
    if ((r->logged && now - r->logged < SK_STATUS_LOG_INTERVAL) ||
        sk_rlines >= SK_STATUS_LOG_LINES) {
        r->suppressed++;
        return;
    }
    inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, text, sizeof(text));
    fprintf(stderr,
            SK_LAUNCH_PROG ": status listener: refused a connection from %s: not in "
                           "--status-allow (%llu more since the last line; one line per "
                           "address per %d s)\n",
            text, (unsigned long long)r->suppressed, SK_STATUS_LOG_INTERVAL);
    r->logged = now;
    r->suppressed = 0;
    sk_rlines++;
}

/* MHD's accept policy: before MHD reads anything from the connection. */
static enum MHD_Result sk_accept_policy(void *cls, const struct sockaddr *sa, socklen_t len)
{
    uint8_t addr[16];
    int family;

    (void)cls, (void)len;
    if (sk_allow_all)
        return MHD_YES;
    int known = sk_ip_from_sockaddr(sa, &family, addr) == 0;
    if (known && sk_cidr_list_match(sk_allow_nets, sk_allow_n, family, addr))
        return MHD_YES;
    __atomic_add_fetch(&sk_refused, 1, __ATOMIC_RELAXED);
    if (known)
        sk_refusal_log(family, addr, time(NULL));
    return MHD_NO;
}

void sk_launch_status_set_cicap(pid_t pid)
{
    __atomic_store_n(&sk_cicap_pid, pid, __ATOMIC_RELEASE);
}

static enum MHD_Result sk_reply(struct MHD_Connection *conn, unsigned status, const char *ctype,
                                char *body, size_t len)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    enum MHD_Result rc;

    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", ctype);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rc;
}

static int sk_cicap_alive(void)
{
    pid_t pid = __atomic_load_n(&sk_cicap_pid, __ATOMIC_ACQUIRE);

    return pid > 0 && kill(pid, 0) == 0;
}

/* Renders PATH into a malloc'd body; *status gets the HTTP status. */
static char *sk_render(const char *url, unsigned *status, const char **ctype, size_t *len)
{
    struct sk_status_snap *s = malloc(sizeof(*s));
    char *body = NULL;
    FILE *f = open_memstream(&body, len);

    *status = 200;
    *ctype = "application/json";
    if (!s || !f) {
        *status = 500;
        goto out;
    }
    if (sk_status_read(sk_metrics_path, s) == -1)
        s->have = 0;
    s->status_refused = sk_launch_status_refused();
    if (strcmp(url, "/metrics") == 0) {
        *ctype = "text/plain; version=0.0.4; charset=utf-8";
        sk_status_metrics(f, s);
    } else if (strcmp(url, "/healthz") == 0) {
        int up = sk_cicap_alive() && s->have && s->master_alive;
        *status = up ? 200 : 503;
        fprintf(f, "{\"alive\":%s}\n", up ? "true" : "false");
    } else if (strcmp(url, "/readyz") == 0) {
        *status = sk_cicap_alive() && sk_status_ready(f, s) ? 200 : 503;
    } else if (strcmp(url, "/status") == 0) {
        *ctype = "text/plain; charset=utf-8";
        sk_status_text(f, s);
    } else {
        *status = 404;
        fputs("{\"error\":\"not found; try /metrics /healthz /readyz /status\"}\n", f);
    }
out:
    if (f)
        fclose(f);
    free(s);
    if (*status == 500) {
        free(body);
        body = NULL;
    }
    return body;
}

static enum MHD_Result sk_handle(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload,
                                 size_t *upload_size, void **con_cls)
{
    const char *ctype;
    unsigned status;
    size_t len = 0;
    char *body;

    (void)cls, (void)version, (void)upload, (void)con_cls;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return sk_reply(conn, 405, "text/plain", strdup("GET only\n"), 9);
    if (*upload_size != 0)
        return MHD_NO;
    body = sk_render(url, &status, &ctype, &len);
    if (!body)
        return MHD_NO;
    return sk_reply(conn, status, ctype, body, len);
}

static uint64_t sk_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* MHD_OPTION_NOTIFY_CONNECTION: track every connection from accept; one
 * we cannot track is shut down at once rather than left unbounded. */
static void sk_conn_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                           enum MHD_ConnectionNotificationCode code)
{
    struct sk_status_conn *c = *socket_context;
    const union MHD_ConnectionInfo *ci;

    (void)cls;
    if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        if (c) {
            c->prev->next = c->next;
            c->next->prev = c->prev;
            free(c);
            *socket_context = NULL;
        }
        return;
    }
    if (!(ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD)))
        return;
    if (!(c = calloc(1, sizeof(*c)))) {
        shutdown(ci->connect_fd, SHUT_RDWR);
        return;
    }
    c->fd = ci->connect_fd;
    c->since_ms = sk_now_ms();
    c->next = &sk_conns;
    c->prev = sk_conns.prev;
    sk_conns.prev->next = c;
    sk_conns.prev = c;
    *socket_context = c;
}

/* MHD_OPTION_NOTIFY_COMPLETED: an answer went out; the next request on
 * this keep-alive connection gets a deadline of its own. */
static void sk_request_done(void *cls, struct MHD_Connection *conn, void **con_cls,
                            enum MHD_RequestTerminationCode toe)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct sk_status_conn *c = ci ? ci->socket_context : NULL;

    (void)cls, (void)con_cls, (void)toe;
    if (c)
        c->since_ms = sk_now_ms();
}

/* Shuts down every connection past its deadline (MHD sees the end of the
 * stream and closes it on its next round); returns the milliseconds to
 * the next deadline, or -1 when none is pending. */
static int sk_status_sweep(uint64_t now)
{
    struct sk_status_conn *c;
    int next = -1;

    for (c = sk_conns.next; c != &sk_conns; c = c->next) {
        uint64_t due = c->since_ms + SK_STATUS_DEADLINE_MS;

        if (c->fd == -1)
            continue;
        if (now >= due) {
            shutdown(c->fd, SHUT_RDWR);
            c->fd = -1;
        } else if (next == -1 || due - now < (uint64_t)next) {
            next = (int)(due - now);
        }
    }
    return next;
}

/* The listener thread: MHD's epoll descriptor and the stop eventfd, with
 * a timeout no later than MHD's own and the next request deadline. */
static void *sk_status_loop(void *arg)
{
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(sk_httpd, MHD_DAEMON_INFO_EPOLL_FD);
    struct pollfd p[2] = {{.fd = di ? di->epoll_fd : -1, .events = POLLIN},
                          {.fd = sk_wake_fd, .events = POLLIN}};

    (void)arg;
    for (;;) {
        MHD_UNSIGNED_LONG_LONG mhd_ms;
        int wait = sk_status_sweep(sk_now_ms());

        if (MHD_get_timeout(sk_httpd, &mhd_ms) == MHD_YES &&
            (wait == -1 || mhd_ms < (MHD_UNSIGNED_LONG_LONG)wait))
            wait = mhd_ms > SK_STATUS_DEADLINE_MS ? SK_STATUS_DEADLINE_MS : (int)mhd_ms;
        if (poll(p, 2, wait) == -1 && errno != EINTR)
            break;
        if (p[1].revents)
            break;
        MHD_run(sk_httpd);
    }
    return NULL;
}

/* Starts the loop thread with every signal blocked: signals belong to the
 * launcher's sigtimedwait() loop. */
static int sk_status_thread(void)
{
    sigset_t all, old;
    int rc;

    if ((sk_wake_fd = eventfd(0, EFD_CLOEXEC)) == -1)
        return -1;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    rc = pthread_create(&sk_thread, NULL, sk_status_loop, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        close(sk_wake_fd);
        sk_wake_fd = -1;
        return -1;
    }
    return 0;
}

int sk_launch_status_start(const struct sk_listen *l, int allow_all, const struct sk_cidr *nets,
                           int n_nets, const char *metrics_file, char **err)
{
    struct sockaddr_storage ss;
    unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;

    memset(&ss, 0, sizeof(ss));
    if (l->family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((unsigned short)l->port);
        inet_pton(AF_INET6, l->host, &a->sin6_addr);
        flags |= MHD_USE_IPv6;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((unsigned short)l->port);
        inet_pton(AF_INET, l->host, &a->sin_addr);
    }
    sk_allow_all = allow_all;
    sk_allow_nets = nets;
    sk_allow_n = n_nets;
    if (!(sk_metrics_path = strdup(metrics_file))) {
        *err = sk_launch_strf("out of memory");
        return -1;
    }
    /* MHD's idle timeout stays as a backstop behind the request deadline */
    sk_httpd = MHD_start_daemon(
        flags, (uint16_t)l->port, sk_accept_policy, NULL, sk_handle, NULL, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT, (unsigned)SK_STATUS_CONNS,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)SK_STATUS_PER_IP,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(SK_STATUS_DEADLINE_MS / 1000),
        MHD_OPTION_NOTIFY_CONNECTION, sk_conn_notify, NULL, MHD_OPTION_NOTIFY_COMPLETED,
        sk_request_done, NULL, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)65536, MHD_OPTION_END);
    if (!sk_httpd) {
        *err = sk_launch_strf("--status-listen %s: cannot listen (address in use?)",
                              l->port_directive);
        goto fail;
    }
    if (sk_status_thread() == -1) {
        *err = sk_launch_strf("--status-listen %s: cannot start the listener thread",
                              l->port_directive);
        MHD_stop_daemon(sk_httpd);
        sk_httpd = NULL;
        goto fail;
    }
    return 0;
fail:
    free(sk_metrics_path);
    sk_metrics_path = NULL;
    return -1;
}

void sk_launch_status_stop(void)
{
    uint64_t one = 1;

    if (sk_httpd) {
        /* an eventfd write fails only when its counter would overflow */
        if (write(sk_wake_fd, &one, sizeof(one)) != (ssize_t)sizeof(one))
            fputs(SK_LAUNCH_PROG ": status listener: cannot wake its thread\n", stderr);
        pthread_join(sk_thread, NULL);
        MHD_stop_daemon(sk_httpd);
    }
    sk_httpd = NULL;
    if (sk_wake_fd != -1)
        close(sk_wake_fd);
    sk_wake_fd = -1;
    free(sk_metrics_path);
    sk_metrics_path = NULL;
}

/* icapbench.c - single-process epoll ICAP load generator (OPTIONS, REQMOD,
 * RESPMOD over keep-alive connections). Trusts its command line and input
 * files; treats everything the server sends as untrusted (sk_bench_resp.c). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "sk_bench.h"

#define SK_RBUF (256 * 1024)
#define SK_HDR  8192
#define SK_VARY 16

enum sk_meth { SK_OPTIONS, SK_REQMOD, SK_RESPMOD };
enum sk_cstate { SK_C_IDLE, SK_C_CONNECTING, SK_C_BUSY };

struct sk_conf {
    const char *host, *service, *method_name, *body_path, *url, *url_list, *ctype;
    int port, connections, preview, allow204, vary, json, mem_pid;
    int preview_server; /* --preview server: the size the service's OPTIONS announce */
    enum sk_meth method;
    double duration, timeout;
    uint64_t requests;
    const char *body; /* mmap'd, read-only; borrowed for the whole run */
    size_t blen;
    char **urls;
    size_t nurls;
};

struct sk_conn {
    int fd;
    enum sk_cstate state;
    unsigned reqs_on_conn;
    int expect_100, resp_final, got_resp_bytes, pending_retry;
    int last_err; /* errno of the failed read/write, 0 for EOF */
    uint64_t t_start, retry_at, body_queued, body_total;
    size_t url_idx;
    char vary[SK_VARY];
    char hdr[SK_HDR];
    char chunk[32];
    struct iovec iov[6];
    int iovcnt, iovpos;
    struct sk_resp resp;
    char *rbuf;
    size_t rlen;
};

struct sk_bench {
    struct sk_conf cf;
    struct sk_conn *conns;
    int ep;
    struct addrinfo *addr;
    uint64_t issued, counter, t0, deadline, last_done;
    size_t next_url;
    int stopping;
    struct sk_report rep;
};

static volatile sig_atomic_t sk_interrupted;

static uint64_t sk_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void sk_die(const char *msg, const char *arg)
{
    fprintf(stderr, "icapbench: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
    exit(2);
}

/* True while new requests may still be started. */
static int sk_budget(struct sk_bench *b)
{
    if (sk_interrupted || b->stopping)
        return 0;
    if (b->cf.requests && b->issued >= b->cf.requests)
        return 0;
    if (b->deadline && sk_now_us() >= b->deadline)
        return 0;
    return 1;
}

/* ---- request construction --------------------------------------------- */

/* Appends the iovecs for body bytes [from, to): the varied prefix comes
 * from the connection, the rest straight from the mapped file. */
static void sk_body_iov(struct sk_bench *b, struct sk_conn *c, size_t from, size_t to)
{
    size_t split = b->cf.vary ? (b->cf.blen < SK_VARY ? b->cf.blen : SK_VARY) : 0;

    c->body_queued += to - from;
    if (from < split) {
        size_t e = to < split ? to : split;
        c->iov[c->iovcnt++] = (struct iovec){c->vary + from, e - from};
        from = e;
    }
    if (from < to)
        c->iov[c->iovcnt++] = (struct iovec){(void *)(b->cf.body + from), to - from};
}

static void sk_push(struct sk_conn *c, const char *s, size_t n)
{
    c->iov[c->iovcnt++] = (struct iovec){(void *)s, n};
}

/* Writes the ICAP and encapsulated HTTP headers into c->hdr; returns length. */
static size_t sk_build_head(struct sk_bench *b, struct sk_conn *c, int with_body)
{
    struct sk_conf *cf = &b->cf;
    const char *url = cf->nurls ? cf->urls[c->url_idx] : cf->url;
    char http[4096], host[256], enc[128], extra[96] = "";
    const char *h = strstr(url, "://");
    size_t hl, hreq = 0;
    int n;

    h = h ? h + 3 : url;
    hl = strcspn(h, "/:?#");
    if (hl >= sizeof(host))
        hl = sizeof(host) - 1;
    memcpy(host, h, hl);
    host[hl] = '\0';
    if (cf->method == SK_OPTIONS) {
        http[0] = '\0';
        snprintf(enc, sizeof(enc), "null-body=0");
    } else if (cf->method == SK_REQMOD) {
        if (with_body)
            n = snprintf(http, sizeof(http),
                         "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\n"
                         "Content-Length: %zu\r\n\r\n",
                         url, host, cf->ctype, cf->blen);
        else
            n = snprintf(http, sizeof(http),
                         "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: icapbench\r\n"
                         "Accept: */*\r\n\r\n",
                         url, host);
        snprintf(enc, sizeof(enc), "req-hdr=0, %s=%d", with_body ? "req-body" : "null-body", n);
    } else {
        hreq =
            (size_t)snprintf(http, sizeof(http), "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", url, host);
        n = snprintf(http + hreq, sizeof(http) - hreq,
                     "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %zu\r\n\r\n",
                     cf->ctype, cf->blen);
        snprintf(enc, sizeof(enc), "req-hdr=0, res-hdr=%zu, %s=%zu", hreq,
                 with_body ? "res-body" : "null-body", hreq + (size_t)n);
    }
    if (cf->allow204)
        strcat(extra, "Allow: 204\r\n");
    if (cf->preview >= 0 && with_body)
        snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra), "Preview: %d\r\n",
                 cf->preview);
    n = snprintf(c->hdr, sizeof(c->hdr),
                 "%s icap://%s:%d/%s ICAP/1.0\r\nHost: %s:%d\r\nUser-Agent: icapbench\r\n"
                 "X-Client-IP: 127.0.0.1\r\n%sEncapsulated: %s\r\n\r\n%s",
                 cf->method_name, cf->host, cf->port, cf->service, cf->host, cf->port, extra, enc,
                 http);
    return n > 0 && (size_t)n < sizeof(c->hdr) ? (size_t)n : 0;
}

static void sk_start_request(struct sk_bench *b, struct sk_conn *c, int retry)
{
    struct sk_conf *cf = &b->cf;
    int with_body = cf->method != SK_OPTIONS && cf->blen > 0;
    size_t hl, pv;
    char tmp[SK_VARY + 1];

    if (!retry) {
        b->issued++;
        b->rep.c.started++;
        if (cf->nurls)
            c->url_idx = b->next_url++ % cf->nurls;
        if (cf->vary) {
            snprintf(tmp, sizeof(tmp), "%016llx", (unsigned long long)b->counter++);
            memcpy(c->vary, tmp, SK_VARY);
        }
    }
    c->iovcnt = c->iovpos = 0;
    c->body_queued = 0;
    c->expect_100 = c->resp_final = c->got_resp_bytes = 0;
    sk_resp_reset(&c->resp);
    c->rlen = 0;
    hl = sk_build_head(b, c, with_body);
    if (hl == 0)
        sk_die("request headers too long", cf->url);
    sk_push(c, c->hdr, hl);
    if (with_body) {
        pv = cf->preview >= 0 && (size_t)cf->preview < cf->blen ? (size_t)cf->preview : cf->blen;
        if (pv > 0) {
            snprintf(c->chunk, sizeof(c->chunk), "%zx\r\n", pv);
            sk_push(c, c->chunk, strlen(c->chunk));
            sk_body_iov(b, c, 0, pv);
        }
        if (cf->preview >= 0 && pv == cf->blen)
            sk_push(c, pv ? "\r\n0; ieof\r\n\r\n" : "0; ieof\r\n\r\n", pv ? 13 : 11);
        else
            sk_push(c, pv ? "\r\n0\r\n\r\n" : "0\r\n\r\n", pv ? 7 : 5);
        c->expect_100 = cf->preview >= 0 && pv < cf->blen;
    }
    c->body_total = with_body ? cf->blen : 0;
    c->state = SK_C_BUSY;
    if (!retry)
        c->t_start = sk_now_us();
}

/* After 100 Continue: the rest of the body, then the last chunk. */
static void sk_queue_rest(struct sk_bench *b, struct sk_conn *c)
{
    size_t pv = (size_t)b->cf.preview;

    c->iovcnt = c->iovpos = 0;
    snprintf(c->chunk, sizeof(c->chunk), "%zx\r\n", b->cf.blen - pv);
    sk_push(c, c->chunk, strlen(c->chunk));
    sk_body_iov(b, c, pv, b->cf.blen);
    sk_push(c, "\r\n0\r\n\r\n", 7);
    c->expect_100 = 0;
}

/* ---- connections ------------------------------------------------------ */

static void sk_close(struct sk_bench *b, struct sk_conn *c)
{
    if (c->fd >= 0) {
        epoll_ctl(b->ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    c->fd = -1;
    c->state = SK_C_IDLE;
    c->reqs_on_conn = 0;
    c->pending_retry = 0;
}

static int sk_connect(struct sk_bench *b, struct sk_conn *c)
{
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET};
    int one = 1;

    c->fd = socket(b->addr->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd == -1)
        return -1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    ev.data.ptr = c;
    if (epoll_ctl(b->ep, EPOLL_CTL_ADD, c->fd, &ev) == -1) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    if (connect(c->fd, b->addr->ai_addr, b->addr->ai_addrlen) == -1 && errno != EINPROGRESS) {
        sk_close(b, c);
        return -1;
    }
    c->state = SK_C_CONNECTING;
    return 0;
}

/* Counts a failed request and, budget permitting, tries again later. */
static void sk_fail(struct sk_bench *b, struct sk_conn *c, uint64_t *counter)
{
    (*counter)++;
    /* A failed connect uses up a request too, so --requests bounds the
     * attempts against a server that is down. */
    if (c->state == SK_C_CONNECTING && !c->pending_retry) {
        b->issued++;
        b->rep.c.started++;
    }
    sk_close(b, c);
    c->retry_at = sk_now_us() + 10000; /* no hot loop against a dead server */
}

static void sk_count_status(struct sk_counts *k, int st)
{
    if (st == 200)
        k->st200++;
    else if (st == 204)
        k->st204++;
    else if (st >= 400 && st < 500)
        k->st4xx++;
    else if (st >= 500 && st < 600)
        k->st5xx++;
    else
        k->st_other++;
}

static void sk_complete(struct sk_bench *b, struct sk_conn *c)
{
    uint64_t now = sk_now_us();

    c->resp_final = 0;
    sk_lat_add(&b->rep.lat, now - c->t_start);
    b->rep.c.completed++;
    b->rep.c.body_sent += c->body_queued;
    b->rep.c.body_recv += c->resp.body_bytes;
    sk_count_status(&b->rep.c, c->resp.status);
    b->last_done = now;
    c->reqs_on_conn++;
    if (c->resp.conn_close) {
        sk_close(b, c);
        if (sk_budget(b) && sk_connect(b, c) == 0)
            c->t_start = now;
        return;
    }
    c->state = SK_C_IDLE;
    if (sk_budget(b))
        sk_start_request(b, c, 0);
    else
        sk_close(b, c); /* done: free the server thread for connections still queued */
}

/* A finished response block: 100 Continue or the final answer. */
static int sk_on_response(struct sk_bench *b, struct sk_conn *c)
{
    if (c->resp.status == 100) {
        if (!c->expect_100 || c->iovpos < c->iovcnt)
            return -1;
        b->rep.c.st100++;
        sk_resp_reset(&c->resp);
        sk_queue_rest(b, c);
        return 0;
    }
    c->resp_final = 1;
    if (c->expect_100) /* answered inside the preview: nothing more to send */
        c->iovpos = c->iovcnt;
    if (c->iovpos == c->iovcnt)
        sk_complete(b, c);
    return 0;
}

/* Writes what is queued; returns 0, or -1 on a connection error. */
static int sk_do_write(struct sk_bench *b, struct sk_conn *c)
{
    ssize_t n;

    while (c->iovpos < c->iovcnt) {
        n = writev(c->fd, c->iov + c->iovpos, c->iovcnt - c->iovpos);
        if (n == -1) {
            if (errno == EINTR)
                continue;
            c->last_err = errno;
            return errno == EAGAIN ? 0 : -1;
        }
        while (n > 0 && c->iovpos < c->iovcnt) {
            struct iovec *v = &c->iov[c->iovpos];

            if ((size_t)n >= v->iov_len) {
                n -= (ssize_t)v->iov_len;
                c->iovpos++;
            } else {
                v->iov_base = (char *)v->iov_base + n;
                v->iov_len -= (size_t)n;
                n = 0;
            }
        }
    }
    if (c->resp_final && c->state == SK_C_BUSY)
        sk_complete(b, c);
    return 0;
}

/* Reads and parses; returns 1 if it queued new output, 0, -1 connection
 * error (EOF or reset), -2 protocol error. */
static int sk_do_read(struct sk_bench *b, struct sk_conn *c)
{
    ssize_t n;
    long used;
    int queued = 0;

    for (;;) {
        if (c->rlen == SK_RBUF)
            return -2; /* a header or chunk line larger than the buffer */
        n = read(c->fd, c->rbuf + c->rlen, SK_RBUF - c->rlen);
        if (n == 0) {
            c->last_err = 0;
            return -1;
        }
        if (n == -1) {
            if (errno == EINTR)
                continue;
            c->last_err = errno;
            return errno == EAGAIN ? queued : -1;
        }
        if (c->state != SK_C_BUSY)
            return -2; /* bytes nobody asked for */
        c->got_resp_bytes = 1;
        c->rlen += (size_t)n;
        while (c->rlen > 0 && c->state == SK_C_BUSY) {
            used = sk_resp_feed(&c->resp, c->rbuf, c->rlen);
            if (used == -1)
                return -2;
            memmove(c->rbuf, c->rbuf + used, c->rlen - (size_t)used);
            c->rlen -= (size_t)used;
            if (c->resp.state != SK_RESP_DONE) {
                if (used == 0)
                    break;
                continue;
            }
            if (c->resp_final)
                return -2; /* a second response to one request */
            if (sk_on_response(b, c) == -1)
                return -2;
            queued = 1;
            if (c->fd == -1)
                return 0;
        }
        if (c->rlen > 0 && c->state != SK_C_BUSY)
            return -2;
    }
}

static void sk_on_conn_error(struct sk_bench *b, struct sk_conn *c, int rc)
{
    /* A server may close a keep-alive connection between requests (c-icap
     * MaxKeepAliveRequests); that is a reconnect, not an error: retry the
     * same request once on a new connection. */
    if (rc == -1 && c->reqs_on_conn > 0 && !c->got_resp_bytes && c->state == SK_C_BUSY) {
        b->rep.c.reconnects++;
        sk_close(b, c);
        if (sk_connect(b, c) == 0) {
            c->pending_retry = 1;
            return;
        }
    }
    /* A reset, or a close before any answer byte: the server dropped the
     * connection instead of answering (counted apart from clean 503s). */
    if (rc == -1 && c->state == SK_C_BUSY &&
        (c->last_err == ECONNRESET || c->last_err == EPIPE ||
         (c->last_err == 0 && !c->got_resp_bytes)))
        b->rep.c.resets++;
    if (c->state == SK_C_BUSY || c->state == SK_C_CONNECTING)
        sk_fail(b, c, rc == -2 ? &b->rep.c.proto_errors : &b->rep.c.conn_errors);
    else
        sk_close(b, c);
}

static void sk_drive(struct sk_bench *b, struct sk_conn *c, uint32_t events)
{
    int rc, err = 0;
    socklen_t el = sizeof(err);

    if (c->state == SK_C_CONNECTING) {
        if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
            return;
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) == -1 || err != 0 ||
            (events & (EPOLLERR | EPOLLHUP))) {
            if (err == ECONNREFUSED)
                b->rep.c.refused++;
            sk_fail(b, c, &b->rep.c.conn_errors);
            return;
        }
        c->state = SK_C_IDLE;
        if (c->pending_retry) {
            c->pending_retry = 0;
            sk_start_request(b, c, 1);
        } else if (sk_budget(b)) {
            sk_start_request(b, c, 0);
        } else {
            sk_close(b, c);
            return;
        }
    }
    do {
        if (c->fd == -1)
            return;
        if (sk_do_write(b, c) == -1) {
            sk_on_conn_error(b, c, -1);
            return;
        }
        if (c->fd == -1)
            return;
        rc = sk_do_read(b, c);
        if (rc < 0) {
            sk_on_conn_error(b, c, rc);
            return;
        }
    } while (rc == 1);
}

/* Opens idle slots, enforces timeouts, samples memory. */
static void sk_housekeeping(struct sk_bench *b)
{
    uint64_t now = sk_now_us(), tmo = (uint64_t)(b->cf.timeout * 1e6);
    int i;

    for (i = 0; i < b->cf.connections; i++) {
        struct sk_conn *c = &b->conns[i];

        if (c->state != SK_C_IDLE && now - c->t_start > tmo && c->t_start) {
            sk_fail(b, c, &b->rep.c.timeouts);
            c->t_start = 0;
        }
        if (c->state == SK_C_IDLE && c->fd == -1 && now >= c->retry_at && sk_budget(b)) {
            if (sk_connect(b, c) == -1) {
                sk_fail(b, c, &b->rep.c.conn_errors);
                continue;
            }
            c->t_start = now;
        }
    }
}

static int sk_all_idle(struct sk_bench *b)
{
    int i;

    for (i = 0; i < b->cf.connections; i++)
        if (b->conns[i].state != SK_C_IDLE)
            return 0;
    return 1;
}

static void sk_run(struct sk_bench *b)
{
    struct epoll_event evs[256];
    uint64_t next_sample = 0, hard_end;
    int n, i;

    b->t0 = sk_now_us();
    b->deadline = b->cf.duration > 0 ? b->t0 + (uint64_t)(b->cf.duration * 1e6) : 0;
    hard_end = b->deadline ? b->deadline + (uint64_t)(b->cf.timeout * 1e6) + 1000000 : 0;
    for (;;) {
        uint64_t now = sk_now_us();

        if (b->cf.mem_pid > 0 && now >= next_sample) {
            sk_mem_sample(&b->rep.mem);
            next_sample = now + 50000; /* short scan peaks must not fall between */
        }
        sk_housekeeping(b);
        if (!sk_budget(b) && sk_all_idle(b))
            break;
        if (hard_end && now > hard_end)
            break;
        n = epoll_wait(b->ep, evs, 256, 50);
        for (i = 0; i < n; i++)
            sk_drive(b, evs[i].data.ptr, evs[i].events);
    }
    if (b->cf.mem_pid > 0)
        sk_mem_sample(&b->rep.mem);
    b->rep.elapsed = ((b->last_done ? b->last_done : sk_now_us()) - b->t0) / 1e6;
}

/* ---- setup ------------------------------------------------------------ */

static void sk_usage(FILE *out)
{
    fprintf(out, "usage: icapbench [options]\n"
                 "  --host H             server address (127.0.0.1)\n"
                 "  --port P             server port (1344)\n"
                 "  --service NAME       ICAP service path (echo)\n"
                 "  --method M           OPTIONS | REQMOD | RESPMOD (OPTIONS)\n"
                 "  --connections N      keep-alive connections, each back to back (4)\n"
                 "  --duration S         stop starting requests after S seconds\n"
                 "  --requests N         stop after N requests (default: --duration 10)\n"
                 "  --body FILE          encapsulated body (REQMOD: POST; RESPMOD: response)\n"
                 "  --content-type T     of the body (application/octet-stream)\n"
                 "  --url URL            HTTP URL (http://bench.example/)\n"
                 "  --url-list FILE      URLs, one a line, used round-robin\n"
                 "  --preview N          send Preview: N and wait for 100 Continue\n"
                 "  --preview server     the Preview the service announces in OPTIONS\n"
                 "                       (none when it announces none), as Squid does\n"
                 "  --allow204           send Allow: 204\n"
                 "  --vary               overwrite the first 16 body bytes with a counter\n"
                 "                       (from a random start: unique across runs)\n"
                 "  --timeout S          per-request timeout (30)\n"
                 "  --mem-pid PID        sample peak RSS/PSS of this process tree\n"
                 "  --json               one JSON object on stdout\n");
}

static const char *sk_map_file(const char *path, size_t *len)
{
    struct stat st;
    void *p;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd == -1 || fstat(fd, &st) == -1)
        sk_die("cannot open", path);
    *len = (size_t)st.st_size;
    if (*len == 0) {
        close(fd);
        return "";
    }
    p = mmap(NULL, *len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
        sk_die("cannot map", path);
    return p;
}

/* Splits a URL list into lines; the mapping is copied so it can be cut. */
static void sk_load_urls(struct sk_conf *cf)
{
    size_t len, cap = 1024;
    const char *m = sk_map_file(cf->url_list, &len);
    char *s = malloc(len + 1), *line, *save = NULL;

    if (s == NULL || (cf->urls = malloc(cap * sizeof(char *))) == NULL)
        sk_die("out of memory", NULL);
    memcpy(s, m, len);
    s[len] = '\0';
    for (line = strtok_r(s, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
        if (*line == '\0' || *line == '#' || strlen(line) > 2000)
            continue;
        if (cf->nurls == cap && (cf->urls = realloc(cf->urls, (cap *= 2) * sizeof(char *))) == NULL)
            sk_die("out of memory", NULL);
        cf->urls[cf->nurls++] = line;
    }
    if (cf->nurls == 0)
        sk_die("no URLs in", cf->url_list);
}

static double sk_num(const char *opt, const char *v, double min, double max)
{
    char *e;
    double d = strtod(v, &e);

    if (*v == '\0' || *e != '\0' || d < min || d > max)
        sk_die("bad value for", opt);
    return d;
}

static void sk_parse(struct sk_conf *cf, int argc, char **argv)
{
    static const struct option opts[] = {{"host", 1, 0, 'h'},
                                         {"port", 1, 0, 'p'},
                                         {"service", 1, 0, 's'},
                                         {"method", 1, 0, 'm'},
                                         {"connections", 1, 0, 'c'},
                                         {"duration", 1, 0, 'd'},
                                         {"requests", 1, 0, 'n'},
                                         {"body", 1, 0, 'b'},
                                         {"url", 1, 0, 'u'},
                                         {"url-list", 1, 0, 'U'},
                                         {"preview", 1, 0, 'P'},
                                         {"allow204", 0, 0, 'a'},
                                         {"vary", 0, 0, 'v'},
                                         {"json", 0, 0, 'j'},
                                         {"timeout", 1, 0, 't'},
                                         {"mem-pid", 1, 0, 'M'},
                                         {"content-type", 1, 0, 'T'},
                                         {"help", 0, 0, 'H'},
                                         {0, 0, 0, 0}};
    int o;

    *cf = (struct sk_conf){.host = "127.0.0.1",
                           .port = 1344,
                           .service = "echo",
                           .method_name = "OPTIONS",
                           .connections = 4,
                           .preview = -1,
                           .timeout = 30,
                           .url = "http://bench.example/",
                           .ctype = "application/octet-stream"};
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'h':
            cf->host = optarg;
            break;
        case 'p':
            cf->port = (int)sk_num("--port", optarg, 1, 65535);
            break;
        case 's':
            cf->service = optarg;
            break;
        case 'm':
            cf->method_name = optarg;
            break;
        case 'c':
            cf->connections = (int)sk_num("--connections", optarg, 1, 10000);
            break;
        case 'd':
            cf->duration = sk_num("--duration", optarg, 0.01, 86400);
            break;
        case 'n':
            cf->requests = (uint64_t)sk_num("--requests", optarg, 1, 1e12);
            break;
        case 'b':
            cf->body_path = optarg;
            break;
        case 'u':
            cf->url = optarg;
            break;
        case 'U':
            cf->url_list = optarg;
            break;
        case 'P':
            if (strcmp(optarg, "server") == 0)
                cf->preview_server = 1;
            else
                cf->preview = (int)sk_num("--preview", optarg, 0, 1 << 20);
            break;
        case 'a':
            cf->allow204 = 1;
            break;
        case 'v':
            cf->vary = 1;
            break;
        case 'j':
            cf->json = 1;
            break;
        case 't':
            cf->timeout = sk_num("--timeout", optarg, 0.1, 3600);
            break;
        case 'M':
            cf->mem_pid = (int)sk_num("--mem-pid", optarg, 1, 1 << 30);
            break;
        case 'T':
            cf->ctype = optarg;
            break;
        case 'H':
            sk_usage(stdout);
            exit(0);
        default:
            sk_usage(stderr);
            exit(2);
        }
    }
    if (optind != argc)
        sk_die("unexpected argument", argv[optind]);
    if (strcmp(cf->method_name, "OPTIONS") == 0)
        cf->method = SK_OPTIONS;
    else if (strcmp(cf->method_name, "REQMOD") == 0)
        cf->method = SK_REQMOD;
    else if (strcmp(cf->method_name, "RESPMOD") == 0)
        cf->method = SK_RESPMOD;
    else
        sk_die("--method must be OPTIONS, REQMOD or RESPMOD", cf->method_name);
    if (cf->duration == 0 && cf->requests == 0)
        cf->duration = 10;
    if (strlen(cf->url) > 2000 || strlen(cf->service) > 200 || strlen(cf->host) > 200 ||
        strpbrk(cf->url, "\r\n ") || strpbrk(cf->service, "\r\n "))
        sk_die("--url, --service or --host too long or has spaces", NULL);
    if (cf->body_path)
        cf->body = sk_map_file(cf->body_path, &cf->blen);
    if (cf->url_list)
        sk_load_urls(cf);
}

/* Raises the soft descriptor limit to the hard one: 1000 connections do
 * not fit the usual soft limit of 1024 with epoll and the files. */
static void sk_raise_fd_limit(int connections)
{
    struct rlimit rl;
    char need[32];

    if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
        sk_die("getrlimit", strerror(errno));
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
            sk_die("setrlimit", strerror(errno));
    }
    if (rl.rlim_cur != RLIM_INFINITY && (rlim_t)connections + 32 > rl.rlim_cur) {
        snprintf(need, sizeof(need), "%d", connections + 32);
        sk_die("descriptor limit too low for --connections; need", need);
    }
}

/* --preview server: one OPTIONS exchange on a blocking connection; the
 * Preview header of the answer, -1 without one (RFC 3507 4.10.2: no
 * preview), as Squid takes it. */
static int sk_server_preview(struct sk_conf *cf, const struct addrinfo *ai)
{
    char req[512], buf[16384], *p, *end;
    size_t got = 0;
    ssize_t n;
    long v = -1;
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int len = snprintf(req, sizeof(req),
                       "OPTIONS icap://%s:%d/%s ICAP/1.0\r\nHost: %s:%d\r\n"
                       "User-Agent: icapbench\r\nEncapsulated: null-body=0\r\n\r\n",
                       cf->host, cf->port, cf->service, cf->host, cf->port);

    if (fd == -1 || connect(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
        write(fd, req, (size_t)len) != len)
        sk_die("--preview server: cannot send OPTIONS", strerror(errno));
    while (got < sizeof(buf) - 1 && (n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0) {
        got += (size_t)n;
        buf[got] = '\0';
        if (strstr(buf, "\r\n\r\n"))
            break;
    }
    close(fd);
    buf[got] = '\0';
    if (strncmp(buf, "ICAP/1.0 200", 12) != 0 || !(end = strstr(buf, "\r\n\r\n")))
        sk_die("--preview server: no 200 answer to OPTIONS from", cf->service);
    for (p = strstr(buf, "\r\n"); p && p < end; p = strstr(p + 2, "\r\n"))
        if (strncasecmp(p + 2, "Preview:", 8) == 0) {
            v = strtol(p + 10, NULL, 10);
            break;
        }
    return v < 0 || v > (1 << 20) ? -1 : (int)v;
}

static void sk_on_signal(int sig)
{
    (void)sig;
    sk_interrupted = 1;
}

int main(int argc, char **argv)
{
    static struct sk_bench b;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
    char port[16];
    int i, rc;

    sk_parse(&b.cf, argc, argv);
    sk_raise_fd_limit(b.cf.connections);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, sk_on_signal);
    signal(SIGTERM, sk_on_signal);
    snprintf(port, sizeof(port), "%d", b.cf.port);
    if ((rc = getaddrinfo(b.cf.host, port, &hints, &b.addr)) != 0)
        sk_die("cannot resolve host", gai_strerror(rc));
    if (b.cf.preview_server) {
        b.cf.preview = sk_server_preview(&b.cf, b.addr);
        fprintf(stderr, "icapbench: %s announces Preview %d\n", b.cf.service, b.cf.preview);
    }
    if ((b.ep = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
        (b.conns = calloc((size_t)b.cf.connections, sizeof(*b.conns))) == NULL)
        sk_die("out of resources", NULL);
    for (i = 0; i < b.cf.connections; i++) {
        b.conns[i].fd = -1;
        if ((b.conns[i].rbuf = malloc(SK_RBUF)) == NULL)
            sk_die("out of memory", NULL);
    }
    b.rep.method = b.cf.method_name;
    b.rep.service = b.cf.service;
    b.rep.connections = b.cf.connections;
    b.rep.mem.root = b.cf.mem_pid;
    /* --vary counts from a random start: bodies must differ from those of
     * every earlier run too, or a scanner's clean cache answers the later
     * rounds (the stock virus_scan's libclamav cache did). */
    if (getrandom(&b.counter, sizeof(b.counter), 0) != sizeof(b.counter))
        b.counter = (uint64_t)time(NULL) << 20 ^ (uint64_t)getpid();
    sk_run(&b);
    sk_report_print(stdout, &b.rep, b.cf.json);
    /* Exit 1 when nothing completed or anything failed: scripts can tell. */
    return b.rep.c.completed == 0 ? 1 : 0;
}

/* sk_cicap_fix.c - LD_PRELOAD guard for c-icap 0.5.10's request reader,
 * loaded into the c-icap daemon by sekisho-server.
 * SECURITY: every byte seen here comes from an ICAP client, before c-icap
 * parses it. c-icap's reader has no limits and loose parsers:
 *  - process_encapsulated() stores one pointer per entity into the 5-slot
 *    req->entities[] (its bound is off by two and dropped at -O2), and
 *    get_encaps_type() reads past the end of the line when an entity name
 *    has no "=value" ("null-body\r\n" then a line of req-hdr=0 ...): heap
 *    corruption, a worker dies on this or a later request;
 *  - parse_chunk_data() reads chunk sizes with strtol(..., 16) into an int
 *    and adds 2: "0x7ffffffe", "7fffffff", "-5" move its read pointer;
 *  - the ICAP header grows by realloc() until the client stops (200 MiB
 *    stayed allocated after the connection closed), and "Preview: N"
 *    allocates N bytes at once;
 *  - header reads wait "Timeout" (300 s) and idle keep-alive connections
 *    "KeepAliveTimeout" per thread: a few slow clients hold every thread.
 * We interpose the exported functions c-icap calls on this path and refuse
 * (400, or a close after a timeout) what sk_icap_syntax.c does not accept,
 * so c-icap never parses or allocates it. Per-thread state follows the one
 * connection a c-icap worker thread serves at a time. */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "c-icap.h"
#include "debug.h"
#include "header.h"
#include "net_io.h"
#include "request.h"
#include "sk_fix.h"
#include "sk_icap_syntax.h"

void *sk_fix_real(void **slot, const char *name)
{
    void *fn = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

    if (!fn) {
        fn = dlsym(RTLD_NEXT, name);
        __atomic_store_n(slot, fn, __ATOMIC_RELEASE);
    }
    return fn;
}

#define SK_REAL(type, name)                                                                        \
    static void *sk_slot_##name;                                                                   \
    type real_##name = (type)sk_fix_real(&sk_slot_##name, #name)

/* Where the worker thread's connection is in the request cycle. */
enum sk_phase {
    SK_PH_NONE,     /* not a worker thread, or no connection yet */
    SK_PH_IDLE,     /* between keep-alive requests: no byte of the next one */
    SK_PH_HEADER,   /* reading an ICAP header: deadline and size limit */
    SK_PH_CONTINUE, /* "100 Continue" sent, nothing received since */
    SK_PH_BODY,     /* header parsed: c-icap's own Timeout applies */
};

static SK_PRELOAD_TLS struct {
    enum sk_phase phase;
    long hdr_bytes;
    time_t deadline;
    /* descriptor + 1 (0: none) of this thread's connection when its last
     * wait for input said readable and nothing was read since / its last
     * non-blocking write went out whole (see ci_connection_wait) */
    int rd_ready;
    int wr_ready;
    int continued; /* this request's "100 Continue" has gone out (sk_enter) */
    int held;      /* counted in sk_held: this thread holds a connection */
    long since_ms; /* when the phase began (sk_ms) */
} sk_t;

/* This process's worker threads that hold a connection (any phase but
 * NONE): with c-icap's ThreadsPerChild, tells a full child. The c-icap
 * main process counts too (it allocates a request before the children
 * fork): each child starts from none. */
static int sk_held;

static void sk_held_forked(void)
{
    sk_held = 0;
    sk_t.held = 0;
    sk_t.phase = SK_PH_NONE;
}

__attribute__((constructor)) static void sk_held_init(void)
{
    pthread_atfork(NULL, NULL, sk_held_forked);
}

static time_t sk_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

static long sk_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A new connection on this thread, or its end: nothing is known about it. */
static void sk_io_forget(void)
{
    sk_t.rd_ready = 0;
    sk_t.wr_ready = 0;
}

/* PH starts now. A new request (HEADER) or the wait between two (IDLE)
 * has had no "100 Continue"; CONTINUE is entered as one goes out, and the
 * BODY after it keeps that. */
static void sk_enter(enum sk_phase ph, int timeout)
{
    sk_t.phase = ph;
    sk_t.hdr_bytes = 0;
    sk_t.deadline = sk_now() + timeout;
    sk_t.since_ms = sk_ms();
    sk_t.continued = ph == SK_PH_CONTINUE;
    if (!sk_t.held) {
        sk_t.held = 1;
        __atomic_add_fetch(&sk_held, 1, __ATOMIC_RELAXED);
    }
}

/* The connection is closed: the thread holds none. */
static void sk_leave(void)
{
    sk_t.phase = SK_PH_NONE;
    if (sk_t.held) {
        sk_t.held = 0;
        __atomic_sub_fetch(&sk_held, 1, __ATOMIC_RELAXED);
    }
}

/* ---- a full child with clients waiting ------------------------------- */

/* c-icap gives each connection a thread for its whole life, and a child
 * accepts only while one of its threads is free: a client that is slow to
 * send its header (one byte every few seconds), or one that idles between
 * requests, holds a thread for the whole header or keep-alive timeout,
 * and the connections behind it wait in the kernel's listen queue, where
 * no timeout of ours has started. Hundreds of such connections from
 * addresses each under --max-conns-per-client kept a legitimate client
 * waiting three header timeouts. So: when every thread of this child
 * holds a connection and connections wait in the listen queue, a thread
 * whose client has sent no complete request for SK_GRACE_MS lets it go
 * (a started header gets 408, an idle keep-alive connection is closed as
 * at its timeout). A proxy sends its whole ICAP header at once, so a
 * waiting legitimate request is read in full as soon as a thread takes
 * it; only clients that hold a thread without using it lose it early,
 * and only while others wait. Waits in these phases are cut into
 * SK_SLICE-second slices to look. */
#define SK_GRACE_MS 1000
#define SK_SLICE    1

static int sk_child_full(void)
{
    int per = sk_fix_conf.child_threads;

    return per > 0 && __atomic_load_n(&sk_held, __ATOMIC_RELAXED) >= per && sk_conn_backlog();
}

/* NOW: the caller's sk_now(). */
static int sk_let_go(time_t now)
{
    static long last_log, quiet;

    if (sk_ms() - sk_t.since_ms < SK_GRACE_MS || !sk_child_full())
        return 0;
    long was = __atomic_load_n(&last_log, __ATOMIC_RELAXED);
    if (now - was >= 60 &&
        __atomic_compare_exchange_n(&last_log, &was, now, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
        ci_debug_printf(1,
                        "sekisho guard: every thread of this child holds a connection and "
                        "clients wait: closing connections with no complete request for %d ms "
                        "(%ld more since the last line; one line per 60 s)\n",
                        SK_GRACE_MS, __atomic_exchange_n(&quiet, 0, __ATOMIC_RELAXED));
    } else {
        __atomic_add_fetch(&quiet, 1, __ATOMIC_RELAXED);
    }
    return 1;
}

/* ---- Encapsulated -------------------------------------------------- */

typedef int (*sk_process_encapsulated_fn)(ci_request_t *, const char *);

__attribute__((visibility("default"))) int process_encapsulated(ci_request_t *req, const char *buf)
{
    SK_REAL(sk_process_encapsulated_fn, process_encapsulated);
    struct sk_encaps e;
    const char *why = NULL;

    /* The whole header block was checked in ci_headers_unpack(); this is
     * the same parser again for callers that come here another way. */
    if (!real_process_encapsulated || !buf || strlen(buf) < 13 || req->entities[0] != NULL ||
        sk_encaps_parse(buf + 13, &e, &why) == -1)
        return EC_400;
    return real_process_encapsulated(req, buf);
}

/* ---- whole ICAP header block ---------------------------------------- */

typedef int (*sk_headers_unpack_fn)(ci_headers_list_t *);

/* The first unpack after an ICAP header was read is that header's (c-icap's
 * parse_header); later ones are encapsulated HTTP headers. */
__attribute__((visibility("default"))) int ci_headers_unpack(ci_headers_list_t *h)
{
    SK_REAL(sk_headers_unpack_fn, ci_headers_unpack);
    const char *why = NULL;
    int icap = sk_t.phase == SK_PH_HEADER || sk_t.phase == SK_PH_IDLE;
    int rc, v;

    if (!real_ci_headers_unpack)
        return EC_500;
    rc = real_ci_headers_unpack(h);
    if (!icap || rc != EC_100)
        return rc;
    sk_t.phase = SK_PH_BODY;
    v = sk_icap_headers_check(h->headers, h->used, sk_fix_conf.max_preview, &why);
    if (v == SK_HDR_OK)
        return rc;
    ci_debug_printf(2, "sekisho guard: refusing ICAP request (400): %s\n", why);
    return EC_400;
}

/* ---- chunk sizes ---------------------------------------------------- */

typedef int (*sk_parse_chunk_data_fn)(ci_request_t *, char **);

__attribute__((visibility("default"))) int parse_chunk_data(ci_request_t *req, char **wdata)
{
    SK_REAL(sk_parse_chunk_data_fn, parse_chunk_data);
    const char *p = req->pstrblock_read;
    long len = req->pstrblock_read_len;
    long skip = (long)req->current_chunk_len - (long)req->chunk_bytes_read;

    if (!real_parse_chunk_data)
        return CI_ERROR;
    /* Walk every chunk header the real parser may consume in this call. */
    while (p && skip >= 0 && skip < len) {
        long size = 0, line;

        p += skip;
        len -= skip;
        line = sk_chunk_line(p, len, &size);
        if (line < 0) {
            ci_debug_printf(2, "sekisho guard: refusing malformed chunk-size line\n");
            return CI_ERROR;
        }
        if (line == 0 || size == 0)
            break;
        skip = line + size + 2; /* header line, data, CRLF */
    }
    if (skip < 0)
        return CI_ERROR;
    int rc = real_parse_chunk_data(req, wdata);
    /* The preview's last chunk read, no ieof, and bytes after it before
     * "100 Continue" went out: a client that did not wait (RFC 3507
     * 4.5). read_preview_data() drops them from its buffer, the rest of
     * the body is never read, and the verdict would be the preview's
     * (EICAR after an empty preview was answered 204). Refused. */
    if (rc == CI_EOF && req->preview >= 0 && !sk_t.continued && !req->eof_received &&
        req->pstrblock_read_len > 0) {
        ci_debug_printf(2, "sekisho guard: refusing a body sent before 100 Continue\n");
        return CI_ERROR;
    }
    return rc;
}

/* ---- connection cycle: timeouts and header size ---------------------- */

typedef ci_request_t *(*sk_request_alloc_fn)(ci_connection_t *);
typedef void (*sk_request_reset_fn)(ci_request_t *);
typedef void (*sk_copy_connection_fn)(ci_connection_t *, ci_connection_t *);
typedef int (*sk_conn_wait_fn)(ci_connection_t *, int, int);
typedef int (*sk_conn_read_fn)(ci_connection_t *, void *, size_t);
typedef int (*sk_conn_write_fn)(ci_connection_t *, void *, size_t, int);
typedef int (*sk_conn_close_fn)(ci_connection_t *);
typedef int (*sk_conn_linger_fn)(ci_connection_t *, int);

/* A new connection on this worker thread (newrequest: copy then alloc;
 * recycle_request: reset then copy): its first header is due within
 * header_timeout of now, whether or not it sends anything. */
__attribute__((visibility("default"))) ci_request_t *ci_request_alloc(ci_connection_t *c)
{
    SK_REAL(sk_request_alloc_fn, ci_request_alloc);
    ci_request_t *req = real_ci_request_alloc ? real_ci_request_alloc(c) : NULL;

    sk_io_forget();
    sk_enter(SK_PH_HEADER, sk_fix_conf.header_timeout);
    return req;
}

__attribute__((visibility("default"))) void ci_copy_connection(ci_connection_t *dst,
                                                               ci_connection_t *src)
{
    SK_REAL(sk_copy_connection_fn, ci_copy_connection);

    if (real_ci_copy_connection)
        real_ci_copy_connection(dst, src);
    sk_io_forget();
    sk_enter(SK_PH_HEADER, sk_fix_conf.header_timeout);
}

/* Between keep-alive requests (c-icap resets the request, then waits). */
__attribute__((visibility("default"))) void ci_request_reset(ci_request_t *req)
{
    SK_REAL(sk_request_reset_fn, ci_request_reset);

    if (real_ci_request_reset)
        real_ci_request_reset(req);
    if (sk_t.phase != SK_PH_NONE)
        sk_enter(SK_PH_IDLE, sk_fix_conf.keepalive_timeout);
}

/* A wait whose answer is already known, on a plain TCP connection (TLS
 * has its own buffering): c-icap polls before every read and every
 * non-blocking write, e.g. once for the keep-alive wait and again, at
 * once, before reading the request that wait saw arrive, and once before
 * each of the four writes of a block page. Input that a wait reported and
 * nobody read is still there; a socket whose last write went out whole
 * has room for more (when it has not, that write returns 0 and the next
 * wait really polls), and a read that filled the buffer it was given has
 * most likely left more behind (c-icap reads a body 4 KiB at a time).
 * Each answer is used until a read or a short write changes it, so a
 * wrong one costs one read or write that returns 0, never a lost byte or
 * a wait without a timeout. Saves ~1.4 poll(2) per no-body REQMOD and one
 * per 4 KiB of a body (integration.io_waits counts them). */
static int sk_known_ready(const ci_connection_t *conn, int what)
{
#ifdef USE_OPENSSL
    if (conn->bio)
        return 0;
#endif
    if (conn->fd < 0 || (sk_t.phase != SK_PH_BODY && sk_now() >= sk_t.deadline))
        return 0;
    if (what == ci_wait_for_read)
        return sk_t.rd_ready == conn->fd + 1;
    if (what == ci_wait_for_write)
        return sk_t.wr_ready == conn->fd + 1;
    return 0;
}

/* c-icap's own wait; input it reports is remembered for sk_known_ready. */
static int sk_wait_real(sk_conn_wait_fn real, ci_connection_t *conn, int secs, int what)
{
    int r = real(conn, secs, what);

    if (r > 0 && (r & ci_wait_for_read) && what == ci_wait_for_read)
        sk_t.rd_ready = conn->fd + 1;
    return r;
}

/* Shortens c-icap's waits to what is left of the phase's deadline. */
__attribute__((visibility("default"))) int ci_connection_wait(ci_connection_t *conn, int secs,
                                                              int what)
{
    SK_REAL(sk_conn_wait_fn, ci_connection_wait);
    time_t left;
    int r;

    if (!real_ci_connection_wait)
        return -1;
    if (sk_known_ready(conn, what))
        return what;
    if (sk_t.phase != SK_PH_HEADER && sk_t.phase != SK_PH_CONTINUE && sk_t.phase != SK_PH_IDLE)
        return sk_wait_real(real_ci_connection_wait, conn, secs, what);
    /* c-icap's own timeout (secs < 0: none) and ours, in slices */
    time_t now = sk_now(), until = secs < 0 ? -1 : now + secs;
    while ((left = sk_t.deadline - now) > 0) {
        time_t slice = left < SK_SLICE ? left : SK_SLICE;
        if (until >= 0 && until - now < slice)
            slice = until - now;
        if ((r = sk_wait_real(real_ci_connection_wait, conn, (int)slice, what)) != 0)
            return r;
        now = sk_now();
        if (sk_let_go(now)) {
            /* c-icap 0.5.10 takes the failed keep-alive wait for a request
             * and waits again to read it: that wait ends at once too */
            sk_t.deadline = now;
            break;
        }
        if (until >= 0 && now >= until && now < sk_t.deadline)
            return 0; /* c-icap's own, shorter timeout */
    }
    /* Our deadline passed, or a full child lets the client go: a started
     * header gets a 408; c-icap then sees a timeout and closes the
     * connection. */
    if (sk_t.phase == SK_PH_HEADER && sk_t.hdr_bytes > 0) {
        sk_conn_answer(conn, "408 Request Timeout");
        sk_t.phase = SK_PH_BODY;
    }
    return 0;
}

__attribute__((visibility("default"))) int ci_connection_read_nonblock(ci_connection_t *conn,
                                                                       void *buf, size_t count)
{
    SK_REAL(sk_conn_read_fn, ci_connection_read_nonblock);
    int r;

    if (!real_ci_connection_read_nonblock)
        return -1;
    if (sk_t.phase == SK_PH_HEADER && sk_fix_conf.max_header > 0 &&
        sk_t.hdr_bytes >= sk_fix_conf.max_header) {
        ci_debug_printf(2, "sekisho guard: refusing ICAP header over %ld bytes (400)\n",
                        sk_fix_conf.max_header);
        sk_conn_answer(conn, "400 Bad Request");
        sk_t.phase = SK_PH_BODY;
        errno = EMSGSIZE;
        return -1; /* c-icap: read error, closes without another answer */
    }
    r = real_ci_connection_read_nonblock(conn, buf, count);
    /* What the last wait saw may be consumed now, unless the read filled
     * c-icap's buffer: then more is most likely waiting (a body arrives
     * in 4 KiB reads; see sk_known_ready). */
    sk_t.rd_ready = r > 0 && (size_t)r == count ? conn->fd + 1 : 0;
    /* The first bytes of the next request start its header deadline; a
     * read that found nothing (the wait was answered from a guess) leaves
     * the connection idle under the keep-alive timeout. */
    if (r > 0 && sk_t.phase == SK_PH_IDLE)
        sk_enter(SK_PH_HEADER, sk_fix_conf.header_timeout);
    if (r > 0 && sk_t.phase == SK_PH_HEADER)
        sk_t.hdr_bytes += r;
    else if (r > 0 && sk_t.phase == SK_PH_CONTINUE)
        sk_t.phase = SK_PH_BODY;
    return r;
}

__attribute__((visibility("default"))) int ci_connection_write(ci_connection_t *conn, void *buf,
                                                               size_t count, int timeout)
{
    SK_REAL(sk_conn_write_fn, ci_connection_write);

    if (!real_ci_connection_write)
        return -1;
    /* ec_responce_simple(req, EC_100) after the preview */
    if (count >= 13 && memcmp(buf, "ICAP/1.0 100 ", 13) == 0 && sk_t.phase != SK_PH_NONE)
        sk_enter(SK_PH_CONTINUE, sk_fix_conf.continue_timeout);
    return real_ci_connection_write(conn, buf, count, timeout);
}

typedef int (*sk_conn_write_nb_fn)(ci_connection_t *, void *, size_t);

/* Remembers whether the socket took the whole write (sk_known_ready). */
__attribute__((visibility("default"))) int ci_connection_write_nonblock(ci_connection_t *conn,
                                                                        void *buf, size_t count)
{
    SK_REAL(sk_conn_write_nb_fn, ci_connection_write_nonblock);
    int r;

    if (!real_ci_connection_write_nonblock)
        return -1;
    r = real_ci_connection_write_nonblock(conn, buf, count);
    sk_t.wr_ready = r >= 0 && (size_t)r == count && count > 0 ? conn->fd + 1 : 0;
    return r;
}

__attribute__((visibility("default"))) int ci_connection_hard_close(ci_connection_t *conn)
{
    SK_REAL(sk_conn_close_fn, ci_connection_hard_close);

    if (conn)
        sk_conn_release(conn->fd);
    sk_io_forget();
    sk_leave();
    return real_ci_connection_hard_close ? real_ci_connection_hard_close(conn) : 0;
}

__attribute__((visibility("default"))) int ci_connection_linger_close(ci_connection_t *conn,
                                                                      int timeout)
{
    SK_REAL(sk_conn_linger_fn, ci_connection_linger_close);

    if (conn)
        sk_conn_release(conn->fd);
    sk_io_forget();
    sk_leave();
    return real_ci_connection_linger_close ? real_ci_connection_linger_close(conn, timeout) : 0;
}

/* srv_request.c - one ICAP transaction through c-icap: builds the sk_txn,
 * runs the module chain, and moves the body back out (204, streamed echo,
 * held-then-released, or a block page).
 * SECURITY: parses client-controlled encapsulated HTTP headers; every
 * value is copied and bounded before modules see it. Memory per
 * transaction is bounded: streamed bodies use a fixed ring buffer with
 * back-pressure, held bodies spill to a private temp file. An inspected
 * upload (REQMOD) is never released before the verdict. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>

#include "c-icap.h"
#include "body.h"
#include "debug.h"
#include "header.h"
#include "net_io.h"
#include "request.h"
#include "service.h"
#include "simple_api.h"

#include <sekisho/policy_snapshot.h>

#include "sk_accesslog.h"
#include "sk_dirgroups.h"
#include "sk_notify.h"
#include "sk_ident.h"
#include "sk_metrics.h"
#include "sk_page.h"
#include "srv_sekisho.h"

#include <sekisho/url.h> /* SK_URL_MAX: one limit for the server and the normaliser */
#define SK_RING_SIZE (64 * 1024)

enum sk_body_mode {
    SK_BODY_NONE = 0,  /* nothing to send back (204, or no body) */
    SK_BODY_STREAM,    /* nobody inspects: ring buffer, sent as it arrives */
    SK_BODY_HOLD,      /* inspected: kept until the verdict, nothing sent */
    SK_BODY_COMMITTED, /* held, but the response headers went out early
                          (sekisho.HoldCommitSize): the body trickles, its
                          last TrickleHoldBack bytes wait for the verdict */
    SK_BODY_RELEASED,  /* held, then allowed: all of it may be sent */
    SK_BODY_INSPECT,   /* inspected, client allows 204: not kept; 204 or page */
    SK_BODY_PAGE,      /* blocked: the page is the body, input discarded */
    SK_BODY_CUT,       /* blocked after the response started: input discarded,
                          the HTTP body ends short, the ICAP response properly */
};

struct sk_req {
    ci_request_t *req; /* borrowed; valid until release */
    /* The echoed HTTP headers as they were before they went out (sk_sent):
     * c-icap packs the list it sends in place (its values run on into the
     * next fields, unterminated), and a module still reads them at the
     * end of the body. */
    ci_headers_list_t *sent;
    struct sk_txn txn;
    struct sk_pipeline pipe;
    enum sk_body_mode mode; /* the one body state (no flags beside it) */
    ci_ring_buf_t *ring;
    ci_cached_file_t *held;
    ci_membuf_t *page;
    int eof;    /* the whole body has arrived */
    int corked; /* TCP_CORK set on the ICAP connection for the page */
    struct timespec start;
    char service[MAX_SERVICE_NAME + 1];
    char ctype[128], filename[256]; /* access-log fields, taken at the start */
};

/* ---- building the transaction ----------------------------------------- */

/* The HTTP headers a module reads: the echoed ones from their copy once
 * they went out. */
static ci_headers_list_t *sk_hdr_list(const struct sk_req *r, int response)
{
    if (r->sent && response == (ci_req_type(r->req) == ICAP_RESPMOD))
        return r->sent;
    return response ? ci_http_response_headers(r->req) : ci_http_request_headers(r->req);
}

static const char *sk_hdr_get(void *ctx, int response, const char *name)
{
    ci_headers_list_t *h = sk_hdr_list(ctx, response);
    return h ? ci_headers_value(h, name) : NULL;
}

struct sk_hdr_each_ctx {
    const char *name;
    void (*fn)(void *arg, const char *value);
    void *arg;
};

static void sk_hdr_each_cb(void *data, const char *name, const char *value)
{
    struct sk_hdr_each_ctx *e = data;

    if (name && strcasecmp(name, e->name) == 0)
        e->fn(e->arg, value ? value : "");
}

/* Every field NAME in order: a repeated Content-Encoding is one list. */
static void sk_hdr_each(void *ctx, int response, const char *name,
                        void (*fn)(void *arg, const char *value), void *arg)
{
    ci_headers_list_t *h = sk_hdr_list(ctx, response);
    struct sk_hdr_each_ctx e = {name, fn, arg};

    if (h)
        ci_headers_iterate(h, &e, sk_hdr_each_cb);
}

/* Counts the fields it is called for (c-icap's iterator hands over a
 * copy of each value that lives only during the call). */
static void sk_count_cb(void *arg, const char *value)
{
    (void)value;
    (*(int *)arg)++;
}

/* Split the encapsulated request line into method and an absolute URL:
 * origin-form targets get "http://" + Host, CONNECT keeps host:port. The
 * line is read as RFC 9112 section 3 lets a server read it: fields
 * separated by runs of SP or HTAB ("GET<HTAB>http://x/ HTTP/1.1" is a GET
 * of http://x/, as Squid and nginx take it), then the target, then an
 * HTTP version (or nothing: HTTP/0.9). Anything else - a missing target,
 * text after the version, a version that is none - and an origin-form
 * target without exactly one Host field (readers take the first or the
 * last of two) leave URL empty with METHOD set: url_block's url-malformed.
 * 0; 1 when the URL was cut to USIZE; -1 when malformed. */
static int sk_request_line(struct sk_req *r, char *method, size_t msize, char *url, size_t usize)
{
    ci_request_t *req = r->req;
    const char *line = ci_http_request(req), *p, *target, *end, *ver;
    const char *host;
    int nhost = 0;
    size_t mlen, tlen;

    method[0] = url[0] = '\0';
    if (!line)
        return -1;
    mlen = strcspn(line, " \t\r\n");
    if (mlen == 0)
        return -1;
    snprintf(method, msize, "%.*s", (int)mlen, line);
    for (target = line + mlen; *target == ' ' || *target == '\t'; target++)
        ;
    end = target + strcspn(target, " \t\r\n");
    tlen = (size_t)(end - target);
    for (ver = end; *ver == ' ' || *ver == '\t'; ver++)
        ;
    p = ver + strcspn(ver, " \t\r\n");
    if (tlen == 0 || (p != ver && strncmp(ver, "HTTP/", 5) != 0))
        return -1;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p && *p != '\r' && *p != '\n')
        return -1;
    if (*target == '/' || (tlen == 1 && *target == '*')) {
        sk_hdr_each(r, 0, "Host", sk_count_cb, &nhost);
        if (nhost != 1 || !(host = ci_http_request_get_header(req, "Host")))
            return -1;
        /* one host name: "a b" (an obs-fold joined) is none */
        size_t hlen = strcspn(host, " \t\r\n");
        if (host[hlen + strspn(host + hlen, " \t\r\n")] != '\0')
            return -1;
        if (*target == '/')
            snprintf(url, usize, "http://%.*s%.*s", (int)hlen, host, (int)tlen, target);
        else
            snprintf(url, usize, "*");
    } else {
        snprintf(url, usize, "%.*s", (int)tlen, target);
    }
    return tlen >= usize ? 1 : 0;
}

static const char *sk_icap_hdr_get(void *ctx, const char *name)
{
    return ci_headers_value(ctx, name);
}

/* Only a server started with --test-clock (sekisho.TestClock on) lets the
 * ICAP client set the time schedules are decided at; everywhere else the
 * header is ignored, so a client cannot move a production node's clock. */
static void sk_test_clock(struct sk_req *r)
{
    const char *v;
    int64_t at;

    if (!sk_srv.conf.test_clock ||
        (v = ci_headers_value(r->req->request_header, "X-Sekisho-Test-Clock")) == NULL)
        return;
    if (sk_pdb_parse_time(v, &at) == 0)
        r->txn.clock = at;
    else
        ci_debug_printf(1,
                        "sekisho: %s: invalid X-Sekisho-Test-Clock (want ISO 8601 with an"
                        " offset); using the node's clock\n",
                        r->txn.id);
}

static int sk_build_txn(struct sk_req *r)
{
    ci_request_t *req = r->req;
    char method[32];
    /* one byte more than SK_URL_MAX: a longer target is cut to
     * SK_URL_MAX + 1 bytes, which url_block recognises as overlong */
    char url[SK_URL_MAX + 2];
    struct sk_ident id;
    int rc, sent;

    if (ci_http_request_headers(req))
        sk_request_line(r, method, sizeof(method), url, sizeof(url));
    else
        method[0] = url[0] = '\0';

    sk_ident_read(&id, sk_icap_hdr_get, req->request_header, sk_srv.conf.user_header,
                  (enum sk_user_encoding)sk_srv.conf.user_encoding,
                  sk_ident_group_encoding(sk_srv.conf.group_encoding,
                                          (enum sk_user_encoding)sk_srv.conf.user_encoding));
    sent = id.client_ip[0] != '\0';
    if (!sent && req->connection)
        ci_sockaddr_t_to_ip(&req->connection->claddr, id.client_ip, sizeof(id.client_ip));
    rc = sk_txn_init(&r->txn, ci_req_type(req) == ICAP_RESPMOD ? SK_RESPMOD : SK_REQMOD, method,
                     url, id.client_ip, id.user, id.groups);
    if (rc == -1 || sk_txn_set_server_ip(&r->txn, id.server_ip) == -1)
        return -1;
    r->txn.client_ip_sent = sent;
    r->txn.has_body = ci_req_hasbody(req);
    sk_test_clock(r);
    r->txn.headers.get = sk_hdr_get;
    r->txn.headers.each = sk_hdr_each;
    r->txn.headers.ctx = r;
    if (r->txn.method == SK_RESPMOD && ci_http_response_headers(req)) {
        const char *status = ci_http_response_headers(req)->headers[0];
        const char *sp = status ? strchr(status, ' ') : NULL;
        r->txn.http_status = sp ? atoi(sp + 1) : 0;
    }
    return 0;
}

/* Groups from the policy's directories join the header groups before any
 * module asks for the policy (issue 14 item 3). */
static void sk_srv_dir_groups(struct sk_req *r)
{
    struct sk_buf g = {0};
    int block = 0;

    if (!r->txn.snap)
        return;
    if (sk_dirgroups_resolve(r->txn.snap, r->txn.user, r->txn.id, &g, sk_srv.store.log, &block) !=
        SK_DIRG_NONE) {
        if (g.failed || sk_txn_add_groups(&r->txn, g.data) == -1)
            block = 1; /* out of memory: fail closed like a directory failure */
        r->txn.dir_block = block;
    }
    sk_buf_free(&g);
}

void *sk_srv_init_request(ci_request_t *req)
{
    struct sk_req *r;

    sk_srv_refresh_istag();
    if (ci_req_type(req) == ICAP_OPTIONS)
        return NULL;
    r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->req = req;
    sk_metrics_busy(1); /* given back in sk_srv_release_request */
    clock_gettime(CLOCK_MONOTONIC, &r->start);
    memcpy(r->service, req->service, strnlen(req->service, sizeof(r->service) - 1)); /* calloc'd */
    if (sk_build_txn(r) == -1) {
        sk_metrics_busy(-1);
        free(r);
        return NULL;
    }
    sk_txn_set_snapshot(&r->txn, sk_policy_store_acquire(&sk_srv.store));
    sk_srv_dir_groups(r);
    sk_srv_log_fields(req, r->ctype, sizeof(r->ctype), r->filename, sizeof(r->filename));
    return r;
}

/* ---- outcomes ----------------------------------------------------------- */

/* c-icap writes a page response in four write(2)s (ICAP head, HTTP head,
 * body chunk, last chunk), each its own TCP segment and a wake-up of the
 * proxy. Corked, they leave as one; release_request, which c-icap calls
 * after the last write, uncorks. Plain TCP only (not through a TLS BIO). */
static void sk_cork(struct sk_req *r, int on)
{
    ci_connection_t *c = r->req->connection;
    int v = on;

    if (!c || c->fd < 0 || r->corked == on)
        return;
#ifdef USE_OPENSSL
    if (c->bio)
        return;
#endif
    if (setsockopt(c->fd, IPPROTO_TCP, TCP_CORK, &v, sizeof(v)) == 0)
        r->corked = on;
}

/* Replace the encapsulated message by the block page. Only possible while
 * nothing has been sent to the client. */
static int sk_make_page(struct sk_req *r)
{
    ci_request_t *req = r->req;
    struct sk_txn *t = &r->txn;
    struct sk_buf html = {0};
    const char *body, *ctype;
    size_t len;
    int status;
    char line[128];

    if (t->page.body) {
        body = t->page.body;
        len = t->page.len;
        ctype = t->page.content_type;
        status = t->page.status;
    } else {
        struct sk_page_info info = {
            .url = sk_txn_shown_url(t),
            .reason = t->reason,
            .rule = t->rule,
            .module = sk_pipeline_decider(&r->pipe),
            .client = t->client_ip,
            .txn = t->id,
        };
        sk_page_render(&html, &info);
        if (html.failed) {
            sk_buf_free(&html);
            return -1;
        }
        body = html.data;
        len = html.len;
        ctype = "text/html; charset=utf-8";
        status = 403;
    }
    r->page = ci_membuf_new_sized((int)len + 1);
    if (!r->page) {
        sk_buf_free(&html);
        return -1;
    }
    ci_membuf_write(r->page, body, (int)len, 1);
    sk_buf_free(&html);

    /* The encapsulated headers are released below; modules must not read
     * them any more. */
    t->headers.get = NULL;
    t->headers.each = NULL;
    ci_http_response_create(req, 1, 1);
    snprintf(line, sizeof(line), "HTTP/1.1 %d %s", status, status == 403 ? "Forbidden" : "Blocked");
    ci_http_response_add_header(req, line);
    ci_http_response_add_header(req, "Server: Sekisho");
    snprintf(line, sizeof(line), "Content-Type: %s", ctype);
    ci_http_response_add_header(req, line);
    snprintf(line, sizeof(line), "Content-Length: %zu", len);
    ci_http_response_add_header(req, line);
    ci_http_response_add_header(req, "Cache-Control: no-store");
    /* The page shows the client's URL, file name and user, escaped for
     * its type; a text page escapes no '<', so no agent may sniff it
     * into HTML. */
    ci_http_response_add_header(req, "X-Content-Type-Options: nosniff");
    ci_http_response_add_header(req, "Connection: close");
    for (int i = 0; i < t->n_icap_headers; i++)
        ci_icap_add_xheader(req, t->icap_headers[i]);
    r->mode = SK_BODY_PAGE;
    ci_req_unlock_data(req);
    /* Only when all the request is in: c-icap then writes the whole page
     * at once. A page that starts while the client still sends its body
     * goes out as written (a corked head would wait up to 200 ms). */
    if (!ci_req_hasbody(req) || r->eof || ci_req_hasalldata(req))
        sk_cork(r, 1);
    return 0;
}

/* c-icap 0.5.10 appends "Via: ICAP/1.0 ..." to every HTTP header block it
 * sends back (request.c, mk_responce_header), which breaks the promise that
 * an unmodified message returns byte-identical. It appends with
 * ci_headers_add(), which refuses a list flagged as packed; the flag alone
 * changes nothing else (sizeofheader() and ci_headers_pack() ignore it), so
 * flagging the list we echo keeps it exactly as the client sent it. Searches
 * still work; only edits are refused, and nothing edits an echoed list. */
static void sk_freeze_http_headers(ci_request_t *req)
{
    ci_headers_list_t *h = ci_req_type(req) == ICAP_RESPMOD ? ci_http_response_headers(req)
                                                            : ci_http_request_headers(req);
    if (h)
        h->packed = 1;
}

/* Before the echoed headers go out: keep a copy for the modules
 * (sk_req.sent). -1 when it cannot be made (the caller holds on). */
static int sk_sent(struct sk_req *r)
{
    ci_headers_list_t *h = ci_req_type(r->req) == ICAP_RESPMOD ? ci_http_response_headers(r->req)
                                                               : ci_http_request_headers(r->req);
    if (r->sent || !h)
        return 0;
    if ((r->sent = ci_headers_create()) == NULL)
        return -1;
    if (ci_headers_addheaders(r->sent, h) == 0) {
        ci_headers_destroy(r->sent);
        r->sent = NULL;
        return -1;
    }
    return 0;
}

static void sk_add_icap_headers(struct sk_req *r)
{
    for (int i = 0; i < r->txn.n_icap_headers; i++)
        ci_icap_add_xheader(r->req, r->txn.icap_headers[i]);
}

/* Start sending a held body: everything received so far and the rest as
 * it arrives. */
static void sk_release(struct sk_req *r)
{
    enum sk_body_mode was = r->mode;

    if (was == SK_BODY_RELEASED)
        return;
    r->mode = SK_BODY_RELEASED;
    if (was != SK_BODY_COMMITTED) {
        sk_add_icap_headers(r);
        sk_freeze_http_headers(r->req);
    }
    ci_cached_file_unlock_all(r->held);
    ci_req_unlock_data(r->req);
}

/* May the response headers go out before the verdict? Only for a download
 * (RESPMOD) from a client that cannot take a 204 anyway, and only when the
 * administrator set sekisho.HoldCommitSize (default 0: hold to the
 * verdict). An upload never: releasing any of it, even its headers, lets
 * the proxy start the request to the site before we have decided. */
static int sk_may_commit(const struct sk_req *r)
{
    return r->txn.method == SK_RESPMOD && sk_srv.conf.hold_commit_size > 0 &&
           !ci_req_allow204(r->req) &&
           (size_t)ci_cached_file_size(r->held) >= sk_srv.conf.hold_commit_size;
}

/* Send the ICAP and HTTP response headers while the body stays held.
 * Debian's Squid 5.7 from 5.7-2+deb12u1 on (upstream bug 5352) stops
 * reading the origin once 64 KiB wait for the ICAP service and nothing
 * but a delay pool's timer or a started adapted response resumes it; on
 * such a Squid without the delay pool (contrib/squid/sekisho.conf) the
 * administrator sets sekisho.HoldCommitSize and we commit to a 200 after
 * that many bytes. The price: a block decided after this point cannot
 * show a page; the body is cut short instead (sk_cut). */
static void sk_commit(struct sk_req *r)
{
    if (r->mode != SK_BODY_HOLD || sk_sent(r) == -1)
        return;
    r->mode = SK_BODY_COMMITTED;
    sk_add_icap_headers(r);
    sk_freeze_http_headers(r->req);
    ci_req_unlock_data(r->req);
}

/* Trickling: once committed, let the body flow except for the last
 * sekisho.TrickleHoldBack bytes, so the proxy and the browser keep moving
 * (Squid 5 stalls when a large adapted body arrives in one burst after the
 * origin has finished) while the complete object is never delivered before
 * the verdict. */
static void sk_trickle(struct sk_req *r)
{
    size_t have = (size_t)ci_cached_file_size(r->held);
    size_t keep = sk_srv.conf.trickle_hold_back;

    if (r->mode != SK_BODY_COMMITTED || have <= keep)
        return;
    ci_cached_file_unlock(r->held, (ci_off_t)(have - keep));
}

/* A block decided after the response started: no page is possible any
 * more. What is still held is dropped and the ICAP response ends properly
 * (last chunk) with the HTTP body shorter than announced: the client never
 * receives the whole object, and the proxy sees an HTTP-level truncation.
 * Dropping the ICAP connection instead (what this did before) is an ICAP
 * failure to Squid (a read that ends inside a chunk throws in
 * ModXact::parseBody, Xaction::callException -> ServiceRep::noteFailure);
 * more than icap_service_failure_limit of them suspend the service, after
 * which bypass=1 delivers infected objects whole and bypass=0 fails every
 * request. The rest of the client's body is read and discarded. */
static void sk_cut(struct sk_req *r)
{
    if (r->held)
        ci_cached_file_destroy(r->held);
    r->held = NULL;
    r->mode = SK_BODY_CUT;
    ci_debug_printf(2, "sekisho: txn %s blocked after the response started; body cut short\n",
                    r->txn.id);
}

/* A held body, in any of its three states. */
static int sk_held(const struct sk_req *r)
{
    return r->mode == SK_BODY_HOLD || r->mode == SK_BODY_COMMITTED || r->mode == SK_BODY_RELEASED;
}

static int sk_store(struct sk_req *r, const char *buf, int len, int iseof)
{
    if (sk_held(r))
        return ci_cached_file_write(r->held, buf, len, iseof);
    if (r->mode == SK_BODY_STREAM)
        return ci_ring_buf_write(r->ring, buf, len);
    return len; /* INSPECT/PAGE/NONE/CUT: the modules saw it; not kept */
}

/* ---- c-icap handlers ---------------------------------------------------- */

int sk_srv_preview(char *data, int len, ci_request_t *req)
{
    struct sk_req *r = ci_service_data(req);
    enum sk_outcome o;
    int has_body = ci_req_hasbody(req);

    if (!r)
        return CI_ERROR; /* out of memory at init: c-icap answers 500 */
    sk_pipeline_start(&r->pipe, &sk_srv.chain, &r->txn, (enum sk_on_error)sk_srv.conf.on_error);
    o = sk_pipeline_headers(&r->pipe);
    if (o == SK_OUT_PENDING && len > 0)
        o = sk_pipeline_body(&r->pipe, data, (size_t)len, ci_req_hasalldata(req));
    else if (o == SK_OUT_PENDING && has_body && ci_req_hasalldata(req))
        o = sk_pipeline_body(&r->pipe, NULL, 0, 1);

    if (o == SK_OUT_BLOCK)
        return sk_make_page(r) == 0 ? CI_MOD_CONTINUE : CI_ERROR;

    if (o != SK_OUT_PENDING) {
        /* Nobody objects and nobody needs more: 204 where the client
         * allows it (always inside preview), else echo. */
        if (!has_body || ci_req_preview_size(req) >= 0 || ci_req_allow204(req)) {
            if (r->txn.n_icap_headers == 0 || !has_body) {
                /* without Allow: 204 and without a body c-icap echoes the
                 * headers itself; our ICAP headers (a monitor-mode
                 * would-block on a no-body request) go with the 204 */
                if (!has_body)
                    sk_add_icap_headers(r);
                sk_freeze_http_headers(req);
                return CI_MOD_ALLOW204;
            }
        }
        r->mode = SK_BODY_STREAM;
        r->ring = ci_ring_buf_new(SK_RING_SIZE);
        if (!r->ring)
            return CI_ERROR;
        if (len > 0 && ci_ring_buf_write(r->ring, data, len) != len)
            return CI_ERROR;
        sk_add_icap_headers(r);
        sk_freeze_http_headers(req);
        ci_req_unlock_data(req);
        return CI_MOD_CONTINUE;
    }

    /* Some module reads the body before deciding. A client that offered
     * "Allow: 204" keeps its own copy and gets a 204 or a page: nothing to
     * keep here (a copy of every body cost ~10% of the 1 MB scan rate).
     * Otherwise hold it. */
    ci_req_lock_data(req);
    if (ci_req_allow204(req)) {
        r->mode = SK_BODY_INSPECT;
        return CI_MOD_CONTINUE;
    }
    r->mode = SK_BODY_HOLD;
    r->held = ci_cached_file_new((int)sk_srv.conf.max_mem_body);
    if (!r->held)
        return CI_ERROR;
    ci_cached_file_lock_all(r->held);
    if (len > 0 && ci_cached_file_write(r->held, data, len, ci_req_hasalldata(req)) != len)
        return CI_ERROR;
    return CI_MOD_CONTINUE;
}

/* Body bytes arrived while holding: feed the modules and act on their
 * outcome. Returns CI_OK, or CI_ERROR to abort the transaction. */
static int sk_hold_received(struct sk_req *r, const char *buf, int n)
{
    enum sk_outcome o = sk_pipeline_body(&r->pipe, buf, (size_t)n, 0);

    if (o == SK_OUT_BLOCK && r->mode == SK_BODY_COMMITTED) {
        sk_cut(r);
        return CI_OK;
    }
    if (o == SK_OUT_BLOCK) {
        /* decided now; the page goes out once the client has finished
         * sending (end_of_data) */
        if (r->held)
            ci_cached_file_destroy(r->held);
        r->held = NULL;
        r->mode = SK_BODY_NONE;
        return CI_OK;
    }
    if (r->mode == SK_BODY_INSPECT)
        return CI_OK; /* allowed or still deciding: 204 at the end */
    if (o != SK_OUT_PENDING) {
        sk_release(r);
        return CI_OK;
    }
    if (sk_may_commit(r))
        sk_commit(r);
    sk_trickle(r);
    return CI_OK;
}

int sk_srv_io(char *wbuf, int *wlen, char *rbuf, int *rlen, int iseof, ci_request_t *req)
{
    struct sk_req *r = ci_service_data(req);

    if (!r)
        return CI_ERROR;
    if (rbuf && rlen && *rlen > 0) {
        int n = sk_store(r, rbuf, *rlen, iseof);
        if (n < 0)
            return CI_ERROR;
        /* still deciding: held (sent or not) or inspected, not yet released */
        if ((r->mode == SK_BODY_HOLD || r->mode == SK_BODY_COMMITTED ||
             r->mode == SK_BODY_INSPECT) &&
            n > 0 && sk_hold_received(r, rbuf, n) == CI_ERROR)
            return CI_ERROR;
        *rlen = n;
    } else if (rlen) {
        *rlen = 0;
    }
    if (iseof)
        r->eof = 1;

    if (wbuf && wlen) {
        int n = 0;
        switch (r->mode) {
        case SK_BODY_STREAM:
            n = ci_ring_buf_read(r->ring, wbuf, *wlen);
            break;
        case SK_BODY_COMMITTED: /* what trickling unlocked */
        case SK_BODY_RELEASED:
            n = ci_cached_file_read(r->held, wbuf, *wlen);
            break;
        case SK_BODY_PAGE:
            n = ci_membuf_read(r->page, wbuf, *wlen);
            break;
        case SK_BODY_CUT:
            n = CI_EOF;
            break;
        default:
            n = 0;
            break;
        }
        if (n == CI_EOF) {
            *wlen = CI_EOF;
            return CI_OK;
        }
        if (n < 0)
            return CI_ERROR;
        if (n == 0 && (r->eof || r->mode == SK_BODY_PAGE) && r->mode != SK_BODY_NONE &&
            r->mode != SK_BODY_INSPECT) {
            if (r->mode != SK_BODY_HOLD && r->mode != SK_BODY_COMMITTED)
                n = CI_EOF;
        }
        *wlen = n;
    }
    return CI_OK;
}

int sk_srv_end_of_data(ci_request_t *req)
{
    struct sk_req *r = ci_service_data(req);
    enum sk_outcome o;

    if (!r)
        return CI_ERROR;
    r->eof = 1;
    if (r->mode == SK_BODY_PAGE || r->mode == SK_BODY_CUT)
        return CI_MOD_DONE;
    if (r->pipe.outcome == SK_OUT_BLOCK) {
        /* blocked mid-body while holding: nothing has been sent yet */
        return sk_make_page(r) == 0 ? CI_MOD_DONE : CI_ERROR;
    }
    if (!sk_held(r) && r->mode != SK_BODY_INSPECT)
        return CI_MOD_DONE;

    o = sk_pipeline_body(&r->pipe, NULL, 0, 1);
    if (r->mode == SK_BODY_INSPECT) {
        r->mode = SK_BODY_NONE;
        if (o == SK_OUT_BLOCK)
            return sk_make_page(r) == 0 ? CI_MOD_DONE : CI_ERROR;
        sk_add_icap_headers(r); /* c-icap sends them with the 204 */
        return CI_MOD_ALLOW204;
    }
    if (o == SK_OUT_BLOCK) {
        if (r->mode != SK_BODY_HOLD) {
            /* Part of the body already left: it must not be completed. */
            sk_cut(r);
            return CI_MOD_DONE;
        }
        ci_cached_file_destroy(r->held);
        r->held = NULL;
        return sk_make_page(r) == 0 ? CI_MOD_DONE : CI_ERROR;
    }
    if (r->mode == SK_BODY_HOLD && !ci_req_sent_data(req) && ci_req_allow204(req) &&
        r->txn.n_icap_headers == 0) {
        r->mode = SK_BODY_NONE;
        return CI_MOD_ALLOW204;
    }
    sk_release(r);
    return CI_MOD_DONE;
}

/* ---- end of transaction --------------------------------------------------- */

static int sk_icap_status(ci_request_t *req)
{
    int ec = req->return_code;

    if (ec == EC_100)
        return 200; /* answered with the body after 100 Continue */
    return ci_error_code(ec);
}

static void sk_log(struct sk_req *r)
{
    struct timespec now;
    ci_request_t *req = r->req;
    struct sk_txn *t = &r->txn;
    const char *verdict = sk_outcome_name(r->pipe.outcome);
    char istag[32];

    sk_srv_istag_copy(istag);

    clock_gettime(CLOCK_MONOTONIC, &now);
    if (r->pipe.outcome == SK_OUT_PENDING)
        verdict = "error"; /* the transaction ended before a verdict */
    else if (r->pipe.outcome == SK_OUT_ALLOW && t->would_block)
        verdict = "would-block"; /* monitor mode: passed, logged as such */
    struct sk_log_record rec = {
        .txn = t->id,
        .service = r->service,
        .icap_method = t->method == SK_RESPMOD ? "RESPMOD" : "REQMOD",
        .client = t->client_ip,
        .user = t->user,
        .groups = t->groups,
        .policy = sk_txn_policy_name(t),
        .server_ip = t->server_ip,
        .method = t->http_method,
        .url = sk_txn_shown_url(t),
        .icap_status = sk_icap_status(req),
        .verdict = r->mode == SK_BODY_CUT ? "block" : verdict,
        .module = sk_pipeline_decider(&r->pipe),
        .rule = t->rule ? t->rule : "",
        .reason = t->reason,
        .bytes_in = req->bytes_in,
        .bytes_out = req->bytes_out,
        .duration_ms = (double)(now.tv_sec - r->start.tv_sec) * 1e3 +
                       (double)(now.tv_nsec - r->start.tv_nsec) / 1e6,
        .module_error = r->pipe.module_error,
        .detections = t->detections,
        .n_detections = t->n_detections,
        .http_status = t->http_status,
        .content_type = r->ctype,
        .filename = r->filename[0] ? r->filename : r->pipe.body.part_filename,
        .generation = sk_srv_txn_generation(t),
        .istag = istag,
        .sha256 = r->pipe.body.sha256_hex,
    };
    sk_accesslog_write(&rec);
    sk_notify_txn(t, rec.verdict, rec.module, rec.module_error);
    sk_metrics_txn(&rec, &r->pipe);
}

void sk_srv_release_request(void *data)
{
    struct sk_req *r = data;

    if (!r)
        return;
    if (r->corked)
        sk_cork(r, 0);
    if (r->pipe.chain) {
        sk_pipeline_finish(&r->pipe);
        sk_log(r);
    }
    if (r->ring)
        ci_ring_buf_destroy(r->ring);
    if (r->held)
        ci_cached_file_destroy(r->held);
    if (r->page)
        ci_membuf_free(r->page);
    if (r->sent)
        ci_headers_destroy(r->sent);
    sk_txn_clear(&r->txn);
    free(r);
    sk_metrics_busy(-1);
}

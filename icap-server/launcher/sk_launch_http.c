/* sk_launch_http.c - the status listener (--status-listen): GET /metrics,
 * /healthz, /readyz and /status over HTTP from the launcher process.
 * SECURITY: answers anyone who can reach the address (loopback unless
 * the administrator chose otherwise); serves fixed paths only, takes no
 * request body and reveals no client data (counts, versions, paths).
 *
 * Why libmicrohttpd: a maintained, fuzzed HTTP/1.1 server library in
 * Debian (libmicrohttpd12) that does the parsing, keep-alive, limits and
 * timeouts we would otherwise write by hand; its own thread (internal
 * polling) so the launcher's signal loop stays as it is.
 * Why in the launcher and not in c-icap's master: the master forks
 * children (which would inherit a listener thread's state), and on
 * reconfigure unloads and reloads srv_sekisho.so under a running thread;
 * the launcher is a separate, stable process that reads the shared
 * metrics file and knows whether c-icap is alive at all (/healthz). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "sk_launch.h"
#include "sk_launch_status.h"

static struct MHD_Daemon *sk_httpd;
static char *sk_metrics_path;
static pid_t sk_cicap_pid;

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

int sk_launch_status_start(const struct sk_listen *l, const char *metrics_file, char **err)
{
    struct sockaddr_storage ss;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;

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
    if (!(sk_metrics_path = strdup(metrics_file))) {
        *err = sk_launch_strf("out of memory");
        return -1;
    }
    sk_httpd = MHD_start_daemon(
        flags, (uint16_t)l->port, NULL, NULL, sk_handle, NULL, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT, (unsigned)32,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)16, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)10, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)65536, MHD_OPTION_END);
    if (!sk_httpd) {
        *err = sk_launch_strf("--status-listen %s: cannot listen (address in use?)",
                              l->port_directive);
        free(sk_metrics_path);
        sk_metrics_path = NULL;
        return -1;
    }
    return 0;
}

void sk_launch_status_stop(void)
{
    if (sk_httpd)
        MHD_stop_daemon(sk_httpd);
    sk_httpd = NULL;
    free(sk_metrics_path);
    sk_metrics_path = NULL;
}

/* sk_launch_args.c - command-line parsing for sekisho-server.
 * SECURITY: parses untrusted command-line text; runs as the invoking user. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sk_launch.h"

#ifndef SK_LAUNCH_VERSION
#define SK_LAUNCH_VERSION "unknown"
#endif

enum {
    SK_OPT_LISTEN = 256,
    SK_OPT_POLICY_DB,
    SK_OPT_CLAMAV_DB,
    SK_OPT_CONFIG,
    SK_OPT_FOREGROUND,
    SK_OPT_RUN_DIR,
    SK_OPT_ACCESS_LOG,
    SK_OPT_MODULES,
    SK_OPT_MODULES_DIR,
    SK_OPT_DEBUG,
    SK_OPT_THREADS,
    SK_OPT_HELP,
    SK_OPT_VERSION,
    SK_OPT_TLS_LISTEN,
    SK_OPT_TLS_CERT,
    SK_OPT_TLS_KEY,
    SK_OPT_POLICY_SOURCE,
    SK_OPT_POLICY_PUBKEY,
    SK_OPT_POLICY_CA,
    SK_OPT_POLICY_POLL,
    SK_OPT_TEST_SIGNATURES,
    SK_OPT_TEST_CLOCK,
    SK_OPT_USER_HEADER,
    SK_OPT_USER_ENCODING,
    SK_OPT_GROUP_ENCODING,
    SK_OPT_GUARD_FIRST, /* limits and client access: sk_guard_opt() */
    SK_OPT_ALLOW_CLIENTS = SK_OPT_GUARD_FIRST,
    SK_OPT_TLS_CLIENT_CA,
    SK_OPT_MAX_SERVERS,
    SK_OPT_MAX_CONNS_PER_CLIENT,
    SK_OPT_MAX_HEADER_SIZE,
    SK_OPT_MAX_PREVIEW,
    SK_OPT_HEADER_TIMEOUT,
    SK_OPT_CONTINUE_TIMEOUT,
    SK_OPT_KEEPALIVE_TIMEOUT,
    SK_OPT_IO_TIMEOUT,
    SK_OPT_STATUS_LISTEN,
    SK_OPT_STATUS,
    SK_OPT_SYSLOG_SOCKET,
    SK_OPT_STATUS_ALLOW,
};

static const struct option sk_long_opts[] = {
    {"listen", required_argument, NULL, SK_OPT_LISTEN},
    {"tls-listen", required_argument, NULL, SK_OPT_TLS_LISTEN},
    {"tls-cert", required_argument, NULL, SK_OPT_TLS_CERT},
    {"tls-key", required_argument, NULL, SK_OPT_TLS_KEY},
    {"policy-db", required_argument, NULL, SK_OPT_POLICY_DB},
    {"clamav-db", required_argument, NULL, SK_OPT_CLAMAV_DB},
    {"config", required_argument, NULL, SK_OPT_CONFIG},
    {"foreground", no_argument, NULL, SK_OPT_FOREGROUND},
    {"run-dir", required_argument, NULL, SK_OPT_RUN_DIR},
    {"access-log", required_argument, NULL, SK_OPT_ACCESS_LOG},
    {"modules", required_argument, NULL, SK_OPT_MODULES},
    {"modules-dir", required_argument, NULL, SK_OPT_MODULES_DIR},
    {"debug", required_argument, NULL, SK_OPT_DEBUG},
    {"threads", required_argument, NULL, SK_OPT_THREADS},
    {"policy-source", required_argument, NULL, SK_OPT_POLICY_SOURCE},
    {"policy-pubkey", required_argument, NULL, SK_OPT_POLICY_PUBKEY},
    {"policy-ca", required_argument, NULL, SK_OPT_POLICY_CA},
    {"policy-poll", required_argument, NULL, SK_OPT_POLICY_POLL},
    {"test-signatures", no_argument, NULL, SK_OPT_TEST_SIGNATURES},
    {"test-clock", no_argument, NULL, SK_OPT_TEST_CLOCK},
    {"allow-clients", required_argument, NULL, SK_OPT_ALLOW_CLIENTS},
    {"tls-client-ca", required_argument, NULL, SK_OPT_TLS_CLIENT_CA},
    {"max-servers", required_argument, NULL, SK_OPT_MAX_SERVERS},
    {"max-conns-per-client", required_argument, NULL, SK_OPT_MAX_CONNS_PER_CLIENT},
    {"max-header-size", required_argument, NULL, SK_OPT_MAX_HEADER_SIZE},
    {"max-preview", required_argument, NULL, SK_OPT_MAX_PREVIEW},
    {"header-timeout", required_argument, NULL, SK_OPT_HEADER_TIMEOUT},
    {"continue-timeout", required_argument, NULL, SK_OPT_CONTINUE_TIMEOUT},
    {"keepalive-timeout", required_argument, NULL, SK_OPT_KEEPALIVE_TIMEOUT},
    {"user-header", required_argument, NULL, SK_OPT_USER_HEADER},
    {"user-encoding", required_argument, NULL, SK_OPT_USER_ENCODING},
    {"group-encoding", required_argument, NULL, SK_OPT_GROUP_ENCODING},
    {"io-timeout", required_argument, NULL, SK_OPT_IO_TIMEOUT},
    {"status-listen", required_argument, NULL, SK_OPT_STATUS_LISTEN},
    {"status-allow", required_argument, NULL, SK_OPT_STATUS_ALLOW},
    {"status", no_argument, NULL, SK_OPT_STATUS},
    {"syslog-socket", required_argument, NULL, SK_OPT_SYSLOG_SOCKET},
    {"help", no_argument, NULL, SK_OPT_HELP},
    {"version", no_argument, NULL, SK_OPT_VERSION},
    {NULL, 0, NULL, 0},
};

static void sk_usage(FILE *out)
{
    fprintf(
        out,
        "usage: " SK_LAUNCH_PROG " [--listen ADDR:PORT] [--policy-db FILE] "
        "[--clamav-db DIR]\n"
        "                      [--config FILE] [--foreground] [options]\n"
        "\n"
        "Runs the stock c-icap daemon with the Sekisho service.\n"
        "\n"
        "  --listen ADDR:PORT   address to listen on (default " SK_LAUNCH_DEFAULT_LISTEN ");\n"
        "                       all interfaces as 0.0.0.0:1344; IPv6 as [::1]:1344\n"
        "                       (needs a c-icap built with IPv6; Debian's is not)\n"
        "  --tls-listen ADDR:PORT  also serve ICAP over TLS (icaps://) there\n"
        "  --tls-cert FILE      PEM certificate (chain) for --tls-listen\n"
        "  --tls-key FILE       PEM private key (default: inside --tls-cert)\n"
        "  --policy-db FILE     policy database (default $SEKISHO_POLICY_DB or\n"
        "                       " SK_LAUNCH_DEFAULT_POLICY_DB ")\n"
        "  --clamav-db DIR      ClamAV signature directory (default " SK_LAUNCH_DEFAULT_CLAMAV_DB
        ")\n"
        "  --config FILE        c-icap.conf fragment Included last (overrides)\n"
        "  --foreground         stay attached; Ctrl-C/SIGTERM stops c-icap\n"
        "  --run-dir DIR        run directory (default: private temporary one)\n"
        "  --access-log FILE    Sekisho access log (default RUN/access.log; none: off)\n"
        "  --modules \"a b c\"    module chain (default: those of url_block dlp\n"
        "                       virus_scan xheaders that are installed)\n"
        "  --modules-dir DIR    where module .so files live\n"
        "  --debug N            c-icap debug level (default %d)\n"
        "  --threads N          c-icap threads per child process (default %d)\n"
        "  --policy-source URL  keep the policy in step with a publish directory\n"
        "                       (sekisho-policy publish) served over HTTP(S)\n"
        "  --policy-pubkey FILE the publisher's KEYFILE.pub: only bundles it signed apply\n"
        "  --policy-ca FILE     the only CAs for an https:// source (default: system CAs)\n"
        "  --policy-poll N      seconds between index checks (default 30)\n"
        "  --test-signatures    without ClamAV signatures, scan with a built-in\n"
        "                       EICAR-only test set instead of refusing to start\n"
        "  --test-clock         tests only: schedules are decided at the time an ICAP\n"
        "                       client sends in X-Sekisho-Test-Clock (ISO 8601)\n"
        "  --user-header NAME   ICAP header with the user name (default:\n"
        "                       X-Authenticated-User, then X-Client-Username)\n"
        "  --user-encoding plain|base64|auto  how the proxy sends the user name\n"
        "                       (default plain: Squid; base64: Squid's\n"
        "                       icap_client_username_encode on, ProxySG, Cisco)\n"
        "  --group-encoding plain|base64|auto  the same for X-Authenticated-Groups\n"
        "                       (default: as --user-encoding)\n"
        "Limits and client access (README, Security):\n"
        "  --allow-clients CIDR[,CIDR...]  who may connect (default: loopback when\n"
        "                       listening on loopback; required otherwise; 'any')\n"
        "  --tls-client-ca FILE  ICAPS clients need a certificate issued by this CA\n"
        "  --max-servers N      c-icap child processes at most (default %d)\n"
        "  --max-conns-per-client N  connections one address may hold (default\n"
        "                       half of MaxServers x ThreadsPerChild as c-icap\n"
        "                       reads them, --config included; 0: no limit)\n"
        "  --max-header-size BYTES  largest ICAP header (default %d; 400 beyond)\n"
        "  --max-preview BYTES  largest Preview a client may announce (default %d)\n"
        "  --header-timeout S   to send a whole ICAP header (default %d)\n"
        "  --continue-timeout S  to send data after 100 Continue (default %d)\n"
        "  --keepalive-timeout S  idle time between requests (default %d)\n"
        "  --io-timeout S       idle time inside a request (body, writes) (default %d)\n"
        "Operations (README, Monitoring):\n"
        "  --status-listen ADDR:PORT  serve /metrics (Prometheus), /healthz, /readyz and\n"
        "                       /status over HTTP there (PORT alone: 127.0.0.1:PORT)\n"
        "  --status-allow CIDR[,CIDR...]|any  who may connect to it (default: loopback;\n"
        "                       required when --status-listen is not a loopback address)\n"
        "  --status             print versions, policy, signatures and readiness of the\n"
        "                       server running in --run-dir, then exit (0: ready)\n"
        "  --access-log syslog[:FACILITY]  access lines to syslog (RFC 5424, JSON message)\n"
        "  --syslog-socket PATH syslog socket (default /dev/log)\n"
        "  --help, --version\n"
        "\n"
        "Environment: SEKISHO_CICAP (c-icap binary), SEKISHO_LIBDIR (service\n"
        "directory), SEKISHO_POLICY_DB.\n"
        "Exit status: 0 clean stop, 1 startup failure or c-icap died, 2 usage error.\n",
        SK_LAUNCH_DEFAULT_DEBUG, SK_LAUNCH_DEFAULT_THREADS, SK_LAUNCH_DEFAULT_MAX_SERVERS,
        SK_LAUNCH_DEFAULT_MAX_HEADER, SK_LAUNCH_DEFAULT_MAX_PREVIEW,
        SK_LAUNCH_DEFAULT_HEADER_TIMEOUT, SK_LAUNCH_DEFAULT_CONTINUE_TIMEOUT,
        SK_LAUNCH_DEFAULT_KEEPALIVE_TIMEOUT, SK_LAUNCH_DEFAULT_IO_TIMEOUT);
}

/* Strict decimal in [min, max]; returns 0 or -1. */
static int sk_parse_int(const char *s, long min, long max, long *out)
{
    char *end;
    long v;

    if (s == NULL || *s == '\0' || *s == '-' || *s == '+' || *s == ' ')
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

/* Accepts "A.B.C.D:PORT", "[v6]:PORT" and "localhost:PORT"; the address
 * must be numeric because c-icap binds with inet_pton(). */
int sk_launch_parse_listen(const char *text, struct sk_listen *out, const char **err)
{
    char host[64];
    const char *colon, *hstart;
    size_t hlen;
    long port;
    unsigned char buf[sizeof(struct in6_addr)];

    memset(out, 0, sizeof(*out));
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (close == NULL || close[1] != ':') {
            *err = "expected [IPv6]:PORT";
            return -1;
        }
        hstart = text + 1;
        hlen = (size_t)(close - hstart);
        colon = close + 1;
    } else {
        colon = strrchr(text, ':');
        if (colon == NULL) {
            *err = "expected ADDR:PORT, e.g. 127.0.0.1:1344";
            return -1;
        }
        if (memchr(text, ':', (size_t)(colon - text)) != NULL) {
            *err = "IPv6 addresses must be written in brackets: [::1]:1344";
            return -1;
        }
        hstart = text;
        hlen = (size_t)(colon - text);
    }
    if (hlen == 0 || hlen >= sizeof(host)) {
        *err = "missing or overlong address";
        return -1;
    }
    memcpy(host, hstart, hlen);
    host[hlen] = '\0';
    if (sk_parse_int(colon + 1, 1, 65535, &port) == -1) {
        *err = "port must be a number from 1 to 65535";
        return -1;
    }
    if (strcmp(host, "localhost") == 0)
        strcpy(host, "127.0.0.1");
    if (text[0] == '[' && inet_pton(AF_INET6, host, buf) == 1)
        out->family = AF_INET6;
    else if (text[0] != '[' && inet_pton(AF_INET, host, buf) == 1)
        out->family = AF_INET;
    else {
        *err = "address must be numeric IPv4 (127.0.0.1) or [IPv6] ([::1])";
        return -1;
    }
    snprintf(out->host, sizeof(out->host), "%s", host);
    out->port = (unsigned)port;
    if (out->family == AF_INET6) {
        snprintf(out->port_directive, sizeof(out->port_directive), "[%s]:%u", host, out->port);
    } else {
        snprintf(out->port_directive, sizeof(out->port_directive), "%s:%u", host, out->port);
    }
    snprintf(out->url, sizeof(out->url), "icap://%s", out->port_directive);
    return 0;
}

static int sk_bad_value(const char *opt, const char *val, const char *why)
{
    fprintf(stderr, SK_LAUNCH_PROG ": %s '%s': %s\n", opt, val, why);
    return -1;
}

/* "CIDR[,CIDR...]" with numeric addresses (at most SK_LAUNCH_MAX_CIDRS),
 * or "any"; the guard parses --allow-clients again inside c-icap, this
 * only names a mistake before c-icap starts. */
static int sk_check_cidrs(const char *text)
{
    struct sk_cidr nets[SK_LAUNCH_MAX_CIDRS];

    if (strcmp(text, "any") == 0)
        return 0;
    return sk_cidr_list_parse(text, nets, SK_LAUNCH_MAX_CIDRS) == -1 ? -1 : 0;
}

/* Limits and client access (sk_cicap_fix.so); returns 0 or -1. */
static int sk_guard_opt(int c, const char *arg, struct sk_launch_opts *opts)
{
    static const struct {
        const char *name;
        long min, max;
    } r[] = {
        [SK_OPT_MAX_SERVERS - SK_OPT_GUARD_FIRST] = {"--max-servers", 1, 64},
        [SK_OPT_MAX_CONNS_PER_CLIENT - SK_OPT_GUARD_FIRST] = {"--max-conns-per-client", 0, 100000},
        [SK_OPT_MAX_HEADER_SIZE - SK_OPT_GUARD_FIRST] = {"--max-header-size", 1024, 1L << 24},
        [SK_OPT_MAX_PREVIEW - SK_OPT_GUARD_FIRST] = {"--max-preview", 0, 1L << 24},
        [SK_OPT_HEADER_TIMEOUT - SK_OPT_GUARD_FIRST] = {"--header-timeout", 1, 3600},
        [SK_OPT_CONTINUE_TIMEOUT - SK_OPT_GUARD_FIRST] = {"--continue-timeout", 1, 3600},
        [SK_OPT_KEEPALIVE_TIMEOUT - SK_OPT_GUARD_FIRST] = {"--keepalive-timeout", 1, 86400},
        [SK_OPT_IO_TIMEOUT - SK_OPT_GUARD_FIRST] = {"--io-timeout", 1, 3600},
    };
    char why[64];
    long v;

    if (c == SK_OPT_ALLOW_CLIENTS) {
        if (sk_check_cidrs(arg) == -1)
            return sk_bad_value("--allow-clients", arg,
                                "expected CIDR[,CIDR...] "
                                "(10.0.0.5,192.168.1.0/24,::1) or any");
        opts->allow_clients = arg;
        return 0;
    }
    if (c == SK_OPT_TLS_CLIENT_CA) {
        char *abs = realpath(arg, opts->tls_client_ca_buf);

        if (!abs || access(abs, R_OK) != 0 || strpbrk(abs, " \t\"=\n\r"))
            return sk_bad_value("--tls-client-ca", arg,
                                abs ? "unreadable, or the path holds "
                                      "a space or '='"
                                    : strerror(errno));
        opts->tls_client_ca = abs;
        return 0;
    }
    snprintf(why, sizeof(why), "expected a number from %ld to %ld", r[c - SK_OPT_GUARD_FIRST].min,
             r[c - SK_OPT_GUARD_FIRST].max);
    if (sk_parse_int(arg, r[c - SK_OPT_GUARD_FIRST].min, r[c - SK_OPT_GUARD_FIRST].max, &v) == -1)
        return sk_bad_value(r[c - SK_OPT_GUARD_FIRST].name, arg, why);
    switch (c) {
    case SK_OPT_MAX_SERVERS:
        opts->max_servers = (int)v;
        break;
    case SK_OPT_MAX_CONNS_PER_CLIENT:
        opts->max_conns_per_client = (int)v;
        break;
    case SK_OPT_MAX_HEADER_SIZE:
        opts->max_header = v;
        break;
    case SK_OPT_MAX_PREVIEW:
        opts->max_preview = v;
        break;
    case SK_OPT_HEADER_TIMEOUT:
        opts->header_timeout = (int)v;
        break;
    case SK_OPT_CONTINUE_TIMEOUT:
        opts->continue_timeout = (int)v;
        break;
    case SK_OPT_IO_TIMEOUT:
        opts->io_timeout = (int)v;
        break;
    default:
        opts->keepalive_timeout = (int)v;
        break;
    }
    return 0;
}

static int sk_is_loopback(const struct sk_listen *l)
{
    return strncmp(l->host, "127.", 4) == 0 || strcmp(l->host, "::1") == 0;
}

/* Who may connect when --allow-clients is not given: on loopback, local
 * clients; on any other address the admin must name the proxies (or say
 * "any"): an ICAP server open to a network is what issue 11 found. */
static int sk_check_guard_opts(struct sk_launch_opts *o)
{
    if (o->tls_client_ca && !o->tls) {
        fprintf(stderr, SK_LAUNCH_PROG ": --tls-client-ca needs --tls-listen ADDR:PORT\n");
        return -1;
    }
    /* Not given: "auto", half of MaxServers x ThreadsPerChild as c-icap
     * finally reads them (a --config may change both): the guard resolves
     * it after the whole configuration (sk_launch_conf.c). */
    if (!o->max_conns_given)
        o->max_conns_per_client = -1;
    if (o->allow_clients)
        return 0;
    if (sk_is_loopback(&o->listen) && (!o->tls || sk_is_loopback(&o->tls_listen))) {
        o->allow_clients = "127.0.0.0/8,::1";
        return 0;
    }
    fprintf(stderr,
            SK_LAUNCH_PROG ": listening on %s needs --allow-clients CIDR[,CIDR...] "
                           "naming the proxies that may connect (or --allow-clients any)\n",
            sk_is_loopback(&o->listen) ? o->tls_listen.port_directive : o->listen.port_directive);
    return -1;
}

/* Who may use the status listener when --status-allow is not given: on
 * loopback, local clients (what the listener's address admits anyway);
 * on any other address the administrator names the scrapers and health
 * checkers (or says "any"), as --allow-clients asks for the ICAP port: a
 * listener open to a network by default is what an administrator who
 * chose an address did not say. */
static int sk_check_status_allow(struct sk_launch_opts *o)
{
    if (o->status_allow && !o->status_listen_on) {
        fprintf(stderr, SK_LAUNCH_PROG ": --status-allow needs --status-listen ADDR:PORT\n");
        return -1;
    }
    if (!o->status_listen_on || o->status_allow)
        return 0;
    if (sk_is_loopback(&o->status_listen)) {
        o->n_status_nets =
            sk_cidr_list_parse("127.0.0.0/8,::1", o->status_nets, SK_LAUNCH_MAX_CIDRS);
        return o->n_status_nets == 2 ? 0 : -1;
    }
    fprintf(stderr,
            SK_LAUNCH_PROG ": --status-listen %s needs --status-allow CIDR[,CIDR...] naming "
                           "who may read it (Prometheus, the load balancer), or --status-allow "
                           "any\n",
            o->status_listen.port_directive);
    return -1;
}

/* Handles one option; returns 0, -1 (usage error) or 1 (exit now). */
static int sk_apply_opt(int c, const char *arg, struct sk_launch_opts *opts)
{
    const char *why;
    long v;

    switch (c) {
    case SK_OPT_LISTEN:
        if (sk_launch_parse_listen(arg, &opts->listen, &why) == -1)
            return sk_bad_value("--listen", arg, why);
        return 0;
    case SK_OPT_TLS_LISTEN:
        if (sk_launch_parse_listen(arg, &opts->tls_listen, &why) == -1)
            return sk_bad_value("--tls-listen", arg, why);
        /* icaps:// in what we print; the c-icap directive is the same */
        memmove(opts->tls_listen.url + 5, opts->tls_listen.url + 4,
                strlen(opts->tls_listen.url + 4) + 1);
        opts->tls_listen.url[4] = 's';
        opts->tls = 1;
        return 0;
    case SK_OPT_TLS_CERT:
        opts->tls_cert = arg;
        return 0;
    case SK_OPT_TLS_KEY:
        opts->tls_key = arg;
        return 0;
    case SK_OPT_POLICY_DB:
        opts->policy_db = arg;
        return 0;
    case SK_OPT_POLICY_SOURCE:
        opts->policy_source = arg;
        return 0;
    case SK_OPT_POLICY_PUBKEY:
        opts->policy_pubkey = arg;
        return 0;
    case SK_OPT_POLICY_CA:
        opts->policy_ca = arg;
        return 0;
    case SK_OPT_POLICY_POLL:
        if (sk_parse_int(arg, 1, 86400, &v) == -1)
            return sk_bad_value("--policy-poll", arg, "expected seconds from 1 to 86400");
        opts->policy_poll = arg;
        return 0;
    case SK_OPT_CLAMAV_DB:
        opts->clamav_db = arg;
        return 0;
    case SK_OPT_CONFIG:
        opts->config = arg;
        return 0;
    case SK_OPT_FOREGROUND:
        opts->foreground = 1;
        return 0;
    case SK_OPT_TEST_SIGNATURES:
        opts->test_signatures = 1;
        return 0;
    case SK_OPT_TEST_CLOCK:
        opts->test_clock = 1;
        return 0;
    case SK_OPT_STATUS:
        opts->status = 1;
        return 0;
    case SK_OPT_SYSLOG_SOCKET:
        opts->syslog_socket = arg;
        return 0;
    case SK_OPT_STATUS_ALLOW:
        if (strcmp(arg, "any") == 0) {
            opts->status_allow_all = 1;
        } else {
            int n = sk_cidr_list_parse(arg, opts->status_nets, SK_LAUNCH_MAX_CIDRS);
            if (n == -1)
                return sk_bad_value("--status-allow", arg,
                                    "expected CIDR[,CIDR...] (10.0.0.5,192.168.1.0/24,::1) "
                                    "or any");
            opts->n_status_nets = n;
            opts->status_allow_all = 0;
        }
        opts->status_allow = arg;
        return 0;
    case SK_OPT_STATUS_LISTEN: {
        char full[96];
        /* a bare port is loopback: the status listener is not for the world */
        if (strspn(arg, "0123456789") == strlen(arg) &&
            snprintf(full, sizeof(full), "127.0.0.1:%s", arg) < 96)
            arg = full;
        if (sk_launch_parse_listen(arg, &opts->status_listen, &why) == -1)
            return sk_bad_value("--status-listen", arg, why);
        opts->status_listen_on = 1;
        return 0;
    }
    case SK_OPT_RUN_DIR:
        opts->run_dir = arg;
        return 0;
    case SK_OPT_ACCESS_LOG:
        opts->access_log = arg;
        return 0;
    case SK_OPT_MODULES:
        opts->modules = arg;
        return 0;
    case SK_OPT_MODULES_DIR:
        opts->modules_dir = arg;
        return 0;
    case SK_OPT_DEBUG:
        if (sk_parse_int(arg, 0, 10, &v) == -1)
            return sk_bad_value("--debug", arg, "expected a number from 0 to 10");
        opts->debug = (int)v;
        opts->debug_given = 1;
        return 0;
    case SK_OPT_THREADS:
        if (sk_parse_int(arg, 1, 1000, &v) == -1)
            return sk_bad_value("--threads", arg, "expected a number from 1 to 1000");
        opts->threads = (int)v;
        return 0;
    case SK_OPT_ALLOW_CLIENTS:
    case SK_OPT_TLS_CLIENT_CA:
    case SK_OPT_MAX_SERVERS:
    case SK_OPT_MAX_CONNS_PER_CLIENT:
    case SK_OPT_MAX_HEADER_SIZE:
    case SK_OPT_MAX_PREVIEW:
    case SK_OPT_HEADER_TIMEOUT:
    case SK_OPT_CONTINUE_TIMEOUT:
    case SK_OPT_KEEPALIVE_TIMEOUT:
    case SK_OPT_IO_TIMEOUT:
        if (c == SK_OPT_MAX_CONNS_PER_CLIENT)
            opts->max_conns_given = 1;
        return sk_guard_opt(c, arg, opts);
    case SK_OPT_USER_HEADER: /* a header field name (RFC 7230 token) */
        if (arg[0] == '\0' || strlen(arg) > 64 ||
            strspn(arg, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") !=
                strlen(arg))
            return sk_bad_value("--user-header", arg,
                                "expected a header name such as X-Client-Username");
        opts->user_header = arg;
        return 0;
    case SK_OPT_USER_ENCODING:
    case SK_OPT_GROUP_ENCODING:
        if (strcmp(arg, "plain") != 0 && strcmp(arg, "base64") != 0 && strcmp(arg, "auto") != 0)
            return sk_bad_value(c == SK_OPT_USER_ENCODING ? "--user-encoding" : "--group-encoding",
                                arg, "expected plain, base64 or auto");
        *(c == SK_OPT_USER_ENCODING ? &opts->user_encoding : &opts->group_encoding) = arg;
        return 0;
    case SK_OPT_HELP:
        sk_usage(stdout);
        return 1;
    case SK_OPT_VERSION:
        printf(SK_LAUNCH_PROG " %s\n", SK_LAUNCH_VERSION);
        return 1;
    default:
        return -1;
    }
}

/* ICAPS options belong together and need their own port. */
static int sk_check_tls_opts(const struct sk_launch_opts *o)
{
    const struct sk_listen *a = &o->listen, *b = &o->tls_listen;

    if (!o->tls && (o->tls_cert || o->tls_key)) {
        fprintf(stderr, SK_LAUNCH_PROG ": --tls-cert/--tls-key need --tls-listen ADDR:PORT\n");
        return -1;
    }
    if (o->tls && !o->tls_cert) {
        fprintf(stderr, SK_LAUNCH_PROG ": --tls-listen needs --tls-cert FILE (PEM)\n");
        return -1;
    }
    if (o->tls && a->port == b->port &&
        (strcmp(a->host, b->host) == 0 || strcmp(a->host, "0.0.0.0") == 0 ||
         strcmp(b->host, "0.0.0.0") == 0)) {
        fprintf(stderr,
                SK_LAUNCH_PROG ": --tls-listen %s overlaps --listen %s: use another "
                               "port\n",
                b->port_directive, a->port_directive);
        return -1;
    }
    return 0;
}

int sk_launch_parse_args(int argc, char **argv, struct sk_launch_opts *opts, int *exit_now)
{
    const char *why;
    const char *env_db;
    int c, r;

    memset(opts, 0, sizeof(*opts));
    *exit_now = 0;
    if (sk_launch_parse_listen(SK_LAUNCH_DEFAULT_LISTEN, &opts->listen, &why) == -1)
        return -1;
    env_db = getenv("SEKISHO_POLICY_DB");
    opts->policy_db = (env_db && *env_db) ? env_db : SK_LAUNCH_DEFAULT_POLICY_DB;
    opts->clamav_db = SK_LAUNCH_DEFAULT_CLAMAV_DB;
    opts->debug = SK_LAUNCH_DEFAULT_DEBUG;
    opts->threads = SK_LAUNCH_DEFAULT_THREADS;
    opts->max_servers = SK_LAUNCH_DEFAULT_MAX_SERVERS;
    opts->max_header = SK_LAUNCH_DEFAULT_MAX_HEADER;
    opts->max_preview = SK_LAUNCH_DEFAULT_MAX_PREVIEW;
    opts->header_timeout = SK_LAUNCH_DEFAULT_HEADER_TIMEOUT;
    opts->continue_timeout = SK_LAUNCH_DEFAULT_CONTINUE_TIMEOUT;
    opts->keepalive_timeout = SK_LAUNCH_DEFAULT_KEEPALIVE_TIMEOUT;
    opts->io_timeout = SK_LAUNCH_DEFAULT_IO_TIMEOUT;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", sk_long_opts, NULL)) != -1) {
        if (c == '?') {
            fprintf(stderr, SK_LAUNCH_PROG ": unknown option '%s' (see --help)\n",
                    argv[optind - 1]);
            return -1;
        }
        if (c == ':') {
            fprintf(stderr, SK_LAUNCH_PROG ": option '%s' needs a value\n", argv[optind - 1]);
            return -1;
        }
        r = sk_apply_opt(c, optarg, opts);
        if (r == 1) {
            *exit_now = 1;
            return 0;
        }
        if (r == -1)
            return -1;
    }
    if (optind < argc) {
        fprintf(stderr, SK_LAUNCH_PROG ": unexpected argument '%s' (see --help)\n", argv[optind]);
        return -1;
    }
    if (sk_check_tls_opts(opts) == -1 || sk_check_status_allow(opts) == -1)
        return -1;
    return sk_check_guard_opts(opts);
}

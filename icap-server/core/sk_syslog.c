/* sk_syslog.c - access-log lines to a local syslog socket as RFC 5424
 * messages whose MSG is the JSON line (--access-log syslog[:FACILITY]).
 * Trust: the JSON is already escaped (sk_accesslog_format); the header
 * holds only our own values. The socket is opened by the c-icap master
 * before fork and shared by the children: one datagram per line, which
 * the kernel delivers whole, so lines of different children never mix.
 * A syslog daemon that falls behind must not stall transactions: sends
 * never block, and a line the socket does not take is counted
 * (sekisho_accesslog_dropped_total), not retried. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "sk_metrics.h"
#include "sk_syslog.h"
#include "sk_util.h"

static int sk_sl_fd = -1;
static int sk_sl_facility = 16; /* local0 */
static struct sockaddr_un sk_sl_addr;
static char sk_sl_host[256];
static pthread_mutex_t sk_sl_lock = PTHREAD_MUTEX_INITIALIZER;

static const struct {
    const char *name;
    int code;
} sk_sl_facilities[] = {
    {"kern", 0},      {"user", 1},    {"mail", 2},    {"daemon", 3},  {"auth", 4},
    {"syslog", 5},    {"lpr", 6},     {"news", 7},    {"uucp", 8},    {"cron", 9},
    {"authpriv", 10}, {"ftp", 11},    {"local0", 16}, {"local1", 17}, {"local2", 18},
    {"local3", 19},   {"local4", 20}, {"local5", 21}, {"local6", 22}, {"local7", 23},
};

int sk_syslog_is_spec(const char *spec)
{
    return spec && (strcmp(spec, "syslog") == 0 || strncmp(spec, "syslog:", 7) == 0);
}

static int sk_sl_connect(void)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

    if (fd == -1)
        return -1;
    if (connect(fd, (struct sockaddr *)&sk_sl_addr, sizeof(sk_sl_addr)) == -1) {
        close(fd);
        return -1;
    }
    return fd;
}

int sk_syslog_open(const char *spec, const char *socket_path, char **err)
{
    const char *fac = strchr(spec, ':');
    const char *path = socket_path && socket_path[0] ? socket_path : "/dev/log";
    size_t i;

    sk_syslog_close();
    sk_sl_facility = 16;
    if (fac) {
        for (i = 0; i < sizeof(sk_sl_facilities) / sizeof(sk_sl_facilities[0]); i++)
            if (strcasecmp(fac + 1, sk_sl_facilities[i].name) == 0)
                break;
        if (i == sizeof(sk_sl_facilities) / sizeof(sk_sl_facilities[0])) {
            sk_seterr(err,
                      "access log %s: unknown syslog facility (local0..local7, daemon, "
                      "user, auth, authpriv, ...)",
                      spec);
            return -1;
        }
        sk_sl_facility = sk_sl_facilities[i].code;
    }
    if (strlen(path) >= sizeof(sk_sl_addr.sun_path)) {
        sk_seterr(err, "syslog socket %s: path too long", path);
        return -1;
    }
    memset(&sk_sl_addr, 0, sizeof(sk_sl_addr));
    sk_sl_addr.sun_family = AF_UNIX;
    memcpy(sk_sl_addr.sun_path, path, strlen(path) + 1);
    if ((sk_sl_fd = sk_sl_connect()) == -1) {
        sk_seterr(err, "access log %s: syslog socket %s: %m (is a syslog daemon running?)", spec,
                  path);
        return -1;
    }
    if (gethostname(sk_sl_host, sizeof(sk_sl_host) - 1) == -1 || !sk_sl_host[0])
        strcpy(sk_sl_host, "-");
    sk_sl_host[strcspn(sk_sl_host, " ")] = '\0';
    return 0;
}

int sk_syslog_active(void)
{
    return sk_sl_fd != -1;
}

/* A restarted syslog daemon makes a new socket: connect again, once. */
static int sk_sl_reconnect(int old)
{
    int fd;

    pthread_mutex_lock(&sk_sl_lock);
    if (sk_sl_fd == old && (fd = sk_sl_connect()) != -1) {
        dup3(fd, old, O_CLOEXEC); /* keeps the number other threads hold */
        close(fd);
    }
    fd = sk_sl_fd;
    pthread_mutex_unlock(&sk_sl_lock);
    return fd;
}

void sk_syslog_send(int severity, const char *json, size_t len)
{
    char head[512];
    struct timeval tv;
    struct tm tm;
    struct iovec iov[2];
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2};
    int n, fd = sk_sl_fd;

    if (fd == -1)
        return;
    while (len > 0 && json[len - 1] == '\n')
        len--;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    /* <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG (RFC 5424) */
    n = snprintf(head, sizeof(head),
                 "<%d>1 %04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s sekisho %ld "
                 "access - ",
                 sk_sl_facility * 8 + severity, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                 tm.tm_hour, tm.tm_min, tm.tm_sec, (long)(tv.tv_usec / 1000), sk_sl_host,
                 (long)getpid());
    if (n < 0 || n >= (int)sizeof(head))
        return;
    iov[0].iov_base = head;
    iov[0].iov_len = (size_t)n;
    iov[1].iov_base = (void *)json;
    iov[1].iov_len = len;
    if (sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
        return;
    if ((errno == ECONNREFUSED || errno == ENOTCONN) &&
        sendmsg(sk_sl_reconnect(fd), &msg, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
        return;
    sk_metrics_log_dropped();
}

void sk_syslog_close(void)
{
    if (sk_sl_fd != -1)
        close(sk_sl_fd);
    sk_sl_fd = -1;
}

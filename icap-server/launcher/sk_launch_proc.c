/* sk_launch_proc.c - starts c-icap, waits for the service's readiness file and
 * the listen socket, then supervises it or leaves it detached.
 * SECURITY: reads the status file c-icap writes in our 0700 run directory;
 * runs as the invoking user and signals only the process group it created. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sk_launch.h"
#include "sk_launch_status.h"

#define SK_TAIL_LINES 8

struct sk_child {
    pid_t pid;  /* also its process group id */
    int status; /* wait status once reaped */
    int reaped;
};

static double sk_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Waits up to ms for one of the blocked signals in set; returns it or 0. */
static int sk_wait_signal(const sigset_t *set, long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    int sig = sigtimedwait(set, NULL, &ts);

    return sig > 0 ? sig : 0;
}

/* Returns 1 once the child has exited (status kept), 0 while it runs. */
static int sk_child_gone(struct sk_child *c)
{
    if (!c->reaped && waitpid(c->pid, &c->status, WNOHANG) == c->pid)
        c->reaped = 1;
    return c->reaped;
}

static void sk_describe_exit(int status, char *buf, size_t len)
{
    if (WIFEXITED(status))
        snprintf(buf, len, "exit status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, len, "signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        snprintf(buf, len, "wait status %d", status);
}

/* Prints the last lines of c-icap's output, which (run with -D) holds the
 * server log plus the config errors c-icap reports before opening it. */
static void sk_print_tail(const struct sk_launch_env *env)
{
    char *lines[SK_TAIL_LINES] = {0};
    char buf[1024];
    FILE *f;
    int i, n = 0;

    if ((f = fopen(env->out_file, "r")) == NULL)
        return;
    while (fgets(buf, sizeof(buf), f) != NULL) {
        buf[strcspn(buf, "\n")] = '\0';
        /* Noise from "Service sekisho ...", whose name equals its alias. */
        if (buf[0] == '\0' || strncmp(buf, "Warning, alias is the same", 26) == 0)
            continue;
        free(lines[n % SK_TAIL_LINES]);
        lines[n % SK_TAIL_LINES] = strdup(buf);
        n++;
    }
    fclose(f);
    if (n > 0)
        fprintf(stderr, SK_LAUNCH_PROG ": last lines of c-icap's output (%s):\n", env->out_file);
    for (i = n > SK_TAIL_LINES ? n - SK_TAIL_LINES : 0; i < n; i++) {
        if (lines[i % SK_TAIL_LINES])
            fprintf(stderr, "    %s\n", lines[i % SK_TAIL_LINES]);
    }
    for (i = 0; i < SK_TAIL_LINES; i++)
        free(lines[i]);
}

/* Start-up warnings of our modules (e.g. virus_scan running on its test
 * signatures) belong on the administrator's terminal, not only in a file
 * in the run directory. Read before any client has connected, so the
 * lines hold no client bytes. */
static void sk_print_warnings(const struct sk_launch_env *env)
{
    char buf[2048];
    FILE *f;

    if ((f = fopen(env->out_file, "r")) == NULL)
        return;
    while (fgets(buf, sizeof(buf), f) != NULL) {
        buf[strcspn(buf, "\r\n")] = '\0';
        if (strncmp(buf, "sekisho ", 8) == 0 && strstr(buf, ": WARNING: ") != NULL)
            fprintf(stderr, SK_LAUNCH_PROG ": %s\n", buf);
    }
    fclose(f);
}

/* Debian's c-icap 0.5.10 is built without IPv6 listening: it then tries
 * the address as IPv4 and exits. Say so instead of leaving that puzzle. */
static void sk_hint_ipv6(const struct sk_launch_env *env, const struct sk_listen *l)
{
    char buf[1024];
    FILE *f;
    int hit = 0;

    if (l->family != AF_INET6 || (f = fopen(env->out_file, "r")) == NULL)
        return;
    while (!hit && fgets(buf, sizeof(buf), f) != NULL)
        hit = strstr(buf, "converting ipv4 address") != NULL;
    fclose(f);
    if (hit)
        fprintf(stderr,
                SK_LAUNCH_PROG ": %s cannot listen on IPv6 (built without "
                               "IPv6 support); use an IPv4 --listen address\n",
                env->cicap);
}

/* SIGTERM to c-icap, which stops its children; SIGKILL to the whole group
 * after the grace period or at once on a second interrupt. */
static void sk_stop(struct sk_child *c, const sigset_t *set)
{
    double deadline = sk_now() + SK_LAUNCH_STOP_TIMEOUT;
    int sig;

    if (!sk_child_gone(c))
        kill(c->pid, SIGTERM);
    while (!sk_child_gone(c) && sk_now() < deadline) {
        sig = sk_wait_signal(set, 100);
        if (sig == SIGINT || sig == SIGTERM)
            break;
    }
    if (!sk_child_gone(c)) {
        fprintf(stderr, SK_LAUNCH_PROG ": c-icap did not stop, killing it\n");
        kill(-c->pid, SIGKILL);
        waitpid(c->pid, &c->status, 0);
        c->reaped = 1;
    }
    /* Children c-icap could not reap (it was killed) must not outlive us. */
    kill(-c->pid, SIGKILL);
}

/* Child side of the fork: own process group (or session when detached, so a
 * closing terminal cannot reach it), output to RUN/c-icap.out, exec c-icap.
 * An exec failure is reported through the close-on-exec pipe. */
/* In the child, before exec: append our fix for c-icap's Encapsulated
 * parser (icap-server/guard/sk_cicap_fix.c) to LD_PRELOAD, after anything
 * already there (a sanitizer runtime must stay first). */
static void sk_preload_fix(const struct sk_launch_env *env)
{
    char path[4096], value[8192];
    const char *old = getenv("LD_PRELOAD");

    if (snprintf(path, sizeof(path), "%s/sk_cicap_fix.so", env->libdir) >= (int)sizeof(path) ||
        access(path, R_OK) != 0)
        return;
    if (snprintf(value, sizeof(value), "%s%s%s", old && *old ? old : "", old && *old ? " " : "",
                 path) >= (int)sizeof(value))
        return;
    setenv("LD_PRELOAD", value, 1);
}

static void sk_exec_child(const struct sk_launch_env *env, const struct sk_launch_opts *opts,
                          pid_t parent, int report_fd, const sigset_t *oldmask)
{
    char debug[16], num[24];
    char *argv[9];
    int fd, i = 0, e;

    if (opts->foreground) {
        setpgid(0, 0);
        /* Foreground c-icap dies with the launcher, even on SIGKILL. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(127);
    } else {
        setsid();
    }
    /* For the service's post_init (srv_sekisho.c sk_launcher_check): the
     * user the run directory belongs to, and in the foreground the parent
     * whose death c-icap must follow after a Group switch cleared it. */
    snprintf(num, sizeof(num), "%u", (unsigned)getuid());
    setenv("SEKISHO_LAUNCHER_UID", num, 1);
    if (opts->foreground) {
        snprintf(num, sizeof(num), "%ld", (long)parent);
        setenv("SEKISHO_LAUNCHER_PID", num, 1);
    } else {
        unsetenv("SEKISHO_LAUNCHER_PID");
    }
    sigprocmask(SIG_SETMASK, oldmask, NULL);
    signal(SIGPIPE, SIG_DFL);
    /* Whatever c-icap creates (pid file, control socket, an access log of
     * ours) holds client data or controls the server: owner only. */
    umask(077);
    if ((fd = open("/dev/null", O_RDONLY)) != -1) {
        dup2(fd, 0);
        close(fd);
    }
    fd = open(env->out_file, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
    if (fd != -1) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
    }
    sk_preload_fix(env);
    argv[i++] = env->cicap;
    argv[i++] = "-N";
    argv[i++] = "-D";
    argv[i++] = "-f";
    argv[i++] = env->conf_file;
    if (opts->debug_given) {
        snprintf(debug, sizeof(debug), "%d", opts->debug);
        argv[i++] = "-d";
        argv[i++] = debug;
    }
    argv[i] = NULL;
    execv(env->cicap, argv);
    e = errno;
    if (write(report_fd, &e, sizeof(e)) < 0)
        _exit(127);
    _exit(127);
}

static int sk_spawn(const struct sk_launch_env *env, const struct sk_launch_opts *opts,
                    const sigset_t *oldmask, struct sk_child *c)
{
    int pfd[2], e = 0;
    pid_t parent = getpid();
    ssize_t n;

    memset(c, 0, sizeof(*c));
    if (pipe2(pfd, O_CLOEXEC) == -1) {
        fprintf(stderr, SK_LAUNCH_PROG ": pipe: %s\n", strerror(errno));
        return -1;
    }
    c->pid = fork();
    if (c->pid == -1) {
        fprintf(stderr, SK_LAUNCH_PROG ": fork: %s\n", strerror(errno));
        close(pfd[0]);
        close(pfd[1]);
        return -1;
    }
    if (c->pid == 0) {
        close(pfd[0]);
        sk_exec_child(env, opts, parent, pfd[1], oldmask);
    }
    /* Both sides set the group so kill(-pid) works whoever runs first. */
    if (opts->foreground)
        setpgid(c->pid, c->pid);
    close(pfd[1]);
    do {
        n = read(pfd[0], &e, sizeof(e));
    } while (n == -1 && errno == EINTR);
    close(pfd[0]);
    if (n == (ssize_t)sizeof(e)) {
        fprintf(stderr, SK_LAUNCH_PROG ": cannot run %s: %s\n", env->cicap, strerror(e));
        waitpid(c->pid, &c->status, 0);
        c->reaped = 1;
        return -1;
    }
    return 0;
}

/* Reads the first line of the status file: 1 ready, -1 error (message
 * printed), 0 not written yet. The service renames it into place whole. */
static int sk_read_status(const struct sk_launch_env *env)
{
    char line[1024];
    FILE *f;

    if ((f = fopen(env->status_file, "r")) == NULL)
        return 0;
    if (fgets(line, sizeof(line), f) == NULL) {
        fclose(f);
        return 0;
    }
    fclose(f);
    line[strcspn(line, "\r\n")] = '\0';
    if (strncmp(line, "ready", 5) == 0 && (line[5] == '\0' || line[5] == ' '))
        return 1;
    if (strncmp(line, "error:", 6) == 0) {
        fprintf(stderr, SK_LAUNCH_PROG ": %s\n", line + 6 + strspn(line + 6, " "));
        return -1;
    }
    fprintf(stderr, SK_LAUNCH_PROG ": unexpected status from the service in %s: %s\n",
            env->status_file, line);
    return -1;
}

/* connect() to where c-icap listens; wildcard addresses via loopback. */
static int sk_can_connect(const struct sk_listen *l)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd, ok;

    memset(&ss, 0, sizeof(ss));
    if (l->family == AF_INET6) {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((unsigned short)l->port);
        inet_pton(AF_INET6, l->host, &a6->sin6_addr);
        if (IN6_IS_ADDR_UNSPECIFIED(&a6->sin6_addr))
            a6->sin6_addr = in6addr_loopback;
        len = sizeof(*a6);
    } else {
        struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
        a4->sin_family = AF_INET;
        a4->sin_port = htons((unsigned short)l->port);
        inet_pton(AF_INET, l->host, &a4->sin_addr);
        if (a4->sin_addr.s_addr == htonl(INADDR_ANY))
            a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof(*a4);
    }
    if ((fd = socket(l->family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
        return 0;
    ok = connect(fd, (struct sockaddr *)&ss, len) == 0;
    close(fd);
    return ok;
}

/* Returns 0 when ready, -1 after reporting why not (c-icap then stopped). */
static int sk_wait_ready(struct sk_launch_env *env, const struct sk_launch_opts *opts,
                         struct sk_child *c, const sigset_t *set)
{
    double deadline = sk_now() + SK_LAUNCH_READY_TIMEOUT;
    char how[64];
    int st = 0, sig;

    while (sk_now() < deadline) {
        if (st == 0 && (st = sk_read_status(env)) == -1)
            goto fail;
        if (st == 1 && sk_can_connect(&opts->listen))
            return 0;
        if (sk_child_gone(c)) {
            sk_describe_exit(c->status, how, sizeof(how));
            fprintf(stderr, SK_LAUNCH_PROG ": c-icap exited (%s) before %s\n", how,
                    st == 1 ? "accepting connections" : "the service was ready");
            sk_print_tail(env);
            sk_hint_ipv6(env, &opts->listen);
            goto fail;
        }
        /* SIGHUP is dropped here: c-icap installs its handler late. */
        sig = sk_wait_signal(set, 50);
        if (sig == SIGINT || sig == SIGTERM) {
            fprintf(stderr, SK_LAUNCH_PROG ": interrupted before c-icap was ready\n");
            goto fail;
        }
    }
    if (st == 0)
        fprintf(stderr, SK_LAUNCH_PROG ": the service did not report ready within %d s\n",
                SK_LAUNCH_READY_TIMEOUT);
    else
        fprintf(stderr,
                SK_LAUNCH_PROG ": c-icap does not accept connections on %s "
                               "after %d s\n",
                opts->listen.port_directive, SK_LAUNCH_READY_TIMEOUT);
    sk_print_tail(env); /* a temporary run dir is removed on the way out */
fail:
    sk_stop(c, set);
    return -1;
}

/* Foreground: until c-icap exits or we are told to stop. */
static int sk_supervise(struct sk_launch_env *env, const struct sk_launch_opts *opts,
                        struct sk_child *c, const sigset_t *set, const sigset_t *oldmask)
{
    char how[64];
    int sig;
    pid_t puller = sk_launch_pull_spawn(env, opts, oldmask);
    long long log_offset = -1, out_offset = -1;

    sk_launch_logecho(env->server_log, &log_offset, 0); /* start-up lines were shown */
    sk_launch_logecho(env->out_file, &out_offset, 1);
    for (;;) {
        sig = sk_wait_signal(set, 1000);
        puller = sk_launch_pull_check(env, opts, oldmask, puller);
        sk_launch_logecho(env->server_log, &log_offset, 0);
        sk_launch_logecho(env->out_file, &out_offset, 1);
        if (sig == SIGHUP) {
            fprintf(stderr, SK_LAUNCH_PROG ": SIGHUP: asking c-icap to reconfigure\n");
            kill(c->pid, SIGHUP);
        } else if (sig == SIGINT || sig == SIGTERM) {
            fprintf(stderr, SK_LAUNCH_PROG ": stopping c-icap\n");
            sk_launch_pull_stop(puller);
            sk_stop(c, set);
            return SK_LAUNCH_EXIT_OK;
        }
        if (sk_child_gone(c)) {
            sk_describe_exit(c->status, how, sizeof(how));
            fprintf(stderr, SK_LAUNCH_PROG ": c-icap exited unexpectedly (%s)\n", how);
            sk_print_tail(env);
            sk_launch_pull_stop(puller);
            kill(-c->pid, SIGKILL);
            return SK_LAUNCH_EXIT_FAIL;
        }
    }
}

/* Detached: the launcher exits, so a small process of its own keeps the
 * status listener up for as long as the c-icap master lives. */
static void sk_status_detached(const struct sk_launch_env *env, const struct sk_launch_opts *opts,
                               pid_t cicap)
{
    char *err = NULL;
    pid_t pid;
    int fd;

    if (!opts->status_listen_on || (pid = fork()) != 0)
        return;
    setsid();
    if (sk_launch_status_start(&opts->status_listen, opts->status_allow_all, opts->status_nets,
                               opts->n_status_nets, env->metrics_file, &err) == -1) {
        fprintf(stderr, SK_LAUNCH_PROG ": %s\n", err);
        _exit(1);
    }
    sk_launch_status_set_cicap(cicap);
    /* a daemon now: keep no terminal or pipe of whoever started us open */
    if ((fd = open("/dev/null", O_RDWR)) != -1) {
        dup2(fd, 0);
        dup2(fd, 1);
        dup2(fd, 2);
        if (fd > 2)
            close(fd);
    }
    while (kill(cicap, 0) == 0)
        sleep(1);
    sk_launch_status_stop();
    _exit(0);
}

/* Foreground: the listener runs beside the supervisor loop. */
static int sk_status_foreground(const struct sk_launch_env *env, const struct sk_launch_opts *opts)
{
    char *err = NULL;

    if (!opts->status_listen_on || !opts->foreground)
        return 0;
    if (sk_launch_status_start(&opts->status_listen, opts->status_allow_all, opts->status_nets,
                               opts->n_status_nets, env->metrics_file, &err) == -1) {
        fprintf(stderr, SK_LAUNCH_PROG ": %s\n", err);
        free(err);
        return -1;
    }
    return 0;
}

int sk_launch_run(struct sk_launch_env *env, const struct sk_launch_opts *opts)
{
    sigset_t set, oldmask;
    struct sk_child c;
    int rc;

    /* Signals are taken synchronously with sigtimedwait(); SIGCHLD must be
     * blocked (not ignored) so it is queued. */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, &oldmask);
    signal(SIGPIPE, SIG_IGN);

    /* before c-icap: /healthz answers 503 while it starts (the listener's
     * thread inherits the blocked signal mask; its socket is close-on-exec) */
    if (sk_status_foreground(env, opts) == -1)
        return SK_LAUNCH_EXIT_FAIL;
    if (sk_spawn(env, opts, &oldmask, &c) == -1)
        return SK_LAUNCH_EXIT_FAIL;
    sk_launch_status_set_cicap(c.pid);
    if (sk_wait_ready(env, opts, &c, &set) == -1)
        return SK_LAUNCH_EXIT_FAIL;
    sk_print_warnings(env);

    printf(SK_LAUNCH_PROG ": listening on %s (services: sekisho reqmod respmod "
                          "REQ-Service resp avscan, and the bare root)\n",
           opts->listen.url);
    if (opts->tls)
        printf(SK_LAUNCH_PROG ": listening on %s (ICAP over TLS, certificate %s)\n",
               opts->tls_listen.url, env->tls_cert);
    printf(SK_LAUNCH_PROG ": access log %s, server log %s, run dir %s\n", env->access_log,
           env->server_log, env->run_dir);
    fflush(stdout);
    if (opts->status_listen_on)
        printf(SK_LAUNCH_PROG ": status on http://%s/ (/metrics /healthz /readyz /status)\n",
               opts->status_listen.port_directive);
    fflush(stdout);
    if (opts->foreground) {
        rc = sk_supervise(env, opts, &c, &set, &oldmask);
        sk_launch_status_stop();
        return rc;
    }
    sk_launch_pull_spawn(env, opts, &oldmask); /* detached; RUN/pull.pid */
    sk_status_detached(env, opts, c.pid);

    printf(SK_LAUNCH_PROG ": running in the background as pid %ld (pid file %s); "
                          "the run dir is kept; stop with: kill $(cat %s)\n",
           (long)c.pid, env->pid_file, env->pid_file);
    fflush(stdout);
    env->run_dir_is_temp = 0; /* c-icap still uses it */
    env->sweep_tmp = 0;
    return SK_LAUNCH_EXIT_OK;
}

/* sk_launch.h - types and entry points shared by the sekisho-server launcher. */
#ifndef SK_LAUNCH_H
#define SK_LAUNCH_H

#include <limits.h>
#include <signal.h>
#include <sys/types.h>

#include <sekisho/net.h>

#define SK_LAUNCH_PROG                      "sekisho-server"
#define SK_LAUNCH_DEFAULT_LISTEN            "127.0.0.1:1344"
#define SK_LAUNCH_DEFAULT_POLICY_DB         "/var/lib/sekisho/policy.db"
#define SK_LAUNCH_DEFAULT_CLAMAV_DB         "/var/lib/clamav"
#define SK_LAUNCH_DEFAULT_THREADS           20
#define SK_LAUNCH_DEFAULT_DEBUG             1
#define SK_LAUNCH_READY_TIMEOUT             30 /* seconds, status file plus connect() */
#define SK_LAUNCH_STOP_TIMEOUT              10 /* seconds between SIGTERM and SIGKILL */
#define SK_LAUNCH_DEFAULT_MAX_SERVERS       4
#define SK_LAUNCH_DEFAULT_MAX_HEADER        65536
#define SK_LAUNCH_DEFAULT_MAX_PREVIEW       65536
#define SK_LAUNCH_DEFAULT_HEADER_TIMEOUT    10
#define SK_LAUNCH_DEFAULT_CONTINUE_TIMEOUT  30
#define SK_LAUNCH_DEFAULT_KEEPALIVE_TIMEOUT 75
/* c-icap's Timeout: a stalled body or an unread answer. Like Squid's
 * icap_io_timeout (5 min): an origin may legitimately pause a response. */
#define SK_LAUNCH_DEFAULT_IO_TIMEOUT 300

/* Networks in one --allow-clients or --status-allow list. */
#define SK_LAUNCH_MAX_CIDRS 64

/* Exit statuses of the launcher. */
#define SK_LAUNCH_EXIT_OK    0
#define SK_LAUNCH_EXIT_FAIL  1
#define SK_LAUNCH_EXIT_USAGE 2

/* The listen address as given and as c-icap and connect() need it. */
struct sk_listen {
    int family;              /* AF_INET or AF_INET6 */
    char host[64];           /* numeric, without brackets: "127.0.0.1", "::1" */
    unsigned port;           /* 1..65535 */
    char port_directive[80]; /* c-icap "Port" value: "127.0.0.1:1344", "[::1]:1344" */
    char url[96];            /* "icap://127.0.0.1:1344", "icap://[::1]:1344" */
};

/* Command-line options. Strings are borrowed from argv or the environment
 * for the life of the process. */
struct sk_launch_opts {
    struct sk_listen listen;
    struct sk_listen tls_listen; /* valid when tls is set */
    int tls;
    const char *tls_cert; /* PEM certificate (chain) for ICAPS */
    const char *tls_key;  /* PEM private key; NULL: inside tls_cert */
    const char *policy_db;
    const char *clamav_db;
    const char *config;      /* NULL: no admin Include */
    const char *run_dir;     /* NULL: private mkdtemp directory */
    const char *access_log;  /* NULL: RUN/access.log */
    const char *modules;     /* NULL: default list of those present */
    const char *modules_dir; /* NULL: LIBDIR/modules */
    int debug;
    int debug_given; /* pass -d to c-icap only when asked */
    int threads;
    int foreground;
    /* --policy-source and friends (sk_launch_pull.c); NULL when not given */
    const char *policy_source, *policy_pubkey, *policy_ca, *policy_poll;
    int test_signatures; /* virus_scan may use its EICAR-only test set */
    int test_clock;      /* schedules honour X-Sekisho-Test-Clock (tests only) */
    /* Limits and client access, enforced by sk_cicap_fix.so / sk_guard.so
     * (icap-server/guard); see sk_launch_args.c for the defaults. */
    int max_servers;
    int max_conns_per_client; /* -1 (not given): "auto", see sk_fix_capacity */
    int max_conns_given;
    long max_header;    /* ICAP header bytes */
    long max_preview;   /* Preview value */
    int header_timeout; /* seconds */
    int continue_timeout;
    int keepalive_timeout;
    int io_timeout;            /* c-icap Timeout */
    const char *allow_clients; /* NULL: loopback when listening on loopback */
    const char *tls_client_ca; /* absolute PEM path (in tls_client_ca_buf), or NULL */
    char tls_client_ca_buf[PATH_MAX];
    const char *user_header;    /* NULL: the service's default headers */
    const char *user_encoding;  /* plain|base64|auto; NULL: the service's default */
    const char *group_encoding; /* the same for groups; NULL: as user_encoding */
    /* Operations (issue 13): status listener, status summary, syslog */
    struct sk_listen status_listen; /* valid when status_listen_on */
    int status_listen_on;
    int status; /* --status: print the node's state and exit */
    /* --status-allow: who may use the status listener. Resolved by
     * sk_launch_parse_args: all (any), or the networks (loopback by default
     * on a loopback listener; a non-loopback one must be given a list). */
    const char *status_allow;
    int status_allow_all;
    int n_status_nets;
    struct sk_cidr status_nets[SK_LAUNCH_MAX_CIDRS];
    const char *syslog_socket; /* NULL: /dev/log */
};

/* Everything resolved before c-icap starts. All strings malloc'd, owned
 * here and released by sk_launch_env_free(). */
struct sk_launch_env {
    char *cicap;     /* the c-icap daemon binary */
    char *libdir;    /* where srv_sekisho.so lives */
    char *service;   /* LIBDIR/srv_sekisho.so */
    char *moddir;    /* Sekisho modules directory */
    char *modules;   /* space-separated names or absolute paths; "" = none */
    char *policy_db; /* absolute */
    char *clamav_db;
    char *config;        /* absolute, or NULL */
    char *run_dir;       /* absolute */
    int run_dir_is_temp; /* created by mkdtemp: removed when we stop c-icap */
    char *access_log;
    char *conf_file;    /* RUN/c-icap.conf */
    char *pid_file;     /* RUN/c-icap.pid */
    char *status_file;  /* RUN/status */
    char *server_log;   /* RUN/server.log */
    char *out_file;     /* RUN/c-icap.out: c-icap's stdout/stderr (-D) */
    char *tmp_dir;      /* RUN/tmp: c-icap's TmpDir and our spill directory */
    int sweep_tmp;      /* no other c-icap uses RUN/tmp: empty it on the way out */
    char *tls_cert;     /* absolute, or NULL without --tls-listen */
    char *tls_key;      /* absolute (the certificate file when no key given) */
    char *metrics_file; /* RUN/metrics: node-wide counters (sk_metrics.h) */
};

/* sk_launch_args.c */
/* Parse argv into opts. Returns 0, or -1 after printing one usage-error
 * line (exit 2); *exit_now is set to 1 after --help / --version (exit 0). */
int sk_launch_parse_args(int argc, char **argv, struct sk_launch_opts *opts, int *exit_now);
/* Parse "ADDR:PORT" ("[v6]:PORT", "localhost:PORT"). Returns 0 or -1 with
 * *err pointing to a static reason. */
int sk_launch_parse_listen(const char *text, struct sk_listen *out, const char **err);

/* sk_launch_env.c */
/* Resolve paths, check the pieces exist, create the run directory.
 * Returns 0, or -1 with a malloc'd one-line message in *err (caller frees). */
int sk_launch_env_init(struct sk_launch_env *env, const struct sk_launch_opts *opts, char **err);
void sk_launch_env_free(struct sk_launch_env *env);
/* Remove a run directory we created ourselves; otherwise empty RUN/tmp
 * of what a c-icap that is gone left there (unless it runs detached). */
void sk_launch_env_cleanup(struct sk_launch_env *env);
/* Check that the listen address can be bound now. Returns 0 or -1 with
 * *err (caller frees). */
int sk_launch_check_listen(const struct sk_listen *l, char **err);
/* asprintf that returns NULL on failure; caller frees. */
char *sk_launch_strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* sk_launch_conf.c */
/* Write RUN/c-icap.conf atomically. Returns 0 or -1 with *err. */
int sk_launch_write_conf(const struct sk_launch_env *env, const struct sk_launch_opts *opts,
                         char **err);

/* sk_launch_pull.c */
/* With --policy-source: one `sekisho-policy pull --once` before start
 * (creating the database if needed). 0, or -1 with *err when the node has
 * no policy at all to start with. No-op without --policy-source. */
int sk_launch_pull_first(const struct sk_launch_opts *opts, char **err);
/* Start the polling puller; its pid, or 0 when not configured. */
pid_t sk_launch_pull_spawn(const struct sk_launch_env *env, const struct sk_launch_opts *opts,
                           const sigset_t *oldmask);
/* Restart the puller if it exited; returns its (new) pid. */
pid_t sk_launch_pull_check(const struct sk_launch_env *env, const struct sk_launch_opts *opts,
                           const sigset_t *oldmask, pid_t pid);
void sk_launch_pull_stop(pid_t pid);

/* sk_launch_metrics.c: `--status` for the server of --run-dir; returns the
 * exit status (0 ready, 1 not ready or not running, 2 usage). */
int sk_launch_status_print(const struct sk_launch_opts *opts);

/* sk_launch_logecho.c: echo new important server-log lines to stderr.
 * *offset: where the last look ended; -1 starts at the current end. OUT:
 * PATH is c-icap's output (RUN/c-icap.out), where only the modules' own
 * "sekisho MODULE: ..." lines are taken. */
void sk_launch_logecho(const char *path, long long *offset, int out);

/* sk_launch_proc.c */
/* Start c-icap, wait for readiness, then supervise it (foreground) or
 * leave it running (detached). Returns the launcher's exit status. */
int sk_launch_run(struct sk_launch_env *env, const struct sk_launch_opts *opts);

#endif

/* srv_sekisho.c - the c-icap service "sekisho": configuration directives,
 * start-up (module chain, policy database, access log), ISTag upkeep.
 * Runs in the c-icap master before fork (post_init) and in every child.
 * SECURITY: configuration is trusted administrator input; nothing here
 * parses client data (see srv_request.c for that). */
#include <ctype.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "c-icap.h"
#include "cfg_param.h"
#include "commands.h"
#include "debug.h"
#include "request.h"
#include "service.h"
#include "simple_api.h"

#include <sekisho/policy_snapshot.h>

#include "sk_accesslog.h"
#include "sk_dirgroups.h"
#include "sk_ident.h"
#include "sk_infected.h"
#include "sk_istag.h"
#include "sk_notify.h"
#include "sk_metrics.h"
#include "sekisho/text.h"
#include "sk_util.h"
#include "sk_version.h"
#include "srv_sekisho.h"

struct sk_server sk_srv = {
    .conf =
        {
            .clamav_db = NULL,
            .on_error = SK_ON_ERROR_BLOCK,
            /* A client that takes the size from OPTIONS (Squid, ProxySG)
             * sends a body of up to 16 KiB whole in the preview and gets
             * the verdict in one round trip: no 100 Continue, no second
             * wait (+20-30% at 10 KB; icap-server/README.md, "Preview"). */
            .preview = 16384,
            .check_interval = 1,
            .max_mem_body = 1024 * 1024,
            .hold_commit_size = 0, /* hold to the verdict; see sk_commit */
            .trickle_hold_back = 1024 * 1024,
            .group_encoding = -1, /* from user_encoding (sk_ident_group_encoding) */
        },
    .istag_lock = PTHREAD_MUTEX_INITIALIZER,
};

static int sk_cfg_modules(const char *directive, const char **argv, void *setdata)
{
    struct sk_server_conf *c = setdata;

    for (int i = 0; i < c->n_modules; i++)
        free(c->modules[i]);
    c->n_modules = 0; /* the last sekisho.Modules line wins */
    for (; argv && *argv; argv++) {
        if (c->n_modules >= SK_MAX_LISTED_MODULES) {
            ci_debug_printf(1, "%s: more than %d modules\n", directive, SK_MAX_LISTED_MODULES);
            return 0;
        }
        c->modules[c->n_modules++] = strdup(*argv);
    }
    return 1;
}

static int sk_cfg_option(const char *directive, const char **argv, void *setdata)
{
    char *err = NULL;
    char value[1024] = "";

    if (!argv || !argv[0] || !argv[1]) {
        ci_debug_printf(1, "%s: expected MODULE.KEY VALUE\n", directive);
        return 0;
    }
    for (int i = 1; argv[i]; i++) {
        if (i > 1)
            strncat(value, " ", sizeof(value) - strlen(value) - 1);
        strncat(value, argv[i], sizeof(value) - strlen(value) - 1);
    }
    if (sk_chain_conf_option(setdata, argv[0], value, &err) == -1) {
        ci_debug_printf(1, "%s: %s\n", directive, err);
        free(err);
        return 0;
    }
    return 1;
}

static int sk_cfg_on_error(const char *directive, const char **argv, void *setdata)
{
    int *v = setdata;

    if (argv && argv[0] && strcasecmp(argv[0], "block") == 0 && !argv[1])
        *v = SK_ON_ERROR_BLOCK;
    else if (argv && argv[0] && strcasecmp(argv[0], "allow") == 0 && !argv[1])
        *v = SK_ON_ERROR_ALLOW;
    else {
        ci_debug_printf(1, "%s: expected block or allow\n", directive);
        return 0;
    }
    return 1;
}

static int sk_cfg_user_encoding(const char *directive, const char **argv, void *setdata)
{
    enum sk_user_encoding enc;

    if (!argv || !argv[0] || argv[1] || sk_ident_user_encoding(argv[0], &enc) == -1) {
        ci_debug_printf(1, "%s: expected plain, base64 or auto\n", directive);
        return 0;
    }
    *(int *)setdata = (int)enc;
    return 1;
}

static int sk_cfg_size(const char *directive, const char **argv, void *setdata)
{
    if (!argv || !argv[0] || argv[1] || sk_parse_size(argv[0], setdata) == -1) {
        ci_debug_printf(1, "%s: expected a size such as 512K or 1M\n", directive);
        return 0;
    }
    return 1;
}

static struct ci_conf_entry sk_conf_table[] = {
    {.name = "PolicyDB",
     .data = &sk_srv.conf.policy_db,
     .action = ci_cfg_set_str,
     .msg = "Path of the SQLite policy database (opened read-only)"},
    {.name = "ClamavDB",
     .data = &sk_srv.conf.clamav_db,
     .action = ci_cfg_set_str,
     .msg = "ClamAV signature directory"},
    {.name = "ModulesDir",
     .data = &sk_srv.conf.modules_dir,
     .action = ci_cfg_set_str,
     .msg = "Directory of Sekisho module objects"},
    {.name = "Modules",
     .data = &sk_srv.conf,
     .action = sk_cfg_modules,
     .msg = "Module chain, in order (names or absolute .so paths)"},
    {.name = "Option",
     .data = &sk_srv.chain_conf,
     .action = sk_cfg_option,
     .msg = "MODULE.KEY VALUE: a module setting"},
    {.name = "PageTemplates",
     .data = &sk_srv.chain_conf.page_dir,
     .action = ci_cfg_set_str,
     .msg = "Directory replacing the server's own block page (block.LANG.html/txt)"},
    {.name = "AccessLog",
     .data = &sk_srv.conf.access_log,
     .action = ci_cfg_set_str,
     .msg = "JSON-lines access log file, or none"},
    {.name = "StatusFile",
     .data = &sk_srv.conf.status_file,
     .action = ci_cfg_set_str,
     .msg = "File receiving 'ready ISTAG' or 'error: ...' after start-up"},
    {.name = "MetricsFile",
     .data = &sk_srv.conf.metrics_file,
     .action = ci_cfg_set_str,
     .msg = "Shared file of node-wide counters read by the status listener"},
    {.name = "SyslogSocket",
     .data = &sk_srv.conf.syslog_socket,
     .action = ci_cfg_set_str,
     .msg = "Unix datagram socket of the syslog daemon (default /dev/log)"},
    {.name = "TmpDir",
     .data = &sk_srv.conf.tmp_dir,
     .action = ci_cfg_set_str,
     .msg = "Private directory for bodies spilled to disk"},
    {.name = "UserHeader",
     .data = &sk_srv.conf.user_header,
     .action = ci_cfg_set_str,
     .msg = "ICAP header carrying the user name (default: X-Authenticated-User, then "
            "X-Client-Username)"},
    {.name = "UserEncoding",
     .data = &sk_srv.conf.user_encoding,
     .action = sk_cfg_user_encoding,
     .msg = "How the proxy sends the user name: plain (default; Squid), base64 (Squid's "
            "icap_client_username_encode on, ProxySG, Cisco) or auto (mixed: base64 when it "
            "decodes)"},
    {.name = "GroupEncoding",
     .data = &sk_srv.conf.group_encoding,
     .action = sk_cfg_user_encoding,
     .msg = "How the proxy sends X-Authenticated-Groups: plain, base64 or auto (default: plain "
            "when UserEncoding is plain, else auto)"},
    {.name = "TestClock",
     .data = &sk_srv.conf.test_clock,
     .action = ci_cfg_onoff,
     .msg = "on: schedules use the ICAP header X-Sekisho-Test-Clock (tests only; "
            "sekisho-server --test-clock)"},
    {.name = "OnModuleError",
     .data = &sk_srv.conf.on_error,
     .action = sk_cfg_on_error,
     .msg = "block (default) or allow when a module cannot decide"},
    {.name = "Preview",
     .data = &sk_srv.conf.preview,
     .action = ci_cfg_set_int,
     .msg = "Preview size announced in OPTIONS"},
    {.name = "PolicyCheckInterval",
     .data = &sk_srv.conf.check_interval,
     .action = ci_cfg_set_int,
     .msg = "Seconds between policy generation checks"},
    {.name = "MaxMemBody",
     .data = &sk_srv.conf.max_mem_body,
     .action = sk_cfg_size,
     .msg = "Bodies held for inspection stay in memory up to this size, then spill to TmpDir"},
    {.name = "HoldCommitSize",
     .data = &sk_srv.conf.hold_commit_size,
     .action = sk_cfg_size,
     .msg = "Downloads only: clients without Allow: 204 get the response headers after this "
            "much held body (for a Squid 5.7 with bug 5352 and no delay pool); 0 = hold to "
            "the verdict (default)"},
    {.name = "TrickleHoldBack",
     .data = &sk_srv.conf.trickle_hold_back,
     .action = sk_cfg_size,
     .msg = "After the headers went out early, the last this-many bytes stay held until the "
            "verdict"},
    {.name = NULL, .data = NULL, .action = NULL, .msg = NULL},
};

/* Write the launcher's status file atomically: tmp + rename. The line is
 * "<word> <text>", e.g. "ready CI0001-G1-..." or "error: module x: ...". */
static void sk_write_status(const char *word, const char *text)
{
    char tmp[4096];
    FILE *f;

    if (!sk_srv.conf.status_file)
        return;
    snprintf(tmp, sizeof(tmp), "%s.tmp", sk_srv.conf.status_file);
    f = fopen(tmp, "w");
    if (!f)
        return;
    fprintf(f, "%s %s\n", word, text);
    if (fclose(f) == 0)
        rename(tmp, sk_srv.conf.status_file);
}

static int sk_fail(char *err)
{
    ci_debug_printf(1, "sekisho: %s\n", err ? err : "start-up failed");
    sk_write_status("error:", err ? err : "start-up failed");
    free(err);
    return CI_ERROR;
}

/* OPTIONS extras for fleet monitoring (sekisho-policy cluster status):
 * the content hash and generation of the policy this process serves, and
 * the module/engine versions the ISTag is made of. */
static int sk_options_headers(ci_request_t *req)
{
    char line[sizeof(sk_srv.versions) + 64], hash[65], versions[sizeof(sk_srv.versions)];

    sk_srv_refresh_istag();
    sk_policy_store_content_hash(&sk_srv.store, hash);
    snprintf(line, sizeof(line), "X-Sekisho-Policy: %s G%lld", hash[0] ? hash : "-",
             (long long)sk_policy_store_generation(&sk_srv.store));
    ci_icap_add_xheader(req, line);
    pthread_mutex_lock(&sk_srv.istag_lock);
    sk_header_sanitize(versions, sizeof(versions), sk_srv.versions);
    pthread_mutex_unlock(&sk_srv.istag_lock);
    snprintf(line, sizeof(line), "X-Sekisho-Versions: %s", versions[0] ? versions : "-");
    ci_icap_add_xheader(req, line);
    return CI_OK;
}

static int sk_init_service(ci_service_xdata_t *xdata, struct ci_server_conf *server_conf)
{
    sk_srv.xdata = xdata;
    ci_service_set_preview(xdata, sk_srv.conf.preview);
    ci_service_enable_204(xdata);
    ci_service_set_transfer_preview(xdata, "*");
    ci_service_add_option_handler(xdata, "sekisho-policy", sk_options_headers);
    ci_service_set_options_ttl(xdata, 3600);
    ci_service_set_xopts(xdata, CI_XCLIENTIP | CI_XSERVERIP | CI_XAUTHENTICATEDUSER |
                                    CI_XAUTHENTICATEDGROUPS);
    sk_options_register(xdata);
    return CI_OK;
}

/* Caller holds istag_lock (or runs before fork). */
static void sk_set_istag(void)
{
    char tag[SK_ISTAG_MAX + 1], hash[65], mixed[sizeof(sk_srv.versions) + 32];
    struct sk_snapshot *snap;
    uint64_t sched = 0;

    sk_policy_store_content_hash(&sk_srv.store, hash);
    sk_chain_versions(&sk_srv.chain, sk_srv.versions, sizeof(sk_srv.versions));
    /* schedules: the tag also changes when one starts or ends (checked once
     * a second, on the node's clock), as the verdicts do */
    if ((snap = sk_policy_store_acquire(&sk_srv.store)) != NULL) {
        sched = sk_snapshot_schedule_state(snap, (int64_t)time(NULL));
        sk_snapshot_unref(snap);
    }
    if (sched != 0)
        snprintf(mixed, sizeof(mixed), "%s sched=%016llx", sk_srv.versions,
                 (unsigned long long)sched);
    else
        snprintf(mixed, sizeof(mixed), "%s", sk_srv.versions);
    sk_istag_make(tag, sizeof(tag), hash, mixed);
    if (strcmp(tag, sk_srv.istag) != 0) {
        ci_service_set_istag(sk_srv.xdata, tag);
        snprintf(sk_srv.istag, sizeof(sk_srv.istag), "%s", tag);
        ci_debug_printf(3, "sekisho: ISTag CI0001%s (policy generation %lld, content %s)\n", tag,
                        (long long)sk_policy_store_generation(&sk_srv.store), hash);
    }
}

/* Called on every request: the ISTag must change together with the
 * snapshot this process serves (one atomic read when nothing moved), and
 * module versions (signature reloads) are looked at once per second. */
void sk_srv_refresh_istag(void)
{
    struct timespec now;
    uint64_t serial;

    if (!sk_srv.ready)
        return;
    serial = sk_policy_store_serial(&sk_srv.store);
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (serial == __atomic_load_n(&sk_srv.istag_serial, __ATOMIC_ACQUIRE) &&
        now.tv_sec == __atomic_load_n(&sk_srv.istag_checked, __ATOMIC_RELAXED))
        return;
    pthread_mutex_lock(&sk_srv.istag_lock);
    if (serial != sk_srv.istag_serial || now.tv_sec != sk_srv.istag_checked) {
        sk_set_istag();
        __atomic_store_n(&sk_srv.istag_checked, now.tv_sec, __ATOMIC_RELAXED);
        __atomic_store_n(&sk_srv.istag_serial, serial, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&sk_srv.istag_lock);
}

/* The current ISTag (without "CI0001") for the access log. Each thread
 * keeps a copy and takes the lock only when the tag may have changed (the
 * same two atomics sk_srv_refresh_istag reads): a lock per line cost
 * ~20 ns and a shared cache line on the no-body path. */
void sk_srv_istag_copy(char out[32])
{
    static __thread char cached[32];
    static __thread uint64_t serial = (uint64_t)-1;
    static __thread time_t checked = (time_t)-1;
    uint64_t s = __atomic_load_n(&sk_srv.istag_serial, __ATOMIC_ACQUIRE);
    time_t c = __atomic_load_n(&sk_srv.istag_checked, __ATOMIC_RELAXED);

    if (s != serial || c != checked) {
        pthread_mutex_lock(&sk_srv.istag_lock);
        memcpy(cached, sk_srv.istag, sizeof(cached));
        serial = sk_srv.istag_serial;
        checked = sk_srv.istag_checked;
        pthread_mutex_unlock(&sk_srv.istag_lock);
    }
    memcpy(out, cached, 32);
}

/* Log sink for the plain-C parts (policy store). */
static void sk_log(int level, const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    ci_debug_printf(level, "%s", line);
}

/* ---- once per node: reloads happen in the master (README "Reload") ----
 * The master checks the policy database and asks every module whether what
 * it built is stale (sk_chain_changed), from a c-icap scheduled command
 * that runs in the monitor loop about once a second. The policy snapshot
 * is built right there, in the master; then the master reconfigures c-icap
 * (SIGHUP to itself): fini/post_init run in the master (a module rebuilds
 * its engine there, once), new children fork from it and share everything
 * copy-on-write, the old children finish their transactions and exit.
 * Children never poll and never build. This object pins itself in memory
 * so the store (and its snapshot) outlives c-icap's dlclose. */
struct sk_store_health { /* MAP_SHARED: written by the master, read by children */
    int last_ok;
    int64_t failed_at;
};
static struct sk_store_health *sk_health;
static char *sk_store_path;   /* the store borrows it; config strings do not survive */
static pid_t sk_master;       /* the process that ran post_init */
static int sk_reload_pending; /* SIGHUP sent, post_init not run since */
static struct timespec sk_polled_at;
static uint64_t sk_reconfigures; /* by the watcher, for the log */
static const char *const sk_watch_cmd[2] = {"sekisho_reload_watch_a", "sekisho_reload_watch_b"};

/* Children alive when the last reconfigure ran: c-icap retires them and
 * refuses another reconfigure until they are gone (~1-2 s: a retiring
 * c-icap 0.5.10 child sleeps a second before it exits). */
#define SK_RETIRING_MAX 256
static pid_t sk_retiring[SK_RETIRING_MAX];
static int sk_nretiring;

/* A process that is gone or a zombie (c-icap reaps it in the same loop
 * turn, before it looks at a reconfigure request). */
static int sk_pid_gone(pid_t pid)
{
    char path[64], buf[256], *p;
    ssize_t n;
    int fd;

    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
        return 1;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return 1;
    buf[n] = '\0';
    p = strrchr(buf, ')');
    return p && p[1] == ' ' && p[2] == 'Z';
}

static int sk_retiring_alive(void)
{
    int n = __atomic_load_n(&sk_nretiring, __ATOMIC_ACQUIRE);

    for (int i = 0; i < n; i++)
        if (!sk_pid_gone(__atomic_load_n(&sk_retiring[i], __ATOMIC_RELAXED)))
            return 1;
    return 0;
}

/* Master, in post_init of a reconfigure: every current child is about to
 * be retired by c-icap. */
static void sk_retiring_record(void)
{
    char path[96], buf[4096], *p, *end;
    ssize_t got;
    int fd, n = 0;

    __atomic_store_n(&sk_nretiring, 0, __ATOMIC_RELEASE);
    snprintf(path, sizeof(path), "/proc/self/task/%ld/children", (long)syscall(SYS_gettid));
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
        return;
    got = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (got <= 0)
        return;
    buf[got] = '\0';
    for (p = buf; *p && n < SK_RETIRING_MAX; p = end) {
        long v = strtol(p, &end, 10);
        if (end == p)
            break;
        if (v > 0)
            __atomic_store_n(&sk_retiring[n++], (pid_t)v, __ATOMIC_RELAXED);
    }
    __atomic_store_n(&sk_nretiring, n, __ATOMIC_RELEASE);
}

/* The wake thread (master only): c-icap's monitor loop turns once a
 * second, so this thread watches the policy database file and its WAL
 * (one stat each per 100 ms, no SQLite, no allocation: it runs while the
 * master forks) and wakes the loop through c-icap's control pipe with
 * our "sekisho_reload" command; also when a pending reload may go ahead. */
#define SK_WAKE_MS 100
static pthread_mutex_t sk_wake_lock = PTHREAD_MUTEX_INITIALIZER;
static char sk_wake_db[4096], sk_wake_ctl[4096];
static pthread_t sk_wake_thread;
static pid_t sk_wake_pid;

struct sk_fid {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
};

static void sk_fid_get(const char *path, struct sk_fid *id)
{
    struct stat st;

    memset(id, 0, sizeof(*id));
    if (stat(path, &st) == 0) {
        id->dev = st.st_dev;
        id->ino = st.st_ino;
        id->size = st.st_size;
        id->mtime = st.st_mtim;
    }
}

static void sk_wake_loop(const char *ctl)
{
    int fd = open(ctl, O_WRONLY | O_NONBLOCK | O_CLOEXEC);

    if (fd != -1) {
        static const char cmd[] = "sekisho_reload";
        if (write(fd, cmd, sizeof(cmd) - 1) < 0) {
            /* full pipe: the loop has commands to read anyway */
        }
        close(fd);
    }
}

static void *sk_wake_main(void *arg)
{
    struct sk_fid seen[2], now[2];
    char db[sizeof(sk_wake_db)], wal[sizeof(sk_wake_db) + 8], ctl[sizeof(sk_wake_ctl)];
    struct timespec ts = {.tv_sec = 0, .tv_nsec = SK_WAKE_MS * 1000000L};
    int primed = 0, settle = 0;

    (void)arg;
    for (;;) {
        nanosleep(&ts, NULL);
        pthread_mutex_lock(&sk_wake_lock);
        memcpy(db, sk_wake_db, sizeof(db));
        memcpy(ctl, sk_wake_ctl, sizeof(ctl));
        pthread_mutex_unlock(&sk_wake_lock);
        if (!db[0] || !ctl[0])
            continue;
        memcpy(wal, db, sizeof(db));
        wal[sizeof(db) - 1] = '\0';
        strncat(wal, "-wal", sizeof(wal) - strlen(wal) - 1);
        sk_fid_get(db, &now[0]);
        sk_fid_get(wal, &now[1]);
        /* a commit writes more than once (WAL frames, then the commit and
         * a checkpoint): wake on each change and for a few ticks after the
         * last one, so the check that sees the new generation comes */
        if (primed && memcmp(now, seen, sizeof(now)) != 0)
            settle = 3;
        if (settle > 0) {
            settle--;
            sk_wake_loop(ctl);
        } else if (__atomic_load_n(&sk_reload_pending, __ATOMIC_ACQUIRE) && !sk_retiring_alive())
            sk_wake_loop(ctl);
        memcpy(seen, now, sizeof(seen));
        primed = 1;
    }
    return NULL;
}

/* Post_init, master: (re)point the wake thread; start it once per process. */
static void sk_wake_setup(const char *db, const char *ctl)
{
    pthread_mutex_lock(&sk_wake_lock);
    snprintf(sk_wake_db, sizeof(sk_wake_db), "%s", db ? db : "");
    snprintf(sk_wake_ctl, sizeof(sk_wake_ctl), "%s", ctl ? ctl : "");
    pthread_mutex_unlock(&sk_wake_lock);
#if defined(__SANITIZE_ADDRESS__)
    /* Sanitized builds: no thread in the master. c-icap forks its children
     * from it, and a fork while that thread is inside an ASan interceptor
     * can leave a child stuck on the sanitizer's own locks (seen as children
     * that never answer, or never exit, in the ASan step). Changes are then
     * seen by the once-a-second scheduled check. */
    if (sk_wake_pid != getpid()) {
        sk_wake_pid = getpid();
        ci_debug_printf(1, "sekisho: sanitized build: no reload wake thread, policy changes are "
                           "seen within about a second\n");
    }
    return;
#endif
    if (sk_wake_pid != getpid()) {
        pthread_attr_t a;
        sigset_t all, old;
        /* The thread is born with every signal blocked: c-icap's handlers
         * set flags its monitor loop reads after a wait, and only a signal
         * taken by the main thread ends that wait. A SIGCHLD taken here
         * left an exited child unreaped for up to a second, a SIGHUP left
         * the reconfigure waiting as long. */
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        pthread_attr_init(&a);
        pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&sk_wake_thread, &a, sk_wake_main, NULL) == 0)
            sk_wake_pid = getpid();
        else
            ci_debug_printf(1, "sekisho: no reload wake thread: policy changes are seen within "
                               "about a second\n");
        pthread_attr_destroy(&a);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
}

static void sk_reload_now(const char *why)
{
    __atomic_store_n(&sk_reload_pending, 1, __ATOMIC_RELEASE);
    sk_reconfigures++;
    ci_debug_printf(1, "sekisho: %s: rebuilding once for the node (c-icap reconfigure #%llu)\n",
                    why, (unsigned long long)sk_reconfigures);
    /* c-icap's master handler: the reconfigure runs in this loop turn;
     * while the previous one's children still retire c-icap would ignore
     * it, so the wake thread calls us again once they are gone */
    if (!sk_retiring_alive())
        kill(getpid(), SIGHUP);
}

static void sk_reload_watch(const char *name, void *data)
{
    struct timespec now;
    const char *who = NULL;
    char why[160];
    long ms;
    int rc;

    /* a scheduled command runs once: the next turn under the other name
     * (c-icap removes the entry it ran after this returns) */
    if (name)
        ci_command_schedule(name == sk_watch_cmd[0] ? sk_watch_cmd[1] : sk_watch_cmd[0], NULL, 1);
    if (getpid() != sk_master || !sk_srv.ready)
        return;
    if (__atomic_load_n(&sk_reload_pending, __ATOMIC_ACQUIRE)) {
        /* c-icap ignores a reconfigure while the children of the previous
         * one still retire: ask again once they are gone (the wake thread
         * calls us then), until post_init has run. Commits made meanwhile
         * are picked up by that same post_init. */
        if (!sk_retiring_alive())
            kill(getpid(), SIGHUP);
        return;
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    ms = (now.tv_sec - sk_polled_at.tv_sec) * 1000L +
         (now.tv_nsec - sk_polled_at.tv_nsec) / 1000000L;
    if (!name || ms + 100 >= (long)sk_srv.store.interval_ms) { /* a wake-up: at once */
        sk_polled_at = now;
        rc = sk_policy_store_poll(&sk_srv.store);
        if (sk_health) {
            __atomic_store_n(&sk_health->last_ok, sk_srv.store.last_ok, __ATOMIC_RELEASE);
            __atomic_store_n(&sk_health->failed_at, (int64_t)sk_srv.store.failed_at,
                             __ATOMIC_RELEASE);
        }
        if (rc == 1) {
            snprintf(why, sizeof(why), "policy generation %lld loaded",
                     (long long)sk_policy_store_generation(&sk_srv.store));
            sk_reload_now(why);
            return;
        }
    }
    if (sk_chain_changed(&sk_srv.chain, &who)) {
        snprintf(why, sizeof(why), "module %s: inputs changed", who);
        sk_reload_now(why);
    }
}

/* Control command "sekisho_reload" (c-icap control pipe, e.g.
 * echo -n sekisho_reload > RUN/c-icap.ctl): check for changes now. */
static void sk_reload_ctl(const char *name, int type, const char **argv)
{
    (void)argv;
    sk_reload_watch(NULL, NULL);
}

static void sk_reload_watch_a(const char *name, int type, void *data)
{
    sk_reload_watch(sk_watch_cmd[0], data);
}

static void sk_reload_watch_b(const char *name, int type, void *data)
{
    sk_reload_watch(sk_watch_cmd[1], data);
}

/* Keep this object loaded across c-icap's reconfigure (it dlcloses
 * services): the policy store and its snapshot live in our statics. */
static void sk_pin_self(void)
{
    Dl_info self;

    if (dladdr((void *)&sk_pin_self, &self) && self.dli_fname)
        (void)dlopen(self.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
}

/* The master's store: opened at start; after a reconfigure the same store
 * is kept (checked once: an administrator's SIGHUP after a commit loads
 * it here, in the master). Another database path starts a new store. */
static int sk_store_setup(const char *path, unsigned interval_ms, char **err)
{
    if (sk_srv.store.current && sk_store_path && strcmp(sk_store_path, path) == 0) {
        sk_srv.store.interval_ms = interval_ms;
        sk_policy_store_poll(&sk_srv.store);
    } else {
        if (sk_srv.store.current)
            sk_policy_store_close(&sk_srv.store);
        free(sk_store_path);
        if (!(sk_store_path = strdup(path))) {
            sk_seterr(err, "out of memory");
            return -1;
        }
        if (sk_policy_store_open(&sk_srv.store, sk_store_path, interval_ms, sk_log, err) == -1)
            return -1;
    }
    if (!sk_health) {
        void *p = mmap(NULL, sizeof(*sk_health), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                       -1, 0);
        if (p != MAP_FAILED)
            sk_health = p;
    }
    if (sk_health) {
        sk_health->last_ok = sk_srv.store.last_ok;
        sk_health->failed_at = (int64_t)sk_srv.store.failed_at;
    }
    return 0;
}

/* Bounds how long a batched access-log line waits (sk_accesslog.c). The
 * thread runs code of this object, so it must be stopped and joined before
 * c-icap unloads us (a child that exits does). */
static pthread_t sk_flusher;
static pid_t sk_flusher_pid;
static int sk_flusher_stop;

/* The signatures-stale alert: each child looks at the signature directory
 * once a minute and at once when the policy generation changes (a lowered
 * av.max-signature-age applies without waiting); sk_notify's node-wide
 * rate limit makes it one alert. Only when virus_scan is in the chain.
 * Runs in the flusher thread only. */
static void sk_check_signatures(const struct sk_snapshot *snap, uint64_t max_age)
{
    static int64_t last_gen = -1;
    static time_t next;
    time_t now = time(NULL);
    int av = 0;

    for (int i = 0; i < sk_srv.chain.n; i++)
        av |= strcmp(sk_srv.chain.mods[i].mod->name, "virus_scan") == 0;
    if (!av || !snap || (now < next && sk_snapshot_generation(snap) == last_gen))
        return;
    next = now + 60;
    last_gen = sk_snapshot_generation(snap);
    sk_notify_signatures(snap, sk_srv.chain_conf.clamav_db, (int64_t)max_age, (int64_t)now);
}

/* This child's policy and version state for the status listener. */
static void sk_publish_state(void)
{
    struct sk_policy_store *s = &sk_srv.store;
    struct sk_snapshot *snap = sk_policy_store_acquire(s);
    char hash[65], versions[sizeof(sk_srv.versions)];
    uint64_t age = 3 * 86400, alerts[4];
    const char *v = snap ? sk_policy_get(sk_snapshot_default(snap), "av.max-signature-age") : NULL;

    if (v)
        sk_parse_duration(v, &age);
    sk_check_signatures(snap, age);
    sk_snapshot_unref(snap);
    sk_notify_stats(&alerts[0], &alerts[1], &alerts[2], &alerts[3]);
    sk_metrics_set_alerts(alerts);
    sk_srv_refresh_istag(); /* also notices a signature reload without traffic */
    sk_policy_store_content_hash(s, hash);
    pthread_mutex_lock(&sk_srv.istag_lock);
    snprintf(versions, sizeof(versions), "%s", sk_srv.versions);
    pthread_mutex_unlock(&sk_srv.istag_lock);
    /* the master checks the database for the node (sk_reload_watch): its
     * last result, not this child's copy from the fork */
    sk_metrics_child_publish(sk_policy_store_generation(s), hash,
                             sk_health ? __atomic_load_n(&sk_health->last_ok, __ATOMIC_ACQUIRE)
                                       : __atomic_load_n(&s->last_ok, __ATOMIC_ACQUIRE),
                             (int64_t)s->loaded_at,
                             sk_health ? __atomic_load_n(&sk_health->failed_at, __ATOMIC_ACQUIRE)
                                       : (int64_t)__atomic_load_n(&s->failed_at, __ATOMIC_ACQUIRE),
                             (int64_t)age, versions);
}

static void *sk_log_flusher(void *arg)
{
    struct timespec ts = {.tv_sec = 0, .tv_nsec = SK_LOG_FLUSH_MS * 1000000L};
    unsigned n = 0;

    while (!__atomic_load_n(&sk_flusher_stop, __ATOMIC_ACQUIRE)) {
        if (n++ % (1000 / SK_LOG_FLUSH_MS) == 0)
            sk_publish_state();
        nanosleep(&ts, NULL);
        sk_accesslog_flush();
    }
    return NULL;
}

static void sk_flusher_join(void)
{
    if (sk_flusher_pid != getpid())
        return;               /* not started in this process (or inherited from the master) */
    sk_accesslog_batching(0); /* writes what is pending; write-through from now */
    __atomic_store_n(&sk_flusher_stop, 1, __ATOMIC_RELEASE);
    pthread_join(sk_flusher, NULL);
    sk_flusher_pid = 0;
}

static void sk_child_start(const char *name, int type, void *data)
{
    sk_drain_child_start();
    sk_metrics_child_start();
    /* no policy poll here: the master reloads for the node */
    __atomic_store_n(&sk_flusher_stop, 0, __ATOMIC_RELEASE);
    if (pthread_create(&sk_flusher, NULL, sk_log_flusher, NULL) == 0) {
        sk_flusher_pid = getpid();
        sk_accesslog_batching(1);
    } else {
        ci_debug_printf(1, "sekisho: no access-log flusher thread; lines are written one by one\n");
    }
}

/* A child going away writes out what it batched and stops its threads. */
static void sk_child_stop(const char *name, int type, void *data)
{
    sk_drain_child_stop();
    sk_flusher_join();
    sk_policy_store_stop(&sk_srv.store);
    sk_notify_stop();
    sk_metrics_child_stop();
}

/* c-icap switches to its User/Group (directives of the admin's --config)
 * before post_init. sekisho-server made the run directory (pid file,
 * control socket, metrics, spill files) for the user it runs as, so
 * another user cannot start: said here in one line, before the failures
 * it would cause. A Group switch alone works but clears the parent-death
 * signal the launcher set in foreground mode (prctl(2): any credential
 * change does), and c-icap would outlive a killed launcher: set again. */
static int sk_launcher_check(void)
{
    const char *uid = getenv("SEKISHO_LAUNCHER_UID");
    const char *ppid = getenv("SEKISHO_LAUNCHER_PID");

    char *err = NULL;

    if (uid && strtoul(uid, NULL, 10) != (unsigned long)getuid()) {
        sk_seterr(&err,
                  "c-icap switched from uid %s to uid %u (a User directive in --config): run "
                  "sekisho-server as that user instead (systemd User=, "
                  "contrib/systemd/sekisho.service)",
                  uid, (unsigned)getuid());
        return sk_fail(err);
    }
    if (ppid) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != (pid_t)strtol(ppid, NULL, 10)) /* died before the prctl */
            return sk_fail(strdup("sekisho-server is gone"));
    }
    return CI_OK;
}

/* Runs after the whole configuration is read, before fork: the place to
 * load modules (engines built here are shared copy-on-write). */
static int sk_post_init_service(ci_service_xdata_t *xdata, struct ci_server_conf *server_conf)
{
    struct sk_server_conf *c = &sk_srv.conf;
    char *err = NULL;
    char line[64];

    if (sk_launcher_check() != CI_OK)
        return CI_ERROR;
    ci_service_set_preview(xdata, c->preview);
    /* Here, not in init: the Service line comes before the directives
     * that follow it (the admin's --config is Included last), and
     * Max-Connections must state what the server will really accept (all
     * threads of all children; the guard lowers it to its per-client
     * limit, see sk_conn_guard.c). */
    if (server_conf && server_conf->THREADS_PER_CHILD > 0 && server_conf->MAX_SERVERS > 0)
        ci_service_set_max_connections(xdata,
                                       server_conf->THREADS_PER_CHILD * server_conf->MAX_SERVERS);
    if (!c->policy_db)
        return sk_fail(strdup("sekisho.PolicyDB is not set"));
    if (sk_metrics_open(c->metrics_file, &err) == -1)
        return sk_fail(err);
    sk_metrics_set_ready(0);
    if (!c->tmp_dir)
        c->tmp_dir = strdup(server_conf && server_conf->TMPDIR ? server_conf->TMPDIR : "/tmp");
    sk_srv.chain_conf.policy_db = c->policy_db;
    sk_srv.chain_conf.clamav_db = c->clamav_db ? c->clamav_db : "/var/lib/clamav";
    sk_srv.chain_conf.tmp_dir = c->tmp_dir;
    sk_srv.chain.conf = &sk_srv.chain_conf;

    /* The snapshot is built here, in the master before fork: children share
     * it copy-on-write; reloads happen here too (sk_reload_watch). */
    sk_pin_self();
    if (sk_master == getpid()) /* a reconfigure: c-icap retires every child after this */
        sk_retiring_record();
    sk_master = getpid();
    __atomic_store_n(&sk_reload_pending, 0, __ATOMIC_RELEASE);
    if (sk_notify_init() == -1)
        ci_debug_printf(1, "sekisho: alerts are rate-limited per process (no shared page)\n");
    if (sk_store_setup(c->policy_db,
                       /* poll twice per interval: a commit is live within it */
                       (unsigned)(c->check_interval > 0 ? c->check_interval : 1) * 500u,
                       &err) == -1)
        return sk_fail(err);
    ci_command_register_action("sekisho_policy_reload", CI_CMD_CHILD_START, NULL, sk_child_start);
    ci_command_register_action("sekisho_log_flush", CI_CMD_CHILD_STOP, NULL, sk_child_stop);
    /* before fork, so every child shares the same table */
    if (sk_infected_init(65536) == -1)
        return sk_fail(strdup("cannot map the infected-URL table"));
    /* node-wide directory cache: survives reloads and recycled children */
    if (sk_dircache_init(SK_DIRCACHE_MAX) == -1)
        ci_debug_printf(1, "sekisho: directory groups cached per process (no shared table)\n");
    if (sk_drain_setup() == -1)
        return sk_fail(strdup("cannot map the graceful-stop flag"));

    for (int i = 0; i < c->n_modules; i++) {
        if (sk_chain_load(&sk_srv.chain, c->modules_dir, c->modules[i], &err) == -1)
            return sk_fail(err);
    }
    if (sk_chain_init(&sk_srv.chain, &err) == -1)
        return sk_fail(err);
    sk_accesslog_set_msg(sk_log);
    sk_accesslog_set_syslog_socket(c->syslog_socket);
    if (sk_accesslog_open(c->access_log, &err) == -1)
        return sk_fail(err);

    sk_srv.istag_serial = sk_policy_store_serial(&sk_srv.store);
    sk_srv.istag[0] = '\0'; /* c-icap made a new xdata: set it again */
    sk_set_istag();
    if (c->test_clock)
        ci_debug_printf(1, "sekisho: WARNING: test clock on (--test-clock): ICAP clients set the"
                           " time schedules are decided at with X-Sekisho-Test-Clock; never in"
                           " production\n");
    sk_srv.ready = 1;
    ci_command_register_action(sk_watch_cmd[0], CI_CMD_MONITOR_ONDEMAND, NULL, sk_reload_watch_a);
    ci_command_register_action(sk_watch_cmd[1], CI_CMD_MONITOR_ONDEMAND, NULL, sk_reload_watch_b);
    ci_command_schedule(sk_watch_cmd[0], NULL, 1);
    ci_command_register_ctl_cmd("sekisho_reload", MONITOR_PROC_CMD, sk_reload_ctl);
    sk_wake_setup(sk_store_path, server_conf ? server_conf->COMMANDS_SOCKET : NULL);
    snprintf(line, sizeof(line), "%d.%d.%d",
             (int)(((unsigned long long)C_ICAP_HEX_VERSION >> 32) & 0xffff),
             (int)((C_ICAP_HEX_VERSION >> 16) & 0xffff), (int)(C_ICAP_HEX_VERSION & 0xffff));
    sk_metrics_set_static(&sk_srv.chain, c->policy_db, sk_srv.chain_conf.clamav_db, line,
                          server_conf ? server_conf->THREADS_PER_CHILD : 0,
                          server_conf ? server_conf->MAX_SERVERS : 0);
    sk_metrics_set_ready(1);
    ci_debug_printf(1, "sekisho %s: %d module(s), policy generation %lld, ISTag CI0001%s\n",
                    sk_version(), sk_srv.chain.n,
                    (long long)sk_policy_store_generation(&sk_srv.store), sk_srv.istag);
    snprintf(line, sizeof(line), "CI0001%s", sk_srv.istag);
    sk_write_status("ready", line);
    return CI_OK;
}

static void sk_close_service(void)
{
    sk_srv.ready = 0;
    sk_drain_close();
    sk_metrics_set_ready(0);
    sk_flusher_join();
    sk_notify_stop();
    sk_chain_unload(&sk_srv.chain);
    sk_chain_conf_free(&sk_srv.chain_conf);
    /* the store is kept: a reconfigure serves on with the snapshot the
     * master already built (sk_store_setup); a stopping process exits */
    sk_policy_store_stop(&sk_srv.store);
    sk_accesslog_close();
}

/* c-icap looks this up by name: exported though the object is hidden. */
SK_API CI_DECLARE_MOD_DATA ci_service_module_t service = {
    .mod_name = "sekisho",
    .mod_short_descr = "Sekisho " SK_VERSION_STRING " content checkpoint",
    .mod_type = ICAP_RESPMOD | ICAP_REQMOD,
    .mod_init_service = sk_init_service,
    .mod_post_init_service = sk_post_init_service,
    .mod_close_service = sk_close_service,
    .mod_init_request_data = sk_drain_init_request,
    .mod_release_request_data = sk_drain_release_request,
    .mod_check_preview_handler = sk_srv_preview,
    .mod_end_of_data_handler = sk_srv_end_of_data,
    .mod_service_io = sk_srv_io,
    .mod_conf_table = sk_conf_table,
    .mod_data = NULL,
};

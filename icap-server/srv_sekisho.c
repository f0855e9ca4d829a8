/* srv_sekisho.c - the c-icap service "sekisho": configuration directives,
 * start-up (module chain, policy database, access log), ISTag upkeep.
 * Runs in the c-icap master before fork (post_init) and in every child.
 * SECURITY: configuration is trusted administrator input; nothing here
 * parses client data (see srv_request.c for that). */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
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
            .preview = 1024,
            .check_interval = 1,
            .max_mem_body = 1024 * 1024,
            .hold_commit_size = 0, /* hold to the verdict; see sk_commit */
            .trickle_hold_back = 1024 * 1024,
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
    char tag[SK_ISTAG_MAX + 1], hash[65];

    sk_policy_store_content_hash(&sk_srv.store, hash);
    sk_chain_versions(&sk_srv.chain, sk_srv.versions, sizeof(sk_srv.versions));
    sk_istag_make(tag, sizeof(tag), hash, sk_srv.versions);
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

/* In every c-icap child: threads do not survive fork, so each child starts
 * its own policy reload thread. */
/* Bounds how long a batched access-log line waits (sk_accesslog.c). The
 * thread runs code of this object, so it must be stopped and joined before
 * c-icap unloads us (a child that exits does). */
static pthread_t sk_flusher;
static pid_t sk_flusher_pid;
static int sk_flusher_stop;

/* This child's policy and version state for the status listener. */
static void sk_publish_state(void)
{
    struct sk_policy_store *s = &sk_srv.store;
    struct sk_snapshot *snap = sk_policy_store_acquire(s);
    char hash[65], versions[sizeof(sk_srv.versions)];
    uint64_t age = 3 * 86400;
    const char *v = snap ? sk_policy_get(sk_snapshot_default(snap), "av.max-signature-age") : NULL;

    if (v)
        sk_parse_duration(v, &age);
    sk_snapshot_unref(snap);
    sk_srv_refresh_istag(); /* also notices a signature reload without traffic */
    sk_policy_store_content_hash(s, hash);
    pthread_mutex_lock(&sk_srv.istag_lock);
    snprintf(versions, sizeof(versions), "%s", sk_srv.versions);
    pthread_mutex_unlock(&sk_srv.istag_lock);
    sk_metrics_child_publish(sk_policy_store_generation(s), hash,
                             __atomic_load_n(&s->last_ok, __ATOMIC_ACQUIRE), (int64_t)s->loaded_at,
                             (int64_t)__atomic_load_n(&s->failed_at, __ATOMIC_ACQUIRE),
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
    sk_policy_store_start(&sk_srv.store);
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

/* Runs after the whole configuration is read, before fork: the place to
 * load modules (engines built here are shared copy-on-write). */
static int sk_post_init_service(ci_service_xdata_t *xdata, struct ci_server_conf *server_conf)
{
    struct sk_server_conf *c = &sk_srv.conf;
    char *err = NULL;
    char line[64];

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

    /* The first snapshot is built here, before fork: children share it
     * copy-on-write and each runs its own reload thread (sk_child_start). */
    if (sk_notify_init() == -1)
        ci_debug_printf(1, "sekisho: alerts are rate-limited per process (no shared page)\n");
    if (sk_policy_store_open(&sk_srv.store, c->policy_db,
                             /* poll twice per interval: a commit is live within it */
                             (unsigned)(c->check_interval > 0 ? c->check_interval : 1) * 500u,
                             sk_log, &err) == -1)
        return sk_fail(err);
    ci_command_register_action("sekisho_policy_reload", CI_CMD_CHILD_START, NULL, sk_child_start);
    ci_command_register_action("sekisho_log_flush", CI_CMD_CHILD_STOP, NULL, sk_child_stop);
    /* before fork, so every child shares the same table */
    if (sk_infected_init(65536) == -1)
        return sk_fail(strdup("cannot map the infected-URL table"));
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
    sk_set_istag();
    sk_srv.ready = 1;
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
    sk_policy_store_close(&sk_srv.store);
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

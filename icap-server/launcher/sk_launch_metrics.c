/* sk_launch_metrics.c - reads the node-wide metrics segment the c-icap
 * processes write (icap-server/core/sk_metrics.c) and the signature
 * databases on disk, and renders them: Prometheus text, the readiness
 * verdict with its reasons, and the `--status` summary.
 * SECURITY: the segment is in our 0700 run directory but is written by a
 * process that parses client data; every string taken from it is bounded
 * (NUL forced) and escaped before it reaches a response. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <clamav.h>

#include "sk_launch.h"
#include "sk_launch_status.h"
#include "sekisho/text.h"

#define SK_TERM(a) ((a)[sizeof(a) - 1] = '\0')

/* Adds the counters at SRC (live, shared) to DST, each with an atomic
 * load: the struct is all uint64_t. */
static void sk_add_counts(struct sk_metrics_counts *dst, const struct sk_metrics_counts *src)
{
    uint64_t *d = (uint64_t *)dst;
    const uint64_t *p = (const uint64_t *)src;

    for (size_t i = 0; i < sizeof(*dst) / sizeof(uint64_t); i++)
        d[i] += __atomic_load_n(&p[i], __ATOMIC_RELAXED);
}

/* One child slot, consistent: retried while its writer is inside. */
static void sk_copy_child(struct sk_metrics_child *dst, const struct sk_metrics_child *src)
{
    for (int tries = 0; tries < 100; tries++) {
        uint64_t a = __atomic_load_n(&src->seq, __ATOMIC_ACQUIRE);
        memcpy(dst, src, sizeof(*dst));
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (!(a & 1) && a == __atomic_load_n(&src->seq, __ATOMIC_ACQUIRE))
            break;
    }
    SK_TERM(dst->policy_hash);
    SK_TERM(dst->versions);
}

int sk_status_read(const char *path, struct sk_status_snap *s)
{
    const struct sk_metrics_shm *m;
    struct stat st;
    int fd;

    memset(s, 0, sizeof(*s));
    s->now = (int64_t)time(NULL);
    {
        char dir[4096];
        const char *slash = strrchr(path, '/');
        snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
        sk_launch_pull_state(dir, &s->pull);
    }
    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
        return errno == ENOENT ? 0 : -1;
    if (fstat(fd, &st) == -1 || st.st_size != (off_t)sizeof(*m)) {
        close(fd);
        return st.st_size == 0 ? 0 : -1; /* just created by the master */
    }
    m = mmap(NULL, sizeof(*m), PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (m == MAP_FAILED)
        return -1;
    if (__atomic_load_n(&m->magic, __ATOMIC_ACQUIRE) != SK_METRICS_MAGIC ||
        m->version != SK_METRICS_VERSION) {
        munmap((void *)m, sizeof(*m));
        return 0;
    }
    memcpy(&s->shm, m, sizeof(*m));
    for (int i = 0; i < SK_METRICS_CHILDREN; i++)
        sk_copy_child(&s->shm.child[i], &m->child[i]);
    sk_add_counts(&s->total, &m->overflow);
    for (int i = 0; i < SK_METRICS_CHILDREN; i++)
        sk_add_counts(&s->total, &m->child[i].counts);
    munmap((void *)m, sizeof(*m));

    s->have = 1;
    for (int i = 0; i < SK_METRICS_MODULES; i++) {
        SK_TERM(s->shm.module[i]);
        if (strcmp(s->shm.module[i], "virus_scan") == 0)
            s->av = 1;
    }
    SK_TERM(s->shm.sekisho_version);
    SK_TERM(s->shm.cicap_version);
    SK_TERM(s->shm.clamav_db);
    SK_TERM(s->shm.policy_db);
    s->master_alive = s->shm.master_pid > 0 && (kill(s->shm.master_pid, 0) == 0 || errno == EPERM);
    for (int i = 0; i < SK_METRICS_CHILDREN; i++) {
        pid_t pid = s->shm.child[i].pid;
        if (pid > 0 && (kill(pid, 0) == 0 || errno == EPERM)) {
            s->live[i] = 1;
            s->n_live++;
            s->busy += s->shm.child[i].busy;
        }
    }
    if (s->av)
        s->n_db = sk_sigdb_scan(s->shm.clamav_db, s->db, SK_STATUS_MAX_SIGDBS, &s->newest_sig);
    return 0;
}

/* Prometheus label value, through the toolkit's one escaper for it. */
static void sk_label(FILE *f, const char *v)
{
    struct sk_buf b = {0};

    sk_prom_label_escape(&b, v, 4096);
    if (b.data)
        fputs(b.data, f);
    sk_buf_free(&b);
}

static void sk_head(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static const char *sk_modname(const struct sk_status_snap *s, int i)
{
    return i == 0 ? "none" : s->shm.module[i];
}

static void sk_hist(FILE *f, const char *name, const char *lk, const char *lv,
                    const struct sk_metrics_hist *h)
{
    uint64_t cum = 0;

    for (int b = 0; b < SK_METRICS_BUCKETS; b++) {
        cum += h->bucket[b];
        fprintf(f, "%s_bucket{%s=\"", name, lk);
        sk_label(f, lv);
        fprintf(f, "\",le=\"%g\"} %llu\n", sk_metrics_bounds[b], (unsigned long long)cum);
    }
    fprintf(f, "%s_bucket{%s=\"", name, lk);
    sk_label(f, lv);
    fprintf(f, "\",le=\"+Inf\"} %llu\n", (unsigned long long)h->count);
    fprintf(f, "%s_sum{%s=\"", name, lk);
    sk_label(f, lv);
    fprintf(f, "\"} %.9f\n", (double)h->sum_ns / 1e9);
    fprintf(f, "%s_count{%s=\"", name, lk);
    sk_label(f, lv);
    fprintf(f, "\"} %llu\n", (unsigned long long)h->count);
}

static void sk_metrics_traffic(FILE *f, const struct sk_status_snap *s)
{
    const struct sk_metrics_counts *m = &s->total;
    int nm = s->shm.n_modules + 1 < SK_METRICS_MODULES ? s->shm.n_modules + 1 : SK_METRICS_MODULES;

    sk_head(f, "sekisho_transactions_total", "counter",
            "Transactions by ICAP method, verdict and the module that decided");
    for (int me = 0; me < 2; me++)
        for (int v = 0; v < SK_MV_N; v++)
            for (int i = 0; i < nm; i++) {
                fprintf(f, "sekisho_transactions_total{method=\"%s\",verdict=\"%s\",module=\"",
                        me ? "RESPMOD" : "REQMOD", sk_metrics_verdict_names[v]);
                sk_label(f, sk_modname(s, i));
                fprintf(f, "\"} %llu\n", (unsigned long long)m->txn[me][v][i]);
            }
    sk_head(f, "sekisho_detections_total", "counter", "Detections reported by modules, by kind");
    for (int k = 0; k < SK_MK_N; k++)
        fprintf(f, "sekisho_detections_total{kind=\"%s\"} %llu\n", sk_metrics_kind_names[k],
                (unsigned long long)m->detections[k]);
    sk_head(f, "sekisho_bytes_in_total", "counter", "ICAP bytes received");
    fprintf(f, "sekisho_bytes_in_total %llu\n", (unsigned long long)m->bytes_in);
    sk_head(f, "sekisho_bytes_out_total", "counter", "ICAP bytes sent");
    fprintf(f, "sekisho_bytes_out_total %llu\n", (unsigned long long)m->bytes_out);
    sk_head(f, "sekisho_module_errors_total", "counter",
            "Transactions in which a module could not decide (failure verdict applied)");
    for (int i = 1; i < nm; i++) {
        fputs("sekisho_module_errors_total{module=\"", f);
        sk_label(f, sk_modname(s, i));
        fprintf(f, "\"} %llu\n", (unsigned long long)m->module_errors[i]);
    }
    sk_head(f, "sekisho_transaction_duration_seconds", "histogram",
            "Whole transaction, first byte to verdict and log line");
    for (int me = 0; me < 2; me++)
        sk_hist(f, "sekisho_transaction_duration_seconds", "method", me ? "RESPMOD" : "REQMOD",
                &m->txn_duration[me]);
    sk_head(f, "sekisho_module_duration_seconds", "histogram",
            "Time in one module's body hooks per transaction that it read the body of (scan time)");
    for (int i = 1; i < nm; i++)
        sk_hist(f, "sekisho_module_duration_seconds", "module", sk_modname(s, i),
                &m->module_duration[i]);
    sk_head(f, "sekisho_accesslog_dropped_total", "counter",
            "Access-log lines the syslog socket did not accept");
    fprintf(f, "sekisho_accesslog_dropped_total %llu\n", (unsigned long long)m->log_dropped);
}

static void sk_alert_metrics(FILE *f, const struct sk_status_snap *s)
{
    static const char *const what[4] = {"sent", "failed", "dropped", "suppressed"};

    sk_head(f, "sekisho_alerts_total", "counter",
            "Alerts (notify.*) by outcome: sent, failed, dropped (queue full), suppressed "
            "(notify.min-interval)");
    for (int i = 0; i < 4; i++)
        fprintf(f, "sekisho_alerts_total{outcome=\"%s\"} %llu\n", what[i],
                (unsigned long long)s->shm.alerts[i]);
}

/* The first live child's policy view (all children poll the same file). */
static const struct sk_metrics_child *sk_first(const struct sk_status_snap *s)
{
    for (int i = 0; i < SK_METRICS_CHILDREN; i++)
        if (s->live[i])
            return &s->shm.child[i];
    return NULL;
}

static void sk_metrics_signatures(FILE *f, const struct sk_status_snap *s)
{
    sk_head(f, "sekisho_signature_info", "gauge", "Signature databases on disk");
    for (int i = 0; i < s->n_db; i++) {
        fputs("sekisho_signature_info{db=\"", f);
        sk_label(f, s->db[i].name);
        fprintf(f, "\",version=\"%u\"} 1\n", s->db[i].version);
    }
    sk_head(f, "sekisho_signature_build_timestamp_seconds", "gauge",
            "Build time of each signature database (CVD header, else mtime)");
    for (int i = 0; i < s->n_db; i++) {
        fputs("sekisho_signature_build_timestamp_seconds{db=\"", f);
        sk_label(f, s->db[i].name);
        fprintf(f, "\"} %lld\n", (long long)s->db[i].built);
    }
    sk_head(f, "sekisho_signature_age_seconds", "gauge", "Age of the newest signatures");
    if (s->newest_sig)
        fprintf(f, "sekisho_signature_age_seconds %lld\n", (long long)(s->now - s->newest_sig));
}

static void sk_metrics_policy(FILE *f, const struct sk_status_snap *s)
{
    const struct sk_metrics_child *c = sk_first(s);
    int ok = 1;

    for (int i = 0; i < SK_METRICS_CHILDREN; i++)
        if (s->live[i] && !s->shm.child[i].policy_ok)
            ok = 0;
    sk_head(f, "sekisho_policy_info", "gauge", "Policy served: generation and content hash");
    if (c) {
        fprintf(f, "sekisho_policy_info{generation=\"%lld\",hash=\"",
                (long long)c->policy_generation);
        sk_label(f, c->policy_hash);
        fputs("\"} 1\n", f);
        sk_head(f, "sekisho_policy_generation", "gauge", "Policy generation served");
        fprintf(f, "sekisho_policy_generation %lld\n", (long long)c->policy_generation);
        sk_head(f, "sekisho_policy_last_load_timestamp_seconds", "gauge",
                "When the served policy was installed");
        fprintf(f, "sekisho_policy_last_load_timestamp_seconds %lld\n",
                (long long)c->policy_loaded_at);
    }
    sk_head(f, "sekisho_policy_load_ok", "gauge",
            "1 when the last check of the policy database worked in every child");
    fprintf(f, "sekisho_policy_load_ok %d\n", ok && c ? 1 : 0);
}

/* --policy-source: how this node's last pulls went (pull.state). */
static void sk_metrics_pull(FILE *f, const struct sk_pull_state *p)
{
    int ok = strcmp(p->outcome, "applied") == 0 || strcmp(p->outcome, "current") == 0;

    sk_head(f, "sekisho_policy_pull_ok", "gauge",
            "1 when the last poll of --policy-source applied the bundle its index names or "
            "found it applied; 0 when it was refused or could not be fetched or verified");
    fprintf(f, "sekisho_policy_pull_ok %d\n", ok);
    sk_head(f, "sekisho_policy_pull_info", "gauge", "Outcome of the last poll");
    fputs("sekisho_policy_pull_info{outcome=\"", f);
    sk_label(f, p->outcome);
    fputs("\"} 1\n", f);
    sk_head(f, "sekisho_policy_pull_consecutive_failures", "gauge",
            "Polls in a row that did not end with the index's bundle applied");
    fprintf(f, "sekisho_policy_pull_consecutive_failures %lld\n", (long long)p->failures);
    sk_head(f, "sekisho_policy_pull_last_attempt_timestamp_seconds", "gauge", "Last poll");
    fprintf(f, "sekisho_policy_pull_last_attempt_timestamp_seconds %lld\n", (long long)p->attempt);
    sk_head(f, "sekisho_policy_pull_last_success_timestamp_seconds", "gauge",
            "Last poll that applied the index's bundle or found it applied (0: none since "
            "the puller started)");
    fprintf(f, "sekisho_policy_pull_last_success_timestamp_seconds %lld\n", (long long)p->success);
    sk_head(f, "sekisho_policy_bundle_generation", "gauge",
            "Publisher generation of the bundle applied (0: not known yet)");
    fprintf(f, "sekisho_policy_bundle_generation %lld\n", (long long)p->bundle_generation);
    sk_head(f, "sekisho_policy_bundle_created_timestamp_seconds", "gauge",
            "When the applied bundle was published (its signed created time)");
    fprintf(f, "sekisho_policy_bundle_created_timestamp_seconds %lld\n",
            (long long)p->bundle_created);
    sk_head(f, "sekisho_policy_index_expires_timestamp_seconds", "gauge",
            "Until when the last index that verified is valid (publish renews it; after it, "
            "polls are refused until the publisher publishes again; 0: none verified yet)");
    fprintf(f, "sekisho_policy_index_expires_timestamp_seconds %lld\n",
            (long long)p->index_expires);
}

static void sk_metrics_state(FILE *f, const struct sk_status_snap *s)
{
    int64_t total = (int64_t)s->shm.threads_per_child * s->n_live;

    sk_head(f, "sekisho_build_info", "gauge", "Versions of Sekisho, c-icap and libclamav");
    fputs("sekisho_build_info{version=\"", f);
    sk_label(f, s->shm.sekisho_version);
    fputs("\",cicap=\"", f);
    sk_label(f, s->shm.cicap_version);
    fprintf(f, "\",libclamav=\"%s\"} 1\n", cl_retver());
    sk_head(f, "sekisho_start_time_seconds", "gauge", "When the c-icap master started");
    fprintf(f, "sekisho_start_time_seconds %lld\n", (long long)s->shm.started_at);
    sk_metrics_policy(f, s);
    if (s->av)
        sk_metrics_signatures(f, s);
    sk_head(f, "sekisho_children", "gauge", "Live c-icap child processes");
    fprintf(f, "sekisho_children %d\n", s->n_live);
    sk_head(f, "sekisho_threads", "gauge", "c-icap threads of live children by state");
    fprintf(f, "sekisho_threads{state=\"busy\"} %u\n", s->busy);
    fprintf(f, "sekisho_threads{state=\"idle\"} %lld\n",
            (long long)(total > (int64_t)s->busy ? total - (int64_t)s->busy : 0));
    sk_head(f, "sekisho_connections", "gauge",
            "ICAP connections inside a transaction (one per busy thread)");
    fprintf(f, "sekisho_connections %u\n", s->busy);
}

/* The readiness verdict without its reasons. */
static int sk_is_ready(const struct sk_status_snap *s)
{
    FILE *null = fopen("/dev/null", "w");
    int ready = 0;

    if (null) {
        ready = sk_status_ready(null, s);
        fclose(null);
    }
    return ready;
}

void sk_status_metrics(FILE *f, const struct sk_status_snap *s)
{
    int ready = sk_is_ready(s);
    sk_head(f, "sekisho_up", "gauge", "1 when the node is ready (same rule as /readyz)");
    fprintf(f, "sekisho_up %d\n", ready);
    sk_head(f, "sekisho_status_refused_total", "counter",
            "connections to this listener closed at accept: not in --status-allow");
    fprintf(f, "sekisho_status_refused_total %llu\n", (unsigned long long)s->status_refused);
    if (s->pull.have)
        sk_metrics_pull(f, &s->pull);
    if (!s->have)
        return;
    sk_metrics_traffic(f, s);
    sk_alert_metrics(f, s);
    sk_metrics_state(f, s);
}

static void sk_reason(FILE *f, int *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void sk_reason(FILE *f, int *n, const char *fmt, ...)
{
    char text[512];
    struct sk_buf b = {0};
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    sk_json_escape(&b, text, sizeof(text));
    fputs(*n ? ",\"" : "\"", f);
    if (b.data)
        fputs(b.data, f);
    sk_buf_free(&b);
    fputc('"', f);
    (*n)++;
}

int sk_status_ready(FILE *f, const struct sk_status_snap *s)
{
    const struct sk_metrics_child *c = sk_first(s);
    int n = 0;

    fputs("{\"reasons\":[", f);
    if (!s->have || !s->master_alive)
        sk_reason(f, &n, "the service is not running");
    else if (!s->shm.ready)
        sk_reason(f, &n, "the service has not finished starting (modules initialising)");
    else if (!c)
        sk_reason(f, &n, "no c-icap child process is serving");
    for (int i = 0; c && i < SK_METRICS_CHILDREN; i++) {
        const struct sk_metrics_child *k = &s->shm.child[i];
        if (s->live[i] && !k->policy_ok) {
            sk_reason(f, &n,
                      "policy database %s cannot be loaded (still serving generation "
                      "%lld); see the server log",
                      s->shm.policy_db, (long long)k->policy_generation);
            break;
        }
    }
    if (c && s->av) {
        int64_t limit = c->max_signature_age > 0 ? c->max_signature_age : 3 * 86400;
        if (!s->newest_sig)
            sk_reason(f, &n, "no signature database files in %s (test signatures only)",
                      s->shm.clamav_db);
        else if (s->now - s->newest_sig > limit)
            sk_reason(f, &n,
                      "signatures are %lld s old, older than av.max-signature-age "
                      "(%lld s)",
                      (long long)(s->now - s->newest_sig), (long long)limit);
    }
    if (c && (int64_t)s->busy >= (int64_t)s->shm.threads_per_child * s->n_live)
        sk_reason(f, &n, "no free thread (%u busy)", s->busy);
    fprintf(f, "],\"ready\":%s}\n", n ? "false" : "true");
    return n == 0;
}

/* T as a UTC time and how long ago it was; a DEADLINE still to come says
 * how long is left, one passed says EXPIRED. */
static void sk_time_line(FILE *f, const char *label, int64_t t, int64_t now, int deadline)
{
    char text[64] = "never";
    struct tm tm;
    time_t tt = (time_t)t;

    if (t > 0 && gmtime_r(&tt, &tm))
        strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (t <= 0)
        fprintf(f, "%-22s %s\n", label, text);
    else if (deadline && t >= now)
        fprintf(f, "%-22s %s (in %lld s)\n", label, text, (long long)(t - now));
    else
        fprintf(f, "%-22s %s (%s%lld s ago)\n", label, text, deadline ? "EXPIRED " : "",
                (long long)(now - t));
}

static void sk_when(FILE *f, const char *label, int64_t t, int64_t now)
{
    sk_time_line(f, label, t, now, 0);
}

void sk_status_text(FILE *f, const struct sk_status_snap *s)
{
    const struct sk_metrics_child *c = sk_first(s);

    fprintf(f, "%-22s %s\n", "sekisho", s->have ? s->shm.sekisho_version : "?");
    fprintf(f, "%-22s %s\n", "c-icap", s->have ? s->shm.cicap_version : "?");
    fprintf(f, "%-22s %s\n", "libclamav", cl_retver());
    if (!s->have) {
        fprintf(f, "%-22s not running (no metrics segment)\n", "state");
        return;
    }
    fprintf(f, "%-22s %s, master pid %d, %d child(ren), %u busy thread(s)\n", "state",
            !s->master_alive ? "stopped"
            : s->shm.ready   ? "running"
                             : "starting",
            s->shm.master_pid, s->n_live, s->busy);
    sk_when(f, "started", s->shm.started_at, s->now);
    fprintf(f, "%-22s %s\n", "policy database", s->shm.policy_db);
    if (c) {
        fprintf(f, "%-22s %lld\n", "policy generation", (long long)c->policy_generation);
        fprintf(f, "%-22s %s\n", "policy content hash", c->policy_hash);
        sk_when(f, "policy loaded", c->policy_loaded_at, s->now);
        sk_when(f, "policy load failed", c->policy_failed_at, s->now);
        fprintf(f, "%-22s %s\n", "module versions", c->versions);
        sk_when(f, "signatures reloaded", c->versions_changed_at, s->now);
    }
    if (s->pull.have) {
        fprintf(f, "%-22s %s: %s\n", "policy pull", s->pull.outcome, s->pull.message);
        sk_when(f, "  last poll", s->pull.attempt, s->now);
        sk_when(f, "  last good poll", s->pull.success, s->now);
        fprintf(f, "%-22s %lld\n", "  failures in a row", (long long)s->pull.failures);
        fprintf(f, "%-22s %lld\n", "  bundle generation", (long long)s->pull.bundle_generation);
        sk_when(f, "  bundle published", s->pull.bundle_created, s->now);
        sk_time_line(f, "  index valid until", s->pull.index_expires, s->now, 1);
    }
    if (s->av) {
        fprintf(f, "%-22s %s\n", "signature directory", s->shm.clamav_db);
        for (int i = 0; i < s->n_db; i++) {
            char label[96];
            snprintf(label, sizeof(label), "  %s", s->db[i].name);
            if (s->db[i].version)
                fprintf(f, "%-22s version %u, %u signatures\n", label, s->db[i].version,
                        s->db[i].sigs);
            sk_when(f, s->db[i].version ? "    built" : label, s->db[i].built, s->now);
        }
    }
    fputs("ready                  ", f);
    sk_status_ready(f, s);
}

int sk_launch_status_print(const struct sk_launch_opts *opts)
{
    struct sk_status_snap *s;
    char path[4096];
    int ready;

    if (!opts->run_dir) {
        fprintf(stderr, SK_LAUNCH_PROG ": --status needs --run-dir DIR (the running server's)\n");
        return SK_LAUNCH_EXIT_USAGE;
    }
    if (snprintf(path, sizeof(path), "%s/metrics", opts->run_dir) >= (int)sizeof(path) ||
        !(s = malloc(sizeof(*s))))
        return SK_LAUNCH_EXIT_FAIL;
    if (sk_status_read(path, s) == -1)
        fprintf(stderr, SK_LAUNCH_PROG ": %s is not a Sekisho metrics file\n", path);
    sk_status_text(stdout, s);
    ready = sk_is_ready(s);
    free(s);
    return ready ? SK_LAUNCH_EXIT_OK : SK_LAUNCH_EXIT_FAIL;
}

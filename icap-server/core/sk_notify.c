/* sk_notify.c - alerts to administrators (notify.* policy settings): a
 * virus stopped, a DLP block, a module error, a policy that failed to load,
 * signatures older than av.max-signature-age.
 * A transaction only formats the alert and puts it in a bounded per-process
 * queue; a notifier thread delivers it (webhook, SMTP: notify_send.c), so a
 * slow or dead receiver never delays an ICAP answer. A full queue drops the
 * alert and counts it. At most one alert of each kind per
 * notify.min-interval per node: the last-sent times live in a page shared
 * by every c-icap child (mapped by the master before fork).
 * SECURITY: alert text carries client bytes (URL, user, threat name); it is
 * JSON-escaped for the webhook and text-escaped for the mail body here (no
 * CR/LF starts a forged "user:" line, no control reaches a mail reader),
 * and notify_send.c keeps mail headers printable ASCII. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <sekisho/notify.h>
#include <sekisho/policy_snapshot.h>
#include <sekisho/text.h>

#include "sk_notify.h"
#include "sk_sigdb.h"
#include "sk_txn.h"

#define SK_NQ                  64 /* alerts waiting per process */
#define SK_NOTIFY_SIGDBS       32
#define SK_NOTIFY_STALE_REPEAT 3600 /* seconds */

struct sk_notify_shared {
    int64_t last[SK_NOTIFY_NKINDS]; /* time(NULL) of the last alert per kind */
    uint64_t sent, failed, dropped, suppressed;
};

struct sk_alert {
    char *json, *subject, *text, *webhook, *email, *smtp, *from;
};

static struct sk_notify_shared sk_local; /* when init never ran (unit tests) */
static struct sk_notify_shared *sk_ns = &sk_local;
static pthread_mutex_t sk_nlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sk_ncond = PTHREAD_COND_INITIALIZER;
static struct sk_alert sk_q[SK_NQ];
static unsigned sk_qhead, sk_qlen;
static pthread_t sk_nthread;
static pid_t sk_npid; /* process the thread runs in */
static int sk_nstop;

int sk_notify_init(void)
{
    void *p;

    if (sk_ns != &sk_local) /* reconfigure: this object stays loaded (srv_sekisho.c) */
        return 0;
    p = mmap(NULL, sizeof(struct sk_notify_shared), PROT_READ | PROT_WRITE,
             MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    memset(p, 0, sizeof(struct sk_notify_shared));
    sk_ns = p;
    return 0;
}

static void sk_alert_free(struct sk_alert *a)
{
    free(a->json);
    free(a->subject);
    free(a->text);
    free(a->webhook);
    free(a->email);
    free(a->smtp);
    free(a->from);
    memset(a, 0, sizeof(*a));
}

static void sk_deliver(struct sk_alert *a)
{
    char *err = NULL;
    int ok = 1;

    if (a->webhook && *a->webhook && sk_notify_send_webhook(a->webhook, a->json, 10, &err) != 0) {
        fprintf(stderr, "sekisho: alert to %s failed: %s\n", a->webhook, err ? err : "?");
        free(err);
        err = NULL;
        ok = 0;
    }
    if (a->email && *a->email && a->smtp && *a->smtp &&
        sk_notify_send_mail(a->smtp, a->from, a->email, a->subject, a->text, 10, &err) != 0) {
        fprintf(stderr, "sekisho: alert mail to %s failed: %s\n", a->email, err ? err : "?");
        free(err);
        ok = 0;
    }
    __atomic_add_fetch(ok ? &sk_ns->sent : &sk_ns->failed, 1, __ATOMIC_RELAXED);
}

static void *sk_notifier(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&sk_nlock);
    for (;;) {
        struct sk_alert a;

        while (sk_qlen == 0 && !sk_nstop)
            pthread_cond_wait(&sk_ncond, &sk_nlock);
        if (sk_qlen == 0 && sk_nstop)
            break;
        a = sk_q[sk_qhead];
        memset(&sk_q[sk_qhead], 0, sizeof(sk_q[0]));
        sk_qhead = (sk_qhead + 1) % SK_NQ;
        sk_qlen--;
        pthread_mutex_unlock(&sk_nlock);
        sk_deliver(&a);
        sk_alert_free(&a);
        pthread_mutex_lock(&sk_nlock);
    }
    pthread_mutex_unlock(&sk_nlock);
    return NULL;
}

/* Queue A (taken over), starting this process's notifier if needed. */
static void sk_enqueue(struct sk_alert *a)
{
    pid_t pid = getpid();

    pthread_mutex_lock(&sk_nlock);
    if (sk_npid != pid) { /* first alert of this process (threads do not survive fork) */
        sk_qhead = sk_qlen = 0;
        sk_nstop = 0;
        if (pthread_create(&sk_nthread, NULL, sk_notifier, NULL) == 0)
            sk_npid = pid;
    }
    if (sk_npid != pid || sk_qlen == SK_NQ) {
        __atomic_add_fetch(&sk_ns->dropped, 1, __ATOMIC_RELAXED);
        pthread_mutex_unlock(&sk_nlock);
        sk_alert_free(a);
        return;
    }
    sk_q[(sk_qhead + sk_qlen) % SK_NQ] = *a;
    sk_qlen++;
    pthread_cond_signal(&sk_ncond);
    pthread_mutex_unlock(&sk_nlock);
}

void sk_notify_stop(void)
{
    pthread_mutex_lock(&sk_nlock);
    if (sk_npid != getpid()) {
        pthread_mutex_unlock(&sk_nlock);
        return;
    }
    sk_nstop = 1;
    pthread_cond_signal(&sk_ncond);
    pthread_mutex_unlock(&sk_nlock);
    pthread_join(sk_nthread, NULL); /* delivers what is queued, 10 s per try at most */
    sk_npid = 0;
}

/* One alert per kind per interval and node: claim the slot atomically. */
static int sk_claim(int kind, int64_t interval)
{
    int64_t now = (int64_t)time(NULL), last = __atomic_load_n(&sk_ns->last[kind], __ATOMIC_RELAXED);

    do {
        if (interval > 0 && last != 0 && now - last < interval) {
            __atomic_add_fetch(&sk_ns->suppressed, 1, __ATOMIC_RELAXED);
            return 0;
        }
    } while (!__atomic_compare_exchange_n(&sk_ns->last[kind], &last, now, 0, __ATOMIC_ACQ_REL,
                                          __ATOMIC_RELAXED));
    return 1;
}

static char *sk_dup(const char *s)
{
    return strdup(s ? s : "");
}

/* FLOOR: the least interval between two alerts of this kind, whatever
 * notify.min-interval says (0: none). */
static void sk_emit(const struct sk_snapshot *snap, const char *kind, const char *const *fields,
                    uint64_t floor)
{
    const struct sk_policy *def = snap ? sk_snapshot_default(snap) : NULL;
    const char *webhook, *email, *events;
    uint64_t interval = 0;
    int k = sk_notify_kind_known(kind, strlen(kind));
    struct sk_alert a = {0};
    struct sk_buf j = {0}, t = {0};
    char host[128] = "", when[32];
    time_t now = time(NULL);
    struct tm tm;

    if (!def || k < 0)
        return;
    webhook = sk_policy_get(def, "notify.webhook");
    email = sk_policy_get(def, "notify.email");
    events = sk_policy_get(def, "notify.events");
    if ((!webhook || !*webhook) && (!email || !*email))
        return;
    if (!sk_notify_wants(events, kind))
        return;
    sk_parse_duration(sk_policy_get(def, "notify.min-interval"), &interval);
    if (interval < floor)
        interval = floor;
    if (!sk_claim(k, (int64_t)interval))
        return;
    gethostname(host, sizeof(host) - 1);
    gmtime_r(&now, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    sk_buf_puts(&j, "{\"event\":\"");
    sk_json_escape(&j, kind, 64);
    sk_buf_puts(&j, "\",\"time\":\"");
    sk_buf_puts(&j, when);
    sk_buf_puts(&j, "\",\"node\":\"");
    sk_json_escape(&j, host, sizeof(host));
    sk_buf_puts(&j, "\"");
    sk_buf_printf(&t, "Sekisho alert: %s on %s at %s\n", kind, host, when);
    for (int i = 0; fields && fields[i] && fields[i + 1]; i += 2) {
        sk_buf_puts(&j, ",\"");
        sk_json_escape(&j, fields[i], 64);
        sk_buf_puts(&j, "\":\"");
        sk_json_escape(&j, fields[i + 1], 1024);
        sk_buf_puts(&j, "\"");
        sk_buf_puts(&t, fields[i]);
        sk_buf_puts(&t, ": ");
        sk_text_escape(&t, fields[i + 1], 1000);
        sk_buf_puts(&t, "\n");
    }
    sk_buf_puts(&j, "}");
    if (j.failed || t.failed)
        goto out;
    a.json = j.data;
    a.text = t.data;
    j.data = t.data = NULL;
    if (asprintf(&a.subject, "Sekisho alert: %s on %s", kind, host) < 0)
        a.subject = NULL;
    a.webhook = sk_dup(webhook);
    a.email = sk_dup(email);
    a.smtp = sk_dup(sk_policy_get(def, "notify.smtp"));
    a.from = sk_dup(sk_policy_get(def, "notify.from"));
    if (!a.subject || !a.webhook || !a.email || !a.smtp || !a.from) {
        sk_alert_free(&a);
        goto out;
    }
    sk_enqueue(&a);
out:
    sk_buf_free(&j);
    sk_buf_free(&t);
}

void sk_notify_emit(const struct sk_snapshot *snap, const char *kind, const char *const *fields)
{
    sk_emit(snap, kind, fields, 0);
}

int sk_notify_signatures(const struct sk_snapshot *snap, const char *dir, int64_t max_age,
                         int64_t now)
{
    struct sk_sigdb db[SK_NOTIFY_SIGDBS];
    int64_t newest = 0;
    int n = sk_sigdb_scan(dir, db, SK_NOTIFY_SIGDBS, &newest);
    char age[32], limit[32];
    const char *name = "";

    if (n == 0 || newest == 0 || max_age <= 0 || now - newest <= max_age)
        return 0; /* no files: the built-in test signatures, a warning of their own */
    for (int i = 0; i < n; i++)
        if (db[i].built == newest)
            name = db[i].name;
    snprintf(age, sizeof(age), "%lld", (long long)(now - newest));
    snprintf(limit, sizeof(limit), "%lld", (long long)max_age);
    const char *f[] = {"directory",       dir,   "newest", name, "age_seconds", age,
                       "max_age_seconds", limit, NULL};
    /* a state, not an event: repeated at most hourly even with
     * notify.min-interval 0, where every child checks every minute */
    sk_emit(snap, "signatures-stale", f, SK_NOTIFY_STALE_REPEAT);
    return 1;
}

void sk_notify_stats(uint64_t *sent, uint64_t *failed, uint64_t *dropped, uint64_t *suppressed)
{
    if (sent)
        *sent = __atomic_load_n(&sk_ns->sent, __ATOMIC_RELAXED);
    if (failed)
        *failed = __atomic_load_n(&sk_ns->failed, __ATOMIC_RELAXED);
    if (dropped)
        *dropped = __atomic_load_n(&sk_ns->dropped, __ATOMIC_RELAXED);
    if (suppressed)
        *suppressed = __atomic_load_n(&sk_ns->suppressed, __ATOMIC_RELAXED);
}

void sk_notify_txn(const struct sk_txn *t, const char *verdict, const char *module,
                   int module_error)
{
    int blocked = verdict && strcmp(verdict, "block") == 0;

    if (!t->snap)
        return;
    for (int i = 0; i < t->n_detections; i++) {
        const struct sk_detection *d = &t->detections[i];
        const char *kind = strcmp(d->kind, "virus") == 0              ? "virus"
                           : (blocked && strcmp(d->kind, "dlp") == 0) ? "dlp-block"
                                                                      : NULL;
        const char *f[] = {
            "name",        d->name, "url",   sk_txn_shown_url(t), "client",
            t->client_ip,  "user",  t->user, "verdict",           verdict ? verdict : "",
            "transaction", t->id,   NULL};
        if (kind)
            sk_notify_emit(t->snap, kind, f);
    }
    if (module_error) {
        const char *f[] = {"module",  module ? module : "",   "url",         sk_txn_shown_url(t),
                           "verdict", verdict ? verdict : "", "transaction", t->id,
                           NULL};
        sk_notify_emit(t->snap, "module-error", f);
    }
}

/* sk_txn.c - transaction state and the sk_txn_* accessors modules use.
 * SECURITY: stores client-controlled strings; ICAP header lines queued by
 * modules are checked for control characters before they can be sent.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sekisho/policy_snapshot.h>

#include "sekisho/text.h"
#include "sk_txn.h"

static char *sk_dup(const char *s)
{
    return strdup(s ? s : "");
}

int sk_txn_init(struct sk_txn *t, unsigned method, const char *http_method, const char *url,
                const char *client_ip, const char *user, const char *groups)
{
    memset(t, 0, sizeof(*t));
    t->method = method;
    t->http_method = sk_dup(http_method);
    t->url = sk_dup(url);
    t->client_ip = sk_dup(client_ip);
    t->user = sk_dup(user);
    t->groups = sk_dup(groups);
    t->clock = (int64_t)time(NULL);
    sk_txn_new_id(t);
    if (!t->http_method || !t->url || !t->client_ip || !t->user || !t->groups) {
        sk_txn_clear(t);
        return -1;
    }
    return 0;
}

int sk_txn_set_server_ip(struct sk_txn *t, const char *ip)
{
    free(t->server_ip);
    t->server_ip = sk_dup(ip);
    return t->server_ip ? 0 : -1;
}

int sk_txn_add_groups(struct sk_txn *t, const char *groups)
{
    char *g;

    if (groups == NULL || groups[0] == '\0')
        return 0;
    if (asprintf(&g, "%s%s%s", t->groups, t->groups[0] ? "," : "", groups) == -1)
        return -1;
    free(t->groups);
    t->groups = g;
    t->policy = NULL;
    return 0;
}

void sk_txn_clear(struct sk_txn *t)
{
    free(t->http_method);
    free(t->url);
    free(t->shown_url);
    free(t->client_ip);
    free(t->user);
    free(t->groups);
    free(t->server_ip);
    free(t->rule);
    free(t->reason);
    free(t->page.content_type);
    free(t->page.body);
    for (int i = 0; i < t->n_icap_headers; i++)
        free(t->icap_headers[i]);
    for (int i = 0; i < t->n_detections; i++) {
        free(t->detections[i].kind);
        free(t->detections[i].name);
        free(t->detections[i].detail);
    }
    if (t->snap)
        sk_snapshot_unref(t->snap);
    memset(t, 0, sizeof(*t));
}

void sk_txn_set_snapshot(struct sk_txn *t, struct sk_snapshot *snap)
{
    if (t->snap)
        sk_snapshot_unref(t->snap);
    t->snap = snap;
    t->policy = NULL;
}

int64_t sk_txn_clock(const struct sk_txn *t)
{
    return t->clock;
}

const struct sk_snapshot *sk_txn_snapshot(const struct sk_txn *t)
{
    return t->snap;
}

const struct sk_policy *sk_txn_policy(struct sk_txn *t)
{
    if (!t->policy && t->snap) {
        struct sk_who who = {
            .client_ip = t->client_ip,
            .user = t->user,
            .groups = t->groups,
        };
        t->policy = sk_snapshot_resolve(t->snap, &who);
    }
    return t->policy;
}

const char *sk_txn_policy_name(struct sk_txn *t)
{
    const struct sk_policy *p = sk_txn_policy(t);

    return p ? sk_policy_name(p) : "";
}

/* Ids look like "6f1c2a3b-12345-42": a random prefix drawn once per
 * process, the pid, and a per-process counter. Unique across the c-icap
 * children of one host and, with overwhelming odds, across restarts.
 * The pid is cached (getpid() is a system call on every request
 * otherwise) and forgotten in a forked child by the atfork handler. */
static pid_t sk_id_pid;
static unsigned sk_id_prefix;
static unsigned long sk_id_counter;
/* "PREFIX-PID-" of this process, formatted once: a request appends its
 * counter in hex without printf */
static char sk_id_head[SK_TXN_ID_LEN];
static size_t sk_id_head_len;
static pthread_once_t sk_id_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t sk_id_lock = PTHREAD_MUTEX_INITIALIZER;

static void sk_id_forget(void)
{
    sk_id_pid = 0;
    sk_id_counter = 0;
}

static void sk_id_register(void)
{
    pthread_atfork(NULL, NULL, sk_id_forget);
}

void sk_txn_new_id(struct sk_txn *t)
{
    pid_t pid;
    char hex[16];
    size_t i = sizeof(hex);
    unsigned long v;
    int n;

    pthread_once(&sk_id_once, sk_id_register);
    if ((pid = __atomic_load_n(&sk_id_pid, __ATOMIC_ACQUIRE)) == 0) {
        pthread_mutex_lock(&sk_id_lock);
        if ((pid = sk_id_pid) == 0) {
            struct timespec ts;
            pid = getpid();
            clock_gettime(CLOCK_REALTIME, &ts);
            sk_id_prefix = (unsigned)(ts.tv_nsec ^ (ts.tv_sec << 8) ^ ((unsigned)pid << 16));
            n = snprintf(sk_id_head, sizeof(sk_id_head), "%08x-%d-", sk_id_prefix, (int)pid);
            sk_id_head_len = n < 0                            ? 0
                             : (size_t)n < sizeof(sk_id_head) ? (size_t)n
                                                              : sizeof(sk_id_head) - 1;
            __atomic_store_n(&sk_id_pid, pid, __ATOMIC_RELEASE);
        }
        pthread_mutex_unlock(&sk_id_lock);
    }
    /* as snprintf("%08x-%d-%lx") would write it, cut to the buffer */
    v = __atomic_add_fetch(&sk_id_counter, 1, __ATOMIC_RELAXED);
    do
        hex[--i] = "0123456789abcdef"[v & 15];
    while ((v >>= 4) != 0);
    n = (int)(sizeof(hex) - i);
    if (sk_id_head_len + (size_t)n >= sizeof(t->id))
        n = (int)(sizeof(t->id) - 1 - sk_id_head_len);
    memcpy(t->id, sk_id_head, sk_id_head_len);
    memcpy(t->id + sk_id_head_len, hex + i, (size_t)n);
    t->id[sk_id_head_len + (size_t)n] = '\0';
}

struct sk_module_ctx *sk_txn_module_ctx(const struct sk_txn *t)
{
    return t->current;
}

unsigned sk_txn_method(const struct sk_txn *t)
{
    return t->method;
}

const char *sk_txn_id(const struct sk_txn *t)
{
    return t->id;
}

const char *sk_txn_http_method(const struct sk_txn *t)
{
    return t->http_method;
}

const char *sk_txn_url(const struct sk_txn *t)
{
    return t->url;
}

const char *sk_txn_shown_url(const struct sk_txn *t)
{
    return t->shown_url ? t->shown_url : t->url;
}

#define SK_TXN_HIDDEN "[hidden]" /* what stands for the hidden rest of a URL */

void sk_txn_hide_url(struct sk_txn *t, size_t from)
{
    size_t n = strlen(t->url);
    char *u;

    if (from > n)
        from = n;
    /* hidden from there, or from before, already */
    if (t->shown_url && strlen(t->shown_url) <= from + sizeof(SK_TXN_HIDDEN) - 1)
        return;
    if (asprintf(&u, "%.*s" SK_TXN_HIDDEN, (int)from, t->url) == -1) {
        t->url[from] = '\0'; /* out of memory: never show it */
        return;
    }
    free(t->shown_url);
    t->shown_url = u;
}

const char *sk_txn_client_ip(const struct sk_txn *t)
{
    return t->client_ip;
}

int sk_txn_client_ip_sent(const struct sk_txn *t)
{
    return t->client_ip_sent;
}

const char *sk_txn_user(const struct sk_txn *t)
{
    return t->user;
}

const char *sk_txn_groups(const struct sk_txn *t)
{
    return t->groups;
}

int sk_txn_http_status(const struct sk_txn *t)
{
    return t->http_status;
}

int sk_txn_has_body(const struct sk_txn *t)
{
    return t->has_body;
}

const char *sk_txn_req_header(const struct sk_txn *t, const char *name)
{
    if (!t->headers.get)
        return NULL;
    return t->headers.get(t->headers.ctx, 0, name);
}

const char *sk_txn_resp_header(const struct sk_txn *t, const char *name)
{
    if (!t->headers.get || t->method != SK_RESPMOD)
        return NULL;
    return t->headers.get(t->headers.ctx, 1, name);
}

/* Copy before freeing: callers may pass the field's own value back in
 * (the pipeline does, sk_txn_set_reason(t, name, t->reason)). */
static void sk_replace(char **dst, const char *src)
{
    char *copy = src ? strdup(src) : NULL;

    free(*dst);
    *dst = copy;
}

void sk_txn_set_reason(struct sk_txn *t, const char *rule, const char *reason)
{
    sk_replace(&t->rule, rule);
    sk_replace(&t->reason, reason);
}

void sk_txn_approve(struct sk_txn *t, const char *rule)
{
    t->approved = 1;
    sk_replace(&t->rule, rule);
}

/* Monitor mode (IWSS "pass" as a second action): the reason is what the
 * log shows, and the proxy is told once by an ICAP header, so a rollout
 * can be audited on either side. */
void sk_txn_would_block(struct sk_txn *t, const char *rule, const char *reason)
{
    sk_txn_set_reason(t, rule, reason);
    if (!t->would_block)
        sk_txn_add_icap_header(t, "X-Sekisho-Verdict: would-block");
    t->would_block = 1;
}

int sk_txn_keep_body(struct sk_txn *t, sk_body_read_fn read, void *ctx)
{
    if (t->keep_read && t->keep_ctx != ctx)
        return -1;
    t->keep_read = read;
    t->keep_ctx = read ? ctx : NULL;
    return 0;
}

int sk_txn_would_blocked(const struct sk_txn *t)
{
    return t->would_block;
}

int sk_txn_approved(const struct sk_txn *t)
{
    return t->approved;
}

int sk_txn_set_page(struct sk_txn *t, int http_status, const char *content_type, const char *body,
                    size_t len)
{
    char *ct = strdup(content_type ? content_type : "text/html; charset=utf-8");
    char *copy = malloc(len + 1);

    if (!ct || !copy || http_status < 100 || http_status > 599) {
        free(ct);
        free(copy);
        return -1;
    }
    memcpy(copy, body, len);
    copy[len] = '\0';
    free(t->page.content_type);
    free(t->page.body);
    t->page.status = http_status;
    t->page.content_type = ct;
    t->page.body = copy;
    t->page.len = len;
    return 0;
}

/* A header line must be "Name: value" with a token name and no control
 * characters anywhere, so a module can never split the ICAP response. */
static int sk_header_line_ok(const char *line)
{
    const char *colon = strchr(line, ':');
    size_t len = strlen(line);

    if (!colon || colon == line || len > 1024)
        return 0;
    for (const char *p = line; p < colon; p++) {
        if (*p <= ' ' || *p >= 127 || strchr("()<>@,;:\\\"/[]?={}", *p))
            return 0;
    }
    for (const unsigned char *p = (const unsigned char *)line; *p; p++) {
        if (*p < ' ' || *p == 127)
            return 0;
    }
    return 1;
}

int sk_txn_add_icap_header(struct sk_txn *t, const char *line)
{
    if (!line || !sk_header_line_ok(line) || t->n_icap_headers >= SK_TXN_MAX_ICAP_HEADERS)
        return -1;
    char *copy = strdup(line);
    if (!copy)
        return -1;
    t->icap_headers[t->n_icap_headers++] = copy;
    return 0;
}

int sk_txn_report(struct sk_txn *t, const char *kind, const char *name, const char *detail)
{
    struct sk_detection *d;
    char clean[SK_TXN_DETECTION_NAME_MAX + 1];

    if (!kind || !name || t->n_detections >= SK_TXN_MAX_DETECTIONS)
        return -1;
    /* names reach ICAP header lines and logs: printable ASCII only */
    sk_header_sanitize(clean, sizeof(clean), name);
    d = &t->detections[t->n_detections];
    d->kind = strdup(kind);
    d->name = strdup(clean);
    d->detail = detail ? strdup(detail) : NULL;
    if (!d->kind || !d->name || (detail && !d->detail)) {
        free(d->kind);
        free(d->name);
        free(d->detail);
        memset(d, 0, sizeof(*d));
        return -1;
    }
    t->n_detections++;
    return 0;
}

int sk_txn_detection(const struct sk_txn *t, int i, const char **kind, const char **name,
                     const char **detail)
{
    if (i < 0 || i >= t->n_detections)
        return -1;
    if (kind)
        *kind = t->detections[i].kind;
    if (name)
        *name = t->detections[i].name;
    if (detail)
        *detail = t->detections[i].detail;
    return 0;
}

/* sk_accesslog.c - JSON-lines access log.
 * SECURITY: URLs, users and rule names are client-influenced; they are all
 * JSON-escaped, so a line is always valid JSON and never split. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "sk_accesslog.h"
#include "sk_util.h"

#define SK_LOG_URL_MAX 8192
#define SK_LOG_FIELD_MAX 1024

static int sk_log_fd = -1;

static void sk_field(struct sk_buf *b, const char *key, const char *value, size_t max)
{
    sk_buf_printf(b, ",\"%s\":\"", key);
    sk_json_escape(b, value ? value : "", max);
    sk_buf_puts(b, "\"");
}

void sk_accesslog_format(struct sk_buf *b, const struct sk_log_record *r)
{
    struct timeval tv;
    struct tm tm;
    char when[40];

    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    sk_buf_printf(b, "{\"time\":\"%s.%03dZ\"", when, (int)(tv.tv_usec / 1000));
    sk_field(b, "txn", r->txn, SK_LOG_FIELD_MAX);
    sk_field(b, "service", r->service, SK_LOG_FIELD_MAX);
    sk_field(b, "icap_method", r->icap_method, SK_LOG_FIELD_MAX);
    sk_field(b, "client", r->client, SK_LOG_FIELD_MAX);
    sk_field(b, "user", r->user, SK_LOG_FIELD_MAX);
    sk_field(b, "method", r->method, SK_LOG_FIELD_MAX);
    sk_field(b, "url", r->url, SK_LOG_URL_MAX);
    sk_buf_printf(b, ",\"icap_status\":%d", r->icap_status);
    sk_field(b, "verdict", r->verdict, SK_LOG_FIELD_MAX);
    sk_field(b, "module", r->module, SK_LOG_FIELD_MAX);
    sk_field(b, "rule", r->rule, SK_LOG_FIELD_MAX);
    if (r->reason && r->reason[0])
        sk_field(b, "reason", r->reason, SK_LOG_FIELD_MAX);
    if (r->module_error)
        sk_buf_puts(b, ",\"module_error\":true");
    if (r->n_detections > 0) {
        /* kind, name (signature or template) and the module's detail,
         * e.g. masked DLP samples; modules never put clear values here */
        sk_buf_puts(b, ",\"detections\":[");
        for (int i = 0; i < r->n_detections; i++) {
            const struct sk_detection *d = &r->detections[i];
            sk_buf_puts(b, i ? ",{\"kind\":\"" : "{\"kind\":\"");
            sk_json_escape(b, d->kind, SK_LOG_FIELD_MAX);
            sk_buf_puts(b, "\",\"name\":\"");
            sk_json_escape(b, d->name, SK_LOG_FIELD_MAX);
            sk_buf_puts(b, "\"");
            if (d->detail) {
                sk_buf_puts(b, ",\"detail\":\"");
                sk_json_escape(b, d->detail, SK_LOG_FIELD_MAX);
                sk_buf_puts(b, "\"");
            }
            sk_buf_puts(b, "}");
        }
        sk_buf_puts(b, "]");
    }
    sk_buf_printf(b, ",\"bytes_in\":%llu,\"bytes_out\":%llu,\"duration_ms\":%.3f}\n",
                  (unsigned long long)r->bytes_in, (unsigned long long)r->bytes_out,
                  r->duration_ms);
}

int sk_accesslog_open(const char *path, char **err)
{
    int fd;

    sk_accesslog_close();
    if (!path || !path[0] || strcmp(path, "none") == 0)
        return 0;
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd == -1) {
        sk_seterr(err, "access log %s: %m", path);
        return -1;
    }
    sk_log_fd = fd;
    return 0;
}

/* Lines are written with one write(2) each while traffic is light; under
 * load (the previous write less than SK_LOG_BUSY_NS ago) they are gathered
 * and written together once SK_LOG_BATCH bytes are pending, and
 * sk_accesslog_flush(), which the server calls every SK_LOG_FLUSH_MS from a
 * background thread, bounds how long a line can wait. Every write(2)
 * carries whole lines on an O_APPEND descriptor, so lines from the c-icap
 * children never interleave. Measured: one write per request cost 10-20%
 * of no-body REQMOD throughput. A crash can lose the last few
 * milliseconds of lines. */
#define SK_LOG_BATCH 32768
#define SK_LOG_BUSY_NS 2000000L

static pthread_mutex_t sk_log_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sk_buf sk_log_pending;
static struct timespec sk_log_last;
static int sk_log_batching; /* on only while a flusher calls sk_accesslog_flush */

void sk_accesslog_batching(int on)
{
    __atomic_store_n(&sk_log_batching, on, __ATOMIC_RELEASE);
    if (!on)
        sk_accesslog_flush();
}

static long sk_log_since(const struct timespec *now)
{
    return (now->tv_sec - sk_log_last.tv_sec) * 1000000000L + (now->tv_nsec - sk_log_last.tv_nsec);
}

/* Caller holds sk_log_lock. */
static void sk_log_flush_locked(const struct timespec *now)
{
    size_t off = 0;

    while (off < sk_log_pending.len && sk_log_fd != -1) {
        ssize_t n = write(sk_log_fd, sk_log_pending.data + off, sk_log_pending.len - off);
        if (n <= 0)
            break; /* a full disk must not fail the transaction */
        off += (size_t)n;
    }
    sk_log_pending.len = 0;
    if (sk_log_pending.data)
        sk_log_pending.data[0] = '\0';
    sk_log_last = *now;
}

void sk_accesslog_write(const struct sk_log_record *rec)
{
    struct sk_buf line = {0};
    struct timespec now;

    if (sk_log_fd == -1)
        return;
    sk_accesslog_format(&line, rec);
    if (line.failed || !line.len) {
        sk_buf_free(&line);
        return;
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    pthread_mutex_lock(&sk_log_lock);
    sk_buf_append(&sk_log_pending, line.data, line.len);
    if (sk_log_pending.failed) { /* out of memory: write what we have */
        sk_log_pending.failed = 0;
        sk_log_pending.len = 0;
        if (write(sk_log_fd, line.data, line.len) < 0) {
            /* nothing more to do */
        }
    } else if (!__atomic_load_n(&sk_log_batching, __ATOMIC_ACQUIRE) ||
               sk_log_pending.len >= SK_LOG_BATCH || sk_log_since(&now) >= SK_LOG_BUSY_NS) {
        sk_log_flush_locked(&now);
    }
    pthread_mutex_unlock(&sk_log_lock);
    sk_buf_free(&line);
}

void sk_accesslog_flush(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    pthread_mutex_lock(&sk_log_lock);
    if (sk_log_pending.len)
        sk_log_flush_locked(&now);
    pthread_mutex_unlock(&sk_log_lock);
}

void sk_accesslog_close(void)
{
    sk_accesslog_flush();
    if (sk_log_fd != -1)
        close(sk_log_fd);
    sk_log_fd = -1;
}

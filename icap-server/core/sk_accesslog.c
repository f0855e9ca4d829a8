/* sk_accesslog.c - JSON-lines access log.
 * SECURITY: URLs, users and rule names are client-influenced; they are all
 * JSON-escaped, so a line is always valid JSON and never split. A full
 * disk (or any write error) never leaves a broken line: see sk_log_put. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "sk_accesslog.h"
#include "sk_syslog.h"
#include "sk_util.h"

#define SK_LOG_URL_MAX    8192
#define SK_LOG_FIELD_MAX  1024
#define SK_LOG_LINE_GUESS 1000 /* + NUL: a 1 KiB buffer */

static int sk_log_fd = -1;
static char *sk_log_path; /* for messages */
static sk_accesslog_msg_fn sk_log_msg;

void sk_accesslog_set_msg(sk_accesslog_msg_fn fn)
{
    sk_log_msg = fn;
}

/* ,"KEY":"escaped value" -- KEY is a literal, its text is built at compile
 * time (no strlen per field per request). */
#define sk_field(b, key, value, max)                                                               \
    sk_field_n(b, ",\"" key "\":\"", sizeof(",\"" key "\":\"") - 1, value, max)

static void sk_field_n(struct sk_buf *b, const char *head, size_t head_len, const char *value,
                       size_t max)
{
    sk_buf_append(b, head, head_len);
    sk_json_escape(b, value ? value : "", max);
    sk_buf_append(b, "\"", 1);
}

/* Decimal of v into b; no printf on the per-request path. */
static void sk_put_u64(struct sk_buf *b, uint64_t v)
{
    char d[24];
    size_t i = sizeof(d);

    do
        d[--i] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    sk_buf_append(b, d + i, sizeof(d) - i);
}

/* KEY (a literal, e.g. ",\"bytes_in\":") and the decimal of v */
#define sk_put_num(b, key, v) sk_put_num_n(b, key, sizeof(key) - 1, v)

static void sk_put_num_n(struct sk_buf *b, const char *key, size_t key_len, uint64_t v)
{
    sk_buf_append(b, key, key_len);
    sk_put_u64(b, v);
}

/* ".ddd" for thousandths (0-999), as "%.3f" prints the fraction. */
static void sk_put_frac3(struct sk_buf *b, unsigned v)
{
    char d[4] = {'.', (char)('0' + v / 100 % 10), (char)('0' + v / 10 % 10), (char)('0' + v % 10)};

    sk_buf_append(b, d, sizeof(d));
}

/* "YYYY-MM-DDTHH:MM:SS" of now, formatted once per second per thread. */
static const char *sk_log_second(time_t sec)
{
    static __thread time_t cached = (time_t)-1;
    static __thread char text[32];
    struct tm tm;

    if (sec != cached) {
        gmtime_r(&sec, &tm);
        strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &tm);
        cached = sec;
    }
    return text;
}

/* The object and policy fields (issue 13): http_status, content_type,
 * filename, threat (first detection's name), sha256 (of the body, for a
 * detection), generation, istag. */
static void sk_log_extra(struct sk_buf *b, const struct sk_log_record *r)
{
    if (r->http_status > 0)
        sk_put_num(b, ",\"http_status\":", (uint64_t)r->http_status);
    if (r->content_type && r->content_type[0])
        sk_field(b, "content_type", r->content_type, SK_LOG_FIELD_MAX);
    if (r->filename && r->filename[0])
        sk_field(b, "filename", r->filename, SK_LOG_FIELD_MAX);
    if (r->n_detections > 0)
        sk_field(b, "threat", r->detections[0].name, SK_LOG_FIELD_MAX);
    if (r->n_detections > 0 && r->sha256 && r->sha256[0])
        sk_field(b, "sha256", r->sha256, 64);
    if (r->generation > 0)
        sk_put_num(b, ",\"generation\":", (uint64_t)r->generation);
    if (r->istag && r->istag[0]) {
        sk_buf_puts(b, ",\"istag\":\"CI0001");
        sk_json_escape(b, r->istag, SK_LOG_FIELD_MAX);
        sk_buf_append(b, "\"", 1);
    }
}

void sk_accesslog_format(struct sk_buf *b, const struct sk_log_record *r)
{
    struct timeval tv;
    uint64_t us;

    gettimeofday(&tv, NULL);
    /* a plain line is 400-700 bytes: one allocation instead of growing */
    sk_buf_reserve(b, SK_LOG_LINE_GUESS);
    sk_buf_puts(b, "{\"time\":\"");
    sk_buf_puts(b, sk_log_second(tv.tv_sec));
    sk_put_frac3(b, (unsigned)(tv.tv_usec / 1000));
    sk_buf_append(b, "Z\"", 2);
    sk_field(b, "txn", r->txn, SK_LOG_FIELD_MAX);
    sk_field(b, "service", r->service, SK_LOG_FIELD_MAX);
    sk_field(b, "icap_method", r->icap_method, SK_LOG_FIELD_MAX);
    sk_field(b, "client", r->client, SK_LOG_FIELD_MAX);
    sk_field(b, "user", r->user, SK_LOG_FIELD_MAX);
    sk_field(b, "groups", r->groups, SK_LOG_FIELD_MAX);
    sk_field(b, "policy", r->policy, SK_LOG_FIELD_MAX);
    sk_field(b, "server_ip", r->server_ip, SK_LOG_FIELD_MAX);
    sk_field(b, "method", r->method, SK_LOG_FIELD_MAX);
    sk_field(b, "url", r->url, SK_LOG_URL_MAX);
    if (r->icap_status >= 0)
        sk_put_num(b, ",\"icap_status\":", (uint64_t)r->icap_status);
    else
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
    sk_log_extra(b, r);
    sk_put_num(b, ",\"bytes_in\":", r->bytes_in);
    sk_put_num(b, ",\"bytes_out\":", r->bytes_out);
    /* milliseconds with three decimals, as "%.3f" would print them */
    us = r->duration_ms > 0 ? (uint64_t)(r->duration_ms * 1000.0 + 0.5) : 0;
    sk_put_num(b, ",\"duration_ms\":", us / 1000);
    sk_put_frac3(b, (unsigned)(us % 1000));
    sk_buf_append(b, "}\n", 2);
}

static char *sk_log_syslog_socket; /* NULL: /dev/log */

void sk_accesslog_set_syslog_socket(const char *path)
{
    free(sk_log_syslog_socket);
    sk_log_syslog_socket = path ? strdup(path) : NULL;
}

int sk_accesslog_open(const char *path, char **err)
{
    int fd;

    sk_accesslog_close();
    if (!path || !path[0] || strcmp(path, "none") == 0)
        return 0;
    if (sk_syslog_is_spec(path))
        return sk_syslog_open(path, sk_log_syslog_socket, err);
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd == -1) {
        sk_seterr(err, "access log %s: %m", path);
        return -1;
    }
    if (!(sk_log_path = strdup(path))) {
        close(fd);
        sk_seterr(err, "out of memory");
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
 * milliseconds of lines.
 *
 * Two locks: sk_log_lock only covers appending a line to the pending
 * buffer (a memcpy); sk_log_write_lock is held by whoever writes, who swaps
 * the pending buffer for the empty spare and writes it outside sk_log_lock,
 * so threads finishing requests never wait behind a write(2) (that wait
 * was most of the futex calls under load). Swapping under the write lock
 * keeps batches in order. A request thread that finds a write in progress
 * leaves its line for the next one. */
#define SK_LOG_BATCH   32768
#define SK_LOG_BUSY_NS 2000000L

static pthread_mutex_t sk_log_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t sk_log_write_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sk_buf sk_log_bufs[2];
static int sk_log_cur;              /* sk_log_bufs[sk_log_cur] is pending; sk_log_lock */
static struct timespec sk_log_last; /* last write; sk_log_lock */
static int sk_log_batching;         /* on only while a flusher calls sk_accesslog_flush */

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

/* Lines that could not be written (disk full, I/O error) are counted, not
 * retried: a full disk must not fail or stall transactions. The server log
 * hears about it at once and then at most every SK_LOG_WARN_S seconds. The
 * next write, or the flusher's, first adds one line
 * {"time":...,"event":"access_log_lost","lost_lines":N,"pid":P} for the
 * lines not yet accounted for in the file; once a whole write goes through
 * again the server log says how many were lost in all. Counts are per
 * c-icap child. All under sk_log_write_lock. */
#define SK_LOG_WARN_S 60

static uint64_t sk_log_lost;   /* lost lines no record in the file counts yet */
static uint64_t sk_log_outage; /* lost lines since writing last worked */
static time_t sk_log_warned;   /* CLOCK_MONOTONIC second of the last warning */
static int sk_log_warned_once;

static uint64_t sk_log_count_lines(const char *p, size_t len)
{
    uint64_t n = 0;

    for (const char *e = p + len; (p = memchr(p, '\n', (size_t)(e - p))) != NULL; p++)
        n++;
    return n;
}

/* Holds a POSIX record lock on the whole file, which excludes the other
 * c-icap children (they share the descriptor but are other processes). */
static int sk_log_lock_file(short type)
{
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    int rc;

    while ((rc = fcntl(sk_log_fd, F_SETLKW, &fl)) == -1 && errno == EINTR)
        ;
    return rc;
}

/* Appends p (whole lines) and returns how many of its bytes are in the
 * file, always a whole number of lines. A write cut short by a full disk
 * leaves part of a line; under the file lock nobody appended after us, so
 * the file is cut back to the last complete line: its size now less what
 * we appended (an fstat only when a write fails, not one per batch).
 * *why gets errno. */
static size_t sk_log_put(const char *p, size_t len, int *why)
{
    struct stat st;
    size_t done = 0, keep;
    int locked = sk_log_lock_file(F_WRLCK) == 0;

    *why = 0;
    while (done < len) {
        ssize_t n = write(sk_log_fd, p + done, len - done);
        if (n == -1 && errno == EINTR)
            continue;
        if (n <= 0) {
            *why = n == 0 ? ENOSPC : errno;
            break;
        }
        done += (size_t)n;
    }
    if (done < len) {
        for (keep = done; keep > 0 && p[keep - 1] != '\n'; keep--)
            ;
        if (keep < done && (!locked || fstat(sk_log_fd, &st) == -1 || st.st_size < (off_t)done ||
                            ftruncate(sk_log_fd, st.st_size - (off_t)(done - keep)) == -1)) {
            /* cannot take the fragment back: end it, so only it is spoiled */
            if (write(sk_log_fd, "\n", 1) != 1)
                *why = *why ? *why : errno;
        }
        done = keep;
    }
    if (locked)
        sk_log_lock_file(F_UNLCK);
    return done;
}

/* Writes the lost-line record; 0 when it is in the file (the count is
 * then reset), -1 when it did not fit either. */
static int sk_log_record_lost(void)
{
    struct sk_buf b = {0};
    struct timeval tv;
    int why, rc = -1;

    gettimeofday(&tv, NULL);
    sk_buf_puts(&b, "{\"time\":\"");
    sk_buf_puts(&b, sk_log_second(tv.tv_sec));
    sk_put_frac3(&b, (unsigned)(tv.tv_usec / 1000));
    sk_buf_puts(&b, "Z\",\"event\":\"access_log_lost\"");
    sk_put_num(&b, ",\"lost_lines\":", sk_log_lost);
    sk_put_num(&b, ",\"pid\":", (uint64_t)getpid());
    sk_buf_append(&b, "}\n", 2);
    if (!b.failed && sk_log_put(b.data, b.len, &why) == b.len) {
        sk_log_lost = 0;
        rc = 0;
    }
    sk_buf_free(&b);
    return rc;
}

static void sk_log_write_all(const char *p, size_t len)
{
    struct timespec now;
    size_t done = 0;
    int why = 0;

    if (sk_log_fd == -1)
        return;
    /* also from the flusher with nothing pending: recovery shows without traffic */
    if (sk_log_lost > 0 && sk_log_record_lost() == -1)
        why = ENOSPC; /* still full: the batch goes to the count below */
    else if (len > 0)
        done = sk_log_put(p, len, &why);
    if (!why && done == len) {
        if (sk_log_outage > 0 && sk_log_msg)
            sk_log_msg(1, "sekisho: access log %s: writing again; %llu line(s) were lost\n",
                       sk_log_path, (unsigned long long)sk_log_outage);
        sk_log_outage = 0;
        sk_log_warned_once = 0; /* the next outage is reported at once */
        return;
    }
    sk_log_lost += sk_log_count_lines(p + done, len - done);
    sk_log_outage += sk_log_count_lines(p + done, len - done);
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!sk_log_warned_once || now.tv_sec - sk_log_warned >= SK_LOG_WARN_S) {
        sk_log_warned_once = 1;
        sk_log_warned = now.tv_sec;
        if (sk_log_msg)
            sk_log_msg(1, "sekisho: access log %s: cannot write, %llu line(s) lost so far (%s)\n",
                       sk_log_path, (unsigned long long)sk_log_outage, strerror(why ? why : EIO));
    }
}

/* Caller holds sk_log_write_lock. */
static void sk_log_drain(void)
{
    struct timespec now;
    struct sk_buf *out;

    clock_gettime(CLOCK_MONOTONIC, &now);
    pthread_mutex_lock(&sk_log_lock);
    out = &sk_log_bufs[sk_log_cur];
    sk_log_cur ^= 1; /* the spare is empty: it was drained last time */
    sk_log_last = now;
    pthread_mutex_unlock(&sk_log_lock);
    sk_log_write_all(out->data, out->len);
    out->len = 0;
    out->failed = 0;
    if (out->data)
        out->data[0] = '\0';
}

/* Syslog severity: a detection or block is a warning, a transaction that
 * ended without a verdict an error, the rest informational. */
static int sk_log_severity(const struct sk_log_record *rec)
{
    if (rec->verdict && strcmp(rec->verdict, "error") == 0)
        return 3;
    if (rec->n_detections > 0 || (rec->verdict && strcmp(rec->verdict, "block") == 0))
        return 4;
    return 6;
}

static void sk_log_to_syslog(const struct sk_log_record *rec)
{
    struct sk_buf line = {0};

    sk_accesslog_format(&line, rec);
    if (!line.failed && line.len)
        sk_syslog_send(sk_log_severity(rec), line.data, line.len);
    sk_buf_free(&line);
}

void sk_accesslog_write(const struct sk_log_record *rec)
{
    struct sk_buf line = {0};
    struct timespec now;
    int batching, want, failed;

    if (sk_syslog_active()) {
        sk_log_to_syslog(rec);
        return;
    }
    if (sk_log_fd == -1)
        return;
    sk_accesslog_format(&line, rec);
    if (line.failed || !line.len) {
        sk_buf_free(&line);
        return;
    }
    batching = __atomic_load_n(&sk_log_batching, __ATOMIC_ACQUIRE);
    clock_gettime(CLOCK_MONOTONIC, &now);
    pthread_mutex_lock(&sk_log_lock);
    struct sk_buf *pending = &sk_log_bufs[sk_log_cur];
    sk_buf_append(pending, line.data, line.len);
    failed = pending->failed;
    if (failed) { /* out of memory: this line goes out on its own */
        pending->failed = 0;
        pending->len = 0;
    }
    want = !batching || pending->len >= SK_LOG_BATCH || sk_log_since(&now) >= SK_LOG_BUSY_NS;
    pthread_mutex_unlock(&sk_log_lock);
    if (failed) {
        pthread_mutex_lock(&sk_log_write_lock);
        sk_log_write_all(line.data, line.len);
        pthread_mutex_unlock(&sk_log_write_lock);
    }
    if (want) {
        if (!batching)
            pthread_mutex_lock(&sk_log_write_lock);
        else if (pthread_mutex_trylock(&sk_log_write_lock) != 0)
            want = 0; /* someone is writing; the next write takes this line */
        if (want) {
            sk_log_drain();
            pthread_mutex_unlock(&sk_log_write_lock);
        }
    }
    sk_buf_free(&line);
}

void sk_accesslog_flush(void)
{
    pthread_mutex_lock(&sk_log_write_lock);
    sk_log_drain();
    pthread_mutex_unlock(&sk_log_write_lock);
}

void sk_accesslog_close(void)
{
    sk_syslog_close();
    sk_accesslog_flush();
    if (sk_log_fd != -1)
        close(sk_log_fd);
    sk_log_fd = -1;
    free(sk_log_path);
    sk_log_path = NULL;
}

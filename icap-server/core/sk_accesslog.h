/* sk_accesslog.h - one JSON line per transaction. */
#ifndef SK_ACCESSLOG_H
#define SK_ACCESSLOG_H

#include <stdint.h>

#include "sekisho/text.h"
#include "sk_txn.h"

struct sk_log_record {
    const char *txn;
    const char *service; /* name the client used */
    const char *icap_method;
    const char *client;
    const char *user;
    const char *groups;    /* as normalised, "" when none were sent */
    const char *policy;    /* name of the policy applied, "" before one was */
    const char *server_ip; /* X-Server-IP, "" when not sent */
    const char *method;
    const char *url;
    int icap_status;
    const char *verdict;
    const char *module;
    const char *rule;
    const char *reason;
    uint64_t bytes_in;
    uint64_t bytes_out;
    double duration_ms;
    int module_error;
    const struct sk_detection *detections; /* what modules reported */
    int n_detections;
    /* issue 13 fields; 0 / NULL / "" leave them out */
    int http_status;          /* of the encapsulated response (RESPMOD) */
    const char *content_type; /* of the object */
    const char *filename;     /* from Content-Disposition */
    int64_t generation;       /* policy generation the verdict used */
    const char *istag;        /* without c-icap's "CI0001" prefix */
    const char *sha256;       /* of the whole body, hex; logged with detections only */
};

/* Format rec as one JSON object followed by '\n' into b. */
void sk_accesslog_format(struct sk_buf *b, const struct sk_log_record *rec);

/* Where the log reports lines it could not write (the server log): the
 * format takes the path, a count (unsigned long long) and a reason. */
typedef void (*sk_accesslog_msg_fn)(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void sk_accesslog_set_msg(sk_accesslog_msg_fn fn);

/* Socket for a "syslog[:FACILITY]" log (NULL: /dev/log); before open. */
void sk_accesslog_set_syslog_socket(const char *path);
/* Open (create, append) the log, or connect to syslog when PATH is
 * "syslog[:FACILITY]"; -1 with malloc'd *err. */
int sk_accesslog_open(const char *path, char **err);
/* Append one record. Lines go out whole (never interleaved with other
 * processes' lines); under load they are batched, see sk_accesslog.c.
 * Does nothing when not open. Lines that cannot be written (full disk)
 * are counted and reported, never written in part. */
void sk_accesslog_write(const struct sk_log_record *rec);
/* Write out batched lines now (called every SK_LOG_FLUSH_MS). */
void sk_accesslog_flush(void);
/* Batch under load only while something calls sk_accesslog_flush every
 * SK_LOG_FLUSH_MS; off (write-through) by default. */
void sk_accesslog_batching(int on);
#define SK_LOG_FLUSH_MS 50
void sk_accesslog_close(void);

#endif

/* notify.h - alerts to administrators: the event kinds, and delivery by
 * webhook or SMTP (policy-db/src/notify_send.c, libcurl). The server queues
 * events off the transaction path (icap-server/core/sk_notify.c); the CLI's
 * `notify test` sends one of each. */
#ifndef SEKISHO_NOTIFY_H
#define SEKISHO_NOTIFY_H

#include <stddef.h>

/* Event kinds, as named in the notify.events setting. */
#define SK_NOTIFY_KINDS                                                                            \
    {                                                                                              \
        "virus", "dlp-block", "module-error", "signatures-stale", "policy-load-failed"             \
    }
#define SK_NOTIFY_NKINDS 5

/* Index of KIND (LEN bytes) in SK_NOTIFY_KINDS, or -1. */
int sk_notify_kind_known(const char *kind, size_t len);
/* 1 when the comma-separated EVENTS list names KIND. */
int sk_notify_wants(const char *events, const char *kind);

/* POST JSON to URL (http/https); 0 on a 2xx answer, else -1 with *err
 * (malloc'd, may be NULL). Never waits longer than TIMEOUT_S seconds. */
int sk_notify_send_webhook(const char *url, const char *json, long timeout_s, char **err);
/* One plain-text mail through SMTP ("host:port"); 0 or -1 with *err. */
int sk_notify_send_mail(const char *smtp, const char *from, const char *to, const char *subject,
                        const char *body, long timeout_s, char **err);

#endif

/* sk_txn.h - the server's view of one ICAP transaction (internal).
 * SECURITY: every string field holds client-controlled bytes.
 */
#ifndef SK_TXN_H
#define SK_TXN_H

#include <stddef.h>
#include <stdint.h>

#include "sekisho/module.h"

#define SK_TXN_ID_LEN             32
#define SK_TXN_MAX_ICAP_HEADERS   8
#define SK_TXN_MAX_DETECTIONS     8
#define SK_TXN_DETECTION_NAME_MAX 128

/* How the server reads headers of the encapsulated HTTP message; the
 * c-icap glue fills it in, unit tests use fakes. */
struct sk_header_source {
    const char *(*get)(void *ctx, int response, const char *name);
    /* Every field NAME, in order (a message may repeat a field); optional:
     * without it only get's first field is seen. */
    void (*each)(void *ctx, int response, const char *name,
                 void (*fn)(void *arg, const char *value), void *arg);
    void *ctx;
};

struct sk_page {
    int status;         /* HTTP status, e.g. 403 */
    char *content_type; /* malloc'd */
    char *body;         /* malloc'd */
    size_t len;
};

struct sk_detection {
    char *kind;   /* "virus", "dlp", ... malloc'd */
    char *name;   /* sanitised: printable US-ASCII, capped */
    char *detail; /* optional, malloc'd or NULL */
};

struct sk_txn {
    unsigned method; /* SK_REQMOD / SK_RESPMOD */
    char id[SK_TXN_ID_LEN];
    char *http_method; /* malloc'd; never NULL after sk_txn_init */
    char *url;
    char *shown_url; /* as logs, alerts and pages show it (sk_txn_hide_url); NULL: url */
    char *client_ip;
    int client_ip_sent; /* from X-Client-IP, not the ICAP peer */
    char *user;
    char *groups;    /* normalised by sk_ident_groups() */
    char *server_ip; /* X-Server-IP, or "" */
    int http_status;
    int has_body;
    int64_t clock; /* schedules: time(NULL) at init, or the test clock */
    struct sk_header_source headers;

    struct sk_snapshot *snap;       /* one reference, dropped by sk_txn_clear */
    const struct sk_policy *policy; /* resolved from snap on first use */

    /* the module that keeps the raw body (sk_txn_keep_body), or NULL */
    sk_body_read_fn keep_read;
    void *keep_ctx;

    /* set while a module hook runs, so accessors know who is asking */
    struct sk_module_ctx *current;

    /* outcome */
    int approved;
    int would_block; /* monitor mode: a module let through what it would block */
    int dir_block;   /* directory groups unknown, directory.on-error block */
    char *rule;      /* rule/signature that decided, malloc'd or NULL */
    char *reason;    /* human reason, malloc'd or NULL */
    struct sk_page page;
    char *icap_headers[SK_TXN_MAX_ICAP_HEADERS];
    int n_icap_headers;
    struct sk_detection detections[SK_TXN_MAX_DETECTIONS];
    int n_detections;
};

/* Fill the identity part of a transaction. Strings are copied; NULL is
 * stored as "". Returns 0 or -1 (out of memory). */
int sk_txn_init(struct sk_txn *t, unsigned method, const char *http_method, const char *url,
                const char *client_ip, const char *user, const char *groups);
void sk_txn_clear(struct sk_txn *t);
/* Name of the policy that applies (resolved now if no module asked),
 * "" without a snapshot. Borrowed from the snapshot. */
const char *sk_txn_policy_name(struct sk_txn *t);
/* The origin server's address as the proxy sent it; 0 or -1. */
int sk_txn_set_server_ip(struct sk_txn *t, const char *ip);
/* Add comma-separated GROUPS (from a directory) after the header groups,
 * before the policy is resolved. 0, or -1 (out of memory, unchanged). */
int sk_txn_add_groups(struct sk_txn *t, const char *groups);
/* Attach a policy snapshot; the transaction takes over the reference. */
void sk_txn_set_snapshot(struct sk_txn *t, struct sk_snapshot *snap);
/* Generate a process-unique transaction id into t->id. */
void sk_txn_new_id(struct sk_txn *t);

#endif

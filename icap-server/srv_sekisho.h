/* srv_sekisho.h - shared state of the c-icap glue (internal to srv_*.c).
 * Only srv_*.c files include c-icap headers; everything else is plain C. */
#ifndef SRV_SEKISHO_H
#define SRV_SEKISHO_H

#include "c-icap.h"
#include "request.h"
#include "service.h"

#include <time.h>

#include "sk_chain.h"
#include "sk_pipeline.h"
#include "sk_policy_store.h"

#define SK_MAX_LISTED_MODULES SK_MAX_MODULES

/* Configuration, filled by c-icap's parser from sekisho.* directives. */
struct sk_server_conf {
    char *policy_db;
    char *clamav_db;
    char *modules_dir;
    char *modules[SK_MAX_LISTED_MODULES];
    int n_modules;
    char *access_log;
    char *status_file;
    char *metrics_file;  /* shared counters for the status listener; NULL: off */
    char *syslog_socket; /* AccessLog syslog[:FACILITY] goes here; NULL: /dev/log */
    char *tmp_dir;
    char *user_header;  /* NULL: X-Authenticated-User, then X-Client-Username */
    int user_encoding;  /* enum sk_user_encoding: plain (default), base64, auto */
    int group_encoding; /* the same, or -1 (default): sk_ident_group_encoding */
    int test_clock;     /* sekisho.TestClock on: honour X-Sekisho-Test-Clock (tests only) */
    int on_error;       /* enum sk_on_error */
    int preview;
    int check_interval;
    size_t max_mem_body;
    size_t hold_commit_size;
    size_t trickle_hold_back;
};

/* Process-wide server state. The chain is built once in the master before
 * fork and then only read. */
struct sk_server {
    struct sk_server_conf conf;
    struct sk_chain_conf chain_conf;
    struct sk_chain chain;
    struct sk_policy_store store;
    ci_service_xdata_t *xdata;
    char versions[512];
    char istag[32];        /* current tag, without c-icap's "CI0001" prefix */
    time_t istag_checked;  /* monotonic second of the last refresh */
    uint64_t istag_serial; /* policy store serial the ISTag was made from */
    pthread_mutex_t istag_lock;
    int ready;
};

extern struct sk_server sk_srv;

/* Re-derive the ISTag if the policy generation changed. Cheap; called on
 * every request. */
void sk_srv_refresh_istag(void);
/* Copy the current ISTag (without "CI0001", NUL-terminated) for a log line. */
void sk_srv_istag_copy(char out[32]);

/* Content-Type and Content-Disposition file name of the encapsulated
 * message, for the access log (srv_logfields.c). */
void sk_srv_log_fields(ci_request_t *req, char *ctype, size_t csize, char *fname, size_t fsize);
/* Generation of the snapshot the transaction decides with (0: none). */
int64_t sk_srv_txn_generation(const struct sk_txn *t);

/* Per-request handlers (srv_request.c). */
void *sk_srv_init_request(ci_request_t *req);
void sk_srv_release_request(void *data);
int sk_srv_preview(char *preview_data, int preview_data_len, ci_request_t *req);
int sk_srv_end_of_data(ci_request_t *req);
int sk_srv_io(char *wbuf, int *wlen, char *rbuf, int *rlen, int iseof, ci_request_t *req);

/* OPTIONS extras (srv_options.c): Methods per name, X-Allow-Out,
 * Service-ID. Called from mod_init_service. */
void sk_options_register(ci_service_xdata_t *xdata);

/* Graceful stop (srv_drain.c): wrappers around the request handlers that
 * know which connections are idle, and the process hooks. */
void *sk_drain_init_request(ci_request_t *req);
void sk_drain_release_request(void *data);
int sk_drain_setup(void);        /* master, post_init: 0 or -1 */
void sk_drain_close(void);       /* master, close_service */
void sk_drain_child_start(void); /* child start, after c-icap's handlers */
void sk_drain_child_stop(void);  /* child stop: joins the drain thread */

#endif

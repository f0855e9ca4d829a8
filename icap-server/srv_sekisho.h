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
    char *tmp_dir;
    int on_error; /* enum sk_on_error */
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
    char istag[32];       /* current tag, without c-icap's "CI0001" prefix */
    time_t istag_checked;     /* monotonic second of the last refresh */
    uint64_t istag_serial; /* policy store serial the ISTag was made from */
    pthread_mutex_t istag_lock;
    int ready;
};

extern struct sk_server sk_srv;

/* Re-derive the ISTag if the policy generation changed. Cheap; called on
 * every request. */
void sk_srv_refresh_istag(void);

/* Per-request handlers (srv_request.c). */
void *sk_srv_init_request(ci_request_t *req);
void sk_srv_release_request(void *data);
int sk_srv_preview(char *preview_data, int preview_data_len, ci_request_t *req);
int sk_srv_end_of_data(ci_request_t *req);
int sk_srv_io(char *wbuf, int *wlen, char *rbuf, int *rlen, int iseof, ci_request_t *req);

#endif

/* sk_launch_status.h - the node's state as the status listener and
 * `sekisho-server --status` see it: a copy of the metrics segment
 * (icap-server/core/sk_metrics.h) plus the signature databases on disk. */
#ifndef SK_LAUNCH_STATUS_H
#define SK_LAUNCH_STATUS_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define SK_METRICS_READER_ONLY
#include "sk_metrics.h"
#include "sk_sigdb.h"
#include "sekisho/net.h"

#define SK_STATUS_MAX_SIGDBS 32

/* RUN/pull.state as `sekisho-policy pull --state` last wrote it
 * (policy-db/cli/cli_pull.c); have = 0 without --policy-source. */
struct sk_pull_state {
    int have;
    char outcome[16]; /* applied, current, refused, failed */
    int64_t attempt, success, applied, failures, bundle_generation, bundle_created;
    int64_t index_expires; /* the last index that verified is valid until then (0: none) */
    char message[512];     /* printable ASCII only */
};
/* Read DIR/pull.state into PS (PS->have = 0 when absent or not one). */
void sk_launch_pull_state(const char *dir, struct sk_pull_state *ps);

struct sk_status_snap {
    int have; /* the segment exists and is ours */
    int master_alive;
    struct sk_metrics_shm shm;      /* consistent copy (children by seqlock) */
    struct sk_metrics_counts total; /* summed over every slot and the overflow */
    int live[SK_METRICS_CHILDREN];
    int n_live;
    uint32_t busy;
    int av; /* virus_scan is in the chain */
    struct sk_sigdb db[SK_STATUS_MAX_SIGDBS];
    int n_db;
    int64_t newest_sig; /* newest build time, 0 none */
    int64_t now;
    uint64_t status_refused; /* the listener's own count; 0 elsewhere */
    struct sk_pull_state pull;
};

/* Read the segment at PATH (a missing file: have = 0). 0, or -1 on a
 * segment that is not a Sekisho metrics file. */
int sk_status_read(const char *path, struct sk_status_snap *s);
/* Prometheus text exposition (version 0.0.4). */
void sk_status_metrics(FILE *f, const struct sk_status_snap *s);
/* 1 when ready; otherwise 0 and a JSON object {"ready":false,"reasons":[..]}
 * (also written when ready, with an empty list) goes to f. */
int sk_status_ready(FILE *f, const struct sk_status_snap *s);
/* Human-readable summary for `sekisho-server --status`. */
void sk_status_text(FILE *f, const struct sk_status_snap *s);

/* sk_launch_http.c: the listener (libmicrohttpd, its own thread). */
struct sk_listen;
/* ALLOW_ALL, or the N_NETS networks of NETS (borrowed for the life of the
 * listener) may connect; any other peer is closed at accept. */
int sk_launch_status_start(const struct sk_listen *l, int allow_all, const struct sk_cidr *nets,
                           int n_nets, const char *metrics_file, char **err);
/* Connections refused by --status-allow since the listener started. */
uint64_t sk_launch_status_refused(void);
void sk_launch_status_set_cicap(pid_t pid);
void sk_launch_status_stop(void);

#endif

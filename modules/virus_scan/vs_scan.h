/* vs_scan.h - one libclamav scan's context, shared by the engine that runs
 * the scan (vs_engine.c) and the callbacks and verdict that read it
 * (vs_scan.c). Internal to virus_scan. */
#ifndef SK_VS_SCAN_H
#define SK_VS_SCAN_H

#include <stdint.h>
#include <time.h>

#include <clamav.h>

#include "vs_internal.h"

/* Objects a scan has open, innermost last: a nested object whose
 * descriptor is an open ancestor's is a view into bytes already counted. */
#define SK_VS_OPEN_MAX 64

struct sk_vs_scan_ctx {
    uint64_t files, max_files;
    uint64_t bytes, max_bytes;
    uint64_t top_size; /* the scanned body itself */
    struct timespec deadline;
    int over_files, over_bytes, over_time, busy;
    int over_ratio;               /* the guard stopped a decompression bomb */
    int unread;                   /* the guard found members nobody decodes */
    int encrypted;                /* the guard found an encrypted member libclamav skips */
    unsigned views_checked;       /* 1 << coding: views of it checked in their ancestor */
    char guard_why[160];          /* sk_vs_guard's reason (ratio or size) */
    const unsigned char *top_mem; /* the body, for scan_mem (its pre-scan has no fd) */
    size_t top_len;
    char found[SK_VS_NAME_MAX]; /* first alert, from the virus-found callback */
    uint32_t kinds;             /* 1 << sk_ft_kind of each inner object */
    const struct sk_vs_limits *lim;
    int filter_pua; /* rescan: record only the alerts the policy wants */
    unsigned depth; /* objects open (pre-scan minus post-scan) */
    int open_fd[SK_VS_OPEN_MAX];
    unsigned char open_only[SK_VS_OPEN_MAX]; /* sk_vs_engine_only(its type) */
    unsigned zip64_inner; /* inner zips with ZIP64 records (libclamav 1.4 reads none) */
};
/* libclamav's callbacks (cl_engine_set_clcb_*), CONTEXT a struct
 * sk_vs_scan_ctx: per-policy limits, the decode guard, inner objects. */
cl_error_t sk_vs_pre_scan(int fd, const char *type, void *context);
cl_error_t sk_vs_post_scan(int fd, int result, const char *virname, void *context);
void sk_vs_virus_found(int fd, const char *virname, void *context);

/* The report of a finished scan: RC and VIRNAME from libclamav, why it
 * stopped from SC. */
void sk_vs_classify(cl_error_t rc, const char *virname, const struct sk_vs_scan_ctx *sc,
                    struct sk_vs_report *rep);

/* Unwanted PUA: 1 to rescan with all matches (*O and SC prepared), 0 to
 * keep RC; after the rescan, sk_vs_pua_result gives the first wanted
 * alert or clean. */
int sk_vs_pua_rescan(cl_error_t rc, const char **virname, struct sk_vs_scan_ctx *sc,
                     struct cl_scan_options *o);
cl_error_t sk_vs_pua_result(cl_error_t rc, const char **virname, const struct sk_vs_scan_ctx *sc);

#endif

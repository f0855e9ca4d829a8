/* sk_bench.h - shared types of the icapbench load generator: ICAP response
 * parser, statistics and process-tree memory sampler. */
#ifndef SK_BENCH_H
#define SK_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Streaming ICAP response parser. Bodies are skipped, never stored, so a
 * 200 MB echoed body costs no memory. */
enum sk_resp_state {
    SK_RESP_HDR,        /* ICAP status line and headers */
    SK_RESP_ENCAP_SKIP, /* encapsulated HTTP headers (length from Encapsulated) */
    SK_RESP_CHUNK_SIZE,
    SK_RESP_CHUNK_DATA,
    SK_RESP_CHUNK_CRLF,
    SK_RESP_TRAILER,
    SK_RESP_DONE,
};

struct sk_resp {
    enum sk_resp_state state;
    int status;          /* ICAP status of this response */
    int has_body;        /* Encapsulated names a *-body section */
    int conn_close;      /* Connection: close seen */
    uint64_t skip;       /* bytes left in ENCAP_SKIP or CHUNK_DATA */
    uint64_t body_bytes; /* decoded encapsulated body bytes received */
};

/* Feeds buf[0..len) to the parser. Returns the number of bytes consumed
 * (less than len only when the response completed or a line is still
 * incomplete and the caller must supply more bytes), or -1 on a protocol
 * error. A header block or chunk line longer than the caller's buffer is
 * the caller's error to detect (no progress with a full buffer). */
long sk_resp_feed(struct sk_resp *r, const char *buf, size_t len);
void sk_resp_reset(struct sk_resp *r);

/* Latency samples in microseconds; grows by doubling. */
struct sk_lat {
    uint32_t *v;
    size_t n, cap;
};

int sk_lat_add(struct sk_lat *l, uint64_t usec);
void sk_lat_sort(struct sk_lat *l);
/* After sk_lat_sort; q in [0,1]. Returns milliseconds, 0 when empty. */
double sk_lat_quantile(struct sk_lat *l, double q);

struct sk_counts {
    uint64_t started, completed;
    uint64_t st100, st200, st204, st4xx, st5xx, st_other;
    uint64_t conn_errors; /* connect failures, resets and EOF mid-request */
    uint64_t proto_errors;
    uint64_t timeouts;
    uint64_t reconnects; /* server closed an idle keep-alive connection */
    uint64_t refused;    /* of conn_errors: connect() got ECONNREFUSED */
    uint64_t resets;     /* of conn_errors: RST, or EOF before any answer byte */
    uint64_t body_sent;  /* encapsulated body bytes written */
    uint64_t body_recv;  /* encapsulated body bytes read back */
};

/* Peak memory of a process tree rooted at a pid, sampled from /proc. */
struct sk_mem {
    int root;
    uint64_t start_rss_kb; /* sum of VmRSS at the first sample, before any load */
    uint64_t peak_rss_kb;  /* max over samples of the sum of VmRSS */
    uint64_t peak_pss_kb;  /* same for Pss (smaps_rollup): shared pages split */
    uint64_t hwm_kb;       /* sum of VmHWM at the last sample */
    /* The same sums of RssAnon: the tree's own memory. VmRSS also counts
     * the pages of files it maps (a spilled body's page cache, which is
     * there mapped or not; on tmpfs the file's own RAM). */
    uint64_t start_anon_kb, peak_anon_kb;
    /* CPU of the tree (each process's own and what it reaped), in clock
     * ticks, at the first and the last sample */
    uint64_t cpu_start, cpu_end;
    unsigned samples;
};

void sk_mem_sample(struct sk_mem *m);

struct sk_report {
    const char *method, *service;
    int connections;
    double elapsed;
    struct sk_counts c;
    struct sk_lat lat;
    struct sk_mem mem;
};

void sk_report_print(FILE *out, struct sk_report *r, int json);

#endif

/* sk_fix.h - what the parts of sk_cicap_fix.so (the LD_PRELOAD guard inside
 * the c-icap daemon) share: limits and the client allow list. */
#ifndef SK_FIX_H
#define SK_FIX_H

#include "c-icap.h"
#include "net_io.h"
#include "sekisho/net.h" /* struct sk_cidr: the toolkit's one CIDR parser */

#define SK_FIX_MAX_CIDRS 64

/* Set from sekisho_guard.* directives in the c-icap main process before
 * the children fork; read-only afterwards. */
struct sk_fix_conf {
    long max_header;          /* ICAP header bytes; 0: no limit */
    long max_preview;         /* Preview value; -1: no limit */
    int header_timeout;       /* s from connect / first byte to end of header */
    int continue_timeout;     /* s from "100 Continue" to the next byte */
    int keepalive_timeout;    /* s idle between requests */
    int max_conns_per_client; /* 0: no limit; -1 ("auto") until sk_fix_capacity() */
    int allow_all;            /* no AllowClients directive, or "any" */
    int child_threads;        /* c-icap's ThreadsPerChild; 0 until sk_fix_child_threads() */
    int n_cidrs;
    struct sk_cidr cidrs[SK_FIX_MAX_CIDRS];
    char tls_client_ca[4096]; /* "" unless mutual TLS is required */
};

extern struct sk_fix_conf sk_fix_conf;

/* The connections the c-icap configuration as finally read admits
 * (MaxServers x ThreadsPerChild): resolves MaxConnsPerClient "auto" to
 * half of it (at least 1). Main process, after the whole configuration,
 * before fork; idempotent. Exported for sk_guard.so (post-init). */
void sk_fix_capacity(int total);
/* c-icap's ThreadsPerChild as finally read (same caller and time): when
 * every one of a child's threads holds a connection and more wait in the
 * listen queue, connections that are idle or slow let their thread go
 * early (sk_cicap_fix.c). Exported for sk_guard.so. */
void sk_fix_child_threads(int n);

/* Returns the real function next in the lookup order after this object. */
void *sk_fix_real(void **slot, const char *name);

/* sk_conn_guard.c: releases the per-client count of a connection that is
 * being closed (called before the real close). */
void sk_conn_release(int fd);
/* Do connections wait in the kernel's listen queue of a port this process
 * accepts on (the listening sockets its listener thread has used)? */
int sk_conn_backlog(void);
/* Best-effort immediate answer on a connection (non-blocking). */
void sk_conn_answer(ci_connection_t *conn, const char *status_line);
/* "a.b.c.d" or IPv6 text of the client into buf. */
void sk_conn_addr_text(const struct sockaddr *a, char *buf, size_t len);
/* Reads the CA certificates clients' chains must end in; 0 or -1. */
int sk_conn_load_client_ca(const char *path);
/* 1 when the refusal of this client may be logged now (rate-limited). */
int sk_conn_log_ok(const struct sockaddr *a, int what);

/* Thread-locals of sk_cicap_fix.so. The library is preloaded (LD_PRELOAD),
 * so its TLS sits in the static block and initial-exec makes an access one
 * %fs-relative load; the default model for a shared object calls
 * __tls_get_addr every time, which was 3% of the c-icap children's user
 * time (ci_connection_wait reads its state a few times per wait). */
#define SK_PRELOAD_TLS __thread __attribute__((tls_model("initial-exec")))

#endif

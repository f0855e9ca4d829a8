/* virus_scan_fixture.h - the virus_scan unit suites' shared fixture
 * (support/virus_scan_fixture.c): fake scanner, transactions, policy. */
#ifndef SK_VIRUS_SCAN_FIXTURE_H
#define SK_VIRUS_SCAN_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <sekisho/decode.h>
#include <sekisho/policy_db.h>
#include <sekisho/policy_snapshot.h>

#include "sk_tpolicy.h"
#include "sk_tzip.h"
#include "sk_txn.h"
#include "vs_internal.h"

/* Split so that a virus scanner on a developer machine does not flag
 * this source file. */
#define EICAR_A "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR"
#define EICAR_B "-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
extern char eicar[69]; /* EICAR_A EICAR_B, set by group_setup */

/* The fake scanner: what it saw, what it answers. */
struct fake {
    enum sk_vs_result force; /* 0: look for EICAR */
    const char *name;        /* reported virus name */
    int scans, fd_scans;
    unsigned char *last; /* copy of the last scanned bytes */
    size_t last_len;
    int saw_nul_part;                    /* a scanned buffer held NUL bytes and EICAR */
    uint32_t kinds;                      /* inner object types the fake engine reports */
    uint64_t decode_ratio, decode_floor; /* the guard's settings the last scan was given */
    char client[64];                     /* ... and its client (the heavy-scan cap's key) */
};
extern struct fake fk;

extern char tmpdir[64];       /* the spill directory, made by group_setup */
extern uint64_t fake_map_max; /* heavy-bytes as the module would set it; 0: none */

/* Install the fake with this memory threshold (body bytes kept in memory). */
void install_fake(uint64_t mem_threshold);

/* Request/response headers of a transaction. */
struct hdrs {
    const char *names[8];
    const char *values[8];
};

/* A transaction for the hooks (SNAP: its policy, referenced; NULL none). */
void txn_open(struct sk_txn *t, unsigned method, const char *http_method, const char *url,
              struct hdrs *h, struct sk_snapshot *snap);
/* Run the hooks over BODY fed in pieces of CHUNK bytes; returns the verdict. */
enum sk_verdict run(struct sk_txn *t, const void *body, size_t len, size_t chunk);
int dir_is_empty(const char *d);

/* Per test: a fresh fake with a 1 MiB memory threshold. */
int setup(void **s);
/* Per suite: eicar, tmpdir; afterwards the module state and tmpdir go. */
int group_setup(void **s);
int group_teardown(void **s);

#endif

/* dlp_fixture.h - the dlp unit suites' shared fixture
 * (support/dlp_fixture.c): policy database and snapshot, transactions. */
#ifndef SK_DLP_FIXTURE_H
#define SK_DLP_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>

#include <sekisho/policy_db.h>
#include <sekisho/policy_snapshot.h>

#include "dlp_module.h"
#include "sk_tpolicy.h"
#include "sk_tzip.h"
#include "sk_txn.h"

/* The module's context, the policy snapshot transactions run with and
 * its database (a test may change both and reload). */
extern struct sk_module_ctx mctx;
extern struct sk_snapshot *snap;
extern char dbdir[64], dbpath[128];
/* The transactions' clock (schedules); 0: now. */
extern int64_t run_clock;

/* Group setup: the database (default policy: one log-only template per
 * detector; policies blk 10.0.0.2, three 10.0.0.3, off 10.0.0.4), its
 * snapshot, sk_dlp_init. Teardown undoes it. */
int setup(void **state);
int teardown(void **state);

/* ---- one transaction ---- */
struct req {
    const char *ip, *ctype, *cenc, *lang;
    const char *ctype2; /* a second Content-Type field, or NULL */
    const void *body;
    size_t len, chunk;
    const char *url; /* NULL: a POST to http://upload.example/x */
    int nobody;      /* a GET without a body */
};

struct res {
    enum sk_verdict v;
    char rule[128];
    char reason[256];   /* the logged reason */
    char reports[4096]; /* "name=detail\n" per detection */
    int nreports;
    char *page;
    int status;
    char shown_url[512]; /* sk_txn_shown_url at the end */
};

/* Request headers of R (Content-Type, -Encoding, Accept-Language). */
const char *hdr_get(void *ctx, int response, const char *name);
/* One REQMOD transaction of R through the hooks; res_free OUT after. */
void run(const struct req *r, struct res *out);
void res_free(struct res *r);

/* Text a reader hands to its EMIT callback (sk_dlp_pdf_text,
 * sk_dlp_ole2_text, the PDF text operators): text_collect appends it to
 * a struct text, NUL-terminated; more than fits fails the test. */
struct text {
    char b[8192];
    size_t n;
};
int text_collect(void *arg, const char *p, size_t n);
/* Which log-<det> templates reported for TEXT (default policy). */
void check_text(const char *text, const char *want_tpl, int line);
/* R's verdict must be V (and its rule RULE unless NULL); WHY names the case. */
void expect(const struct req *r, enum sk_verdict v, const char *rule, const char *why);

#endif

/* test_pipeline.c - the module chain: order, verdict folding, approval,
 * failure verdicts, body delivery and txn_end exactly once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sk_pipeline.h"

/* A scripted fake module: verdicts for headers and for each body call. */
struct fake {
    const char *name;
    enum sk_verdict on_headers;
    enum sk_verdict on_body; /* returned for every body call */
    int begin_fails;
    int approve;   /* call sk_txn_approve in on_headers */
    int null_rule; /* block with a reason but a NULL rule (module.h allows it) */
    int begins, headers, bodies, ends;
    size_t body_bytes;
    int saw_eof;
    int decisions;
    int last_decision;
};

static struct fake fakes[4];
static char calls[256]; /* order of hook calls, e.g. "h0 h1 b1 " */

static void note(const char *what, int i)
{
    char s[8];
    snprintf(s, sizeof(s), "%s%d ", what, i);
    strncat(calls, s, sizeof(calls) - strlen(calls) - 1);
}

static int idx(struct sk_txn *t)
{
    return sk_txn_module_ctx(t)->name[1] - '0';
}

static int f_begin(struct sk_txn *t, void **state)
{
    struct fake *f = &fakes[idx(t)];
    f->begins++;
    *state = f;
    return f->begin_fails ? -1 : 0;
}

static enum sk_verdict f_headers(struct sk_txn *t, void *state)
{
    struct fake *f = state;
    f->headers++;
    note("h", idx(t));
    if (f->approve)
        sk_txn_approve(t, "approved-rule");
    if (f->on_headers == SK_BLOCK && f->null_rule)
        sk_txn_set_reason(t, NULL, "a reason longer than a malloc chunk header");
    else if (f->on_headers == SK_BLOCK)
        sk_txn_set_reason(t, "rule-x", "because");
    return f->on_headers;
}

static enum sk_verdict f_body(struct sk_txn *t, void *state, const void *buf, size_t len, int eof)
{
    struct fake *f = state;
    f->bodies++;
    f->body_bytes += len;
    f->saw_eof |= eof;
    note("b", idx(t));
    return f->on_body;
}

static void f_decision(struct sk_txn *t, void *state, int outcome)
{
    struct fake *f = state;
    f->decisions++;
    f->last_decision = outcome;
}

static void f_end(struct sk_txn *t, void *state)
{
    ((struct fake *)state)->ends++;
}

static struct sk_module mods[4];
static const char *names[4] = {"m0", "m1", "m2", "m3"};

static void build_chain(struct sk_chain *c, int n, unsigned methods_of_m1)
{
    memset(c, 0, sizeof(*c));
    for (int i = 0; i < n; i++) {
        mods[i] = (struct sk_module){
            .abi = SK_MODULE_ABI,
            .name = names[i],
            .methods = SK_REQMOD | SK_RESPMOD,
            .txn_begin = f_begin,
            .on_headers = f_headers,
            .on_body = f_body,
            .txn_end = f_end,
            .on_decision = f_decision,
        };
        if (i == 1 && methods_of_m1)
            mods[i].methods = methods_of_m1;
        char *err = NULL;
        assert_int_equal(sk_chain_add(c, &mods[i], &err), 0);
    }
}

static int setup(void **s)
{
    memset(fakes, 0, sizeof(fakes));
    calls[0] = '\0';
    for (int i = 0; i < 4; i++) {
        fakes[i].on_headers = SK_CONTINUE;
        fakes[i].on_body = SK_CONTINUE;
    }
    return 0;
}

static void txn(struct sk_txn *t, unsigned method, int has_body)
{
    assert_int_equal(sk_txn_init(t, method, "POST", "http://h/x", "10.0.0.1", "", ""), 0);
    t->has_body = has_body;
}

static void test_all_continue_no_body_allows(void **s)
{
    struct sk_chain c;
    struct sk_txn t;
    struct sk_pipeline p;

    build_chain(&c, 3, 0);
    txn(&t, SK_REQMOD, 0);
    sk_pipeline_start(&p, &c, &t, SK_ON_ERROR_BLOCK);
    assert_int_equal(sk_pipeline_headers(&p), SK_OUT_ALLOW);
    assert_string_equal(calls, "h0 h1 h2 ");
    sk_pipeline_finish(&p);
    sk_pipeline_finish(&p); /* second call must not call txn_end again */
    for (int i = 0; i < 3; i++)
        assert_int_equal(fakes[i].ends, 1);
    sk_txn_clear(&t);
}

static void test_block_stops_chain(void **s)
{
    struct sk_chain c;
    struct sk_txn t;
    struct sk_pipeline p;

    build_chain(&c, 3, 0);
    fakes[1].on_headers = SK_BLOCK;
    txn(&t, SK_REQMOD, 1);
    sk_pipeline_start(&p, &c, &t, SK_ON_ERROR_BLOCK);
    assert_int_equal(sk_pipeline_headers(&p), SK_OUT_BLOCK);
    assert_string_equal(calls, "h0 h1 ");
    assert_string_equal(sk_pipeline_decider(&p), "m1");
    assert_string_equal(t.rule, "rule-x");
    sk_pipeline_finish(&p);
    assert_int_equal(fakes[2].ends, 1); /* begun, so ended, though never asked */
    assert_int_equal(fakes[2].headers, 0);
    sk_txn_clear(&t);
}

static void test_body_streamed_to_interested_only(void **s)
{
    struct sk_chain c;
    struct sk_txn t;
    struct sk_pipeline p;

    build_chain(&c, 3, 0);
    fakes[0].on_headers = SK_ALLOW; /* not interested in the body */
    txn(&t, SK_RESPMOD, 1);
    sk_pipeline_start(&p, &c, &t, SK_ON_ERROR_BLOCK);
    assert_int_equal(sk_pipeline_headers(&p), SK_OUT_PENDING);
    assert_int_equal(sk_pipeline_body(&p, "abc", 3, 0), SK_OUT_PENDING);
    fakes[1].on_body = SK_ALLOW; /* m1 done after second chunk */
    assert_int_equal(sk_pipeline_body(&p, "defg", 4, 0), SK_OUT_PENDING);
    assert_int_equal(sk_pipeline_body(&p, "", 0, 1), SK_OUT_ALLOW);
    assert_int_equal(fakes[0].bodies, 0);
    assert_int_equal(fakes[1].body_bytes, 7);
    assert_int_equal(fakes[1].saw_eof, 0);
    assert_int_equal(fakes[2].body_bytes, 7);
    assert_int_equal(fakes[2].saw_eof, 1);
    sk_pipeline_finish(&p);
    sk_txn_clear(&t);
}

static void test_block_in_body(void **s)
{
    struct sk_chain c;
    struct sk_txn t;
    struct sk_pipeline p;

    build_chain(&c, 2, 0);
    txn(&t, SK_REQMOD, 1);
    sk_pipeline_start(&p, &c, &t, SK_ON_ERROR_BLOCK);
    assert_int_equal(sk_pipeline_headers(&p), SK_OUT_PENDING);
    fakes[0].on_body = SK_BLOCK;
    assert_int_equal(sk_pipeline_body(&p, "x", 1, 0), SK_OUT_BLOCK);
    assert_int_equal(fakes[1].bodies, 0);
    /* once decided, more body is ignored */
    assert_int_equal(sk_pipeline_body(&p, "y", 1, 1), SK_OUT_BLOCK);
    assert_int_equal(fakes[0].bodies, 1);
    assert_string_equal(t.rule, "m0"); /* no reason given: module name */
    sk_pipeline_finish(&p);
    sk_txn_clear(&t);
}

/* The pipeline names the module as the rule and passes the transaction's
 * own reason back in: the reason must survive (it was a use-after-free;
 * glibc's free overwrites the first 16 bytes, ASan reports it). */
static void test_block_null_rule_keeps_reason(void **s)
{
    struct sk_chain c;
    struct sk_txn t;
    struct sk_pipeline p;

    build_chain(&c, 2, 0);
    fakes[0].on_headers = SK_BLOCK;
    fakes[0].null_rule = 1;
    txn(&t, SK_REQMOD, 0);
    sk_pipeline_start(&p, &c, &t, SK_ON_ERROR_BLOCK);
    assert_int_equal(sk_pipeline_headers(&p), SK_OUT_BLOCK);
    assert_string_equal(t.rule, "m0");
    assert_string_equal(t.reason, "a reason longer than a malloc chunk header");
    /* the same aliasing through the public setters */
    sk_txn_set_reason(&t, t.rule, t.reason);
    assert_string_equal(t.rule, "m0");
    assert_string_equal(t.reason, "a reason longer than a malloc chunk header");
    sk_txn_approve(&t, t.rule);
    assert_string_equal(t.rule, "m0");
    sk_pipeline_finish(&p);
    sk_txn_clear(&t);
}

static void test_approved_skips_rest(void **s)
{
    struct sk_chain c;
    struct sk_txn t;
    struct sk_pipeline p;

    build_chain(&c, 3, 0);
    fakes[0].approve = 1;
    fakes[0].on_headers = SK_ALLOW;
    fakes[1].on_headers = SK_BLOCK; /* would block, must never run */
    txn(&t, SK_RESPMOD, 1);
    sk_pipeline_start(&p, &c, &t, SK_ON_ERROR_BLOCK);
    assert_int_equal(sk_pipeline_headers(&p), SK_OUT_APPROVED);
    assert_string_equal(calls, "h0 ");
    assert_string_equal(sk_outcome_name(p.outcome), "approved");
    assert_string_equal(t.rule, "approved-rule");
    sk_pipeline_finish(&p);
    sk_txn_clear(&t);
}

static void test_error_blocks_by_default(void **s)
{
    struct sk_chain c;
    struct sk_txn t;
    struct sk_pipeline p;

    build_chain(&c, 2, 0);
    fakes[0].on_headers = SK_ERROR;
    txn(&t, SK_REQMOD, 0);
    sk_pipeline_start(&p, &c, &t, SK_ON_ERROR_BLOCK);
    assert_int_equal(sk_pipeline_headers(&p), SK_OUT_BLOCK);
    assert_string_equal(t.rule, "module-error");
    assert_non_null(strstr(t.reason, "m0"));
    assert_int_equal(p.module_error, 1);
    sk_pipeline_finish(&p);
    sk_txn_clear(&t);
}

static void test_error_allow_policy_and_bogus_verdict(void **s)
{
    struct sk_chain c;
    struct sk_txn t;
    struct sk_pipeline p;

    build_chain(&c, 2, 0);
    fakes[0].on_headers = (enum sk_verdict)0; /* forgotten return value */
    txn(&t, SK_REQMOD, 0);
    sk_pipeline_start(&p, &c, &t, SK_ON_ERROR_ALLOW);
    assert_int_equal(sk_pipeline_headers(&p), SK_OUT_ALLOW);
    assert_int_equal(p.module_error, 1);
    assert_int_equal(fakes[1].headers, 1); /* the chain went on */
    sk_pipeline_finish(&p);
    sk_txn_clear(&t);

    /* same bogus verdict under the default policy blocks */
    setup(NULL);
    fakes[0].on_headers = (enum sk_verdict) - 1;
    txn(&t, SK_REQMOD, 0);
    sk_pipeline_start(&p, &c, &t, SK_ON_ERROR_BLOCK);
    assert_int_equal(sk_pipeline_headers(&p), SK_OUT_BLOCK);
    sk_pipeline_finish(&p);
    sk_txn_clear(&t);
}

static void test_begin_failure_is_error_and_not_ended(void **s)
{
    struct sk_chain c;
    struct sk_txn t;
    struct sk_pipeline p;

    build_chain(&c, 2, 0);
    fakes[1].begin_fails = 1;
    txn(&t, SK_REQMOD, 0);
    sk_pipeline_start(&p, &c, &t, SK_ON_ERROR_BLOCK);
    assert_int_equal(sk_pipeline_headers(&p), SK_OUT_BLOCK);
    sk_pipeline_finish(&p);
    assert_int_equal(fakes[0].ends, 1);
    assert_int_equal(fakes[1].ends, 0); /* txn_end only after a successful begin */
    sk_txn_clear(&t);
}

static void test_method_filter(void **s)
{
    struct sk_chain c;
    struct sk_txn t;
    struct sk_pipeline p;

    build_chain(&c, 3, SK_RESPMOD); /* m1 only does RESPMOD */
    txn(&t, SK_REQMOD, 0);
    sk_pipeline_start(&p, &c, &t, SK_ON_ERROR_BLOCK);
    sk_pipeline_headers(&p);
    assert_string_equal(calls, "h0 h2 ");
    assert_int_equal(fakes[1].begins, 0);
    sk_pipeline_finish(&p);
    sk_txn_clear(&t);
}

static void test_decision_reaches_every_begun_module_once(void **s)
{
    struct sk_chain c;
    struct sk_txn t;
    struct sk_pipeline p;
    const char *kind, *name, *detail;

    build_chain(&c, 3, 0);
    fakes[0].on_headers = SK_BLOCK; /* m1 and m2 never see headers... */
    txn(&t, SK_RESPMOD, 1);
    sk_pipeline_start(&p, &c, &t, SK_ON_ERROR_BLOCK);
    assert_int_equal(sk_pipeline_headers(&p), SK_OUT_BLOCK);
    assert_int_equal(sk_pipeline_body(&p, "x", 1, 1), SK_OUT_BLOCK);
    for (int i = 0; i < 3; i++) { /* ...but all hear the decision, once */
        assert_int_equal(fakes[i].decisions, 1);
        assert_int_equal(fakes[i].last_decision, SK_DECIDED_BLOCK);
    }
    /* detections: names sanitised for header lines, bounded count */
    assert_int_equal(sk_txn_report(&t, "virus", "Eicar\r\nX-Evil: 1", NULL), 0);
    assert_int_equal(sk_txn_detection(&t, 0, &kind, &name, &detail), 0);
    assert_string_equal(kind, "virus");
    assert_null(strchr(name, '\r'));
    assert_null(strchr(name, '\n'));
    assert_null(detail);
    assert_int_equal(sk_txn_detection(&t, 1, &kind, &name, &detail), -1);
    for (int i = 1; i < SK_TXN_MAX_DETECTIONS; i++)
        assert_int_equal(sk_txn_report(&t, "dlp", "tpl", "4111 **** **** 1111"), 0);
    assert_int_equal(sk_txn_report(&t, "dlp", "tpl", NULL), -1);
    sk_pipeline_finish(&p);
    sk_txn_clear(&t);

    setup(NULL);
    txn(&t, SK_REQMOD, 0);
    sk_pipeline_start(&p, &c, &t, SK_ON_ERROR_BLOCK);
    assert_int_equal(sk_pipeline_headers(&p), SK_OUT_ALLOW);
    assert_int_equal(fakes[2].last_decision, SK_DECIDED_ALLOW);
    assert_int_equal(fakes[2].decisions, 1);
    sk_pipeline_finish(&p);
    sk_txn_clear(&t);
}

/* Transaction ids: "%08x-%d-%lx" of a per-process prefix, the pid and a
 * counter that moves by one per transaction (the access log's "txn"). */
static void test_txn_ids(void **s)
{
    struct sk_txn a, b;
    char head[32], want[32];
    unsigned long n;

    (void)s;
    sk_txn_new_id(&a);
    sk_txn_new_id(&b);
    assert_int_equal(strspn(a.id, "0123456789abcdef"), 8);
    snprintf(head, sizeof(head), "-%d-", (int)getpid());
    assert_memory_equal(a.id + 8, head, strlen(head));
    assert_memory_equal(b.id, a.id, 8 + strlen(head));
    n = strtoul(a.id + 8 + strlen(head), NULL, 16);
    snprintf(want, sizeof(want), "%.*s%lx", (int)(8 + strlen(head)), a.id, n + 1);
    assert_string_equal(b.id, want);
    for (int i = 0; i < 40; i++) /* through a carry into a new hex digit */
        sk_txn_new_id(&b);
    snprintf(want, sizeof(want), "%.*s%lx", (int)(8 + strlen(head)), a.id, n + 41);
    assert_string_equal(b.id, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_txn_ids),
        cmocka_unit_test_setup(test_all_continue_no_body_allows, setup),
        cmocka_unit_test_setup(test_block_stops_chain, setup),
        cmocka_unit_test_setup(test_body_streamed_to_interested_only, setup),
        cmocka_unit_test_setup(test_block_in_body, setup),
        cmocka_unit_test_setup(test_block_null_rule_keeps_reason, setup),
        cmocka_unit_test_setup(test_approved_skips_rest, setup),
        cmocka_unit_test_setup(test_error_blocks_by_default, setup),
        cmocka_unit_test_setup(test_error_allow_policy_and_bogus_verdict, setup),
        cmocka_unit_test_setup(test_begin_failure_is_error_and_not_ended, setup),
        cmocka_unit_test_setup(test_method_filter, setup),
        cmocka_unit_test_setup(test_decision_reaches_every_begun_module_once, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

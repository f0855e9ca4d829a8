/* test_bodyinfo.c - the access log's body SHA-256 (sk_bodyinfo.c): hashed
 * as the body passes, or deferred to a module's kept copy
 * (sk_txn_keep_body) and made only when a detection settles it; a keeper
 * that stops keeping mid-body, gives back fewer bytes or fails leaves the
 * right hash or none, never a wrong one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "sk_bodyinfo.h"
#include "sk_txn.h"

/* SHA-256 of the 4 chunks below, concatenated ("abcdefghij" x 3 + "tail") */
static const char *const sk_t_chunks[] = {"abcdefghij", "abcdefghij", "abcdefghij", "tail"};
#define SK_T_SHA "202e2a5a0b689fb155193c4113616aad523e2767eec38060bd94ef3991b61d08"

/* A keeper holding what it was given, like virus_scan's store. */
struct sk_t_keeper {
    char data[256];
    size_t len;
    int fail;   /* read returns -1 */
    int short_; /* read gives one byte less */
    int reads;
};

static int sk_t_read(void *ctx, sk_body_sink_fn sink, void *arg)
{
    struct sk_t_keeper *k = ctx;

    k->reads++;
    if (k->fail)
        return -1;
    return sink(arg, k->data, k->len - (k->short_ && k->len ? 1 : 0));
}

static void sk_t_txn(struct sk_txn *t)
{
    memset(t, 0, sizeof(*t));
    assert_int_equal(sk_txn_init(t, SK_RESPMOD, "GET", "http://x.test/", "127.0.0.1", "", ""), 0);
}

/* Writes the 4 chunks; the keeper (if any) keeps chunks [0, keep_upto)
 * and withdraws after chunk WITHDRAW_AT (-1: never). */
static void sk_t_body(struct sk_bodyinfo *b, struct sk_txn *t, struct sk_t_keeper *k, int keep_upto,
                      int withdraw_at)
{
    for (int i = 0; i < 4; i++) {
        const char *c = sk_t_chunks[i];
        sk_bodyinfo_write(b, t, c, strlen(c), i == 3);
        if (k && i < keep_upto) {
            memcpy(k->data + k->len, c, strlen(c));
            k->len += strlen(c);
        }
        if (k && i == withdraw_at)
            assert_int_equal(sk_txn_keep_body(t, NULL, k), 0);
    }
}

static char sk_t_expect[65];

static int sk_t_setup(void **state)
{
    /* the expected digest, from the same bytes in one call */
    struct sk_txn t;
    struct sk_bodyinfo b = {0};
    char all[64] = "";

    (void)state;
    for (int i = 0; i < 4; i++)
        strcat(all, sk_t_chunks[i]);
    sk_t_txn(&t);
    sk_bodyinfo_write(&b, &t, all, strlen(all), 1);
    strcpy(sk_t_expect, b.sha256_hex);
    sk_bodyinfo_free(&b);
    sk_txn_clear(&t);
    assert_string_equal(sk_t_expect, SK_T_SHA); /* hashlib.sha256 of the same bytes */
    return 0;
}

static void test_streamed(void **state)
{
    struct sk_txn t;
    struct sk_bodyinfo b = {0};

    (void)state;
    sk_t_txn(&t);
    sk_t_body(&b, &t, NULL, 0, -1);
    assert_string_equal(b.sha256_hex, sk_t_expect); /* chunks = one write */
    /* a known value: the empty body */
    struct sk_bodyinfo e = {0};
    sk_bodyinfo_write(&e, &t, NULL, 0, 1);
    assert_string_equal(e.sha256_hex,
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sk_bodyinfo_free(&b);
    sk_bodyinfo_free(&e);
    sk_txn_clear(&t);
}

static void test_kept_hashed_only_when_settled(void **state)
{
    struct sk_txn t;
    struct sk_bodyinfo b = {0};
    struct sk_t_keeper k = {0};

    (void)state;
    sk_t_txn(&t);
    assert_int_equal(sk_txn_keep_body(&t, sk_t_read, &k), 0);
    sk_t_body(&b, &t, &k, 4, -1);
    assert_string_equal(b.sha256_hex, ""); /* not hashed as it passed */
    assert_null(b.sha);
    assert_int_equal(k.reads, 0);
    sk_bodyinfo_settle(&b);
    assert_int_equal(k.reads, 1);
    assert_string_equal(b.sha256_hex, sk_t_expect);
    sk_bodyinfo_settle(&b); /* twice: no second read */
    assert_int_equal(k.reads, 1);
    sk_bodyinfo_free(&b);
    sk_txn_clear(&t);
}

static void test_no_detection_no_read(void **state)
{
    struct sk_txn t;
    struct sk_bodyinfo b = {0};
    struct sk_t_keeper k = {0};

    (void)state;
    sk_t_txn(&t);
    sk_txn_keep_body(&t, sk_t_read, &k);
    sk_t_body(&b, &t, &k, 4, -1);
    sk_bodyinfo_free(&b); /* the pipeline settles only with a detection */
    sk_bodyinfo_settle(&b);
    assert_int_equal(k.reads, 0);
    assert_string_equal(b.sha256_hex, "");
    sk_txn_clear(&t);
}

/* One transaction whose keeper K is offered before the body: the chunks
 * through sk_t_body, then sk_bodyinfo_settle when SETTLE (what the
 * pipeline does with a detection). The hash logged, "" for none. */
static const char *sk_t_kept(struct sk_t_keeper *k, int keep_upto, int withdraw_at, int settle)
{
    static char hex[65];
    struct sk_txn t;
    struct sk_bodyinfo b = {0};

    sk_t_txn(&t);
    assert_int_equal(sk_txn_keep_body(&t, sk_t_read, k), 0);
    sk_t_body(&b, &t, k, keep_upto, withdraw_at);
    if (settle)
        sk_bodyinfo_settle(&b);
    strcpy(hex, b.sha256_hex);
    sk_bodyinfo_free(&b);
    sk_txn_clear(&t);
    return hex;
}

static void test_withdrawn_mid_body(void **state)
{
    struct sk_t_keeper k = {0};

    (void)state;
    /* kept chunks 0-1, then stopped: streamed from chunk 2, no settle */
    assert_string_equal(sk_t_kept(&k, 2, 1, 0), sk_t_expect);
    assert_int_equal(k.reads, 1); /* caught up at chunk 2 */
}

static void test_withdrawn_at_the_end(void **state)
{
    struct sk_t_keeper k = {0};

    (void)state;
    /* kept all, withdrew on the last chunk */
    assert_string_equal(sk_t_kept(&k, 4, 3, 1), sk_t_expect);
}

/* The module withdrew before keeping the chunk it was given: the count
 * differs, so no hash (a wrong one would be worse). Likewise a keeper
 * that gives back one byte less, or fails. */
static void test_short_keeper_no_hash(void **state)
{
    struct sk_t_keeper k = {0}, k2 = {.short_ = 1}, k3 = {.fail = 1};

    (void)state;
    assert_string_equal(sk_t_kept(&k, 1, 1, 0), ""); /* chunk 1 passed, not kept */
    assert_string_equal(sk_t_kept(&k2, 4, -1, 1), "");
    assert_int_equal(k2.reads, 1);
    assert_string_equal(sk_t_kept(&k3, 4, -1, 1), "");
    assert_int_equal(k3.reads, 1);
}

/* Not read to its end (a module blocked mid-body): no hash either way. */
static void test_incomplete_no_hash(void **state)
{
    struct sk_txn t;
    struct sk_bodyinfo b = {0};
    struct sk_t_keeper k = {0};

    (void)state;
    sk_t_txn(&t);
    sk_txn_keep_body(&t, sk_t_read, &k);
    sk_bodyinfo_write(&b, &t, "abc", 3, 0);
    memcpy(k.data, "abc", 3);
    k.len = 3;
    sk_bodyinfo_settle(&b);
    assert_int_equal(k.reads, 0);
    assert_string_equal(b.sha256_hex, "");
    sk_bodyinfo_free(&b);
    sk_txn_clear(&t);
}

/* An offer after the first byte is too late: the body is streamed. */
static void test_late_offer_streams(void **state)
{
    struct sk_txn t;
    struct sk_bodyinfo b = {0};
    struct sk_t_keeper k = {0};

    (void)state;
    sk_t_txn(&t);
    sk_bodyinfo_write(&b, &t, sk_t_chunks[0], 10, 0);
    sk_txn_keep_body(&t, sk_t_read, &k);
    for (int i = 1; i < 4; i++)
        sk_bodyinfo_write(&b, &t, sk_t_chunks[i], strlen(sk_t_chunks[i]), i == 3);
    assert_string_equal(b.sha256_hex, sk_t_expect);
    assert_int_equal(k.reads, 0);
    sk_bodyinfo_free(&b);
    sk_txn_clear(&t);
}

/* One keeper per transaction; only it can withdraw. */
static void test_one_keeper(void **state)
{
    struct sk_txn t;
    int a, b;

    (void)state;
    sk_t_txn(&t);
    assert_int_equal(sk_txn_keep_body(&t, sk_t_read, &a), 0);
    assert_int_equal(sk_txn_keep_body(&t, sk_t_read, &b), -1);
    assert_int_equal(sk_txn_keep_body(&t, NULL, &b), -1);
    assert_ptr_equal(t.keep_ctx, &a);
    assert_int_equal(sk_txn_keep_body(&t, NULL, &a), 0);
    assert_null(t.keep_read);
    assert_int_equal(sk_txn_keep_body(&t, sk_t_read, &b), 0);
    assert_ptr_equal(t.keep_ctx, &b);
    sk_txn_clear(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_streamed),
        cmocka_unit_test(test_kept_hashed_only_when_settled),
        cmocka_unit_test(test_no_detection_no_read),
        cmocka_unit_test(test_withdrawn_mid_body),
        cmocka_unit_test(test_withdrawn_at_the_end),
        cmocka_unit_test(test_short_keeper_no_hash),
        cmocka_unit_test(test_incomplete_no_hash),
        cmocka_unit_test(test_late_offer_streams),
        cmocka_unit_test(test_one_keeper),
    };
    return cmocka_run_group_tests(tests, sk_t_setup, NULL);
}

/* test_block.c - test-only module: blocks on a URL marker, on a body
 * marker (also when split across chunks), and fails on an error marker.
 * Used by the integration and Squid tests to prove the module chain.
 * SECURITY: reads client bodies; keeps only a marker-sized tail. */
#include <stdlib.h>
#include <string.h>

#include "sekisho/module.h"

#define SK_TB_URL_MARKER   "sekisho-test-block"
#define SK_TB_ERROR_MARKER "sekisho-test-error"
#define SK_TB_BODY_MARKER  "SEKISHO-TEST-BLOCK-BODY"
#define SK_TB_MARKER_LEN   (sizeof(SK_TB_BODY_MARKER) - 1)

struct sk_tb_state {
    char tail[SK_TB_MARKER_LEN]; /* last bytes of the previous chunk */
    size_t tail_len;
    unsigned long long seen;
};

static int sk_tb_init(struct sk_module_ctx *ctx, char **err)
{
    const char *fail = ctx->option(ctx, "fail-init");

    if (fail && strcmp(fail, "no") != 0) {
        *err = strdup("initialisation refused (fail-init is set)");
        return -1;
    }
    return 0;
}

static const char *sk_tb_version(struct sk_module_ctx *ctx)
{
    const char *v = ctx->option(ctx, "version");
    return v ? v : "1";
}

static int sk_tb_begin(struct sk_txn *t, void **state)
{
    *state = calloc(1, sizeof(struct sk_tb_state));
    return *state ? 0 : -1;
}

static enum sk_verdict sk_tb_headers(struct sk_txn *t, void *state)
{
    const char *url = sk_txn_url(t);

    if (strstr(url, SK_TB_ERROR_MARKER))
        return SK_ERROR;
    if (strstr(url, SK_TB_URL_MARKER)) {
        sk_txn_set_reason(t, "test-url", "URL carries the test block marker");
        return SK_BLOCK;
    }
    return sk_txn_has_body(t) ? SK_CONTINUE : SK_ALLOW;
}

/* Search tail+head of this chunk for a straddling marker, then the chunk. */
static enum sk_verdict sk_tb_body(struct sk_txn *t, void *state, const void *buf, size_t len,
                                  int eof)
{
    struct sk_tb_state *s = state;
    const char *p = buf;
    char seam[2 * SK_TB_MARKER_LEN];
    size_t head = len < SK_TB_MARKER_LEN - 1 ? len : SK_TB_MARKER_LEN - 1;

    s->seen += len;
    memcpy(seam, s->tail, s->tail_len);
    if (head)
        memcpy(seam + s->tail_len, p, head);
    if (memmem(seam, s->tail_len + head, SK_TB_BODY_MARKER, SK_TB_MARKER_LEN) ||
        (len && memmem(p, len, SK_TB_BODY_MARKER, SK_TB_MARKER_LEN))) {
        sk_txn_set_reason(t, "test-body", "body carries the test block marker");
        return SK_BLOCK;
    }
    /* keep the last MARKER_LEN-1 bytes of (tail + chunk) */
    size_t keep = SK_TB_MARKER_LEN - 1;
    if (len >= keep) {
        memcpy(s->tail, p + len - keep, keep);
        s->tail_len = keep;
    } else {
        size_t total = s->tail_len + len;
        size_t drop = total > keep ? total - keep : 0;
        memmove(s->tail, s->tail + drop, s->tail_len - drop);
        if (len) /* buf is NULL on a bare end-of-body call */
            memcpy(s->tail + s->tail_len - drop, p, len);
        s->tail_len = total - drop;
    }
    return eof ? SK_ALLOW : SK_CONTINUE;
}

static void sk_tb_end(struct sk_txn *t, void *state)
{
    free(state);
}

static const struct sk_module_option sk_tb_options[] = {
    {"fail-init", SK_OPT_STRING, NULL, NULL, "anything but 'no' makes init() fail"},
    {"version", SK_OPT_STRING, NULL, NULL, "the version string (ISTag input)"},
    {NULL, 0, NULL, NULL, NULL},
};

__attribute__((visibility("default"))) const struct sk_module sk_module_descriptor = {
    .abi = SK_MODULE_ABI,
    .name = "test_block",
    .methods = SK_REQMOD | SK_RESPMOD,
    .init = sk_tb_init,
    .version = sk_tb_version,
    .txn_begin = sk_tb_begin,
    .on_headers = sk_tb_headers,
    .on_body = sk_tb_body,
    .txn_end = sk_tb_end,
    .options = sk_tb_options,
};

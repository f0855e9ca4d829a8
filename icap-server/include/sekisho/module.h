/* sekisho/module.h - the contract between the Sekisho server and its modules.
 *
 * A module is a shared object exporting one `const struct sk_module
 * sk_module_descriptor`. Modules never see c-icap types: they read the
 * transaction through the sk_txn_* accessors below and answer with verdicts.
 * SECURITY: everything a module reads through sk_txn is client-controlled.
 */
#ifndef SEKISHO_MODULE_H
#define SEKISHO_MODULE_H

/* SK_API marks what srv_sekisho.so exports to modules: the server is
 * built with hidden visibility, so anything without it stays internal. */
#ifndef SK_API
#define SK_API __attribute__((visibility("default")))
#endif

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on any incompatible change of this header. The loader refuses a
 * module whose stamp differs. */
/* "SK" 0004: changed() hook, sk_url_decision.when (0003: option table) */
#define SK_MODULE_ABI 0x534b0004u

/* The exported symbol the loader looks up in every module object. */
#define SK_MODULE_SYMBOL "sk_module_descriptor"

/* ICAP methods a module takes part in (sk_module.methods, sk_txn_method). */
#define SK_REQMOD  0x1u
#define SK_RESPMOD 0x2u

/* Verdicts. They start at 1 so that a forgotten return (0) or an error code
 * (-1) is never mistaken for one; the pipeline treats unknown values as
 * SK_ERROR.
 *   CONTINUE  no objection so far; hand me the body (on_headers), or more of
 *             it (on_body). At end of body it counts as ALLOW.
 *   ALLOW     no objection and nothing more needed for this transaction.
 *   BLOCK     stop the transaction; the client gets the block page.
 *   MODIFY    the module changed headers; carry on as CONTINUE.
 *   ERROR     the module could not decide; the server applies the configured
 *             failure verdict (default block) and logs it. */
enum sk_verdict {
    SK_CONTINUE = 1,
    SK_ALLOW,
    SK_BLOCK,
    SK_MODIFY,
    SK_ERROR,
};

struct sk_txn; /* one ICAP transaction, owned by the server */

/* Per-module context, owned by the server for the life of the process. */
struct sk_module_ctx {
    const char *name;      /* module name as configured */
    const char *policy_db; /* path of the policy database (read-only use) */
    const char *clamav_db; /* signature directory for scanners */
    const char *tmp_dir;   /* private directory for spill files */
    /* Value of `sekisho.Option <module>.<key> <value>`, else the default of
     * KEY in the module's option table, else NULL. Values reaching init()
     * were checked against the table's type at start-up. Borrowed. */
    const char *(*option)(const struct sk_module_ctx *, const char *key);
    void *data; /* the module's own global state */
    void *priv; /* server's, do not touch */
};

/* Types of module options; the server checks each configured value before
 * init() and refuses to start with a message naming the directive. */
enum sk_option_type {
    SK_OPT_STRING = 1, /* any text */
    SK_OPT_SIZE,       /* sk_parse_size grammar: 0, 1048576, 1M, 1MB, 1MiB */
    SK_OPT_DURATION,   /* sk_parse_duration grammar: 30, 30s, 5m, 4h, 2d */
    SK_OPT_UINT,       /* decimal digits, fits in 32 bits */
    SK_OPT_BOOL,       /* on/off, yes/no, true/false, 1/0 */
    SK_OPT_ENUM,       /* one of choices, e.g. "block|allow" */
    SK_OPT_DIR,        /* an existing directory */
};

/* One row of a module's option table (like nginx's ngx_command_t): every
 * `sekisho.Option <module>.<name>` must match a row, or the server does
 * not start. The table ends with a row whose name is NULL. */
struct sk_module_option {
    const char *name; /* key, e.g. "max-decoded" */
    enum sk_option_type type;
    const char *def;     /* default as configured text, or NULL (none) */
    const char *choices; /* SK_OPT_ENUM: "a|b|c"; else NULL */
    const char *help;    /* one line, for messages and documentation */
};

struct sk_module {
    uint32_t abi;     /* SK_MODULE_ABI */
    const char *name; /* short name, e.g. "url_block" */
    unsigned methods; /* SK_REQMOD | SK_RESPMOD */

    /* Called once in the master process, before c-icap forks and drops
     * privileges. Return 0, or -1 with *err set to a malloc'd reason. */
    int (*init)(struct sk_module_ctx *, char **err);
    void (*fini)(struct sk_module_ctx *);

    /* A short string that changes whenever this module's verdicts could
     * change for the same input (engine or signature version). Mixed into
     * the ISTag. Borrowed; may be NULL. */
    const char *(*version)(struct sk_module_ctx *);

    /* Transaction hooks. txn_begin returns 0 or -1 (treated as ERROR);
     * txn_end is called exactly once for every successful txn_begin. */
    int (*txn_begin)(struct sk_txn *, void **state);
    enum sk_verdict (*on_headers)(struct sk_txn *, void *state);
    /* buf may be NULL when len is 0 (a bare end-of-body call). */
    enum sk_verdict (*on_body)(struct sk_txn *, void *state, const void *buf, size_t len, int eof);
    void (*txn_end)(struct sk_txn *, void *state);

    /* Called for every begun module once the outcome is final and before
     * the ICAP response is built, whichever module decided (so a header
     * module still runs when an earlier module blocked). outcome is one of
     * SK_DECIDED_*. May add ICAP headers; must not block. */
    void (*on_decision)(struct sk_txn *, void *state, int outcome);

    /* The options this module reads, or NULL for none. */
    const struct sk_module_option *options;

    /* Called in the c-icap master only, about once a second between
     * requests (never in a child). Return 1 when what init() built is stale
     * (e.g. the signature directory changed): the server then rebuilds once
     * for the whole node by reconfiguring c-icap (fini, init in the master,
     * children replaced gracefully), so no child ever builds its own copy.
     * init() may keep what is still current across that fini/init. NULL:
     * never stale. */
    int (*changed)(struct sk_module_ctx *);
};

#define SK_DECIDED_ALLOW    1
#define SK_DECIDED_APPROVED 2
#define SK_DECIDED_BLOCK    3

/* ---- transaction accessors (implemented by the server) ---------------- */

SK_API struct sk_module_ctx *sk_txn_module_ctx(const struct sk_txn *);
SK_API unsigned sk_txn_method(const struct sk_txn *);         /* SK_REQMOD/RESPMOD */
SK_API const char *sk_txn_id(const struct sk_txn *);          /* unique, printable */
SK_API const char *sk_txn_http_method(const struct sk_txn *); /* "GET", or "" */
SK_API const char *sk_txn_url(const struct sk_txn *);         /* absolute URL or "" */
SK_API const char *sk_txn_client_ip(const struct sk_txn *);   /* textual, or "" */
/* The access log, alerts and block pages show the URL's first FROM bytes
 * followed by "[hidden]" (a module found data that must not be logged in
 * it: a card in a query); sk_txn_url still gives the whole URL, and
 * sk_txn_shown_url what a page, a log line or a quarantine record may
 * show (the whole URL unless hidden). */
SK_API void sk_txn_hide_url(struct sk_txn *, size_t from);
SK_API const char *sk_txn_shown_url(const struct sk_txn *);
SK_API const char *sk_txn_user(const struct sk_txn *);   /* decoded, or "" */
SK_API const char *sk_txn_groups(const struct sk_txn *); /* as sent, or "" */
SK_API int sk_txn_http_status(const struct sk_txn *);    /* RESPMOD, else 0 */
SK_API int sk_txn_has_body(const struct sk_txn *);
/* 1 when the ICAP client sent the end user's address (X-Client-IP); 0 when
 * sk_txn_client_ip is the ICAP client's own address (a proxy that sends no
 * X-Client-IP: every user of that proxy, not one client). */
SK_API int sk_txn_client_ip_sent(const struct sk_txn *);
/* Header value of the encapsulated HTTP request/response, or NULL.
 * Borrowed until txn_end. */
SK_API const char *sk_txn_req_header(const struct sk_txn *, const char *name);
SK_API const char *sk_txn_resp_header(const struct sk_txn *, const char *name);

/* The policy snapshot the transaction started with (a reload never changes
 * it mid-transaction) and the policy that applies to its client, user and
 * groups, resolved on first use. See <sekisho/policy_snapshot.h>. Borrowed
 * until txn_end; NULL only when the server runs without a policy store. */
struct sk_snapshot;
struct sk_policy;
SK_API const struct sk_snapshot *sk_txn_snapshot(const struct sk_txn *);
SK_API const struct sk_policy *sk_txn_policy(struct sk_txn *);
/* The time schedules are decided at (seconds since the epoch): the node's
 * clock when the transaction began, or, only on a server started with
 * --test-clock, the ICAP header X-Sekisho-Test-Clock (ISO 8601 with an
 * offset). Pass it to sk_policy_check_url_at / sk_policy_dlp_active. */
SK_API int64_t sk_txn_clock(const struct sk_txn *);

/* Record why the deciding module decided: a rule/signature name and a
 * human reason. Copied; shown (escaped) on the block page and in the log. */
SK_API void sk_txn_set_reason(struct sk_txn *, const char *rule, const char *reason);
/* Monitor mode (a module's action "log"): the module would have blocked
 * and returns SK_ALLOW instead. Records RULE and REASON like
 * sk_txn_set_reason, adds "X-Sekisho-Verdict: would-block" to the ICAP
 * response (204 included) and makes the access log's verdict "would-block"
 * unless another module blocks. Report the detection with sk_txn_report
 * as for a block (X-Infection-Found then says Resolution=0). */
SK_API void sk_txn_would_block(struct sk_txn *, const char *rule, const char *reason);
SK_API int sk_txn_would_blocked(const struct sk_txn *);
/* Mark the transaction approved: later modules are skipped. */
SK_API void sk_txn_approve(struct sk_txn *, const char *rule);
SK_API int sk_txn_approved(const struct sk_txn *);
/* Replace the default block page. Copied. */
SK_API int sk_txn_set_page(struct sk_txn *, int http_status, const char *content_type,
                           const char *body, size_t len);
/* Report a detection: kind "virus", "dlp", ...; name is the signature or
 * template name (sanitised by the server: printable ASCII, capped at 128
 * bytes); detail is optional text for the log (e.g. masked samples). The
 * xheaders module turns these into X-Virus-ID / X-Infection-Found /
 * X-Violations-Found. Returns 0 or -1. */
SK_API int sk_txn_report(struct sk_txn *, const char *kind, const char *name, const char *detail);
/* The i-th detection (0-based), or -1 when there is none. Borrowed. */
SK_API int sk_txn_detection(const struct sk_txn *, int i, const char **kind, const char **name,
                            const char **detail);

/* A module that keeps every body byte exactly as received (before any
 * content decoding) until its txn_end may offer them to the server. The
 * access log's sha256 (detections only) is then computed from the kept
 * bytes when a detection asks for it, instead of hashing every body as it
 * passes. Offer before the first body byte (on_headers). Withdraw (READ
 * NULL, same CTX) as soon as a byte reaches the module that it will not
 * keep; what it kept so far must stay readable until its txn_end: the
 * server hashes it then and streams the rest. READ feeds the kept bytes in
 * order to SINK and returns 0, or -1 when it cannot (no hash is logged
 * then; the server also checks the byte count, so a short read is never a
 * wrong hash). One keeper per transaction: returns 0, or -1 when another
 * module's offer stands. */
typedef int (*sk_body_sink_fn)(void *arg, const void *buf, size_t len);
typedef int (*sk_body_read_fn)(void *ctx, sk_body_sink_fn sink, void *arg);
SK_API int sk_txn_keep_body(struct sk_txn *, sk_body_read_fn read, void *ctx);

/* URLs that delivered a virus, shared by every c-icap child of this host
 * (IWSS infected_url_block_length). Keys are normalised URL strings
 * (sk_url_string). add: listed for `seconds` from now; check: 1 if listed
 * and not expired, else 0. Bounded table: the oldest entries are replaced
 * when it is full. */
SK_API int sk_infected_url_add(const char *normalized_url, unsigned seconds);
SK_API int sk_infected_url_check(const char *normalized_url);

/* Queue an ICAP response header line ("X-Virus-ID: Foo"). The server
 * rejects lines with control characters. Returns 0 or -1. */
SK_API int sk_txn_add_icap_header(struct sk_txn *, const char *line);

#ifdef __cplusplus
}
#endif
#endif

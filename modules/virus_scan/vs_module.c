/* vs_module.c - the virus_scan hooks: decide per transaction what to scan
 * (policy, declared type, size), collect the body (decoded, bounded), scan
 * it at the end and turn the result into the policy's verdict, the virus
 * page, the log reason and the infected-URL list.
 * SECURITY: headers and bodies are client/origin-controlled; limits are
 * enforced before bytes are kept, and every failure has a policy verdict
 * (av.on-limit / av.on-encrypted / av.on-error, default block). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sekisho/decode.h>
#include <sekisho/policy_settings.h>
#include <sekisho/policy_snapshot.h>
#include <sekisho/text.h>
#include <sekisho/url.h>

#include "vs_internal.h"

#define SK_VS_MIB (1024ULL * 1024ULL)
/* av.skip-types checks the declared type against the first bytes: decided
 * once SK_VS_SNIFF_MIN are in (past tar's magic at 257, within the 1024
 * bytes of the default preview, so a skipped type still gets its 204),
 * looking at up to SK_VS_SNIFF of them */
#define SK_VS_SNIFF     4096
#define SK_VS_SNIFF_MIN 512

static struct sk_vs_global *sk_vs_g; /* set in the master before fork */

struct sk_vs_state {
    int scanning;
    int keeps; /* offered the store to the server (sk_txn_keep_body) */
    /* from the policy */
    uint64_t max_size;
    int block_on_limit, block_on_error, block_on_encrypted, block_on_partial;
    int monitor;      /* av.action log: a virus is reported and passed */
    int quarantine;   /* av.quarantine on: a blocked virus is kept */
    int av;           /* av.enabled: scan with the engine (else file types only) */
    int skip_pending; /* declared type in av.skip-types: decided from the first bytes */
    int ct_ambiguous; /* two different Content-Type fields (av.on-error allow) */
    /* av.on-error allow let a coding we could not undo through: why (the
     * access log's reason when the scan of the bytes as they are is clean) */
    char undecoded[192];
    int partial;       /* a piece of an object (HTTP 206): av.on-partial */
    char range[96];    /* its Content-Range, for the reason */
    unsigned ft_block; /* filetype.block */
    int ft_monitor, ft_mism_block;
    uint64_t infected_seconds;
    struct sk_vs_limits limits;
    /* the body */
    struct sk_decoder *dec;
    char boundary[SK_MP_BOUNDARY_MAX + 1];
    int multipart;
    struct sk_vs_store store;
    uint64_t raw_total;
    enum sk_verdict final; /* 0 until decided */
};

/* ---- settings ------------------------------------------------------- */

/* Canonical policy value, or the built-in default without a policy store. */
static const char *sk_vs_setting(struct sk_txn *t, const char *key)
{
    const struct sk_policy *p = sk_txn_policy(t);
    const char *v = p ? sk_policy_get(p, key) : NULL;

    if (!v) {
        const struct sk_pdb_setting_def *d = sk_pdb_setting_find(key);
        v = d ? d->def : "";
    }
    return v;
}

static int sk_vs_is_block(struct sk_txn *t, const char *key)
{
    return strcmp(sk_vs_setting(t, key), "allow") != 0; /* unknown: block */
}

static uint64_t sk_vs_opt_size(struct sk_module_ctx *ctx, const char *key, uint64_t def,
                               int duration, char **err)
{
    const char *v = ctx->option(ctx, key);
    uint64_t out;

    if (!v)
        return def;
    if ((duration ? sk_parse_duration(v, &out) : sk_parse_size(v, &out)) == -1) {
        if (asprintf(err, "sekisho.Option virus_scan.%s: invalid %s '%.64s'", key,
                     duration ? "duration" : "size", v) == -1)
            *err = NULL;
        return UINT64_MAX;
    }
    return out;
}

/* ---- init ----------------------------------------------------------- */

int sk_vs_init(struct sk_module_ctx *ctx, char **err)
{
    struct sk_vs_engine_conf ec = {.db_dir = ctx->clamav_db ? ctx->clamav_db : "/var/lib/clamav",
                                   .tmp_dir = ctx->tmp_dir};
    struct sk_vs_global *g = calloc(1, sizeof(*g));
    uint64_t v[12];
    static const struct {
        const char *key;
        uint64_t def;
        int duration;
    } opts[] = {
        {"memory-threshold", SK_VS_MIB, 0},
        {"reload-interval", 60, 1},
        {"max-scansize", 400 * SK_VS_MIB, 0},
        {"max-filesize", 400 * SK_VS_MIB, 0},
        {"max-recursion", 17, 0},
        {"max-files", 10000, 0},
        {"max-scantime", 30, 1},
        {"decode-max-ratio", 100, 0},
        {"decode-min-bytes", SK_VS_MIB, 0},
        {"max-heavy-scans", 0, 0},
        {"heavy-bytes", 8 * SK_VS_MIB, 0},
        {"max-heavy-per-client", 0, 0},
    };

    if (!g) {
        *err = strdup("out of memory");
        return -1;
    }
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
        v[i] = sk_vs_opt_size(ctx, opts[i].key, opts[i].def, opts[i].duration, err);
        if (v[i] == UINT64_MAX) {
            free(g);
            return -1;
        }
    }
    g->conf = (struct sk_vs_conf){.mem_threshold = v[0] ? v[0] : 1,
                                  .decode_ratio = v[7],
                                  .decode_floor = v[8],
                                  .map_max = v[10],
                                  .tmp_dir = ctx->tmp_dir};
    ec.reload_interval = (unsigned)v[1];
    ec.max_scansize = v[2];
    ec.max_filesize = v[3];
    ec.max_recursion = (unsigned)v[4];
    ec.max_files = (unsigned)v[5];
    /* one scan of a 16^4 nested zip kept a core busy for 38 s under the old
     * 120 s bound; 30 s by default, and the deadline is also checked from
     * the per-file callbacks (vs_scan.c) */
    ec.max_scantime_ms = (unsigned)((v[6] ? v[6] : 1) * 1000);
    ec.max_heavy = (unsigned)v[9];
    ec.heavy_bytes = v[10];
    ec.max_heavy_per_client = (unsigned)v[11];
    /* sekisho-server --test-signatures; without it an empty db dir is fatal */
    const char *ts = ctx->option(ctx, "test-signatures");
    ec.test_signatures =
        ts && (strcmp(ts, "on") == 0 || strcmp(ts, "yes") == 0 || strcmp(ts, "1") == 0);
    if (sk_vs_pages_load(ctx->option(ctx, "templates"), err) == -1 ||
        sk_vs_engine_create(&ec, &g->scanner, err) == -1) {
        sk_vs_pages_free();
        free(g);
        return -1;
    }
    ctx->data = g;
    sk_vs_g = g;
    return 0;
}

void sk_vs_fini(struct sk_module_ctx *ctx)
{
    struct sk_vs_global *g = ctx->data;

    if (!g)
        return;
    if (g->scanner.destroy)
        g->scanner.destroy(g->scanner.self);
    if (sk_vs_g == g)
        sk_vs_g = NULL;
    sk_vs_store_pool_drain();
    sk_vs_pages_free();
    free(g);
    ctx->data = NULL;
}

void sk_vs_test_install(const struct sk_vs_global *src)
{
    if (sk_vs_g) {
        if (sk_vs_g->scanner.destroy)
            sk_vs_g->scanner.destroy(sk_vs_g->scanner.self);
        free(sk_vs_g);
        sk_vs_g = NULL;
    }
    if (src && (sk_vs_g = malloc(sizeof(*sk_vs_g))) != NULL)
        *sk_vs_g = *src;
}

const char *sk_vs_version(struct sk_module_ctx *ctx)
{
    return sk_vs_g ? sk_vs_g->scanner.version(sk_vs_g->scanner.self) : NULL;
}

/* Master only: the signature directory changed; the server reconfigures
 * and init() takes the engine back, recompiling it once for the node. */
int sk_vs_changed(struct sk_module_ctx *ctx)
{
    return sk_vs_g && sk_vs_g->scanner.changed ? sk_vs_g->scanner.changed(sk_vs_g->scanner.self)
                                               : 0;
}

/* ---- verdicts ------------------------------------------------------- */

static void sk_vs_list_url(struct sk_txn *t, struct sk_vs_state *s)
{
    struct sk_url u = {0};

    if (sk_txn_method(t) != SK_RESPMOD || s->infected_seconds == 0)
        return;
    if (sk_url_normalize(sk_txn_url(t), 0, &u, NULL) == 0)
        sk_infected_url_add(sk_url_string(&u), (unsigned)s->infected_seconds);
    sk_url_free(&u);
}

/* A limit, encrypted content or an engine error: the policy says block or
 * allow; either way the log carries the rule and why. */
static enum sk_verdict sk_vs_failure(struct sk_txn *t, struct sk_vs_state *s, int block,
                                     const char *rule, const char *why, const char *key)
{
    char reason[320];

    if (block) {
        snprintf(reason, sizeof(reason), "%s (%s: block)", why, key);
        sk_txn_set_reason(t, rule, reason);
        sk_vs_page(t, key, rule, reason);
        return s->final = SK_BLOCK;
    }
    snprintf(reason, sizeof(reason), "%s; passed unscanned (%s: allow)", why, key);
    sk_txn_set_reason(t, rule, reason);
    return s->final = SK_ALLOW;
}

static enum sk_verdict sk_vs_limit(struct sk_txn *t, struct sk_vs_state *s, const char *rule,
                                   const char *why)
{
    return sk_vs_failure(t, s, s->block_on_limit, rule, why, "av.on-limit");
}

static enum sk_verdict sk_vs_error(struct sk_txn *t, struct sk_vs_state *s, const char *why)
{
    return sk_vs_failure(t, s, s->block_on_error, "av-error", why, "av.on-error");
}

static const char *sk_vs_header(struct sk_txn *t, const char *name);

/* The reason for a virus block; with av.quarantine on, the object is kept
 * first and the reason names the quarantine id (or why it was not kept:
 * the block stands either way). */
static void sk_vs_keep(struct sk_txn *t, struct sk_vs_state *s, const char *virus)
{
    const struct sk_module_ctx *mc = sk_txn_module_ctx(t);
    const char *dir = mc && mc->option ? mc->option(mc, "quarantine-dir") : NULL;
    const unsigned char *data;
    char id[64], reason[200];
    size_t len;

    if (!s->quarantine) {
        sk_txn_set_reason(t, virus, "virus found");
        return;
    }
    if (dir == NULL || *dir == '\0')
        snprintf(reason, sizeof(reason),
                 "virus found; not quarantined: "
                 "virus_scan.quarantine-dir is not set");
    else if (sk_vs_store_view(&s->store, &data, &len) == -1 ||
             sk_vs_quarantine(t, dir, data, len, virus, sk_vs_header(t, "Content-Type"), id,
                              sizeof(id)) == -1)
        snprintf(reason, sizeof(reason), "virus found; not quarantined: %s", strerror(errno));
    else
        snprintf(reason, sizeof(reason), "virus found; quarantined as %s", id);
    sk_txn_set_reason(t, virus, reason);
}

static enum sk_verdict sk_vs_apply(struct sk_txn *t, struct sk_vs_state *s,
                                   const struct sk_vs_report *rep)
{
    switch (rep->result) {
    case SK_VS_CLEAN:
        return s->final = SK_ALLOW;
    case SK_VS_VIRUS:
        sk_txn_report(t, "virus", rep->name, NULL);
        if (s->monitor) { /* not listed as an infected URL either: nothing blocks */
            sk_txn_would_block(t, rep->name, "virus found (av.action log: passed)");
            return s->final = SK_ALLOW;
        }
        sk_vs_keep(t, s, rep->name);
        sk_vs_page(t, NULL, rep->name, "virus found");
        sk_vs_list_url(t, s);
        return s->final = SK_BLOCK;
    case SK_VS_LIMIT:
        return sk_vs_limit(t, s, rep->name[0] ? rep->name : "av-limit", rep->why);
    case SK_VS_ENCRYPTED:
        return sk_vs_failure(t, s, s->block_on_encrypted, rep->name, rep->why, "av.on-encrypted");
    case SK_VS_ERROR:
    default:
        return sk_vs_error(t, s, rep->why[0] ? rep->why : "scan engine error");
    }
}

/* ---- transaction ---------------------------------------------------- */

int sk_vs_txn_begin(struct sk_txn *t, void **state)
{
    struct sk_vs_state *s = calloc(1, sizeof(*s));

    if (!s || !sk_vs_g) {
        free(s);
        return -1;
    }
    s->store.fd = -1;
    *state = s;
    return 0;
}

static const char *sk_vs_header(struct sk_txn *t, const char *name)
{
    return sk_txn_method(t) == SK_RESPMOD ? sk_txn_resp_header(t, name)
                                          : sk_txn_req_header(t, name);
}

/* Does the media type of CT match one of the comma-separated patterns
 * (e.g. video/ followed by a star, or audio/mpeg)? Case-insensitive; parameters ignored. */
static int sk_vs_type_listed(const char *ct, const char *list)
{
    size_t tlen;

    if (!ct || !list || !*list)
        return 0;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    tlen = strcspn(ct, "; \t");
    while (*list) {
        size_t n = strcspn(list, ",");
        const char *p = list;
        size_t m = n;
        while (m && (*p == ' ' || *p == '\t'))
            p++, m--;
        while (m && (p[m - 1] == ' ' || p[m - 1] == '\t'))
            m--;
        if (m >= 2 && p[m - 1] == '*' && p[m - 2] == '/') {
            if (tlen >= m - 1 && strncasecmp(ct, p, m - 1) == 0)
                return 1;
        } else if (m && m == tlen && strncasecmp(ct, p, m) == 0) {
            return 1;
        }
        list += n + (list[n] == ',');
    }
    return 0;
}

static void sk_vs_read_policy(struct sk_txn *t, struct sk_vs_state *s)
{
    uint64_t v;
    int on = 0;

    s->max_size =
        sk_parse_size(sk_vs_setting(t, "av.max-scan-size"), &v) == 0 ? v : 100 * SK_VS_MIB;
    s->limits.max_files = sk_parse_size(sk_vs_setting(t, "av.max-files"), &v) == 0 ? v : 10000;
    s->limits.max_bytes = s->max_size; /* inside archives too, not only the body */
    s->limits.decode_ratio = sk_vs_g->conf.decode_ratio;
    s->limits.decode_floor = sk_vs_g->conf.decode_floor;
    /* the end user the proxy named (X-Client-IP); without it the ICAP peer
     * is the proxy, every user at once: no per-client cap (README) */
    s->limits.client = sk_txn_client_ip_sent(t) ? sk_txn_client_ip(t) : NULL;
    s->infected_seconds =
        sk_parse_duration(sk_vs_setting(t, "url.infected-block-time"), &v) == 0 ? v : 0;
    s->block_on_limit = sk_vs_is_block(t, "av.on-limit");
    s->block_on_error = sk_vs_is_block(t, "av.on-error");
    s->block_on_encrypted = sk_vs_is_block(t, "av.on-encrypted");
    s->block_on_partial = sk_vs_is_block(t, "av.on-partial");
    s->monitor =
        sk_vs_setting(t, "av.action") != NULL && strcmp(sk_vs_setting(t, "av.action"), "log") == 0;
    s->quarantine = sk_vs_setting(t, "av.quarantine") != NULL &&
                    strcmp(sk_vs_setting(t, "av.quarantine"), "on") == 0;
    s->limits.pua = sk_pdb_parse_bool(sk_vs_setting(t, "av.detect-pua"), &on) == 0 && on;
    s->limits.pua_include = sk_vs_setting(t, "av.pua-include");
    s->limits.pua_exclude = sk_vs_setting(t, "av.pua-exclude");
    /* an unreadable list blocks everything it could name: fail closed */
    if (sk_ft_types_parse(sk_vs_setting(t, "filetype.block"), &s->ft_block, NULL, 0) == -1)
        s->ft_block = ~0u;
    s->ft_monitor = strcmp(sk_vs_setting(t, "filetype.action"), "log") == 0;
    s->ft_mism_block = strcmp(sk_vs_setting(t, "filetype.on-mismatch"), "block") == 0;
}

/* The coding chain of every Content-Encoding field, then every
 * Transfer-Encoding field (chunked framing left in the body). A coding we cannot
 * undo is av.on-error: block, or (allow) scan the bytes as they are.
 * 0, or -1 when the transaction is decided (s->final). */
static int sk_vs_decoder(struct sk_txn *t, struct sk_vs_state *s)
{
    char *ce = sk_txn_coding_list(t, sk_txn_method(t) == SK_RESPMOD);
    struct sk_coding_chain chain;
    struct sk_decode_limits lim = {.out_max = s->max_size,
                                   .ratio = sk_vs_g->conf.decode_ratio,
                                   .floor = sk_vs_g->conf.decode_floor,
                                   .keep_head = 1}; /* the body's own codings */
    char bad[48], why[160];
    int rc = sk_coding_parse(ce, &chain, bad, sizeof(bad));

    free(ce);
    if (rc == -1) {
        snprintf(why, sizeof(why), "cannot decode Content-Encoding '%s' to scan it", bad);
        if (s->block_on_error)
            return sk_vs_error(t, s, why), -1;
        chain.n = 0; /* av.on-error allow: scan the raw bytes */
        snprintf(s->undecoded, sizeof(s->undecoded), "%s", why);
    }
    if (chain.n > 0 && !(s->dec = sk_decoder_new(&chain, &lim))) {
        sk_vs_error(t, s, "out of memory for the decoder");
        return -1;
    }
    return 0;
}

/* Is the response a piece of an object: HTTP 206, or a Content-Range
 * that is not the whole? "bytes 0-(N-1)/N" is the whole object, scanned
 * as any download. Segmented and resumed downloads arrive as pieces: a
 * signature split between two, or a hash signature (the whole file's),
 * is never seen by a scan of one. */
int sk_vs_partial(int http_status, const char *content_range)
{
    unsigned long long a, b, n;
    int used = 0;

    if (content_range) {
        while (*content_range == ' ' || *content_range == '\t')
            content_range++;
        if (strncasecmp(content_range, "bytes", 5) == 0 &&
            sscanf(content_range + 5, " %llu - %llu / %llu%n", &a, &b, &n, &used) == 3 &&
            content_range[5 + used] == '\0' && a == 0 && n > 0 && b == n - 1)
            return 0;
        return 1;
    }
    return http_status == 206;
}

/* av.on-partial for a piece whose bytes will not be skipped: block, or
 * (allow) scan the piece on its own, logged. SK_CONTINUE to scan. */
static enum sk_verdict sk_vs_partial_verdict(struct sk_txn *t, struct sk_vs_state *s)
{
    char why[200];

    snprintf(why, sizeof(why),
             "partial content (HTTP %d, Content-Range '%s'): not the whole object",
             sk_txn_http_status(t), s->range);
    if (s->block_on_partial)
        return sk_vs_failure(t, s, 1, "av-partial", why, "av.on-partial");
    snprintf(why + strlen(why), sizeof(why) - strlen(why),
             "; the piece is scanned on its own (av.on-partial: allow)");
    sk_txn_set_reason(t, "av-partial", why);
    return SK_CONTINUE;
}

enum sk_verdict sk_vs_on_headers(struct sk_txn *t, void *state)
{
    struct sk_vs_state *s = state;
    const char *ct, *cl;
    int on = 1;
    char why[160];

    if (!sk_txn_has_body(t))
        return SK_ALLOW;
    s->av = !(sk_pdb_parse_bool(sk_vs_setting(t, "av.enabled"), &on) == 0 && !on);
    sk_vs_read_policy(t, s);
    if (!s->av && !s->ft_block && !s->ft_mism_block)
        return SK_ALLOW; /* neither viruses nor file types to look for */
    ct = sk_vs_header(t, "Content-Type");
    /* two different declared types: the client may read the one we would
     * not (a browser takes the last: video/mp4 then text/html is a page) */
    char mt[128];
    s->ct_ambiguous = sk_txn_media_type(t, sk_txn_method(t) == SK_RESPMOD, mt, sizeof(mt)) == -1;
    if (s->ct_ambiguous && s->block_on_error)
        return sk_vs_error(t, s,
                           "two different Content-Type fields: which one the receiver reads "
                           "cannot be known");
    /* the declared type is checked against the first bytes (on_body):
     * a program or an archive sent as video/mp4 is scanned anyway */
    s->skip_pending =
        s->av && !s->ct_ambiguous && sk_vs_type_listed(ct, sk_vs_setting(t, "av.skip-types"));
    if (s->av && sk_txn_method(t) == SK_RESPMOD) {
        /* every field, joined: two (a whole object's and a piece's; curl
         * -C - takes the last) are no whole object's range */
        char *cr = sk_txn_header_list(t, 1, "Content-Range");
        s->partial = sk_vs_partial(sk_txn_http_status(t), cr);
        sk_header_sanitize(s->range, sizeof(s->range), cr ? cr : "");
        free(cr);
    }
    /* a piece of a skipped type is decided with it, from its first bytes */
    if (s->partial && !s->skip_pending && sk_vs_partial_verdict(t, s) != SK_CONTINUE)
        return s->final;
    /* The declared size decides early only where that blocks. Under
     * av.on-limit allow it would be the header's word against the bytes
     * ("Content-Length: -1" or 4294967295 over a 68-byte EICAR passed it
     * unscanned): the bytes as they arrive decide (sk_vs_body). */
    cl = sk_vs_header(t, "Content-Length");
    if (cl && s->block_on_limit && strtoull(cl, NULL, 10) > s->max_size) {
        snprintf(why, sizeof(why),
                 "object of %.20s bytes is larger than av.max-scan-size "
                 "(%llu bytes)",
                 cl, (unsigned long long)s->max_size);
        return sk_vs_limit(t, s, "av-limit:max-scan-size", why);
    }
    if (sk_vs_decoder(t, s) == -1)
        return s->final;
    /* uploads and downloads alike: a part may be base64 or a zip */
    int mp = sk_mp_boundary(ct, s->boundary, sizeof(s->boundary));
    if (mp == 0)
        s->multipart = 1;
    else if (mp == -2 && s->block_on_error)
        return sk_vs_error(t, s,
                           "a multipart Content-Type whose boundary readers take differently "
                           "(two of them, RFC 2231, a comment, text after it, an escape, a stray "
                           "quote, a special character, an encoded word, a control byte): its "
                           "parts cannot be told apart");
    sk_vs_store_init(&s->store, sk_vs_g->conf.mem_threshold, sk_vs_g->conf.tmp_dir);
    s->scanning = 1;
    /* the store holds the body as received (no Content-Encoding to undo):
     * the access log's sha256 is made from it, for detections only */
    if (!s->dec)
        s->keeps = sk_txn_keep_body(t, sk_vs_store_read, &s->store) == 0;
    return SK_CONTINUE;
}

/* The declared name of the body: Content-Disposition's filename, else the
 * last segment of the URL's path. Into BUF; NULL when there is none. */
static const char *sk_vs_body_name(struct sk_txn *t, char *buf, size_t size)
{
    const char *cd = sk_vs_header(t, "Content-Disposition"), *u = sk_txn_url(t), *e, *b;

    if (cd && sk_header_param_ext(cd, "filename", buf, size) != -1 && *buf) /* -2: as read */
        return buf;
    if (!u || !*u)
        return NULL;
    e = u + strcspn(u, "?#");
    for (b = e; b > u && b[-1] != '/'; b--)
        ;
    if (b == e || (size_t)(e - b) >= size)
        return NULL;
    memcpy(buf, b, (size_t)(e - b));
    buf[e - b] = '\0';
    return buf;
}

static int sk_vs_sink(void *arg, const void *buf, size_t len)
{
    return sk_vs_store_append(arg, buf, len);
}

/* End of body: each multipart part as a file, then the whole, then (when
 * the engine calls it clean) each member of a zip it holds. */
static enum sk_verdict sk_vs_scan(struct sk_txn *t, struct sk_vs_state *s)
{
    struct sk_vs_scanner *sc = &sk_vs_g->scanner;
    struct sk_vs_walk w = {.sc = sc,
                           .conf = &sk_vs_g->conf,
                           .lim = &s->limits,
                           .max_size = s->max_size,
                           .budget = s->max_size,
                           .rep = {.result = SK_VS_CLEAN}};
    struct sk_vs_report rep = {.result = SK_VS_CLEAN};
    struct sk_vs_ft ft = {.block = s->ft_block};
    struct sk_vs_inner inner = {0};
    struct sk_vs_limits lim = s->limits;
    struct sk_magics mg = {0};
    const unsigned char *data;
    const char *name;
    char namebuf[128];
    size_t len;
    int rc = 0;
    uint32_t kinds;
    enum sk_verdict v, fv;

    w.av = s->av;
    w.ft = &ft;
    w.any_text = s->ct_ambiguous;
    lim.inner = &inner; /* the zstd files the engine extracts from the body */
    if (sk_vs_store_view(&s->store, &data, &len) == -1)
        return sk_vs_error(t, s, "cannot map the body to scan its parts");
    w.digest = sk_mp_is_digest(sk_vs_header(t, "Content-Type"));
    w.mail = !sk_mp_is_form_data(sk_vs_header(t, "Content-Type"));
    w.form = !w.mail;
    if (s->multipart && sk_vs_walk_multipart(&w, data, len, s->boundary) == -1) {
        if (w.rep.result != SK_VS_ERROR || s->block_on_error) {
            sk_vs_walk_free(&w);
            return sk_vs_apply(t, s, &w.rep);
        }
        /* av.on-error allow: parts we cannot split (no delimiter in a form
         * body) are still bytes at hand: the whole body is scanned as it
         * is below, and the reason logged if it is clean (sk_vs_body) */
        snprintf(s->undecoded, sizeof(s->undecoded), "%s", w.rep.why);
        w.rep = (struct sk_vs_report){.result = SK_VS_CLEAN};
    }
    name = sk_vs_body_name(t, namebuf, sizeof(namebuf));
    /* A spilled body is scanned from its mapping, as libclamav scans a
     * body in memory: through the descriptor, libclamav pread()s every
     * page into a map of its own (a copy, page faults, its paging code):
     * 1.34x the CPU of the same bytes from memory, the cliff one byte over
     * memory-threshold (issue 17). Only heavy bodies (heavy-bytes, 8M)
     * keep the descriptor: its page aging holds libclamav's own copy of a
     * 200 MB scan to ~10 MB. The walk below reads the mapping all the same,
     * so VmRSS shows the file's pages while it runs: the spill file's page
     * cache, there whether mapped or not (RssAnon stays ~11 MB, bench row
     * stream_200m_one). */
    /* one pass over the body for the container magic the guard (in the
     * scan) and the walk look for (past its cap: each searches itself) */
    w.magics = sk_vs_magics(NULL, data, len, &mg);
    lim.magics = w.magics;
    if (!s->av)
        rc = 0;
    else if (s->store.fd != -1 && s->store.total > sk_vs_g->conf.map_max)
        rc = sc->scan_fd(sc->self, s->store.fd, &lim, &rep);
    else
        rc = sc->scan_mem(sc->self, data, len, &lim, &rep);
    if (rc == -1) {
        memset(&rep, 0, sizeof(rep));
        rep.result = SK_VS_ERROR;
    }
    kinds = rep.kinds;
    if (rep.result == SK_VS_CLEAN &&
        (sk_vs_walk_body(&w, data, len, sk_vs_header(t, "Content-Type"), name) == -1 ||
         sk_vs_walk_inner(&w, &inner, 0, name) == -1 ||
         sk_vs_walk_zip64_check(&w, rep.zip64_inner, w.zip64_walked) == -1))
        rep = w.rep;
    sk_vs_inner_free(&inner);
    sk_vs_walk_free(&w);
    sk_magics_free(&mg);
    lim.magics = NULL; /* the body's, not the side bytes' */
    /* chunk extensions and trailers of framing left in the body: not its
     * data, but bytes whoever reads the framed body receives */
    size_t sn = 0;
    int sover = 0;
    const unsigned char *side = s->dec ? sk_decoder_side(s->dec, &sn, &sover) : NULL;
    if (rep.result == SK_VS_CLEAN && s->av && sover) {
        rep.result = SK_VS_LIMIT;
        snprintf(rep.why, sizeof(rep.why),
                 "chunked framing with more than 64 KiB of extensions and trailers");
    } else if (rep.result == SK_VS_CLEAN && s->av && sn &&
               sc->scan_mem(sc->self, side, sn, &lim, &rep) == -1) {
        memset(&rep, 0, sizeof(rep));
        rep.result = SK_VS_ERROR;
    }
    /* after our walk, which names the member: the engine's types are the
     * objects it alone opens (tar, gz, 7z, rar... members) */
    sk_vs_ft_note_kinds(&ft, kinds, name);
    /* a virus or a failure verdict first; then the file type */
    if ((v = sk_vs_apply(t, s, &rep)) == SK_BLOCK)
        return v;
    fv = sk_vs_ft_decide(t, &ft, s->ft_monitor, s->ft_mism_block);
    return fv == SK_CONTINUE ? v : (s->final = fv);
}

/* av.skip-types: the declared type is skipped only when the first bytes
 * are none of the types the policy names (a program, an archive...).
 * Then no file type is checked either: bytes that are no container hold
 * no members, and only disk images are told past the first bytes (ISO
 * 9660 at 32 KiB, DMG and VHD footers) - the price of releasing a large
 * video at the preview instead of reading it whole.
 * SK_ALLOW to release now (204), SK_CONTINUE to keep collecting. */
static enum sk_verdict sk_vs_skip_check(struct sk_txn *t, struct sk_vs_state *s, int eof)
{
    unsigned char head[SK_VS_SNIFF];
    const unsigned char *p = s->store.mem;
    size_t n = s->store.len < SK_VS_SNIFF ? s->store.len : SK_VS_SNIFF;
    ssize_t r;

    if (!s->skip_pending || (s->store.total < SK_VS_SNIFF_MIN && !eof))
        return SK_CONTINUE;
    s->skip_pending = 0;
    if (s->store.fd != -1) { /* a memory-threshold below SK_VS_SNIFF */
        r = pread(s->store.fd, head, sizeof(head), 0);
        p = head;
        n = r > 0 ? (size_t)r : 0;
    }
    if (sk_ft_sniff(p, n, NULL) != SK_FT_NONE) /* the declared type is not what the bytes are */
        return s->partial ? sk_vs_partial_verdict(t, s) : SK_CONTINUE;
    return s->final = SK_ALLOW;
}

static enum sk_verdict sk_vs_body(struct sk_txn *t, struct sk_vs_state *s, const void *buf,
                                  size_t len, int eof)
{
    char why[200];

    if (s->final)
        return s->final;
    if (!s->scanning)
        return SK_ALLOW;
    s->raw_total += len;
    if (s->dec) {
        enum sk_decode_rc rc = sk_decoder_feed(s->dec, buf, len, eof, sk_vs_sink, &s->store);
        if (rc == SK_DECODE_LIMIT) {
            snprintf(why, sizeof(why),
                     "decoded body exceeds av.max-scan-size (%llu bytes) or "
                     "the decompression ratio limit (%llu:1): possible decompression bomb",
                     (unsigned long long)s->max_size,
                     (unsigned long long)sk_vs_g->conf.decode_ratio);
            return sk_vs_limit(t, s, "av-limit:decoded-size", why);
        }
        if (rc == SK_DECODE_CORRUPT && s->block_on_error)
            return sk_vs_error(t, s, "Content-Encoding data is corrupt and cannot be scanned");
        if (rc == SK_DECODE_CORRUPT) /* allow: the decoder passes the bytes on as they are */
            snprintf(s->undecoded, sizeof(s->undecoded), "Content-Encoding data is corrupt");
        if (rc == SK_DECODE_FAIL) {
            snprintf(why, sizeof(why), "cannot keep the body for scanning: %s", strerror(errno));
            return sk_vs_error(t, s, why);
        }
    } else if (len && sk_vs_store_append(&s->store, buf, len) == -1) {
        snprintf(why, sizeof(why), "cannot keep the body for scanning: %s", strerror(errno));
        return sk_vs_error(t, s, why);
    }
    if (s->raw_total > s->max_size || s->store.total > s->max_size) {
        snprintf(why, sizeof(why), "object is larger than av.max-scan-size (%llu bytes)",
                 (unsigned long long)s->max_size);
        return sk_vs_limit(t, s, "av-limit:max-scan-size", why);
    }
    if (sk_vs_skip_check(t, s, eof) != SK_CONTINUE)
        return s->final;
    if (!eof)
        return SK_CONTINUE;
    enum sk_verdict v = sk_vs_scan(t, s);
    if (v == SK_ALLOW && s->undecoded[0]) { /* clean as it is: why it was not decoded */
        char reason[320];
        snprintf(reason, sizeof(reason), "%s; scanned as it is (av.on-error: allow)", s->undecoded);
        sk_txn_set_reason(t, "av-error", reason);
    }
    return v;
}

enum sk_verdict sk_vs_on_body(struct sk_txn *t, void *state, const void *buf, size_t len, int eof)
{
    struct sk_vs_state *s = state;
    enum sk_verdict v = sk_vs_body(t, s, buf, len, eof);

    /* decided before the end (limit, error, a skipped type): the rest of
     * the body will not be kept, so the server hashes it as it passes */
    if (s->keeps && !eof && v != SK_CONTINUE) {
        sk_txn_keep_body(t, NULL, &s->store);
        s->keeps = 0;
    }
    return v;
}

void sk_vs_txn_end(struct sk_txn *t, void *state)
{
    struct sk_vs_state *s = state;

    if (!s)
        return;
    sk_decoder_free(s->dec);
    sk_vs_store_free(&s->store); /* closes (and so removes) any spill file */
    free(s);
}

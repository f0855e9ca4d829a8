/* xheaders.c - tells the ICAP client what was found: X-Virus-ID,
 * X-Infection-Found and X-Violations-Found from the detections modules
 * reported (sk_txn_report), each switched by a policy setting (off by
 * default, as in IWSS). Placed last in the chain; works from on_decision,
 * so it runs even when an earlier module blocked.
 * SECURITY: detection names can come from signature files and, through
 * them, from scanned content; every value is reduced to printable US-ASCII
 * without the characters that delimit these headers' fields, and capped. */
#include <stdio.h>
#include <string.h>

#include <sekisho/policy_settings.h>
#include <sekisho/policy_snapshot.h>

#include "xheaders.h"

#define SK_XH_LINE_MAX 1024 /* the server's limit for one header line */

/* Printable US-ASCII only; SPACE and ';' '=' ',' (field delimiters in
 * these headers) become '_', and so do '"' '<' '>' '\'' '\\' '`': the
 * filename comes from the request URL, and a proxy's log viewer or report
 * may show the value in a page or a quoted field. At most SK_XH_NAME_MAX
 * bytes. */
void sk_xh_sanitize(char *out, size_t size, const char *in)
{
    size_t n = 0;

    for (; in && *in && n + 1 < size && n < SK_XH_NAME_MAX; in++) {
        unsigned char c = (unsigned char)*in;
        out[n++] = (c <= ' ' || c >= 0x7f || strchr(";=,\"<>'\\`", c) != NULL) ? '_' : (char)c;
    }
    if (n == 0 && size > 1)
        out[n++] = '-';
    if (size)
        out[n] = '\0';
}

static int sk_xh_on(struct sk_txn *t, const char *key)
{
    const struct sk_policy *p = sk_txn_policy(t);
    const char *v = p ? sk_policy_get(p, key) : NULL;
    int on = 0;

    return v && sk_pdb_parse_bool(v, &on) == 0 && on;
}

/* The last path segment of the URL (query dropped), for the draft's
 * filename field; "-" when there is none. */
static void sk_xh_filename(char *out, size_t size, const char *url)
{
    char seg[SK_XH_NAME_MAX + 1];
    const char *p = strstr(url ? url : "", "://");
    const char *path, *end, *slash;
    size_t n;

    p = p ? p + 3 : (url ? url : "");
    path = strchr(p, '/');
    if (!path) {
        snprintf(out, size, "-");
        return;
    }
    end = path + strcspn(path, "?#");
    slash = path;
    for (const char *q = path; q < end; q++)
        if (*q == '/')
            slash = q;
    n = (size_t)(end - slash - 1);
    if (n > SK_XH_NAME_MAX)
        n = SK_XH_NAME_MAX;
    memcpy(seg, slash + 1, n);
    seg[n] = '\0';
    sk_xh_sanitize(out, size, seg);
}

static int sk_xh_begin(struct sk_txn *t, void **state)
{
    *state = NULL;
    return 0;
}

static enum sk_verdict sk_xh_headers(struct sk_txn *t, void *state)
{
    return SK_ALLOW; /* never needs the body */
}

/* X-Violations-Found per draft-stecher-icap-subid: a count, then per
 * violation filename, threat, violation id, resolution. The draft folds
 * these onto continuation lines; obs-fold is obsolete (RFC 9110 5.5) and
 * a recipient replaces each fold by a space, which is the one-line form
 * sent here (the server also refuses control characters in headers). */
static void sk_xh_violations(struct sk_txn *t, int blocked)
{
    char line[SK_XH_LINE_MAX + 64], file[SK_XH_NAME_MAX + 1], name[SK_XH_NAME_MAX + 1];
    char items[SK_XH_LINE_MAX] = "";
    const char *kind, *raw;
    size_t used = 0;
    int count = 0;

    sk_xh_filename(file, sizeof(file), sk_txn_url(t));
    for (int i = 0; sk_txn_detection(t, i, &kind, &raw, NULL) == 0; i++) {
        sk_xh_sanitize(name, sizeof(name), raw);
        int n = snprintf(items + used, sizeof(items) - used, " %s %s 0 %d", file, name,
                         blocked ? 2 : 0);
        if (n < 0 || used + (size_t)n + 32 >= sizeof(items)) {
            items[used] = '\0'; /* drop the partly written entry */
            break;              /* whole entries only, within one header line */
        }
        used += (size_t)n;
        count++;
    }
    if (count == 0)
        return;
    snprintf(line, sizeof(line), "X-Violations-Found: %d%s", count, items);
    sk_txn_add_icap_header(t, line);
}

void sk_xh_decide(struct sk_txn *t, int outcome)
{
    char line[SK_XH_LINE_MAX], name[SK_XH_NAME_MAX + 1];
    const char *kind, *raw, *virus = NULL, *first = NULL, *first_kind = NULL;
    int blocked = outcome == SK_DECIDED_BLOCK;

    for (int i = 0; sk_txn_detection(t, i, &kind, &raw, NULL) == 0; i++) {
        if (!first) {
            first = raw;
            first_kind = kind;
        }
        if (!virus && kind && strcmp(kind, "virus") == 0)
            virus = raw;
    }
    if (!first)
        return;
    if (virus && sk_xh_on(t, "icap.x-virus-id")) {
        sk_xh_sanitize(name, sizeof(name), virus);
        snprintf(line, sizeof(line), "X-Virus-ID: %s", name);
        sk_txn_add_icap_header(t, line);
    }
    if (sk_xh_on(t, "icap.x-infection-found")) {
        /* Type 0: virus infection, 1: policy violation (DLP and others);
         * Resolution 2: blocked, 0: not fixed (passed, e.g. log-only DLP) */
        const char *threat = virus ? virus : first;
        int type = virus || strcmp(first_kind ? first_kind : "", "virus") == 0 ? 0 : 1;
        sk_xh_sanitize(name, sizeof(name), threat);
        snprintf(line, sizeof(line), "X-Infection-Found: Type=%d; Resolution=%d; Threat=%s;", type,
                 blocked ? 2 : 0, name);
        sk_txn_add_icap_header(t, line);
    }
    if (sk_xh_on(t, "icap.x-violations-found"))
        sk_xh_violations(t, blocked);
}

static void sk_xh_on_decision(struct sk_txn *t, void *state, int outcome)
{
    sk_xh_decide(t, outcome);
}

__attribute__((visibility("default"))) const struct sk_module sk_module_descriptor = {
    .abi = SK_MODULE_ABI,
    .name = "xheaders",
    .methods = SK_REQMOD | SK_RESPMOD,
    .txn_begin = sk_xh_begin,
    .on_headers = sk_xh_headers,
    .on_decision = sk_xh_on_decision,
};

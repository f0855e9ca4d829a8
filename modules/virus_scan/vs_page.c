/* vs_page.c - virus_scan's block pages through the server's page engine
 * (sekisho/page.h): one page per reason (virus, too large to scan,
 * encrypted, scan error, file type), English or Japanese as Accept-Language says,
 * replaceable from the virus_scan.templates directory.
 * SECURITY: URL, threat name and reason are client/origin-influenced;
 * the engine escapes every value for the page's kind and caps it. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "vs_internal.h"

static struct sk_pageset sk_vs_pages;
static int sk_vs_pages_loaded;
static pthread_once_t sk_vs_pages_once = PTHREAD_ONCE_INIT;

int sk_vs_pages_load(const char *dir, char **err)
{
    sk_vs_pages_free();
    if (sk_pageset_load(&sk_vs_pages, dir, &sk_page_builtin_generic, "virus_scan.templates", err) ==
        -1)
        return -1;
    sk_vs_pages_loaded = 1;
    return 0;
}

void sk_vs_pages_free(void)
{
    if (sk_vs_pages_loaded)
        sk_pageset_free(&sk_vs_pages);
    sk_vs_pages_loaded = 0;
}

/* Tests install a scanner without init(): they get the built-in pages. */
static void sk_vs_pages_default(void)
{
    if (!sk_vs_pages_loaded)
        sk_vs_pages_load(NULL, NULL);
}

/* The page reason for a failure verdict's policy key (NULL: a virus). */
static enum sk_page_reason sk_vs_reason(const char *key)
{
    if (key == NULL)
        return SK_REASON_VIRUS;
    if (strcmp(key, "av.on-limit") == 0)
        return SK_REASON_TOO_LARGE;
    if (strcmp(key, "av.on-encrypted") == 0)
        return SK_REASON_ENCRYPTED;
    return SK_REASON_SCAN_ERROR;
}

void sk_vs_page(struct sk_txn *t, const char *key, const char *threat, const char *reason)
{
    struct sk_page_req req = {.accept_language = sk_txn_req_header(t, "Accept-Language"),
                              .accept = sk_txn_req_header(t, "Accept"),
                              .http_method = sk_txn_http_method(t)};
    const char *vals[SK_NPV] = {NULL}, *ctype;
    struct sk_buf out = {0};

    pthread_once(&sk_vs_pages_once, sk_vs_pages_default);
    if (!sk_vs_pages_loaded)
        return; /* out of memory: the server's default page */
    vals[SK_PV_URL] = sk_txn_shown_url(t);
    vals[SK_PV_RULE] = threat;
    vals[SK_PV_REASON] = reason;
    vals[SK_PV_CLIENT] = sk_txn_client_ip(t);
    vals[SK_PV_REF] = sk_txn_id(t);
    if (sk_pageset_render(&sk_vs_pages, sk_vs_reason(key), &req, vals, &out, &ctype) == 0)
        sk_txn_set_page(t, 403, ctype, out.data ? out.data : "", out.len);
    sk_buf_free(&out); /* copied by the server */
}

void sk_vs_page_ft(struct sk_txn *t, enum sk_ft_kind k, int ja, const char *rule,
                   const char *reason)
{
    struct sk_page_req req = {.accept_language = sk_txn_req_header(t, "Accept-Language"),
                              .accept = sk_txn_req_header(t, "Accept"),
                              .http_method = sk_txn_http_method(t)};
    const char *vals[SK_NPV] = {NULL}, *ctype;
    struct sk_buf out = {0};
    char title[160];

    pthread_once(&sk_vs_pages_once, sk_vs_pages_default);
    if (!sk_vs_pages_loaded)
        return;
    /* the title names the type, in the page's language (IWSS: ファイルタイプがブロック) */
    snprintf(title, sizeof(title), "%s: %s",
             sk_page_title(SK_REASON_FILE_TYPE, ja ? SK_LANG_JA : SK_LANG_EN),
             sk_ft_kind_desc(k, ja));
    vals[SK_PV_TITLE] = title;
    vals[SK_PV_URL] = sk_txn_shown_url(t);
    vals[SK_PV_RULE] = rule;
    vals[SK_PV_REASON] = reason;
    vals[SK_PV_CLIENT] = sk_txn_client_ip(t);
    vals[SK_PV_REF] = sk_txn_id(t);
    if (sk_pageset_render(&sk_vs_pages, SK_REASON_FILE_TYPE, &req, vals, &out, &ctype) == 0)
        sk_txn_set_page(t, 403, ctype, out.data ? out.data : "", out.len);
    sk_buf_free(&out);
}

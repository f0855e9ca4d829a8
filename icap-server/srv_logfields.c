/* srv_logfields.c - access-log fields taken from the encapsulated HTTP
 * headers when a transaction starts (before a block page replaces them):
 * the object's Content-Type and the file name its Content-Disposition
 * gives. SECURITY: both are client/origin-controlled; they are copied
 * bounded here and JSON-escaped by the log writer. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "c-icap.h"
#include "header.h"
#include "request.h"
#include "simple_api.h"

#include <sekisho/decode.h>
#include <sekisho/policy_snapshot.h>

#include "srv_sekisho.h"

void sk_srv_log_fields(ci_request_t *req, char *ctype, size_t csize, char *fname, size_t fsize)
{
    int resp = ci_req_type(req) == ICAP_RESPMOD && ci_http_response_headers(req);
    const char *ct = resp ? ci_http_response_get_header(req, "Content-Type")
                          : ci_http_request_get_header(req, "Content-Type");
    const char *cd = resp ? ci_http_response_get_header(req, "Content-Disposition")
                          : ci_http_request_get_header(req, "Content-Disposition");

    snprintf(ctype, csize, "%.*s", (int)strcspn(ct ? ct : "", "\r\n"), ct ? ct : "");
    /* the decoding layer's parameter parser: filename* (RFC 6266,
     * percent-decoded), RFC 2231 sections, then filename */
    if (!cd || sk_header_param_ext(cd, "filename", fname, fsize) == -1) /* -2: as read */
        fname[0] = '\0';
}

int64_t sk_srv_txn_generation(const struct sk_txn *t)
{
    const struct sk_snapshot *snap = sk_txn_snapshot(t);

    return snap ? sk_snapshot_generation(snap) : 0;
}

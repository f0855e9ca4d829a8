/* srv_options.c - what the service tells each client in OPTIONS: one
 * method per service name (RFC 3507 section 4.10.2), which ICAP headers it
 * may send back (X-Allow-Out), and a Service-ID.
 * SECURITY: reads the service name and request line c-icap parsed from
 * the client; only compares them with constants. */
#include <dlfcn.h>
#include <string.h>
#include <strings.h>

#include "c-icap.h"
#include "header.h"
#include "request.h"
#include "service.h"
#include "simple_api.h"

#include "srv_sekisho.h"

/* The Methods line per name a client uses (any letter case: the launcher
 * registers the case variants as aliases, c-icap compares them exactly).
 * Names for one mode answer that mode only, as RFC 3507 asks and as
 * ProxySG's "Sense settings" reads it; "sekisho" is the one name for
 * clients that use a single URL for both modes. */
static const struct {
    const char *name;
    const char *methods;
} sk_methods_by_name[] = {
    {"reqmod", "Methods: REQMOD"},   {"REQ-Service", "Methods: REQMOD"},
    {"respmod", "Methods: RESPMOD"}, {"resp", "Methods: RESPMOD"},
    {"avscan", "Methods: RESPMOD"},  {"sekisho", "Methods: RESPMOD, REQMOD"},
};

/* Set by sk_cicap_fix.so (preloaded by the launcher): replaces the
 * Methods line c-icap is about to add in this thread. Without the preload
 * every name answers c-icap's "RESPMOD, REQMOD". */
typedef void (*sk_set_methods_fn)(const char *line);
static sk_set_methods_fn sk_set_methods;

/* Is the request line's target the bare root, "icap://host[:port][/]"?
 * Blue Coat uses it for response mode; c-icap has already replaced the
 * empty name by DefaultService, so the line is the only place to tell. */
static int sk_is_root(ci_request_t *req)
{
    const char *line, *p;

    if (!req->request_header || req->request_header->used < 1 ||
        (line = req->request_header->headers[0]) == NULL || (p = strstr(line, "://")) == NULL)
        return 0;
    p += 3;
    p += strcspn(p, "/ ?");
    if (*p == '/')
        p++;
    return *p == ' ' || *p == '\0' || *p == '?';
}

static const char *sk_methods_for(ci_request_t *req)
{
    if (sk_is_root(req))
        return "Methods: RESPMOD";
    for (size_t i = 0; i < sizeof(sk_methods_by_name) / sizeof(sk_methods_by_name[0]); i++) {
        if (strcasecmp(req->service, sk_methods_by_name[i].name) == 0)
            return sk_methods_by_name[i].methods;
    }
    return NULL; /* an admin's own alias: c-icap's default line */
}

static int sk_options_handler(ci_request_t *req)
{
    const char *m = sk_methods_for(req);

    if (m && sk_set_methods)
        sk_set_methods(m);
    /* e2guardian and other clients read a threat name only from headers
     * the service announced here; xheaders and virus_scan send these. */
    ci_icap_add_xheader(req, "X-Allow-Out: X-Infection-Found, X-Virus-ID, X-Violations-Found");
    ci_icap_add_xheader(req, "Service-ID: sekisho");
    return CI_OK;
}

void sk_options_register(ci_service_xdata_t *xdata)
{
    sk_set_methods = (sk_set_methods_fn)dlsym(RTLD_DEFAULT, "sk_fix_options_methods");
    ci_service_add_option_handler(xdata, "sekisho_options", sk_options_handler);
}

/* sk_guard.c - c-icap access controller "sekisho_guard": owns the
 * sekisho_guard.* directives of sk_cicap_fix.so, refuses requests whose ICAP
 * header the preload would refuse (in case c-icap runs without it), and
 * closes c-icap's built-in "info" service to ICAP clients.
 * SECURITY: request_access runs on every request after c-icap has parsed
 * the ICAP header and before it reads the encapsulated HTTP headers; it
 * uses the same strict parser as the preload (sk_icap_syntax.c), so both
 * agree on what is refused. c-icap answers a denial with 403 and closes. */
#include <dlfcn.h>
#include <string.h>

#include "c-icap.h"
#include "access.h"
#include "cfg_param.h"
#include "debug.h"
#include "header.h"
#include "module.h"
#include "request.h"
#include "service.h"
#include "sk_icap_syntax.h"

typedef int (*sk_fix_configure_fn)(const char *, const char *);

/* Every sekisho_guard.X directive goes to sk_cicap_fix.so. Without the
 * preload the limits cannot be enforced: refuse to start rather than
 * pretend (sekisho-server always preloads it). */
static int sk_guard_cfg(const char *directive, const char **argv, void *setdata)
{
    sk_fix_configure_fn fn = (sk_fix_configure_fn)dlsym(RTLD_DEFAULT, "sk_fix_configure");
    const char *name = strchr(directive, '.');

    (void)setdata;
    name = name ? name + 1 : directive;
    if (!fn) {
        ci_debug_printf(1,
                        "%s: sk_cicap_fix.so is not preloaded into c-icap; the limit "
                        "cannot be enforced\n",
                        directive);
        return 0;
    }
    if (!argv[0] || argv[1] || fn(name, argv[0]) == -1) {
        ci_debug_printf(1, "%s: invalid value '%s'\n", directive, argv[0] ? argv[0] : "");
        return 0;
    }
    return 1;
}

static struct ci_conf_entry sk_guard_conf[] = {
    {"AllowClients", NULL, sk_guard_cfg, "CIDR[,CIDR...] or any: who may connect"},
    {"TlsClientCA", NULL, sk_guard_cfg, "PEM CA file: TLS clients need a cert from it"},
    {"MaxHeaderSize", NULL, sk_guard_cfg, "largest ICAP header in bytes (400 beyond)"},
    {"MaxPreview", NULL, sk_guard_cfg, "largest Preview value (400 beyond), -1 none"},
    {"HeaderTimeout", NULL, sk_guard_cfg, "seconds to receive a whole ICAP header"},
    {"ContinueTimeout", NULL, sk_guard_cfg, "seconds to the first byte after 100 Continue"},
    {"KeepAliveTimeout", NULL, sk_guard_cfg, "seconds a connection may idle between requests"},
    {"MaxConnsPerClient", NULL, sk_guard_cfg, "connections per client address, 0 no limit"},
    {NULL, NULL, NULL, NULL},
};

static int sk_guard_request(ci_request_t *req)
{
    const char *why = NULL;
    ci_headers_list_t *h = req->request_header;

    /* c-icap's status page (children, counters, services): operators read
     * it through the commands socket, not ICAP clients. */
    if (req->current_service_mod && req->current_service_mod->mod_name &&
        strcmp(req->current_service_mod->mod_name, "info") == 0) {
        ci_debug_printf(3, "sekisho_guard: the info service is closed to ICAP clients\n");
        return CI_ACCESS_DENY;
    }
    if (h && sk_icap_headers_check(h->headers, h->used, -1, &why) != SK_HDR_OK) {
        ci_debug_printf(1, "sekisho_guard: refusing request: %s\n", why);
        return CI_ACCESS_DENY;
    }
    return CI_ACCESS_UNKNOWN; /* no opinion: the next controller decides */
}

static int sk_guard_init(struct ci_server_conf *conf)
{
    (void)conf;
    return CI_OK;
}

typedef void (*sk_fix_capacity_fn)(int);

/* After the whole configuration (the admin's --config included): the
 * per-client limit "auto" follows the MaxServers and ThreadsPerChild that
 * c-icap will really use, and the preload learns how many threads make a
 * child full. */
static int sk_guard_post_init(struct ci_server_conf *conf)
{
    sk_fix_capacity_fn fn = (sk_fix_capacity_fn)dlsym(RTLD_DEFAULT, "sk_fix_capacity");
    sk_fix_capacity_fn per = (sk_fix_capacity_fn)dlsym(RTLD_DEFAULT, "sk_fix_child_threads");

    if (fn && conf && conf->MAX_SERVERS > 0 && conf->THREADS_PER_CHILD > 0)
        fn(conf->MAX_SERVERS * conf->THREADS_PER_CHILD);
    if (per && conf && conf->THREADS_PER_CHILD > 0)
        per(conf->THREADS_PER_CHILD);
    return CI_OK;
}

CI_DECLARE_MOD_DATA access_control_module_t module = {
    .name = "sekisho_guard",
    .init_access_controller = sk_guard_init,
    .post_init_access_controller = sk_guard_post_init,
    .release_access_controller = NULL,
    .client_access = NULL,
    .request_access = sk_guard_request,
    .conf_table = sk_guard_conf,
};

/* sk_guard.c - c-icap access controller "sekisho_guard": rejects ICAP
 * requests whose Encapsulated header would crash the daemon.
 * SECURITY: runs on every request after c-icap has parsed the ICAP header
 * and before it reads the encapsulated HTTP headers. c-icap 0.5.10
 * computes each header block's size as the difference of two client-sent
 * offsets (request.c, parse_encaps_headers) and copies that many bytes;
 * decreasing, negative or overflowed offsets give a negative size and a
 * worker crash (memcpy with size -1, found by tests/hostile under ASan).
 * We refuse such requests here (c-icap answers 403 and closes), and cap
 * the header blocks so a client cannot make a worker allocate gigabytes. */
#include "c-icap.h"
#include "access.h"
#include "cfg_param.h"
#include "debug.h"
#include "header.h"
#include "module.h"
#include "request.h"

/* Largest encapsulated HTTP header block accepted (all blocks together). */
#define SK_GUARD_MAX_HEADERS (256 * 1024)

static int sk_guard_request(ci_request_t *req)
{
    int prev = -1;

    for (int i = 0; i < 4 && req->entities[i]; i++) {
        const ci_encaps_entity_t *e = req->entities[i];

        if (e->start < 0 || e->start <= prev || e->start > SK_GUARD_MAX_HEADERS) {
            ci_debug_printf(1, "sekisho_guard: refusing request with Encapsulated offset %d "
                               "after %d (malformed or hostile ICAP client)\n",
                            e->start, prev);
            return CI_ACCESS_DENY;
        }
        /* a body (or null-body) entity ends the header blocks */
        if (e->type != ICAP_REQ_HDR && e->type != ICAP_RES_HDR && req->entities[i + 1]) {
            ci_debug_printf(1, "sekisho_guard: refusing request with an entity after the body\n");
            return CI_ACCESS_DENY;
        }
        prev = e->start;
    }
    return CI_ACCESS_UNKNOWN; /* no opinion: the next controller decides */
}

static int sk_guard_init(struct ci_server_conf *conf)
{
    return CI_OK;
}

CI_DECLARE_MOD_DATA access_control_module_t module = {
    .name = "sekisho_guard",
    .init_access_controller = sk_guard_init,
    .post_init_access_controller = NULL,
    .release_access_controller = NULL,
    .client_access = NULL,
    .request_access = sk_guard_request,
    .conf_table = NULL,
};

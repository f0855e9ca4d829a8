/* sk_options_fix.c - part of sk_cicap_fix.so (preloaded into c-icap):
 * lets the Sekisho service choose the Methods line of an OPTIONS answer.
 * SECURITY: no client data; replaces one header line by a constant the
 * service chose for this thread.
 * c-icap 0.5.10 writes "Methods: RESPMOD, REQMOD" for every name of a
 * service that does both, after the service's option handlers ran and
 * with no hook in between. RFC 3507 wants one method per service URI and
 * ProxySG's "Sense settings" takes the mode from it, so the handler
 * (icap-server/srv_options.c) leaves the line for its name here and the
 * next "Methods:" header this thread adds is swapped for it. */
#include <dlfcn.h>
#include <string.h>

#include "c-icap.h"
#include "header.h"
#include "sk_fix.h"

typedef const char *(*sk_headers_add_fn)(ci_headers_list_t *, const char *);

static SK_PRELOAD_TLS const char *sk_methods_line;

__attribute__((visibility("default"))) void sk_fix_options_methods(const char *line)
{
    sk_methods_line = line; /* a string constant of srv_options.c */
}

__attribute__((visibility("default"))) const char *ci_headers_add(ci_headers_list_t *h,
                                                                  const char *header)
{
    static sk_headers_add_fn real;
    sk_headers_add_fn fn = __atomic_load_n(&real, __ATOMIC_ACQUIRE);
    const char *m = sk_methods_line;

    if (!fn) {
        fn = (sk_headers_add_fn)dlsym(RTLD_NEXT, "ci_headers_add");
        __atomic_store_n(&real, fn, __ATOMIC_RELEASE);
        if (!fn)
            return NULL;
    }
    if (m && header && strncmp(header, "Methods: ", 9) == 0) {
        sk_methods_line = NULL;
        header = m;
    }
    return fn(h, header);
}

/* vs_descriptor.c - the exported module descriptor of virus_scan (the
 * hooks live in vs_module.c so the unit test can link them). */
#include "vs_internal.h"

__attribute__((visibility("default"))) const struct sk_module sk_module_descriptor = {
    .abi = SK_MODULE_ABI,
    .name = "virus_scan",
    .methods = SK_REQMOD | SK_RESPMOD,
    .init = sk_vs_init,
    .fini = sk_vs_fini,
    .version = sk_vs_version,
    .txn_begin = sk_vs_txn_begin,
    .on_headers = sk_vs_on_headers,
    .on_body = sk_vs_on_body,
    .txn_end = sk_vs_txn_end,
};

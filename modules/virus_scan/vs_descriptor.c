/* vs_descriptor.c - the exported module descriptor of virus_scan (the
 * hooks live in vs_module.c so the unit test can link them). */
#include "vs_internal.h"

/* Every sekisho.Option virus_scan.KEY; the server checks values against
 * these types before init(), and serves the defaults to ctx->option. */
static const struct sk_module_option sk_vs_options[] = {
    {"memory-threshold", SK_OPT_SIZE, "1M", NULL, "bodies stay in memory up to this, then a file"},
    {"reload-interval", SK_OPT_DURATION, "60", NULL, "how often to look for new signatures"},
    {"max-scansize", SK_OPT_SIZE, "400M", NULL, "libclamav: data scanned per object"},
    {"max-filesize", SK_OPT_SIZE, "400M", NULL, "libclamav: largest file scanned"},
    {"max-recursion", SK_OPT_UINT, "17", NULL, "libclamav: archive nesting depth"},
    {"max-files", SK_OPT_UINT, "10000", NULL, "libclamav: files scanned per archive"},
    {"max-scantime", SK_OPT_DURATION, "30", NULL,
     "time per scan, also checked at every inner object of an archive"},
    {"decode-max-ratio", SK_OPT_UINT, "100", NULL, "decoded:encoded ratio called a bomb"},
    {"decode-min-bytes", SK_OPT_SIZE, "1M", NULL,
     "decoded size below which the ratio is not checked"},
    {"max-heavy-scans", SK_OPT_UINT, "0", NULL,
     "archive/document/large scans at once per node (0: CPUs - 1, at least 1)"},
    {"max-heavy-per-client", SK_OPT_UINT, "0", NULL,
     "heavy scans one client (X-Client-IP) may run or wait for at once (0: half of "
     "max-heavy-scans, at least 1)"},
    {"heavy-bytes", SK_OPT_SIZE, "8M", NULL, "a body this large counts as a heavy scan"},
    {"templates", SK_OPT_DIR, NULL, NULL, "directory replacing the block pages"},
    {"quarantine-dir", SK_OPT_DIR, NULL, NULL,
     "where av.quarantine keeps blocked objects (writable by the c-icap user, 0700)"},
    {"test-signatures", SK_OPT_BOOL, "off", NULL,
     "without signatures, scan with the built-in EICAR-only test set (sekisho-server "
     "--test-signatures)"},
    {NULL, 0, NULL, NULL, NULL},
};

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
    .options = sk_vs_options,
    .changed = sk_vs_changed,
};

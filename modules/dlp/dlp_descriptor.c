/* dlp_descriptor.c - the exported module descriptor of dlp, its only
 * exported symbol (the hooks live in dlp_module.c, in sk_dlp_core, so
 * the unit tests can link them). */
#include "dlp_module.h"

/* Every sekisho.Option dlp.KEY, checked by the server before init(). */
static const struct sk_module_option sk_dlp_options[] = {
    {"max-decoded", SK_OPT_SIZE, "256M", NULL, "decompressed bytes inspected per transaction"},
    {"on-limit", SK_OPT_ENUM, "block", "block|allow",
     "verdict beyond max-decoded or the decode ratio"},
    {"decode-max-ratio", SK_OPT_UINT, "100", NULL,
     "decoded:compressed ratio called a decompression bomb (0: off)"},
    {"decode-min-bytes", SK_OPT_SIZE, "1M", NULL,
     "decoded size below which the ratio is not checked"},
    {"on-error", SK_OPT_ENUM, "block", "block|allow",
     "verdict when part of a body cannot be decoded (corrupt or unknown coding, encrypted entry)"},
    {"templates", SK_OPT_DIR, NULL, NULL, "directory replacing the block pages"},
    {NULL, 0, NULL, NULL, NULL},
};

__attribute__((visibility("default"))) const struct sk_module sk_module_descriptor = {
    .abi = SK_MODULE_ABI,
    .name = "dlp",
    .methods = SK_REQMOD,
    .init = sk_dlp_init,
    .fini = sk_dlp_fini,
    .version = sk_dlp_version,
    .txn_begin = sk_dlp_begin,
    .on_headers = sk_dlp_headers,
    .on_body = sk_dlp_body,
    .txn_end = sk_dlp_end,
    .options = sk_dlp_options,
};

/* fuzz_dlp_zip.c - libFuzzer target for the DLP streaming zip reader
 * (modules/dlp/dlp_zip.c over core's sk_zip walker) and what it hands each
 * entry to (object chain by the entry's bytes and name, inflate). Input: one control byte (chunk
 * schedule; high bit clear: a budget of a few KiB), then the archive bytes as a client uploads
 * them. Oracle: chunking does not change what is found, what is counted as encrypted or skipped, or
 * the budget verdict. */
#include "sk_fuzz_dlp.h"

static struct sk_dlp_sink *sk_fuzz_zip(struct sk_dlp_ctx *ctx, const void *name)
{
    return sk_dlp_zip_new(ctx, name, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sk_fuzz_dlp_result whole, parts;
    uint64_t budget;
    unsigned seed;

    if (size < 1)
        return 0;
    seed = 1 + data[0];
    budget = sk_fuzz_dlp_budget(data[0]);
    sk_fuzz_dlp_run(sk_fuzz_zip, "upload.zip", data + 1, size - 1, 0, budget, &whole);
    sk_fuzz_dlp_run(sk_fuzz_zip, "upload.zip", data + 1, size - 1, seed, budget, &parts);
    sk_fuzz_dlp_same(&whole, &parts, seed);
    return 0;
}

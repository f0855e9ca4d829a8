/* fuzz_dlp_norm.c - libFuzzer target for DLP text normalisation and
 * charset sniffing (modules/dlp/dlp_norm.c): BOMs, UTF-16 without BOM,
 * ISO-2022-JP, Shift_JIS/EUC-JP, broken UTF-8, declared charsets. Input:
 * one control byte (declared charset, chunk schedule), then the body.
 * Oracle: the same body cut in other chunks gives the same text length and
 * the same detector counts (a client chooses the chunk boundaries). */
#include "sk_fuzz_dlp.h"

static const char *const sk_fuzz_charsets[] = {
    NULL, "utf-8", "shift_jis", "euc-jp", "iso-2022-jp", "utf-16", "utf-16le", "windows-1252",
};

static struct sk_dlp_sink *sk_fuzz_norm(struct sk_dlp_ctx *ctx, const void *charset)
{
    return sk_dlp_norm_new(ctx, charset);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sk_fuzz_dlp_result whole, parts;
    const char *cs;
    unsigned seed;

    if (size < 1)
        return 0;
    cs = sk_fuzz_charsets[data[0] & 7];
    seed = 1 + (data[0] >> 3);
    sk_fuzz_dlp_run(sk_fuzz_norm, cs, data + 1, size - 1, 0, 16u << 20, &whole);
    sk_fuzz_dlp_run(sk_fuzz_norm, cs, data + 1, size - 1, seed, 16u << 20, &parts);
    sk_fuzz_dlp_same(&whole, &parts, seed);
    return 0;
}

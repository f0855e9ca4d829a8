/* fuzz_packed.c - libFuzzer target for the compressed files the decoding
 * layer recognises by their bytes (icap-server/core/sk_sniff.c:
 * sk_container_sniff, sk_container_coding) and undoes (sk_decode.c: bzip2,
 * xz, lzma, lzip, lz4, zstd, gzip stages): what the AV walk and DLP do
 * with a .bz2 / .xz / .lzma / .lz / .lz4 / .zst / .gz download or upload.
 * Input: one control byte (chunk schedule), then the file.
 * Oracles: (1) the chunk schedule - a client's choice - changes neither the
 * result nor, unless the data is corrupt, the output; (2) liblzma's own
 * one-call decoder: an xz, lzma or lzip file it decodes whole (within our
 * memory limit) is OK for us too, with the same bytes (or LIMIT at
 * exactly out_max); (3) a bzip2, zstd, lz4 or gzip file its own library
 * decodes whole and cleanly (streams or frames one after another) is OK
 * for us too, with the same bytes (sk_fuzz_ref_clean). */
#include <string.h>

#include <lzma.h>
#include <sekisho/decode.h>

#include "sk_fuzz_decode.h"

#define SK_FUZZ_OUT_MAX (1u << 20)

/* liblzma's decode of D (xz, lzma alone, lzip) in one call, to at most
 * SK_FUZZ_OUT_MAX + 1 bytes: 1 when it decoded the whole input cleanly. */
static int sk_fuzz_lzma_ref(enum sk_coding c, const uint8_t *d, size_t n, struct sk_buf *o)
{
    lzma_stream s = LZMA_STREAM_INIT;
    static uint8_t buf[SK_FUZZ_OUT_MAX + 1];
    uint64_t mem = (uint64_t)68 << 20;
    lzma_ret r = c == SK_CODING_XZ     ? lzma_stream_decoder(&s, mem, LZMA_CONCATENATED)
                 : c == SK_CODING_LZIP ? lzma_lzip_decoder(&s, mem, LZMA_CONCATENATED)
                                       : lzma_alone_decoder(&s, mem);

    if (r != LZMA_OK)
        return 0;
    s.next_in = d, s.avail_in = n;
    s.next_out = buf, s.avail_out = sizeof(buf);
    r = lzma_code(&s, LZMA_FINISH);
    sk_fuzz_sink(o, buf, sizeof(buf) - s.avail_out);
    int whole = r == LZMA_STREAM_END && s.avail_in == 0;
    lzma_end(&s);
    return whole;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sk_buf whole = {0}, parts = {0}, ref = {0};
    enum sk_decode_rc a, b;
    unsigned seed;

    if (size < 2)
        return 0;
    enum sk_ctype t = sk_container_sniff(data + 1, size - 1);
    struct sk_coding_chain ch = {.c = {sk_container_coding(t)}, .n = 1};
    if (ch.c[0] == 0)
        return 0;
    seed = 1 + data[0];
    a = sk_fuzz_decode_chain(&ch, data + 1, size - 1, 0, SK_FUZZ_OUT_MAX, &whole);
    b = sk_fuzz_decode_chain(&ch, data + 1, size - 1, seed, SK_FUZZ_OUT_MAX, &parts);
    SK_FUZZ_CHECK(a == b, "type %d: result %d whole, %d in chunks (seed %u)", t, a, b, seed);
    SK_FUZZ_CHECK(a == SK_DECODE_CORRUPT ||
                      (whole.len == parts.len &&
                       (whole.len == 0 || memcmp(whole.data, parts.data, whole.len) == 0)),
                  "type %d: %zu bytes whole, %zu in chunks (seed %u)", t, whole.len, parts.len,
                  seed);
    if ((ch.c[0] == SK_CODING_XZ || ch.c[0] == SK_CODING_LZMA || ch.c[0] == SK_CODING_LZIP) &&
        sk_fuzz_lzma_ref(ch.c[0], data + 1, size - 1, &ref)) {
        SK_FUZZ_CHECK(a == SK_DECODE_OK || (a == SK_DECODE_LIMIT && ref.len > SK_FUZZ_OUT_MAX),
                      "type %d: liblzma decodes it whole (%zu bytes), our result %d", t, ref.len,
                      a);
        size_t m = ref.len < whole.len ? ref.len : whole.len;
        SK_FUZZ_CHECK((a == SK_DECODE_LIMIT || ref.len == whole.len) &&
                          (m == 0 || memcmp(ref.data, whole.data, m) == 0),
                      "type %d: liblzma got %zu bytes, our layer %zu, they differ", t, ref.len,
                      whole.len);
    }
    enum sk_coding c = ch.c[0];
    if (c == SK_CODING_BZIP2 || c == SK_CODING_ZSTD || c == SK_CODING_LZ4 || c == SK_CODING_GZIP) {
        sk_buf_free(&ref);
        if (sk_fuzz_ref_clean(c, data + 1, size - 1, SK_FUZZ_OUT_MAX, &ref))
            sk_fuzz_ref_agree("packed", a, &whole, &ref, SK_FUZZ_OUT_MAX);
    }
    sk_buf_free(&whole), sk_buf_free(&parts), sk_buf_free(&ref);
    return 0;
}

/* fuzz_b64run.c - libFuzzer target for the base64-run finder in text
 * (icap-server/core/sk_b64run.c), which dlp and virus_scan read every
 * text object through. Input: one control byte (MIN, bytes or UTF-16 LE/BE,
 * chunk schedule), then the text.
 * Oracles: (1) the chunk schedule - a client's choice - changes nothing:
 * the runs (begin, decoded bytes, end) are the same fed whole, in chunks
 * and one byte at a time (the 64-byte block skip and the fast path then
 * never see the same bytes together); (2) a run never yields more than
 * 3 bytes for 4 input bytes (plus at most 64 KiB given again after
 * padding); (3) (bytes) a payload appended as plain base64 after
 * the text and ". " comes back whole as the last run (whatever state the
 * text left the finder in). */
#include <string.h>

#include <sekisho/decode.h>

#include "sk_fuzz.h"

struct sk_fuzz_runs {
    struct sk_buf log; /* '<' decoded bytes '>' per run */
    size_t last;       /* where the last run's bytes begin */
};

static int sk_fuzz_begin(void *arg)
{
    struct sk_fuzz_runs *r = arg;
    int rc = sk_fuzz_put(&r->log, "<", 1);
    r->last = r->log.len;
    return rc;
}

static int sk_fuzz_data(void *arg, const void *p, size_t n)
{
    return sk_fuzz_put(&((struct sk_fuzz_runs *)arg)->log, p, n);
}

static int sk_fuzz_end(void *arg)
{
    return sk_fuzz_put(&((struct sk_fuzz_runs *)arg)->log, ">", 1);
}

/* seed 0: whole; 1: one byte at a time; else chunks of 1..67 bytes */
static void sk_fuzz_find(size_t min, const uint8_t *d, size_t n, unsigned seed, int utf16,
                         struct sk_fuzz_runs *r)
{
    struct sk_b64run_handler h = {sk_fuzz_begin, sk_fuzz_data, sk_fuzz_end, r};
    struct sk_b64run *f = sk_b64run_new(min, &h);
    int rc = 0;

    SK_FUZZ_CHECK(f != NULL, "sk_b64run_new(%zu) failed", min);
    if (utf16)
        sk_b64run_utf16(f, utf16 == 2);
    for (size_t off = 0, i = 0, c; off < n && rc == 0; off += c, i++) {
        c = seed == 0 ? n - off : seed == 1 ? 1 : 1 + (seed * 5 + i * 11) % 67;
        if (c > n - off)
            c = n - off;
        rc = sk_b64run_write(f, d + off, c);
    }
    if (rc == 0)
        rc = sk_b64run_end(f);
    SK_FUZZ_CHECK(rc == 0, "a run failed with callbacks that never stop");
    sk_b64run_free(f);
}

static size_t sk_fuzz_b64(const uint8_t *p, size_t n, char *out)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i + 3 <= n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
        out[o++] = a[v >> 18], out[o++] = a[v >> 12 & 63];
        out[o++] = a[v >> 6 & 63], out[o++] = a[v & 63];
    }
    return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sk_fuzz_runs whole = {{0}, 0}, bytes = {{0}, 0}, parts = {{0}, 0}, tail = {{0}, 0};
    size_t min;
    unsigned seed;
    int utf16;

    if (size < 1 || size > 65536)
        return 0;
    min = SK_B64RUN_MIN_LO + (data[0] & 31);
    utf16 = (data[0] >> 5) % 3; /* 0: bytes, 1: UTF-16LE, 2: UTF-16BE */
    seed = 2 + data[0] / 96;
    data++, size--;
    sk_fuzz_find(min, data, size, 0, utf16, &whole);
    sk_fuzz_find(min, data, size, 1, utf16, &bytes);
    sk_fuzz_find(min, data, size, seed, utf16, &parts);
    SK_FUZZ_CHECK(
        whole.log.len == bytes.log.len &&
            (whole.log.len == 0 || memcmp(whole.log.data, bytes.log.data, whole.log.len) == 0),
        "min %zu: %zu bytes of runs whole, %zu one byte at a time", min, whole.log.len,
        bytes.log.len);
    SK_FUZZ_CHECK(
        whole.log.len == parts.log.len &&
            (whole.log.len == 0 || memcmp(whole.log.data, parts.log.data, whole.log.len) == 0),
        "min %zu: %zu bytes of runs whole, %zu in chunks (seed %u)", min, whole.log.len,
        parts.log.len, seed);
    /* each digit is decoded once, a run's last line held out of step
     * twice at most (with the run and on its own): 3/4 of the input, and
     * that line's 3/4 again, plus two marks per run (a run after '='
     * padding may be shorter than MIN: one more per '='); and at most
     * 64 KiB of bytes given again after padding (GNU base64's view) */
    size_t neq = 0;
    for (size_t i = 0; i < size; i++)
        neq += data[i] == '=';
    SK_FUZZ_CHECK(whole.log.len <=
                      2 * (size / min + 2 + neq) + size * 3 / 4 + size * 3 / 4 + 2 + 65536,
                  "%zu bytes of runs from %zu input bytes", whole.log.len, size);

    /* the text, ". ", then the first bytes of the input (a multiple of 3,
     * long enough to be a run) as base64: they come back as the last run */
    size_t pay = size / 3 * 3 < 96 ? size / 3 * 3 : 96;
    if (!utf16 && pay * 4 / 3 >= min) {
        uint8_t *t = malloc(size + 2 + 128);
        SK_FUZZ_CHECK(t != NULL, "out of memory");
        memcpy(t, data, size);
        memcpy(t + size, ". ", 2);
        size_t n = size + 2 + sk_fuzz_b64(data, pay, (char *)t + size + 2);
        sk_fuzz_find(min, t, n, 0, 0, &tail);
        SK_FUZZ_CHECK(tail.log.len >= tail.last + pay + 1 &&
                          memcmp(tail.log.data + tail.last, data, pay) == 0 &&
                          tail.log.data[tail.last + pay] == '>' &&
                          tail.log.len == tail.last + pay + 1,
                      "a %zu-byte payload after the text did not come back whole", pay);
        free(t);
    }
    /* the literals a script joins (sk_b64_join_literals): never longer
     * than the text, digits and '#' between groups only; the text, then
     * "; x: ['<base64 of the first bytes, in two>']" comes back with that
     * base64 as its last group */
    if (!utf16 && pay * 4 / 3 >= min) {
        uint8_t *t = malloc(size + 16 + 128), *o = malloc(size + 16 + 128);
        char b64[160];
        SK_FUZZ_CHECK(t != NULL && o != NULL, "out of memory");
        size_t m = sk_b64_join_literals(data, size, min, o);
        SK_FUZZ_CHECK(m <= size, "%zu joined bytes from %zu", m, size);
        for (size_t i = 0; i < m; i++)
            SK_FUZZ_CHECK(sk_b64_digit(o[i], 1) >= 0 || o[i] == '=' ||
                              (o[i] == '#' && i > 0 && i + 1 < m && o[i - 1] != '#'),
                          "byte %zu of the joined text is %#x", i, o[i]);
        size_t bn = sk_fuzz_b64(data, pay, b64), h = bn / 2;
        memcpy(t, data, size);
        size_t n = size;
        n += (size_t)sprintf((char *)t + n, "; x: ['%.*s', \"%.*s\"]", (int)h, b64, (int)(bn - h),
                             b64 + h);
        m = sk_b64_join_literals(t, n, min, o);
        SK_FUZZ_CHECK(m >= bn && memcmp(o + m - bn, b64, bn) == 0 &&
                          (m == bn || o[m - bn - 1] == '#'),
                      "the %zu-digit pieces after the text are not its last group", bn);
        free(t), free(o);
    }
    sk_buf_free(&whole.log), sk_buf_free(&bytes.log), sk_buf_free(&parts.log);
    sk_buf_free(&tail.log);
    return 0;
}

/* sk_fuzz.h - what the fuzz targets share: the libFuzzer entry point and
 * the oracle check. Inputs are arbitrary bytes from the fuzzer or corpus. */
#ifndef SK_FUZZ_H
#define SK_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <sekisho/text.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An oracle failure is a finding: say which and abort, so libFuzzer saves
 * the input and the replay test fails (assert() would vanish with NDEBUG). */
#define SK_FUZZ_CHECK(cond, ...)                                                                   \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "oracle failed at %s:%d: %s: ", __FILE__, __LINE__, #cond);            \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Append to a harness's output log (the toolkit's buffer); out of memory
 * aborts rather than compare a partial copy. Returns 0 (a sink's "go on"). */
static inline int sk_fuzz_put(struct sk_buf *b, const void *p, size_t n)
{
    if (n && sk_buf_append(b, p, n) != 0)
        abort();
    return 0;
}

/* A NUL-terminated copy of DATA (caller frees); NULL when out of memory. */
static inline char *sk_fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (s != NULL) {
        for (size_t i = 0; i < size; i++)
            s[i] = (char)data[i];
        s[size] = '\0';
    }
    return s;
}

/* What a container's round trip gets back: at most four entries, each
 * with its bytes and name (tar: also the size its header says). The
 * walk's begin callback picks CUR (-1: an entry not kept); the data and
 * end callbacks are these two. */
struct sk_fuzz_entries {
    struct sk_buf got[4];
    char name[4][8];
    uint64_t size[4];
    int n, cur, bad;
};

static inline int sk_fuzz_entries_data(void *arg, const void *buf, size_t len)
{
    struct sk_fuzz_entries *r = arg;

    if (r->cur >= 0)
        sk_fuzz_put(&r->got[r->cur], buf, len);
    return 0;
}

static inline int sk_fuzz_entries_end(void *arg)
{
    ((struct sk_fuzz_entries *)arg)->cur = -1;
    return 0;
}

#endif

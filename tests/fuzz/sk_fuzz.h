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

#endif

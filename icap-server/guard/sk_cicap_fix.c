/* sk_cicap_fix.c - LD_PRELOAD fix for c-icap 0.5.10's Encapsulated parser,
 * loaded into the c-icap daemon by sekisho-server.
 * SECURITY: process_encapsulated() (libicapapi) stores one pointer per
 * entity named in the client's Encapsulated header into the 5-slot
 * req->entities[] without an effective bound: its "num > 5" test is off
 * by two and Debian's -O2 build drops it. More than 5 entities overwrite
 * the request object (xheaders, service_data, buffers) and, past about a
 * thousand, the heap; the next request on that thread then crashes the
 * worker (found by tests/hostile; reproduced with the stock echo service).
 * This runs before any c-icap hook could intervene, so we interpose the
 * exported function: more than the 3 entities RFC 3507 allows, or a second
 * Encapsulated header, is a 400 before c-icap writes anything.
 * parse_chunk_data() (also exported) reads chunk sizes with strtol() into
 * an int and adds 2: "7fffffff" or "-5" move its read pointer backwards
 * and crash the worker. We walk the chunk headers in the buffer it is
 * about to parse and refuse any size that is not plain hex below 1 GiB,
 * so c-icap ends that transaction with an error instead. */
#include <dlfcn.h>
#include <limits.h>
#include <string.h>

#include "c-icap.h"
#include "request.h"

#define SK_MAX_ENCAPS 3 /* req-hdr, res-hdr, one body: RFC 3507 section 4.4.1 */

typedef int (*sk_process_encapsulated_fn)(ci_request_t *, const char *);

/* Entity names in an Encapsulated value; counting them bounds the writes
 * whatever separators or garbage surround them. */
static int sk_count_entities(const char *value)
{
    static const char *const names[] = {"req-hdr", "res-hdr", "req-body", "res-body",
                                        "null-body", "opt-body"};
    int n = 0;

    for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
        for (const char *p = value; (p = strstr(p, names[k])) != NULL; p++)
            n++;
    }
    return n;
}

__attribute__((visibility("default"))) int process_encapsulated(ci_request_t *req,
                                                                const char *buf)
{
    static sk_process_encapsulated_fn real;
    sk_process_encapsulated_fn fn = __atomic_load_n(&real, __ATOMIC_ACQUIRE);

    if (!fn) {
        fn = (sk_process_encapsulated_fn)dlsym(RTLD_NEXT, "process_encapsulated");
        __atomic_store_n(&real, fn, __ATOMIC_RELEASE);
    }
    if (!fn || !buf || req->entities[0] != NULL || sk_count_entities(buf) > SK_MAX_ENCAPS)
        return EC_400;
    return fn(req, buf);
}

#define SK_MAX_CHUNK (1L << 30)

/* Size of the chunk header line at p (len bytes available), or 0 when the
 * line is not complete yet; -1 when its size is not acceptable. *size gets
 * the chunk size. Grammar: 1*HEXDIG *WSP [ ";" ext ] CRLF. */
static long sk_chunk_line(const char *p, long len, long *size)
{
    const char *end = memchr(p, '\n', (size_t)len);
    long v = 0;
    int digits = 0;

    if (!end)
        return len > 4096 ? -1 : 0;
    for (; p < end; p++, digits++) {
        int c = (unsigned char)*p, d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            break;
        v = v * 16 + d;
        if (v > SK_MAX_CHUNK)
            return -1;
    }
    if (digits == 0)
        return -1;
    *size = v;
    return (long)(end - (p - digits)) + 1;
}

typedef int (*sk_parse_chunk_data_fn)(ci_request_t *, char **);

__attribute__((visibility("default"))) int parse_chunk_data(ci_request_t *req, char **wdata)
{
    static sk_parse_chunk_data_fn real;
    sk_parse_chunk_data_fn fn = __atomic_load_n(&real, __ATOMIC_ACQUIRE);
    const char *p = req->pstrblock_read;
    long len = req->pstrblock_read_len;
    long skip = (long)req->current_chunk_len - (long)req->chunk_bytes_read;

    if (!fn) {
        fn = (sk_parse_chunk_data_fn)dlsym(RTLD_NEXT, "parse_chunk_data");
        __atomic_store_n(&real, fn, __ATOMIC_RELEASE);
    }
    if (!fn)
        return CI_ERROR;
    /* Walk every chunk header the real parser may consume in this call. */
    while (p && skip >= 0 && skip < len) {
        long size, line;

        p += skip;
        len -= skip;
        line = sk_chunk_line(p, len, &size);
        if (line < 0)
            return CI_ERROR;
        if (line == 0 || size == 0)
            break;
        skip = line + size + 2; /* header line, data, CRLF */
    }
    return fn(req, wdata);
}

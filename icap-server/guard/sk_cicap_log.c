/* sk_cicap_log.c - part of the sk_cicap_fix.so preload: every message c-icap
 * 0.5.10 (and any service in it) writes to its server log passes through
 * here first.
 * SECURITY: messages carry client bytes (URLs, headers, chunk lines) and, on
 * a chunk-parse error, even a stale unterminated buffer that holds another
 * client's data: request.c logs "Error parsing chunks ... str:%s" with
 * req->pstrblock_read at DebugLevel 1, the launcher's default. Unescaped, a
 * client could also start log lines of its own ("Child 4242 did not exit
 * normally") or plant markup for whoever views the log in a browser.
 * c-icap sends every message through the function pointer __log_error
 * (ci_debug_printf in debug.h), which main() sets to log_server() before
 * it calls mem_init(); we interpose mem_init() to put sk_log_escaped()
 * in front of log_server(). It formats the message, drops the request
 * buffer from the formats known to print one (table below), escapes
 * everything but printable ASCII and ends the message with exactly one
 * newline, so each call is one log line that starts with c-icap's own
 * timestamp. c-icap's copy to stdout (-D, the launcher's c-icap.out) is
 * replaced by the same escaped text. */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "c-icap.h"
#include "debug.h"

typedef void (*sk_log_error_fn)(void *req, const char *format, ...);

static sk_log_error_fn sk_log_next; /* c-icap's log_server */
static int sk_log_to_stdout;        /* c-icap was started with -D */

/* Formats whose %s is a request buffer, not a C string: replaced by a
 * format that consumes the same leading arguments and stops before it. */
static const struct {
    const char *prefix;
    const char *replacement;
} sk_log_scrub[] = {
    {"Error parsing chunks, current chunk len:",
     "Error parsing chunks, current chunk len: %d read: %d (request bytes not logged)\n"},
};

static const char *sk_log_format(const char *format)
{
    for (size_t i = 0; i < sizeof(sk_log_scrub) / sizeof(sk_log_scrub[0]); i++) {
        if (strncmp(format, sk_log_scrub[i].prefix, strlen(sk_log_scrub[i].prefix)) == 0)
            return sk_log_scrub[i].replacement;
    }
    return format;
}

/* Printable ASCII stays; backslash, '<', '>' and every other byte become
 * \\, \n, \r, \t or \xHH, so no byte of the message can end a line, drive
 * a terminal or open a tag. One '\n' ends the result. */
static void sk_log_escape(const char *in, char *out, size_t outsize)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0, n = strlen(in);

    while (n > 0 && in[n - 1] == '\n')
        n--; /* c-icap's own line end(s); one is added below */
    for (size_t i = 0; i < n && o + 6 < outsize; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c >= 0x20 && c < 0x7f && c != '\\' && c != '<' && c != '>') {
            out[o++] = (char)c;
            continue;
        }
        out[o++] = '\\';
        if (c == '\\' || c == '\n' || c == '\r' || c == '\t') {
            out[o++] = c == '\\' ? '\\' : c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
        } else {
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o++] = '\n';
    out[o] = '\0';
}

static void sk_log_escaped(void *req, const char *format, ...)
{
    char raw[4096], out[4 * sizeof(raw) + 8];
    va_list ap;

    va_start(ap, format);
    vsnprintf(raw, sizeof(raw), sk_log_format(format), ap);
    va_end(ap);
    sk_log_escape(raw, out, sizeof(out));
    if (sk_log_next)
        sk_log_next(req, "%s", out);
    /* ci_debug_printf prints its raw arguments to stdout after calling us
     * when CI_DEBUG_STDOUT is set (it is read after the call): take that
     * job over and print the escaped text instead. */
    if (__atomic_load_n(&CI_DEBUG_STDOUT, __ATOMIC_RELAXED)) {
        __atomic_store_n(&sk_log_to_stdout, 1, __ATOMIC_RELAXED);
        __atomic_store_n(&CI_DEBUG_STDOUT, 0, __ATOMIC_RELAXED);
    }
    if (__atomic_load_n(&sk_log_to_stdout, __ATOMIC_RELAXED)) {
        fputs(out, stdout);
        fflush(stdout);
    }
}

static void sk_log_install(void)
{
    sk_log_error_fn cur = (sk_log_error_fn)__log_error;

    if (cur && cur != (sk_log_error_fn)sk_log_escaped) {
        sk_log_next = cur;
        __log_error = (void (*)(void *, const char *, ...))sk_log_escaped;
    }
}

typedef int (*sk_mem_init_fn)(void); /* mem.c: int mem_init() */

/* The first library call of c-icap's main(), right after it set
 * __log_error: the earliest moment there is something to wrap. */
__attribute__((visibility("default"))) int mem_init(void)
{
    sk_mem_init_fn real = (sk_mem_init_fn)dlsym(RTLD_NEXT, "mem_init");

    sk_log_install();
    return real ? real() : 0;
}

/* cli_tar.h - a streaming reader of tar archives (ustar/GNU headers) for
 * `category fetch`: entries and their bytes, in order, through callbacks.
 * The decoding layer (sekisho/decode.h) has gzip and zip but no tar; this
 * is the one tar reader. SECURITY: input is an untrusted download. */
#ifndef SK_CLI_TAR_H
#define SK_CLI_TAR_H

#include <stddef.h>
#include <stdint.h>

struct sk_tar_handler {
    /* An entry: NAME (ustar prefix and name joined, at most 256 bytes,
     * never a path to open), TYPE the typeflag ('0' or '\0': a file),
     * SIZE its data bytes. Returns 1 to receive the data, 0 to skip it,
     * -1 to stop. end follows every begin that returned 1. */
    int (*begin)(void *arg, const char *name, char type, uint64_t size);
    int (*data)(void *arg, const void *buf, size_t len);
    int (*end)(void *arg);
    void *arg;
};

enum sk_tar_rc {
    SK_TAR_OK = 0,
    SK_TAR_STOP = -1,    /* a callback returned -1 */
    SK_TAR_CORRUPT = -2, /* a bad header checksum or size */
    SK_TAR_SHORT = -3,   /* sk_tar_end: cut inside an entry or before the end block */
};

struct sk_tar {
    struct sk_tar_handler h;
    unsigned char hdr[512];
    size_t hlen;
    uint64_t left, pad; /* data bytes of the current entry, then padding */
    int reading;        /* the current entry's data goes to h.data */
    int ended;          /* the end-of-archive (zero) block was seen */
    int rc;             /* first error, sticky */
};

/* 1 if H (512 bytes) is a tar header with a valid checksum, else 0: how a
 * caller tells a tar from a plain file before feeding it. */
int sk_tar_header_ok(const unsigned char *h);
void sk_tar_init(struct sk_tar *t, const struct sk_tar_handler *h);
/* Feed bytes, any split. SK_TAR_OK or the (sticky) error. */
int sk_tar_write(struct sk_tar *t, const void *buf, size_t len);
/* The input ended: SK_TAR_OK only after the end-of-archive block with no
 * entry cut short (a download cut at an entry boundary is not whole). */
int sk_tar_end(struct sk_tar *t);

#endif

/* decode_fixture.h - the decode unit suites' shared helpers
 * (support/decode_fixture.c): an output sink, the multipart and zip
 * walkers' logging callbacks, a zip entry in one call, and the random
 * numbers the split-invariance cases draw. */
#ifndef SK_DECODE_FIXTURE_H
#define SK_DECODE_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <sekisho/decode.h>

#include "sk_tzip.h"

/* What a decoder (or a callback) hands on, kept NUL-terminated. */
struct out {
    unsigned char *p;
    size_t len, cap;
};
int out_sink(void *arg, const void *buf, size_t len);

/* The multipart walker's parts as "[<kind><depth>:<filename>:<type>|data]"
 * (kind P part, A preamble, E epilogue) in a log; the zip walker's
 * entries as "[<name>|data]" ('!' after an encrypted one's name), what
 * follows them as "[tail|bytes]". */
struct mp_rec {
    char log[4096];
    size_t n;
};
int mp_begin(void *arg, const struct sk_mp_part *p);
int mp_data(void *arg, const void *buf, size_t len);
int mp_end(void *arg);
int zb(void *arg, const struct sk_zip_entry *e);
int zt(void *arg);

/* A local header + data (sk_tzip_entry); zip64 puts the sizes in a ZIP64
 * extra field; desc: flag bit 3 and a data descriptor after the data. */
void zip_entry(struct sk_tzip *z, const char *name, const char *text, int deflate, int zip64,
               int desc);

/* IN compressed by the reference compress(1) (ncompress: contrib/deps.sh
 * installs it) with -b BITS; *OLEN gets the length (caller frees). */
unsigned char *compress_of(const void *in, size_t n, int bits, size_t *olen);

/* xorshift32; its state starts at 12345 (a suite may set another seed):
 * failures reproduce. */
extern uint32_t rnd_state;
uint32_t rnd(void);

#endif

/* sk_tzip.h - test-only encoders shared by the unit tests: zlib streams
 * (gzip, zlib, raw deflate), zstd, bzip2, xz, tar and ar members, base64 and zip archives byte by
 * byte (local entries: stored or deflated, ZIP64 sizes, data descriptor, general-purpose flags; the
 * central directory and end record when asked), so a test can build exactly the container it needs,
 * malformed ones included. Failures abort the running cmocka test. */
#ifndef SK_TZIP_H
#define SK_TZIP_H

#include <stddef.h>
#include <stdint.h>

/* IN compressed by zlib: WBITS 16+15 gzip, 15 zlib, -15 raw deflate.
 * *OLEN gets its length. Caller frees. */
unsigned char *sk_tz_deflate(const void *in, size_t n, int wbits, size_t *olen);
/* ... at zlib LEVEL (0: stored blocks, IN's bytes as they are). */
unsigned char *sk_tz_deflate_level(const void *in, size_t n, int wbits, int level, size_t *olen);

/* IN as base64 (RFC 4648, '=' padded, one line), NUL-terminated. Caller
 * frees. */
char *sk_tz_b64(const void *in, size_t n);
/* ... with CRLF after every LINE characters (not after the last), as MIME
 * wraps it at 76; LINE 0 is one line. */
char *sk_tz_b64_wrap(const void *in, size_t n, size_t line);

/* An archive under construction: P/N are the bytes so far (sk_tzip_free
 * releases them). Zero-initialise. */
struct sk_tzip {
    unsigned char *p;
    size_t n, cap;
    unsigned char *cd; /* central directory records of the entries so far */
    size_t cdn, cdcap;
    unsigned entries;
};

/* sk_tzip_entry options */
#define SK_TZIP_DEFLATE 0x1  /* method 8 (raw deflate), else stored */
#define SK_TZIP_ZIP64   0x2  /* header sizes 0xffffffff, the real ones in a ZIP64 extra field */
#define SK_TZIP_DESC    0x4  /* flag bit 3: CRC and sizes 0 in the header, in a data descriptor */
#define SK_TZIP_ZSTD    0x8  /* method 93 (a zstd frame), else as SK_TZIP_DEFLATE says */
#define SK_TZIP_BZIP2   0x10 /* method 12 (a bzip2 stream) */
#define SK_TZIP_LZMA                                                                               \
    0x20                /* method 14 (version, properties, raw LZMA with an end marker:            \
                         * flag bit 1, as 7-Zip and Python's zipfile write it) */
#define SK_TZIP_XZ 0x40 /* method 95 (an xz stream) */

/* Append a local header for NAME and the LEN bytes of DATA (compressed
 * as OPTS says), its descriptor if any; FLAGS are more general-purpose
 * flag bits (1: encrypted). */
void sk_tzip_entry(struct sk_tzip *, const char *name, const void *data, size_t len, unsigned opts,
                   unsigned flags);
/* Append the central directory of the entries so far and the end record. */
void sk_tzip_central(struct sk_tzip *);
/* Append raw bytes (a truncated central directory, trailing junk...). */
void sk_tzip_put(struct sk_tzip *, const void *p, size_t n);
/* The archive's bytes (*LEN: their length), handed to the caller, who
 * frees them; the rest of the builder is released. */
unsigned char *sk_tzip_take(struct sk_tzip *, size_t *len);
void sk_tzip_free(struct sk_tzip *);
/* A zip of the N texts DATA named NAMES (deflated when DEFL): local
 * entries only, then a central directory signature and nothing after it
 * (a directory that is not there). Caller frees. */
unsigned char *sk_tz_zip_texts(const char *const *names, const char *const *data, int n, int defl,
                               size_t *len);

/* Tar headers: a ustar header for NAME of TYPE, mode 0644, the size
 * field SIZE12 (its 12 bytes as given: base-256, junk) or, when NULL, SIZE
 * in octal, the checksum; the fields OPTS does not ask for are NUL bytes. */
#define SK_TZ_TAR_IDS    0x1 /* uid and gid 0 in octal */
#define SK_TZ_TAR_MTIME  0x2 /* mtime 0 in octal */
#define SK_TZ_TAR_SIGNED 0x4 /* the checksum the signed sum of the bytes (old writers) */
void sk_tz_tar_hdr(struct sk_tzip *z, const char *name, char type, const unsigned char *size12,
                   uint64_t size, unsigned opts);
/* A header (as sk_tz_tar_hdr), then the LEN bytes of DATA padded to 512. */
void sk_tz_tar_member(struct sk_tzip *z, const char *name, char type, const unsigned char *size12,
                      uint64_t size, const void *data, size_t len, unsigned opts);
/* An extended header NAME of TYPE ('x', 'g') holding RECORDS as written. */
void sk_tz_tar_pax(struct sk_tzip *z, const char *name, char type, const char *records,
                   unsigned opts);
/* The pax record "LEN KEY=VAL\n" (LEN counting its own digits) into OUT. */
void sk_tz_pax_rec(char *out, size_t cap, const char *key, const char *val);
/* A tar entry (a regular file NAME, uid, gid and mtime written) appended
 * to Z; sk_tz_tar_end appends the two zero blocks that end the archive. */
void sk_tz_tar_entry(struct sk_tzip *z, const char *name, const void *data, size_t len);
void sk_tz_tar_end(struct sk_tzip *z);
/* An ar member (after the "!<arch>\n" the caller puts): NAME's 60-byte
 * header (mtime, uid, gid 0, mode 100644), the LEN bytes of DATA padded
 * to 2. */
void sk_tz_ar_member(struct sk_tzip *z, const char *name, const void *data, size_t len);
/* The whole file tests/unit/data/REL (a sample a reference tool made):
 * its bytes (the caller frees them), *N their length. */
unsigned char *sk_tz_data(const char *rel, size_t *n);
/* The start of a 7z (KIND 0), rar 5 (1) or rar 4 (2) archive at OUT (32
 * bytes): its signature and the header 7-Zip and unrar check. Its length. */
size_t sk_tz_sfx_head(int kind, unsigned char *out);
/* A FAT boot sector (mkfs.fat's: a jump, 512-byte sectors, one per
 * cluster, one reserved, two FATs, media F8, the 55 AA mark) written over
 * IMG's first 512 bytes, which are otherwise left as they are. */
void sk_tz_fat_boot(unsigned char *img);
/* A newc cpio member NAME of DATA[0..DL) at O (room enough): its length. */
size_t sk_tz_cpio_newc(unsigned char *o, const char *name, const void *data, size_t dl);
/* A git pack: its header for COUNT objects (at Z's end), then each object - a header
 * of TYPE (3 blob, 6 OFS_DELTA, 7 REF_DELTA...) and LEN, PRE[0..NPRE)
 * (a delta's base offset or id), DATA deflated. sk_tz_git_obj returns
 * the object's offset in Z. */
void sk_tz_git_head(struct sk_tzip *z, uint32_t count);
/* The pack's trailer: the SHA-1 (SHA256: the SHA-256) of every byte of Z
 * from its header at AT (git checks it, and so does the reader). */
void sk_tz_git_end(struct sk_tzip *z, size_t at, int sha256);
size_t sk_tz_git_obj(struct sk_tzip *z, int type, const void *data, size_t len, const void *pre,
                     size_t npre);

/* IN as one zstd frame (level 3), one bzip2 stream (level 9), one xz
 * stream (preset 6, CRC64). *OLEN gets its length. Caller frees. */
unsigned char *sk_tz_zstd(const void *in, size_t n, size_t *olen);
unsigned char *sk_tz_bzip2(const void *in, size_t n, size_t *olen);
unsigned char *sk_tz_xz(const void *in, size_t n, size_t *olen);
/* IN as a legacy .lzma file (preset 6, size unknown, end marker), an lzip
 * member (lc 3, lp 0, pb 2, 8 MiB dictionary, end marker, CRC32 and
 * sizes), an lz4 frame (with a content checksum). */
unsigned char *sk_tz_lzma(const void *in, size_t n, size_t *olen);
unsigned char *sk_tz_lzip(const void *in, size_t n, size_t *olen);
unsigned char *sk_tz_lz4(const void *in, size_t n, size_t *olen);

/* A 7z archive as 7-Zip writes it: NF folders (at most 64) of DATA[0..DN)
 * each, one LZMA coder per folder, declaring USIZE bytes unpacked each (0:
 * DN); ENC: the header itself LZMA-encoded behind an encoded header. No
 * files list (the guard reads none). *LEN its length; caller frees. */
unsigned char *sk_tz_7z(const void *data, size_t dn, int nf, uint64_t usize, int enc, size_t *len);

/* In a plain-header sk_tz_7z archive A[0..AN): every folder's LZMA coder
 * replaced by the coder ID[0..N) (1 to 4 bytes), the records' lengths
 * kept. */
void sk_tz_7z_coder(unsigned char *a, size_t an, const void *id, size_t n);

/* A stored one-entry archive with its central directory (FLAGS as for
 * sk_tzip_entry). *ZLEN gets its length; caller frees. */
unsigned char *sk_tzip_one(const char *name, const void *data, size_t len, unsigned flags,
                           size_t *zlen);

#endif

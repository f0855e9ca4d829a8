/* sekisho/archive.h - archive readers of the decoding layer: tar
 * (sk_tar.c), ar (sk_ar.c), cpio and ISO 9660 (sk_cpio.c), LHA
 * (sk_lha.c) and git packs (sk_gitpack.c). virus_scan's walk and DLP read
 * the members of an archive through them. Included by sekisho/decode.h.
 * SECURITY: every byte given to these functions is client-controlled;
 * every size is checked against the bytes there are and every output
 * bounded by the caller's limit.
 */
#ifndef SEKISHO_ARCHIVE_H
#define SEKISHO_ARCHIVE_H

#ifndef SK_API
#define SK_API __attribute__((visibility("default")))
#endif
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- tar archives (sk_tar.c) ------------------------------------------ */

/* A streaming reader of tar archives (ustar/GNU/pax headers): entries and
 * their bytes, in order, through callbacks; nothing allocated. Used by
 * `category fetch` (a downloaded list), DLP (a tar upload's members read
 * as objects of their own) and virus_scan (members libclamav frames
 * differently). Sizes as GNU tar, Python's tarfile and bsdtar read them: a
 * pax extended header's (`x`) `size` record gives the next entry's size
 * (the header's octal field is ignored then), and a GNU base-256 size
 * field (0x80 then a big-endian number) is read. */
struct sk_tar_handler {
    /* An entry: NAME (ustar prefix and name joined, at most 256 bytes,
     * never a path to open), TYPE the typeflag ('0' or '\0': a file; 'x',
     * 'g' pax records, 'L' 'K' GNU long names are entries too), SIZE its
     * data bytes. Returns 1 to receive the data, 0 to skip it, -1 to stop.
     * end follows every begin that returned 1. */
    int (*begin)(void *arg, const char *name, char type, uint64_t size);
    int (*data)(void *arg, const void *buf, size_t len);
    int (*end)(void *arg);
    void *arg;
};

enum sk_tar_rc {
    SK_TAR_OK = 0,
    SK_TAR_STOP = -1,    /* a callback returned -1 */
    SK_TAR_CORRUPT = -2, /* a bad header checksum or size, a malformed pax record */
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
    /* pax records of the current 'x'/'g' entry, parsed as they stream */
    int pax;          /* 0, 'x' or 'g': the current entry's records are read */
    int pax_state;    /* in a record's length, key or value */
    uint64_t pax_len; /* the record's declared length */
    uint64_t pax_at;  /* bytes of the record read */
    char pax_key[8];  /* the key's first bytes (only "size" matters) */
    size_t pax_klen;  /* key bytes seen */
    char pax_val[24]; /* a size value: decimal digits */
    size_t pax_vlen;
    int pax_has_size; /* a size record waits for the next entry */
    uint64_t pax_size;
    /* Read by callers in begin(): the current entry's size is not its
     * header's octal field (a pax size that differs, a base-256 field):
     * ustar-only readers such as libclamav frame it, and every entry after
     * it, otherwise. alt_sized stays set once it happened. */
    int alt_size;
    int alt_sized;
};

/* 1 if H (512 bytes) is a tar header with a valid checksum (the unsigned
 * or the signed sum of its bytes, as GNU tar and tarfile accept), else 0:
 * how a caller tells a tar from a plain file before feeding it. */
SK_API int sk_tar_header_ok(const unsigned char *h);
SK_API void sk_tar_init(struct sk_tar *t, const struct sk_tar_handler *h);
/* Feed bytes, any split. SK_TAR_OK or the (sticky) error. */
SK_API int sk_tar_write(struct sk_tar *t, const void *buf, size_t len);
/* The input ended: SK_TAR_OK only after the end-of-archive block with no
 * entry cut short (a download cut at an entry boundary is not whole). */
SK_API int sk_tar_end(struct sk_tar *t);

/* ---- ar archives (sk_ar.c) -------------------------------------------- */

/* Does P start with the ar magic "!<arch>\n" (a .deb, a static library)? */
SK_API int sk_ar_is(const unsigned char *p, size_t n);
/* A member: NAME (trimmed, a BSD "#1/N" name taken from the data; never a
 * path to open), its DATA (a view into the archive, cut at its end).
 * Returns 0, or -1 to stop. */
typedef int (*sk_ar_member_fn)(void *arg, const char *name, const unsigned char *data, size_t len);
enum sk_ar_rc {
    SK_AR_OK = 0,
    SK_AR_STOP = -1,    /* FN returned -1 */
    SK_AR_CORRUPT = -2, /* no magic, a header without "`\n" or a decimal size */
    SK_AR_SHORT = -3,   /* cut inside a header or a member (FN had what there was) */
};
/* Each member of the ar archive P[0..N) in order. */
SK_API int sk_ar_each(const unsigned char *p, size_t n, sk_ar_member_fn fn, void *arg);

/* ---- cpio archives and ISO 9660 images (sk_cpio.c) ------------------- */

/* Does P start with a cpio header (new ASCII 070701/070702, old ASCII
 * 070707, binary either byte order) / hold an ISO 9660 primary volume
 * descriptor at 32 KiB? */
SK_API int sk_cpio_is(const unsigned char *p, size_t n);
SK_API int sk_iso_is(const unsigned char *p, size_t n);
/* Each member with data of the cpio archive P[0..N) in order, to FN as
 * sk_ar_each's (a view, cut at the archive's end), up to its TRAILER!!!
 * entry: SK_AR_OK, SK_AR_STOP, SK_AR_CORRUPT (a header that does not
 * read), SK_AR_SHORT (cut short, or no trailer). */
SK_API int sk_cpio_each(const unsigned char *p, size_t n, sk_ar_member_fn fn, void *arg);
/* Each file of the ISO 9660 image P[0..N) (the directory trees of its
 * primary volume and of every supplementary one - Joliet, which Windows
 * shows, may name files the primary tree does not -; 16 levels and 1,024
 * directories at most, each read once; a file extent by extent, each
 * extent once), then of its UDF tree (a bridge image: type 1 partition
 * maps, 2048-byte sectors) each file whose data no ISO 9660 entry named -
 * what Windows shows when it mounts the image; a file in scattered
 * extents joined in a buffer that lives for the call -, to FN: SK_AR_OK,
 * SK_AR_STOP, SK_AR_CORRUPT (also a UDF tree that does not read). */
SK_API int sk_iso_each(const unsigned char *p, size_t n, sk_ar_member_fn fn, void *arg);

/* ---- LHA archives (sk_lha.c) ----------------------------------------- */

/* A member of an LHA archive: its NAME (levels 0 and 1; "" at level 2),
 * DATA[0..LEN) - stored members as they are (a view), -lh4- to -lh7- ones
 * decoded (a buffer that lives for the call) - and STATE: 0 whole, or why
 * not. Returns 0, or -1 to stop. */
enum { SK_LHA_CORRUPT = 1, SK_LHA_LIMIT = 2, SK_LHA_UNREAD = 3 };
typedef int (*sk_lha_member_fn)(void *arg, const char *name, const unsigned char *data, size_t len,
                                int state);
/* Each member of the LHA archive P[0..N) (header levels 0-2) in order, up
 * to its end mark: stored ones (-lh0-, -lz4-), -lh4- to -lh7- decoded to
 * at most OUT_MAX bytes each (more: what came before, SK_LHA_LIMIT), one
 * whose stream does not decode or whose CRC-16 does not match what it
 * decoded to SK_LHA_CORRUPT with what came before; other methods (-lh1-
 * to -lh3-, -lzs-, -lz5-) SK_LHA_UNREAD with their packed bytes;
 * directories (-lhd-) not at all. SK_AR_OK, SK_AR_STOP (FN, or out of
 * memory), SK_AR_CORRUPT (a header that does not read), SK_AR_SHORT. */
SK_API int sk_lha_each(const unsigned char *p, size_t n, uint64_t out_max, sk_lha_member_fn fn,
                       void *arg);

/* ---- git packs (sk_gitpack.c) ----------------------------------------- */

/* Does P hold a git pack: a .pack ("PACK", version 2 or 3, a dumb-HTTP
 * clone's download), a bundle ("# v2 git bundle"), or a smart-HTTP body
 * that carries one in pkt-lines (a push: commands, a flush, the pack; a
 * fetch's result: the pack after its acknowledgements, as it is or in
 * side-band band 1)? */
SK_API int sk_gitpack_is(const unsigned char *p, size_t n);
/* Each object of the pack P holds (sk_gitpack_is) - blobs, commits and
 * tags, and trees as their entries' names (a line each; "tree 4 (its
 * names)") - to FN as sk_lha_each's members: NAME
 * "blob 3" (its type and index in the pack), DATA its content (a buffer
 * that lives for the call), STATE 0. A delta is resolved against its base
 * when the base is in the pack (by offset or by id, SHA-1 or SHA-256,
 * chains of any depth, each object once); a delta whose base is not (a
 * thin pack's, as every push sends) is resolved on a stand-in base of
 * line ends - what it inserts, in place, each run of insertions a line -
 * and the deltas on it in turn (NAME "delta 5 (its base not in the
 * pack)"). The pack's trailer must hash what was read (git checks it):
 * the ids' length is the trailer's (a pack read with the other is read
 * again), a trailer that hashes neither way is a corrupt pack. An object
 * that does not inflate to its size, a delta that does not apply, a
 * trailer that does not match: FN(SK_LHA_CORRUPT) and SK_AR_CORRUPT;
 * more than OUT_MAX bytes inflated and resolved in all (each object also
 * charged SK_GP_KEEP, 256 bytes, for its bookkeeping: every object is
 * read before any reaches FN): FN(SK_LHA_LIMIT) and SK_AR_OK; cut short,
 * or no trailer: SK_AR_SHORT; SK_AR_STOP (FN, or out of memory); objects
 * before any of those reached FN. */
SK_API int sk_gitpack_each(const unsigned char *p, size_t n, uint64_t out_max, sk_lha_member_fn fn,
                           void *arg);

#ifdef __cplusplus
}
#endif
#endif

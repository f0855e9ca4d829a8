/* sekisho/ole2.h - the one reader of Compound File Binary files (OLE2:
 * legacy .doc, .xls, .ppt, Outlook .msg, objects embedded in RTF) every
 * inspecting module uses (core/sk_ole2.c, MS-CFB): over the caller's held
 * bytes, the header (512- and 4096-byte sectors, versions 3 and 4), the
 * DIFAT (the header's 109 entries and its chained sectors), the FAT, the
 * miniFAT, the directory entries with the storage each one is in, and each
 * stream's bytes reassembled by its chain (sectors or 64-byte mini sectors
 * in any order). The formats inside (Word, Excel, PowerPoint, msg) are the
 * callers'.
 * SECURITY: every byte is client-controlled. Every sector number, chain
 * length (against the stream's size and the file), the directory's size
 * and the bytes handed out (the caller's limits) are checked; chains with
 * a cycle are broken; nothing recurses. What cannot be read is reported
 * (SK_OLE2_BROKEN), never silently skipped.
 */
#ifndef SEKISHO_OLE2_H
#define SEKISHO_OLE2_H

#ifndef SK_API
#define SK_API __attribute__((visibility("default")))
#endif
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum sk_ole2_rc {
    SK_OLE2_OK = 0,
    SK_OLE2_NOT_OLE2, /* no compound file signature at offset 0 */
    SK_OLE2_LIMIT,    /* over a limit below */
    SK_OLE2_BROKEN,   /* a structure that cannot be read (why: sk_ole2_why) */
    SK_OLE2_NOMEM
};

struct sk_ole2_limits {
    size_t max_entries; /* directory entries (0: 1,000,000) */
    uint64_t max_out;   /* bytes of one stream (0: 64 MiB) */
    uint64_t max_total; /* bytes over every sk_ole2_read of a file (0: 256 MiB) */
};

#define SK_OLE2_STORAGE 1
#define SK_OLE2_STREAM  2
#define SK_OLE2_ROOT    5
#define SK_OLE2_NONE    UINT32_MAX /* no parent: the root, or an entry no storage names */

struct sk_ole2;

/* One directory entry. NAME: its UTF-16 name as UTF-8 (control characters
 * kept: "\005SummaryInformation"). PARENT: the index of the storage whose
 * tree holds it (the root is 0), SK_OLE2_NONE for the root and for entries
 * no storage's tree reaches (they are still streams to read). */
struct sk_ole2_entry {
    char name[97];
    int type; /* SK_OLE2_STORAGE, SK_OLE2_STREAM, SK_OLE2_ROOT, 0 unused */
    uint32_t parent;
    uint64_t size;
    int mini; /* a stream under the cutoff: in the mini stream */
};

/* The 8-byte signature D0 CF 11 E0 A1 B1 1A E1 at P[0..N)? */
SK_API int sk_ole2_is(const unsigned char *p, size_t n);
/* Index P[0..N) (borrowed until sk_ole2_free). *OUT is NULL on an error,
 * and *WHY (may be NULL) then says what (static text). */
SK_API enum sk_ole2_rc sk_ole2_open(const unsigned char *p, size_t n, const struct sk_ole2_limits *,
                                    struct sk_ole2 **out, const char **why);
SK_API void sk_ole2_free(struct sk_ole2 *);
/* Directory entries in directory order (entry 0 is the root). */
SK_API size_t sk_ole2_count(const struct sk_ole2 *);
SK_API const struct sk_ole2_entry *sk_ole2_at(const struct sk_ole2 *, size_t i);
/* The first stream named NAME (case-insensitive ASCII, as MS-CFB compares)
 * directly in storage PARENT (0: the root), or -1. */
SK_API long sk_ole2_find(const struct sk_ole2 *, uint32_t parent, const char *name);
/* Stream I's bytes, reassembled by its chain: *OUT malloc'd (caller frees;
 * a byte for an empty stream), *N its size. SK_OLE2_BROKEN: a sector out
 * of range, a chain with a cycle, shorter or longer than the size says, a
 * mini stream that does not hold it; SK_OLE2_LIMIT: over max_out or
 * max_total. */
SK_API enum sk_ole2_rc sk_ole2_read(struct sk_ole2 *, size_t i, unsigned char **out, size_t *n);
/* Why the last call returned SK_OLE2_BROKEN (static text). */
SK_API const char *sk_ole2_why(const struct sk_ole2 *);

#ifdef __cplusplus
}
#endif
#endif

/* sk_sniff.c - what an object's first bytes say it is (sekisho/decode.h):
 * compressed files and archives (sk_container_sniff, with the legacy
 * .lzma header and a bare zlib stream told apart from chance), the
 * formats nobody here decodes (sk_container_unread), and the coding that
 * undoes a compressed file. Split out of sk_container.c, which keeps the
 * zip walker.
 * SECURITY: client bytes, read only; a zlib candidate is inflated at
 * most 4 KiB into a stack buffer.
 */
#include <stdint.h>
#include <string.h>

#include <lzma.h>
#include <zlib.h>

#include "sekisho/decode.h"
#include "sk_util.h"

/* The 13-byte header of the legacy .lzma format has no magic: properties
 * (lc/lp/pb, at most 224), a dictionary size as the encoders write them
 * (2^n or 3 * 2^(n-1), 4 KiB to 1.5 GiB), the uncompressed size (all ones:
 * unknown, else below 2^48); then the range coder's first byte, which is
 * always 0 (liblzma and 7-Zip's decoder refuse anything else). About one
 * random 14 bytes in 10^10 pass; bytes that are mostly zeros (a bitmap as
 * a C array) pass more often, so what such a header does not decode is
 * no verdict (sekisho/decode.h). */
static int sk_container_lzma_alone(const unsigned char *p, size_t n)
{
    uint32_t dict;
    int ones = 1;

    if (n < 14 || p[0] > 224 || p[13] != 0)
        return 0;
    dict = sk_le32(p + 1);
    for (int b = 12; b <= 30; b++)
        if (dict == (uint32_t)1 << b || dict == (uint32_t)3 << (b - 1))
            goto size;
    return 0;
size:
    for (int i = 5; i < 13; i++)
        ones &= p[i] == 0xff;
    return ones || (p[11] == 0 && p[12] == 0);
}

/* A bare zlib stream (sekisho/decode.h): the header (deflate, a window of
 * at most 32 KiB, no preset dictionary, the check bits), then zlib inflates
 * P[0..N) - at most 4 KiB of it, its output thrown away: to the stream's
 * end (adler32 verified), or 64 bytes and more without an error, or 256
 * and more before one (a stream corrupt further on: readers still get
 * what came before; the decoder reports it corrupt). Random bytes after a
 * valid header fail within 64 (at most 58 in 20,000 tries). */
#define SK_ZLIB_TRY 4096
static int sk_zlib_head(const unsigned char *p, size_t n)
{
    return n >= 8 && sk_zlib_header(p, n) && !(p[1] & 0x20);
}

static int sk_container_zlib(const unsigned char *p, size_t n)
{
    unsigned char out[4096];
    z_stream z = {0};
    int rc;

    if (!sk_zlib_head(p, n) || inflateInit(&z) != Z_OK)
        return 0;
    z.next_in = (unsigned char *)p;
    z.avail_in = (uInt)(n < SK_ZLIB_TRY ? n : SK_ZLIB_TRY);
    do {
        z.next_out = out;
        z.avail_out = sizeof(out);
        rc = inflate(&z, Z_NO_FLUSH);
    } while (rc == Z_OK && z.avail_in > 0 && z.total_out < (1u << 20));
    size_t used = (size_t)z.total_in;
    inflateEnd(&z);
    if (rc == Z_STREAM_END)
        return 1;
    return (rc == Z_OK || rc == Z_BUF_ERROR) ? used >= 64 : used >= 256;
}

int sk_container_zlib_cut(enum sk_ctype t, const unsigned char *p, size_t n)
{
    return t == SK_CT_NONE && sk_zlib_head(p, n);
}

/* The filters of the block whose header is at P[0..N) into *MASK: 0, or
 * -1 when the header does not read. */
static int sk_xz_block_filters(const unsigned char *p, size_t n, lzma_check check, uint64_t *mask)
{
    lzma_filter f[LZMA_FILTERS_MAX + 1];
    lzma_block b = {.version = 0, .check = check, .filters = f};

    if (n < 1 || p[0] == 0)
        return -1; /* the index indicator, no block */
    b.header_size = lzma_block_header_size_decode(p[0]);
    if (b.header_size > n || lzma_block_header_decode(&b, NULL, p) != LZMA_OK)
        return -1;
    for (size_t i = 0; i < LZMA_FILTERS_MAX && f[i].id != LZMA_VLI_UNKNOWN; i++)
        *mask |= f[i].id < 63 ? (uint64_t)1 << f[i].id : (uint64_t)1 << 63;
    lzma_filters_free(f, NULL);
    return 0;
}

uint64_t sk_xz_filters(const unsigned char *p, size_t n)
{
    static const unsigned char magic[6] = {0xfd, '7', 'z', 'X', 'Z', 0};
    uint64_t mask = 0;
    size_t end = n;
    int streams = 0;

    /* stream after stream from the end: footer, index, each block's header */
    while (end >= 24) {
        while (end >= 4 && memcmp(p + end - 4, "\0\0\0\0", 4) == 0)
            end -= 4; /* stream padding */
        lzma_stream_flags sf;
        lzma_index *ix = NULL;
        uint64_t memlimit = 64u << 20;
        size_t pos;
        if (end < 24 || lzma_stream_footer_decode(&sf, p + end - 12) != LZMA_OK ||
            sf.backward_size > end - 24)
            break;
        pos = end - 12 - (size_t)sf.backward_size;
        if (lzma_index_buffer_decode(&ix, &memlimit, NULL, p, &pos, end - 12) != LZMA_OK)
            break;
        lzma_vli size = lzma_index_stream_size(ix);
        if (size > end || memcmp(p + end - size, magic, 6) != 0) {
            lzma_index_end(ix, NULL);
            break;
        }
        size_t start = end - (size_t)size;
        lzma_index_iter it;
        lzma_index_iter_init(&it, ix);
        int bad = 0;
        while (!bad && !lzma_index_iter_next(&it, LZMA_INDEX_ITER_BLOCK)) {
            size_t at = start + (size_t)it.block.compressed_stream_offset;
            bad = at >= end || sk_xz_block_filters(p + at, end - at, sf.check, &mask) == -1;
        }
        lzma_index_end(ix, NULL);
        if (bad)
            return mask | (uint64_t)1 << 63;
        end = start;
        streams++;
    }
    if (streams && end == 0)
        return mask;
    /* no index to read (cut short, or bytes before a stream): the first
     * stream's first block */
    lzma_stream_flags hf;
    if (n >= 12 && lzma_stream_header_decode(&hf, p) == LZMA_OK &&
        sk_xz_block_filters(p + 12, n - 12, hf.check, &mask) == 0)
        return mask;
    return mask | (uint64_t)1 << 63;
}

/* lzop's header after its magic (lzop's own reading): version, library
 * version, [version needed], method, [level], flags, [filter], mode,
 * mtime, [mtime high], name; then its checksum - Adler-32, or CRC-32 with
 * F_H_CRC32 (0x1000) - over all of it. The magic alone is in every file
 * type database (shared-mime-info's, libmagic's). */
static int sk_lzop_header(const unsigned char *p, size_t n)
{
    size_t i = 13;

    if (n < 9 + 25)
        return 0;
    unsigned ver = (unsigned)(p[9] << 8 | p[10]);
    int v94 = ver >= 0x0940;
    i += v94 ? 3 : 1; /* [version needed], method */
    i += v94;         /* [level] */
    if (n < i + 4)
        return 0;
    uint32_t flags = sk_be32(p + i);
    i += 4 + (flags & 0x800 ? 4 : 0) + 8 + (v94 ? 4 : 0); /* [filter], mode, mtime, [mtime high] */
    if (n < i + 1 || n < i + 1 + p[i] + 4)
        return 0;
    i += 1 + p[i];
    uint32_t want = sk_be32(p + i);
    uint32_t got = flags & 0x1000 ? (uint32_t)crc32(0, p + 9, (uInt)(i - 9))
                                  : (uint32_t)adler32(1, p + 9, (uInt)(i - 9));
    return got == want;
}

int sk_sfx_archive_at(const unsigned char *p, size_t n)
{
    if (n >= 6 && memcmp(p, "7z\xbc\xaf\x27\x1c", 6) == 0) {
        if (n < 32)
            return -1;
        return p[6] == 0 && (uint32_t)crc32(0, p + 12, 20) == sk_le32(p + 8);
    }
    if (n < 7 || memcmp(p, "Rar!\x1a\x07", 6) != 0)
        return 0;
    if (p[6] == 0) { /* rar 1.5-4: the main header (CRC-16, type 0x73, flags, size) */
        if (n < 14)
            return -1;
        unsigned size = (unsigned)(p[12] | p[13] << 8);
        return p[9] == 0x73 && size >= 13 && size <= 4096;
    }
    if (p[6] != 1)
        return 0;
    /* rar 5: 0, then the main header's CRC-32 of its size (a vint) and
     * what that size counts, whose type (a vint) is 1 */
    if (n < 13)
        return -1;
    if (p[7] != 0)
        return 0;
    size_t i = 12, size = 0, shift = 0;
    while (i < n && i < 15 && p[i] & 0x80)
        size |= (size_t)(p[i++] & 0x7f) << shift, shift += 7;
    if (i >= n)
        return n >= SK_SFX_HEAD ? 0 : -1;
    if (i == 15)
        return 0;
    size |= (size_t)p[i++] << shift;
    if (size < 3 || size > 255)
        return 0;
    if (n < i + size)
        return n >= SK_SFX_HEAD ? p[i] == 1 : -1;
    return p[i] == 1 && (uint32_t)crc32(0, p + 12, (uInt)(i - 12 + size)) == sk_le32(p + 8);
}

/* A FAT boot sector's BIOS parameter block: a jump, a sector size of 512
 * to 4096, a power of two sectors per cluster, reserved sectors, one or
 * two FATs, a media byte. */
static int sk_fat_bpb(const unsigned char *p)
{
    unsigned bps = sk_le16(p + 11), spc = p[13];
    return (p[0] == 0xe9 || (p[0] == 0xeb && p[2] == 0x90)) &&
           (bps == 512 || bps == 1024 || bps == 2048 || bps == 4096) && spc && !(spc & (spc - 1)) &&
           sk_le16(p + 14) >= 1 && (p[16] == 1 || p[16] == 2) && (p[21] == 0xf0 || p[21] >= 0xf8);
}

/* An MBR's partition table: every entry's status 0 or 0x80, one entry at
 * least of a type, a start and a size. */
static int sk_mbr(const unsigned char *p)
{
    int used = 0;

    for (int i = 0; i < 4; i++) {
        const unsigned char *e = p + 446 + 16 * i;
        if (e[0] != 0 && e[0] != 0x80)
            return 0;
        used |= e[4] != 0 && sk_le32(e + 8) >= 1 && sk_le32(e + 12) >= 1;
    }
    return used;
}

const char *sk_disk_image(const unsigned char *p, size_t n)
{
    if (n >= 8 && memcmp(p, "conectix", 8) == 0)
        return "a VHD disk image";
    if (n >= 8 && memcmp(p, "vhdxfile", 8) == 0)
        return "a VHDX disk image";
    if (n >= 4 && memcmp(p, "KDMV", 4) == 0)
        return "a VMDK disk image";
    if (n >= 4 && memcmp(p, "QFI\xfb", 4) == 0)
        return "a QCOW disk image";
    if (n >= 68 && sk_le32(p + 64) == 0xbeda107f)
        return "a VirtualBox disk image";
    /* a file system's boot sector, a partition table (one that an ISO
     * 9660 image carries to boot from a USB stick is the ISO's: read) */
    int iso = sk_iso_is(p, n);
    if (n >= 520 && memcmp(p + 512, "EFI PART", 8) == 0 && !iso)
        return "a GPT-partitioned disk image";
    if (n >= 512 && p[510] == 0x55 && p[511] == 0xaa) {
        if (memcmp(p + 3, "NTFS    ", 8) == 0)
            return "an NTFS file system image";
        if (memcmp(p + 3, "EXFAT   ", 8) == 0)
            return "an exFAT file system image";
        if (sk_fat_bpb(p))
            return "a FAT file system image";
        if (sk_mbr(p) && !iso)
            return "an MBR-partitioned disk image";
    }
    /* ext2/3/4: the superblock at 1024 (magic, a block size of 1 to 64
     * KiB, inodes, revision 0 or 1) */
    if (n >= 2048 && sk_le16(p + 1080) == 0xef53 && sk_le32(p + 1048) <= 6 &&
        sk_le32(p + 1024) > 0 && sk_le32(p + 1100) <= 1)
        return "an ext2/3/4 file system image";
    return NULL;
}

enum sk_ctype sk_container_sniff(const unsigned char *p, size_t n)
{
    if (n >= 4 && p[0] == 'P' && p[1] == 'K' && p[2] == 3 && p[3] == 4)
        return SK_CT_ZIP;
    if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
        return SK_CT_GZIP;
    /* little-endian magics: frame 0xFD2FB528, skippable 0x184D2A5?, legacy
     * 0xFD2FB522..0xFD2FB527 */
    if (n >= 4 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd && p[0] >= 0x22 && p[0] <= 0x28)
        return SK_CT_ZSTD;
    if (n >= 4 && (p[0] & 0xf0) == 0x50 && p[1] == 0x2a && p[2] == 0x4d && p[3] == 0x18)
        return SK_CT_ZSTD;
    /* "BZh" and a block size digit; xz's six-byte header magic */
    if (n >= 4 && p[0] == 'B' && p[1] == 'Z' && p[2] == 'h' && p[3] >= '1' && p[3] <= '9')
        return SK_CT_BZIP2;
    if (n >= 6 && memcmp(p,
                         "\xfd"
                         "7zXZ\0",
                         6) == 0)
        return SK_CT_XZ;
    if (n >= 5 && memcmp(p, "LZIP", 4) == 0 && p[4] == 1)
        return SK_CT_LZIP;
    /* lz4 frame, lz4 legacy (-l) */
    if (n >= 4 && (memcmp(p, "\x04\x22\x4d\x18", 4) == 0 || memcmp(p, "\x02\x21\x4c\x18", 4) == 0))
        return SK_CT_LZ4;
    if (n >= 3 && p[0] == 0x1f && p[1] == 0x9d && (p[2] & 0x1f) >= 9 && (p[2] & 0x1f) <= 16)
        return SK_CT_COMPRESS;
    if (sk_container_lzma_alone(p, n))
        return SK_CT_LZMA;
    if (n >= 6 && memcmp(p, "7z\xbc\xaf\x27\x1c", 6) == 0)
        return SK_CT_7Z;
    if (n >= 6 && memcmp(p, "Rar!\x1a\x07", 6) == 0)
        return SK_CT_RAR;
    if (sk_container_zlib(p, n))
        return SK_CT_ZLIB;
    return SK_CT_NONE;
}

const char *sk_container_unread(const unsigned char *p, size_t n)
{
    static const char *const sqfs[7] = {NULL,
                                        "a squashfs image (gzip)",
                                        "a squashfs image (lzma)",
                                        "a squashfs image (lzo)",
                                        NULL,
                                        "a squashfs image (lz4)",
                                        NULL};

    if (n >= 9 && memcmp(p, "\x89LZO\0\r\n\x1a\n", 9) == 0 && sk_lzop_header(p, n))
        return "an lzop file";
    /* a Windows imaging (WIM) file: its files are resources, XPRESS, LZX
     * or LZMS chunks (or stored), that no reader here takes apart (7z
     * and wimlib do) */
    if (n >= 20 && memcmp(p, "MSWIM\0\0\0", 8) == 0) {
        uint32_t fl =
            (uint32_t)p[16] | (uint32_t)p[17] << 8 | (uint32_t)p[18] << 16 | (uint32_t)p[19] << 24;
        return !(fl & 0x2)    ? "a WIM image (stored)"
               : fl & 0x80000 ? "a WIM image (LZMS)"
               : fl & 0x40000 ? "a WIM image (LZX)"
                              : "a WIM image (XPRESS)";
    }
    /* cramfs, either byte order: zlib-compressed pages */
    if (n >= 32 &&
        (memcmp(p, "\x45\x3d\xcd\x28", 4) == 0 || memcmp(p, "\x28\xcd\x3d\x45", 4) == 0) &&
        memcmp(p + 16, "Compressed ROMFS", 16) == 0)
        return "a cramfs image";
    if (n < 32 || (memcmp(p, "hsqs", 4) != 0 && memcmp(p, "sqsh", 4) != 0))
        return NULL;
    /* version 4 (little-endian only): compression 1..6, a block size of
     * 4 KiB..1 MiB that is 2^block_log; versions 1-3 (either byte order)
     * are zlib only */
    int le = p[0] == 'h';
    unsigned major = le ? (unsigned)(p[28] | p[29] << 8) : (unsigned)(p[28] << 8 | p[29]);
    if (major >= 1 && major <= 3)
        return "a squashfs image (zlib, version 3 or older)";
    unsigned comp = (unsigned)(p[20] | p[21] << 8), blog = (unsigned)(p[22] | p[23] << 8);
    uint32_t bsize =
        (uint32_t)p[12] | (uint32_t)p[13] << 8 | (uint32_t)p[14] << 16 | (uint32_t)p[15] << 24;
    if (!le || major != 4 || comp > 6 || blog < 12 || blog > 20 || bsize != (uint32_t)1 << blog)
        return NULL;
    return sqfs[comp];
}

enum sk_coding sk_container_coding(enum sk_ctype t)
{
    switch (t) {
    case SK_CT_GZIP:
        return SK_CODING_GZIP;
    case SK_CT_ZSTD:
        return SK_CODING_ZSTD;
    case SK_CT_BZIP2:
        return SK_CODING_BZIP2;
    case SK_CT_XZ:
        return SK_CODING_XZ;
    case SK_CT_LZMA:
        return SK_CODING_LZMA;
    case SK_CT_LZIP:
        return SK_CODING_LZIP;
    case SK_CT_LZ4:
        return SK_CODING_LZ4;
    case SK_CT_COMPRESS:
        return SK_CODING_COMPRESS;
    case SK_CT_ZLIB:
        return SK_CODING_DEFLATE;
    default:
        return 0;
    }
}

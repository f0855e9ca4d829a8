/* sk_cpio.c - the members of a cpio archive and of an ISO 9660 image
 * (sekisho/decode.h): archives whose members lie in them as they are
 * (an RPM's or an initramfs's payload, a disc image). libclamav scans
 * those members in place, as views it does not hand to anyone; the walk
 * needs each member's own start and end (a .lzma or a zlib stream is
 * told only at its start) and its text.
 * SECURITY: client bytes, read only. Every size is checked against the
 * bytes there are; a cpio is walked header by header (each consumes at
 * least its header), an ISO's directories are read to a bounded depth
 * and count, each directory extent once.
 */
#include <stdlib.h>
#include <string.h>

#include "sekisho/decode.h"
#include "sk_util.h"

/* ---- cpio: new ASCII (070701, 070702), old ASCII (070707), binary ---- */

static int sk_cpio_num(const unsigned char *p, size_t len, int base, uint64_t *v)
{
    *v = 0;
    for (size_t i = 0; i < len; i++) {
        int d = p[i] >= '0' && p[i] <= '9'                 ? p[i] - '0'
                : base == 16 && p[i] >= 'a' && p[i] <= 'f' ? p[i] - 'a' + 10
                : base == 16 && p[i] >= 'A' && p[i] <= 'F' ? p[i] - 'A' + 10
                                                           : -1;
        if (d < 0 || d >= base)
            return -1;
        *v = *v * (uint64_t)base + (uint64_t)d;
    }
    return 0;
}

/* The cpio format of the header at P: 1 new ASCII, 2 old ASCII, 3 binary
 * little-endian, 4 binary big-endian, 0 none. */
static int sk_cpio_kind(const unsigned char *p, size_t n)
{
    if (n >= 6 && (memcmp(p, "070701", 6) == 0 || memcmp(p, "070702", 6) == 0))
        return 1;
    if (n >= 6 && memcmp(p, "070707", 6) == 0)
        return 2;
    if (n >= 2 && p[0] == 0xc7 && p[1] == 0x71)
        return 3;
    if (n >= 2 && p[0] == 0x71 && p[1] == 0xc7)
        return 4;
    return 0;
}

/* The header at H (LEFT bytes): its kind *K, length *HL, name size and
 * data size. 0, SK_AR_SHORT, SK_AR_CORRUPT (an ASCII header with a field
 * that is not all digits of its base, a binary one whose mode is no file
 * type, a name size of 0 or past 4096, no magic). */
static int sk_cpio_head(const unsigned char *h, size_t left, int *k, size_t *hl, uint64_t *namesize,
                        uint64_t *size)
{
    uint64_t v;

    if (!(*k = sk_cpio_kind(h, left)))
        return SK_AR_CORRUPT;
    if (*k <= 2) {
        int odc = *k == 2;
        *hl = odc ? 76 : 110;
        if (left < *hl)
            return SK_AR_SHORT;
        /* every field (13 of 8 hex digits; 11 of 6 and 11 octal ones) */
        if (sk_cpio_num(h + 6, *hl - 6, odc ? 8 : 16, &v) == -1)
            return SK_AR_CORRUPT;
        if (odc) {
            sk_cpio_num(h + 59, 6, 8, namesize);
            sk_cpio_num(h + 65, 11, 8, size);
        } else {
            sk_cpio_num(h + 94, 8, 16, namesize);
            sk_cpio_num(h + 54, 8, 16, size);
        }
    } else {
        *hl = 26;
        if (left < *hl)
            return SK_AR_SHORT;
        int le = *k == 3;
#define SK_CPIO_W(i)                                                                               \
    (le ? (unsigned)h[i] | (unsigned)h[i + 1] << 8 : (unsigned)h[i] << 8 | h[i + 1])
        unsigned type = SK_CPIO_W(6) & 0170000;
        *namesize = SK_CPIO_W(20);
        *size = (uint64_t)SK_CPIO_W(22) << 16 | SK_CPIO_W(24);
#undef SK_CPIO_W
        /* the magic is two bytes: the mode must be a file type (or 0, the
         * trailer's) */
        if (type != 0 && type != 0100000 && type != 0040000 && type != 0120000 && type != 0020000 &&
            type != 0060000 && type != 0010000 && type != 0140000)
            return SK_AR_CORRUPT;
    }
    return *namesize == 0 || *namesize > 4096 ? SK_AR_CORRUPT : 0;
}

int sk_cpio_is(const unsigned char *p, size_t n)
{
    int k;
    size_t hl;
    uint64_t namesize, size;

    /* a whole first header, its name ending in a NUL when it is there */
    return sk_cpio_head(p, n, &k, &hl, &namesize, &size) == 0 &&
           (n < hl + namesize || p[hl + namesize - 1] == '\0');
}

int sk_cpio_each(const unsigned char *p, size_t n, sk_ar_member_fn fn, void *arg)
{
    size_t at = 0;

    while (at < n) {
        const unsigned char *h = p + at;
        size_t left = n - at, hl;
        uint64_t namesize, size;
        int k, rc = sk_cpio_head(h, left, &k, &hl, &namesize, &size);
        if (rc != 0)
            return rc;
        size_t name_end = hl + (size_t)namesize;
        /* new ASCII pads header + name and the data to 4, binary to 2 */
        size_t pad = k == 1 ? 4 : k >= 3 ? 2 : 1;
        size_t data = (name_end + pad - 1) / pad * pad;
        if (left < name_end)
            return SK_AR_SHORT;
        char name[256];
        size_t nl =
            (size_t)namesize - 1 < sizeof(name) - 1 ? (size_t)namesize - 1 : sizeof(name) - 1;
        memcpy(name, h + hl, nl);
        name[nl] = '\0';
        if (strcmp(name, "TRAILER!!!") == 0)
            return SK_AR_OK;
        size_t avail = left > data ? left - data : 0;
        size_t take = size < avail ? (size_t)size : avail;
        if (take && fn(arg, name, h + data, take) == -1)
            return SK_AR_STOP;
        if (size > avail)
            return SK_AR_SHORT;
        at += data + ((size_t)size + pad - 1) / pad * pad;
    }
    return SK_AR_SHORT; /* no trailer */
}

/* ---- ISO 9660 ---- */

#define SK_ISO_PVD   0x8000
#define SK_ISO_DEPTH 16
#define SK_ISO_DIRS  1024
#define SK_ISO_FILES 4096 /* file extents remembered (a second tree names the same files) */
#define SK_ISO_VDS   64   /* volume descriptors read */

struct sk_iso {
    const unsigned char *p;
    size_t n, bs;
    sk_ar_member_fn fn;
    void *arg;
    unsigned dirs;
    int ucs2;                     /* a Joliet tree: names in UCS-2 */
    uint32_t seen[SK_ISO_DIRS];   /* directory extents read */
    uint32_t files[SK_ISO_FILES]; /* file extents read, plus one (0: free), hashed */
};

/* 1 when the file at extent X was read already (else it is now). */
static int sk_iso_file_seen(struct sk_iso *s, uint32_t x)
{
    uint32_t k = x + 1, h = (k * 2654435761u) % SK_ISO_FILES;

    for (unsigned i = 0; i < SK_ISO_FILES; i++, h = (h + 1) % SK_ISO_FILES) {
        if (s->files[h] == k)
            return 1;
        if (s->files[h] == 0) {
            s->files[h] = k;
            return 0;
        }
    }
    return 0; /* full: read it again */
}

int sk_iso_is(const unsigned char *p, size_t n)
{
    return n >= SK_ISO_PVD + 2048 && p[SK_ISO_PVD] == 1 &&
           memcmp(p + SK_ISO_PVD + 1, "CD001", 5) == 0;
}

/* The directory whose extent is LBA, LEN bytes: each file to FN, each
 * directory in it read in turn. 0, SK_AR_STOP, SK_AR_CORRUPT. */
static int sk_iso_dir(struct sk_iso *s, uint32_t lba, uint32_t len, int depth)
{
    if (depth > SK_ISO_DEPTH || s->dirs >= SK_ISO_DIRS)
        return SK_AR_CORRUPT;
    for (unsigned i = 0; i < s->dirs; i++)
        if (s->seen[i] == lba)
            return 0; /* read already (a loop, or a second name for it) */
    s->seen[s->dirs++] = lba;
    uint64_t start = (uint64_t)lba * s->bs;
    if (start >= s->n)
        return SK_AR_CORRUPT;
    size_t end = len > s->n - start ? s->n : (size_t)(start + len);
    for (size_t at = (size_t)start; at < end;) {
        const unsigned char *r = s->p + at;
        size_t rl = r[0];
        if (rl == 0) { /* the rest of this sector is padding */
            at = (at / s->bs + 1) * s->bs;
            continue;
        }
        if (rl < 34 || at + rl > end || 33 + (size_t)r[32] > rl)
            return SK_AR_CORRUPT;
        uint32_t x = sk_le32(r + 2), xl = sk_le32(r + 10);
        int dot = r[32] == 1 && (r[33] == 0 || r[33] == 1);
        at += rl;
        if (dot)
            continue;
        if (r[25] & 2) {
            int rc = sk_iso_dir(s, x, xl, depth + 1);
            if (rc != 0)
                return rc;
            continue;
        }
        char name[256];
        size_t nl = 0;
        for (size_t i = s->ucs2; i < r[32] && nl < sizeof(name) - 1; i += 1 + (size_t)s->ucs2)
            name[nl++] = (char)r[33 + i];
        name[nl] = '\0';
        uint64_t fs = (uint64_t)x * s->bs;
        if (xl == 0 || fs >= s->n || sk_iso_file_seen(s, x))
            continue; /* empty, beyond the image (cut short), or read already */
        size_t take = xl < s->n - fs ? xl : (size_t)(s->n - fs);
        if (s->fn(s->arg, name, s->p + fs, take) == -1)
            return SK_AR_STOP;
    }
    return 0;
}

/* ---- UDF (ECMA-167, OSTA UDF 1.02-2.01) beside ISO 9660 ----
 * A UDF bridge image holds both trees; a file the UDF tree names and the
 * ISO 9660 trees do not (genisoimage -udf -hide) is what Windows shows
 * when it mounts the image (red team s24: an HTML smuggling page and a
 * .lzma passed): the UDF tree is read too, each file whose data no ISO
 * 9660 entry pointed at. Type 1 partition maps only (a metadata partition,
 * UDF 2.50: not read); 2048-byte sectors. */

#define SK_UDF_AVDP 256 /* the anchor volume descriptor pointer's sector */

struct sk_udf {
    struct sk_iso *s;
    uint32_t part[4]; /* each partition map's partition start (sectors) */
    unsigned nparts;
};

/* Sector SEC of the image, or NULL (beyond it). */
static const unsigned char *sk_udf_sector(const struct sk_iso *s, uint64_t sec)
{
    return s->n >= 2048 && sec <= (s->n - 2048) / 2048 ? s->p + sec * 2048 : NULL;
}

/* The descriptor at sector SEC with tag id ID, or NULL. */
static const unsigned char *sk_udf_desc(const struct sk_iso *s, uint64_t sec, unsigned id)
{
    const unsigned char *d = sk_udf_sector(s, sec);
    return d && sk_le16(d) == id ? d : NULL;
}

/* The file entry at sector SEC: a File Entry (tag 261) or an Extended one
 * (266), or NULL. */
static const unsigned char *sk_udf_entry(const struct sk_iso *s, uint64_t sec)
{
    const unsigned char *fe = sk_udf_desc(s, sec, 261);
    return fe ? fe : sk_udf_desc(s, sec, 266);
}

/* The bytes of the file entry FE (tag 261 or 266) to FN, or, DIR, read as
 * a directory. */
static int sk_udf_file(struct sk_udf *u, const unsigned char *fe, uint16_t ref, const char *name,
                       int dir, int depth);

/* A directory's data D[0..N): each file identifier's entry, in turn. */
static int sk_udf_dir(struct sk_udf *u, const unsigned char *d, size_t n, int depth)
{
    for (size_t at = 0; at + 38 <= n;) {
        const unsigned char *f = d + at;
        if (sk_le16(f) != 257)
            return SK_AR_CORRUPT;
        size_t lfi = f[19], liu = sk_le16(f + 36), len = (38 + liu + lfi + 3) & ~(size_t)3;
        if (at + 38 + liu + lfi > n)
            return SK_AR_CORRUPT;
        unsigned ch = f[18];
        uint32_t lbn = sk_le32(f + 24);
        uint16_t pr = sk_le16(f + 28);
        at += len;
        if (ch & 0x0c) /* deleted, or the parent */
            continue;
        char name[256];
        size_t nl = 0;
        const unsigned char *id = f + 38 + liu;
        if (lfi > 0)
            for (size_t i = 1; i < lfi && nl < sizeof(name) - 1; i += id[0] == 16 ? 2 : 1)
                name[nl++] = (char)(id[0] == 16 && i + 1 < lfi ? id[i + 1] : id[i]);
        name[nl] = '\0';
        if (pr >= u->nparts)
            return SK_AR_CORRUPT;
        const unsigned char *fe = sk_udf_entry(u->s, (uint64_t)u->part[pr] + lbn);
        if (!fe)
            return SK_AR_CORRUPT;
        int rc = sk_udf_file(u, fe, pr, name, (ch & 0x02) != 0, depth + 1);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int sk_udf_file(struct sk_udf *u, const unsigned char *fe, uint16_t ref, const char *name,
                       int dir, int depth)
{
    struct sk_iso *s = u->s;
    int ext = sk_le16(fe) == 266;
    size_t lea = sk_le32(fe + (ext ? 208 : 168)), lad = sk_le32(fe + (ext ? 212 : 172));
    size_t ad0 = (ext ? 216 : 176) + lea;
    uint64_t size = (uint64_t)sk_le32(fe + 56) | (uint64_t)sk_le32(fe + 60) << 32;
    unsigned type = sk_le16(fe + 34) & 7;
    unsigned char *buf = NULL; /* scattered extents, joined */
    const unsigned char *data = NULL;
    size_t len = 0, cap = size < s->n ? (size_t)size : s->n;
    int rc = 0;

    if (depth > SK_ISO_DEPTH || lea > 2048 || ad0 > 2048 || lad > 2048 - ad0)
        return SK_AR_CORRUPT;
    const unsigned char *ad = fe + ad0;
    if (type == 3) { /* the data in the entry itself */
        data = ad, len = size < lad ? (size_t)size : lad;
    } else if (type == 0 || type == 1) {
        size_t step = type == 0 ? 8 : 16;
        uint64_t first = 0;
        for (size_t k = 0; k + step <= lad && len < cap; k += step) {
            uint32_t el = sk_le32(ad + k), lbn = sk_le32(ad + k + 4);
            uint16_t pr = type == 1 ? sk_le16(ad + k + 8) : ref;
            if ((el >> 30) == 3 || pr >= u->nparts) {
                free(buf);
                return SK_AR_CORRUPT; /* a continuation of the descriptors: not read */
            }
            el &= 0x3fffffff;
            if (el == 0)
                break;
            uint64_t at = ((uint64_t)u->part[pr] + lbn) * 2048;
            if (at >= s->n)
                break; /* beyond the image (cut short) */
            size_t take = el < s->n - at ? el : (size_t)(s->n - at);
            if (take > cap - len)
                take = cap - len;
            if (k == 0) {
                first = at;
            } else if (!buf && at != first + len) { /* scattered: joined */
                if (!(buf = malloc(cap)))
                    return SK_AR_STOP;
                memcpy(buf, s->p + first, len);
            }
            if (buf)
                memcpy(buf + len, s->p + at, take);
            len += take;
        }
        data = buf ? buf : s->p + first;
        if (len && !buf && sk_iso_file_seen(s, (uint32_t)(first / s->bs)))
            return 0; /* an ISO 9660 entry's data: read already */
    } else {
        return SK_AR_CORRUPT;
    }
    if (dir) {
        if (s->dirs >= SK_ISO_DIRS)
            rc = SK_AR_CORRUPT;
        else if (s->dirs++, len)
            rc = sk_udf_dir(u, data, len, depth);
    } else if (len && s->fn(s->arg, name, data, len) == -1) {
        rc = SK_AR_STOP;
    }
    free(buf);
    return rc;
}

/* The UDF tree of the image S holds, if any: 0, SK_AR_STOP, SK_AR_CORRUPT. */
static int sk_udf_each(struct sk_iso *s)
{
    const unsigned char *a = sk_udf_desc(s, SK_UDF_AVDP, 2);
    if (!a)
        return 0; /* none */
    struct sk_udf u = {.s = s};
    uint32_t vl = sk_le32(a + 16), vs = sk_le32(a + 20);
    const unsigned char *lvd = NULL;
    uint32_t pstart[16], pn[16];
    unsigned npd = 0;
    for (uint32_t k = 0; k < vl / 2048 && k < SK_ISO_VDS; k++) {
        const unsigned char *d = sk_udf_sector(s, (uint64_t)vs + k);
        if (!d)
            return SK_AR_CORRUPT;
        unsigned id = sk_le16(d);
        if (id == 8)
            break;
        if (id == 5 && npd < 16)
            pn[npd] = sk_le16(d + 22), pstart[npd++] = sk_le32(d + 188);
        if (id == 6 && !lvd)
            lvd = d;
    }
    if (!lvd || npd == 0 || sk_le32(lvd + 212) != 2048)
        return SK_AR_CORRUPT;
    /* the partition maps: type 1 only */
    uint32_t maps = sk_le32(lvd + 268), mtl = sk_le32(lvd + 264);
    if (mtl > 2048 - 440)
        return SK_AR_CORRUPT;
    for (size_t at = 0, m = 0; m < maps && at + 2 <= mtl; m++) {
        const unsigned char *pm = lvd + 440 + at;
        if (pm[0] != 1 || pm[1] != 6 || u.nparts >= 4 || at + 6 > mtl)
            return SK_AR_CORRUPT; /* a virtual, sparable or metadata partition */
        unsigned i = 0;
        while (i < npd && pn[i] != sk_le16(pm + 4))
            i++;
        if (i == npd)
            return SK_AR_CORRUPT;
        u.part[u.nparts++] = pstart[i];
        at += pm[1];
    }
    /* the file set descriptor, then its root directory */
    uint16_t fr = sk_le16(lvd + 256);
    if (fr >= u.nparts)
        return SK_AR_CORRUPT;
    const unsigned char *fsd = sk_udf_desc(s, (uint64_t)u.part[fr] + sk_le32(lvd + 252), 256);
    if (!fsd)
        return SK_AR_CORRUPT;
    uint16_t rr = sk_le16(fsd + 408);
    if (rr >= u.nparts)
        return SK_AR_CORRUPT;
    uint64_t rs = (uint64_t)u.part[rr] + sk_le32(fsd + 404);
    const unsigned char *root = sk_udf_entry(s, rs);
    return root ? sk_udf_file(&u, root, rr, "", 1, 0) : SK_AR_CORRUPT;
}

int sk_iso_each(const unsigned char *p, size_t n, sk_ar_member_fn fn, void *arg)
{
    struct sk_iso s = {0};

    if (!sk_iso_is(p, n))
        return SK_AR_CORRUPT;
    const unsigned char *v = p + SK_ISO_PVD;
    size_t bs = (size_t)v[128] | (size_t)v[129] << 8;
    if (bs != 2048 && bs != 512 && bs != 1024)
        return SK_AR_CORRUPT;
    s.p = p, s.n = n, s.bs = bs, s.fn = fn, s.arg = arg;
    /* the primary volume's tree and every supplementary one (Joliet: what
     * Windows shows; a tree may name files the other does not) */
    int trees = 0;
    for (unsigned k = 0; k < SK_ISO_VDS; k++) {
        size_t at = SK_ISO_PVD + (size_t)k * 2048;
        if (at + 2048 > n || memcmp(p + at + 1, "CD001", 5) != 0 || p[at] == 255)
            break;
        if (p[at] != 1 && p[at] != 2)
            continue;
        const unsigned char *root = p + at + 156;
        if (root[0] < 34)
            return SK_AR_CORRUPT;
        s.ucs2 = p[at] == 2 && p[at + 88] == '%' && p[at + 89] == '/';
        int rc = sk_iso_dir(&s, sk_le32(root + 2), sk_le32(root + 10), 0);
        if (rc != 0)
            return rc;
        trees++;
    }
    if (!trees)
        return SK_AR_CORRUPT;
    int rc = s.bs == 2048 ? sk_udf_each(&s) : 0;
    return rc ? rc : SK_AR_OK;
}

/* sk_ole2.c - Compound File Binary (OLE2) reader (sekisho/ole2.h, MS-CFB).
 * Design notes: README.md beside this file ("OLE2 compound files").
 * SECURITY: every byte is client-controlled. The FAT, miniFAT and
 * directory are read by chains whose every sector number is checked
 * against the FAT and the file, with a visited bitmap (a cycle is
 * SK_OLE2_BROKEN) and a length bound; a stream's chain must be exactly as
 * long as its size needs. Tables are at most as large as the held file;
 * stream output is bounded by the caller's limits. The storage tree is
 * walked with an explicit queue (each entry once), never recursively. */
#include <stdlib.h>
#include <string.h>

#include <sekisho/ole2.h>

#include "sk_util.h"

#define SK_OLE2_DEF_ENTRIES 1000000
#define SK_OLE2_DEF_OUT     ((uint64_t)64 << 20)
#define SK_OLE2_DEF_TOTAL   ((uint64_t)256 << 20)
#define SK_OLE2_MAXREG      0xFFFFFFFAu /* sector numbers above are markers */
#define SK_OLE2_ENDCHAIN    0xFFFFFFFEu
#define SK_OLE2_FREESECT    0xFFFFFFFFu
#define SK_OLE2_CUTOFF      4096u /* MS-CFB: streams under it are in the mini stream */
#define SK_OLE2_MINI        64u
#define SK_OLE2_NOSTREAM    0xFFFFFFFFu

struct sk_ole2 {
    const unsigned char *p;
    size_t n;
    unsigned shift; /* 9 or 12 */
    size_t ssz;     /* sector size */
    size_t nsect;   /* sectors in the file (a short last one counts) */
    uint32_t *fat;
    size_t nfat;
    uint32_t *minifat;
    size_t nminifat;
    unsigned char *mini; /* the mini stream, read when first needed */
    size_t nmini;
    int mini_read;
    struct sk_ole2_entry *ent;
    uint32_t *start; /* each entry's first sector */
    size_t nent;
    size_t nseen;
    uint32_t *seen; /* per table entry: the walk that last visited it */
    uint32_t walk;  /* the current walk's stamp */
    uint64_t max_out, max_total, total;
    const char *why;
};

int sk_ole2_is(const unsigned char *p, size_t n)
{
    static const unsigned char sig[8] = {0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1};

    return n >= 8 && memcmp(p, sig, 8) == 0;
}

static enum sk_ole2_rc sk_ole2_broken(struct sk_ole2 *o, const char *why)
{
    o->why = why;
    return SK_OLE2_BROKEN;
}

/* The bytes of sector S (a short last sector is what the file holds), or
 * NULL when S is no sector of the file. */
static const unsigned char *sk_ole2_sector(const struct sk_ole2 *o, uint32_t s, size_t *len)
{
    if (s >= SK_OLE2_MAXREG || (size_t)s >= o->nsect)
        return NULL;
    size_t off = ((size_t)s + 1) << o->shift;
    *len = o->n - off < o->ssz ? o->n - off : o->ssz;
    return o->p + off;
}

/* Walk a chain from START in TABLE (N entries) for at most MAX links,
 * calling EACH with every sector; stops at ENDOFCHAIN. A link past the
 * table, a repeated sector (cycle) or more than MAX links is broken. The
 * number of links, or -1. */
static long sk_ole2_chain(struct sk_ole2 *o, const uint32_t *table, size_t n, uint32_t start,
                          size_t max, int (*each)(void *, uint32_t), void *arg)
{
    size_t k = 0;

    /* a stamp per walk, not a cleared bitmap: a million small streams
     * must not cost a million passes over the table */
    if (++o->walk == 0) {
        memset(o->seen, 0, o->nseen * sizeof(*o->seen));
        o->walk = 1;
    }
    for (uint32_t s = start; s != SK_OLE2_ENDCHAIN; s = table[s], k++) {
        if (s >= n || k >= max) {
            o->why = s >= n ? "a sector number out of range" : "a chain longer than its size";
            return -1;
        }
        if (o->seen[s] == o->walk) {
            o->why = "a sector chain with a cycle";
            return -1;
        }
        o->seen[s] = o->walk;
        if (each && each(arg, s) == -1)
            return -1;
    }
    return (long)k;
}

/* Collects sectors' bytes into a buffer (FAT chains: whole sectors). */
struct sk_ole2_copy {
    struct sk_ole2 *o;
    unsigned char *out;
    size_t len, want;
    const unsigned char *src; /* mini: the mini stream */
    size_t srcn;
};

static int sk_ole2_copy_sect(void *arg, uint32_t s)
{
    struct sk_ole2_copy *c = arg;
    size_t len;
    const unsigned char *p = sk_ole2_sector(c->o, s, &len);

    if (!p) {
        c->o->why = "a sector beyond the end of the file";
        return -1;
    }
    size_t take = c->want - c->len < len ? c->want - c->len : len;
    memcpy(c->out + c->len, p, take);
    c->len += take;
    return 0;
}

static int sk_ole2_copy_mini(void *arg, uint32_t s)
{
    struct sk_ole2_copy *c = arg;
    size_t off = (size_t)s * SK_OLE2_MINI;

    if (off >= c->srcn) {
        c->o->why = "a mini sector beyond the mini stream";
        return -1;
    }
    size_t len = c->srcn - off < SK_OLE2_MINI ? c->srcn - off : SK_OLE2_MINI;
    size_t take = c->want - c->len < len ? c->want - c->len : len;
    memcpy(c->out + c->len, c->src + off, take);
    c->len += take;
    return 0;
}

/* Read WANT bytes by the FAT chain from START: exactly as many sectors as
 * WANT needs. *OUT malloc'd. */
static enum sk_ole2_rc sk_ole2_fat_read(struct sk_ole2 *o, uint32_t start, size_t want,
                                        unsigned char **out)
{
    size_t need = (want + o->ssz - 1) >> o->shift;
    struct sk_ole2_copy c = {.o = o, .want = want};

    *out = NULL;
    if (need > o->nsect || need > o->nfat)
        return sk_ole2_broken(o, "a stream larger than the file");
    if (!(c.out = malloc(want ? want : 1)))
        return SK_OLE2_NOMEM;
    long k = sk_ole2_chain(o, o->fat, o->nfat, need ? start : SK_OLE2_ENDCHAIN, need,
                           sk_ole2_copy_sect, &c);
    if (k >= 0 && (size_t)k < need)
        o->why = "a chain shorter than its size", k = -1;
    if (k >= 0 && c.len < want)
        o->why = "a stream cut short by the end of the file", k = -1;
    if (k < 0) {
        free(c.out);
        return SK_OLE2_BROKEN;
    }
    *out = c.out;
    return SK_OLE2_OK;
}

/* The FAT sector numbers: the header's 109 DIFAT entries, then the DIFAT
 * sectors' chain (each sector's last entry names the next). */
static enum sk_ole2_rc sk_ole2_difat(struct sk_ole2 *o, uint32_t **out, size_t nfatsect)
{
    const unsigned char *h = o->p;
    uint32_t ndifat = sk_le32(h + 0x48), s = sk_le32(h + 0x44);
    size_t per = o->ssz / 4 - 1, k = 0;
    uint32_t *v;

    if (nfatsect > o->nsect || ndifat > o->nsect)
        return sk_ole2_broken(o, "a FAT larger than the file");
    if (!(v = malloc((nfatsect ? nfatsect : 1) * sizeof(*v))))
        return SK_OLE2_NOMEM;
    for (size_t i = 0; i < 109 && k < nfatsect; i++)
        v[k++] = sk_le32(h + 0x4C + 4 * i);
    /* at most NDIFAT sectors (bounded by the file), so no cycle runs on */
    for (uint32_t d = 0; k < nfatsect; d++) {
        size_t len;
        const unsigned char *p = d < ndifat ? sk_ole2_sector(o, s, &len) : NULL;
        if (!p || len < o->ssz) {
            free(v);
            return sk_ole2_broken(o, "a DIFAT shorter than the FAT");
        }
        for (size_t i = 0; i < per && k < nfatsect; i++)
            v[k++] = sk_le32(p + 4 * i);
        s = sk_le32(p + 4 * per);
    }
    *out = v;
    return SK_OLE2_OK;
}

static enum sk_ole2_rc sk_ole2_fat(struct sk_ole2 *o)
{
    size_t nfatsect = sk_le32(o->p + 0x2C), per = o->ssz / 4;
    uint32_t *secs;
    enum sk_ole2_rc rc = sk_ole2_difat(o, &secs, nfatsect);

    if (rc != SK_OLE2_OK)
        return rc;
    o->nfat = nfatsect * per;
    /* the miniFAT is at most NSECT sectors too */
    o->nseen = o->nsect * per > o->nfat ? o->nsect * per : o->nfat;
    if (!(o->fat = malloc((o->nfat ? o->nfat : 1) * sizeof(*o->fat))) ||
        !(o->seen = calloc(o->nseen + 1, sizeof(*o->seen)))) {
        free(secs);
        return SK_OLE2_NOMEM;
    }
    for (size_t i = 0; i < nfatsect; i++) {
        size_t len;
        const unsigned char *p = sk_ole2_sector(o, secs[i], &len);
        if (!p || len < o->ssz) {
            free(secs);
            return sk_ole2_broken(o, "a FAT sector out of range");
        }
        for (size_t j = 0; j < per; j++)
            o->fat[i * per + j] = sk_le32(p + 4 * j);
    }
    free(secs);
    return SK_OLE2_OK;
}

static enum sk_ole2_rc sk_ole2_minifat(struct sk_ole2 *o)
{
    uint32_t start = sk_le32(o->p + 0x3C), count = sk_le32(o->p + 0x40);
    unsigned char *b;
    enum sk_ole2_rc rc;

    if (count == 0 || start == SK_OLE2_ENDCHAIN)
        return SK_OLE2_OK;
    if (count > o->nsect)
        return sk_ole2_broken(o, "a miniFAT larger than the file");
    if ((rc = sk_ole2_fat_read(o, start, (size_t)count << o->shift, &b)) != SK_OLE2_OK)
        return rc;
    o->nminifat = ((size_t)count << o->shift) / 4;
    if (!(o->minifat = malloc(o->nminifat * sizeof(*o->minifat)))) {
        free(b);
        return SK_OLE2_NOMEM;
    }
    for (size_t i = 0; i < o->nminifat; i++)
        o->minifat[i] = sk_le32(b + 4 * i);
    free(b);
    return SK_OLE2_OK;
}

/* A UTF-16LE name of LEN bytes (its terminator included) as UTF-8. */
static void sk_ole2_name(const unsigned char *p, unsigned len, char *out)
{
    size_t k = 0;

    if (len > 64)
        len = 64;
    for (unsigned i = 0; i + 1 < len; i += 2) {
        unsigned c = sk_le16(p + i);
        if (c == 0)
            break;
        if (c < 0x80) {
            out[k++] = (char)c;
        } else if (c < 0x800) {
            out[k++] = (char)(0xC0 | c >> 6), out[k++] = (char)(0x80 | (c & 0x3F));
        } else {
            out[k++] = (char)(0xE0 | c >> 12), out[k++] = (char)(0x80 | ((c >> 6) & 0x3F));
            out[k++] = (char)(0x80 | (c & 0x3F));
        }
    }
    out[k] = '\0';
}

/* Parents: the root's child tree, then each storage's, by a queue over
 * storages (each entry is entered once: a tree with a cycle or an entry
 * in two trees ends there). */
static enum sk_ole2_rc sk_ole2_tree(struct sk_ole2 *o, const uint32_t *left, const uint32_t *right,
                                    const uint32_t *child)
{
    uint32_t *queue = malloc(o->nent * sizeof(*queue)), *stack = malloc(o->nent * sizeof(*stack));
    unsigned char *in = calloc(o->nent, 1);
    size_t qh = 0, qt = 0;

    if (!queue || !stack || !in) {
        free(queue), free(stack), free(in);
        return SK_OLE2_NOMEM;
    }
    in[0] = 1, queue[qt++] = 0;
    while (qh < qt) {
        uint32_t st = queue[qh++];
        size_t sp = 0;
        if (child[st] < o->nent && !in[child[st]])
            in[child[st]] = 1, stack[sp++] = child[st];
        while (sp) {
            uint32_t e = stack[--sp];
            o->ent[e].parent = st;
            if (o->ent[e].type == SK_OLE2_STORAGE)
                queue[qt++] = e;
            uint32_t lr[2] = {left[e], right[e]};
            for (int k = 0; k < 2; k++)
                if (lr[k] < o->nent && !in[lr[k]])
                    in[lr[k]] = 1, stack[sp++] = lr[k];
        }
    }
    free(queue), free(stack), free(in);
    return SK_OLE2_OK;
}

static enum sk_ole2_rc sk_ole2_dir(struct sk_ole2 *o, size_t max_entries)
{
    uint32_t start = sk_le32(o->p + 0x30);
    struct sk_ole2_copy c = {.o = o};
    enum sk_ole2_rc rc = SK_OLE2_BROKEN;

    /* the directory has no size: its chain runs to ENDOFCHAIN, at most
     * the file's sectors (and max_entries) */
    size_t maxsect = (max_entries * 128 + o->ssz - 1) / o->ssz + 1;
    int by_limit = maxsect < o->nsect;
    if (!by_limit)
        maxsect = o->nsect;
    c.want = maxsect * o->ssz;
    if (!(c.out = malloc(c.want ? c.want : 1)))
        return SK_OLE2_NOMEM;
    long k = sk_ole2_chain(o, o->fat, o->nfat, start, maxsect, sk_ole2_copy_sect, &c);
    if (k < 0 && by_limit && (size_t)c.len >= maxsect * o->ssz) {
        o->why = "a directory with more entries than the limit";
        rc = SK_OLE2_LIMIT;
        goto out;
    }
    if (k < 0)
        goto out;
    o->nent = c.len / 128;
    if (o->nent > max_entries) {
        o->why = "a directory with more entries than the limit";
        rc = SK_OLE2_LIMIT;
        goto out;
    }
    if (o->nent == 0 || c.out[66] != SK_OLE2_ROOT) {
        o->why = "no root entry";
        goto out;
    }
    uint32_t *lrc = malloc(3 * o->nent * sizeof(*lrc));
    o->ent = calloc(o->nent, sizeof(*o->ent));
    o->start = malloc(o->nent * sizeof(*o->start));
    if (!lrc || !o->ent || !o->start) {
        free(lrc);
        rc = SK_OLE2_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < o->nent; i++) {
        const unsigned char *d = c.out + 128 * i;
        struct sk_ole2_entry *e = &o->ent[i];
        e->type = d[66];
        if (e->type != SK_OLE2_STORAGE && e->type != SK_OLE2_STREAM && e->type != SK_OLE2_ROOT)
            e->type = 0;
        if (i && e->type == SK_OLE2_ROOT) /* one root: another is read as a storage */
            e->type = SK_OLE2_STORAGE;
        sk_ole2_name(d, sk_le16(d + 64), e->name);
        e->parent = SK_OLE2_NONE;
        o->start[i] = sk_le32(d + 116);
        e->size = sk_le32(d + 120);
        if (o->shift == 12) /* version 3 writers leave junk in the high half */
            e->size |= (uint64_t)sk_le32(d + 124) << 32;
        e->mini = e->type == SK_OLE2_STREAM && e->size < SK_OLE2_CUTOFF;
        lrc[i] = e->type ? sk_le32(d + 68) : SK_OLE2_NOSTREAM;
        lrc[o->nent + i] = e->type ? sk_le32(d + 72) : SK_OLE2_NOSTREAM;
        lrc[2 * o->nent + i] = e->type ? sk_le32(d + 76) : SK_OLE2_NOSTREAM;
    }
    rc = sk_ole2_tree(o, lrc, lrc + o->nent, lrc + 2 * o->nent);
    free(lrc);
out:
    free(c.out);
    return rc;
}

enum sk_ole2_rc sk_ole2_open(const unsigned char *p, size_t n, const struct sk_ole2_limits *lim,
                             struct sk_ole2 **out, const char **why)
{
    struct sk_ole2 *o;
    enum sk_ole2_rc rc = SK_OLE2_BROKEN;
    unsigned major;

    *out = NULL;
    if (why)
        *why = NULL;
    if (!sk_ole2_is(p, n))
        return SK_OLE2_NOT_OLE2;
    if (!(o = calloc(1, sizeof(*o))))
        return SK_OLE2_NOMEM;
    o->p = p, o->n = n;
    o->max_out = lim && lim->max_out ? lim->max_out : SK_OLE2_DEF_OUT;
    o->max_total = lim && lim->max_total ? lim->max_total : SK_OLE2_DEF_TOTAL;
    major = n >= 512 ? sk_le16(p + 0x1A) : 0;
    if (n < 512 || sk_le16(p + 0x1C) != 0xFFFE || (major != 3 && major != 4) ||
        sk_le16(p + 0x1E) != (major == 3 ? 9u : 12u) || sk_le16(p + 0x20) != 6) {
        o->why = "not a compound file header (version, byte order, sector sizes)";
        goto fail;
    }
    if (sk_le32(p + 0x38) != SK_OLE2_CUTOFF) {
        o->why = "a mini stream cutoff other than 4096";
        goto fail;
    }
    o->shift = major == 3 ? 9 : 12;
    o->ssz = (size_t)1 << o->shift;
    o->nsect = n > o->ssz ? (n - o->ssz + o->ssz - 1) >> o->shift : 0;
    if ((rc = sk_ole2_fat(o)) != SK_OLE2_OK || (rc = sk_ole2_minifat(o)) != SK_OLE2_OK ||
        (rc = sk_ole2_dir(o, lim && lim->max_entries ? lim->max_entries : SK_OLE2_DEF_ENTRIES)) !=
            SK_OLE2_OK)
        goto fail;
    *out = o;
    return SK_OLE2_OK;
fail:
    if (why)
        *why = o->why ? o->why : rc == SK_OLE2_NOMEM ? "out of memory" : "broken";
    sk_ole2_free(o);
    return rc;
}

void sk_ole2_free(struct sk_ole2 *o)
{
    if (!o)
        return;
    free(o->fat);
    free(o->minifat);
    free(o->mini);
    free(o->ent);
    free(o->start);
    free(o->seen);
    free(o);
}

size_t sk_ole2_count(const struct sk_ole2 *o)
{
    return o ? o->nent : 0;
}

const struct sk_ole2_entry *sk_ole2_at(const struct sk_ole2 *o, size_t i)
{
    return o && i < o->nent ? &o->ent[i] : NULL;
}

static int sk_ole2_name_eq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
        if (x >= 'a' && x <= 'z')
            x = (unsigned char)(x - 32);
        if (y >= 'a' && y <= 'z')
            y = (unsigned char)(y - 32);
        if (x != y)
            return 0;
    }
    return *a == *b;
}

long sk_ole2_find(const struct sk_ole2 *o, uint32_t parent, const char *name)
{
    for (size_t i = 0; o && i < o->nent; i++)
        if (o->ent[i].type == SK_OLE2_STREAM && o->ent[i].parent == parent &&
            sk_ole2_name_eq(o->ent[i].name, name))
            return (long)i;
    return -1;
}

const char *sk_ole2_why(const struct sk_ole2 *o)
{
    return o && o->why ? o->why : "";
}

/* The mini stream (the root entry's FAT chain), read once. */
static enum sk_ole2_rc sk_ole2_mini(struct sk_ole2 *o)
{
    enum sk_ole2_rc rc;

    if (o->mini_read)
        return o->mini ? SK_OLE2_OK : sk_ole2_broken(o, "no mini stream");
    o->mini_read = 1;
    if (o->ent[0].size > o->n)
        return sk_ole2_broken(o, "a mini stream larger than the file");
    o->nmini = (size_t)o->ent[0].size;
    if ((rc = sk_ole2_fat_read(o, o->start[0], o->nmini, &o->mini)) != SK_OLE2_OK) {
        o->mini = NULL;
        return rc == SK_OLE2_BROKEN ? sk_ole2_broken(o, "a mini stream that cannot be read") : rc;
    }
    return SK_OLE2_OK;
}

enum sk_ole2_rc sk_ole2_read(struct sk_ole2 *o, size_t i, unsigned char **out, size_t *n)
{
    const struct sk_ole2_entry *e = sk_ole2_at(o, i);
    enum sk_ole2_rc rc;

    *out = NULL, *n = 0;
    if (!e || e->type != SK_OLE2_STREAM)
        return sk_ole2_broken(o, "not a stream");
    if (e->size > o->max_out || e->size > o->max_total - o->total)
        return SK_OLE2_LIMIT;
    if (e->size > o->n)
        return sk_ole2_broken(o, "a stream larger than the file");
    if (!e->mini) {
        rc = sk_ole2_fat_read(o, o->start[i], (size_t)e->size, out);
    } else {
        if ((rc = sk_ole2_mini(o)) != SK_OLE2_OK)
            return rc;
        struct sk_ole2_copy c = {.o = o, .want = (size_t)e->size, .src = o->mini, .srcn = o->nmini};
        size_t need = (c.want + SK_OLE2_MINI - 1) / SK_OLE2_MINI;
        if (!(c.out = malloc(c.want ? c.want : 1)))
            return SK_OLE2_NOMEM;
        long k = sk_ole2_chain(o, o->minifat, o->nminifat, need ? o->start[i] : SK_OLE2_ENDCHAIN,
                               need, sk_ole2_copy_mini, &c);
        if (k >= 0 && (size_t)k < need)
            o->why = "a chain shorter than its size", k = -1;
        if (k < 0 || c.len < c.want) {
            free(c.out);
            return SK_OLE2_BROKEN;
        }
        *out = c.out;
        rc = SK_OLE2_OK;
    }
    if (rc == SK_OLE2_OK) {
        *n = (size_t)e->size;
        o->total += e->size;
    }
    return rc;
}

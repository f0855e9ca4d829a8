/* fuzz_tar.c - libFuzzer target for the tar reader of `category fetch`
 * (icap-server/core/sk_tar.c). Input: one control byte (chunk schedule),
 * then the archive bytes as downloaded.
 * Oracles: the chunk schedule changes neither the entries (name, type,
 * size), their bytes nor the result; an entry's data never exceeds its
 * declared size, and a whole entry delivers exactly that size; the data
 * delivered never exceeds the input. A round trip: the input cut into up
 * to four pieces, written as the entries of a well-formed archive (ustar
 * headers; a size as octal, GNU base-256 or a pax `size` record), is read
 * back as exactly those entries, names, sizes and bytes. The input is
 * also read as a cpio, ISO 9660 and LHA archive, and as a git pack (its
 * oracles: sk_fuzz_git). */
#include <string.h>

#include <sekisho/decode.h>
#include "sk_fuzz.h"

struct sk_fuzz_log {
    struct sk_buf b; /* first: the callbacks hand ARG to sk_fuzz_put */
    uint64_t want, got, total;
    int open;
};

static int sk_fuzz_begin(void *arg, const char *name, char type, uint64_t size)
{
    struct sk_fuzz_log *l = arg;
    char h[64];
    int n = snprintf(h, sizeof(h), "<%d:%llu:", (int)(unsigned char)type, (unsigned long long)size);

    SK_FUZZ_CHECK(strlen(name) <= 256, "name of %zu bytes", strlen(name));
    sk_fuzz_put(arg, h, (size_t)n);
    sk_fuzz_put(arg, name, strlen(name));
    l->want = size;
    l->got = 0;
    l->open = 1;
    return 1;
}

static int sk_fuzz_data(void *arg, const void *buf, size_t len)
{
    struct sk_fuzz_log *l = arg;

    SK_FUZZ_CHECK(l->open, "data outside an entry");
    l->got += len;
    l->total += len;
    SK_FUZZ_CHECK(l->got <= l->want, "entry data %llu over its size %llu",
                  (unsigned long long)l->got, (unsigned long long)l->want);
    return sk_fuzz_put(arg, buf, len);
}

static int sk_fuzz_end(void *arg)
{
    struct sk_fuzz_log *l = arg;

    SK_FUZZ_CHECK(l->open && l->got == l->want, "entry ended with %llu of %llu bytes",
                  (unsigned long long)l->got, (unsigned long long)l->want);
    l->open = 0;
    return sk_fuzz_put(arg, ">", 1);
}

static int sk_fuzz_walk(const uint8_t *d, size_t n, unsigned seed, struct sk_fuzz_log *l)
{
    struct sk_tar_handler h = {sk_fuzz_begin, sk_fuzz_data, sk_fuzz_end, l};
    struct sk_tar t;
    int rc = SK_TAR_OK;

    sk_tar_init(&t, &h);
    for (size_t off = 0, i = 0, c; off < n && rc == SK_TAR_OK; off += c, i++) {
        c = seed == 0 ? n - off : 1 + (seed * 3 + i * 7) % 613;
        if (c > n - off)
            c = n - off;
        rc = sk_tar_write(&t, d + off, c);
    }
    return rc == SK_TAR_OK ? sk_tar_end(&t) : rc;
}

/* ---- the round trip ---------------------------------------------------- */

static int sk_fuzz_rt_begin(void *arg, const char *name, char type, uint64_t size)
{
    struct sk_fuzz_entries *r = arg;

    r->cur = -1;
    if (type == 'x')
        return 0;
    if (type != '0' || r->n >= 4) {
        r->bad = 1;
        return 0;
    }
    r->cur = r->n++;
    snprintf(r->name[r->cur], sizeof(r->name[0]), "%s", name);
    r->size[r->cur] = size;
    return 1;
}

/* A ustar header for NAME, TYPE, SIZE (the size field: KIND 0 octal, 1
 * base-256, 2 zero - a pax record gives it) onto O. */
static void sk_fuzz_rt_header(struct sk_buf *o, const char *name, char type, uint64_t size,
                              int kind)
{
    unsigned char h[512] = {0};
    unsigned sum = 0;

    snprintf((char *)h, 100, "%s", name);
    memcpy(h + 100, "0000644", 8);
    memcpy(h + 108, "0000000", 8);
    memcpy(h + 116, "0000000", 8);
    if (kind == 1) {
        h[124] = 0x80;
        for (int i = 0; i < 8; i++)
            h[135 - i] = (unsigned char)(size >> (8 * i));
    } else {
        snprintf((char *)h + 124, 12, "%011llo", kind == 2 ? 0ULL : (unsigned long long)size);
    }
    memcpy(h + 136, "00000000000", 12);
    h[156] = (unsigned char)type;
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    memset(h + 148, ' ', 8);
    for (int i = 0; i < 512; i++)
        sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
    sk_fuzz_put(o, h, sizeof(h));
}

static void sk_fuzz_rt_pad(struct sk_buf *o, size_t n)
{
    static const unsigned char zeros[512];
    sk_fuzz_put(o, zeros, (512 - n % 512) % 512);
}

static void sk_fuzz_roundtrip(const uint8_t *d, size_t n, unsigned ctl)
{
    int k = 1 + (int)(ctl & 3);
    struct sk_buf tar = {0};
    struct sk_fuzz_entries r = {0};
    static const unsigned char zeros[1024];

    for (int i = 0; i < k; i++) {
        size_t a = n * (size_t)i / (size_t)k, len = n * (size_t)(i + 1) / (size_t)k - a;
        int kind = (int)((ctl >> 2) + (unsigned)i) % 3;
        char name[8];
        snprintf(name, sizeof(name), "e%d", i);
        if (kind == 2) { /* "LEN size=SIZE\n", LEN counting itself */
            char rec[64], val[32];
            int vn = snprintf(val, sizeof(val), " size=%zu\n", len), rn = 0;
            for (int w = 1; w < 4 && !rn; w++)
                if (snprintf(rec, sizeof(rec), "%d", w + vn) == w)
                    rn = snprintf(rec, sizeof(rec), "%d%s", w + vn, val);
            sk_fuzz_rt_header(&tar, "PaxHeader", 'x', (uint64_t)rn, 0);
            sk_fuzz_put(&tar, rec, (size_t)rn);
            sk_fuzz_rt_pad(&tar, (size_t)rn);
        }
        sk_fuzz_rt_header(&tar, name, '0', len, kind);
        sk_fuzz_put(&tar, d + a, len);
        sk_fuzz_rt_pad(&tar, len);
    }
    sk_fuzz_put(&tar, zeros, sizeof(zeros));

    struct sk_tar_handler h = {sk_fuzz_rt_begin, sk_fuzz_entries_data, sk_fuzz_entries_end, &r};
    struct sk_tar t;
    sk_tar_init(&t, &h);
    int rc = sk_tar_write(&t, tar.data, tar.len);
    rc = rc == SK_TAR_OK ? sk_tar_end(&t) : rc;
    SK_FUZZ_CHECK(rc == SK_TAR_OK && r.n == k && !r.bad, "round trip: result %d, %d entries of %d",
                  rc, r.n, k);
    for (int i = 0; i < k; i++) {
        size_t a = n * (size_t)i / (size_t)k, len = n * (size_t)(i + 1) / (size_t)k - a;
        char want[8];
        snprintf(want, sizeof(want), "e%d", i);
        SK_FUZZ_CHECK(strcmp(r.name[i], want) == 0 && r.size[i] == len && r.got[i].len == len &&
                          (len == 0 || memcmp(r.got[i].data, d + a, len) == 0),
                      "round trip: entry %d ('%s', size %llu) came back with %zu bytes of %zu", i,
                      r.name[i], (unsigned long long)r.size[i], r.got[i].len, len);
    }
    for (int i = 0; i < 4; i++)
        sk_buf_free(&r.got[i]);
    sk_buf_free(&tar);
}

/* The cpio and ISO 9660 readers (sk_cpio.c): every member a view inside
 * the input (ASan reads each byte), in order for a cpio. */
struct sk_fuzz_flat {
    const uint8_t *p;
    size_t n;
    const uint8_t *last;
    uint64_t sum;
};

static int sk_fuzz_flat_member(void *arg, const char *name, const unsigned char *d, size_t len)
{
    struct sk_fuzz_flat *f = arg;

    SK_FUZZ_CHECK(d >= f->p && len <= f->n && (size_t)(d - f->p) <= f->n - len,
                  "member %s outside the input", name);
    SK_FUZZ_CHECK(strlen(name) < 256, "name longer than its buffer");
    for (size_t i = 0; i < len; i++)
        f->sum += d[i];
    return 0;
}

/* An LHA member: stored ones are views inside the input; decoded ones
 * are at most the bound; every byte is read (ASan). */
static int sk_fuzz_lha_member(void *arg, const char *name, const unsigned char *d, size_t len,
                              int state)
{
    struct sk_fuzz_flat *f = arg;

    SK_FUZZ_CHECK(len <= (1u << 20), "an LHA member of %zu bytes past the bound", len);
    SK_FUZZ_CHECK(state >= 0 && state <= SK_LHA_UNREAD, "state %d", state);
    SK_FUZZ_CHECK(strlen(name) < 256, "name longer than its buffer");
    for (size_t i = 0; i < len; i++)
        f->sum += d[i];
    return 0;
}

static void sk_fuzz_flat(const uint8_t *p, size_t n)
{
    (void)sk_lha_each(p, n, 1u << 20, sk_fuzz_lha_member, &(struct sk_fuzz_flat){p, n, NULL, 0});
    struct sk_fuzz_flat f = {p, n, NULL, 0};

    (void)sk_cpio_is(p, n);
    (void)sk_cpio_each(p, n, sk_fuzz_flat_member, &f);
    /* an ISO: the input as the directory area of an image whose volume
     * descriptor points at it */
    static uint8_t img[16 * 2048 + 2048 + 65536];
    size_t m = n < 65536 ? n : 65536;
    memset(img, 0, 16 * 2048 + 2048);
    uint8_t *v = img + 16 * 2048;
    v[0] = 1, memcpy(v + 1, "CD001", 5), v[129] = 8;
    uint8_t *r = v + 156;
    r[0] = 34, r[2] = 17, r[25] = 2;
    r[10] = (uint8_t)m, r[11] = (uint8_t)(m >> 8), r[12] = (uint8_t)(m >> 16);
    memcpy(img + 17 * 2048, p, m);
    f = (struct sk_fuzz_flat){img, 17 * 2048 + m, NULL, 0};
    (void)sk_iso_each(img, 17 * 2048 + m, sk_fuzz_flat_member, &f);
    (void)sk_iso_each(p, n, sk_fuzz_flat_member, &(struct sk_fuzz_flat){p, n, NULL, 0});
}

/* A git pack's objects (sk_gitpack.c): every byte read (ASan); within
 * the bound, one object and all of them; a stop (CORRUPT, LIMIT) comes
 * last and empty, with the result it goes with. */
struct sk_fuzz_git {
    struct sk_buf b; /* first: sk_fuzz_put */
    uint64_t total, max;
    int stop;
};

static int sk_fuzz_git_object(void *arg, const char *name, const unsigned char *d, size_t len,
                              int state)
{
    struct sk_fuzz_git *g = arg;
    char h[80];
    int hn = snprintf(h, sizeof(h), "<%d:%zu:", state, len);

    SK_FUZZ_CHECK(g->stop == 0, "an object (%s, state %d) after the pack's end", name, state);
    SK_FUZZ_CHECK(state == 0 || ((state == SK_LHA_CORRUPT || state == SK_LHA_LIMIT) && len == 0),
                  "state %d with %zu bytes", state, len);
    SK_FUZZ_CHECK(strlen(name) < 48, "name longer than its buffer");
    g->total += len;
    SK_FUZZ_CHECK(g->total <= g->max, "%llu bytes out of a pack bounded to %llu",
                  (unsigned long long)g->total, (unsigned long long)g->max);
    g->stop = state;
    sk_fuzz_put(&g->b, h, (size_t)hn);
    sk_fuzz_put(&g->b, name, strlen(name));
    sk_fuzz_put(&g->b, d, len);
    return sk_fuzz_put(&g->b, ">", 1);
}

static int sk_fuzz_git_walk(const uint8_t *p, size_t n, uint64_t max, struct sk_fuzz_git *g)
{
    int is = sk_gitpack_is(p, n), rc;

    g->max = max;
    rc = sk_gitpack_each(p, n, max, sk_fuzz_git_object, g);
    SK_FUZZ_CHECK(is || (rc == SK_AR_CORRUPT && g->b.len == 0), "not a pack, yet %d, %zu bytes", rc,
                  g->b.len);
    SK_FUZZ_CHECK(rc == SK_AR_OK || rc == SK_AR_CORRUPT || rc == SK_AR_SHORT, "result %d", rc);
    SK_FUZZ_CHECK((g->stop == SK_LHA_LIMIT) <= (rc == SK_AR_OK) &&
                      (g->stop == SK_LHA_CORRUPT) == (is && rc == SK_AR_CORRUPT),
                  "end %d with result %d", g->stop, rc);
    return rc;
}

/* The input as a pack, and - when it is a .pack - the same pack as a
 * push's body (a command, a flush, the pack), a bundle and a fetch's
 * result in side-band band 1 (lines of a size CTL picks): the same
 * objects and result each way. A bound of a few KiB stops where it must. */
static void sk_fuzz_git(const uint8_t *p, size_t n, unsigned ctl)
{
    struct sk_fuzz_git raw = {0}, small = {0};
    int rc = sk_fuzz_git_walk(p, n, 1u << 20, &raw);

    (void)sk_fuzz_git_walk(p, n, 64 + ctl * 61, &small);
    sk_buf_free(&small.b);
    if (n >= 12 && memcmp(p, "PACK", 4) == 0 && sk_gitpack_is(p, n)) {
        static const char push[] = "0074"
                                   "0000000000000000000000000000000000000000 "
                                   "1111111111111111111111111111111111111111 refs/heads/main"
                                   "\0report-status\n"
                                   "0000";
        for (int how = 0; how < 3; how++) {
            struct sk_buf w = {0};
            struct sk_fuzz_git g = {0};
            if (how == 0) {
                sk_fuzz_put(&w, push, sizeof(push) - 1);
                sk_fuzz_put(&w, p, n);
            } else if (how == 1) {
                sk_fuzz_put(&w, "# v2 git bundle\n\n", 17);
                sk_fuzz_put(&w, p, n);
            } else {
                size_t line = 1 + (ctl * 131) % 1200;
                sk_fuzz_put(&w, "0008NAK\n", 8);
                for (size_t off = 0, c; off < n; off += c) {
                    char h[8];
                    c = n - off < line ? n - off : line;
                    snprintf(h, sizeof(h), "%04zx\1", c + 5);
                    sk_fuzz_put(&w, h, 5);
                    sk_fuzz_put(&w, p + off, c);
                }
                sk_fuzz_put(&w, "0000", 4);
            }
            int rw = sk_fuzz_git_walk((const uint8_t *)w.data, w.len, 1u << 20, &g);
            SK_FUZZ_CHECK(rw == rc && g.b.len == raw.b.len &&
                              (g.b.len == 0 || memcmp(g.b.data, raw.b.data, g.b.len) == 0),
                          "framing %d: result %d vs %d, %zu vs %zu bytes of log", how, rw, rc,
                          g.b.len, raw.b.len);
            sk_buf_free(&g.b);
            sk_buf_free(&w);
        }
    }
    sk_buf_free(&raw.b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sk_fuzz_log whole = {0}, parts = {0};
    unsigned seed;
    int a, b;

    if (size < 1)
        return 0;
    seed = 1 + data[0];
    data++, size--;
    if (size >= 512)
        (void)sk_tar_header_ok(data);
    a = sk_fuzz_walk(data, size, 0, &whole);
    b = sk_fuzz_walk(data, size, seed, &parts);
    SK_FUZZ_CHECK(a == b, "result %d vs %d with chunking (seed %u)", a, b, seed);
    SK_FUZZ_CHECK(whole.b.len == parts.b.len &&
                      (whole.b.len == 0 || memcmp(whole.b.data, parts.b.data, whole.b.len) == 0),
                  "entries differ with chunking (seed %u)", seed);
    SK_FUZZ_CHECK(whole.total <= size, "%llu data bytes from %zu input bytes",
                  (unsigned long long)whole.total, size);
    SK_FUZZ_CHECK(a != SK_TAR_OK || !whole.open, "whole archive with an entry left open");
    sk_buf_free(&whole.b), sk_buf_free(&parts.b);
    sk_fuzz_roundtrip(data, size, data[-1]);
    sk_fuzz_flat(data, size);
    sk_fuzz_git(data, size, data[-1]);
    return 0;
}

/* fuzz_container.c - libFuzzer target for the core zip walker and the
 * container/charset sniffers (icap-server/core/sk_container.c, sk_sniff.c,
 * sk_decode_charset.c). Input: one control byte (chunk schedule), then the
 * archive bytes as a client uploads them.
 * Oracles: the chunk schedule changes neither the entries (names, flags),
 * their bytes, the tail nor the counts; every input byte that is not part
 * of a read entry reaches the tail, so the tail plus the entries' raw
 * sizes never lose bytes: for a non-zip the tail is the whole input;
 * tail_bytes counts what the tail received. sk_zip_find agrees with a
 * naive search (every candidate, its own look for an archive end). ar
 * members (sk_ar_each) are views inside the input; gzip/bzip2/xz/zstd streams
 * found at any offset (sk_stream_find) start where a strict header is,
 * and their decoding reads no byte past the input and writes no more than
 * its bound. The 7z guard (sk_7z_guard) reads no byte past the input and
 * calls nothing a bomb with the ratio off. A round trip: the input cut
 * into up to four pieces, written as a well-formed zip (stored or deflated,
 * sizes in the local header or in a data descriptor with or without its
 * signature; a central directory and end record), is walked back as
 * exactly those entries, names and bytes, with nothing corrupt, and its
 * directory has exactly those records. The one-pass magic index
 * (sk_magics_find, both vector widths) holds exactly the offsets a
 * byte-by-byte look finds, and the stream and zip searches give the same
 * answers through it as without it. */
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include <sekisho/decode.h>

#include "../unit/support/sk_magics_ref.h"
#include "sk_fuzz.h"

struct sk_fuzz_log {
    struct sk_buf b; /* first: the callbacks hand ARG to sk_fuzz_put */
    int in_tail;
    size_t tail;
    struct sk_buf raw; /* the archive's own bytes (handler.raw), in order */
    struct sk_zip_seen seen;
};

static int sk_fuzz_raw(void *arg, const void *buf, size_t len)
{
    struct sk_fuzz_log *l = arg;
    return sk_buf_append(&l->raw, buf, len);
}

static int sk_fuzz_begin(void *arg, const struct sk_zip_entry *e)
{
    char h[32];
    struct sk_fuzz_log *l = arg;
    int n = snprintf(h, sizeof(h), "<%d%d:", e->encrypted, e->unsupported);
    SK_FUZZ_CHECK(l->seen.n == 0 || l->seen.v[l->seen.n - 1].offset < e->offset,
                  "entry offsets not increasing");
    sk_zip_seen_add(&l->seen, e, 0);
    sk_fuzz_put(arg, h, (size_t)n);
    sk_fuzz_put(arg, e->name, strlen(e->name));
    return 1;
}

static int sk_fuzz_data(void *arg, const void *buf, size_t len)
{
    struct sk_fuzz_log *l = arg;
    if (l->in_tail)
        l->tail += len;
    return sk_fuzz_put(arg, buf, len);
}

static int sk_fuzz_end(void *arg)
{
    return sk_fuzz_put(arg, ">", 1);
}

static int sk_fuzz_tail(void *arg)
{
    ((struct sk_fuzz_log *)arg)->in_tail = 1;
    return sk_fuzz_put(arg, "<tail:", 6);
}

static void sk_fuzz_walk(const uint8_t *d, size_t n, unsigned seed, struct sk_fuzz_log *l,
                         struct sk_zip_stats *st)
{
    struct sk_zip_handler h = {sk_fuzz_begin, sk_fuzz_data, sk_fuzz_end, sk_fuzz_tail, l,
                               sk_fuzz_raw};
    struct sk_zip *z = sk_zip_new(&h);

    SK_FUZZ_CHECK(z != NULL, "walker");
    for (size_t off = 0, i = 0, c; off < n; off += c, i++) {
        c = seed == 0 ? n - off : 1 + (seed * 3 + i * 7) % 61;
        if (c > n - off)
            c = n - off;
        SK_FUZZ_CHECK(sk_zip_write(z, d + off, c) == 0, "write");
    }
    SK_FUZZ_CHECK(sk_zip_end(z) == 0, "end");
    *st = *sk_zip_stats(z);
    sk_zip_free(z);
}

/* The central directory of the input against the walk: every record is
 * checked; one that disagrees is read as the record says (the header
 * sk_zip_cd_header makes, then its data when in the input) and the walker
 * must begin that entry. */
struct sk_fuzz_cd {
    const uint8_t *d;
    size_t n;
    const struct sk_fuzz_log *l;
    long records;
};

static int sk_fuzz_cd_count(void *arg, const struct sk_zip_cd_entry *e)
{
    (void)e;
    ((struct sk_fuzz_cd *)arg)->records++;
    return 0;
}

static int sk_fuzz_cd_entry(void *arg, const struct sk_zip_cd_entry *e)
{
    struct sk_fuzz_cd *c = arg;
    unsigned char hdr[30 + 255 + 20];
    struct sk_fuzz_log one = {0};
    struct sk_zip_stats st;

    c->records++;
    if (sk_zip_cd_agrees(&c->l->seen, e))
        return 0;
    size_t hl = sk_zip_cd_header(e, "entry", hdr), dl = 0;
    SK_FUZZ_CHECK(hl == 35 || hl == 55, "header length %zu", hl);
    if (e->local < c->n && c->n - e->local >= e->csize)
        dl = e->csize < 4096 ? (size_t)e->csize : 4096;
    unsigned char *buf = malloc(hl + dl + 1);
    SK_FUZZ_CHECK(buf != NULL, "oom");
    memcpy(buf, hdr, hl);
    if (dl)
        memcpy(buf + hl, c->d + e->local, dl);
    sk_fuzz_walk(buf, hl + dl, 0, &one, &st);
    /* at least that one (bytes after a deflate stream that ends early are
     * read as what follows: more is read, never less) */
    SK_FUZZ_CHECK(st.entries >= 1, "a record's header began no entry");
    free(buf);
    sk_buf_free(&one.b), sk_buf_free(&one.raw), sk_zip_seen_free(&one.seen);
    return 0;
}

struct sk_fuzz_span {
    const uint8_t *p;
    size_t n;
    uint64_t out;
};

static int sk_fuzz_ar_member(void *arg, const char *name, const unsigned char *d, size_t n)
{
    struct sk_fuzz_span *s = arg;

    SK_FUZZ_CHECK(strlen(name) < 256, "ar name of %zu bytes", strlen(name));
    SK_FUZZ_CHECK(d >= s->p && n <= s->n && (size_t)(d - s->p) <= s->n - n,
                  "ar member outside the archive");
    return 0;
}

static int sk_fuzz_count(void *arg, const void *buf, size_t len)
{
    (void)buf;
    ((struct sk_fuzz_span *)arg)->out += len;
    return 0;
}

static void sk_fuzz_ar_streams(const uint8_t *data, size_t size)
{
    struct sk_fuzz_span s = {data, size, 0};
    enum sk_coding c;
    long at;
    int k = 0;

    if (sk_ar_is(data, size))
        sk_ar_each(data, size, sk_fuzz_ar_member, &s);
    for (size_t from = 0; k < 16 && (at = sk_stream_find(data, size, from, &c)) >= 0; k++) {
        size_t used = 0;
        SK_FUZZ_CHECK((size_t)at >= from && (size_t)at < size, "stream at %ld from %zu", at, from);
        SK_FUZZ_CHECK(c == SK_CODING_GZIP || c == SK_CODING_BZIP2 || c == SK_CODING_XZ ||
                          c == SK_CODING_ZSTD || c == SK_CODING_LZ4 || c == SK_CODING_COMPRESS,
                      "stream coding %d", (int)c);
        s.out = 0;
        int rc =
            sk_stream_decode(c, data + at, size - (size_t)at, 1 << 20, &used, sk_fuzz_count, &s);
        SK_FUZZ_CHECK(rc >= -3 && rc <= 1 && used <= size - (size_t)at && s.out <= (1 << 20),
                      "stream rc %d used %zu of %zu, out %llu", rc, used, size - (size_t)at,
                      (unsigned long long)s.out);
        from = rc == 1 && used > 0 ? (size_t)at + used : (size_t)at + 1;
    }
}

/* ---- the one-pass magic index ------------------------------------------ */

static void sk_fuzz_magics(const uint8_t *p, size_t n)
{
    for (unsigned width = 16; width <= 32; width += 16) {
        struct sk_magics m;
        size_t j = 0, want = 0;
        int rc = sk_magics_find_w(&m, p, n, width);
        SK_FUZZ_CHECK(rc == (m.over ? -1 : 0), "sk_magics_find %d, over %d", rc, m.over);
        for (size_t i = 0; i < n; i++) {
            unsigned k = sk_magics_ref_kinds(p, n, i);
            if (!k)
                continue;
            want++;
            if (m.over)
                continue;
            SK_FUZZ_CHECK(j < m.n && m.v[j].at == i && m.v[j].kinds == k,
                          "index (width %u) misses %zu (kinds %#x)", width, i, k);
            j++;
        }
        SK_FUZZ_CHECK(m.over ? want > m.max : m.n == want, "index has %zu of %zu (over %d)", m.n,
                      want, m.over);
        /* the searches through it, from where the input says */
        for (size_t k = 0; k < 8 && k <= n; k++) {
            size_t from = k < 2 || k >= n ? k : (size_t)p[k] * n / 256;
            enum sk_coding c1 = 0, c2 = 0;
            long a = sk_stream_find(p, n, from, &c1), b = sk_stream_find_in(&m, p, n, from, &c2);
            SK_FUZZ_CHECK(a == b && (a < 0 || c1 == c2), "stream from %zu: %ld, indexed %ld", from,
                          a, b);
            a = sk_zip_find(p + from, n - from), b = sk_zip_find_in(&m, p, n, from);
            SK_FUZZ_CHECK(a == b, "zip from %zu: %ld, indexed %ld", from, a, b);
        }
        sk_magics_free(&m);
    }
}

/* ---- the round trip ---------------------------------------------------- */

static int sk_fuzz_zrt_begin(void *arg, const struct sk_zip_entry *e)
{
    struct sk_fuzz_entries *r = arg;

    r->cur = -1;
    if (r->n >= 4 || e->encrypted || e->unsupported) {
        r->bad = 1;
        return 0;
    }
    r->cur = r->n++;
    snprintf(r->name[r->cur], sizeof(r->name[0]), "%s", e->name);
    return 1;
}

static int sk_fuzz_zrt_tail(void *arg)
{
    (void)arg;
    return 0;
}

static void sk_fuzz_le(unsigned char *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static int sk_fuzz_zrt_cd(void *arg, const struct sk_zip_cd_entry *e)
{
    (void)e;
    (*(long *)arg)++;
    return 0;
}

/* Entry kinds: 0 stored, sized; 1 deflated, sized; 2 deflated, data
 * descriptor with its signature; 3 deflated, descriptor without one. */
static void sk_fuzz_zip_roundtrip(const uint8_t *d, size_t n, unsigned ctl)
{
    int k = 1 + (int)(ctl & 3);
    struct sk_buf zip = {0}, cd = {0};
    struct sk_fuzz_entries r = {0};

    for (int i = 0; i < k; i++) {
        size_t a = n * (size_t)i / (size_t)k, len = n * (size_t)(i + 1) / (size_t)k - a;
        int kind = (int)((ctl >> 2) + (unsigned)i) % 4;
        uint32_t crc = (uint32_t)crc32(0, d + a, (uInt)len);
        unsigned char h[30] = {0x50, 0x4b, 3, 4, 20, 0}, c[46] = {0x50, 0x4b, 1, 2, 20, 0, 20, 0};
        unsigned char *body = (unsigned char *)(uintptr_t)(d + a);
        size_t blen = len;
        char name[8];
        int nl = snprintf(name, sizeof(name), "e%d.bin", i);
        if (kind > 0) { /* raw deflate */
            z_stream zs = {0};
            blen = compressBound(len) + 16;
            body = malloc(blen);
            SK_FUZZ_CHECK(
                body && deflateInit2(&zs, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK,
                "zlib");
            zs.next_in = (Bytef *)(uintptr_t)(d + a), zs.avail_in = (uInt)len;
            zs.next_out = body, zs.avail_out = (uInt)blen;
            SK_FUZZ_CHECK(deflate(&zs, Z_FINISH) == Z_STREAM_END, "deflate");
            blen = zs.total_out;
            deflateEnd(&zs);
        }
        uint64_t at = zip.len;
        sk_fuzz_le(h + 6, kind >= 2 ? 8 : 0, 2);
        sk_fuzz_le(h + 8, kind > 0 ? 8 : 0, 2);
        if (kind < 2) {
            sk_fuzz_le(h + 14, crc, 4);
            sk_fuzz_le(h + 18, blen, 4);
            sk_fuzz_le(h + 22, len, 4);
        }
        sk_fuzz_le(h + 26, (uint64_t)nl, 2);
        sk_fuzz_put(&zip, h, sizeof(h));
        sk_fuzz_put(&zip, name, (size_t)nl);
        sk_fuzz_put(&zip, body, blen);
        if (kind >= 2) {
            unsigned char dd[16] = {0x50, 0x4b, 7, 8};
            sk_fuzz_le(dd + 4, crc, 4);
            sk_fuzz_le(dd + 8, blen, 4);
            sk_fuzz_le(dd + 12, len, 4);
            sk_fuzz_put(&zip, kind == 2 ? dd : dd + 4, kind == 2 ? 16 : 12);
        }
        memcpy(c + 8, h + 6, 4);
        sk_fuzz_le(c + 16, crc, 4);
        sk_fuzz_le(c + 20, blen, 4);
        sk_fuzz_le(c + 24, len, 4);
        sk_fuzz_le(c + 28, (uint64_t)nl, 2);
        sk_fuzz_le(c + 42, at, 4);
        sk_fuzz_put(&cd, c, sizeof(c));
        sk_fuzz_put(&cd, name, (size_t)nl);
        if (body != d + a)
            free(body);
    }
    unsigned char e[22] = {0x50, 0x4b, 5, 6};
    sk_fuzz_le(e + 8, (uint64_t)k, 2);
    sk_fuzz_le(e + 10, (uint64_t)k, 2);
    sk_fuzz_le(e + 12, cd.len, 4);
    sk_fuzz_le(e + 16, zip.len, 4);
    sk_fuzz_put(&zip, cd.data, cd.len);
    sk_fuzz_put(&zip, e, sizeof(e));

    struct sk_zip_handler hd = {
        sk_fuzz_zrt_begin, sk_fuzz_entries_data, sk_fuzz_entries_end, sk_fuzz_zrt_tail, &r, NULL};
    struct sk_zip *z = sk_zip_new(&hd);
    SK_FUZZ_CHECK(z != NULL, "walker");
    SK_FUZZ_CHECK(sk_zip_write(z, zip.data, zip.len) == 0 && sk_zip_end(z) == 0, "write");
    struct sk_zip_stats st = *sk_zip_stats(z);
    sk_zip_free(z);
    SK_FUZZ_CHECK(r.n == k && !r.bad && st.entries == (unsigned)k && !st.corrupt && !st.lost_sync,
                  "zip round trip: %d entries of %d, corrupt %d, lost sync %d", r.n, k, st.corrupt,
                  st.lost_sync);
    for (int i = 0; i < k; i++) {
        size_t a = n * (size_t)i / (size_t)k, len = n * (size_t)(i + 1) / (size_t)k - a;
        char want[8];
        snprintf(want, sizeof(want), "e%d.bin", i);
        SK_FUZZ_CHECK(strcmp(r.name[i], want) == 0 && r.got[i].len == len &&
                          (len == 0 || memcmp(r.got[i].data, d + a, len) == 0),
                      "zip round trip: entry %d ('%s', kind %u) came back with %zu bytes of %zu", i,
                      r.name[i], ((ctl >> 2) + (unsigned)i) % 4, r.got[i].len, len);
    }
    long records = 0;
    SK_FUZZ_CHECK(sk_zip_cd_each((const unsigned char *)zip.data, zip.len, 0, sk_fuzz_zrt_cd,
                                 &records) == k &&
                      records == k,
                  "zip round trip: %ld directory records of %d", records, k);
    for (int i = 0; i < 4; i++)
        sk_buf_free(&r.got[i]);
    sk_buf_free(&zip), sk_buf_free(&cd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sk_fuzz_log whole = {0}, parts = {0};
    struct sk_zip_stats a, b;
    size_t skip;
    unsigned seed;

    if (size < 1)
        return 0;
    seed = 1 + data[0];
    data++, size--;
    sk_charset_sniff(data, size < 1024 ? size : 1024, &skip);
    SK_FUZZ_CHECK(skip <= size, "BOM longer than the input");
    sk_container_sniff(data, size);
    /* formats nobody decodes: only by their magic */
    const char *unread = sk_container_unread(data, size);
    SK_FUZZ_CHECK(!unread || memcmp(data, "\x89LZO", 4) == 0 || memcmp(data, "hsqs", 4) == 0 ||
                      memcmp(data, "sqsh", 4) == 0,
                  "unread without a magic: %s", unread);
    /* uuencoded blocks: inside the input, in order, never more out than in */
    size_t upos = 0, ua, ub, uprev = 0;
    while (sk_uu_find(data, size, &upos, &ua, &ub)) {
        SK_FUZZ_CHECK(uprev <= ua && ua <= ub && ub <= size && ub <= upos && upos <= size,
                      "uu block [%zu, %zu) pos %zu", ua, ub, upos);
        unsigned char *uo = malloc(ub - ua + 1);
        if (uo)
            SK_FUZZ_CHECK(sk_uu_decode(data + ua, ub - ua, uo) <= ub - ua, "uu grew");
        free(uo);
        uprev = upos;
    }
    sk_fuzz_ar_streams(data, size);
    sk_fuzz_magics(data, size);
    sk_fuzz_walk(data, size, 0, &whole, &a);
    sk_fuzz_walk(data, size, seed, &parts, &b);
    /* a zstd entry that does not decode: libzstd hands out what it decoded
     * before the error at call boundaries (the count must agree, the bytes
     * of that entry need not; the caller's verdict is its on-error) */
    SK_FUZZ_CHECK(a.undecoded ||
                      (whole.b.len == parts.b.len &&
                       (whole.b.len == 0 || memcmp(whole.b.data, parts.b.data, whole.b.len) == 0)),
                  "entries differ with chunking (seed %u)", seed);
    SK_FUZZ_CHECK(a.entries == b.entries && a.encrypted == b.encrypted &&
                      a.unsupported == b.unsupported && a.corrupt == b.corrupt &&
                      a.lost_sync == b.lost_sync && a.zip64 == b.zip64 &&
                      a.undecoded == b.undecoded,
                  "counts differ with chunking (seed %u)", seed);
    if (size >= 4 && sk_container_sniff(data, size) != SK_CT_ZIP)
        SK_FUZZ_CHECK(whole.tail == size, "not a zip: %zu of %zu bytes reached the tail",
                      whole.tail, size);
    SK_FUZZ_CHECK(a.tail_bytes == whole.tail && b.tail_bytes == parts.tail,
                  "tail_bytes %llu/%llu, tail got %zu/%zu", (unsigned long long)a.tail_bytes,
                  (unsigned long long)b.tail_bytes, whole.tail, parts.tail);
    SK_FUZZ_CHECK(
        whole.raw.len == parts.raw.len &&
            (whole.raw.len == 0 || memcmp(whole.raw.data, parts.raw.data, whole.raw.len) == 0),
        "raw bytes differ with chunking (seed %u)", seed);
    SK_FUZZ_CHECK(whole.raw.len + whole.tail <= size, "raw %zu + tail %zu > input %zu",
                  whole.raw.len, whole.tail, size);
    long at = sk_zip_find(data, size), want = -1;
    if (size >= 4 && sk_container_sniff(data, size) == SK_CT_ZIP)
        want = 0;
    for (size_t k = 0; want < 0 && k + 4 <= size; k++)
        if (sk_zip_local_plausible(data + k, size - k) == 1 && k + 30 <= size &&
            memmem(data + k + 30, size - k - 30, "PK\5\6", 4))
            want = (long)k;
    SK_FUZZ_CHECK(at == want, "sk_zip_find %ld, naive search %ld", at, want);
    sk_zip_has_zip64(data, size);
    /* the 7z guard reads only the input; with the ratio off nothing is a bomb */
    const struct sk_decode_limits g7 = {.out_max = UINT64_MAX, .ratio = 100, .floor = 1u << 20},
                                  off7 = {.out_max = UINT64_MAX};
    int r7 = sk_7z_guard(data, size, &g7, NULL);
    SK_FUZZ_CHECK(r7 >= -1 && r7 <= 1, "sk_7z_guard %d", r7);
    SK_FUZZ_CHECK(sk_7z_guard(data, size, &off7, NULL) != 1, "a 7z bomb with the ratio off");
    SK_FUZZ_CHECK(whole.seen.n == parts.seen.n, "entries differ with chunking (seed %u)", seed);
    for (size_t i = 0; i < whole.seen.n; i++) {
        const struct sk_zip_entry *x = &whole.seen.v[i], *y = &parts.seen.v[i];
        SK_FUZZ_CHECK(x->offset == y->offset && x->method == y->method && x->sized == y->sized &&
                          x->csize == y->csize && x->encrypted == y->encrypted,
                      "entry %zu's offset, method or size differ with chunking (seed %u)", i, seed);
    }
    struct sk_fuzz_cd cd = {data, size, &whole, 0};
    long rc = sk_zip_cd_each(data, size, 0, sk_fuzz_cd_entry, &cd);
    SK_FUZZ_CHECK(rc >= -2 && (rc < 0 || rc == cd.records), "cd_each %ld, %ld records", rc,
                  cd.records);
    SK_FUZZ_CHECK(rc < 0 || (size_t)rc <= size / 46, "%ld records in %zu bytes", rc, size);
    /* the same directory read from a window that holds it: the same records */
    size_t from = size / 2;
    struct sk_fuzz_cd win = {data, size, &whole, 0};
    long rw = sk_zip_cd_each(data + from, size - from, from, sk_fuzz_cd_count, &win);
    SK_FUZZ_CHECK(rw == -2 || rw == rc || (rc == -2 && rw == -1) || (rw == -1 && rc >= 0),
                  "directory %ld records whole, %ld from byte %zu", rc, rw, from);
    sk_buf_free(&whole.b), sk_buf_free(&parts.b);
    sk_buf_free(&whole.raw), sk_buf_free(&parts.raw);
    sk_zip_seen_free(&whole.seen), sk_zip_seen_free(&parts.seen);
    sk_fuzz_zip_roundtrip(data, size, data[-1]);
    return 0;
}

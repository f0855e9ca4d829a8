/* test_virus_scan.c - the virus_scan module: hooks driven with a fake
 * scanner (what reaches the scanner: decoded bytes, multipart parts with
 * their NULs, spill files; how each result becomes a verdict), and the
 * real libclamav engine with the project's test signatures (plain, zip,
 * gzip file, reload). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>
#ifdef SK_TEST_HAVE_BROTLI
#include <brotli/encode.h>
#endif

#include <sekisho/policy_db.h>
#include <sekisho/policy_snapshot.h>

#include <sekisho/decode.h>

#include "sk_txn.h"
#include "vs_internal.h"

/* Split so that a virus scanner on a developer machine does not flag
 * this source file. */
#define EICAR_A "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR"
#define EICAR_B "-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
static char eicar[69];

/* ---- fake scanner ---------------------------------------------------- */

static struct fake {
    enum sk_vs_result force; /* 0: look for EICAR */
    const char *name;        /* reported virus name */
    int scans, fd_scans;
    unsigned char *last; /* copy of the last scanned bytes */
    size_t last_len;
    int saw_nul_part; /* a scanned buffer held NUL bytes and EICAR */
    uint32_t kinds;   /* inner object types the fake engine reports */
} fk;

static int fake_scan_mem(void *self, const void *buf, size_t len, const struct sk_vs_limits *l,
                         struct sk_vs_report *rep)
{
    memset(rep, 0, sizeof(*rep));
    fk.scans++;
    free(fk.last);
    fk.last = malloc(len + 1);
    memcpy(fk.last, len ? buf : "", len);
    fk.last_len = len;
    int has = len >= 68 && memmem(buf, len, eicar, 68) != NULL;
    if (has && memchr(buf, 0, len))
        fk.saw_nul_part = 1;
    if (fk.force) {
        rep->result = fk.force;
        snprintf(rep->name, sizeof(rep->name), "%s", fk.name ? fk.name : "Fake.Result");
        snprintf(rep->why, sizeof(rep->why), "fake says %d", (int)fk.force);
        return 0;
    }
    rep->result = has ? SK_VS_VIRUS : SK_VS_CLEAN;
    rep->kinds = fk.kinds;
    if (has)
        snprintf(rep->name, sizeof(rep->name), "%s", fk.name ? fk.name : "Eicar-Test-Signature");
    return 0;
}

static int fake_scan_fd(void *self, int fd, const struct sk_vs_limits *l, struct sk_vs_report *rep)
{
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    unsigned char *b = malloc((size_t)st.st_size + 1);
    assert_int_equal(pread(fd, b, (size_t)st.st_size, 0), st.st_size);
    fk.fd_scans++;
    fake_scan_mem(self, b, (size_t)st.st_size, l, rep);
    free(b);
    return 0;
}

static const char *fake_version(void *self)
{
    return "fake-1";
}

static char tmpdir[64];
static uint64_t fake_map_max; /* heavy-bytes as the module would set it; 0: none */

static void install_fake(uint64_t mem_threshold)
{
    struct sk_vs_global g = {
        .conf = {.mem_threshold = mem_threshold,
                 .decode_ratio = 100,
                 .decode_floor = 1 << 20,
                 .map_max = fake_map_max,
                 .tmp_dir = tmpdir},
        .scanner = {.scan_mem = fake_scan_mem,
                    .scan_fd = fake_scan_fd,
                    .version = fake_version,
                    .self = NULL},
    };
    sk_vs_test_install(&g);
}

/* ---- transactions ---------------------------------------------------- */

struct hdrs {
    const char *names[8];
    const char *values[8];
};

static const char *hdr_get(void *ctx, int response, const char *name)
{
    struct hdrs *h = ctx;
    for (int i = 0; i < 8 && h->names[i]; i++)
        if (strcasecmp(h->names[i], name) == 0)
            return h->values[i];
    return NULL;
}

/* Every field of NAME, as c-icap's iterator gives them (repeats kept). */
static void hdr_each(void *ctx, int response, const char *name,
                     void (*fn)(void *arg, const char *value), void *arg)
{
    struct hdrs *h = ctx;
    for (int i = 0; i < 8 && h->names[i]; i++)
        if (strcasecmp(h->names[i], name) == 0)
            fn(arg, h->values[i]);
}

static struct sk_module_ctx mctx = {.name = "virus_scan"};

static void txn_open(struct sk_txn *t, unsigned method, const char *http_method, const char *url,
                     struct hdrs *h, struct sk_snapshot *snap)
{
    assert_int_equal(sk_txn_init(t, method, http_method, url, "10.0.0.1", "", ""), 0);
    t->has_body = 1;
    t->headers.get = hdr_get;
    t->headers.each = hdr_each;
    t->headers.ctx = h;
    t->current = &mctx;
    if (snap) {
        sk_snapshot_ref(snap);
        sk_txn_set_snapshot(t, snap);
    }
}

/* Run the hooks over BODY fed in pieces of CHUNK bytes; returns the verdict. */
static enum sk_verdict run(struct sk_txn *t, const void *body, size_t len, size_t chunk)
{
    void *st = NULL;
    enum sk_verdict v;

    assert_int_equal(sk_vs_txn_begin(t, &st), 0);
    v = sk_vs_on_headers(t, st);
    for (size_t off = 0; v == SK_CONTINUE; off += chunk) {
        size_t n = len - off < chunk ? len - off : chunk;
        v = sk_vs_on_body(t, st, n ? (const char *)body + off : NULL, n, off + n >= len);
        if (off + n >= len)
            break;
    }
    sk_vs_txn_end(t, st);
    return v;
}

static int dir_is_empty(const char *d)
{
    DIR *dp = opendir(d);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(dp)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(dp);
    return n == 0;
}

/* ---- policy ---------------------------------------------------------- */

static struct sk_snapshot *policy_with(const char *const *kv)
{
    char dir[] = "/tmp/sk-test-vs-db-XXXXXX", path[128], *err = NULL;
    struct sk_pdb *db;
    struct sk_snapshot *s;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/policy.db", dir);
    db = sk_pdb_open(path, SK_PDB_RW | SK_PDB_CREATE, &err);
    assert_non_null(db);
    assert_int_equal(sk_pdb_init(db, "tester", &err), 0);
    assert_int_equal(sk_pdb_write_begin(db, &err), 0);
    for (; kv[0]; kv += 2)
        if (sk_pdb_set_setting(db, NULL, kv[0], kv[1], &err) != 0)
            fail_msg("set %s: %s", kv[0], err);
    assert_true(sk_pdb_write_commit(db, "tester", "test", &err) > 0);
    s = sk_snapshot_load(db, &err);
    assert_non_null(s);
    sk_pdb_close(db);
    unlink(path);
    snprintf(path, sizeof(path), "%s/policy.db-wal", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/policy.db-shm", dir);
    unlink(path);
    rmdir(dir);
    return s;
}

/* ---- encoders for the tests ------------------------------------------ */

static unsigned char *zlib_encode(const void *in, size_t len, int wbits, size_t *out_len)
{
    z_stream z = {0};
    size_t cap = compressBound((uLong)len) + 64;
    unsigned char *out = malloc(cap);

    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    *out_len = z.total_out;
    deflateEnd(&z);
    return out;
}

/* A one-member stored zip archive holding NAME with DATA. */
static unsigned char *make_zip_flags(const char *name, const void *data, size_t len, unsigned flags,
                                     size_t *zlen)
{
    size_t nl = strlen(name), cap = 30 + nl + len + 46 + nl + 22;
    unsigned char *z = calloc(1, cap), *p = z;
    uint32_t crc = (uint32_t)crc32(0, data, (uInt)len);
#define LE16(v) (*p++ = (unsigned char)((v)&0xff), *p++ = (unsigned char)(((v) >> 8) & 0xff))
#define LE32(v) (LE16((v)&0xffff), LE16(((uint32_t)(v) >> 16) & 0xffff))
    LE32(0x04034b50);
    LE16(10);
    LE16(flags);
    LE16(0);
    LE16(0);
    LE16(0);
    LE32(crc);
    LE32(len);
    LE32(len);
    LE16(nl);
    LE16(0);
    memcpy(p, name, nl);
    p += nl;
    memcpy(p, data, len);
    p += len;
    size_t cd = (size_t)(p - z);
    LE32(0x02014b50);
    LE16(20);
    LE16(10);
    LE16(flags);
    LE16(0);
    LE16(0);
    LE16(0);
    LE32(crc);
    LE32(len);
    LE32(len);
    LE16(nl);
    LE16(0);
    LE16(0);
    LE16(0);
    LE16(0);
    LE32(0);
    LE32(0);
    memcpy(p, name, nl);
    p += nl;
    size_t cdlen = (size_t)(p - z) - cd;
    LE32(0x06054b50);
    LE16(0);
    LE16(0);
    LE16(1);
    LE16(1);
    LE32(cdlen);
    LE32(cd);
    LE16(0);
#undef LE16
#undef LE32
    *zlen = (size_t)(p - z);
    return z;
}

static unsigned char *make_zip(const char *name, const void *data, size_t len, size_t *zlen)
{
    return make_zip_flags(name, data, len, 0, zlen);
}

/* ---- tests: hooks with the fake -------------------------------------- */

static int setup(void **s)
{
    free(fk.last);
    memset(&fk, 0, sizeof(fk));
    install_fake(1 << 20);
    return 0;
}

struct body_case {
    const char *what;
    unsigned method;
    const char *http_method;
    size_t pad_before, pad_after; /* clean bytes around EICAR */
    int with_eicar;
    size_t chunk;
    enum sk_verdict want;
};

static void test_plain_bodies(void **s)
{
    static const struct body_case cases[] = {
        {"EICAR download", SK_RESPMOD, "GET", 0, 0, 1, 65536, SK_BLOCK},
        {"EICAR in 1-byte chunks", SK_RESPMOD, "GET", 10, 10, 1, 1, SK_BLOCK},
        {"EICAR split across a 30-byte preview", SK_RESPMOD, "GET", 0, 100, 1, 30, SK_BLOCK},
        {"EICAR PUT upload", SK_REQMOD, "PUT", 5000, 5000, 1, 4096, SK_BLOCK},
        {"EICAR POST upload", SK_REQMOD, "POST", 0, 0, 1, 7, SK_BLOCK},
        {"clean download", SK_RESPMOD, "GET", 100000, 0, 0, 65536, SK_ALLOW},
        {"clean upload", SK_REQMOD, "POST", 3, 0, 0, 1, SK_ALLOW},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct body_case *c = &cases[i];
        size_t len = c->pad_before + (c->with_eicar ? 68 : 0) + c->pad_after;
        char *body = malloc(len + 1);
        struct hdrs h = {{"Content-Type"}, {"application/octet-stream"}};
        struct sk_txn t;

        memset(body, 'a', len);
        if (c->with_eicar)
            memcpy(body + c->pad_before, eicar, 68);
        setup(NULL);
        txn_open(&t, c->method, c->http_method, "http://origin.test/x.com", &h, NULL);
        enum sk_verdict v = run(&t, body, len, c->chunk);
        if (v != c->want)
            fail_msg("%s: verdict %d, want %d", c->what, v, c->want);
        assert_int_equal(fk.scans, 1);
        assert_int_equal(fk.last_len, len); /* the whole body reached the scanner */
        if (c->want == SK_BLOCK) {
            const char *kind, *name;
            assert_string_equal(t.rule, "Eicar-Test-Signature");
            assert_int_equal(sk_txn_detection(&t, 0, &kind, &name, NULL), 0);
            assert_string_equal(kind, "virus");
            assert_int_equal(t.page.status, 403);
            assert_non_null(strstr(t.page.body, "Eicar-Test-Signature"));
        } else {
            assert_null(t.rule);
            assert_int_equal(sk_txn_detection(&t, 0, NULL, NULL, NULL), -1);
        }
        sk_txn_clear(&t);
        free(body);
    }
}

static void test_page_escaped_and_japanese(void **s)
{
    struct hdrs h = {{"Accept-Language", "Content-Type"}, {"ja,en;q=0.5", "text/plain"}};
    struct sk_txn t;

    fk.name = "Evil<script>alert(1)</script>";
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/a?<b>&\"x\"", &h, NULL);
    assert_int_equal(run(&t, eicar, 68, 68), SK_BLOCK);
    assert_non_null(strstr(t.page.body, "ウイルス"));
    assert_non_null(strstr(t.page.body, "lang=\"ja\""));
    assert_null(strstr(t.page.body, "<script>"));
    assert_non_null(strstr(t.page.body, "&lt;script&gt;"));
    assert_non_null(strstr(t.page.body, "?&lt;b&gt;&amp;&quot;x&quot;"));
    sk_txn_clear(&t);

    h.values[0] = "en-US,en;q=0.9,ja;q=0.8";
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/", &h, NULL);
    assert_int_equal(run(&t, eicar, 68, 68), SK_BLOCK);
    assert_non_null(strstr(t.page.body, "Virus detected"));
    sk_txn_clear(&t);
}

struct coding_case {
    const char *ce;
    int wbits; /* 0: brotli */
};

static void test_content_encodings(void **s)
{
    static const struct coding_case cases[] = {
        {"gzip", 16 + 15}, {"x-gzip", 16 + 15}, {"deflate", 15}, {"deflate", -15},
#ifdef SK_TEST_HAVE_BROTLI
        {"br", 0},
#endif
    };
    char plain[4096];

    memset(plain, 'z', sizeof(plain));
    memcpy(plain + 1000, eicar, 68);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned char *enc;
        size_t elen;
        if (cases[i].wbits) {
            enc = zlib_encode(plain, sizeof(plain), cases[i].wbits, &elen);
        } else {
#ifdef SK_TEST_HAVE_BROTLI
            elen = BrotliEncoderMaxCompressedSize(sizeof(plain));
            enc = malloc(elen);
            assert_int_equal(BrotliEncoderCompress(5, 22, BROTLI_MODE_GENERIC, sizeof(plain),
                                                   (const uint8_t *)plain, &elen, enc),
                             BROTLI_TRUE);
#else
            continue;
#endif
        }
        assert_null(memmem(enc, elen, "EICAR", 5)); /* only decoding reveals it */
        for (size_t chunk = 1; chunk <= 65536; chunk *= 256) {
            struct hdrs h = {{"Content-Encoding", "Content-Type"}, {cases[i].ce, "text/html"}};
            struct sk_txn t;
            setup(NULL);
            txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/", &h, NULL);
            if (run(&t, enc, elen, chunk) != SK_BLOCK)
                fail_msg("%s (wbits %d) in %zu-byte chunks not blocked", cases[i].ce,
                         cases[i].wbits, chunk);
            assert_int_equal(fk.last_len, sizeof(plain)); /* decoded bytes scanned */
            sk_txn_clear(&t);
        }
        free(enc);
    }
}

static void test_decompression_bomb_is_a_limit(void **s)
{
    size_t n = 64u << 20, elen;
    char *zeros = calloc(1, n);
    unsigned char *enc = zlib_encode(zeros, n, 16 + 15, &elen);
    struct hdrs h = {{"Content-Encoding"}, {"gzip"}};
    struct sk_txn t;

    free(zeros);
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/bomb", &h, NULL);
    assert_int_equal(run(&t, enc, elen, 65536), SK_BLOCK);
    assert_string_equal(t.rule, "av-limit:decoded-size");
    assert_non_null(strstr(t.reason, "av.on-limit"));
    assert_int_equal(fk.scans, 0);
    assert_int_equal(t.page.status, 403);
    sk_txn_clear(&t);
    free(enc);

    /* corrupt gzip: the failure verdict, never a silent pass */
    h.values[0] = "gzip";
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/bad", &h, NULL);
    assert_int_equal(run(&t, "\x1f\x8b\x08\x00garbage-garbage-garbage", 27, 5), SK_BLOCK);
    assert_string_equal(t.rule, "av-error");
    sk_txn_clear(&t);

    /* an encoding we cannot decode */
    h.values[0] = "zstd";
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/z", &h, NULL);
    assert_int_equal(run(&t, "abc", 3, 3), SK_BLOCK);
    assert_non_null(strstr(t.reason, "zstd"));
    sk_txn_clear(&t);
}

/* Several Content-Encoding fields form one chain; a gzip member ending at
 * a write boundary does not drop the next ones. */
static void test_coding_fields_and_members(void **s)
{
    char plain[2048];
    size_t n1, n2, rl;
    memset(plain, 'w', sizeof(plain));
    memcpy(plain + 500, eicar, 68);
    unsigned char *raw = zlib_encode(plain, sizeof(plain), -15, &rl);
    static const char *const firsts[] = {"identity", "", "IDENTITY "};

    for (size_t i = 0; i < 3; i++) {
        struct hdrs h = {{"Content-Encoding", "Content-Encoding"}, {firsts[i], "deflate"}};
        struct sk_txn t;
        setup(NULL);
        txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/ce", &h, NULL);
        if (run(&t, raw, rl, 100) != SK_BLOCK)
            fail_msg("'%s' + deflate: not blocked", firsts[i]);
        assert_int_equal(fk.last_len, sizeof(plain));
        sk_txn_clear(&t);
    }
    /* an unknown coding in the second field: av.on-error */
    struct hdrs hu = {{"Content-Encoding", "Content-Encoding"}, {"gzip", "zstd"}};
    struct sk_txn t;
    setup(NULL);
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/u", &hu, NULL);
    assert_int_equal(run(&t, "abc", 3, 3), SK_BLOCK);
    assert_string_equal(t.rule, "av-error");
    assert_int_equal(fk.scans, 0);
    sk_txn_clear(&t);
    /* gzip member 1 ends exactly where a write ends */
    unsigned char *m1 = zlib_encode("first member", 12, 16 + 15, &n1);
    unsigned char *m2 = zlib_encode(plain, sizeof(plain), 16 + 15, &n2);
    unsigned char *both = malloc(n1 + n2);
    memcpy(both, m1, n1), memcpy(both + n1, m2, n2);
    struct hdrs hg = {{"Content-Encoding"}, {"gzip"}};
    setup(NULL);
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/g", &hg, NULL);
    assert_int_equal(run(&t, both, n1 + n2, n1), SK_BLOCK);
    assert_int_equal(fk.last_len, 12 + sizeof(plain));
    sk_txn_clear(&t);
    free(m1), free(m2), free(both), free(raw);
}

/* A zip the engine calls clean is walked: each member scanned on its own
 * (the fake only sees EICAR in decoded member bytes, as libclamav with a
 * ZIP64 archive). */
static void test_zip_members_walked(void **s)
{
    size_t cl;
    unsigned char *c = zlib_encode(eicar, 68, -15, &cl);
    unsigned char zip[512];
    size_t n = 0;
    static const unsigned char hdr[] = {'P',  'K',  3,    4,    45,   0,    0, 0, 8,    0,
                                        0,    0,    0,    0,    0,    0,    0, 0, 0xff, 0xff,
                                        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 5, 0, 20,   0};
    memcpy(zip, hdr, sizeof(hdr)), n = sizeof(hdr);
    memcpy(zip + n, "e.com", 5), n += 5;
    unsigned char x64[20] = {1, 0, 16, 0, 68};
    x64[12] = (unsigned char)cl;
    memcpy(zip + n, x64, 20), n += 20;
    memcpy(zip + n, c, cl), n += cl;
    memcpy(zip + n, "PK\x01\x02", 4), n += 4;
    assert_null(memmem(zip, n, "EICAR", 5));

    struct hdrs h = {{"Content-Type"}, {"application/octet-stream"}};
    struct sk_txn t;
    setup(NULL);
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/z64.zip", &h, NULL);
    assert_int_equal(run(&t, zip, n, 7), SK_BLOCK);
    assert_int_equal(fk.scans, 2); /* the whole, then the member */
    assert_int_equal(fk.last_len, 68);
    sk_txn_clear(&t);
    /* an encrypted member: av.on-encrypted */
    zip[6] = 1;
    setup(NULL);
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/enc.zip", &h, NULL);
    assert_int_equal(run(&t, zip, n, 4096), SK_BLOCK);
    assert_string_equal(t.rule, "Sekisho.Encrypted.Zip");
    sk_txn_clear(&t);
    free(c);
}

static const char mp_head[] = "--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\n"
                              "hello\r\n--XyZ\r\nContent-Disposition: form-data; name=\"f\"; "
                              "filename=\"a.bin\"\r\nContent-Type: application/octet-stream"
                              "\r\n\r\n";
static const char mp_tail[] = "\r\n--XyZ--\r\n";

static void test_multipart_parts_scanned_with_nuls(void **s)
{
    unsigned char part[300];
    size_t hl = sizeof(mp_head) - 1, tl = sizeof(mp_tail) - 1;
    size_t len = hl + sizeof(part) + tl;
    unsigned char *body = malloc(len);
    struct hdrs h = {{"Content-Type"}, {"multipart/form-data; boundary=\"XyZ\""}};
    struct sk_txn t;

    memset(part, 0, sizeof(part));
    memcpy(part + 100, eicar, 68);
    memcpy(body, mp_head, hl);
    memcpy(body + hl, part, sizeof(part));
    memcpy(body + hl + sizeof(part), mp_tail, tl);
    for (size_t chunk = 1; chunk <= 4096; chunk *= 64) {
        setup(NULL);
        txn_open(&t, SK_REQMOD, "POST", "http://upload.test/form", &h, NULL);
        assert_int_equal(run(&t, body, len, chunk), SK_BLOCK);
        /* the part was scanned on its own: exactly its bytes, NULs kept */
        assert_int_equal(fk.last_len, sizeof(part));
        assert_memory_equal(fk.last, part, sizeof(part));
        assert_true(fk.saw_nul_part);
        sk_txn_clear(&t);
    }
    /* a clean multipart upload: each part, then the whole body */
    memset(part + 100, 'q', 68);
    memcpy(body + hl, part, sizeof(part));
    setup(NULL);
    txn_open(&t, SK_REQMOD, "POST", "http://upload.test/form", &h, NULL);
    assert_int_equal(run(&t, body, len, 1000), SK_ALLOW);
    assert_int_equal(fk.scans, 3);
    assert_int_equal(fk.last_len, len);
    sk_txn_clear(&t);
    free(body);
}

static void test_multipart_boundary_parsing(void **s)
{
    char b[256];
    assert_int_equal(sk_mp_boundary("multipart/form-data; boundary=abc", b, sizeof(b)), 0);
    assert_string_equal(b, "abc");
    assert_int_equal(sk_mp_boundary("Multipart/Mixed;charset=x; BOUNDARY = \"a b\"", b, sizeof(b)),
                     0);
    assert_string_equal(b, "a b");
    assert_int_equal(sk_mp_boundary("text/plain; boundary=abc", b, sizeof(b)), -1);
    assert_int_equal(sk_mp_boundary("multipart/form-data", b, sizeof(b)), -1);
    assert_int_equal(sk_mp_boundary("multipart/form-data; boundary=", b, sizeof(b)), -1);
}

/* issue 17: one byte over memory-threshold costs no more per byte than one
 * under: a spilled body up to heavy-bytes is scanned from its mapping
 * (scan_mem, whole and identical), a heavy one through the descriptor. */
static void test_o17_spilled_scanned_from_mapping(void **s)
{
    static const size_t sizes[] = {4095, 4096, 4097, 65536, 65537};
    char *body = malloc(65537);
    struct hdrs h = {{"Content-Type"}, {"application/octet-stream"}};
    struct sk_txn t;

    for (size_t i = 0; i < 65537; i++)
        body[i] = (char)(i * 131 + (i >> 9));
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t len = sizes[i];
        fake_map_max = 65536;
        install_fake(4096);
        fake_map_max = 0;
        fk.scans = fk.fd_scans = 0;
        memcpy(body + len - 68, eicar, 68);
        txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/edge", &h, NULL);
        assert_int_equal(run(&t, body, len, 1000), SK_BLOCK);
        assert_int_equal(fk.scans, 1);
        assert_int_equal(fk.fd_scans, len > 65536 ? 1 : 0);
        assert_int_equal(fk.last_len, len);
        assert_memory_equal(fk.last, body, len);
        assert_true(dir_is_empty(tmpdir)); /* spill file gone */
        sk_txn_clear(&t);
        for (size_t k = len - 68; k < len; k++) /* restore the pattern */
            body[k] = (char)(k * 131 + (k >> 9));
    }
    free(body);
}

static void test_spill_to_file_and_removed(void **s)
{
    size_t len = 300000;
    char *body = malloc(len);
    struct hdrs h = {{"Content-Type"}, {"application/zip"}};
    struct sk_txn t;

    install_fake(4096);
    memset(body, 'b', len);
    memcpy(body + len - 68, eicar, 68);
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/big", &h, NULL);
    assert_int_equal(run(&t, body, len, 10000), SK_BLOCK);
    assert_int_equal(fk.fd_scans, 1);
    assert_int_equal(fk.last_len, len);
    assert_true(dir_is_empty(tmpdir)); /* spill file gone */
    sk_txn_clear(&t);
    free(body);
}

/* The store: memory up to the threshold (a body past 64 KiB moves into a
 * reused threshold-sized buffer), then a spill file; a reused buffer never
 * shows bytes of an earlier body. */
static void test_store_reuses_buffers(void **s)
{
    const size_t thr = 1 << 20;
    unsigned char *a = malloc(thr), *b = malloc(thr + 10);
    const unsigned char *view;
    size_t vlen;

    memset(a, 'a', thr);
    for (size_t i = 0; i < thr + 10; i++)
        b[i] = (unsigned char)(i * 7);
    for (int round = 0; round < 3; round++) {
        struct sk_vs_store st;
        size_t n = round == 0 ? thr : 100000 + (size_t)round; /* shorter after a full one */
        sk_vs_store_init(&st, thr, tmpdir);
        for (size_t off = 0; off < n; off += 4096) /* in pieces, as bodies arrive */
            assert_int_equal(
                sk_vs_store_append(&st, (round ? b : a) + off, n - off < 4096 ? n - off : 4096), 0);
        assert_int_equal(st.fd, -1); /* at most the threshold stays in memory */
        assert_int_equal(sk_vs_store_view(&st, &view, &vlen), 0);
        assert_int_equal(vlen, n);
        assert_memory_equal(view, round ? b : a, n);
        sk_vs_store_free(&st);
    }
    { /* one byte over the threshold: spilled, whole and in order */
        struct sk_vs_store st;
        sk_vs_store_init(&st, thr, tmpdir);
        assert_int_equal(sk_vs_store_append(&st, b, 70000), 0);
        assert_int_equal(sk_vs_store_append(&st, b + 70000, thr + 1 - 70000), 0);
        assert_true(st.fd != -1);
        assert_int_equal(sk_vs_store_view(&st, &view, &vlen), 0);
        assert_int_equal(vlen, thr + 1);
        assert_memory_equal(view, b, thr + 1);
        sk_vs_store_free(&st);
    }
    sk_vs_store_pool_drain();
    assert_true(dir_is_empty(tmpdir));
    free(a);
    free(b);
}

struct result_case {
    enum sk_vs_result force;
    const char *name;
    const char *policy_key; /* set to allow in a second run */
    const char *rule;       /* expected rule */
};

static void test_results_follow_policy(void **s)
{
    static const struct result_case cases[] = {
        {SK_VS_LIMIT, "Heuristics.Limits.Exceeded.MaxFileSize", "av.on-limit",
         "Heuristics.Limits.Exceeded.MaxFileSize"},
        {SK_VS_ENCRYPTED, "Heuristics.Encrypted.Zip", "av.on-encrypted",
         "Heuristics.Encrypted.Zip"},
        {SK_VS_ERROR, "", "av.on-error", "av-error"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct result_case *c = &cases[i];
        struct hdrs h = {{"Content-Type"}, {"application/zip"}};
        const char *kv[] = {c->policy_key, "allow", NULL};
        struct sk_snapshot *allow = policy_with(kv);
        struct sk_txn t;

        for (int run_allow = 0; run_allow < 2; run_allow++) {
            setup(NULL);
            fk.force = c->force;
            fk.name = c->name;
            txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/a.zip", &h,
                     run_allow ? allow : NULL);
            enum sk_verdict v = run(&t, "PK\x03\x04 data", 10, 10);
            assert_int_equal(v, run_allow ? SK_ALLOW : SK_BLOCK);
            assert_string_equal(t.rule, c->rule);
            assert_non_null(strstr(t.reason, c->policy_key));                /* log says why */
            assert_int_equal(sk_txn_detection(&t, 0, NULL, NULL, NULL), -1); /* not a virus */
            if (!run_allow)
                assert_int_equal(t.page.status, 403);
            sk_txn_clear(&t);
        }
        sk_snapshot_unref(allow);
    }
}

static void test_size_limit(void **s)
{
    struct hdrs h = {{"Content-Length", "Content-Type"}, {"209715200", "application/zip"}};
    const char *kv[] = {"av.max-scan-size", "1K", NULL};
    const char *kv2[] = {"av.max-scan-size", "1K", "av.on-limit", "allow", NULL};
    struct sk_snapshot *small = policy_with(kv), *small_allow = policy_with(kv2);
    char body[5000];
    struct sk_txn t;
    void *st;

    /* declared too large: decided at the headers, nothing buffered */
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/huge", &h, NULL);
    assert_int_equal(sk_vs_txn_begin(&t, &st), 0);
    assert_int_equal(sk_vs_on_headers(&t, st), SK_BLOCK);
    assert_string_equal(t.rule, "av-limit:max-scan-size");
    sk_vs_txn_end(&t, st);
    sk_txn_clear(&t);

    /* undeclared: found while streaming */
    memset(body, 'c', sizeof(body));
    h.names[0] = "X-Nothing";
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/big", &h, small);
    assert_int_equal(run(&t, body, sizeof(body), 100), SK_BLOCK);
    assert_string_equal(t.rule, "av-limit:max-scan-size");
    assert_int_equal(fk.scans, 0);
    sk_txn_clear(&t);

    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/big", &h, small_allow);
    assert_int_equal(run(&t, body, sizeof(body), 100), SK_ALLOW);
    assert_non_null(strstr(t.reason, "passed unscanned"));
    sk_txn_clear(&t);
    sk_snapshot_unref(small);
    sk_snapshot_unref(small_allow);
}

/* ---- true file types ----------------------------------------------- */

static const unsigned char pe_stub[] = "MZ\x90\0\3\0\0\0\4\0\0\0\xff\xff\0\0 a program";

static void test_filetype_blocks(void **s)
{
    const char *exe[] = {"filetype.block", "executable", NULL};
    const char *exe_log[] = {"filetype.block", "executable", "filetype.action", "log", NULL};
    const char *jav[] = {"filetype.block", "java,encrypted-archive", "av.on-encrypted", "allow",
                         NULL};
    const char *noav[] = {"filetype.block", "executable", "av.enabled", "off", NULL};
    struct sk_snapshot *p_exe = policy_with(exe), *p_log = policy_with(exe_log),
                       *p_jav = policy_with(jav), *p_noav = policy_with(noav);
    struct hdrs h = {{"Content-Type", "Accept-Language"}, {"text/plain", "en"}};
    struct sk_txn t;
    unsigned char *z;
    size_t zl;

    /* a PE renamed .txt, declared text/plain */
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/readme.txt", &h, p_exe);
    assert_int_equal(run(&t, pe_stub, sizeof(pe_stub), 7), SK_BLOCK);
    assert_string_equal(t.rule, "filetype:pe");
    assert_non_null(strstr(t.page.body, "File type blocked: Windows executable"));
    sk_txn_clear(&t);
    h.values[1] = "ja";
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/readme.txt", &h, p_exe);
    assert_int_equal(run(&t, pe_stub, sizeof(pe_stub), 100), SK_BLOCK);
    assert_non_null(
        strstr(t.page.body, "ファイルタイプがブロックされました: Windows 実行ファイル"));
    sk_txn_clear(&t);
    /* inside a zip: the member's name is in the reason */
    z = make_zip("docs/notes.txt", pe_stub, sizeof(pe_stub), &zl);
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/a.zip", &h, p_exe);
    assert_int_equal(run(&t, z, zl, 1000), SK_BLOCK);
    assert_string_equal(t.rule, "filetype:pe");
    assert_non_null(strstr(t.reason, "docs/notes.txt"));
    sk_txn_clear(&t);
    /* the zip itself is allowed (archive not blocked), a jar is java */
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/a.zip", &h, p_jav);
    assert_int_equal(run(&t, z, zl, 1000), SK_ALLOW);
    sk_txn_clear(&t);
    free(z);
    z = make_zip("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n", 22, &zl);
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/app.jar", &h, p_jav);
    assert_int_equal(run(&t, z, zl, 1000), SK_BLOCK);
    assert_string_equal(t.rule, "filetype:jar");
    sk_txn_clear(&t);
    free(z);
    /* an encrypted member: encrypted-archive, even where av.on-encrypted allows */
    z = make_zip_flags("secret.txt", "xxxxxxxxxxxx", 12, 1, &zl);
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/s.zip", &h, p_jav);
    assert_int_equal(run(&t, z, zl, 1000), SK_BLOCK);
    assert_string_equal(t.rule, "filetype:zip-encrypted");
    sk_txn_clear(&t);
    free(z);
    /* an inner object the engine typed (an ELF in a tar.gz) */
    fk.kinds = 1u << SK_FT_ELF;
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/x.tar.gz", &h, p_exe);
    assert_int_equal(run(&t, "\x1f\x8b\x08\0\0\0\0\0", 8, 8), SK_BLOCK);
    assert_string_equal(t.rule, "filetype:elf");
    sk_txn_clear(&t);
    fk.kinds = 0;
    /* monitor mode: passes, would-block */
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/readme.txt", &h, p_log);
    assert_int_equal(run(&t, pe_stub, sizeof(pe_stub), 100), SK_ALLOW);
    assert_true(sk_txn_would_blocked(&t));
    assert_string_equal(t.rule, "filetype:pe");
    sk_txn_clear(&t);
    /* av off: the type is still checked, nothing is scanned */
    fk.scans = 0;
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/readme.txt", &h, p_noav);
    assert_int_equal(run(&t, pe_stub, sizeof(pe_stub), 100), SK_BLOCK);
    assert_int_equal(fk.scans, 0);
    sk_txn_clear(&t);
    /* allowed types pass */
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/readme.txt", &h, p_exe);
    assert_int_equal(run(&t, "just text\n", 10, 10), SK_ALLOW);
    sk_txn_clear(&t);
    sk_snapshot_unref(p_exe);
    sk_snapshot_unref(p_log);
    sk_snapshot_unref(p_jav);
    sk_snapshot_unref(p_noav);
    (void)s;
}

static void test_filetype_mismatch(void **s)
{
    const char *blk[] = {"filetype.on-mismatch", "block", NULL};
    struct sk_snapshot *p_blk = policy_with(blk);
    struct hdrs h = {{"Content-Type"}, {"image/png"}};
    struct sk_txn t;

    /* default: log and pass */
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/cat.png", &h, NULL);
    assert_int_equal(run(&t, pe_stub, sizeof(pe_stub), 100), SK_ALLOW);
    assert_string_equal(t.rule, "filetype-mismatch");
    assert_non_null(strstr(t.reason, "declared image/png, cat.png"));
    assert_false(sk_txn_would_blocked(&t));
    sk_txn_clear(&t);
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/cat.png", &h, p_blk);
    assert_int_equal(run(&t, pe_stub, sizeof(pe_stub), 100), SK_BLOCK);
    assert_string_equal(t.rule, "filetype:pe");
    sk_txn_clear(&t);
    /* a PE declared as a program is no mismatch */
    h.values[0] = "application/x-msdownload";
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/setup.exe", &h, p_blk);
    assert_int_equal(run(&t, pe_stub, sizeof(pe_stub), 100), SK_ALLOW);
    sk_txn_clear(&t);
    sk_snapshot_unref(p_blk);
    (void)s;
}

static void test_pua_wanted(void **s)
{
    struct sk_vs_limits off = {0}, on = {.pua = 1}, inc = {.pua = 1, .pua_include = "Win, Doc"},
                        exc = {.pua = 1, .pua_exclude = "Packed"};

    assert_true(sk_vs_pua_wanted(&off, "Eicar-Test-Signature"));
    assert_true(sk_vs_pua_wanted(NULL, "Win.Trojan.X"));
    assert_false(sk_vs_pua_wanted(&off, "PUA.Win.Tool.X"));
    assert_false(sk_vs_pua_wanted(NULL, "PUA.Win.Tool.X"));
    assert_true(sk_vs_pua_wanted(&on, "PUA.Win.Tool.X"));
    assert_true(sk_vs_pua_wanted(&inc, "PUA.win.Tool.X"));
    assert_true(sk_vs_pua_wanted(&inc, "PUA.Doc.Tool.X"));
    assert_false(sk_vs_pua_wanted(&inc, "PUA.Packed.X"));
    assert_false(sk_vs_pua_wanted(&inc, "PUA.Wi.Tool.X"));
    assert_false(sk_vs_pua_wanted(&exc, "PUA.Packed.UPX"));
    assert_true(sk_vs_pua_wanted(&exc, "PUA.Win.Tool.X"));
    (void)s;
}

static void test_skip_types_and_disabled(void **s)
{
    const char *kv[] = {"av.skip-types", "video/*, audio/mpeg", NULL};
    const char *off[] = {"av.enabled", "off", NULL};
    struct sk_snapshot *skip = policy_with(kv), *disabled = policy_with(off);
    /* listed types are skipped once the first bytes agree (no scan);
     * the same bytes under an unlisted type are scanned */
    static const struct {
        const char *ct;
        int scans;
    } cases[] = {
        {"video/mp4", 0},  {"VIDEO/webm; codecs=vp9", 0}, {"audio/mpeg", 0}, {"audio/ogg", 1},
        {"videox/mp4", 1}, {"application/zip", 1},
    };
    static unsigned char media[5000];
    memset(media, 'v', sizeof(media));
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct hdrs h = {{"Content-Type"}, {cases[i].ct}};
        struct sk_txn t;
        fk.scans = 0;
        txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/m", &h, skip);
        if (run(&t, media, sizeof(media), 1000) != SK_ALLOW || fk.scans != cases[i].scans)
            fail_msg("%s: unexpected verdict or %d scans", cases[i].ct, fk.scans);
        sk_txn_clear(&t);
    }
    /* decided within the preview (1024 bytes): released before the rest */
    {
        struct hdrs h = {{"Content-Type"}, {"video/mp4"}};
        struct sk_txn t;
        void *st = NULL;
        txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/m", &h, skip);
        assert_int_equal(sk_vs_txn_begin(&t, &st), 0);
        assert_int_equal(sk_vs_on_headers(&t, st), SK_CONTINUE);
        assert_int_equal(sk_vs_on_body(&t, st, media, 511, 0), SK_CONTINUE);
        assert_int_equal(sk_vs_on_body(&t, st, media, 513, 0), SK_ALLOW);
        sk_vs_txn_end(&t, st);
        sk_txn_clear(&t);
    }
    /* a lying Content-Type: a program (or a zip) declared video/mp4 is scanned */
    unsigned char pe[200] = "MZ";
    memcpy(pe + 100, eicar, 68);
    for (int small = 0; small < 2; small++) {
        struct hdrs h = {{"Content-Type"}, {"video/mp4"}};
        struct sk_txn t;
        fk.scans = 0;
        txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/m.mp4", &h, skip);
        assert_int_equal(run(&t, pe, small ? 168 : sizeof(pe), small ? 7 : 200), SK_BLOCK);
        assert_string_equal(t.rule, "Eicar-Test-Signature");
        assert_int_equal(fk.scans, 1);
        sk_txn_clear(&t);
    }
    struct hdrs h = {{"Content-Type"}, {"application/zip"}};
    struct sk_txn t;
    fk.scans = 0;
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/m", &h, disabled);
    assert_int_equal(run(&t, eicar, 68, 68), SK_ALLOW);
    assert_int_equal(fk.scans, 0);
    sk_txn_clear(&t);
    sk_snapshot_unref(skip);
    sk_snapshot_unref(disabled);
}

/* ---- tests: the real libclamav engine -------------------------------- */

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
    char p[256];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void test_real_engine(void **s)
{
    char db[] = "/tmp/sk-test-vs-sigs-XXXXXX";
    struct sk_vs_scanner sc;
    struct sk_vs_report rep;
    struct sk_vs_limits lim = {.max_files = 100};
    char *err = NULL;
    size_t zlen, glen;

    assert_non_null(mkdtemp(db));
    struct sk_vs_engine_conf ec = {.db_dir = db,
                                   .tmp_dir = tmpdir,
                                   .reload_interval = 1,
                                   .max_scansize = 10 << 20,
                                   .max_filesize = 10 << 20,
                                   .max_recursion = 10,
                                   .max_files = 100,
                                   .max_scantime_ms = 60000};
    /* no signatures and no test_signatures: refused, naming DIR and freshclam */
    assert_int_equal(sk_vs_engine_create(&ec, &sc, &err), -1);
    assert_non_null(err);
    assert_non_null(strstr(err, db));
    assert_non_null(strstr(err, "freshclam"));
    assert_null(strchr(err, '\n'));
    free(err);
    err = NULL;
    ec.test_signatures = 1;
    if (sk_vs_engine_create(&ec, &sc, &err) != 0)
        fail_msg("engine: %s", err);
    const char *v1 = sc.version(sc.self);
    assert_non_null(strstr(v1, "testsigs")); /* empty db dir: the built-in test set */

    unsigned char *zip = make_zip("eicar.com", eicar, 68, &zlen);
    unsigned char *gz = zlib_encode(eicar, 68, 16 + 15, &glen);
    static const char marker[] = "data SEKISHO-AV-TEST-MARKER-7f3c data";
    static const struct {
        const char *what;
        int which; /* 0 eicar, 1 zip, 2 gz, 3 clean, 4 marker */
        enum sk_vs_result want;
        const char *name;
    } cases[] = {
        {"plain", 0, SK_VS_VIRUS, "Eicar-Test-Signature"},
        {"zip", 1, SK_VS_VIRUS, "Eicar-Test-Signature"},
        {"gzip file", 2, SK_VS_VIRUS, "Eicar-Test-Signature"},
        {"clean", 3, SK_VS_CLEAN, ""},
        {"project marker", 4, SK_VS_VIRUS, "Sekisho.Test.Marker"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const void *b = cases[i].which == 0   ? (const void *)eicar
                        : cases[i].which == 1 ? (const void *)zip
                        : cases[i].which == 2 ? (const void *)gz
                        : cases[i].which == 3 ? (const void *)"just some text\n"
                                              : (const void *)marker;
        size_t n = cases[i].which == 0   ? 68
                   : cases[i].which == 1 ? zlen
                   : cases[i].which == 2 ? glen
                   : cases[i].which == 3 ? 15
                                         : sizeof(marker) - 1;
        assert_int_equal(sc.scan_mem(sc.self, b, n, &lim, &rep), 0);
        if (rep.result != cases[i].want ||
            strncmp(rep.name, cases[i].name, strlen(cases[i].name)) != 0)
            fail_msg("%s: result %d name '%s'", cases[i].what, rep.result, rep.name);
    }
    /* per-policy max-files: a zip is two objects (the archive, the member) */
    lim.max_files = 0;
    {
        struct sk_vs_limits one = {.max_files = 1};
        unsigned char *z2 = make_zip("clean.txt", "clean", 5, &zlen);
        assert_int_equal(sc.scan_mem(sc.self, z2, zlen, &one, &rep), 0);
        assert_int_equal(rep.result, SK_VS_CLEAN);
        free(z2);
    }

    /* heuristic alerts: a member over the engine's max-filesize is a
     * limit, an encrypted member is "encrypted" - never clean */
    {
        size_t big = (11u << 20);
        char *zeros = calloc(1, big);
        unsigned char *z3 = make_zip("big.bin", zeros, big, &zlen);
        assert_int_equal(sc.scan_mem(sc.self, z3, zlen, &lim, &rep), 0);
        if (rep.result != SK_VS_LIMIT)
            fail_msg("oversized member: result %d name '%s'", rep.result, rep.name);
        free(z3);
        free(zeros);
        z3 = make_zip_flags("secret.txt", "0123456789abcdef", 16, 1, &zlen);
        assert_int_equal(sc.scan_mem(sc.self, z3, zlen, &lim, &rep), 0);
        if (rep.result != SK_VS_ENCRYPTED)
            fail_msg("encrypted member: result %d name '%s'", rep.result, rep.name);
        free(z3);
    }

    /* reload: real signatures appear in the db dir; changed() says so
     * (at most once per reload-interval), reload() rebuilds at once and the
     * version changes; a second reload() has nothing to do */
    static const char ndb[] = "Sekisho.Test.Reloaded:0:*:52454c4f41442d4d45\n"; /* RELOAD-ME */
    assert_int_equal(sc.reload(sc.self), 0);
    write_file(db, "reload.ndb", ndb, sizeof(ndb) - 1);
    sleep(2);
    assert_int_equal(sc.changed(sc.self), 1);
    assert_int_equal(sc.changed(sc.self), 0); /* paced by reload-interval */
    assert_int_equal(sc.reload(sc.self), 1);
    assert_int_equal(sc.reload(sc.self), 0);
    const char *v2 = sc.version(sc.self);
    assert_string_not_equal(v1, v2);
    assert_null(strstr(v2, "testsigs"));
    assert_int_equal(sc.scan_mem(sc.self, "xx RELOAD-ME xx", 15, &lim, &rep), 0);
    assert_int_equal(rep.result, SK_VS_VIRUS);
    assert_non_null(strstr(rep.name, "Sekisho.Test.Reloaded"));

    sc.destroy(sc.self);
    free(zip);
    free(gz);
    char p[256];
    snprintf(p, sizeof(p), "%s/reload.ndb", db);
    unlink(p);
    rmdir(db);
    assert_true(dir_is_empty(tmpdir)); /* test signature files removed */
}

static int group_setup(void **s)
{
    strcpy(eicar, EICAR_A EICAR_B);
    strcpy(tmpdir, "/tmp/sk-test-vs-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **s)
{
    sk_vs_test_install(NULL);
    free(fk.last);
    rmdir(tmpdir);
    return 0;
}

/* ---- issue 16: verdict mapping of every libclamav code, av.max-files ----
 * Only CL_CLEAN may ever be clean; a code nobody listed must be an error
 * (av.on-error), never a pass. max-files is exceeded for real. */
#include <clamav.h>
static void test_o16_every_clamav_code(void **s)
{
    struct sk_vs_report rep;

    for (int rc = CL_CLEAN; rc <= CL_ELAST_ERROR + 5; rc++) {
        enum sk_vs_result want =
            rc == CL_CLEAN   ? SK_VS_CLEAN
            : rc == CL_VIRUS ? SK_VS_VIRUS
            : (rc == CL_ETIMEOUT || rc == CL_EMAXREC || rc == CL_EMAXSIZE || rc == CL_EMAXFILES)
                ? SK_VS_LIMIT
                : SK_VS_ERROR;
        sk_vs_test_classify(rc, "Some.Virus", &rep);
        if (rep.result != want)
            fail_msg("cl_error_t %d (%s): result %d, want %d", rc, cl_strerror(rc), rep.result,
                     want);
        if (want == SK_VS_ERROR && rep.why[0] == '\0')
            fail_msg("cl_error_t %d: an error without a reason", rc);
    }
    sk_vs_test_classify(CL_VIRUS, "Heuristics.Limits.Exceeded.MaxFileSize", &rep);
    assert_int_equal(rep.result, SK_VS_LIMIT);
    sk_vs_test_classify(CL_VIRUS, "Heuristics.Encrypted.Zip", &rep);
    assert_int_equal(rep.result, SK_VS_ENCRYPTED);
    sk_vs_test_classify(CL_VIRUS, "Win.Test.EICAR_HDB-1", &rep);
    assert_int_equal(rep.result, SK_VS_VIRUS);
    assert_string_equal(rep.name, "Win.Test.EICAR_HDB-1");
}

/* A stored zip with N members "m<i>.txt". Caller frees. */
static unsigned char *o16_zip_n(int n, size_t *zlen)
{
    unsigned char *z = calloc(1, (size_t)n * 200 + 64), *p = z, *cd0;
    size_t off[64];
#define LE16(v) (*p++ = (unsigned char)((v)&0xff), *p++ = (unsigned char)(((v) >> 8) & 0xff))
#define LE32(v) (LE16((v)&0xffff), LE16(((uint32_t)(v) >> 16) & 0xffff))
    for (int i = 0; i < n; i++) {
        char name[16], data[32];
        int nl = snprintf(name, sizeof(name), "m%d.txt", i);
        int dl = snprintf(data, sizeof(data), "clean member %d\n", i);
        uint32_t crc = (uint32_t)crc32(0, (const Bytef *)data, (uInt)dl);
        off[i] = (size_t)(p - z);
        LE32(0x04034b50);
        LE16(10);
        LE16(0);
        LE16(0);
        LE16(0);
        LE16(0);
        LE32(crc);
        LE32(dl);
        LE32(dl);
        LE16(nl);
        LE16(0);
        memcpy(p, name, (size_t)nl);
        p += nl;
        memcpy(p, data, (size_t)dl);
        p += dl;
    }
    cd0 = p;
    for (int i = 0; i < n; i++) {
        char name[16], data[32];
        int nl = snprintf(name, sizeof(name), "m%d.txt", i);
        int dl = snprintf(data, sizeof(data), "clean member %d\n", i);
        uint32_t crc = (uint32_t)crc32(0, (const Bytef *)data, (uInt)dl);
        LE32(0x02014b50);
        LE16(20);
        LE16(10);
        LE16(0);
        LE16(0);
        LE16(0);
        LE16(0);
        LE32(crc);
        LE32(dl);
        LE32(dl);
        LE16(nl);
        LE16(0);
        LE16(0);
        LE16(0);
        LE16(0);
        LE32(0);
        LE32(off[i]);
        memcpy(p, name, (size_t)nl);
        p += nl;
    }
    size_t cdlen = (size_t)(p - cd0), cd = (size_t)(cd0 - z);
    LE32(0x06054b50);
    LE16(0);
    LE16(0);
    LE16(n);
    LE16(n);
    LE32(cdlen);
    LE32(cd);
    LE16(0);
#undef LE16
#undef LE32
    *zlen = (size_t)(p - z);
    return z;
}

static void test_o16_max_files(void **s)
{
    char db[] = "/tmp/sk-test-vs-o16-XXXXXX";
    struct sk_vs_scanner sc;
    struct sk_vs_report rep;
    char *err = NULL;
    size_t zlen;

    assert_non_null(mkdtemp(db));
    struct sk_vs_engine_conf ec = {.db_dir = db,
                                   .tmp_dir = tmpdir,
                                   .reload_interval = 0,
                                   .max_scansize = 10 << 20,
                                   .max_filesize = 10 << 20,
                                   .max_recursion = 10,
                                   .max_files = 100,
                                   .max_scantime_ms = 60000,
                                   .test_signatures = 1};
    if (sk_vs_engine_create(&ec, &sc, &err) != 0)
        fail_msg("engine: %s", err);
    unsigned char *z = o16_zip_n(5, &zlen);
    for (unsigned max = 1; max <= 7; max++) {
        struct sk_vs_limits lim = {.max_files = max};
        assert_int_equal(sc.scan_mem(sc.self, z, zlen, &lim, &rep), 0);
        /* five members: limits 1-4 are exceeded, 5 and more are not */
        enum sk_vs_result want = max < 5 ? SK_VS_LIMIT : SK_VS_CLEAN;
        if (rep.result != want)
            fail_msg("5 members, av.max-files %u: result %d name '%s', want %d", max, rep.result,
                     rep.name, want);
        if (want == SK_VS_LIMIT)
            assert_non_null(strstr(rep.name, "MaxFiles"));
    }
    free(z);
    sc.destroy(sc.self);
    rmdir(db);
}

/* ---- issue 16: av.max-scan-size at its exact boundary ----
 * The old case streamed 5000 bytes against 1K, so a limit four times too
 * large still passed it. At the limit: scanned; one byte over: a limit. */
static void test_o16_size_boundary(void **s)
{
    struct hdrs h = {{"X-Nothing", "Content-Type"}, {"x", "application/octet-stream"}};
    const char *kv[] = {"av.max-scan-size", "1K", NULL};
    struct sk_snapshot *small = policy_with(kv);
    char body[1025];
    struct sk_txn t;

    memset(body, 'c', sizeof(body));
    for (size_t chunk = 1; chunk <= 2048; chunk *= 8) {
        int before = fk.scans;
        txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/at-limit", &h, small);
        if (run(&t, body, 1024, chunk) != SK_ALLOW)
            fail_msg("1024 bytes (= av.max-scan-size 1K) in %zu-byte chunks: not allowed", chunk);
        assert_int_equal(fk.scans, before + 1); /* really scanned */
        sk_txn_clear(&t);
        txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/over-limit", &h, small);
        if (run(&t, body, 1025, chunk) != SK_BLOCK)
            fail_msg("1025 bytes (> av.max-scan-size 1K) in %zu-byte chunks: not a limit", chunk);
        assert_string_equal(t.rule, "av-limit:max-scan-size");
        sk_txn_clear(&t);
    }
    /* declared: Content-Length 1025 is refused at the headers, 1024 is not */
    struct hdrs d = {{"Content-Length", "Content-Type"}, {"1025", "application/octet-stream"}};
    void *st;
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/declared", &d, small);
    assert_int_equal(sk_vs_txn_begin(&t, &st), 0);
    assert_int_equal(sk_vs_on_headers(&t, st), SK_BLOCK);
    sk_vs_txn_end(&t, st);
    sk_txn_clear(&t);
    d.values[0] = "1024";
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/declared", &d, small);
    assert_int_equal(sk_vs_txn_begin(&t, &st), 0);
    assert_int_not_equal(sk_vs_on_headers(&t, st), SK_BLOCK);
    sk_vs_txn_end(&t, st);
    sk_txn_clear(&t);
    sk_snapshot_unref(small);
}

/* issue 16: a gzip body that is not a bomb (ratio ~1) but decodes to more
 * than av.max-scan-size is stopped by the decoder itself (its own rule), not
 * inflated further and caught later by the store size check. */
static void test_o16_decoded_size(void **s)
{
    const char *kv[] = {"av.max-scan-size", "1K", NULL};
    struct sk_snapshot *small = policy_with(kv);
    struct hdrs h = {{"Content-Encoding", "Content-Type"}, {"gzip", "application/octet-stream"}};
    unsigned char raw[5000];
    unsigned long x = 1;
    size_t elen;
    struct sk_txn t;

    for (size_t i = 0; i < sizeof(raw); i++) {
        x = x * 6364136223846793005ul + 1442695040888963407ul;
        raw[i] = (unsigned char)(x >> 56);
    }
    unsigned char *enc = zlib_encode(raw, sizeof(raw), 16 + 15, &elen);
    assert_true(elen > 4000); /* incompressible: no ratio alarm */
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/gz-big", &h, small);
    assert_int_equal(run(&t, enc, elen, 512), SK_BLOCK);
    assert_string_equal(t.rule, "av-limit:decoded-size");
    sk_txn_clear(&t);
    /* 900 bytes (encoded and decoded within 1K) are fine */
    free(enc);
    enc = zlib_encode(raw, 900, 16 + 15, &elen);
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/gz-ok", &h, small);
    assert_int_equal(run(&t, enc, elen, 512), SK_ALLOW);
    sk_txn_clear(&t);
    free(enc);
    sk_snapshot_unref(small);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_plain_bodies, setup),
        cmocka_unit_test_setup(test_page_escaped_and_japanese, setup),
        cmocka_unit_test_setup(test_content_encodings, setup),
        cmocka_unit_test_setup(test_decompression_bomb_is_a_limit, setup),
        cmocka_unit_test_setup(test_multipart_parts_scanned_with_nuls, setup),
        cmocka_unit_test(test_multipart_boundary_parsing),
        cmocka_unit_test_setup(test_spill_to_file_and_removed, setup),
        cmocka_unit_test_setup(test_store_reuses_buffers, setup),
        cmocka_unit_test_setup(test_results_follow_policy, setup),
        cmocka_unit_test_setup(test_size_limit, setup),
        cmocka_unit_test_setup(test_skip_types_and_disabled, setup),
        cmocka_unit_test(test_real_engine),
        cmocka_unit_test(test_coding_fields_and_members),
        cmocka_unit_test(test_zip_members_walked),
        cmocka_unit_test(test_o16_every_clamav_code), /* issue 16 */
        cmocka_unit_test(test_o16_max_files),
        cmocka_unit_test_setup(test_filetype_blocks, setup),
        cmocka_unit_test_setup(test_filetype_mismatch, setup),
        cmocka_unit_test(test_pua_wanted),
        cmocka_unit_test_setup(test_o16_size_boundary, setup),
        cmocka_unit_test_setup(test_o16_decoded_size, setup),
        cmocka_unit_test(test_o17_spilled_scanned_from_mapping),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

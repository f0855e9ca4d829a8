/* test_virus_scan.c - the virus_scan hooks driven with a fake scanner:
 * what reaches the scanner (decoded bytes, zip members, multipart parts
 * with their NULs, spill files and mappings), buffer reuse, and how each
 * result becomes a verdict under the policy. File types: test_vs_filetype.c;
 * limits: test_vs_limits.c; the real libclamav engine: test_vs_engine.c.
 * Shared fixture: support/virus_scan_fixture.c. */
#ifdef SK_TEST_HAVE_BROTLI
#include <ctype.h>
#include <brotli/encode.h>
#endif

#include "virus_scan_fixture.h"

/* ---- tests: hooks with the fake -------------------------------------- */

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

        memset(body, '.', len) /* a run of letters would be base64 too */;
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
            enc = sk_tz_deflate(plain, sizeof(plain), cases[i].wbits, &elen);
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

/* Several Content-Encoding fields form one chain; a gzip member ending at
 * a write boundary does not drop the next ones. */
static void test_coding_fields_and_members(void **s)
{
    char plain[2048];
    size_t n1, n2, rl;
    memset(plain, 'w', sizeof(plain));
    memcpy(plain + 500, eicar, 68);
    unsigned char *raw = sk_tz_deflate(plain, sizeof(plain), -15, &rl);
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
    unsigned char *m1 = sk_tz_deflate("first member", 12, 16 + 15, &n1);
    unsigned char *m2 = sk_tz_deflate(plain, sizeof(plain), 16 + 15, &n2);
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
    struct sk_tzip zb = {0};
    size_t n;

    sk_tzip_entry(&zb, "e.com", eicar, 68, SK_TZIP_DEFLATE | SK_TZIP_ZIP64, 0);
    sk_tzip_put(&zb, "PK\x01\x02", 4);
    unsigned char *zip = sk_tzip_take(&zb, &n);
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
    free(zip);
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

/* Every multipart subtype but form-data is read as mail, also as an HTTP
 * body (red team 5, MP-CR-HTTP: googleapiclient reads batch responses with
 * email.feedparser): a bare CR ends a delimiter line; a form-data body's
 * "\r--zz" is no delimiter (Django, aiohttp). A malformed boundary
 * parameter is the failure verdict. */
static void test_multipart_mail_line_ends(void **s)
{
    char *e = sk_tz_b64(eicar, 68), body[1024];
    static const char *const cts[] = {"multipart/mixed; boundary=zz",
                                      "multipart/related; boundary=zz",
                                      " Multipart/Alternative;boundary=zz"};
    struct sk_txn t;

    int n = snprintf(body, sizeof(body),
                     "--zz\rContent-Type: text/plain\rContent-Transfer-Encoding: base64\r\r%s\r"
                     "--zz--\r",
                     e);
    for (size_t i = 0; i < sizeof(cts) / sizeof(cts[0]); i++) {
        struct hdrs h = {{"Content-Type"}, {cts[i]}};
        setup(NULL);
        txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/batch", &h, NULL);
        if (run(&t, body, (size_t)n, 4096) != SK_BLOCK)
            fail_msg("%s: EICAR in a CR-only part passed", cts[i]);
        sk_txn_clear(&t);
    }
    /* CRLF delimiters, and one after a bare CR before a quoted-printable
     * part (soft breaks inside EICAR): only a reader that ends lines at a
     * bare CR decodes that part (the body's message reading is not asked:
     * parts were found) */
    n = snprintf(body, sizeof(body),
                 "--zz\r\nContent-Type: text/plain\r\n\r\nfirst part\r--zz\r\n"
                 "Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n"
                 "\r\n%.20s=\r\n%.20s=\r\n%s\r\n--zz--\r\n",
                 eicar, eicar + 20, eicar + 40);
    struct hdrs qp = {{"Content-Type"}, {"multipart/mixed; boundary=zz"}};
    setup(NULL);
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/batch-qp", &qp, NULL);
    assert_int_equal(run(&t, body, (size_t)n, 4096), SK_BLOCK);
    sk_txn_clear(&t);
    assert_true(sk_mp_is_form_data("multipart/form-data; boundary=zz"));
    assert_true(sk_mp_is_form_data(" Multipart/Form-Data"));
    assert_false(sk_mp_is_form_data("multipart/form-database; boundary=zz"));
    assert_false(sk_mp_is_form_data("multipart/mixed; x=multipart/form-data"));
    assert_false(sk_mp_is_form_data(NULL));
    /* boundary values readers unquote differently: av.on-error */
    static const char *const odd[] = {"multipart/mixed; boundary=\"a\\a\"",
                                      "multipart/form-data; boundary=aa\"",
                                      "multipart/mixed; boundary=aa,bb"};
    n = snprintf(body, sizeof(body),
                 "--aa\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n--aa--\r\n", e);
    for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
        struct hdrs h = {{"Content-Type"}, {odd[i]}};
        setup(NULL);
        txn_open(&t, SK_REQMOD, "POST", "http://upload.test/odd", &h, NULL);
        if (run(&t, body, (size_t)n, 4096) != SK_BLOCK || strcmp(t.rule, "av-error") != 0)
            fail_msg("%s: not the failure verdict (%s)", odd[i], t.rule);
        sk_txn_clear(&t);
    }
    /* a form-data body without its boundary (Django reads one part): av.on-error */
    n = snprintf(body, sizeof(body),
                 "Content-Disposition: form-data; name=a\r\nContent-Transfer-Encoding: "
                 "base64\r\n\r\n%s",
                 e);
    struct hdrs fd = {{"Content-Type"}, {"multipart/form-data; boundary=zz"}};
    setup(NULL);
    txn_open(&t, SK_REQMOD, "POST", "http://upload.test/nodelim", &fd, NULL);
    assert_int_equal(run(&t, body, (size_t)n, 4096), SK_BLOCK);
    assert_string_equal(t.rule, "av-error");
    sk_txn_clear(&t);
    /* a part whose header field is not all read (past 1 KiB): av.on-error */
    char cd[1200];
    memset(cd, 'x', sizeof(cd));
    cd[sizeof(cd) - 1] = '\0';
    static char big[4096];
    n = snprintf(big, sizeof(big),
                 "--zz\r\nContent-Disposition: attachment; x=\"%s\"; filename=e.com\r\n"
                 "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--zz--\r\n",
                 cd, e);
    struct hdrs mx = {{"Content-Type"}, {"multipart/mixed; boundary=zz"}};
    setup(NULL);
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/cut", &mx, NULL);
    assert_int_equal(run(&t, big, (size_t)n, 4096), SK_BLOCK);
    assert_string_equal(t.rule, "av-error");
    sk_txn_clear(&t);
    free(e);
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
        struct sk_snapshot *allow = sk_t_policy_with(kv);
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

/* A piece of a download (HTTP 206) is av.on-partial: block by default,
 * allow scans the piece on its own; the whole object in a 206 is a
 * download like any other; av.skip-types decides pieces of its types. */
/* A fresh fake engine, a RESPMOD of URL with headers H (a 206 response)
 * under policy SNAP, BODY in CHUNK-byte writes: the verdict. */
static enum sk_verdict run_206(struct sk_txn *t, const char *url, struct hdrs *h,
                               struct sk_snapshot *snap, const void *body, size_t len, size_t chunk)
{
    setup(NULL);
    txn_open(t, SK_RESPMOD, "GET", url, h, snap);
    t->http_status = 206;
    return run(t, body, len, chunk);
}

static void test_partial_content(void **s)
{
    static const struct {
        int status;
        const char *range;
        int want;
    } pieces[] = {
        {206, NULL, 1},
        {200, NULL, 0},
        {206, "bytes 0-99/100", 0},
        {206, " BYTES 0-99/100", 0},
        {206, "bytes 0-0/1", 0},
        {206, "bytes 0-98/100", 1},
        {206, "bytes 1-99/100", 1},
        {206, "bytes 0-99/*", 1},
        {206, "bytes 0-99/100x", 1},
        {206, "bytes 0-99/0", 1},
        {206, "items 0-99/100", 1},
        {200, "bytes 100-199/1000", 1},
    };
    for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++)
        if (sk_vs_partial(pieces[i].status, pieces[i].range) != pieces[i].want)
            fail_msg("%d '%s': want %d", pieces[i].status, pieces[i].range ? pieces[i].range : "",
                     pieces[i].want);

    struct hdrs h = {{"Content-Type", "Content-Range"},
                     {"application/octet-stream", "bytes 1000-1999/5000"}};
    const char *kv_allow[] = {"av.on-partial", "allow", NULL};
    const char *kv_skip[] = {"av.skip-types", "video/*", NULL};
    struct sk_snapshot *allow = sk_t_policy_with(kv_allow), *skip = sk_t_policy_with(kv_skip);
    char body[1000];
    struct sk_txn t;

    memset(body, '.', sizeof(body));
    assert_int_equal(run_206(&t, "http://origin.test/setup.exe", &h, NULL, body, sizeof(body), 100),
                     SK_BLOCK);
    assert_string_equal(t.rule, "av-partial");
    assert_non_null(strstr(t.reason, "av.on-partial"));
    assert_int_equal(t.page.status, 403);
    assert_int_equal(fk.scans, 0); /* decided from the headers */
    sk_txn_clear(&t);
    /* allow: the piece is scanned; a virus in it still blocks */
    assert_int_equal(
        run_206(&t, "http://origin.test/setup.exe", &h, allow, body, sizeof(body), 100), SK_ALLOW);
    assert_int_equal(fk.scans, 1);
    assert_string_equal(t.rule, "av-partial");
    sk_txn_clear(&t);
    memcpy(body + 500, eicar, 68);
    assert_int_equal(
        run_206(&t, "http://origin.test/setup.exe", &h, allow, body, sizeof(body), 100), SK_BLOCK);
    assert_string_equal(t.rule, "Eicar-Test-Signature");
    sk_txn_clear(&t);
    /* the whole object in a 206: scanned as any download */
    struct hdrs whole = {{"Content-Type", "Content-Range"},
                         {"application/octet-stream", "bytes 0-999/1000"}};
    assert_int_equal(
        run_206(&t, "http://origin.test/setup.exe", &whole, NULL, body, sizeof(body), 100),
        SK_BLOCK);
    assert_string_equal(t.rule, "Eicar-Test-Signature");
    sk_txn_clear(&t);
    memset(body, '.', sizeof(body));
    assert_int_equal(
        run_206(&t, "http://origin.test/setup.exe", &whole, NULL, body, sizeof(body), 100),
        SK_ALLOW);
    sk_txn_clear(&t);
    /* two fields, the first a whole object's: no whole object (red team
     * s20: curl -C - takes the last and appends the piece to what it had) */
    struct hdrs two = {{"Content-Type", "Content-Range", "Content-Range"},
                       {"application/octet-stream", "bytes 0-999/1000", "bytes 1000-1999/2000"}};
    assert_int_equal(
        run_206(&t, "http://origin.test/setup.exe", &two, NULL, body, sizeof(body), 100), SK_BLOCK);
    assert_string_equal(t.rule, "av-partial");
    assert_int_equal(fk.scans, 0);
    sk_txn_clear(&t);
    /* av.skip-types video (all subtypes): a piece of a video passes once its bytes
     * agree; one whose bytes are a program is av.on-partial */
    struct hdrs vid = {{"Content-Type", "Content-Range"}, {"video/mp4", "bytes 1000-1999/5000"}};
    assert_int_equal(
        run_206(&t, "http://origin.test/movie.mp4", &vid, skip, body, sizeof(body), 1000),
        SK_ALLOW);
    assert_int_equal(fk.scans, 0);
    sk_txn_clear(&t);
    memcpy(body, "MZ\x90\0\3\0\0\0\4\0\0\0\xff\xff\0\0", 16);
    assert_int_equal(
        run_206(&t, "http://origin.test/movie.mp4", &vid, skip, body, sizeof(body), 1000),
        SK_BLOCK);
    assert_string_equal(t.rule, "av-partial");
    sk_txn_clear(&t);
    /* uploads are never pieces of a download */
    setup(NULL);
    txn_open(&t, SK_REQMOD, "PUT", "http://origin.test/up", &h, NULL);
    assert_int_equal(run(&t, body, sizeof(body), 100), SK_ALLOW);
    sk_txn_clear(&t);
    sk_snapshot_unref(allow);
    sk_snapshot_unref(skip);
}

/* One transaction of BODY (N bytes, in CHUNK-byte writes) through the hooks
 * after setup(): its verdict must be WANT and, unless NULL, its rule RULE;
 * fk keeps what the fake scanner saw. */
static void expect_txn(unsigned method, const char *url, struct hdrs *h, struct sk_snapshot *snap,
                       const void *body, size_t n, size_t chunk, enum sk_verdict want,
                       const char *rule)
{
    struct sk_txn t;
    enum sk_verdict v;

    setup(NULL);
    txn_open(&t, method, method == SK_REQMOD ? "POST" : "GET", url, h, snap);
    v = run(&t, body, n, chunk);
    if (v != want || (rule && strcmp(t.rule ? t.rule : "", rule) != 0))
        fail_msg("%s (%zu-byte writes): verdict %d rule '%s', want %d '%s'", url, chunk, v,
                 t.rule ? t.rule : "", want, rule ? rule : "");
    sk_txn_clear(&t);
}

/* A ZIP64 zip the engine met where our walk does not read (the fake says
 * so for "FAKE-ZIP64-HERE"): av.on-error, also beside a clean ZIP64 zip
 * our walk reads in a base64 run - the engine never saw that one, so it
 * cannot stand in for the one it saw. */
static void test_zip64_decoy_run(void **s)
{
    struct sk_tzip zb = {0};
    size_t n;
    char body[8192];

    (void)s;
    sk_tzip_entry(&zb, "clean.txt", "clean text", 10, SK_TZIP_DEFLATE | SK_TZIP_ZIP64, 0);
    sk_tzip_central(&zb);
    unsigned char *zip = sk_tzip_take(&zb, &n);
    char *b = sk_tz_b64(zip, n);
    struct hdrs h = {{"Content-Type"}, {"text/plain"}};
    snprintf(body, sizeof(body), "FAKE-ZIP64-HERE and a token: %s\n", b);
    expect_txn(SK_RESPMOD, "http://origin.test/decoy.txt", &h, NULL, body, strlen(body), 4096,
               SK_BLOCK, "av-error");
    /* without the decoy the same; a run's own ZIP64 zip alone is read */
    expect_txn(SK_RESPMOD, "http://origin.test/nodecoy.txt", &h, NULL, "FAKE-ZIP64-HERE", 15, 4096,
               SK_BLOCK, "av-error");
    snprintf(body, sizeof(body), "a token: %s\n", b);
    expect_txn(SK_RESPMOD, "http://origin.test/run.txt", &h, NULL, body, strlen(body), 4096,
               SK_ALLOW, NULL);
    free(b), free(zip);
}

/* Base64 in text (HTML smuggling: a page assembles a program with
 * atob(); a file in a JSON or form upload): each run of 64+ digits is
 * decoded and scanned as an object of its own. */
static void test_base64_runs_scanned(void **s)
{
    char *e = sk_tz_b64(eicar, 68), body[8192];
    struct {
        const char *what, *ct;
        unsigned method;
        const char *pre, *mid, *post; /* MID: EICAR's base64 split by it */
    } cases[] = {
        {"JSON upload", "application/json", SK_REQMOD, "{\"name\":\"a.com\",\"data\":\"", NULL,
         "\"}"},
        {"data: URL in a form", "application/x-www-form-urlencoded", SK_REQMOD,
         "f=data%3Aapplication%2Foctet-stream%3Bbase64%2C", NULL, "&g=1"},
        {"atob() in a page", "text/html", SK_RESPMOD, "<script>var b=atob(\"", NULL,
         "\");</script>"},
        {"atob() of a concatenation", "text/html", SK_RESPMOD, "<script>var b=atob(\"", "\" +\n \"",
         "\");</script>"},
        {"undeclared text", NULL, SK_RESPMOD, "payload ", NULL, "\n"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (cases[i].mid)
            snprintf(body, sizeof(body), "%s%.41s%s%s%s", cases[i].pre, e, cases[i].mid, e + 41,
                     cases[i].post);
        else
            snprintf(body, sizeof(body), "%s%s%s", cases[i].pre, e, cases[i].post);
        assert_null(memmem(body, strlen(body), eicar, 68));
        for (size_t chunk = 1; chunk <= 4096; chunk *= 64) {
            struct hdrs h = {{cases[i].ct ? "Content-Type" : "X-None"},
                             {cases[i].ct ? cases[i].ct : "x"}};
            expect_txn(cases[i].method, cases[i].what, &h, NULL, body, strlen(body), chunk,
                       SK_BLOCK, "Eicar-Test-Signature");
            assert_int_equal(fk.last_len, 68); /* the decoded run alone */
        }
    }

    /* a text/html page may start with binary bytes (browsers render it) */
    struct hdrs html = {{"Content-Type"}, {"text/html"}};
    memset(body, 0, 600);
    snprintf(body + 600, sizeof(body) - 600, "<script>atob('%s')</script>", e);
    size_t n = 600 + strlen(body + 600);
    expect_txn(SK_RESPMOD, "http://origin.test/nul.html", &html, NULL, body, n, 4096, SK_BLOCK,
               NULL);
    /* ...but a binary object declared binary is not read as text */
    struct hdrs bin = {{"Content-Type"}, {"application/octet-stream"}};
    expect_txn(SK_RESPMOD, "http://origin.test/nul.bin", &bin, NULL, body, n, 4096, SK_ALLOW, NULL);
    assert_int_equal(fk.scans, 1);

    /* many runs: the first 32 each on its own, the rest together (the
     * 40th is EICAR: still found); scans are bounded */
    size_t q = 0;
    for (int i = 0; i < 39; i++)
        q += (size_t)snprintf(body + q, sizeof(body) - q, "\"t%d\":\"%064d\",", i, i);
    q += (size_t)snprintf(body + q, sizeof(body) - q, "\"x\":\"%s\"", e);
    struct hdrs json = {{"Content-Type"}, {"application/json"}};
    expect_txn(SK_RESPMOD, "http://origin.test/many.json", &json, NULL, body, q, 4096, SK_BLOCK,
               NULL);
    assert_int_equal(fk.scans, 1 + 32 + 1);
    /* clean: the body, then the run */
    snprintf(body, sizeof(body), "{\"data\":\"%s\"}", e + 4);
    expect_txn(SK_RESPMOD, "http://origin.test/clean.json", &json, NULL, body, strlen(body), 4096,
               SK_ALLOW, NULL);
    assert_int_equal(fk.scans, 2);

    /* a gzip file (no Content-Encoding: a .gz download) is decompressed by
     * the walk: its runs are found, the engine is not asked to scan the
     * decompressed bytes again (the body, then the run: 2 scans) */
    struct hdrs gzh = {{"Content-Type"}, {"application/gzip"}};
    snprintf(body, sizeof(body), "{\"data\":\"%s\"}", e);
    size_t gzn;
    unsigned char *gzb = sk_tz_deflate(body, strlen(body), 16 + 15, &gzn);
    expect_txn(SK_RESPMOD, "http://origin.test/a.json.gz", &gzh, NULL, gzb, gzn, 4096, SK_BLOCK,
               "Eicar-Test-Signature");
    assert_int_equal(fk.scans, 2);
    free(gzb);
    /* ...within av.max-scan-size: a gzip bomb is the limit verdict */
    static unsigned char zeros[200000];
    const char *kv_small[] = {"av.max-scan-size", "64K", NULL};
    struct sk_snapshot *small = sk_t_policy_with(kv_small);
    gzb = sk_tz_deflate(zeros, sizeof(zeros), 16 + 15, &gzn);
    expect_txn(SK_RESPMOD, "http://origin.test/bomb.gz", &gzh, small, gzb, gzn, 4096, SK_BLOCK,
               "av-limit:max-scan-size");
    free(gzb);
    sk_snapshot_unref(small);

    /* a form field holding base64 in a multipart upload: found in the
     * part, the whole body is not read for runs a second time */
    struct hdrs mp = {{"Content-Type"}, {"multipart/form-data; boundary=XyZ"}};
    for (int virus = 0; virus < 2; virus++) {
        n = (size_t)snprintf(body, sizeof(body),
                             "--XyZ\r\nContent-Disposition: form-data; name=\"d\"\r\n\r\n%s\r\n"
                             "--XyZ--\r\n",
                             virus ? e : e + 4);
        expect_txn(SK_REQMOD, "http://upload.test/form", &mp, NULL, body, n, 4096,
                   virus ? SK_BLOCK : SK_ALLOW, NULL);
        if (!virus)
            assert_int_equal(fk.scans, 3); /* the part, its run, the whole */
    }
    free(e);
}

/* A file as a form field's value or a JSON string (its '\' written %5C or
 * "\\"): the value is decoded as the application gets it and scanned as an
 * object of its own; values without an escape cost nothing more. */
/* A script's text with its escapes undone is read once, not again inside
 * (a shell script's backslashes of backslashes were read again and again
 * to av-limit:depth: /etc/bash.bashrc was blocked) */
static void test_script_view_once(void **s)
{
    char body[4096];
    size_t o = 0;
    struct hdrs plain = {{"Content-Type"}, {"text/plain"}};

    (void)s;
    for (int i = 0; i < 20; i++)
        o += (size_t)snprintf(body + o, sizeof(body) - o,
                              "PS1='\\\\\\\\[\\\\\\\\e]0;\\\\\\\\u@\\\\\\\\h' # %d\n", i);
    fk.scans = 0;
    expect_txn(SK_RESPMOD, "http://origin.test/prompt.js", &plain, NULL, body, o, 4096, SK_ALLOW,
               NULL);
    assert_int_equal(fk.scans, 2); /* the text, its script view */
    /* not a script: a shell profile, a tar's bytes are read as they are */
    fk.scans = 0;
    expect_txn(SK_RESPMOD, "http://origin.test/bashrc", &plain, NULL, body, o, 4096, SK_ALLOW,
               NULL);
    assert_int_equal(fk.scans, 1);
}

static void test_values_scanned(void **s)
{
    char body[1024], val[300];
    size_t o = 0;
    struct hdrs form = {{"Content-Type"}, {"application/x-www-form-urlencoded"}};
    struct hdrs json = {{"Content-Type"}, {"application/json"}};
    struct hdrs js = {{"Content-Type"}, {"text/javascript"}};
    struct hdrs none = {{"X-None"}, {"x"}};

    (void)s;
    for (size_t i = 0; i < 68; i++) /* quote_plus */
        o += (size_t)snprintf(val + o, sizeof(val) - o,
                              isalnum((unsigned char)eicar[i]) ? "%c" : "%%%02X",
                              (unsigned char)eicar[i]);
    snprintf(body, sizeof(body), "a=1&f=%s&g=2", val);
    for (size_t chunk = 1; chunk <= 4096; chunk *= 64) {
        expect_txn(SK_REQMOD, "http://upload.test/form", &form, NULL, body, strlen(body), chunk,
                   SK_BLOCK, "Eicar-Test-Signature");
        assert_int_equal(fk.last_len, 68); /* the value alone */
    }
    /* ... and as a field's name (parse_qsl, busboy, formidable decode it) */
    snprintf(body, sizeof(body), "a=1&%s=1&g=2", val);
    for (size_t chunk = 1; chunk <= 4096; chunk *= 64) {
        expect_txn(SK_REQMOD, "http://upload.test/form", &form, NULL, body, strlen(body), chunk,
                   SK_BLOCK, "Eicar-Test-Signature");
        assert_int_equal(fk.last_len, 68); /* the name alone */
    }
    /* JSON: '\' is "\\" in the string */
    o = 0;
    for (size_t i = 0; i < 68; i++)
        o += (size_t)snprintf(val + o, sizeof(val) - o, eicar[i] == '\\' ? "\\\\" : "%c", eicar[i]);
    snprintf(body, sizeof(body), "{\"files\": {\"e.com\": {\"content\": \"%s\"}}}", val);
    assert_null(memmem(body, strlen(body), eicar, 68));
    expect_txn(SK_REQMOD, "http://upload.test/gist", &json, NULL, body, strlen(body), 4096,
               SK_BLOCK, "Eicar-Test-Signature");
    assert_int_equal(fk.last_len, 68);
    /* the same JSON in UTF-32 (json.loads reads it; BOM or not, either
     * byte order): its strings are read from its UTF-8 */
    for (int k = 0; k < 3; k++) {
        static char b32[4096];
        size_t m = 0, bl = strlen(body);
        int be = k == 2;
        if (k == 0)
            memcpy(b32, "\xff\xfe\0\0", 4), m = 4;
        for (size_t i = 0; i < bl; i++, m += 4) {
            memset(b32 + m, 0, 4);
            b32[m + (be ? 3 : 0)] = body[i];
        }
        expect_txn(SK_REQMOD, "http://upload.test/gist32", &json, NULL, b32, m, 4096, SK_BLOCK,
                   "Eicar-Test-Signature");
        assert_int_equal(fk.last_len, 68);
    }
    /* an escaped quote does not end a string: the value after it is whole */
    snprintf(body, sizeof(body), "{\"a\": \"say \\\"hi\", \"content\": \"%s\"}", val);
    expect_txn(SK_REQMOD, "http://upload.test/gist2", &json, NULL, body, strlen(body), 4096,
               SK_BLOCK, "Eicar-Test-Signature");
    assert_int_equal(fk.last_len, 68);
    /* undeclared, read as JSON by its '{' */
    expect_txn(SK_RESPMOD, "http://origin.test/a.bin", &none, NULL, body, strlen(body), 4096,
               SK_BLOCK, "Eicar-Test-Signature");
    snprintf(body, sizeof(body), "var f = new Blob([\"%s\"]);", val);
    expect_txn(SK_RESPMOD, "http://origin.test/a.js", &js, NULL, body, strlen(body), 4096, SK_BLOCK,
               "Eicar-Test-Signature");
    /* clean: one more scan for the escaped value, none for the plain one */
    snprintf(body, sizeof(body), "{\"a\": \"line one\\nline two, \\\"quoted\\\"\", \"b\": \"%s\"}",
             "plain value without escapes");
    expect_txn(SK_RESPMOD, "http://origin.test/clean.json", &json, NULL, body, strlen(body), 4096,
               SK_ALLOW, NULL);
    assert_int_equal(fk.scans, 2);
    snprintf(body, sizeof(body), "a=plain+text+value+here&b=%s",
             "another%20one%20with%20escapes%20and%20long%20enough");
    expect_txn(SK_REQMOD, "http://upload.test/clean", &form, NULL, body, strlen(body), 4096,
               SK_ALLOW, NULL);
    assert_int_equal(fk.scans, 3);

    /* a form field declared UTF-16: busboy hands its text on decoded, so
     * the field is walked as UTF-8 too (LE, BE, "utf-16" with a BE BOM);
     * a file is stored as its bytes, a field without the declaration is
     * read as it is */
    static const struct {
        const char *cd, *cs;
        int be, bom;
        enum sk_verdict want;
    } u16[] = {
        {"name=t", "utf-16le", 0, 0, SK_BLOCK},
        {"name=t", "UTF-16BE", 1, 0, SK_BLOCK},
        {"name=t", "utf-16", 1, 1, SK_BLOCK},
        {"name=t", "utf-16", 0, 1, SK_BLOCK},
        {"name=t; filename=t.txt", "utf-16le", 0, 0, SK_ALLOW},
        {"name=t", "utf-8", 0, 0, SK_ALLOW},
    };
    struct hdrs mp = {{"Content-Type"}, {"multipart/form-data; boundary=b"}};
    for (size_t i = 0; i < sizeof(u16) / sizeof(u16[0]); i++) {
        size_t n = (size_t)snprintf(body, sizeof(body),
                                    "--b\r\nContent-Disposition: form-data; %s\r\n"
                                    "Content-Type: text/plain; charset=%s\r\n\r\n",
                                    u16[i].cd, u16[i].cs);
        if (u16[i].bom) {
            body[n++] = u16[i].be ? '\xfe' : '\xff';
            body[n++] = u16[i].be ? '\xff' : '\xfe';
        }
        for (size_t k = 0; k < 68; k++) {
            body[n++] = u16[i].be ? '\0' : eicar[k];
            body[n++] = u16[i].be ? eicar[k] : '\0';
        }
        n += (size_t)snprintf(body + n, sizeof(body) - n, "\r\n--b--\r\n");
        expect_txn(SK_REQMOD, "http://upload.test/u16", &mp, NULL, body, n, 4096, u16[i].want,
                   u16[i].want == SK_BLOCK ? "Eicar-Test-Signature" : NULL);
    }
}

/* Content-Type is one value; two different ones are the failure verdict
 * (a browser renders the last: video/mp4 then text/html is a page that
 * av.skip-types would have released unscanned). */
static void test_two_content_types(void **s)
{
    static const struct {
        const char *v[3];
        int want;
        const char *mt;
    } mts[] = {
        {{"text/html"}, 1, "text/html"},
        {{" TEXT/HTML ;charset=utf-8", "text/html"}, 1, "text/html"},
        {{"text/html; a=\"x, image/png\""}, 1, "text/html"},
        {{"multipart/form-data; boundary=a,b"}, 1, "multipart/form-data"},
        {{"video/mp4", "text/html"}, -1, "video/mp4"},
        {{"video/mp4, text/html"}, -1, "video/mp4"},
        {{"", "text/plain"}, 1, "text/plain"},
        {{NULL}, 0, ""},
    };
    char mt[64], *e = sk_tz_b64(eicar, 68), body[1024];
    struct sk_txn t;

    for (size_t i = 0; i < sizeof(mts) / sizeof(mts[0]); i++) {
        struct hdrs h = {{0}, {0}};
        for (int k = 0; k < 3 && mts[i].v[k]; k++)
            h.names[k] = "Content-Type", h.values[k] = mts[i].v[k];
        if (!h.names[0])
            h.names[0] = "X-None", h.values[0] = "x";
        txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/t", &h, NULL);
        int got = sk_txn_media_type(&t, 1, mt, sizeof(mt));
        if (got != mts[i].want || strcmp(mt, mts[i].mt) != 0)
            fail_msg("case %zu: %d '%s', want %d '%s'", i, got, mt, mts[i].want, mts[i].mt);
        sk_txn_clear(&t);
    }

    /* a page after NUL bytes, sent as video/mp4 and as text/html */
    memset(body, 0, 600);
    size_t n =
        600 + (size_t)snprintf(body + 600, sizeof(body) - 600, "<script>atob('%s')</script>", e);
    struct hdrs two = {{"Content-Type", "Content-Type"}, {"video/mp4", "text/html"}};
    const char *kv_skip[] = {"av.skip-types", "video/*", NULL};
    const char *kv_allow[] = {"av.skip-types", "video/*", "av.on-error", "allow", NULL};
    struct sk_snapshot *skip = sk_t_policy_with(kv_skip), *allow = sk_t_policy_with(kv_allow);
    txn_open(&t, SK_RESPMOD, "GET", "http://origin.test/m.mp4", &two, skip);
    assert_int_equal(run(&t, body, n, 4096), SK_BLOCK);
    assert_string_equal(t.rule, "av-error");
    assert_non_null(strstr(t.reason, "Content-Type"));
    assert_int_equal(fk.scans, 0);
    sk_txn_clear(&t);
    /* av.on-error allow: scanned, not skipped, and read as text */
    expect_txn(SK_RESPMOD, "http://origin.test/m.mp4", &two, allow, body, n, 4096, SK_BLOCK,
               "Eicar-Test-Signature");
    /* one type: video/mp4 alone is skipped by its first bytes (no program) */
    struct hdrs one = {{"Content-Type"}, {"video/mp4"}};
    expect_txn(SK_RESPMOD, "http://origin.test/m.mp4", &one, skip, body, n, 4096, SK_ALLOW, NULL);
    assert_int_equal(fk.scans, 0);
    sk_snapshot_unref(skip), sk_snapshot_unref(allow);
    free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_plain_bodies, setup),
        cmocka_unit_test_setup(test_page_escaped_and_japanese, setup),
        cmocka_unit_test_setup(test_content_encodings, setup),
        cmocka_unit_test_setup(test_multipart_parts_scanned_with_nuls, setup),
        cmocka_unit_test(test_multipart_boundary_parsing),
        cmocka_unit_test(test_multipart_mail_line_ends),
        cmocka_unit_test_setup(test_spill_to_file_and_removed, setup),
        cmocka_unit_test_setup(test_store_reuses_buffers, setup),
        cmocka_unit_test_setup(test_results_follow_policy, setup),
        cmocka_unit_test_setup(test_partial_content, setup),
        cmocka_unit_test_setup(test_base64_runs_scanned, setup),
        cmocka_unit_test_setup(test_values_scanned, setup),
        cmocka_unit_test_setup(test_script_view_once, setup),
        cmocka_unit_test_setup(test_zip64_decoy_run, setup),
        cmocka_unit_test_setup(test_two_content_types, setup),
        cmocka_unit_test(test_coding_fields_and_members),
        cmocka_unit_test(test_zip_members_walked),
        cmocka_unit_test(test_o17_spilled_scanned_from_mapping),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

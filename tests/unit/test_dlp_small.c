/* test_dlp_small.c - dlp over small objects (a URL's path or query, a
 * form field, a decoded run): sk_sniff_decide builds only the filters a
 * small object's bytes can start, and sk_dlp_read_whole reads a plain URL
 * piece without any chain; each must read as the object with every filter
 * built. Shared fixture: support/dlp_fixture.c. */
#include "dlp.h"
#include "dlp_fixture.h"
#include "sk_tzip.h"

/* An object that ends within its first 512 bytes (a URL's path, a form
 * field, a decoded run) is read without the filters its bytes give
 * nothing to (sk_sniff_decide, WHOLE): it must read exactly as with every
 * filter built. Each filter is shown to matter on an object of its own,
 * then random small objects of the filters' triggers are compared. */
struct small_read {
    uint32_t count[SK_DLP_NBUILTIN], ccount;
    char sample[SK_DLP_NBUILTIN][SK_DLP_SAMPLE];
    uint64_t scanned, budget;
    int limit, error;
    unsigned undecodable, encrypted, skipped;
    char why[128];
};

/* P read as one object of type CT with every filter built (EVERY), or as
 * a small object; WHOLE: through sk_dlp_read_whole, which returns 1 when
 * it read P without the chain (*FAST). */
static const char *small_name = "URL query"; /* sk_dlp_read_whole's */

static void small_read(const struct sk_dlp_plan *plan, const char *ct, const unsigned char *p,
                       size_t n, int every, int whole, int *fast, struct small_read *o)
{
    struct sk_dlp_engine *e = sk_dlp_engine_new(plan);
    struct sk_dlp_ctx ctx = {.e = e, .budget = 1u << 20, .every_filter = every};
    struct sk_dlp_sink *s;
    int rc = 0;

    assert_non_null(e);
    if (whole) {
        rc = sk_dlp_read_whole(&ctx, ct, small_name, p, n);
        assert_in_range(rc, 0, every ? 0 : 1); /* every_filter: always the chain */
    } else {
        assert_non_null(s = sk_dlp_object_new(&ctx, ct, NULL, 0));
        assert_int_equal(sk_dlp_put(s, p, n), 0);
        assert_int_equal(s->end(s), 0);
        s->destroy(s);
    }
    if (fast)
        *fast = rc == 1;
    memset(o, 0, sizeof(*o));
    memcpy(o->count, e->count, sizeof(o->count));
    memcpy(o->sample, e->sample, sizeof(o->sample));
    o->ccount = e->ccount[0];
    o->scanned = e->scanned, o->budget = ctx.budget;
    o->limit = ctx.limit, o->error = e->error;
    o->undecodable = ctx.undecodable, o->encrypted = ctx.encrypted, o->skipped = ctx.skipped;
    memcpy(o->why, ctx.why, sizeof(o->why));
    sk_dlp_engine_free(e);
}

/* Read P both ways (WHOLE: sk_dlp_read_whole, *FAST set when it took the
 * plain path): the same; the hits (built-in and keyword) returned. */
static unsigned small_same_as(const struct sk_dlp_plan *plan, const char *ct,
                              const unsigned char *p, size_t n, const char *what, int whole,
                              int *fast)
{
    struct small_read a, b;
    unsigned hits = 0;

    small_read(plan, ct, p, n, 0, whole, fast, &a);
    small_read(plan, ct, p, n, 1, whole, NULL, &b);
    for (int d = 0; d < SK_DLP_NBUILTIN; d++) {
        if (a.count[d] != b.count[d] || strcmp(a.sample[d], b.sample[d]) != 0)
            fail_msg("%s: %s %u (%s) small, %u (%s) every filter", what,
                     sk_dlp_det_name((enum sk_dlp_det)d), a.count[d], a.sample[d], b.count[d],
                     b.sample[d]);
        hits += a.count[d];
    }
    if (a.ccount != b.ccount || a.scanned != b.scanned || a.budget != b.budget ||
        a.limit != b.limit || a.error != b.error || a.undecodable != b.undecodable ||
        a.encrypted != b.encrypted || a.skipped != b.skipped || strcmp(a.why, b.why) != 0)
        fail_msg("%s: small keyword %u scanned %llu budget %llu undecodable %u '%s'; every filter "
                 "%u %llu %llu %u '%s'",
                 what, a.ccount, (unsigned long long)a.scanned, (unsigned long long)a.budget,
                 a.undecodable, a.why, b.ccount, (unsigned long long)b.scanned,
                 (unsigned long long)b.budget, b.undecodable, b.why);
    return hits + a.ccount + a.undecodable;
}

static unsigned small_same(const struct sk_dlp_plan *plan, const char *ct, const unsigned char *p,
                           size_t n, const char *what)
{
    return small_same_as(plan, ct, p, n, what, 0, NULL);
}

/* The small-object tests' plan: every built-in detector but the
 * corporate number, and a keyword. */
static struct sk_dlp_plan *small_plan(void)
{
    static const struct sk_dlp_template tpl = {
        .name = "t",
        .detectors = "credit-card\nmy-number\nssn\niban\nemail\njp-phone\nkeyword:CONFIDENTIAL",
        .min_count = 1,
        .action = "block"};
    const struct sk_dlp_template *tp = &tpl;
    struct sk_dlp_plan *plan = NULL;
    char *err = NULL;

    assert_int_equal(sk_dlp_plan_build(&tp, 1, &plan, &err), 0);
    free(err);
    return plan;
}

static void test_small_objects(void **state)
{
    const char *secret = "card 4111 1111 1111 1111 CONFIDENTIAL\n";
    struct sk_dlp_plan *plan = small_plan();
    size_t gn, zn, pn, dn;

    (void)state;
    /* one trigger per filter, its secret visible only through it */
    unsigned char *gz = sk_tz_deflate(secret, strlen(secret), 15 + 16, &gn);
    const char *names[] = {"a.txt"};
    const char *data[] = {secret};
    unsigned char *zip = sk_tz_zip_texts(names, data, 1, 1, &zn);
    unsigned char *fl = sk_tz_deflate("BT (4111 1111 1111 1111 CONFIDENTIAL) Tj ET", 43, 15, &dn);
    unsigned char pdf[512], obj[512], sfx[2][32];
    pn = (size_t)snprintf((char *)pdf, sizeof(pdf),
                          "%%PDF-1.7\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
                          "2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
                          "3 0 obj<</Type/Page/Parent 2 0 R/Contents 4 0 R>>endobj\n"
                          "4 0 obj<</Filter/FlateDecode/Length %zu>>stream\n",
                          dn);
    memcpy(pdf + pn, fl, dn), pn += dn;
    pn += (size_t)snprintf((char *)pdf + pn, sizeof(pdf) - pn,
                           "\nendstream\nendobj\ntrailer<</Root 1 0 R>>\n%%%%EOF\n");
    struct {
        const char *what;
        const unsigned char *p;
        size_t n;
    } trig[] = {{"a gzip stream", gz, gn},
                {"a zip", zip, zn},
                {"a PDF", pdf, pn},
                {"a 7z archive", sfx[0], sk_tz_sfx_head(0, sfx[0])},
                {"a rar archive", sfx[1], sk_tz_sfx_head(1, sfx[1])},
                /* 18 base64 digits in all: found by its "begin " line */
                {"a uuencoded block", (const unsigned char *)"begin 6 x\n,0T].1DE$14Y424%,\n", 27}};
    for (size_t i = 0; i < sizeof(trig) / sizeof(trig[0]); i++) {
        /* after a prefix (at offset 0 the container path reads it) */
        size_t n = 0;
        memcpy(obj, "..\n", 3), n = 3;
        memcpy(obj + n, trig[i].p, trig[i].n), n += trig[i].n;
        assert_true(n < 512);
        if (small_same(plan, "text/plain", obj, n, trig[i].what) == 0)
            fail_msg("%s after a prefix: nothing read", trig[i].what);
        /* and its bytes scrambled past the trigger: nothing to read */
        for (size_t k = 3 + 6; k < n; k++)
            obj[k] = (unsigned char)('a' + k % 26);
        small_same(plan, "text/plain", obj, n, trig[i].what);
    }
    /* random small objects: triggers, cards, base64, text, at random places */
    const char *frag[] = {"PK\3\4",
                          "%PDF-",
                          "7z\xbc\xaf\x27\x1c",
                          "Rar!\x1a\x07",
                          "\x1f\x8b\x08",
                          "BZh9",
                          "\xfd"
                          "7zXZ",
                          "\x28\xb5\x2f\xfd",
                          "{\\rtf1 ",
                          "<?xml ",
                          "4111111111111111",
                          "NDExMTExMTExMTExMTExMQ==",
                          "%34%31",
                          "&#52;",
                          "CONFIDENTIAL",
                          "conf\xef\xbc\xa9",
                          "From a\n",
                          "Subject: x\r\n\r\n",
                          " ",
                          "\n",
                          "=",
                          "&",
                          "+",
                          "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"};
    unsigned seed = 0x5e1c5e1u;
    for (int round = 0; round < 3000; round++) {
        size_t n = 0, target = 1 + (seed = seed * 1103515245u + 12345u) % 500;
        while (n < target) {
            seed = seed * 1103515245u + 12345u;
            unsigned pick = seed >> 16;
            if (pick % 3 == 0 && n + gn <= target && pick % 7 == 0) {
                memcpy(obj + n, gz, gn), n += gn;
            } else if (pick % 3 == 0) {
                obj[n++] = (unsigned char)(pick >> 3);
            } else {
                const char *f = frag[pick % (sizeof(frag) / sizeof(frag[0]))];
                size_t fl2 = strlen(f) ? strlen(f) : 1;
                if (strcmp(f, "7z\xbc\xaf\x27\x1c") == 0 || strcmp(f, "Rar!\x1a\x07") == 0)
                    fl2 = 6;
                if (n + fl2 > target)
                    break;
                memcpy(obj + n, f, fl2), n += fl2;
            }
        }
        static const char *const cts[] = {"text/plain", "application/x-www-form-urlencoded",
                                          "application/octet-stream", NULL};
        char what[64];
        snprintf(what, sizeof(what), "random small object %d", round);
        small_same(plan, cts[round % 4], obj, n, what);
    }
    free(gz), free(zip), free(fl);
    sk_dlp_plan_unref(plan);
}

/* A URL's path or query, read in one piece (sk_dlp_read_whole): plain
 * bytes straight into the engine, anything else through the chain; the
 * two must read alike (every_filter forces the chain). Known triggers
 * first, each shown to take the chain; then random URL-like pieces. */
static void test_read_whole(void **state)
{
    static const char *const form = "application/x-www-form-urlencoded";
    struct sk_dlp_plan *plan = small_plan();
    char what[600];
    int fast;

    (void)state;
    /* plain: read at once, and what is in it found */
    static const struct {
        const char *ct, *p;
        unsigned hits;
    } plain[] = {{"text/plain", "/hehe/soso", 0},
                 {"text/plain", "/docs/CONFIDENTIAL", 1},
                 {form, "q=CONFIDENTIAL&x=1", 1},
                 {form, "to=a.b@example.co.jp", 1},
                 /* '&' ends a field: not part of the address */
                 {form, "q=1&a@example.jp", 1},
                 {form, "tel=03-1234-5678", 1},
                 {form, "a+b=c+d", 0},
                 /* base64 runs decoded (the base64 reader in front) */
                 {"text/plain", "/abcdefghijklmnopqrst", 0},
                 {"text/plain", "/a.NDExMTExMTExMTExMTExMQ==", 1},
                 {form, "d=NDExMTExMTExMTExMTExMQ&x=1", 1}};
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
        unsigned h = small_same_as(plan, plain[i].ct, (const unsigned char *)plain[i].p,
                                   strlen(plain[i].p), plain[i].p, 1, &fast);
        if (!fast || h != plain[i].hits)
            fail_msg("%s (%s): fast %d, %u hits, want fast and %u", plain[i].p, plain[i].ct, fast,
                     h, plain[i].hits);
    }
    /* each a reason for the chain: an escape, a format, a space, an
     * archive or stream header, a type or name read otherwise */
    char cpio[120] = "070701";
    for (size_t k = 6; k < 110; k++)
        cpio[k] = "0123456789abcdef"[k % 16];
    memcpy(cpio + 94, "00000006", 8); /* a name size of 6: a header that reads */
    cpio[110] = 0;
    char dots[513]; /* not small: the sniffer holds 512 bytes */
    memset(dots, '.', 512), dots[512] = 0;
    const struct {
        const char *ct, *name, *p;
        size_t n; /* 0: strlen */
    } chain[] = {{"text/plain", NULL, "/a%34b", 0},
                 {"text/plain", NULL, "/a&amp;b", 0},
                 {"text/plain", NULL, "/a\\u0034", 0},
                 {"text/plain", NULL, "/a b", 0},
                 {"text/plain", NULL, "/a~{b", 0},
                 {"text/plain", NULL, "/a\"b", 0},
                 {"text/plain", NULL, "/x:y", 0},
                 {"text/plain", NULL, "/a\0b", 4},
                 {form, NULL, "BZh91AY&SY", 0},
                 {form, NULL, "x=BZh91AY&SYabcd", 0},
                 {form, NULL, "{\"a\":1}", 0},
                 {form, NULL, "q=%34", 0},
                 {form, NULL, cpio, 0},
                 {form, NULL, dots, 0},
                 {"text/plain", "card.vcf", "/a", 0},
                 {"text/plain; charset=utf-7", NULL, "/a", 0},
                 {"application/json", NULL, "/a", 0},
                 {NULL, NULL, "/a", 0}};
    for (size_t i = 0; i < sizeof(chain) / sizeof(chain[0]); i++) {
        const char *p = chain[i].p;
        size_t n = chain[i].n ? chain[i].n : strlen(p);
        small_name = chain[i].name ? chain[i].name : "URL path";
        small_same_as(plan, chain[i].ct, (const unsigned char *)p, n, p, 1, &fast);
        if (fast)
            fail_msg("%s (%s, %s): read without its chain", p,
                     chain[i].ct ? chain[i].ct : "no type", small_name);
    }
    small_name = "URL query";
    /* random pieces: plain words, marks and hits, now and then a trigger;
     * mostly short (20 base64 digits take the chain), some long */
    static const char *const plainf[] = {
        "a",           "Zq", "soso", "x9", "0", "/",    "-",      ".",
        "_",           "=",  "&",    "+",  "@", ",",    ";",      "!",
        "*",           "'",  "(",    ")",  "$", "4111", "a@b.jp", "CONFIDENTIAL",
        "03-1234-5678"};
    static const char *const trigf[] = {"%",
                                        "%34",
                                        "&#52;",
                                        "&nbsp;",
                                        "\\u0034",
                                        "~{",
                                        " ",
                                        ":",
                                        "\"",
                                        "{",
                                        "<",
                                        "\n",
                                        "\x80",
                                        "\xef\xbc\x94",
                                        "BZh91AY&SY",
                                        "070701",
                                        "hsqs",
                                        "begin 6 ",
                                        "From ",
                                        "MSCF",
                                        "PK\3\4",
                                        "7z\xbc\xaf\x27\x1c",
                                        "Rar!\x1a\x07",
                                        "xar!",
                                        "%PDF-",
                                        "{\\rtf",
                                        "-lh5-",
                                        "!<arch>\n",
                                        "BEGIN:VCARD",
                                        "Subject: x"};
    unsigned seed = 0x0c0ffeeu, nfast = 0, rounds = 4000;
    unsigned char obj[600];
    for (unsigned round = 0; round < rounds; round++) {
        seed = seed * 1103515245u + 12345u;
        size_t n = 0, target = 1 + (seed >> 8) % (round % 4 ? 24 : 300);
        while (n < target) {
            seed = seed * 1103515245u + 12345u;
            unsigned pick = (seed >> 16) % 64;
            const char *f = pick < 60 ? plainf[pick % (sizeof(plainf) / sizeof(plainf[0]))]
                                      : trigf[(seed >> 8) % (sizeof(trigf) / sizeof(trigf[0]))];
            size_t fl = strlen(f);
            if (n + fl > target)
                break;
            memcpy(obj + n, f, fl), n += fl;
        }
        if (n == 0)
            continue;
        const char *ct = round % 2 ? form : "text/plain";
        snprintf(what, sizeof(what), "random piece %u (%s): %.*s", round, ct, (int)n, obj);
        small_same_as(plan, ct, obj, n, what, 1, &fast);
        nfast += (unsigned)fast;
    }
    print_message("%u of %u random pieces read without the chain\n", nfast, rounds);
    /* the comparison covers the plain path, and the chain */
    if (nfast < rounds / 5 || nfast > rounds - rounds / 20)
        fail_msg("%u of %u random pieces read without the chain", nfast, rounds);
    sk_dlp_plan_unref(plan);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_objects),
        cmocka_unit_test(test_read_whole),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

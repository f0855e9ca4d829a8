/* test_dlp_archives.c - dlp over containers and compressed uploads: zips
 * (late, after a prefix, by their central directory, interleaved with
 * text), gzip/bzip2/xz/zstd uploads and streams after a self-extractor's
 * prefix at every write size, tar entries, the members of ar, cpio and
 * git packs (dlp_arc.c). Text encodings, formats and
 * evasions in text: test_dlp_decode.c. Shared fixture:
 * support/dlp_fixture.c; containers built with support/sk_tzip.c. */
#include <zlib.h>
#include <time.h>

#include "dlp.h"
#include "dlp_fixture.h"
#include "sk_tzip.h"

/* A zip that does not start its object (after a stub, after "PK\3\4"
 * constants) is found by the late finder at any write size; its failures
 * count only with an archive end after it. */
static void test_late_zip(void **state)
{
    const char *names[] = {"notes.txt"};
    const char *data[] = {"card 4111 1111 1111 1111\n"};
    static const char eocd[22] = "PK\x05\x06";
    size_t zn, n = 0;
    unsigned char *zip = sk_tz_zip_texts(names, data, 1, 1, &zn);
    unsigned char *b = malloc(zn + 2048);

    memcpy(b, "MZ", 2), n = 2;
    for (int i = 0; i < 200; i++)
        memcpy(b + n, "PK\x03\x04\x0f\xe8", 6), n += 6;
    memcpy(b + n, zip, zn), n += zn;
    struct req r = {.ip = "10.0.0.2", .ctype = "application/octet-stream", .body = b, .len = n};
    static const size_t chunks[] = {0, 1, 2, 3, 5, 31, 1054, 1055};
    for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
        r.chunk = chunks[i];
        expect(&r, SK_BLOCK, "cards", "zip after 200 PK\\3\\4 constants");
    }
    /* a corrupt late zip: the failure verdict once an end follows it,
     * nothing without one (random bytes looking like a header) */
    size_t at = n - zn;
    size_t d = at + 30 + strlen(names[0]) + (b[at + 28] | b[at + 29] << 8);
    b[d] = 0xff; /* a deflate block of the reserved type 3 */
    struct req c = {.ip = "10.0.0.2", .ctype = "application/octet-stream", .body = b, .len = n};
    expect(&c, SK_ALLOW, NULL, "corrupt zip after a prefix, no archive end");
    memcpy(b + n, eocd, sizeof(eocd));
    c.len = n + sizeof(eocd);
    for (size_t k = 0; k < 3; k++) {
        c.chunk = (size_t[]){0, 1, 2}[k]; /* the end split across writes */
        expect(&c, SK_BLOCK, "dlp-undecodable", "corrupt zip after a prefix, then its end");
    }
    /* the end must come after the header: one before it is none */
    memmove(b + sizeof(eocd), b, n);
    memcpy(b, eocd, sizeof(eocd));
    c.len = n + sizeof(eocd), c.chunk = 0;
    expect(&c, SK_ALLOW, NULL, "an archive end before the corrupt zip");
    free(zip), free(b);
}

/* A late zip's entry text is not cut by the object's plain-text reader:
 * from the header on only the walk writes into the text window (three
 * cards in a long deflated entry, every write size: all three counted). */
static void test_late_zip_no_interleave(void **state)
{
    static const char *const cards[] = {"4111 1111 1111 1111", "5555 5555 5555 4444",
                                        "3782 822463 10005"};
    static const char *const words[] = {"alpha", "beta",  "gamma", "delta", "epsilon", "zeta",
                                        "eta",   "theta", "iota",  "kappa", "lambda",  "mu"};
    size_t cap = 200000, n = 0, zn;
    char *text = malloc(cap);
    uint32_t x = 12345;

    /* words in a pseudo-random order: the compressed entry is larger than
     * the text readers' first look (their charset sniff), so the two
     * readers would take turns in the window */
    for (int i = 0; n + 200 < cap; i++) {
        x = x * 1103515245u + 12345u;
        n += (size_t)snprintf(text + n, cap - n, "%s %u ", words[(x >> 16) % 12], (x >> 8) % 97);
        if (i % 1500 == 700)
            n += (size_t)snprintf(text + n, cap - n, "card %s; ", cards[(i / 1500) % 3]);
    }
    const char *names[] = {"report.txt"}, *data[] = {text};
    unsigned char *zip = sk_tz_zip_texts(names, data, 1, 1, &zn);
    unsigned char *b = malloc(zn + 8);
    memcpy(b, "MZ\x90\0", 4);
    memcpy(b + 4, zip, zn);
    struct req r = {
        .ip = "10.0.0.3", .ctype = "application/octet-stream", .body = b, .len = zn + 4};
    assert_true(zn > 20000);
    for (size_t w = 1; w < 300; w += 7) {
        r.chunk = w;
        char why[64];
        snprintf(why, sizeof(why), "three cards in a late zip, %zu-byte writes", w);
        expect(&r, SK_BLOCK, NULL, why);
    }
    free(zip), free(b), free(text);
    /* the archive's own bytes are read too: a card in an entry's name
     * (no central directory repeats it here) */
    const char *nm[] = {"4111 1111 1111 1111 5555 5555 5555 4444 3782 822463 10005.txt"},
               *clean[] = {"nothing"};
    zip = sk_tz_zip_texts(nm, clean, 1, 1, &zn);
    struct req z = {.ip = "10.0.0.3", .ctype = "application/zip", .body = zip, .len = zn};
    expect(&z, SK_BLOCK, NULL, "three cards in an entry's name");
    free(zip);
    /* too deep to walk: a header that looks like a zip's does not stop the
     * plain-text reader (zips nested to the last level, then a cut-off
     * local header and the cards in plain text) */
    struct sk_tzip fake = {0}, lvl = {0};
    sk_tzip_entry(&fake, "a.txt", "x", 1, 0, 0);
    unsigned char inner[400];
    size_t in = 0;
    memcpy(inner, "MZ", 2), in = 2;
    memcpy(inner + in, fake.p, 30 + 5), in += 35; /* header and name, no data */
    in += (size_t)snprintf((char *)inner + in, sizeof(inner) - in, " %s %s %s ", cards[0], cards[1],
                           cards[2]);
    sk_tzip_free(&fake);
    unsigned char *cur = malloc(in);
    size_t cn = in;
    memcpy(cur, inner, in);
    for (int d = 0; d < 6; d++) {
        lvl.n = 0;
        sk_tzip_entry(&lvl, d ? "in.zip" : "in.bin", cur, cn, 0, 0);
        free(cur);
        cur = malloc(lvl.n);
        memcpy(cur, lvl.p, lvl.n);
        cn = lvl.n;
    }
    struct req deep = {.ip = "10.0.0.3", .ctype = "application/zip", .body = cur, .len = cn};
    expect(&deep, SK_BLOCK, "three cards", "cards after a fake header, 6 zips deep");
    free(cur);
    sk_tzip_free(&lvl);
}

static void test_compressed_and_archives(void **state)
{
    const char *text = "card 4111 1111 1111 1111\n";
    size_t n, zn;
    unsigned char *gz = sk_tz_deflate(text, strlen(text), 15 + 16, &n);
    struct req r = {.ip = "10.0.0.2", .ctype = "text/plain", .cenc = "gzip", .body = gz, .len = n};

    expect(&r, SK_BLOCK, "cards", "Content-Encoding gzip");
    r.chunk = 1;
    expect(&r, SK_BLOCK, "cards", "Content-Encoding gzip, 1-byte writes");
    free(gz);
    gz = sk_tz_deflate(text, strlen(text), 15, &n);
    r.cenc = "deflate", r.body = gz, r.len = n, r.chunk = 0;
    expect(&r, SK_BLOCK, "cards", "Content-Encoding deflate (zlib)");
    free(gz);
    r.cenc = "gzip", r.body = text, r.len = strlen(text);
    expect(&r, SK_BLOCK, "cards", "a lying Content-Encoding still gets inspected");

    /* docx: My Number split over two runs of one paragraph */
    const char *names[] = {"[Content_Types].xml", "word/media/image1.png", "word/document.xml"};
    const char *data[] = {"<Types/>", "\x89PNG\r\n\x1a\n binary",
                          "<w:document><w:body><w:p><w:r><w:t>個人番号 1234 5678</w:t></w:r>"
                          "<w:r><w:t xml:space=\"preserve\"> 9018</w:t></w:r></w:p>"
                          "</w:body></w:document>"};
    unsigned char *zip = sk_tz_zip_texts(names, data, 3, 1, &zn);
    struct req d = {.ip = "10.0.0.2",
                    .ctype = "application/vnd.openxmlformats-officedocument."
                             "wordprocessingml.document",
                    .body = zip,
                    .len = zn};
    expect(&d, SK_BLOCK, "マイナンバー", "docx with a My Number");
    d.chunk = 7;
    expect(&d, SK_BLOCK, "マイナンバー", "docx, 7-byte writes");
    free(zip);
    /* paragraphs must not merge */
    data[2] = "<w:p><w:r><w:t>1234 5678</w:t></w:r></w:p><w:p><w:r><w:t> 9018</w:t></w:r></w:p>";
    zip = sk_tz_zip_texts(names, data, 3, 1, &zn);
    d.body = zip, d.len = zn, d.chunk = 0;
    expect(&d, SK_ALLOW, NULL, "docx: two paragraphs are two texts");
    free(zip);
    /* what is not run text is still data: an image's alt text (an
     * attribute), a comment, CDATA, a '<' that never closes; runs with
     * attributes still join */
    static const char *const aside[][2] = {
        {"<w:p><wp:docPr id=\"1\" descr=\"card 4111 1111 1111 1111\"/></w:p>", "alt text"},
        {"<w:p><!-- 4111 1111 1111 1111 --></w:p>", "comment"},
        {"<w:p><w:t><![CDATA[4111 1111 1111 1111]]></w:t></w:p>", "CDATA"},
        {"<w:p>if a<b then 4111 1111 1111 1111 done", "unclosed tag"},
        {"<w:p><w:r w:rsidR=\"00A1B2C3\"><w:t>4111 11</w:t></w:r><w:r w:rsidR=\"00D4E5F6\">"
         "<w:t>11 1111 1111 1111</w:t></w:r></w:p>",
         "runs with attributes"},
        /* "]]]>" ends CDATA after a "]" (and "--->" a comment after a
         * "-"): runs after them must still join */
        {"<w:p><w:t><![CDATA[x]]]></w:t><w:r><w:t>4111 11</w:t></w:r><w:r>"
         "<w:t>11 1111 1111 1111</w:t></w:r></w:p>",
         "runs after CDATA ending ]]]>"},
        {"<w:p><!-- x ---><w:r><w:t>4111 11</w:t></w:r><w:r>"
         "<w:t>11 1111 1111 1111</w:t></w:r></w:p>",
         "runs after a comment ending --->"},
        /* a field code between the digits (Word shows the field's result),
         * a position tab between groups (red team s20) */
        {"<w:p><w:r><w:t>4111 11</w:t></w:r><w:r><w:fldChar w:fldCharType=\"begin\"/></w:r>"
         "<w:r><w:instrText xml:space=\"preserve\"> PAGE </w:instrText></w:r>"
         "<w:r><w:fldChar w:fldCharType=\"end\"/></w:r><w:r><w:t>11 1111 1111</w:t></w:r></w:p>",
         "a field code"},
        {"<w:p><w:r><w:t>4111</w:t><w:ptab w:relativeTo=\"margin\" w:alignment=\"left\"/>"
         "<w:t>1111</w:t><w:ptab/><w:t>1111</w:t><w:ptab/><w:t>1111</w:t></w:r></w:p>",
         "position tabs"},
        /* an ODF comment anchored between the digits, with paragraphs of
         * its own; ruby text over a group (red team s20 round 2) */
        {"<text:p>card 4111 11<office:annotation><dc:creator>b</dc:creator><text:p>see</text:p>"
         "</office:annotation>11 1111 1111 end</text:p>",
         "an ODF comment"},
        {"<w:p><w:r><w:t>4111 </w:t></w:r><w:ruby><w:rt><w:r><w:t>abc</w:t></w:r></w:rt>"
         "<w:rubyBase><w:r><w:t>1111</w:t></w:r></w:rubyBase></w:ruby>"
         "<w:r><w:t> 1111 1111</w:t></w:r></w:p>",
         "ruby text"},
        /* tracked changes (red team s22): a deletion or a move's source
         * between the digits (the final view: python-docx, Word's No
         * Markup), and a card half deleted (All Markup shows it whole) */
        {"<w:p><w:r><w:t>Card 4111 </w:t></w:r><w:del w:id=\"1\" w:author=\"a\"><w:r>"
         "<w:delText>9999</w:delText></w:r></w:del><w:r><w:t>1111 1111 1111</w:t></w:r></w:p>",
         "a tracked deletion"},
        {"<w:p><w:r><w:t>Card 4111 </w:t></w:r><w:moveFrom w:id=\"2\"><w:r><w:t>77</w:t></w:r>"
         "</w:moveFrom><w:r><w:t>1111 1111 1111</w:t></w:r></w:p>",
         "a tracked move's source"},
        {"<w:p><w:r><w:t>Card 4111 1111 </w:t></w:r><w:del w:id=\"3\"><w:r>"
         "<w:delText>1111 1111</w:delText></w:r></w:del></w:p>",
         "a card half in a tracked deletion"},
    };
    const char *paragraphs = data[2];
    for (size_t i = 0; i < sizeof(aside) / sizeof(aside[0]); i++) {
        char why[64];
        data[2] = aside[i][0];
        zip = sk_tz_zip_texts(names, data, 3, 1, &zn);
        d.body = zip, d.len = zn;
        for (d.chunk = 0; d.chunk <= 3; d.chunk += 3) {
            snprintf(why, sizeof(why), "docx: card in %s, %zu-byte writes", aside[i][1], d.chunk);
            expect(&d, SK_BLOCK, "cards", why);
        }
        free(zip);
    }
    d.chunk = 0;
    data[2] = paragraphs;
    /* an entry's name never hides it: text in "image1.png" is inspected */
    data[1] = "個人番号 1234 5678 9018";
    zip = sk_tz_zip_texts(names, data, 3, 1, &zn);
    d.body = zip, d.len = zn, d.ctype = "application/octet-stream";
    expect(&d, SK_BLOCK, "マイナンバー", "text named .png in a docx sent as octet-stream");
    free(zip);
    /* plain zip (stored) with a text file, uploaded in a multipart form */
    const char *zn1[] = {"notes/readme.txt"};
    const char *zd1[] = {"マイナンバー：123456789018\n"};
    zip = sk_tz_zip_texts(zn1, zd1, 1, 0, &zn);
    char *mp = malloc(zn + 512);
    size_t mn = (size_t)sprintf(mp, "--B1\r\nContent-Disposition: form-data; name=\"f\";"
                                    " filename=\"docs.zip\"\r\nContent-Type: application/zip"
                                    "\r\n\r\n");
    memcpy(mp + mn, zip, zn);
    mn += zn;
    mn += (size_t)sprintf(mp + mn, "\r\n--B1--\r\n");
    struct req m = {.ip = "10.0.0.2",
                    .ctype = "multipart/form-data; boundary=B1",
                    .body = mp,
                    .len = mn,
                    .chunk = 5};
    struct res o;
    run(&m, &o);
    assert_int_equal(o.v, SK_BLOCK);
    assert_string_equal(o.rule, "マイナンバー");
    assert_non_null(strstr(o.reports, "(in docs.zip:notes/readme.txt)"));
    assert_null(strstr(o.reports, "123456789018"));
    res_free(&o);
    free(zip);
    free(mp);
}

/* A tar upload: every entry is an object of its own too (a .gz, a .zst,
 * UTF-16 text), read in a window of its own; the tar's bytes are still
 * read as text (stored cards, names); a header that is none after the
 * first entry is dlp.on-error. */
static void test_tar_entries(void **state)
{
    const char *text = "card 4111 1111 1111 1111\n";
    size_t gn, zn, tn;
    unsigned char *gz = sk_tz_deflate(text, strlen(text), 15 + 16, &gn);
    unsigned char *zs = sk_tz_zstd(text, strlen(text), &zn);
    unsigned char u16[64]; /* "card 4111 1111 1111 1111" in UTF-16LE */
    size_t un = 0;
    for (const char *c = "card 4111 1111 1111 1111"; *c; c++)
        u16[un++] = (unsigned char)*c, u16[un++] = 0;
    static const struct {
        const char *what;
        int kind; /* 0 gz, 1 zstd, 2 UTF-16 text, 3 clean */
        enum sk_verdict want;
    } cases[] = {
        {"a .gz in a tar", 0, SK_BLOCK},
        {"a .zst in a tar", 1, SK_BLOCK},
        {"UTF-16 text in a tar", 2, SK_BLOCK},
        {"a clean tar", 3, SK_ALLOW},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct sk_tzip t = {0};
        int k = cases[i].kind;
        sk_tz_tar_entry(&t, "a/readme.txt", "hello", 5);
        sk_tz_tar_entry(&t,
                        k == 0   ? "a/c.gz"
                        : k == 1 ? "a/c.zst"
                                 : "a/c.txt",
                        k == 0   ? (const void *)gz
                        : k == 1 ? (const void *)zs
                        : k == 2 ? (const void *)u16
                                 : (const void *)"no data here",
                        k == 0   ? gn
                        : k == 1 ? zn
                        : k == 2 ? un
                                 : 12);
        sk_tz_tar_end(&t);
        unsigned char *tar = sk_tzip_take(&t, &tn);
        struct req r = {.ip = "10.0.0.2", .ctype = "application/x-tar", .body = tar, .len = tn};
        for (r.chunk = 0; r.chunk <= 7; r.chunk += 7)
            expect(&r, cases[i].want, cases[i].want == SK_BLOCK ? "cards" : NULL, cases[i].what);
        free(tar);
    }
    /* a second header that is none: the entries after it would go unread
     * (a clean .zst: one with cards is read as a stream after a prefix) */
    struct sk_tzip t = {0};
    free(zs);
    zs = sk_tz_zstd("no data here", 12, &zn);
    sk_tz_tar_entry(&t, "a/readme.txt", "hello", 5);
    sk_tz_tar_entry(&t, "a/c.zst", zs, zn);
    sk_tz_tar_end(&t);
    unsigned char *tar = sk_tzip_take(&t, &tn);
    tar[512 + 512 + 148] ^= 1; /* the second header's checksum */
    struct req c = {.ip = "10.0.0.2", .ctype = "application/x-tar", .body = tar, .len = tn};
    expect(&c, SK_BLOCK, "dlp-undecodable", "a tar whose second header is corrupt");
    free(tar);
    free(gz);
    free(zs);
}

/* bzip2 and xz uploads (and in a tar, as a .tar.bz2 holds them) are
 * decompressed; 7z and rar, which nothing here reads, are dlp.on-error */
static void test_bzip2_xz_uploads(void **state)
{
    const char *text = "card 4111 1111 1111 1111\n";
    size_t n, tn;

    (void)state;
    for (int kind = 0; kind < 2; kind++) {
        unsigned char *c =
            kind ? sk_tz_xz(text, strlen(text), &n) : sk_tz_bzip2(text, strlen(text), &n);
        struct req r = {.ip = "10.0.0.2", .ctype = "application/octet-stream", .body = c, .len = n};
        for (r.chunk = 0; r.chunk <= 5; r.chunk += 5)
            expect(&r, SK_BLOCK, "cards", kind ? "an .xz upload" : "a .bz2 upload");
        struct sk_tzip t = {0};
        sk_tz_tar_entry(&t, kind ? "c.xz" : "c.bz2", c, n);
        sk_tz_tar_end(&t);
        unsigned char *tar = sk_tzip_take(&t, &tn);
        size_t bn;
        unsigned char *tb = kind ? sk_tz_xz(tar, tn, &bn) : sk_tz_bzip2(tar, tn, &bn);
        r.body = tb, r.len = bn, r.chunk = 0;
        expect(&r, SK_BLOCK, "cards",
               kind ? "a .tar.xz holding an .xz" : "a .tar.bz2 holding a .bz2");
        /* cut short: what it held so far is read, and dlp.on-error */
        r.body = c, r.len = n - 4;
        expect(&r, SK_BLOCK, NULL, kind ? "an .xz upload cut short" : "a .bz2 upload cut short");
        free(tb), free(tar), free(c);
    }
    static const struct {
        const char *magic;
        size_t len;
        const char *what;
    } opaque[] = {{"7z\xbc\xaf\x27\x1c\0\4 archive bytes", 22, "a 7z upload"},
                  {"Rar!\x1a\x07\1\0 archive bytes", 22, "a rar upload"},
                  /* ar and cpio members are read (test_archive_members): a
                   * header that does not read leaves the rest unread */
                  {"!<arch>\ndebian-binary   0           0     0     100644  4         `\n2.0\n"
                   "data.tar.gz     0           0     0     100644  4x        `\nabcd",
                   136, "an ar upload (.deb) with a member header that does not read"},
                  {"MSCF\0\0\0\0\x40\0\0\0 cab bytes", 22, "a cab upload"}};
    for (size_t i = 0; i < sizeof(opaque) / sizeof(opaque[0]); i++) {
        struct req r = {.ip = "10.0.0.2",
                        .ctype = "application/octet-stream",
                        .body = opaque[i].magic,
                        .len = opaque[i].len};
        expect(&r, SK_BLOCK, "dlp-undecodable", opaque[i].what);
        if (i >= 2)
            continue; /* ar, cab: only at the start */
        /* the log says what it is: an archive libarchive could not read
         * (dlp_arc.c), not one after a prefix */
        struct res o;
        run(&r, &o);
        if (!strstr(o.reason, i == 0 ? "a 7z archive that does not read"
                                     : "a rar archive that does not read"))
            fail_msg("%s: reason '%s'", opaque[i].what, o.reason);
        res_free(&o);
        /* a signature alone after a prefix is no archive: every program
         * that reads 7z or rar holds one (libarchive.so was blocked) */
        unsigned char sfx[2200];
        memset(sfx, 'M', 2048);
        memcpy(sfx + 2048, opaque[i].magic, opaque[i].len);
        r.body = sfx, r.len = 2048 + opaque[i].len;
        for (r.chunk = 0; r.chunk <= 5; r.chunk += 5)
            expect(&r, SK_ALLOW, NULL, i ? "a rar signature after a prefix" : "a 7z signature");
    }
    /* 7z and rar (4 and 5) after a program stub (a self-extractor), with
     * the header 7-Zip and unrar check, the signature and header split by
     * the writes */
    for (int kind = 0; kind < 3; kind++) {
        unsigned char sfx[2200];
        size_t hn = sk_tz_sfx_head(kind, sfx + 2048);
        const char *what = kind == 0   ? "a 7z archive after a prefix"
                           : kind == 1 ? "a rar 5 archive after a prefix"
                                       : "a rar 4 archive after a prefix";
        memset(sfx, 'M', 2048);
        memcpy(sfx + 2048 + hn, " archive bytes", 14), hn += 14;
        struct req r = {
            .ip = "10.0.0.2", .ctype = "application/octet-stream", .body = sfx, .len = 2048 + hn};
        for (r.chunk = 0; r.chunk <= 5; r.chunk += 5)
            expect(&r, SK_BLOCK, "dlp-undecodable", what);
        for (r.chunk = 1; r.chunk <= 40; r.chunk += 13)
            expect(&r, SK_BLOCK, "dlp-undecodable", what);
        /* a header one bit off: 7-Zip's and unrar 5's CRC, rar 4's type */
        sfx[2048 + (kind == 0 ? 20 : kind == 1 ? 13 : 9)] ^= 1;
        r.chunk = 0;
        expect(&r, SK_ALLOW, NULL, what);
        /* cut within the header: nothing anybody opens */
        r.len = 2048 + (kind == 0 ? 31 : 13);
        expect(&r, SK_ALLOW, NULL, what);
    }
    /* text that names them passes, and so does one that starts like a cpio */
    const char *csv = "070701,070702,070707 are dates here, not a cpio header\n";
    struct req rc = {.ip = "10.0.0.2", .ctype = "text/csv", .body = csv, .len = strlen(csv)};
    expect(&rc, SK_ALLOW, NULL, "a CSV starting with 070701");
    /* text that names them passes */
    const char *names = "pack it with 7z or rar! 7z\xbc or Rar!\x1a are not signatures";
    struct req rn = {.ip = "10.0.0.2", .ctype = "text/plain", .body = names, .len = strlen(names)};
    expect(&rn, SK_ALLOW, NULL, "text naming 7z and rar");
    /* a legacy .lzma has no magic: bytes that only look like its header
     * (a bitmap's zeros) are read as they are, and what decodes before an
     * error as an object: no dlp.on-error */
    static unsigned char lz[4200];
    static const unsigned char bm[14] = {0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x50,
                                         0x00, 0x00, 0x00, 0x48, 0x00, 0x00, 0x00};
    memcpy(lz, bm, sizeof(bm));
    struct req rl = {
        .ip = "10.0.0.2", .ctype = "application/octet-stream", .body = lz, .len = 4096};
    expect(&rl, SK_ALLOW, NULL, "zeros after a .lzma-like header");
    memcpy(lz + 4096, "\ncard 4111 1111 1111 1111\n", 26), rl.len = 4122;
    expect(&rl, SK_BLOCK, "cards", "a card after a .lzma-like header");
    const char *cards = "name,card\nalice,4111 1111 1111 1111\nbob,5500 0000 0000 0004\n"
                        "carol,4012 8888 8888 1881\n";
    unsigned char *zl = sk_tz_lzma(cards, strlen(cards), &n);
    rl.body = zl, rl.len = n - 6;
    expect(&rl, SK_BLOCK, "cards", "a .lzma of cards cut short");
    free(zl);
    /* a file system image: its files are read by nobody (a card's
     * clusters need not follow each other) - dlp.on-error; its boot
     * sector one field off is bytes */
    static unsigned char img[8192];
    sk_tz_fat_boot(img);
    struct req ri = {
        .ip = "10.0.0.2", .ctype = "application/octet-stream", .body = img, .len = 8192};
    for (ri.chunk = 0; ri.chunk <= 1000; ri.chunk += 1000)
        expect(&ri, SK_BLOCK, "dlp-undecodable", "a FAT image");
    ri.len = 1024; /* shorter than the head: asked at the end */
    expect(&ri, SK_BLOCK, "dlp-undecodable", "a FAT image of 1 KiB");
    img[21] = 0x12, ri.len = 8192;
    expect(&ri, SK_ALLOW, NULL, "a FAT boot sector with a bad media byte");
    /* a clean .bz2 passes */
    unsigned char *c = sk_tz_bzip2("nothing to see here\n", 20, &n);
    struct req r = {.ip = "10.0.0.2", .ctype = "application/octet-stream", .body = c, .len = n};
    expect(&r, SK_ALLOW, NULL, "a clean .bz2 upload");
    free(c);
}

/* A zip whose central directory disagrees with its local headers: what an
 * extractor reads is not what the walk read, and the upload has streamed
 * past, so dlp.on-error - also when the directory sits inside an entry
 * said to run to the end. Archives as writers make them pass. */
static void test_zip_directory(void **state)
{
    const char *cards = "card 4111 1111 1111 1111\n", *clean = "nothing to see here\n";
    struct sk_tzip z = {0};
    size_t n;

    (void)state;
    sk_tzip_entry(&z, "a.txt", clean, strlen(clean), SK_TZIP_DEFLATE, 0);
    sk_tzip_entry(&z, "b.txt", clean, strlen(clean), SK_TZIP_DEFLATE | SK_TZIP_DESC, 0);
    sk_tzip_central(&z);
    unsigned char *ok = sk_tzip_take(&z, &n);
    struct req r = {.ip = "10.0.0.2", .ctype = "application/zip", .body = ok, .len = n};
    for (r.chunk = 0; r.chunk <= 7; r.chunk += 7)
        expect(&r, SK_ALLOW, NULL, "a clean zip (a descriptor too)");
    free(ok);
    /* the local header says stored: the deflated cards read as bytes */
    for (int with_cards = 0; with_cards < 2; with_cards++) {
        const char *t = with_cards ? cards : clean;
        memset(&z, 0, sizeof(z));
        sk_tzip_entry(&z, "a.txt", t, strlen(t), SK_TZIP_DEFLATE, 0);
        sk_tzip_central(&z);
        unsigned char *bad = sk_tzip_take(&z, &n);
        bad[8] = 0; /* method: stored */
        r = (struct req){.ip = "10.0.0.2", .ctype = "application/zip", .body = bad, .len = n};
        for (r.chunk = 0; r.chunk <= 7; r.chunk += 7)
            expect(&r, SK_BLOCK, "dlp-undecodable", "a zip whose header says stored");
        free(bad);
    }
    /* a.bin, stored to the end, holds a zip whose header no finder takes
     * (version 6.4) and the directory that lists only it: its bytes are
     * still kept (the last 128 KiB), so b.txt is read as the directory
     * says - cards found in it, a clean one passes */
    for (int with_cards = 1; with_cards >= 0; with_cards--) {
        const char *t = with_cards ? cards : clean;
        memset(&z, 0, sizeof(z));
        sk_tzip_entry(&z, "b.txt", t, strlen(t), SK_TZIP_DEFLATE, 0);
        sk_tzip_central(&z);
        size_t in;
        unsigned char *inner = sk_tzip_take(&z, &in);
        inner[4] = 64;
        unsigned char *junk = malloc(in + 50);
        memset(junk, 'J', 50); /* not at the entry's start: no zip by its first bytes */
        memcpy(junk + 50, inner, in);
        memset(&z, 0, sizeof(z));
        sk_tzip_entry(&z, "a.bin", junk, in + 50, 0, 0);
        free(junk);
        unsigned char *sw = sk_tzip_take(&z, &n);
        r = (struct req){.ip = "10.0.0.2", .ctype = "application/zip", .body = sw, .len = n};
        for (r.chunk = 0; r.chunk <= 7; r.chunk += 7)
            expect(&r, with_cards ? SK_BLOCK : SK_ALLOW, with_cards ? "cards" : NULL,
                   "a directory inside an entry to the end");
        free(sw), free(inner);
    }
    /* two archives one after the other: extractors read the second (the
     * last end record, its offsets shifted), whose bytes are in the kept
     * tail; and a comment holding "PK\5\6" (zipfile finds no directory
     * there, Info-ZIP and Java read the real one) */
    for (int with_cards = 0; with_cards < 2; with_cards++) {
        const char *t = with_cards ? cards : clean;
        size_t n1, n2;
        memset(&z, 0, sizeof(z));
        sk_tzip_entry(&z, "a.txt", clean, strlen(clean), SK_TZIP_DEFLATE, 0);
        sk_tzip_central(&z);
        unsigned char *z1 = sk_tzip_take(&z, &n1);
        memset(&z, 0, sizeof(z));
        sk_tzip_entry(&z, "b.txt", t, strlen(t), SK_TZIP_DEFLATE, 0);
        sk_tzip_central(&z);
        unsigned char *z2 = sk_tzip_take(&z, &n2);
        unsigned char *two = malloc(n1 + n2);
        memcpy(two, z1, n1), memcpy(two + n1, z2, n2);
        r = (struct req){.ip = "10.0.0.2", .ctype = "application/zip", .body = two, .len = n1 + n2};
        for (r.chunk = 0; r.chunk <= 7; r.chunk += 7)
            expect(&r, with_cards ? SK_BLOCK : SK_ALLOW, with_cards ? "cards" : NULL,
                   "two zips one after the other");
        free(z1), free(z2), free(two);
    }
    static const char comment[] = "see PK\5\6 in this comment, and more text after it";
    memset(&z, 0, sizeof(z));
    sk_tzip_entry(&z, "a.txt", clean, strlen(clean), SK_TZIP_DEFLATE, 0);
    sk_tzip_central(&z);
    unsigned char *zc = sk_tzip_take(&z, &n);
    zc = realloc(zc, n + sizeof(comment) - 1);
    assert_non_null(zc);
    zc[n - 2] = (unsigned char)(sizeof(comment) - 1); /* the end record's comment length */
    memcpy(zc + n, comment, sizeof(comment) - 1);
    r = (struct req){
        .ip = "10.0.0.2", .ctype = "application/zip", .body = zc, .len = n + sizeof(comment) - 1};
    for (r.chunk = 0; r.chunk <= 7; r.chunk += 7)
        expect(&r, SK_ALLOW, NULL, "a comment holding PK\\5\\6");
    free(zc);
}

/* PREFIX (40 bytes, a self-extractor's stub) and the stream C[0..N). */
static unsigned char *after_prefix(const void *c, size_t n, size_t *len)
{
    unsigned char *b = malloc(40 + n);

    assert_non_null(b);
    memcpy(b, "#!/bin/sh\ntail -c +41 $0 | gunzip;exit\n", 40);
    memcpy(b + 40, c, n);
    *len = 40 + n;
    return b;
}

/* The verdict of BODY (octet-stream) at every write size in SIZES. */
static void expect_all_cuts(const void *body, size_t len, enum sk_verdict v, const char *rule,
                            const char *why)
{
    static const size_t sizes[] = {0, 1, 2, 3, 7, 23, 41, 45, 64, 4096};
    struct req r = {
        .ip = "10.0.0.2", .ctype = "application/octet-stream", .body = body, .len = len};
    char msg[160];

    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        r.chunk = sizes[i];
        snprintf(msg, sizeof(msg), "%s, %zu-byte writes", why, sizes[i]);
        expect(&r, v, rule, msg);
    }
}

/* TEXT gzipped, then LEVELS + 1 times: after a prefix, gzipped again at
 * zlib LEVEL, each after a prefix. The last LEVELS deep is read (TEXT is
 * clean: allowed), one more is dlp.on-error. */
static void expect_nested(const char *text, int level, int levels, const char *why_read,
                          const char *why_deep)
{
    size_t ln, len;
    unsigned char *layer = sk_tz_deflate(text, strlen(text), 15 + 16, &ln);

    for (int i = 1; i <= levels + 1; i++) {
        unsigned char *pre = after_prefix(layer, ln, &len);
        free(layer);
        layer = sk_tz_deflate_level(pre, len, 15 + 16, level, &ln);
        free(pre);
        unsigned char *b = after_prefix(layer, ln, &len);
        if (i == levels)
            expect_all_cuts(b, len, SK_ALLOW, NULL, why_read);
        else if (i == levels + 1)
            expect_all_cuts(b, len, SK_BLOCK, "dlp-undecodable", why_deep);
        free(b);
    }
    free(layer);
}

/* gzip, bzip2, xz and zstd streams after a prefix (makeself, junk before a
 * .gz) are read as objects of their own, whatever the writes; a header
 * that does not decode is no stream (no dlp.on-error); decoys past the
 * bound are dlp.on-error; a stream split in members is read whole. */
static void test_streams_after_prefix(void **state)
{
    const char *cards = "4111 1111 1111 1111\n5500 0000 0000 0004\n", *clean = "nothing here\n";
    static const char *const kinds[] = {"gzip", "bzip2", "xz", "zstd"};
    size_t n, len;

    (void)state;
    for (int k = 0; k < 4; k++) {
        for (int dirty = 1; dirty >= 0; dirty--) {
            const char *t = dirty ? cards : clean;
            unsigned char *c = k == 0   ? sk_tz_deflate(t, strlen(t), 15 + 16, &n)
                               : k == 1 ? sk_tz_bzip2(t, strlen(t), &n)
                               : k == 2 ? sk_tz_xz(t, strlen(t), &n)
                                        : sk_tz_zstd(t, strlen(t), &n);
            unsigned char *b = after_prefix(c, n, &len);
            char why[96];
            snprintf(why, sizeof(why), "%s %s after a 40-byte prefix", dirty ? "cards" : "clean",
                     kinds[k]);
            expect_all_cuts(b, len, dirty ? SK_BLOCK : SK_ALLOW, dirty ? "cards" : NULL, why);
            free(b), free(c);
        }
    }
    /* a stream whose header straddles a multiple of 4 KiB (where the
     * decoders are fed up to): decided only once its header is all in */
    {
        size_t gn, bl = 4086;
        unsigned char *g = sk_tz_deflate(cards, strlen(cards), 15 + 16, &gn);
        unsigned char *big = malloc(bl + gn);
        memset(big, 'x', bl);
        memcpy(big, "#!/bin/sh\n", 10);
        memcpy(big + bl, g, gn);
        expect_all_cuts(big, bl + gn, SK_BLOCK, "cards", "a gzip header across 4 KiB");
        free(big), free(g);
    }
    /* a card split over two gzip members, over two zstd frames with a
     * skippable frame between them: gunzip and zstd -d read one text */
    size_t n1, n2;
    unsigned char *g1 = sk_tz_deflate("4111 1111 11", 12, 15 + 16, &n1);
    unsigned char *g2 = sk_tz_deflate("11 1111\n", 8, 15 + 16, &n2);
    unsigned char two[512];
    memcpy(two, g1, n1), memcpy(two + n1, g2, n2);
    unsigned char *b = after_prefix(two, n1 + n2, &len);
    expect_all_cuts(b, len, SK_BLOCK, "cards", "a card over two gzip members");
    free(b), free(g1), free(g2);
    g1 = sk_tz_zstd("4111 1111 11", 12, &n1);
    g2 = sk_tz_zstd("11 1111\n", 8, &n2);
    memcpy(two, g1, n1);
    memcpy(two + n1, "\x50\x2a\x4d\x18\x03\0\0\0abc", 11); /* a skippable frame */
    memcpy(two + n1 + 11, g2, n2);
    b = after_prefix(two, n1 + 11 + n2, &len);
    expect_all_cuts(b, len, SK_BLOCK, "cards", "a card over two zstd frames");
    free(b), free(g1), free(g2);
    /* NUL bytes after an xz stream (its Stream Padding: xz -dc reads on)
     * or a gzip member (Python's gzip skips them) */
    for (int k = 0; k < 2; k++) {
        g1 = k ? sk_tz_xz("4111 1111 11", 12, &n1) : sk_tz_deflate("4111 1111 11", 12, 31, &n1);
        g2 = k ? sk_tz_xz("11 1111\n", 8, &n2) : sk_tz_deflate("11 1111\n", 8, 31, &n2);
        memcpy(two, g1, n1);
        memset(two + n1, 0, 8);
        memcpy(two + n1 + 8, g2, n2);
        b = after_prefix(two, n1 + 8 + n2, &len);
        expect_all_cuts(b, len, SK_BLOCK, "cards",
                        k ? "a card over two xz streams, Stream Padding between"
                          : "a card over two gzip members, NULs between");
        free(b), free(g1), free(g2);
    }

    /* random bytes holding strict gzip and zstd headers that decode to
     * nothing: a binary nobody decompresses, passed without on-error */
    unsigned char rnd[20000];
    srand(7);
    for (size_t i = 0; i < sizeof(rnd); i++)
        rnd[i] = (unsigned char)(rand() % 251); /* no 0xff: no accidental card-free cut */
    memcpy(rnd + 1000, "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xff\xff\xff", 13);
    memcpy(rnd + 3000, "\x28\xb5\x2f\xfd\x00\x58\xff\xff\xff\xff", 10);
    memcpy(rnd + 5000, "BZh91AY&SY\xff\xff\xff\xff", 14);
    expect_all_cuts(rnd, sizeof(rnd), SK_ALLOW, NULL, "random bytes with fake stream headers");

    /* decoys: past 64 headers that do not decode, dlp.on-error before they
     * could hide the stream after them */
    unsigned char *gz = sk_tz_deflate(cards, strlen(cards), 15 + 16, &n);
    unsigned char *d = malloc(70 * 19 + n);
    for (int i = 0; i < 70; i++)
        memcpy(d + i * 19,
               "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xff\xff\xff\xff\xff\xff\xff\xff\xff", 19);
    memcpy(d + 70 * 19, gz, n);
    b = after_prefix(d, 70 * 19 + n, &len);
    expect_all_cuts(b, len, SK_BLOCK, "dlp-undecodable", "70 decoys before a stream");
    free(b);
    /* 60 decoys: within the bound, the stream after them is read */
    memmove(d + 60 * 19, d + 70 * 19, n);
    b = after_prefix(d, 60 * 19 + n, &len);
    expect_all_cuts(b, len, SK_BLOCK, "cards", "60 decoys before a stream");
    free(b);
    free(d);

    /* streams inside streams (level 0 keeps the inner header as it is):
     * four open at once are read, a fifth is dlp.on-error (a limit) */
    free(gz);
    expect_nested(clean, 0, 3, "four streams open at once", "five streams open at once");
    /* streams in streams, each after a prefix: six levels are read, a
     * seventh is deeper than SK_DLP_MAX_DEPTH: dlp.on-error */
    expect_nested(clean, 6, 5, "streams nested six deep", "streams nested seven deep");
}

/* The decompression guard (dlp.decode-max-ratio, 100:1 past 1 MiB by
 * default): a bzip2 or xz upload of 16 MiB of zeros, one after a prefix,
 * and a gzip Content-Encoding are each a limit (dlp.on-limit: block),
 * stopped after about 1 MiB; 3 MiB of log text (about 10x) passes, and a
 * card at its end is still found. */
static void test_bombs(void **state)
{
    size_t zn = 16u << 20, tl = 3u << 20, n;
    unsigned char *zeros = calloc(1, zn), *text = malloc(tl + 64), *c;
    unsigned x = 1;

    for (size_t at = 0; at < tl;) {
        x = x * 1103515245u + 12345u;
        at += (size_t)snprintf((char *)text + at, 96, "07:%02u:%02u host%u sshd[%u]: session %s\n",
                               x % 60, (x >> 8) % 60, (x >> 4) % 8, (x >> 12) % 9000,
                               (x & 1) ? "opened" : "closed");
    }
    memcpy(text + tl - 26, "card 4111 1111 1111 1111\n", 26);
    for (int k = 0; k < 2; k++) {
        struct req r = {.ip = "10.0.0.2", .ctype = "application/octet-stream"};
        c = k ? sk_tz_xz(zeros, zn, &n) : sk_tz_bzip2(zeros, zn, &n);
        r.body = c, r.len = n;
        expect(&r, SK_BLOCK, "dlp-limit", k ? "xz of 16 MiB of zeros" : "bzip2 of 16 MiB zeros");
        /* after a prefix: the stream reader */
        unsigned char *pre = malloc(n + 100);
        memset(pre, '#', 100);
        memcpy(pre + 100, c, n);
        r.body = pre, r.len = n + 100;
        expect(&r, SK_BLOCK, "dlp-limit", "a bomb after a 100-byte prefix");
        r.chunk = 7;
        expect(&r, SK_BLOCK, "dlp-limit", "a bomb after a prefix, 7-byte writes");
        free(pre), free(c);
        c = k ? sk_tz_xz(text, tl, &n) : sk_tz_bzip2(text, tl, &n);
        r = (struct req){
            .ip = "10.0.0.2", .ctype = "application/octet-stream", .body = c, .len = n};
        expect(&r, SK_BLOCK, "cards", "3 MiB of compressible log text with a card at its end");
        free(c);
    }
    c = sk_tz_deflate(zeros, zn, 15 + 16, &n);
    struct req g = {.ip = "10.0.0.2", .ctype = "text/plain", .cenc = "gzip", .body = c, .len = n};
    expect(&g, SK_BLOCK, "dlp-limit", "Content-Encoding gzip of 16 MiB of zeros");
    free(c), free(zeros), free(text);
}

/* The guard on zip entries (sk_zip_guard): a zip whose entry is a
 * deflate, bzip2, LZMA or xz bomb (16 MiB of zeros), with its sizes in a
 * data descriptor, after a prefix, nested in another zip, or 40 entries of
 * 1 MiB of zeros each (each at the floor, together beyond the archive's
 * bound) is dlp.on-limit; all of them are within dlp.max-decoded, so only
 * the ratio stops them. A zip of 3 MiB of log text with a card at its end
 * is read whole. */
static void test_zip_bombs(void **state)
{
    static const unsigned methods[] = {SK_TZIP_DEFLATE, SK_TZIP_BZIP2, SK_TZIP_LZMA, SK_TZIP_XZ,
                                       SK_TZIP_DEFLATE | SK_TZIP_DESC};
    size_t zn = 16u << 20, tl = 3u << 20, n, on;
    unsigned char *zeros = calloc(1, zn), *text = malloc(tl), *c, *outer;
    struct req r = {.ip = "10.0.0.2", .ctype = "application/octet-stream"};
    char name[32];

    (void)state;
    for (size_t m = 0; m < sizeof(methods) / sizeof(*methods); m++) {
        struct sk_tzip z = {0};
        sk_tzip_entry(&z, "readme.txt", "hello", 5, 0, 0);
        sk_tzip_entry(&z, "zeros.bin", zeros, zn, methods[m], 0);
        sk_tzip_central(&z);
        c = sk_tzip_take(&z, &n);
        r.body = c, r.len = n, r.chunk = 0;
        snprintf(name, sizeof(name), "zip bomb, options %#x", methods[m]);
        expect(&r, SK_BLOCK, "dlp-limit", name);
        if (m == 0) {
            r.chunk = 4093;
            expect(&r, SK_BLOCK, "dlp-limit", "zip bomb in 4093-byte writes");
            unsigned char *pre = malloc(n + 100);
            memset(pre, '#', 100);
            memcpy(pre + 100, c, n);
            r.body = pre, r.len = n + 100, r.chunk = 0;
            expect(&r, SK_BLOCK, "dlp-limit", "zip bomb after a 100-byte prefix");
            free(pre);
            outer = sk_tzip_one("inner.zip", c, n, 0, &on);
            r.body = outer, r.len = on;
            expect(&r, SK_BLOCK, "dlp-limit", "zip bomb stored in a zip");
            free(outer);
        }
        free(c);
    }
    struct sk_tzip z = {0};
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof(name), "m%d.bin", i);
        sk_tzip_entry(&z, name, zeros, 1u << 20, SK_TZIP_DEFLATE, 0);
    }
    sk_tzip_central(&z);
    c = sk_tzip_take(&z, &n);
    r.body = c, r.len = n;
    expect(&r, SK_BLOCK, "dlp-limit", "40 entries of 1 MiB of zeros");
    free(c);
    for (size_t at = 0; at < tl; at++)
        text[at] =
            (unsigned char)(at % 97 == 96 ? '\n' : "abcdefghij klmnop"[(at * 7 + at / 13) % 17]);
    memcpy(text + tl - 26, "card 4111 1111 1111 1111\n", 26);
    memset(&z, 0, sizeof(z));
    sk_tzip_entry(&z, "log.txt", text, tl, SK_TZIP_DEFLATE, 0);
    sk_tzip_central(&z);
    c = sk_tzip_take(&z, &n);
    r.body = c, r.len = n;
    expect(&r, SK_BLOCK, "cards", "a zip of 3 MiB of log text with a card at its end");
    free(c), free(zeros), free(text);
}

/* ar (a .deb), cpio and git packs (dlp_arc.c): each member read as an
 * object of its own - a card in a .deb's data.tar.gz, in a .gz in a cpio
 * (also a cpio.gz), in a git pack's blob, in a thin pack's inserted
 * bytes, in a push's body - at every write size; the same without the
 * card passes; a git pack that does not read is dlp.on-error. */
static void test_archive_members(void **state)
{
    (void)state;
    for (int clean = 0; clean < 2; clean++) {
        const char *text = clean ? "order 4111 1111 ref\n" : "card 4111 1111 1111 1111\n";
        enum sk_verdict v = clean ? SK_ALLOW : SK_BLOCK;
        const char *rule = clean ? NULL : "cards";
        struct sk_tzip tar = {0}, deb = {0};
        sk_tz_tar_member(&tar, "cards.txt", '0', NULL, strlen(text), (const unsigned char *)text,
                         strlen(text), 0);
        sk_tz_tar_end(&tar);
        size_t gn, tn;
        unsigned char *tgz = sk_tz_deflate(tar.p, tar.n, 15 + 16, &tn);
        sk_tzip_put(&deb, "!<arch>\n", 8);
        sk_tz_ar_member(&deb, "debian-binary", "2.0\n", 4);
        sk_tz_ar_member(&deb, "data.tar.gz", tgz, tn);
        expect_all_cuts(deb.p, deb.n, v, rule, "a .deb, the card in data.tar.gz");

        unsigned char *gz = sk_tz_deflate(text, strlen(text), 15 + 16, &gn);
        unsigned char cpio[1024];
        size_t cn = sk_tz_cpio_newc(cpio, "a.gz", gz, gn);
        cn += sk_tz_cpio_newc(cpio + cn, "TRAILER!!!", "", 0);
        expect_all_cuts(cpio, cn, v, rule, "a cpio, the card in a .gz member");
        size_t czn;
        unsigned char *cz = sk_tz_deflate(cpio, cn, 15 + 16, &czn);
        expect_all_cuts(cz, czn, v, rule, "a cpio.gz (an rpm's payload)");
        free(cz), free(gz), free(tgz);
        sk_tzip_free(&tar), sk_tzip_free(&deb);
    }
    /* git: the blob (ofs.pack), a thin pack's inserted bytes, a push */
    size_t n;
    unsigned char *p = sk_tz_data("git/ofs.pack", &n);
    expect_all_cuts(p, n, SK_BLOCK, "cards", "a git pack, the card in a blob");
    free(p);
    p = sk_tz_data("git/thin.pack", &n);
    expect_all_cuts(p, n, SK_BLOCK, "cards", "a thin git pack, the card in a delta's insertion");
    static const char cmd[] = "0000000000000000000000000000000000000000 "
                              "8df062587de2ac179b1c53a660ffef7f5b510c33 refs/heads/main\0 "
                              "report-status side-band-64k\n";
    unsigned char *push = malloc(n + 256);
    size_t w = (size_t)sprintf((char *)push, "%04zx", sizeof(cmd) - 1 + 4);
    memcpy(push + w, cmd, sizeof(cmd) - 1), w += sizeof(cmd) - 1;
    memcpy(push + w, "0000", 4), w += 4;
    memcpy(push + w, p, n), w += n;
    expect_all_cuts(push, w, SK_BLOCK, "cards", "a git push's body");
    /* cut inside its last object (git refuses it, but its bytes went) */
    expect_all_cuts(push, w - 30, SK_BLOCK, "dlp-undecodable", "a git push cut short");
    /* its blob's stream changed: the pack does not read */
    push[w - 60] ^= 0x5a;
    expect_all_cuts(push, w, SK_BLOCK, "dlp-undecodable", "a git pack that does not read");
    free(push), free(p);
    /* the clean text of the same repository: ofs.pack without the marker
     * line is thin.pack's base only, which is not in it: a commit alone */
    struct sk_tzip one = {0};
    sk_tz_git_head(&one, 1);
    sk_tz_git_obj(&one, 3, "notes, nothing else\n", 20, NULL, 0);
    sk_tz_git_end(&one, 0, 0);
    expect_all_cuts(one.p, one.n, SK_ALLOW, NULL, "a clean git pack");
    sk_tzip_free(&one);
    /* a thin delta inserting the card between two copies from a base the
     * pack does not hold: read in place, the copies line ends (not glued
     * to the base's unknown bytes) */
    unsigned char th[64], bid[20];
    size_t tn = 0;
    memset(bid, 0x22, sizeof(bid));
    th[tn++] = 10, th[tn++] = 5 + 19 + 5;
    th[tn++] = 0x90, th[tn++] = 5; /* copy 5 at 0 */
    th[tn++] = 19;
    memcpy(th + tn, "4111 1111 1111 1111", 19), tn += 19;
    th[tn++] = 0x91, th[tn++] = 5, th[tn++] = 5; /* copy 5 at 5 */
    struct sk_tzip thin = {0};
    sk_tz_git_head(&thin, 1);
    sk_tz_git_obj(&thin, 7, th, tn, bid, 20);
    sk_tz_git_end(&thin, 0, 0);
    expect_all_cuts(thin.p, thin.n, SK_BLOCK, "cards", "a thin delta inserting a card alone");
    sk_tzip_free(&thin);
    /* a file named by the card: a tree's entry */
    static const char tree[] = "100644 card 4111 1111 1111 1111.txt\0"
                               "\x11\x11\x11\x11\x11\x11\x11\x11\x11\x11"
                               "\x11\x11\x11\x11\x11\x11\x11\x11\x11\x11";
    struct sk_tzip tr = {0};
    sk_tz_git_head(&tr, 1);
    sk_tz_git_obj(&tr, 2, tree, sizeof(tree) - 1, NULL, 0);
    sk_tz_git_end(&tr, 0, 0);
    expect_all_cuts(tr.p, tr.n, SK_BLOCK, "cards", "a git tree naming a file by the card");
    sk_tzip_free(&tr);
}

/* 7z, cab and xar uploads (dlp_arc.c, libarchive; tests/unit/data/arc):
 * the card in a member found at every write size (LZMA2, PPMd, MSZIP,
 * xar's gzip), a clean 7z passes, an encrypted member or a 7z whose bytes
 * do not read is dlp.on-error. */
static void test_libarchive_members(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        enum sk_verdict v;
        const char *rule;
    } c[] = {
        {"arc/cards.7z", SK_BLOCK, "cards"},  {"arc/cards-ppmd.7z", SK_BLOCK, "cards"},
        {"arc/cards.cab", SK_BLOCK, "cards"}, {"arc/cards.xar", SK_BLOCK, "cards"},
        {"arc/clean.7z", SK_ALLOW, NULL},     {"arc/cards-aes.7z", SK_BLOCK, "dlp-undecodable"}};
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        size_t n;
        unsigned char *p = sk_tz_data(c[i].file, &n);
        expect_all_cuts(p, n, c[i].v, c[i].rule, c[i].file);
        if (strstr(c[i].file, "aes")) { /* named so in the log */
            struct req q = {
                .ip = "10.0.0.2", .ctype = "application/octet-stream", .body = p, .len = n};
            struct res o;
            run(&q, &o);
            if (!strstr(o.reason, "an encrypted member of a 7z archive"))
                fail_msg("encrypted 7z: reason '%s'", o.reason);
            res_free(&o);
        }
        /* a byte of the packed stream changed: it does not decode (7z
         * keeps a CRC of each file) */
        if (i == 0) {
            p[40] ^= 0x55;
            expect_all_cuts(p, n, SK_BLOCK, "dlp-undecodable", "a 7z whose stream is changed");
        }
        free(p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compressed_and_archives),
        cmocka_unit_test(test_tar_entries),
        cmocka_unit_test(test_bzip2_xz_uploads),
        cmocka_unit_test(test_zip_directory),
        cmocka_unit_test(test_late_zip),
        cmocka_unit_test(test_late_zip_no_interleave),
        cmocka_unit_test(test_streams_after_prefix),
        cmocka_unit_test(test_bombs),
        cmocka_unit_test(test_zip_bombs),
        cmocka_unit_test(test_archive_members),
        cmocka_unit_test(test_libarchive_members),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

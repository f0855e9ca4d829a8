/* test_pdf.c - the core PDF reader (sekisho/pdf.h): the object index
 * (headers, incremental updates, object streams, lying /Length), value
 * access, every filter and predictor against an encoder written here (or
 * the PDF Reference's LZW example), decryption against files qpdf 11
 * encrypted with the empty user password (data/pdf/, see README there),
 * and the bounds (objects, output, hostile shapes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include <sekisho/pdf.h>

#include "sk_tzip.h"

/* ---- building documents ---- */

struct doc {
    unsigned char *p;
    size_t n, cap;
};

static void put(struct doc *d, const void *s, size_t n)
{
    if (d->n + n + 1 > d->cap) {
        d->cap = (d->n + n + 1) * 2;
        d->p = realloc(d->p, d->cap);
        assert_non_null(d->p);
    }
    memcpy(d->p + d->n, s, n);
    d->n += n;
    d->p[d->n] = 0;
}

static void putf(struct doc *d, const char *fmt, ...)
{
    char buf[4096];
    va_list ap;
    int k;

    va_start(ap, fmt);
    k = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    assert_true(k >= 0 && (size_t)k < sizeof(buf));
    put(d, buf, (size_t)k);
}

/* "NUM 0 obj DICT stream\n DATA \nendstream endobj", /Length LEN
 * (-1: the data's length; -2: none). */
static void stream_obj(struct doc *d, unsigned num, const char *dict, const void *data, size_t n,
                       long len)
{
    if (len == -2)
        putf(d, "%u 0 obj\n<< %s >>\nstream\n", num, dict);
    else
        putf(d, "%u 0 obj\n<< /Length %ld %s >>\nstream\n", num, len == -1 ? (long)n : len, dict);
    put(d, data, n);
    putf(d, "\nendstream\nendobj\n");
}

static size_t zip(const unsigned char *in, size_t n, unsigned char *out, size_t cap)
{
    uLongf on = cap;

    assert_int_equal(compress(out, &on, in, n), Z_OK);
    return on;
}

/* PNG row filter TYPE over ROWS rows of W bytes (BPP bytes a pixel). */
static size_t png_encode(const unsigned char *in, size_t w, size_t rows, size_t bpp, int type,
                         unsigned char *out)
{
    size_t r, x, o = 0;

    for (r = 0; r < rows; r++) {
        const unsigned char *cur = in + r * w, *up = r ? in + (r - 1) * w : NULL;
        int t = type == 5 ? (int)(r % 5) : type; /* 5: each row its own type */
        out[o++] = (unsigned char)t;
        for (x = 0; x < w; x++) {
            int a = x >= bpp ? cur[x - bpp] : 0, b = up ? up[x] : 0,
                c = x >= bpp && up ? up[x - bpp] : 0, pr = 0;
            if (t == 1)
                pr = a;
            else if (t == 2)
                pr = b;
            else if (t == 3)
                pr = (a + b) / 2;
            else if (t == 4) {
                int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
                pr = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
            }
            out[o++] = (unsigned char)(cur[x] - pr);
        }
    }
    return o;
}

/* LZW as PDF writes it (EARLY: /EarlyChange), MSB first. */
static size_t lzw_encode(const unsigned char *in, size_t n, int early, unsigned char *out)
{
    static uint16_t next_of[4096][256];
    unsigned bits = 9, next = 258, acc_bits = 0;
    uint32_t acc = 0;
    size_t o = 0, i;
    int w = -1;

#define EMIT(code)                                                                                 \
    do {                                                                                           \
        acc = acc << bits | (code);                                                                \
        acc_bits += bits;                                                                          \
        while (acc_bits >= 8) {                                                                    \
            out[o++] = (unsigned char)(acc >> (acc_bits - 8));                                     \
            acc_bits -= 8;                                                                         \
        }                                                                                          \
    } while (0)
    memset(next_of, 0, sizeof(next_of));
    EMIT(256u);
    for (i = 0; i < n; i++) {
        if (w < 0) {
            w = in[i];
        } else if (next_of[w][in[i]]) {
            w = next_of[w][in[i]];
        } else {
            EMIT((unsigned)w);
            if (next < 4096)
                next_of[w][in[i]] = (uint16_t)next++;
            if (next + (unsigned)early > (1u << bits) && bits < 12)
                bits++;
            if (next >= 4094) { /* clear before the table is full */
                EMIT(256u);
                memset(next_of, 0, sizeof(next_of));
                bits = 9;
                next = 258;
            }
            w = in[i];
        }
    }
    if (w >= 0)
        EMIT((unsigned)w);
    EMIT(257u);
    if (acc_bits)
        out[o++] = (unsigned char)(acc << (8 - acc_bits));
#undef EMIT
    return o;
}

static struct sk_pdf *open_doc(const struct doc *d, enum sk_pdf_rc want)
{
    struct sk_pdf *p = NULL;
    struct sk_pdf_limits lim = {10000, 1 << 24, 1 << 26};

    assert_int_equal(sk_pdf_open(d->p, d->n, &lim, &p), want);
    return p;
}

/* Stream NUM decodes to WANT (N bytes) with PREDICTED. */
static void expect_stream(struct sk_pdf *p, unsigned num, const void *want, size_t n, int predicted)
{
    const struct sk_pdf_obj *o = sk_pdf_find(p, num);
    unsigned char *out = NULL;
    size_t on = 0;
    int pr = -1;

    assert_non_null(o);
    assert_true(o->stream);
    assert_int_equal(sk_pdf_stream(p, o, &out, &on, &pr), SK_PDF_OK);
    assert_int_equal(on, n);
    assert_memory_equal(out, want, n);
    assert_int_equal(out[on], 0);
    assert_int_equal(pr, predicted);
    assert_int_equal(sk_pdf_predicted(p, o), predicted);
    free(out);
}

static enum sk_pdf_rc stream_rc(struct sk_pdf *p, unsigned num)
{
    unsigned char *out = NULL;
    size_t on;
    enum sk_pdf_rc rc = sk_pdf_stream(p, sk_pdf_find(p, num), &out, &on, NULL);

    if (rc != SK_PDF_OK)
        assert_null(out);
    free(out);
    return rc;
}

static unsigned char sample[8192];

static void fill_sample(void)
{
    size_t i;

    for (i = 0; i < sizeof(sample); i++)
        sample[i] = (unsigned char)((i * 7) ^ (i >> 5) ^ (i % 13 == 0 ? 0x41 : 0));
}

/* ---- the index ---- */

static void t_not_pdf(void **s)
{
    struct sk_pdf *p = (void *)1;
    struct doc d = {0};
    size_t i;

    (void)s;
    putf(&d, "1 0 obj << >> endobj");
    assert_int_equal(sk_pdf_open(d.p, d.n, NULL, &p), SK_PDF_NOT_PDF);
    assert_null(p);
    d.n = 0;
    for (i = 0; i < 1019; i++)
        put(&d, " ", 1);
    putf(&d, "%%PDF-1.4\n1 0 obj << /A 1 >> endobj\n"); /* "%PDF-" ends at byte 1024 */
    p = open_doc(&d, SK_PDF_OK);
    assert_int_equal(sk_pdf_count(p), 1);
    sk_pdf_free(p);
    d.n = 0;
    for (i = 0; i < 1020; i++)
        put(&d, " ", 1);
    putf(&d, "%%PDF-1.4\n");
    assert_int_equal(sk_pdf_open(d.p, d.n, NULL, &p), SK_PDF_NOT_PDF);
    free(d.p);
}

static void t_index(void **s)
{
    struct doc d = {0};
    struct sk_pdf *p;
    const struct sk_pdf_obj *o;
    long long v;

    (void)s;
    putf(&d, "%%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
             "2 0 obj [1 2 (a)b)] endobj\n"
             "x3 0 obj << >> endobj\n"                          /* not a header */
             "3 1 obj 42 endobj 4 0 obj<</A(1 0 obj)>>endobj\n" /* a header in a string */
             "xref garbage\ntrailer << /Size 9 >>\n"
             "1 0 obj\n<< /Type /Catalog /Version /2#2E0 >>\nendobj\n" /* incremental update */
             "%%%%EOF\n");
    p = open_doc(&d, SK_PDF_OK);
    assert_int_equal(sk_pdf_count(p), 6);
    o = sk_pdf_find(p, 1);
    assert_ptr_equal(o, sk_pdf_at(p, 5)); /* the last definition */
    assert_true(o->dict_len > 0 && memcmp(o->dict, "<< /Type /Catalog /Version", 26) == 0);
    assert_int_equal(sk_pdf_at(p, 0)->num, 1);
    o = sk_pdf_find(p, 3);
    assert_int_equal(o->gen, 1);
    assert_int_equal(sk_pdf_int(o->dict, o->dict_len, &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(o->dict_len, 2);
    o = sk_pdf_find(p, 2);
    assert_int_equal(o->dict_len, strlen("[1 2 (a)b)]")); /* a stray ")" is skipped */
    assert_null(sk_pdf_find(p, 7));
    assert_false(o->stream);
    assert_int_equal(sk_pdf_encrypted(p), 0);
    sk_pdf_free(p);
    free(d.p);
}

static void t_values(void **s)
{
    const unsigned char *d =
        (const unsigned char *)"<< /Type/Page /N#61me (x>>y) /Kids [ 3 0 R << /A 1 >> ] /Len 12 0 "
                               "R /Neg -7 /F /Fl#61teDecode"
                               " /Sub << /Type /X >> /K 1 /K 2 >>";
    const unsigned char *v;
    size_t vn, n = strlen((const char *)d);
    char name[16];
    unsigned num;
    long long i;

    (void)s;
    assert_int_equal(sk_pdf_dict_get(d, n, "Type", &v, &vn), 0);
    assert_int_equal(sk_pdf_name(v, vn, name, sizeof(name)), 0);
    assert_string_equal(name, "Page");
    assert_int_equal(sk_pdf_dict_get(d, n, "Name", &v, &vn), 0);
    assert_int_equal(vn, 6);
    assert_int_equal(sk_pdf_dict_get(d, n, "Kids", &v, &vn), 0);
    assert_int_equal(vn, strlen("[ 3 0 R << /A 1 >> ]"));
    assert_int_equal(sk_pdf_dict_get(d, n, "Len", &v, &vn), 0);
    assert_int_equal(vn, 6);
    assert_int_equal(sk_pdf_ref(v, vn, &num), 0);
    assert_int_equal(num, 12);
    assert_int_equal(sk_pdf_int(v, vn, &i), -1);
    assert_int_equal(sk_pdf_dict_get(d, n, "Neg", &v, &vn), 0);
    assert_int_equal(sk_pdf_int(v, vn, &i), 0);
    assert_int_equal(i, -7);
    assert_int_equal(sk_pdf_ref(v, vn, &num), -1);
    assert_int_equal(sk_pdf_dict_get(d, n, "F", &v, &vn), 0);
    assert_int_equal(sk_pdf_name(v, vn, name, sizeof(name)), 0);
    assert_string_equal(name, "FlateDecode");
    assert_int_equal(sk_pdf_name(v, vn, name, 5), 0);
    assert_string_equal(name, "Flat");
    assert_int_equal(sk_pdf_dict_get(d, n, "A", &v, &vn), -1); /* only in a nested dictionary */
    assert_int_equal(sk_pdf_dict_get(d, n, "X", &v, &vn), -1);
    assert_int_equal(sk_pdf_dict_get(d, n, "K", &v, &vn), 0);
    assert_int_equal(sk_pdf_int(v, vn, &i), 0);
    assert_int_equal(i, 2); /* the last of a repeated key */
    assert_int_equal(sk_pdf_dict_get((const unsigned char *)"[1]", 3, "K", &v, &vn), -1);
}

static void t_resolve(void **s)
{
    struct doc d = {0};
    struct sk_pdf *p;
    const unsigned char *v, *r;
    size_t vn, rn;

    (void)s;
    putf(&d, "%%PDF-1.4\n1 0 obj << /Kids 2 0 R /Res 3 0 R /Gone 9 0 R >> endobj\n"
             "2 0 obj [4 0 R] endobj 3 0 obj 5 0 R endobj 5 0 obj << /Font 1 >> endobj\n");
    p = open_doc(&d, SK_PDF_OK);
    assert_int_equal(
        sk_pdf_dict_get(sk_pdf_find(p, 1)->dict, sk_pdf_find(p, 1)->dict_len, "Kids", &v, &vn), 0);
    assert_int_equal(sk_pdf_resolve(p, v, vn, &r, &rn), 0);
    assert_memory_equal(r, "[4 0 R]", 7);
    assert_int_equal(
        sk_pdf_dict_get(sk_pdf_find(p, 1)->dict, sk_pdf_find(p, 1)->dict_len, "Res", &v, &vn), 0);
    assert_int_equal(sk_pdf_resolve(p, v, vn, &r, &rn), 0); /* two hops */
    assert_memory_equal(r, "<< /Font 1 >>", 13);
    assert_int_equal(
        sk_pdf_dict_get(sk_pdf_find(p, 1)->dict, sk_pdf_find(p, 1)->dict_len, "Gone", &v, &vn), 0);
    assert_int_equal(sk_pdf_resolve(p, v, vn, &r, &rn), -1);
    sk_pdf_free(p);
    free(d.p);
}

/* /Length right, missing, indirect, too short, too long, beyond the file. */
static void t_length(void **s)
{
    struct doc d = {0};
    struct sk_pdf *p;
    const unsigned char data[] = "ab endstream-looking\r\nbytes";
    size_t n = sizeof(data) - 1;

    (void)s;
    putf(&d, "%%PDF-1.4\n");
    stream_obj(&d, 1, "", data, n, -1);
    stream_obj(&d, 2, "", "xyz", 3, -2);
    stream_obj(&d, 3, "/Length 9 0 R", "0123456789", 10, -2);
    putf(&d, "9 0 obj 10 endobj\n");
    stream_obj(&d, 4, "", "0123456789", 10, 4);
    stream_obj(&d, 5, "", "0123456789", 10, 40);
    stream_obj(&d, 6, "", "0123456789", 10, 1L << 40);
    putf(&d, "7 0 obj << /Length 3 >> stream\r\nabc endstream endobj\n");
    p = open_doc(&d, SK_PDF_OK);
    assert_int_equal(sk_pdf_find(p, 1)->raw_len, n); /* "endstream" inside is data */
    expect_stream(p, 1, data, n, 0);
    expect_stream(p, 2, "xyz", 3, 0);
    expect_stream(p, 3, "0123456789", 10, 0);
    expect_stream(p, 4, "0123456789", 10, 0);
    expect_stream(p, 5, "0123456789", 10, 0);
    expect_stream(p, 6, "0123456789", 10, 0);
    expect_stream(p, 7, "abc", 3, 0);
    sk_pdf_free(p);
    free(d.p);
}

/* ---- filters ---- */

static void t_flate_png(void **s)
{
    static unsigned char enc[20000], z[20000];
    struct doc d = {0};
    struct sk_pdf *p;
    int type;
    size_t zn;

    (void)s;
    fill_sample();
    putf(&d, "%%PDF-1.5\n");
    for (type = 0; type <= 5; type++) { /* 30 rows of 3 colours x 80 columns */
        size_t en = png_encode(sample, 240, 30, 3, type, enc);
        char dict[200];
        zn = zip(enc, en, z, sizeof(z));
        snprintf(dict, sizeof(dict),
                 "/Filter /FlateDecode /DecodeParms << /Predictor %d /Colors 3 /Columns 80 >>",
                 10 + type);
        stream_obj(&d, 1 + (unsigned)type, dict, z, zn, -1);
    }
    zn = zip(sample, 100, z, sizeof(z));
    stream_obj(&d, 10, "/Filter /FlateDecode /DecodeParms << /Predictor 1 >>", z, zn, -1);
    stream_obj(&d, 11, "/Filter /Fl", z, zn, -1);
    {
        size_t en = png_encode(sample, 7, 9, 1, 5, enc); /* a cut last row */
        zn = zip(enc, en - 3, z, sizeof(z));
        stream_obj(&d, 12, "/F /Fl /DP << /Predictor 12 /Columns 7 >>", z, zn, -1);
    }
    enc[0] = 5; /* no PNG filter type 5: None to readers; its row was of type 0 */
    zn = zip(enc, 8, z, sizeof(z));
    stream_obj(&d, 13, "/Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 7 >>", z, zn,
               -1);
    zn = zip(sample, 100, z, sizeof(z));
    stream_obj(&d, 14, "/Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 4294967296 >>",
               z, zn, -1);
    enc[0] = 2;
    memcpy(enc + 1, sample, 99);
    zn = zip(enc, 100, z, sizeof(z));
    stream_obj(&d, 15, "/Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns 2147483647 >>",
               z, zn, -1);
    zn = zip(sample, 100, z, sizeof(z));
    stream_obj(&d, 16, "/Filter /FlateDecode /DecodeParms << /Predictor 7 /Columns 4 >>", z, zn,
               -1);
    stream_obj(&d, 17, "/Filter /FlateDecode /DecodeParms 18 0 R", z, zn, -1);
    putf(&d, "18 0 obj << /Predictor 2 /Columns 100 /Colors 1 >> endobj\n");
    p = open_doc(&d, SK_PDF_OK);
    for (type = 0; type <= 5; type++)
        expect_stream(p, 1 + (unsigned)type, sample, 240 * 30, 1);
    expect_stream(p, 10, sample, 100, 0);
    expect_stream(p, 11, sample, 100, 0);
    expect_stream(p, 12, sample, 7 * 9 - 3, 1);
    expect_stream(p, 13, sample, 7, 1);                /* row type 5 read as None (qpdf, poppler) */
    assert_int_equal(stream_rc(p, 14), SK_PDF_BROKEN); /* Columns beyond 2^32 - 1 */
    expect_stream(p, 15, sample, 99, 1); /* Columns 2^31 - 1: one cut row, not allocated */
    assert_int_equal(stream_rc(p, 16), SK_PDF_BROKEN);
    {
        unsigned char want[100];
        size_t i;
        for (i = 0; i < 100; i++) /* TIFF 2 undone: running sums */
            want[i] = (unsigned char)(sample[i] + (i ? want[i - 1] : 0));
        expect_stream(p, 17, want, 100, 1);
    }
    sk_pdf_free(p);
    free(d.p);
}

static void t_tiff(void **s)
{
    static unsigned char raw[600], enc[600], z[2000];
    struct doc d = {0};
    struct sk_pdf *p;
    size_t i, r, zn;

    (void)s;
    fill_sample();
    putf(&d, "%%PDF-1.5\n");
    /* 8 bits, 3 colours, 10 columns, 20 rows: 30-byte rows */
    for (r = 0; r < 20; r++)
        for (i = 0; i < 30; i++)
            enc[r * 30 + i] =
                (unsigned char)(sample[r * 30 + i] - (i >= 3 ? sample[r * 30 + i - 3] : 0));
    zn = zip(enc, 600, z, sizeof(z));
    stream_obj(&d, 1, "/Filter /FlateDecode /DecodeParms << /Predictor 2 /Colors 3 /Columns 10 >>",
               z, zn, -1);
    /* 16 bits, 1 colour, 10 columns: 20-byte rows */
    for (r = 0; r < 20; r++)
        for (i = 0; i < 10; i++) {
            unsigned cur = sample[r * 20 + 2 * i] << 8 | sample[r * 20 + 2 * i + 1];
            unsigned prev = i ? (sample[r * 20 + 2 * i - 2] << 8 | sample[r * 20 + 2 * i - 1]) : 0;
            unsigned dlt = (cur - prev) & 0xffff;
            enc[r * 20 + 2 * i] = (unsigned char)(dlt >> 8);
            enc[r * 20 + 2 * i + 1] = (unsigned char)dlt;
        }
    zn = zip(enc, 400, z, sizeof(z));
    stream_obj(&d, 2,
               "/Filter /FlateDecode /DecodeParms << /Predictor 2 /BitsPerComponent 16 /Columns 10 "
               ">>",
               z, zn, -1);
    /* 1 bit, 1 colour, 12 columns: 2-byte rows; 0xFF 0xF0 from 0x80 0x00 */
    memcpy(raw, "\x80\x00\x80\x00", 4);
    zn = zip(raw, 4, z, sizeof(z));
    stream_obj(&d, 3,
               "/Filter /FlateDecode /DecodeParms << /Predictor 2 /BitsPerComponent 1 /Columns 12 "
               ">>",
               z, zn, -1);
    /* 4 bits, 2 colours, 2 columns: (1,2),(3,4) from 1 2 2 2 */
    memcpy(raw, "\x12\x22", 2);
    zn = zip(raw, 2, z, sizeof(z));
    stream_obj(&d, 4,
               "/Filter /FlateDecode /DecodeParms << /Predictor 2 /BitsPerComponent 4 /Colors 2 "
               "/Columns 2 >>",
               z, zn, -1);
    stream_obj(
        &d, 5,
        "/Filter /FlateDecode /DecodeParms << /Predictor 2 /BitsPerComponent 3 /Columns 2 >>", z,
        zn, -1);
    p = open_doc(&d, SK_PDF_OK);
    expect_stream(p, 1, sample, 600, 1);
    expect_stream(p, 2, sample, 400, 1);
    expect_stream(p, 3, "\xff\xf0\xff\xf0", 4, 1);
    expect_stream(p, 4, "\x12\x34", 2, 1);
    assert_int_equal(stream_rc(p, 5), SK_PDF_BROKEN);
    sk_pdf_free(p);
    free(d.p);
}

static void t_lzw(void **s)
{
    static unsigned char enc[20000], big[6000];
    struct doc d = {0};
    struct sk_pdf *p;
    size_t en, i;

    (void)s;
    fill_sample();
    for (i = 0; i < sizeof(big); i++) /* enough new strings to widen to 12 bits and clear */
        big[i] = (unsigned char)(i * 2654435761u >> 13);
    putf(&d, "%%PDF-1.4\n");
    /* The PDF Reference's example (EarlyChange 1). */
    stream_obj(&d, 1, "/Filter /LZWDecode", "\x80\x0b\x60\x50\x22\x0c\x0c\x85\x01", 9, -1);
    en = lzw_encode(big, sizeof(big), 1, enc);
    stream_obj(&d, 2, "/Filter /LZW", enc, en, -1);
    en = lzw_encode(big, sizeof(big), 0, enc);
    stream_obj(&d, 3, "/Filter /LZWDecode /DecodeParms << /EarlyChange 0 >>", enc, en, -1);
    en = lzw_encode(sample, 1000, 1, enc);
    stream_obj(&d, 4, "/Filter /LZWDecode /DecodeParms << /Predictor 1 >>", enc, en, -1);
    stream_obj(&d, 5, "/Filter /LZWDecode", "\x80\x40\x80", 3, -1); /* 256, then code 258 */
    p = open_doc(&d, SK_PDF_OK);
    /* predicted: libclamav 1.4 does not decode LZW */
    expect_stream(p, 1, "\x2d\x2d\x2d\x2d\x2d\x41\x2d\x2d\x2d\x42", 10, 1);
    expect_stream(p, 2, big, sizeof(big), 1);
    expect_stream(p, 3, big, sizeof(big), 1);
    expect_stream(p, 4, sample, 1000, 1);
    assert_int_equal(stream_rc(p, 5), SK_PDF_BROKEN);
    sk_pdf_free(p);
    free(d.p);
}

static void t_ascii_rl(void **s)
{
    struct doc d = {0};
    struct sk_pdf *p;

    (void)s;
    putf(&d, "%%PDF-1.4\n");
    stream_obj(&d, 1, "/Filter /ASCIIHexDecode", "41 42\n4a6 >junk", 16, -1);
    stream_obj(&d, 2, "/Filter /AHx", "41 4G", 5, -1);
    /* "Man " + 4 zero bytes + "is", with whitespace */
    stream_obj(&d, 3, "/Filter /ASCII85Decode", "9jq o\n\t^\r z B l a~>", 19, -1);
    stream_obj(&d, 4, "/Filter /A85", "<~9jqo^~>", 9, -1);
    stream_obj(&d, 5, "/Filter /A85", "s8W-\"~>", 7, -1); /* a group above 2^32 - 1 */
    stream_obj(&d, 6, "/Filter /A85", "9jqo^B~>", 8, -1); /* one char left over */
    stream_obj(&d, 7, "/Filter /RunLengthDecode",
               "\x02"
               "abc"
               "\xfe"
               "z"
               "\x80"
               "tail",
               10, -1);
    stream_obj(&d, 8, "/Filter /RL",
               "\x05"
               "ab",
               3, -1); /* cut short */
    p = open_doc(&d, SK_PDF_OK);
    expect_stream(p, 1, "ABJ`", 4, 0);
    assert_int_equal(stream_rc(p, 2), SK_PDF_BROKEN);
    expect_stream(p, 3, "Man \0\0\0\0is", 10, 0);
    expect_stream(p, 4, "Man ", 4, 0);
    assert_int_equal(stream_rc(p, 5), SK_PDF_BROKEN);
    assert_int_equal(stream_rc(p, 6), SK_PDF_BROKEN);
    expect_stream(p, 7, "abczzz", 6, 0);
    expect_stream(p, 8, "ab", 2, 0);
    sk_pdf_free(p);
    free(d.p);
}

/* Chains, escaped and abbreviated names, image codecs, unknown filters. */
static void t_chain(void **s)
{
    static unsigned char enc[4000], z[4000], hex[9000];
    struct doc d = {0};
    struct sk_pdf *p;
    size_t en, zn, i;

    (void)s;
    fill_sample();
    en = png_encode(sample, 10, 20, 1, 4, enc);
    zn = zip(enc, en, z, sizeof(z));
    for (i = 0; i < zn; i++)
        snprintf((char *)hex + 2 * i, 3, "%02x", z[i]);
    putf(&d, "%%PDF-1.5\n");
    stream_obj(&d, 1,
               "/Filter [/AHx /Fl#61teDecode] /DecodeParms [null << /Predictor 12 /Columns 10 >>]",
               hex, 2 * zn, -1);
    stream_obj(&d, 2, "/Filter [/ASCIIHexDecode 9 0 R] /DecodeParms [null 8 0 R]", hex, 2 * zn, -1);
    putf(&d, "8 0 obj << /Predictor 15 /Columns 10 >> endobj 9 0 obj /FlateDecode endobj\n");
    stream_obj(&d, 3, "/Filter [/FlateDecode /DCTDecode]", z, zn, -1);
    stream_obj(&d, 4, "/Filter /Rot13Decode", "abc", 3, -1);
    stream_obj(&d, 5, "/Filter [/Fl /Crypt]", z, zn, -1);
    stream_obj(&d, 6,
               "/Filter [/Fl /Fl /Fl /Fl /Fl /Fl /Fl /Fl /Fl /Fl /Fl /Fl /Fl /Fl /Fl /Fl /Fl]", z,
               zn, -1);
    stream_obj(&d, 7, "/Filter [/Crypt /AHx] /DecodeParms [<< /Name /Identity >> null]", "4142", 4,
               -1);
    p = open_doc(&d, SK_PDF_OK);
    expect_stream(p, 1, sample, 200, 1);
    expect_stream(p, 2, sample, 200, 1);
    expect_stream(p, 3, enc, en, 0); /* the image codec's input */
    assert_int_equal(stream_rc(p, 4), SK_PDF_BROKEN);
    assert_int_equal(stream_rc(p, 5), SK_PDF_BROKEN);
    assert_int_equal(stream_rc(p, 6), SK_PDF_LIMIT);
    expect_stream(p, 7, "AB", 2, 1); /* left to no one: libclamav may not know /Crypt */
    sk_pdf_free(p);
    /* Raw deflate (no zlib header): readers inflate it, libclamav does not. */
    d.n = 0;
    putf(&d, "%%PDF-1.5\n");
    stream_obj(&d, 1, "/Filter /FlateDecode", z + 2, zn - 6, -1);
    stream_obj(&d, 2, "/Filter [/AHx /FlateDecode]", hex + 4, 2 * zn - 12, -1);
    stream_obj(&d, 3, "/Filter [/AHx /FlateDecode]", hex, 2 * zn, -1);
    stream_obj(&d, 4, "/Filter /FlateDecode", z, zn, -1);
    p = open_doc(&d, SK_PDF_OK);
    expect_stream(p, 1, enc, en, 1);
    expect_stream(p, 2, enc, en, 1);
    {
        unsigned char *out;
        size_t on;
        int pr = -1;
        /* a later Flate stage is only known by decoding: "may be" */
        assert_int_equal(sk_pdf_predicted(p, sk_pdf_find(p, 3)), 1);
        assert_int_equal(sk_pdf_stream(p, sk_pdf_find(p, 3), &out, &on, &pr), SK_PDF_OK);
        assert_int_equal(pr, 0);
        assert_int_equal(on, en);
        free(out);
    }
    expect_stream(p, 4, enc, en, 0);
    sk_pdf_free(p);
    free(d.p);
}

/* The first bytes of a stream (its last stage cut there), not counted. */
static void t_head(void **s)
{
    static unsigned char enc[20000], z[20000], hex[40000];
    struct doc d = {0};
    struct sk_pdf *p;
    struct sk_pdf_limits lim = {100, 1 << 20, 5000};
    unsigned char *out;
    size_t en, zn, on, i;

    (void)s;
    fill_sample();
    en = png_encode(sample, 80, 60, 1, 5, enc);
    zn = zip(enc, en, z, sizeof(z));
    for (i = 0; i < zn; i++)
        snprintf((char *)hex + 2 * i, 3, "%02x", z[i]);
    putf(&d, "%%PDF-1.5\n");
    stream_obj(&d, 1, "/Filter [/AHx /Fl] /DecodeParms [null << /Predictor 15 /Columns 80 >>]", hex,
               2 * zn, -1);
    stream_obj(&d, 2, "", sample, 3000, -1);
    assert_int_equal(sk_pdf_open(d.p, d.n, &lim, &p), SK_PDF_OK);
    for (i = 0; i < 3; i++) { /* not counted: 3 x 1000 + 4800 is over max_total (5000) */
        assert_int_equal(sk_pdf_stream_head(p, sk_pdf_find(p, 1), &out, &on, 1000), SK_PDF_OK);
        assert_int_equal(on, 1000);
        assert_memory_equal(out, sample, 1000);
        assert_int_equal(out[on], 0);
        free(out);
    }
    assert_int_equal(sk_pdf_stream_head(p, sk_pdf_find(p, 2), &out, &on, 10), SK_PDF_OK);
    assert_int_equal(on, 10);
    assert_memory_equal(out, sample, 10);
    free(out);
    assert_int_equal(sk_pdf_stream_head(p, sk_pdf_find(p, 1), &out, &on, 1 << 20), SK_PDF_OK);
    assert_int_equal(on, 80 * 60); /* shorter than asked: all of it */
    free(out);
    expect_stream(p, 1, sample, 80 * 60, 1); /* and still within max_total whole */
    sk_pdf_free(p);
    free(d.p);
}

/* Object streams: indexed, found, later ones win by their place. */
static void t_objstm(void **s)
{
    static unsigned char z[2000];
    const char *body = "11 0 12 13 13 23 << /A 11 >> [12 12]   (thirteen)";
    char dict[200];
    struct doc d = {0};
    struct sk_pdf *p;
    const struct sk_pdf_obj *o;
    size_t zn;

    (void)s;
    putf(&d, "%%PDF-1.5\n12 0 obj (old twelve) endobj\n");
    zn = zip((const unsigned char *)body, strlen(body), z, sizeof(z));
    snprintf(dict, sizeof(dict), "/Type /ObjStm /N 3 /First 16 /Filter /FlateDecode");
    stream_obj(&d, 5, dict, z, zn, -1);
    stream_obj(&d, 6, "/Type /ObjStm /N 99999999999 /First 8 /Length 6 0 R", "6 0 7 6\n<< >> 55",
               16, -2); /* references itself; N lies */
    putf(&d, "13 0 obj (new thirteen) endobj\n");
    p = open_doc(&d, SK_PDF_OK);
    o = sk_pdf_find(p, 11);
    assert_non_null(o);
    assert_true(o->in_objstm);
    assert_false(o->stream);
    assert_int_equal(o->dict_len, strlen("<< /A 11 >>"));
    assert_memory_equal(sk_pdf_find(p, 12)->dict, "[12 12]", 7);
    assert_memory_equal(sk_pdf_find(p, 13)->dict, "(new thirteen)", 14);
    o = sk_pdf_find(p, 7);
    assert_non_null(o);
    assert_true(o->in_objstm);
    assert_int_equal(sk_pdf_count(p), 4 + 3 + 2);
    sk_pdf_free(p);
    free(d.p);
}

/* ---- bounds ---- */

static void t_limits(void **s)
{
    static unsigned char big[1 << 16], z[1 << 16];
    struct doc d = {0};
    struct sk_pdf *p = NULL;
    struct sk_pdf_limits lim = {3, 1000, 1500};
    size_t zn, i;

    (void)s;
    memset(big, 'A', sizeof(big));
    zn = zip(big, 999, z, sizeof(z));
    putf(&d, "%%PDF-1.4\n");
    stream_obj(&d, 1, "/Filter /FlateDecode", z, zn, -1);
    stream_obj(&d, 2, "/Filter /FlateDecode", z, zn, -1);
    zn = zip(big, 1001, z, sizeof(z));
    stream_obj(&d, 3, "/Filter /FlateDecode", z, zn, -1);
    putf(&d, "4 0 obj 1 endobj\n");
    assert_int_equal(sk_pdf_open(d.p, d.n, &lim, &p), SK_PDF_LIMIT);
    assert_non_null(p);
    assert_int_equal(sk_pdf_count(p), 3);            /* those before the limit are kept */
    assert_int_equal(stream_rc(p, 3), SK_PDF_LIMIT); /* max_out */
    assert_int_equal(stream_rc(p, 1), SK_PDF_OK);
    assert_int_equal(stream_rc(p, 2), SK_PDF_LIMIT); /* max_total: 999 + 999 > 1500 */
    sk_pdf_free(p);
    /* 200,000 unterminated dictionaries and "obj" tokens: one pass each */
    d.n = 0;
    putf(&d, "%%PDF-1.4\n");
    for (i = 0; i < 200000; i++)
        putf(&d, "%zu 0 obj << /A [ (x stream\n", i);
    lim.max_objects = 1000000;
    lim.max_out = lim.max_total = 1 << 20;
    assert_int_equal(sk_pdf_open(d.p, d.n, &lim, &p), SK_PDF_OK);
    assert_int_equal(sk_pdf_count(p), 200000);
    for (i = 0; i < sk_pdf_count(p); i++) { /* no stream keyword after a value cut short */
        const struct sk_pdf_obj *o = sk_pdf_at(p, i);
        assert_true(o->dict + o->dict_len <= d.p + d.n);
    }
    sk_pdf_free(p);
    /* A /DecodeParms shared by reference is read for each stream naming
     * it: past SK_PDF_MAX_PARMS (4096 bytes) it is BROKEN, not re-read. */
    {
        static char pad[5000];
        d.n = 0;
        memset(pad, 'x', sizeof(pad) - 1);
        putf(&d, "%%PDF-1.4\n");
        stream_obj(&d, 1, "/Filter /Fl /DecodeParms 8 0 R", z, zn, -1);
        stream_obj(&d, 2, "/Filter /Fl /DecodeParms 9 0 R", z, zn, -1);
        stream_obj(&d, 3, "/Filter [/Fl] /DecodeParms [9 0 R]", z, zn, -1); /* an entry */
        stream_obj(&d, 4, "/Filter [/Fl] /DecodeParms [8 0 R]", z, zn, -1);
        putf(&d, "8 0 obj << /Predictor 1 /Pad (");
        put(&d, pad, 4000 - 30);
        putf(&d, ") >> endobj\n9 0 obj << /Predictor 1 /Pad (");
        put(&d, pad, sizeof(pad) - 1);
        putf(&d, ") >> endobj\n");
        assert_int_equal(sk_pdf_open(d.p, d.n, &lim, &p), SK_PDF_OK);
        assert_int_equal(stream_rc(p, 1), SK_PDF_OK);
        assert_int_equal(stream_rc(p, 2), SK_PDF_BROKEN);
        assert_int_equal(stream_rc(p, 3), SK_PDF_BROKEN);
        assert_int_equal(stream_rc(p, 4), SK_PDF_OK);
        sk_pdf_free(p);
    }
    /* Deep nesting: bounded, not recursive. */
    d.n = 0;
    putf(&d, "%%PDF-1.4\n1 0 obj ");
    for (i = 0; i < 100000; i++)
        put(&d, "[<<", 3);
    putf(&d, " endobj\n");
    assert_int_equal(sk_pdf_open(d.p, d.n, &lim, &p), SK_PDF_OK);
    assert_int_equal(sk_pdf_count(p), 1);
    sk_pdf_free(p);
    free(d.p);
}

/* ---- strings: escapes (sk_pdf_string_bytes), sk_pdf_string ---- */

static void t_string_bytes(void **s)
{
    unsigned char out[64];

    (void)s;
#define STR(in, want)                                                                              \
    do {                                                                                           \
        long k = sk_pdf_string_bytes((const unsigned char *)in, sizeof(in) - 1, out, sizeof(out)); \
        assert_int_equal(k, sizeof(want) - 1);                                                     \
        assert_memory_equal(out, want, sizeof(want) - 1);                                          \
    } while (0)
    STR("(a\\(b\\)\\101\\12x)", "a(b)A\nx");
    STR("(4\\0611)", "411");       /* octal, 3 digits at most */
    STR("(\\1234)", "S4");         /* \123 then 4 */
    STR("(a\\\r\nb)", "ab");       /* a line continuation */
    STR("(a\\\rb\\\nc)", "abc");   /* CR alone, LF alone */
    STR("(a\r\nb\rc)", "a\nb\nc"); /* line ends in a string are LF */
    STR("((n)e(s)t)", "(n)e(s)t");
    STR("(\\q\\\\)", "q\\");
    STR("(\\n\\r\\t\\b\\f)", "\n\r\t\b\f");
    STR(" (x)", "x");
    STR("<34 31\n3>", "410"); /* odd last digit: followed by 0 */
    STR("<34x31>", "41");     /* junk skipped, as poppler */
    STR("<>", "");
    assert_int_equal(sk_pdf_string_bytes((const unsigned char *)"/N", 2, out, sizeof(out)), -1);
    assert_int_equal(sk_pdf_string_bytes((const unsigned char *)"<<>>", 4, out, sizeof(out)), -1);
    assert_int_equal(sk_pdf_string_bytes((const unsigned char *)"(abcd)", 6, out, 2), 2); /* cut */
#undef STR
}

struct each {
    char got[128];
    int stop_at, calls;
};

static int each_cb(void *arg, const unsigned char *s, size_t sn)
{
    struct each *e = arg;

    strncat(e->got, (const char *)s, sn);
    strcat(e->got, "|");
    return ++e->calls == e->stop_at ? 7 : 0;
}

/* sk_pdf_each_string: every string token in order, nested ones too,
 * not a comment's, not a dictionary's "<<"; a nonzero return stops. */
static void t_each_string(void **s)
{
    static const char v[] = "<< /A (x) /B [<41> (y(z)\\))] /C << /D <> >> % (no)\n /E 1 >>";
    struct each e = {"", 0, 0};

    (void)s;
    assert_int_equal(sk_pdf_each_string((const unsigned char *)v, sizeof(v) - 1, each_cb, &e), 0);
    assert_string_equal(e.got, "(x)|<41>|(y(z)\\))|<>|");
    memset(&e, 0, sizeof(e));
    e.stop_at = 2;
    assert_int_equal(sk_pdf_each_string((const unsigned char *)v, sizeof(v) - 1, each_cb, &e), 7);
    assert_string_equal(e.got, "(x)|<41>|");
}

static void t_string_plain(void **s)
{
    struct doc d = {0};
    struct sk_pdf *p = NULL;
    unsigned char *out;
    size_t on;
    const struct sk_pdf_obj *o;
    const unsigned char *v;
    size_t vn;

    (void)s;
    putf(&d, "%%PDF-1.4\n1 0 obj\n<< /Title (a\\(b\\)) /H <4142> >>\nendobj\n");
    assert_int_equal(sk_pdf_open(d.p, d.n, NULL, &p), SK_PDF_OK);
    o = sk_pdf_find(p, 1);
    assert_int_equal(sk_pdf_dict_get(o->dict, o->dict_len, "Title", &v, &vn), 0);
    assert_int_equal(sk_pdf_string(p, o, v, vn, &out, &on), SK_PDF_OK);
    assert_int_equal(on, 4);
    assert_memory_equal(out, "a(b)", 5); /* NUL-terminated */
    free(out);
    assert_int_equal(sk_pdf_dict_get(o->dict, o->dict_len, "H", &v, &vn), 0);
    assert_int_equal(sk_pdf_string(p, NULL, v, vn, &out, &on), SK_PDF_OK);
    assert_int_equal(on, 2);
    assert_memory_equal(out, "AB", 3);
    free(out);
    assert_int_equal(sk_pdf_string(p, o, (const unsigned char *)"/N", 2, &out, &on), SK_PDF_BROKEN);
    assert_null(out);
    sk_pdf_free(p);
    free(d.p);
}

/* ---- decryption: files qpdf encrypted with the empty user password ---- */

static unsigned char *slurp(const char *name, size_t *n)
{
    char rel[128];
    snprintf(rel, sizeof(rel), "pdf/%s", name);
    return sk_tz_data(rel, n);
}

static void t_crypt(void **s)
{
    static const char *const files[] = {"rc4-40.pdf", "rc4-128.pdf", "aes-128.pdf", "aes-256.pdf"};
    const char *text = "BT /F1 12 Tf 72 720 Td (SECRET-TEXT-42) Tj ET";
    size_t k, n, i;

    (void)s;
    for (k = 0; k < 5; k++) {
        unsigned char *b = slurp(k < 4 ? files[k] : "aes-256-user.pdf", &n), *out;
        struct sk_pdf *p = NULL;
        int found = 0;
        assert_int_equal(sk_pdf_open(b, n, NULL, &p), SK_PDF_OK);
        assert_int_equal(sk_pdf_encrypted(p), k < 4 ? 1 : -1);
        for (i = 0; i < sk_pdf_count(p); i++) {
            const struct sk_pdf_obj *o = sk_pdf_at(p, i);
            size_t on;
            enum sk_pdf_rc rc;
            if (!o->stream)
                continue;
            rc = sk_pdf_stream(p, o, &out, &on, NULL);
            if (k == 4) {
                assert_int_equal(rc, SK_PDF_ENCRYPTED);
                continue;
            }
            assert_int_equal(rc, SK_PDF_OK);
            if (on == strlen(text) && memcmp(out, text, on) == 0)
                found = 1;
            free(out);
        }
        assert_int_equal(found, k < 4);
        sk_pdf_free(p);
        free(b);
    }
}

/* Strings by /StrF, streams by /StmF (data/pdf/README.md): each file
 * has them apart, so one decrypted by the other's filter is noise. */
static void t_string_crypt(void **s)
{
    static const char *const files[] = {"v4-aes-strf-identity.pdf", "v4-rc4-stmf-identity.pdf",
                                        "v5-stmf-identity.pdf"};
    const char *text = "BT /F1 12 Tf 72 720 Td (SECRET-TEXT-42) Tj ET";
    size_t k, n, i, on;
    const unsigned char *v;
    size_t vn;
    unsigned char *out, raw[128];

    (void)s;
    for (k = 0; k < 3; k++) {
        unsigned char *b = slurp(files[k], &n);
        struct sk_pdf *p = NULL;
        const struct sk_pdf_obj *o;
        int enc = 0, xref = 0;
        assert_int_equal(sk_pdf_open(b, n, NULL, &p), SK_PDF_OK);
        assert_int_equal(sk_pdf_encrypted(p), 1);
        o = sk_pdf_find(p, 4);
        assert_int_equal(sk_pdf_stream(p, o, &out, &on, NULL), SK_PDF_OK);
        assert_int_equal(on, strlen(text));
        assert_memory_equal(out, text, on);
        free(out);
        o = sk_pdf_find(p, 5);
        assert_int_equal(sk_pdf_dict_get(o->dict, o->dict_len, "Title", &v, &vn), 0);
        assert_int_equal(sk_pdf_string(p, o, v, vn, &out, &on), SK_PDF_OK);
        assert_int_equal(on, 10);
        assert_memory_equal(out, "TITLE-(42)", 11);
        free(out);
        o = sk_pdf_find(p, 6); /* in an object stream (k > 0): not decrypted again */
        assert_int_equal(o->in_objstm, k > 0);
        assert_int_equal(sk_pdf_dict_get(o->dict, o->dict_len, "Contents", &v, &vn), 0);
        assert_int_equal(sk_pdf_string(p, o, v, vn, &out, &on), SK_PDF_OK);
        assert_int_equal(on, 7);
        assert_memory_equal(out, "NOTE-42", 8);
        free(out);
        for (i = 0; i < sk_pdf_count(p);
             i++) { /* /Encrypt's /U, an xref stream's /ID: as written */
            o = sk_pdf_at(p, i);
            if (sk_pdf_dict_get(o->dict, o->dict_len, "U", &v, &vn) == 0) {
                enc = 1;
            } else if (sk_pdf_dict_get(o->dict, o->dict_len, "ID", &v, &vn) == 0 && v[0] == '[') {
                v++, vn--;
                xref = 1;
            } else {
                continue;
            }
            assert_int_equal(sk_pdf_string(p, o, v, vn, &out, &on), SK_PDF_OK);
            assert_int_equal(sk_pdf_string_bytes(v, vn, raw, sizeof(raw)), (long)on);
            assert_memory_equal(out, raw, on);
            free(out);
        }
        assert_true(enc);
        assert_int_equal(xref, k > 0);
        sk_pdf_free(p);
        if (k == 1) { /* /StrF naming a crypt filter /CF does not have: cannot be read */
            unsigned char *f = memmem(b, n, "/StrF /StdV2", 12);
            assert_non_null(f);
            memcpy(f, "/StrF /StdXX", 12);
            assert_int_equal(sk_pdf_open(b, n, NULL, &p), SK_PDF_OK);
            o = sk_pdf_find(p, 5);
            assert_int_equal(sk_pdf_dict_get(o->dict, o->dict_len, "Title", &v, &vn), 0);
            assert_int_equal(sk_pdf_string(p, o, v, vn, &out, &on), SK_PDF_ENCRYPTED);
            assert_null(out);
            sk_pdf_free(p);
        }
        free(b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_not_pdf),      cmocka_unit_test(t_index),
        cmocka_unit_test(t_values),       cmocka_unit_test(t_resolve),
        cmocka_unit_test(t_length),       cmocka_unit_test(t_flate_png),
        cmocka_unit_test(t_tiff),         cmocka_unit_test(t_lzw),
        cmocka_unit_test(t_ascii_rl),     cmocka_unit_test(t_chain),
        cmocka_unit_test(t_objstm),       cmocka_unit_test(t_limits),
        cmocka_unit_test(t_crypt),        cmocka_unit_test(t_head),
        cmocka_unit_test(t_string_bytes), cmocka_unit_test(t_string_plain),
        cmocka_unit_test(t_string_crypt), cmocka_unit_test(t_each_string),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

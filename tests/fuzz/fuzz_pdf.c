/* fuzz_pdf.c - libFuzzer target for the core PDF reader (sekisho/pdf.h,
 * icap-server/core/sk_pdf*.c): what virus_scan and dlp do with every PDF
 * body. Input: the document.
 * Oracles: every object found by its number is that number's; a file's
 * own objects point into the input; every stream decodes within max_out
 * (NUL-terminated) and the document within max_total; a stream whose
 * decoding took what libclamav does not do (*PREDICTED) was announced by
 * sk_pdf_predicted (virus_scan decodes only those: a miss is a stream it
 * would leave unscanned); its first 64 bytes alone (sk_pdf_stream_head)
 * are its decoding's first 64; value accessors stay inside what they are
 * given; a string (sk_pdf_string) is NUL-terminated, never longer than
 * its token, and in a document without encryption its bytes
 * (sk_pdf_string_bytes); sk_pdf_each_string hands out string tokens
 * inside the value and stops when told. */
#include <stdlib.h>
#include <string.h>

#include <sekisho/pdf.h>
#include "sk_fuzz.h"

#define SK_FUZZ_OUT   (1u << 20)
#define SK_FUZZ_TOTAL (4u << 20)

static const char *const sk_fuzz_keys[] = {"Type",     "Filter", "DecodeParms", "Length", "Kids",
                                           "Contents", "N",      "First",       "Title",  "V"};

static void sk_fuzz_values(struct sk_pdf *d, const struct sk_pdf_obj *o, const unsigned char *v0,
                           size_t n0)
{
    for (size_t k = 0; k < sizeof(sk_fuzz_keys) / sizeof(sk_fuzz_keys[0]); k++) {
        const unsigned char *v, *r;
        size_t vn, rn;
        char name[32];
        long long i;
        unsigned num;

        if (sk_pdf_dict_get(v0, n0, sk_fuzz_keys[k], &v, &vn) != 0)
            continue;
        SK_FUZZ_CHECK(v >= v0 && v + vn <= v0 + n0, "value outside its dictionary");
        if (sk_pdf_name(v, vn, name, sizeof(name)) == 0)
            SK_FUZZ_CHECK(strlen(name) < sizeof(name), "name not cut");
        (void)sk_pdf_int(v, vn, &i);
        if (sk_pdf_ref(v, vn, &num) == 0 && sk_pdf_find(d, num))
            SK_FUZZ_CHECK(sk_pdf_find(d, num)->num == num, "find %u", num);
        if (sk_pdf_resolve(d, v, vn, &r, &rn) == 0)
            SK_FUZZ_CHECK(rn > 0, "an empty resolved value");
        unsigned char *s = NULL, b[64];
        size_t sn = 0;
        enum sk_pdf_rc rc = sk_pdf_string(d, o, v, vn, &s, &sn);
        long bn = sk_pdf_string_bytes(v, vn, b, sizeof(b));
        SK_FUZZ_CHECK(rc == SK_PDF_OK ? s && s[sn] == 0 && sn <= vn : !s, "string rc %d", (int)rc);
        SK_FUZZ_CHECK(bn <= (long)sizeof(b), "%ld string bytes", bn);
        if (sk_pdf_encrypted(d) == 0) { /* the string is its bytes */
            SK_FUZZ_CHECK((rc == SK_PDF_OK) == (bn >= 0), "string rc %d, bytes %ld", (int)rc, bn);
            SK_FUZZ_CHECK(rc != SK_PDF_OK || ((size_t)bn == (sn < sizeof(b) ? sn : sizeof(b)) &&
                                              memcmp(s, b, (size_t)bn) == 0),
                          "a string is not its bytes");
        }
        free(s);
    }
}

struct sk_fuzz_strs {
    struct sk_pdf *d;
    const struct sk_pdf_obj *o;
    const unsigned char *v;
    size_t n, count;
};

static int sk_fuzz_str(void *arg, const unsigned char *s, size_t sn)
{
    struct sk_fuzz_strs *x = arg;
    unsigned char *c = NULL;
    size_t cn = 0;

    SK_FUZZ_CHECK(sn > 0 && s >= x->v && s + sn <= x->v + x->n, "a string outside its value");
    SK_FUZZ_CHECK(s[0] == '(' || s[0] == '<', "a string token starting with %02x", s[0]);
    if (sk_pdf_string(x->d, x->o, s, sn, &c, &cn) == SK_PDF_OK)
        SK_FUZZ_CHECK(cn <= sn && c[cn] == 0, "string of %zu from %zu", cn, sn);
    free(c);
    return ++x->count >= 1000; /* a nonzero return stops the walk */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sk_pdf_limits lim = {20000, SK_FUZZ_OUT, SK_FUZZ_TOTAL};
    struct sk_pdf *d = NULL;
    enum sk_pdf_rc rc = sk_pdf_open(data, size, &lim, &d);
    uint64_t total = 0;

    if (rc != SK_PDF_OK && rc != SK_PDF_LIMIT) {
        SK_FUZZ_CHECK(d == NULL, "a document after rc %d", (int)rc);
        return 0;
    }
    SK_FUZZ_CHECK(d != NULL, "no document after rc %d", (int)rc);
    SK_FUZZ_CHECK(sk_pdf_count(d) <= lim.max_objects, "%zu objects", sk_pdf_count(d));
    int enc = sk_pdf_encrypted(d);
    SK_FUZZ_CHECK(enc >= -1 && enc <= 1, "encrypted %d", enc);
    for (size_t i = 0; i < sk_pdf_count(d); i++) {
        const struct sk_pdf_obj *o = sk_pdf_at(d, i), *f = sk_pdf_find(d, o->num);
        unsigned char *out = NULL;
        size_t on = 0;
        int pred = -1, may;

        SK_FUZZ_CHECK(f && f->num == o->num, "find %u", o->num);
        if (!o->in_objstm) {
            SK_FUZZ_CHECK(o->dict >= data && o->dict + o->dict_len <= data + size,
                          "object %u's value outside the input", o->num);
            if (o->stream)
                SK_FUZZ_CHECK(o->raw >= data && o->raw + o->raw_len <= data + size,
                              "object %u's stream outside the input", o->num);
        } else {
            SK_FUZZ_CHECK(!o->stream, "a stream in an object stream");
        }
        sk_fuzz_values(d, o, o->dict, o->dict_len);
        struct sk_fuzz_strs x = {d, o, o->dict, o->dict_len, 0};
        int sr = sk_pdf_each_string(o->dict, o->dict_len, sk_fuzz_str, &x);
        SK_FUZZ_CHECK(sr == (x.count >= 1000), "each_string %d after %zu", sr, x.count);
        if (!o->stream)
            continue;
        may = sk_pdf_predicted(d, o);
        rc = sk_pdf_stream(d, o, &out, &on, &pred);
        if (rc != SK_PDF_OK) {
            SK_FUZZ_CHECK(out == NULL, "output after rc %d", (int)rc);
            continue;
        }
        SK_FUZZ_CHECK(on <= SK_FUZZ_OUT && out[on] == 0, "stream %u: %zu bytes", o->num, on);
        SK_FUZZ_CHECK(!pred || may, "stream %u predicted, not announced", o->num);
        unsigned char *h = NULL;
        size_t hn = 0;
        if (sk_pdf_stream_head(d, o, &h, &hn, 64) == SK_PDF_OK)
            SK_FUZZ_CHECK(hn <= 64 && hn <= on && memcmp(h, out, hn) == 0 && (hn == 64 || hn == on),
                          "stream %u: its head is no prefix (%zu of %zu)", o->num, hn, on);
        free(h);
        total += on;
        SK_FUZZ_CHECK(total <= SK_FUZZ_TOTAL, "%llu bytes decoded", (unsigned long long)total);
        free(out);
    }
    sk_pdf_free(d);
    return 0;
}

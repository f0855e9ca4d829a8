/* test_decode_embedded.c - data embedded in text, as the decoding layer
 * (sekisho/decode.h) finds it: percent-encoded data: URLs
 * (sk_dataurl_*), uuencoded blocks (sk_uu_*), the base64 string literals
 * a script joins (sk_b64_join_literals) and arrays of byte values
 * (sk_numarray_*). Base64 runs themselves: test_decode_text.c. Shared
 * helpers: support/decode_fixture.c. */
#include "decode_fixture.h"

/* Percent-encoded data: URLs in text (sk_dataurl_find, sk_dataurl_decode) */
static void test_dataurl(void **s)
{
    static const char text[] =
        "a <a href=\"data:,plain text\">x</a> b64 data:text/plain;base64,SGVsbG8%3D "
        "fetch(\"DATA:application/octet-stream,X5O%21P%25%40AP\").then() "
        "url('data:image/svg+xml;charset=utf-8,%3Csvg%3E') data: no, "
        "data:text/x;q=\"1\",%41 end data:,%4";
    const unsigned char *p = (const unsigned char *)text;
    size_t n = strlen(text), pos = 0, a, b;
    unsigned char out[64];
    static const char *const want[] = {"X5O!P%@AP", "<svg>"};
    int found = 0;

    (void)s;
    /* no escapes (text as it is), base64 (sk_b64run's), a quoted parameter:
     * not taken; a '%' without two hex digits is kept */
    while (sk_dataurl_find(p, n, &pos, &a, &b)) {
        assert_true(found < 2);
        size_t m = sk_dataurl_decode(p + a, b - a, out);
        assert_int_equal(m, strlen(want[found]));
        assert_memory_equal(out, want[found], m);
        found++;
    }
    assert_int_equal(found, 2); /* "data:,%4" has no %XX */
    assert_int_equal(pos, n);
    assert_int_equal(sk_dataurl_decode((const unsigned char *)"%4", 2, out), 2);
    assert_memory_equal(out, "%4", 2);
    /* many "data:" that are no URL: passed over, none found */
    size_t big = 1u << 20;
    char *junk = malloc(big);
    for (size_t i = 0; i < big; i++)
        junk[i] = "data:"[i % 5];
    pos = 0;
    assert_int_equal(sk_dataurl_find((const unsigned char *)junk, big, &pos, &a, &b), 0);
    free(junk);
}

/* uuencoded blocks in text (sk_uu_find, sk_uu_decode): a shell archive's
 * "begin MODE NAME" at a line start (mode octal, as Python's email reads
 * it) to "end"; binascii.b2a_uu made the lines */
static void test_uu_find(void **s)
{
    static const char text[] = "#!/bin/sh\nsed 's/^X//' << 'SHAR_EOF' | uudecode &&\n"
                               "begin 600 a.txt\n"
                               ";:&5L;&\\@=V]R;&0@9G)O;2!U=65N8V]D92$*\r\n"
                               "`\n"
                               "  end  \n"
                               "SHAR_EOF\n"
                               "echo begin 644 b: not at a line start\n"
                               "begin 9x9 c: no octal mode\n"
                               "begin 644 d.bin\n"
                               "#86)C\n";
    const unsigned char *p = (const unsigned char *)text;
    size_t n = sizeof(text) - 1, pos = 0, a, b;
    unsigned char out[64];

    (void)s;
    assert_int_equal(sk_uu_find(p, n, &pos, &a, &b), 1);
    size_t m = sk_uu_decode(p + a, b - a, out);
    assert_int_equal(m, strlen("hello world from uuencode!\n"));
    assert_memory_equal(out, "hello world from uuencode!\n", m);
    /* the next one is the last: no "end", to the text's end */
    assert_int_equal(sk_uu_find(p, n, &pos, &a, &b), 1);
    assert_int_equal(b, n);
    m = sk_uu_decode(p + a, b - a, out);
    assert_int_equal(m, 3);
    assert_memory_equal(out, "abc", 3);
    assert_int_equal(sk_uu_find(p, n, &pos, &a, &b), 0);
    assert_int_equal(pos, n);
}

/* sk_uurun: the same blocks as sk_uu_find + sk_uu_decode, whatever the
 * split of the text's writes */
struct uu_seen {
    unsigned begins, ends;
    unsigned char out[64];
    size_t n;
};
static int uu_begin(void *arg)
{
    ((struct uu_seen *)arg)->begins++;
    return 0;
}
static int uu_data(void *arg, const void *buf, size_t len)
{
    struct uu_seen *u = arg;
    assert_true(u->n + len <= sizeof(u->out));
    memcpy(u->out + u->n, buf, len);
    u->n += len;
    return 0;
}
static int uu_end(void *arg)
{
    ((struct uu_seen *)arg)->ends++;
    return 0;
}

static void test_uurun(void **s)
{
    static const char text[] = "#!/bin/sh\nbegin 600 a.txt\n"
                               ";:&5L;&\\@=V]R;&0@9G)O;2!U=65N8V]D92$*\r\n"
                               "\"86\n`\n  end  \nx begin 644 b\nbegin 9x9 c\n"
                               "begin 644 d.bin\n#86)C";
    /* a 3-character data line ("a") does not end the block */
    static const char want[] = "hello world from uuencode!\naabc";

    (void)s;
    for (size_t step = 1; step <= sizeof(text); step++) {
        struct uu_seen u = {0};
        struct sk_b64run_handler h = {uu_begin, uu_data, uu_end, &u};
        struct sk_uurun *r = sk_uurun_new(&h);
        assert_non_null(r);
        for (size_t at = 0; at < sizeof(text) - 1; at += step) {
            size_t k = sizeof(text) - 1 - at < step ? sizeof(text) - 1 - at : step;
            assert_int_equal(sk_uurun_write(r, text + at, k), 0);
        }
        assert_int_equal(sk_uurun_end(r), 0);
        sk_uurun_free(r);
        assert_int_equal(u.begins, 2);
        assert_int_equal(u.ends, 2); /* the second by the text's end */
        assert_int_equal(u.n, strlen(want));
        assert_memory_equal(u.out, want, u.n);
    }
}

/* The base64 literals a script joins (sk_b64_join_literals): in order,
 * groups broken by a ':' or a long gap, keys left out, a group only with
 * two literals and MIN digits. */
static const char *join_of(const char *text, size_t min)
{
    static unsigned char out[8192];
    size_t n = strlen(text);
    assert_true(n < sizeof(out));
    size_t m = sk_b64_join_literals((const unsigned char *)text, n, min, out);
    assert_true(m <= n);
    out[m] = '\0';
    return (const char *)out;
}

static void test_b64_join(void **s)
{
    (void)s;
    /* an array, variables, .concat(), comments and parentheses */
    assert_string_equal(join_of("atob([\"QUJD\", 'REVG', `R0hJ`].join(''))", 8), "QUJDREVGR0hJ");
    assert_string_equal(join_of("var a = \"QUJD\";\nvar b = \"REVG\"; atob(a + b)", 8), "QUJDREVG");
    assert_string_equal(join_of("atob(\"QUJD\".concat(\"REVG\"))", 8), "QUJDREVG");
    assert_string_equal(join_of("atob('QUJD' /* x */ + ('REVG'))", 8), "QUJDREVG");
    /* JSON's \/ is '/'; '=' padding is kept for the run finder */
    assert_string_equal(join_of("[\"ab\\/c\", \"de==\"]", 8), "ab/cde==");
    /* one literal is no group; fewer than MIN digits neither */
    assert_string_equal(join_of("atob(\"QUJDREVGR0hJ\")", 8), "");
    assert_string_equal(join_of("['QUJD', 'REV']", 8), "");
    /* a ':' between two literals ends the group (an object, a ternary);
     * a key is no literal of it */
    assert_string_equal(join_of("{a: 'QUJD', b: 'REVG'}", 8), "");
    assert_string_equal(join_of("c ? 'QUJD' : 'REVG'", 8), "");
    assert_string_equal(join_of("{\"data\": \"QUJDREVG\", \"name\": \"R0hJ\"}", 8), "");
    assert_string_equal(join_of("{\"d\": [\"QUJD\", \"REVG\"], \"n\": \"x\"}", 8), "QUJDREVG");
    /* two groups, each ended by '#' but the last */
    assert_string_equal(join_of("x = ['QUJD', 'REVG']; y = {k: 1}; z = ['R0hJ', 'SktM']", 8),
                        "QUJDREVG#R0hJSktM");
    /* a quote that opens no literal of digits (an apostrophe, a string
     * with a space) is passed over */
    assert_string_equal(join_of("it's 'QUJD' + \"a b\" + 'REVG'", 8), "QUJDREVG");
    /* a gap longer than SK_B64JOIN_GAP ends the group */
    static char big[SK_B64JOIN_GAP + 64];
    for (int gap = SK_B64JOIN_GAP - 1; gap <= SK_B64JOIN_GAP + 1; gap++) {
        snprintf(big, sizeof(big), "'QUJD'%*s'REVG'", gap, "+ ");
        assert_int_equal(strlen(big), 6 + (size_t)gap + 6);
        assert_string_equal(join_of(big, 8), gap <= SK_B64JOIN_GAP ? "QUJDREVG" : "");
    }
}

/* Arrays of byte values (sk_numarray_find, sk_numarray_decode): 64
 * numbers 0-255 at least, decimal or 0x hex, ',' and white space between;
 * a number out of range, glued to a word or with a fraction ends a run. */
static size_t numarray_of(const char *text, unsigned char *out, size_t *at)
{
    size_t n = strlen(text), pos = 0, a, b;
    if (!sk_numarray_find((const unsigned char *)text, n, &pos, &a, &b))
        return 0;
    assert_true(a < b && b <= n && pos == b);
    *at = a;
    return sk_numarray_decode((const unsigned char *)text + a, b - a, out);
}

static void test_numarray(void **s)
{
    char text[4096];
    unsigned char out[1024];
    size_t at, o;
    (void)s;

    for (int form = 0; form < 3; form++) {
        o = (size_t)snprintf(text, sizeof(text), "var u = new Uint8Array([");
        for (int i = 0; i < 70; i++)
            o += (size_t)snprintf(text + o, sizeof(text) - o,
                                  form == 0   ? "%d, "
                                  : form == 1 ? "0x%02x,"
                                              : "%d,\n  ",
                                  (i * 37 + 5) % 256);
        o -= form == 0 ? 2 : form == 1 ? 1 : 4; /* the last separator */
        snprintf(text + o, sizeof(text) - o, "]);");
        assert_int_equal(numarray_of(text, out, &at), 70);
        assert_int_equal(at, 24);
        for (int i = 0; i < 70; i++)
            assert_int_equal(out[i], (i * 37 + 5) % 256);
    }
    /* 63 numbers are none; 64 are one */
    o = 0;
    for (int i = 0; i < 63; i++)
        o += (size_t)snprintf(text + o, sizeof(text) - o, "%d,", i);
    text[o - 1] = '\0';
    assert_int_equal(numarray_of(text, out, &at), 0);
    snprintf(text + o - 1, sizeof(text) - o + 1, ",63");
    assert_int_equal(numarray_of(text, out, &at), 64);
    /* 256 ends the run before it; so does 1.5 or a number glued to a word */
    static const char *const stops[] = {"256", "1.5", "7a", "x7"};
    for (size_t k = 0; k < sizeof(stops) / sizeof(stops[0]); k++) {
        o = 0;
        for (int i = 0; i < 40; i++)
            o += (size_t)snprintf(text + o, sizeof(text) - o, "%d,", i);
        o += (size_t)snprintf(text + o, sizeof(text) - o, "%s,", stops[k]);
        for (int i = 0; i < 40; i++)
            o += (size_t)snprintf(text + o, sizeof(text) - o, "%d,", i);
        if (numarray_of(text, out, &at) != 0)
            fail_msg("%s did not end the run", stops[k]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dataurl),  cmocka_unit_test(test_uu_find),
        cmocka_unit_test(test_uurun),    cmocka_unit_test(test_b64_join),
        cmocka_unit_test(test_numarray),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

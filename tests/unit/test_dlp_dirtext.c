/* test_dlp_dirtext.c - dlp's iCalendar and vCard reader (dlp_dirtext.c):
 * folded lines joined (space or tab), escapes undone, also across a fold,
 * vCard 2.1 quoted-printable values (=XX, soft line breaks whose next
 * line is the value's, a space in it too), parameters (quoted values,
 * either case) kept as written, one property a line; every
 * text written whole and a byte at a time. Then which objects are read
 * so (types, names, first bytes) and whole transactions. Shared fixture:
 * support/dlp_fixture.c. */
#include "dlp.h"
#include "dlp_fixture.h"

struct sink_text {
    struct sk_dlp_sink sink;
    char b[4096];
    size_t n;
};

static int st_write(struct sk_dlp_sink *s, const unsigned char *p, size_t n)
{
    struct sink_text *t = (struct sink_text *)s;
    assert_true(t->n + n < sizeof(t->b));
    memcpy(t->b + t->n, p, n);
    t->n += n;
    t->b[t->n] = '\0';
    return 0;
}

static int st_end(struct sk_dlp_sink *s)
{
    (void)s;
    return 0;
}

static void st_destroy(struct sk_dlp_sink *s)
{
    (void)s;
}

/* IN through the reader, written in pieces of STEP bytes (0: whole). */
static const char *read_dir(struct sink_text *t, const char *in, size_t step)
{
    memset(t, 0, sizeof(*t));
    t->sink = (struct sk_dlp_sink){.write = st_write, .end = st_end, .destroy = st_destroy};
    struct sk_dlp_sink *d = sk_dlp_dirtext_new(&t->sink);
    assert_non_null(d);
    size_t n = strlen(in);
    for (size_t i = 0; i < n; i += step ? step : n)
        assert_int_equal(
            d->write(d, (const unsigned char *)in + i, step && n - i > step ? step : n - i), 0);
    assert_int_equal(d->end(d), 0);
    d->destroy(d);
    return t->b;
}

static void test_text(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
    } cases[] = {
        /* a fold inside a number (space), another (tab) */
        {"BEGIN:VCALENDAR\r\nDESCRIPTION:card 4111 11\r\n 11 1111\r\n\t1111\r\nEND:VCALENDAR\r\n",
         "BEGIN: VCALENDAR\nDESCRIPTION: card 4111 1111 11111111\nEND: VCALENDAR"},
        /* escapes; one that is none stays as written */
        {"X:a\\nb\\Nc\\,d\\;e\\:f\\\\g\\qh", "X: a\nb\nc,d;e:f\\g\\qh"},
        /* an escape's two bytes split by a fold; a backslash at the end */
        {"D:a\\\r\n nb\nE:z\\", "D: a\nb\nE: z\\"},
        /* quoted-printable: =XX, a soft line break (the next line is the
         * value's, its space too), "=" not followed by hex, "=4" at a line
         * end and at the end */
        {"N;ENCODING=QUOTED-PRINTABLE:a=3Db=\r\nc=\r\n d=ZZ=4\r\nY;quoted-printable:=4",
         "N;ENCODING=QUOTED-PRINTABLE: a=bc d=ZZ=4\nY;quoted-printable: =4"},
        /* only the property that says so is quoted-printable; a parameter
         * with a quoted ':' and ';' does not end the name */
        {"A;X=\"p:q;r\";QUOTED-PRINTABLE:=41\nB:=41\nC;ENCODING=8BIT:=41",
         "A;X=\"p:q;r\";QUOTED-PRINTABLE: A\nB: =41\nC;ENCODING=8BIT: =41"},
        /* empty lines stay; LF-only line ends */
        {"A:x\n\nB:y\n", "A: x\n\nB: y"},
    };
    struct sink_text t;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        for (size_t step = 0; step <= 3; step++)
            if (strcmp(read_dir(&t, cases[i].in, step), cases[i].want) != 0)
                fail_msg("case %zu, step %zu: got \"%s\"", i, step, t.b);
}

static void test_like(void **state)
{
    (void)state;
    const unsigned char *no = (const unsigned char *)"hello";
    assert_true(sk_dlp_dirtext_like("text/calendar", NULL, no, 5));
    assert_true(sk_dlp_dirtext_like("text/x-vcard", NULL, no, 5));
    assert_true(sk_dlp_dirtext_like("text/vcard", NULL, no, 5));
    assert_true(sk_dlp_dirtext_like("application/octet-stream", "Invite.ICS", no, 5));
    assert_true(sk_dlp_dirtext_like("application/octet-stream", "all.vcf", no, 5));
    assert_false(sk_dlp_dirtext_like("text/plain", "vcf", no, 5));
    assert_false(sk_dlp_dirtext_like("text/plain", "notes.txt", no, 5));
    const char *heads[] = {"BEGIN:VCALENDAR\r\n", "\xef\xbb\xbf begin:vcard\n", "\r\nBEGIN:VCard"};
    for (size_t i = 0; i < 3; i++)
        assert_true(sk_dlp_dirtext_like("application/octet-stream", NULL,
                                        (const unsigned char *)heads[i], strlen(heads[i])));
    const char * not [] = {"BEGIN:VCALENDA", "xBEGIN:VCARD", "BEGIN: VCARD"};
    for (size_t i = 0; i < 3; i++)
        assert_false(sk_dlp_dirtext_like("text/plain", NULL, (const unsigned char *)not [i],
                                         strlen(not [i])));
}

static void test_transactions(void **state)
{
    (void)state;
    const char *ics = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDESCRIPTION:card 4111 1111 11\r\n 11 "
                      "1111\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    struct req r = {.ip = "10.0.0.2",
                    .ctype = "application/octet-stream",
                    .body = ics,
                    .len = strlen(ics),
                    .chunk = 7};
    expect(&r, SK_BLOCK, "cards", "an undeclared calendar, a card split by a fold");
    r.ctype = "text/plain";
    expect(&r, SK_BLOCK, "cards", "the same as text/plain");
    const char *vcf =
        "BEGIN:VCARD\r\nVERSION:2.1\r\nNOTE;ENCODING=QUOTED-PRINTABLE:4111=201111=2011"
        "=\r\n11=201111\r\nEND:VCARD\r\n";
    r = (struct req){.ip = "10.0.0.2", .ctype = "text/x-vcard", .body = vcf, .len = strlen(vcf)};
    expect(&r, SK_BLOCK, "cards", "vCard 2.1 quoted-printable with a soft line break");
    const char *clean = "BEGIN:VCARD\r\nVERSION:3.0\r\nNOTE:order 4111 1111 11\r\n 11 1112\r\n"
                        "END:VCARD\r\n";
    r = (struct req){.ip = "10.0.0.2", .ctype = "text/vcard", .body = clean, .len = strlen(clean)};
    expect(&r, SK_ALLOW, NULL, "a number that is no card");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_like),
        cmocka_unit_test(test_transactions),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

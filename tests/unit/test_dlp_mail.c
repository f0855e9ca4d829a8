/* test_dlp_mail.c - mail messages (an .eml, message/rfc822, MHTML): the
 * toolkit's message reader (sk_mp_new_message, sk_mp_message_like) against
 * what Python's email package gives, and dlp over uploaded messages whose
 * text is quoted-printable, base64 or in parts. Shared fixture:
 * support/dlp_fixture.c. */
#include <sekisho/decode.h>

#include "dlp_fixture.h"

/* What a message reader delivered: its parts' types and bytes. */
struct got {
    char data[65536];
    size_t n;
    char hdr[4096]; /* the header section's text (the first object) */
    size_t nhdr;
    int in_hdr;
    char types[512];
    int begins, ends;
};

static int got_begin(void *arg, const struct sk_mp_part *p)
{
    struct got *g = arg;

    g->in_hdr = g->begins == 0 && p->kind == SK_MP_PREAMBLE && p->depth == 0;
    if (g->in_hdr)
        return 0;
    g->begins++;
    strncat(g->types, p->content_type, sizeof(g->types) - strlen(g->types) - 2);
    strcat(g->types, "|");
    return 0;
}

static int got_data(void *arg, const void *buf, size_t len)
{
    struct got *g = arg;

    if (g->in_hdr) {
        size_t k = len < sizeof(g->hdr) - 1 - g->nhdr ? len : sizeof(g->hdr) - 1 - g->nhdr;
        memcpy(g->hdr + g->nhdr, buf, k);
        g->nhdr += k;
        return 0;
    }
    assert_true(g->n + len <= sizeof(g->data));
    memcpy(g->data + g->n, buf, len);
    g->n += len;
    return 0;
}

static int got_end(void *arg)
{
    struct got *g = arg;

    if (g->in_hdr)
        g->in_hdr = 0;
    else
        g->ends++;
    return 0;
}

/* MSG through a message reader in writes of CHUNK bytes (0: one write). */
static void read_message(const char *msg, size_t len, size_t chunk, struct got *g)
{
    struct sk_mp_handler h = {got_begin, got_data, got_end, g, NULL};
    struct sk_mp *m = sk_mp_new_message(&h);

    memset(g, 0, sizeof(*g));
    assert_non_null(m);
    for (size_t at = 0; at < len;) {
        size_t take = chunk && len - at > chunk ? chunk : len - at;
        assert_int_equal(sk_mp_write(m, msg + at, take), 0);
        at += take;
    }
    assert_int_equal(sk_mp_end(m), 0);
    sk_mp_free(m);
    g->data[g->n < sizeof(g->data) ? g->n : sizeof(g->data) - 1] = '\0';
    g->hdr[g->nhdr] = '\0';
}

/* The QP text quopri.encodestring gives for 60 x and a card: the soft line
 * break (=CRLF at column 76) lands inside the card. */
#define QP_BODY                                                                                    \
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx 4111 1111 1111=\r\n"             \
    " 1111 and more text here.\r\n"
#define QP_TEXT "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx 4111 1111 1111 1111"

static void test_message_reader(void **state)
{
    (void)state;
    static const struct {
        const char *what, *msg, *types, *has, *hasnt;
        int parts;
    } cases[] = {
        {"quoted-printable, the soft break inside the card",
         "From: a@example.com\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
         "Content-Transfer-Encoding: quoted-printable\r\n\r\n" QP_BODY,
         "text/plain; charset=utf-8|", QP_TEXT, "From:", 1},
        {"LF-only line ends, mbox From line, folded field",
         "From a@example.com Mon Jan  1 00:00:00 2024\nSubject: x\nContent-Transfer-Encoding:\n"
         " quoted-printable\n\n4111=20=\n1111",
         "|", "4111 1111", "Subject", 1},
        {"base64",
         "Subject: x\r\nContent-Transfer-Encoding: BASE64\r\n\r\nNDExMSAxMTEx\r\nIDExMTE=\r\n", "|",
         "4111 1111 1111", NULL, 1},
        {"the first Content-Transfer-Encoding counts (email.message.get)",
         "Content-Transfer-Encoding: quoted-printable\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
         "41=\r\n11",
         "|", "4111", NULL, 1},
        {"a multipart body: its parts, decoded",
         "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=Z\r\n\r\npre\r\n--Z\r\n"
         "Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" QP_BODY
         "\r\n--Z--\r\n",
         "|text/plain|", QP_TEXT, "--Z", 4}, /* preamble, the part's header text, part, epilogue */
        {"x-uuencode (email.message's _decode_uu): lines before begin pass, after it decoded",
         "Subject: x\nContent-Transfer-Encoding: X-UUencode\n\nhello\nbegin 644 c.txt\r\n"
         "98V%R9\" T,3$Q(#$Q,3$@,3$Q,2 Q,3$Q\"@  \r\n`\r\nend\r\nbye",
         "|", "card 4111 1111 1111 1111\n", "T,3$Q", 1},
        {"uuencode without a begin line: as it is",
         "Content-Transfer-Encoding: uuencode\n\n98V%R9\" T,3$Q(#$Q,3$@,3$Q,2 Q,3$Q\"@  \n", "|",
         "98V%R9", "card", 1},
        /* as binascii.a2b_base64 / a2b_qp and email.message read them */
        {"base64 with a stray '=' after one character",
         "Content-Transfer-Encoding: base64\n\nA=AAANDExMSAxMTExIDExMTEgMTExMQ==\n", "|",
         "4111 1111 1111 1111", NULL, 1},
        {"base64 with a stray '=' after two characters",
         "Content-Transfer-Encoding: base64\n\nAA=AANDExMSAxMTExIDExMTEgMTExMQ==\n", "|",
         "4111 1111 1111 1111", NULL, 1},
        {"base64 with one '=' after two of a group",
         "Content-Transfer-Encoding: base64\n\nAAAAND=ExMSAxMTExIDExMTEgMTExMQ==\n", "|",
         "4111 1111 1111 1111", NULL, 1},
        {"quoted-printable: a soft break from '=\\r' to the next LF",
         "Content-Transfer-Encoding: quoted-printable\n\n4111 11=\rxx\n11 1111 1111", "|",
         "4111 1111 1111 1111", "xx", 1},
        {"x-uuencode: a mode int(mode, 8) takes, CR line ends",
         "Content-Transfer-Encoding: x-uuencode\n\nbegin 0o_644 c\r"
         "88V%R9\" T,3$Q(#$Q,3$@,3$Q,2 Q,3$Q\r`\r end \rafter",
         "|", "card 4111 1111 1111 1111", NULL, 1},
        {"x-uuencode: a signed mode",
         "Content-Transfer-Encoding: x-uuencode\n\nbegin -644 c\n"
         "88V%R9\" T,3$Q(#$Q,3$@,3$Q,2 Q,3$Q\n`\nend\n",
         "|", "card 4111 1111 1111 1111", NULL, 1},
        {"x-uuencode: no mode int() takes ('6__44')",
         "Content-Transfer-Encoding: x-uuencode\n\nbegin 6__44 c\n88V%R9\" T,3$Q\n", "|", "88V%R9",
         "card", 1},
        {"a line that is no field ends the header section (email.feedparser)",
         "From: a\r\nContent-Transfer-Encoding: quoted-printable\r\n4111=20=\r\n1111 1111 1111\r\n",
         "|", "4111 1111 1111 1111", NULL, 1},
        {"... a field name with a space is no field",
         "Content-Transfer-Encoding: base64\nX Y: NDEx\n", "|", NULL, "NDEx", 1},
        {"bare CR line ends in the header section (email.feedparser splits at CR too)",
         "From: a\rContent-Transfer-Encoding: quoted-printable\r\r4111=201111\r1111 1111", "|",
         "4111 1111\r1111 1111", NULL, 1},
        {"a multipart with bare CR line ends: its delimiters are lines too",
         "From: a\rContent-Type: multipart/mixed; boundary=Z\r\rpre\r--Z\r"
         "Content-Transfer-Encoding: quoted-printable\r\r4111=201111=201111=201111\r--Z--\repi",
         "|", "4111 1111 1111 1111", "--Z", 4},
        {"... \"\\r--Z\" then other text is data",
         "Content-Type: multipart/mixed; boundary=Z\r\r--Z\r"
         "Content-Transfer-Encoding: quoted-printable\r\r41=\r--Zx\n11\r--Z--",
         "|", "4111", "--Zx", 4},
        {"no MIME fields: the body as it is", "Subject: hello\r\n\r\n41=31 1111", "|", "41=31 1111",
         "hello", 1},
        {"a header section that never ends: no part", "Subject: x\r\nContent-Type: text/plain\r\n",
         "", NULL, "Subject", 0},
    };
    struct got g;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (size_t chunk = 0; chunk <= 7; chunk += chunk < 3 ? 1 : 4) {
            read_message(cases[i].msg, strlen(cases[i].msg), chunk, &g);
            if (!strstr(g.types, cases[i].types) ||
                (cases[i].has && !memmem(g.data, g.n, cases[i].has, strlen(cases[i].has))) ||
                (cases[i].hasnt && memmem(g.data, g.n, cases[i].hasnt, strlen(cases[i].hasnt))) ||
                g.begins != cases[i].parts || g.ends != g.begins)
                fail_msg("%s (writes of %zu): types '%s', %d parts, data '%s'", cases[i].what,
                         chunk, g.types, g.begins, g.data);
        }
    }
}

/* The header section is an object of its own, as Python's email (policy
 * default) shows its fields: unfolded, RFC 2047 encoded words decoded, the
 * white space between two words dropped. */
static void test_message_header_text(void **state)
{
    (void)state;
    static const struct {
        const char *msg, *want;
    } cases[] = {
        {"Subject: =?UTF-8?B?NDExMSAxMTEx?=\r\n =?utf-8?b?IDExMTEgMTExMQ==?=\r\n\r\nbody",
         "Subject: 4111 1111 1111 1111\n"},
        {"Subject: =?utf-8?q?41?= =?utf-8?q?11?= x =?utf-8?Q?_1111_1111=201111?=\n\n",
         "Subject: 4111 x  1111 1111 1111\n"},
        {"Subject: =?utf-16le?B?NAAxADEAMQAgADEAMQAxADEAIAAxADEAMQAxACAAMQAxADEAMQA=?=\r\n\r\n",
         "Subject: 4111 1111 1111 1111\n"},
        /* charsets whose digits are not ASCII's bytes, converted as
         * email.header converts them (red team s20): Big5's full-width,
         * TIS-620's Thai digits, UTF-7 */
        {"Subject: =?big5?B?orOisKKworAgorOisA==?=\r\n\r\n",
         "Subject: \xef\xbc\x94\xef\xbc\x91\xef\xbc\x91\xef\xbc\x91 \xef\xbc\x94\xef\xbc\x91\n"},
        {"Subject: =?tis-620?B?9PHx8Q==?=\r\n\r\n",
         "Subject: \xe0\xb9\x94\xe0\xb9\x91\xe0\xb9\x91\xe0\xb9\x91\n"},
        {"Subject: =?utf-7?Q?+/xQ-?=\r\n\r\n", "Subject: \xef\xbc\x94\n"},
        {"From: a\r\nSubject: not =?a word ?= and =?utf-8?x?y?= =?\r\n\tfolded\r\n\r\n",
         "From: a\nSubject: not =?a word ?= and =?utf-8?x?y?= =?\tfolded\n"},
        {"Subject: =?utf-8?q?a?=\r\nX: =?utf-8?q?b?=\r\n", "Subject: a\nX: b\n"}, /* never ends */
        /* a file name in RFC 2231 sections: as get_filename() joins them */
        {"Content-Disposition: attachment; filename*0=\"4111 1111\";\r\n filename*1=\" 1111 "
         "1111\"\r\n\r\nx",
         "Content-Disposition: attachment; filename*0=\"4111 1111\"; filename*1=\" 1111 1111\"\n"
         "\nfilename: 4111 1111 1111 1111\n"},
    };
    struct got g;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        for (size_t chunk = 0; chunk <= 3; chunk++) {
            read_message(cases[i].msg, strlen(cases[i].msg), chunk, &g);
            if (strcmp(g.hdr, cases[i].want) != 0)
                fail_msg("case %zu (writes of %zu): '%s', want '%s'", i, chunk, g.hdr,
                         cases[i].want);
        }
}

/* A header section of any length is read: padding fields before the ones
 * that matter (past the 8 KiB a form part's headers may take), a field value
 * longer than the 1 KiB kept of it, thousands of continuation lines. */
static void test_message_long_headers(void **state)
{
    (void)state;
    static char msg[200000];
    struct got g;
    size_t n = 0;

    for (int i = 0; i < 2000; i++)
        n += (size_t)snprintf(msg + n, sizeof(msg) - n, "X-Pad-%d: %060d\r\n", i, i);
    n += (size_t)snprintf(msg + n, sizeof(msg) - n, "Content-Type: text/plain; x=\"");
    memset(msg + n, 'a', 3000), n += 3000;
    n += (size_t)snprintf(msg + n, sizeof(msg) - n,
                          "\"\r\nContent-Transfer-Encoding: quoted-printable");
    memset(msg + n, ' ', 2000), n += 2000;
    n += (size_t)snprintf(msg + n, sizeof(msg) - n, "\r\nX-Fold: a\r\n");
    for (int i = 0; i < 3000; i++)
        n += (size_t)snprintf(msg + n, sizeof(msg) - n, " continued\r\n");
    n += (size_t)snprintf(msg + n, sizeof(msg) - n, "\r\n4111=201111=\r\n=201111 1111");
    for (size_t chunk = 0; chunk <= 1000; chunk += chunk ? 999 : 1) {
        read_message(msg, n, chunk, &g);
        assert_int_equal(g.begins, 1);
        assert_string_equal(g.data, "4111 1111 1111 1111");
        assert_non_null(strstr(g.types, "text/plain; x=\"aaaa"));
    }
}

static void test_message_like(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int want;
    } cases[] = {
        {"From: a@example.com\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nbody", 1},
        {"Content-Type: multipart/mixed; boundary=Z\n\n--Z", 1},
        {"From a@b Mon Jan 1\nMIME-Version: 1.0\n\n", 1},
        {"Received: from x\r\n\tby y\r\nX-Pad: 1\r\nX-Pad: 2", 1}, /* cut before the end */
        {"Subject: hello\r\nTo: b@example.com\r\n\r\nno MIME fields: nothing to decode", 0},
        {"Subject: =?utf-8?q?hello?=\r\n\r\nan encoded word to decode", 1},
        {"Dear Sir: hello\r\n", 0},                     /* a name with a space */
        {"name,card\r\nx,4111 1111 1111 1111\r\n", 0},  /* CSV */
        {"{\"a\": 1}", 0},                              /* JSON: a name starts with a letter */
        {"Error: no newline in the first bytes", 0},    /* short, no line end: no body */
        {"jwV:\x89\xe7z\x89\xfev\xe9\xddz\x89\xfe", 0}, /* noise from a base64 run */
        {"Subject: =?utf-8?q?4111?=", 1},               /* an encoded word: a reader decodes it */
        {"Content-Type: text/plain", 1},                /* a MIME field */
        {"Error: a line end\n", 1},                     /* cut: might be a message */
        {" Content-Type: text/plain\r\n\r\n", 0},       /* a continuation of nothing */
        {"Content-Type: text/plain\r\nnot a field: the body's first line\r\n", 1},
        {"Subject: x\r\nnot a field, no MIME field\r\n", 0},
        {"", 0},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (sk_mp_message_like((const unsigned char *)cases[i].text, strlen(cases[i].text)) !=
            cases[i].want)
            fail_msg("'%s': want %d", cases[i].text, cases[i].want);
    /* a field longer than the 512 bytes read, no line end in them: cut */
    char lng[600];
    memcpy(lng, "X-Long: ", 8);
    memset(lng + 8, 'a', sizeof(lng) - 8);
    assert_int_equal(sk_mp_message_like((const unsigned char *)lng, 512), 1);
    assert_int_equal(sk_mp_message_like((const unsigned char *)lng, 511), 0);
}

/* A message of LEVELS multipart levels, a QP card in the innermost
 * (caller frees). */
static char *nested(int levels)
{
    size_t cap = 100 * (size_t)levels + 512, d;
    char *m = malloc(cap);

    assert_non_null(m);
    d = (size_t)snprintf(m, cap, "Content-Type: multipart/mixed; boundary=L0\r\n\r\n");
    for (int l = 1; l < levels; l++)
        d += (size_t)snprintf(m + d, cap - d,
                              "--L%d\r\nContent-Type: multipart/mixed; boundary=L%d\r\n\r\n", l - 1,
                              l);
    d += (size_t)snprintf(m + d, cap - d,
                          "--L%d\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" QP_BODY,
                          levels - 1);
    for (int l = levels - 1; l >= 0; l--)
        d += (size_t)snprintf(m + d, cap - d, "\r\n--L%d--\r\n", l);
    return m;
}

/* Messages within messages past the reader's depth: declared ones
 * (message/rfc822) are dlp.on-error; text whose paragraphs only look like
 * header sections (a Debian control file: each paragraph a "message" in
 * the one before) is no message to any mail reader - read as text */
static void test_message_depth(void **state)
{
    static char deep[4096], control[16384];
    size_t d = 0, c = 0;

    (void)state;
    for (int l = 0; l < 8; l++)
        d += (size_t)snprintf(deep + d, sizeof(deep) - d,
                              "Subject: level %d\r\nContent-Type: message/rfc822\r\n\r\n", l);
    d += (size_t)snprintf(deep + d, sizeof(deep) - d,
                          "Content-Transfer-Encoding: quoted-printable\r\n\r\n" QP_BODY);
    struct req r = {.ip = "10.0.0.2", .ctype = "message/rfc822", .body = deep, .len = d};
    expect(&r, SK_BLOCK, NULL, "messages declared 8 deep");
    for (int p = 0; p < 10; p++)
        c += (size_t)snprintf(control + c, sizeof(control) - c,
                              "Template: pkg/question%d\nType: string\nDefault: %d\n"
                              "Description: a question of a package's configuration\n%s\n",
                              p, p,
                              /* a long description: the section runs past 512 bytes */
                              " The question is asked when the package is configured, and\n"
                              " .\n"
                              " its answer is kept in the debconf database until the package\n"
                              " is purged; a reconfiguration asks it again with the answer\n"
                              " given before as its default. The text wraps at 72 columns,\n"
                              " each continuation line starting with one space as Debian's\n"
                              " control files write them; a paragraph ends at a blank line\n"
                              " and the next paragraph starts a new template of the file.\n");
    r.ctype = "text/plain", r.body = control, r.len = c;
    expect(&r, SK_ALLOW, NULL, "a Debian templates file of ten paragraphs");
}

/* Uploaded messages: blocked for the card their decoded text holds, however
 * the message is declared and the client cuts its writes; clean ones pass. */
static void test_dlp_messages(void **state)
{
    (void)state;
    static char padded[8192];
    size_t n = 0;
    for (int i = 0; i < 40; i++) /* Received lines past the 512 bytes sniffed */
        n += (size_t)snprintf(padded + n, sizeof(padded) - n,
                              "Received: from relay%d.example.com by mx.example.com\r\n", i);
    snprintf(padded + n, sizeof(padded) - n,
             "Content-Transfer-Encoding: quoted-printable\r\n\r\n" QP_BODY);
    static const char eml[] =
        "From: a@example.com\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n" QP_BODY;
    static const char fwd[] = /* a forwarded message inside a message */
        "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=Z\r\n\r\n--Z\r\n"
        "Content-Type: message/rfc822\r\n\r\nSubject: inner\r\nContent-Type: "
        "multipart/alternative; "
        "boundary=Y\r\n\r\n--Y\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" QP_BODY
        "\r\n--Y--\r\n\r\n--Z--\r\n";
    static const char form[] =
        "--B\r\nContent-Disposition: form-data; name=f; filename=m.eml\r\nContent-Type: "
        "message/rfc822\r\n\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" QP_BODY
        "\r\n--B--\r\n";
    static const char clean[] =
        "From: Alice\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: "
        "quoted-printable\r\n\r\nOrder 4111=201111 (not a card: 8 digits).\r\n";
    static const char uu[] = /* a uuencoded card in a form part */
        "--B\r\nContent-Disposition: form-data; name=f; filename=c.txt\r\n"
        "Content-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 c.txt\r\n"
        "98V%R9\" T,3$Q(#$Q,3$@,3$Q,2 Q,3$Q\"@  \r\n`\r\nend\r\n--B--\r\n";
    static const char asis[] = /* a type naming no message: the bytes decide */
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n" QP_BODY;
    /* multipart in multipart: 20 levels are read, 40 are past every
     * nesting limit (dlp.on-error, not the parts read as raw text) */
    char *deep20 = nested(20), *deep40 = nested(40);
    const struct {
        const char *what, *ctype, *body;
        enum sk_verdict want;
    } cases[] = {
        {"multipart 20 levels deep", "message/rfc822", deep20, SK_BLOCK},
        {"multipart 40 levels deep: nested too deeply", "message/rfc822", deep40, SK_BLOCK},
        {"message/rfc822", "message/rfc822", eml, SK_BLOCK},
        {"application/octet-stream", "application/octet-stream", eml, SK_BLOCK},
        {"no type", NULL, eml, SK_BLOCK},
        {"text/plain with one MIME field", "text/plain", asis, SK_BLOCK},
        {"Received lines past the sniffed head", "application/octet-stream", padded, SK_BLOCK},
        {"a forwarded message in a multipart", "message/rfc822", fwd, SK_BLOCK},
        {"a form file part of type message/rfc822", "multipart/form-data; boundary=B", form,
         SK_BLOCK},
        {"a uuencoded form part", "multipart/form-data; boundary=B", uu, SK_BLOCK},
        {"message/news (email parses every message/ type)", "message/news", asis, SK_BLOCK},
        {"a multipart/digest part without a type is message/rfc822", "multipart/digest; boundary=D",
         "--D\r\n\r\n-X: a field the sniffer does not take (email does)\r\n"
         "Content-Transfer-Encoding: quoted-printable\r\n\r\n" QP_BODY "\r\n--D--\r\n",
         SK_BLOCK},
        {"a Q-encoded Subject", "message/rfc822",
         "From: x\r\nSubject: =?utf-8?Q?4111_1111?=\r\n =?utf-8?Q?_1111_1111?=\r\n\r\nhello",
         SK_BLOCK},
        {"an mbox's second message (mailbox.mbox)", "application/mbox",
         "From a@x Mon Jan  1 00:00:00 2024\nSubject: one\n\nhi\nFrom b@x Mon Jan  1 00:00:00 "
         "2024\nContent-Transfer-Encoding: quoted-printable\n\n4111=201111=201111=201111\n",
         SK_BLOCK},
        {"... sniffed by its From line", NULL,
         "From a@x Mon Jan  1 00:00:00 2024\nSubject: one\nX: y\nFrom b@x\n"
         "Content-Transfer-Encoding: quoted-printable\n\n4111=201111=201111=201111\n",
         SK_BLOCK},
        {"... a From line ends the first message's header section (after its own CTE field)",
         "application/mbox",
         "From a@x Mon Jan  1 00:00:00 2024\nSubject: one\nContent-Transfer-Encoding: 7bit\n"
         "From b@x Mon Jan  1 00:00:00 2024\nContent-Transfer-Encoding: quoted-printable\n\n"
         "4111=201111=201111=201111\n",
         SK_BLOCK},
        {"... after a BOM and a junk line (mailbox.mbox skips them)", "text/plain",
         "\xef\xbb\xbfjunk\nFrom a@x Mon Jan  1 00:00:00 2024\nSubject: one\n\nhi\n"
         "From b@x Mon Jan  1 00:00:00 2024\nContent-Transfer-Encoding: quoted-printable\n\n"
         "4111=201111=201111=201111\n",
         SK_BLOCK},
        {"... and a From line in one message's body: read as one message too",
         "application/octet-stream",
         "From a@x\nContent-Transfer-Encoding: quoted-printable\n\nhi\nFrom b\n"
         "4111=201111=201111=201111\n",
         SK_BLOCK},
        {"a CR-only multipart message", "message/rfc822",
         "From: a\rContent-Type: multipart/mixed; boundary=Z\r\r--Z\r"
         "Content-Transfer-Encoding: quoted-printable\r\r4111=201111=201111=201111\r--Z--\r",
         SK_BLOCK},
        {"a file name in RFC 2231 sections", "message/rfc822",
         "From: a\r\nContent-Disposition: attachment; filename*0=\"4111 1111\";\r\n"
         " filename*1=\" 1111 1111.txt\"\r\n\r\nhi\r\n",
         SK_BLOCK},
        {"clean", "message/rfc822", clean, SK_ALLOW},
    };
    char why[128];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        /* the default policy (log templates only) shows the error verdict */
        struct req r = {.ip = cases[i].body == deep40 ? "10.0.0.9" : "10.0.0.2",
                        .ctype = cases[i].ctype,
                        .body = cases[i].body,
                        .len = strlen(cases[i].body)};
        for (r.chunk = 0; r.chunk <= 3; r.chunk++) {
            snprintf(why, sizeof(why), "%s, writes of %zu", cases[i].what, r.chunk);
            expect(&r, cases[i].want,
                   cases[i].body == deep40     ? "dlp-undecodable"
                   : cases[i].want == SK_BLOCK ? "cards"
                                               : NULL,
                   why);
        }
    }
    free(deep20), free(deep40);
}

/* Red team 5: structures a real reader decodes that were read one way or
 * not at all. "undecodable" cases run under the default policy (cards
 * log only), so the verdict is dlp.on-error's; "cards" ones under blk. */
#define X10  "xxxxxxxxxx"
#define X100 X10 X10 X10 X10 X10 X10 X10 X10 X10 X10
static void test_dlp_readings(void **state)
{
    (void)state;
#define QP_CARD "4111=201111=201111=201111"
    static const char nul[] = /* email reads boundary "aa\0", a C string "aa" */
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=aa\0\r\n\r\n--aa\0\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n" QP_CARD "\r\n--aa\0--\r\n";
    static const struct {
        const char *what, *ctype, *body;
        size_t len;       /* 0: strlen */
        const char *rule; /* "dlp-undecodable", "cards", or NULL: allowed */
    } cases[] = {
        {"a NUL after a mail boundary", "message/rfc822", nul, sizeof(nul) - 1, "dlp-undecodable"},
        {"a backslash in a mail boundary", "message/rfc822",
         "Content-Type: multipart/mixed; boundary=\"a\\a\"\r\n\r\n--a\\a\r\n"
         "Content-Transfer-Encoding: quoted-printable\r\n\r\n" QP_CARD "\r\n--a\\a--\r\n",
         0, "dlp-undecodable"},
        {"an RFC 2047 word as a mail boundary", "message/rfc822",
         "Content-Type: multipart/mixed; boundary=\"=?utf-8?q?aa?=\"\r\n\r\n--aa\r\n"
         "Content-Transfer-Encoding: quoted-printable\r\n\r\n" QP_CARD "\r\n--aa--\r\n",
         0, "dlp-undecodable"},
        {"a quote after a form boundary", "multipart/form-data; boundary=aa\"",
         "--aa\r\nContent-Disposition: form-data; name=a\r\nContent-Transfer-Encoding: "
         "quoted-printable\r\n\r\n" QP_CARD "\r\n--aa--\r\n",
         0, "dlp-undecodable"},
        {"an HTTP multipart/mixed with CR-only lines", "multipart/mixed; boundary=zz",
         "--zz\rContent-Type: text/plain\rContent-Transfer-Encoding: quoted-printable\r\r" QP_CARD
         "\r--zz--\r",
         0, "cards"},
        {"an HTTP multipart/related with CR-only lines", "multipart/related; boundary=zz",
         "--zz\rContent-Transfer-Encoding: quoted-printable\r\r" QP_CARD "\r--zz--\r", 0, "cards"},
        {"RFC 2231 sections across a gap (compat32)", "message/rfc822",
         "Content-Disposition: attachment; filename*0=\"4111 1111\"; filename*2=\" 1111 "
         "1111\"\r\n\r\nhi\r\n",
         0, "cards"},
        {"two sections of one number (policy.default: the first)", "message/rfc822",
         "Content-Disposition: attachment; filename*0=\"4111 1111 \"; filename*1=\"1111 1111\"; "
         "filename*1=\" 0\"\r\n\r\nhi\r\n",
         0, "cards"},
        {"RFC 2047 words in sections (policy.default)", "message/rfc822",
         "Content-Disposition: attachment; filename*0=\"=?utf-8?q?4111_1111?=\"; "
         "filename*1=\"=?utf-8?q?_1111_1111?=\"\r\n\r\nhi\r\n",
         0, "cards"},
        {"filename*=cp037''", "message/rfc822",
         "Content-Disposition: attachment; filename*=cp037''%F4%F1%F1%F1%40%F1%F1%F1%F1%40%F1%F1%F1"
         "%F1%40%F1%F1%F1%F1\r\n\r\nhi\r\n",
         0, "cards"},
        {"a form field name*=UTF-8''", "multipart/form-data; boundary=zz",
         "--zz\r\nContent-Disposition: form-data; name*=UTF-8''4111%201111%201111%201111; "
         "filename=\"a.txt\"\r\n\r\nhello\r\n--zz--\r\n",
         0, "cards"},
        {"65 RFC 2231 sections", "message/rfc822",
         "Content-Disposition: attachment; filename*0=a; filename*1=a; filename*2=a; filename*3=a; "
         "filename*4=a; filename*5=a; filename*6=a; filename*7=a; filename*8=a; filename*9=a; "
         "filename*10=a; filename*11=a; filename*12=a; filename*13=a; filename*14=a; "
         "filename*15=a; "
         "filename*16=a; filename*17=a; filename*18=a; filename*19=a; filename*20=a; "
         "filename*21=a; "
         "filename*22=a; filename*23=a; filename*24=a; filename*25=a; filename*26=a; "
         "filename*27=a; "
         "filename*28=a; filename*29=a; filename*30=a; filename*31=a; filename*32=a; "
         "filename*33=a; "
         "filename*34=a; filename*35=a; filename*36=a; filename*37=a; filename*38=a; "
         "filename*39=a; "
         "filename*40=a; filename*41=a; filename*42=a; filename*43=a; filename*44=a; "
         "filename*45=a; "
         "filename*46=a; filename*47=a; filename*48=a; filename*49=a; filename*50=a; "
         "filename*51=a; "
         "filename*52=a; filename*53=a; filename*54=a; filename*55=a; filename*56=a; "
         "filename*57=a; "
         "filename*58=a; filename*59=a; filename*60=a; filename*61=a; filename*62=a; "
         "filename*63=a; "
         "filename*64=a\r\n\r\nhi\r\n",
         0, "dlp-undecodable"},
        {"a Content-Type past 1 KiB (its boundary after the cut)", "message/rfc822",
         "Content-Type: multipart/mixed; x=\"" X100 X100 X100 X100 X100 X100 X100 X100 X100 X100
         "\"; boundary=zz\r\n\r\n--zz\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
         "4111=201111=201111=201111\r\n--zz--\r\n",
         0, "dlp-undecodable"},
        {"a form body without its boundary (Django: one part)", "multipart/form-data; boundary=zz",
         "junk\r\nContent-Disposition: form-data; name=\"a\"\r\nContent-Transfer-Encoding: "
         "base64\r\n\r\nNDExMSAxMTExIDExMTEgMTExMQ==",
         0, "dlp-undecodable"},
        {"a clean form with only its close delimiter", "multipart/form-data; boundary=zz",
         "--zz--\r\n", 0, NULL},
        {"a clean form", "multipart/form-data; boundary=zz",
         "--zz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nhello\r\n--zz--\r\n", 0, NULL},
        {"a clean message with Outlook's boundary", "message/rfc822",
         "Content-Type: multipart/alternative;\r\n\tboundary=\"----=_NextPart_000_0001_01D9A1B2."
         "C3D4E5F0\"\r\n\r\n------=_NextPart_000_0001_01D9A1B2.C3D4E5F0\r\n"
         "Content-Transfer-Encoding: quoted-printable\r\n\r\nhello=20there\r\n"
         "------=_NextPart_000_0001_01D9A1B2.C3D4E5F0--\r\n",
         0, NULL},
    };
    char why[160];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int blk = cases[i].rule && strcmp(cases[i].rule, "cards") == 0;
        struct req r = {.ip = blk ? "10.0.0.2" : "10.0.0.9",
                        .ctype = cases[i].ctype,
                        .body = cases[i].body,
                        .len = cases[i].len ? cases[i].len : strlen(cases[i].body)};
        for (r.chunk = 0; r.chunk <= 3; r.chunk++) {
            snprintf(why, sizeof(why), "%s, writes of %zu", cases[i].what, r.chunk);
            expect(&r, cases[i].rule ? SK_BLOCK : SK_ALLOW, cases[i].rule, why);
        }
    }
#undef QP_CARD
}

/* An mbox as Python's mailbox.mbox reads one: each line that starts
 * "From " begins a message (its bodies decoded one by one); ">From " is
 * text; a "From " line in a header section after its first line begins
 * the next message too. Every write size. */
static void test_mbox_reader(void **state)
{
    (void)state;
    static const struct {
        const char *what, *mbox, *has, *hasnt;
        int bodies; /* objects other than the first header text */
    } cases[] = {
        {"two messages, the second in quoted-printable",
         "From a@x Mon Jan  1 00:00:00 2024\nSubject: one\n\nhello\n\nFrom b@x Tue Jan  2 "
         "00:00:00 2024\nContent-Transfer-Encoding: "
         "quoted-printable\n\n4111=201111=201111=201111\n",
         "4111 1111 1111 1111", "=20", 3},
        {"a header section cut by the next From line",
         "From a\nSubject: one\nFrom b\nContent-Transfer-Encoding: quoted-printable\n\n"
         "4111=201111\n",
         "4111 1111", "=20", 1},
        {">From is text", "From a\nSubject: x\n\nline\n>From here\nFrom\nmore\n",
         ">From here\nFrom\nmore", NULL, 1},
        {"From at the body's start", "From a\nSubject: x\n\nFrom b\nX: y\n\nz", "From b\nX: y\nz",
         NULL, 3},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t len = strlen(cases[i].mbox);
        for (size_t chunk = 0; chunk <= 7; chunk++) {
            struct got g;
            struct sk_mp_handler h = {got_begin, got_data, got_end, &g, NULL};
            struct sk_mp *m = sk_mp_new_mbox(&h);
            memset(&g, 0, sizeof(g));
            assert_non_null(m);
            for (size_t at = 0; at < len;) {
                size_t take = chunk && len - at > chunk ? chunk : len - at;
                assert_int_equal(sk_mp_write(m, cases[i].mbox + at, take), 0);
                at += take;
            }
            assert_int_equal(sk_mp_end(m), 0);
            sk_mp_free(m);
            g.data[g.n] = '\0';
            if (!strstr(g.data, cases[i].has) ||
                (cases[i].hasnt && strstr(g.data, cases[i].hasnt)) || g.begins != cases[i].bodies ||
                g.ends != g.begins)
                fail_msg("%s (writes of %zu): %d objects, data '%s'", cases[i].what, chunk,
                         g.begins, g.data);
        }
    }
    /* what is an mbox: declared, named, or starting with a From line */
    assert_true(sk_mp_is_mbox("application/mbox", NULL, (const unsigned char *)"x", 1));
    assert_true(sk_mp_is_mbox(NULL, "inbox.MBOX", (const unsigned char *)"x", 1));
    assert_true(sk_mp_is_mbox(NULL, NULL, (const unsigned char *)"From a", 6));
    assert_false(sk_mp_is_mbox("text/plain", "a.txt", (const unsigned char *)"Fro", 3));
    /* what mailbox.mbox skips before the first From line (red team 5,
     * MBOX-SNIFF): a BOM, blank lines, up to 4 lines of junk */
    static const char *const lead[] = {"\nFrom a",
                                       "\xef\xbb\xbf"
                                       "From a",
                                       "junk\nFrom a", "\r\n\r\n\nFrom a", "1\n2\n3\n4\nFrom a"};
    for (size_t i = 0; i < sizeof(lead) / sizeof(lead[0]); i++)
        if (!sk_mp_is_mbox("text/plain", NULL, (const unsigned char *)lead[i], strlen(lead[i])))
            fail_msg("'%s' is an mbox to mailbox.mbox", lead[i]);
    assert_false(sk_mp_is_mbox(NULL, NULL, (const unsigned char *)"1\n2\n3\n4\n5\nFrom a", 16));
    assert_false(sk_mp_is_mbox(NULL, NULL, (const unsigned char *)"x From a\nFrom", 14));
    static char far[600];
    memset(far, '\n', 520);
    memcpy(far + 1, "From a", 6); /* the second line: found */
    assert_true(sk_mp_is_mbox(NULL, NULL, (const unsigned char *)far, sizeof(far)));
    memset(far, 'x', 520);
    far[508] = '\n';
    memcpy(far + 509, "From a", 6); /* past the 512 bytes looked at */
    assert_false(sk_mp_is_mbox(NULL, NULL, (const unsigned char *)far, sizeof(far)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_message_reader),      cmocka_unit_test(test_message_long_headers),
        cmocka_unit_test(test_message_header_text), cmocka_unit_test(test_message_like),
        cmocka_unit_test(test_dlp_messages),        cmocka_unit_test(test_mbox_reader),
        cmocka_unit_test(test_dlp_readings),        cmocka_unit_test(test_message_depth),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/* test_page.c - the one page engine (sekisho/page.h): Accept-Language
 * per RFC 9110, Accept/HEAD, templates, per-reason titles, the template
 * directory lookup order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sekisho/page.h"

#define EN SK_LANG_EN
#define JA SK_LANG_JA

static void test_pick_lang(void **s)
{
    static const struct {
        const char *al;
        enum sk_page_lang want;
    } cases[] = {
        {NULL, EN},
        {"", EN},
        {"ja", JA},
        {"ja;q=0", EN},       /* refused */
        {"fr, ja;q=0.5", JA}, /* the only supported one */
        {"*, ja;q=0.9", EN},  /* "*" gives the default q=1 */
        {"en;q=0, *", JA},    /* English refused, "*" admits ja */
        {"*", EN},
        {"*;q=0", EN},              /* nothing acceptable: default */
        {"ja;q=0, *;q=0.5", EN},    /* ja refused, en via "*" */
        {"ja;q=abc, en;q=0.5", EN}, /* malformed weight: element ignored */
        {"ja;q=1.5", EN},
        {"ja;q=0.5555", EN}, /* more than 3 decimals */
        {"ja;q=-1", EN},
        {"ja;q=", EN},
        {"ja;q = 0.9", EN},
        {"ja;level=1", JA}, /* other parameters ignored */
        {"ja;q=0.001", JA},
        {"JA", JA}, /* case */
        {"Ja-Jp", JA},
        {"ja_JP", JA},
        {" \tja \t", JA}, /* whitespace */
        {"en ; q=0.4 ,\tja;\tq=0.6", JA},
        {"en, ja", EN}, /* ties: first listed */
        {"ja, en", JA},
        {"ja;q=0.5, en;q=0.5", JA},
        {"en;q=0.5, ja;q=0.5", EN},
        {"ja-JP;q=0.1, ja;q=0.9", JA}, /* bare "ja" decides */
        {"ja;q=0.1, ja-JP;q=0.9, en;q=0.5", EN},
        {"jav, jap", EN}, /* prefix is not a match */
        {"de, fr;q=0.9", EN},
        {",,, ja ,", JA}, /* empty elements */
        {"en-US,en;q=0.9,ja;q=0.8", EN},
        {"ja,en-US;q=0.8", JA},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum sk_page_lang got = sk_page_pick_lang(cases[i].al);
        if (got != cases[i].want)
            fail_msg("Accept-Language '%s': got %s, want %s", cases[i].al ? cases[i].al : "(none)",
                     sk_page_lang_tag(got), sk_page_lang_tag(cases[i].want));
    }
}

static void test_pick_kind(void **s)
{
    assert_int_equal(sk_page_pick_kind("GET", NULL), SK_PAGE_HTML);
    assert_int_equal(sk_page_pick_kind("GET", "  "), SK_PAGE_HTML);
    assert_int_equal(sk_page_pick_kind("HEAD", "text/html"), SK_PAGE_TEXT);
    assert_int_equal(sk_page_pick_kind("GET", "application/json"), SK_PAGE_TEXT);
    assert_int_equal(sk_page_pick_kind("GET", "application/json, */*;q=0.1"), SK_PAGE_HTML);
    assert_int_equal(sk_page_pick_kind("GET", "text/html;q=0"), SK_PAGE_TEXT);
    assert_int_equal(sk_page_pick_kind("GET", "TEXT/HTML"), SK_PAGE_HTML);
}

static void test_reason_titles_distinct(void **s)
{
    for (int l = 0; l < SK_NLANG; l++)
        for (int a = 0; a < SK_NREASON; a++)
            for (int b = a + 1; b < SK_NREASON; b++) {
                if (strcmp(sk_page_title(a, l), sk_page_title(b, l)) == 0)
                    fail_msg("reasons %s and %s share a title", sk_page_reason_name(a),
                             sk_page_reason_name(b));
                assert_string_not_equal(sk_page_message(a, l), sk_page_message(b, l));
            }
    assert_string_equal(sk_page_title(SK_REASON_TOO_LARGE, EN), "File too large to scan");
    assert_null(strstr(sk_page_title(SK_REASON_TOO_LARGE, EN), "irus"));
}

static void test_template(void **s)
{
    struct sk_tpl t;
    struct sk_buf b = {0};
    const char *vals[SK_NPV] = {NULL};
    char *err = NULL;
    const char *src = "<p>{{ url }}|{{rule}}|{{reason}}</p>";

    assert_int_equal(sk_tpl_parse(&t, src, strlen(src), "t", &err), 0);
    vals[SK_PV_URL] = "http://x/<script>\r\n";
    vals[SK_PV_REASON] = "";
    assert_int_equal(sk_tpl_render(&t, SK_PAGE_HTML, vals, &b), 0);
    assert_string_equal(b.data, "<p>http://x/&lt;script&gt;\xef\xbf\xbd\xef\xbf\xbd|-|-</p>");
    sk_buf_free(&b);
    assert_int_equal(sk_tpl_render(&t, SK_PAGE_TEXT, vals, &b), 0);
    assert_string_equal(b.data, "<p>http://x/<script>\xef\xbf\xbd\xef\xbf\xbd|-|-</p>");
    sk_buf_free(&b);
    sk_tpl_free(&t);

    static const char *const bad[] = {"a {{nope}} b", "a {{url b", "x\xff", "{{ref}}\n{{x}}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err = NULL;
        assert_int_equal(sk_tpl_parse(&t, bad[i], strlen(bad[i]), "adm.html", &err), -1);
        assert_non_null(err);
        assert_non_null(strstr(err, "adm.html"));
        free(err);
    }
    err = NULL;
    assert_int_equal(sk_tpl_parse(&t, "{{ref}}\n{{x}}", 13, "f", &err), -1);
    assert_non_null(strstr(err, "line 2"));
    free(err);
}

static void put(const char *dir, const char *name, const char *text)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    assert_non_null(f = fopen(path, "w"));
    fputs(text, f);
    fclose(f);
}

static char *render(const struct sk_pageset *ps, enum sk_page_reason r, const char *al)
{
    struct sk_page_req req = {.accept_language = al, .http_method = "GET"};
    const char *vals[SK_NPV] = {NULL}, *ct;
    struct sk_buf b = {0};

    vals[SK_PV_RULE] = "R";
    assert_int_equal(sk_pageset_render(ps, r, &req, vals, &b, &ct), 0);
    assert_string_equal(ct, "text/html; charset=utf-8");
    return b.data;
}

static void test_pageset_lookup(void **s)
{
    char dir[] = "/tmp/sk-test-page-XXXXXX", *err = NULL, *p;
    struct sk_pageset ps;

    assert_non_null(mkdtemp(dir));
    put(dir, "virus.ja.html", "VJA {{title}} {{rule}}");
    put(dir, "block.ja.html", "BJA {{title}}");
    assert_int_equal(sk_pageset_load(&ps, dir, &sk_page_builtin_generic, "x.templates", &err), 0);
    p = render(&ps, SK_REASON_VIRUS, "ja");
    assert_string_equal(p, "VJA ウイルスを検出しました R"); /* reason file first */
    free(p);
    p = render(&ps, SK_REASON_TOO_LARGE, "ja");
    assert_string_equal(p, "BJA ファイルが大きすぎて検査できません"); /* then block.* */
    free(p);
    p = render(&ps, SK_REASON_TOO_LARGE, "en"); /* then the built-in */
    assert_non_null(strstr(p, "<title>File too large to scan - Sekisho</title>"));
    assert_non_null(strstr(p, "<html lang=\"en\">"));
    free(p);
    sk_pageset_free(&ps);

    put(dir, "dlp.en.txt", "bad {{secret}}");
    assert_int_equal(sk_pageset_load(&ps, dir, &sk_page_builtin_generic, "x.templates", &err), -1);
    assert_non_null(strstr(err, "dlp.en.txt"));
    free(err);
    err = NULL;
    assert_int_equal(
        sk_pageset_load(&ps, "/nonexistent/dir", &sk_page_builtin_generic, "x.templates", &err),
        -1);
    assert_non_null(strstr(err, "x.templates /nonexistent/dir"));
    free(err);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pick_lang),
        cmocka_unit_test(test_pick_kind),
        cmocka_unit_test(test_reason_titles_distinct),
        cmocka_unit_test(test_template),
        cmocka_unit_test(test_pageset_lookup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

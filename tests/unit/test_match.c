/* test_match.c - the compiled matchers: each match mode, precedence
 * (approved > allow > block), wildcard domains, label boundaries, the
 * Aho-Corasick automaton against a brute-force reference, categories. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "../../policy-db/src/match_internal.h"

struct sk_t_rule {
    int64_t id;
    enum sk_rule_list list;
    enum sk_rule_match match;
    const char *pattern;
};

struct sk_t_case {
    const char *url;
    int64_t want_id; /* 0 = no match */
};

static void sk_t_build(struct sk_ruleset *rs, const struct sk_t_rule *r, size_t n)
{
    char *err = NULL;

    memset(rs, 0, sizeof(*rs));
    for (size_t i = 0; i < n; i++) {
        if (sk_ruleset_add(rs, r[i].id, r[i].list, r[i].match, r[i].pattern, &err) != 0)
            fail_msg("rule %lld: %s", (long long)r[i].id, err);
    }
    assert_int_equal(sk_ruleset_build(rs, &err), 0);
}

static void sk_t_run(const struct sk_t_rule *rules, size_t nr, const struct sk_t_case *c, size_t nc)
{
    struct sk_ruleset rs;
    size_t fails = 0;

    sk_t_build(&rs, rules, nr);
    for (size_t i = 0; i < nc; i++) {
        struct sk_url u;
        char *err = NULL;
        uint32_t best = 0;
        int64_t got = 0;
        int rc;

        if (sk_url_normalize(c[i].url, 0, &u, &err) != 0)
            fail_msg("normalise %s: %s", c[i].url, err);
        rc = sk_ruleset_check(&rs, &u, &best);
        assert_true(rc == 0 || rc == 1);
        if (rc == 1)
            got = rs.rules[best].id;
        if (got != c[i].want_id) {
            fprintf(stderr, "'%s' (%s): want rule %lld, got %lld\n", c[i].url, u.str,
                    (long long)c[i].want_id, (long long)got);
            fails++;
        }
        sk_url_free(&u);
    }
    sk_ruleset_free(&rs);
    assert_int_equal(fails, 0);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void sk_t_domain(void **state)
{
    static const struct sk_t_rule r[] = {
        {1, SK_LIST_BLOCK, SK_MATCH_DOMAIN, "example.com"},
        {2, SK_LIST_BLOCK, SK_MATCH_DOMAIN, "*.wild.org"},
        {3, SK_LIST_BLOCK, SK_MATCH_DOMAIN, ".dot.net"},
        {4, SK_LIST_BLOCK, SK_MATCH_DOMAIN, "EXAMPLE.jp."},
        {5, SK_LIST_BLOCK, SK_MATCH_DOMAIN, "10.1.2.3"},
        {6, SK_LIST_BLOCK, SK_MATCH_DOMAIN, "bücher.example"},
        {7, SK_LIST_BLOCK, SK_MATCH_DOMAIN, "[2001:db8::1]"},
    };
    static const struct sk_t_case c[] = {
        {"http://example.com/", 1},
        {"http://www.example.com/x", 1},
        {"http://a.b.c.example.com/", 1},
        {"http://EXAMPLE.COM./", 1},
        {"https://example.com:8443/", 1},
        {"http://notexample.com/", 0}, /* label boundary */
        {"http://example.com.evil.net/", 0},
        {"http://example.co/", 0},
        {"http://wild.org/", 2}, /* *.x = x and subdomains */
        {"http://deep.sub.wild.org/", 2},
        {"http://mywild.org/", 0},
        {"http://dot.net/", 3},
        {"http://a.dot.net/", 3},
        {"http://www.example.jp/", 4},
        {"http://10.1.2.3/", 5},
        {"http://0x0a.1.2.3/", 5},
        {"http://167838211/", 5},
        {"http://1.10.1.2.3.nip.io/", 0}, /* an IP rule is not a domain suffix */
        {"http://xn--bcher-kva.example/", 6},
        {"http://www.bücher.example/", 6},
        {"http://[2001:DB8:0::1]/", 7},
        {"http://other.org/example.com", 0},
    };
    sk_t_run(r, N(r), c, N(c));
}

static void sk_t_exact(void **state)
{
    static const struct sk_t_rule r[] = {
        {1, SK_LIST_BLOCK, SK_MATCH_EXACT, "http://www.example.com/bad/page.html"},
        {2, SK_LIST_BLOCK, SK_MATCH_EXACT, "example.org"},
        {3, SK_LIST_BLOCK, SK_MATCH_EXACT, "example.net/a?b=1"},
    };
    static const struct sk_t_case c[] = {
        {"http://www.example.com/bad/page.html", 1},
        {"https://www.example.com/bad/page.html", 1}, /* scheme-less */
        {"http://WWW.EXAMPLE.COM:80/bad/./x/../page.html", 1},
        {"http://www.example.com/bad/%70age.html", 1},
        {"http://www.example.com/BAD/page.html", 1}, /* case-insensitive */
        {"http://www.example.com/bad/page.html?x", 0},
        {"http://www.example.com/bad/page.htm", 0},
        {"http://example.org/", 2},
        {"http://example.org", 2},
        {"http://example.org/x", 0},
        {"http://example.net/a?b=1", 3},
        {"http://example.net/a?b=2", 0},
    };
    sk_t_run(r, N(r), c, N(c));
}

static void sk_t_prefix_substring(void **state)
{
    static const struct sk_t_rule r[] = {
        {1, SK_LIST_BLOCK, SK_MATCH_PREFIX, "www.example.com/ads"},
        {2, SK_LIST_BLOCK, SK_MATCH_PREFIX, "http://cdn.example.net/track/"},
        {3, SK_LIST_BLOCK, SK_MATCH_PREFIX, "tracker."},
        {4, SK_LIST_BLOCK, SK_MATCH_SUBSTRING, "casino"},
        {5, SK_LIST_BLOCK, SK_MATCH_SUBSTRING, "/wp-admin/"},
        {6, SK_LIST_BLOCK, SK_MATCH_SUBSTRING, "ino"},
    };
    static const struct sk_t_case c[] = {
        {"http://www.example.com/ads", 1},
        {"http://www.example.com/ads/banner.gif", 1},
        {"https://www.example.com/adserver", 1},
        {"http://www.example.com/./ads/x", 1},
        {"http://www.example.com/%61ds/x", 1},
        {"http://www.example.com:80/ADS", 1},
        {"http://www.example.com/img/ads", 0},
        {"http://example.com/ads", 0},
        {"http://cdn.example.net/track/x.js", 2},
        {"https://cdn.example.net/track/", 2},
        {"http://cdn.example.net/tracking", 0},
        {"http://tracker.io/", 3},
        {"http://a.tracker.io/", 0},
        {"http://www.casino.com/", 4},
        {"http://example.com/?q=CASINO", 4},
        {"http://example.com/%63asino", 4},
        {"http://blog.org/wp-admin/x", 5},
        {"http://blog.org/wp-admin", 0},
        {"http://example.com/albino", 6},
        {"http://example.com/clean", 0},
    };
    sk_t_run(r, N(r), c, N(c));
}

static void sk_t_regex(void **state)
{
    static const struct sk_t_rule r[] = {
        {1, SK_LIST_BLOCK, SK_MATCH_REGEX, "^https://[^/]*\\.evil\\.(com|net)/"},
        {2, SK_LIST_BLOCK, SK_MATCH_REGEX, "\\.exe$"},
        {3, SK_LIST_ALLOW, SK_MATCH_REGEX, "/safe/.*\\.exe$"},
    };
    static const struct sk_t_case c[] = {
        {"https://www.evil.com/x", 1},   {"http://www.evil.com/x", 0},
        {"https://www.evil.org/x", 0},   {"http://a.org/setup.EXE", 2},
        {"http://a.org/setup.exe?x", 0}, {"http://a.org/safe/setup.exe", 3},
    };
    sk_t_run(r, N(r), c, N(c));
}

/* Destination networks: every spelling of an address the normaliser
 * accepts reaches the cidr rule; names never do; boundaries are exact. */
static void sk_t_cidr(void **state)
{
    static const struct sk_t_rule r[] = {
        {1, SK_LIST_BLOCK, SK_MATCH_CIDR, "10.1.0.0/16"},
        {2, SK_LIST_BLOCK, SK_MATCH_CIDR, "2001:db8::/32"},
        {3, SK_LIST_ALLOW, SK_MATCH_CIDR, "10.1.200.0/24"},
        {4, SK_LIST_BLOCK, SK_MATCH_CIDR, "192.168.7.9/31"}, /* host bits cleared */
        {5, SK_LIST_BLOCK, SK_MATCH_CIDR, "172.16.0.0/12"},
    };
    static const struct sk_t_case c[] = {
        {"http://10.1.2.3/", 1},
        {"http://0x0a010203/", 1},
        {"http://167838211/x", 1}, /* decimal */
        {"http://012.1.2.3/", 1},  /* octal first octet */
        {"http://10.1.515/", 1},   /* 10.1.2.3 in a/b/c form */
        {"http://[::ffff:10.1.2.3]/", 1},
        {"https://10.1.255.255:8443/", 1},
        {"http://10.2.0.1/", 0},
        {"http://10.0.255.255/", 0},
        {"http://11.1.2.3/", 0},
        {"http://10.1.200.7/", 3}, /* allow beats block */
        {"http://[2001:db8::1]/", 2},
        {"http://[2001:DB8:0:0::ff]/a", 2},
        {"http://[2001:db9::1]/", 0},
        {"http://192.168.7.8/", 4},
        {"http://192.168.7.10/", 0},
        {"http://172.31.255.255/", 5},
        {"http://172.32.0.0/", 0},
        {"http://10.1.2.3.example.com/", 0}, /* a name, not an address */
        {"http://10.1.2.3./", 1},            /* trailing dot */
        {"http://%31%30.1.2.3/", 1},         /* escaped host */
        {"http://user@10.1.2.3:80/", 1},     /* userinfo, default port */
        {"http://0x0a.0x01.0x02.0x03/", 1},  /* hex per octet */
        {"http://[0:0:0:0:0:ffff:a01:203]/", 1},
        {"http://10.1.2.3%2f@evil.example/", 0}, /* the host is evil.example */
    };
    struct sk_ruleset rs;
    struct sk_url u;
    char *err = NULL, *key = NULL;
    uint32_t best = 0;

    sk_t_run(r, N(r), c, N(c));
    /* CONNECT authority form */
    sk_t_build(&rs, r, N(r));
    assert_int_equal(sk_url_normalize("10.1.2.3:443", 1, &u, &err), 0);
    assert_int_equal(sk_ruleset_check(&rs, &u, &best), 1);
    assert_int_equal(rs.rules[best].id, 1);
    sk_url_free(&u);
    assert_int_equal(sk_url_normalize("0x0a010203:8443", 1, &u, &err), 0);
    assert_int_equal(sk_ruleset_check(&rs, &u, &best), 1);
    sk_url_free(&u);
    assert_int_equal(sk_url_normalize("[2001:db8::1]:443", 1, &u, &err), 0);
    assert_int_equal(sk_ruleset_check(&rs, &u, &best), 1);
    assert_int_equal(rs.rules[best].id, 2);
    sk_url_free(&u);
    assert_int_equal(sk_url_normalize("10.2.0.1:443", 1, &u, &err), 0);
    assert_int_equal(sk_ruleset_check(&rs, &u, &best), 0);
    sk_url_free(&u);
    sk_ruleset_free(&rs);
    /* canonical keys and rejected patterns */
    assert_int_equal(sk_rule_canon(SK_MATCH_CIDR, "10.1.2.3/8", &key, &err), 0);
    assert_string_equal(key, "10.0.0.0/8");
    free(key);
    assert_int_equal(sk_rule_canon(SK_MATCH_CIDR, "2001:DB8:1::5/32", &key, &err), 0);
    assert_string_equal(key, "2001:db8::/32");
    free(key);
    assert_int_equal(sk_rule_canon(SK_MATCH_CIDR, "10.1.2.3", &key, &err), 0);
    assert_string_equal(key, "10.1.2.3/32");
    free(key);
    static const char *const bad[] = {"10.0.0.0/33",  "10.0.0.0/",      "example.com/8",
                                      "0x0a000000/8", "2001:db8::/129", "10.0.0.0/8x",
                                      "10.0.0.0/-1"};
    for (size_t i = 0; i < N(bad); i++) {
        assert_int_equal(sk_rule_canon(SK_MATCH_CIDR, bad[i], &key, &err), -1);
        free(err);
        err = NULL;
    }
}

/* The per-length hash lookup against a brute-force scan with
 * sk_cidr_match: random IPv4 networks of every length in all three lists,
 * random addresses (many inside them), same winner every time. */
static void sk_t_cidr_reference(void **state)
{
    enum { NR = 400, NQ = 3000 };
    static struct sk_cidr nets[NR];
    static enum sk_rule_list lists[NR];
    struct sk_ruleset rs;
    char *err = NULL, pat[64], url[64];
    size_t fails = 0;

    srand(14);
    memset(&rs, 0, sizeof(rs));
    for (int i = 0; i < NR; i++) {
        int bits = rand() % 33;
        snprintf(pat, sizeof(pat), "10.%d.%d.%d/%d", rand() % 4, rand() % 256, rand() % 256, bits);
        lists[i] = (enum sk_rule_list)(rand() % 3);
        assert_int_equal(sk_cidr_parse(pat, &nets[i]), 0);
        if (sk_ruleset_add(&rs, i + 1, lists[i], SK_MATCH_CIDR, pat, &err) != 0)
            fail_msg("%s: %s", pat, err);
    }
    assert_int_equal(sk_ruleset_build(&rs, &err), 0);
    for (int q = 0; q < NQ; q++) {
        struct sk_url u;
        struct sk_cidr ip;
        uint32_t best = 0;
        int64_t want = 0, got = 0;
        int wl = 3;

        snprintf(url, sizeof(url), "http://%d.%d.%d.%d/", rand() % 8 ? 10 : 11, rand() % 4,
                 rand() % 256, rand() % 256);
        assert_int_equal(sk_url_normalize(url, 0, &u, &err), 0);
        assert_int_equal(sk_cidr_parse(u.host, &ip), 0);
        for (int i = 0; i < NR; i++) /* lowest list, then lowest id */
            if (sk_cidr_match(&nets[i], ip.family, ip.addr) && (int)lists[i] < wl) {
                wl = (int)lists[i];
                want = i + 1;
            }
        if (sk_ruleset_check(&rs, &u, &best) == 1)
            got = rs.rules[best].id;
        if (got != want && fails++ < 5)
            fprintf(stderr, "%s: want rule %lld, got %lld\n", url, (long long)want, (long long)got);
        sk_url_free(&u);
    }
    sk_ruleset_free(&rs);
    assert_int_equal(fails, 0);
}

/* approved > allow > block, whatever the match modes and ids. */
static void sk_t_precedence(void **state)
{
    static const struct sk_t_rule r[] = {
        {1, SK_LIST_BLOCK, SK_MATCH_DOMAIN, "example.com"},
        {2, SK_LIST_ALLOW, SK_MATCH_PREFIX, "www.example.com/public"},
        {3, SK_LIST_APPROVED, SK_MATCH_EXACT, "www.example.com/public/update.bin"},
        {4, SK_LIST_BLOCK, SK_MATCH_SUBSTRING, "public/update"},
        {5, SK_LIST_APPROVED, SK_MATCH_REGEX, "^http://cdn\\.example\\.com/"},
        {6, SK_LIST_BLOCK, SK_MATCH_DOMAIN, "example.com"}, /* duplicate domain, later id */
        {7, SK_LIST_ALLOW, SK_MATCH_DOMAIN, "ok.example.com"},
    };
    static const struct sk_t_case c[] = {
        {"http://www.example.com/private", 1},
        {"http://www.example.com/public/x", 2},
        {"http://www.example.com/public/update.bin", 3},
        {"http://www.example.com/public/update.zip", 2},
        {"http://cdn.example.com/x", 5},
        {"https://cdn.example.com/x", 1},
        {"http://ok.example.com/", 7},
        {"http://other.org/public/update", 4},
    };
    sk_t_run(r, N(r), c, N(c));
}

struct sk_t_hits {
    uint32_t seen[4096];
    size_t n;
};

static int sk_t_collect(void *arg, uint32_t v, size_t end)
{
    struct sk_t_hits *h = arg;

    (void)end;
    if (h->n < 4096)
        h->seen[h->n++] = v;
    return 0;
}

static int sk_t_has(const struct sk_t_hits *h, uint32_t v)
{
    for (size_t i = 0; i < h->n; i++)
        if (h->seen[i] == v)
            return 1;
    return 0;
}

/* Random patterns over a small alphabet (many overlaps, shared suffixes):
 * the automaton must find exactly what strstr / strncmp find. */
static void sk_t_ac_reference(void **state)
{
    enum { NP = 300, NT = 2000 };
    char pats[NP][8], text[48];
    struct sk_ac *ac = sk_ac_new();
    unsigned seed = 12345;

    assert_non_null(ac);
    for (int i = 0; i < NP; i++) {
        int len = 1 + (int)((seed = seed * 1103515245 + 12345) >> 16) % 6;
        for (int j = 0; j < len; j++)
            pats[i][j] = (char)('a' + ((seed = seed * 1103515245 + 12345) >> 16) % 3);
        pats[i][len] = '\0';
        assert_int_equal(sk_ac_add(ac, pats[i], (size_t)len, i % 2 ? SK_AC_PREFIX : SK_AC_SUBSTRING,
                                   (uint32_t)i),
                         0);
    }
    assert_int_equal(sk_ac_build(ac), 0);
    for (int t = 0; t < NT; t++) {
        int len = ((seed = seed * 1103515245 + 12345) >> 16) % 40;
        struct sk_t_hits pre = {.n = 0}, sub = {.n = 0};
        for (int j = 0; j < len; j++)
            text[j] = (char)('a' + ((seed = seed * 1103515245 + 12345) >> 16) % 4);
        text[len] = '\0';
        sk_ac_prefix(ac, text, (size_t)len, sk_t_collect, &pre);
        sk_ac_substr(ac, text, (size_t)len, sk_t_collect, &sub);
        for (int i = 0; i < NP; i++) {
            int want = i % 2 ? strncmp(text, pats[i], strlen(pats[i])) == 0
                             : strstr(text, pats[i]) != NULL;
            int got = sk_t_has(i % 2 ? &pre : &sub, (uint32_t)i);
            if (want != got)
                fail_msg("text '%s' pattern '%s' (%s): want %d got %d", text, pats[i],
                         i % 2 ? "prefix" : "substring", want, got);
        }
    }
    sk_ac_free(ac);
}

static void sk_t_hset_multi(void **state)
{
    struct sk_hset s = {0};
    struct sk_t_hits h = {.n = 0};
    char key[32];

    for (uint32_t i = 0; i < 5000; i++) {
        int n = snprintf(key, sizeof(key), "host%u.example", i);
        assert_int_equal(sk_hset_add(&s, key, (size_t)n, i), 0);
    }
    assert_int_equal(sk_hset_add(&s, "host7.example", 13, 9999), 0);
    assert_int_equal(sk_hset_add(&s, "host7.example", 13, 9999), 0); /* stored once */
    sk_hset_seal(&s);
    assert_int_equal(s.count, 5001);
    sk_hset_find(&s, "host7.example", 13, sk_t_collect, &h);
    assert_int_equal(h.n, 2);
    assert_true(sk_t_has(&h, 7) && sk_t_has(&h, 9999));
    h.n = 0;
    sk_hset_find(&s, "host7.exampl", 12, sk_t_collect, &h);
    sk_hset_find(&s, "host7.examplex", 14, sk_t_collect, &h);
    assert_int_equal(h.n, 0);
    sk_hset_free(&s);
}

static void sk_t_categories(void **state)
{
    struct sk_catset cs = {0};
    struct sk_cat_hit hit;
    uint8_t bits[1] = {0};
    struct sk_url u;
    char *err = NULL;

    assert_int_equal(sk_catset_add_category(&cs, "adult", &err), 0);
    assert_int_equal(sk_catset_add_category(&cs, "gambling", &err), 1);
    assert_int_equal(sk_catset_add_entry(&cs, 0, "domain", "porn.example", &err), 0);
    assert_int_equal(sk_catset_add_entry(&cs, 1, "domain", "bet.example", &err), 0);
    assert_int_equal(sk_catset_add_entry(&cs, 1, "url", "www.poker.example/room", &err), 0);
    assert_int_equal(sk_catset_add_entry(&cs, 1, "expression", "(roulette|blackjack)", &err), 0);
    assert_int_equal(sk_catset_add_entry(&cs, 1, "domain", "bad host!", &err), 0);
    assert_int_equal(sk_catset_add_entry(&cs, 1, "expression", "(unclosed", &err), 0);
    assert_int_equal(cs.skipped, 2);
    assert_int_equal(sk_catset_build(&cs, &err), 0);

    bits[0] = 2; /* only gambling blocked */
    assert_int_equal(sk_url_normalize("http://www.porn.example/", 0, &u, &err), 0);
    assert_int_equal(sk_catset_check(&cs, bits, &u, &hit), 0);
    sk_url_free(&u);
    assert_int_equal(sk_url_normalize("http://m.bet.example/", 0, &u, &err), 0);
    assert_int_equal(sk_catset_check(&cs, bits, &u, &hit), 1);
    assert_int_equal(hit.cat, 1);
    assert_string_equal(hit.kind, "domain");
    assert_string_equal(hit.entry, "bet.example");
    sk_url_free(&u);
    assert_int_equal(sk_url_normalize("http://poker.example/room/1", 0, &u, &err), 0);
    assert_int_equal(sk_catset_check(&cs, bits, &u, &hit), 1);
    assert_string_equal(hit.kind, "url");
    sk_url_free(&u);
    assert_int_equal(sk_url_normalize("http://x.org/BlackJack", 0, &u, &err), 0);
    assert_int_equal(sk_catset_check(&cs, bits, &u, &hit), 1);
    assert_string_equal(hit.kind, "expression");
    sk_url_free(&u);
    assert_int_equal(sk_url_normalize("http://notbet.example/", 0, &u, &err), 0);
    assert_int_equal(sk_catset_check(&cs, bits, &u, &hit), 0);
    sk_url_free(&u);
    sk_catset_free(&cs);
}

/* Oracle for sk_t_regex_prefilter (issue 16): PCRE2 called directly with
 * the documented rule semantics (case-insensitive, unanchored, on the
 * normalised URL), not through the production sk_rx_* wrapper. */
static int sk_t_pcre2_oracle(const char *rx, const char *text)
{
    int errc, rc;
    PCRE2_SIZE off;
    pcre2_code *re =
        pcre2_compile((PCRE2_SPTR)rx, PCRE2_ZERO_TERMINATED, PCRE2_CASELESS, &errc, &off, NULL);
    pcre2_match_data *md;

    assert_non_null(re);
    md = pcre2_match_data_create_from_pattern(re, NULL);
    rc = pcre2_match(re, (PCRE2_SPTR)text, strlen(text), 0, 0, md, NULL);
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    assert_true(rc >= 0 || rc == PCRE2_ERROR_NOMATCH);
    return rc >= 0;
}

/* The literal prefilter must never hide a match: every (regex, URL) pair
 * decided through a rule set equals a direct PCRE2 match. */
static void sk_t_regex_prefilter(void **state)
{
    static const char *const rx[] = {
        "colou?r",
        "ab?cde",
        "a(b|c)def",
        "xx{2}yzw",
        "\\.exe$",
        "foo|barbaz",
        "[abc]def",
        "ad[s]erver",
        "(?i)BANNER",
        "a\\x41bcd",
        "abc+def",
        "ab{0,2}cdef",
        "ba(na)+split",
        "^https?://",
        "\\bword\\b",
        "q=[0-9]+&ref",
        "(?x) a b c # comment",
        "tra\\.cker\\.",
        "[[:digit:]]abc",
        "[]x]abc",
        "ab\\Qcd\\E",
        "(abc)?defg",
        "abc.def",
        "\\/ads\\/",
        /* issue 11: PCRE2 reads a class, '|', "]zzz": it matches every URL */
        "[[:[:]|]zzz",
        "[[:a]|]zzz",
        "(*ACCEPT)zzzz",
        "[\\c]]|zzzz",
        "ab{ 0 }cdef",
        "[[=d:]|]zzzz",
        "[[.a:]|]zzzz",
    };
    static const char *const urls[] = {
        "http://a.org/color",         "http://a.org/colour",
        "http://a.org/acde",          "http://a.org/abcde",
        "http://a.org/acdef",         "http://a.org/xxxyzw",
        "http://a.org/x.EXE",         "http://foo.org/",
        "http://a.org/barbaz",        "http://a.org/bdef",
        "http://adserver.org/",       "http://a.org/banner",
        "http://a.org/aAbcd",         "http://a.org/abcccdef",
        "http://a.org/acdef",         "http://a.org/abbcdef",
        "http://a.org/banananasplit", "https://x.org/",
        "http://a.org/a-word-b",      "http://a.org/?q=12&ref",
        "http://a.org/abc",           "http://tra.cker.org/",
        "http://a.org/7abc",          "http://a.org/]abc",
        "http://a.org/abcd",          "http://a.org/defg",
        "http://a.org/abcXdef",       "http://a.org/ads/x",
        "http://a.org/nothing",
    };
    size_t mismatches = 0;

    for (size_t i = 0; i < N(rx); i++) {
        struct sk_ruleset rs;
        struct sk_t_rule r = {1, SK_LIST_BLOCK, SK_MATCH_REGEX, rx[i]};
        char *err = NULL;

        sk_t_build(&rs, &r, 1);
        for (size_t j = 0; j < N(urls); j++) {
            struct sk_url u;
            uint32_t best;
            assert_int_equal(sk_url_normalize(urls[j], 0, &u, &err), 0);
            int direct = sk_t_pcre2_oracle(rx[i], u.str);
            int via = sk_ruleset_check(&rs, &u, &best);
            if (direct != via) {
                fprintf(stderr, "regex '%s' url '%s': direct %d, rule set %d\n", rx[i], u.str,
                        direct, via);
                mismatches++;
            }
            sk_url_free(&u);
        }
        sk_ruleset_free(&rs);
    }
    assert_int_equal(mismatches, 0);
}

/* Differential: random patterns over the constructs the literal scanner
 * has to get right, random subjects; whenever the prefilter rules a regex
 * out, plain PCRE2 must not match. Deterministic (fixed seed). */
static void sk_t_regex_prefilter_random(void **state)
{
    static const char *const tok[] = {
        "a",   "b",   "z",   "zz", "[",   "]",  "[:", ":]",  "[:alpha:]", "[.",        "=]",
        "|",   "(",   ")",   "?",  "*",   "+",  "{",  "}",   "2",         ",",         " ",
        "\\",  "\\.", "\\]", ".",  "^",   "$",  "-",  "(?:", "(?i)",      "(*ACCEPT)", "\\Q",
        "\\E", "\\c", "x",   "#",  "(?=", "[^", "[=", "d:]",
    };
    static const char alpha[] = "abzZ[]:{}.-x|#2 ";
    uint32_t seed = 11;
    size_t compiled = 0, hidden = 0;

    for (int i = 0; i < 20000; i++) {
        char pat[64] = "", subj[24];
        struct sk_rx rx = {0};
        struct sk_rxpre pre;
        char *err = NULL;
        void *md;

        for (int k = (int)((seed = seed * 1103515245u + 12345u) >> 16) % 8 + 1; k > 0; k--) {
            seed = seed * 1103515245u + 12345u;
            strcat(pat, tok[(seed >> 16) % N(tok)]);
        }
        rx.pattern = pat;
        if ((rx.code = sk_rx_compile(pat, &err)) == NULL) {
            free(err);
            continue;
        }
        compiled++;
        md = sk_rx_md_new();
        assert_int_equal(sk_rxpre_build(&pre, &rx, 1), 0);
        for (int j = 0; j < 40; j++) {
            size_t n = 0;
            uint8_t bits[1];
            for (int k = (int)((seed = seed * 1103515245u + 12345u) >> 16) % 23; k > 0; k--) {
                seed = seed * 1103515245u + 12345u;
                subj[n++] = alpha[(seed >> 16) % (sizeof(alpha) - 1)];
            }
            subj[n] = '\0';
            char low[24];
            for (size_t k = 0; k <= n; k++)
                low[k] = subj[k] >= 'A' && subj[k] <= 'Z' ? (char)(subj[k] + 32) : subj[k];
            sk_rxpre_scan(&pre, low, n, bits);
            if (!sk_rxpre_may(&pre, bits, 0) && sk_rx_match(rx.code, subj, n, md) == 1) {
                fprintf(stderr, "prefilter hides a match of /%s/ on '%s'\n", pat, subj);
                hidden++;
            }
        }
        sk_rxpre_free(&pre);
        sk_rx_md_free(md);
        sk_rx_free(rx.code);
    }
    assert_true(compiled > 2000); /* the generator still makes real patterns */
    assert_int_equal(hidden, 0);
}

static void sk_t_bad_rules(void **state)
{
    struct sk_ruleset rs = {0};
    char *err = NULL;

    assert_int_equal(sk_ruleset_add(&rs, 1, SK_LIST_BLOCK, SK_MATCH_REGEX, "(a", &err), -1);
    assert_non_null(err);
    free(err);
    err = NULL;
    assert_int_equal(sk_ruleset_add(&rs, 2, SK_LIST_BLOCK, SK_MATCH_DOMAIN, "a b.com", &err), -1);
    free(err);
    err = NULL;
    assert_int_equal(sk_ruleset_add(&rs, 3, SK_LIST_BLOCK, SK_MATCH_EXACT, "http://[::1", &err),
                     -1);
    free(err);
    sk_ruleset_free(&rs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sk_t_domain),
        cmocka_unit_test(sk_t_exact),
        cmocka_unit_test(sk_t_prefix_substring),
        cmocka_unit_test(sk_t_regex),
        cmocka_unit_test(sk_t_precedence),
        cmocka_unit_test(sk_t_ac_reference),
        cmocka_unit_test(sk_t_cidr),
        cmocka_unit_test(sk_t_cidr_reference),
        cmocka_unit_test(sk_t_hset_multi),
        cmocka_unit_test(sk_t_categories),
        cmocka_unit_test(sk_t_regex_prefilter),
        cmocka_unit_test(sk_t_regex_prefilter_random),
        cmocka_unit_test(sk_t_bad_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

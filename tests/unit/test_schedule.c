/* test_schedule.c - schedules (issue 14): the --days/--time grammar and
 * canonical forms, ISO 8601 with offsets, TZif zones against glibc's
 * localtime_r as the oracle, and decisions of a real snapshot at given
 * times: day boundaries, 24:00, zones, negation, category blocks, DLP
 * templates; schedule rm refused while used; v3 -> v4 keeps the rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <sekisho/policy_db.h>
#include <sekisho/policy_snapshot.h>

#include "../../policy-db/src/sched_internal.h"
#include "sk_tpolicy.h"

/* ---- grammar ---- */

static void test_days(void **state)
{
    static const struct {
        const char *in;
        int ok;
        uint8_t mask;
        const char *canon;
    } c[] = {
        {"mon-fri", 1, 0x3e, "mon-fri"},
        {"MON-Fri", 1, 0x3e, "mon-fri"},
        {"sat,sun", 1, 0x41, "sat,sun"},
        {"sat-sun", 1, 0x41, "sat,sun"},
        {"fri-mon", 1, 0x63, "mon,fri-sun"}, /* wraps over the weekend */
        {"sun", 1, 0x01, "sun"},
        {"mon,wed-fri", 1, 0x3a, "mon,wed-fri"},
        {"all", 1, 0x7f, "all"},
        {"mon-sun", 1, 0x7f, "all"},
        {"mon,tue,wed", 1, 0x0e, "mon-wed"},
        {"", 0, 0, NULL},
        {"mon-fx", 0, 0, NULL},
        {"monday", 0, 0, NULL},
        {"mon,", 0, 0, NULL},
        {"mon--fri", 0, 0, NULL},
        {"-fri", 0, 0, NULL},
    };
    char buf[64], *err = NULL;
    uint8_t m;

    (void)state;
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        int rc = sk_sched_days_parse(c[i].in, &m, &err);
        if (rc != (c[i].ok ? 0 : -1))
            fail_msg("days '%s': rc %d", c[i].in, rc);
        if (!c[i].ok) {
            assert_non_null(err);
            free(err);
            err = NULL;
            continue;
        }
        assert_int_equal(m, c[i].mask);
        sk_sched_days_format(m, buf, sizeof(buf));
        assert_string_equal(buf, c[i].canon);
    }
}

static void test_times(void **state)
{
    static const struct {
        const char *in;
        int ok, from, to;
    } c[] = {
        {"09:00-12:00", 1, 540, 720},   {"00:00-24:00", 1, 0, 1440},
        {"23:59-24:00", 1, 1439, 1440}, {"00:00-00:01", 1, 0, 1},
        {"24:00-24:00", 0, 0, 0},       {"18:00-09:00", 0, 0, 0},
        {"09:00-09:00", 0, 0, 0},       {"9:00-12:00", 0, 0, 0},
        {"09:60-12:00", 0, 0, 0},       {"25:00-26:00", 0, 0, 0},
        {"24:01-24:02", 0, 0, 0},       {"09:00", 0, 0, 0},
        {"09:00-12:00x", 0, 0, 0},      {"", 0, 0, 0},
    };
    struct sk_sched_range r;
    char *err = NULL;

    (void)state;
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        int rc = sk_sched_range_parse(c[i].in, &r, &err);
        if (rc != (c[i].ok ? 0 : -1))
            fail_msg("time '%s': rc %d", c[i].in, rc);
        if (c[i].ok) {
            assert_int_equal(r.from, c[i].from);
            assert_int_equal(r.to, c[i].to);
        } else {
            assert_non_null(err);
            free(err);
            err = NULL;
        }
    }
}

/* overlapping and touching ranges merge; order does not matter */
static void test_merge(void **state)
{
    struct sk_sched_spec sp;
    char buf[256], *err = NULL;

    (void)state;
    assert_int_equal(sk_sched_spec_parse(
                         "mon-fri", "13:00-18:00,09:00-12:00,11:00-12:30,18:00-19:00", &sp, &err),
                     0);
    sk_sched_times_format(&sp, buf, sizeof(buf));
    assert_string_equal(buf, "09:00-12:30,13:00-19:00");
    assert_int_equal(sk_sched_spec_parse("all", "", &sp, &err), 0);
    assert_int_equal(sp.nr, 0);
    assert_int_equal(sk_sched_spec_in(&sp, 3, 0), 1); /* no ranges = all day */
}

static void test_iso(void **state)
{
    static const struct {
        const char *in;
        int ok;
        int64_t t;
    } c[] = {
        {"2026-12-02T10:30:00+09:00", 1, 1796175000},
        {"2026-12-02T01:30:00Z", 1, 1796175000},
        {"2026-12-02T01:30Z", 1, 1796175000},
        {"2026-12-01T20:30:00-05:00", 1, 1796175000},
        {"2026-12-02T10:30:00+0900", 1, 1796175000},
        {"2026-12-02 01:30:00Z", 1, 1796175000},
        {"2024-02-29T00:00:00Z", 1, 1709164800},
        {"2026-12-02T10:30:00", 0, 0}, /* no offset: whose clock? */
        {"2026-02-29T00:00:00Z", 0, 0},
        {"2026-13-01T00:00:00Z", 0, 0},
        {"2026-12-02T24:00:00Z", 0, 0},
        {"2026-12-02T10:30:00+09:00x", 0, 0},
        {"", 0, 0},
    };
    int64_t t;

    (void)state;
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        int rc = sk_pdb_parse_time(c[i].in, &t);
        if (rc != (c[i].ok ? 0 : -1))
            fail_msg("iso '%s': rc %d", c[i].in, rc);
        if (c[i].ok && t != c[i].t)
            fail_msg("iso '%s': %lld, want %lld", c[i].in, (long long)t, (long long)c[i].t);
    }
}

static void test_names(void **state)
{
    char *err = NULL;

    (void)state;
    assert_int_equal(sk_sched_name_valid("business-hours_1.x", &err), 0);
    assert_int_equal(sk_sched_name_valid("!business", &err), -1);
    free(err);
    err = NULL;
    assert_int_equal(sk_sched_name_valid("a b", &err), -1);
    free(err);
    assert_int_equal(sk_tz_name_ok("Asia/Tokyo"), 1);
    assert_int_equal(sk_tz_name_ok("Etc/GMT+9"), 1);
    assert_int_equal(sk_tz_name_ok("../etc/passwd"), 0);
    assert_int_equal(sk_tz_name_ok("/etc/localtime"), 0);
    assert_int_equal(sk_tz_name_ok("Asia//Tokyo"), 0);
    assert_int_equal(sk_tz_name_ok("Asia/.hidden"), 0);
}

/* ---- zones: our table against glibc (setenv is fine: one thread) ---- */

static void sk_t_zone_vs_glibc(const char *zone, const char *tzenv)
{
    struct sk_tz z;
    char *err = NULL;

    if (sk_tz_load(zone, &z, &err) != 0)
        fail_msg("load %s: %s", zone, err);
    setenv("TZ", tzenv, 1);
    tzset();
    /* every ~5 h 1 min from 1971 to 2099: crosses every transition hour */
    for (int64_t t = 31536000; t < 4102444800LL; t += 18060) {
        struct tm tm;
        time_t tt = (time_t)t;
        localtime_r(&tt, &tm);
        if (sk_tz_offset(&z, t) != tm.tm_gmtoff)
            fail_msg("%s at %lld: %d, glibc %ld", zone, (long long)t, sk_tz_offset(&z, t),
                     tm.tm_gmtoff);
        int wday, min;
        sk_sched_local(t, sk_tz_offset(&z, t), &wday, &min);
        assert_int_equal(wday, tm.tm_wday);
        assert_int_equal(min, tm.tm_hour * 60 + tm.tm_min);
    }
    sk_tz_free(&z);
    unsetenv("TZ");
    tzset();
}

static void test_zones(void **state)
{
    static const char *const zones[] = {"Asia/Tokyo",          "America/New_York", "Europe/Berlin",
                                        "Australia/Sydney",    "America/Santiago", "Asia/Kolkata",
                                        "Pacific/Chatham",     "Europe/London",    "UTC",
                                        "Australia/Lord_Howe", "Asia/Kathmandu",   "Pacific/Apia"};
    struct sk_tz z;
    char *err = NULL;

    (void)state;
    for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
        char env[64];
        snprintf(env, sizeof(env), ":%s", zones[i]);
        sk_t_zone_vs_glibc(zones[i], env);
    }
    /* the exact second New York springs forward (2026-03-08 02:00 EST) */
    assert_int_equal(sk_tz_load("America/New_York", &z, &err), 0);
    assert_int_equal(sk_tz_offset(&z, 1772953200 - 1), -18000);
    assert_int_equal(sk_tz_offset(&z, 1772953200), -14400);
    sk_tz_free(&z);
    /* unknown zone: a clear error naming the file */
    assert_int_equal(sk_tz_load("Mars/Olympus", &z, &err), -1);
    assert_non_null(strstr(err, "/usr/share/zoneinfo/Mars/Olympus"));
    free(err);
}

/* POSIX TZ strings (the TZ variable, TZif footers) */
static void test_posix(void **state)
{
    struct sk_tz z = {0};

    (void)state;
    assert_int_equal(sk_tz_posix("JST-9", INT64_MIN / 2, &z), 0);
    assert_int_equal(sk_tz_offset(&z, 1796175000), 32400);
    sk_tz_free(&z);
    assert_int_equal(sk_tz_posix("CET-1CEST,M3.5.0,M10.5.0/3", INT64_MIN / 2, &z), 0);
    assert_int_equal(sk_tz_offset(&z, 1774746000 - 1), 3600); /* 2026-03-29 01:00Z */
    assert_int_equal(sk_tz_offset(&z, 1774746000), 7200);
    sk_tz_free(&z);
    assert_int_equal(sk_tz_posix("<+0330>-3:30", INT64_MIN / 2, &z), 0);
    assert_int_equal(sk_tz_offset(&z, 0), 12600);
    sk_tz_free(&z);
    assert_int_equal(sk_tz_posix("EST5EDT", INT64_MIN / 2, &z), -2); /* DST without rules */
    sk_tz_free(&z);
    assert_int_equal(sk_tz_posix("EST5EDT,M3", INT64_MIN / 2, &z), -1); /* a cut rule */
    sk_tz_free(&z);
    {
        /* red team 7: a node with TZ=CET-1CEST (no rules) decided its
         * local schedules in UTC, 1-2 h off; now the load is refused */
        char *err = NULL;
        setenv("TZ", "CET-1CEST", 1);
        assert_int_equal(sk_tz_load("", &z, &err), -1);
        assert_non_null(strstr(err, "TZ=CET-1CEST has daylight saving time without rules"));
        free(err);
        err = NULL;
        setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1); /* with rules: fine */
        assert_int_equal(sk_tz_load("", &z, &err), 0);
        assert_int_equal(sk_tz_offset(&z, 1783000000), 7200);
        sk_tz_free(&z);
        setenv("TZ", "garbage!", 1); /* unusable: UTC, as glibc */
        assert_int_equal(sk_tz_load("", &z, &err), 0);
        assert_int_equal(sk_tz_offset(&z, 1783000000), 0);
        sk_tz_free(&z);
        unsetenv("TZ");
    }
    assert_int_equal(sk_tz_posix("X-9", INT64_MIN / 2, &z), -1);
    sk_tz_free(&z);
    /* a TZif image that is cut short is refused, not half-read */
    static const unsigned char junk[] = "TZif2\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
                                        "\0\0\0\0\0\0\0\0\0\0\0\0\5";
    assert_int_equal(sk_tz_parse_tzif(junk, sizeof(junk) - 1, &z), -1);
}

/* ---- decisions of a real snapshot ---- */

struct sk_tdb {
    char dir[64], path[128];
    struct sk_pdb *db;
};

static int sk_t_setup(void **state)
{
    struct sk_tdb *t = calloc(1, sizeof(*t));
    char *err = NULL;

    if (t == NULL)
        return -1;
    strcpy(t->dir, "/tmp/sk-test-sched-XXXXXX");
    if (mkdtemp(t->dir) == NULL)
        return -1;
    snprintf(t->path, sizeof(t->path), "%s/policy.db", t->dir);
    if ((t->db = sk_pdb_open(t->path, SK_PDB_RW | SK_PDB_CREATE, &err)) == NULL ||
        sk_pdb_init(t->db, "tester", &err) != 0) {
        fprintf(stderr, "setup: %s\n", err);
        return -1;
    }
    *state = t;
    return 0;
}

static int sk_t_teardown(void **state)
{
    struct sk_tdb *t = *state;

    sk_pdb_close(t->db);
    sk_t_remove_db(t->dir, t->path);
    free(t);
    return 0;
}

#define SK_OK(expr)                                                                                \
    do {                                                                                           \
        int64_t rc_ = (expr);                                                                      \
        if (rc_ < 0)                                                                               \
            fail_msg("%s: %lld", #expr, (long long)rc_);                                           \
    } while (0)

static void sk_t_sched(struct sk_pdb *db, const char *name, const char *days, const char *t1,
                       const char *t2, const char *tz)
{
    const char *times[2] = {t1, t2};
    char *err = NULL;

    if (sk_pdb_schedule_add(db, name, days, times, t2 ? 2 : t1 ? 1 : 0, tz, &err) < 0)
        fail_msg("schedule %s: %s", name, err);
}

static void sk_t_rule(struct sk_pdb *db, const char *list, const char *domain, const char *when)
{
    char *err = NULL;

    if (sk_pdb_url_add(db, NULL, list, "domain", domain, "", &err) < 0 ||
        (when && sk_pdb_url_when(db, NULL, list, "domain", domain, when, &err) != 1))
        fail_msg("rule %s: %s", domain, err ? err : "not updated");
}

/* verdict name of URL at ISO time AT, for the default policy */
static const char *sk_t_at(const struct sk_snapshot *s, const char *url, const char *at,
                           struct sk_url_decision *d)
{
    struct sk_url u = {0};
    char *err = NULL;
    int64_t t;

    if (sk_pdb_parse_time(at, &t) != 0)
        fail_msg("bad time %s", at);
    if (sk_url_normalize(url, 0, &u, &err) != 0)
        fail_msg("url %s: %s", url, err);
    assert_int_equal(sk_policy_check_url_at(sk_snapshot_default(s), &u, t, d), 0);
    sk_url_free(&u);
    return sk_url_verdict_name(d->verdict);
}

static void test_decide(void **state)
{
    struct sk_tdb *t = *state;
    struct sk_url_decision d;
    struct sk_snapshot *s;
    char *err = NULL;
    static const struct {
        const char *url, *at, *verdict, *when;
    } c[] = {
        /* business: mon-fri 09:00-12:00, 13:00-18:00 Asia/Tokyo */
        {"http://games.example/", "2026-12-02T10:30:00+09:00", "block", "business"}, /* Wed */
        {"http://games.example/", "2026-12-02T01:30:00Z", "block", "business"},      /* same */
        {"http://games.example/", "2026-12-02T12:30:00+09:00", "none", ""},          /* lunch */
        {"http://games.example/", "2026-12-02T08:59:59+09:00", "none", ""},
        {"http://games.example/", "2026-12-02T09:00:00+09:00", "block", "business"},
        {"http://games.example/", "2026-12-02T17:59:59+09:00", "block", "business"},
        {"http://games.example/", "2026-12-02T18:00:00+09:00", "none", ""},
        {"http://games.example/", "2026-12-05T10:30:00+09:00", "none", ""}, /* Saturday */
        /* Friday 10:30 in Tokyo is Thursday 20:30 in New York: the
         * schedule's zone decides, not the offset of the time given */
        {"http://games.example/", "2026-12-03T20:30:00-05:00", "block", "business"},
        /* negation: news is blocked outside business hours */
        {"http://news.example/", "2026-12-02T12:30:00+09:00", "block", "!business"},
        {"http://news.example/", "2026-12-02T10:30:00+09:00", "none", ""},
        {"http://news.example/", "2026-12-05T10:30:00+09:00", "block", "!business"},
        /* night: fri 22:00-24:00 UTC, the day boundary and 24:00 */
        {"http://late.example/", "2026-12-04T23:59:59Z", "block", "night"},
        {"http://late.example/", "2026-12-05T00:00:00Z", "none", ""},
        {"http://late.example/", "2026-12-04T21:59:59Z", "none", ""},
        {"http://late.example/", "2026-12-04T22:00:00Z", "block", "night"},
        {"http://late.example/", "2026-12-03T23:00:00Z", "none", ""}, /* Thursday */
        /* an allow rule inside its schedule beats an always-on block */
        {"http://tools.example/", "2026-12-02T10:30:00+09:00", "allow", "business"},
        {"http://tools.example/", "2026-12-02T20:30:00+09:00", "block", ""},
        /* category block with a schedule */
        {"http://casino.example/", "2026-12-02T10:30:00+09:00", "block", "business"},
        {"http://casino.example/", "2026-12-02T12:30:00+09:00", "none", ""},
    };

    sk_t_sched(t->db, "business", "mon-fri", "09:00-12:00", "13:00-18:00", "Asia/Tokyo");
    sk_t_sched(t->db, "night", "fri", "22:00-24:00", NULL, "UTC");
    sk_t_rule(t->db, "block", "games.example", "business");
    sk_t_rule(t->db, "block", "news.example", "!business");
    sk_t_rule(t->db, "block", "late.example", "night");
    sk_t_rule(t->db, "block", "tools.example", NULL);
    sk_t_rule(t->db, "allow", "tools.example", "business");
    assert_int_equal(sqlite3_exec(sk_pdb_sqlite(t->db),
                                  "INSERT INTO categories(id, name) VALUES (1, 'gambling');"
                                  "INSERT INTO category_entries VALUES (1, 'domain',"
                                  " 'casino.example');",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    SK_OK(sk_pdb_category_block(t->db, NULL, "gambling", 1, &err));
    assert_int_equal(sk_pdb_category_when(t->db, NULL, "gambling", "business", &err), 1);
    /* unknown schedules and bad --when are refused */
    assert_int_equal(sk_pdb_url_when(t->db, NULL, "block", "domain", "games.example", "nope", &err),
                     SK_PDB_REJECT);
    free(err);
    err = NULL;
    assert_int_equal(sk_pdb_when_check(t->db, "!!business", &err), SK_PDB_REJECT);
    free(err);
    err = NULL;

    if ((s = sk_snapshot_load(t->db, &err)) == NULL)
        fail_msg("load: %s", err);
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        const char *v = sk_t_at(s, c[i].url, c[i].at, &d);
        if (strcmp(v, c[i].verdict) != 0 || strcmp(d.when, c[i].when) != 0)
            fail_msg("%s at %s: %s when '%s', want %s when '%s'", c[i].url, c[i].at, v, d.when,
                     c[i].verdict, c[i].when);
    }
    /* SK_AT_ANY: every schedule applies (check's explanation) */
    struct sk_url u = {0};
    assert_int_equal(sk_url_normalize("http://games.example/", 0, &u, &err), 0);
    assert_int_equal(sk_policy_check_url_at(sk_snapshot_default(s), &u, SK_AT_ANY, &d), 0);
    assert_int_equal(d.verdict, SK_URL_BLOCK);
    sk_url_free(&u);
    char line[400];
    assert_int_equal(sk_snapshot_schedule_explain(s, "business", 1796175000, line, sizeof(line)),
                     1);
    assert_non_null(strstr(line, "Wed 10:30"));
    assert_non_null(strstr(line, "Asia/Tokyo"));
    assert_int_equal(sk_snapshot_schedule_explain(s, "!business", 1796175000, line, sizeof(line)),
                     0);
    assert_int_equal(sk_snapshot_schedule_explain(s, "nope", 1796175000, line, sizeof(line)), -1);
    /* the ISTag's schedule state: same while nothing starts or ends,
     * another value across a boundary (Wed 10:30 vs 12:30 JST) */
    uint64_t in1 = sk_snapshot_schedule_state(s, 1796175000),
             in2 = sk_snapshot_schedule_state(s, 1796175000 + 60),
             out = sk_snapshot_schedule_state(s, 1796175000 + 7200);
    assert_true(in1 != 0);
    assert_true(in1 == in2);
    assert_true(in1 != out);
    sk_snapshot_unref(s);
    /* a node without the zone (no tzdata): the load fails naming the
     * schedule and the file; the server keeps its last good policy */
    assert_int_equal(sqlite3_exec(sk_pdb_sqlite(t->db),
                                  "UPDATE schedules SET tz = 'Mars/Olympus' WHERE name = 'night'",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_null(s = sk_snapshot_load(t->db, &err));
    assert_non_null(strstr(err, "schedule 'night'"));
    assert_non_null(strstr(err, "/usr/share/zoneinfo/Mars/Olympus"));
    free(err);
    err = NULL;
    /* and a stored value that does not parse is refused the same way */
    assert_int_equal(sqlite3_exec(sk_pdb_sqlite(t->db),
                                  "UPDATE schedules SET tz = 'UTC', times = '18:00-09:00'"
                                  " WHERE name = 'night'",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_null(s = sk_snapshot_load(t->db, &err));
    assert_non_null(strstr(err, "cannot cross midnight"));
    free(err);
}

/* Wall-clock semantics at daylight-saving changes and in odd zones (red
 * team 7; README "Schedules"): the zone's clock and weekday decide. */
static void test_dst(void **state)
{
    struct sk_tdb *t = *state;
    struct sk_url_decision d;
    struct sk_snapshot *s;
    char *err = NULL;
    static const struct {
        const char *url, *at, *verdict;
    } c[] = {
        /* New York springs forward 2026-03-08 02:00 EST -> 03:00 EDT */
        {"http://gap.example/", "2026-03-08T03:00:00-04:00", "block"}, /* 02:30-04:00 */
        {"http://gap.example/", "2026-03-08T01:59:59-05:00", "none"},
        {"http://early.example/", "2026-03-08T01:59:59-05:00", "block"}, /* 01:00-02:30 */
        {"http://early.example/", "2026-03-08T03:00:00-04:00", "none"},
        {"http://inside.example/", "2026-03-08T01:59:59-05:00", "none"}, /* 02:00-03:00 */
        {"http://inside.example/", "2026-03-08T03:00:00-04:00", "none"},
        {"http://inside.example/", "2026-03-15T02:30:00-04:00", "block"}, /* next Sunday */
        /* falls back 2026-11-01 02:00 EDT -> 01:00 EST: 01:00-02:00 twice */
        {"http://back.example/", "2026-11-01T01:00:00-04:00", "block"},
        {"http://back.example/", "2026-11-01T01:59:59-04:00", "block"},
        {"http://back.example/", "2026-11-01T01:00:00-05:00", "block"},
        {"http://back.example/", "2026-11-01T01:59:59-05:00", "block"},
        {"http://back.example/", "2026-11-01T02:00:00-05:00", "none"},
        /* Lord Howe: +10:30, DST +11 (30 min), 2026-10-04 02:00 -> 02:30 */
        {"http://lh.example/", "2026-10-04T01:59:59+10:30", "none"},
        {"http://lh.example/", "2026-10-04T02:30:00+11:00", "block"},
        {"http://lh.example/", "2026-10-04T02:59:59+11:00", "block"},
        {"http://lh.example/", "2026-10-04T03:00:00+11:00", "none"},
        /* Kathmandu +05:45 */
        {"http://ktm.example/", "2026-12-02T03:14:59Z", "none"},
        {"http://ktm.example/", "2026-12-02T03:15:00Z", "block"},
        {"http://ktm.example/", "2026-12-02T11:14:59Z", "block"},
        {"http://ktm.example/", "2026-12-02T11:15:00Z", "none"},
        /* fri-mon in Berlin around its DST Sunday (2026-03-29) */
        {"http://wk.example/", "2026-03-29T21:59:59Z", "block"}, /* Sun 23:59:59 CEST */
        {"http://wk.example/", "2026-03-30T21:59:59Z", "block"}, /* Mon 23:59:59 */
        {"http://wk.example/", "2026-03-30T22:00:00Z", "none"},  /* Tue 00:00 */
        {"http://wk.example/", "2026-03-26T23:00:00Z", "block"}, /* Fri 00:00 CET */
        {"http://wk.example/", "2026-03-26T22:59:59Z", "none"},  /* Thu 23:59:59 */
    };

    sk_t_sched(t->db, "gap", "sun", "02:30-04:00", NULL, "America/New_York");
    sk_t_sched(t->db, "early", "sun", "01:00-02:30", NULL, "America/New_York");
    sk_t_sched(t->db, "inside", "sun", "02:00-03:00", NULL, "America/New_York");
    sk_t_sched(t->db, "back", "sun", "01:00-02:00", NULL, "America/New_York");
    sk_t_sched(t->db, "lh", "sun", "02:00-03:00", NULL, "Australia/Lord_Howe");
    sk_t_sched(t->db, "ktm", "mon-fri", "09:00-17:00", NULL, "Asia/Kathmandu");
    sk_t_sched(t->db, "wk", "fri-mon", NULL, NULL, "Europe/Berlin");
    sk_t_rule(t->db, "block", "gap.example", "gap");
    sk_t_rule(t->db, "block", "early.example", "early");
    sk_t_rule(t->db, "block", "inside.example", "inside");
    sk_t_rule(t->db, "block", "back.example", "back");
    sk_t_rule(t->db, "block", "lh.example", "lh");
    sk_t_rule(t->db, "block", "ktm.example", "ktm");
    sk_t_rule(t->db, "block", "wk.example", "wk");
    if ((s = sk_snapshot_load(t->db, &err)) == NULL)
        fail_msg("load: %s", err);
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        const char *v = sk_t_at(s, c[i].url, c[i].at, &d);
        if (strcmp(v, c[i].verdict) != 0)
            fail_msg("%s at %s: %s, want %s", c[i].url, c[i].at, v, c[i].verdict);
    }
    sk_snapshot_unref(s);
}

/* DLP templates with a schedule count only inside it */
static void test_dlp_when(void **state)
{
    struct sk_tdb *t = *state;
    const char *det[] = {"credit-card"};
    struct sk_snapshot *s;
    char *err = NULL;
    size_t n;

    sk_t_sched(t->db, "business", "mon-fri", "09:00-18:00", NULL, "Asia/Tokyo");
    SK_OK(sk_pdb_dlp_add(t->db, NULL, "cards", det, 1, 1, "block", &err));
    SK_OK(sk_pdb_dlp_add(t->db, NULL, "always", det, 1, 1, "log", &err));
    assert_int_equal(sk_pdb_dlp_when(t->db, NULL, "cards", "business", &err), 1);
    if ((s = sk_snapshot_load(t->db, &err)) == NULL)
        fail_msg("load: %s", err);
    const struct sk_policy *def = sk_snapshot_default(s);
    const struct sk_dlp_template *tp = sk_policy_dlp(def, &n);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++) {
        int cards = strcmp(tp[i].name, "cards") == 0;
        assert_int_equal(sk_policy_dlp_active(def, i, 1796175000), 1);     /* Wed 10:30 JST */
        assert_int_equal(sk_policy_dlp_active(def, i, 1796175000 + 36000), /* Wed 20:30 */
                         cards ? 0 : 1);
    }
    assert_int_equal(sk_policy_dlp_active(def, 5, 1796175000), 0);
    sk_snapshot_unref(s);
}

/* schedule rm names what still uses it; the export carries schedules
 * and import restores them; the content hash moves with a schedule */
static void test_rm_export(void **state)
{
    struct sk_tdb *t = *state;
    char *err = NULL, h1[SK_PDB_HASH_HEX + 1], h2[SK_PDB_HASH_HEX + 1], h3[SK_PDB_HASH_HEX + 1];
    FILE *f;
    char *doc = NULL;
    size_t len = 0;

    assert_int_equal(sk_pdb_content_hash(t->db, h1, &err), 0);
    sk_t_sched(t->db, "business", "mon-fri", "09:00-18:00", NULL, "Asia/Tokyo");
    assert_int_equal(sk_pdb_content_hash(t->db, h2, &err), 0);
    assert_string_not_equal(h1, h2);
    sk_t_rule(t->db, "block", "games.example", "business");
    assert_int_equal(sk_pdb_schedule_rm(t->db, "business", &err), SK_PDB_REJECT);
    assert_non_null(strstr(err, "URL rule 1 (block domain games.example, policy default)"));
    free(err);
    err = NULL;
    assert_int_equal(sk_pdb_schedule_rm(t->db, "nope", &err), SK_PDB_REJECT);
    free(err);
    err = NULL;
    /* the database refuses a when_sched naming no schedule (hand-made SQL) */
    assert_int_not_equal(sqlite3_exec(sk_pdb_sqlite(t->db),
                                      "UPDATE url_rules SET when_sched = '!ghost'", NULL, NULL,
                                      NULL),
                         SQLITE_OK);

    f = open_memstream(&doc, &len);
    assert_int_equal(sk_pdb_export(t->db, f, &err), 0);
    fclose(f);
    assert_non_null(strstr(doc, "\"when\": \"business\""));
    assert_non_null(strstr(doc, "\"tz\": \"Asia/Tokyo\""));
    assert_int_equal(sk_pdb_content_hash(t->db, h2, &err), 0);
    /* change the schedule's hours: same rules, another hash */
    sk_t_sched(t->db, "business", "mon-fri", "09:00-17:00", NULL, "Asia/Tokyo");
    assert_int_equal(sk_pdb_content_hash(t->db, h3, &err), 0);
    assert_string_not_equal(h2, h3);
    /* import the earlier document: the earlier state, same hash */
    assert_int_equal(sk_pdb_import(t->db, doc, len, &err), 0);
    assert_int_equal(sk_pdb_content_hash(t->db, h3, &err), 0);
    assert_string_equal(h2, h3);
    assert_int_equal(sk_pdb_url_rm(t->db, NULL, "block", "domain", "games.example", &err), 1);
    assert_int_equal(sk_pdb_schedule_rm(t->db, "business", &err), 0);
    assert_int_equal(sk_pdb_content_hash(t->db, h3, &err), 0);
    assert_string_equal(h1, h3); /* no schedules: the document of before */
    /* a document naming an unknown schedule is refused */
    const char *bad = "{\"format\": \"sekisho-policy\", \"version\": 1, \"policies\": [{\"name\":"
                      " \"default\", \"priority\": 1000000, \"enabled\": true, \"comment\": \"\","
                      " \"scopes\": [], \"settings\": {}, \"url_rules\": [{\"list\": \"block\","
                      " \"match\": \"domain\", \"pattern\": \"a.example\", \"comment\": \"\","
                      " \"when\": \"ghost\"}], \"categories\": [], \"dlp_templates\": []}],"
                      " \"categories\": []}";
    assert_int_equal(sk_pdb_import(t->db, bad, strlen(bad), &err), SK_PDB_REJECT);
    assert_non_null(strstr(err, "ghost"));
    free(err);
    free(doc);
}

/* a v3 database (no schedules, no when_sched) keeps its rules and ids */
static void test_migrate_v3(void **state)
{
    struct sk_tdb *t = *state;
    char *err = NULL;
    struct sk_snapshot *s;
    struct sk_url_decision d;

    sk_t_rule(t->db, "block", "old.example", NULL);
    assert_int_equal(sqlite3_exec(sk_pdb_sqlite(t->db),
                                  "UPDATE url_rules SET id = 77, comment = 'kept';"
                                  "DROP TABLE directories;" /* v5 */
                                  "DROP TRIGGER"
                                  " schedules_fixed_name; DROP TRIGGER url_rules_when;"
                                  "DROP TRIGGER policy_categories_when; DROP TRIGGER"
                                  " dlp_templates_when; DROP TABLE schedules;"
                                  "ALTER TABLE url_rules DROP COLUMN when_sched;"
                                  "ALTER TABLE policy_categories DROP COLUMN when_sched;"
                                  "ALTER TABLE dlp_templates DROP COLUMN when_sched;"
                                  "PRAGMA user_version = 3;",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    assert_int_equal(sk_pdb_schema_version(t->db), 3);
    assert_int_equal(sk_pdb_init(t->db, "tester", &err), 0);
    assert_int_equal(sk_pdb_schema_version(t->db), SK_PDB_SCHEMA_VERSION);
    if ((s = sk_snapshot_load(t->db, &err)) == NULL)
        fail_msg("load: %s", err);
    assert_true(sk_snapshot_schedule_state(s, 1796175000) == 0); /* no schedules: ISTag as before */
    sk_snapshot_unref(s);
    sk_t_sched(t->db, "business", "mon-fri", "09:00-18:00", NULL, "UTC");
    assert_int_equal(
        sk_pdb_url_when(t->db, NULL, "block", "domain", "old.example", "business", &err), 1);
    if ((s = sk_snapshot_load(t->db, &err)) == NULL)
        fail_msg("load: %s", err);
    assert_string_equal(sk_t_at(s, "http://old.example/", "2026-12-02T10:00:00Z", &d), "block");
    assert_int_equal(d.rule_id, 77);
    assert_string_equal(sk_t_at(s, "http://old.example/", "2026-12-02T19:00:00Z", &d), "none");
    sk_snapshot_unref(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_days),
        cmocka_unit_test(test_times),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_iso),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_zones),
        cmocka_unit_test(test_posix),
        cmocka_unit_test_setup_teardown(test_decide, sk_t_setup, sk_t_teardown),
        cmocka_unit_test_setup_teardown(test_dst, sk_t_setup, sk_t_teardown),
        cmocka_unit_test_setup_teardown(test_dlp_when, sk_t_setup, sk_t_teardown),
        cmocka_unit_test_setup_teardown(test_rm_export, sk_t_setup, sk_t_teardown),
        cmocka_unit_test_setup_teardown(test_migrate_v3, sk_t_setup, sk_t_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

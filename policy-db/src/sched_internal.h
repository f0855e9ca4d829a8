/* sched_internal.h - schedules: the day/time grammar of `schedule add`,
 * time zones read from the system's TZif files, and the in-schedule test
 * the snapshot runs per request. Parsers take administrator input (CLI,
 * import, a hand-edited database); sk_tz_offset runs on the request path.
 * Not installed. */
#ifndef SK_SCHED_INTERNAL_H
#define SK_SCHED_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* Where zone names are looked up (Debian's tzdata). */
#define SK_TZ_DIR "/usr/share/zoneinfo"
/* Time ranges a schedule may hold. */
#define SK_SCHED_MAX_RANGES 32

/* ---- time zones (sched_tz.c) ---- */

/* UTC offset of a zone as a sorted transition table: from at[i] on the
 * offset is off[i]; before at[0] (or with n == 0) it is off0. The POSIX
 * rule at the end of a TZif file is expanded into the table up to 2100,
 * so a lookup is one binary search and never reads a file. */
struct sk_tz {
    int64_t *at;
    int32_t *off;
    size_t n;
    int32_t off0;
};

/* Is NAME a zone name we accept: "UTC", or a relative path of
 * [A-Za-z0-9_+-] components under SK_TZ_DIR ("Asia/Tokyo")? Syntax only. */
int sk_tz_name_ok(const char *name);
/*
 * Load zone NAME: "" means the node's local zone (the TZ environment
 * variable if it names a zone or is a POSIX TZ string, else /etc/localtime,
 * else UTC, as glibc does); "UTC" needs no file. 0, or -1 with *err
 * (malloc'd) naming the zone and the file, or TZ when it has daylight
 * saving time without rules (no date to follow but the C library's guess).
 */
int sk_tz_load(const char *name, struct sk_tz *out, char **err);
/* Parse a TZif image (v1 or v2+, with its POSIX footer) into OUT. */
int sk_tz_parse_tzif(const unsigned char *p, size_t len, struct sk_tz *out);
/* Parse a POSIX TZ string ("JST-9", "CET-1CEST,M3.5.0,M10.5.0/3") and
 * expand its rule for the years FROM..2100 after transition AFTER. 0; -2
 * for daylight saving time without rules ("CET-1CEST"), -1 otherwise. */
int sk_tz_posix(const char *s, int64_t after, struct sk_tz *out);
int32_t sk_tz_offset(const struct sk_tz *, int64_t t);
void sk_tz_free(struct sk_tz *);

/* ---- day/time specifications (sched_spec.c) ---- */

/* [from, to) in minutes of the local day; 0 <= from < to <= 1440. */
struct sk_sched_range {
    uint16_t from, to;
};

/* Bit d of days = weekday d as in struct tm (0 Sunday .. 6 Saturday).
 * Ranges sorted, overlapping and touching ones merged; none = all day. */
struct sk_sched_spec {
    uint8_t days;
    struct sk_sched_range r[SK_SCHED_MAX_RANGES];
    size_t nr;
};

/* "mon-fri", "sat,sun", "fri-mon" (wraps), "mon,wed-fri", "all" (case
 * insensitive). 0, or -1 with *err. */
int sk_sched_days_parse(const char *s, uint8_t *days, char **err);
/* "09:00-12:00": from 00:00..23:59, to 00:01..24:00, to > from. */
int sk_sched_range_parse(const char *s, struct sk_sched_range *r, char **err);
/* Add a range to SPEC keeping it sorted and merged. 0, -1 (too many). */
int sk_sched_spec_add(struct sk_sched_spec *, struct sk_sched_range r, char **err);
/* Stored forms back into SPEC: DAYS as above, TIMES "" or comma-joined
 * ranges. 0, or -1 with *err. */
int sk_sched_spec_parse(const char *days, const char *times, struct sk_sched_spec *, char **err);
/* Canonical texts: days Monday first ("mon-fri", "mon,wed,sat-sun",
 * "all"); times "09:00-12:00,13:00-18:00" or "" for all day. */
void sk_sched_days_format(uint8_t days, char *buf, size_t size);
void sk_sched_times_format(const struct sk_sched_spec *, char *buf, size_t size);
/* Is local weekday WDAY (0 Sunday), minute MIN (0..1439) inside SPEC? */
int sk_sched_spec_in(const struct sk_sched_spec *, int wday, int min);
/* Local weekday and minute of the day of UTC time T at offset OFF. */
void sk_sched_local(int64_t t, int32_t off, int *wday, int *min);
/* A schedule name: 1..64 of [A-Za-z0-9._-], not starting with '!' (that
 * is the negation in --when). 0, or -1 with *err. */
int sk_sched_name_valid(const char *name, char **err);
/* ISO 8601 with an offset ("2026-12-02T10:30:00+09:00", "...Z"; seconds
 * optional) into seconds since the epoch. 0 or -1. */
int sk_sched_parse_iso(const char *s, int64_t *out);
/* Days since 1970-01-01 of civil date Y-M-D (proleptic Gregorian). */
int64_t sk_sched_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif

/* sched_tz.c - time zones for schedules: the system's TZif files (RFC 8536)
 * and POSIX TZ rules, read once per snapshot into a transition table.
 * Why not localtime_r: glibc converts only in the process-wide zone, and
 * switching it (setenv("TZ") + tzset) races every other thread that logs
 * a local time; a table lookup per request is also cheaper than
 * localtime_r's lock. Trust: zone files are system files; zone names come
 * from the administrator and are confined to SK_TZ_DIR. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pdb_internal.h"
#include "sched_internal.h"

#define SK_TZ_MAX_FILE  (1 << 20)
#define SK_TZ_LAST_YEAR 2100

int sk_tz_name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0, comp = 0;

    if (n == 0 || n > 128 || name[0] == '/' || name[n - 1] == '/')
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c == '/') {
            if (comp == 0)
                return 0;
            comp = 0;
            continue;
        }
        /* no '.': neither ".." nor hidden files can be named */
        if (!isalnum(c) && c != '_' && c != '-' && c != '+')
            return 0;
        comp++;
    }
    return 1;
}

static int sk_tz_push(struct sk_tz *z, size_t *cap, int64_t at, int32_t off)
{
    if (z->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        int64_t *a = realloc(z->at, nc * sizeof(*a));
        if (a == NULL)
            return -1;
        z->at = a;
        int32_t *o = realloc(z->off, nc * sizeof(*o));
        if (o == NULL)
            return -1;
        z->off = o;
        *cap = nc;
    }
    z->at[z->n] = at;
    z->off[z->n++] = off;
    return 0;
}

/* ---- POSIX TZ strings ---- */

static int sk_tz_name(const char **p)
{
    const char *s = *p;

    if (*s == '<') {
        const char *e = strchr(s, '>');
        if (e == NULL || e - s < 4)
            return -1;
        *p = e + 1;
        return 0;
    }
    while (isalpha((unsigned char)**p))
        (*p)++;
    return *p - s >= 3 ? 0 : -1;
}

/* [+-]hh[:mm[:ss]] into seconds; hours up to 167 (RFC 8536 extension). */
static int sk_tz_hms(const char **p, int32_t *out)
{
    int sign = 1, part[3] = {0, 0, 0};

    if (**p == '+' || **p == '-')
        sign = *(*p)++ == '-' ? -1 : 1;
    for (int i = 0; i < 3; i++) {
        if (i > 0 && **p != ':')
            break;
        if (i > 0)
            (*p)++;
        if (!isdigit((unsigned char)**p))
            return -1;
        while (isdigit((unsigned char)**p)) {
            part[i] = part[i] * 10 + (*(*p)++ - '0');
            if (part[i] > 167)
                return -1;
        }
    }
    *out = sign * (part[0] * 3600 + part[1] * 60 + part[2]);
    return 0;
}

struct sk_tz_rule {
    char kind; /* 'M', 'J', 'n' */
    int m, w, d, day;
    int32_t time; /* seconds after local midnight, default 2:00 */
};

static int sk_tz_num(const char **p, int lo, int hi, int *out)
{
    int v = 0;

    if (!isdigit((unsigned char)**p))
        return -1;
    while (isdigit((unsigned char)**p)) {
        v = v * 10 + (*(*p)++ - '0');
        if (v > hi)
            return -1;
    }
    if (v < lo)
        return -1;
    *out = v;
    return 0;
}

static int sk_tz_rule_parse(const char **p, struct sk_tz_rule *r)
{
    r->time = 7200;
    if (**p == 'M') {
        (*p)++;
        r->kind = 'M';
        if (sk_tz_num(p, 1, 12, &r->m) == -1 || *(*p)++ != '.' || sk_tz_num(p, 1, 5, &r->w) == -1 ||
            *(*p)++ != '.' || sk_tz_num(p, 0, 6, &r->d) == -1)
            return -1;
    } else if (**p == 'J') {
        (*p)++;
        r->kind = 'J';
        if (sk_tz_num(p, 1, 365, &r->day) == -1)
            return -1;
    } else {
        r->kind = 'n';
        if (sk_tz_num(p, 0, 365, &r->day) == -1)
            return -1;
    }
    if (**p == '/') {
        (*p)++;
        if (sk_tz_hms(p, &r->time) == -1)
            return -1;
    }
    return 0;
}

static int sk_leap(int64_t y)
{
    return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

/* Seconds since the epoch of rule R in year Y, as local time at OFF. */
static int64_t sk_tz_rule_at(const struct sk_tz_rule *r, int64_t y, int32_t off)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t day;

    if (r->kind == 'J') {
        day = sk_sched_days_from_civil(y, 1, 1) + r->day - 1 + (sk_leap(y) && r->day >= 60);
    } else if (r->kind == 'n') {
        day = sk_sched_days_from_civil(y, 1, 1) + r->day;
    } else {
        int64_t first = sk_sched_days_from_civil(y, (unsigned)r->m, 1);
        int wd1 = (int)(((first % 7) + 11) % 7), len = mdays[r->m - 1] + (r->m == 2 && sk_leap(y));
        int dom = 1 + (r->d - wd1 + 7) % 7 + (r->w - 1) * 7;
        while (dom > len)
            dom -= 7;
        day = first + dom - 1;
    }
    return day * 86400 + r->time - off;
}

int sk_tz_posix(const char *s, int64_t after, struct sk_tz *out)
{
    struct sk_tz_rule start, end;
    int32_t std, dst;
    size_t cap = out->n;
    const char *p = s;
    int64_t y0;

    /* POSIX offsets are west-positive: "JST-9" is UTC+9 */
    if (sk_tz_name(&p) == -1 || sk_tz_hms(&p, &std) == -1)
        return -1;
    std = -std;
    if (*p == '\0') {
        if (out->n == 0)
            out->off0 = std;
        else if (out->off[out->n - 1] != std)
            return sk_tz_push(out, &cap, after + 1, std);
        return 0;
    }
    if (sk_tz_name(&p) == -1)
        return -1;
    dst = std + 3600;
    if (*p != ',' && *p != '\0') {
        if (sk_tz_hms(&p, &dst) == -1)
            return -1;
        dst = -dst;
    }
    if (*p == '\0')
        return -2; /* DST without rules: POSIX leaves them to the system */
    if (*p++ != ',' || sk_tz_rule_parse(&p, &start) == -1 || *p++ != ',' ||
        sk_tz_rule_parse(&p, &end) == -1 || *p != '\0')
        return -1;
    if (out->n == 0)
        out->off0 = std;
    y0 = out->n ? 1970 + after / (365 * 86400 + 86400 / 4) - 1 : 1970;
    for (int64_t y = y0; y <= SK_TZ_LAST_YEAR; y++) {
        int64_t a = sk_tz_rule_at(&start, y, std), b = sk_tz_rule_at(&end, y, dst);
        int64_t t1 = a < b ? a : b, t2 = a < b ? b : a;
        int32_t o1 = a < b ? dst : std, o2 = a < b ? std : dst;
        if (t1 > after && (out->n == 0 || out->off[out->n - 1] != o1) &&
            sk_tz_push(out, &cap, t1, o1) == -1)
            return -1;
        if (t2 > after && (out->n == 0 || out->off[out->n - 1] != o2) &&
            sk_tz_push(out, &cap, t2, o2) == -1)
            return -1;
    }
    return 0;
}

/* ---- TZif ---- */

static uint32_t sk_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int sk_tz_parse_tzif(const unsigned char *p, size_t len, struct sk_tz *out)
{
    const unsigned char *end = p + len, *h = p, *times, *idx, *types;
    uint32_t isut, isstd, leap, timecnt, typecnt, charcnt;
    size_t tsize = 4, cap = 0, data;
    char footer[128];

    memset(out, 0, sizeof(*out));
    for (int pass = 0;; pass++) {
        if ((size_t)(end - h) < 44 || memcmp(h, "TZif", 4) != 0)
            return -1;
        isut = sk_be32(h + 20), isstd = sk_be32(h + 24), leap = sk_be32(h + 28);
        timecnt = sk_be32(h + 32), typecnt = sk_be32(h + 36), charcnt = sk_be32(h + 40);
        if (typecnt == 0 || typecnt > 256 || timecnt > 100000 || leap > 100000 ||
            charcnt > 100000 || isut > 256 || isstd > 256)
            return -1;
        data =
            timecnt * tsize + timecnt + typecnt * 6 + charcnt + leap * (tsize + 4) + isstd + isut;
        if ((size_t)(end - h) - 44 < data)
            return -1;
        /* version 2+: skip the 32-bit block, use the 64-bit one */
        if (pass == 0 && h[4] >= '2') {
            h += 44 + data;
            tsize = 8;
            continue;
        }
        break;
    }
    times = h + 44;
    idx = times + timecnt * tsize;
    types = idx + timecnt;
    /* before the first transition: the first type (RFC 8536 3.2) */
    out->off0 = (int32_t)sk_be32(types);
    for (uint32_t i = 0; i < timecnt; i++) {
        int64_t at =
            tsize == 8
                ? (int64_t)((uint64_t)sk_be32(times + 8 * i) << 32 | sk_be32(times + 8 * i + 4))
                : (int32_t)sk_be32(times + 4 * i);
        if (idx[i] >= typecnt || (out->n && at <= out->at[out->n - 1]))
            goto bad;
        if (sk_tz_push(out, &cap, at, (int32_t)sk_be32(types + 6 * idx[i])) == -1)
            goto bad;
    }
    if (tsize == 8) {
        /* footer: "\n" POSIX-TZ "\n", extends the table past its end */
        const unsigned char *f = h + 44 + data, *nl;
        if (f < end && *f == '\n' && (nl = memchr(f + 1, '\n', (size_t)(end - f - 1))) != NULL &&
            nl > f + 1 && (size_t)(nl - f - 1) < sizeof(footer)) {
            memcpy(footer, f + 1, (size_t)(nl - f - 1));
            footer[nl - f - 1] = '\0';
            if (sk_tz_posix(footer, out->n ? out->at[out->n - 1] : INT64_MIN / 2, out) == -1)
                goto bad;
        }
    }
    return 0;
bad:
    sk_tz_free(out);
    return -1;
}

static int sk_tz_file(const char *path, struct sk_tz *out, char **err)
{
    unsigned char *buf = NULL;
    struct stat st;
    int fd, rc = -1;
    ssize_t n;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
        return sk_pdb_errf(err, "cannot read time zone file %s: %s", path, strerror(errno));
    if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size > SK_TZ_MAX_FILE ||
        (buf = malloc((size_t)st.st_size + 1)) == NULL) {
        sk_pdb_errf(err, "cannot read time zone file %s: not a regular file of at most 1 MiB",
                    path);
        goto out;
    }
    if ((n = read(fd, buf, (size_t)st.st_size)) != st.st_size) {
        sk_pdb_errf(err, "cannot read time zone file %s: short read", path);
        goto out;
    }
    if (sk_tz_parse_tzif(buf, (size_t)n, out) == -1) {
        sk_pdb_errf(err, "time zone file %s is not a valid TZif file", path);
        goto out;
    }
    rc = 0;
out:
    free(buf);
    close(fd);
    return rc;
}

int sk_tz_load(const char *name, struct sk_tz *out, char **err)
{
    char path[256];

    memset(out, 0, sizeof(*out));
    if (name != NULL && strcmp(name, "UTC") == 0)
        return 0;
    if (name != NULL && *name) {
        if (!sk_tz_name_ok(name))
            return sk_pdb_errf(err, "invalid time zone name '%s'", name);
        snprintf(path, sizeof(path), "%s/%s", SK_TZ_DIR, name);
        if (access(path, R_OK) == -1)
            return sk_pdb_errf(err,
                               "unknown time zone '%s': no %s (is the tzdata package"
                               " installed?)",
                               name, path);
        return sk_tz_file(path, out, err);
    }
    /* the node's local zone, as glibc finds it */
    const char *tz = getenv("TZ");
    if (tz != NULL && *tz) {
        if (*tz == ':')
            tz++;
        if (sk_tz_name_ok(tz)) {
            snprintf(path, sizeof(path), "%s/%s", SK_TZ_DIR, tz);
            if (access(path, R_OK) == 0)
                return sk_tz_file(path, out, err);
        }
        int rc = sk_tz_posix(tz, INT64_MIN / 2, out);
        if (rc == 0)
            return 0;
        sk_tz_free(out);
        /* "CET-1CEST": the dates are the C library's guess (glibc shifts
         * posixrules' New York dates oddly: 13:00Z in 2026, New York's own
         * offsets after 2037), so a node-local schedule could be hours off.
         * Refused like a missing zone: the node keeps its last policy. */
        if (rc == -2)
            return sk_pdb_errf(err,
                               "the node's TZ=%s has daylight saving time without rules; set TZ"
                               " to a zone name (e.g. Europe/Berlin) or give the schedule --tz",
                               tz);
        return 0; /* glibc treats an unusable TZ as UTC too */
    }
    if (access("/etc/localtime", R_OK) == 0)
        return sk_tz_file("/etc/localtime", out, err);
    return 0; /* no /etc/localtime: UTC, as glibc */
}

int32_t sk_tz_offset(const struct sk_tz *z, int64_t t)
{
    size_t lo = 0, hi = z->n;

    if (z->n == 0 || t < z->at[0])
        return z->off0;
    /* last transition at or before t */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (z->at[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return z->off[lo];
}

void sk_tz_free(struct sk_tz *z)
{
    free(z->at);
    free(z->off);
    memset(z, 0, sizeof(*z));
}

/* sched_spec.c - the day and time grammar of schedules, canonical forms,
 * the in-schedule test and the ISO 8601 times of `check --at`.
 * Trust: parses administrator input (CLI, import, a hand-edited database);
 * every form not described in sched_internal.h is refused. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pdb_internal.h"
#include "sched_internal.h"

#include <sekisho/policy_snapshot.h>

/* Monday first, as an administrator writes a week; index = tm_wday. */
static const char *const sk_day_names[7] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

static int sk_day_parse(const char *s, size_t len)
{
    for (int d = 0; d < 7; d++)
        if (len == 3 && strncasecmp(s, sk_day_names[d], 3) == 0)
            return d;
    return -1;
}

int sk_sched_days_parse(const char *s, uint8_t *days, char **err)
{
    const char *p = s;

    *days = 0;
    if (s == NULL || *s == '\0')
        return sk_pdb_errf(err, "empty --days (e.g. mon-fri, sat,sun, all)");
    if (strcasecmp(s, "all") == 0) {
        *days = 0x7f;
        return 0;
    }
    for (;;) {
        size_t n = strcspn(p, ",");
        const char *dash = memchr(p, '-', n);
        int a, b;

        if (dash == NULL) {
            a = b = sk_day_parse(p, n);
        } else {
            a = sk_day_parse(p, (size_t)(dash - p));
            b = sk_day_parse(dash + 1, n - (size_t)(dash - p) - 1);
        }
        if (a < 0 || b < 0)
            return sk_pdb_errf(err,
                               "invalid --days '%s': '%.*s' is not a day or day range"
                               " (mon tue wed thu fri sat sun, e.g. mon-fri or sat,sun)",
                               s, (int)n, p);
        /* fri-mon wraps over the weekend: a week is a cycle */
        for (int d = a;; d = (d + 1) % 7) {
            *days |= (uint8_t)(1u << d);
            if (d == b)
                break;
        }
        if (p[n] == '\0')
            return 0;
        p += n + 1;
    }
}

static int sk_hhmm(const char *s, size_t len, int *min)
{
    if (len != 5 || !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) || s[2] != ':' ||
        !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
        return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (m > 59 || h > 24 || (h == 24 && m != 0))
        return -1;
    *min = h * 60 + m;
    return 0;
}

int sk_sched_range_parse(const char *s, struct sk_sched_range *r, char **err)
{
    const char *dash = s ? strchr(s, '-') : NULL;
    int from, to;

    if (dash == NULL || sk_hhmm(s, (size_t)(dash - s), &from) == -1 ||
        sk_hhmm(dash + 1, strlen(dash + 1), &to) == -1)
        return sk_pdb_errf(err, "invalid --time '%s': expected HH:MM-HH:MM (00:00 to 24:00)",
                           s ? s : "");
    if (from == 1440)
        return sk_pdb_errf(err, "invalid --time '%s': 24:00 can only end a range", s);
    if (to <= from)
        return sk_pdb_errf(err,
                           "invalid --time '%s': the end must be after the start; a range"
                           " cannot cross midnight (give 22:00-24:00 and 00:00-06:00, or use"
                           " --when '!NAME' for the hours outside a schedule)",
                           s);
    r->from = (uint16_t)from;
    r->to = (uint16_t)to;
    return 0;
}

int sk_sched_spec_add(struct sk_sched_spec *sp, struct sk_sched_range r, char **err)
{
    size_t i, j;

    if (sp->nr == SK_SCHED_MAX_RANGES)
        return sk_pdb_errf(err, "too many time ranges (at most %d)", SK_SCHED_MAX_RANGES);
    for (i = 0; i < sp->nr && sp->r[i].from <= r.from; i++)
        ;
    memmove(&sp->r[i + 1], &sp->r[i], (sp->nr - i) * sizeof(r));
    sp->r[i] = r;
    sp->nr++;
    /* merge overlapping and touching neighbours (09:00-12:00 + 12:00-13:00) */
    for (i = 0, j = 1; j < sp->nr; j++) {
        if (sp->r[j].from <= sp->r[i].to) {
            if (sp->r[j].to > sp->r[i].to)
                sp->r[i].to = sp->r[j].to;
        } else {
            sp->r[++i] = sp->r[j];
        }
    }
    sp->nr = i + 1;
    return 0;
}

int sk_sched_spec_parse(const char *days, const char *times, struct sk_sched_spec *sp, char **err)
{
    char buf[16];

    memset(sp, 0, sizeof(*sp));
    if (sk_sched_days_parse(days, &sp->days, err) == -1)
        return -1;
    for (const char *p = times; p != NULL && *p;) {
        size_t n = strcspn(p, ",");
        struct sk_sched_range r;
        if (n >= sizeof(buf))
            return sk_pdb_errf(err, "invalid time range '%.*s'", (int)n, p);
        memcpy(buf, p, n);
        buf[n] = '\0';
        if (sk_sched_range_parse(buf, &r, err) == -1 || sk_sched_spec_add(sp, r, err) == -1)
            return -1;
        p += n + (p[n] == ',');
    }
    return 0;
}

void sk_sched_days_format(uint8_t days, char *buf, size_t size)
{
    size_t len = 0;

    buf[0] = '\0';
    if ((days & 0x7f) == 0x7f) {
        snprintf(buf, size, "all");
        return;
    }
    /* runs in Monday-first order: position k is weekday (k + 1) % 7 */
    for (int k = 0; k < 7;) {
        int d = (k + 1) % 7, e = k;
        if (!(days & (1u << d))) {
            k++;
            continue;
        }
        while (e + 1 < 7 && (days & (1u << ((e + 2) % 7))))
            e++;
        len += (size_t)snprintf(buf + len, len < size ? size - len : 0, "%s%s", len ? "," : "",
                                sk_day_names[d]);
        if (e > k)
            len += (size_t)snprintf(buf + len, len < size ? size - len : 0, "%s%s",
                                    e > k + 1 ? "-" : ",", sk_day_names[(e + 1) % 7]);
        k = e + 1;
    }
}

void sk_sched_times_format(const struct sk_sched_spec *sp, char *buf, size_t size)
{
    size_t len = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < sp->nr && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%02u:%02u-%02u:%02u", i ? "," : "",
                                sp->r[i].from / 60u, sp->r[i].from % 60u, sp->r[i].to / 60u,
                                sp->r[i].to % 60u);
}

int sk_sched_spec_in(const struct sk_sched_spec *sp, int wday, int min)
{
    if (!(sp->days & (1u << wday)))
        return 0;
    if (sp->nr == 0)
        return 1;
    for (size_t i = 0; i < sp->nr; i++)
        if (min >= sp->r[i].from && min < sp->r[i].to)
            return 1;
    return 0;
}

void sk_sched_local(int64_t t, int32_t off, int *wday, int *min)
{
    int64_t l = t + off, days = l / 86400, sec = l % 86400;

    if (sec < 0) { /* floor division for times before 1970 */
        sec += 86400;
        days--;
    }
    /* 1970-01-01 was a Thursday (4) */
    *wday = (int)(((days % 7) + 11) % 7);
    *min = (int)(sec / 60);
}

int sk_sched_name_valid(const char *name, char **err)
{
    size_t n = name ? strlen(name) : 0;

    if (n == 0 || n > 64)
        return sk_pdb_errf(err, "invalid schedule name '%s': 1 to 64 characters", name ? name : "");
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)name[i]) && !strchr("._-", name[i]))
            return sk_pdb_errf(err,
                               "invalid schedule name '%s': letters, digits, '.', '_' and '-'"
                               " only ('!' before a name in --when means outside it)",
                               name);
    return 0;
}

int64_t sk_sched_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    /* era-based day count (H. Hinnant's civil calendar algorithm) */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int sk_digits(const char **p, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++, (*p)++) {
        if (!isdigit((unsigned char)**p))
            return -1;
        v = v * 10 + (**p - '0');
    }
    *out = v;
    return 0;
}

int sk_sched_parse_iso(const char *s, int64_t *out)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, mo, d, h, mi, sec = 0, oh = 0, om = 0, sign = 1;
    const char *p = s;

    if (s == NULL || sk_digits(&p, 4, &y) == -1 || *p++ != '-' || sk_digits(&p, 2, &mo) == -1 ||
        *p++ != '-' || sk_digits(&p, 2, &d) == -1 || (*p != 'T' && *p != ' ') || !*p++ ||
        sk_digits(&p, 2, &h) == -1 || *p++ != ':' || sk_digits(&p, 2, &mi) == -1)
        return -1;
    if (*p == ':') {
        p++;
        if (sk_digits(&p, 2, &sec) == -1)
            return -1;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p++ == '-' ? -1 : 1;
        if (sk_digits(&p, 2, &oh) == -1)
            return -1;
        if (*p == ':')
            p++;
        if (sk_digits(&p, 2, &om) == -1)
            return -1;
    } else {
        return -1; /* an offset is required: the node's zone is not the admin's */
    }
    if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
        (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) || h > 23 ||
        mi > 59 || sec > 60 || oh > 23 || om > 59)
        return -1;
    *out = sk_sched_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 +
           (sec == 60 ? 59 : sec) - sign * (oh * 3600 + om * 60);
    return 0;
}

int sk_pdb_parse_time(const char *text, int64_t *out)
{
    return sk_sched_parse_iso(text, out);
}

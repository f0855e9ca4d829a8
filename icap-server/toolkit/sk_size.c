/* sk_size.c - the one size and duration grammar (see sekisho/text.h).
 * Parses administrator-supplied configuration values: c-icap directives,
 * module options and policy settings all come through here. */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "sekisho/text.h"

struct sk_unit {
    const char *name;
    uint64_t factor;
};

/* Sizes: powers of 1024 whatever the spelling (see sekisho/text.h). */
static const struct sk_unit sk_size_units[] = {
    {"B", 1},
    {"K", 1ull << 10},
    {"KB", 1ull << 10},
    {"KiB", 1ull << 10},
    {"M", 1ull << 20},
    {"MB", 1ull << 20},
    {"MiB", 1ull << 20},
    {"G", 1ull << 30},
    {"GB", 1ull << 30},
    {"GiB", 1ull << 30},
    {"T", 1ull << 40},
    {"TB", 1ull << 40},
    {"TiB", 1ull << 40},
    {NULL, 0},
};

static const struct sk_unit sk_time_units[] = {
    {"s", 1}, {"m", 60}, {"h", 3600}, {"d", 86400}, {NULL, 0},
};

/* 1*DIGIT [unit], the unit from UNITS (compared case-insensitively when
 * FOLD); a bare number has factor 1. 0, or -1 with *out untouched. */
static int sk_parse_scaled(const char *s, const struct sk_unit *units, int fold, uint64_t *out)
{
    const char *p = s;
    uint64_t v = 0, factor = 1;

    if (!s || *s < '0' || *s > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        uint64_t d = (uint64_t)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (*p != '\0') {
        const struct sk_unit *u = units;
        while (u->name && (fold ? strcasecmp(p, u->name) : strcmp(p, u->name)) != 0)
            u++;
        if (!u->name)
            return -1;
        factor = u->factor;
    }
    if (v > UINT64_MAX / factor)
        return -1;
    *out = v * factor;
    return 0;
}

int sk_parse_size(const char *s, uint64_t *bytes)
{
    return sk_parse_scaled(s, sk_size_units, 1, bytes);
}

int sk_parse_duration(const char *s, uint64_t *seconds)
{
    return sk_parse_scaled(s, sk_time_units, 0, seconds);
}

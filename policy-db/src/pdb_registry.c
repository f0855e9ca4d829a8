/* pdb_registry.c - the settings registry: every policy setting's key, type,
 * default and help, and the parsers for its values. Trust: values come from
 * the command line or the database file; nothing is stored unvalidated. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sekisho/notify.h>

#include "pdb_internal.h"
#include "sekisho/filetype.h"
#include "sekisho/text.h"

#define SK_PDB_STRING_MAX 1024
#define SK_PDB_VERDICT    "block|allow"
#define SK_K              1024LL
#define SK_DAY            86400LL

/* Keep sorted by key: `keys` lists them in this order. */
static const struct sk_pdb_setting_def sk_pdb_registry[] = {
    {.key = "av.action",
     .type = SK_PDB_T_ENUM,
     .def = "block",
     .choices = "block|log",
     .help = "on a virus: block, or log (monitor mode: pass, log would-block)"},
    {.key = "av.detect-pua",
     .type = SK_PDB_T_BOOL,
     .def = "off",
     .help = "report ClamAV's PUA.* signatures (potentially unwanted applications) as "
             "detections; categories narrowed by av.pua-include / av.pua-exclude"},
    {.key = "av.enabled", .type = SK_PDB_T_BOOL, .def = "on", .help = "scan bodies for viruses"},
    {.key = "av.max-files",
     .type = SK_PDB_T_INT,
     .def = "10000",
     .min = 1,
     .max = 1000000,
     .help = "most archive members scanned in one object; more is a scan limit"},
    {.key = "av.max-scan-size",
     .type = SK_PDB_T_SIZE,
     .def = "100M",
     .min = 1,
     .max = 4 * SK_K * SK_K * SK_K,
     .help = "largest object scanned; a larger one is a scan limit (av.on-limit)"},
    {.key = "av.max-signature-age",
     .type = SK_PDB_T_DURATION,
     .def = "3d",
     .min = 60,
     .max = 365 * SK_DAY,
     .help = "signatures older than this make the node not ready (status /readyz)"},
    {.key = "av.on-encrypted",
     .type = SK_PDB_T_ENUM,
     .def = "block",
     .choices = SK_PDB_VERDICT,
     .help = "verdict for an encrypted archive that cannot be scanned"},
    {.key = "av.on-error",
     .type = SK_PDB_T_ENUM,
     .def = "block",
     .choices = SK_PDB_VERDICT,
     .help = "verdict when the scan engine fails or is missing"},
    {.key = "av.on-limit",
     .type = SK_PDB_T_ENUM,
     .def = "block",
     .choices = SK_PDB_VERDICT,
     .help = "verdict for an object over a scan limit"},
    {.key = "av.on-partial",
     .type = SK_PDB_T_ENUM,
     .def = "block",
     .choices = SK_PDB_VERDICT,
     .help = "verdict for a piece of a download (HTTP 206 range): block, or allow to scan the "
             "piece on its own; av.skip-types applies to pieces too"},
    {.key = "av.pua-exclude",
     .type = SK_PDB_T_STRING,
     .def = "",
     .help = "comma-separated PUA categories not reported (the word after PUA., e.g. "
             "Win,Packed)"},
    {.key = "av.pua-include",
     .type = SK_PDB_T_STRING,
     .def = "",
     .help = "comma-separated PUA categories reported (empty: all but av.pua-exclude)"},
    {.key = "av.quarantine",
     .type = SK_PDB_T_BOOL,
     .def = "off",
     .help = "keep a blocked virus object with its metadata under virus_scan.quarantine-dir "
             "(sekisho-policy quarantine list|show|release|purge)"},
    {.key = "av.skip-types",
     .type = SK_PDB_T_STRING,
     .def = "",
     .help = "comma-separated media types not scanned (video/*,audio/*) when the bytes "
             "agree: a declared type whose bytes are a program, archive... is scanned"},
    {.key = "directory.cache-ttl",
     .type = SK_PDB_T_DURATION,
     .def = "1d",
     .min = 1,
     .max = 30 * SK_DAY,
     .help = "how long a user's directory groups are cached (IWSS: 24 h); a stale entry "
             "still serves while the directory is unreachable"},
    {.key = "directory.on-error",
     .type = SK_PDB_T_ENUM,
     .def = "block",
     .choices = "block|header-groups",
     .help = "a user's directory groups unknown (directory down, nothing cached): block, or "
             "go on with X-Authenticated-Groups only"},
    {.key = "directory.timeout",
     .type = SK_PDB_T_INT,
     .def = "200",
     .min = 10,
     .max = 60000,
     .help = "milliseconds a transaction waits for the directory (all servers, all nesting "
             "levels)"},
    {.key = "dlp.enabled",
     .type = SK_PDB_T_BOOL,
     .def = "on",
     .help = "check uploads against the policy's DLP templates"},
    {.key = "dlp.inspect-url",
     .type = SK_PDB_T_BOOL,
     .def = "on",
     .help = "check the request URL's path and query (a GET form, a search box, an API "
             "path) against the templates too, not only uploads"},
    {.key = "filetype.action",
     .type = SK_PDB_T_ENUM,
     .def = "block",
     .choices = "block|log",
     .help = "on a blocked file type: block, or log (monitor mode: pass, log would-block)"},
    {.key = "filetype.block",
     .type = SK_PDB_T_STRING,
     .def = "",
     .help = "file types blocked, detected from the bytes (sekisho-policy filetype list): "
             "executable,msi,cab,java,script,office-macro,archive,encrypted-archive,disk-image"},
    {.key = "filetype.on-mismatch",
     .type = SK_PDB_T_ENUM,
     .def = "log",
     .choices = "block|log",
     .help = "when the declared Content-Type or file name says text/media but the bytes are "
             "a program, archive...: block, or log and pass"},
    {.key = "icap.x-infection-found",
     .type = SK_PDB_T_BOOL,
     .def = "off",
     .help = "send X-Infection-Found (type, resolution, threat) on a detection"},
    {.key = "icap.x-violations-found",
     .type = SK_PDB_T_BOOL,
     .def = "off",
     .help = "send X-Violations-Found on a URL or DLP block"},
    {.key = "icap.x-virus-id",
     .type = SK_PDB_T_BOOL,
     .def = "off",
     .help = "send X-Virus-ID with the name of the virus found"},
    {.key = "notify.email",
     .type = SK_PDB_T_STRING,
     .def = "",
     .help = "mail address that gets alerts (needs notify.smtp); empty: no mail"},
    {.key = "notify.events",
     .type = SK_PDB_T_STRING,
     .def = "virus,dlp-block,module-error,signatures-stale,policy-load-failed",
     .help = "comma-separated alert kinds: virus, dlp-block, module-error, signatures-stale, "
             "policy-load-failed"},
    {.key = "notify.from",
     .type = SK_PDB_T_STRING,
     .def = "sekisho@localhost",
     .help = "sender address of alert mails"},
    {.key = "notify.min-interval",
     .type = SK_PDB_T_DURATION,
     .def = "5m",
     .min = 0,
     .max = 7 * SK_DAY,
     .help = "at most one alert of each kind per interval and node (0s: every event)"},
    {.key = "notify.smtp",
     .type = SK_PDB_T_STRING,
     .def = "",
     .help = "SMTP relay HOST:PORT for notify.email"},
    {.key = "notify.webhook",
     .type = SK_PDB_T_STRING,
     .def = "",
     .help = "http(s) URL that gets each alert as a JSON POST; empty: none"},
    {.key = "page.contact",
     .type = SK_PDB_T_STRING,
     .def = "",
     .help = "contact (mail, phone, URL) shown on block pages"},
    {.key = "url.action",
     .type = SK_PDB_T_ENUM,
     .def = "block",
     .choices = "block|log",
     .help = "on a URL rule or category block: block, or log (monitor mode: pass, log "
             "would-block)"},
    {.key = "url.infected-block-time",
     .type = SK_PDB_T_DURATION,
     .def = "4h",
     .min = 0,
     .max = 365 * SK_DAY,
     .help = "how long a URL that delivered a virus stays blocked (0s: not at all)"},
    {.key = "url.on-error",
     .type = SK_PDB_T_ENUM,
     .def = "block",
     .choices = SK_PDB_VERDICT,
     .help = "verdict when the URL policy cannot be evaluated"},
};

#define SK_PDB_NSETTINGS (sizeof(sk_pdb_registry) / sizeof(sk_pdb_registry[0]))

struct sk_pdb_unit {
    char suffix;
    uint64_t factor;
};

/* Largest first: canonical forms use the largest unit that divides exactly. */
static const struct sk_pdb_unit sk_pdb_size_units[] = {
    {'G', SK_K *SK_K *SK_K}, {'M', SK_K *SK_K}, {'K', SK_K}, {0, 0}};
static const struct sk_pdb_unit sk_pdb_time_units[] = {
    {'d', SK_DAY}, {'h', 3600}, {'m', 60}, {'s', 1}, {0, 0}};

const struct sk_pdb_setting_def *sk_pdb_settings(size_t *count)
{
    *count = SK_PDB_NSETTINGS;
    return sk_pdb_registry;
}

const struct sk_pdb_setting_def *sk_pdb_setting_find(const char *key)
{
    for (size_t i = 0; key != NULL && i < SK_PDB_NSETTINGS; i++)
        if (strcmp(sk_pdb_registry[i].key, key) == 0)
            return &sk_pdb_registry[i];
    return NULL;
}

const char *sk_pdb_type_name(enum sk_pdb_type t)
{
    switch (t) {
    case SK_PDB_T_BOOL:
        return "bool";
    case SK_PDB_T_SIZE:
        return "size";
    case SK_PDB_T_INT:
        return "int";
    case SK_PDB_T_DURATION:
        return "duration";
    case SK_PDB_T_ENUM:
        return "enum";
    case SK_PDB_T_STRING:
        return "string";
    }
    return "?";
}

int sk_pdb_parse_bool(const char *text, int *out)
{
    static const char *const yes[] = {"on", "true", "yes", "1"};
    static const char *const no[] = {"off", "false", "no", "0"};

    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(text, yes[i]) == 0) {
            *out = 1;
            return 0;
        }
        if (strcasecmp(text, no[i]) == 0) {
            *out = 0;
            return 0;
        }
    }
    return -1;
}

static int sk_pdb_parse_int(const char *text, int64_t *out)
{
    char *end;
    long long v;

    if (*text == '\0' || isspace((unsigned char)*text) || *text == '+')
        return -1;
    errno = 0;
    v = strtoll(text, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

static char *sk_pdb_format_scaled(uint64_t v, const struct sk_pdb_unit *units, const char *zero)
{
    char *s = NULL;

    if (v == 0)
        return strdup(zero);
    for (const struct sk_pdb_unit *u = units; u->suffix; u++) {
        if (v % u->factor == 0) {
            if (asprintf(&s, "%llu%c", (unsigned long long)(v / u->factor), u->suffix) == -1)
                return NULL;
            return s;
        }
    }
    if (asprintf(&s, "%llu", (unsigned long long)v) == -1)
        return NULL;
    return s;
}

/* VALUE made safe to echo in a one-line message: short, no control bytes. */
static void sk_pdb_echo(char *buf, size_t size, const char *value)
{
    size_t i;

    for (i = 0; i + 1 < size && value[i]; i++)
        buf[i] = ((unsigned char)value[i] < 0x20 || value[i] == 0x7f) ? '?' : value[i];
    buf[i] = '\0';
    if (value[i] != '\0' && size > 4)
        memcpy(buf + size - 4, "...", 4);
}

static int sk_pdb_enum_canonical(const struct sk_pdb_setting_def *d, const char *value,
                                 char **canonical)
{
    const char *p = d->choices;
    size_t n = strlen(value);

    while (*p) {
        size_t len = strcspn(p, "|");
        if (len == n && strncasecmp(p, value, n) == 0) {
            *canonical = strndup(p, len);
            return 0;
        }
        p += len + (p[len] == '|');
    }
    return -1;
}

static int sk_pdb_range_error(const struct sk_pdb_setting_def *d, const char *shown, char **err)
{
    char *lo = NULL, *hi = NULL;

    if (d->type == SK_PDB_T_SIZE) {
        lo = sk_pdb_format_scaled((uint64_t)d->min, sk_pdb_size_units, "0");
        hi = sk_pdb_format_scaled((uint64_t)d->max, sk_pdb_size_units, "0");
    } else if (d->type == SK_PDB_T_DURATION) {
        lo = sk_pdb_format_scaled((uint64_t)d->min, sk_pdb_time_units, "0s");
        hi = sk_pdb_format_scaled((uint64_t)d->max, sk_pdb_time_units, "0s");
    } else {
        if (asprintf(&lo, "%lld", (long long)d->min) == -1)
            lo = NULL;
        if (asprintf(&hi, "%lld", (long long)d->max) == -1)
            hi = NULL;
    }
    sk_pdb_errf(err, "value '%s' for %s is out of range (%s to %s)", shown, d->key, lo ? lo : "?",
                hi ? hi : "?");
    free(lo);
    free(hi);
    return -1;
}

/* Type check and normal form of VALUE for D; *out is malloc'd. */
static int sk_pdb_canonical(const struct sk_pdb_setting_def *d, const char *value,
                            const char *shown, char **out, char **err)
{
    uint64_t u;
    int64_t i;
    int b;

    switch (d->type) {
    case SK_PDB_T_BOOL:
        if (sk_pdb_parse_bool(value, &b) == -1)
            return sk_pdb_errf(err, "invalid value '%s' for %s: expected on or off", shown, d->key);
        *out = strdup(b ? "on" : "off");
        break;
    case SK_PDB_T_SIZE:
    case SK_PDB_T_DURATION:
        if (d->type == SK_PDB_T_SIZE ? sk_parse_size(value, &u) == -1
                                     : sk_parse_duration(value, &u) == -1)
            return sk_pdb_errf(err,
                               d->type == SK_PDB_T_SIZE
                                   ? "invalid size '%s' for %s: expected bytes with an optional "
                                     "K, M, G or T suffix (KB/KiB alike, powers of 1024), e.g. 100M"
                                   : "invalid duration '%s' for %s: expected seconds with an "
                                     "optional s, m, h or d suffix, e.g. 4h",
                               shown, d->key);
        if (u > INT64_MAX || (int64_t)u < d->min || (int64_t)u > d->max)
            return sk_pdb_range_error(d, shown, err);
        *out = d->type == SK_PDB_T_SIZE ? sk_pdb_format_scaled(u, sk_pdb_size_units, "0")
                                        : sk_pdb_format_scaled(u, sk_pdb_time_units, "0s");
        break;
    case SK_PDB_T_INT:
        if (sk_pdb_parse_int(value, &i) == -1)
            return sk_pdb_errf(err, "invalid value '%s' for %s: expected a whole number", shown,
                               d->key);
        if (i < d->min || i > d->max)
            return sk_pdb_range_error(d, shown, err);
        if (asprintf(out, "%lld", (long long)i) == -1)
            *out = NULL;
        break;
    case SK_PDB_T_ENUM:
        if (sk_pdb_enum_canonical(d, value, out) == -1)
            return sk_pdb_errf(err, "invalid value '%s' for %s: expected %s", shown, d->key,
                               d->choices);
        break;
    case SK_PDB_T_STRING:
        for (const char *p = value; *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                return sk_pdb_errf(err,
                                   "invalid value for %s: control characters "
                                   "(newline, tab, ...) are not allowed",
                                   d->key);
        if (strlen(value) > SK_PDB_STRING_MAX)
            return sk_pdb_errf(err, "invalid value for %s: longer than %d bytes", d->key,
                               SK_PDB_STRING_MAX);
        if (!sk_utf8_valid(value, strlen(value)))
            return sk_pdb_errf(err, "invalid value for %s: not valid UTF-8", d->key);
        *out = strdup(value);
        break;
    }
    if (*out == NULL)
        return sk_pdb_errf(err, "out of memory");
    return 0;
}

int sk_pdb_setting_validate(const char *key, const char *value, char **canonical, char **err)
{
    const struct sk_pdb_setting_def *d = sk_pdb_setting_find(key);
    char shown[64], *out = NULL;

    if (d == NULL) {
        sk_pdb_echo(shown, sizeof(shown), key ? key : "");
        return sk_pdb_errf(err, "unknown setting '%s' (see: sekisho-policy keys)", shown);
    }
    if (value == NULL)
        return sk_pdb_errf(err, "no value given for %s", key);
    sk_pdb_echo(shown, sizeof(shown), value);
    if (sk_pdb_canonical(d, value, shown, &out, err) == -1)
        return -1;
    if (strcmp(d->key, "notify.events") == 0) {
        for (const char *p = out; *p;) {
            size_t n = strcspn(p, ","), k = n;
            const char *s = p;
            while (k && *s == ' ')
                s++, k--;
            while (k && s[k - 1] == ' ')
                k--;
            if (k && sk_notify_kind_known(s, k) < 0) {
                sk_pdb_errf(err,
                            "invalid value for notify.events: unknown event '%.*s' "
                            "(virus, dlp-block, module-error, signatures-stale, "
                            "policy-load-failed)",
                            (int)(k < 40 ? k : 40), s);
                free(out);
                return -1;
            }
            p += n + (p[n] == ',');
        }
    } else if (strcmp(d->key, "filetype.block") == 0) {
        unsigned mask;
        char bad[40];
        if (sk_ft_types_parse(out, &mask, bad, sizeof(bad)) == -1) {
            sk_pdb_echo(shown, sizeof(shown), bad);
            free(out);
            return sk_pdb_errf(err,
                               "invalid value for filetype.block: unknown file type '%s' "
                               "(see: sekisho-policy filetype list)",
                               shown);
        }
        free(out); /* canonical: table order, no duplicates */
        if ((out = sk_ft_types_format(mask)) == NULL)
            return sk_pdb_errf(err, "out of memory");
    } else if (strcmp(d->key, "notify.webhook") == 0 && *out && strncmp(out, "http://", 7) != 0 &&
               strncmp(out, "https://", 8) != 0) {
        free(out);
        return sk_pdb_errf(err, "invalid value for notify.webhook: an http:// or https:// URL");
    }
    if (canonical != NULL)
        *canonical = out;
    else
        free(out);
    return 0;
}

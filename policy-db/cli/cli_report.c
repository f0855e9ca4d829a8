/* cli_report.c - `sekisho-policy report`: reads Sekisho access logs (JSON
 * lines) as a stream and writes one self-contained HTML report (inline SVG
 * charts, no script, nothing fetched) plus, on request, the same tables as
 * CSV, and a plain-text summary on stdout.
 * Memory is bounded whatever the size of the logs: time buckets are hours
 * (a year is 8,760), and each "top" table keeps at most SK_TOP_CAP keys:
 * when full, the smaller half is dropped (see sk_top_add); anything that is
 * really in the top is counted exactly, a key that entered after a drop is
 * counted from the largest dropped count, an upper bound marked so.
 * SECURITY: every log byte is client-controlled (URLs, user names, threat
 * names): HTML output is escaped, CSV cells are quoted and a leading
 * = + - @ is neutralised so a spreadsheet never runs it as a formula. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "sekisho/text.h"

#define SK_TOP_CAP     8192 /* keys kept per top table */
#define SK_TOP_SHOW    15   /* rows shown in the HTML and text */
#define SK_FIELD_MAX   512
#define SK_BUCKETS_MAX 20000

/* ---- bounded top-K counting (drop the smaller half when full) ---------- */

struct sk_top_item {
    char *key;
    uint64_t count, over; /* over: possible overcount (inherited on eviction) */
};

struct sk_top {
    const char *title, *col, *csv;
    struct sk_top_item *items;
    size_t n;
    uint32_t *slot; /* open addressing: index+1 into items, 0 empty */
    size_t nslot;
    uint64_t floor; /* largest count dropped so far: a later key may have had it */
};

static uint64_t sk_hash(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;

    while (*s)
        h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
    return h;
}

static int sk_top_init(struct sk_top *t, const char *title, const char *col, const char *csv)
{
    t->title = title;
    t->col = col;
    t->csv = csv;
    t->n = 0;
    t->nslot = SK_TOP_CAP * 2;
    t->items = calloc(SK_TOP_CAP, sizeof(*t->items));
    t->slot = calloc(t->nslot, sizeof(*t->slot));
    return t->items && t->slot ? 0 : -1;
}

static void sk_top_rehash(struct sk_top *t)
{
    memset(t->slot, 0, t->nslot * sizeof(*t->slot));
    for (size_t i = 0; i < t->n; i++) {
        size_t s = sk_hash(t->items[i].key) & (t->nslot - 1);
        while (t->slot[s])
            s = (s + 1) & (t->nslot - 1);
        t->slot[s] = (uint32_t)i + 1;
    }
}

static int sk_top_cmp(const void *a, const void *b)
{
    const struct sk_top_item *x = a, *y = b;

    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return strcmp(x->key, y->key);
}

static void sk_top_add(struct sk_top *t, const char *key)
{
    size_t s = sk_hash(key) & (t->nslot - 1);
    char *copy;

    while (t->slot[s]) {
        struct sk_top_item *it = &t->items[t->slot[s] - 1];
        if (strcmp(it->key, key) == 0) {
            it->count++;
            return;
        }
        s = (s + 1) & (t->nslot - 1);
    }
    if ((copy = strdup(key)) == NULL)
        return;
    if (t->n == SK_TOP_CAP) {
        /* full: keep the bigger half and remember the largest count
         * dropped; a key that enters later may have had up to that many,
         * so it starts from there and its count is an upper bound. Once
         * per SK_TOP_CAP / 2 new keys: amortised O(1) per line, where
         * evicting one minimum per new key cost a scan and a rehash of the
         * whole table for every line of a log with many distinct hosts. */
        qsort(t->items, t->n, sizeof(*t->items), sk_top_cmp);
        for (size_t i = SK_TOP_CAP / 2; i < t->n; i++) {
            if (t->items[i].count > t->floor)
                t->floor = t->items[i].count;
            free(t->items[i].key);
        }
        t->n = SK_TOP_CAP / 2;
        sk_top_rehash(t);
        s = sk_hash(key) & (t->nslot - 1);
        while (t->slot[s])
            s = (s + 1) & (t->nslot - 1);
    }
    t->items[t->n] = (struct sk_top_item){.key = copy, .count = t->floor + 1, .over = t->floor};
    t->slot[s] = (uint32_t)++t->n;
}

static void sk_top_free(struct sk_top *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->items[i].key);
    free(t->items);
    free(t->slot);
}

/* ---- one access-log line ------------------------------------------------ */

struct sk_line {
    char time[32], verdict[32], url[SK_FIELD_MAX], user[SK_FIELD_MAX], client[64];
    char module[64], rule[SK_FIELD_MAX];
    int ndet;
    char det_kind[4][16], det_name[4][SK_FIELD_MAX];
};

/* Decode the JSON string at *p (after its opening quote) into OUT
 * (truncated to SIZE-1, \uXXXX outside ASCII kept as '?'); *p moves past
 * the closing quote. -1 on an unterminated string. */
static int sk_jstr(const char **p, const char *end, char *out, size_t size)
{
    const char *s = *p;
    size_t o = 0;

    for (;;) {
        /* the plain run up to the next quote or backslash goes in one copy */
        const char *q = memchr(s, '"', (size_t)(end - s)), *bs, *stop;
        size_t n;
        char c, e;

        if (!q)
            return -1;
        bs = memchr(s, '\\', (size_t)(q - s));
        stop = bs ? bs : q;
        n = (size_t)(stop - s);
        if (out && o + 1 < size) {
            size_t k = n < size - 1 - o ? n : size - 1 - o;
            memcpy(out + o, s, k);
            o += k;
        }
        if (!bs) {
            s = q + 1;
            break;
        }
        s = bs + 1;
        if (s >= end)
            return -1;
        e = *s++;
        c = e == 'n'   ? '\n'
            : e == 't' ? '\t'
            : e == 'r' ? '\r'
            : e == 'b' ? '\b'
            : e == 'f' ? '\f'
                       : e;
        if (e == 'u') {
            unsigned v = 0;
            for (int i = 0; i < 4 && s < end; i++, s++)
                v = v * 16 + (unsigned)(*s <= '9' ? *s - '0' : (*s | 32) - 'a' + 10);
            c = v < 0x80 ? (char)v : '?';
        }
        if (out && o + 1 < size)
            out[o++] = c;
    }
    if (out && size)
        out[o] = '\0';
    *p = s;
    return 0;
}

static const char *sk_skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
        p++;
    return p;
}

/* Skip one JSON value of any kind; returns the ',' or '}' that follows it
 * at its own level, or NULL when the line ends first. */
static const char *sk_skip_value(const char *p, const char *end)
{
    int depth = 0;

    while (p < end) {
        char c = *p;
        if (c == '"') {
            p++;
            if (sk_jstr(&p, end, NULL, 0) == -1)
                return NULL;
            continue;
        }
        if (depth == 0 && (c == ',' || c == '}'))
            return p;
        if (c == '[' || c == '{')
            depth++;
        else if (c == ']' || c == '}')
            depth--;
        p++;
    }
    return NULL;
}

/* One object member's name, at P (after whitespace): its key into KEY
 * and a pointer to its value (whitespace skipped), or NULL. */
static const char *sk_member(const char *p, const char *end, char *key, size_t size)
{
    if (p >= end || *p != '"')
        return NULL;
    p++;
    if (sk_jstr(&p, end, key, size) == -1)
        return NULL;
    p = sk_skip_ws(p, end);
    if (p >= end || *p++ != ':')
        return NULL;
    return sk_skip_ws(p, end);
}

/* The detections array: [{"kind":"virus","name":"Eicar",...},...] */
static const char *sk_parse_dets(const char *p, const char *end, struct sk_line *l)
{
    char key[32];

    if (p >= end || *p != '[')
        return sk_skip_value(p, end);
    p++;
    while (p < end && *p != ']') {
        p = sk_skip_ws(p, end);
        if (p < end && *p == ',') {
            p++;
            continue;
        }
        if (p >= end || *p != '{')
            return NULL;
        p++;
        int k = l->ndet < 4 ? l->ndet : -1;
        while (p < end && *p != '}') {
            p = sk_skip_ws(p, end);
            if (*p == ',') {
                p++;
                continue;
            }
            if ((p = sk_member(p, end, key, sizeof(key))) == NULL)
                return NULL;
            if (k >= 0 && *p == '"' && strcmp(key, "kind") == 0) {
                p++;
                if (sk_jstr(&p, end, l->det_kind[k], sizeof(l->det_kind[k])) == -1)
                    return NULL;
            } else if (k >= 0 && *p == '"' && strcmp(key, "name") == 0) {
                p++;
                if (sk_jstr(&p, end, l->det_name[k], sizeof(l->det_name[k])) == -1)
                    return NULL;
            } else if ((p = sk_skip_value(p, end)) == NULL) {
                return NULL;
            }
        }
        if (p >= end)
            return NULL;
        p++; /* } */
        if (k >= 0)
            l->ndet++;
    }
    return p < end ? p + 1 : NULL;
}

/* Parse the flat fields of one line; 0, or -1 for a line that is not a
 * Sekisho access record (the event lines, e.g. access_log_lost, are not). */
static int sk_parse_line(const char *p, const char *end, struct sk_line *l)
{
    static const struct {
        const char *name;
        size_t off, size;
    } fields[] = {
        {"time", offsetof(struct sk_line, time), sizeof(((struct sk_line *)0)->time)},
        {"verdict", offsetof(struct sk_line, verdict), sizeof(((struct sk_line *)0)->verdict)},
        {"url", offsetof(struct sk_line, url), SK_FIELD_MAX},
        {"user", offsetof(struct sk_line, user), SK_FIELD_MAX},
        {"client", offsetof(struct sk_line, client), sizeof(((struct sk_line *)0)->client)},
        {"module", offsetof(struct sk_line, module), sizeof(((struct sk_line *)0)->module)},
        {"rule", offsetof(struct sk_line, rule), SK_FIELD_MAX},
    };
    char key[32];

    l->time[0] = l->verdict[0] = l->url[0] = l->user[0] = l->client[0] = '\0';
    l->module[0] = l->rule[0] = '\0';
    l->ndet = 0;
    p = sk_skip_ws(p, end);
    if (p >= end || *p++ != '{')
        return -1;
    while (p < end && *p != '}') {
        p = sk_skip_ws(p, end);
        if (*p == ',') {
            p++;
            continue;
        }
        if ((p = sk_member(p, end, key, sizeof(key))) == NULL)
            return -1;
        size_t i = 0;
        /* cheap first-letter test before strcmp: most keys are not ours */
        for (; i < sizeof(fields) / sizeof(fields[0]); i++)
            if (key[0] == fields[i].name[0] && strcmp(key, fields[i].name) == 0)
                break;
        if (i < sizeof(fields) / sizeof(fields[0]) && p < end && *p == '"') {
            p++;
            if (sk_jstr(&p, end, (char *)l + fields[i].off, fields[i].size) == -1)
                return -1;
        } else if (key[0] == 'd' && strcmp(key, "detections") == 0) {
            if ((p = sk_parse_dets(p, end, l)) == NULL)
                return -1;
        } else if ((p = sk_skip_value(p, end)) == NULL) {
            return -1;
        }
    }
    return l->time[0] && l->verdict[0] ? 0 : -1;
}

/* ---- the report ----------------------------------------------------------- */

struct sk_bucket {
    char hour[14]; /* "YYYY-MM-DDTHH" */
    uint64_t key;  /* YYYYMMDDHH as a number: the sort and hash key */
    uint64_t total, blocked;
};

#define SK_BSLOTS 32768 /* > SK_BUCKETS_MAX, a power of two */

struct sk_report {
    uint64_t lines, bad, skipped, total, blocked, errors, detections;
    double bytes_read;
    char first[32], last[32];
    struct sk_bucket *b;
    size_t nb, lastb; /* lastb: bucket of the previous line (logs are mostly in order) */
    uint32_t *bslot;  /* hour key -> bucket index + 1 */
    struct sk_top hosts, rules, who, viruses, dlp;
};

static int sk_bucket_cmp(const void *a, const void *b)
{
    const struct sk_bucket *x = a, *y = b;

    return x->key < y->key ? -1 : x->key > y->key;
}

static void sk_host_of(const char *url, char *out, size_t size)
{
    const char *s = strstr(url, "://"), *e;
    size_t n;

    s = s ? s + 3 : url;
    e = s + strcspn(s, "/?#");
    n = (size_t)(e - s) < size - 1 ? (size_t)(e - s) : size - 1;
    memcpy(out, s, n);
    out[n] = '\0';
}

static void sk_count(struct sk_report *r, const struct sk_line *l)
{
    char host[SK_FIELD_MAX];
    int blocked = strcmp(l->verdict, "block") == 0;

    uint64_t key = 0;
    struct sk_bucket *bk;

    for (int i = 0; i < 13; i++)
        if (l->time[i] >= '0' && l->time[i] <= '9')
            key = key * 10 + (uint64_t)(l->time[i] - '0');
    if (r->nb && r->b[r->lastb].key == key) {
        bk = &r->b[r->lastb];
    } else {
        size_t slot = (size_t)(key * 0x9e3779b97f4a7c15ULL >> 49) & (SK_BSLOTS - 1);
        while (r->bslot[slot] && r->b[r->bslot[slot] - 1].key != key)
            slot = (slot + 1) & (SK_BSLOTS - 1);
        if (!r->bslot[slot]) {
            if (r->nb == SK_BUCKETS_MAX)
                return; /* more than two years of hours */
            bk = &r->b[r->nb];
            memset(bk, 0, sizeof(*bk));
            snprintf(bk->hour, sizeof(bk->hour), "%.13s", l->time);
            bk->key = key;
            r->bslot[slot] = (uint32_t)++r->nb;
        }
        r->lastb = r->bslot[slot] - 1;
        bk = &r->b[r->lastb];
    }
    bk->total++;
    bk->blocked += (unsigned)blocked;
    r->total++;
    r->blocked += (unsigned)blocked;
    r->errors += strcmp(l->verdict, "error") == 0;
    if (!r->first[0] || strcmp(l->time, r->first) < 0)
        snprintf(r->first, sizeof(r->first), "%s", l->time);
    if (strcmp(l->time, r->last) > 0)
        snprintf(r->last, sizeof(r->last), "%s", l->time);
    if (blocked) {
        sk_host_of(l->url, host, sizeof(host));
        sk_top_add(&r->hosts, host[0] ? host : "(none)");
        sk_top_add(&r->rules, l->rule[0] ? l->rule : l->module[0] ? l->module : "(none)");
    }
    if (blocked || l->ndet)
        sk_top_add(&r->who, l->user[0] ? l->user : l->client[0] ? l->client : "(unknown)");
    for (int i = 0; i < l->ndet; i++) {
        r->detections++;
        if (strcmp(l->det_kind[i], "virus") == 0)
            sk_top_add(&r->viruses, l->det_name[i]);
        else if (strcmp(l->det_kind[i], "dlp") == 0)
            sk_top_add(&r->dlp, l->det_name[i]);
    }
}

static int sk_read_log(struct sk_report *r, const char *path, const char *from, const char *to)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap + 1);
    struct sk_line l;

    if (!f || !buf) {
        free(buf);
        return sk_cli_fail("report: cannot read %s: %s", path, strerror(errno));
    }
    for (;;) {
        size_t n = fread(buf + len, 1, cap - len, f), start = 0;
        int eof = n == 0;

        len += n;
        r->bytes_read += (double)n;
        while (start < len) {
            const char *nl = memchr(buf + start, '\n', len - start);
            size_t i, e;

            if (!nl && !eof)
                break;
            i = nl ? (size_t)(nl - buf) : len - 1;
            e = nl ? i : len;
            if (e > start) {
                r->lines++;
                if (sk_parse_line(buf + start, buf + e, &l) != 0)
                    r->bad++;
                else if ((from && strncmp(l.time, from, strlen(from)) < 0) ||
                         (to && strncmp(l.time, to, strlen(to)) > 0))
                    r->skipped++;
                else
                    sk_count(r, &l);
            }
            start = i + 1;
        }
        if (eof)
            break;
        memmove(buf, buf + start, len - start);
        len -= start;
        if (len == cap) { /* a line longer than the buffer: grow it */
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb)
                break;
            buf = nb;
            cap *= 2;
        }
    }
    if (f != stdin)
        fclose(f);
    free(buf);
    return SK_CLI_OK;
}

/* ---- output ---------------------------------------------------------------- */

/* At most MAX bytes of S as HTML text, through the toolkit's one HTML
 * escaper (the same as every block page's), ellipsis included. */
static void sk_html_n(FILE *o, const char *s, size_t max)
{
    struct sk_buf b = {0};

    sk_html_escape(&b, s, max);
    if (b.data)
        fputs(b.data, o);
    sk_buf_free(&b);
}

static void sk_html(FILE *o, const char *s)
{
    sk_html_n(o, s, SIZE_MAX);
}

/* One CSV cell of a client-supplied value (user names come from request
 * headers). A cell a spreadsheet could take for a formula gets a leading
 * quote: one starting with = + - @, or with TAB or CR (OWASP's list: some
 * programs drop those and read what follows), or LF. Controls, C1 and
 * bidi controls in the cell are U+FFFD (the toolkit's text escaper). */
static void sk_csv(FILE *o, const char *s)
{
    struct sk_buf b = {0};
    int guard = *s && strchr("=+-@\t\r\n", *s);

    /* the text escaper first: no CR/LF, control or bidi override in a
     * cell (a spreadsheet shows them as they are); the guard is decided
     * on the value as logged, so a leading TAB still gets its quote */
    sk_text_escape(&b, s, SIZE_MAX);
    s = b.data ? b.data : "";
    fputc('"', o);
    if (guard)
        fputc('\'', o);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', o);
        fputc(*s, o);
    }
    fputc('"', o);
    sk_buf_free(&b);
}

/* Hours as bars: transactions (blue) with the blocked part over them (red);
 * inline SVG, one bar per hour present in the logs. */
static void sk_svg_time(FILE *o, const struct sk_report *r)
{
    const int W = 900, H = 220, L = 50, B = 30;
    uint64_t max = 1;
    double bw;

    for (size_t i = 0; i < r->nb; i++)
        if (r->b[i].total > max)
            max = r->b[i].total;
    bw = r->nb ? (double)(W - L - 10) / (double)r->nb : 1;
    fprintf(o,
            "<svg class=\"chart\" id=\"chart-time\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"transactions and blocks per "
            "hour\">\n",
            W, H, W, H);
    fprintf(o, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>\n", L, H - B,
            W - 10, H - B);
    fprintf(o,
            "<text x=\"4\" y=\"24\" font-size=\"11\">%llu</text><text x=\"4\" y=\"%d\" "
            "font-size=\"11\">0</text>\n",
            (unsigned long long)max, H - B);
    for (size_t i = 0; i < r->nb; i++) {
        double x = L + (double)i * bw, w = bw > 2 ? bw - 1 : bw;
        double ht = (double)r->b[i].total * (H - B - 20) / (double)max;
        double hb = (double)r->b[i].blocked * (H - B - 20) / (double)max;
        fprintf(o, "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" fill=\"#2c7fb8\"/>",
                x, (H - B) - ht, w, ht);
        if (hb > 0)
            fprintf(o,
                    "<rect x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" "
                    "fill=\"#c0392b\"/>",
                    x, (H - B) - hb, w, hb);
        fputc('\n', o);
    }
    if (r->nb) {
        fprintf(o, "<text x=\"%d\" y=\"%d\" font-size=\"11\">", L, H - 8);
        sk_html(o, r->b[0].hour);
        fprintf(o, ":00</text>\n<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"end\">",
                W - 10, H - 8);
        sk_html(o, r->b[r->nb - 1].hour);
        fputs(":00</text>\n", o);
    }
    fputs("</svg>\n<p class=\"legend\"><span style=\"color:#2c7fb8\">&#9632; transactions"
          "</span> <span style=\"color:#c0392b\">&#9632; blocked</span> (per hour, UTC)</p>\n",
          o);
}

static void sk_html_top(FILE *o, struct sk_top *t, const char *id)
{
    size_t n = t->n < SK_TOP_SHOW ? t->n : SK_TOP_SHOW;
    uint64_t max = n ? t->items[0].count : 1;

    fprintf(o, "<section><h2>");
    sk_html(o, t->title);
    fputs("</h2>\n", o);
    if (n == 0) {
        fputs("<p class=\"none\">none in this period</p></section>\n", o);
        return;
    }
    fprintf(o, "<svg class=\"chart\" id=\"%s\" width=\"700\" height=\"%zu\" role=\"img\">\n", id,
            n * 22 + 4);
    for (size_t i = 0; i < n; i++) {
        double w = 1 + 380.0 * (double)t->items[i].count / (double)max;
        fprintf(o,
                "<rect x=\"210\" y=\"%zu\" width=\"%.1f\" height=\"16\" fill=\"#2c7fb8\"/>"
                "<text x=\"205\" y=\"%zu\" font-size=\"12\" text-anchor=\"end\">",
                i * 22 + 2, w, i * 22 + 14);
        sk_html_n(o, t->items[i].key, 36);
        fprintf(o, "</text><text x=\"%.1f\" y=\"%zu\" font-size=\"12\">%llu</text>\n", 215 + w,
                i * 22 + 14, (unsigned long long)t->items[i].count);
    }
    fputs("</svg>\n<table><tr><th>", o);
    sk_html(o, t->col);
    fputs("</th><th>count</th></tr>\n", o);
    for (size_t i = 0; i < n; i++) {
        fputs("<tr><td>", o);
        sk_html(o, t->items[i].key);
        fprintf(o, "</td><td>%s%llu</td></tr>\n", t->items[i].over ? "&le; " : "",
                (unsigned long long)t->items[i].count);
    }
    fputs("</table></section>\n", o);
}

static int sk_write_html(struct sk_report *r, const char *path)
{
    FILE *o = fopen(path, "w");
    char when[32];
    time_t now = time(NULL);

    if (!o)
        return sk_cli_fail("report: cannot write %s: %s", path, strerror(errno));
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%SZ", gmtime(&now));
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'\">\n<title>Sekisho report</title>\n<style>\n"
          "body{font-family:sans-serif;margin:2em;color:#222}h1{font-size:1.5em}"
          "h2{font-size:1.15em;margin-top:1.6em}table{border-collapse:collapse;margin:.5em 0}"
          "td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;font-size:.9em;"
          "max-width:60em;overflow-wrap:anywhere}th{background:#f0f0f0}.legend{font-size:.85em}"
          ".none{color:#777}\n</style></head><body>\n<h1>Sekisho report</h1>\n<p>",
          o);
    fputs("Period: ", o);
    sk_html(o, r->first[0] ? r->first : "-");
    fputs(" &ndash; ", o);
    sk_html(o, r->last[0] ? r->last : "-");
    fprintf(o,
            " (generated %s)</p>\n<table id=\"summary\"><tr><th>transactions</th><th>blocked"
            "</th><th>errors</th><th>detections</th><th>log lines</th><th>unreadable lines"
            "</th></tr>\n<tr><td>%llu</td><td>%llu</td><td>%llu</td><td>%llu</td><td>%llu"
            "</td><td>%llu</td></tr></table>\n<section><h2>Transactions and blocks over time"
            "</h2>\n",
            when, (unsigned long long)r->total, (unsigned long long)r->blocked,
            (unsigned long long)r->errors, (unsigned long long)r->detections,
            (unsigned long long)r->lines, (unsigned long long)r->bad);
    sk_svg_time(o, r);
    fputs("</section>\n", o);
    sk_html_top(o, &r->hosts, "chart-hosts");
    sk_html_top(o, &r->rules, "chart-rules");
    sk_html_top(o, &r->who, "chart-who");
    sk_html_top(o, &r->viruses, "chart-viruses");
    sk_html_top(o, &r->dlp, "chart-dlp");
    fputs("</body></html>\n", o);
    if (fclose(o) != 0)
        return sk_cli_fail("report: cannot write %s: %s", path, strerror(errno));
    return SK_CLI_OK;
}

static int sk_write_csv(struct sk_report *r, const char *dir)
{
    struct sk_top *tops[] = {&r->hosts, &r->rules, &r->who, &r->viruses, &r->dlp};
    char path[4096];
    FILE *o;

    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return sk_cli_fail("report: cannot create %s: %s", dir, strerror(errno));
    snprintf(path, sizeof(path), "%s/hours.csv", dir);
    if ((o = fopen(path, "w")) == NULL)
        return sk_cli_fail("report: cannot write %s: %s", path, strerror(errno));
    fputs("hour,transactions,blocked\n", o);
    for (size_t i = 0; i < r->nb; i++) {
        char hour[20];
        snprintf(hour, sizeof(hour), "%s:00", r->b[i].hour);
        sk_csv(o, hour); /* the log's own text: any log line may be forged */
        fprintf(o, ",%llu,%llu\n", (unsigned long long)r->b[i].total,
                (unsigned long long)r->b[i].blocked);
    }
    fclose(o);
    for (size_t t = 0; t < sizeof(tops) / sizeof(tops[0]); t++) {
        snprintf(path, sizeof(path), "%s/%s.csv", dir, tops[t]->csv);
        if ((o = fopen(path, "w")) == NULL)
            return sk_cli_fail("report: cannot write %s: %s", path, strerror(errno));
        fprintf(o, "%s,count,upper_bound\n", tops[t]->col);
        for (size_t i = 0; i < tops[t]->n; i++) {
            sk_csv(o, tops[t]->items[i].key);
            fprintf(o, ",%llu,%s\n", (unsigned long long)tops[t]->items[i].count,
                    tops[t]->items[i].over ? "yes" : "no");
        }
        fclose(o);
    }
    return SK_CLI_OK;
}

static void sk_text_top(const struct sk_top *t)
{
    size_t n = t->n < 5 ? t->n : 5;

    printf("%s:%s\n", t->title, n ? "" : " none");
    for (size_t i = 0; i < n; i++) {
        struct sk_buf safe = {0}; /* no control character, C1 included, reaches a terminal */
        sk_text_escape(&safe, t->items[i].key, 70);
        printf("  %10llu  %s\n", (unsigned long long)t->items[i].count, safe.data ? safe.data : "");
        sk_buf_free(&safe);
    }
}

int sk_cli_log_report(struct sk_cli *c)
{
    struct sk_report r = {0};
    struct sk_top *tops[] = {&r.hosts, &r.rules, &r.who, &r.viruses, &r.dlp};
    struct timespec t0, t1;
    struct sk_buf first = {0}, last = {0};
    int rc = SK_CLI_FAIL;
    double secs;

    if (c->nlogs == 0 || !c->out)
        return sk_cli_usage("report needs --log FILE (one or more) and --out report.html");
    if ((r.b = calloc(SK_BUCKETS_MAX, sizeof(*r.b))) == NULL ||
        (r.bslot = calloc(SK_BSLOTS, sizeof(*r.bslot))) == NULL ||
        sk_top_init(&r.hosts, "Top blocked hosts", "host", "blocked_hosts") ||
        sk_top_init(&r.rules, "Top blocking rules and categories", "rule", "blocking_rules") ||
        sk_top_init(&r.who, "Users and clients with blocks or detections", "user or client",
                    "users") ||
        sk_top_init(&r.viruses, "Viruses by name", "virus", "viruses") ||
        sk_top_init(&r.dlp, "DLP hits by template", "template", "dlp")) {
        rc = sk_cli_fail("out of memory");
        goto out;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < c->nlogs; i++)
        if (sk_read_log(&r, c->logs[i], c->from, c->to) != SK_CLI_OK)
            goto out;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    for (size_t t = 0; t < sizeof(tops) / sizeof(tops[0]); t++)
        qsort(tops[t]->items, tops[t]->n, sizeof(*tops[t]->items), sk_top_cmp);
    qsort(r.b, r.nb, sizeof(*r.b), sk_bucket_cmp);
    if (sk_write_html(&r, c->out) != SK_CLI_OK || (c->csv && sk_write_csv(&r, c->csv) != SK_CLI_OK))
        goto out;
    secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    sk_text_escape(&first, r.first[0] ? r.first : "-", sizeof(r.first));
    sk_text_escape(&last, r.last[0] ? r.last : "-", sizeof(r.last));
    printf("Sekisho report %s .. %s: %llu transactions, %llu blocked, %llu errors, "
           "%llu detections (%llu lines, %llu unreadable, %llu outside the period; "
           "%.1f MB in %.2f s, %.0f MB/s)\n",
           first.data ? first.data : "-", last.data ? last.data : "-", (unsigned long long)r.total,
           (unsigned long long)r.blocked, (unsigned long long)r.errors,
           (unsigned long long)r.detections, (unsigned long long)r.lines, (unsigned long long)r.bad,
           (unsigned long long)r.skipped, r.bytes_read / 1e6, secs,
           secs > 0 ? r.bytes_read / 1e6 / secs : 0.0);
    for (size_t t = 0; t < sizeof(tops) / sizeof(tops[0]); t++)
        sk_text_top(tops[t]);
    printf("wrote %s%s%s\n", c->out, c->csv ? " and CSV files in " : "", c->csv ? c->csv : "");
    rc = SK_CLI_OK;
out:
    for (size_t t = 0; t < sizeof(tops) / sizeof(tops[0]); t++)
        sk_top_free(tops[t]);
    free(r.b);
    free(r.bslot);
    sk_buf_free(&first);
    sk_buf_free(&last);
    return rc;
}

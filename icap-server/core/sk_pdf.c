/* sk_pdf.c - the PDF reader's object index and value access
 * (sekisho/pdf.h); streams are decoded in sk_pdf_filter.c, decrypted in
 * sk_pdf_crypt.c. Design notes: README.md beside this file.
 * SECURITY: every byte is client-controlled. Objects are found by their
 * "N G obj" headers in one pass (xref tables are not trusted: a reader
 * repairs a broken one the same way); each object's value is read only up
 * to the next header, so 100,000 unterminated "<<" cost one pass, not
 * 100,000. Values are walked without recursion (depth bound
 * SK_PDF_MAX_DEPTH); "endstream" is searched once per region with a
 * cursor. Object streams are read after the file's own objects: their
 * objects cannot be streams, so they nest nothing. */
#include <stdlib.h>
#include <string.h>

#include "sk_pdf_internal.h"

#define SK_PDF_DEF_OBJECTS 1000000
#define SK_PDF_DEF_OUT     ((uint64_t)64 << 20)
#define SK_PDF_DEF_TOTAL   ((uint64_t)256 << 20)
#define SK_PDF_HDR_WS      64 /* whitespace read back from "obj" to the numbers */
#define SK_PDF_EOL_WS      64 /* whitespace between a stream's data and "endstream" */

int sk_pdf_is_ws(unsigned char c)
{
    return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ';
}

int sk_pdf_is_delim(unsigned char c)
{
    return c == '(' || c == ')' || c == '<' || c == '>' || c == '[' || c == ']' || c == '{' ||
           c == '}' || c == '/' || c == '%';
}

static int sk_pdf_regular(unsigned char c)
{
    return !sk_pdf_is_ws(c) && !sk_pdf_is_delim(c);
}

/* Whitespace and comments (a comment is whitespace to a PDF reader). */
size_t sk_pdf_skip_ws(const unsigned char *p, size_t i, size_t n)
{
    while (i < n) {
        if (sk_pdf_is_ws(p[i])) {
            i++;
        } else if (p[i] == '%') {
            while (i < n && p[i] != '\r' && p[i] != '\n')
                i++;
        } else {
            break;
        }
    }
    return i;
}

/* Past the literal string at P[I] == '(' (balanced parentheses, escapes). */
static size_t sk_pdf_lit_end(const unsigned char *p, size_t i, size_t n)
{
    size_t nest = 0;

    for (; i < n; i++) {
        if (p[i] == '\\') {
            i++;
        } else if (p[i] == '(') {
            nest++;
        } else if (p[i] == ')' && --nest == 0) {
            return i + 1;
        }
    }
    return n;
}

size_t sk_pdf_value_end(const unsigned char *p, size_t i, size_t n)
{
    unsigned depth = 0;

    i = sk_pdf_skip_ws(p, i, n);
    while (i < n) {
        unsigned char c = p[i];

        if (c == '(') {
            i = sk_pdf_lit_end(p, i, n);
        } else if (c == '<' && i + 1 < n && p[i + 1] == '<') {
            if (++depth > SK_PDF_MAX_DEPTH)
                return n;
            i += 2;
        } else if (c == '[') {
            if (++depth > SK_PDF_MAX_DEPTH)
                return n;
            i++;
        } else if (c == '<') {
            const unsigned char *e = memchr(p + i, '>', n - i);
            i = e ? (size_t)(e - p) + 1 : n;
        } else if ((c == '>' && i + 1 < n && p[i + 1] == '>') || c == ']') {
            if (depth == 0)
                return i; /* the end of the enclosing container */
            depth--;
            i += c == ']' ? 1 : 2;
        } else if (c == '/') {
            for (i++; i < n && sk_pdf_regular(p[i]); i++)
                ;
        } else if (!sk_pdf_regular(c)) {
            i++; /* a stray delimiter */
        } else {
            while (i < n && sk_pdf_regular(p[i]))
                i++;
        }
        if (depth == 0)
            return i;
        i = sk_pdf_skip_ws(p, i, n);
    }
    return n;
}

static int sk_pdf_hex(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

long sk_pdf_string_bytes(const unsigned char *s, size_t n, unsigned char *out, size_t size)
{
    size_t i = sk_pdf_skip_ws(s, 0, n), k = 0, nest = 0;

    if (i + 1 < n && s[i] == '<' && s[i + 1] != '<') {
        int hi = -1;
        for (i++; i < n && s[i] != '>'; i++) {
            int h = sk_pdf_hex(s[i]);
            if (h < 0)
                continue; /* white space (and junk: poppler skips it too) */
            if (hi < 0) {
                hi = h;
            } else {
                if (k < size)
                    out[k++] = (unsigned char)(hi << 4 | h);
                hi = -1;
            }
        }
        if (hi >= 0 && k < size) /* an odd last digit is followed by 0 */
            out[k++] = (unsigned char)(hi << 4);
        return (long)k;
    }
    if (i >= n || s[i] != '(')
        return -1;
    for (i++; i < n && k < size; i++) {
        unsigned char c = s[i];
        if (c == '(') {
            nest++;
        } else if (c == ')') {
            if (nest-- == 0)
                break;
        } else if (c == '\\' && i + 1 < n) {
            c = s[++i];
            if (c >= '0' && c <= '7') {
                unsigned o = 0, d;
                for (d = 0; d < 3 && i < n && s[i] >= '0' && s[i] <= '7'; d++, i++)
                    o = o * 8 + (unsigned)(s[i] - '0');
                i--;
                c = (unsigned char)o;
            } else if (c == '\r' || c == '\n') {
                if (c == '\r' && i + 1 < n && s[i + 1] == '\n')
                    i++;
                continue; /* a line continuation */
            } else {      /* \n \r \t \b \f; \( \) \\ and an unknown escape: the character */
                static const char esc[] = "n\nr\rt\tb\bf\f";
                const char *m = strchr(esc, c);
                if (m && c != 0 && ((m - esc) & 1) == 0)
                    c = (unsigned char)m[1];
            }
        } else if (c == '\r') {
            if (i + 1 < n && s[i + 1] == '\n')
                i++;
            c = '\n'; /* an end of line in a string is read as LF */
        }
        out[k++] = c;
    }
    return (long)k;
}

int sk_pdf_each_string(const unsigned char *v, size_t n,
                       int (*fn)(void *arg, const unsigned char *s, size_t sn), void *arg)
{
    size_t i = 0, e;
    int r;

    while ((i = sk_pdf_skip_ws(v, i, n)) < n) {
        if (v[i] == '(' || (v[i] == '<' && (i + 1 >= n || v[i + 1] != '<'))) {
            e = sk_pdf_value_end(v, i, n); /* a string is a value of its own */
            if ((r = fn(arg, v + i, e - i)) != 0)
                return r;
            i = e;
        } else if (v[i] == '<') {
            i += 2;
        } else {
            i++;
        }
    }
    return 0;
}

int sk_pdf_name(const unsigned char *v, size_t n, char *out, size_t size)
{
    size_t i = sk_pdf_skip_ws(v, 0, n), k = 0;

    if (size == 0 || i >= n || v[i] != '/')
        return -1;
    for (i++; i < n && sk_pdf_regular(v[i]); i++) {
        unsigned char c = v[i];
        if (c == '#' && i + 2 < n && sk_pdf_hex(v[i + 1]) >= 0 && sk_pdf_hex(v[i + 2]) >= 0) {
            c = (unsigned char)(sk_pdf_hex(v[i + 1]) << 4 | sk_pdf_hex(v[i + 2]));
            i += 2;
        }
        if (k + 1 < size)
            out[k++] = (char)c;
    }
    out[k] = '\0';
    return 0;
}

int sk_pdf_name_is(const unsigned char *v, size_t n, const char *name)
{
    char buf[128];

    return sk_pdf_name(v, n, buf, sizeof(buf)) == 0 && strcmp(buf, name) == 0;
}

/* An integer token at P[I]: its end (0 when none), the value in *OUT. */
static size_t sk_pdf_int_at(const unsigned char *p, size_t i, size_t n, long long *out)
{
    int neg = 0;
    unsigned long long v = 0;
    size_t s;

    if (i < n && (p[i] == '+' || p[i] == '-'))
        neg = p[i++] == '-';
    for (s = i; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
        if (v > (unsigned long long)(INT64_MAX / 10) - 1)
            return 0;
        v = v * 10 + (unsigned)(p[i] - '0');
    }
    if (i == s || (i < n && sk_pdf_regular(p[i])))
        return 0;
    *out = neg ? -(long long)v : (long long)v;
    return i;
}

int sk_pdf_int(const unsigned char *v, size_t n, long long *out)
{
    long long x;
    size_t e = sk_pdf_int_at(v, sk_pdf_skip_ws(v, 0, n), n, &x);

    if (!e || sk_pdf_skip_ws(v, e, n) != n)
        return -1; /* none, or more than one token ("12 0 R") */
    *out = x;
    return 0;
}

int sk_pdf_ref(const unsigned char *v, size_t n, unsigned *num)
{
    long long a, b;
    size_t i = sk_pdf_int_at(v, sk_pdf_skip_ws(v, 0, n), n, &a);

    if (!i || a < 0 || a > UINT32_MAX)
        return -1;
    i = sk_pdf_int_at(v, sk_pdf_skip_ws(v, i, n), n, &b);
    if (!i || b < 0)
        return -1;
    i = sk_pdf_skip_ws(v, i, n);
    if (i >= n || v[i] != 'R' || (i + 1 < n && sk_pdf_regular(v[i + 1])))
        return -1;
    *num = (unsigned)a;
    return 0;
}

size_t sk_pdf_item_end(const unsigned char *p, size_t i, size_t n)
{
    size_t e, k;
    long long dummy;

    i = sk_pdf_skip_ws(p, i, n);
    e = sk_pdf_value_end(p, i, n);
    if (e > i && sk_pdf_int_at(p, i, n, &dummy) == e) { /* "N G R"? */
        k = sk_pdf_int_at(p, sk_pdf_skip_ws(p, e, n), n, &dummy);
        if (k) {
            k = sk_pdf_skip_ws(p, k, n);
            if (k < n && p[k] == 'R' && (k + 1 >= n || !sk_pdf_regular(p[k + 1])))
                return k + 1;
        }
    }
    return e;
}

int sk_pdf_dict_get(const unsigned char *d, size_t n, const char *key, const unsigned char **v,
                    size_t *vlen)
{
    size_t i;
    int found = -1;

    i = sk_pdf_skip_ws(d, 0, n);
    if (i + 1 >= n || d[i] != '<' || d[i + 1] != '<')
        return -1;
    for (i += 2;;) {
        size_t ke, vs, ve;

        i = sk_pdf_skip_ws(d, i, n);
        if (i >= n || d[i] == '>')
            break;
        if (d[i] != '/') { /* no key: skip the value */
            ve = sk_pdf_value_end(d, i, n);
            i = ve > i ? ve : i + 1;
            continue;
        }
        ke = sk_pdf_value_end(d, i, n);
        vs = sk_pdf_skip_ws(d, ke, n);
        ve = sk_pdf_item_end(d, vs, n);
        if (ve > vs && sk_pdf_name_is(d + i, ke - i, key)) {
            *v = d + vs; /* the last of a repeated key, as qpdf reads it */
            *vlen = ve - vs;
            found = 0;
        }
        i = ve > ke ? ve : ke;
    }
    return found;
}

static int sk_pdf_cmp_byn(const void *a, const void *b, void *arg)
{
    const struct sk_pdf *d = arg;
    size_t x = *(const size_t *)a, y = *(const size_t *)b;

    if (d->obj[x].num != d->obj[y].num)
        return d->obj[x].num < d->obj[y].num ? -1 : 1;
    if (d->order[x] != d->order[y])
        return d->order[x] < d->order[y] ? -1 : 1;
    return x < y ? -1 : x > y;
}

static int sk_pdf_index_build(struct sk_pdf *d)
{
    size_t i;
    size_t *b = realloc(d->byn, (d->nobj ? d->nobj : 1) * sizeof(*b));

    if (!b)
        return -1;
    d->byn = b;
    for (i = 0; i < d->nobj; i++)
        b[i] = i;
    qsort_r(b, d->nobj, sizeof(*b), sk_pdf_cmp_byn, d);
    d->nbyn = d->nobj;
    return 0;
}

const struct sk_pdf_obj *sk_pdf_find(const struct sk_pdf *d, unsigned num)
{
    size_t lo = 0, hi;

    if (!d)
        return NULL;
    hi = d->nbyn;
    while (lo < hi) { /* the first entry past NUM */
        size_t mid = lo + (hi - lo) / 2;
        if (d->obj[d->byn[mid]].num <= num)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || d->obj[d->byn[lo - 1]].num != num)
        return NULL;
    return &d->obj[d->byn[lo - 1]];
}

void sk_pdf_deref(const struct sk_pdf *d, const unsigned char **v, size_t *n)
{
    unsigned num, hop;

    for (hop = 0; hop < SK_PDF_MAX_REFS && sk_pdf_ref(*v, *n, &num) == 0; hop++) {
        const struct sk_pdf_obj *o = sk_pdf_find(d, num);
        if (!o) {
            *n = 0; /* a reference to nothing is null */
            return;
        }
        *v = o->dict;
        *n = o->dict_len;
    }
}

int sk_pdf_resolve(const struct sk_pdf *d, const unsigned char *v, size_t n,
                   const unsigned char **out, size_t *on)
{
    size_t i;

    if (!v)
        return -1;
    sk_pdf_deref(d, &v, &n);
    i = sk_pdf_skip_ws(v, 0, n);
    if (i >= n || sk_pdf_ref(v, n, &(unsigned){0}) == 0)
        return -1;
    *out = v + i;
    *on = n - i;
    return 0;
}

int sk_pdf_dict_val(const struct sk_pdf *d, const unsigned char *dict, size_t n, const char *key,
                    const unsigned char **v, size_t *vn)
{
    if (sk_pdf_dict_get(dict, n, key, v, vn) != 0)
        return -1;
    sk_pdf_deref(d, v, vn);
    return *vn ? 0 : -1;
}

int sk_pdf_dict_int(const struct sk_pdf *d, const unsigned char *dict, size_t n, const char *key,
                    long long *out)
{
    const unsigned char *v;
    size_t vn;

    if (sk_pdf_dict_val(d, dict, n, key, &v, &vn) != 0)
        return -1;
    return sk_pdf_int(v, vn, out);
}

int sk_pdf_keep(struct sk_pdf *d, unsigned char *buf)
{
    if (d->nown == d->capown) {
        size_t cap = d->capown ? d->capown * 2 : 8;
        unsigned char **o = realloc(d->own, cap * sizeof(*o));
        if (!o) {
            free(buf);
            return -1;
        }
        d->own = o;
        d->capown = cap;
    }
    d->own[d->nown++] = buf;
    return 0;
}

/* Append an object: 0, -1 (no memory) or 1 (max_objects reached). */
static int sk_pdf_add(struct sk_pdf *d, const struct sk_pdf_obj *o, size_t order)
{
    if (d->nobj >= d->lim.max_objects)
        return 1;
    if (d->nobj == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        struct sk_pdf_obj *a = realloc(d->obj, cap * sizeof(*a));
        size_t *b;
        if (!a)
            return -1;
        d->obj = a;
        b = realloc(d->order, cap * sizeof(*b));
        if (!b)
            return -1;
        d->order = b;
        d->cap = cap;
    }
    d->obj[d->nobj] = *o;
    d->order[d->nobj++] = order;
    return 0;
}

/* The "N G" before "obj" at P[K]: the header's first byte, or -1. */
static long long sk_pdf_header(const unsigned char *p, size_t k, unsigned *num, unsigned *gen)
{
    size_t j = k;
    unsigned long long v[2] = {0, 0};
    int f;

    for (f = 1; f >= 0; f--) { /* the generation, then the number */
        size_t e, digits, stop = j > SK_PDF_HDR_WS ? j - SK_PDF_HDR_WS : 0;
        unsigned long long m = 1;
        if (j == 0 || !sk_pdf_is_ws(p[j - 1]))
            return -1;
        while (j > stop && sk_pdf_is_ws(p[j - 1]))
            j--;
        for (e = j, digits = 0; j > 0 && p[j - 1] >= '0' && p[j - 1] <= '9'; j--, digits++) {
            if (digits == 10)
                return -1;
            v[f] += (unsigned long long)(p[j - 1] - '0') * m;
            m *= 10;
        }
        if (j == e)
            return -1;
    }
    if (j > 0 && sk_pdf_regular(p[j - 1]))
        return -1;
    if (v[0] > UINT32_MAX || v[1] > 65535)
        return -1;
    *num = (unsigned)v[0];
    *gen = (unsigned)v[1];
    return (long long)j;
}

/* Every "N G obj" header, its value read up to the next header. */
static enum sk_pdf_rc sk_pdf_scan(struct sk_pdf *d)
{
    const unsigned char *p = d->p;
    size_t n = d->n, pos = 0, i, first = d->nobj;
    const unsigned char *hit;
    enum sk_pdf_rc rc = SK_PDF_OK;

    while (pos < n && (hit = memmem(p + pos, n - pos, "obj", 3)) != NULL) {
        size_t k = (size_t)(hit - p);
        struct sk_pdf_obj o = {0};
        long long h;
        int r;

        pos = k + 3;
        if (k + 3 < n && sk_pdf_regular(p[k + 3]))
            continue;
        h = sk_pdf_header(p, k, &o.num, &o.gen);
        if (h < 0)
            continue;
        o.dict = p + k + 3; /* the value follows; its extent below */
        r = sk_pdf_add(d, &o, (size_t)h);
        if (r < 0)
            return SK_PDF_NOMEM;
        if (r > 0) {
            rc = SK_PDF_LIMIT;
            break;
        }
    }
    for (i = first; i < d->nobj; i++) {
        struct sk_pdf_obj *o = &d->obj[i];
        size_t end = i + 1 < d->nobj ? d->order[i + 1] : n;
        size_t vs = sk_pdf_skip_ws(p, (size_t)(o->dict - p), end);
        size_t ve = sk_pdf_item_end(p, vs, end), j;

        o->dict = p + vs;
        o->dict_len = ve - vs;
        j = sk_pdf_skip_ws(p, ve, n);
        if (j + 6 <= n && memcmp(p + j, "stream", 6) == 0 &&
            (j + 6 == n || !sk_pdf_regular(p[j + 6]))) {
            j += 6;
            if (j < n && p[j] == '\r')
                j++;
            if (j < n && p[j] == '\n')
                j++;
            o->stream = 1;
            o->raw = p + j;
        }
    }
    return rc;
}

/* The first "endstream" at or after FROM (N when none): a cursor, since
 * streams are measured in file order. */
static size_t sk_pdf_endstream(struct sk_pdf *d, size_t from)
{
    const unsigned char *hit;

    if (d->es_valid && from >= d->es_from && d->es_pos >= from)
        return d->es_pos;
    hit = from < d->n ? memmem(d->p + from, d->n - from, "endstream", 9) : NULL;
    d->es_from = from;
    d->es_pos = hit ? (size_t)(hit - d->p) : d->n;
    d->es_valid = 1;
    return d->es_pos;
}

/* RAW_LEN of each stream: /Length when "endstream" follows it, else up
 * to "endstream" (one end of line before it is not data). */
static void sk_pdf_measure(struct sk_pdf *d)
{
    size_t i;

    for (i = 0; i < d->nobj; i++) {
        struct sk_pdf_obj *o = &d->obj[i];
        size_t start, e, j, stop;
        long long len;

        if (!o->stream || o->in_objstm)
            continue;
        start = (size_t)(o->raw - d->p);
        if (sk_pdf_dict_int(d, o->dict, o->dict_len, "Length", &len) == 0 && len >= 0 &&
            (uint64_t)len <= d->n - start) {
            j = start + (size_t)len;
            stop = d->n - j > SK_PDF_EOL_WS ? j + SK_PDF_EOL_WS : d->n;
            while (j < stop && sk_pdf_is_ws(d->p[j]))
                j++;
            if (j + 9 <= d->n && memcmp(d->p + j, "endstream", 9) == 0) {
                o->raw_len = (size_t)len;
                continue;
            }
        }
        e = sk_pdf_endstream(d, start);
        if (e > start && d->p[e - 1] == '\n')
            e--;
        if (e > start && d->p[e - 1] == '\r')
            e--;
        o->raw_len = e - start;
    }
}

struct sk_pdf_slot {
    size_t off, idx;
};

static int sk_pdf_cmp_slot(const void *a, const void *b)
{
    const struct sk_pdf_slot *x = a, *y = b;

    if (x->off != y->off)
        return x->off < y->off ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* The objects of the object stream D->obj[I]: SK_PDF_OK (also when it
 * cannot be decoded: virus_scan meets that stream itself), LIMIT, NOMEM. */
static enum sk_pdf_rc sk_pdf_objstm(struct sk_pdf *d, size_t i)
{
    struct sk_pdf_obj host = d->obj[i];
    size_t order = d->order[i], len, pos = 0, first, np = 0, cap = 0, k;
    unsigned char *buf;
    long long nobj, fst;
    struct sk_pdf_slot *slot = NULL;
    unsigned *nums = NULL;
    enum sk_pdf_rc rc;

    if (sk_pdf_dict_int(d, host.dict, host.dict_len, "N", &nobj) != 0 ||
        sk_pdf_dict_int(d, host.dict, host.dict_len, "First", &fst) != 0 || nobj <= 0 || fst < 0)
        return SK_PDF_OK;
    rc = sk_pdf_decode(d, &host, &buf, &len, NULL, 0);
    if (rc != SK_PDF_OK)
        return rc == SK_PDF_LIMIT || rc == SK_PDF_NOMEM ? rc : SK_PDF_OK;
    if (sk_pdf_keep(d, buf) != 0)
        return SK_PDF_NOMEM;
    if ((uint64_t)fst > len)
        return SK_PDF_OK;
    first = (size_t)fst;
    rc = SK_PDF_OK;
    while ((long long)np < nobj) { /* "num offset" pairs before /First */
        long long a, b;
        size_t e = sk_pdf_int_at(buf, sk_pdf_skip_ws(buf, pos, first), first, &a), f;
        if (!e || !(f = sk_pdf_int_at(buf, sk_pdf_skip_ws(buf, e, first), first, &b)))
            break;
        pos = f;
        if (a < 0 || a > UINT32_MAX || b < 0 || (uint64_t)b >= len - first)
            continue;
        if (np == cap) {
            size_t nc = cap ? cap * 2 : 16;
            void *s2 = realloc(slot, nc * sizeof(*slot)), *n2;
            if (s2)
                slot = s2;
            n2 = s2 ? realloc(nums, nc * sizeof(*nums)) : NULL;
            if (!n2) {
                rc = SK_PDF_NOMEM;
                goto out;
            }
            nums = n2;
            cap = nc;
        }
        slot[np].off = first + (size_t)b;
        slot[np].idx = np;
        nums[np++] = (unsigned)a;
    }
    if (np > 1)
        qsort(slot, np, sizeof(*slot), sk_pdf_cmp_slot);
    for (k = 0; k < np; k++) { /* each value runs at most to the next offset */
        struct sk_pdf_obj o = {0};
        size_t next = k + 1, end, vs;
        int r;
        while (next < np && slot[next].off == slot[k].off)
            next++;
        end = next < np ? slot[next].off : len;
        vs = sk_pdf_skip_ws(buf, slot[k].off, end);
        o.num = nums[slot[k].idx];
        o.dict = buf + vs;
        o.dict_len = sk_pdf_item_end(buf, vs, end) - vs;
        o.in_objstm = 1;
        r = sk_pdf_add(d, &o, order);
        if (r != 0) {
            rc = r < 0 ? SK_PDF_NOMEM : SK_PDF_LIMIT;
            break;
        }
    }
out:
    free(slot);
    free(nums);
    return rc;
}

static int sk_pdf_is_type(const struct sk_pdf_obj *o, const char *type)
{
    const unsigned char *v;
    size_t vn;

    return sk_pdf_dict_get(o->dict, o->dict_len, "Type", &v, &vn) == 0 &&
           sk_pdf_name_is(v, vn, type);
}

enum sk_pdf_rc sk_pdf_open(const unsigned char *p, size_t n, const struct sk_pdf_limits *lim,
                           struct sk_pdf **out)
{
    struct sk_pdf *d;
    enum sk_pdf_rc rc, orc = SK_PDF_OK;
    size_t i, top;

    *out = NULL;
    if (!p || !memmem(p, n < 1024 ? n : 1024, "%PDF-", 5))
        return SK_PDF_NOT_PDF;
    d = calloc(1, sizeof(*d));
    if (!d)
        return SK_PDF_NOMEM;
    d->p = p;
    d->n = n;
    if (lim)
        d->lim = *lim;
    if (!d->lim.max_objects)
        d->lim.max_objects = SK_PDF_DEF_OBJECTS;
    if (!d->lim.max_out)
        d->lim.max_out = SK_PDF_DEF_OUT;
    if (!d->lim.max_total)
        d->lim.max_total = SK_PDF_DEF_TOTAL;
    rc = sk_pdf_scan(d);
    if (rc == SK_PDF_NOMEM || sk_pdf_index_build(d) != 0)
        goto fail;
    orc = rc;
    sk_pdf_measure(d);
    sk_pdf_crypt_open(d);
    top = d->nobj;
    for (i = 0; i < top && orc == SK_PDF_OK; i++) {
        if (!d->obj[i].stream || !sk_pdf_is_type(&d->obj[i], "ObjStm"))
            continue;
        rc = sk_pdf_objstm(d, i);
        if (rc == SK_PDF_NOMEM)
            goto fail;
        orc = rc;
    }
    if (d->nobj != top && sk_pdf_index_build(d) != 0)
        goto fail;
    *out = d;
    return orc;
fail:
    sk_pdf_free(d);
    return SK_PDF_NOMEM;
}

void sk_pdf_free(struct sk_pdf *d)
{
    size_t i;

    if (!d)
        return;
    for (i = 0; i < d->nown; i++)
        free(d->own[i]);
    free(d->own);
    free(d->obj);
    free(d->order);
    free(d->byn);
    free(d);
}

size_t sk_pdf_count(const struct sk_pdf *d)
{
    return d ? d->nobj : 0;
}

const struct sk_pdf_obj *sk_pdf_at(const struct sk_pdf *d, size_t i)
{
    return d && i < d->nobj ? &d->obj[i] : NULL;
}

int sk_pdf_encrypted(const struct sk_pdf *d)
{
    return d ? d->enc : 0;
}

enum sk_pdf_rc sk_pdf_stream(struct sk_pdf *d, const struct sk_pdf_obj *o, unsigned char **out,
                             size_t *out_len, int *predicted)
{
    *out = NULL;
    *out_len = 0;
    if (predicted)
        *predicted = 0;
    if (!d || !o || !o->stream)
        return SK_PDF_BROKEN;
    return sk_pdf_decode(d, o, out, out_len, predicted, 0);
}

enum sk_pdf_rc sk_pdf_stream_head(struct sk_pdf *d, const struct sk_pdf_obj *o, unsigned char **out,
                                  size_t *out_len, size_t max)
{
    *out = NULL;
    *out_len = 0;
    if (!d || !o || !o->stream || max == 0)
        return SK_PDF_BROKEN;
    return sk_pdf_decode(d, o, out, out_len, NULL, max);
}

/* pdb_json.c - a small JSON reader for policy documents: objects, arrays,
 * strings (all escapes, \uXXXX with surrogate pairs, UTF-8 checked),
 * integers, true/false/null. No fractions or exponents: export never
 * writes them. A member name given twice in one object is refused: readers
 * disagree on which one counts (this one took the first, jq and Python
 * take the last), so a document reviewed with another tool would not be
 * the one applied. Trust: the document is administrator-supplied (or a
 * signed fleet bundle) but may be damaged or hand-edited; every malformed
 * input is an error with a line number, never a crash (depth and sizes
 * are bounded). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pdb_json.h"
#include "pdb_internal.h"
#include "sekisho/text.h"

#define SK_JSON_DEPTH 16

struct sk_json_p {
    char *s, *end;
    char **err;
    /* Counted while skipping white space, the only place a raw newline can
     * be (a string refuses control characters): counting the text at an
     * error would also count each "\n" that strings decoded in place. */
    int line;
    /* the containers being read, outermost first: the path to an error */
    const struct sk_json *open[SK_JSON_DEPTH];
};

static int sk_json_fail_at(struct sk_json_p *p, int line, const char *what)
{
    return sk_pdb_errf(p->err, "policy document line %d: %s", line, what);
}

static int sk_json_fail(struct sk_json_p *p, const char *what)
{
    return sk_json_fail_at(p, p->line, what);
}

static void sk_json_ws(struct sk_json_p *p)
{
    while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r'))
        p->line += *p->s++ == '\n';
}

static int sk_json_hex4(struct sk_json_p *p, const char *h, unsigned *out)
{
    unsigned v = 0;

    if (p->end - h < 4)
        return -1;
    for (int i = 0; i < 4; i++) {
        char c = h[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* Decode the string at p->s (on the opening quote) in place. */
static int sk_json_string(struct sk_json_p *p, const char **out, size_t *outlen)
{
    char *o = ++p->s, *begin = o;

    while (p->s < p->end && *p->s != '"') {
        unsigned char c = (unsigned char)*p->s;
        if (c < 0x20)
            return sk_json_fail(p, "control character in a string");
        if (c != '\\') {
            size_t n = sk_utf8_len((const unsigned char *)p->s, (size_t)(p->end - p->s));
            if (n == 0)
                return sk_json_fail(p, "invalid UTF-8 in a string");
            memmove(o, p->s, n);
            o += n, p->s += n;
            continue;
        }
        if (p->end - p->s < 2)
            break;
        switch (p->s[1]) {
        case '"':
        case '\\':
        case '/':
            *o++ = p->s[1];
            break;
        case 'b':
            *o++ = '\b';
            break;
        case 'f':
            *o++ = '\f';
            break;
        case 'n':
            *o++ = '\n';
            break;
        case 'r':
            *o++ = '\r';
            break;
        case 't':
            *o++ = '\t';
            break;
        case 'u': {
            unsigned cp, lo;
            if (sk_json_hex4(p, p->s + 2, &cp) == -1)
                return sk_json_fail(p, "bad \\u escape");
            if (cp >= 0xdc00 && cp <= 0xdfff)
                return sk_json_fail(p, "lone low surrogate in \\u escape");
            if (cp >= 0xd800 && cp <= 0xdbff) {
                if (p->end - p->s < 12 || p->s[6] != '\\' || p->s[7] != 'u' ||
                    sk_json_hex4(p, p->s + 8, &lo) == -1 || lo < 0xdc00 || lo > 0xdfff)
                    return sk_json_fail(p, "high surrogate without a low one in \\u escape");
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                p->s += 6;
            }
            if (cp == 0)
                return sk_json_fail(p, "\\u0000 is not allowed");
            o += sk_utf8_put((unsigned char *)o, cp);
            p->s += 4;
            break;
        }
        default:
            return sk_json_fail(p, "unknown escape in a string");
        }
        p->s += 2;
    }
    if (p->s >= p->end)
        return sk_json_fail(p, "unterminated string");
    p->s++;
    *o = '\0'; /* o <= the closing quote: decoding never grows */
    *out = begin;
    *outlen = (size_t)(o - begin);
    return 0;
}

static int sk_json_value(struct sk_json_p *p, struct sk_json *v, int depth);

/* Orders members by name, then by place in the document. */
static int sk_json_key_cmp(const void *a, const void *b)
{
    const struct sk_json *x = *(const struct sk_json *const *)a;
    const struct sk_json *y = *(const struct sk_json *const *)b;
    int c = strcmp(x->key, y->key);

    return c ? c : (x > y) - (x < y);
}

/* The error for member DUP repeated in the object open at DEPTH, with the
 * object's path as jq writes it (".policies[0].url_rules[2]"). */
static int sk_json_fail_dup(struct sk_json_p *p, const struct sk_json *dup, int depth)
{
    struct sk_buf b = {0};
    int rc;

    sk_buf_puts(&b, "member \"");
    sk_json_escape(&b, dup->key, 64);
    sk_buf_puts(&b, "\" repeated in ");
    if (depth == 0)
        sk_buf_puts(&b, "the top-level object");
    for (int j = 0; j < depth; j++) {
        const struct sk_json *c = p->open[j];
        if (c->type == SK_JSON_ARR) {
            sk_buf_printf(&b, "[%zu]", c->n - 1);
            continue;
        }
        sk_buf_puts(&b, ".");
        sk_json_escape(&b, c->kids[c->n - 1].key, 64);
    }
    rc = sk_json_fail_at(p, dup->line, b.failed ? "member name repeated" : b.data);
    sk_buf_free(&b);
    return rc;
}

/* Refuses object V (open at DEPTH) when a member name occurs twice; sorted
 * so that an object of any size costs n log n. */
static int sk_json_unique(struct sk_json_p *p, const struct sk_json *v, int depth)
{
    const struct sk_json **k, *dup = NULL;

    if (v->n < 2)
        return 0;
    if ((k = malloc(v->n * sizeof(*k))) == NULL)
        return sk_json_fail(p, "out of memory");
    for (size_t i = 0; i < v->n; i++)
        k[i] = &v->kids[i];
    qsort(k, v->n, sizeof(*k), sk_json_key_cmp);
    for (size_t i = 1; i < v->n; i++)
        if (strcmp(k[i - 1]->key, k[i]->key) == 0 && (dup == NULL || k[i] < dup))
            dup = k[i]; /* the first repetition in document order */
    free(k);
    return dup ? sk_json_fail_dup(p, dup, depth) : 0;
}

static int sk_json_push(struct sk_json_p *p, struct sk_json *v, size_t *cap)
{
    if (v->n == *cap) {
        size_t c = *cap ? *cap * 2 : 4;
        struct sk_json *k = realloc(v->kids, c * sizeof(*k));
        if (k == NULL)
            return sk_json_fail(p, "out of memory");
        v->kids = k;
        *cap = c;
    }
    memset(&v->kids[v->n], 0, sizeof(v->kids[0]));
    v->n++;
    return 0;
}

static int sk_json_container(struct sk_json_p *p, struct sk_json *v, int depth)
{
    int obj = *p->s == '{';
    char close = obj ? '}' : ']';
    size_t cap = 0;

    if (depth >= SK_JSON_DEPTH)
        return sk_json_fail(p, "nested too deeply");
    v->type = obj ? SK_JSON_OBJ : SK_JSON_ARR;
    p->open[depth] = v;
    p->s++;
    sk_json_ws(p);
    if (p->s < p->end && *p->s == close) {
        p->s++;
        return 0;
    }
    for (;;) {
        struct sk_json *k;
        if (sk_json_push(p, v, &cap) == -1)
            return -1;
        k = &v->kids[v->n - 1];
        sk_json_ws(p);
        if (obj) {
            size_t kl;
            if (p->s >= p->end || *p->s != '"')
                return sk_json_fail(p, "expected a member name");
            k->line = p->line;
            if (sk_json_string(p, &k->key, &kl) == -1)
                return -1;
            sk_json_ws(p);
            if (p->s >= p->end || *p->s != ':')
                return sk_json_fail(p, "expected ':'");
            p->s++;
        }
        if (sk_json_value(p, k, depth + 1) == -1)
            return -1;
        sk_json_ws(p);
        if (p->s < p->end && *p->s == ',') {
            p->s++;
            continue;
        }
        if (p->s < p->end && *p->s == close) {
            p->s++;
            return obj ? sk_json_unique(p, v, depth) : 0;
        }
        return sk_json_fail(p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int sk_json_number(struct sk_json_p *p, struct sk_json *v)
{
    char *q = p->s, *end;

    if (*q == '-')
        q++;
    if (q >= p->end || *q < '0' || *q > '9' ||
        (*q == '0' && q + 1 < p->end && q[1] >= '0' && q[1] <= '9'))
        return sk_json_fail(p, "invalid number");
    errno = 0;
    v->i = strtoll(p->s, &end, 10);
    if (errno != 0)
        return sk_json_fail(p, "number out of range");
    if (end < p->end && (*end == '.' || *end == 'e' || *end == 'E'))
        return sk_json_fail(p, "only integers are allowed");
    v->type = SK_JSON_INT;
    p->s = end;
    return 0;
}

static int sk_json_value(struct sk_json_p *p, struct sk_json *v, int depth)
{
    static const struct {
        const char *word;
        enum sk_json_type type;
        int64_t i;
    } words[] = {{"true", SK_JSON_BOOL, 1}, {"false", SK_JSON_BOOL, 0}, {"null", SK_JSON_NULL, 0}};

    sk_json_ws(p);
    if (p->s >= p->end)
        return sk_json_fail(p, "unexpected end of document");
    switch (*p->s) {
    case '{':
    case '[':
        return sk_json_container(p, v, depth);
    case '"':
        v->type = SK_JSON_STR;
        return sk_json_string(p, &v->s, &v->len);
    default:
        break;
    }
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        size_t n = strlen(words[i].word);
        if ((size_t)(p->end - p->s) >= n && memcmp(p->s, words[i].word, n) == 0) {
            v->type = words[i].type;
            v->i = words[i].i;
            p->s += n;
            return 0;
        }
    }
    if (*p->s == '-' || (*p->s >= '0' && *p->s <= '9'))
        return sk_json_number(p, v);
    return sk_json_fail(p, "unexpected character");
}

static void sk_json_clear(struct sk_json *v)
{
    for (size_t i = 0; i < v->n; i++)
        sk_json_clear(&v->kids[i]);
    free(v->kids);
    v->kids = NULL;
    v->n = 0;
}

struct sk_json *sk_json_parse(char *text, size_t len, char **err)
{
    struct sk_json_p p = {.s = text, .end = text + len, .err = err, .line = 1};
    struct sk_json *root = calloc(1, sizeof(*root));

    if (root == NULL) {
        sk_pdb_errf(err, "out of memory");
        return NULL;
    }
    if (sk_json_value(&p, root, 0) == -1)
        goto fail;
    sk_json_ws(&p);
    if (p.s != p.end) {
        sk_json_fail(&p, "trailing data after the document");
        goto fail;
    }
    return root;
fail:
    sk_json_free(root);
    return NULL;
}

void sk_json_free(struct sk_json *v)
{
    if (v == NULL)
        return;
    sk_json_clear(v);
    free(v);
}

const struct sk_json *sk_json_get(const struct sk_json *obj, const char *key)
{
    if (obj == NULL || obj->type != SK_JSON_OBJ)
        return NULL;
    for (size_t i = 0; i < obj->n; i++)
        if (strcmp(obj->kids[i].key, key) == 0)
            return &obj->kids[i];
    return NULL;
}

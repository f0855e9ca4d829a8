/* match_ac.c - one Aho-Corasick automaton over bytes for all prefix and
 * substring rules of a set: a substring lookup is one pass over the URL,
 * a prefix lookup a trie walk from the root, whatever the rule count.
 * Patterns are trusted policy data; texts are client URLs (bounded). */
#include <stdlib.h>
#include <string.h>

#include "match_internal.h"

#define SK_AC_NONE UINT32_MAX
/* A node with this many children also gets a 256-entry row, so the busy
 * top of the trie is one load per byte instead of a binary search (that
 * search was half the time of a substring pass). At most one row per 16
 * edges: the rows cost at most 64 bytes per node. */
#define SK_AC_DENSE_MIN 16

struct sk_ac_node {
    uint32_t first;            /* building: first child; built: first edge */
    uint32_t sibling;          /* building only: next child of the same parent */
    uint32_t fail;             /* longest proper suffix that is a trie node */
    uint32_t dict;             /* nearest node on the fail chain with substring outputs */
    uint32_t out_pre, out_sub; /* output lists, 1-based, 0 = none */
    uint32_t dense;            /* built: 1-based row in dense[], 0 = edges only */
    uint16_t nedges;
    uint8_t byte; /* label of the edge into this node */
};

struct sk_ac_out {
    uint32_t value, next;
};

struct sk_ac {
    struct sk_ac_node *nodes; /* [0] is the root */
    size_t n, cap;
    struct sk_ac_out *outs;
    size_t nout, outcap;
    uint8_t *ebyte; /* built edges, sorted by byte per node */
    uint32_t *etarget;
    uint32_t root[256];     /* root transitions, 0 = stay at the root */
    uint32_t (*dense)[256]; /* rows for nodes with >= SK_AC_DENSE_MIN children */
    size_t ndense;
    size_t npat;
    int built;
};

struct sk_ac *sk_ac_new(void)
{
    struct sk_ac *ac = calloc(1, sizeof(*ac));

    if (ac == NULL || (ac->nodes = calloc(64, sizeof(*ac->nodes))) == NULL) {
        free(ac);
        return NULL;
    }
    ac->cap = 64;
    ac->n = 1;
    ac->nodes[0].first = SK_AC_NONE;
    return ac;
}

static uint32_t sk_ac_child_build(const struct sk_ac *ac, uint32_t u, uint8_t c)
{
    for (uint32_t v = ac->nodes[u].first; v != SK_AC_NONE; v = ac->nodes[v].sibling)
        if (ac->nodes[v].byte == c)
            return v;
    return SK_AC_NONE;
}

static uint32_t sk_ac_new_node(struct sk_ac *ac, uint32_t parent, uint8_t c)
{
    struct sk_ac_node *nn;

    if (ac->n == ac->cap) {
        if (ac->cap >= UINT32_MAX / 4 ||
            (nn = realloc(ac->nodes, ac->cap * 2 * sizeof(*nn))) == NULL)
            return SK_AC_NONE;
        ac->nodes = nn;
        ac->cap *= 2;
    }
    nn = &ac->nodes[ac->n];
    memset(nn, 0, sizeof(*nn));
    nn->first = SK_AC_NONE;
    nn->byte = c;
    nn->sibling = ac->nodes[parent].first;
    ac->nodes[parent].first = (uint32_t)ac->n;
    return (uint32_t)ac->n++;
}

int sk_ac_add(struct sk_ac *ac, const char *pat, size_t len, enum sk_ac_kind kind, uint32_t value)
{
    uint32_t u = 0, v, *head;

    if (ac->built || len == 0)
        return -1;
    for (size_t i = 0; i < len; i++, u = v)
        if ((v = sk_ac_child_build(ac, u, (uint8_t)pat[i])) == SK_AC_NONE &&
            (v = sk_ac_new_node(ac, u, (uint8_t)pat[i])) == SK_AC_NONE)
            return -1;
    if (ac->nout == ac->outcap) {
        size_t cap = ac->outcap ? ac->outcap * 2 : 64;
        struct sk_ac_out *o = realloc(ac->outs, cap * sizeof(*o));
        if (o == NULL)
            return -1;
        ac->outs = o;
        ac->outcap = cap;
    }
    head = kind == SK_AC_PREFIX ? &ac->nodes[u].out_pre : &ac->nodes[u].out_sub;
    ac->outs[ac->nout].value = value;
    ac->outs[ac->nout].next = *head;
    *head = (uint32_t)++ac->nout;
    ac->npat++;
    return 0;
}

/* Transition of a built node, SK_AC_NONE if there is none. */
static uint32_t sk_ac_goto(const struct sk_ac *ac, uint32_t u, uint8_t c)
{
    const struct sk_ac_node *n = &ac->nodes[u];
    size_t lo, hi;

    if (u == 0)
        return ac->root[c] ? ac->root[c] : SK_AC_NONE;
    if (n->dense)
        return ac->dense[n->dense - 1][c] ? ac->dense[n->dense - 1][c] : SK_AC_NONE;
    lo = n->first;
    hi = lo + n->nedges;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ac->ebyte[mid] == c)
            return ac->etarget[mid];
        if (ac->ebyte[mid] < c)
            lo = mid + 1;
        else
            hi = mid;
    }
    return SK_AC_NONE;
}

/* Lay out U's children as sorted edges at *E; returns how many. */
static size_t sk_ac_compact(struct sk_ac *ac, uint32_t u, size_t *e, uint32_t *kids)
{
    size_t k = 0;

    for (uint32_t v = ac->nodes[u].first; v != SK_AC_NONE; v = ac->nodes[v].sibling) {
        size_t j = k++;
        while (j > 0 && ac->nodes[kids[j - 1]].byte > ac->nodes[v].byte) {
            kids[j] = kids[j - 1];
            j--;
        }
        kids[j] = v;
    }
    if (u == 0) {
        for (size_t i = 0; i < k; i++)
            ac->root[ac->nodes[kids[i]].byte] = kids[i];
    } else {
        for (size_t i = 0; i < k; i++) {
            ac->ebyte[*e + i] = ac->nodes[kids[i]].byte;
            ac->etarget[*e + i] = kids[i];
        }
        ac->nodes[u].first = (uint32_t)*e;
        ac->nodes[u].nedges = (uint16_t)k;
        *e += k;
        if (k >= SK_AC_DENSE_MIN && ac->dense) {
            uint32_t *row = ac->dense[ac->ndense];
            memset(row, 0, sizeof(ac->dense[0]));
            for (size_t i = 0; i < k; i++)
                row[ac->nodes[kids[i]].byte] = kids[i]; /* never 0: the root is no child */
            ac->nodes[u].dense = (uint32_t)++ac->ndense;
        }
    }
    return k;
}

/* Breadth-first: a node's fail target is shallower, hence already built. */
int sk_ac_build(struct sk_ac *ac)
{
    uint32_t *queue, kids[256];
    size_t qh = 0, qt = 0, e = 0;

    if (ac->built)
        return 0;
    queue = malloc(ac->n * sizeof(*queue));
    ac->ebyte = malloc(ac->n);
    ac->etarget = malloc(ac->n * sizeof(*ac->etarget));
    /* every node but the root is an edge: at most n / 16 dense rows */
    ac->dense = malloc((ac->n / SK_AC_DENSE_MIN + 1) * sizeof(*ac->dense));
    if (queue == NULL || ac->ebyte == NULL || ac->etarget == NULL || ac->dense == NULL) {
        free(queue);
        return -1;
    }
    queue[qt++] = 0;
    while (qh < qt) {
        uint32_t u = queue[qh++];
        size_t k = sk_ac_compact(ac, u, &e, kids);
        for (size_t i = 0; i < k; i++) {
            struct sk_ac_node *v = &ac->nodes[kids[i]];
            uint32_t f = ac->nodes[u].fail, t = 0;
            while (u != 0) {
                if ((t = sk_ac_goto(ac, f, v->byte)) != SK_AC_NONE)
                    break;
                t = 0;
                if (f == 0)
                    break;
                f = ac->nodes[f].fail;
            }
            v->fail = t;
            v->dict = ac->nodes[t].out_sub ? t : ac->nodes[t].dict;
            queue[qt++] = kids[i];
        }
    }
    free(queue);
    if (ac->ndense == 0) {
        free(ac->dense);
        ac->dense = NULL;
    } else { /* give back the rows not needed; shrinking cannot fail */
        void *d = realloc(ac->dense, ac->ndense * sizeof(*ac->dense));
        if (d)
            ac->dense = d;
    }
    ac->built = 1;
    return 0;
}

static int sk_ac_emit(const struct sk_ac *ac, uint32_t head, size_t end, sk_match_fn fn, void *arg)
{
    int rc;

    for (uint32_t o = head; o != 0; o = ac->outs[o - 1].next)
        if ((rc = fn(arg, ac->outs[o - 1].value, end)) != 0)
            return rc;
    return 0;
}

int sk_ac_prefix(const struct sk_ac *ac, const char *text, size_t len, sk_match_fn fn, void *arg)
{
    uint32_t u = 0;
    int rc;

    if (ac == NULL || !ac->built)
        return 0;
    for (size_t i = 0; i < len; i++) {
        if ((u = sk_ac_goto(ac, u, (uint8_t)text[i])) == SK_AC_NONE)
            return 0;
        if (ac->nodes[u].out_pre && (rc = sk_ac_emit(ac, ac->nodes[u].out_pre, i + 1, fn, arg)))
            return rc;
    }
    return 0;
}

int sk_ac_substr(const struct sk_ac *ac, const char *text, size_t len, sk_match_fn fn, void *arg)
{
    uint32_t u = 0, t;
    int rc;

    if (ac == NULL || !ac->built)
        return 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = (uint8_t)text[i];
        if (u == 0) {
            /* at the root most bytes start nothing: skip them in a tight loop */
            while (ac->root[c] == 0 && ++i < len)
                c = (uint8_t)text[i];
            if (i == len)
                break;
            u = ac->root[c];
        } else {
            while ((t = sk_ac_goto(ac, u, c)) == SK_AC_NONE && u != 0)
                u = ac->nodes[u].fail;
            u = t == SK_AC_NONE ? 0 : t;
        }
        for (uint32_t x = ac->nodes[u].out_sub ? u : ac->nodes[u].dict; x != 0;
             x = ac->nodes[x].dict)
            if ((rc = sk_ac_emit(ac, ac->nodes[x].out_sub, i + 1, fn, arg)) != 0)
                return rc;
    }
    return 0;
}

size_t sk_ac_bytes(const struct sk_ac *ac)
{
    if (ac == NULL)
        return 0;
    return sizeof(*ac) + ac->cap * sizeof(*ac->nodes) + ac->outcap * sizeof(*ac->outs) +
           (ac->built ? ac->n * (1 + sizeof(uint32_t)) + ac->ndense * sizeof(*ac->dense) : 0);
}

size_t sk_ac_patterns(const struct sk_ac *ac)
{
    return ac ? ac->npat : 0;
}

void sk_ac_free(struct sk_ac *ac)
{
    if (ac == NULL)
        return;
    free(ac->nodes);
    free(ac->outs);
    free(ac->ebyte);
    free(ac->etarget);
    free(ac->dense);
    free(ac);
}

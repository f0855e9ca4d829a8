/* match_hset.c - open-addressing hash multiset of strings for domain and
 * exact-URL lists: one probe sequence per lookup whatever the list size.
 * Keys come from trusted policy data; lookups from client URLs. */
#include <stdlib.h>
#include <string.h>

#include "match_internal.h"
#include "sekisho/text.h"

#define SK_HSET_MIN 64

/* FNV-1a, 64-bit, folded to 32 bits: fast enough for host-sized keys and
 * stable across runs, so a snapshot's layout is reproducible. */
static uint32_t sk_hset_hash(const char *k, size_t n)
{
    uint64_t h = sk_fnv1a64(k, n, 0);

    return (uint32_t)(h ^ (h >> 32));
}

static const char *sk_hset_key(const struct sk_hset *s, uint64_t slot, uint32_t *value)
{
    const char *e = s->arena + (uint32_t)slot - 1;

    memcpy(value, e, sizeof(*value));
    return e + sizeof(*value);
}

static int sk_hset_grow(struct sk_hset *s)
{
    size_t n = s->slots ? (s->mask + 1) * 2 : SK_HSET_MIN;
    uint64_t *t = calloc(n, sizeof(*t));

    if (t == NULL)
        return -1;
    for (size_t i = 0; s->slots && i <= s->mask; i++) {
        uint64_t v = s->slots[i];
        size_t j;
        if (v == 0)
            continue;
        for (j = (v >> 32) & (n - 1); t[j] != 0; j = (j + 1) & (n - 1))
            ;
        t[j] = v;
    }
    free(s->slots);
    s->slots = t;
    s->mask = n - 1;
    return 0;
}

static int sk_hset_arena(struct sk_hset *s, size_t need)
{
    size_t cap = s->acap ? s->acap : 4096;
    char *a;

    if (s->alen + need <= s->acap)
        return 0;
    while (cap < s->alen + need)
        cap *= 2;
    if (cap > UINT32_MAX || (a = realloc(s->arena, cap)) == NULL)
        return -1;
    s->arena = a;
    s->acap = cap;
    return 0;
}

int sk_hset_add(struct sk_hset *s, const char *key, size_t len, uint32_t value)
{
    uint32_t h = sk_hset_hash(key, len), v;
    size_t i;

    /* Load factor <= 1/2 keeps a miss to about two probes. */
    if ((s->slots == NULL || (s->count + 1) * 2 > s->mask + 1) && sk_hset_grow(s) == -1)
        return -1;
    for (i = h & s->mask; s->slots[i] != 0; i = (i + 1) & s->mask) {
        const char *k;
        if ((uint32_t)(s->slots[i] >> 32) != h)
            continue;
        k = sk_hset_key(s, s->slots[i], &v);
        if (v == value && strncmp(k, key, len) == 0 && k[len] == '\0')
            return 0;
    }
    if (sk_hset_arena(s, sizeof(value) + len + 1) == -1)
        return -1;
    memcpy(s->arena + s->alen, &value, sizeof(value));
    memcpy(s->arena + s->alen + sizeof(value), key, len);
    s->arena[s->alen + sizeof(value) + len] = '\0';
    s->slots[i] = ((uint64_t)h << 32) | (uint64_t)(s->alen + 1);
    s->alen += sizeof(value) + len + 1;
    s->count++;
    return 0;
}

void sk_hset_seal(struct sk_hset *s)
{
    char *a;

    if (s->arena != NULL && s->alen < s->acap && (a = realloc(s->arena, s->alen)) != NULL) {
        s->arena = a;
        s->acap = s->alen;
    }
}

int sk_hset_find(const struct sk_hset *s, const char *key, size_t len, sk_match_fn fn, void *arg)
{
    uint32_t h, v;
    int rc;

    if (s->count == 0)
        return 0;
    h = sk_hset_hash(key, len);
    for (size_t i = h & s->mask; s->slots[i] != 0; i = (i + 1) & s->mask) {
        const char *k;
        if ((uint32_t)(s->slots[i] >> 32) != h)
            continue;
        k = sk_hset_key(s, s->slots[i], &v);
        if (strncmp(k, key, len) == 0 && k[len] == '\0' && (rc = fn(arg, v, len)) != 0)
            return rc;
    }
    return 0;
}

size_t sk_hset_bytes(const struct sk_hset *s)
{
    return (s->slots ? (s->mask + 1) * sizeof(*s->slots) : 0) + s->acap;
}

void sk_hset_free(struct sk_hset *s)
{
    free(s->slots);
    free(s->arena);
    memset(s, 0, sizeof(*s));
}

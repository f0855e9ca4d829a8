/* sk_infected.c - URLs that delivered a virus, blocked for every client
 * for a while (IWSS infected_url_block_length). A fixed-size table in an
 * anonymous shared mapping made before fork, so every c-icap child sees
 * every other child's entries without locks or files.
 * SECURITY: keys are hashes of normalised URLs (client-influenced); the
 * table is bounded, and a full bucket evicts its soonest-expiring entry,
 * so a flood of infected URLs cannot grow memory. */
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "sekisho/module.h"
#include "sk_infected.h"
#include "sk_istag.h"

#define SK_INF_WAYS 8 /* entries per bucket */

struct sk_inf_entry {
    uint64_t key;    /* 0 = empty */
    int64_t expires; /* CLOCK_REALTIME seconds */
};

static struct sk_inf_entry *sk_inf_table;
static size_t sk_inf_buckets;
/* In the same shared mapping, after the table: 1 once any child has listed
 * a URL. Until then (the usual case: no download was infected) a check
 * costs one load instead of hashing the URL and a cache miss in a table
 * of 1 MiB on every request. */
static uint64_t *sk_inf_any;

static size_t sk_inf_bytes(size_t buckets)
{
    return buckets * SK_INF_WAYS * sizeof(struct sk_inf_entry) + sizeof(uint64_t);
}

int sk_infected_init(size_t entries)
{
    size_t buckets = (entries + SK_INF_WAYS - 1) / SK_INF_WAYS;
    void *p;

    if (sk_inf_table)
        return 0;
    if (buckets == 0)
        buckets = 1;
    p = mmap(NULL, sk_inf_bytes(buckets), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
             0);
    if (p == MAP_FAILED)
        return -1;
    sk_inf_table = p;
    sk_inf_buckets = buckets;
    sk_inf_any = (uint64_t *)(sk_inf_table + buckets * SK_INF_WAYS);
    return 0;
}

void sk_infected_fini(void)
{
    if (sk_inf_table)
        munmap(sk_inf_table, sk_inf_bytes(sk_inf_buckets));
    sk_inf_table = NULL;
    sk_inf_any = NULL;
    sk_inf_buckets = 0;
}

static uint64_t sk_inf_key(const char *url)
{
    uint64_t h = sk_fnv1a64(url, strlen(url), 0);
    return h ? h : 1; /* 0 marks an empty slot */
}

static int64_t sk_inf_now(void)
{
    return (int64_t)time(NULL);
}

int sk_infected_url_add(const char *url, unsigned seconds)
{
    uint64_t key;
    struct sk_inf_entry *b, *victim;
    int64_t now = sk_inf_now(), until = now + (int64_t)seconds;

    if (!url || !*url || (!sk_inf_table && sk_infected_init(65536) == -1))
        return -1;
    key = sk_inf_key(url);
    b = &sk_inf_table[(key % sk_inf_buckets) * SK_INF_WAYS];
    victim = &b[0];
    /* before the entry: a check that still sees 0 ran before this add */
    __atomic_store_n(sk_inf_any, 1, __ATOMIC_RELEASE);
    for (int i = 0; i < SK_INF_WAYS; i++) {
        uint64_t k = __atomic_load_n(&b[i].key, __ATOMIC_ACQUIRE);
        int64_t e = __atomic_load_n(&b[i].expires, __ATOMIC_RELAXED);
        if (k == key || k == 0 || e <= now) {
            victim = &b[i];
            break;
        }
        if (e < __atomic_load_n(&victim->expires, __ATOMIC_RELAXED))
            victim = &b[i];
    }
    /* Expiry first, then key: a reader that sees the key sees a fresh
     * expiry. Two children racing on one slot leave one of the two URLs;
     * the other is simply not listed, never a wrong URL listed. */
    __atomic_store_n(&victim->expires, until, __ATOMIC_RELAXED);
    __atomic_store_n(&victim->key, key, __ATOMIC_RELEASE);
    return 0;
}

int sk_infected_url_check(const char *url)
{
    uint64_t key;
    const struct sk_inf_entry *b;
    int64_t now;

    if (!url || !*url || !sk_inf_table || !__atomic_load_n(sk_inf_any, __ATOMIC_ACQUIRE))
        return 0;
    now = sk_inf_now();
    key = sk_inf_key(url);
    b = &sk_inf_table[(key % sk_inf_buckets) * SK_INF_WAYS];
    for (int i = 0; i < SK_INF_WAYS; i++) {
        if (__atomic_load_n(&b[i].key, __ATOMIC_ACQUIRE) == key)
            return __atomic_load_n(&b[i].expires, __ATOMIC_RELAXED) > now;
    }
    return 0;
}

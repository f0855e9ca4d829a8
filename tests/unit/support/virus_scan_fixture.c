/* virus_scan_fixture.c - what the virus_scan unit suites share
 * (tests/unit/test_virus_scan.c, test_vs_*.c): a fake scanner installed
 * in place of libclamav, transactions driven through the hooks, a policy
 * snapshot from a temp database. Test-only. */
#include "virus_scan_fixture.h"

#include <dirent.h>

char eicar[69];

/* ---- fake scanner ---------------------------------------------------- */

struct fake fk;

static int fake_scan_mem(void *self, const void *buf, size_t len, const struct sk_vs_limits *l,
                         struct sk_vs_report *rep)
{
    memset(rep, 0, sizeof(*rep));
    fk.scans++;
    fk.decode_ratio = l->decode_ratio, fk.decode_floor = l->decode_floor;
    snprintf(fk.client, sizeof(fk.client), "%s", l->client ? l->client : "(null)");
    free(fk.last);
    fk.last = malloc(len + 1);
    memcpy(fk.last, len ? buf : "", len);
    fk.last_len = len;
    int has = len >= 68 && memmem(buf, len, eicar, 68) != NULL;
    if (has && memchr(buf, 0, len))
        fk.saw_nul_part = 1;
    if (fk.force) {
        rep->result = fk.force;
        snprintf(rep->name, sizeof(rep->name), "%s", fk.name ? fk.name : "Fake.Result");
        snprintf(rep->why, sizeof(rep->why), "fake says %d", (int)fk.force);
        return 0;
    }
    rep->result = has ? SK_VS_VIRUS : SK_VS_CLEAN;
    rep->kinds = fk.kinds;
    /* as libclamav reports a ZIP64 zip it met in a container only it opens */
    rep->zip64_inner = len >= 15 && memmem(buf, len, "FAKE-ZIP64-HERE", 15) != NULL;
    if (has)
        snprintf(rep->name, sizeof(rep->name), "%s", fk.name ? fk.name : "Eicar-Test-Signature");
    return 0;
}

static int fake_scan_fd(void *self, int fd, const struct sk_vs_limits *l, struct sk_vs_report *rep)
{
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    unsigned char *b = malloc((size_t)st.st_size + 1);
    assert_int_equal(pread(fd, b, (size_t)st.st_size, 0), st.st_size);
    fk.fd_scans++;
    fake_scan_mem(self, b, (size_t)st.st_size, l, rep);
    free(b);
    return 0;
}

static const char *fake_version(void *self)
{
    return "fake-1";
}

char tmpdir[64];
uint64_t fake_map_max;

void install_fake(uint64_t mem_threshold)
{
    struct sk_vs_global g = {
        .conf = {.mem_threshold = mem_threshold,
                 .decode_ratio = 100,
                 .decode_floor = 1 << 20,
                 .map_max = fake_map_max,
                 .tmp_dir = tmpdir},
        .scanner = {.scan_mem = fake_scan_mem,
                    .scan_fd = fake_scan_fd,
                    .version = fake_version,
                    .self = NULL},
    };
    sk_vs_test_install(&g);
}

/* ---- transactions ---------------------------------------------------- */

static const char *hdr_get(void *ctx, int response, const char *name)
{
    struct hdrs *h = ctx;
    for (int i = 0; i < 8 && h->names[i]; i++)
        if (strcasecmp(h->names[i], name) == 0)
            return h->values[i];
    return NULL;
}

/* Every field of NAME, as c-icap's iterator gives them (repeats kept). */
static void hdr_each(void *ctx, int response, const char *name,
                     void (*fn)(void *arg, const char *value), void *arg)
{
    struct hdrs *h = ctx;
    for (int i = 0; i < 8 && h->names[i]; i++)
        if (strcasecmp(h->names[i], name) == 0)
            fn(arg, h->values[i]);
}

static struct sk_module_ctx mctx = {.name = "virus_scan"};

void txn_open(struct sk_txn *t, unsigned method, const char *http_method, const char *url,
              struct hdrs *h, struct sk_snapshot *snap)
{
    assert_int_equal(sk_txn_init(t, method, http_method, url, "10.0.0.1", "", ""), 0);
    t->has_body = 1;
    t->headers.get = hdr_get;
    t->headers.each = hdr_each;
    t->headers.ctx = h;
    t->current = &mctx;
    if (snap) {
        sk_snapshot_ref(snap);
        sk_txn_set_snapshot(t, snap);
    }
}

/* Run the hooks over BODY fed in pieces of CHUNK bytes; returns the verdict. */
enum sk_verdict run(struct sk_txn *t, const void *body, size_t len, size_t chunk)
{
    void *st = NULL;
    enum sk_verdict v;

    assert_int_equal(sk_vs_txn_begin(t, &st), 0);
    v = sk_vs_on_headers(t, st);
    for (size_t off = 0; v == SK_CONTINUE; off += chunk) {
        size_t n = len - off < chunk ? len - off : chunk;
        v = sk_vs_on_body(t, st, n ? (const char *)body + off : NULL, n, off + n >= len);
        if (off + n >= len)
            break;
    }
    sk_vs_txn_end(t, st);
    return v;
}

int dir_is_empty(const char *d)
{
    DIR *dp = opendir(d);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(dp)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(dp);
    return n == 0;
}

int setup(void **s)
{
    free(fk.last);
    memset(&fk, 0, sizeof(fk));
    install_fake(1 << 20);
    return 0;
}

int group_setup(void **s)
{
    strcpy(eicar, EICAR_A EICAR_B);
    strcpy(tmpdir, "/tmp/sk-test-vs-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

int group_teardown(void **s)
{
    sk_vs_test_install(NULL);
    free(fk.last);
    rmdir(tmpdir);
    return 0;
}

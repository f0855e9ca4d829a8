/* decode_fixture.c - the decode unit suites' shared helpers (see
 * decode_fixture.h). */
#include <unistd.h>

#include "decode_fixture.h"

int out_sink(void *arg, const void *buf, size_t len)
{
    struct out *o = arg;
    if (o->len + len + 1 > o->cap) {
        o->cap = (o->len + len + 1) * 2;
        o->p = realloc(o->p, o->cap);
    }
    memcpy(o->p + o->len, buf, len);
    o->len += len;
    o->p[o->len] = 0;
    return 0;
}

int mp_begin(void *arg, const struct sk_mp_part *p)
{
    struct mp_rec *r = arg;
    r->n += (size_t)snprintf(r->log + r->n, sizeof(r->log) - r->n, "[%c%d:%s:%s|",
                             p->kind == SK_MP_PART       ? 'P'
                             : p->kind == SK_MP_PREAMBLE ? 'A'
                                                         : 'E',
                             p->depth, p->filename, p->content_type);
    return 0;
}

int mp_data(void *arg, const void *buf, size_t len)
{
    struct mp_rec *r = arg;
    assert_true(r->n + len < sizeof(r->log));
    memcpy(r->log + r->n, buf, len);
    r->n += len;
    r->log[r->n] = 0;
    return 0;
}

int mp_end(void *arg)
{
    struct mp_rec *r = arg;
    r->n += (size_t)snprintf(r->log + r->n, sizeof(r->log) - r->n, "]");
    return 0;
}

void zip_entry(struct sk_tzip *z, const char *name, const char *text, int deflate, int zip64,
               int desc)
{
    sk_tzip_entry(z, name, text, strlen(text),
                  (deflate ? SK_TZIP_DEFLATE : 0) | (zip64 ? SK_TZIP_ZIP64 : 0) |
                      (desc ? SK_TZIP_DESC : 0),
                  0);
}

int zb(void *arg, const struct sk_zip_entry *e)
{
    struct mp_rec *r = arg;
    r->n += (size_t)snprintf(r->log + r->n, sizeof(r->log) - r->n, "[%s%s|", e->name,
                             e->encrypted ? "!" : "");
    return 1;
}

int zt(void *arg)
{
    struct mp_rec *r = arg;
    r->n += (size_t)snprintf(r->log + r->n, sizeof(r->log) - r->n, "[tail|");
    return 0;
}

uint32_t rnd_state = 12345;

uint32_t rnd(void)
{
    rnd_state ^= rnd_state << 13, rnd_state ^= rnd_state >> 17, rnd_state ^= rnd_state << 5;
    return rnd_state;
}

/* compress(1) as the oracle (decode_fixture.h). */
unsigned char *compress_of(const void *in, size_t n, int bits, size_t *olen)
{
    char tmpl[] = "/tmp/sk-test-lzw-XXXXXX", cmd[128];
    int fd = mkstemp(tmpl);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, in, n), (ssize_t)n);
    close(fd);
    snprintf(cmd, sizeof(cmd), "compress -b%d -c < %s", bits, tmpl);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    size_t cap = n + 4096, len = 0, r;
    unsigned char *b = malloc(cap);
    while ((r = fread(b + len, 1, cap - len, f)) > 0)
        len += r;
    int st = pclose(f);
    unlink(tmpl);
    if (st != 0 || len < 3)
        fail_msg("compress(1) failed (%d): is ncompress installed?", st);
    *olen = len;
    return b;
}

/* cli_catfetch.c - `sekisho-policy category fetch NAME URL`: downloads a
 * squidGuard/UT1 category list (a .tar.gz of category directories, or one
 * plain list of domains, gzip'd or not), unpacks the category's lists into
 * a private temporary directory and imports them with the same import as
 * `category import`, in one write transaction. Anything wrong - an HTTP
 * error, an HTML page, binary bytes, an empty list, an archive without the
 * category, sizes over the limits - is refused before the database is
 * opened for writing, so a failed fetch changes nothing.
 * SECURITY: the download is untrusted. gzip goes through the decoding
 * layer's decoder (icap-server/core/sk_decode.c, with its output limit);
 * the toolkit's tar reader (sk_tar.c) checks every header; entry names are only
 * compared here, never used as paths: the files written have fixed names
 * in a mkdtemp directory, mode 0600, and each is bounded in size. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include <sekisho/decode.h>

#include "cli.h"
#include <sekisho/decode.h>

#define SK_CF_DOWNLOAD_MAX (256L << 20)          /* UT1's whole blacklists.tar.gz: ~20 MB */
#define SK_CF_UNPACK_MAX   ((uint64_t)2 << 30)   /* decoded tar stream */
#define SK_CF_FILE_MAX     ((uint64_t)512 << 20) /* one list file */
#define SK_CF_NFILES       3

static const char *const sk_cf_files[SK_CF_NFILES] = {"domains", "urls", "expressions"};

/* The unpacking, fed by the gzip decoder (or directly): lists of the
 * category named like NAME go to DIR/FILE; the lists of the first other
 * category seen go to DIR/first/FILE, used when NAME is not in the archive
 * and that category is the only one (a per-category tarball). */
struct sk_cf {
    const char *name, *dir;
    unsigned char head[512]; /* the first block: a tar header or a plain list */
    size_t hlen;
    enum { SK_CF_UNSURE, SK_CF_TAR, SK_CF_PLAIN } mode;
    struct sk_tar tar;
    int fd; /* output of the current entry, -1 to skip it */
    uint64_t written;
    int matched; /* entries of NAME written */
    int ncats;   /* distinct category directories with lists */
    char first[128], last[128];
    char seen[256]; /* some category names, for the error message */
    char err[512];
};

static int sk_cf_fail(struct sk_cf *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int sk_cf_fail(struct sk_cf *f, const char *fmt, ...)
{
    va_list ap;

    if (!f->err[0]) { /* the first reason is the one to tell */
        va_start(ap, fmt);
        vsnprintf(f->err, sizeof(f->err), fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int sk_cf_open(struct sk_cf *f, const char *sub, const char *file)
{
    char path[4096];

    snprintf(path, sizeof(path), "%s/%s%s%s", f->dir, sub, *sub ? "/" : "", file);
    if (*sub) {
        char d[4096];
        snprintf(d, sizeof(d), "%s/%s", f->dir, sub);
        if (mkdir(d, 0700) == -1 && errno != EEXIST)
            return sk_cf_fail(f, "cannot create a temporary directory: %s", strerror(errno));
    }
    f->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (f->fd == -1 && errno != EEXIST) /* a repeated entry: the first one wins */
        return sk_cf_fail(f, "cannot write a temporary file: %s", strerror(errno));
    f->written = 0;
    return 0;
}

static int sk_cf_write(struct sk_cf *f, const void *p, size_t n)
{
    if (f->fd == -1)
        return 0;
    if ((f->written += n) > SK_CF_FILE_MAX)
        return sk_cf_fail(f, "a list is larger than 512 MiB, refused");
    if (write(f->fd, p, n) != (ssize_t)n)
        return sk_cf_fail(f, "cannot write a temporary file: %s", strerror(errno));
    return 0;
}

static void sk_cf_close(struct sk_cf *f)
{
    if (f->fd != -1)
        close(f->fd);
    f->fd = -1;
}

/* A tar entry: keep it when it is a list (domains, urls, expressions)
 * of NAME's directory or of the first category seen. 1 (read), 0, -1. */
static int sk_cf_begin(void *arg, const char *name, char type, uint64_t size)
{
    struct sk_cf *f = arg;
    char path[260], *base, *cat;
    int i;

    (void)size; /* bounded while writing */
    if (type != '0' && type != '\0')
        return 0; /* directories, links, long-name and pax records: skipped */
    snprintf(path, sizeof(path), "%s", name);
    base = strrchr(path, '/');
    if (base) {
        *base++ = '\0';
        cat = strrchr(path, '/');
        cat = cat ? cat + 1 : path;
    } else {
        base = path;
        cat = "";
    }
    for (i = 0; i < SK_CF_NFILES && strcmp(base, sk_cf_files[i]) != 0; i++)
        ;
    if (i == SK_CF_NFILES)
        return 0;
    if (strcmp(cat, f->name) == 0) {
        f->matched++;
        return sk_cf_open(f, "", base) == -1 ? -1 : f->fd != -1;
    }
    /* entries of one directory come together in a tar: a name unlike the
     * previous one is another category */
    if (f->ncats == 0 || strncmp(cat, f->last, sizeof(f->last) - 1) != 0) {
        if (f->ncats == 0)
            snprintf(f->first, sizeof(f->first), "%.127s", cat);
        if (f->ncats < 8 && strlen(f->seen) + strlen(cat) + 16 < sizeof(f->seen))
            snprintf(f->seen + strlen(f->seen), sizeof(f->seen) - strlen(f->seen), "%s%s",
                     f->seen[0] ? ", " : "", *cat ? cat : "(top level)");
        snprintf(f->last, sizeof(f->last), "%.127s", cat);
        f->ncats++;
    }
    if (strcmp(cat, f->first) != 0)
        return 0;
    return sk_cf_open(f, "first", base) == -1 ? -1 : f->fd != -1;
}

static int sk_cf_data(void *arg, const void *buf, size_t len)
{
    return sk_cf_write(arg, buf, len);
}

static int sk_cf_end(void *arg)
{
    sk_cf_close(arg);
    return 0;
}

static int sk_cf_feed(struct sk_cf *f, const void *p, size_t n)
{
    int rc;

    if (f->mode == SK_CF_PLAIN)
        return sk_cf_write(f, p, n);
    rc = sk_tar_write(&f->tar, p, n);
    if (rc == SK_TAR_CORRUPT)
        return sk_cf_fail(f, "corrupt tar archive (a bad header)");
    return rc == SK_TAR_OK ? 0 : sk_cf_fail(f, "cannot unpack the archive");
}

/* The first block tells a tar (a header whose checksum verifies) from a
 * plain list. */
static int sk_cf_decide(struct sk_cf *f)
{
    struct sk_tar_handler h = {sk_cf_begin, sk_cf_data, sk_cf_end, f};

    if (f->hlen == sizeof(f->head) && sk_tar_header_ok(f->head)) {
        f->mode = SK_CF_TAR;
        sk_tar_init(&f->tar, &h);
    } else {
        f->mode = SK_CF_PLAIN;
        if (sk_cf_open(f, "", "domains") == -1)
            return -1;
    }
    return sk_cf_feed(f, f->head, f->hlen);
}

static int sk_cf_sink(void *arg, const void *buf, size_t len)
{
    struct sk_cf *f = arg;
    const unsigned char *p = buf;

    if (f->mode == SK_CF_UNSURE) {
        size_t n = sizeof(f->head) - f->hlen < len ? sizeof(f->head) - f->hlen : len;
        memcpy(f->head + f->hlen, p, n);
        f->hlen += n;
        p += n;
        len -= n;
        if (f->hlen < sizeof(f->head))
            return 0;
        if (sk_cf_decide(f) == -1)
            return -1;
    }
    return len ? sk_cf_feed(f, p, len) : 0;
}

/* Unpack the download into f->dir. 0, or -1 with f->err set. */
static int sk_cf_unpack(struct sk_cf *f, const struct sk_fetch *d)
{
    struct sk_coding_chain gz = {.c = {SK_CODING_GZIP}, .n = 1};
    struct sk_decode_limits lim = {.out_max = SK_CF_UNPACK_MAX};
    struct sk_decoder *dec;
    enum sk_decode_rc rc;
    int ret = 0;

    if (d->len < 2 || (unsigned char)d->p[0] != 0x1f || (unsigned char)d->p[1] != 0x8b) {
        ret = sk_cf_sink(f, d->p, d->len);
    } else if (!(dec = sk_decoder_new(&gz, &lim))) {
        return sk_cf_fail(f, "out of memory");
    } else {
        rc = sk_decoder_feed(dec, d->p, d->len, 1, sk_cf_sink, f);
        sk_decoder_free(dec);
        if (rc == SK_DECODE_LIMIT)
            ret = sk_cf_fail(f, "unpacks to more than 2 GiB, refused");
        else if (rc == SK_DECODE_CORRUPT)
            ret = sk_cf_fail(f, "corrupt gzip data");
        else if (rc != SK_DECODE_OK)
            ret = sk_cf_fail(f, "cannot unpack the download");
    }
    if (ret == 0 && f->mode == SK_CF_UNSURE) /* shorter than one block */
        ret = sk_cf_decide(f);
    /* a tar ends with a zero block (GNU tar, bsdtar, Python's tarfile):
     * without it a download cut at an entry boundary would look whole */
    if (ret == 0 && f->mode == SK_CF_TAR && sk_tar_end(&f->tar) != SK_TAR_OK)
        ret = sk_cf_fail(f, "truncated tar archive (no end-of-archive block)");
    sk_cf_close(f);
    return ret;
}

/* A list file must be text with at least one entry: an HTML error page or
 * binary bytes are refused with a clear reason (the import would refuse
 * them too, as "more than 10% invalid", less clearly). Returns the number
 * of entry lines, -1 with f->err set, or 0 when the file is absent. */
static long sk_cf_check(struct sk_cf *f, const char *sub, const char *file)
{
    char path[4096], buf[65536];
    long lines = 0;
    int fd, start = 1, first = 1, entry = 0;
    ssize_t n;

    snprintf(path, sizeof(path), "%s/%s%s%s", f->dir, sub, *sub ? "/" : "", file);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
        return 0;
    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            unsigned char ch = (unsigned char)buf[i];
            if (ch == 0 || (ch < 0x20 && ch != '\t' && ch != '\r' && ch != '\n') || ch == 0x7f) {
                close(fd);
                return sk_cf_fail(f, "%s: binary data, not a list", file);
            }
            if (first && ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n') {
                first = 0;
                if (ch == '<') {
                    close(fd);
                    return sk_cf_fail(f, "%s: an HTML page, not a list (an error page?)", file);
                }
            }
            if (ch == '\n') {
                lines += entry;
                start = 1;
                entry = 0;
            } else if (start && ch != ' ' && ch != '\t' && ch != '\r') {
                start = 0;
                entry = ch != '#';
            }
        }
    }
    close(fd);
    return lines + entry;
}

static void sk_cf_cleanup(const char *dir)
{
    char path[4096];

    /* a path that does not fit is not one of ours: never cut and removed */
    for (int i = 0; i < SK_CF_NFILES; i++) {
        if (snprintf(path, sizeof(path), "%s/first/%s", dir, sk_cf_files[i]) < (int)sizeof(path))
            unlink(path);
        if (snprintf(path, sizeof(path), "%s/%s", dir, sk_cf_files[i]) < (int)sizeof(path))
            unlink(path);
    }
    if (snprintf(path, sizeof(path), "%s/first", dir) < (int)sizeof(path))
        rmdir(path);
    rmdir(dir);
}

struct sk_cf_import {
    const char *dir, *url;
    struct sk_pdb_import_stats stats;
};

static int64_t sk_cf_do_import(struct sk_cli *c, struct sk_pdb *pdb, void *arg, char **err)
{
    struct sk_cf_import *im = arg;

    return sk_pdb_category_import_src(pdb, c->ops[0], im->dir, im->url, &im->stats, err);
}

/* Download and unpack into f->dir; the sub-directory holding the lists
 * ("" or "first") in *sub. 0, or -1 with f->err set. */
static int sk_cf_get(struct sk_cf *f, const char *url, const char **sub)
{
    struct sk_fetch d = {.max = SK_CF_DOWNLOAD_MAX};
    long status, entries = 0;
    int rc = -1;

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
        return sk_cf_fail(f, "cannot initialise libcurl");
    status = sk_cli_fetch(url, NULL, &d, f->err, sizeof(f->err));
    if (status == -1)
        goto out;
    if (status != 200) {
        snprintf(f->err, sizeof(f->err), "%s: HTTP status %ld", url, status);
        goto out;
    }
    if (sk_cf_unpack(f, &d) == -1)
        goto out;
    *sub = "";
    if (f->mode == SK_CF_TAR && !f->matched) {
        if (f->ncats != 1) {
            snprintf(f->err, sizeof(f->err), "no category '%s' in the archive (%s%s)", f->name,
                     f->ncats ? "it has: " : "it has no domains/urls lists", f->seen);
            goto out;
        }
        *sub = "first";
    }
    for (int i = 0; i < SK_CF_NFILES; i++) {
        long n = sk_cf_check(f, *sub, sk_cf_files[i]);
        if (n < 0)
            goto out;
        entries += n;
    }
    if (entries == 0) {
        sk_cf_fail(f, "no entries: the list is empty");
        goto out;
    }
    rc = 0;
out:
    free(d.p);
    curl_global_cleanup();
    return rc;
}

int sk_cli_category_fetch(struct sk_cli *c)
{
    struct sk_cf f = {.name = c->ops[0], .fd = -1};
    struct sk_cf_import im = {.url = c->ops[1]};
    const char *tmp = getenv("TMPDIR"), *sub = "";
    char dir[4096], lists[4200];
    struct timespec t0;
    int64_t gen;
    int rc;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    snprintf(dir, sizeof(dir), "%s/sekisho-category-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir))
        return sk_cli_fail("cannot create a temporary directory in %s: %s",
                           tmp && *tmp ? tmp : "/tmp", strerror(errno));
    f.dir = dir;
    if (sk_cf_get(&f, c->ops[1], &sub) == -1) {
        sk_cf_cleanup(dir);
        fprintf(stderr, "sekisho-policy: category fetch %s: %s; nothing changed\n", c->ops[0],
                f.err);
        return SK_CLI_USAGE;
    }
    snprintf(lists, sizeof(lists), "%s%s%s", dir, *sub ? "/" : "", sub);
    im.dir = lists;
    rc = sk_cli_write(c, sk_cf_do_import, &im, NULL, &gen);
    sk_cf_cleanup(dir);
    if (rc != SK_CLI_OK)
        return rc;
    sk_cli_category_imported(c->ops[0], &im.stats, &t0, gen);
    return SK_CLI_OK;
}

/* cli_quarantine.c - `sekisho-policy quarantine list|show|release|purge`:
 * the objects virus_scan kept under av.quarantine (ID.bin, 0600) with
 * their metadata (ID.json, written last: an entry without it is
 * incomplete and ignored).
 * Trust: the directory is the administrator's; the metadata values came
 * from clients (printed as stored, JSON-escaped by the writer); the .bin
 * files are hostile bytes, only ever copied, never interpreted. An ID
 * given on the command line is checked to be a plain name (no path). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <sekisho/text.h>

#include "../src/pdb_json.h"
#include "cli.h"

#define SK_QDIR_DEFAULT "/var/lib/sekisho/quarantine"

static const char *sk_q_dir(const struct sk_cli *c)
{
    const char *env = getenv("SEKISHO_QUARANTINE_DIR");

    if (c->qdir)
        return c->qdir;
    return env && *env ? env : SK_QDIR_DEFAULT;
}

/* IDs are made by the writer: time and hex, '-' and 'T'/'Z'. */
static int sk_q_id_ok(const char *id)
{
    size_t n = strlen(id);

    if (n == 0 || n > 64)
        return 0;
    for (const char *p = id; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              *p == '-'))
            return 0;
    return 1;
}

/* Whole file into a malloc'd, NUL-terminated buffer; NULL with errno. */
static char *sk_q_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && n < (1 << 20) &&
        fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL) {
        if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        } else {
            buf[n] = '\0';
            *len = (size_t)n;
        }
    }
    fclose(f);
    return buf;
}

static const char *sk_q_str(const struct sk_json *j, const char *key)
{
    const struct sk_json *v = sk_json_get(j, key);

    return v && v->type == SK_JSON_STR ? v->s : "";
}

/* A metadata value for the terminal: the JSON file holds client bytes
 * (URL, user) escaped, and decoding gives them back (an ESC from a URL's
 * \u001b): the toolkit's text escaper keeps controls off the terminal.
 * Returns B's text (B freed by the caller). */
static const char *sk_q_text(struct sk_buf *b, const struct sk_json *j, const char *key)
{
    sk_text_escape(b, sk_q_str(j, key), 4096);
    return b->data ? b->data : "";
}

int sk_cli_quarantine_list(struct sk_cli *c)
{
    const char *dir = sk_q_dir(c);
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    if (d == NULL)
        return sk_cli_fail("quarantine directory %s: %s", dir, strerror(errno));
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name), tlen;
        char path[4096], *text, *err = NULL;
        struct sk_json *j;

        if (len < 6 || e->d_name[0] == '.' || strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if ((text = sk_q_slurp(path, &tlen)) == NULL)
            continue;
        if ((j = sk_json_parse(text, tlen, &err)) != NULL) {
            const struct sk_json *sz = sk_json_get(j, "size");
            struct sk_buf v[4] = {{0}};
            printf("%s  %s  %s  %lld bytes  %s\n", sk_q_text(&v[0], j, "id"),
                   sk_q_text(&v[1], j, "time"), sk_q_text(&v[2], j, "virus"),
                   sz ? (long long)sz->i : -1LL, sk_q_text(&v[3], j, "url"));
            for (int i = 0; i < 4; i++)
                sk_buf_free(&v[i]);
            n++;
            sk_json_free(j);
        }
        free(err);
        free(text);
    }
    closedir(d);
    fprintf(stderr, "%d quarantined object(s) in %s\n", n, dir);
    return SK_CLI_OK;
}

int sk_cli_quarantine_show(struct sk_cli *c)
{
    char path[4096], *text;
    size_t len;

    if (!sk_q_id_ok(c->ops[0]))
        return sk_cli_usage("invalid quarantine id '%s'", c->ops[0]);
    snprintf(path, sizeof(path), "%s/%s.json", sk_q_dir(c), c->ops[0]);
    if ((text = sk_q_slurp(path, &len)) == NULL)
        return sk_cli_fail("no quarantined object '%s' in %s", c->ops[0], sk_q_dir(c));
    fwrite(text, 1, len, stdout);
    free(text);
    return SK_CLI_OK;
}

/* Copy IN to OUT, SHA-256 of the bytes into HEX (65). 0 or -1 (errno). */
static int sk_q_copy(int in, int out, char *hex)
{
    unsigned char buf[65536], md[32];
    unsigned int mdlen = 0;
    EVP_MD_CTX *h = EVP_MD_CTX_new();
    int rc = -1;
    ssize_t n;

    if (h == NULL || EVP_DigestInit_ex(h, EVP_sha256(), NULL) != 1)
        goto out;
    while ((n = read(in, buf, sizeof(buf))) > 0)
        if (EVP_DigestUpdate(h, buf, (size_t)n) != 1 || write(out, buf, (size_t)n) != n)
            goto out;
    if (n < 0 || EVP_DigestFinal_ex(h, md, &mdlen) != 1 || mdlen != 32 || fsync(out) != 0)
        goto out;
    for (unsigned i = 0; i < mdlen; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    rc = 0;
out:
    EVP_MD_CTX_free(h);
    return rc;
}

/* Copy ID.bin to OUT (new file, 0600), checking its SHA-256 against the
 * metadata: what is released is exactly what was blocked. */
int sk_cli_quarantine_release(struct sk_cli *c)
{
    char path[4096], *meta, *err = NULL, hex[65];
    struct sk_json *j = NULL;
    int in = -1, out = -1, rc = SK_CLI_FAIL;
    size_t len;

    if (!sk_q_id_ok(c->ops[0]))
        return sk_cli_usage("invalid quarantine id '%s'", c->ops[0]);
    if (c->out == NULL)
        return sk_cli_usage("quarantine release: give --out FILE");
    snprintf(path, sizeof(path), "%s/%s.json", sk_q_dir(c), c->ops[0]);
    if ((meta = sk_q_slurp(path, &len)) == NULL)
        return sk_cli_fail("no quarantined object '%s' in %s", c->ops[0], sk_q_dir(c));
    if ((j = sk_json_parse(meta, len, &err)) == NULL) {
        sk_cli_fail("quarantine metadata %s: %s", path, err ? err : "unreadable");
        goto out;
    }
    snprintf(path, sizeof(path), "%s/%s.bin", sk_q_dir(c), c->ops[0]);
    if ((in = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
        sk_cli_fail("%s: %s", path, strerror(errno));
        goto out;
    }
    if ((out = open(c->out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) == -1) {
        sk_cli_fail("%s: %s (release never overwrites)", c->out, strerror(errno));
        goto out;
    }
    if (sk_q_copy(in, out, hex) == -1) {
        unlink(c->out);
        sk_cli_fail("cannot release %s to %s: %s", c->ops[0], c->out, strerror(errno));
        goto out;
    }
    if (strcmp(hex, sk_q_str(j, "sha256")) != 0) {
        unlink(c->out);
        sk_cli_fail("quarantined object %s does not match its recorded SHA-256; not released",
                    c->ops[0]);
        goto out;
    }
    {
        struct sk_buf virus = {0};
        printf("released %s (%s, %s) to %s\n", c->ops[0], sk_q_text(&virus, j, "virus"), hex,
               c->out);
        sk_buf_free(&virus);
    }
    rc = SK_CLI_OK;
out:
    if (in != -1)
        close(in);
    if (out != -1)
        close(out);
    sk_json_free(j);
    free(err);
    free(meta);
    return rc;
}

/* Remove entries whose metadata is older than --older (by its mtime,
 * which the writer sets once). The .bin goes first, then the .json. */
int sk_cli_quarantine_purge(struct sk_cli *c)
{
    const char *dir = sk_q_dir(c);
    uint64_t age;
    time_t now = time(NULL);
    struct dirent *e;
    DIR *d;
    int n = 0;

    if (c->older == NULL || sk_parse_duration(c->older, &age) != 0)
        return sk_cli_usage("quarantine purge: give --older AGE (e.g. 30d, 12h)");
    if ((d = opendir(dir)) == NULL)
        return sk_cli_fail("quarantine directory %s: %s", dir, strerror(errno));
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        char path[4096], bin[4096];
        struct stat st;

        if (len < 6 || e->d_name[0] == '.' || strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)(now - st.st_mtime) < age)
            continue;
        snprintf(bin, sizeof(bin), "%s/%.*s.bin", dir, (int)(len - 5), e->d_name);
        if ((unlink(bin) == 0 || errno == ENOENT) && unlink(path) == 0)
            n++;
    }
    closedir(d);
    printf("purged %d quarantined object(s) older than %s from %s\n", n, c->older, dir);
    return SK_CLI_OK;
}

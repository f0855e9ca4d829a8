/* vs_quarantine.c - av.quarantine: keep a blocked object, with its
 * metadata, for the administrator (`sekisho-policy quarantine`).
 * Trust: the object is hostile bytes (stored, never parsed or executed);
 * the metadata values (URL, user, content type) are client-controlled and
 * written JSON-escaped. Files are created 0600 with O_EXCL|O_NOFOLLOW under
 * a directory the administrator configured (virus_scan.quarantine-dir);
 * names are made here (time + random), never taken from the request. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <sekisho/policy_snapshot.h>
#include <sekisho/text.h>

#include "vs_internal.h"

/* DIR/NAME created 0600 (whatever the umask), written, synced. 0 or -1. */
static int sk_vq_file(const char *dir, const char *name, const void *buf, size_t len)
{
    char path[4096];
    int fd, rc = -1;

    if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
        return -1;
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd == -1)
        return -1;
    if (fchmod(fd, 0600) == 0 && sk_vs_write_all(fd, buf, len) == 0 && fsync(fd) == 0)
        rc = 0;
    if (close(fd) != 0)
        rc = -1;
    if (rc == -1)
        unlink(path);
    return rc;
}

static void sk_vq_field(struct sk_buf *b, const char *key, const char *val, int last)
{
    sk_buf_printf(b, "  \"%s\": \"", key);
    sk_json_escape(b, val ? val : "", 4096);
    sk_buf_puts(b, last ? "\"\n" : "\",\n");
}

int sk_vs_quarantine(struct sk_txn *t, const char *dir, const unsigned char *data, size_t len,
                     const char *virus, const char *ctype, char *id, size_t idsize)
{
    unsigned char rnd[8], md[32];
    char stamp[32], rhex[17], sha[65], name[128], tmp[160], from[4096 + 160], to[4096 + 160];
    unsigned int mdlen = 0;
    struct sk_buf b = {0};
    struct tm tm;
    time_t now = time(NULL);
    int rc = -1;

    if (dir == NULL || *dir == '\0' || idsize < 40)
        return -1;
    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd) ||
        EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
        return -1;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
    sk_hex_encode(rnd, sizeof(rnd), rhex);
    sk_hex_encode(md, sizeof(md), sha);
    snprintf(id, idsize, "%s-%s", stamp, rhex);
    snprintf(name, sizeof(name), "%s.bin", id);
    if (sk_vq_file(dir, name, data, len) == -1)
        return -1;
    /* metadata last, by rename: an entry with a .json is complete */
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
    sk_buf_puts(&b, "{\n");
    sk_vq_field(&b, "id", id, 0);
    sk_vq_field(&b, "time", stamp, 0);
    sk_vq_field(&b, "virus", virus, 0);
    sk_vq_field(&b, "url", sk_txn_shown_url(t), 0);
    sk_vq_field(&b, "icap_method", sk_txn_method(t) == SK_RESPMOD ? "RESPMOD" : "REQMOD", 0);
    sk_vq_field(&b, "client", sk_txn_client_ip(t), 0);
    sk_vq_field(&b, "user", sk_txn_user(t), 0);
    sk_vq_field(&b, "policy", sk_txn_policy(t) ? sk_policy_name(sk_txn_policy(t)) : "", 0);
    sk_vq_field(&b, "txn", sk_txn_id(t), 0);
    sk_vq_field(&b, "content_type", ctype, 0);
    sk_buf_printf(&b, "  \"size\": %zu,\n", len);
    sk_vq_field(&b, "sha256", sha, 1);
    sk_buf_puts(&b, "}\n");
    snprintf(tmp, sizeof(tmp), ".%s.json.tmp", id);
    snprintf(from, sizeof(from), "%s/%s", dir, tmp);
    snprintf(to, sizeof(to), "%s/%s.json", dir, id);
    if (!b.failed && sk_vq_file(dir, tmp, b.data, b.len) == 0) {
        if (rename(from, to) == 0)
            rc = 0;
        else
            unlink(from);
    }
    if (rc == -1) {
        snprintf(from, sizeof(from), "%s/%s", dir, name);
        unlink(from);
    }
    sk_buf_free(&b);
    return rc;
}

/* cli_bundle.c - signed policy bundles: `keygen` (Ed25519 key pair),
 * `publish` (the canonical export plus a signed manifest, and an index
 * naming the latest, written atomically into a directory any static web
 * server can serve) and the verification that `pull` applies before it
 * imports anything. OpenSSL's libcrypto does the cryptography.
 *
 * Bundle file (text head, blank line, the export's bytes):
 *     sekisho-policy-bundle 1
 *     content-hash: <sha256 of the export, 64 hex>
 *     generation: <publisher's generation>
 *     created: <UTC, ISO 8601>
 *     key-id: <first 16 hex of sha256(raw public key)>
 *     policy-bytes: <length of the export>
 *
 *     <export>
 * NAME.sig holds the base64 Ed25519 signature of the whole bundle file.
 * SECURITY: in `pull` every byte of a bundle, its signature and the index
 * comes from the network; nothing is imported before the signature, the
 * key id, the length and the content hash have been checked. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sekisho/text.h>

#include "cli.h"
#include "cli_bundle.h"

int sk_bundle_key_id(EVP_PKEY *key, char out[SK_BUNDLE_KEYID_HEX + 1])
{
    unsigned char raw[64];
    size_t len = sizeof(raw);
    char full[65];

    if (EVP_PKEY_get_raw_public_key(key, raw, &len) != 1)
        return -1;
    sk_pdb_sha256_hex(raw, len, full);
    memcpy(out, full, SK_BUNDLE_KEYID_HEX);
    out[SK_BUNDLE_KEYID_HEX] = '\0';
    return 0;
}

EVP_PKEY *sk_bundle_load_key(const char *path, int private_key, char **why)
{
    FILE *f = fopen(path, "r");
    EVP_PKEY *k;

    if (!f) {
        *why = strerror(errno);
        return NULL;
    }
    k = private_key ? PEM_read_PrivateKey(f, NULL, NULL, NULL)
                    : PEM_read_PUBKEY(f, NULL, NULL, NULL);
    fclose(f);
    if (!k || EVP_PKEY_get_id(k) != EVP_PKEY_ED25519) {
        EVP_PKEY_free(k);
        *why = private_key ? "not an Ed25519 private key in PEM (made by sekisho-policy keygen)"
                           : "not an Ed25519 public key in PEM (KEYFILE.pub from keygen)";
        return NULL;
    }
    return k;
}

/* Write BUF to PATH atomically (temp file in the same directory, fsync,
 * rename) with MODE. 0 or -1 (errno set). */
int sk_bundle_write_file(const char *path, const void *buf, size_t len, mode_t mode)
{
    char tmp[4096];
    int fd, rc = -1;

    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= sizeof(tmp)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd == -1)
        return -1;
    for (size_t off = 0; off < len;) {
        ssize_t n = write(fd, (const char *)buf + off, len - off);
        if (n <= 0)
            goto out;
        off += (size_t)n;
    }
    if (fchmod(fd, mode) != 0 || fsync(fd) != 0)
        goto out;
    if (close(fd) != 0) {
        fd = -1;
        goto out;
    }
    fd = -1;
    rc = rename(tmp, path);
out:
    if (fd != -1)
        close(fd);
    if (rc != 0)
        unlink(tmp);
    return rc;
}

int sk_cli_keygen(struct sk_cli *c)
{
    EVP_PKEY *k = NULL;
    BIO *priv = NULL, *pub = NULL;
    char *pubpath = NULL, *p;
    long n;
    int rc = SK_CLI_FAIL;
    struct stat st;

    if (!c->out)
        return sk_cli_usage("keygen needs --out KEYFILE");
    if (stat(c->out, &st) == 0)
        return sk_cli_usage("%s exists: keygen never overwrites a key", c->out);
    if (asprintf(&pubpath, "%s.pub", c->out) < 0)
        return sk_cli_fail("out of memory");
    if ((k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL) {
        rc = sk_cli_fail("cannot make an Ed25519 key (OpenSSL)");
        goto out;
    }
    priv = BIO_new(BIO_s_mem());
    pub = BIO_new(BIO_s_mem());
    if (!priv || !pub || PEM_write_bio_PrivateKey(priv, k, NULL, NULL, 0, NULL, NULL) != 1 ||
        PEM_write_bio_PUBKEY(pub, k) != 1) {
        rc = sk_cli_fail("cannot encode the key (OpenSSL)");
        goto out;
    }
    n = BIO_get_mem_data(priv, &p);
    if (sk_bundle_write_file(c->out, p, (size_t)n, 0600) != 0) {
        rc = sk_cli_fail("cannot write %s: %s", c->out, strerror(errno));
        goto out;
    }
    n = BIO_get_mem_data(pub, &p);
    if (sk_bundle_write_file(pubpath, p, (size_t)n, 0644) != 0) {
        rc = sk_cli_fail("cannot write %s: %s", pubpath, strerror(errno));
        unlink(c->out);
        goto out;
    }
    {
        char id[SK_BUNDLE_KEYID_HEX + 1];
        sk_bundle_key_id(k, id);
        printf("wrote %s (private, mode 0600) and %s (public); key id %s\n", c->out, pubpath, id);
    }
    rc = SK_CLI_OK;
out:
    BIO_free(priv);
    BIO_free(pub);
    EVP_PKEY_free(k);
    free(pubpath);
    return rc;
}

/* Sign MSG with KEY; base64 of the signature (caller frees) or NULL. */
static char *sk_bundle_sign(EVP_PKEY *key, const void *msg, size_t len)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char sig[64];
    size_t siglen = sizeof(sig);
    char *b64 = NULL;

    if (md && EVP_DigestSignInit(md, NULL, NULL, NULL, key) == 1 &&
        EVP_DigestSign(md, sig, &siglen, msg, len) == 1 && (b64 = malloc(4 * 24 + 2)) != NULL) {
        int n = EVP_EncodeBlock((unsigned char *)b64, sig, (int)siglen);
        b64[n] = '\n';
        b64[n + 1] = '\0';
    }
    EVP_MD_CTX_free(md);
    return b64;
}

int sk_bundle_verify(EVP_PKEY *key, const void *msg, size_t len, const char *sig_b64,
                     size_t sig_len)
{
    unsigned char sig[96];
    char tmp[200];
    size_t n = 0;
    int dec, ok;
    EVP_MD_CTX *md;

    /* the base64 text without whitespace */
    for (size_t i = 0; i < sig_len && n + 1 < sizeof(tmp); i++)
        if (sig_b64[i] != '\n' && sig_b64[i] != '\r' && sig_b64[i] != ' ')
            tmp[n++] = sig_b64[i];
    tmp[n] = '\0';
    if (n != 88) /* 64 bytes in base64 */
        return -1;
    dec = EVP_DecodeBlock(sig, (unsigned char *)tmp, (int)n);
    if (dec != 66) /* 64 bytes plus the two padding zeros EVP_DecodeBlock counts */
        return -1;
    md = EVP_MD_CTX_new();
    ok = md && EVP_DigestVerifyInit(md, NULL, NULL, NULL, key) == 1 &&
         EVP_DigestVerify(md, sig, 64, msg, len) == 1;
    EVP_MD_CTX_free(md);
    return ok ? 0 : -1;
}

/* The value of "KEY: " on a line of the index head H[0..N) into OUT[SIZE]
 * (its line must fit). 0 or -1. */
static int sk_bundle_index_field(const char *h, size_t n, const char *key, char *out, size_t size)
{
    size_t k = strlen(key);

    for (size_t at = 0; at < n;) {
        const char *e = memchr(h + at, '\n', n - at);
        size_t l = e ? (size_t)(e - h) - at : n - at;
        if (l > k + 2 && memcmp(h + at, key, k) == 0 && h[at + k] == ':' && h[at + k + 1] == ' ') {
            if (l - k - 2 >= size)
                return -1;
            memcpy(out, h + at + k + 2, l - k - 2);
            out[l - k - 2] = '\0';
            return 0;
        }
        at += l + 1;
    }
    return -1;
}

time_t sk_bundle_time(const char *s)
{
    struct tm tm = {0};
    const char *e = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);

    return e && *e == '\0' ? timegm(&tm) : (time_t)-1;
}

int sk_bundle_index_parse(EVP_PKEY *key, const char *buf, size_t len, struct sk_bundle_index *ix,
                          const char **why)
{
    const char *sig = NULL;
    char t[64];
    size_t n;

    memset(ix, 0, sizeof(*ix));
    if (len < 23 || memcmp(buf, "sekisho-policy-index 1\n", 23) != 0 || memchr(buf, 0, len)) {
        *why = "not a Sekisho policy index";
        return -1;
    }
    for (size_t at = 0; at + 12 <= len && !sig; at++)
        if (buf[at] == '\n' && memcmp(buf + at + 1, "signature: ", 11) == 0)
            sig = buf + at + 1;
    if (!sig) {
        *why = "the index is not signed (published before Sekisho signed its index: "
               "publish again with this version)";
        return -1;
    }
    n = (size_t)(sig - buf);
    if (sk_bundle_index_field(buf, n, "key-id", ix->key_id, sizeof(ix->key_id)) != 0)
        ix->key_id[0] = '\0';
    if (sk_bundle_verify(key, buf, n, sig + 11, len - n - 11) != 0) {
        *why = "the index's signature does not verify with the trusted key";
        return -1;
    }
    if (sk_bundle_index_field(buf, n, "bundle", ix->bundle, sizeof(ix->bundle)) != 0 ||
        strlen(ix->bundle) < 22 || strncmp(ix->bundle, "policy-", 7) != 0 ||
        strcmp(ix->bundle + strlen(ix->bundle) - 7, ".bundle") != 0 ||
        strspn(ix->bundle + 7, "0123456789abcdef-") != strlen(ix->bundle) - 14) {
        *why = "the index names no policy bundle";
        return -1;
    }
    if (sk_bundle_index_field(buf, n, "signed", t, sizeof(t)) != 0 ||
        (ix->signed_at = sk_bundle_time(t)) == (time_t)-1 ||
        sk_bundle_index_field(buf, n, "expires", t, sizeof(t)) != 0 ||
        (ix->expires = sk_bundle_time(t)) == (time_t)-1 || ix->expires < ix->signed_at) {
        *why = "the index has no valid signed/expires times";
        return -1;
    }
    return 0;
}

int sk_bundle_parse(const char *buf, size_t len, struct sk_bundle *b, char **why)
{
    const char *p = buf, *end = buf + len;
    static const char magic[] = "sekisho-policy-bundle 1\n";
    int have = 0;

    memset(b, 0, sizeof(*b));
    if (len < sizeof(magic) - 1 || memcmp(buf, magic, sizeof(magic) - 1) != 0) {
        *why = "not a Sekisho policy bundle (bad first line)";
        return -1;
    }
    p += sizeof(magic) - 1;
    while (p < end && *p != '\n') {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        char key[32], val[128];
        size_t kl, vl;
        const char *colon;

        if (!nl || (colon = memchr(p, ':', (size_t)(nl - p))) == NULL || colon[1] != ' ') {
            *why = "bundle head: a line is not 'key: value'";
            return -1;
        }
        kl = (size_t)(colon - p);
        vl = (size_t)(nl - colon - 2);
        if (kl >= sizeof(key) || vl >= sizeof(val)) {
            *why = "bundle head: a line is too long";
            return -1;
        }
        memcpy(key, p, kl);
        key[kl] = '\0';
        memcpy(val, colon + 2, vl);
        val[vl] = '\0';
        if (strcmp(key, "content-hash") == 0 && vl == 64) {
            memcpy(b->content_hash, val, 65);
            have |= 1;
        } else if (strcmp(key, "generation") == 0) {
            char *e;
            errno = 0;
            b->generation = strtoll(val, &e, 10);
            if (errno || *e || b->generation < 1) {
                *why = "bundle head: bad generation";
                return -1;
            }
            have |= 2;
        } else if (strcmp(key, "created") == 0) {
            snprintf(b->created, sizeof(b->created), "%.39s", val);
            have |= 4;
        } else if (strcmp(key, "key-id") == 0 && vl == SK_BUNDLE_KEYID_HEX) {
            memcpy(b->key_id, val, SK_BUNDLE_KEYID_HEX + 1);
            have |= 8;
        } else if (strcmp(key, "policy-bytes") == 0) {
            char *e;
            errno = 0;
            unsigned long long v = strtoull(val, &e, 10);
            if (errno || *e) {
                *why = "bundle head: bad policy-bytes";
                return -1;
            }
            b->policy_len = (size_t)v;
            have |= 16;
        }
        p = nl + 1;
    }
    if (have != 31) {
        *why = "bundle head: content-hash, generation, created, key-id or policy-bytes missing";
        return -1;
    }
    if (p >= end || (size_t)(end - p - 1) != b->policy_len) {
        *why = "bundle: the policy is not policy-bytes long (truncated or padded)";
        return -1;
    }
    b->policy = p + 1;
    return 0;
}

/* Read everything from F (the export) into a malloc'd buffer. */
static char *sk_bundle_export(struct sk_cli *c, size_t *len, int64_t *gen)
{
    struct sk_pdb *pdb = sk_cli_open(c, SK_PDB_RO);
    char *doc = NULL, *err = NULL;
    FILE *mem;

    if (!pdb)
        return NULL;
    sqlite3_exec(sk_pdb_sqlite(pdb), "BEGIN", NULL, NULL, NULL);
    *gen = sk_pdb_generation(pdb);
    if ((mem = open_memstream(&doc, len)) == NULL || sk_pdb_export(pdb, mem, &err) != 0) {
        sk_cli_fail("cannot export %s: %s", c->db, err ? err : strerror(errno));
        if (mem)
            fclose(mem);
        free(doc);
        doc = NULL;
    } else {
        fclose(mem);
    }
    sqlite3_exec(sk_pdb_sqlite(pdb), "COMMIT", NULL, NULL, NULL);
    sk_pdb_close(pdb);
    free(err);
    return doc;
}

/* Is PATH (and PATH.sig) already a bundle of content HASH that KEY signed?
 * Then publish leaves both as they are: the bytes under a name never
 * change, so a cache, or a node that fetched the bundle just before a
 * republish rewrote its .sig, can never pair a bundle with another
 * signature (red team 8f). A bundle under that name signed by another key
 * (a key rotation without a policy change) is replaced. */
static int sk_bundle_published(EVP_PKEY *key, const char *path, const char *hash)
{
    char sigpath[4200], *buf = NULL, *sig = NULL, *why;
    size_t len = 0, slen = 0;
    struct sk_bundle b;
    FILE *f;
    int same = 0;

    snprintf(sigpath, sizeof(sigpath), "%s.sig", path);
    if ((f = fopen(path, "rb")) == NULL)
        return 0;
    if (sk_cli_read_all(f, &buf, &len) == 0) {
        FILE *g = fopen(sigpath, "rb");
        if (g && sk_cli_read_all(g, &sig, &slen) == 0 && sig &&
            sk_bundle_parse(buf ? buf : "", len, &b, &why) == 0 &&
            strcmp(b.content_hash, hash) == 0 && sk_bundle_verify(key, buf, len, sig, slen) == 0)
            same = 1;
        if (g)
            fclose(g);
    }
    fclose(f);
    free(buf);
    free(sig);
    return same;
}

int sk_cli_publish(struct sk_cli *c)
{
    EVP_PKEY *key = NULL;
    char *why = NULL, *doc = NULL, *bundle = NULL, *sig = NULL, *index = NULL;
    char hash[65], id[SK_BUNDLE_KEYID_HEX + 1], created[32], expires[32], name[128], path[4096];
    uint64_t ttl = SK_BUNDLE_INDEX_TTL;
    size_t len = 0;
    int64_t gen = 0;
    int blen, ilen, rc = SK_CLI_FAIL;
    time_t now = time(NULL);
    struct tm tm;
    struct stat st;

    if (!c->key || !c->out)
        return sk_cli_usage("publish needs --key KEYFILE and --out DIR");
    if (c->valid_for &&
        (sk_parse_duration(c->valid_for, &ttl) != 0 || ttl < 1 || ttl > SK_BUNDLE_INDEX_TTL_MAX))
        return sk_cli_usage("--valid-for %s: a duration from 1 second to 366 days (30s, 12h, 7d)",
                            c->valid_for);
    if ((key = sk_bundle_load_key(c->key, 1, &why)) == NULL)
        return sk_cli_usage("--key %s: %s", c->key, why);
    if (stat(c->out, &st) != 0 || !S_ISDIR(st.st_mode)) {
        rc = sk_cli_usage("--out %s: not a directory", c->out);
        goto out;
    }
    if ((doc = sk_bundle_export(c, &len, &gen)) == NULL)
        goto out;
    sk_pdb_sha256_hex(doc, len, hash);
    sk_bundle_key_id(key, id);
    gmtime_r(&now, &tm);
    strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
    blen = asprintf(&bundle,
                    "sekisho-policy-bundle 1\ncontent-hash: %s\ngeneration: %lld\n"
                    "created: %s\nkey-id: %s\npolicy-bytes: %zu\n\n",
                    hash, (long long)gen, created, id, len);
    if (blen < 0 || (bundle = realloc(bundle, (size_t)blen + len)) == NULL) {
        rc = sk_cli_fail("out of memory");
        goto out;
    }
    memcpy(bundle + blen, doc, len);
    if ((sig = sk_bundle_sign(key, bundle, (size_t)blen + len)) == NULL) {
        rc = sk_cli_fail("cannot sign the bundle (OpenSSL)");
        goto out;
    }
    snprintf(name, sizeof(name), "policy-%lld-%.12s.bundle", (long long)gen, hash);
    /* bundle and signature first, the index last: a reader that sees the
     * new index always finds both files complete */
    snprintf(path, sizeof(path), "%s/%s", c->out, name);
    if (!sk_bundle_published(key, path, hash)) {
        if (sk_bundle_write_file(path, bundle, (size_t)blen + len, 0644) != 0)
            goto io;
        snprintf(path, sizeof(path), "%s/%s.sig", c->out, name);
        if (sk_bundle_write_file(path, sig, strlen(sig), 0644) != 0)
            goto io;
    }
    /* the index is signed too, with an expiry: a source that keeps
     * serving an old index (a frozen mirror, a replay) shows on every node
     * once it expires; publishing again (cron) renews it */
    time_t until = now + (time_t)ttl;
    gmtime_r(&until, &tm);
    strftime(expires, sizeof(expires), "%Y-%m-%dT%H:%M:%SZ", &tm);
    ilen = asprintf(&index,
                    "sekisho-policy-index 1\nbundle: %s\ngeneration: %lld\n"
                    "content-hash: %s\nsigned: %s\nexpires: %s\nkey-id: %s\n",
                    name, (long long)gen, hash, created, expires, id);
    free(sig);
    if (ilen < 0 || (sig = sk_bundle_sign(key, index, (size_t)ilen)) == NULL) {
        rc = sk_cli_fail("cannot sign the index (OpenSSL)");
        goto out;
    }
    char *signed_index = NULL;
    ilen = asprintf(&signed_index, "%ssignature: %s", index, sig);
    free(index);
    index = signed_index;
    snprintf(path, sizeof(path), "%s/index", c->out);
    if (ilen < 0 || sk_bundle_write_file(path, index, (size_t)ilen, 0644) != 0)
        goto io;
    if (c->json)
        printf(
            "{\"bundle\":\"%s\",\"generation\":%lld,\"content_hash\":\"%s\",\"key_id\":\"%s\"}\n",
            name, (long long)gen, hash, id);
    else
        printf("published %s (generation %lld, content %s, key %s)\n", name, (long long)gen, hash,
               id);
    rc = SK_CLI_OK;
    goto out;
io:
    rc = sk_cli_fail("cannot write %s: %s", path, strerror(errno));
out:
    EVP_PKEY_free(key);
    free(doc);
    free(bundle);
    free(sig);
    free(index);
    return rc;
}

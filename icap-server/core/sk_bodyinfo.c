/* sk_bodyinfo.c - SHA-256 and multipart file name of a body, streamed
 * (sk_bodyinfo.h).
 * SECURITY: parses client-controlled bodies through the decoding layer's
 * multipart parser; the file name is copied bounded here and JSON-escaped
 * by the access-log writer.
 *
 * A detection is known only at the end, and a client that allows 204
 * keeps the only copy. When a module keeps the whole body as received
 * (virus_scan, for its scan: sk_txn_keep_body), the hash is made from its
 * copy, and only for a transaction with a detection: SHA-256 of every
 * clean body cost 2-3% of the server's CPU at 10 KB and 1 MB (with the
 * CPU's SHA extensions, 1.4 GB/s per core here; OpenSSL 3 also fetches the
 * digest per init). Otherwise every body a module reads is hashed as it
 * passes. If the keeper stops keeping mid-body, what it kept is hashed at
 * the next write and the rest streamed; a keeper that cannot give back
 * exactly the bytes that passed leaves no hash, never a wrong one. The hash
 * is of the body as transferred (before content decoding), what a SIEM
 * compares with a download; the log shows it for detections only. The
 * multipart parse stops at the first part with a file name. */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include <sekisho/decode.h>
#include <sekisho/text.h>

#include "sk_bodyinfo.h"
#include "sk_txn.h"

static void sk_bi_lose(struct sk_bodyinfo *b)
{
    EVP_MD_CTX_free(b->sha);
    b->sha = NULL;
}

/* Starts the hash; 0, or -1 (no hash for this body). */
static int sk_bi_begin(struct sk_bodyinfo *b)
{
    if (!(b->sha = EVP_MD_CTX_new()) || EVP_DigestInit_ex(b->sha, EVP_sha256(), NULL) != 1) {
        sk_bi_lose(b);
        return -1;
    }
    return 0;
}

static void sk_bi_hash(struct sk_bodyinfo *b, const void *buf, size_t len, int eof)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;

    if (!b->sha)
        return;
    if ((len > 0 && EVP_DigestUpdate(b->sha, buf, len) != 1) ||
        (eof && (EVP_DigestFinal_ex(b->sha, md, &n) != 1 || n != 32))) {
        sk_bi_lose(b);
        return;
    }
    if (eof) {
        sk_hex_encode(md, 32, b->sha256_hex);
        sk_bi_lose(b);
    }
}

struct sk_bi_feed {
    struct sk_bodyinfo *b;
    unsigned long long n;
};

static int sk_bi_feed(void *arg, const void *buf, size_t len)
{
    struct sk_bi_feed *f = arg;

    f->n += len;
    sk_bi_hash(f->b, buf, len, 0);
    return f->b->sha ? 0 : -1;
}

/* Hashes what the keeper holds and stops deferring. 0 when the keeper fed
 * exactly the bytes that passed while it kept them; else no hash. */
static int sk_bi_catch_up(struct sk_bodyinfo *b)
{
    struct sk_bi_feed f = {b, 0};
    sk_body_read_fn rd = b->kept_read;

    b->kept_read = NULL;
    if (sk_bi_begin(b) == -1)
        return -1;
    if (rd(b->kept_ctx, sk_bi_feed, &f) != 0 || f.n != b->seen || !b->sha) {
        sk_bi_lose(b);
        return -1;
    }
    return 0;
}

static int sk_bi_part(void *arg, const struct sk_mp_part *part)
{
    struct sk_bodyinfo *b = arg;

    if (part->kind != SK_MP_PART || !part->filename || !part->filename[0])
        return 0;
    snprintf(b->part_filename, sizeof(b->part_filename), "%s", part->filename);
    return -1; /* found: stop parsing */
}

static int sk_bi_data(void *arg, const void *buf, size_t len)
{
    (void)arg;
    (void)buf;
    (void)len;
    return 0;
}

static int sk_bi_end(void *arg)
{
    (void)arg;
    return 0;
}

static void sk_bi_start(struct sk_bodyinfo *b, const struct sk_txn *t)
{
    const char *ct = t->method == SK_RESPMOD ? sk_txn_resp_header(t, "Content-Type")
                                             : sk_txn_req_header(t, "Content-Type");
    char boundary[SK_MP_BOUNDARY_MAX + 1];
    struct sk_mp_handler h = {sk_bi_part, sk_bi_data, sk_bi_end, b, NULL}; /* copied by sk_mp_new */

    if (ct && sk_mp_boundary(ct, boundary, sizeof(boundary)) == 0 &&
        (b->mp = sk_mp_new(boundary, &h)) != NULL)
        sk_mp_mail(b->mp, !sk_mp_is_form_data(ct));
}

void sk_bodyinfo_write(struct sk_bodyinfo *b, const struct sk_txn *t, const void *buf, size_t len,
                       int eof)
{
    if (!b->started && len == 0 && !eof)
        return;
    if (!b->started) {
        b->started = 1;
        sk_bi_start(b, t);
        if (t->keep_read) {
            b->kept_read = t->keep_read;
            b->kept_ctx = t->keep_ctx;
        } else {
            sk_bi_begin(b);
        }
    }
    /* withdrawn: hash what the module kept, stream the rest */
    if (b->kept_read && (t->keep_read != b->kept_read || t->keep_ctx != b->kept_ctx))
        sk_bi_catch_up(b);
    if (b->kept_read) {
        b->seen += len;
        b->complete = eof;
    } else {
        sk_bi_hash(b, buf, len, eof);
    }
    if (b->mp && ((len > 0 && sk_mp_write(b->mp, buf, len) != 0) || b->part_filename[0] || eof)) {
        sk_mp_free(b->mp);
        b->mp = NULL;
    }
}

void sk_bodyinfo_settle(struct sk_bodyinfo *b)
{
    if (b->kept_read && b->complete && sk_bi_catch_up(b) == 0)
        sk_bi_hash(b, NULL, 0, 1);
}

void sk_bodyinfo_free(struct sk_bodyinfo *b)
{
    sk_bi_lose(b);
    b->kept_read = NULL;
    if (b->mp)
        sk_mp_free(b->mp);
    b->mp = NULL;
}

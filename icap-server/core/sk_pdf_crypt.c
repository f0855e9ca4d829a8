/* sk_pdf_crypt.c - the PDF standard security handler with the empty user
 * password (sekisho/pdf.h): the file key of revisions 2-4 (MD5, RC4 40-128
 * bits, AES-128) and 5-6 (SHA-256 and the revision 6 hash, AES-256), a
 * stream's key, and its decryption. A document anyone can open without a
 * password is encrypted with a key anyone can compute: a reader shows it,
 * so the scanner must read it too.
 * SECURITY: the /Encrypt dictionary, /ID and the data are
 * client-controlled. Strings are read into fixed buffers (longer ones are
 * cut, and then do not verify); the revision 6 hash runs at most its
 * bounded rounds (the last byte of E is < 256, so at most 64 + 256 - 32);
 * a handler or revision we do not know makes the document "cannot be
 * opened" (-1), never "not encrypted". RC4 is written here: OpenSSL 3
 * keeps it in the legacy provider. */
#include <string.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "sk_pdf_internal.h"

static const unsigned char sk_pdf_pad[32] = {
    0x28, 0xbf, 0x4e, 0x5e, 0x4e, 0x75, 0x8a, 0x41, 0x64, 0x00, 0x4e, 0x56, 0xff, 0xfa, 0x01, 0x08,
    0x2e, 0x2e, 0x00, 0xb6, 0xd0, 0x68, 0x3e, 0x80, 0x2f, 0x0c, 0xa9, 0xfe, 0x64, 0x53, 0x69, 0x7a};

static void sk_pdf_rc4(const unsigned char *key, size_t kn, const unsigned char *in, size_t n,
                       unsigned char *out)
{
    unsigned char s[256], t;
    unsigned i, j = 0;
    size_t k;

    for (i = 0; i < 256; i++)
        s[i] = (unsigned char)i;
    for (i = 0; i < 256; i++) {
        j = (j + s[i] + key[i % kn]) & 255;
        t = s[i];
        s[i] = s[j];
        s[j] = t;
    }
    for (i = 0, j = 0, k = 0; k < n; k++) {
        i = (i + 1) & 255;
        j = (j + s[i]) & 255;
        t = s[i];
        s[i] = s[j];
        s[j] = t;
        out[k] = in[k] ^ s[(s[i] + s[j]) & 255];
    }
}

static int sk_pdf_md(const EVP_MD *md, const unsigned char *a, size_t an, const unsigned char *b,
                     size_t bn, const unsigned char *c, size_t cn, unsigned char *out)
{
    EVP_MD_CTX *x = EVP_MD_CTX_new();
    int ok = x && EVP_DigestInit_ex(x, md, NULL) && EVP_DigestUpdate(x, a, an) &&
             EVP_DigestUpdate(x, b, bn) && EVP_DigestUpdate(x, c, cn) &&
             EVP_DigestFinal_ex(x, out, NULL);

    EVP_MD_CTX_free(x);
    return ok ? 0 : -1;
}

/* AES-CBC without padding (N a multiple of 16): 0 or -1. */
static int sk_pdf_aes(int decrypt, const unsigned char *key, size_t kn, const unsigned char *iv,
                      const unsigned char *in, size_t n, unsigned char *out)
{
    EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
    const EVP_CIPHER *c = kn == 32 ? EVP_aes_256_cbc() : EVP_aes_128_cbc();
    int l1 = 0, l2 = 0, ok;

    ok = x && EVP_CipherInit_ex(x, c, NULL, key, iv, decrypt ? 0 : 1) &&
         EVP_CIPHER_CTX_set_padding(x, 0) && n <= INT32_MAX &&
         EVP_CipherUpdate(x, out, &l1, in, (int)n) && EVP_CipherFinal_ex(x, out + l1, &l2);
    EVP_CIPHER_CTX_free(x);
    return ok ? 0 : -1;
}

/* Algorithm 2.B (revision 6) of the empty password with SALT and UDATA. */
static int sk_pdf_hash6(const unsigned char *salt, const unsigned char *udata, size_t udn,
                        unsigned char out[32])
{
    unsigned char k[64], e[64 * (64 + 48)], k1[64 * (64 + 48)];
    size_t kn = 32, i, r, en = 0;
    unsigned sum;

    if (sk_pdf_md(EVP_sha256(), salt, 8, udata, udn, NULL, 0, k) != 0)
        return -1;
    for (i = 0; i < 64 || e[en - 1] > i - 32; i++) {
        size_t one = kn + udn;
        for (r = 0; r < 64; r++) {
            memcpy(k1 + r * one, k, kn);
            if (udn)
                memcpy(k1 + r * one + kn, udata, udn);
        }
        en = 64 * one;
        if (sk_pdf_aes(0, k, 16, k + 16, k1, en, e) != 0)
            return -1;
        for (sum = 0, r = 0; r < 16; r++)
            sum += e[r];
        kn = sum % 3 == 0 ? 32 : sum % 3 == 1 ? 48 : 64;
        if (sk_pdf_md(kn == 32   ? EVP_sha256()
                      : kn == 48 ? EVP_sha384()
                                 : EVP_sha512(),
                      e, en, NULL, 0, NULL, 0, k) != 0)
            return -1;
    }
    memcpy(out, k, 32);
    return 0;
}

/* Revisions 5 and 6: the user password's check, then the key from /UE. */
static int sk_pdf_key56(struct sk_pdf *d, const unsigned char *u, long un, const unsigned char *ue,
                        long uen)
{
    unsigned char h[32], zero[16] = {0};

    if (un < 48 || uen < 32)
        return -1;
    if (d->r == 5 ? sk_pdf_md(EVP_sha256(), u + 32, 8, NULL, 0, NULL, 0, h)
                  : sk_pdf_hash6(u + 32, NULL, 0, h))
        return -1;
    if (memcmp(h, u, 32) != 0)
        return -1;
    if (d->r == 5 ? sk_pdf_md(EVP_sha256(), u + 40, 8, NULL, 0, NULL, 0, h)
                  : sk_pdf_hash6(u + 40, NULL, 0, h))
        return -1;
    d->keylen = 32;
    return sk_pdf_aes(1, h, 32, zero, ue, 32, d->key);
}

/* Revisions 2-4 (Algorithms 2, 4 and 5): the key, checked against /U. */
static int sk_pdf_key24(struct sk_pdf *d, const unsigned char *o, long on, const unsigned char *u,
                        long un, long long perm, const unsigned char *id, long idn)
{
    unsigned char p[4], h[16], x[32], k[16], ff[4] = {0xff, 0xff, 0xff, 0xff};
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok, i, j;

    if (on < 32 || un < (d->r == 2 ? 32 : 16)) {
        EVP_MD_CTX_free(c);
        return -1;
    }
    for (i = 0; i < 4; i++)
        p[i] = (unsigned char)((uint32_t)perm >> (8 * i));
    ok = c && EVP_DigestInit_ex(c, EVP_md5(), NULL) && EVP_DigestUpdate(c, sk_pdf_pad, 32) &&
         EVP_DigestUpdate(c, o, 32) && EVP_DigestUpdate(c, p, 4) &&
         EVP_DigestUpdate(c, id, (size_t)idn) &&
         (d->r < 4 || d->encrypt_meta || EVP_DigestUpdate(c, ff, 4)) &&
         EVP_DigestFinal_ex(c, h, NULL);
    EVP_MD_CTX_free(c);
    if (!ok)
        return -1;
    for (i = 0; d->r >= 3 && i < 50; i++)
        if (sk_pdf_md(EVP_md5(), h, d->keylen, NULL, 0, NULL, 0, h) != 0)
            return -1;
    memcpy(d->key, h, d->keylen);
    if (d->r == 2) {
        sk_pdf_rc4(d->key, d->keylen, sk_pdf_pad, 32, x);
        return memcmp(x, u, 32) == 0 ? 0 : -1;
    }
    if (sk_pdf_md(EVP_md5(), sk_pdf_pad, 32, id, (size_t)idn, NULL, 0, x) != 0)
        return -1;
    for (i = 0; i < 20; i++) {
        for (j = 0; j < (int)d->keylen; j++)
            k[j] = (unsigned char)(d->key[j] ^ i);
        sk_pdf_rc4(k, d->keylen, x, 16, x);
    }
    return memcmp(x, u, 16) == 0 ? 0 : -1;
}

int sk_pdf_crypt_method(const struct sk_pdf *d, const char *name)
{
    const unsigned char *f, *m;
    size_t fn, mn;

    if (strcmp(name, "Identity") == 0)
        return SK_PDF_CM_NONE;
    if (!d->cf || sk_pdf_dict_val(d, d->cf, d->cfn, name, &f, &fn) != 0)
        return -1;
    if (sk_pdf_dict_val(d, f, fn, "CFM", &m, &mn) != 0 || sk_pdf_name_is(m, mn, "None"))
        return SK_PDF_CM_NONE;
    if (sk_pdf_name_is(m, mn, "V2"))
        return SK_PDF_CM_RC4;
    if (sk_pdf_name_is(m, mn, "AESV2"))
        return SK_PDF_CM_AESV2;
    if (sk_pdf_name_is(m, mn, "AESV3"))
        return SK_PDF_CM_AESV3;
    return -1;
}

/* The trailer that says how the document is encrypted: the last
 * "trailer" dictionary or cross-reference stream with /Encrypt. */
static int sk_pdf_trailer(struct sk_pdf *d, const unsigned char **t, size_t *tn)
{
    const unsigned char *hit, *v;
    size_t pos = 0, best = 0, i, vn;
    int found = 0;

    hit = memmem(d->p, d->n, "trailer", 7);
    while (hit) { /* each dictionary read up to the next "trailer" */
        size_t k = (size_t)(hit - d->p) + 7, vs, end;
        pos = k;
        hit = memmem(d->p + pos, d->n - pos, "trailer", 7);
        end = hit ? (size_t)(hit - d->p) : d->n;
        vs = sk_pdf_skip_ws(d->p, k, end);
        if (sk_pdf_dict_get(d->p + vs, sk_pdf_value_end(d->p, vs, end) - vs, "Encrypt", &v, &vn) ==
            0) {
            *t = d->p + vs;
            *tn = sk_pdf_value_end(d->p, vs, end) - vs;
            best = k;
            found = 1;
        }
    }
    for (i = 0; i < d->nobj; i++) {
        const struct sk_pdf_obj *o = &d->obj[i];
        if (o->stream && d->order[i] >= best &&
            sk_pdf_dict_get(o->dict, o->dict_len, "Type", &v, &vn) == 0 &&
            sk_pdf_name_is(v, vn, "XRef") &&
            sk_pdf_dict_get(o->dict, o->dict_len, "Encrypt", &v, &vn) == 0) {
            *t = o->dict;
            *tn = o->dict_len;
            best = d->order[i];
            found = 1;
        }
    }
    return found ? 0 : -1;
}

static long sk_pdf_dict_str(const struct sk_pdf *d, const unsigned char *e, size_t en,
                            const char *key, unsigned char *out, size_t size)
{
    const unsigned char *v;
    size_t vn;

    if (sk_pdf_dict_val(d, e, en, key, &v, &vn) != 0)
        return -1;
    return sk_pdf_string_bytes(v, vn, out, size);
}

void sk_pdf_crypt_open(struct sk_pdf *d)
{
    const unsigned char *t, *e, *v;
    size_t tn, en, vn;
    unsigned char o[128], u[128], ue[64], id[64];
    long on, un, uen, idn = 0;
    long long ver = 0, rev = 0, perm = 0, bits = 0;
    unsigned num;
    int rc = -1;

    if (sk_pdf_trailer(d, &t, &tn) != 0)
        return;
    d->enc = -1;
    d->stm_method = SK_PDF_CM_RC4; /* until known: encrypted, cannot be read */
    d->str_method = SK_PDF_CM_RC4; /* V1-3: strings as streams */
    d->encrypt_meta = 1;
    if (sk_pdf_dict_get(t, tn, "Encrypt", &e, &en) != 0)
        return;
    if (sk_pdf_ref(e, en, &num) == 0)
        d->enc_num = num;
    else
        d->enc_direct = 1;
    if (sk_pdf_dict_val(d, t, tn, "Encrypt", &e, &en) != 0)
        return;
    if (sk_pdf_dict_val(d, t, tn, "ID", &v, &vn) == 0) {
        size_t i = sk_pdf_skip_ws(v, 0, vn);
        if (i < vn && v[i] == '[') {
            const unsigned char *s = v + i + 1;
            size_t sn = vn - i - 1;
            sk_pdf_deref(d, &s, &sn);
            idn = sk_pdf_string_bytes(s, sn, id, sizeof(id));
            if (idn < 0)
                idn = 0;
        }
    }
    if (sk_pdf_dict_val(d, e, en, "Filter", &v, &vn) != 0 || !sk_pdf_name_is(v, vn, "Standard"))
        return;
    sk_pdf_dict_int(d, e, en, "V", &ver);
    sk_pdf_dict_int(d, e, en, "R", &rev);
    sk_pdf_dict_int(d, e, en, "P", &perm);
    if (sk_pdf_dict_val(d, e, en, "EncryptMetadata", &v, &vn) == 0 && vn >= 5 &&
        memcmp(v, "false", 5) == 0)
        d->encrypt_meta = 0;
    if (sk_pdf_dict_val(d, e, en, "CF", &d->cf, &d->cfn) != 0)
        d->cf = NULL;
    else if (d->cfn > SK_PDF_MAX_CF)
        return; /* read for each stream: cannot be opened */
    d->r = (int)(rev >= 2 && rev <= 6 ? rev : 0);
    d->v = (int)(ver >= 1 && ver <= 5 ? ver : 0);
    on = sk_pdf_dict_str(d, e, en, "O", o, sizeof(o));
    un = sk_pdf_dict_str(d, e, en, "U", u, sizeof(u));
    if (d->v == 4 || d->v == 5) { /* crypt filters: streams by /StmF, strings by /StrF */
        char name[64] = "Identity", sname[64] = "Identity";
        if (sk_pdf_dict_val(d, e, en, "StmF", &v, &vn) == 0)
            sk_pdf_name(v, vn, name, sizeof(name));
        d->stm_method = sk_pdf_crypt_method(d, name);
        if (d->stm_method < 0)
            d->stm_method = SK_PDF_CM_RC4;
        if (sk_pdf_dict_val(d, e, en, "StrF", &v, &vn) == 0)
            sk_pdf_name(v, vn, sname, sizeof(sname));
        d->str_method = sk_pdf_crypt_method(d, sname);
    }
    if (d->r >= 5 && d->v == 5) {
        uen = sk_pdf_dict_str(d, e, en, "UE", ue, sizeof(ue));
        rc = sk_pdf_key56(d, u, un, ue, uen);
    } else if (d->r >= 2 && d->r <= 4 && d->v >= 1 && d->v <= 4) {
        if (sk_pdf_dict_int(d, e, en, "Length", &bits) != 0 || d->v == 1)
            bits = d->v == 4 ? 128 : 40;
        if (bits < 40 || bits > 128 || bits % 8)
            bits = bits > 0 && bits <= 16 ? bits * 8 : 128; /* a length in bytes */
        d->keylen = d->r == 2 ? 5 : (size_t)bits / 8;
        rc = sk_pdf_key24(d, o, on, u, un, perm, id, idn);
    }
    if (rc == 0)
        d->enc = 1;
}

enum sk_pdf_rc sk_pdf_decrypt(const struct sk_pdf *d, const struct sk_pdf_obj *o, int method,
                              const unsigned char *in, size_t n, int head, unsigned char **out,
                              size_t *out_len)
{
    unsigned char k[16 + 9], ok[16];
    const unsigned char *key = d->key;
    size_t kn = d->keylen, m;
    unsigned char *q;

    *out = NULL;
    *out_len = 0;
    if (d->enc != 1)
        return SK_PDF_ENCRYPTED;
    if ((method == SK_PDF_CM_AESV3) != (kn == 32))
        return SK_PDF_BROKEN; /* a crypt filter of another revision's key (fuzz.pdf) */
    if (method == SK_PDF_CM_RC4 || method == SK_PDF_CM_AESV2) { /* Algorithm 1: per object */
        memcpy(k, d->key, d->keylen);
        k[kn] = (unsigned char)o->num;
        k[kn + 1] = (unsigned char)(o->num >> 8);
        k[kn + 2] = (unsigned char)(o->num >> 16);
        k[kn + 3] = (unsigned char)o->gen;
        k[kn + 4] = (unsigned char)(o->gen >> 8);
        memcpy(k + kn + 5, "sAlT", 4);
        if (sk_pdf_md(EVP_md5(), k, kn + 5 + (method == SK_PDF_CM_AESV2 ? 4 : 0), NULL, 0, NULL, 0,
                      ok) != 0)
            return SK_PDF_NOMEM;
        key = ok;
        kn = kn + 5 < 16 ? kn + 5 : 16;
    }
    if (head && n > 32)
        n = 32; /* the first block (after AES's IV) is enough */
    q = malloc(n + 1);
    if (!q)
        return SK_PDF_NOMEM;
    if (method == SK_PDF_CM_RC4) {
        sk_pdf_rc4(key, kn, in, n, q);
        m = n;
    } else { /* AES-CBC: the IV first; a cut block is dropped, as readers do */
        m = n < 16 ? 0 : (n - 16) / 16 * 16;
        if (m && sk_pdf_aes(1, key, method == SK_PDF_CM_AESV3 ? 32 : 16, in, in + 16, m, q) != 0) {
            free(q);
            return SK_PDF_BROKEN;
        }
        if (!head && m && q[m - 1] >= 1 && q[m - 1] <= 16) { /* PKCS#7 padding */
            size_t pad = q[m - 1], i;
            for (i = 1; i <= pad && q[m - i] == pad; i++)
                ;
            if (i > pad)
                m -= pad;
        }
    }
    *out = q;
    *out_len = m;
    return SK_PDF_OK;
}

/* Is a string of O encrypted? Not in an object stream (the stream was
 * decrypted whole), not in the /Encrypt dictionary, not in a
 * cross-reference stream's dictionary (its /ID). */
static int sk_pdf_str_encrypted(const struct sk_pdf *d, const struct sk_pdf_obj *o)
{
    const unsigned char *v;
    size_t vn;

    if (d->enc == 0 || o->in_objstm || (!d->enc_direct && o->num == d->enc_num))
        return 0;
    return !(sk_pdf_dict_get(o->dict, o->dict_len, "Type", &v, &vn) == 0 &&
             sk_pdf_name_is(v, vn, "XRef"));
}

enum sk_pdf_rc sk_pdf_string(struct sk_pdf *d, const struct sk_pdf_obj *o, const unsigned char *s,
                             size_t n, unsigned char **out, size_t *out_len)
{
    unsigned char *b, *q;
    size_t qn;
    long bn;
    enum sk_pdf_rc rc;

    *out = NULL;
    *out_len = 0;
    if (!s)
        return SK_PDF_BROKEN;
    b = malloc(n + 1);
    if (!b)
        return SK_PDF_NOMEM;
    bn = sk_pdf_string_bytes(s, n, b, n);
    if (bn < 0) {
        free(b);
        return SK_PDF_BROKEN;
    }
    if (d && o && sk_pdf_str_encrypted(d, o)) {
        if (d->str_method < 0 || (d->enc < 0 && d->str_method != SK_PDF_CM_NONE)) {
            free(b);
            return SK_PDF_ENCRYPTED;
        }
        if (d->str_method != SK_PDF_CM_NONE) {
            rc = sk_pdf_decrypt(d, o, d->str_method, b, (size_t)bn, 0, &q, &qn);
            free(b);
            if (rc != SK_PDF_OK)
                return rc;
            b = q;
            bn = (long)qn;
        }
    }
    b[bn] = '\0';
    *out = b;
    *out_len = (size_t)bn;
    return SK_PDF_OK;
}

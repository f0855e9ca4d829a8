/* cli_bundle.h - signed policy bundles shared by publish and pull. */
#ifndef SK_CLI_BUNDLE_H
#define SK_CLI_BUNDLE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <openssl/evp.h>

#define SK_BUNDLE_KEYID_HEX 16
/* How long a published index is valid unless publish --valid-for says. */
#define SK_BUNDLE_INDEX_TTL     (7 * 86400)
#define SK_BUNDLE_INDEX_TTL_MAX (366 * 86400)

/* A parsed bundle; pointers borrow the buffer it was parsed from. */
struct sk_bundle {
    char content_hash[65];
    int64_t generation;
    char created[40];
    char key_id[SK_BUNDLE_KEYID_HEX + 1];
    size_t policy_len;
    const char *policy; /* the export, policy_len bytes */
};

/* First 16 hex digits of sha256(raw public key). 0 or -1. */
int sk_bundle_key_id(EVP_PKEY *key, char out[SK_BUNDLE_KEYID_HEX + 1]);
/* An Ed25519 key from a PEM file, or NULL with *why (static text or errno's). */
EVP_PKEY *sk_bundle_load_key(const char *path, int private_key, char **why);
/* 0 when SIG_B64 (base64, whitespace allowed) is KEY's signature of MSG. */
int sk_bundle_verify(EVP_PKEY *key, const void *msg, size_t len, const char *sig_b64,
                     size_t sig_len);
/* Parse the head and check the length; 0 or -1 with *why (static). */
int sk_bundle_parse(const char *buf, size_t len, struct sk_bundle *b, char **why);
/* A publish directory's index: the bundle it names (checked:
 * policy-[0-9a-f-]+.bundle, never used as a path) and its validity. */
struct sk_bundle_index {
    char bundle[256];
    char key_id[SK_BUNDLE_KEYID_HEX + 1]; /* as the index says (read before the check) */
    time_t signed_at, expires;
};
/* "YYYY-MM-DDTHH:MM:SSZ" (the whole string) as UTC seconds, or -1. */
time_t sk_bundle_time(const char *s);
/* Parse BUF[0..LEN) and check KEY's signature over every byte before its
 * "signature: " line. 0, or -1 with *why (static text). */
int sk_bundle_index_parse(EVP_PKEY *key, const char *buf, size_t len, struct sk_bundle_index *ix,
                          const char **why);
/* Temp file + fsync + rename; 0 or -1 (errno). */
int sk_bundle_write_file(const char *path, const void *buf, size_t len, mode_t mode);

#endif

/* cli_bundle.h - signed policy bundles shared by publish and pull. */
#ifndef SK_CLI_BUNDLE_H
#define SK_CLI_BUNDLE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <openssl/evp.h>

#define SK_BUNDLE_KEYID_HEX 16

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
/* Temp file + fsync + rename; 0 or -1 (errno). */
int sk_bundle_write_file(const char *path, const void *buf, size_t len, mode_t mode);

#endif

/* policy_settings.h - the policy settings registry (key, type, default,
 * bounds, help) and the bool reader: the read side that the server, its
 * modules and the CLI share, without the store's write API or SQLite. */
#ifndef SEKISHO_POLICY_SETTINGS_H
#define SEKISHO_POLICY_SETTINGS_H

#ifndef SK_API
#define SK_API __attribute__((visibility("default")))
#endif

#include <stddef.h>
#include <stdint.h>

/* Length of a policy content hash in hex (SHA-256 of the canonical export;
 * sk_pdb_content_hash, sk_snapshot_content_hash). */
#define SK_PDB_HASH_HEX 64

enum sk_pdb_type {
    SK_PDB_T_BOOL,     /* on|off (accepts true/false, yes/no, 1/0) */
    SK_PDB_T_SIZE,     /* bytes, optional K/M/G suffix (powers of 1024) */
    SK_PDB_T_INT,      /* signed decimal */
    SK_PDB_T_DURATION, /* seconds, optional s/m/h/d suffix */
    SK_PDB_T_ENUM,     /* one of .choices ("block|allow") */
    SK_PDB_T_STRING,   /* UTF-8, no control characters, <= 1024 bytes */
};

struct sk_pdb_setting_def {
    const char *key;
    enum sk_pdb_type type;
    const char *def;     /* default, in canonical form */
    const char *choices; /* SK_PDB_T_ENUM only: "a|b|c" */
    int64_t min, max;    /* SIZE (bytes), INT, DURATION (seconds) bounds */
    const char *help;
};

/* The registry, static; *count gets its length. */
SK_API const struct sk_pdb_setting_def *sk_pdb_settings(size_t *count);
/* Entry for KEY (static), or NULL if KEY is not a setting. */
SK_API const struct sk_pdb_setting_def *sk_pdb_setting_find(const char *key);
SK_API const char *sk_pdb_type_name(enum sk_pdb_type);

/* Parsers shared by the CLI and the server, so both read values alike.
 * 0, or -1 if TEXT is not a valid value of the type. Sizes and durations:
 * sk_parse_size / sk_parse_duration in sekisho/text.h (one grammar for
 * settings, directives and module options). */
SK_API int sk_pdb_parse_bool(const char *text, int *out);

#endif

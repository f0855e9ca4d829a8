/* pdb_json.h - the policy document reader (pdb_json.c); internal. */
#ifndef SK_PDB_JSON_H
#define SK_PDB_JSON_H

#include <stddef.h>
#include <stdint.h>

enum sk_json_type {
    SK_JSON_NULL,
    SK_JSON_BOOL,
    SK_JSON_INT,
    SK_JSON_STR,
    SK_JSON_ARR,
    SK_JSON_OBJ
};

struct sk_json {
    enum sk_json_type type;
    int line;             /* of the member name inside an object */
    const char *key;      /* member name inside an object, else NULL */
    const char *s;        /* STR: decoded, NUL-terminated (points into the text) */
    size_t len;           /* STR: bytes */
    int64_t i;            /* INT value; BOOL 0/1 */
    struct sk_json *kids; /* ARR elements / OBJ members, in document order */
    size_t n;
};

/* Parse TEXT (LEN bytes), decoding strings in place: TEXT must outlive the
 * tree. The tree (caller frees with sk_json_free), or NULL with *err
 * ("policy document line N: what"). */
struct sk_json *sk_json_parse(char *text, size_t len, char **err);
void sk_json_free(struct sk_json *);
/* Member KEY of object OBJ (borrowed), NULL if absent or OBJ no object. */
const struct sk_json *sk_json_get(const struct sk_json *obj, const char *key);

#endif

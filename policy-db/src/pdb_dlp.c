/* pdb_dlp.c - DLP templates in the policy store: detector validation (the
 * contract the dlp module compiles from) and the add/rm write helpers.
 * Trust: administrator input from the CLI or an import document; regexes
 * are compiled here exactly as the module compiles them, so a template the
 * CLI accepts is one the server can use. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pdb_store.h"

/* Built-in detectors; the dlp module implements exactly these names. */
static const char *const sk_pdb_dlp_builtins[] = {
    "credit-card", "my-number", "corporate-number", "ssn", "iban", "email", "jp-phone", NULL,
};

#define SK_PDB_DLP_ARG_MAX 1024

const char *const *sk_pdb_dlp_builtin_names(void)
{
    return sk_pdb_dlp_builtins;
}

/* UTF-8 (well-formed, shortest form) without control characters. */
static int sk_pdb_dlp_text_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    while (*p) {
        int n = *p < 0x80             ? 0
                : (*p & 0xe0) == 0xc0 ? 1
                : (*p & 0xf0) == 0xe0 ? 2
                : (*p & 0xf8) == 0xf0 ? 3
                                      : -1;
        if (n < 0 || (*p < 0x80 && (*p < 0x20 || *p == 0x7f)) || *p == 0xc0 || *p == 0xc1 ||
            *p > 0xf4)
            return 0;
        for (int i = 1; i <= n; i++)
            if ((p[i] & 0xc0) != 0x80)
                return 0;
        p += n + 1;
    }
    return 1;
}

int sk_pdb_dlp_regex_compile(const char *re_text, void **code, char **err)
{
    PCRE2_UCHAR msg[256];
    PCRE2_SIZE offset = 0;
    pcre2_match_data *md;
    pcre2_code *re;
    int code_rc = 0, rc;

    re = pcre2_compile((PCRE2_SPTR)re_text, PCRE2_ZERO_TERMINATED,
                       PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &code_rc, &offset, NULL);
    if (re == NULL) {
        if (pcre2_get_error_message(code_rc, msg, sizeof(msg)) < 0)
            strcpy((char *)msg, "unknown error");
        return sk_pdb_errf(err, "invalid regex '%s': %s at offset %zu", re_text, (char *)msg,
                           (size_t)offset);
    }
    /* A pattern that matches nothing at all would count every position. */
    if ((md = pcre2_match_data_create_from_pattern(re, NULL)) == NULL) {
        pcre2_code_free(re);
        return sk_pdb_errf(err, "out of memory");
    }
    rc = pcre2_match(re, (PCRE2_SPTR) "", 0, 0, 0, md, NULL);
    pcre2_match_data_free(md);
    if (rc >= 0) {
        pcre2_code_free(re);
        return sk_pdb_errf(err, "invalid regex '%s': it matches the empty string", re_text);
    }
    if (code)
        *code = re;
    else
        pcre2_code_free(re);
    return 0;
}

int sk_pdb_dlp_detector_canon(const char *spec, char **canon, char **err)
{
    const char *arg;

    *canon = NULL;
    for (size_t i = 0; sk_pdb_dlp_builtins[i]; i++)
        if (strcasecmp(spec, sk_pdb_dlp_builtins[i]) == 0) {
            *canon = strdup(sk_pdb_dlp_builtins[i]);
            return *canon ? 0 : sk_pdb_errf(err, "out of memory");
        }
    if (strncmp(spec, "keyword:", 8) == 0 || strncmp(spec, "regex:", 6) == 0) {
        arg = strchr(spec, ':') + 1;
        if (*arg == '\0' || strlen(arg) > SK_PDB_DLP_ARG_MAX || !sk_pdb_dlp_text_ok(arg))
            return sk_pdb_errf(err,
                               "invalid detector '%s': the text after ':' must be 1 to %d"
                               " bytes of UTF-8 without control characters",
                               spec, SK_PDB_DLP_ARG_MAX);
        if (spec[0] == 'r' && sk_pdb_dlp_regex_compile(arg, NULL, err) == -1)
            return -1;
        *canon = strdup(spec);
        return *canon ? 0 : sk_pdb_errf(err, "out of memory");
    }
    return sk_pdb_errf(err,
                       "unknown detector '%s': credit-card, my-number, corporate-number, ssn,"
                       " iban, email, jp-phone, keyword:WORD or regex:RE",
                       spec);
}

int sk_pdb_dlp_detectors_check(const char *stored, char **err)
{
    char *copy = strdup(stored), *save = NULL, *canon = NULL;
    int rc = 0, n = 0;

    if (copy == NULL)
        return sk_pdb_errf(err, "out of memory");
    for (char *d = strtok_r(copy, "\n", &save); d && rc == 0; d = strtok_r(NULL, "\n", &save)) {
        rc = sk_pdb_dlp_detector_canon(d, &canon, err);
        if (rc == 0 && strcmp(canon, d) != 0)
            rc = sk_pdb_errf(err, "detector '%s' is not in canonical form ('%s')", d, canon);
        free(canon);
        canon = NULL;
        n++;
    }
    free(copy);
    if (rc == 0 && n == 0)
        rc = sk_pdb_errf(err, "a DLP template needs at least one detector");
    return rc;
}

int sk_pdb_dlp_name_valid(const char *name, char **err)
{
    if (*name == '\0' || strlen(name) > 64 || !sk_pdb_dlp_text_ok(name))
        return sk_pdb_errf(err,
                           "invalid template name '%s': 1 to 64 bytes of UTF-8 without"
                           " control characters",
                           name);
    return 0;
}

/* The stored form: canonical detectors, one per line, in the order given,
 * repeats dropped. Caller frees *out. 0, or -1 with *err. */
static int sk_pdb_dlp_join(const char *const *detectors, size_t n, char **out, char **err)
{
    struct sk_buf b = {0};
    char *canon = NULL;

    *out = NULL;
    if (n == 0)
        return sk_pdb_errf(err, "a DLP template needs at least one --detector");
    for (size_t i = 0; i < n; i++) {
        if (sk_pdb_dlp_detector_canon(detectors[i], &canon, err) == -1)
            goto fail;
        int dup = 0;
        for (const char *p = b.data; p && *p && !dup;) {
            size_t len = strcspn(p, "\n");
            dup = len == strlen(canon) && memcmp(p, canon, len) == 0;
            p += len + (p[len] == '\n');
        }
        if (!dup && ((b.len && sk_buf_puts(&b, "\n") == -1) || sk_buf_puts(&b, canon) == -1)) {
            sk_pdb_errf(err, "out of memory");
            goto fail;
        }
        free(canon);
        canon = NULL;
    }
    *out = b.data;
    return 0;
fail:
    free(canon);
    free(b.data);
    return -1;
}

int64_t sk_pdb_dlp_add(struct sk_pdb *pdb, const char *policy, const char *name,
                       const char *const *detectors, size_t n, int64_t min_count,
                       const char *action, char **err)
{
    sqlite3_stmt *st = NULL;
    char *joined = NULL;
    int64_t pid, rc = SK_PDB_REJECT;

    if (sk_pdb_dlp_name_valid(name, err) == -1)
        return SK_PDB_REJECT;
    if (action == NULL || (strcmp(action, "block") != 0 && strcmp(action, "log") != 0)) {
        sk_pdb_errf(err, "invalid action '%s': block or log", action ? action : "");
        return SK_PDB_REJECT;
    }
    if (min_count < 1 || min_count > 1000000) {
        sk_pdb_errf(err, "invalid minimum count %lld: 1 to 1000000", (long long)min_count);
        return SK_PDB_REJECT;
    }
    if (sk_pdb_dlp_join(detectors, n, &joined, err) == -1)
        return SK_PDB_REJECT;
    if ((pid = sk_pdb_policy_ref(pdb, policy, err)) < 0) {
        rc = pid;
        goto out;
    }
    if (sqlite3_prepare_v2(pdb->db,
                           "INSERT OR IGNORE INTO dlp_templates(policy_id, name, detectors,"
                           " min_count, action) VALUES (?1, ?2, ?3, ?4, ?5)",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_int64(st, 1, pid) != SQLITE_OK ||
        sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(st, 3, joined, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_int64(st, 4, min_count) != SQLITE_OK ||
        sqlite3_bind_text(st, 5, action, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_DONE) {
        rc = sk_pdb_sqlerr(pdb, err, "cannot add the DLP template");
        goto out;
    }
    if (sqlite3_changes(pdb->db) == 0) {
        sk_pdb_errf(err,
                    "DLP template '%s' already exists in policy '%s' (remove it first:"
                    " sekisho-policy dlp rm)",
                    name, policy ? policy : SK_PDB_DEFAULT_POLICY);
        rc = SK_PDB_REJECT;
        goto out;
    }
    rc = sqlite3_last_insert_rowid(pdb->db);
out:
    sqlite3_finalize(st);
    free(joined);
    return rc;
}

int sk_pdb_dlp_rm(struct sk_pdb *pdb, const char *policy, const char *name, char **err)
{
    sqlite3_stmt *st = NULL;
    int64_t pid;
    int rc = -1;

    if ((pid = sk_pdb_policy_ref(pdb, policy, err)) < 0)
        return (int)pid;
    if (sqlite3_prepare_v2(pdb->db, "DELETE FROM dlp_templates WHERE policy_id = ?1 AND name = ?2",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_int64(st, 1, pid) != SQLITE_OK ||
        sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_DONE) {
        sk_pdb_sqlerr(pdb, err, "cannot remove the DLP template");
        goto out;
    }
    rc = sqlite3_changes(pdb->db) > 0;
out:
    sqlite3_finalize(st);
    return rc;
}

/* pdb_rules.c - URL rules: pattern validation (domain with IDN, PCRE2
 * regex) and the CLI's writes. Trust: administrator input; a pattern the
 * server could not compile never reaches the database. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <idn2.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include <sekisho/policy_snapshot.h>

#include "pdb_store.h"

#define SK_PDB_PATTERN_MAX 4096

static int sk_pdb_one_of(const char *s, const char *const *set)
{
    for (; *set; set++)
        if (strcmp(s, *set) == 0)
            return 1;
    return 0;
}

static const char *const sk_pdb_lists[] = {"block", "allow", "approved", NULL};
static const char *const sk_pdb_matches[] = {"exact", "prefix", "substring", "domain",
                                             "regex", "cidr",   NULL};

/* ASCII domain check on OUT (LEN bytes, already lower-case, no leading or
 * trailing dot): labels of 1..63 of [a-z0-9_-], at most 253 bytes. */
static int sk_pdb_ldh(const char *s, size_t len)
{
    size_t label = 0;

    if (len == 0 || len > 253)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (ch == '.') {
            if (label == 0)
                return 0;
            label = 0;
        } else if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_') {
            if (++label > 63)
                return 0;
        } else {
            return 0;
        }
    }
    return label > 0;
}

/* Normalise domain TEXT (LEN bytes) into OUT (SIZE bytes): strip "*.",
 * leading '.', trailing '.', lower-case, IDN -> A-labels. Length, or -1. */
ssize_t sk_pdb_domain_norm(const char *text, size_t len, char *out, size_t size)
{
    int idn = 0;
    size_t n = 0;

    if (len >= 2 && text[0] == '*' && text[1] == '.')
        text += 2, len -= 2;
    else if (len >= 1 && text[0] == '.')
        text++, len--;
    if (len > 0 && text[len - 1] == '.')
        len--;
    if (len == 0 || len >= size)
        return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch >= 0x80)
            idn = 1;
        out[n++] = (char)tolower(ch);
    }
    out[n] = '\0';
    if (idn) {
        char *ascii = NULL;
        if (idn2_to_ascii_8z(out, &ascii, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT) != IDN2_OK)
            return -1;
        n = strlen(ascii);
        if (n >= size) {
            idn2_free(ascii);
            return -1;
        }
        for (size_t i = 0; i <= n; i++)
            out[i] = (char)tolower((unsigned char)ascii[i]);
        idn2_free(ascii);
    }
    return sk_pdb_ldh(out, n) ? (ssize_t)n : -1;
}

int sk_pdb_domain_canon(const char *text, char **canon, char **err)
{
    char buf[512];

    *canon = NULL;
    if (sk_pdb_domain_norm(text, strlen(text), buf, sizeof(buf)) == -1)
        return sk_pdb_errf(err,
                           "invalid domain '%s': expected example.com or *.example.com"
                           " (labels of letters, digits, '-', '_'; IDN allowed)",
                           text);
    if ((*canon = strdup(buf)) == NULL)
        return sk_pdb_errf(err, "out of memory");
    return 0;
}

static int sk_pdb_regex_check(const char *pattern, char **err)
{
    PCRE2_UCHAR msg[256];
    PCRE2_SIZE offset = 0;
    int code = 0;
    pcre2_code *re;

    re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &code, &offset, NULL);
    if (re != NULL) {
        pcre2_code_free(re);
        return 0;
    }
    if (pcre2_get_error_message(code, msg, sizeof(msg)) < 0)
        strcpy((char *)msg, "unknown error");
    return sk_pdb_errf(err, "invalid regex '%s': %s at offset %zu", pattern, (char *)msg,
                       (size_t)offset);
}

int sk_pdb_url_canon(const char *list, const char *match, const char *pattern, char **canon,
                     char **err)
{
    size_t n = strlen(pattern);

    *canon = NULL;
    if (!sk_pdb_one_of(list, sk_pdb_lists))
        return sk_pdb_errf(err, "invalid list '%s': block, allow or approved", list);
    if (!sk_pdb_one_of(match, sk_pdb_matches))
        return sk_pdb_errf(err,
                           "invalid match '%s': exact, prefix, substring, domain,"
                           " regex or cidr",
                           match);
    if (n == 0 || n > SK_PDB_PATTERN_MAX)
        return sk_pdb_errf(err, "invalid pattern: 1 to %d bytes", SK_PDB_PATTERN_MAX);
    if (strcmp(match, "domain") == 0)
        return sk_pdb_domain_canon(pattern, canon, err);
    /* Stored as the matcher's canonical "network/bits" (host bits cleared),
     * so "10.1.2.3/8" and "10.0.0.0/8" are one rule, not two. */
    if (strcmp(match, "cidr") == 0)
        return sk_url_rule_validate(match, pattern, canon, err);
    for (const unsigned char *p = (const unsigned char *)pattern; *p; p++)
        if (*p < 0x20 || *p == 0x7f || (*p == ' ' && strcmp(match, "regex") != 0))
            return sk_pdb_errf(err, "invalid pattern '%s': no spaces or control characters",
                               pattern);
    if (strcmp(match, "regex") == 0 && sk_pdb_regex_check(pattern, err) == -1)
        return -1;
    /* Rules see URLs as "host[:port]/path[?query]" (see url.h): a scheme
     * given here is dropped and the host lower-cased, like list entries. */
    if (strcmp(match, "exact") == 0 || strcmp(match, "prefix") == 0) {
        char out[SK_PDB_PATTERN_MAX + 1];
        if (sk_pdb_url_entry_norm(pattern, n, out, sizeof(out)) <= 0)
            return sk_pdb_errf(err, "invalid %s pattern '%s': expected host/path", match, pattern);
        if ((*canon = strdup(out)) == NULL)
            return sk_pdb_errf(err, "out of memory");
        return 0;
    }
    if ((*canon = strdup(pattern)) == NULL)
        return sk_pdb_errf(err, "out of memory");
    return 0;
}

int64_t sk_pdb_url_add(struct sk_pdb *pdb, const char *policy, const char *list, const char *match,
                       const char *pattern, const char *comment, char **err)
{
    sqlite3_stmt *st = NULL;
    char *canon = NULL;
    int64_t pid, rc = -1;

    if (sk_pdb_url_canon(list, match, pattern, &canon, err) == -1)
        return SK_PDB_REJECT;
    if ((pid = sk_pdb_policy_ref(pdb, policy, err)) < 0) {
        free(canon);
        return pid;
    }
    if (sqlite3_prepare_v2(pdb->db,
                           "INSERT OR IGNORE INTO url_rules(policy_id, list, match,"
                           " pattern, comment) VALUES (?1, ?2, ?3, ?4, ?5)",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_int64(st, 1, pid) != SQLITE_OK ||
        sqlite3_bind_text(st, 2, list, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(st, 3, match, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(st, 4, canon, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(st, 5, comment ? comment : "", -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_DONE) {
        sk_pdb_sqlerr(pdb, err, "cannot add the rule");
        goto out;
    }
    rc = sqlite3_changes(pdb->db) > 0 ? sqlite3_last_insert_rowid(pdb->db) : 0;
out:
    sqlite3_finalize(st);
    free(canon);
    return rc;
}

int sk_pdb_url_rm_id(struct sk_pdb *pdb, int64_t id, char **err)
{
    sqlite3_stmt *st = NULL;
    int rc = -1;

    if (sqlite3_prepare_v2(pdb->db, "DELETE FROM url_rules WHERE id = ?1", -1, &st, NULL) !=
            SQLITE_OK ||
        sqlite3_bind_int64(st, 1, id) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
        sk_pdb_sqlerr(pdb, err, "cannot remove the rule");
        goto out;
    }
    rc = sqlite3_changes(pdb->db) > 0;
out:
    sqlite3_finalize(st);
    return rc;
}

int sk_pdb_url_rm(struct sk_pdb *pdb, const char *policy, const char *list, const char *match,
                  const char *pattern, char **err)
{
    sqlite3_stmt *st = NULL;
    char *canon = NULL;
    int64_t pid;
    int rc = -1;

    if (sk_pdb_url_canon(list, match, pattern, &canon, err) == -1)
        return SK_PDB_REJECT;
    if ((pid = sk_pdb_policy_ref(pdb, policy, err)) < 0) {
        free(canon);
        return (int)pid;
    }
    if (sqlite3_prepare_v2(pdb->db,
                           "DELETE FROM url_rules WHERE policy_id = ?1 AND list = ?2"
                           " AND match = ?3 AND pattern = ?4",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_int64(st, 1, pid) != SQLITE_OK ||
        sqlite3_bind_text(st, 2, list, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(st, 3, match, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(st, 4, canon, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_DONE) {
        sk_pdb_sqlerr(pdb, err, "cannot remove the rule");
        goto out;
    }
    rc = sqlite3_changes(pdb->db) > 0;
out:
    sqlite3_finalize(st);
    free(canon);
    return rc;
}

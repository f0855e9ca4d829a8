/* pdb_policy.c - policies and their scopes: validation (names, CIDR, users,
 * groups) and the CLI's writes. Trust: administrator input, validated
 * before it reaches the database the server trusts. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pdb_internal.h"
#include "pdb_store.h"
#include "snap_internal.h"

int sk_pdb_policy_name_valid(const char *name, char **err)
{
    size_t n = strlen(name);

    if (n == 0 || n > 64)
        return sk_pdb_errf(err, "invalid policy name '%s': 1 to 64 characters", name);
    if (name[0] == '-')
        return sk_pdb_errf(err, "invalid policy name '%s': must not start with '-'", name);
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '_' || *p == '-'))
            return sk_pdb_errf(err,
                               "invalid policy name '%s': use letters, digits, '.', '_'"
                               " and '-'",
                               name);
    return 0;
}

/* Zero the bits of ADDR (LEN bytes) beyond PREFIX; 1 if any was set. */
static int sk_pdb_mask(unsigned char *addr, size_t len, unsigned prefix)
{
    int host = 0;

    for (size_t i = 0; i < len; i++) {
        unsigned keep = prefix >= 8 * (i + 1) ? 8 : prefix > 8 * i ? prefix - 8 * i : 0;
        unsigned char m = keep == 0 ? 0 : (unsigned char)(0xff << (8 - keep));
        if (addr[i] & ~m)
            host = 1;
        addr[i] &= m;
    }
    return host;
}

/* "ADDR" or "ADDR/PREFIX" -> "ADDR/PREFIX". Host bits set are refused,
 * not silently cleared: "10.1.2.3/8" is more likely a typo than a wish. */
static int sk_pdb_cidr_canon(const char *text, char **canon, char **err)
{
    unsigned char addr[16];
    char host[INET6_ADDRSTRLEN + 8], out[INET6_ADDRSTRLEN];
    const char *slash = strchr(text, '/');
    unsigned long prefix;
    size_t hl = slash ? (size_t)(slash - text) : strlen(text);
    int af, max;

    if (hl == 0 || hl >= sizeof(host))
        return sk_pdb_errf(err,
                           "invalid client IP '%s': expected an address or CIDR"
                           " (10.0.0.0/8, 2001:db8::/32)",
                           text);
    memcpy(host, text, hl);
    host[hl] = '\0';
    if (inet_pton(AF_INET, host, addr) == 1) {
        af = AF_INET, max = 32;
    } else if (inet_pton(AF_INET6, host, addr) == 1) {
        af = AF_INET6, max = 128;
    } else {
        return sk_pdb_errf(err, "invalid client IP '%s': '%s' is not an IPv4 or IPv6 address", text,
                           host);
    }
    prefix = (unsigned long)max;
    if (slash != NULL) {
        char *end;
        errno = 0;
        prefix = strtoul(slash + 1, &end, 10);
        if (slash[1] < '0' || slash[1] > '9' || *end != '\0' || errno != 0 ||
            prefix > (unsigned long)max)
            return sk_pdb_errf(err, "invalid client IP '%s': prefix length must be 0..%d", text,
                               max);
    }
    if (sk_pdb_mask(addr, af == AF_INET ? 4 : 16, (unsigned)prefix)) {
        inet_ntop(af, addr, out, sizeof(out));
        return sk_pdb_errf(err,
                           "invalid client IP '%s': host bits set (the network is"
                           " %s/%lu)",
                           text, out, prefix);
    }
    inet_ntop(af, addr, out, sizeof(out));
    if (asprintf(canon, "%s/%lu", out, prefix) == -1) {
        *canon = NULL;
        return sk_pdb_errf(err, "out of memory");
    }
    return 0;
}

int sk_pdb_scope_canon(const char *kind, const char *value, char **canon, char **err)
{
    size_t n = strlen(value);

    *canon = NULL;
    if (strcmp(kind, "client-ip") == 0)
        return sk_pdb_cidr_canon(value, canon, err);
    if (strcmp(kind, "user") != 0 && strcmp(kind, "group") != 0)
        return sk_pdb_errf(err, "invalid scope kind '%s': client-ip, user or group", kind);
    if (n == 0 || n > 256)
        return sk_pdb_errf(err, "invalid %s '%s': 1 to 256 bytes", kind, value);
    for (const unsigned char *p = (const unsigned char *)value; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return sk_pdb_errf(err, "invalid %s: control characters are not allowed", kind);
    /* what the snapshot load accepts (a DN whose value does not read,
     * "CN=A\2" or "CN=,OU=x", names nobody: stored, it failed every load,
     * so servers kept their last policy and no later change applied) */
    if (sk_scope_validate(kind, value, err) == -1)
        return -1;
    if (strcmp(kind, "group") == 0) {
        struct sk_ident_name nm;
        int comma;
        if (sk_ident_name_parse(value, strlen(value), &nm) == -1)
            return sk_pdb_errf(err, "out of memory");
        comma = strchr(nm.name, ',') != NULL;
        sk_ident_name_free(&nm);
        if (comma) /* sk_ident_groups leaves such groups out */
            return sk_pdb_errf(err,
                               "invalid group '%s': a group name with a comma can never match"
                               " (X-Authenticated-Groups is a comma-separated list)",
                               value);
    }
    if ((*canon = strdup(value)) == NULL)
        return sk_pdb_errf(err, "out of memory");
    return 0;
}

int64_t sk_pdb_policy_ref(struct sk_pdb *pdb, const char *name, char **err)
{
    int64_t id;

    if (name == NULL)
        name = SK_PDB_DEFAULT_POLICY;
    if ((id = sk_pdb_policy_id(pdb, name, err)) == 0) {
        sk_pdb_errf(err, "no such policy '%s'", name);
        return SK_PDB_REJECT;
    }
    return id;
}

/* The id of user policy NAME; SK_PDB_REJECT for none or for default when
 * DEFAULT_OK is 0. */
static int64_t sk_pdb_user_policy(struct sk_pdb *pdb, const char *name, int default_ok,
                                  const char *what, char **err)
{
    if (!default_ok && strcmp(name, SK_PDB_DEFAULT_POLICY) == 0) {
        sk_pdb_errf(err, "the default policy cannot %s", what);
        return SK_PDB_REJECT;
    }
    return sk_pdb_policy_ref(pdb, name, err);
}

/* Name of the policy using PRIORITY, if any: 1 (with *err saying so), 0, -1. */
static int sk_pdb_priority_taken(struct sk_pdb *pdb, int64_t priority, const char *self, char **err)
{
    sqlite3_stmt *st = NULL;
    int rc = -1, step;

    if (sqlite3_prepare_v2(pdb->db, "SELECT name FROM policies WHERE priority = ?1", -1, &st,
                           NULL) != SQLITE_OK ||
        sqlite3_bind_int64(st, 1, priority) != SQLITE_OK) {
        sk_pdb_sqlerr(pdb, err, "cannot read policies");
        goto out;
    }
    step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        const char *other = (const char *)sqlite3_column_text(st, 0);
        rc = self != NULL && strcmp(self, other) == 0
                 ? 0
                 : (sk_pdb_errf(err, "priority %lld is already used by policy '%s'",
                                (long long)priority, other),
                    1);
    } else if (step == SQLITE_DONE) {
        rc = 0;
    } else {
        sk_pdb_sqlerr(pdb, err, "cannot read policies");
    }
out:
    sqlite3_finalize(st);
    return rc;
}

static int sk_pdb_priority_check(struct sk_pdb *pdb, int64_t priority, const char *self, char **err)
{
    int taken;

    if (priority < 0 || priority > SK_PDB_PRIORITY_MAX) {
        sk_pdb_errf(err, "invalid priority %lld: 0..%d (lower is tried first)", (long long)priority,
                    SK_PDB_PRIORITY_MAX);
        return SK_PDB_REJECT;
    }
    if ((taken = sk_pdb_priority_taken(pdb, priority, self, err)) == -1)
        return -1;
    return taken ? SK_PDB_REJECT : 0;
}

int64_t sk_pdb_policy_add(struct sk_pdb *pdb, const char *name, int64_t priority,
                          const char *comment, char **err)
{
    sqlite3_stmt *st = NULL;
    int64_t id, rc = -1;

    if (sk_pdb_policy_name_valid(name, err) == -1)
        return SK_PDB_REJECT;
    if ((id = sk_pdb_policy_id(pdb, name, err)) != 0) {
        if (id > 0)
            sk_pdb_errf(err, "policy '%s' already exists", name);
        return id > 0 ? SK_PDB_REJECT : -1;
    }
    if (priority == -1) {
        if (sk_pdb_query_int(pdb,
                             "SELECT coalesce(max(priority) + 10, 100) FROM policies"
                             " WHERE priority <= 999999",
                             &priority, err) == -1)
            return -1;
        if (priority < 100)
            priority = 100;
        if (priority > SK_PDB_PRIORITY_MAX) {
            sk_pdb_errf(err, "no free priority above the highest; give --priority");
            return SK_PDB_REJECT;
        }
    }
    if ((rc = sk_pdb_priority_check(pdb, priority, NULL, err)) != 0)
        return rc;
    rc = -1;
    if (sqlite3_prepare_v2(pdb->db,
                           "INSERT INTO policies(name, priority, comment)"
                           " VALUES (?1, ?2, ?3)",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_int64(st, 2, priority) != SQLITE_OK ||
        sqlite3_bind_text(st, 3, comment ? comment : "", -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_DONE) {
        sk_pdb_sqlerr(pdb, err, "cannot add the policy");
        goto out;
    }
    rc = priority;
out:
    sqlite3_finalize(st);
    return rc;
}

/* Run SQL with ?1 = ID (and ?2 = TEXT if not NULL); changes or -1. */
static int sk_pdb_run_id(struct sk_pdb *pdb, const char *sql, int64_t id, const char *text,
                         char **err)
{
    sqlite3_stmt *st = NULL;
    int rc = -1;

    if (sqlite3_prepare_v2(pdb->db, sql, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_int64(st, 1, id) != SQLITE_OK ||
        (text != NULL && sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC) != SQLITE_OK) ||
        sqlite3_step(st) != SQLITE_DONE) {
        sk_pdb_sqlerr(pdb, err, "cannot change the policy");
        goto out;
    }
    rc = sqlite3_changes(pdb->db);
out:
    sqlite3_finalize(st);
    return rc;
}

int sk_pdb_policy_rm(struct sk_pdb *pdb, const char *name, char **err)
{
    int64_t id = sk_pdb_user_policy(pdb, name, 0, "be removed", err);

    if (id < 0)
        return (int)id;
    return sk_pdb_run_id(pdb, "DELETE FROM policies WHERE id = ?1", id, NULL, err) == -1 ? -1 : 0;
}

static int sk_pdb_set_priority(struct sk_pdb *pdb, int64_t id, int64_t priority, char **err)
{
    sqlite3_stmt *st = NULL;
    int rc = -1;

    if (sqlite3_prepare_v2(pdb->db, "UPDATE policies SET priority = ?2 WHERE id = ?1", -1, &st,
                           NULL) != SQLITE_OK ||
        sqlite3_bind_int64(st, 1, id) != SQLITE_OK ||
        sqlite3_bind_int64(st, 2, priority) != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE) {
        sk_pdb_sqlerr(pdb, err, "cannot change the priority");
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    return rc;
}

int sk_pdb_policy_update(struct sk_pdb *pdb, const char *name, int64_t priority,
                         const char *comment, int enabled, char **err)
{
    /* The default policy keeps its priority and stays enabled; its
     * comment may change. */
    int64_t id = sk_pdb_user_policy(pdb, name, priority == -1 && enabled == -1,
                                    "change priority or be disabled", err);
    int rc;

    if (id < 0)
        return (int)id;
    if (priority != -1) {
        if ((rc = sk_pdb_priority_check(pdb, priority, name, err)) != 0)
            return rc;
        if (sk_pdb_set_priority(pdb, id, priority, err) == -1)
            return -1;
    }
    if (comment != NULL && sk_pdb_run_id(pdb, "UPDATE policies SET comment = ?2 WHERE id = ?1", id,
                                         comment, err) == -1)
        return -1;
    if (enabled != -1 && sk_pdb_run_id(pdb,
                                       enabled ? "UPDATE policies SET enabled = 1 WHERE id = ?1"
                                               : "UPDATE policies SET enabled = 0 WHERE id = ?1",
                                       id, NULL, err) == -1)
        return -1;
    return 0;
}

/* Shared by scope add/rm: the user policy's id and the canonical value. */
static int64_t sk_pdb_scope_prep(struct sk_pdb *pdb, const char *policy, const char *kind,
                                 const char *value, char **canon, char **err)
{
    int64_t id = sk_pdb_user_policy(pdb, policy, 0, "have a scope: it applies to everyone", err);

    if (id < 0)
        return id;
    if (sk_pdb_scope_canon(kind, value, canon, err) == -1)
        return SK_PDB_REJECT;
    return id;
}

static int sk_pdb_scope_change(struct sk_pdb *pdb, const char *sql, const char *policy,
                               const char *kind, const char *value, char **err)
{
    sqlite3_stmt *st = NULL;
    char *canon = NULL;
    int64_t id = sk_pdb_scope_prep(pdb, policy, kind, value, &canon, err);
    int rc = -1;

    if (id < 0)
        return (int)id;
    if (sqlite3_prepare_v2(pdb->db, sql, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_int64(st, 1, id) != SQLITE_OK ||
        sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(st, 3, canon, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_DONE) {
        sk_pdb_sqlerr(pdb, err, "cannot change the scope");
        goto out;
    }
    rc = sqlite3_changes(pdb->db) > 0;
out:
    sqlite3_finalize(st);
    free(canon);
    return rc;
}

int sk_pdb_scope_add(struct sk_pdb *pdb, const char *policy, const char *kind, const char *value,
                     char **err)
{
    return sk_pdb_scope_change(pdb,
                               "INSERT OR IGNORE INTO policy_scopes(policy_id, kind, value)"
                               " VALUES (?1, ?2, ?3)",
                               policy, kind, value, err);
}

int sk_pdb_scope_rm(struct sk_pdb *pdb, const char *policy, const char *kind, const char *value,
                    char **err)
{
    return sk_pdb_scope_change(pdb,
                               "DELETE FROM policy_scopes WHERE policy_id = ?1"
                               " AND kind = ?2 AND value = ?3",
                               policy, kind, value, err);
}

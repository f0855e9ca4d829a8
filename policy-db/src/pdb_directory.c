/* pdb_directory.c - directories (LDAP servers for group lookups) in the
 * policy store: validation, canonical URIs and the add/rm write helpers.
 * Trust: administrator input from the CLI or an import document; nothing
 * here talks to the network. The password itself is never stored. */
#include <ctype.h>
#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sekisho/directory.h>

#include "pdb_store.h"

#define SK_PDB_DIR_FIELD_MAX 1024
#define SK_PDB_DIR_MAX_URIS  8
#define SK_PDB_DIR_MAX_ATTRS 8
#define SK_PDB_DIR_MAX_DOMS  16

static int sk_pdb_dir_text_ok(const char *s)
{
    if (s == NULL || strlen(s) > SK_PDB_DIR_FIELD_MAX)
        return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return 0;
    return 1;
}

static int sk_pdb_dir_name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;

    if (n == 0 || n > 64 || s[0] == '-')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
            return 0;
    return 1;
}

static int sk_pdb_dir_dn_ok(const char *dn)
{
    LDAPDN parsed = NULL;

    if (!sk_pdb_dir_text_ok(dn) || ldap_str2dn(dn, &parsed, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS)
        return 0;
    ldap_dnfree(parsed);
    return 1;
}

/* An attribute description: a name (letter, then letters, digits, '-') or
 * a numeric OID. */
static int sk_pdb_dir_attr_ok(const char *a)
{
    size_t n = a ? strlen(a) : 0;

    if (n == 0 || n > 64)
        return 0;
    if (isdigit((unsigned char)a[0]))
        return strspn(a, "0123456789.") == n;
    if (!isalpha((unsigned char)a[0]))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)a[i]) && a[i] != '-')
            return 0;
    return 1;
}

/* Does URI write a port? ldap_url_parse fills in 389/636 itself, which
 * would hide the Global Catalog's defaults. */
static int sk_pdb_dir_has_port(const char *uri)
{
    const char *h = strstr(uri, "://"), *end, *colon;

    if (h == NULL)
        return 0;
    h += 3;
    end = h + strcspn(h, "/?");
    if (*h == '[') {
        const char *rb = memchr(h, ']', (size_t)(end - h));
        return rb != NULL && rb + 1 < end && rb[1] == ':';
    }
    colon = memchr(h, ':', (size_t)(end - h));
    return colon != NULL && colon + 1 < end;
}

/* URI -> "scheme://host:port" appended to OUT (space before when not
 * first). -1 with *err when it is not a plain ldap/ldaps server URI. */
static int sk_pdb_dir_uri(const char *uri, int gc, struct sk_buf *out, char **err)
{
    LDAPURLDesc *u = NULL;
    int ldaps, port, rc = SK_PDB_REJECT;

    if (!sk_pdb_dir_text_ok(uri) || strchr(uri, ' ') != NULL ||
        ldap_url_parse(uri, &u) != LDAP_URL_SUCCESS) {
        sk_pdb_errf(err, "invalid --uri '%s': expected ldap://HOST[:PORT] or ldaps://HOST[:PORT]",
                    uri ? uri : "");
        goto out;
    }
    ldaps = strcasecmp(u->lud_scheme, "ldaps") == 0;
    if ((!ldaps && strcasecmp(u->lud_scheme, "ldap") != 0) || u->lud_host == NULL ||
        u->lud_host[0] == '\0' || (u->lud_dn != NULL && u->lud_dn[0] != '\0') ||
        u->lud_attrs != NULL || u->lud_filter != NULL || u->lud_exts != NULL) {
        sk_pdb_errf(err,
                    "invalid --uri '%s': only ldap://HOST[:PORT] or ldaps://HOST[:PORT]"
                    " (the base DN is --base)",
                    uri);
        goto out;
    }
    /* The Global Catalog listens on 3268 (LDAP) / 3269 (LDAPS). */
    port = u->lud_port > 0 && sk_pdb_dir_has_port(uri) ? u->lud_port
           : gc                                        ? (ldaps ? 3269 : 3268)
                                                       : (ldaps ? 636 : 389);
    sk_buf_printf(out, "%s%s://%s%s%s:%d", out->len ? " " : "", ldaps ? "ldaps" : "ldap",
                  strchr(u->lud_host, ':') ? "[" : "", u->lud_host,
                  strchr(u->lud_host, ':') ? "]" : "", port);
    rc = 0;
out:
    if (u != NULL)
        ldap_free_urldesc(u);
    return rc;
}

/* A NetBIOS domain: 1..15 of A-Z a-z 0-9 - _ . (what NTLM sends before
 * the backslash). A realm: a DNS name, labels of letters, digits and '-'. */
static int sk_pdb_dir_domain_ok(const char *s, size_t n, int realm)
{
    size_t label = 0;

    if (n == 0 || n > (realm ? 253 : 15))
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (realm && c == '.') {
            if (label == 0)
                return 0;
            label = 0;
            continue;
        }
        if (!isalnum(c) && c != '-' && (realm || (c != '_' && c != '.')))
            return 0;
        if (++label > 63)
            return 0;
    }
    return !realm || label > 0;
}

/* Each of V (N items, each a comma list) checked and appended to OUT,
 * space-separated, upper case (NetBIOS) or lower case (realms). */
static int sk_pdb_dir_domains(const char *dir, const char *const *v, size_t n, int realm,
                              struct sk_buf *out, char **err)
{
    const char *opt = realm ? "--realm" : "--domain";
    size_t count = 0;

    for (size_t i = 0; i < n; i++) {
        for (const char *p = v[i] ? v[i] : ""; *p != '\0' || p == v[i];) {
            size_t k = strcspn(p, ",");
            if (!sk_pdb_dir_domain_ok(p, k, realm)) {
                sk_pdb_errf(err,
                            realm ? "directory %s: invalid %s '%.*s': a DNS name such as"
                                    " corp.example"
                                  : "directory %s: invalid %s '%.*s': a NetBIOS domain such as"
                                    " CORP (1 to 15 of A-Z a-z 0-9 - _ .)",
                            dir, opt, (int)k, p);
                return SK_PDB_REJECT;
            }
            if (++count > SK_PDB_DIR_MAX_DOMS) {
                sk_pdb_errf(err, "directory %s: at most %d %s", dir, SK_PDB_DIR_MAX_DOMS, opt);
                return SK_PDB_REJECT;
            }
            if (out->len > 0)
                sk_buf_puts(out, " ");
            for (size_t j = 0; j < k; j++)
                sk_buf_append(out,
                              &(char){(char)(realm ? tolower((unsigned char)p[j])
                                                   : toupper((unsigned char)p[j]))},
                              1);
            p += k;
            if (*p == ',')
                p++;
            if (*p == '\0')
                break;
        }
    }
    return out->failed ? sk_pdb_errf(err, "out of memory") : 0;
}

/* Validate SPEC; canonical URIs and attributes into URIS/ATTRS. */
static int sk_pdb_dir_canon(const struct sk_pdb_dir_spec *d, struct sk_buf *uris,
                            struct sk_buf *attrs, struct sk_buf *doms, struct sk_buf *realms,
                            char **err)
{
    if (!sk_pdb_dir_name_ok(d->name)) {
        sk_pdb_errf(err, "invalid directory name '%s': 1 to 64 of A-Z a-z 0-9 . _ -",
                    d->name ? d->name : "");
        return SK_PDB_REJECT;
    }
    if (d->nuris == 0 || d->nuris > SK_PDB_DIR_MAX_URIS) {
        sk_pdb_errf(err, "directory %s: give 1 to %d --uri", d->name, SK_PDB_DIR_MAX_URIS);
        return SK_PDB_REJECT;
    }
    for (size_t i = 0; i < d->nuris; i++)
        if (sk_pdb_dir_uri(d->uris[i], d->global_catalog, uris, err) != 0)
            return SK_PDB_REJECT;
    if (d->base == NULL || (d->base[0] == '\0' && !d->global_catalog) ||
        (d->base[0] != '\0' && !sk_pdb_dir_dn_ok(d->base))) {
        sk_pdb_errf(err, "directory %s: invalid --base '%s': a DN such as dc=corp,dc=example",
                    d->name, d->base ? d->base : "");
        return SK_PDB_REJECT;
    }
    if (d->bind_dn == NULL || d->bind_dn[0] == '\0' || !sk_pdb_dir_dn_ok(d->bind_dn)) {
        sk_pdb_errf(err, "directory %s: invalid --bind-dn '%s': a DN", d->name,
                    d->bind_dn ? d->bind_dn : "");
        return SK_PDB_REJECT;
    }
    if (d->password_file == NULL || d->password_file[0] != '/' ||
        !sk_pdb_dir_text_ok(d->password_file)) {
        sk_pdb_errf(err, "directory %s: --password-file must be an absolute path", d->name);
        return SK_PDB_REJECT;
    }
    if (d->check_file && sk_dir_password_check(d->password_file, err) == -1)
        return SK_PDB_REJECT;
    if (d->ngroup_attrs > SK_PDB_DIR_MAX_ATTRS) {
        sk_pdb_errf(err, "directory %s: at most %d --group-attr", d->name, SK_PDB_DIR_MAX_ATTRS);
        return SK_PDB_REJECT;
    }
    for (size_t i = 0; i < d->ngroup_attrs; i++) {
        if (!sk_pdb_dir_attr_ok(d->group_attrs[i])) {
            sk_pdb_errf(err, "directory %s: invalid --group-attr '%s'", d->name, d->group_attrs[i]);
            return SK_PDB_REJECT;
        }
        sk_buf_printf(attrs, "%s%s", attrs->len ? " " : "", d->group_attrs[i]);
    }
    if (d->ngroup_attrs == 0)
        sk_buf_puts(attrs, "member uniqueMember");
    if (sk_pdb_dir_domains(d->name, d->domains, d->ndomains, 0, doms, err) != 0 ||
        sk_pdb_dir_domains(d->name, d->realms, d->nrealms, 1, realms, err) != 0)
        return SK_PDB_REJECT;
    if (uris->failed || attrs->failed)
        return sk_pdb_errf(err, "out of memory");
    return 0;
}

int sk_pdb_directory_valid(const struct sk_pdb_dir_spec *d, char **err)
{
    struct sk_buf u = {0}, a = {0}, dm = {0}, r = {0};
    int rc = sk_pdb_dir_canon(d, &u, &a, &dm, &r, err);

    sk_buf_free(&u);
    sk_buf_free(&a);
    sk_buf_free(&dm);
    sk_buf_free(&r);
    return rc == 0 ? 0 : -1;
}

/* The domains (KIND 0) or realms (1) a directories row serves: the
 * stored set, else the one its base gives, as the snapshot resolves it. */
static void sk_pdb_dir_served(sqlite3_stmt *st, int kind, struct sk_buf *out)
{
    const char *v = (const char *)sqlite3_column_text(st, 2 + kind);
    struct sk_buf dd = {0}, dr = {0};

    if (v != NULL && v[0] != '\0') {
        sk_buf_puts(out, v);
        return;
    }
    sk_dir_base_domains((const char *)sqlite3_column_text(st, 1), &dd, &dr);
    sk_buf_puts(out, kind ? (dr.data ? dr.data : "") : (dd.data ? dd.data : ""));
    sk_buf_free(&dd);
    sk_buf_free(&dr);
}

/* The first word of space-separated A that is also in B (ASCII case
 * insensitive), copied into OUT; 0 when none. */
static int sk_pdb_dir_common(const char *a, const char *b, char *out, size_t size)
{
    for (const char *p = a; *p;) {
        size_t n = strcspn(p, " ");
        for (const char *q = b; n > 0 && *q;) {
            size_t m = strcspn(q, " ");
            if (m == n && strncasecmp(p, q, n) == 0) {
                snprintf(out, size, "%.*s", (int)n, p);
                return 1;
            }
            q += m + (q[m] == ' ');
        }
        p += n + (p[n] == ' ');
    }
    return 0;
}

/*
 * Refuse (SK_PDB_REJECT) when directory NAME, as now stored, serves a
 * NetBIOS domain or realm that another directory serves too: both would
 * be asked for DOMAIN\alice and their groups combined, so a second
 * directory (a test server, another forest) could hand corp users groups.
 * Run inside the write transaction after the change: a refusal rolls it
 * back. Effective sets are compared (a base's derived domain counts).
 */
static int sk_pdb_directory_overlap(struct sk_pdb *pdb, const char *name, char **err)
{
    static const char sql[] = "SELECT name, base, domains, realms FROM directories"
                              " ORDER BY name = ?1 DESC, name";
    struct sk_buf mine[2] = {{0}, {0}};
    sqlite3_stmt *st = NULL;
    char word[256];
    int rc = -1, rows = 0, step;

    if (sqlite3_prepare_v2(pdb->db, sql, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC) != SQLITE_OK) {
        sk_pdb_sqlerr(pdb, err, "cannot read the directories");
        goto out;
    }
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *other = (const char *)sqlite3_column_text(st, 0);
        if (rows++ == 0) { /* NAME's own row comes first */
            sk_pdb_dir_served(st, 0, &mine[0]);
            sk_pdb_dir_served(st, 1, &mine[1]);
            continue;
        }
        for (int kind = 0; kind < 2; kind++) {
            struct sk_buf theirs = {0};
            int clash;
            sk_pdb_dir_served(st, kind, &theirs);
            clash = sk_pdb_dir_common(mine[kind].data ? mine[kind].data : "",
                                      theirs.data ? theirs.data : "", word, sizeof(word));
            sk_buf_free(&theirs);
            if (clash) {
                sk_pdb_errf(err,
                            "directory %s: %s %s is served by directory '%s' already (both"
                            " would be asked and their groups combined); give %s its own"
                            " --domain/--realm, or change '%s' first",
                            name, kind ? "realm" : "domain", word, other, name, other);
                rc = SK_PDB_REJECT;
                goto out;
            }
        }
    }
    if (step != SQLITE_DONE || mine[0].failed || mine[1].failed) {
        sk_pdb_sqlerr(pdb, err, "cannot read the directories");
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    sk_buf_free(&mine[0]);
    sk_buf_free(&mine[1]);
    return rc;
}

int sk_pdb_directory_add(struct sk_pdb *pdb, const struct sk_pdb_dir_spec *d, char **err)
{
    static const char sql[] = "INSERT INTO directories(name, uris, base, bind_dn, password_file,"
                              " global_catalog, group_attrs, domains, realms)"
                              " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
    struct sk_buf u = {0}, a = {0}, dm = {0}, r = {0};
    sqlite3_stmt *st = NULL;
    int rc;

    if ((rc = sk_pdb_dir_canon(d, &u, &a, &dm, &r, err)) != 0)
        goto out;
    rc = -1;
    if (sqlite3_prepare_v2(pdb->db, sql, -1, &st, NULL) != SQLITE_OK) {
        sk_pdb_sqlerr(pdb, err, "cannot add the directory");
        goto out;
    }
    sqlite3_bind_text(st, 1, d->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, u.data, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, d->base, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, d->bind_dn, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, d->password_file, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 6, d->global_catalog ? 1 : 0);
    sqlite3_bind_text(st, 7, a.data, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, dm.data ? dm.data : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, r.data ? r.data : "", -1, SQLITE_STATIC);
    switch (sqlite3_step(st)) {
    case SQLITE_DONE:
        rc = sk_pdb_directory_overlap(pdb, d->name, err);
        break;
    case SQLITE_CONSTRAINT:
        sk_pdb_errf(err, "directory '%s' exists already (remove it first: directory rm %s)",
                    d->name, d->name);
        rc = SK_PDB_REJECT;
        break;
    default:
        sk_pdb_sqlerr(pdb, err, "cannot add the directory");
    }
out:
    sqlite3_finalize(st);
    sk_buf_free(&u);
    sk_buf_free(&a);
    sk_buf_free(&dm);
    sk_buf_free(&r);
    return rc;
}

int sk_pdb_directory_set_domains(struct sk_pdb *pdb, const struct sk_pdb_dir_spec *d, char **err)
{
    static const char sql[] = "UPDATE directories SET"
                              " domains = CASE WHEN ?2 THEN ?3 ELSE domains END,"
                              " realms = CASE WHEN ?4 THEN ?5 ELSE realms END WHERE name = ?1";
    struct sk_buf dm = {0}, r = {0};
    sqlite3_stmt *st = NULL;
    int rc;

    if ((rc = sk_pdb_dir_domains(d->name, d->domains, d->ndomains, 0, &dm, err)) != 0 ||
        (rc = sk_pdb_dir_domains(d->name, d->realms, d->nrealms, 1, &r, err)) != 0)
        goto out;
    rc = -1;
    if (sqlite3_prepare_v2(pdb->db, sql, -1, &st, NULL) != SQLITE_OK) {
        sk_pdb_sqlerr(pdb, err, "cannot change the directory");
        goto out;
    }
    sqlite3_bind_text(st, 1, d->name, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, d->ndomains > 0);
    sqlite3_bind_text(st, 3, dm.data ? dm.data : "", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, d->nrealms > 0);
    sqlite3_bind_text(st, 5, r.data ? r.data : "", -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) {
        sk_pdb_sqlerr(pdb, err, "cannot change the directory");
        goto out;
    }
    if (sqlite3_changes(pdb->db) == 0) {
        sk_pdb_errf(err, "no directory '%s' (see: sekisho-policy directory list)", d->name);
        rc = SK_PDB_REJECT;
        goto out;
    }
    rc = sk_pdb_directory_overlap(pdb, d->name, err);
out:
    sqlite3_finalize(st);
    sk_buf_free(&dm);
    sk_buf_free(&r);
    return rc;
}

int sk_pdb_directory_rm(struct sk_pdb *pdb, const char *name, char **err)
{
    sqlite3_stmt *st = NULL;
    int rc = -1;

    if (sqlite3_prepare_v2(pdb->db, "DELETE FROM directories WHERE name = ?1", -1, &st, NULL) !=
            SQLITE_OK ||
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_DONE) {
        sk_pdb_sqlerr(pdb, err, "cannot remove the directory");
        goto out;
    }
    rc = sqlite3_changes(pdb->db) > 0;
out:
    sqlite3_finalize(st);
    return rc;
}

/* pdb_schema.c - schema v1..v6 and the migrations keyed on PRAGMA user_version.
 * Trust: runs only in the CLI (the one writer) on an administrator's file. */
#include <stdio.h>
#include <string.h>

#include "pdb_internal.h"

/*
 * Schema v1. Enumerations are CHECK constraints so a hand-edited database
 * cannot hold a value the server would have to guess about. The default
 * policy is pinned by CHECK (priority) and triggers (no delete, no rename,
 * no disable, no scope): it is the one policy that always matches.
 * Policies are tried in ascending priority; default is 1000000, the last.
 */
static const char sk_pdb_schema_v1[] =
    "CREATE TABLE meta (\n"
    "  key   TEXT PRIMARY KEY,\n"
    "  value NOT NULL\n"
    ");\n"
    "INSERT INTO meta(key, value) VALUES ('generation', 0);\n"

    "CREATE TABLE policies (\n"
    "  id       INTEGER PRIMARY KEY,\n"
    "  name     TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 64),\n"
    "  priority INTEGER NOT NULL UNIQUE CHECK (CASE WHEN name = 'default'\n"
    "             THEN priority = 1000000 ELSE priority BETWEEN 0 AND 999999 END),\n"
    "  enabled  INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),\n"
    "  comment  TEXT NOT NULL DEFAULT ''\n"
    ");\n"
    "INSERT INTO policies(name, priority, comment) VALUES ('default', 1000000,\n"
    "  'applies to every client that no other policy matches');\n"
    "CREATE TRIGGER policies_default_no_delete BEFORE DELETE ON policies\n"
    "  WHEN OLD.name = 'default'\n"
    "  BEGIN SELECT RAISE(ABORT, 'the default policy cannot be deleted'); END;\n"
    "CREATE TRIGGER policies_default_fixed BEFORE UPDATE ON policies\n"
    "  WHEN OLD.name = 'default' AND (NEW.name IS NOT 'default' OR NEW.enabled IS NOT 1)\n"
    "  BEGIN SELECT RAISE(ABORT, 'the default policy cannot be renamed or disabled'); END;\n"

    "CREATE TABLE policy_scopes (\n"
    "  id        INTEGER PRIMARY KEY,\n"
    "  policy_id INTEGER NOT NULL REFERENCES policies(id) ON DELETE CASCADE,\n"
    "  kind      TEXT NOT NULL CHECK (kind IN ('client-ip', 'user', 'group')),\n"
    "  value     TEXT NOT NULL CHECK (length(value) > 0),\n"
    "  UNIQUE (policy_id, kind, value)\n"
    ");\n"
    "CREATE TRIGGER policy_scopes_not_default BEFORE INSERT ON policy_scopes\n"
    "  WHEN (SELECT name FROM policies WHERE id = NEW.policy_id) = 'default'\n"
    "  BEGIN SELECT RAISE(ABORT, 'the default policy applies to everyone and has no scope');"
    " END;\n"

    "CREATE TABLE settings (\n"
    "  id        INTEGER PRIMARY KEY,\n"
    "  policy_id INTEGER NOT NULL REFERENCES policies(id) ON DELETE CASCADE,\n"
    "  key       TEXT NOT NULL CHECK (length(key) > 0),\n"
    "  value     TEXT NOT NULL,\n"
    "  UNIQUE (policy_id, key)\n"
    ");\n"

    "CREATE TABLE url_rules (\n"
    "  id        INTEGER PRIMARY KEY,\n"
    "  policy_id INTEGER NOT NULL REFERENCES policies(id) ON DELETE CASCADE,\n"
    "  list      TEXT NOT NULL CHECK (list IN ('block', 'allow', 'approved')),\n"
    "  match     TEXT NOT NULL\n"
    "            CHECK (match IN ('exact', 'prefix', 'substring', 'domain', 'regex')),\n"
    "  pattern   TEXT NOT NULL CHECK (length(pattern) > 0),\n"
    "  comment   TEXT NOT NULL DEFAULT '',\n"
    "  UNIQUE (policy_id, list, match, pattern)\n"
    ");\n"

    "CREATE TABLE categories (\n"
    "  id      INTEGER PRIMARY KEY,\n"
    "  name    TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 64),\n"
    "  source  TEXT NOT NULL DEFAULT '',\n"
    "  comment TEXT NOT NULL DEFAULT ''\n"
    ");\n"
    "CREATE TABLE category_entries (\n"
    "  category_id INTEGER NOT NULL REFERENCES categories(id) ON DELETE CASCADE,\n"
    "  kind        TEXT NOT NULL CHECK (kind IN ('domain', 'url', 'expression')),\n"
    "  value       TEXT NOT NULL CHECK (length(value) > 0),\n"
    "  PRIMARY KEY (category_id, kind, value)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE policy_categories (\n"
    "  policy_id   INTEGER NOT NULL REFERENCES policies(id) ON DELETE CASCADE,\n"
    "  category_id INTEGER NOT NULL REFERENCES categories(id) ON DELETE CASCADE,\n"
    "  PRIMARY KEY (policy_id, category_id)\n"
    ") WITHOUT ROWID;\n"
    "CREATE INDEX policy_categories_category ON policy_categories(category_id);\n"

    "CREATE TABLE dlp_templates (\n"
    "  id        INTEGER PRIMARY KEY,\n"
    "  policy_id INTEGER NOT NULL REFERENCES policies(id) ON DELETE CASCADE,\n"
    "  name      TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64),\n"
    "  detectors TEXT NOT NULL CHECK (length(detectors) > 0),\n"
    "  min_count INTEGER NOT NULL DEFAULT 1 CHECK (min_count >= 1),\n"
    "  action    TEXT NOT NULL DEFAULT 'block' CHECK (action IN ('block', 'log')),\n"
    "  UNIQUE (policy_id, name)\n"
    ");\n"

    "CREATE TABLE history (\n"
    "  generation INTEGER PRIMARY KEY CHECK (generation >= 1),\n"
    "  at         TEXT NOT NULL,\n"
    "  actor      TEXT NOT NULL,\n"
    "  command    TEXT NOT NULL\n"
    ");\n";

/*
 * Schema v2: rollback. snapshots holds, per generation, the export document
 * of the policy state after that generation's write, with each category
 * given as a reference to a category_versions row instead of its entries
 * (a 1M-line list is stored once per import, not once per generation).
 * category_current says which version a category's live entries are.
 * Versions no snapshot and no category refer to are deleted when
 * snapshots are pruned (SK_PDB_SNAPSHOT_KEEP newest generations kept).
 */
static const char sk_pdb_schema_v2[] =
    "CREATE TABLE category_versions (\n"
    "  id      INTEGER PRIMARY KEY,\n"
    "  name    TEXT NOT NULL,\n"
    "  entries INTEGER NOT NULL CHECK (entries >= 0),\n"
    "  size    INTEGER NOT NULL CHECK (size >= 0),\n"
    "  data    BLOB NOT NULL\n"
    ");\n"
    "CREATE TABLE category_current (\n"
    "  category_id INTEGER PRIMARY KEY REFERENCES categories(id) ON DELETE CASCADE,\n"
    "  version_id  INTEGER NOT NULL REFERENCES category_versions(id)\n"
    ");\n"
    "CREATE INDEX category_current_version ON category_current(version_id);\n"
    "CREATE TABLE snapshots (\n"
    "  generation INTEGER PRIMARY KEY CHECK (generation >= 1),\n"
    "  document   TEXT NOT NULL\n"
    ");\n"
    "CREATE TABLE snapshot_categories (\n"
    "  generation INTEGER NOT NULL REFERENCES snapshots(generation) ON DELETE CASCADE,\n"
    "  version_id INTEGER NOT NULL REFERENCES category_versions(id),\n"
    "  PRIMARY KEY (generation, version_id)\n"
    ") WITHOUT ROWID;\n"
    "CREATE INDEX snapshot_categories_version ON snapshot_categories(version_id);\n";

/*
 * Schema v3: destination networks. url_rules.match also takes 'cidr'.
 * SQLite cannot change a CHECK in place, so the table is rebuilt: copy
 * every row (ids kept: history, rollback documents and the server's rule
 * ids in logs stay valid), drop, rename. Nothing references url_rules by
 * foreign key, so the drop cascades nowhere.
 */
static const char sk_pdb_schema_v3[] =
    "CREATE TABLE url_rules_v3 (\n"
    "  id        INTEGER PRIMARY KEY,\n"
    "  policy_id INTEGER NOT NULL REFERENCES policies(id) ON DELETE CASCADE,\n"
    "  list      TEXT NOT NULL CHECK (list IN ('block', 'allow', 'approved')),\n"
    "  match     TEXT NOT NULL CHECK (match IN ('exact', 'prefix', 'substring',\n"
    "                                           'domain', 'regex', 'cidr')),\n"
    "  pattern   TEXT NOT NULL CHECK (length(pattern) > 0),\n"
    "  comment   TEXT NOT NULL DEFAULT '',\n"
    "  UNIQUE (policy_id, list, match, pattern)\n"
    ");\n"
    "INSERT INTO url_rules_v3(id, policy_id, list, match, pattern, comment)\n"
    "  SELECT id, policy_id, list, match, pattern, comment FROM url_rules;\n"
    "DROP TABLE url_rules;\n"
    "ALTER TABLE url_rules_v3 RENAME TO url_rules;\n";

/*
 * Schema v4: schedules (issue 14). A schedule is days and time ranges in
 * a zone, stored in canonical text (sched_spec.c) and validated again by
 * every reader. Rules, category blocks and DLP templates get one nullable
 * column when_sched: "NAME" (applies inside the schedule) or "!NAME"
 * (outside it); NULL = always. ADD COLUMN keeps every row and id in place.
 * It is text, not a foreign key, so the export/import/rollback documents
 * carry it as written; the triggers refuse a when_sched naming no
 * schedule. No trigger on schedules refers to the other tables: a later
 * migration that rebuilds url_rules (DROP + RENAME, as v3) would fail on
 * it. `schedule rm` checks the users itself and names them, and a
 * snapshot refuses a rule whose schedule is gone (the server keeps its
 * last good policy).
 */
static const char sk_pdb_schema_v4[] =
    "CREATE TABLE schedules (\n"
    "  id    INTEGER PRIMARY KEY,\n"
    "  name  TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 64\n"
    "          AND substr(name, 1, 1) <> '!'),\n"
    "  days  TEXT NOT NULL CHECK (length(days) > 0),\n"
    "  times TEXT NOT NULL DEFAULT '',\n"
    "  tz    TEXT NOT NULL DEFAULT ''\n"
    ");\n"
    "ALTER TABLE url_rules ADD COLUMN when_sched TEXT;\n"
    "ALTER TABLE policy_categories ADD COLUMN when_sched TEXT;\n"
    "ALTER TABLE dlp_templates ADD COLUMN when_sched TEXT;\n"
    "CREATE TRIGGER schedules_fixed_name BEFORE UPDATE OF name ON schedules\n"
    "  BEGIN SELECT RAISE(ABORT, 'a schedule cannot be renamed'); END;\n"
    "CREATE TRIGGER url_rules_when BEFORE UPDATE OF when_sched ON url_rules\n"
    "  WHEN NEW.when_sched IS NOT NULL AND NOT EXISTS (SELECT 1 FROM schedules\n"
    "    WHERE name = ltrim(NEW.when_sched, '!'))\n"
    "  BEGIN SELECT RAISE(ABORT, 'no such schedule'); END;\n"
    "CREATE TRIGGER policy_categories_when BEFORE UPDATE OF when_sched ON policy_categories\n"
    "  WHEN NEW.when_sched IS NOT NULL AND NOT EXISTS (SELECT 1 FROM schedules\n"
    "    WHERE name = ltrim(NEW.when_sched, '!'))\n"
    "  BEGIN SELECT RAISE(ABORT, 'no such schedule'); END;\n"
    "CREATE TRIGGER dlp_templates_when BEFORE UPDATE OF when_sched ON dlp_templates\n"
    "  WHEN NEW.when_sched IS NOT NULL AND NOT EXISTS (SELECT 1 FROM schedules\n"
    "    WHERE name = ltrim(NEW.when_sched, '!'))\n"
    "  BEGIN SELECT RAISE(ABORT, 'no such schedule'); END;\n";

/*
 * Schema v5: directories (issue 14 item 3). LDAP servers whose groups are
 * added to X-Authenticated-Groups. uris: space-separated, tried in order
 * (failover); group_attrs: space-separated member attributes. The
 * password is never stored: password_file names a file (mode 0600/0400)
 * on this node that holds it.
 */
static const char sk_pdb_schema_v5[] =
    "CREATE TABLE directories (\n"
    "  id             INTEGER PRIMARY KEY,\n"
    "  name           TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 64),\n"
    "  uris           TEXT NOT NULL CHECK (length(uris) > 0),\n"
    "  base           TEXT NOT NULL,\n"
    "  bind_dn        TEXT NOT NULL,\n"
    "  password_file  TEXT NOT NULL CHECK (substr(password_file, 1, 1) = '/'),\n"
    "  global_catalog INTEGER NOT NULL DEFAULT 0 CHECK (global_catalog IN (0, 1)),\n"
    "  group_attrs    TEXT NOT NULL CHECK (length(group_attrs) > 0)\n"
    ");\n";

/*
 * Schema v6: the domains a directory serves (red team 6a, DIR-DOMAIN).
 * domains: NetBIOS names, upper case; realms: UPN suffixes / Kerberos
 * realms, lower case; both space-separated, '' = derived from the base DN
 * when the snapshot is built (so a v5 directory keeps serving its own
 * domain, and its export and content hash do not change).
 */
static const char sk_pdb_schema_v6[] =
    "ALTER TABLE directories ADD COLUMN domains TEXT NOT NULL DEFAULT '';\n"
    "ALTER TABLE directories ADD COLUMN realms TEXT NOT NULL DEFAULT '';\n";

/* Index i holds the step that takes user_version from i to i + 1. */
static const char *const sk_pdb_migrations[SK_PDB_SCHEMA_VERSION] = {
    sk_pdb_schema_v1, sk_pdb_schema_v2, sk_pdb_schema_v3,
    sk_pdb_schema_v4, sk_pdb_schema_v5, sk_pdb_schema_v6,
};

const char *sk_pdb_migration_sql(int version)
{
    if (version < 1 || version > SK_PDB_SCHEMA_VERSION)
        return NULL;
    return sk_pdb_migrations[version - 1];
}

/*
 * Inside the migration transaction: is this file ours to migrate, and from
 * which version? Sets *from; -1 with *err for a foreign or newer database.
 */
static int sk_pdb_migration_start(struct sk_pdb *pdb, int *from, char **err)
{
    int64_t appid, version, tables;

    if (sk_pdb_query_int(pdb, "PRAGMA application_id", &appid, err) == -1 ||
        sk_pdb_query_int(pdb, "PRAGMA user_version", &version, err) == -1 ||
        sk_pdb_query_int(pdb, "SELECT count(*) FROM sqlite_schema", &tables, err) == -1)
        return -1;
    if (appid != 0 && appid != SK_PDB_APPLICATION_ID)
        return sk_pdb_errf(err,
                           "policy database %s: not a Sekisho policy database "
                           "(an SQLite database of another application)",
                           pdb->path);
    if (appid == 0 && tables > 0)
        return sk_pdb_errf(err,
                           "policy database %s: not a Sekisho policy database "
                           "(it already holds other tables; refusing to touch it)",
                           pdb->path);
    if (version > SK_PDB_SCHEMA_VERSION)
        return sk_pdb_errf(err,
                           "policy database %s: schema version %lld is newer than "
                           "this build understands (%d); upgrade Sekisho",
                           pdb->path, (long long)version, SK_PDB_SCHEMA_VERSION);
    if (version < 0)
        return sk_pdb_errf(err, "policy database %s: invalid schema version %lld", pdb->path,
                           (long long)version);
    *from = (int)version;
    return 0;
}

/* One migration step: schema SQL and version stamp (the caller commits). */
static int sk_pdb_migrate_step(struct sk_pdb *pdb, int to, char **err)
{
    char stamp[96];

    if (sk_pdb_exec(pdb, sk_pdb_migration_sql(to), err) == -1)
        return -1;
    snprintf(stamp, sizeof(stamp), "PRAGMA user_version = %d; PRAGMA application_id = %d;", to,
             SK_PDB_APPLICATION_ID);
    return sk_pdb_exec(pdb, stamp, err);
}

/* WAL lets the server read while the CLI writes. The mode is persistent
 * and cannot change inside a transaction. */
static int sk_pdb_wal(struct sk_pdb *pdb, char **err)
{
    sqlite3_stmt *st = NULL;
    const char *mode;
    int rc = -1;

    if (sqlite3_prepare_v2(pdb->db, "PRAGMA journal_mode = WAL", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        sk_pdb_sqlerr(pdb, err, "cannot switch to WAL mode");
        goto out;
    }
    mode = (const char *)sqlite3_column_text(st, 0);
    if (mode == NULL || strcmp(mode, "wal") != 0) {
        sk_pdb_errf(err,
                    "policy database %s: WAL mode not available (journal mode %s); "
                    "is it on a network file system?",
                    pdb->path, mode ? mode : "unknown");
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    return rc;
}

int sk_pdb_init_cmd(struct sk_pdb *pdb, const char *actor, const char *command, char **err)
{
    int from = 0;
    int64_t gen;

    if (!(pdb->flags & SK_PDB_RW))
        return sk_pdb_errf(err, "policy database %s: opened read-only, cannot initialise",
                           pdb->path);
    /* Refuse foreign files before switching their journal mode. */
    if (sk_pdb_migration_start(pdb, &from, err) == -1)
        return -1;
    if (from == SK_PDB_SCHEMA_VERSION)
        return 0;
    if (sk_pdb_wal(pdb, err) == -1)
        return -1;

    for (;;) {
        int to;

        if (sk_pdb_write_begin(pdb, err) == -1)
            return -1;
        /* Re-read under the write lock: another CLI may have migrated. */
        if (sk_pdb_migration_start(pdb, &from, err) == -1)
            goto fail;
        if (from == SK_PDB_SCHEMA_VERSION) {
            sk_pdb_write_rollback(pdb);
            return 0;
        }
        /* A fresh file gets every step in one transaction (generation 1);
         * an existing one one generation per step. */
        to = from == 0 ? SK_PDB_SCHEMA_VERSION : from + 1;
        for (int v = from + 1; v <= to; v++)
            if (sk_pdb_migrate_step(pdb, v, err) == -1)
                goto fail;
        if (to >= 2 && sk_pdb_snapshot_save(pdb, sk_pdb_generation(pdb) + 1, err) == -1)
            goto fail;
        if (from > 0) {
            char cmd[256];
            snprintf(cmd, sizeof(cmd), "%s (migrate schema to version %d)", command, to);
            gen = sk_pdb_write_commit(pdb, actor, cmd, err);
        } else {
            gen = sk_pdb_write_commit(pdb, actor, command, err);
        }
        if (gen == -1)
            return -1;
    }
fail:
    sk_pdb_write_rollback(pdb);
    return -1;
}

int sk_pdb_init(struct sk_pdb *pdb, const char *actor, char **err)
{
    return sk_pdb_init_cmd(pdb, actor, "init", err);
}

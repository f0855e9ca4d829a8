/* pdb_schedule.c - schedule writes (add/replace, rm) and the --when of URL
 * rules, category blocks and DLP templates. Trust: administrator input,
 * validated with the same parsers the snapshot uses (sched_spec.c,
 * sched_tz.c) before it is stored. */
#include <stdlib.h>
#include <string.h>

#include "pdb_store.h"
#include "sched_internal.h"

int sk_pdb_schedule_canon(const char *days, const char *const *times, size_t ntimes, const char *tz,
                          char **days_out, char **times_out, char **err)
{
    struct sk_sched_spec sp = {0};
    char dbuf[64], tbuf[SK_SCHED_MAX_RANGES * 12 + 1];
    struct sk_tz z;

    *days_out = *times_out = NULL;
    if (days == NULL && ntimes == 0)
        return sk_pdb_errf(err, "give --days DAYS and/or --time HH:MM-HH:MM");
    if (sk_sched_days_parse(days ? days : "all", &sp.days, err) == -1)
        return -1;
    for (size_t i = 0; i < ntimes; i++) {
        struct sk_sched_range r;
        if (sk_sched_range_parse(times[i], &r, err) == -1 || sk_sched_spec_add(&sp, r, err) == -1)
            return -1;
    }
    if (tz != NULL && *tz) {
        /* the zone must load here, as the server will load it */
        if (!sk_tz_name_ok(tz) && strcmp(tz, "UTC") != 0)
            return sk_pdb_errf(err, "invalid time zone '%s' (e.g. Asia/Tokyo, UTC)", tz);
        if (sk_tz_load(tz, &z, err) == -1)
            return -1;
        sk_tz_free(&z);
    }
    sk_sched_days_format(sp.days, dbuf, sizeof(dbuf));
    sk_sched_times_format(&sp, tbuf, sizeof(tbuf));
    if ((*days_out = strdup(dbuf)) == NULL || (*times_out = strdup(tbuf)) == NULL) {
        free(*days_out);
        *days_out = NULL;
        return sk_pdb_errf(err, "out of memory");
    }
    return 0;
}

int64_t sk_pdb_schedule_add(struct sk_pdb *pdb, const char *name, const char *days,
                            const char *const *times, size_t ntimes, const char *tz, char **err)
{
    sqlite3_stmt *st = NULL;
    char *d = NULL, *t = NULL;
    int64_t rc = SK_PDB_REJECT;

    if (sk_sched_name_valid(name, err) == -1 ||
        sk_pdb_schedule_canon(days, times, ntimes, tz, &d, &t, err) == -1)
        return SK_PDB_REJECT;
    /* add, or replace the days/times/zone of an existing schedule: rules
     * keep referring to it by name */
    if (sqlite3_prepare_v2(pdb->db,
                           "INSERT INTO schedules(name, days, times, tz) VALUES (?1, ?2, ?3, ?4)"
                           " ON CONFLICT(name) DO UPDATE SET days = excluded.days,"
                           " times = excluded.times, tz = excluded.tz",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(st, 2, d, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(st, 3, t, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(st, 4, tz ? tz : "", -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_DONE) {
        rc = sk_pdb_sqlerr(pdb, err, "cannot add the schedule");
        goto out;
    }
    rc = 1;
out:
    sqlite3_finalize(st);
    free(d);
    free(t);
    return rc;
}

/* Every row that refers to schedule NAME, as one line for the message. */
static int sk_pdb_schedule_users(struct sk_pdb *pdb, const char *name, struct sk_buf *b, char **err)
{
    static const char sql[] =
        "SELECT 'URL rule ' || r.id || ' (' || r.list || ' ' || r.match || ' ' || r.pattern"
        "  || ', policy ' || p.name || ')' FROM url_rules r JOIN policies p ON p.id = r.policy_id"
        "  WHERE ltrim(r.when_sched, '!') = ?1"
        " UNION ALL SELECT 'category block ' || c.name || ' in policy ' || p.name"
        "  FROM policy_categories pc JOIN categories c ON c.id = pc.category_id"
        "  JOIN policies p ON p.id = pc.policy_id WHERE ltrim(pc.when_sched, '!') = ?1"
        " UNION ALL SELECT 'DLP template ' || t.name || ' in policy ' || p.name"
        "  FROM dlp_templates t JOIN policies p ON p.id = t.policy_id"
        "  WHERE ltrim(t.when_sched, '!') = ?1";
    sqlite3_stmt *st = NULL;
    int rc = -1, step, n = 0;

    if (sqlite3_prepare_v2(pdb->db, sql, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC) != SQLITE_OK) {
        sk_pdb_sqlerr(pdb, err, "cannot read schedule users");
        goto out;
    }
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        /* client-controlled? no: rule patterns are administrator input,
         * but they go to a terminal, so controls were refused at add */
        sk_buf_printf(b, "%s%s", n++ ? "; " : "", (const char *)sqlite3_column_text(st, 0));
    }
    if (step != SQLITE_DONE) {
        sk_pdb_sqlerr(pdb, err, "cannot read schedule users");
        goto out;
    }
    rc = n;
out:
    sqlite3_finalize(st);
    return rc;
}

int sk_pdb_schedule_rm(struct sk_pdb *pdb, const char *name, char **err)
{
    struct sk_buf b = {0};
    sqlite3_stmt *st = NULL;
    int rc = -1, n;

    if ((n = sk_pdb_schedule_users(pdb, name, &b, err)) == -1)
        goto out;
    if (n > 0) {
        sk_pdb_errf(err,
                    "schedule '%s' is still used by: %s (remove those or give them another"
                    " --when first)",
                    name, b.data ? b.data : "?");
        rc = SK_PDB_REJECT;
        goto out;
    }
    if (sqlite3_prepare_v2(pdb->db, "DELETE FROM schedules WHERE name = ?1", -1, &st, NULL) !=
            SQLITE_OK ||
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_DONE) {
        sk_pdb_sqlerr(pdb, err, "cannot remove the schedule");
        goto out;
    }
    if (sqlite3_changes(pdb->db) == 0) {
        sk_pdb_errf(err, "no schedule '%s' (see: sekisho-policy schedule list)", name);
        rc = SK_PDB_REJECT;
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    free(b.data);
    return rc;
}

int sk_pdb_when_check(struct sk_pdb *pdb, const char *when, char **err)
{
    const char *name = when && *when == '!' ? when + 1 : when;
    sqlite3_stmt *st = NULL;
    int rc;

    if (sk_sched_name_valid(name, NULL) == -1) {
        sk_pdb_errf(err, "invalid --when '%s': give a schedule NAME or '!NAME' (outside it)",
                    when ? when : "");
        return SK_PDB_REJECT;
    }
    if (sqlite3_prepare_v2(pdb->db, "SELECT 1 FROM schedules WHERE name = ?1", -1, &st, NULL) !=
            SQLITE_OK ||
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC) != SQLITE_OK)
        return sk_pdb_sqlerr(pdb, err, "cannot read schedules");
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) {
        sk_pdb_errf(err,
                    "no schedule '%s' (add it first: sekisho-policy schedule add %s --days ...)",
                    name, name);
        return SK_PDB_REJECT;
    }
    return rc == SQLITE_ROW ? 0 : sk_pdb_sqlerr(pdb, err, "cannot read schedules");
}

/* UPDATE ... SET when_sched = ?1 with the row key bound from ?2 on. */
static int sk_pdb_when_update(struct sk_pdb *pdb, const char *sql, const char *when, int64_t pid,
                              const char *t1, const char *t2, const char *t3, char **err)
{
    sqlite3_stmt *st = NULL;
    int rc;

    if (when != NULL && (rc = sk_pdb_when_check(pdb, when, err)) != 0)
        return rc;
    if (sqlite3_prepare_v2(pdb->db, sql, -1, &st, NULL) != SQLITE_OK ||
        (when ? sqlite3_bind_text(st, 1, when, -1, SQLITE_STATIC) : sqlite3_bind_null(st, 1)) !=
            SQLITE_OK ||
        sqlite3_bind_int64(st, 2, pid) != SQLITE_OK ||
        (t1 && sqlite3_bind_text(st, 3, t1, -1, SQLITE_STATIC) != SQLITE_OK) ||
        (t2 && sqlite3_bind_text(st, 4, t2, -1, SQLITE_STATIC) != SQLITE_OK) ||
        (t3 && sqlite3_bind_text(st, 5, t3, -1, SQLITE_STATIC) != SQLITE_OK) ||
        sqlite3_step(st) != SQLITE_DONE) {
        sqlite3_finalize(st);
        return sk_pdb_sqlerr(pdb, err, "cannot set --when");
    }
    sqlite3_finalize(st);
    return sqlite3_changes(pdb->db);
}

int sk_pdb_url_when(struct sk_pdb *pdb, const char *policy, const char *list, const char *match,
                    const char *pattern, const char *when, char **err)
{
    char *canon = NULL;
    int64_t pid;
    int rc;

    if (sk_pdb_url_canon(list, match, pattern, &canon, err) == -1)
        return SK_PDB_REJECT;
    if ((pid = sk_pdb_policy_ref(pdb, policy, err)) < 0) {
        free(canon);
        return (int)pid;
    }
    rc = sk_pdb_when_update(pdb,
                            "UPDATE url_rules SET when_sched = ?1 WHERE policy_id = ?2"
                            " AND list = ?3 AND match = ?4 AND pattern = ?5",
                            when, pid, list, match, canon, err);
    free(canon);
    return rc;
}

int sk_pdb_category_when(struct sk_pdb *pdb, const char *policy, const char *name, const char *when,
                         char **err)
{
    int64_t pid;

    if ((pid = sk_pdb_policy_ref(pdb, policy, err)) < 0)
        return (int)pid;
    return sk_pdb_when_update(pdb,
                              "UPDATE policy_categories SET when_sched = ?1 WHERE policy_id = ?2"
                              " AND category_id = (SELECT id FROM categories WHERE name = ?3)",
                              when, pid, name, NULL, NULL, err);
}

int sk_pdb_dlp_when(struct sk_pdb *pdb, const char *policy, const char *name, const char *when,
                    char **err)
{
    int64_t pid;

    if ((pid = sk_pdb_policy_ref(pdb, policy, err)) < 0)
        return (int)pid;
    return sk_pdb_when_update(pdb,
                              "UPDATE dlp_templates SET when_sched = ?1 WHERE policy_id = ?2"
                              " AND name = ?3",
                              when, pid, name, NULL, NULL, err);
}

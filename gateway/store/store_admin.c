/*
 * store_admin.c - what coordinators read and do: the line's live
 * conversations and open alerts, today's counts, the audit of their actions
 * (also the engine's queue of actions to carry out), and the blocklist.
 */
#include "store_priv.h"

#include <stdlib.h>
#include <string.h>

#define AUDIT_COLS "id, created_at, coordinator, action, target, arg, state, result, done_at"

const char *const store_sql_admin[ST_COUNT] = {
    /* Changes when another handle has committed since this one last asked. */
    [ST_CONV_LIVE] = "SELECT " CONV_COLS " FROM conversations WHERE state <> 'closed'"
                     " ORDER BY urgent DESC, COALESCE(queued_at, created_at), id",
    [ST_ALERT_OPEN_LIST] = "SELECT conversation_id, kind, created_at FROM alerts"
                           " WHERE acked_at IS NULL ORDER BY created_at, id",
    /*
     * Contacts since a moment: conversations, less the closed records kept
     * only to name a crisis alert about a number that opted out or is blocked.
     */
    [ST_COUNTS] = "SELECT COUNT(*), COUNT(matched_at),"
                  " COALESCE(SUM(CASE WHEN state = 'closed' AND matched_at IS NULL"
                  " AND queued_at IS NOT NULL THEN 1 ELSE 0 END), 0),"
                  " COALESCE(SUM(CASE WHEN state IN ('queued','offered') THEN 1 ELSE 0 END), 0),"
                  " (SELECT COUNT(*) FROM alerts WHERE kind = 'crisis' AND created_at >= ?1)"
                  " FROM conversations WHERE created_at >= ?1"
                  " AND COALESCE(close_reason, '') NOT LIKE 'crisis-%'",
    [ST_AUDIT_ADD] = "INSERT INTO audit (created_at, coordinator, action, target, arg, state)"
                     " VALUES (?1, ?2, ?3, ?4, ?5, 'pending') RETURNING id",
    [ST_AUDIT_NEXT] =
        "SELECT " AUDIT_COLS " FROM audit WHERE state = 'pending' ORDER BY id LIMIT 1",
    [ST_AUDIT_DONE] = "UPDATE audit SET state = ?2, result = ?3, done_at = ?4"
                      " WHERE id = ?1 AND state = 'pending'",
    [ST_AUDIT_GET] = "SELECT " AUDIT_COLS " FROM audit WHERE id = ?1",
    [ST_AUDIT_RECENT] = "SELECT " AUDIT_COLS " FROM audit ORDER BY id DESC LIMIT ?1",
    /* Done as it is written (a read the admin API made itself): never in the engine's queue. */
    [ST_AUDIT_RECORD] =
        "INSERT INTO audit (created_at, coordinator, action, target, state, result, done_at)"
        " VALUES (?1, ?2, ?3, ?4, 'done', ?5, ?1) RETURNING id",
    [ST_BLOCK_ADD] = "INSERT INTO blocklist (number, added_by, created_at) VALUES (?1, ?2, ?3)"
                     " ON CONFLICT (number) DO NOTHING",
    [ST_BLOCK_DEL] = "DELETE FROM blocklist WHERE number = ?1",
    [ST_BLOCK_CHECK] = "SELECT 1 FROM blocklist WHERE number = ?1",
    [ST_TOTALS_OUT] =
        "SELECT state, COUNT(*), COALESCE(SUM(attempts), 0) FROM outbox GROUP BY state",
    /* Everything a report counts, never a number or a word anyone wrote. */
    [ST_REPORT_ROWS] =
        "SELECT topic, lang, peer_id, urgent, state, created_at, queued_at,"
        " matched_at, closed_at, rating, channel,"
        " (SELECT COUNT(*) FROM shadows s WHERE s.conversation_id = conversations.id)"
        " FROM conversations WHERE created_at >= ?1"
        " AND COALESCE(close_reason, '') NOT LIKE 'crisis-%' ORDER BY id",
    [ST_TOTALS] = "SELECT (SELECT COUNT(*) FROM inbound),"
                  /* offers made to peers: not a hand-back, nor a coordinator's #take REF */
                  " (SELECT COUNT(*) FROM offers WHERE state <> 'transferred'"
                  "  AND peer_id NOT LIKE '@%'),"
                  " (SELECT COUNT(*) FROM offers WHERE state = 'expired'),"
                  " (SELECT COUNT(*) FROM alerts),"
                  " (SELECT COUNT(*) FROM alerts WHERE kind = 'crisis'),"
                  " (SELECT COUNT(*) FROM conversations"
                  "  WHERE COALESCE(close_reason, '') NOT LIKE 'crisis-%'),"
                  " (SELECT COUNT(*) FROM inbound WHERE ignored = '" STORE_IGNORED_OWN_NUMBER "')",
    /* Peers' tools: counts only, never a note's words or a number. */
    [ST_TOOL_COUNTS] =
        "SELECT (SELECT COUNT(*) FROM notes WHERE created_at >= ?1),"
        " (SELECT COUNT(*) FROM shadows WHERE started_at >= ?1),"
        " (SELECT COUNT(*) FROM debriefs WHERE kind = 'offered' AND created_at >= ?1),"
        " (SELECT COUNT(*) FROM debriefs WHERE kind IN ('asked','repeated') AND created_at >= ?1)",
};

int store_conv_live_list(struct store *s, int (*fn)(void *arg, const struct store_conv *c),
                         void *arg)
{
    return store_each_conv(s, store_stmt(s, ST_CONV_LIVE), fn, arg);
}

int store_alert_open_list(struct store *s,
                          int (*fn)(void *arg, int64_t conv_id, const char *kind, int64_t at),
                          void *arg)
{
    struct db_stmt *p = store_stmt(s, ST_ALERT_OPEN_LIST);
    int rc;

    while ((rc = db_step(p)) == DB_ROW) {
        if (fn(arg, db_col_int64(p, 0), (const char *)db_col_text(p, 1), db_col_int64(p, 2))) {
            db_reset(p);
            return STORE_ERROR;
        }
    }
    db_reset(p);
    return rc == DB_DONE ? STORE_OK : store_fail(s, p, rc);
}

int store_data_version(struct store *s, int64_t *version)
{
    *version = db_data_version(s->db);
    return *version >= 0 ? 0 : -1;
}

int store_counts_since(struct store *s, int64_t since, struct store_counts *c)
{
    struct db_stmt *p = store_stmt(s, ST_COUNTS);
    int rc;

    memset(c, 0, sizeof(*c));
    db_bind_int64(p, 1, since);
    rc = db_step(p);
    if (rc == DB_ROW) {
        c->contacts = db_col_int64(p, 0);
        c->answered = db_col_int64(p, 1);
        c->abandoned = db_col_int64(p, 2);
        c->waiting = db_col_int64(p, 3);
        c->crisis_alerts = db_col_int64(p, 4);
    }
    db_reset(p);
    return rc == DB_ROW ? STORE_OK : store_fail(s, p, rc);
}

/* ---- the audit, and the engine's queue of actions ---- */

static const char *const audit_states[] = {"pending", "done", "refused"};

static int read_audit(struct db_stmt *p, void *out)
{
    struct store_audit *a = out;
    char st[16];
    int i;

    memset(a, 0, sizeof(*a));
    a->id = db_col_int64(p, 0);
    a->created_at = db_col_int64(p, 1);
    store_col_text(p, 2, a->coordinator, sizeof(a->coordinator));
    store_col_text(p, 3, a->action, sizeof(a->action));
    store_col_text(p, 4, a->target, sizeof(a->target));
    store_col_text(p, 5, a->arg, sizeof(a->arg));
    store_col_text(p, 6, st, sizeof(st));
    for (i = 0; i < 3; i++)
        if (!strcmp(st, audit_states[i]))
            a->state = (enum audit_state)i;
    store_col_text(p, 7, a->result, sizeof(a->result));
    a->done_at = db_col_int64(p, 8);
    return 0;
}

/* An audit row by statement st (ST_AUDIT_ADD: text is the argument; ST_AUDIT_RECORD: the result).
 */
static int audit_insert(struct store *s, enum store_stmt st, const char *coordinator,
                        const char *action, const char *target, const char *text, int64_t now,
                        int64_t *id)
{
    struct db_stmt *p = store_stmt(s, st);

    db_bind_int64(p, 1, now);
    db_bind_text(p, 2, coordinator);
    db_bind_text(p, 3, action);
    db_bind_text(p, 4, target);
    store_bind_text(p, 5, text);
    if (store_insert(s, p) != STORE_NEW)
        return STORE_ERROR;
    *id = s->last_id;
    return STORE_OK;
}

int store_audit_add(struct store *s, const char *coordinator, const char *action,
                    const char *target, const char *arg, int64_t now, int64_t *id)
{
    return audit_insert(s, ST_AUDIT_ADD, coordinator, action, target, arg, now, id);
}

int store_audit_record(struct store *s, const char *coordinator, const char *action,
                       const char *target, const char *result, int64_t now, int64_t *id)
{
    return audit_insert(s, ST_AUDIT_RECORD, coordinator, action, target, result, now, id);
}

int store_audit_next(struct store *s, struct store_audit *a)
{
    return store_one(s, store_stmt(s, ST_AUDIT_NEXT), read_audit, a, sizeof(*a));
}

int store_audit_get(struct store *s, int64_t id, struct store_audit *a)
{
    struct db_stmt *p = store_stmt(s, ST_AUDIT_GET);

    db_bind_int64(p, 1, id);
    return store_one(s, p, read_audit, a, sizeof(*a));
}

int store_audit_done(struct store *s, int64_t id, enum audit_state st, const char *result,
                     int64_t now)
{
    struct db_stmt *p = store_stmt(s, ST_AUDIT_DONE);

    db_bind_int64(p, 1, id);
    db_bind_text(p, 2, audit_states[st]);
    db_bind_text(p, 3, result);
    db_bind_int64(p, 4, now);
    return store_exec_cas(s, p);
}

int store_audit_recent(struct store *s, int max, int (*fn)(void *arg, const struct store_audit *a),
                       void *arg)
{
    struct db_stmt *p = store_stmt(s, ST_AUDIT_RECENT);
    struct store_audit a;
    int rc;

    db_bind_int64(p, 1, max);
    while ((rc = db_step(p)) == DB_ROW) {
        read_audit(p, &a);
        if (fn(arg, &a)) {
            db_reset(p);
            return STORE_ERROR;
        }
    }
    db_reset(p);
    return rc == DB_DONE ? STORE_OK : store_fail(s, p, rc);
}

/* ---- the blocklist ---- */

int store_block_add(struct store *s, const char *number, const char *by, int64_t now)
{
    struct db_stmt *p = store_stmt(s, ST_BLOCK_ADD);

    db_bind_text(p, 1, number);
    db_bind_text(p, 2, by);
    db_bind_int64(p, 3, now);
    return store_exec(s, p);
}

int store_block_remove(struct store *s, const char *number)
{
    struct db_stmt *p = store_stmt(s, ST_BLOCK_DEL);

    db_bind_text(p, 1, number);
    return store_exec(s, p);
}

int store_block_check(struct store *s, const char *number)
{
    struct db_stmt *p = store_stmt(s, ST_BLOCK_CHECK);
    int rc;

    db_bind_text(p, 1, number);
    rc = db_step(p);
    db_reset(p);
    if (rc == DB_ROW)
        return STORE_FOUND;
    return rc == DB_DONE ? STORE_OK : store_fail(s, p, rc);
}

/* ---- totals since the database began, for /metrics ---- */

int store_totals(struct store *s, struct store_totals *t)
{
    static const char *const states[] = {"pending", "sending", "sent",
                                         "failed",  "expired", "suppressed"};
    struct db_stmt *p = store_stmt(s, ST_TOTALS_OUT);
    int rc, i;

    memset(t, 0, sizeof(*t));
    while ((rc = db_step(p)) == DB_ROW) {
        const char *st = (const char *)db_col_text(p, 0);
        for (i = 0; i < 6; i++)
            if (st && !strcmp(st, states[i])) {
                t->outbox[i] = db_col_int64(p, 1);
                t->send_attempts += db_col_int64(p, 2);
            }
    }
    db_reset(p);
    if (rc != DB_DONE)
        return store_fail(s, p, rc);
    p = store_stmt(s, ST_TOTALS);
    rc = db_step(p);
    if (rc == DB_ROW) {
        t->inbound = db_col_int64(p, 0);
        t->offers = db_col_int64(p, 1);
        t->offers_expired = db_col_int64(p, 2);
        t->alerts = db_col_int64(p, 3);
        t->crisis_alerts = db_col_int64(p, 4);
        t->conversations = db_col_int64(p, 5);
        t->ignored_own = db_col_int64(p, 6);
    }
    db_reset(p);
    return rc == DB_ROW ? STORE_OK : store_fail(s, p, rc);
}

/* ---- reports ---- */

int store_report_rows(struct store *s, int64_t since,
                      int (*fn)(void *arg, const struct store_report_row *r), void *arg)
{
    struct db_stmt *p = store_stmt(s, ST_REPORT_ROWS);
    struct store_report_row r;
    char st[16];
    int rc;

    db_bind_int64(p, 1, since);
    while ((rc = db_step(p)) == DB_ROW) {
        memset(&r, 0, sizeof(r));
        store_col_text(p, 0, r.topic, sizeof(r.topic));
        store_col_text(p, 1, r.lang, sizeof(r.lang));
        store_col_text(p, 2, r.peer_id, sizeof(r.peer_id));
        r.urgent = (int)db_col_int64(p, 3);
        store_col_text(p, 4, st, sizeof(st));
        r.closed = !strcmp(st, "closed");
        r.created_at = db_col_int64(p, 5);
        r.queued_at = db_col_int64(p, 6);
        r.matched_at = db_col_int64(p, 7);
        r.closed_at = db_col_int64(p, 8);
        r.rating = (int)db_col_int64(p, 9);
        store_col_text(p, 10, r.channel, sizeof(r.channel));
        r.shadowed = db_col_int64(p, 11) > 0;
        if (fn(arg, &r)) {
            db_reset(p);
            return STORE_ERROR;
        }
    }
    db_reset(p);
    return rc == DB_DONE ? STORE_OK : store_fail(s, p, rc);
}

int store_tool_counts(struct store *s, int64_t since, struct store_tool_counts *t,
                      int (*resource)(void *arg, const char *id, int64_t n), void *arg)
{
    struct db_stmt *p = store_stmt(s, ST_TOOL_COUNTS);
    int rc;

    memset(t, 0, sizeof(*t));
    if (db_bind_int64(p, 1, since))
        return STORE_ERROR;
    rc = db_step(p);
    if (rc == DB_ROW) {
        t->notes = db_col_int64(p, 0);
        t->shadowed = db_col_int64(p, 1);
        t->debriefs_offered = db_col_int64(p, 2);
        t->debriefs_asked = db_col_int64(p, 3);
    }
    db_reset(p);
    if (rc != DB_ROW)
        return store_fail(s, p, rc);
    return resource ? store_resource_counts(s, since, resource, arg) : STORE_OK;
}

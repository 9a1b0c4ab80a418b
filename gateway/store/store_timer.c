/*
 * store_timer.c - the timers table (one timer of each kind per
 * conversation, claimed with a lease so two engines never fire the same one)
 * and the alerts table (safety alerts to coordinators and who acknowledged
 * them).
 */
#include "store_priv.h"

#include <string.h>

const char *const store_sql_timer[ST_COUNT] = {
    [ST_TIMER_SET] = "INSERT INTO timers (kind, conversation_id, due_at, stage)"
                     " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (kind, conversation_id) DO UPDATE"
                     " SET due_at = ?3, stage = ?4, lease_owner = NULL, lease_until = NULL",
    [ST_TIMER_ADD] = "INSERT INTO timers (kind, conversation_id, due_at, stage)"
                     " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (kind, conversation_id) DO NOTHING",
    [ST_TIMER_CLEAR] = "DELETE FROM timers WHERE kind = ?1 AND conversation_id = ?2",
    /* An alert outlives its conversation: someone must still acknowledge it. */
    [ST_TIMER_CLEAR_ALL] = "DELETE FROM timers WHERE conversation_id = ?1 AND kind <> 6",
    [ST_TIMER_DUE] = "SELECT id, kind, conversation_id, due_at, stage FROM timers"
                     " WHERE due_at <= ?1 AND (lease_until IS NULL OR lease_until < ?1)"
                     " ORDER BY due_at, id LIMIT 1",
    [ST_TIMER_LEASE] = "UPDATE timers SET lease_owner = ?2, lease_until = ?3 WHERE id = ?1"
                       " AND (lease_until IS NULL OR lease_until < ?4)",
    [ST_TIMER_DONE] = "DELETE FROM timers WHERE id = ?1 AND lease_owner = ?2",
    [ST_TIMER_NEXT] = "SELECT MIN(CASE WHEN lease_until > due_at THEN lease_until ELSE due_at END)"
                      " FROM timers",
    [ST_TIMER_RECLAIM] = "UPDATE timers SET lease_owner = NULL, lease_until = NULL"
                         " WHERE lease_owner = ?1 OR (?2 = 1 AND lease_owner IS NOT NULL)",
    [ST_ALERT_ADD] = "INSERT INTO alerts (conversation_id, kind, raised_by, created_at)"
                     " VALUES (?1, ?2, ?3, ?4)",
    [ST_ALERT_OPEN] = "SELECT COUNT(*) FROM alerts WHERE conversation_id = ?1 AND acked_at IS NULL",
    [ST_ALERT_ACK] = "UPDATE alerts SET acked_by = ?2, acked_at = ?3 WHERE conversation_id = ?1"
                     " AND acked_at IS NULL",
};
_Static_assert(TIMER_ALERT == 6, "ST_TIMER_CLEAR_ALL names the alert timer by number");

int store_timer_set(struct store *s, enum timer_kind kind, int64_t conv_id, int64_t due_at,
                    int stage)
{
    struct db_stmt *p = store_stmt(s, ST_TIMER_SET);

    db_bind_int64(p, 1, (int)kind);
    db_bind_int64(p, 2, conv_id);
    db_bind_int64(p, 3, due_at);
    db_bind_int64(p, 4, stage);
    return store_exec(s, p);
}

int store_timer_add(struct store *s, enum timer_kind kind, int64_t conv_id, int64_t due_at)
{
    struct db_stmt *p = store_stmt(s, ST_TIMER_ADD);

    db_bind_int64(p, 1, (int)kind);
    db_bind_int64(p, 2, conv_id);
    db_bind_int64(p, 3, due_at);
    db_bind_int64(p, 4, 0);
    return store_exec(s, p);
}

int store_timer_clear(struct store *s, enum timer_kind kind, int64_t conv_id)
{
    struct db_stmt *p = store_stmt(s, ST_TIMER_CLEAR);

    db_bind_int64(p, 1, (int)kind);
    db_bind_int64(p, 2, conv_id);
    return store_exec(s, p);
}

int store_timer_clear_all(struct store *s, int64_t conv_id)
{
    struct db_stmt *p = store_stmt(s, ST_TIMER_CLEAR_ALL);

    db_bind_int64(p, 1, conv_id);
    return store_exec(s, p);
}

int store_timer_claim(struct store *s, const char *owner, int64_t now, int64_t lease_ms,
                      struct store_timer *t)
{
    struct db_stmt *p = store_stmt(s, ST_TIMER_DUE);
    int rc;

    memset(t, 0, sizeof(*t));
    db_bind_int64(p, 1, now);
    rc = db_step(p);
    if (rc != DB_ROW) {
        db_reset(p);
        return rc == DB_DONE ? STORE_OK : store_fail(s, p, rc);
    }
    t->id = db_col_int64(p, 0);
    t->kind = (enum timer_kind)(int)db_col_int64(p, 1);
    t->conv_id = db_col_int64(p, 2);
    t->due_at = db_col_int64(p, 3);
    t->stage = (int)db_col_int64(p, 4);
    db_reset(p);
    p = store_stmt(s, ST_TIMER_LEASE);
    db_bind_int64(p, 1, t->id);
    db_bind_text(p, 2, owner);
    db_bind_int64(p, 3, now + lease_ms);
    db_bind_int64(p, 4, now);
    rc = store_exec_cas(s, p);
    if (rc == STORE_CONFLICT)
        return STORE_OK; /* another engine took it: nothing for us this time */
    return rc == STORE_OK ? STORE_FOUND : STORE_ERROR;
}

int store_timer_done(struct store *s, int64_t id, const char *owner)
{
    struct db_stmt *p = store_stmt(s, ST_TIMER_DONE);

    db_bind_int64(p, 1, id);
    db_bind_text(p, 2, owner);
    return store_exec(s, p);
}

int store_timer_next(struct store *s, int64_t *at)
{
    struct db_stmt *p = store_stmt(s, ST_TIMER_NEXT);
    int rc = db_step(p);

    *at = INT64_MAX;
    if (rc == DB_ROW && !db_col_null(p, 0))
        *at = db_col_int64(p, 0);
    db_reset(p);
    return rc == DB_ROW ? STORE_OK : store_fail(s, p, rc);
}

int store_timer_reclaim(struct store *s, const char *owner)
{
    struct db_stmt *p = store_stmt(s, ST_TIMER_RECLAIM);

    db_bind_text(p, 1, owner);
    /* PostgreSQL: only the engine holding the lock claims timers (store_lead), so every lease. */
    db_bind_int64(p, 2, db_kind(s->db) == DB_PG);
    return store_exec(s, p);
}

int store_alert_add(struct store *s, int64_t conv_id, const char *kind, const char *raised_by,
                    int64_t now)
{
    struct db_stmt *p = store_stmt(s, ST_ALERT_ADD);

    db_bind_int64(p, 1, conv_id);
    db_bind_text(p, 2, kind);
    store_bind_text(p, 3, raised_by);
    db_bind_int64(p, 4, now);
    return store_exec(s, p);
}

int store_alert_open(struct store *s, int64_t conv_id, int *n)
{
    struct db_stmt *p = store_stmt(s, ST_ALERT_OPEN);
    int rc;

    db_bind_int64(p, 1, conv_id);
    rc = db_step(p);
    if (rc == DB_ROW)
        *n = (int)db_col_int64(p, 0);
    db_reset(p);
    return rc == DB_ROW ? STORE_OK : store_fail(s, p, rc);
}

int store_alert_ack(struct store *s, int64_t conv_id, const char *by, int64_t now, int *acked)
{
    struct db_stmt *p = store_stmt(s, ST_ALERT_ACK);

    db_bind_int64(p, 1, conv_id);
    db_bind_text(p, 2, by);
    db_bind_int64(p, 3, now);
    if (store_exec(s, p))
        return STORE_ERROR;
    *acked = db_changes(s->db);
    return STORE_OK;
}

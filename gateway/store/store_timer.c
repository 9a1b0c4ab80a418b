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
                         " WHERE lease_owner = ?1",
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
    sqlite3_stmt *p = store_stmt(s, ST_TIMER_SET);

    sqlite3_bind_int(p, 1, (int)kind);
    sqlite3_bind_int64(p, 2, conv_id);
    sqlite3_bind_int64(p, 3, due_at);
    sqlite3_bind_int(p, 4, stage);
    return store_exec(s, p);
}

int store_timer_add(struct store *s, enum timer_kind kind, int64_t conv_id, int64_t due_at)
{
    sqlite3_stmt *p = store_stmt(s, ST_TIMER_ADD);

    sqlite3_bind_int(p, 1, (int)kind);
    sqlite3_bind_int64(p, 2, conv_id);
    sqlite3_bind_int64(p, 3, due_at);
    sqlite3_bind_int(p, 4, 0);
    return store_exec(s, p);
}

int store_timer_clear(struct store *s, enum timer_kind kind, int64_t conv_id)
{
    sqlite3_stmt *p = store_stmt(s, ST_TIMER_CLEAR);

    sqlite3_bind_int(p, 1, (int)kind);
    sqlite3_bind_int64(p, 2, conv_id);
    return store_exec(s, p);
}

int store_timer_clear_all(struct store *s, int64_t conv_id)
{
    sqlite3_stmt *p = store_stmt(s, ST_TIMER_CLEAR_ALL);

    sqlite3_bind_int64(p, 1, conv_id);
    return store_exec(s, p);
}

int store_timer_claim(struct store *s, const char *owner, int64_t now, int64_t lease_ms,
                      struct store_timer *t)
{
    sqlite3_stmt *p = store_stmt(s, ST_TIMER_DUE);
    int rc;

    memset(t, 0, sizeof(*t));
    sqlite3_bind_int64(p, 1, now);
    rc = sqlite3_step(p);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(p);
        return rc == SQLITE_DONE ? STORE_OK : store_fail(s, p, rc);
    }
    t->id = sqlite3_column_int64(p, 0);
    t->kind = (enum timer_kind)sqlite3_column_int(p, 1);
    t->conv_id = sqlite3_column_int64(p, 2);
    t->due_at = sqlite3_column_int64(p, 3);
    t->stage = sqlite3_column_int(p, 4);
    sqlite3_reset(p);
    p = store_stmt(s, ST_TIMER_LEASE);
    sqlite3_bind_int64(p, 1, t->id);
    sqlite3_bind_text(p, 2, owner, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(p, 3, now + lease_ms);
    sqlite3_bind_int64(p, 4, now);
    rc = store_exec_cas(s, p);
    if (rc == STORE_CONFLICT)
        return STORE_OK; /* another engine took it: nothing for us this time */
    return rc == STORE_OK ? STORE_FOUND : STORE_ERROR;
}

int store_timer_done(struct store *s, int64_t id, const char *owner)
{
    sqlite3_stmt *p = store_stmt(s, ST_TIMER_DONE);

    sqlite3_bind_int64(p, 1, id);
    sqlite3_bind_text(p, 2, owner, -1, SQLITE_TRANSIENT);
    return store_exec(s, p);
}

int store_timer_next(struct store *s, int64_t *at)
{
    sqlite3_stmt *p = store_stmt(s, ST_TIMER_NEXT);
    int rc = sqlite3_step(p);

    *at = INT64_MAX;
    if (rc == SQLITE_ROW && sqlite3_column_type(p, 0) != SQLITE_NULL)
        *at = sqlite3_column_int64(p, 0);
    sqlite3_reset(p);
    return rc == SQLITE_ROW ? STORE_OK : store_fail(s, p, rc);
}

int store_timer_reclaim(struct store *s, const char *owner)
{
    sqlite3_stmt *p = store_stmt(s, ST_TIMER_RECLAIM);

    sqlite3_bind_text(p, 1, owner, -1, SQLITE_TRANSIENT);
    return store_exec(s, p);
}

int store_alert_add(struct store *s, int64_t conv_id, const char *kind, const char *raised_by,
                    int64_t now)
{
    sqlite3_stmt *p = store_stmt(s, ST_ALERT_ADD);

    sqlite3_bind_int64(p, 1, conv_id);
    sqlite3_bind_text(p, 2, kind, -1, SQLITE_TRANSIENT);
    store_bind_text(p, 3, raised_by);
    sqlite3_bind_int64(p, 4, now);
    return store_exec(s, p);
}

int store_alert_open(struct store *s, int64_t conv_id, int *n)
{
    sqlite3_stmt *p = store_stmt(s, ST_ALERT_OPEN);
    int rc;

    sqlite3_bind_int64(p, 1, conv_id);
    rc = sqlite3_step(p);
    if (rc == SQLITE_ROW)
        *n = sqlite3_column_int(p, 0);
    sqlite3_reset(p);
    return rc == SQLITE_ROW ? STORE_OK : store_fail(s, p, rc);
}

int store_alert_ack(struct store *s, int64_t conv_id, const char *by, int64_t now, int *acked)
{
    sqlite3_stmt *p = store_stmt(s, ST_ALERT_ACK);

    sqlite3_bind_int64(p, 1, conv_id);
    sqlite3_bind_text(p, 2, by, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(p, 3, now);
    if (store_exec(s, p))
        return STORE_ERROR;
    *acked = sqlite3_changes(s->db);
    return STORE_OK;
}

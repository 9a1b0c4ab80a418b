/*
 * store_outbox.c - texts waiting to be sent, and what became of them.
 *
 * The engine adds rows in the same transaction as the state change that
 * causes them; the sender claims them with a lease, one at a time per
 * (recipient, sending number) thread so a conversation's texts leave in
 * order, and records the provider's id or the reason it gave up.
 * `kind` doubles as the send priority (enum out_kind: safety first).
 */
#include "store_priv.h"

#include <stdlib.h>
#include <string.h>

const char *const store_sql_outbox[ST_COUNT] = {
    [ST_OUT_ADD] = "INSERT INTO outbox (conversation_id, to_number, from_number, body, kind,"
                   " origin_inbound, after_optout, state, created_at, not_before, expires_at)"
                   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', ?8,"
                   " CASE WHEN CAST(?10 AS BIGINT) > ?8 THEN ?10 ELSE ?8 END, ?9) RETURNING id",
    [ST_OUT_RECLAIM] = "UPDATE outbox SET state = 'pending', lease_owner = NULL,"
                       " lease_until = NULL WHERE state = 'sending'"
                       " AND (lease_owner = ?1 OR lease_until < ?2)",
    [ST_OUT_CANDIDATES] = "SELECT " OUT_COLS " FROM outbox o WHERE state = 'pending'"
                          " AND not_before <= ?1 AND" THREAD_HEAD " ORDER BY kind, id LIMIT ?2",
    [ST_OUT_LEASE] = "UPDATE outbox SET state = 'sending', lease_owner = ?2, lease_until = ?3,"
                     " attempts = attempts + 1 WHERE id = ?1 AND state = 'pending'",
    [ST_OUT_SENT] = "UPDATE outbox SET state = 'sent', provider_sid = ?2, segments = ?3,"
                    " sent_at = ?4, done_at = ?4, lease_owner = NULL, lease_until = NULL"
                    " WHERE id = ?1 AND state = 'sending'",
    [ST_OUT_RETRY] = "UPDATE outbox SET state = 'pending', not_before = ?2, error_code = ?3,"
                     " error_text = ?4, lease_owner = NULL, lease_until = NULL"
                     " WHERE id = ?1 AND state = 'sending'",
    [ST_OUT_DEFER] = "UPDATE outbox SET state = 'pending', not_before = ?2,"
                     " attempts = attempts - 1, lease_owner = NULL, lease_until = NULL"
                     " WHERE id = ?1 AND state = 'sending'",
    [ST_OUT_FINISH] = "UPDATE outbox SET state = ?2, error_code = ?3, error_text = ?4,"
                      " done_at = ?5, lease_owner = NULL, lease_until = NULL"
                      " WHERE id = ?1 AND state IN ('pending','sending')",
    /*
     * Texts of one kind in one thread not sent yet never go. One being sent
     * now is taken too: if the provider refuses it, it is not tried again
     * (the sender records only what is still 'sending').
     */
    [ST_OUT_WITHDRAW] = "UPDATE outbox SET state = 'suppressed', done_at = ?5,"
                        " lease_owner = NULL, lease_until = NULL WHERE conversation_id = ?1"
                        " AND (CAST(?2 AS TEXT) IS NULL OR to_number = ?2) AND from_number = ?3"
                        " AND kind = ?4 AND state IN ('pending','sending')",
    [ST_OUT_NEXT_DUE] =
        "SELECT MIN(not_before) FROM outbox o WHERE state = 'pending' AND" THREAD_HEAD,
    /* kind 1 is OUT_RELAY: only relayed texts are reported back to their sender. */
    [ST_OUT_FAILED_RELAY] = "SELECT " OUT_COLS " FROM outbox WHERE failure_handled = 0"
                            " AND state IN ('failed','expired','suppressed') AND kind = 1"
                            " ORDER BY id LIMIT 1",
    [ST_OUT_FAILURE_HANDLED] = "UPDATE outbox SET failure_handled = 1 WHERE id = ?1",
    [ST_OUT_STATUS] = "UPDATE outbox SET provider_status = ?2,"
                      " error_code = COALESCE(?3, error_code),"
                      " state = CASE WHEN ?2 IN ('failed','undelivered') THEN 'failed'"
                      " ELSE state END WHERE provider_sid = ?1",
    [ST_OUT_BY_SID] = "SELECT " OUT_COLS " FROM outbox WHERE provider_sid = ?1",
    [ST_OUT_COUNT] = "SELECT COUNT(*) FROM outbox WHERE state = ?1",
    /*
     * kind 1 is OUT_RELAY: a text joins the writer's last relay in the thread
     * while that one is still held back (never tried), when both fit one text.
     */
    [ST_OUT_MERGE_RELAY] =
        "UPDATE outbox SET body = body || '\n' || ?4 WHERE id = (SELECT id FROM outbox"
        " WHERE to_number = ?2 AND from_number = ?3 AND kind = 1 AND state = 'pending'"
        " AND attempts = 0 AND conversation_id = ?1 ORDER BY id DESC LIMIT 1)"
        " AND length(body) + 1 + length(?4) <= ?5"
        /*
         * Again outside the subquery: under PostgreSQL's READ COMMITTED a
         * sender's lease taken meanwhile is seen only here (the subquery
         * keeps its snapshot), and a text being sent must not grow.
         */
        " AND state = 'pending' AND attempts = 0",
    /* kind 4 is OUT_NOTICE: a newer queue update replaces one not yet sent. */
    [ST_OUT_REPLACE_NOTICE] = "UPDATE outbox SET body = ?3 WHERE to_number = ?1"
                              " AND from_number = ?2 AND kind = 4 AND state = 'pending'",
};

static const char *const out_state_names[] = {"pending", "sending", "sent",
                                              "failed",  "expired", "suppressed"};

static enum out_state out_state_from(const char *s)
{
    int i;

    for (i = 0; i < 6; i++)
        if (!strcmp(s, out_state_names[i]))
            return (enum out_state)i;
    return OUT_FAILED;
}

/* Reads one row; the body is borrowed from the statement (valid until the next step). */
static int read_out(struct db_stmt *p, void *out)
{
    struct store_out *o = out;
    char st[16];

    memset(o, 0, sizeof(*o));
    o->id = db_col_int64(p, 0);
    o->conv_id = db_col_int64(p, 1);
    store_col_text(p, 2, o->to, sizeof(o->to));
    store_col_text(p, 3, o->from, sizeof(o->from));
    o->body = (char *)db_col_text(p, 4);
    o->kind = (enum out_kind)(int)db_col_int64(p, 5);
    o->origin_inbound = db_col_int64(p, 6);
    o->created_at = db_col_int64(p, 7);
    o->expires_at = db_col_int64(p, 8);
    o->attempts = (int)db_col_int64(p, 9);
    o->after_optout = (int)db_col_int64(p, 10);
    o->error_code = (int)db_col_int64(p, 11);
    store_col_text(p, 12, st, sizeof(st));
    o->state = out_state_from(st);
    return 0;
}

void store_out_clear(struct store_out *o)
{
    free(o->body);
    o->body = NULL;
}

int store_outbox_add(struct store *s, const struct store_out *o, int64_t now)
{
    struct db_stmt *p = store_stmt(s, ST_OUT_ADD);

    if (o->conv_id)
        db_bind_int64(p, 1, o->conv_id);
    db_bind_text(p, 2, o->to);
    db_bind_text(p, 3, o->from);
    db_bind_text(p, 4, o->body);
    db_bind_int64(p, 5, (int)o->kind);
    if (o->origin_inbound)
        db_bind_int64(p, 6, o->origin_inbound);
    db_bind_int64(p, 7, o->after_optout ? 1 : 0);
    db_bind_int64(p, 8, now);
    db_bind_int64(p, 9, o->expires_at);
    db_bind_int64(p, 10, o->not_before);
    return store_insert(s, p) == STORE_NEW ? STORE_OK : STORE_ERROR;
}

int store_outbox_withdraw(struct store *s, int64_t conv_id, const char *to, const char *from,
                          enum out_kind kind, int64_t now)
{
    struct db_stmt *p = store_stmt(s, ST_OUT_WITHDRAW);

    db_bind_int64(p, 1, conv_id);
    store_bind_text(p, 2, to);
    db_bind_text(p, 3, from);
    db_bind_int64(p, 4, (int64_t)kind);
    db_bind_int64(p, 5, now);
    return store_exec(s, p);
}

int store_outbox_merge_relay(struct store *s, int64_t conv_id, const char *to, const char *from,
                             const char *body, int max_chars, int *merged)
{
    struct db_stmt *p = store_stmt(s, ST_OUT_MERGE_RELAY);

    db_bind_int64(p, 1, conv_id);
    db_bind_text(p, 2, to);
    db_bind_text(p, 3, from);
    db_bind_text(p, 4, body);
    db_bind_int64(p, 5, max_chars);
    if (store_exec(s, p))
        return STORE_ERROR;
    *merged = db_changes(s->db) > 0;
    return STORE_OK;
}

int store_outbox_reclaim(struct store *s, const char *owner, int64_t now, int *n)
{
    struct db_stmt *p = store_stmt(s, ST_OUT_RECLAIM);

    db_bind_text(p, 1, owner);
    db_bind_int64(p, 2, now);
    if (store_exec(s, p))
        return STORE_ERROR;
    *n = db_changes(s->db);
    return STORE_OK;
}

int store_outbox_claim(struct store *s, const char *owner, int64_t now, int64_t lease_ms, int max,
                       int (*fn)(void *arg, const struct store_out *o), void *arg)
{
    struct store_out rows[64];
    char *bodies[64];
    int leased[64] = {0};
    struct db_stmt *p;
    int rc, n = 0, i, ret = STORE_OK, own;

    if (max > 64)
        max = 64;
    if (max <= 0)
        return STORE_OK;
    own = !db_in_tx(s->db); /* else it joins the caller's transaction... */
    if (own ? store_begin_shared(s) : store_savepoint(s)) /* ...and undoes only its own */
        return STORE_ERROR;
    p = store_stmt(s, ST_OUT_CANDIDATES);
    db_bind_int64(p, 1, now);
    db_bind_int64(p, 2, max);
    while (n < max && (rc = db_step(p)) == DB_ROW) {
        read_out(p, &rows[n]);
        bodies[n] = strdup(rows[n].body ? rows[n].body : "");
        if (!bodies[n])
            break;
        rows[n].body = bodies[n];
        n++;
    }
    db_reset(p);
    for (i = 0; i < n; i++) {
        p = store_stmt(s, ST_OUT_LEASE);
        db_bind_int64(p, 1, rows[i].id);
        db_bind_text(p, 2, owner);
        db_bind_int64(p, 3, now + lease_ms);
        rc = store_exec_cas(s, p);
        if (rc == STORE_ERROR) {
            ret = STORE_ERROR;
            break;
        }
        leased[i] = rc == STORE_OK; /* a conflict: another sender took it first */
        rows[i].attempts++;
    }
    if (ret == STORE_OK && (own ? store_commit(s) : store_release(s)))
        ret = STORE_ERROR;
    if (ret != STORE_OK) {
        if (own)
            store_rollback(s);
        else if (store_rollback_to(s))
            store_rollback(s); /* the caller's commit then fails: nothing of it holds */
    }
    for (i = 0; i < n; i++) {
        if (ret == STORE_OK && leased[i] && fn(arg, &rows[i]))
            ret = STORE_ERROR;
        free(bodies[i]);
    }
    return ret;
}

int store_outbox_sent(struct store *s, int64_t id, const char *provider_sid, int segments,
                      int64_t now)
{
    struct db_stmt *p = store_stmt(s, ST_OUT_SENT);

    db_bind_int64(p, 1, id);
    db_bind_text(p, 2, provider_sid);
    db_bind_int64(p, 3, segments);
    db_bind_int64(p, 4, now);
    return store_exec_cas(s, p);
}

int store_outbox_retry(struct store *s, int64_t id, int64_t next_at, int code, const char *text)
{
    struct db_stmt *p = store_stmt(s, ST_OUT_RETRY);

    db_bind_int64(p, 1, id);
    db_bind_int64(p, 2, next_at);
    db_bind_int64(p, 3, code);
    store_bind_text(p, 4, text);
    return store_exec_cas(s, p);
}

int store_outbox_defer(struct store *s, int64_t id, int64_t not_before)
{
    struct db_stmt *p = store_stmt(s, ST_OUT_DEFER);

    db_bind_int64(p, 1, id);
    db_bind_int64(p, 2, not_before);
    return store_exec_cas(s, p);
}

int store_outbox_finish(struct store *s, int64_t id, enum out_state st, int code, const char *text,
                        int64_t now)
{
    struct db_stmt *p = store_stmt(s, ST_OUT_FINISH);

    db_bind_int64(p, 1, id);
    db_bind_text(p, 2, out_state_names[st]);
    if (code)
        db_bind_int64(p, 3, code);
    store_bind_text(p, 4, text);
    db_bind_int64(p, 5, now);
    return store_exec_cas(s, p);
}

int store_outbox_next_due(struct store *s, int64_t *at)
{
    struct db_stmt *p = store_stmt(s, ST_OUT_NEXT_DUE);
    int rc = db_step(p);

    *at = INT64_MAX;
    if (rc == DB_ROW && !db_col_null(p, 0))
        *at = db_col_int64(p, 0);
    db_reset(p);
    return rc == DB_ROW ? STORE_OK : store_fail(s, p, rc);
}

/* Reads one row with a copied body (the caller frees it with store_out_clear). */
static int read_out_copy(struct db_stmt *p, void *out)
{
    struct store_out *o = out;

    read_out(p, o);
    o->body = strdup(o->body ? o->body : "");
    return o->body ? 0 : -1;
}

int store_outbox_failed_relay(struct store *s, struct store_out *o)
{
    return store_one(s, store_stmt(s, ST_OUT_FAILED_RELAY), read_out_copy, o, sizeof(*o));
}

int store_outbox_failure_handled(struct store *s, int64_t id)
{
    struct db_stmt *p = store_stmt(s, ST_OUT_FAILURE_HANDLED);

    db_bind_int64(p, 1, id);
    return store_exec(s, p);
}

int store_outbox_status(struct store *s, const char *sid, const char *status, int code,
                        struct store_out *o)
{
    struct db_stmt *p = store_stmt(s, ST_OUT_STATUS);

    db_bind_text(p, 1, sid);
    db_bind_text(p, 2, status);
    if (code)
        db_bind_int64(p, 3, code);
    if (store_exec(s, p))
        return STORE_ERROR;
    p = store_stmt(s, ST_OUT_BY_SID);
    db_bind_text(p, 1, sid);
    return store_one(s, p, read_out_copy, o, sizeof(*o));
}

int store_outbox_replace_notice(struct store *s, const char *to, const char *from, const char *body,
                                int *replaced)
{
    struct db_stmt *p = store_stmt(s, ST_OUT_REPLACE_NOTICE);

    db_bind_text(p, 1, to);
    db_bind_text(p, 2, from);
    db_bind_text(p, 3, body);
    if (store_exec(s, p))
        return STORE_ERROR;
    *replaced = db_changes(s->db) > 0;
    return STORE_OK;
}

int store_outbox_count(struct store *s, enum out_state st, int64_t *n)
{
    struct db_stmt *p = store_stmt(s, ST_OUT_COUNT);
    int rc;

    db_bind_text(p, 1, out_state_names[st]);
    rc = db_step(p);
    if (rc == DB_ROW)
        *n = db_col_int64(p, 0);
    db_reset(p);
    return rc == DB_ROW ? STORE_OK : store_fail(s, p, rc);
}

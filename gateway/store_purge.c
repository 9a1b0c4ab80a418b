/*
 * store_purge.c - retention (SPEC section 8): message text older than the
 * cutoff is deleted from our copy, texter numbers in what is that old become
 * keyed hashes (peerline_hash, see store.c), and the provider's ids of the
 * purged texts are queued for redaction at the provider. Counts and
 * timings stay, so reports keep working.
 *
 * Never touched: a text still waiting to be handled or to reach a peer, a
 * text still being sent, an open conversation, opt-outs (a legal record the
 * line must keep to honour them) and the blocklist.
 */
#include "store_priv.h"

#include <string.h>

const char *const store_sql_purge[ST_COUNT] = {
    [ST_PURGE_QUEUE_IN] = "INSERT INTO redactions (sid, created_at)"
                          " SELECT provider_sid, ?2 FROM inbound WHERE received_at < ?1"
                          " AND body IS NOT NULL AND processed_at IS NOT NULL"
                          " AND pending_relay = 0 ON CONFLICT (sid) DO NOTHING",
    [ST_PURGE_QUEUE_OUT] = "INSERT INTO redactions (sid, created_at)"
                           " SELECT provider_sid, ?2 FROM outbox WHERE created_at < ?1"
                           " AND body IS NOT NULL AND provider_sid IS NOT NULL"
                           " AND state NOT IN ('pending','sending')"
                           " ON CONFLICT (sid) DO NOTHING",
    [ST_PURGE_IN] = "UPDATE inbound SET body = NULL,"
                    " from_number = CASE WHEN from_number LIKE 'h:%' THEN from_number"
                    " ELSE peerline_hash(from_number) END"
                    " WHERE received_at < ?1 AND processed_at IS NOT NULL AND pending_relay = 0"
                    " AND (body IS NOT NULL OR from_number NOT LIKE 'h:%')",
    [ST_PURGE_OUT] = "UPDATE outbox SET body = NULL,"
                     " to_number = CASE WHEN to_number LIKE 'h:%' THEN to_number"
                     " ELSE peerline_hash(to_number) END"
                     " WHERE created_at < ?1 AND state NOT IN ('pending','sending')"
                     " AND (body IS NOT NULL OR to_number NOT LIKE 'h:%')",
    [ST_PURGE_CONV] = "UPDATE conversations SET texter = peerline_hash(texter)"
                      " WHERE state = 'closed' AND closed_at < ?1 AND texter NOT LIKE 'h:%'",
    /* What is known of a number that has not been in touch since the cutoff. */
    [ST_PURGE_CONTACTS] = "DELETE FROM contacts WHERE first_seen < ?1 AND NOT EXISTS"
                          " (SELECT 1 FROM conversations c WHERE c.texter = contacts.number"
                          " AND (c.state <> 'closed' OR c.closed_at >= ?1))",
    [ST_REDACT_NEXT] = "SELECT sid, attempts FROM redactions WHERE done_at IS NULL"
                       " AND next_at <= ?1 ORDER BY next_at, created_at LIMIT 1",
    [ST_REDACT_DONE] = "UPDATE redactions SET done_at = ?2, outcome = ?3,"
                       " attempts = attempts + 1 WHERE sid = ?1",
    [ST_REDACT_RETRY] = "UPDATE redactions SET next_at = ?2, outcome = ?3,"
                        " attempts = attempts + 1 WHERE sid = ?1",
    [ST_REDACT_COUNT] = "SELECT COUNT(*) FROM redactions WHERE done_at IS NULL",
};

/* Runs one purge statement with the cutoff (and now); *n += the rows it changed. */
static int purge_step(struct store *s, enum store_stmt id, int64_t before, int64_t now, int64_t *n)
{
    sqlite3_stmt *p = store_stmt(s, id);

    sqlite3_bind_int64(p, 1, before);
    if (sqlite3_bind_parameter_count(p) >= 2)
        sqlite3_bind_int64(p, 2, now);
    if (store_exec(s, p))
        return STORE_ERROR;
    if (n)
        *n += sqlite3_changes(s->db);
    return STORE_OK;
}

int store_purge(struct store *s, int64_t before, int64_t now, struct store_purged *c)
{
    memset(c, 0, sizeof(*c));
    if (store_begin(s))
        return STORE_ERROR;
    if (purge_step(s, ST_PURGE_QUEUE_IN, before, now, &c->redactions) ||
        purge_step(s, ST_PURGE_QUEUE_OUT, before, now, &c->redactions) ||
        purge_step(s, ST_PURGE_IN, before, now, &c->inbound) ||
        purge_step(s, ST_PURGE_OUT, before, now, &c->outbox) ||
        purge_step(s, ST_PURGE_CONV, before, now, &c->conversations) ||
        purge_step(s, ST_PURGE_CONTACTS, before, now, &c->contacts) || store_commit(s)) {
        store_rollback(s);
        return STORE_ERROR;
    }
    /*
     * secure_delete zeroed what the purge freed in the database; the old
     * pages still sit in the write-ahead log until a checkpoint copies the
     * new ones over and truncates it.
     */
    if (sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL) != SQLITE_OK)
        c->checkpoint_busy = 1;
    return STORE_OK;
}

int store_redaction_next(struct store *s, int64_t now, char sid[STORE_SID], int *attempts)
{
    sqlite3_stmt *p = store_stmt(s, ST_REDACT_NEXT);
    int rc;

    sqlite3_bind_int64(p, 1, now);
    rc = sqlite3_step(p);
    if (rc == SQLITE_ROW) {
        store_col_text(p, 0, sid, STORE_SID);
        *attempts = sqlite3_column_int(p, 1);
        sqlite3_reset(p);
        return STORE_FOUND;
    }
    sqlite3_reset(p);
    return rc == SQLITE_DONE ? STORE_OK : store_fail(s, p, rc);
}

int store_redaction_done(struct store *s, const char *sid, const char *outcome, int64_t now)
{
    sqlite3_stmt *p = store_stmt(s, ST_REDACT_DONE);

    sqlite3_bind_text(p, 1, sid, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(p, 2, now);
    sqlite3_bind_text(p, 3, outcome, -1, SQLITE_TRANSIENT);
    return store_exec(s, p);
}

int store_redaction_retry(struct store *s, const char *sid, int64_t next_at, const char *why)
{
    sqlite3_stmt *p = store_stmt(s, ST_REDACT_RETRY);

    sqlite3_bind_text(p, 1, sid, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(p, 2, next_at);
    sqlite3_bind_text(p, 3, why, -1, SQLITE_TRANSIENT);
    return store_exec(s, p);
}

int store_redaction_pending(struct store *s, int64_t *n)
{
    sqlite3_stmt *p = store_stmt(s, ST_REDACT_COUNT);
    int rc = sqlite3_step(p);

    if (rc == SQLITE_ROW)
        *n = sqlite3_column_int64(p, 0);
    sqlite3_reset(p);
    return rc == SQLITE_ROW ? STORE_OK : store_fail(s, p, rc);
}

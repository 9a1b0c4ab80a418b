/*
 * store_purge.c - retention (SPEC section 8): message text older than the
 * cutoff is deleted from our copy, texter numbers in what is that old become
 * keyed hashes (peerline_hash, see db.h), and the provider's ids of the
 * purged texts are queued for redaction at the provider. Counts and
 * timings stay, so reports keep working.
 *
 * Peers' notes are message text too: their words and the texter's number
 * go when they are older than the cutoff, whatever the chat's state.
 *
 * Never touched: a text still waiting to be handled or to reach a peer, a
 * text still being sent, an open conversation, opt-outs (a legal record the
 * line must keep to honour them) and the blocklist.
 */
#include "store_priv.h"

#include <stdio.h>
#include <string.h>

const char *const store_sql_purge[ST_COUNT] = {
    [ST_PURGE_QUEUE_IN] = "INSERT INTO redactions (sid, created_at)"
                          " SELECT provider_sid, ?2 FROM inbound WHERE id BETWEEN ?3 AND ?4"
                          " AND received_at < ?1 AND body IS NOT NULL AND processed_at IS NOT NULL"
                          " AND pending_relay = 0 ON CONFLICT (sid) DO NOTHING",
    [ST_PURGE_QUEUE_OUT] = "INSERT INTO redactions (sid, created_at)"
                           " SELECT provider_sid, ?2 FROM outbox WHERE id BETWEEN ?3 AND ?4"
                           " AND created_at < ?1 AND body IS NOT NULL AND provider_sid IS NOT NULL"
                           " AND state NOT IN ('pending','sending')"
                           " ON CONFLICT (sid) DO NOTHING",
    [ST_PURGE_IN] = "UPDATE inbound SET body = NULL,"
                    " from_number = CASE WHEN from_number LIKE 'h:%' THEN from_number"
                    " ELSE peerline_hash(from_number) END"
                    " WHERE id BETWEEN ?2 AND ?3 AND received_at < ?1"
                    " AND processed_at IS NOT NULL AND pending_relay = 0"
                    " AND (body IS NOT NULL OR from_number NOT LIKE 'h:%')",
    /* The provider's error text may quote the number: it goes too. */
    [ST_PURGE_OUT] = "UPDATE outbox SET body = NULL, error_text = NULL,"
                     " to_number = CASE WHEN to_number LIKE 'h:%' THEN to_number"
                     " ELSE peerline_hash(to_number) END"
                     " WHERE id BETWEEN ?2 AND ?3 AND created_at < ?1"
                     " AND state NOT IN ('pending','sending')"
                     " AND (body IS NOT NULL OR to_number NOT LIKE 'h:%'"
                     " OR error_text IS NOT NULL)",
    [ST_PURGE_CONV] = "UPDATE conversations SET texter = peerline_hash(texter)"
                      " WHERE id BETWEEN ?2 AND ?3 AND state = 'closed' AND closed_at < ?1"
                      " AND texter NOT LIKE 'h:%'",
    /* What is known of a number that has not been in touch since the cutoff. */
    [ST_PURGE_CONTACTS] = "DELETE FROM contacts WHERE number IN (SELECT number FROM contacts"
                          " WHERE number > ?3 AND first_seen < ?1 AND NOT EXISTS"
                          " (SELECT 1 FROM conversations c WHERE c.texter = contacts.number"
                          " AND (c.state <> 'closed' OR c.closed_at >= ?1))"
                          " ORDER BY number LIMIT ?2) RETURNING number",
    [ST_PURGE_LAST_IDS] = "SELECT (SELECT max(id) FROM inbound), (SELECT max(id) FROM outbox),"
                          " (SELECT max(id) FROM conversations), (SELECT max(id) FROM calls),"
                          " (SELECT max(id) FROM notes)",
    /* A voicemail's recording is deleted at the provider; the caller's number is hashed. */
    [ST_PURGE_QUEUE_REC] = "INSERT INTO redactions (sid, created_at)"
                           " SELECT recording_sid, ?2 FROM calls WHERE id BETWEEN ?3 AND ?4"
                           " AND created_at < ?1 AND state = 'ended' AND recording_sid IS NOT NULL"
                           " ON CONFLICT (sid) DO NOTHING",
    [ST_PURGE_CALLS] = "UPDATE calls SET recording_sid = NULL,"
                       " caller = CASE WHEN caller LIKE 'h:%' OR caller = 'anonymous' THEN caller"
                       " ELSE peerline_hash(caller) END"
                       " WHERE id BETWEEN ?2 AND ?3 AND created_at < ?1 AND state = 'ended'"
                       " AND (recording_sid IS NOT NULL OR (caller NOT LIKE 'h:%'"
                       " AND caller <> 'anonymous'))",
    /* Peers' notes are message text: the words and the texter's number go, the row stays. */
    [ST_PURGE_NOTES] = "UPDATE notes SET body = NULL, texter = NULL"
                       " WHERE id BETWEEN ?2 AND ?3 AND created_at < ?1"
                       " AND (body IS NOT NULL OR texter IS NOT NULL)",
    [ST_REDACT_NEXT] = "SELECT sid, attempts FROM redactions WHERE done_at IS NULL"
                       " AND next_at <= ?1 ORDER BY next_at, created_at LIMIT 1",
    [ST_REDACT_DONE] = "UPDATE redactions SET done_at = ?2, outcome = ?3,"
                       " attempts = attempts + 1 WHERE sid = ?1",
    [ST_REDACT_RETRY] = "UPDATE redactions SET next_at = ?2, outcome = ?3,"
                        " attempts = attempts + 1 WHERE sid = ?1",
    [ST_REDACT_COUNT] = "SELECT COUNT(*) FROM redactions WHERE done_at IS NULL",
};

/*
 * The purge goes through each table in ranges of PURGE_RANGE ids, each range
 * its own short transaction: a first purge of a year of texts never holds
 * the write lock long enough to make a webhook wait (and fail a text).
 * Every step is idempotent, so a purge cut short is finished by the next.
 */
#define PURGE_RANGE 1000

/*
 * Runs purge statement id over ids [lo, hi] with the cutoff; *n += rows
 * changed. The statements that queue redactions also take now: they number
 * their parameters (cutoff, now, lo, hi), the others (cutoff, lo, hi).
 */
static int purge_step(struct store *s, enum store_stmt id, int64_t before, int64_t now, int64_t lo,
                      int64_t hi, int64_t *n)
{
    struct db_stmt *p = store_stmt(s, id);
    int k = 1;

    db_bind_int64(p, k++, before);
    if (id == ST_PURGE_QUEUE_IN || id == ST_PURGE_QUEUE_OUT || id == ST_PURGE_QUEUE_REC)
        db_bind_int64(p, k++, now);
    db_bind_int64(p, k++, lo);
    db_bind_int64(p, k, hi);
    if (store_exec(s, p))
        return STORE_ERROR;
    if (n)
        *n += db_changes(s->db);
    return STORE_OK;
}

/* Runs steps a (and b, unless ST_COUNT) together over every range of ids up to last. */
static int purge_table(struct store *s, enum store_stmt a, int64_t *na, enum store_stmt b,
                       int64_t *nb, int64_t last, int64_t before, int64_t now)
{
    int64_t lo;

    for (lo = 1; lo <= last; lo += PURGE_RANGE) {
        int64_t hi = lo + PURGE_RANGE - 1;
        if (store_begin(s))
            return STORE_ERROR;
        if (purge_step(s, a, before, now, lo, hi, na) ||
            (b != ST_COUNT && purge_step(s, b, before, now, lo, hi, nb)) || store_commit(s)) {
            store_rollback(s);
            return STORE_ERROR;
        }
    }
    return STORE_OK;
}

/*
 * Contacts have no row id to range over: each transaction forgets up to
 * PURGE_RANGE of them in the order of their numbers, and the next one
 * starts after the last it forgot, so no row is looked at twice.
 */
static int purge_contacts(struct store *s, int64_t before, int64_t *n)
{
    char after[64] = ""; /* the last number forgotten: the next transaction starts after it */
    int64_t got;
    int rc;

    do {
        struct db_stmt *p;
        if (store_begin(s))
            return STORE_ERROR;
        p = store_stmt(s, ST_PURGE_CONTACTS);
        db_bind_int64(p, 1, before);
        db_bind_int64(p, 2, PURGE_RANGE);
        db_bind_text(p, 3, after);
        got = 0;
        while ((rc = db_step(p)) == DB_ROW) {
            const char *num = db_col_text(p, 0);
            if (num && strcmp(num, after) > 0)
                snprintf(after, sizeof(after), "%s", num);
            got++;
        }
        db_reset(p);
        if (rc != DB_DONE || store_commit(s)) {
            if (rc != DB_DONE)
                store_fail(s, p, rc);
            store_rollback(s);
            return STORE_ERROR;
        }
        *n += got;
    } while (got >= PURGE_RANGE);
    return STORE_OK;
}

int store_purge(struct store *s, int64_t before, int64_t now, struct store_purged *c)
{
    struct db_stmt *p = store_stmt(s, ST_PURGE_LAST_IDS);
    int64_t last[5];
    int i, rc;

    memset(c, 0, sizeof(*c));
    rc = db_step(p);
    if (rc != DB_ROW)
        return store_fail(s, p, rc);
    for (i = 0; i < 5; i++)
        last[i] = db_col_int64(p, i); /* NULL (an empty table) reads as 0 */
    db_reset(p);
    /* A text's provider id is queued for redaction in the same range as its text goes. */
    if (purge_table(s, ST_PURGE_QUEUE_IN, &c->redactions, ST_PURGE_IN, &c->inbound, last[0], before,
                    now) ||
        purge_table(s, ST_PURGE_QUEUE_OUT, &c->redactions, ST_PURGE_OUT, &c->outbox, last[1],
                    before, now) ||
        purge_table(s, ST_PURGE_CONV, &c->conversations, ST_COUNT, NULL, last[2], before, now) ||
        purge_contacts(s, before, &c->contacts) ||
        purge_table(s, ST_PURGE_QUEUE_REC, &c->redactions, ST_PURGE_CALLS, &c->calls, last[3],
                    before, now) ||
        purge_table(s, ST_PURGE_NOTES, &c->notes, ST_COUNT, NULL, last[4], before, now))
        return STORE_ERROR;
    /*
     * SQLite: secure_delete zeroed what the purge freed in the database;
     * the old pages still sit in the write-ahead log until a checkpoint
     * copies the new ones over and truncates it. PostgreSQL has no
     * secure_delete: the old row versions stay in the tables' files until
     * VACUUM prunes them (README "Retention on PostgreSQL" says what is
     * left even then), so the purge runs one on what it changed.
     */
    if (db_kind(s->db) == DB_PG) {
        if (db_exec(s->db, "VACUUM inbound, outbox, conversations, contacts, calls, notes"))
            c->checkpoint_busy = 1;
    } else if (db_checkpoint(s->db, 1)) {
        c->checkpoint_busy = 1;
    }
    return STORE_OK;
}

int store_redaction_next(struct store *s, int64_t now, char sid[STORE_SID], int *attempts)
{
    struct db_stmt *p = store_stmt(s, ST_REDACT_NEXT);
    int rc;

    db_bind_int64(p, 1, now);
    rc = db_step(p);
    if (rc == DB_ROW) {
        store_col_text(p, 0, sid, STORE_SID);
        *attempts = (int)db_col_int64(p, 1);
        db_reset(p);
        return STORE_FOUND;
    }
    db_reset(p);
    return rc == DB_DONE ? STORE_OK : store_fail(s, p, rc);
}

int store_redaction_done(struct store *s, const char *sid, const char *outcome, int64_t now)
{
    struct db_stmt *p = store_stmt(s, ST_REDACT_DONE);

    db_bind_text(p, 1, sid);
    db_bind_int64(p, 2, now);
    db_bind_text(p, 3, outcome);
    return store_exec(s, p);
}

int store_redaction_retry(struct store *s, const char *sid, int64_t next_at, const char *why)
{
    struct db_stmt *p = store_stmt(s, ST_REDACT_RETRY);

    db_bind_text(p, 1, sid);
    db_bind_int64(p, 2, next_at);
    db_bind_text(p, 3, why);
    return store_exec(s, p);
}

int store_redaction_pending(struct store *s, int64_t *n)
{
    struct db_stmt *p = store_stmt(s, ST_REDACT_COUNT);
    int rc = db_step(p);

    if (rc == DB_ROW)
        *n = db_col_int64(p, 0);
    db_reset(p);
    return rc == DB_ROW ? STORE_OK : store_fail(s, p, rc);
}

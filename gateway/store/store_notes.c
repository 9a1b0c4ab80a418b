/*
 * store_notes.c - peers' private notes on a chat (SPEC section 11): kept
 * with the conversation and the texter's number, read back by texter (for
 * the next peer who takes them) or by conversation (for a coordinator's
 * audited read), and counted for /metrics and reports.
 *
 * A note is message text: the purge (store_purge.c) clears its body and
 * texter; the row stays, so the counts do.
 */
#include "store_priv.h"

#include <string.h>

#define NOTE_COLS "id, conversation_id, peer_id, writer, body, created_at"

const char *const store_sql_notes[ST_COUNT] = {
    [ST_NOTE_ADD] = "INSERT INTO notes (conversation_id, texter, peer_id, writer, body, created_at)"
                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
    /* Through the partial index notes_texter: purged notes are not in it. */
    [ST_NOTE_RECENT] = "SELECT " NOTE_COLS " FROM notes WHERE texter = ?1 AND created_at >= ?2"
                       " AND body IS NOT NULL ORDER BY created_at DESC, id DESC LIMIT ?3",
    [ST_NOTE_OF_CONV] = "SELECT " NOTE_COLS " FROM notes WHERE conversation_id = ?1"
                        " ORDER BY created_at DESC, id DESC",
};

int store_note_add(struct store *s, int64_t conv_id, const char *texter, const char *peer_id,
                   const char *writer, const char *body, int64_t now)
{
    struct db_stmt *p = store_stmt(s, ST_NOTE_ADD);

    db_bind_int64(p, 1, conv_id);
    db_bind_text(p, 2, texter);
    db_bind_text(p, 3, peer_id);
    db_bind_text(p, 4, writer);
    db_bind_text(p, 5, body);
    db_bind_int64(p, 6, now);
    return store_insert(s, p) == STORE_NEW ? STORE_OK : STORE_ERROR;
}

/* Calls fn for each row of p (NOTE_COLS); the body is valid during the call only. */
static int each_note(struct store *s, struct db_stmt *p,
                     int (*fn)(void *arg, const struct store_note *n), void *arg)
{
    struct store_note n;
    int rc;

    while ((rc = db_step(p)) == DB_ROW) {
        memset(&n, 0, sizeof(n));
        n.id = db_col_int64(p, 0);
        n.conv_id = db_col_int64(p, 1);
        store_col_text(p, 2, n.peer_id, sizeof(n.peer_id));
        store_col_text(p, 3, n.writer, sizeof(n.writer));
        n.body = db_col_text(p, 4);
        n.created_at = db_col_int64(p, 5);
        if (fn(arg, &n)) {
            db_reset(p);
            return STORE_ERROR;
        }
    }
    db_reset(p);
    return rc == DB_DONE ? STORE_OK : store_fail(s, p, rc);
}

int store_notes_recent(struct store *s, const char *texter, int64_t since, int max,
                       int (*fn)(void *arg, const struct store_note *n), void *arg)
{
    struct db_stmt *p = store_stmt(s, ST_NOTE_RECENT);

    db_bind_text(p, 1, texter);
    db_bind_int64(p, 2, since);
    db_bind_int64(p, 3, max);
    return each_note(s, p, fn, arg);
}

int store_notes_of_conv(struct store *s, int64_t conv_id,
                        int (*fn)(void *arg, const struct store_note *n), void *arg)
{
    struct db_stmt *p = store_stmt(s, ST_NOTE_OF_CONV);

    db_bind_int64(p, 1, conv_id);
    return each_note(s, p, fn, arg);
}

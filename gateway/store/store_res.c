/*
 * store_res.c - the resource_sends table: one row each time a peer sends a
 * roster resource to a texter (#res ID). It names the resource, the chat,
 * the peer and the language, never the text or a number, so /metrics and
 * `peerline report` can count sends by id and retention has nothing to
 * purge in it.
 */
#include "store_priv.h"

const char *const store_sql_res[ST_COUNT] = {
    [ST_RES_SENT] =
        "INSERT INTO resource_sends (conversation_id, resource_id, peer_id, lang, sent_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5)",
    [ST_RES_COUNTS] = "SELECT resource_id, COUNT(*) FROM resource_sends WHERE sent_at >= ?1"
                      " GROUP BY resource_id ORDER BY resource_id",
};

int store_resource_sent(struct store *s, int64_t conv_id, const char *resource_id,
                        const char *peer_id, const char *lang, int64_t now)
{
    struct db_stmt *p = store_stmt(s, ST_RES_SENT);

    db_bind_int64(p, 1, conv_id);
    store_bind_text(p, 2, resource_id);
    store_bind_text(p, 3, peer_id);
    store_bind_text(p, 4, lang);
    db_bind_int64(p, 5, now);
    return store_exec(s, p);
}

int store_resource_counts(struct store *s, int64_t since,
                          int (*fn)(void *arg, const char *resource_id, int64_t n), void *arg)
{
    struct db_stmt *p = store_stmt(s, ST_RES_COUNTS);
    int rc;

    db_bind_int64(p, 1, since);
    while ((rc = db_step(p)) == DB_ROW) {
        const char *id = (const char *)db_col_text(p, 0);
        if (fn(arg, id ? id : "", db_col_int64(p, 1))) {
            db_reset(p);
            return STORE_ERROR;
        }
    }
    db_reset(p);
    return rc == DB_DONE ? STORE_OK : store_fail(s, p, rc);
}

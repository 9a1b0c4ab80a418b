/*
 * store_dialect.c - the statements PostgreSQL runs in words of its own,
 * each with why. Every other statement of the store_*.c files runs on both
 * databases as written (the PostgreSQL driver only renumbers ?N as $N).
 */
#include "store_priv.h"

const char *const store_sql_pg[ST_COUNT] = {
    /* No PRAGMA: a query the server must answer. */
    [ST_PING] = "SELECT 1",
    /*
     * Senders of several instances claim at once (store_begin_shared): each
     * skips the rows another is claiming instead of queueing behind it.
     * THREAD_HEAD still holds a thread's later texts back while an earlier
     * one is being claimed: it sees that row as pending.
     */
    [ST_OUT_CANDIDATES] = "SELECT " OUT_COLS " FROM outbox o WHERE state = 'pending'"
                          " AND not_before <= ?1 AND" THREAD_HEAD " ORDER BY kind, id LIMIT ?2"
                          " FOR UPDATE OF o SKIP LOCKED",
    /* The same for the voicer's REST calls. */
    [ST_VOP_NEXT] = "SELECT id, call_id, leg_id, op, attempts, created_at, expires_at"
                    " FROM voice_ops WHERE state = 'pending' AND not_before <= ?1"
                    " AND (lease_until IS NULL OR lease_until < ?1) ORDER BY id LIMIT 1"
                    " FOR UPDATE SKIP LOCKED",
};

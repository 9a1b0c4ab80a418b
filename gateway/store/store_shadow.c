/*
 * store_shadow.c - trainees reading along (table `shadows`, schema 6) and a
 * texter's PRIVATE (conversations.private).
 *
 * A shadow is one trainee's read-only copy of one chat, on a pool number of
 * the trainee's own. At most one is open per trainee (a unique index); one
 * ends once (compare-and-set on ended_at), with a short reason word. Rows
 * are kept after they end: they are what /metrics and `peerline report`
 * count, and they hold no message text and no texter number.
 */
#include "store_priv.h"

#include <string.h>

#define SHADOW_COLS "id, conversation_id, trainee_id, number, started_at"

const char *const store_sql_shadow[ST_COUNT] = {
    /* A second open shadow for the trainee is refused by the index: nothing inserted. */
    [ST_SHADOW_START] = "INSERT INTO shadows (conversation_id, trainee_id, number, started_at)"
                        " VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING RETURNING id",
    [ST_SHADOW_OF_CONV] = "SELECT " SHADOW_COLS " FROM shadows WHERE conversation_id = ?1"
                          " AND ended_at IS NULL ORDER BY id LIMIT 1",
    [ST_SHADOW_OF_TRAINEE] = "SELECT " SHADOW_COLS " FROM shadows WHERE trainee_id = ?1"
                             " AND ended_at IS NULL",
    [ST_SHADOW_END] = "UPDATE shadows SET ended_at = ?2, end_reason = ?3"
                      " WHERE id = ?1 AND ended_at IS NULL",
    [ST_SHADOW_LAST] = "SELECT COALESCE(MAX(started_at), 0) FROM shadows WHERE trainee_id = ?1",
    [ST_SHADOW_OPEN_LIST] =
        "SELECT " SHADOW_COLS " FROM shadows WHERE ended_at IS NULL ORDER BY id",
    [ST_CONV_SET_PRIVATE] = "UPDATE conversations SET private = 1 WHERE id = ?1",
    [ST_CONV_PRIVATE] = "SELECT private FROM conversations WHERE id = ?1",
};

static int read_shadow(struct db_stmt *p, void *out)
{
    struct store_shadow *sh = out;

    sh->id = db_col_int64(p, 0);
    sh->conv_id = db_col_int64(p, 1);
    store_col_text(p, 2, sh->trainee_id, sizeof(sh->trainee_id));
    store_col_text(p, 3, sh->number, sizeof(sh->number));
    sh->started_at = db_col_int64(p, 4);
    return 0;
}

int store_shadow_start(struct store *s, int64_t conv_id, const char *trainee_id, const char *number,
                       int64_t now)
{
    struct db_stmt *p = store_stmt(s, ST_SHADOW_START);
    int rc;

    db_bind_int64(p, 1, conv_id);
    db_bind_text(p, 2, trainee_id);
    db_bind_text(p, 3, number);
    db_bind_int64(p, 4, now);
    rc = store_insert(s, p);
    if (rc == STORE_ERROR)
        return STORE_ERROR;
    return rc == STORE_NEW ? STORE_OK : STORE_CONFLICT;
}

int store_shadow_of_conv(struct store *s, int64_t conv_id, struct store_shadow *sh)
{
    struct db_stmt *p = store_stmt(s, ST_SHADOW_OF_CONV);

    db_bind_int64(p, 1, conv_id);
    return store_one(s, p, read_shadow, sh, sizeof(*sh));
}

int store_shadow_of_trainee(struct store *s, const char *trainee_id, struct store_shadow *sh)
{
    struct db_stmt *p = store_stmt(s, ST_SHADOW_OF_TRAINEE);

    db_bind_text(p, 1, trainee_id);
    return store_one(s, p, read_shadow, sh, sizeof(*sh));
}

int store_shadow_end(struct store *s, int64_t id, const char *reason, int64_t now)
{
    struct db_stmt *p = store_stmt(s, ST_SHADOW_END);

    db_bind_int64(p, 1, id);
    db_bind_int64(p, 2, now);
    db_bind_text(p, 3, reason);
    return store_exec_cas(s, p);
}

int store_shadow_last_started(struct store *s, const char *trainee_id, int64_t *at)
{
    struct db_stmt *p = store_stmt(s, ST_SHADOW_LAST);
    int rc;

    *at = 0;
    db_bind_text(p, 1, trainee_id);
    rc = db_step(p);
    if (rc == DB_ROW)
        *at = db_col_int64(p, 0);
    db_reset(p);
    return rc == DB_ROW ? STORE_OK : store_fail(s, p, rc);
}

int store_shadow_open_list(struct store *s, int (*fn)(void *arg, const struct store_shadow *sh),
                           void *arg)
{
    struct db_stmt *p = store_stmt(s, ST_SHADOW_OPEN_LIST);
    struct store_shadow sh;
    int rc;

    while ((rc = db_step(p)) == DB_ROW) {
        memset(&sh, 0, sizeof(sh));
        read_shadow(p, &sh);
        if (fn(arg, &sh)) {
            db_reset(p);
            return STORE_ERROR;
        }
    }
    db_reset(p);
    return rc == DB_DONE ? STORE_OK : store_fail(s, p, rc);
}

int store_conv_set_private(struct store *s, int64_t conv_id)
{
    struct db_stmt *p = store_stmt(s, ST_CONV_SET_PRIVATE);

    db_bind_int64(p, 1, conv_id);
    return store_exec(s, p);
}

int store_conv_is_private(struct store *s, int64_t conv_id)
{
    struct db_stmt *p = store_stmt(s, ST_CONV_PRIVATE);
    int rc, private = 0;

    db_bind_int64(p, 1, conv_id);
    rc = db_step(p);
    if (rc == DB_ROW)
    private = db_col_int64(p, 0) != 0;
    db_reset(p);
    if (rc != DB_ROW && rc != DB_DONE)
        return store_fail(s, p, rc);
    return private;
}

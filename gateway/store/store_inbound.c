/*
 * store_inbound.c - the inbound and status_events tables: what the provider
 * told us, stored before it is acknowledged, and handled by the engine in
 * arrival order.
 */
#include "store_priv.h"

#include <stdlib.h>
#include <string.h>

const char *const store_sql_inbound[ST_COUNT] = {
    [ST_IN_ADD] = "INSERT INTO inbound (provider_sid, from_number, to_number, body, num_media,"
                  " received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
                  " ON CONFLICT (provider_sid) DO NOTHING RETURNING id",
    [ST_IN_NEXT] = "SELECT id, provider_sid, from_number, to_number, body, num_media, received_at"
                   " FROM inbound WHERE processed_at IS NULL ORDER BY id LIMIT 1",
    [ST_IN_DONE] = "UPDATE inbound SET processed_at = ?2, conversation_id = ?3, pending_relay = ?4"
                   " WHERE id = ?1 AND processed_at IS NULL",
    [ST_IN_PENDING] = "SELECT id, body FROM inbound WHERE conversation_id = ?1"
                      " AND pending_relay = 1 ORDER BY id",
    [ST_IN_PENDING_CLEAR] = "UPDATE inbound SET pending_relay = 0 WHERE conversation_id = ?1"
                            " AND pending_relay = 1",
    [ST_IN_GET] = "SELECT id, provider_sid, from_number, to_number, body, num_media, received_at"
                  " FROM inbound WHERE id = ?1",
    [ST_STATUS_ADD] = "INSERT INTO status_events (provider_sid, status, error_code, received_at)"
                      " VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING RETURNING id",
    /* The texter's texts the peer never answered (after the peer's last word). */
    [ST_IN_REPEND_UNANSWERED] = "UPDATE inbound SET pending_relay = 1 WHERE conversation_id = ?1"
                                " AND from_number = ?2 AND received_at > ?3",
    [ST_IN_FAILED] = "UPDATE inbound SET processed_at = ?2, failed = 1, pending_relay = 0"
                     " WHERE id = ?1",
    [ST_IN_IGNORE] = "UPDATE inbound SET ignored = ?2, pending_relay = 0 WHERE id = ?1",
    [ST_STATUS_NEXT] = "SELECT id, provider_sid, status, error_code, received_at"
                       " FROM status_events WHERE processed_at IS NULL AND id > ?1"
                       " ORDER BY id LIMIT 1",
    [ST_STATUS_DONE] = "UPDATE status_events SET processed_at = ?2 WHERE id = ?1",
};

int store_inbound_add(struct store *s, const char *sid, const char *from, const char *to,
                      const char *body, int num_media, int64_t now)
{
    struct db_stmt *p = store_stmt(s, ST_IN_ADD);

    db_bind_text(p, 1, sid);
    db_bind_text(p, 2, from);
    db_bind_text(p, 3, to);
    db_bind_text(p, 4, body ? body : "");
    db_bind_int64(p, 5, num_media);
    db_bind_int64(p, 6, now);
    return store_insert(s, p);
}

static int read_inbound(struct db_stmt *p, void *out)
{
    struct store_inbound *in = out;
    const char *body = db_col_text(p, 4);

    in->id = db_col_int64(p, 0);
    store_col_text(p, 1, in->sid, sizeof(in->sid));
    store_col_text(p, 2, in->from, sizeof(in->from));
    store_col_text(p, 3, in->to, sizeof(in->to));
    in->body = strdup(body ? (const char *)body : "");
    in->num_media = (int)db_col_int64(p, 5);
    in->received_at = db_col_int64(p, 6);
    return in->body ? 0 : -1;
}

int store_inbound_next(struct store *s, struct store_inbound *in)
{
    return store_one(s, store_stmt(s, ST_IN_NEXT), read_inbound, in, sizeof(*in));
}

int store_inbound_get(struct store *s, int64_t id, struct store_inbound *in)
{
    struct db_stmt *p = store_stmt(s, ST_IN_GET);

    db_bind_int64(p, 1, id);
    return store_one(s, p, read_inbound, in, sizeof(*in));
}

void store_inbound_clear(struct store_inbound *in)
{
    free(in->body);
    in->body = NULL;
}

int store_inbound_done(struct store *s, int64_t id, int64_t conv_id, int pending_relay, int64_t now)
{
    struct db_stmt *p = store_stmt(s, ST_IN_DONE);

    db_bind_int64(p, 1, id);
    db_bind_int64(p, 2, now);
    if (conv_id)
        db_bind_int64(p, 3, conv_id);
    db_bind_int64(p, 4, pending_relay ? 1 : 0);
    return store_exec_cas(s, p);
}

int store_inbound_repend_unanswered(struct store *s, int64_t conv_id, const char *texter,
                                    int64_t after)
{
    struct db_stmt *p = store_stmt(s, ST_IN_REPEND_UNANSWERED);

    db_bind_int64(p, 1, conv_id);
    db_bind_text(p, 2, texter);
    db_bind_int64(p, 3, after);
    return store_exec(s, p);
}

int store_inbound_failed(struct store *s, int64_t id, int64_t now)
{
    struct db_stmt *p = store_stmt(s, ST_IN_FAILED);

    db_bind_int64(p, 1, id);
    db_bind_int64(p, 2, now);
    return store_exec_cas(s, p);
}

int store_inbound_ignore(struct store *s, int64_t id, const char *why)
{
    struct db_stmt *p = store_stmt(s, ST_IN_IGNORE);

    db_bind_int64(p, 1, id);
    db_bind_text(p, 2, why);
    return store_exec_cas(s, p);
}

int store_inbound_take_pending(struct store *s, int64_t conv_id,
                               int (*fn)(void *arg, int64_t id, const char *body), void *arg)
{
    struct db_stmt *p = store_stmt(s, ST_IN_PENDING);
    int rc;

    db_bind_int64(p, 1, conv_id);
    while ((rc = db_step(p)) == DB_ROW) {
        const char *body = db_col_text(p, 1);
        if (fn(arg, db_col_int64(p, 0), body ? (const char *)body : "")) {
            db_reset(p);
            return STORE_ERROR;
        }
    }
    if (rc != DB_DONE) {
        store_fail(s, p, rc);
        db_reset(p);
        return STORE_ERROR;
    }
    db_reset(p);
    p = store_stmt(s, ST_IN_PENDING_CLEAR);
    db_bind_int64(p, 1, conv_id);
    return store_exec(s, p);
}

int store_status_add(struct store *s, const char *sid, const char *status, int error_code,
                     int64_t now)
{
    struct db_stmt *p = store_stmt(s, ST_STATUS_ADD);

    db_bind_text(p, 1, sid);
    db_bind_text(p, 2, status);
    if (error_code)
        db_bind_int64(p, 3, error_code);
    db_bind_int64(p, 4, now);
    return store_insert(s, p);
}

/* store_add_many: the items of one kind, in order. */
struct many {
    struct store_new *items;
    size_t *which; /* the i-th run is items[which[i]] */
};

static int bind_new(void *arg, size_t i, struct db_stmt *p)
{
    const struct many *m = arg;
    const struct store_new *it = &m->items[m->which[i]];

    if (it->is_status) {
        db_bind_text(p, 1, it->sid);
        db_bind_text(p, 2, it->status);
        if (it->error_code)
            db_bind_int64(p, 3, it->error_code);
        return db_bind_int64(p, 4, it->now);
    }
    db_bind_text(p, 1, it->sid);
    db_bind_text(p, 2, it->from);
    db_bind_text(p, 3, it->to);
    db_bind_text(p, 4, it->body ? it->body : "");
    db_bind_int64(p, 5, it->num_media);
    return db_bind_int64(p, 6, it->now);
}

/* A row from RETURNING id: that run stored something new. */
static int got_new(void *arg, size_t i, struct db_stmt *p)
{
    const struct many *m = arg;
    struct store_new *it = &m->items[m->which[i]];

    it->rc = STORE_NEW;
    it->id = db_col_int64(p, 0);
    return DB_OK;
}

int store_add_many(struct store *s, struct store_new *items, size_t n)
{
    size_t *which = malloc((n ? n : 1) * sizeof(*which)), i, k;
    struct many m = {items, which};
    int kind, rc = STORE_OK;

    if (!which)
        return STORE_ERROR;
    for (kind = 0; kind < 2 && rc == STORE_OK; kind++) {
        struct db_stmt *p;
        for (i = k = 0; i < n; i++)
            if (items[i].is_status == kind) {
                items[i].rc = STORE_OK;
                items[i].id = 0;
                which[k++] = i;
            }
        if (!k)
            continue;
        p = store_stmt(s, kind ? ST_STATUS_ADD : ST_IN_ADD);
        if (db_run_many(p, k, bind_new, got_new, &m))
            rc = store_fail(s, p, DB_ERROR);
        db_reset(p);
    }
    free(which);
    return rc;
}

int store_status_next(struct store *s, int64_t after_id, struct store_status *st)
{
    struct db_stmt *p = store_stmt(s, ST_STATUS_NEXT);
    int rc;

    db_bind_int64(p, 1, after_id);
    rc = db_step(p);

    memset(st, 0, sizeof(*st));
    if (rc == DB_DONE) {
        db_reset(p);
        return STORE_OK;
    }
    if (rc != DB_ROW) {
        store_fail(s, p, rc);
        db_reset(p);
        return STORE_ERROR;
    }
    st->id = db_col_int64(p, 0);
    store_col_text(p, 1, st->sid, sizeof(st->sid));
    store_col_text(p, 2, st->status, sizeof(st->status));
    st->error_code = (int)db_col_int64(p, 3);
    st->received_at = db_col_int64(p, 4);
    db_reset(p);
    return STORE_FOUND;
}

int store_status_done(struct store *s, int64_t id, int64_t now)
{
    struct db_stmt *p = store_stmt(s, ST_STATUS_DONE);

    db_bind_int64(p, 1, id);
    db_bind_int64(p, 2, now);
    return store_exec(s, p);
}

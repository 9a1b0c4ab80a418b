/*
 * store_voice.c - see store_voice.h.
 */
#include "store_priv.h"
#include "store_voice.h"

#include <stdint.h>
#include <string.h>

#define CALL_COLS                                                                                  \
    "id, call_sid, caller, line_number, lang, state, topic, urgent, menu_tries, peer_id,"          \
    " created_at, queued_at, ring_until, answered_at, ended_at, outcome, recording_sid,"           \
    " recording_secs, notified"
#define LEG_COLS "id, call_id, peer_id, peer_phone, kind, state, leg_sid, end_status"

static const char *const call_states[] = {"menu", "ringing", "connected", "voicemail", "ended"};
static const char *const leg_states[] = {"pending", "ringing", "accepted", "done"};
static const char *const vop_kinds[] = {"dial", "hangup", "voicemail"};

const char *const store_sql_voice[ST_COUNT] = {
    [ST_CALL_OPEN] = "INSERT INTO calls (call_sid, caller, line_number, lang, state,"
                     " created_at) VALUES (?1, ?2, ?3, ?4, 'menu', ?5) ON CONFLICT DO NOTHING",
    [ST_CALL_BY_SID] = "SELECT " CALL_COLS " FROM calls WHERE call_sid = ?1",
    [ST_CALL_GET] = "SELECT " CALL_COLS " FROM calls WHERE id = ?1",
    [ST_CALL_MENU_TRY] = "UPDATE calls SET menu_tries = menu_tries + 1 WHERE id = ?1",
    [ST_CALL_RING] = "UPDATE calls SET state = 'ringing', topic = ?2, queued_at = ?3,"
                     " ring_until = ?4 WHERE id = ?1 AND state = 'menu'",
    [ST_CALL_RING_OVER] = "UPDATE calls SET ring_until = CASE WHEN ring_until < ?2"
                          " THEN ring_until ELSE ?2 END WHERE id = ?1 AND state = 'ringing'",
    [ST_CALL_ACCEPT] = "UPDATE calls SET state = 'connected', peer_id = ?2, answered_at = ?3"
                       " WHERE id = ?1 AND state = 'ringing'",
    [ST_CALL_MOVE] = "UPDATE calls SET state = ?3, outcome = COALESCE(?4, outcome),"
                     " notified = CASE WHEN ?5 THEN 0 ELSE notified END,"
                     " ended_at = CASE WHEN ?3 = 'ended' THEN ?6 ELSE ended_at END"
                     " WHERE id = ?1 AND state = ?2",
    [ST_CALL_END] = "UPDATE calls SET state = 'ended', outcome = COALESCE(?2, outcome),"
                    " notified = CASE WHEN ?3 THEN 0 ELSE notified END, ended_at = ?4"
                    " WHERE id = ?1 AND state <> 'ended'",
    [ST_CALL_URGENT] = "UPDATE calls SET urgent = 1 WHERE id = ?1",
    [ST_CALL_RECORDED] = "UPDATE calls SET recording_sid = ?2, recording_secs = ?3,"
                         " notified = 0 WHERE id = ?1",
    [ST_CALL_RING_DUE] = "SELECT " CALL_COLS " FROM calls WHERE state = 'ringing'"
                         " AND ring_until <= ?1 ORDER BY ring_until LIMIT 1",
    [ST_CALL_NEXT_RING] = "SELECT MIN(ring_until) FROM calls WHERE state = 'ringing'",
    [ST_CALL_UNNOTIFIED] = "SELECT " CALL_COLS " FROM calls WHERE notified = 0"
                           " ORDER BY id LIMIT 1",
    [ST_CALL_NOTIFIED] = "UPDATE calls SET notified = 1 WHERE id = ?1",
    [ST_CALL_FILE] =
        "INSERT INTO conversations (texter, line_number, state, topic, lang, urgent, peer_id,"
        " created_at, queued_at, matched_at, closed_at, close_reason, channel)"
        " SELECT caller, line_number, 'closed', topic, lang, urgent, peer_id, created_at,"
        " queued_at, answered_at, COALESCE(ended_at, created_at), 'call-' || COALESCE(outcome, ''),"
        " 'voice' FROM calls WHERE id = ?1 AND conversation_id IS NULL RETURNING id",
    [ST_CALL_FILED] = "UPDATE calls SET conversation_id = ?2 WHERE id = ?1",
    /* state <> 'ended' first: the calls_open index, not every call ever taken. */
    [ST_CALL_STALE] =
        "SELECT " CALL_COLS " FROM calls WHERE state <> 'ended' AND ((state = 'voicemail'"
        " AND COALESCE(ring_until, created_at) < ?1) OR (state = 'menu' AND created_at < ?2)"
        " OR (state = 'connected' AND (answered_at < ?3 OR EXISTS (SELECT 1 FROM call_legs l"
        " WHERE l.call_id = calls.id AND l.kind = 'ring' AND l.peer_id = calls.peer_id"
        " AND l.state = 'done' AND l.ended_at < ?4)))) ORDER BY id LIMIT 1",
    [ST_CALL_OPEN_LIST] = "SELECT " CALL_COLS " FROM calls WHERE state <> 'ended' ORDER BY id",
    /* The peer who pressed 1 never came: the caller is offered voicemail instead. */
    [ST_CALL_UNANSWER] = "UPDATE calls SET state = 'voicemail', outcome = 'no-answer',"
                         " peer_id = NULL, answered_at = NULL, ring_until = ?2"
                         " WHERE id = ?1 AND state = 'connected'",
    [ST_LEG_ADD] = "INSERT INTO call_legs (call_id, peer_id, peer_phone, kind, state, created_at)"
                   " VALUES (?1, ?2, ?3, ?4, 'pending', ?5) RETURNING id",
    [ST_LEG_GET] = "SELECT " LEG_COLS " FROM call_legs WHERE id = ?1",
    [ST_LEG_STARTED] = "UPDATE call_legs SET leg_sid = ?2,"
                       " state = CASE WHEN state = 'pending' THEN 'ringing' ELSE state END"
                       " WHERE id = ?1",
    [ST_LEG_ACCEPT] = "UPDATE call_legs SET state = 'accepted' WHERE id = ?1"
                      " AND state IN ('pending','ringing')",
    [ST_LEG_END] = "UPDATE call_legs SET state = 'done', end_status = ?2, ended_at = ?3"
                   " WHERE id = ?1 AND state <> 'done'",
    [ST_LEG_WINNER] = "SELECT l.id, l.call_id, l.peer_id, l.peer_phone, l.kind, l.state,"
                      " l.leg_sid, l.end_status FROM call_legs l JOIN calls c ON c.id = l.call_id"
                      " WHERE l.call_id = ?1 AND l.kind = 'ring' AND l.peer_id = c.peer_id"
                      " ORDER BY l.id DESC LIMIT 1",
    [ST_LEG_LIVE] = "SELECT COUNT(*) FROM call_legs WHERE call_id = ?1"
                    " AND state IN ('pending','ringing')",
    /* Ring legs only: a #callback leg belongs to a call already over, and lives on. */
    [ST_LEG_HANG_UP_ALL] = "INSERT INTO voice_ops (call_id, leg_id, op, state, not_before,"
                           " expires_at, created_at) SELECT call_id, id, 'hangup', 'pending', ?2,"
                           " ?3, ?2 FROM call_legs WHERE call_id = ?1"
                           " AND state IN ('pending','ringing') AND kind = 'ring'"
                           " ORDER BY id",
    /* A ring leg counts while its call is open; a #callback leg while it lasts. */
    [ST_LEG_PEER_BUSY] = "SELECT EXISTS (SELECT 1 FROM call_legs l JOIN calls c ON c.id = l.call_id"
                         " WHERE l.peer_id = ?1 AND l.state IN ('pending','ringing','accepted')"
                         " AND (c.state <> 'ended' OR l.kind = 'callback'))",
    [ST_LEG_CALLBACK_LIVE] =
        "SELECT EXISTS (SELECT 1 FROM call_legs WHERE call_id = ?1"
        " AND kind = 'callback' AND state IN ('pending','ringing','accepted'))",
    [ST_VOP_ADD] = "INSERT INTO voice_ops (call_id, leg_id, op, state, not_before, expires_at,"
                   " created_at) VALUES (?1, ?2, ?3, 'pending', ?4, ?5, ?4)",
    [ST_VOP_NEXT] = "SELECT id, call_id, leg_id, op, attempts, created_at, expires_at"
                    " FROM voice_ops WHERE state = 'pending' AND not_before <= ?1"
                    " AND (lease_until IS NULL OR lease_until < ?1) ORDER BY id LIMIT 1",
    [ST_VOP_LEASE] = "UPDATE voice_ops SET lease_until = ?2, attempts = attempts + 1"
                     " WHERE id = ?1 AND state = 'pending'"
                     " AND (lease_until IS NULL OR lease_until < ?3)",
    [ST_VOP_DONE] = "UPDATE voice_ops SET state = ?2, error_code = ?3, done_at = ?4,"
                    " lease_until = NULL WHERE id = ?1",
    [ST_VOP_RETRY] = "UPDATE voice_ops SET not_before = ?2, error_code = ?3, lease_until = NULL"
                     " WHERE id = ?1 AND state = 'pending'",
    [ST_VOP_NEXT_DUE] =
        "SELECT MIN(CASE WHEN lease_until > not_before THEN lease_until ELSE not_before END)"
        " FROM voice_ops WHERE state = 'pending'",
};

static int name_index(const char *const *names, size_t n, const char *s)
{
    size_t i;

    for (i = 0; s && i < n; i++)
        if (!strcmp(names[i], s))
            return (int)i;
    return 0;
}

#define INDEX_OF(names, s) name_index(names, sizeof(names) / sizeof(names[0]), s)

static int read_call(struct db_stmt *p, void *out)
{
    struct store_call *c = out;

    memset(c, 0, sizeof(*c));
    c->id = db_col_int64(p, 0);
    store_col_text(p, 1, c->call_sid, sizeof(c->call_sid));
    store_col_text(p, 2, c->caller, sizeof(c->caller));
    store_col_text(p, 3, c->line_number, sizeof(c->line_number));
    store_col_text(p, 4, c->lang, sizeof(c->lang));
    c->state = (enum call_state)INDEX_OF(call_states, (const char *)db_col_text(p, 5));
    store_col_text(p, 6, c->topic, sizeof(c->topic));
    c->urgent = (int)db_col_int64(p, 7);
    c->menu_tries = (int)db_col_int64(p, 8);
    store_col_text(p, 9, c->peer_id, sizeof(c->peer_id));
    c->created_at = db_col_int64(p, 10);
    c->queued_at = db_col_int64(p, 11);
    c->ring_until = db_col_int64(p, 12);
    c->answered_at = db_col_int64(p, 13);
    c->ended_at = db_col_int64(p, 14);
    store_col_text(p, 15, c->outcome, sizeof(c->outcome));
    store_col_text(p, 16, c->recording_sid, sizeof(c->recording_sid));
    c->recording_secs = (int)db_col_int64(p, 17);
    c->notified = (int)db_col_int64(p, 18);
    return 0;
}

/* One call row of p (already bound) into *c: STORE_FOUND, STORE_OK (none) or STORE_ERROR. */
static int one_call(struct store *s, struct db_stmt *p, struct store_call *c)
{
    return store_one(s, p, read_call, c, sizeof(*c));
}

/* A single number of p (already bound) into *v; INT64_MAX for NULL. */
static int one_int(struct store *s, struct db_stmt *p, int64_t *v)
{
    int rc = db_step(p);

    *v = INT64_MAX;
    if (rc == DB_ROW && !db_col_null(p, 0))
        *v = db_col_int64(p, 0);
    if (rc != DB_ROW && rc != DB_DONE)
        store_fail(s, p, rc);
    db_reset(p);
    return rc == DB_ROW || rc == DB_DONE ? STORE_OK : STORE_ERROR;
}

int store_call_open(struct store *s, const char *call_sid, const char *caller, const char *line,
                    const char *lang, int64_t now, struct store_call *c)
{
    struct db_stmt *p = store_stmt(s, ST_CALL_OPEN);
    int made;

    db_bind_text(p, 1, call_sid);
    db_bind_text(p, 2, caller);
    db_bind_text(p, 3, line);
    db_bind_text(p, 4, lang);
    db_bind_int64(p, 5, now);
    if (store_exec(s, p))
        return STORE_ERROR;
    made = db_changes(s->db) == 1;
    p = store_stmt(s, ST_CALL_BY_SID);
    db_bind_text(p, 1, call_sid);
    if (one_call(s, p, c) != STORE_FOUND)
        return STORE_ERROR;
    return made ? STORE_NEW : STORE_OK;
}

int store_call_get(struct store *s, int64_t id, struct store_call *c)
{
    struct db_stmt *p = store_stmt(s, ST_CALL_GET);

    db_bind_int64(p, 1, id);
    return one_call(s, p, c);
}

int store_call_menu_try(struct store *s, int64_t id)
{
    struct db_stmt *p = store_stmt(s, ST_CALL_MENU_TRY);

    db_bind_int64(p, 1, id);
    return store_exec(s, p);
}

int store_call_ring(struct store *s, int64_t id, const char *topic, int64_t now, int64_t ring_until)
{
    struct db_stmt *p = store_stmt(s, ST_CALL_RING);

    db_bind_int64(p, 1, id);
    db_bind_text(p, 2, topic);
    db_bind_int64(p, 3, now);
    db_bind_int64(p, 4, ring_until);
    return store_exec_cas(s, p);
}

int store_call_ring_over(struct store *s, int64_t id, int64_t now)
{
    struct db_stmt *p = store_stmt(s, ST_CALL_RING_OVER);

    db_bind_int64(p, 1, id);
    db_bind_int64(p, 2, now);
    return store_exec(s, p);
}

int store_call_accept(struct store *s, int64_t id, const char *peer_id, int64_t now)
{
    struct db_stmt *p = store_stmt(s, ST_CALL_ACCEPT);

    db_bind_int64(p, 1, id);
    db_bind_text(p, 2, peer_id);
    db_bind_int64(p, 3, now);
    return store_exec_cas(s, p);
}

int store_call_move(struct store *s, int64_t id, enum call_state from, enum call_state to,
                    const char *outcome, int notify, int64_t now)
{
    struct db_stmt *p = store_stmt(s, ST_CALL_MOVE);

    db_bind_int64(p, 1, id);
    db_bind_text(p, 2, call_states[from]);
    db_bind_text(p, 3, call_states[to]);
    store_bind_text(p, 4, outcome);
    db_bind_int64(p, 5, notify);
    db_bind_int64(p, 6, now);
    return store_exec_cas(s, p);
}

int store_call_end(struct store *s, int64_t id, const char *outcome, int notify, int64_t now)
{
    struct db_stmt *p = store_stmt(s, ST_CALL_END);

    db_bind_int64(p, 1, id);
    store_bind_text(p, 2, outcome);
    db_bind_int64(p, 3, notify);
    db_bind_int64(p, 4, now);
    return store_exec_cas(s, p);
}

int store_call_urgent(struct store *s, int64_t id)
{
    struct db_stmt *p = store_stmt(s, ST_CALL_URGENT);

    db_bind_int64(p, 1, id);
    return store_exec(s, p);
}

int store_call_recorded(struct store *s, int64_t id, const char *recording_sid, int secs)
{
    struct db_stmt *p = store_stmt(s, ST_CALL_RECORDED);

    db_bind_int64(p, 1, id);
    store_bind_text(p, 2, recording_sid);
    db_bind_int64(p, 3, secs);
    return store_exec(s, p);
}

int store_call_ring_due(struct store *s, int64_t now, struct store_call *c)
{
    struct db_stmt *p = store_stmt(s, ST_CALL_RING_DUE);

    db_bind_int64(p, 1, now);
    return one_call(s, p, c);
}

int store_call_next_ring(struct store *s, int64_t *at)
{
    return one_int(s, store_stmt(s, ST_CALL_NEXT_RING), at);
}

int store_call_unnotified(struct store *s, struct store_call *c)
{
    return one_call(s, store_stmt(s, ST_CALL_UNNOTIFIED), c);
}

int store_call_notified(struct store *s, int64_t id)
{
    struct db_stmt *p = store_stmt(s, ST_CALL_NOTIFIED);

    db_bind_int64(p, 1, id);
    return store_exec(s, p);
}

int store_call_file(struct store *s, int64_t id)
{
    struct db_stmt *p = store_stmt(s, ST_CALL_FILE);

    int rc;

    db_bind_int64(p, 1, id);
    rc = store_insert(s, p);
    if (rc != STORE_NEW)
        return rc; /* STORE_OK: filed already */
    p = store_stmt(s, ST_CALL_FILED);
    db_bind_int64(p, 1, id);
    db_bind_int64(p, 2, s->last_id);
    return store_exec(s, p);
}

int store_call_stale(struct store *s, int64_t voicemail_before, int64_t menu_before,
                     int64_t connected_before, int64_t peer_left_before, struct store_call *c)
{
    struct db_stmt *p = store_stmt(s, ST_CALL_STALE);

    db_bind_int64(p, 1, voicemail_before);
    db_bind_int64(p, 2, menu_before);
    db_bind_int64(p, 3, connected_before);
    db_bind_int64(p, 4, peer_left_before);
    return one_call(s, p, c);
}

int store_call_unanswer(struct store *s, int64_t id, int64_t now)
{
    struct db_stmt *p = store_stmt(s, ST_CALL_UNANSWER);

    db_bind_int64(p, 1, id);
    db_bind_int64(p, 2, now);
    return store_exec_cas(s, p);
}

int store_call_each_open(struct store *s, int (*fn)(void *arg, const struct store_call *c),
                         void *arg)
{
    struct db_stmt *p = store_stmt(s, ST_CALL_OPEN_LIST);
    struct store_call c;
    int rc;

    while ((rc = db_step(p)) == DB_ROW) {
        read_call(p, &c);
        if (fn(arg, &c)) {
            db_reset(p);
            return STORE_ERROR;
        }
    }
    if (rc != DB_DONE)
        store_fail(s, p, rc);
    db_reset(p);
    return rc == DB_DONE ? STORE_OK : STORE_ERROR;
}

static int read_leg(struct db_stmt *p, void *out)
{
    struct store_leg *l = out;
    const char *kind = db_col_text(p, 4);

    memset(l, 0, sizeof(*l));
    l->id = db_col_int64(p, 0);
    l->call_id = db_col_int64(p, 1);
    store_col_text(p, 2, l->peer_id, sizeof(l->peer_id));
    store_col_text(p, 3, l->peer_phone, sizeof(l->peer_phone));
    l->callback = kind && !strcmp((const char *)kind, "callback");
    l->state = (enum leg_state)INDEX_OF(leg_states, (const char *)db_col_text(p, 5));
    store_col_text(p, 6, l->leg_sid, sizeof(l->leg_sid));
    store_col_text(p, 7, l->end_status, sizeof(l->end_status));
    return 0;
}

int store_leg_add(struct store *s, int64_t call_id, const char *peer_id, const char *phone,
                  int callback, int64_t now, int64_t *id)
{
    struct db_stmt *p = store_stmt(s, ST_LEG_ADD);

    db_bind_int64(p, 1, call_id);
    db_bind_text(p, 2, peer_id);
    db_bind_text(p, 3, phone);
    db_bind_text(p, 4, callback ? "callback" : "ring");
    db_bind_int64(p, 5, now);
    if (store_insert(s, p) != STORE_NEW)
        return STORE_ERROR;
    *id = s->last_id;
    return STORE_OK;
}

/* The one leg statement id finds for key: STORE_FOUND, STORE_OK (none) or STORE_ERROR. */
static int one_leg(struct store *s, enum store_stmt id, int64_t key, struct store_leg *l)
{
    struct db_stmt *p = store_stmt(s, id);

    db_bind_int64(p, 1, key);
    return store_one(s, p, read_leg, l, sizeof(*l));
}

int store_leg_get(struct store *s, int64_t id, struct store_leg *l)
{
    return one_leg(s, ST_LEG_GET, id, l);
}

int store_leg_winner(struct store *s, int64_t call_id, struct store_leg *l)
{
    return one_leg(s, ST_LEG_WINNER, call_id, l);
}

int store_leg_started(struct store *s, int64_t id, const char *sid)
{
    struct db_stmt *p = store_stmt(s, ST_LEG_STARTED);

    db_bind_int64(p, 1, id);
    db_bind_text(p, 2, sid);
    return store_exec_cas(s, p);
}

int store_leg_accept(struct store *s, int64_t id)
{
    struct db_stmt *p = store_stmt(s, ST_LEG_ACCEPT);

    db_bind_int64(p, 1, id);
    return store_exec_cas(s, p);
}

int store_leg_end(struct store *s, int64_t id, const char *status, int64_t now)
{
    struct db_stmt *p = store_stmt(s, ST_LEG_END);

    db_bind_int64(p, 1, id);
    db_bind_text(p, 2, status);
    db_bind_int64(p, 3, now);
    return store_exec(s, p);
}

int store_leg_live_count(struct store *s, int64_t call_id, int64_t *n)
{
    struct db_stmt *p = store_stmt(s, ST_LEG_LIVE);

    db_bind_int64(p, 1, call_id);
    return one_int(s, p, n);
}

int store_leg_hang_up_live(struct store *s, int64_t call_id, int64_t now, int64_t expires_at)
{
    struct db_stmt *p = store_stmt(s, ST_LEG_HANG_UP_ALL);

    db_bind_int64(p, 1, call_id);
    db_bind_int64(p, 2, now);
    db_bind_int64(p, 3, expires_at);
    return store_exec(s, p);
}

int store_call_callback_live(struct store *s, int64_t call_id)
{
    struct db_stmt *p = store_stmt(s, ST_LEG_CALLBACK_LIVE);
    int64_t v;

    db_bind_int64(p, 1, call_id);
    if (one_int(s, p, &v))
        return -1;
    return v == 1;
}

int store_call_by_sid(struct store *s, const char *call_sid, struct store_call *c)
{
    struct db_stmt *p = store_stmt(s, ST_CALL_BY_SID);

    db_bind_text(p, 1, call_sid);
    return one_call(s, p, c);
}

int store_peer_on_call(struct store *s, const char *peer_id)
{
    struct db_stmt *p = store_stmt(s, ST_LEG_PEER_BUSY);
    int64_t v;

    db_bind_text(p, 1, peer_id);
    if (one_int(s, p, &v))
        return -1;
    return v == 1;
}

int store_vop_add(struct store *s, int64_t call_id, int64_t leg_id, enum vop_kind op, int64_t now,
                  int64_t expires_at)
{
    struct db_stmt *p = store_stmt(s, ST_VOP_ADD);

    db_bind_int64(p, 1, call_id);
    if (leg_id)
        db_bind_int64(p, 2, leg_id);
    db_bind_text(p, 3, vop_kinds[op]);
    db_bind_int64(p, 4, now);
    db_bind_int64(p, 5, expires_at);
    return store_exec(s, p);
}

int store_vop_claim(struct store *s, int64_t now, int64_t lease_ms, struct store_vop *v)
{
    struct db_stmt *p = store_stmt(s, ST_VOP_NEXT);
    int rc;

    db_bind_int64(p, 1, now);
    rc = db_step(p);
    if (rc != DB_ROW) {
        if (rc != DB_DONE)
            store_fail(s, p, rc);
        db_reset(p);
        return rc == DB_DONE ? STORE_OK : STORE_ERROR;
    }
    memset(v, 0, sizeof(*v));
    v->id = db_col_int64(p, 0);
    v->call_id = db_col_int64(p, 1);
    v->leg_id = db_col_int64(p, 2);
    v->op = (enum vop_kind)INDEX_OF(vop_kinds, (const char *)db_col_text(p, 3));
    v->attempts = (int)db_col_int64(p, 4) + 1;
    v->created_at = db_col_int64(p, 5);
    v->expires_at = db_col_int64(p, 6);
    db_reset(p);
    p = store_stmt(s, ST_VOP_LEASE);
    db_bind_int64(p, 1, v->id);
    db_bind_int64(p, 2, now + lease_ms);
    db_bind_int64(p, 3, now);
    rc = store_exec_cas(s, p);
    return rc == STORE_OK ? STORE_FOUND : rc == STORE_CONFLICT ? STORE_OK : STORE_ERROR;
}

int store_vop_done(struct store *s, int64_t id, int ok, int error_code, int64_t now)
{
    struct db_stmt *p = store_stmt(s, ST_VOP_DONE);

    db_bind_int64(p, 1, id);
    db_bind_text(p, 2, ok ? "done" : "failed");
    if (error_code)
        db_bind_int64(p, 3, error_code);
    db_bind_int64(p, 4, now);
    return store_exec(s, p);
}

int store_vop_retry(struct store *s, int64_t id, int64_t at, int error_code)
{
    struct db_stmt *p = store_stmt(s, ST_VOP_RETRY);

    db_bind_int64(p, 1, id);
    db_bind_int64(p, 2, at);
    if (error_code)
        db_bind_int64(p, 3, error_code);
    return store_exec(s, p);
}

int store_vop_next_due(struct store *s, int64_t *at)
{
    return one_int(s, store_stmt(s, ST_VOP_NEXT_DUE), at);
}

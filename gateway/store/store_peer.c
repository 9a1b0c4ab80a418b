/*
 * store_peer.c - the live side of peers (manual on/off, last conversation,
 * missed offers), which pool numbers each peer used last, opt-outs, and
 * debriefs (a check-in offered after an urgent chat, a debrief asked for).
 *
 * An opt-out is kept per scope: the number (or messaging service) the
 * person texted STOP to. Nothing is ever sent from a scope to a number that
 * opted out of it; the sender checks this table before every send.
 */
#include "store_priv.h"

#include <string.h>

const char *const store_sql_peer[ST_COUNT] = {
    [ST_PEER_LIST] = "SELECT peer_id, manual, manual_until, last_end, missed_offers"
                     " FROM peer_state",
    [ST_PEER_GET] = "SELECT peer_id, manual, manual_until, last_end, missed_offers"
                    " FROM peer_state WHERE peer_id = ?1",
    [ST_PEER_MANUAL] = "INSERT INTO peer_state (peer_id, manual, manual_until) VALUES (?1, ?2, ?3)"
                       " ON CONFLICT (peer_id) DO UPDATE SET manual = ?2, manual_until = ?3",
    [ST_PEER_ENDED] = "INSERT INTO peer_state (peer_id, last_end) VALUES (?1, ?2)"
                      " ON CONFLICT (peer_id) DO UPDATE SET last_end = ?2",
    [ST_PEER_NUMBERS] = "SELECT number, last_used FROM peer_numbers WHERE peer_id = ?1",
    [ST_PEER_NUMBER_USED] = "INSERT INTO peer_numbers (peer_id, number, last_used)"
                            " VALUES (?1, ?2, ?3) ON CONFLICT (peer_id, number)"
                            " DO UPDATE SET last_used = ?3",
    [ST_PEER_MISSED] =
        "INSERT INTO peer_state (peer_id, missed_offers) VALUES (?1, 1)"
        " ON CONFLICT (peer_id) DO UPDATE SET missed_offers = peer_state.missed_offers + 1"
        " RETURNING missed_offers",
    [ST_PEER_MISSED_RESET] = "UPDATE peer_state SET missed_offers = 0 WHERE peer_id = ?1",
    [ST_OPTOUT_SET] = "INSERT INTO optouts (scope, number, source, created_at)"
                      " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (scope, number) DO NOTHING",
    [ST_OPTOUT_CLEAR] = "DELETE FROM optouts WHERE scope = ?1 AND number = ?2",
    [ST_OPTOUT_CHECK] = "SELECT 1 FROM optouts WHERE scope = ?1 AND number = ?2",
    [ST_OPTOUT_SCOPES] = "SELECT scope FROM optouts WHERE number = ?1",
    [ST_DEBRIEF_ADD] = "INSERT INTO debriefs (peer_id, conversation_id, kind, created_at)"
                       " VALUES (?1, ?2, ?3, ?4) RETURNING id",
    [ST_DEBRIEF_OFFERED] = "SELECT 1 FROM debriefs WHERE peer_id = ?1 AND conversation_id = ?2"
                           " AND kind = 'offered'",
    [ST_DEBRIEF_LAST_OFFERED] = "SELECT conversation_id FROM debriefs WHERE peer_id = ?1"
                                " AND kind = 'offered' AND created_at >= ?2"
                                " ORDER BY created_at DESC, id DESC LIMIT 1",
    [ST_DEBRIEF_LAST_ASKED] = "SELECT MAX(created_at) FROM debriefs WHERE peer_id = ?1"
                              " AND kind = 'asked' AND COALESCE(conversation_id, 0) = ?2",
    /* A peer's chats: the offers they took, and the chats they handed back. */
    [ST_PEER_LAST_CHAT] =
        "SELECT conversation_id, state, decided_at FROM offers WHERE peer_id = ?1"
        " AND state IN ('taken','transferred')"
        " AND (CAST(?2 AS TEXT) IS NULL OR peer_number = ?2) ORDER BY id DESC LIMIT 1",
};

static int read_peer_state(struct db_stmt *p, void *out)
{
    struct store_peer_state *ps = out;
    const char *m = db_col_text(p, 1);

    store_col_text(p, 0, ps->peer_id, sizeof(ps->peer_id));
    ps->manual = !m                               ? PEER_MANUAL_NONE
                 : !strcmp((const char *)m, "on") ? PEER_MANUAL_ON
                                                  : PEER_MANUAL_OFF;
    ps->manual_until = db_col_null(p, 2) ? INT64_MAX : db_col_int64(p, 2);
    ps->last_end = db_col_int64(p, 3);
    ps->missed_offers = (int)db_col_int64(p, 4);
    return 0;
}

int store_peer_state_get(struct store *s, const char *peer_id, struct store_peer_state *ps)
{
    struct db_stmt *p = store_stmt(s, ST_PEER_GET);

    db_bind_text(p, 1, peer_id);
    return store_one(s, p, read_peer_state, ps, sizeof(*ps));
}

int store_peer_state_list(struct store *s, int (*fn)(void *arg, const struct store_peer_state *p),
                          void *arg)
{
    struct db_stmt *p = store_stmt(s, ST_PEER_LIST);
    struct store_peer_state ps;
    int rc;

    while ((rc = db_step(p)) == DB_ROW) {
        memset(&ps, 0, sizeof(ps));
        read_peer_state(p, &ps);
        if (fn(arg, &ps)) {
            db_reset(p);
            return STORE_ERROR;
        }
    }
    db_reset(p);
    return rc == DB_DONE ? STORE_OK : store_fail(s, p, rc);
}

int store_peer_set_manual(struct store *s, const char *peer_id, enum peer_manual m, int64_t until)
{
    struct db_stmt *p = store_stmt(s, ST_PEER_MANUAL);

    db_bind_text(p, 1, peer_id);
    if (m != PEER_MANUAL_NONE)
        db_bind_text(p, 2, m == PEER_MANUAL_ON ? "on" : "off");
    if (m != PEER_MANUAL_NONE && until != INT64_MAX)
        db_bind_int64(p, 3, until);
    return store_exec(s, p);
}

int store_peer_conversation_ended(struct store *s, const char *peer_id, int64_t now)
{
    struct db_stmt *p = store_stmt(s, ST_PEER_ENDED);

    db_bind_text(p, 1, peer_id);
    db_bind_int64(p, 2, now);
    return store_exec(s, p);
}

int store_peer_numbers(struct store *s, const char *peer_id,
                       int (*fn)(void *arg, const char *number, int64_t last_used), void *arg)
{
    struct db_stmt *p = store_stmt(s, ST_PEER_NUMBERS);
    int rc;

    db_bind_text(p, 1, peer_id);
    while ((rc = db_step(p)) == DB_ROW) {
        if (fn(arg, (const char *)db_col_text(p, 0), db_col_int64(p, 1))) {
            db_reset(p);
            return STORE_ERROR;
        }
    }
    db_reset(p);
    return rc == DB_DONE ? STORE_OK : store_fail(s, p, rc);
}

int store_peer_number_used(struct store *s, const char *peer_id, const char *number, int64_t now)
{
    struct db_stmt *p = store_stmt(s, ST_PEER_NUMBER_USED);

    db_bind_text(p, 1, peer_id);
    db_bind_text(p, 2, number);
    db_bind_int64(p, 3, now);
    return store_exec(s, p);
}

int store_peer_missed_offer(struct store *s, const char *peer_id, int *in_a_row)
{
    struct db_stmt *p = store_stmt(s, ST_PEER_MISSED);
    int rc;

    db_bind_text(p, 1, peer_id);
    rc = db_step(p);
    if (rc == DB_ROW)
        *in_a_row = (int)db_col_int64(p, 0);
    db_reset(p);
    return rc == DB_ROW ? STORE_OK : store_fail(s, p, rc);
}

int store_peer_answered_offer(struct store *s, const char *peer_id)
{
    struct db_stmt *p = store_stmt(s, ST_PEER_MISSED_RESET);

    db_bind_text(p, 1, peer_id);
    return store_exec(s, p);
}

int store_optout_set(struct store *s, const char *scope, const char *number, const char *source,
                     int64_t now)
{
    struct db_stmt *p = store_stmt(s, ST_OPTOUT_SET);

    db_bind_text(p, 1, scope);
    db_bind_text(p, 2, number);
    db_bind_text(p, 3, source);
    db_bind_int64(p, 4, now);
    return store_exec(s, p);
}

int store_optout_clear(struct store *s, const char *scope, const char *number)
{
    struct db_stmt *p = store_stmt(s, ST_OPTOUT_CLEAR);

    db_bind_text(p, 1, scope);
    db_bind_text(p, 2, number);
    return store_exec(s, p);
}

int store_optout_check(struct store *s, const char *scope, const char *number)
{
    struct db_stmt *p = store_stmt(s, ST_OPTOUT_CHECK);
    int rc;

    db_bind_text(p, 1, scope);
    db_bind_text(p, 2, number);
    rc = db_step(p);
    db_reset(p);
    if (rc == DB_ROW)
        return STORE_FOUND;
    return rc == DB_DONE ? STORE_OK : store_fail(s, p, rc);
}

int store_optout_scopes(struct store *s, const char *number,
                        int (*fn)(void *arg, const char *scope), void *arg)
{
    struct db_stmt *p = store_stmt(s, ST_OPTOUT_SCOPES);
    int rc;

    db_bind_text(p, 1, number);
    while ((rc = db_step(p)) == DB_ROW) {
        if (fn(arg, (const char *)db_col_text(p, 0))) {
            db_reset(p);
            return STORE_ERROR;
        }
    }
    db_reset(p);
    return rc == DB_DONE ? STORE_OK : store_fail(s, p, rc);
}

/* ---- debriefs ---- */

int store_debrief_add(struct store *s, const char *peer_id, int64_t conv_id, const char *kind,
                      int64_t now)
{
    struct db_stmt *p = store_stmt(s, ST_DEBRIEF_ADD);

    if (store_bind_text(p, 1, peer_id) ||
        (conv_id > 0 ? db_bind_int64(p, 2, conv_id) : db_bind_null(p, 2)) ||
        store_bind_text(p, 3, kind) || db_bind_int64(p, 4, now))
        return STORE_ERROR;
    return store_insert(s, p) == STORE_ERROR ? STORE_ERROR : STORE_OK;
}

int store_debrief_offered(struct store *s, const char *peer_id, int64_t conv_id)
{
    struct db_stmt *p = store_stmt(s, ST_DEBRIEF_OFFERED);
    int rc;

    if (store_bind_text(p, 1, peer_id) || db_bind_int64(p, 2, conv_id))
        return STORE_ERROR;
    rc = db_step(p);
    db_reset(p);
    if (rc == DB_ROW)
        return STORE_FOUND;
    return rc == DB_DONE ? STORE_OK : store_fail(s, p, rc);
}

/* The first column of p's one row as an id: STORE_FOUND, STORE_OK (no row, *id 0) or error. */
static int one_id(struct store *s, struct db_stmt *p, int64_t *id)
{
    int rc = db_step(p);

    *id = rc == DB_ROW && !db_col_null(p, 0) ? db_col_int64(p, 0) : 0;
    db_reset(p);
    if (rc == DB_ROW)
        return *id ? STORE_FOUND : STORE_OK;
    return rc == DB_DONE ? STORE_OK : store_fail(s, p, rc);
}

int store_debrief_last_told(struct store *s, const char *peer_id, int64_t conv_id, int64_t *at)
{
    struct db_stmt *p = store_stmt(s, ST_DEBRIEF_LAST_ASKED);

    if (store_bind_text(p, 1, peer_id) || db_bind_int64(p, 2, conv_id))
        return STORE_ERROR;
    return one_id(s, p, at) == STORE_ERROR ? STORE_ERROR : STORE_OK;
}

int store_peer_last_chat(struct store *s, const char *peer_id, const char *number, int64_t *conv_id,
                         int *handed_back, int64_t *at)
{
    struct db_stmt *p = store_stmt(s, ST_PEER_LAST_CHAT);
    int rc;

    *conv_id = *at = 0;
    *handed_back = 0;
    if (store_bind_text(p, 1, peer_id) || store_bind_text(p, 2, number))
        return STORE_ERROR;
    rc = db_step(p);
    if (rc == DB_ROW) {
        const char *st = (const char *)db_col_text(p, 1);

        *conv_id = db_col_int64(p, 0);
        *handed_back = st && !strcmp(st, "transferred");
        *at = db_col_int64(p, 2);
    }
    db_reset(p);
    if (rc == DB_ROW)
        return STORE_FOUND;
    return rc == DB_DONE ? STORE_OK : store_fail(s, p, rc);
}

int store_debrief_chat(struct store *s, const char *peer_id, const char *number, int64_t since,
                       int64_t *conv_id)
{
    struct db_stmt *p;
    int rc;

    if (!number) {
        p = store_stmt(s, ST_DEBRIEF_LAST_OFFERED);
        if (store_bind_text(p, 1, peer_id) || db_bind_int64(p, 2, since))
            return STORE_ERROR;
        rc = one_id(s, p, conv_id);
        if (rc != STORE_OK)
            return rc;
    }
    p = store_stmt(s, ST_PEER_LAST_CHAT);
    if (store_bind_text(p, 1, peer_id) || store_bind_text(p, 2, number))
        return STORE_ERROR;
    return one_id(s, p, conv_id);
}

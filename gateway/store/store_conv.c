/*
 * store_conv.c - contacts, conversations and offers: who is talking to whom,
 * and which chats are waiting for a peer.
 *
 * Every state change names the state it expects (compare-and-set), so a
 * change made twice, or raced by another instance, is a STORE_CONFLICT and
 * not a silent overwrite.
 */
#include "store_priv.h"

#include <string.h>

const char *const store_sql_conv[ST_COUNT] = {
    /* Changes a row only for a number never welcomed: sqlite3_changes() says which. */
    [ST_CONTACT_ADD] = "INSERT INTO contacts (number, first_seen, welcomed_at) VALUES (?1, ?2, ?2)"
                       " ON CONFLICT (number) DO UPDATE SET welcomed_at = ?2"
                       " WHERE contacts.welcomed_at IS NULL",
    [ST_CONTACT_SET_PEER] = "UPDATE contacts SET last_peer_id = ?2, last_peer_at = ?3"
                            " WHERE number = ?1",
    [ST_CONTACT_GET_PEER] = "SELECT last_peer_id, last_peer_at FROM contacts WHERE number = ?1"
                            " AND last_peer_id IS NOT NULL",
    [ST_CONTACT_GET] = "SELECT first_seen, lang, last_safety_at, last_alert_at, flood_start,"
                       " flood_count, flood_told, safety_conv, alert_conv"
                       " FROM contacts WHERE number = ?1",
    [ST_CONTACT_SAFETY] = "INSERT INTO contacts (number, first_seen, last_safety_at, safety_conv)"
                          " VALUES (?1, ?2, ?2, ?3) ON CONFLICT (number) DO UPDATE"
                          " SET last_safety_at = ?2, safety_conv = ?3",
    [ST_CONTACT_ALERTED] = "INSERT INTO contacts (number, first_seen, last_alert_at, alert_conv)"
                           " VALUES (?1, ?2, ?2, ?3) ON CONFLICT (number) DO UPDATE"
                           " SET last_alert_at = ?2, alert_conv = ?3",
    [ST_CONTACT_FLOOD] = "UPDATE contacts SET flood_start = ?2, flood_count = ?3, flood_told = ?4"
                         " WHERE number = ?1",
    [ST_CONTACT_GET_LANG] = "SELECT lang FROM contacts WHERE number = ?1 AND lang IS NOT NULL",
    [ST_CONTACT_SET_LANG] = "INSERT INTO contacts (number, first_seen, lang) VALUES (?1, ?2, ?3)"
                            " ON CONFLICT (number) DO UPDATE SET lang = ?3",
    [ST_CONV_SET_LANG] = "UPDATE conversations SET lang = ?2 WHERE id = ?1",
    [ST_CONV_CREATE] = "INSERT INTO conversations (texter, line_number, state, lang, created_at,"
                       " last_texter_at) VALUES (?1, ?2, 'menu', ?3, ?4, ?4) RETURNING id",
    [ST_CONV_GET] = "SELECT " CONV_COLS " FROM conversations WHERE id = ?1",
    [ST_CONV_BY_TEXTER] = "SELECT " CONV_COLS " FROM conversations WHERE texter = ?1"
                          " AND state <> 'closed'",
    [ST_CONV_BY_PEER_NUMBER] = "SELECT " CONV_COLS " FROM conversations WHERE peer_id = ?1"
                               " AND peer_number = ?2 AND state IN ('offered','active')",
    [ST_CONV_QUEUE] = "UPDATE conversations SET state = 'queued', topic = ?2,"
                      " queued_at = COALESCE(queued_at, ?3)"
                      " WHERE id = ?1 AND state IN ('menu','queued')",
    [ST_CONV_OFFER] = "UPDATE conversations SET state = 'offered', peer_id = ?2, peer_number = ?3"
                      " WHERE id = ?1 AND state = 'queued'",
    [ST_CONV_ACTIVATE] = "UPDATE conversations SET state = 'active', matched_at = ?2,"
                         " last_peer_at = NULL WHERE id = ?1 AND state = 'offered'",
    [ST_CONV_REQUEUE] = "UPDATE conversations SET state = 'queued', peer_id = NULL,"
                        " peer_number = NULL WHERE id = ?1 AND state = ?2",
    [ST_CONV_CLOSE] = "UPDATE conversations SET state = 'closed', closed_at = ?3,"
                      " close_reason = ?4 WHERE id = ?1 AND state = ?2",
    [ST_CONV_TOUCH_TEXTER] = "UPDATE conversations SET last_texter_at = ?2 WHERE id = ?1",
    [ST_CONV_TOUCH_PEER] = "UPDATE conversations SET last_peer_at = ?2 WHERE id = ?1",
    [ST_CONV_NOTICE] = "UPDATE conversations SET last_notice_at = ?2 WHERE id = ?1",
    [ST_CONV_QUEUE_LIST] = "SELECT " CONV_COLS " FROM conversations WHERE state = 'queued'"
                           " ORDER BY urgent DESC, queued_at, id",
    [ST_CONV_QUEUE_ANY] = "SELECT EXISTS (SELECT 1 FROM conversations WHERE state = 'queued')",
    /* Ahead of a texter: urgent texters, and those of the same topic who came first. */
    [ST_CONV_QUEUE_POS] = "SELECT COUNT(*) FROM conversations WHERE state IN ('queued','offered')"
                          " AND (urgent > ?1 OR (urgent = ?1 AND topic = ?4 AND (queued_at < ?2"
                          " OR (queued_at = ?2 AND id <= ?3))))",
    [ST_CONV_OPEN_LIST] = "SELECT " CONV_COLS " FROM conversations"
                          " WHERE state IN ('offered','active')",
    [ST_OFFER_CREATE] = "INSERT INTO offers (conversation_id, peer_id, peer_number, state,"
                        " created_at, expires_at) VALUES (?1, ?2, ?3, 'open', ?4, ?5)",
    [ST_OFFER_OPEN_FOR_CONV] = "SELECT id, conversation_id, peer_id, peer_number, created_at,"
                               " expires_at FROM offers WHERE conversation_id = ?1"
                               " AND state = 'open'",
    [ST_OFFER_DECIDE] = "UPDATE offers SET state = ?2, decided_at = ?3 WHERE id = ?1"
                        " AND state = 'open'",
    [ST_OFFER_TRIED] = "SELECT peer_id, state, MAX(decided_at) FROM offers"
                       " WHERE conversation_id = ?1 AND state IN ('passed','expired','transferred')"
                       " GROUP BY peer_id, state",
    [ST_OFFER_RECORD] = "INSERT INTO offers (conversation_id, peer_id, peer_number, state,"
                        " created_at, expires_at, decided_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?5)",
    [ST_CONV_TRANSFER] = "UPDATE conversations SET state = 'queued', peer_id = NULL,"
                         " peer_number = NULL, transferred_by = ?2, topic = ?3"
                         " WHERE id = ?1 AND state = 'active'",
    [ST_CONV_URGENT] = "UPDATE conversations SET urgent = 1 WHERE id = ?1",
    [ST_CONV_SET_LAST_WORD] = "UPDATE conversations SET last_word_until = ?2 WHERE id = ?1",
    [ST_CONV_LAST_WORD] = "SELECT " CONV_COLS " FROM conversations WHERE peer_id = ?1"
                          " AND peer_number = ?2 AND state = 'closed' AND last_word_until > ?3"
                          " ORDER BY closed_at DESC LIMIT 1",
    [ST_CONV_RATING_ASKED] = "UPDATE conversations SET rating_asked_at = ?2 WHERE id = ?1",
    /* The texter's last chat they were asked to rate, within the window, not rated yet. */
    [ST_CONV_RATE] = "UPDATE conversations SET rating = ?3 WHERE id = (SELECT id FROM"
                     " conversations WHERE texter = ?1 AND rating_asked_at >= ?2"
                     " ORDER BY rating_asked_at DESC LIMIT 1) AND rating IS NULL",
    [ST_CONV_QUEUE_COUNTS] = "SELECT topic, COUNT(*) FROM conversations"
                             " WHERE state IN ('queued','offered') GROUP BY topic",
    /* How long people waited lately: the only honest ground for an estimate. */
    /* Transferred chats are left out: their queued_at predates the first chat. */
    [ST_CONV_RECENT_WAITS] = "SELECT matched_at - queued_at FROM conversations"
                             " WHERE topic = ?1 AND matched_at >= ?2 AND queued_at IS NOT NULL"
                             " AND transferred_by IS NULL ORDER BY matched_at DESC LIMIT ?3",
};

static const char *const state_names[] = {"menu", "queued", "offered", "active", "closed"};

static const char *const offer_state_names[] = {"open", "taken", "passed", "expired", "cancelled"};

const char *store_conv_state_name(enum conv_state st)
{
    return (unsigned)st < 5 ? state_names[st] : "?";
}

static enum conv_state state_from(const char *s)
{
    int i;

    for (i = 0; i < 5; i++)
        if (!strcmp(s, state_names[i]))
            return (enum conv_state)i;
    return CONV_CLOSED;
}

/* Reads a row of CONV_COLS into out (a struct store_conv); 0. */
static int read_conv(struct db_stmt *p, void *out)
{
    struct store_conv *c = out;
    char st[16];

    memset(c, 0, sizeof(*c));
    c->id = db_col_int64(p, 0);
    store_col_text(p, 1, c->texter, sizeof(c->texter));
    store_col_text(p, 2, c->line_number, sizeof(c->line_number));
    store_col_text(p, 3, st, sizeof(st));
    c->state = state_from(st);
    store_col_text(p, 4, c->topic, sizeof(c->topic));
    store_col_text(p, 5, c->lang, sizeof(c->lang));
    c->urgent = (int)db_col_int64(p, 6);
    store_col_text(p, 7, c->peer_id, sizeof(c->peer_id));
    store_col_text(p, 8, c->peer_number, sizeof(c->peer_number));
    store_col_text(p, 9, c->transferred_by, sizeof(c->transferred_by));
    c->created_at = db_col_int64(p, 10);
    c->queued_at = db_col_int64(p, 11);
    c->matched_at = db_col_int64(p, 12);
    c->closed_at = db_col_int64(p, 13);
    c->last_texter_at = db_col_int64(p, 14);
    c->last_peer_at = db_col_int64(p, 15);
    c->last_notice_at = db_col_int64(p, 16);
    return 0;
}

int store_each_conv(struct store *s, struct db_stmt *p,
                    int (*fn)(void *arg, const struct store_conv *c), void *arg)
{
    struct store_conv c;
    int rc;

    while ((rc = db_step(p)) == DB_ROW) {
        read_conv(p, &c);
        if (fn(arg, &c)) {
            db_reset(p);
            return STORE_ERROR;
        }
    }
    db_reset(p);
    return rc == DB_DONE ? STORE_OK : store_fail(s, p, rc);
}

int store_contact_touch(struct store *s, const char *number, int64_t now, int *is_new)
{
    struct db_stmt *p = store_stmt(s, ST_CONTACT_ADD);

    db_bind_text(p, 1, number);
    db_bind_int64(p, 2, now);
    if (store_exec(s, p))
        return STORE_ERROR;
    *is_new = db_changes(s->db) == 1;
    return STORE_OK;
}

int store_contact_set_last_peer(struct store *s, const char *number, const char *peer_id,
                                int64_t at)
{
    struct db_stmt *p = store_stmt(s, ST_CONTACT_SET_PEER);

    db_bind_text(p, 1, number);
    db_bind_text(p, 2, peer_id);
    db_bind_int64(p, 3, at);
    return store_exec(s, p);
}

int store_contact_last_peer(struct store *s, const char *number, char peer_id[STORE_ID],
                            int64_t *at)
{
    struct db_stmt *p = store_stmt(s, ST_CONTACT_GET_PEER);
    int rc;

    db_bind_text(p, 1, number);
    rc = db_step(p);
    if (rc == DB_ROW) {
        store_col_text(p, 0, peer_id, STORE_ID);
        *at = db_col_int64(p, 1);
        db_reset(p);
        return STORE_FOUND;
    }
    db_reset(p);
    return rc == DB_DONE ? STORE_OK : store_fail(s, p, rc);
}

static int read_contact(struct db_stmt *p, void *out)
{
    struct store_contact *c = out;

    c->first_seen = db_col_int64(p, 0);
    store_col_text(p, 1, c->lang, sizeof(c->lang));
    c->last_safety_at = db_col_int64(p, 2);
    c->last_alert_at = db_col_int64(p, 3);
    c->flood_start = db_col_int64(p, 4);
    c->flood_count = (int)db_col_int64(p, 5);
    c->flood_told = (int)db_col_int64(p, 6);
    c->safety_conv = db_col_int64(p, 7);
    c->alert_conv = db_col_int64(p, 8);
    return 0;
}

int store_contact_get(struct store *s, const char *number, struct store_contact *c)
{
    struct db_stmt *p = store_stmt(s, ST_CONTACT_GET);

    db_bind_text(p, 1, number);
    return store_one(s, p, read_contact, c, sizeof(*c));
}

static int contact_mark(struct store *s, enum store_stmt st, const char *number, int64_t now,
                        int64_t conv_id)
{
    struct db_stmt *p = store_stmt(s, st);

    db_bind_text(p, 1, number);
    db_bind_int64(p, 2, now);
    db_bind_int64(p, 3, conv_id);
    return store_exec(s, p);
}

int store_contact_safety_sent(struct store *s, const char *number, int64_t now, int64_t conv_id)
{
    return contact_mark(s, ST_CONTACT_SAFETY, number, now, conv_id);
}

int store_contact_alerted(struct store *s, const char *number, int64_t now, int64_t conv_id)
{
    return contact_mark(s, ST_CONTACT_ALERTED, number, now, conv_id);
}

int store_contact_flood(struct store *s, const char *number, int64_t start, int count, int told)
{
    struct db_stmt *p = store_stmt(s, ST_CONTACT_FLOOD);

    db_bind_text(p, 1, number);
    db_bind_int64(p, 2, start);
    db_bind_int64(p, 3, count);
    db_bind_int64(p, 4, told);
    return store_exec(s, p);
}

int store_contact_lang(struct store *s, const char *number, char lang[8])
{
    struct db_stmt *p = store_stmt(s, ST_CONTACT_GET_LANG);
    int rc;

    db_bind_text(p, 1, number);
    rc = db_step(p);
    if (rc == DB_ROW) {
        store_col_text(p, 0, lang, 8);
        db_reset(p);
        return STORE_FOUND;
    }
    db_reset(p);
    return rc == DB_DONE ? STORE_OK : store_fail(s, p, rc);
}

int store_contact_set_lang(struct store *s, const char *number, const char *lang, int64_t now)
{
    struct db_stmt *p = store_stmt(s, ST_CONTACT_SET_LANG);

    db_bind_text(p, 1, number);
    db_bind_int64(p, 2, now);
    db_bind_text(p, 3, lang);
    return store_exec(s, p);
}

int store_conv_set_lang(struct store *s, int64_t id, const char *lang)
{
    struct db_stmt *p = store_stmt(s, ST_CONV_SET_LANG);

    db_bind_int64(p, 1, id);
    db_bind_text(p, 2, lang);
    return store_exec(s, p);
}

int store_conv_create(struct store *s, const char *texter, const char *line_number,
                      const char *lang, int64_t now, int64_t *id)
{
    struct db_stmt *p = store_stmt(s, ST_CONV_CREATE);

    db_bind_text(p, 1, texter);
    db_bind_text(p, 2, line_number);
    db_bind_text(p, 3, lang && *lang ? lang : "en");
    db_bind_int64(p, 4, now);
    if (store_insert(s, p) != STORE_NEW)
        return STORE_ERROR;
    *id = s->last_id;
    return STORE_OK;
}

int store_conv_get(struct store *s, int64_t id, struct store_conv *c)
{
    struct db_stmt *p = store_stmt(s, ST_CONV_GET);

    db_bind_int64(p, 1, id);
    return store_one(s, p, read_conv, c, sizeof(*c));
}

int store_conv_open_by_texter(struct store *s, const char *texter, struct store_conv *c)
{
    struct db_stmt *p = store_stmt(s, ST_CONV_BY_TEXTER);

    db_bind_text(p, 1, texter);
    return store_one(s, p, read_conv, c, sizeof(*c));
}

int store_conv_by_peer_number(struct store *s, const char *peer_id, const char *number,
                              struct store_conv *c)
{
    struct db_stmt *p = store_stmt(s, ST_CONV_BY_PEER_NUMBER);

    db_bind_text(p, 1, peer_id);
    db_bind_text(p, 2, number);
    return store_one(s, p, read_conv, c, sizeof(*c));
}

int store_conv_queue(struct store *s, int64_t id, const char *topic, int64_t now)
{
    struct db_stmt *p = store_stmt(s, ST_CONV_QUEUE);

    db_bind_int64(p, 1, id);
    db_bind_text(p, 2, topic);
    db_bind_int64(p, 3, now);
    return store_exec_cas(s, p);
}

int store_conv_offer(struct store *s, int64_t id, const char *peer_id, const char *number)
{
    struct db_stmt *p = store_stmt(s, ST_CONV_OFFER);

    db_bind_int64(p, 1, id);
    db_bind_text(p, 2, peer_id);
    db_bind_text(p, 3, number);
    return store_exec_cas(s, p);
}

int store_conv_activate(struct store *s, int64_t id, int64_t now)
{
    struct db_stmt *p = store_stmt(s, ST_CONV_ACTIVATE);

    db_bind_int64(p, 1, id);
    db_bind_int64(p, 2, now);
    return store_exec_cas(s, p);
}

int store_conv_requeue(struct store *s, int64_t id, enum conv_state from)
{
    struct db_stmt *p = store_stmt(s, ST_CONV_REQUEUE);

    db_bind_int64(p, 1, id);
    db_bind_text(p, 2, store_conv_state_name(from));
    return store_exec_cas(s, p);
}

int store_conv_close(struct store *s, int64_t id, enum conv_state from, const char *reason,
                     int64_t now)
{
    struct db_stmt *p = store_stmt(s, ST_CONV_CLOSE);

    db_bind_int64(p, 1, id);
    db_bind_text(p, 2, store_conv_state_name(from));
    db_bind_int64(p, 3, now);
    db_bind_text(p, 4, reason);
    return store_exec_cas(s, p);
}

static int touch(struct store *s, enum store_stmt st, int64_t id, int64_t now)
{
    struct db_stmt *p = store_stmt(s, st);

    db_bind_int64(p, 1, id);
    db_bind_int64(p, 2, now);
    return store_exec(s, p);
}

int store_conv_touch_texter(struct store *s, int64_t id, int64_t now)
{
    return touch(s, ST_CONV_TOUCH_TEXTER, id, now);
}

int store_conv_touch_peer(struct store *s, int64_t id, int64_t now)
{
    return touch(s, ST_CONV_TOUCH_PEER, id, now);
}

int store_conv_set_notice(struct store *s, int64_t id, int64_t now)
{
    return touch(s, ST_CONV_NOTICE, id, now);
}

int store_conv_queue_list(struct store *s, int (*fn)(void *arg, const struct store_conv *c),
                          void *arg)
{
    return store_each_conv(s, store_stmt(s, ST_CONV_QUEUE_LIST), fn, arg);
}

int store_conv_queue_any(struct store *s)
{
    struct db_stmt *p = store_stmt(s, ST_CONV_QUEUE_ANY);
    int rc = db_step(p), any = rc == DB_ROW ? (int)db_col_int64(p, 0) : 0;

    if (rc != DB_ROW)
        store_fail(s, p, rc);
    db_reset(p);
    return rc == DB_ROW ? any : STORE_ERROR;
}

int store_conv_open_list(struct store *s, int (*fn)(void *arg, const struct store_conv *c),
                         void *arg)
{
    return store_each_conv(s, store_stmt(s, ST_CONV_OPEN_LIST), fn, arg);
}

int store_conv_transfer(struct store *s, int64_t id, const char *by, const char *topic)
{
    struct db_stmt *p = store_stmt(s, ST_CONV_TRANSFER);

    db_bind_int64(p, 1, id);
    db_bind_text(p, 2, by);
    db_bind_text(p, 3, topic);
    return store_exec_cas(s, p);
}

int store_conv_set_urgent(struct store *s, int64_t id)
{
    struct db_stmt *p = store_stmt(s, ST_CONV_URGENT);

    db_bind_int64(p, 1, id);
    return store_exec(s, p);
}

static int conv_set_time(struct store *s, enum store_stmt st, int64_t id, int64_t at)
{
    struct db_stmt *p = store_stmt(s, st);

    db_bind_int64(p, 1, id);
    if (at)
        db_bind_int64(p, 2, at);
    return store_exec(s, p);
}

int store_conv_set_last_word(struct store *s, int64_t id, int64_t until)
{
    return conv_set_time(s, ST_CONV_SET_LAST_WORD, id, until);
}

int store_conv_last_word(struct store *s, const char *peer_id, const char *number, int64_t now,
                         struct store_conv *c)
{
    struct db_stmt *p = store_stmt(s, ST_CONV_LAST_WORD);

    db_bind_text(p, 1, peer_id);
    db_bind_text(p, 2, number);
    db_bind_int64(p, 3, now);
    return store_one(s, p, read_conv, c, sizeof(*c));
}

int store_conv_rating_asked(struct store *s, int64_t id, int64_t now)
{
    return conv_set_time(s, ST_CONV_RATING_ASKED, id, now);
}

int store_conv_rate(struct store *s, const char *texter, int64_t asked_since, int rating,
                    int *rated)
{
    struct db_stmt *p = store_stmt(s, ST_CONV_RATE);

    db_bind_text(p, 1, texter);
    db_bind_int64(p, 2, asked_since);
    db_bind_int64(p, 3, rating);
    if (store_exec(s, p))
        return STORE_ERROR;
    *rated = db_changes(s->db) > 0;
    return STORE_OK;
}

int store_conv_queue_counts(struct store *s, int (*fn)(void *arg, const char *topic, int n),
                            void *arg)
{
    struct db_stmt *p = store_stmt(s, ST_CONV_QUEUE_COUNTS);
    int rc;

    while ((rc = db_step(p)) == DB_ROW) {
        const char *t = db_col_text(p, 0);
        if (fn(arg, t ? (const char *)t : "", (int)db_col_int64(p, 1))) {
            db_reset(p);
            return STORE_ERROR;
        }
    }
    db_reset(p);
    return rc == DB_DONE ? STORE_OK : store_fail(s, p, rc);
}

int store_conv_recent_waits(struct store *s, const char *topic, int64_t since, int64_t *waits,
                            int max, int *n)
{
    struct db_stmt *p = store_stmt(s, ST_CONV_RECENT_WAITS);
    int rc;

    *n = 0;
    db_bind_text(p, 1, topic);
    db_bind_int64(p, 2, since);
    db_bind_int64(p, 3, max);
    while ((rc = db_step(p)) == DB_ROW && *n < max)
        waits[(*n)++] = db_col_int64(p, 0);
    db_reset(p);
    return rc == DB_DONE || rc == DB_ROW ? STORE_OK : store_fail(s, p, rc);
}

int store_conv_queue_position(struct store *s, const struct store_conv *c, int *pos)
{
    struct db_stmt *p = store_stmt(s, ST_CONV_QUEUE_POS);
    int rc;

    db_bind_int64(p, 1, c->urgent);
    db_bind_int64(p, 2, c->queued_at);
    db_bind_int64(p, 3, c->id);
    db_bind_text(p, 4, c->topic);
    rc = db_step(p);
    if (rc == DB_ROW)
        *pos = (int)db_col_int64(p, 0);
    db_reset(p);
    return rc == DB_ROW ? STORE_OK : store_fail(s, p, rc);
}

/* ---- offers ---- */

static int read_offer(struct db_stmt *p, void *out)
{
    struct store_offer *o = out;

    o->id = db_col_int64(p, 0);
    o->conv_id = db_col_int64(p, 1);
    store_col_text(p, 2, o->peer_id, sizeof(o->peer_id));
    store_col_text(p, 3, o->number, sizeof(o->number));
    o->created_at = db_col_int64(p, 4);
    o->expires_at = db_col_int64(p, 5);
    return 0;
}

int store_offer_create(struct store *s, int64_t conv_id, const char *peer_id, const char *number,
                       int64_t now, int64_t expires_at)
{
    struct db_stmt *p = store_stmt(s, ST_OFFER_CREATE);

    db_bind_int64(p, 1, conv_id);
    db_bind_text(p, 2, peer_id);
    db_bind_text(p, 3, number);
    db_bind_int64(p, 4, now);
    db_bind_int64(p, 5, expires_at);
    return store_exec(s, p);
}

int store_offer_open_for_conv(struct store *s, int64_t conv_id, struct store_offer *o)
{
    struct db_stmt *p = store_stmt(s, ST_OFFER_OPEN_FOR_CONV);

    db_bind_int64(p, 1, conv_id);
    return store_one(s, p, read_offer, o, sizeof(*o));
}

int store_offer_decide(struct store *s, int64_t offer_id, enum offer_state state, int64_t now)
{
    struct db_stmt *p = store_stmt(s, ST_OFFER_DECIDE);

    db_bind_int64(p, 1, offer_id);
    db_bind_text(p, 2, offer_state_names[state]);
    db_bind_int64(p, 3, now);
    return store_exec_cas(s, p);
}

int store_offer_tried(struct store *s, int64_t conv_id,
                      int (*fn)(void *arg, const char *peer_id, int handed_back, int64_t at),
                      void *arg)
{
    struct db_stmt *p = store_stmt(s, ST_OFFER_TRIED);
    int rc;

    db_bind_int64(p, 1, conv_id);
    while ((rc = db_step(p)) == DB_ROW) {
        const char *st = db_col_text(p, 1);
        if (fn(arg, (const char *)db_col_text(p, 0), st && !strcmp((const char *)st, "transferred"),
               db_col_int64(p, 2))) {
            db_reset(p);
            return STORE_ERROR;
        }
    }
    db_reset(p);
    return rc == DB_DONE ? STORE_OK : store_fail(s, p, rc);
}

/* An offer row decided as it is made (state: taken or transferred). */
static int offer_record(struct store *s, int64_t conv_id, const char *peer_id, const char *number,
                        const char *state, int64_t now)
{
    struct db_stmt *p = store_stmt(s, ST_OFFER_RECORD);

    db_bind_int64(p, 1, conv_id);
    db_bind_text(p, 2, peer_id);
    db_bind_text(p, 3, number);
    db_bind_text(p, 4, state);
    db_bind_int64(p, 5, now);
    return store_exec(s, p);
}

int store_offer_record_take(struct store *s, int64_t conv_id, const char *peer_id,
                            const char *number, int64_t now)
{
    return offer_record(s, conv_id, peer_id, number, "taken", now);
}

int store_offer_record_handback(struct store *s, int64_t conv_id, const char *peer_id,
                                const char *number, int64_t now)
{
    return offer_record(s, conv_id, peer_id, number, "transferred", now);
}

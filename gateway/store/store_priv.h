/*
 * store_priv.h - shared by the store_*.c files only: the handle, the list of
 * every prepared statement, and small binding helpers.
 *
 * Each store_*.c file owns the SQL of its tables in a table indexed by the
 * enum below (designated initialisers); store_open() prepares them all.
 */
#ifndef PEERLINE_STORE_PRIV_H
#define PEERLINE_STORE_PRIV_H

#include "store.h"

#include "db.h"

enum store_stmt {
    /* store_db.c */
    ST_SAVEPOINT,
    ST_RELEASE,
    ST_ROLLBACK_TO,
    ST_PING,
    /* store_inbound.c */
    ST_IN_ADD,
    ST_IN_NEXT,
    ST_IN_DONE,
    ST_IN_PENDING,
    ST_IN_PENDING_CLEAR,
    ST_IN_GET,
    ST_IN_FAILED,
    ST_IN_IGNORE,
    ST_STATUS_ADD,
    ST_STATUS_NEXT,
    ST_STATUS_DONE,
    /* store_conv.c */
    ST_CONTACT_ADD,
    ST_CONTACT_SET_PEER,
    ST_CONTACT_GET_PEER,
    ST_CONTACT_GET_LANG,
    ST_CONTACT_GET,
    ST_CONTACT_SAFETY,
    ST_CONTACT_ALERTED,
    ST_CONTACT_FLOOD,
    ST_CONTACT_SET_LANG,
    ST_CONV_SET_LANG,
    ST_CONV_CREATE,
    ST_CONV_GET,
    ST_CONV_BY_TEXTER,
    ST_CONV_BY_PEER_NUMBER,
    ST_CONV_QUEUE,
    ST_CONV_OFFER,
    ST_CONV_ACTIVATE,
    ST_CONV_REQUEUE,
    ST_CONV_CLOSE,
    ST_CONV_TOUCH_TEXTER,
    ST_CONV_TOUCH_PEER,
    ST_CONV_NOTICE,
    ST_CONV_QUEUE_LIST,
    ST_CONV_QUEUE_ANY,
    ST_CONV_QUEUE_POS,
    ST_CONV_OPEN_LIST,
    ST_OFFER_CREATE,
    ST_OFFER_OPEN_FOR_CONV,
    ST_OFFER_DECIDE,
    ST_OFFER_TRIED,
    ST_OFFER_RECORD,
    ST_CONV_TRANSFER,
    ST_CONV_URGENT,
    ST_CONV_SET_LAST_WORD,
    ST_CONV_LAST_WORD,
    ST_CONV_RATING_ASKED,
    ST_CONV_RATE,
    ST_CONV_QUEUE_COUNTS,
    ST_CONV_RECENT_WAITS,
    ST_IN_REPEND_UNANSWERED,
    ST_TIMER_SET,
    ST_TIMER_ADD,
    ST_TIMER_CLEAR,
    ST_TIMER_CLEAR_ALL,
    ST_TIMER_DUE,
    ST_TIMER_LEASE,
    ST_TIMER_DONE,
    ST_TIMER_NEXT,
    ST_TIMER_RECLAIM,
    ST_ALERT_ADD,
    ST_ALERT_ACK,
    ST_ALERT_OPEN,
    /* store_peer.c */
    ST_PEER_LIST,
    ST_PEER_GET,
    ST_PEER_MANUAL,
    ST_PEER_ENDED,
    ST_PEER_NUMBERS,
    ST_PEER_NUMBER_USED,
    ST_PEER_MISSED,
    ST_PEER_MISSED_RESET,
    ST_OPTOUT_SET,
    ST_OPTOUT_CLEAR,
    ST_OPTOUT_CHECK,
    ST_OPTOUT_SCOPES,
    ST_DEBRIEF_ADD,
    ST_DEBRIEF_OFFERED,
    ST_DEBRIEF_LAST_OFFERED,
    ST_DEBRIEF_LAST_ASKED,
    ST_PEER_LAST_CHAT,
    /* store_outbox.c */
    ST_OUT_ADD,
    ST_OUT_RECLAIM,
    ST_OUT_CANDIDATES,
    ST_OUT_LEASE,
    ST_OUT_SENT,
    ST_OUT_RETRY,
    ST_OUT_DEFER,
    ST_OUT_FINISH,
    ST_OUT_NEXT_DUE,
    ST_OUT_FAILED_RELAY,
    ST_OUT_FAILURE_HANDLED,
    ST_OUT_STATUS,
    ST_OUT_BY_SID,
    ST_OUT_COUNT,
    ST_OUT_REPLACE_NOTICE,
    ST_OUT_MERGE_RELAY,
    ST_OUT_WITHDRAW,
    /* store_admin.c */
    ST_CONV_LIVE,
    ST_ALERT_OPEN_LIST,
    ST_COUNTS,
    ST_AUDIT_ADD,
    ST_AUDIT_NEXT,
    ST_AUDIT_DONE,
    ST_AUDIT_GET,
    ST_AUDIT_RECENT,
    ST_AUDIT_RECORD,
    ST_BLOCK_ADD,
    ST_BLOCK_DEL,
    ST_BLOCK_CHECK,
    ST_TOTALS_OUT,
    ST_TOTALS,
    ST_REPORT_ROWS,
    ST_TOOL_COUNTS,
    /* store_purge.c */
    ST_PURGE_QUEUE_IN,
    ST_PURGE_QUEUE_OUT,
    ST_PURGE_IN,
    ST_PURGE_OUT,
    ST_PURGE_CONV,
    ST_PURGE_CONTACTS,
    ST_PURGE_LAST_IDS,
    ST_PURGE_QUEUE_REC,
    ST_PURGE_CALLS,
    ST_PURGE_NOTES,
    ST_REDACT_NEXT,
    ST_REDACT_DONE,
    ST_REDACT_RETRY,
    ST_REDACT_COUNT,
    /* store_voice.c */
    ST_CALL_OPEN,
    ST_CALL_BY_SID,
    ST_CALL_GET,
    ST_CALL_MENU_TRY,
    ST_CALL_RING,
    ST_CALL_RING_OVER,
    ST_CALL_ACCEPT,
    ST_CALL_MOVE,
    ST_CALL_END,
    ST_CALL_URGENT,
    ST_CALL_RECORDED,
    ST_CALL_RING_DUE,
    ST_CALL_NEXT_RING,
    ST_CALL_UNNOTIFIED,
    ST_CALL_NOTIFIED,
    ST_CALL_FILE,
    ST_CALL_FILED,
    ST_CALL_STALE,
    ST_CALL_OPEN_LIST,
    ST_CALL_UNANSWER,
    ST_LEG_WINNER,
    ST_LEG_ADD,
    ST_LEG_GET,
    ST_LEG_STARTED,
    ST_LEG_ACCEPT,
    ST_LEG_END,
    ST_LEG_LIVE,
    ST_LEG_HANG_UP_ALL,
    ST_LEG_PEER_BUSY,
    ST_LEG_CALLBACK_LIVE,
    ST_VOP_ADD,
    ST_VOP_NEXT,
    ST_VOP_LEASE,
    ST_VOP_DONE,
    ST_VOP_RETRY,
    ST_VOP_NEXT_DUE,
    /* store_notes.c */
    ST_NOTE_ADD,
    ST_NOTE_RECENT,
    ST_NOTE_OF_CONV,
    /* store_res.c */
    ST_RES_SENT,
    ST_RES_COUNTS,
    /* store_shadow.c */
    ST_SHADOW_START,
    ST_SHADOW_OF_CONV,
    ST_SHADOW_OF_TRAINEE,
    ST_SHADOW_END,
    ST_SHADOW_LAST,
    ST_SHADOW_OPEN_LIST,
    ST_CONV_SET_PRIVATE,
    ST_CONV_PRIVATE,
    ST_COUNT
};

struct store {
    struct db *db;
    struct db_stmt *st[ST_COUNT]; /* prepared on first use */
    const char *sql[ST_COUNT];
    unsigned char db_key[32]; /* the database's own key, from the meta table */
    int64_t last_id;          /* what the last store_insert() inserted */
    int leading;              /* store_lead() fenced this handle... */
    int64_t lead_epoch;       /* ...and saw the lock taken this many times */
    struct store_gate *gate;  /* see store_use_gate */
    int gate_first;           /* this handle has the right of way */
    int gate_held;            /* ...and counts in gate->first_waiting now */
};

extern const char *const store_sql_core[ST_COUNT]; /* store_db.c */
extern const char *const store_sql_inbound[ST_COUNT];
extern const char *const store_sql_conv[ST_COUNT];
extern const char *const store_sql_peer[ST_COUNT];
extern const char *const store_sql_outbox[ST_COUNT];
extern const char *const store_sql_timer[ST_COUNT];
extern const char *const store_sql_admin[ST_COUNT];
extern const char *const store_sql_purge[ST_COUNT];
extern const char *const store_sql_voice[ST_COUNT];
extern const char *const store_sql_notes[ST_COUNT];
extern const char *const store_sql_res[ST_COUNT];
extern const char *const store_sql_shadow[ST_COUNT];
/* What PostgreSQL runs instead, where its dialect truly differs (store_dialect.c). */
extern const char *const store_sql_pg[ST_COUNT];

/* The columns read_conv() reads, in its order. */
#define CONV_COLS                                                                                  \
    "id, texter, line_number, state, topic, lang, urgent, peer_id, peer_number, transferred_by,"   \
    " created_at, queued_at, matched_at, closed_at, last_texter_at, last_peer_at, last_notice_at"

/* The columns store_outbox.c's read_out() reads, in its order. */
#define OUT_COLS                                                                                   \
    "id, conversation_id, to_number, from_number, body, kind, origin_inbound, created_at,"         \
    " expires_at, attempts, after_optout, error_code, state"

/*
 * No earlier unsent row in the same (to, from) thread. Safety texts (kind 0)
 * wait only for earlier safety texts: crisis resources never queue behind a
 * relay that is being retried.
 */
#define THREAD_HEAD                                                                                \
    " NOT EXISTS (SELECT 1 FROM outbox e WHERE e.to_number = o.to_number"                          \
    " AND e.from_number = o.from_number AND e.state IN ('pending','sending') AND e.id < o.id"      \
    " AND (o.kind <> 0 OR e.kind = 0))"

/* Calls fn for each row of p (CONV_COLS). */
int store_each_conv(struct store *s, struct db_stmt *p,
                    int (*fn)(void *arg, const struct store_conv *c), void *arg);

/* ---- store_res.c ---- */

/*
 * Calls fn for each resource id sent at or after `since`, with how often
 * (for store_tool_counts; the order is the database's collation's).
 */
int store_resource_counts(struct store *s, int64_t since,
                          int (*fn)(void *arg, const char *resource_id, int64_t n), void *arg);

/* ---- store_db.c ---- */

/* The statement, reset and with bindings cleared, ready to bind. */
struct db_stmt *store_stmt(struct store *s, enum store_stmt id);
/* Binds text (NULL and "" bind as NULL when null_empty). */
int store_bind_text(struct db_stmt *p, int idx, const char *v);
/*
 * Steps an INSERT ... RETURNING id: STORE_NEW with the id in s->last_id,
 * STORE_OK when it inserted nothing (ON CONFLICT DO NOTHING), or STORE_ERROR.
 */
int store_insert(struct store *s, struct db_stmt *p);
/* Steps a statement that returns no rows: STORE_OK or STORE_ERROR (logged). */
int store_exec(struct store *s, struct db_stmt *p);
/* As store_exec, but STORE_CONFLICT when no row changed (compare-and-set). */
int store_exec_cas(struct store *s, struct db_stmt *p);
/*
 * Steps p (bound) for at most one row, with *out (size bytes) zeroed first:
 * STORE_FOUND when read(p, out) copied the row, STORE_OK when there was
 * none, STORE_ERROR (logged) when the step failed or read did (nonzero: out
 * of memory). p is reset either way. Every read_* row reader has read's type.
 */
int store_one(struct store *s, struct db_stmt *p, int (*read)(struct db_stmt *p, void *out),
              void *out, size_t size);
/* Copies column text into dst (size n), "" for NULL. */
void store_col_text(struct db_stmt *p, int col, char *dst, size_t n);
/* Logs a failed step (statement name only, never values). */
int store_fail(struct store *s, struct db_stmt *p, int rc);

#endif

/*
 * store.h - peerline's state in SQLite, behind one small interface.
 *
 * Every SQL statement lives in the store_*.c files; callers see functions and
 * plain structs. Each thread opens its own handle (struct store); statements
 * are prepared once, at store_open(). Writes that belong together are
 * wrapped by the caller in store_begin()/store_commit(), so a state change
 * and the texts it causes (the outbox) commit as one.
 *
 * The schema carries the guards SPEC section 7 asks for, so several
 * instances can one day share a database: one open conversation per texter,
 * one open offer per conversation and per peer, one open (peer, number);
 * state changes are compare-and-set (they return STORE_CONFLICT when the
 * row was not in the expected state) and outbox rows are claimed with a
 * lease.
 *
 * Results: 0 (STORE_OK) or 1 (STORE_FOUND / STORE_NEW) on success,
 * STORE_CONFLICT for a lost compare-and-set, -1 (STORE_ERROR) otherwise.
 * Times are Unix milliseconds.
 */
#ifndef PEERLINE_STORE_H
#define PEERLINE_STORE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_OK       0
#define STORE_FOUND    1
#define STORE_NEW      1
#define STORE_CONFLICT 2
#define STORE_ERROR    (-1)

#define STORE_NUM 17 /* E.164 + NUL */
#define STORE_ID  33 /* roster ids are at most 32 characters */
#define STORE_SID 64

struct store;

/*
 * Opens and migrates the database `path` names: a SQLite file (created with
 * mode 0600) or a PostgreSQL URI (postgresql://...).
 */
struct store *store_open(const char *path, char *err, size_t errlen);
void store_close(struct store *s);
/* 1 when `database` names a PostgreSQL database (several instances may share it). */
int store_is_postgres(const char *database);

/*
 * Leading (PostgreSQL): the engine's handle runs only while it holds the
 * line's engine lock, a session advisory lock on this very connection, so
 * an instance that lost it (its connection cut, its database restarted)
 * cannot commit anything more. 1 when this handle holds it now (taking it
 * if it is free), with *took set when it was taken since the last call
 * (another instance may have led meanwhile); 0 when another instance
 * holds it or the database cannot be reached. SQLite: always 1, *took
 * set on the first call.
 */
int store_lead(struct store *s, int *took);

/*
 * Wake-ups between instances (PostgreSQL's LISTEN/NOTIFY; no-ops on
 * SQLite). store_notify() signals channel (sent at once: call it after the
 * commit it tells of); store_listen() subscribes this handle;
 * store_wait() waits up to ms for a signal: 1 with the channel's name
 * ("" after a reconnect: signals may have been missed, look anyway), 0
 * when none came, -1 when the database cannot be reached.
 */
int store_notify(struct store *s, const char *channel);
int store_listen(struct store *s, const char *channel);
int store_wait(struct store *s, int ms, char *channel, size_t n);

/*
 * Writers of one process share the database's single write lock. A gate
 * gives one of them (the webhooks' writer: people are waiting on its
 * answers) the right of way: while it waits for the lock or holds it, the
 * others' store_begin() holds back (up to STORE_GATE_MS) instead of
 * taking the lock again the moment they released it. The caller owns the
 * gate (zeroed) and keeps it alive as long as the handles.
 */
#define STORE_GATE_MS 5
struct store_gate {
    atomic_int first_waiting;
};
void store_use_gate(struct store *s, struct store_gate *g, int first);
/* 1 when the first writer is waiting for the lock this handle holds: end the transaction soon. */
int store_gate_wanted(struct store *s);

/*
 * A transaction, serialised with every other store_begin() on the database
 * (on PostgreSQL across instances too, by an advisory lock): the writers
 * that read, decide and write (the engine, calls, coordinators, retention).
 */
int store_begin(struct store *s);
/*
 * A transaction that takes only row locks on PostgreSQL (on SQLite, the
 * same as store_begin): for writers whose every statement is safe beside
 * others' (the webhooks' inserts, the sender's claims).
 */
int store_begin_shared(struct store *s);
/* 1 inside a transaction (SQLite may have rolled one back by itself after an error). */
int store_in_transaction(struct store *s);
int store_commit(struct store *s);
void store_rollback(struct store *s);
/*
 * Inside a transaction, one input's share of a group: store_savepoint()
 * before it, then store_release() to keep its writes or store_rollback_to()
 * to undo them and keep the rest of the group.
 */
int store_savepoint(struct store *s);
int store_release(struct store *s);
int store_rollback_to(struct store *s);
/* How long a statement waits for another connection's write lock (default 10 s). */
void store_set_busy_timeout(struct store *s, int ms);
/*
 * PostgreSQL: how long any statement's answer is waited for before it is
 * cancelled and, 2 s later, its connection given up (default: for ever).
 * For the handles that answer webhooks and run the line: a server that
 * stops answering never holds them for good. SQLite: its busy timeout
 * bounds every wait already.
 */
void store_set_deadline(struct store *s, int ms);
/*
 * This handle's commits are not fsync'd (synchronous=NORMAL): still atomic
 * and at once visible to every other handle, and they survive the process
 * being killed, but a power cut may take back the last of them (the next
 * fsync'd commit of any handle makes them durable too). Only for writes
 * whose loss is harmless: the sender's leases and results (see sender.h).
 */
int store_set_lazy_sync(struct store *s);
/* Copies what it can of the write-ahead log into the database (passive: waits for no one). */
int store_checkpoint(struct store *s);
/* The rowid of this handle's last INSERT (an inbound text's or an outbox row's id). */
int64_t store_last_id(struct store *s);
/* 0 when the database answers (for /healthz). */
int store_ping(struct store *s);
/* The last SQLite error, for logs (never contains bound values). */
const char *store_errmsg(struct store *s);

/* ---- inbound texts (store_inbound.c) ---- */

struct store_inbound {
    int64_t id;
    char sid[STORE_SID];
    char from[STORE_NUM];
    char to[STORE_NUM];
    char *body; /* malloc'd; store_inbound_clear() frees */
    int num_media;
    int64_t received_at;
};

/* STORE_NEW when stored, STORE_OK when that MessageSid was already stored. */
int store_inbound_add(struct store *s, const char *sid, const char *from, const char *to,
                      const char *body, int num_media, int64_t now);
/* One text or delivery status for store_add_many(). */
struct store_new {
    int is_status; /* 0: an inbound text (sid, from, to, body, num_media); 1: a status */
    const char *sid, *from, *to, *body;
    int num_media;
    const char *status; /* a status: its name and error code (0: none) */
    int error_code;
    int64_t now;
    int rc;     /* out: STORE_NEW, or STORE_OK when that id was stored already */
    int64_t id; /* out: a new text's row id */
};
/*
 * Inside a transaction: stores every item, as store_inbound_add() and
 * store_status_add() would one by one, but on PostgreSQL in one round trip
 * for the texts and one for the statuses (a pipeline): a group commit's
 * inserts. STORE_OK, or STORE_ERROR (roll back: no item's rc holds).
 */
int store_add_many(struct store *s, struct store_new *items, size_t n);
/* The oldest text the engine has not handled yet. STORE_FOUND or STORE_OK (none). */
int store_inbound_next(struct store *s, struct store_inbound *in);
void store_inbound_clear(struct store_inbound *in);
/* Marks a text handled; pending_relay=1 keeps it for the peer who takes the chat. */
int store_inbound_done(struct store *s, int64_t id, int64_t conv_id, int pending_relay,
                       int64_t now);
/* Calls fn for each text of conv waiting for a peer, oldest first, then clears the flag. */
int store_inbound_take_pending(struct store *s, int64_t conv_id,
                               int (*fn)(void *arg, int64_t id, const char *body), void *arg);
/* The texter's texts received after `after` wait again for the next peer. */
int store_inbound_repend_unanswered(struct store *s, int64_t conv_id, const char *texter,
                                    int64_t after);
/*
 * Marks a text handled with no effect, flagged `failed`: the engine gave up
 * on it (it stays in the database for an operator to look at).
 */
int store_inbound_failed(struct store *s, int64_t id, int64_t now);
/*
 * Marks a text kept but deliberately not acted on, and why (a fixed word:
 * STORE_IGNORED_OWN_NUMBER), for /metrics; store_inbound_done still closes it.
 */
#define STORE_IGNORED_OWN_NUMBER "own_number" /* from one of the line's own numbers */
int store_inbound_ignore(struct store *s, int64_t id, const char *why);
/* Sender and body of an inbound text (body malloc'd, caller frees). */
int store_inbound_get(struct store *s, int64_t id, struct store_inbound *in);

/* ---- delivery status callbacks (store_inbound.c) ---- */

struct store_status {
    int64_t id;
    char sid[STORE_SID];
    char status[24];
    int error_code;
    int64_t received_at;
};

int store_status_add(struct store *s, const char *sid, const char *status, int error_code,
                     int64_t now);
/* The first unhandled status event with an id above after_id. */
int store_status_next(struct store *s, int64_t after_id, struct store_status *st);
int store_status_done(struct store *s, int64_t id, int64_t now);

/* ---- contacts and conversations (store_conv.c) ---- */

enum conv_state { CONV_MENU, CONV_QUEUED, CONV_OFFERED, CONV_ACTIVE, CONV_CLOSED };

struct store_conv {
    int64_t id;
    char texter[STORE_NUM];
    char line_number[STORE_NUM]; /* the number the texter writes to */
    enum conv_state state;
    char topic[STORE_ID]; /* "" until chosen */
    char lang[8];
    int urgent;
    char peer_id[STORE_ID];      /* "" unless offered/active */
    char peer_number[STORE_NUM]; /* the pool number used with the peer */
    char transferred_by[STORE_ID];
    int64_t created_at, queued_at, matched_at, closed_at;
    int64_t last_texter_at, last_peer_at, last_notice_at;
};

const char *store_conv_state_name(enum conv_state st);

/*
 * Records a number that texted the line. *is_new = 1 the first time (the
 * welcome is due), even when the number is known already from a language
 * choice or a crisis text.
 */
int store_contact_touch(struct store *s, const char *number, int64_t now, int *is_new);
int store_contact_set_last_peer(struct store *s, const char *number, const char *peer_id,
                                int64_t at);
/* STORE_FOUND with the last peer's id and when, or STORE_OK (none). */
int store_contact_last_peer(struct store *s, const char *number, char peer_id[STORE_ID],
                            int64_t *at);

/* What is known of a number that texted the line. */
struct store_contact {
    int64_t first_seen;
    char lang[8];           /* "" when they chose none */
    int64_t last_safety_at; /* crisis resources last sent to them; 0 never */
    int64_t safety_conv;    /* ...for this conversation */
    int64_t last_alert_at;  /* coordinators last alerted about them; 0 never */
    int64_t alert_conv;     /* ...about this conversation */
    int64_t flood_start;    /* the current 10-minute window of their texts */
    int flood_count;        /* texts in it */
    int flood_told;         /* whether they were told their texts are merged */
};

int store_contact_get(struct store *s, const char *number, struct store_contact *c);
int store_contact_safety_sent(struct store *s, const char *number, int64_t now, int64_t conv_id);
int store_contact_alerted(struct store *s, const char *number, int64_t now, int64_t conv_id);
int store_contact_flood(struct store *s, const char *number, int64_t start, int count, int told);
/* The language a number chose (STORE_FOUND), or STORE_OK when it chose none. */
int store_contact_lang(struct store *s, const char *number, char lang[8]);
int store_contact_set_lang(struct store *s, const char *number, const char *lang, int64_t now);
int store_conv_set_lang(struct store *s, int64_t id, const char *lang);
int store_conv_create(struct store *s, const char *texter, const char *line_number,
                      const char *lang, int64_t now, int64_t *id);
int store_conv_get(struct store *s, int64_t id, struct store_conv *c);
/* The texter's conversation that is not closed. */
int store_conv_open_by_texter(struct store *s, const char *texter, struct store_conv *c);
/* The offered or active conversation a peer has on a pool number. */
int store_conv_by_peer_number(struct store *s, const char *peer_id, const char *number,
                              struct store_conv *c);
/* menu -> queued (or queued -> queued with a new topic). */
int store_conv_queue(struct store *s, int64_t id, const char *topic, int64_t now);
/* queued -> offered to peer on number. */
int store_conv_offer(struct store *s, int64_t id, const char *peer_id, const char *number);
/* offered -> active. */
int store_conv_activate(struct store *s, int64_t id, int64_t now);
/* offered|active -> queued, keeping its place in line; the peer is cleared. */
int store_conv_requeue(struct store *s, int64_t id, enum conv_state from);
/* from -> closed. */
int store_conv_close(struct store *s, int64_t id, enum conv_state from, const char *reason,
                     int64_t now);
int store_conv_touch_texter(struct store *s, int64_t id, int64_t now);
int store_conv_touch_peer(struct store *s, int64_t id, int64_t now);
int store_conv_set_notice(struct store *s, int64_t id, int64_t now);
/* active -> queued again by its peer (#transfer), for topic, never to be offered to `by`. */
int store_conv_transfer(struct store *s, int64_t id, const char *by, const char *topic);
int store_conv_set_urgent(struct store *s, int64_t id);
/* After BYE the peer may send one last message until `until` (0: no longer). */
int store_conv_set_last_word(struct store *s, int64_t id, int64_t until);
/* The closed conversation of peer on number whose last-word window is open at now. */
int store_conv_last_word(struct store *s, const char *peer_id, const char *number, int64_t now,
                         struct store_conv *c);
int store_conv_rating_asked(struct store *s, int64_t id, int64_t now);
/*
 * Stores rating (1-5) on the texter's conversation last asked to be rated
 * at or after asked_since, unless it has one. *rated = 1 when it did.
 */
int store_conv_rate(struct store *s, const char *texter, int64_t asked_since, int rating,
                    int *rated);
/* Waiting (queued or offered) conversations per topic: fn(topic, count). */
int store_conv_queue_counts(struct store *s, int (*fn)(void *arg, const char *topic, int n),
                            void *arg);
/* The waits (ms) of up to max conversations of topic matched since `since`, newest first. */
int store_conv_recent_waits(struct store *s, const char *topic, int64_t since, int64_t *waits,
                            int max, int *n);
/* 1 when any texter is waiting (queued), 0 when none, STORE_ERROR. */
int store_conv_queue_any(struct store *s);
/* Waiting texters (queued, no open offer), urgent first, then by arrival. */
int store_conv_queue_list(struct store *s, int (*fn)(void *arg, const struct store_conv *c),
                          void *arg);
/* 1-based place in line of a queued conversation. */
int store_conv_queue_position(struct store *s, const struct store_conv *c, int *pos);
/* Open conversations (offered or active) with their peer and number. */
int store_conv_open_list(struct store *s, int (*fn)(void *arg, const struct store_conv *c),
                         void *arg);

/* ---- offers (store_conv.c) ---- */

enum offer_state { OFFER_OPEN, OFFER_TAKEN, OFFER_PASSED, OFFER_EXPIRED, OFFER_CANCELLED };

struct store_offer {
    int64_t id;
    int64_t conv_id;
    char peer_id[STORE_ID];
    char number[STORE_NUM];
    int64_t created_at, expires_at;
};

int store_offer_create(struct store *s, int64_t conv_id, const char *peer_id, const char *number,
                       int64_t now, int64_t expires_at);
int store_offer_open_for_conv(struct store *s, int64_t conv_id, struct store_offer *o);
/* open -> state; STORE_CONFLICT if it was no longer open. */
int store_offer_decide(struct store *s, int64_t offer_id, enum offer_state state, int64_t now);
/*
 * Peers who passed or let an offer of conv expire (handed_back 0), or handed
 * the chat back (#transfer, silence: handed_back 1), with when they last did.
 */
int store_offer_tried(struct store *s, int64_t conv_id,
                      int (*fn)(void *arg, const char *peer_id, int handed_back, int64_t at),
                      void *arg);
/*
 * Records that a coordinator took conv (#take REF) on number, with no offer
 * made: their chats are told, as peers' are, by the offers they took.
 */
int store_offer_record_take(struct store *s, int64_t conv_id, const char *peer_id,
                            const char *number, int64_t now);
/* Records that peer handed conv back: they are never offered it again. */
int store_offer_record_handback(struct store *s, int64_t conv_id, const char *peer_id,
                                const char *number, int64_t now);

/* ---- peers (store_peer.c) ---- */

enum peer_manual { PEER_MANUAL_NONE, PEER_MANUAL_ON, PEER_MANUAL_OFF };

struct store_peer_state {
    char peer_id[STORE_ID];
    enum peer_manual manual;
    int64_t manual_until; /* INT64_MAX: until changed */
    int64_t last_end;     /* last conversation ended; 0 never */
    int missed_offers;    /* offers let expire in a row */
};

int store_peer_state_list(struct store *s, int (*fn)(void *arg, const struct store_peer_state *p),
                          void *arg);
/* One peer's state: STORE_FOUND, or STORE_OK when they have none yet (no #on/#off, no chat). */
int store_peer_state_get(struct store *s, const char *peer_id, struct store_peer_state *ps);
int store_peer_set_manual(struct store *s, const char *peer_id, enum peer_manual m, int64_t until);
int store_peer_conversation_ended(struct store *s, const char *peer_id, int64_t now);
/* One more offer let expire; *in_a_row is the count since they last answered one. */
int store_peer_missed_offer(struct store *s, const char *peer_id, int *in_a_row);
/* They took or passed an offer: the missed-in-a-row count starts again. */
int store_peer_answered_offer(struct store *s, const char *peer_id);
/* Number last used by this peer on each pool number: calls fn(number, last_used). */
int store_peer_numbers(struct store *s, const char *peer_id,
                       int (*fn)(void *arg, const char *number, int64_t last_used), void *arg);
int store_peer_number_used(struct store *s, const char *peer_id, const char *number, int64_t now);

/* ---- opt-outs (store_peer.c) ---- */

/* scope: the number (or service) the opt-out was sent to; number: who opted out. */
int store_optout_set(struct store *s, const char *scope, const char *number, const char *source,
                     int64_t now);
int store_optout_clear(struct store *s, const char *scope, const char *number);
/* STORE_FOUND when number has opted out of scope. */
int store_optout_check(struct store *s, const char *scope, const char *number);
/* Calls fn(scope) for every scope `number` has opted out of. */
int store_optout_scopes(struct store *s, const char *number,
                        int (*fn)(void *arg, const char *scope), void *arg);

/* ---- debriefs (store_peer.c) ---- */

/*
 * Records a debrief: kind "offered" (the check-in after an urgent chat),
 * "asked" (a #debrief the coordinators were told of) or "repeated" (one
 * they were not: told of the same chat a moment before).
 */
int store_debrief_add(struct store *s, const char *peer_id, int64_t conv_id, const char *kind,
                      int64_t now);
/* STORE_FOUND when peer was offered a debrief after conv already. */
int store_debrief_offered(struct store *s, const char *peer_id, int64_t conv_id);
/*
 * The latest chat peer had on number (NULL: any): the offer they took, or
 * the chat they handed back (*handed_back 1), and when. STORE_FOUND, or
 * STORE_OK when they never had one.
 */
int store_peer_last_chat(struct store *s, const char *peer_id, const char *number, int64_t *conv_id,
                         int *handed_back, int64_t *at);
/* When peer's #debrief about conv (0: no chat) last reached the coordinators (*at 0: never). */
int store_debrief_last_told(struct store *s, const char *peer_id, int64_t conv_id, int64_t *at);
/*
 * The chat a peer's #debrief follows. From a chat's number: their latest
 * chat on that number. From the line (number NULL): the chat they were last
 * offered a debrief after, since `since`, else their latest chat. STORE_FOUND
 * with *conv_id, or STORE_OK (none known).
 */
int store_debrief_chat(struct store *s, const char *peer_id, const char *number, int64_t since,
                       int64_t *conv_id);

/* ---- outbox (store_outbox.c) ---- */

enum out_kind {
    OUT_SAFETY = 0, /* crisis resources, alerts */
    OUT_RELAY = 1,  /* a text from one side to the other (stored as 1 in SQL) */
    OUT_OFFER,      /* an offer to a peer */
    OUT_SYSTEM,     /* welcome, menus, confirmations */
    OUT_NOTICE,     /* queue updates and other low-priority notes */
};

enum out_state { OUT_PENDING, OUT_SENDING, OUT_SENT, OUT_FAILED, OUT_EXPIRED, OUT_SUPPRESSED };

struct store_out {
    int64_t id;
    int64_t conv_id; /* 0: none */
    char to[STORE_NUM];
    char from[STORE_NUM];
    char *body; /* owned by the caller on add; malloc'd on claim */
    enum out_kind kind;
    int64_t origin_inbound; /* for relays: the text carried (its sender is told of failure) */
    int64_t created_at;
    int64_t expires_at; /* useful life: not sent after this */
    int64_t not_before; /* on add: held until then (0: ready now) */
    int attempts;
    int after_optout; /* an opt-out confirmation: allowed once after the opt-out */
    int error_code;
    enum out_state state;
};

int store_outbox_add(struct store *s, const struct store_out *o, int64_t now);
/*
 * Rows whose lease ran out, and rows left 'sending' by `owner` (this node's,
 * at start: a crash mid-send), become pending again; owner NULL takes back
 * expired leases only (a running node's own sends are in flight, not lost).
 * Returns how many in *n.
 */
int store_outbox_reclaim(struct store *s, const char *owner, int64_t now, int *n);
/*
 * Claims up to `max` rows ready at `now` (per recipient thread, oldest first,
 * one at a time), leasing them to owner until now+lease_ms. fn receives each
 * (the body pointer is valid during the call only). In its own transaction,
 * committed before fn sees a row; or, called inside the caller's, in a
 * savepoint of it: on failure its own leases are undone and fn sees none.
 */
int store_outbox_claim(struct store *s, const char *owner, int64_t now, int64_t lease_ms, int max,
                       int (*fn)(void *arg, const struct store_out *o), void *arg);
int store_outbox_sent(struct store *s, int64_t id, const char *provider_sid, int segments,
                      int64_t now);
int store_outbox_retry(struct store *s, int64_t id, int64_t next_at, int code, const char *text);
/* Not yet (pacing): back to pending until not_before, the attempt not counted. */
int store_outbox_defer(struct store *s, int64_t id, int64_t not_before);
/* Final: OUT_FAILED, OUT_EXPIRED or OUT_SUPPRESSED. */
int store_outbox_finish(struct store *s, int64_t id, enum out_state st, int code, const char *text,
                        int64_t now);
/* Earliest not_before of pending rows, or INT64_MAX. */
int store_outbox_next_due(struct store *s, int64_t *at);
/* Relays that finally failed (or were suppressed) and whose writer has not been told yet. */
int store_outbox_failed_relay(struct store *s, struct store_out *o);
int store_outbox_failure_handled(struct store *s, int64_t id);
/* A status callback: updates the row with that provider sid. Sets *o when found. */
int store_outbox_status(struct store *s, const char *sid, const char *status, int code,
                        struct store_out *o);
void store_out_clear(struct store_out *o);

/*
 * Appends body (after a newline) to the newest relay of conv from -> to that
 * is still held back and never tried, if the two fit max_chars together.
 * *merged = 1 when it did; otherwise the caller adds a row.
 */
int store_outbox_merge_relay(struct store *s, int64_t conv_id, const char *to, const char *from,
                             const char *body, int max_chars, int *merged);
/*
 * The texts of kind for conv from -> to (to NULL: to anyone) not sent yet
 * never go: suppressed, those being sent too (not tried again if they
 * fail). A trainee's copies, when the copy ends for privacy.
 */
int store_outbox_withdraw(struct store *s, int64_t conv_id, const char *to, const char *from,
                          enum out_kind kind, int64_t now);

/*
 * A queue update replaces the texter's previous one if that is still unsent
 * (updates merge, never stack). *replaced = 1 when it did.
 */
int store_outbox_replace_notice(struct store *s, const char *to, const char *from, const char *body,
                                int *replaced);

/* ---- timers and alerts (store_timer.c) ---- */

enum timer_kind {
    TIMER_OFFER = 1,        /* the open offer expires */
    TIMER_QUEUE_UPDATE = 2, /* tell a waiting texter their place */
    TIMER_MAX_WAIT = 3,     /* waited max_wait: resources, keep place */
    TIMER_PEER_SILENCE = 4, /* the texter waits for the peer: nudge (stage 0), re-queue (1) */
    TIMER_IDLE = 5,         /* neither side wrote: close (or, urgent, prompt) */
    TIMER_ALERT = 6,        /* an alert not acknowledged by now goes to every coordinator */
    TIMER_DEBRIEF = 7,      /* the check-in after an urgent chat held on the line number */
};

struct store_timer {
    int64_t id;
    enum timer_kind kind;
    int64_t conv_id;
    int64_t due_at;
    int stage;
};

/* Sets (or moves) the conversation's timer of this kind. */
int store_timer_set(struct store *s, enum timer_kind kind, int64_t conv_id, int64_t due_at,
                    int stage);
/* Sets it only if the conversation has none of this kind. */
int store_timer_add(struct store *s, enum timer_kind kind, int64_t conv_id, int64_t due_at);
int store_timer_clear(struct store *s, enum timer_kind kind, int64_t conv_id);
/* Clears every timer of the conversation but an alert's. */
int store_timer_clear_all(struct store *s, int64_t conv_id);
/* Leases the earliest due timer to owner until now+lease_ms: STORE_FOUND, or STORE_OK (none). */
int store_timer_claim(struct store *s, const char *owner, int64_t now, int64_t lease_ms,
                      struct store_timer *t);
/* A claimed timer fired: removed (unless it was set again meanwhile). */
int store_timer_done(struct store *s, int64_t id, const char *owner);
/*
 * When an engine starts (or starts leading): the leases owner held when it
 * died are released at once. On PostgreSQL every lease is: only the
 * leading engine claims timers, so any lease left is one a dead or cut-off
 * engine held (waiting for it to lapse would fire timers late).
 */
int store_timer_reclaim(struct store *s, const char *owner);
/* When the next timer is due (or its lease runs out), or INT64_MAX. */
int store_timer_next(struct store *s, int64_t *at);

int store_alert_add(struct store *s, int64_t conv_id, const char *kind, const char *raised_by,
                    int64_t now);
/* The conversation's alerts not acknowledged yet. */
int store_alert_open(struct store *s, int64_t conv_id, int *n);
/* Acknowledges the conversation's open alerts; *acked = how many. */
int store_alert_ack(struct store *s, int64_t conv_id, const char *by, int64_t now, int *acked);

/* ---- what coordinators read and do (store_admin.c) ---- */

/* Every conversation not closed, urgent first, then by when it joined the line. */
int store_conv_live_list(struct store *s, int (*fn)(void *arg, const struct store_conv *c),
                         void *arg);
/* Alerts not acknowledged yet, oldest first. */
int store_alert_open_list(struct store *s,
                          int (*fn)(void *arg, int64_t conv_id, const char *kind, int64_t at),
                          void *arg);

struct store_counts {
    int64_t contacts;      /* conversations started */
    int64_t answered;      /* ...that reached a peer */
    int64_t abandoned;     /* ...that joined the line and closed without one */
    int64_t waiting;       /* ...in line now */
    int64_t crisis_alerts; /* crisis alerts raised */
};

/* Counts of conversations (and crisis alerts) started at or after `since`. */
int store_counts_since(struct store *s, int64_t since, struct store_counts *c);
/*
 * A number that changes when another handle (or process, or instance) has
 * committed since this one last asked (is the status it built still the
 * line's?). 0, or -1.
 */
int store_data_version(struct store *s, int64_t *version);

enum audit_state { AUDIT_PENDING, AUDIT_DONE, AUDIT_REFUSED };

/* A coordinator's action: asked through the admin API, carried out by the engine. */
struct store_audit {
    int64_t id;
    int64_t created_at;
    char coordinator[STORE_ID];
    char action[24];
    char target[STORE_ID];
    char arg[64];
    enum audit_state state;
    char result[160];
    int64_t done_at;
};

int store_audit_add(struct store *s, const char *coordinator, const char *action,
                    const char *target, const char *arg, int64_t now, int64_t *id);
/*
 * An action the admin API did itself (a coordinator's read of a chat's
 * notes), recorded as done at now with its result: never the engine's to
 * carry out.
 */
int store_audit_record(struct store *s, const char *coordinator, const char *action,
                       const char *target, const char *result, int64_t now, int64_t *id);
/* The oldest action still pending. STORE_FOUND or STORE_OK (none). */
int store_audit_next(struct store *s, struct store_audit *a);
int store_audit_get(struct store *s, int64_t id, struct store_audit *a);
/* pending -> st, with what came of it (never message text or a full number). */
int store_audit_done(struct store *s, int64_t id, enum audit_state st, const char *result,
                     int64_t now);
/* The newest `max` actions, newest first. */
int store_audit_recent(struct store *s, int max, int (*fn)(void *arg, const struct store_audit *a),
                       void *arg);

/* Numbers a coordinator blocked; STORE_FOUND from check when `number` is one. */
int store_block_add(struct store *s, const char *number, const char *by, int64_t now);
int store_block_remove(struct store *s, const char *number);
int store_block_check(struct store *s, const char *number);

/* Everything the database has counted since it began, for /metrics. */
struct store_totals {
    int64_t inbound;       /* texts received */
    int64_t outbox[6];     /* texts out, by enum out_state */
    int64_t send_attempts; /* calls to the provider */
    int64_t offers, offers_expired;
    int64_t alerts, crisis_alerts;
    int64_t conversations;
    int64_t ignored_own; /* texts from the line's own numbers (store_inbound_ignore) */
};

int store_totals(struct store *s, struct store_totals *t);

/* One conversation as a report sees it: no number, no text. */
struct store_report_row {
    char topic[STORE_ID]; /* "" when they never chose */
    char lang[8];
    char peer_id[STORE_ID]; /* the last peer it had, "" for none */
    int urgent;
    int closed;
    int64_t created_at, queued_at, matched_at, closed_at; /* 0: never */
    int rating;                                           /* 0: none */
    char channel[8];                                      /* "sms" or "voice" (a call) */
    int shadowed; /* a peer in training read along with it (for a while, at least) */
};

/* Calls fn for each conversation started at or after since (crisis records left out). */
int store_report_rows(struct store *s, int64_t since,
                      int (*fn)(void *arg, const struct store_report_row *r), void *arg);

/* What peers' tools were used for (SPEC section 11), since a time. */
struct store_tool_counts {
    int64_t notes;            /* #note: notes written */
    int64_t shadowed;         /* chats a trainee read along */
    int64_t debriefs_offered; /* check-ins after an urgent chat */
    int64_t debriefs_asked;   /* #debrief */
};

/*
 * Counts since `since` (0: ever), and resource(id, n) for each resource
 * sent (#res ID) in that time, by id.
 */
int store_tool_counts(struct store *s, int64_t since, struct store_tool_counts *t,
                      int (*resource)(void *arg, const char *id, int64_t n), void *arg);
/* ---- peers' private notes (store_notes.c) ---- */

struct store_note {
    int64_t id, conv_id;
    char peer_id[STORE_ID + 1]; /* who wrote it ("@" and a coordinator's id for their stand-in) */
    char writer[64];            /* their first name when they wrote it (at most 24 bytes) */
    const char *body;           /* valid during the callback only; NULL once purged */
    int64_t created_at;
};

/* A note on conversation conv_id (whose texter is `texter`) by peer_id, named writer. */
int store_note_add(struct store *s, int64_t conv_id, const char *texter, const char *peer_id,
                   const char *writer, const char *body, int64_t now);
/* Up to max of texter's notes written at or after since, not purged, newest first. */
int store_notes_recent(struct store *s, const char *texter, int64_t since, int max,
                       int (*fn)(void *arg, const struct store_note *n), void *arg);
/* Every note on conversation conv_id, purged ones too (body NULL), newest first. */
int store_notes_of_conv(struct store *s, int64_t conv_id,
                        int (*fn)(void *arg, const struct store_note *n), void *arg);
/* ---- resources sent (store_res.c) ---- */

/* A peer sent resource `resource_id` (in `lang`) to the texter of conv: counted, never its text. */
int store_resource_sent(struct store *s, int64_t conv_id, const char *resource_id,
                        const char *peer_id, const char *lang, int64_t now);
/* ---- trainees reading along, and PRIVATE (store_shadow.c) ---- */

/* A trainee's read-only copy of one chat, on a number of their own. */
struct store_shadow {
    int64_t id;
    int64_t conv_id;
    char trainee_id[STORE_ID];
    char number[STORE_NUM]; /* the pool number the copy comes from */
    int64_t started_at;
};

/* Opens one: STORE_OK, or STORE_CONFLICT when the trainee has one open already. */
int store_shadow_start(struct store *s, int64_t conv_id, const char *trainee_id, const char *number,
                       int64_t now);
/* The open shadow of a conversation, or of a trainee: STORE_FOUND or STORE_OK (none). */
int store_shadow_of_conv(struct store *s, int64_t conv_id, struct store_shadow *sh);
int store_shadow_of_trainee(struct store *s, const char *trainee_id, struct store_shadow *sh);
/* Ends it, with why (a short word): STORE_OK, or STORE_CONFLICT when it had ended. */
int store_shadow_end(struct store *s, int64_t id, const char *reason, int64_t now);
/* When the trainee last began to read along (0: never). */
int store_shadow_last_started(struct store *s, const char *trainee_id, int64_t *at);
/* Every open shadow, oldest first. */
int store_shadow_open_list(struct store *s, int (*fn)(void *arg, const struct store_shadow *sh),
                           void *arg);
/* The texter said PRIVATE: never read along with again (even back in line). */
int store_conv_set_private(struct store *s, int64_t conv_id);
/* 1 when the conversation is private, 0 when not, STORE_ERROR. */
int store_conv_is_private(struct store *s, int64_t conv_id);

/* ---- retention (store_purge.c) ---- */

struct store_purged {
    int64_t inbound, outbox; /* rows whose text went (and numbers were hashed) */
    int64_t conversations;   /* closed conversations whose texter number was hashed */
    int64_t contacts;        /* numbers forgotten */
    int64_t redactions;      /* provider ids queued for redaction (texts and recordings) */
    int64_t calls;           /* calls whose caller was hashed and recording let go */
    int64_t notes;           /* peers' notes whose words and texter number went */
    int checkpoint_busy;     /* SQLite: the WAL could not be truncated now (a reader);
                                PostgreSQL: the VACUUM failed; either way, next time */
};

/*
 * Deletes message text (peers' notes too) older than `before` (ms), hashes texter numbers in
 * what is that old, forgets contacts not heard from since, and queues the
 * provider's ids of the purged texts for redaction (a text and its id in the
 * same transaction), in short transactions of a range of rows each; then
 * truncates the write-ahead log.
 */
int store_purge(struct store *s, int64_t before, int64_t now, struct store_purged *c);
/*
 * The key texter numbers are hashed with from now on: derived from `secret`
 * (retention.hash_key, kept outside the database), or NULL/"" for the key
 * the database made for itself (weaker: it travels with every copy).
 */
int store_use_hash_key(struct store *s, const char *secret);
/* The next provider id due for redaction at now: STORE_FOUND or STORE_OK (none). */
int store_redaction_next(struct store *s, int64_t now, char sid[STORE_SID], int *attempts);
int store_redaction_done(struct store *s, const char *sid, const char *outcome, int64_t now);
int store_redaction_retry(struct store *s, const char *sid, int64_t next_at, const char *why);
int store_redaction_pending(struct store *s, int64_t *n);

/* Counts for tests and the dashboard: rows of outbox in a state. */
int store_outbox_count(struct store *s, enum out_state st, int64_t *n);

#endif

/*
 * store_voice.h - the calls, call_legs and voice_ops tables: a call to the
 * line, each peer's outbound leg, and the REST calls to the provider they
 * need (the voice outbox, drained by voicer.c). State changes are
 * compare-and-set like every other table (STORE_CONFLICT when lost), so the
 * first peer to press 1 wins whatever the order of webhooks.
 */
#ifndef PEERLINE_STORE_VOICE_H
#define PEERLINE_STORE_VOICE_H

#include "store.h"

enum call_state { CALL_MENU, CALL_RINGING, CALL_CONNECTED, CALL_VOICEMAIL, CALL_ENDED };

struct store_call {
    int64_t id;
    char call_sid[STORE_SID];
    char caller[STORE_NUM];
    char line_number[STORE_NUM];
    char lang[8];
    enum call_state state;
    char topic[STORE_ID];
    int urgent;
    int menu_tries;
    char peer_id[STORE_ID];
    int64_t created_at, queued_at, ring_until, answered_at, ended_at;
    char outcome[24];
    char recording_sid[STORE_SID];
    int recording_secs;
    int notified;
};

/* The call with that provider sid, made (STORE_NEW) or found (STORE_OK) into *c. */
int store_call_open(struct store *s, const char *call_sid, const char *caller, const char *line,
                    const char *lang, int64_t now, struct store_call *c);
/* STORE_FOUND or STORE_OK (no such call). */
int store_call_get(struct store *s, int64_t id, struct store_call *c);
int store_call_by_sid(struct store *s, const char *call_sid, struct store_call *c);
/* 1 when a #callback to the call is being made now, 0 when not, -1 on error. */
int store_call_callback_live(struct store *s, int64_t call_id);
int store_call_menu_try(struct store *s, int64_t id);
/* menu -> ringing for topic, ringing until ring_until. */
int store_call_ring(struct store *s, int64_t id, const char *topic, int64_t now,
                    int64_t ring_until);
/* Peers are rung no longer: the ring time ends now (the voicer sends the caller on). */
int store_call_ring_over(struct store *s, int64_t id, int64_t now);
/* ringing -> connected: peer_id pressed 1 first. STORE_CONFLICT when someone else did. */
int store_call_accept(struct store *s, int64_t id, const char *peer_id, int64_t now);
/* from -> to (CAS); to CALL_ENDED also sets ended_at and outcome. notify: the engine owes texts. */
int store_call_move(struct store *s, int64_t id, enum call_state from, enum call_state to,
                    const char *outcome, int notify, int64_t now);
/* Ends the call whatever its state (unless over already), with outcome. STORE_CONFLICT if over. */
int store_call_end(struct store *s, int64_t id, const char *outcome, int notify, int64_t now);
int store_call_urgent(struct store *s, int64_t id);
/* A voicemail was left: its recording, and the engine owes the coordinators a text. */
int store_call_recorded(struct store *s, int64_t id, const char *recording_sid, int secs);
/* The ringing call whose ring time is over first (STORE_FOUND), or STORE_OK. */
int store_call_ring_due(struct store *s, int64_t now, struct store_call *c);
/* The earliest ring_until of a ringing call into *at (INT64_MAX: none). */
int store_call_next_ring(struct store *s, int64_t *at);
/* A call the engine owes texts about (STORE_FOUND), or STORE_OK. */
int store_call_unnotified(struct store *s, struct store_call *c);
int store_call_notified(struct store *s, int64_t id);
/* Files the ended call among the conversations (channel 'voice') for reports. */
int store_call_file(struct store *s, int64_t id);
/*
 * A call whose ending no webhook will tell (the caller hung up at the menu
 * or before leaving a message; both sides' callbacks lost): in voicemail
 * since before voicemail_before, at the menu since menu_before, connected
 * since connected_before, or connected with the peer's leg over since
 * before peer_left_before (the caller's /done lost). STORE_FOUND or
 * STORE_OK (none).
 */
int store_call_stale(struct store *s, int64_t voicemail_before, int64_t menu_before,
                     int64_t connected_before, int64_t peer_left_before, struct store_call *c);
/*
 * connected -> voicemail: the peer who pressed 1 never joined the caller
 * (their leg dropped first), so the caller, still waiting, is offered a
 * voicemail as if nobody had answered. STORE_CONFLICT when not connected.
 */
int store_call_unanswer(struct store *s, int64_t id, int64_t now);
/* Calls open now (not ended), for the dashboard: fn for each. */
int store_call_each_open(struct store *s, int (*fn)(void *arg, const struct store_call *c),
                         void *arg);

enum leg_state { LEG_PENDING, LEG_RINGING, LEG_ACCEPTED, LEG_DONE };

struct store_leg {
    int64_t id, call_id;
    char peer_id[STORE_ID];
    char peer_phone[STORE_NUM];
    int callback; /* a peer's masked dial-back, not a ring */
    enum leg_state state;
    char leg_sid[STORE_SID];
    char end_status[24];
};

int store_leg_add(struct store *s, int64_t call_id, const char *peer_id, const char *phone,
                  int callback, int64_t now, int64_t *id);
int store_leg_get(struct store *s, int64_t id, struct store_leg *l);
/* The ring leg of the peer who pressed 1 first (whatever its state now): STORE_FOUND or STORE_OK.
 */
int store_leg_winner(struct store *s, int64_t call_id, struct store_leg *l);
/* The provider's sid of the leg; pending -> ringing (a leg ended meanwhile stays done). */
int store_leg_started(struct store *s, int64_t id, const char *sid);
/* ringing -> accepted (CAS). */
int store_leg_accept(struct store *s, int64_t id);
/* The leg is over (any state but done) with status. */
int store_leg_end(struct store *s, int64_t id, const char *status, int64_t now);
/* How many legs of the call are still pending or ringing, into *n. */
int store_leg_live_count(struct store *s, int64_t call_id, int64_t *n);
/*
 * A hang-up (voice_ops) for every ring leg of the call still pending or
 * ringing, due now, given up at expires_at (a #callback leg is left be).
 */
int store_leg_hang_up_live(struct store *s, int64_t call_id, int64_t now, int64_t expires_at);
/* 1 when the peer is on a call now or being rung for one, 0 when not, -1 on error. */
int store_peer_on_call(struct store *s, const char *peer_id);

enum vop_kind { VOP_DIAL, VOP_HANGUP, VOP_VOICEMAIL };

struct store_vop {
    int64_t id, call_id, leg_id;
    enum vop_kind op;
    int attempts;
    int64_t created_at, expires_at;
};

int store_vop_add(struct store *s, int64_t call_id, int64_t leg_id, enum vop_kind op, int64_t now,
                  int64_t expires_at);
/* Claims the next due op for lease_ms (STORE_FOUND), or STORE_OK when none is due. */
int store_vop_claim(struct store *s, int64_t now, int64_t lease_ms, struct store_vop *v);
int store_vop_done(struct store *s, int64_t id, int ok, int error_code, int64_t now);
int store_vop_retry(struct store *s, int64_t id, int64_t at, int error_code);
/* The earliest not_before of a pending op into *at (INT64_MAX: none). */
int store_vop_next_due(struct store *s, int64_t *at);

#endif

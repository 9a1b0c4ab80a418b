/*
 * engine_priv.h - shared by the engine's files only (engine*.c): the
 * engine's state and the helpers its parts call on one another. Every
 * function here runs inside the caller's transaction and only reads and
 * writes the store: nothing here does network I/O or reads the clock (the
 * run's time is e->now).
 *
 * The parts are layered, each calling only those declared above it here:
 * out (texts) < res < notes < match < shadow (trainees reading along) <
 * conv (the lifecycle) < safety < debrief < voice < timer < peer < texter <
 * admin, and engine.c, the dispatcher, on top. The lint
 * check (tests/layers.sh) fails if a call ever goes the other way.
 */
#ifndef PEERLINE_ENGINE_PRIV_H
#define PEERLINE_ENGINE_PRIV_H

#include "engine.h"
#include "store.h"
#include "texts.h"

#include <stddef.h>
#include <stdint.h>

struct buf;
struct command;
struct config;
struct crisis;
struct roster;
struct roster_peer;

/* A texter in line hears "you're still in line" at most this often. */
#define STILL_QUEUED_EVERY (5 * 60 * 1000)
/* Inputs handled in one transaction (one fsync), each in its own savepoint. */
#define ENGINE_GROUP 64
/* Outbox rows per group whose readiness is timed (latency.h); more are not timed. */
#define ENGINE_READY 256
/* A failing input is retried after this long... */
#define RETRY_AFTER 1000
/* ...and set aside (stored, logged, not acted on) after this many failures in a row. */
#define GIVE_UP_AFTER 5
/* A delivery status for a text whose provider id is not stored yet waits this long. */
#define STATUS_WAIT (10 * 60 * 1000)
/* How long a claimed timer is ours before another engine may fire it. */
#define TIMER_LEASE (60 * 1000)
/*
 * The most of one inbound text a relay carries: Twilio's own limit for a
 * body (SMS_MAX_CHARS), so a text no carrier could deliver whole costs the
 * reader one text, not dozens. The rest stays in the database.
 */
#define RELAY_MAX_CHARS 1600

struct engine {
    const struct config *cfg;
    struct store *st;
    const struct roster *roster;
    const struct texts *texts; /* the line's templates, in every offered language */
    struct crisis *crisis;     /* the tripwire's phrases */
    char lang_buf[8];          /* engine_lang_of's answer for a texter */
    char node[128];            /* this instance's name, for timer leases */
    int64_t now;
    int queued;                     /* outbox rows added in this run */
    int64_t next_shift_check;       /* when peer availability next changes by the clock */
    int retired_offers;             /* a new roster: withdraw offers its retired peers hold */
    int shadow_roster;              /* a new roster: end copies whose trainee left it */
    int trainees;                   /* the roster has trainees: chats may have copies */
    const atomic_ulong *sig_streak; /* the webhook's failures in a row (engine_watch_signatures) */
    unsigned long sig_after;        /* this many make an alert */
    int64_t sig_told_at;
    int64_t failing_id; /* the inbound text that failed last, and how often */
    int failures;
    int status_waiting;    /* a status event is waiting for its text's provider id */
    int started;           /* timer leases left by an earlier engine have been released */
    int64_t failing_timer; /* the timer that failed last, and how often */
    int timer_failures;
    struct latency *lat; /* may be NULL */
    void (*on_queued)(void *arg);
    void *queued_arg;
    int64_t arrival_us; /* when the text being handled arrived (0: not timed) */
    struct {
        int64_t outbox_id, arrival_us;
    } ready[ENGINE_READY]; /* rows this group queued for timed texts */
    size_t nready;
};

#define NVARS(v) (sizeof(v) / sizeof((v)[0]))

/* ---- engine_out.c: texts out ---- */

/* Queues body (split when long) from -> to. expires_at 0: the usual useful life. */
int engine_send_full(struct engine *e, int64_t conv, const char *to, const char *from,
                     enum out_kind kind, const char *body, int64_t origin, int64_t expires_at,
                     int after_optout);
int engine_send(struct engine *e, int64_t conv, const char *to, const char *from,
                enum out_kind kind, const char *body, int64_t origin);
/*
 * How many bytes of body a relay carries: at most RELAY_MAX_CHARS
 * characters, cut between two; *cut set to 1 when that is not all of it.
 */
size_t engine_relay_len(const char *body, int *cut);
/*
 * Queues what one person wrote (inbound `origin`) for the other: OUT_RELAY,
 * at most RELAY_MAX_CHARS characters of it. *cut is 1 when it was shortened:
 * the caller tells the peer (engine_say_shortened).
 */
int engine_relay(struct engine *e, int64_t conv, const char *to, const char *from, const char *body,
                 int64_t origin, int *cut);
/* Renders a system text and queues it. */
int engine_say_full(struct engine *e, int64_t conv, const char *to, const char *from,
                    enum text_id id, const struct text_var *vars, size_t nvars, enum out_kind kind,
                    int64_t expires_at, int after_optout);
int engine_say(struct engine *e, int64_t conv, const char *to, const char *from, enum text_id id,
               const struct text_var *vars, size_t nvars);
/* A peer hears that a relay was shortened (TX_RELAY_SHORTENED or TX_REPLY_SHORTENED). */
int engine_say_shortened(struct engine *e, int64_t conv, const char *peer, const char *number,
                         enum text_id id);
/* The menu (TX_MENU or TX_MENU_AGAIN) in the texter's language, offering the others. */
int engine_say_menu(struct engine *e, const struct store_conv *c, enum text_id id);
/* Renders with the values every text may use (line, line_number, crisis_line, emergency). */
int engine_render(struct engine *e, enum text_id id, const char *lang, const struct text_var *vars,
                  size_t nvars, struct buf *out);
/* The language the person at `number` reads (valid until the next call). */
const char *engine_lang_of(struct engine *e, const char *number);

int engine_is_pool(const struct config *c, const char *number);
/* The numbers chats with peers use: the pool, or the line number alone. */
size_t engine_conv_numbers(const struct config *c, const char *const **list);
const char *engine_topic_label(const struct roster *r, const char *topic_id);
void engine_format_minutes(int64_t ms, const char *lang, char *out, size_t n);

/* ---- engine_notes.c: peers' private notes ---- */

/*
 * #note TEXT from peer in active chat c: kept (at most NOTES_MAX_CHARS
 * characters of it), the peer told; #note alone: how to write one.
 */
int engine_note_write(struct engine *e, const struct roster_peer *peer, const struct store_conv *c,
                      const struct store_inbound *in);
/*
 * #note on in->to, where peer has no open chat: kept on the last chat they
 * took there (the offers they took or chats they handed back, nothing
 * older), when it closed or they handed it back within NOTES_AFTER_CLOSE.
 * 1 when there is none (the caller answers), 0 done, -1 on error.
 */
int engine_note_after(struct engine *e, const struct roster_peer *peer,
                      const struct store_inbound *in);
/*
 * peer takes c: the texter's notes of the last timers.rematch_window,
 * newest first, queued for the peer on c's number (nothing when none).
 */
int engine_notes_hand_over(struct engine *e, const struct roster_peer *peer,
                           const struct store_conv *c);
/* ---- engine_res.c: resources (#res) ---- */

/*
 * #res in c's thread from peer (arg: what follows the word): the list of
 * resources that fit the chat, or the one named sent to the texter.
 */
int engine_res(struct engine *e, const struct roster_peer *peer, const struct store_conv *c,
               const struct store_inbound *in, const char *arg);

/* ---- engine_match.c ---- */

struct match_peer;

/* The least recently used number p can take a new chat on, into out (-1: none). */
int engine_pick_number(struct engine *e, const struct roster_peer *p, char out[STORE_NUM]);
/* Matches everyone waiting and makes the offers, in its own transaction. */
int engine_match(struct engine *e, int64_t *next_due);
/*
 * Every roster peer's live state (mp has roster->npeers entries); when
 * next_change is given, the earliest instant a cooldown or #on/#off ends.
 */
int engine_peer_states(struct engine *e, struct match_peer *mp, int64_t *next_change);
/*
 * Whether someone could serve c now (1), or not (0, *next_start = when the
 * first one comes on shift, INT64_MAX: not within a week). -1 on error.
 */
int engine_coverage(struct engine *e, const struct store_conv *c, int64_t *next_start);

/* ---- engine_shadow.c: trainees reading along ---- */

/* Why a trainee's copy of a chat ends. */
enum shadow_end {
    SHADOW_END_CLOSED,   /* the chat closed */
    SHADOW_END_REQUEUED, /* it went back to the line */
    SHADOW_END_URGENT,   /* it became urgent (trainees.shadow_urgent off) */
    SHADOW_END_PRIVATE,  /* the texter said PRIVATE */
    SHADOW_END_UNSHADOW, /* the trainee said #unshadow */
    SHADOW_END_OPTOUT,   /* the trainee opted out of the copy's number */
    SHADOW_END_ROSTER,   /* the trainee left the roster, or is no longer one */
};

/*
 * peer just took c (after its introductions and what the texter wrote so
 * far): one trainee who may read along begins to (their introduction; the
 * texter and the peer told), or none. 0 either way, -1 on error.
 */
int engine_shadow_start(struct engine *e, const struct roster_peer *peer,
                        const struct store_conv *c);
/*
 * What one side of chat conv wrote reaches its trainee, if one reads along:
 * "Texter: " (name NULL) or "NAME: " and the first n bytes of body, as the
 * other side got them; n 0 with picture set: a line saying a picture was
 * sent.
 */
int engine_shadow_copy(struct engine *e, int64_t conv, const char *name, const char *body, size_t n,
                       int picture);
/* conv's copy (if any) ends, for why: the trainee, and the peer while the chat goes on, told. */
int engine_shadow_end(struct engine *e, int64_t conv, enum shadow_end why);
/* conv became urgent: its copy ends, unless trainees.shadow_urgent. */
int engine_shadow_urgent(struct engine *e, int64_t conv);
/* The trainee opted out of number: their copy on it ends. */
int engine_shadow_opted_out(struct engine *e, const struct roster_peer *trainee,
                            const char *number);
/* PRIVATE from c's texter: never read along with again; a copy ends; the texter told. */
int engine_shadow_private(struct engine *e, const struct store_conv *c);
/* After a roster change: the copies of trainees who left it (or are no longer trainees) end. */
int engine_shadow_roster(struct engine *e);
/*
 * A text from peer tp on in->to (cmd: its command, or NULL): #unshadow and
 * #suggest, and anything sent in a copy's thread (read-only: a reminder).
 * 1 when it is not about a copy: the caller answers as usual.
 */
int engine_shadow_command(struct engine *e, const struct store_inbound *in,
                          const struct roster_peer *tp, const struct command *cmd);

/* ---- engine_conv.c: the conversation lifecycle ---- */

/*
 * After an urgent chat of theirs ended (closed, or handed on with
 * #transfer), the peer gets one kind check-in naming #debrief, from the
 * line number: once per chat, never to a coordinator. after_last_word (the
 * texter said BYE): a chat held on the line number itself (no pool) gets it
 * once the last-word window has closed (TIMER_DEBRIEF), so a reply to it
 * is never a last word relayed to the texter.
 */
int engine_offer_debrief(struct engine *e, const struct store_conv *c, const char *peer_id,
                         int after_last_word);
/* Closes c whatever its open state (withdrawing an offer, freeing the number, timers). */
int engine_close_conv(struct engine *e, const struct store_conv *c, const char *reason);
/* Puts c in line for topic t and tells the texter their place. */
int engine_queue(struct engine *e, const struct store_conv *c, int t);
/* After a chat ends: the rating question, if the line asks it (endings.rating). */
int engine_ask_rating(struct engine *e, const struct store_conv *c);
/* The texter closed by the line: the peer (if any) told, the chat closed. */
int engine_close_by_line(struct engine *e, const struct store_conv *c, const char *reason);
/*
 * Tells a waiting texter their place: first (when they join the line) or as
 * an update (merged with an unsent one). With an honest wait when recent
 * waits allow, or that no one is on shift and when the next shift starts.
 * *next (if given) is when the next update is worth sending.
 */
int engine_tell_place(struct engine *e, const struct store_conv *c, int first, int64_t *next);
/* The chat went back to the line: its chat clocks stop, queue updates start. */
int engine_requeued(struct engine *e, int64_t conv_id);
/* Sets the peer off for the rest of this shift, or the next if off shift now (*until). */
int engine_set_off(struct engine *e, const struct roster_peer *p, int64_t *until);

/* ---- engine_safety.c: the crisis tripwire and alerts ---- */

/*
 * The tripwire, on every texter text before anything else reads it. When
 * the text names a crisis phrase (returns 1): the safety text, the
 * conversation urgent and in line, the coordinators alerted, each at most
 * once per conversation in crisis.safety_every / crisis.alert_every (per
 * number for one that opted out or is blocked). 0: no crisis words.
 */
int engine_crisis(struct engine *e, const struct store_inbound *in, int opted_out, int blocked);
/*
 * Alerts the on-call coordinators about c with text id (kind for the record;
 * raised by `by`, with `note`, or by the line). Unacknowledged after
 * crisis.ack_within, it goes to every coordinator (engine_fire_alert).
 */
int engine_alert(struct engine *e, const struct store_conv *c, const char *kind, enum text_id id,
                 const struct roster_peer *by, const char *note);
int engine_fire_alert(struct engine *e, const struct store_conv *c);
/* A text the engine gave up on: if it held crisis words, every coordinator is told. */
int engine_crisis_unhandled(struct engine *e, const struct store_inbound *in);
/* Texts every on-call coordinator (every coordinator when `all`) about conv; *sent counts them. */
int engine_tell_coordinators(struct engine *e, int64_t conv, enum text_id id,
                             const struct text_var *v, size_t nv, int all, int *sent);
/* On-call coordinators hear that `failures` webhooks failed their signature check. */
int engine_signature_alert(struct engine *e, unsigned long failures);
/* The on-call coordinators hear that peer opted out of one of the line's numbers. */
int engine_peer_opt_out_alert(struct engine *e, const struct roster_peer *peer);

/* ---- engine_debrief.c ---- */

/*
 * #debrief from peer (or a coordinator's stand-in), on a chat's number
 * (`number`) or on the line (number NULL): the on-call coordinators are
 * told who asked and after which chat; the peer is told they were. The
 * answer goes from `to`.
 */
int engine_debrief(struct engine *e, const struct roster_peer *peer, const char *number,
                   const char *to);

/* ---- engine_voice.c: calls ---- */

/* Texts owed about calls (voicemails, missed calls, the crisis option), each in its own txn. */
int engine_calls(struct engine *e);
/* #callback REF from a voice peer or a coordinator: the missed caller is called back. */
int engine_call_back(struct engine *e, const struct roster_peer *who, const char *ref,
                     const char *to);

/* ---- engine_timer.c ---- */

int engine_expire_offer(struct engine *e, const struct store_offer *o);
/* Fires one claimed timer. */
int engine_fire(struct engine *e, const struct store_timer *t);

/* ---- engine_peer.c ---- */

int engine_peer_on_number(struct engine *e, const struct store_inbound *in,
                          const struct roster_peer *peer);
int engine_staff_on_line(struct engine *e, const struct store_inbound *in);
/*
 * The peer (or a coordinator's stand-in) opted out of `number`: their chats on
 * every number the opt-out covers go back to the line, they are set off and
 * the on-call coordinators told. An opt-out covering none of the chat numbers
 * (the line number, with a pool and per-number scope) is only recorded.
 */
int engine_peer_opt_out(struct engine *e, const struct roster_peer *peer, const char *number);

/*
 * #on [duration] (default 2h, at most 24h) and #off, confirmed to the peer
 * from `to`; also the admin API's peer on/off. A bad duration is answered
 * with the command list.
 */
int engine_peer_set_on(struct engine *e, const struct roster_peer *p, const char *arg,
                       const char *to);
int engine_peer_set_off(struct engine *e, const struct roster_peer *p, const char *to);

/* ---- engine_texter.c ---- */

int engine_texter(struct engine *e, const struct store_inbound *in, int64_t *conv, int *pending);
int engine_stranger_on_pool(struct engine *e, const struct store_inbound *in);

/* ---- engine_admin.c: coordinators' actions from the admin API ---- */

/* Carries out a pending action; *st and result say what came of it. */
int engine_action(struct engine *e, const struct store_audit *a, enum audit_state *st, char *result,
                  size_t n);

#endif

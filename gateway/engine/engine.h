/*
 * engine.h - the conversation engine: turns stored inputs into state changes
 * and the texts they cause (SPEC sections 5.1-5.3).
 *
 * It runs on one thread with its own store handle. Each input (an inbound
 * text, a delivery status, a failed relay, an expired offer) is handled in
 * one transaction together with every outbox row it causes, so a crash at
 * any moment either did all of it or none, and the input is handled again
 * after a restart. After the inputs, the matcher runs and offers are made.
 *
 * The roster is borrowed: the caller keeps it alive and swaps it only
 * between engine_run() calls.
 */
#ifndef PEERLINE_ENGINE_H
#define PEERLINE_ENGINE_H

#include <stdatomic.h>
#include <stdint.h>

struct config;
struct roster;
struct store;

struct engine;

struct texts;

/*
 * node names this instance in the leases it takes on timers; texts (kept
 * alive by the caller) are the line's templates.
 */
struct engine *engine_new(const struct config *cfg, struct store *st, const char *node,
                          const struct texts *texts);
void engine_free(struct engine *e);
/*
 * The roster to use from the next run. A peer the new roster drops who still
 * has chats open is kept in it as retired (roster_adopt), so those chats
 * go on until they end; r must not be shared with other threads yet.
 */
void engine_set_roster(struct engine *e, struct roster *r);
/* A reloaded config and its templates (kept alive by the caller), from the next run. */
int engine_set_config(struct engine *e, const struct config *cfg, const struct texts *texts);
/*
 * This engine leads again after another instance's engine may have (its
 * store's lock was taken anew: store_lead): the next run starts as on a
 * fresh start, taking back the timer leases the other engine left.
 */
void engine_took_over(struct engine *e);

/*
 * Handles everything due at `now` (ms). Sets *next_due to the next time it
 * needs to run without new input (INT64_MAX: only on input) and *queued to
 * the number of texts it added to the outbox. Returns 0, or -1 when the
 * database failed (it is retried at *next_due).
 */
int engine_run(struct engine *e, int64_t now, int64_t *next_due, int *queued);
/*
 * The webhook's count of signature failures in a row: from `after` on, the
 * on-call coordinators are told (at most hourly), since a wrong public_url
 * or auth token makes every real text fail; a stray forgery among good
 * texts resets the count and alerts no one.
 */
void engine_watch_signatures(struct engine *e, const atomic_ulong *streak, unsigned long after);

struct latency;
/*
 * lat (may be NULL) learns when the texts each inbound text causes become
 * ready to send (latency.h); on_queued(arg) runs after each group of
 * inbound texts that queued some, so the sender starts on a relay at once
 * instead of after the rest of the run.
 */
void engine_watch_latency(struct engine *e, struct latency *lat, void (*on_queued)(void *arg),
                          void *arg);

struct match_peer;

/*
 * Every roster peer's live state at `now` as the engine sees it (open chats,
 * offers, #on/#off, cooldown, numbers), read through `st` (any handle), for
 * the dashboard and metrics. mp has roster->npeers entries.
 */
int engine_peers_now(const struct config *cfg, struct store *st, const struct roster *r,
                     int64_t now, struct match_peer *mp);

#endif

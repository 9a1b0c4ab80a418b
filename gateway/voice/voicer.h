/*
 * voicer.h - the voice outbox's worker: it makes the REST calls that
 * voice.c's decisions stored in voice_ops (ring a peer's leg from the line
 * number, hang a leg up, send a waiting caller to voicemail), retrying with
 * backoff within each call's useful life, and it keeps time for calls:
 * a ring time that runs out sends the caller to voicemail, and a call no
 * webhook will ever end (the caller hung up at the menu) is closed.
 *
 * One thread with its own database handle and one curl handle: calls are
 * few, and each REST call is answered in well under a second.
 */
#ifndef PEERLINE_VOICER_H
#define PEERLINE_VOICER_H

#include <stddef.h>

struct config;
struct voicer;

/*
 * Starts the thread. owed(arg) is called (on the voicer's thread) after a
 * round that ended a call owing texts (a caller who hung up while waiting,
 * a voicemail never left), so the engine sends them now, not at its next
 * timer. NULL with a reason in err.
 */
struct voicer *voicer_start(const struct config *cfg, void (*owed)(void *arg), void *arg, char *err,
                            size_t errlen);
/* New ops or calls to look at: look now. Safe from any thread. */
void voicer_wake(struct voicer *v);
/* A reloaded config: used from the next round. cfg must outlive v. */
void voicer_set_config(struct voicer *v, const struct config *cfg);
/*
 * The config the voicer's current (or last) round reads: an older one it no
 * longer reads once this is another (the server then may free it).
 */
const struct config *voicer_config_read(struct voicer *v);
/* Finishes the op in hand, stops, frees. */
void voicer_stop(struct voicer *v);

/* One round at now (ms), for tests: 0, or -1 when the database failed. */
int voicer_round(struct voicer *v, long long now);

#endif

/*
 * retention.h - message text disappears on schedule (SPEC section 8).
 *
 * retention_purge() applies retention.message_days to our copy (see
 * store_purge); retention_redact() then asks the provider to redact each
 * purged text's id (Twilio: POST .../Messages/{Sid}.json with an empty
 * Body), retrying later when it cannot. The running server does both every
 * retention.purge_every on a thread of its own (the janitor); `peerline
 * purge` does both once, now.
 */
#ifndef PEERLINE_RETENTION_H
#define PEERLINE_RETENTION_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct store;
struct store_purged;

int retention_purge(const struct config *cfg, struct store *st, int64_t now,
                    struct store_purged *c);

/*
 * Redacts up to max queued ids due at now at the provider. *redacted and
 * *failed (given up) count this call's outcomes; the rest wait for a retry.
 * The round ends early when the provider does not answer or is struggling
 * (5xx, 429), or when *stop (if given) becomes non-zero.
 * Returns 0, or -1 when the database failed.
 */
int retention_redact(const struct config *cfg, struct store *st, int64_t now, int max,
                     const atomic_int *stop, int *redacted, int *failed);

struct janitor;

/*
 * Starts the janitor thread (its own store handle): retention on schedule,
 * and reconciliation (reconcile.h) at start and every reconcile.every,
 * calling found(arg) when that stored texts. With several instances
 * (leading not NULL), retention, reconciliation and redactions run only
 * while *leading is 1: once for the line, not once per instance; spooled
 * texts are replayed either way. NULL with a reason in err.
 */
struct janitor *janitor_start(const struct config *cfg, const atomic_int *leading,
                              void (*found)(void *arg), void *arg, char *err, size_t errlen);
/* A reloaded config (retention settings): used from its next round. cfg must outlive j. */
void janitor_set_config(struct janitor *j, const struct config *cfg);

/*
 * The config the janitor's current (or last) round reads: an older one it no
 * longer reads once this is another (the server then may free it).
 */
const struct config *janitor_config_read(struct janitor *j);
void janitor_stop(struct janitor *j);
/* Something to do now (a text was spooled): the janitor looks at once. */
void janitor_wake(struct janitor *j);

/* `peerline purge -c FILE` */
int purge_main(int argc, char **argv);

#endif

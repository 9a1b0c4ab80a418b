/*
 * sender.h - drains the outbox to the provider's REST API (SPEC section 6).
 *
 * One thread with its own store handle and a libcurl multi handle (HTTP
 * keep-alive, several requests in flight). It claims ready rows with a
 * lease, checks each against opt-outs and its useful life, paces each sending
 * number to provider.send_rate segments per second, and records the result:
 * the provider's id, a retry time (exponential backoff with jitter, bounded
 * in count and age), or a final failure. A provider that is down only delays
 * texts; nothing here blocks the webhook.
 */
#ifndef PEERLINE_SENDER_H
#define PEERLINE_SENDER_H

#include <stddef.h>

struct config;
struct metrics;
struct sender;

/*
 * Opens its own store on cfg->database. node_id names this instance in
 * leases. on_final(arg) is called (from the sender thread) after a text
 * finally fails, so the engine can tell its writer. metrics (may be NULL)
 * counts attempts, retries and latency.
 */
struct sender *sender_new(const struct config *cfg, const char *node_id,
                          void (*on_final)(void *arg), void *arg, struct metrics *metrics,
                          char *err, size_t errlen);
struct store_gate;
/* Lets the process's first writer (the webhooks') go before the sender (store.h); before start. */
void sender_use_gate(struct sender *s, struct store_gate *g);
int sender_start(struct sender *s);
/* New rows were queued: look now. Safe from any thread. */
void sender_wake(struct sender *s);
/* Finishes requests in flight (claims nothing new), joins the thread, frees. */
void sender_stop(struct sender *s);

#endif

/*
 * hookwatch.h - what every signed webhook endpoint does with a request it
 * refuses, in one place: texts and delivery statuses (/twilio/sms,
 * /twilio/status), the Fallback URL (/twilio/spool), Telnyx's events
 * (/telnyx/sms) and every voice path (/twilio/voice...).
 *
 * A signature that does not match is counted (since start, and in the
 * /metrics counter the daemon points at), logged with a hint, answered 403,
 * and added to a streak that any good signature ends. A wrong public_url or
 * auth token fails every real request this way, so the streak reaching
 * HOOKWATCH_ALERT wakes whoever alerts the on-call coordinators (the engine
 * reads the streak: engine_watch_signatures). A request that is signed right
 * but not well formed is counted and answered 400, the same everywhere.
 *
 * It lives in base/ because the voice webhooks (voice/) sit below the text
 * webhooks (serve/): the daemon owns one struct hookwatch and hands both the
 * same pointer, so no endpoint keeps a count of its own.
 */
#ifndef PEERLINE_HOOKWATCH_H
#define PEERLINE_HOOKWATCH_H

#include <stdatomic.h>

struct http_request;
struct http_response;

/* Signature failures in a row (no good one between) that alert the coordinators. */
#define HOOKWATCH_ALERT 3

struct hookwatch {
    atomic_ulong forged; /* signature failures since start, for the log */
    atomic_ulong streak; /* in a row: any good signature resets it */
    /* Also bumped, when set: the /metrics counters (bad_signature, bad_request). */
    atomic_ulong *forged_total;
    atomic_ulong *bad_total;
    void (*on_streak)(void *arg); /* the streak just reached HOOKWATCH_ALERT; may be NULL */
    void *arg;
};

void hookwatch_init(struct hookwatch *h);

/* A request whose signature matched: a wrong public_url would not have let it through. */
void hookwatch_good(struct hookwatch *h);

/*
 * A request whose signature did not match (why: what the check found):
 * counted, logged with its path and a hint, answered 403 in res. h may be
 * NULL (nothing counted), res is always filled.
 */
void hookwatch_forged(struct hookwatch *h, const struct http_request *req, const char *why,
                      struct http_response *res);

/* A request that is not what the provider sends (why says what): counted, answered 400. */
void hookwatch_bad(struct hookwatch *h, const char *why, struct http_response *res);

#endif

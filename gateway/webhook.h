/*
 * webhook.h - the gateway's HTTP surface: the provider's webhooks
 * (POST /twilio/sms, POST /twilio/status, and POST /twilio/spool for the
 * numbers' Fallback URL: see spool.h) and GET /healthz.
 *
 * A webhook is checked (content type, form body, X-Twilio-Signature over
 * public_url + the raw request URI + every parameter), stored, and only then
 * answered 200: the engine does the rest from the database. A wrong or
 * missing signature is 403 and changes nothing; a malformed request is 400;
 * a text that could not be stored is 500 (never a 200).
 */
#ifndef PEERLINE_WEBHOOK_H
#define PEERLINE_WEBHOOK_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

struct config;
struct metrics;
struct store;
struct http_request;
struct http_response;

/* Signature failures in a row (no good one between) that alert the coordinators. */
#define WEBHOOK_SIGNATURE_ALERT 3

/* HTTP threads, and so database handles: one each, so no webhook waits for another. */
#define WEBHOOK_THREADS 4

struct webhook {
    const struct config *cfg;
    void (*on_stored)(void *arg); /* new input for the engine */
    void *arg;
    void (*on_spooled)(void *arg);   /* a text went to the spool: replay it when possible */
    struct metrics *metrics;         /* may be NULL */
    atomic_ulong signature_failures; /* since start, for the log */
    atomic_ulong signature_streak;   /* in a row: any good signature resets it */
    /* private: a database handle per HTTP thread, lent out per request */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct store *stores[WEBHOOK_THREADS];
    int lent[WEBHOOK_THREADS];
    int opened;
};

/* Opens the database handles. Returns 0, or -1 with a reason in err. */
int webhook_open(struct webhook *w, const struct config *cfg, char *err, size_t errlen);
void webhook_close(struct webhook *w);

/* The http_handler_fn for the gateway; arg is a struct webhook. */
void webhook_http(void *arg, const struct http_request *req, struct http_response *res);

#endif

/*
 * webhook.h - the gateway's HTTP surface: the provider's webhooks
 * (POST /twilio/sms, POST /twilio/status, and POST /twilio/spool for the
 * numbers' Fallback URL: see spool.h) and GET /healthz.
 *
 * A webhook is checked (content type, form body, X-Twilio-Signature over
 * public_url + the raw request URI + every parameter) on the HTTP thread,
 * parked while the group-commit writer (ingest.h) stores it, and only then
 * answered 200: the engine does the rest from the database. A wrong or
 * missing signature is 403 and changes nothing, a malformed request is 400
 * (both counted, and forged ones in a row alerted on, as on every signed
 * endpoint: hookwatch.h);
 * a text that could not be stored is 500 (never a 200).
 */
#ifndef PEERLINE_WEBHOOK_H
#define PEERLINE_WEBHOOK_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

struct config;
struct hookwatch;
struct ingest;
struct metrics;
struct store;
struct store_gate;
struct http_request;
struct http_response;

/* HTTP threads: they parse and verify; a webhook waiting for its commit holds none. */
#define WEBHOOK_THREADS 2

struct webhook {
    const struct config *cfg;
    void (*on_stored)(void *arg); /* new input for the engine */
    void *arg;
    void (*on_spooled)(void *arg); /* a text went to the spool: replay it when possible */
    struct metrics *metrics;       /* may be NULL */
    struct store_gate *gate;       /* may be NULL; set before webhook_open (store.h) */
    struct hookwatch *watch;       /* refusals counted and alerted on (hookwatch.h); may be NULL */
    /* private */
    struct ingest *ingest; /* the group-commit writer */
    pthread_mutex_t mu;    /* guards health */
    struct store *health;  /* for GET /healthz */
    int opened;
};

/*
 * Opens the database handles and starts the writer. Returns 0, or -1 with a
 * reason in err (call webhook_close() either way).
 */
int webhook_open(struct webhook *w, const struct config *cfg, char *err, size_t errlen);
/* Stops the writer: after http_stop(), which waits for parked webhooks to be answered. */
void webhook_close(struct webhook *w);

/* The http_handler_fn for the gateway; arg is a struct webhook. */
void webhook_http(void *arg, const struct http_request *req, struct http_response *res);

#endif

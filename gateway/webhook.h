/*
 * webhook.h - the gateway's HTTP surface: the provider's webhooks
 * (POST /twilio/sms, POST /twilio/status) and GET /healthz.
 *
 * A webhook is checked (content type, form body, X-Twilio-Signature over
 * public_url + the raw request URI + every parameter), stored, and only then
 * answered 200: the engine does the rest from the database. A wrong or
 * missing signature is 403 and changes nothing; a malformed request is 400;
 * a text that could not be stored is 500 (never a 200).
 */
#ifndef PEERLINE_WEBHOOK_H
#define PEERLINE_WEBHOOK_H

#include <stdatomic.h>

struct config;
struct store;
struct http_request;
struct http_response;

struct webhook {
    const struct config *cfg;
    struct store *st;             /* used only on the HTTP thread */
    void (*on_stored)(void *arg); /* new input for the engine */
    void *arg;
    atomic_ulong signature_failures;
    atomic_ulong stored;
    atomic_ulong duplicates;
};

/* The http_handler_fn for the gateway; arg is a struct webhook. */
void webhook_http(void *arg, const struct http_request *req, struct http_response *res);

#endif

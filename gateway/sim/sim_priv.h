/*
 * sim_priv.h - shared by the simulator's files only (sim.c, sim_core.c,
 * sim_twilio.c, sim_telnyx.c, and the voice files sim_voice*.c): its state
 * and the helpers both providers' wire code call.
 *
 * sim_core.c owns what is the same for every provider: the log of texts,
 * the fault switches, carrier opt-outs, the queue of delivery reports. sim.c
 * is the top: options, routing, the control API under /sim/, the page, the
 * status callback thread. sim_twilio.c speaks Twilio's messaging, sim_telnyx.c Telnyx:
 * POST /v2/messages, and Ed25519-signed webhooks (inbound texts, delivery
 * events). The log records texts in one vocabulary whichever provider runs
 * (direction "inbound" or "outbound-api"; status "received", "delivered",
 * "undelivered" or "failed"), so tests and the page never ask which.
 * sim_voice*.c speak Twilio Voice: calls, conferences, recordings; to the
 * rest of the simulator they are the four sim_voice_* hooks below and an
 * opaque struct sim_voice (their own shared state is in sim_voice_priv.h).
 */
#ifndef PEERLINE_SIM_PRIV_H
#define PEERLINE_SIM_PRIV_H

#include "config.h"
#include "wake.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct http_request;
struct http_response;
struct json_t;
struct form;
struct sim_voice;

#define SIM_ID_LEN 40 /* room for a Twilio sid (34) or a UUID (36), NUL-terminated */

struct sim_text {
    long id;
    char sid[SIM_ID_LEN]; /* the provider's message id */
    char direction[16];   /* "inbound" (phone -> line) or "outbound-api" */
    char from[24];
    char to[24];
    char *body;
    char status[16];
    long gateway_status; /* inbound: what the gateway answered */
    int64_t at;
};

/* A delivery report to post, queued by the API call that accepted the text. */
struct sim_callback {
    struct sim_callback *next;
    char url[512];
    char sid[SIM_ID_LEN];
    char status[16]; /* "sent", or the final status in the log's vocabulary */
    int error_code;  /* the provider's code for undelivered/failed, else 0 */
    char from[24];
    char to[24];
    char *text; /* Telnyx's events carry the text (owned; NULL for Twilio) */
};

struct sim {
    const struct config *cfg;
    enum provider_kind kind;
    char gateway[512]; /* base URL webhooks go to */
    pthread_mutex_t mu;
    struct sim_text *texts;
    size_t ntexts, cap;
    long next_id;
    /* fault switches (POST /sim/fault) */
    char fault_mode[8]; /* "", "500", "429", "drop" or "down" */
    long fault_count;   /* API calls left to fail this way ("down": until cleared) */
    long latency_ms;    /* added before answering every API call */
    char delivery[16];  /* the final status reported for the next delivery_count sends */
    long delivery_count;
    long faults;            /* API calls a switch answered (or dropped) so far */
    char sms_url[512];      /* what the numbers' SMS URL is set to ("": the gateway's) */
    char fallback_url[512]; /* the numbers' Fallback URL ("": none), under public_url */
    char (*optouts)[2][24]; /* carrier-level opt-outs: {phone, our number} */
    size_t noptouts;
    struct sim_callback *cb_head, *cb_tail;
    struct wake cb_wake;
    int stopping;
    int callbacks;                 /* send status callbacks */
    unsigned char signing_key[32]; /* Telnyx: the Ed25519 private seed webhooks are signed with */
    struct sim_voice *voice;       /* sim_voice*.c: calls, conferences, recordings */
};

/* A text from a phone to one of the line's numbers, as POST /sim/sms gave it. */
struct sim_inbound {
    const char *from, *to, *body;
    const char *sid;    /* NULL: a new one; else reuse it (a provider's retry of a webhook) */
    const char *nmedia; /* pictures attached, as a decimal string; NULL: none */
};

/* ---- sim_core.c ---- */

/* Appends a text to the log; returns its id (-1 when out of memory). */
long sim_record(struct sim *s, const char *sid, const char *dir, const char *from, const char *to,
                const char *body, const char *status);
void sim_set_gateway_status(struct sim *s, long id, long status);

/* Answers with j (whose reference is taken) as compact JSON. */
void sim_json_reply(struct http_response *res, int status, struct json_t *j);

/* 1 when phone has opted out of our number at the carrier. Takes s->mu. */
int sim_opted_out(struct sim *s, const char *phone, const char *number);
/* The same, for a caller that holds s->mu. */
int sim_opted_out_locked(const struct sim *s, const char *phone, const char *number);

/*
 * Applies the fault switches to an API call: waits out the added latency,
 * then returns 1 when a switch answers this call instead, with *mode set to
 * "500" or "429" (answer that error) or "drop"/"down" (res->drop is set).
 * Returns 0 to go on.
 */
int sim_fault_take(struct sim *s, struct http_response *res, char mode[8]);

/* The final status of the send being accepted now ("delivered", "undelivered", "failed"). */
void sim_next_delivery(struct sim *s, char out[16]);

/*
 * Queues a delivery report for the callback thread. text (may be NULL) is
 * copied.
 */
void sim_enqueue_callback(struct sim *s, const char *url, const char *sid, const char *status,
                          int error_code, const char *from, const char *to, const char *text);

/* libcurl's write callback that throws the answer away. */
size_t sim_sink(char *p, size_t size, size_t n, void *arg);
/* A new sid: the two-letter prefix and 32 hex digits. */
void sim_new_sid(const char *prefix, char out[SIM_ID_LEN]);
/* A date as Twilio's API writes them ("Wed, 25 Nov 2026 03:10:39 +0000"). */
void sim_rfc2822(int64_t ms, char *out, size_t n);

/* ---- sim_twilio.c: Twilio's messaging, and the REST edge sim_voice*.c share ---- */

/* An error answer shaped like Twilio's: {code, message, more_info, status}. */
void sim_twilio_error(struct http_response *res, int http, int code, const char *msg);
/*
 * What every Twilio API call goes through first: the account in the path,
 * Basic auth, a form body, the fault switches. 0 to go on (the body parsed
 * into f; the caller frees it), or 1 with res already answered.
 */
int sim_twilio_api_call(struct sim *s, const struct http_request *req, const char *account,
                        struct form *f, struct http_response *res);
/* Handles a Twilio API request; 1 when it was one (res answered), else 0. */
int sim_twilio_api(struct sim *s, const struct http_request *req, struct http_response *res);
/*
 * Delivers a phone's text to the gateway as Twilio's SMS webhook (and to the
 * Fallback URL when the gateway fails it). Records it; *id gets its log id
 * and sid its message sid. Returns the gateway's HTTP status (0: no answer).
 */
long sim_twilio_inbound(struct sim *s, const struct sim_inbound *in, char sid[SIM_ID_LEN],
                        long *id);
/* Posts one queued delivery report as Twilio's status callback. */
void sim_twilio_post_status(struct sim *s, const struct sim_callback *cb);

/* ---- sim_telnyx.c ---- */

/*
 * Reads the signing key (base64 of a 32-byte Ed25519 private seed) from path
 * into s. 0, or -1 with err filled.
 */
int sim_telnyx_load_key(struct sim *s, const char *path, char *err, size_t errlen);
/* Handles a Telnyx API request; 1 when it was one (res answered), else 0. */
int sim_telnyx_api(struct sim *s, const struct http_request *req, struct http_response *res);
/* An error answer shaped like Telnyx's: {"errors": [{code, title, detail}]}. */
void sim_telnyx_error(struct http_response *res, int http, const char *code, const char *title,
                      const char *detail);
/*
 * Delivers a phone's text to the gateway as Telnyx's message.received
 * webhook (and to the Fallback URL when the gateway fails it). Records it;
 * *id gets its log id and sid its message id. Returns the gateway's HTTP
 * status (0: no answer).
 */
long sim_telnyx_inbound(struct sim *s, const struct sim_inbound *in, char sid[SIM_ID_LEN],
                        long *id);
/* Posts one queued delivery report as a Telnyx event. */
void sim_telnyx_post_event(struct sim *s, const struct sim_callback *cb);

/* ---- sim_voice.c: Twilio Voice (calls, TwiML, conferences, recordings) ---- */

/* Sets up s->voice before the server starts. 0, or -1 (out of memory). */
int sim_voice_start(struct sim *s);
/*
 * Handles a voice request (the control API under /sim/call, and Twilio's
 * Calls and Recordings resources); 1 when it was one (res answered), else 0.
 * Under Telnyx it takes nothing.
 */
int sim_voice_handle(struct sim *s, const struct http_request *req, struct http_response *res);
/* Ends every call (no more requests go out) and waits for their threads. */
void sim_voice_shutdown(struct sim *s);
/* Frees s->voice (after the server has stopped). */
void sim_voice_free(struct sim *s);

#endif

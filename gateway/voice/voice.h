/*
 * voice.h - calls to the line (Twilio): the /twilio/voice webhooks, each
 * answered with TwiML once what it decided is committed.
 *
 * A call hears a greeting and a topic menu. A topic rings the available
 * voice peers for it (the same matcher as texts, roster `voice: true`) as
 * separate outbound calls from the line number, while the caller waits in a
 * conference with calm hold audio. Each peer's leg hears a whisper and must
 * press 1; the first to do so wins (a compare-and-set on the call, so the
 * decision is peerline's own, never DialCallStatus) and the other legs are
 * hung up. A voicemail answering a leg never presses 1, so it never wins.
 * No one in time: a kind message and a voicemail; the engine then texts the
 * on-call coordinators a reference and the caller an offer to text, and a
 * peer can call back with the caller's number hidden (#callback REF). The
 * crisis option connects to voice.crisis_number with the caller's own
 * caller ID, or says to dial 988.
 *
 * The REST calls all this needs (ringing legs, hanging them up, sending the
 * caller to voicemail) are rows of voice_ops, made in the same transaction
 * as the decision and sent by voicer.c.
 */
#ifndef PEERLINE_VOICE_H
#define PEERLINE_VOICE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct hookwatch;
struct http_request;
struct http_response;
struct roster;
struct store;

struct voice {
    _Atomic(const struct config *) cfg;
    struct roster *(*hold_roster)(void *arg); /* release with roster_free */
    void (*wake)(void *arg);                  /* new voice_ops, or texts owed: wake the workers */
    void *arg;
    struct hookwatch *watch; /* refusals counted and alerted on (hookwatch.h); may be NULL */
    /* private */
    struct store *st;
    pthread_mutex_t mu;
    int opened;
};

/* Opens the voice handlers' database handle. 0, or -1 with a reason in err. */
int voice_open(struct voice *v, const struct config *cfg, char *err, size_t errlen);
void voice_close(struct voice *v);
void voice_set_config(struct voice *v, const struct config *cfg);

/* 1 when the request was for /twilio/voice or below it (res filled), else 0. */
int voice_http(struct voice *v, const struct http_request *req, struct http_response *res);

/* The conference a call's caller waits in. */
void voice_room(int64_t call_id, char out[32]);

#endif

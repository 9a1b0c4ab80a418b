/*
 * sim_voice.c - the simulator speaks Twilio Voice, so the gateway's voice
 * flows run end to end between real processes. This file is the hooks
 * sim.c calls and the routing to the two APIs; the calls' table is
 * sim_voice_calls.c, and the parts are listed in sim_voice_priv.h.
 *
 * It keeps every call the simulator knows: calls from pretend phones to the
 * line (POST /sim/call), calls the gateway places through the REST API
 * (POST .../Calls.json), and the legs a <Dial><Number> rings; and the
 * recordings <Record> makes. A call that runs TwiML has a thread of its own
 * (sim_voice_run.c). A verb that needs a person - <Gather>, <Record>, a
 * ringing phone, a <Dial>, a conference that has not started, a
 * <Play loop="0"> - parks the thread on the call's condition variable until
 * the control API (a test, the page) or a REST call acts on that call.
 * Nothing times out by itself: tests say when a phone answers, what it
 * presses, when it hangs up.
 *
 * A control call waits (up to SV_SETTLE_MS, sv_settle) until the call it
 * moved has settled - parked again, or over with its status callback
 * delivered - so a test reads a stable state right after. REST calls never
 * wait, as Twilio's do not.
 *
 * Locking: one mutex (v->mu) guards every call, conference and recording; a
 * call's thread never holds it across a request. A call struct outlives its
 * thread; the oldest call that is over makes room when SV_MAX_CALLS are kept.
 *
 * Privacy: logs carry sids, codes and masked numbers, never what was said,
 * pressed or spoken.
 */
#include "http.h"
#include "log.h"
#include "sim_voice_priv.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define SV_SHUTDOWN_MS 20000

/* ---- the simulator's hooks ---- */

int sim_voice_handle(struct sim *s, const struct http_request *req, struct http_response *res)
{
    struct sim_voice *v = s->voice;

    if (!v || s->kind != PROVIDER_TWILIO)
        return 0;
    if (!strncmp(req->path, "/sim/call", strlen("/sim/call")))
        return sv_ctl_handle(v, req, res);
    if (!strncmp(req->path, SV_API_PREFIX, strlen(SV_API_PREFIX)))
        return sv_rest_handle(v, req, res);
    return 0;
}

int sim_voice_start(struct sim *s)
{
    struct sim_voice *v = calloc(1, sizeof(*v));

    if (!v)
        return -1;
    v->s = s;
    pthread_mutex_init(&v->mu, NULL);
    sv_cond_init(&v->idle);
    s->voice = v;
    return 0;
}

void sim_voice_shutdown(struct sim *s)
{
    struct sim_voice *v = s->voice;
    struct timespec until = sv_deadline(SV_SHUTDOWN_MS);
    size_t i;

    if (!v)
        return;
    pthread_mutex_lock(&v->mu);
    v->stopping = 1;
    for (i = 0; i < v->ncalls; i++)
        pthread_cond_broadcast(&v->calls[i]->cv);
    while (v->threads > 0)
        if (pthread_cond_timedwait(&v->idle, &v->mu, &until) == ETIMEDOUT)
            break;
    if (v->threads)
        log_warnx("sim.calls_left", "threads=%d", v->threads);
    pthread_mutex_unlock(&v->mu);
}

void sim_voice_free(struct sim *s)
{
    struct sim_voice *v = s->voice;

    if (!v || v->threads) /* a thread still running would use it: leave it to the exit */
        return;
    sv_free_calls(v);
    pthread_cond_destroy(&v->idle);
    pthread_mutex_destroy(&v->mu);
    free(v);
    s->voice = NULL;
}

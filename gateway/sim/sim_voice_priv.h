/*
 * sim_voice_priv.h - shared by the simulator's voice files only
 * (sim_voice*.c): the calls, conferences and recordings they keep, and what
 * each part calls on the others. sim.c sees none of it: to the rest of the
 * simulator struct sim_voice is opaque (sim_priv.h declares its hooks).
 *
 *   sim_voice.c        the simulator's hooks, routing to the two APIs
 *   sim_voice_calls.c  the registry: calls and recordings kept, a call's
 *                      life (new, ended, settled)
 *   sim_voice_conf.c   conferences: who is in which, started or not
 *   sim_voice_run.c    a call's thread: ringing, documents, verbs, and the
 *                      waits for a person (Gather, Record, Dial, Conference)
 *   sim_voice_fetch.c  requests to the gateway, signed as Twilio signs them
 *   sim_voice_ctl.c    the control API (/sim/call*, GET /sim/calls)
 *   sim_voice_rest.c   Twilio's REST API: Calls and Recordings
 *
 * Locking: one mutex (v->mu) guards every call, conference and recording;
 * a call's thread never holds it across a request. Each function below
 * says whether it wants v->mu held or takes it itself.
 */
#ifndef PEERLINE_SIM_VOICE_PRIV_H
#define PEERLINE_SIM_VOICE_PRIV_H

#include "sim_priv.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct buf;
struct form;
struct http_request;
struct http_response;
struct json_t;

#define SV_MAX_CALLS  256 /* calls kept for GET /sim/calls */
#define SV_MAX_LIVE   64  /* calls with a thread at once (and conferences) */
#define SV_MAX_RECS   256 /* recordings kept */
#define SV_MAX_SAID   64  /* <Say> lines kept per call (the latest) */
#define SV_MAX_LIST   16  /* numbers dialled, audio played, recordings, errors per call */
#define SV_MAX_INPUT  128 /* digits pressed or words spoken at once */
#define SV_URL        1024
#define SV_NAME       128 /* a conference's name */
#define SV_NUM        24  /* an E.164 number */
#define SV_API_PREFIX "/2010-04-01/Accounts/"

/* What a parked call waits for. */
enum sv_wait {
    SV_WAIT_NONE,
    SV_WAIT_RINGING,
    SV_WAIT_GATHER,
    SV_WAIT_RECORD,
    SV_WAIT_CONFERENCE,
    SV_WAIT_DIAL,
    SV_WAIT_PLAY
};

/*
 * One call. It outlives its thread; the oldest call that is over makes room
 * when SV_MAX_CALLS are kept. Owned by v->calls.
 */
struct sv_call {
    struct sim_voice *v;
    char sid[SIM_ID_LEN];
    char parent[SIM_ID_LEN]; /* a <Dial><Number> leg: the call that dialled it */
    char direction[16];      /* inbound, outbound-api or outbound-dial */
    char from[SV_NUM], to[SV_NUM];
    char status[16];     /* queued, ringing, in-progress, or how it ended */
    char end_status[16]; /* set when it is to end (hangup, cancel, decline) */
    char url[SV_URL];    /* its first document: the Url it was created with, or the voice URL */
    char method[8];
    char *twiml; /* created with Twiml instead of a Url */
    char status_cb[SV_URL], status_cb_method[8];
    int64_t created, answered, ended; /* ms; 0: not (yet) */
    enum sv_wait wait;
    int threaded; /* its thread is running */
    int busy;     /* that thread is working, not parked */
    int poked;    /* something changed for it (the control API, another call) */
    int answer;   /* while ringing: 1 a person answered, 2 a machine */
    int machine;  /* answered by a machine: Gathers time out, Records get silence */
    int gather_speech, gather_digits; /* the parked <Gather>: takes speech; numDigits */
    int has_input, speech;
    char input[SV_MAX_INPUT];
    int has_record, record_s, record_hangup;
    int redirect; /* a REST update asked for another document */
    char redirect_url[SV_URL], redirect_method[8];
    char *redirect_twiml;
    char conference[SV_NAME]; /* the conference it is in ("" none) */
    int conf_end, kicked;
    char leg[SIM_ID_LEN]; /* the <Dial><Number> leg it is dialling */
    char *said[SV_MAX_SAID];
    size_t nsaid;
    char *played[SV_MAX_LIST];
    size_t nplayed;
    struct {
        char number[SV_NUM], caller_id[SV_NUM];
    } dialed[SV_MAX_LIST];
    size_t ndialed;
    char recordings[SV_MAX_LIST][SIM_ID_LEN];
    size_t nrecordings;
    char *errors[SV_MAX_LIST];
    size_t nerrors;
    pthread_cond_t cv; /* its thread parks here; control calls settle here */
};

struct sv_conf {
    char name[SV_NAME];
    int started; /* a participant with startConferenceOnEnter joined */
};

struct sv_rec {
    char sid[SIM_ID_LEN], call[SIM_ID_LEN];
    int seconds, deleted;
    int64_t at;
};

struct sim_voice {
    struct sim *s;
    pthread_mutex_t mu;
    pthread_cond_t idle; /* signalled when a call's thread ends */
    struct sv_call *calls[SV_MAX_CALLS];
    size_t ncalls;
    struct sv_conf confs[SV_MAX_LIVE];
    size_t nconfs;
    struct sv_rec recs[SV_MAX_RECS];
    size_t nrecs;
    int threads; /* calls' threads running */
    int stopping;
};

/* ---- sim_voice_calls.c: small helpers ---- */

/* snprintf's "%s" into dst (n bytes); NULL copies as "". */
void sv_copy(char *dst, size_t n, const char *src);
/* 1 when u is an absolute http(s) URL with a host, shorter than SV_URL. */
int sv_valid_url(const char *u);
/* "GET"/"POST" in any case into out; -1 for anything else. */
int sv_norm_method(const char *m, char out[8]);
/* A JSON string, or null for NULL or "". */
struct json_t *sv_str_or_null(const char *s);
/* A condition variable that waits on CLOCK_MONOTONIC, and a deadline ms from now on it. */
void sv_cond_init(pthread_cond_t *cv);
struct timespec sv_deadline(int64_t ms);

/* ---- sim_voice_calls.c: calls (v->mu held) ---- */

struct sv_call *sv_find_call(const struct sim_voice *v, const char *sid);
int sv_is_over(const struct sv_call *c);
/* An outbound call (or leg) not yet answered nor ending. */
int sv_is_ringing(const struct sv_call *c);
/* What the API and the list show: the final status as soon as one is decided. */
const char *sv_shown_status(const struct sv_call *c);
/* Tells c's thread (or whoever settles on c) that something changed for it. */
void sv_poke(struct sv_call *c);
/*
 * A new call, queued, kept in v->calls (no thread yet: sv_run_start). NULL
 * with *why set when the simulator is stopping, full, or out of memory.
 */
struct sv_call *sv_new_call(struct sim_voice *v, const char *direction, const char *from,
                            const char *to, const char **why);
/* A <Dial><Number> leg (no thread of its own) ends with status; its parent is told. */
void sv_end_leg(struct sim_voice *v, struct sv_call *leg, const char *status);
/*
 * Ends c with status, whatever it is doing: a call with a thread is told (it
 * finishes, posting what Twilio posts on a hangup); a leg ends at once.
 */
void sv_end_call(struct sim_voice *v, struct sv_call *c, const char *status);
/* Waits up to SV_SETTLE_MS until c's thread is parked or done. */
void sv_settle(struct sim_voice *v, struct sv_call *c);
/* Frees every call (at the end, with no call's thread left). */
void sv_free_calls(struct sim_voice *v);

/* ---- sim_voice_calls.c: recordings ---- */

/* A new recording of seconds by c; its sid into sid. Takes v->mu. */
void sv_rec_add(struct sim_voice *v, struct sv_call *c, int seconds, char sid[SIM_ID_LEN]);
/* The recording sid, unless deleted or dropped from the store: NULL then (v->mu held). */
struct sv_rec *sv_rec_find(struct sim_voice *v, const char *sid);

/* ---- sim_voice_conf.c: conferences (v->mu held) ---- */

struct sv_conf *sv_conf_find(struct sim_voice *v, const char *name);
/* c joins (or opens) conference name. 0, or -1 when SV_MAX_LIVE are open. */
int sv_conf_join(struct sim_voice *v, struct sv_call *c, const char *name, int start, int end);
/* c leaves its conference; one with endConferenceOnExit ends it for everyone. */
void sv_conf_leave(struct sim_voice *v, struct sv_call *c);

/* ---- sim_voice_fetch.c: requests to the gateway ---- */

/* Adds a copy of k=v (NULL v: "") to f. 0, or -1 (out of memory; f keeps what it had). */
int sv_add_param(struct form *f, const char *k, const char *v);
void sv_add_int_param(struct form *f, const char *k, long long v);
/* 1 once the simulator is stopping. Takes v->mu. */
int sv_stopping(struct sim_voice *v);
/*
 * One request as Twilio makes it: signed with X-Twilio-Signature over the
 * URL (with the query a GET adds) and, for a POST, every parameter. Returns
 * the HTTP status, 0 when nothing answered, -1 when the answer was larger
 * than out can take, SV_REFUSED when url is neither under public_url nor on
 * a loopback host (sim_reach.h: nothing is sent). out (may be NULL) gets the
 * body, ctype its type. Call without v->mu.
 */
#define SV_REFUSED (-2)
long sv_request(struct sim_voice *v, const char *method, const char *url, const struct form *params,
                struct buf *out, char *ctype, size_t ctypelen);
/* Adds the parameters Twilio sends with every request about call c to f. */
void sv_call_params(const struct sim_voice *v, const struct sv_call *c, const char *status,
                    struct form *f);

/* ---- sim_voice_run.c: a call's thread ---- */

/* Starts c's thread (v->mu held). 0, or -1 with *why set (c is then over, "failed"). */
int sv_run_start(struct sim_voice *v, struct sv_call *c, const char **why);

/* ---- sim_voice_ctl.c, sim_voice_rest.c: the two APIs ---- */

/* The control API under /sim/call; 1 when req was one of its calls (res answered), else 0. */
int sv_ctl_handle(struct sim_voice *v, const struct http_request *req, struct http_response *res);
/* Twilio's Calls and Recordings under SV_API_PREFIX; 1 when req was one (res answered), else 0. */
int sv_rest_handle(struct sim_voice *v, const struct http_request *req, struct http_response *res);

#endif

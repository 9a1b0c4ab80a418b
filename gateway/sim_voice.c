/*
 * sim_voice.c - the simulator speaks Twilio Voice, so the gateway's voice
 * flows run end to end between real processes.
 *
 * It owns every call the simulator knows: calls from pretend phones to the
 * line (POST /sim/call), calls the gateway places through the REST API
 * (POST .../Calls.json), and the legs a <Dial><Number> rings; the
 * conferences calls meet in; the recordings <Record> makes. A call that runs
 * TwiML has a thread of its own: it fetches a document with a request signed
 * exactly as Twilio signs it (public_url + path + query, every parameter),
 * reads the answer with twiml_read, and runs the verbs one by one. A verb
 * that needs a person - <Gather>, <Record>, a ringing phone, a <Dial>, a
 * conference that has not started, a <Play loop="0"> - parks the thread on
 * the call's condition variable until the control API (a test, the page) or
 * a REST call acts on that call. Nothing times out by itself: tests say when
 * a phone answers, what it presses, when it hangs up.
 *
 * The control API (form bodies; answers are the call as GET /sim/calls shows
 * it, or {"error": ...} with 400, 404 or 409):
 *
 *   POST /sim/call            From, To [, Url]: a phone calls one of the line's
 *                             numbers (Url: the number's voice URL, by default
 *                             {public_url}/twilio/voice)
 *   POST /sim/call/press      Call, Digits (""= the Gather times out) or Speech
 *   POST /sim/call/answer     Call: a person answers a ringing call
 *   POST /sim/call/voicemail  Call: a machine answers (Gathers time out, Records
 *                             get silence)
 *   POST /sim/call/decline    Call, Status=busy|no-answer|failed
 *   POST /sim/call/record     Call, Seconds [, Hangup=true]: speaks into a waiting
 *                             <Record> (0 s: silence), then stops (or hangs up)
 *   POST /sim/call/hangup     Call: that party hangs up
 *   GET  /sim/calls           [?phone=+1...]: {"calls": [...]}, oldest first
 *
 * A control call waits (up to SV_SETTLE_MS) until the call it moved has
 * settled - parked again, or over with its status callback delivered - so a
 * test reads a stable state right after. REST calls never wait, as Twilio's
 * do not.
 *
 * Locking: one mutex (v->mu) guards every call, conference and recording; a
 * call's thread never holds it across a request. A call struct outlives its
 * thread; the oldest call that is over makes room when SV_MAX_CALLS are kept.
 *
 * Privacy: logs carry sids, codes and masked numbers, never what was said,
 * pressed or spoken.
 */
#include "buf.h"
#include "config.h"
#include "form.h"
#include "http.h"
#include "log.h"
#include "parse.h"
#include "sim_priv.h"
#include "twilio.h"
#include "twiml_read.h"
#include "wake.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define SV_MAX_CALLS   256  /* calls kept for GET /sim/calls */
#define SV_MAX_LIVE    64   /* calls with a thread at once (and conferences) */
#define SV_MAX_RECS    256  /* recordings kept */
#define SV_MAX_SAID    64   /* <Say> lines kept per call (the latest) */
#define SV_MAX_LINE    512  /* bytes kept of one <Say> */
#define SV_MAX_LIST    16   /* numbers dialled, audio played, recordings, errors per call */
#define SV_MAX_STEPS   32   /* documents run in a row with no one acting (a Redirect loop) */
#define SV_MAX_INPUT   128  /* digits pressed or words spoken at once */
#define SV_MAX_TWIML   4000 /* the Twiml parameter, as Twilio limits it */
#define SV_URL         1024
#define SV_NAME        128 /* a conference's name */
#define SV_NUM         24  /* an E.164 number */
#define SV_SETTLE_MS   10000
#define SV_SHUTDOWN_MS 20000
#define SV_FETCH_S     15L /* Twilio's own webhook timeout */
#define API_PREFIX     "/2010-04-01/Accounts/"

enum sv_wait { W_NONE, W_RINGING, W_GATHER, W_RECORD, W_CONFERENCE, W_DIAL, W_PLAY };

/* What a verb tells the document loop. */
enum { V_NEXT, V_GOTO, V_END };

/* Why a parked call woke. */
enum { WOKE_POKE, WOKE_HANGUP, WOKE_REDIRECT, WOKE_STOP };

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
    int threads;
    int stopping;
};

/* Where a call's next document comes from. */
struct sv_src {
    char url[SV_URL];
    char method[8];
    struct form extra; /* parameters the verb adds (Digits, DialCallStatus, ...) */
    char *twiml;       /* or this TwiML itself */
};

/* One call's thread, running documents. */
struct run {
    struct sim_voice *v;
    struct sv_call *c;
    char doc_url[SV_URL]; /* the document being run: where Gather and Record post by default */
    struct sv_src next;
    int first;     /* the next document is an inbound call's first (CallStatus=ringing) */
    int waited;    /* someone acted since the last document */
    int in_gather; /* running the verbs nested in a <Gather> */
};

/* ---- small helpers ---- */

static int64_t mono_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static struct timespec mono_deadline(int64_t ms)
{
    int64_t at = mono_ms() + ms;
    struct timespec t = {.tv_sec = (time_t)(at / 1000), .tv_nsec = (long)(at % 1000) * 1000000L};

    return t;
}

static void cond_init_mono(pthread_cond_t *cv)
{
    pthread_condattr_t a;

    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(cv, &a);
    pthread_condattr_destroy(&a);
}

static void copy(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
}

static int valid_url(const char *u)
{
    size_t i, n = strlen(u);

    if (n >= SV_URL || (strncmp(u, "http://", 7) && strncmp(u, "https://", 8)))
        return 0;
    for (i = 0; i < n; i++)
        if ((unsigned char)u[i] <= ' ' || u[i] == 0x7f)
            return 0;
    return u[u[4] == 's' ? 8 : 7] != '\0' && u[u[4] == 's' ? 8 : 7] != '/';
}

/* "GET"/"POST" in any case into out; -1 for anything else. */
static int norm_method(const char *m, char out[8])
{
    if (!strcasecmp(m, "GET") || !strcasecmp(m, "POST")) {
        copy(out, 8, !strcasecmp(m, "GET") ? "GET" : "POST");
        return 0;
    }
    return -1;
}

static int add_param(struct form *f, const char *k, const char *v)
{
    struct form_param *np = realloc(f->params, (f->n + 1) * sizeof(*np));

    if (!np)
        return -1;
    f->params = np;
    np[f->n].key = strdup(k);
    np[f->n].value = strdup(v ? v : "");
    if (!np[f->n].key || !np[f->n].value) {
        free(np[f->n].key);
        free(np[f->n].value);
        return -1;
    }
    f->n++;
    return 0;
}

static void add_int_param(struct form *f, const char *k, long long v)
{
    char n[24];

    snprintf(n, sizeof(n), "%lld", v);
    add_param(f, k, n);
}

/* Appends a copy of s (cut to maxlen bytes on a UTF-8 boundary); the oldest goes when full. */
static void push_line(char **list, size_t *n, size_t max, const char *s, size_t maxlen)
{
    size_t len = strlen(s);
    char *dup;

    if (len > maxlen) {
        len = maxlen;
        while (len && ((unsigned char)s[len] & 0xC0) == 0x80)
            len--;
    }
    dup = strndup(s, len);
    if (!dup)
        return;
    if (*n == max) {
        free(list[0]);
        memmove(list, list + 1, (max - 1) * sizeof(*list));
        (*n)--;
    }
    list[(*n)++] = dup;
}

static void free_lines(char **list, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        free(list[i]);
}

static void src_clear(struct sv_src *src)
{
    form_free(&src->extra);
    free(src->twiml);
    memset(src, 0, sizeof(*src));
}

static void src_set(struct sv_src *src, const char *url, const char *method)
{
    src_clear(src);
    copy(src->url, sizeof(src->url), url);
    copy(src->method, sizeof(src->method), method);
}

/* ---- calls (v->mu held) ---- */

static struct sv_call *find_call(const struct sim_voice *v, const char *sid)
{
    size_t i;

    for (i = 0; sid && i < v->ncalls; i++)
        if (!strcmp(v->calls[i]->sid, sid))
            return v->calls[i];
    return NULL;
}

static int is_over(const struct sv_call *c)
{
    return c->ended != 0;
}

static int is_ringing(const struct sv_call *c)
{
    return !c->answered && !c->end_status[0] && !is_over(c) && strcmp(c->direction, "inbound");
}

/* What the API and the list show: the final status as soon as one is decided. */
static const char *shown_status(const struct sv_call *c)
{
    return c->end_status[0] ? c->end_status : c->status;
}

static void poke(struct sv_call *c)
{
    c->poked = 1;
    pthread_cond_broadcast(&c->cv);
}

static void free_call(struct sv_call *c)
{
    free_lines(c->said, c->nsaid);
    free_lines(c->played, c->nplayed);
    free_lines(c->errors, c->nerrors);
    free(c->twiml);
    free(c->redirect_twiml);
    pthread_cond_destroy(&c->cv);
    free(c);
}

/* Drops the oldest call that is over and no live call still looks at. 0, or -1 if none. */
static int evict_one(struct sim_voice *v)
{
    size_t i;

    for (i = 0; i < v->ncalls; i++) {
        struct sv_call *c = v->calls[i], *p = find_call(v, c->parent);
        if (!is_over(c) || c->threaded || (p && !is_over(p)))
            continue;
        free_call(c);
        memmove(&v->calls[i], &v->calls[i + 1], (v->ncalls - i - 1) * sizeof(v->calls[0]));
        v->ncalls--;
        return 0;
    }
    return -1;
}

static struct sv_call *new_call(struct sim_voice *v, const char *direction, const char *from,
                                const char *to, const char **why)
{
    struct sv_call *c;

    if (v->stopping) {
        *why = "the simulator is stopping";
        return NULL;
    }
    if (v->ncalls == SV_MAX_CALLS && evict_one(v)) {
        *why = "too many calls at once";
        return NULL;
    }
    c = calloc(1, sizeof(*c));
    if (!c) {
        *why = "out of memory";
        return NULL;
    }
    c->v = v;
    sim_new_sid("CA", c->sid);
    copy(c->direction, sizeof(c->direction), direction);
    copy(c->from, sizeof(c->from), from);
    copy(c->to, sizeof(c->to), to);
    copy(c->status, sizeof(c->status), "queued");
    copy(c->method, sizeof(c->method), "POST");
    c->created = wake_now_ms();
    c->busy = 1;
    cond_init_mono(&c->cv);
    v->calls[v->ncalls++] = c;
    return c;
}

static void *call_main(void *arg);

/* Starts c's thread. 0, or -1 (c is then over, "failed"). */
static int start_call(struct sim_voice *v, struct sv_call *c, const char **why)
{
    pthread_attr_t a;
    pthread_t t;
    int rc = -1;

    if (v->threads >= SV_MAX_LIVE) {
        *why = "too many calls at once";
        goto fail;
    }
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    c->threaded = 1;
    v->threads++;
    if (pthread_create(&t, &a, call_main, c)) {
        c->threaded = 0;
        v->threads--;
        *why = "cannot start a thread";
    } else {
        rc = 0;
    }
    pthread_attr_destroy(&a);
    if (!rc)
        return 0;
fail:
    copy(c->status, sizeof(c->status), "failed");
    c->ended = wake_now_ms();
    c->busy = 0;
    return -1;
}

/* A <Dial><Number> leg (no thread of its own) ends with status; its parent is told. */
static void end_leg(struct sim_voice *v, struct sv_call *leg, const char *status)
{
    struct sv_call *p = find_call(v, leg->parent);

    copy(leg->end_status, sizeof(leg->end_status), status);
    copy(leg->status, sizeof(leg->status), status);
    leg->ended = wake_now_ms();
    leg->busy = 0;
    if (p)
        poke(p);
}

/*
 * Ends c with status, whatever it is doing: a call with a thread is told (it
 * finishes, posting what Twilio posts on a hangup); a leg ends at once.
 */
static void end_call(struct sim_voice *v, struct sv_call *c, const char *status)
{
    if (is_over(c) || c->end_status[0])
        return;
    if (!c->threaded) {
        end_leg(v, c, status);
        return;
    }
    copy(c->end_status, sizeof(c->end_status), status);
    poke(c);
}

/* Waits up to SV_SETTLE_MS until c's thread is parked or done (v->mu held). */
static void settle(struct sim_voice *v, struct sv_call *c)
{
    struct timespec until = mono_deadline(SV_SETTLE_MS);

    while (c->busy && !v->stopping)
        if (pthread_cond_timedwait(&c->cv, &v->mu, &until) == ETIMEDOUT)
            break;
}

/* ---- conferences (v->mu held) ---- */

static struct sv_conf *conf_find(struct sim_voice *v, const char *name)
{
    size_t i;

    for (i = 0; *name && i < v->nconfs; i++)
        if (!strcmp(v->confs[i].name, name))
            return &v->confs[i];
    return NULL;
}

static int conf_join(struct sim_voice *v, struct sv_call *c, const char *name, int start, int end)
{
    struct sv_conf *conf = conf_find(v, name);

    if (!conf) {
        if (v->nconfs == SV_MAX_LIVE)
            return -1;
        conf = &v->confs[v->nconfs++];
        memset(conf, 0, sizeof(*conf));
        copy(conf->name, sizeof(conf->name), name);
    }
    copy(c->conference, sizeof(c->conference), name);
    c->conf_end = end;
    c->kicked = 0;
    if (start)
        conf->started = 1;
    return 0;
}

/* c leaves its conference; one with endConferenceOnExit ends it for everyone. */
static void conf_leave(struct sim_voice *v, struct sv_call *c)
{
    struct sv_conf *conf = conf_find(v, c->conference);
    char name[SV_NAME];
    size_t i, left = 0;

    copy(name, sizeof(name), c->conference);
    c->conference[0] = '\0';
    if (!conf)
        return;
    for (i = 0; i < v->ncalls; i++) {
        struct sv_call *m = v->calls[i];
        if (strcmp(m->conference, name))
            continue;
        if (c->conf_end) {
            m->kicked = 1;
            poke(m);
        } else {
            left++;
        }
    }
    if (!left)
        *conf = v->confs[--v->nconfs];
}

/* ---- the JSON the control API and the REST API answer with (v->mu held) ---- */

static const char *waiting_name(struct sim_voice *v, const struct sv_call *c)
{
    const struct sv_conf *conf;

    switch (c->wait) {
    case W_GATHER:
        return "gather";
    case W_RECORD:
        return "record";
    case W_CONFERENCE:
        conf = conf_find(v, c->conference);
        return conf && conf->started ? NULL : "conference";
    case W_DIAL:
        return "dial";
    case W_PLAY:
        return "play";
    default:
        return NULL;
    }
}

static json_t *str_or_null(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

static json_t *lines_json(char *const *list, size_t n)
{
    json_t *a = json_array();
    size_t i;

    for (i = 0; i < n; i++)
        json_array_append_new(a, json_string(list[i]));
    return a;
}

/* The other calls connected with c in a conference that has started. */
static json_t *conference_with(struct sim_voice *v, const struct sv_call *c)
{
    const struct sv_conf *conf = conf_find(v, c->conference);
    json_t *a = json_array();
    size_t i;

    for (i = 0; conf && conf->started && i < v->ncalls; i++) {
        const struct sv_call *m = v->calls[i];
        if (m != c && !strcmp(m->conference, c->conference))
            json_array_append_new(a, json_string(m->sid));
    }
    return a;
}

static json_t *recordings_json(struct sim_voice *v, const struct sv_call *c, int deleted)
{
    json_t *a = json_array();
    size_t i, k;

    for (i = 0; i < c->nrecordings; i++) {
        int gone = 1; /* dropped from the store counts as deleted */
        for (k = 0; k < v->nrecs; k++)
            if (!strcmp(v->recs[k].sid, c->recordings[i]))
                gone = v->recs[k].deleted;
        if (!deleted || gone)
            json_array_append_new(a, json_string(c->recordings[i]));
    }
    return a;
}

/* A call as GET /sim/calls lists it. */
static json_t *call_json(struct sim_voice *v, const struct sv_call *c)
{
    json_t *dialed = json_array(), *j = json_object();
    size_t i;

    for (i = 0; i < c->ndialed; i++)
        json_array_append_new(dialed,
                              json_pack("{s:s, s:s?}", "number", c->dialed[i].number, "callerId",
                                        c->dialed[i].caller_id[0] ? c->dialed[i].caller_id : NULL));
    json_object_set_new(j, "sid", json_string(c->sid));
    json_object_set_new(j, "direction", json_string(c->direction));
    json_object_set_new(j, "from", json_string(c->from));
    json_object_set_new(j, "to", json_string(c->to));
    json_object_set_new(j, "status", json_string(shown_status(c)));
    json_object_set_new(j, "conference", str_or_null(c->conference));
    json_object_set_new(j, "in_conference_with", conference_with(v, c));
    json_object_set_new(j, "waiting", str_or_null(waiting_name(v, c)));
    json_object_set_new(j, "said", lines_json(c->said, c->nsaid));
    json_object_set_new(j, "dialed", dialed);
    json_object_set_new(j, "recordings", recordings_json(v, c, 0));
    json_object_set_new(j, "recordings_deleted", recordings_json(v, c, 1));
    json_object_set_new(j, "errors", lines_json(c->errors, c->nerrors));
    json_object_set_new(j, "url", str_or_null(strcmp(c->direction, "outbound-api") ? "" : c->url));
    json_object_set_new(j, "created", json_integer(c->created));
    json_object_set_new(j, "parent_call_sid", str_or_null(c->parent));
    json_object_set_new(j, "played", lines_json(c->played, c->nplayed));
    json_object_set_new(j, "machine", json_boolean(c->machine));
    return j;
}

/* "+14158675309" -> "(415) 867-5309", as Twilio formats North American numbers. */
static void formatted(const char *n, char out[32])
{
    if (strlen(n) == 12 && !strncmp(n, "+1", 2))
        snprintf(out, 32, "(%.3s) %.3s-%.4s", n + 2, n + 5, n + 8);
    else
        copy(out, 32, n);
}

static json_t *date_or_null(int64_t ms)
{
    char d[64];

    if (!ms)
        return json_null();
    sim_rfc2822(ms, d, sizeof(d));
    return json_string(d);
}

static json_t *call_subresources(const char *base)
{
    static const char *const subs[] = {"notifications",
                                       "recordings",
                                       "payments",
                                       "events",
                                       "siprec",
                                       "streams",
                                       "transcriptions",
                                       "user_defined_message_subscriptions",
                                       "user_defined_messages"};
    static const char *const files[] = {"Notifications",
                                        "Recordings",
                                        "Payments",
                                        "Events",
                                        "Siprec",
                                        "Streams",
                                        "Transcriptions",
                                        "UserDefinedMessageSubscriptions",
                                        "UserDefinedMessages"};
    json_t *j = json_object();
    char u[256];
    size_t i;

    for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
        snprintf(u, sizeof(u), "%s/%s.json", base, files[i]);
        json_object_set_new(j, subs[i], json_string(u));
    }
    return j;
}

/* The call resource, with the fields of Twilio's api.v2010.account.call. */
static json_t *call_resource(struct sim_voice *v, const struct sv_call *c)
{
    const char *account = v->s->cfg->provider.account_sid;
    char base[200], uri[220], from_f[32], to_f[32], dur[24];
    int64_t last = c->ended ? c->ended : c->answered ? c->answered : c->created;
    json_t *j = json_object();

    snprintf(base, sizeof(base), API_PREFIX "%s/Calls/%s", account, c->sid);
    snprintf(uri, sizeof(uri), "%s.json", base);
    snprintf(dur, sizeof(dur), "%lld",
             (long long)(c->answered && c->ended ? (c->ended - c->answered) / 1000 : 0));
    formatted(c->from, from_f);
    formatted(c->to, to_f);
    json_object_set_new(j, "account_sid", json_string(account));
    json_object_set_new(j, "answered_by", c->machine ? json_string("machine_start") : json_null());
    json_object_set_new(j, "api_version", json_string("2010-04-01"));
    json_object_set_new(j, "caller_name", json_null());
    json_object_set_new(j, "date_created", date_or_null(c->created));
    json_object_set_new(j, "date_updated", date_or_null(last));
    json_object_set_new(j, "direction", json_string(c->direction));
    json_object_set_new(j, "duration", c->ended ? json_string(dur) : json_null());
    json_object_set_new(j, "end_time", date_or_null(c->ended));
    json_object_set_new(j, "forwarded_from", json_null());
    json_object_set_new(j, "from", json_string(c->from));
    json_object_set_new(j, "from_formatted", json_string(from_f));
    json_object_set_new(j, "group_sid", json_null());
    json_object_set_new(j, "parent_call_sid", str_or_null(c->parent));
    json_object_set_new(j, "phone_number_sid", json_null());
    json_object_set_new(j, "price", json_null());
    json_object_set_new(j, "price_unit", json_string("USD"));
    json_object_set_new(j, "queue_time", json_string("0"));
    json_object_set_new(j, "sid", json_string(c->sid));
    json_object_set_new(j, "start_time", date_or_null(c->answered));
    json_object_set_new(j, "status", json_string(shown_status(c)));
    json_object_set_new(j, "subresource_uris", call_subresources(base));
    json_object_set_new(j, "to", json_string(c->to));
    json_object_set_new(j, "to_formatted", json_string(to_f));
    json_object_set_new(j, "trunk_sid", json_null());
    json_object_set_new(j, "uri", json_string(uri));
    return j;
}

/* ---- requests to the gateway, as Twilio makes them ---- */

static size_t collect(char *p, size_t size, size_t n, void *arg)
{
    return buf_append(arg, p, size * n) ? 0 : size * n;
}

/* libcurl's progress callback: a request in flight is abandoned when the simulator stops. */
static int abort_on_stop(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                         curl_off_t ulnow)
{
    struct sim_voice *v = arg;
    int stop;

    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    pthread_mutex_lock(&v->mu);
    stop = v->stopping;
    pthread_mutex_unlock(&v->mu);
    return stop;
}

/* Where a request for url goes: under public_url, to the gateway's own address. */
static void target_url(const struct sim *s, const char *url, char *out, size_t n)
{
    size_t k = strlen(s->cfg->public_url);

    if (!strncmp(url, s->cfg->public_url, k) && (url[k] == '/' || url[k] == '?' || !url[k]))
        snprintf(out, n, "%s%s", s->gateway, url + k);
    else
        copy(out, n, url);
}

/*
 * One request as Twilio makes it: signed with X-Twilio-Signature over the
 * URL (with the query a GET adds) and, for a POST, every parameter. Returns
 * the HTTP status, 0 when nothing answered, -1 when the answer was larger
 * than out can take. out (may be NULL) gets the body, ctype its type.
 */
static long request(struct sim_voice *v, const char *method, const char *url,
                    const struct form *params, struct buf *out, char *ctype, size_t ctypelen)
{
    struct buf body = BUF_INIT(0), full = BUF_INIT(0);
    struct form none = {0};
    struct curl_slist *h = NULL;
    char sig[TWILIO_SIG_LEN], hdr[64 + TWILIO_SIG_LEN], target[SV_URL + 600];
    int get = !strcmp(method, "GET");
    long status = 0;
    CURL *c = NULL;
    CURLcode rc;
    size_t i;

    for (i = 0; i < params->n; i++)
        if (form_add(&body, params->params[i].key, params->params[i].value))
            goto done;
    if (buf_puts(&full, url) ||
        (get && body.len &&
         (buf_puts(&full, strchr(url, '?') ? "&" : "?") || buf_puts(&full, body.p))))
        goto done;
    if (twilio_signature(v->s->cfg->provider.auth_token, full.p, get ? &none : params, sig))
        goto done;
    target_url(v->s, full.p, target, sizeof(target));
    snprintf(hdr, sizeof(hdr), "X-Twilio-Signature: %s", sig);
    h = curl_slist_append(h, hdr);
    if (!get)
        h = curl_slist_append(h, "Content-Type: application/x-www-form-urlencoded");
    if (!(c = curl_easy_init()))
        goto done;
    curl_easy_setopt(c, CURLOPT_URL, target);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (get)
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    else
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.p ? body.p : "");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, out ? collect : sim_sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, abort_on_stop);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, v);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, SV_FETCH_S);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "TwilioProxy/1.1");
    rc = curl_easy_perform(c);
    if (rc == CURLE_OK) {
        char *ct = NULL;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
        if (ctype)
            copy(ctype, ctypelen, ct);
    } else if (rc == CURLE_WRITE_ERROR) {
        status = -1;
    }
done:
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    buf_free(&body);
    buf_free(&full);
    return status;
}

/* The parameters Twilio sends with every request about call c. */
static void call_params(const struct sim_voice *v, const struct sv_call *c, const char *status,
                        struct form *f)
{
    add_param(f, "AccountSid", v->s->cfg->provider.account_sid);
    add_param(f, "ApiVersion", "2010-04-01");
    add_param(f, "CallSid", c->sid);
    add_param(f, "CallStatus", status);
    add_param(f, "Called", c->to);
    add_param(f, "Caller", c->from);
    add_param(f, "Direction", c->direction);
    add_param(f, "From", c->from);
    add_param(f, "To", c->to);
    if (c->parent[0])
        add_param(f, "ParentCallSid", c->parent);
}

/* ---- what a call's thread records (takes v->mu) ---- */

static void call_error(struct run *x, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records an error for the call ("CODE: what"); the log gets the sid and the code only. */
static void call_error(struct run *x, int code, const char *fmt, ...)
{
    char msg[SV_URL + 200], line[SV_URL + 220];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(line, sizeof(line), "%d: %s", code, msg);
    pthread_mutex_lock(&x->v->mu);
    push_line(x->c->errors, &x->c->nerrors, SV_MAX_LIST, line, sizeof(line));
    pthread_mutex_unlock(&x->v->mu);
    log_warnx("sim.call_error", "sid=%s code=%d", x->c->sid, code);
}

static void hear(struct run *x, const char *text)
{
    pthread_mutex_lock(&x->v->mu);
    push_line(x->c->said, &x->c->nsaid, SV_MAX_SAID, text, SV_MAX_LINE);
    pthread_mutex_unlock(&x->v->mu);
}

static void played(struct run *x, const char *url)
{
    pthread_mutex_lock(&x->v->mu);
    push_line(x->c->played, &x->c->nplayed, SV_MAX_LIST, url, SV_URL);
    pthread_mutex_unlock(&x->v->mu);
}

/* A new recording of seconds by x's call; its sid into sid. */
static void make_recording(struct run *x, int seconds, char sid[SIM_ID_LEN])
{
    struct sim_voice *v = x->v;
    struct sv_call *c = x->c;
    struct sv_rec *r;

    sim_new_sid("RE", sid);
    pthread_mutex_lock(&v->mu);
    if (v->nrecs == SV_MAX_RECS)
        memmove(v->recs, v->recs + 1, (SV_MAX_RECS - 1) * sizeof(v->recs[0]));
    else
        v->nrecs++;
    r = &v->recs[v->nrecs - 1];
    memset(r, 0, sizeof(*r));
    copy(r->sid, sizeof(r->sid), sid);
    copy(r->call, sizeof(r->call), c->sid);
    r->seconds = seconds;
    r->at = wake_now_ms();
    if (c->nrecordings == SV_MAX_LIST)
        memmove(c->recordings, c->recordings + 1, (SV_MAX_LIST - 1) * sizeof(c->recordings[0]));
    else
        c->nrecordings++;
    copy(c->recordings[c->nrecordings - 1], SIM_ID_LEN, sid);
    pthread_mutex_unlock(&v->mu);
}

/* ---- parking (v->mu held) ---- */

/*
 * Parks x's call in state w until it is poked, hung up, redirected or the
 * simulator stops; says which. Whoever settles on the call is told first.
 */
static int park(struct run *x, enum sv_wait w)
{
    struct sim_voice *v = x->v;
    struct sv_call *c = x->c;
    int why;

    c->wait = w;
    c->busy = 0;
    x->waited = 1;
    pthread_cond_broadcast(&c->cv);
    while (!c->poked && !c->end_status[0] && !c->redirect && !v->stopping)
        pthread_cond_wait(&c->cv, &v->mu);
    c->wait = W_NONE;
    c->busy = 1;
    why = v->stopping        ? WOKE_STOP
          : c->end_status[0] ? WOKE_HANGUP
          : c->redirect      ? WOKE_REDIRECT
                             : WOKE_POKE;
    if (why == WOKE_POKE)
        c->poked = 0;
    return why;
}

/* Takes a pending REST redirect as the next document (v->mu held). */
static int take_redirect(struct run *x)
{
    struct sv_call *c = x->c;

    src_set(&x->next, c->redirect_url, c->redirect_method);
    x->next.twiml = c->redirect_twiml;
    c->redirect_twiml = NULL;
    c->redirect = 0;
    return V_GOTO;
}

/* Before each verb: V_END when the call is ending, V_GOTO for a redirect, -1 to go on. */
static int interrupted(struct run *x)
{
    int rc = -1;

    pthread_mutex_lock(&x->v->mu);
    if (x->v->stopping || x->c->end_status[0])
        rc = V_END;
    else if (x->c->redirect)
        rc = take_redirect(x);
    pthread_mutex_unlock(&x->v->mu);
    return rc;
}

/* What a verb does after waking for a reason other than its input (v->mu held). */
static int woke_to(struct run *x, int why)
{
    return why == WOKE_REDIRECT ? take_redirect(x) : V_END;
}

/* ---- documents ---- */

static int is_xml(const char *ctype)
{
    return !strncasecmp(ctype, "text/xml", 8) || !strncasecmp(ctype, "application/xml", 15);
}

/* Fetches x->next (with the call's parameters and CallStatus=status) into body; 0 or -1. */
static int fetch(struct run *x, const char *status, struct buf *body)
{
    struct form f = {0};
    char ctype[96] = "";
    long st;
    size_t i;

    call_params(x->v, x->c, status, &f);
    for (i = 0; i < x->next.extra.n; i++)
        add_param(&f, x->next.extra.params[i].key, x->next.extra.params[i].value);
    st = request(x->v, x->next.method, x->next.url, &f, body, ctype, sizeof(ctype));
    form_free(&f);
    if (st == -1)
        call_error(x, 12100, "%s %s: document larger than %d bytes", x->next.method, x->next.url,
                   TWIML_READ_MAX_DOC);
    else if (st == 0)
        call_error(x, 11205, "%s %s: no answer", x->next.method, x->next.url);
    else if (st < 200 || st > 299)
        call_error(x, 11200, "%s %s answered %ld", x->next.method, x->next.url, st);
    else if (body && !is_xml(ctype))
        call_error(x, 12300, "%s %s answered Content-Type \"%s\", not text/xml", x->next.method,
                   x->next.url, ctype);
    else
        return 0;
    return -1;
}

/* Posts x->next after the caller hung up (CallStatus=completed); its answer is not run. */
static void post_after_hangup(struct run *x)
{
    if (!abort_on_stop(x->v, 0, 0, 0, 0))
        (void)fetch(x, "completed", NULL);
}

/* The next document: fetched (or x->next's own TwiML) and read. NULL (error recorded) if not. */
static struct twiml_read_doc *load(struct run *x)
{
    struct buf body = BUF_INIT(TWIML_READ_MAX_DOC);
    struct twiml_read_doc *doc = NULL;
    char err[256];
    int failed;

    if (x->next.twiml) {
        failed = twiml_read(x->next.twiml, strlen(x->next.twiml), &doc, err, sizeof(err));
        x->doc_url[0] = '\0';
    } else {
        failed = fetch(x, x->first ? "ringing" : "in-progress", &body);
        if (!failed)
            failed = twiml_read(body.p ? body.p : "", body.len, &doc, err, sizeof(err));
        else
            err[0] = '\0';
        copy(x->doc_url, sizeof(x->doc_url), x->next.url);
    }
    if (failed && err[0])
        call_error(x, 12100, "%s: %s", x->next.twiml ? "Twiml" : x->next.url, err);
    buf_free(&body);
    if (!failed && x->first) {
        pthread_mutex_lock(&x->v->mu);
        copy(x->c->status, sizeof(x->c->status), "in-progress");
        x->c->answered = wake_now_ms();
        pthread_mutex_unlock(&x->v->mu);
        x->first = 0;
    }
    return failed ? NULL : doc;
}

/* ---- attributes ---- */

static int attr_int(struct run *x, const struct twiml_read_node *n, const char *name, long long lo,
                    long long hi, long long def, long long *out)
{
    const char *s = twiml_read_value(n, name), *why;

    *out = def;
    if (!s)
        return 0;
    if (parse_int(s, lo, hi, out, &why)) {
        *out = def;
        call_error(x, 12200, "<%s %s=\"%s\"> (line %d): %s", n->name, name, s, n->line, why);
        return -1;
    }
    return 0;
}

static int attr_bool(struct run *x, const struct twiml_read_node *n, const char *name, int def,
                     int *out)
{
    const char *s = twiml_read_value(n, name);

    *out = def;
    if (!s)
        return 0;
    if (strcmp(s, "true") && strcmp(s, "false")) {
        call_error(x, 12200, "<%s %s=\"%s\"> (line %d): true or false", n->name, name, s, n->line);
        return -1;
    }
    *out = !strcmp(s, "true");
    return 0;
}

static int attr_method(struct run *x, const struct twiml_read_node *n, const char *name,
                       char out[8])
{
    const char *s = twiml_read_value(n, name);

    copy(out, 8, "POST");
    if (!s || !norm_method(s, out))
        return 0;
    call_error(x, 12200, "<%s %s=\"%s\"> (line %d): GET or POST", n->name, name, s, n->line);
    return -1;
}

/* An absolute URL attribute (def when absent, "" allowed there); -1 when not a URL. */
static int attr_url(struct run *x, const struct twiml_read_node *n, const char *name,
                    const char *def, char out[SV_URL])
{
    const char *s = twiml_read_value(n, name);

    copy(out, SV_URL, s ? s : def);
    if (!s || valid_url(s))
        return 0;
    call_error(x, 11100, "<%s %s=\"%s\"> (line %d): not an absolute http(s) URL", n->name, name, s,
               n->line);
    return -1;
}

/* ---- verbs ---- */

static int v_say(struct run *x, const struct twiml_read_node *n)
{
    long long loop;

    attr_int(x, n, "loop", 0, 1000, 1, &loop);
    hear(x, n->text);
    return V_NEXT;
}

/* <Play loop="0"> outside a <Gather> plays until someone redirects or hangs up the call. */
static int v_play(struct run *x, const struct twiml_read_node *n)
{
    long long loop;
    int why;

    if (!valid_url(n->text)) {
        call_error(x, 11100, "<Play> (line %d): \"%s\" is not an absolute http(s) URL", n->line,
                   n->text);
        return V_END;
    }
    attr_int(x, n, "loop", 0, 1000, 1, &loop);
    played(x, n->text);
    if (loop || x->in_gather)
        return V_NEXT;
    pthread_mutex_lock(&x->v->mu);
    while ((why = park(x, W_PLAY)) == WOKE_POKE)
        ;
    why = woke_to(x, why);
    pthread_mutex_unlock(&x->v->mu);
    return why;
}

static int v_pause(struct run *x, const struct twiml_read_node *n)
{
    long long length;

    attr_int(x, n, "length", 0, 3600, 1, &length);
    return V_NEXT;
}

static int v_hangup(struct run *x, const struct twiml_read_node *n)
{
    (void)x;
    (void)n;
    return V_END;
}

static int v_redirect(struct run *x, const struct twiml_read_node *n)
{
    char method[8];

    if (!valid_url(n->text)) {
        call_error(x, 11100, "<Redirect> (line %d): \"%s\" is not an absolute http(s) URL", n->line,
                   n->text);
        return V_END;
    }
    if (attr_method(x, n, "method", method))
        return V_END;
    src_set(&x->next, n->text, method);
    return V_GOTO;
}

struct verb {
    const char *name;
    int (*run)(struct run *x, const struct twiml_read_node *n);
    const char *attrs; /* the attributes Twilio documents for it */
};

static int v_gather(struct run *x, const struct twiml_read_node *n);
static int v_dial(struct run *x, const struct twiml_read_node *n);
static int v_record(struct run *x, const struct twiml_read_node *n);

static const struct verb verbs[] = {
    {"Say", v_say, " voice language loop "},
    {"Play", v_play, " loop digits "},
    {"Pause", v_pause, " length "},
    {"Gather", v_gather,
     " input numDigits timeout action method language finishOnKey speechTimeout hints "
     "actionOnEmptyResult partialResultCallback partialResultCallbackMethod profanityFilter "
     "speechModel enhanced bargeIn debug "},
    {"Redirect", v_redirect, " method "},
    {"Dial", v_dial,
     " action method timeout callerId record hangupOnStar timeLimit answerOnBridge ringTone "
     "recordingStatusCallback recordingStatusCallbackMethod recordingStatusCallbackEvent trim "
     "sequential referUrl referMethod "},
    {"Record", v_record,
     " action method maxLength playBeep timeout finishOnKey trim transcribe transcribeCallback "
     "recordingStatusCallback recordingStatusCallbackMethod recordingStatusCallbackEvent "},
    {"Hangup", v_hangup, " "},
};

static const struct verb *find_verb(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        if (!strcmp(verbs[i].name, name))
            return &verbs[i];
    return NULL;
}

/* An attribute Twilio does not know for a verb is recorded (Twilio warns, 12200), not fatal. */
static void check_attrs(struct run *x, const struct verb *vb, const struct twiml_read_node *n)
{
    char key[TWIML_READ_MAX_NAME + 3];
    size_t i;

    for (i = 0; i < n->nattrs; i++) {
        snprintf(key, sizeof(key), " %s ", n->attrs[i].name);
        if (!strstr(vb->attrs, key))
            call_error(x, 12200, "<%s> (line %d) has no attribute %s", n->name, n->line,
                       n->attrs[i].name);
    }
}

/* Runs verbs from n on; the allowed set is every verb, or only Say/Play/Pause in a Gather. */
static int run_verbs(struct run *x, const struct twiml_read_node *n)
{
    for (; n; n = n->next) {
        const struct verb *vb = find_verb(n->name);
        int rc = interrupted(x);
        if (rc >= 0)
            return rc;
        if (!vb || (x->in_gather && vb->run != v_say && vb->run != v_play && vb->run != v_pause)) {
            call_error(x, 12200, "unsupported verb <%s>%s (line %d)", n->name,
                       x->in_gather ? " in <Gather>" : "", n->line);
            return V_END;
        }
        check_attrs(x, vb, n);
        rc = vb->run(x, n);
        if (rc != V_NEXT)
            return rc;
    }
    return x->in_gather ? V_NEXT : V_END; /* a document that runs out hangs up */
}

/* The input a <Gather> parks for: digits or speech, "" for a timeout (v->mu held). */
static int gather_wait(struct run *x, int speech, int digits, char *input, int *was_speech)
{
    struct sv_call *c = x->c;
    int why;

    c->gather_speech = speech;
    c->gather_digits = digits;
    c->has_input = 0;
    while ((why = park(x, W_GATHER)) == WOKE_POKE && !c->has_input)
        ;
    copy(input, SV_MAX_INPUT, c->input);
    *was_speech = c->speech;
    c->has_input = 0;
    return why;
}

/*
 * The keys a <Gather> takes from what was pressed: up to its finishOnKey
 * ('#' by default, "" none), which is not sent, and at most numDigits.
 */
static void keys_taken(const struct twiml_read_node *n, size_t digits, char *keys)
{
    const char *fin = twiml_read_value(n, "finishOnKey");
    char *end = fin && !*fin ? NULL : strchr(keys, fin ? *fin : '#');

    if (end)
        *end = '\0';
    if (digits && strlen(keys) > digits)
        keys[digits] = '\0';
}

static int v_gather(struct run *x, const struct twiml_read_node *n)
{
    const char *input = twiml_read_value(n, "input");
    char action[SV_URL], method[8], got[SV_MAX_INPUT];
    long long digits, timeout;
    int speech, rc, why;

    if (input && strcmp(input, "dtmf") && strcmp(input, "speech") && strcmp(input, "dtmf speech") &&
        strcmp(input, "speech dtmf"))
        call_error(x, 12200, "<Gather input=\"%s\"> (line %d): dtmf, speech or dtmf speech", input,
                   n->line);
    attr_int(x, n, "numDigits", 1, 32, 0, &digits);
    attr_int(x, n, "timeout", 1, 600, 5, &timeout);
    if (attr_url(x, n, "action", x->doc_url, action) || attr_method(x, n, "method", method))
        return V_END;
    if (!action[0]) {
        call_error(x, 11100, "<Gather> (line %d) in inline Twiml needs an action", n->line);
        return V_END;
    }
    x->in_gather = 1;
    rc = run_verbs(x, n->kids);
    x->in_gather = 0;
    if (rc != V_NEXT)
        return rc;
    pthread_mutex_lock(&x->v->mu);
    if (x->c->machine) { /* a machine presses nothing: the Gather times out */
        pthread_mutex_unlock(&x->v->mu);
        return V_NEXT;
    }
    why = gather_wait(x, input && strstr(input, "speech"), (int)digits, got, &speech);
    rc = why == WOKE_POKE ? V_NEXT : woke_to(x, why);
    pthread_mutex_unlock(&x->v->mu);
    if (!speech)
        keys_taken(n, (size_t)digits, got);
    if (why != WOKE_POKE || !got[0])
        return rc; /* hung up, redirected, or timed out: on with the next verb */
    src_set(&x->next, action, method);
    add_param(&x->next.extra, speech ? "SpeechResult" : "Digits", got);
    if (speech)
        add_param(&x->next.extra, "Confidence", "0.92");
    return V_GOTO;
}

/* What a <Record> parks for: seconds spoken, and whether the caller then hung up. */
static int record_wait(struct run *x, int *seconds, int *hangup)
{
    struct sv_call *c = x->c;
    int why;

    c->has_record = 0;
    while ((why = park(x, W_RECORD)) == WOKE_POKE && !c->has_record)
        ;
    *seconds = c->has_record ? c->record_s : 0;
    *hangup = why == WOKE_HANGUP || c->record_hangup;
    c->has_record = 0;
    return why;
}

static int v_record(struct run *x, const struct twiml_read_node *n)
{
    char action[SV_URL], method[8], sid[SIM_ID_LEN], url[SV_URL];
    long long max_len, timeout;
    int beep, seconds = 0, hangup = 0, why;

    attr_int(x, n, "maxLength", 1, 14400, 3600, &max_len);
    attr_int(x, n, "timeout", 0, 600, 5, &timeout);
    attr_bool(x, n, "playBeep", 1, &beep);
    if (attr_url(x, n, "action", x->doc_url, action) || attr_method(x, n, "method", method))
        return V_END;
    if (!action[0]) {
        call_error(x, 11100, "<Record> (line %d) in inline Twiml needs an action", n->line);
        return V_END;
    }
    pthread_mutex_lock(&x->v->mu);
    why = x->c->machine ? WOKE_POKE : record_wait(x, &seconds, &hangup);
    if (why == WOKE_REDIRECT || why == WOKE_STOP) {
        why = woke_to(x, why);
        pthread_mutex_unlock(&x->v->mu);
        return why;
    }
    if (hangup && !x->c->end_status[0])
        copy(x->c->end_status, sizeof(x->c->end_status), "completed");
    pthread_mutex_unlock(&x->v->mu);
    if (!seconds && !hangup)
        return V_NEXT; /* silence: no recording, on with the next verb */
    make_recording(x, seconds < max_len ? seconds : (int)max_len, sid);
    snprintf(url, sizeof(url), "%s" API_PREFIX "%s/Recordings/%s", x->v->s->cfg->provider.api_base,
             x->v->s->cfg->provider.account_sid, sid);
    src_set(&x->next, action, method);
    add_param(&x->next.extra, "RecordingSid", sid);
    add_param(&x->next.extra, "RecordingUrl", url);
    add_int_param(&x->next.extra, "RecordingDuration", seconds < max_len ? seconds : max_len);
    if (!hangup)
        return V_GOTO;
    add_param(&x->next.extra, "Digits", "hangup"); /* as Twilio marks a recording a hangup ended */
    post_after_hangup(x);
    return V_END;
}

/* ---- <Dial> ---- */

/* How a <Dial> ended, for its action. */
struct dial_end {
    char status[16]; /* DialCallStatus */
    char leg[SIM_ID_LEN];
    long long seconds;
};

/* After a <Dial>: its action (a new document, or posted after a hangup), or the next verb. */
static int dial_done(struct run *x, int why, const char *action, const char *method,
                     const struct dial_end *e)
{
    if (why == WOKE_REDIRECT || why == WOKE_STOP) {
        pthread_mutex_lock(&x->v->mu);
        why = woke_to(x, why);
        pthread_mutex_unlock(&x->v->mu);
        return why;
    }
    if (!action[0])
        return why == WOKE_HANGUP ? V_END : V_NEXT;
    src_set(&x->next, action, method);
    add_param(&x->next.extra, "DialCallStatus", e->status);
    if (e->leg[0])
        add_param(&x->next.extra, "DialCallSid", e->leg);
    add_int_param(&x->next.extra, "DialCallDuration", e->seconds);
    if (why != WOKE_HANGUP)
        return V_GOTO;
    post_after_hangup(x);
    return V_END;
}

/* Rings number for x's call; parks until the leg ends or the call does (v->mu held). */
static int dial_leg(struct run *x, const char *number, const char *caller_id, struct dial_end *e)
{
    struct sim_voice *v = x->v;
    struct sv_call *c = x->c, *leg;
    const char *why_not;
    int why;

    leg = new_call(v, "outbound-dial", caller_id[0] ? caller_id : c->from, number, &why_not);
    if (!leg) {
        copy(e->status, sizeof(e->status), "failed");
        return WOKE_POKE;
    }
    copy(leg->parent, sizeof(leg->parent), c->sid);
    copy(leg->status, sizeof(leg->status), "ringing");
    leg->busy = 0;
    copy(c->leg, sizeof(c->leg), leg->sid);
    copy(e->leg, sizeof(e->leg), leg->sid);
    while ((why = park(x, W_DIAL)) == WOKE_POKE && !is_over(leg))
        ;
    if (!is_over(leg)) /* the caller hung up or was redirected: the leg goes too */
        end_leg(v, leg, leg->answered ? "completed" : "canceled");
    copy(e->status, sizeof(e->status), leg->status);
    e->seconds = leg->answered ? (leg->ended - leg->answered) / 1000 : 0;
    c->leg[0] = '\0';
    return why;
}

static int dial_number(struct run *x, const char *number, const char *caller_id, const char *action,
                       const char *method)
{
    struct sv_call *c = x->c;
    struct dial_end e = {"failed", "", 0};
    const char *why_not;
    int why = WOKE_POKE;

    if (parse_e164(number, &why_not)) {
        call_error(x, 13224, "<Dial>: \"%s\" is not a number Twilio can call (%s)", number,
                   why_not);
        return dial_done(x, why, action, method, &e);
    }
    pthread_mutex_lock(&x->v->mu);
    if (c->ndialed < SV_MAX_LIST) {
        copy(c->dialed[c->ndialed].number, SV_NUM, number);
        copy(c->dialed[c->ndialed].caller_id, SV_NUM, caller_id);
        c->ndialed++;
    }
    why = dial_leg(x, number, caller_id, &e);
    pthread_mutex_unlock(&x->v->mu);
    return dial_done(x, why, action, method, &e);
}

/* What the waitUrl answers: heard (Say), played (Play); fetched once. */
static void hold_music(struct run *x, const char *url, const char *method)
{
    struct buf body = BUF_INIT(TWIML_READ_MAX_DOC);
    struct twiml_read_doc *doc = NULL;
    const struct twiml_read_node *n;
    struct sv_src keep = x->next;
    char err[256];

    memset(&x->next, 0, sizeof(x->next));
    src_set(&x->next, url, method);
    if (!fetch(x, "in-progress", &body) &&
        twiml_read(body.p ? body.p : "", body.len, &doc, err, sizeof(err)))
        call_error(x, 12100, "waitUrl %s: %s", url, err);
    for (n = doc ? twiml_read_root(doc)->kids : NULL; n; n = n->next) {
        if (!strcmp(n->name, "Say"))
            hear(x, n->text);
        else if (!strcmp(n->name, "Play") && valid_url(n->text))
            played(x, n->text);
        else if (strcmp(n->name, "Pause") && strcmp(n->name, "Redirect"))
            call_error(x, 12200, "unsupported verb <%s> in a waitUrl document (line %d)", n->name,
                       n->line);
    }
    twiml_read_free(doc);
    buf_free(&body);
    src_clear(&x->next);
    x->next = keep;
}

static int dial_conference(struct run *x, const struct twiml_read_node *conf, const char *action,
                           const char *method)
{
    struct sim_voice *v = x->v;
    struct sv_call *c = x->c;
    struct dial_end e = {"completed", "", 0};
    char wait_url[SV_URL], wait_method[8];
    int start, end, started, why;
    int64_t t0;

    attr_bool(x, conf, "startConferenceOnEnter", 1, &start);
    attr_bool(x, conf, "endConferenceOnExit", 0, &end);
    if (!conf->text[0] || strlen(conf->text) >= SV_NAME ||
        attr_url(x, conf, "waitUrl", "", wait_url) ||
        attr_method(x, conf, "waitMethod", wait_method)) {
        call_error(x, 12200, "<Conference> (line %d): a name (under %d bytes) and a waitUrl",
                   conf->line, SV_NAME);
        return V_END;
    }
    pthread_mutex_lock(&v->mu);
    if (conf_join(v, c, conf->text, start, end)) {
        pthread_mutex_unlock(&v->mu);
        call_error(x, 12200, "too many conferences at once");
        return V_END;
    }
    started = conf_find(v, c->conference)->started;
    pthread_mutex_unlock(&v->mu);
    if (!started && wait_url[0])
        hold_music(x, wait_url, wait_method);
    pthread_mutex_lock(&v->mu);
    t0 = wake_now_ms();
    while ((why = park(x, W_CONFERENCE)) == WOKE_POKE && !c->kicked)
        ;
    conf_leave(v, c);
    pthread_mutex_unlock(&v->mu);
    e.seconds = (wake_now_ms() - t0) / 1000;
    return dial_done(x, why, action, method, &e);
}

static int v_dial(struct run *x, const struct twiml_read_node *n)
{
    char action[SV_URL], method[8];
    const char *caller_id = twiml_read_value(n, "callerId"), *why;
    const struct twiml_read_node *k = n->kids;
    long long timeout;

    attr_int(x, n, "timeout", 1, 600, 30, &timeout);
    if (attr_url(x, n, "action", "", action) || attr_method(x, n, "method", method))
        return V_END;
    if (caller_id && parse_e164(caller_id, &why)) {
        call_error(x, 13214, "<Dial callerId=\"%s\"> (line %d): %s", caller_id, n->line, why);
        caller_id = NULL;
    }
    if (!k && n->text[0])
        return dial_number(x, n->text, caller_id ? caller_id : "", action, method);
    if (!k || k->next || (strcmp(k->name, "Number") && strcmp(k->name, "Conference"))) {
        call_error(x, 12200,
                   "<Dial> (line %d): the simulator dials one <Number> or one <Conference>",
                   n->line);
        return V_END;
    }
    if (!strcmp(k->name, "Conference"))
        return dial_conference(x, k, action, method);
    return dial_number(x, k->text, caller_id ? caller_id : "", action, method);
}

/* ---- a call's thread ---- */

/* Runs documents from x->next until the call ends. */
static void run_documents(struct run *x)
{
    int steps = 0;

    for (;;) {
        struct twiml_read_doc *doc;
        int rc;
        if (interrupted(x) == V_END)
            return;
        if (x->waited)
            steps = 0;
        x->waited = 0;
        if (++steps > SV_MAX_STEPS) {
            call_error(x, 12200, "%d documents in a row with no one acting (a <Redirect> loop?)",
                       SV_MAX_STEPS);
            return;
        }
        doc = load(x);
        if (!doc)
            return;
        rc = run_verbs(x, twiml_read_root(doc)->kids);
        twiml_read_free(doc);
        if (rc != V_GOTO)
            return;
    }
}

/* An outbound call rings until answered (1) or ended (0). */
static int ring(struct run *x)
{
    struct sv_call *c = x->c;
    int why;

    pthread_mutex_lock(&x->v->mu);
    copy(c->status, sizeof(c->status), "ringing");
    while ((why = park(x, W_RINGING)) == WOKE_POKE && !c->answer)
        ;
    if (why == WOKE_POKE) {
        c->machine = c->answer == 2;
        copy(c->status, sizeof(c->status), "in-progress");
        c->answered = wake_now_ms();
        src_set(&x->next, c->url, c->method);
        x->next.twiml = c->twiml && !c->url[0] ? strdup(c->twiml) : NULL;
    }
    pthread_mutex_unlock(&x->v->mu);
    return why == WOKE_POKE;
}

/* The call is over: its final status, its conference left, its status callback posted. */
static void finish(struct run *x)
{
    struct sim_voice *v = x->v;
    struct sv_call *c = x->c;
    char cb[SV_URL], cb_method[8], masked[LOG_MASK_LEN], stamp[64];
    struct form f = {0};
    int stopping;

    pthread_mutex_lock(&v->mu);
    if (!c->end_status[0])
        copy(c->end_status, sizeof(c->end_status), "completed");
    if (c->conference[0])
        conf_leave(v, c);
    copy(c->status, sizeof(c->status), c->end_status);
    c->ended = wake_now_ms();
    c->wait = W_NONE;
    copy(cb, sizeof(cb), c->status_cb);
    copy(cb_method, sizeof(cb_method), c->status_cb_method);
    call_params(v, c, c->status, &f);
    add_int_param(&f, "CallDuration", c->answered ? (c->ended - c->answered) / 1000 : 0);
    sim_rfc2822(c->ended, stamp, sizeof(stamp));
    add_param(&f, "Timestamp", stamp);
    add_param(&f, "CallbackSource", "call-progress-events");
    add_param(&f, "SequenceNumber", "0");
    stopping = v->stopping;
    pthread_mutex_unlock(&v->mu);
    if (cb[0] && !stopping && v->s->callbacks) /* --no-callbacks: none, as for texts */
        (void)request(v, cb_method, cb, &f, NULL, NULL, 0);
    form_free(&f);
    log_info("sim.call_end", "sid=%s direction=%s to=%s status=%s", c->sid, c->direction,
             log_mask_phone(c->to, masked), c->status);
    pthread_mutex_lock(&v->mu);
    c->busy = 0;
    c->threaded = 0;
    v->threads--;
    pthread_cond_broadcast(&c->cv);
    pthread_cond_broadcast(&v->idle);
    pthread_mutex_unlock(&v->mu); /* c may be gone from here on */
}

static void *call_main(void *arg)
{
    struct sv_call *c = arg;
    struct run x;

    memset(&x, 0, sizeof(x));
    x.v = c->v;
    x.c = c;
    if (!strcmp(c->direction, "inbound")) {
        pthread_mutex_lock(&x.v->mu);
        copy(c->status, sizeof(c->status), "ringing");
        src_set(&x.next, c->url, c->method);
        pthread_mutex_unlock(&x.v->mu);
        x.first = 1;
        run_documents(&x);
    } else if (ring(&x)) {
        run_documents(&x);
    }
    src_clear(&x.next);
    finish(&x);
    return NULL;
}

/* ---- the control API ---- */

static void ctl_error(struct http_response *res, int status, const char *why)
{
    sim_json_reply(res, status, json_pack("{s:s}", "error", why));
}

/*
 * A '+' a test sent unencoded arrives as a space: the control API (not
 * Twilio's) takes it back, as a convenience.
 */
static const char *plus_back(const char *v, char out[SV_NUM])
{
    if (!v || v[0] != ' ' || strlen(v) >= SV_NUM)
        return v;
    out[0] = '+';
    copy(out + 1, SV_NUM - 1, v + 1);
    return out;
}

/* POST /sim/call: a phone calls one of the line's numbers. */
static void ctl_place(struct sim_voice *v, const struct form *f, struct http_response *res)
{
    const struct config *cfg = v->s->cfg;
    char masked[LOG_MASK_LEN], dflt[SV_URL], from_buf[SV_NUM], to_buf[SV_NUM];
    const char *from = plus_back(form_get(f, "From"), from_buf);
    const char *to = plus_back(form_get(f, "To"), to_buf), *url = form_get(f, "Url"), *why;
    struct sv_call *c;

    if (!from || parse_e164(from, &why) || !to || !config_is_own_number(cfg, to) ||
        (url && !valid_url(url))) {
        ctl_error(res, 400, "From=E.164&To=one of the line's numbers [&Url=absolute URL]");
        return;
    }
    snprintf(dflt, sizeof(dflt), "%s/twilio/voice", cfg->public_url);
    pthread_mutex_lock(&v->mu);
    c = new_call(v, "inbound", from, to, &why);
    if (!c) {
        pthread_mutex_unlock(&v->mu);
        ctl_error(res, 503, why);
        return;
    }
    copy(c->url, sizeof(c->url), url ? url : dflt);
    log_info("sim.call", "sid=%s direction=inbound from=%s", c->sid, log_mask_phone(from, masked));
    if (start_call(v, c, &why)) {
        ctl_error(res, 503, why);
    } else {
        settle(v, c);
        sim_json_reply(res, 200, call_json(v, c));
    }
    pthread_mutex_unlock(&v->mu);
}

static int ctl_press(struct sim_voice *v, struct sv_call *c, const struct form *f, const char **why,
                     struct sv_call **moved)
{
    const char *digits = form_get(f, "Digits"), *speech = form_get(f, "Speech");
    const char *in = digits ? digits : speech;

    (void)v;
    if (c->wait != W_GATHER)
        return *why = "the call is not waiting in a <Gather>", 409;
    if (!digits == !speech || strlen(in) >= SV_MAX_INPUT ||
        (digits && strspn(digits, "0123456789*#") != strlen(digits)))
        return *why = "Digits=[0-9*#]... (\"\": no input) or Speech=words", 400;
    if (speech && !c->gather_speech)
        return *why = "this <Gather> does not take speech", 409;
    copy(c->input, sizeof(c->input), in);
    c->speech = speech != NULL;
    c->has_input = 1;
    *moved = c;
    return 200;
}

static int ctl_answer(struct sim_voice *v, struct sv_call *c, int machine, struct sv_call **moved)
{
    if (!c->threaded) { /* a <Dial><Number> leg: connected to the caller at once */
        copy(c->status, sizeof(c->status), "in-progress");
        c->answered = wake_now_ms();
        c->machine = machine;
        *moved = find_call(v, c->parent);
        return 200;
    }
    c->answer = machine ? 2 : 1;
    *moved = c;
    return 200;
}

static int ctl_ring_action(struct sim_voice *v, struct sv_call *c, const char *action,
                           const struct form *f, const char **why, struct sv_call **moved)
{
    const char *status = form_get(f, "Status");

    if (!is_ringing(c))
        return *why = "the call is not ringing", 409;
    if (strcmp(action, "decline"))
        return ctl_answer(v, c, !strcmp(action, "voicemail"), moved);
    if (!status ||
        (strcmp(status, "busy") && strcmp(status, "no-answer") && strcmp(status, "failed")))
        return *why = "Status=busy|no-answer|failed", 400;
    *moved = c->threaded ? c : find_call(v, c->parent);
    end_call(v, c, status);
    return 200;
}

static int ctl_record(struct sv_call *c, const struct form *f, const char **why,
                      struct sv_call **moved)
{
    const char *seconds = form_get(f, "Seconds"), *hangup = form_get(f, "Hangup"), *err;
    long long s;
    int h = 0;

    if (c->wait != W_RECORD)
        return *why = "the call is not waiting in a <Record>", 409;
    if (!seconds || parse_int(seconds, 0, 14400, &s, &err) ||
        (hangup && parse_bool(hangup, &h, &err)))
        return *why = "Seconds=0..14400 [&Hangup=true]", 400;
    c->record_s = (int)s;
    c->record_hangup = h;
    c->has_record = 1;
    *moved = c;
    return 200;
}

static int ctl_hangup(struct sim_voice *v, struct sv_call *c, const char **why,
                      struct sv_call **moved)
{
    if (is_over(c) || c->end_status[0])
        return *why = "the call is over", 409;
    if (is_ringing(c))
        return *why = "the call is ringing: answer or decline it", 409;
    *moved = c->threaded ? c : find_call(v, c->parent);
    end_call(v, c, c->answered ? "completed" : "canceled");
    return 200;
}

/* The control calls that act on one call (Call=sid); their answer is that call. */
static void ctl_act(struct sim_voice *v, const char *action, const struct form *f,
                    struct http_response *res)
{
    struct sv_call *c, *moved = NULL;
    const char *why = "";
    int st;

    pthread_mutex_lock(&v->mu);
    c = find_call(v, form_get(f, "Call"));
    if (!c)
        st = (why = "no such call (Call=CA...)", 404);
    else if (!strcmp(action, "press"))
        st = ctl_press(v, c, f, &why, &moved);
    else if (!strcmp(action, "record"))
        st = ctl_record(c, f, &why, &moved);
    else if (!strcmp(action, "hangup"))
        st = ctl_hangup(v, c, &why, &moved);
    else
        st = ctl_ring_action(v, c, action, f, &why, &moved);
    if (st == 200 && moved) {
        moved->busy = 1;
        poke(moved);
        settle(v, moved);
    }
    if (st == 200)
        sim_json_reply(res, 200, call_json(v, c));
    else
        ctl_error(res, st, why);
    pthread_mutex_unlock(&v->mu);
}

/* GET /sim/calls [?phone=+1...]: every call, oldest first. */
static void ctl_list(struct sim_voice *v, const struct http_request *req, struct http_response *res)
{
    char buf[SV_NUM];
    const char *phone = plus_back(http_query(req, "phone"), buf);
    json_t *arr = json_array();
    size_t i;

    pthread_mutex_lock(&v->mu);
    for (i = 0; i < v->ncalls; i++) {
        const struct sv_call *c = v->calls[i];
        if (!phone || !strcmp(phone, c->from) || !strcmp(phone, c->to))
            json_array_append_new(arr, call_json(v, c));
    }
    pthread_mutex_unlock(&v->mu);
    sim_json_reply(res, 200, json_pack("{s:o}", "calls", arr));
}

static int control(struct sim_voice *v, const struct http_request *req, struct http_response *res)
{
    static const char *const acts[] = {"press",   "answer", "voicemail",
                                       "decline", "record", "hangup"};
    const char *p = req->path + strlen("/sim/call"), *why;
    struct form f = {0};
    size_t i, where;

    if (!strcmp(req->method, "GET") && !strcmp(p, "s")) {
        ctl_list(v, req, res);
        return 1;
    }
    if (strcmp(req->method, "POST") || (*p && *p != '/'))
        return 0;
    for (i = 0; *p && i < sizeof(acts) / sizeof(acts[0]); i++)
        if (!strcmp(p + 1, acts[i]))
            break;
    if (*p && i == sizeof(acts) / sizeof(acts[0]))
        return 0;
    if (form_parse(req->body, req->body_len, &f, &why, &where)) {
        ctl_error(res, 400, why);
        return 1;
    }
    if (*p)
        ctl_act(v, acts[i], &f, res);
    else
        ctl_place(v, &f, res);
    form_free(&f);
    return 1;
}

/* ---- the REST API: Calls and Recordings ---- */

static void not_found(struct http_response *res, const char *path)
{
    char msg[300];

    snprintf(msg, sizeof(msg), "The requested resource %s was not found", path);
    sim_twilio_error(res, 404, 20404, msg);
}

/* The optional method parameters of a Calls request: GET or POST. */
static int methods_ok(const struct form *f, struct http_response *res)
{
    static const char *const keys[] = {"Method", "StatusCallbackMethod", "FallbackMethod"};
    char m[8];
    size_t i;

    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const char *v = form_get(f, keys[i]);
        if (v && norm_method(v, m)) {
            char msg[96];
            snprintf(msg, sizeof(msg), "%s must be GET or POST", keys[i]);
            sim_twilio_error(res, 400, 21200, msg);
            return 0;
        }
    }
    return 1;
}

/* The checks Twilio makes of a new call, in its order; 0 with res answered on the first failure. */
static int create_ok(struct sim_voice *v, const struct form *f, struct http_response *res)
{
    const char *to = form_get(f, "To"), *from = form_get(f, "From"), *url = form_get(f, "Url");
    const char *twiml = form_get(f, "Twiml"), *cb = form_get(f, "StatusCallback");
    const char *timeout = form_get(f, "Timeout"), *why;
    char msg[400];
    long long t;

    if (!to || !*to)
        return sim_twilio_error(res, 400, 21201, "No 'To' number is specified"), 0;
    if (!from || !*from)
        return sim_twilio_error(res, 400, 21213, "No 'From' number is specified"), 0;
    if (parse_e164(to, &why)) {
        snprintf(msg, sizeof(msg), "The 'To' number %s is not a valid phone number.", to);
        return sim_twilio_error(res, 400, 21211, msg), 0;
    }
    if (parse_e164(from, &why)) {
        snprintf(msg, sizeof(msg), "The 'From' number %s is not a valid phone number.", from);
        return sim_twilio_error(res, 400, 21212, msg), 0;
    }
    if (!config_is_own_number(v->s->cfg, from)) {
        snprintf(msg, sizeof(msg),
                 "The source phone number provided, %s, is not yet verified for your account. "
                 "You may only make calls from phone numbers that you've verified or purchased "
                 "from Twilio.",
                 from);
        return sim_twilio_error(res, 400, 21210, msg), 0;
    }
    if (form_get(f, "ApplicationSid"))
        return sim_twilio_error(res, 400, 21218, "Invalid ApplicationSid"), 0;
    if ((!url || !*url) && (!twiml || !*twiml))
        return sim_twilio_error(res, 400, 21205,
                                "A 'Url', 'Twiml' or 'ApplicationSid' parameter is required."),
               0;
    if (url && *url && !valid_url(url)) {
        snprintf(msg, sizeof(msg), "Url is not a valid URL: %s", url);
        return sim_twilio_error(res, 400, 21205, msg), 0;
    }
    if ((!url || !*url) && strlen(twiml) > SV_MAX_TWIML)
        return sim_twilio_error(res, 400, 21200, "Twiml must be at most 4000 characters"), 0;
    if (cb && *cb && !valid_url(cb))
        return sim_twilio_error(res, 400, 21200, "StatusCallback is not a valid URL"), 0;
    if (timeout && parse_int(timeout, 1, 1LL << 31, &t, &why))
        return sim_twilio_error(res, 400, 21200, "Timeout must be a positive integer"), 0;
    return methods_ok(f, res);
}

/* POST .../Calls.json (CreateCall): a call the gateway places; it rings until the control API acts.
 */
static void rest_create(struct sim_voice *v, const struct http_request *req, const char *account,
                        struct http_response *res)
{
    struct form f = {0};
    struct sv_call *c;
    const char *why, *url, *twiml, *m;
    char masked[LOG_MASK_LEN];

    if (sim_twilio_api_call(v->s, req, account, &f, res) || !create_ok(v, &f, res))
        goto done;
    url = form_get(&f, "Url");
    twiml = form_get(&f, "Twiml");
    pthread_mutex_lock(&v->mu);
    c = new_call(v, "outbound-api", form_get(&f, "From"), form_get(&f, "To"), &why);
    if (c) {
        copy(c->url, sizeof(c->url), url);
        if ((m = form_get(&f, "Method")))
            norm_method(m, c->method);
        if ((!url || !*url) && twiml)
            c->twiml = strdup(twiml);
        copy(c->status_cb, sizeof(c->status_cb), form_get(&f, "StatusCallback"));
        copy(c->status_cb_method, sizeof(c->status_cb_method), "POST");
        if ((m = form_get(&f, "StatusCallbackMethod")))
            norm_method(m, c->status_cb_method);
        if (!start_call(v, c, &why))
            sim_json_reply(res, 201, call_resource(v, c));
        else
            c = NULL;
    }
    pthread_mutex_unlock(&v->mu);
    if (!c) {
        sim_twilio_error(res, 429, 20429, "Too Many Requests");
        goto done;
    }
    log_info("sim.call", "sid=%s direction=outbound-api to=%s", c->sid,
             log_mask_phone(form_get(&f, "To"), masked));
done:
    form_free(&f);
}

/* The parameters of UpdateCall that change something, checked; 0 with res answered if not. */
static int update_ok(const struct form *f, struct http_response *res)
{
    const char *status = form_get(f, "Status"), *url = form_get(f, "Url");
    const char *twiml = form_get(f, "Twiml"), *cb = form_get(f, "StatusCallback");

    if (status && strcmp(status, "canceled") && strcmp(status, "completed"))
        return sim_twilio_error(res, 400, 21200, "Status must be canceled or completed"), 0;
    if (url && *url && twiml && *twiml)
        return sim_twilio_error(res, 400, 21200, "Twiml and Url are mutually exclusive"), 0;
    if (url && *url && !valid_url(url))
        return sim_twilio_error(res, 400, 21205, "Url is not a valid URL"), 0;
    if (twiml && strlen(twiml) > SV_MAX_TWIML)
        return sim_twilio_error(res, 400, 21200, "Twiml must be at most 4000 characters"), 0;
    if (cb && *cb && !valid_url(cb))
        return sim_twilio_error(res, 400, 21200, "StatusCallback is not a valid URL"), 0;
    return methods_ok(f, res);
}

/* Applies an update to c (v->mu held): a status, else a new document. 0, or a Twilio code. */
static int apply_update(struct sim_voice *v, struct sv_call *c, const struct form *f)
{
    const char *status = form_get(f, "Status"), *url = form_get(f, "Url");
    const char *twiml = form_get(f, "Twiml"), *m = form_get(f, "Method");
    int redirect = (url && *url) || (twiml && *twiml);

    if (is_over(c) || c->end_status[0])
        return redirect || status ? 21220 : 0;
    if (form_get(f, "StatusCallback"))
        copy(c->status_cb, sizeof(c->status_cb), form_get(f, "StatusCallback"));
    if (status) { /* canceled leaves a call in progress be; completed ends any */
        if (is_ringing(c) || !strcmp(status, "completed"))
            end_call(v, c, is_ringing(c) ? "canceled" : "completed");
        return 0;
    }
    if (!redirect)
        return 0;
    if (!c->threaded)
        return 21220; /* a <Dial><Number> leg runs no TwiML here */
    free(c->redirect_twiml);
    c->redirect_twiml = twiml && *twiml && !(url && *url) ? strdup(twiml) : NULL;
    copy(c->redirect_url, sizeof(c->redirect_url), url && *url ? url : "");
    copy(c->redirect_method, sizeof(c->redirect_method), "POST");
    if (m)
        norm_method(m, c->redirect_method);
    if (is_ringing(c)) { /* not answered yet: the new document is run on answer */
        copy(c->url, sizeof(c->url), c->redirect_url);
        copy(c->method, sizeof(c->method), c->redirect_method);
        free(c->twiml);
        c->twiml = c->redirect_twiml;
        c->redirect_twiml = NULL;
        return 0;
    }
    c->redirect = 1;
    pthread_cond_broadcast(&c->cv);
    return 0;
}

/* POST .../Calls/{Sid}.json (UpdateCall); GET fetches the call. */
static void rest_call(struct sim_voice *v, const struct http_request *req, const char *account,
                      const char *sid, struct http_response *res)
{
    int post = !strcmp(req->method, "POST"), code = 0;
    struct form f = {0};
    struct sv_call *c;

    if (sim_twilio_api_call(v->s, req, account, &f, res) || (post && !update_ok(&f, res)))
        goto done;
    pthread_mutex_lock(&v->mu);
    c = find_call(v, sid);
    if (c && post)
        code = apply_update(v, c, &f);
    if (!c)
        not_found(res, req->path);
    else if (code)
        sim_twilio_error(res, 400, code,
                         form_get(&f, "Status") ? "Call is not in-progress. Cannot update."
                                                : "Call is not in-progress. Cannot redirect.");
    else
        sim_json_reply(res, 200, call_resource(v, c));
    pthread_mutex_unlock(&v->mu);
done:
    form_free(&f);
}

static json_t *recording_resource(struct sim_voice *v, const struct sv_rec *r)
{
    const char *account = v->s->cfg->provider.account_sid;
    char uri[200], media[SV_URL], dur[16];

    snprintf(uri, sizeof(uri), API_PREFIX "%s/Recordings/%s.json", account, r->sid);
    snprintf(media, sizeof(media), "%s" API_PREFIX "%s/Recordings/%s", v->s->cfg->provider.api_base,
             account, r->sid);
    snprintf(dur, sizeof(dur), "%d", r->seconds);
    return json_pack("{s:s, s:s, s:s, s:n, s:o, s:o, s:o, s:s, s:s, s:n, s:s, s:s, s:i, s:s,"
                     " s:s, s:s}",
                     "account_sid", account, "api_version", "2010-04-01", "call_sid", r->call,
                     "conference_sid", "date_created", date_or_null(r->at), "date_updated",
                     date_or_null(r->at), "start_time", date_or_null(r->at), "duration", dur, "sid",
                     r->sid, "price", "price_unit", "USD", "status", "completed", "channels", 1,
                     "source", "RecordVerb", "uri", uri, "media_url", media);
}

/* GET / DELETE .../Recordings/{Sid}.json: a deleted recording is gone (404 after). */
static void rest_recording(struct sim_voice *v, const struct http_request *req, const char *account,
                           const char *sid, struct http_response *res)
{
    struct form f = {0};
    struct sv_rec *r = NULL;
    size_t i;

    if (sim_twilio_api_call(v->s, req, account, &f, res))
        goto done;
    pthread_mutex_lock(&v->mu);
    for (i = 0; i < v->nrecs; i++)
        if (!strcmp(v->recs[i].sid, sid) && !v->recs[i].deleted)
            r = &v->recs[i];
    if (!r) {
        not_found(res, req->path);
    } else if (!strcmp(req->method, "DELETE")) {
        r->deleted = 1;
        res->status = 204;
        res->content_type = NULL;
        buf_reset(&res->body);
        log_info("sim.recording_deleted", "sid=%s", sid);
    } else {
        sim_json_reply(res, 200, recording_resource(v, r));
    }
    pthread_mutex_unlock(&v->mu);
done:
    form_free(&f);
}

/* "/Calls/CA...json" style: the sid between prefix and ".json", no further '/'. */
static int sid_in(const char *rest, const char *prefix, char sid[SIM_ID_LEN])
{
    size_t p = strlen(prefix), n = strlen(rest);

    if (strncmp(rest, prefix, p) || n < p + 6 || strcmp(rest + n - 5, ".json") ||
        n - p - 5 >= SIM_ID_LEN || memchr(rest + p, '/', n - p - 5))
        return 0;
    memcpy(sid, rest + p, n - p - 5);
    sid[n - p - 5] = '\0';
    return 1;
}

static int rest(struct sim_voice *v, const struct http_request *req, struct http_response *res)
{
    const char *acct = req->path + strlen(API_PREFIX), *slash = strchr(acct, '/');
    const char *m = req->method;
    char account[64], sid[SIM_ID_LEN];

    if (!slash || (size_t)(slash - acct) >= sizeof(account))
        return 0;
    memcpy(account, acct, (size_t)(slash - acct));
    account[slash - acct] = '\0';
    if (!strcmp(m, "POST") && !strcmp(slash, "/Calls.json")) {
        rest_create(v, req, account, res);
        return 1;
    }
    if ((!strcmp(m, "POST") || !strcmp(m, "GET")) && sid_in(slash, "/Calls/", sid)) {
        rest_call(v, req, account, sid, res);
        return 1;
    }
    if ((!strcmp(m, "DELETE") || !strcmp(m, "GET")) && sid_in(slash, "/Recordings/", sid)) {
        rest_recording(v, req, account, sid, res);
        return 1;
    }
    return 0;
}

/* ---- the simulator's hooks ---- */

int sim_voice_handle(struct sim *s, const struct http_request *req, struct http_response *res)
{
    struct sim_voice *v = s->voice;

    if (!v || s->kind != PROVIDER_TWILIO)
        return 0;
    if (!strncmp(req->path, "/sim/call", strlen("/sim/call")))
        return control(v, req, res);
    if (!strncmp(req->path, API_PREFIX, strlen(API_PREFIX)))
        return rest(v, req, res);
    return 0;
}

int sim_voice_start(struct sim *s)
{
    struct sim_voice *v = calloc(1, sizeof(*v));

    if (!v)
        return -1;
    v->s = s;
    pthread_mutex_init(&v->mu, NULL);
    cond_init_mono(&v->idle);
    s->voice = v;
    return 0;
}

void sim_voice_shutdown(struct sim *s)
{
    struct sim_voice *v = s->voice;
    struct timespec until = mono_deadline(SV_SHUTDOWN_MS);
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
    size_t i;

    if (!v || v->threads) /* a thread still running would use it: leave it to the exit */
        return;
    for (i = 0; i < v->ncalls; i++)
        free_call(v->calls[i]);
    pthread_cond_destroy(&v->idle);
    pthread_mutex_destroy(&v->mu);
    free(v);
    s->voice = NULL;
}

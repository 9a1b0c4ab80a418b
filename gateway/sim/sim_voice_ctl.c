/*
 * sim_voice_ctl.c - the control API: what tests and the simulator's page do
 * to calls, standing in for the people on the phones. Form bodies; answers
 * are the call as GET /sim/calls shows it, or {"error": ...} with 400, 404,
 * 409 or 503.
 *
 *   POST /sim/call            From, To [, Url]: a phone calls one of the line's
 *                             numbers (Url: the number's voice URL, by default
 *                             {public_url}/twilio/voice; under public_url or
 *                             on a loopback host, sim_reach.h)
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
 * A control call waits (sv_settle, up to SV_SETTLE_MS) until the call it
 * moved has settled - parked again, or over with its status callback
 * delivered - so a test reads a stable state right after.
 */
#include "config.h"
#include "form.h"
#include "http.h"
#include "log.h"
#include "parse.h"
#include "sim_reach.h"
#include "sim_voice_priv.h"
#include "wake.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* ---- small helpers ---- */

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
    sv_copy(out + 1, SV_NUM - 1, v + 1);
    return out;
}

/* ---- a call as GET /sim/calls shows it (v->mu held) ---- */

static const char *waiting_name(struct sim_voice *v, const struct sv_call *c)
{
    const struct sv_conf *conf;

    switch (c->wait) {
    case SV_WAIT_GATHER:
        return "gather";
    case SV_WAIT_RECORD:
        return "record";
    case SV_WAIT_CONFERENCE:
        conf = sv_conf_find(v, c->conference);
        return conf && conf->started ? NULL : "conference";
    case SV_WAIT_DIAL:
        return "dial";
    case SV_WAIT_PLAY:
        return "play";
    default:
        return NULL;
    }
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
    const struct sv_conf *conf = sv_conf_find(v, c->conference);
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
    size_t i;

    for (i = 0; i < c->nrecordings; i++) {
        int gone = !sv_rec_find(v, c->recordings[i]); /* dropped from the store counts too */
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
    json_object_set_new(j, "status", json_string(sv_shown_status(c)));
    json_object_set_new(j, "conference", sv_str_or_null(c->conference));
    json_object_set_new(j, "in_conference_with", conference_with(v, c));
    json_object_set_new(j, "waiting", sv_str_or_null(waiting_name(v, c)));
    json_object_set_new(j, "said", lines_json(c->said, c->nsaid));
    json_object_set_new(j, "dialed", dialed);
    json_object_set_new(j, "recordings", recordings_json(v, c, 0));
    json_object_set_new(j, "recordings_deleted", recordings_json(v, c, 1));
    json_object_set_new(j, "errors", lines_json(c->errors, c->nerrors));
    json_object_set_new(j, "url",
                        sv_str_or_null(strcmp(c->direction, "outbound-api") ? "" : c->url));
    json_object_set_new(j, "created", json_integer(c->created));
    json_object_set_new(j, "parent_call_sid", sv_str_or_null(c->parent));
    json_object_set_new(j, "played", lines_json(c->played, c->nplayed));
    json_object_set_new(j, "machine", json_boolean(c->machine));
    return j;
}

/* ---- the calls ---- */

/* POST /sim/call: a phone calls one of the line's numbers. */
static void ctl_place(struct sim_voice *v, const struct form *f, struct http_response *res)
{
    const struct config *cfg = v->s->cfg;
    char masked[LOG_MASK_LEN], dflt[SV_URL], from_buf[SV_NUM], to_buf[SV_NUM];
    const char *from = plus_back(form_get(f, "From"), from_buf);
    const char *to = plus_back(form_get(f, "To"), to_buf), *url = form_get(f, "Url"), *why;
    struct sv_call *c;

    if (!from || parse_e164(from, &why) || !to || !config_is_own_number(cfg, to) ||
        (url && !sv_valid_url(url))) {
        ctl_error(res, 400, "From=E.164&To=one of the line's numbers [&Url=absolute URL]");
        return;
    }
    if (url && !sim_reach_allowed(cfg->public_url, url, &why)) {
        ctl_error(res, 400, why); /* "Url=...: " would echo what the caller sent */
        return;
    }
    snprintf(dflt, sizeof(dflt), "%s/twilio/voice", cfg->public_url);
    pthread_mutex_lock(&v->mu);
    c = sv_new_call(v, "inbound", from, to, &why);
    if (!c) {
        pthread_mutex_unlock(&v->mu);
        ctl_error(res, 503, why);
        return;
    }
    sv_copy(c->url, sizeof(c->url), url ? url : dflt);
    log_info("sim.call", "sid=%s direction=inbound from=%s", c->sid, log_mask_phone(from, masked));
    if (sv_run_start(v, c, &why)) {
        ctl_error(res, 503, why);
    } else {
        sv_settle(v, c);
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
    if (c->wait != SV_WAIT_GATHER)
        return *why = "the call is not waiting in a <Gather>", 409;
    if (!digits == !speech || strlen(in) >= SV_MAX_INPUT ||
        (digits && strspn(digits, "0123456789*#") != strlen(digits)))
        return *why = "Digits=[0-9*#]... (\"\": no input) or Speech=words", 400;
    if (speech && !c->gather_speech)
        return *why = "this <Gather> does not take speech", 409;
    sv_copy(c->input, sizeof(c->input), in);
    c->speech = speech != NULL;
    c->has_input = 1;
    *moved = c;
    return 200;
}

static int ctl_answer(struct sim_voice *v, struct sv_call *c, int machine, struct sv_call **moved)
{
    if (!c->threaded) { /* a <Dial><Number> leg: connected to the caller at once */
        sv_copy(c->status, sizeof(c->status), "in-progress");
        c->answered = wake_now_ms();
        c->machine = machine;
        *moved = sv_find_call(v, c->parent);
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

    if (!sv_is_ringing(c))
        return *why = "the call is not ringing", 409;
    if (strcmp(action, "decline"))
        return ctl_answer(v, c, !strcmp(action, "voicemail"), moved);
    if (!status ||
        (strcmp(status, "busy") && strcmp(status, "no-answer") && strcmp(status, "failed")))
        return *why = "Status=busy|no-answer|failed", 400;
    *moved = c->threaded ? c : sv_find_call(v, c->parent);
    sv_end_call(v, c, status);
    return 200;
}

static int ctl_record(struct sv_call *c, const struct form *f, const char **why,
                      struct sv_call **moved)
{
    const char *seconds = form_get(f, "Seconds"), *hangup = form_get(f, "Hangup"), *err;
    long long s;
    int h = 0;

    if (c->wait != SV_WAIT_RECORD)
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
    if (sv_is_over(c) || c->end_status[0])
        return *why = "the call is over", 409;
    if (sv_is_ringing(c))
        return *why = "the call is ringing: answer or decline it", 409;
    *moved = c->threaded ? c : sv_find_call(v, c->parent);
    sv_end_call(v, c, c->answered ? "completed" : "canceled");
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
    c = sv_find_call(v, form_get(f, "Call"));
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
        sv_poke(moved);
        sv_settle(v, moved);
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

int sv_ctl_handle(struct sim_voice *v, const struct http_request *req, struct http_response *res)
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

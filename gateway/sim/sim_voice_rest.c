/*
 * sim_voice_rest.c - Twilio's REST API for voice, as far as the gateway
 * uses it:
 *
 *   POST   .../Calls.json                CreateCall: a call the gateway places;
 *                                        it rings until the control API acts
 *   GET    .../Calls/{Sid}.json          FetchCall
 *   POST   .../Calls/{Sid}.json          UpdateCall: Status=canceled|completed,
 *                                        or a new Url / Twiml to run
 *   GET    .../Recordings/{Sid}.json     FetchRecording
 *   DELETE .../Recordings/{Sid}.json     DeleteRecording (404 after)
 *
 * Each goes through sim_twilio.c's REST edge first (account, Basic auth, form
 * body, fault switches). Parameters are checked in Twilio's order and
 * refused with Twilio's codes and messages; answers are shaped like
 * Twilio's resources (api.v2010.account.call, .recording). These calls
 * never wait for a call to settle, as Twilio's do not.
 */
#include "buf.h"
#include "config.h"
#include "form.h"
#include "http.h"
#include "log.h"
#include "parse.h"
#include "sim_voice_priv.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SV_MAX_TWIML 4000 /* the Twiml parameter, as Twilio limits it */

/* ---- resources (v->mu held) ---- */

/* "+14158675309" -> "(415) 867-5309", as Twilio formats North American numbers. */
static void formatted(const char *n, char out[32])
{
    if (strlen(n) == 12 && !strncmp(n, "+1", 2))
        snprintf(out, 32, "(%.3s) %.3s-%.4s", n + 2, n + 5, n + 8);
    else
        sv_copy(out, 32, n);
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

    snprintf(base, sizeof(base), SV_API_PREFIX "%s/Calls/%s", account, c->sid);
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
    json_object_set_new(j, "parent_call_sid", sv_str_or_null(c->parent));
    json_object_set_new(j, "phone_number_sid", json_null());
    json_object_set_new(j, "price", json_null());
    json_object_set_new(j, "price_unit", json_string("USD"));
    json_object_set_new(j, "queue_time", json_string("0"));
    json_object_set_new(j, "sid", json_string(c->sid));
    json_object_set_new(j, "start_time", date_or_null(c->answered));
    json_object_set_new(j, "status", json_string(sv_shown_status(c)));
    json_object_set_new(j, "subresource_uris", call_subresources(base));
    json_object_set_new(j, "to", json_string(c->to));
    json_object_set_new(j, "to_formatted", json_string(to_f));
    json_object_set_new(j, "trunk_sid", json_null());
    json_object_set_new(j, "uri", json_string(uri));
    return j;
}

static json_t *recording_resource(struct sim_voice *v, const struct sv_rec *r)
{
    const char *account = v->s->cfg->provider.account_sid;
    char uri[200], media[SV_URL], dur[16];

    snprintf(uri, sizeof(uri), SV_API_PREFIX "%s/Recordings/%s.json", account, r->sid);
    snprintf(media, sizeof(media), "%s" SV_API_PREFIX "%s/Recordings/%s",
             v->s->cfg->provider.api_base, account, r->sid);
    snprintf(dur, sizeof(dur), "%d", r->seconds);
    return json_pack("{s:s, s:s, s:s, s:n, s:o, s:o, s:o, s:s, s:s, s:n, s:s, s:s, s:i, s:s,"
                     " s:s, s:s}",
                     "account_sid", account, "api_version", "2010-04-01", "call_sid", r->call,
                     "conference_sid", "date_created", date_or_null(r->at), "date_updated",
                     date_or_null(r->at), "start_time", date_or_null(r->at), "duration", dur, "sid",
                     r->sid, "price", "price_unit", "USD", "status", "completed", "channels", 1,
                     "source", "RecordVerb", "uri", uri, "media_url", media);
}

/* ---- requests ---- */

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
        if (v && sv_norm_method(v, m)) {
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
    if (url && *url && !sv_valid_url(url)) {
        snprintf(msg, sizeof(msg), "Url is not a valid URL: %s", url);
        return sim_twilio_error(res, 400, 21205, msg), 0;
    }
    if ((!url || !*url) && strlen(twiml) > SV_MAX_TWIML)
        return sim_twilio_error(res, 400, 21200, "Twiml must be at most 4000 characters"), 0;
    if (cb && *cb && !sv_valid_url(cb))
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
    c = sv_new_call(v, "outbound-api", form_get(&f, "From"), form_get(&f, "To"), &why);
    if (c) {
        sv_copy(c->url, sizeof(c->url), url);
        if ((m = form_get(&f, "Method")))
            sv_norm_method(m, c->method);
        if ((!url || !*url) && twiml)
            c->twiml = strdup(twiml);
        sv_copy(c->status_cb, sizeof(c->status_cb), form_get(&f, "StatusCallback"));
        sv_copy(c->status_cb_method, sizeof(c->status_cb_method), "POST");
        if ((m = form_get(&f, "StatusCallbackMethod")))
            sv_norm_method(m, c->status_cb_method);
        if (!sv_run_start(v, c, &why))
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
    if (url && *url && !sv_valid_url(url))
        return sim_twilio_error(res, 400, 21205, "Url is not a valid URL"), 0;
    if (twiml && strlen(twiml) > SV_MAX_TWIML)
        return sim_twilio_error(res, 400, 21200, "Twiml must be at most 4000 characters"), 0;
    if (cb && *cb && !sv_valid_url(cb))
        return sim_twilio_error(res, 400, 21200, "StatusCallback is not a valid URL"), 0;
    return methods_ok(f, res);
}

/* Applies an update to c (v->mu held): a status, else a new document. 0, or a Twilio code. */
static int apply_update(struct sim_voice *v, struct sv_call *c, const struct form *f)
{
    const char *status = form_get(f, "Status"), *url = form_get(f, "Url");
    const char *twiml = form_get(f, "Twiml"), *m = form_get(f, "Method");
    int redirect = (url && *url) || (twiml && *twiml);

    if (sv_is_over(c) || c->end_status[0])
        return redirect || status ? 21220 : 0;
    if (form_get(f, "StatusCallback"))
        sv_copy(c->status_cb, sizeof(c->status_cb), form_get(f, "StatusCallback"));
    if (status) { /* canceled leaves a call in progress be; completed ends any */
        if (sv_is_ringing(c) || !strcmp(status, "completed"))
            sv_end_call(v, c, sv_is_ringing(c) ? "canceled" : "completed");
        return 0;
    }
    if (!redirect)
        return 0;
    if (!c->threaded)
        return 21220; /* a <Dial><Number> leg runs no TwiML here */
    free(c->redirect_twiml);
    c->redirect_twiml = twiml && *twiml && !(url && *url) ? strdup(twiml) : NULL;
    sv_copy(c->redirect_url, sizeof(c->redirect_url), url && *url ? url : "");
    sv_copy(c->redirect_method, sizeof(c->redirect_method), "POST");
    if (m)
        sv_norm_method(m, c->redirect_method);
    if (sv_is_ringing(c)) { /* not answered yet: the new document is run on answer */
        sv_copy(c->url, sizeof(c->url), c->redirect_url);
        sv_copy(c->method, sizeof(c->method), c->redirect_method);
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
    c = sv_find_call(v, sid);
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

/* GET / DELETE .../Recordings/{Sid}.json: a deleted recording is gone (404 after). */
static void rest_recording(struct sim_voice *v, const struct http_request *req, const char *account,
                           const char *sid, struct http_response *res)
{
    struct form f = {0};
    struct sv_rec *r;

    if (sim_twilio_api_call(v->s, req, account, &f, res))
        goto done;
    pthread_mutex_lock(&v->mu);
    r = sv_rec_find(v, sid);
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

int sv_rest_handle(struct sim_voice *v, const struct http_request *req, struct http_response *res)
{
    const char *acct = req->path + strlen(SV_API_PREFIX), *slash = strchr(acct, '/');
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

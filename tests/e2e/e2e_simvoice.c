/*
 * e2e_simvoice.c - the simulator as Twilio Voice (gateway/sim/sim_voice.c),
 * driven through a real `peerline sim`: its REST API refuses what Twilio
 * refuses, with Twilio's codes (21201, 21213, 21211, 21212, 21210, 21205,
 * 21200, 20003, 20404, 21220); a created call rings until the control API
 * acts, is cancelled by Status=canceled and reports it to its StatusCallback;
 * an answered call runs TwiML fetched with Twilio's parameters and a
 * signature the gateway's own check accepts (Say, Gather with digits and
 * speech, Record, Redirect, Dial to a conference and to a number), a machine
 * lets Gathers time out and Records stay silent, a REST update redirects a
 * call; recordings are fetched and deleted; documents outside the TwiML
 * subset are refused and recorded against the call; and SIGTERM ends a
 * simulator with calls parked everywhere, at once and cleanly.
 *
 * The documents are served by a small HTTP server in this process
 * (gateway/base/http.h), which also checks every request's X-Twilio-Signature
 * with twilio_verify() and keeps its parameters.
 */
#include "harness.h"
#include "buf.h"
#include "form.h"
#include "http.h"
#include "twilio.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#define ACCOUNT "AC0123456789abcdef0123456789abcdef"
#define CALLER  "+15557770001"
#define PEER    "+15557770002"
#define OTHER   "+15557770003"
#define API     "/2010-04-01/Accounts/" ACCOUNT

/* The same numbers in a form body ('+' percent-encoded). */
#define E_CALLER      "%2B15557770001"
#define E_PEER        "%2B15557770002"
#define E_OTHER       "%2B15557770003"
#define E_LINE_NUMBER "%2B15005550006"
#define E_POOL_A      "%2B15005550007"
#define E_POOL_B      "%2B15005550008"
/* ... and in a printf format */
#define F_CALLER      "%%2B15557770001"
#define F_PEER        "%%2B15557770002"
#define F_OTHER       "%%2B15557770003"
#define F_LINE_NUMBER "%%2B15005550006"
#define F_POOL_A      "%%2B15005550007"
#define F_POOL_B      "%%2B15005550008"

/* ---- a TwiML server: documents by path, every request kept ---- */

#define MAX_HITS   128
#define MAX_ROUTES 24

struct hit {
    char path[64];
    struct form params; /* the body of a POST, the query of a GET */
    int signed_ok;      /* twilio_verify() accepts its X-Twilio-Signature */
};

struct route {
    char path[64];
    int status;
    const char *ctype;
    char *body;
};

static struct {
    pthread_mutex_t mu;
    struct http_server *server;
    int port;
    char base[64]; /* http://127.0.0.1:PORT */
    struct hit hits[MAX_HITS];
    int nhits;
    struct route routes[MAX_ROUTES];
    int nroutes;
} fake = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void serve_twiml(void *arg, const struct http_request *req, struct http_response *res)
{
    const char *sig = http_header(req, "X-Twilio-Signature"), *q = strchr(req->raw_uri, '?');
    const char *why;
    char url[512];
    struct hit *h;
    size_t where;
    int i;

    (void)arg;
    snprintf(url, sizeof(url), "%s%s", fake.base, req->raw_uri);
    pthread_mutex_lock(&fake.mu);
    if (fake.nhits < MAX_HITS) {
        h = &fake.hits[fake.nhits++];
        snprintf(h->path, sizeof(h->path), "%s", req->path);
        if (!strcmp(req->method, "GET")) {
            struct form none = {0};
            h->signed_ok = sig && twilio_verify(TOKEN, url, &none, sig);
            if (q)
                form_parse(q + 1, strlen(q + 1), &h->params, &why, &where);
        } else {
            form_parse(req->body, req->body_len, &h->params, &why, &where);
            h->signed_ok = sig && twilio_verify(TOKEN, url, &h->params, sig);
        }
    }
    res->status = 404;
    for (i = 0; i < fake.nroutes; i++) {
        if (strcmp(fake.routes[i].path, req->path))
            continue;
        res->status = fake.routes[i].status;
        res->content_type = fake.routes[i].ctype;
        buf_puts(&res->body, fake.routes[i].body);
    }
    pthread_mutex_unlock(&fake.mu);
}

/* Serves body at path; "@" in it stands for this server's base URL. */
static void route_as(const char *path, int status, const char *ctype, const char *body)
{
    struct buf b = BUF_INIT(0);
    struct route *r;
    const char *p;

    for (p = body; *p; p++)
        if (*p == '@')
            buf_puts(&b, fake.base);
        else
            buf_append(&b, p, 1);
    pthread_mutex_lock(&fake.mu);
    assert_true(fake.nroutes < MAX_ROUTES);
    r = &fake.routes[fake.nroutes++];
    snprintf(r->path, sizeof(r->path), "%s", path);
    r->status = status;
    r->ctype = ctype;
    r->body = buf_take(&b);
    pthread_mutex_unlock(&fake.mu);
    buf_free(&b);
}

static void route(const char *path, const char *twiml)
{
    struct buf b = BUF_INIT(0);

    buf_printf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>%s</Response>", twiml);
    route_as(path, 200, "text/xml", b.p);
    buf_free(&b);
}

/*
 * Waits up to 5 s for the nth (0-based) request to path; returns the value
 * of key in it (a static copy; "" when absent) and fails the test when no
 * such request came or its signature was wrong.
 */
static const char *hit_param(const char *path, int nth, const char *key)
{
    static char value[512];
    int i, seen, tries;

    for (tries = 0; tries < 100; tries++, line_sleep(50)) {
        pthread_mutex_lock(&fake.mu);
        for (i = 0, seen = 0; i < fake.nhits; i++) {
            const char *v;
            if (strcmp(fake.hits[i].path, path) || seen++ != nth)
                continue;
            if (!fake.hits[i].signed_ok) {
                pthread_mutex_unlock(&fake.mu);
                fail_msg("request %d to %s has a wrong X-Twilio-Signature", nth, path);
            }
            v = form_get(&fake.hits[i].params, key);
            snprintf(value, sizeof(value), "%s", v ? v : "");
            pthread_mutex_unlock(&fake.mu);
            return value;
        }
        pthread_mutex_unlock(&fake.mu);
    }
    fail_msg("no request %d to %s", nth, path);
    return NULL;
}

static int hits_to(const char *path)
{
    int i, n = 0;

    pthread_mutex_lock(&fake.mu);
    for (i = 0; i < fake.nhits; i++)
        n += !strcmp(fake.hits[i].path, path);
    pthread_mutex_unlock(&fake.mu);
    return n;
}

static int setup(void **state)
{
    struct http_opts o = {.host = "127.0.0.1",
                          .max_body = 65536,
                          .conn_limit = 64,
                          .timeout_s = 30,
                          .thread_per_conn = 1};
    char err[256];

    if (line_provider_telnyx())
        return 0; /* each test skips itself */
    fake.server = http_start(&o, serve_twiml, NULL, err, sizeof(err));
    if (!fake.server) {
        fprintf(stderr, "the TwiML server: %s\n", err);
        return -1;
    }
    fake.port = http_port(fake.server);
    snprintf(fake.base, sizeof(fake.base), "http://127.0.0.1:%d", fake.port);
    return line_setup_default(state);
}

static int teardown(void **state)
{
    int i, rc = 0;

    if (fake.server) {
        rc = line_teardown(state);
        http_stop(fake.server);
    }
    for (i = 0; i < fake.nhits; i++)
        form_free(&fake.hits[i].params);
    for (i = 0; i < fake.nroutes; i++)
        free(fake.routes[i].body);
    fake.server = NULL;
    fake.nhits = fake.nroutes = 0;
    return rc;
}

/* ---- the simulator's APIs ---- */

static size_t keep(char *p, size_t size, size_t n, void *arg)
{
    return buf_append(arg, p, size * n) ? 0 : size * n;
}

/*
 * A Twilio REST call (path under the account; form NULL for GET/DELETE) with
 * Basic auth by password (NULL: none). Returns the status; *out the JSON.
 */
static long api(struct line *l, const char *method, const char *path, const char *form,
                const char *password, json_t **out)
{
    struct buf b = BUF_INIT(0);
    char url[512], user[128];
    long status = 0;
    CURL *c = curl_easy_init();

    assert_non_null(c);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", l->sim_port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (form)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
    if (password) {
        snprintf(user, sizeof(user), ACCOUNT ":%s", password);
        curl_easy_setopt(c, CURLOPT_USERPWD, user);
    }
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    if (out)
        *out = b.p ? json_loads(b.p, 0, NULL) : NULL;
    buf_free(&b);
    return status;
}

static const char *str(const json_t *j, const char *key)
{
    const char *s = json_string_value(json_object_get(j, key));

    return s ? s : "";
}

/* The REST call must be refused with this HTTP status and Twilio code, in Twilio's shape. */
static void refused(struct line *l, const char *method, const char *path, const char *form,
                    const char *password, long http, int code)
{
    json_t *j = NULL;
    char more[64];
    long st = api(l, method, path, form, password, &j);

    if (st != http || json_integer_value(json_object_get(j, "code")) != code)
        fail_msg("%s %s %s: %ld %s, not %ld %d", method, path, form ? form : "", st,
                 j ? json_dumps(j, JSON_COMPACT) : "(no JSON)", http, code);
    snprintf(more, sizeof(more), "https://www.twilio.com/docs/errors/%d", code);
    assert_string_equal(str(j, "more_info"), more);
    assert_int_equal(json_integer_value(json_object_get(j, "status")), http);
    assert_true(*str(j, "message"));
    json_decref(j);
}

/* Creates an outbound call; returns its sid (static). */
static const char *create(struct line *l, const char *form)
{
    static char sid[64];
    json_t *j = NULL;
    long st = api(l, "POST", API "/Calls.json", form, TOKEN, &j);

    if (st != 201)
        fail_msg("Calls.json %s: %ld", form, st);
    snprintf(sid, sizeof(sid), "%s", str(j, "sid"));
    json_decref(j);
    return sid;
}

/* A control call that must succeed; returns the call it answers with (caller decrefs). */
static json_t *control(struct line *l, const char *path, const char *form)
{
    char *body = NULL;
    long st = line_sim(l, "POST", path, form, &body);
    json_t *j = body ? json_loads(body, 0, NULL) : NULL;

    if (st != 200)
        fail_msg("POST %s %s: %ld %s", path, form, st, body ? body : "");
    free(body);
    assert_non_null(j);
    return j;
}

/* A control call that must be refused with status. */
static void control_refused(struct line *l, const char *path, const char *form, long status)
{
    char *body = NULL;
    long st = line_sim(l, "POST", path, form, &body);

    if (st != status)
        fail_msg("POST %s %s: %ld %s, not %ld", path, form, st, body ? body : "", status);
    free(body);
}

static json_t *act(struct line *l, const char *path, const char *sid, const char *extra)
{
    char form[512];

    snprintf(form, sizeof(form), "Call=%s%s", sid, extra ? extra : "");
    return control(l, path, form);
}

/* The call with this sid as GET /sim/calls lists it (caller decrefs). */
static json_t *listed(struct line *l, const char *sid)
{
    char *body = NULL;
    json_t *all, *c, *found = NULL;
    size_t i;

    assert_int_equal(line_sim(l, "GET", "/sim/calls", NULL, &body), 200);
    all = json_loads(body, 0, NULL);
    free(body);
    json_array_foreach(json_object_get(all, "calls"), i, c) if (!strcmp(str(c, "sid"), sid)) found =
        json_incref(c);
    json_decref(all);
    if (!found)
        fail_msg("%s is not in GET /sim/calls", sid);
    return found;
}

/* Waits up to 5 s until the call's key is value. */
static void wait_for(struct line *l, const char *sid, const char *key, const char *value)
{
    json_t *c = NULL;
    int i;

    for (i = 0; i < 100; i++, line_sleep(50)) {
        c = listed(l, sid);
        if (!strcmp(str(c, key), value)) {
            json_decref(c);
            return;
        }
        json_decref(c);
    }
    c = listed(l, sid);
    fail_msg("%s: %s never became %s: %s", sid, key, value, json_dumps(c, JSON_COMPACT));
}

/* 1 when list `key` of the call holds a string containing needle. */
static int has(const json_t *c, const char *key, const char *needle)
{
    json_t *s;
    size_t i;

    json_array_foreach(json_object_get(c, key), i,
                       s) if (strstr(json_string_value(s), needle)) return 1;
    return 0;
}

static void assert_sid(const char *sid, const char *prefix)
{
    assert_int_equal(strlen(sid), 34);
    assert_memory_equal(sid, prefix, 2);
    assert_int_equal(strspn(sid + 2, "0123456789abcdef"), 32);
}

/* ---- the REST API's refusals ---- */

static void calls_refuse_what_twilio_refuses(void **state)
{
    struct line *l = *state;
    json_t *j = NULL;
    char *body = NULL;

    if (line_provider_telnyx())
        skip();
    refused(l, "POST", API "/Calls.json", "From=" E_LINE_NUMBER "&Url=https://x.example/a", TOKEN,
            400, 21201);
    refused(l, "POST", API "/Calls.json", "To=" E_PEER "&Url=https://x.example/a", TOKEN, 400,
            21213);
    refused(l, "POST", API "/Calls.json",
            "To=5551234&From=" E_LINE_NUMBER "&Url=https://x.example/a", TOKEN, 400, 21211);
    refused(l, "POST", API "/Calls.json", "To=" E_PEER "&From=line&Url=https://x.example/a", TOKEN,
            400, 21212);
    refused(l, "POST", API "/Calls.json", "To=" E_PEER "&From=" E_OTHER "&Url=https://x.example/a",
            TOKEN, 400, 21210);
    refused(l, "POST", API "/Calls.json", "To=" E_PEER "&From=" E_LINE_NUMBER, TOKEN, 400, 21205);
    refused(l, "POST", API "/Calls.json", "To=" E_PEER "&From=" E_LINE_NUMBER "&Url=/relative",
            TOKEN, 400, 21205);
    refused(l, "POST", API "/Calls.json",
            "To=" E_PEER "&From=" E_LINE_NUMBER "&Url=https://x.example/a&Method=PUT", TOKEN, 400,
            21200);
    refused(l, "POST", API "/Calls.json",
            "To=" E_PEER "&From=" E_LINE_NUMBER "&Url=https://x.example/a&StatusCallback=nope",
            TOKEN, 400, 21200);
    refused(l, "POST", API "/Calls.json",
            "To=" E_PEER "&From=" E_LINE_NUMBER "&Url=https://x.example/a", "wrong-token", 401,
            20003);
    refused(l, "POST", API "/Calls.json",
            "To=" E_PEER "&From=" E_LINE_NUMBER "&Url=https://x.example/a", NULL, 401, 20003);
    refused(l, "POST", "/2010-04-01/Accounts/AC00000000000000000000000000000000/Calls.json",
            "To=" E_PEER "&From=" E_LINE_NUMBER "&Url=https://x.example/a", TOKEN, 404, 20404);
    refused(l, "POST", API "/Calls/CA00000000000000000000000000000000.json", "Status=completed",
            TOKEN, 404, 20404);
    refused(l, "GET", API "/Calls/CA00000000000000000000000000000000.json", NULL, TOKEN, 404,
            20404);
    refused(l, "POST", API "/Calls/CA00000000000000000000000000000000.json", "Status=paused", TOKEN,
            400, 21200);
    refused(l, "DELETE", API "/Recordings/RE00000000000000000000000000000000.json", NULL, TOKEN,
            404, 20404);
    refused(l, "DELETE", API "/Recordings/RE00000000000000000000000000000000.json", NULL,
            "wrong-token", 401, 20003);
    /* Nothing refused was created. */
    assert_int_equal(line_sim(l, "GET", "/sim/calls", NULL, &body), 200);
    j = json_loads(body, 0, NULL);
    assert_int_equal(json_array_size(json_object_get(j, "calls")), 0);
    json_decref(j);
    free(body);
}

static void the_control_api_refuses_what_does_not_fit(void **state)
{
    struct line *l = *state;
    const char *sid;
    char form[512], ringing[64];

    if (line_provider_telnyx())
        skip();
    control_refused(l, "/sim/call", "From=" E_CALLER, 400);
    control_refused(l, "/sim/call", "From=" E_CALLER "&To=" E_OTHER, 400); /* not the line's */
    control_refused(l, "/sim/call", "From=nobody&To=" E_LINE_NUMBER, 400);
    control_refused(l, "/sim/call/press", "Call=CA00000000000000000000000000000000&Digits=1", 404);
    snprintf(form, sizeof(form), "To=" F_PEER "&From=" F_LINE_NUMBER "&Url=%s/never", fake.base);
    sid = create(l, form);
    snprintf(ringing, sizeof(ringing), "%s", sid);
    snprintf(form, sizeof(form), "Call=%s&Digits=1", ringing);
    control_refused(l, "/sim/call/press", form, 409); /* not in a Gather */
    snprintf(form, sizeof(form), "Call=%s", ringing);
    control_refused(l, "/sim/call/hangup", form, 409);  /* ringing: answer or decline */
    control_refused(l, "/sim/call/record", form, 409);  /* not in a Record */
    control_refused(l, "/sim/call/decline", form, 400); /* no Status */
    snprintf(form, sizeof(form), "Call=%s&Status=completed", ringing);
    control_refused(l, "/sim/call/decline", form, 400); /* busy|no-answer|failed */
    json_decref(act(l, "/sim/call/decline", ringing, "&Status=busy"));
    wait_for(l, ringing, "status", "busy");
    snprintf(form, sizeof(form), "Call=%s", ringing);
    control_refused(l, "/sim/call/answer", form, 409); /* over */
    assert_int_equal(hits_to("/never"), 0);            /* never answered, never fetched */
}

/* ---- calls the gateway places ---- */

static void a_created_call_rings_until_cancelled_and_reports_it(void **state)
{
    struct line *l = *state;
    char form[512], sid[64];
    json_t *j = NULL, *c;

    if (line_provider_telnyx())
        skip();
    route_as("/status", 204, "text/plain", "");
    snprintf(form, sizeof(form),
             "To=" F_PEER "&From=" F_LINE_NUMBER "&Url=%s/whisper%%3Fleg%%3D7&Method=POST"
             "&StatusCallback=%s/status&StatusCallbackMethod=POST&Timeout=45",
             fake.base, fake.base);
    assert_int_equal(api(l, "POST", API "/Calls.json", form, TOKEN, &j), 201);
    snprintf(sid, sizeof(sid), "%s", str(j, "sid"));
    assert_sid(sid, "CA");
    assert_string_equal(str(j, "status"), "queued");
    assert_string_equal(str(j, "direction"), "outbound-api");
    assert_string_equal(str(j, "to"), PEER);
    assert_string_equal(str(j, "from"), LINE_NUMBER);
    assert_string_equal(str(j, "account_sid"), ACCOUNT);
    assert_string_equal(str(j, "api_version"), "2010-04-01");
    assert_true(json_is_null(json_object_get(j, "start_time")));
    assert_non_null(strstr(str(j, "uri"), sid));
    json_decref(j);
    /* Listed, ringing, with its Url; the phone has not been answered, so nothing is fetched. */
    c = listed(l, sid);
    assert_true(!strcmp(str(c, "status"), "queued") || !strcmp(str(c, "status"), "ringing"));
    assert_true(strstr(str(c, "url"), "/whisper?leg=7") != NULL);
    json_decref(c);
    wait_for(l, sid, "status", "ringing");
    snprintf(form, sizeof(form), API "/Calls/%s.json", sid);
    assert_int_equal(api(l, "GET", form, NULL, TOKEN, &j), 200);
    assert_string_equal(str(j, "status"), "ringing");
    json_decref(j);
    /* Status=canceled: the call is canceled, and its StatusCallback hears so, signed. */
    assert_int_equal(api(l, "POST", form, "Status=canceled", TOKEN, &j), 200);
    assert_string_equal(str(j, "status"), "canceled");
    json_decref(j);
    assert_string_equal(hit_param("/status", 0, "CallStatus"), "canceled");
    assert_string_equal(hit_param("/status", 0, "CallSid"), sid);
    assert_string_equal(hit_param("/status", 0, "AccountSid"), ACCOUNT);
    assert_string_equal(hit_param("/status", 0, "From"), LINE_NUMBER);
    assert_string_equal(hit_param("/status", 0, "To"), PEER);
    assert_string_equal(hit_param("/status", 0, "Direction"), "outbound-api");
    assert_string_equal(hit_param("/status", 0, "CallDuration"), "0");
    wait_for(l, sid, "status", "canceled");
    assert_int_equal(hits_to("/whisper"), 0);
    /* Over: no more updates, as Twilio answers them. */
    refused(l, "POST", form, "Url=https://x.example/b", TOKEN, 400, 21220);
    refused(l, "POST", form, "Status=completed", TOKEN, 400, 21220);
    assert_int_equal(hits_to("/status"), 1);
}

static void an_answered_call_runs_its_twiml(void **state)
{
    struct line *l = *state;
    char form[512], sid[64], rec[64], path[160];
    json_t *c, *j = NULL;

    if (line_provider_telnyx())
        skip();
    route("/whisper",
          "<Say language=\"en-US\">Someone wants to talk about grief &amp; loss.</Say>"
          "<Gather input=\"dtmf\" numDigits=\"1\" timeout=\"8\" action=\"@/accept?leg=7\""
          " method=\"POST\"><Say>Press 1 to take the call.</Say><Pause length=\"1\"/>"
          "</Gather><Say>Goodbye.</Say><Hangup/>");
    route("/accept", "<Say>Please leave a note after the tone.</Say>"
                     "<Record action=\"@/recorded\" maxLength=\"5\" playBeep=\"true\"/>");
    route("/recorded", "<Say>Thank you.</Say><Hangup/>");
    route_as("/status", 204, "text/plain", "");
    snprintf(form, sizeof(form),
             "To=" F_PEER "&From=" F_POOL_A "&Url=%s/whisper&StatusCallback=%s/status", fake.base,
             fake.base);
    snprintf(sid, sizeof(sid), "%s", create(l, form));
    c = act(l, "/sim/call/answer", sid, NULL);
    /* The control call returns once the call waits again: in the Gather, having heard the rest. */
    assert_string_equal(str(c, "status"), "in-progress");
    assert_string_equal(str(c, "waiting"), "gather");
    assert_true(has(c, "said", "grief & loss"));
    assert_true(has(c, "said", "Press 1 to take the call."));
    assert_false(has(c, "said", "Goodbye"));
    json_decref(c);
    assert_string_equal(hit_param("/whisper", 0, "CallStatus"), "in-progress");
    assert_string_equal(hit_param("/whisper", 0, "CallSid"), sid);
    assert_string_equal(hit_param("/whisper", 0, "From"), POOL_A);
    assert_string_equal(hit_param("/whisper", 0, "To"), PEER);
    assert_string_equal(hit_param("/whisper", 0, "Direction"), "outbound-api");
    assert_string_equal(hit_param("/whisper", 0, "ApiVersion"), "2010-04-01");
    /* Two digits pressed, numDigits="1": the action gets one; the query is kept and signed. */
    c = act(l, "/sim/call/press", sid, "&Digits=12");
    assert_string_equal(str(c, "waiting"), "record");
    json_decref(c);
    assert_string_equal(hit_param("/accept", 0, "Digits"), "1");
    /* Speaks 9 s into a Record of at most 5. */
    c = act(l, "/sim/call/record", sid, "&Seconds=9");
    assert_string_equal(str(c, "status"), "completed");
    assert_true(has(c, "said", "Thank you."));
    assert_int_equal(json_array_size(json_object_get(c, "recordings")), 1);
    snprintf(rec, sizeof(rec), "%s",
             json_string_value(json_array_get(json_object_get(c, "recordings"), 0)));
    json_decref(c);
    assert_sid(rec, "RE");
    assert_string_equal(hit_param("/recorded", 0, "RecordingSid"), rec);
    assert_string_equal(hit_param("/recorded", 0, "RecordingDuration"), "5");
    assert_non_null(strstr(hit_param("/recorded", 0, "RecordingUrl"), rec));
    assert_string_equal(hit_param("/status", 0, "CallStatus"), "completed");
    /* The recording is the provider's copy: fetched, deleted (204), then gone. */
    snprintf(path, sizeof(path), API "/Recordings/%s.json", rec);
    assert_int_equal(api(l, "GET", path, NULL, TOKEN, &j), 200);
    assert_string_equal(str(j, "call_sid"), sid);
    assert_string_equal(str(j, "duration"), "5");
    json_decref(j);
    assert_int_equal(api(l, "DELETE", path, NULL, TOKEN, NULL), 204);
    refused(l, "DELETE", path, NULL, TOKEN, 404, 20404);
    refused(l, "GET", path, NULL, TOKEN, 404, 20404);
    c = listed(l, sid);
    assert_int_equal(json_array_size(json_object_get(c, "recordings_deleted")), 1);
    assert_int_equal(json_array_size(json_object_get(c, "errors")), 0);
    json_decref(c);
}

static void a_machine_lets_gathers_time_out_and_records_stay_silent(void **state)
{
    struct line *l = *state;
    char form[512], sid[64];
    json_t *c;

    if (line_provider_telnyx())
        skip();
    route("/whisper", "<Gather numDigits=\"1\" action=\"@/accept\"><Say>Press 1.</Say></Gather>"
                      "<Say>No one pressed.</Say><Record action=\"@/recorded\"/>"
                      "<Say>Nothing recorded.</Say>");
    snprintf(form, sizeof(form), "To=" F_PEER "&From=" F_LINE_NUMBER "&Url=%s/whisper", fake.base);
    snprintf(sid, sizeof(sid), "%s", create(l, form));
    c = act(l, "/sim/call/voicemail", sid, NULL);
    assert_string_equal(str(c, "status"), "completed");
    assert_true(has(c, "said", "No one pressed."));
    assert_true(has(c, "said", "Nothing recorded."));
    assert_int_equal(json_array_size(json_object_get(c, "recordings")), 0);
    json_decref(c);
    assert_int_equal(hits_to("/accept") + hits_to("/recorded"), 0);
}

/* ---- calls from phones ---- */

static void digits_end_at_the_finish_key(void **state)
{
    struct line *l = *state;
    char form[512], sid[64];
    json_t *c;

    if (line_provider_telnyx())
        skip();
    route("/keys", "<Gather action=\"@/got\"><Say>Your code, then hash.</Say></Gather>");
    route("/got", "<Gather finishOnKey=\"\" action=\"@/got2\"/>");
    route("/got2", "<Gather action=\"@/got3\"/><Say>Timed out.</Say>");
    snprintf(form, sizeof(form), "From=" F_CALLER "&To=" F_LINE_NUMBER "&Url=%s/keys", fake.base);
    c = control(l, "/sim/call", form);
    snprintf(sid, sizeof(sid), "%s", str(c, "sid"));
    json_decref(c);
    json_decref(act(l, "/sim/call/press", sid, "&Digits=42%239")); /* 42#9 */
    assert_string_equal(hit_param("/got", 0, "Digits"), "42");
    json_decref(act(l, "/sim/call/press", sid, "&Digits=7%23")); /* finishOnKey="": # is a key */
    assert_string_equal(hit_param("/got2", 0, "Digits"), "7#");
    c = act(l, "/sim/call/press", sid, "&Digits=%23"); /* # alone: nothing, the Gather ends */
    assert_string_equal(str(c, "status"), "completed");
    assert_true(has(c, "said", "Timed out."));
    json_decref(c);
    assert_int_equal(hits_to("/got3"), 0);
}

static void a_caller_meets_a_peer_in_a_conference_then_is_dialled_on(void **state)
{
    struct line *l = *state;
    char form[512], caller[64], peer[64], leg[64];
    json_t *c, *d;

    if (line_provider_telnyx())
        skip();
    route("/voice", "<Gather input=\"dtmf speech\" numDigits=\"1\" action=\"@/menu\">"
                    "<Say>Welcome. Say or press 1.</Say></Gather><Say>Bye.</Say>");
    route("/menu", "<Say>Finding someone.</Say><Dial action=\"@/done\" method=\"POST\">"
                   "<Conference startConferenceOnEnter=\"false\" endConferenceOnExit=\"true\""
                   " beep=\"false\" waitUrl=\"@/hold\" waitMethod=\"POST\">room-1</Conference>"
                   "</Dial>");
    route("/hold", "<Say>Please hold.</Say><Play loop=\"0\">https://x.example/calm.mp3</Play>");
    route("/peer", "<Dial><Conference startConferenceOnEnter=\"true\" endConferenceOnExit=\"true\""
                   ">room-1</Conference></Dial><Say>After the conference.</Say>");
    route("/done", "<Say>One more call.</Say><Dial callerId=\"" LINE_NUMBER "\">"
                   "<Number>" OTHER "</Number></Dial><Say>The end.</Say>");
    /* The caller calls the line and speaks at the menu. */
    snprintf(form, sizeof(form), "From=" F_CALLER "&To=" F_LINE_NUMBER "&Url=%s/voice", fake.base);
    c = control(l, "/sim/call", form);
    snprintf(caller, sizeof(caller), "%s", str(c, "sid"));
    assert_sid(caller, "CA");
    assert_string_equal(str(c, "direction"), "inbound");
    assert_string_equal(str(c, "waiting"), "gather");
    json_decref(c);
    assert_string_equal(hit_param("/voice", 0, "CallStatus"), "ringing");
    assert_string_equal(hit_param("/voice", 0, "Direction"), "inbound");
    assert_string_equal(hit_param("/voice", 0, "From"), CALLER);
    assert_string_equal(hit_param("/voice", 0, "To"), LINE_NUMBER);
    c = act(l, "/sim/call/press", caller, "&Speech=one%20please");
    assert_string_equal(str(c, "waiting"), "conference");
    assert_string_equal(str(c, "conference"), "room-1");
    assert_int_equal(json_array_size(json_object_get(c, "in_conference_with")), 0);
    assert_true(has(c, "said", "Please hold.")); /* the waitUrl, fetched once */
    assert_true(has(c, "played", "calm.mp3"));
    json_decref(c);
    assert_string_equal(hit_param("/menu", 0, "SpeechResult"), "one please");
    assert_string_equal(hit_param("/menu", 0, "CallStatus"), "in-progress");
    /* A peer is called and joins: the conference starts, both connected. */
    snprintf(form, sizeof(form), "To=" F_PEER "&From=" F_LINE_NUMBER "&Url=%s/peer", fake.base);
    snprintf(peer, sizeof(peer), "%s", create(l, form));
    c = act(l, "/sim/call/answer", peer, NULL);
    assert_true(json_is_null(json_object_get(c, "waiting")));
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(c, "in_conference_with"), 0)), caller);
    json_decref(c);
    c = listed(l, caller);
    assert_true(json_is_null(json_object_get(c, "waiting")));
    assert_string_equal(
        json_string_value(json_array_get(json_object_get(c, "in_conference_with"), 0)), peer);
    json_decref(c);
    /* The peer hangs up: the conference ends, the caller goes on to the Dial's action. */
    c = act(l, "/sim/call/hangup", peer, NULL);
    assert_string_equal(str(c, "status"), "completed");
    assert_false(has(c, "said", "After the conference."));
    json_decref(c);
    assert_string_equal(hit_param("/done", 0, "DialCallStatus"), "completed");
    assert_string_equal(hit_param("/done", 0, "CallSid"), caller);
    wait_for(l, caller, "waiting", "dial");
    /* The action dials a number, showing the line's number: a leg rings. */
    c = listed(l, caller);
    assert_true(json_is_null(json_object_get(c, "conference")));
    d = json_array_get(json_object_get(c, "dialed"), 0);
    assert_string_equal(str(d, "number"), OTHER);
    assert_string_equal(str(d, "callerId"), LINE_NUMBER);
    json_decref(c);
    {
        char *body = NULL;
        json_t *all, *x;
        size_t i;
        assert_int_equal(line_sim(l, "GET", "/sim/calls?phone=" E_OTHER, NULL, &body), 200);
        all = json_loads(body, 0, NULL);
        free(body);
        assert_int_equal(json_array_size(json_object_get(all, "calls")), 1);
        json_array_foreach(json_object_get(all, "calls"), i, x)
        {
            snprintf(leg, sizeof(leg), "%s", str(x, "sid"));
            assert_string_equal(str(x, "direction"), "outbound-dial");
            assert_string_equal(str(x, "from"), LINE_NUMBER);
            assert_string_equal(str(x, "status"), "ringing");
            assert_string_equal(str(x, "parent_call_sid"), caller);
        }
        json_decref(all);
    }
    /* The leg answers, talks, hangs up: the caller goes on past the Dial, and the call ends. */
    json_decref(act(l, "/sim/call/answer", leg, NULL));
    wait_for(l, leg, "status", "in-progress");
    json_decref(act(l, "/sim/call/hangup", leg, NULL));
    wait_for(l, caller, "status", "completed");
    c = listed(l, caller);
    assert_true(has(c, "said", "The end."));
    assert_int_equal(json_array_size(json_object_get(c, "errors")), 0);
    json_decref(c);
}

static void a_rest_update_redirects_a_call_and_ends_it(void **state)
{
    struct line *l = *state;
    char form[1024], caller[64], path[160], twiml[512], *escaped;
    json_t *c, *j = NULL;

    if (line_provider_telnyx())
        skip();
    route("/voice", "<Gather action=\"@/menu\"><Say>Menu.</Say></Gather>");
    route("/elsewhere", "<Say>Redirected.</Say><Play loop=\"0\">https://x.example/calm.mp3</Play>");
    snprintf(form, sizeof(form), "From=" F_CALLER "&To=" F_POOL_B "&Url=%s/voice", fake.base);
    c = control(l, "/sim/call", form);
    snprintf(caller, sizeof(caller), "%s", str(c, "sid"));
    json_decref(c);
    /* A call in progress may be canceled: Twilio leaves it be. */
    snprintf(path, sizeof(path), API "/Calls/%s.json", caller);
    assert_int_equal(api(l, "POST", path, "Status=canceled", TOKEN, &j), 200);
    assert_string_equal(str(j, "status"), "in-progress");
    json_decref(j);
    snprintf(form, sizeof(form), "Url=%s/elsewhere&Method=POST", fake.base);
    assert_int_equal(api(l, "POST", path, form, TOKEN, NULL), 200);
    assert_string_equal(hit_param("/elsewhere", 0, "CallSid"), caller);
    wait_for(l, caller, "waiting", "play");
    c = listed(l, caller);
    assert_true(has(c, "said", "Redirected."));
    json_decref(c);
    assert_int_equal(hits_to("/menu"), 0);
    /* Inline TwiML replaces the document too; then Status=completed hangs up mid-Record. */
    route_as("/r", 200, "text/xml", "<Response><Say>Ignored.</Say></Response>");
    snprintf(twiml, sizeof(twiml),
             "<Response><Say>Inline.</Say><Pause/><Record action=\"%s/r\"/></Response>", fake.base);
    escaped = curl_easy_escape(NULL, twiml, 0);
    snprintf(form, sizeof(form), "Twiml=%s", escaped);
    curl_free(escaped);
    assert_int_equal(api(l, "POST", path, form, TOKEN, NULL), 200);
    wait_for(l, caller, "waiting", "record");
    assert_int_equal(api(l, "POST", path, "Status=completed", TOKEN, &j), 200);
    assert_string_equal(str(j, "status"), "completed");
    json_decref(j);
    wait_for(l, caller, "status", "completed");
    /* The caller hung up while recording: the action is still posted, its answer not run. */
    assert_string_equal(hit_param("/r", 0, "CallStatus"), "completed");
    assert_string_equal(hit_param("/r", 0, "Digits"), "hangup");
    c = listed(l, caller);
    assert_true(has(c, "said", "Inline."));
    assert_false(has(c, "said", "Ignored."));
    json_decref(c);
}

static void documents_outside_the_subset_are_refused_and_recorded(void **state)
{
    static const struct {
        const char *path, *ctype, *body;
        int status;
        const char *error;
    } cases[] = {
        {"/enqueue", "text/xml",
         "<Response><Say>Hi.</Say><Enqueue>q</Enqueue><Say>x</Say></Response>", 200,
         "unsupported verb <Enqueue>"},
        {"/doctype", "text/xml", "<!DOCTYPE Response><Response/>", 200, "12100"},
        {"/entity", "text/xml", "<Response><Say>&#65;</Say></Response>", 200,
         "character references"},
        {"/broken", "text/xml", "<Response><Say>Hi.</Response>", 200, "closes <Say>"},
        {"/gathered", "text/xml",
         "<Response><Gather action=\"@/x\"><Dial>+15557770009</Dial></Gather></Response>", 200,
         "unsupported verb <Dial> in <Gather>"},
        {"/relative", "text/xml", "<Response><Redirect>/twilio/voice</Redirect></Response>", 200,
         "11100"},
        {"/plain", "text/plain", "<Response><Say>Hi.</Say></Response>", 200, "12300"},
        {"/fails", "text/xml", "oops", 500, "11200"},
        {"/loop", "text/xml", "<Response><Redirect>@/loop</Redirect></Response>", 200,
         "a <Redirect> loop"},
    };
    struct line *l = *state;
    char form[512];
    size_t i;
    json_t *c;

    if (line_provider_telnyx())
        skip();
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        route_as(cases[i].path, cases[i].status, cases[i].ctype, cases[i].body);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(form, sizeof(form), "From=" F_CALLER "&To=" F_LINE_NUMBER "&Url=%s%s", fake.base,
                 cases[i].path);
        c = control(l, "/sim/call", form);
        if (strcmp(str(c, "status"), "completed") || !has(c, "errors", cases[i].error))
            fail_msg("%s: %s", cases[i].path, json_dumps(c, JSON_COMPACT));
        json_decref(c);
    }
    assert_int_equal(hits_to("/x"), 0);
}

/* ---- shutting down ---- */

static void sigterm_ends_a_simulator_with_calls_parked_everywhere(void **state)
{
    struct line *l = *state;
    char form[512];
    struct timespec t0, t1;
    int status = -1;
    long ms;

    if (line_provider_telnyx())
        skip();
    route("/voice", "<Gather action=\"@/menu\"><Say>Menu.</Say></Gather>");
    route("/record", "<Record action=\"@/r\"/>");
    route("/room", "<Dial><Conference startConferenceOnEnter=\"false\">r</Conference></Dial>");
    route("/slow", "<Play loop=\"0\">https://x.example/a.mp3</Play>");
    snprintf(form, sizeof(form), "From=" F_CALLER "&To=" F_LINE_NUMBER "&Url=%s/voice", fake.base);
    json_decref(control(l, "/sim/call", form));
    snprintf(form, sizeof(form), "From=" F_CALLER "&To=" F_LINE_NUMBER "&Url=%s/record", fake.base);
    json_decref(control(l, "/sim/call", form));
    snprintf(form, sizeof(form), "From=" F_CALLER "&To=" F_LINE_NUMBER "&Url=%s/room", fake.base);
    json_decref(control(l, "/sim/call", form));
    snprintf(form, sizeof(form), "From=" F_CALLER "&To=" F_LINE_NUMBER "&Url=%s/slow", fake.base);
    json_decref(control(l, "/sim/call", form));
    snprintf(form, sizeof(form), "To=" F_PEER "&From=" F_LINE_NUMBER "&Url=%s/voice", fake.base);
    create(l, form); /* ringing */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(kill(l->sim, SIGTERM), 0);
    assert_int_equal(waitpid(l->sim, &status, 0), l->sim);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    l->sim = 0; /* reaped here */
    ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    if (ms > 3000)
        fail_msg("the simulator took %ld ms to stop", ms);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(calls_refuse_what_twilio_refuses, setup, teardown),
        cmocka_unit_test_setup_teardown(the_control_api_refuses_what_does_not_fit, setup, teardown),
        cmocka_unit_test_setup_teardown(a_created_call_rings_until_cancelled_and_reports_it, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(an_answered_call_runs_its_twiml, setup, teardown),
        cmocka_unit_test_setup_teardown(a_machine_lets_gathers_time_out_and_records_stay_silent,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(digits_end_at_the_finish_key, setup, teardown),
        cmocka_unit_test_setup_teardown(a_caller_meets_a_peer_in_a_conference_then_is_dialled_on,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(a_rest_update_redirects_a_call_and_ends_it, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(documents_outside_the_subset_are_refused_and_recorded,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(sigterm_ends_a_simulator_with_calls_parked_everywhere,
                                        setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

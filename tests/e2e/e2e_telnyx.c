/*
 * e2e_telnyx.c - Telnyx's own wire, on a Telnyx line (whatever
 * PEERLINE_E2E_PROVIDER says): the simulator's POST /v2/messages checks what
 * Telnyx checks (a bearer key: 401 10009; to, from, text: 422 10004, 10016,
 * 10002; a JSON body: 400 10015), answers faults and carrier opt-outs with
 * Telnyx's codes, and reports each text it takes with message.sent and
 * message.finalized, signed so the gateway's own check accepts them; texts
 * from phones arrive as signed message.received events, a replay with the
 * same event id; and the gateway refuses Telnyx webhooks that are unsigned,
 * forged, stale or tampered with, storing nothing, and alerts the on-call
 * coordinator when they pile up.
 *
 * Events are caught by a small HTTP server in this process (gateway/base/http.h),
 * and checked with the gateway's telnyx_verify().
 */
#include "harness.h"
#include "http.h"
#include "telnyx.h"

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
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <sys/wait.h>
#include <time.h>

#define T1 "+15559870001"

/* ---- a catcher for the simulator's webhooks ---- */

#define MAX_HOOKS 16

struct hook {
    char path[64];
    char timestamp[32];
    char signature[128];
    char content_type[64];
    char *body;
};

static struct {
    pthread_mutex_t mu;
    struct hook got[MAX_HOOKS];
    int n;
    struct http_server *server;
} hooks = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void copy_header(const struct http_request *req, const char *name, char *out, size_t n)
{
    const char *v = http_header(req, name);

    snprintf(out, n, "%s", v ? v : "");
}

static void catch_hook(void *arg, const struct http_request *req, struct http_response *res)
{
    struct hook *h;

    (void)arg;
    pthread_mutex_lock(&hooks.mu);
    if (hooks.n < MAX_HOOKS) {
        h = &hooks.got[hooks.n++];
        snprintf(h->path, sizeof(h->path), "%s", req->path);
        copy_header(req, "telnyx-timestamp", h->timestamp, sizeof(h->timestamp));
        copy_header(req, "telnyx-signature-ed25519", h->signature, sizeof(h->signature));
        copy_header(req, "Content-Type", h->content_type, sizeof(h->content_type));
        h->body = strndup(req->body ? req->body : "", req->body_len);
    }
    pthread_mutex_unlock(&hooks.mu);
    http_text(res, 200, "");
}

/* Starts the catcher on port (0: any); returns its port. */
static int hooks_start(int port)
{
    struct http_opts o = {.host = "127.0.0.1",
                          .port = port,
                          .max_body = 64 * 1024,
                          .conn_limit = 16,
                          .timeout_s = 10,
                          .thread_per_conn = 1};
    char err[256];

    hooks.server = http_start(&o, catch_hook, NULL, err, sizeof(err));
    if (!hooks.server)
        fail_msg("the webhook catcher did not start: %s", err);
    return http_port(hooks.server);
}

static void hooks_stop(void)
{
    int i;

    if (hooks.server)
        http_stop(hooks.server);
    hooks.server = NULL;
    for (i = 0; i < hooks.n; i++)
        free(hooks.got[i].body);
    hooks.n = 0;
}

static int hooks_count(void)
{
    int n;

    pthread_mutex_lock(&hooks.mu);
    n = hooks.n;
    pthread_mutex_unlock(&hooks.mu);
    return n;
}

/* Waits up to 5 s for the i-th webhook (from 0); fails the test without it. */
static const struct hook *hook_wait(int i)
{
    int waited, n = 0;

    for (waited = 0; waited < 5000; waited += 20) {
        if ((n = hooks_count()) > i)
            return &hooks.got[i];
        line_sleep(20);
    }
    fail_msg("webhook %d never came (%d did)", i + 1, n);
    return NULL;
}

/* The i-th webhook, its signature checked as the gateway checks it; its JSON (free it). */
static json_t *hook_event(struct line *l, int i)
{
    const struct hook *h = hook_wait(i);
    const char *why = "";
    json_t *j;

    assert_string_equal(h->content_type, "application/json");
    if (telnyx_verify(l->public_key, h->timestamp, h->body, strlen(h->body), h->signature,
                      (int64_t)time(NULL), &why) != TELNYX_OK)
        fail_msg("webhook %d is not signed as Telnyx signs: %s", i + 1, why);
    j = json_loads(h->body, 0, NULL);
    assert_non_null(j);
    return j;
}

static const char *event_field(json_t *ev, const char *key)
{
    return json_string_value(json_object_get(json_object_get(ev, "data"), key));
}

static json_t *payload_of(json_t *ev)
{
    return json_object_get(json_object_get(ev, "data"), "payload");
}

static const char *to_status(json_t *ev)
{
    return json_string_value(
        json_object_get(json_array_get(json_object_get(payload_of(ev), "to"), 0), "status"));
}

/* ---- the API ---- */

#define READ "read-token-0123456789" /* admin.token: /metrics */

static int setup_telnyx(void **state)
{
    static const struct line_opts o = {.telnyx = 1, .extra_config = "admin:\n  token: " READ "\n"};

    return line_setup(state, &o);
}

static int teardown_telnyx(void **state)
{
    hooks_stop();
    return line_teardown(state);
}

/* POST /v2/messages with a JSON body; its answer (free it) and status in *status. */
static json_t *send_as(struct line *l, const char *bearer, const char *json, long *status)
{
    char *out = NULL;
    json_t *j;

    *status = line_sim_api(l, "POST", "/v2/messages", bearer, json, &out);
    j = json_loads(out ? out : "", 0, NULL);
    free(out);
    assert_non_null(j);
    return j;
}

/* Fails unless the send is refused with this HTTP status and Telnyx error code. */
static void refused(struct line *l, const char *bearer, const char *json, long http,
                    const char *code)
{
    long st;
    json_t *j = send_as(l, bearer, json, &st);
    const char *got =
        json_string_value(json_object_get(json_array_get(json_object_get(j, "errors"), 0), "code"));

    if (st != http || !got || strcmp(got, code))
        fail_msg("%s: wanted %ld code %s, got %ld code %s", json, http, code, st,
                 got ? got : "(none)");
    json_decref(j);
}

/* A send the simulator takes; returns data.id (malloc'd). */
static char *accepted(struct line *l, const char *json)
{
    long st;
    json_t *j = send_as(l, API_KEY, json, &st), *data = json_object_get(j, "data");
    const char *id = json_string_value(json_object_get(data, "id"));
    char *copy;

    assert_int_equal(st, 200);
    assert_non_null(id);
    assert_int_equal(strlen(id), 36); /* a UUID */
    assert_string_equal(json_string_value(json_object_get(data, "record_type")), "message");
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(data, "to"), 0), "status")),
                        "queued");
    copy = strdup(id);
    json_decref(j);
    return copy;
}

/* A send's JSON from the line number to T1, with delivery events to port's catcher. */
static void send_json(char *out, size_t n, int port, const char *text)
{
    snprintf(out, n,
             "{\"from\": \"" LINE_NUMBER "\", \"to\": \"" T1 "\", \"text\": \"%s\","
             " \"webhook_url\": \"http://127.0.0.1:%d/hooks\", \"use_profile_webhooks\": false}",
             text, port);
}

static void a_bad_bearer_is_401(void **state)
{
    struct line *l = *state;
    char json[256];

    send_json(json, sizeof(json), 9, "hello there");
    refused(l, NULL, json, 401, "10009");
    refused(l, "wrong-key", json, 401, "10009");
    refused(l, API_KEY "x", json, 401, "10009");
    assert_int_equal(line_count(l, 0, T1, NULL), 0);
}

static void what_telnyx_checks_is_checked(void **state)
{
    struct line *l = *state;

    refused(l, API_KEY, "{\"from\": \"" LINE_NUMBER "\", \"text\": \"hi\"}", 422, "10004");
    refused(l, API_KEY, "{\"from\": \"" LINE_NUMBER "\", \"to\": \"\", \"text\": \"hi\"}", 422,
            "10004");
    refused(l, API_KEY, "{\"from\": \"" LINE_NUMBER "\", \"to\": \"5559870001\", \"text\": \"hi\"}",
            422, "10016");
    refused(l, API_KEY, "{\"to\": \"" T1 "\", \"text\": \"hi\"}", 422, "10004");
    refused(l, API_KEY, "{\"from\": \"+15005550099\", \"to\": \"" T1 "\", \"text\": \"hi\"}", 422,
            "10002");
    refused(l, API_KEY, "{\"from\": \"" LINE_NUMBER "\", \"to\": \"" T1 "\"}", 422, "10004");
    refused(l, API_KEY, "{\"from\": \"" LINE_NUMBER "\", \"to\": 5, \"text\": \"hi\"}", 422,
            "10015");
    refused(l, API_KEY, "{\"from\": \"" LINE_NUMBER "\", \"to\": \"" T1 "\"", 400, "10015");
    refused(l, API_KEY,
            "{\"from\": \"" LINE_NUMBER "\", \"to\": \"" T1 "\", \"text\": \"hi\","
            " \"webhook_url\": \"ftp://x\"}",
            422, "10003");
    assert_int_equal(line_count(l, 0, T1, NULL), 0);
}

static void a_send_is_reported_sent_then_delivered(void **state)
{
    struct line *l = *state;
    int port = hooks_start(0);
    char json[256], *id;
    json_t *ev;

    send_json(json, sizeof(json), port, "are you still there?");
    id = accepted(l, json);
    /* Recorded as in Twilio mode, under Telnyx's id. */
    assert_true(line_find(l, 0, T1, LINE_NUMBER, "are you still there?", 0) > 0);
    ev = hook_event(l, 0);
    assert_string_equal(event_field(ev, "event_type"), "message.sent");
    assert_string_equal(json_string_value(json_object_get(payload_of(ev), "id")), id);
    assert_string_equal(to_status(ev), "sent");
    assert_string_equal(hooks.got[0].path, "/hooks");
    json_decref(ev);
    ev = hook_event(l, 1);
    assert_string_equal(event_field(ev, "event_type"), "message.finalized");
    assert_string_equal(json_string_value(json_object_get(payload_of(ev), "id")), id);
    assert_string_equal(to_status(ev), "delivered");
    assert_int_equal(json_array_size(json_object_get(payload_of(ev), "errors")), 0);
    json_decref(ev);
    free(id);
}

/* The finalized event's status and first error code for a send under a delivery switch. */
static void lost(struct line *l, const char *delivery, int events, const char *status,
                 const char *code)
{
    int port = hooks_start(0);
    char json[256], form[64], *id;
    json_t *ev;
    const char *got;

    snprintf(form, sizeof(form), "delivery=%s&delivery_count=1", delivery);
    assert_int_equal(line_sim(l, "POST", "/sim/fault", form, NULL), 200);
    send_json(json, sizeof(json), port, "this one gets lost");
    id = accepted(l, json);
    ev = hook_event(l, events - 1);
    assert_string_equal(event_field(ev, "event_type"), "message.finalized");
    assert_string_equal(to_status(ev), status);
    got = json_string_value(
        json_object_get(json_array_get(json_object_get(payload_of(ev), "errors"), 0), "code"));
    assert_non_null(got);
    assert_string_equal(got, code);
    json_decref(ev);
    line_sleep(300);
    assert_int_equal(hooks_count(), events); /* and nothing after it */
    hooks_stop();
    free(id);
}

static void lost_texts_are_reported_with_telnyx_codes(void **state)
{
    struct line *l = *state;
    char *out = NULL;

    lost(l, "undelivered", 2, "delivery_failed", "40008"); /* sent, then not delivered */
    lost(l, "failed", 1, "sending_failed", "40004");       /* never sent */
    /* The simulator's log says it in the same words as in Twilio mode. */
    assert_int_equal(line_count(l, 0, T1, NULL), 2);
    assert_int_equal(line_sim(l, "GET", "/sim/messages?phone=%2B15559870001", NULL, &out), 200);
    assert_non_null(strstr(out, "\"status\":\"undelivered\""));
    assert_non_null(strstr(out, "\"status\":\"failed\""));
    free(out);
}

static void faults_and_opt_outs_answer_as_telnyx(void **state)
{
    struct line *l = *state;
    char json[256], *out = NULL;

    send_json(json, sizeof(json), 9, "hello there");
    assert_int_equal(line_fault(l, "500", 1), 0);
    refused(l, API_KEY, json, 500, "10007");
    assert_int_equal(line_fault(l, "429", 1), 0);
    refused(l, API_KEY, json, 429, "10011");
    assert_int_equal(line_sim(l, "GET", "/sim/fault", NULL, &out), 200);
    assert_non_null(strstr(out, "\"faults\":2"));
    free(out);
    assert_int_equal(line_carrier_optout(l, T1, LINE_NUMBER), 0);
    refused(l, API_KEY, json, 400, "40300");
    assert_int_equal(line_count(l, 0, T1, NULL), 0);
}

/* ---- texts from phones ---- */

/* A phone texts the line; MessageSid (may be NULL) becomes the event id. */
static void phone_texts(struct line *l, const char *sid, int media)
{
    char form[256];

    snprintf(form, sizeof(form),
             "From=%%2B15559870001&To=%%2B15005550006&Body=hello+from+a+phone%s%s&NumMedia=%d",
             sid ? "&MessageSid=" : "", sid ? sid : "", media);
    assert_int_equal(line_sim(l, "POST", "/sim/sms", form, NULL), 200);
}

static void texts_arrive_as_signed_message_received(void **state)
{
    struct line *l = *state;
    json_t *a, *b, *c, *p;

    /* The catcher takes the gateway's place (and port). */
    line_kill_gateway(l);
    hooks_start(l->gw_port);
    phone_texts(l, "3f1c2a5e-0d7b-4c55-9a0e-5b1f2e3d4c5a", 0);
    phone_texts(l, "3f1c2a5e-0d7b-4c55-9a0e-5b1f2e3d4c5a", 0); /* a retry */
    phone_texts(l, NULL, 2);
    a = hook_event(l, 0);
    b = hook_event(l, 1);
    c = hook_event(l, 2);
    assert_string_equal(hooks.got[0].path, "/telnyx/sms");
    assert_string_equal(event_field(a, "event_type"), "message.received");
    assert_string_equal(event_field(a, "id"), "3f1c2a5e-0d7b-4c55-9a0e-5b1f2e3d4c5a");
    p = payload_of(a);
    assert_string_equal(json_string_value(json_object_get(p, "text")), "hello from a phone");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(p, "from"), "phone_number")), T1);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(p, "to"), 0), "phone_number")),
                        LINE_NUMBER);
    assert_string_equal(json_string_value(json_object_get(p, "type")), "SMS");
    /* The retry is the same event of the same message. */
    assert_string_equal(event_field(b, "id"), event_field(a, "id"));
    assert_string_equal(json_string_value(json_object_get(payload_of(b), "id")),
                        json_string_value(json_object_get(p, "id")));
    /* A new text is a new event; its pictures are listed. */
    assert_string_not_equal(event_field(c, "id"), event_field(a, "id"));
    assert_string_equal(json_string_value(json_object_get(payload_of(c), "type")), "MMS");
    assert_int_equal(json_array_size(json_object_get(payload_of(c), "media")), 2);
    json_decref(a);
    json_decref(b);
    json_decref(c);
}

/* ---- the gateway's side: what it refuses ---- */

/* The line's private seed, from the simulator's key file. */
static void read_seed(struct line *l, unsigned char seed[32])
{
    char *b64 = line_read_file(l->signing_key);
    unsigned char raw[48];

    assert_non_null(b64);
    assert_int_equal(EVP_DecodeBlock(raw, (unsigned char *)b64, 44), 33);
    memcpy(seed, raw, 32);
    OPENSSL_cleanse(raw, sizeof(raw));
    free(b64);
}

/* The base64 signature of "{ts}|{body}" with seed, into sig (89 bytes). */
static void sign(const unsigned char seed[32], const char *ts, const char *body, char sig[89])
{
    unsigned char raw[64];
    size_t n = sizeof(raw);
    char *msg = malloc(strlen(ts) + strlen(body) + 2);
    EVP_PKEY *pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
    EVP_MD_CTX *md = EVP_MD_CTX_new();

    assert_non_null(msg);
    snprintf(msg, strlen(ts) + strlen(body) + 2, "%s|%s", ts, body);
    assert_true(pk && md && EVP_DigestSignInit(md, NULL, NULL, NULL, pk) == 1 &&
                EVP_DigestSign(md, raw, &n, (unsigned char *)msg, strlen(msg)) == 1);
    EVP_EncodeBlock((unsigned char *)sig, raw, 64);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pk);
    free(msg);
}

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
    (void)p;
    (void)arg;
    return size * n;
}

/* POSTs body to the gateway's /telnyx/sms with these headers (NULL: left out). */
static long post_event(struct line *l, const char *ctype, const char *ts, const char *sig,
                       const char *body)
{
    struct curl_slist *h = NULL;
    char url[128], hdr[256];
    long status = 0;
    CURL *c = curl_easy_init();

    assert_non_null(c);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/telnyx/sms", l->gw_port);
    snprintf(hdr, sizeof(hdr), "Content-Type: %s", ctype);
    h = curl_slist_append(h, hdr);
    if (ts) {
        snprintf(hdr, sizeof(hdr), "telnyx-timestamp: %s", ts);
        h = curl_slist_append(h, hdr);
    }
    if (sig) {
        snprintf(hdr, sizeof(hdr), "telnyx-signature-ed25519: %s", sig);
        h = curl_slist_append(h, hdr);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}

/* A message.received event from `from` with event id `id`. */
static void received(char *out, size_t n, const char *id, const char *from, const char *text)
{
    snprintf(out, n,
             "{\"data\": {\"record_type\": \"event\", \"event_type\": \"message.received\","
             " \"id\": \"%s\", \"occurred_at\": \"2026-11-25T06:00:00.000+00:00\","
             " \"payload\": {\"record_type\": \"message\", \"direction\": \"inbound\","
             " \"id\": \"m-%s\", \"type\": \"SMS\", \"from\": {\"phone_number\": \"%s\"},"
             " \"to\": [{\"phone_number\": \"" LINE_NUMBER
             "\", \"status\": \"webhook_delivered\"}],"
             " \"text\": \"%s\", \"media\": [], \"errors\": []}},"
             " \"meta\": {\"attempt\": 1, \"delivered_to\": \"x\"}}",
             id, id, from, text);
}

static void forged_or_bad_events_change_nothing(void **state)
{
    struct line *l = *state;
    unsigned char seed[32], other[32] = {1, 2, 3};
    char body[1024], ts[24], stale[24], sig[89], bad[89];
    long rows;

    read_seed(l, seed);
    snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
    snprintf(stale, sizeof(stale), "%lld", (long long)time(NULL) - 400);
    /* Signed right: stored (so what follows fails for the reason it names). */
    received(body, sizeof(body), "e-good", "+15559870003", "hi there");
    sign(seed, ts, body, sig);
    assert_int_equal(post_event(l, "application/json", ts, sig, body), 200);
    rows = line_inbound_rows(l);
    assert_int_equal(rows, 1);
    received(body, sizeof(body), "e-bad", "+15559870009", "hi there");
    sign(seed, ts, body, sig);
    sign(other, ts, body, bad);
    assert_int_equal(post_event(l, "application/json", NULL, NULL, body), 403);
    assert_int_equal(post_event(l, "application/json", ts, bad, body), 403);
    assert_int_equal(post_event(l, "application/json", ts, "bm90IGEgc2lnbmF0dXJl", body), 403);
    assert_int_equal(post_event(l, "application/json", stale, sig, body), 403);
    strstr(body, "hi there")[7] = 'a'; /* changed after signing */
    assert_int_equal(post_event(l, "application/json", ts, sig, body), 403);
    /* Signed, but not what Telnyx sends. */
    snprintf(body, sizeof(body), "{\"data\": ");
    sign(seed, ts, body, sig);
    assert_int_equal(post_event(l, "application/json", ts, sig, body), 400);
    snprintf(body, sizeof(body), "From=%%2B15559870009&Body=hi");
    sign(seed, ts, body, sig);
    assert_int_equal(post_event(l, "application/x-www-form-urlencoded", ts, sig, body), 400);
    line_sleep(200);
    assert_int_equal(line_inbound_rows(l), rows);
    assert_int_equal(line_count(l, 0, "+15559870009", NULL), 0);
    OPENSSL_cleanse(seed, sizeof(seed));
}

/* A wrong provider.public_key makes every real event fail its check: the on-call hears. */
static void forged_events_alert_the_coordinators(void **state)
{
    struct line *l = *state;
    unsigned char other[32] = {9, 8, 7};
    char body[1024], ts[24], sig[89], id[32];
    int i;

    snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL));
    for (i = 0; i < 3; i++) {
        snprintf(id, sizeof(id), "e-forged-%d", i);
        received(body, sizeof(body), id, T1, "hello");
        sign(other, ts, body, sig);
        assert_int_equal(post_event(l, "application/json", ts, sig, body), 403);
    }
    line_must_get(l, 0, SAM, LINE_NUMBER, "3 texts or calls to the line were refused");
    assert_int_equal(line_count(l, 0, ALEX, NULL), 0);
    assert_int_equal(line_inbound_rows(l), 0);
    /* Counted as every signed endpoint counts them. */
    assert_true(line_metric(l, READ, "peerline_webhooks_total{outcome=\"bad_signature\"}") == 3);
}

/* ---- starting ---- */

static void the_simulator_needs_a_signing_key(void **state)
{
    struct line *l = *state;
    const char *bin = getenv("PEERLINE_BIN") ? getenv("PEERLINE_BIN") : "build/peerline";
    char cmd[1024], said[1024] = "";
    size_t n;
    FILE *p;

    snprintf(cmd, sizeof(cmd), "timeout 10 '%s' sim -c '%s' --listen 127.0.0.1:0 2>&1", bin,
             l->config);
    p = popen(cmd, "r");
    assert_non_null(p);
    n = fread(said, 1, sizeof(said) - 1, p);
    said[n] = '\0';
    assert_int_equal(WEXITSTATUS(pclose(p)), 1);
    assert_non_null(strstr(said, "provider.kind is telnyx"));
    assert_non_null(strstr(said, "--telnyx-signing-key FILE"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_bad_bearer_is_401, setup_telnyx, teardown_telnyx),
        cmocka_unit_test_setup_teardown(what_telnyx_checks_is_checked, setup_telnyx,
                                        teardown_telnyx),
        cmocka_unit_test_setup_teardown(a_send_is_reported_sent_then_delivered, setup_telnyx,
                                        teardown_telnyx),
        cmocka_unit_test_setup_teardown(lost_texts_are_reported_with_telnyx_codes, setup_telnyx,
                                        teardown_telnyx),
        cmocka_unit_test_setup_teardown(faults_and_opt_outs_answer_as_telnyx, setup_telnyx,
                                        teardown_telnyx),
        cmocka_unit_test_setup_teardown(texts_arrive_as_signed_message_received, setup_telnyx,
                                        teardown_telnyx),
        cmocka_unit_test_setup_teardown(forged_or_bad_events_change_nothing, setup_telnyx,
                                        teardown_telnyx),
        cmocka_unit_test_setup_teardown(forged_events_alert_the_coordinators, setup_telnyx,
                                        teardown_telnyx),
        cmocka_unit_test_setup_teardown(the_simulator_needs_a_signing_key, setup_telnyx,
                                        teardown_telnyx),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * sim.c - see sim.h. The simulator's top: `peerline sim`'s options, the
 * HTTP routing to each provider's wire (sim_twilio.c, sim_telnyx.c,
 * sim_voice*.c), the control API under /sim/ that plays the phones and sets
 * the faults, and the thread that posts delivery reports. What the
 * providers share (the texts log, faults, sids) is sim_core.c's.
 *
 * State is a log of texts (both directions) and a fault switch, under one
 * mutex. The HTTP server runs a thread per connection, so a /sim/sms call
 * that waits on the gateway never blocks the gateway's own calls to the
 * Messages API. Status callbacks are posted by a separate thread from a
 * queue, as Twilio does, after the API call has been answered.
 *
 * The control API has no authentication, so the simulator listens only on
 * a loopback address unless --unsafe-listen-anywhere says otherwise, and it
 * sends requests only to the gateway or loopback (sim_reach.h).
 */
#include "sim.h"
#include "sim_priv.h"
#include "diag.h"
#include "form.h"
#include "http.h"
#include "log.h"
#include "page.h"
#include "parse.h"
#include "roster.h"

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIM_MAX_BODY (64 * 1024)

extern const char sim_page_html[];
static struct page sim_page; /* set once in sim_main, before the server starts */

/* ---- control API ---- */

/*
 * POST /sim/numbers [sms_url=URL] [sms_fallback_url=URL]: what the numbers
 * report (sms_url "": the gateway's), and the Fallback URL texts are posted
 * to, signed, when the gateway answers an error or nothing (it must be
 * under public_url, which the simulator maps to the gateway's address).
 */
static void set_numbers(struct sim *s, const struct http_request *req, struct http_response *res)
{
    struct form f = {0};
    const char *url = NULL, *fb = NULL, *why;
    size_t where, n = strlen(s->cfg->public_url);

    if (form_parse(req->body, req->body_len, &f, &why, &where) ||
        (!(url = form_get(&f, "sms_url")) && !(fb = form_get(&f, "sms_fallback_url"))) ||
        (url && strlen(url) >= sizeof(s->sms_url)) ||
        ((fb = form_get(&f, "sms_fallback_url")) &&
         (strlen(fb) >= sizeof(s->fallback_url) || (*fb && strncmp(fb, s->cfg->public_url, n))))) {
        sim_json_reply(res, 400,
                       json_pack("{s:s}", "error",
                                 "sms_url=URL and/or sms_fallback_url=URL under public_url"));
        form_free(&f);
        return;
    }
    pthread_mutex_lock(&s->mu);
    if (url)
        snprintf(s->sms_url, sizeof(s->sms_url), "%s", url);
    if (fb)
        snprintf(s->fallback_url, sizeof(s->fallback_url), "%s", fb);
    pthread_mutex_unlock(&s->mu);
    sim_json_reply(
        res, 200,
        json_pack("{s:s, s:s}", "sms_url", s->sms_url, "sms_fallback_url", s->fallback_url));
    form_free(&f);
}

/* POST /sim/sms: a phone texts one of the line's numbers, delivered as the provider would. */
static void phone_sends(struct sim *s, const struct http_request *req, struct http_response *res)
{
    struct form f = {0};
    struct sim_inbound in;
    const char *body, *why;
    char sid[SIM_ID_LEN];
    size_t where;
    long id = 0, status;

    if (form_parse(req->body, req->body_len, &f, &why, &where)) {
        sim_json_reply(res, 400, json_pack("{s:s}", "error", why));
        return;
    }
    body = form_get(&f, "Body");
    in.from = form_get(&f, "From");
    in.to = form_get(&f, "To");
    in.body = body ? body : "";
    in.sid = form_get(&f, "MessageSid");
    in.nmedia = form_get(&f, "NumMedia");
    if (!in.from || parse_e164(in.from, &why) || !in.to || !config_is_own_number(s->cfg, in.to)) {
        sim_json_reply(
            res, 400,
            json_pack("{s:s}", "error", "From must be E.164 and To one of the line's numbers"));
        goto done;
    }
    if (s->kind == PROVIDER_TELNYX)
        status = sim_telnyx_inbound(s, &in, sid, &id);
    else
        status = sim_twilio_inbound(s, &in, sid, &id);
    sim_set_gateway_status(s, id, status);
    sim_json_reply(res, 200,
                   json_pack("{s:s, s:i, s:i}", "sid", sid, "status", (int)status, "id", (int)id));
done:
    form_free(&f);
}

/* ---- status callbacks ---- */

static void free_callback(struct sim_callback *cb)
{
    free(cb->text);
    free(cb);
}

static void *callback_loop(void *arg)
{
    struct sim *s = arg;

    for (;;) {
        struct sim_callback *cb;

        pthread_mutex_lock(&s->mu);
        cb = s->cb_head;
        if (cb) {
            s->cb_head = cb->next;
            if (!s->cb_head)
                s->cb_tail = NULL;
        }
        pthread_mutex_unlock(&s->mu);
        if (!cb) {
            if (s->stopping)
                return NULL;
            wake_wait(&s->cb_wake, 500);
            continue;
        }
        if (s->kind == PROVIDER_TELNYX)
            sim_telnyx_post_event(s, cb);
        else
            sim_twilio_post_status(s, cb);
        free_callback(cb);
    }
}

static void list_messages(struct sim *s, const struct http_request *req, struct http_response *res)
{
    const char *since = http_query(req, "since"), *phone = http_query(req, "phone");
    long long after = 0;
    const char *why;
    json_t *arr = json_array();
    size_t i;

    if (since && parse_int(since, 0, 1LL << 40, &after, &why))
        after = 0;
    pthread_mutex_lock(&s->mu);
    for (i = 0; i < s->ntexts; i++) {
        const struct sim_text *t = &s->texts[i];
        if (t->id <= after)
            continue;
        if (phone && strcmp(phone, t->from) && strcmp(phone, t->to))
            continue;
        json_array_append_new(arr, json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:I}", "id",
                                             (int)t->id, "sid", t->sid, "direction", t->direction,
                                             "from", t->from, "to", t->to, "body", t->body,
                                             "status", t->status, "gateway_status",
                                             (int)t->gateway_status, "at", (json_int_t)t->at));
    }
    pthread_mutex_unlock(&s->mu);
    sim_json_reply(res, 200, json_pack("{s:o}", "messages", arr));
}

/* POST /sim/optout Phone=...&Number=...: the phone opts out of our number at the carrier. */
static void set_optout(struct sim *s, const struct http_request *req, struct http_response *res)
{
    struct form f = {0};
    const char *phone, *number, *why;
    size_t where;

    if (form_parse(req->body, req->body_len, &f, &why, &where)) {
        sim_json_reply(res, 400, json_pack("{s:s}", "error", why));
        return;
    }
    phone = form_get(&f, "Phone");
    number = form_get(&f, "Number");
    if (!phone || parse_e164(phone, &why) || !number || !config_is_own_number(s->cfg, number)) {
        sim_json_reply(res, 400, json_pack("{s:s}", "error", "Phone=E.164&Number=one of ours"));
        goto done;
    }
    pthread_mutex_lock(&s->mu);
    if (!sim_opted_out_locked(s, phone, number)) {
        void *n = realloc(s->optouts, (s->noptouts + 1) * sizeof(*s->optouts));
        if (n) {
            s->optouts = n;
            snprintf(s->optouts[s->noptouts][0], 24, "%s", phone);
            snprintf(s->optouts[s->noptouts][1], 24, "%s", number);
            s->noptouts++;
        }
    }
    pthread_mutex_unlock(&s->mu);
    sim_json_reply(res, 200, json_pack("{s:s}", "optout", "ok"));
done:
    form_free(&f);
}

static json_t *fault_state(struct sim *s)
{
    json_t *j;

    pthread_mutex_lock(&s->mu);
    j = json_pack("{s:s, s:I, s:I, s:s, s:I, s:I}", "mode",
                  s->fault_mode[0] ? s->fault_mode : "none", "count", (json_int_t)s->fault_count,
                  "latency_ms", (json_int_t)s->latency_ms, "delivery", s->delivery,
                  "delivery_count", (json_int_t)s->delivery_count, "faults", (json_int_t)s->faults);
    pthread_mutex_unlock(&s->mu);
    return j;
}

/*
 * POST /sim/fault: any of
 *   mode=500|429|drop|down|none [count=N]   N (default 1) API calls answered 500
 *                                            or 429, or dropped unanswered;
 *                                            down: every call dropped until none
 *   latency_ms=MS                            wait this long before every answer
 *   delivery=delivered|undelivered|failed [delivery_count=N]
 *                                            the final status the next N sends
 *                                            report by status callback
 * All or nothing: a bad field changes no switch. Answers the switches' state.
 */
static void set_fault(struct sim *s, const struct http_request *req, struct http_response *res)
{
    static const char *const modes[] = {"500", "429", "drop", "down", "none"};
    static const char *const finals[] = {"delivered", "undelivered", "failed"};
    struct form f = {0};
    const char *mode, *count, *latency, *delivery, *dcount, *why;
    long long n = 1, ms = 0, dn = 1;
    size_t where, i;
    int ok_mode = 0, ok_final = 0;

    if (form_parse(req->body, req->body_len, &f, &why, &where)) {
        sim_json_reply(res, 400, json_pack("{s:s}", "error", why));
        return;
    }
    mode = form_get(&f, "mode");
    count = form_get(&f, "count");
    latency = form_get(&f, "latency_ms");
    delivery = form_get(&f, "delivery");
    dcount = form_get(&f, "delivery_count");
    for (i = 0; mode && i < sizeof(modes) / sizeof(modes[0]); i++)
        ok_mode |= !strcmp(mode, modes[i]);
    for (i = 0; delivery && i < sizeof(finals) / sizeof(finals[0]); i++)
        ok_final |= !strcmp(delivery, finals[i]);
    if ((!mode && !latency && !delivery) || (mode && !ok_mode) || (delivery && !ok_final) ||
        (count && parse_int(count, 0, 1000000, &n, &why)) ||
        (latency && parse_int(latency, 0, 30000, &ms, &why)) ||
        (dcount && parse_int(dcount, 0, 1000000, &dn, &why))) {
        sim_json_reply(res, 400,
                       json_pack("{s:s}", "error",
                                 "mode=500|429|drop|down|none [count=N], latency_ms=0..30000, "
                                 "delivery=delivered|undelivered|failed [delivery_count=N]"));
        goto done;
    }
    pthread_mutex_lock(&s->mu);
    if (mode) {
        int off = !strcmp(mode, "none") || (strcmp(mode, "down") && n == 0);
        snprintf(s->fault_mode, sizeof(s->fault_mode), "%s", off ? "" : mode);
        s->fault_count = off || !strcmp(mode, "down") ? 0 : (long)n;
    }
    if (latency)
        s->latency_ms = (long)ms;
    if (delivery) {
        snprintf(s->delivery, sizeof(s->delivery), "%s", dn ? delivery : "delivered");
        s->delivery_count = strcmp(s->delivery, "delivered") ? (long)dn : 0;
    }
    pthread_mutex_unlock(&s->mu);
    sim_json_reply(res, 200, fault_state(s));
done:
    form_free(&f);
}

/* GET /sim/phones: the line's numbers and every rostered phone, for the page. */
static void phones(struct sim *s, struct http_response *res)
{
    struct diag *d = diag_new();
    struct roster *r = d ? roster_load(s->cfg->roster, NULL, d) : NULL;
    json_t *numbers, *peers, *coords;
    size_t i, k;

    if (!r) {
        sim_json_reply(
            res, 500,
            json_pack("{s:s}", "error", "the roster does not load: run peerline check -c CONFIG"));
        diag_free(d);
        return;
    }
    numbers = json_pack("[s]", s->cfg->provider.line_number);
    for (i = 0; i < s->cfg->provider.npool; i++)
        json_array_append_new(numbers, json_string(s->cfg->provider.pool[i]));
    peers = json_array();
    for (i = 0; i < r->npeers; i++) {
        const struct roster_peer *p = &r->peers[i];
        json_t *topics = json_array(), *langs = json_array();
        for (k = 0; k < p->ntopics; k++)
            json_array_append_new(topics, json_string(r->topics[p->topics[k]].id));
        for (k = 0; k < r->nlangs; k++)
            if (p->langs & (1ULL << k))
                json_array_append_new(langs, json_string(r->langs[k]));
        /* A trainee's phone is shown as one, with whose chats they read along. */
        json_array_append_new(
            peers,
            json_pack("{s:s, s:s, s:s, s:o, s:o, s:b, s:s?}", "id", p->id, "name", p->name, "phone",
                      p->phone, "topics", topics, "languages", langs, "trainee", p->trainee != 0,
                      "mentor", p->trainee && p->mentor >= 0 ? r->peers[p->mentor].name : NULL));
    }
    coords = json_array();
    for (i = 0; i < r->ncoordinators; i++)
        json_array_append_new(coords, json_pack("{s:s, s:s, s:s}", "id", r->coordinators[i].id,
                                                "name", r->coordinators[i].name, "phone",
                                                r->coordinators[i].phone));
    sim_json_reply(res, 200,
                   json_pack("{s:s, s:s, s:o, s:o, s:o}", "line_name", r->line_name, "line_number",
                             s->cfg->provider.line_number, "numbers", numbers, "peers", peers,
                             "coordinators", coords));
    roster_free(r);
    diag_free(d);
}

static void handle(void *arg, const struct http_request *req, struct http_response *res)
{
    struct sim *s = arg;
    int post = !strcmp(req->method, "POST");

    if (sim_voice_handle(s, req, res))
        return;
    if (s->kind == PROVIDER_TELNYX ? sim_telnyx_api(s, req, res) : sim_twilio_api(s, req, res))
        return;
    if (post && !strcmp(req->path, "/sim/sms")) {
        phone_sends(s, req, res);
        return;
    }
    if (post && !strcmp(req->path, "/sim/optout")) {
        set_optout(s, req, res);
        return;
    }
    if (post && !strcmp(req->path, "/sim/numbers")) {
        set_numbers(s, req, res);
        return;
    }
    if (post && !strcmp(req->path, "/sim/fault")) {
        set_fault(s, req, res);
        return;
    }
    if (!strcmp(req->method, "GET") && !strcmp(req->path, "/sim/messages")) {
        list_messages(s, req, res);
        return;
    }
    if (!strcmp(req->method, "GET") && !strcmp(req->path, "/sim/fault")) {
        sim_json_reply(res, 200, fault_state(s));
        return;
    }
    if (!strcmp(req->method, "GET") && !strcmp(req->path, "/sim/phones")) {
        phones(s, res);
        return;
    }
    if (!strcmp(req->method, "GET") && !strcmp(req->path, "/")) {
        page_serve(&sim_page, res);
        return;
    }
    if (!strcmp(req->method, "GET") && !strcmp(req->path, "/healthz")) {
        http_text(res, 200, "ok");
        return;
    }
    if (s->kind == PROVIDER_TELNYX)
        sim_telnyx_error(res, 404, "10005", "Resource not found",
                         "The requested resource or URL could not be found.");
    else
        sim_twilio_error(res, 404, 20404, "The requested resource was not found");
}

/*
 * Telnyx signs its webhooks with the account's private key, which only it
 * holds: the simulator must be given one (the gateway's provider.public_key
 * must be its public half). 0 to go on, -1 (told on stderr) to refuse.
 */
static int signing_key(struct sim *s, const char *path)
{
    char err[512];

    if (s->kind != PROVIDER_TELNYX && path) {
        fprintf(stderr, "peerline sim: --telnyx-signing-key is only used with provider.kind "
                        "telnyx\n");
        return -1;
    }
    if (s->kind != PROVIDER_TELNYX)
        return 0;
    if (!path) {
        fprintf(stderr, "peerline sim: provider.kind is telnyx, so the simulator signs webhooks "
                        "as Telnyx does: give it --telnyx-signing-key FILE (FILE holds the base64 "
                        "of the 32-byte Ed25519 private key whose public half is "
                        "provider.public_key)\n");
        return -1;
    }
    if (sim_telnyx_load_key(s, path, err, sizeof(err))) {
        fprintf(stderr, "peerline sim: --telnyx-signing-key %s: %s\n", path, err);
        return -1;
    }
    return 0;
}

int sim_main(int argc, char **argv)
{
    struct sim s;
    struct diag *d = diag_new();
    struct config *cfg = NULL;
    struct http_server *http = NULL;
    struct http_opts ho = {0};
    const char *cfg_path = NULL, *listen = "127.0.0.1:8025", *gateway = NULL, *key = NULL, *why;
    char host[256], err[256];
    pthread_t cbt;
    sigset_t sigs;
    int i, port, sig, rc = 1, cb_started = 0, anywhere = 0;

    memset(&s, 0, sizeof(s));
    s.callbacks = 1;
    snprintf(s.delivery, sizeof(s.delivery), "delivered");
    for (i = 1; i < argc; i++) {
        if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) && i + 1 < argc)
            cfg_path = argv[++i];
        else if (!strcmp(argv[i], "--listen") && i + 1 < argc)
            listen = argv[++i];
        else if (!strcmp(argv[i], "--gateway") && i + 1 < argc)
            gateway = argv[++i];
        else if (!strcmp(argv[i], "--telnyx-signing-key") && i + 1 < argc)
            key = argv[++i];
        else if (!strcmp(argv[i], "--no-callbacks"))
            s.callbacks = 0;
        else if (!strcmp(argv[i], "--unsafe-listen-anywhere"))
            anywhere = 1;
        else {
            fprintf(stderr, "usage: peerline sim -c FILE [--listen HOST:PORT] [--gateway URL] "
                            "[--no-callbacks] [--telnyx-signing-key FILE] "
                            "[--unsafe-listen-anywhere]\n");
            diag_free(d);
            return 2;
        }
    }
    if (!cfg_path || !d) {
        fprintf(stderr, "peerline sim: -c FILE is required (the gateway's config)\n");
        diag_free(d);
        return 2;
    }
    cfg = config_load(cfg_path, NULL, d);
    if (!cfg) {
        diag_print(d, stderr);
        diag_free(d);
        return 1;
    }
    diag_free(d);
    if (parse_listen(listen, host, sizeof(host), &port, 1, &why)) {
        fprintf(stderr, "peerline sim: --listen: %s\n", why);
        goto out;
    }
    if (!anywhere && parse_loopback(host, &why)) {
        fprintf(stderr,
                "peerline sim: --listen %s: %s. The simulator's control API has no "
                "authentication: anyone who can reach it texts the line as any phone, with "
                "webhooks signed by the line's auth token. Listen on 127.0.0.1 (the default), or "
                "give --unsafe-listen-anywhere to listen there anyway, on a network you trust.\n",
                listen, why);
        goto out;
    }
    if (page_init(&sim_page, sim_page_html, err, sizeof(err)))
        log_warnx("sim.page_problem", "page=sim_page.html msg=\"%s\"", err);
    s.cfg = cfg;
    s.kind = cfg->provider.kind;
    if (signing_key(&s, key))
        goto out;
    if (gateway)
        snprintf(s.gateway, sizeof(s.gateway), "%s", gateway);
    else
        snprintf(s.gateway, sizeof(s.gateway), "http://%s%s%s:%d",
                 strchr(cfg->listen_host, ':') ? "[" : "", cfg->listen_host,
                 strchr(cfg->listen_host, ':') ? "]" : "", cfg->listen_port);
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    pthread_mutex_init(&s.mu, NULL);
    wake_init(&s.cb_wake);
    if (sim_voice_start(&s))
        goto stop;
    if (pthread_create(&cbt, NULL, callback_loop, &s) == 0)
        cb_started = 1;
    ho.host = host;
    ho.port = port;
    ho.max_body = SIM_MAX_BODY;
    ho.conn_limit = 256;
    ho.timeout_s = 60;
    ho.thread_per_conn = 1;
    http = http_start(&ho, handle, &s, err, sizeof(err));
    if (!http) {
        fprintf(stderr, "peerline sim: %s\n", err);
        goto stop;
    }
    log_info("sim.started", "listen=%s:%d gateway=%s", host, http_port(http), s.gateway);
    if (anywhere && parse_loopback(host, &why))
        log_warnx("sim.listen_anywhere",
                  "listen=%s:%d msg=\"--unsafe-listen-anywhere: anyone who reaches this address "
                  "can text the line as any phone, unauthenticated\"",
                  host, http_port(http));
    while (sigwait(&sigs, &sig))
        ;
    rc = 0;
    sim_voice_shutdown(&s); /* calls end before the server stops: they may be calling it */
    http_stop(http);
stop:
    sim_voice_free(&s);
    s.stopping = 1;
    wake_signal(&s.cb_wake);
    if (cb_started)
        pthread_join(cbt, NULL);
    while (s.cb_head) {
        struct sim_callback *n = s.cb_head->next;
        free_callback(s.cb_head);
        s.cb_head = n;
    }
    for (i = 0; (size_t)i < s.ntexts; i++)
        free(s.texts[i].body);
    free(s.texts);
    free(s.optouts);
    wake_destroy(&s.cb_wake);
    pthread_mutex_destroy(&s.mu);
    curl_global_cleanup();
out:
    OPENSSL_cleanse(s.signing_key, sizeof(s.signing_key));
    config_free(cfg);
    return rc;
}

/* ---- for sim_voice*.c (see sim_priv.h) ---- */

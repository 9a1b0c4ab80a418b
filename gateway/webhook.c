/*
 * webhook.c - see webhook.h.
 */
#include "webhook.h"
#include "config.h"
#include "form.h"
#include "http.h"
#include "ingest.h"
#include "latency.h"
#include "log.h"
#include "metrics.h"
#include "parse.h"
#include "spool.h"
#include "store.h"
#include "twilio.h"
#include "wake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TWIML_EMPTY "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>"

/* A webhook waits at most this long for the engine's write lock: well inside Twilio's 15 s. */
#define WEBHOOK_BUSY_MS 5000

static void wake_engine(void *arg)
{
    struct webhook *w = arg;

    if (w->on_stored)
        w->on_stored(w->arg);
}

int webhook_open(struct webhook *w, const struct config *cfg, char *err, size_t errlen)
{
    w->cfg = cfg;
    if (pthread_mutex_init(&w->mu, NULL)) {
        snprintf(err, errlen, "cannot initialise a mutex");
        return -1;
    }
    w->opened = 1;
    w->health = store_open(cfg->database, err, errlen);
    if (!w->health)
        return -1;
    store_set_busy_timeout(w->health, WEBHOOK_BUSY_MS);
    w->ingest = ingest_start(cfg->database, w->gate, w->metrics, wake_engine, w, err, errlen);
    return w->ingest ? 0 : -1;
}

void webhook_close(struct webhook *w)
{
    if (!w->opened)
        return;
    w->opened = 0;
    ingest_stop(w->ingest);
    w->ingest = NULL;
    store_close(w->health);
    w->health = NULL;
    pthread_mutex_destroy(&w->mu);
}

/* A webhook waiting for its group commit: its parsed form, and what is being written. */
struct pending {
    struct webhook *w;
    struct http_ctx *token; /* NULL: the handler waits instead */
    struct form f;
    struct ingest_item it;
};

static void free_pending(void *arg)
{
    struct pending *p = arg;

    form_free(&p->f);
    free(p);
}

/* The writer's word that the item is written: the request carries on where it was parked. */
static void committed(struct ingest_item *it)
{
    struct pending *p = it->arg;

    http_resume(p->token);
}

/*
 * Takes over *f (on success) for a webhook about to be written as `kind`;
 * NULL when out of memory, with the 500 in res and *f still the caller's.
 */
static struct pending *new_pending(struct webhook *w, struct form *f, enum ingest_kind kind,
                                   const char *sid, struct http_response *res)
{
    struct pending *p = calloc(1, sizeof(*p));

    if (!p) {
        http_text(res, 500, "out of memory");
        return NULL;
    }
    p->it.kind = kind;
    p->it.sid = sid;
    p->w = w;
    p->f = *f;
    memset(f, 0, sizeof(*f));
    p->it.arg = p;
    p->it.received_at = wake_now_ms();
    p->it.arrival_us = latency_now_us();
    return p;
}

/*
 * Hands p's item to the group-commit writer. Returns 1 when the request is
 * parked (the handler is called again with p once the item is written),
 * or 0 when it could not be parked and the item has been written already.
 */
static int submit(struct webhook *w, const struct http_request *req, struct pending *p)
{
    p->token = http_park(req, p, free_pending);
    if (p->token) {
        p->it.done = committed;
        ingest_submit(w->ingest, &p->it);
        return 1;
    }
    ingest_submit_wait(w->ingest, &p->it);
    return 0;
}

static int is_form(const struct http_request *req)
{
    const char *ct = http_header(req, "Content-Type");
    size_t n = strlen("application/x-www-form-urlencoded");

    return ct && !strncasecmp(ct, "application/x-www-form-urlencoded", n) &&
           (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/*
 * The common front of every Twilio webhook: form body parsed into *f and
 * signature verified. Returns 0, or fills res with the refusal.
 */
static int twilio_front(struct webhook *w, const struct http_request *req,
                        struct http_response *res, struct form *f)
{
    const char *why = "";
    char url[4096], msg[160];
    size_t where = 0;

    if (!is_form(req)) {
        metrics_inbound(w->metrics, MI_BAD_REQUEST);
        http_text(res, 400, "expected Content-Type: application/x-www-form-urlencoded");
        return -1;
    }
    if (form_parse(req->body, req->body_len, f, &why, &where)) {
        metrics_inbound(w->metrics, MI_BAD_REQUEST);
        snprintf(msg, sizeof(msg), "bad form body at byte %zu: %s", where, why);
        http_text(res, 400, msg);
        return -1;
    }
    if ((size_t)snprintf(url, sizeof(url), "%s%s", w->cfg->public_url, req->raw_uri) >=
            sizeof(url) ||
        !twilio_verify(w->cfg->provider.auth_token, url, f,
                       http_header(req, "X-Twilio-Signature"))) {
        unsigned long n = atomic_fetch_add(&w->signature_failures, 1) + 1;
        unsigned long streak = atomic_fetch_add(&w->signature_streak, 1) + 1;
        metrics_inbound(w->metrics, MI_BAD_SIGNATURE);
        /* Every real text fails like this when public_url is wrong: say so loudly. */
        log_warnx("webhook.bad_signature",
                  "path=%s failures=%lu hint=\"check public_url matches the webhook URL "
                  "set at the provider\"",
                  req->path, n);
        form_free(f);
        http_text(res, 403, "signature does not match");
        /* A wrong public_url fails every text: in a row, the coordinators hear of it. */
        if (streak == WEBHOOK_SIGNATURE_ALERT && w->on_stored)
            w->on_stored(w->arg);
        return -1;
    }
    if (atomic_load(&w->signature_streak))
        atomic_store(&w->signature_streak, 0); /* a good one: not a wrong public_url */
    return 0;
}

static void twiml_ok(struct http_response *res)
{
    res->status = 200;
    res->content_type = "text/xml";
    buf_reset(&res->body);
    buf_puts(&res->body, TWIML_EMPTY);
}

/*
 * The answer to POST /twilio/sms (or /twilio/spool, the numbers' Fallback
 * URL: Twilio calls it when the first answer was an error) once its text is
 * written: on the fallback, a text the database still cannot take goes to
 * the spool file, durably, before its 200.
 */
static void sms_answer(struct webhook *w, const struct http_request *req, struct http_response *res,
                       const struct pending *p)
{
    const struct ingest_item *it = &p->it;
    char mfrom[LOG_MASK_LEN];

    if (it->rc == STORE_ERROR && !strcmp(req->path, "/twilio/spool") &&
        !spool_append(w->cfg->spool, req->body, req->body_len, wake_now_ms())) {
        log_warnx("inbound.spooled", "sid=%s from=%s", it->sid, log_mask_phone(it->from, mfrom));
        metrics_inbound(w->metrics, MI_SPOOLED);
        if (w->on_spooled)
            w->on_spooled(w->arg);
        twiml_ok(res);
        return;
    }
    if (it->rc == STORE_ERROR) {
        /* Twilio will not retry; the README tells operators to set a Fallback URL. */
        log_errorx("inbound.store_failed", "sid=%s from=%s", it->sid,
                   log_mask_phone(it->from, mfrom));
        metrics_inbound(w->metrics, MI_STORE_FAILED);
        http_text(res, 500, "could not store the message");
        return;
    }
    if (it->rc == STORE_NEW) {
        metrics_inbound(w->metrics, MI_STORED);
        log_info("inbound.stored", "sid=%s from=%s", it->sid, log_mask_phone(it->from, mfrom));
    } else {
        metrics_inbound(w->metrics, MI_DUPLICATE);
        log_info("inbound.duplicate", "sid=%s", it->sid);
    }
    twiml_ok(res);
}

/* POST /twilio/sms and /twilio/spool: checked, then written (see sms_answer). */
static void sms(struct webhook *w, const struct http_request *req, struct http_response *res)
{
    struct form f;
    struct pending *p;
    const char *sid, *from, *to, *body, *media, *why;
    long long nmedia = 0;

    if (twilio_front(w, req, res, &f))
        return;
    sid = form_get(&f, "MessageSid");
    from = form_get(&f, "From");
    to = form_get(&f, "To");
    body = form_get(&f, "Body");
    media = form_get(&f, "NumMedia");
    if (!twilio_sid_valid(sid)) {
        http_text(res, 400, "missing or malformed MessageSid");
        goto bad;
    }
    if (!from || parse_e164(from, &why) || !to || parse_e164(to, &why)) {
        http_text(res, 400, "From and To must be E.164 phone numbers");
        goto bad;
    }
    if (media && parse_int(media, 0, 100, &nmedia, &why)) {
        http_text(res, 400, "NumMedia must be a number from 0 to 100");
        goto bad;
    }
    p = new_pending(w, &f, INGEST_TEXT, sid, res);
    if (!p)
        goto bad;
    p->it.from = from;
    p->it.to = to;
    p->it.body = body ? body : "";
    p->it.num_media = (int)nmedia;
    if (!submit(w, req, p)) {
        sms_answer(w, req, res, p);
        free_pending(p);
    }
    return;
bad:
    metrics_inbound(w->metrics, MI_BAD_REQUEST);
    form_free(&f);
}

static void status_answer(struct webhook *w, struct http_response *res, const struct pending *p)
{
    if (p->it.rc == STORE_ERROR) {
        http_text(res, 500, "could not store the status");
        return;
    }
    if (p->it.rc == STORE_NEW)
        metrics_inbound(w->metrics, MI_STATUS);
    res->status = 204;
    res->content_type = "text/plain";
}

/* POST /twilio/status: a delivery status, written like a text. */
static void status(struct webhook *w, const struct http_request *req, struct http_response *res)
{
    struct form f;
    struct pending *p;
    const char *sid, *st, *code, *why;
    long long ec = 0;

    if (twilio_front(w, req, res, &f))
        return;
    sid = form_get(&f, "MessageSid");
    st = form_get(&f, "MessageStatus");
    if (!st)
        st = form_get(&f, "SmsStatus");
    code = form_get(&f, "ErrorCode");
    if (!twilio_sid_valid(sid) || !st || !*st || strlen(st) > 20) {
        http_text(res, 400, "missing MessageSid or MessageStatus");
        goto done;
    }
    if (code && *code && parse_int(code, 0, 999999, &ec, &why)) {
        http_text(res, 400, "ErrorCode must be a number");
        goto done;
    }
    p = new_pending(w, &f, INGEST_STATUS, sid, res);
    if (!p)
        goto done;
    p->it.status = st;
    p->it.error_code = (int)ec;
    if (!submit(w, req, p)) {
        status_answer(w, res, p);
        free_pending(p);
    }
    return;
done:
    form_free(&f);
}

void webhook_http(void *arg, const struct http_request *req, struct http_response *res)
{
    struct webhook *w = arg;
    int rc;

    if (req->parked) { /* written: answer it */
        if (!strcmp(req->path, "/twilio/status"))
            status_answer(w, res, req->parked);
        else
            sms_answer(w, req, res, req->parked);
        return;
    }
    if (!strcmp(req->path, "/healthz")) {
        if (strcmp(req->method, "GET") && strcmp(req->method, "HEAD")) {
            http_text(res, 405, "method not allowed");
            return;
        }
        pthread_mutex_lock(&w->mu);
        rc = store_ping(w->health);
        pthread_mutex_unlock(&w->mu);
        if (rc)
            http_text(res, 503, "database not answering");
        else
            http_text(res, 200, "ok");
        return;
    }
    if (!strcmp(req->path, "/twilio/sms") || !strcmp(req->path, "/twilio/spool") ||
        !strcmp(req->path, "/twilio/status")) {
        if (strcmp(req->method, "POST")) {
            http_text(res, 405, "method not allowed");
            res->header_name = "Allow";
            res->header_value = "POST";
            return;
        }
        if (!strcmp(req->path, "/twilio/status"))
            status(w, req, res);
        else
            sms(w, req, res);
        return;
    }
    http_text(res, 404, "not found");
}

/*
 * webhook.c - see webhook.h.
 */
#include "webhook.h"
#include "config.h"
#include "form.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "parse.h"
#include "spool.h"
#include "store.h"
#include "twilio.h"
#include "wake.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define TWIML_EMPTY "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>"

/* A webhook waits at most this long for the engine's write lock: well inside Twilio's 15 s. */
#define WEBHOOK_BUSY_MS 5000

int webhook_open(struct webhook *w, const struct config *cfg, char *err, size_t errlen)
{
    size_t i;

    w->cfg = cfg;
    if (pthread_mutex_init(&w->mu, NULL) || pthread_cond_init(&w->cv, NULL)) {
        snprintf(err, errlen, "cannot initialise a mutex");
        return -1;
    }
    w->opened = 1;
    for (i = 0; i < WEBHOOK_THREADS; i++) {
        w->stores[i] = store_open(cfg->database, err, errlen);
        if (!w->stores[i])
            return -1;
        store_set_busy_timeout(w->stores[i], WEBHOOK_BUSY_MS);
    }
    return 0;
}

void webhook_close(struct webhook *w)
{
    size_t i;

    if (!w->opened)
        return;
    w->opened = 0;
    for (i = 0; i < WEBHOOK_THREADS; i++) {
        store_close(w->stores[i]);
        w->stores[i] = NULL;
    }
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
}

/* Lends a database handle to one request (there are as many as HTTP threads). */
static struct store *borrow(struct webhook *w, int *slot)
{
    int i;

    pthread_mutex_lock(&w->mu);
    for (;;) {
        for (i = 0; i < WEBHOOK_THREADS; i++) {
            if (!w->lent[i]) {
                w->lent[i] = 1;
                *slot = i;
                pthread_mutex_unlock(&w->mu);
                return w->stores[i];
            }
        }
        pthread_cond_wait(&w->cv, &w->mu);
    }
}

static void give_back(struct webhook *w, int slot)
{
    pthread_mutex_lock(&w->mu);
    w->lent[slot] = 0;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
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
 * POST /twilio/sms, and POST /twilio/spool (the numbers' Fallback URL:
 * Twilio calls it when the first answer was an error): checked the same
 * way; on the fallback a text the database still cannot take goes to the
 * spool file, durably, before its 200.
 */
static void sms(struct webhook *w, struct store *db, const struct http_request *req,
                struct http_response *res, int fallback)
{
    struct form f;
    const char *sid, *from, *to, *body, *media, *why;
    char mfrom[LOG_MASK_LEN];
    long long nmedia = 0;
    int rc;

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
    rc = store_inbound_add(db, sid, from, to, body ? body : "", (int)nmedia, wake_now_ms());
    if (rc == STORE_ERROR && fallback &&
        !spool_append(w->cfg->spool, req->body, req->body_len, wake_now_ms())) {
        log_warnx("inbound.spooled", "sid=%s from=%s", sid, log_mask_phone(from, mfrom));
        metrics_inbound(w->metrics, MI_SPOOLED);
        if (w->on_spooled)
            w->on_spooled(w->arg);
        twiml_ok(res);
        goto done;
    }
    if (rc == STORE_ERROR) {
        /* Twilio will not retry; the README tells operators to set a Fallback URL. */
        log_errorx("inbound.store_failed", "sid=%s from=%s", sid, log_mask_phone(from, mfrom));
        metrics_inbound(w->metrics, MI_STORE_FAILED);
        http_text(res, 500, "could not store the message");
        goto done;
    }
    if (rc == STORE_NEW) {
        metrics_inbound(w->metrics, MI_STORED);
        log_info("inbound.stored", "sid=%s from=%s", sid, log_mask_phone(from, mfrom));
        if (w->on_stored)
            w->on_stored(w->arg);
    } else {
        metrics_inbound(w->metrics, MI_DUPLICATE);
        log_info("inbound.duplicate", "sid=%s", sid);
    }
    twiml_ok(res);
    goto done;
bad:
    metrics_inbound(w->metrics, MI_BAD_REQUEST);
done:
    form_free(&f);
}

static void status(struct webhook *w, struct store *db, const struct http_request *req,
                   struct http_response *res)
{
    struct form f;
    const char *sid, *st, *code, *why;
    long long ec = 0;
    int rc;

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
    rc = store_status_add(db, sid, st, (int)ec, wake_now_ms());
    if (rc == STORE_ERROR) {
        http_text(res, 500, "could not store the status");
        goto done;
    }
    if (rc == STORE_NEW) {
        metrics_inbound(w->metrics, MI_STATUS);
        if (w->on_stored)
            w->on_stored(w->arg);
    }
    res->status = 204;
    res->content_type = "text/plain";
done:
    form_free(&f);
}

void webhook_http(void *arg, const struct http_request *req, struct http_response *res)
{
    struct webhook *w = arg;
    int post = !strcmp(req->method, "POST"), slot;
    struct store *db;

    if (!strcmp(req->path, "/healthz")) {
        if (strcmp(req->method, "GET") && strcmp(req->method, "HEAD")) {
            http_text(res, 405, "method not allowed");
            return;
        }
        db = borrow(w, &slot);
        if (store_ping(db))
            http_text(res, 503, "database not answering");
        else
            http_text(res, 200, "ok");
        give_back(w, slot);
        return;
    }
    if (!strcmp(req->path, "/twilio/sms") || !strcmp(req->path, "/twilio/spool") ||
        !strcmp(req->path, "/twilio/status")) {
        if (!post) {
            http_text(res, 405, "method not allowed");
            res->header_name = "Allow";
            res->header_value = "POST";
            return;
        }
        db = borrow(w, &slot);
        if (!strcmp(req->path, "/twilio/status"))
            status(w, db, req, res);
        else
            sms(w, db, req, res, !strcmp(req->path, "/twilio/spool"));
        give_back(w, slot);
        return;
    }
    http_text(res, 404, "not found");
}

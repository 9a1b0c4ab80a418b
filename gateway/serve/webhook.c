/*
 * webhook.c - see webhook.h.
 */
#include "webhook.h"
#include "config.h"
#include "hookwatch.h"
#include "http.h"
#include "ingest.h"
#include "latency.h"
#include "log.h"
#include "metrics.h"
#include "provider.h"
#include "spool.h"
#include "store.h"
#include "wake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
    store_set_deadline(w->health, WEBHOOK_BUSY_MS + 1000);
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

/* A webhook waiting for its group commit: what it said, and what is being written. */
struct pending {
    struct webhook *w;
    struct http_ctx *token; /* NULL: the handler waits instead */
    struct provider_inbound in;
    struct ingest_item it;
};

static void free_pending(void *arg)
{
    struct pending *p = arg;

    provider_inbound_free(&p->in);
    free(p);
}

/* The writer's word that the item is written: the request carries on where it was parked. */
static void committed(struct ingest_item *it)
{
    struct pending *p = it->arg;

    http_resume(p->token);
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

/*
 * The common front of every provider webhook: verified, then read into *in.
 * Returns 0, or fills res with the refusal (*in then holds nothing).
 */
static int front(struct webhook *w, const struct provider *prov, const struct http_request *req,
                 struct http_response *res, struct provider_inbound *in)
{
    char why[200];
    enum provider_verdict v;

    memset(in, 0, sizeof(*in));
    v = prov->verify(w->cfg, req, wake_now_ms() / 1000, why, sizeof(why));
    if (v == PROVIDER_FORGED) {
        hookwatch_forged(w->watch, req, why, res);
        return -1;
    }
    if (v == PROVIDER_OK) {
        hookwatch_good(w->watch);
        v = prov->parse(req, in, why, sizeof(why));
    }
    if (v != PROVIDER_OK) {
        provider_inbound_free(in);
        hookwatch_bad(w->watch, why, res);
        return -1;
    }
    return 0;
}

/*
 * The answer to an inbound text once it is written. On Twilio's fallback
 * (POST /twilio/spool, the numbers' Fallback URL: Twilio calls it when the
 * first answer was an error), a text the database still cannot take goes
 * to the spool file, durably, before its 200.
 */
static void text_answer(struct webhook *w, const struct provider *prov,
                        const struct http_request *req, struct http_response *res,
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
        prov->answer(req, &p->in, res);
        return;
    }
    if (it->rc == STORE_ERROR) {
        /* The provider retries (Telnyx) or calls the Fallback URL (Twilio: see the README). */
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
    prov->answer(req, &p->in, res);
}

static void status_answer(struct webhook *w, const struct provider *prov,
                          const struct http_request *req, struct http_response *res,
                          const struct pending *p)
{
    if (p->it.rc == STORE_ERROR) {
        http_text(res, 500, "could not store the status");
        return;
    }
    if (p->it.rc == STORE_NEW)
        metrics_inbound(w->metrics, MI_STATUS);
    prov->answer(req, &p->in, res);
}

static void answer(struct webhook *w, const struct provider *prov, const struct http_request *req,
                   struct http_response *res, const struct pending *p)
{
    if (p->in.kind == PROVIDER_EV_STATUS)
        status_answer(w, prov, req, res, p);
    else
        text_answer(w, prov, req, res, p);
}

/*
 * A provider's webhook: checked, then (a text or a delivery status) written
 * by the group-commit writer and answered once it is.
 */
static void inbound(struct webhook *w, const struct provider *prov, const struct http_request *req,
                    struct http_response *res)
{
    struct pending *p = calloc(1, sizeof(*p));

    if (!p) {
        http_text(res, 500, "out of memory");
        return;
    }
    if (front(w, prov, req, res, &p->in)) {
        free(p);
        return;
    }
    if (p->in.kind == PROVIDER_EV_IGNORED) { /* nothing to keep: acknowledged at once */
        prov->answer(req, &p->in, res);
        free_pending(p);
        return;
    }
    p->w = w;
    p->it.arg = p;
    p->it.received_at = wake_now_ms();
    p->it.arrival_us = latency_now_us();
    /* Answered as failed past ~half the provider's patience, so a refusal still reaches it. */
    p->it.deadline_us = (int64_t)prov->answer_within_ms * 1000 * 8 / 15;
    p->it.sid = p->in.id;
    if (p->in.kind == PROVIDER_EV_STATUS) {
        p->it.kind = INGEST_STATUS;
        p->it.status = p->in.status;
        p->it.error_code = p->in.error_code;
    } else {
        p->it.kind = INGEST_TEXT;
        p->it.from = p->in.from;
        p->it.to = p->in.to;
        p->it.body = p->in.body;
        p->it.num_media = p->in.num_media;
    }
    if (!submit(w, req, p)) {
        answer(w, prov, req, res, p);
        free_pending(p);
    }
}

void webhook_http(void *arg, const struct http_request *req, struct http_response *res)
{
    struct webhook *w = arg;
    const struct provider *prov = provider_for(w->cfg);
    int rc;

    if (req->parked) { /* written: answer it */
        answer(w, prov, req, res, req->parked);
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
    if (provider_owns_path(prov, req->path)) {
        if (strcmp(req->method, "POST")) {
            http_text(res, 405, "method not allowed");
            res->header_name = "Allow";
            res->header_value = "POST";
            return;
        }
        inbound(w, prov, req, res);
        return;
    }
    http_text(res, 404, "not found");
}

/*
 * admin.h - the coordinators' side of the HTTP server: the dashboard page
 * (GET /admin), the JSON admin API (/admin/api/...) and /metrics.
 *
 * Every answer but the page needs a bearer token: admin.token reads,
 * a coordinator's own token (admin.coordinator_tokens) reads and acts.
 * Tokens are compared in constant time; a request without a valid one gets
 * 401. Nothing answered holds message text or a full phone number.
 *
 * Reads go through the admin's own database handle. Actions are written to
 * the audit table and carried out by the engine thread (it owns every state
 * change and the texts they cause); the request waits up to a few seconds
 * for the outcome. Everything but the page and the token check runs on the
 * admin's own threads (admin_pool.h), never on those that answer webhooks
 * and /healthz; the line's status is one snapshot pollers share, answered a
 * page of peers at a time (admin_status.h).
 */
#ifndef PEERLINE_ADMIN_H
#define PEERLINE_ADMIN_H

#include "admin_status.h"
#include "page.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

struct admin_pool;
struct config;
struct http_request;
struct http_response;
struct metrics;
struct roster;
struct store;

struct admin {
    _Atomic(const struct config *) cfg; /* the config in use (admin_set_config) */
    /* The roster in use, held for the caller (release with roster_free). */
    struct roster *(*hold_roster)(void *arg);
    /*
     * The config in use, kept in memory while a pool thread answers (a
     * reload may replace it meanwhile: generation.h): hold_config's value
     * goes back to release_config. Both NULL: configs are never freed.
     */
    void *(*hold_config)(void *arg);
    void (*release_config)(void *arg, void *held);
    void (*wake_engine)(void *arg); /* a new action is waiting */
    void *arg;
    struct metrics *metrics; /* counters for /metrics (may be NULL) */
    /* private */
    struct page page; /* the dashboard, with its script's and style's hashes */
    struct store *st;
    pthread_mutex_t mu;         /* st's */
    struct admin_pool *pool;    /* the threads every request but the page runs on */
    struct admin_status status; /* the line's status, shared by pollers */
    int opened;
};

/* Opens the admin's database handle. 0, or -1 with a reason in err. */
int admin_open(struct admin *a, const struct config *cfg, char *err, size_t errlen);
void admin_close(struct admin *a);
/* A reloaded config (tokens, timers): used from the next request. cfg must outlive a. */
void admin_set_config(struct admin *a, const struct config *cfg);

/* 1 when the request was for /admin, /admin/... or /metrics (res filled), else 0. */
int admin_http(struct admin *a, const struct http_request *req, struct http_response *res);

#endif

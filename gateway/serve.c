/*
 * serve.c - see serve.h.
 *
 * Threads: libmicrohttpd's (webhooks: verify, store, answer), the engine's
 * (inputs -> state + outbox, matching, timers), the sender's (outbox ->
 * provider), and this main thread, which only waits for signals. Each
 * thread that touches SQLite has its own connection. SIGHUP loads the
 * roster again and hands it to the engine thread, which swaps it between
 * runs; a roster with problems is refused and the running one kept.
 *
 * Shutdown (SIGTERM/SIGINT): stop accepting and finish requests in flight
 * (so every 200 given is stored), let the engine finish its run, let the
 * sender finish the requests in flight, exit 0. What is left in the outbox
 * is sent on the next start.
 */
#include "serve.h"
#include "admin.h"
#include "config.h"
#include "crosscheck.h"
#include "diag.h"
#include "engine.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "retention.h"
#include "roster.h"
#include "sender.h"
#include "store.h"
#include "texts.h"
#include "wake.h"
#include "webhook.h"

#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_BODY (64 * 1024)

struct daemon {
    struct config *cfg;
    struct texts *texts;
    struct webhook hook;
    struct admin admin;
    struct metrics metrics;
    struct http_server *http;
    struct sender *sender;
    struct janitor *janitor; /* retention, on schedule */

    struct store *engine_st;
    struct engine *engine;
    struct roster *roster;     /* the engine thread's */
    struct roster *new_roster; /* handed over under mu */
    struct roster *published;  /* under mu: the one in use, for readers on other threads */
    pthread_mutex_t mu;
    struct wake engine_wake;
    pthread_t engine_thread;
    atomic_int stopping;
};

static void wake_engine(void *arg)
{
    struct daemon *d = arg;

    wake_signal(&d->engine_wake);
}

static void *engine_loop(void *arg)
{
    struct daemon *d = arg;

    while (!atomic_load(&d->stopping)) {
        int64_t now = wake_now_ms(), due;
        struct roster *fresh;
        int queued = 0;

        pthread_mutex_lock(&d->mu);
        fresh = d->new_roster;
        d->new_roster = NULL;
        pthread_mutex_unlock(&d->mu);
        if (fresh) {
            roster_free(d->roster);
            d->roster = fresh;
            engine_set_roster(d->engine, fresh);
            roster_retain(fresh);
            pthread_mutex_lock(&d->mu);
            roster_free(d->published);
            d->published = fresh;
            pthread_mutex_unlock(&d->mu);
        }
        engine_run(d->engine, now, &due, &queued);
        if (queued)
            sender_wake(d->sender);
        now = wake_now_ms();
        wake_wait(&d->engine_wake, due == INT64_MAX ? -1 : (due > now ? due - now : 0));
    }
    return NULL;
}

/* The roster in use, held for a reader on another thread (release with roster_free). */
static struct roster *hold_roster(void *arg)
{
    struct daemon *d = arg;
    struct roster *r;

    pthread_mutex_lock(&d->mu);
    r = d->published;
    roster_retain(r);
    pthread_mutex_unlock(&d->mu);
    return r;
}

/* Every request: the coordinators' pages and API, or a provider's webhook. */
static void route(void *arg, const struct http_request *req, struct http_response *res)
{
    struct daemon *d = arg;

    if (!admin_http(&d->admin, req, res))
        webhook_http(&d->hook, req, res);
}

static void reload(struct daemon *d)
{
    struct diag *dg = diag_new();
    struct roster *r;
    size_t i;

    if (!dg)
        return;
    r = roster_load(d->cfg->roster, NULL, dg);
    if (r)
        crosscheck_files(d->cfg, r, dg);
    if (!r || diag_count(dg)) {
        roster_free(r);
        metrics_reload(&d->metrics, 0);
        log_warnx("roster.reload_failed", "problems=%zu kept=running", diag_count(dg));
        for (i = 0; i < diag_count(dg); i++)
            log_warnx("roster.problem", "msg=\"%s\"", diag_get(dg, i));
        diag_free(dg);
        return;
    }
    diag_free(dg);
    pthread_mutex_lock(&d->mu);
    roster_free(d->new_roster);
    d->new_roster = r;
    pthread_mutex_unlock(&d->mu);
    wake_signal(&d->engine_wake);
    metrics_reload(&d->metrics, 1);
    log_info("roster.reloaded", "peers=%zu topics=%zu", r->npeers, r->ntopics);
}

static int start(struct daemon *d, char *err, size_t errlen)
{
    struct http_opts ho = {0};
    char node[200], host[128] = "localhost";

    d->engine_st = store_open(d->cfg->database, err, errlen);
    if (!d->engine_st)
        return -1;
    if (webhook_open(&d->hook, d->cfg, err, errlen))
        return -1;
    d->hook.on_stored = wake_engine;
    d->hook.arg = d;
    d->hook.metrics = &d->metrics;
    if (admin_open(&d->admin, d->cfg, err, errlen))
        return -1;
    d->admin.hold_roster = hold_roster;
    d->admin.wake_engine = wake_engine;
    d->admin.arg = d;
    d->admin.metrics = &d->metrics;
    roster_retain(d->roster);
    d->published = d->roster;
    gethostname(host, sizeof(host) - 1);
    snprintf(node, sizeof(node), "%s:%d", host, d->cfg->listen_port);
    d->engine = engine_new(d->cfg, d->engine_st, node, d->texts);
    if (!d->engine) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    engine_set_roster(d->engine, d->roster);
    d->sender = sender_new(d->cfg, node, wake_engine, d, &d->metrics, err, errlen);
    if (!d->sender || sender_start(d->sender)) {
        if (d->sender)
            snprintf(err, errlen, "cannot start the sender thread");
        return -1;
    }
    d->janitor = janitor_start(d->cfg, err, errlen);
    if (!d->janitor)
        return -1;
    if (pthread_create(&d->engine_thread, NULL, engine_loop, d)) {
        snprintf(err, errlen, "cannot start the engine thread");
        return -1;
    }
    ho.host = d->cfg->listen_host;
    ho.port = d->cfg->listen_port;
    ho.max_body = MAX_BODY;
    ho.conn_limit = (unsigned)d->cfg->http.connection_limit;
    ho.timeout_s = (unsigned)((d->cfg->http.connection_timeout + 999) / 1000);
    ho.threads = WEBHOOK_THREADS;
    d->http = http_start(&ho, route, d, err, errlen);
    if (!d->http)
        return -1;
    return 0;
}

static void stop(struct daemon *d)
{
    if (d->http) {
        http_stop(d->http); /* waits for requests in flight: every 200 is stored */
        d->http = NULL;
    }
    if (d->engine_thread) {
        atomic_store(&d->stopping, 1);
        wake_signal(&d->engine_wake);
        pthread_join(d->engine_thread, NULL);
        d->engine_thread = 0;
    }
    sender_stop(d->sender);
    d->sender = NULL;
    janitor_stop(d->janitor);
    d->janitor = NULL;
    engine_free(d->engine);
    store_close(d->engine_st);
    webhook_close(&d->hook);
    admin_close(&d->admin);
    roster_free(d->roster);
    roster_free(d->new_roster);
    roster_free(d->published);
}

int serve_main(const char *config_path)
{
    struct daemon d;
    struct diag *dg = diag_new();
    sigset_t sigs;
    char err[512];
    int sig, rc = 1;
    size_t i;

    memset(&d, 0, sizeof(d));
    metrics_init(&d.metrics);
    if (!dg)
        return 1;
    d.cfg = config_load(config_path, NULL, dg);
    if (d.cfg)
        d.roster = roster_load(d.cfg->roster, NULL, dg);
    if (d.roster)
        crosscheck_files(d.cfg, d.roster, dg);
    if (d.roster && !diag_count(dg))
        d.texts = texts_new(d.cfg, dg);
    if (!d.cfg || !d.roster || !d.texts || diag_count(dg)) {
        for (i = 0; i < diag_count(dg); i++)
            fprintf(stderr, "%s\n", diag_get(dg, i));
        fprintf(stderr, "peerline: not starting: fix the problems above (peerline check -c %s)\n",
                config_path);
        diag_free(dg);
        texts_free(d.texts);
        config_free(d.cfg);
        roster_free(d.roster);
        return 1;
    }
    /* Over-long texts cost money but do not stop the line: check reports them as errors. */
    texts_check(d.texts, d.cfg, d.roster, dg);
    for (i = 0; i < diag_count(dg); i++)
        log_warnx("texts.over_budget", "msg=\"%s\"", diag_get(dg, i));
    diag_free(dg);
    if (!strcmp(d.cfg->log_level, "debug"))
        log_set_level(LOG_DEBUG);
    else if (!strcmp(d.cfg->log_level, "warn"))
        log_set_level(LOG_WARN);
    else if (!strcmp(d.cfg->log_level, "error"))
        log_set_level(LOG_ERROR);

    /* Signals are taken by this thread alone: block them before any thread starts. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (curl_global_init(CURL_GLOBAL_DEFAULT) || pthread_mutex_init(&d.mu, NULL) ||
        wake_init(&d.engine_wake)) {
        log_errorx("serve.start_failed", "err=\"cannot initialise\"");
        goto out;
    }
    if (start(&d, err, sizeof(err))) {
        log_errorx("serve.start_failed", "err=\"%s\"", err);
        goto stop;
    }
    log_info("serve.started", "listen=%s:%d peers=%zu pool=%zu", d.cfg->listen_host,
             http_port(d.http), d.roster->npeers, d.cfg->provider.npool);
    for (;;) {
        if (sigwait(&sigs, &sig))
            continue;
        if (sig == SIGHUP) {
            reload(&d);
            continue;
        }
        log_info("serve.stopping", "signal=%d", sig);
        break;
    }
    rc = 0;
stop:
    stop(&d);
    wake_destroy(&d.engine_wake);
    pthread_mutex_destroy(&d.mu);
out:
    curl_global_cleanup();
    texts_free(d.texts);
    config_free(d.cfg);
    if (!rc)
        log_info("serve.stopped", "%s", "");
    return rc;
}

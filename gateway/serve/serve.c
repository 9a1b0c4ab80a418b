/*
 * serve.c - see serve.h.
 *
 * Threads: libmicrohttpd's (webhooks, the admin API: verify, store,
 * answer), the engine's (inputs -> state + outbox, matching, timers), the
 * sender's (outbox -> provider), the janitor's (retention), and this main
 * thread, which waits for signals and for the config and roster files to
 * change. Each thread that touches SQLite has its own connection.
 *
 * Reload (SIGHUP, or an edit of either file seen by inotify): the files are
 * read and judged on the reload thread (reload.c), never here, so signals
 * are answered meanwhile and a SIGTERM stops a slow reload at once. What it
 * takes is put in use here: a new roster is handed to the engine thread,
 * which swaps it between runs; a new config (timers, texts, crisis, limits,
 * endings, retention, admin tokens, log level) likewise, and to the admin
 * API, the voice webhooks, the voicer and the janitor at once, keeping the
 * settings only a restart can apply (each logged). An old config is freed
 * once no thread can still read it (generation.h).
 *
 * Shutdown (SIGTERM/SIGINT): stop accepting and finish requests in flight
 * (so every 200 given is stored), let the engine finish its run, let the
 * sender finish the requests in flight, exit 0. What is left in the outbox
 * is sent on the next start.
 */
#include "serve.h"
#include "admin.h"
#include "config.h"
#include "diag.h"
#include "engine.h"
#include "hookwatch.h"
#include "nodes.h"
#include "http.h"
#include "log.h"
#include "checkpoint.h"
#include "generation.h"
#include "latency.h"
#include "linecheck.h"
#include "metrics.h"
#include "reload.h"
#include "retention.h"
#include "roster.h"
#include "sender.h"
#include "voice.h"
#include "voicer.h"
#include "store.h"
#include "texts.h"
#include "wake.h"
#include "webhook.h"

#include <curl/curl.h>
#include <errno.h>
#include <poll.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <unistd.h>

#define MAX_BODY (64 * 1024)
/* Editors write a file in several steps: reload once it has been quiet this long. */
#define RELOAD_QUIET_MS 300
/* An old config some thread still read: looked at again this often until it is freed. */
#define RECLAIM_MS 1000
/*
 * A following instance tries for the engine's lock this often (woken
 * early only to stop): the leader's death is noticed within this, plus
 * however long PostgreSQL takes to see its connection gone.
 */
#define FOLLOW_POLL_MS 1000
/* PostgreSQL: the longest the engine waits for any one answer (store_set_deadline). */
#define ENGINE_DEADLINE_MS 30000

struct daemon {
    const char *config_path;
    struct config *cfg;        /* the config in use (main thread) */
    struct texts *texts;       /* its templates */
    struct generations gens;   /* every config still in memory (generation.h) */
    struct roster *latest;     /* main thread: the roster last put in use (held) */
    struct reloader *reloader; /* the reload thread (reload.h) */
    struct reload_ask pending; /* asked while a reload ran: started when it is done */
    int have_pending;
    unsigned char cfg_digest[RELOAD_DIGEST_LEN]; /* of the config file as last put in use */
    struct webhook hook;
    struct hookwatch watch; /* refused webhooks, texts' and calls' alike (hookwatch.h) */
    struct admin admin;
    struct checkpointer *checkpointer; /* WAL checkpoints, off the commit path */
    struct store_gate gate;            /* the webhooks' writer goes first (store.h) */
    struct metrics metrics;
    struct http_server *http;
    struct sender *sender;
    struct voice voice;      /* the /twilio/voice webhooks */
    struct voicer *voicer;   /* the voice outbox and call timing */
    struct janitor *janitor; /* retention, on schedule */

    struct store *engine_st;
    struct engine *engine;
    struct roster *roster;     /* the engine thread's */
    struct roster *new_roster; /* handed over under mu */
    struct roster *published;  /* under mu: the one in use, for readers on other threads */
    struct config *new_cfg;    /* handed over under mu, with new_texts */
    struct texts *new_texts;
    const struct config *engine_cfg; /* under mu: the config the engine thread reads */
    pthread_mutex_t mu;
    struct wake engine_wake;
    pthread_t engine_thread;
    atomic_int stopping;
    atomic_int leading;  /* the engine thread holds the line's engine lock (store_lead) */
    int shared;          /* the database is PostgreSQL: other instances may share it */
    struct nodes *nodes; /* wake-ups from and to other instances */
    char node[200];      /* this instance's name: host:port */
};

/* Another instance (or this one) told of work: this instance's workers look. */
static void signal_engine(void *arg)
{
    struct daemon *d = arg;

    wake_signal(&d->engine_wake);
}

static void signal_sender(void *arg)
{
    struct daemon *d = arg;

    if (d->sender)
        sender_wake(d->sender);
}

static void signal_voicer(void *arg)
{
    struct daemon *d = arg;

    if (d->voicer)
        voicer_wake(d->voicer);
}

/*
 * Inputs were stored: the engine looks, wherever it leads (nodes.h). Told
 * to every instance even when this one seems to lead: it may have just
 * lost the lock without its engine noticing yet.
 */
static void wake_engine(void *arg)
{
    struct daemon *d = arg;

    wake_signal(&d->engine_wake);
    nodes_tell(d->nodes, NODES_ENGINE);
}

static void wake_janitor(void *arg)
{
    struct daemon *d = arg;

    janitor_wake(d->janitor);
}

/* The engine queued texts: the sender starts on them now (set once the sender exists). */
static void wake_sender(void *arg)
{
    struct daemon *d = arg;

    if (d->sender)
        sender_wake(d->sender);
}

static void *engine_loop(void *arg)
{
    struct daemon *d = arg;

    prctl(PR_SET_NAME, "engine"); /* named in top, perf and gdb */
    while (!atomic_load(&d->stopping)) {
        int64_t now = wake_now_ms(), due;
        struct roster *fresh;
        int queued = 0, took, leading;
        struct config *cfg;
        struct texts *texts;

        pthread_mutex_lock(&d->mu);
        fresh = d->new_roster;
        d->new_roster = NULL;
        cfg = d->new_cfg;
        texts = d->new_texts;
        d->new_cfg = NULL;
        d->new_texts = NULL;
        /* Under mu: the main thread frees an old config only when the engine is past it. */
        if (cfg && engine_set_config(d->engine, cfg, texts))
            log_warnx("config.engine_kept_old", "%s", "err=\"out of memory\"");
        else if (cfg)
            d->engine_cfg = cfg;
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
        /* One engine per line: on PostgreSQL, the instance holding the lock (store.h). */
        leading = store_lead(d->engine_st, &took);
        if (leading != atomic_load(&d->leading)) {
            log_info(leading ? "engine.leading" : "engine.following", "node=\"%s\"", d->node);
            /* Whatever woke this engine for work it can no longer do goes to the next leader. */
            if (!leading)
                nodes_tell(d->nodes, NODES_ENGINE);
        }
        atomic_store(&d->leading, leading);
        if (!leading) {
            int64_t until = wake_now_ms() + FOLLOW_POLL_MS, left;
            while (!atomic_load(&d->stopping) && (left = until - wake_now_ms()) > 0)
                wake_wait(&d->engine_wake, left);
            continue;
        }
        if (took)
            engine_took_over(d->engine);
        engine_run(d->engine, now, &due, &queued);
        if (queued) {
            sender_wake(d->sender);
            nodes_tell(d->nodes, NODES_SENDER);
        }
        now = wake_now_ms();
        /*
         * On PostgreSQL the leader looks at least every FOLLOW_POLL_MS too:
         * a wake-up told while it was changing hands, or lost with a
         * connection, is then late by a second at most.
         */
        if (d->shared && (due == INT64_MAX || due > now + FOLLOW_POLL_MS))
            due = now + FOLLOW_POLL_MS;
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

/* The config generation in use, held for an admin pool thread (admin.h). */
static void *hold_config(void *arg)
{
    struct daemon *d = arg;

    return generation_hold(&d->gens);
}

static void release_config(void *arg, void *held)
{
    struct daemon *d = arg;

    generation_release(&d->gens, held);
}

/* A call decided something: its REST calls go out, and the engine may owe texts about it. */
static void wake_voice(void *arg)
{
    struct daemon *d = arg;

    voicer_wake(d->voicer);
    wake_engine(d);
    nodes_tell(d->nodes, NODES_VOICER);
}

/* Every request: the coordinators' pages and API, a call, or a provider's webhook. */
static void route(void *arg, const struct http_request *req, struct http_response *res)
{
    struct daemon *d = arg;
    /* Whatever config the handlers read, the one current now stays in memory until done. */
    struct generation *g = generation_hold(&d->gens);

    if (!admin_http(&d->admin, req, res) && !voice_http(&d->voice, req, res))
        webhook_http(&d->hook, req, res);
    generation_release(&d->gens, g);
}

static void set_log_level(const struct config *c)
{
    if (!strcmp(c->log_level, "debug"))
        log_set_level(LOG_DEBUG);
    else if (!strcmp(c->log_level, "warn"))
        log_set_level(LOG_WARN);
    else if (!strcmp(c->log_level, "error"))
        log_set_level(LOG_ERROR);
    else
        log_set_level(LOG_INFO);
}

/* 1 while a thread other than this one may read cfg (generations_reclaim). */
static int reading(void *arg, const struct config *cfg)
{
    struct daemon *d = arg;
    int engine;

    pthread_mutex_lock(&d->mu);
    engine = d->engine_cfg == cfg || d->new_cfg == cfg;
    pthread_mutex_unlock(&d->mu);
    return engine || voicer_config_read(d->voicer) == cfg || janitor_config_read(d->janitor) == cfg;
}

/* Frees the old configs no thread reads any more; 1 when some must wait. */
static int reclaim(struct daemon *d)
{
    size_t left = generations_reclaim(&d->gens, reading, d);

    metrics_config_generations(&d->metrics, atomic_load(&d->gens.live));
    return left > 0;
}

/* A reload's config goes in use: every reader is pointed at it, then it is published. */
static void use_config(struct daemon *d, struct reload_result *res)
{
    size_t i;

    if (res->nrestart) {
        for (i = 0; i < res->nrestart; i++)
            log_warnx("config.restart_needed", "key=%s", res->restart_keys[i]);
        log_warnx("config.reload_deferred",
                  "changes=%zu kept=running hint=\"restart peerline to apply these\"",
                  res->nrestart);
    }
    set_log_level(res->cfg);
    admin_set_config(&d->admin, res->cfg);
    voice_set_config(&d->voice, res->cfg);
    voicer_set_config(d->voicer, res->cfg);
    janitor_set_config(d->janitor, res->cfg);
    pthread_mutex_lock(&d->mu);
    d->new_cfg = res->cfg;
    d->new_texts = res->texts;
    pthread_mutex_unlock(&d->mu);
    if (generations_publish(&d->gens, res->cfg, res->texts)) {
        /* No room to remember it: keep it in use and never free it (it is small). */
        log_warnx("config.generation_kept", "%s", "err=\"out of memory\"");
    }
    if (res->have_digest)
        memcpy(d->cfg_digest, res->digest, sizeof(d->cfg_digest));
    d->cfg = res->cfg;
    d->texts = res->texts;
    res->cfg = NULL;
    res->texts = NULL;
    wake_signal(&d->engine_wake);
    log_info("config.reloaded", "path=%s", d->config_path);
}

/* A reload's roster goes to the engine thread (and is the one the next reload judges against). */
static void use_roster(struct daemon *d, struct reload_result *res)
{
    struct roster *r = res->roster;

    res->roster = NULL;
    roster_free(d->latest);
    d->latest = r;
    roster_retain(r);
    pthread_mutex_lock(&d->mu);
    roster_free(d->new_roster);
    d->new_roster = r;
    pthread_mutex_unlock(&d->mu);
    wake_signal(&d->engine_wake);
    log_info("roster.reloaded", "peers=%zu topics=%zu", r->npeers, r->ntopics);
}

/* Starts a reload on its thread, or, while one runs, remembers to start another after it. */
static void ask_reload(struct daemon *d, int config, int roster, int forced)
{
    struct reload_ask ask = {config, roster, forced};
    struct reload_base base = {d->config_path, d->cfg, d->texts, d->latest, {0}};

    if (reloader_busy(d->reloader)) {
        d->pending.config |= config;
        d->pending.roster |= roster;
        d->pending.forced |= forced;
        d->have_pending = 1;
        return;
    }
    memcpy(base.digest, d->cfg_digest, sizeof(base.digest));
    if (reloader_start(d->reloader, &ask, &base)) {
        log_warnx("reload.failed", "%s", "err=\"cannot start the reload thread\" kept=running");
        metrics_reload(&d->metrics, 0);
    }
}

/* The reload thread is done: what it took goes in use, and the next one asked for starts. */
static void reload_done(struct daemon *d)
{
    struct reload_result res;

    reloader_finish(d->reloader, &res);
    if (res.cfg)
        use_config(d, &res);
    if (res.roster)
        use_roster(d, &res);
    if (res.ran)
        metrics_reload(&d->metrics, !res.refused);
    reload_result_free(&res);
    (void)reclaim(d);
    if (d->have_pending) {
        d->have_pending = 0;
        ask_reload(d, d->pending.config, d->pending.roster, d->pending.forced);
        memset(&d->pending, 0, sizeof(d->pending));
    }
}

/* ---- watching the two files ---- */

struct watch {
    int fd;
    int debounce_due; /* a change was seen: reload after a short quiet */
    int64_t due_at;
    int config, roster; /* which files changed */
};

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');

    return s ? s + 1 : path;
}

/* Watches the directories holding the two files (editors replace a file by renaming). */
static void watch_files(struct watch *w, const struct daemon *d)
{
    char dir[4096];
    const char *paths[2] = {d->config_path, d->cfg->roster};
    int i;

    for (i = 0; i < 2 && w->fd >= 0; i++) {
        const char *slash = strrchr(paths[i], '/');
        if (slash)
            snprintf(dir, sizeof(dir), "%.*s", (int)(slash - paths[i]), paths[i]);
        else
            snprintf(dir, sizeof(dir), ".");
        if (!dir[0])
            snprintf(dir, sizeof(dir), "/");
        if (inotify_add_watch(w->fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE) < 0)
            log_warnx("reload.watch_failed", "dir=%s err=\"%s\"", dir, strerror(errno));
    }
}

/* Reads inotify events: a write to either file schedules a reload shortly after. */
static void watch_read(struct watch *w, const struct daemon *d)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    const char *cfg_name = base_name(d->config_path), *roster_name = base_name(d->cfg->roster);
    ssize_t n;

    while ((n = read(w->fd, buf, sizeof(buf))) > 0) {
        char *p = buf;
        while (p < buf + n) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            if (ev->len && !strcmp(ev->name, cfg_name))
                w->config = 1;
            if (ev->len && !strcmp(ev->name, roster_name))
                w->roster = 1;
            p += sizeof(*ev) + ev->len;
        }
    }
    if (w->config || w->roster) {
        w->debounce_due = 1;
        w->due_at = wake_now_ms() + RELOAD_QUIET_MS;
    }
}

static int start(struct daemon *d, char *err, size_t errlen)
{
    struct http_opts ho = {0};
    struct nodes_wakers nw = {signal_engine, signal_sender, signal_voicer, NULL};
    char host[128] = "localhost";

    d->engine_st = store_open(d->cfg->database, err, errlen);
    if (!d->engine_st)
        return -1;
    d->shared = store_is_postgres(d->cfg->database);
    /* The engine's statements are short: one that hangs is given up, so SIGTERM still stops it. */
    store_set_deadline(d->engine_st, ENGINE_DEADLINE_MS);
    /* SQLite's write-ahead log; PostgreSQL checkpoints by itself. */
    if (!store_is_postgres(d->cfg->database)) {
        d->checkpointer = checkpoint_start(d->cfg->database, err, errlen);
        if (!d->checkpointer)
            return -1;
    }
    d->watch.forged_total = &d->metrics.inbound[MI_BAD_SIGNATURE];
    d->watch.bad_total = &d->metrics.inbound[MI_BAD_REQUEST];
    d->watch.on_streak = wake_engine;
    d->watch.arg = d;
    d->hook.watch = &d->watch;
    d->hook.metrics = &d->metrics;
    d->hook.gate = &d->gate;
    store_use_gate(d->engine_st, &d->gate, 0);
    if (webhook_open(&d->hook, d->cfg, err, errlen))
        return -1;
    d->hook.on_stored = wake_engine;
    d->hook.on_spooled = wake_janitor;
    d->hook.arg = d;
    if (admin_open(&d->admin, d->cfg, err, errlen))
        return -1;
    d->admin.hold_roster = hold_roster;
    d->admin.hold_config = hold_config;
    d->admin.release_config = release_config;
    d->admin.wake_engine = wake_engine;
    d->admin.arg = d;
    d->admin.metrics = &d->metrics;
    if (voice_open(&d->voice, d->cfg, err, errlen))
        return -1;
    d->voice.hold_roster = hold_roster;
    d->voice.wake = wake_voice;
    d->voice.arg = d;
    d->voice.watch = &d->watch;
    d->voicer = voicer_start(d->cfg, wake_engine, d, err, errlen);
    if (!d->voicer)
        return -1;
    roster_retain(d->roster);
    d->published = d->roster;
    roster_retain(d->roster);
    d->latest = d->roster;
    d->engine_cfg = d->cfg;
    gethostname(host, sizeof(host) - 1);
    snprintf(d->node, sizeof(d->node), "%s:%d", host, d->cfg->listen_port);
    d->engine = engine_new(d->cfg, d->engine_st, d->node, d->texts);
    if (!d->engine) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    engine_set_roster(d->engine, d->roster);
    engine_watch_signatures(d->engine, &d->watch.streak, HOOKWATCH_ALERT);
    engine_watch_latency(d->engine, d->metrics.timing, wake_sender, d);
    d->sender = sender_new(d->cfg, d->node, wake_engine, d, &d->metrics, err, errlen);
    if (d->sender)
        sender_use_gate(d->sender, &d->gate);
    if (!d->sender || sender_start(d->sender)) {
        if (d->sender)
            snprintf(err, errlen, "cannot start the sender thread");
        return -1;
    }
    d->janitor = janitor_start(d->cfg, d->shared ? &d->leading : NULL, wake_engine, d, err, errlen);
    if (!d->janitor)
        return -1;
    nw.arg = d;
    d->nodes = nodes_start(d->cfg->database, &nw, err, errlen);
    if (!d->nodes)
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
    ho.per_ip_limit = (unsigned)d->cfg->http.per_ip_limit;
    ho.idle_ms = (unsigned)d->cfg->http.idle_timeout;
    ho.header_ms = (unsigned)d->cfg->http.header_timeout;
    ho.body_ms = (unsigned)d->cfg->http.body_timeout;
    ho.threads = WEBHOOK_THREADS;
    d->http = http_start(&ho, route, d, err, errlen);
    if (!d->http)
        return -1;
    return 0;
}

static void stop(struct daemon *d)
{
    reloader_stop(d->reloader); /* a reload in progress stops at once; what it read is dropped */
    d->reloader = NULL;
    if (d->http) {
        http_stop(d->http); /* waits for requests in flight: every 200 is stored */
        d->http = NULL;
    }
    nodes_stop(d->nodes); /* wakes no worker from here on (freed once they have stopped) */
    if (d->engine_thread) {
        atomic_store(&d->stopping, 1);
        wake_signal(&d->engine_wake);
        pthread_join(d->engine_thread, NULL);
        d->engine_thread = 0;
    }
    sender_stop(d->sender);
    d->sender = NULL;
    voicer_stop(d->voicer);
    d->voicer = NULL;
    janitor_stop(d->janitor);
    d->janitor = NULL;
    nodes_free(d->nodes);
    d->nodes = NULL;
    engine_free(d->engine);
    store_close(d->engine_st);
    checkpoint_stop(d->checkpointer);
    d->checkpointer = NULL;
    webhook_close(&d->hook);
    admin_close(&d->admin);
    voice_close(&d->voice);
    roster_free(d->roster);
    roster_free(d->new_roster);
    roster_free(d->published);
    roster_free(d->latest);
}

/*
 * Waits for signals (SIGHUP reloads both files; SIGTERM/SIGINT stop), for
 * the files to change and for the reload thread to be done. Nothing here
 * waits on a reload. Returns 0 when asked to stop.
 */
static int main_loop(struct daemon *d, const sigset_t *sigs, const struct watch *wp)
{
    struct watch w = *wp;
    int sfd = signalfd(-1, sigs, SFD_CLOEXEC), waiting_old = 0;

    if (sfd < 0) {
        log_errorx("serve.signals", "err=\"%s\"", strerror(errno));
        return 1;
    }
    for (;;) {
        struct pollfd p[3] = {
            {sfd, POLLIN, 0}, {reloader_fd(d->reloader), POLLIN, 0}, {w.fd, POLLIN, 0}};
        int64_t now = wake_now_ms();
        int timeout = w.debounce_due ? (int)(w.due_at > now ? w.due_at - now : 0) : -1;

        if (waiting_old && (timeout < 0 || timeout > RECLAIM_MS))
            timeout = RECLAIM_MS;
        if (poll(p, w.fd >= 0 ? 3 : 2, timeout) < 0 && errno != EINTR)
            break;
        if (p[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                if (si.ssi_signo != SIGHUP) {
                    log_info("serve.stopping", "signal=%u", si.ssi_signo);
                    break;
                }
                ask_reload(d, 1, 1, 1);
            }
        }
        if (p[1].revents & POLLIN) {
            reload_done(d);
            watch_files(&w, d); /* the config may name another roster */
        }
        if (w.fd >= 0 && (p[2].revents & POLLIN))
            watch_read(&w, d);
        if (w.debounce_due && wake_now_ms() >= w.due_at) {
            log_info("reload.file_changed", "config=%d roster=%d", w.config, w.roster);
            ask_reload(d, w.config, w.roster, 0);
            w.debounce_due = w.config = w.roster = 0;
        }
        waiting_old = reclaim(d);
    }
    close(sfd);
    return 0;
}

/* What the line starts on: every check `peerline check` makes (linecheck.h), all fatal. */
static int load(struct daemon *d, const char *config_path)
{
    struct diag *dg = diag_new();
    struct line_files f;
    size_t i;

    if (!dg)
        return -1;
    (void)reload_digest(config_path, d->cfg_digest); /* before the load: a change now is seen */
    if (linecheck_load(config_path, &f, dg) || diag_count(dg)) {
        for (i = 0; i < diag_count(dg); i++)
            fprintf(stderr, "%s\n", diag_get(dg, i));
        fprintf(stderr, "peerline: not starting: fix the problems above (peerline check -c %s)\n",
                config_path);
        linecheck_free(&f);
        diag_free(dg);
        return -1;
    }
    diag_free(dg);
    d->cfg = f.cfg;
    d->texts = f.texts;
    d->roster = f.roster;
    return 0;
}

int serve_main(const char *config_path)
{
    struct daemon d;
    struct watch watch = {.fd = -1};
    sigset_t sigs;
    char err[512];
    int rc = 1;

    memset(&d, 0, sizeof(d));
    metrics_init(&d.metrics);
    hookwatch_init(&d.watch);
    if (load(&d, config_path))
        return 1;
    set_log_level(d.cfg);
    d.config_path = config_path;
    d.reloader = reloader_new();
    if (!d.reloader || generations_init(&d.gens, d.cfg, d.texts)) {
        reloader_stop(d.reloader);
        texts_free(d.texts);
        config_free(d.cfg);
        roster_free(d.roster);
        return 1;
    }
    metrics_config_generations(&d.metrics, 1);

    /* Signals are taken by this thread alone: block them before any thread starts. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* A file-size limit reached: a write fails (SQLite reports it), not the whole process. */
    signal(SIGXFSZ, SIG_IGN);

    if (curl_global_init(CURL_GLOBAL_DEFAULT) || pthread_mutex_init(&d.mu, NULL) ||
        wake_init(&d.engine_wake)) {
        log_errorx("serve.start_failed", "err=\"cannot initialise\"");
        goto out;
    }
    /* Watching before the first request is answered: no edit can slip in between. */
    watch.fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (watch.fd < 0)
        log_warnx("reload.watch_failed", "err=\"%s\" only=SIGHUP", strerror(errno));
    watch_files(&watch, &d);
    d.metrics.timing = latency_new();
    if (!d.metrics.timing) {
        snprintf(err, sizeof(err), "out of memory");
        log_errorx("serve.start_failed", "err=\"%s\"", err);
        goto stop;
    }
    if (start(&d, err, sizeof(err))) {
        log_errorx("serve.start_failed", "err=\"%s\"", err);
        goto stop;
    }
    /* Loading the files and the first queries leave freed heap behind: give it back. */
    malloc_trim(0);
    log_info("serve.started", "listen=%s:%d peers=%zu pool=%zu", d.cfg->listen_host,
             http_port(d.http), d.roster->npeers, d.cfg->provider.npool);
    {
        /* The spool is only needed when the database fails: find out now if it could work. */
        char dir[4096];
        const char *slash = strrchr(d.cfg->spool, '/');
        snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - d.cfg->spool) : 1,
                 slash ? d.cfg->spool : ".");
        if (access(dir[0] ? dir : "/", W_OK))
            log_warnx("spool.unwritable",
                      "dir=\"%s\" hint=\"the Fallback URL could not keep texts\"", dir);
    }
    if (!d.cfg->retention.hash_key || !*d.cfg->retention.hash_key)
        log_warnx("retention.hash_key_unset", "%s",
                  "msg=\"texter numbers past retention are hashed with a key kept in the "
                  "database; set retention.hash_key (file:PATH) to keep it elsewhere\"");
    rc = main_loop(&d, &sigs, &watch);
stop:
    stop(&d);
    latency_free(d.metrics.timing);
    if (watch.fd >= 0)
        close(watch.fd);
    wake_destroy(&d.engine_wake);
    pthread_mutex_destroy(&d.mu);
out:
    curl_global_cleanup();
    reloader_stop(d.reloader); /* when start-up failed before stop() */
    generations_free(&d.gens);
    if (!rc)
        log_info("serve.stopped", "%s", "");
    return rc;
}

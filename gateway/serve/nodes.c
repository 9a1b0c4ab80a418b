/*
 * nodes.c - see nodes.h.
 *
 * The teller sleeps until nodes_tell() leaves it something to say, then
 * sends one NOTIFY per channel for everything asked meanwhile (so a burst of
 * webhooks costs one round trip, not one each). The listener waits on its
 * connection's socket; a notification from any instance, this one's own
 * included, wakes the worker it names. After a lost connection, the store
 * reconnects, listens again and reports "", and every worker is woken once.
 */
#include "nodes.h"
#include "log.h"
#include "store.h"
#include "wake.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#define RETRY_MS          1000 /* the database is unreachable: try again this often */
#define NODES_DEADLINE_MS 5000 /* the longest an answer is waited for (store_set_deadline) */

static const struct {
    int what;
    const char *channel;
} channels[] = {
    {NODES_ENGINE, "peerline_engine"},
    {NODES_SENDER, "peerline_sender"},
    {NODES_VOICER, "peerline_voicer"},
};
#define NCHANNELS (sizeof(channels) / sizeof(channels[0]))

struct nodes {
    struct nodes_wakers w;
    struct store *tell_st, *listen_st;
    struct wake tell_wake;
    atomic_int asked;   /* enum nodes_what, or'd: not told yet */
    atomic_int telling; /* the teller runs: nodes_tell() has someone to leave work to */
    atomic_int stopping;
    pthread_t teller, listener;
    int threads; /* how many were started */
};

static void *teller(void *arg)
{
    struct nodes *n = arg;
    int failing = 0;

    prctl(PR_SET_NAME, "nodes-tell");
    while (!atomic_load(&n->stopping)) {
        int what = atomic_exchange(&n->asked, 0), rc = 0;
        size_t i;

        for (i = 0; i < NCHANNELS; i++)
            if ((what & channels[i].what) && store_notify(n->tell_st, channels[i].channel))
                rc = -1;
        if (rc && !failing)
            log_warnx("nodes.tell_failed", "err=\"%s\"", store_errmsg(n->tell_st));
        failing = rc != 0;
        if (rc) { /* not told: kept for the next try (the polls cover the meantime) */
            atomic_fetch_or(&n->asked, what);
            wake_sleep_ms(RETRY_MS);
        }
        if (!atomic_load(&n->asked))
            wake_wait(&n->tell_wake, -1);
    }
    return NULL;
}

static void wake_all(struct nodes *n, int what)
{
    if ((what & NODES_ENGINE) && n->w.engine)
        n->w.engine(n->w.arg);
    if ((what & NODES_SENDER) && n->w.sender)
        n->w.sender(n->w.arg);
    if ((what & NODES_VOICER) && n->w.voicer)
        n->w.voicer(n->w.arg);
}

static int listen_all(struct nodes *n)
{
    size_t i;

    for (i = 0; i < NCHANNELS; i++)
        if (store_listen(n->listen_st, channels[i].channel))
            return -1;
    return 0;
}

static void *listener(void *arg)
{
    struct nodes *n = arg;
    int failing = 0;

    prctl(PR_SET_NAME, "nodes-listen");
    while (!atomic_load(&n->stopping)) {
        char ch[64];
        int rc = store_wait(n->listen_st, 200, ch, sizeof(ch)), what = 0;
        size_t i;

        if (rc < 0) {
            if (!failing)
                log_warnx("nodes.listen_failed", "err=\"%s\"", store_errmsg(n->listen_st));
            failing = 1;
            wake_sleep_ms(RETRY_MS);
            continue;
        }
        if (failing && !rc)
            log_info("nodes.listening", "%s", "again=1");
        failing = 0;
        if (!rc)
            continue;
        for (i = 0; i < NCHANNELS; i++)
            if (!*ch || !strcmp(ch, channels[i].channel))
                what |= channels[i].what;
        wake_all(n, what);
    }
    return NULL;
}

struct nodes *nodes_start(const char *database, const struct nodes_wakers *w, char *err,
                          size_t errlen)
{
    struct nodes *n = calloc(1, sizeof(*n));

    if (!n || wake_init(&n->tell_wake)) {
        snprintf(err, errlen, "out of memory");
        free(n);
        return NULL;
    }
    n->w = *w;
    if (!store_is_postgres(database))
        return n; /* one instance: nothing to tell */
    n->tell_st = store_open(database, err, errlen);
    if (!n->tell_st)
        goto fail;
    n->listen_st = store_open(database, err, errlen);
    if (!n->listen_st)
        goto fail;
    /* Short statements: a server that stops answering never holds these threads (or a stop). */
    store_set_deadline(n->tell_st, NODES_DEADLINE_MS);
    store_set_deadline(n->listen_st, NODES_DEADLINE_MS);
    if (listen_all(n)) {
        snprintf(err, errlen, "cannot listen for other instances: %s", store_errmsg(n->listen_st));
        goto fail;
    }
    if (pthread_create(&n->teller, NULL, teller, n))
        goto fail_thread;
    n->threads = 1;
    atomic_store(&n->telling, 1);
    if (pthread_create(&n->listener, NULL, listener, n))
        goto fail_thread;
    n->threads = 2;
    return n;
fail_thread:
    snprintf(err, errlen, "cannot start the threads that tell other instances");
fail:
    nodes_stop(n);
    nodes_free(n);
    return NULL;
}

void nodes_tell(struct nodes *n, int what)
{
    if (!n || !atomic_load(&n->telling))
        return;
    atomic_fetch_or(&n->asked, what);
    wake_signal(&n->tell_wake);
}

void nodes_stop(struct nodes *n)
{
    if (!n)
        return;
    atomic_store(&n->telling, 0);
    atomic_store(&n->stopping, 1);
    wake_signal(&n->tell_wake);
    if (n->threads > 0)
        pthread_join(n->teller, NULL);
    if (n->threads > 1)
        pthread_join(n->listener, NULL);
    n->threads = 0;
    store_close(n->tell_st);
    store_close(n->listen_st);
    n->tell_st = n->listen_st = NULL;
}

void nodes_free(struct nodes *n)
{
    if (!n)
        return;
    nodes_stop(n);
    wake_destroy(&n->tell_wake);
    free(n);
}

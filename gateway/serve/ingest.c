/*
 * ingest.c - see ingest.h.
 *
 * The queue is a FIFO list under one mutex; the writer takes up to
 * INGEST_GROUP items at a time, so arrival order is kept across groups. An
 * item waited for by ingest_submit_wait() is signalled through the same
 * mutex and a condition variable shared by every waiter.
 */
#include "ingest.h"
#include "latency.h"
#include "log.h"
#include "metrics.h"
#include "store.h"

#include <pthread.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <stdlib.h>

/*
 * Twilio waits 15 s for an answer. A webhook that has waited this long
 * since it arrived (queued behind a database that is stuck) is answered as
 * failed without a try, so its 500, or its spooling on the Fallback URL,
 * still leaves in time: a write started just before the deadline waits at
 * most BUSY_MS for the lock, 12 s in all.
 */
#define DEADLINE_US (8 * 1000000LL)
/* How long a write waits for another writer's lock. */
#define BUSY_MS 4000

static int too_late(const struct ingest_item *it)
{
    return it->arrival_us &&
           latency_now_us() - it->arrival_us > (it->deadline_us ? it->deadline_us : DEADLINE_US);
}

struct ingest {
    struct store *st;
    struct metrics *metrics;
    struct latency *lat;
    void (*on_new)(void *arg);
    void *arg;
    int group_failed; /* the last group was written again one by one (writer thread only) */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t work;   /* items queued, or stopping */
    pthread_cond_t answer; /* a waited-for item finished */
    struct ingest_item *head, *tail;
    int stopping;
};

static int write_one(struct store *st, struct ingest_item *it)
{
    int rc;

    if (it->kind == INGEST_STATUS)
        return store_status_add(st, it->sid, it->status, it->error_code, it->received_at);
    rc = store_inbound_add(st, it->sid, it->from, it->to, it->body, it->num_media, it->received_at);
    it->id = rc == STORE_NEW ? store_last_id(st) : 0;
    return rc;
}

/*
 * Every item of the group not past its deadline (todo of them), at once
 * (store_add_many: one round trip on PostgreSQL), inside the group's
 * transaction. 0, or -1 (nothing of it holds: roll back).
 */
static int write_all(struct ingest *g, struct ingest_item *group, int todo)
{
    struct store_new *items = calloc((size_t)todo, sizeof(*items));
    struct ingest_item *it;
    size_t n = 0;
    int rc;

    if (!items)
        return -1;
    for (it = group; it; it = it->next) {
        struct store_new *sn = &items[n];
        if (it->late)
            continue;
        sn->is_status = it->kind == INGEST_STATUS;
        sn->sid = it->sid;
        sn->from = it->from;
        sn->to = it->to;
        sn->body = it->body;
        sn->num_media = it->num_media;
        sn->status = it->status;
        sn->error_code = it->error_code;
        sn->now = it->received_at;
        n++;
    }
    rc = store_add_many(g->st, items, n);
    for (it = group, n = 0; it && !rc; it = it->next) {
        if (it->late)
            continue;
        it->rc = items[n].rc;
        it->id = items[n].rc == STORE_NEW && !items[n].is_status ? items[n].id : 0;
        n++;
    }
    free(items);
    return rc ? -1 : 0;
}

/*
 * Writes a group in one transaction, setting each item's rc. If anything
 * fails, the group is rolled back and written again an item at a time, so
 * every item gets the answer that is true for it alone.
 */
static void write_group(struct ingest *g, struct ingest_item *group)
{
    struct ingest_item *it;
    int failed, late = 0, todo = 0;

    for (it = group; it; it = it->next) {
        it->rc = STORE_ERROR;
        it->late = too_late(it);
        late += it->late;
        todo += !it->late;
    }
    if (late)
        log_warnx("ingest.too_late", "webhooks=%d hint=\"the database did not answer in time\"",
                  late);
    if (!todo)
        return;
    failed = store_begin_shared(g->st) != 0; /* inserts by provider id: safe side by side */
    if (!failed)
        failed = write_all(g, group, todo);
    if (!failed && !store_commit(g->st)) {
        metrics_ingest(g->metrics, 1, 0);
        return;
    }
    store_rollback(g->st);
    /*
     * The group's commit may have happened with only its answer lost: the
     * retry then finds every text stored already, and nothing new would
     * wake the engine.
     */
    g->group_failed = 1;
    log_warnx("ingest.group_failed", "%s", "retrying=one_by_one");
    for (it = group; it; it = it->next) {
        it->rc = STORE_ERROR;
        if (it->late || too_late(it))
            continue;
        it->rc = write_one(g->st, it); /* its own implicit transaction */
        if (it->rc != STORE_ERROR)
            metrics_ingest(g->metrics, 1, 0);
    }
}

static void *run(void *arg)
{
    struct ingest *g = arg;

    prctl(PR_SET_NAME, "ingest"); /* named in top, perf and gdb */
    for (;;) {
        struct ingest_item *group, *it, *next;
        int n = 0, fresh = 0;

        pthread_mutex_lock(&g->mu);
        while (!g->head && !g->stopping)
            pthread_cond_wait(&g->work, &g->mu);
        if (!g->head) {
            pthread_mutex_unlock(&g->mu);
            break;
        }
        group = g->head;
        for (it = group; ++n < INGEST_GROUP && it->next; it = it->next)
            ;
        g->head = it->next;
        if (!g->head)
            g->tail = NULL;
        it->next = NULL;
        pthread_mutex_unlock(&g->mu);

        write_group(g, group);
        for (it = group; it; it = it->next) {
            fresh += it->rc == STORE_NEW;
            if (it->rc == STORE_NEW && it->kind == INGEST_TEXT)
                latency_arrived(g->lat, it->id, it->arrival_us);
        }
        metrics_ingest(g->metrics, 0, (unsigned long)n);
        if ((fresh || g->group_failed) && g->on_new)
            g->on_new(g->arg);
        g->group_failed = 0;
        for (it = group; it; it = next) {
            next = it->next; /* it may be freed by its done() */
            if (it->done) {
                it->done(it);
                continue;
            }
            pthread_mutex_lock(&g->mu);
            it->finished = 1;
            pthread_cond_broadcast(&g->answer);
            pthread_mutex_unlock(&g->mu);
        }
    }
    return NULL;
}

struct ingest *ingest_start(const char *database, struct store_gate *gate, struct metrics *m,
                            void (*on_new)(void *arg), void *arg, char *err, size_t errlen)
{
    struct ingest *g = calloc(1, sizeof(*g));
    int mu = 0, work = 0, answer = 0;

    if (!g) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    g->metrics = m;
    g->lat = m ? m->timing : NULL;
    g->on_new = on_new;
    g->arg = arg;
    if (!(mu = !pthread_mutex_init(&g->mu, NULL)) || !(work = !pthread_cond_init(&g->work, NULL)) ||
        !(answer = !pthread_cond_init(&g->answer, NULL))) {
        snprintf(err, errlen, "cannot initialise a mutex");
        goto fail;
    }
    g->st = store_open(database, err, errlen);
    if (!g->st)
        goto fail;
    store_set_busy_timeout(g->st, BUSY_MS);
    /* PostgreSQL: a server that stops answering, too (past the lock wait: that one is its own). */
    store_set_deadline(g->st, BUSY_MS + 1000);
    if (gate)
        store_use_gate(g->st, gate, 1);
    if (pthread_create(&g->thread, NULL, run, g)) {
        snprintf(err, errlen, "cannot start the ingest thread");
        goto fail;
    }
    return g;
fail:
    store_close(g->st);
    if (answer)
        pthread_cond_destroy(&g->answer);
    if (work)
        pthread_cond_destroy(&g->work);
    if (mu)
        pthread_mutex_destroy(&g->mu);
    free(g);
    return NULL;
}

static void enqueue(struct ingest *g, struct ingest_item *it)
{
    it->next = NULL;
    it->finished = 0;
    if (g->tail)
        g->tail->next = it;
    else
        g->head = it;
    g->tail = it;
    pthread_cond_signal(&g->work);
}

void ingest_submit(struct ingest *g, struct ingest_item *it)
{
    pthread_mutex_lock(&g->mu);
    enqueue(g, it);
    pthread_mutex_unlock(&g->mu);
}

int ingest_submit_wait(struct ingest *g, struct ingest_item *it)
{
    it->done = NULL;
    pthread_mutex_lock(&g->mu);
    enqueue(g, it);
    while (!it->finished)
        pthread_cond_wait(&g->answer, &g->mu);
    pthread_mutex_unlock(&g->mu);
    return it->rc;
}

void ingest_stop(struct ingest *g)
{
    if (!g)
        return;
    pthread_mutex_lock(&g->mu);
    g->stopping = 1;
    pthread_cond_signal(&g->work);
    pthread_mutex_unlock(&g->mu);
    pthread_join(g->thread, NULL);
    store_close(g->st);
    pthread_cond_destroy(&g->answer);
    pthread_cond_destroy(&g->work);
    pthread_mutex_destroy(&g->mu);
    free(g);
}

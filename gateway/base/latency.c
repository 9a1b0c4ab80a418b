/*
 * latency.c - see latency.h.
 */
#include "latency.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Marks per table (a power of two): far more than texts in flight at once. */
#define MARKS 16384

struct mark {
    int64_t id; /* 0: empty */
    int64_t us;
};

struct ring {
    int64_t us[LATENCY_SAMPLES];
    uint64_t count; /* ever taken; the ring holds the last LATENCY_SAMPLES */
    double sum;     /* of every sample ever taken */
};

struct latency {
    pthread_mutex_t mu;
    struct mark arrived[MARKS]; /* by inbound id */
    struct mark ready[MARKS];   /* by outbox id */
    struct ring rings[LATENCY_STAGES];
    int64_t sorted[LATENCY_SAMPLES]; /* latency_quantiles()'s scratch */
};

struct latency *latency_new(void)
{
    struct latency *l = calloc(1, sizeof(*l));

    if (l && pthread_mutex_init(&l->mu, NULL)) {
        free(l);
        return NULL;
    }
    return l;
}

void latency_free(struct latency *l)
{
    if (!l)
        return;
    pthread_mutex_destroy(&l->mu);
    free(l);
}

int64_t latency_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static struct mark *slot(struct mark *table, int64_t id)
{
    return &table[(uint64_t)id & (MARKS - 1)];
}

static void sample(struct ring *r, int64_t us)
{
    if (us < 0)
        us = 0;
    r->us[r->count % LATENCY_SAMPLES] = us;
    r->count++;
    r->sum += (double)us;
}

void latency_arrived(struct latency *l, int64_t inbound_id, int64_t us)
{
    struct mark *m;

    if (!l || inbound_id <= 0)
        return;
    pthread_mutex_lock(&l->mu);
    m = slot(l->arrived, inbound_id);
    m->id = inbound_id;
    m->us = us;
    pthread_mutex_unlock(&l->mu);
}

int64_t latency_take_arrival(struct latency *l, int64_t inbound_id)
{
    struct mark *m;
    int64_t us = 0;

    if (!l || inbound_id <= 0)
        return 0;
    pthread_mutex_lock(&l->mu);
    m = slot(l->arrived, inbound_id);
    if (m->id == inbound_id) {
        us = m->us;
        m->id = 0;
    }
    pthread_mutex_unlock(&l->mu);
    return us;
}

void latency_ready(struct latency *l, int64_t outbox_id, int64_t arrival_us, int64_t ready_us)
{
    struct mark *m;

    if (!l || outbox_id <= 0 || !arrival_us)
        return;
    pthread_mutex_lock(&l->mu);
    sample(&l->rings[LATENCY_READY], ready_us - arrival_us);
    m = slot(l->ready, outbox_id);
    m->id = outbox_id;
    m->us = ready_us;
    pthread_mutex_unlock(&l->mu);
}

void latency_issued(struct latency *l, int64_t outbox_id, int64_t us)
{
    struct mark *m;

    if (!l || outbox_id <= 0)
        return;
    pthread_mutex_lock(&l->mu);
    m = slot(l->ready, outbox_id);
    if (m->id == outbox_id) {
        sample(&l->rings[LATENCY_ISSUED], us - m->us);
        m->id = 0; /* a retry of the same row is not a second sample */
    }
    pthread_mutex_unlock(&l->mu);
}

static int by_value(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return (x > y) - (x < y);
}

uint64_t latency_quantiles(struct latency *l, enum latency_stage stage, const double *q, size_t n,
                           double *out, double *sum)
{
    uint64_t count;
    size_t have, i;

    memset(out, 0, n * sizeof(*out));
    *sum = 0;
    if (!l)
        return 0;
    pthread_mutex_lock(&l->mu);
    count = l->rings[stage].count;
    *sum = l->rings[stage].sum;
    have = count < LATENCY_SAMPLES ? (size_t)count : LATENCY_SAMPLES;
    memcpy(l->sorted, l->rings[stage].us, have * sizeof(*l->sorted));
    qsort(l->sorted, have, sizeof(*l->sorted), by_value);
    for (i = 0; have && i < n; i++) {
        size_t rank = (size_t)(q[i] * (double)have + 0.999999);
        out[i] = (double)l->sorted[rank ? (rank > have ? have : rank) - 1 : 0];
    }
    pthread_mutex_unlock(&l->mu);
    return count;
}

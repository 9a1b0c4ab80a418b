/*
 * admin_pool.c - see admin_pool.h. A FIFO under one mutex, a condition
 * variable, ADMIN_POOL_THREADS threads that run one job at a time each.
 */
#include "admin_pool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>

struct admin_pool {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct admin_job *head, *tail; /* under mu */
    unsigned queued;               /* under mu */
    int stopping;                  /* under mu */
    pthread_t threads[ADMIN_POOL_THREADS];
    unsigned nthreads;
};

int64_t admin_pool_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *loop(void *arg)
{
    struct admin_pool *p = arg;

    prctl(PR_SET_NAME, "admin");
    for (;;) {
        struct admin_job *j;

        pthread_mutex_lock(&p->mu);
        while (!p->head && !p->stopping)
            pthread_cond_wait(&p->cv, &p->mu);
        j = p->head;
        if (j) {
            p->head = j->next;
            if (!p->head)
                p->tail = NULL;
            p->queued--;
        }
        pthread_mutex_unlock(&p->mu);
        if (!j)
            return NULL; /* stopping, and nothing left */
        j->run(j);
        j->done(j); /* j may be gone after this */
    }
}

struct admin_pool *admin_pool_start(char *err, size_t errlen)
{
    struct admin_pool *p = calloc(1, sizeof(*p));

    if (!p || pthread_mutex_init(&p->mu, NULL)) {
        free(p);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (pthread_cond_init(&p->cv, NULL)) {
        pthread_mutex_destroy(&p->mu);
        free(p);
        snprintf(err, errlen, "cannot initialise a condition variable");
        return NULL;
    }
    for (p->nthreads = 0; p->nthreads < ADMIN_POOL_THREADS; p->nthreads++)
        if (pthread_create(&p->threads[p->nthreads], NULL, loop, p))
            break;
    if (!p->nthreads) {
        admin_pool_stop(p);
        snprintf(err, errlen, "cannot start the admin API's threads");
        return NULL;
    }
    return p;
}

int admin_pool_submit(struct admin_pool *p, struct admin_job *j)
{
    int rc = -1;

    j->next = NULL;
    j->queued_ms = admin_pool_now_ms();
    pthread_mutex_lock(&p->mu);
    if (!p->stopping && p->queued < ADMIN_POOL_QUEUE) {
        if (p->tail)
            p->tail->next = j;
        else
            p->head = j;
        p->tail = j;
        p->queued++;
        pthread_cond_signal(&p->cv);
        rc = 0;
    }
    pthread_mutex_unlock(&p->mu);
    return rc;
}

void admin_pool_stop(struct admin_pool *p)
{
    unsigned i;

    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->stopping = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

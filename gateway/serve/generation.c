/*
 * generation.c - see generation.h.
 */
#include "generation.h"
#include "config.h"
#include "texts.h"

#include <limits.h>
#include <stdlib.h>

static void drop(struct generations *g, struct generation *x)
{
    texts_free(x->texts);
    config_free(x->cfg);
    free(x);
    atomic_fetch_sub(&g->live, 1);
}

int generations_init(struct generations *g, struct config *cfg, struct texts *texts)
{
    struct generation *x = calloc(1, sizeof(*x));

    if (!x)
        return -1;
    if (pthread_mutex_init(&g->mu, NULL)) {
        free(x);
        return -1;
    }
    x->cfg = cfg;
    x->texts = texts;
    g->current = g->first = x;
    g->retired = NULL;
    g->last_seq = 0;
    atomic_init(&g->live, 1);
    return 0;
}

struct generation *generation_hold(struct generations *g)
{
    struct generation *x;

    pthread_mutex_lock(&g->mu);
    x = g->current;
    x->holds++;
    pthread_mutex_unlock(&g->mu);
    return x;
}

void generation_release(struct generations *g, struct generation *x)
{
    pthread_mutex_lock(&g->mu);
    x->holds--;
    pthread_mutex_unlock(&g->mu);
}

int generations_publish(struct generations *g, struct config *cfg, struct texts *texts)
{
    struct generation *x = calloc(1, sizeof(*x)), *old;

    if (!x)
        return -1;
    x->cfg = cfg;
    x->texts = texts;
    x->seq = ++g->last_seq;
    atomic_fetch_add(&g->live, 1);
    pthread_mutex_lock(&g->mu);
    old = g->current;
    g->current = x;
    pthread_mutex_unlock(&g->mu);
    if (old != g->first) {
        old->next = g->retired;
        g->retired = old;
    }
    return 0;
}

/* The seq of the oldest generation a request holds, or ULONG_MAX. Caller holds mu. */
static unsigned long oldest_held(const struct generations *g)
{
    const struct generation *x;
    unsigned long oldest = ULONG_MAX;

    if (g->first->holds)
        oldest = g->first->seq;
    if (g->current->holds && g->current->seq < oldest)
        oldest = g->current->seq;
    for (x = g->retired; x; x = x->next)
        if (x->holds && x->seq < oldest)
            oldest = x->seq;
    return oldest;
}

size_t generations_reclaim(struct generations *g,
                           int (*reading)(void *arg, const struct config *cfg), void *arg)
{
    struct generation **p = &g->retired;
    unsigned long oldest;
    size_t left = 0;

    /*
     * A request that began under generation n reads configs n, n+1, ...:
     * a retired x is safe only when every holder began after it. A request
     * that begins now holds the current one, newer than any retired.
     */
    pthread_mutex_lock(&g->mu);
    oldest = oldest_held(g);
    pthread_mutex_unlock(&g->mu);
    while (*p) {
        struct generation *x = *p;

        if (oldest <= x->seq || reading(arg, x->cfg)) {
            p = &x->next;
            left++;
            continue;
        }
        *p = x->next;
        drop(g, x);
    }
    return left;
}

void generations_free(struct generations *g)
{
    while (g->retired) {
        struct generation *x = g->retired;
        g->retired = x->next;
        drop(g, x);
    }
    if (g->current && g->current != g->first)
        drop(g, g->current);
    if (g->first)
        drop(g, g->first);
    g->current = g->first = NULL;
    pthread_mutex_destroy(&g->mu);
}

/*
 * generation.c - see generation.h.
 */
#include "generation.h"
#include "config.h"
#include "texts.h"

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
    atomic_init(&g->live, 1);
    return 0;
}

int generations_publish(struct generations *g, struct config *cfg, struct texts *texts)
{
    struct generation *x = calloc(1, sizeof(*x)), *old;

    if (!x)
        return -1;
    x->cfg = cfg;
    x->texts = texts;
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

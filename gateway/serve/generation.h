/*
 * generation.h - the configs a running server has loaded (each with its
 * templates), counted. Threads may still read an old one after a reload, so
 * every one is kept until exit. The first generation is pinned: the sender
 * and the webhooks keep its restart-only settings until exit.
 */
#ifndef PEERLINE_GENERATION_H
#define PEERLINE_GENERATION_H

#include <pthread.h>
#include <stdatomic.h>

struct config;
struct texts;

struct generation {
    struct config *cfg;
    struct texts *texts;
    struct generation *next; /* in the retired list */
};

struct generations {
    pthread_mutex_t mu;
    struct generation *current; /* under mu */
    struct generation *first;   /* pinned until exit */
    struct generation *retired; /* main thread only: kept until exit */
    atomic_ulong live;          /* generations in memory (/metrics) */
};

/* The first generation (pinned). 0, or -1 (nothing kept: the caller still owns cfg, texts). */
int generations_init(struct generations *g, struct config *cfg, struct texts *texts);

/*
 * Makes cfg and texts (now owned here) the current generation and retires
 * the one before. Main thread. 0, or -1 out of memory (nothing changed: the
 * caller still owns them).
 */
int generations_publish(struct generations *g, struct config *cfg, struct texts *texts);

/* Frees every generation: at exit, once no other thread runs. */
void generations_free(struct generations *g);

#endif

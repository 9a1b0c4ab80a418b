/*
 * generation.h - the configs a running server has loaded (each with its
 * templates), and when an old one may be freed.
 *
 * A reload puts a new config in use and retires the old one, which threads
 * may still be reading: an HTTP request that began before the switch (each
 * request, and each admin answer made on the admin's own threads, holds the
 * generation current when it began: generation_hold), the engine until it
 * takes the new one, the voicer and the janitor until their next round.
 * A request reads the config its module points at, which may be one
 * published after the request began; so a retired generation is freed only
 * once no request that began at or before it still runs (the generations
 * are numbered in order) and no thread reads it (the caller says which
 * config each thread reads): generations_reclaim(). A SIGHUP a day then
 * does not keep a config a day for good. The first generation
 * is pinned: the sender and the webhooks keep its restart-only settings
 * until exit.
 *
 * The order that makes it safe: point every reader at the new config first,
 * then generations_publish(); a request that holds the new generation can
 * then only find the new config, and one that holds the old keeps it alive.
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
    unsigned long seq;       /* 0 for the first, then one more per publish */
    unsigned long holds;     /* under mu: requests that began while it was current */
    struct generation *next; /* in the retired list */
};

struct generations {
    pthread_mutex_t mu;
    struct generation *current; /* under mu */
    struct generation *first;   /* pinned until exit */
    struct generation *retired; /* main thread only: waiting to be freed */
    unsigned long last_seq;     /* main thread only: the newest generation's seq */
    atomic_ulong live;          /* generations in memory (/metrics) */
};

/* The first generation (pinned). 0, or -1 (nothing kept: the caller still owns cfg, texts). */
int generations_init(struct generations *g, struct config *cfg, struct texts *texts);

/* The current generation, held until generation_release(): any thread. */
struct generation *generation_hold(struct generations *g);
void generation_release(struct generations *g, struct generation *x);

/*
 * Makes cfg and texts (now owned here) the current generation and retires
 * the one before. Main thread. 0, or -1 out of memory (nothing changed: the
 * caller still owns them).
 */
int generations_publish(struct generations *g, struct config *cfg, struct texts *texts);

/*
 * Frees each retired generation that no request which began at or before
 * it holds (a held older one keeps every newer retired one), and for which
 * reading(arg, cfg) says no thread reads it. Main thread. Returns how many
 * stay retired (try again later).
 */
size_t generations_reclaim(struct generations *g,
                           int (*reading)(void *arg, const struct config *cfg), void *arg);

/* Frees every generation: at exit, once no other thread runs. */
void generations_free(struct generations *g);

#endif

/*
 * admin_pool.h - the admin API's own threads. libmicrohttpd's few threads
 * answer the webhooks and /healthz; a coordinator's request (the status of
 * a large line, an action that waits for the engine, a scrape of /metrics)
 * must never hold one of them. So admin.c parks each such request (http.h)
 * and queues it here; a small pool of threads of its own runs it and wakes
 * the request with its answer.
 *
 * The queue is bounded: past ADMIN_POOL_QUEUE waiting jobs a new one is
 * refused (the caller answers 503), so pollers can slow the dashboard but
 * not grow the process.
 */
#ifndef PEERLINE_ADMIN_POOL_H
#define PEERLINE_ADMIN_POOL_H

#include <stddef.h>
#include <stdint.h>

#define ADMIN_POOL_THREADS 2 /* one action may wait seconds for the engine; reads go on */
#define ADMIN_POOL_QUEUE   64

struct admin_pool;

struct admin_job {
    struct admin_job *next;            /* the pool's */
    int64_t queued_ms;                 /* monotonic, set by admin_pool_submit */
    void (*run)(struct admin_job *j);  /* on a pool thread */
    void (*done)(struct admin_job *j); /* then (on the same thread): hand the answer back */
};

/* Starts the threads. NULL with a reason in err. */
struct admin_pool *admin_pool_start(char *err, size_t errlen);
/*
 * Queues j: run(j), then done(j), on a pool thread. 0, or -1 when the queue
 * is full or the pool is stopping (j is then not touched again).
 */
int admin_pool_submit(struct admin_pool *p, struct admin_job *j);
/* Runs what is queued, stops the threads, frees. */
void admin_pool_stop(struct admin_pool *p);

/* Monotonic milliseconds (for the ages of jobs and snapshots). */
int64_t admin_pool_now_ms(void);

#endif

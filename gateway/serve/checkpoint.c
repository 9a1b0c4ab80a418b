/*
 * checkpoint.c - see checkpoint.h.
 */
#include "checkpoint.h"
#include "log.h"
#include "store.h"
#include "wake.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>

/* How often: a checkpoint with nothing new to copy costs next to nothing. */
#define CHECKPOINT_EVERY_MS 100

struct checkpointer {
    struct store *st;
    struct wake wake;
    pthread_t thread;
    atomic_int stopping;
};

static void *run(void *arg)
{
    struct checkpointer *c = arg;
    int failing = 0;

    prctl(PR_SET_NAME, "checkpoint"); /* named in top, perf and gdb */
    for (;;) {
        int stop = atomic_load(&c->stopping);
        int rc = store_checkpoint(c->st);

        if (rc && !failing)
            log_warnx("store.checkpoint_failed", "err=\"%s\"", store_errmsg(c->st));
        failing = rc != 0;
        if (stop)
            break;
        wake_wait(&c->wake, CHECKPOINT_EVERY_MS);
    }
    return NULL;
}

struct checkpointer *checkpoint_start(const char *database, char *err, size_t errlen)
{
    struct checkpointer *c = calloc(1, sizeof(*c));

    if (!c || wake_init(&c->wake)) {
        snprintf(err, errlen, "out of memory");
        free(c);
        return NULL;
    }
    c->st = store_open(database, err, errlen);
    if (!c->st)
        goto fail;
    if (pthread_create(&c->thread, NULL, run, c)) {
        snprintf(err, errlen, "cannot start the checkpoint thread");
        goto fail;
    }
    return c;
fail:
    store_close(c->st);
    wake_destroy(&c->wake);
    free(c);
    return NULL;
}

void checkpoint_stop(struct checkpointer *c)
{
    if (!c)
        return;
    atomic_store(&c->stopping, 1);
    wake_signal(&c->wake);
    pthread_join(c->thread, NULL);
    store_close(c->st);
    wake_destroy(&c->wake);
    free(c);
}

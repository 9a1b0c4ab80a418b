/*
 * wake.c - see wake.h.
 */
#include "wake.h"

#include <errno.h>
#include <time.h>

int wake_init(struct wake *w)
{
    pthread_condattr_t a;

    w->pending = 0;
    if (pthread_mutex_init(&w->mu, NULL))
        return -1;
    if (pthread_condattr_init(&a) || pthread_condattr_setclock(&a, CLOCK_MONOTONIC) ||
        pthread_cond_init(&w->cv, &a)) {
        pthread_mutex_destroy(&w->mu);
        return -1;
    }
    pthread_condattr_destroy(&a);
    return 0;
}

void wake_destroy(struct wake *w)
{
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
}

void wake_signal(struct wake *w)
{
    pthread_mutex_lock(&w->mu);
    w->pending = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

void wake_wait(struct wake *w, int64_t timeout_ms)
{
    struct timespec ts;

    pthread_mutex_lock(&w->mu);
    if (timeout_ms < 0) {
        while (!w->pending)
            pthread_cond_wait(&w->cv, &w->mu);
    } else if (!w->pending && timeout_ms > 0) {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += timeout_ms / 1000;
        ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        while (!w->pending && pthread_cond_timedwait(&w->cv, &w->mu, &ts) == 0)
            ;
    }
    w->pending = 0;
    pthread_mutex_unlock(&w->mu);
}

int64_t wake_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void wake_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) && errno == EINTR)
        ;
}

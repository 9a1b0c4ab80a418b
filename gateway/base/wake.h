/*
 * wake.h - "there is work for you": a flag, a mutex and a condition variable
 * on the monotonic clock. A worker thread sleeps in wake_wait() until another
 * thread calls wake_signal() or its own next timer is due.
 */
#ifndef PEERLINE_WAKE_H
#define PEERLINE_WAKE_H

#include <pthread.h>
#include <stdint.h>

struct wake {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int pending;
};

int wake_init(struct wake *w);
void wake_destroy(struct wake *w);
void wake_signal(struct wake *w);
/* Returns when signalled (clearing the flag) or after timeout_ms (<0: forever). */
void wake_wait(struct wake *w, int64_t timeout_ms);

/* Sleeps ms milliseconds (a short pause, e.g. while polling for an outcome). */
void wake_sleep_ms(int ms);
/* Wall-clock milliseconds (what timers in the database are kept in). */
int64_t wake_now_ms(void);

#endif

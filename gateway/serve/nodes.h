/*
 * nodes.h - wake-ups between the instances of one line on PostgreSQL.
 *
 * Every instance keeps two connections for this: one that tells the
 * others (NOTIFY, from a thread of its own so no caller waits on the
 * database) and one that listens (LISTEN) and wakes this instance's engine,
 * sender and voicer. A signal is a hint, never the only way work is found:
 * every worker still polls at least once a second, so a signal lost with a
 * connection costs at most that second.
 *
 * On SQLite there is one instance, and nodes_start() starts nothing.
 */
#ifndef PEERLINE_NODES_H
#define PEERLINE_NODES_H

#include <stddef.h>

enum nodes_what {
    NODES_ENGINE = 1, /* inputs stored: the leading engine has work */
    NODES_SENDER = 2, /* texts queued: every sender may take some */
    NODES_VOICER = 4, /* calls' REST work queued */
};

struct nodes_wakers {
    void (*engine)(void *arg);
    void (*sender)(void *arg);
    void (*voicer)(void *arg);
    void *arg;
};

struct nodes;

/* NULL with a message in err on failure; on SQLite a handle that does nothing. */
struct nodes *nodes_start(const char *database, const struct nodes_wakers *w, char *err,
                          size_t errlen);
/* Tells the other instances (what: enum nodes_what, or'd); never blocks. */
void nodes_tell(struct nodes *n, int what);
/*
 * Stops both threads: no worker is woken from here on, and a later
 * nodes_tell() does nothing. The workers may still call it until
 * nodes_free(), after they have stopped.
 */
void nodes_stop(struct nodes *n);
void nodes_free(struct nodes *n);

#endif

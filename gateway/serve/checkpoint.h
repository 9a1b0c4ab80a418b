/*
 * checkpoint.h - keeps SQLite's WAL checkpoints off the commit path.
 *
 * By default the commit that grows the write-ahead log past 1,000 pages
 * copies them into the database file and fsyncs it, inside that commit:
 * every so often one webhook or one relay waited for it. Every handle now
 * leaves that to this thread (store_open sets a far higher threshold as a
 * backstop), which runs a passive checkpoint whenever the log has grown:
 * writers never wait for it, and readers are never blocked.
 */
#ifndef PEERLINE_CHECKPOINT_H
#define PEERLINE_CHECKPOINT_H

#include <stddef.h>

struct checkpointer;

/* Opens its own handle on the database and starts. NULL with a reason in err. */
struct checkpointer *checkpoint_start(const char *database, char *err, size_t errlen);
/* Stops (after one last checkpoint) and frees; NULL is fine. */
void checkpoint_stop(struct checkpointer *c);

#endif

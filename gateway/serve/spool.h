/*
 * spool.h - where a text goes when the database cannot take it.
 *
 * Twilio does not retry a failed SMS webhook; it calls the number's Fallback
 * URL. Pointed at POST /twilio/spool, that request is checked like any
 * webhook and, if the database still cannot store it, appended to the spool
 * file (config `spool`; by default the database's path + ".spool"), fsync'd,
 * and only then answered 200. The janitor replays the spool into the
 * database once it answers again, deduplicated by MessageSid, and empties it.
 *
 * The file is a sequence of records "\nPLSPOOL1 <length> <received ms>\n<form
 * body>", append-only, mode 0600. A torn record (a crash mid-append) was
 * never answered 200; it is skipped at replay and never hides the records
 * after it. A spool that cannot be read (or is over 64 MiB) is set aside as
 * SPOOL.bad-TIME for an operator, logged as an error.
 */
#ifndef PEERLINE_SPOOL_H
#define PEERLINE_SPOOL_H

#include <stddef.h>

struct store;

/* Appends one webhook's form body, received at received_at (ms), durably. 0, or -1. */
int spool_append(const char *path, const char *body, size_t len, long long received_at);

/*
 * Stores every spooled text (with the time it was received) and removes the
 * spool. *stored counts those new to the database. 0 (also when there is no
 * spool), or -1 when the database failed: the spool is kept for next time.
 */
int spool_replay(const char *path, struct store *st, int *stored);

#endif

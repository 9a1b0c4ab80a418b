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
 * The file is a sequence of records "<length>\n<form body>\n", append-only,
 * mode 0600. A torn last record (a crash mid-append) was never answered 200,
 * and is dropped at replay.
 */
#ifndef PEERLINE_SPOOL_H
#define PEERLINE_SPOOL_H

#include <stddef.h>

struct store;

/* Appends one webhook's form body, durably. 0, or -1 (errno set). */
int spool_append(const char *path, const char *body, size_t len);

/*
 * Stores every spooled text (received now) and empties the spool. *stored
 * counts those new to the database. 0 (also when there is no spool), or -1
 * when the database or the file failed: the spool is kept for next time.
 */
int spool_replay(const char *path, struct store *st, long long now, int *stored);

#endif

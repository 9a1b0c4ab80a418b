/*
 * notes.h - the pure side of peers' private notes (SPEC section 11): how
 * much of a note is kept, how its age reads, and how the notes a peer gets
 * on taking a texter are put into as few texts as one outbox text carries.
 *
 * No I/O and no clock: text and numbers in, text out. The engine's side
 * (writing a note, handing them over) is engine_notes.c.
 */
#ifndef PEERLINE_NOTES_H
#define PEERLINE_NOTES_H

#include <stddef.h>
#include <stdint.h>

/* The longest note kept, in characters; the rest is dropped and the writer told. */
#define NOTES_MAX_CHARS 600
/* The most notes a peer gets on taking a texter (the newest). */
#define NOTES_MAX_SHOWN 5
/* A peer may still write a note on a chat of theirs this long after it closed. */
#define NOTES_AFTER_CLOSE (30LL * 60 * 1000)

/*
 * How many bytes of text (what follows #note) a note keeps: at most
 * NOTES_MAX_CHARS characters, cut between two, without the spaces and line
 * breaks that end it. *cut is 1 when that is not all of the words. 0: there
 * is no note (nothing but spaces).
 */
size_t notes_keep(const char *text, int *cut);

/*
 * How long ago, ms being the age, in lang: "3 min" (at least 1), "2 h" from
 * an hour, "4 days" ("4 días" in Spanish) from two days.
 */
void notes_age(int64_t ms, const char *lang, char *out, size_t n);

/*
 * Puts heading and items (in order) into texts of at most max_chars
 * characters each, a line break between two: as many items as fit go with
 * the heading in the first text, the rest follow the same way. An item is
 * never split between two texts unless it is longer than max_chars on its
 * own (it then goes alone, for the sender to split). fn gets each text
 * (valid during the call). Returns 0, the first non-zero fn returned, or -1
 * out of memory.
 */
int notes_pack(const char *heading, const char *const *items, size_t nitems, size_t max_chars,
               int (*fn)(void *arg, const char *text), void *arg);

#endif

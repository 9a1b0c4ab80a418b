/*
 * crisis.h - the crisis tripwire's phrase matcher (SPEC section 5.1).
 *
 * Pure: a compiled list of phrases and a text in, yes or no out. Text and
 * phrases are both normalised the same way: lower case, accents folded
 * ("suicídio" reads "suicidio", precomposed or decomposed), and every run of anything that is not a
 * letter or digit made one space, so a phrase matches whole words only
 * ("skill myself" never reads as "kill myself", "don't" and "don’t" are
 * the same words).
 */
#ifndef PEERLINE_CRISIS_H
#define PEERLINE_CRISIS_H

#include <stddef.h>

struct crisis;

/* Compiles the phrases (copied). NULL when out of memory. */
struct crisis *crisis_new(char *const *phrases, size_t n);
void crisis_free(struct crisis *c);

/* 1 when the text contains one of the phrases. */
int crisis_match(const struct crisis *c, const char *text);

/*
 * The normal form: " word word " (framed by spaces). Writes at most outlen
 * bytes, NUL included; returns the length it needed.
 */
size_t crisis_normalize(const char *in, char *out, size_t outlen);

#endif

/*
 * twins.h - repeats in a list of names, found by sorting: for each name, the
 * first earlier one equal to it.
 *
 * Every "listed twice" check of the loaders (YAML keys, ids, phones,
 * keywords, tokens) goes through here, so none of them compares each entry
 * with every other: n log n comparisons, not n squared, and a hostile 4 MiB
 * file of 200,000 keys is checked in a fraction of a second, not minutes.
 */
#ifndef PEERLINE_TWINS_H
#define PEERLINE_TWINS_H

#include <stddef.h>

#define TWINS_NONE ((size_t)-1)

/*
 * For each i < n: twin[i] = the smallest j < i with keys[j] equal to keys[i]
 * (strcmp; strcasecmp with nocase), or TWINS_NONE. A NULL key has no twin
 * and is nobody's. 0, or -1 out of memory (twin is then unset).
 */
int twins_find(const char *const *keys, size_t n, int nocase, size_t *twin);

/*
 * Key comparisons twins_find() has made on the calling thread so far: the
 * tests hold it to n log n.
 */
unsigned long long twins_comparisons(void);

#endif

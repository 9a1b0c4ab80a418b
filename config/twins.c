/*
 * twins.c - see twins.h. Sort (key, position) pairs, then each run of equal
 * keys starts with its earliest position: that one is everyone's twin.
 */
#include "twins.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct twin_key {
    const char *key;
    size_t at;
};

static _Thread_local unsigned long long comparisons;

static int by_position(const struct twin_key *x, const struct twin_key *y)
{
    return (x->at > y->at) - (x->at < y->at);
}

static int cmp_case(const void *a, const void *b)
{
    const struct twin_key *x = a, *y = b;
    int c = strcmp(x->key, y->key);

    comparisons++;
    return c ? c : by_position(x, y);
}

static int cmp_nocase(const void *a, const void *b)
{
    const struct twin_key *x = a, *y = b;
    int c = strcasecmp(x->key, y->key);

    comparisons++;
    return c ? c : by_position(x, y);
}

int twins_find(const char *const *keys, size_t n, int nocase, size_t *twin)
{
    struct twin_key *k = malloc((n ? n : 1) * sizeof(*k));
    size_t i, m = 0, first = 0;

    if (!k)
        return -1;
    for (i = 0; i < n; i++) {
        twin[i] = TWINS_NONE;
        if (keys[i]) {
            k[m].key = keys[i];
            k[m++].at = i;
        }
    }
    qsort(k, m, sizeof(*k), nocase ? cmp_nocase : cmp_case);
    for (i = 1; i < m; i++) {
        comparisons++;
        if ((nocase ? strcasecmp(k[first].key, k[i].key) : strcmp(k[first].key, k[i].key)) == 0)
            twin[k[i].at] = k[first].at;
        else
            first = i;
    }
    free(k);
    return 0;
}

unsigned long long twins_comparisons(void)
{
    return comparisons;
}

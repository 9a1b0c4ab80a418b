/*
 * diag.h - a list of problems found in files, each "FILE:LINE:COL: message".
 *
 * Loaders add every problem they find and keep going, so a coordinator sees
 * all of them at once (`peerline check`), not one per run.
 */
#ifndef PEERLINE_DIAG_H
#define PEERLINE_DIAG_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>

struct diag;
struct ynode;

struct diag *diag_new(void);
void diag_free(struct diag *d);

/*
 * Records one problem. line/col are 1-based; line 0 means the whole file
 * ("FILE: message"). file may be NULL ("-"). Never fails: if memory runs out
 * the problem is still counted and printed as "out of memory".
 */
void diag_add(struct diag *d, const char *file, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* A loader's report on one file: where problems go, the file's name, how many it found. */
struct diag_file {
    struct diag *d;
    const char *name;
    int errors;
};

/*
 * Records one problem in f->name at node n's line and column (the whole
 * file when n is NULL) and counts it in f->errors. The message is cut to
 * 511 bytes. The one way config.c and roster.c report what they find.
 */
void diag_at(struct diag_file *f, const struct ynode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

size_t diag_count(const struct diag *d);

/*
 * A loader working on another thread can be told to give up: once *flag is
 * nonzero, diag_cancelled() says so and the YAML reader stops at its next
 * element (a SIGTERM does not wait for a 4 MiB roster). NULL: never.
 */
void diag_set_cancel(struct diag *d, const atomic_int *flag);
int diag_cancelled(const struct diag *d);
/* The i-th problem, formatted. Valid until the next diag_add or diag_free. */
const char *diag_get(const struct diag *d, size_t i);
void diag_print(const struct diag *d, FILE *out);

#endif

/*
 * crosscheck.h - problems that need both files: the roster read against the
 * config (coordinator tokens naming real coordinators, no person holding one
 * of the line's own numbers). `peerline check`, `serve` at start and every
 * roster reload run it, so all three refuse the same things.
 */
#ifndef PEERLINE_CROSSCHECK_H
#define PEERLINE_CROSSCHECK_H

struct config;
struct roster;
struct diag;

/* Adds each problem found to d (positions are whole-file: the roster has no node for them). */
void crosscheck_files(const struct config *c, const struct roster *r, struct diag *d);

#endif

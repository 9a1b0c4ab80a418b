/*
 * rescheck.h - the roster's resources (resources.h) judged with the line's
 * config, as part of linecheck_pair: what `peerline check` refuses, `serve`
 * will not start on and a reload keeps out.
 *
 * Each resource must have its words in every language peerline ships (en
 * and es) and in every language the line offers (`languages`), so a peer
 * can send it whatever language the texter chose; and each of its texts
 * must fit RESCHECK_SEGMENTS segments: 306 characters in GSM-7, or 134
 * when a character needs UCS-2 (an accent GSM-7 lacks, such as á or í,
 * another script, an emoji). A resource is a vetted text sent on a peer's
 * request, so it may be longer than a routine system text, but never a
 * wall of texts.
 */
#ifndef PEERLINE_RESCHECK_H
#define PEERLINE_RESCHECK_H

#include <stddef.h>

struct config;
struct diag;
struct roster;

#define RESCHECK_SEGMENTS 2

/* Adds each problem to d at its place in the roster; returns how many. */
size_t rescheck_resources(const struct config *c, const struct roster *r, struct diag *d);

#endif

/*
 * schedule.h - shift and training arithmetic for one peer, in the peer's own
 * time zone. Pure: the roster and an instant in, an answer out.
 *
 * A shift is named by the day it starts; one whose end is not after its
 * start runs past midnight into the next day. Wall-clock comparisons make
 * DST changes come out as people expect ("18:00 to 23:30" stays that, in
 * summer and winter alike).
 */
#ifndef PEERLINE_SCHEDULE_H
#define PEERLINE_SCHEDULE_H

#include <stdint.h>

struct roster_peer;

/* 1 when now_ms falls inside one of the peer's shifts. */
int schedule_on_shift(const struct roster_peer *p, int64_t now_ms);

/* 1 while training is valid: the peer's local date is on or before trained_until. */
int schedule_trained(const struct roster_peer *p, int64_t now_ms);

/*
 * The next instant after now_ms at which the peer's on-shift answer changes
 * (a shift starts or ends), or INT64_MAX when it never does. Looks up to
 * eight days ahead.
 */
int64_t schedule_next_change(const struct roster_peer *p, int64_t now_ms);

#endif

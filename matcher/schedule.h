/*
 * schedule.h - shift and training arithmetic for one peer, in the peer's own
 * time zone. Pure: the roster and an instant in, an answer out.
 *
 * A shift is named by the day it starts; one whose end is not after its
 * start runs past midnight into the next day. Wall-clock comparisons make
 * DST changes come out as people expect ("18:00 to 23:30" stays that, in
 * summer and winter alike).
 *
 * The *_local variants take the wall clock already converted (struct
 * tz_local from tz_to_local in the peer's zone), so a caller checking many
 * peers in few zones converts once per zone.
 */
#ifndef PEERLINE_SCHEDULE_H
#define PEERLINE_SCHEDULE_H

#include <stdint.h>

struct roster_peer;
struct tz_local;

/* 1 when now_ms falls inside one of the peer's shifts. */
int schedule_on_shift(const struct roster_peer *p, int64_t now_ms);
int schedule_on_shift_local(const struct roster_peer *p, const struct tz_local *lt);

/* 1 while training is valid: the peer's local date is on or before trained_until. */
int schedule_trained(const struct roster_peer *p, int64_t now_ms);
int schedule_trained_local(const struct roster_peer *p, const struct tz_local *lt);

/*
 * The shift the peer is in at now_ms, or else the next one to start (up to
 * eight days ahead), as instants in ms. Returns 1 when found: *start <= now_ms
 * < *end means on it now. Back-to-back or overlapping shifts are joined into
 * one stretch. Returns 0 when the peer has no shift in that time.
 */
int schedule_shift_at(const struct roster_peer *p, int64_t now_ms, int64_t *start, int64_t *end);

/*
 * The next instant after now_ms at which the peer's on-shift answer may
 * change (a shift starts or ends), or INT64_MAX when it never does. Looks up
 * to eight days ahead.
 */
int64_t schedule_next_change(const struct roster_peer *p, int64_t now_ms);

#endif

/*
 * tz.h - IANA time zones without the process-global TZ variable.
 *
 * tz_load() reads one compiled zone (TZif, RFC 8536) from the system
 * zoneinfo directory into an immutable struct tz. Every conversion after that
 * is pure arithmetic on that struct: no environment, no locks, no I/O, safe
 * from any thread. Instants past the file's last transition use the POSIX TZ
 * rule in the file's footer, so dates decades ahead stay DST-correct.
 *
 * Civil-date helpers (days since 1970-01-01 in the proleptic Gregorian
 * calendar) live here too, because the roster and the matcher both need them.
 */
#ifndef PEERLINE_TZ_H
#define PEERLINE_TZ_H

#include <stddef.h>
#include <stdint.h>

struct tz;

/* A moment as a wall clock in some zone shows it. */
struct tz_local {
    int year;      /* e.g. 2026 */
    int month;     /* 1-12 */
    int day;       /* 1-31 */
    int hour;      /* 0-23 */
    int min;       /* 0-59 */
    int sec;       /* 0-59 */
    int wday;      /* 0 = Sunday ... 6 = Saturday */
    int32_t utoff; /* seconds east of UTC in effect */
    int isdst;
    int64_t days; /* days since 1970-01-01 of the local date */
};

/*
 * Loads zone `name` (e.g. "America/Chicago", "UTC") from `dir`
 * (NULL: "/usr/share/zoneinfo"). Names with "..", a leading '/', or
 * characters outside [A-Za-z0-9/_+-] are refused. On failure returns NULL and
 * writes a one-line reason into err (never NULL-terminated-less).
 * The caller owns the result; free it with tz_free().
 */
struct tz *tz_load(const char *name, const char *dir, char *err, size_t errlen);
void tz_free(struct tz *tz);

/* The name the zone was loaded under. Valid as long as tz is. */
const char *tz_name(const struct tz *tz);

/* Unix time (seconds) -> local wall clock. */
void tz_to_local(const struct tz *tz, int64_t t, struct tz_local *out);

/*
 * Local wall clock -> Unix time. A time skipped by a forward DST jump is read
 * with the offset before the jump (so 02:30 on a spring-forward night in New
 * York is 03:30 EDT); a repeated time picks the earlier (first) instant.
 * Fields are normalised (e.g. hour 24 is the next day's 00).
 */
int64_t tz_from_local(const struct tz *tz, int year, int month, int day, int hour, int min,
                      int sec);

/* Days since 1970-01-01 for a Gregorian date (month 1-12); valid for any year. */
int64_t tz_days_from_civil(int year, int month, int day);
/* Inverse of tz_days_from_civil. */
void tz_civil_from_days(int64_t days, int *year, int *month, int *day);
/* 0 = Sunday for a day count. */
int tz_weekday(int64_t days);
/* 1 when y-m-d is a real calendar date. */
int tz_valid_date(int year, int month, int day);

#endif

/*
 * schedule.c - see schedule.h.
 */
#include "schedule.h"
#include "roster.h"
#include "tz.h"

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;

    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int schedule_on_shift(const struct roster_peer *p, int64_t now_ms)
{
    struct tz_local lt;
    int minute, yday;
    size_t i;

    tz_to_local(p->tz, floor_div(now_ms, 1000), &lt);
    minute = lt.hour * 60 + lt.min;
    yday = (lt.wday + 6) % 7; /* the weekday yesterday */
    for (i = 0; i < p->nshifts; i++) {
        const struct roster_shift *s = &p->shifts[i];
        int overnight = s->end <= s->start;

        if (s->days & (1u << lt.wday)) {
            if (minute >= s->start && (overnight || minute < s->end))
                return 1;
        }
        if (overnight && (s->days & (1u << yday)) && minute < s->end)
            return 1;
    }
    return 0;
}

int schedule_trained(const struct roster_peer *p, int64_t now_ms)
{
    struct tz_local lt;

    if (p->trained_until == INT64_MAX)
        return 1;
    tz_to_local(p->tz, floor_div(now_ms, 1000), &lt);
    return lt.days <= p->trained_until;
}

int64_t schedule_next_change(const struct roster_peer *p, int64_t now_ms)
{
    struct tz_local lt;
    int64_t best = INT64_MAX, now_s = floor_div(now_ms, 1000);
    int d;
    size_t i;

    if (!p->nshifts)
        return INT64_MAX;
    tz_to_local(p->tz, now_s, &lt);
    /* Every shift boundary from yesterday to a week ahead, as instants. */
    for (d = -1; d <= 8; d++) {
        int64_t day = lt.days + d;
        int wday = tz_weekday(day), y, m, dd;

        tz_civil_from_days(day, &y, &m, &dd);
        for (i = 0; i < p->nshifts; i++) {
            const struct roster_shift *s = &p->shifts[i];
            int64_t t[2];
            int k;

            if (!(s->days & (1u << wday)))
                continue;
            t[0] = tz_from_local(p->tz, y, m, dd, 0, s->start, 0);
            t[1] = tz_from_local(p->tz, y, m, dd + (s->end <= s->start ? 1 : 0), 0, s->end, 0);
            for (k = 0; k < 2; k++)
                if (t[k] > now_s && t[k] * 1000 < best)
                    best = t[k] * 1000;
        }
    }
    return best;
}

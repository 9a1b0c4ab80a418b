/*
 * schedule.c - see schedule.h.
 *
 * Membership tests compare wall-clock minutes. Instants (for "the next shift
 * starts at") come from tz_from_local on each shift's local start and end,
 * for every day from yesterday to eight days ahead.
 */
#include "schedule.h"
#include "roster.h"
#include "tz.h"

#define LOOKAHEAD_DAYS 8

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;

    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int schedule_on_shift_local(const struct roster_peer *p, const struct tz_local *lt)
{
    int minute = lt->hour * 60 + lt->min;
    int yday = (lt->wday + 6) % 7; /* the weekday yesterday */
    size_t i;

    for (i = 0; i < p->nshifts; i++) {
        const struct roster_shift *s = &p->shifts[i];
        int overnight = s->end <= s->start;

        if (s->days & (1u << lt->wday)) {
            if (minute >= s->start && (overnight || minute < s->end))
                return 1;
        }
        if (overnight && (s->days & (1u << yday)) && minute < s->end)
            return 1;
    }
    return 0;
}

int schedule_on_shift(const struct roster_peer *p, int64_t now_ms)
{
    struct tz_local lt;

    tz_to_local(p->tz, floor_div(now_ms, 1000), &lt);
    return schedule_on_shift_local(p, &lt);
}

int schedule_trained_local(const struct roster_peer *p, const struct tz_local *lt)
{
    return p->trained_until == INT64_MAX || lt->days <= p->trained_until;
}

int schedule_trained(const struct roster_peer *p, int64_t now_ms)
{
    struct tz_local lt;

    if (p->trained_until == INT64_MAX)
        return 1;
    tz_to_local(p->tz, floor_div(now_ms, 1000), &lt);
    return schedule_trained_local(p, &lt);
}

/* Calls fn for each shift occurrence from yesterday on, as [start, end) in ms. */
static void each_shift(const struct roster_peer *p, int64_t now_ms,
                       void (*fn)(void *arg, int64_t start, int64_t end), void *arg)
{
    struct tz_local lt;
    int d;
    size_t i;

    tz_to_local(p->tz, floor_div(now_ms, 1000), &lt);
    for (d = -1; d <= LOOKAHEAD_DAYS; d++) {
        int64_t day = lt.days + d;
        int wday = tz_weekday(day), y, m, dd;

        tz_civil_from_days(day, &y, &m, &dd);
        for (i = 0; i < p->nshifts; i++) {
            const struct roster_shift *s = &p->shifts[i];
            int64_t a, b;

            if (!(s->days & (1u << wday)))
                continue;
            a = tz_from_local(p->tz, y, m, dd, 0, s->start, 0);
            b = tz_from_local(p->tz, y, m, dd + (s->end <= s->start ? 1 : 0), 0, s->end, 0);
            fn(arg, a * 1000, b * 1000);
        }
    }
}

struct next_change {
    int64_t now, best;
};

static void note_change(void *arg, int64_t start, int64_t end)
{
    struct next_change *nc = arg;

    if (start > nc->now && start < nc->best)
        nc->best = start;
    if (end > nc->now && end < nc->best)
        nc->best = end;
}

int64_t schedule_next_change(const struct roster_peer *p, int64_t now_ms)
{
    struct next_change nc = {now_ms, INT64_MAX};

    if (p->nshifts)
        each_shift(p, now_ms, note_change, &nc);
    return nc.best;
}

#define MAX_OCCURRENCES 512

struct occurrences {
    int64_t start[MAX_OCCURRENCES], end[MAX_OCCURRENCES];
    int n;
};

static void note_occurrence(void *arg, int64_t start, int64_t end)
{
    struct occurrences *oc = arg;

    if (oc->n < MAX_OCCURRENCES && end > start) {
        oc->start[oc->n] = start;
        oc->end[oc->n] = end;
        oc->n++;
    }
}

int schedule_shift_at(const struct roster_peer *p, int64_t now_ms, int64_t *start, int64_t *end)
{
    static const int64_t none = INT64_MAX;
    struct occurrences oc;
    int64_t s = none, e = 0;
    int i, grew;

    oc.n = 0;
    if (!p->nshifts)
        return 0;
    each_shift(p, now_ms, note_occurrence, &oc);
    /* The stretch holding now, else the earliest one after now. */
    for (i = 0; i < oc.n; i++) {
        if (oc.end[i] <= now_ms)
            continue;
        if (oc.start[i] <= now_ms) {
            s = oc.start[i];
            e = oc.end[i];
            break;
        }
        if (oc.start[i] < s) {
            s = oc.start[i];
            e = oc.end[i];
        }
    }
    if (s == none)
        return 0;
    /* Join shifts that touch or overlap it, on either side. */
    do {
        grew = 0;
        for (i = 0; i < oc.n; i++) {
            if (oc.start[i] <= e && oc.end[i] > e) {
                e = oc.end[i];
                grew = 1;
            }
            if (oc.end[i] >= s && oc.start[i] < s) {
                s = oc.start[i];
                grew = 1;
            }
        }
    } while (grew);
    *start = s;
    *end = e;
    return 1;
}

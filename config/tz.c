/*
 * tz.c - see tz.h. Owns the TZif (RFC 8536) reader, the footer's POSIX TZ rule and the civil-date
 * arithmetic. tz_load() reads one file (at most 1 MiB), checks every count against the bytes
 * actually present before using it, and keeps only the 64-bit transition table, the offsets and
 * the parsed footer. A lookup is a binary search in the table, or, past its end, the footer rule
 * evaluated for the years around the instant. Leap-second records are skipped: all times here
 * are POSIX times. Nothing below tz_load() touches the environment or shared state.
 */
#include "tz.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TZ_DEFAULT_DIR "/usr/share/zoneinfo"
#define TZ_MAX_FILE    (1024 * 1024)
#define TZ_MAX_NAME    255
#define TZ_MAX_FOOTER  255
#define TZ_T_LIMIT     (INT64_C(1) << 55) /* ~1.1e9 years either way: years still fit an int */
#define TZ_DAYS_LIMIT  (INT64_C(1) << 39)
#define TZ_TRANS_LIMIT (INT64_C(1) << 60) /* wider than zic's -2^59 "big bang" transition */
#define TZ_MIN_UTOFF   (-89999)           /* RFC 8536 3.2: -24:59:59 ... */
#define TZ_MAX_UTOFF   93599              /* ... to 25:59:59 */
#define TZ_WINDOW      (INT64_C(93600))   /* no offset reaches this far, so t is in L +- this */
#define DAY            INT64_C(86400)

struct tz_type {
    int32_t utoff; /* seconds east of UTC */
    int isdst;
};

/* One footer date: 'J' Julian 1-365 without Feb 29, 'D' zero-based 0-365, 'M' month.week.day. */
struct tz_when {
    char kind;
    int m, w, d;  /* 'M': month 1-12, week 1-5, weekday 0-6; 'J'/'D': the day number in d */
    int32_t secs; /* local time of day of the change, -167h..167h (RFC 8536 3.3.1) */
};

struct tz_rule {
    int present;              /* the footer was non-empty */
    int has_dst;              /* it names a DST zone; start/end are then set */
    int32_t std_off, dst_off; /* seconds east of UTC */
    struct tz_when start;     /* DST begins; its time is read in standard time */
    struct tz_when end;       /* DST ends; its time is read in DST */
};

struct tz {
    char name[TZ_MAX_NAME + 1];
    int64_t *trans;     /* owned; ntrans instants, strictly ascending */
    unsigned char *idx; /* owned; the type index in force from each transition */
    size_t ntrans;
    struct tz_type *types; /* owned; ntypes >= 1 */
    size_t ntypes;
    struct tz_rule rule; /* used after the last transition (always, if there is none) */
};

/* The six counts of a TZif header, in file order after the version byte. */
struct tz_hdr {
    int version;
    uint32_t isut, isstd, leap, time, type, chars;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (!err || errlen == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;

    if (a % b != 0 && (a < 0) != (b < 0))
        q--;
    return q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
    int64_t r = a % b;

    return r != 0 && (r < 0) != (b < 0) ? r + b : r;
}

static int64_t clamp(int64_t v, int64_t limit)
{
    return v > limit ? limit : v < -limit ? -limit : v;
}

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int64_t y, int m)
{
    if (m == 2)
        return 28 + is_leap(y);
    return 30 + ((m + (m >= 8)) & 1);
}

int64_t tz_days_from_civil(int year, int month, int day)
{
    /* Months outside 1-12 carry into the year; the day is simply added. March-based years put
     * the leap day last, so a 400-year era is 146097 days with no special cases. */
    int64_t y = (int64_t)year + floor_div((int64_t)month - 1, 12);
    int64_t m = floor_mod((int64_t)month - 1, 12) + 1;
    int64_t era, yoe, doy, doe;

    if (m <= 2)
        y--;
    era = floor_div(y, 400);
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468 + (int64_t)day - 1;
}

void tz_civil_from_days(int64_t days, int *year, int *month, int *day)
{
    int64_t z = clamp(days, TZ_DAYS_LIMIT) + 719468; /* days since 0000-03-01 */
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;

    *year = (int)(era * 400 + yoe + (m <= 2));
    *month = (int)m;
    *day = (int)(doy - (153 * mp + 2) / 5 + 1);
}

int tz_weekday(int64_t days)
{
    return (int)((floor_mod(days, 7) + 4) % 7); /* 1970-01-01 was a Thursday */
}

int tz_valid_date(int year, int month, int day)
{
    return month >= 1 && month <= 12 && day >= 1 && day <= month_days(year, month);
}

/* ---- footer: POSIX TZ string with the RFC 8536 extensions ---- */

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_alpha(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* A zone abbreviation: 3+ letters, or <...> with 3+ of [A-Za-z0-9+-]. */
static int parse_abbr(const char **s)
{
    const char *p = *s;
    size_t n = 0;

    if (*p == '<') {
        for (p++; is_alpha(*p) || is_digit(*p) || *p == '+' || *p == '-'; p++)
            n++;
        if (*p++ != '>')
            return -1;
    } else {
        for (; is_alpha(*p); p++)
            n++;
    }
    if (n < 3)
        return -1;
    *s = p;
    return 0;
}

/* Up to `max_digits` decimal digits in [lo, hi]. */
static int parse_num(const char **s, int max_digits, int lo, int hi, int *out)
{
    const char *p = *s;
    int v = 0, n = 0;

    while (n < max_digits && is_digit(*p)) {
        v = v * 10 + (*p++ - '0');
        n++;
    }
    if (n == 0 || v < lo || v > hi)
        return -1;
    *out = v;
    *s = p;
    return 0;
}

/* [+-]h[h[h]][:mm[:ss]] with hours up to max_h, in seconds. */
static int parse_hms(const char **s, int max_h, int32_t *out)
{
    const char *p = *s;
    int sign = 1, h, m = 0, sec = 0;

    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    if (parse_num(&p, 3, 0, max_h, &h))
        return -1;
    if (*p == ':') {
        p++;
        if (parse_num(&p, 2, 0, 59, &m))
            return -1;
        if (*p == ':') {
            p++;
            if (parse_num(&p, 2, 0, 59, &sec))
                return -1;
        }
    }
    *out = sign * (h * 3600 + m * 60 + sec);
    *s = p;
    return 0;
}

/* Jn, n or Mm.w.d, then an optional /time (default 02:00). */
static int parse_when(const char **s, struct tz_when *w)
{
    const char *p = *s;

    w->kind = *p == 'M' || *p == 'J' ? *p++ : 'D';
    if (w->kind == 'M') {
        if (parse_num(&p, 2, 1, 12, &w->m) || *p++ != '.' || parse_num(&p, 1, 1, 5, &w->w) ||
            *p++ != '.' || parse_num(&p, 1, 0, 6, &w->d))
            return -1;
    } else if (parse_num(&p, 3, w->kind == 'J' ? 1 : 0, 365, &w->d)) {
        return -1;
    }
    w->secs = 7200;
    if (*p == '/') {
        p++;
        if (parse_hms(&p, 167, &w->secs))
            return -1;
    }
    *s = p;
    return 0;
}

/* std offset [dst [offset] [,start[/time],end[/time]]]; "" means no rule. */
static int parse_rule(const char *s, struct tz_rule *r)
{
    int32_t off;

    memset(r, 0, sizeof(*r));
    if (*s == '\0')
        return 0;
    if (parse_abbr(&s) || parse_hms(&s, 24, &off))
        return -1;
    r->present = 1;
    r->std_off = r->dst_off = -off; /* POSIX offsets count west */
    if (*s == '\0')
        return 0;
    if (parse_abbr(&s))
        return -1;
    r->has_dst = 1;
    r->dst_off = r->std_off + 3600;
    if (*s != ',' && *s != '\0') {
        if (parse_hms(&s, 24, &off))
            return -1;
        r->dst_off = -off;
    }
    if (*s == '\0') { /* no dates: POSIX leaves it open; tzcode uses the US rule */
        r->start = (struct tz_when){'M', 3, 2, 0, 7200};
        r->end = (struct tz_when){'M', 11, 1, 0, 7200};
        return 0;
    }
    if (*s++ != ',' || parse_when(&s, &r->start) || *s++ != ',' || parse_when(&s, &r->end))
        return -1;
    return *s == '\0' ? 0 : -1;
}

/* The local date (days since epoch) a footer date falls on in `year`. */
static int64_t when_day(const struct tz_when *w, int year)
{
    int64_t jan1 = tz_days_from_civil(year, 1, 1), first, day;

    if (w->kind == 'J')
        return jan1 + w->d - 1 + (is_leap(year) && w->d >= 60);
    if (w->kind == 'D')
        return jan1 + w->d;
    first = tz_days_from_civil(year, w->m, 1);
    day = first + floor_mod(w->d - tz_weekday(first), 7) + 7 * (w->w - 1);
    while (day >= first + month_days(year, w->m)) /* week 5 means "last" */
        day -= 7;
    return day;
}

/* The instants DST starts and ends in `year`, and the year containing t (standard time). */
static void rule_events(const struct tz_rule *r, int year, int64_t *start, int64_t *end)
{
    *start = when_day(&r->start, year) * DAY + r->start.secs - r->std_off;
    *end = when_day(&r->end, year) * DAY + r->end.secs - r->dst_off;
}

static int rule_year(const struct tz_rule *r, int64_t t)
{
    int y, m, d;

    tz_civil_from_days(floor_div(t + r->std_off, DAY), &y, &m, &d);
    return y;
}

/* DST is in force when the latest start/end at or before t is a start; a start wins a tie, so
 * "0/0,J365/25" (DST all year, RFC 8536 3.3.1) works. Works for either hemisphere. */
static int rule_isdst(const struct tz_rule *r, int64_t t)
{
    int64_t best = INT64_MIN, s, e;
    int y0 = rule_year(r, t), y, dst = 0;

    for (y = y0 - 1; y <= y0 + 1; y++) {
        rule_events(r, y, &s, &e);
        if (e <= t && e > best) {
            best = e;
            dst = 0;
        }
        if (s <= t && s >= best) {
            best = s;
            dst = 1;
        }
    }
    return dst;
}

/* The first start or end strictly after t. */
static int rule_next(const struct tz_rule *r, int64_t t, int64_t *when)
{
    int64_t best = INT64_MAX, ev[2];
    int y0 = rule_year(r, t), y, i;

    for (y = y0 - 1; y <= y0 + 2; y++) {
        rule_events(r, y, &ev[0], &ev[1]);
        for (i = 0; i < 2; i++)
            if (ev[i] > t && ev[i] < best)
                best = ev[i];
    }
    *when = best;
    return best != INT64_MAX;
}

/* ---- lookups ---- */

static struct tz_type lookup(const struct tz *tz, int64_t t)
{
    struct tz_type ty;
    size_t lo = 0, hi, mid, n = tz->ntrans;

    if (n == 0 || t > tz->trans[n - 1]) {
        if (!tz->rule.present)
            return tz->types[n ? tz->idx[n - 1] : 0];
        ty.isdst = tz->rule.has_dst && rule_isdst(&tz->rule, t);
        ty.utoff = ty.isdst ? tz->rule.dst_off : tz->rule.std_off;
        return ty;
    }
    if (t < tz->trans[0])
        return tz->types[0];     /* RFC 8536: type 0 before the first transition */
    for (hi = n - 1; lo < hi;) { /* the last i with trans[i] <= t */
        mid = lo + (hi - lo + 1) / 2;
        if (tz->trans[mid] <= t)
            lo = mid;
        else
            hi = mid - 1;
    }
    return tz->types[tz->idx[lo]];
}

/* The first transition strictly after t, from the table or, past it, the rule. */
static int next_change(const struct tz *tz, int64_t t, int64_t *when)
{
    size_t lo = 0, hi, mid, n = tz->ntrans;

    if (n > 0 && t < tz->trans[n - 1]) {
        for (hi = n - 1; lo < hi;) {
            mid = lo + (hi - lo) / 2;
            if (tz->trans[mid] > t)
                hi = mid;
            else
                lo = mid + 1;
        }
        *when = tz->trans[lo];
        return 1;
    }
    return tz->rule.has_dst && rule_next(&tz->rule, t, when);
}

void tz_to_local(const struct tz *tz, int64_t t, struct tz_local *out)
{
    struct tz_type ty;
    int64_t lt, days, secs;

    t = clamp(t, TZ_T_LIMIT);
    ty = lookup(tz, t);
    lt = t + ty.utoff;
    days = floor_div(lt, DAY);
    secs = lt - days * DAY;
    tz_civil_from_days(days, &out->year, &out->month, &out->day);
    out->hour = (int)(secs / 3600);
    out->min = (int)(secs / 60 % 60);
    out->sec = (int)(secs % 60);
    out->wday = tz_weekday(days);
    out->utoff = ty.utoff;
    out->isdst = ty.isdst;
    out->days = days;
}

/*
 * Walks the stretches of constant offset that overlap [L - window, L + window] in time order.
 * The first stretch whose instant L - off lies inside it is the earliest reading (overlaps pick
 * the first). If none holds it, L fell into a gap: read it with the offset before the jump.
 */
int64_t tz_from_local(const struct tz *tz, int year, int month, int day, int hour, int min, int sec)
{
    int64_t local, seg, next, cand, gap = 0;
    int32_t off, noff;
    int have_gap = 0, more, i;

    local =
        tz_days_from_civil(year, month, day) * DAY + (int64_t)hour * 3600 + (int64_t)min * 60 + sec;
    local = clamp(local, TZ_T_LIMIT);
    seg = local - TZ_WINDOW;
    off = lookup(tz, seg).utoff;
    for (i = 0; i < 64; i++) { /* a sane zone has a handful of changes in two days */
        more = next_change(tz, seg, &next) && next <= local + TZ_WINDOW;
        cand = local - off;
        if (cand >= seg && (!more || cand < next))
            return cand;
        if (!more)
            break;
        noff = lookup(tz, next).utoff;
        if (!have_gap && local >= next + off && local < next + noff) {
            gap = local - off;
            have_gap = 1;
        }
        seg = next;
        off = noff;
    }
    return have_gap ? gap : local - off;
}

/* ---- loading ---- */

static const char *bad_name(const char *name)
{
    size_t n, i;
    char c;

    if (!name || !*name)
        return "empty time zone name";
    n = strnlen(name, TZ_MAX_NAME + 1);
    if (n > TZ_MAX_NAME)
        return "time zone name longer than 255 bytes";
    if (name[0] == '/')
        return "time zone name must not start with '/'";
    if (strstr(name, ".."))
        return "time zone name must not contain \"..\"";
    for (i = 0; i < n; i++) {
        c = name[i];
        if (!is_alpha(c) && !is_digit(c) && c != '/' && c != '_' && c != '+' && c != '-')
            return "time zone name has a character outside [A-Za-z0-9/_+-]";
    }
    return NULL;
}

/* Reads a regular file of at most TZ_MAX_FILE bytes. The caller owns (frees) the result. */
static unsigned char *slurp(const char *path, const char *name, size_t *len, char *err,
                            size_t errlen)
{
    unsigned char *buf = NULL;
    struct stat st;
    size_t size, n = 0;
    ssize_t r;
    int fd;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK); /* a FIFO must not block us */
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            set_err(err, errlen, "unknown time zone \"%s\"", name);
        else
            set_err(err, errlen, "time zone \"%s\": %s", name, strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        set_err(err, errlen, "unknown time zone \"%s\"", name);
        goto fail;
    }
    if (st.st_size > TZ_MAX_FILE) {
        set_err(err, errlen, "time zone \"%s\": file larger than 1 MiB", name);
        goto fail;
    }
    size = (size_t)st.st_size;
    buf = malloc(size ? size : 1);
    if (!buf) {
        set_err(err, errlen, "time zone \"%s\": out of memory", name);
        goto fail;
    }
    while (n < size) {
        r = read(fd, buf + n, size - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            set_err(err, errlen, "time zone \"%s\": %s", name, strerror(errno));
            goto fail;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    *len = n;
    return buf;
fail:
    free(buf);
    close(fd);
    return NULL;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t sbe32(const unsigned char *p)
{
    int64_t v = be32(p);

    return v > INT32_MAX ? v - (INT64_C(1) << 32) : v;
}

static int64_t sbe64(const unsigned char *p)
{
    uint64_t u = (uint64_t)be32(p) << 32 | be32(p + 4);

    return u <= INT64_MAX ? (int64_t)u : -(int64_t)~u - 1;
}

/* Header at buf[*off]; advances *off past it. */
static const char *read_header(const unsigned char *buf, size_t len, size_t *off, struct tz_hdr *h)
{
    const unsigned char *p = buf + *off;

    if (len - *off < 44 || memcmp(p, "TZif", 4) != 0)
        return "not a TZif file";
    if (p[4] == 0)
        h->version = 1;
    else if (p[4] >= '2' && p[4] <= '4')
        h->version = p[4] - '0';
    else
        return "unsupported TZif version";
    h->isut = be32(p + 20);
    h->isstd = be32(p + 24);
    h->leap = be32(p + 28);
    h->time = be32(p + 32);
    h->type = be32(p + 36);
    h->chars = be32(p + 40);
    *off += 44;
    return NULL;
}

/* Bytes in the data block after a header; tsize is 4 (v1 block) or 8. Cannot overflow. */
static uint64_t block_size(const struct tz_hdr *h, unsigned tsize)
{
    return (uint64_t)h->time * (tsize + 1) + (uint64_t)h->type * 6 + h->chars +
           (uint64_t)h->leap * (tsize + 4) + h->isstd + h->isut;
}

/* Parses the data block at buf[*off] into tz (which then owns the arrays). */
static const char *read_block(const unsigned char *buf, size_t len, size_t *off,
                              const struct tz_hdr *h, unsigned tsize, struct tz *tz)
{
    const unsigned char *p = buf + *off, *q;
    size_t i;

    if (h->type == 0 || h->type > 256 || h->chars == 0)
        return "bad type or designation count";
    if ((h->isut && h->isut != h->type) || (h->isstd && h->isstd != h->type))
        return "bad indicator count";
    if (block_size(h, tsize) > len - *off)
        return "truncated data block";
    if (h->time) {
        tz->trans = malloc(h->time * sizeof(*tz->trans));
        tz->idx = malloc(h->time);
    }
    tz->types = malloc(h->type * sizeof(*tz->types));
    if ((h->time && (!tz->trans || !tz->idx)) || !tz->types)
        return "out of memory";
    tz->ntrans = h->time;
    tz->ntypes = h->type;
    for (i = 0; i < h->time; i++) {
        tz->trans[i] = tsize == 8 ? sbe64(p + i * 8) : sbe32(p + i * 4);
        if (tz->trans[i] < -TZ_TRANS_LIMIT || tz->trans[i] > TZ_TRANS_LIMIT)
            return "transition time out of range";
        if (i > 0 && tz->trans[i] <= tz->trans[i - 1])
            return "transition times not ascending";
    }
    q = p + (size_t)h->time * tsize;
    for (i = 0; i < h->time; i++) {
        tz->idx[i] = q[i];
        if (q[i] >= h->type)
            return "transition type index out of range";
    }
    q += h->time;
    for (i = 0; i < h->type; i++, q += 6) {
        tz->types[i].utoff = (int32_t)sbe32(q);
        tz->types[i].isdst = q[4];
        if (tz->types[i].utoff < TZ_MIN_UTOFF || tz->types[i].utoff > TZ_MAX_UTOFF || q[4] > 1 ||
            q[5] >= h->chars)
            return "bad local time type";
    }
    /* Designations, leap seconds and the std/ut indicators: in the block, not needed. */
    *off += (size_t)block_size(h, tsize);
    return NULL;
}

static const char *parse_tzif(struct tz *tz, const unsigned char *buf, size_t len)
{
    char foot[TZ_MAX_FOOTER + 1];
    const unsigned char *nl;
    struct tz_hdr h;
    const char *why;
    size_t off = 0, n;

    if ((why = read_header(buf, len, &off, &h)) != NULL)
        return why;
    if (h.version == 1)
        return read_block(buf, len, &off, &h, 4, tz);
    if (block_size(&h, 4) > len - off) /* v2+: the 32-bit block is only skipped */
        return "truncated version 1 data block";
    off += (size_t)block_size(&h, 4);
    if ((why = read_header(buf, len, &off, &h)) != NULL || h.version == 1)
        return "bad second header";
    if ((why = read_block(buf, len, &off, &h, 8, tz)) != NULL)
        return why;
    if (off >= len || buf[off] != '\n')
        return "missing footer";
    off++;
    nl = memchr(buf + off, '\n', len - off);
    if (!nl)
        return "unterminated footer";
    n = (size_t)(nl - (buf + off));
    if (n > TZ_MAX_FOOTER)
        return "footer too long";
    memcpy(foot, buf + off, n);
    foot[n] = '\0';
    if (strlen(foot) != n || parse_rule(foot, &tz->rule) != 0)
        return "bad footer TZ string";
    return NULL;
}

struct tz *tz_load(const char *name, const char *dir, char *err, size_t errlen)
{
    struct tz *tz = NULL;
    unsigned char *buf = NULL; /* the whole file; ours, freed before return */
    char path[4096];
    const char *why;
    size_t len = 0;
    int n;

    set_err(err, errlen, "%s", "");
    if ((why = bad_name(name)) != NULL) {
        set_err(err, errlen, "%s", why);
        return NULL;
    }
    n = snprintf(path, sizeof(path), "%s/%s", dir ? dir : TZ_DEFAULT_DIR, name);
    if (n < 0 || (size_t)n >= sizeof(path)) {
        set_err(err, errlen, "time zone \"%s\": path too long", name);
        return NULL;
    }
    buf = slurp(path, name, &len, err, errlen);
    if (!buf)
        goto fail;
    tz = calloc(1, sizeof(*tz));
    if (!tz) {
        set_err(err, errlen, "time zone \"%s\": out of memory", name);
        goto fail;
    }
    memcpy(tz->name, name, strlen(name) + 1);
    if ((why = parse_tzif(tz, buf, len)) != NULL) {
        set_err(err, errlen, "time zone \"%s\": %s", name, why);
        goto fail;
    }
    free(buf);
    return tz;
fail:
    free(buf);
    tz_free(tz);
    return NULL;
}

void tz_free(struct tz *tz)
{
    if (!tz)
        return;
    free(tz->trans);
    free(tz->idx);
    free(tz->types);
    free(tz);
}

const char *tz_name(const struct tz *tz)
{
    return tz->name;
}

/*
 * test_tz.c - config/tz.c against the system zoneinfo and hand-built TZif files. Expected values
 * were checked with Python's zoneinfo and, for footer strings, with glibc's TZ parser.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tz.h"

/* ---- helpers ---- */

static struct tz *load(const char *name)
{
    char err[256];
    struct tz *tz = tz_load(name, NULL, err, sizeof(err));

    if (!tz)
        fail_msg("tz_load(%s): %s", name, err);
    assert_string_equal(tz_name(tz), name);
    return tz;
}

static void check(const struct tz *tz, int64_t t, int y, int mo, int d, int h, int mi, int s,
                  int32_t utoff, int isdst)
{
    struct tz_local l;

    tz_to_local(tz, t, &l);
    assert_int_equal(l.year, y);
    assert_int_equal(l.month, mo);
    assert_int_equal(l.day, d);
    assert_int_equal(l.hour, h);
    assert_int_equal(l.min, mi);
    assert_int_equal(l.sec, s);
    assert_int_equal(l.utoff, utoff);
    assert_int_equal(l.isdst, isdst);
    assert_int_equal(l.days, tz_days_from_civil(y, mo, d));
    assert_int_equal(l.wday, tz_weekday(l.days));
}

/* A TZif image under construction. */
struct img {
    unsigned char b[4096];
    size_t n;
};

static void put(struct img *im, const void *p, size_t n)
{
    if (n == 0)
        return;
    assert_true(im->n + n <= sizeof(im->b));
    memcpy(im->b + im->n, p, n);
    im->n += n;
}

static void put32(struct img *im, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 8), (unsigned char)v};

    put(im, b, 4);
}

static void put_header(struct img *im, char version, uint32_t ntrans, uint32_t ntypes)
{
    unsigned char pad[15] = {0};

    put(im, "TZif", 4);
    put(im, &version, 1);
    put(im, pad, sizeof(pad));
    put32(im, 0);      /* isutcnt */
    put32(im, 0);      /* isstdcnt */
    put32(im, 0);      /* leapcnt */
    put32(im, ntrans); /* timecnt */
    put32(im, ntypes); /* typecnt */
    put32(im, 4);      /* charcnt: "ABC" */
}

static void put_block(struct img *im, int wide, const int64_t *trans, const unsigned char *idx,
                      size_t n, const int32_t *utoff, const unsigned char *isdst, size_t ntypes)
{
    unsigned char tt[2];
    size_t i;

    for (i = 0; i < n; i++) {
        if (wide)
            put32(im, (uint32_t)((uint64_t)trans[i] >> 32));
        put32(im, (uint32_t)trans[i]);
    }
    put(im, idx, n);
    for (i = 0; i < ntypes; i++) {
        put32(im, (uint32_t)utoff[i]);
        tt[0] = isdst[i];
        tt[1] = 0;
        put(im, tt, 2);
    }
    put(im, "ABC", 4);
}

/* A zone file; version '\0' writes a v1 file (no 64-bit block, no footer). */
static void build(struct img *im, char version, const int64_t *trans, const unsigned char *idx,
                  size_t n, const int32_t *utoff, const unsigned char *isdst, size_t ntypes,
                  const char *footer)
{
    im->n = 0;
    put_header(im, version, (uint32_t)n, (uint32_t)ntypes);
    put_block(im, 0, trans, idx, n, utoff, isdst, ntypes);
    if (version == '\0')
        return;
    put_header(im, version, (uint32_t)n, (uint32_t)ntypes);
    put_block(im, 1, trans, idx, n, utoff, isdst, ntypes);
    put(im, "\n", 1);
    put(im, footer, strlen(footer));
    put(im, "\n", 1);
}

/* A single-type v2 zone whose every instant comes from the footer. */
static void build_footer(struct img *im, const char *footer)
{
    int32_t utoff = 0;
    unsigned char isdst = 0;

    build(im, '2', NULL, NULL, 0, &utoff, &isdst, 1, footer);
}

/* Writes bytes as <tmpdir>/Test_Zone, loads it from there, removes it. err may be NULL. */
static struct tz *load_bytes(const void *bytes, size_t len, char *err, size_t errlen)
{
    char dir[] = "/tmp/test_tz.XXXXXX", path[64];
    struct tz *tz;
    FILE *f;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/Test_Zone", dir);
    f = fopen(path, "wb");
    assert_non_null(f);
    if (len)
        assert_int_equal(fwrite(bytes, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    tz = tz_load("Test_Zone", dir, err, errlen);
    unlink(path);
    rmdir(dir);
    return tz;
}

static struct tz *load_img(const struct img *im)
{
    char err[256];
    struct tz *tz = load_bytes(im->b, im->n, err, sizeof(err));

    if (!tz)
        fail_msg("synthetic zone refused: %s", err);
    return tz;
}

static void refuse_img(const struct img *im, const char *want)
{
    char err[256];
    struct tz *tz = load_bytes(im->b, im->n, err, sizeof(err));

    if (tz) {
        tz_free(tz);
        fail_msg("hostile zone accepted (want \"%s\")", want);
    }
    if (!strstr(err, want))
        fail_msg("error \"%s\" lacks \"%s\"", err, want);
}

/* ---- real zones ---- */

static void test_new_york_2026(void **state)
{
    struct tz *tz = load("America/New_York");

    (void)state;
    check(tz, 1772953199, 2026, 3, 8, 1, 59, 59, -18000, 0);  /* 06:59:59Z */
    check(tz, 1772953200, 2026, 3, 8, 3, 0, 0, -14400, 1);    /* 07:00:00Z */
    check(tz, 1793512799, 2026, 11, 1, 1, 59, 59, -14400, 1); /* 05:59:59Z */
    check(tz, 1793512800, 2026, 11, 1, 1, 0, 0, -18000, 0);   /* 06:00:00Z */
    tz_free(tz);
}

static void test_new_york_footer_2090(void **state)
{
    struct tz *tz = load("America/New_York");
    struct tz_local l;

    (void)state;
    check(tz, 3802593600, 2090, 7, 1, 8, 0, 0, -14400, 1);  /* 2090-07-01 12:00Z */
    check(tz, 3788164800, 2090, 1, 15, 7, 0, 0, -18000, 0); /* 2090-01-15 12:00Z */
    tz_to_local(tz, 3802593600, &l);
    assert_int_equal(l.wday, 6); /* Saturday */
    tz_free(tz);
}

static void test_new_york_history(void **state)
{
    struct tz *tz = load("America/New_York");

    (void)state;
    check(tz, -2208988800, 1899, 12, 31, 19, 0, 0, -18000, 0);  /* 1900-01-01 00:00Z */
    check(tz, -5364662400, 1799, 12, 31, 19, 3, 58, -17762, 0); /* LMT, before the table */
    tz_free(tz);
}

static void test_berlin_2026(void **state)
{
    struct tz *tz = load("Europe/Berlin");

    (void)state;
    check(tz, 1774745999, 2026, 3, 29, 1, 59, 59, 3600, 0);
    check(tz, 1774746000, 2026, 3, 29, 3, 0, 0, 7200, 1);
    check(tz, 1792889999, 2026, 10, 25, 2, 59, 59, 7200, 1);
    check(tz, 1792890000, 2026, 10, 25, 2, 0, 0, 3600, 0);
    tz_free(tz);
}

static void test_chicago(void **state)
{
    struct tz *tz = load("America/Chicago");

    (void)state;
    check(tz, 1772956799, 2026, 3, 8, 1, 59, 59, -21600, 0);
    check(tz, 1772956800, 2026, 3, 8, 3, 0, 0, -18000, 1);
    check(tz, 1783184400, 2026, 7, 4, 12, 0, 0, -18000, 1);
    tz_free(tz);
}

static void test_kolkata(void **state)
{
    struct tz *tz = load("Asia/Kolkata");

    (void)state;
    check(tz, 1767225600, 2026, 1, 1, 5, 30, 0, 19800, 0);
    check(tz, 1782931500, 2026, 7, 2, 0, 15, 0, 19800, 0); /* crosses midnight */
    check(tz, 3802593600, 2090, 7, 1, 17, 30, 0, 19800, 0);
    tz_free(tz);
}

static void test_sydney(void **state)
{
    struct tz *tz = load("Australia/Sydney");

    (void)state;
    check(tz, 1768435200, 2026, 1, 15, 11, 0, 0, 39600, 1); /* summer is January */
    check(tz, 1784073600, 2026, 7, 15, 10, 0, 0, 36000, 0);
    check(tz, 1775318399, 2026, 4, 5, 2, 59, 59, 39600, 1);
    check(tz, 1775318400, 2026, 4, 5, 2, 0, 0, 36000, 0);
    check(tz, 1791043199, 2026, 10, 4, 1, 59, 59, 36000, 0);
    check(tz, 1791043200, 2026, 10, 4, 3, 0, 0, 39600, 1);
    check(tz, 3788121600, 2090, 1, 15, 11, 0, 0, 39600, 1); /* footer, across new year */
    check(tz, 3803760000, 2090, 7, 15, 10, 0, 0, 36000, 0);
    tz_free(tz);
}

static void test_utc(void **state)
{
    struct tz *tz = load("UTC");
    struct tz_local l;

    (void)state;
    check(tz, 0, 1970, 1, 1, 0, 0, 0, 0, 0);
    check(tz, -1, 1969, 12, 31, 23, 59, 59, 0, 0);
    check(tz, 1795523696, 2026, 11, 24, 12, 34, 56, 0, 0);
    tz_to_local(tz, -1, &l);
    assert_int_equal(l.days, -1);
    assert_int_equal(l.wday, 3); /* Wednesday */
    assert_int_equal(tz_from_local(tz, 1969, 12, 31, 23, 59, 59), -1);
    tz_free(tz);
}

/* ---- local -> UTC ---- */

static void test_from_local_round_trip(void **state)
{
    static const char *zones[] = {"America/New_York", "Europe/Berlin", "Australia/Sydney",
                                  "Asia/Kolkata",     "UTC",           "America/Chicago"};
    struct tz_local l;
    struct tz *tz;
    int64_t t;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
        tz = load(zones[i]);
        /* every 7919 s over 1969-2027 and 2088-2092; overlaps may map back earlier */
        for (t = -100000; t < 1800000000; t += 7919 * 37) {
            tz_to_local(tz, t, &l);
            int64_t back = tz_from_local(tz, l.year, l.month, l.day, l.hour, l.min, l.sec);
            assert_true(back == t || back == t - 3600);
        }
        for (t = 3786912000; t < 3913056000; t += 7919) {
            tz_to_local(tz, t, &l);
            int64_t back = tz_from_local(tz, l.year, l.month, l.day, l.hour, l.min, l.sec);
            assert_true(back == t || back == t - 3600);
        }
        tz_free(tz);
    }
    tz = load("America/New_York");
    assert_int_equal(tz_from_local(tz, 2026, 3, 1, 0, 0, 0), 1772341200);
    assert_int_equal(tz_from_local(tz, 2027, 1, 1, 0, 0, 0), 1798779600);
    assert_int_equal(tz_from_local(tz, 1960, 6, 15, 12, 0, 0), -301219200);
    tz_free(tz);
}

static void test_from_local_gap(void **state)
{
    struct tz *tz = load("America/New_York");
    struct tz_local l;
    int64_t t;

    (void)state;
    t = tz_from_local(tz, 2026, 3, 8, 2, 30, 0);
    assert_int_equal(t, 1772955000); /* 07:30Z */
    tz_to_local(tz, t, &l);
    assert_int_equal(l.hour, 3);
    assert_int_equal(l.min, 30);
    assert_int_equal(l.isdst, 1);
    assert_int_equal(tz_from_local(tz, 2026, 3, 8, 2, 0, 0), 1772953200);
    assert_int_equal(tz_from_local(tz, 2026, 3, 8, 3, 0, 0), 1772953200);
    assert_int_equal(tz_from_local(tz, 2090, 3, 12, 2, 30, 0), 3792987000); /* footer era */
    tz_free(tz);

    tz = load("Europe/Berlin");
    assert_int_equal(tz_from_local(tz, 2026, 3, 29, 2, 30, 0), 1774747800);
    tz_free(tz);
    tz = load("Australia/Sydney");
    assert_int_equal(tz_from_local(tz, 2026, 10, 4, 2, 30, 0), 1791045000);
    assert_int_equal(tz_from_local(tz, 2090, 10, 1, 2, 30, 0), 3810472200);
    tz_free(tz);
}

static void test_from_local_overlap(void **state)
{
    struct tz *tz = load("America/New_York");
    struct tz_local l;
    int64_t t;

    (void)state;
    t = tz_from_local(tz, 2026, 11, 1, 1, 30, 0);
    assert_int_equal(t, 1793511000); /* 05:30Z, still EDT */
    tz_to_local(tz, t, &l);
    assert_int_equal(l.isdst, 1);
    assert_int_equal(tz_from_local(tz, 2026, 11, 1, 1, 0, 0), 1793509200);
    assert_int_equal(tz_from_local(tz, 2026, 11, 1, 2, 0, 0), 1793516400);
    assert_int_equal(tz_from_local(tz, 2090, 11, 5, 1, 30, 0), 3813543000);
    tz_free(tz);

    tz = load("Europe/Berlin");
    assert_int_equal(tz_from_local(tz, 2026, 10, 25, 2, 30, 0), 1792888200);
    tz_free(tz);
    tz = load("Australia/Sydney");
    assert_int_equal(tz_from_local(tz, 2026, 4, 5, 2, 30, 0), 1775316600);
    assert_int_equal(tz_from_local(tz, 2090, 4, 2, 2, 30, 0), 3794743800);
    tz_free(tz);
}

static void test_from_local_normalise(void **state)
{
    struct tz *tz = load("America/New_York");

    (void)state;
    /* 2026-11-24 24:00 is 2026-11-25 00:00 EST */
    assert_int_equal(tz_from_local(tz, 2026, 11, 24, 24, 0, 0), 1795582800);
    assert_int_equal(tz_from_local(tz, 2026, 11, 24, 23, 60, 0), 1795582800);
    assert_int_equal(tz_from_local(tz, 2026, 11, 24, 23, 59, 60), 1795582800);
    assert_int_equal(tz_from_local(tz, 2026, 12, 32, 0, 0, 0), 1798779600);
    assert_int_equal(tz_from_local(tz, 2026, 13, 1, 0, 0, 0), 1798779600);
    assert_int_equal(tz_from_local(tz, 2027, 0, 32, 0, 0, 0), 1798779600);
    assert_int_equal(tz_from_local(tz, 2027, 1, 32, 0, 0, 0), 1801458000);
    assert_int_equal(tz_from_local(tz, 2026, 3, 8, 24, 0, 0), 1773028800); /* EDT by then */
    assert_int_equal(tz_from_local(tz, 2026, 3, 9, 0, -60, 0), 1773025200);
    tz_free(tz);
}

/* ---- footer rules, on synthetic zones with no transitions ---- */

static void test_footer_forms(void **state)
{
    struct img im;
    struct tz *tz;

    (void)state;
    build_footer(&im, "XXX3YYY,59/2,299/2"); /* zero-based: day 59 of 2028 is Feb 29 */
    tz = load_img(&im);
    check(tz, 1835413199, 2028, 2, 29, 1, 59, 59, -10800, 0);
    check(tz, 1835413200, 2028, 2, 29, 3, 0, 0, -7200, 1);
    check(tz, 1856145599, 2028, 10, 26, 1, 59, 59, -7200, 1);
    check(tz, 1856145600, 2028, 10, 26, 1, 0, 0, -10800, 0);
    tz_free(tz);

    build_footer(&im, "XXX3YYY,J60/2,J300/2"); /* Julian: J60 is always Mar 1 */
    tz = load_img(&im);
    check(tz, 1835499599, 2028, 3, 1, 1, 59, 59, -10800, 0);
    check(tz, 1835499600, 2028, 3, 1, 3, 0, 0, -7200, 1);
    check(tz, 1856231999, 2028, 10, 27, 1, 59, 59, -7200, 1);
    check(tz, 1856232000, 2028, 10, 27, 1, 0, 0, -10800, 0);
    tz_free(tz);

    build_footer(&im, "<-02>2<-01>,M3.5.0/-1,M10.5.0/0"); /* America/Nuuk: negative time */
    tz = load_img(&im);
    check(tz, 3794173199, 2090, 3, 25, 22, 59, 59, -7200, 0);
    check(tz, 3794173200, 2090, 3, 26, 0, 0, 0, -3600, 1);
    tz_free(tz);

    build_footer(&im, "<-04>4<-03>,M9.1.6/24,M4.1.6/24"); /* America/Santiago: hour 24 */
    tz = load_img(&im);
    check(tz, 3808094399, 2090, 9, 2, 23, 59, 59, -14400, 0);
    check(tz, 3808094400, 2090, 9, 3, 1, 0, 0, -10800, 1);
    tz_free(tz);

    build_footer(&im, "<+0330>-3:30");
    tz = load_img(&im);
    check(tz, 3786912000, 2090, 1, 1, 3, 30, 0, 12600, 0);
    tz_free(tz);

    build_footer(&im, "IST-1GMT0,M10.5.0,M3.5.0/1"); /* Europe/Dublin: negative DST */
    tz = load_img(&im);
    check(tz, 3786912000, 2090, 1, 1, 0, 0, 0, 0, 1);
    check(tz, 3802550400, 2090, 7, 1, 1, 0, 0, 3600, 0);
    tz_free(tz);

    build_footer(&im, "<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45"); /* Pacific/Chatham */
    tz = load_img(&im);
    check(tz, 3786912000, 2090, 1, 1, 13, 45, 0, 49500, 1);
    tz_free(tz);

    build_footer(&im, "EST5EDT"); /* DST with no dates: the US rule */
    tz = load_img(&im);
    check(tz, 3802593600, 2090, 7, 1, 8, 0, 0, -14400, 1);
    check(tz, 3788164800, 2090, 1, 15, 7, 0, 0, -18000, 0);
    tz_free(tz);

    build_footer(&im, "EST5EDT,0/0,J365/25"); /* DST all year (RFC 8536 3.3.1) */
    tz = load_img(&im);
    check(tz, 1893456000, 2029, 12, 31, 20, 0, 0, -14400, 1);
    check(tz, 1909094400, 2030, 6, 30, 20, 0, 0, -14400, 1);
    check(tz, 1924988400, 2030, 12, 31, 19, 0, 0, -14400, 1);
    tz_free(tz);

    build_footer(&im, ""); /* empty footer: type 0 throughout */
    tz = load_img(&im);
    check(tz, 3786912000, 2090, 1, 1, 0, 0, 0, 0, 0);
    tz_free(tz);
}

static void test_footer_jerusalem_real(void **state)
{
    struct tz *tz = load("Asia/Jerusalem"); /* footer IST-2IDT,M3.4.4/26,M10.5.0 */

    (void)state;
    check(tz, 3794083200, 2090, 3, 25, 3, 0, 0, 10800, 1);
    tz_free(tz);
}

static void test_footer_refusals(void **state)
{
    static const char *bad[] = {
        "EST",
        "EST5EDT,M3.2.0",
        "EST5EDT,M13.1.0,M11.1.0",
        "EST5EDT,M3.6.0,M11.1.0",
        "EST25",
        "<AB>3",
        "ES5",
        "EST5EDT,J0,J365",
        "EST5EDT,366,0",
        "EST5EDT,M3.2.0/168,M11.1.0",
        "EST5EDT,M3.2.0,M11.1.0junk",
        "<EST5",
        "EST5:60",
        "EST5EDT,M3.2.7,M11.1.0",
    };
    struct img im;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        build_footer(&im, bad[i]);
        refuse_img(&im, "bad footer");
    }
}

/* ---- hand-built files ---- */

static void test_v1_file(void **state)
{
    static const int64_t trans[] = {1000000, 2000000};
    static const unsigned char idx[] = {1, 0};
    static const int32_t utoff[] = {3600, 7200};
    static const unsigned char isdst[] = {0, 1};
    struct img im;
    struct tz *tz;

    (void)state;
    build(&im, '\0', trans, idx, 2, utoff, isdst, 2, "");
    tz = load_img(&im);
    check(tz, 999999, 1970, 1, 12, 14, 46, 39, 3600, 0);
    check(tz, 1000000, 1970, 1, 12, 15, 46, 40, 7200, 1);
    check(tz, 2000000, 1970, 1, 24, 4, 33, 20, 3600, 0);
    check(tz, 3000000000, 2065, 1, 24, 6, 20, 0, 3600, 0); /* last type, no footer */
    tz_free(tz);
}

static void test_refuse_names(void **state)
{
    static const char *bad[] = {"../etc/passwd", "/etc/passwd",    "",    "America/New York",
                                "UTC\n",         "America/../UTC", "a.b", "Europe/Berlin;rm"};
    char err[256], longname[300];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_null(tz_load(bad[i], NULL, err, sizeof(err)));
        assert_true(err[0] != '\0');
        assert_null(strchr(err, '\n'));
    }
    assert_null(tz_load(NULL, NULL, err, sizeof(err)));
    memset(longname, 'A', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    assert_null(tz_load(longname, NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "255"));
}

static void test_refuse_missing(void **state)
{
    char err[256], tiny[8];

    (void)state;
    assert_null(tz_load("Mars/Base", NULL, err, sizeof(err)));
    assert_string_equal(err, "unknown time zone \"Mars/Base\"");
    assert_null(tz_load("America", NULL, err, sizeof(err))); /* a directory */
    assert_non_null(strstr(err, "unknown time zone"));
    assert_null(tz_load("Mars/Base", NULL, tiny, sizeof(tiny)));
    assert_string_equal(tiny, "unknown");
    assert_null(tz_load("Mars/Base", NULL, tiny, 0));
    assert_null(tz_load("Mars/Base", NULL, NULL, 0));
    tz_free(NULL);
}

static void test_refuse_truncated(void **state)
{
    unsigned char *whole;
    char err[256];
    struct tz *tz;
    size_t len, cut;
    FILE *f;

    (void)state;
    f = fopen("/usr/share/zoneinfo/America/New_York", "rb");
    assert_non_null(f);
    whole = malloc(1 << 16);
    assert_non_null(whole);
    len = fread(whole, 1, 1 << 16, f);
    fclose(f);
    assert_true(len > 100);
    /* every proper prefix fails: the footer's closing newline is the last byte */
    for (cut = 0; cut < len; cut++) {
        tz = load_bytes(whole, cut, err, sizeof(err));
        if (tz)
            fail_msg("prefix of %zu bytes accepted", cut);
        assert_non_null(strstr(err, "Test_Zone"));
    }
    tz = load_bytes(whole, len, err, sizeof(err));
    assert_non_null(tz);
    check(tz, 1772953200, 2026, 3, 8, 3, 0, 0, -14400, 1);
    tz_free(tz);
    free(whole);
}

static void test_refuse_garbage(void **state)
{
    static const char text[] = "this is not a zone file\n just some text that goes on for a while "
                               "so that it is longer than a header\n";
    unsigned char noise[2048];
    char err[256];
    unsigned seed = 12345;
    size_t i;

    (void)state;
    assert_null(load_bytes(text, sizeof(text) - 1, err, sizeof(err)));
    assert_string_equal(err, "time zone \"Test_Zone\": not a TZif file");
    for (i = 0; i < sizeof(noise); i++) {
        seed = seed * 1103515245u + 12345u;
        noise[i] = (unsigned char)(seed >> 16);
    }
    memcpy(noise, "TZif2", 5); /* right magic, random counts and data */
    assert_null(load_bytes(noise, sizeof(noise), err, sizeof(err)));
    memcpy(noise, "TZif9", 5);
    assert_null(load_bytes(noise, sizeof(noise), err, sizeof(err)));
    assert_non_null(strstr(err, "version"));
}

static void test_refuse_absurd_counts(void **state)
{
    static const int64_t trans[] = {1000000, 2000000};
    static const unsigned char idx[] = {1, 0};
    static const int32_t utoff[] = {3600, 7200};
    static const unsigned char isdst[] = {0, 1};
    struct img im;
    size_t v2;

    (void)state;
    im.n = 0; /* timecnt 2^32-1 with a tiny file */
    put(&im, "TZif2", 5);
    memset(im.b + im.n, 0, 15);
    im.n += 15;
    put32(&im, 0);
    put32(&im, 0);
    put32(&im, 0xffffffffu);
    put32(&im, 0xffffffffu);
    put32(&im, 0xffffffffu);
    put32(&im, 0xffffffffu);
    refuse_img(&im, "truncated");

    build(&im, '2', trans, idx, 2, utoff, isdst, 2, "");
    v2 = 44 + 2 * 5 + 2 * 6 + 4; /* start of the second header */
    im.b[v2 + 39] = 0;           /* typecnt 0 in the 64-bit block */
    refuse_img(&im, "count");

    build(&im, '2', trans, idx, 2, utoff, isdst, 2, "");
    im.b[v2 + 43] = 200; /* charcnt beyond the data */
    refuse_img(&im, "truncated");

    build(&im, '2', trans, idx, 2, utoff, isdst, 2, "");
    im.b[v2 + 39] = 0; /* typecnt 256 with 2 types present */
    im.b[v2 + 38] = 1;
    refuse_img(&im, "truncated");
}

static void test_refuse_bad_data(void **state)
{
    static const int64_t trans[] = {1000000, 2000000};
    static const int64_t down[] = {2000000, 1000000};
    static const int64_t huge[] = {1000000, INT64_MAX};
    static const unsigned char idx[] = {1, 0}, bad_idx[] = {1, 2};
    static const int32_t utoff[] = {3600, 7200}, bad_off[] = {3600, INT32_MIN};
    static const unsigned char isdst[] = {0, 1}, bad_dst[] = {0, 2};
    struct img im;

    (void)state;
    build(&im, '2', trans, bad_idx, 2, utoff, isdst, 2, "");
    refuse_img(&im, "index");
    build(&im, '2', down, idx, 2, utoff, isdst, 2, "");
    refuse_img(&im, "ascending");
    build(&im, '2', huge, idx, 2, utoff, isdst, 2, "");
    refuse_img(&im, "range");
    build(&im, '2', trans, idx, 2, bad_off, isdst, 2, "");
    refuse_img(&im, "local time type");
    build(&im, '2', trans, idx, 2, utoff, bad_dst, 2, "");
    refuse_img(&im, "local time type");
    build(&im, '3', trans, idx, 2, utoff, isdst, 2, "CET-1CEST,M3.5.0,M10.5.0/3");
    im.n--; /* no closing newline */
    refuse_img(&im, "footer");
    build(&im, '4', trans, idx, 2, utoff, isdst, 2, "CET-1CEST,M3.5.0,M10.5.0/3");
    im.b[im.n - 5] = '\0'; /* NUL inside the footer */
    refuse_img(&im, "footer");
}

/* ---- civil dates ---- */

static void test_civil(void **state)
{
    int y, m, d;
    int64_t days;

    (void)state;
    assert_int_equal(tz_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(tz_days_from_civil(1969, 12, 31), -1);
    assert_int_equal(tz_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(tz_days_from_civil(1, 1, 1), -719162);
    assert_int_equal(tz_days_from_civil(9999, 12, 31), 2932896);
    assert_int_equal(tz_days_from_civil(2024, 3, 1) - tz_days_from_civil(2024, 2, 28), 2);
    assert_int_equal(tz_days_from_civil(2000, 3, 1) - tz_days_from_civil(2000, 2, 28), 2);
    assert_int_equal(tz_days_from_civil(1900, 3, 1) - tz_days_from_civil(1900, 2, 28), 1);
    assert_int_equal(tz_days_from_civil(2026, 13, 1), tz_days_from_civil(2027, 1, 1));
    assert_int_equal(tz_days_from_civil(2026, 0, 1), tz_days_from_civil(2025, 12, 1));

    tz_civil_from_days(-1, &y, &m, &d);
    assert_true(y == 1969 && m == 12 && d == 31);
    tz_civil_from_days(-719162, &y, &m, &d);
    assert_true(y == 1 && m == 1 && d == 1);
    tz_civil_from_days(11016, &y, &m, &d);
    assert_true(y == 2000 && m == 2 && d == 29);
    for (days = -800000; days < 3000000; days += 13) {
        tz_civil_from_days(days, &y, &m, &d);
        assert_true(tz_valid_date(y, m, d));
        assert_int_equal(tz_days_from_civil(y, m, d), days);
    }

    assert_int_equal(tz_weekday(0), 4); /* Thursday */
    assert_int_equal(tz_weekday(-1), 3);
    assert_int_equal(tz_weekday(-7), 4);
    assert_int_equal(tz_weekday(tz_days_from_civil(2026, 11, 24)), 2); /* Tuesday */
    assert_int_equal(tz_weekday(tz_days_from_civil(2026, 3, 8)), 0);
}

static void test_valid_date(void **state)
{
    (void)state;
    assert_true(tz_valid_date(2000, 2, 29));
    assert_false(tz_valid_date(1900, 2, 29));
    assert_true(tz_valid_date(2024, 2, 29));
    assert_false(tz_valid_date(2026, 2, 29));
    assert_true(tz_valid_date(2026, 12, 31));
    assert_false(tz_valid_date(2026, 4, 31));
    assert_true(tz_valid_date(2026, 8, 31));
    assert_false(tz_valid_date(2026, 9, 31));
    assert_false(tz_valid_date(2026, 0, 1));
    assert_false(tz_valid_date(2026, 13, 1));
    assert_false(tz_valid_date(2026, 1, 0));
    assert_false(tz_valid_date(2026, 1, 32));
}

static void test_extremes(void **state)
{
    struct tz *tz = load("America/New_York");
    struct tz_local l;

    (void)state;
    tz_to_local(tz, INT64_MAX, &l); /* clamped, no overflow */
    assert_true(tz_valid_date(l.year, l.month, l.day));
    tz_to_local(tz, INT64_MIN, &l);
    assert_true(tz_valid_date(l.year, l.month, l.day));
    (void)tz_from_local(tz, 2147483647, 2147483647, 2147483647, 2147483647, 2147483647, 2147483647);
    (void)tz_from_local(tz, -2147483647 - 1, -2147483647 - 1, -2147483647 - 1, 0, 0, 0);
    tz_civil_from_days(INT64_MIN, &l.year, &l.month, &l.day);
    assert_true(tz_valid_date(l.year, l.month, l.day));
    (void)tz_weekday(INT64_MIN);
    (void)tz_weekday(INT64_MAX);
    tz_free(tz);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_york_2026),
        cmocka_unit_test(test_new_york_footer_2090),
        cmocka_unit_test(test_new_york_history),
        cmocka_unit_test(test_berlin_2026),
        cmocka_unit_test(test_chicago),
        cmocka_unit_test(test_kolkata),
        cmocka_unit_test(test_sydney),
        cmocka_unit_test(test_utc),
        cmocka_unit_test(test_from_local_round_trip),
        cmocka_unit_test(test_from_local_gap),
        cmocka_unit_test(test_from_local_overlap),
        cmocka_unit_test(test_from_local_normalise),
        cmocka_unit_test(test_footer_forms),
        cmocka_unit_test(test_footer_jerusalem_real),
        cmocka_unit_test(test_footer_refusals),
        cmocka_unit_test(test_v1_file),
        cmocka_unit_test(test_refuse_names),
        cmocka_unit_test(test_refuse_missing),
        cmocka_unit_test(test_refuse_truncated),
        cmocka_unit_test(test_refuse_garbage),
        cmocka_unit_test(test_refuse_absurd_counts),
        cmocka_unit_test(test_refuse_bad_data),
        cmocka_unit_test(test_civil),
        cmocka_unit_test(test_valid_date),
        cmocka_unit_test(test_extremes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

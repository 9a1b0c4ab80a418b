/*
 * test_parse.c - config/parse.c: durations, E.164 numbers, HH:MM, dates, week days, integers,
 * booleans, listen addresses, ${VAR} expansion (with a fake environment), base64 and Ed25519
 * public keys. Each refusal is
 * checked by its *why sentence, so a value refused for the wrong reason fails.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Asserts that why is set and contains want. */
static void why_has(const char *input, const char *why, const char *want)
{
    if (!why || !strstr(why, want))
        fail_msg("\"%s\": why \"%s\" lacks \"%s\"", input, why ? why : "(null)", want);
}

/* ---- parse_duration ---- */

static void test_duration_good(void **state)
{
    static const struct {
        const char *s;
        int64_t ms;
    } cases[] = {
        {"90s", 90000},
        {"5m", 300000},
        {"2h", 7200000},
        {"14d", 1209600000},
        {"1h30m", 5400000},
        {"250ms", 250},
        {"1m30s", 90000},
        {"1d1ms", 86400001},
        {"0s", 0},
        {"007s", 7000},
        {"3650d", 3650LL * 86400 * 1000},
        {"3649d23h59m59s999ms", 3650LL * 86400 * 1000 - 1},
    };
    size_t i;

    (void)state;
    for (i = 0; i < N(cases); i++) {
        int64_t ms = -1;
        const char *why = NULL;

        if (parse_duration(cases[i].s, &ms, &why))
            fail_msg("\"%s\" refused: %s", cases[i].s, why);
        if (ms != cases[i].ms)
            fail_msg("\"%s\" -> %lld, want %lld", cases[i].s, (long long)ms,
                     (long long)cases[i].ms);
    }
}

static void test_duration_bad(void **state)
{
    static const struct {
        const char *s, *why;
    } cases[] = {
        {"", "empty"},
        {NULL, "empty"},
        {"90", "needs a unit"},
        {"1h30", "needs a unit"},
        {"5x", "unknown duration unit"},
        {"5M", "unknown duration unit"},
        {"5 m", "unknown duration unit"},
        {"1.5h", "unknown duration unit"},
        {"h", "number and a unit"},
        {"-5m", "number and a unit"},
        {" 5m", "number and a unit"},
        {"1h 30m", "number and a unit"},
        {"5mm", "number and a unit"},
        {"3651d", "too long"},
        {"3650d1ms", "too long"},
        {"87601h", "too long"},
        {"99999999999999999999s", "too long"},
        {"315360000001ms", "too long"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < N(cases); i++) {
        int64_t ms = 12345;
        const char *why = NULL;

        if (parse_duration(cases[i].s, &ms, &why) != -1)
            fail_msg("\"%s\" accepted as %lld ms", cases[i].s ? cases[i].s : "(null)",
                     (long long)ms);
        why_has(cases[i].s ? cases[i].s : "(null)", why, cases[i].why);
        assert_int_equal(ms, 12345); /* untouched on failure */
    }
}

/* ---- parse_e164 ---- */

static void test_e164(void **state)
{
    static const char *good[] = {"+14155550123", "+4930123456", "+1234567", "+123456789012345",
                                 "+447700900123"};
    static const struct {
        const char *s, *why;
    } bad[] = {
        {"14155550123", "E.164 form"},
        {"", "E.164 form"},
        {NULL, "E.164 form"},
        {"++14155550123", "only digits"},
        {"+1415555O123", "only digits"}, /* letter O */
        {"+1 415 555 0123", "only digits"},
        {"+1-415-555-0123", "only digits"},
        {"+14155550123 ", "only digits"},
        {"+", "7 to 15 digits"},
        {"+123456", "7 to 15 digits"},
        {"+1234567890123456", "7 to 15 digits"},
        {"+04155550123", "+0"},
        {"+0000000", "+0"},
    };
    size_t i;
    const char *why;

    (void)state;
    for (i = 0; i < N(good); i++) {
        why = NULL;
        if (parse_e164(good[i], &why))
            fail_msg("\"%s\" refused: %s", good[i], why);
    }
    for (i = 0; i < N(bad); i++) {
        why = NULL;
        if (parse_e164(bad[i].s, &why) != -1)
            fail_msg("\"%s\" accepted", bad[i].s ? bad[i].s : "(null)");
        why_has(bad[i].s ? bad[i].s : "(null)", why, bad[i].why);
    }
}

/* ---- parse_hhmm ---- */

static void test_hhmm(void **state)
{
    static const struct {
        const char *s;
        int minutes;
    } good[] = {{"00:00", 0}, {"09:05", 545}, {"18:00", 1080}, {"23:59", 1439}, {"12:30", 750}};
    static const struct {
        const char *s, *why;
    } bad[] = {
        {"24:00", "out of range"}, {"12:60", "out of range"}, {"99:99", "out of range"},
        {"9:00", "HH:MM"},         {"12:5", "HH:MM"},         {"1200", "HH:MM"},
        {"12-00", "HH:MM"},        {"ab:cd", "HH:MM"},        {"", "HH:MM"},
        {NULL, "HH:MM"},           {" 12:00", "HH:MM"},       {"12:00 ", "HH:MM"},
        {"+1:00", "HH:MM"},        {"12:000", "HH:MM"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < N(good); i++) {
        int m = -1;
        const char *why = NULL;

        if (parse_hhmm(good[i].s, &m, &why))
            fail_msg("\"%s\" refused: %s", good[i].s, why);
        assert_int_equal(m, good[i].minutes);
    }
    for (i = 0; i < N(bad); i++) {
        int m = -7;
        const char *why = NULL;

        if (parse_hhmm(bad[i].s, &m, &why) != -1)
            fail_msg("\"%s\" accepted as %d", bad[i].s ? bad[i].s : "(null)", m);
        why_has(bad[i].s ? bad[i].s : "(null)", why, bad[i].why);
        assert_int_equal(m, -7);
    }
}

/* ---- parse_date ---- */

static void test_date(void **state)
{
    static const struct {
        const char *s;
        int64_t days;
    } good[] = {
        {"1970-01-01", 0},     {"1969-12-31", -1},    {"2000-03-01", 11017},
        {"2024-02-29", 19782}, {"2027-06-30", 20999}, {"2000-02-29", 11016},
    };
    static const struct {
        const char *s, *why;
    } bad[] = {
        {"2026-02-29", "no such calendar date"},
        {"1900-02-29", "no such calendar date"},
        {"2026-13-01", "no such calendar date"},
        {"2026-00-10", "no such calendar date"},
        {"2026-04-31", "no such calendar date"},
        {"2026-01-00", "no such calendar date"},
        {"2026-1-01", "YYYY-MM-DD"},
        {"2026/01/01", "YYYY-MM-DD"},
        {"26-01-01", "YYYY-MM-DD"},
        {"2026-01-01T00", "YYYY-MM-DD"},
        {"2026-0a-01", "YYYY-MM-DD"},
        {"", "YYYY-MM-DD"},
        {NULL, "YYYY-MM-DD"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < N(good); i++) {
        int64_t d = 999999;
        const char *why = NULL;

        if (parse_date(good[i].s, &d, &why))
            fail_msg("\"%s\" refused: %s", good[i].s, why);
        assert_int_equal(d, good[i].days);
    }
    for (i = 0; i < N(bad); i++) {
        int64_t d = 999999;
        const char *why = NULL;

        if (parse_date(bad[i].s, &d, &why) != -1)
            fail_msg("\"%s\" accepted", bad[i].s ? bad[i].s : "(null)");
        why_has(bad[i].s ? bad[i].s : "(null)", why, bad[i].why);
        assert_int_equal(d, 999999);
    }
}

/* ---- parse_weekday ---- */

static void test_weekday(void **state)
{
    static const struct {
        const char *s;
        int wday;
    } good[] = {
        {"sun", 0},    {"mon", 1},      {"tue", 2},       {"wed", 3},
        {"thu", 4},    {"fri", 5},      {"sat", 6},       {"Sunday", 0},
        {"monday", 1}, {"TUESDAY", 2},  {"Wednesday", 3}, {"thursday", 4},
        {"FrIdAy", 5}, {"saturday", 6}, {"MON", 1},       {"Thu", 4},
    };
    static const char *bad[] = {"",     "mo",  "tues", "thur",    "mond",   "monday ",
                                " mon", "xyz", "0",    "sundays", "mon,tue"};
    size_t i;
    const char *why;
    int w;

    (void)state;
    for (i = 0; i < N(good); i++) {
        w = -1;
        why = NULL;
        if (parse_weekday(good[i].s, &w, &why))
            fail_msg("\"%s\" refused: %s", good[i].s, why);
        if (w != good[i].wday)
            fail_msg("\"%s\" -> %d, want %d", good[i].s, w, good[i].wday);
    }
    for (i = 0; i < N(bad); i++) {
        w = -1;
        why = NULL;
        if (parse_weekday(bad[i], &w, &why) != -1)
            fail_msg("\"%s\" accepted as %d", bad[i], w);
        why_has(bad[i], why, "mon, tue");
        assert_int_equal(w, -1);
    }
    why = NULL;
    assert_int_equal(parse_weekday(NULL, &w, &why), -1);
    assert_non_null(why);
}

/* ---- parse_int ---- */

static void test_int(void **state)
{
    static const struct {
        const char *s;
        long long min, max, want;
    } good[] = {
        {"42", 0, 100, 42},
        {"0", 0, 100, 0},
        {"100", 0, 100, 100},
        {"-5", -10, 10, -5},
        {"-10", -10, 10, -10},
        {"-0", 0, 0, 0},
        {"007", 0, 10, 7},
        {"9223372036854775807", 0, 9223372036854775807LL, 9223372036854775807LL},
        {"-9223372036854775807", -9223372036854775807LL, 0, -9223372036854775807LL},
    };
    static const struct {
        const char *s;
        long long min, max;
        const char *why;
    } bad[] = {
        {"101", 0, 100, "out of range"},
        {"-1", 0, 100, "out of range"},
        {"-11", -10, 10, "out of range"},
        {"11", -10, 10, "out of range"},
        {"9223372036854775808", 0, 9223372036854775807LL, "out of range"},
        {"99999999999999999999", 0, 9223372036854775807LL, "out of range"},
        {"", 0, 100, "whole number"},
        {NULL, 0, 100, "whole number"},
        {"-", 0, 100, "whole number"},
        {"+5", 0, 100, "whole number"},
        {" 5", 0, 100, "whole number"},
        {"5 ", 0, 100, "whole number"},
        {"1e3", 0, 10000, "whole number"},
        {"0x10", 0, 100, "whole number"},
        {"--5", -10, 10, "whole number"},
        {"5.0", 0, 100, "whole number"},
        {"12abc", 0, 100, "whole number"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < N(good); i++) {
        long long v = 12345;
        const char *why = NULL;

        if (parse_int(good[i].s, good[i].min, good[i].max, &v, &why))
            fail_msg("\"%s\" refused: %s", good[i].s, why);
        if (v != good[i].want)
            fail_msg("\"%s\" -> %lld, want %lld", good[i].s, v, good[i].want);
    }
    for (i = 0; i < N(bad); i++) {
        long long v = 12345;
        const char *why = NULL;

        if (parse_int(bad[i].s, bad[i].min, bad[i].max, &v, &why) != -1)
            fail_msg("\"%s\" accepted as %lld", bad[i].s ? bad[i].s : "(null)", v);
        why_has(bad[i].s ? bad[i].s : "(null)", why, bad[i].why);
        assert_int_equal(v, 12345);
    }
}

/* ---- parse_bool ---- */

static void test_bool(void **state)
{
    static const struct {
        const char *s;
        int want;
    } good[] = {{"true", 1}, {"TRUE", 1}, {"True", 1},  {"yes", 1},   {"Yes", 1},
                {"on", 1},   {"ON", 1},   {"false", 0}, {"False", 0}, {"no", 0},
                {"NO", 0},   {"off", 0},  {"Off", 0}};
    static const char *bad[] = {"", "1", "0", "y", "n", "truee", "tru", " true", "true ", "enable"};
    size_t i;
    const char *why;
    int v;

    (void)state;
    for (i = 0; i < N(good); i++) {
        v = -1;
        why = NULL;
        if (parse_bool(good[i].s, &v, &why))
            fail_msg("\"%s\" refused: %s", good[i].s, why);
        if (v != good[i].want)
            fail_msg("\"%s\" -> %d, want %d", good[i].s, v, good[i].want);
    }
    for (i = 0; i < N(bad); i++) {
        v = -1;
        why = NULL;
        if (parse_bool(bad[i], &v, &why) != -1)
            fail_msg("\"%s\" accepted as %d", bad[i], v);
        why_has(bad[i], why, "true or false");
        assert_int_equal(v, -1);
    }
    why = NULL;
    assert_int_equal(parse_bool(NULL, &v, &why), -1);
    why_has("(null)", why, "true or false");
}

/* ---- parse_listen ---- */

static void test_listen_good(void **state)
{
    static const struct {
        const char *s;
        int allow_zero;
        const char *host;
        int port;
    } cases[] = {
        {"127.0.0.1:8080", 0, "127.0.0.1", 8080},
        {"[::1]:8080", 0, "::1", 8080},
        {"[2001:db8::1]:443", 0, "2001:db8::1", 443},
        {"localhost:8080", 0, "localhost", 8080},
        {"0.0.0.0:1", 0, "0.0.0.0", 1},
        {"host:65535", 0, "host", 65535},
        {"127.0.0.1:0", 1, "127.0.0.1", 0},
        {"[::1]:0", 1, "::1", 0},
    };
    size_t i;

    (void)state;
    for (i = 0; i < N(cases); i++) {
        char host[64];
        int port = -1;
        const char *why = NULL;

        memset(host, 'x', sizeof(host));
        if (parse_listen(cases[i].s, host, sizeof(host), &port, cases[i].allow_zero, &why))
            fail_msg("\"%s\" refused: %s", cases[i].s, why);
        assert_string_equal(host, cases[i].host);
        assert_int_equal(port, cases[i].port);
    }
}

static void test_listen_bad(void **state)
{
    static const struct {
        const char *s;
        int allow_zero;
        const char *why;
    } cases[] = {
        {"127.0.0.1", 0, "HOST:PORT"}, /* missing port */
        {"localhost", 1, "HOST:PORT"},
        {":8080", 0, "HOST:PORT"}, /* missing host */
        {"[::1]", 0, "HOST:PORT"},
        {"[::1]8080", 0, "HOST:PORT"},
        {"[::1:8080", 0, "HOST:PORT"},
        {"[]:8080", 0, "HOST:PORT"},
        {"", 0, "HOST:PORT"},
        {NULL, 0, "HOST:PORT"},
        {"127.0.0.1:", 0, "1 to 65535"},
        {"127.0.0.1:0", 0, "1 to 65535"}, /* port 0 only with allow_zero */
        {"127.0.0.1:70000", 0, "1 to 65535"},
        {"127.0.0.1:70000", 1, "1 to 65535"},
        {"127.0.0.1:65536", 0, "1 to 65535"},
        {"127.0.0.1:-1", 1, "1 to 65535"},
        {"127.0.0.1:80x", 0, "1 to 65535"},
        {"127.0.0.1: 80", 0, "1 to 65535"},
        {"[::1]:http", 0, "1 to 65535"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < N(cases); i++) {
        char host[64] = "untouched";
        int port = -1;
        const char *why = NULL;

        if (parse_listen(cases[i].s, host, sizeof(host), &port, cases[i].allow_zero, &why) != -1)
            fail_msg("\"%s\" (allow_zero %d) accepted: %s port %d",
                     cases[i].s ? cases[i].s : "(null)", cases[i].allow_zero, host, port);
        why_has(cases[i].s ? cases[i].s : "(null)", why, cases[i].why);
        assert_int_equal(port, -1);
    }
}

static void test_listen_host_buffer(void **state)
{
    char host[10];
    int port = -1;
    const char *why = NULL;

    (void)state;
    /* "localhost" needs 10 bytes with its NUL */
    assert_int_equal(parse_listen("localhost:80", host, 10, &port, 0, &why), 0);
    assert_string_equal(host, "localhost");
    assert_int_equal(port, 80);
    port = -1;
    assert_int_equal(parse_listen("localhost:80", host, 9, &port, 0, &why), -1);
    why_has("localhost:80 in 9 bytes", why, "HOST:PORT");
    assert_int_equal(port, -1);
}

/* ---- parse_loopback ---- */

static void test_loopback(void **state)
{
    static const char *const loopback[] = {
        "127.0.0.1",       "127.0.0.2",        "127.255.255.254", "::1",
        "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1", "localhost",       "LocalHost",
    };
    static const char *const other[] = {
        "0.0.0.0",
        "::",
        "0",
        "",
        "10.0.0.1",
        "192.0.2.1",
        "128.0.0.1",
        "126.255.255.255",
        "::2",
        "::ffff:10.0.0.1",
        "::127.0.0.1",
        "fe80::1",
        "127.1",
        "2130706433",
        "0x7f.0.0.1",
        "127.0.0.1 ",
        " 127.0.0.1",
        "127.0.0.1.",
        "localhost.",
        "localhost:80",
        "foo.localhost",
        "localhostx",
        "example.org",
        "[::1]",
    };
    const char *why;
    size_t i;

    (void)state;
    for (i = 0; i < N(loopback); i++) {
        why = NULL;
        if (parse_loopback(loopback[i], &why))
            fail_msg("\"%s\" is loopback, refused: %s", loopback[i], why);
    }
    for (i = 0; i < N(other); i++) {
        why = NULL;
        if (parse_loopback(other[i], &why) != -1)
            fail_msg("\"%s\" taken for loopback", other[i]);
        why_has(other[i], why, "not a loopback address (127.0.0.0/8, ::1 or localhost)");
    }
    why = NULL;
    assert_int_equal(parse_loopback(NULL, &why), -1);
    why_has("(null)", why, "loopback");
}

/* ---- parse_env_expand ---- */

static char long_value[301];

static char *fake_getenv(const char *name)
{
    static char a[] = "alpha", b[] = "b", empty[] = "", dollar[] = "${A}";

    if (!strcmp(name, "A"))
        return a;
    if (!strcmp(name, "B_2"))
        return b;
    if (!strcmp(name, "EMPTY"))
        return empty;
    if (!strcmp(name, "DOLLAR"))
        return dollar;
    if (!strcmp(name, "LONG")) {
        memset(long_value, 'L', sizeof(long_value) - 1);
        long_value[sizeof(long_value) - 1] = '\0';
        return long_value;
    }
    return NULL;
}

static void expand_ok(const char *in, const char *want)
{
    char *out = NULL, missing[32] = "";
    const char *why = NULL;

    if (parse_env_expand(in, fake_getenv, &out, missing, sizeof(missing), &why))
        fail_msg("\"%s\" refused: %s (missing \"%s\")", in, why, missing);
    assert_non_null(out);
    assert_string_equal(out, want);
    free(out);
}

static void test_env_expand(void **state)
{
    char want[700];

    (void)state;
    expand_ok("${A}", "alpha");
    expand_ok("x${A}y", "xalphay");
    expand_ok("${A}${B_2}${A}", "alphabalpha");
    expand_ok("${A}/${B_2}/${EMPTY}/end", "alpha/b//end");
    expand_ok("no references", "no references");
    expand_ok("", "");
    expand_ok("$", "$");
    expand_ok("cost $5", "cost $5");
    expand_ok("$A and $ {A}", "$A and $ {A}");
    expand_ok("$${A}", "$alpha");
    expand_ok("{A}", "{A}");
    expand_ok("${DOLLAR}", "${A}"); /* values are not expanded again */

    /* a value much longer than its reference makes the buffer grow, twice */
    snprintf(want, sizeof(want), "[%s]", fake_getenv("LONG"));
    expand_ok("[${LONG}]", want);
    memset(want, 'L', 600);
    memcpy(want + 600, "!", 2);
    {
        char *out = NULL, missing[8];
        const char *why = NULL;

        assert_int_equal(
            parse_env_expand("${LONG}${LONG}!", fake_getenv, &out, missing, sizeof(missing), &why),
            0);
        assert_int_equal(strlen(out), 601);
        assert_memory_equal(out, want, 601);
        free(out);
    }
}

static void test_env_expand_missing(void **state)
{
    char *out = NULL, missing[32], tiny[4];
    const char *why = NULL;

    (void)state;
    snprintf(missing, sizeof(missing), "junk");
    assert_int_equal(parse_env_expand("pre ${A} ${NOPE} ${ALSO_NOPE}", fake_getenv, &out, missing,
                                      sizeof(missing), &why),
                     -1);
    assert_string_equal(missing, "NOPE"); /* the first one missing */
    why_has("${NOPE}", why, "not set");
    assert_null(out);

    why = NULL;
    assert_int_equal(
        parse_env_expand("${TWILIO_AUTH}", fake_getenv, &out, tiny, sizeof(tiny), &why), -1);
    assert_string_equal(tiny, "TWI"); /* truncated to fit */
    why_has("${TWILIO_AUTH}", why, "not set");

    why = NULL; /* no room for the name at all: still fails cleanly */
    assert_int_equal(parse_env_expand("${NOPE}", fake_getenv, &out, NULL, 0, &why), -1);
    why_has("${NOPE} with misslen 0", why, "not set");
    assert_null(out);
}

static void test_env_expand_bad(void **state)
{
    static const char *bad[] = {
        "${}", "${1A}", "${A",    "x ${A y", "${A-B}", "${A B}", "${A.B}",
        "${",  "a${}b", "${A}${", "${9}",    "${ A}",  "${A }",
    };
    char name[200], in[210];
    size_t i;

    (void)state;
    for (i = 0; i < N(bad); i++) {
        char *out = NULL, missing[16] = "";
        const char *why = NULL;

        if (parse_env_expand(bad[i], fake_getenv, &out, missing, sizeof(missing), &why) != -1)
            fail_msg("\"%s\" accepted as \"%s\"", bad[i], out);
        why_has(bad[i], why, "bad ${VAR}");
        assert_string_equal(missing, ""); /* not a missing variable */
        assert_null(out);
    }
    /* a name too long for the 128-byte key buffer is refused, not truncated */
    memset(name, 'A', 127);
    name[127] = '\0';
    snprintf(in, sizeof(in), "${%s}", name);
    {
        char *out = NULL, missing[16] = "";
        const char *why = NULL;

        assert_int_equal(parse_env_expand(in, fake_getenv, &out, missing, sizeof(missing), &why),
                         -1);
        assert_string_equal(missing, "AAAAAAAAAAAAAAA"); /* 127 chars fit: looked up, missing */
        memset(name, 'A', 128);
        name[128] = '\0';
        snprintf(in, sizeof(in), "${%s}", name);
        why = NULL;
        missing[0] = '\0';
        assert_int_equal(parse_env_expand(in, fake_getenv, &out, missing, sizeof(missing), &why),
                         -1);
        why_has("128-char name", why, "bad ${VAR}");
        assert_string_equal(missing, "");
    }
}

/* ---- parse_base64, parse_ed25519_key ---- */

static void test_base64(void **state)
{
    static const struct {
        const char *s;
        size_t want;
        const char *why; /* NULL: accepted */
    } cases[] = {
        {"aGVsbG8=", 5, NULL},
        {"aGVsbA==", 4, NULL},
        {"aGVs", 3, NULL},
        {"aGVsbG8=", 4, "wrong number of bytes"},
        {"aGVsbG8=", 6, "wrong number of bytes"},
        {"aGVsbG8", 5, "padded"},
        {"", 0, "empty"},
        {"aGV$bG8=", 5, "not base64"},
        {"aGV\nbG8=", 5, "not base64"},
        {"aGVs bG8", 5, "not base64"},
    };
    unsigned char out[96], big[97];
    char longer[133];
    size_t i;

    (void)state;
    for (i = 0; i < N(cases); i++) {
        const char *why = NULL;
        int rc;

        memset(out, 0xa5, sizeof(out));
        rc = parse_base64(cases[i].s, out, cases[i].want, &why);
        if (!cases[i].why) {
            if (rc)
                fail_msg("\"%s\" refused: %s", cases[i].s, why);
            continue;
        }
        if (rc != -1)
            fail_msg("\"%s\" accepted as %zu bytes", cases[i].s, cases[i].want);
        why_has(cases[i].s, why, cases[i].why);
        assert_int_equal(out[0], 0xa5); /* nothing written */
    }
    assert_int_equal(parse_base64("aGVsbG8=", out, 5, &(const char *){NULL}), 0);
    assert_memory_equal(out, "hello", 5);
    {
        const char *why = NULL;

        assert_int_equal(parse_base64(NULL, out, 5, &why), -1);
        why_has("NULL", why, "empty");
    }
    /* 128 characters (96 bytes) is the most; 132 is refused before decoding */
    memset(longer, 'A', 128);
    longer[128] = '\0';
    assert_int_equal(parse_base64(longer, big, 96, &(const char *){NULL}), 0);
    memset(longer, 'A', 132);
    longer[132] = '\0';
    {
        const char *why = NULL;

        assert_int_equal(parse_base64(longer, big, 99, &why), -1);
        why_has("132 characters", why, "too long");
    }
}

static void test_ed25519_key(void **state)
{
    /* base64 of 32 bytes 0x00..0x1f */
    static const char good[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    static const char *bad[] = {
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==",     /* 31 bytes */
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g",     /* 33 bytes */
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",      /* unpadded */
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",   /* a trailing newline */
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=AAAA", /* 35 bytes */
        "not a key",
        "",
    };
    unsigned char key[PARSE_ED25519_KEY_LEN];
    const char *why = NULL;
    size_t i;

    (void)state;
    assert_int_equal(parse_ed25519_key(good, key, &why), 0);
    for (i = 0; i < sizeof(key); i++)
        assert_int_equal(key[i], i);
    for (i = 0; i < N(bad); i++) {
        why = NULL;
        if (parse_ed25519_key(bad[i], key, &why) != -1)
            fail_msg("\"%s\" accepted as an Ed25519 key", bad[i]);
        assert_non_null(why);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duration_good),
        cmocka_unit_test(test_duration_bad),
        cmocka_unit_test(test_e164),
        cmocka_unit_test(test_hhmm),
        cmocka_unit_test(test_date),
        cmocka_unit_test(test_weekday),
        cmocka_unit_test(test_int),
        cmocka_unit_test(test_bool),
        cmocka_unit_test(test_listen_good),
        cmocka_unit_test(test_listen_bad),
        cmocka_unit_test(test_listen_host_buffer),
        cmocka_unit_test(test_loopback),
        cmocka_unit_test(test_env_expand),
        cmocka_unit_test(test_env_expand_missing),
        cmocka_unit_test(test_env_expand_bad),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_ed25519_key),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

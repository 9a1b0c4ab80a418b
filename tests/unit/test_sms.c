/*
 * test_sms.c - gateway/wire/sms.c: GSM 03.38 detection (basic and extension tables), segment counts
 * at the GSM-7 and UCS-2 boundaries, character counts, splitting long texts at spaces
 * without ever cutting a UTF-8 character, and the first N characters of a text (what a
 * relay carries: utf8_prefix in gateway/base/utf8.c).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sms.h"
#include "utf8.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ---- */

/* A new string of `count` copies of `unit` (which may be several bytes). */
static char *repeat(const char *unit, size_t count)
{
    size_t ul = strlen(unit), i;
    char *s = malloc(ul * count + 1);

    assert_non_null(s);
    for (i = 0; i < count; i++)
        memcpy(s + i * ul, unit, ul);
    s[ul * count] = '\0';
    return s;
}

/* The parts sms_split hands out, copied. */
struct parts {
    char *p[128];
    size_t n;
    size_t stop_at; /* 0: never; k: return 7 from the k-th call */
};

static int collect(void *arg, const char *part)
{
    struct parts *ps = arg;

    assert_true(ps->n < N(ps->p));
    ps->p[ps->n] = strdup(part);
    assert_non_null(ps->p[ps->n]);
    ps->n++;
    return ps->stop_at && ps->n == ps->stop_at ? 7 : 0;
}

static void parts_free(struct parts *ps)
{
    size_t i;

    for (i = 0; i < ps->n; i++)
        free(ps->p[i]);
    ps->n = 0;
}

/* ---- GSM-7 ---- */

static void test_is_gsm7(void **state)
{
    static const struct {
        const char *s;
        int gsm;
    } cases[] = {
        {"", 1},
        {"Hello, world! How are you? 100% (really) #help @ 5:30; a-b_c/d=e+f*g'h\"i<j>k&", 1},
        {"line one\nline two\r\n", 1},
        {"caf\xc3\xa9", 1},                                      /* e acute U+00E9: basic set */
        {"\xc3\xa9\xc3\xa8\xc3\xb9\xc3\xac\xc3\xb2\xc3\xa0", 1}, /* e' e` u` i` o` a` */
        {"\xc3\x87", 1},                                         /* C cedilla U+00C7: basic set */
        {"\xc3\xa7", 0}, /* c cedilla U+00E7: not in GSM 03.38 */
        {"\xc3\x84\xc3\x96\xc3\x91\xc3\x9c\xc3\xa4\xc3\xb6\xc3\xb1\xc3\xbc\xc3\x9f", 1},
        {"\xc2\xa3\xc2\xa5\xc2\xa4\xc2\xa7\xc2\xa1\xc2\xbf", 1}, /* pound yen currency para ! ? */
        {"\xce\x94\xce\xa6\xce\x93\xce\x9b\xce\xa9\xce\xa0\xce\xa8\xce\xa3\xce\x98\xce\x9e", 1},
        {"\xe2\x82\xac", 1},     /* euro sign: extension table */
        {"^{}\\[~]|", 1},        /* extension table */
        {"\f", 1},               /* form feed: extension table */
        {"\xf0\x9f\x98\x80", 0}, /* emoji */
        {"ok \xf0\x9f\x98\x80", 0},
        {"don\xe2\x80\x99t", 0},               /* curly apostrophe U+2019 */
        {"\xe2\x80\x9cquoted\xe2\x80\x9d", 0}, /* curly double quotes */
        {"\xe2\x80\x94", 0},                   /* em dash */
        {"`", 0},                              /* backtick: not GSM */
        {"\t", 0},
        {"\xc3\xa1", 0}, /* a acute U+00E1: not GSM */
        {"\xc3\xad", 0}, /* i acute U+00ED: not GSM */
        {"\xce\xb1", 0}, /* Greek small alpha */
        {"\xc2\xa0", 0}, /* no-break space */
        {"abc\xff", 0},  /* not UTF-8 */
        {"\xc3", 0},     /* truncated UTF-8 */
    };
    size_t i;

    (void)state;
    for (i = 0; i < N(cases); i++)
        if (sms_is_gsm7(cases[i].s) != cases[i].gsm)
            fail_msg("case %zu \"%s\": want gsm7 = %d", i, cases[i].s, cases[i].gsm);
}

/* ---- segments ---- */

static void test_segments(void **state)
{
    static const struct {
        const char *unit;
        size_t count;
        int segments;
    } cases[] = {
        {"a", 0, 0},
        {"a", 1, 1},
        {"a", 160, 1},
        {"a", 161, 2},
        {"a", 306, 2},
        {"a", 307, 3},
        {"a", 459, 3},
        {"a", 460, 4},
        {"a", 1600, 11},
        {"\xc3\xa9", 160, 1}, /* basic-set accented letters are one septet each */
        {"\xc3\xa9", 161, 2},
        {"[", 80, 1}, /* extension: 2 septets each, 160 septets */
        {"[", 81, 2},
        {"\xe2\x82\xac", 80, 1}, /* euro sign */
        {"\xe2\x82\xac", 81, 2},
        {"[", 153, 2}, /* 306 septets */
        {"[", 154, 3},
        {"\xc3\xa7", 70, 1}, /* c cedilla forces UCS-2 */
        {"\xc3\xa7", 71, 2},
        {"\xc3\xa7", 134, 2},
        {"\xc3\xa7", 135, 3},
        {"\xc3\xa7", 201, 3},
        {"\xc3\xa7", 202, 4},
        {"\xf0\x9f\x98\x80", 35, 1}, /* emoji: 2 UTF-16 units each */
        {"\xf0\x9f\x98\x80", 36, 2},
        {"\xf0\x9f\x98\x80", 67, 2},
        {"\xf0\x9f\x98\x80", 68, 3},
    };
    size_t i;

    (void)state;
    for (i = 0; i < N(cases); i++) {
        char *s = repeat(cases[i].unit, cases[i].count);
        int got = sms_segments(s);

        free(s);
        if (got != cases[i].segments)
            fail_msg("%zu x \"%s\": %d segments, want %d", cases[i].count, cases[i].unit, got,
                     cases[i].segments);
    }
}

static void test_segments_mixed(void **state)
{
    char s[200];

    (void)state;
    /* 69 GSM letters + one emoji = 71 UTF-16 units: UCS-2, 2 segments */
    memset(s, 'a', 69);
    memcpy(s + 69, "\xf0\x9f\x98\x80", 5); /* with its NUL */
    assert_int_equal(sms_chars(s), 70);
    assert_int_equal(sms_segments(s), 2);
    memcpy(s + 68, "\xf0\x9f\x98\x80", 5); /* 68 + emoji = 70 units */
    assert_int_equal(sms_segments(s), 1);

    /* one curly quote turns a 98-character GSM text into 2 UCS-2 segments */
    memset(s, 'a', 98);
    s[98] = '\0';
    assert_int_equal(sms_segments(s), 1);
    memcpy(s + 97, "\xe2\x80\x99", 4);
    assert_int_equal(sms_chars(s), 98);
    assert_int_equal(sms_segments(s), 2);

    /* 158 letters + one euro sign = 160 septets; one more letter is 161 */
    memset(s, 'a', 158);
    memcpy(s + 158, "\xe2\x82\xac", 4);
    assert_int_equal(sms_segments(s), 1);
    memcpy(s + 158, "a\xe2\x82\xac", 5);
    assert_int_equal(sms_segments(s), 2);
}

static void test_chars(void **state)
{
    static const struct {
        const char *s;
        size_t chars;
    } cases[] = {
        {"", 0},
        {"abc", 3},
        {"caf\xc3\xa9", 4},
        {"\xe2\x82\xac", 1},
        {"\xf0\x9f\x98\x80!", 2},
        {"a\xe2\x80\x99"
         "b",
         3},
        {"\xff\xfe", 2}, /* invalid bytes count one each */
    };
    size_t i;

    (void)state;
    for (i = 0; i < N(cases); i++)
        if (sms_chars(cases[i].s) != cases[i].chars)
            fail_msg("\"%s\": %zu chars, want %zu", cases[i].s, sms_chars(cases[i].s),
                     cases[i].chars);
}

/* ---- splitting ---- */

static void test_split_short(void **state)
{
    static const char text[] = "  I just need someone to talk to.  ";
    struct parts ps = {{0}, 0, 0};

    (void)state;
    assert_int_equal(sms_split(text, SMS_MAX_CHARS, collect, &ps), 0);
    assert_int_equal(ps.n, 1);
    assert_string_equal(ps.p[0], text); /* unchanged, spaces and all */
    parts_free(&ps);

    assert_int_equal(sms_split("", SMS_MAX_CHARS, collect, &ps), 0);
    assert_int_equal(ps.n, 0); /* nothing to send */

    /* exactly the limit */
    {
        char *s = repeat("x", SMS_MAX_CHARS);

        assert_int_equal(sms_split(s, SMS_MAX_CHARS, collect, &ps), 0);
        assert_int_equal(ps.n, 1);
        assert_string_equal(ps.p[0], s);
        parts_free(&ps);
        free(s);
    }
}

static void test_split_words(void **state)
{
    char text[2100], joined[2100];
    struct parts ps = {{0}, 0, 0};
    size_t len = 0, i, w = 0, jl;

    (void)state;
    /* words of 1 to 11 letters, single spaces, 2000 characters */
    while (len < 2000) {
        size_t wl = 1 + (w * 7) % 11, k;

        if (len)
            text[len++] = ' ';
        for (k = 0; k < wl && len < 2000; k++)
            text[len++] = (char)('a' + (w + k) % 26);
        w++;
    }
    text[len] = '\0';
    assert_int_equal(strlen(text), 2000);
    assert_true(text[1999] != ' ');

    assert_int_equal(sms_split(text, SMS_MAX_CHARS, collect, &ps), 0);
    assert_int_equal(ps.n, 2);
    jl = 0;
    for (i = 0; i < ps.n; i++) {
        size_t pl = strlen(ps.p[i]);

        assert_true(pl > 0 && pl <= SMS_MAX_CHARS);
        assert_true(ps.p[i][0] != ' ');
        assert_true(ps.p[i][pl - 1] != ' ');
        jl += (size_t)snprintf(joined + jl, sizeof(joined) - jl, "%s%s", i ? " " : "", ps.p[i]);
        assert_true(jl < sizeof(joined));
    }
    assert_string_equal(joined, text); /* only the one space cut at is gone */
    /* cut at the last space that fits: the next word would not have fitted */
    assert_true(strlen(ps.p[0]) + 1 + strcspn(ps.p[1], " ") > SMS_MAX_CHARS);
    parts_free(&ps);
}

static void test_split_at_exact_space(void **state)
{
    struct parts ps = {{0}, 0, 0};

    (void)state;
    /* the limit falls exactly on a space */
    assert_int_equal(sms_split("aaaa bbbb cc", 4, collect, &ps), 0);
    assert_int_equal(ps.n, 3);
    assert_string_equal(ps.p[0], "aaaa");
    assert_string_equal(ps.p[1], "bbbb");
    assert_string_equal(ps.p[2], "cc");
    parts_free(&ps);

    /* the last space before the limit */
    assert_int_equal(sms_split("ab cd efgh", 6, collect, &ps), 0);
    assert_int_equal(ps.n, 2);
    assert_string_equal(ps.p[0], "ab cd");
    assert_string_equal(ps.p[1], "efgh");
    parts_free(&ps);

    /* newlines are places to cut too */
    assert_int_equal(sms_split("line one\nline two", 10, collect, &ps), 0);
    assert_int_equal(ps.n, 2);
    assert_string_equal(ps.p[0], "line one");
    assert_string_equal(ps.p[1], "line two");
    parts_free(&ps);
}

static void test_split_long_word(void **state)
{
    char *s = repeat("w", 2000);
    struct parts ps = {{0}, 0, 0};

    (void)state;
    assert_int_equal(sms_split(s, SMS_MAX_CHARS, collect, &ps), 0);
    assert_int_equal(ps.n, 2);
    assert_int_equal(strlen(ps.p[0]), 1600);
    assert_int_equal(strlen(ps.p[1]), 400);
    assert_memory_equal(ps.p[0], s, 1600);
    parts_free(&ps);
    free(s);

    /* a short word, then one too long for a part: the long one is cut, nothing is lost */
    assert_int_equal(sms_split("hi abcdefghij", 5, collect, &ps), 0);
    assert_int_equal(ps.n, 3);
    assert_string_equal(ps.p[0], "hi");
    assert_string_equal(ps.p[1], "abcde");
    assert_string_equal(ps.p[2], "fghij");
    parts_free(&ps);
}

static void test_split_utf8(void **state)
{
    struct parts ps = {{0}, 0, 0};
    size_t i, total;
    char *s;

    (void)state;
    /* 1700 two-byte characters, no spaces: 1600 characters (3200 bytes) + 100 */
    s = repeat("\xc3\xa9", 1700);
    assert_int_equal(sms_split(s, SMS_MAX_CHARS, collect, &ps), 0);
    assert_int_equal(ps.n, 2);
    assert_int_equal(strlen(ps.p[0]), 3200);
    assert_int_equal(sms_chars(ps.p[0]), 1600);
    assert_int_equal(sms_chars(ps.p[1]), 100);
    parts_free(&ps);
    free(s);

    /* mixed widths, cut every 3 characters: every part is whole characters */
    s = repeat("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 50); /* 1+2+3+4 bytes, 4 chars */
    assert_int_equal(sms_split(s, 3, collect, &ps), 0);
    assert_int_equal(ps.n, 67); /* 200 characters */
    total = 0;
    for (i = 0; i < ps.n; i++) {
        size_t pl = strlen(ps.p[i]);

        if (!utf8_valid(ps.p[i], pl))
            fail_msg("part %zu cut inside a character", i);
        assert_true(sms_chars(ps.p[i]) <= 3);
        total += pl;
    }
    assert_int_equal(total, strlen(s));
    parts_free(&ps);
    free(s);

    /* words of emoji: split at the space, not inside the 4-byte sequences */
    assert_int_equal(
        sms_split("\xf0\x9f\x98\x80\xf0\x9f\x98\x80 \xf0\x9f\x98\x80", 2, collect, &ps), 0);
    assert_int_equal(ps.n, 2);
    assert_string_equal(ps.p[0], "\xf0\x9f\x98\x80\xf0\x9f\x98\x80");
    assert_string_equal(ps.p[1], "\xf0\x9f\x98\x80");
    parts_free(&ps);
}

/* ---- the first characters of a text (utf8_prefix: what a relay carries) ---- */

static void test_prefix(void **state)
{
    static const struct {
        const char *s;
        size_t max, bytes;
    } cases[] = {
        {"", 5, 0},
        {"abc", 0, 0},
        {"abc", 2, 2},
        {"abc", 3, 3},
        {"abc", 10, 3},
        {"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 3, 6},        /* two bytes each */
        {"a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z", 1, 1},  /* a, e acute, euro, emoji, z */
        {"a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z", 2, 3},  /* never half the e acute */
        {"a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z", 3, 6},  /* ...nor the euro sign */
        {"a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z", 4, 10}, /* ...nor the emoji */
        {"a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z", 5, 11},
        {"\xff\xfe"
         "ab",
         1, 1}, /* a byte that is not UTF-8 counts as one, as sms_chars says */
        {"a\xc3", 2, 2},
    };
    const char *mixed = "a\xc3\xa9 \xe2\x82\xac\xf0\x9f\x98\x80z \xd0\x9c\xe4\xbd\xa0";
    char *big = repeat("a", 60000), *cut;
    size_t i, n;

    (void)state;
    for (i = 0; i < N(cases); i++) {
        n = utf8_prefix(cases[i].s, strlen(cases[i].s), cases[i].max);
        if (n != cases[i].bytes)
            fail_msg("case %zu: %zu bytes, want %zu", i, n, cases[i].bytes);
    }
    assert_int_equal(utf8_prefix(big, 60000, 1600), 1600);
    /* Every cut of a valid text is valid, holds that many characters, and starts it. */
    for (i = 0; i <= sms_chars(mixed) + 1; i++) {
        n = utf8_prefix(mixed, strlen(mixed), i);
        assert_true(utf8_valid(mixed, n));
        cut = strndup(mixed, n);
        assert_non_null(cut);
        assert_int_equal(sms_chars(cut), i < sms_chars(mixed) ? i : sms_chars(mixed));
        free(cut);
    }
    free(big);
}

static void test_split_callback_stops(void **state)
{
    struct parts ps = {{0}, 0, 2};
    char *s = repeat("abcd ", 40); /* 200 characters, 40 words */

    (void)state;
    assert_int_equal(sms_split(s, 10, collect, &ps), 7);
    assert_int_equal(ps.n, 2); /* no call after the one that returned non-zero */
    assert_string_equal(ps.p[0], "abcd abcd");
    assert_string_equal(ps.p[1], "abcd abcd");
    parts_free(&ps);

    ps.stop_at = 1;
    assert_int_equal(sms_split("short", 10, collect, &ps), 7);
    assert_int_equal(ps.n, 1);
    parts_free(&ps);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_is_gsm7),
        cmocka_unit_test(test_segments),
        cmocka_unit_test(test_segments_mixed),
        cmocka_unit_test(test_chars),
        cmocka_unit_test(test_split_short),
        cmocka_unit_test(test_split_words),
        cmocka_unit_test(test_split_at_exact_space),
        cmocka_unit_test(test_split_long_word),
        cmocka_unit_test(test_split_utf8),
        cmocka_unit_test(test_split_callback_stops),
        cmocka_unit_test(test_prefix),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

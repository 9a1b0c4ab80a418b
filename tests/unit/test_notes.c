/*
 * test_notes.c - gateway/engine/notes.c: how much of a peer's note is kept
 * (whole characters, at most NOTES_MAX_CHARS, no trailing blanks), how a
 * note's age reads, and how the notes a peer gets on taking a texter are
 * packed: as few texts as fit, a note never split unless it alone is too
 * long, in order, the heading first.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notes.h"
#include "sms.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void a_note_keeps_its_words(void **state)
{
    int cut = -1;

    (void)state;
    assert_int_equal(notes_keep("prefers short replies", &cut), 21);
    assert_int_equal(cut, 0);
    /* Spaces and line breaks that end it are not the note. */
    assert_int_equal(notes_keep("likes dogs \n\t ", &cut), 10);
    assert_int_equal(cut, 0);
    /* Nothing but blanks: no note. */
    assert_int_equal(notes_keep("", &cut), 0);
    assert_int_equal(notes_keep("  \n ", &cut), 0);
    assert_int_equal(cut, 0);
}

static void a_long_note_is_cut_between_two_characters(void **state)
{
    char text[2000], *p = text;
    size_t i, n;
    int cut = 0;

    (void)state;
    /* Exactly the most: kept whole. */
    memset(text, 'a', NOTES_MAX_CHARS);
    text[NOTES_MAX_CHARS] = '\0';
    assert_int_equal(notes_keep(text, &cut), NOTES_MAX_CHARS);
    assert_int_equal(cut, 0);
    /* Two-byte characters ("é"): 600 of them, never half of one. */
    for (i = 0; i < NOTES_MAX_CHARS + 50; i++) {
        memcpy(p, "\xc3\xa9", 2);
        p += 2;
    }
    *p = '\0';
    n = notes_keep(text, &cut);
    assert_int_equal(cut, 1);
    assert_int_equal(n, 2 * NOTES_MAX_CHARS);
    /* A cut that lands after a space drops the space too. */
    memset(text, 'b', sizeof(text));
    text[NOTES_MAX_CHARS - 1] = ' ';
    text[sizeof(text) - 1] = '\0';
    assert_int_equal(notes_keep(text, &cut), NOTES_MAX_CHARS - 1);
    assert_int_equal(cut, 1);
    /* Blanks past the limit do not count as words cut off. */
    memset(text, 'c', NOTES_MAX_CHARS);
    memset(text + NOTES_MAX_CHARS, ' ', 100);
    text[NOTES_MAX_CHARS + 100] = '\0';
    assert_int_equal(notes_keep(text, &cut), NOTES_MAX_CHARS);
    assert_int_equal(cut, 0);
}

static void an_age_reads_in_minutes_hours_or_days(void **state)
{
    static const struct {
        int64_t ms;
        const char *want;
    } cases[] = {
        {0, "1 min"},
        {30 * 1000, "1 min"},
        {3 * 60 * 1000 + 59 * 1000, "3 min"},
        {59 * 60 * 1000, "59 min"},
        {60 * 60 * 1000, "1 h"},
        {2 * 3600 * 1000 + 59 * 60 * 1000, "2 h"},
        {47LL * 3600 * 1000, "47 h"},
        {48LL * 3600 * 1000, "2 days"},
        {4LL * 24 * 3600 * 1000 + 5 * 3600 * 1000, "4 days"},
        {14LL * 24 * 3600 * 1000, "14 days"},
    };
    char out[32];
    size_t i;

    (void)state;
    for (i = 0; i < N(cases); i++) {
        notes_age(cases[i].ms, "en", out, sizeof(out));
        assert_string_equal(out, cases[i].want);
    }
    notes_age(4LL * 24 * 3600 * 1000, "es", out, sizeof(out));
    assert_string_equal(out, "4 días");
    notes_age(90LL * 60 * 1000, "es", out, sizeof(out));
    assert_string_equal(out, "1 h");
}

struct texts_seen {
    char *text[8];
    size_t n;
};

static int collect(void *arg, const char *text)
{
    struct texts_seen *t = arg;

    assert_true(t->n < N(t->text));
    t->text[t->n++] = strdup(text);
    return 0;
}

static void seen_free(struct texts_seen *t)
{
    size_t i;

    for (i = 0; i < t->n; i++)
        free(t->text[i]);
    t->n = 0;
}

static void notes_that_fit_go_in_one_text(void **state)
{
    const char *items[] = {"Alex, 2 h ago: second", "Blair, 3 d ago: first"};
    struct texts_seen t = {{0}, 0};

    (void)state;
    assert_int_equal(notes_pack("Notes:", items, N(items), 1600, collect, &t), 0);
    assert_int_equal(t.n, 1);
    assert_string_equal(t.text[0], "Notes:\nAlex, 2 h ago: second\nBlair, 3 d ago: first");
    seen_free(&t);
    /* Exactly the most fits. "H\nabcd\nefgh" is 11 characters. */
    {
        const char *two[] = {"abcd", "efgh"};
        assert_int_equal(notes_pack("H", two, 2, 11, collect, &t), 0);
        assert_int_equal(t.n, 1);
        seen_free(&t);
        assert_int_equal(notes_pack("H", two, 2, 10, collect, &t), 0);
        assert_int_equal(t.n, 2);
        assert_string_equal(t.text[0], "H\nabcd");
        assert_string_equal(t.text[1], "efgh");
        seen_free(&t);
    }
    /* No notes: the heading alone (the engine never asks for that, but it is well defined). */
    assert_int_equal(notes_pack("H", NULL, 0, 10, collect, &t), 0);
    assert_int_equal(t.n, 1);
    assert_string_equal(t.text[0], "H");
    seen_free(&t);
}

static void notes_are_never_split_between_texts(void **state)
{
    static char a[701], b[701], c[701];
    const char *items[] = {a, b, c};
    struct texts_seen t = {{0}, 0};
    size_t i;

    (void)state;
    memset(a, 'a', 600);
    memset(b, 'b', 600);
    memset(c, 'c', 600);
    /* Heading + two notes is 1,211 characters; a third would make 1,812. */
    assert_int_equal(notes_pack("Notes from earlier:", items, 3, SMS_MAX_CHARS, collect, &t), 0);
    assert_int_equal(t.n, 2);
    assert_int_equal(strlen(t.text[0]), 19 + 1 + 600 + 1 + 600);
    assert_non_null(strstr(t.text[0], a));
    assert_non_null(strstr(t.text[0], b));
    assert_string_equal(t.text[1], c);
    for (i = 0; i < t.n; i++)
        assert_true(sms_chars(t.text[i]) <= SMS_MAX_CHARS);
    seen_free(&t);
    /* A note longer than one text alone goes on its own (the sender splits it). */
    memset(a, 'a', 700);
    assert_int_equal(notes_pack("H", items, 3, 650, collect, &t), 0);
    assert_int_equal(t.n, 4);
    assert_string_equal(t.text[0], "H");
    assert_string_equal(t.text[1], a);
    assert_string_equal(t.text[2], b);
    assert_string_equal(t.text[3], c);
    seen_free(&t);
    /* Characters, not bytes, count: 300 two-byte characters are 300. */
    {
        static char e[601];
        const char *two[] = {e, e};
        for (i = 0; i < 300; i++)
            memcpy(e + 2 * i, "\xc3\xa9", 2);
        assert_int_equal(notes_pack("H", two, 2, 603, collect, &t), 0);
        assert_int_equal(t.n, 1);
        seen_free(&t);
    }
}

static int refuse_second(void *arg, const char *text)
{
    int *calls = arg;

    (void)text;
    return ++*calls == 2 ? 7 : 0;
}

static void a_refusal_stops_the_packing(void **state)
{
    const char *items[] = {"aaaa", "bbbb", "cccc"};
    int calls = 0;

    (void)state;
    assert_int_equal(notes_pack("H", items, 3, 6, refuse_second, &calls), 7);
    assert_int_equal(calls, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_note_keeps_its_words),
        cmocka_unit_test(a_long_note_is_cut_between_two_characters),
        cmocka_unit_test(an_age_reads_in_minutes_hours_or_days),
        cmocka_unit_test(notes_that_fit_go_in_one_text),
        cmocka_unit_test(notes_are_never_split_between_texts),
        cmocka_unit_test(a_refusal_stops_the_packing),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

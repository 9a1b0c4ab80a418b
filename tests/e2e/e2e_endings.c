/*
 * e2e_endings.c - how chats end, seen from the phones: after BYE the peer's
 * one last message (within endings.last_word, and only one); the rating
 * question after BYE and #end, a lone digit taken as the rating (thanked
 * for, never relayed, never a menu choice), and a lone digit after the
 * rating window starting a new contact instead.
 */
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define T1 "+15559870001"

static int setup_short(void **state)
{
    static const struct line_opts o = {.extra_config = "endings:\n"
                                                       "  last_word: 2s\n"
                                                       "  rating_window: 2s\n"};

    return line_setup(state, &o);
}

static void the_peer_has_one_last_word_after_bye(void **state)
{
    struct line *l = *state;
    long m;

    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "bye"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Chat ended");
    line_must_get(l, m, ALEX, POOL_A, "You may send one last message here in the next 2 min");
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "Take care of yourself tonight."), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Take care of yourself tonight.");
    line_must_get(l, m, ALEX, POOL_A, "Sent. The chat is closed now");
    /* One message, not a conversation. */
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "and one more thing"), 200);
    line_must_get(l, m, ALEX, POOL_A, "This chat has ended");
    assert_int_equal(line_count(l, m, T1, NULL), 0);
}

static int setup_no_pool(void **state)
{
    static const struct line_opts o = {.no_pool = 1};

    return line_setup(state, &o);
}

static void the_last_word_works_without_a_pool(void **state)
{
    struct line *l = *state;
    long m;

    /* The line number is Alex's chat number too: the goodbye is still the chat's last word. */
    line_connect(l, T1, "I'm anxious", ALEX, LINE_NUMBER, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "BYE"), 200);
    line_must_get(l, m, ALEX, LINE_NUMBER, "one last message");
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, LINE_NUMBER, "Take care."), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Take care.");
    line_must_get(l, m, ALEX, LINE_NUMBER, "Sent. The chat is closed now");
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM conversations"), 1);
}

static void the_last_word_window_closes(void **state)
{
    struct line *l = *state;
    long m;

    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "BYE"), 200);
    line_must_get(l, 0, ALEX, POOL_A, "one last message");
    line_sleep(2500);
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "sorry I was late"), 200);
    line_must_get(l, m, ALEX, POOL_A, "This chat has ended");
    line_sleep(300);
    assert_int_equal(line_count(l, m, T1, NULL), 0);
}

static void a_lone_digit_after_the_chat_is_its_rating(void **state)
{
    struct line *l = *state;
    long m;

    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#end"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Alex has ended the chat");
    line_must_get(l, m, T1, LINE_NUMBER, "how was this chat? Reply 1");
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, " 4 "), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Thank you for telling us");
    line_sleep(300);
    assert_int_equal(line_count(l, m, T1, NULL), 1); /* no menu */
    assert_int_equal(line_count(l, m, ALEX, NULL), 0);
    assert_int_equal(line_query(l, "SELECT rating FROM conversations"), 4);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM conversations"), 1);
    /* Answered once: another digit is a new contact, not a second rating. */
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "2"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Reply with a number");
    assert_int_equal(line_query(l, "SELECT rating FROM conversations ORDER BY id LIMIT 1"), 4);
}

static void a_lone_digit_after_the_window_starts_a_new_contact(void **state)
{
    struct line *l = *state;
    long m;

    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "BYE"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "how was this chat?");
    line_sleep(2500);
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "5"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Reply with a number");
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM conversations WHERE rating IS NOT NULL"),
                     0);
    /* ...and the digit is not taken as a menu choice either: it was the first word. */
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM conversations WHERE state = 'menu'"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(the_peer_has_one_last_word_after_bye, line_setup_default,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(the_last_word_works_without_a_pool, setup_no_pool,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(the_last_word_window_closes, setup_short, line_teardown),
        cmocka_unit_test_setup_teardown(a_lone_digit_after_the_chat_is_its_rating,
                                        line_setup_default, line_teardown),
        cmocka_unit_test_setup_teardown(a_lone_digit_after_the_window_starts_a_new_contact,
                                        setup_short, line_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

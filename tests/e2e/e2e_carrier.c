/*
 * e2e_carrier.c - carrier rules, seen from the phones: STOP in each state
 * of a conversation (menu, queued, offered, active) and START after it; a
 * peer's STOP on a chat's number (per number, and with opt_out_scope: line
 * for all of the line's numbers); HELP inside a chat reaching the peer too;
 * and the provider answering STOP and HELP itself, so the texter gets
 * exactly one reply.
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

#define T1   "+15559870001"
#define T2   "+15559870002"
#define WAIT 5000

static int setup_line_scope(void **state)
{
    static const struct line_opts o = {.provider = "  opt_out_scope: line\n"};

    return line_setup(state, &o);
}

static int setup_provider_replies(void **state)
{
    static const struct line_opts o = {.provider = "  opt_out_reply: provider\n"
                                                   "  help_reply: provider\n"};

    return line_setup(state, &o);
}

/* The texter's STOP always: the confirmation with 988, and silence until START. */
static void stopped(struct line *l, long since)
{
    long m;

    line_must_get(l, since, T1, LINE_NUMBER, "Text START to come back");
    line_must_get(l, since, T1, LINE_NUMBER, "988");
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "are you there"), 200);
    line_sleep(400);
    assert_int_equal(line_count(l, m, T1, NULL), 0);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM conversations WHERE texter = '" T1
                                   "' AND state <> 'closed'"),
                     0);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "UNSTOP"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Welcome back to Test Line");
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "hello again"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Reply with a number");
}

static void stop_in_the_menu(void **state)
{
    struct line *l = *state;
    long m = line_mark(l);

    assert_int_equal(line_text(l, T1, LINE_NUMBER, "hi"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Reply with a number");
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "stop"), 200);
    stopped(l, m);
}

static void stop_in_the_queue(void **state)
{
    struct line *l = *state;
    long m = line_mark(l);

    /* Alex takes T2's chat, so T1 waits (grief is Blair's; Blair is busy with T2). */
    assert_int_equal(line_text(l, T2, LINE_NUMBER, "grief"), 200);
    line_must_get(l, m, BLAIR, POOL_A, "#take");
    assert_int_equal(line_text(l, BLAIR, POOL_A, "#take"), 200);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "my grief"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "in line");
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "QUIT"), 200);
    stopped(l, m);
    assert_int_equal(line_count(l, m, BLAIR, POOL_B), 0);
}

static void stop_while_offered(void **state)
{
    struct line *l = *state;
    long m = line_mark(l);

    assert_int_equal(line_text(l, T1, LINE_NUMBER, "I'm anxious"), 200);
    line_must_get(l, m, ALEX, POOL_A, "#take");
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "END"), 200);
    line_must_get(l, m, ALEX, POOL_A, "withdrawn");
    stopped(l, m);
    /* The offer is gone: #take finds nothing. */
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#take"), 200);
    line_must_get(l, m, ALEX, POOL_A, "This chat has ended");
    assert_int_equal(line_count(l, m, T1, NULL), 0);
}

static void stop_in_a_chat(void **state)
{
    struct line *l = *state;
    long m;

    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "UNSUBSCRIBE"), 200);
    line_must_get(l, m, ALEX, POOL_A, "The texter ended the chat");
    stopped(l, m);
    /* Alex's words no longer go anywhere. */
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "take care"), 200);
    line_must_get(l, m, ALEX, POOL_A, "no longer delivered");
    assert_int_equal(line_count(l, m, T1, NULL), 0);
}

static void stop_beats_a_text_already_queued(void **state)
{
    struct line *l = *state;
    long m;
    char *all;

    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    /* The provider is failing: Alex's reply waits in the outbox for a retry... */
    assert_int_equal(line_fault(l, "500", 4), 0);
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "are you ok? text me back"), 200);
    /* ...and the texter opts out before it goes. The sender checks, and drops it. */
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "STOP"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Text START to come back");
    line_sleep(2500);
    all = line_all_to(l, T1);
    assert_null(strstr(all, "are you ok"));
    free(all);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM outbox WHERE state = 'suppressed'"), 1);
}

static void peer_stop_puts_the_texter_back_and_alerts(void **state)
{
    struct line *l = *state;
    long m;

    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "STOP"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Your peer had to step away");
    line_must_get(l, m, SAM, LINE_NUMBER, "peer Alex opted out");
    /* Blair covers general: the texter is offered on. Alex hears nothing more on POOL_A. */
    line_must_get(l, m, BLAIR, POOL_A, "#take");
    assert_int_equal(line_count(l, m, ALEX, POOL_A), 0);
    /* Alex is off now, also for new chats on the other number. */
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, LINE_NUMBER, "#status"), 200);
    line_must_get(l, m, ALEX, LINE_NUMBER, "off");
    /* START on that number: back, and on it again. */
    assert_int_equal(line_text(l, ALEX, POOL_A, "START"), 200);
    line_must_get(l, m, ALEX, POOL_A, "#take");
}

static void peer_stop_with_line_scope_covers_every_number(void **state)
{
    struct line *l = *state;
    long m = line_mark(l);

    /* Alex has two chats, on both numbers. */
    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    line_connect(l, T2, "panic again", ALEX, POOL_B, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "STOP"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Your peer had to step away");
    line_must_get(l, m, T2, LINE_NUMBER, "Your peer had to step away");
    line_must_get(l, m, SAM, LINE_NUMBER, "peer Alex opted out");
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM optouts WHERE scope = '" LINE_NUMBER "'"),
                     1);
    line_sleep(300);
    assert_int_equal(line_count(l, m, ALEX, NULL), 0);
    /* Opted out of the whole line: the line number answers nothing either, except START. */
    assert_int_equal(line_text(l, ALEX, LINE_NUMBER, "#status"), 200);
    line_sleep(300);
    assert_int_equal(line_count(l, m, ALEX, NULL), 0);
}

static void peer_stop_to_the_line_with_line_scope(void **state)
{
    struct line *l = *state;
    long m;

    /* Alex's STOP to the line number covers the pool numbers too: their chat goes back. */
    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, LINE_NUMBER, "STOP"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Your peer had to step away");
    line_must_get(l, m, SAM, LINE_NUMBER, "peer Alex opted out");
    line_must_get(l, m, BLAIR, POOL_A, "#take");
    /* A texter's STOP to a pool number ends their chat on the line just the same. */
    assert_int_equal(line_text(l, BLAIR, POOL_A, "#take"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "You're now texting with Blair");
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, POOL_B, "STOP"), 200);
    line_must_get(l, m, BLAIR, POOL_A, "The texter ended the chat");
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM conversations WHERE state <> 'closed'"),
                     0);
}

static void help_in_a_chat_reaches_the_peer(void **state)
{
    struct line *l = *state;
    long m;

    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "HELP"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "BYE ends a chat");
    line_must_get(l, m, ALEX, POOL_A, "HELP");
    line_sleep(300);
    assert_int_equal(line_count(l, m, T1, NULL), 1);
    /* The peer's own HELP on the chat's number is the command list, not relayed. */
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "help"), 200);
    line_must_get(l, m, ALEX, POOL_A, "#take #pass #end");
    assert_int_equal(line_count(l, m, T1, NULL), 0);
}

static void provider_answers_stop_and_help(void **state)
{
    struct line *l = *state;
    long m;

    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "INFO"), 200);
    line_must_get(l, m, ALEX, POOL_A, "INFO"); /* still a cry the peer should see */
    line_sleep(300);
    assert_int_equal(line_count(l, m, T1, NULL), 0); /* the carrier answered it */
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "STOP"), 200);
    line_must_get(l, m, ALEX, POOL_A, "The texter ended the chat");
    line_sleep(300);
    assert_int_equal(line_count(l, m, T1, NULL), 0);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "START"), 200);
    line_sleep(300);
    assert_int_equal(line_count(l, m, T1, NULL), 0);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "hi"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Reply with a number");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(stop_in_the_menu, line_setup_default, line_teardown),
        cmocka_unit_test_setup_teardown(stop_in_the_queue, line_setup_default, line_teardown),
        cmocka_unit_test_setup_teardown(stop_while_offered, line_setup_default, line_teardown),
        cmocka_unit_test_setup_teardown(stop_in_a_chat, line_setup_default, line_teardown),
        cmocka_unit_test_setup_teardown(stop_beats_a_text_already_queued, line_setup_default,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(peer_stop_puts_the_texter_back_and_alerts,
                                        line_setup_default, line_teardown),
        cmocka_unit_test_setup_teardown(peer_stop_with_line_scope_covers_every_number,
                                        setup_line_scope, line_teardown),
        cmocka_unit_test_setup_teardown(peer_stop_to_the_line_with_line_scope, setup_line_scope,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(help_in_a_chat_reaches_the_peer, line_setup_default,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(provider_answers_stop_and_help, setup_provider_replies,
                                        line_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

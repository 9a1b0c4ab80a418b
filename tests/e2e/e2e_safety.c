/*
 * e2e_safety.c - the crisis tripwire, seen from the phones: crisis words in
 * the menu, as a first text, in the line and mid-chat; words that only look
 * like them; alerts rate-limited per texter; an alert nobody acknowledges
 * going to every coordinator; a coordinator taking an urgent texter no peer
 * can serve; crisis words from an opted-out and from a blocked number; BYE in
 * an urgent chat.
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

#define T1      "+15559870001"
#define T2      "+15559870002"
#define KIM     "+15551239998" /* coordinator, not on call */
#define BLOCKED "+15559870009"

#define ALL_DAY                                                                                    \
    "    shifts:\n"                                                                                \
    "      - {days: [sun, mon, tue, wed, thu, fri, sat], start: \"00:00\", end: \"12:00\"}\n"      \
    "      - {days: [sun, mon, tue, wed, thu, fri, sat], start: \"12:00\", end: \"00:00\"}\n"

#define HEAD                                                                                       \
    "line_name: Test Line\n"                                                                       \
    "timezone: America/New_York\n"                                                                 \
    "topics:\n"                                                                                    \
    "  - {id: anxiety, label: Anxiety and stress, keywords: [anxious, panic]}\n"                   \
    "  - {id: grief, label: Grief and loss, keywords: [grief, died]}\n"

#define COORDINATORS                                                                               \
    "coordinators:\n"                                                                              \
    "  - {id: sam, name: Sam, phone: \"" SAM "\", on_call: true}\n"                                \
    "  - {id: kim, name: Kim, phone: \"" KIM "\"}\n"                                               \
    "blocked: [\"" BLOCKED "\"]\n"

/* Alex: anxiety, crisis-trained. Blair: grief only. */
static const char roster_both[] = HEAD "peers:\n"
                                       "  - id: alex\n"
                                       "    name: Alex\n"
                                       "    phone: \"" ALEX "\"\n"
                                       "    topics: [anxiety]\n"
                                       "    crisis_trained: true\n" ALL_DAY "  - id: blair\n"
                                       "    name: Blair\n"
                                       "    phone: \"" BLAIR "\"\n"
                                       "    topics: [grief]\n" ALL_DAY COORDINATORS;

/* Blair alone, not crisis-trained: no one can take an urgent anxiety texter. */
static const char roster_blair[] = HEAD "peers:\n"
                                        "  - id: blair\n"
                                        "    name: Blair\n"
                                        "    phone: \"" BLAIR "\"\n"
                                        "    topics: [grief]\n" ALL_DAY COORDINATORS;

static int setup_both(void **state)
{
    static const struct line_opts o = {.roster = roster_both};

    return line_setup(state, &o);
}

static int setup_fast_ack(void **state)
{
    static const struct line_opts o = {.roster = roster_blair,
                                       .extra_config = "crisis:\n  ack_within: 2s\n"};

    return line_setup(state, &o);
}

/* The reference the alert to Sam names ("R7F3"), with the alert's text in *alert_out. */
static void alert_ref(struct line *l, long since, char ref[16], char **alert_out)
{
    char *alert = line_expect(l, since, SAM, LINE_NUMBER, "peerline alert R", 5000);
    const char *p;

    assert_non_null(alert);
    p = strstr(alert, "alert R") + 6;
    snprintf(ref, 16, "%.*s", (int)strcspn(p, ": "), p);
    if (alert_out)
        *alert_out = alert;
    else
        free(alert);
}

/* Nothing Sam or Kim received names the texter's number. */
static void coordinators_never_see(struct line *l, const char *texter)
{
    char *s = line_all_to(l, SAM), *k = line_all_to(l, KIM);

    assert_null(strstr(s, texter));
    assert_null(strstr(s, texter + 2)); /* not even without its +1 */
    assert_null(strstr(k, texter + 2));
    free(s);
    free(k);
}

static void crisis_in_the_menu_queues_at_once(void **state)
{
    struct line *l = *state;
    char ref[16], *alert;
    long m = line_mark(l);

    assert_int_equal(line_text(l, T1, LINE_NUMBER, "hi"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Reply with a number");
    m = line_mark(l);
    /* Grief names Blair's topic; the urgent texter goes to the crisis-trained peer first. */
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "my dad died and I want to kill myself"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "call or text 988 or call 911");
    line_must_get(l, m, T1, LINE_NUMBER, "You're number 1 in line");
    line_must_get(l, m, ALEX, POOL_A, "URGENT chat: Grief and loss");
    alert_ref(l, m, ref, &alert);
    assert_non_null(strstr(alert, "crisis words"));
    free(alert);
    assert_int_equal(line_count(l, m, BLAIR, NULL), 0);
    assert_int_equal(line_count(l, m, KIM, NULL), 0);
    /* Alex takes it and reads the words that tripped it. */
    assert_int_equal(line_text(l, ALEX, POOL_A, "#take"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "You're now texting with Alex");
    line_must_get(l, m, ALEX, POOL_A, "my dad died and I want to kill myself");
    coordinators_never_see(l, T1);
}

static void crisis_as_a_first_text(void **state)
{
    struct line *l = *state;
    long m = line_mark(l);

    /* Accents and case do not hide the words; the welcome still comes, the menu does not. */
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "I took an OVERDOSE"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "call or text 988");
    line_must_get(l, m, T1, LINE_NUMBER, "not counsellors or emergency services");
    line_must_get(l, m, T1, LINE_NUMBER, "You're number 1 in line");
    line_must_get(l, m, ALEX, POOL_A, "URGENT chat");
    line_must_get(l, m, SAM, LINE_NUMBER, "crisis words");
    line_sleep(300);
    {
        char *all = line_all_to(l, T1);
        assert_null(strstr(all, "Reply with a number"));
        free(all);
    }
    m = line_mark(l);
    assert_int_equal(line_text(l, T2, LINE_NUMBER, "quiero morir, no sé qué hacer"), 200);
    line_must_get(l, m, T2, LINE_NUMBER, "988");
    line_must_get(l, m, SAM, LINE_NUMBER, "crisis words");
}

static void crisis_while_waiting_puts_them_first(void **state)
{
    struct line *l = *state;
    long m = line_mark(l);

    /* T1 waits for grief (Blair) and Blair does not answer yet. */
    assert_int_equal(line_text(l, T2, LINE_NUMBER, "grief"), 200);
    line_must_get(l, m, BLAIR, POOL_A, "New chat: Grief and loss");
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "my grief is too much"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "in line");
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "I keep thinking about suicide"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "988");
    line_must_get(l, m, SAM, LINE_NUMBER, "crisis words");
    /* Urgent now: Alex (crisis-trained) is offered it though Alex does not cover grief. */
    line_must_get(l, m, ALEX, POOL_A, "URGENT chat: Grief and loss");
    assert_int_equal(line_text(l, ALEX, POOL_A, "#take"), 200);
    line_must_get(l, m, ALEX, POOL_A, "my grief is too much");
    line_must_get(l, m, ALEX, POOL_A, "I keep thinking about suicide");
}

static void crisis_mid_chat_is_relayed_and_alerted_once(void **state)
{
    struct line *l = *state;
    long m;

    line_connect(l, T1, "anxious", ALEX, POOL_A, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "sometimes I want to end my life"), 200);
    line_must_get(l, m, ALEX, POOL_A, "sometimes I want to end my life");
    line_must_get(l, m, T1, LINE_NUMBER, "988");
    line_must_get(l, m, SAM, LINE_NUMBER, "crisis words");
    /* Minutes later, more crisis words: relayed, but no second safety text or alert. */
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "i really want to die"), 200);
    line_must_get(l, m, ALEX, POOL_A, "i really want to die");
    line_sleep(500);
    assert_int_equal(line_count(l, m, T1, NULL), 0);
    assert_int_equal(line_count(l, m, SAM, NULL), 0);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM alerts"), 1);
    assert_int_equal(line_query(l, "SELECT urgent FROM conversations"), 1);
    coordinators_never_see(l, T1);
}

static void a_new_conversation_in_crisis_is_news(void **state)
{
    struct line *l = *state;
    char ref1[16], ref2[16];
    long m = line_mark(l);

    assert_int_equal(line_text(l, T1, LINE_NUMBER, "anxious, I want to die"), 200);
    alert_ref(l, m, ref1, NULL);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "BYE"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "left the line");
    /* Every text the BYE caused is out (an alert about R1 may land after "left the line"). */
    assert_int_equal(line_idle(l), 0);
    /* Minutes later, a new conversation: its own safety text and its own alert. */
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "I took an overdose"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "988");
    alert_ref(l, m, ref2, NULL);
    assert_string_not_equal(ref1, ref2);
}

static void crisis_words_to_a_pool_number_reach_the_line(void **state)
{
    struct line *l = *state;
    long m = line_mark(l);

    /* Not a peer, texting a number peers use: answered as if they had texted the line. */
    assert_int_equal(line_text(l, T2, POOL_B, "please help I want to kill myself"), 200);
    line_must_get(l, m, T2, LINE_NUMBER, "988");
    line_must_get(l, m, SAM, LINE_NUMBER, "crisis words");
    line_must_get(l, m, ALEX, POOL_A, "URGENT chat");
    assert_int_equal(line_text(l, ALEX, POOL_A, "#take"), 200);
    line_must_get(l, m, ALEX, POOL_A, "please help I want to kill myself");
    assert_int_equal(line_count(l, m, T2, POOL_B), 0);
    coordinators_never_see(l, T2);
}

static void words_that_only_look_like_crisis(void **state)
{
    struct line *l = *state;
    long m;

    line_connect(l, T1, "anxious", ALEX, POOL_A, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "I want to learn a new skill myself"), 200);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "the diet was killing my mood"), 200);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "my suicidesquad poster"), 200);
    line_must_get(l, m, ALEX, POOL_A, "suicidesquad");
    line_sleep(300);
    assert_int_equal(line_count(l, m, SAM, NULL), 0);
    assert_int_equal(line_count(l, m, T1, NULL), 0);
    assert_int_equal(line_query(l, "SELECT urgent FROM conversations"), 0);
}

static void unacknowledged_alert_goes_to_every_coordinator(void **state)
{
    struct line *l = *state;
    char ref[16], ack[32];
    long m = line_mark(l);

    assert_int_equal(line_text(l, T1, LINE_NUMBER, "anxious and I want to hurt myself"), 200);
    alert_ref(l, m, ref, NULL);
    /* Only Sam is on call; two seconds later, unacknowledged, it goes to Kim too. */
    assert_int_equal(line_count(l, m, KIM, NULL), 0);
    line_must_get(l, m, KIM, LINE_NUMBER, "is not acknowledged yet");
    line_must_get(l, m, SAM, LINE_NUMBER, "is not acknowledged yet");
    coordinators_never_see(l, T1);
    /* A second alert, acknowledged in time, goes no further. */
    m = line_mark(l);
    assert_int_equal(line_text(l, T2, LINE_NUMBER, "I want to kill myself"), 200);
    alert_ref(l, m, ref, NULL);
    snprintf(ack, sizeof(ack), "#ack %s", ref);
    assert_int_equal(line_text(l, SAM, LINE_NUMBER, ack), 200);
    line_must_get(l, m, SAM, LINE_NUMBER, "Acknowledged");
    m = line_mark(l);
    line_sleep(2500);
    assert_int_equal(line_count(l, m, KIM, NULL), 0);
}

static void coordinator_takes_an_urgent_texter_no_peer_can(void **state)
{
    struct line *l = *state;
    char ref[16], take[32];
    long m = line_mark(l);

    assert_int_equal(line_text(l, T1, LINE_NUMBER, "anxious, thinking of suicide"), 200);
    alert_ref(l, m, ref, NULL);
    line_must_get(l, m, T1, LINE_NUMBER, "in line");
    snprintf(take, sizeof(take), "#take %s", ref);
    assert_int_equal(line_text(l, SAM, LINE_NUMBER, take), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "You're now texting with Sam");
    line_must_get(l, m, SAM, POOL_A, "anxious, thinking of suicide");
    m = line_mark(l);
    assert_int_equal(line_text(l, SAM, POOL_A, "I'm here with you."), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "I'm here with you.");
    assert_int_equal(line_count(l, 0, BLAIR, NULL), 0);
}

static void crisis_from_opted_out_and_blocked_numbers(void **state)
{
    struct line *l = *state;
    char *alert;
    long m = line_mark(l);

    assert_int_equal(line_text(l, T1, LINE_NUMBER, "STOP"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "won't get more texts");
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "i want to kill myself"), 200);
    alert = line_expect(l, m, SAM, LINE_NUMBER, "peerline alert R", 5000);
    assert_non_null(alert);
    assert_non_null(strstr(alert, "could not reply"));
    free(alert);
    line_sleep(300);
    assert_int_equal(line_count(l, m, T1, NULL), 0); /* opted out: nothing, not even 988 */

    m = line_mark(l);
    assert_int_equal(line_text(l, BLOCKED, LINE_NUMBER, "I want to end my life"), 200);
    line_must_get(l, m, BLOCKED, LINE_NUMBER, "988");
    alert = line_expect(l, m, SAM, LINE_NUMBER, "peerline alert R", 5000);
    assert_non_null(alert);
    assert_non_null(strstr(alert, "blocked"));
    free(alert);
    line_sleep(300);
    assert_int_equal(line_count(l, m, BLOCKED, NULL), 1); /* the safety text only */
    assert_int_equal(line_count(l, m, BLAIR, NULL), 0);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM conversations WHERE state <> 'closed'"),
                     0);
    coordinators_never_see(l, T1);
    coordinators_never_see(l, BLOCKED);
}

static void bye_in_an_urgent_chat_alerts(void **state)
{
    struct line *l = *state;
    long m;

    line_connect(l, T1, "anxious", ALEX, POOL_A, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#escalate"), 200);
    line_must_get(l, m, SAM, LINE_NUMBER, "asks for a coordinator");
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "BYE"), 200);
    line_must_get(l, m, SAM, LINE_NUMBER, "the texter ended an urgent Anxiety and stress chat");
    line_must_get(l, m, T1, LINE_NUMBER, "Chat ended");
    coordinators_never_see(l, T1);
    /* Someone who was in danger is not asked to grade the chat. */
    line_sleep(300);
    {
        char *all = line_all_to(l, T1);
        assert_null(strstr(all, "how was this chat"));
        free(all);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(crisis_in_the_menu_queues_at_once, setup_both,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(crisis_as_a_first_text, setup_both, line_teardown),
        cmocka_unit_test_setup_teardown(crisis_while_waiting_puts_them_first, setup_both,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(crisis_mid_chat_is_relayed_and_alerted_once, setup_both,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(words_that_only_look_like_crisis, setup_both,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(a_new_conversation_in_crisis_is_news, setup_both,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(crisis_words_to_a_pool_number_reach_the_line, setup_both,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(unacknowledged_alert_goes_to_every_coordinator,
                                        setup_fast_ack, line_teardown),
        cmocka_unit_test_setup_teardown(coordinator_takes_an_urgent_texter_no_peer_can,
                                        setup_fast_ack, line_teardown),
        cmocka_unit_test_setup_teardown(crisis_from_opted_out_and_blocked_numbers, setup_both,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(bye_in_an_urgent_chat_alerts, setup_both, line_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

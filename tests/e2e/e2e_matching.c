/*
 * e2e_matching.c - matching a coordinator can trust, watched from the
 * phones: offers that expire to the next peer, three missed in a row,
 * passing, transferring, capacity, queue updates, no one on shift, the
 * longest wait, a silent peer, a quiet chat (and an urgent one that stays
 * open), #on/#off/#status, coordinators' #ack and #take REF, a pending offer
 * that survives a restart, and `peerline who`.
 *
 * Timers are set to a second or two so the tests can watch them fire.
 */
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#define T1 "+15559870001"
#define T2 "+15559870002"
#define T3 "+15559870003"

#define ALL_DAY                                                                                    \
    "    shifts:\n"                                                                                \
    "      - {days: [sun, mon, tue, wed, thu, fri, sat], start: \"00:00\", end: \"12:00\"}\n"      \
    "      - {days: [sun, mon, tue, wed, thu, fri, sat], start: \"12:00\", end: \"00:00\"}\n"

#define TOPICS                                                                                     \
    "line_name: Test Line\n"                                                                       \
    "timezone: America/New_York\n"                                                                 \
    "topics:\n"                                                                                    \
    "  - {id: anxiety, label: Anxiety and stress, keywords: [anxious, panic]}\n"                   \
    "  - {id: grief, label: Grief and loss, keywords: [grief, died]}\n"                            \
    "  - {id: general, label: Something else}\n"

#define COORDS                                                                                     \
    "coordinators:\n"                                                                              \
    "  - {id: sam, name: Sam, phone: \"" SAM "\", on_call: true}\n"

/* Alex alone: anxiety only, up to 3 chats (the pool of 2 is the real limit). */
static const char alex_alone[] = TOPICS "peers:\n"
                                        "  - id: alex\n"
                                        "    name: Alex\n"
                                        "    phone: \"" ALEX "\"\n"
                                        "    topics: [anxiety]\n"
                                        "    max_conversations: 3\n" ALL_DAY COORDS;

static int start_with(void **state, const char *roster, const char *timers)
{
    struct line_opts o = {.roster = roster, .extra_config = timers};

    return line_setup(state, &o);
}

static int setup_fast_offers(void **state)
{
    return start_with(state, NULL, "timers:\n  offer_timeout: 1s\n  cooldown: 0s\n");
}

static int setup_alone_fast_offers(void **state)
{
    return start_with(state, alex_alone, "timers:\n  offer_timeout: 1s\n");
}

/* Alex for anxiety (two numbers), Blair for grief only. */
static const char alex_and_grief[] = TOPICS "peers:\n"
                                            "  - id: alex\n"
                                            "    name: Alex\n"
                                            "    phone: \"" ALEX "\"\n"
                                            "    topics: [anxiety]\n"
                                            "    max_conversations: 2\n" ALL_DAY "  - id: blair\n"
                                            "    name: Blair\n"
                                            "    phone: \"" BLAIR "\"\n"
                                            "    topics: [grief]\n" ALL_DAY COORDS;

static int setup_alone_and_grief(void **state)
{
    return start_with(state, alex_and_grief, NULL);
}

static int setup_alone(void **state)
{
    return start_with(state, alex_alone, "timers:\n  cooldown: 0s\n");
}

static int setup_queue_timers(void **state)
{
    return start_with(state, alex_alone,
                      "timers:\n  queue_update: 1s\n  max_wait: 3s\n  cooldown: 0s\n");
}

static int setup_chat_timers(void **state)
{
    return start_with(state, NULL, "timers:\n  peer_silence: 1s\n  idle_timeout: 3s\n");
}

static int setup_slow_offer(void **state)
{
    return start_with(state, NULL, "timers:\n  offer_timeout: 3s\n");
}

static void offer_expires_to_the_next_peer(void **state)
{
    struct line *l = *state;
    long m = line_mark(l);

    assert_int_equal(line_text(l, T1, LINE_NUMBER, "hi"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Reply with a number");
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "3"), 200);
    line_must_get(l, m, ALEX, POOL_A, "Something else");
    /* Alex says nothing: a second later the offer is gone and Blair has it. */
    line_must_get(l, m, ALEX, POOL_A, "expired");
    line_must_get(l, m, BLAIR, POOL_A, "Something else");
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#take"), 200);
    line_must_get(l, m, ALEX, POOL_A, "no longer delivered");
    assert_int_equal(line_text(l, BLAIR, POOL_A, "#take"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "You're now texting with Blair");
}

static void three_missed_offers_set_the_peer_off(void **state)
{
    struct line *l = *state;
    long m = line_mark(l);

    /* Alex is the only peer, so each expired offer comes back to Alex (after a breath). */
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "anxious"), 200);
    assert_true(line_find(l, m, ALEX, NULL, "missed 3 chat requests in a row", 15000) > 0);
    m = line_mark(l);
    line_sleep(1500);
    assert_null(line_expect(l, m, ALEX, NULL, "#take", 0)); /* set off: no more offers */
    /* Back with #on: offered again at once. */
    assert_int_equal(line_text(l, ALEX, LINE_NUMBER, "#on 30m"), 200);
    line_must_get(l, m, ALEX, LINE_NUMBER, "You're on until");
    line_must_get(l, m, ALEX, NULL, "#take");
}

static void lone_peer_who_passed_is_offered_again(void **state)
{
    struct line *l = *state;
    long m = line_mark(l);

    assert_int_equal(line_text(l, T1, LINE_NUMBER, "anxious"), 200);
    line_must_get(l, m, ALEX, POOL_A, "#take");
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#pass"), 200);
    line_must_get(l, m, ALEX, POOL_A, "passed");
    /* No one else can take it: after the offer timeout it comes back to Alex, on the other
     * number (not at once: a pass is not answered with the same request). */
    assert_null(line_expect(l, m, ALEX, NULL, "#take", 300));
    line_must_get(l, m, ALEX, POOL_B, "#take");
}

static void transfer_to_another_topic(void **state)
{
    struct line *l = *state;
    long m;

    line_connect(l, T1, "anxious", ALEX, POOL_A, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#transfer nosuch"), 200);
    line_must_get(l, m, ALEX, POOL_A, "There's no topic \"nosuch\". Topics: anxiety, grief");
    assert_int_equal(line_text(l, ALEX, POOL_A, "#transfer grief"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Alex is passing you on to another peer");
    line_must_get(l, m, ALEX, POOL_A, "Transferred");
    line_must_get(l, m, BLAIR, POOL_A, "Grief and loss");
    /* Never offered back to Alex, even after Blair passes and no one else is left. */
    m = line_mark(l);
    assert_int_equal(line_text(l, BLAIR, POOL_A, "#pass"), 200);
    line_must_get(l, m, BLAIR, POOL_A, "passed");
    assert_null(line_expect(l, m, ALEX, NULL, "#take", 1000));
}

static void capacity_is_the_pool(void **state)
{
    struct line *l = *state;
    long m;

    line_connect(l, T1, "anxious", ALEX, POOL_A, "Alex");
    line_connect(l, T2, "panic", ALEX, POOL_B, "Alex");
    /* max_conversations is 3, but there are only 2 numbers: the third texter waits. */
    m = line_mark(l);
    assert_int_equal(line_text(l, T3, LINE_NUMBER, "anxious"), 200);
    line_must_get(l, m, T3, LINE_NUMBER, "number 1 in line");
    line_sleep(500);
    assert_null(line_expect(l, m, ALEX, NULL, "#take", 0));
    /* A number comes free: the third texter is offered on it. */
    assert_int_equal(line_text(l, ALEX, POOL_A, "#end"), 200);
    line_must_get(l, m, ALEX, POOL_A, "#take");
}

static void queue_updates_and_the_longest_wait(void **state)
{
    struct line *l = *state;
    long m;

    line_connect(l, T1, "anxious", ALEX, POOL_A, "Alex");
    line_connect(l, T2, "anxious", ALEX, POOL_B, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, T3, LINE_NUMBER, "anxious"), 200);
    line_must_get(l, m, T3, LINE_NUMBER, "You're number 1 in line");
    line_must_get(l, m, T3, LINE_NUMBER, "You're still number 1 in line");
    line_must_get(l, m, T3, LINE_NUMBER, "No one is free yet");
    line_must_get(l, m, T3, LINE_NUMBER, "988");
    /* They keep their place: the next free peer still takes them. */
    assert_int_equal(line_text(l, ALEX, POOL_A, "#end"), 200);
    line_must_get(l, m, ALEX, POOL_A, "#take");
}

static void no_one_on_shift_says_when(void **state)
{
    struct line *l = *state;
    char roster[2048];
    time_t now = time(NULL) + 3 * 3600;
    struct tm tm;
    long m;

    (void)state;
    line_stop(l);
    /* Alex's only shift starts three hours from now (UTC). */
    gmtime_r(&now, &tm);
    snprintf(roster, sizeof(roster),
             "line_name: Test Line\ntimezone: UTC\n"
             "topics:\n  - {id: anxiety, label: Anxiety and stress, keywords: [anxious]}\n"
             "peers:\n  - id: alex\n    name: Alex\n    phone: \"" ALEX "\"\n"
             "    topics: [anxiety]\n    timezone: UTC\n    shifts:\n"
             "      - {days: [sun, mon, tue, wed, thu, fri, sat], start: \"%02d:%02d\", "
             "end: \"%02d:%02d\"}\n" COORDS,
             tm.tm_hour, tm.tm_min, (tm.tm_hour + 1) % 24, tm.tm_min);
    assert_int_equal(start_with(state, roster, NULL), 0);
    l = *state;
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "I'm anxious"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "No peer is on shift right now; the next shift starts in");
    line_must_get(l, m, T1, LINE_NUMBER, " h ");
}

static void silent_peer_is_nudged_then_relieved(void **state)
{
    struct line *l = *state;
    long m = line_mark(l);

    /* The texter's first words reach Alex with #take; Alex never answers them. */
    line_connect(l, T1, "so anxious, please answer", ALEX, POOL_A, "Alex");
    line_must_get(l, m, ALEX, POOL_A, "The texter is waiting for your reply");
    line_must_get(l, m, T1, LINE_NUMBER, "Your peer had to step away");
    line_must_get(l, m, BLAIR, POOL_A, "#take");
    assert_int_equal(line_text(l, BLAIR, POOL_A, "#take"), 200);
    line_must_get(l, m, BLAIR, POOL_A, "so anxious, please answer");
}

static void silent_peer_after_a_later_text(void **state)
{
    struct line *l = *state;
    long m0 = line_mark(l), m;

    line_connect(l, T1, "anxious", ALEX, POOL_A, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "hi, I'm here"), 200);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "are you there? I really need to talk"), 200);
    /* The nudge (one per chat) may come before Alex's reply on a loaded machine. */
    line_must_get(l, m0, ALEX, POOL_A, "The texter is waiting for your reply");
    line_must_get(l, m, T1, LINE_NUMBER, "Your peer had to step away");
    line_must_get(l, m, ALEX, POOL_A, "No reply came");
    /* Blair (general) takes over and reads what went unanswered. */
    line_must_get(l, m, BLAIR, POOL_A, "#take");
    assert_int_equal(line_text(l, BLAIR, POOL_A, "#take"), 200);
    line_must_get(l, m, BLAIR, POOL_A, "are you there? I really need to talk");
}

static void quiet_chat_closes_but_an_urgent_one_stays(void **state)
{
    struct line *l = *state;
    long m;

    /* A plain chat, quiet for the idle timeout: both are told it closed. */
    line_connect(l, T1, "anxious", ALEX, POOL_A, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "I'm here"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "closed after a quiet while");
    line_must_get(l, m, ALEX, POOL_A, "closed after a quiet while");

    /* An escalated (urgent) chat is never closed for quiet. */
    line_connect(l, T2, "my mum died", BLAIR, POOL_A, "Blair");
    m = line_mark(l);
    assert_int_equal(line_text(l, BLAIR, POOL_A, "I'm still here with you"), 200);
    assert_int_equal(line_text(l, BLAIR, POOL_A, "#escalate they mentioned pills"), 200);
    line_must_get(l, m, SAM, LINE_NUMBER, "Blair asks for a coordinator in a Grief and loss chat");
    line_must_get(l, m, SAM, LINE_NUMBER, "Note: they mentioned pills");
    line_must_get(l, m, BLAIR, POOL_A, "Coordinators have been alerted");
    line_must_get(l, m, BLAIR, POOL_A, "This urgent chat has been quiet");
    line_must_get(l, m, SAM, LINE_NUMBER, "has gone quiet");
    assert_null(line_expect(l, m, T2, LINE_NUMBER, "closed", 0));
    m = line_mark(l);
    assert_int_equal(line_text(l, T2, LINE_NUMBER, "still here"), 200);
    line_must_get(l, m, BLAIR, POOL_A, "still here");
}

static void on_off_and_status(void **state)
{
    struct line *l = *state;
    long m = line_mark(l);

    assert_int_equal(line_text(l, ALEX, LINE_NUMBER, "#off"), 200);
    line_must_get(l, m, ALEX, LINE_NUMBER, "You're off until");
    assert_int_equal(line_text(l, ALEX, LINE_NUMBER, "status"), 200);
    line_must_get(l, m, ALEX, LINE_NUMBER, "You're off until");
    /* Off: the anxious texter goes to Blair, through general. */
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "anxious"), 200);
    line_must_get(l, m, BLAIR, POOL_A, "Anxiety and stress");
    assert_null(line_expect(l, m, ALEX, NULL, "#take", 0));
    m = line_mark(l);
    assert_int_equal(line_text(l, BLAIR, LINE_NUMBER, "#status"), 200);
    line_must_get(l, m, BLAIR, LINE_NUMBER, "You're on shift. Open chats: 1.");
    assert_int_equal(line_text(l, ALEX, LINE_NUMBER, "ON"), 200);
    line_must_get(l, m, ALEX, LINE_NUMBER, "You're on until");
}

/* Reads the reference from a coordinator's alert into ref. */
static void alert_ref(struct line *l, long since, char ref[16])
{
    char *alert = line_expect(l, since, SAM, LINE_NUMBER, "peerline alert R", 5000);
    const char *p;

    assert_non_null(alert);
    p = strstr(alert, "alert R") + 6;
    snprintf(ref, 16, "%.*s", (int)strcspn(p, ":"), p);
    free(alert);
}

static void coordinator_acks_and_takes_an_urgent_texter(void **state)
{
    struct line *l = *state;
    char ref[16], ack[32], take[32];
    long m;

    line_connect(l, T1, "anxious", ALEX, POOL_A, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#escalate please call them"), 200);
    alert_ref(l, m, ref);
    snprintf(ack, sizeof(ack), "#ack %s", ref);
    snprintf(take, sizeof(take), "#take %s", ref);
    assert_int_equal(line_text(l, SAM, LINE_NUMBER, ack), 200);
    line_must_get(l, m, SAM, LINE_NUMBER, "Acknowledged");
    /* Still with Alex: not waiting, so not for #take. */
    assert_int_equal(line_text(l, SAM, LINE_NUMBER, take), 200);
    line_must_get(l, m, SAM, LINE_NUMBER, "can't be taken");
    /* Alex hands it back; no other peer can take it; Sam does. */
    assert_int_equal(line_text(l, ALEX, POOL_A, "#transfer"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "You're first in line");
    m = line_mark(l);
    assert_int_equal(line_text(l, SAM, LINE_NUMBER, take), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "You're now texting with Sam");
    line_must_get(l, m, SAM, POOL_A, "You're connected");
    m = line_mark(l);
    assert_int_equal(line_text(l, SAM, POOL_A, "Hi, this is Sam. I'm here."), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Hi, this is Sam. I'm here.");
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "thank you"), 200);
    line_must_get(l, m, SAM, POOL_A, "thank you");
}

static void coordinator_takes_an_offered_urgent_texter(void **state)
{
    struct line *l = *state;
    char ref[16], take[32];
    long m;

    line_connect(l, T1, "anxious", ALEX, POOL_A, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#escalate"), 200);
    alert_ref(l, m, ref);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#transfer"), 200);
    line_must_get(l, m, BLAIR, POOL_A, "URGENT chat");
    /* Blair has the offer open; Sam takes the texter anyway, and Blair is told. */
    snprintf(take, sizeof(take), "#take %s", ref);
    m = line_mark(l);
    assert_int_equal(line_text(l, SAM, LINE_NUMBER, take), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "You're now texting with Sam");
    line_must_get(l, m, BLAIR, POOL_A, "withdrawn");
    assert_int_equal(line_text(l, BLAIR, POOL_A, "#take"), 200);
    line_must_get(l, m, BLAIR, POOL_A, "no longer delivered");
}

static void handed_back_twice_never_offered_back(void **state)
{
    struct line *l = *state;
    long m;

    line_connect(l, T1, "anxious", ALEX, POOL_A, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#transfer grief"), 200);
    line_must_get(l, m, BLAIR, POOL_A, "#take");
    assert_int_equal(line_text(l, BLAIR, POOL_A, "#take"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "You're now texting with Blair");
    /* Blair hands it back for anxiety: Alex, who handed it over first, is not asked again. */
    m = line_mark(l);
    assert_int_equal(line_text(l, BLAIR, POOL_A, "#transfer anxiety"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "You're first in line");
    assert_null(line_expect(l, m, ALEX, NULL, "#take", 1000));
    assert_null(line_expect(l, m, BLAIR, NULL, "#take", 0));
}

static void place_in_line_is_within_the_topic(void **state)
{
    struct line *l = *state;
    long m;

    /* Alex (anxiety) is full; an anxiety texter waits. A grief texter is first for grief. */
    line_connect(l, T1, "anxious", ALEX, POOL_A, "Alex");
    line_connect(l, T2, "anxious", ALEX, POOL_B, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, T3, LINE_NUMBER, "anxious"), 200);
    line_must_get(l, m, T3, LINE_NUMBER, "number 1 in line");
    assert_int_equal(line_text(l, "+15559870004", LINE_NUMBER, "my dad died"), 200);
    line_must_get(l, m, "+15559870004", LINE_NUMBER, "number 1 in line");
}

static void pending_offer_expires_on_time_after_a_restart(void **state)
{
    struct line *l = *state;
    long m = line_mark(l);

    assert_int_equal(line_text(l, T1, LINE_NUMBER, "3"), 200); /* "3" is just words here */
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "3"), 200); /* and now a menu choice */
    line_must_get(l, m, ALEX, POOL_A, "Expires in");
    line_kill_gateway(l);
    assert_int_equal(line_start_gateway(l), 0);
    /* The 3 s offer still expires, and the next peer is offered. */
    line_must_get(l, m, ALEX, POOL_A, "expired");
    line_must_get(l, m, BLAIR, POOL_A, "Something else");
}

static void who_explains_the_matcher(void **state)
{
    struct line *l = *state;
    char cmd[512], out[4096];
    size_t n;
    FILE *f;

    snprintf(cmd, sizeof(cmd), "'%s' who -c '%s' --topic grief --at '2026-12-02 09:00' 2>&1",
             getenv("PEERLINE_BIN") ? getenv("PEERLINE_BIN") : "build/peerline", l->config);
    f = popen(cmd, "r");
    assert_non_null(f);
    n = fread(out, 1, sizeof(out) - 1, f);
    out[n] = '\0';
    assert_int_equal(pclose(f), 0);
    assert_non_null(strstr(out, "topic grief (Grief and loss)"));
    assert_non_null(strstr(out, "Would be offered, in order:\n  1. blair (Blair)\n"));
    assert_non_null(strstr(out, "alex (Alex): covers only general"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(offer_expires_to_the_next_peer, setup_fast_offers,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(three_missed_offers_set_the_peer_off,
                                        setup_alone_fast_offers, line_teardown),
        cmocka_unit_test_setup_teardown(lone_peer_who_passed_is_offered_again,
                                        setup_alone_fast_offers, line_teardown),
        cmocka_unit_test_setup_teardown(transfer_to_another_topic, line_setup_default,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(capacity_is_the_pool, setup_alone, line_teardown),
        cmocka_unit_test_setup_teardown(queue_updates_and_the_longest_wait, setup_queue_timers,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(no_one_on_shift_says_when, line_setup_default,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(silent_peer_is_nudged_then_relieved, setup_chat_timers,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(silent_peer_after_a_later_text, setup_chat_timers,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(coordinator_takes_an_offered_urgent_texter,
                                        line_setup_default, line_teardown),
        cmocka_unit_test_setup_teardown(handed_back_twice_never_offered_back, line_setup_default,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(place_in_line_is_within_the_topic, setup_alone_and_grief,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(quiet_chat_closes_but_an_urgent_one_stays,
                                        setup_chat_timers, line_teardown),
        cmocka_unit_test_setup_teardown(on_off_and_status, line_setup_default, line_teardown),
        cmocka_unit_test_setup_teardown(coordinator_acks_and_takes_an_urgent_texter, setup_alone,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(pending_offer_expires_on_time_after_a_restart,
                                        setup_slow_offer, line_teardown),
        cmocka_unit_test_setup_teardown(who_explains_the_matcher, line_setup_default,
                                        line_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

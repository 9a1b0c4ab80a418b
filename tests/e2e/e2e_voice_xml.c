/*
 * e2e_voice_xml.c - the call flow as the TwiML a real serve answers, posted
 * as Twilio posts it (signed forms): the menu, a topic choice that parks
 * the caller in a conference and rings the voice peers, two peers pressing 1
 * (exactly one joins; the other hears it was taken), a whisper for a call
 * already taken, a key other than 1, a menu nobody answers, and the voice
 * webhooks' absence on a Telnyx line.
 */
#include "harness.h"
#include "voice_line.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static const char roster[] = VOICE_PEERS VOICE_COORDINATORS "blocked: [\"+15559990000\"]\n";

#define CALL_PARAMS                                                                                \
    "AccountSid=AC0123456789abcdef0123456789abcdef&From=%2B15557770001&To=%2B15005550006"          \
    "&Direction=inbound&CallSid=CA0123456789abcdef0123456789abcdef"
#define CALL_FORM CALL_PARAMS "&CallStatus=in-progress"

static int setup(void **state)
{
    struct line_opts o = {.roster = roster};

    return line_setup(state, &o);
}

/* POSTs form to path (signed); the TwiML answer into body; fails unless 200 and text/xml. */
static void twiml(struct line *l, const char *path, const char *form, char *body, size_t n)
{
    static const char head[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>";
    char ctype[64];
    long st = line_post_signed(l, path, form, body, n, ctype, sizeof(ctype));

    if (st != 200 || strcmp(ctype, "text/xml"))
        fail_msg("POST %s: %ld %s", path, st, ctype);
    if (strncmp(body, head, strlen(head)) || !strstr(body, "</Response>"))
        fail_msg("POST %s: not a TwiML document: %s", path, body);
}

/* The call comes in and chooses digits at the menu; the menu's TwiML answer in body. */
static void call_and_choose(struct line *l, const char *digits, char *body, size_t n)
{
    char form[512];

    twiml(l, "/twilio/voice", CALL_FORM, body, n);
    snprintf(form, sizeof(form), "%s&Digits=%s", CALL_FORM, digits);
    twiml(l, "/twilio/voice/menu?call=1", form, body, n);
}

static void a_topic_parks_the_caller_and_rings_the_voice_peers(void **state)
{
    struct line *l = *state;
    char body[8192];

    call_and_choose(l, "1", body, sizeof(body));
    assert_non_null(strstr(body, "finding a peer to talk with you about Anxiety and stress"));
    assert_non_null(strstr(body, "<Dial action=\"http://127.0.0.1:"));
    assert_non_null(strstr(body, "/twilio/voice/done?call=1\" method=\"POST\"><Conference "
                                 "startConferenceOnEnter=\"false\" endConferenceOnExit=\"true\" "
                                 "beep=\"false\" waitUrl=\"http://127.0.0.1:"));
    assert_non_null(strstr(body, "/twilio/voice/hold?call=1\" waitMethod=\"POST\">peerline-call-1"
                                 "</Conference></Dial>"));
    /* Two legs, one per voice peer for anxiety, and a dial for each, in the same commit. */
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM call_legs WHERE call_id = 1"
                                   " AND peer_id IN ('alex','blair')"),
                     2);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM voice_ops WHERE op = 'dial'"), 2);
    /* The hold music's TwiML. */
    twiml(l, "/twilio/voice/hold?call=1", CALL_FORM, body, sizeof(body));
    assert_non_null(strstr(body, "Thank you for waiting"));
}

static void two_peers_press_1_and_exactly_one_joins(void **state)
{
    struct line *l = *state;
    char body[8192], form[512];
    long first, second;

    call_and_choose(l, "1", body, sizeof(body));
    first = line_query(l, "SELECT MIN(id) FROM call_legs");
    second = line_query(l, "SELECT MAX(id) FROM call_legs");
    /* Both legs are answered: both hear the whisper, with the topic and press 1. */
    snprintf(form, sizeof(form), "/twilio/voice/whisper?leg=%ld", first);
    twiml(l, form, CALL_FORM, body, sizeof(body));
    assert_non_null(strstr(body, "<Gather input=\"dtmf\" numDigits=\"1\""));
    assert_non_null(strstr(body, "would like to talk about Anxiety and stress"));
    assert_non_null(strstr(body, "</Gather><Say language=\"en-US\">The call was not taken."));
    /* The second leg presses 1 first: it joins the caller's conference. */
    snprintf(form, sizeof(form), "/twilio/voice/accept?leg=%ld", second);
    twiml(l, form, CALL_FORM "&Digits=1", body, sizeof(body));
    assert_non_null(strstr(body, "Connecting you now."));
    assert_non_null(strstr(body, "<Dial><Conference startConferenceOnEnter=\"true\" "
                                 "endConferenceOnExit=\"true\" beep=\"false\">peerline-call-1"));
    /* The first presses 1 a moment later: told it was taken, hung up, nothing changed. */
    snprintf(form, sizeof(form), "/twilio/voice/accept?leg=%ld", first);
    twiml(l, form, CALL_FORM "&Digits=1", body, sizeof(body));
    assert_non_null(strstr(body, "Someone else has taken this call"));
    assert_non_null(strstr(body, "<Hangup/>"));
    assert_null(strstr(body, "Conference"));
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM calls WHERE state = 'connected'"), 1);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM call_legs WHERE state = 'accepted'"), 1);
    /* A whisper for a call already taken does not offer it. */
    snprintf(form, sizeof(form), "/twilio/voice/whisper?leg=%ld", first);
    twiml(l, form, CALL_FORM, body, sizeof(body));
    assert_null(strstr(body, "Gather"));
    assert_non_null(strstr(body, "Someone else has taken this call"));
}

static void a_key_other_than_1_takes_nothing(void **state)
{
    struct line *l = *state;
    char body[8192], form[512];
    long leg;

    call_and_choose(l, "2", body, sizeof(body)); /* grief: Blair alone */
    leg = line_query(l, "SELECT MIN(id) FROM call_legs");
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM call_legs"), 1);
    snprintf(form, sizeof(form), "/twilio/voice/accept?leg=%ld", leg);
    twiml(l, form, CALL_FORM "&Digits=2", body, sizeof(body));
    assert_non_null(strstr(body, "The call was not taken."));
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM calls WHERE state = 'ringing'"), 1);
}

static void a_menu_nobody_answers_is_asked_again_then_goes_to_general(void **state)
{
    struct line *l = *state;
    char body[8192];

    twiml(l, "/twilio/voice", CALL_FORM, body, sizeof(body));
    twiml(l, "/twilio/voice/menu?call=1", CALL_FORM, body, sizeof(body));
    assert_non_null(strstr(body, "Sorry, I didn&apos;t catch that."));
    assert_non_null(strstr(body, "<Gather"));
    twiml(l, "/twilio/voice/menu?call=1", CALL_FORM "&Digits=7", body, sizeof(body));
    assert_non_null(strstr(body, "Sorry, I didn&apos;t catch that."));
    twiml(l, "/twilio/voice/menu?call=1", CALL_FORM, body, sizeof(body));
    assert_non_null(strstr(body, "about Something else"));
    /* Whoever covers general: Alex. */
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM call_legs WHERE peer_id = 'alex'"), 1);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM calls WHERE topic = 'general'"), 1);
}

static void bad_voice_requests_change_nothing(void **state)
{
    struct line *l = *state;
    char body[1024], ctype[64];

    /* No CallSid. */
    assert_int_equal(line_post_signed(l, "/twilio/voice", "From=%2B15557770001&To=%2B15005550006",
                                      body, sizeof(body), ctype, sizeof(ctype)),
                     400);
    /* A menu answer for a call that never was. */
    assert_int_equal(line_post_signed(l, "/twilio/voice/menu?call=99", CALL_FORM "&Digits=1", body,
                                      sizeof(body), ctype, sizeof(ctype)),
                     404);
    assert_int_equal(line_post_signed(l, "/twilio/voice/nowhere", CALL_FORM, body, sizeof(body),
                                      ctype, sizeof(ctype)),
                     404);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM calls"), 0);
}

static void a_caller_who_hangs_up_while_ringing_stops_the_ringing_and_hears_from_us(void **state)
{
    struct line *l = *state;
    char body[8192], ctype[64];
    long mark = line_mark(l);

    call_and_choose(l, "1", body, sizeof(body));
    /* The line number's call status callback: the caller is gone. */
    assert_int_equal(line_post_signed(l, "/twilio/voice/status",
                                      CALL_PARAMS "&CallStatus=completed", body, sizeof(body),
                                      ctype, sizeof(ctype)),
                     204);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM calls WHERE state = 'ended'"
                                   " AND outcome = 'abandoned'"),
                     1);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM voice_ops WHERE op = 'hangup'"), 2);
    line_must_get(l, mark, "+15557770001", LINE_NUMBER, "sorry we missed your call");
    /* A status that is not an end changes nothing; a second end is harmless. */
    assert_int_equal(line_post_signed(l, "/twilio/voice/status",
                                      CALL_PARAMS "&CallStatus=completed", body, sizeof(body),
                                      ctype, sizeof(ctype)),
                     204);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM conversations WHERE channel = 'voice'"),
                     1);
}

static void a_hidden_number_is_not_promised_a_call_back(void **state)
{
    struct line *l = *state;
    char body[8192];

    twiml(l, "/twilio/voice",
          "CallSid=CA0123456789abcdef0123456789abcdef&From=anonymous"
          "&To=%2B15005550006&CallStatus=ringing",
          body, sizeof(body));
    twiml(l, "/twilio/voice/voicemail?call=1", CALL_FORM, body, sizeof(body));
    assert_non_null(strstr(body, "Your number is hidden, so we can&apos;t call you back"));
    assert_null(strstr(body, "will call you back"));
}

static void calls_to_a_pool_number_are_the_lines_and_blocked_calls_are_not_contacts(void **state)
{
    struct line *l = *state;
    char body[8192];

    twiml(l, "/twilio/voice",
          "CallSid=CA0123456789abcdef0123456789abcdef&From=%2B15557770001"
          "&To=%2B15005550007&CallStatus=ringing",
          body, sizeof(body));
    assert_int_equal(
        line_query(l, "SELECT COUNT(*) FROM calls WHERE line_number = '" LINE_NUMBER "'"), 1);
    twiml(l, "/twilio/voice",
          "CallSid=CA0123456789abcdef0123456789abcdee&From=%2B15559990000"
          "&To=%2B15005550006&CallStatus=ringing",
          body, sizeof(body));
    assert_non_null(strstr(body, "can&apos;t take your call"));
    assert_non_null(strstr(body, "<Hangup/>"));
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM calls WHERE outcome = 'blocked'"), 1);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM conversations"), 0);
}

static void one_callback_at_a_time(void **state)
{
    struct line *l = *state;
    char body[8192], ctype[64];
    long mark = line_mark(l);

    /* A missed call: the caller hung up while Blair's phone rang. */
    call_and_choose(l, "2", body, sizeof(body));
    assert_int_equal(line_post_signed(l, "/twilio/voice/status",
                                      CALL_PARAMS "&CallStatus=completed", body, sizeof(body),
                                      ctype, sizeof(ctype)),
                     204);
    for (int i = 0;
         i < 100 && line_query(l, "SELECT COUNT(*) FROM calls WHERE state = 'ended'") != 1; i++)
        line_sleep(50);
    assert_int_equal(line_text(l, ALEX, LINE_NUMBER, "#callback C1"), 200);
    line_must_get(l, mark, ALEX, LINE_NUMBER, "Calling you now for C1");
    mark = line_mark(l);
    assert_int_equal(line_text(l, BLAIR, LINE_NUMBER, "#callback C1"), 200);
    line_must_get(l, mark, BLAIR, LINE_NUMBER, "There is no missed call C1");
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM call_legs WHERE kind = 'callback'"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_topic_parks_the_caller_and_rings_the_voice_peers, setup,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(two_peers_press_1_and_exactly_one_joins, setup,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(a_key_other_than_1_takes_nothing, setup, line_teardown),
        cmocka_unit_test_setup_teardown(a_menu_nobody_answers_is_asked_again_then_goes_to_general,
                                        setup, line_teardown),
        cmocka_unit_test_setup_teardown(bad_voice_requests_change_nothing, setup, line_teardown),
        cmocka_unit_test_setup_teardown(
            a_caller_who_hangs_up_while_ringing_stops_the_ringing_and_hears_from_us, setup,
            line_teardown),
        cmocka_unit_test_setup_teardown(a_hidden_number_is_not_promised_a_call_back, setup,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(
            calls_to_a_pool_number_are_the_lines_and_blocked_calls_are_not_contacts, setup,
            line_teardown),
        cmocka_unit_test_setup_teardown(one_callback_at_a_time, setup, line_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_twiml.c - the TwiML peerline answers calls with: each verb as Twilio
 * reads it, every text and attribute escaped, languages as Twilio's tags.
 */
#include "buf.h"
#include "twiml.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>"

static void a_menu_reads_as_twilio_reads_it(void **state)
{
    struct buf b = BUF_INIT(0);
    struct twiml t;
    struct twiml_gather g = {"https://l.example/twilio/voice/menu?call=7", 1, 6, 0, NULL};

    (void)state;
    twiml_begin(&t, &b, "es");
    twiml_gather(&t, &g);
    twiml_say(&t, "Para hablar de ansiedad, oprima 1.");
    twiml_gather_end(&t);
    twiml_redirect(&t, "https://l.example/twilio/voice/menu?call=7");
    assert_int_equal(twiml_end(&t), 0);
    assert_string_equal(b.p, HEAD "<Gather input=\"dtmf\" numDigits=\"1\" timeout=\"6\" "
                                  "action=\"https://l.example/twilio/voice/menu?call=7\" "
                                  "method=\"POST\"><Say language=\"es-US\">Para hablar de "
                                  "ansiedad, oprima 1.</Say></Gather><Redirect method=\"POST\">"
                                  "https://l.example/twilio/voice/menu?call=7</Redirect>"
                                  "</Response>");
    buf_free(&b);
}

static void text_and_attributes_are_escaped(void **state)
{
    struct buf b = BUF_INIT(0);
    struct twiml t;
    struct twiml_gather g = {"https://l.example/a?x=1&y=\"2\"", 0, 5, 1, "grief, <loss>"};

    (void)state;
    twiml_begin(&t, &b, "xx"); /* a language Twilio has no tag for: no language attribute */
    twiml_gather(&t, &g);
    twiml_gather_end(&t);
    twiml_say(&t, "Tom & Jerry's <line>");
    assert_int_equal(twiml_end(&t), 0);
    assert_string_equal(b.p, HEAD "<Gather input=\"dtmf speech\" timeout=\"5\" "
                                  "action=\"https://l.example/a?x=1&amp;y=&quot;2&quot;\" "
                                  "method=\"POST\" hints=\"grief, &lt;loss&gt;\"></Gather>"
                                  "<Say>Tom &amp; Jerry&apos;s &lt;line&gt;</Say></Response>");
    buf_free(&b);
}

static void dial_conference_record_and_hangup(void **state)
{
    struct buf b = BUF_INIT(0);
    struct twiml t;
    struct twiml_conference caller = {"https://l/done?call=3", "peerline-call-3", 0, 1,
                                      "https://l/hold?call=3"};
    struct twiml_conference peer = {NULL, "peerline-call-3", 1, 1, NULL};

    (void)state;
    twiml_begin(&t, &b, "en");
    twiml_conference(&t, &caller);
    twiml_conference(&t, &peer);
    twiml_dial_number(&t, NULL, "+15551230001", 30, "+18005550100");
    twiml_record(&t, "https://l/recorded?call=3", 120, 5);
    twiml_play(&t, "https://l/calm.mp3", 0);
    twiml_pause(&t, 20);
    twiml_hangup(&t);
    assert_int_equal(twiml_end(&t), 0);
    assert_string_equal(
        b.p, HEAD "<Dial action=\"https://l/done?call=3\" method=\"POST\"><Conference "
                  "startConferenceOnEnter=\"false\" endConferenceOnExit=\"true\" beep=\"false\" "
                  "waitUrl=\"https://l/hold?call=3\" waitMethod=\"POST\">peerline-call-3"
                  "</Conference></Dial>"
                  "<Dial><Conference startConferenceOnEnter=\"true\" endConferenceOnExit=\"true\" "
                  "beep=\"false\">peerline-call-3</Conference></Dial>"
                  "<Dial timeout=\"30\" callerId=\"+15551230001\"><Number>+18005550100</Number>"
                  "</Dial>"
                  "<Record action=\"https://l/recorded?call=3\" method=\"POST\" maxLength=\"120\" "
                  "timeout=\"5\" playBeep=\"true\"/>"
                  "<Play loop=\"0\">https://l/calm.mp3</Play><Pause length=\"20\"/><Hangup/>"
                  "</Response>");
    buf_free(&b);
}

static void a_failed_write_is_reported_once(void **state)
{
    struct buf b = BUF_INIT(64); /* room for the head and not much more */
    struct twiml t;

    (void)state;
    twiml_begin(&t, &b, "en");
    twiml_say(&t, "This sentence is far too long to fit in the sixty-four bytes allowed.");
    twiml_hangup(&t);
    assert_int_equal(twiml_end(&t), -1);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_menu_reads_as_twilio_reads_it),
        cmocka_unit_test(text_and_attributes_are_escaped),
        cmocka_unit_test(dial_conference_record_and_hangup),
        cmocka_unit_test(a_failed_write_is_reported_once),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

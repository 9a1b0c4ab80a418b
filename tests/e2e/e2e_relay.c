/*
 * e2e_relay.c - a texter reaches a peer and they talk, through a real
 * gateway, a real SQLite file and the simulator as the provider.
 *
 * Each test starts its own line (gateway + simulator on free ports) and
 * plays phones: what it asserts is what each phone received, and from which
 * number.
 */
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define T1   "+15559870001"
#define T2   "+15559870002"
#define WAIT 5000

static int setup_no_pool(void **state)
{
    static const struct line_opts o = {.no_pool = 1};

    return line_setup(state, &o);
}

static int setup_no_cooldown(void **state)
{
    static const struct line_opts o = {.extra_config = "timers:\n  cooldown: 0s\n"};

    return line_setup(state, &o);
}

/* Opens a chat between texter and Alex on POOL_A (topic anxiety). */
static void whole_conversation(void **state)
{
    struct line *l = *state;
    long m = line_mark(l);
    char *offer, *all;

    /* First contact: who we are, then the menu. */
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "hi"), 200);
    line_must_get(l, m, T1, LINE_NUMBER,
                  "Test Line: trained volunteer peers, not counsellors or emergency");
    line_must_get(l, m, T1, LINE_NUMBER,
                  "1 Anxiety and stress, 2 Grief and loss, 3 Something else");

    /* A menu choice: told their place; Alex is offered it on a pool number. */
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "1"), 200);
    line_must_get(l, m, T1, LINE_NUMBER,
                  "You're number 1 in line to talk about Anxiety and stress");
    offer = line_expect(l, m, ALEX, POOL_A, "#take", WAIT);
    assert_non_null(offer);
    assert_non_null(strstr(offer, "Anxiety and stress"));
    assert_null(strstr(offer, "hi\n")); /* an offer carries no message text */
    free(offer);
    assert_int_equal(line_count(l, m, BLAIR, NULL), 0);

    /* Nothing Alex writes reaches the texter before #take. */
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "hello?"), 200);
    line_must_get(l, m, ALEX, POOL_A, "Reply #take to accept");
    line_sleep(300);
    assert_int_equal(line_count(l, m, T1, NULL), 0);

    /* #take: introductions, then what the texter wrote so far. */
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#take"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "You're now texting with Alex, a trained volunteer peer");
    line_must_get(l, m, ALEX, POOL_A, "You're connected");
    line_must_get(l, m, ALEX, POOL_A, "hi");

    /* Relay both ways, each side seeing only the line's numbers. */
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "I'm here. What's on your mind?"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "I'm here. What's on your mind?");
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "exams, mostly \xf0\x9f\x98\x9f"), 200);
    line_must_get(l, m, ALEX, POOL_A, "exams, mostly \xf0\x9f\x98\x9f");

    /* BYE ends it; both told. */
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "bye"), 200);
    line_must_get(l, m, ALEX, POOL_A, "The texter ended the chat");
    line_must_get(l, m, T1, LINE_NUMBER, "Chat ended");

    /* After BYE the peer has one last word; a reply after it is answered, never relayed. */
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "take care!"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "take care!");
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "you too"), 200);
    line_must_get(l, m, ALEX, POOL_A, "no longer delivered");
    line_sleep(300);
    assert_int_equal(line_count(l, m, T1, NULL), 0);

    /* Neither number ever reached the other side, and each saw one number of ours. */
    all = line_all_to(l, T1);
    assert_null(strstr(all, "5551230001"));
    free(all);
    all = line_all_to(l, ALEX);
    assert_null(strstr(all, "5559870001"));
    free(all);
    assert_int_equal(line_count(l, 0, T1, NULL), line_count(l, 0, T1, LINE_NUMBER));
    assert_int_equal(line_count(l, 0, ALEX, NULL), line_count(l, 0, ALEX, POOL_A));
}

static void topic_word_skips_menu(void **state)
{
    struct line *l = *state;
    long m = line_mark(l);

    assert_int_equal(line_text(l, T2, LINE_NUMBER, "my dad died last week"), 200);
    line_must_get(l, m, T2, LINE_NUMBER, "in line to talk about Grief and loss");
    line_must_get(l, m, BLAIR, POOL_A, "Grief and loss");
    line_sleep(200);
    assert_null(line_expect(l, m, T2, LINE_NUMBER, "Reply with a number", 0));
    /* Blair takes it and reads the first message. */
    m = line_mark(l);
    assert_int_equal(line_text(l, BLAIR, POOL_A, "#take"), 200);
    line_must_get(l, m, BLAIR, POOL_A, "my dad died last week");
    line_must_get(l, m, T2, LINE_NUMBER, "You're now texting with Blair");
}

static void repeated_message_sid_processed_once(void **state)
{
    struct line *l = *state;
    const char *sid = "SM0123456789abcdef0123456789abcdef";
    long m = line_mark(l), rows = line_inbound_rows(l);

    assert_int_equal(line_text_sid(l, T1, LINE_NUMBER, "hello", sid), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Reply with a number");
    assert_int_equal(line_text_sid(l, T1, LINE_NUMBER, "hello", sid), 200);
    line_sleep(500);
    assert_int_equal(line_inbound_rows(l), rows + 1);
    assert_int_equal(line_count(l, m, T1, NULL), 2); /* welcome and menu, once */
}

static void forged_or_bad_webhooks_change_nothing(void **state)
{
    struct line *l = *state;
    const char *form = "MessageSid=SMffffffffffffffffffffffffffffffff&From=%2B15559870009"
                       "&To=%2B15005550006&Body=hi";
    long rows = line_inbound_rows(l);
    char *big;

    if (line_provider_telnyx())
        skip(); /* Twilio's webhook format (e2e_telnyx has Telnyx's) */
    assert_int_equal(
        line_post_raw(l, "/twilio/sms", "application/x-www-form-urlencoded", form, NULL), 403);
    assert_int_equal(line_post_raw(l, "/twilio/sms", "application/x-www-form-urlencoded", form,
                                   "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
                     403);
    assert_int_equal(line_post_raw(l, "/twilio/sms", "application/json", "{}", NULL), 400);
    assert_int_equal(
        line_post_raw(l, "/twilio/sms", "application/x-www-form-urlencoded", "Body=%zz", "x"), 400);
    big = malloc(70 * 1024);
    memset(big, 'a', 70 * 1024 - 1);
    big[70 * 1024 - 1] = '\0';
    assert_int_equal(
        line_post_raw(l, "/twilio/sms", "application/x-www-form-urlencoded", big, NULL), 413);
    free(big);
    line_sleep(200);
    assert_int_equal(line_inbound_rows(l), rows);
    assert_int_equal(line_count(l, 0, "+15559870009", NULL), 0);
}

static void stored_text_is_answered_with_empty_twiml(void **state)
{
    struct line *l = *state;
    const char *form = "MessageSid=SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa&AccountSid=AC0123456789abcdef"
                       "0123456789abcdef&From=%2B15559870003&To=%2B15005550006&Body=hi+there"
                       "&NumMedia=0&SomeFieldTwilioAddsLater=x";
    char body[256], ctype[64];
    long rows = line_inbound_rows(l);

    if (line_provider_telnyx())
        skip(); /* Twilio's signature and TwiML answer */
    /* Signed over the URL with its query, and over a parameter we do not know. */
    assert_int_equal(line_post_signed(l, "/twilio/sms?foo=1&bar=2", form, body, sizeof(body), ctype,
                                      sizeof(ctype)),
                     200);
    assert_string_equal(ctype, "text/xml");
    assert_string_equal(body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>");
    assert_int_equal(line_inbound_rows(l), rows + 1);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM inbound WHERE body = 'hi there'"), 1);
    /* The texter hears from the line (the reply goes through the API, not the answer). */
    line_must_get(l, 0, "+15559870003", LINE_NUMBER, "Reply with a number");
}

static void stop_then_silence_then_start(void **state)
{
    struct line *l = *state;
    long m;

    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "STOP"), 200);
    line_must_get(l, m, ALEX, POOL_A, "The texter ended the chat");
    line_must_get(l, m, T1, LINE_NUMBER, "988");
    line_must_get(l, m, T1, LINE_NUMBER, "Text START to come back");

    /* Opted out: nothing at all goes to them, whatever they send. */
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "hello?"), 200);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "HELP"), 200);
    line_sleep(600);
    assert_int_equal(line_count(l, m, T1, NULL), 0);

    assert_int_equal(line_text(l, T1, LINE_NUMBER, "START"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Welcome back to Test Line");
}

static void pass_goes_to_the_next_peer(void **state)
{
    struct line *l = *state;
    long m = line_mark(l);

    /* "Something else": Alex and Blair both cover general; Alex is first in the roster. */
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "hey"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Reply with a number");
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "3"), 200);
    line_must_get(l, m, ALEX, POOL_A, "Something else");
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#pass"), 200);
    line_must_get(l, m, ALEX, POOL_A, "passed");
    line_must_get(l, m, BLAIR, POOL_A, "Something else");
    m = line_mark(l);
    assert_int_equal(line_text(l, BLAIR, POOL_A, "#take"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "You're now texting with Blair");
    line_must_get(l, m, BLAIR, POOL_A, "hey");
    /* Blair ends it with #end. */
    m = line_mark(l);
    assert_int_equal(line_text(l, BLAIR, POOL_A, "#end"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Blair has ended the chat");
    line_must_get(l, m, BLAIR, POOL_A, "Chat closed");
}

static void two_chats_use_two_numbers(void **state)
{
    struct line *l = *state;
    long m;

    line_connect(l, T1, "so anxious", ALEX, POOL_A, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, T2, LINE_NUMBER, "panic again"), 200);
    line_must_get(l, m, ALEX, POOL_B, "#take");
    assert_int_equal(line_text(l, ALEX, POOL_B, "#take"), 200);
    line_must_get(l, m, T2, LINE_NUMBER, "You're now texting with Alex");
    /* Each reply goes to the texter of the number it was sent to. */
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_B, "to the second texter"), 200);
    assert_int_equal(line_text(l, ALEX, POOL_A, "to the first texter"), 200);
    line_must_get(l, m, T2, LINE_NUMBER, "to the second texter");
    line_must_get(l, m, T1, LINE_NUMBER, "to the first texter");
    line_sleep(200);
    assert_null(line_expect(l, m, T1, NULL, "second", 0));
    assert_null(line_expect(l, m, T2, NULL, "first", 0));
}

static void next_chat_uses_the_least_recently_used_number(void **state)
{
    struct line *l = *state;
    long m;

    line_connect(l, T1, "anxious", ALEX, POOL_A, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#end"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Alex has ended the chat");

    /* The next texter reaches Alex on the number Alex has not used. */
    m = line_mark(l);
    assert_int_equal(line_text(l, T2, LINE_NUMBER, "panic"), 200);
    line_must_get(l, m, ALEX, POOL_B, "#take");
    assert_int_equal(line_text(l, ALEX, POOL_B, "#take"), 200);
    line_must_get(l, m, T2, LINE_NUMBER, "You're now texting with Alex");

    /* A late reply to the first texter, on the closed number, never reaches the second. */
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "one more thing for you"), 200);
    line_must_get(l, m, ALEX, POOL_A, "no longer delivered");
    line_sleep(300);
    assert_int_equal(line_count(l, m, T2, NULL), 0);
    assert_int_equal(line_count(l, m, T1, NULL), 0);
}

static void help_anywhere(void **state)
{
    struct line *l = *state;
    long m = line_mark(l);

    assert_int_equal(line_text(l, T1, LINE_NUMBER, "help"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "BYE ends a chat; STOP/END/QUIT stop all texts");
    assert_int_equal(line_count(l, m, T1, NULL), 1);
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#help"), 200);
    line_must_get(l, m, ALEX, POOL_A, "Commands: #take #pass #end");
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#dance"), 200);
    line_must_get(l, m, ALEX, POOL_A, "Commands: #take #pass #end");
}

static void provider_errors_are_retried(void **state)
{
    struct line *l = *state;
    long m = line_mark(l);

    assert_int_equal(line_fault(l, "500", 2), 0);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "hi"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Test Line: trained volunteer peers");
    assert_int_equal(line_fault(l, "429", 1), 0);
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "1"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "in line");
    line_must_get(l, m, ALEX, POOL_A, "#take");
}

static void line_number_alone_without_pool(void **state)
{
    struct line *l = *state;
    long m = line_mark(l);

    assert_int_equal(line_text(l, T1, LINE_NUMBER, "anxious"), 200);
    line_must_get(l, m, ALEX, LINE_NUMBER, "#take");
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, LINE_NUMBER, "#take"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "You're now texting with Alex");
    line_must_get(l, m, ALEX, LINE_NUMBER, "anxious");
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, LINE_NUMBER, "hello from Alex"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "hello from Alex");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(whole_conversation, line_setup_default, line_teardown),
        cmocka_unit_test_setup_teardown(topic_word_skips_menu, line_setup_default, line_teardown),
        cmocka_unit_test_setup_teardown(repeated_message_sid_processed_once, line_setup_default,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(forged_or_bad_webhooks_change_nothing, line_setup_default,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(stored_text_is_answered_with_empty_twiml,
                                        line_setup_default, line_teardown),
        cmocka_unit_test_setup_teardown(stop_then_silence_then_start, line_setup_default,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(pass_goes_to_the_next_peer, line_setup_default,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(two_chats_use_two_numbers, line_setup_default,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(next_chat_uses_the_least_recently_used_number,
                                        setup_no_cooldown, line_teardown),
        cmocka_unit_test_setup_teardown(help_anywhere, line_setup_default, line_teardown),
        cmocka_unit_test_setup_teardown(provider_errors_are_retried, line_setup_default,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(line_number_alone_without_pool, setup_no_pool,
                                        line_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

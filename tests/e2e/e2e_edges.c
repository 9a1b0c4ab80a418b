/*
 * e2e_edges.c - the texts that fall between the usual ones: pictures, a
 * carrier opt-out the line only learns of from the provider (Twilio's 21610,
 * Telnyx's 40300), HELP as a first text, blocked numbers, a peer who is
 * themselves texting the line when it has no pool, texts "from" the line's
 * own numbers, and delivery statuses recorded on their texts.
 */
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define T1      "+15559870001"
#define BLOCKED "+15559870009"
#define WAIT    5000

static int setup_blocked(void **state)
{
    static const struct line_opts o = {.roster_extra = "blocked: [\"" BLOCKED "\"]\n"};

    return line_setup(state, &o);
}

static int setup_no_pool(void **state)
{
    static const struct line_opts o = {.no_pool = 1};

    return line_setup(state, &o);
}

static void pictures_are_not_passed_on(void **state)
{
    struct line *l = *state;
    long m;

    line_connect(l, T1, "anxious", ALEX, POOL_A, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text_media(l, T1, LINE_NUMBER, "", 1), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Pictures are not passed on");
    line_must_get(l, m, ALEX, POOL_A, "They sent a picture");
    /* A picture with words: the words go through. */
    m = line_mark(l);
    assert_int_equal(line_text_media(l, ALEX, POOL_A, "this helped me", 1), 200);
    line_must_get(l, m, ALEX, POOL_A, "Pictures are not passed on");
    line_must_get(l, m, T1, LINE_NUMBER, "this helped me");
}

static void texter_carrier_optout_ends_the_chat(void **state)
{
    struct line *l = *state;
    long m;

    line_connect(l, T1, "anxious", ALEX, POOL_A, "Alex");
    assert_int_equal(line_carrier_optout(l, T1, LINE_NUMBER), 0);
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "are you still there?"), 200);
    line_must_get(l, m, ALEX, POOL_A, "can no longer receive texts");
    /* The line now knows: nothing more is even attempted for them. */
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "hello?"), 200);
    line_must_get(l, m, ALEX, POOL_A, "no longer delivered");
    assert_int_equal(
        line_query(l, line_provider_telnyx()
                          ? "SELECT COUNT(*) FROM optouts WHERE source = 'provider-40300'"
                          : "SELECT COUNT(*) FROM optouts WHERE source = 'provider-21610'"),
        1);
}

static void peer_carrier_optout_puts_the_texter_back_in_line(void **state)
{
    struct line *l = *state;
    long m;

    line_connect(l, T1, "anxious", ALEX, POOL_A, "Alex");
    assert_int_equal(line_carrier_optout(l, ALEX, POOL_A), 0);
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "are you there?"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Your peer had to step away");
    /* Blair covers general: with Alex unreachable, the texter goes to Blair. */
    line_must_get(l, m, BLAIR, POOL_A, "#take");
    assert_int_equal(line_text(l, BLAIR, POOL_A, "#take"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "You're now texting with Blair");
    line_must_get(l, m, BLAIR, POOL_A, "are you there?");
}

static void help_first_still_gets_the_welcome(void **state)
{
    struct line *l = *state;
    long m = line_mark(l);

    assert_int_equal(line_text(l, T1, LINE_NUMBER, "HELP"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Test Line: free peer support by text");
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "hi"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "not counsellors or emergency services");
    line_must_get(l, m, T1, LINE_NUMBER, "Reply with a number");
}

static void blocked_number_gets_only_help(void **state)
{
    struct line *l = *state;
    long m = line_mark(l);

    assert_int_equal(line_text(l, BLOCKED, LINE_NUMBER, "hi, I'm anxious"), 200);
    line_sleep(500);
    assert_int_equal(line_count(l, m, BLOCKED, NULL), 0);
    assert_int_equal(line_count(l, m, ALEX, NULL), 0);
    assert_int_equal(line_text(l, BLOCKED, LINE_NUMBER, "help"), 200);
    line_must_get(l, m, BLOCKED, LINE_NUMBER, "free peer support by text");
    assert_int_equal(line_count(l, m, BLOCKED, NULL), 1);
}

static void peer_texting_the_line_is_not_offered_on_it(void **state)
{
    struct line *l = *state;
    long m = line_mark(l);

    /* Alex reaches out for support; Blair is offered it, on the line number. */
    assert_int_equal(line_text(l, ALEX, LINE_NUMBER, "my dad died"), 200);
    line_must_get(l, m, BLAIR, LINE_NUMBER, "#take");
    /* While Alex is a texter on the line number, no chat is offered to Alex on it. */
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "anxious"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "in line");
    line_sleep(600);
    assert_null(line_expect(l, m, ALEX, LINE_NUMBER, "#take", 0));
    /* Alex's own words go to Blair once Blair takes it, not to anyone else. */
    m = line_mark(l);
    assert_int_equal(line_text(l, BLAIR, LINE_NUMBER, "#take"), 200);
    line_must_get(l, m, BLAIR, LINE_NUMBER, "my dad died");
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, LINE_NUMBER, "thank you for being here"), 200);
    line_must_get(l, m, BLAIR, LINE_NUMBER, "thank you for being here");
    assert_int_equal(line_count(l, m, T1, NULL), 0);
}

#define READ "read-token-0123456789"

static int setup_metrics(void **state)
{
    static const struct line_opts o = {.extra_config = "admin:\n  token: " READ "\n"};

    return line_setup(state, &o);
}

/*
 * A text "from" one of the line's own numbers (a loop at the provider, or a
 * forgery by someone holding the credentials) is acknowledged and kept, but
 * the line never talks to itself: no welcome, no relay, no safety text, no
 * alert, nothing to anyone, only a count in /metrics. Even in a chat's
 * thread, with crisis words or a peer's command.
 */
static void texts_from_our_own_numbers_are_ignored(void **state)
{
    static const struct {
        const char *from, *to, *body;
    } own[] = {
        {LINE_NUMBER, LINE_NUMBER, "hello, is anyone there"},
        {POOL_A, LINE_NUMBER, "so anxious today"},
        {LINE_NUMBER, POOL_A, "I want to kill myself"},
        {POOL_B, POOL_A, "#take"},
        {POOL_B, POOL_B, "HELP"},
    };
    struct line *l = *state;
    size_t i, n = sizeof(own) / sizeof(own[0]);
    long m, rows;

    line_connect(l, T1, "anxious", ALEX, POOL_A, "Alex");
    m = line_mark(l);
    rows = line_inbound_rows(l);
    for (i = 0; i < n; i++)
        assert_int_equal(line_text(l, own[i].from, own[i].to, own[i].body), 200);
    /* Texts are handled in arrival order: once this one is relayed, those before it were. */
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "are you still there"), 200);
    line_must_get(l, m, ALEX, POOL_A, "are you still there");
    assert_int_equal(line_idle(l), 0);
    assert_int_equal(line_count(l, m, NULL, NULL), 1); /* that relay, and nothing else */
    assert_int_equal(line_count(l, 0, LINE_NUMBER, NULL) + line_count(l, 0, POOL_A, NULL) +
                         line_count(l, 0, POOL_B, NULL),
                     0);
    assert_int_equal(line_count(l, 0, SAM, NULL), 0);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM outbox WHERE to_number IN ('" LINE_NUMBER
                                   "', '" POOL_A "', '" POOL_B "')"),
                     0);
    assert_int_equal(line_query(l,
                                "SELECT COUNT(*) FROM conversations WHERE texter IN ('" LINE_NUMBER
                                "', '" POOL_A "', '" POOL_B "')"),
                     0);
    /* Stored like every signed text (retention applies), and counted. */
    assert_int_equal(line_inbound_rows(l), rows + (long)n + 1);
    assert_true(line_metric(l, READ, "peerline_inbound_ignored_total{reason=\"own_number\"}") ==
                (double)n);
    assert_true(line_metric(l, READ, "peerline_inbound_total") == (double)(rows + (long)n + 1));
}

static void delivery_statuses_are_recorded(void **state)
{
    struct line *l = *state;
    long m = line_mark(l), waited;

    assert_int_equal(line_text(l, T1, LINE_NUMBER, "hi"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Reply with a number");
    /*
     * The simulator reports each text delivered, sometimes before its id is
     * stored (the engine then looks again each second): give a loaded
     * machine time.
     */
    for (waited = 0; waited < 3 * WAIT; waited += 100) {
        if (line_query(l, "SELECT COUNT(*) FROM outbox WHERE provider_status = 'delivered'") == 2)
            break;
        line_sleep(100);
    }
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM outbox WHERE provider_status ="
                                   " 'delivered' AND provider_sid IS NOT NULL"),
                     2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(pictures_are_not_passed_on, line_setup_default,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(texter_carrier_optout_ends_the_chat, line_setup_default,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(peer_carrier_optout_puts_the_texter_back_in_line,
                                        line_setup_default, line_teardown),
        cmocka_unit_test_setup_teardown(help_first_still_gets_the_welcome, line_setup_default,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(blocked_number_gets_only_help, setup_blocked,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(peer_texting_the_line_is_not_offered_on_it, setup_no_pool,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(texts_from_our_own_numbers_are_ignored, setup_metrics,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(delivery_statuses_are_recorded, line_setup_default,
                                        line_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

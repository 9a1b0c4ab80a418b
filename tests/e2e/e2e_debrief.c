/*
 * e2e_debrief.c - a peer who held an urgent chat is checked on (SPEC
 * section 11), seen from the phones: the one warm check-in after an urgent
 * chat ends (closed, or handed on with #transfer), none after a calm one;
 * #debrief on the line or in a chat's thread alerting the on-call
 * coordinators with who asked and after which chat, and confirming to the
 * peer; the counts on /metrics.
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

#define T1   "+15559880001"
#define READ "read-token-0123456789" /* admin.token: /metrics */

static int setup(void **state)
{
    static const struct line_opts o = {.extra_config = "admin:\n  token: " READ "\n"};

    return line_setup(state, &o);
}

/* The chat reference ("R" and base32) that follows `after` in text, into ref. */
static void ref_after(const char *text, const char *after, char ref[16])
{
    const char *p = strstr(text, after);
    size_t n = 0;

    assert_non_null(p);
    p += strlen(after);
    while (p[n] && p[n] != ' ' && p[n] != '.' && p[n] != ':' && n < 15) {
        ref[n] = p[n];
        n++;
    }
    ref[n] = '\0';
    assert_true(n >= 2 && ref[0] == 'R');
}

/* T1 in a chat with Alex made urgent by #escalate; the chat's reference into ref. */
static void urgent_chat(struct line *l, char ref[16])
{
    long m;
    char *alert;

    line_connect(l, T1, "anxious", ALEX, POOL_A, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#escalate"), 200);
    alert = line_expect(l, m, SAM, LINE_NUMBER, "asks for a coordinator", 5000);
    assert_non_null(alert);
    ref_after(alert, "peerline alert ", ref);
    free(alert);
}

static void urgent_chat_ending_offers_one_check_in(void **state)
{
    struct line *l = *state;
    char ref[16], want[64], *checkin, *alert;
    long m;

    urgent_chat(l, ref);
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#end"), 200);
    line_must_get(l, m, ALEX, POOL_A, "Chat closed");
    /* The check-in comes from the line number, names the chat and #debrief. */
    checkin = line_expect(l, m, ALEX, LINE_NUMBER, "#debrief", 5000);
    assert_non_null(checkin);
    snprintf(want, sizeof(want), "Urgent chat %s has ended", ref);
    assert_non_null(strstr(checkin, want));
    assert_non_null(strstr(checkin, "Thank you for staying with them"));
    free(checkin);
    assert_int_equal(line_idle(l), 0);
    assert_int_equal(line_occurrences(l, ALEX, LINE_NUMBER, "#debrief"), 1);
    /* The texter hears nothing of it. */
    assert_int_equal(line_occurrences(l, T1, NULL, "debrief"), 0);

    /* #debrief to the line: the on-call coordinator is told who and after which chat. */
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, LINE_NUMBER, "#debrief"), 200);
    line_must_get(l, m, ALEX, LINE_NUMBER, "coordinators have been told");
    alert = line_expect(l, m, SAM, LINE_NUMBER, "asks for a debrief", 5000);
    assert_non_null(alert);
    snprintf(want, sizeof(want), "Alex (alex) asks for a debrief after chat %s.", ref);
    assert_non_null(strstr(alert, want));
    assert_null(strstr(alert, ALEX + 2)); /* no phone number in it */
    free(alert);
    assert_int_equal(line_count(l, m, T1, NULL), 0);
    /* Asked again a moment later: confirmed, counted, and the coordinators not texted twice. */
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, LINE_NUMBER, "#debrief"), 200);
    line_must_get(l, m, ALEX, LINE_NUMBER, "coordinators have been told");
    assert_int_equal(line_idle(l), 0);
    assert_int_equal(line_count(l, m, SAM, NULL), 0);
    assert_int_equal(line_metric(l, READ, "peerline_debriefs_total{kind=\"offered\"}"), 1);
    assert_int_equal(line_metric(l, READ, "peerline_debriefs_total{kind=\"asked\"}"), 2);
}

static void calm_chat_offers_none_but_debrief_still_works_in_its_thread(void **state)
{
    struct line *l = *state;
    char ref[16], *alert;
    long m;

    line_connect(l, T1, "anxious", ALEX, POOL_A, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#end"), 200);
    line_must_get(l, m, ALEX, POOL_A, "Chat closed");
    assert_int_equal(line_idle(l), 0);
    assert_int_equal(line_count(l, m, ALEX, LINE_NUMBER), 0);

    /* In the closed chat's thread: that chat is the one named; the answer comes from there. */
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#debrief"), 200);
    line_must_get(l, m, ALEX, POOL_A, "coordinators have been told");
    alert = line_expect(l, m, SAM, LINE_NUMBER, "asks for a debrief after chat R", 5000);
    assert_non_null(alert);
    ref_after(alert, "after chat ", ref); /* the only chat there was */
    free(alert);
    /* Nothing of it reaches the texter, and no closed-number answer either. */
    assert_int_equal(line_idle(l), 0);
    assert_int_equal(line_count(l, m, T1, NULL), 0);
    assert_int_equal(line_occurrences(l, ALEX, POOL_A, "no longer delivered. Text #help"), 0);
    assert_int_equal(line_metric(l, READ, "peerline_debriefs_total{kind=\"offered\"}"), 0);
}

static void debrief_with_no_chat_yet(void **state)
{
    struct line *l = *state;
    char *alert;
    long m = line_mark(l);

    assert_int_equal(line_text(l, BLAIR, LINE_NUMBER, "#Debrief"), 200);
    line_must_get(l, m, BLAIR, LINE_NUMBER, "coordinators have been told");
    alert = line_expect(l, m, SAM, LINE_NUMBER, "Blair (blair) asks for a debrief.", 5000);
    assert_non_null(alert);
    assert_null(strstr(alert, "after chat"));
    free(alert);
}

static void urgent_chat_handed_on_offers_a_check_in(void **state)
{
    struct line *l = *state;
    char ref[16], want[64];
    long m;

    urgent_chat(l, ref);
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#transfer grief"), 200);
    line_must_get(l, m, ALEX, POOL_A, "Transferred");
    snprintf(want, sizeof(want), "Urgent chat %s has ended", ref);
    line_must_get(l, m, ALEX, LINE_NUMBER, want);
}

/* No pool: the chat's thread is the line number's; the last-word window is 2 s. */
static int setup_no_pool(void **state)
{
    static const struct line_opts o = {
        .no_pool = 1, .extra_config = "admin:\n  token: " READ "\nendings:\n  last_word: 2s\n"};

    return line_setup(state, &o);
}

/*
 * After the texter's BYE in a chat on the line number, a reply in that thread
 * is the peer's last word, relayed to the texter: the check-in waits until
 * that window has closed, so a reply to it can never reach the texter.
 */
static void without_a_pool_the_check_in_waits_for_the_last_word(void **state)
{
    struct line *l = *state;
    long m, bye_told, checkin;

    line_connect(l, T1, "anxious", ALEX, LINE_NUMBER, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, LINE_NUMBER, "#escalate"), 200);
    line_must_get(l, m, SAM, LINE_NUMBER, "asks for a coordinator");
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "BYE"), 200);
    bye_told = line_find(l, m, ALEX, LINE_NUMBER, "one last message", 5000);
    assert_true(bye_told > 0);
    checkin = line_find(l, m, ALEX, LINE_NUMBER, "#debrief", 10000);
    assert_true(checkin > bye_told);
    /* Queued only once the window had closed, however fast or slow this machine is. */
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM outbox o JOIN conversations c"
                                   " ON c.id = (SELECT MAX(id) FROM conversations)"
                                   " WHERE o.body LIKE '%#debrief%'"
                                   " AND o.created_at >= c.last_word_until"),
                     1);
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, LINE_NUMBER, "Thanks. Honestly that one shook me"), 200);
    assert_int_equal(line_idle(l), 0);
    assert_int_equal(line_occurrences(l, T1, NULL, "shook me"), 0);
    assert_int_equal(line_occurrences(l, ALEX, LINE_NUMBER, "#debrief"), 1);
}

/* The limit runs from the #debrief the coordinators last heard of, not from a repeated one. */
static void debrief_asked_again_later_alerts_again(void **state)
{
    struct line *l = *state;
    long m = line_mark(l);

    assert_int_equal(line_text(l, BLAIR, LINE_NUMBER, "#debrief"), 200);
    line_must_get(l, m, SAM, LINE_NUMBER, "asks for a debrief");
    /* Its confirmation too (paced behind the alert): the next one is told from it. */
    line_must_get(l, m, BLAIR, LINE_NUMBER, "Thank you for asking");
    assert_int_equal(line_idle(l), 0);
    /* 9 minutes later: within the limit, confirmed only. */
    assert_int_equal(line_exec(l, "UPDATE debriefs SET created_at = created_at - 540000"), 0);
    m = line_mark(l);
    assert_int_equal(line_text(l, BLAIR, LINE_NUMBER, "#debrief"), 200);
    line_must_get(l, m, BLAIR, LINE_NUMBER, "Thank you for asking");
    assert_int_equal(line_idle(l), 0);
    assert_int_equal(line_count(l, m, SAM, NULL), 0);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM debriefs WHERE kind = 'repeated'"), 1);
    /* 9 more: the coordinators last heard 18 minutes ago. */
    assert_int_equal(line_exec(l, "UPDATE debriefs SET created_at = created_at - 540000"), 0);
    m = line_mark(l);
    assert_int_equal(line_text(l, BLAIR, LINE_NUMBER, "#debrief"), 200);
    line_must_get(l, m, SAM, LINE_NUMBER, "asks for a debrief");
    assert_int_equal(line_occurrences(l, SAM, NULL, "asks for a debrief"), 2);
    assert_int_equal(line_metric(l, READ, "peerline_debriefs_total{kind=\"asked\"}"), 3);
}

/* The limit is per chat: two chats' threads taken in turn do not get round it. */
static void debrief_about_two_chats_in_turn(void **state)
{
    struct line *l = *state;
    long m;

    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    line_connect(l, "+15559880002", "I'm anxious too", ALEX, POOL_B, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#debrief"), 200);
    line_must_get(l, m, SAM, LINE_NUMBER, "asks for a debrief");
    line_must_get(l, m, ALEX, POOL_A, "Thank you for asking");
    assert_int_equal(line_idle(l), 0);
    /* The other chat: told too. */
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_B, "#debrief"), 200);
    line_must_get(l, m, SAM, LINE_NUMBER, "asks for a debrief");
    line_must_get(l, m, ALEX, POOL_B, "Thank you for asking");
    assert_int_equal(line_idle(l), 0);
    /* The first again, at once: confirmed, not told again. */
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#debrief"), 200);
    line_must_get(l, m, ALEX, POOL_A, "Thank you for asking");
    assert_int_equal(line_idle(l), 0);
    assert_int_equal(line_count(l, m, SAM, NULL), 0);
}

static void peer_help_lists_the_new_commands(void **state)
{
    struct line *l = *state;
    char *help;
    long m = line_mark(l);

    assert_int_equal(line_text(l, ALEX, LINE_NUMBER, "#help"), 200);
    help = line_expect(l, m, ALEX, LINE_NUMBER, "Commands:", 5000);
    assert_non_null(help);
    assert_non_null(strstr(help, "#note TEXT"));
    assert_non_null(strstr(help, "#res [ID]"));
    assert_non_null(strstr(help, "#debrief"));
    free(help);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(urgent_chat_ending_offers_one_check_in, setup,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(calm_chat_offers_none_but_debrief_still_works_in_its_thread,
                                        setup, line_teardown),
        cmocka_unit_test_setup_teardown(debrief_with_no_chat_yet, setup, line_teardown),
        cmocka_unit_test_setup_teardown(urgent_chat_handed_on_offers_a_check_in, setup,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(without_a_pool_the_check_in_waits_for_the_last_word,
                                        setup_no_pool, line_teardown),
        cmocka_unit_test_setup_teardown(debrief_asked_again_later_alerts_again, setup,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(debrief_about_two_chats_in_turn, setup, line_teardown),
        cmocka_unit_test_setup_teardown(peer_help_lists_the_new_commands, setup, line_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

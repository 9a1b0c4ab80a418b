/*
 * e2e_simpage.c - the simulator's page in a real browser: starts a line,
 * then runs tests/browser/sim.mjs (playwright-core driving Debian's
 * chromium), which plays a whole first conversation through the page alone:
 * "hi", a topic, the offer taken on the peer's phone, a message each way,
 * and the peer ending it. Then checks the simulator's own record agrees
 * with what the page showed. The line runs on the demo roster `make run`
 * uses (deploy/roster.yaml), whose trainee, Jo, reads along with Alex's
 * chats: the page shows Jo's phone labelled as a trainee's, with the copy.
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

#define T1 "+15559870001" /* the page's first texter phone */
#define JO "+15551230004" /* the demo roster's trainee, mentored by Alex */

/* The demo roster, as `make run` starts it (the tests run from the source tree). */
static int setup_demo_roster(void **state)
{
    static char *roster;
    static struct line_opts o;

    roster = line_read_file("deploy/roster.yaml");
    if (!roster || !strstr(roster, "trainee: true"))
        return -1;
    o.roster = roster;
    return line_setup(state, &o);
}

static void a_conversation_in_the_page(void **state)
{
    struct line *l = *state;
    char sim[64];

    snprintf(sim, sizeof(sim), "http://127.0.0.1:%d", l->sim_port);
    {
        char *argv[] = {"tests/browser/sim.mjs", sim, T1, LINE_NUMBER, ALEX, "Alex", NULL};
        setenv("SIM_TRAINEE", JO, 1);
        line_browser(argv, 90000);
        unsetenv("SIM_TRAINEE");
    }
    /* What the page showed is what the phones got. */
    assert_true(line_find(l, 0, ALEX, NULL, "I can't sleep again", 0) > 0);
    assert_true(line_find(l, 0, T1, LINE_NUMBER, "What's keeping you up?", 0) > 0);
    assert_true(line_find(l, 0, T1, LINE_NUMBER, "has ended the chat", 0) > 0);
    /* Jo read along (never offered the chat), and was told when it ended. */
    assert_true(line_find(l, 0, JO, NULL, "Texter: I can't sleep again", 0) > 0);
    assert_true(line_find(l, 0, JO, NULL, "Alex: I'm here. What's keeping you up?", 0) > 0);
    assert_true(line_find(l, 0, JO, NULL, "has ended", 0) > 0);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM offers WHERE peer_id = 'jo'"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_conversation_in_the_page, setup_demo_roster,
                                        line_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

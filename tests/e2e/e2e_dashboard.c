/*
 * e2e_dashboard.c - the dashboard page in a real browser: starts a line,
 * then runs tests/browser/dashboard.mjs (playwright-core driving Debian's
 * chromium) against it. The script loads /admin, is refused with a wrong
 * token, opens with the right one, and sees a texter who just texted the
 * line appear waiting within seconds, by reference and never by number.
 * And on a line of 50,000 peers (tests/browser/dashboard_pages.mjs): the
 * board opens with the first page of peers and every count, and pages
 * through them with the keyboard.
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

#define READ "read-token-0123456789"
#define T1   "+15559870001"

static int setup_admin(void **state)
{
    static const struct line_opts o = {.extra_config = "admin:\n  token: " READ "\n"};

    return line_setup(state, &o);
}

static void dashboard_in_chromium(void **state)
{
    struct line *l = *state;
    char gw[64], sim[64];

    snprintf(gw, sizeof(gw), "http://127.0.0.1:%d", l->gw_port);
    snprintf(sim, sizeof(sim), "http://127.0.0.1:%d", l->sim_port);
    {
        char *argv[] = {"tests/browser/dashboard.mjs", gw, sim, READ, T1, LINE_NUMBER, NULL};
        line_browser(argv, 90000);
    }
}

#define BIG  "50000"
#define NBIG 50000

static int setup_big(void **state)
{
    static char *roster;
    static struct line_opts o = {.extra_config = "admin:\n  token: " READ "\n"};

    if (!roster)
        roster = line_big_roster(NBIG - 2);
    if (!roster)
        return -1;
    o.roster = roster;
    return line_setup(state, &o);
}

static void pages_of_peers_in_chromium(void **state)
{
    struct line *l = *state;
    char gw[64];

    snprintf(gw, sizeof(gw), "http://127.0.0.1:%d", l->gw_port);
    {
        char *argv[] = {"tests/browser/dashboard_pages.mjs", gw, READ, BIG, NULL};
        line_browser(argv, 90000);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(dashboard_in_chromium, setup_admin, line_teardown),
        cmocka_unit_test_setup_teardown(pages_of_peers_in_chromium, setup_big, line_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

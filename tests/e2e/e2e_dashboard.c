/*
 * e2e_dashboard.c - the dashboard page in a real browser: starts a line,
 * then runs tests/browser/dashboard.mjs (playwright-core driving Debian's
 * chromium) against it. The script loads /admin, is refused with a wrong
 * token, opens with the right one, and sees a texter who just texted the
 * line appear waiting within seconds, by reference and never by number.
 */
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

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
    int status = -1, waited;
    pid_t pid;

    snprintf(gw, sizeof(gw), "http://127.0.0.1:%d", l->gw_port);
    snprintf(sim, sizeof(sim), "http://127.0.0.1:%d", l->sim_port);
    if (access("tests/browser/node_modules/playwright-core", R_OK))
        fail_msg("playwright-core is not installed (make test installs it with npm ci)");
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char *argv[] = {"node", "tests/browser/dashboard.mjs", gw, sim, READ, T1, LINE_NUMBER,
                        NULL};
        execvp("node", argv);
        _exit(127);
    }
    for (waited = 0; waited < 90000; waited += 100) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            break;
        line_sleep(100);
    }
    if (waited >= 90000) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        fail_msg("the browser test did not finish in 90 s");
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("the browser test failed (exit %d): see its messages above",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(dashboard_in_chromium, setup_admin, line_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

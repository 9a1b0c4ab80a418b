/*
 * e2e_crash.c - `kill -9` of the gateway loses no acknowledged text.
 *
 * Every text that got a 200 must reach the right phone after a restart, in
 * the order it was written. A send the provider accepted in the instant
 * before the kill, whose answer the gateway never recorded, is sent again
 * after the restart (at-least-once; README "Guarantees"); a send the provider
 * refused never is.
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

#define T1   "+15559870001"
#define WAIT 8000

/*
 * Asserts every text of want[] reached `to` after `since`, first copies in
 * order, with at most max_dup extra copies (sends in flight at a kill).
 */
static void delivered_in_order(struct line *l, long since, const char *to, const char *from,
                               const char *const *want, int n, int max_dup)
{
    int total;
    long prev = 0;
    int i;

    for (i = 0; i < n; i++) {
        long id = line_find(l, since, to, from, want[i], WAIT);
        if (!id)
            fail_msg("\"%s\" never reached %s", want[i], to);
        if (id < prev)
            fail_msg("\"%s\" reached %s out of order", want[i], to);
        prev = id;
    }
    total = line_count(l, since, to, from);
    assert_in_range(total, n, n + max_dup);
}

static void kill_while_provider_fails(void **state)
{
    struct line *l = *state;
    const char *texter_says[] = {"m1 first", "m2 second", "m3 third", "m4 fourth", "m5 fifth"};
    const char *peer_says[] = {"r1 one", "r2 two", "r3 three"};
    long m;
    int i;

    line_connect(l, T1, "anxious", ALEX, POOL_A, "Alex");
    line_sleep(300); /* let the introductions go */
    m = line_mark(l);
    assert_int_equal(line_fault(l, "500", 100000), 0);
    for (i = 0; i < 5; i++)
        assert_int_equal(line_text(l, T1, LINE_NUMBER, texter_says[i]), 200);
    for (i = 0; i < 3; i++)
        assert_int_equal(line_text(l, ALEX, POOL_A, peer_says[i]), 200);
    line_sleep(300);
    line_kill_gateway(l);
    assert_int_equal(line_fault(l, "none", 0), 0);
    assert_int_equal(line_start_gateway(l), 0);
    /* The simulator refused every send before the kill: no copy can exist twice. */
    delivered_in_order(l, m, ALEX, POOL_A, texter_says, 5, 0);
    delivered_in_order(l, m, T1, LINE_NUMBER, peer_says, 3, 0);
}

static void kill_right_after_acknowledgement(void **state)
{
    struct line *l = *state;
    char texts[3][4][48];
    long m;
    int round, i;

    line_connect(l, T1, "anxious", ALEX, POOL_A, "Alex");
    line_sleep(300);
    for (round = 0; round < 3; round++) {
        const char *want[4];

        m = line_mark(l);
        for (i = 0; i < 4; i++) {
            snprintf(texts[round][i], sizeof(texts[round][i]), "round %d text %d", round, i);
            want[i] = texts[round][i];
            assert_int_equal(line_text(l, T1, LINE_NUMBER, texts[round][i]), 200);
        }
        line_kill_gateway(l); /* at once: some of these were not even handled yet */
        assert_int_equal(line_start_gateway(l), 0);
        /* A send the simulator accepted just before the kill may go again: at-least-once. */
        delivered_in_order(l, m, ALEX, POOL_A, want, 4, 4);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(kill_while_provider_fails, line_setup_default,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(kill_right_after_acknowledgement, line_setup_default,
                                        line_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_latency.c - our own share of a text's time: a text's arrival mark
 * is taken once, readiness and issue give one sample each per row, a lost
 * mark gives none, and the quantiles are nearest-rank over the recent
 * samples.
 */
#include "latency.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

static void a_text_gives_one_sample_per_stage(void **state)
{
    struct latency *l = latency_new();
    const double q[] = {0.5};
    double out[1], sum;

    (void)state;
    assert_non_null(l);
    latency_arrived(l, 7, 1000);
    assert_int_equal(latency_take_arrival(l, 7), 1000);
    assert_int_equal(latency_take_arrival(l, 7), 0); /* taken once */
    latency_ready(l, 42, 1000, 1250);
    latency_issued(l, 42, 1400);
    latency_issued(l, 42, 9000); /* a retry of the row is no second sample */
    assert_int_equal(latency_quantiles(l, LATENCY_READY, q, 1, out, &sum), 1);
    assert_true(out[0] == 250 && sum == 250);
    assert_int_equal(latency_quantiles(l, LATENCY_ISSUED, q, 1, out, &sum), 1);
    assert_true(out[0] == 150 && sum == 150);
    latency_free(l);
}

static void unknown_rows_give_nothing(void **state)
{
    struct latency *l = latency_new();
    const double q[] = {0.5};
    double out[1], sum;

    (void)state;
    latency_ready(l, 5, 0, 100); /* arrival unknown (from before a restart) */
    latency_issued(l, 5, 200);
    latency_issued(l, 6, 200); /* never ready */
    assert_int_equal(latency_take_arrival(l, 99), 0);
    assert_int_equal(latency_quantiles(l, LATENCY_READY, q, 1, out, &sum), 0);
    assert_int_equal(latency_quantiles(l, LATENCY_ISSUED, q, 1, out, &sum), 0);
    assert_true(out[0] == 0 && sum == 0);
    /* Every call takes NULL: nothing is timed. */
    latency_arrived(NULL, 1, 1);
    assert_int_equal(latency_quantiles(NULL, LATENCY_READY, q, 1, out, &sum), 0);
    latency_free(l);
}

static void a_colliding_mark_forgets_the_older(void **state)
{
    struct latency *l = latency_new();

    (void)state;
    latency_arrived(l, 1, 10);
    latency_arrived(l, 1 + 16384, 20); /* same slot */
    assert_int_equal(latency_take_arrival(l, 1), 0);
    assert_int_equal(latency_take_arrival(l, 1 + 16384), 20);
    latency_free(l);
}

static void quantiles_are_nearest_rank_over_recent_samples(void **state)
{
    struct latency *l = latency_new();
    const double q[] = {0.5, 0.99, 1.0};
    double out[3], sum;
    int64_t i;

    (void)state;
    for (i = 1; i <= 100; i++)
        latency_ready(l, i, 1, 1 + i); /* samples 1..100 */
    assert_int_equal(latency_quantiles(l, LATENCY_READY, q, 3, out, &sum), 100);
    assert_true(out[0] == 50 && out[1] == 99 && out[2] == 100);
    assert_true(sum == 5050);
    /* Old samples age out: the ring keeps the last LATENCY_SAMPLES. */
    for (i = 0; i < LATENCY_SAMPLES; i++)
        latency_ready(l, 1000 + i, 1, 1 + 7);
    assert_int_equal(latency_quantiles(l, LATENCY_READY, q, 3, out, &sum), 100 + LATENCY_SAMPLES);
    assert_true(out[0] == 7 && out[2] == 7);
    latency_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_text_gives_one_sample_per_stage),
        cmocka_unit_test(unknown_rows_give_nothing),
        cmocka_unit_test(a_colliding_mark_forgets_the_older),
        cmocka_unit_test(quantiles_are_nearest_rank_over_recent_samples),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * e2e_faults.c - each of the simulator's fault switches, against a real
 * gateway: the provider answering 500s, a 429 storm, dropped connections,
 * added latency, a provider that is down and comes back, and delivery
 * reports of undelivered and failed texts. Every time, webhooks keep
 * getting their 200, the gateway retries, and every text arrives exactly
 * once and in order; a text the provider reports lost is reported to the
 * person who wrote it.
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

#include <jansson.h>

#define T1 "+15559870001"

static const char *const words[] = {
    "first I could not sleep",
    "then the exams piled up",
    "and now my chest is tight",
};

/* A field of the simulator's fault state (GET /sim/fault). */
static long long fault_field(struct line *l, const char *name)
{
    char *out = NULL;
    json_t *j;
    long long v = -1;

    if (line_sim(l, "GET", "/sim/fault", NULL, &out) == 200 && out &&
        (j = json_loads(out, 0, NULL))) {
        v = json_integer_value(json_object_get(j, name));
        json_decref(j);
    }
    free(out);
    return v;
}

static void set_fault(struct line *l, const char *form)
{
    assert_int_equal(line_sim(l, "POST", "/sim/fault", form, NULL), 200);
}

/* The texter sends the three texts; each webhook is answered 200 at once. */
static void texter_says_three(struct line *l)
{
    size_t i;

    for (i = 0; i < 3; i++)
        assert_int_equal(line_text(l, T1, LINE_NUMBER, words[i]), 200);
}

/* Alex gets each of the three exactly once, in the order they were sent. */
static void alex_gets_three_in_order(struct line *l, long since)
{
    long id[3];
    size_t i;
    char *all;

    for (i = 0; i < 3; i++) {
        id[i] = line_find(l, since, ALEX, POOL_A, words[i], 20000);
        if (!id[i])
            fail_msg("Alex never got \"%s\"", words[i]);
    }
    assert_true(id[0] < id[1] && id[1] < id[2]);
    line_sleep(500);
    all = line_all_to(l, ALEX);
    for (i = 0; i < 3; i++) {
        const char *first = strstr(all, words[i]);
        assert_non_null(first);
        if (strstr(first + 1, words[i]))
            fail_msg("Alex got \"%s\" twice", words[i]);
    }
    free(all);
}

static void through(void **state, const char *fault, long long expect_faults)
{
    struct line *l = *state;
    long m;

    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    assert_int_equal(line_idle(l), 0);
    set_fault(l, fault);
    m = line_mark(l);
    texter_says_three(l);
    alex_gets_three_in_order(l, m);
    assert_int_equal(fault_field(l, "faults"), expect_faults);
}

static void server_errors_are_retried(void **state)
{
    through(state, "mode=500&count=4", 4);
}

static void a_429_storm_is_ridden_out(void **state)
{
    through(state, "mode=429&count=6", 6);
}

static void dropped_connections_are_retried(void **state)
{
    through(state, "mode=drop&count=3", 3);
}

static void latency_delays_but_loses_nothing(void **state)
{
    through(state, "latency_ms=1500", 0);
}

/*
 * A send slower than the sender's periodic lease check (10 s) is still in
 * flight when the check runs: it must not be taken back and sent again.
 */
static void a_slow_send_goes_once(void **state)
{
    struct line *l = *state;
    long m;
    char *all;

    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    assert_int_equal(line_idle(l), 0);
    set_fault(l, "latency_ms=10500");
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, words[0]), 200);
    assert_true(line_find(l, m, ALEX, POOL_A, words[0], 25000) > 0);
    set_fault(l, "latency_ms=0");
    line_sleep(1500);
    all = line_all_to(l, ALEX);
    if (strstr(strstr(all, words[0]) + 1, words[0]))
        fail_msg("Alex got \"%s\" twice", words[0]);
    free(all);
}

static void a_provider_outage_delays_and_loses_nothing(void **state)
{
    struct line *l = *state;
    long m;

    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    assert_int_equal(line_idle(l), 0);
    set_fault(l, "mode=down");
    m = line_mark(l);
    texter_says_three(l);
    /* While it is down nothing gets through, and the gateway keeps trying. */
    line_sleep(2000);
    assert_int_equal(line_count(l, m, ALEX, NULL), 0);
    assert_true(fault_field(l, "faults") >= 2);
    /* It comes back: everything arrives, once, in order. */
    set_fault(l, "mode=none");
    alex_gets_three_in_order(l, m);
}

/* A relay the provider reports lost (per `delivery`) is reported to its writer. */
static void reported_lost(void **state, const char *delivery)
{
    struct line *l = *state;
    char form[64];
    long m;

    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    /* The switch applies to the next send: let the introductions go first. */
    assert_int_equal(line_idle(l), 0);
    snprintf(form, sizeof(form), "delivery=%s&delivery_count=1", delivery);
    set_fault(l, form);
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "are you still there?"), 200);
    line_must_get(l, m, ALEX, POOL_A, "could not be delivered to the texter");
    /* The next one goes through as usual, with no notice. */
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "I'll be here a while"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "I'll be here a while");
    line_sleep(1000);
    assert_int_equal(line_count(l, m, ALEX, NULL), 0);
}

static void undelivered_is_reported_to_the_writer(void **state)
{
    reported_lost(state, "undelivered");
}

static void failed_is_reported_to_the_writer(void **state)
{
    reported_lost(state, "failed");
}

static int setup_impatient(void **state)
{
    static const struct line_opts o = {.retry = "  request_timeout: 1s\n"};

    return line_setup(state, &o);
}

/*
 * A provider that takes texts and never answers: every call times out (the
 * sender's curl handles all have a timeout), webhooks are still answered at
 * once, and when the provider answers again every text arrives, first
 * copies in order. A provider that kept a text it never confirmed delivers
 * it twice: at-least-once, as the README says.
 */
static void a_provider_that_never_answers(void **state)
{
    struct line *l = *state;
    long m, id[3];
    size_t i;

    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    assert_int_equal(line_idle(l), 0);
    set_fault(l, "latency_ms=30000");
    m = line_mark(l);
    texter_says_three(l);
    line_sleep(2500); /* past the 1 s timeout, and a retry's */
    assert_int_equal(line_count(l, m, ALEX, NULL), 0);
    set_fault(l, "latency_ms=0");
    for (i = 0; i < 3; i++) {
        id[i] = line_find(l, m, ALEX, POOL_A, words[i], 20000);
        if (!id[i])
            fail_msg("Alex never got \"%s\"", words[i]);
    }
    assert_true(id[0] < id[1] && id[1] < id[2]);
}

static int setup_few_attempts(void **state)
{
    static const struct line_opts o = {.retry = "  max_attempts: 2\n",
                                       .extra_config = "admin:\n  token: read-token-0123456789\n"};

    return line_setup(state, &o);
}

/* A text the provider keeps refusing is given up, its writer told, and /metrics counts it. */
static void a_text_that_finally_fails_is_reported_and_counted(void **state)
{
    struct line *l = *state;
    char *body = NULL;
    long m;
    int i;

    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    assert_int_equal(line_idle(l), 0);
    /*
     * Every call fails until the relay has used its two attempts (other calls,
     * like the start-up checks, may take some of the failures too).
     */
    set_fault(l, "mode=500&count=1000");
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "are you still there?"), 200);
    for (i = 0; i < 200 && line_query(l, "SELECT COUNT(*) FROM outbox WHERE kind = 1 AND state ="
                                         " 'failed'") < 1;
         i++)
        line_sleep(100);
    set_fault(l, "mode=none");
    line_must_get(l, m, ALEX, POOL_A, "could not be delivered to the texter");
    assert_int_equal(line_count(l, m, T1, NULL), 0);
    assert_int_equal(line_admin(l, "GET", "/metrics", "read-token-0123456789", &body), 200);
    assert_non_null(strstr(body, "peerline_outbound_total{outcome=\"failed\"} 1\n"));
    free(body);
}

/* At start the gateway asks where each number sends its texts, and says when it is not here. */
static void a_misrouted_number_is_reported_at_start(void **state)
{
    struct line *l = *state;

    if (line_provider_telnyx())
        skip(); /* Twilio's IncomingPhoneNumbers */
    assert_true(line_log_wait(l, "event=provider.no_fallback_url number=+1******0006", 5000));
    assert_int_equal(line_sim(l, "POST", "/sim/numbers",
                              "sms_url=https://user:secret@old.example.org/sms#rc=3", NULL),
                     200);
    line_kill_gateway(l);
    assert_int_equal(line_start_gateway(l), 0);
    assert_true(line_log_wait(l, "event=provider.webhook_mismatch number=+1******0006", 5000));
    assert_true(line_log_wait(l, "have=\"POST https://old.example.org/sms\"", 100));
    assert_false(line_log_wait(l, "secret", 100)); /* credentials in a URL are never logged */
}

static void bad_switches_are_refused(void **state)
{
    struct line *l = *state;

    assert_int_equal(line_sim(l, "POST", "/sim/fault", "mode=503", NULL), 400);
    assert_int_equal(line_sim(l, "POST", "/sim/fault", "latency_ms=99999", NULL), 400);
    assert_int_equal(line_sim(l, "POST", "/sim/fault", "delivery=lost", NULL), 400);
    assert_int_equal(line_sim(l, "POST", "/sim/fault", "mode=500&latency_ms=x", NULL), 400);
    /* All or nothing: the good half of a bad request changed nothing. */
    assert_int_equal(fault_field(l, "count"), 0);
    assert_int_equal(fault_field(l, "latency_ms"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(server_errors_are_retried, line_setup_default,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(a_429_storm_is_ridden_out, line_setup_default,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(dropped_connections_are_retried, line_setup_default,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(latency_delays_but_loses_nothing, line_setup_default,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(a_slow_send_goes_once, line_setup_default, line_teardown),
        cmocka_unit_test_setup_teardown(a_provider_outage_delays_and_loses_nothing,
                                        line_setup_default, line_teardown),
        cmocka_unit_test_setup_teardown(undelivered_is_reported_to_the_writer, line_setup_default,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(failed_is_reported_to_the_writer, line_setup_default,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(a_provider_that_never_answers, setup_impatient,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(a_text_that_finally_fails_is_reported_and_counted,
                                        setup_few_attempts, line_teardown),
        cmocka_unit_test_setup_teardown(a_misrouted_number_is_reported_at_start, line_setup_default,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(bad_switches_are_refused, line_setup_default,
                                        line_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

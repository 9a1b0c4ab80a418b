/*
 * e2e_retention.c - message text disappears on schedule: `peerline purge`
 * and the running server's own schedule delete text older than
 * retention.message_days from the database (and from its file: neither the
 * words nor the texter's number can be found in the bytes afterwards),
 * hash the texter's number, redact each purged text at the provider (on
 * Twilio; Telnyx has no per-message delete, its messaging profile's own
 * redaction applies), and keep every count a report needs. Rows are made old
 * by moving their times back 40 days.
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

#define T1 "+15559870001"
#define T2 "+15559870002"

#define SECRET "my very private words"
#define ANSWER "a private answer here"

/* Moves every time of what happened so far back 40 days. */
#define AGE                                                                                        \
    "UPDATE inbound SET received_at = received_at - 3456000000,"                                   \
    " processed_at = processed_at - 3456000000;"                                                   \
    "UPDATE outbox SET created_at = created_at - 3456000000;"                                      \
    "UPDATE conversations SET created_at = created_at - 3456000000,"                               \
    " queued_at = queued_at - 3456000000, matched_at = matched_at - 3456000000,"                   \
    " closed_at = closed_at - 3456000000;"                                                         \
    "UPDATE contacts SET first_seen = first_seen - 3456000000;"

static int setup_often(void **state)
{
    static const struct line_opts o = {.extra_config = "retention:\n  purge_every: 1s\n"};

    return line_setup(state, &o);
}

/* A whole chat, ended and rated: every kind of row retention touches. */
static void chat(struct line *l)
{
    long m;

    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, SECRET), 200);
    line_must_get(l, m, ALEX, POOL_A, SECRET);
    assert_int_equal(line_text(l, ALEX, POOL_A, ANSWER), 200);
    line_must_get(l, m, T1, LINE_NUMBER, ANSWER);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "BYE"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "how was this chat?");
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "5"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Thank you for telling us");
    /*
     * A phone has a text a moment before the sender records that it went; a
     * text still pending or sending keeps its body (retention never takes
     * what is in flight). Aged before then, it would rightly be kept.
     */
    assert_int_equal(line_idle(l), 0);
}

static void purged(struct line *l)
{
    char *all;

    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM inbound WHERE body IS NOT NULL"), 0);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM outbox WHERE body IS NOT NULL"), 0);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM conversations WHERE texter LIKE 'h:%'"),
                     1);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM contacts"), 0);
    /* Not recoverable from the file either. */
    assert_false(line_db_contains(l, SECRET));
    assert_false(line_db_contains(l, ANSWER));
    assert_false(line_db_contains(l, "5559870001"));
    /* The counts stay. */
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM conversations"), 1);
    assert_int_equal(line_query(l, "SELECT rating FROM conversations"), 5);
    assert_true(line_query(l, "SELECT COUNT(*) FROM inbound") >= 5);
    /* And the provider's copies are redacted (Telnyx: left to its profile, none pending). */
    if (line_provider_telnyx()) {
        assert_int_equal(line_query(l, "SELECT COUNT(*) FROM redactions WHERE done_at IS NULL"), 0);
        assert_int_equal(
            line_query(l, "SELECT COUNT(*) FROM redactions WHERE outcome = 'redacted'"), 0);
        return;
    }
    assert_true(line_query(l, "SELECT COUNT(*) FROM redactions WHERE outcome = 'redacted'") >= 4);
    all = line_all_to(l, ALEX);
    assert_null(strstr(all, SECRET));
    free(all);
    all = line_all_to(l, T1);
    assert_null(strstr(all, ANSWER));
    free(all);
}

static void purge_deletes_old_text_and_keeps_counts(void **state)
{
    struct line *l = *state;
    char *out = NULL;

    chat(l);
    /* Nothing is old yet: a purge now keeps everything. */
    assert_int_equal(line_cli(l, "purge", NULL, &out), 0);
    assert_non_null(strstr(out, "deleted: 0 received, 0 sent"));
    free(out);
    assert_true(line_db_contains(l, SECRET));
    assert_int_equal(line_exec(l, AGE), 0);
    assert_int_equal(line_cli(l, "purge", NULL, &out), 0);
    assert_non_null(strstr(out, "texter numbers hashed in 1 conversations"));
    assert_non_null(strstr(out, "to retry later: 0"));
    free(out);
    purged(l);
    /* The report still counts the chat. */
    assert_int_equal(line_cli(l, "report", NULL, &out), 0);
    assert_non_null(strstr(out, "\nall,,1,1,0,0,"));
    assert_non_null(strstr(out, "\nrating,5,1,"));
    free(out);
}

static void the_server_purges_on_schedule(void **state)
{
    struct line *l = *state;
    int i;
    long m;

    chat(l);
    assert_int_equal(line_exec(l, AGE), 0);
    /* A new conversation's text is recent: it stays. */
    m = line_mark(l);
    assert_int_equal(line_text(l, T2, LINE_NUMBER, "grief is heavy today"), 200);
    line_must_get(l, m, T2, LINE_NUMBER, "in line");
    for (i = 0;
         i < 50 && line_query(l, "SELECT COUNT(*) FROM redactions WHERE done_at IS NULL") != 0; i++)
        line_sleep(100);
    for (i = 0;
         i < 50 && line_query(l, "SELECT COUNT(*) FROM conversations WHERE texter LIKE 'h:%'") != 1;
         i++)
        line_sleep(100);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM inbound WHERE body IS NOT NULL"), 1);
    assert_int_equal(
        line_query(l, "SELECT COUNT(*) FROM inbound WHERE body = 'grief is heavy today'"), 1);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM conversations WHERE texter LIKE 'h:%'"),
                     1);
    assert_false(line_db_contains(l, SECRET));
}

static void redaction_waits_out_a_provider_outage(void **state)
{
    struct line *l = *state;
    char *out = NULL;

    if (line_provider_telnyx())
        skip(); /* Telnyx has no per-message redaction */
    chat(l);
    assert_int_equal(line_exec(l, AGE), 0);
    assert_int_equal(line_fault(l, "500", 100), 0);
    assert_int_equal(line_cli(l, "purge", NULL, &out), 0);
    /* Our copy is gone at once; the provider's waits for a retry, nothing given up. */
    assert_non_null(strstr(out, "given up: 0"));
    assert_null(strstr(out, "to retry later: 0"));
    free(out);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM inbound WHERE body IS NOT NULL"), 0);
    assert_true(line_query(l, "SELECT COUNT(*) FROM redactions WHERE done_at IS NULL") >= 4);
    /* One 500 ends the round: a failing provider is not hammered with the rest. */
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM redactions WHERE outcome = 'HTTP 500'"
                                   " AND next_at > 0"),
                     1);
    assert_int_equal(line_fault(l, "none", 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(purge_deletes_old_text_and_keeps_counts, line_setup_default,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(the_server_purges_on_schedule, setup_often, line_teardown),
        cmocka_unit_test_setup_teardown(redaction_waits_out_a_provider_outage, line_setup_default,
                                        line_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

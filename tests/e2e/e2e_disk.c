/*
 * e2e_disk.c - the database cannot be written (a full disk), and the texts
 * that arrive meanwhile.
 *
 * The gateway's file-size limit is lowered from outside (prlimit) so every
 * write to the database fails as on a full disk. A text then gets a 500,
 * never a 200 it did not earn; the process keeps running; when the limit is
 * lifted the line works again, and reconciliation fetches the text the
 * webhook could not store from the provider and delivers it.
 */
#define _GNU_SOURCE /* prlimit */
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <signal.h>
#include <sys/resource.h>

#define T1 "+15559870001"

static int setup_reconcile(void **state)
{
    static const struct line_opts o = {.extra_config = "reconcile:\n  every: 1s\n"};

    return line_setup(state, &o);
}

/* Sets the gateway's file-size limit (soft only, so it can be lifted again). */
static void disk_limit(struct line *l, rlim_t bytes)
{
    struct rlimit r;

    assert_int_equal(prlimit(l->gw, RLIMIT_FSIZE, NULL, &r), 0);
    r.rlim_cur = bytes;
    assert_int_equal(prlimit(l->gw, RLIMIT_FSIZE, &r, NULL), 0);
}

static void a_full_disk_fails_loudly_and_recovers(void **state)
{
    struct line *l = *state;
    long m, st;

    if (line_provider_telnyx())
        skip(); /* reconciliation reads Twilio's message list */
    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    assert_int_equal(line_idle(l), 0);
    disk_limit(l, 4096); /* no write past the first 4 KiB of any file */
    m = line_mark(l);
    st = line_text(l, T1, LINE_NUMBER, "written while the disk was full");
    assert_int_equal(st, 500); /* not stored: never a 200 */
    assert_int_equal(kill(l->gw, 0), 0);
    line_sleep(1500);
    assert_int_equal(line_count(l, m, ALEX, NULL), 0);
    /*
     * The disk has room again: the text the webhook lost comes back from the
     * provider (once it is 15 s old: younger ones are left to their webhooks).
     */
    disk_limit(l, RLIM_INFINITY);
    free(line_expect(l, m, ALEX, POOL_A, "written while the disk was full", 30000));
    line_must_get(l, m, ALEX, POOL_A, "written while the disk was full");
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "and this one after"), 200);
    line_must_get(l, m, ALEX, POOL_A, "and this one after");
    assert_int_equal(line_occurrences(l, ALEX, POOL_A, "written while the disk was full"), 1);
}

static int setup_fallback_only(void **state)
{
    static const struct line_opts o = {.extra_config = "reconcile:\n  every: 0s\n"};

    return line_setup(state, &o);
}

/*
 * With the numbers' Fallback URL at /twilio/spool (and no reconciliation, so
 * only the spool can bring it back): Twilio's second try is answered 200 once
 * the text is in the spool file, and the text reaches the peer, once, when
 * the database can be written again.
 */
static void the_fallback_url_spools_what_the_database_cannot_take(void **state)
{
    struct line *l = *state;
    char form[160];
    long m;

    if (line_provider_telnyx())
        skip(); /* the spool is Twilio's Fallback URL */
    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    assert_int_equal(line_idle(l), 0);
    snprintf(form, sizeof(form), "sms_fallback_url=http://127.0.0.1:%d/twilio/spool", l->gw_port);
    assert_int_equal(line_sim(l, "POST", "/sim/numbers", form, NULL), 200);
    disk_limit(l, 4096);
    m = line_mark(l);
    /* The spool file is new and small: under the limit, so the spool can take it. */
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "spooled while the disk was full"), 200);
    /* (Its log line is lost: the log file is over the limit too.) */
    line_sleep(1000);
    assert_int_equal(line_count(l, m, ALEX, NULL), 0);
    disk_limit(l, RLIM_INFINITY);
    line_must_get(l, m, ALEX, POOL_A, "spooled while the disk was full");
    assert_true(line_log_wait(l, "event=spool.replayed", 100));
    line_sleep(1000);
    assert_int_equal(line_occurrences(l, ALEX, POOL_A, "spooled while the disk was full"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_full_disk_fails_loudly_and_recovers, setup_reconcile,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(the_fallback_url_spools_what_the_database_cannot_take,
                                        setup_fallback_only, line_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

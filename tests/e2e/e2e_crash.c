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

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

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

/* ---- many chats, many writers, many kills ---- */

#define T2      "+15559870002"
#define T3      "+15559870003"
#define STREAMS 6
#define PER     80 /* at most this many texts per writer */
#define AFTER   3  /* texts each writer sends after the last restart */
#define KILLS   4

/* One writer in one chat: who writes, to which number, and where it must arrive. */
struct stream {
    struct line *l;
    const char *from, *to;      /* the writer's phone and the number they write to */
    const char *dest, *dest_of; /* the reader's phone, and the number it must come from */
    const char *tag;
    char text[PER][48];
    long status[PER];
    int n; /* texts written */
    unsigned seed;
    atomic_int *killing; /* 0 once the last restart is done */
};

static void *write_stream(void *arg)
{
    struct stream *st = arg;
    int i;

    int after = 0;

    /* Writes through every kill, then a few more: however slow the restarts, some land after. */
    for (i = 0; i < PER && after < AFTER; i++) {
        if (!atomic_load(st->killing))
            after++;
        snprintf(st->text[i], sizeof(st->text[i]), "[%s-%02d] still here, still typing", st->tag,
                 i);
        st->status[i] = line_text(st->l, st->from, st->to, st->text[i]);
        st->n = i + 1;
        line_sleep(20 + (int)(rand_r(&st->seed) % 60));
    }
    return NULL;
}

/*
 * Three chats open (Alex has two, on two pool numbers; Blair one); the three
 * texters and their peers all write at once while the gateway is killed -9
 * at random moments four times and restarted. Afterwards every text that got
 * a 200 reached the right phone from the right number, first copies in the
 * order written; nothing reached anyone else; duplicates (a send in flight
 * at a kill) are counted and printed, never more than the kills allow.
 */
static void kills_under_load_lose_nothing(void **state)
{
    struct line *l = *state;
    struct stream st[STREAMS] = {
        {.from = T1, .to = LINE_NUMBER, .dest = ALEX, .dest_of = POOL_A, .tag = "t1"},
        {.from = ALEX, .to = POOL_A, .dest = T1, .dest_of = LINE_NUMBER, .tag = "a1"},
        {.from = T2, .to = LINE_NUMBER, .dest = ALEX, .dest_of = POOL_B, .tag = "t2"},
        {.from = ALEX, .to = POOL_B, .dest = T2, .dest_of = LINE_NUMBER, .tag = "a2"},
        {.from = T3, .to = LINE_NUMBER, .dest = BLAIR, .dest_of = POOL_A, .tag = "t3"},
        {.from = BLAIR, .to = POOL_A, .dest = T3, .dest_of = LINE_NUMBER, .tag = "b3"},
    };
    pthread_t th[STREAMS];
    atomic_int killing = 1;
    unsigned seed = (unsigned)time(NULL);
    int i, k, acked = 0, dups = 0;

    line_connect(l, T1, "anxious", ALEX, POOL_A, "Alex");
    line_connect(l, T2, "anxious", ALEX, POOL_B, "Alex");
    line_connect(l, T3, "grief", BLAIR, POOL_A, "Blair");
    assert_int_equal(line_idle(l), 0);
    for (i = 0; i < STREAMS; i++) {
        st[i].l = l;
        st[i].seed = seed + (unsigned)i;
        st[i].killing = &killing;
        assert_int_equal(pthread_create(&th[i], NULL, write_stream, &st[i]), 0);
    }
    for (k = 0; k < KILLS; k++) {
        line_sleep(250 + (int)(rand_r(&seed) % 500));
        line_kill_gateway(l);
        assert_int_equal(line_start_gateway(l), 0);
    }
    atomic_store(&killing, 0);
    for (i = 0; i < STREAMS; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(line_idle(l), 0);
    for (i = 0; i < STREAMS; i++) {
        long prev = 0;
        int j;
        for (j = 0; j < st[i].n; j++) {
            char tag[16];
            long id;
            int here, anywhere;
            snprintf(tag, sizeof(tag), "[%s-%02d]", st[i].tag, j);
            anywhere = line_occurrences(l, NULL, NULL, tag);
            here = line_occurrences(l, st[i].dest, st[i].dest_of, tag);
            if (anywhere != here)
                fail_msg("%s reached someone else, or from the wrong number", tag);
            if (st[i].status[j] != 200)
                continue; /* never acknowledged: the provider would have kept it */
            acked++;
            id = line_find(l, 0, st[i].dest, st[i].dest_of, tag, 5000);
            if (!id)
                fail_msg("%s was acknowledged but never reached %s", tag, st[i].dest);
            if (id < prev)
                fail_msg("%s reached %s out of order", tag, st[i].dest);
            prev = id;
            dups += here - 1;
        }
    }
    print_message("%d acknowledged texts through %d kills: all delivered, %d duplicate%s\n", acked,
                  KILLS, dups, dups == 1 ? "" : "s");
    assert_true(acked >= STREAMS * AFTER); /* at least those written after the last restart */
    assert_true(dups <= KILLS * 8);        /* at most what was in flight at each kill */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(kill_while_provider_fails, line_setup_default,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(kill_right_after_acknowledgement, line_setup_default,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(kills_under_load_lose_nothing, line_setup_default,
                                        line_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

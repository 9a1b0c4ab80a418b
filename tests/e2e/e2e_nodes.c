/*
 * e2e_nodes.c - two instances of one line on one PostgreSQL database (SPEC
 * section 10): together they behave exactly as one instance would.
 *
 * Each test starts a line on a throwaway PostgreSQL cluster and a second
 * `peerline serve` beside the first, with the same config and the same
 * public_url, as two instances behind a load balancer. Texts go to one
 * instance or the other, as a balancer would send them; when the one a text
 * is sent to is dead or answers 500, it is sent to the other, as Twilio's
 * Fallback URL would. Then what each phone got is checked: every text that
 * was answered 200 reached the right phone, and nothing reached anyone twice
 * (except a send in flight at a kill, which is at-least-once by design).
 * And /healthz tells a load balancer whether an instance reaches the database.
 */
#include "harness.h"
#include "pg.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <libpq-fe.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define T1          "+15559870001"
#define T2          "+15559870002"
#define WAIT        15000
#define LOAD        60 /* texts the load thread sends, one every LOAD_GAP_MS */
#define LOAD_GAP_MS 60

static int setup(void **state)
{
    struct line *l;

    if (line_setup_default(state))
        return -1;
    l = *state;
    return line_start_second(l);
}

/* The instance a balancer would pick for the i-th text. */
static int port_of(struct line *l, int i)
{
    return i % 2 ? l->gw2_port : l->gw_port;
}

/* Sends as Twilio would: to one instance, then to the other if that one failed. */
static long send_balanced(struct line *l, int i, const char *from, const char *to, const char *body,
                          const char *sid)
{
    long st = line_text_via(l, port_of(l, i), from, to, body, sid);

    if (st != 200)
        st = line_text_via(l, port_of(l, i + 1), from, to, body, sid);
    return st;
}

/* One conversation, every step through the other instance than the step before. */
static void play(struct line *l, int *i, const char *texter, const char *pool)
{
    char says[64], answers[64];
    long m = line_mark(l);
    int k;

    assert_int_equal(send_balanced(l, (*i)++, texter, LINE_NUMBER, "anxious about exams", NULL),
                     200);
    line_must_get(l, m, texter, LINE_NUMBER, "in line");
    line_must_get(l, m, ALEX, pool, "#take");
    assert_int_equal(send_balanced(l, (*i)++, ALEX, pool, "#take", NULL), 200);
    line_must_get(l, m, texter, LINE_NUMBER, "You're now texting with Alex");
    for (k = 0; k < 3; k++) {
        snprintf(says, sizeof(says), "%s says number %d", texter + 8, k);
        snprintf(answers, sizeof(answers), "Alex answers %s number %d", texter + 8, k);
        assert_int_equal(send_balanced(l, (*i)++, texter, LINE_NUMBER, says, NULL), 200);
        line_must_get(l, m, ALEX, pool, says);
        assert_int_equal(send_balanced(l, (*i)++, ALEX, pool, answers, NULL), 200);
        line_must_get(l, m, texter, LINE_NUMBER, answers);
    }
}

static void two_instances_play_as_one(void **state)
{
    struct line *l = *state;
    char says[64];
    int i = 0, k;

    play(l, &i, T1, POOL_A);
    play(l, &i, T2, POOL_B);
    assert_int_equal(line_idle(l), 0);
    line_sleep(1500); /* anything sent twice would be out by now */
    /* One welcome, one offer, one introduction each; every relay once. */
    assert_int_equal(line_occurrences(l, T1, LINE_NUMBER, "in line"), 1);
    assert_int_equal(line_occurrences(l, T2, LINE_NUMBER, "in line"), 1);
    assert_int_equal(line_occurrences(l, ALEX, POOL_A, "#take"), 1);
    assert_int_equal(line_occurrences(l, ALEX, POOL_B, "#take"), 1);
    assert_int_equal(line_occurrences(l, T1, LINE_NUMBER, "You're now texting with Alex"), 1);
    assert_int_equal(line_occurrences(l, T2, LINE_NUMBER, "You're now texting with Alex"), 1);
    for (k = 0; k < 3; k++) {
        snprintf(says, sizeof(says), "%s says number %d", T1 + 8, k);
        assert_int_equal(line_occurrences(l, ALEX, POOL_A, says), 1);
        snprintf(says, sizeof(says), "%s says number %d", T2 + 8, k);
        assert_int_equal(line_occurrences(l, ALEX, POOL_B, says), 1);
        snprintf(says, sizeof(says), "Alex answers %s number %d", T1 + 8, k);
        assert_int_equal(line_occurrences(l, T1, LINE_NUMBER, says), 1);
        snprintf(says, sizeof(says), "Alex answers %s number %d", T2 + 8, k);
        assert_int_equal(line_occurrences(l, T2, LINE_NUMBER, says), 1);
    }
    /* Nobody got the other conversation's texts. */
    assert_int_equal(line_count(l, 0, BLAIR, NULL), 0);
    assert_int_equal(line_occurrences(l, T1, LINE_NUMBER, T2 + 8), 0);
    assert_int_equal(line_occurrences(l, T2, LINE_NUMBER, T1 + 8), 0);
}

/* ---- load while something dies ---- */

struct load {
    struct line *l;
    atomic_int done;
    int acked[LOAD]; /* answered 200 (by either instance) */
    int refused;     /* answered neither: the provider retries later (not counted as sent) */
};

static void load_text(int i, char *out, size_t n)
{
    snprintf(out, n, "load text %03d from %s", i, i % 2 ? "alex" : "t1");
}

static void *load_thread(void *arg)
{
    struct load *ld = arg;
    char body[64], sid[40];
    int i, tries;

    for (i = 0; i < LOAD; i++) {
        load_text(i, body, sizeof(body));
        snprintf(sid, sizeof(sid), "SM%08x%024x", (unsigned)getpid(), 0xf00000u + (unsigned)i);
        /* Twilio retries a text that got no 200 (its Fallback URL, then again later). */
        for (tries = 0; tries < 40 && !ld->acked[i]; tries++) {
            long st = i % 2 ? send_balanced(ld->l, i, ALEX, POOL_A, body, sid)
                            : send_balanced(ld->l, i, T1, LINE_NUMBER, body, sid);
            ld->acked[i] = st == 200;
            if (!ld->acked[i])
                line_sleep(250);
        }
        if (!ld->acked[i])
            ld->refused++;
        line_sleep(LOAD_GAP_MS);
    }
    atomic_store(&ld->done, 1);
    return NULL;
}

/*
 * Every text answered 200 reached its one right phone; copies beyond the
 * first at most max_dup in all (sends in flight at a kill).
 */
static void every_ack_delivered(struct load *ld, long since, int max_dup)
{
    struct line *l = ld->l;
    char body[64];
    int i, extra = 0;

    for (i = 0; i < LOAD; i++) {
        const char *to = i % 2 ? T1 : ALEX, *from = i % 2 ? LINE_NUMBER : POOL_A;
        int n;
        if (!ld->acked[i])
            continue;
        load_text(i, body, sizeof(body));
        if (!line_find(l, since, to, from, body, WAIT))
            fail_msg("\"%s\" was acknowledged but never reached %s", body, to);
        n = line_occurrences(l, to, from, body);
        extra += n - 1;
        /* Never to the wrong phone. */
        assert_int_equal(line_occurrences(l, i % 2 ? ALEX : T1, i % 2 ? POOL_A : LINE_NUMBER, body),
                         0);
    }
    assert_int_equal(line_count(l, since, BLAIR, NULL), 0);
    assert_in_range(extra, 0, max_dup);
}

static void start_load(struct load *ld, struct line *l, pthread_t *t)
{
    memset(ld, 0, sizeof(*ld));
    ld->l = l;
    assert_int_equal(pthread_create(t, NULL, load_thread, ld), 0);
}

static void finish_load(struct load *ld, pthread_t t)
{
    pthread_join(t, NULL);
    assert_int_equal(ld->refused, 0); /* each got its 200 in the end */
}

static void kill_either_instance_under_load(void **state)
{
    struct line *l = *state;
    struct load ld;
    pthread_t t;
    long m;
    int k;

    line_connect(l, T1, "anxious", ALEX, POOL_A, "Alex");
    m = line_mark(l);
    start_load(&ld, l, &t);
    for (k = 0; k < 4; k++) {
        line_sleep(500);
        if (k % 2 == 0) {
            line_kill_gateway(l);
            line_sleep(300);
            assert_int_equal(line_start_gateway(l), 0);
        } else {
            line_kill_second(l);
            line_sleep(300);
            assert_int_equal(line_start_second(l), 0);
        }
    }
    finish_load(&ld, t);
    assert_int_equal(line_idle(l), 0);
    line_sleep(1500);
    every_ack_delivered(&ld, m, 8);
}

static void database_restarts_under_load(void **state)
{
    struct line *l = *state;
    struct load ld;
    pthread_t t;
    long m;

    line_connect(l, T1, "anxious", ALEX, POOL_A, "Alex");
    m = line_mark(l);
    start_load(&ld, l, &t);
    line_sleep(700);
    assert_int_equal(pg_restart(line_pg_cluster(), "fast"), 0);
    line_sleep(1200);
    assert_int_equal(pg_restart(line_pg_cluster(), "immediate"), 0);
    finish_load(&ld, t);
    assert_int_equal(line_idle(l), 0);
    line_sleep(1500);
    /* A restart cuts no send in flight from its answer's record: at most one copy each. */
    every_ack_delivered(&ld, m, 4);
}

/* 1 when the log at path has a line with needle in it. */
static int log_has(const char *path, const char *needle)
{
    char *text = line_read_file(path);
    int found = text && strstr(text, needle);

    free(text);
    return found;
}

static void a_cut_off_leader_commits_nothing(void **state)
{
    struct line *l = *state;
    long m;
    int waited;

    line_connect(l, T1, "anxious", ALEX, POOL_A, "Alex");
    assert_true(log_has(l->gateway_log, "event=engine.leading")); /* the first started leads */
    assert_false(log_has(l->gateway2_log, "event=engine.leading"));
    /*
     * The leader's box stops dead (frozen: it cannot even notice), and the
     * database drops its connections, as after a network cut.
     */
    assert_int_equal(kill(l->gw, SIGSTOP), 0);
    assert_true(line_query(l,
                           "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity"
                           " WHERE application_name = 'peerline' AND pid <> pg_backend_pid()") > 0);
    m = line_mark(l);
    assert_int_equal(line_text_via(l, l->gw2_port, T1, LINE_NUMBER, "are you still there", NULL),
                     200);
    /* The other instance takes over within seconds, and the text goes through it. */
    for (waited = 0; waited < 10000 && !log_has(l->gateway2_log, "event=engine.leading");
         waited += 100)
        line_sleep(100);
    assert_true(log_has(l->gateway2_log, "event=engine.leading"));
    line_must_get(l, m, ALEX, POOL_A, "are you still there");
    /* The old leader wakes: it finds its connection gone and another leading. */
    assert_int_equal(kill(l->gw, SIGCONT), 0);
    /* Its webhooks answer again once it has reconnected (a 500 until then: Twilio retries). */
    for (waited = 0; waited < 50 && line_text_via(l, l->gw_port, ALEX, POOL_A, "still here for you",
                                                  "SM0123456789abcdef0123456789abcdef") != 200;
         waited++)
        line_sleep(100);
    assert_true(waited < 50);
    line_must_get(l, m, T1, LINE_NUMBER, "still here for you");
    assert_int_equal(line_idle(l), 0);
    line_sleep(1500);
    assert_int_equal(line_occurrences(l, ALEX, POOL_A, "are you still there"), 1);
    assert_int_equal(line_occurrences(l, T1, LINE_NUMBER, "still here for you"), 1);
    assert_true(log_has(l->gateway_log, "event=engine.following"));
}

/*
 * Only the leader's engine session is cut: the other instance takes over
 * and then idles. A text that reaches the old leader still goes through:
 * the old leader's engine finds it no longer leads and passes the wake-up
 * on, and the new leader looks every second anyway.
 */
static void a_text_to_the_old_leader_reaches_the_new_one(void **state)
{
    struct line *l = *state;
    long m;
    int waited;

    line_connect(l, T1, "anxious", ALEX, POOL_A, "Alex");
    assert_true(log_has(l->gateway_log, "event=engine.leading"));
    /* The session holding the engine's lock (store_db.c's LEAD_KEY, as two 32-bit halves). */
    assert_int_equal(line_query(l, "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_locks"
                                   " WHERE locktype = 'advisory' AND granted AND objsubid = 1"
                                   " AND classid = 1885693298 AND objid = 1718185573"),
                     1);
    for (waited = 0; waited < 10000 && !log_has(l->gateway2_log, "event=engine.leading");
         waited += 100)
        line_sleep(100);
    assert_true(log_has(l->gateway2_log, "event=engine.leading"));
    line_sleep(2000); /* the new leader's first runs are over: it idles */
    m = line_mark(l);
    assert_int_equal(line_text_via(l, l->gw_port, T1, LINE_NUMBER, "are you still there", NULL),
                     200);
    line_must_get(l, m, ALEX, POOL_A, "are you still there");
}

/* Runs sql on the cluster's own database (not the line's): 0, or -1. */
static int on_cluster(const char *sql)
{
    PGconn *c = PQconnectdb(pg_uri(line_pg_cluster()));
    PGresult *r = PQexec(c, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;

    if (!ok)
        fprintf(stderr, "on_cluster: %s", PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    return ok ? 0 : -1;
}

/* Waits up to 15 s for an instance's /healthz to answer want. */
static int health_becomes(struct line *l, int port, long want)
{
    int waited, saved = l->gw_port;
    long st = 0;

    for (waited = 0; waited < 15000; waited += 100) {
        l->gw_port = port;
        st = line_admin(l, "GET", "/healthz", NULL, NULL);
        l->gw_port = saved;
        if (st == want)
            return 0;
        line_sleep(100);
    }
    fprintf(stderr, "healthz on %d: %ld, wanted %ld\n", port, st, want);
    return -1;
}

static void healthz_says_whether_the_database_answers(void **state)
{
    struct line *l = *state;
    const char *name = strrchr(l->db, '/') + 1;
    char sql[256];
    long m;

    assert_int_equal(health_becomes(l, l->gw_port, 200), 0);
    /* The line's database stops taking connections, and drops the ones it has. */
    snprintf(sql, sizeof(sql),
             "ALTER DATABASE %s ALLOW_CONNECTIONS false; SELECT pg_terminate_backend(pid)"
             " FROM pg_stat_activity WHERE datname = '%s'",
             name, name);
    assert_int_equal(on_cluster(sql), 0);
    assert_int_equal(health_becomes(l, l->gw_port, 503), 0);
    assert_int_equal(health_becomes(l, l->gw2_port, 503), 0);
    /* A webhook now is not stored: never a 200 (Twilio retries it). */
    assert_int_not_equal(line_text_via(l, l->gw_port, T1, LINE_NUMBER, "anxious and alone",
                                       "SM00000000000000000000000000000abc"),
                         200);
    snprintf(sql, sizeof(sql), "ALTER DATABASE %s ALLOW_CONNECTIONS true", name);
    assert_int_equal(on_cluster(sql), 0);
    assert_int_equal(health_becomes(l, l->gw_port, 200), 0);
    assert_int_equal(health_becomes(l, l->gw2_port, 200), 0);
    /* The provider's retry is stored once, and the line carries on. */
    m = line_mark(l);
    assert_int_equal(send_balanced(l, 1, T1, LINE_NUMBER, "anxious and alone",
                                   "SM00000000000000000000000000000abc"),
                     200);
    line_must_get(l, m, T1, LINE_NUMBER, "in line");
    line_must_get(l, m, ALEX, POOL_A, "#take");
}

/*
 * Another session holds the texts' table (a migration by hand, a stuck
 * transaction): a webhook is answered 500 in time for Twilio's Fallback URL
 * (it waits 15 s), never left hanging; once the table is free, the
 * provider's retry is stored.
 */
static void a_webhook_never_waits_for_ever(void **state)
{
    struct line *l = *state;
    PGconn *c = PQconnectdb(l->db);
    const char *sid = "SM0000000000000000000000000000beef";
    struct timespec t0, t1;
    long st, m;

    assert_int_equal(PQstatus(c), CONNECTION_OK);
    PQclear(PQexec(c, "BEGIN; LOCK TABLE inbound IN ACCESS EXCLUSIVE MODE"));
    assert_int_equal(PQtransactionStatus(c), PQTRANS_INTRANS);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    st = line_text_via(l, l->gw_port, T1, LINE_NUMBER, "anxious, is anybody there", sid);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_int_equal(st, 500);
    assert_true(t1.tv_sec - t0.tv_sec < 14);
    PQclear(PQexec(c, "ROLLBACK"));
    PQfinish(c);
    m = line_mark(l);
    assert_int_equal(
        line_text_via(l, l->gw2_port, T1, LINE_NUMBER, "anxious, is anybody there", sid), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "in line");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(two_instances_play_as_one, setup, line_teardown),
        cmocka_unit_test_setup_teardown(kill_either_instance_under_load, setup, line_teardown),
        cmocka_unit_test_setup_teardown(database_restarts_under_load, setup, line_teardown),
        cmocka_unit_test_setup_teardown(a_cut_off_leader_commits_nothing, setup, line_teardown),
        cmocka_unit_test_setup_teardown(healthz_says_whether_the_database_answers, setup,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(a_webhook_never_waits_for_ever, setup, line_teardown),
        cmocka_unit_test_setup_teardown(a_text_to_the_old_leader_reaches_the_new_one, setup,
                                        line_teardown),
    };

    /* Several instances need PostgreSQL, whatever the run asked for. */
    setenv("PEERLINE_E2E_DB", "pg", 1);
    if (line_provider_telnyx())
        return 0; /* Twilio's wire only: the harness signs as Twilio */
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * e2e_reload.c - a coordinator edits roster.yaml (or an operator the
 * config) while the line runs: the line follows within seconds, with no
 * signal needed; a file with a mistake is refused with its line and column
 * in the log and the line keeps running as it was; a peer removed mid-chat
 * keeps that chat until it ends but is offered no new one; a config change
 * only a restart can apply is reported, not silently ignored; SIGHUP
 * reloads too.
 */
#include "harness.h"

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/wait.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define T1    "+15559870001"
#define T2    "+15559870002"
#define T3    "+15559870003"
#define CASEY "+15551230003"

#define ALL_DAY                                                                                    \
    "    shifts:\n"                                                                                \
    "      - {days: [sun, mon, tue, wed, thu, fri, sat], start: \"00:00\", end: \"12:00\"}\n"      \
    "      - {days: [sun, mon, tue, wed, thu, fri, sat], start: \"12:00\", end: \"00:00\"}\n"

#define HEAD                                                                                       \
    "line_name: Test Line\n"                                                                       \
    "timezone: America/New_York\n"                                                                 \
    "topics:\n"                                                                                    \
    "  - {id: anxiety, label: Anxiety and stress, keywords: [anxious, panic]}\n"                   \
    "  - {id: grief, label: Grief and loss, keywords: [grief, died]}\n"                            \
    "  - {id: general, label: Something else}\n"

#define ALEX_PEER                                                                                  \
    "  - id: alex\n"                                                                               \
    "    name: Alex\n"                                                                             \
    "    phone: \"" ALEX "\"\n"                                                                    \
    "    topics: [anxiety]\n" ALL_DAY

#define BLAIR_PEER                                                                                 \
    "  - id: blair\n"                                                                              \
    "    name: Blair\n"                                                                            \
    "    phone: \"" BLAIR "\"\n"                                                                   \
    "    topics: [grief, general]\n" ALL_DAY

#define CASEY_PEER                                                                                 \
    "  - id: casey\n"                                                                              \
    "    name: Casey\n"                                                                            \
    "    phone: \"" CASEY "\"\n"                                                                   \
    "    topics: [grief]\n" ALL_DAY

#define COORDS "coordinators:\n  - {id: sam, name: Sam, phone: \"" SAM "\", on_call: true}\n"

static const char alex_and_blair[] = HEAD "peers:\n" ALEX_PEER BLAIR_PEER COORDS;

static int setup_reload(void **state)
{
    static const struct line_opts o = {.roster = alex_and_blair};

    return line_setup(state, &o);
}

static void a_roster_edit_takes_effect_in_seconds(void **state)
{
    struct line *l = *state;
    long m;

    /* Blair leaves, Casey joins: saved, no signal sent. */
    assert_int_equal(line_rewrite(l->roster, HEAD "peers:\n" ALEX_PEER CASEY_PEER COORDS), 0);
    assert_true(line_log_wait(l, "event=roster.reloaded peers=2", 5000));
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "my dad died"), 200);
    line_must_get(l, m, CASEY, POOL_A, "New chat: Grief and loss");
    assert_int_equal(line_count(l, m, BLAIR, NULL), 0);
}

static void a_roster_with_a_mistake_is_refused(void **state)
{
    struct line *l = *state;
    long m;

    /* Line 18 gives Blair a topic the roster does not have. */
    assert_int_equal(line_rewrite(l->roster,
                                  HEAD "peers:\n" ALEX_PEER "  - id: blair\n"
                                       "    name: Blair\n"
                                       "    phone: \"" BLAIR "\"\n"
                                       "    topics: [grief, loneliness]\n" ALL_DAY COORDS),
                     0);
    assert_true(line_log_wait(l, "event=roster.reload_failed problems=1 kept=running", 5000));
    assert_true(line_log_wait(l, "roster.yaml:18:21: unknown topic 'loneliness'", 100));
    /* The line runs on the roster it had: Blair still takes grief. */
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "grief"), 200);
    line_must_get(l, m, BLAIR, POOL_A, "New chat: Grief and loss");
}

static void a_removed_peer_keeps_their_chat_until_it_ends(void **state)
{
    struct line *l = *state;
    long m;

    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    /* Alex is taken off the roster mid-chat. */
    assert_int_equal(line_rewrite(l->roster, HEAD "peers:\n" BLAIR_PEER COORDS), 0);
    assert_true(line_log_wait(l, "event=roster.peer_retired peer=alex", 5000));
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "are you still there?"), 200);
    line_must_get(l, m, ALEX, POOL_A, "are you still there?");
    assert_int_equal(line_text(l, ALEX, POOL_A, "Yes, I'm here."), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Yes, I'm here.");
    /* A new anxious texter goes to Blair (general), never to Alex. */
    assert_int_equal(line_text(l, T2, LINE_NUMBER, "anxious too"), 200);
    line_must_get(l, m, BLAIR, POOL_A, "New chat: Anxiety and stress");
    /* The chat ends as chats do. */
    assert_int_equal(line_text(l, ALEX, POOL_A, "#end"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Alex has ended the chat");
    line_must_get(l, m, ALEX, POOL_A, "Chat closed");
    assert_int_equal(line_count(l, m, ALEX, POOL_B), 0);
}

/* A peer removed with an offer still open never gets that chat: it is withdrawn and re-matched. */
static void a_removed_peer_cannot_take_a_pending_offer(void **state)
{
    struct line *l = *state;
    long m = line_mark(l);
    char *all;

    assert_int_equal(line_text(l, T1, LINE_NUMBER, "I'm anxious"), 200);
    line_must_get(l, m, ALEX, POOL_A, "#take");
    assert_int_equal(line_rewrite(l->roster, HEAD "peers:\n" BLAIR_PEER COORDS), 0);
    assert_true(line_log_wait(l, "event=roster.offer_withdrawn peer=alex", 5000));
    line_must_get(l, m, ALEX, POOL_A, "withdrawn");
    /* Too late: Alex's #take finds nothing, and the texter goes to Blair (general). */
    assert_int_equal(line_text(l, ALEX, POOL_A, "#take"), 200);
    line_must_get(l, m, BLAIR, POOL_A, "New chat: Anxiety and stress");
    assert_int_equal(line_text(l, BLAIR, POOL_A, "#take"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "You're now texting with Blair");
    all = line_all_to(l, T1);
    assert_null(strstr(all, "texting with Alex"));
    free(all);
}

static void config_edits_apply_live_or_ask_for_a_restart(void **state)
{
    struct line *l = *state;
    char *cfg = line_read_file(l->config), *edited;
    size_t n;
    long m;

    assert_non_null(cfg);
    n = strlen(cfg) + 200;
    edited = malloc(n);
    /* A new welcome: live. */
    snprintf(edited, n,
             "%stexts:\n  en:\n    welcome: \"{line} (edited): trained volunteers, not "
             "counsellors or emergency services. BYE ends a chat; STOP ends all texts.\"\n",
             cfg);
    assert_int_equal(line_rewrite(l->config, edited), 0);
    assert_true(line_log_wait(l, "event=config.reloaded", 5000));
    m = line_mark(l);
    assert_int_equal(line_text(l, T3, LINE_NUMBER, "hello"), 200);
    line_must_get(l, m, T3, LINE_NUMBER, "Test Line (edited)");
    /*
     * A new listen address with another welcome: only a restart can apply the
     * address, and the log says so; the welcome applies now, on the old address.
     */
    snprintf(edited, n,
             "%stexts:\n  en:\n    welcome: \"{line} (again): trained volunteers, not "
             "counsellors or emergency services. BYE ends a chat; STOP ends all texts.\"\n",
             cfg);
    memcpy(strstr(edited, "listen: 127.0.0.1:"), "listen: 127.0.0.2:", 18);
    assert_int_equal(line_rewrite(l->config, edited), 0);
    assert_true(line_log_wait(l, "event=config.restart_needed key=listen", 5000));
    assert_true(line_log_wait(l, "event=config.reload_deferred changes=1", 100));
    assert_true(line_log_wait(l, "event=config.reloaded", 100));
    m = line_mark(l);
    assert_int_equal(line_text(l, T2, LINE_NUMBER, "hi"), 200);
    line_must_get(l, m, T2, LINE_NUMBER, "Test Line (again)");
    free(edited);
    free(cfg);
}

static void sighup_reloads(void **state)
{
    struct line *l = *state;
    long m;

    /* Written in place (no rename a watcher might catch at once), then SIGHUP. */
    {
        FILE *f = fopen(l->roster, "w");
        assert_non_null(f);
        fputs(HEAD "peers:\n" ALEX_PEER CASEY_PEER COORDS, f);
        fclose(f);
    }
    kill(l->gw, SIGHUP);
    assert_true(line_log_wait(l, "event=roster.reloaded peers=2", 5000));
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "grief"), 200);
    line_must_get(l, m, CASEY, POOL_A, "New chat");
}

/* The roster with a 5,000-character line_name (malloc'd): every welcome would be five full texts.
 */
static char *long_name_roster(void)
{
    static const char rest[] = "timezone: America/New_York\n"
                               "topics:\n"
                               "  - {id: anxiety, label: Anxiety and stress, keywords: [anxious, "
                               "panic]}\n"
                               "  - {id: grief, label: Grief and loss, keywords: [grief, died]}\n"
                               "  - {id: general, label: Something else}\n"
                               "peers:\n" ALEX_PEER BLAIR_PEER COORDS;
    size_t i, n = strlen("line_name: ") + 5000 + 1 + sizeof(rest);
    char *r = malloc(n), *p;

    assert_non_null(r);
    p = r + snprintf(r, n, "line_name: ");
    for (i = 0; i < 5000; i++)
        *p++ = "Test Line "[i % 10];
    snprintf(p, n - (size_t)(p - r), "\n%s", rest);
    return r;
}

/*
 * What `peerline check` refuses, a reload keeps out (the running roster
 * stays, the log says why) and `serve` will not start on: one judgement on
 * all three paths. Here the texts check: a 5,000-character line_name.
 */
static void what_check_refuses_a_reload_keeps_out(void **state)
{
    struct line *l = *state;
    char *roster = long_name_roster(), *out = NULL, *welcome, *all;
    long m;

    assert_int_equal(line_rewrite(l->roster, roster), 0);
    kill(l->gw, SIGHUP);
    assert_true(line_log_wait(l, "event=roster.reload_failed", 5000));
    assert_true(line_log_wait(l, "texts.en.welcome is ", 100));
    /* A new texter gets the short welcome of the roster that runs. */
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "hello"), 200);
    welcome = line_expect(l, m, T1, LINE_NUMBER, "Test Line:", 5000);
    assert_non_null(welcome);
    assert_true(strlen(welcome) <= 160);
    free(welcome);
    assert_int_equal(line_idle(l), 0);
    all = line_all_to(l, T1);
    assert_null(strstr(all, "Test Line Test Line"));
    free(all);
    /* `peerline check` refuses it, saying why. */
    assert_int_equal(line_cli(l, "check", NULL, &out), 1);
    assert_non_null(strstr(out, "texts.en.welcome is "));
    free(out);
    /* And `serve` will not start on it. */
    line_kill_gateway(l);
    assert_int_not_equal(line_start_gateway(l), 0);
    l->gw = 0;
    assert_true(line_log_wait(l, "peerline: not starting", 100));
    /* Put right, it starts. */
    assert_int_equal(line_rewrite(l->roster, alex_and_blair), 0);
    assert_int_equal(line_start_gateway(l), 0);
    free(roster);
}

#define METRICS_TOKEN "reload-test-metrics-token"

static int setup_metrics(void **state)
{
    static const struct line_opts o = {.roster = alex_and_blair,
                                       .extra_config = "admin:\n  token: " METRICS_TOKEN "\n"};

    return line_setup(state, &o);
}

/* The value of the /metrics line "NAME VALUE", or -1. */
static long metric(struct line *l, const char *name)
{
    char *body = NULL, needle[128];
    const char *p;
    long v = -1;

    snprintf(needle, sizeof(needle), "\n%s ", name);
    if (line_admin(l, "GET", "/metrics", METRICS_TOKEN, &body) == 200 && body &&
        (p = strstr(body, needle)))
        v = strtol(p + strlen(needle), NULL, 10);
    free(body);
    return v;
}

/* Waits (up to 20 s) for a metric to reach at least (or, down, at most) want. */
static long metric_wait(struct line *l, const char *name, long want, int down)
{
    long v = metric(l, name);
    int waited;

    for (waited = 0; waited < 20000 && (down ? v > want : v < want); waited += 10) {
        line_sleep(10);
        v = metric(l, name);
    }
    return v;
}

/* A dashboard polling all along (the admin's own threads read the config too). */
struct poller {
    struct line *l;
    atomic_int stop;
    long answers, bad;
};

static void *poll_dashboard(void *arg)
{
    struct poller *p = arg;

    while (!atomic_load(&p->stop)) {
        char *body = NULL;
        long st = line_admin(p->l, "GET", p->answers % 2 ? "/metrics" : "/admin/api/status",
                             METRICS_TOKEN, &body);
        free(body);
        p->answers++;
        p->bad += st != 200;
    }
    return NULL;
}

/*
 * 200 SIGHUPs with the config unchanged, a dashboard polling meanwhile: each
 * one reads the config again (a token file may have changed), and each old
 * config is freed once no thread reads it (under ASan, one freed too soon
 * fails the test), so the configs in memory stay two (the first, whose
 * restart-only settings run until exit, and the one in use), not 201.
 */
static void sighups_keep_no_config_for_good(void **state)
{
    struct line *l = *state;
    struct poller p = {.l = l};
    pthread_t t;
    long gens, m;
    int i;

    assert_int_equal(metric(l, "peerline_config_generations"), 1);
    atomic_init(&p.stop, 0);
    assert_int_equal(pthread_create(&t, NULL, poll_dashboard, &p), 0);
    for (i = 1; i <= 200; i++) {
        kill(l->gw, SIGHUP);
        assert_int_equal(metric_wait(l, "peerline_reloads_total{result=\"ok\"}", i, 0), i);
    }
    atomic_store(&p.stop, 1);
    pthread_join(t, NULL);
    print_message("# %ld dashboard answers during the reloads, %ld not 200\n", p.answers, p.bad);
    assert_int_equal(p.bad, 0);
    gens = metric_wait(l, "peerline_config_generations", 2, 1);
    print_message("# configs in memory after 200 SIGHUPs: %ld\n", gens);
    assert_int_equal(gens, 2);
    /* And the line works on the last one. */
    m = line_mark(l);
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "hello"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Test Line:");
}

/*
 * A roster of 200,000 keys (3.4 MB, under the 4 MiB cap) is being read when
 * SIGTERM comes: the server stops at once (the reload runs on its own thread
 * and gives up), as it would without the reload, and exits 0.
 */
static void sigterm_stops_a_slow_reload_at_once(void **state)
{
    struct line *l = *state;
    size_t cap = 4u << 20, len, i;
    char *huge = malloc(cap), *log;
    /* Valgrind's leak check at exit takes a while of its own. */
    int st = 0, waited, bound = getenv("PEERLINE_VALGRIND") ? 60000 : 10000;

    assert_non_null(huge);
    len = (size_t)snprintf(huge, cap, "%sextra:\n", alex_and_blair);
    for (i = 0; i < 200000; i++)
        len += (size_t)snprintf(huge + len, cap - len, "  key%zu: %zu\n", i, i);
    assert_true(len < cap);
    assert_int_equal(line_rewrite(l->roster, huge), 0);
    free(huge);
    assert_true(line_log_wait(l, "event=reload.file_changed", 5000));
    kill(l->gw, SIGTERM);
    for (waited = 0; waited < bound && waitpid(l->gw, &st, WNOHANG) != l->gw; waited += 10)
        line_sleep(10);
    if (waited >= bound)
        fail_msg("the gateway did not stop within %d s of SIGTERM during a reload", bound / 1000);
    l->gw = 0;
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    assert_true(line_log_wait(l, "event=serve.stopped", 100));
    log = line_read_file(l->gateway_log);
    print_message("# stopped %d ms after SIGTERM; the reload %s\n", waited,
                  log && strstr(log, "event=reload.cancelled") ? "was cancelled" : "had finished");
    free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_roster_edit_takes_effect_in_seconds, setup_reload,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(a_roster_with_a_mistake_is_refused, setup_reload,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(a_removed_peer_keeps_their_chat_until_it_ends, setup_reload,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(a_removed_peer_cannot_take_a_pending_offer, setup_reload,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(config_edits_apply_live_or_ask_for_a_restart, setup_reload,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(sighup_reloads, setup_reload, line_teardown),
        cmocka_unit_test_setup_teardown(what_check_refuses_a_reload_keeps_out, setup_reload,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(sighups_keep_no_config_for_good, setup_metrics,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(sigterm_stops_a_slow_reload_at_once, setup_reload,
                                        line_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

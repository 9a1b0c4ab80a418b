/*
 * e2e_admin.c - the coordinators' side over real HTTP: who may read and who
 * may act (401 without a token, 403 for an action with the read-only one),
 * the line's status with a queued texter in it and no phone number or
 * message text anywhere, a peer's detail with a masked number, actions
 * carried out by the engine with the texts they cause and an audit row
 * naming the coordinator, /metrics in Prometheus text format, and a burst
 * of webhooks sharing commits (group commit, counted in /metrics).
 */
#include "harness.h"

#include <jansson.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define T1   "+15559870001"
#define T2   "+15559870002"
#define READ "read-token-0123456789"
#define SAMT "sam-token-0123456789"
#define WAIT 5000

static int setup_admin(void **state)
{
    static const struct line_opts o = {.extra_config = "admin:\n"
                                                       "  token: " READ "\n"
                                                       "  coordinator_tokens:\n"
                                                       "    sam: " SAMT "\n"};

    return line_setup(state, &o);
}

/* GET path with token: the JSON answer (fails the test unless 200 and JSON). */
static json_t *get_json(struct line *l, const char *path, const char *token)
{
    char *body = NULL;
    json_error_t err;
    json_t *j;

    assert_int_equal(line_admin(l, "GET", path, token, &body), 200);
    j = json_loads(body, 0, &err);
    if (!j)
        fail_msg("not JSON (%s): %s", err.text, body);
    free(body);
    return j;
}

/* No phone number of the test's people, and none of these words, in text. */
static void no_numbers_or_words(const char *text, const char *const *words)
{
    static const char *const numbers[] = {"5559870001", "5559870002", "5551230001", "5551230002",
                                          "5551239999"};
    size_t i;

    for (i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++)
        if (strstr(text, numbers[i]))
            fail_msg("a phone number (%s) in an admin answer: %s", numbers[i], text);
    for (i = 0; words && words[i]; i++)
        if (strstr(text, words[i]))
            fail_msg("message text (\"%s\") in an admin answer", words[i]);
}

static void who_may_read_and_act(void **state)
{
    struct line *l = *state;
    char *body = NULL;

    assert_int_equal(line_admin(l, "GET", "/admin/api/status", NULL, NULL), 401);
    assert_int_equal(line_admin(l, "GET", "/admin/api/status", "wrong-token-0123456789", NULL),
                     401);
    assert_int_equal(line_admin(l, "GET", "/metrics", NULL, NULL), 401);
    assert_int_equal(line_admin(l, "GET", "/admin/api/status", READ, NULL), 200);
    assert_int_equal(line_admin(l, "GET", "/admin/api/status", SAMT, NULL), 200);
    assert_int_equal(line_admin(l, "POST", "/admin/api/peers/alex/off", READ, NULL), 403);
    assert_int_equal(line_admin(l, "POST", "/admin/api/peers/nobody/off", SAMT, NULL), 404);
    assert_int_equal(line_admin(l, "POST", "/admin/api/peers/alex/on?for=3d", SAMT, NULL), 400);
    assert_int_equal(line_admin(l, "POST", "/admin/api/conversations/nope/close", SAMT, NULL), 404);
    /* The page itself needs no token: it asks for one. */
    assert_int_equal(line_admin(l, "GET", "/admin", NULL, &body), 200);
    assert_non_null(strstr(body, "Dashboard token"));
    free(body);
    /* Nothing was changed by the refused requests. */
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM audit"), 0);
}

static void status_shows_the_queue_without_numbers(void **state)
{
    struct line *l = *state;
    static const char *const words[] = {"my exams are killing me", NULL};
    json_t *s, *topics, *convs, *t;
    char *text;
    size_t i;
    long m = line_mark(l);

    /* Alex takes one chat; Alex is off for the next, so T2 waits. */
    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    assert_int_equal(line_text(l, ALEX, LINE_NUMBER, "#off"), 200);
    line_must_get(l, m, ALEX, LINE_NUMBER, "off");
    assert_int_equal(line_text(l, T2, LINE_NUMBER, "anxious, my exams are killing me"), 200);
    line_must_get(l, m, T2, LINE_NUMBER, "in line");
    s = get_json(l, "/admin/api/status", READ);
    text = json_dumps(s, 0);
    no_numbers_or_words(text, words);
    free(text);
    assert_string_equal(json_string_value(json_object_get(s, "line")), "Test Line");
    topics = json_object_get(s, "topics");
    for (i = 0; i < json_array_size(topics); i++) {
        t = json_array_get(topics, i);
        if (!strcmp(json_string_value(json_object_get(t, "id")), "anxiety"))
            assert_int_equal(json_integer_value(json_object_get(t, "waiting")), 1);
    }
    convs = json_object_get(s, "conversations");
    assert_int_equal(json_array_size(convs), 2);
    /* The active chat and the one waiting, each by reference. */
    {
        int active = 0, queued = 0;
        for (i = 0; i < json_array_size(convs); i++) {
            const char *st = json_string_value(json_object_get(json_array_get(convs, i), "state"));
            const char *ref = json_string_value(json_object_get(json_array_get(convs, i), "ref"));
            assert_true(ref && ref[0] == 'R');
            active += !strcmp(st, "active");
            queued += !strcmp(st, "queued") || !strcmp(st, "offered"); /* Blair covers general */
        }
        assert_int_equal(active, 1);
        assert_int_equal(queued, 1);
    }
    assert_int_equal(json_integer_value(json_object_get(json_object_get(s, "today"), "contacts")),
                     2);
    json_decref(s);
    /* A peer's detail: their number masked. */
    s = get_json(l, "/admin/api/peers/alex", READ);
    assert_string_equal(json_string_value(json_object_get(s, "phone")), "+1******0001");
    assert_string_equal(json_string_value(json_object_get(s, "manual")), "off");
    assert_int_equal(json_array_size(json_object_get(s, "conversations")), 1);
    text = json_dumps(s, 0);
    no_numbers_or_words(text, words);
    free(text);
    json_decref(s);
}

/* The reference of the only conversation of state `state`, from the status. */
static void ref_of(struct line *l, const char *state, char ref[16])
{
    json_t *s = get_json(l, "/admin/api/status", READ),
           *convs = json_object_get(s, "conversations");
    size_t i;

    ref[0] = '\0';
    for (i = 0; i < json_array_size(convs); i++) {
        json_t *c = json_array_get(convs, i);
        if (!strcmp(json_string_value(json_object_get(c, "state")), state))
            snprintf(ref, 16, "%s", json_string_value(json_object_get(c, "ref")));
    }
    json_decref(s);
    assert_true(ref[0] == 'R');
}

static void actions_are_carried_out_and_audited(void **state)
{
    struct line *l = *state;
    char ref[16], path[96], *body = NULL;
    json_t *audit;
    long m;

    /* Sam sets Blair off from the dashboard; Blair hears it as from #off. */
    m = line_mark(l);
    assert_int_equal(line_admin(l, "POST", "/admin/api/peers/blair/off", SAMT, &body), 200);
    assert_non_null(strstr(body, "\"state\":\"done\""));
    free(body);
    line_must_get(l, m, BLAIR, LINE_NUMBER, "You're off");

    /* Sam closes a chat: both sides are told. */
    line_connect(l, T1, "I'm anxious", ALEX, POOL_A, "Alex");
    ref_of(l, "active", ref);
    m = line_mark(l);
    snprintf(path, sizeof(path), "/admin/api/conversations/%s/close", ref);
    assert_int_equal(line_admin(l, "POST", path, SAMT, NULL), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "This chat has been closed");
    line_must_get(l, m, ALEX, POOL_A, "closed by the line's coordinators");
    /* Closing it again is refused, and says why. */
    assert_int_equal(line_admin(l, "POST", path, SAMT, &body), 409);
    assert_non_null(strstr(body, "already closed"));
    free(body);

    /* Sam blocks a texter: nothing reaches anyone from them until unblocked. */
    m = line_mark(l);
    assert_int_equal(line_text(l, T2, LINE_NUMBER, "hello"), 200);
    line_must_get(l, m, T2, LINE_NUMBER, "Reply with a number");
    ref_of(l, "menu", ref);
    snprintf(path, sizeof(path), "/admin/api/conversations/%s/block", ref);
    assert_int_equal(line_admin(l, "POST", path, SAMT, NULL), 200);
    m = line_mark(l);
    assert_int_equal(line_text(l, T2, LINE_NUMBER, "anxious"), 200);
    line_sleep(500);
    assert_int_equal(line_count(l, m, T2, NULL), 0);
    assert_int_equal(line_count(l, m, ALEX, NULL), 0);
    snprintf(path, sizeof(path), "/admin/api/conversations/%s/unblock", ref);
    assert_int_equal(line_admin(l, "POST", path, SAMT, NULL), 200);
    assert_int_equal(line_text(l, T2, LINE_NUMBER, "hi again"), 200);
    line_must_get(l, m, T2, LINE_NUMBER, "Reply with a number");

    /* Every action is in the audit, by name. */
    audit = get_json(l, "/admin/api/audit", READ);
    assert_int_equal(json_array_size(json_object_get(audit, "actions")), 5);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(audit, "actions"), 4), "coordinator")),
                        "sam");
    json_decref(audit);
    assert_int_equal(line_query(l, "SELECT COUNT(*) FROM audit WHERE coordinator = 'sam'"), 5);
}

/* The value of the first sample line starting with `series` ("name{labels}"), or -1. */
static double sample(const char *text, const char *series)
{
    const char *p = text;
    size_t n = strlen(series);

    while (p && *p) {
        if (!strncmp(p, series, n) && p[n] == ' ')
            return strtod(p + n + 1, NULL);
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return -1;
}

static void metrics_are_prometheus_text(void **state)
{
    struct line *l = *state;
    char *body = NULL, *line, *save = NULL, *copy;
    long m = line_mark(l);

    assert_int_equal(line_text(l, T1, LINE_NUMBER, "anxious"), 200);
    line_must_get(l, m, ALEX, POOL_A, "#take");
    assert_int_equal(line_idle(l), 0); /* the sends are recorded, not only received */
    assert_int_equal(line_admin(l, "GET", "/metrics", READ, &body), 200);
    /* Every line is a comment or "name{labels} number"; every metric has HELP and TYPE. */
    copy = strdup(body);
    for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char name[128];
        const char *sp;
        char *end;

        if (line[0] == '#')
            continue;
        sp = strrchr(line, ' ');
        assert_non_null(sp);
        strtod(sp + 1, &end);
        if (*end)
            fail_msg("not a number: %s", line);
        snprintf(name, sizeof(name), "%.*s", (int)strcspn(line, "{ "), line);
        if (strncmp(name, "peerline_", 9))
            fail_msg("not a peerline_ metric: %s", line);
        {
            /* A histogram's series (_bucket, _sum, _count) share the family's TYPE. */
            const char *cut = strstr(name, "_seconds_");
            char type[200];
            snprintf(type, sizeof(type), "# TYPE %.*s ",
                     cut ? (int)(cut - name) + 8 : (int)strlen(name), name);
            if (!strstr(body, type))
                fail_msg("no TYPE for %s", name);
        }
    }
    free(copy);
    assert_true(sample(body, "peerline_inbound_total") >= 1);
    assert_true(sample(body, "peerline_webhooks_total{outcome=\"stored\"}") >= 1);
    assert_true(sample(body, "peerline_outbound_total{outcome=\"sent\"}") >= 1);
    assert_true(sample(body, "peerline_queue_length{topic=\"anxiety\"}") == 1);
    assert_true(sample(body, "peerline_conversations_open{state=\"offered\"}") == 1);
    assert_true(sample(body, "peerline_offers_total") == 1);
    /* The texter's reply and the peer's offer were timed: arrival -> ready -> issued. */
    assert_true(sample(body, "peerline_own_latency_seconds_count{stage=\"ready\"}") >= 2);
    assert_true(sample(body, "peerline_own_latency_seconds_count{stage=\"issued\"}") >= 1);
    assert_true(sample(body, "peerline_own_latency_seconds{stage=\"ready\",quantile=\"0.99\"}") >
                0);
    assert_true(sample(body, "peerline_send_latency_seconds_count") >= 1);
    assert_true(sample(body, "peerline_peers_available") >= 1);
    assert_true(sample(body, "peerline_crisis_alerts_total") == 0);
    no_numbers_or_words(body, NULL);
    free(body);
}

static void report_after_a_chat(void **state)
{
    struct line *l = *state;
    char *out = NULL;
    long m;

    line_connect(l, T1, "I'm anxious, my exams", ALEX, POOL_A, "Alex");
    m = line_mark(l);
    assert_int_equal(line_text(l, ALEX, POOL_A, "#end"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "how was this chat?");
    assert_int_equal(line_text(l, T1, LINE_NUMBER, "4"), 200);
    line_must_get(l, m, T1, LINE_NUMBER, "Thank you for telling us");
    assert_int_equal(line_cli(l, "report", "--format csv", &out), 0);
    assert_non_null(strstr(out, "\nall,,1,1,0,0,"));
    assert_non_null(strstr(out, "\ntopic,anxiety,1,1,0,0,"));
    assert_non_null(strstr(out, "\npeer,alex,1,1,0,0,"));
    assert_non_null(strstr(out, "\nrating,4,1,"));
    no_numbers_or_words(out, (const char *const[]){"exams", NULL});
    free(out);
    assert_int_equal(line_cli(l, "report", "--format json --since 2020-01-01", &out), 0);
    assert_non_null(strstr(out, "\"since\": \"2020-01-01\""));
    free(out);
    assert_int_equal(line_cli(l, "report", "--format xml", NULL), 2);
}

#define BURST_WRITERS 16
#define BURST_EACH    10

struct burst {
    struct line *l;
    char from[24];
    int ok;
};

static void *burst_writer(void *arg)
{
    struct burst *b = arg;
    char text[64];
    int i;

    for (i = 0; i < BURST_EACH; i++) {
        snprintf(text, sizeof(text), "hello, anyone? (%d)", i);
        b->ok += line_text(b->l, b->from, LINE_NUMBER, text) == 200;
    }
    return NULL;
}

/*
 * Sixteen new texters write at once: every webhook is answered 200 only
 * once stored (all 160 are in the database, each texter hears back), and
 * the webhooks' writer committed fewer transactions than webhooks: they
 * waited together and shared fsyncs.
 */
static void a_burst_of_webhooks_shares_commits(void **state)
{
    struct line *l = *state;
    struct burst b[BURST_WRITERS];
    pthread_t th[BURST_WRITERS];
    double commits, webhooks;
    char *body = NULL;
    int i;

    for (i = 0; i < BURST_WRITERS; i++) {
        b[i].l = l;
        b[i].ok = 0;
        snprintf(b[i].from, sizeof(b[i].from), "+1555988%04d", i);
        assert_int_equal(pthread_create(&th[i], NULL, burst_writer, &b[i]), 0);
    }
    for (i = 0; i < BURST_WRITERS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(b[i].ok, BURST_EACH);
    }
    assert_int_equal(line_inbound_rows(l), BURST_WRITERS * BURST_EACH);
    assert_int_equal(line_idle(l), 0);
    for (i = 0; i < BURST_WRITERS; i++)
        assert_true(line_count(l, 0, b[i].from, LINE_NUMBER) >= 1);
    assert_int_equal(line_admin(l, "GET", "/metrics", READ, &body), 200);
    commits = sample(body, "peerline_ingest_commits_total");
    webhooks = sample(body, "peerline_ingest_webhooks_total");
    print_message("ingest: %.0f webhooks in %.0f commits\n", webhooks, commits);
    assert_true(webhooks >= BURST_WRITERS * BURST_EACH);
    assert_true(commits >= 1 && commits < webhooks);
    free(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(who_may_read_and_act, setup_admin, line_teardown),
        cmocka_unit_test_setup_teardown(status_shows_the_queue_without_numbers, setup_admin,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(actions_are_carried_out_and_audited, setup_admin,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(metrics_are_prometheus_text, setup_admin, line_teardown),
        cmocka_unit_test_setup_teardown(a_burst_of_webhooks_shares_commits, setup_admin,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(report_after_a_chat, setup_admin, line_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

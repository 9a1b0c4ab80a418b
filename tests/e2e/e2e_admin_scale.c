/*
 * e2e_admin_scale.c - the admin API on a line of 50,000 peers, and what it
 * must never take from the webhooks and /healthz.
 *
 * GET /admin/api/status answers a page of peers (100 by default, in id
 * order, 1,000 at most, walked with after=) with every count complete, in a
 * few kilobytes rather than megabytes. Eight pollers hammering it while
 * texts arrive leave /healthz and the webhooks answering (the timings are
 * printed: without pollers, then with them). Pollers share one snapshot of
 * the line, yet a change is in the very next answer. And an admin
 * request that cannot finish (here: two actions waiting for a database
 * write lock this test holds) does not hold the threads that answer
 * /healthz: the admin API runs on threads of its own.
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

#include <curl/curl.h>
#include <sqlite3.h>
#include <time.h>

#define READ    "read-token-0123456789"
#define SAMT    "sam-token-0123456789"
#define PEERS   50000 /* in all: Alex, Blair and 49,998 generated */
#define POLLERS 8

#define ADMIN_CONFIG                                                                               \
    "admin:\n"                                                                                     \
    "  token: " READ "\n"                                                                          \
    "  coordinator_tokens:\n"                                                                      \
    "    sam: " SAMT "\n"

static int setup_big(void **state)
{
    static char *roster;
    static struct line_opts o = {.extra_config = ADMIN_CONFIG};

    if (!roster)
        roster = line_big_roster(PEERS - 2);
    if (!roster)
        return -1;
    o.roster = roster;
    return line_setup(state, &o);
}

static int setup_small(void **state)
{
    static const struct line_opts o = {.extra_config = ADMIN_CONFIG};

    return line_setup(state, &o);
}

/* ---- HTTP, timed ---- */

struct answer {
    long status; /* 0: none within the timeout */
    double secs;
    size_t len;
    char *body;
};

static size_t keep(char *p, size_t size, size_t n, void *arg)
{
    struct answer *a = arg;
    char *nb = realloc(a->body, a->len + size * n + 1);

    if (!nb)
        return 0;
    memcpy(nb + a->len, p, size * n);
    a->len += size * n;
    nb[a->len] = '\0';
    a->body = nb;
    return size * n;
}

/* method path on the gateway with a bearer token (NULL: none), within timeout_s. */
static struct answer call(const struct line *l, const char *method, const char *path,
                          const char *token, long timeout_s)
{
    struct answer a = {0, 0, 0, NULL};
    struct curl_slist *h = NULL;
    char url[512], auth[128];
    CURL *c = curl_easy_init();

    if (!c)
        return a;
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", l->gw_port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (!strcmp(method, "POST"))
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    if (token) {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
        h = curl_slist_append(h, auth);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    }
    curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &a);
    if (curl_easy_perform(c) == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a.status);
        curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &a.secs);
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return a;
}

static json_t *status_json(const struct line *l, const char *query, struct answer *out)
{
    char path[256];
    struct answer a;
    json_t *j;

    snprintf(path, sizeof(path), "/admin/api/status%s", query);
    a = call(l, "GET", path, READ, 60);
    if (a.status != 200)
        fail_msg("GET %s: %ld %s", path, a.status, a.body ? a.body : "");
    j = json_loads(a.body, 0, NULL);
    assert_non_null(j);
    if (out)
        *out = a;
    else
        free(a.body);
    return j;
}

static const char *str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static long long num(json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

/* ---- a page at a time ---- */

static void status_is_paged_with_every_count(void **state)
{
    struct line *l = *state;
    struct answer a;
    json_t *s, *peers, *page;
    char last[32] = "", query[96];
    size_t i;
    int p;

    s = status_json(l, "", &a);
    printf("# status at %d peers, default page: %zu bytes in %.0f ms\n", PEERS, a.len,
           a.secs * 1000);
    free(a.body);
    /* Bounded: a page of 100 peers, not 50,000 (the whole list was 8.8 MB). */
    assert_true(a.len < 64 * 1024);
    peers = json_object_get(s, "peers");
    page = json_object_get(s, "peers_page");
    assert_int_equal(json_array_size(peers), 100);
    assert_int_equal(num(page, "total"), PEERS);
    assert_int_equal(num(page, "offset"), 0);
    assert_int_equal(num(page, "limit"), 100);
    /* Every count is the whole line's: Alex and Blair are on shift around the clock. */
    assert_int_equal(num(json_object_get(s, "now_counts"), "peers_ready"), 2);
    assert_int_equal(json_array_size(json_object_get(s, "topics")), 3);
    assert_int_equal(num(s, "conversations_total"), 0);
    assert_string_equal(str(json_array_get(peers, 0), "id"), "alex");
    assert_string_equal(str(json_array_get(peers, 1), "id"), "blair");

    /* Walking: each page starts after the last one's end, in id order, nothing skipped. */
    for (p = 0; p < 3; p++) {
        for (i = 0; i < json_array_size(peers); i++) {
            const char *id = str(json_array_get(peers, i), "id");
            if (strcmp(last, id) >= 0)
                fail_msg("page %d: %s after %s", p, id, last);
            snprintf(last, sizeof(last), "%s", id);
        }
        assert_string_equal(str(page, "next"), last);
        snprintf(query, sizeof(query), "?after=%s", last);
        json_decref(s);
        s = status_json(l, query, NULL);
        peers = json_object_get(s, "peers");
        page = json_object_get(s, "peers_page");
        assert_int_equal(num(page, "offset"), 100 * (p + 1));
    }
    /* p00097 is the 100th of the generated (alex, blair, p00000...): page 2 begins after it. */
    json_decref(s);
    s = status_json(l, "?after=p00097", NULL);
    assert_string_equal(str(json_array_get(json_object_get(s, "peers"), 0), "id"), "p00098");
    json_decref(s);

    /* The last page: what is left, and no next. */
    s = status_json(l, "?after=p49990", NULL);
    assert_int_equal(json_array_size(json_object_get(s, "peers")), 7);
    assert_true(json_is_null(json_object_get(json_object_get(s, "peers_page"), "next")));
    json_decref(s);

    /* Up to 1,000 a page; counts alone with limit=0. */
    s = status_json(l, "?limit=1000", &a);
    printf("# status, 1,000 peers: %zu bytes in %.0f ms\n", a.len, a.secs * 1000);
    free(a.body);
    assert_int_equal(json_array_size(json_object_get(s, "peers")), 1000);
    json_decref(s);
    s = status_json(l, "?limit=0", NULL);
    assert_int_equal(json_array_size(json_object_get(s, "peers")), 0);
    assert_int_equal(num(json_object_get(s, "peers_page"), "total"), PEERS);
    json_decref(s);

    /* Out of bounds is refused, saying what is allowed. */
    {
        static const char *const bad[] = {"?limit=1001", "?limit=-1", "?limit=ten", "?limit=",
                                          "?after=p0000000000000000000000000000000000000000000000"
                                          "0000000000000000000000000000000000000000000001"};
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            char path[256];
            snprintf(path, sizeof(path), "/admin/api/status%s", bad[i]);
            a = call(l, "GET", path, READ, 20);
            if (a.status != 400 || !a.body ||
                (!strstr(a.body, "0 to 1000") && !strstr(a.body, "a peer id")))
                fail_msg("%s: %ld %s", bad[i], a.status, a.body ? a.body : "");
            free(a.body);
        }
    }
}

/* ---- pollers ---- */

struct poller {
    const struct line *l;
    volatile int *stop;
    int answers, failures;
    double worst;
};

static void *poll_status(void *arg)
{
    struct poller *p = arg;

    while (!*p->stop) {
        struct answer a = call(p->l, "GET", "/admin/api/status", READ, 60);
        if (a.status == 200)
            p->answers++;
        else
            p->failures++;
        if (a.secs > p->worst)
            p->worst = a.secs;
        free(a.body);
    }
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static void print_times(const char *what, double *t, int n)
{
    qsort(t, (size_t)n, sizeof(*t), cmp_double);
    printf("# %s: %d answers, p50 %.1f ms, p90 %.1f ms, max %.1f ms\n", what, n, t[n / 2] * 1000,
           t[(n * 9) / 10] * 1000, t[n - 1] * 1000);
}

/* /healthz n times, 50 ms apart: every answer 200; the times in t. */
static void healthz_series(const struct line *l, double *t, int n)
{
    int i;

    for (i = 0; i < n; i++) {
        struct answer a = call(l, "GET", "/healthz", NULL, 60);
        if (a.status != 200)
            fail_msg("/healthz %d: %ld", i, a.status);
        t[i] = a.secs;
        free(a.body);
        line_sleep(50);
    }
}

static void healthz_and_texts_answer_while_pollers_hammer_status(void **state)
{
    struct line *l = *state;
    struct poller p[POLLERS];
    pthread_t th[POLLERS];
    volatile int stop = 0;
    double quiet[20], busy[40], texts[6], worst = 0;
    int i, answers = 0, failures = 0;

    /* The same series with nobody polling, then with eight pollers, in this run. */
    healthz_series(l, quiet, 20);
    print_times("/healthz, no pollers", quiet, 20);
    for (i = 0; i < POLLERS; i++) {
        p[i] = (struct poller){l, &stop, 0, 0, 0};
        assert_int_equal(pthread_create(&th[i], NULL, poll_status, &p[i]), 0);
    }
    line_sleep(300); /* the pollers are at it */
    healthz_series(l, busy, 20);
    for (i = 0; i < 6; i++) { /* texts arrive meanwhile: each webhook answered as stored */
        char from[32];
        struct timespec t0, t1;
        snprintf(from, sizeof(from), "+1555987%04d", 10 + i);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        assert_int_equal(line_text(l, from, LINE_NUMBER, "hello"), 200);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        texts[i] = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    }
    healthz_series(l, busy + 20, 20);
    stop = 1;
    for (i = 0; i < POLLERS; i++) {
        pthread_join(th[i], NULL);
        answers += p[i].answers;
        failures += p[i].failures;
        if (p[i].worst > worst)
            worst = p[i].worst;
    }
    print_times("/healthz, 8 pollers on /admin/api/status", busy, 40);
    print_times("texts (the simulator's webhook round trip), 8 pollers", texts, 6);
    printf("# the pollers: %d status answers, %d failures, slowest %.0f ms\n", answers, failures,
           worst * 1000);
    assert_int_equal(failures, 0);
    assert_true(answers >= POLLERS);
}

/* ---- shared, never stale ---- */

/*
 * Pollers share one snapshot, but a change is in the very next answer: a
 * texter who reached the line a moment after the last status is in it.
 */
static void status_follows_the_line_at_once(void **state)
{
    struct line *l = *state;
    json_t *s = status_json(l, "", NULL);
    long m = line_mark(l);

    assert_int_equal(num(s, "conversations_total"), 0);
    json_decref(s);
    s = status_json(l, "", NULL); /* the snapshot is now kept, and fresh */
    json_decref(s);
    assert_int_equal(line_text(l, "+15559870001", LINE_NUMBER, "hi"), 200);
    line_must_get(l, m, "+15559870001", LINE_NUMBER, "Reply with a number");
    s = status_json(l, "", NULL);
    assert_int_equal(num(s, "conversations_total"), 1);
    assert_string_equal(str(json_array_get(json_object_get(s, "conversations"), 0), "state"),
                        "menu");
    assert_int_equal(num(json_object_get(s, "now_counts"), "in_menu"), 1);
    json_decref(s);
}

/* ---- the admin API's own threads ---- */

struct act {
    const struct line *l;
    const char *path;
    struct answer a;
};

static void *post_action(void *arg)
{
    struct act *x = arg;

    x->a = call(x->l, "POST", x->path, SAMT, 60);
    return NULL;
}

static void healthz_answers_while_admin_requests_wait(void **state)
{
    struct line *l = *state;
    struct act acts[2] = {{l, "/admin/api/peers/alex/off", {0, 0, 0, NULL}},
                          {l, "/admin/api/peers/blair/off", {0, 0, 0, NULL}}};
    pthread_t th[2];
    char db[320];
    sqlite3 *lock = NULL;
    struct answer h, page;
    int i;

    /*
     * Hold the database's write lock: an action cannot even be recorded until
     * it is let go (the gateway's handles wait up to 10 s for it). Before
     * the admin API had threads of its own, two such actions held both of
     * the threads that answer /healthz and the webhooks.
     */
    snprintf(db, sizeof(db), "%s/peerline.db", l->dir);
    assert_int_equal(sqlite3_open(db, &lock), SQLITE_OK);
    assert_int_equal(sqlite3_exec(lock, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    for (i = 0; i < 2; i++) {
        assert_int_equal(pthread_create(&th[i], NULL, post_action, &acts[i]), 0);
        line_sleep(150); /* each is inside the gateway before the next */
    }
    h = call(l, "GET", "/healthz", NULL, 3);
    page = call(l, "GET", "/admin", NULL, 3);
    printf("# with two actions waiting: /healthz %ld in %.1f ms, /admin %ld in %.1f ms\n", h.status,
           h.secs * 1000, page.status, page.secs * 1000);
    /* Both actions are still waiting: the lock is held. */
    assert_int_equal(acts[0].a.status, 0);
    assert_int_equal(acts[1].a.status, 0);
    assert_int_equal(sqlite3_exec(lock, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(lock);
    for (i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(h.status, 200);
    assert_int_equal(page.status, 200);
    /* And once the lock is let go, the actions are carried out. */
    for (i = 0; i < 2; i++) {
        if (acts[i].a.status != 200)
            fail_msg("%s: %ld %s", acts[i].path, acts[i].a.status,
                     acts[i].a.body ? acts[i].a.body : "");
        free(acts[i].a.body);
    }
    free(h.body);
    free(page.body);
    line_must_get(l, 0, ALEX, LINE_NUMBER, "off");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(status_is_paged_with_every_count, setup_big, line_teardown),
        cmocka_unit_test_setup_teardown(healthz_and_texts_answer_while_pollers_hammer_status,
                                        setup_big, line_teardown),
        cmocka_unit_test_setup_teardown(status_follows_the_line_at_once, setup_small,
                                        line_teardown),
        cmocka_unit_test_setup_teardown(healthz_answers_while_admin_requests_wait, setup_small,
                                        line_teardown),
    };

    curl_global_init(CURL_GLOBAL_DEFAULT);
    return cmocka_run_group_tests(tests, NULL, NULL);
}

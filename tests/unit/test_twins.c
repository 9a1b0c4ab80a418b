/*
 * test_twins.c - config/twins.c, and the loaders that find every repeat
 * through it: a repeat is found by sorting, so a 200,000-key mapping (3.4 MB,
 * under the 4 MiB cap) and a roster of tens of thousands of entries load in
 * n log n key comparisons, not n squared (which took minutes). The counter
 * twins_comparisons() is what is asserted; the times are printed, never
 * asserted (a loaded machine is slow, not wrong).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "diag.h"
#include "roster.h"
#include "twins.h"
#include "yamltree.h"

/* n times its bit length: what sorting n keys may cost, within a small factor. */
static unsigned long long n_log_n(size_t n)
{
    unsigned long long bits = 1;

    while ((1ull << bits) < n)
        bits++;
    return (unsigned long long)n * bits;
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A growing text (the tests' own; the library's buf is the daemon's). */
struct text {
    char *p;
    size_t len, cap;
};

static void add(struct text *t, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (t->cap - t->len < 512) {
        t->cap = t->cap ? t->cap * 2 : 1 << 16;
        t->p = realloc(t->p, t->cap);
        assert_non_null(t->p);
    }
    va_start(ap, fmt);
    n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    assert_true(n > 0 && (size_t)n < t->cap - t->len);
    t->len += (size_t)n;
}

static char g_dir[64], g_path[128];

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof(g_dir), "/tmp/peerline-twins.XXXXXX");
    if (!mkdtemp(g_dir))
        return -1;
    snprintf(g_path, sizeof(g_path), "%s/file.yaml", g_dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(g_path);
    return rmdir(g_dir);
}

static void write_text(const struct text *t)
{
    FILE *f = fopen(g_path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(t->p, 1, t->len, f), t->len);
    assert_int_equal(fclose(f), 0);
}

static void twins_are_the_first_earlier_equal(void **state)
{
    const char *keys[] = {"b", "a", "B", "b", NULL, "a", "b"};
    size_t twin[7];

    (void)state;
    assert_int_equal(twins_find(keys, 7, 0, twin), 0);
    assert_true(twin[0] == TWINS_NONE && twin[1] == TWINS_NONE && twin[2] == TWINS_NONE);
    assert_int_equal(twin[3], 0);
    assert_true(twin[4] == TWINS_NONE); /* NULL: nobody's twin */
    assert_int_equal(twin[5], 1);
    assert_int_equal(twin[6], 0);
    assert_int_equal(twins_find(keys, 7, 1, twin), 0); /* ignoring case, "B" is "b" */
    assert_int_equal(twin[2], 0);
    assert_int_equal(twins_find(keys, 0, 0, twin), 0);
}

/* Every repeated key is reported where it is written, not only the first. */
static void every_repeated_key_is_reported(void **state)
{
    static const char yaml[] = "a: 1\nb: 2\na: 3\nc: {x: 1, x: 2}\n";
    struct diag *d = diag_new();
    struct ynode *n;

    (void)state;
    n = ytree_parse(yaml, strlen(yaml), "f.yaml", d);
    assert_null(n);
    assert_int_equal(diag_count(d), 1); /* the inner mapping fails first: c's is never built */
    assert_string_equal(diag_get(d, 0), "f.yaml:4:11: duplicate key \"x\"");
    diag_free(d);
    d = diag_new();
    n = ytree_parse("a: 1\nb: 2\na: 3\nb: 4\na: 5\n", 25, "f.yaml", d);
    assert_null(n);
    assert_int_equal(diag_count(d), 3);
    assert_string_equal(diag_get(d, 0), "f.yaml:3:1: duplicate key \"a\"");
    assert_string_equal(diag_get(d, 1), "f.yaml:4:1: duplicate key \"b\"");
    assert_string_equal(diag_get(d, 2), "f.yaml:5:1: duplicate key \"a\"");
    diag_free(d);
}

/* 200,000 keys: n log n comparisons; the last key repeated is still found. */
static void a_mapping_of_200000_keys_loads_in_n_log_n(void **state)
{
    const size_t n = 200000;
    struct text t = {0};
    struct diag *d = diag_new();
    unsigned long long before;
    struct ynode *root;
    double t0;
    size_t i;

    (void)state;
    for (i = 0; i < n; i++)
        add(&t, "key%zu: %zu\n", i, i);
    assert_true(t.len < (4u << 20));
    before = twins_comparisons();
    t0 = now_s();
    root = ytree_parse(t.p, t.len, "big.yaml", d);
    print_message("# %zu keys (%zu bytes) parsed in %.3f s, %llu key comparisons\n", n, t.len,
                  now_s() - t0, twins_comparisons() - before);
    assert_non_null(root);
    assert_int_equal(YMAP_PAIRS(root), n);
    assert_true(twins_comparisons() - before <= 2 * n_log_n(n));
    ytree_free(root);
    /* The same with one repeat at the very end. */
    add(&t, "key7: again\n");
    root = ytree_parse(t.p, t.len, "big.yaml", d);
    assert_null(root);
    assert_int_equal(diag_count(d), 1);
    assert_non_null(strstr(diag_get(d, 0), "duplicate key \"key7\""));
    diag_free(d);
    free(t.p);
}

/* A roster of the size a 4 MiB file holds: topics, keywords, peers, coordinators, blocked. */
static void write_big_roster(size_t topics, size_t peers, size_t coords, size_t blocked,
                             int same_phone)
{
    struct text t = {0};
    size_t i;

    add(&t, "line_name: Big Line\ntimezone: America/New_York\ntopics:\n");
    for (i = 0; i < topics; i++)
        add(&t, "  - {id: t%zu, label: Topic %zu, keywords: [word%zua, word%zub]}\n", i, i, i, i);
    add(&t, "  - {id: general, label: Something else}\npeers:\n");
    for (i = 0; i < peers; i++)
        add(&t,
            "  - {id: p%zu, name: Pat, phone: \"+1555%07zu\", topics: [t%zu, general], "
            "shifts: [{days: [mon], start: \"09:00\", end: \"17:00\"}]}\n",
            i, same_phone ? (size_t)1 : i, i % topics);
    add(&t, "coordinators:\n");
    for (i = 0; i < coords; i++)
        add(&t, "  - {id: c%zu, name: Sam, phone: \"+1666%07zu\", on_call: true}\n", i, i);
    add(&t, "blocked:\n");
    for (i = 0; i < blocked; i++)
        add(&t, "  - \"+1777%07zu\"\n", i);
    assert_true(t.len < (4u << 20));
    write_text(&t);
    free(t.p);
}

static void a_large_roster_loads_in_n_log_n(void **state)
{
    const size_t topics = 8000, peers = 20000, coords = 4000, blocked = 20000;
    const size_t entries = topics * 3 + peers * 2 + coords * 2 + blocked;
    unsigned long long before;
    struct diag *d = diag_new();
    struct roster *r;
    double t0;

    (void)state;
    write_big_roster(topics, peers, coords, blocked, 0);
    before = twins_comparisons();
    t0 = now_s();
    r = roster_load(g_path, NULL, d);
    print_message("# roster: %zu topics, %zu peers, %zu coordinators, %zu blocked in %.3f s, "
                  "%llu key comparisons\n",
                  topics, peers, coords, blocked, now_s() - t0, twins_comparisons() - before);
    if (diag_count(d))
        fail_msg("%s", diag_get(d, 0));
    assert_non_null(r);
    assert_int_equal(r->npeers, peers);
    assert_int_equal(roster_topic_index(r, "t7999"), 7999);
    assert_int_equal(roster_topic_index(r, "general"), (int)topics);
    assert_int_equal(roster_topic_index(r, "t8000"), -1);
    assert_true(twins_comparisons() - before <= 8 * n_log_n(entries));
    roster_free(r);
    diag_free(d);
}

/* 20,000 peers with one phone: each repeat is reported once, naming the first. */
static void a_roster_of_one_phone_is_reported_in_n_log_n(void **state)
{
    const size_t peers = 20000;
    unsigned long long before;
    struct diag *d = diag_new();
    double t0;

    (void)state;
    write_big_roster(10, peers, 1, 0, 1);
    before = twins_comparisons();
    t0 = now_s();
    assert_null(roster_load(g_path, NULL, d));
    print_message("# %zu peers with one phone refused in %.3f s, %llu key comparisons\n", peers,
                  now_s() - t0, twins_comparisons() - before);
    assert_int_equal(diag_count(d), peers - 1);
    assert_non_null(strstr(diag_get(d, peers - 2), "peers p0 and p19999 have the same number"));
    assert_true(twins_comparisons() - before <= 8 * n_log_n(peers * 3));
    diag_free(d);
}

/* The config's lists (crisis phrases, the pool): 100,000 phrases, one repeated. */
static void a_config_of_100000_phrases_loads_in_n_log_n(void **state)
{
    const size_t n = 100000;
    unsigned long long before;
    struct text t = {0};
    struct diag *d = diag_new();
    struct config *c;
    double t0;
    size_t i;

    (void)state;
    add(&t, "provider:\n  account_sid: AC00000000000000000000000000000000\n"
            "  auth_token: token\n  line_number: \"+15005550006\"\n"
            "crisis:\n  phrases:\n");
    for (i = 0; i < n; i++)
        add(&t, "    - phrase %zu\n", i);
    add(&t, "    - phrase 99\n");
    write_text(&t);
    before = twins_comparisons();
    t0 = now_s();
    c = config_load(g_path, NULL, d);
    print_message("# %zu crisis phrases checked in %.3f s, %llu key comparisons\n", n, now_s() - t0,
                  twins_comparisons() - before);
    assert_null(c);
    assert_int_equal(diag_count(d), 1);
    assert_non_null(strstr(diag_get(d, 0), "crisis.phrases: \"phrase 99\" is listed twice"));
    assert_true(twins_comparisons() - before <= 4 * n_log_n(n));
    diag_free(d);
    free(t.p);
}

/* A loader told to stop (a server's SIGTERM) stops reading, and says so. */
static void a_cancelled_load_stops(void **state)
{
    atomic_int stop = 1;
    struct diag *d = diag_new();

    (void)state;
    diag_set_cancel(d, &stop);
    assert_null(ytree_parse("a: 1\n", 5, "f.yaml", d));
    assert_int_equal(diag_count(d), 1);
    assert_string_equal(diag_get(d, 0), "f.yaml: not read to the end: the server is stopping");
    diag_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(twins_are_the_first_earlier_equal),
        cmocka_unit_test(every_repeated_key_is_reported),
        cmocka_unit_test(a_mapping_of_200000_keys_loads_in_n_log_n),
        cmocka_unit_test(a_large_roster_loads_in_n_log_n),
        cmocka_unit_test(a_roster_of_one_phone_is_reported_in_n_log_n),
        cmocka_unit_test(a_config_of_100000_phrases_loads_in_n_log_n),
        cmocka_unit_test(a_cancelled_load_stops),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}

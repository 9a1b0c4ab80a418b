/*
 * test_report.c - gateway/cli/report.c over a seeded SQLite file: six
 * conversations (and a crisis record that must not count) whose figures
 * were worked out by hand, read through the store exactly as `peerline
 * report` reads them, in CSV and JSON, with and without --since. Also the
 * nearest-rank percentile on its own. Peers' tools (notes, shadowed chats,
 * debriefs, resources by id) are counted beside them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "report.h"
#include "store.h"
#include "tz.h"

/* 2026-11-24 14:00 UTC: 09:00 in New York. */
#define BASE 1795528800000LL
#define S(x) ((x)*1000LL)

struct fixture {
    char dir[64], path[96];
    struct store *st;
    struct tz *tz;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    char err[256];
    sqlite3 *db;
    char sql[4096];

    snprintf(f->dir, sizeof(f->dir), "/tmp/peerline-report.XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof(f->path), "%s/line.db", f->dir);
    f->st = store_open(f->path, err, sizeof(err));
    f->tz = tz_load("America/New_York", NULL, err, sizeof(err));
    if (!f->st || !f->tz || sqlite3_open(f->path, &db) != SQLITE_OK)
        return -1;
    /*
     * texter, line, state, topic, lang, peer, created, queued, matched, closed, reason, rating
     * 1 anxiety en alex  09:00  wait 60   length 600   rating 5
     * 2 anxiety en alex  10:00  wait 180  length 1200  rating 3
     * 3 anxiety es blair 10:00  wait 300  length 300
     * 4 grief   en       11:00  left the line unanswered
     * 5 grief   en       11:00  still waiting
     * 6 (menu)  en       11:00  never chose a topic
     * 7 a crisis record for a blocked number: not a contact
     * and a trainee read along with chat 2 (twice: counted once)
     */
    snprintf(
        sql, sizeof(sql),
        "INSERT INTO conversations (texter, line_number, state, topic, lang, peer_id, peer_number,"
        " created_at, queued_at, matched_at, closed_at, close_reason, rating) VALUES"
        " ('+15550000001','+15005550006','closed','anxiety','en','alex','+15005550007',"
        "  %lld, %lld, %lld, %lld, 'texter-bye', 5),"
        " ('+15550000002','+15005550006','closed','anxiety','en','alex','+15005550007',"
        "  %lld, %lld, %lld, %lld, 'peer-end', 3),"
        " ('+15550000003','+15005550006','closed','anxiety','es','blair','+15005550008',"
        "  %lld, %lld, %lld, %lld, 'idle', NULL),"
        " ('+15550000004','+15005550006','closed','grief','en',NULL,NULL,"
        "  %lld, %lld, NULL, %lld, 'texter-bye', NULL),"
        " ('+15550000005','+15005550006','queued','grief','en',NULL,NULL,"
        "  %lld, %lld, NULL, NULL, NULL, NULL),"
        " ('+15550000006','+15005550006','menu',NULL,'en',NULL,NULL,"
        "  %lld, NULL, NULL, NULL, NULL, NULL),"
        " ('+15550000009','+15005550006','closed',NULL,'',NULL,NULL,"
        "  %lld, NULL, NULL, %lld, 'crisis-blocked', NULL)",
        BASE, BASE, BASE + S(60), BASE + S(660), BASE + S(3600), BASE + S(3600), BASE + S(3780),
        BASE + S(4980), BASE + S(3630), BASE + S(3630), BASE + S(3930), BASE + S(4230),
        BASE + S(7200), BASE + S(7200), BASE + S(8100), BASE + S(7300), BASE + S(7300),
        BASE + S(7400), BASE + S(7500), BASE + S(7500));
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(db,
                     "INSERT INTO shadows (conversation_id, trainee_id, number, started_at,"
                     " ended_at, end_reason) VALUES (2, 'jo', '+15005550008', 1, 2, 'unshadow'),"
                     " (2, 'kim', '+15005550008', 3, 4, 'closed')",
                     NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "seed: %s\n", sqlite3_errmsg(db));
        sqlite3_close(db);
        return -1;
    }
    /*
     * Peers' tools: two notes (one at 09:00, one at 10:00, that one purged:
     * still counted), a debrief offered at 09:00 and
     * one asked at 10:00, resources: lifeline at 09:00 and 10:00, trevor at 10:00.
     */
    snprintf(sql, sizeof(sql),
             "INSERT INTO notes (conversation_id, texter, peer_id, writer, body, created_at)"
             " VALUES (1, '+15550000001', 'alex', 'Alex', 'likes dogs', %lld),"
             " (2, NULL, 'alex', 'Alex', NULL, %lld);"
             "INSERT INTO debriefs (peer_id, conversation_id, kind, created_at)"
             " VALUES ('alex', 1, 'offered', %lld), ('alex', 1, 'asked', %lld);"
             "INSERT INTO resource_sends (conversation_id, resource_id, peer_id, lang, sent_at)"
             " VALUES (1, 'lifeline', 'alex', 'en', %lld), (2, 'trevor', 'alex', 'en', %lld),"
             " (3, 'lifeline', 'blair', 'es', %lld)",
             BASE, BASE + S(3600), BASE, BASE + S(3600), BASE, BASE + S(3600), BASE + S(3600));
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "seed tools: %s\n", sqlite3_errmsg(db));
        sqlite3_close(db);
        return -1;
    }
    sqlite3_close(db);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char p[128];

    store_close(f->st);
    tz_free(f->tz);
    unlink(f->path);
    snprintf(p, sizeof(p), "%s-wal", f->path);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", f->path);
    unlink(p);
    rmdir(f->dir);
    free(f);
    return 0;
}

static int add(void *arg, const struct store_report_row *row)
{
    return report_add(arg, row);
}

static int add_resource(void *arg, const char *id, int64_t n)
{
    return report_add_resource(arg, id, n);
}

/* What `peerline report` reads: the conversations, then the tools' counts. */
static void read_all(struct fixture *f, struct report *r, int64_t since)
{
    struct store_tool_counts t;

    assert_int_equal(store_report_rows(f->st, since, add, r), STORE_OK);
    assert_int_equal(store_tool_counts(f->st, since, &t, add_resource, r), STORE_OK);
    report_add_tools(r, &t);
}

static char *csv_since(struct fixture *f, int64_t since)
{
    struct report *r = report_new(f->tz);
    struct buf out = BUF_INIT(0);

    assert_non_null(r);
    read_all(f, r, since);
    assert_int_equal(report_csv(r, &out), 0);
    report_free(r);
    return buf_take(&out);
}

static void figures_worked_out_by_hand(void **state)
{
    struct fixture *f = *state;
    char *csv = csv_since(f, 0);

    assert_string_equal(csv, "group,key,contacts,answered,abandoned,waiting,wait_median_s,"
                             "wait_p90_s,length_median_s,rated,rating_mean,shadowed\n"
                             "all,,6,3,1,1,180,300,600,2,4.00,1\n"
                             "channel,sms,6,3,1,1,180,300,600,2,4.00,1\n"
                             "topic,(none),1,0,0,0,,,,0,,0\n"
                             "topic,anxiety,3,3,0,0,180,300,600,2,4.00,1\n"
                             "topic,grief,2,0,1,1,,,,0,,0\n"
                             "language,en,5,2,1,1,60,180,600,2,4.00,1\n"
                             "language,es,1,1,0,0,300,300,300,0,,0\n"
                             "hour,09,1,1,0,0,60,60,600,1,5.00,0\n"
                             "hour,10,2,2,0,0,180,300,300,1,3.00,1\n"
                             "hour,11,3,0,1,1,,,,0,,0\n"
                             "peer,alex,2,2,0,0,60,180,600,2,4.00,1\n"
                             "peer,blair,1,1,0,0,300,300,300,0,,0\n"
                             "rating,1,0,,,,,,,,,\n"
                             "rating,2,0,,,,,,,,,\n"
                             "rating,3,1,,,,,,,,,\n"
                             "rating,4,0,,,,,,,,,\n"
                             "rating,5,1,,,,,,,,,\n"
                             "tool,notes_written,2,,,,,,,,,\n"
                             "tool,debriefs_offered,1,,,,,,,,,\n"
                             "tool,debriefs_asked,1,,,,,,,,,\n"
                             "resource,lifeline,2,,,,,,,,,\n"
                             "resource,trevor,1,,,,,,,,,\n");
    free(csv);
}

static void since_leaves_out_what_came_before(void **state)
{
    struct fixture *f = *state;
    char *csv = csv_since(f, BASE + S(3600));

    assert_non_null(strstr(csv, "\nall,,5,2,1,1,180,300,300,1,3.00,1\n"));
    assert_null(strstr(csv, "hour,09"));
    assert_non_null(strstr(csv, "\nrating,5,0,"));
    /* The tools' counts keep to the period too. */
    assert_non_null(strstr(csv, "\ntool,notes_written,1,"));
    assert_non_null(strstr(csv, "\ntool,debriefs_offered,0,"));
    assert_non_null(strstr(csv, "\ntool,debriefs_asked,1,"));
    assert_non_null(strstr(csv, "\nresource,lifeline,1,"));
    assert_non_null(strstr(csv, "\nresource,trevor,1,"));
    free(csv);
}

static void json_has_the_same_figures(void **state)
{
    struct fixture *f = *state;
    struct report *r = report_new(f->tz);
    struct buf out = BUF_INIT(0);
    json_t *j, *all;

    read_all(f, r, 0);
    assert_int_equal(report_json(r, "2026-11-24", &out), 0);
    j = json_loads(out.p, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "since")), "2026-11-24");
    all = json_array_get(json_object_get(j, "groups"), 0);
    assert_string_equal(json_string_value(json_object_get(all, "group")), "all");
    assert_int_equal(json_integer_value(json_object_get(all, "contacts")), 6);
    assert_int_equal(json_integer_value(json_object_get(all, "wait_p90_s")), 300);
    assert_true(json_real_value(json_object_get(all, "rating_mean")) == 4.0);
    assert_int_equal(json_integer_value(json_object_get(all, "shadowed")), 1);
    assert_true(json_is_null(
        json_object_get(json_array_get(json_object_get(j, "groups"), 2), "wait_median_s")));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "ratings"), "3")), 1);
    {
        json_t *tools = json_object_get(j, "tools");
        json_t *res = json_object_get(tools, "resources_sent");
        assert_int_equal(json_integer_value(json_object_get(tools, "notes_written")), 2);
        assert_int_equal(json_integer_value(json_object_get(tools, "debriefs_asked")), 1);
        assert_int_equal(json_integer_value(json_object_get(res, "lifeline")), 2);
        assert_int_equal(json_integer_value(json_object_get(res, "trevor")), 1);
    }
    /* No note's words either. */
    assert_null(strstr(out.p, "dogs"));
    /* Nothing in it is a number anyone texted from. */
    assert_null(strstr(out.p, "555000"));
    json_decref(j);
    buf_free(&out);
    report_free(r);
}

static void nearest_rank(void **state)
{
    int64_t v[] = {50, 10, 40, 20, 30};

    (void)state;
    assert_int_equal(report_percentile(v, 0, 50), -1);
    assert_int_equal(report_percentile(v, 5, 50), 30);
    assert_int_equal(report_percentile(v, 5, 90), 50);
    assert_int_equal(report_percentile(v, 5, 20), 10);
    assert_int_equal(report_percentile(v, 4, 50), 20); /* 10 20 40 50: rank 2 */
    assert_int_equal(report_percentile(v, 1, 90), 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(figures_worked_out_by_hand, setup, teardown),
        cmocka_unit_test_setup_teardown(since_leaves_out_what_came_before, setup, teardown),
        cmocka_unit_test_setup_teardown(json_has_the_same_figures, setup, teardown),
        cmocka_unit_test(nearest_rank),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

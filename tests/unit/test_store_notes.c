/*
 * test_store_notes.c - gateway/store/store_notes.c against a real SQLite
 * file: a texter's recent notes (newest first, within the window, at most
 * so many, never another texter's), a chat's notes for a coordinator, the
 * counts, the purge (words and number gone, the row and its count kept, in
 * ranges), and the audit row of a read recorded as done (never pending for
 * the engine).
 */
#include "store.h"
#include "storedb.h"

#include <sqlite3.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define T1 "+15550000001"
#define T2 "+15550000002"

struct fixture {
    struct storedb db;
    struct store *st;
    int64_t conv1, conv2, conv3; /* T1's first and second conversations, T2's */
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (!f || !(f->st = storedb_open(&f->db, "notes", "test.db")))
        return -1;
    if (store_conv_create(f->st, T1, "+15550000009", "en", 10, &f->conv1) ||
        store_conv_close(f->st, f->conv1, CONV_MENU, "test", 11) ||
        store_conv_create(f->st, T1, "+15550000009", "en", 20, &f->conv2) ||
        store_conv_create(f->st, T2, "+15550000009", "en", 30, &f->conv3))
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    int rc = storedb_remove(&f->db, f->st);

    free(f);
    return rc;
}

/* What a listing saw, as "writer:body@at;" for each note. */
struct seen {
    char s[512];
};

static int see(void *arg, const struct store_note *n)
{
    struct seen *v = arg;
    size_t len = strlen(v->s);

    snprintf(v->s + len, sizeof(v->s) - len, "%s(%s):%s@%lld;", n->writer, n->peer_id,
             n->body ? n->body : "NULL", (long long)n->created_at);
    return 0;
}

static void a_texters_recent_notes_newest_first(void **state)
{
    struct fixture *f = *state;
    struct seen v = {""};
    struct store_tool_counts n;

    assert_int_equal(store_note_add(f->st, f->conv1, T1, "alex", "Alex", "old one", 100), 0);
    assert_int_equal(store_note_add(f->st, f->conv1, T1, "alex", "Alex", "first chat", 200), 0);
    assert_int_equal(store_note_add(f->st, f->conv2, T1, "blair", "Blair", "this chat", 300), 0);
    assert_int_equal(store_note_add(f->st, f->conv3, T2, "alex", "Alex", "someone else", 400), 0);
    /* Same instant: the later note first. */
    assert_int_equal(store_note_add(f->st, f->conv2, T1, "@sam", "Sam", "same time", 300), 0);
    /* Across the texter's conversations, within the window, newest first. */
    assert_int_equal(store_notes_recent(f->st, T1, 150, 5, see, &v), STORE_OK);
    assert_string_equal(v.s, "Sam(@sam):same time@300;Blair(blair):this chat@300;"
                             "Alex(alex):first chat@200;");
    /* At most so many. */
    v.s[0] = '\0';
    assert_int_equal(store_notes_recent(f->st, T1, 0, 2, see, &v), STORE_OK);
    assert_string_equal(v.s, "Sam(@sam):same time@300;Blair(blair):this chat@300;");
    /* A texter with none. */
    v.s[0] = '\0';
    assert_int_equal(store_notes_recent(f->st, "+15550000003", 0, 5, see, &v), STORE_OK);
    assert_string_equal(v.s, "");
    /* One chat's notes, for a coordinator. */
    v.s[0] = '\0';
    assert_int_equal(store_notes_of_conv(f->st, f->conv1, see, &v), STORE_OK);
    assert_string_equal(v.s, "Alex(alex):first chat@200;Alex(alex):old one@100;");
    assert_int_equal(store_tool_counts(f->st, 0, &n, NULL, NULL), STORE_OK);
    assert_int_equal(n.notes, 5);
    assert_int_equal(store_tool_counts(f->st, 300, &n, NULL, NULL), STORE_OK);
    assert_int_equal(n.notes, 3);
}

static void the_purge_takes_a_notes_words_and_keeps_its_count(void **state)
{
    struct fixture *f = *state;
    struct store_purged c;
    struct seen v = {""};
    struct store_tool_counts n;

    assert_int_equal(store_note_add(f->st, f->conv1, T1, "alex", "Alex", "old words", 100), 0);
    assert_int_equal(store_note_add(f->st, f->conv2, T1, "blair", "Blair", "new words", 9000), 0);
    assert_int_equal(store_purge(f->st, 5000, 9500, &c), STORE_OK);
    assert_int_equal(c.notes, 1);
    assert_int_equal(
        storedb_count(&f->db, "SELECT COUNT(*) FROM notes WHERE body IS NULL AND texter IS NULL"),
        1);
    assert_int_equal(storedb_count(&f->db, "SELECT COUNT(*) FROM notes WHERE body = 'new words'"
                                           " AND texter = '" T1 "'"),
                     1);
    /* Gone for the next peer, still a row for a coordinator (no words) and in the counts. */
    assert_int_equal(store_notes_recent(f->st, T1, 0, 5, see, &v), STORE_OK);
    assert_string_equal(v.s, "Blair(blair):new words@9000;");
    v.s[0] = '\0';
    assert_int_equal(store_notes_of_conv(f->st, f->conv1, see, &v), STORE_OK);
    assert_string_equal(v.s, "Alex(alex):NULL@100;");
    assert_int_equal(store_tool_counts(f->st, 0, &n, NULL, NULL), STORE_OK);
    assert_int_equal(n.notes, 2);
    /* Again: nothing left to do. */
    assert_int_equal(store_purge(f->st, 5000, 9500, &c), STORE_OK);
    assert_int_equal(c.notes, 0);
}

static void the_purge_covers_every_range_of_notes(void **state)
{
    struct fixture *f = *state;
    struct store_purged c;

    storedb_sql(&f->db,
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500)"
                " INSERT INTO notes (conversation_id, texter, peer_id, writer, body, created_at)"
                " SELECT 1, '" T1 "', 'alex', 'Alex', 'words ' || i,"
                " CASE WHEN i > 2400 THEN 9000 ELSE 100 END FROM n");
    assert_int_equal(store_purge(f->st, 5000, 9500, &c), STORE_OK);
    assert_int_equal(c.notes, 2400);
    assert_int_equal(storedb_count(&f->db, "SELECT COUNT(*) FROM notes WHERE body IS NOT NULL"),
                     100);
    assert_int_equal(storedb_count(&f->db, "SELECT COUNT(*) FROM notes WHERE texter IS NOT NULL"),
                     100);
}

static void a_read_is_audited_as_done(void **state)
{
    struct fixture *f = *state;
    struct store_audit a;
    int64_t id = 0;

    assert_int_equal(store_audit_record(f->st, "sam", "read-notes", "R2", "2 notes read", 500, &id),
                     STORE_OK);
    assert_true(id > 0);
    assert_int_equal(store_audit_get(f->st, id, &a), STORE_FOUND);
    assert_int_equal(a.state, AUDIT_DONE);
    assert_string_equal(a.coordinator, "sam");
    assert_string_equal(a.action, "read-notes");
    assert_string_equal(a.target, "R2");
    assert_string_equal(a.result, "2 notes read");
    assert_int_equal(a.created_at, 500);
    assert_int_equal(a.done_at, 500);
    /* Never in the engine's queue of actions to carry out. */
    assert_int_equal(store_audit_next(f->st, &a), STORE_OK);
}

static int see_writer(void *arg, const struct store_note *n)
{
    snprintf(arg, 128, "%s(%s)", n->writer, n->peer_id);
    return 0;
}

/* A name of 24 bytes in a script of three bytes a letter, and a coordinator's longest id. */
static void names_and_ids_come_back_whole(void **state)
{
    struct fixture *f = *state;
    const char *name = "\xe0\xa4\xaa\xe0\xa5\x8d\xe0\xa4\xb0\xe0\xa4\xbf\xe0\xa4\xaf"
                       "\xe0\xa4\x82\xe0\xa4\x95\xe0\xa4\xbe"; /* 24 bytes */
    const char *id = "@abcdefghijklmnopqrstuvwxyz012345";      /* "@" + 32 */
    char got[128] = "", want[128];

    assert_int_equal(store_note_add(f->st, f->conv2, T1, id, name, "words", 300), 0);
    assert_int_equal(store_notes_of_conv(f->st, f->conv2, see_writer, got), STORE_OK);
    snprintf(want, sizeof(want), "%s(%s)", name, id);
    assert_string_equal(got, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_texters_recent_notes_newest_first, setup, teardown),
        cmocka_unit_test_setup_teardown(the_purge_takes_a_notes_words_and_keeps_its_count, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(the_purge_covers_every_range_of_notes, setup, teardown),
        cmocka_unit_test_setup_teardown(a_read_is_audited_as_done, setup, teardown),
        cmocka_unit_test_setup_teardown(names_and_ids_come_back_whole, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_store_shadow.c - gateway/store/store_shadow.c against a real SQLite
 * file: a trainee reads along with one chat at a time (a second start is a
 * conflict, not an error), a copy ends once, the open one is found by chat
 * and by trainee, the last start and the count in a period are what the
 * picking and the reports read; and a conversation's PRIVATE sticks.
 */
#include "store.h"
#include "storedb.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

struct fixture {
    struct storedb db;
    struct store *st;
    int64_t conv[2];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (!f || !(f->st = storedb_open(&f->db, "shadow", "test.db")))
        return -1;
    if (store_conv_create(f->st, "+15559870001", "+15005550006", "en", 1000, &f->conv[0]) ||
        store_conv_create(f->st, "+15559870002", "+15005550006", "en", 1000, &f->conv[1]))
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

static void one_chat_at_a_time_per_trainee(void **state)
{
    struct fixture *f = *state;
    struct store_shadow sh;
    struct store_tool_counts n;
    int64_t at = -1;

    assert_int_equal(store_shadow_of_trainee(f->st, "jo", &sh), STORE_OK);
    assert_int_equal(store_shadow_last_started(f->st, "jo", &at), STORE_OK);
    assert_true(at == 0); /* never */
    assert_int_equal(store_shadow_start(f->st, f->conv[0], "jo", "+15005550007", 2000), STORE_OK);
    /* A second open copy for Jo is refused by the schema: a conflict, not a failure. */
    assert_int_equal(store_shadow_start(f->st, f->conv[1], "jo", "+15005550008", 2100),
                     STORE_CONFLICT);
    /* Kim may read along with the other chat. */
    assert_int_equal(store_shadow_start(f->st, f->conv[1], "kim", "+15005550007", 2200), STORE_OK);
    assert_int_equal(store_shadow_of_trainee(f->st, "jo", &sh), STORE_FOUND);
    assert_true(sh.conv_id == f->conv[0]);
    assert_string_equal(sh.trainee_id, "jo");
    assert_string_equal(sh.number, "+15005550007");
    assert_true(sh.started_at == 2000);
    assert_int_equal(store_shadow_of_conv(f->st, f->conv[1], &sh), STORE_FOUND);
    assert_string_equal(sh.trainee_id, "kim");
    assert_int_equal(store_tool_counts(f->st, 0, &n, NULL, NULL), STORE_OK);
    assert_true(n.shadowed == 2);
    assert_int_equal(store_tool_counts(f->st, 2100, &n, NULL, NULL), STORE_OK);
    assert_true(n.shadowed == 1);
}

static void a_copy_ends_once(void **state)
{
    struct fixture *f = *state;
    struct store_shadow sh;
    int64_t at = 0;

    assert_int_equal(store_shadow_start(f->st, f->conv[0], "jo", "+15005550007", 2000), STORE_OK);
    assert_int_equal(store_shadow_of_conv(f->st, f->conv[0], &sh), STORE_FOUND);
    assert_int_equal(store_shadow_end(f->st, sh.id, "unshadow", 3000), STORE_OK);
    assert_int_equal(store_shadow_end(f->st, sh.id, "closed", 3100), STORE_CONFLICT);
    assert_int_equal(store_shadow_of_conv(f->st, f->conv[0], &sh), STORE_OK);
    assert_int_equal(store_shadow_of_trainee(f->st, "jo", &sh), STORE_OK);
    /* Free again: the next copy may begin; the last start is kept for the picking. */
    assert_int_equal(store_shadow_start(f->st, f->conv[1], "jo", "+15005550008", 4000), STORE_OK);
    assert_int_equal(store_shadow_last_started(f->st, "jo", &at), STORE_OK);
    assert_true(at == 4000);
}

static int count_open(void *arg, const struct store_shadow *sh)
{
    (void)sh;
    (*(int *)arg)++;
    return 0;
}

static void the_open_copies_are_listed(void **state)
{
    struct fixture *f = *state;
    struct store_shadow sh;
    int n = 0;

    assert_int_equal(store_shadow_start(f->st, f->conv[0], "jo", "+15005550007", 2000), STORE_OK);
    assert_int_equal(store_shadow_start(f->st, f->conv[1], "kim", "+15005550007", 2000), STORE_OK);
    assert_int_equal(store_shadow_of_trainee(f->st, "kim", &sh), STORE_FOUND);
    assert_int_equal(store_shadow_end(f->st, sh.id, "closed", 3000), STORE_OK);
    assert_int_equal(store_shadow_open_list(f->st, count_open, &n), STORE_OK);
    assert_int_equal(n, 1);
}

static void private_sticks(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(store_conv_is_private(f->st, f->conv[0]), 0);
    assert_int_equal(store_conv_set_private(f->st, f->conv[0]), STORE_OK);
    assert_int_equal(store_conv_is_private(f->st, f->conv[0]), 1);
    /* Back in line (queued again): still private. */
    assert_int_equal(store_conv_queue(f->st, f->conv[0], "anxiety", 5000), STORE_OK);
    assert_int_equal(store_conv_is_private(f->st, f->conv[0]), 1);
    assert_int_equal(store_conv_is_private(f->st, f->conv[1]), 0);
    assert_int_equal(store_conv_is_private(f->st, 999999), 0); /* no such chat: not private */
}

/* Debriefs: the last one the coordinators were told of, and repeats kept beside it. */
static void debriefs_told_and_repeated(void **state)
{
    struct fixture *f = *state;
    struct store_tool_counts n;
    int64_t at = -1;

    assert_int_equal(store_debrief_last_told(f->st, "blair", 0, &at), STORE_OK);
    assert_true(at == 0);
    assert_int_equal(store_begin(f->st), STORE_OK);
    assert_int_equal(store_debrief_add(f->st, "blair", 0, "asked", 1000), STORE_OK);
    assert_int_equal(store_commit(f->st), STORE_OK);
    assert_int_equal(store_debrief_last_told(f->st, "blair", 0, &at), STORE_OK);
    assert_true(at == 1000);
    /* A repeat is not a telling; another chat has its own. */
    assert_int_equal(store_debrief_add(f->st, "blair", 0, "repeated", 2000), STORE_OK);
    assert_int_equal(store_debrief_add(f->st, "blair", f->conv[0], "asked", 3000), STORE_OK);
    assert_int_equal(store_debrief_last_told(f->st, "blair", 0, &at), STORE_OK);
    assert_true(at == 1000);
    assert_int_equal(store_debrief_last_told(f->st, "blair", f->conv[0], &at), STORE_OK);
    assert_true(at == 3000);
    assert_int_equal(store_debrief_last_told(f->st, "alex", 0, &at), STORE_OK);
    assert_true(at == 0);
    assert_int_equal(store_tool_counts(f->st, 0, &n, NULL, NULL), STORE_OK);
    assert_true(n.debriefs_asked == 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(debriefs_told_and_repeated, setup, teardown),
        cmocka_unit_test_setup_teardown(one_chat_at_a_time_per_trainee, setup, teardown),
        cmocka_unit_test_setup_teardown(a_copy_ends_once, setup, teardown),
        cmocka_unit_test_setup_teardown(the_open_copies_are_listed, setup, teardown),
        cmocka_unit_test_setup_teardown(private_sticks, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

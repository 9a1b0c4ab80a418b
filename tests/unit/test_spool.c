/*
 * test_spool.c - the spool file the Fallback URL writes when the database
 * cannot take a text: records appended durably and privately, replayed into
 * a real database once (deduplicated by MessageSid), a torn last record
 * dropped, and nothing left behind.
 */
#include "spool.h"
#include "store.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

struct fixture {
    char dir[64];
    char db[96];
    char spool[96];
    struct store *st;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    char err[256];

    snprintf(f->dir, sizeof(f->dir), "/tmp/peerline-spool-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->db, sizeof(f->db), "%s/test.db", f->dir);
    snprintf(f->spool, sizeof(f->spool), "%s/test.db.spool", f->dir);
    f->st = store_open(f->db, err, sizeof(err));
    if (!f->st)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];

    store_close(f->st);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

static void add(struct fixture *f, const char *sid, const char *body)
{
    char form[256];

    snprintf(form, sizeof(form),
             "MessageSid=%s&From=%%2B15559870001&To=%%2B15005550006&Body=%s&NumMedia=0", sid, body);
    assert_int_equal(spool_append(f->spool, form, strlen(form), 500), 0);
}

static void replayed_once_and_removed(void **state)
{
    struct fixture *f = *state;
    struct stat sb;
    int n = -1;

    add(f, "SM00000000000000000000000000000001", "first");
    add(f, "SM00000000000000000000000000000002", "second");
    add(f, "SM00000000000000000000000000000001", "first+again"); /* Twilio's retry: same sid */
    assert_int_equal(spool_append(f->spool, "Body=no+sid", 11, 500), 0); /* unusable: skipped */
    assert_int_equal(stat(f->spool, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(spool_replay(f->spool, f->st, &n), 0);
    assert_int_equal(n, 2);
    assert_int_not_equal(stat(f->spool, &sb), 0); /* nothing left behind */
    assert_int_equal(spool_replay(f->spool, f->st, &n), 0);
    assert_int_equal(n, 0);
}

/* A torn record (a crash mid-append: never answered 200) hides nothing after it. */
static void a_torn_record_is_dropped(void **state)
{
    struct fixture *f = *state;
    FILE *fp;
    int n = -1;

    add(f, "SM00000000000000000000000000000003", "before");
    fp = fopen(f->spool, "a");
    assert_non_null(fp);
    fputs("\nPLSPOOL1 500 500\nMessageSid=SM0000", fp);
    fclose(fp);
    add(f, "SM00000000000000000000000000000004", "after"); /* acknowledged after a restart */
    fp = fopen(f->spool, "a");
    assert_non_null(fp);
    fputs("\nPLSPOOL1 5", fp); /* and one torn at the very end, right after its header */
    fclose(fp);
    assert_int_equal(spool_replay(f->spool, f->st, &n), 0);
    assert_int_equal(n, 2);
}

static void no_spool_is_nothing_to_do(void **state)
{
    struct fixture *f = *state;
    int n = -1;

    assert_int_equal(spool_replay(f->spool, f->st, &n), 0);
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(replayed_once_and_removed, setup, teardown),
        cmocka_unit_test_setup_teardown(a_torn_record_is_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(no_spool_is_nothing_to_do, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

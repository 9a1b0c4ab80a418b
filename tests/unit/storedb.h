/*
 * storedb.h - shared by the store's unit tests (test_store*.c): a fresh
 * SQLite database in a mkdtemp() directory, removed afterwards, and SQL run
 * on it from a connection of the test's own (to age rows, to count what
 * the store wrote).
 *
 * Header-only on purpose, as loadcase.h: each test binary links the
 * library objects and its one test file.
 */
#ifndef PEERLINE_STOREDB_H
#define PEERLINE_STOREDB_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#include "store.h"

#define STOREDB_UNUSED __attribute__((unused))

struct storedb {
    char dir[64];
    char path[96];
};

/* Makes the directory (prefix "/tmp/peerline-NAME") and opens `file` in it. NULL on failure. */
static STOREDB_UNUSED struct store *storedb_open(struct storedb *d, const char *name,
                                                 const char *file)
{
    struct store *st;
    char err[256];

    snprintf(d->dir, sizeof(d->dir), "/tmp/peerline-%s-XXXXXX", name);
    if (!mkdtemp(d->dir))
        return NULL;
    snprintf(d->path, sizeof(d->path), "%s/%s", d->dir, file);
    st = store_open(d->path, err, sizeof(err));
    if (!st)
        fprintf(stderr, "%s\n", err);
    return st;
}

/* Closes st and removes the directory: 0, or -1. */
static STOREDB_UNUSED int storedb_remove(struct storedb *d, struct store *st)
{
    char cmd[128];

    store_close(st);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Runs q on the database; the test fails if it does. */
static STOREDB_UNUSED void storedb_sql(const struct storedb *d, const char *q)
{
    sqlite3 *db = NULL;

    assert_int_equal(sqlite3_open(d->path, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    if (sqlite3_exec(db, q, NULL, NULL, NULL) != SQLITE_OK)
        fail_msg("%s: %s", q, sqlite3_errmsg(db));
    sqlite3_close(db);
}

/* The first column of q's first row (-1: no row). */
static STOREDB_UNUSED int64_t storedb_count(const struct storedb *d, const char *q)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *p = NULL;
    int64_t n = -1;

    assert_int_equal(sqlite3_open(d->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, q, -1, &p, NULL), SQLITE_OK);
    if (sqlite3_step(p) == SQLITE_ROW)
        n = sqlite3_column_int64(p, 0);
    sqlite3_finalize(p);
    sqlite3_close(db);
    return n;
}

#endif

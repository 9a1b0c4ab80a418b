/*
 * test_schema.c - one schema, two databases: a SQLite file and a
 * PostgreSQL database, each created and migrated by store_open(), have the
 * same tables with the same columns, in the same order, of matching types
 * (INTEGER is BIGINT on PostgreSQL, BLOB is BYTEA), and the same indexes.
 * Opening either again migrates nothing and keeps it so.
 */
#include "db.h"
#include "store.h"

#include "pg.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <unistd.h>

#define MAX_COLS 400

/* "table.column type" for every column, in table then column order. */
struct cols {
    char row[MAX_COLS][96];
    int n;
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void add(struct cols *c, const char *table, const char *col, const char *type)
{
    assert_true(c->n < MAX_COLS);
    snprintf(c->row[c->n++], sizeof(c->row[0]), "%s.%s %s", table, col, type);
}

/*
 * One word for a type as each side writes it (SQLite's declared types,
 * PostgreSQL's data_type): a 64-bit integer, text or a blob. Any other
 * type comes back as written, so a PostgreSQL "integer" (32 bits) never
 * passes for SQLite's INTEGER.
 */
static const char *kind_of(const char *type)
{
    if (!strcmp(type, "INTEGER") || !strcmp(type, "bigint"))
        return "int64";
    if (!strcmp(type, "TEXT") || !strcmp(type, "text"))
        return "text";
    if (!strcmp(type, "BLOB") || !strcmp(type, "bytea"))
        return "blob";
    return type;
}

static void sqlite_cols(struct db *db, struct cols *c, struct cols *idx)
{
    struct db_stmt *t = db_prepare(db, "SELECT name FROM sqlite_master WHERE type = 'table'"
                                       " AND name NOT LIKE 'sqlite_%' ORDER BY name");
    struct db_stmt *x = db_prepare(db, "SELECT name FROM sqlite_master WHERE type = 'index'"
                                       " AND sql IS NOT NULL ORDER BY name");

    assert_non_null(t);
    while (db_step(t) == DB_ROW) {
        char sql[160];
        struct db_stmt *p;
        snprintf(sql, sizeof(sql), "SELECT name, type FROM pragma_table_info('%s') ORDER BY cid",
                 db_col_text(t, 0));
        p = db_prepare(db, sql);
        assert_non_null(p);
        while (db_step(p) == DB_ROW)
            add(c, db_col_text(t, 0), db_col_text(p, 0), kind_of(db_col_text(p, 1)));
        db_finalize(p);
    }
    db_finalize(t);
    assert_non_null(x);
    while (db_step(x) == DB_ROW)
        add(idx, "index", db_col_text(x, 0), "");
    db_finalize(x);
}

static void pg_cols(struct db *db, struct cols *c, struct cols *idx)
{
    struct db_stmt *p =
        db_prepare(db, "SELECT table_name, column_name, data_type FROM information_schema.columns"
                       " WHERE table_schema = 'public' AND table_name <> 'peerline_schema'"
                       " ORDER BY table_name, ordinal_position");
    struct db_stmt *x = db_prepare(db, "SELECT indexname FROM pg_indexes WHERE schemaname ="
                                       " 'public' AND indexname NOT LIKE '%_pkey'"
                                       " AND indexname NOT LIKE '%_key' ORDER BY indexname");

    assert_non_null(p);
    while (db_step(p) == DB_ROW)
        add(c, db_col_text(p, 0), db_col_text(p, 1), kind_of(db_col_text(p, 2)));
    db_finalize(p);
    assert_non_null(x);
    while (db_step(x) == DB_ROW)
        add(idx, "index", db_col_text(x, 0), "");
    db_finalize(x);
}

static void both_databases_have_the_same_tables_and_columns(void **state)
{
    static struct cols lite, pg, lite_idx, pg_idx;
    char dir[] = "/tmp/peerline-schema-XXXXXX", path[64], err[256];
    struct pg_cluster *cl;
    struct store *st;
    struct db *db;
    int i, round;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/peerline.db", dir);
    cl = pg_start(err, sizeof(err));
    if (!cl)
        fail_msg("%s", err);
    /* Twice each: a second open of a migrated database changes nothing. */
    for (round = 0; round < 2; round++) {
        st = store_open(path, err, sizeof(err));
        if (!st)
            fail_msg("sqlite: %s", err);
        store_close(st);
        st = store_open(pg_uri(cl), err, sizeof(err));
        if (!st)
            fail_msg("postgresql: %s", err);
        store_close(st);
    }
    db = db_open(path, err, sizeof(err));
    assert_non_null(db);
    sqlite_cols(db, &lite, &lite_idx);
    db_close(db);
    db = db_open(pg_uri(cl), err, sizeof(err));
    assert_non_null(db);
    pg_cols(db, &pg, &pg_idx);
    db_close(db);
    pg_stop(cl);
    unlink(path);
    rmdir(dir);

    assert_true(lite.n > 100); /* the whole schema, not an empty file */
    for (i = 0; i < lite.n && i < pg.n; i++)
        assert_string_equal(lite.row[i], pg.row[i]);
    assert_int_equal(lite.n, pg.n);
    /* Index names (unique constraints are indexes on both, named their own way). */
    qsort(lite_idx.row, (size_t)lite_idx.n, sizeof(lite_idx.row[0]), cmp_str);
    qsort(pg_idx.row, (size_t)pg_idx.n, sizeof(pg_idx.row[0]), cmp_str);
    for (i = 0; i < lite_idx.n && i < pg_idx.n; i++)
        assert_string_equal(lite_idx.row[i], pg_idx.row[i]);
    assert_int_equal(lite_idx.n, pg_idx.n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(both_databases_have_the_same_tables_and_columns),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

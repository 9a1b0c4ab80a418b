/*
 * test_db.c - the db.h contract, run against both drivers where they share
 * it (SQLite on a temporary file; PostgreSQL on one throwaway cluster for
 * the whole binary, tests/pg.h): binding, stepping and columns, ?N
 * placeholders, constraint errors, transactions, DB_BEGIN_SERIAL between
 * two connections, the keyed hash, the data version. Then what only
 * PostgreSQL has: SQLSTATE mapping, NOTIFY delivered on commit only, the
 * fence across a killed session, reconnecting after a server restart
 * (inside and outside a transaction), passwords and values kept out of
 * messages, and the SQLite-to-PostgreSQL DDL translation.
 *
 * Nothing here waits on a guess about timing: where one connection must be
 * blocked behind another, the test sees it in pg_locks (SQLite, which has
 * nothing to look at, checks only that the second did not get through).
 */
#include "db.h"
#include "db_pg.h"

#include "../pg.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* The SQLite form of the test table; PostgreSQL gets db_pg_ddl() of it. */
#define TABLE_T                                                                                    \
    "CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT UNIQUE, n INTEGER CHECK (n IS NULL OR n <> "   \
    "13),"                                                                                         \
    " b BLOB)"

#define CHANNEL "peerline_wake"

static struct pg_cluster *cluster;
static char sqlite_dir[64];
static int sqlite_files;

struct backend {
    enum db_kind kind;
};

static struct backend be_sqlite = {DB_SQLITE}, be_pg = {DB_PG};

struct fx {
    enum db_kind kind;
    char spec[128];
    struct db *db;
};

static struct db *open_or_fail(const char *spec)
{
    char err[512];
    struct db *db = db_open(spec, err, sizeof(err));

    if (!db)
        fail_msg("db_open: %s", err);
    return db;
}

static int group_setup(void **state)
{
    char err[512];

    (void)state;
    snprintf(sqlite_dir, sizeof(sqlite_dir), "/tmp/peerline-testdb-XXXXXX");
    if (!mkdtemp(sqlite_dir)) {
        fprintf(stderr, "test_db: mkdtemp failed\n");
        return -1;
    }
    cluster = pg_start(err, sizeof(err));
    if (!cluster) {
        fprintf(stderr, "test_db: %s\n", err);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    char cmd[128];

    (void)state;
    pg_stop(cluster);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", sqlite_dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* A fresh database with table t: a new SQLite file, or PostgreSQL's public schema emptied. */
static int setup(void **state)
{
    const struct backend *be = *state;
    struct fx *f = calloc(1, sizeof(*f));
    char *ddl;
    int fd, rc;

    if (!f)
        return -1;
    f->kind = be->kind;
    if (f->kind == DB_SQLITE) {
        snprintf(f->spec, sizeof(f->spec), "%s/t%d.db", sqlite_dir, ++sqlite_files);
        fd = open(f->spec, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0)
            return -1;
        close(fd);
    } else {
        snprintf(f->spec, sizeof(f->spec), "%s", pg_uri(cluster));
    }
    f->db = open_or_fail(f->spec);
    if (f->kind == DB_PG) {
        if (db_exec(f->db, "DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            fail_msg("reset: %s", db_errmsg(f->db));
        ddl = db_pg_ddl(TABLE_T);
        rc = db_exec(f->db, ddl);
        free(ddl);
    } else {
        rc = db_exec(f->db, TABLE_T);
    }
    if (rc)
        fail_msg("create: %s", db_errmsg(f->db));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    db_close(f->db);
    free(f);
    return 0;
}

static struct db_stmt *prep(struct db *db, const char *sql)
{
    struct db_stmt *p = db_prepare(db, sql);

    if (!p)
        fail_msg("prepare %s: %s", sql, db_errmsg(db));
    return p;
}

/* The first column of the first row of sql, with up to one text parameter. */
static int64_t one_int(struct db *db, const char *sql, const char *arg)
{
    struct db_stmt *p = prep(db, sql);
    int64_t v;
    int rc;

    if (arg)
        assert_int_equal(db_bind_text(p, 1, arg), DB_OK);
    rc = db_step(p);
    if (rc != DB_ROW)
        fail_msg("%s: rc %d: %s", sql, rc, db_errmsg(db));
    v = db_col_int64(p, 0);
    db_finalize(p);
    return v;
}

static char *one_text(struct db *db, const char *sql)
{
    struct db_stmt *p = prep(db, sql);
    char *v;

    if (db_step(p) != DB_ROW)
        fail_msg("%s: %s", sql, db_errmsg(db));
    v = db_col_text(p, 0) ? strdup(db_col_text(p, 0)) : NULL;
    db_finalize(p);
    return v;
}

/* INSERT INTO t (k, n): the step's result. */
static int insert_kn(struct db *db, const char *k, int64_t n)
{
    struct db_stmt *p = prep(db, "INSERT INTO t (k, n) VALUES (?1, ?2)");
    int rc;

    assert_int_equal(db_bind_text(p, 1, k), DB_OK);
    assert_int_equal(db_bind_int64(p, 2, n), DB_OK);
    rc = db_step(p);
    db_finalize(p);
    return rc;
}

static int64_t count_t(struct db *db)
{
    return one_int(db, "SELECT count(*) FROM t", NULL);
}

/* ---- shared by both drivers ---- */

static void bind_step_columns(void **state)
{
    struct fx *f = *state;
    static const unsigned char bytes[] = {0, 1, 0xff, '\\', 'x', 0x80, 0};
    unsigned char *big = malloc(70000);
    struct db_stmt *ins, *sel;
    const unsigned char *b;
    char word[16];
    size_t n, i;

    assert_non_null(big);
    for (i = 0; i < 70000; i++)
        big[i] = (unsigned char)(i * 7 + i / 256);
    ins = prep(f->db, "INSERT INTO t (k, n, b) VALUES (?1, ?2, ?3)");
    assert_string_equal(db_stmt_sql(ins), "INSERT INTO t (k, n, b) VALUES (?1, ?2, ?3)");
    assert_int_equal(db_bind_text(ins, 1, "a \"quoted\" 'text' \xe2\x98\x8e"), DB_OK);
    assert_int_equal(db_bind_int64(ins, 2, INT64_MAX), DB_OK);
    assert_int_equal(db_bind_blob(ins, 3, bytes, sizeof(bytes)), DB_OK);
    assert_int_equal(db_step(ins), DB_DONE);
    assert_int_equal(db_changes(f->db), 1);
    db_reset(ins);
    assert_int_equal(db_bind_int64(ins, 4, 1), DB_ERROR); /* no ?4 */
    assert_int_equal(db_bind_int64(ins, 0, 1), DB_ERROR);
    snprintf(word, sizeof(word), "b");
    assert_int_equal(db_bind_text(ins, 1, word), DB_OK);
    snprintf(word, sizeof(word), "changed"); /* bindings are copies */
    assert_int_equal(db_bind_null(ins, 2), DB_OK);
    assert_int_equal(db_bind_text(ins, 3, NULL), DB_OK);
    assert_int_equal(db_step(ins), DB_DONE);
    db_reset(ins);
    assert_int_equal(db_bind_text(ins, 1, "c"), DB_OK);
    assert_int_equal(db_bind_int64(ins, 2, INT64_MIN), DB_OK);
    assert_int_equal(db_bind_blob(ins, 3, big, 70000), DB_OK);
    assert_int_equal(db_step(ins), DB_DONE);
    db_finalize(ins);

    sel = prep(f->db, "SELECT k, n, b, id FROM t ORDER BY k");
    assert_int_equal(db_step(sel), DB_ROW);
    assert_string_equal(db_col_text(sel, 0), "a \"quoted\" 'text' \xe2\x98\x8e");
    assert_int_equal(db_col_int64(sel, 1), INT64_MAX);
    assert_false(db_col_null(sel, 2));
    b = db_col_blob(sel, 2, &n);
    assert_int_equal(n, sizeof(bytes));
    assert_memory_equal(b, bytes, sizeof(bytes));
    assert_true(db_col_int64(sel, 3) > 0);
    assert_int_equal(db_step(sel), DB_ROW);
    assert_string_equal(db_col_text(sel, 0), "b");
    assert_true(db_col_null(sel, 1));
    assert_int_equal(db_col_int64(sel, 1), 0);
    assert_null(db_col_text(sel, 1));
    assert_true(db_col_null(sel, 2));
    assert_null(db_col_blob(sel, 2, &n));
    assert_int_equal(n, 0);
    assert_int_equal(db_step(sel), DB_ROW);
    assert_string_equal(db_col_text(sel, 0), "c");
    assert_int_equal(db_col_int64(sel, 1), INT64_MIN);
    b = db_col_blob(sel, 2, &n);
    assert_int_equal(n, 70000);
    assert_memory_equal(b, big, 70000);
    assert_int_equal(db_step(sel), DB_DONE);
    db_finalize(sel);
    free(big);

    /* changes: the last INSERT/UPDATE/DELETE's rows; a SELECT leaves it be. */
    assert_int_equal(db_exec(f->db, "UPDATE t SET n = 7 WHERE n IS NULL OR n < 0"), DB_OK);
    assert_int_equal(db_changes(f->db), 2);
    assert_int_equal(count_t(f->db), 3);
    assert_int_equal(db_changes(f->db), 2);
    sel = prep(f->db, "DELETE FROM t WHERE k = ?1");
    assert_int_equal(db_bind_text(sel, 1, "nobody"), DB_OK);
    assert_int_equal(db_step(sel), DB_DONE);
    assert_int_equal(db_changes(f->db), 0);
    db_finalize(sel);

    /* A boolean is 1 or 0 (PostgreSQL's t/f). */
    assert_int_equal(one_int(f->db, "SELECT EXISTS (SELECT 1 FROM t WHERE k = ?1)", "b"), 1);
    assert_int_equal(one_int(f->db, "SELECT EXISTS (SELECT 1 FROM t WHERE k = ?1)", "z"), 0);
}

static void returning_and_do_nothing(void **state)
{
    struct fx *f = *state;
    struct db_stmt *p =
        prep(f->db, "INSERT INTO t (k) VALUES (?1) ON CONFLICT (k) DO NOTHING RETURNING id");
    int64_t id;

    assert_int_equal(db_bind_text(p, 1, "sid1"), DB_OK);
    assert_int_equal(db_step(p), DB_ROW);
    id = db_col_int64(p, 0);
    assert_true(id > 0);
    assert_int_equal(db_step(p), DB_DONE);
    assert_int_equal(db_changes(f->db), 1);
    db_reset(p);
    assert_int_equal(db_bind_text(p, 1, "sid1"), DB_OK); /* a repeat: no row, no change */
    assert_int_equal(db_step(p), DB_DONE);
    assert_int_equal(db_changes(f->db), 0);
    db_finalize(p);
    assert_int_equal(count_t(f->db), 1);
}

static void reset_clears_bindings(void **state)
{
    struct fx *f = *state;
    struct db_stmt *p;

    assert_int_equal(insert_kn(f->db, "a", 1), DB_DONE);
    p = prep(f->db, "SELECT count(*) FROM t WHERE k = ?1");
    assert_int_equal(db_bind_text(p, 1, "a"), DB_OK);
    assert_int_equal(db_step(p), DB_ROW);
    assert_int_equal(db_col_int64(p, 0), 1);
    db_reset(p);                          /* mid-result */
    assert_int_equal(db_step(p), DB_ROW); /* ?1 is NULL now */
    assert_int_equal(db_col_int64(p, 0), 0);
    assert_int_equal(db_step(p), DB_DONE);
    db_reset(p);
    assert_int_equal(db_bind_text(p, 1, "a"), DB_OK);
    assert_int_equal(db_step(p), DB_ROW);
    assert_int_equal(db_col_int64(p, 0), 1);
    db_finalize(p);
}

static void placeholders_reused_and_quoted(void **state)
{
    struct fx *f = *state;
    struct db_stmt *p =
        prep(f->db, "SELECT ?2 || '?1' || ?1 || ?2 AS \"a?b\" -- a ? in a comment\n");

    assert_int_equal(db_bind_text(p, 1, "x"), DB_OK);
    assert_int_equal(db_bind_text(p, 2, "y"), DB_OK);
    assert_int_equal(db_step(p), DB_ROW);
    assert_string_equal(db_col_text(p, 0), "y?1xy");
    assert_int_equal(db_step(p), DB_DONE);
    db_finalize(p);

    assert_int_equal(insert_kn(f->db, "it's", 5), DB_DONE);
    p = prep(f->db, "SELECT n FROM t WHERE k = 'it''s' AND n = ?1 AND ?1 > 0");
    assert_int_equal(db_bind_int64(p, 1, 5), DB_OK);
    assert_int_equal(db_step(p), DB_ROW);
    assert_int_equal(db_col_int64(p, 0), 5);
    db_finalize(p);
}

static void constraint_is_conflict(void **state)
{
    struct fx *f = *state;

    assert_int_equal(insert_kn(f->db, "dup-secret-5551230001", 1), DB_DONE);
    assert_int_equal(insert_kn(f->db, "dup-secret-5551230001", 2), DB_CONFLICT);
    assert_null(strstr(db_errmsg(f->db), "5551230001"));          /* never a bound value */
    assert_int_equal(insert_kn(f->db, "other", 13), DB_CONFLICT); /* CHECK */
    assert_int_equal(insert_kn(f->db, "other", 14), DB_DONE);     /* and the handle goes on */
    assert_int_equal(count_t(f->db), 2);
}

static void rollback_leaves_nothing(void **state)
{
    struct fx *f = *state;

    assert_false(db_in_tx(f->db));
    assert_int_equal(db_begin(f->db, DB_BEGIN_SHARED), DB_OK);
    assert_true(db_in_tx(f->db));
    assert_int_equal(insert_kn(f->db, "a", 1), DB_DONE);
    assert_int_equal(insert_kn(f->db, "b", 2), DB_DONE);
    assert_int_equal(db_rollback(f->db), DB_OK);
    assert_false(db_in_tx(f->db));
    assert_int_equal(count_t(f->db), 0);

    assert_int_equal(db_begin(f->db, DB_BEGIN_SERIAL), DB_OK);
    assert_int_equal(insert_kn(f->db, "a", 1), DB_DONE);
    assert_int_equal(insert_kn(f->db, "a", 1), DB_CONFLICT);
    assert_int_equal(db_rollback(f->db), DB_OK);
    assert_int_equal(count_t(f->db), 0);

    assert_int_equal(db_begin(f->db, DB_BEGIN_SERIAL), DB_OK);
    assert_int_equal(insert_kn(f->db, "c", 3), DB_DONE);
    assert_int_equal(db_commit(f->db), DB_OK);
    assert_false(db_in_tx(f->db));
    assert_int_equal(count_t(f->db), 1);
}

struct second {
    struct db *db;
    atomic_int through; /* 1 once its begin returned */
    int begin_rc, commit_rc;
    int64_t seen;
};

static void *second_writer(void *arg)
{
    struct second *s = arg;

    s->begin_rc = db_begin(s->db, DB_BEGIN_SERIAL);
    atomic_store(&s->through, 1);
    if (s->begin_rc)
        return NULL;
    s->seen = count_t(s->db);
    if (insert_kn(s->db, "second", 2) != DB_DONE)
        s->seen = -1;
    s->commit_rc = db_commit(s->db);
    return NULL;
}

static void serial_serialises(void **state)
{
    struct fx *f = *state;
    struct second s = {0};
    struct db *watch = NULL;
    pthread_t th;
    char pid[24];
    int i, waiting = 0;

    s.db = open_or_fail(f->spec);
    db_busy_timeout(s.db, 30000);
    assert_int_equal(db_begin(f->db, DB_BEGIN_SERIAL), DB_OK);
    if (f->kind == DB_PG) {
        watch = open_or_fail(f->spec);
        snprintf(pid, sizeof(pid), "%lld",
                 (long long)one_int(s.db, "SELECT pg_backend_pid()", NULL));
    }
    assert_int_equal(pthread_create(&th, NULL, second_writer, &s), 0);
    if (watch) {
        /* Seen, not guessed: the second backend waits on the advisory lock. */
        for (i = 0; i < 1000 && !waiting; i++) {
            waiting = (int)one_int(watch,
                                   "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                                   " AND NOT granted AND pid = ?1::int",
                                   pid);
            if (!waiting)
                poll(NULL, 0, 10);
        }
        assert_true(waiting);
    } else {
        poll(NULL, 0, 300);
    }
    assert_int_equal(atomic_load(&s.through), 0);
    assert_int_equal(insert_kn(f->db, "first", 1), DB_DONE);
    assert_int_equal(db_commit(f->db), DB_OK);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(s.begin_rc, DB_OK);
    assert_int_equal(s.seen, 1); /* it began after the first committed */
    assert_int_equal(s.commit_rc, DB_OK);
    assert_int_equal(count_t(f->db), 2);
    db_close(watch);
    db_close(s.db);
}

static void hex_hmac(const unsigned char key[32], const char *text, char out[35])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned n = 0, i;

    assert_non_null(
        HMAC(EVP_sha256(), key, 32, (const unsigned char *)text, strlen(text), mac, &n));
    out[0] = 'h';
    out[1] = ':';
    for (i = 0; i < 16; i++)
        snprintf(out + 2 + 2 * i, 3, "%02x", mac[i]);
}

static void check_hash(struct db *db, const unsigned char key[32])
{
    static const char *const texts[] = {"+15551230001", "h\xc3\xa9llo \xe2\x98\x8e", ""};
    struct db_stmt *p = prep(db, "SELECT peerline_hash(?1), peerline_hash(?2)");
    char want[35];
    size_t i;

    for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        hex_hmac(key, texts[i], want);
        db_reset(p);
        assert_int_equal(db_bind_text(p, 1, texts[i]), DB_OK);
        assert_int_equal(db_bind_null(p, 2), DB_OK);
        assert_int_equal(db_step(p), DB_ROW);
        assert_string_equal(db_col_text(p, 0), want);
        assert_true(db_col_null(p, 1));
    }
    db_finalize(p);
}

static void hash_matches_hmac(void **state)
{
    struct fx *f = *state;
    unsigned char key[32];
    int i;

    for (i = 0; i < 32; i++)
        key[i] = (unsigned char)(0xa5 ^ (i * 37));
    if (f->kind == DB_PG)
        assert_int_equal(db_exec(f->db, DB_PG_HASH_FUNCTION), DB_OK);
    assert_int_equal(db_hash_key(f->db, key), DB_OK);
    check_hash(f->db, key);
    key[0] ^= 1; /* a new key takes over */
    assert_int_equal(db_hash_key(f->db, key), DB_OK);
    check_hash(f->db, key);
}

static void data_version_changes(void **state)
{
    struct fx *f = *state;
    struct db *other = open_or_fail(f->spec);
    int64_t v1, v2;

    v1 = db_data_version(f->db);
    assert_int_equal(insert_kn(other, "x", 1), DB_DONE);
    v2 = db_data_version(f->db);
    assert_true(v1 != v2);
    if (f->kind == DB_PG)
        assert_true(v1 != 0 && v2 > v1);
    db_close(other);
}

/* ---- SQLite: PostgreSQL's extras are no-ops ---- */

static void sqlite_noops(void **state)
{
    struct fx *f = *state;
    char channel[32] = "x";

    assert_int_equal(db_kind(f->db), DB_SQLITE);
    assert_int_equal(db_listen(f->db, CHANNEL), DB_OK);
    assert_int_equal(db_notify(f->db, CHANNEL), DB_OK);
    assert_int_equal(db_wait(f->db, 20, channel, sizeof(channel)), 0);
    db_fence(f->db, 77);
    assert_int_equal(db_fence_epoch(f->db), 0);
    assert_int_equal(insert_kn(f->db, "a", 1), DB_DONE);
    assert_int_equal(db_lazy_sync(f->db), DB_OK);
}

/* ---- PostgreSQL only ---- */

static void pg_prepare_checks_sql(void **state)
{
    struct fx *f = *state;

    assert_int_equal(db_kind(f->db), DB_PG);
    assert_null(db_prepare(f->db, "SELECT nosuchcolumn FROM t"));
    assert_non_null(strstr(db_errmsg(f->db), "42703"));
    assert_null(db_prepare(f->db, "SELECT k FROM t WHERE n = ?"));
    assert_non_null(strstr(db_errmsg(f->db), "?N"));
    assert_null(db_prepare(f->db, "SELECT k FROM t WHERE n = ?0"));
    /* Parameter types come from the statement: a gap cannot be typed. */
    assert_null(db_prepare(f->db, "SELECT k FROM t WHERE n = ?2"));
    assert_int_equal(insert_kn(f->db, "a", 1), DB_DONE); /* the handle is fine */
}

static int raise_sqlstate(struct db *db, const char *code)
{
    char sql[160];

    snprintf(sql, sizeof(sql), "DO $$ BEGIN RAISE EXCEPTION 'raised' USING ERRCODE = '%s'; END $$",
             code);
    return db_exec(db, sql);
}

static void pg_sqlstate_mapping(void **state)
{
    static const struct {
        const char *code;
        int rc;
    } cases[] = {
        {"23505", DB_CONFLICT}, {"23514", DB_CONFLICT}, {"23502", DB_CONFLICT}, {"40001", DB_RETRY},
        {"40P01", DB_RETRY},    {"55P03", DB_RETRY},    {"22012", DB_ERROR},    {"42P01", DB_ERROR},
        {"08006", DB_GONE},     {"57P01", DB_GONE},
    };
    struct fx *f = *state;
    char want[16];
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(raise_sqlstate(f->db, cases[i].code), cases[i].rc);
        snprintf(want, sizeof(want), "SQLSTATE %s", cases[i].code);
        assert_non_null(strstr(db_errmsg(f->db), want));
        /* Whatever it was, the next statement runs (after GONE, on a new connection). */
        assert_int_equal(count_t(f->db), 0);
    }
}

static void pg_failed_tx_commit(void **state)
{
    struct fx *f = *state;

    assert_int_equal(db_begin(f->db, DB_BEGIN_SHARED), DB_OK);
    assert_int_equal(insert_kn(f->db, "a", 1), DB_DONE);
    assert_int_equal(db_exec(f->db, "SELECT 1/0"), DB_ERROR);
    assert_true(db_in_tx(f->db));
    assert_int_equal(db_commit(f->db), DB_ERROR); /* COMMIT answered ROLLBACK */
    assert_non_null(strstr(db_errmsg(f->db), "rolled back"));
    assert_false(db_in_tx(f->db));
    assert_int_equal(count_t(f->db), 0);

    assert_int_equal(db_begin(f->db, DB_BEGIN_SERIAL), DB_OK);
    assert_int_equal(raise_sqlstate(f->db, "40001"), DB_RETRY);
    assert_int_equal(db_commit(f->db), DB_RETRY);
    assert_int_equal(db_commit(f->db), DB_ERROR); /* nothing open now */
    assert_int_equal(db_begin(f->db, DB_BEGIN_SHARED), DB_OK);
    assert_int_equal(db_begin(f->db, DB_BEGIN_SHARED), DB_ERROR); /* one at a time */
    assert_int_equal(db_rollback(f->db), DB_OK);
    assert_int_equal(db_rollback(f->db), DB_OK); /* harmless */
}

static void pg_lock_timeout_is_retry(void **state)
{
    struct fx *f = *state;
    struct db *other = open_or_fail(f->spec);

    assert_int_equal(db_begin(f->db, DB_BEGIN_SERIAL), DB_OK);
    assert_int_equal(db_exec(other, "SET lock_timeout = '50ms'"), DB_OK);
    assert_int_equal(db_begin(other, DB_BEGIN_SERIAL), DB_RETRY);
    assert_non_null(strstr(db_errmsg(other), "55P03"));
    assert_false(db_in_tx(other)); /* a begin that failed leaves nothing open */
    assert_int_equal(db_commit(f->db), DB_OK);
    assert_int_equal(db_begin(other, DB_BEGIN_SERIAL), DB_OK);
    assert_int_equal(db_commit(other), DB_OK);
    db_close(other);
}

static void pg_values_stay_out_of_messages(void **state)
{
    struct fx *f = *state;
    struct db_stmt *p = prep(f->db, "SELECT ?1::bigint");

    assert_int_equal(db_bind_text(p, 1, "secret-5551230001"), DB_OK);
    assert_int_equal(db_step(p), DB_ERROR);
    assert_non_null(strstr(db_errmsg(f->db), "22P02"));
    assert_null(strstr(db_errmsg(f->db), "5551230001"));
    db_finalize(p);
    p = prep(f->db, "SELECT ?1::int");
    assert_int_equal(db_bind_text(p, 1, "5551230001"), DB_OK);
    assert_int_equal(db_step(p), DB_ERROR);
    assert_non_null(strstr(db_errmsg(f->db), "22003"));
    assert_null(strstr(db_errmsg(f->db), "5551230001"));
    db_finalize(p);
}

static void pg_notify_on_commit_only(void **state)
{
    struct fx *f = *state;
    struct db *l = open_or_fail(f->spec);
    char ch[64];

    assert_int_equal(db_listen(l, CHANNEL), DB_OK);
    assert_int_equal(db_wait(l, 0, ch, sizeof(ch)), 0);

    assert_int_equal(db_begin(f->db, DB_BEGIN_SHARED), DB_OK);
    assert_int_equal(db_notify(f->db, CHANNEL), DB_OK);
    assert_int_equal(db_wait(l, 300, ch, sizeof(ch)), 0); /* not before the commit */
    assert_int_equal(db_commit(f->db), DB_OK);
    assert_int_equal(db_wait(l, 10000, ch, sizeof(ch)), 1);
    assert_string_equal(ch, CHANNEL);
    assert_int_equal(db_wait(l, 100, ch, sizeof(ch)), 0); /* once */

    assert_int_equal(db_begin(f->db, DB_BEGIN_SERIAL), DB_OK);
    assert_int_equal(db_notify(f->db, CHANNEL), DB_OK);
    assert_int_equal(db_rollback(f->db), DB_OK);
    assert_int_equal(db_wait(l, 300, ch, sizeof(ch)), 0); /* never after a rollback */

    assert_int_equal(db_notify(f->db, CHANNEL), DB_OK); /* outside a transaction: at once */
    assert_int_equal(db_wait(l, 10000, ch, sizeof(ch)), 1);
    assert_string_equal(ch, CHANNEL);

    assert_int_equal(db_notify(f->db, "Bad-Name"), DB_ERROR);
    assert_int_equal(db_listen(l, "x\"; DROP TABLE t; --"), DB_ERROR);
    assert_int_equal(db_begin(l, DB_BEGIN_SHARED), DB_OK);
    assert_int_equal(db_listen(l, "other"), DB_ERROR); /* not inside a transaction */
    assert_int_equal(db_rollback(l), DB_OK);
    db_close(l);
}

static void pg_fence_follows_the_session(void **state)
{
    struct fx *f = *state;
    const int64_t key = 0x70656572; /* any number but the serial lock's */
    struct db *a = open_or_fail(f->spec), *b = open_or_fail(f->spec), *c = f->db;
    struct db_stmt *pa, *kill;
    char pid[24];
    int i;

    db_fence(a, key);
    assert_int_equal(db_fence_epoch(a), 0);
    pa = prep(a, "SELECT pg_backend_pid()");  /* preparing runs nothing: no lock needed */
    assert_int_equal(db_step(pa), DB_FENCED); /* only db_fence_hold takes the lock */
    assert_int_equal(db_fence_hold(a), DB_OK);
    assert_int_equal(db_step(pa), DB_ROW);
    snprintf(pid, sizeof(pid), "%lld", (long long)db_col_int64(pa, 0));
    db_reset(pa);
    assert_int_equal(db_fence_epoch(a), 1);
    assert_int_equal(insert_kn(a, "a", 1), DB_DONE);

    db_fence(b, key);
    assert_int_equal(db_fence_hold(b), DB_FENCED);
    assert_non_null(strstr(db_errmsg(b), "another instance holds the lock"));
    assert_int_equal(insert_kn(b, "b", 1), DB_FENCED);
    assert_int_equal(db_begin(b, DB_BEGIN_SERIAL), DB_FENCED);
    assert_int_equal(db_exec(b, "SELECT 1"), DB_FENCED);
    assert_int_equal(db_fence_epoch(b), 0);

    /* A third connection ends a's session (and waits until its backend is gone). */
    kill = prep(c, "SELECT pg_terminate_backend(?1::int, 10000)");
    assert_int_equal(db_bind_text(kill, 1, pid), DB_OK);
    assert_int_equal(db_step(kill), DB_ROW);
    assert_int_equal(db_col_int64(kill, 0), 1);
    db_finalize(kill);

    assert_int_equal(insert_kn(b, "b", 1), DB_FENCED); /* not taken by a mere statement */
    assert_int_equal(db_fence_hold(b), DB_OK);
    assert_int_equal(insert_kn(b, "b", 1), DB_DONE);
    assert_int_equal(db_fence_epoch(b), 1);

    assert_int_equal(db_step(pa), DB_GONE); /* a learns it lost the session, */
    for (i = 0; i < 3; i++) {               /* and never gets to write again */
        assert_int_equal(insert_kn(a, "a2", 1), DB_FENCED);
        assert_int_equal(db_begin(a, DB_BEGIN_SHARED), DB_FENCED);
        assert_int_equal(db_step(pa), DB_FENCED);
        assert_int_equal(db_fence_hold(a), DB_FENCED);
    }
    assert_int_equal(db_fence_epoch(a), 1);
    assert_int_equal(one_int(c, "SELECT count(*) FROM t WHERE k = ?1", "a2"), 0);

    /* Once b lets go, a takes over: a new epoch. */
    db_close(b);
    for (i = 0; i < 1000 && db_fence_hold(a) == DB_FENCED; i++)
        poll(NULL, 0, 10);
    assert_true(i < 1000);
    assert_int_equal(insert_kn(a, "a3", 1), DB_DONE);
    assert_int_equal(db_fence_epoch(a), 2);
    db_fence(a, 0); /* unfenced: lets the lock go */
    /* A handle fenced inside a transaction never takes the lock there. */
    assert_int_equal(db_begin(c, DB_BEGIN_SHARED), DB_OK);
    db_fence(c, key);
    assert_int_equal(db_exec(c, "SELECT 1"), DB_FENCED);
    assert_int_equal(db_fence_hold(c), DB_FENCED);
    assert_int_equal(db_rollback(c), DB_OK);
    assert_int_equal(db_fence_hold(c), DB_OK);
    assert_int_equal(db_exec(c, "SELECT 1"), DB_OK);
    assert_int_equal(db_fence_epoch(c), 1);
    db_fence(c, 0);
    assert_int_equal(one_int(c, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'", NULL),
                     0);
    db_finalize(pa);
    db_close(a);
}

/*
 * A server that stops answering (its backend frozen, as on a stalled disk):
 * a handle with a deadline gets DB_GONE in time, not never, outside a
 * transaction; its socket is shut, so the server ends the session and the
 * fence's lock goes to another handle; once the server answers again the
 * handle reconnects.
 */
static void pg_a_frozen_server_is_given_up(void **state)
{
    struct fx *f = *state;
    const int64_t key = 0x66726f7a; /* "froz" */
    struct db *a = open_or_fail(f->spec), *b = open_or_fail(f->spec);
    struct timespec t0, t1;
    pid_t pid;
    int i, rc;

    db_fence(a, key);
    assert_int_equal(db_fence_hold(a), DB_OK);
    pid = (pid_t)one_int(a, "SELECT pg_backend_pid()", NULL);
    db_deadline(a, 500);
    assert_int_equal(kill(pid, SIGSTOP), 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = db_exec(a, "SELECT 1");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_int_equal(kill(pid, SIGCONT), 0); /* first: a failed assert must not leave it frozen */
    assert_int_equal(rc, DB_GONE);
    assert_true(t1.tv_sec - t0.tv_sec < 6); /* 0.5 s, a cancel, 2 s more */
    assert_int_equal(db_in_tx(a), 0);
    assert_non_null(strstr(db_errmsg(a), "did not answer in time"));
    /* The session ends (its socket was shut): the lock is free for another. */
    db_fence(b, key);
    for (i = 0; i < 500 && db_fence_hold(b) != DB_OK; i++)
        poll(NULL, 0, 10);
    assert_true(i < 500);
    /* a comes back as a follower: told of the loss once, then connected again, b leading. */
    rc = db_fence_hold(a);
    if (rc == DB_GONE)
        rc = db_fence_hold(a);
    assert_int_equal(rc, DB_FENCED);
    db_fence(a, 0);
    assert_int_equal(db_exec(a, "SELECT 1"), DB_OK);
    db_close(b);
    db_close(a);
}

static void pg_reconnects_after_restart(void **state)
{
    struct fx *f = *state;
    struct db *w;
    struct db_stmt *p = prep(f->db, "SELECT ?1::bigint + 1");
    unsigned char key[32];
    char ch[64], *s;

    memset(key, 0x42, sizeof(key));
    assert_int_equal(db_exec(f->db, DB_PG_HASH_FUNCTION), DB_OK);
    assert_int_equal(db_lazy_sync(f->db), DB_OK);
    assert_int_equal(db_hash_key(f->db, key), DB_OK);
    assert_int_equal(db_listen(f->db, CHANNEL), DB_OK);
    assert_int_equal(db_bind_int64(p, 1, 41), DB_OK);
    assert_int_equal(db_step(p), DB_ROW);
    assert_int_equal(db_col_int64(p, 0), 42);
    db_reset(p);

    assert_int_equal(pg_restart(cluster, "fast"), 0);

    /* The next statement outside a transaction works: reconnected, prepared again. */
    assert_int_equal(db_bind_int64(p, 1, 41), DB_OK);
    assert_int_equal(db_step(p), DB_ROW);
    assert_int_equal(db_col_int64(p, 0), 42);
    db_finalize(p);
    s = one_text(f->db, "SHOW synchronous_commit");
    assert_string_equal(s, "off");
    free(s);
    check_hash(f->db, key);
    /* Notifications may have been lost meanwhile: the listener is told once. */
    assert_int_equal(db_wait(f->db, 1000, ch, sizeof(ch)), 1);
    assert_string_equal(ch, "");
    assert_int_equal(db_wait(f->db, 50, ch, sizeof(ch)), 0);
    w = open_or_fail(f->spec);
    assert_int_equal(db_notify(w, CHANNEL), DB_OK);
    assert_int_equal(db_wait(f->db, 10000, ch, sizeof(ch)), 1);
    assert_string_equal(ch, CHANNEL);
    db_close(w);
}

static void pg_wait_survives_restart(void **state)
{
    struct fx *f = *state;
    struct db *w;
    char ch[64];

    assert_int_equal(db_listen(f->db, CHANNEL), DB_OK);
    assert_int_equal(pg_restart(cluster, "fast"), 0);
    assert_int_equal(db_wait(f->db, 10000, ch, sizeof(ch)), DB_GONE);
    assert_int_equal(db_wait(f->db, 10000, ch, sizeof(ch)), 1); /* reconnected: look */
    assert_string_equal(ch, "");
    w = open_or_fail(f->spec);
    assert_int_equal(db_notify(w, CHANNEL), DB_OK); /* and listening again */
    assert_int_equal(db_wait(f->db, 10000, ch, sizeof(ch)), 1);
    assert_string_equal(ch, CHANNEL);
    db_close(w);
}

static void pg_lost_inside_a_transaction(void **state)
{
    struct fx *f = *state;

    struct db_stmt *p = prep(f->db, "INSERT INTO t (k) VALUES (?1)");

    assert_int_equal(db_begin(f->db, DB_BEGIN_SHARED), DB_OK);
    assert_int_equal(insert_kn(f->db, "a", 1), DB_DONE);
    assert_int_equal(pg_restart(cluster, "immediate"), 0);
    /* Nothing of the transaction may run on a new connection as if it were open. */
    assert_int_equal(db_bind_text(p, 1, "b"), DB_OK);
    assert_int_equal(db_step(p), DB_GONE);
    assert_int_equal(db_step(p), DB_GONE);
    assert_int_equal(db_exec(f->db, "SELECT 1"), DB_GONE);
    assert_null(db_prepare(f->db, "SELECT 1"));
    assert_true(db_in_tx(f->db));
    assert_int_equal(db_begin(f->db, DB_BEGIN_SHARED), DB_GONE);
    assert_int_equal(db_lazy_sync(f->db), DB_ERROR);
    assert_int_equal(db_rollback(f->db), DB_OK);
    assert_false(db_in_tx(f->db));
    assert_int_equal(count_t(f->db), 0);
    assert_int_equal(db_step(p), DB_DONE); /* prepared again on the new connection */
    db_finalize(p);
    assert_int_equal(count_t(f->db), 1);

    /* A COMMIT on a lost connection: not committed, and the transaction is over. */
    assert_int_equal(db_begin(f->db, DB_BEGIN_SERIAL), DB_OK);
    assert_int_equal(insert_kn(f->db, "d", 1), DB_DONE);
    assert_int_equal(pg_restart(cluster, "fast"), 0);
    assert_int_equal(db_commit(f->db), DB_GONE);
    assert_false(db_in_tx(f->db));
    assert_int_equal(count_t(f->db), 1);
}

/* A loopback port nothing listens on. */
static int closed_port(void)
{
    struct sockaddr_in a = {0};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port;

    assert_true(fd >= 0);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    port = ntohs(a.sin_port);
    close(fd);
    return port;
}

static void pg_open_masks_password(void **state)
{
    static const char *const forms[] = {
        "postgresql://peerline:Sup3rSecret@127.0.0.1:%d/peerline",
        "postgres://peerline@127.0.0.1:%d/peerline?sslmode=disable&password=Sup3rSecret",
        "postgresql://peerline:Sup3r%%zzSecret@127.0.0.1:%d/peerline", /* bad %-escape */
        "postgresql://peerline:Sup3r%%53ecret@127.0.0.1:%d/peerline",  /* %53 is S */
    };
    char uri[160], err[512];
    size_t i;
    int port = closed_port();

    (void)state;
    for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        snprintf(uri, sizeof(uri), forms[i], port);
        assert_null(db_open(uri, err, sizeof(err)));
        assert_true(err[0] != '\0');
        assert_null(strstr(err, "Sup3r"));
        assert_null(strstr(err, "ecret"));
    }
    snprintf(uri, sizeof(uri), forms[0], port);
    assert_null(db_open(uri, err, sizeof(err)));
    assert_non_null(strstr(err, "peerline:***@127.0.0.1"));
}

static void pg_mask_uri(void **state)
{
    char out[256];

    (void)state;
    assert_string_equal(db_pg_mask_uri("postgresql://u:pw@h:5432/db?sslmode=require&password=pw2",
                                       out, sizeof(out)),
                        "postgresql://u:***@h:5432/db?sslmode=require&password=***");
    assert_string_equal(db_pg_mask_uri("postgresql://u@h/db", out, sizeof(out)),
                        "postgresql://u@h/db");
    assert_string_equal(db_pg_mask_uri("postgres://h/db?password=x&password=y", out, sizeof(out)),
                        "postgres://h/db?password=***&password=***");
    assert_string_equal(db_pg_mask_uri("postgresql://h/db?user=a:b@c", out, sizeof(out)),
                        "postgresql://h/db?user=a:b@c");
}

static void pg_uri_values_win(void **state)
{
    struct fx *f = *state;
    char uri[200], *s;
    struct db *db;

    s = one_text(f->db, "SELECT current_setting('application_name')");
    assert_string_equal(s, "peerline");
    free(s);
    snprintf(uri, sizeof(uri), "%s?application_name=other&connect_timeout=10", f->spec);
    db = open_or_fail(uri);
    s = one_text(db, "SELECT current_setting('application_name')");
    assert_string_equal(s, "other");
    free(s);
    s = one_text(db, "SHOW client_encoding");
    assert_string_equal(s, "UTF8");
    free(s);
    db_close(db);
    /* The server notices a cut-off client in seconds too (its locks must move)... */
    s = one_text(f->db, "SHOW tcp_keepalives_idle");
    assert_string_equal(s, "2");
    free(s);
    s = one_text(f->db, "SHOW tcp_user_timeout");
    assert_string_equal(s, "3000");
    free(s);
    /* ...unless the URI sets the server's options itself. */
    snprintf(uri, sizeof(uri), "%s?options=-c%%20tcp_keepalives_idle%%3D5", f->spec);
    db = open_or_fail(uri);
    s = one_text(db, "SHOW tcp_keepalives_idle");
    assert_string_equal(s, "5");
    free(s);
    db_close(db);
}

static void pg_ddl_runs(void **state)
{
    struct fx *f = *state;
    char *ddl = db_pg_ddl("CREATE TABLE d (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, b BLOB)");
    struct db_stmt *p;
    static const unsigned char blob[] = {0xde, 0xad};
    const unsigned char *got;
    size_t n;

    assert_int_equal(db_exec(f->db, ddl), DB_OK);
    free(ddl);
    p = prep(f->db, "INSERT INTO d (n, b) VALUES (?1, ?2) RETURNING id");
    assert_int_equal(db_bind_int64(p, 1, INT64_MAX), DB_OK);
    assert_int_equal(db_bind_blob(p, 2, blob, sizeof(blob)), DB_OK);
    assert_int_equal(db_step(p), DB_ROW);
    assert_int_equal(db_col_int64(p, 0), 1);
    db_finalize(p);
    p = prep(f->db, "SELECT b, n FROM d WHERE id = 1");
    assert_int_equal(db_step(p), DB_ROW);
    got = db_col_blob(p, 0, &n);
    assert_int_equal(n, 2);
    assert_memory_equal(got, blob, 2);
    assert_int_equal(db_col_int64(p, 1), INT64_MAX);
    db_finalize(p);
}

/* ---- no database ---- */

static void check_ddl(const char *in, const char *want)
{
    char *got = db_pg_ddl(in);

    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void ddl_translation(void **state)
{
    (void)state;
    check_ddl("CREATE TABLE a (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, b BLOB)",
              "CREATE TABLE a (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
              " n BIGINT NOT NULL, b BYTEA)");
    check_ddl("id INTEGER  PRIMARY\n  KEY,",
              "id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,");
    /* Whole upper-case words only; literals, quoted names and comments untouched. */
    check_ddl("x INTEGERS, integer_y integer, z XINTEGER, w BLOBS, v BLOB_",
              "x INTEGERS, integer_y integer, z XINTEGER, w BLOBS, v BLOB_");
    check_ddl("s TEXT DEFAULT 'INTEGER BLOB', \"INTEGER\" TEXT -- INTEGER\n, c INTEGER",
              "s TEXT DEFAULT 'INTEGER BLOB', \"INTEGER\" TEXT -- INTEGER\n, c BIGINT");
    check_ddl("/* BLOB */ n INTEGER, PRIMARY KEY (n)", "/* BLOB */ n BIGINT, PRIMARY KEY (n)");
    check_ddl("n INTEGER PRIMARY KEYS", "n BIGINT PRIMARY KEYS");
    check_ddl("", "");
}

static void check_ph(const char *in, const char *want, int want_n)
{
    char err[128];
    int n = -1;
    char *got = db_pg_placeholders(in, &n, err, sizeof(err));

    if (!want) {
        assert_null(got);
        assert_true(err[0] != '\0');
        return;
    }
    assert_non_null(got);
    assert_string_equal(got, want);
    assert_int_equal(n, want_n);
    free(got);
}

static void placeholder_rewrite(void **state)
{
    (void)state;
    check_ph("SELECT ?1, ?10, ?2 FROM t WHERE a = '?3' AND \"?4\" = ?1 -- ?5\n/* ?6 */",
             "SELECT $1, $10, $2 FROM t WHERE a = '?3' AND \"?4\" = $1 -- ?5\n/* ?6 */", 10);
    check_ph("'it''s ?1' || ?2", "'it''s ?1' || $2", 2);
    check_ph("$$ ?1 $$ || ?1", "$$ ?1 $$ || $1", 1);
    check_ph("SELECT 1", "SELECT 1", 0);
    check_ph("SELECT ?", NULL, 0);
    check_ph("SELECT ?a", NULL, 0);
    check_ph("SELECT ?0", NULL, 0);
    check_ph("SELECT ?99999999999", NULL, 0);
}

#define BOTH(f)                                                                                    \
    {"sqlite_" #f, f, setup, teardown, &be_sqlite},                                                \
    {                                                                                              \
        "pg_" #f, f, setup, teardown, &be_pg                                                       \
    }
#define SQLITE(f)                                                                                  \
    {                                                                                              \
#f, f, setup, teardown, &be_sqlite                                                         \
    }
#define PG(f)                                                                                      \
    {                                                                                              \
#f, f, setup, teardown, &be_pg                                                             \
    }
#define NODB(f)                                                                                    \
    {                                                                                              \
#f, f, NULL, NULL, NULL                                                                    \
    }

int main(void)
{
    const struct CMUnitTest tests[] = {
        NODB(ddl_translation),
        NODB(placeholder_rewrite),
        NODB(pg_mask_uri),
        BOTH(bind_step_columns),
        BOTH(returning_and_do_nothing),
        BOTH(reset_clears_bindings),
        BOTH(placeholders_reused_and_quoted),
        BOTH(constraint_is_conflict),
        BOTH(rollback_leaves_nothing),
        BOTH(serial_serialises),
        BOTH(hash_matches_hmac),
        BOTH(data_version_changes),
        SQLITE(sqlite_noops),
        PG(pg_prepare_checks_sql),
        PG(pg_sqlstate_mapping),
        PG(pg_failed_tx_commit),
        PG(pg_lock_timeout_is_retry),
        PG(pg_values_stay_out_of_messages),
        PG(pg_notify_on_commit_only),
        PG(pg_fence_follows_the_session),
        PG(pg_reconnects_after_restart),
        PG(pg_a_frozen_server_is_given_up),
        PG(pg_wait_survives_restart),
        PG(pg_lost_inside_a_transaction),
        NODB(pg_open_masks_password),
        PG(pg_uri_values_win),
        PG(pg_ddl_runs),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

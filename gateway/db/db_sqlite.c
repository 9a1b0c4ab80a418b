/*
 * db_sqlite.c - the SQLite driver of db.h: the embedded default.
 *
 * Statements are SQLite's own, prepared persistent; the codes map onto
 * enum db_rc. A transaction is BEGIN IMMEDIATE either way (SQLite has one
 * writer at a time), with a busy handler that polls every 50-200 us rather
 * than SQLite's own sleeps growing to 100 ms: the other writer's
 * transaction is a group commit, well under a millisecond. peerline_hash()
 * is a function of the connection, keyed by db_hash_key().
 */
#include "db_priv.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct db_sqlite {
    struct db base;
    sqlite3 *db;
    int busy_ms;           /* how long a statement waits for another writer */
    int64_t busy_since;    /* CLOCK_MONOTONIC us when the current wait began */
    unsigned char key[32]; /* peerline_hash()'s key */
};

struct db_sqlite_stmt {
    struct db_stmt base;
    struct db_sqlite *db;
    sqlite3_stmt *st;
};

#define DB(d)   ((struct db_sqlite *)(d))
#define STMT(p) ((struct db_sqlite_stmt *)(p))

static int map_rc(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
        return DB_OK;
    case SQLITE_ROW:
        return DB_ROW;
    case SQLITE_DONE:
        return DB_DONE;
    case SQLITE_CONSTRAINT:
        return DB_CONFLICT;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return DB_RETRY;
    default:
        return DB_ERROR;
    }
}

/* See the file's comment: poll fast, up to busy_ms in all. */
static int busy_wait(void *arg, int count)
{
    struct db_sqlite *d = arg;
    struct timespec ts;
    int64_t now;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    now = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    if (count == 0)
        d->busy_since = now;
    if (now - d->busy_since >= (int64_t)d->busy_ms * 1000)
        return 0; /* give up: SQLITE_BUSY */
    ts.tv_sec = 0;
    ts.tv_nsec = (count < 2 ? 50 : count < 10 ? 100 : 200) * 1000L;
    nanosleep(&ts, NULL);
    return 1;
}

static void s_close(struct db *db)
{
    struct db_sqlite *d = DB(db);

    sqlite3_close(d->db);
    memset(d->key, 0, sizeof(d->key));
    free(d);
}

static struct db *s_open(const char *path, char *err, size_t errlen)
{
    struct db_sqlite *d = calloc(1, sizeof(*d));

    if (!d) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    d->base.drv = &db_driver_sqlite;
    if (sqlite3_open_v2(path, &d->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        snprintf(err, errlen, "cannot open database %s: %s", path,
                 d->db ? sqlite3_errmsg(d->db) : "out of memory");
        s_close(&d->base);
        return NULL;
    }
    d->busy_ms = 10000;
    sqlite3_busy_handler(d->db, busy_wait, d);
    return &d->base;
}

static int s_exec(struct db *db, const char *sql)
{
    return map_rc(sqlite3_exec(DB(db)->db, sql, NULL, NULL, NULL));
}

static struct db_stmt *s_prepare(struct db *db, const char *sql)
{
    struct db_sqlite_stmt *p = calloc(1, sizeof(*p));

    if (!p)
        return NULL;
    p->base.drv = &db_driver_sqlite;
    p->db = DB(db);
    if (sqlite3_prepare_v3(DB(db)->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &p->st, NULL) !=
            SQLITE_OK ||
        !p->st) {
        sqlite3_finalize(p->st);
        free(p);
        return NULL;
    }
    return &p->base;
}

static void s_finalize(struct db_stmt *p)
{
    sqlite3_finalize(STMT(p)->st);
    free(p);
}

static void s_reset(struct db_stmt *p)
{
    sqlite3_reset(STMT(p)->st);
    sqlite3_clear_bindings(STMT(p)->st);
}

static int s_bind_int64(struct db_stmt *p, int idx, int64_t v)
{
    return map_rc(sqlite3_bind_int64(STMT(p)->st, idx, v));
}

static int s_bind_text(struct db_stmt *p, int idx, const char *v)
{
    if (!v)
        return map_rc(sqlite3_bind_null(STMT(p)->st, idx));
    return map_rc(sqlite3_bind_text(STMT(p)->st, idx, v, -1, SQLITE_TRANSIENT));
}

static int s_bind_null(struct db_stmt *p, int idx)
{
    return map_rc(sqlite3_bind_null(STMT(p)->st, idx));
}

static int s_bind_blob(struct db_stmt *p, int idx, const void *v, size_t n)
{
    return map_rc(sqlite3_bind_blob64(STMT(p)->st, idx, v, n, SQLITE_TRANSIENT));
}

static int s_step(struct db_stmt *p)
{
    return map_rc(sqlite3_step(STMT(p)->st));
}

static int s_col_null(struct db_stmt *p, int col)
{
    return sqlite3_column_type(STMT(p)->st, col) == SQLITE_NULL;
}

static int64_t s_col_int64(struct db_stmt *p, int col)
{
    return sqlite3_column_int64(STMT(p)->st, col);
}

static const char *s_col_text(struct db_stmt *p, int col)
{
    return (const char *)sqlite3_column_text(STMT(p)->st, col);
}

static const void *s_col_blob(struct db_stmt *p, int col, size_t *n)
{
    const void *v = sqlite3_column_blob(STMT(p)->st, col);

    *n = (size_t)sqlite3_column_bytes(STMT(p)->st, col);
    return v;
}

static const char *s_stmt_sql(const struct db_stmt *p)
{
    const char *sql = sqlite3_sql(STMT(p)->st);

    return sql ? sql : "?";
}

static int64_t s_changes(struct db *db)
{
    return sqlite3_changes64(DB(db)->db);
}

static const char *s_errmsg(struct db *db)
{
    return sqlite3_errmsg(DB(db)->db);
}

static int s_begin(struct db *db, enum db_begin how)
{
    (void)how; /* one writer at a time either way */
    return s_exec(db, "BEGIN IMMEDIATE");
}

static int s_commit(struct db *db)
{
    return s_exec(db, "COMMIT");
}

static int s_in_tx(struct db *db)
{
    return !sqlite3_get_autocommit(DB(db)->db);
}

static int s_rollback(struct db *db)
{
    return s_in_tx(db) ? s_exec(db, "ROLLBACK") : DB_OK;
}

static void s_busy_timeout(struct db *db, int ms)
{
    DB(db)->busy_ms = ms;
}

static int s_checkpoint(struct db *db, int truncate)
{
    int rc = sqlite3_wal_checkpoint_v2(
        DB(db)->db, NULL, truncate ? SQLITE_CHECKPOINT_TRUNCATE : SQLITE_CHECKPOINT_PASSIVE, NULL,
        NULL);

    if (rc == SQLITE_BUSY)
        return truncate ? DB_RETRY : DB_OK;
    return rc == SQLITE_OK ? DB_OK : DB_ERROR;
}

static int s_lazy_sync(struct db *db)
{
    return s_exec(db, "PRAGMA synchronous=NORMAL");
}

/* peerline_hash(text): see db.h. */
static void sql_hash(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const struct db_sqlite *d = sqlite3_user_data(ctx);
    const unsigned char *in = sqlite3_value_text(argv[0]);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0, i;
    char out[2 + 32 + 1];

    (void)argc;
    if (!in) {
        sqlite3_result_null(ctx);
        return;
    }
    if (!HMAC(EVP_sha256(), d->key, (int)sizeof(d->key), in, (size_t)sqlite3_value_bytes(argv[0]),
              mac, &n) ||
        n < 16) {
        sqlite3_result_error(ctx, "peerline_hash: HMAC failed", -1);
        return;
    }
    out[0] = 'h';
    out[1] = ':';
    for (i = 0; i < 16; i++)
        snprintf(out + 2 + 2 * i, 3, "%02x", mac[i]);
    sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
}

static int s_hash_key(struct db *db, const unsigned char key[32])
{
    struct db_sqlite *d = DB(db);

    memcpy(d->key, key, sizeof(d->key));
    return map_rc(sqlite3_create_function_v2(d->db, "peerline_hash", 1,
                                             SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY,
                                             d, sql_hash, NULL, NULL, NULL));
}

/* PRAGMA data_version: changes when another connection commits. */
static int64_t s_data_version(struct db *db)
{
    sqlite3_stmt *p = NULL;
    int64_t v = -1;

    if (sqlite3_prepare_v2(DB(db)->db, "PRAGMA data_version", -1, &p, NULL) == SQLITE_OK &&
        sqlite3_step(p) == SQLITE_ROW)
        v = sqlite3_column_int64(p, 0);
    sqlite3_finalize(p);
    return v;
}

const struct db_driver db_driver_sqlite = {
    .kind = DB_SQLITE,
    .open = s_open,
    .close = s_close,
    .exec = s_exec,
    .exec_schema = s_exec,
    .prepare = s_prepare,
    .finalize = s_finalize,
    .reset = s_reset,
    .bind_int64 = s_bind_int64,
    .bind_text = s_bind_text,
    .bind_null = s_bind_null,
    .bind_blob = s_bind_blob,
    .step = s_step,
    .col_null = s_col_null,
    .col_int64 = s_col_int64,
    .col_text = s_col_text,
    .col_blob = s_col_blob,
    .stmt_sql = s_stmt_sql,
    .changes = s_changes,
    .errmsg = s_errmsg,
    .begin = s_begin,
    .commit = s_commit,
    .rollback = s_rollback,
    .in_tx = s_in_tx,
    .busy_timeout = s_busy_timeout,
    .checkpoint = s_checkpoint,
    .lazy_sync = s_lazy_sync,
    .hash_key = s_hash_key,
    .data_version = s_data_version,
};

/*
 * db.c - picks the driver a database spec names and hands every call to it
 * (db_priv.h's table). A driver without an optional function gets the
 * no-op db.h promises.
 */
#include "db_priv.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int db_is_uri(const char *spec)
{
    return spec && (!strncmp(spec, "postgresql://", 13) || !strncmp(spec, "postgres://", 11));
}

struct db *db_open(const char *spec, char *err, size_t errlen)
{
    const struct db_driver *drv = db_is_uri(spec) ? &db_driver_pg : &db_driver_sqlite;

    return drv->open(spec, err, errlen);
}

void db_close(struct db *db)
{
    if (db)
        db->drv->close(db);
}

enum db_kind db_kind(const struct db *db)
{
    return db->drv->kind;
}

int db_exec(struct db *db, const char *sql)
{
    return db->drv->exec(db, sql);
}

int db_exec_schema(struct db *db, const char *ddl)
{
    return db->drv->exec_schema(db, ddl);
}

struct db_stmt *db_prepare(struct db *db, const char *sql)
{
    return db->drv->prepare(db, sql);
}

void db_finalize(struct db_stmt *p)
{
    if (p)
        p->drv->finalize(p);
}

/*
 * A statement that failed to prepare is NULL: binding and stepping it fail
 * like any error, so callers need no check of their own between the two.
 */
void db_reset(struct db_stmt *p)
{
    if (p)
        p->drv->reset(p);
}

int db_bind_int64(struct db_stmt *p, int idx, int64_t v)
{
    return !p ? DB_ERROR : p->drv->bind_int64(p, idx, v);
}

int db_bind_text(struct db_stmt *p, int idx, const char *v)
{
    return !p ? DB_ERROR : p->drv->bind_text(p, idx, v);
}

int db_bind_null(struct db_stmt *p, int idx)
{
    return !p ? DB_ERROR : p->drv->bind_null(p, idx);
}

int db_bind_blob(struct db_stmt *p, int idx, const void *v, size_t n)
{
    return !p ? DB_ERROR : p->drv->bind_blob(p, idx, v, n);
}

int db_step(struct db_stmt *p)
{
    return !p ? DB_ERROR : p->drv->step(p);
}

int db_run_many(struct db_stmt *p, size_t n, int (*bind)(void *arg, size_t i, struct db_stmt *p),
                int (*row)(void *arg, size_t i, struct db_stmt *p), void *arg)
{
    size_t i;
    int rc;

    if (!p)
        return DB_ERROR;
    if (p->drv->run_many)
        return p->drv->run_many(p, n, bind, row, arg);
    for (i = 0; i < n; i++) {
        db_reset(p);
        if ((rc = bind(arg, i, p)))
            return rc;
        while ((rc = db_step(p)) == DB_ROW)
            if (row && (rc = row(arg, i, p)))
                break;
        db_reset(p);
        if (rc != DB_DONE)
            return rc == DB_ROW ? DB_ERROR : rc;
    }
    return DB_OK;
}

int db_col_null(struct db_stmt *p, int col)
{
    return !p ? 1 : p->drv->col_null(p, col);
}

int64_t db_col_int64(struct db_stmt *p, int col)
{
    return !p ? 0 : p->drv->col_int64(p, col);
}

const char *db_col_text(struct db_stmt *p, int col)
{
    return !p ? NULL : p->drv->col_text(p, col);
}

const void *db_col_blob(struct db_stmt *p, int col, size_t *n)
{
    *n = 0;
    return !p ? NULL : p->drv->col_blob(p, col, n);
}

const char *db_stmt_sql(const struct db_stmt *p)
{
    return p->drv->stmt_sql(p);
}

int64_t db_changes(struct db *db)
{
    return db->drv->changes(db);
}

const char *db_errmsg(struct db *db)
{
    return db ? db->drv->errmsg(db) : "no database";
}

int db_begin(struct db *db, enum db_begin how)
{
    return db->drv->begin(db, how);
}

int db_commit(struct db *db)
{
    return db->drv->commit(db);
}

int db_rollback(struct db *db)
{
    return db->drv->rollback(db);
}

int db_in_tx(struct db *db)
{
    return db->drv->in_tx(db);
}

void db_busy_timeout(struct db *db, int ms)
{
    if (db->drv->busy_timeout)
        db->drv->busy_timeout(db, ms);
}

void db_deadline(struct db *db, int ms)
{
    if (db->drv->deadline)
        db->drv->deadline(db, ms);
}

int db_checkpoint(struct db *db, int truncate)
{
    return db->drv->checkpoint ? db->drv->checkpoint(db, truncate) : DB_OK;
}

int db_lazy_sync(struct db *db)
{
    return db->drv->lazy_sync ? db->drv->lazy_sync(db) : DB_OK;
}

int db_hash_key(struct db *db, const unsigned char key[32])
{
    return db->drv->hash_key ? db->drv->hash_key(db, key) : DB_OK;
}

int64_t db_data_version(struct db *db)
{
    return db->drv->data_version ? db->drv->data_version(db) : -1;
}

void db_fence(struct db *db, int64_t key)
{
    if (db->drv->fence)
        db->drv->fence(db, key);
}

int db_fence_hold(struct db *db)
{
    return db->drv->fence_hold ? db->drv->fence_hold(db) : DB_OK;
}

int64_t db_fence_epoch(struct db *db)
{
    return db->drv->fence_epoch ? db->drv->fence_epoch(db) : 0;
}

int db_notify(struct db *db, const char *channel)
{
    return db->drv->notify ? db->drv->notify(db, channel) : DB_OK;
}

int db_listen(struct db *db, const char *channel)
{
    return db->drv->listen ? db->drv->listen(db, channel) : DB_OK;
}

int db_wait(struct db *db, int ms, char *channel, size_t n)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    if (db->drv->wait)
        return db->drv->wait(db, ms, channel, n);
    nanosleep(&ts, NULL);
    return 0;
}

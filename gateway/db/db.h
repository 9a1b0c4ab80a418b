/*
 * db.h - one thin SQL interface over two drivers: SQLite (db_sqlite.c, the
 * embedded default) and PostgreSQL through libpq (db_pg.c). The store keeps
 * one set of SQL and speaks only this; what truly differs between the two
 * dialects lives in the drivers (placeholders, column types in DDL, what a
 * transaction locks) or in the few statements the store overrides.
 *
 * The shape follows SQLite's own API, so a statement is prepared once,
 * bound, stepped row by row and reset for reuse:
 *
 *     struct db_stmt *p = db_prepare(db, "SELECT a FROM t WHERE id = ?1");
 *     db_bind_int64(p, 1, id);
 *     while ((rc = db_step(p)) == DB_ROW)
 *         use(db_col_text(p, 0));
 *     db_reset(p);
 *
 * SQL uses ?N placeholders (numbered from 1, no gaps); the PostgreSQL
 * driver turns them into $N. A handle belongs to one thread at a time.
 *
 * Connections to PostgreSQL are re-made on the first statement after one
 * was lost (never inside a transaction: that statement and every later one
 * up to the rollback fail). On PostgreSQL a failed statement aborts the
 * whole transaction (SQLite's does not): roll back to a savepoint, or roll
 * the transaction back.
 *
 * db_fence() names an advisory lock a handle must hold before any statement
 * of it runs, and db_fence_hold() takes it. On a fenced handle a lost
 * connection is reported once as DB_GONE; after that every statement fails
 * with DB_FENCED until db_fence_hold() takes the lock again (the epoch,
 * db_fence_epoch, has then grown). Work done under the lock can never be
 * committed by an instance that lost it: the lock and the work share one
 * session.
 */
#ifndef PEERLINE_DB_H
#define PEERLINE_DB_H

#include <stddef.h>
#include <stdint.h>

enum db_rc {
    DB_OK = 0,
    DB_ROW = 100,     /* db_step: a row is ready to read */
    DB_DONE = 101,    /* db_step: the statement ran to its end */
    DB_ERROR = -1,    /* anything else: see db_errmsg() */
    DB_CONFLICT = -2, /* a unique or check constraint refused the change */
    DB_RETRY = -3,    /* busy, deadlock, serialization failure: try the whole transaction again */
    DB_GONE = -4,     /* the connection was lost (PostgreSQL); the next statement reconnects */
    DB_FENCED = -5,   /* a fenced handle does not hold its lock (see db_fence) */
};

enum db_kind { DB_SQLITE, DB_PG };

/* How a transaction begins. */
enum db_begin {
    /*
     * Serialised with every other DB_BEGIN_SERIAL transaction on the
     * database, from any process or instance: SQLite's BEGIN IMMEDIATE; on
     * PostgreSQL, BEGIN and a transaction-scoped advisory lock.
     */
    DB_BEGIN_SERIAL,
    /*
     * PostgreSQL: only row locks, for writers whose statements are safe side
     * by side (unique keys, compare-and-set, SKIP LOCKED claims). SQLite:
     * as DB_BEGIN_SERIAL (it has one writer at a time anyway).
     */
    DB_BEGIN_SHARED,
};

struct db;
struct db_stmt;

/* 1 when spec is a libpq URI (postgresql:// or postgres://), 0 for a file path. */
int db_is_uri(const char *spec);

/*
 * Opens a database: a SQLite file path (which must exist: the store creates
 * it with its mode) or a PostgreSQL URI. NULL with a message in err.
 */
struct db *db_open(const char *spec, char *err, size_t errlen);
void db_close(struct db *db);
enum db_kind db_kind(const struct db *db);

/* Runs a script of statements with no parameters: DB_OK or an error code. */
int db_exec(struct db *db, const char *sql);
/*
 * Runs DDL written in SQLite's words. PostgreSQL's driver first translates
 * the column types: INTEGER PRIMARY KEY is a BIGINT identity, every other
 * INTEGER a BIGINT, BLOB a BYTEA. Nothing else differs in peerline's schema.
 */
int db_exec_schema(struct db *db, const char *ddl);

/* Prepares one statement: NULL on failure (db_errmsg says why). */
struct db_stmt *db_prepare(struct db *db, const char *sql);
void db_finalize(struct db_stmt *p);
/* Ends any step in progress and clears the bindings: ready to bind again. */
void db_reset(struct db_stmt *p);
/* Bindings are copied; idx counts from 1. DB_OK or DB_ERROR. */
int db_bind_int64(struct db_stmt *p, int idx, int64_t v);
int db_bind_text(struct db_stmt *p, int idx, const char *v); /* NULL binds NULL */
int db_bind_null(struct db_stmt *p, int idx);
int db_bind_blob(struct db_stmt *p, int idx, const void *v, size_t n);
/* DB_ROW, DB_DONE or an error (enum db_rc). */
int db_step(struct db_stmt *p);
/*
 * The current row's columns, from 0. Text and blobs stay valid until the
 * next step or reset. An empty blob may be NULL or not: go by *n.
 */
int db_col_null(struct db_stmt *p, int col);
int64_t db_col_int64(struct db_stmt *p, int col);    /* 0 for NULL; PostgreSQL's t/f are 1/0 */
const char *db_col_text(struct db_stmt *p, int col); /* NULL for NULL */
const void *db_col_blob(struct db_stmt *p, int col, size_t *n);
/*
 * Runs p n times inside the caller's transaction, bound for the i-th run by
 * bind(arg, i, p), calling row(arg, i, p) (may be NULL) for each row the
 * i-th run returns. On PostgreSQL the n runs go as one pipeline: one round
 * trip for all of them, not n (a group commit's inserts). On SQLite, one
 * after another. DB_OK, or the first failure (roll the transaction back;
 * on PostgreSQL the runs after a failure do not run).
 */
int db_run_many(struct db_stmt *p, size_t n, int (*bind)(void *arg, size_t i, struct db_stmt *p),
                int (*row)(void *arg, size_t i, struct db_stmt *p), void *arg);
/* The statement's SQL as prepared (for logs: it never holds bound values). */
const char *db_stmt_sql(const struct db_stmt *p);

/* Rows the last finished INSERT, UPDATE or DELETE of this handle changed. */
int64_t db_changes(struct db *db);
/* The last error of this handle, for logs (never contains bound values). */
const char *db_errmsg(struct db *db);

int db_begin(struct db *db, enum db_begin how);
int db_commit(struct db *db);
int db_rollback(struct db *db);
/* 1 inside a transaction (SQLite may have rolled one back by itself after an error). */
int db_in_tx(struct db *db);

/* ---- what only one driver has; a no-op (DB_OK) on the other ---- */

/*
 * How long a statement waits for a lock another connection holds: SQLite's
 * write lock, PostgreSQL's locks (lock_timeout; a session setting, as
 * db_lazy_sync). DB_RETRY when it runs out.
 */
void db_busy_timeout(struct db *db, int ms);
/*
 * PostgreSQL: how long a statement's answer is waited for (0, the default:
 * for ever). Past it the statement is cancelled, and PG_DEADLINE_MARGIN
 * (2 s) later the connection is given up (DB_GONE; remade by the next
 * statement outside a transaction), so a server that stops answering (a
 * stalled disk, a lost synchronous standby) never holds a webhook past
 * Twilio's 15 s. For handles whose statements are short; never for a
 * migration, a purge's VACUUM or a report. SQLite: no-op (its busy
 * timeout bounds the waits there).
 */
void db_deadline(struct db *db, int ms);
/*
 * SQLite: copies what it can of the WAL into the database file without
 * waiting for anyone (passive); truncate: waits for readers, then empties
 * the WAL file (what retention needs: purged text leaves the WAL too).
 * DB_RETRY when a reader kept it from finishing.
 */
int db_checkpoint(struct db *db, int truncate);
/*
 * This handle's commits need not wait for the disk: SQLite's
 * synchronous=NORMAL, PostgreSQL's synchronous_commit=off. Like
 * db_hash_key and db_listen, a session setting: call it outside a
 * transaction (PostgreSQL refuses it inside one, which a rollback would
 * undo); the PostgreSQL driver sets it again after every reconnect.
 */
int db_lazy_sync(struct db *db);
/*
 * peerline_hash(text) in this handle's SQL: "h:" and the first 32 hex digits
 * of HMAC-SHA256(key, text); NULL stays NULL. SQLite: a function of the
 * connection; PostgreSQL: the schema's function, keyed by this session.
 */
int db_hash_key(struct db *db, const unsigned char key[32]);
/* A number that changes whenever another connection commits a change (-1 when unknown). */
int64_t db_data_version(struct db *db);

/*
 * PostgreSQL: every statement of this handle needs the session advisory
 * lock `key` (kept until the connection ends). 0 clears.
 */
void db_fence(struct db *db, int64_t key);
/*
 * DB_OK when this handle holds its fence's lock, taking it if it is free
 * (outside a transaction only); DB_FENCED when another instance holds it;
 * DB_GONE once after a lost connection. The only call that takes the lock:
 * any other statement without it fails with DB_FENCED. SQLite: DB_OK.
 */
int db_fence_hold(struct db *db);
/* How many times this handle has taken its fence's lock: a change means another instance may have
 * led between. */
int64_t db_fence_epoch(struct db *db);

/* PostgreSQL: NOTIFY channel on commit (or at once outside a transaction). */
int db_notify(struct db *db, const char *channel);
/* PostgreSQL: this handle listens on channel (again after every reconnect). */
int db_listen(struct db *db, const char *channel);
/*
 * Waits up to ms for a notification on a channel this handle listens on:
 * 1 with its name in channel (size n), 0 when none came, an error code when
 * the connection is lost (the next call reconnects). SQLite: sleeps, 0.
 */
int db_wait(struct db *db, int ms, char *channel, size_t n);

#endif

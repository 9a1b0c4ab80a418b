/*
 * store_db.c - the statement and transaction layer every store_*.c table
 * file stands on: statements prepared on first use and reset for reuse,
 * binding and stepping helpers, transactions and savepoints, the busy
 * handler, and the write gate that lets the webhooks' writer go first.
 *
 * It knows no table: the SQL of each statement is put in the handle by
 * store_open() (store.c), which sits above the table files.
 */
#include "store_priv.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *const store_sql_core[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",        [ST_SAVEPOINT] = "SAVEPOINT item",
    [ST_RELEASE] = "RELEASE item",     [ST_ROLLBACK_TO] = "ROLLBACK TO item",
    [ST_PING] = "PRAGMA user_version", /* reads the file's header: the disk answers */
};

const char *store_errmsg(struct store *s)
{
    return s && s->db ? sqlite3_errmsg(s->db) : "no database";
}

int store_fail(struct store *s, sqlite3_stmt *p, int rc)
{
    const char *sql = sqlite3_sql(p);
    char head[48];

    /* Only the statement's first words: the SQL text has no values in it anyway. */
    snprintf(head, sizeof(head), "%s", sql ? sql : "?");
    log_warnx("store.error", "rc=%d stmt=\"%s\" err=\"%s\"", rc, head, sqlite3_errmsg(s->db));
    return STORE_ERROR;
}

sqlite3_stmt *store_stmt(struct store *s, enum store_stmt id)
{
    sqlite3_stmt *p = s->st[id];

    if (!p) { /* first use on this handle */
        if (sqlite3_prepare_v3(s->db, s->sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s->st[id],
                               NULL) != SQLITE_OK)
            log_warnx("store.prepare_failed", "stmt=%d err=\"%s\"", (int)id, sqlite3_errmsg(s->db));
        p = s->st[id];
        /*
         * NULL: binding to it and stepping it answer SQLITE_MISUSE, so the
         * caller's step fails as on any error (sqlite3_clear_bindings
         * would not take it).
         */
        if (!p)
            return NULL;
    }
    sqlite3_reset(p);
    sqlite3_clear_bindings(p);
    return p;
}

int store_bind_text(sqlite3_stmt *p, int idx, const char *v)
{
    if (!v || !*v)
        return sqlite3_bind_null(p, idx);
    return sqlite3_bind_text(p, idx, v, -1, SQLITE_TRANSIENT);
}

int store_exec(struct store *s, sqlite3_stmt *p)
{
    int rc = sqlite3_step(p);

    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        store_fail(s, p, rc);
        sqlite3_reset(p);
        return STORE_ERROR;
    }
    sqlite3_reset(p);
    return STORE_OK;
}

int store_exec_cas(struct store *s, sqlite3_stmt *p)
{
    if (store_exec(s, p))
        return STORE_ERROR;
    return sqlite3_changes(s->db) == 1 ? STORE_OK : STORE_CONFLICT;
}

int store_one(struct store *s, sqlite3_stmt *p, int (*read)(sqlite3_stmt *p, void *out), void *out,
              size_t size)
{
    int rc = sqlite3_step(p), found = STORE_FOUND;

    memset(out, 0, size);
    if (rc == SQLITE_ROW && read(p, out))
        found = STORE_ERROR; /* out of memory copying the row */
    else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        store_fail(s, p, rc);
    sqlite3_reset(p);
    return rc == SQLITE_ROW ? found : rc == SQLITE_DONE ? STORE_OK : STORE_ERROR;
}

void store_col_text(sqlite3_stmt *p, int col, char *dst, size_t n)
{
    const unsigned char *t = sqlite3_column_text(p, col);

    snprintf(dst, n, "%s", t ? (const char *)t : "");
}

/*
 * Another connection holds the write lock. SQLite's own busy handler sleeps
 * in steps growing to 100 ms, so a commit that waits behind another (the
 * ingest writer, the engine and the sender all write) could idle tens of
 * milliseconds after the lock was free. This one polls every 50-200 us
 * (the other side's transaction is a group commit: well under a
 * millisecond), up to busy_ms in all.
 */
static int busy_wait(void *arg, int count)
{
    struct store *s = arg;
    struct timespec ts;
    int64_t now;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    now = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
    if (count == 0)
        s->busy_since = now;
    if (now - s->busy_since >= (int64_t)s->busy_ms * 1000)
        return 0; /* give up: SQLITE_BUSY */
    ts.tv_sec = 0;
    ts.tv_nsec = (count < 2 ? 50 : count < 10 ? 100 : 200) * 1000L;
    nanosleep(&ts, NULL);
    return 1;
}

void store_set_busy_timeout(struct store *s, int ms)
{
    s->busy_ms = ms;
    sqlite3_busy_handler(s->db, busy_wait, s);
}

void store_use_gate(struct store *s, struct store_gate *g, int first)
{
    s->gate = g;
    s->gate_first = first;
}

int store_gate_wanted(struct store *s)
{
    return s->gate && !s->gate_first && atomic_load(&s->gate->first_waiting) > 0;
}

static void gate_release(struct store *s)
{
    if (s->gate_held) {
        atomic_fetch_sub(&s->gate->first_waiting, 1);
        s->gate_held = 0;
    }
}

/* Before taking the write lock: the first writer announces itself, the others let it pass. */
static void gate_enter(struct store *s)
{
    struct timespec ts = {0, 50 * 1000L};
    int i;

    if (!s->gate)
        return;
    if (s->gate_first) {
        if (!s->gate_held)
            atomic_fetch_add(&s->gate->first_waiting, 1);
        s->gate_held = 1;
        return;
    }
    for (i = 0; i < STORE_GATE_MS * 20 && atomic_load(&s->gate->first_waiting) > 0; i++)
        nanosleep(&ts, NULL);
}

int store_in_transaction(struct store *s)
{
    return !sqlite3_get_autocommit(s->db);
}

int store_begin(struct store *s)
{
    int rc;

    gate_enter(s);
    rc = store_exec(s, store_stmt(s, ST_BEGIN));
    if (rc)
        gate_release(s);
    return rc;
}

int store_commit(struct store *s)
{
    int rc = store_exec(s, store_stmt(s, ST_COMMIT));

    if (!rc)
        gate_release(s);
    return rc;
}

void store_rollback(struct store *s)
{
    if (!sqlite3_get_autocommit(s->db))
        store_exec(s, store_stmt(s, ST_ROLLBACK));
    gate_release(s);
}

int store_checkpoint(struct store *s)
{
    int rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);

    return rc == SQLITE_OK || rc == SQLITE_BUSY ? 0 : -1;
}

int store_set_lazy_sync(struct store *s)
{
    return sqlite3_exec(s->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

int64_t store_last_id(struct store *s)
{
    return sqlite3_last_insert_rowid(s->db);
}

int store_savepoint(struct store *s)
{
    return store_exec(s, store_stmt(s, ST_SAVEPOINT));
}

int store_release(struct store *s)
{
    return store_exec(s, store_stmt(s, ST_RELEASE));
}

int store_rollback_to(struct store *s)
{
    /* ROLLBACK TO keeps the savepoint open: release it too. */
    if (store_exec(s, store_stmt(s, ST_ROLLBACK_TO)))
        return -1;
    return store_release(s);
}

int store_ping(struct store *s)
{
    sqlite3_stmt *p = store_stmt(s, ST_PING);
    int rc = sqlite3_step(p);

    sqlite3_reset(p);
    return rc == SQLITE_ROW ? 0 : -1;
}

/*
 * store_db.c - the statement and transaction layer every store_*.c table
 * file stands on, over db.h: statements prepared on first use and reset
 * for reuse, binding and stepping helpers, transactions and savepoints,
 * and the write gate that lets the webhooks' writer go first (SQLite only:
 * PostgreSQL has no single write lock).
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
    [ST_SAVEPOINT] = "SAVEPOINT item",
    [ST_RELEASE] = "RELEASE SAVEPOINT item",
    [ST_ROLLBACK_TO] = "ROLLBACK TO SAVEPOINT item",
    [ST_PING] = "PRAGMA user_version", /* reads the file's header: the disk answers */
};

const char *store_errmsg(struct store *s)
{
    return s && s->db ? db_errmsg(s->db) : "no database";
}

int store_fail(struct store *s, struct db_stmt *p, int rc)
{
    char head[48];

    /* Only the statement's first words: the SQL text has no values in it anyway. */
    snprintf(head, sizeof(head), "%s", p ? db_stmt_sql(p) : "?");
    log_warnx("store.error", "rc=%d stmt=\"%s\" err=\"%s\"", rc, head, db_errmsg(s->db));
    return STORE_ERROR;
}

struct db_stmt *store_stmt(struct store *s, enum store_stmt id)
{
    struct db_stmt *p = s->st[id];

    if (!p) { /* first use on this handle */
        p = s->st[id] = db_prepare(s->db, s->sql[id]);
        /* NULL: binding to it and stepping it fail as on any error (db.h). */
        if (!p) {
            log_warnx("store.prepare_failed", "stmt=%d err=\"%s\"", (int)id, db_errmsg(s->db));
            return NULL;
        }
    }
    db_reset(p);
    return p;
}

int store_bind_text(struct db_stmt *p, int idx, const char *v)
{
    if (!v || !*v)
        return db_bind_null(p, idx);
    return db_bind_text(p, idx, v);
}

int store_exec(struct store *s, struct db_stmt *p)
{
    int rc = db_step(p);

    if (rc != DB_DONE && rc != DB_ROW) {
        store_fail(s, p, rc);
        db_reset(p);
        return STORE_ERROR;
    }
    db_reset(p);
    return STORE_OK;
}

int store_insert(struct store *s, struct db_stmt *p)
{
    int rc = db_step(p), ret = STORE_OK;

    if (rc == DB_ROW) {
        s->last_id = db_col_int64(p, 0);
        ret = STORE_NEW;
        /*
         * Stepped to its end: outside a transaction SQLite commits the
         * statement only then, and a commit that fails (a full disk) says
         * so only there.
         */
        rc = db_step(p);
    }
    if (rc != DB_DONE)
        ret = store_fail(s, p, rc);
    db_reset(p);
    return ret;
}

int64_t store_last_id(struct store *s)
{
    return s->last_id;
}

int store_exec_cas(struct store *s, struct db_stmt *p)
{
    if (store_exec(s, p))
        return STORE_ERROR;
    return db_changes(s->db) == 1 ? STORE_OK : STORE_CONFLICT;
}

int store_one(struct store *s, struct db_stmt *p, int (*read)(struct db_stmt *p, void *out),
              void *out, size_t size)
{
    int rc = db_step(p), found = STORE_FOUND;

    memset(out, 0, size);
    if (rc == DB_ROW && read(p, out))
        found = STORE_ERROR; /* out of memory copying the row */
    else if (rc != DB_ROW && rc != DB_DONE)
        store_fail(s, p, rc);
    db_reset(p);
    return rc == DB_ROW ? found : rc == DB_DONE ? STORE_OK : STORE_ERROR;
}

void store_col_text(struct db_stmt *p, int col, char *dst, size_t n)
{
    const char *t = db_col_text(p, col);

    snprintf(dst, n, "%s", t ? (const char *)t : "");
}

void store_set_busy_timeout(struct store *s, int ms)
{
    db_busy_timeout(s->db, ms);
}

void store_set_deadline(struct store *s, int ms)
{
    db_deadline(s->db, ms);
}

void store_use_gate(struct store *s, struct store_gate *g, int first)
{
    /* PostgreSQL has no single write lock: the webhooks' writer waits for no one there. */
    s->gate = db_kind(s->db) == DB_SQLITE ? g : NULL;
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
    return db_in_tx(s->db);
}

static int begin(struct store *s, enum db_begin how)
{
    int rc;

    gate_enter(s);
    rc = db_begin(s->db, how);
    if (rc) {
        log_warnx("store.error", "rc=%d stmt=\"BEGIN\" err=\"%s\"", rc, db_errmsg(s->db));
        gate_release(s);
        return STORE_ERROR;
    }
    return STORE_OK;
}

int store_begin(struct store *s)
{
    return begin(s, DB_BEGIN_SERIAL);
}

int store_begin_shared(struct store *s)
{
    return begin(s, DB_BEGIN_SHARED);
}

int store_commit(struct store *s)
{
    int rc = db_commit(s->db);

    if (rc) {
        log_warnx("store.error", "rc=%d stmt=\"COMMIT\" err=\"%s\"", rc, db_errmsg(s->db));
        return STORE_ERROR;
    }
    gate_release(s);
    return STORE_OK;
}

void store_rollback(struct store *s)
{
    db_rollback(s->db);
    gate_release(s);
}

int store_checkpoint(struct store *s)
{
    return db_checkpoint(s->db, 0) ? -1 : 0;
}

int store_set_lazy_sync(struct store *s)
{
    return db_lazy_sync(s->db) ? -1 : 0;
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

/* The engine's lock: any number no other peerline lock uses ("peerline" in ASCII). */
#define LEAD_KEY 0x7065657266696e65LL

int store_lead(struct store *s, int *took)
{
    int64_t epoch;
    int rc;

    if (!s->leading) {
        db_fence(s->db, LEAD_KEY);
        s->leading = 1;
        s->lead_epoch = -1;
    }
    rc = db_fence_hold(s->db);
    if (rc == DB_GONE) /* said once: the connection is remade by the next try */
        rc = db_fence_hold(s->db);
    *took = 0;
    /*
     * Held: no round trip (the engine's run right after is the test of the
     * connection; a failure there is said here on the next call).
     */
    if (rc != DB_OK)
        return 0;
    epoch = db_fence_epoch(s->db);
    *took = epoch != s->lead_epoch;
    s->lead_epoch = epoch;
    return 1;
}

int store_notify(struct store *s, const char *channel)
{
    return db_notify(s->db, channel) ? -1 : 0;
}

int store_listen(struct store *s, const char *channel)
{
    return db_listen(s->db, channel) ? -1 : 0;
}

int store_wait(struct store *s, int ms, char *channel, size_t n)
{
    int rc = db_wait(s->db, ms, channel, n);

    return rc < 0 ? -1 : rc;
}

int store_ping(struct store *s)
{
    struct db_stmt *p = store_stmt(s, ST_PING);
    int rc = db_step(p);

    db_reset(p);
    return rc == DB_ROW ? 0 : -1;
}

/*
 * db_pg.c - the PostgreSQL driver behind db.h, over libpq (the shape of
 * Dovecot's lib-sql driver-pgsql.c and PowerDNS's spgsql.cc). It owns:
 *
 *  - the connection: opened from the URI with keepalives, tcp_user_timeout
 *    and connect_timeout defaults (the URI's own values win), and the same
 *    for the server's end of the session, so a cut-off connection is
 *    noticed in seconds on both sides (and its locks move); when it is
 *    lost, remade (PQreset) by the next statement outside a transaction,
 *    with this session's settings replayed (synchronous_commit, the hash
 *    pads, LISTENs). Inside a transaction every statement fails until
 *    db_rollback: nothing of a transaction may run on a new connection as
 *    if it were still open. A dead connection the server has already
 *    closed is found by a poll before a statement is sent (no round trip).
 *  - statements: ?N rewritten to $N (nothing else is rewritten), prepared
 *    on the server at db_prepare (so the store's SQL is checked when it
 *    opens) under a name unique in this handle, prepared again on a new
 *    connection, and dropped from the server at db_finalize; values bound
 *    as text; run by the first step.
 *  - errors: SQLSTATE to enum db_rc (FreeRADIUS rlm_sql_postgresql's way);
 *    messages hold the server's primary message only, never a bound value
 *    (no DETAIL; quoted parts of data errors cut) and never a password.
 *  - transactions: BEGIN, or BEGIN with the one transaction-scoped advisory
 *    lock every DB_BEGIN_SERIAL takes; COMMIT checked for a silent rollback.
 *  - the fence: a fenced handle takes its session advisory lock before any
 *    statement runs when it does not hold it (a new connection); the lock
 *    and the handle's writes share one session, so an instance that lost
 *    its connection can never commit under a lock another has taken since.
 *  - LISTEN/NOTIFY, and waiting on the connection's socket.
 *
 * SQLite DDL is translated only on request (db_pg_ddl, db_pg.h).
 */
#include "db_pg.h"
#include "db_priv.h"

#include "buf.h"
#include "form.h"
#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libpq-fe.h>

#define PG_ERRLEN      512
#define PG_MSGLEN      2048
#define PG_MAX_LISTEN  16
#define PG_CHANNEL_MAX 63 /* NAMEDATALEN - 1 */
#define PG_SECRETS     4
/* A statement's answer is awaited its lock wait and this much more (pg_await). */
#define PG_DEADLINE_MARGIN 2000

struct pg_db {
    struct db base;
    PGconn *conn;
    char err[PG_ERRLEN];
    char *secret[PG_SECRETS]; /* the URI's passwords, as written and decoded: never in a message */
    int64_t changes;
    uint64_t epoch;     /* this connection's number: +1 on every (re)connect */
    unsigned next_name; /* statement names, unique for the handle's life */
    int lost;           /* the connection is gone: remade by the next statement outside a tx */
    int lost_in_tx;     /* ... and it was lost inside a transaction: fail until db_rollback */
    int lost_unsaid;    /* a fenced handle's loss no statement has reported yet */
    int tx_rc;          /* the first failure inside the open transaction (DB_OK if none) */
    /* Session settings, replayed on every new connection. */
    int own_options; /* the URI sets options=: no server keepalives of ours */
    int lazy;
    int lock_timeout_ms; /* db_busy_timeout: 0, PostgreSQL's default (wait for ever) */
    int deadline_ms;     /* db_deadline: an answer's wait before cancelling (0: none) */
    int gave_up;         /* the last loss was a server that did not answer (pg_wait_ready) */
    int hashed;
    char ipad[129], opad[129];
    char listen[PG_MAX_LISTEN][PG_CHANNEL_MAX + 1];
    int nlisten;
    int woken; /* a new connection may have missed notifications: db_wait says so once */
    /* The fence. */
    int64_t fence_key; /* 0: not fenced */
    int fence_held;
    int fence_taking; /* inside db_fence_hold: the only place the lock is taken */
    int64_t fence_epoch;
};

enum pg_state { PG_READY, PG_ROWS, PG_DONE };

struct pg_stmt {
    struct db_stmt base;
    struct pg_db *db;
    char *sql;   /* as given (db_stmt_sql) */
    char *pgsql; /* with $N */
    char name[24];
    uint64_t epoch; /* the connection it is prepared on; 0: none */
    int nparams;
    char **vals; /* text values, NULL for NULL */
    PGresult *res;
    int row;
    enum pg_state state;
    unsigned char **blobs; /* unescaped bytea of this row, one per column */
    int nblobs;
};

/* ---- messages ---- */

/* Replaces every occurrence of the handle's secrets in s by ***. */
static void pg_redact(struct pg_db *d, char *s, size_t n)
{
    char out[PG_MSGLEN];
    const char *p, *hit;
    size_t o, len, i;

    for (i = 0; i < PG_SECRETS; i++) {
        if (!d->secret[i] || !(len = strlen(d->secret[i])) || !strstr(s, d->secret[i]))
            continue;
        o = 0;
        p = s;
        while ((hit = strstr(p, d->secret[i])) && o + (size_t)(hit - p) + 4 < sizeof(out)) {
            memcpy(out + o, p, (size_t)(hit - p));
            o += (size_t)(hit - p);
            memcpy(out + o, "***", 3);
            o += 3;
            p = hit + len;
        }
        if (hit) /* out of room: cut here, the secret not copied */
            p = "";
        snprintf(out + o, sizeof(out) - o, "%s", p);
        snprintf(s, n, "%s", out);
    }
}

/* Newlines and tabs of libpq's messages to "; " and spaces: one log line. */
static void pg_flatten(char *s)
{
    size_t len = strlen(s);
    char *p;

    while (len && (s[len - 1] == '\n' || s[len - 1] == ' '))
        s[--len] = '\0';
    for (p = s; *p; p++) {
        if (*p == '\n')
            *p = ';';
        else if (*p == '\t' || *p == '\r')
            *p = ' ';
    }
}

static int pg_fail(struct pg_db *d, int rc, const char *fmt, ...) LOG_PRINTF(3, 4);

static int pg_fail(struct pg_db *d, int rc, const char *fmt, ...)
{
    char msg[PG_MSGLEN]; /* redacted before it is cut to PG_ERRLEN: no half password left */
    va_list ap;
    size_t len;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    pg_flatten(msg);
    pg_redact(d, msg, sizeof(msg));
    len = strnlen(msg, sizeof(d->err) - 1);
    memcpy(d->err, msg, len);
    d->err[len] = '\0';
    return rc;
}

/*
 * The server's primary message, fit for a log: in a data exception (class
 * 22: bad input syntax, out of range, bad encoding) the message may quote
 * the value or its bytes, so it is cut at the first colon or "0x", and
 * quoted parts are blanked.
 */
static void pg_primary(const PGresult *res, const char *state, char *out, size_t n)
{
    const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    size_t o = 0;
    int quoted = 0;

    if (!msg)
        msg = PQresultErrorMessage(res);
    if (!state || strncmp(state, "22", 2)) {
        snprintf(out, n, "%s", msg);
        return;
    }
    for (; *msg && *msg != ':' && strncmp(msg, "0x", 2) && o + 4 < n; msg++) {
        if (*msg == '"') {
            quoted = !quoted;
            if (quoted) {
                memcpy(out + o, "\"...", 4);
                o += 4;
            } else {
                out[o++] = '"';
            }
        } else if (!quoted) {
            out[o++] = *msg;
        }
    }
    out[o] = '\0';
}

/* ---- the connection ---- */

static int pg_tx_open(struct pg_db *d)
{
    PGTransactionStatusType t;

    if (d->lost)
        return d->lost_in_tx;
    t = PQtransactionStatus(d->conn);
    return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

/* The connection is gone: remade by the next statement outside a transaction. */
static void pg_lose(struct pg_db *d, int in_tx)
{
    if (!d->lost)
        log_warnx("db.pg_lost", "epoch=%" PRIu64 " in_tx=%d fenced=%d", d->epoch, in_tx,
                  d->fence_key != 0);
    d->lost = 1;
    d->lost_in_tx = in_tx;
    d->fence_held = 0;
}

/* SQLSTATE to enum db_rc. */
static int pg_map(const char *state)
{
    if (!state || strlen(state) != 5)
        return DB_ERROR;
    if (!strncmp(state, "23", 2))
        return DB_CONFLICT;
    if (!strcmp(state, "40001") || !strcmp(state, "40P01") || !strcmp(state, "55P03"))
        return DB_RETRY;
    if (!strncmp(state, "08", 2) || !strcmp(state, "57P01") || !strcmp(state, "57P02") ||
        !strcmp(state, "57P03"))
        return DB_GONE;
    return DB_ERROR;
}

/*
 * A result to DB_OK or an error code with its message; the connection
 * marked lost when it is (in_tx: whether a transaction was open before).
 * Takes res (may be NULL) but does not free it.
 */
static int pg_check(struct pg_db *d, const PGresult *res, int in_tx)
{
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    const char *state;
    char msg[PG_ERRLEN / 2];
    int rc;

    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY)
        return DB_OK;
    if (!res && d->lost && d->gave_up) {
        d->gave_up = 0;
        return pg_fail(d, DB_GONE, "the database did not answer in time: connection given up");
    }
    state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    rc = pg_map(state);
    if (PQstatus(d->conn) == CONNECTION_BAD || d->lost)
        rc = DB_GONE;
    if (rc == DB_GONE)
        pg_lose(d, in_tx);
    else if (in_tx && d->tx_rc == DB_OK)
        d->tx_rc = rc;
    if (state && res) {
        pg_primary(res, state, msg, sizeof(msg));
        return pg_fail(d, rc, "%s (SQLSTATE %s)", msg, state);
    }
    if (res && st != PGRES_FATAL_ERROR && st != PGRES_NONFATAL_ERROR)
        return pg_fail(d, DB_ERROR, "unexpected result %s", PQresStatus(st));
    return pg_fail(d, rc, "%s", PQerrorMessage(d->conn));
}

/* Milliseconds on the monotonic clock. */
static int64_t pg_mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* PQcancel waits for the server to hang up: on a frozen server, for ever. Sent from its own thread.
 */
static void *pg_cancel_thread(void *arg)
{
    PGcancel *c = arg;
    char why[64];

    (void)PQcancel(c, why, (int)sizeof(why));
    PQfreeCancel(c);
    return NULL;
}

static void pg_cancel(struct pg_db *d)
{
    PGcancel *c = PQgetCancel(d->conn);
    pthread_attr_t at;
    pthread_t t;

    if (!c)
        return;
    if (pthread_attr_init(&at)) {
        PQfreeCancel(c); /* no cancel: the give-up still bounds the wait */
        return;
    }
    if (pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED) ||
        pthread_create(&t, &at, pg_cancel_thread, c))
        PQfreeCancel(c);
    pthread_attr_destroy(&at);
}

/*
 * Waits until an answer can be read without blocking (!PQisBusy). With a
 * deadline (*deadline, monotonic ms; 0: none) a server that does not
 * answer in time has the statement cancelled and PG_DEADLINE_MARGIN more;
 * after that the connection is given up: its socket shut, so the server
 * ends the session and lets go of its locks, and the handle marked lost
 * (in_tx: whether the caller had a transaction open). 0, or -1 (lost).
 */
static int pg_wait_ready(struct pg_db *d, int64_t *deadline, int *cancelled, int in_tx)
{
    while (PQisBusy(d->conn)) {
        struct pollfd pfd = {PQsocket(d->conn), POLLIN, 0};
        int64_t left = *deadline ? *deadline - pg_mono_ms() : -1;
        int n;

        if (pfd.fd < 0)
            goto lost;
        if (*deadline && left <= 0) {
            if (*cancelled)
                goto gave_up;
            pg_cancel(d);
            *cancelled = 1;
            *deadline = pg_mono_ms() + PG_DEADLINE_MARGIN;
            continue;
        }
        n = poll(&pfd, 1, left < 0 || left > 1000 ? 1000 : (int)left);
        if (n < 0 && errno != EINTR)
            goto lost;
        if (n > 0 && !PQconsumeInput(d->conn))
            goto lost;
    }
    return 0;
gave_up:
    shutdown(PQsocket(d->conn), SHUT_RDWR);
    d->gave_up = 1;
lost:
    d->lost_unsaid = d->fence_held;
    pg_lose(d, in_tx);
    return -1;
}

/* The deadline for an answer sent now (0: none; db_deadline). */
static int64_t pg_deadline(const struct pg_db *d)
{
    return d->deadline_ms ? pg_mono_ms() + d->deadline_ms : 0;
}

/*
 * The answer to what was just sent (PQsend*): the last result, or the first
 * error, as PQexec gives it; NULL when the connection failed or was given
 * up (pg_wait_ready), so no caller waits for ever on a server that does not
 * answer: a webhook gets its 500 in time for Twilio's Fallback URL.
 */
static PGresult *pg_await(struct pg_db *d, int in_tx)
{
    int64_t deadline = pg_deadline(d);
    PGresult *keep = NULL, *r;
    int cancelled = 0;

    for (;;) {
        if (pg_wait_ready(d, &deadline, &cancelled, in_tx)) {
            PQclear(keep);
            return NULL;
        }
        r = PQgetResult(d->conn);
        if (!r) {
            /*
             * A cancel sent may still land on whatever this session runs
             * next: once one was sent, the session is not used again.
             */
            if (cancelled)
                pg_lose(d, in_tx);
            return keep;
        }
        if (keep && PQresultStatus(keep) == PGRES_FATAL_ERROR) {
            PQclear(r); /* the first error is the answer */
            continue;
        }
        PQclear(keep);
        keep = r;
        if (PQresultStatus(r) == PGRES_COPY_IN || PQresultStatus(r) == PGRES_COPY_OUT)
            return keep; /* never ours: nothing more will come */
    }
}

/* PQexec / PQexecParams and pg_check in one: DB_OK or an error code. */
static int pg_run(struct pg_db *d, const char *sql, int nparams, const char *const *vals)
{
    int in_tx = pg_tx_open(d), rc;
    int sent = nparams ? PQsendQueryParams(d->conn, sql, nparams, NULL, vals, NULL, NULL, 0)
                       : PQsendQuery(d->conn, sql);
    PGresult *res = sent ? pg_await(d, in_tx) : NULL;

    rc = pg_check(d, res, in_tx);
    PQclear(res);
    return rc;
}

static void pg_notice(void *arg, const PGresult *res)
{
    /* Notices (a ROLLBACK with nothing open...) are not ours to print on stderr. */
    (void)arg;
    (void)res;
}

/* This session's settings, on a new connection or when they change. */
static int pg_apply_lazy(struct pg_db *d)
{
    return pg_run(d, "SET synchronous_commit = off", 0, NULL);
}

static int pg_apply_lock_timeout(struct pg_db *d)
{
    char sql[64];

    snprintf(sql, sizeof(sql), "SET lock_timeout = %d", d->lock_timeout_ms);
    return pg_run(d, sql, 0, NULL);
}

static int pg_apply_hash(struct pg_db *d)
{
    const char *vals[2] = {d->ipad, d->opad};

    return pg_run(d,
                  "SELECT set_config('peerline.hash_ipad', $1, false),"
                  " set_config('peerline.hash_opad', $2, false)",
                  2, vals);
}

static int pg_apply_listen(struct pg_db *d, const char *channel)
{
    char sql[PG_CHANNEL_MAX + 16];

    snprintf(sql, sizeof(sql), "LISTEN \"%s\"", channel);
    return pg_run(d, sql, 0, NULL);
}

/*
 * The server's side of the keepalives: a session (and its advisory locks:
 * the fence, DB_BEGIN_SERIAL's) of a client cut off while idle ends in
 * seconds, not after the kernel's two hours, so another instance can take
 * over. Not when the URI sets the server's options itself.
 */
static int pg_apply_server_keepalives(struct pg_db *d)
{
    if (d->own_options)
        return DB_OK;
    return pg_run(d,
                  "SET tcp_keepalives_idle = 2; SET tcp_keepalives_interval = 1;"
                  " SET tcp_keepalives_count = 3; SET tcp_user_timeout = 3000",
                  0, NULL);
}

static int pg_replay(struct pg_db *d)
{
    int rc = pg_apply_server_keepalives(d), i;

    if (!rc && d->lazy)
        rc = pg_apply_lazy(d);
    if (!rc && d->lock_timeout_ms)
        rc = pg_apply_lock_timeout(d);
    if (!rc && d->hashed)
        rc = pg_apply_hash(d);
    for (i = 0; !rc && i < d->nlisten; i++)
        rc = pg_apply_listen(d, d->listen[i]);
    return rc;
}

static int pg_reconnect(struct pg_db *d)
{
    int rc;

    PQreset(d->conn);
    if (PQstatus(d->conn) != CONNECTION_OK)
        return pg_fail(d, DB_GONE, "cannot reconnect: %s", PQerrorMessage(d->conn));
    d->lost = 0;
    d->lost_in_tx = 0;
    d->lost_unsaid = 0;
    d->gave_up = 0;
    d->fence_held = 0;
    d->epoch++;
    if (d->nlisten)
        d->woken = 1;
    rc = pg_replay(d);
    if (rc && !d->lost)
        pg_lose(d, 0); /* never a session without its settings: the next statement tries again */
    if (!rc)
        log_info("db.pg_reconnected", "epoch=%" PRIu64, d->epoch);
    return rc;
}

/*
 * A server that ended the session (a restart, pg_terminate_backend) has
 * said so on the socket already: read it before sending a statement into
 * a dead connection. A poll, no round trip.
 */
static void pg_check_alive(struct pg_db *d)
{
    struct pollfd pfd = {PQsocket(d->conn), POLLIN, 0};
    int in_tx = pg_tx_open(d), i;

    if (pfd.fd < 0 || PQstatus(d->conn) == CONNECTION_BAD) {
        pg_lose(d, in_tx);
        return;
    }
    /* Its last message first, then the end of the stream: read until there is nothing. */
    for (i = 0; i < 8 && poll(&pfd, 1, 0) > 0; i++) {
        if (!PQconsumeInput(d->conn) || PQstatus(d->conn) == CONNECTION_BAD) {
            /* A fenced handle hears of its lost lock even when a new session could take it. */
            d->lost_unsaid = d->fence_held;
            pg_lose(d, in_tx);
            return;
        }
    }
}

/* A live connection: remade when lost, unless a transaction was open. */
static int pg_connected(struct pg_db *d)
{
    if (!d->lost)
        pg_check_alive(d);
    if (!d->lost)
        return DB_OK;
    if (d->lost_in_tx)
        return pg_fail(d, DB_GONE, "the connection was lost inside a transaction (roll back)");
    if (d->lost_unsaid) {
        d->lost_unsaid = 0;
        return pg_fail(d, DB_GONE, "the connection was lost, and the fence's lock with it");
    }
    return pg_reconnect(d);
}

/* The fence's lock, when this session does not hold it (never inside a transaction). */
static int pg_fence_take(struct pg_db *d)
{
    char key[24];
    const char *vals[1] = {key};
    PGresult *res;
    int rc, got;

    if (pg_tx_open(d))
        return pg_fail(d, DB_FENCED, "the fence's lock is not held (inside a transaction)");
    snprintf(key, sizeof(key), "%" PRId64, d->fence_key);
    res = PQsendQueryParams(d->conn, "SELECT pg_try_advisory_lock($1::bigint)", 1, NULL, vals, NULL,
                            NULL, 0)
              ? pg_await(d, 0)
              : NULL;
    rc = pg_check(d, res, 0);
    got = !rc && PQntuples(res) == 1 && !strcmp(PQgetvalue(res, 0, 0), "t");
    PQclear(res);
    if (rc)
        return rc;
    if (!got)
        return pg_fail(d, DB_FENCED, "another instance holds the lock");
    d->fence_held = 1;
    d->fence_epoch++;
    log_info("db.pg_fence_taken", "epoch=%" PRId64, d->fence_epoch);
    return DB_OK;
}

/*
 * Before a statement runs: a live connection and, on a fenced handle, its
 * lock. Only db_fence_hold() takes the lock: a statement in the middle of
 * the holder's work never takes it again silently after a loss (another
 * instance may have led meanwhile, and the work's reads are stale).
 */
static int pg_ready(struct pg_db *d)
{
    int rc = pg_connected(d);

    if (rc)
        return rc;
    if (d->fence_key && !d->fence_held)
        return d->fence_taking ? pg_fence_take(d)
                               : pg_fail(d, DB_FENCED, "the fence's lock is not held");
    return DB_OK;
}

/* db_changes: INSERT, UPDATE, DELETE and MERGE only, as sqlite3_changes. */
static void pg_note_changes(struct pg_db *d, PGresult *res)
{
    const char *cmd = PQcmdStatus(res);

    if (!strncmp(cmd, "INSERT ", 7) || !strncmp(cmd, "UPDATE ", 7) || !strncmp(cmd, "DELETE ", 7) ||
        !strncmp(cmd, "MERGE ", 6))
        d->changes = strtoll(PQcmdTuples(res), NULL, 10);
}

/* ---- the URI ---- */

/* The password of a URI's user:password@: [*start, *end), or 0 when there is none. */
static int pg_userinfo_pw(const char *uri, size_t *start, size_t *end)
{
    const char *s = strstr(uri, "://"), *p, *colon = NULL;

    if (!s)
        return 0;
    s += 3;
    for (p = s; *p && *p != '@' && *p != '/' && *p != '?'; p++)
        if (*p == ':' && !colon)
            colon = p;
    if (*p != '@' || !colon)
        return 0;
    *start = (size_t)(colon + 1 - uri);
    *end = (size_t)(p - uri);
    return 1;
}

/* The value of the first password= parameter (URI or key=value) at or after from, or 0. */
static int pg_param_pw(const char *uri, size_t from, size_t *start, size_t *end)
{
    const char *q;

    for (q = uri + from; (q = strstr(q, "password=")); q++) {
        if (q == uri || q[-1] == '?' || q[-1] == '&' || q[-1] == ' ') {
            *start = (size_t)(q + strlen("password=") - uri);
            *end = *start + strcspn(uri + *start, "& ");
            return 1;
        }
    }
    return 0;
}

/* Replaces [start, end) of s (size n) with ***. */
static void pg_mask_range(char *s, size_t n, size_t start, size_t end)
{
    char rest[1024];

    snprintf(rest, sizeof(rest), "%s", s + end);
    snprintf(s + start, n - start, "***%s", rest);
}

const char *db_pg_mask_uri(const char *uri, char *out, size_t n)
{
    char tmp[1024];
    size_t start, end, from = 0;

    if (snprintf(tmp, sizeof(tmp), "%s", uri ? uri : "") >= (int)sizeof(tmp)) {
        snprintf(out, n, "(a connection URI too long to show)");
        return out;
    }
    if (pg_userinfo_pw(tmp, &start, &end))
        pg_mask_range(tmp, sizeof(tmp), start, end);
    while (pg_param_pw(tmp, from, &start, &end)) {
        pg_mask_range(tmp, sizeof(tmp), start, end);
        from = start + 3;
    }
    snprintf(out, n, "%s", tmp);
    return out;
}

/* uri[start, end) as written (slot i) and percent-decoded (slot i + 1). */
static void pg_keep_one(struct pg_db *d, int i, const char *uri, size_t start, size_t end)
{
    size_t j, o = 0;
    char *dec;
    int hi, lo;

    if (end == start)
        return;
    d->secret[i] = strndup(uri + start, end - start);
    dec = malloc(end - start + 1);
    if (!dec)
        return;
    for (j = start; j < end; j++) {
        if (uri[j] == '%' && j + 2 < end && (hi = form_hexval(uri[j + 1])) >= 0 &&
            (lo = form_hexval(uri[j + 2])) >= 0) {
            dec[o++] = (char)(hi * 16 + lo);
            j += 2;
        } else {
            dec[o++] = uri[j];
        }
    }
    dec[o] = '\0';
    d->secret[i + 1] = dec;
}

/* The URI's passwords, kept only to keep them out of messages. */
static void pg_keep_secrets(struct pg_db *d, const char *uri)
{
    size_t start, end;

    if (pg_userinfo_pw(uri, &start, &end))
        pg_keep_one(d, 0, uri, start, end);
    if (pg_param_pw(uri, 0, &start, &end))
        pg_keep_one(d, 2, uri, start, end);
}

static void pg_free_secrets(struct pg_db *d)
{
    int i;

    for (i = 0; i < PG_SECRETS; i++)
        free(d->secret[i]);
}

/* ---- the driver ---- */

/* 1 when the connection was given server options (options=... in the URI). */
static int pg_has_options(PGconn *conn)
{
    PQconninfoOption *opts = PQconninfo(conn), *o;
    int has = 0;

    for (o = opts; o && o->keyword; o++)
        if (!strcmp(o->keyword, "options") && o->val && *o->val)
            has = 1;
    PQconninfoFree(opts);
    return has;
}

static struct db *pg_open(const char *spec, char *err, size_t errlen)
{
    /* Defaults first: a later keyword wins, so the URI (dbname, expanded) overrides them. */
    const char *keys[] = {"fallback_application_name",
                          "client_encoding",
                          "keepalives",
                          "keepalives_idle",
                          "keepalives_interval",
                          "keepalives_count",
                          "tcp_user_timeout",
                          "connect_timeout",
                          "dbname",
                          NULL};
    const char *vals[] = {"peerline", "UTF8", "1", "2", "1", "3", "3000", "3", spec, NULL};
    struct pg_db *d = calloc(1, sizeof(*d));
    char masked[512];

    if (!d) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    d->base.drv = &db_driver_pg;
    pg_keep_secrets(d, spec);
    d->conn = PQconnectdbParams(keys, vals, 1);
    if (!d->conn) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (PQstatus(d->conn) != CONNECTION_OK) {
        pg_fail(d, DB_GONE, "cannot connect to %s: %s",
                db_pg_mask_uri(spec, masked, sizeof(masked)), PQerrorMessage(d->conn));
        snprintf(err, errlen, "%s", d->err);
        goto fail;
    }
    /* 12: the server's tcp_user_timeout (a cut-off leader's lock moves in seconds). */
    if (PQserverVersion(d->conn) < 120000) {
        snprintf(err, errlen, "%s: PostgreSQL 12 or newer is needed (the server is %d)",
                 db_pg_mask_uri(spec, masked, sizeof(masked)), PQserverVersion(d->conn));
        goto fail;
    }
    PQsetNoticeReceiver(d->conn, pg_notice, NULL);
    d->epoch = 1;
    d->own_options = pg_has_options(d->conn);
    if (pg_apply_server_keepalives(d)) {
        snprintf(err, errlen, "%s: %s", db_pg_mask_uri(spec, masked, sizeof(masked)), d->err);
        goto fail;
    }
    return &d->base;
fail:
    PQfinish(d->conn);
    pg_free_secrets(d);
    free(d);
    return NULL;
}

static void pg_close(struct db *db)
{
    struct pg_db *d = (struct pg_db *)db;

    PQfinish(d->conn);
    pg_free_secrets(d);
    free(d);
}

static int pg_exec(struct db *db, const char *sql)
{
    struct pg_db *d = (struct pg_db *)db;
    int in_tx, rc = pg_ready(d);
    PGresult *res;

    if (rc)
        return rc;
    in_tx = pg_tx_open(d);
    res = PQsendQuery(d->conn, sql) ? pg_await(d, in_tx) : NULL;
    rc = pg_check(d, res, in_tx);
    if (!rc)
        pg_note_changes(d, res);
    PQclear(res);
    return rc;
}

/* Prepares p on the current connection. */
static int pg_server_prepare(struct pg_stmt *p)
{
    struct pg_db *d = p->db;
    int in_tx = pg_tx_open(d), rc;
    PGresult *res =
        PQsendPrepare(d->conn, p->name, p->pgsql, p->nparams, NULL) ? pg_await(d, in_tx) : NULL;

    rc = pg_check(d, res, in_tx);
    PQclear(res);
    if (!rc)
        p->epoch = d->epoch;
    return rc;
}

static void pg_free_blobs(struct pg_stmt *p)
{
    int i;

    for (i = 0; i < p->nblobs; i++) {
        PQfreemem(p->blobs[i]);
        p->blobs[i] = NULL;
    }
}

static void pg_clear_result(struct pg_stmt *p)
{
    pg_free_blobs(p);
    PQclear(p->res);
    p->res = NULL;
    p->row = -1;
}

static void pg_clear_bindings(struct pg_stmt *p)
{
    int i;

    for (i = 0; i < p->nparams; i++) {
        free(p->vals[i]);
        p->vals[i] = NULL;
    }
}

static void pg_finalize(struct db_stmt *ps)
{
    struct pg_stmt *p = (struct pg_stmt *)ps;
    struct pg_db *d = p->db;
    char sql[40];
    PGTransactionStatusType t;

    pg_clear_result(p);
    pg_clear_bindings(p);
    /* Not kept on the server for the session's life (skipped in a failed transaction). */
    if (p->epoch == d->epoch && !d->lost) {
        t = PQtransactionStatus(d->conn);
        if (t == PQTRANS_IDLE || t == PQTRANS_INTRANS) {
            snprintf(sql, sizeof(sql), "DEALLOCATE %s", p->name);
            pg_run(d, sql, 0, NULL);
        }
    }
    free(p->blobs);
    free(p->vals);
    free(p->sql);
    free(p->pgsql);
    free(p);
}

static struct db_stmt *pg_prepare(struct db *db, const char *sql)
{
    struct pg_db *d = (struct pg_db *)db;
    struct pg_stmt *p = calloc(1, sizeof(*p));
    char why[200];

    if (!p) {
        pg_fail(d, DB_ERROR, "out of memory");
        return NULL;
    }
    p->base.drv = &db_driver_pg;
    p->db = d;
    p->row = -1;
    p->pgsql = db_pg_placeholders(sql, &p->nparams, why, sizeof(why));
    if (!p->pgsql) {
        pg_fail(d, DB_ERROR, "%s", why);
        goto fail;
    }
    p->sql = strdup(sql);
    p->vals = calloc(p->nparams ? (size_t)p->nparams : 1, sizeof(*p->vals));
    if (!p->sql || !p->vals) {
        pg_fail(d, DB_ERROR, "out of memory");
        goto fail;
    }
    snprintf(p->name, sizeof(p->name), "p%u", ++d->next_name);
    if (pg_connected(d) || pg_server_prepare(p))
        goto fail;
    return &p->base;
fail:
    free(p->vals);
    free(p->sql);
    free(p->pgsql);
    free(p);
    return NULL;
}

static void pg_reset(struct db_stmt *ps)
{
    struct pg_stmt *p = (struct pg_stmt *)ps;

    pg_clear_result(p);
    pg_clear_bindings(p);
    p->state = PG_READY;
}

static int pg_bind(struct pg_stmt *p, int idx, char *v, int copied)
{
    if (idx < 1 || idx > p->nparams) {
        if (copied)
            free(v);
        return pg_fail(p->db, DB_ERROR, "bind index %d out of range (1..%d)", idx, p->nparams);
    }
    if (copied && !v)
        return pg_fail(p->db, DB_ERROR, "out of memory");
    free(p->vals[idx - 1]);
    p->vals[idx - 1] = v;
    return DB_OK;
}

static int pg_bind_int64(struct db_stmt *ps, int idx, int64_t v)
{
    char num[24];

    snprintf(num, sizeof(num), "%" PRId64, v);
    return pg_bind((struct pg_stmt *)ps, idx, strdup(num), 1);
}

static int pg_bind_text(struct db_stmt *ps, int idx, const char *v)
{
    return pg_bind((struct pg_stmt *)ps, idx, v ? strdup(v) : NULL, v != NULL);
}

static int pg_bind_null(struct db_stmt *ps, int idx)
{
    return pg_bind((struct pg_stmt *)ps, idx, NULL, 0);
}

static int pg_bind_blob(struct db_stmt *ps, int idx, const void *v, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *b = v;
    char *s = malloc(2 * n + 3);
    size_t i;

    if (s) {
        s[0] = '\\';
        s[1] = 'x';
        for (i = 0; i < n; i++) {
            s[2 + 2 * i] = hex[b[i] >> 4];
            s[3 + 2 * i] = hex[b[i] & 15];
        }
        s[2 + 2 * n] = '\0';
    }
    return pg_bind((struct pg_stmt *)ps, idx, s, 1);
}

static int pg_step(struct db_stmt *ps)
{
    struct pg_stmt *p = (struct pg_stmt *)ps;
    struct pg_db *d = p->db;
    PGresult *res;
    const char *state;
    int rc, in_tx, again = 0;

    if (p->state == PG_ROWS) {
        pg_free_blobs(p);
        if (++p->row < PQntuples(p->res))
            return DB_ROW;
        pg_clear_result(p);
        p->state = PG_DONE;
        return DB_DONE;
    }
    /* Ready, or done (a step after the end runs the statement again, as SQLite does). */
    pg_clear_result(p);
    p->state = PG_DONE;
    rc = pg_ready(d);
    if (rc)
        return rc;
run:
    if (p->epoch != d->epoch && (rc = pg_server_prepare(p)))
        return rc;
    in_tx = pg_tx_open(d);
    res = PQsendQueryPrepared(d->conn, p->name, p->nparams, (const char *const *)p->vals, NULL,
                              NULL, 0)
              ? pg_await(d, in_tx)
              : NULL;
    state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (!in_tx && !again && state && !strcmp(state, "26000")) {
        /* The server forgot the statement (DISCARD ALL...): nothing ran, so prepare it again. */
        PQclear(res);
        p->epoch = 0;
        again = 1;
        goto run;
    }
    rc = pg_check(d, res, in_tx);
    if (rc) {
        PQclear(res);
        return rc;
    }
    pg_note_changes(d, res);
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0) {
        p->res = res;
        p->row = 0;
        p->state = PG_ROWS;
        return DB_ROW;
    }
    PQclear(res);
    return DB_DONE;
}

/*
 * db_run_many: every run sent before any answer is read (libpq's pipeline
 * mode), then the answers read in order. A transaction must be open (the
 * runs' writes commit or roll back with it); a failed run aborts the
 * runs after it, which the server answers as aborted.
 */
static int pg_run_many(struct db_stmt *ps, size_t n,
                       int (*bind)(void *arg, size_t i, struct db_stmt *p),
                       int (*row)(void *arg, size_t i, struct db_stmt *p), void *arg)
{
    struct pg_stmt *p = (struct pg_stmt *)ps;
    struct pg_db *d = p->db;
    PGresult *res;
    int64_t deadline = pg_deadline(d); /* one for the whole pipeline */
    size_t i, sent = 0;
    int rc, cancelled = 0;

    pg_clear_result(p);
    p->state = PG_DONE;
    if (!n)
        return DB_OK;
    if ((rc = pg_ready(d)))
        return rc;
    if (!pg_tx_open(d))
        return pg_fail(d, DB_ERROR, "db_run_many needs a transaction");
    if (d->tx_rc)
        return pg_fail(d, d->tx_rc, "the transaction failed already");
    if (p->epoch != d->epoch && (rc = pg_server_prepare(p)))
        return rc;
    if (!PQenterPipelineMode(d->conn))
        return pg_fail(d, DB_ERROR, "cannot enter pipeline mode: %s", PQerrorMessage(d->conn));
    for (i = 0; i < n; i++) {
        pg_clear_bindings(p);
        if ((rc = bind(arg, i, ps)))
            break;
        if (!PQsendQueryPrepared(d->conn, p->name, p->nparams, (const char *const *)p->vals, NULL,
                                 NULL, 0)) {
            rc = DB_GONE;
            break;
        }
        sent++;
    }
    pg_clear_bindings(p);
    if (!PQpipelineSync(d->conn) && !rc)
        rc = DB_GONE;
    /* Every answer is read, whatever happened, so the connection is usable again. */
    for (i = 0; i < sent; i++) {
        int this_rc = DB_OK;
        while (!pg_wait_ready(d, &deadline, &cancelled, 1) && (res = PQgetResult(d->conn))) {
            if (PQresultStatus(res) == PGRES_PIPELINE_ABORTED) {
                PQclear(res);
                continue;
            }
            this_rc = pg_check(d, res, 1);
            if (!this_rc && !rc && PQresultStatus(res) == PGRES_TUPLES_OK && row) {
                int k;
                p->res = res;
                p->state = PG_ROWS;
                for (k = 0; k < PQntuples(res) && !this_rc; k++) {
                    pg_free_blobs(p);
                    p->row = k;
                    this_rc = row(arg, i, ps);
                }
                p->res = NULL;
                p->state = PG_DONE;
                pg_free_blobs(p);
            }
            PQclear(res);
        }
        if (this_rc && !rc)
            rc = this_rc;
        if (d->lost)
            break;
    }
    if (!d->lost) {
        /* the sync's own answer */
        while (!pg_wait_ready(d, &deadline, &cancelled, 1) && (res = PQgetResult(d->conn))) {
            int done = PQresultStatus(res) == PGRES_PIPELINE_SYNC;
            PQclear(res);
            if (done)
                break;
        }
        if (!d->lost && !PQexitPipelineMode(d->conn) && !rc)
            rc = pg_fail(d, DB_ERROR, "cannot leave pipeline mode: %s", PQerrorMessage(d->conn));
    }
    if (cancelled && !d->lost) /* a late cancel must not land on a later statement */
        pg_lose(d, 1);
    if (d->lost && !rc)
        rc = DB_GONE;
    if (rc && d->tx_rc == DB_OK)
        d->tx_rc = rc;
    return rc;
}

/* The current row has column col. */
static int pg_has(const struct pg_stmt *p, int col)
{
    return p->state == PG_ROWS && p->res && col >= 0 && col < PQnfields(p->res);
}

static int pg_col_null(struct db_stmt *ps, int col)
{
    struct pg_stmt *p = (struct pg_stmt *)ps;

    return !pg_has(p, col) || PQgetisnull(p->res, p->row, col);
}

static int64_t pg_col_int64(struct db_stmt *ps, int col)
{
    struct pg_stmt *p = (struct pg_stmt *)ps;
    const char *v;

    if (pg_col_null(ps, col))
        return 0;
    v = PQgetvalue(p->res, p->row, col);
    if (!strcmp(v, "t"))
        return 1;
    if (!strcmp(v, "f"))
        return 0;
    return strtoll(v, NULL, 10);
}

static const char *pg_col_text(struct db_stmt *ps, int col)
{
    struct pg_stmt *p = (struct pg_stmt *)ps;

    return pg_col_null(ps, col) ? NULL : PQgetvalue(p->res, p->row, col);
}

static const void *pg_col_blob(struct db_stmt *ps, int col, size_t *n)
{
    struct pg_stmt *p = (struct pg_stmt *)ps;
    unsigned char **grown;
    int nf;

    *n = 0;
    if (pg_col_null(ps, col))
        return NULL;
    nf = PQnfields(p->res);
    if (p->nblobs < nf) {
        grown = realloc(p->blobs, (size_t)nf * sizeof(*grown));
        if (!grown)
            return NULL;
        memset(grown + p->nblobs, 0, (size_t)(nf - p->nblobs) * sizeof(*grown));
        p->blobs = grown;
        p->nblobs = nf;
    }
    PQfreemem(p->blobs[col]);
    p->blobs[col] = PQunescapeBytea((const unsigned char *)PQgetvalue(p->res, p->row, col), n);
    if (!p->blobs[col])
        *n = 0;
    return p->blobs[col];
}

static const char *pg_stmt_sql(const struct db_stmt *ps)
{
    return ((const struct pg_stmt *)ps)->sql;
}

static int64_t pg_changes(struct db *db)
{
    return ((struct pg_db *)db)->changes;
}

static const char *pg_errmsg(struct db *db)
{
    return ((struct pg_db *)db)->err;
}

static int pg_in_tx(struct db *db)
{
    return pg_tx_open((struct pg_db *)db);
}

static int pg_begin(struct db *db, enum db_begin how)
{
    /* BEGIN IMMEDIATE's analogue: every serial transaction takes the same lock first. */
    static const char serial[] = "BEGIN; SELECT pg_advisory_xact_lock(" /* one round trip */
                                 "2840323745625498475)";
    struct pg_db *d = (struct pg_db *)db;
    int rc;

    _Static_assert(DB_PG_SERIAL_KEY == INT64_C(2840323745625498475), "serial lock key");
    if (d->lost && d->lost_in_tx)
        return pg_fail(d, DB_GONE, "the connection was lost inside a transaction (roll back)");
    if (pg_tx_open(d))
        return pg_fail(d, DB_ERROR, "a transaction is already open");
    rc = pg_ready(d);
    if (rc)
        return rc;
    d->tx_rc = DB_OK;
    /* Not "inside a transaction" for pg_check: a begin that failed leaves none behind. */
    rc = pg_run(d, how == DB_BEGIN_SERIAL ? serial : "BEGIN", 0, NULL);
    if (rc && !d->lost && PQtransactionStatus(d->conn) != PQTRANS_IDLE)
        (void)pg_run(d, "ROLLBACK", 0, NULL);
    return rc;
}

static int pg_commit(struct db *db)
{
    struct pg_db *d = (struct pg_db *)db;
    PGresult *res;
    int rc;

    if (d->lost) {
        if (!d->lost_in_tx)
            return pg_fail(d, DB_ERROR, "no transaction is open");
        d->lost_in_tx = 0; /* it is over: the server rolled it back */
        return pg_fail(d, DB_GONE, "the connection was lost inside the transaction: not committed");
    }
    if (PQtransactionStatus(d->conn) == PQTRANS_IDLE)
        return pg_fail(d, DB_ERROR, "no transaction is open");
    /* Outside a transaction afterwards, whatever happens: a lost COMMIT's outcome is unknown. */
    res = PQsendQuery(d->conn, "COMMIT") ? pg_await(d, 0) : NULL;
    rc = pg_check(d, res, 0);
    if (!rc && strcmp(PQcmdStatus(res), "COMMIT")) {
        /* An aborted transaction's COMMIT answers ROLLBACK. */
        rc = d->tx_rc == DB_RETRY ? DB_RETRY : DB_ERROR;
        pg_fail(d, rc, "the transaction was rolled back: a statement in it had failed");
    }
    PQclear(res);
    d->tx_rc = DB_OK;
    return rc;
}

static int pg_rollback(struct db *db)
{
    struct pg_db *d = (struct pg_db *)db;
    int rc;

    d->tx_rc = DB_OK;
    if (d->lost) {
        d->lost_in_tx = 0; /* the server rolled it back when the session ended */
        return DB_OK;
    }
    if (PQtransactionStatus(d->conn) == PQTRANS_IDLE)
        return DB_OK;
    rc = pg_run(d, "ROLLBACK", 0, NULL);
    return rc == DB_GONE ? DB_OK : rc;
}

/* Session settings change outside transactions only (a rollback would undo them). */
static int pg_session_ok(struct pg_db *d)
{
    if (pg_tx_open(d))
        return pg_fail(d, DB_ERROR, "session settings cannot change inside a transaction");
    return DB_OK;
}

static int pg_lazy_sync(struct db *db)
{
    struct pg_db *d = (struct pg_db *)db;
    int rc = pg_session_ok(d);

    if (rc)
        return rc;
    d->lazy = 1;
    rc = pg_connected(d); /* a new connection has it already; once more does no harm */
    return rc ? rc : pg_apply_lazy(d);
}

/*
 * How long a statement waits for a lock (the serialising lock, a row
 * another transaction holds): lock_timeout, a DB_RETRY when it runs out.
 */
static void pg_busy_timeout(struct db *db, int ms)
{
    struct pg_db *d = (struct pg_db *)db;

    d->lock_timeout_ms = ms > 0 ? ms : 0;
    if (pg_session_ok(d) == DB_OK && pg_connected(d) == DB_OK && pg_apply_lock_timeout(d))
        log_warnx("db.pg_lock_timeout_unset", "err=\"%s\"", d->err);
}

static void pg_deadline_set(struct db *db, int ms)
{
    ((struct pg_db *)db)->deadline_ms = ms > 0 ? ms : 0;
}

static int pg_hash_key(struct db *db, const unsigned char key[32])
{
    static const char hex[] = "0123456789abcdef";
    struct pg_db *d = (struct pg_db *)db;
    unsigned char ipad, opad;
    int i, rc = pg_session_ok(d);

    if (rc)
        return rc;
    /* HMAC's pads: the key zero-padded to SHA-256's 64-byte block, xor 0x36 and 0x5c. */
    for (i = 0; i < 64; i++) {
        ipad = (unsigned char)((i < 32 ? key[i] : 0) ^ 0x36);
        opad = (unsigned char)((i < 32 ? key[i] : 0) ^ 0x5c);
        d->ipad[2 * i] = hex[ipad >> 4];
        d->ipad[2 * i + 1] = hex[ipad & 15];
        d->opad[2 * i] = hex[opad >> 4];
        d->opad[2 * i + 1] = hex[opad & 15];
    }
    d->ipad[128] = d->opad[128] = '\0';
    d->hashed = 1;
    rc = pg_connected(d);
    return rc ? rc : pg_apply_hash(d);
}

static int64_t pg_data_version(struct db *db)
{
    struct pg_db *d = (struct pg_db *)db;
    PGresult *res;
    unsigned hi, lo;
    int64_t v = 0;
    int in_tx;

    if (pg_ready(d))
        return 0;
    in_tx = pg_tx_open(d);
    res = PQsendQuery(d->conn, "SELECT pg_current_wal_insert_lsn()") ? pg_await(d, in_tx) : NULL;
    if (!pg_check(d, res, in_tx) && PQntuples(res) == 1 &&
        sscanf(PQgetvalue(res, 0, 0), "%x/%x", &hi, &lo) == 2)
        v = (int64_t)(((uint64_t)hi << 32) | lo);
    PQclear(res);
    return v;
}

static void pg_fence(struct db *db, int64_t key)
{
    struct pg_db *d = (struct pg_db *)db;
    char num[24];
    const char *vals[1] = {num};

    if (key == d->fence_key)
        return;
    if (d->fence_held && !d->lost) {
        snprintf(num, sizeof(num), "%" PRId64, d->fence_key);
        pg_run(d, "SELECT pg_advisory_unlock($1::bigint)", 1, vals);
    }
    d->fence_key = key;
    d->fence_held = 0;
}

static int pg_fence_hold(struct db *db)
{
    struct pg_db *d = (struct pg_db *)db;
    int rc;

    d->fence_taking = 1;
    rc = pg_ready(d);
    d->fence_taking = 0;
    return rc;
}

static int64_t pg_fence_epoch(struct db *db)
{
    return ((struct pg_db *)db)->fence_epoch;
}

/* Channels are plain lower-case names: [a-z_]+, as LISTEN sees them unquoted. */
static int pg_channel_ok(struct pg_db *d, const char *channel)
{
    size_t i, n = channel ? strlen(channel) : 0;

    for (i = 0; i < n; i++)
        if (!(channel[i] >= 'a' && channel[i] <= 'z') && channel[i] != '_')
            break;
    if (!n || i < n || n > PG_CHANNEL_MAX)
        return pg_fail(d, DB_ERROR, "bad channel name (want [a-z_]+, up to %d)", PG_CHANNEL_MAX);
    return DB_OK;
}

static int pg_notify(struct db *db, const char *channel)
{
    struct pg_db *d = (struct pg_db *)db;
    const char *vals[1] = {channel};
    int rc = pg_channel_ok(d, channel);

    if (!rc)
        rc = pg_ready(d);
    return rc ? rc : pg_run(d, "SELECT pg_notify($1, '')", 1, vals);
}

static int pg_listen(struct db *db, const char *channel)
{
    struct pg_db *d = (struct pg_db *)db;
    int rc = pg_channel_ok(d, channel), i;

    if (!rc)
        rc = pg_session_ok(d);
    if (rc)
        return rc;
    for (i = 0; i < d->nlisten && strcmp(d->listen[i], channel); i++)
        ;
    if (i == d->nlisten) {
        if (d->nlisten == PG_MAX_LISTEN)
            return pg_fail(d, DB_ERROR, "too many channels (%d)", PG_MAX_LISTEN);
        snprintf(d->listen[d->nlisten++], sizeof(d->listen[0]), "%s", channel);
    }
    rc = pg_connected(d);
    return rc ? rc : pg_apply_listen(d, channel);
}

static void pg_sleep_until(int64_t deadline)
{
    int64_t left;

    while ((left = deadline - pg_mono_ms()) > 0)
        poll(NULL, 0, (int)left);
}

static int pg_wait(struct db *db, int ms, char *channel, size_t n)
{
    struct pg_db *d = (struct pg_db *)db;
    int64_t deadline = pg_mono_ms() + (ms > 0 ? ms : 0), left;
    struct pollfd pfd;
    PGnotify *nf;
    int rc, in_tx;

    if (n)
        channel[0] = '\0';
    if (d->lost) {
        if (d->lost_in_tx)
            return pg_fail(d, DB_GONE, "the connection was lost inside a transaction (roll back)");
        rc = pg_reconnect(d);
        if (rc) {
            pg_sleep_until(deadline); /* a caller that waits again at once must not spin */
            return rc;
        }
    }
    if (d->woken) {
        d->woken = 0; /* notifications may have been missed while the connection was down */
        return 1;
    }
    for (;;) {
        nf = PQnotifies(d->conn);
        if (nf) {
            if (n)
                snprintf(channel, n, "%s", nf->relname);
            PQfreemem(nf);
            return 1;
        }
        left = deadline - pg_mono_ms();
        pfd.fd = PQsocket(d->conn);
        pfd.events = POLLIN;
        pfd.revents = 0;
        in_tx = pg_tx_open(d);
        rc = poll(&pfd, 1, left > 0 ? (int)left : 0); /* ms 0: only what has come already */
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc < 0)
            return pg_fail(d, DB_ERROR, "poll: %s", strerror(errno));
        if (rc == 0)
            return 0;
        if (!PQconsumeInput(d->conn) || PQstatus(d->conn) == CONNECTION_BAD) {
            pg_lose(d, in_tx);
            return pg_fail(d, DB_GONE, "%s", PQerrorMessage(d->conn));
        }
    }
}

/* The schema in SQLite's words, its column types translated (db_pg_ddl). */
static int pg_exec_schema(struct db *db, const char *ddl)
{
    char *sql = db_pg_ddl(ddl);
    int rc;

    if (!sql)
        return pg_fail((struct pg_db *)db, DB_ERROR, "out of memory");
    rc = pg_exec(db, sql);
    free(sql);
    return rc;
}

const struct db_driver db_driver_pg = {
    .kind = DB_PG,
    .open = pg_open,
    .close = pg_close,
    .exec = pg_exec,
    .exec_schema = pg_exec_schema,
    .prepare = pg_prepare,
    .finalize = pg_finalize,
    .reset = pg_reset,
    .bind_int64 = pg_bind_int64,
    .bind_text = pg_bind_text,
    .bind_null = pg_bind_null,
    .bind_blob = pg_bind_blob,
    .step = pg_step,
    .run_many = pg_run_many,
    .col_null = pg_col_null,
    .col_int64 = pg_col_int64,
    .col_text = pg_col_text,
    .col_blob = pg_col_blob,
    .stmt_sql = pg_stmt_sql,
    .changes = pg_changes,
    .errmsg = pg_errmsg,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .in_tx = pg_in_tx,
    .busy_timeout = pg_busy_timeout,
    .deadline = pg_deadline_set,
    .lazy_sync = pg_lazy_sync,
    .hash_key = pg_hash_key,
    .data_version = pg_data_version,
    .fence = pg_fence,
    .fence_hold = pg_fence_hold,
    .fence_epoch = pg_fence_epoch,
    .notify = pg_notify,
    .listen = pg_listen,
    .wait = pg_wait,
};

/* ---- SQL text: placeholders and DDL ---- */

static int pg_ident_char(int c)
{
    return isalnum(c) || c == '_' || c == '$';
}

/*
 * The length of a string literal, quoted name, comment or dollar-quoted
 * string starting at s (to the end when unterminated), or 0.
 */
static size_t pg_skip(const char *sql, const char *s)
{
    const char *p, *end;
    char tag[64];
    size_t tl;

    if (*s == '\'' || *s == '"') {
        p = strchr(s + 1, *s); /* '' inside is two literals back to back: same text */
        return p ? (size_t)(p + 1 - s) : strlen(s);
    }
    if (s[0] == '-' && s[1] == '-')
        return strcspn(s, "\n");
    if (s[0] == '/' && s[1] == '*') {
        p = strstr(s + 2, "*/");
        return p ? (size_t)(p + 2 - s) : strlen(s);
    }
    if (s[0] == '$' && (s == sql || !pg_ident_char((unsigned char)s[-1])) &&
        !isdigit((unsigned char)s[1])) {
        for (p = s + 1; *p && (isalnum((unsigned char)*p) || *p == '_'); p++)
            ;
        if (*p != '$' || (size_t)(p + 1 - s) >= sizeof(tag))
            return 0;
        tl = (size_t)(p + 1 - s);
        memcpy(tag, s, tl);
        tag[tl] = '\0';
        end = strstr(p + 1, tag);
        return end ? (size_t)(end + tl - s) : strlen(s);
    }
    return 0;
}

char *db_pg_placeholders(const char *sql, int *nparams, char *err, size_t errlen)
{
    size_t len = strlen(sql), skip, i = 0;
    char *out = malloc(len + 1), *end;
    long num;
    int max = 0;

    if (!out) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    while (i < len) {
        skip = pg_skip(sql, sql + i);
        if (skip) {
            memcpy(out + i, sql + i, skip);
            i += skip;
            continue;
        }
        if (sql[i] != '?') {
            out[i] = sql[i];
            i++;
            continue;
        }
        if (!isdigit((unsigned char)sql[i + 1])) {
            snprintf(err, errlen, "a ? without a number at offset %zu: write ?N", i);
            goto fail;
        }
        errno = 0;
        num = strtol(sql + i + 1, &end, 10);
        if (errno || num < 1 || num > 65535) {
            snprintf(err, errlen, "placeholder number out of range at offset %zu", i);
            goto fail;
        }
        out[i] = '$';
        memcpy(out + i + 1, sql + i + 1, (size_t)(end - (sql + i + 1)));
        i = (size_t)(end - sql);
        if (num > max)
            max = (int)num;
    }
    out[len] = '\0';
    *nparams = max;
    return out;
fail:
    free(out);
    return NULL;
}

/* The word at s is w, whole (s starts a word; what follows is no identifier character). */
static int pg_word(const char *s, const char *w)
{
    size_t n = strlen(w);

    return !strncmp(s, w, n) && !pg_ident_char((unsigned char)s[n]);
}

char *db_pg_ddl(const char *sqlite_ddl)
{
    struct buf b = BUF_INIT(0);
    const char *s = sqlite_ddl, *p;
    size_t skip;

    while (*s) {
        skip = pg_skip(sqlite_ddl, s);
        if (skip) {
            if (buf_append(&b, s, skip))
                goto fail;
            s += skip;
            continue;
        }
        if (!pg_ident_char((unsigned char)*s) ||
            (s > sqlite_ddl && pg_ident_char((unsigned char)s[-1]))) {
            if (buf_append(&b, s++, 1))
                goto fail;
            continue;
        }
        /* s starts a word. */
        if (pg_word(s, "INTEGER")) {
            p = s + 7;
            p += strspn(p, " \t\r\n");
            if (p > s + 7 && pg_word(p, "PRIMARY") && strspn(p + 7, " \t\r\n")) {
                p += 7;
                p += strspn(p, " \t\r\n");
                if (pg_word(p, "KEY")) {
                    if (buf_puts(&b, "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"))
                        goto fail;
                    s = p + 3;
                    continue;
                }
            }
            if (buf_puts(&b, "BIGINT"))
                goto fail;
            s += 7;
        } else if (pg_word(s, "BLOB")) {
            if (buf_puts(&b, "BYTEA"))
                goto fail;
            s += 4;
        } else {
            for (p = s; pg_ident_char((unsigned char)*p); p++)
                ;
            if (buf_append(&b, s, (size_t)(p - s)))
                goto fail;
            s = p;
        }
    }
    if (!b.p && buf_puts(&b, ""))
        goto fail;
    return buf_take(&b);
fail:
    buf_free(&b);
    return NULL;
}

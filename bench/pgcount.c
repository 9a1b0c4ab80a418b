/*
 * pgcount.c - the libpq shim of pgcount.h, built as build/bench/pgcount.so
 * and preloaded into the gateway by bench_line. Each wrapped call finds the
 * real function with dlsym(RTLD_NEXT), times it, and adds to its thread's
 * counters in the shared file. Without PGCOUNT_ENV set (or when the file
 * cannot be mapped) it only passes the calls on.
 *
 * A prepared statement's kind comes from its SQL, remembered at PQprepare
 * by connection and name (db_pg.c names them p1, p2... per connection).
 *
 * db_pg.c sends each statement (PQsend*) and reads its answer with
 * PQgetResult, so it can give up on a server that does not answer: a call
 * is timed from its send to the NULL that ends its results. A pipeline (a
 * group commit's inserts) counts as one round trip, from its first send to
 * its last answer.
 */
#define _GNU_SOURCE /* RTLD_NEXT */
#include "pgcount.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#define NAMES 8192 /* prepared statements remembered: a gateway has ~160 per connection */

static struct pgcount *shm;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static PGresult *(*real_exec)(PGconn *, const char *);
static PGresult *(*real_params)(PGconn *, const char *, int, const Oid *, const char *const *,
                                const int *, const int *, int);
static PGresult *(*real_prepared)(PGconn *, const char *, int, const char *const *, const int *,
                                  const int *, int);
static PGresult *(*real_prepare)(PGconn *, const char *, const char *, int, const Oid *);
static int (*real_send)(PGconn *, const char *);
static int (*real_send_params)(PGconn *, const char *, int, const Oid *, const char *const *,
                               const int *, const int *, int);
static int (*real_send_prepared)(PGconn *, const char *, int, const char *const *, const int *,
                                 const int *, int);
static int (*real_send_prepare)(PGconn *, const char *, const char *, int, const Oid *);
static PGresult *(*real_get)(PGconn *);

/* (connection, statement name) -> kind, for PQexecPrepared. */
static struct {
    const PGconn *conn;
    char name[24];
    int kind;
} names[NAMES];
static pthread_mutex_t names_mu = PTHREAD_MUTEX_INITIALIZER;

static __thread int my_slot = -1;
static __thread char my_name[16];
static __thread int64_t tx_start; /* this thread's open transaction: when its BEGIN was sent */

static void setup(void)
{
    const char *path = getenv(PGCOUNT_ENV);
    void *p;
    int fd;

    *(void **)&real_exec = dlsym(RTLD_NEXT, "PQexec");
    *(void **)&real_params = dlsym(RTLD_NEXT, "PQexecParams");
    *(void **)&real_prepared = dlsym(RTLD_NEXT, "PQexecPrepared");
    *(void **)&real_prepare = dlsym(RTLD_NEXT, "PQprepare");
    *(void **)&real_send = dlsym(RTLD_NEXT, "PQsendQuery");
    *(void **)&real_send_params = dlsym(RTLD_NEXT, "PQsendQueryParams");
    *(void **)&real_send_prepared = dlsym(RTLD_NEXT, "PQsendQueryPrepared");
    *(void **)&real_send_prepare = dlsym(RTLD_NEXT, "PQsendPrepare");
    *(void **)&real_get = dlsym(RTLD_NEXT, "PQgetResult");
    if (!path || (fd = open(path, O_RDWR | O_CLOEXEC)) < 0)
        return;
    p = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p != MAP_FAILED)
        shm = p;
}

static int64_t now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* This thread's counters: found by its name (which may change), claimed when new. */
static struct pgcount_thread *mine(void)
{
    char name[16] = {0};
    int i;

    if (!shm)
        return NULL;
    prctl(PR_GET_NAME, name);
    if (my_slot >= 0 && !strcmp(name, my_name))
        return &shm->t[my_slot];
    memcpy(my_name, name, sizeof(my_name));
    for (i = 0; i < PGCOUNT_THREADS; i++) {
        struct pgcount_thread *t = &shm->t[i];
        int free_ = 0;

        if (atomic_load(&t->state) == 2 && !strcmp(t->name, name))
            break;
        if (atomic_compare_exchange_strong(&t->state, &free_, 1)) {
            memcpy(t->name, name, sizeof(t->name));
            atomic_store(&t->state, 2);
            break;
        }
    }
    my_slot = i < PGCOUNT_THREADS ? i : -1;
    return my_slot >= 0 ? &shm->t[my_slot] : NULL;
}

static int64_t cpu_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A call's start: its wall clock (us) and this thread's CPU clock (ns). */
struct start {
    int64_t us, cpu;
};

static struct start begin(void)
{
    struct start s;

    pthread_once(&once, setup);
    s.cpu = shm ? cpu_ns() : 0;
    s.us = now_us();
    return s;
}

static void add(int kind, struct start s, int tx_end)
{
    int64_t end = now_us(), us = end - s.us;
    struct pgcount_thread *t;

    if (!shm)
        return;
    t = mine();
    if (kind == PGC_LOCK_BEGIN || kind == PGC_BEGIN)
        tx_start = s.us;
    if (t && tx_end && tx_start) {
        atomic_fetch_add(&t->tx, 1);
        atomic_fetch_add(&t->tx_us, (unsigned long long)(end - tx_start));
        atomic_fetch_add(&t->tx_hist[pgcount_bucket((uint64_t)(end - tx_start))], 1);
    }
    if (tx_end)
        tx_start = 0;
    if (t) {
        atomic_fetch_add(&t->calls[kind], 1);
        atomic_fetch_add(&t->us[kind], (unsigned long long)us);
        atomic_fetch_add(&t->hist[kind][pgcount_bucket((uint64_t)us)], 1);
        atomic_fetch_add(&t->cpu_ns[kind], (unsigned long long)(cpu_ns() - s.cpu));
    }
}

/* 1 when sql ends a transaction: COMMIT or ROLLBACK (not ROLLBACK TO a savepoint). */
static int ends_tx(const char *sql)
{
    return sql && (!strncasecmp(sql, "COMMIT", 6) ||
                   (!strncasecmp(sql, "ROLLBACK", 8) && strncasecmp(sql, "ROLLBACK TO", 11)));
}

static int kind_of(const char *sql)
{
    if (!sql)
        return PGC_STMT;
    if (strstr(sql, "pg_advisory_xact_lock") && !strncasecmp(sql, "BEGIN", 5))
        return PGC_LOCK_BEGIN;
    if (!strncasecmp(sql, "BEGIN", 5))
        return PGC_BEGIN;
    if (!strncasecmp(sql, "COMMIT", 6))
        return PGC_COMMIT;
    if (!strncasecmp(sql, "SAVEPOINT", 9) || !strncasecmp(sql, "RELEASE", 7) ||
        !strncasecmp(sql, "ROLLBACK TO", 11))
        return PGC_SAVEPOINT;
    return PGC_STMT;
}

static size_t slot_of(const PGconn *conn, const char *name)
{
    size_t h = (size_t)(uintptr_t)conn * 31;
    const char *p;

    for (p = name; *p; p++)
        h = h * 131 + (unsigned char)*p;
    return h % NAMES;
}

static void remember(const PGconn *conn, const char *name, int kind)
{
    size_t i, k;

    if (!name || strlen(name) >= sizeof(names[0].name))
        return;
    pthread_mutex_lock(&names_mu);
    for (k = 0, i = slot_of(conn, name); k < NAMES; k++, i = (i + 1) % NAMES)
        if (!names[i].conn || (names[i].conn == conn && !strcmp(names[i].name, name))) {
            names[i].conn = conn;
            snprintf(names[i].name, sizeof(names[i].name), "%s", name);
            names[i].kind = kind;
            break;
        }
    pthread_mutex_unlock(&names_mu);
}

static int recall(const PGconn *conn, const char *name)
{
    size_t i, k;
    int kind = PGC_STMT;

    if (!name)
        return kind;
    pthread_mutex_lock(&names_mu);
    for (k = 0, i = slot_of(conn, name); k < NAMES && names[i].conn; k++, i = (i + 1) % NAMES)
        if (names[i].conn == conn && !strcmp(names[i].name, name)) {
            kind = names[i].kind;
            break;
        }
    pthread_mutex_unlock(&names_mu);
    return kind;
}

PGresult *PQexec(PGconn *conn, const char *query)
{
    struct start t0 = begin();
    PGresult *r = real_exec(conn, query);

    add(kind_of(query), t0, ends_tx(query));
    return r;
}

PGresult *PQexecParams(PGconn *conn, const char *command, int nParams, const Oid *paramTypes,
                       const char *const *paramValues, const int *paramLengths,
                       const int *paramFormats, int resultFormat)
{
    struct start t0 = begin();
    PGresult *r = real_params(conn, command, nParams, paramTypes, paramValues, paramLengths,
                              paramFormats, resultFormat);

    add(kind_of(command), t0, ends_tx(command));
    return r;
}

PGresult *PQexecPrepared(PGconn *conn, const char *stmtName, int nParams,
                         const char *const *paramValues, const int *paramLengths,
                         const int *paramFormats, int resultFormat)
{
    struct start t0;
    PGresult *r;
    int kind;

    pthread_once(&once, setup);
    kind = shm ? recall(conn, stmtName) : PGC_STMT;
    t0 = begin();
    r = real_prepared(conn, stmtName, nParams, paramValues, paramLengths, paramFormats,
                      resultFormat);

    add(kind, t0, 0);
    return r;
}

PGresult *PQprepare(PGconn *conn, const char *stmtName, const char *query, int nParams,
                    const Oid *paramTypes)
{
    struct start t0;
    PGresult *r;

    pthread_once(&once, setup);
    if (shm)
        remember(conn, stmtName, kind_of(query));
    t0 = begin();
    r = real_prepare(conn, stmtName, query, nParams, paramTypes);
    add(PGC_PREPARE, t0, 0);
    return r;
}

/* ---- the sending half: PQsend* then PQgetResult until NULL ---- */

/* This thread's call in flight: its kind and start, and how many sends await their answers. */
static __thread struct start sent_at;
static __thread int sent_kind, sent_ends_tx, sent_n;

/* A send that failed gets no answer to wait for. */
static int unsent(int ok)
{
    if (!ok && sent_n > 0)
        sent_n--;
    return ok;
}

static void sent(int kind, int tx_end)
{
    if (!sent_n++) {
        sent_at = begin();
        sent_kind = kind;
        sent_ends_tx = tx_end;
    }
}

int PQsendQuery(PGconn *conn, const char *query)
{
    pthread_once(&once, setup);
    sent(kind_of(query), ends_tx(query));
    return unsent(real_send(conn, query));
}

int PQsendQueryParams(PGconn *conn, const char *command, int nParams, const Oid *paramTypes,
                      const char *const *paramValues, const int *paramLengths,
                      const int *paramFormats, int resultFormat)
{
    pthread_once(&once, setup);
    sent(kind_of(command), ends_tx(command));
    return unsent(real_send_params(conn, command, nParams, paramTypes, paramValues, paramLengths,
                                   paramFormats, resultFormat));
}

int PQsendQueryPrepared(PGconn *conn, const char *stmtName, int nParams,
                        const char *const *paramValues, const int *paramLengths,
                        const int *paramFormats, int resultFormat)
{
    pthread_once(&once, setup);
    sent(shm ? recall(conn, stmtName) : PGC_STMT, 0);
    return unsent(real_send_prepared(conn, stmtName, nParams, paramValues, paramLengths,
                                     paramFormats, resultFormat));
}

int PQsendPrepare(PGconn *conn, const char *stmtName, const char *query, int nParams,
                  const Oid *paramTypes)
{
    pthread_once(&once, setup);
    if (shm)
        remember(conn, stmtName, kind_of(query));
    sent(PGC_PREPARE, 0);
    return unsent(real_send_prepare(conn, stmtName, query, nParams, paramTypes));
}

PGresult *PQgetResult(PGconn *conn)
{
    PGresult *r;

    pthread_once(&once, setup);
    r = real_get(conn);
    if (!r && sent_n > 0 && !--sent_n)
        add(sent_kind, sent_at, sent_ends_tx);
    return r;
}

/* A connection remade: whatever was in flight on this thread never gets its answer. */
void PQreset(PGconn *conn)
{
    static void (*real_reset)(PGconn *);

    if (!real_reset)
        *(void **)&real_reset = dlsym(RTLD_NEXT, "PQreset");
    sent_n = 0;
    real_reset(conn);
}

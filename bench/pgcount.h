/*
 * pgcount.h - what a gateway's threads ask of PostgreSQL, counted from the
 * outside: bench/pgcount.c is a shim the benchmark preloads into `peerline
 * serve` (LD_PRELOAD) that wraps libpq's blocking calls (PQexec,
 * PQexecParams, PQexecPrepared, PQprepare: every statement db_pg.c runs is
 * one of them, one round trip each) and adds, per thread name (the names
 * serve gives its threads: engine, sender, ingest...), how many calls of
 * each kind it made and the wall time spent inside them (the round trip and
 * whatever the server did meanwhile: executing, waiting for a lock,
 * flushing WAL at COMMIT; and, once the answer is in, waiting for a CPU),
 * and how much of that time the thread itself was on a CPU; and how long
 * its transactions took, from BEGIN to the answer to COMMIT.
 *
 * The counters live in a file the benchmark creates (PGCOUNT_ENV names it),
 * mapped shared by both processes, so the benchmark reads them while the
 * gateway runs: a snapshot before and one after a measured phase.
 * The shim costs four clock reads and one prctl per call (one or two
 * microseconds, against a loopback round trip of 10 to 100).
 */
#ifndef PEERLINE_BENCH_PGCOUNT_H
#define PEERLINE_BENCH_PGCOUNT_H

#include <stdatomic.h>
#include <stdint.h>

#define PGCOUNT_ENV     "PEERLINE_PGCOUNT" /* the counters' file, created by the benchmark */
#define PGCOUNT_THREADS 24                 /* thread names: serve has about a dozen */
#define PGCOUNT_BUCKETS 96 /* a call's latency: 1 us to 16 s, 4 buckets a doubling */

enum pgcount_kind {
    PGC_LOCK_BEGIN, /* "BEGIN; SELECT pg_advisory_xact_lock(...)": a serial transaction */
    PGC_BEGIN,      /* a plain BEGIN (a shared transaction) */
    PGC_COMMIT,     /* COMMIT: the WAL flush (fsync) is in here */
    PGC_SAVEPOINT,  /* SAVEPOINT, RELEASE, ROLLBACK TO */
    PGC_STMT,       /* every other statement */
    PGC_PREPARE,    /* PQprepare: at open and after a reconnect */
    PGC_KINDS
};

struct pgcount_thread {
    atomic_int state; /* 0 free, 1 being claimed, 2 in use */
    char name[16];    /* the thread's name (prctl PR_GET_NAME) */
    atomic_ullong calls[PGC_KINDS];
    atomic_ullong us[PGC_KINDS];     /* microseconds inside the calls */
    atomic_ullong cpu_ns[PGC_KINDS]; /* nanoseconds of them on a CPU (the thread's CPU clock) */
    atomic_ullong hist[PGC_KINDS][PGCOUNT_BUCKETS]; /* calls by latency (pgcount_bucket) */
    /* Transactions, BEGIN sent to COMMIT (or ROLLBACK) answered: how many, by duration. */
    atomic_ullong tx, tx_us, tx_hist[PGCOUNT_BUCKETS];
};

struct pgcount {
    struct pgcount_thread t[PGCOUNT_THREADS];
};

/* The histogram bucket of a latency: exact below 8 us, then 4 per doubling (within 19%). */
static inline int pgcount_bucket(uint64_t us)
{
    int k = 0, b;

    if (us < 8)
        return (int)us;
    while (us >> (k + 1))
        k++; /* 2^k <= us */
    b = 8 + (k - 3) * 4 + (int)((us >> (k - 2)) & 3);
    return b < PGCOUNT_BUCKETS ? b : PGCOUNT_BUCKETS - 1;
}

/* The smallest latency (us) that falls in bucket b. */
static inline uint64_t pgcount_bucket_floor(int b)
{
    if (b < 8)
        return (uint64_t)b;
    return (uint64_t)(4 + (b - 8) % 4) << ((b - 8) / 4 + 1);
}

#endif

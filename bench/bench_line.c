/*
 * bench_line.c - peerline end to end, next to yardsticks measured in the
 * same run on the same machine (issue 8). One line per figure:
 *
 *   ingest   signed, unique webhooks/s over 32 kept-alive connections to a
 *            real `peerline serve` (verify, group commit, engine, outbox),
 *            next to a bare libmicrohttpd server answering the same
 *            requests (bench/bare.c); and how soon the engine has handled
 *            every one of them.
 *   relay    our own latency at 1,000 texts/s over open chats: webhook
 *            arrival -> relayed text's outbox row committed (ready), and
 *            ready -> provider request sent (issued), p50/p99, as the
 *            gateway itself measures them (latency.h, read from /metrics).
 *   sender   texts/s from a full outbox to a fast local provider sink,
 *            next to a bare libcurl-multi client posting the same requests
 *            with as many connections as the sender has slots.
 *   pipeline texts/s through the whole line at full speed: signed webhooks in
 *            open chats -> ingest -> engine -> outbox -> sender -> provider
 *            sink, from the first webhook sent to the last relay received;
 *            one instance on SQLite (the yardstick), one and two instances
 *            of `peerline serve` on one PostgreSQL (webhooks spread across
 *            both), and the ratio two/one.
 *   memory   RSS of an idle gateway with the demo roster, and with 10,000
 *            peers and 100,000 stored conversations.
 *
 * ingest and relay run on SQLite and then on PostgreSQL, side by side: a
 * throwaway cluster (tests/pg.h, fsync on) with a fresh database per
 * figure, next to its own yardsticks (a prepared SELECT 1's round trip, a
 * one-row commit), with the ratio PostgreSQL/SQLite of ingest. On
 * PostgreSQL the gateway runs with bench/pgcount.so preloaded, so each
 * figure also says what bounds it: round trips and the time inside them
 * per text, by thread, and their slowest (pgcount.h); the leading engine
 * thread's time on and off a CPU, its cost per text and the rate that caps
 * the line at, and the machine's CPU by who used it (cpu.h); sampled during
 * the run, the waiters on the serial transaction lock (pg_locks) and a
 * round trip's time on the machine as loaded. When relay misses its p99
 * target on PostgreSQL at 1,000 texts/s it runs again at 500 and 200, to
 * tell a queue behind a saturated engine from each text's own latency.
 *
 * The provider is bench/bare.c's Messages API sink, in this process; the
 * gateway is build/peerline (argv[1]) in a temporary directory. Send-rate
 * limits and relay merging are off; logging is at warn (as the README's
 * table says). Timing is printed, never asserted: a figure that cannot be
 * measured prints why and the run goes on.
 */
#include "bare.h"
#include "common.h"
#include "cpu.h"
#include "buf.h"
#include "db_pg.h"
#include "form.h"
#include "load.h"
#include "pg.h"
#include "pgcount.h"
#include "store.h"
#include "twilio.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TOKEN      "bench-auth-token-not-a-secret"
#define ACCOUNT    "AC0123456789abcdef0123456789abcdef"
#define READ_TOKEN "bench-read-token-not-a-secret"
#define LINE       "+15005550006"
#define POOL_A     "+15005550007"
#define POOL_B     "+15005550008"
#define CONNS      32
#define SLOTS      64
/* The engine's session lock (store_db.c's LEAD_KEY: "peerline" in ASCII), as pg_locks shows it. */
#define LEAD_KEY INT64_C(0x7065657266696e65)
/* Relay latency target on loopback PostgreSQL, and the figures' other targets (README). */
#define PG_RELAY_P99_MS 20.0
#define PG_INGEST_RATIO 0.5
#define TWO_ONE_RATIO   1.5

extern char **environ;

struct bench {
    const char *peerline;
    char dir[64];
    char cfg[128], roster[128], db[128], log[128];
    int port;
    pid_t pid;
    /* A second instance (PostgreSQL only): the same config, its own listen port and spool. */
    char cfg2[128], log2[128];
    int port2;
    pid_t pid2;
    int sink_port;
    struct bare *sink;
    /* PostgreSQL: one throwaway cluster, a fresh database on it per figure. */
    struct pg_cluster *pg;
    char pg_why[256]; /* why there is no cluster */
    int on_pg;        /* the figure being measured runs on PostgreSQL */
    char uri[256];    /* ... in this database */
    int ndb;
    PGconn *q; /* the benchmark's own connection to uri, for counts */
    /* Each instance's libpq calls (pgcount.h), when build/bench/pgcount.so is there. */
    char shim[4096];
    struct pgcount *pc[2];
    char **env[2]; /* the instances' environment: ours, LD_PRELOAD and PGCOUNT_ENV */
    /* offers seen at the sink: peer phone -> the pool number it came from */
    char offer_to[512][16], offer_from[512][16];
    int noffers;
};

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    int rc;

    if (!f)
        return -1;
    rc = fputs(text, f) < 0;
    return fclose(f) || rc ? -1 : 0;
}

static int free_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t n = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

    if (fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof(a)) &&
        !getsockname(fd, (struct sockaddr *)&a, &n))
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

static size_t into_buf(char *p, size_t size, size_t n, void *arg)
{
    return buf_append(arg, p, size * n) ? 0 : size * n;
}

/* GET http://127.0.0.1:port/path (with the read token); the status, body into out if given. */
static long get(int port, const char *path, struct buf *out)
{
    CURL *c = curl_easy_init();
    struct curl_slist *h = curl_slist_append(NULL, "Authorization: Bearer " READ_TOKEN);
    struct buf sink = BUF_INIT(1 << 20);
    char url[256];
    long status = 0;

    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, into_buf);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out ? out : &sink);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    buf_free(&sink);
    return status;
}

/* ---- the gateway ---- */

/*
 * The gateway's config on the current database, for the first instance (cfg)
 * and on PostgreSQL for the second (cfg2: its own listen port and spool,
 * the same public_url, so a webhook signed for one verifies at either).
 */
static int write_config(struct bench *b)
{
    char cfg[2048], cfg2[2400];
    int rc;

    snprintf(cfg, sizeof(cfg),
             "listen: 127.0.0.1:%d\n"
             "public_url: http://127.0.0.1:%d\n"
             "database: %s\n"
             "%s" /* on PostgreSQL each instance names its spool file */
             "roster: roster.yaml\n"
             "log_level: warn\n"
             "provider:\n"
             "  kind: twilio\n"
             "  account_sid: " ACCOUNT "\n"
             "  auth_token: " TOKEN "\n"
             "  api_base: http://127.0.0.1:%d\n"
             "  line_number: \"" LINE "\"\n"
             "  pool: [\"" POOL_A "\", \"" POOL_B "\"]\n"
             "  send_rate: 0\n"
             "admin:\n"
             "  token: " READ_TOKEN "\n"
             "retention:\n"
             "  hash_key: bench-hash-key-not-a-secret-0123456789\n"
             "reconcile:\n"
             "  every: 0s\n"
             "limits:\n"
             "  relay_gap: 0s\n"
             "  flood_after: 100000\n"
             "retry:\n"
             "  concurrency: %d\n"
             "http:\n"
             "  connection_limit: 1024\n",
             b->port, b->port, b->on_pg ? b->uri : "bench.db",
             b->on_pg ? "spool: first.spool\n" : "", b->sink_port, SLOTS);
    rc = write_file(b->cfg, cfg);
    if (!rc && b->on_pg) {
        /* The first line is "listen: 127.0.0.1:PORT": only it and the spool's file differ. */
        const char *rest = strchr(cfg, '\n'), *sp = strstr(cfg, "spool: first.spool\n");
        snprintf(cfg2, sizeof(cfg2), "listen: 127.0.0.1:%d%.*sspool: second.spool\n%s", b->port2,
                 (int)(sp - rest), rest, sp + strlen("spool: first.spool\n"));
        rc = write_file(b->cfg2, cfg2);
    }
    return rc;
}

/* A roster of n peers, on shift around the clock, each covering anxiety and general. */
static int write_roster(struct bench *b, int n, int max_conversations)
{
    struct buf r = BUF_INIT(0);
    int i, rc;

    buf_puts(&r, "line_name: Bench Line\ntimezone: UTC\ntopics:\n"
                 "  - id: anxiety\n    label: Anxiety\n    keywords: [anxious, anxiety]\n"
                 "  - id: general\n    label: Something else\npeers:\n");
    for (i = 0; i < n; i++) {
        /* Names are letters only (texters see them): Peer Aaa, Peer Aab, ... */
        char name[4] = {(char)('A' + i / 676 % 26), (char)('a' + i / 26 % 26), (char)('a' + i % 26),
                        0};
        buf_printf(&r,
                   "  - id: p%d\n    name: %s\n    phone: \"+1555%07d\"\n"
                   "    topics: [anxiety, general]\n    max_conversations: %d\n"
                   "    crisis_trained: true\n    shifts:\n"
                   "      - {days: [mon, tue, wed, thu, fri, sat, sun], start: \"00:00\","
                   " end: \"12:00\"}\n"
                   "      - {days: [mon, tue, wed, thu, fri, sat, sun], start: \"12:00\","
                   " end: \"00:00\"}\n",
                   i, name, 2000000 + i, max_conversations);
    }
    buf_puts(&r, "coordinators:\n  - id: sam\n    name: Sam\n    phone: \"+15551239999\"\n"
                 "    on_call: true\n");
    rc = r.p ? write_file(b->roster, r.p) : -1;
    buf_free(&r);
    return rc;
}

/* Starts instance `which` (0 the first, 1 the second) and waits for its /healthz. */
static int start_instance(struct bench *b, int which)
{
    pid_t *pid = which ? &b->pid2 : &b->pid;
    const char *cfg = which ? b->cfg2 : b->cfg, *log = which ? b->log2 : b->log;
    int i, port = which ? b->port2 : b->port;
    char **env = b->on_pg && b->env[which] ? b->env[which] : environ; /* counted on PG only */

    if (b->pc[which]) /* the last process counting into it is gone */
        memset(b->pc[which], 0, sizeof(*b->pc[which]));
    *pid = fork();
    if (*pid < 0)
        return -1;
    if (*pid == 0) {
        FILE *f = freopen(log, "a", stderr);
        (void)f;
        if (chdir(b->dir) == 0)
            execle(b->peerline, "peerline", "serve", "-c", cfg, (char *)NULL, env);
        _exit(127);
    }
    for (i = 0; i < 500; i++) {
        if (get(port, "/healthz", NULL) == 200)
            return 0;
        if (waitpid(*pid, NULL, WNOHANG) == *pid) {
            *pid = 0;
            break;
        }
        sleep_ms(20);
    }
    fprintf(stderr, "bench: the gateway did not start; see %s\n", log);
    return -1;
}

static int start_gateway(struct bench *b)
{
    return start_instance(b, 0);
}

/* Stops every instance running. */
static void stop_gateway(struct bench *b)
{
    pid_t *pid[2] = {&b->pid, &b->pid2};
    int i;

    for (i = 0; i < 2; i++) {
        if (*pid[i] <= 0)
            continue;
        kill(*pid[i], SIGTERM);
        waitpid(*pid[i], NULL, 0);
        *pid[i] = 0;
    }
}

static long rss_kb(pid_t pid)
{
    char path[64], line[256];
    long kb = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, "VmRSS:", 6))
            kb = strtol(line + 6, NULL, 10);
    fclose(f);
    return kb;
}

/* Runs sql on the cluster's own database ("peerline"): 0, or -1 with a message on stderr. */
static int pg_admin(struct bench *b, const char *sql)
{
    PGconn *c = PQconnectdb(pg_uri(b->pg));
    PGresult *r = PQstatus(c) == CONNECTION_OK ? PQexec(c, sql) : NULL;
    int rc = r && PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : -1;

    if (rc)
        fprintf(stderr, "bench: %s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    return rc;
}

/*
 * A fresh database for the next run, and the config pointing at it: on
 * SQLite the file and its WAL removed; on PostgreSQL the last database
 * dropped and a new one created (the URI of the cluster with its name).
 */
static int reset_db(struct bench *b)
{
    char p[160], sql[160];
    const char *base, *slash;

    if (b->q)
        PQfinish(b->q);
    b->q = NULL;
    if (!b->on_pg) {
        unlink(b->db);
        snprintf(p, sizeof(p), "%s-wal", b->db);
        unlink(p);
        snprintf(p, sizeof(p), "%s-shm", b->db);
        unlink(p);
        return write_config(b);
    }
    if (!b->pg)
        return -1;
    if (b->ndb) {
        snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS bench_%d", b->ndb);
        pg_admin(b, sql);
    }
    snprintf(sql, sizeof(sql), "CREATE DATABASE bench_%d", ++b->ndb);
    if (pg_admin(b, sql))
        return -1;
    base = pg_uri(b->pg);
    slash = strrchr(base, '/');
    snprintf(b->uri, sizeof(b->uri), "%.*s/bench_%d", (int)(slash - base), base, b->ndb);
    return write_config(b);
}

/*
 * The figures from here on run on PostgreSQL (pg 1) or SQLite, each on a
 * fresh database (reset_db); -1 when there is no cluster to run on.
 */
static int use_backend(struct bench *b, int pg)
{
    b->on_pg = pg && b->pg;
    return pg && !b->pg ? -1 : 0;
}

/* The benchmark's connection to the gateway's PostgreSQL database, (re)made when needed. */
static PGconn *pg_conn(struct bench *b)
{
    if (b->q && PQstatus(b->q) == CONNECTION_OK)
        return b->q;
    if (b->q)
        PQfinish(b->q);
    b->q = PQconnectdb(b->uri);
    return b->q;
}

/* SELECT COUNT(*)-style query on the gateway's database (read-only); -1 on error. */
static long query(struct bench *b, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long v = -1;

    if (b->on_pg) {
        PGresult *r = PQexec(pg_conn(b), sql);

        if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
            v = strtol(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
        return v;
    }
    if (sqlite3_open_v2(b->db, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_busy_timeout(db, 5000) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* Waits until query(sql) == want; the seconds it took, or -1 after timeout_s. */
static double wait_for(struct bench *b, const char *sql, long want, int timeout_s)
{
    int64_t t0 = load_now_us();

    while (load_now_us() - t0 < (int64_t)timeout_s * 1000000) {
        if (query(b, sql) == want)
            return (double)(load_now_us() - t0) / 1e6;
        sleep_ms(5);
    }
    return -1;
}

/* The value of a sample line of /metrics starting with `series`; -1 when missing. */
static double metric(int port, const char *series)
{
    struct buf m = BUF_INIT(4 << 20);
    const char *p;
    double v = -1;
    size_t n = strlen(series);

    if (get(port, "/metrics", &m) == 200 && m.p)
        for (p = m.p; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
            if (!strncmp(p, series, n) && p[n] == ' ') {
                v = strtod(p + n + 1, NULL);
                break;
            }
    buf_free(&m);
    return v;
}

/* ---- what bounds a figure: libpq calls, CPU, the serial lock ---- */

/* A plain copy of one instance's counters (pgcount.h), by thread name. */
struct pc_copy {
    int n;
    char name[PGCOUNT_THREADS][16];
    unsigned long long calls[PGCOUNT_THREADS][PGC_KINDS], us[PGCOUNT_THREADS][PGC_KINDS],
        cpu_ns[PGCOUNT_THREADS][PGC_KINDS], hist[PGCOUNT_THREADS][PGC_KINDS][PGCOUNT_BUCKETS];
    unsigned long long tx[PGCOUNT_THREADS], tx_us[PGCOUNT_THREADS],
        tx_hist[PGCOUNT_THREADS][PGCOUNT_BUCKETS];
};

/*
 * A thread's libpq calls over a phase: how many, microseconds inside them,
 * and on a CPU, and how many took how long (pgcount_bucket).
 */
struct trips {
    double calls, us, cpu_us;
    double hist[PGCOUNT_BUCKETS];
    struct trips_tx { /* every kind only: its transactions, BEGIN to COMMIT */
        double n, us, hist[PGCOUNT_BUCKETS];
    } tx;
};

/* Everything read at the start and at the end of a measured phase. */
struct snap {
    int64_t t_us;
    struct pc_copy pc[2];
    struct cpu_ns gw[2], engine[2], engine_db, pg, self;
    int64_t busy, total;
};

static void pc_copy(const struct pgcount *pc, struct pc_copy *out)
{
    int i, k, h;

    out->n = 0;
    for (i = 0; pc && i < PGCOUNT_THREADS; i++) {
        if (atomic_load(&pc->t[i].state) != 2)
            continue;
        memcpy(out->name[out->n], pc->t[i].name, sizeof(out->name[0]));
        out->name[out->n][15] = '\0';
        for (k = 0; k < PGC_KINDS; k++) {
            out->calls[out->n][k] = atomic_load(&pc->t[i].calls[k]);
            out->us[out->n][k] = atomic_load(&pc->t[i].us[k]);
            out->cpu_ns[out->n][k] = atomic_load(&pc->t[i].cpu_ns[k]);
            for (h = 0; h < PGCOUNT_BUCKETS; h++)
                out->hist[out->n][k][h] = atomic_load(&pc->t[i].hist[k][h]);
        }
        out->tx[out->n] = atomic_load(&pc->t[i].tx);
        out->tx_us[out->n] = atomic_load(&pc->t[i].tx_us);
        for (h = 0; h < PGCOUNT_BUCKETS; h++)
            out->tx_hist[out->n][h] = atomic_load(&pc->t[i].tx_hist[h]);
        out->n++;
    }
}

/* The calls of kind k (every kind: k < 0) by threads named name, from a to z, both instances. */
static struct trips pc_delta(const struct snap *a, const struct snap *z, const char *name, int k)
{
    struct trips t;
    int inst, i, j, kk, h;

    memset(&t, 0, sizeof(t));
    for (inst = 0; inst < 2; inst++)
        for (i = 0; i < z->pc[inst].n; i++) {
            if (strcmp(z->pc[inst].name[i], name))
                continue;
            if (k < 0) {
                t.tx.n += (double)z->pc[inst].tx[i];
                t.tx.us += (double)z->pc[inst].tx_us[i];
                for (h = 0; h < PGCOUNT_BUCKETS; h++)
                    t.tx.hist[h] += (double)z->pc[inst].tx_hist[i][h];
                for (j = 0; j < a->pc[inst].n; j++)
                    if (!strcmp(a->pc[inst].name[j], name)) {
                        t.tx.n -= (double)a->pc[inst].tx[j];
                        t.tx.us -= (double)a->pc[inst].tx_us[j];
                        for (h = 0; h < PGCOUNT_BUCKETS; h++)
                            t.tx.hist[h] -= (double)a->pc[inst].tx_hist[j][h];
                    }
            }
            for (kk = 0; kk < PGC_KINDS; kk++) {
                if (k >= 0 && kk != k)
                    continue;
                t.calls += (double)z->pc[inst].calls[i][kk];
                t.us += (double)z->pc[inst].us[i][kk];
                t.cpu_us += (double)z->pc[inst].cpu_ns[i][kk] / 1000;
                for (h = 0; h < PGCOUNT_BUCKETS; h++)
                    t.hist[h] += (double)z->pc[inst].hist[i][kk][h];
                for (j = 0; j < a->pc[inst].n; j++)
                    if (!strcmp(a->pc[inst].name[j], name)) {
                        t.calls -= (double)a->pc[inst].calls[j][kk];
                        t.us -= (double)a->pc[inst].us[j][kk];
                        t.cpu_us -= (double)a->pc[inst].cpu_ns[j][kk] / 1000;
                        for (h = 0; h < PGCOUNT_BUCKETS; h++)
                            t.hist[h] -= (double)a->pc[inst].hist[j][kk][h];
                    }
            }
        }
    return t;
}

/* The backend holding advisory lock `key` (the leading engine's session), or 0. */
static pid_t pg_lock_holder(struct bench *b, int64_t key)
{
    char sql[256];
    long pid = query(b, (snprintf(sql, sizeof(sql),
                                  "SELECT COALESCE(MAX(pid), 0) FROM pg_locks WHERE locktype = "
                                  "'advisory' AND granted AND classid = %u AND objid = %u AND "
                                  "objsubid = 1",
                                  (unsigned)((uint64_t)key >> 32), (unsigned)(uint64_t)key),
                         sql));

    return pid > 0 ? (pid_t)pid : 0;
}

/* The cluster's postmaster: the parent of our own connection's backend. */
static pid_t pg_postmaster(struct bench *b)
{
    long self = query(b, "SELECT pg_backend_pid()");

    return self > 0 ? cpu_parent((pid_t)self) : -1;
}

static void snap_take(struct bench *b, struct snap *s, pid_t engine_db, pid_t postmaster)
{
    memset(s, 0, sizeof(*s));
    s->t_us = load_now_us();
    pc_copy(b->pc[0], &s->pc[0]);
    pc_copy(b->pc[1], &s->pc[1]);
    if (b->pid > 0) {
        cpu_threads(b->pid, NULL, &s->gw[0]);
        cpu_threads(b->pid, "engine", &s->engine[0]);
    }
    if (b->pid2 > 0) {
        cpu_threads(b->pid2, NULL, &s->gw[1]);
        cpu_threads(b->pid2, "engine", &s->engine[1]);
    }
    if (engine_db > 0)
        cpu_threads(engine_db, NULL, &s->engine_db);
    if (postmaster > 0)
        cpu_children(postmaster, &s->pg);
    cpu_threads(getpid(), NULL, &s->self);
    cpu_machine(&s->busy, &s->total);
}

/*
 * Round trips to PostgreSQL per item (a text, a webhook) by thread, and the
 * time inside them: "engine 13.8 (0.93 ms; locked BEGIN 0.1 0.01 ms,
 * COMMIT 0.1 0.05 ms, savepoints 1.9 0.09 ms), sender ...".
 */
static void print_trips(const char *label, const struct snap *a, const struct snap *z, double items,
                        const char *item)
{
    static const char *const kinds[PGC_KINDS] = {"locked BEGIN", "BEGIN", "COMMIT",
                                                 "savepoints",   NULL,    NULL};
    struct buf line = BUF_INIT(0);
    char seen[2 * PGCOUNT_THREADS][16];
    int nseen = 0, inst, i, j, k;

    for (inst = 0; inst < 2; inst++)
        for (i = 0; i < z->pc[inst].n; i++) {
            const char *name = z->pc[inst].name[i];
            struct trips all, one;
            int more = 0;

            for (j = 0; j < nseen && strcmp(seen[j], name); j++)
                ;
            if (j < nseen)
                continue;
            memcpy(seen[nseen++], name, sizeof(seen[0]));
            all = pc_delta(a, z, name, -1);
            if (all.calls / items < 0.05)
                continue;
            buf_printf(&line, "%s%s %.1f (%.2f ms", line.len ? ", " : "", name, all.calls / items,
                       all.us / items / 1000);
            for (k = 0; k < PGC_KINDS; k++) {
                if (!kinds[k])
                    continue;
                one = pc_delta(a, z, name, k);
                if (one.calls / items >= 0.05)
                    buf_printf(&line, "%s%s %.1f %.2f ms", more++ ? ", " : "; ", kinds[k],
                               one.calls / items, one.us / items / 1000);
            }
            buf_puts(&line, ")");
        }
    if (line.p)
        printf("%s: round trips to PostgreSQL per %s, and the time inside them, by thread: %s\n",
               label, item, line.p);
    else
        printf("%s: round trips not counted (no build/bench/pgcount.so)\n", label);
    buf_free(&line);
}

/* The p-quantile of n latencies counted in hist, in ms: the top of its bucket (within 20%). */
static double hist_pct(const double *hist, double n, double p)
{
    double seen = 0;
    int h;

    for (h = 0; h < PGCOUNT_BUCKETS; h++) {
        seen += hist[h];
        if (n > 0 && seen >= p * n)
            return (double)pgcount_bucket_floor(h + 1) / 1000;
    }
    return 0;
}

static double trips_pct(const struct trips *t, double p)
{
    return hist_pct(t->hist, t->calls, p);
}

/* Calls of t that took `ms` or longer (the buckets from there on). */
static double trips_over(const struct trips *t, double ms)
{
    double n = 0;
    int h;

    for (h = 0; h < PGCOUNT_BUCKETS; h++)
        if ((double)pgcount_bucket_floor(h) >= ms * 1000)
            n += t->hist[h];
    return n;
}

/*
 * The slow end of the round trips, for the threads a text passes through:
 * "engine p99 0.3 ms, slowest 45 ms, 12 over 10 ms (COMMIT p99 2.1 ms,
 * slowest 45 ms)": what a latency's p99 can be made of.
 */
static void print_tails(const char *label, const struct snap *a, const struct snap *z)
{
    static const char *const threads[] = {"ingest", "engine", "sender"};
    struct buf line = BUF_INIT(0);
    size_t i;

    for (i = 0; i < sizeof(threads) / sizeof(threads[0]); i++) {
        struct trips all = pc_delta(a, z, threads[i], -1),
                     commit = pc_delta(a, z, threads[i], PGC_COMMIT);
        if (all.calls < 1)
            continue;
        buf_printf(&line, "%s%s p99 %.2f ms, slowest %.1f ms, %.0f over 10 ms",
                   line.len ? "; " : "", threads[i], trips_pct(&all, 0.99), trips_pct(&all, 1),
                   trips_over(&all, 10));
        if (commit.calls >= 1)
            buf_printf(&line, " (COMMIT: p99 %.2f ms, slowest %.1f ms)", trips_pct(&commit, 0.99),
                       trips_pct(&commit, 1));
    }
    if (line.p)
        printf("%s: the slowest round trips (within 20%%): %s\n", label, line.p);
    buf_free(&line);
    line = (struct buf)BUF_INIT(0);
    for (i = 0; i < sizeof(threads) / sizeof(threads[0]); i++) {
        struct trips all = pc_delta(a, z, threads[i], -1);
        if (all.tx.n < 1)
            continue;
        buf_printf(&line, "%s%s %.0f, mean %.2f ms, p99 %.1f ms, slowest %.1f ms",
                   line.len ? "; " : "", threads[i], all.tx.n, all.tx.us / all.tx.n / 1000,
                   hist_pct(all.tx.hist, all.tx.n, 0.99), hist_pct(all.tx.hist, all.tx.n, 1));
    }
    if (line.p)
        printf("%s: transactions, BEGIN to COMMIT answered (within 20%%): %s\n", label, line.p);
    buf_free(&line);
}

/*
 * Where the leading engine thread's time went over the phase, what that
 * costs per item and the rate it caps the line at (PostgreSQL); then the
 * machine's CPU by who used it.
 */
static void print_cpu(const char *label, const struct snap *a, const struct snap *z, double items,
                      const char *item)
{
    double wall = (double)(z->t_us - a->t_us) * 1000, run, wait, own, rest, gw, pg, self, busy,
           cores, other;
    int lead = (z->engine[1].run - a->engine[1].run) > (z->engine[0].run - a->engine[0].run);
    struct trips all = pc_delta(a, z, "engine", -1),
                 lock = pc_delta(a, z, "engine", PGC_LOCK_BEGIN),
                 commit = pc_delta(a, z, "engine", PGC_COMMIT);

    if (wall <= 0 || items <= 0)
        return;
    run = (double)(z->engine[lead].run - a->engine[lead].run);
    wait = (double)(z->engine[lead].wait - a->engine[lead].wait);
    if (all.calls > 0) {
        own = run - all.cpu_us * 1000; /* on a CPU outside libpq: the engine's own work */
        rest = wall - all.us * 1000 - own;
        printf("%s: the engine thread (%s instance) over %.2f s: inside libpq %.0f%% (%.3f ms a "
               "round trip; the serial lock's BEGIN %.0f%%, COMMIT %.0f%%; on a CPU in them "
               "%.0f%%), its own work on a CPU %.0f%%, the rest %.0f%% (idle, or waiting for a CPU "
               "between statements); runnable but waiting for a CPU %.0f%% in all",
               label, lead ? "second" : "first", wall / 1e9, 100 * all.us * 1000 / wall,
               all.us / all.calls / 1000, 100 * lock.us * 1000 / wall,
               100 * commit.us * 1000 / wall, 100 * all.cpu_us * 1000 / wall, 100 * own / wall,
               100 * (rest > 0 ? rest : 0) / wall, 100 * wait / wall);
        if (z->engine_db.run > a->engine_db.run)
            printf("; its PostgreSQL backend on a CPU %.0f%% (%.3f ms a round trip)",
                   100 * (double)(z->engine_db.run - a->engine_db.run) / wall,
                   (double)(z->engine_db.run - a->engine_db.run) / all.calls / 1e6);
        printf("\n%s: the engine's cost per %s: %.3f ms inside libpq + %.3f ms of its own CPU = "
               "%.3f ms: alone it caps the line at %.0f %ss/s\n",
               label, item, all.us / items / 1000, own / items / 1e6,
               (all.us * 1000 + own) / items / 1e6,
               all.us * 1000 + own > 0 ? items * 1e9 / (all.us * 1000 + own) : 0, item);
    } else {
        printf("%s: the engine thread over %.2f s: on a CPU %.0f%% (%.3f ms per %s), runnable but "
               "waiting for a CPU %.0f%%, the rest %.0f%% (idle, or waiting for the database)\n",
               label, wall / 1e9, 100 * run / wall, run / items / 1e6, item, 100 * wait / wall,
               100 * (1 - (run + wait) / wall));
    }
    gw = (double)(z->gw[0].run - a->gw[0].run + z->gw[1].run - a->gw[1].run) / wall;
    pg = (double)(z->pg.run - a->pg.run) / wall;
    self = (double)(z->self.run - a->self.run) / wall;
    busy = (double)(z->busy - a->busy) / wall;
    cores = z->total > a->total ? (double)(z->total - a->total) / wall : 0;
    other = busy - gw - pg - self;
    printf("%s: the machine's CPU: %.2f of %.0f cores busy: gateway%s %.2f, ", label, busy, cores,
           z->gw[1].run > 0 ? "s" : "", gw);
    if (z->pg.run > 0)
        printf("PostgreSQL %.2f, ", pg);
    printf("load generator and sink %.2f, everything else (other users of the machine) %.2f\n",
           self, other > 0 ? other : 0);
}

/*
 * Every 10 ms, on a connection of its own: who waits for the serial lock
 * (pg_locks), and how long a round trip (a prepared SELECT 1) takes on the
 * machine as loaded as it is during the run.
 */
#define RTT_SAMPLES 4096
struct lock_sampler {
    pthread_t thread;
    atomic_int stop;
    PGconn *c;
    long samples, busy, waiters; /* busy: samples with someone waiting */
    int64_t rtt[RTT_SAMPLES];
    size_t nrtt;
    int running;
};

static void *sample_locks(void *arg)
{
    struct lock_sampler *s = arg;

    while (!atomic_load(&s->stop)) {
        PGresult *r = PQexecPrepared(s->c, "waiters", 0, NULL, NULL, NULL, 0);
        int64_t t;

        if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
            long n = strtol(PQgetvalue(r, 0, 0), NULL, 10);
            s->samples++;
            s->busy += n > 0;
            s->waiters += n;
        }
        PQclear(r);
        t = load_now_us();
        r = PQexecPrepared(s->c, "one", 0, NULL, NULL, NULL, 0);
        if (PQresultStatus(r) == PGRES_TUPLES_OK && s->nrtt < RTT_SAMPLES)
            s->rtt[s->nrtt++] = load_now_us() - t;
        PQclear(r);
        sleep_ms(10);
    }
    return NULL;
}

static void sampler_start(struct bench *b, struct lock_sampler *s)
{
    char sql[256];
    PGresult *r;

    memset(s, 0, sizeof(*s));
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND "
             "classid = %u AND objid = %u AND objsubid = 1",
             (unsigned)((uint64_t)DB_PG_SERIAL_KEY >> 32), (unsigned)(uint64_t)DB_PG_SERIAL_KEY);
    s->c = PQconnectdb(b->uri);
    r = PQprepare(s->c, "waiters", sql, 0, NULL);
    if (PQresultStatus(r) == PGRES_COMMAND_OK) {
        PQclear(r);
        r = PQprepare(s->c, "one", "SELECT 1", 0, NULL);
    }
    if (PQresultStatus(r) == PGRES_COMMAND_OK && !pthread_create(&s->thread, NULL, sample_locks, s))
        s->running = 1;
    PQclear(r);
}

static void sampler_stop(struct lock_sampler *s, const char *label)
{
    int64_t sum = 0;
    size_t i;

    if (s->running) {
        atomic_store(&s->stop, 1);
        pthread_join(s->thread, NULL);
    }
    if (!s->samples || !s->nrtt) {
        printf("%s: not sampled during the run: %s", label,
               s->c ? PQerrorMessage(s->c) : "no connection\n");
        PQfinish(s->c);
        s->c = NULL;
        return;
    }
    for (i = 0; i < s->nrtt; i++)
        sum += s->rtt[i];
    qsort(s->rtt, s->nrtt, sizeof(s->rtt[0]), bench_cmp_i64);
    printf("%s: sampled every 10 ms during the run (%ld times, on a connection of its own): "
           "transactions waiting for the serial lock in pg_locks %.2f on average, some in %.0f%% "
           "of the samples; a round trip (prepared SELECT 1) mean %.3f ms, p50 %.3f ms, p99 %.3f "
           "ms, slowest %.1f ms\n",
           label, s->samples, (double)s->waiters / (double)s->samples,
           100.0 * (double)s->busy / (double)s->samples, (double)sum / (double)s->nrtt / 1000,
           (double)bench_pct(s->rtt, s->nrtt, 0.5) / 1000,
           (double)bench_pct(s->rtt, s->nrtt, 0.99) / 1000, (double)s->rtt[s->nrtt - 1] / 1000);
    PQfinish(s->c);
    s->c = NULL;
}

/* ---- webhooks ---- */

struct hooks {
    struct load_req *reqs;
    char **bodies, **headers;
    size_t n;
};

static void hooks_free(struct hooks *h)
{
    size_t i;

    for (i = 0; i < h->n; i++) {
        free(h->bodies[i]);
        free(h->headers[i]);
    }
    free(h->bodies);
    free(h->headers);
    free(h->reqs);
    memset(h, 0, sizeof(*h));
}

/* Adds one signed POST /twilio/sms from -> to saying text, with a fresh MessageSid. */
static int hook_add(struct hooks *h, struct bench *b, const char *from, const char *to,
                    const char *text)
{
    static unsigned long long seq;
    struct buf body = BUF_INIT(0);
    struct form f;
    char sid[40], url[128], sig[TWILIO_SIG_LEN], hdr[TWILIO_SIG_LEN + 32];
    const char *why;
    size_t where, i = h->n;
    int rc = -1;

    seq++;
    snprintf(sid, sizeof(sid), "SM%016llx%016llx", 0xbe9c0000ULL + seq,
             (unsigned long long)getpid() * 7919ULL + seq);
    form_add(&body, "ToCountry", "US");
    form_add(&body, "SmsMessageSid", sid);
    form_add(&body, "NumMedia", "0");
    form_add(&body, "MessageSid", sid);
    form_add(&body, "AccountSid", ACCOUNT);
    form_add(&body, "From", from);
    form_add(&body, "To", to);
    form_add(&body, "Body", text);
    form_add(&body, "NumSegments", "1");
    form_add(&body, "ApiVersion", "2010-04-01");
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/twilio/sms", b->port);
    if (!body.p || form_parse(body.p, body.len, &f, &why, &where))
        goto done;
    rc = twilio_signature(TOKEN, url, &f, sig);
    form_free(&f);
    if (rc)
        goto done;
    snprintf(hdr, sizeof(hdr), "X-Twilio-Signature: %s", sig);
    h->reqs = realloc(h->reqs, (i + 1) * sizeof(*h->reqs));
    h->bodies = realloc(h->bodies, (i + 1) * sizeof(*h->bodies));
    h->headers = realloc(h->headers, (i + 1) * sizeof(*h->headers));
    if (!h->reqs || !h->bodies || !h->headers)
        abort(); /* a benchmark out of memory has nothing to say */
    h->bodies[i] = buf_take(&body);
    h->headers[i] = strdup(hdr);
    h->reqs[i].body = h->bodies[i];
    h->reqs[i].len = strlen(h->bodies[i]);
    h->reqs[i].header = h->headers[i];
    h->n++;
    rc = 0;
done:
    buf_free(&body);
    return rc;
}

static int post_all(struct bench *b, struct hooks *h, int conns, double rate, struct load_result *r)
{
    char url[128];
    struct load_opts o = {url, NULL, conns, rate, NULL};

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/twilio/sms", b->port);
    return load_run(&o, h->reqs, h->n, r);
}

/* The sink saw a text: remember offers ("... Reply #take ...") by peer. */
static void on_message(void *arg, const char *to, const char *from, const char *body)
{
    struct bench *b = arg;

    if (strstr(body, "#take") && b->noffers < 512) {
        snprintf(b->offer_to[b->noffers], sizeof(b->offer_to[0]), "%s", to);
        snprintf(b->offer_from[b->noffers], sizeof(b->offer_from[0]), "%s", from);
        b->noffers++;
    }
}

/* ---- the figures ---- */

/* One ingest run on the current backend: its lines; the webhooks/s answered (0: none). */
static double ingest_on(struct bench *b, struct hooks *h, const struct load_result *bare_r,
                        const char *label)
{
    struct load_result ours;
    static struct snap a, z; /* big (the latency histograms): not on the stack */
    double handled;

    if (reset_db(b) || write_roster(b, 3, 2) || start_gateway(b)) {
        printf("%s: not measured: the gateway did not start on a fresh database (see %s)\n", label,
               b->log);
        stop_gateway(b);
        return 0;
    }
    snap_take(b, &a, 0, 0);
    post_all(b, h, CONNS, 0, &ours);
    handled = wait_for(b, "SELECT COUNT(*) FROM inbound WHERE processed_at IS NULL", 0, 120);
    snap_take(b, &z, 0, 0);
    printf("%s: %.0f webhooks/s stored and answered (%ld of %zu 2xx), bare libmicrohttpd "
           "%.0f/s: ratio %.2f\n",
           label, ours.per_s, ours.ok, h->n, bare_r->per_s,
           bare_r->per_s > 0 ? ours.per_s / bare_r->per_s : 0);
    if (handled >= 0)
        printf("%s: every text handled by the engine (new chat, menu queued) %.2f s after the "
               "last answer: %.0f texts/s end to end\n",
               label, handled, (double)h->n / (ours.seconds + handled));
    else
        printf("%s: the engine had not handled every text after 120 s\n", label);
    printf("%s: webhook answer latency p50 %.2f ms, p99 %.2f ms (bare: p50 %.2f ms, p99 %.2f "
           "ms)\n",
           label, ours.lat_p50_us / 1000, ours.lat_p99_us / 1000, bare_r->lat_p50_us / 1000,
           bare_r->lat_p99_us / 1000);
    if (b->on_pg) {
        print_trips(label, &a, &z, (double)h->n, "webhook (a new texter)");
        struct trips in = pc_delta(&a, &z, "ingest", -1);
        if (in.us > 0)
            printf("%s: the webhooks' writer (one thread, one round trip at a time) waited on "
                   "PostgreSQL %.1f s of the %.1f s of answers: alone it caps ingest at %.0f "
                   "webhooks/s\n",
                   label, in.us / 1e6, ours.seconds, (double)h->n * 1e6 / in.us);
    }
    stop_gateway(b);
    return ours.per_s;
}

static void ingest(struct bench *b, size_t n)
{
    struct hooks h = {0};
    struct load_result bare_r;
    struct bare *yard;
    char err[256], url[128], texter[16];
    double lite, pg;
    size_t i;

    for (i = 0; i < n; i++) {
        snprintf(texter, sizeof(texter), "+1556%07u", (unsigned)(i % 10000000));
        if (hook_add(&h, b, texter, LINE, "hello, is anyone there?"))
            goto done;
    }
    /* The yardstick first: the same requests, to a server that only answers. */
    yard = bare_start("127.0.0.1", 0, 2, BARE_TWIML, err, sizeof(err));
    if (!yard) {
        printf("ingest: no yardstick: %s\n", err);
        goto done;
    }
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/twilio/sms", bare_port(yard));
    {
        struct load_opts o = {url, NULL, CONNS, 0, NULL};
        load_run(&o, h.reqs, h.n, &bare_r);
    }
    bare_stop(yard);
    /* The same webhooks on each backend, each on a fresh database. */
    use_backend(b, 0);
    lite = ingest_on(b, &h, &bare_r, "ingest");
    if (!b->pg) {
        printf("ingest (PostgreSQL): not measured: %s\n", b->pg_why);
        goto done;
    }
    use_backend(b, 1);
    pg = ingest_on(b, &h, &bare_r, "ingest (PostgreSQL)");
    if (lite > 0 && pg > 0)
        printf("ingest: PostgreSQL / SQLite, webhooks/s answered after commit: ratio %.2f (target "
               ">= %.1f)\n",
               pg / lite, PG_INGEST_RATIO);
done:
    use_backend(b, 0);
    hooks_free(&h);
}

/*
 * Opens `chats` chats through the front door of the first instance: each
 * texter asks, each peer takes its offer. 0 once all are active and every
 * text they caused has been sent.
 */
static int open_chats(struct bench *b, int chats, const char *label)
{
    struct hooks h = {0};
    struct load_result r;
    char texter[16], sql[160];
    int i;

    b->noffers = 0;
    for (i = 0; i < chats; i++) {
        snprintf(texter, sizeof(texter), "+1557%07d", i);
        hook_add(&h, b, texter, LINE, "I'm anxious");
    }
    post_all(b, &h, 8, 0, &r);
    hooks_free(&h);
    for (i = 0; i < 500 && b->noffers < chats; i++)
        sleep_ms(20);
    for (i = 0; i < b->noffers; i++)
        hook_add(&h, b, b->offer_to[i], b->offer_from[i], "#take");
    post_all(b, &h, 8, 0, &r);
    hooks_free(&h);
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM conversations WHERE state = 'active'");
    if (wait_for(b, sql, chats, 30) < 0) {
        printf("%s: not measured: only %ld of %d chats opened; see %s\n", label, query(b, sql),
               chats, b->log);
        return -1;
    }
    wait_for(b, "SELECT COUNT(*) FROM outbox WHERE state IN ('pending','sending')", 0, 30);
    return 0;
}

/* The relay figure at `rate` texts/s: its lines; our share's p99 in ms (-1: not measured). */
static double relay(struct bench *b, int chats, double rate, double seconds, const char *label)
{
    struct hooks h = {0};
    struct load_result r;
    struct lock_sampler ls = {0};
    static struct snap a, z; /* big (the latency histograms): not on the stack */
    char texter[16];
    double ready50, ready99, issued50, issued99, p99 = -1;
    pid_t engine_db = 0, postmaster = 0;
    size_t k, n = (size_t)(rate * seconds);

    if (reset_db(b) || write_roster(b, chats, 1) || start_gateway(b)) {
        printf("%s: not measured: the gateway did not start on a fresh database\n", label);
        goto done;
    }
    if (open_chats(b, chats, label))
        goto done;
    /*
     * The gateway's latency samples are the last 8,192 texts of any kind:
     * restarted, it keeps none of the burst that opened the chats (offers,
     * first words), whose queue is no part of a relay at a steady load.
     */
    stop_gateway(b);
    if (start_gateway(b)) {
        printf("%s: not measured: the gateway did not start again\n", label);
        goto done;
    }
    for (k = 0; k < n; k++) {
        char text[64];
        snprintf(texter, sizeof(texter), "+1557%07d", (int)(k % (size_t)chats));
        snprintf(text, sizeof(text), "relay %zu: how are you doing today?", k);
        hook_add(&h, b, texter, LINE, text);
    }
    if (b->on_pg) {
        engine_db = pg_lock_holder(b, LEAD_KEY);
        postmaster = pg_postmaster(b);
        sampler_start(b, &ls);
    }
    snap_take(b, &a, engine_db, postmaster);
    post_all(b, &h, CONNS, rate, &r);
    wait_for(b, "SELECT COUNT(*) FROM outbox WHERE state IN ('pending','sending')", 0, 60);
    snap_take(b, &z, engine_db, postmaster);
    ready50 = metric(b->port, "peerline_own_latency_seconds{stage=\"ready\",quantile=\"0.5\"}");
    ready99 = metric(b->port, "peerline_own_latency_seconds{stage=\"ready\",quantile=\"0.99\"}");
    issued50 = metric(b->port, "peerline_own_latency_seconds{stage=\"issued\",quantile=\"0.5\"}");
    issued99 = metric(b->port, "peerline_own_latency_seconds{stage=\"issued\",quantile=\"0.99\"}");
    printf("%s: %zu texts over %d chats at %.0f texts/s offered (%.0f/s answered, %ld 2xx)\n",
           label, n, chats, rate, r.per_s, r.ok);
    printf("%s: webhook arrival -> relay ready in the outbox: p50 %.3f ms, p99 %.3f ms\n", label,
           ready50 * 1000, ready99 * 1000);
    printf("%s: outbox ready -> provider request sent: p50 %.3f ms, p99 %.3f ms\n", label,
           issued50 * 1000, issued99 * 1000);
    printf("%s: our share in all: p99 <= %.3f ms (the two p99s added)", label,
           (ready99 + issued99) * 1000);
    if (b->on_pg)
        printf("; target on loopback PostgreSQL: p99 <= %.0f ms", PG_RELAY_P99_MS);
    printf("\n");
    if (ready99 >= 0 && issued99 >= 0)
        p99 = (ready99 + issued99) * 1000;
    if (b->on_pg) {
        print_trips(label, &a, &z, (double)n, "relayed text");
        print_tails(label, &a, &z);
        print_cpu(label, &a, &z, (double)n, "text");
        sampler_stop(&ls, label);
    }
done:
    hooks_free(&h);
    stop_gateway(b);
    return p99;
}

/*
 * texts/s through the whole line: n texts in open chats posted as fast as
 * the connections take them (spread over both instances when there are
 * two), from the first webhook sent to the last relay at the sink.
 */
static double pipeline(struct bench *b, size_t n, int instances, const char *label,
                       double *answered)
{
    struct hooks h = {0};
    struct load_result r;
    struct lock_sampler ls = {0};
    static struct snap a, z; /* big (the latency histograms): not on the stack */
    char texter[16], url[128], url2[128];
    pid_t engine_db = 0, postmaster = 0;
    int64_t t0, last;
    double rate = 0;
    const int chats = 50;
    size_t k;
    int w;

    bare_reset(b->sink);
    if (reset_db(b) || write_roster(b, chats, 1) || start_gateway(b) ||
        (instances > 1 && start_instance(b, 1))) {
        printf("%s: not measured: the gateway did not start on a fresh database\n", label);
        goto done;
    }
    if (open_chats(b, chats, label))
        goto done;
    for (k = 0; k < n; k++) {
        char text[64];
        snprintf(texter, sizeof(texter), "+1557%07d", (int)(k % (size_t)chats));
        snprintf(text, sizeof(text), "text %zu: how are you doing today?", k);
        hook_add(&h, b, texter, LINE, text);
    }
    if (b->on_pg) {
        engine_db = pg_lock_holder(b, LEAD_KEY);
        postmaster = pg_postmaster(b);
        sampler_start(b, &ls);
    }
    bare_reset(b->sink);
    snap_take(b, &a, engine_db, postmaster);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/twilio/sms", b->port);
    snprintf(url2, sizeof(url2), "http://127.0.0.1:%d/twilio/sms", b->port2);
    t0 = load_now_us();
    {
        struct load_opts o = {url, NULL, CONNS, 0, instances > 1 ? url2 : NULL};
        load_run(&o, h.reqs, h.n, &r);
    }
    for (w = 0; w < 60000 && bare_count(b->sink) < (long)n; w++)
        sleep_ms(2);
    snap_take(b, &z, engine_db, postmaster);
    last = bare_last_us(b->sink);
    if (bare_count(b->sink) >= (long)n && last > t0)
        rate = (double)n * 1e6 / (double)(last - t0);
    printf("%s: %.0f texts/s, webhook in to relay at the sink (%zu texts over %d chats, %s; %ld "
           "webhooks 2xx, %ld relays received, webhooks answered at %.0f/s)\n",
           label, rate, n, chats,
           instances > 1 ? "webhooks alternating between two instances" : "one instance", r.ok,
           bare_count(b->sink), r.per_s);
    *answered = r.per_s;
    if (b->on_pg)
        print_trips(label, &a, &z, (double)n, "text");
    print_cpu(label, &a, &z, (double)n, "text");
    if (b->on_pg)
        sampler_stop(&ls, label);
done:
    hooks_free(&h);
    stop_gateway(b);
    return rate;
}

static void pipelines(struct bench *b, size_t n)
{
    double one, two, one_in = 0, two_in = 0;

    use_backend(b, 0);
    pipeline(b, n, 1, "pipeline", &one_in);
    if (use_backend(b, 1)) {
        printf("pipeline (PostgreSQL): not measured: %s\n", b->pg_why);
        return;
    }
    one = pipeline(b, n, 1, "pipeline (PostgreSQL, one instance)", &one_in);
    two = pipeline(b, n, 2, "pipeline (PostgreSQL, two instances)", &two_in);
    if (one > 0 && two > 0)
        printf("pipeline: two instances / one on PostgreSQL: ratio %.2f (target >= %.1f); "
               "webhooks answered (ingest alone): ratio %.2f\n",
               two / one, TWO_ONE_RATIO, one_in > 0 ? two_in / one_in : 0);
    use_backend(b, 0);
}

/* Fills the outbox with n texts to n people, as a surge would leave it. */
static int fill_outbox(struct bench *b, size_t n, struct buf *bodies)
{
    char err[256], to[16], text[96];
    struct store *st = store_open(b->db, err, sizeof(err));
    struct store_out o = {0};
    int64_t now = (int64_t)time(NULL) * 1000;
    size_t i;
    int rc = 0;

    if (!st) {
        printf("sender: %s\n", err);
        return -1;
    }
    store_begin(st);
    for (i = 0; i < n && !rc; i++) {
        struct twilio_send ts;
        snprintf(to, sizeof(to), "+1558%07u", (unsigned)(i % 10000000));
        snprintf(text, sizeof(text), "Thanks for waiting: a peer will text you soon (%zu).", i);
        snprintf(o.to, sizeof(o.to), "%s", to);
        snprintf(o.from, sizeof(o.from), "%s", i % 2 ? POOL_A : LINE);
        o.body = text;
        o.kind = OUT_SAFETY;
        o.expires_at = now + 3600 * 1000;
        rc = store_outbox_add(st, &o, now);
        /* The same request, for the bare client. */
        ts.to = o.to;
        ts.from = o.from;
        ts.body = text;
        ts.status_callback = "http://127.0.0.1/twilio/status";
        ts.validity_s = 3600;
        if (!rc) {
            struct buf one = BUF_INIT(0);
            rc = twilio_send_body(&ts, &one);
            buf_puts(&one, "\n");
            buf_append(bodies, one.p, one.len);
            buf_free(&one);
        }
    }
    rc = rc || store_commit(st);
    store_close(st);
    return rc ? -1 : 0;
}

static void sender(struct bench *b, size_t n)
{
    struct buf all = BUF_INIT(0);
    struct load_req *reqs = calloc(n, sizeof(*reqs));
    struct load_result r;
    char url[256], *p;
    double ours = 0;
    long got = 0;
    size_t i;
    int w;

    reset_db(b);
    bare_reset(b->sink);
    if (!reqs || write_roster(b, 3, 2) || fill_outbox(b, n, &all) || !all.p)
        goto done;
    if (start_gateway(b))
        goto done;
    for (w = 0; w < 6000 && bare_count(b->sink) < (long)n; w++)
        sleep_ms(10);
    if (bare_count(b->sink) >= (long)n && bare_last_us(b->sink) > bare_first_us(b->sink))
        ours = (double)n * 1e6 / (double)(bare_last_us(b->sink) - bare_first_us(b->sink));
    got = bare_count(b->sink);
    stop_gateway(b);
    /* The bare client: the same bodies, the same sink, as many connections as slots. */
    for (i = 0, p = all.p; i < n && p; i++) {
        char *nl = strchr(p, '\n');
        *nl = '\0';
        reqs[i].body = p;
        reqs[i].len = (size_t)(nl - p);
        p = nl + 1;
    }
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/2010-04-01/Accounts/%s/Messages.json",
             bare_port(b->sink), ACCOUNT);
    {
        struct load_opts o = {url, ACCOUNT ":" TOKEN, SLOTS, 0, NULL};
        load_run(&o, reqs, n, &r);
    }
    printf("sender: %.0f texts/s to a local sink (%ld of %zu sent), bare libcurl-multi %.0f/s: "
           "ratio %.2f\n",
           ours, got, n, r.per_s, r.per_s > 0 ? ours / r.per_s : 0);
done:
    free(reqs);
    buf_free(&all);
}

/* 100,000 closed conversations with their contacts and texts, as months of a line leave. */
static int seed_history(struct bench *b, long n)
{
    char err[256];
    struct store *st = store_open(b->db, err, sizeof(err)); /* creates the schema */
    sqlite3 *db = NULL;
    int rc;

    store_close(st);
    if (!st || sqlite3_open(b->db, &db) != SQLITE_OK)
        return -1;
    rc = sqlite3_exec(
        db,
        "BEGIN;"
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)"
        " INSERT INTO contacts (number, first_seen) SELECT printf('+1559%07d', i), 0 FROM n;"
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)"
        " INSERT INTO conversations (texter, line_number, state, topic, peer_id, peer_number,"
        " created_at, closed_at, close_reason)"
        " SELECT printf('+1559%07d', i), '" LINE "', 'closed', 'anxiety', printf('p%d', i % 10000),"
        " '" POOL_A "', i, i + 1, 'bye' FROM n;"
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)"
        " INSERT INTO inbound (provider_sid, from_number, to_number, body, num_media, received_at,"
        " processed_at, conversation_id)"
        " SELECT printf('SM%032x', i), printf('+1559%07d', i), '" LINE "',"
        " 'a text from months ago', 0, i, i, i FROM n;"
        "COMMIT;",
        NULL, NULL, NULL);
    sqlite3_close(db);
    (void)n;
    return rc == SQLITE_OK ? 0 : -1;
}

static void memory(struct bench *b)
{
    long idle, big;

    reset_db(b);
    if (write_roster(b, 3, 2) || start_gateway(b))
        return;
    sleep_ms(1500);
    idle = rss_kb(b->pid);
    stop_gateway(b);
    reset_db(b);
    if (write_roster(b, 10000, 2) || seed_history(b, 100000) || start_gateway(b))
        return;
    sleep_ms(1500);
    get(b->port, "/admin/api/status", NULL); /* the dashboard's view (a page of peers), once */
    big = rss_kb(b->pid);
    printf("memory: idle RSS %.1f MB with the demo-sized roster; %.1f MB with 10,000 peers and "
           "100,000 stored conversations\n",
           idle / 1024.0, big / 1024.0);
    stop_gateway(b);
}

/* No figures named after the text count: all of them; else those named. */
static int wanted(int argc, char **argv, const char *figure)
{
    int i;

    for (i = 3; i < argc; i++)
        if (!strcmp(argv[i], figure))
            return 1;
    return argc <= 3;
}

/*
 * The libpq shim next to this binary (build/bench/pgcount.so), each
 * instance's counters file mapped, and the environment that preloads the
 * shim into the gateway on PostgreSQL. Without the shim the figures run
 * uncounted.
 */
static void counters_setup(struct bench *b)
{
    char exe[4000], *slash, path[160], pre[4200], cnt[200];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    size_t n = 0, i, k;
    int which;

    if (len <= 0)
        return;
    exe[len] = '\0';
    slash = strrchr(exe, '/');
    if (!slash)
        return;
    *slash = '\0';
    snprintf(b->shim, sizeof(b->shim), "%s/pgcount.so", exe);
    if (access(b->shim, R_OK))
        return;
    while (environ[n])
        n++;
    for (which = 0; which < 2; which++) {
        int fd;
        void *p;

        snprintf(path, sizeof(path), "%s/pgcount-%d", b->dir, which + 1);
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0 || ftruncate(fd, sizeof(struct pgcount))) {
            if (fd >= 0)
                close(fd);
            return;
        }
        p = mmap(NULL, sizeof(struct pgcount), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        close(fd);
        if (p == MAP_FAILED)
            return;
        b->pc[which] = p;
        b->env[which] = calloc(n + 3, sizeof(char *));
        if (!b->env[which])
            return;
        for (i = k = 0; i < n; i++)
            if (strncmp(environ[i], "LD_PRELOAD=", 11) &&
                strncmp(environ[i], PGCOUNT_ENV "=", sizeof(PGCOUNT_ENV)))
                b->env[which][k++] = environ[i];
        snprintf(pre, sizeof(pre), "LD_PRELOAD=%s", b->shim);
        snprintf(cnt, sizeof(cnt), PGCOUNT_ENV "=%s", path);
        b->env[which][k++] = strdup(pre);
        b->env[which][k++] = strdup(cnt);
    }
}

/*
 * The cluster's own yardsticks, before any figure: a prepared SELECT 1's
 * round trip, and a one-row transaction's COMMIT (its WAL flushed: fsync).
 */
static void pg_yardsticks(struct bench *b)
{
    PGconn *c = PQconnectdb(pg_uri(b->pg));
    int64_t rt[2000], cm[200], t;
    PGresult *r;
    int i, ok = PQstatus(c) == CONNECTION_OK, v = ok ? PQserverVersion(c) : 0;

    r = ok ? PQprepare(c, "one", "SELECT 1", 0, NULL) : NULL;
    ok = ok && PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    for (i = 0; ok && i < 2000; i++) {
        t = load_now_us();
        PQclear(PQexecPrepared(c, "one", 0, NULL, NULL, NULL, 0));
        rt[i] = load_now_us() - t;
    }
    PQclear(PQexec(c, "CREATE TABLE bench_commit (x int)"));
    for (i = 0; ok && i < 200; i++) {
        PQclear(PQexec(c, "BEGIN"));
        PQclear(PQexec(c, "INSERT INTO bench_commit VALUES (1)"));
        t = load_now_us();
        r = PQexec(c, "COMMIT");
        cm[i] = load_now_us() - t;
        ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
    }
    PQclear(PQexec(c, "DROP TABLE bench_commit"));
    if (ok) {
        int64_t sum = 0;
        for (i = 0; i < 2000; i++)
            sum += rt[i];
        qsort(rt, 2000, sizeof(rt[0]), bench_cmp_i64);
        qsort(cm, 200, sizeof(cm[0]), bench_cmp_i64);
        /* Bimodal on a VM: ~10 us when client and server share a CPU, ~70 us across two. */
        printf("postgresql: a throwaway cluster on 127.0.0.1:%d (PostgreSQL %d.%d, fsync on): a "
               "round trip (prepared SELECT 1) mean %.3f ms (p50 %.3f, p90 %.3f, p99 %.3f); a "
               "one-row COMMIT (WAL flushed) p50 %.3f ms, p99 %.3f ms\n",
               pg_port(b->pg), v / 10000, v % 100, (double)sum / 2000 / 1000,
               (double)bench_pct(rt, 2000, 0.5) / 1000, (double)bench_pct(rt, 2000, 0.9) / 1000,
               (double)bench_pct(rt, 2000, 0.99) / 1000, (double)bench_pct(cm, 200, 0.5) / 1000,
               (double)bench_pct(cm, 200, 0.99) / 1000);
    } else {
        printf("postgresql: no yardsticks: %s", PQerrorMessage(c));
    }
    PQfinish(c);
}

int main(int argc, char **argv)
{
    struct bench b = {0};
    char err[256], cmd[160];
    size_t n = argc > 2 ? (size_t)strtoul(argv[2], NULL, 10) : 20000;

    if (argc < 2) {
        fprintf(stderr, "usage: bench_line PATH-TO-PEERLINE [texts "
                        "[ingest|relay|sender|pipeline|memory]...]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    b.peerline = argv[1];
    if (b.peerline[0] != '/') {
        static char abs[4096];
        char cwd[3900];
        if (!getcwd(cwd, sizeof(cwd)))
            return 1;
        snprintf(abs, sizeof(abs), "%s/%s", cwd, argv[1]);
        b.peerline = abs;
    }
    snprintf(b.dir, sizeof(b.dir), "/tmp/peerline-bench-XXXXXX");
    if (!mkdtemp(b.dir))
        return 1;
    snprintf(b.cfg, sizeof(b.cfg), "%s/peerline.yaml", b.dir);
    snprintf(b.cfg2, sizeof(b.cfg2), "%s/second.yaml", b.dir);
    snprintf(b.roster, sizeof(b.roster), "%s/roster.yaml", b.dir);
    snprintf(b.db, sizeof(b.db), "%s/bench.db", b.dir);
    snprintf(b.log, sizeof(b.log), "%s/gateway.log", b.dir);
    snprintf(b.log2, sizeof(b.log2), "%s/second.log", b.dir);
    b.port = free_port();
    b.port2 = free_port();
    b.sink = bare_start("127.0.0.1", 0, 2, BARE_MESSAGE, err, sizeof(err));
    if (b.sink)
        b.sink_port = bare_port(b.sink);
    if (!b.sink || write_config(&b)) {
        fprintf(stderr, "bench: %s\n", b.sink ? "cannot write the config" : err);
        return 1;
    }
    bare_on_message(b.sink, on_message, &b);
    counters_setup(&b);
    {
        char extra[160];
        snprintf(extra, sizeof(extra), "; peerline in %s; %zu texts per figure", b.dir, n);
        bench_print_machine(extra);
    }
    if (wanted(argc, argv, "ingest") || wanted(argc, argv, "relay") ||
        wanted(argc, argv, "pipeline")) {
        b.pg = pg_start(b.pg_why, sizeof(b.pg_why));
        if (b.pg)
            pg_yardsticks(&b);
        else
            printf("postgresql: no cluster, so no figure on it: %s\n", b.pg_why);
    }
    fflush(stdout);
    if (wanted(argc, argv, "ingest"))
        ingest(&b, n);
    fflush(stdout);
    if (wanted(argc, argv, "relay")) {
        use_backend(&b, 0);
        relay(&b, 50, 1000, 10, "relay");
        fflush(stdout);
        if (!use_backend(&b, 1)) {
            double p99 = relay(&b, 50, 1000, 10, "relay (PostgreSQL)");
            /* Missed: is it each text's own latency, or a queue behind a saturated engine? */
            if (p99 > PG_RELAY_P99_MS) {
                fflush(stdout);
                relay(&b, 50, 500, 6, "relay (PostgreSQL, 500 texts/s)");
                fflush(stdout);
                relay(&b, 50, 200, 6, "relay (PostgreSQL, 200 texts/s)");
            }
        } else {
            printf("relay (PostgreSQL): not measured: %s\n", b.pg_why);
        }
        use_backend(&b, 0);
    }
    fflush(stdout);
    if (wanted(argc, argv, "sender"))
        sender(&b, n);
    fflush(stdout);
    if (wanted(argc, argv, "pipeline"))
        pipelines(&b, n / 2);
    fflush(stdout);
    if (wanted(argc, argv, "memory"))
        memory(&b);
    bare_stop(b.sink);
    if (b.q)
        PQfinish(b.q);
    pg_stop(b.pg);
    if (!getenv("PEERLINE_KEEP")) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", b.dir);
        if (system(cmd))
            fprintf(stderr, "bench: could not remove %s\n", b.dir);
    }
    curl_global_cleanup();
    return 0;
}

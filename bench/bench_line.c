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
 *   memory   RSS of an idle gateway with the demo roster, and with 10,000
 *            peers and 100,000 stored conversations.
 *
 * The provider is bench/bare.c's Messages API sink, in this process; the
 * gateway is build/peerline (argv[1]) in a temporary directory. Send-rate
 * limits and relay merging are off; logging is at warn (as the README's
 * table says). Timing is printed, never asserted: a figure that cannot be
 * measured prints why and the run goes on.
 */
#include "bare.h"
#include "common.h"
#include "buf.h"
#include "form.h"
#include "load.h"
#include "store.h"
#include "twilio.h"

#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

struct bench {
    const char *peerline;
    char dir[64];
    char cfg[128], roster[128], db[128], log[128];
    int port;
    pid_t pid;
    struct bare *sink;
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

static int write_config(struct bench *b, int reconcile_port)
{
    char cfg[2048];

    snprintf(cfg, sizeof(cfg),
             "listen: 127.0.0.1:%d\n"
             "public_url: http://127.0.0.1:%d\n"
             "database: bench.db\n"
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
             b->port, b->port, reconcile_port, SLOTS);
    return write_file(b->cfg, cfg);
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

static int start_gateway(struct bench *b)
{
    int i;

    b->pid = fork();
    if (b->pid < 0)
        return -1;
    if (b->pid == 0) {
        FILE *f = freopen(b->log, "a", stderr);
        (void)f;
        if (chdir(b->dir) == 0)
            execl(b->peerline, "peerline", "serve", "-c", b->cfg, (char *)NULL);
        _exit(127);
    }
    for (i = 0; i < 500; i++) {
        if (get(b->port, "/healthz", NULL) == 200)
            return 0;
        if (waitpid(b->pid, NULL, WNOHANG) == b->pid) {
            b->pid = 0;
            break;
        }
        sleep_ms(20);
    }
    fprintf(stderr, "bench: the gateway did not start; see %s\n", b->log);
    return -1;
}

static void stop_gateway(struct bench *b)
{
    if (b->pid <= 0)
        return;
    kill(b->pid, SIGTERM);
    waitpid(b->pid, NULL, 0);
    b->pid = 0;
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

/* A fresh database for the next run: the file and its WAL. */
static void reset_db(struct bench *b)
{
    char p[160];

    unlink(b->db);
    snprintf(p, sizeof(p), "%s-wal", b->db);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", b->db);
    unlink(p);
}

/* SELECT COUNT(*)-style query on the gateway's database (read-only); -1 on error. */
static long query(struct bench *b, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long v = -1;

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

static void ingest(struct bench *b, size_t n)
{
    struct hooks h = {0};
    struct load_result bare_r, ours;
    struct bare *yard;
    char err[256], url[128], texter[16];
    double handled;
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
    if (write_roster(b, 3, 2) || start_gateway(b))
        goto done;
    post_all(b, &h, CONNS, 0, &ours);
    handled = wait_for(b, "SELECT COUNT(*) FROM inbound WHERE processed_at IS NULL", 0, 120);
    printf("ingest: %.0f webhooks/s stored and answered (%ld of %zu 2xx), bare libmicrohttpd "
           "%.0f/s: ratio %.2f\n",
           ours.per_s, ours.ok, h.n, bare_r.per_s,
           bare_r.per_s > 0 ? ours.per_s / bare_r.per_s : 0);
    if (handled >= 0)
        printf("ingest: every text handled by the engine (new chat, menu queued) %.2f s after the "
               "last answer: %.0f texts/s end to end\n",
               handled, (double)h.n / (ours.seconds + handled));
    else
        printf("ingest: the engine had not handled every text after 120 s\n");
    printf("ingest: webhook answer latency p50 %.2f ms, p99 %.2f ms (bare: p50 %.2f ms, p99 %.2f "
           "ms)\n",
           ours.lat_p50_us / 1000, ours.lat_p99_us / 1000, bare_r.lat_p50_us / 1000,
           bare_r.lat_p99_us / 1000);
    stop_gateway(b);
done:
    hooks_free(&h);
}

static void relay(struct bench *b, int chats, double rate, double seconds)
{
    struct hooks h = {0};
    struct load_result r;
    char texter[16], sql[160];
    double ready50, ready99, issued50, issued99;
    int i;
    size_t k, n = (size_t)(rate * seconds);

    reset_db(b);
    if (write_roster(b, chats, 1) || start_gateway(b))
        return;
    /* Open the chats through the front door: each texter asks, each peer takes. */
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
        printf("relay: only %ld of %d chats opened; see %s\n", query(b, sql), chats, b->log);
        goto done;
    }
    wait_for(b, "SELECT COUNT(*) FROM outbox WHERE state IN ('pending','sending')", 0, 30);
    for (k = 0; k < n; k++) {
        char text[64];
        snprintf(texter, sizeof(texter), "+1557%07d", (int)(k % (size_t)chats));
        snprintf(text, sizeof(text), "relay %zu: how are you doing today?", k);
        hook_add(&h, b, texter, LINE, text);
    }
    post_all(b, &h, CONNS, rate, &r);
    wait_for(b, "SELECT COUNT(*) FROM outbox WHERE state IN ('pending','sending')", 0, 60);
    ready50 = metric(b->port, "peerline_own_latency_seconds{stage=\"ready\",quantile=\"0.5\"}");
    ready99 = metric(b->port, "peerline_own_latency_seconds{stage=\"ready\",quantile=\"0.99\"}");
    issued50 = metric(b->port, "peerline_own_latency_seconds{stage=\"issued\",quantile=\"0.5\"}");
    issued99 = metric(b->port, "peerline_own_latency_seconds{stage=\"issued\",quantile=\"0.99\"}");
    printf("relay: %zu texts over %d chats at %.0f texts/s offered (%.0f/s answered, %ld 2xx)\n", n,
           chats, rate, r.per_s, r.ok);
    printf("relay: webhook arrival -> relay ready in the outbox: p50 %.3f ms, p99 %.3f ms\n",
           ready50 * 1000, ready99 * 1000);
    printf("relay: outbox ready -> provider request sent: p50 %.3f ms, p99 %.3f ms\n",
           issued50 * 1000, issued99 * 1000);
    printf("relay: our share in all: p99 <= %.3f ms (the two p99s added)\n",
           (ready99 + issued99) * 1000);
done:
    hooks_free(&h);
    stop_gateway(b);
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

int main(int argc, char **argv)
{
    struct bench b = {0};
    char err[256], cmd[160];
    size_t n = argc > 2 ? (size_t)strtoul(argv[2], NULL, 10) : 20000;

    if (argc < 2) {
        fprintf(stderr,
                "usage: bench_line PATH-TO-PEERLINE [texts [ingest|relay|sender|memory]...]\n");
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
    snprintf(b.roster, sizeof(b.roster), "%s/roster.yaml", b.dir);
    snprintf(b.db, sizeof(b.db), "%s/bench.db", b.dir);
    snprintf(b.log, sizeof(b.log), "%s/gateway.log", b.dir);
    b.port = free_port();
    b.sink = bare_start("127.0.0.1", 0, 2, BARE_MESSAGE, err, sizeof(err));
    if (!b.sink || write_config(&b, bare_port(b.sink))) {
        fprintf(stderr, "bench: %s\n", b.sink ? "cannot write the config" : err);
        return 1;
    }
    bare_on_message(b.sink, on_message, &b);
    {
        char extra[160];
        snprintf(extra, sizeof(extra), "; peerline in %s; %zu texts per figure", b.dir, n);
        bench_print_machine(extra);
    }
    fflush(stdout);
    if (wanted(argc, argv, "ingest"))
        ingest(&b, n);
    fflush(stdout);
    reset_db(&b);
    if (wanted(argc, argv, "relay"))
        relay(&b, 50, 1000, 10);
    fflush(stdout);
    if (wanted(argc, argv, "sender"))
        sender(&b, n);
    fflush(stdout);
    if (wanted(argc, argv, "memory"))
        memory(&b);
    bare_stop(b.sink);
    if (!getenv("PEERLINE_KEEP")) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", b.dir);
        if (system(cmd))
            fprintf(stderr, "bench: could not remove %s\n", b.dir);
    }
    curl_global_cleanup();
    return 0;
}

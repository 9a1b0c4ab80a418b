/*
 * sender.c - see sender.h.
 *
 * Loop: claim what is ready (up to the free request slots), start a curl
 * transfer for each, wait in curl_multi_poll() until a transfer finishes,
 * the engine wakes us (curl_multi_wakeup), or the next row is due; then
 * record each finished transfer. Leases outlive a request by a margin, and
 * rows this node left 'sending' when it died are reclaimed at start.
 */
#include "sender.h"
#include "buf.h"
#include "config.h"
#include "latency.h"
#include "log.h"
#include "metrics.h"
#include "sms.h"
#include "provider.h"
#include "store.h"
#include "wake.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_SLOTS    64
#define RESPONSE_CAP (64 * 1024)
/* Sending numbers whose pacing we track. */
#define MAX_PACED 256
/* Sends whose record failed, kept to record again (see struct sender). */
#define MAX_UNRECORDED 256
/* Extra lease time beyond the request timeout, for recording the answer. */
#define LEASE_MARGIN 30000
/* How often expired leases are looked for. */
#define RECLAIM_EVERY 10000

struct slot {
    struct sender *s;
    CURL *easy;           /* kept from request to request (curl_easy_reset), freed at stop */
    int busy;             /* taken: a request is in flight, or about to be */
    int waiting;          /* set up, started once its claim is committed (launch) */
    struct store_out row; /* body owned here */
    struct buf body;      /* request */
    struct buf resp;      /* response, capped */
    int segments;
};

struct pace {
    char from[STORE_NUM];
    int64_t next_at; /* ms: earliest start of this number's next text */
};

struct sender {
    const struct config *cfg;
    struct store *st;
    CURLM *multi;
    pthread_t thread;
    int started;
    atomic_int stopping;
    char node_id[128];
    int shared; /* PostgreSQL: no round transaction (see run) */
    const struct provider *prov;
    struct provider_endpoint ep;
    struct curl_slist *headers; /* the endpoint's Content-Type and Authorization */
    void (*on_final)(void *arg);
    void *arg;
    struct metrics *metrics;
    struct slot slots[MAX_SLOTS];
    int nslots;
    struct pace paced[MAX_PACED];
    size_t npaced;
    int64_t next_reclaim; /* leases of dead senders are taken back now and then */
    uint64_t rng;
    int64_t now;
    int finals; /* final failures in this round */
    /*
     * PostgreSQL: sends the provider took whose record failed (the database
     * restarting): recorded again each round until it answers, so the
     * text is not sent a second time when its lease lapses.
     */
    struct unrecorded {
        int64_t id, at;
        char sid[PROVIDER_ID_MAX];
        int segments;
    } unrec[MAX_UNRECORDED];
    size_t nunrec;
};

/* A send whose record failed: kept to record later (PostgreSQL), else left to its lease. */
static void sent_unrecorded(struct sender *s, const struct store_out *o, const char *sid,
                            int segments)
{
    struct unrecorded *u;

    if (!s->shared || s->nunrec == MAX_UNRECORDED) {
        log_warnx("send.unrecorded", "id=%lld what=sent", (long long)o->id);
        return;
    }
    u = &s->unrec[s->nunrec++];
    u->id = o->id;
    u->at = s->now;
    u->segments = segments;
    snprintf(u->sid, sizeof(u->sid), "%s", sid);
    log_warnx("send.unrecorded", "id=%lld what=sent retry=1", (long long)o->id);
}

/* The sends whose record failed, recorded now if the database answers again. */
static void record_late(struct sender *s)
{
    size_t i = 0;

    while (i < s->nunrec) {
        struct unrecorded *u = &s->unrec[i];
        int rc;

        if (s->now - u->at > s->cfg->retry.request_timeout + LEASE_MARGIN) {
            /* Its lease has lapsed: it went back to the queue (and may go twice). */
            log_warnx("send.recorded_too_late", "id=%lld", (long long)u->id);
            s->unrec[i] = s->unrec[--s->nunrec];
            continue;
        }
        rc = store_outbox_sent(s->st, u->id, u->sid, u->segments, u->at);
        if (rc == STORE_ERROR)
            return;               /* the database still away: the next round tries again */
        if (rc == STORE_CONFLICT) /* its lease lapsed and it went back to the queue */
            log_warnx("send.recorded_too_late", "id=%lld", (long long)u->id);
        else
            log_info("send.recorded_late", "id=%lld", (long long)u->id);
        s->unrec[i] = s->unrec[--s->nunrec];
    }
}

static uint64_t next_rand(struct sender *s)
{
    /* xorshift64*: jitter only, not security. */
    s->rng ^= s->rng >> 12;
    s->rng ^= s->rng << 25;
    s->rng ^= s->rng >> 27;
    return s->rng * 2685821657736338717ULL;
}

/* The headers every send carries; 0, or -1 when out of memory. */
static int add_headers(struct sender *s)
{
    char ct[96];
    struct curl_slist *h;

    snprintf(ct, sizeof(ct), "Content-Type: %s", s->ep.content_type);
    h = curl_slist_append(NULL, ct);
    if (!h)
        return -1;
    s->headers = h;
    if (s->ep.authorization[0] && !curl_slist_append(h, s->ep.authorization))
        return -1; /* s->headers is freed with s */
    return 0;
}

struct sender *sender_new(const struct config *cfg, const char *node_id,
                          void (*on_final)(void *arg), void *arg, struct metrics *metrics,
                          char *err, size_t errlen)
{
    struct sender *s = calloc(1, sizeof(*s));

    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->cfg = cfg;
    s->on_final = on_final;
    s->arg = arg;
    s->metrics = metrics;
    s->nslots = (int)(cfg->retry.concurrency < MAX_SLOTS ? cfg->retry.concurrency : MAX_SLOTS);
    s->rng = (uint64_t)wake_now_ms() ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ULL;
    snprintf(s->node_id, sizeof(s->node_id), "%s", node_id);
    s->shared = store_is_postgres(cfg->database);
    s->prov = provider_for(cfg);
    if (s->prov->endpoint(cfg, &s->ep, err, errlen))
        goto fail;
    if (add_headers(s)) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    s->st = store_open(cfg->database, err, errlen);
    if (!s->st)
        goto fail;
    store_set_deadline(s->st, 30000); /* PostgreSQL: a hung answer never stops the sending */
    /*
     * Leases and results are bookkeeping: one a power cut takes back makes a
     * text go twice (its lease runs out, it is claimed again), never makes
     * one go missing. Not waiting for the disk here keeps the disk for the
     * commits that must wait: inbound texts and the engine's.
     */
    if (store_set_lazy_sync(s->st))
        log_warnx("send.sync_full", "%s", "msg=\"could not relax the sender's commits\"");
    s->multi = curl_multi_init();
    if (!s->multi) {
        snprintf(err, errlen, "curl_multi_init failed");
        goto fail;
    }
    curl_multi_setopt(s->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)s->nslots);
    return s;
fail:
    curl_slist_free_all(s->headers);
    store_close(s->st);
    free(s);
    return NULL;
}

/* ---- pacing ---- */

static struct pace *pace_for(struct sender *s, const char *from)
{
    size_t i;

    for (i = 0; i < s->npaced; i++)
        if (!strcmp(s->paced[i].from, from))
            return &s->paced[i];
    if (s->npaced == MAX_PACED)
        return NULL; /* more sending numbers than we track: unpaced */
    snprintf(s->paced[s->npaced].from, STORE_NUM, "%s", from);
    s->paced[s->npaced].next_at = 0;
    return &s->paced[s->npaced++];
}

/* ---- results ---- */

static int64_t backoff(struct sender *s, int attempts)
{
    int64_t d = s->cfg->retry.first_delay;
    int i;

    for (i = 1; i < attempts && d < s->cfg->retry.max_delay; i++)
        d *= 2;
    if (d > s->cfg->retry.max_delay)
        d = s->cfg->retry.max_delay;
    /* Equal jitter: half fixed, half random, so retries spread but never collapse to 0. */
    return d / 2 + (int64_t)(next_rand(s) % (uint64_t)(d / 2 + 1));
}

/*
 * A result that could not be recorded is logged; the row stays leased and is
 * taken up again when its lease runs out (so at worst the text goes twice).
 */
static void recorded(int rc, const char *what, int64_t id)
{
    if (rc == STORE_ERROR)
        log_warnx("send.unrecorded", "id=%lld what=%s", (long long)id, what);
}

static void finish(struct sender *s, const struct store_out *o, enum out_state st, int code,
                   const char *why)
{
    char to[LOG_MASK_LEN];

    recorded(store_outbox_finish(s->st, o->id, st, code, why, s->now), "finish", o->id);
    log_warnx("send.final", "id=%lld to=%s state=%s code=%d attempts=%d", (long long)o->id,
              log_mask_phone(o->to, to), st == OUT_EXPIRED ? "expired" : "failed", code,
              o->attempts);
    s->finals++;
}

static void record(struct sender *s, struct slot *sl, long http_status, CURLcode cc)
{
    const struct store_out *o = &sl->row;
    struct provider_result r;
    char to[LOG_MASK_LEN];

    s->prov->parse_send(cc == CURLE_OK ? http_status : 0, sl->resp.p, sl->resp.len, &r);
    switch (r.outcome) {
    case PROVIDER_SENT:
        if (store_outbox_sent(s->st, o->id, r.id, sl->segments, s->now) == STORE_ERROR)
            sent_unrecorded(s, o, r.id, sl->segments);
        metrics_sent(s->metrics, s->now - o->created_at);
        log_info("send.ok", "id=%lld sid=%s to=%s attempts=%d", (long long)o->id, r.id,
                 log_mask_phone(o->to, to), o->attempts);
        return;
    case PROVIDER_OPTED_OUT:
        /* The carrier has them opted out of this number (Twilio 21610, Telnyx 40300). */
        {
            char source[32];
            snprintf(source, sizeof(source), "provider-%d", r.error_code);
            store_optout_set(s->st, config_optout_scope(s->cfg, o->from), o->to, source, s->now);
        }
        finish(s, o, OUT_FAILED, r.error_code, "recipient opted out at the carrier");
        return;
    case PROVIDER_FINAL:
        finish(s, o, OUT_FAILED, r.error_code, r.error_text);
        return;
    case PROVIDER_RETRY:
        if (r.error_code == 20003 || r.error_code == 401 || r.error_code == 403)
            log_errorx("send.credentials_rejected",
                       "code=%d hint=\"check provider.account_sid and provider.auth_token\"",
                       r.error_code);
        break;
    }
    if (o->attempts >= s->cfg->retry.max_attempts) {
        finish(s, o, OUT_FAILED, r.error_code, "gave up after the last retry");
        return;
    }
    {
        int64_t at = s->now + backoff(s, o->attempts);
        if (at >= o->expires_at || at - o->created_at > s->cfg->retry.max_age) {
            finish(s, o, OUT_EXPIRED, r.error_code, "no retry left within its useful life");
            return;
        }
        recorded(store_outbox_retry(s->st, o->id, at, r.error_code,
                                    cc == CURLE_OK ? r.error_text : curl_easy_strerror(cc)),
                 "retry", o->id);
        log_info("send.retry", "id=%lld code=%d curl=%d attempts=%d in_ms=%lld", (long long)o->id,
                 r.error_code, (int)cc, o->attempts, (long long)(at - s->now));
    }
}

/* ---- starting requests ---- */

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    struct slot *sl = arg;
    size_t len = size * n;

    if (buf_append(&sl->resp, p, len))
        return 0; /* over the cap: abort the transfer */
    return len;
}

static struct slot *free_slot(struct sender *s)
{
    int i;

    for (i = 0; i < s->nslots; i++)
        if (!s->slots[i].busy)
            return &s->slots[i];
    return NULL;
}

/* The slot is free again; its easy handle stays for the next request. */
static void clear_slot(struct slot *sl)
{
    CURL *easy = sl->easy;

    buf_free(&sl->body);
    buf_free(&sl->resp);
    free(sl->row.body);
    memset(sl, 0, sizeof(*sl));
    sl->easy = easy;
}

/* libcurl is about to send the request: the moment latency.h calls "issued". */
static int issuing(void *arg, char *ip, char *local_ip, int port, int local_port)
{
    struct slot *sl = arg;

    (void)ip;
    (void)local_ip;
    (void)port;
    (void)local_port;
    latency_issued(sl->s->metrics ? sl->s->metrics->timing : NULL, sl->row.id, latency_now_us());
    return CURL_PREREQFUNC_OK;
}

static int start_request(struct sender *s, struct slot *sl)
{
    const struct store_out *o = &sl->row;
    struct provider_send ps = {o->to, o->from, o->body, (o->expires_at - s->now + 999) / 1000};

    sl->resp.max = RESPONSE_CAP;
    if (s->prov->send_body(s->cfg, &ps, &sl->body))
        return -1;
    if (sl->easy)
        curl_easy_reset(sl->easy);
    else
        sl->easy = curl_easy_init();
    if (!sl->easy)
        return -1;
    curl_easy_setopt(sl->easy, CURLOPT_URL, s->ep.url);
    if (s->ep.userpwd[0]) {
        curl_easy_setopt(sl->easy, CURLOPT_USERPWD, s->ep.userpwd);
        curl_easy_setopt(sl->easy, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    }
    curl_easy_setopt(sl->easy, CURLOPT_HTTPHEADER, s->headers);
    curl_easy_setopt(sl->easy, CURLOPT_POSTFIELDS, sl->body.p);
    curl_easy_setopt(sl->easy, CURLOPT_POSTFIELDSIZE, (long)sl->body.len);
    curl_easy_setopt(sl->easy, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(sl->easy, CURLOPT_WRITEDATA, sl);
    curl_easy_setopt(sl->easy, CURLOPT_PRIVATE, sl);
    curl_easy_setopt(sl->easy, CURLOPT_PREREQFUNCTION, issuing);
    curl_easy_setopt(sl->easy, CURLOPT_PREREQDATA, sl);
    curl_easy_setopt(sl->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(sl->easy, CURLOPT_TIMEOUT_MS, (long)s->cfg->retry.request_timeout);
    curl_easy_setopt(
        sl->easy, CURLOPT_CONNECTTIMEOUT_MS,
        (long)(s->cfg->retry.request_timeout < 10000 ? s->cfg->retry.request_timeout : 10000));
    curl_easy_setopt(sl->easy, CURLOPT_USERAGENT, "peerline");
    curl_easy_setopt(sl->easy, CURLOPT_PROTOCOLS_STR, "http,https");
    sl->busy = 1;
    sl->waiting = 1;
    return 0;
}

/*
 * After the round's commit: the claimed requests go out (ok), or, when the
 * claims were rolled back, are dropped unsent (their rows are pending again).
 */
static void launch(struct sender *s, int ok)
{
    int i;

    for (i = 0; i < s->nslots; i++) {
        struct slot *sl = &s->slots[i];
        if (!sl->waiting)
            continue;
        sl->waiting = 0;
        if (ok && curl_multi_add_handle(s->multi, sl->easy) == CURLM_OK) {
            metrics_attempt(s->metrics, sl->row.attempts > 1);
            continue;
        }
        if (ok) /* leased but not sent: its lease runs out and it is claimed again */
            log_warnx("send.not_started", "id=%lld", (long long)sl->row.id);
        clear_slot(sl);
    }
}

struct claim_ctx {
    struct sender *s;
    int started;
    int seen; /* rows claimed, whatever became of them */
};

/* Decides what to do with one claimed row: send it, defer it, or finish it unsent. */
static int on_claim(void *arg, const struct store_out *o)
{
    struct claim_ctx *cc = arg;
    struct sender *s = cc->s;
    struct slot *sl;
    struct pace *pc;
    int rc, segments = sms_segments(o->body);

    cc->seen++;
    if (s->now >= o->expires_at) {
        finish(s, o, OUT_EXPIRED, 0, "past its useful life before it could be sent");
        return 0;
    }
    rc = store_optout_check(s->st, config_optout_scope(s->cfg, o->from), o->to);
    if (rc == STORE_ERROR) { /* cannot tell: never send to someone who may have opted out */
        store_outbox_defer(s->st, o->id, s->now + 1000);
        return 0;
    }
    if (rc == STORE_FOUND && !o->after_optout) {
        store_outbox_finish(s->st, o->id, OUT_SUPPRESSED, 0, "recipient opted out", s->now);
        return 0;
    }
    pc = s->cfg->provider.send_rate ? pace_for(s, o->from) : NULL;
    if (pc && pc->next_at > s->now) {
        store_outbox_defer(s->st, o->id, pc->next_at);
        return 0;
    }
    sl = free_slot(s);
    if (!sl) { /* cannot happen: we claim no more than free slots */
        store_outbox_defer(s->st, o->id, s->now);
        return 0;
    }
    sl->s = s;
    sl->row = *o;
    sl->row.body = strdup(o->body);
    sl->segments = segments;
    if (!sl->row.body || start_request(s, sl)) {
        clear_slot(sl);
        store_outbox_defer(s->st, o->id, s->now + 1000);
        return 0;
    }
    if (pc)
        pc->next_at = s->now + (segments ? segments : 1) * 1000 / s->cfg->provider.send_rate;
    cc->started++;
    return 0;
}

static int busy_slots(const struct sender *s)
{
    int i, n = 0;

    for (i = 0; i < s->nslots; i++)
        n += s->slots[i].busy;
    return n;
}

/* Records every finished transfer (in the round's transaction). */
static void collect(struct sender *s)
{
    CURLMsg *m;
    int left;

    while ((m = curl_multi_info_read(s->multi, &left))) {
        struct slot *sl = NULL;
        long status = 0;

        if (m->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&sl);
        curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &status);
        s->now = wake_now_ms();
        record(s, sl, status, m->data.result);
        curl_multi_remove_handle(s->multi, m->easy_handle);
        clear_slot(sl);
    }
}

/*
 * Takes back rows whose sender died holding them: at start, every row this
 * node left 'sending' (it has nothing in flight yet); later, only leases
 * that ran out, whoever held them. Never this node's live sends: taking one
 * back while its request is in flight would send the text twice.
 */
static void reclaim(struct sender *s, int at_start)
{
    int n = 0;

    if (!at_start && s->now < s->next_reclaim)
        return;
    s->next_reclaim = s->now + RECLAIM_EVERY;
    if (store_outbox_reclaim(s->st, at_start ? s->node_id : NULL, s->now, &n) == STORE_OK && n)
        log_info("send.reclaimed", "rows=%d", n);
}

static void *run(void *arg)
{
    struct sender *s = arg;

    prctl(PR_SET_NAME, "sender"); /* named in top, perf and gdb */
    s->now = wake_now_ms();
    reclaim(s, 1);
    for (;;) {
        int stopping = atomic_load(&s->stopping), running = 0, busy, claim_rc = STORE_OK;
        int64_t due = INT64_MAX, wait_ms;
        struct claim_ctx cc = {s, 0, 0};
        int asked = 0, tx, ok = 1;

        curl_multi_perform(s->multi, &running);
        s->now = wake_now_ms();
        s->finals = 0;
        /*
         * On SQLite, one transaction a round, so one fsync: the answers that
         * came in and the next claims. If it fails, the answered rows stay
         * leased and are sent again when their lease runs out (at worst a
         * text goes twice, never not at all), and the claimed ones are not
         * started. On PostgreSQL each answer commits alone (its commits wait
         * for no disk there): one failed statement aborts its whole
         * transaction, and would take every other answer of the round back
         * with it; the claims are a transaction of their own.
         */
        tx = !s->shared && !store_begin_shared(s->st);
        if (s->nunrec)
            record_late(s);
        collect(s);
        busy = busy_slots(s);
        /*
         * No claims if the round's transaction is gone (SQLite rolls back
         * by itself on some errors, a full disk say): they would commit on
         * their own and then not be started when the round's commit fails.
         */
        if (!stopping && busy < s->nslots && (!tx || store_in_transaction(s->st))) {
            asked = s->nslots - busy;
            /* Lease: the request timeout plus a margin for recording the answer. */
            claim_rc = store_outbox_claim(s->st, s->node_id, s->now,
                                          s->cfg->retry.request_timeout + LEASE_MARGIN, asked,
                                          on_claim, &cc);
        }
        if (tx && store_commit(s->st)) {
            store_rollback(s->st);
            log_warnx("send.unrecorded", "what=round err=\"%s\"", store_errmsg(s->st));
            ok = 0;
            claim_rc = STORE_ERROR;
        }
        launch(s, ok);
        if (stopping && busy_slots(s) == 0) {
            if (s->nunrec) /* a last try: a send left unrecorded goes again after a restart */
                record_late(s);
            break;
        }
        curl_multi_perform(s->multi, &running); /* the new requests go out */
        if (s->finals && s->on_final)
            s->on_final(s->arg);
        /*
         * A claim that took all it asked for may have left more ready rows:
         * claim again at once. Only a short claim means the rest wait for a
         * time, which is worth a query (it reads every pending row).
         */
        if (!stopping && busy_slots(s) < s->nslots && claim_rc == STORE_OK) {
            if (!asked || cc.seen == asked)
                due = s->now;
            else
                store_outbox_next_due(s->st, &due);
        }
        s->now = wake_now_ms();
        if (!stopping)
            reclaim(s, 0);
        wait_ms = due == INT64_MAX ? 1000 : due - s->now;
        if (wait_ms > 1000)
            wait_ms = 1000;
        /* Transfers that finished just now wait for the next round to be recorded. */
        if (wait_ms < 0 || running < busy_slots(s))
            wait_ms = 0;
        curl_multi_poll(s->multi, NULL, 0, (int)wait_ms, NULL);
    }
    return NULL;
}

void sender_use_gate(struct sender *s, struct store_gate *g)
{
    store_use_gate(s->st, g, 0);
}

int sender_start(struct sender *s)
{
    if (pthread_create(&s->thread, NULL, run, s))
        return -1;
    s->started = 1;
    return 0;
}

void sender_wake(struct sender *s)
{
    curl_multi_wakeup(s->multi);
}

void sender_stop(struct sender *s)
{
    int i;

    if (!s)
        return;
    if (s->started) {
        atomic_store(&s->stopping, 1);
        curl_multi_wakeup(s->multi);
        pthread_join(s->thread, NULL);
    }
    for (i = 0; i < MAX_SLOTS; i++) {
        if (s->slots[i].busy)
            curl_multi_remove_handle(s->multi, s->slots[i].easy);
        clear_slot(&s->slots[i]);
        if (s->slots[i].easy)
            curl_easy_cleanup(s->slots[i].easy);
    }
    curl_multi_cleanup(s->multi);
    curl_slist_free_all(s->headers);
    store_close(s->st);
    free(s);
}

/*
 * voicer.c - see voicer.h.
 */
#include "voicer.h"
#include "buf.h"
#include "config.h"
#include "form.h"
#include "log.h"
#include "provider.h"
#include "store_voice.h"
#include "twilio.h"
#include "voice.h"
#include "wake.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

/* An op is taken for this long: past it, another round may try it again. */
#define LEASE_MS 30000
/* Idle, the worker still looks this often (new ops from another process, clock). */
#define IDLE_MS    1000
#define ANSWER_CAP (64 * 1024)
/* The caller's /done may be lost: a call whose peer left this long ago is over. */
#define PEER_LEFT_MS (2 * 60000)
/* How long sending a waiting caller to voicemail is worth retrying (they hear hold meanwhile). */
#define VOICEMAIL_OP_MS (5 * 60000)

struct voicer {
    _Atomic(const struct config *) cfg;
    _Atomic(const struct config *) reading; /* the config this or the last round read */
    struct store *st;
    CURL *easy;
    struct wake wake;
    pthread_t thread;
    int started;
    atomic_int stopping;
    void (*owed)(void *arg); /* a call now owes texts: the engine sends them */
    void *arg;
    int owing; /* this round ended a call that owes texts */
};

/* ---- REST calls ---- */

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
    struct buf *b = arg;

    return buf_append(b, p, size * n) ? 0 : size * n;
}

/* POSTs form to {api_base}/2010-04-01/Accounts/{AC}/{path}; the answer classified into *r. */
static void post(struct voicer *v, const struct config *cfg, const char *path,
                 const struct buf *form, struct provider_result *r)
{
    struct buf answer = BUF_INIT(ANSWER_CAP);
    char url[1200], userpwd[512];
    long status = 0;
    CURLcode cc;

    snprintf(url, sizeof(url), "%s/2010-04-01/Accounts/%s/%s", cfg->provider.api_base,
             cfg->provider.account_sid, path);
    snprintf(userpwd, sizeof(userpwd), "%s:%s", cfg->provider.account_sid,
             cfg->provider.auth_token);
    curl_easy_reset(v->easy);
    curl_easy_setopt(v->easy, CURLOPT_URL, url);
    curl_easy_setopt(v->easy, CURLOPT_USERPWD, userpwd);
    curl_easy_setopt(v->easy, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    curl_easy_setopt(v->easy, CURLOPT_POSTFIELDS, form->p ? form->p : "");
    curl_easy_setopt(v->easy, CURLOPT_POSTFIELDSIZE, (long)form->len);
    curl_easy_setopt(v->easy, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(v->easy, CURLOPT_WRITEDATA, &answer);
    curl_easy_setopt(v->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(
        v->easy, CURLOPT_TIMEOUT_MS,
        (long)(cfg->retry.request_timeout < 10000 ? cfg->retry.request_timeout : 10000));
    curl_easy_setopt(v->easy, CURLOPT_USERAGENT, "peerline");
    curl_easy_setopt(v->easy, CURLOPT_PROTOCOLS_STR, "http,https");
    cc = curl_easy_perform(v->easy);
    if (cc == CURLE_OK)
        curl_easy_getinfo(v->easy, CURLINFO_RESPONSE_CODE, &status);
    twilio_parse_send(cc == CURLE_OK ? status : 0, answer.p, answer.len, r);
    buf_free(&answer);
}

/* ---- ops ---- */

struct op_ctx {
    struct voicer *v;
    const struct config *cfg;
    int64_t now;
};

static int tx(struct voicer *v, int ok)
{
    if (!ok) {
        store_rollback(v->st);
        return -1;
    }
    if (store_commit(v->st)) {
        store_rollback(v->st);
        return -1;
    }
    return 0;
}

/* Marks op o over (ok or failed) in its own transaction. */
static int op_over(struct op_ctx *x, const struct store_vop *o, int ok, int code)
{
    if (store_begin(x->v->st))
        return -1;
    return tx(x->v, !store_vop_done(x->v->st, o->id, ok, code, x->now));
}

/* A retry later (backoff doubling from 1 s, at most 30 s), or failed past the op's useful life. */
static int op_later(struct op_ctx *x, const struct store_vop *o, int code)
{
    int64_t d = 1000LL << (o->attempts < 5 ? o->attempts - 1 : 5);
    int64_t at = x->now + (d > 30000 ? 30000 : d);

    if (at >= o->expires_at) {
        log_warnx("call.op_gave_up", "op=%lld code=%d attempts=%d", (long long)o->id, code,
                  o->attempts);
        return op_over(x, o, 0, code);
    }
    if (store_begin(x->v->st))
        return -1;
    return tx(x->v, !store_vop_retry(x->v->st, o->id, at, code));
}

/* Leg l will not ring (refused, or no longer needed): when it was the last, the ring time ends. */
static int leg_gone(struct op_ctx *x, const struct store_leg *l, const char *status)
{
    int64_t live = 0;

    if (store_leg_end(x->v->st, l->id, status, x->now) ||
        store_leg_live_count(x->v->st, l->call_id, &live))
        return -1;
    return live ? 0 : store_call_ring_over(x->v->st, l->call_id, x->now);
}

static int dial(struct op_ctx *x, const struct store_vop *o)
{
    struct store_leg l;
    struct store_call c;
    struct provider_result r;
    struct buf form = BUF_INIT(0);
    char whisper[1200], status_cb[1200], timeout[16];
    int64_t secs;
    int rc;

    rc = store_leg_get(x->v->st, o->leg_id, &l);
    if (rc == STORE_FOUND)
        rc = store_call_get(x->v->st, o->call_id, &c);
    if (rc != STORE_FOUND) /* a database error: the lease runs out and it is tried again */
        return rc == STORE_ERROR ? -1 : op_over(x, o, 0, 0);
    if (l.state != LEG_PENDING || (!l.callback && c.state != CALL_RINGING)) {
        if (store_begin(x->v->st))
            return -1;
        /* Not needed any more (someone answered, or the ring time ran out): never rung. */
        return tx(x->v, (l.state != LEG_PENDING ||
                         !store_leg_end(x->v->st, l.id, "not-needed", x->now)) &&
                            !store_vop_done(x->v->st, o->id, 1, 0, x->now));
    }
    secs = l.callback ? 30 : (c.ring_until - x->now) / 1000;
    snprintf(timeout, sizeof(timeout), "%lld", (long long)(secs < 5 ? 5 : secs > 600 ? 600 : secs));
    snprintf(whisper, sizeof(whisper), "%s/twilio/voice/whisper?leg=%lld", x->cfg->public_url,
             (long long)l.id);
    snprintf(status_cb, sizeof(status_cb), "%s/twilio/voice/leg?leg=%lld", x->cfg->public_url,
             (long long)l.id);
    /* From the line number: no peer's number reaches anyone, no caller's reaches a peer. */
    if (form_add(&form, "To", l.peer_phone) || form_add(&form, "From", c.line_number) ||
        form_add(&form, "Url", whisper) || form_add(&form, "Method", "POST") ||
        form_add(&form, "StatusCallback", status_cb) ||
        form_add(&form, "StatusCallbackMethod", "POST") || form_add(&form, "Timeout", timeout)) {
        buf_free(&form);
        return -1;
    }
    post(x->v, x->cfg, "Calls.json", &form, &r);
    buf_free(&form);
    if (r.outcome == PROVIDER_RETRY)
        return op_later(x, o, r.error_code);
    if (store_begin(x->v->st))
        return -1;
    if (r.outcome == PROVIDER_SENT) {
        rc = store_leg_started(x->v->st, l.id, r.id) != STORE_ERROR &&
             store_leg_get(x->v->st, l.id, &l) == STORE_FOUND &&
             /* Ended while the request was out (the call was answered): hang this one up too. */
             (l.state != LEG_DONE ||
              !store_vop_add(x->v->st, c.id, l.id, VOP_HANGUP, x->now, x->now + 3600 * 1000));
    } else {
        log_warnx("call.dial_refused", "leg=%lld code=%d", (long long)l.id, r.error_code);
        rc = !leg_gone(x, &l, "failed");
    }
    return tx(x->v, rc && !store_vop_done(x->v->st, o->id, r.outcome == PROVIDER_SENT, r.error_code,
                                          x->now));
}

/*
 * POST .../Calls/{sid}.json with key=value (and Method=method when given):
 * hangs a call up or sends it to a new URL. -1 when the form cannot be made.
 */
static int update_call(struct op_ctx *x, const char *sid, const char *key, const char *value,
                       const char *method, struct provider_result *r)
{
    struct buf form = BUF_INIT(0);
    char path[256];

    if (form_add(&form, key, value) || (method && form_add(&form, "Method", method))) {
        buf_free(&form);
        return -1;
    }
    snprintf(path, sizeof(path), "Calls/%s.json", sid);
    post(x->v, x->cfg, path, &form, r);
    buf_free(&form);
    return 0;
}

static int hangup(struct op_ctx *x, const struct store_vop *o)
{
    struct store_leg l;
    struct provider_result r;
    int rc;

    rc = store_leg_get(x->v->st, o->leg_id, &l);
    if (rc != STORE_FOUND)
        return rc == STORE_ERROR ? -1 : op_over(x, o, 0, 0);
    if (l.leg_sid[0]) {
        /* completed hangs up a ringing call and one in progress alike (its whisper playing). */
        if (update_call(x, l.leg_sid, "Status", "completed", NULL, &r))
            return -1;
        if (r.outcome == PROVIDER_RETRY)
            return op_later(x, o, r.error_code);
    }
    /* Hung up, or over already (4xx), or never rung (its dial will see it ended). */
    if (store_begin(x->v->st))
        return -1;
    rc = (l.state == LEG_DONE || l.state == LEG_ACCEPTED ||
          !store_leg_end(x->v->st, l.id, "canceled", x->now)) &&
         !store_vop_done(x->v->st, o->id, 1, 0, x->now);
    return tx(x->v, rc);
}

static int to_voicemail(struct op_ctx *x, const struct store_vop *o)
{
    struct store_call c;
    struct provider_result r;
    char next[1200];
    int rc;

    rc = store_call_get(x->v->st, o->call_id, &c);
    if (rc != STORE_FOUND)
        return rc == STORE_ERROR ? -1 : op_over(x, o, 0, 0);
    if (c.state != CALL_VOICEMAIL)
        return op_over(x, o, 1, 0);
    snprintf(next, sizeof(next), "%s/twilio/voice/voicemail?call=%lld", x->cfg->public_url,
             (long long)c.id);
    if (update_call(x, c.call_sid, "Url", next, "POST", &r))
        return -1;
    if (r.outcome == PROVIDER_RETRY)
        return op_later(x, o, r.error_code);
    if (store_begin(x->v->st))
        return -1;
    rc = 1;
    if (r.outcome != PROVIDER_SENT) /* 21220: the caller hung up while waiting; they get a text */
        rc = store_call_end(x->v->st, c.id, "abandoned", 1, x->now) != STORE_ERROR &&
             store_call_file(x->v->st, c.id) != STORE_ERROR;
    rc = tx(x->v, rc && !store_vop_done(x->v->st, o->id, 1, r.error_code, x->now));
    if (!rc && r.outcome != PROVIDER_SENT)
        x->v->owing = 1;
    return rc;
}

/* ---- time ---- */

/*
 * Ring times that ran out: the legs are hung up and the caller goes to
 * voicemail. Looked for before the write lock is taken, so an idle round
 * takes none; the move is a compare-and-set, so a peer who pressed 1 in
 * between keeps the call.
 */
static int ring_timeouts(struct op_ctx *x)
{
    struct store_call c;
    int rc;

    while ((rc = store_call_ring_due(x->v->st, x->now, &c)) == STORE_FOUND) {
        if (store_begin(x->v->st))
            return -1;
        rc = store_call_move(x->v->st, c.id, CALL_RINGING, CALL_VOICEMAIL, "no-answer", 0, x->now);
        if (rc == STORE_OK)
            rc = store_leg_hang_up_live(x->v->st, c.id, x->now, x->now + 3600 * 1000) ||
                 store_vop_add(x->v->st, c.id, 0, VOP_VOICEMAIL, x->now, x->now + VOICEMAIL_OP_MS);
        if (tx(x->v, rc != STORE_ERROR))
            return -1;
        if (rc == STORE_OK)
            log_info("call.no_answer", "call=%lld", (long long)c.id);
    }
    return rc == STORE_ERROR ? -1 : 0;
}

/*
 * Calls no webhook will end: closed (a caller who waited for a voicemail gets
 * a text). Looked for first, then ended by compare-and-set from the state
 * seen, so a call that moved on meanwhile is left to its new state.
 */
static int stale_calls(struct op_ctx *x)
{
    const struct config *cfg = x->cfg;
    struct store_call c;
    int rc;

    while ((rc = store_call_stale(x->v->st, x->now - cfg->voice.voicemail_max - 5 * 60000,
                                  x->now - 15 * 60000, x->now - 12 * 3600000LL,
                                  x->now - PEER_LEFT_MS, &c)) == STORE_FOUND) {
        int owes = c.state == CALL_VOICEMAIL;
        if (store_begin(x->v->st))
            return -1;
        rc = store_call_move(x->v->st, c.id, c.state, CALL_ENDED,
                             owes                   ? "no-message"
                             : c.state == CALL_MENU ? "hung-up"
                                                    : "talked",
                             owes, x->now);
        if (rc == STORE_OK && store_call_file(x->v->st, c.id) == STORE_ERROR)
            rc = STORE_ERROR;
        if (tx(x->v, rc != STORE_ERROR))
            return -1;
        if (rc == STORE_OK && owes)
            x->v->owing = 1;
    }
    return rc == STORE_ERROR ? -1 : 0;
}

/* One round's work: ring times, stale calls, then the ops due. 0, or -1 on a database error. */
static int ops(struct voicer *v, struct op_ctx *x, long long now)
{
    struct store_vop o;
    int64_t due;
    int rc, n;

    if (ring_timeouts(x) || stale_calls(x))
        return -1;
    for (n = 0; n < 64 && !atomic_load(&v->stopping); n++) {
        /* Nothing due: no write lock taken (the webhooks' writer has the right of way). */
        if (store_vop_next_due(v->st, &due))
            return -1;
        if (due > now)
            return 0;
        if (store_begin(v->st))
            return -1;
        /*
         * The lease from the clock now, not the round's start: a round of
         * slow REST calls would otherwise write a lease already past, and
         * another instance's voicer would take the same op.
         */
        now = wake_now_ms();
        rc = store_vop_claim(v->st, now, LEASE_MS, &o);
        if (tx(v, rc != STORE_ERROR) || rc != STORE_FOUND)
            return rc == STORE_ERROR ? -1 : 0;
        x->now = wake_now_ms();
        rc = o.op == VOP_DIAL     ? dial(x, &o)
             : o.op == VOP_HANGUP ? hangup(x, &o)
                                  : to_voicemail(x, &o);
        if (rc)
            log_warnx("call.op_unrecorded", "op=%lld", (long long)o.id);
    }
    return 0;
}

/*
 * The config in use, published as the one this round reads before it is
 * used: checked again after, so a config switched meanwhile (and perhaps
 * about to be freed) is never read (voicer_config_read).
 */
static const struct config *take_config(struct voicer *v)
{
    const struct config *c = atomic_load(&v->cfg), *again;

    for (;;) {
        atomic_store(&v->reading, c);
        again = atomic_load(&v->cfg);
        if (again == c)
            return c;
        c = again;
    }
}

const struct config *voicer_config_read(struct voicer *v)
{
    return atomic_load(&v->reading);
}

int voicer_round(struct voicer *v, long long now)
{
    struct op_ctx x = {v, take_config(v), now};
    int rc;

    if (x.cfg->provider.kind != PROVIDER_TWILIO)
        return 0;
    v->owing = 0;
    rc = ops(v, &x, now);
    /* Calls this round ended owe texts (the caller, the coordinators): the engine sends them. */
    if (v->owing && v->owed)
        v->owed(v->arg);
    return rc;
}

static void *loop(void *arg)
{
    struct voicer *v = arg;
    int64_t now, due, ring;

    prctl(PR_SET_NAME, "voicer", 0, 0, 0);
    while (!atomic_load(&v->stopping)) {
        now = wake_now_ms();
        voicer_round(v, now);
        due = now + IDLE_MS;
        if (!store_vop_next_due(v->st, &ring) && ring < due)
            due = ring;
        if (!store_call_next_ring(v->st, &ring) && ring < due)
            due = ring;
        now = wake_now_ms();
        wake_wait(&v->wake, due > now ? due - now : 0);
    }
    return NULL;
}

struct voicer *voicer_start(const struct config *cfg, void (*owed)(void *arg), void *arg, char *err,
                            size_t errlen)
{
    struct voicer *v = calloc(1, sizeof(*v));

    if (!v) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    atomic_store(&v->cfg, cfg);
    atomic_store(&v->reading, cfg);
    v->owed = owed;
    v->arg = arg;
    if (wake_init(&v->wake)) {
        snprintf(err, errlen, "cannot initialise the voicer's wake-up");
        free(v);
        return NULL;
    }
    v->st = store_open(cfg->database, err, errlen);
    v->easy = v->st ? curl_easy_init() : NULL;
    if (v->st && !v->easy)
        snprintf(err, errlen, "curl_easy_init failed");
    if (v->easy && pthread_create(&v->thread, NULL, loop, v))
        snprintf(err, errlen, "cannot start the voicer thread");
    else if (v->easy)
        v->started = 1;
    if (!v->started) {
        voicer_stop(v);
        return NULL;
    }
    return v;
}

void voicer_wake(struct voicer *v)
{
    if (v)
        wake_signal(&v->wake);
}

void voicer_set_config(struct voicer *v, const struct config *cfg)
{
    atomic_store(&v->cfg, cfg);
    voicer_wake(v);
}

void voicer_stop(struct voicer *v)
{
    if (!v)
        return;
    if (v->started) {
        atomic_store(&v->stopping, 1);
        wake_signal(&v->wake);
        pthread_join(v->thread, NULL);
    }
    if (v->easy)
        curl_easy_cleanup(v->easy);
    store_close(v->st);
    wake_destroy(&v->wake);
    free(v);
}

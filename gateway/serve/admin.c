/*
 * admin.c - see admin.h.
 *
 *   GET  /admin                                  the dashboard page (no token)
 *   GET  /admin/api/status                       the line at a glance
 *   GET  /admin/api/peers/ID                     one peer
 *   GET  /admin/api/audit                        the latest coordinator actions
 *   POST /admin/api/peers/ID/on[?for=90m]        coordinator token only
 *   POST /admin/api/peers/ID/off
 *   POST /admin/api/conversations/REF/close
 *   POST /admin/api/conversations/REF/block
 *   POST /admin/api/conversations/REF/unblock
 *   GET  /metrics                                Prometheus text (metrics.c)
 */
#include "admin.h"
#include "command.h"
#include "config.h"
#include "http.h"
#include "log.h"
#include "match.h"
#include "metrics.h"
#include "parse.h"
#include "roster.h"
#include "status.h"
#include "store.h"
#include "tz.h"
#include "wake.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* An action's outcome is awaited this long; after it the answer is 202 and the id to look up. */
#define ACTION_WAIT_MS 5000

extern const char admin_page_html[];

int admin_open(struct admin *a, const struct config *cfg, char *err, size_t errlen)
{
    char why[200];

    atomic_init(&a->cfg, cfg);
    /* A page the policy cannot describe is still served (with nothing inline allowed to run). */
    if (page_init(&a->page, admin_page_html, why, sizeof(why)))
        log_warnx("admin.page_problem", "page=admin_page.html msg=\"%s\"", why);
    if (pthread_mutex_init(&a->mu, NULL)) {
        snprintf(err, errlen, "cannot initialise a mutex");
        return -1;
    }
    a->opened = 1;
    a->st = store_open(cfg->database, err, errlen);
    return a->st ? 0 : -1;
}

void admin_set_config(struct admin *a, const struct config *cfg)
{
    atomic_store(&a->cfg, cfg);
}

void admin_close(struct admin *a)
{
    if (!a->opened)
        return;
    store_close(a->st);
    a->st = NULL;
    pthread_mutex_destroy(&a->mu);
    a->opened = 0;
}

/* ---- who is asking ---- */

enum role { ROLE_NONE, ROLE_READ, ROLE_COORDINATOR };

static void digest(const char *s, unsigned char out[32])
{
    unsigned int n = 0;

    EVP_Digest(s, strlen(s), out, &n, EVP_sha256(), NULL);
}

/*
 * The bearer token's role, comparing SHA-256 digests with CRYPTO_memcmp
 * against every configured token (no early exit, no length leak). *who is
 * the coordinator's id for a coordinator token.
 */
static enum role authorize(const struct admin *a, const struct http_request *req, const char **who)
{
    const struct config *c = atomic_load(&a->cfg);
    const char *h = http_header(req, "Authorization");
    unsigned char got[32], want[32];
    enum role role = ROLE_NONE;
    size_t i;

    *who = NULL;
    if (!h || strncasecmp(h, "Bearer ", 7) || !h[7])
        return ROLE_NONE;
    digest(h + 7, got);
    if (c->admin.token && *c->admin.token) {
        digest(c->admin.token, want);
        if (!CRYPTO_memcmp(got, want, sizeof(got)))
            role = ROLE_READ;
    }
    for (i = 0; i < c->admin.ntokens; i++) {
        digest(c->admin.coordinator_tokens[i].token, want);
        if (!CRYPTO_memcmp(got, want, sizeof(got))) {
            role = ROLE_COORDINATOR;
            *who = c->admin.coordinator_tokens[i].id;
        }
    }
    return role;
}

/* ---- answers ---- */

static void send_json(struct http_response *res, int status, json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

    buf_reset(&res->body);
    if (!s) {
        http_text(res, 500, "out of memory");
    } else {
        res->status = status;
        res->content_type = "application/json";
        buf_puts(&res->body, s);
        buf_puts(&res->body, "\n");
    }
    res->header_name = "Cache-Control";
    res->header_value = "no-store";
    free(s);
    json_decref(j);
}

static void send_error(struct http_response *res, int status, const char *msg)
{
    send_json(res, status, json_pack("{s:s}", "error", msg));
}

/* "2026-11-24T22:05:00Z" */
static void iso_time(int64_t ms, char out[32])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *json_time(int64_t ms)
{
    char s[32];

    if (!ms || ms == INT64_MAX)
        return json_null();
    iso_time(ms, s);
    return json_string(s);
}

static const char *manual_name(enum match_manual m)
{
    return m == MATCH_MANUAL_ON ? "on" : m == MATCH_MANUAL_OFF ? "off" : NULL;
}

static json_t *peer_json(const struct status_peer *sp)
{
    const char *manual = manual_name(sp->manual);

    return json_pack("{s:s, s:s, s:b, s:s, s:b, s:o, s:o, s:i, s:i, s:i, s:b}", "id", sp->p->id,
                     "name", sp->p->name, "ready", sp->ready == MATCH_OK, "state",
                     sp->ready == MATCH_OK ? "ready" : match_reason_text(sp->ready), "on_shift",
                     sp->on_shift, "manual", manual ? json_string(manual) : json_null(),
                     "manual_until", json_time(sp->manual_until), "open", sp->open, "capacity",
                     sp->capacity, "missed_offers", sp->missed_offers, "crisis_trained",
                     sp->p->crisis_trained != 0);
}

static json_t *status_json(const struct roster *r, const struct line_status *s)
{
    json_t *topics = json_array(), *peers = json_array(), *convs = json_array(),
           *alerts = json_array(), *calls = json_array(), *root;
    size_t i;

    for (i = 0; i < s->ntopics; i++) {
        const struct status_topic *t = &s->topics[i];
        json_array_append_new(topics,
                              json_pack("{s:s, s:s, s:i, s:i, s:I, s:i}", "id", t->id, "label",
                                        t->label, "waiting", t->waiting, "urgent", t->urgent,
                                        "longest_wait_s", (json_int_t)(t->longest_wait_ms / 1000),
                                        "peers_ready", t->peers_ready));
    }
    for (i = 0; i < s->npeers; i++)
        json_array_append_new(peers, peer_json(&s->peers[i]));
    for (i = 0; i < s->nconvs; i++) {
        const struct status_conv *c = &s->convs[i];
        json_array_append_new(
            convs,
            json_pack("{s:s, s:s, s:s?, s:s, s:b, s:s?, s:I, s:o}", "ref", c->ref, "state",
                      store_conv_state_name(c->state), "topic", c->topic[0] ? c->topic : NULL,
                      "lang", c->lang, "urgent", c->urgent, "peer",
                      c->peer_id[0] ? c->peer_id : NULL, "waited_s",
                      (json_int_t)(((c->matched_at ? c->matched_at : s->now) - c->since) / 1000),
                      "since", json_time(c->since)));
    }
    for (i = 0; i < s->nalerts; i++) {
        const struct status_alert *a = &s->alerts[i];
        json_array_append_new(alerts, json_pack("{s:s, s:s, s:o, s:I}", "ref", a->ref, "kind",
                                                a->kind, "at", json_time(a->at), "age_s",
                                                (json_int_t)((s->now - a->at) / 1000)));
    }
    for (i = 0; i < s->ncalls; i++) {
        const struct status_call *c = &s->calls[i];
        json_array_append_new(calls, json_pack("{s:s, s:s, s:s?, s:b, s:s?, s:I, s:o}", "ref",
                                               c->ref, "state", c->state, "topic",
                                               c->topic[0] ? c->topic : NULL, "urgent", c->urgent,
                                               "peer", c->peer_id[0] ? c->peer_id : NULL, "age_s",
                                               (json_int_t)((s->now - c->since) / 1000), "since",
                                               json_time(c->since)));
    }
    root = json_pack(
        "{s:s, s:o, s:{s:I, s:I, s:I, s:I, s:I}, s:{s:i, s:i, s:i, s:i, s:i}, "
        "s:o, s:o, s:o, s:o, s:o}",
        "line", r->line_name, "now", json_time(s->now), "today", "contacts",
        (json_int_t)s->today.contacts, "answered", (json_int_t)s->today.answered, "abandoned",
        (json_int_t)s->today.abandoned, "waiting", (json_int_t)s->today.waiting, "crisis_alerts",
        (json_int_t)s->today.crisis_alerts, "now_counts", "in_menu", s->in_menu, "waiting",
        s->waiting, "offered", s->offered, "active", s->active, "peers_ready", s->peers_ready,
        "topics", topics, "peers", peers, "conversations", convs, "alerts", alerts, "calls", calls);
    return root;
}

/* The line's status now, read on this module's own database handle. */
static int read_status(struct admin *a, const struct roster *r, struct line_status *s)
{
    int rc;

    pthread_mutex_lock(&a->mu);
    rc = status_build(a->st, atomic_load(&a->cfg), r, wake_now_ms(), s);
    pthread_mutex_unlock(&a->mu);
    return rc;
}

static void get_status(struct admin *a, const struct roster *r, struct http_response *res)
{
    struct line_status s;
    int rc;

    rc = read_status(a, r, &s);
    if (rc) {
        send_error(res, 503, "the database is not answering");
        return;
    }
    send_json(res, 200, status_json(r, &s));
    status_clear(&s);
}

static void get_peer(struct admin *a, const struct roster *r, const char *id,
                     struct http_response *res)
{
    const struct roster_peer *p = roster_peer_by_id(r, id);
    int i = roster_peer_index(r, p);
    struct line_status s;
    json_t *j, *topics, *langs, *chats;
    char masked[LOG_MASK_LEN];
    size_t k;
    int rc;

    if (i < 0) {
        send_error(res, 404, "no such peer on the roster");
        return;
    }
    rc = read_status(a, r, &s);
    if (rc) {
        send_error(res, 503, "the database is not answering");
        return;
    }
    j = peer_json(&s.peers[i]);
    topics = json_array();
    langs = json_array();
    chats = json_array();
    for (k = 0; k < p->ntopics; k++)
        json_array_append_new(topics, json_string(r->topics[p->topics[k]].id));
    for (k = 0; k < r->nlangs; k++)
        if (p->langs & (1ull << k))
            json_array_append_new(langs, json_string(r->langs[k]));
    for (k = 0; k < s.nconvs; k++)
        if (!strcmp(s.convs[k].peer_id, p->id))
            json_array_append_new(chats, json_pack("{s:s, s:s}", "ref", s.convs[k].ref, "state",
                                                   store_conv_state_name(s.convs[k].state)));
    json_object_set_new(j, "phone", json_string(log_mask_phone(p->phone, masked)));
    json_object_set_new(j, "timezone", json_string(tz_name(p->tz)));
    json_object_set_new(j, "max_conversations", json_integer(p->max_conversations));
    json_object_set_new(j, "topics", topics);
    json_object_set_new(j, "languages", langs);
    json_object_set_new(j, "conversations", chats);
    status_clear(&s);
    send_json(res, 200, j);
}

static const char *audit_state_name(enum audit_state st)
{
    return st == AUDIT_DONE ? "done" : st == AUDIT_REFUSED ? "refused" : "pending";
}

static json_t *audit_json(const struct store_audit *a)
{
    return json_pack("{s:I, s:o, s:s, s:s, s:s, s:s?, s:s, s:s?, s:o}", "id", (json_int_t)a->id,
                     "at", json_time(a->created_at), "coordinator", a->coordinator, "action",
                     a->action, "target", a->target, "arg", a->arg[0] ? a->arg : NULL, "state",
                     audit_state_name(a->state), "result", a->result[0] ? a->result : NULL,
                     "done_at", json_time(a->done_at));
}

static int add_audit(void *arg, const struct store_audit *a)
{
    return json_array_append_new(arg, audit_json(a));
}

static void get_audit(struct admin *a, struct http_response *res)
{
    json_t *list = json_array();
    int rc;

    pthread_mutex_lock(&a->mu);
    rc = store_audit_recent(a->st, 100, add_audit, list);
    pthread_mutex_unlock(&a->mu);
    if (rc) {
        json_decref(list);
        send_error(res, 503, "the database is not answering");
        return;
    }
    send_json(res, 200, json_pack("{s:o}", "actions", list));
}

/* ---- actions ---- */

/*
 * Records the action for the engine, wakes it, and waits for the outcome:
 * 200 done, 409 refused (with why), 202 still pending (look it up in the
 * audit), 503 when the database failed.
 */
static void act(struct admin *a, const char *who, const char *action, const char *target,
                const char *arg, struct http_response *res)
{
    struct store_audit row;
    int64_t id = 0, until = wake_now_ms() + ACTION_WAIT_MS;
    int rc;

    pthread_mutex_lock(&a->mu);
    rc = store_audit_add(a->st, who, action, target, arg, wake_now_ms(), &id);
    pthread_mutex_unlock(&a->mu);
    if (rc) {
        send_error(res, 503, "the database is not answering");
        return;
    }
    log_info("admin.asked", "id=%lld by=%s action=%s target=%s", (long long)id, who, action,
             target);
    if (a->wake_engine)
        a->wake_engine(a->arg);
    for (;;) {
        pthread_mutex_lock(&a->mu);
        rc = store_audit_get(a->st, id, &row);
        pthread_mutex_unlock(&a->mu);
        if (rc != STORE_FOUND || row.state != AUDIT_PENDING || wake_now_ms() >= until)
            break;
        wake_sleep_ms(50);
    }
    if (rc != STORE_FOUND) {
        send_error(res, 503, "the database is not answering");
        return;
    }
    send_json(res,
              row.state == AUDIT_DONE      ? 200
              : row.state == AUDIT_REFUSED ? 409
                                           : 202,
              audit_json(&row));
}

/* The path's next segment after prefix into out ("" when none); the rest after it. */
static const char *segment(const char *path, const char *prefix, char *out, size_t n)
{
    size_t len = strlen(prefix), k;

    if (strncmp(path, prefix, len))
        return NULL;
    path += len;
    k = strcspn(path, "/");
    if (!k || k >= n)
        return NULL;
    memcpy(out, path, k);
    out[k] = '\0';
    return path + k;
}

static void post_action(struct admin *a, const struct roster *r, const struct http_request *req,
                        const char *who, struct http_response *res)
{
    char id[STORE_ID], action[24];
    const char *rest, *why, *dur;
    int64_t ms, conv;

    if ((rest = segment(req->path, "/admin/api/peers/", id, sizeof(id)))) {
        if (strcmp(rest, "/on") && strcmp(rest, "/off")) {
            send_error(res, 404, "no such action: use on or off");
            return;
        }
        if (roster_peer_index(r, roster_peer_by_id(r, id)) < 0) {
            send_error(res, 404, "no such peer on the roster");
            return;
        }
        dur = http_query(req, "for");
        if (!strcmp(rest, "/on") && dur &&
            (parse_duration(dur, &ms, &why) || ms <= 0 || ms > 24LL * 3600 * 1000)) {
            send_error(res, 400, "for: a duration from 1m to 24h, e.g. 90m");
            return;
        }
        snprintf(action, sizeof(action), "peer-%s", rest + 1);
        act(a, who, action, id, !strcmp(rest, "/on") && dur ? dur : NULL, res);
        return;
    }
    if ((rest = segment(req->path, "/admin/api/conversations/", id, sizeof(id)))) {
        if (strcmp(rest, "/close") && strcmp(rest, "/block") && strcmp(rest, "/unblock")) {
            send_error(res, 404, "no such action: use close, block or unblock");
            return;
        }
        if (command_ref_parse(id, &conv)) {
            send_error(res, 404, "not a conversation reference");
            return;
        }
        act(a, who, rest + 1, id, NULL, res);
        return;
    }
    send_error(res, 404, "not found");
}

/* ---- routing ---- */

static void api(struct admin *a, const struct http_request *req, struct http_response *res)
{
    const char *who = NULL;
    enum role role = authorize(a, req, &who);
    int get = !strcmp(req->method, "GET"), post = !strcmp(req->method, "POST");
    struct roster *r;
    char id[STORE_ID];
    const char *rest;

    if (role == ROLE_NONE) {
        send_error(res, 401, "a valid bearer token is required");
        res->header_name = "WWW-Authenticate";
        res->header_value = "Bearer realm=\"peerline\"";
        return;
    }
    if (!get && !post) {
        send_error(res, 405, "method not allowed");
        return;
    }
    if (post && role != ROLE_COORDINATOR) {
        send_error(res, 403, "actions need a coordinator's own token");
        return;
    }
    r = a->hold_roster(a->arg);
    if (!r) {
        send_error(res, 503, "no roster loaded");
        return;
    }
    if (post)
        post_action(a, r, req, who, res);
    else if (!strcmp(req->path, "/admin/api/status"))
        get_status(a, r, res);
    else if (!strcmp(req->path, "/admin/api/audit"))
        get_audit(a, res);
    else if ((rest = segment(req->path, "/admin/api/peers/", id, sizeof(id))) && !*rest)
        get_peer(a, r, id, res);
    else
        send_error(res, 404, "not found");
    roster_free(r);
}

static void metrics_page(struct admin *a, const struct http_request *req, struct http_response *res)
{
    const char *who;
    struct line_status s;
    struct roster *r;
    int rc;

    if (authorize(a, req, &who) == ROLE_NONE) {
        http_text(res, 401, "a valid bearer token is required");
        res->header_name = "WWW-Authenticate";
        res->header_value = "Bearer realm=\"peerline\"";
        return;
    }
    r = a->hold_roster(a->arg);
    if (!r) {
        http_text(res, 503, "no roster loaded");
        return;
    }
    rc = read_status(a, r, &s);
    if (rc) {
        http_text(res, 503, "the database is not answering");
    } else {
        res->status = 200;
        res->content_type = "text/plain; version=0.0.4";
        buf_reset(&res->body);
        pthread_mutex_lock(&a->mu);
        rc = metrics_render(a->metrics, a->st, &s, &res->body);
        pthread_mutex_unlock(&a->mu);
        status_clear(&s);
        if (rc) /* never a partial scrape that looks whole */
            http_text(res, 503, "the database is not answering");
    }
    roster_free(r);
}

int admin_http(struct admin *a, const struct http_request *req, struct http_response *res)
{
    if (!strcmp(req->path, "/metrics")) {
        if (strcmp(req->method, "GET"))
            http_text(res, 405, "method not allowed");
        else
            metrics_page(a, req, res);
        return 1;
    }
    if (!strcmp(req->path, "/admin") || !strcmp(req->path, "/admin/")) {
        if (strcmp(req->method, "GET") && strcmp(req->method, "HEAD")) {
            http_text(res, 405, "method not allowed");
            return 1;
        }
        page_serve(&a->page, res);
        return 1;
    }
    if (!strncmp(req->path, "/admin/api/", 11)) {
        api(a, req, res);
        return 1;
    }
    return 0;
}

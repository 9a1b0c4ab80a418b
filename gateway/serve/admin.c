/*
 * admin.c - see admin.h.
 *
 *   GET  /admin                                  the dashboard page (no token)
 *   GET  /admin/api/status[?limit=N&after=ID]    the line at a glance (admin_status.h)
 *   GET  /admin/api/peers/ID                     one peer
 *   GET  /admin/api/audit                        the latest coordinator actions
 *   GET  /admin/api/conversations/REF/notes      a chat's private notes: coordinator token
 *                                                only, each read audited
 *   POST /admin/api/peers/ID/on[?for=90m]        coordinator token only
 *   POST /admin/api/peers/ID/off
 *   POST /admin/api/conversations/REF/close
 *   POST /admin/api/conversations/REF/block
 *   POST /admin/api/conversations/REF/unblock
 *   GET  /metrics                                Prometheus text (metrics.c)
 *
 * On libmicrohttpd's threads (which also answer webhooks and /healthz) only
 * what is cheap: the page, the token check, the request's shape. Everything
 * that reads the database or waits for the engine is a job: the request is
 * parked, a thread of the admin's own pool (admin_pool.h) runs it, and the
 * request is woken with its answer.
 */
#include "admin.h"
#include "admin_pool.h"
#include "admin_status.h"
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
    if (admin_status_init(&a->status)) {
        snprintf(err, errlen, "cannot initialise a mutex");
        return -1;
    }
    a->st = store_open(cfg->database, err, errlen);
    if (a->st)
        store_set_deadline(a->st, 30000); /* PostgreSQL: a hung answer never holds a stop */
    if (!a->st)
        return -1;
    a->pool = admin_pool_start(err, errlen);
    return a->pool ? 0 : -1;
}

void admin_set_config(struct admin *a, const struct config *cfg)
{
    atomic_store(&a->cfg, cfg);
}

void admin_close(struct admin *a)
{
    if (!a->opened)
        return;
    admin_pool_stop(a->pool); /* after http_stop(): every parked request has been answered */
    a->pool = NULL;
    admin_status_free(&a->status);
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

/* ---- a request, as a job for the admin's pool ---- */

enum admin_kind { AK_METRICS, AK_GET, AK_POST };

/* What a job needs of its request, copied on the way in: the request itself stays parked. */
struct admin_req {
    struct admin_job job; /* the pool's; first */
    struct admin *a;
    struct http_ctx *token;
    enum admin_kind kind;
    char who[STORE_ID]; /* a coordinator's id, for actions */
    char path[160];
    char after[STORE_ID];     /* status: the page starts after this peer id ("": the first) */
    size_t limit;             /* status: peers on the page */
    char dur[32];             /* an action's ?for= ("" when none) */
    struct http_response res; /* the answer, made on a pool thread */
};

/*
 * GET /admin/api/status: the shared snapshot, a page of peers. limit and
 * after were checked on the way in (parse_status_query).
 */
static void get_status(struct admin *a, struct roster *r, const struct admin_req *q,
                       struct http_response *res)
{
    const struct admin_snapshot *sn =
        admin_status_get(&a->status, a->st, &a->mu, atomic_load(&a->cfg), r, q->job.queued_ms);

    if (!sn) {
        send_error(res, 503, "the database is not answering");
        return;
    }
    send_json(res, 200, admin_status_json(sn, q->limit, q->after[0] ? q->after : NULL));
    admin_status_release(&a->status);
}

static void get_peer(struct admin *a, struct roster *r, const char *id, int64_t queued_ms,
                     struct http_response *res)
{
    const struct roster_peer *p = roster_peer_by_id(r, id);
    int i = roster_peer_index(r, p);
    const struct admin_snapshot *sn;
    json_t *j, *topics, *langs, *chats;
    char masked[LOG_MASK_LEN];
    size_t k;

    if (i < 0) {
        send_error(res, 404, "no such peer on the roster");
        return;
    }
    sn = admin_status_get(&a->status, a->st, &a->mu, atomic_load(&a->cfg), r, queued_ms);
    if (!sn) {
        send_error(res, 503, "the database is not answering");
        return;
    }
    j = admin_status_peer_json(&sn->s.peers[i]);
    topics = json_array();
    langs = json_array();
    chats = json_array();
    for (k = 0; k < p->ntopics; k++)
        json_array_append_new(topics, json_string(r->topics[p->topics[k]].id));
    for (k = 0; k < r->nlangs; k++)
        if (p->langs & (1ull << k))
            json_array_append_new(langs, json_string(r->langs[k]));
    for (k = 0; k < sn->s.nconvs; k++)
        if (!strcmp(sn->s.convs[k].peer_id, p->id))
            json_array_append_new(chats, json_pack("{s:s, s:s}", "ref", sn->s.convs[k].ref, "state",
                                                   store_conv_state_name(sn->s.convs[k].state)));
    admin_status_release(&a->status);
    json_object_set_new(j, "phone", json_string(log_mask_phone(p->phone, masked)));
    json_object_set_new(j, "timezone", json_string(tz_name(p->tz)));
    json_object_set_new(j, "max_conversations", json_integer(p->max_conversations));
    if (p->trainee && p->mentor >= 0)
        json_object_set_new(j, "mentor", json_string(r->peers[p->mentor].id));
    json_object_set_new(j, "topics", topics);
    json_object_set_new(j, "languages", langs);
    json_object_set_new(j, "conversations", chats);
    send_json(res, 200, j);
}

static const char *audit_state_name(enum audit_state st)
{
    return st == AUDIT_DONE ? "done" : st == AUDIT_REFUSED ? "refused" : "pending";
}

static json_t *audit_json(const struct store_audit *a)
{
    return json_pack("{s:I, s:o, s:s, s:s, s:s, s:s?, s:s, s:s?, s:o}", "id", (json_int_t)a->id,
                     "at", admin_status_time(a->created_at), "coordinator", a->coordinator,
                     "action", a->action, "target", a->target, "arg", a->arg[0] ? a->arg : NULL,
                     "state", audit_state_name(a->state), "result", a->result[0] ? a->result : NULL,
                     "done_at", admin_status_time(a->done_at));
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

/* ---- a chat's notes ---- */

/* 1 when path asks for a chat's notes (GET /admin/api/conversations/REF/notes). */
static int notes_path(const char *path, char ref[STORE_ID])
{
    const char *rest = segment(path, "/admin/api/conversations/", ref, STORE_ID);

    return rest && !strcmp(rest, "/notes");
}

static int add_note(void *arg, const struct store_note *n)
{
    return json_array_append_new(arg, json_pack("{s:{s:s, s:s}, s:o, s:s?}", "writer", "peer_id",
                                                n->peer_id, "name", n->writer, "created_at",
                                                admin_status_time(n->created_at), "body", n->body));
}

/*
 * GET /admin/api/conversations/REF/notes, a coordinator's (submit refused
 * every other token): the notes, newest first, and a row in the audit
 * saying who read them, written in the same transaction as the read. A note
 * purged by retention shows with body null. Never logged but as a count.
 */
static void get_notes(struct admin *a, const struct admin_req *q, const char *ref,
                      struct http_response *res)
{
    char canon[COMMAND_REF_MAX], result[64];
    struct store_conv c;
    json_t *list;
    int64_t conv, id = 0;
    int rc, status;

    if (command_ref_parse(ref, &conv)) {
        send_error(res, 404, "not a conversation reference");
        return;
    }
    command_ref_format(conv, canon);
    list = json_array();
    pthread_mutex_lock(&a->mu);
    if (store_begin(a->st)) {
        status = 503;
    } else {
        rc = store_conv_get(a->st, conv, &c);
        if (rc == STORE_OK) {
            status = 404;
        } else if (rc != STORE_FOUND || store_notes_of_conv(a->st, conv, add_note, list)) {
            status = 503;
        } else {
            snprintf(result, sizeof(result), "notes read: %zu", json_array_size(list));
            status = store_audit_record(a->st, q->who, "read-notes", canon, result, wake_now_ms(),
                                        &id) ||
                             store_commit(a->st)
                         ? 503
                         : 200;
        }
        if (status != 200)
            store_rollback(a->st);
    }
    pthread_mutex_unlock(&a->mu);
    if (status != 200) {
        json_decref(list);
        send_error(res, status,
                   status == 404 ? "no such conversation" : "the database is not answering");
        return;
    }
    log_info("admin.notes_read", "id=%lld by=%s target=%s notes=%zu", (long long)id, q->who, canon,
             json_array_size(list));
    send_json(res, 200, json_pack("{s:s, s:o}", "ref", canon, "notes", list));
}

static void post_action(struct admin *a, const struct roster *r, const struct admin_req *q,
                        struct http_response *res)
{
    char id[STORE_ID], action[24];
    const char *rest, *why, *dur = q->dur[0] ? q->dur : NULL, *who = q->who;
    int64_t ms, conv;

    if ((rest = segment(q->path, "/admin/api/peers/", id, sizeof(id)))) {
        if (strcmp(rest, "/on") && strcmp(rest, "/off")) {
            send_error(res, 404, "no such action: use on or off");
            return;
        }
        if (roster_peer_index(r, roster_peer_by_id(r, id)) < 0) {
            send_error(res, 404, "no such peer on the roster");
            return;
        }
        if (!strcmp(rest, "/on") && dur &&
            (parse_duration(dur, &ms, &why) || ms <= 0 || ms > 24LL * 3600 * 1000)) {
            send_error(res, 400, "for: a duration from 1m to 24h, e.g. 90m");
            return;
        }
        snprintf(action, sizeof(action), "peer-%s", rest + 1);
        act(a, who, action, id, !strcmp(rest, "/on") && dur ? dur : NULL, res);
        return;
    }
    if ((rest = segment(q->path, "/admin/api/conversations/", id, sizeof(id)))) {
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

/* ---- on a pool thread ---- */

static void metrics_page(struct admin *a, struct roster *r, int64_t queued_ms,
                         struct http_response *res)
{
    const struct admin_snapshot *sn =
        admin_status_get(&a->status, a->st, &a->mu, atomic_load(&a->cfg), r, queued_ms);
    int rc;

    if (!sn) {
        http_text(res, 503, "the database is not answering");
        return;
    }
    res->status = 200;
    res->content_type = "text/plain; version=0.0.4";
    buf_reset(&res->body);
    pthread_mutex_lock(&a->mu);
    rc = metrics_render(a->metrics, a->st, &sn->s, &res->body);
    pthread_mutex_unlock(&a->mu);
    admin_status_release(&a->status);
    if (rc) /* never a partial scrape that looks whole */
        http_text(res, 503, "the database is not answering");
}

static void run(struct admin_job *j)
{
    struct admin_req *q = (struct admin_req *)j;
    struct admin *a = q->a;
    /* Before a->cfg is read: the config it finds stays in memory until the answer is made. */
    void *held = a->hold_config ? a->hold_config(a->arg) : NULL;
    struct roster *r = a->hold_roster(a->arg);
    char id[STORE_ID];
    const char *rest;

    if (!r) {
        if (q->kind == AK_METRICS)
            http_text(&q->res, 503, "no roster loaded");
        else
            send_error(&q->res, 503, "no roster loaded");
        goto done;
    }
    if (q->kind == AK_METRICS)
        metrics_page(a, r, j->queued_ms, &q->res);
    else if (q->kind == AK_POST)
        post_action(a, r, q, &q->res);
    else if (!strcmp(q->path, "/admin/api/status"))
        get_status(a, r, q, &q->res);
    else if (!strcmp(q->path, "/admin/api/audit"))
        get_audit(a, &q->res);
    else if ((rest = segment(q->path, "/admin/api/peers/", id, sizeof(id))) && !*rest)
        get_peer(a, r, id, j->queued_ms, &q->res);
    else if (notes_path(q->path, id))
        get_notes(a, q, id, &q->res);
    else
        send_error(&q->res, 404, "not found");
    roster_free(r);
done:
    if (a->release_config)
        a->release_config(a->arg, held);
}

/* The answer is made: the parked request carries on (admin_http() hands it over). */
static void done(struct admin_job *j)
{
    http_resume(((struct admin_req *)j)->token);
}

static void free_req(void *arg)
{
    struct admin_req *q = arg;

    buf_free(&q->res.body);
    free(q);
}

/* ---- on libmicrohttpd's threads ---- */

static void unauthorized(struct http_response *res, int json)
{
    if (json)
        send_error(res, 401, "a valid bearer token is required");
    else
        http_text(res, 401, "a valid bearer token is required");
    res->header_name = "WWW-Authenticate";
    res->header_value = "Bearer realm=\"peerline\"";
}

/* ?limit=N&after=ID of a status request into q. 0, or -1 with res answered (400). */
static int status_query(const struct http_request *req, struct admin_req *q,
                        struct http_response *res)
{
    const char *limit = http_query(req, "limit"), *after = http_query(req, "after"), *why;
    long long n = ADMIN_PEERS_DEFAULT;

    if (limit && parse_int(limit, 0, ADMIN_PEERS_MAX, &n, &why)) {
        send_error(res, 400, "limit: peers on a page, 0 to 1000 (100 when not given)");
        return -1;
    }
    if (after && strlen(after) >= sizeof(q->after)) {
        send_error(res, 400, "after: a peer id (the page's last, from peers_page.next)");
        return -1;
    }
    q->limit = (size_t)n;
    snprintf(q->after, sizeof(q->after), "%s", after ? after : "");
    return 0;
}

/*
 * Checks who asks and what, then parks the request and queues it for the
 * pool. Answers at once (res) what needs no database: 401, 403, 404, 405,
 * 400, and 503 when the pool is full or the server stopping.
 */
static void submit(struct admin *a, const struct http_request *req, enum admin_kind kind,
                   struct http_response *res)
{
    int json = kind != AK_METRICS;
    const char *who = NULL, *dur = http_query(req, "for");
    enum role role = authorize(a, req, &who);
    struct admin_req *q;
    char ref[STORE_ID];

    if (role == ROLE_NONE) {
        unauthorized(res, json);
        return;
    }
    if (kind == AK_POST && role != ROLE_COORDINATOR) {
        send_error(res, 403, "actions need a coordinator's own token");
        return;
    }
    if (kind == AK_GET && role != ROLE_COORDINATOR && notes_path(req->path, ref)) {
        send_error(res, 403, "a chat's notes are read with a coordinator's own token");
        return;
    }
    q = calloc(1, sizeof(*q));
    if (!q) {
        http_text(res, 503, "out of memory");
        return;
    }
    q->a = a;
    q->kind = kind;
    q->res.status = 500;
    q->res.body = (struct buf)BUF_INIT(0);
    snprintf(q->who, sizeof(q->who), "%s", who ? who : "");
    if (strlen(req->path) >= sizeof(q->path) || (dur && strlen(dur) >= sizeof(q->dur))) {
        free_req(q);
        send_error(res, 404, "not found");
        return;
    }
    snprintf(q->path, sizeof(q->path), "%s", req->path);
    snprintf(q->dur, sizeof(q->dur), "%s", dur ? dur : "");
    if (kind == AK_GET && !strcmp(q->path, "/admin/api/status") && status_query(req, q, res)) {
        free_req(q);
        return;
    }
    q->job.run = run;
    q->job.done = done;
    q->token = http_park(req, q, free_req);
    if (!q->token) {
        free_req(q);
        http_text(res, 503, "the server is stopping");
        return;
    }
    if (admin_pool_submit(a->pool, &q->job)) {
        send_error(&q->res, 503, "the admin API is busy: try again in a moment");
        q->res.header_name = "Retry-After";
        q->res.header_value = "1";
        http_resume(q->token);
    }
}

int admin_http(struct admin *a, const struct http_request *req, struct http_response *res)
{
    int metrics = !strcmp(req->path, "/metrics"), api = !strncmp(req->path, "/admin/api/", 11);

    if ((metrics || api) && req->parked) { /* answered by the pool: hand the answer over */
        struct admin_req *q = req->parked;
        *res = q->res;
        q->res.body = (struct buf)BUF_INIT(0);
        return 1;
    }
    if (metrics) {
        if (strcmp(req->method, "GET"))
            http_text(res, 405, "method not allowed");
        else
            submit(a, req, AK_METRICS, res);
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
    if (api) {
        if (strcmp(req->method, "GET") && strcmp(req->method, "POST")) {
            const char *who;
            if (authorize(a, req, &who) == ROLE_NONE)
                unauthorized(res, 1);
            else
                send_error(res, 405, "method not allowed");
            return 1;
        }
        submit(a, req, strcmp(req->method, "POST") ? AK_GET : AK_POST, res);
        return 1;
    }
    return 0;
}

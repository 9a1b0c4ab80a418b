/*
 * admin_status.c - see admin_status.h.
 */
#include "admin_status.h"
#include "admin_pool.h"
#include "match.h"
#include "roster.h"
#include "store.h"
#include "wake.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

int admin_status_init(struct admin_status *as)
{
    memset(as, 0, sizeof(*as));
    if (pthread_mutex_init(&as->mu, NULL))
        return -1;
    as->ready = 1;
    return 0;
}

static void snapshot_clear(struct admin_snapshot *sn)
{
    status_clear(&sn->s);
    roster_free(sn->r);
    free(sn->by_id);
    free(sn->by_need);
    memset(sn, 0, sizeof(*sn));
}

void admin_status_free(struct admin_status *as)
{
    if (!as->ready)
        return;
    snapshot_clear(&as->snap);
    pthread_mutex_destroy(&as->mu);
    as->ready = 0;
}

/* ---- orders (qsort over keys copied out, so no comparison needs the snapshot) ---- */

struct id_key {
    const char *id;
    size_t i;
};

struct need_key {
    int urgent, rank;
    int64_t since, id;
    size_t i;
};

static int cmp_id(const void *a, const void *b)
{
    return strcmp(((const struct id_key *)a)->id, ((const struct id_key *)b)->id);
}

/* Urgent first; then waiting for a peer, in a chat, in the menu; then who came first. */
static int cmp_need(const void *a, const void *b)
{
    const struct need_key *x = a, *y = b;

    if (x->urgent != y->urgent)
        return y->urgent - x->urgent;
    if (x->rank != y->rank)
        return x->rank - y->rank;
    if (x->since != y->since)
        return x->since < y->since ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int orders(struct admin_snapshot *sn)
{
    struct id_key *ids = malloc((sn->s.npeers + 1) * sizeof(*ids));
    struct need_key *needs = malloc((sn->s.nconvs + 1) * sizeof(*needs));
    size_t i;
    int rc = -1;

    sn->by_id = malloc((sn->s.npeers + 1) * sizeof(*sn->by_id));
    sn->by_need = malloc((sn->s.nconvs + 1) * sizeof(*sn->by_need));
    if (!ids || !needs || !sn->by_id || !sn->by_need)
        goto fail;
    for (i = 0; i < sn->s.npeers; i++)
        ids[i] = (struct id_key){sn->s.peers[i].p->id, i};
    for (i = 0; i < sn->s.nconvs; i++) {
        const struct status_conv *c = &sn->s.convs[i];
        int rank = c->state == CONV_QUEUED || c->state == CONV_OFFERED ? 0
                   : c->state == CONV_ACTIVE                           ? 1
                                                                       : 2;
        needs[i] = (struct need_key){c->urgent != 0, rank, c->since, c->id, i};
    }
    qsort(ids, sn->s.npeers, sizeof(*ids), cmp_id);
    qsort(needs, sn->s.nconvs, sizeof(*needs), cmp_need);
    for (i = 0; i < sn->s.npeers; i++)
        sn->by_id[i] = ids[i].i;
    for (i = 0; i < sn->s.nconvs; i++)
        sn->by_need[i] = needs[i].i;
    rc = 0;
fail:
    free(ids);
    free(needs);
    return rc;
}

/* ---- the snapshot ---- */

/*
 * Whether the snapshot answers a request queued at queued_ms as well as a
 * new build would: built after it was queued; or nothing committed since
 * and under ADMIN_STATUS_FRESH_MS old; or, when a build is slow (a line of
 * tens of thousands of peers), under twice its build time old (at most
 * ADMIN_STATUS_FRESH_MS), changes or not, so pollers cannot keep a core
 * building.
 */
static int fresh(const struct admin_snapshot *sn, const struct config *cfg, const struct roster *r,
                 int64_t queued_ms, int64_t version, int64_t now_ms)
{
    int64_t age = now_ms - sn->built_ms, hold = 2 * sn->took_ms;

    if (!sn->valid || sn->r != r || sn->cfg != cfg)
        return 0;
    if (hold > ADMIN_STATUS_FRESH_MS)
        hold = ADMIN_STATUS_FRESH_MS;
    return sn->built_ms > queued_ms ||
           (sn->data_version == version && age < ADMIN_STATUS_FRESH_MS) ||
           (sn->took_ms >= ADMIN_STATUS_SLOW_MS && age < hold);
}

const struct admin_snapshot *admin_status_get(struct admin_status *as, struct store *st,
                                              pthread_mutex_t *st_mu, const struct config *cfg,
                                              struct roster *r, int64_t queued_ms)
{
    struct admin_snapshot *sn = &as->snap;
    int64_t version = -1, began;
    int rc;

    pthread_mutex_lock(&as->mu);
    began = admin_pool_now_ms();
    pthread_mutex_lock(st_mu);
    rc = store_data_version(st, &version);
    pthread_mutex_unlock(st_mu);
    if (!rc && fresh(sn, cfg, r, queued_ms, version, began))
        return sn;
    snapshot_clear(sn);
    pthread_mutex_lock(st_mu);
    rc = rc || status_build(st, cfg, r, wake_now_ms(), &sn->s);
    pthread_mutex_unlock(st_mu);
    if (rc || orders(sn)) {
        snapshot_clear(sn);
        pthread_mutex_unlock(&as->mu);
        return NULL;
    }
    roster_retain(r);
    sn->r = r;
    sn->cfg = cfg;
    sn->built_ms = began;
    sn->took_ms = admin_pool_now_ms() - began;
    sn->data_version = version;
    sn->valid = 1;
    return sn;
}

void admin_status_release(struct admin_status *as)
{
    pthread_mutex_unlock(&as->mu);
}

/* ---- the answer ---- */

json_t *admin_status_time(int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    char s[32];

    if (!ms || ms == INT64_MAX)
        return json_null();
    gmtime_r(&t, &tm);
    strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_string(s);
}

static const char *manual_name(enum match_manual m)
{
    return m == MATCH_MANUAL_ON ? "on" : m == MATCH_MANUAL_OFF ? "off" : NULL;
}

json_t *admin_status_peer_json(const struct status_peer *sp)
{
    const char *manual = manual_name(sp->manual);
    json_t *j = json_pack(
        "{s:s, s:s, s:b, s:s, s:b, s:o, s:o, s:i, s:i, s:i, s:b}", "id", sp->p->id, "name",
        sp->p->name, "ready", sp->ready == MATCH_OK, "state",
        sp->ready == MATCH_OK ? "ready" : match_reason_text(sp->ready), "on_shift", sp->on_shift,
        "manual", manual ? json_string(manual) : json_null(), "manual_until",
        admin_status_time(sp->manual_until), "open", sp->open, "capacity", sp->capacity,
        "missed_offers", sp->missed_offers, "crisis_trained", sp->p->crisis_trained != 0);

    /* A trainee: never ready for a chat; the chat they read along with, by reference. */
    if (j && sp->p->trainee)
        json_object_update_new(j, json_pack("{s:b, s:s?}", "trainee", 1, "reading_along",
                                            sp->reading_along[0] ? sp->reading_along : NULL));
    return j;
}

/* The first position in id order whose id sorts after `after` (0 without one). */
static size_t page_start(const struct admin_snapshot *sn, const char *after)
{
    size_t lo = 0, hi = sn->s.npeers;

    if (!after)
        return 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(sn->s.peers[sn->by_id[mid]].p->id, after) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static json_t *peers_page(const struct admin_snapshot *sn, size_t limit, const char *after,
                          json_t **page)
{
    size_t i = page_start(sn, after), end = i + limit < sn->s.npeers ? i + limit : sn->s.npeers;
    const char *next = NULL;

    *page = json_array();
    for (; i < end; i++)
        json_array_append_new(*page, admin_status_peer_json(&sn->s.peers[sn->by_id[i]]));
    if (end < sn->s.npeers && end > 0)
        next = sn->s.peers[sn->by_id[end - 1]].p->id;
    return json_pack("{s:I, s:I, s:I, s:s?, s:s?}", "total", (json_int_t)sn->s.npeers, "offset",
                     (json_int_t)page_start(sn, after), "limit", (json_int_t)limit, "after", after,
                     "next", next);
}

static json_t *convs_json(const struct admin_snapshot *sn)
{
    const struct line_status *s = &sn->s;
    json_t *convs = json_array();
    size_t i;

    for (i = 0; i < s->nconvs && i < ADMIN_CONVS_MAX; i++) {
        const struct status_conv *c = &s->convs[sn->by_need[i]];
        json_array_append_new(
            convs,
            json_pack("{s:s, s:s, s:s?, s:s, s:b, s:s?, s:I, s:o}", "ref", c->ref, "state",
                      store_conv_state_name(c->state), "topic", c->topic[0] ? c->topic : NULL,
                      "lang", c->lang, "urgent", c->urgent, "peer",
                      c->peer_id[0] ? c->peer_id : NULL, "waited_s",
                      (json_int_t)(((c->matched_at ? c->matched_at : s->now) - c->since) / 1000),
                      "since", admin_status_time(c->since)));
    }
    return convs;
}

json_t *admin_status_json(const struct admin_snapshot *sn, size_t limit, const char *after)
{
    const struct line_status *s = &sn->s;
    json_t *topics = json_array(), *alerts = json_array(), *calls = json_array(), *peers, *page;
    size_t i;

    for (i = 0; i < s->ntopics; i++) {
        const struct status_topic *t = &s->topics[i];
        json_array_append_new(topics,
                              json_pack("{s:s, s:s, s:i, s:i, s:I, s:i}", "id", t->id, "label",
                                        t->label, "waiting", t->waiting, "urgent", t->urgent,
                                        "longest_wait_s", (json_int_t)(t->longest_wait_ms / 1000),
                                        "peers_ready", t->peers_ready));
    }
    for (i = 0; i < s->nalerts; i++) {
        const struct status_alert *a = &s->alerts[i];
        json_array_append_new(alerts, json_pack("{s:s, s:s, s:o, s:I}", "ref", a->ref, "kind",
                                                a->kind, "at", admin_status_time(a->at), "age_s",
                                                (json_int_t)((s->now - a->at) / 1000)));
    }
    for (i = 0; i < s->ncalls; i++) {
        const struct status_call *c = &s->calls[i];
        json_array_append_new(calls, json_pack("{s:s, s:s, s:s?, s:b, s:s?, s:I, s:o}", "ref",
                                               c->ref, "state", c->state, "topic",
                                               c->topic[0] ? c->topic : NULL, "urgent", c->urgent,
                                               "peer", c->peer_id[0] ? c->peer_id : NULL, "age_s",
                                               (json_int_t)((s->now - c->since) / 1000), "since",
                                               admin_status_time(c->since)));
    }
    page = peers_page(sn, limit, after, &peers);
    return json_pack(
        "{s:s, s:o, s:{s:I, s:I, s:I, s:I, s:I}, s:{s:i, s:i, s:i, s:i, s:i}, "
        "s:o, s:o, s:o, s:o, s:I, s:o, s:o}",
        "line", sn->r->line_name, "now", admin_status_time(s->now), "today", "contacts",
        (json_int_t)s->today.contacts, "answered", (json_int_t)s->today.answered, "abandoned",
        (json_int_t)s->today.abandoned, "waiting", (json_int_t)s->today.waiting, "crisis_alerts",
        (json_int_t)s->today.crisis_alerts, "now_counts", "in_menu", s->in_menu, "waiting",
        s->waiting, "offered", s->offered, "active", s->active, "peers_ready", s->peers_ready,
        "topics", topics, "peers", peers, "peers_page", page, "conversations", convs_json(sn),
        "conversations_total", (json_int_t)s->nconvs, "alerts", alerts, "calls", calls);
}

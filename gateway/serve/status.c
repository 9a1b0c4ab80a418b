/*
 * status.c - see status.h.
 *
 * The peers' live state is the engine's own view (engine_peers_now) and
 * whether each could take a chat is the matcher's own rule
 * (match_peer_ready), so the dashboard never disagrees with what the line
 * actually does.
 */
#include "status.h"
#include "command.h"
#include "config.h"
#include "engine.h"
#include "roster.h"
#include "schedule.h"
#include "store_voice.h"
#include "voice.h"
#include "tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int64_t status_midnight(const struct roster *r, int64_t now)
{
    struct tz_local lt;

    tz_to_local(r->tz, now / 1000, &lt);
    return tz_from_local(r->tz, lt.year, lt.month, lt.day, 0, 0, 0) * 1000;
}

struct build_ctx {
    struct line_status *s;
    const struct roster *r;
    size_t cap;
    int failed;
};

static int add_conv(void *arg, const struct store_conv *c)
{
    struct build_ctx *b = arg;
    struct line_status *s = b->s;
    struct status_conv *sc;
    int t;

    if (s->nconvs == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 32;
        struct status_conv *n = realloc(s->convs, cap * sizeof(*n));
        if (!n)
            return b->failed = -1;
        s->convs = n;
        b->cap = cap;
    }
    sc = &s->convs[s->nconvs++];
    memset(sc, 0, sizeof(*sc));
    sc->id = c->id;
    command_ref_format(c->id, sc->ref);
    sc->state = c->state;
    snprintf(sc->topic, sizeof(sc->topic), "%s", c->topic);
    snprintf(sc->lang, sizeof(sc->lang), "%s", c->lang);
    sc->urgent = c->urgent;
    snprintf(sc->peer_id, sizeof(sc->peer_id), "%s", c->peer_id);
    sc->since = c->queued_at ? c->queued_at : c->created_at;
    sc->matched_at = c->matched_at;
    switch (c->state) {
    case CONV_MENU:
        s->in_menu++;
        break;
    case CONV_QUEUED:
    case CONV_OFFERED:
        if (c->state == CONV_QUEUED)
            s->waiting++;
        else
            s->offered++;
        t = roster_topic_index(b->r, c->topic);
        if (t >= 0) {
            struct status_topic *st = &s->topics[t];
            st->waiting++;
            st->urgent += c->urgent != 0;
            if (s->now - sc->since > st->longest_wait_ms)
                st->longest_wait_ms = s->now - sc->since;
        }
        break;
    case CONV_ACTIVE:
        s->active++;
        break;
    case CONV_CLOSED:
        break;
    }
    return 0;
}

static int add_alert(void *arg, int64_t conv_id, const char *kind, int64_t at)
{
    struct build_ctx *b = arg;
    struct line_status *s = b->s;
    struct status_alert *a;

    if (s->nalerts == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 8;
        struct status_alert *n = realloc(s->alerts, cap * sizeof(*n));
        if (!n)
            return b->failed = -1;
        s->alerts = n;
        b->cap = cap;
    }
    a = &s->alerts[s->nalerts++];
    memset(a, 0, sizeof(*a));
    a->conv_id = conv_id;
    command_ref_format(conv_id, a->ref);
    snprintf(a->kind, sizeof(a->kind), "%s", kind ? kind : "");
    a->at = at;
    return 0;
}

static int add_missed(void *arg, const struct store_peer_state *ps)
{
    struct build_ctx *b = arg;
    int i = roster_peer_index(b->r, roster_peer_by_id(b->r, ps->peer_id));

    if (i >= 0)
        b->s->peers[i].missed_offers = ps->missed_offers;
    return 0;
}

/* A trainee reading along: the chat's reference, never a number. */
static int add_shadow(void *arg, const struct store_shadow *sh)
{
    struct build_ctx *b = arg;
    int i = roster_peer_index(b->r, roster_peer_by_id(b->r, sh->trainee_id));

    if (i >= 0)
        command_ref_format(sh->conv_id, b->s->peers[i].reading_along);
    return 0;
}

static int build_peers(struct store *st, const struct config *cfg, const struct roster *r,
                       struct line_status *s)
{
    struct match_peer *mp = calloc(r->npeers + 1, sizeof(*mp));
    struct match_ctx ctx = {r, mp, s->now, cfg->timers.cooldown, cfg->timers.rematch_window, NULL};
    struct build_ctx b = {s, r, 0, 0};
    size_t i, t;
    int rc = -1;

    if (!mp || engine_peers_now(cfg, st, r, s->now, mp) ||
        store_peer_state_list(st, add_missed, &b) || store_shadow_open_list(st, add_shadow, &b))
        goto done;
    for (i = 0; i < r->npeers; i++) {
        struct status_peer *sp = &s->peers[i];
        const struct roster_peer *p = &r->peers[i];

        sp->p = p;
        sp->ready = match_peer_ready(&ctx, i);
        sp->on_shift = schedule_on_shift(p, s->now);
        sp->manual = mp[i].manual_until > s->now ? mp[i].manual : MATCH_MANUAL_NONE;
        sp->manual_until = sp->manual != MATCH_MANUAL_NONE ? mp[i].manual_until : 0;
        sp->open = mp[i].open;
        sp->capacity = p->max_conversations < mp[i].numbers_usable ? p->max_conversations
                                                                   : mp[i].numbers_usable;
        if (sp->ready != MATCH_OK)
            continue;
        s->peers_ready++;
        for (t = 0; t < r->ntopics; t++)
            if (roster_peer_covers(p, (int)t))
                s->topics[t].peers_ready++;
    }
    rc = 0;
done:
    free(mp);
    return rc;
}

static int add_call(void *arg, const struct store_call *c)
{
    static const char *const states[] = {"menu", "ringing", "connected", "voicemail", "ended"};
    struct build_ctx *b = arg;
    struct line_status *s = b->s;
    struct status_call *sc;

    if (s->ncalls == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 8;
        struct status_call *n = realloc(s->calls, cap * sizeof(*n));
        if (!n)
            return b->failed = -1;
        s->calls = n;
        b->cap = cap;
    }
    sc = &s->calls[s->ncalls++];
    memset(sc, 0, sizeof(*sc));
    command_call_ref_format(c->id, sc->ref);
    sc->state = states[c->state];
    snprintf(sc->topic, sizeof(sc->topic), "%s", c->topic);
    snprintf(sc->peer_id, sizeof(sc->peer_id), "%s", c->peer_id);
    sc->urgent = c->urgent;
    sc->since = c->created_at;
    return 0;
}

int status_build(struct store *st, const struct config *cfg, const struct roster *r, int64_t now,
                 struct line_status *s)
{
    struct build_ctx b;
    size_t t;

    memset(s, 0, sizeof(*s));
    b = (struct build_ctx){s, r, 0, 0};
    s->now = now;
    s->ntopics = r->ntopics;
    s->npeers = r->npeers;
    s->topics = calloc(r->ntopics + 1, sizeof(*s->topics));
    s->peers = calloc(r->npeers + 1, sizeof(*s->peers));
    if (!s->topics || !s->peers)
        goto fail;
    for (t = 0; t < r->ntopics; t++) {
        s->topics[t].id = r->topics[t].id;
        s->topics[t].label = r->topics[t].label;
    }
    if (store_conv_live_list(st, add_conv, &b) || b.failed)
        goto fail;
    b.cap = 0;
    if (store_alert_open_list(st, add_alert, &b) || b.failed)
        goto fail;
    b.cap = 0;
    if (store_call_each_open(st, add_call, &b) || b.failed)
        goto fail;
    if (build_peers(st, cfg, r, s) || store_counts_since(st, status_midnight(r, now), &s->today))
        goto fail;
    return 0;
fail:
    status_clear(s);
    return -1;
}

void status_clear(struct line_status *s)
{
    free(s->topics);
    free(s->peers);
    free(s->convs);
    free(s->alerts);
    free(s->calls);
    memset(s, 0, sizeof(*s));
}

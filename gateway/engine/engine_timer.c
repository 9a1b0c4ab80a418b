/*
 * engine_timer.c - what happens when time passes. Every timer is a row in
 * the store (so it survives a restart), one of each kind per conversation,
 * claimed with a lease by engine_run() and fired here inside a transaction:
 *
 *   offer         the peer did not answer: the chat goes to the next peer;
 *                 three missed in a row set the peer off
 *   queue_update  a waiting texter hears their place and an honest wait
 *                 (from recent waits, or that no one is on shift and when
 *                 the next shift starts); repeats
 *   max_wait      waited long: resources, and they keep their place
 *   peer_silence  the texter wrote and the peer did not: nudge the peer,
 *                 then put the texter back at the front of the line
 *   idle          neither side wrote: close kindly (an urgent chat stays
 *                 open: the peer is prompted and coordinators alerted)
 *   alert         nobody acknowledged an alert: every coordinator hears
 *                 (engine_safety.c)
 *
 * A timer whose conversation has moved on does nothing.
 */
#include "engine_priv.h"
#include "buf.h"
#include "config.h"
#include "log.h"
#include "roster.h"
#include "schedule.h"
#include "store.h"
#include "texts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- offers ---- */

/* Three offers let expire in a row: the peer is set off, as with #off. */
#define MISSED_OFFERS_OFF 3

int engine_expire_offer(struct engine *e, const struct store_offer *o)
{
    const struct roster_peer *p = roster_peer_by_id(e->roster, o->peer_id);
    int rc, missed = 0;

    rc = store_offer_decide(e->st, o->id, OFFER_EXPIRED, e->now);
    if (rc == STORE_CONFLICT)
        return 0;
    if (rc || store_conv_requeue(e->st, o->conv_id, CONV_OFFERED) == STORE_ERROR ||
        store_peer_number_used(e->st, o->peer_id, o->number, e->now) ||
        store_peer_missed_offer(e->st, o->peer_id, &missed))
        return -1;
    log_info("offer.expired", "conv=%lld peer=%s missed=%d", (long long)o->conv_id, o->peer_id,
             missed);
    if (!p)
        return 0;
    if (missed >= MISSED_OFFERS_OFF) {
        if (engine_set_off(e, p, NULL) || store_peer_answered_offer(e->st, p->id))
            return -1;
        log_info("peer.set_off", "peer=%s reason=missed_offers", p->id);
        return engine_say(e, o->conv_id, p->phone, o->number, TX_MISSED_OFFERS, NULL, 0);
    }
    return engine_say(e, o->conv_id, p->phone, o->number, TX_OFFER_GONE, NULL, 0);
}

static int fire_offer(struct engine *e, const struct store_conv *c)
{
    struct store_offer o;
    int rc;

    if (c->state != CONV_OFFERED)
        return 0;
    rc = store_offer_open_for_conv(e->st, c->id, &o);
    if (rc != STORE_FOUND)
        return rc == STORE_ERROR ? -1 : 0;
    if (o.expires_at > e->now) /* a newer offer, with its own timer */
        return 0;
    return engine_expire_offer(e, &o);
}

/* ---- waiting ---- */

static int fire_queue_update(struct engine *e, const struct store_conv *c)
{
    int64_t next;

    if (c->state != CONV_QUEUED && c->state != CONV_OFFERED)
        return 0;
    if (engine_tell_place(e, c, 0, &next))
        return -1;
    return store_timer_set(e->st, TIMER_QUEUE_UPDATE, c->id, next, 0);
}

static int fire_max_wait(struct engine *e, const struct store_conv *c)
{
    if (c->state != CONV_QUEUED && c->state != CONV_OFFERED)
        return 0;
    log_info("conversation.max_wait", "conv=%lld", (long long)c->id);
    return engine_say(e, c->id, c->texter, c->line_number, TX_MAX_WAIT, NULL, 0);
}

/* ---- matched ---- */

static int64_t last_word(const struct store_conv *c)
{
    int64_t t = c->matched_at;

    if (c->last_texter_at > t)
        t = c->last_texter_at;
    if (c->last_peer_at > t)
        t = c->last_peer_at;
    return t;
}

static int fire_peer_silence(struct engine *e, const struct store_conv *c, int stage)
{
    const struct roster_peer *p = roster_peer_by_id(e->roster, c->peer_id);
    /*
     * last_peer_at is cleared when the chat starts: 0 means the peer has not
     * written yet. A peer's reply clears this timer, so it firing means a
     * reply is owed; the times only confirm it. They tie when both texts were
     * handled in one run (same clock): the texter wrote last then, as the
     * timer says, so a tie is not an answer.
     */
    int64_t answered = c->last_peer_at;

    if (c->state != CONV_ACTIVE || !p || (answered && answered > c->last_texter_at))
        return 0; /* the peer has answered since */
    if (stage == 0) {
        if (store_timer_set(e->st, TIMER_PEER_SILENCE, c->id, e->now + e->cfg->timers.peer_silence,
                            1))
            return -1;
        log_info("peer.nudged", "conv=%lld peer=%s", (long long)c->id, p->id);
        return engine_say(e, c->id, p->phone, c->peer_number, TX_NUDGE_PEER, NULL, 0);
    }
    /* Still nothing: the texter goes back to the front, with the words no one answered. */
    if (store_inbound_repend_unanswered(e->st, c->id, c->texter, answered) ||
        store_conv_transfer(e->st, c->id, p->id, c->topic) ||
        store_offer_record_handback(e->st, c->id, p->id, c->peer_number, e->now) ||
        store_peer_number_used(e->st, p->id, c->peer_number, e->now) ||
        store_peer_conversation_ended(e->st, p->id, e->now) || engine_requeued(e, c->id))
        return -1;
    log_info("peer.silent", "conv=%lld peer=%s", (long long)c->id, p->id);
    if (engine_say(e, c->id, c->texter, c->line_number, TX_PEER_STEPPED_AWAY, NULL, 0))
        return -1;
    return engine_say(e, c->id, p->phone, c->peer_number, TX_SILENT_PEER_REQUEUED, NULL, 0);
}

static int fire_idle(struct engine *e, const struct store_conv *c)
{
    const struct roster_peer *p = roster_peer_by_id(e->roster, c->peer_id);
    int64_t quiet_until = last_word(c) + e->cfg->timers.idle_timeout;

    if (c->state != CONV_ACTIVE)
        return 0;
    if (e->now < quiet_until) /* someone wrote: not idle after all */
        return store_timer_set(e->st, TIMER_IDLE, c->id, quiet_until, 0);
    if (c->urgent) {
        /* Never closed for quiet: the peer checks in and a coordinator is told. */
        if (store_timer_set(e->st, TIMER_IDLE, c->id, e->now + e->cfg->timers.idle_timeout, 0) ||
            engine_alert(e, c, "idle-urgent", TX_ALERT_IDLE, NULL, NULL))
            return -1;
        return p ? engine_say(e, c->id, p->phone, c->peer_number, TX_IDLE_URGENT_PEER, NULL, 0) : 0;
    }
    if (engine_close_conv(e, c, "idle") ||
        engine_say(e, c->id, c->texter, c->line_number, TX_IDLE_CLOSED_TEXTER, NULL, 0) ||
        engine_ask_rating(e, c))
        return -1;
    return p ? engine_say(e, c->id, p->phone, c->peer_number, TX_IDLE_CLOSED_PEER, NULL, 0) : 0;
}

int engine_fire(struct engine *e, const struct store_timer *t)
{
    struct store_conv c;
    int rc = store_conv_get(e->st, t->conv_id, &c);

    if (rc != STORE_FOUND)
        return rc == STORE_ERROR ? -1 : 0;
    switch (t->kind) {
    case TIMER_OFFER:
        return fire_offer(e, &c);
    case TIMER_QUEUE_UPDATE:
        return fire_queue_update(e, &c);
    case TIMER_MAX_WAIT:
        return fire_max_wait(e, &c);
    case TIMER_PEER_SILENCE:
        return fire_peer_silence(e, &c, t->stage);
    case TIMER_IDLE:
        return fire_idle(e, &c);
    case TIMER_ALERT:
        return engine_fire_alert(e, &c);
    case TIMER_DEBRIEF:
        return engine_offer_debrief(e, &c, c.peer_id, 0);
    }
    return 0;
}

/*
 * engine.c - see engine.h.
 *
 * Reading guide. engine_run() drains the inputs in order: inbound texts,
 * delivery statuses, relays that finally failed, timers that are due; then
 * engine_match() makes new offers. handle_inbound() decides who is writing
 * to which number and hands over to:
 *
 *   engine_peer_on_number()   a peer on a chat's number   (engine_peer.c)
 *   engine_staff_on_line()    a # command to the line      (engine_peer.c)
 *   engine_stranger_on_pool() anyone else on a pool number (engine_texter.c)
 *   engine_texter()           everyone else on the line    (engine_texter.c)
 *
 * Texts go out through engine_say()/engine_send() (engine_out.c), timers
 * fire in engine_timer.c, matching is engine_match.c.
 */
#include "engine_priv.h"
#include "buf.h"
#include "command.h"
#include "config.h"
#include "crisis.h"
#include "latency.h"
#include "log.h"
#include "roster.h"
#include "provider.h"
#include "store.h"
#include "schedule.h"
#include "texts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct engine *engine_new(const struct config *cfg, struct store *st, const char *node,
                          const struct texts *texts)
{
    struct engine *e = calloc(1, sizeof(*e));

    if (!e)
        return NULL;
    e->cfg = cfg;
    e->st = st;
    e->texts = texts;
    snprintf(e->node, sizeof(e->node), "%s", node);
    e->crisis = crisis_new(cfg->crisis.phrases.items, cfg->crisis.phrases.n);
    if (!e->crisis) {
        free(e);
        return NULL;
    }
    return e;
}

void engine_free(struct engine *e)
{
    if (!e)
        return;
    crisis_free(e->crisis);
    free(e);
}

void engine_took_over(struct engine *e)
{
    e->started = 0;
    e->failing_id = 0;
    e->failures = 0;
    e->failing_timer = 0;
    e->timer_failures = 0;
}

int engine_peers_now(const struct config *cfg, struct store *st, const struct roster *r,
                     int64_t now, struct match_peer *mp)
{
    /* engine_peer_states() reads no more of an engine than this. */
    struct engine view = {.cfg = cfg, .st = st, .roster = r, .now = now};

    return engine_peer_states(&view, mp, NULL);
}

int engine_set_config(struct engine *e, const struct config *cfg, const struct texts *texts)
{
    struct crisis *c = crisis_new(cfg->crisis.phrases.items, cfg->crisis.phrases.n);

    if (!c)
        return -1;
    crisis_free(e->crisis);
    e->crisis = c;
    e->cfg = cfg;
    e->texts = texts;
    e->next_shift_check = 0;
    return 0;
}

struct adopt_ctx {
    const struct roster *old;
    struct roster *fresh;
    int failed;
};

/*
 * A conversation whose peer the new roster no longer has: the peer is kept,
 * retired, so an open chat can end as usual; an offer they have not taken
 * yet is withdrawn at the next run (see withdraw_retired), never taken.
 */
static int adopt(void *arg, const struct store_conv *c)
{
    struct adopt_ctx *a = arg;
    const struct roster_peer *p;

    if (roster_peer_by_id(a->fresh, c->peer_id))
        return 0;
    p = roster_peer_by_id(a->old, c->peer_id);
    if (!p)
        return 0;
    if (roster_adopt(a->fresh, p))
        a->failed = 1;
    else
        log_info("roster.peer_retired", "peer=%s conv=%lld", p->id, (long long)c->id);
    return 0;
}

void engine_watch_latency(struct engine *e, struct latency *lat, void (*on_queued)(void *arg),
                          void *arg)
{
    e->lat = lat;
    e->on_queued = on_queued;
    e->queued_arg = arg;
}

void engine_watch_signatures(struct engine *e, const atomic_ulong *streak, unsigned long after)
{
    e->sig_streak = streak;
    e->sig_after = after;
}

#define SIGNATURE_ALERT_EVERY (3600LL * 1000)

static int signature_check(struct engine *e, const void *item)
{
    return engine_signature_alert(e, *(const unsigned long *)item);
}

void engine_set_roster(struct engine *e, struct roster *r)
{
    size_t i;

    if (e->roster && r != e->roster) {
        struct adopt_ctx a = {e->roster, r, 0};
        if (store_conv_open_list(e->st, adopt, &a) || a.failed)
            log_warnx("roster.retire_failed", "%s", "");
    }
    e->roster = r;
    e->next_shift_check = 0; /* recompute with the new shifts */
    e->retired_offers = 1;
    e->shadow_roster = 1;
    e->trainees = 0;
    for (i = 0; i < r->npeers && !e->trainees; i++)
        e->trainees = r->peers[i].trainee;
}

/* ---- routing one inbound text ---- */

/* Nothing but spaces (a text with no words and no picture is stored, and otherwise ignored). */
static int blank(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    return !*s;
}

static int handle_inbound(struct engine *e, const struct store_inbound *in, int64_t *conv,
                          int *pending)
{
    const struct config *cfg = e->cfg;
    const struct roster *r = e->roster;
    const struct roster_peer *peer = roster_peer_by_phone(r, in->from), *staff;
    int to_line = !strcmp(in->to, cfg->provider.line_number);
    int to_pool = engine_is_pool(cfg, in->to);
    int rc;

    *conv = 0;
    *pending = 0;
    if (config_is_own_number(cfg, in->from)) {
        /*
         * The line never texts itself: this is a loop at the provider or a
         * forgery by someone holding its credentials. Kept like every signed
         * text and counted (/metrics), but never answered, relayed or
         * crisis-checked into an alert: the line must not talk to itself.
         */
        char mfrom[LOG_MASK_LEN], mto[LOG_MASK_LEN];
        log_warnx("inbound.own_number", "id=%lld from=%s to=%s", (long long)in->id,
                  log_mask_phone(in->from, mfrom), log_mask_phone(in->to, mto));
        return store_inbound_ignore(e->st, in->id, STORE_IGNORED_OWN_NUMBER) == STORE_OK ? 0 : -1;
    }
    if (!in->num_media && blank(in->body)) {
        log_info("inbound.empty", "id=%lld", (long long)in->id);
        return 0;
    }
    if (peer && to_pool)
        return engine_peer_on_number(e, in, peer);
    if (peer && to_line && !cfg->provider.npool) {
        /* No pool: the line number is also the peer's conversation number. */
        struct store_conv c;
        rc = store_conv_by_peer_number(e->st, peer->id, in->to, &c);
        if (rc == STORE_OK && in->body[0] != '#') /* or their last word after a BYE */
            rc = store_conv_last_word(e->st, peer->id, in->to, e->now, &c);
        if (rc == STORE_ERROR)
            return -1;
        if (rc == STORE_FOUND)
            return engine_peer_on_number(e, in, peer);
    }
    staff = roster_staff_by_phone(r, in->from);
    if (!peer && staff && (to_pool || (to_line && !cfg->provider.npool))) {
        /* A coordinator on the number of a chat they took over (#take REF). */
        struct store_conv c;
        rc = store_conv_by_peer_number(e->st, staff->id, in->to, &c);
        if (rc == STORE_ERROR)
            return -1;
        if (rc == STORE_FOUND || to_pool)
            return engine_peer_on_number(e, in, staff);
    }
    if ((peer || staff) && to_line) {
        struct store_conv c;
        struct command cmd;
        rc = store_conv_open_by_texter(e->st, in->from, &c);
        if (rc == STORE_ERROR)
            return -1;
        /* # commands always; a bare ON, OFF or STATUS only outside their own texter chat. */
        if (in->body[0] == '#' || (rc == STORE_OK && command_parse_bare(in->body, &cmd))) {
            rc = engine_staff_on_line(e, in);
            if (rc != 1)
                return rc;
        }
    }
    if (to_pool && !peer && !staff && crisis_match(e->crisis, in->body)) {
        /* Someone in danger texted a pool number: answered as if they had texted the line. */
        struct store_inbound as_line = *in;
        snprintf(as_line.to, sizeof(as_line.to), "%s", cfg->provider.line_number);
        return engine_texter(e, &as_line, conv, pending);
    }
    if (to_pool)
        return engine_stranger_on_pool(e, in);
    if (!to_line) {
        log_warnx("inbound.unknown_number", "id=%lld", (long long)in->id);
        return 0;
    }
    return engine_texter(e, in, conv, pending);
}

/* ---- provider feedback ---- */

/*
 * The carrier says the recipient of o opted out of o's number (Twilio 21610, Telnyx 40300): a
 * peer's chats on that number go back to the line; a texter's chat ends and
 * its peer is told. Returns 1 when nothing more needs saying to the writer.
 */
static int recipient_opted_out(struct engine *e, const struct store_out *o)
{
    const struct roster_peer *peer = roster_peer_by_phone(e->roster, o->to);
    const struct roster_peer *p;

    if (!peer)
        peer = roster_staff_by_phone(e->roster, o->to);
    struct store_conv c;
    int rc;

    if (peer && !strcmp(o->from, e->cfg->provider.line_number) && e->cfg->provider.npool)
        peer = NULL; /* a peer reached as a texter, on the line number */
    if (peer) {
        if (engine_peer_opt_out(e, peer, o->from))
            return -1;
        /*
         * The chat went back to the line: the lost text waits for the next peer
         * instead, with any merged into it (the texter's texts from then on).
         */
        rc = store_conv_get(e->st, o->conv_id, &c);
        if (rc == STORE_ERROR)
            return -1;
        if (rc == STORE_FOUND && c.state == CONV_QUEUED && o->origin_inbound) {
            struct store_inbound first;
            rc = store_inbound_get(e->st, o->origin_inbound, &first);
            if (rc == STORE_ERROR)
                return -1;
            if (rc == STORE_FOUND) {
                rc = store_inbound_repend_unanswered(e->st, c.id, c.texter, first.received_at - 1);
                store_inbound_clear(&first);
                if (rc)
                    return -1;
            }
            return 1;
        }
        return 0;
    }
    rc = store_conv_open_by_texter(e->st, o->to, &c);
    if (rc != STORE_FOUND)
        return rc == STORE_ERROR ? -1 : 0;
    if (engine_close_conv(e, &c, "texter-carrier-optout"))
        return -1;
    p = c.peer_id[0] ? roster_peer_by_id(e->roster, c.peer_id) : NULL;
    if (p && c.state == CONV_ACTIVE &&
        engine_say(e, c.id, p->phone, c.peer_number, TX_TEXTER_UNREACHABLE, NULL, 0))
        return -1;
    return 1;
}

/* A relayed text that could not be delivered: its writer is told. */
static int relay_failed(struct engine *e, const struct store_out *o)
{
    struct store_inbound in;
    int rc;

    if (store_outbox_failure_handled(e->st, o->id))
        return -1;
    if (o->error_code == provider_for(e->cfg)->opted_out_code) {
        rc = recipient_opted_out(e, o);
        if (rc)
            return rc < 0 ? -1 : 0;
    }
    if (!o->origin_inbound)
        return 0;
    rc = store_inbound_get(e->st, o->origin_inbound, &in);
    if (rc != STORE_FOUND)
        return rc == STORE_ERROR ? -1 : 0;
    rc = engine_say_full(e, o->conv_id, in.from, in.to,
                         roster_peer_by_phone(e->roster, in.from) ||
                                 roster_staff_by_phone(e->roster, in.from)
                             ? TX_RELAY_FAILED_PEER
                             : TX_RELAY_FAILED_TEXTER,
                         NULL, 0, OUT_SYSTEM, 0, 0);
    log_info("relay.failed", "conv=%lld code=%d", (long long)o->conv_id, o->error_code);
    store_inbound_clear(&in);
    return rc;
}

/*
 * A delivery status from the provider, recorded on its outbox row. A status
 * can arrive before the sender has stored the provider's id for that text;
 * then it is kept (returns 1) and tried again, for up to STATUS_WAIT.
 */
static int status_event(struct engine *e, const struct store_status *st)
{
    struct store_out out;
    int rc = store_outbox_status(e->st, st->sid, st->status, st->error_code, &out);

    store_out_clear(&out);
    if (rc < 0)
        return -1;
    if (rc != STORE_FOUND && e->now - st->received_at < STATUS_WAIT) {
        e->status_waiting = 1;
        return 0; /* not done: the next run looks again */
    }
    return store_status_done(e->st, st->id, e->now);
}

/* Runs fn(e, item) in its own transaction. */
static int in_tx(struct engine *e, int (*fn)(struct engine *, const void *), const void *item)
{
    if (store_begin(e->st))
        return -1;
    if (fn(e, item) || store_commit(e->st)) {
        store_rollback(e->st);
        return -1;
    }
    return 0;
}

/*
 * An offer held by a peer the roster no longer has goes back to the line
 * (keeping its place), and the peer is told it was withdrawn: a removed
 * peer takes no new chat, even one offered just before.
 */
static int withdraw_retired(struct engine *e, const void *item)
{
    const int64_t *id = item;
    const struct roster_peer *p;
    struct store_conv c;
    struct store_offer o;
    int rc = store_conv_get(e->st, *id, &c);

    if (rc != STORE_FOUND || c.state != CONV_OFFERED)
        return rc == STORE_ERROR ? -1 : 0;
    p = roster_peer_by_id(e->roster, c.peer_id);
    if (!roster_peer_is_retired(e->roster, p))
        return 0;
    rc = store_offer_open_for_conv(e->st, c.id, &o);
    if (rc == STORE_ERROR ||
        (rc == STORE_FOUND && store_offer_decide(e->st, o.id, OFFER_CANCELLED, e->now) < 0))
        return -1;
    if (store_conv_requeue(e->st, c.id, CONV_OFFERED) || engine_requeued(e, c.id) ||
        store_peer_number_used(e->st, c.peer_id, c.peer_number, e->now) ||
        engine_say(e, c.id, p->phone, c.peer_number, TX_OFFER_WITHDRAWN, NULL, 0))
        return -1;
    log_info("roster.offer_withdrawn", "peer=%s conv=%lld", p->id, (long long)c.id);
    return 0;
}

struct offered_ids {
    int64_t *ids;
    size_t n, cap;
    int failed;
};

static int collect_offered(void *arg, const struct store_conv *c)
{
    struct offered_ids *l = arg;

    if (c->state != CONV_OFFERED)
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        int64_t *n = realloc(l->ids, cap * sizeof(*n));
        if (!n) {
            l->failed = 1;
            return 0;
        }
        l->ids = n;
        l->cap = cap;
    }
    l->ids[l->n++] = c->id;
    return 0;
}

/* After a roster change: withdraws every open offer a retired peer holds. */
static int withdraw_retired_offers(struct engine *e)
{
    struct offered_ids l = {0};
    size_t i;
    int rc = 0;

    if (!e->roster->nretired) {
        e->retired_offers = 0;
        return 0;
    }
    if (store_conv_open_list(e->st, collect_offered, &l) || l.failed)
        rc = -1;
    for (i = 0; !rc && i < l.n; i++)
        rc = in_tx(e, withdraw_retired, &l.ids[i]);
    free(l.ids);
    if (!rc)
        e->retired_offers = 0;
    return rc;
}

static int shadow_roster(struct engine *e, const void *item)
{
    (void)item;
    return engine_shadow_roster(e);
}

static int do_failed(struct engine *e, const void *item)
{
    return relay_failed(e, item);
}

/* A coordinator's action: carried out and its audit row closed, in one transaction. */
static int do_action(struct engine *e, const void *item)
{
    const struct store_audit *a = item;
    enum audit_state st = AUDIT_REFUSED;
    char result[160] = "";

    if (engine_action(e, a, &st, result, sizeof(result)))
        return -1;
    return store_audit_done(e->st, a->id, st, result, e->now) == STORE_ERROR ? -1 : 0;
}

/* A due timer, leased to us: fired, then removed unless it was set again. */
static int do_timer(struct engine *e, const void *item)
{
    const struct store_timer *t = item;

    if (engine_fire(e, t))
        return -1;
    return store_timer_done(e->st, t->id, e->node);
}

/*
 * Fires one timer in its own transaction. One that keeps failing while the
 * database works is dropped after GIVE_UP_AFTER tries (and logged), rather
 * than retried every lease for ever.
 */
static int timer_in_tx(struct engine *e, const struct store_timer *t)
{
    if (!in_tx(e, do_timer, t)) {
        e->timer_failures = 0;
        return 0;
    }
    if (e->failing_timer != t->id) {
        e->failing_timer = t->id;
        e->timer_failures = 0;
    }
    if (++e->timer_failures < GIVE_UP_AFTER)
        return -1;
    if (store_timer_done(e->st, t->id, e->node))
        return -1;
    log_errorx("engine.timer_gave_up", "timer=%lld kind=%d conv=%lld", (long long)t->id,
               (int)t->kind, (long long)t->conv_id);
    e->timer_failures = 0;
    return 0;
}

/*
 * Delivery statuses after *last, grouped like texts (see inbound_group);
 * one that fails stops the group and is retried on the next run. Returns 1
 * when more may be waiting, 0 when none is, -1 on failure.
 */
static int status_group(struct engine *e, int64_t *last)
{
    struct store_status st;
    int n = 0, rc = STORE_OK, failed = 0;

    rc = store_status_next(e->st, *last, &st); /* a look first, as for texts */
    if (rc != STORE_FOUND)
        return rc == STORE_ERROR ? -1 : 0;
    if (store_begin(e->st))
        return -1;
    while (n < ENGINE_GROUP && (rc = store_status_next(e->st, *last, &st)) == STORE_FOUND) {
        if (store_savepoint(e->st)) {
            rc = STORE_ERROR;
            break;
        }
        if (status_event(e, &st)) {
            failed = 1;
            if (store_rollback_to(e->st)) {
                store_rollback(e->st); /* not undone alone: nothing of the group is kept */
                return -1;
            }
            break;
        }
        store_release(e->st);
        *last = st.id;
        n++;
    }
    if (store_commit(e->st)) {
        store_rollback(e->st);
        return -1;
    }
    if (rc == STORE_ERROR || failed)
        return -1;
    return n == ENGINE_GROUP;
}

/*
 * A text that failed: retried on the next run; but one that keeps failing
 * while the database works (a fault of ours, not of the disk) must not stall
 * every text behind it: after GIVE_UP_AFTER tries it is flagged `failed`,
 * its writer gets a "something went wrong, text again" reply with crisis
 * numbers, every coordinator is alerted if it held crisis words, and it is
 * logged as an error for the operator. Returns -1 while it is to be retried.
 */
static int inbound_failed(struct engine *e, const struct store_inbound *in)
{
    if (e->failing_id != in->id) {
        e->failing_id = in->id;
        e->failures = 0;
    }
    if (++e->failures < GIVE_UP_AFTER) {
        log_warnx("engine.retry", "inbound=%lld attempt=%d", (long long)in->id, e->failures);
        return -1;
    }
    /* Flag it, and tell its writer something went wrong rather than leave them in silence. */
    if (store_begin(e->st))
        return -1;
    if (store_inbound_failed(e->st, in->id, e->now) ||
        (store_optout_check(e->st, config_optout_scope(e->cfg, in->to), in->from) == STORE_OK &&
         engine_say(e, 0, in->from, in->to, TX_TROUBLE, NULL, 0)) ||
        engine_crisis_unhandled(e, in) || store_commit(e->st)) {
        store_rollback(e->st);
        return -1; /* the database itself is failing: keep retrying */
    }
    log_errorx("engine.gave_up", "inbound=%lld attempts=%d", (long long)in->id, e->failures);
    e->failures = 0;
    return 0;
}

/*
 * Handles waiting inbound texts, in arrival order, in groups: up to
 * ENGINE_GROUP texts in one transaction (one fsync), each inside its own
 * savepoint, so a text that fails is undone alone while the texts before it
 * are kept. Every state change commits together with the texts it causes,
 * as before; only the fsync is shared. Returns 1 when more may be waiting,
 * 0 when none is, -1 when the database failed or a text is to be retried.
 */
static int inbound_group(struct engine *e)
{
    struct store_inbound in;
    int n = 0, rc = STORE_OK, failed = 0, queued = e->queued;
    size_t i;

    /* A look first: no write lock is taken (and no other writer held up) for nothing. */
    rc = store_inbound_next(e->st, &in);
    store_inbound_clear(&in);
    if (rc != STORE_FOUND)
        return rc == STORE_ERROR ? -1 : 0;
    if (store_begin(e->st))
        return -1;
    e->nready = 0;
    /* Webhooks waiting to be stored end the group early: they wait one text, not 64. */
    while (n < ENGINE_GROUP && !(n && store_gate_wanted(e->st)) &&
           (rc = store_inbound_next(e->st, &in)) == STORE_FOUND) {
        int64_t conv = 0;
        int pending = 0;
        size_t nready = e->nready;

        e->arrival_us = latency_take_arrival(e->lat, in.id);
        if (store_savepoint(e->st)) {
            store_inbound_clear(&in);
            rc = STORE_ERROR;
            break;
        }
        if (handle_inbound(e, &in, &conv, &pending) ||
            store_inbound_done(e->st, in.id, conv, pending, e->now)) {
            failed = 1; /* `in` is kept for inbound_failed() */
            e->nready = nready;
            if (store_rollback_to(e->st)) {
                /* Its writes could not be undone alone: nothing of the group is kept. */
                store_rollback(e->st);
                store_inbound_clear(&in);
                e->arrival_us = 0;
                e->nready = 0;
                return -1;
            }
            break;
        }
        store_release(e->st);
        store_inbound_clear(&in);
        n++;
    }
    e->arrival_us = 0;
    if (store_commit(e->st)) {
        store_rollback(e->st);
        rc = STORE_ERROR;
        e->nready = 0;
    }
    if (e->nready) {
        int64_t now_us = latency_now_us();
        for (i = 0; i < e->nready; i++)
            latency_ready(e->lat, e->ready[i].outbox_id, e->ready[i].arrival_us, now_us);
        e->nready = 0;
    }
    if (e->queued > queued && rc != STORE_ERROR && e->on_queued)
        e->on_queued(e->queued_arg);
    if (failed) {
        if (rc != STORE_ERROR && !inbound_failed(e, &in))
            rc = STORE_OK; /* given up on: the texts behind it go on */
        else
            rc = STORE_ERROR;
        store_inbound_clear(&in);
    } else if (n) {
        e->failures = 0;
    }
    if (rc == STORE_ERROR)
        return -1;
    return (n && rc == STORE_FOUND) || failed; /* stopped early: more may be waiting */
}

int engine_run(struct engine *e, int64_t now, int64_t *next_due, int *queued)
{
    struct store_out out;
    struct store_timer tm;
    struct store_audit act;
    int64_t t, last;
    int rc, retry = 0;

    e->now = now;
    e->queued = 0;
    *next_due = INT64_MAX;
    if (!e->roster)
        goto fail;
    /* Before any text is handled: no #take may reach an offer a removed peer holds. */
    if (e->retired_offers && withdraw_retired_offers(e))
        goto fail;
    /* Nor may a removed trainee go on reading along. */
    if (e->shadow_roster) {
        if (in_tx(e, shadow_roster, NULL))
            goto fail;
        e->shadow_roster = 0;
    }
    while ((rc = inbound_group(e)) == 1)
        ;
    if (rc < 0)
        goto fail;
    /* Coordinators' actions, in the order they were asked. */
    while ((rc = store_audit_next(e->st, &act)) == STORE_FOUND) {
        if (!in_tx(e, do_action, &act))
            continue;
        /* One that cannot be carried out is refused, not retried for ever. */
        if (store_audit_done(e->st, act.id, AUDIT_REFUSED, "internal error", now) == STORE_ERROR)
            goto fail;
    }
    if (rc == STORE_ERROR)
        goto fail;
    /* Side inputs: a failure here is retried next run but never holds up matching. */
    e->status_waiting = 0;
    last = 0;
    while ((rc = status_group(e, &last)) == 1)
        ;
    if (rc)
        retry = 1;
    while ((rc = store_outbox_failed_relay(e->st, &out)) == STORE_FOUND) {
        rc = in_tx(e, do_failed, &out);
        store_out_clear(&out);
        if (rc)
            break;
    }
    if (rc)
        retry = 1;
    if (!e->started && store_timer_reclaim(e->st, e->node) == STORE_OK)
        e->started = 1;
    while ((rc = store_timer_claim(e->st, e->node, now, TIMER_LEASE, &tm)) == STORE_FOUND)
        if ((rc = timer_in_tx(e, &tm)))
            break;
    if (rc)
        retry = 1;
    if (engine_calls(e))
        retry = 1;
    if (engine_match(e, next_due))
        goto fail;
    if (e->sig_streak) {
        unsigned long n = atomic_load(e->sig_streak);
        if (n >= e->sig_after &&
            (!e->sig_told_at || now - e->sig_told_at >= SIGNATURE_ALERT_EVERY)) {
            if (in_tx(e, signature_check, &n))
                retry = 1;
            else
                e->sig_told_at = now;
        }
    }
    if (store_timer_next(e->st, &t))
        goto fail;
    if (t < *next_due)
        *next_due = t;
    if (e->next_shift_check <= now) {
        size_t i;
        e->next_shift_check = now + 24LL * 3600 * 1000;
        for (i = 0; i < e->roster->npeers; i++) {
            int64_t c = schedule_next_change(&e->roster->peers[i], now);
            if (c < e->next_shift_check)
                e->next_shift_check = c;
        }
    }
    if (e->next_shift_check < *next_due)
        *next_due = e->next_shift_check;
    if ((retry || e->status_waiting) && now + RETRY_AFTER < *next_due)
        *next_due = now + RETRY_AFTER;
    *queued = e->queued;
    return retry ? -1 : 0;
fail:
    *next_due = now + RETRY_AFTER;
    *queued = e->queued;
    return -1;
}

/*
 * engine_safety.c - the crisis tripwire and the safety alerts (SPEC 5.1).
 *
 * engine_crisis() runs on every texter text that names a crisis phrase, in
 * every state, before anything else reads it: the texter gets the safety
 * text at once (unless they opted out), their conversation becomes urgent
 * and joins the line at once (even from the menu), and the on-call
 * coordinators are alerted, naming the conversation by its reference only.
 * A number that opted out or is blocked still raises the alert.
 *
 * engine_alert() is the one alert path (crisis words, #escalate, an urgent
 * chat gone quiet, BYE in an urgent chat): a row in `alerts`, a safety-
 * priority text to each on-call coordinator, and a timer: an alert nobody
 * acknowledged (#ack REF) within crisis.ack_within goes to every coordinator.
 */
#include "engine_priv.h"
#include "command.h"
#include "config.h"
#include "crisis.h"
#include "log.h"
#include "roster.h"
#include "store.h"
#include "texts.h"

#include <stdio.h>
#include <string.h>

int engine_tell_coordinators(struct engine *e, int64_t conv, enum text_id id,
                             const struct text_var *v, size_t nv, int all, int *sent)
{
    const struct roster *r = e->roster;
    size_t i;

    *sent = 0;
    for (i = 0; i < r->ncoordinators; i++) {
        const struct roster_coordinator *co = &r->coordinators[i];

        if (!all && !co->on_call)
            continue;
        if (engine_say_full(e, conv, co->phone, e->cfg->provider.line_number, id, v, nv, OUT_SAFETY,
                            0, 0))
            return -1;
        (*sent)++;
    }
    return 0;
}

int engine_alert(struct engine *e, const struct store_conv *c, const char *kind, enum text_id id,
                 const struct roster_peer *by, const char *note)
{
    const struct roster *r = e->roster;
    char ref[COMMAND_REF_MAX];
    int sent;

    if (store_alert_add(e->st, c->id, kind, by ? by->id : NULL, e->now) ||
        store_timer_set(e->st, TIMER_ALERT, c->id, e->now + e->cfg->crisis.ack_within, 0))
        return -1;
    command_ref_format(c->id, ref);
    {
        struct text_var v[] = {{"ref", ref},
                               {"peer", by ? by->name : "A peer"},
                               {"topic", c->topic[0] ? engine_topic_label(r, c->topic) : "-"},
                               {"note", note && *note ? note : "(none)"}};
        if (engine_tell_coordinators(e, c->id, id, v, NVARS(v), 0, &sent))
            return -1;
    }
    log_info("alert.raised", "conv=%lld kind=%s coordinators=%d", (long long)c->id, kind, sent);
    return 0;
}

int engine_fire_alert(struct engine *e, const struct store_conv *c)
{
    char ref[COMMAND_REF_MAX];
    int open = 0, sent;

    if (store_alert_open(e->st, c->id, &open))
        return -1;
    if (!open)
        return 0;
    command_ref_format(c->id, ref);
    {
        struct text_var v[] = {{"ref", ref}};
        if (engine_tell_coordinators(e, c->id, TX_ALERT_UNACKED, v, NVARS(v), 1, &sent))
            return -1;
    }
    log_warnx("alert.unacknowledged", "conv=%lld coordinators=%d", (long long)c->id, sent);
    return 0;
}

int engine_peer_opt_out_alert(struct engine *e, const struct roster_peer *peer)
{
    struct text_var v[] = {{"peer", peer->name}};
    int sent;

    return engine_tell_coordinators(e, 0, TX_ALERT_PEER_OPTOUT, v, NVARS(v), 0, &sent);
}

int engine_signature_alert(struct engine *e, unsigned long failures)
{
    char count[24];
    int sent;

    snprintf(count, sizeof(count), "%lu", failures);
    {
        struct text_var v[] = {{"count", count}};
        if (engine_tell_coordinators(e, 0, TX_ALERT_SIGNATURES, v, NVARS(v), 0, &sent))
            return -1;
    }
    log_errorx("alert.signatures", "failures=%lu coordinators=%d", failures, sent);
    return 0;
}

int engine_crisis_unhandled(struct engine *e, const struct store_inbound *in)
{
    int sent;

    if (!crisis_match(e->crisis, in->body) || roster_peer_by_phone(e->roster, in->from))
        return 0;
    /* No conversation to name and none to acknowledge: every coordinator hears at once. */
    if (engine_tell_coordinators(e, 0, TX_ALERT_CRISIS_UNHANDLED, NULL, 0, 1, &sent))
        return -1;
    log_errorx("alert.crisis_unhandled", "inbound=%lld coordinators=%d", (long long)in->id, sent);
    return 0;
}

/* The topic a texter in crisis waits for: one their words name, else general, else the first. */
static int crisis_topic(struct engine *e, const char *body)
{
    const struct roster *r = e->roster;
    int t = command_topic_in_text(r, body);

    if (t >= 0)
        return t;
    return r->general >= 0 ? r->general : 0;
}

/*
 * The conversation the alert names for a number we may not talk with (opted
 * out, blocked): its open one, or a closed one made for the record.
 */
static int record_conv(struct engine *e, const struct store_inbound *in, const char *reason,
                       struct store_conv *c)
{
    int64_t id;
    int rc = store_conv_open_by_texter(e->st, in->from, c);

    if (rc != STORE_OK)
        return rc == STORE_FOUND ? 0 : -1;
    if (store_conv_create(e->st, in->from, in->to, "", e->now, &id) ||
        store_conv_close(e->st, id, CONV_MENU, reason, e->now) ||
        store_conv_get(e->st, id, c) != STORE_FOUND)
        return -1;
    return 0;
}

/* A texter we may talk with: their conversation, opened (with the welcome) if they had none. */
static int crisis_conv(struct engine *e, const struct store_inbound *in, struct store_conv *c)
{
    int64_t id;
    int is_new = 0, rc = store_conv_open_by_texter(e->st, in->from, c);
    char lang[8] = "";

    if (rc != STORE_OK)
        return rc == STORE_FOUND ? 0 : -1;
    if (store_contact_touch(e->st, in->from, e->now, &is_new) ||
        store_contact_lang(e->st, in->from, lang) == STORE_ERROR ||
        store_conv_create(e->st, in->from, in->to, texts_lang(e->texts, lang), e->now, &id) ||
        store_conv_get(e->st, id, c) != STORE_FOUND)
        return -1;
    log_info("conversation.opened", "conv=%lld new_contact=%d crisis=1", (long long)id, is_new);
    if (is_new) {
        struct text_var v[] = {{"line", e->roster->line_name}};
        if (engine_say(e, id, in->from, in->to, TX_WELCOME, v, NVARS(v)))
            return -1;
    }
    return 0;
}

/* Whether `at` (0: never) was less than `every` ago. */
static int recent(struct engine *e, int64_t at, int64_t every)
{
    return at && e->now - at < every;
}

int engine_crisis(struct engine *e, const struct store_inbound *in, int opted_out, int blocked)
{
    const struct config *cfg = e->cfg;
    struct store_contact who = {0};
    struct store_conv c;
    int rc;

    if (!crisis_match(e->crisis, in->body))
        return 0;
    rc = store_contact_get(e->st, in->from, &who);
    if (rc == STORE_ERROR)
        return -1;
    if (opted_out || blocked) {
        /* No conversation to speak of: the limits are per number. */
        if (!opted_out && !recent(e, who.last_safety_at, cfg->crisis.safety_every) &&
            (engine_say_full(e, 0, in->from, in->to, TX_SAFETY, NULL, 0, OUT_SAFETY, 0, 0) ||
             store_contact_safety_sent(e->st, in->from, e->now, 0)))
            return -1;
        log_warnx("crisis.tripped", "opted_out=%d blocked=%d", opted_out, blocked);
        if (recent(e, who.last_alert_at, cfg->crisis.alert_every))
            return 1;
        if (record_conv(e, in, opted_out ? "crisis-opted-out" : "crisis-blocked", &c) ||
            store_contact_alerted(e->st, in->from, e->now, c.id) ||
            engine_alert(e, &c, "crisis",
                         opted_out ? TX_ALERT_CRISIS_OPTED_OUT : TX_ALERT_CRISIS_BLOCKED, NULL,
                         NULL))
            return -1;
        return 1;
    }
    /* A trainee's copy ends before the words that made it urgent could reach it. */
    if (crisis_conv(e, in, &c) || store_conv_set_urgent(e->st, c.id) ||
        engine_shadow_urgent(e, c.id))
        return -1;
    c.urgent = 1;
    /* The safety text first (it overtakes anything queued): they have the numbers to call. */
    if (!(who.safety_conv == c.id && recent(e, who.last_safety_at, cfg->crisis.safety_every)) &&
        (engine_say_full(e, c.id, in->from, in->to, TX_SAFETY, NULL, 0, OUT_SAFETY, 0, 0) ||
         store_contact_safety_sent(e->st, in->from, e->now, c.id)))
        return -1;
    /* Into the line at once, at its front: no menu stands between them and a peer. */
    if (c.state == CONV_MENU) {
        if (engine_queue(e, &c, crisis_topic(e, in->body)) ||
            store_conv_set_notice(e->st, c.id, e->now) ||
            store_conv_get(e->st, c.id, &c) != STORE_FOUND)
            return -1;
    }
    log_warnx("crisis.tripped", "conv=%lld state=%s", (long long)c.id,
              store_conv_state_name(c.state));
    /* One alert per conversation per alert_every: a new conversation is news. */
    if (who.alert_conv == c.id && recent(e, who.last_alert_at, cfg->crisis.alert_every))
        return 1;
    if (store_contact_alerted(e->st, in->from, e->now, c.id) ||
        engine_alert(e, &c, "crisis", TX_ALERT_CRISIS, NULL, NULL))
        return -1;
    return 1;
}

/*
 * engine_voice.c - the engine's part in calls (voice.h): the texts a call
 * leaves owing once it is over, and #callback.
 *
 * A voicemail or a missed call: the on-call coordinators get its reference
 * and the caller an offer to text (from the line number, in the caller's
 * language). The crisis option: the coordinators are told. #callback REF
 * from a voice peer (or a coordinator) rings them from the line number;
 * once they press 1, the line dials the caller, who sees only the line's
 * number (voicer.c, voice.c).
 */
#include "engine_priv.h"
#include "log.h"
#include "parse.h"
#include "roster.h"
#include "store_voice.h"
#include "command.h"

#include <stdio.h>
#include <string.h>

static int is_missed(const struct store_call *c)
{
    return !strcmp(c->outcome, "voicemail") || !strcmp(c->outcome, "no-message") ||
           !strcmp(c->outcome, "no-answer") || !strcmp(c->outcome, "abandoned");
}

static int reachable(struct engine *e, const struct store_call *c)
{
    const char *why;

    return !parse_e164(c->caller, &why) && !roster_is_blocked(e->roster, c->caller) &&
           !roster_peer_by_phone(e->roster, c->caller);
}

/* The texts call c owes, in the open transaction. */
static int notify(struct engine *e, const struct store_call *c)
{
    char ref[COMMAND_REF_MAX], secs[16];
    const char *topic = c->topic[0] ? engine_topic_label(e->roster, c->topic) : "-";
    int sent = 0;

    command_call_ref_format(c->id, ref);
    snprintf(secs, sizeof(secs), "%d", c->recording_secs);
    if (!strcmp(c->outcome, "voicemail")) {
        struct text_var v[] = {{"ref", ref}, {"topic", topic}, {"seconds", secs}};
        if (engine_tell_coordinators(e, 0, TX_ALERT_VOICEMAIL, v, NVARS(v), 0, &sent))
            return -1;
    } else if (!strcmp(c->outcome, "no-message") && reachable(e, c)) {
        struct text_var v[] = {{"ref", ref}, {"topic", topic}};
        if (engine_tell_coordinators(e, 0, TX_ALERT_MISSED_CALL, v, NVARS(v), 0, &sent))
            return -1;
    } else if (!strcmp(c->outcome, "crisis-line") || !strcmp(c->outcome, "told-988")) {
        struct text_var v[] = {{"ref", ref}};
        if (engine_tell_coordinators(e, 0, TX_ALERT_CRISIS_CALL, v, NVARS(v), 0, &sent))
            return -1;
    }
    /* Whoever was not answered hears from us: they can go on by text (the sender skips opt-outs).
     */
    if (is_missed(c) && reachable(e, c) &&
        engine_say(e, 0, c->caller, c->line_number, TX_MISSED_CALL, NULL, 0))
        return -1;
    log_info("call.notified", "call=%lld outcome=%s coordinators=%d", (long long)c->id, c->outcome,
             sent);
    return store_call_notified(e->st, c->id);
}

int engine_calls(struct engine *e)
{
    struct store_call c;
    int rc, n;

    for (n = 0; n < 32; n++) {
        /* Looked for first: the engine runs often, and an idle run takes no write lock. */
        rc = store_call_unnotified(e->st, &c);
        if (rc != STORE_FOUND)
            return rc == STORE_OK ? 0 : -1;
        if (store_begin(e->st))
            return -1;
        rc = store_call_unnotified(e->st, &c); /* again, in the transaction */
        if (rc == STORE_FOUND && !notify(e, &c) && !store_commit(e->st))
            continue;
        store_rollback(e->st);
        return rc == STORE_OK ? 0 : -1;
    }
    return 0;
}

int engine_call_back(struct engine *e, const struct roster_peer *who, const char *ref,
                     const char *to)
{
    struct store_call c;
    int64_t id, leg;
    char fmt[COMMAND_REF_MAX];
    int staff = who->id[0] == '@';

    if (command_call_ref_parse(ref, &id) || store_call_get(e->st, id, &c) != STORE_FOUND ||
        c.state != CALL_ENDED || !is_missed(&c) || !reachable(e, &c) || (!who->voice && !staff) ||
        store_call_callback_live(e->st, c.id) != 0) { /* one callback at a time */
        struct text_var v[] = {{"ref", ref && *ref ? ref : "?"}};
        return engine_say(e, 0, who->phone, to, TX_CALLBACK_REFUSED, v, NVARS(v));
    }
    command_call_ref_format(c.id, fmt);
    if (store_leg_add(e->st, c.id, who->id, who->phone, 1, e->now, &leg) ||
        store_vop_add(e->st, c.id, leg, VOP_DIAL, e->now, e->now + 5 * 60000))
        return -1;
    log_info("call.callback", "call=%lld leg=%lld", (long long)c.id, (long long)leg);
    {
        struct text_var v[] = {{"ref", fmt}};
        return engine_say(e, 0, who->phone, to, TX_CALLBACK_STARTED, v, NVARS(v));
    }
}

/*
 * engine_peer.c - peers and coordinators at work.
 *
 * On the number a chat uses (engine_peer_on_number): #take, #pass, #end,
 * #transfer [topic], #escalate [note], #note TEXT (engine_notes.c),
 * #res [id] (engine_res.c), #on/#off/#status, #debrief, #help,
 * STOP/START for that number, and the relay to the texter. On the line
 * number (engine_staff_on_line): #on [duration], #off, #status (or bare
 * ON, OFF, STATUS), #debrief, and for coordinators #ack REF and #take REF.
 */
#include "engine_priv.h"
#include "buf.h"
#include "command.h"
#include "config.h"
#include "log.h"
#include "match.h"
#include "parse.h"
#include "roster.h"
#include "schedule.h"
#include "store.h"
#include "texts.h"
#include "tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int coordinator_command(struct engine *e, const struct roster_peer *me,
                               const struct command *cmd, const char *to);

/* #on with no duration, and the longest one allowed. */
#define ON_DEFAULT (2LL * 3600 * 1000)
#define ON_MAX     (24LL * 3600 * 1000)

/* "21:30", or "Tue 21:30" when not today, in the peer's own zone and language. */
static void format_until(struct engine *e, const struct roster_peer *p, int64_t until, char *out,
                         size_t n)
{
    struct tz_local a, b;

    tz_to_local(p->tz, e->now / 1000, &a);
    tz_to_local(p->tz, until / 1000, &b);
    if (a.days == b.days)
        snprintf(out, n, "%02d:%02d", b.hour, b.min);
    else
        snprintf(out, n, "%s %02d:%02d", texts_day_name(b.wday, engine_lang_of(e, p->phone)),
                 b.hour, b.min);
}

/* ---- availability ---- */

int engine_peer_set_on(struct engine *e, const struct roster_peer *p, const char *arg,
                       const char *to)
{
    int64_t dur = ON_DEFAULT;
    const char *why;
    char until[32];

    if (arg[0] && (parse_duration(arg, &dur, &why) || dur <= 0 || dur > ON_MAX)) {
        /* A bad duration is answered with the commands, changing nothing. */
        return engine_say(e, 0, p->phone, to, TX_STAFF_HELP, NULL, 0);
    }
    if (store_peer_set_manual(e->st, p->id, PEER_MANUAL_ON, e->now + dur) ||
        store_peer_answered_offer(e->st, p->id))
        return -1;
    format_until(e, p, e->now + dur, until, sizeof(until));
    log_info("peer.on", "peer=%s minutes=%lld", p->id, (long long)(dur / 60000));
    {
        struct text_var v[] = {{"until", until}};
        return engine_say(e, 0, p->phone, to, TX_ON, v, NVARS(v));
    }
}

int engine_peer_set_off(struct engine *e, const struct roster_peer *p, const char *to)
{
    int64_t u;
    char until[32];

    if (engine_set_off(e, p, &u))
        return -1;
    log_info("peer.off", "peer=%s", p->id);
    if (u == INT64_MAX)
        return engine_say(e, 0, p->phone, to, TX_OFF_UNTIL_ON, NULL, 0);
    format_until(e, p, u, until, sizeof(until));
    {
        struct text_var v[] = {{"until", until}};
        return engine_say(e, 0, p->phone, to, TX_OFF, v, NVARS(v));
    }
}

struct count_ctx {
    const struct roster *r;
    const struct roster_peer *p;
    struct buf *b;
};

static int add_count(void *arg, const char *topic, int n)
{
    struct count_ctx *cc = arg;
    int t = roster_topic_index(cc->r, topic);

    if (t < 0 || !roster_peer_covers(cc->p, t))
        return 0;
    return buf_printf(cc->b, "%s%s %d", cc->b->len ? ", " : "", topic, n);
}

struct open_ctx {
    const char *peer_id;
    int n;
};

static int count_open(void *arg, const struct store_conv *c)
{
    struct open_ctx *oc = arg;

    oc->n += !strcmp(c->peer_id, oc->peer_id);
    return 0;
}

/* #status: their state now, their open chats, and who waits in their topics. */
static int status(struct engine *e, const struct roster_peer *p, const char *to)
{
    const struct roster *r = e->roster;
    int i = roster_peer_index(r, p);
    struct match_peer *mp = calloc(r->npeers ? r->npeers : 1, sizeof(*mp));
    struct buf queue = BUF_INIT(0);
    struct count_ctx cc = {r, p, &queue};
    struct open_ctx oc = {p->id, 0};
    struct buf state = BUF_INIT(0);
    char until[32], open[16];
    enum text_id word;
    const char *lang;
    int rc = -1;

    if (!mp || engine_peer_states(e, mp, NULL) || store_conv_open_list(e->st, count_open, &oc) ||
        store_conv_queue_counts(e->st, add_count, &cc))
        goto done;
    lang = engine_lang_of(e, p->phone);
    until[0] = '\0';
    if (i < 0) {
        word = TX_STATE_COORDINATOR;
    } else if (mp[i].manual != MATCH_MANUAL_NONE && mp[i].manual_until > e->now) {
        int on = mp[i].manual == MATCH_MANUAL_ON;
        if (mp[i].manual_until == INT64_MAX) {
            word = on ? TX_STATE_ON : TX_STATE_OFF;
        } else {
            format_until(e, p, mp[i].manual_until, until, sizeof(until));
            word = on ? TX_STATE_ON_UNTIL : TX_STATE_OFF_UNTIL;
        }
    } else {
        word = schedule_on_shift(p, e->now) ? TX_STATE_ON_SHIFT : TX_STATE_OFF_SHIFT;
    }
    {
        struct text_var v[] = {{"until", until}};
        if (engine_render(e, word, lang, v, NVARS(v), &state) ||
            (!queue.len && engine_render(e, TX_NONE, lang, NULL, 0, &queue)))
            goto done;
    }
    snprintf(open, sizeof(open), "%d", oc.n);
    {
        struct text_var v[] = {{"state", state.p}, {"open", open}, {"queue", queue.p}};
        rc = engine_say(e, 0, p->phone, to, TX_STATUS, v, NVARS(v));
    }
done:
    buf_free(&queue);
    buf_free(&state);
    free(mp);
    return rc;
}

/* #on, #off, #status: the same wherever they are sent. Returns 1 when cmd was one of them. */
static int availability_command(struct engine *e, const struct roster_peer *p,
                                const struct command *cmd, const char *to, int *rc)
{
    switch (cmd->cmd) {
    case CMD_ON:
        *rc = engine_peer_set_on(e, p, cmd->arg, to);
        return 1;
    case CMD_OFF:
        *rc = engine_peer_set_off(e, p, to);
        return 1;
    case CMD_STATUS:
        *rc = status(e, p, to);
        return 1;
    default:
        return 0;
    }
}

/* ---- on a chat's number ---- */

struct relay_ctx {
    struct buf b;
    int64_t last_id;
    int cut; /* one of them was longer than a relay carries */
};

/* Each text waiting for the peer, as much of it as a relay carries (engine_relay_len). */
static int collect_pending(void *arg, int64_t id, const char *body)
{
    struct relay_ctx *rc = arg;
    int cut;
    size_t n;

    if (!*body)
        return 0;
    if (rc->b.len && buf_puts(&rc->b, "\n"))
        return -1;
    rc->last_id = id;
    n = engine_relay_len(body, &cut);
    rc->cut |= cut;
    return buf_append(&rc->b, body, n);
}

/* Makes c active with peer: introductions, then what the texter wrote so far. */
static int start_chat(struct engine *e, const struct roster_peer *peer, const struct store_conv *c)
{
    struct relay_ctx rc = {BUF_INIT(0), 0, 0};
    int ret = -1;

    if (store_conv_activate(e->st, c->id, e->now))
        goto fail;
    {
        struct text_var v[] = {{"peer", peer->name}};
        if (engine_say(e, c->id, c->texter, c->line_number, TX_INTRO_TEXTER, v, NVARS(v)))
            goto fail;
    }
    if (engine_say(e, c->id, peer->phone, c->peer_number, TX_INTRO_PEER, NULL, 0) ||
        engine_notes_hand_over(e, peer, c))
        goto fail;
    if (store_inbound_take_pending(e->st, c->id, collect_pending, &rc))
        goto fail;
    if (rc.b.len &&
        engine_send(e, c->id, peer->phone, c->peer_number, OUT_RELAY, rc.b.p, rc.last_id))
        goto fail;
    if (rc.cut && engine_say_shortened(e, c->id, peer->phone, c->peer_number, TX_RELAY_SHORTENED))
        goto fail;
    /*
     * A trainee may read along from here on: what the texter wrote before
     * they were told (with the introduction) is not copied, so their PRIVATE
     * can come before a trainee reads a word of theirs.
     */
    if (engine_shadow_start(e, peer, c))
        goto fail;
    if (store_contact_set_last_peer(e->st, c->texter, peer->id, e->now) ||
        store_peer_number_used(e->st, peer->id, c->peer_number, e->now))
        goto fail;
    /* Waiting is over; the chat's own clocks start. */
    if (store_timer_clear(e->st, TIMER_OFFER, c->id) ||
        store_timer_clear(e->st, TIMER_QUEUE_UPDATE, c->id) ||
        store_timer_clear(e->st, TIMER_MAX_WAIT, c->id) ||
        store_timer_set(e->st, TIMER_IDLE, c->id, e->now + e->cfg->timers.idle_timeout, 0))
        goto fail;
    /* Words waiting for a reply start the peer-silence clock too. */
    if (rc.b.len &&
        store_timer_set(e->st, TIMER_PEER_SILENCE, c->id, e->now + e->cfg->timers.peer_silence, 0))
        goto fail;
    ret = 0;
fail:
    buf_free(&rc.b);
    return ret;
}

/* #take: the peer accepts. */
static int accept_offer(struct engine *e, const struct roster_peer *peer,
                        const struct store_conv *c, const struct store_offer *o)
{
    if (store_offer_decide(e->st, o->id, OFFER_TAKEN, e->now) ||
        store_peer_answered_offer(e->st, peer->id) || start_chat(e, peer, c))
        return -1;
    log_info("offer.taken", "conv=%lld peer=%s", (long long)c->id, peer->id);
    return 0;
}

/* #pass: back in line (keeping its place); this peer is tried last from now on. */
static int decline_offer(struct engine *e, const struct roster_peer *peer,
                         const struct store_conv *c, const struct store_offer *o)
{
    if (store_offer_decide(e->st, o->id, OFFER_PASSED, e->now) ||
        store_conv_requeue(e->st, c->id, CONV_OFFERED) ||
        store_peer_number_used(e->st, peer->id, c->peer_number, e->now) ||
        store_peer_answered_offer(e->st, peer->id) || store_timer_clear(e->st, TIMER_OFFER, c->id))
        return -1;
    log_info("offer.passed", "conv=%lld peer=%s", (long long)c->id, peer->id);
    return engine_say(e, c->id, peer->phone, c->peer_number, TX_PASSED, NULL, 0);
}

/* #transfer [topic]: back to the front of the line, never to be offered to them again. */
static int transfer(struct engine *e, const struct roster_peer *peer, const struct store_conv *c,
                    const char *arg)
{
    const struct roster *r = e->roster;
    int t = arg[0] ? roster_topic_index(r, arg) : roster_topic_index(r, c->topic);

    if (arg[0] && t < 0) {
        /* A label word or a keyword names a topic too. */
        t = command_topic_in_text(r, arg);
    }
    if (t < 0) {
        struct buf topics = BUF_INIT(0);
        size_t i;
        int rc;

        for (i = 0; i < r->ntopics; i++)
            buf_printf(&topics, "%s%s", i ? ", " : "", r->topics[i].id);
        {
            struct text_var v[] = {{"topic", arg}, {"topics", topics.p ? topics.p : ""}};
            rc =
                engine_say(e, c->id, peer->phone, c->peer_number, TX_TRANSFER_UNKNOWN, v, NVARS(v));
        }
        buf_free(&topics);
        return rc;
    }
    if (store_conv_transfer(e->st, c->id, peer->id, r->topics[t].id) ||
        store_offer_record_handback(e->st, c->id, peer->id, c->peer_number, e->now) ||
        store_peer_number_used(e->st, peer->id, c->peer_number, e->now) ||
        store_peer_conversation_ended(e->st, peer->id, e->now) || engine_requeued(e, c->id))
        return -1;
    log_info("conversation.transferred", "conv=%lld peer=%s topic=%s", (long long)c->id, peer->id,
             r->topics[t].id);
    if (engine_offer_debrief(e, c, peer->id, 0)) /* an urgent chat handed on is one they held */
        return -1;
    {
        struct text_var v[] = {{"peer", peer->name}};
        if (engine_say(e, c->id, c->texter, c->line_number, TX_TRANSFERRED_TEXTER, v, NVARS(v)))
            return -1;
    }
    return engine_say(e, c->id, peer->phone, c->peer_number, TX_TRANSFERRED_PEER, NULL, 0);
}

/* #escalate [note]: the chat becomes urgent and the on-call coordinators are told. */
static int escalate(struct engine *e, const struct roster_peer *peer, const struct store_conv *c,
                    const char *note)
{
    char ref[COMMAND_REF_MAX];

    if (store_conv_set_urgent(e->st, c->id) || engine_shadow_urgent(e, c->id) ||
        engine_alert(e, c, "escalate", TX_ALERT_ESCALATE, peer, note))
        return -1;
    command_ref_format(c->id, ref);
    {
        struct text_var v[] = {{"ref", ref}};
        return engine_say(e, c->id, peer->phone, c->peer_number, TX_ESCALATED_PEER, v, NVARS(v));
    }
}

/* The peer's chat on `number` (if any) goes back to the line, keeping its place. */
static int give_back(struct engine *e, const struct roster_peer *peer, const char *number)
{
    struct store_conv c;
    struct store_offer o;
    int rc = store_conv_by_peer_number(e->st, peer->id, number, &c);

    if (rc != STORE_FOUND)
        return rc == STORE_ERROR ? -1 : 0;
    if (c.state == CONV_OFFERED) {
        rc = store_offer_open_for_conv(e->st, c.id, &o);
        if (rc == STORE_ERROR ||
            (rc == STORE_FOUND && store_offer_decide(e->st, o.id, OFFER_CANCELLED, e->now) < 0))
            return -1;
    }
    if (store_conv_requeue(e->st, c.id, c.state) || engine_requeued(e, c.id))
        return -1;
    if (c.state == CONV_ACTIVE &&
        (store_peer_conversation_ended(e->st, peer->id, e->now) ||
         engine_say(e, c.id, c.texter, c.line_number, TX_PEER_STEPPED_AWAY, NULL, 0)))
        return -1;
    return 0;
}

int engine_peer_opt_out(struct engine *e, const struct roster_peer *peer, const char *number)
{
    const char *scope = config_optout_scope(e->cfg, number), *const * numbers;
    size_t n = engine_conv_numbers(e->cfg, &numbers), i;
    int covered = 0;

    if (store_optout_set(e->st, scope, peer->phone, "keyword", e->now))
        return -1;
    /* Every chat on a number the opt-out covers (one, or all with opt_out_scope: line). */
    for (i = 0; i < n; i++) {
        if (strcmp(config_optout_scope(e->cfg, numbers[i]), scope))
            continue;
        covered++;
        if (give_back(e, peer, numbers[i]) || engine_shadow_opted_out(e, peer, numbers[i]))
            return -1;
    }
    if (!covered)
        return 0; /* the line number alone, where they were a texter: their peer chats go on */
    /* Off until they say otherwise: they can no longer be reached on that number. */
    if (store_peer_set_manual(e->st, peer->id, PEER_MANUAL_OFF, INT64_MAX) ||
        engine_peer_opt_out_alert(e, peer))
        return -1;
    log_info("peer.opted_out", "peer=%s", peer->id);
    return 0;
}

/* A text from the peer in an active chat: relayed, and the chat's clocks move. */
static int peer_writes(struct engine *e, const struct roster_peer *peer, const struct store_conv *c,
                       const struct store_inbound *in)
{
    int cut;

    /*
     * When the webhook stored it, not when this run handled it: the texts the
     * peer has not answered are those received after (see repend_unanswered).
     */
    if (store_conv_touch_peer(e->st, c->id, in->received_at) ||
        store_timer_set(e->st, TIMER_IDLE, c->id, e->now + e->cfg->timers.idle_timeout, 0) ||
        store_timer_clear(e->st, TIMER_PEER_SILENCE, c->id))
        return -1;
    if (in->num_media > 0) {
        if (engine_say(e, c->id, peer->phone, in->to, TX_NO_PICTURES, NULL, 0))
            return -1;
        if (!in->body[0]) {
            if (engine_say(e, c->id, c->texter, c->line_number, TX_PICTURE_NOT_PASSED, NULL, 0))
                return -1;
            return engine_shadow_copy(e, c->id, peer->name, "", 0, 1);
        }
    }
    /* The trainee reading along (if one is) gets what the texter gets. */
    if (engine_relay(e, c->id, c->texter, c->line_number, in->body, in->id, &cut) ||
        engine_shadow_copy(e, c->id, peer->name, in->body, engine_relay_len(in->body, &cut), 0))
        return -1;
    /* The peer wrote it, and can send the rest: they are told, not the texter. */
    return cut ? engine_say_shortened(e, c->id, peer->phone, in->to, TX_REPLY_SHORTENED) : 0;
}

/*
 * A peer writes on a number with no chat of theirs. Right after the texter
 * said BYE, their first words are the chat's last (relayed, once); after
 * that, the chat is closed.
 */
static int closed_number(struct engine *e, const struct roster_peer *peer,
                         const struct store_inbound *in, int is_cmd)
{
    struct store_conv c;
    int rc = is_cmd ? STORE_OK : store_conv_last_word(e->st, peer->id, in->to, e->now, &c), cut;

    if (rc == STORE_ERROR)
        return -1;
    if (rc != STORE_FOUND)
        return engine_say(e, 0, peer->phone, in->to, TX_CLOSED_NUMBER, NULL, 0);
    if (store_conv_set_last_word(e->st, c.id, 0) ||
        engine_relay(e, c.id, c.texter, c.line_number, in->body, in->id, &cut) ||
        (cut && engine_say_shortened(e, c.id, peer->phone, in->to, TX_REPLY_SHORTENED)))
        return -1;
    log_info("conversation.last_word", "conv=%lld peer=%s", (long long)c.id, peer->id);
    return engine_say(e, c.id, peer->phone, in->to, TX_LAST_WORD_SENT, NULL, 0);
}

int engine_peer_on_number(struct engine *e, const struct store_inbound *in,
                          const struct roster_peer *peer)
{
    enum keyword kw = command_keyword(in->body);
    struct store_conv c;
    struct store_offer o;
    struct command cmd;
    int rc, is_cmd;

    if (kw == KW_STOP)
        return engine_peer_opt_out(e, peer, in->to);
    rc = store_optout_check(e->st, config_optout_scope(e->cfg, in->to), peer->phone);
    if (rc == STORE_ERROR)
        return -1;
    if (rc == STORE_FOUND) {
        if (kw != KW_START)
            return 0; /* they opted out of this number: nothing may be sent on it */
        /* Back on this number, and no longer set off by the opt-out. */
        if (store_optout_clear(e->st, config_optout_scope(e->cfg, in->to), peer->phone) ||
            store_peer_set_manual(e->st, peer->id, PEER_MANUAL_NONE, 0))
            return -1;
        if (e->cfg->provider.provider_confirms_opt_out)
            return 0;
        return engine_say(e, 0, peer->phone, in->to, peer->trainee ? TX_TRAINEE_HELP : TX_PEER_HELP,
                          NULL, 0);
    }
    is_cmd = command_parse(in->body, &cmd);
    /* A trainee's copy of a chat, #suggest and #unshadow: engine_shadow.c. */
    rc = engine_shadow_command(e, in, peer, is_cmd ? &cmd : NULL);
    if (rc != 1)
        return rc;
    if (kw == KW_HELP && e->cfg->provider.provider_answers_help)
        return 0; /* the carrier answered the bare keyword; #help is ours */
    if (kw == KW_HELP || (is_cmd && (cmd.cmd == CMD_HELP || cmd.cmd == CMD_UNKNOWN)))
        return engine_say(e, 0, peer->phone, in->to, peer->trainee ? TX_TRAINEE_HELP : TX_PEER_HELP,
                          NULL, 0);
    /* A coordinator's #ack REF / #take REF work from any of the line's numbers. */
    if (is_cmd && peer->id[0] == '@' && (cmd.cmd == CMD_ACK || (cmd.cmd == CMD_TAKE && cmd.arg[0])))
        return coordinator_command(e, peer, &cmd, in->to);
    if (is_cmd && availability_command(e, peer, &cmd, in->to, &rc))
        return rc;
    if (is_cmd && cmd.cmd == CMD_CALLBACK)
        return engine_call_back(e, peer, cmd.arg, in->to);
    if (is_cmd && cmd.cmd == CMD_DEBRIEF)
        return engine_debrief(e, peer, in->to, in->to);
    rc = store_conv_by_peer_number(e->st, peer->id, in->to, &c);
    if (rc == STORE_ERROR)
        return -1;
    if (rc != STORE_FOUND) {
        /* A chat often ends before its note is written: a recent one takes it still. */
        int noted = is_cmd && cmd.cmd == CMD_NOTE ? engine_note_after(e, peer, in) : 1;
        return noted <= 0 ? noted : closed_number(e, peer, in, is_cmd);
    }
    if (c.state == CONV_OFFERED) {
        rc = store_offer_open_for_conv(e->st, c.id, &o);
        if (rc != STORE_FOUND || strcmp(o.peer_id, peer->id))
            return rc == STORE_ERROR
                       ? -1
                       : engine_say(e, 0, peer->phone, in->to, TX_CLOSED_NUMBER, NULL, 0);
        if (is_cmd && cmd.cmd == CMD_TAKE)
            return accept_offer(e, peer, &c, &o);
        if (is_cmd && (cmd.cmd == CMD_PASS || cmd.cmd == CMD_END))
            return decline_offer(e, peer, &c, &o);
        if (is_cmd && cmd.cmd == CMD_NOTE)
            return engine_say(e, c.id, peer->phone, in->to, TX_NOTE_NOT_TAKEN, NULL, 0);
        if (is_cmd && cmd.cmd == CMD_RES)
            return engine_say(e, 0, peer->phone, in->to, TX_ONLY_IN_CHAT, NULL, 0);
        /* Never relayed before #take. */
        return engine_say(e, c.id, peer->phone, in->to, TX_OFFER_WAITING, NULL, 0);
    }
    /* Active. */
    if (is_cmd) {
        switch (cmd.cmd) {
        case CMD_END: {
            struct text_var v[] = {{"peer", peer->name}};
            if (engine_close_conv(e, &c, "peer-end") ||
                engine_say(e, c.id, c.texter, c.line_number, TX_END_TEXTER, v, NVARS(v)) ||
                engine_ask_rating(e, &c))
                return -1;
            return engine_say(e, c.id, peer->phone, in->to, TX_END_PEER, NULL, 0);
        }
        case CMD_TRANSFER:
            return transfer(e, peer, &c, cmd.arg);
        case CMD_ESCALATE:
            return escalate(e, peer, &c, cmd.arg);
        case CMD_NOTE:
            return engine_note_write(e, peer, &c, in);
        case CMD_RES:
            return engine_res(e, peer, &c, in, cmd.arg);
        default:
            return engine_say(e, c.id, peer->phone, in->to, TX_ALREADY_IN_CHAT, NULL, 0);
        }
    }
    return peer_writes(e, peer, &c, in);
}

/* ---- on the line number ---- */

/* The open offer of c is withdrawn (a coordinator took the texter): its peer is told. */
static int withdraw_offer(struct engine *e, const struct store_conv *c)
{
    const struct roster_peer *p = roster_peer_by_id(e->roster, c->peer_id);
    struct store_offer o;
    int rc = store_offer_open_for_conv(e->st, c->id, &o);

    if (rc == STORE_ERROR)
        return -1;
    if (rc == STORE_FOUND && store_offer_decide(e->st, o.id, OFFER_CANCELLED, e->now) < 0)
        return -1;
    if (store_conv_requeue(e->st, c->id, CONV_OFFERED) ||
        store_timer_clear(e->st, TIMER_OFFER, c->id) ||
        store_peer_number_used(e->st, c->peer_id, c->peer_number, e->now))
        return -1;
    return p ? engine_say(e, c->id, p->phone, c->peer_number, TX_OFFER_WITHDRAWN, NULL, 0) : 0;
}

/* #ack REF and #take REF, from a coordinator. */
static int coordinator_command(struct engine *e, const struct roster_peer *me,
                               const struct command *cmd, const char *to)
{
    char ref[COMMAND_REF_MAX];
    struct store_conv c;
    int64_t id;
    int acked = 0;

    if (command_ref_parse(cmd->arg, &id) || store_conv_get(e->st, id, &c) != STORE_FOUND) {
        struct text_var v[] = {{"ref", cmd->arg[0] ? cmd->arg : "?"}};
        return engine_say(e, 0, me->phone, to, TX_NO_ALERT, v, NVARS(v));
    }
    command_ref_format(c.id, ref);
    if (cmd->cmd == CMD_ACK) {
        struct text_var v[] = {{"ref", ref}};
        if (store_alert_ack(e->st, c.id, me->id + 1, e->now, &acked))
            return -1;
        log_info("alert.acked", "conv=%lld by=%s count=%d", (long long)c.id, me->id + 1, acked);
        return engine_say(e, 0, me->phone, to, acked ? TX_ACKED : TX_NO_ALERT, v, NVARS(v));
    }
    /* #take REF: an urgent texter no peer has yet (perhaps offered to one); the coordinator
     * becomes their peer. */
    if ((c.state != CONV_QUEUED && c.state != CONV_OFFERED) || !c.urgent) {
        struct text_var v[] = {{"ref", ref}};
        return engine_say(e, 0, me->phone, to, TX_TAKE_REF_REFUSED, v, NVARS(v));
    }
    {
        char number[STORE_NUM];

        if (engine_pick_number(e, me, number)) { /* every number of theirs is busy */
            struct text_var v[] = {{"ref", ref}};
            return engine_say(e, 0, me->phone, to, TX_TAKE_REF_REFUSED, v, NVARS(v));
        }
        if (c.state == CONV_OFFERED && withdraw_offer(e, &c))
            return -1;
        if (store_conv_offer(e->st, c.id, me->id, number) ||
            store_offer_record_take(e->st, c.id, me->id, number, e->now) ||
            store_conv_get(e->st, c.id, &c) != STORE_FOUND || start_chat(e, me, &c) ||
            store_alert_ack(e->st, c.id, me->id + 1, e->now, &acked))
            return -1;
    }
    log_info("coordinator.took", "conv=%lld by=%s", (long long)c.id, me->id + 1);
    return 0;
}

int engine_staff_on_line(struct engine *e, const struct store_inbound *in)
{
    const struct roster *r = e->roster;
    const struct roster_peer *p = roster_peer_by_phone(r, in->from);
    const struct roster_peer *staff = roster_staff_by_phone(r, in->from);
    struct command cmd;
    int rc;

    if (!command_parse(in->body, &cmd) && !command_parse_bare(in->body, &cmd))
        return 1; /* not a command: the caller treats it as a texter reaching out */
    if (p && availability_command(e, p, &cmd, in->to, &rc))
        return rc;
    if ((p || staff) && cmd.cmd == CMD_CALLBACK)
        return engine_call_back(e, p ? p : staff, cmd.arg, in->to);
    if ((p || staff) && cmd.cmd == CMD_DEBRIEF)
        return engine_debrief(e, p ? p : staff, NULL, in->to);
    /* No pool: the line number is the thread of the chat that just ended. */
    if (p && cmd.cmd == CMD_NOTE && !e->cfg->provider.npool &&
        (rc = engine_note_after(e, p, in)) <= 0)
        return rc;
    if (staff && (cmd.cmd == CMD_ACK || (cmd.cmd == CMD_TAKE && cmd.arg[0])))
        return coordinator_command(e, staff, &cmd, in->to);
    if (p && (cmd.cmd == CMD_UNSHADOW || cmd.cmd == CMD_SUGGEST) &&
        (rc = engine_shadow_command(e, in, p, &cmd)) != 1)
        return rc;
    if (p && (cmd.cmd == CMD_TAKE || cmd.cmd == CMD_PASS || cmd.cmd == CMD_END ||
              cmd.cmd == CMD_TRANSFER || cmd.cmd == CMD_ESCALATE || cmd.cmd == CMD_NOTE ||
              cmd.cmd == CMD_RES))
        return engine_say(e, 0, in->from, in->to, TX_ONLY_IN_CHAT, NULL, 0);
    return engine_say(e, 0, in->from, in->to,
                      !p           ? TX_STAFF_HELP
                      : p->trainee ? TX_TRAINEE_HELP
                                   : TX_PEER_HELP,
                      NULL, 0);
}

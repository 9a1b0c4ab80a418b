/*
 * engine.c - see engine.h.
 *
 * Reading guide. engine_run() drains the inputs in order: inbound texts
 * (handle_inbound), delivery statuses, relays that finally failed, offers
 * that expired; then match() makes new offers. handle_inbound() decides who
 * is writing to which number and hands over to one of:
 *
 *   peer_on_number()  a peer texting a pool number: #take/#pass/#end, relay
 *   staff_on_line()   a peer or coordinator sending a # command to the line
 *   stranger_on_pool() anyone else texting a pool number
 *   texter()          everyone else texting the line: menu, queue, relay
 *
 * Every text goes out through send_text()/say(), which only add outbox
 * rows; the sender thread does the network.
 */
#include "engine.h"
#include "buf.h"
#include "command.h"
#include "config.h"
#include "log.h"
#include "match.h"
#include "roster.h"
#include "schedule.h"
#include "sms.h"
#include "store.h"
#include "texts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A texter in line hears "you're still in line" at most this often. */
#define STILL_QUEUED_EVERY (5 * 60 * 1000)
/* A failing input is retried after this long... */
#define RETRY_AFTER 1000
/* ...and set aside (stored, logged, not acted on) after this many failures in a row. */
#define GIVE_UP_AFTER 5
/* A delivery status for a text whose provider id is not stored yet waits this long. */
#define STATUS_WAIT (10 * 60 * 1000)

struct engine {
    const struct config *cfg;
    struct store *st;
    const struct roster *roster;
    int64_t now;
    int queued;               /* outbox rows added in this run */
    int64_t next_shift_check; /* when peer availability next changes by the clock */
    int64_t failing_id;       /* the inbound text that failed last, and how often */
    int failures;
    int status_waiting; /* a status event is waiting for its text's provider id */
};

struct engine *engine_new(const struct config *cfg, struct store *st)
{
    struct engine *e = calloc(1, sizeof(*e));

    if (!e)
        return NULL;
    e->cfg = cfg;
    e->st = st;
    return e;
}

void engine_free(struct engine *e)
{
    free(e);
}

void engine_set_roster(struct engine *e, const struct roster *r)
{
    e->roster = r;
    e->next_shift_check = 0; /* recompute with the new shifts */
}

/* ---- sending ---- */

struct part_ctx {
    struct engine *e;
    struct store_out *o;
    int rc;
};

static int add_part(void *arg, const char *part)
{
    struct part_ctx *pc = arg;

    pc->o->body = (char *)part;
    if (store_outbox_add(pc->e->st, pc->o, pc->e->now))
        return pc->rc = -1;
    pc->e->queued++;
    return 0;
}

/* Queues body (split when long) from -> to. expires_at 0: the usual useful life. */
static int send_full(struct engine *e, int64_t conv, const char *to, const char *from,
                     enum out_kind kind, const char *body, int64_t origin, int64_t expires_at,
                     int after_optout)
{
    struct store_out o = {0};
    struct part_ctx pc = {e, &o, 0};

    if (!body || !*body)
        return 0;
    o.conv_id = conv;
    snprintf(o.to, sizeof(o.to), "%s", to);
    snprintf(o.from, sizeof(o.from), "%s", from);
    o.kind = kind;
    o.origin_inbound = origin;
    o.expires_at = expires_at ? expires_at : e->now + e->cfg->retry.max_age;
    o.after_optout = after_optout;
    if (sms_split(body, SMS_MAX_CHARS, add_part, &pc) || pc.rc)
        return -1;
    return 0;
}

static int send_text(struct engine *e, int64_t conv, const char *to, const char *from,
                     enum out_kind kind, const char *body, int64_t origin)
{
    return send_full(e, conv, to, from, kind, body, origin, 0, 0);
}

/* Renders a system text and queues it. */
static int say_full(struct engine *e, int64_t conv, const char *to, const char *from,
                    enum text_id id, const struct text_var *vars, size_t nvars, enum out_kind kind,
                    int64_t expires_at, int after_optout)
{
    struct buf b = BUF_INIT(0);
    int rc;

    if (texts_render(id, "en", vars, nvars, &b)) {
        buf_free(&b);
        return -1;
    }
    rc = send_full(e, conv, to, from, kind, b.p, 0, expires_at, after_optout);
    buf_free(&b);
    return rc;
}

static int say(struct engine *e, int64_t conv, const char *to, const char *from, enum text_id id,
               const struct text_var *vars, size_t nvars)
{
    return say_full(e, conv, to, from, id, vars, nvars, OUT_SYSTEM, 0, 0);
}

#define NVARS(v) (sizeof(v) / sizeof((v)[0]))

/* ---- helpers over the roster and config ---- */

static int is_pool_number(const struct config *c, const char *number)
{
    size_t i;

    for (i = 0; i < c->provider.npool; i++)
        if (!strcmp(c->provider.pool[i], number))
            return 1;
    return 0;
}

/* The numbers conversations with peers use: the pool, or the line number alone. */
static size_t conv_numbers(const struct config *c, const char *const **list)
{
    if (c->provider.npool) {
        *list = (const char *const *)c->provider.pool;
        return c->provider.npool;
    }
    *list = (const char *const *)&c->provider.line_number;
    return 1;
}

static const char *topic_label(const struct roster *r, const char *topic_id)
{
    int t = roster_topic_index(r, topic_id);

    return t >= 0 ? r->topics[t].label : topic_id;
}

static void format_minutes(int64_t ms, char *out, size_t n)
{
    int64_t min = ms / 60000;

    if (min < 1)
        snprintf(out, n, "under a minute");
    else if (min < 60)
        snprintf(out, n, "%lld min", (long long)min);
    else
        snprintf(out, n, "%lld h %lld min", (long long)(min / 60), (long long)(min % 60));
}

static void menu_text(const struct roster *r, struct buf *b)
{
    size_t i;

    for (i = 0; i < r->ntopics; i++)
        buf_printf(b, "%s%zu %s", i ? ", " : "", i + 1, r->topics[i].label);
}

/* ---- conversation lifecycle ---- */

/*
 * Closes c whatever its open state, withdrawing an open offer and freeing
 * the peer's number. Telling the two sides is the caller's business.
 */
static int close_conv(struct engine *e, const struct store_conv *c, const char *reason)
{
    struct store_offer o;
    int rc;

    if (c->state == CONV_OFFERED) {
        rc = store_offer_open_for_conv(e->st, c->id, &o);
        if (rc == STORE_ERROR)
            return -1;
        if (rc == STORE_FOUND && store_offer_decide(e->st, o.id, OFFER_CANCELLED, e->now) < 0)
            return -1;
    }
    if (store_conv_close(e->st, c->id, c->state, reason, e->now))
        return -1;
    if (c->peer_id[0]) {
        if (store_peer_number_used(e->st, c->peer_id, c->peer_number, e->now))
            return -1;
        if (c->state == CONV_ACTIVE && store_peer_conversation_ended(e->st, c->peer_id, e->now))
            return -1;
    }
    log_info("conversation.closed", "conv=%lld reason=%s from=%s", (long long)c->id, reason,
             store_conv_state_name(c->state));
    return 0;
}

/* Puts c in line for topic t and tells the texter their place. */
static int queue_for_topic(struct engine *e, const struct store_conv *c, int t)
{
    const struct roster *r = e->roster;
    struct store_conv now;
    char pos[16];
    int position = 0;

    if (store_conv_queue(e->st, c->id, r->topics[t].id, e->now))
        return -1;
    if (store_conv_get(e->st, c->id, &now) != STORE_FOUND ||
        store_conv_queue_position(e->st, &now, &position))
        return -1;
    snprintf(pos, sizeof(pos), "%d", position);
    {
        struct text_var v[] = {{"position", pos}, {"topic", r->topics[t].label}};
        if (say(e, c->id, c->texter, c->line_number, TX_QUEUED, v, NVARS(v)))
            return -1;
    }
    log_info("conversation.queued", "conv=%lld topic=%s position=%d", (long long)c->id,
             r->topics[t].id, position);
    return 0;
}

struct relay_ctx {
    struct buf b;
    int64_t last_id;
};

static int collect_pending(void *arg, int64_t id, const char *body)
{
    struct relay_ctx *rc = arg;

    if (!*body)
        return 0;
    if (rc->b.len && buf_puts(&rc->b, "\n"))
        return -1;
    rc->last_id = id;
    return buf_puts(&rc->b, body);
}

/* #take: the peer accepts; introductions, then what the texter wrote so far. */
static int accept_offer(struct engine *e, const struct roster_peer *peer,
                        const struct store_conv *c, const struct store_offer *o)
{
    struct relay_ctx rc = {BUF_INIT(0), 0};
    int ret = -1;

    if (store_offer_decide(e->st, o->id, OFFER_TAKEN, e->now) ||
        store_conv_activate(e->st, c->id, e->now))
        goto fail;
    {
        struct text_var v[] = {{"peer", peer->name}};
        if (say(e, c->id, c->texter, c->line_number, TX_INTRO_TEXTER, v, NVARS(v)))
            goto fail;
    }
    if (say(e, c->id, peer->phone, c->peer_number, TX_INTRO_PEER, NULL, 0))
        goto fail;
    if (store_inbound_take_pending(e->st, c->id, collect_pending, &rc))
        goto fail;
    if (rc.b.len && send_text(e, c->id, peer->phone, c->peer_number, OUT_RELAY, rc.b.p, rc.last_id))
        goto fail;
    if (store_contact_set_last_peer(e->st, c->texter, peer->id, e->now) ||
        store_peer_number_used(e->st, peer->id, c->peer_number, e->now))
        goto fail;
    log_info("offer.taken", "conv=%lld peer=%s", (long long)c->id, peer->id);
    ret = 0;
fail:
    buf_free(&rc.b);
    return ret;
}

/* #pass: back in line (keeping its place); this peer is tried last from now on. */
static int decline_offer(struct engine *e, const struct roster_peer *peer,
                         const struct store_conv *c, const struct store_offer *o)
{
    if (store_offer_decide(e->st, o->id, OFFER_PASSED, e->now) ||
        store_conv_requeue(e->st, c->id, CONV_OFFERED) ||
        store_peer_number_used(e->st, peer->id, c->peer_number, e->now))
        return -1;
    log_info("offer.passed", "conv=%lld peer=%s", (long long)c->id, peer->id);
    return say(e, c->id, peer->phone, c->peer_number, TX_PASSED, NULL, 0);
}

/* ---- a peer writing on a pool number ---- */

static int peer_opt_out(struct engine *e, const struct roster_peer *peer, const char *number)
{
    struct store_conv c;
    struct store_offer o;
    int rc;

    if (store_optout_set(e->st, number, peer->phone, "keyword", e->now))
        return -1;
    rc = store_conv_by_peer_number(e->st, peer->id, number, &c);
    if (rc == STORE_ERROR)
        return -1;
    if (rc == STORE_FOUND) {
        if (c.state == CONV_OFFERED) {
            if (store_offer_open_for_conv(e->st, c.id, &o) == STORE_FOUND &&
                store_offer_decide(e->st, o.id, OFFER_CANCELLED, e->now) < 0)
                return -1;
        }
        if (store_conv_requeue(e->st, c.id, c.state))
            return -1;
        if (c.state == CONV_ACTIVE &&
            say(e, c.id, c.texter, c.line_number, TX_PEER_STEPPED_AWAY, NULL, 0))
            return -1;
    }
    /* Off until they say otherwise: they can no longer be reached on that number. */
    if (store_peer_set_manual(e->st, peer->id, PEER_MANUAL_OFF, INT64_MAX))
        return -1;
    log_info("peer.opted_out", "peer=%s", peer->id);
    return 0;
}

static int peer_on_number(struct engine *e, const struct store_inbound *in,
                          const struct roster_peer *peer)
{
    enum keyword kw = command_keyword(in->body);
    struct store_conv c;
    struct store_offer o;
    struct command cmd;
    int rc, is_cmd;

    if (kw == KW_STOP)
        return peer_opt_out(e, peer, in->to);
    rc = store_optout_check(e->st, in->to, peer->phone);
    if (rc == STORE_ERROR)
        return -1;
    if (rc == STORE_FOUND) {
        if (kw != KW_START)
            return 0; /* they opted out of this number: nothing may be sent on it */
        /* Back on this number, and no longer set off by the opt-out. */
        if (store_optout_clear(e->st, in->to, peer->phone) ||
            store_peer_set_manual(e->st, peer->id, PEER_MANUAL_NONE, 0))
            return -1;
        return say(e, 0, peer->phone, in->to, TX_PEER_HELP, NULL, 0);
    }
    is_cmd = command_parse(in->body, &cmd);
    if (kw == KW_HELP || (is_cmd && (cmd.cmd == CMD_HELP || cmd.cmd == CMD_UNKNOWN)))
        return say(e, 0, peer->phone, in->to, TX_PEER_HELP, NULL, 0);
    rc = store_conv_by_peer_number(e->st, peer->id, in->to, &c);
    if (rc == STORE_ERROR)
        return -1;
    if (rc != STORE_FOUND)
        return say(e, 0, peer->phone, in->to, TX_CLOSED_NUMBER, NULL, 0);
    if (c.state == CONV_OFFERED) {
        rc = store_offer_open_for_conv(e->st, c.id, &o);
        if (rc != STORE_FOUND || strcmp(o.peer_id, peer->id))
            return rc == STORE_ERROR ? -1
                                     : say(e, 0, peer->phone, in->to, TX_CLOSED_NUMBER, NULL, 0);
        if (is_cmd && cmd.cmd == CMD_TAKE)
            return accept_offer(e, peer, &c, &o);
        if (is_cmd && (cmd.cmd == CMD_PASS || cmd.cmd == CMD_END))
            return decline_offer(e, peer, &c, &o);
        /* Never relayed before #take. */
        return say(e, c.id, peer->phone, in->to, TX_OFFER_WAITING, NULL, 0);
    }
    /* Active. */
    if (is_cmd && cmd.cmd == CMD_END) {
        struct text_var v[] = {{"peer", peer->name}};
        if (close_conv(e, &c, "peer-end") ||
            say(e, c.id, c.texter, c.line_number, TX_END_TEXTER, v, NVARS(v)))
            return -1;
        return say(e, c.id, peer->phone, in->to, TX_END_PEER, NULL, 0);
    }
    if (is_cmd)
        return say(e, c.id, peer->phone, in->to, TX_ALREADY_IN_CHAT, NULL, 0);
    if (store_conv_touch_peer(e->st, c.id, e->now))
        return -1;
    if (in->num_media > 0) {
        if (say(e, c.id, peer->phone, in->to, TX_NO_PICTURES, NULL, 0))
            return -1;
        if (!in->body[0])
            return say(e, c.id, c.texter, c.line_number, TX_PICTURE_NOT_PASSED, NULL, 0);
    }
    return send_text(e, c.id, c.texter, c.line_number, OUT_RELAY, in->body, in->id);
}

/* ---- a peer or coordinator sending a # command to the line number ---- */

static int staff_on_line(struct engine *e, const struct store_inbound *in)
{
    /* #on, #off, #status arrive with the matching work; for now, the command list. */
    return say(e, 0, in->from, in->to, TX_PEER_HELP, NULL, 0);
}

/* ---- someone who is not a peer texting a pool number ---- */

static int stranger_on_pool(struct engine *e, const struct store_inbound *in)
{
    enum keyword kw = command_keyword(in->body);
    int rc;

    if (kw == KW_STOP)
        return store_optout_set(e->st, in->to, in->from, "keyword", e->now);
    rc = store_optout_check(e->st, in->to, in->from);
    if (rc == STORE_ERROR)
        return -1;
    if (rc == STORE_FOUND) {
        if (kw == KW_START)
            return store_optout_clear(e->st, in->to, in->from);
        return 0;
    }
    {
        struct text_var v[] = {{"line", e->roster->line_name},
                               {"line_number", e->cfg->provider.line_number}};
        return say(e, 0, in->from, in->to, TX_POOL_STRANGER, v, NVARS(v));
    }
}

/* ---- a texter writing to the line ---- */

struct texter_in {
    const struct store_inbound *in;
    enum keyword kw;
    int64_t conv; /* out: the conversation the text belongs to */
    int pending;  /* out: keep the text for the peer who takes the chat */
};

static int texter_stop(struct engine *e, struct texter_in *t, int already)
{
    const struct store_inbound *in = t->in;
    const struct roster_peer *p;
    struct store_conv c;
    int rc;

    if (store_optout_set(e->st, in->to, in->from, "keyword", e->now))
        return -1;
    rc = store_conv_open_by_texter(e->st, in->from, &c);
    if (rc == STORE_ERROR)
        return -1;
    if (rc == STORE_FOUND) {
        t->conv = c.id;
        if (close_conv(e, &c, "texter-stop"))
            return -1;
        p = c.peer_id[0] ? roster_peer_by_id(e->roster, c.peer_id) : NULL;
        if (p && c.state == CONV_ACTIVE &&
            say(e, c.id, p->phone, c.peer_number, TX_TEXTER_LEFT, NULL, 0))
            return -1;
        if (p && c.state == CONV_OFFERED &&
            say(e, c.id, p->phone, c.peer_number, TX_OFFER_WITHDRAWN, NULL, 0))
            return -1;
    }
    log_info("texter.opted_out", "conv=%lld", (long long)t->conv);
    if (already)
        return 0;
    {
        struct text_var v[] = {{"line", e->roster->line_name}};
        return say_full(e, t->conv, in->from, in->to, TX_STOP_CONFIRM, v, NVARS(v), OUT_SYSTEM, 0,
                        1);
    }
}

/*
 * A blocked number gets no conversation (one it had before it was blocked is
 * closed, and its peer told), but HELP is still answered.
 */
static int texter_blocked(struct engine *e, struct texter_in *t)
{
    const struct store_inbound *in = t->in;
    const struct roster_peer *p;
    struct store_conv c;
    int rc = store_conv_open_by_texter(e->st, in->from, &c);

    if (rc == STORE_ERROR)
        return -1;
    if (rc == STORE_FOUND) {
        t->conv = c.id;
        if (close_conv(e, &c, "blocked"))
            return -1;
        p = c.peer_id[0] ? roster_peer_by_id(e->roster, c.peer_id) : NULL;
        if (p && say(e, c.id, p->phone, c.peer_number,
                     c.state == CONV_ACTIVE ? TX_CLOSED_BY_LINE : TX_OFFER_WITHDRAWN, NULL, 0))
            return -1;
    }
    if (t->kw == KW_HELP) {
        struct text_var v[] = {{"line", e->roster->line_name}};
        return say(e, 0, in->from, in->to, TX_HELP, v, NVARS(v));
    }
    return 0;
}

/* The texter ends it with BYE, in whatever open state. */
static int texter_bye(struct engine *e, struct texter_in *t, const struct store_conv *c)
{
    const struct roster_peer *p = c->peer_id[0] ? roster_peer_by_id(e->roster, c->peer_id) : NULL;

    if (close_conv(e, c, "texter-bye"))
        return -1;
    if (c->state == CONV_ACTIVE) {
        if (p && say(e, c->id, p->phone, c->peer_number, TX_TEXTER_LEFT, NULL, 0))
            return -1;
        return say(e, c->id, c->texter, c->line_number, TX_BYE_TEXTER, NULL, 0);
    }
    if (c->state == CONV_OFFERED && p &&
        say(e, c->id, p->phone, c->peer_number, TX_OFFER_WITHDRAWN, NULL, 0))
        return -1;
    (void)t;
    return say(e, c->id, c->texter, c->line_number, TX_LEFT_QUEUE, NULL, 0);
}

static int texter_new_contact(struct engine *e, struct texter_in *t)
{
    const struct store_inbound *in = t->in;
    struct store_conv c;
    struct buf menu = BUF_INIT(0);
    int topic, rc = -1, is_new = 0;

    if (t->kw == KW_BYE)
        return say(e, 0, in->from, in->to, TX_NOT_IN_CHAT, NULL, 0);
    /* Known from their first conversation on: the welcome is sent exactly then. */
    if (store_contact_touch(e->st, in->from, e->now, &is_new))
        return -1;
    if (store_conv_create(e->st, in->from, in->to, "en", e->now, &t->conv) ||
        store_conv_get(e->st, t->conv, &c) != STORE_FOUND)
        return -1;
    log_info("conversation.opened", "conv=%lld new_contact=%d", (long long)c.id, is_new);
    if (is_new) {
        struct text_var v[] = {{"line", e->roster->line_name}};
        if (say(e, c.id, in->from, in->to, TX_WELCOME, v, NVARS(v)))
            return -1;
    }
    t->pending = 1; /* their first words are the peer's first read */
    topic = command_topic_in_text(e->roster, in->body);
    if (topic >= 0)
        return queue_for_topic(e, &c, topic);
    menu_text(e->roster, &menu);
    {
        struct text_var v[] = {{"menu", menu.p ? menu.p : ""}};
        rc = say(e, c.id, in->from, in->to, TX_MENU, v, NVARS(v));
    }
    buf_free(&menu);
    return rc;
}

static int texter_in_menu(struct engine *e, struct texter_in *t, const struct store_conv *c)
{
    struct buf menu = BUF_INIT(0);
    int topic, rc;

    topic = command_menu_choice(t->in->body, e->roster->ntopics);
    if (topic >= 0)
        return queue_for_topic(e, c, topic); /* a bare number is not for the peer */
    t->pending = 1;
    topic = command_topic_in_text(e->roster, t->in->body);
    if (topic >= 0)
        return queue_for_topic(e, c, topic);
    menu_text(e->roster, &menu);
    {
        struct text_var v[] = {{"menu", menu.p ? menu.p : ""}};
        rc = say(e, c->id, c->texter, c->line_number, TX_MENU_AGAIN, v, NVARS(v));
    }
    buf_free(&menu);
    return rc;
}

static int texter_waiting(struct engine *e, struct texter_in *t, const struct store_conv *c)
{
    char pos[16];
    int position;

    t->pending = 1;
    if (c->last_notice_at && e->now - c->last_notice_at < STILL_QUEUED_EVERY)
        return 0;
    if (store_conv_queue_position(e->st, c, &position) ||
        store_conv_set_notice(e->st, c->id, e->now))
        return -1;
    snprintf(pos, sizeof(pos), "%d", position);
    {
        struct text_var v[] = {{"position", pos}};
        return say(e, c->id, c->texter, c->line_number, TX_STILL_QUEUED, v, NVARS(v));
    }
}

static int texter(struct engine *e, struct texter_in *t)
{
    const struct store_inbound *in = t->in;
    struct store_conv c;
    int rc, opted;

    opted = store_optout_check(e->st, in->to, in->from);
    if (opted == STORE_ERROR)
        return -1;
    if (t->kw == KW_STOP)
        return texter_stop(e, t, opted == STORE_FOUND);
    if (opted == STORE_FOUND) {
        if (t->kw != KW_START)
            return 0; /* stored; nothing may be sent to them */
        if (store_optout_clear(e->st, in->to, in->from))
            return -1;
        log_info("texter.opted_in", "number=-");
        {
            struct text_var v[] = {{"line", e->roster->line_name}};
            return say(e, 0, in->from, in->to, TX_START_CONFIRM, v, NVARS(v));
        }
    }
    if (roster_is_blocked(e->roster, in->from))
        return texter_blocked(e, t);
    if (in->num_media > 0 && say(e, 0, in->from, in->to, TX_NO_PICTURES, NULL, 0))
        return -1;
    rc = store_conv_open_by_texter(e->st, in->from, &c);
    if (rc == STORE_ERROR)
        return -1;
    if (t->kw == KW_HELP) {
        struct text_var v[] = {{"line", e->roster->line_name}};
        if (say(e, rc == STORE_FOUND ? c.id : 0, in->from, in->to, TX_HELP, v, NVARS(v)))
            return -1;
        if (rc != STORE_FOUND || c.state != CONV_ACTIVE)
            return 0;
        /* Inside a chat HELP may be a cry for help: the peer sees it too. */
    }
    if (rc != STORE_FOUND)
        return texter_new_contact(e, t);
    t->conv = c.id;
    if (store_conv_touch_texter(e->st, c.id, e->now))
        return -1;
    if (t->kw == KW_BYE)
        return texter_bye(e, t, &c);
    switch (c.state) {
    case CONV_MENU:
        return texter_in_menu(e, t, &c);
    case CONV_QUEUED:
    case CONV_OFFERED:
        return texter_waiting(e, t, &c);
    case CONV_ACTIVE: {
        const struct roster_peer *p = roster_peer_by_id(e->roster, c.peer_id);
        if (!p) {
            /* The peer left the roster mid-chat: keep the text for whoever comes next. */
            t->pending = 1;
            return store_conv_requeue(e->st, c.id, CONV_ACTIVE) ? -1 : 0;
        }
        if (!in->body[0] && in->num_media > 0)
            return say(e, c.id, p->phone, c.peer_number, TX_PICTURE_NOT_PASSED, NULL, 0);
        return send_text(e, c.id, p->phone, c.peer_number, OUT_RELAY, in->body, in->id);
    }
    case CONV_CLOSED:
        break;
    }
    return 0;
}

/* ---- routing one inbound text ---- */

static int handle_inbound(struct engine *e, const struct store_inbound *in, int64_t *conv,
                          int *pending)
{
    const struct config *cfg = e->cfg;
    const struct roster *r = e->roster;
    const struct roster_peer *peer = roster_peer_by_phone(r, in->from);
    int to_line = !strcmp(in->to, cfg->provider.line_number);
    int to_pool = is_pool_number(cfg, in->to);
    struct texter_in t = {in, command_keyword(in->body), 0, 0};
    int rc;

    *conv = 0;
    *pending = 0;
    if (peer && to_pool)
        return peer_on_number(e, in, peer);
    if (peer && to_line && !cfg->provider.npool) {
        /* No pool: the line number is also the peer's conversation number. */
        struct store_conv c;
        rc = store_conv_by_peer_number(e->st, peer->id, in->to, &c);
        if (rc == STORE_ERROR)
            return -1;
        if (rc == STORE_FOUND)
            return peer_on_number(e, in, peer);
    }
    if ((peer || roster_coordinator_by_phone(r, in->from)) && to_line && in->body[0] == '#')
        return staff_on_line(e, in);
    if (to_pool)
        return stranger_on_pool(e, in);
    if (!to_line) {
        log_warnx("inbound.unknown_number", "id=%lld", (long long)in->id);
        return 0;
    }
    rc = texter(e, &t);
    *conv = t.conv;
    *pending = t.pending;
    return rc;
}

/* ---- matching ---- */

struct match_build {
    struct engine *e;
    struct match_peer *peers;
    struct match_texter *texters;
    int64_t *conv_ids;
    size_t ntexters, cap;
    int **tried;
    int64_t next_change; /* earliest cooldown or manual state end */
};

static int add_open(void *arg, const struct store_conv *c)
{
    struct match_build *mb = arg;
    const struct roster_peer *p = roster_peer_by_id(mb->e->roster, c->peer_id);

    if (!p)
        return 0;
    mb->peers[p - mb->e->roster->peers].open++;
    mb->peers[p - mb->e->roster->peers].numbers_free--;
    if (c->state == CONV_OFFERED)
        mb->peers[p - mb->e->roster->peers].has_offer = 1;
    return 0;
}

static int add_state(void *arg, const struct store_peer_state *ps)
{
    struct match_build *mb = arg;
    const struct roster_peer *p = roster_peer_by_id(mb->e->roster, ps->peer_id);
    struct match_peer *mp;
    int64_t cool_end;

    if (!p)
        return 0;
    mp = &mb->peers[p - mb->e->roster->peers];
    mp->manual = ps->manual == PEER_MANUAL_ON    ? MATCH_MANUAL_ON
                 : ps->manual == PEER_MANUAL_OFF ? MATCH_MANUAL_OFF
                                                 : MATCH_MANUAL_NONE;
    mp->manual_until = ps->manual_until;
    mp->last_end = ps->last_end;
    cool_end = ps->last_end + mb->e->cfg->timers.cooldown;
    if (ps->last_end && cool_end > mb->e->now && cool_end < mb->next_change)
        mb->next_change = cool_end;
    if (ps->manual != PEER_MANUAL_NONE && ps->manual_until > mb->e->now &&
        ps->manual_until < mb->next_change)
        mb->next_change = ps->manual_until;
    return 0;
}

struct optout_count {
    const char *const *numbers;
    size_t nnum;
    int n;
};

/* Counts the opt-outs that take one of the conversation numbers away from a peer. */
static int count_optout(void *arg, const char *scope)
{
    struct optout_count *oc = arg;
    size_t i;

    for (i = 0; i < oc->nnum; i++)
        if (!strcmp(oc->numbers[i], scope))
            oc->n++;
    return 0;
}

struct tried_ctx {
    const struct roster *r;
    int *list;
    size_t n, cap;
};

static int add_tried(void *arg, const char *peer_id)
{
    struct tried_ctx *tc = arg;
    const struct roster_peer *p = roster_peer_by_id(tc->r, peer_id);

    if (!p || tc->n == tc->cap)
        return 0;
    tc->list[tc->n++] = (int)(p - tc->r->peers);
    return 0;
}

static int add_texter(void *arg, const struct store_conv *c)
{
    struct match_build *mb = arg;
    const struct roster *r = mb->e->roster;
    struct match_texter *t;
    struct tried_ctx tc = {r, NULL, 0, r->npeers};
    const struct roster_peer *self, *tb;
    char last[STORE_ID];
    int64_t at;
    int rc;

    if (mb->ntexters == mb->cap) {
        size_t cap = mb->cap ? mb->cap * 2 : 16;
        void *a = realloc(mb->texters, cap * sizeof(*mb->texters));
        void *b = a ? realloc(mb->conv_ids, cap * sizeof(*mb->conv_ids)) : NULL;
        void *d = b ? realloc(mb->tried, cap * sizeof(*mb->tried)) : NULL;
        if (a)
            mb->texters = a;
        if (b)
            mb->conv_ids = b;
        if (d)
            mb->tried = d;
        if (!a || !b || !d)
            return -1;
        mb->cap = cap;
    }
    t = &mb->texters[mb->ntexters];
    memset(t, 0, sizeof(*t));
    t->id = c->id;
    t->topic = roster_topic_index(r, c->topic);
    if (t->topic < 0) /* the topic left the roster: anyone covering general may take it */
        t->topic = r->general >= 0 ? r->general : 0;
    t->lang = roster_lang_index(r, c->lang);
    if (t->lang < 0)
        t->lang = 0;
    t->urgent = c->urgent;
    t->queued_at = c->queued_at;
    t->last_peer = -1;
    rc = store_contact_last_peer(mb->e->st, c->texter, last, &at);
    if (rc == STORE_ERROR)
        return -1;
    if (rc == STORE_FOUND && (self = roster_peer_by_id(r, last))) {
        t->last_peer = (int)(self - r->peers);
        t->last_peer_at = at;
    }
    tb = c->transferred_by[0] ? roster_peer_by_id(r, c->transferred_by) : NULL;
    t->transferred_by = tb ? (int)(tb - r->peers) : -1;
    self = roster_peer_by_phone(r, c->texter);
    t->self = self ? (int)(self - r->peers) : -1;
    tc.list = malloc((r->npeers ? r->npeers : 1) * sizeof(int));
    if (!tc.list || store_offer_tried(mb->e->st, c->id, add_tried, &tc)) {
        free(tc.list);
        return -1;
    }
    t->tried = tc.list;
    t->ntried = tc.n;
    mb->tried[mb->ntexters] = tc.list;
    mb->conv_ids[mb->ntexters] = c->id;
    mb->ntexters++;
    return 0;
}

struct lru_ctx {
    const char *const *numbers;
    size_t n;
    int64_t *last; /* per number */
};

static int note_lru(void *arg, const char *number, int64_t last_used)
{
    struct lru_ctx *lc = arg;
    size_t i;

    for (i = 0; i < lc->n; i++)
        if (!strcmp(lc->numbers[i], number))
            lc->last[i] = last_used;
    return 0;
}

/* The least recently used number the peer can take a new chat on, into out. */
static int pick_number(struct engine *e, const struct roster_peer *p, char out[STORE_NUM])
{
    const char *const *numbers;
    size_t n = conv_numbers(e->cfg, &numbers), i, best = (size_t)-1;
    int64_t *last = calloc(n, sizeof(int64_t));
    struct lru_ctx lc = {numbers, n, last};
    struct store_conv c;
    int rc = -1;

    if (!last || store_peer_numbers(e->st, p->id, note_lru, &lc))
        goto done;
    for (i = 0; i < n; i++) {
        int r1 = store_conv_by_peer_number(e->st, p->id, numbers[i], &c);
        int r2 = store_optout_check(e->st, numbers[i], p->phone);
        if (r1 == STORE_ERROR || r2 == STORE_ERROR)
            goto done;
        if (r1 == STORE_FOUND || r2 == STORE_FOUND)
            continue;
        if (best == (size_t)-1 || last[i] < last[best])
            best = i;
    }
    if (best != (size_t)-1) {
        snprintf(out, STORE_NUM, "%s", numbers[best]);
        rc = 0;
    }
done:
    free(last);
    return rc;
}

static int make_offer(struct engine *e, const struct roster_peer *p, int64_t conv_id)
{
    const struct roster *r = e->roster;
    struct store_conv c;
    char number[STORE_NUM], wait[32], expires[32];
    int64_t until = e->now + e->cfg->timers.offer_timeout;

    if (store_conv_get(e->st, conv_id, &c) != STORE_FOUND || c.state != CONV_QUEUED)
        return 0;
    if (pick_number(e, p, number))
        return 0; /* the matcher's count and the store disagree: skip this round */
    if (store_conv_offer(e->st, c.id, p->id, number) ||
        store_offer_create(e->st, c.id, p->id, number, e->now, until))
        return -1;
    format_minutes(e->now - c.queued_at, wait, sizeof(wait));
    format_minutes(e->cfg->timers.offer_timeout, expires, sizeof(expires));
    {
        struct text_var v[] = {{"kind", c.urgent ? "URGENT" : "New"},
                               {"topic", topic_label(r, c.topic)},
                               {"lang", texts_language_name(c.lang)},
                               {"wait", wait},
                               {"expires", expires}};
        struct buf b = BUF_INIT(0);
        int rc = texts_render(TX_OFFER, "en", v, NVARS(v), &b) ||
                 send_full(e, c.id, p->phone, number, OUT_OFFER, b.p, 0, until, 0);
        buf_free(&b);
        if (rc)
            return -1;
    }
    log_info("offer.made", "conv=%lld peer=%s", (long long)c.id, p->id);
    return 0;
}

static void free_build(struct match_build *mb)
{
    size_t i;

    for (i = 0; i < mb->ntexters; i++)
        free(mb->tried[i]);
    free(mb->tried);
    free(mb->texters);
    free(mb->conv_ids);
    free(mb->peers);
}

/* Runs the matcher over everyone waiting and makes the offers, in one transaction. */
static int match(struct engine *e, int64_t *next_due)
{
    const struct roster *r = e->roster;
    struct match_build mb = {.e = e, .next_change = INT64_MAX};
    struct match_peer *scratch = NULL;
    struct match_pair *pairs = NULL;
    const char *const *numbers;
    size_t nnum = conv_numbers(e->cfg, &numbers), i, npairs;
    int ret = -1;

    mb.peers = calloc(r->npeers ? r->npeers : 1, sizeof(*mb.peers));
    scratch = calloc(r->npeers ? r->npeers : 1, sizeof(*scratch));
    if (!mb.peers || !scratch)
        goto done;
    if (store_begin(e->st))
        goto done;
    if (store_conv_queue_list(e->st, add_texter, &mb))
        goto rollback;
    if (!mb.ntexters) {
        ret = 0;
        goto rollback; /* nothing to write */
    }
    for (i = 0; i < r->npeers; i++) {
        struct optout_count oc = {numbers, nnum, 0};
        if (store_optout_scopes(e->st, r->peers[i].phone, count_optout, &oc))
            goto rollback;
        mb.peers[i].numbers_usable = (int)nnum - oc.n;
        mb.peers[i].numbers_free = mb.peers[i].numbers_usable;
    }
    if (store_conv_open_list(e->st, add_open, &mb) || store_peer_state_list(e->st, add_state, &mb))
        goto rollback;
    if (!e->cfg->provider.npool) {
        /*
         * The line number is their only number: while they are a texter on it
         * themselves, a chat as a peer on it would mix the two threads.
         */
        for (i = 0; i < r->npeers; i++) {
            struct store_conv c;
            int rc = store_conv_open_by_texter(e->st, r->peers[i].phone, &c);
            if (rc == STORE_ERROR)
                goto rollback;
            if (rc == STORE_FOUND)
                mb.peers[i].numbers_free = 0;
        }
    }
    {
        struct match_ctx ctx = {r, mb.peers, e->now, e->cfg->timers.cooldown,
                                e->cfg->timers.rematch_window, NULL};
        pairs = calloc(mb.ntexters, sizeof(*pairs));
        if (!pairs)
            goto rollback;
        npairs = match_assign(&ctx, mb.texters, mb.ntexters, scratch, pairs);
    }
    for (i = 0; i < npairs; i++)
        if (make_offer(e, &r->peers[pairs[i].peer], mb.conv_ids[pairs[i].texter]))
            goto rollback;
    if (store_commit(e->st))
        goto rollback;
    if (mb.next_change < *next_due)
        *next_due = mb.next_change;
    ret = 0;
    goto done;
rollback:
    store_rollback(e->st);
    if (ret == 0 && mb.next_change < *next_due)
        *next_due = mb.next_change;
done:
    free(pairs);
    free(scratch);
    free_build(&mb);
    return ret;
}

/* ---- timers and provider feedback ---- */

static int expire_offer(struct engine *e, const struct store_offer *o)
{
    const struct roster_peer *p = roster_peer_by_id(e->roster, o->peer_id);
    int rc;

    rc = store_offer_decide(e->st, o->id, OFFER_EXPIRED, e->now);
    if (rc == STORE_CONFLICT)
        return 0;
    if (rc || store_conv_requeue(e->st, o->conv_id, CONV_OFFERED) == STORE_ERROR ||
        store_peer_number_used(e->st, o->peer_id, o->number, e->now))
        return -1;
    log_info("offer.expired", "conv=%lld peer=%s", (long long)o->conv_id, o->peer_id);
    if (p)
        return say(e, o->conv_id, p->phone, o->number, TX_OFFER_GONE, NULL, 0);
    return 0;
}

/*
 * The carrier says the recipient of o opted out of o's number (21610): a
 * peer's chats on that number go back to the line; a texter's chat ends and
 * its peer is told. Returns 1 when nothing more needs saying to the writer.
 */
static int recipient_opted_out(struct engine *e, const struct store_out *o)
{
    const struct roster_peer *peer = roster_peer_by_phone(e->roster, o->to);
    const struct roster_peer *p;
    struct store_conv c;
    int rc;

    if (peer && !strcmp(o->from, e->cfg->provider.line_number) && e->cfg->provider.npool)
        peer = NULL; /* a peer reached as a texter, on the line number */
    if (peer) {
        if (peer_opt_out(e, peer, o->from))
            return -1;
        /* The chat went back to the line: the lost text waits for the next peer instead. */
        rc = store_conv_get(e->st, o->conv_id, &c);
        if (rc == STORE_ERROR)
            return -1;
        if (rc == STORE_FOUND && c.state == CONV_QUEUED && o->origin_inbound) {
            if (store_inbound_repend(e->st, o->origin_inbound, c.id))
                return -1;
            return 1;
        }
        return 0;
    }
    rc = store_conv_open_by_texter(e->st, o->to, &c);
    if (rc != STORE_FOUND)
        return rc == STORE_ERROR ? -1 : 0;
    if (close_conv(e, &c, "texter-carrier-optout"))
        return -1;
    p = c.peer_id[0] ? roster_peer_by_id(e->roster, c.peer_id) : NULL;
    if (p && c.state == CONV_ACTIVE &&
        say(e, c.id, p->phone, c.peer_number, TX_TEXTER_UNREACHABLE, NULL, 0))
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
    if (o->error_code == 21610) {
        rc = recipient_opted_out(e, o);
        if (rc)
            return rc < 0 ? -1 : 0;
    }
    if (!o->origin_inbound)
        return 0;
    rc = store_inbound_get(e->st, o->origin_inbound, &in);
    if (rc != STORE_FOUND)
        return rc == STORE_ERROR ? -1 : 0;
    rc = say_full(e, o->conv_id, in.from, in.to,
                  roster_peer_by_phone(e->roster, in.from) ? TX_RELAY_FAILED_PEER
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

static int do_status(struct engine *e, const void *item)
{
    return status_event(e, item);
}

static int do_failed(struct engine *e, const void *item)
{
    return relay_failed(e, item);
}

static int do_expire(struct engine *e, const void *item)
{
    return expire_offer(e, item);
}

/*
 * Handles one inbound text in one transaction. A text that keeps failing
 * while the database works (a fault of ours, not of the disk) must not stall
 * every text behind it: after GIVE_UP_AFTER tries it is flagged `failed`,
 * its writer gets a "something went wrong, text again" reply with crisis
 * numbers, and it is logged as an error for the operator.
 */
static int inbound_in_tx(struct engine *e, const struct store_inbound *in)
{
    int64_t conv = 0;
    int pending = 0, rc;

    rc = store_begin(e->st);
    if (!rc)
        rc = handle_inbound(e, in, &conv, &pending);
    if (!rc)
        rc = store_inbound_done(e->st, in->id, conv, pending, e->now);
    if (!rc)
        rc = store_commit(e->st);
    if (!rc) {
        e->failures = 0;
        return 0;
    }
    store_rollback(e->st);
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
        (store_optout_check(e->st, in->to, in->from) == STORE_OK &&
         say(e, 0, in->from, in->to, TX_TROUBLE, NULL, 0)) ||
        store_commit(e->st)) {
        store_rollback(e->st);
        return -1; /* the database itself is failing: keep retrying */
    }
    log_errorx("engine.gave_up", "inbound=%lld attempts=%d", (long long)in->id, e->failures);
    e->failures = 0;
    return 0;
}

int engine_run(struct engine *e, int64_t now, int64_t *next_due, int *queued)
{
    struct store_inbound in;
    struct store_status st;
    struct store_out out;
    struct store_offer o;
    int64_t t, last;
    int rc, retry = 0;

    e->now = now;
    e->queued = 0;
    *next_due = INT64_MAX;
    if (!e->roster)
        goto fail;
    while ((rc = store_inbound_next(e->st, &in)) == STORE_FOUND) {
        rc = inbound_in_tx(e, &in);
        store_inbound_clear(&in);
        if (rc)
            goto fail;
    }
    if (rc == STORE_ERROR)
        goto fail;
    /* Side inputs: a failure here is retried next run but never holds up matching. */
    e->status_waiting = 0;
    last = 0;
    while ((rc = store_status_next(e->st, last, &st)) == STORE_FOUND) {
        last = st.id;
        if ((rc = in_tx(e, do_status, &st)))
            break;
    }
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
    while ((rc = store_offer_next_due(e->st, now, &o)) == STORE_FOUND)
        if ((rc = in_tx(e, do_expire, &o)))
            break;
    if (rc)
        retry = 1;
    if (match(e, next_due))
        goto fail;
    if (store_offer_earliest(e->st, &t))
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

/*
 * engine_peer.c - a peer writing on the number a chat uses: #take, #pass,
 * #end, the relay to the texter, STOP/START on a pool number; and peers and
 * coordinators sending # commands to the line number.
 */
#include "engine_priv.h"
#include "buf.h"
#include "command.h"
#include "config.h"
#include "log.h"
#include "roster.h"
#include "store.h"
#include "texts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        if (engine_say(e, c->id, c->texter, c->line_number, TX_INTRO_TEXTER, v, NVARS(v)))
            goto fail;
    }
    if (engine_say(e, c->id, peer->phone, c->peer_number, TX_INTRO_PEER, NULL, 0))
        goto fail;
    if (store_inbound_take_pending(e->st, c->id, collect_pending, &rc))
        goto fail;
    if (rc.b.len &&
        engine_send(e, c->id, peer->phone, c->peer_number, OUT_RELAY, rc.b.p, rc.last_id))
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
    return engine_say(e, c->id, peer->phone, c->peer_number, TX_PASSED, NULL, 0);
}

int engine_peer_opt_out(struct engine *e, const struct roster_peer *peer, const char *number)
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
            engine_say(e, c.id, c.texter, c.line_number, TX_PEER_STEPPED_AWAY, NULL, 0))
            return -1;
    }
    /* Off until they say otherwise: they can no longer be reached on that number. */
    if (store_peer_set_manual(e->st, peer->id, PEER_MANUAL_OFF, INT64_MAX))
        return -1;
    log_info("peer.opted_out", "peer=%s", peer->id);
    return 0;
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
        return engine_say(e, 0, peer->phone, in->to, TX_PEER_HELP, NULL, 0);
    }
    is_cmd = command_parse(in->body, &cmd);
    if (kw == KW_HELP || (is_cmd && (cmd.cmd == CMD_HELP || cmd.cmd == CMD_UNKNOWN)))
        return engine_say(e, 0, peer->phone, in->to, TX_PEER_HELP, NULL, 0);
    rc = store_conv_by_peer_number(e->st, peer->id, in->to, &c);
    if (rc == STORE_ERROR)
        return -1;
    if (rc != STORE_FOUND)
        return engine_say(e, 0, peer->phone, in->to, TX_CLOSED_NUMBER, NULL, 0);
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
        /* Never relayed before #take. */
        return engine_say(e, c.id, peer->phone, in->to, TX_OFFER_WAITING, NULL, 0);
    }
    /* Active. */
    if (is_cmd && cmd.cmd == CMD_END) {
        struct text_var v[] = {{"peer", peer->name}};
        if (engine_close_conv(e, &c, "peer-end") ||
            engine_say(e, c.id, c.texter, c.line_number, TX_END_TEXTER, v, NVARS(v)))
            return -1;
        return engine_say(e, c.id, peer->phone, in->to, TX_END_PEER, NULL, 0);
    }
    if (is_cmd)
        return engine_say(e, c.id, peer->phone, in->to, TX_ALREADY_IN_CHAT, NULL, 0);
    if (store_conv_touch_peer(e->st, c.id, e->now))
        return -1;
    if (in->num_media > 0) {
        if (engine_say(e, c.id, peer->phone, in->to, TX_NO_PICTURES, NULL, 0))
            return -1;
        if (!in->body[0])
            return engine_say(e, c.id, c.texter, c.line_number, TX_PICTURE_NOT_PASSED, NULL, 0);
    }
    return engine_send(e, c.id, c.texter, c.line_number, OUT_RELAY, in->body, in->id);
}

int engine_staff_on_line(struct engine *e, const struct store_inbound *in)
{
    /* #on, #off, #status arrive with the matching work; for now, the command list. */
    return engine_say(e, 0, in->from, in->to, TX_PEER_HELP, NULL, 0);
}

/*
 * engine_res.c - #res in a chat's thread (SPEC section 11): the roster's
 * resources (resources.h) that fit the chat, listed for the peer, or one of
 * them sent to the texter.
 *
 * A resource fits when it lists the chat's topic (or lists none) and has
 * words in the texter's language. `#res` lists the ids and labels that fit,
 * in one text; `#res ID` (any case) sends that resource's text to the
 * texter from the line number, as a relay (the same priority, and the peer
 * hears if it finally fails), records the send (resource_sends: ids only)
 * and confirms to the peer. An id that does not exist or does not fit is
 * answered with the list. The peer reads the list and the confirmation in
 * their own language; the texter reads the resource in theirs. Logs name
 * the resource, the chat and the peer, never the text.
 */
#include "engine_priv.h"
#include "buf.h"
#include "config.h"
#include "log.h"
#include "resources.h"
#include "roster.h"
#include "store.h"
#include "texts.h"

static int fits(const struct roster_resource *res, int topic, const char *lang)
{
    return resource_fits_topic(res, topic) && resource_text(res, lang) != NULL;
}

/* "lifeline (988 Lifeline), trevor (Trevor Project)", or TX_RES_NONE when none fits. */
static int say_list(struct engine *e, const struct roster_peer *peer, const struct store_conv *c,
                    int topic, const char *lang, const char *number)
{
    const struct roster *r = e->roster;
    struct buf list = BUF_INIT(0);
    size_t i;
    int rc = -1;

    for (i = 0; i < r->nresources; i++) {
        const struct roster_resource *res = &r->resources[i];
        if (fits(res, topic, lang) &&
            buf_printf(&list, "%s%s (%s)", list.len ? ", " : "", res->id, res->label))
            goto done;
    }
    if (!list.len) {
        rc = engine_say(e, c->id, peer->phone, number, TX_RES_NONE, NULL, 0);
    } else {
        struct text_var v[] = {{"list", list.p}};
        rc = engine_say(e, c->id, peer->phone, number, TX_RES_LIST, v, NVARS(v));
    }
done:
    buf_free(&list);
    return rc;
}

int engine_res(struct engine *e, const struct roster_peer *peer, const struct store_conv *c,
               const struct store_inbound *in, const char *arg)
{
    const struct roster *r = e->roster;
    const char *lang = texts_lang(e->texts, c->lang);
    int topic = roster_topic_index(r, c->topic);
    const struct roster_resource *res =
        arg[0] ? resources_find(r->resources, r->nresources, arg) : NULL;

    if (!res || !fits(res, topic, lang))
        return say_list(e, peer, c, topic, lang, in->to);
    /* The peer answered, in a way: the chat's clocks move as when they write. */
    if (store_conv_touch_peer(e->st, c->id, in->received_at) ||
        store_timer_set(e->st, TIMER_IDLE, c->id, e->now + e->cfg->timers.idle_timeout, 0) ||
        store_timer_clear(e->st, TIMER_PEER_SILENCE, c->id))
        return -1;
    if (engine_send(e, c->id, c->texter, c->line_number, OUT_RELAY, resource_text(res, lang),
                    in->id) ||
        store_resource_sent(e->st, c->id, res->id, peer->id, lang, e->now))
        return -1;
    log_info("resource.sent", "conv=%lld peer=%s resource=%s", (long long)c->id, peer->id, res->id);
    {
        struct text_var v[] = {{"resource", res->label}};
        return engine_say(e, c->id, peer->phone, in->to, TX_RES_SENT, v, NVARS(v));
    }
}

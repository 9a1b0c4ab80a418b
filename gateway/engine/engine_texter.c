/*
 * engine_texter.c - a texter writing to the line: opt-out and opt-in, HELP,
 * blocked numbers, the welcome and the menu, waiting in line, BYE, and the
 * relay to their peer. Also anyone who is not a peer texting a pool number.
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

struct texter_in {
    const struct store_inbound *in;
    enum keyword kw;
    int flooding; /* more than limits.flood_after texts from them in FLOOD_WINDOW */
    int64_t conv; /* out: the conversation the text belongs to */
    int lang_rc;  /* choose_language's result */
    int pending;  /* out: keep the text for the peer who takes the chat */
};

static int texter_stop(struct engine *e, struct texter_in *t, int already)
{
    const struct store_inbound *in = t->in;
    const struct roster_peer *p, *me = roster_peer_by_phone(e->roster, in->from);
    struct store_conv c;
    int rc;

    if (store_optout_set(e->st, config_optout_scope(e->cfg, in->to), in->from, "keyword", e->now))
        return -1;
    /* A peer's STOP to the line may cover the numbers their own chats use too. */
    if (!me)
        me = roster_staff_by_phone(e->roster, in->from);
    if (me && engine_peer_opt_out(e, me, in->to))
        return -1;
    rc = store_conv_open_by_texter(e->st, in->from, &c);
    if (rc == STORE_ERROR)
        return -1;
    if (rc == STORE_FOUND) {
        t->conv = c.id;
        if (engine_close_conv(e, &c, "texter-stop"))
            return -1;
        p = c.peer_id[0] ? roster_peer_by_id(e->roster, c.peer_id) : NULL;
        if (p && c.state == CONV_ACTIVE &&
            engine_say(e, c.id, p->phone, c.peer_number, TX_TEXTER_LEFT, NULL, 0))
            return -1;
        if (p && c.state == CONV_OFFERED &&
            engine_say(e, c.id, p->phone, c.peer_number, TX_OFFER_WITHDRAWN, NULL, 0))
            return -1;
    }
    log_info("texter.opted_out", "conv=%lld", (long long)t->conv);
    /* One confirmation: none for a repeat, none when the provider sends its own. */
    if (already || e->cfg->provider.provider_confirms_opt_out)
        return 0;
    {
        struct text_var v[] = {{"line", e->roster->line_name}};
        return engine_say_full(e, t->conv, in->from, in->to, TX_STOP_CONFIRM, v, NVARS(v),
                               OUT_SYSTEM, 0, 1);
    }
}

int engine_stranger_on_pool(struct engine *e, const struct store_inbound *in)
{
    enum keyword kw = command_keyword(in->body);
    const char *scope = config_optout_scope(e->cfg, in->to);
    int rc;

    if (kw == KW_STOP) {
        /* With opt_out_scope: line this also stops the line: their chat there ends too. */
        if (!strcmp(scope, config_optout_scope(e->cfg, e->cfg->provider.line_number))) {
            struct texter_in t = {.in = in, .kw = kw};
            rc = store_optout_check(e->st, scope, in->from);
            return rc == STORE_ERROR ? -1 : texter_stop(e, &t, rc == STORE_FOUND);
        }
        return store_optout_set(e->st, scope, in->from, "keyword", e->now);
    }
    rc = store_optout_check(e->st, scope, in->from);
    if (rc == STORE_ERROR)
        return -1;
    if (rc == STORE_FOUND) {
        if (kw == KW_START)
            return store_optout_clear(e->st, scope, in->from);
        return 0;
    }
    {
        struct text_var v[] = {{"line", e->roster->line_name},
                               {"line_number", e->cfg->provider.line_number}};
        return engine_say(e, 0, in->from, in->to, TX_POOL_STRANGER, v, NVARS(v));
    }
}

/*
 * A blocked number gets no conversation (one it had before it was blocked is
 * closed, and its peer told), but HELP is still answered.
 */
static int texter_blocked(struct engine *e, struct texter_in *t)
{
    const struct store_inbound *in = t->in;
    struct store_conv c;
    int rc = store_conv_open_by_texter(e->st, in->from, &c);

    if (rc == STORE_ERROR)
        return -1;
    if (rc == STORE_FOUND) {
        t->conv = c.id;
        if (engine_close_by_line(e, &c, "blocked"))
            return -1;
    }
    if (t->kw == KW_HELP && !e->cfg->provider.provider_answers_help) {
        struct text_var v[] = {{"line", e->roster->line_name}};
        return engine_say(e, 0, in->from, in->to, TX_HELP, v, NVARS(v));
    }
    return 0;
}

/* The texter ends it with BYE, in whatever open state. */
static int texter_bye(struct engine *e, struct texter_in *t, const struct store_conv *c)
{
    const struct roster_peer *p = c->peer_id[0] ? roster_peer_by_id(e->roster, c->peer_id) : NULL;

    if (engine_close_conv(e, c, "texter-bye"))
        return -1;
    /* Someone in danger who leaves is not safe yet: a coordinator follows up. */
    if (c->urgent && engine_alert(e, c, "urgent-bye", TX_ALERT_URGENT_BYE, NULL, NULL))
        return -1;
    if (c->state == CONV_ACTIVE) {
        if (p && e->cfg->endings.last_word > 0) {
            /* The peer may still say goodbye: one message, for a short while. */
            char minutes[24];
            snprintf(minutes, sizeof(minutes), "%lld",
                     (long long)((e->cfg->endings.last_word + 59999) / 60000));
            struct text_var v[] = {{"minutes", minutes}};
            if (store_conv_set_last_word(e->st, c->id, e->now + e->cfg->endings.last_word) ||
                engine_say(e, c->id, p->phone, c->peer_number, TX_TEXTER_BYE_PEER, v, NVARS(v)))
                return -1;
        } else if (p && engine_say(e, c->id, p->phone, c->peer_number, TX_TEXTER_LEFT, NULL, 0)) {
            return -1;
        }
        if (engine_say(e, c->id, c->texter, c->line_number, TX_BYE_TEXTER, NULL, 0))
            return -1;
        return engine_ask_rating(e, c);
    }
    if (c->state == CONV_OFFERED && p &&
        engine_say(e, c->id, p->phone, c->peer_number, TX_OFFER_WITHDRAWN, NULL, 0))
        return -1;
    (void)t;
    return engine_say(e, c->id, c->texter, c->line_number, TX_LEFT_QUEUE, NULL, 0);
}

static int texter_new_contact(struct engine *e, struct texter_in *t)
{
    const struct store_inbound *in = t->in;
    struct store_conv c;
    int topic, is_new = 0;
    char lang[8] = "";

    if (t->kw == KW_BYE)
        return engine_say(e, 0, in->from, in->to, TX_NOT_IN_CHAT, NULL, 0);
    /* Known from their first conversation on: the welcome is sent exactly then. */
    if (store_contact_touch(e->st, in->from, e->now, &is_new))
        return -1;
    if (store_contact_lang(e->st, in->from, lang) == STORE_ERROR ||
        store_conv_create(e->st, in->from, in->to, texts_lang(e->texts, lang), e->now, &t->conv) ||
        store_conv_get(e->st, t->conv, &c) != STORE_FOUND)
        return -1;
    log_info("conversation.opened", "conv=%lld new_contact=%d", (long long)c.id, is_new);
    if (is_new) {
        struct text_var v[] = {{"line", e->roster->line_name}};
        if (engine_say(e, c.id, in->from, in->to, TX_WELCOME, v, NVARS(v)))
            return -1;
    }
    t->pending = 1; /* their first words are the peer's first read */
    topic = command_topic_in_text(e->roster, in->body);
    if (topic >= 0)
        return engine_queue(e, &c, topic);
    return engine_say_menu(e, &c, TX_MENU);
}

/* The window a texter's texts are counted in for limits.flood_after. */
#define FLOOD_WINDOW (10 * 60 * 1000)

/*
 * Counts the text in its writer's window. Past limits.flood_after they are
 * flooding: replies that would only repeat themselves (the menu again) stop,
 * and once per window, if they have a peer or are waiting for one, they hear
 * that their texts are being put together. Nothing they send is dropped.
 */
static int flood_step(struct engine *e, struct texter_in *t, const struct store_conv *c)
{
    struct store_contact who;
    int rc = store_contact_get(e->st, t->in->from, &who);

    if (rc != STORE_FOUND)
        return rc == STORE_ERROR ? -1 : 0;
    if (e->now - who.flood_start >= FLOOD_WINDOW) {
        who.flood_start = e->now;
        who.flood_count = 0;
        who.flood_told = 0;
    }
    who.flood_count++;
    t->flooding = who.flood_count > e->cfg->limits.flood_after;
    if (t->flooding && !who.flood_told && c->state != CONV_MENU) {
        log_info("texter.flooding", "conv=%lld texts=%d", (long long)c->id, who.flood_count);
        if (engine_say(e, c->id, c->texter, c->line_number, TX_FLOOD, NULL, 0))
            return -1;
        who.flood_told = 1;
    }
    return store_contact_flood(e->st, t->in->from, who.flood_start, who.flood_count,
                               who.flood_told);
}

static int texter_in_menu(struct engine *e, struct texter_in *t, const struct store_conv *c)
{
    int topic;

    topic = command_menu_choice(t->in->body, e->roster->ntopics);
    if (topic >= 0)
        return engine_queue(e, c, topic); /* a bare number is not for the peer */
    t->pending = 1;
    topic = command_topic_in_text(e->roster, t->in->body);
    if (topic >= 0)
        return engine_queue(e, c, topic);
    if (t->flooding)
        return 0; /* they have had the menu; it waits for their choice */
    return engine_say_menu(e, c, TX_MENU_AGAIN);
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
        return engine_say(e, c->id, c->texter, c->line_number, TX_STILL_QUEUED, v, NVARS(v));
    }
}

/* The offered language a whole message names ("ES", "en"), or NULL. */
static const char *language_named(struct engine *e, const char *body)
{
    const char *const *codes;
    size_t n = texts_languages(e->texts, &codes), i, len;
    char w[8];

    while (*body == ' ')
        body++;
    len = strcspn(body, " .!\n");
    if (len < 2 || len > 3 || body[len + strspn(body + len, " .!\n")])
        return NULL;
    for (i = 0; i < len; i++)
        w[i] = (char)(body[i] | 0x20);
    w[len] = '\0';
    for (i = 0; i < n; i++)
        if (!strcmp(codes[i], w))
            return codes[i];
    return NULL;
}

/*
 * "ES" (any offered language's code) on its own: their language from now on,
 * for this conversation and the next ones. Returns 1 when it was that
 * (t->lang_rc holds the result), 0 otherwise.
 */
static int choose_language(struct engine *e, struct texter_in *t, const struct store_conv *c)
{
    const char *code = language_named(e, t->in->body);
    struct store_conv now;

    if (!code)
        return 0;
    t->lang_rc = -1;
    if (c)
        t->conv = c->id;
    if (store_contact_set_lang(e->st, t->in->from, code, e->now) ||
        (c && store_conv_set_lang(e->st, c->id, code)))
        return 1;
    log_info("texter.language", "conv=%lld lang=%s", (long long)(c ? c->id : 0), code);
    if (engine_say(e, c ? c->id : 0, t->in->from, t->in->to, TX_LANG_SET, NULL, 0))
        return 1;
    /* Choosing at the menu: the menu again, now in their language. */
    if (c && c->state == CONV_MENU) {
        if (store_conv_get(e->st, c->id, &now) != STORE_FOUND || engine_say_menu(e, &now, TX_MENU))
            return 1;
    }
    t->lang_rc = 0;
    return 1;
}

/* 1-5 when the whole text is that one digit (spaces around it allowed), else 0. */
static int lone_rating(const char *body)
{
    int d;

    body += strspn(body, " \t\r\n");
    if (*body < '1' || *body > '5')
        return 0;
    d = *body - '0';
    body++;
    body += strspn(body, " \t\r\n");
    return *body ? 0 : d;
}

/*
 * A lone 1-5 from a texter with no open conversation, within
 * endings.rating_window of being asked: the rating, stored and thanked for,
 * neither relayed nor a menu choice. Returns 1 when it was that.
 */
static int rating(struct engine *e, struct texter_in *t, int *rc)
{
    int d = lone_rating(t->in->body), rated = 0;

    if (!d || !e->cfg->endings.rating)
        return 0;
    *rc = -1;
    if (store_conv_rate(e->st, t->in->from, e->now - e->cfg->endings.rating_window, d, &rated))
        return 1;
    if (!rated)
        return 0; /* not asked lately (or already answered): a new contact */
    log_info("conversation.rated", "rating=%d", d);
    *rc = engine_say(e, 0, t->in->from, t->in->to, TX_RATING_THANKS, NULL, 0);
    return 1;
}

static int texter(struct engine *e, struct texter_in *t)
{
    const struct store_inbound *in = t->in;
    struct store_conv c;
    int rc, opted, blocked = roster_is_blocked(e->roster, in->from);

    opted = store_optout_check(e->st, config_optout_scope(e->cfg, in->to), in->from);
    if (opted == STORE_ERROR)
        return -1;
    if (!blocked) { /* the roster's list, or a coordinator's block from the dashboard */
        rc = store_block_check(e->st, in->from);
        if (rc == STORE_ERROR)
            return -1;
        blocked = rc == STORE_FOUND;
    }
    /* Crisis words first, in every state, from anyone. */
    if (engine_crisis(e, in, opted == STORE_FOUND, blocked) < 0)
        return -1;
    if (t->kw == KW_STOP)
        return texter_stop(e, t, opted == STORE_FOUND);
    if (opted == STORE_FOUND) {
        if (t->kw != KW_START)
            return 0; /* stored; nothing may be sent to them */
        if (store_optout_clear(e->st, config_optout_scope(e->cfg, in->to), in->from))
            return -1;
        log_info("texter.opted_in", "number=-");
        if (e->cfg->provider.provider_confirms_opt_out)
            return 0;
        {
            struct text_var v[] = {{"line", e->roster->line_name}};
            return engine_say(e, 0, in->from, in->to, TX_START_CONFIRM, v, NVARS(v));
        }
    }
    if (blocked)
        return texter_blocked(e, t);
    if (in->num_media > 0 && engine_say(e, 0, in->from, in->to, TX_NO_PICTURES, NULL, 0))
        return -1;
    rc = store_conv_open_by_texter(e->st, in->from, &c);
    if (rc == STORE_ERROR)
        return -1;
    if (choose_language(e, t, rc == STORE_FOUND ? &c : NULL))
        return t->lang_rc;
    if (t->kw == KW_HELP) {
        struct text_var v[] = {{"line", e->roster->line_name}};
        /* Exactly one reply: ours, unless the provider answers HELP itself. */
        if (!e->cfg->provider.provider_answers_help &&
            engine_say(e, rc == STORE_FOUND ? c.id : 0, in->from, in->to, TX_HELP, v, NVARS(v)))
            return -1;
        if (rc != STORE_FOUND || c.state == CONV_MENU)
            return 0;
        /* HELP may be a cry for help: their peer sees it too (or will, once they have one). */
        t->conv = c.id;
        if (c.state != CONV_ACTIVE) {
            t->pending = 1;
            return 0;
        }
    }
    if (rc != STORE_FOUND) {
        if (rating(e, t, &rc))
            return rc;
        if (texter_new_contact(e, t))
            return -1;
        if (t->kw != KW_PRIVATE || store_conv_get(e->st, t->conv, &c) != STORE_FOUND)
            return t->kw == KW_PRIVATE ? -1 : 0;
        t->pending = 0; /* PRIVATE as a first word: their wish, not words for the peer */
        return engine_shadow_private(e, &c);
    }
    t->conv = c.id;
    /* PRIVATE: no trainee reads along with this chat, now or later; never relayed. */
    if (t->kw == KW_PRIVATE)
        return engine_shadow_private(e, &c);
    /* Webhook time, like the peer's: the two are compared (see fire_peer_silence). */
    if (store_conv_touch_texter(e->st, c.id, t->in->received_at) || flood_step(e, t, &c))
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
        int cut;
        if (!p) {
            /* The peer left the roster mid-chat: keep the text for whoever comes next. */
            t->pending = 1;
            if (store_conv_requeue(e->st, c.id, CONV_ACTIVE) || engine_requeued(e, c.id))
                return -1;
            return engine_say(e, c.id, c.texter, c.line_number, TX_PEER_STEPPED_AWAY, NULL, 0);
        }
        /* The chat is alive; and the peer now owes a reply (unless one is owed already). */
        if (store_timer_set(e->st, TIMER_IDLE, c.id, e->now + e->cfg->timers.idle_timeout, 0) ||
            store_timer_add(e->st, TIMER_PEER_SILENCE, c.id, e->now + e->cfg->timers.peer_silence))
            return -1;
        if (!in->body[0] && in->num_media > 0) {
            if (engine_say(e, c.id, p->phone, c.peer_number, TX_PICTURE_NOT_PASSED, NULL, 0))
                return -1;
            return engine_shadow_copy(e, c.id, NULL, "", 0, 1);
        }
        /* The trainee reading along (if one is) gets what the peer gets. */
        if (engine_relay(e, c.id, p->phone, c.peer_number, in->body, in->id, &cut) ||
            engine_shadow_copy(e, c.id, NULL, in->body, engine_relay_len(in->body, &cut), 0))
            return -1;
        return cut ? engine_say_shortened(e, c.id, p->phone, c.peer_number, TX_RELAY_SHORTENED) : 0;
    }
    case CONV_CLOSED:
        break;
    }
    return 0;
}

int engine_texter(struct engine *e, const struct store_inbound *in, int64_t *conv, int *pending)
{
    struct texter_in t = {.in = in, .kw = command_keyword(in->body)};
    int rc;

    /*
     * On a line where no one can read along (no trainees, or no pool number
     * for a copy), "Private" is words for the peer.
     */
    if (t.kw == KW_PRIVATE && (!e->trainees || !e->cfg->provider.npool))
        t.kw = KW_NONE;
    rc = texter(e, &t);

    *conv = t.conv;
    *pending = t.pending;
    return rc;
}

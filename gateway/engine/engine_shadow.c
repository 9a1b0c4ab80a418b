/*
 * engine_shadow.c - trainees reading along (SPEC section 11): a roster peer
 * with `trainee: true` is never offered a chat; instead, when a peer takes
 * one, one trainee may get a read-only copy of it on a pool number of their
 * own, and send the peer suggestions from there.
 *
 * Who reads along (engine_shadow_start, when a peer who is not a trainee or
 * a coordinator takes a chat): a trainee whose mentor is that peer, or one
 * with no mentor; at work now (shift, #on, #off, training date: as for any
 * peer); speaking the chat's language; covering its topic when they list
 * topics; not reading along with another chat; not in a support chat of
 * their own; with a pool number free for them (engine_pick_number, which
 * counts a copy's number as busy). Never a coordinator's chat, a chat whose
 * texter is on the roster, a private chat, or (unless trainees.shadow_urgent)
 * an urgent one; never without a pool. A mentor's own trainees come first,
 * then whoever read along least recently, then roster order.
 *
 * The copy: each text of the texter's as "Texter: ...", each of the peer's
 * as "NAME: ...", as much as a relay carries, a picture as a line saying one
 * was sent. Nothing else: no system text, no note, no command. Copies are
 * OUT_NOTICE, the lowest priority, on the trainee's own thread: the sender
 * serves the texter and the peer first, a copy is never merged into a relay,
 * and a copy that fails tells no one it failed (a relay's failure would
 * tell its writer).
 *
 * It ends (engine_shadow_end) when the chat closes or goes back to the line,
 * becomes urgent (unless allowed), the texter says PRIVATE (the chat is then
 * never read along with again), the trainee says #unshadow or opts out of
 * the copy's number, or the trainee leaves the roster (or is no longer a
 * trainee). The trainee is told why, except when they can no longer be
 * texted there; the peer is told while the chat goes on.
 */
#include "engine_priv.h"
#include "buf.h"
#include "command.h"
#include "config.h"
#include "log.h"
#include "match.h"
#include "roster.h"
#include "store.h"
#include "texts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- who reads along ---- */

struct candidate {
    const struct roster_peer *p;
    int rank;     /* 0: the peer's own trainee, 1: one with no mentor */
    int64_t last; /* when they last began to read along (0: never) */
    int index;    /* roster order, the last tie-break */
};

static int cmp_candidate(const void *a, const void *b)
{
    const struct candidate *x = a, *y = b;

    if (x->rank != y->rank)
        return x->rank - y->rank;
    if (x->last != y->last)
        return x->last < y->last ? -1 : 1;
    return x->index - y->index;
}

/*
 * Whether trainee tp may read along now, by the store: at work (manual
 * state, shift, training), not reading along already, not in a support
 * chat of their own. 1 yes, 0 no, -1 on error; *last set when yes.
 */
static int trainee_free(struct engine *e, const struct roster_peer *tp, int64_t *last)
{
    struct store_peer_state ps;
    struct match_peer mp = {0};
    struct store_shadow sh;
    struct store_conv own;
    int rc = store_peer_state_get(e->st, tp->id, &ps);

    if (rc == STORE_ERROR)
        return -1;
    if (rc == STORE_FOUND) {
        mp.manual = ps.manual == PEER_MANUAL_ON    ? MATCH_MANUAL_ON
                    : ps.manual == PEER_MANUAL_OFF ? MATCH_MANUAL_OFF
                                                   : MATCH_MANUAL_NONE;
        mp.manual_until = ps.manual_until;
    }
    if (match_available(tp, &mp, e->now) != MATCH_OK)
        return 0;
    rc = store_shadow_of_trainee(e->st, tp->id, &sh);
    if (rc != STORE_OK)
        return rc == STORE_FOUND ? 0 : -1;
    rc = store_conv_open_by_texter(e->st, tp->phone, &own);
    if (rc != STORE_OK)
        return rc == STORE_FOUND ? 0 : -1;
    return store_shadow_last_started(e->st, tp->id, last) ? -1 : 1;
}

/* Whether the chat itself may be read along with (1), not (0), -1 on error. */
static int chat_may_be_shadowed(struct engine *e, const struct roster_peer *peer,
                                const struct store_conv *c)
{
    const struct roster *r = e->roster;

    if (!e->trainees || !e->cfg->provider.npool || peer->id[0] == '@' || peer->trainee ||
        roster_peer_is_retired(r, peer))
        return 0;
    if (c->urgent && !e->cfg->trainees.shadow_urgent)
        return 0;
    /* A colleague reaching out for support is not read along with. */
    if (roster_peer_by_phone(r, c->texter) || roster_coordinator_by_phone(r, c->texter))
        return 0;
    switch (store_conv_is_private(e->st, c->id)) {
    case 0:
        return 1;
    case 1:
        return 0; /* the texter said PRIVATE, in this chat or before it went back to the line */
    }
    return -1;
}

/* The trainees who may read along with c, taken by peer, best first, into *out (malloc'd). */
static int candidates(struct engine *e, const struct roster_peer *peer, const struct store_conv *c,
                      struct candidate **out, size_t *n)
{
    const struct roster *r = e->roster;
    int me = roster_peer_index(r, peer), lang = roster_lang_index(r, c->lang[0] ? c->lang : "en");
    int topic = roster_topic_index(r, c->topic);
    size_t i;

    *n = 0;
    *out = calloc(r->npeers + 1, sizeof(**out));
    if (!*out)
        return -1;
    for (i = 0; lang >= 0 && i < r->npeers; i++) {
        const struct roster_peer *tp = &r->peers[i];
        int64_t last = 0;
        int rc;

        if (!tp->trainee || (tp->mentor >= 0 && tp->mentor != me) ||
            !(tp->langs & (1ull << lang)) || (tp->ntopics && !roster_peer_covers(tp, topic)))
            continue;
        rc = trainee_free(e, tp, &last);
        if (rc < 0)
            return -1;
        if (rc)
            (*out)[(*n)++] = (struct candidate){tp, tp->mentor >= 0 ? 0 : 1, last, (int)i};
    }
    qsort(*out, *n, sizeof(**out), cmp_candidate);
    return 0;
}

/*
 * The trainee who reads along with c (taken by peer), and their number:
 * the best candidate with a number free (a number any chat or copy of
 * theirs uses is not). *tp NULL: none. 0, or -1 on error.
 */
static int pick(struct engine *e, const struct roster_peer *peer, const struct store_conv *c,
                const struct roster_peer **tp, char number[STORE_NUM])
{
    struct candidate *cand = NULL;
    size_t n = 0, i;
    int rc = candidates(e, peer, c, &cand, &n);

    *tp = NULL;
    for (i = 0; !rc && i < n && !*tp; i++)
        if (!engine_pick_number(e, cand[i].p, number))
            *tp = cand[i].p;
    free(cand);
    return rc;
}

int engine_shadow_start(struct engine *e, const struct roster_peer *peer,
                        const struct store_conv *c)
{
    const struct roster_peer *tp;
    char number[STORE_NUM];
    int rc = chat_may_be_shadowed(e, peer, c);

    if (rc <= 0)
        return rc;
    if (pick(e, peer, c, &tp, number))
        return -1;
    if (!tp)
        return 0;
    rc = store_shadow_start(e->st, c->id, tp->id, number, e->now);
    if (rc == STORE_CONFLICT)
        return 0; /* they began to read along with another chat meanwhile */
    if (rc || store_peer_number_used(e->st, tp->id, number, e->now))
        return -1;
    {
        struct text_var tv[] = {{"trainee", tp->name}};
        struct text_var iv[] = {{"peer", peer->name},
                                {"topic", engine_topic_label(e->roster, c->topic)}};
        if (engine_say(e, c->id, c->texter, c->line_number, TX_SHADOW_TEXTER, NULL, 0) ||
            engine_say(e, c->id, peer->phone, c->peer_number, TX_SHADOW_PEER, tv, NVARS(tv)) ||
            engine_say(e, c->id, tp->phone, number, TX_SHADOW_INTRO, iv, NVARS(iv)))
            return -1;
    }
    log_info("shadow.started", "conv=%lld trainee=%s peer=%s", (long long)c->id, tp->id, peer->id);
    return 0;
}

/* ---- the copy ---- */

int engine_shadow_copy(struct engine *e, int64_t conv, const char *name, const char *body, size_t n,
                       int picture)
{
    const struct roster_peer *tp;
    struct store_shadow sh;
    struct buf b = BUF_INIT(0), pic = BUF_INIT(0);
    int rc;

    if (!e->trainees)
        return 0; /* no one reads along: not even a look */
    rc = store_shadow_of_conv(e->st, conv, &sh);
    if (rc != STORE_FOUND)
        return rc == STORE_ERROR ? -1 : 0;
    tp = roster_peer_by_id(e->roster, sh.trainee_id);
    if (!tp)
        return 0; /* gone from the roster: the copy ends at the next run */
    if (!n && picture) {
        if (engine_render(e, TX_PICTURE_NOT_PASSED, engine_lang_of(e, tp->phone), NULL, 0, &pic))
            goto fail;
        body = pic.p ? pic.p : "";
        n = pic.len;
    }
    if (!n) {
        buf_free(&pic);
        return 0;
    }
    /* Only the name, or "Texter": never a number. */
    if (buf_printf(&b, "%s: ", name ? name : "Texter") || buf_append(&b, body, n))
        goto fail;
    rc = engine_send(e, conv, tp->phone, sh.number, OUT_NOTICE, b.p, 0);
    buf_free(&b);
    buf_free(&pic);
    return rc;
fail:
    buf_free(&b);
    buf_free(&pic);
    return -1;
}

/* ---- the end of a copy ---- */

static const char *const end_words[] = {
    [SHADOW_END_CLOSED] = "closed",     [SHADOW_END_REQUEUED] = "requeued",
    [SHADOW_END_URGENT] = "urgent",     [SHADOW_END_PRIVATE] = "private",
    [SHADOW_END_UNSHADOW] = "unshadow", [SHADOW_END_OPTOUT] = "opt-out",
    [SHADOW_END_ROSTER] = "roster",
};

/* What the trainee is told (TX_NONE: nothing: they cannot be texted there, or left). */
static enum text_id trainee_text(enum shadow_end why)
{
    switch (why) {
    case SHADOW_END_CLOSED:
        return TX_SHADOW_END_CLOSED;
    case SHADOW_END_REQUEUED:
        return TX_SHADOW_END_REQUEUED;
    case SHADOW_END_URGENT:
        return TX_SHADOW_END_URGENT;
    case SHADOW_END_PRIVATE:
        return TX_SHADOW_END_PRIVATE;
    case SHADOW_END_UNSHADOW:
        return TX_SHADOW_END_UNSHADOW;
    case SHADOW_END_OPTOUT:
    case SHADOW_END_ROSTER:
        break;
    }
    return TX_NONE;
}

/* Ends sh; the trainee and (while the chat goes on) the peer are told. */
static int end_shadow(struct engine *e, const struct store_shadow *sh, enum shadow_end why)
{
    const struct roster_peer *tp = roster_peer_by_id(e->roster, sh->trainee_id), *p;
    enum text_id tell = trainee_text(why);
    struct store_conv c;
    int rc = store_shadow_end(e->st, sh->id, end_words[why], e->now);

    if (rc == STORE_CONFLICT)
        return 0;
    if (rc || store_peer_number_used(e->st, sh->trainee_id, sh->number, e->now))
        return -1;
    /*
     * Ended for the texter's privacy, their safety, or the trainee's wish:
     * copies still waiting (the lowest priority, perhaps held by a provider
     * outage) never go. A chat that simply ended lets its last ones arrive.
     */
    if (why != SHADOW_END_CLOSED && why != SHADOW_END_REQUEUED &&
        store_outbox_withdraw(e->st, sh->conv_id, tp ? tp->phone : NULL, sh->number, OUT_NOTICE,
                              e->now)) /* a trainee gone from the roster took their phone along */
        return -1;
    log_info("shadow.ended", "conv=%lld trainee=%s reason=%s", (long long)sh->conv_id,
             sh->trainee_id, end_words[why]);
    if (tp && !roster_peer_is_retired(e->roster, tp) && tell != TX_NONE &&
        engine_say(e, sh->conv_id, tp->phone, sh->number, tell, NULL, 0))
        return -1;
    if (why == SHADOW_END_CLOSED || why == SHADOW_END_REQUEUED)
        return 0; /* the peer's chat is over (for them) anyway */
    rc = store_conv_get(e->st, sh->conv_id, &c);
    if (rc != STORE_FOUND)
        return rc == STORE_ERROR ? -1 : 0;
    p = c.state == CONV_ACTIVE ? roster_peer_by_id(e->roster, c.peer_id) : NULL;
    if (!p)
        return 0;
    {
        /* A trainee gone from the roster took their name along. */
        const char *es = !strcmp(engine_lang_of(e, p->phone), "es") ? "El par en formación" : NULL;
        struct text_var v[] = {{"trainee", tp ? tp->name : es ? es : "The peer in training"}};
        return engine_say(e, c.id, p->phone, c.peer_number,
                          why == SHADOW_END_PRIVATE ? TX_SHADOW_PRIVATE_PEER
                                                    : TX_SHADOW_STOPPED_PEER,
                          v, NVARS(v));
    }
}

int engine_shadow_end(struct engine *e, int64_t conv, enum shadow_end why)
{
    struct store_shadow sh;
    int rc;

    /* Without trainees, engine_shadow_roster ended every copy before this run went on. */
    if (!e->trainees)
        return 0;
    rc = store_shadow_of_conv(e->st, conv, &sh);
    if (rc != STORE_FOUND)
        return rc == STORE_ERROR ? -1 : 0;
    return end_shadow(e, &sh, why);
}

int engine_shadow_urgent(struct engine *e, int64_t conv)
{
    return e->cfg->trainees.shadow_urgent ? 0 : engine_shadow_end(e, conv, SHADOW_END_URGENT);
}

int engine_shadow_opted_out(struct engine *e, const struct roster_peer *trainee, const char *number)
{
    struct store_shadow sh;
    int rc = store_shadow_of_trainee(e->st, trainee->id, &sh);

    if (rc != STORE_FOUND)
        return rc == STORE_ERROR ? -1 : 0;
    return strcmp(sh.number, number) ? 0 : end_shadow(e, &sh, SHADOW_END_OPTOUT);
}

int engine_shadow_private(struct engine *e, const struct store_conv *c)
{
    if (store_conv_set_private(e->st, c->id) || engine_shadow_end(e, c->id, SHADOW_END_PRIVATE))
        return -1;
    log_info("conversation.private", "conv=%lld", (long long)c->id);
    return engine_say(e, c->id, c->texter, c->line_number, TX_PRIVATE_TEXTER, NULL, 0);
}

struct open_shadows {
    struct store_shadow *sh;
    size_t n, cap;
};

static int collect_shadow(void *arg, const struct store_shadow *sh)
{
    struct open_shadows *o = arg;

    if (o->n == o->cap) {
        size_t cap = o->cap ? 2 * o->cap : 8;
        struct store_shadow *n = realloc(o->sh, cap * sizeof(*n));
        if (!n)
            return -1;
        o->sh = n;
        o->cap = cap;
    }
    o->sh[o->n++] = *sh;
    return 0;
}

int engine_shadow_roster(struct engine *e)
{
    struct open_shadows o = {0};
    size_t i;
    int rc = 0;

    if (store_shadow_open_list(e->st, collect_shadow, &o))
        rc = -1;
    for (i = 0; !rc && i < o.n; i++) {
        const struct roster_peer *tp = roster_peer_by_id(e->roster, o.sh[i].trainee_id);

        if (!tp || !tp->trainee || roster_peer_is_retired(e->roster, tp))
            rc = end_shadow(e, &o.sh[i], SHADOW_END_ROSTER);
    }
    free(o.sh);
    return rc;
}

/* ---- the trainee's own texts ---- */

/* #suggest TEXT in the copy's thread: to the peer only, marked as a suggestion. */
static int suggest(struct engine *e, const struct roster_peer *tp, const struct store_shadow *sh,
                   const struct store_inbound *in)
{
    const char *text = command_text(in->body);
    const struct roster_peer *p;
    struct store_conv c;
    struct buf b = BUF_INIT(0);
    char *cut_text;
    int rc = store_conv_get(e->st, sh->conv_id, &c), cut;

    if (rc == STORE_ERROR)
        return -1;
    p = rc == STORE_FOUND && c.state == CONV_ACTIVE ? roster_peer_by_id(e->roster, c.peer_id)
                                                    : NULL;
    if (!p)
        return engine_say(e, 0, tp->phone, in->to, TX_SUGGEST_WHERE, NULL, 0);
    if (!*text) {
        struct text_var v[] = {{"peer", p->name}};
        return engine_say(e, c.id, tp->phone, in->to, TX_SHADOW_READ_ONLY, v, NVARS(v));
    }
    cut_text = strndup(text, engine_relay_len(text, &cut));
    if (!cut_text)
        return -1;
    {
        /* A system text, not a relay: never merged into a text of the texter's waiting to go. */
        struct text_var v[] = {{"trainee", tp->name}, {"text", cut_text}};
        rc = engine_render(e, TX_SUGGESTION, engine_lang_of(e, p->phone), v, NVARS(v), &b) ||
             engine_send(e, c.id, p->phone, c.peer_number, OUT_SYSTEM, b.p, 0);
    }
    free(cut_text);
    buf_free(&b);
    if (rc)
        return -1;
    log_info("shadow.suggestion", "conv=%lld trainee=%s", (long long)c.id, tp->id);
    {
        struct text_var v[] = {{"peer", p->name}};
        return engine_say(e, c.id, tp->phone, in->to, TX_SUGGESTION_SENT, v, NVARS(v));
    }
}

int engine_shadow_command(struct engine *e, const struct store_inbound *in,
                          const struct roster_peer *tp, const struct command *cmd)
{
    struct store_shadow sh;
    int rc, here;

    if (!tp->trainee)
        return 1; /* only trainees read along (a former one's copy ended with the roster) */
    rc = store_shadow_of_trainee(e->st, tp->id, &sh);
    if (rc == STORE_ERROR)
        return -1;
    here = rc == STORE_FOUND && !strcmp(sh.number, in->to);
    if (cmd && cmd->cmd == CMD_UNSHADOW) {
        if (rc == STORE_FOUND)
            return end_shadow(e, &sh, SHADOW_END_UNSHADOW);
        return engine_say(e, 0, tp->phone, in->to, TX_NOT_SHADOWING, NULL, 0);
    }
    if (cmd && cmd->cmd == CMD_SUGGEST) {
        if (here)
            return suggest(e, tp, &sh, in);
        return engine_say(e, 0, tp->phone, in->to, TX_SUGGEST_WHERE, NULL, 0);
    }
    if (!here)
        return 1; /* not about a copy: the usual answers */
    /* HELP works everywhere (SPEC 5.1), a copy's thread too: the trainee's command list. */
    if (!cmd && command_keyword(in->body) == KW_HELP)
        return 1;
    /* #on, #off, #status and #help are theirs as anywhere; nothing else goes past a copy. */
    if (cmd && (cmd->cmd == CMD_ON || cmd->cmd == CMD_OFF || cmd->cmd == CMD_STATUS ||
                cmd->cmd == CMD_HELP || cmd->cmd == CMD_UNKNOWN))
        return 1;
    {
        struct store_conv c;
        const struct roster_peer *p = NULL;

        rc = store_conv_get(e->st, sh.conv_id, &c);
        if (rc == STORE_ERROR)
            return -1;
        if (rc == STORE_FOUND)
            p = roster_peer_by_id(e->roster, c.peer_id);
        {
            int es = !strcmp(engine_lang_of(e, tp->phone), "es");
            struct text_var v[] = {{"peer", p ? p->name : es ? "el par" : "the peer"}};
            return engine_say(e, sh.conv_id, tp->phone, in->to, TX_SHADOW_READ_ONLY, v, NVARS(v));
        }
    }
}

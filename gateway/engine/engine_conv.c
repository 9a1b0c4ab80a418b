/*
 * engine_conv.c - a conversation's lifecycle, shared by every part of the
 * engine: closing a chat (withdrawing an offer, freeing the peer's number,
 * clearing its timers), the check-in a peer gets after an urgent chat, the
 * rating question after it ends, putting a
 * texter in line and telling them their place with an honest wait, the
 * clocks of a chat that went back to the line, and setting a peer off.
 *
 * It sits below the engine's parts (texter, peer, timer, safety, admin)
 * and above engine_out.c and engine_match.c; it calls none of those parts.
 */
#include "engine_priv.h"
#include "buf.h"
#include "command.h"
#include "config.h"
#include "log.h"
#include "roster.h"
#include "schedule.h"
#include "store.h"
#include "texts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int engine_offer_debrief(struct engine *e, const struct store_conv *c, const char *peer_id,
                         int after_last_word)
{
    const struct roster_peer *p = roster_peer_by_id(e->roster, peer_id);
    char ref[COMMAND_REF_MAX];
    int rc;

    /* A coordinator's stand-in is one of those who would be asked. */
    if (!c->urgent || !p || p->id[0] == '@')
        return 0;
    /*
     * After the texter's BYE in a chat held on the line number itself (no
     * pool), the check-in would come in the chat's own thread, where a
     * reply that is not a # command is the chat's last word, relayed to the
     * texter. It waits until that window has closed.
     */
    if (after_last_word && e->cfg->endings.last_word > 0 &&
        !strcmp(c->peer_number, e->cfg->provider.line_number))
        return store_timer_set(e->st, TIMER_DEBRIEF, c->id,
                               e->now + e->cfg->endings.last_word + 1000, 0)
                   ? -1
                   : 0;
    rc = store_debrief_offered(e->st, p->id, c->id);
    if (rc != STORE_OK)
        return rc == STORE_FOUND ? 0 : -1;
    if (store_debrief_add(e->st, p->id, c->id, "offered", e->now))
        return -1;
    command_ref_format(c->id, ref);
    log_info("debrief.offered", "conv=%lld peer=%s", (long long)c->id, p->id);
    {
        struct text_var v[] = {{"ref", ref}};
        return engine_say(e, 0, p->phone, e->cfg->provider.line_number, TX_DEBRIEF_OFFER, v,
                          NVARS(v));
    }
}

/*
 * Closes c whatever its open state, withdrawing an open offer and freeing
 * the peer's number. Telling the two sides is the caller's business; the
 * peer of an urgent chat that was active gets the check-in.
 */
int engine_close_conv(struct engine *e, const struct store_conv *c, const char *reason)
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
    if (store_conv_close(e->st, c->id, c->state, reason, e->now) ||
        store_timer_clear_all(e->st, c->id) ||
        (c->state == CONV_ACTIVE && engine_shadow_end(e, c->id, SHADOW_END_CLOSED)))
        return -1;
    if (c->peer_id[0]) {
        if (store_peer_number_used(e->st, c->peer_id, c->peer_number, e->now))
            return -1;
        if (c->state == CONV_ACTIVE && store_peer_conversation_ended(e->st, c->peer_id, e->now))
            return -1;
        if (c->state == CONV_ACTIVE &&
            engine_offer_debrief(e, c, c->peer_id, !strcmp(reason, "texter-bye")))
            return -1;
    }
    log_info("conversation.closed", "conv=%lld reason=%s from=%s", (long long)c->id, reason,
             store_conv_state_name(c->state));
    return 0;
}

int engine_close_by_line(struct engine *e, const struct store_conv *c, const char *reason)
{
    const struct roster_peer *p = c->peer_id[0] ? roster_peer_by_id(e->roster, c->peer_id) : NULL;

    if (engine_close_conv(e, c, reason))
        return -1;
    if (p && c->state == CONV_ACTIVE)
        return engine_say(e, c->id, p->phone, c->peer_number, TX_CLOSED_BY_LINE, NULL, 0);
    if (p && c->state == CONV_OFFERED)
        return engine_say(e, c->id, p->phone, c->peer_number, TX_OFFER_WITHDRAWN, NULL, 0);
    return 0;
}

/*
 * After a chat with a peer ends (BYE, #end, quiet), the one-question rating,
 * when endings.rating is on. Not after an urgent chat: someone who was in
 * danger is not asked to grade it.
 */
int engine_ask_rating(struct engine *e, const struct store_conv *c)
{
    if (!e->cfg->endings.rating || c->urgent)
        return 0;
    if (store_conv_rating_asked(e->st, c->id, e->now))
        return -1;
    return engine_say(e, c->id, c->texter, c->line_number, TX_RATING_ASK, NULL, 0);
}

/* Puts c in line for topic t and tells the texter their place. */
int engine_queue(struct engine *e, const struct store_conv *c, int t)
{
    const struct roster *r = e->roster;

    if (store_conv_queue(e->st, c->id, r->topics[t].id, e->now) ||
        store_timer_set(e->st, TIMER_QUEUE_UPDATE, c->id, e->now + e->cfg->timers.queue_update,
                        0) ||
        store_timer_set(e->st, TIMER_MAX_WAIT, c->id, e->now + e->cfg->timers.max_wait, 0))
        return -1;
    log_info("conversation.queued", "conv=%lld topic=%s", (long long)c->id, r->topics[t].id);
    return engine_tell_place(e, c, 1, NULL);
}

/* Recent waits are an honest estimate only with at least this many of them... */
#define ESTIMATE_MIN_SAMPLES 3
/* ...from the last this many matches, within this long. */
#define ESTIMATE_SAMPLES 25
#define ESTIMATE_WINDOW  (24LL * 3600 * 1000)

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

/* The median of recent waits for the topic, or -1 when there are too few to say. */
static int64_t recent_wait(struct engine *e, const char *topic)
{
    int64_t waits[ESTIMATE_SAMPLES];
    int n = 0;

    if (store_conv_recent_waits(e->st, topic, e->now - ESTIMATE_WINDOW, waits, ESTIMATE_SAMPLES,
                                &n) ||
        n < ESTIMATE_MIN_SAMPLES)
        return -1;
    qsort(waits, (size_t)n, sizeof(waits[0]), cmp_i64);
    return waits[n / 2];
}

/* While no one is on shift, a waiting texter hears from us at most this often. */
#define QUIET_UPDATES (60LL * 60 * 1000)

int engine_tell_place(struct engine *e, const struct store_conv *c, int first, int64_t *next)
{
    const struct roster *r = e->roster;
    struct store_conv now;
    struct buf b = BUF_INIT(0);
    char pos[16], when[32], wait[32];
    int64_t start = INT64_MAX, median;
    int position = 0, covered, rc = -1;
    enum text_id id;

    if (store_conv_get(e->st, c->id, &now) != STORE_FOUND ||
        store_conv_queue_position(e->st, &now, &position))
        return -1;
    covered = engine_coverage(e, &now, &start);
    if (covered < 0)
        return -1;
    if (next) {
        /* With no one on shift, every few minutes would only repeat "no one": hourly, or at the
         * next shift. */
        int64_t quiet = start < e->now + QUIET_UPDATES ? start : e->now + QUIET_UPDATES;
        *next = e->now + e->cfg->timers.queue_update;
        if (!covered && quiet > *next)
            *next = quiet;
    }
    snprintf(pos, sizeof(pos), "%d", position);
    when[0] = wait[0] = '\0';
    median = covered ? recent_wait(e, now.topic) : -1;
    if (!covered && start != INT64_MAX) {
        engine_format_minutes(start - e->now, now.lang, when, sizeof(when));
        id = first ? TX_QUEUED_NO_SHIFT : TX_UPDATE_NO_SHIFT;
    } else if (!covered) {
        id = first ? TX_QUEUED_NO_ONE : TX_UPDATE_NO_ONE;
    } else if (median >= 0) {
        engine_format_minutes(median, now.lang, wait, sizeof(wait));
        id = first ? TX_QUEUED_ESTIMATE : TX_QUEUE_UPDATE_ESTIMATE;
    } else {
        id = first ? TX_QUEUED : TX_QUEUE_UPDATE;
    }
    {
        struct text_var v[] = {{"position", pos},
                               {"topic", engine_topic_label(r, now.topic)},
                               {"when", when},
                               {"wait", wait}};
        if (engine_render(e, id, texts_lang(e->texts, now.lang), v, NVARS(v), &b))
            goto done;
    }
    if (first) {
        rc = engine_send(e, now.id, now.texter, now.line_number, OUT_SYSTEM, b.p, 0);
    } else {
        int replaced = 0;
        /* Updates merge: a newer one replaces the last if it has not gone yet. */
        rc = store_outbox_replace_notice(e->st, now.texter, now.line_number, b.p, &replaced);
        if (!rc && !replaced)
            rc = engine_send(e, now.id, now.texter, now.line_number, OUT_NOTICE, b.p, 0);
    }
done:
    buf_free(&b);
    return rc;
}

int engine_requeued(struct engine *e, int64_t conv_id)
{
    if (engine_shadow_end(e, conv_id, SHADOW_END_REQUEUED) ||
        store_timer_clear(e->st, TIMER_OFFER, conv_id) ||
        store_timer_clear(e->st, TIMER_IDLE, conv_id) ||
        store_timer_clear(e->st, TIMER_PEER_SILENCE, conv_id))
        return -1;
    return store_timer_set(e->st, TIMER_QUEUE_UPDATE, conv_id, e->now + e->cfg->timers.queue_update,
                           0);
}

/* ---- availability ---- */

int engine_set_off(struct engine *e, const struct roster_peer *p, int64_t *until)
{
    int64_t s, end, u = INT64_MAX;

    /* Off for the rest of this shift, or if off shift now, for the next one. */
    if (schedule_shift_at(p, e->now, &s, &end))
        u = end;
    if (until)
        *until = u;
    return store_peer_set_manual(e->st, p->id, PEER_MANUAL_OFF, u);
}

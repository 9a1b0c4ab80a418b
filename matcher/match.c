/*
 * match.c - see match.h.
 *
 * Candidates are gathered in tiers: fresh peers who cover the topic (or
 * crisis-trained peers, for urgent texters), then fresh general peers, then
 * the peers who were already tried. The first non-empty tier is sorted by
 * the preferences and returned.
 */
#include "match.h"
#include "roster.h"
#include "schedule.h"

#include <stdlib.h>

const char *match_reason_text(enum match_reason r)
{
    switch (r) {
    case MATCH_OK:
        return "can be offered";
    case MATCH_SELF:
        return "is the texter";
    case MATCH_NOT_TRAINED:
        return "training expired";
    case MATCH_MANUAL_OFF_NOW:
        return "set off (#off)";
    case MATCH_OFF_SHIFT:
        return "off shift";
    case MATCH_LANGUAGE:
        return "does not speak the language";
    case MATCH_TOPIC:
        return "does not cover the topic";
    case MATCH_TRANSFERRED:
        return "transferred this texter";
    case MATCH_HAS_OFFER:
        return "has an offer waiting";
    case MATCH_FULL:
        return "at capacity";
    case MATCH_NO_NUMBER:
        return "no free number";
    case MATCH_COOLDOWN:
        return "in cooldown";
    case MATCH_TRIED:
        return "already passed or missed this texter";
    }
    return "?";
}

static int available(const struct match_ctx *ctx, const struct roster_peer *rp,
                     const struct match_peer *mp, enum match_reason *why)
{
    if (mp->manual != MATCH_MANUAL_NONE && ctx->now < mp->manual_until) {
        if (mp->manual == MATCH_MANUAL_ON)
            return 1;
        *why = MATCH_MANUAL_OFF_NOW;
        return 0;
    }
    if (schedule_on_shift(rp, ctx->now))
        return 1;
    *why = MATCH_OFF_SHIFT;
    return 0;
}

static enum match_reason check_peer(const struct match_ctx *ctx, size_t i,
                                    const struct match_texter *t, const struct match_peer *mp,
                                    int *general)
{
    const struct roster_peer *rp = &ctx->roster->peers[i];
    enum match_reason why = MATCH_OK;
    int cap;

    *general = 0;
    if (t->self == (int)i)
        return MATCH_SELF;
    if (!schedule_trained(rp, ctx->now))
        return MATCH_NOT_TRAINED;
    if (!available(ctx, rp, mp, &why))
        return why;
    if (t->lang < 0 || t->lang >= 64 || !(rp->langs & (1ull << t->lang)))
        return MATCH_LANGUAGE;
    if (!roster_peer_covers(rp, t->topic) && !(t->urgent && rp->crisis_trained)) {
        if (ctx->roster->general >= 0 && roster_peer_covers(rp, ctx->roster->general))
            *general = 1;
        else
            return MATCH_TOPIC;
    }
    if (t->transferred_by == (int)i)
        return MATCH_TRANSFERRED;
    if (mp->has_offer)
        return MATCH_HAS_OFFER;
    cap = rp->max_conversations < mp->numbers_usable ? rp->max_conversations : mp->numbers_usable;
    if (mp->open >= cap)
        return MATCH_FULL;
    if (mp->numbers_free <= 0)
        return MATCH_NO_NUMBER;
    if (mp->last_end && ctx->now - mp->last_end < ctx->cooldown)
        return MATCH_COOLDOWN;
    return MATCH_OK;
}

enum match_reason match_check(const struct match_ctx *ctx, size_t i, const struct match_texter *t,
                              int *general)
{
    return check_peer(ctx, i, t, &ctx->peers[i], general);
}

static int was_tried(const struct match_texter *t, int peer)
{
    size_t k;

    for (k = 0; k < t->ntried; k++)
        if (t->tried[k] == peer)
            return 1;
    return 0;
}

/* Sorting needs the context; qsort has no argument, so sort indices by hand. */
struct rank {
    int peer;
    int key[4]; /* smaller is better, compared in order; then last_end, then peer */
    int64_t last_end;
};

static int rank_less(const struct rank *a, const struct rank *b)
{
    int k;

    for (k = 0; k < 4; k++)
        if (a->key[k] != b->key[k])
            return a->key[k] < b->key[k];
    if (a->last_end != b->last_end)
        return a->last_end < b->last_end;
    return a->peer < b->peer;
}

static void rank_sort(struct rank *r, size_t n)
{
    size_t i, j;

    /* Insertion sort: stable, and candidate lists are short in practice. */
    for (i = 1; i < n; i++) {
        struct rank x = r[i];
        for (j = i; j > 0 && rank_less(&x, &r[j - 1]); j--)
            r[j] = r[j - 1];
        r[j] = x;
    }
}

static size_t candidates(const struct match_ctx *ctx, const struct match_texter *t,
                         const struct match_peer *peers, int *out)
{
    const struct roster *ro = ctx->roster;
    struct rank stack[64], *r = stack;
    size_t i, n = 0, tier_n[3] = {0, 0, 0};
    int tier, chosen = -1;

    if (ro->npeers > 64) {
        r = malloc(ro->npeers * sizeof(*r));
        if (!r)
            return 0;
    }
    /* First pass: count each tier, to know which one is used. */
    for (i = 0; i < ro->npeers; i++) {
        int general;
        if (check_peer(ctx, i, t, &peers[i], &general) != MATCH_OK)
            continue;
        tier = was_tried(t, (int)i) ? 2 : general;
        tier_n[tier]++;
    }
    for (tier = 0; tier < 3; tier++) {
        if (tier_n[tier]) {
            chosen = tier;
            break;
        }
    }
    if (chosen < 0)
        goto done;
    for (i = 0; i < ro->npeers; i++) {
        const struct roster_peer *rp = &ro->peers[i];
        int general;

        if (check_peer(ctx, i, t, &peers[i], &general) != MATCH_OK)
            continue;
        tier = was_tried(t, (int)i) ? 2 : general;
        if (tier != chosen)
            continue;
        r[n].peer = (int)i;
        r[n].key[0] = t->urgent && !rp->crisis_trained;
        r[n].key[1] =
            !(t->last_peer == (int)i && ctx->now - t->last_peer_at <= ctx->rematch_window);
        /* Exact topic, then (urgent only) crisis-trained outside it, then general. */
        r[n].key[2] = general ? 2 : !roster_peer_covers(rp, t->topic);
        r[n].key[3] = peers[i].open;
        r[n].last_end = peers[i].last_end;
        n++;
    }
    rank_sort(r, n);
    for (i = 0; i < n; i++)
        out[i] = r[i].peer;
done:
    if (r != stack)
        free(r);
    return n;
}

size_t match_candidates(const struct match_ctx *ctx, const struct match_texter *t, int *out)
{
    return candidates(ctx, t, ctx->peers, out);
}

static int texter_before(const struct match_texter *a, const struct match_texter *b)
{
    if (a->urgent != b->urgent)
        return a->urgent > b->urgent;
    if (a->queued_at != b->queued_at)
        return a->queued_at < b->queued_at;
    return a->id < b->id;
}

size_t match_assign(const struct match_ctx *ctx, const struct match_texter *texters, size_t n,
                    struct match_peer *scratch, struct match_pair *out)
{
    size_t *order, i, j, npairs = 0;
    int *cand;

    order = malloc((n ? n : 1) * sizeof(*order));
    cand = malloc((ctx->roster->npeers ? ctx->roster->npeers : 1) * sizeof(*cand));
    if (!order || !cand)
        goto done;
    for (i = 0; i < ctx->roster->npeers; i++)
        scratch[i] = ctx->peers[i];
    for (i = 0; i < n; i++) {
        size_t x = i;
        for (j = i; j > 0 && texter_before(&texters[x], &texters[order[j - 1]]); j--)
            order[j] = order[j - 1];
        order[j] = x;
    }
    for (i = 0; i < n; i++) {
        const struct match_texter *t = &texters[order[i]];
        int p;

        if (!candidates(ctx, t, scratch, cand))
            continue;
        p = cand[0];
        out[npairs].texter = order[i];
        out[npairs].peer = p;
        npairs++;
        scratch[p].has_offer = 1;
        scratch[p].open++;
        scratch[p].numbers_free--;
    }
done:
    free(order);
    free(cand);
    return npairs;
}

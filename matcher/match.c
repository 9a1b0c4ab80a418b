/*
 * match.c - see match.h.
 *
 * Candidates are gathered in tiers: fresh peers who cover the topic (or
 * crisis-trained peers, for urgent texters), then fresh general peers, then
 * the peers who were already tried. The first non-empty tier is ranked by
 * the preferences.
 *
 * Speed: a run first prepares (struct match_prep) what does not depend on
 * the texter: each peer's availability, with the wall clock converted once
 * per time zone rather than once per peer, and lists of the peers covering
 * each topic, of general peers and of crisis-trained peers. A decision then
 * looks only at those lists, and match_assign() keeps only the best
 * candidate instead of sorting them all.
 */
#include "match.h"
#include "roster.h"
#include "schedule.h"
#include "tz.h"

#include <stdlib.h>
#include <string.h>

/* What a decision reads of a roster peer, packed close together. */
struct pinfo {
    uint64_t langs;
    int max_conversations;
    unsigned char crisis;
};

struct match_prep {
    size_t npeers;
    unsigned char *status; /* per peer: MATCH_OK or the texter-independent reason */
    struct pinfo *info;    /* per peer */
    int **by_topic;        /* per topic: available peers covering it, -1 terminated */
    int *general;          /* available peers covering "general", -1 terminated */
    int *crisis;           /* available crisis-trained peers, -1 terminated */
    unsigned *seen;        /* per peer: the visit stamp, to consider each peer once */
    unsigned stamp;
    struct rank *ranks; /* scratch: room for every peer */
    struct rank *tmp;   /* scratch for rank_sort */
};

/*
 * A candidate's preference keys packed into one number that sorts the same
 * way: bit 63 urgent-but-not-crisis-trained, 62 not the last peer (in the
 * rematch window), 60-61 topic match (0 exact, 1 crisis-only, 2 general),
 * 52-59 open chats, 0-51 last_end in ms (until the year 142,000). Ties go
 * to roster order.
 */
struct rank {
    int peer;
    int tier; /* 0 fresh exact/crisis, 1 fresh general, 2 tried */
    uint64_t packed;
};

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
    case MATCH_TRAINEE:
        return "in training (reads along, never offered)";
    }
    return "?";
}

/* Training and time: whether the peer is at work now, whatever their role. */
static enum match_reason available(const struct roster_peer *rp, const struct match_peer *mp,
                                   int64_t now, const struct tz_local *lt)
{
    if (!schedule_trained_local(rp, lt))
        return MATCH_NOT_TRAINED;
    if (mp->manual != MATCH_MANUAL_NONE && now < mp->manual_until)
        return mp->manual == MATCH_MANUAL_ON ? MATCH_OK : MATCH_MANUAL_OFF_NOW;
    return schedule_on_shift_local(rp, lt) ? MATCH_OK : MATCH_OFF_SHIFT;
}

/* Role, training and availability: what does not depend on the texter. */
static enum match_reason peer_status(const struct match_ctx *ctx, const struct roster_peer *rp,
                                     const struct match_peer *mp, const struct tz_local *lt)
{
    if (rp->trainee)
        return MATCH_TRAINEE;
    return available(rp, mp, ctx->now, lt);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;

    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

enum match_reason match_available(const struct roster_peer *p, const struct match_peer *mp,
                                  int64_t now)
{
    struct tz_local lt;

    tz_to_local(p->tz, floor_div(now, 1000), &lt);
    return available(p, mp, now, &lt);
}

static enum match_reason status_now(const struct match_ctx *ctx, size_t i)
{
    struct tz_local lt;

    tz_to_local(ctx->roster->peers[i].tz, floor_div(ctx->now, 1000), &lt);
    return peer_status(ctx, &ctx->roster->peers[i], &ctx->peers[i], &lt);
}

static int in_list(const int *list, size_t n, int peer)
{
    size_t k;

    for (k = 0; k < n; k++)
        if (list[k] == peer)
            return 1;
    return 0;
}

static int was_tried(const struct match_texter *t, int peer)
{
    return in_list(t->tried, t->ntried, peer);
}

/* The transferring peer, or one in the exclusion list. */
static int excluded(const struct match_texter *t, int peer)
{
    return t->transferred_by == peer || in_list(t->excluded, t->nexcluded, peer);
}

/* Room for one more chat now: no offer waiting, under capacity, a free number, rested. */
static enum match_reason load_check(const struct match_ctx *ctx, const struct roster_peer *rp,
                                    const struct match_peer *mp)
{
    int cap =
        rp->max_conversations < mp->numbers_usable ? rp->max_conversations : mp->numbers_usable;

    if (mp->has_offer)
        return MATCH_HAS_OFFER;
    if (mp->open >= cap)
        return MATCH_FULL;
    if (mp->numbers_free <= 0)
        return MATCH_NO_NUMBER;
    if (mp->last_end && ctx->now - mp->last_end < ctx->cooldown)
        return MATCH_COOLDOWN;
    return MATCH_OK;
}

static enum match_reason check_peer(const struct match_ctx *ctx, size_t i,
                                    const struct match_texter *t, const struct match_peer *mp,
                                    enum match_reason status, int *general)
{
    const struct roster_peer *rp = &ctx->roster->peers[i];

    *general = 0;
    if (t->self == (int)i)
        return MATCH_SELF;
    if (status != MATCH_OK)
        return status;
    if (t->lang < 0 || t->lang >= 64 || !(rp->langs & (1ull << t->lang)))
        return MATCH_LANGUAGE;
    if (!roster_peer_covers(rp, t->topic) && !(t->urgent && rp->crisis_trained)) {
        if (ctx->roster->general >= 0 && roster_peer_covers(rp, ctx->roster->general))
            *general = 1;
        else
            return MATCH_TOPIC;
    }
    if (excluded(t, (int)i))
        return MATCH_TRANSFERRED;
    return load_check(ctx, rp, mp);
}

enum match_reason match_check(const struct match_ctx *ctx, size_t i, const struct match_texter *t,
                              int *general)
{
    enum match_reason st = ctx->prep ? (enum match_reason)ctx->prep->status[i] : status_now(ctx, i);

    return check_peer(ctx, i, t, &ctx->peers[i], st, general);
}

enum match_reason match_peer_ready(const struct match_ctx *ctx, size_t i)
{
    enum match_reason st = ctx->prep ? (enum match_reason)ctx->prep->status[i] : status_now(ctx, i);

    return st != MATCH_OK ? st : load_check(ctx, &ctx->roster->peers[i], &ctx->peers[i]);
}

int match_coverage(const struct match_ctx *ctx, const struct match_texter *t, int64_t *next_start)
{
    const struct roster *ro = ctx->roster;
    int64_t best = INT64_MAX;
    size_t i;

    for (i = 0; i < ro->npeers; i++) {
        const struct roster_peer *rp = &ro->peers[i];
        const struct match_peer *mp = &ctx->peers[i];
        int64_t from = ctx->now, s, e;

        if (t->self == (int)i || rp->trainee || t->lang < 0 || t->lang >= 64 ||
            !(rp->langs & (1ull << t->lang)) || excluded(t, (int)i))
            continue;
        if (!roster_peer_covers(rp, t->topic) && !(t->urgent && rp->crisis_trained) &&
            !(ro->general >= 0 && roster_peer_covers(rp, ro->general)))
            continue;
        if (!schedule_trained(rp, ctx->now))
            continue;
        if (status_now(ctx, i) == MATCH_OK)
            return 1;
        if (mp->manual == MATCH_MANUAL_OFF && mp->manual_until > ctx->now) {
            if (mp->manual_until == INT64_MAX)
                continue; /* off until they say otherwise */
            from = mp->manual_until;
        }
        if (!schedule_shift_at(rp, from, &s, &e))
            continue;
        if (s < from)
            s = from; /* on shift by then: available as soon as the #off ends */
        if (s < best)
            best = s;
    }
    *next_start = best;
    return 0;
}

/* ---- preparing a run ---- */

static int *peer_list(size_t n)
{
    int *l = malloc((n + 1) * sizeof(int));

    if (l)
        l[0] = -1;
    return l;
}

void match_prep_free(struct match_prep *p)
{
    size_t t;

    if (!p)
        return;
    free(p->status);
    if (p->by_topic)
        for (t = 0; p->by_topic[t]; t++)
            free(p->by_topic[t]);
    free(p->by_topic);
    free(p->general);
    free(p->crisis);
    free(p->seen);
    free(p->ranks);
    free(p->tmp);
    free(p->info);
    free(p);
}

struct match_prep *match_prepare(const struct match_ctx *ctx)
{
    const struct roster *r = ctx->roster;
    struct match_prep *p = calloc(1, sizeof(*p));
    const struct tz **zones = NULL;
    struct tz_local *locals = NULL;
    size_t i, t, k, nzones = 0, *fill = NULL, ngen = 0, ncri = 0;

    if (!p)
        return NULL;
    p->npeers = r->npeers;
    p->status = malloc(r->npeers + 1);
    p->seen = calloc(r->npeers + 1, sizeof(unsigned));
    p->ranks = malloc((r->npeers + 1) * sizeof(struct rank));
    p->tmp = malloc((r->npeers + 1) * sizeof(struct rank));
    p->info = calloc(r->npeers + 1, sizeof(struct pinfo));
    p->by_topic = calloc(r->ntopics + 1, sizeof(int *));
    p->general = peer_list(r->npeers);
    p->crisis = peer_list(r->npeers);
    fill = calloc(r->ntopics + 1, sizeof(size_t));
    zones = malloc((r->npeers + 1) * sizeof(*zones));
    locals = malloc((r->npeers + 1) * sizeof(*locals));
    if (!p->status || !p->seen || !p->ranks || !p->tmp || !p->info || !p->by_topic || !p->general ||
        !p->crisis || !fill || !zones || !locals)
        goto fail;
    for (t = 0; t < r->ntopics; t++)
        if (!(p->by_topic[t] = peer_list(r->npeers)))
            goto fail;
    for (i = 0; i < r->npeers; i++) {
        const struct roster_peer *rp = &r->peers[i];

        /* One wall-clock conversion per zone, not per peer. */
        for (k = 0; k < nzones && zones[k] != rp->tz; k++)
            ;
        if (k == nzones) {
            zones[nzones] = rp->tz;
            tz_to_local(rp->tz, floor_div(ctx->now, 1000), &locals[nzones]);
            nzones++;
        }
        p->status[i] = (unsigned char)peer_status(ctx, rp, &ctx->peers[i], &locals[k]);
        if (p->status[i] != MATCH_OK)
            continue; /* not a candidate for anyone in this run: left out of the lists */
        p->info[i].langs = rp->langs;
        p->info[i].max_conversations = rp->max_conversations;
        p->info[i].crisis = rp->crisis_trained != 0;
        for (k = 0; k < rp->ntopics; k++) {
            t = (size_t)rp->topics[k];
            p->by_topic[t][fill[t]++] = (int)i;
            p->by_topic[t][fill[t]] = -1;
        }
        if (r->general >= 0 && roster_peer_covers(rp, r->general)) {
            p->general[ngen++] = (int)i;
            p->general[ngen] = -1;
        }
        if (rp->crisis_trained) {
            p->crisis[ncri++] = (int)i;
            p->crisis[ncri] = -1;
        }
    }
    free(fill);
    free(zones);
    free(locals);
    return p;
fail:
    free(fill);
    free(zones);
    free(locals);
    match_prep_free(p);
    return NULL;
}

/* ---- one decision ---- */

static uint64_t pack(int urgent_untrained, int not_last, int match, int open, int64_t last_end)
{
    uint64_t o = open < 0 ? 0 : open > 255 ? 255 : (uint64_t)open;
    uint64_t end = last_end < 0 ? 0 : (uint64_t)last_end & ((1ull << 52) - 1);

    return (uint64_t)urgent_untrained << 63 | (uint64_t)not_last << 62 | (uint64_t)match << 60 |
           o << 52 | end;
}

static int rank_less(const struct rank *a, const struct rank *b)
{
    return a->packed != b->packed ? a->packed < b->packed : a->peer < b->peer;
}

/* Merge sort with the comparison inline; stable, n log n, no qsort callback. */
static void rank_sort(struct rank *a, struct rank *tmp, size_t n)
{
    struct rank *src = a, *dst = tmp, *sw;
    size_t w, lo, mid, hi, x, y, k;

    for (w = 1; w < n; w *= 2) {
        for (lo = 0; lo < n; lo += 2 * w) {
            mid = lo + w < n ? lo + w : n;
            hi = lo + 2 * w < n ? lo + 2 * w : n;
            x = lo, y = mid, k = lo;
            while (x < mid && y < hi)
                dst[k++] = rank_less(&src[y], &src[x]) ? src[y++] : src[x++];
            while (x < mid)
                dst[k++] = src[x++];
            while (y < hi)
                dst[k++] = src[y++];
        }
        sw = src, src = dst, dst = sw;
    }
    if (src != a)
        memcpy(a, src, n * sizeof(*a));
}

/*
 * Ranks the eligible peers of the best non-empty tier into prep->ranks, in
 * one pass over the lists of available peers. Which list a peer is first met
 * in says how it covers the topic: the topic's own list (exact), the
 * crisis-trained list (urgent texters only; crisis-only), the general list.
 * peers is the live state to judge by (the run's scratch in match_assign).
 */
static size_t rank_candidates(const struct match_ctx *ctx, struct match_prep *prep,
                              const struct match_texter *t, const struct match_peer *peers)
{
    const int *lists[3];
    int matches[3];
    size_t nlists = 0, l, n = 0, out = 0, k;
    int best = 3, j;

    if (t->topic < 0 || (size_t)t->topic >= ctx->roster->ntopics || t->lang < 0 || t->lang >= 64)
        return 0;
    lists[nlists] = prep->by_topic[t->topic];
    matches[nlists++] = 0;
    if (t->urgent) {
        lists[nlists] = prep->crisis;
        matches[nlists++] = 1;
    }
    lists[nlists] = prep->general;
    matches[nlists++] = 2;
    prep->stamp++;
    for (l = 0; l < nlists; l++) {
        for (j = 0; lists[l][j] >= 0; j++) {
            int i = lists[l][j], cap, tier;
            const struct pinfo *pi = &prep->info[i];
            const struct match_peer *mp = &peers[i];
            struct rank *rk;

            if (prep->seen[i] == prep->stamp)
                continue;
            prep->seen[i] = prep->stamp;
            /* check_peer(), minus what the lists and the prepared status settle. */
            if (t->self == i || !(pi->langs & (1ull << t->lang)) || mp->has_offer || excluded(t, i))
                continue;
            cap = pi->max_conversations < mp->numbers_usable ? pi->max_conversations
                                                             : mp->numbers_usable;
            if (mp->open >= cap || mp->numbers_free <= 0 ||
                (mp->last_end && ctx->now - mp->last_end < ctx->cooldown))
                continue;
            tier = was_tried(t, i) ? 2 : matches[l] == 2;
            if (tier > best)
                continue;
            best = tier;
            rk = &prep->ranks[n++];
            rk->peer = i;
            rk->tier = tier;
            rk->packed =
                pack(t->urgent && !pi->crisis,
                     !(t->last_peer == i && ctx->now - t->last_peer_at <= ctx->rematch_window),
                     matches[l], mp->open, mp->last_end);
        }
    }
    for (k = 0; k < n; k++)
        if (prep->ranks[k].tier == best)
            prep->ranks[out++] = prep->ranks[k];
    return out;
}

size_t match_candidates(const struct match_ctx *ctx, const struct match_texter *t, int *out)
{
    struct match_prep *own = ctx->prep ? NULL : match_prepare(ctx);
    struct match_prep *prep = ctx->prep ? ctx->prep : own;
    size_t i, n;

    if (!prep)
        return 0;
    n = rank_candidates(ctx, prep, t, ctx->peers);
    rank_sort(prep->ranks, prep->tmp, n);
    for (i = 0; i < n; i++)
        out[i] = prep->ranks[i].peer;
    match_prep_free(own);
    return n;
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
    struct match_prep *own = ctx->prep ? NULL : match_prepare(ctx);
    struct match_prep *prep = ctx->prep ? ctx->prep : own;
    size_t *order, i, j, npairs = 0;

    order = malloc((n ? n : 1) * sizeof(*order));
    if (!order || !prep)
        goto done;
    memcpy(scratch, ctx->peers, ctx->roster->npeers * sizeof(*scratch));
    for (i = 0; i < n; i++)
        order[i] = i;
    /* Insertion sort: stable and fast on the nearly sorted queue order. */
    for (i = 1; i < n; i++) {
        size_t x = order[i];
        for (j = i; j > 0 && texter_before(&texters[x], &texters[order[j - 1]]); j--)
            order[j] = order[j - 1];
        order[j] = x;
    }
    for (i = 0; i < n; i++) {
        const struct match_texter *t = &texters[order[i]];
        size_t k, nc = rank_candidates(ctx, prep, t, scratch), best = 0;
        int p;

        if (!nc)
            continue;
        for (k = 1; k < nc; k++)
            if (rank_less(&prep->ranks[k], &prep->ranks[best]))
                best = k;
        p = prep->ranks[best].peer;
        out[npairs].texter = order[i];
        out[npairs].peer = p;
        npairs++;
        scratch[p].has_offer = 1;
        scratch[p].open++;
        scratch[p].numbers_free--;
    }
done:
    free(order);
    match_prep_free(own);
    return npairs;
}

/*
 * engine_match.c - running the matcher over everyone waiting and making
 * the offers: the live state of each peer is read from the store, the pure
 * matcher (matcher/match.c) decides, and each offer goes out on the peer's
 * least recently used free number, in one transaction.
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
    size_t n = engine_conv_numbers(e->cfg, &numbers), i, best = (size_t)-1;
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
    engine_format_minutes(e->now - c.queued_at, wait, sizeof(wait));
    engine_format_minutes(e->cfg->timers.offer_timeout, expires, sizeof(expires));
    {
        struct text_var v[] = {{"kind", c.urgent ? "URGENT" : "New"},
                               {"topic", engine_topic_label(r, c.topic)},
                               {"lang", texts_language_name(c.lang)},
                               {"wait", wait},
                               {"expires", expires}};
        struct buf b = BUF_INIT(0);
        int rc = texts_render(TX_OFFER, "en", v, NVARS(v), &b) ||
                 engine_send_full(e, c.id, p->phone, number, OUT_OFFER, b.p, 0, until, 0);
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
int engine_match(struct engine *e, int64_t *next_due)
{
    const struct roster *r = e->roster;
    struct match_build mb = {.e = e, .next_change = INT64_MAX};
    struct match_peer *scratch = NULL;
    struct match_pair *pairs = NULL;
    const char *const *numbers;
    size_t nnum = engine_conv_numbers(e->cfg, &numbers), i, npairs;
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
        struct match_ctx ctx = {
            r, mb.peers, e->now, e->cfg->timers.cooldown, e->cfg->timers.rematch_window, NULL};
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

/*
 * engine_match.c - running the matcher over everyone waiting and making
 * the offers: the live state of each peer is read from the store, the pure
 * matcher (matcher/match.c) decides, and each offer goes out on the peer's
 * least recently used free number, in one transaction with its timer.
 */
#include "engine_priv.h"
#include "buf.h"
#include "config.h"
#include "log.h"
#include "match.h"
#include "roster.h"
#include "store.h"
#include "texts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the peers' live state ---- */

struct state_ctx {
    struct engine *e;
    struct match_peer *mp;
    int64_t next_change; /* earliest cooldown or manual state end */
};

static int add_open(void *arg, const struct store_conv *c)
{
    struct state_ctx *sc = arg;
    int i = roster_peer_index(sc->e->roster, roster_peer_by_id(sc->e->roster, c->peer_id));

    if (i < 0)
        return 0;
    sc->mp[i].open++;
    sc->mp[i].numbers_free--;
    if (c->state == CONV_OFFERED)
        sc->mp[i].has_offer = 1;
    return 0;
}

static int add_state(void *arg, const struct store_peer_state *ps)
{
    struct state_ctx *sc = arg;
    int i = roster_peer_index(sc->e->roster, roster_peer_by_id(sc->e->roster, ps->peer_id));
    struct match_peer *mp;
    int64_t cool_end, now = sc->e->now;

    if (i < 0)
        return 0;
    mp = &sc->mp[i];
    mp->manual = ps->manual == PEER_MANUAL_ON    ? MATCH_MANUAL_ON
                 : ps->manual == PEER_MANUAL_OFF ? MATCH_MANUAL_OFF
                                                 : MATCH_MANUAL_NONE;
    mp->manual_until = ps->manual_until;
    mp->last_end = ps->last_end;
    cool_end = ps->last_end + sc->e->cfg->timers.cooldown;
    if (ps->last_end && cool_end > now && cool_end < sc->next_change)
        sc->next_change = cool_end;
    if (ps->manual != PEER_MANUAL_NONE && ps->manual_until > now &&
        ps->manual_until < sc->next_change)
        sc->next_change = ps->manual_until;
    return 0;
}

struct optout_count {
    const struct config *cfg;
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
        if (!strcmp(config_optout_scope(oc->cfg, oc->numbers[i]), scope))
            oc->n++;
    return 0;
}

int engine_peer_states(struct engine *e, struct match_peer *mp, int64_t *next_change)
{
    const struct roster *r = e->roster;
    struct state_ctx sc = {e, mp, INT64_MAX};
    const char *const *numbers;
    size_t nnum = engine_conv_numbers(e->cfg, &numbers), i;

    memset(mp, 0, r->npeers * sizeof(*mp));
    for (i = 0; i < r->npeers; i++) {
        struct optout_count oc = {e->cfg, numbers, nnum, 0};
        if (store_optout_scopes(e->st, r->peers[i].phone, count_optout, &oc))
            return -1;
        mp[i].numbers_usable = (int)nnum - oc.n;
        mp[i].numbers_free = mp[i].numbers_usable;
    }
    if (store_conv_open_list(e->st, add_open, &sc) || store_peer_state_list(e->st, add_state, &sc))
        return -1;
    if (!e->cfg->provider.npool) {
        /*
         * The line number is their only number: while they are a texter on it
         * themselves, a chat as a peer on it would mix the two threads.
         */
        for (i = 0; i < r->npeers; i++) {
            struct store_conv c;
            int rc = store_conv_open_by_texter(e->st, r->peers[i].phone, &c);
            if (rc == STORE_ERROR)
                return -1;
            if (rc == STORE_FOUND)
                mp[i].numbers_free = 0;
        }
    }
    if (next_change)
        *next_change = sc.next_change;
    return 0;
}

/* ---- the waiting texters ---- */

/*
 * Who has already been offered this texter. A peer who handed the chat back
 * is never offered it again; one who passed or let the offer lapse waits
 * offer_timeout before they may be asked again (and then only if no one else
 * can take it), so a lone peer is not asked again and again.
 */
struct tried_ctx {
    struct engine *e;
    int *tried, *excluded;
    size_t ntried, nexcluded, cap;
    int64_t again_at; /* earliest time a recently tried peer may be asked again */
};

static int add_tried(void *arg, const char *peer_id, int handed_back, int64_t at)
{
    struct tried_ctx *tc = arg;
    const struct roster *r = tc->e->roster;
    int i = roster_peer_index(r, roster_peer_by_id(r, peer_id));
    int64_t again = at + tc->e->cfg->timers.offer_timeout;

    if (i < 0 || tc->ntried >= tc->cap || tc->nexcluded >= tc->cap)
        return 0;
    if (handed_back || again > tc->e->now) {
        tc->excluded[tc->nexcluded++] = i;
        if (!handed_back && again < tc->again_at)
            tc->again_at = again;
    } else {
        tc->tried[tc->ntried++] = i;
    }
    return 0;
}

/*
 * The matcher's view of a waiting conversation. *lists gets the one malloc'd
 * block that t's tried and excluded lists point into: the caller frees it
 * when done with t. *again_at (if given) is lowered to when a recently tried
 * peer may be asked again.
 */
static int texter_view(struct engine *e, const struct store_conv *c, struct match_texter *t,
                       int **lists, int64_t *again_at)
{
    const struct roster *r = e->roster;
    struct tried_ctx tc = {e, NULL, NULL, 0, 0, r->npeers, INT64_MAX};
    char last[STORE_ID];
    int64_t at;
    int rc;

    memset(t, 0, sizeof(*t));
    t->id = c->id;
    t->topic = roster_topic_index(r, c->topic);
    if (t->topic < 0) /* the topic left the roster: anyone covering general may take it */
        t->topic = r->general >= 0 ? r->general : 0;
    /* -1 when no peer speaks it: no one is offered the chat, and the texter is told so. */
    t->lang = roster_lang_index(r, c->lang[0] ? c->lang : "en");
    t->urgent = c->urgent;
    t->queued_at = c->queued_at;
    t->last_peer = -1;
    rc = store_contact_last_peer(e->st, c->texter, last, &at);
    if (rc == STORE_ERROR)
        return -1;
    if (rc == STORE_FOUND && (t->last_peer = roster_peer_index(r, roster_peer_by_id(r, last))) >= 0)
        t->last_peer_at = at;
    t->transferred_by =
        c->transferred_by[0] ? roster_peer_index(r, roster_peer_by_id(r, c->transferred_by)) : -1;
    t->self = roster_peer_index(r, roster_peer_by_phone(r, c->texter));
    tc.tried = malloc((2 * r->npeers + 2) * sizeof(int));
    if (!tc.tried)
        return -1;
    tc.excluded = tc.tried + r->npeers + 1;
    if (store_offer_tried(e->st, c->id, add_tried, &tc)) {
        free(tc.tried);
        return -1;
    }
    t->tried = tc.tried;
    t->ntried = tc.ntried;
    t->excluded = tc.excluded;
    t->nexcluded = tc.nexcluded;
    if (again_at && tc.again_at < *again_at)
        *again_at = tc.again_at;
    *lists = tc.tried;
    return 0;
}

int engine_coverage(struct engine *e, const struct store_conv *c, int64_t *next_start)
{
    const struct roster *r = e->roster;
    struct match_peer *mp = calloc(r->npeers ? r->npeers : 1, sizeof(*mp));
    struct match_texter t;
    int *lists = NULL, rc = -1;

    if (mp && !engine_peer_states(e, mp, NULL) && !texter_view(e, c, &t, &lists, NULL)) {
        struct match_ctx ctx = {
            r, mp, e->now, e->cfg->timers.cooldown, e->cfg->timers.rematch_window, NULL};
        rc = match_coverage(&ctx, &t, next_start);
    }
    free(lists);
    free(mp);
    return rc;
}

struct queue_ctx {
    struct engine *e;
    struct match_texter *texters;
    int64_t *conv_ids;
    int **tried; /* each texter's tried/excluded block */
    size_t n, cap;
    int64_t again_at; /* when a recently tried peer may be asked again */
};

static int add_texter(void *arg, const struct store_conv *c)
{
    struct queue_ctx *q = arg;

    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 16;
        void *a = realloc(q->texters, cap * sizeof(*q->texters));
        void *b = a ? realloc(q->conv_ids, cap * sizeof(*q->conv_ids)) : NULL;
        void *d = b ? realloc(q->tried, cap * sizeof(*q->tried)) : NULL;
        if (a)
            q->texters = a;
        if (b)
            q->conv_ids = b;
        if (d)
            q->tried = d;
        if (!a || !b || !d)
            return -1;
        q->cap = cap;
    }
    if (texter_view(q->e, c, &q->texters[q->n], &q->tried[q->n], &q->again_at))
        return -1;
    q->conv_ids[q->n++] = c->id;
    return 0;
}

static void free_queue(struct queue_ctx *q)
{
    size_t i;

    for (i = 0; i < q->n; i++)
        free(q->tried[i]);
    free(q->tried);
    free(q->texters);
    free(q->conv_ids);
}

/* ---- offers ---- */

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

int engine_pick_number(struct engine *e, const struct roster_peer *p, char out[STORE_NUM])
{
    const char *const *numbers;
    size_t n = engine_conv_numbers(e->cfg, &numbers), i, best = (size_t)-1;
    int64_t *last = calloc(n, sizeof(int64_t));
    struct lru_ctx lc = {numbers, n, last};
    struct store_conv c;
    struct store_shadow sh;
    int rc = -1, shadow;

    if (!last || store_peer_numbers(e->st, p->id, note_lru, &lc))
        goto done;
    /*
     * The number a trainee reads a chat along on is theirs too (engine_shadow.c);
     * with no trainee on the roster no copy is open (engine_shadow_roster).
     */
    shadow = e->trainees ? store_shadow_of_trainee(e->st, p->id, &sh) : STORE_OK;
    if (shadow == STORE_ERROR)
        goto done;
    for (i = 0; i < n; i++) {
        if (shadow == STORE_FOUND && !strcmp(sh.number, numbers[i]))
            continue;
        int r1 = store_conv_by_peer_number(e->st, p->id, numbers[i], &c);
        int r2 = store_optout_check(e->st, config_optout_scope(e->cfg, numbers[i]), p->phone);
        /* A number still open for a last word after BYE is not given to a new chat yet. */
        int r3 = store_conv_last_word(e->st, p->id, numbers[i], e->now, &c);
        if (r1 == STORE_ERROR || r2 == STORE_ERROR || r3 == STORE_ERROR)
            goto done;
        if (r1 == STORE_FOUND || r2 == STORE_FOUND || r3 == STORE_FOUND)
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

/* Offers c to peer p: on a fresh number, with its expiry timer; never any message text. */
static int make_offer(struct engine *e, const struct roster_peer *p, int64_t conv_id)
{
    const struct roster *r = e->roster;
    struct store_conv c;
    char number[STORE_NUM], wait[32], expires[32];
    const char *lang;
    int64_t until = e->now + e->cfg->timers.offer_timeout;
    struct buf b = BUF_INIT(0);
    int rc;

    if (store_conv_get(e->st, conv_id, &c) != STORE_FOUND || c.state != CONV_QUEUED)
        return 0;
    if (engine_pick_number(e, p, number))
        return 0; /* the matcher's count and the store disagree: skip this round */
    if (store_conv_offer(e->st, c.id, p->id, number) ||
        store_offer_create(e->st, c.id, p->id, number, e->now, until) ||
        store_timer_set(e->st, TIMER_OFFER, c.id, until, 0))
        return -1;
    lang = engine_lang_of(e, p->phone);
    engine_format_minutes(e->now - c.queued_at, lang, wait, sizeof(wait));
    engine_format_minutes(e->cfg->timers.offer_timeout, lang, expires, sizeof(expires));
    {
        struct text_var v[] = {{"topic", engine_topic_label(r, c.topic)},
                               {"lang", texts_language_name(c.lang, lang)},
                               {"wait", wait},
                               {"expires", expires}};
        /* The provider is told its useful life: an offer past its timeout is never late-delivered.
         */
        rc = engine_render(e, c.urgent ? TX_OFFER_URGENT : TX_OFFER, lang, v, NVARS(v), &b) ||
             engine_send_full(e, c.id, p->phone, number, OUT_OFFER, b.p, 0, until, 0);
    }
    buf_free(&b);
    if (rc)
        return -1;
    log_info("offer.made", "conv=%lld peer=%s", (long long)c.id, p->id);
    return 0;
}

int engine_match(struct engine *e, int64_t *next_due)
{
    const struct roster *r = e->roster;
    struct queue_ctx q = {.e = e, .again_at = INT64_MAX};
    struct match_peer *peers = NULL, *scratch = NULL;
    struct match_pair *pairs = NULL;
    int64_t next_change = INT64_MAX;
    size_t i, npairs;
    int ret = -1;

    /* A look first: with no one in line, no write lock is taken for nothing. */
    switch (store_conv_queue_any(e->st)) {
    case 0:
        ret = 0;
        goto done;
    case STORE_ERROR:
        goto done;
    }
    peers = calloc(r->npeers ? r->npeers : 1, sizeof(*peers));
    scratch = calloc(r->npeers ? r->npeers : 1, sizeof(*scratch));
    if (!peers || !scratch)
        goto done;
    if (store_begin(e->st))
        goto done;
    if (store_conv_queue_list(e->st, add_texter, &q))
        goto rollback;
    if (!q.n) {
        ret = 0;
        goto rollback; /* nothing to write */
    }
    if (engine_peer_states(e, peers, &next_change))
        goto rollback;
    {
        struct match_ctx ctx = {
            r, peers, e->now, e->cfg->timers.cooldown, e->cfg->timers.rematch_window, NULL};
        pairs = calloc(q.n, sizeof(*pairs));
        if (!pairs)
            goto rollback;
        npairs = match_assign(&ctx, q.texters, q.n, scratch, pairs);
    }
    for (i = 0; i < npairs; i++)
        if (make_offer(e, &r->peers[pairs[i].peer], q.conv_ids[pairs[i].texter]))
            goto rollback;
    if (store_commit(e->st))
        goto rollback;
    ret = 0;
    goto done;
rollback:
    store_rollback(e->st);
done:
    /* A cooldown or #on/#off ending, or a back-off running out: look again then. */
    if (ret == 0 && next_change < *next_due)
        *next_due = next_change;
    if (ret == 0 && q.again_at < *next_due)
        *next_due = q.again_at;
    free(pairs);
    free(scratch);
    free(peers);
    free_queue(&q);
    return ret;
}

/*
 * match.h - the matcher: which peer should be offered which waiting texter.
 *
 * Pure (SPEC section 5.4): a roster snapshot, the live state of each peer,
 * the waiting texters and the time come in; decisions come out. No I/O, no
 * clock, no globals, so the same inputs always give the same answer and the
 * whole of it is unit-tested without a database.
 *
 * Eligibility, in the order reasons are reported: not the texter themself;
 * not a trainee (trainees read along with others' chats, never take one);
 * training valid; available (manual on, or on shift and not manual off);
 * speaks the language; covers the topic (or any crisis-trained peer for an
 * urgent texter; or a peer covering "general" when nobody covering the topic
 * itself can take it now); not the peer who transferred it; no open offer;
 * under capacity (min(max_conversations, usable numbers)) with a free
 * number; past the cooldown. A peer who passed or let the offer expire is
 * offered again only when every other candidate has been tried.
 *
 * Preference among the eligible: crisis-trained first for urgent texters;
 * then the texter's last peer within the rematch window; then exact topic
 * over general; then fewest open conversations; then longest since their
 * last conversation ended; then roster order.
 */
#ifndef PEERLINE_MATCH_H
#define PEERLINE_MATCH_H

#include <stddef.h>
#include <stdint.h>

struct roster;
struct roster_peer;

enum match_manual { MATCH_MANUAL_NONE, MATCH_MANUAL_ON, MATCH_MANUAL_OFF };

/* Live state of one roster peer (parallel to roster->peers). */
struct match_peer {
    int open;           /* offered + active conversations */
    int has_offer;      /* an open offer is waiting for their answer */
    int numbers_usable; /* pool numbers they have not opted out of */
    int numbers_free;   /* usable numbers not in use by them now */
    enum match_manual manual;
    int64_t manual_until; /* ms; the manual state lapses after this */
    int64_t last_end;     /* ms their last conversation ended; 0 never */
};

struct match_texter {
    int64_t id; /* the caller's reference (conversation id) */
    int topic;  /* roster topic index */
    int lang;   /* roster language index (0 = en) */
    int urgent;
    int64_t queued_at;
    int last_peer; /* roster peer index of their last peer, or -1 */
    int64_t last_peer_at;
    int transferred_by; /* roster peer index, or -1 */
    int self;           /* the texter is this roster peer (-1: not a peer) */
    const int *tried;   /* peers who passed or let the offer expire */
    size_t ntried;
    const int *excluded; /* peers never to be offered this texter (handed it back; or */
    size_t nexcluded;    /* passed it so recently that offering again would badger) */
};

struct match_prep;

struct match_ctx {
    const struct roster *roster;
    const struct match_peer *peers; /* roster->npeers entries */
    int64_t now;                    /* ms */
    int64_t cooldown;               /* ms */
    int64_t rematch_window;         /* ms */
    struct match_prep *prep;        /* from match_prepare(), or NULL: prepared per call */
};

/*
 * What a run can work out once instead of per texter: each peer's training
 * and availability at ctx->now (one wall-clock conversion per time zone) and
 * the peers by topic. Valid while ctx's roster, peers and now are unchanged.
 * NULL when out of memory. A ctx with prep set is also scratch for it: use
 * one prep per thread.
 */
struct match_prep *match_prepare(const struct match_ctx *ctx);
void match_prep_free(struct match_prep *p);

enum match_reason {
    MATCH_OK,
    MATCH_SELF,
    MATCH_NOT_TRAINED,
    MATCH_MANUAL_OFF_NOW,
    MATCH_OFF_SHIFT,
    MATCH_LANGUAGE,
    MATCH_TOPIC,
    MATCH_TRANSFERRED,
    MATCH_HAS_OFFER,
    MATCH_FULL,
    MATCH_NO_NUMBER,
    MATCH_COOLDOWN,
    MATCH_TRIED,
    MATCH_TRAINEE, /* in training: reads along with others' chats, never offered one */
};

/* A short phrase for `peerline who` and logs: "off shift", "at capacity". */
const char *match_reason_text(enum match_reason r);

/*
 * Why peer `i` can or cannot be offered texter t, by every rule but the
 * "tried" and "general fallback" ones. *general is set to 1 when the peer
 * qualifies only through the general topic.
 */
enum match_reason match_check(const struct match_ctx *ctx, size_t i, const struct match_texter *t,
                              int *general);

/*
 * Whether peer `i` could take a new chat now, whoever the texter: trained,
 * available, no offer waiting, under capacity, a free number, past the
 * cooldown (MATCH_OK), or the first of those that fails. For the dashboard.
 */
enum match_reason match_peer_ready(const struct match_ctx *ctx, size_t i);

/*
 * Whether peer p is available now by training and time alone, whatever
 * their role: trained, and manually on, or on shift and not manually off
 * (MATCH_OK); else MATCH_NOT_TRAINED, MATCH_MANUAL_OFF_NOW or
 * MATCH_OFF_SHIFT. A trainee reads along only while this holds.
 */
enum match_reason match_available(const struct roster_peer *p, const struct match_peer *mp,
                                  int64_t now);

/*
 * The peers who may be offered t now, best first, into out (room for
 * roster->npeers). Returns how many. Applies the general fallback and the
 * tried rule.
 */
size_t match_candidates(const struct match_ctx *ctx, const struct match_texter *t, int *out);

/*
 * Whether anyone could serve t now, capacity aside: 1 when some peer who is
 * trained, speaks the language and covers the topic (or general, or for an
 * urgent texter is crisis-trained) is available. Otherwise 0, and
 * *next_start is the earliest instant one of them comes on shift (or back
 * from #off), INT64_MAX when none does within eight days. Not a hot path:
 * it looks at every peer.
 */
int match_coverage(const struct match_ctx *ctx, const struct match_texter *t, int64_t *next_start);

struct match_pair {
    size_t texter; /* index into the texters array */
    int peer;      /* roster peer index */
};

/*
 * Decides offers for waiting texters: urgent first, then by queued_at, each
 * gets the best candidate not already given an offer in this run. `scratch`
 * needs roster->npeers entries (it is the peers' state as offers are made).
 * Returns the number of pairs written to out (room for n).
 */
size_t match_assign(const struct match_ctx *ctx, const struct match_texter *texters, size_t n,
                    struct match_peer *scratch, struct match_pair *out);

#endif

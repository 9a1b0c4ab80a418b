/*
 * admin_status.h - the line's status as the admin API answers it
 * (GET /admin/api/status, a peer's detail, /metrics), for a line of any
 * size: one snapshot of the line (status.h) shared by every poller, and
 * answered a page of peers at a time.
 *
 * A snapshot is reused while it is as fresh as a new one would be: built
 * after the request was queued, or the database unchanged since it was
 * built (SQLite's data_version) and it is under ADMIN_STATUS_FRESH_MS old,
 * with the same roster and config. Pollers asking together share one build.
 * A build slower than ADMIN_STATUS_SLOW_MS (tens of thousands of peers) is
 * also reused, changes or not, for twice the time it took (at most
 * ADMIN_STATUS_FRESH_MS): a busy line's pollers cannot keep a core building.
 *
 * The answer's counts (now_counts, today, topics, peers_page.total,
 * conversations_total) are always complete; the lists are bounded: peers
 * in id order, `limit` (default ADMIN_PEERS_DEFAULT, at most
 * ADMIN_PEERS_MAX) after the id `after`; conversations, the
 * ADMIN_CONVS_MAX most pressing (urgent, then waiting longest, then in a
 * chat, then in the menu).
 */
#ifndef PEERLINE_ADMIN_STATUS_H
#define PEERLINE_ADMIN_STATUS_H

#include "status.h"

#include <jansson.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define ADMIN_STATUS_FRESH_MS 1000
#define ADMIN_STATUS_SLOW_MS  50 /* slower builds are reused for twice their time */
#define ADMIN_PEERS_DEFAULT   100
#define ADMIN_PEERS_MAX       1000
#define ADMIN_CONVS_MAX       500

struct admin_snapshot {
    struct line_status s;
    struct roster *r;         /* held: s points into it */
    const struct config *cfg; /* the config it was built with (compared, never read) */
    size_t *by_id;            /* s.peers indexes in id order */
    size_t *by_need;          /* s.convs indexes, most pressing first */
    int64_t built_ms;         /* monotonic: when the build began */
    int64_t took_ms;          /* how long it took */
    int64_t data_version;     /* the database's, then */
    int valid;
};

struct admin_status {
    pthread_mutex_t mu; /* held from admin_status_get() to admin_status_release() */
    struct admin_snapshot snap;
    int ready;
};

int admin_status_init(struct admin_status *as);
void admin_status_free(struct admin_status *as);

/*
 * The snapshot for a request queued at queued_ms (admin_pool_now_ms), built
 * from the store st (used under st_mu) if the one kept will not do. r is
 * the roster in use (held by the caller; the snapshot holds its own
 * reference). On success the snapshot is returned locked: call
 * admin_status_release() when done with it. NULL (nothing locked) when the
 * database failed.
 */
const struct admin_snapshot *admin_status_get(struct admin_status *as, struct store *st,
                                              pthread_mutex_t *st_mu, const struct config *cfg,
                                              struct roster *r, int64_t queued_ms);
void admin_status_release(struct admin_status *as);

/* The answer to GET /admin/api/status: limit peers (0..ADMIN_PEERS_MAX) after the id `after`. */
json_t *admin_status_json(const struct admin_snapshot *sn, size_t limit, const char *after);
/* One peer's line in it. */
json_t *admin_status_peer_json(const struct status_peer *sp);
/* Unix ms as "2026-11-24T22:05:00Z" (null for 0 and INT64_MAX). */
json_t *admin_status_time(int64_t ms);

#endif

/*
 * status.h - the line at a glance, for the dashboard, the admin API and
 * /metrics: who is waiting for which topic and how long, which peers could
 * take a chat now (and if not, why), the open conversations and alerts,
 * and today's counts.
 *
 * Built from a store handle (any thread's), a roster the caller holds and a
 * time: one snapshot, no message text and no phone number in it.
 */
#ifndef PEERLINE_STATUS_H
#define PEERLINE_STATUS_H

#include "match.h"
#include "store.h"

#include <stddef.h>
#include <stdint.h>

struct config;
struct roster;
struct roster_peer;

struct status_topic {
    const char *id, *label;  /* the roster's */
    int waiting;             /* queued or offered */
    int urgent;              /* of those, urgent */
    int64_t longest_wait_ms; /* the longest of them has waited this long */
    int peers_ready;         /* peers covering it who could take a chat now */
};

struct status_peer {
    const struct roster_peer *p; /* the roster's */
    enum match_reason ready;     /* MATCH_OK: could take a new chat now; or why not */
    int on_shift;
    enum match_manual manual; /* #on / #off in force */
    int64_t manual_until;     /* INT64_MAX: until changed */
    int open;                 /* offered + active chats */
    int capacity;             /* max_conversations, or fewer numbers */
    int missed_offers;
    char reading_along[16]; /* a trainee: the reference of the chat they read along with, or "" */
};

struct status_conv {
    int64_t id;
    char ref[16]; /* "R7F3" */
    enum conv_state state;
    char topic[STORE_ID];
    char lang[8];
    int urgent;
    char peer_id[STORE_ID];
    int64_t since; /* joined the line (or started, in the menu) */
    int64_t matched_at;
};

/* A call not over yet (voice.h). */
struct status_call {
    char ref[16];      /* "C7F3" */
    const char *state; /* "menu", "ringing", "connected", "voicemail" */
    char topic[STORE_ID];
    char peer_id[STORE_ID];
    int urgent;
    int64_t since; /* the call came in */
};

struct status_alert {
    int64_t conv_id;
    char ref[16];
    char kind[24];
    int64_t at;
};

struct line_status {
    int64_t now;
    struct status_topic *topics; /* roster->ntopics */
    size_t ntopics;
    struct status_peer *peers; /* roster->npeers */
    size_t npeers;
    int peers_ready;
    struct status_conv *convs;
    size_t nconvs;
    int in_menu, waiting, offered, active;
    struct status_alert *alerts;
    size_t nalerts;
    struct status_call *calls;
    size_t ncalls;
    struct store_counts today; /* since midnight in the line's zone */
};

/* Fills *s (free with status_clear). 0, or -1 when the store or memory failed. */
int status_build(struct store *st, const struct config *cfg, const struct roster *r, int64_t now,
                 struct line_status *s);
void status_clear(struct line_status *s);

/* Unix ms of the last local midnight in the line's zone, at or before now. */
int64_t status_midnight(const struct roster *r, int64_t now);

#endif

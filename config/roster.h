/*
 * roster.h - roster.yaml, the coordinators' file (SPEC section 3.2), as an
 * immutable snapshot.
 *
 * A loaded roster never changes: a reload builds a new one and swaps the
 * pointer, so the matcher and engine read it without locks; readers on other
 * threads hold it with roster_retain() for as long as they use it. Topic and
 * language references are resolved to small indices at load time; phone
 * lookups go through sorted indexes.
 */
#ifndef PEERLINE_ROSTER_H
#define PEERLINE_ROSTER_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct diag;
struct roster_resource;
struct tz;

#define ROSTER_MAX_BYTES (4u << 20)
#define ROSTER_LANG_MAX  64 /* distinct language codes per roster */

struct roster_topic {
    char *id;
    char *label;
    char **keywords; /* lower-case */
    size_t nkeywords;
};

struct roster_shift {
    uint8_t days; /* bit d set: the shift starts on weekday d (0 = Sunday) */
    int start;    /* minutes after local midnight */
    int end;      /* minutes; end <= start runs past midnight into the next day */
};

struct roster_peer {
    char *id;
    char *name;  /* first name, shown to texters */
    char *phone; /* E.164 */
    int *topics; /* indices into roster.topics */
    size_t ntopics;
    uint64_t langs; /* bit i: roster.langs[i] */
    int max_conversations;
    const struct tz *tz; /* the peer's zone (owned by the roster) */
    struct roster_shift *shifts;
    size_t nshifts;
    int64_t trained_until; /* last day trained, days since epoch; INT64_MAX: no limit */
    int crisis_trained;
    int voice;
    /*
     * A trainee (trainee: true) is never offered a chat or rung for a call:
     * they read along with others' chats (engine_shadow.c). mentor is the
     * index in roster.peers of the peer whose chats they read, -1 for any
     * peer who is not a trainee. Only meaningful when trainee is set.
     */
    int trainee;
    int mentor;
};

struct roster_coordinator {
    char *id;
    char *name;
    char *phone;
    int on_call;
};

struct roster {
    char *path;
    char *line_name;
    const struct tz *tz; /* the line's own zone */
    struct roster_topic *topics;
    size_t ntopics;
    int general;                  /* index of topic "general", or -1 */
    char *langs[ROSTER_LANG_MAX]; /* language codes seen; "en" is always langs[0] */
    size_t nlangs;
    struct roster_peer *peers;
    size_t npeers;
    struct roster_coordinator *coordinators;
    size_t ncoordinators;
    char **blocked;
    size_t nblocked;
    /* Texts a peer sends the texter with #res ID (resources.h), topics resolved. */
    struct roster_resource *resources;
    size_t nresources;
    /*
     * Each coordinator as a stand-in peer ("@" + id, no topics, no shifts),
     * for the chats a coordinator takes over with #take REF. Never matched.
     */
    struct roster_peer *staff;
    size_t nstaff;
    /*
     * Peers a reload removed while they still had chats open: kept (no
     * topics, no shifts) so those chats can end, never offered a new one.
     */
    struct roster_peer *retired;
    size_t nretired;

    /* private: holders (roster_retain), zone cache, topic and phone indexes */
    atomic_int refs;
    struct tz **zones;
    size_t nzones;
    const struct roster_topic **topics_by_id; /* NULL in a roster built by hand */
    const struct roster_peer **peers_by_phone;
    const struct roster_coordinator **coords_by_phone;
    char **blocked_sorted;
};

/*
 * Loads and checks `path`; time zones come from `zoneinfo` (NULL: system).
 * Returns NULL when anything is wrong, with every problem in `d`.
 */
struct roster *roster_load(const char *path, const char *zoneinfo, struct diag *d);
/*
 * A roster may have several holders (the engine, a dashboard request):
 * roster_retain() adds one, roster_free() drops one and frees with the last.
 */
void roster_retain(struct roster *r);
void roster_free(struct roster *r);

const struct roster_peer *roster_peer_by_phone(const struct roster *r, const char *phone);
/*
 * Keeps peer p of an older roster in r as retired (see above), copied. Only
 * for a roster no other thread has seen yet. 0, or -1 out of memory.
 */
int roster_adopt(struct roster *r, const struct roster_peer *p);
/* 1 when p is one of r's retired peers (kept only to finish their chats). */
int roster_peer_is_retired(const struct roster *r, const struct roster_peer *p);

/* A peer by id (retired ones too), or a coordinator's stand-in by "@id". */
const struct roster_peer *roster_peer_by_id(const struct roster *r, const char *id);
/* A coordinator's stand-in peer by phone, or NULL. */
const struct roster_peer *roster_staff_by_phone(const struct roster *r, const char *phone);
/* The index of p in r->peers, or -1 when p is not one of them (e.g. a stand-in). */
int roster_peer_index(const struct roster *r, const struct roster_peer *p);
const struct roster_coordinator *roster_coordinator_by_phone(const struct roster *r,
                                                             const char *phone);
int roster_is_blocked(const struct roster *r, const char *phone);
/* Index of topic `id`, or -1. */
int roster_topic_index(const struct roster *r, const char *id);
/* Index of language `code`, or -1. */
int roster_lang_index(const struct roster *r, const char *code);
/* 1 when the peer covers topic index t itself (not through general). */
int roster_peer_covers(const struct roster_peer *p, int t);

#endif

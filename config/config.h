/*
 * config.h - peerline.yaml, the operator's file (SPEC section 3.1).
 *
 * One declarative table in config.c lists every key with its type, bounds
 * and default; nothing else in peerline reads configuration lazily. The
 * loader reports every problem it finds (unknown keys included) into a diag
 * and returns a config only when there were none.
 */
#ifndef PEERLINE_CONFIG_H
#define PEERLINE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

struct diag;

enum provider_kind { PROVIDER_TWILIO, PROVIDER_TELNYX };

struct config_token {
    char *id;    /* roster coordinator id */
    char *token; /* bearer token */
};

/* A list of words or phrases. */
struct config_list {
    char **items;
    size_t n;
};

/* One template written in the config: texts.LANG.NAME, and where it was written. */
struct config_text {
    char *lang;
    char *name;
    char *text;
    int line, col;
};

enum opt_out_scope {
    OPT_OUT_PER_NUMBER, /* a STOP to one of the line's numbers stops that number only */
    OPT_OUT_PER_LINE,   /* a STOP to any of them stops them all */
};

struct config {
    char *path; /* the file as given */
    char *dir;  /* its directory; relative paths resolve against it */

    char listen_host[256];
    int listen_port;
    char *public_url; /* without trailing '/' */
    char *database;   /* resolved path */
    char *spool;      /* resolved path: texts the database could not take (spool.h) */
    char *roster;     /* resolved path */
    char *log_level;  /* debug | info | warn | error */

    struct {
        enum provider_kind kind;
        char *account_sid;
        char *auth_token;
        char *api_key;              /* telnyx */
        char *public_key;           /* telnyx */
        char *messaging_profile_id; /* telnyx */
        char *api_base;             /* without trailing '/' */
        char *line_number;
        char **pool;
        size_t npool;
        long long send_rate; /* segments/s per sending number; 0 = no pacing */
        enum opt_out_scope opt_out_scope;
        int provider_confirms_opt_out; /* the provider answers STOP itself: we stay quiet */
        int provider_answers_help;     /* the provider answers HELP itself */
    } provider;

    struct {
        char *token;
        struct config_token *coordinator_tokens;
        size_t ntokens;
    } admin;

    struct { /* all in milliseconds */
        int64_t offer_timeout, queue_update, max_wait, idle_timeout, peer_silence, rematch_window,
            cooldown;
    } timers;

    struct {
        long long message_days; /* message text is deleted after this many days */
        int64_t purge_every;    /* ms: how often the running server applies it */
        char *hash_key;         /* texter numbers' hash key ("": the database's own) */
    } retention;

    struct {            /* texts the provider has that the webhook never stored (README) */
        int64_t every;  /* ms between looks; 0: never */
        int64_t window; /* ms back from now that each look covers */
    } reconcile;

    struct {                        /* the crisis tripwire (SPEC section 5.1) */
        struct config_list phrases; /* matched on words, any case, accents ignored */
        char *crisis_line;          /* "988" */
        char *emergency;            /* "911" */
        int64_t safety_every;       /* ms: one safety text per conversation at most this often */
        int64_t alert_every;        /* ms: one coordinator alert per conversation this often */
        int64_t ack_within;         /* ms: unacknowledged alerts then go to every coordinator */
    } crisis;

    struct {
        int64_t relay_gap;     /* ms: relays closer than this in one direction are merged */
        long long flood_after; /* texts in 10 minutes before the sender hears we merge them */
    } limits;

    struct {
        int64_t last_word;     /* ms: after BYE the peer may still send one message */
        int rating;            /* ask the texter for a 1-5 rating after a chat */
        int64_t rating_window; /* ms: a lone 1-5 within this is a rating */
    } endings;

    struct {               /* peers in training who read along (README "Trainees") */
        int shadow_urgent; /* an urgent chat may be read along with too (default no) */
    } trainees;

    struct {                   /* calls to the line (Twilio): README "Calls" */
        int64_t ring_timeout;  /* ms the caller waits while peers are rung, then voicemail */
        long long max_ring;    /* peers rung at once for one call */
        char *crisis_number;   /* E.164 the crisis option connects to; "": "dial 988" */
        char *hold_audio;      /* URL played while the caller waits; "": a calm spoken line */
        int speech;            /* the menu also takes spoken topic words */
        int64_t voicemail_max; /* ms: the longest voicemail */
    } voice;

    struct config_list languages; /* offered to texters; the first is the default */
    struct config_text *texts;    /* templates written in the config */
    size_t ntexts;

    struct { /* outbound send retries (SPEC section 6) */
        long long max_attempts;
        int64_t first_delay, max_delay; /* ms: backoff doubles from first to max */
        int64_t max_age;                /* ms: a text older than this is given up */
        int64_t request_timeout;        /* ms: one HTTP call to the provider */
        long long concurrency;          /* provider calls in flight at once */
    } retry;

    struct {
        long long connection_limit; /* simultaneous HTTP connections */
        int64_t connection_timeout; /* ms idle before a connection is dropped */
        long long per_ip_limit;     /* connections per client address; 0: no limit */
        int64_t idle_timeout;       /* ms: a connection with no request under way */
        int64_t header_timeout;     /* ms: a request's headers after its request line */
        int64_t body_timeout;       /* ms: a request's body after its headers */
    } http;
};

/*
 * Loads `path`. ${VAR} references are resolved with getenv_fn (NULL:
 * getenv). Returns NULL when anything was wrong; every problem is in `d`.
 * Free with config_free().
 */
struct config *config_load(const char *path, char *(*getenv_fn)(const char *), struct diag *d);
void config_free(struct config *c);

/* 1 when `number` is the line number or one of the pool numbers. */
int config_is_own_number(const struct config *c, const char *number);

/*
 * The scope an opt-out sent to (or reported for) our `number` is recorded
 * under: the number itself, or with opt_out_scope: line the line number,
 * standing for all of the line's numbers (one messaging service or profile).
 */
const char *config_optout_scope(const struct config *c, const char *number);

/*
 * The settings that differ between a and b and only take effect on a restart
 * (listen, public_url, database, provider.*, retry, http), into out (room
 * for max). Returns how many.
 */
size_t config_restart_keys(const struct config *a, const struct config *b, const char **out,
                           size_t max);
/*
 * Sets nc's restart-only settings back to old's values (copies), so a
 * reload applies everything else now: a revoked token does not wait for a
 * restart because the port changed too. 0, or -1 out of memory (nc is then
 * only fit to be freed).
 */
int config_keep_restart_keys(struct config *nc, const struct config *old);

/* Resolves `rel` against `dir` unless absolute. Returns malloc'd text or NULL. */
char *config_resolve_path(const char *dir, const char *rel);

#endif

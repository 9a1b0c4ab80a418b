/*
 * reload.h - reading and judging peerline.yaml and roster.yaml again while
 * the line runs, on a thread of its own: the main loop goes on answering
 * signals while a 4 MiB roster is read, and a SIGTERM meanwhile stops the
 * reading at once (reloader_stop).
 *
 * The judgement is the one `peerline check` makes (linecheck.h): a reload
 * puts files in use only as a pair that passes it, both as written and as
 * they would run (a setting only a restart applies keeps its running value).
 * When the pair on disk fails, as much as passes is taken: the new config
 * with the running roster, else the new roster with the running config;
 * what is refused keeps its running version, and every problem is logged
 * (config.problem, roster.problem) with the file, line and column.
 */
#ifndef PEERLINE_RELOAD_H
#define PEERLINE_RELOAD_H

#include <stddef.h>

#define RELOAD_DIGEST_LEN 32 /* SHA-256 */
#define RELOAD_MAX_KEYS   32

struct config;
struct roster;
struct texts;

struct reload_ask {
    int config; /* the config file changed (and so the roster is read again too) */
    int roster; /* the roster file changed */
    int forced; /* SIGHUP: read the config even if its bytes did not change (token files) */
};

/* What runs now. Read by the thread: unchanged, and kept alive, until reloader_finish(). */
struct reload_base {
    const char *config_path;
    const struct config *cfg;
    const struct texts *texts;
    struct roster *roster;                   /* held by reloader_start() for the thread */
    unsigned char digest[RELOAD_DIGEST_LEN]; /* of the config file as last put in use */
};

/* What a reload found. */
struct reload_result {
    struct config *cfg;    /* to put in use, with its texts; NULL: keep the running one */
    struct texts *texts;   /* (points into cfg) */
    struct roster *roster; /* to put in use (one reference); NULL: keep the running one */
    const char *restart_keys[RELOAD_MAX_KEYS]; /* changed settings kept at running values */
    size_t nrestart;
    unsigned char digest[RELOAD_DIGEST_LEN]; /* of the config file read, when have_digest */
    int have_digest;
    int refused; /* a file (or the pair) was refused */
    int ran;     /* 0: stopped before it was done (nothing in it) */
};

struct reloader;

/* NULL when out of memory or eventfd() fails. */
struct reloader *reloader_new(void);
/* Readable once a reload started with reloader_start() is done: then reloader_finish(). */
int reloader_fd(const struct reloader *r);
/* 1 while a reload runs (started and not yet finished). */
int reloader_busy(const struct reloader *r);
/* Starts one reload; 0, or -1 (busy, or the thread could not start). */
int reloader_start(struct reloader *r, const struct reload_ask *ask,
                   const struct reload_base *base);
/* Waits for the reload (done: reloader_fd was readable) and hands its result over. */
void reloader_finish(struct reloader *r, struct reload_result *out);
void reload_result_free(struct reload_result *res);
/* Stops a reload in progress at its next YAML element, drops what it read, frees r. */
void reloader_stop(struct reloader *r);

/* SHA-256 of the file at path into out; -1 when it cannot be read. */
int reload_digest(const char *path, unsigned char out[RELOAD_DIGEST_LEN]);

#endif

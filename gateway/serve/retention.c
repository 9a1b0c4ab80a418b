/*
 * retention.c - see retention.h.
 */
#include "retention.h"
#include "api.h"
#include "buf.h"
#include "config.h"
#include "diag.h"
#include "log.h"
#include "reconcile.h"
#include "spool.h"
#include "store.h"
#include "wake.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS (24LL * 3600 * 1000)
/* A redaction the provider keeps refusing is retried with backoff, then given up. */
#define REDACT_ATTEMPTS 12
#define REDACT_FIRST    (60LL * 1000)
#define REDACT_MAX      DAY_MS

int retention_purge(const struct config *cfg, struct store *st, int64_t now, struct store_purged *c)
{
    int64_t before = now - cfg->retention.message_days * DAY_MS;

    if (store_use_hash_key(st, cfg->retention.hash_key) || store_purge(st, before, now, c))
        return -1;
    log_info("retention.purged",
             "received=%lld sent=%lld conversations=%lld contacts=%lld calls=%lld notes=%lld "
             "redactions=%lld checkpoint=%s",
             (long long)c->inbound, (long long)c->outbox, (long long)c->conversations,
             (long long)c->contacts, (long long)c->calls, (long long)c->notes,
             (long long)c->redactions, c->checkpoint_busy ? "busy" : "done");
    return 0;
}

/* One redaction request. Returns the HTTP status, or 0 when it never got an answer. */
static long redact_one(const struct config *cfg, const char *sid)
{
    char url[1024];
    long st;

    if (!strncmp(sid, "RE", 2)) { /* a voicemail's recording: deleted outright */
        snprintf(url, sizeof(url), "%s/2010-04-01/Accounts/%s/Recordings/%s.json",
                 cfg->provider.api_base, cfg->provider.account_sid, sid);
        st = api_request(cfg, url, API_DELETE, NULL, 0);
        return st == 204 ? 200 : st;
    }
    snprintf(url, sizeof(url), "%s/2010-04-01/Accounts/%s/Messages/%s.json", cfg->provider.api_base,
             cfg->provider.account_sid, sid);
    return api_request(cfg, url, "Body=", NULL, 0);
}

int retention_redact(const struct config *cfg, struct store *st, int64_t now, int max,
                     const atomic_int *stop, int *redacted, int *failed)
{
    char sid[STORE_SID], why[64];
    int attempts, rc, n;

    *redacted = *failed = 0;
    for (n = 0; n < max && !(stop && atomic_load(stop)); n++) {
        long status;
        int64_t wait;
        int refused;

        rc = store_redaction_next(st, now, sid, &attempts);
        if (rc != STORE_FOUND)
            return rc == STORE_ERROR ? -1 : 0;
        if (cfg->provider.kind == PROVIDER_TELNYX) {
            /* Telnyx has no per-message delete: its messaging profile redacts (README). */
            if (store_redaction_done(st, sid, "left to the profile's redaction", wake_now_ms()))
                return -1;
            continue;
        }
        status = redact_one(cfg, sid);
        if (status == 200 || status == 404) {
            /* 404: nothing of it left at the provider (already deleted): nothing to redact. */
            if (store_redaction_done(st, sid, status == 200 ? "redacted" : "not found",
                                     wake_now_ms()))
                return -1;
            (*redacted)++;
            continue;
        }
        snprintf(why, sizeof(why), status ? "HTTP %ld" : "no answer", status);
        /*
         * 401/403: our credentials were refused (a token rotated before the
         * config): worth retrying once they are fixed. Other 4xx are final.
         */
        refused = status == 401 || status == 403;
        if (refused)
            log_warnx("retention.redact_refused", "sid=%s status=%ld", sid, status);
        if (attempts + 1 >= REDACT_ATTEMPTS ||
            (status >= 400 && status < 500 && status != 429 && !refused)) {
            char gave[96];
            snprintf(gave, sizeof(gave), "gave up: %s", why);
            if (store_redaction_done(st, sid, gave, wake_now_ms()))
                return -1;
            log_warnx("retention.redact_failed", "sid=%s outcome=\"%s\"", sid, gave);
            (*failed)++;
            continue;
        }
        wait = REDACT_FIRST << (attempts < 10 ? attempts : 10);
        if (wait > REDACT_MAX)
            wait = REDACT_MAX;
        if (store_redaction_retry(st, sid, now + wait, why))
            return -1;
        if (status == 0 || status == 429 || status >= 500 || refused)
            break; /* the provider is unreachable, struggling or refusing us: later */
    }
    return 0;
}

/* ---- the janitor: the running server's schedule ---- */

struct janitor {
    _Atomic(const struct config *) cfg;     /* the config in use (janitor_set_config) */
    _Atomic(const struct config *) reading; /* the config this or the last round read */
    struct store *st;
    void (*found)(void *arg); /* reconciliation stored texts: wake the engine */
    void *arg;
    pthread_t thread;
    struct wake wake;
    atomic_int stopping;
    int started;
    const atomic_int *leading; /* NULL: always; else the line's chores only while it is 1 */
};

/* Redactions due are looked at this often between purges. */
#define JANITOR_TICK (60LL * 1000)
/* PostgreSQL: the longest any of the janitor's answers is waited for, a purge's aside. */
#define JANITOR_DEADLINE_MS 30000
/* Several instances: how often a janitor whose instance does not lead looks again. */
#define FOLLOWER_TICK 1000LL
/* A spool that could not be replayed (the database still failing) is tried this often. */
#define SPOOL_RETRY (5LL * 1000)

/*
 * The config in use, published as the one this round reads before it is
 * used: checked again after, so a config switched meanwhile (and perhaps
 * about to be freed) is never read (janitor_config_read).
 */
static const struct config *take_config(struct janitor *j)
{
    const struct config *c = atomic_load(&j->cfg), *again;

    for (;;) {
        atomic_store(&j->reading, c);
        again = atomic_load(&j->cfg);
        if (again == c)
            return c;
        c = again;
    }
}

const struct config *janitor_config_read(struct janitor *j)
{
    return atomic_load(&j->reading);
}

static void *janitor_loop(void *arg)
{
    struct janitor *j = arg;
    int64_t next_purge = wake_now_ms(); /* once at start, then on schedule */
    int64_t next_look = next_purge;     /* reconciliation: likewise */
    int spool_failed;

    prctl(PR_SET_NAME, "janitor");                 /* named in top, perf and gdb */
    (void)reconcile_check_numbers(take_config(j)); /* once: it logs what is wrong */

    while (!atomic_load(&j->stopping)) {
        const struct config *cfg = take_config(j);
        int64_t now = wake_now_ms(), until;
        struct store_purged c;
        int ok, bad;

        /*
         * With several instances, the line's own chores (retention, asking
         * the provider for missed texts, redactions) are the leading
         * instance's: one purge, one look, one request per redaction. The
         * spool is this instance's own file, replayed by it.
         */
        int chores = !j->leading || atomic_load(j->leading);

        if (chores && now >= next_purge) {
            int failed;
            /* A purge (and its VACUUM) takes as long as it takes: no deadline for it alone. */
            store_set_deadline(j->st, 0);
            failed = retention_purge(cfg, j->st, now, &c) != 0;
            store_set_deadline(j->st, JANITOR_DEADLINE_MS);
            if (failed)
                log_warnx("retention.purge_failed", "retry_in_s=%lld",
                          (long long)(JANITOR_TICK / 1000));
            else
                next_purge = now + cfg->retention.purge_every;
        }
        {
            /* Texts the Fallback URL spooled while the database failed: in, once it answers. */
            int spooled = 0;
            spool_failed = spool_replay(cfg->spool, j->st, &spooled) != 0;
            if (spooled && j->found)
                j->found(j->arg);
        }
        if (chores && cfg->reconcile.every > 0 && now >= next_look) {
            int found = 0;
            /* A failed look is retried within a tick; a good one on schedule. */
            int64_t retry =
                cfg->reconcile.every < JANITOR_TICK ? cfg->reconcile.every : JANITOR_TICK;
            next_look =
                now + (reconcile_run(cfg, j->st, now, &found) ? retry : cfg->reconcile.every);
            if (found && j->found)
                j->found(j->arg);
        }
        if (chores && !retention_redact(cfg, j->st, now, 100, &j->stopping, &ok, &bad) &&
            (ok || bad))
            log_info("retention.redacted", "redacted=%d given_up=%d", ok, bad);
        /* A follower looks every second whether it leads now (its chores then start). */
        until = now + (chores ? JANITOR_TICK : FOLLOWER_TICK);
        if (chores && next_purge < until)
            until = next_purge;
        if (chores && cfg->reconcile.every > 0 && next_look < until)
            until = next_look;
        if (spool_failed && now + SPOOL_RETRY < until)
            until = now + SPOOL_RETRY;
        now = wake_now_ms();
        wake_wait(&j->wake, until > now ? until - now : 0);
    }
    return NULL;
}

struct janitor *janitor_start(const struct config *cfg, const atomic_int *leading,
                              void (*found)(void *arg), void *arg, char *err, size_t errlen)
{
    struct janitor *j = calloc(1, sizeof(*j));

    if (!j) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    j->found = found;
    j->arg = arg;
    j->leading = leading;
    atomic_init(&j->cfg, cfg);
    atomic_init(&j->reading, cfg);
    atomic_init(&j->stopping, 0);
    if (wake_init(&j->wake)) {
        snprintf(err, errlen, "cannot initialise the janitor");
        free(j);
        return NULL;
    }
    j->st = store_open(cfg->database, err, errlen);
    if (j->st) /* PostgreSQL: a server that stops answering never holds the janitor (or a stop) */
        store_set_deadline(j->st, JANITOR_DEADLINE_MS);
    if (!j->st || pthread_create(&j->thread, NULL, janitor_loop, j)) {
        if (j->st)
            snprintf(err, errlen, "cannot start the janitor thread");
        store_close(j->st);
        wake_destroy(&j->wake);
        free(j);
        return NULL;
    }
    j->started = 1;
    return j;
}

void janitor_set_config(struct janitor *j, const struct config *cfg)
{
    atomic_store(&j->cfg, cfg);
    wake_signal(&j->wake); /* a new purge_every counts from now */
}

void janitor_wake(struct janitor *j)
{
    if (j)
        wake_signal(&j->wake);
}

void janitor_stop(struct janitor *j)
{
    if (!j)
        return;
    atomic_store(&j->stopping, 1);
    wake_signal(&j->wake);
    if (j->started)
        pthread_join(j->thread, NULL);
    store_close(j->st);
    wake_destroy(&j->wake);
    free(j);
}

/* ---- `peerline purge` ---- */

int purge_main(int argc, char **argv)
{
    struct diag *d = diag_new();
    struct config *cfg = NULL;
    struct store *st = NULL;
    struct store_purged c;
    char err[512];
    int64_t pending = 0;
    int rc = 1, ok = 0, bad = 0;

    if (argc != 3 || (strcmp(argv[1], "-c") && strcmp(argv[1], "--config"))) {
        fprintf(stderr, "usage: peerline purge -c FILE\n");
        diag_free(d);
        return 2;
    }
    if (!d)
        return 1;
    cfg = config_load(argv[2], NULL, d);
    if (!cfg) {
        diag_print(d, stderr);
        goto done;
    }
    st = store_open(cfg->database, err, sizeof(err));
    if (!st) {
        fprintf(stderr, "peerline purge: %s\n", err);
        goto done;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (retention_purge(cfg, st, wake_now_ms(), &c) ||
        retention_redact(cfg, st, wake_now_ms(), 1 << 30, NULL, &ok, &bad) ||
        store_redaction_pending(st, &pending)) {
        fprintf(stderr, "peerline purge: the database failed\n");
        curl_global_cleanup();
        goto done;
    }
    curl_global_cleanup();
    printf("text older than %lld days deleted: %lld received, %lld sent, %lld notes\n"
           "texter numbers hashed in %lld conversations; %lld contacts forgotten\n"
           "redacted at the provider: %d; given up: %d; to retry later: %lld\n",
           cfg->retention.message_days, (long long)c.inbound, (long long)c.outbox,
           (long long)c.notes, (long long)c.conversations, (long long)c.contacts, ok, bad,
           (long long)pending);
    if (c.checkpoint_busy)
        printf("the old copies of purged text could not be cleared now (SQLite: the write-ahead "
               "log is in use; PostgreSQL: VACUUM failed): the next purge tries again\n");
    rc = 0;
done:
    store_close(st);
    config_free(cfg);
    diag_free(d);
    return rc;
}

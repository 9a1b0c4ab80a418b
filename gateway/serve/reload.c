/*
 * reload.c - see reload.h. One reload at a time: the main thread starts it,
 * the thread reads and judges (and logs what it refuses), then writes to an
 * eventfd; the main thread, seeing it readable, takes the result and puts it
 * in use (serve.c). Nothing here touches what runs.
 */
#include "reload.h"
#include "config.h"
#include "diag.h"
#include "linecheck.h"
#include "log.h"
#include "roster.h"
#include "texts.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <unistd.h>

struct reloader {
    int efd;
    pthread_t thread;
    int busy; /* main thread only */
    atomic_int cancel;
    struct reload_ask ask;
    struct reload_base base;
    struct reload_result res;
};

int reload_digest(const char *path, unsigned char out[RELOAD_DIGEST_LEN])
{
    unsigned char buf[8192];
    EVP_MD_CTX *h = EVP_MD_CTX_new();
    FILE *f = h ? fopen(path, "rb") : NULL;
    size_t n;
    int rc = -1;

    if (!f || !EVP_DigestInit_ex(h, EVP_sha256(), NULL))
        goto done;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        if (!EVP_DigestUpdate(h, buf, n))
            goto done;
    if (!ferror(f) && EVP_DigestFinal_ex(h, out, NULL))
        rc = 0;
done:
    if (f)
        fclose(f);
    EVP_MD_CTX_free(h);
    return rc;
}

/* Each problem as msg="FILE:LINE:COL: message" (double quotes inside made single). */
static void log_problems(const char *event, const struct diag *dg)
{
    char msg[1024], *q;
    size_t i;

    for (i = 0; i < diag_count(dg); i++) {
        snprintf(msg, sizeof(msg), "%s", diag_get(dg, i));
        for (q = msg; (q = strchr(q, '"')); q++)
            *q = '\'';
        log_warnx(event, "msg=\"%s\"", msg);
    }
}

/* A file kept out: the running one stays, and every reason is logged. */
static void refuse(struct reloader *r, const char *what, const struct diag *dg)
{
    char failed[40], problem[40];

    snprintf(failed, sizeof(failed), "%s.reload_failed", what);
    snprintf(problem, sizeof(problem), "%s.problem", what);
    log_warnx(failed, "problems=%zu kept=running", diag_count(dg));
    log_problems(problem, dg);
    r->res.refused = 1;
}

static struct diag *new_diag(struct reloader *r)
{
    struct diag *d = diag_new();

    if (d)
        diag_set_cancel(d, &r->cancel);
    return d;
}

/* The config file again, on its own: NULL when unchanged (watcher) or refused (logged). */
static struct config *read_config(struct reloader *r, struct texts **texts)
{
    const struct reload_base *b = &r->base;
    struct reload_result *res = &r->res;
    struct diag *dg = new_diag(r);
    struct config *nc = NULL;

    *texts = NULL;
    if (!dg)
        return NULL;
    res->have_digest = !reload_digest(b->config_path, res->digest);
    if (!r->ask.forced && res->have_digest && !memcmp(res->digest, b->digest, RELOAD_DIGEST_LEN)) {
        log_info("config.unchanged", "path=%s", b->config_path);
        goto done;
    }
    nc = config_load(b->config_path, NULL, dg);
    if (nc && !diag_count(dg))
        *texts = texts_new(nc, dg);
    if (!nc || !*texts || diag_count(dg)) {
        if (!atomic_load(&r->cancel))
            refuse(r, "config", dg);
        texts_free(*texts);
        config_free(nc);
        *texts = NULL;
        nc = NULL;
    }
done:
    diag_free(dg);
    return nc;
}

/* The roster file again, on its own (named by cfg): NULL when refused (logged). */
static struct roster *read_roster(struct reloader *r, const struct config *cfg)
{
    struct diag *dg = new_diag(r);
    struct roster *nr = dg ? roster_load(cfg->roster, NULL, dg) : NULL;

    if (nr && !diag_count(dg)) {
        diag_free(dg);
        return nr;
    }
    if (dg && !atomic_load(&r->cancel))
        refuse(r, "roster", dg);
    roster_free(nr);
    diag_free(dg);
    return NULL;
}

/*
 * Judges a new config (nc, read from disk) with the new roster (nr, may be
 * NULL) and with the running one, each as written and then as it would run
 * (the restart-only settings kept). Sets *with_new / *with_old; dp and dq get
 * the problems of each pair. -1 out of memory.
 */
static int judge_config(struct reloader *r, struct config *nc, const struct texts *nt,
                        const struct roster *nr, struct diag *dp, struct diag *dq, int *with_new,
                        int *with_old)
{
    const struct reload_base *b = &r->base;
    struct reload_result *res = &r->res;

    /* As written: what `peerline check` says of the files. */
    *with_new = nr && !linecheck_pair(nc, nt, nr, dp);
    *with_old = !linecheck_pair(nc, nt, b->roster, dq);
    res->nrestart = config_restart_keys(b->cfg, nc, res->restart_keys, RELOAD_MAX_KEYS);
    if (!res->nrestart)
        return 0;
    if (config_keep_restart_keys(nc, b->cfg))
        return -1;
    /* As it would run: a roster may be fine with the new pool and not with the running one. */
    if (*with_new && linecheck_pair(nc, nt, nr, dp))
        *with_new = 0;
    if (*with_old && linecheck_pair(nc, nt, b->roster, dq))
        *with_old = 0;
    return 0;
}

/* The new roster with the running config: taken, or refused (logged). */
static struct roster *judge_roster(struct reloader *r, struct roster *nr)
{
    struct diag *dg = new_diag(r);

    if (dg && !linecheck_pair(r->base.cfg, r->base.texts, nr, dg)) {
        diag_free(dg);
        return nr;
    }
    if (!dg)
        log_warnx("roster.reload_failed", "%s", "err=\"out of memory\" kept=running");
    else if (!atomic_load(&r->cancel))
        refuse(r, "roster", dg);
    diag_free(dg);
    roster_free(nr);
    return NULL;
}

static void judge(struct reloader *r)
{
    struct reload_result *res = &r->res;
    struct diag *dp = new_diag(r), *dq = new_diag(r);
    struct texts *nt = NULL;
    struct config *nc = NULL;
    struct roster *nr = NULL;
    int with_new = 0, with_old = 0;

    log_info("reload.started", "config=%d roster=%d", r->ask.config, r->ask.roster);
    if (!dp || !dq) {
        log_warnx("reload.failed", "%s", "err=\"out of memory\" kept=running");
        res->refused = 1;
        goto done;
    }
    if (r->ask.config)
        nc = read_config(r, &nt);
    /* A new config may name another roster, or change what a roster may hold. */
    if (!atomic_load(&r->cancel) && (r->ask.roster || r->ask.config))
        nr = read_roster(r, nc ? nc : r->base.cfg);
    if (nc && !atomic_load(&r->cancel) &&
        judge_config(r, nc, nt, nr, dp, dq, &with_new, &with_old)) {
        diag_add(dq, r->base.config_path, 0, 0, "out of memory");
        with_new = with_old = 0;
    }
    if (atomic_load(&r->cancel))
        goto done;
    if (nc && with_new) { /* the pair on disk: both */
        res->cfg = nc;
        res->texts = nt;
        res->roster = nr;
        nc = NULL;
        nt = NULL;
        nr = NULL;
    } else if (nc && with_old) { /* the new config with the running roster */
        res->cfg = nc;
        res->texts = nt;
        nc = NULL;
        nt = NULL;
        if (nr)
            refuse(r, "roster", dp);
    } else {
        if (nc) { /* the config is refused; the new roster may still do with the running one */
            res->nrestart = 0;
            refuse(r, "config", dq);
        }
        if (nr) {
            res->roster = judge_roster(r, nr);
            nr = NULL;
        }
    }
done:
    if (atomic_load(&r->cancel)) {
        log_info("reload.cancelled", "%s", "reason=stopping");
        texts_free(res->texts);
        config_free(res->cfg);
        roster_free(res->roster);
        memset(res, 0, sizeof(*res));
    } else {
        res->ran = 1;
    }
    texts_free(nt);
    config_free(nc);
    roster_free(nr);
    diag_free(dp);
    diag_free(dq);
}

static void *run(void *arg)
{
    struct reloader *r = arg;
    uint64_t one = 1;

    prctl(PR_SET_NAME, "reload"); /* named in top, perf and gdb */
    judge(r);
    if (write(r->efd, &one, sizeof(one)) != (ssize_t)sizeof(one))
        log_warn("reload.notify", "%s", "");
    return NULL;
}

struct reloader *reloader_new(void)
{
    struct reloader *r = calloc(1, sizeof(*r));

    if (!r)
        return NULL;
    r->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (r->efd < 0) {
        free(r);
        return NULL;
    }
    atomic_init(&r->cancel, 0);
    return r;
}

int reloader_fd(const struct reloader *r)
{
    return r->efd;
}

int reloader_busy(const struct reloader *r)
{
    return r->busy;
}

int reloader_start(struct reloader *r, const struct reload_ask *ask, const struct reload_base *base)
{
    if (r->busy)
        return -1;
    memset(&r->res, 0, sizeof(r->res));
    r->ask = *ask;
    r->base = *base;
    roster_retain(r->base.roster);
    if (pthread_create(&r->thread, NULL, run, r)) {
        roster_free(r->base.roster);
        return -1;
    }
    r->busy = 1;
    return 0;
}

void reloader_finish(struct reloader *r, struct reload_result *out)
{
    uint64_t n;

    memset(out, 0, sizeof(*out));
    if (!r->busy)
        return;
    pthread_join(r->thread, NULL);
    if (read(r->efd, &n, sizeof(n)) < 0) /* emptied for the next one */
        n = 0;
    r->busy = 0;
    roster_free(r->base.roster);
    *out = r->res;
    memset(&r->res, 0, sizeof(r->res));
}

void reload_result_free(struct reload_result *res)
{
    texts_free(res->texts);
    config_free(res->cfg);
    roster_free(res->roster);
    memset(res, 0, sizeof(*res));
}

void reloader_stop(struct reloader *r)
{
    struct reload_result res;

    if (!r)
        return;
    atomic_store(&r->cancel, 1);
    reloader_finish(r, &res);
    reload_result_free(&res);
    close(r->efd);
    free(r);
}

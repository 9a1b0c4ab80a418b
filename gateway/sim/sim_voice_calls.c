/*
 * sim_voice_calls.c - the simulated calls' table: every call the simulator
 * knows (from pretend phones, placed through the REST API, or rung by a
 * <Dial>), their states as Twilio shows them, the oldest finished call
 * evicted when SV_MAX_CALLS are kept, and the recordings <Record> makes.
 * Everything here runs with v->mu held (see sim_voice.c for the locking).
 */
#include "sim_voice_priv.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* How long a control call waits for the call it moved to settle (sv_settle). */
#define SV_SETTLE_MS 10000

/* ---- small helpers ---- */

static int64_t mono_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

struct timespec sv_deadline(int64_t ms)
{
    int64_t at = mono_ms() + ms;
    struct timespec t = {.tv_sec = (time_t)(at / 1000), .tv_nsec = (long)(at % 1000) * 1000000L};

    return t;
}

void sv_cond_init(pthread_cond_t *cv)
{
    pthread_condattr_t a;

    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(cv, &a);
    pthread_condattr_destroy(&a);
}

void sv_copy(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
}

int sv_valid_url(const char *u)
{
    size_t i, n = strlen(u);

    if (n >= SV_URL || (strncmp(u, "http://", 7) && strncmp(u, "https://", 8)))
        return 0;
    for (i = 0; i < n; i++)
        if ((unsigned char)u[i] <= ' ' || u[i] == 0x7f)
            return 0;
    return u[u[4] == 's' ? 8 : 7] != '\0' && u[u[4] == 's' ? 8 : 7] != '/';
}

/* "GET"/"POST" in any case into out; -1 for anything else. */
int sv_norm_method(const char *m, char out[8])
{
    if (!strcasecmp(m, "GET") || !strcasecmp(m, "POST")) {
        sv_copy(out, 8, !strcasecmp(m, "GET") ? "GET" : "POST");
        return 0;
    }
    return -1;
}

json_t *sv_str_or_null(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

static void free_lines(char **list, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        free(list[i]);
}

/* ---- calls (v->mu held) ---- */

struct sv_call *sv_find_call(const struct sim_voice *v, const char *sid)
{
    size_t i;

    for (i = 0; sid && i < v->ncalls; i++)
        if (!strcmp(v->calls[i]->sid, sid))
            return v->calls[i];
    return NULL;
}

int sv_is_over(const struct sv_call *c)
{
    return c->ended != 0;
}

int sv_is_ringing(const struct sv_call *c)
{
    return !c->answered && !c->end_status[0] && !sv_is_over(c) && strcmp(c->direction, "inbound");
}

/* What the API and the list show: the final status as soon as one is decided. */
const char *sv_shown_status(const struct sv_call *c)
{
    return c->end_status[0] ? c->end_status : c->status;
}

void sv_poke(struct sv_call *c)
{
    c->poked = 1;
    pthread_cond_broadcast(&c->cv);
}

static void free_call(struct sv_call *c)
{
    free_lines(c->said, c->nsaid);
    free_lines(c->played, c->nplayed);
    free_lines(c->errors, c->nerrors);
    free(c->twiml);
    free(c->redirect_twiml);
    pthread_cond_destroy(&c->cv);
    free(c);
}

/* Drops the oldest call that is over and no live call still looks at. 0, or -1 if none. */
static int evict_one(struct sim_voice *v)
{
    size_t i;

    for (i = 0; i < v->ncalls; i++) {
        struct sv_call *c = v->calls[i], *p = sv_find_call(v, c->parent);
        if (!sv_is_over(c) || c->threaded || (p && !sv_is_over(p)))
            continue;
        free_call(c);
        memmove(&v->calls[i], &v->calls[i + 1], (v->ncalls - i - 1) * sizeof(v->calls[0]));
        v->ncalls--;
        return 0;
    }
    return -1;
}

struct sv_call *sv_new_call(struct sim_voice *v, const char *direction, const char *from,
                            const char *to, const char **why)
{
    struct sv_call *c;

    if (v->stopping) {
        *why = "the simulator is stopping";
        return NULL;
    }
    if (v->ncalls == SV_MAX_CALLS && evict_one(v)) {
        *why = "too many calls at once";
        return NULL;
    }
    c = calloc(1, sizeof(*c));
    if (!c) {
        *why = "out of memory";
        return NULL;
    }
    c->v = v;
    sim_new_sid("CA", c->sid);
    sv_copy(c->direction, sizeof(c->direction), direction);
    sv_copy(c->from, sizeof(c->from), from);
    sv_copy(c->to, sizeof(c->to), to);
    sv_copy(c->status, sizeof(c->status), "queued");
    sv_copy(c->method, sizeof(c->method), "POST");
    c->created = wake_now_ms();
    c->busy = 1;
    sv_cond_init(&c->cv);
    v->calls[v->ncalls++] = c;
    return c;
}

/* A <Dial><Number> leg (no thread of its own) ends with status; its parent is told. */
void sv_end_leg(struct sim_voice *v, struct sv_call *leg, const char *status)
{
    struct sv_call *p = sv_find_call(v, leg->parent);

    sv_copy(leg->end_status, sizeof(leg->end_status), status);
    sv_copy(leg->status, sizeof(leg->status), status);
    leg->ended = wake_now_ms();
    leg->busy = 0;
    if (p)
        sv_poke(p);
}

/*
 * Ends c with status, whatever it is doing: a call with a thread is told (it
 * finishes, posting what Twilio posts on a hangup); a leg ends at once.
 */
void sv_end_call(struct sim_voice *v, struct sv_call *c, const char *status)
{
    if (sv_is_over(c) || c->end_status[0])
        return;
    if (!c->threaded) {
        sv_end_leg(v, c, status);
        return;
    }
    sv_copy(c->end_status, sizeof(c->end_status), status);
    sv_poke(c);
}

void sv_settle(struct sim_voice *v, struct sv_call *c)
{
    struct timespec until = sv_deadline(SV_SETTLE_MS);

    while (c->busy && !v->stopping)
        if (pthread_cond_timedwait(&c->cv, &v->mu, &until) == ETIMEDOUT)
            break;
}

/* ---- recordings ---- */

void sv_rec_add(struct sim_voice *v, struct sv_call *c, int seconds, char sid[SIM_ID_LEN])
{
    struct sv_rec *r;

    sim_new_sid("RE", sid);
    pthread_mutex_lock(&v->mu);
    if (v->nrecs == SV_MAX_RECS)
        memmove(v->recs, v->recs + 1, (SV_MAX_RECS - 1) * sizeof(v->recs[0]));
    else
        v->nrecs++;
    r = &v->recs[v->nrecs - 1];
    memset(r, 0, sizeof(*r));
    sv_copy(r->sid, sizeof(r->sid), sid);
    sv_copy(r->call, sizeof(r->call), c->sid);
    r->seconds = seconds;
    r->at = wake_now_ms();
    if (c->nrecordings == SV_MAX_LIST)
        memmove(c->recordings, c->recordings + 1, (SV_MAX_LIST - 1) * sizeof(c->recordings[0]));
    else
        c->nrecordings++;
    sv_copy(c->recordings[c->nrecordings - 1], SIM_ID_LEN, sid);
    pthread_mutex_unlock(&v->mu);
}

struct sv_rec *sv_rec_find(struct sim_voice *v, const char *sid)
{
    struct sv_rec *r = NULL;
    size_t i;

    for (i = 0; i < v->nrecs; i++)
        if (!strcmp(v->recs[i].sid, sid) && !v->recs[i].deleted)
            r = &v->recs[i];
    return r;
}

void sv_free_calls(struct sim_voice *v)
{
    size_t i;

    for (i = 0; i < v->ncalls; i++)
        free_call(v->calls[i]);
    v->ncalls = 0;
}

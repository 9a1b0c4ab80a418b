/*
 * http_conns.c - see http_conns.h.
 *
 * One list of connections under one mutex: a server holds at most a few
 * hundred, so a new connection's checks and each deadline round walk it
 * whole. Every callback that touches it runs on libmicrohttpd's threads,
 * the deadline round on a thread of its own.
 */
#include "http_conns.h"
#include "log.h"
#include "wake.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

struct http_conn {
    struct http_conn *prev, *next;
    int fd;
    unsigned char key[HTTP_CONNS_KEY_LEN];
    size_t keylen;
    enum http_phase phase;
    int64_t since; /* ms (monotonic): when it entered its phase */
    int closing;   /* shut down by us: no longer counted */
};

struct http_conns {
    struct http_conns_opts o;
    pthread_mutex_t mu;
    struct http_conn *head;
    struct http_conns_stats st;    /* under mu */
    struct http_conns_stats shown; /* what the last http.guard line counted */
    int64_t shown_at;
    struct wake wake; /* stops the deadline thread */
    pthread_t thread;
    int running, stopping;
};

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

size_t http_conns_addr_key(const struct sockaddr *addr, unsigned char key[HTTP_CONNS_KEY_LEN])
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

    if (!addr)
        return 0;
    if (addr->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)(const void *)addr;
        key[0] = 4;
        memcpy(key + 1, &a->sin_addr, 4);
        return 5;
    }
    if (addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)(const void *)addr;
        if (!memcmp(a->sin6_addr.s6_addr, mapped, sizeof(mapped))) {
            key[0] = 4; /* an IPv4 client of a dual-stack socket is that IPv4 address */
            memcpy(key + 1, a->sin6_addr.s6_addr + 12, 4);
            return 5;
        }
        key[0] = 6;
        memcpy(key + 1, a->sin6_addr.s6_addr, 8);
        return 9;
    }
    return 0;
}

/* Closes c's connection (under t->mu); libmicrohttpd then sees the stream end. */
static void shut(struct http_conns *t, struct http_conn *c)
{
    c->closing = 1;
    t->st.open--;
    shutdown(c->fd, SHUT_RDWR);
}

/* The connection to close to make room (under t->mu), or NULL: see http_conns.h. */
static struct http_conn *victim(struct http_conns *t, int64_t now)
{
    struct http_conn *c, *idle = NULL, *slow = NULL;

    for (c = t->head; c; c = c->next) {
        if (c->closing)
            continue;
        if (c->phase == HTTP_WAITING && (!idle || c->since < idle->since))
            idle = c;
        else if ((c->phase == HTTP_HEADERS || c->phase == HTTP_BODY) &&
                 now - c->since >= HTTP_CONNS_GRACE_MS && (!slow || c->since < slow->since))
            slow = c;
    }
    return idle ? idle : slow;
}

int http_conns_admit(struct http_conns *t, const struct sockaddr *addr, socklen_t addrlen)
{
    unsigned char key[HTTP_CONNS_KEY_LEN];
    size_t keylen = http_conns_addr_key(addr, key);
    struct http_conn *c;
    unsigned same = 0;
    int ok = 1;

    (void)addrlen;
    pthread_mutex_lock(&t->mu);
    if (t->o.per_addr && keylen) {
        for (c = t->head; c; c = c->next)
            same += !c->closing && c->keylen == keylen && !memcmp(c->key, key, keylen);
        if (same >= t->o.per_addr) {
            t->st.refused_addr++;
            ok = 0;
        }
    }
    if (ok && t->o.limit && t->st.open >= t->o.limit) {
        c = victim(t, mono_ms());
        if (c) {
            shut(t, c);
            t->st.evicted++;
        } else {
            t->st.refused_full++;
            ok = 0;
        }
    }
    pthread_mutex_unlock(&t->mu);
    return ok;
}

struct http_conn *http_conns_open(struct http_conns *t, int fd, const struct sockaddr *addr)
{
    struct http_conn *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    c->fd = fd;
    c->keylen = http_conns_addr_key(addr, c->key);
    c->phase = HTTP_WAITING;
    pthread_mutex_lock(&t->mu);
    c->since = mono_ms();
    c->next = t->head;
    if (t->head)
        t->head->prev = c;
    t->head = c;
    t->st.open++;
    pthread_mutex_unlock(&t->mu);
    return c;
}

void http_conns_close(struct http_conns *t, struct http_conn *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&t->mu);
    if (c->prev)
        c->prev->next = c->next;
    else
        t->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    if (!c->closing)
        t->st.open--;
    pthread_mutex_unlock(&t->mu);
    free(c);
}

void http_conns_phase(struct http_conns *t, struct http_conn *c, enum http_phase p)
{
    if (!c)
        return;
    pthread_mutex_lock(&t->mu);
    if (c->phase != p) {
        c->phase = p;
        c->since = mono_ms();
    }
    pthread_mutex_unlock(&t->mu);
}

void http_conns_stats(struct http_conns *t, struct http_conns_stats *out)
{
    pthread_mutex_lock(&t->mu);
    *out = t->st;
    pthread_mutex_unlock(&t->mu);
}

/* One round (under t->mu): closes every connection past its phase's deadline. */
static void deadlines(struct http_conns *t, int64_t now)
{
    struct http_conn *c;

    for (c = t->head; c; c = c->next) {
        unsigned limit = c->phase == HTTP_WAITING   ? t->o.idle_ms
                         : c->phase == HTTP_HEADERS ? t->o.header_ms
                         : c->phase == HTTP_BODY    ? t->o.body_ms
                                                    : 0;
        if (c->closing || !limit || now - c->since < limit)
            continue;
        shut(t, c);
        if (c->phase == HTTP_WAITING)
            t->st.cut_idle++;
        else if (c->phase == HTTP_HEADERS)
            t->st.cut_headers++;
        else
            t->st.cut_body++;
    }
}

/* At most every HTTP_CONNS_SUMMARY_MS, what the guards did since the last line, if anything. */
static void summary(struct http_conns *t, int64_t now)
{
    struct http_conns_stats s, d;

    if (now - t->shown_at < HTTP_CONNS_SUMMARY_MS)
        return;
    pthread_mutex_lock(&t->mu);
    s = t->st;
    pthread_mutex_unlock(&t->mu);
    d.refused_full = s.refused_full - t->shown.refused_full;
    d.refused_addr = s.refused_addr - t->shown.refused_addr;
    d.evicted = s.evicted - t->shown.evicted;
    d.cut_idle = s.cut_idle - t->shown.cut_idle;
    d.cut_headers = s.cut_headers - t->shown.cut_headers;
    d.cut_body = s.cut_body - t->shown.cut_body;
    if (!d.refused_full && !d.refused_addr && !d.evicted && !d.cut_idle && !d.cut_headers &&
        !d.cut_body)
        return;
    log_warnx("http.guard",
              "open=%u refused_full=%lu refused_address=%lu made_room=%lu cut_idle=%lu "
              "cut_headers=%lu cut_body=%lu in_ms=%lld",
              s.open, d.refused_full, d.refused_addr, d.evicted, d.cut_idle, d.cut_headers,
              d.cut_body, (long long)(now - t->shown_at));
    t->shown = s;
    t->shown_at = now;
}

static void *run(void *arg)
{
    struct http_conns *t = arg;

    prctl(PR_SET_NAME, "http-deadlines");
    for (;;) {
        int64_t now;
        int stop;

        wake_wait(&t->wake, HTTP_CONNS_TICK_MS);
        now = mono_ms();
        pthread_mutex_lock(&t->mu);
        stop = t->stopping;
        if (!stop)
            deadlines(t, now);
        pthread_mutex_unlock(&t->mu);
        if (stop)
            break;
        summary(t, now);
    }
    return NULL;
}

struct http_conns *http_conns_new(const struct http_conns_opts *o)
{
    struct http_conns *t = calloc(1, sizeof(*t));

    if (!t)
        return NULL;
    t->o = *o;
    t->shown_at = mono_ms();
    if (pthread_mutex_init(&t->mu, NULL)) {
        free(t);
        return NULL;
    }
    if (wake_init(&t->wake)) {
        pthread_mutex_destroy(&t->mu);
        free(t);
        return NULL;
    }
    if (o->idle_ms || o->header_ms || o->body_ms || o->limit || o->per_addr) {
        if (pthread_create(&t->thread, NULL, run, t)) {
            wake_destroy(&t->wake);
            pthread_mutex_destroy(&t->mu);
            free(t);
            return NULL;
        }
        t->running = 1;
    }
    return t;
}

void http_conns_free(struct http_conns *t)
{
    struct http_conn *c, *next;

    if (!t)
        return;
    if (t->running) {
        pthread_mutex_lock(&t->mu);
        t->stopping = 1;
        pthread_mutex_unlock(&t->mu);
        wake_signal(&t->wake);
        pthread_join(t->thread, NULL);
    }
    for (c = t->head; c; c = next) { /* none, once the server has stopped */
        next = c->next;
        free(c);
    }
    wake_destroy(&t->wake);
    pthread_mutex_destroy(&t->mu);
    free(t);
}

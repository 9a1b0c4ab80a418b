/*
 * load.c - see load.h.
 *
 * The loop: start every due request on a free slot (curl_multi_add_handle),
 * let libcurl move bytes (curl_multi_perform), harvest finished transfers
 * (curl_multi_info_read: latency, status class, the slot back on the free
 * stack), then sleep in curl_multi_poll until a socket is ready, a curl
 * timer fires or the next paced request is due. A finished transfer's slot
 * is refilled before sleeping, so the connections never sit idle while
 * requests wait. Nothing is allocated per request: the slots, their header
 * lists and the latency array are set up before the first request.
 */
#include "common.h"
#include "load.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct slot {
    CURL *easy;
    /* Content-Type, "Expect:" (no 100-continue round trip), the request's own line. */
    struct curl_slist hdr[3];
    size_t req;    /* the request it carries */
    int64_t start; /* when it was handed to libcurl */
};

int64_t load_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
    (void)p;
    (void)arg;
    return size * n;
}

/* When request i may start: t0 + i / rate. */
static int64_t due_at(const struct load_opts *o, int64_t t0, size_t i)
{
    return t0 + (int64_t)((double)i * 1e6 / o->rate);
}

/* The easy handle's options that never change between requests. */
static int slot_setup(struct slot *s, const struct load_opts *o, const char *url)
{
    CURLcode e = CURLE_OK;

    s->easy = curl_easy_init();
    if (!s->easy)
        return -1;
    s->hdr[0].data = "Content-Type: application/x-www-form-urlencoded";
    s->hdr[0].next = &s->hdr[1];
    s->hdr[1].data = "Expect:";
    s->hdr[1].next = NULL;
    s->hdr[2].data = NULL;
    s->hdr[2].next = NULL;
    e |= curl_easy_setopt(s->easy, CURLOPT_URL, url);
    e |= curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->hdr);
    e |= curl_easy_setopt(s->easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    e |= curl_easy_setopt(s->easy, CURLOPT_TCP_NODELAY, 1L);
    e |= curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L);
    e |= curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, discard);
    e |= curl_easy_setopt(s->easy, CURLOPT_PRIVATE, s);
    if (o->userpwd) {
        e |= curl_easy_setopt(s->easy, CURLOPT_USERPWD, o->userpwd);
        e |= curl_easy_setopt(s->easy, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    }
    return e == CURLE_OK ? 0 : -1;
}

/* Points the slot at request i (the caller's bytes, no copy) and hands it to libcurl. */
static int slot_start(CURLM *m, struct slot *s, const struct load_req *q, size_t i)
{
    CURLcode e = CURLE_OK;

    /* curl only reads header lines; the cast drops a const it never needed. */
    s->hdr[2].data = (char *)q->header;
    s->hdr[1].next = q->header ? &s->hdr[2] : NULL;
    e |= curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->len);
    e |= curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, q->body);
    if (e != CURLE_OK)
        return -1;
    s->req = i;
    s->start = load_now_us();
    return curl_multi_add_handle(m, s->easy) == CURLM_OK ? 0 : -1;
}

/* A finished transfer: its latency, its status class. */
static void slot_done(struct slot *s, CURLcode result, int64_t end, int64_t *lat,
                      struct load_result *r)
{
    long code = 0, connects = 0;

    lat[s->req] = end - s->start;
    if (curl_easy_getinfo(s->easy, CURLINFO_NUM_CONNECTS, &connects) == CURLE_OK)
        r->connects += connects;
    if (result == CURLE_OK)
        curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &code);
    if (result != CURLE_OK || code < 100 || code > 599) {
        r->status[0]++;
        r->failed++;
        return;
    }
    r->status[code / 100]++;
    if (code / 100 == 2)
        r->ok++;
    else
        r->failed++;
}

int load_run(const struct load_opts *o, const struct load_req *reqs, size_t n,
             struct load_result *r)
{
    CURLM *m = NULL;
    CURLMsg *msg;
    struct slot *slots = NULL, **freestack = NULL;
    int64_t *lat = NULL, t0, first = 0, last = 0, now;
    size_t nslots, nfree = 0, next = 0, done = 0, i;
    int rc = -1, global = 0, running, left, freed;

    if (r)
        memset(r, 0, sizeof(*r));
    if (!o || !o->url || !r || (!reqs && n) || o->connections < 1 || !(o->rate >= 0))
        return -1;
    nslots = (size_t)o->connections;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return -1;
    global = 1;
    slots = calloc(nslots, sizeof(*slots));
    freestack = calloc(nslots, sizeof(*freestack));
    lat = calloc(n ? n : 1, sizeof(*lat));
    m = curl_multi_init();
    if (!slots || !freestack || !lat || !m)
        goto fail;
    if (curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, (long)nslots) != CURLM_OK ||
        curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)nslots) != CURLM_OK ||
        curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)nslots) != CURLM_OK)
        goto fail;
    for (i = 0; i < nslots; i++) {
        if (slot_setup(&slots[i], o, o->url2 && i % 2 ? o->url2 : o->url))
            goto fail;
        freestack[nfree++] = &slots[nslots - 1 - i];
    }

    t0 = load_now_us();
    while (done < n) {
        /* Start whatever is due while a slot is free. */
        now = load_now_us();
        while (nfree && next < n) {
            if (o->rate > 0 && now < due_at(o, t0, next))
                break;
            if (slot_start(m, freestack[nfree - 1], &reqs[next], next))
                goto fail;
            if (!first)
                first = freestack[nfree - 1]->start;
            nfree--;
            next++;
            r->sent++;
        }
        if (curl_multi_perform(m, &running) != CURLM_OK)
            goto fail;
        freed = 0;
        while ((msg = curl_multi_info_read(m, &left))) {
            struct slot *s;
            char *priv = NULL;

            if (msg->msg != CURLMSG_DONE)
                continue;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
            s = (struct slot *)priv;
            last = load_now_us();
            slot_done(s, msg->data.result, last, lat, r);
            curl_multi_remove_handle(m, s->easy);
            freestack[nfree++] = s;
            done++;
            freed = 1;
        }
        if (done == n)
            break;
        /* A slot came free and a request waits: refill before sleeping. */
        if (freed && next < n && (o->rate <= 0 || load_now_us() >= due_at(o, t0, next)))
            continue;
        {
            int timeout_ms = 1000;

            if (o->rate > 0 && nfree && next < n) {
                int64_t wait = due_at(o, t0, next) - load_now_us();

                timeout_ms = wait <= 0 ? 0 : wait >= 1000000 ? 1000 : (int)((wait + 999) / 1000);
            }
            if (curl_multi_poll(m, NULL, 0, timeout_ms, NULL) != CURLM_OK)
                goto fail;
        }
    }

    if (n) {
        r->seconds = (double)(last - first) / 1e6;
        r->per_s = r->seconds > 0 ? (double)r->ok / r->seconds : 0;
        qsort(lat, n, sizeof(*lat), bench_cmp_i64);
        r->lat_p50_us = (double)bench_pct(lat, n, 0.50);
        r->lat_p99_us = (double)bench_pct(lat, n, 0.99);
    }
    rc = 0;
fail:
    for (i = 0; slots && i < nslots; i++) {
        if (!slots[i].easy)
            continue;
        if (m)
            curl_multi_remove_handle(m, slots[i].easy); /* harmless when not added */
        curl_easy_cleanup(slots[i].easy);
    }
    if (m)
        curl_multi_cleanup(m);
    free(lat);
    free(freestack);
    free(slots);
    if (global)
        curl_global_cleanup();
    return rc;
}

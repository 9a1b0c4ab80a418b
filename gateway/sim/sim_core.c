/*
 * sim_core.c - what the simulator keeps whichever provider it speaks: the
 * log of texts, carrier opt-outs, the fault switches every API call goes
 * through, the queue of delivery reports for the callback thread, and new
 * ids and dates. Every function here takes s->mu for as long as it needs
 * it (sim_opted_out_locked: the caller holds it).
 */
#include "sim_priv.h"
#include "http.h"

#include <jansson.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void sim_new_sid(const char *prefix, char out[40])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char r[16];
    int i;

    RAND_bytes(r, sizeof(r));
    out[0] = prefix[0];
    out[1] = prefix[1];
    for (i = 0; i < 16; i++) {
        out[2 + 2 * i] = hex[r[i] >> 4];
        out[3 + 2 * i] = hex[r[i] & 15];
    }
    out[34] = '\0';
}

void sim_rfc2822(int64_t ms, char *out, size_t n)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, n, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

long sim_record(struct sim *s, const char *sid, const char *dir, const char *from, const char *to,
                const char *body, const char *status)
{
    struct sim_text *t;
    long id;

    pthread_mutex_lock(&s->mu);
    if (s->ntexts == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        struct sim_text *nt = realloc(s->texts, cap * sizeof(*nt));
        if (!nt) {
            pthread_mutex_unlock(&s->mu);
            return -1;
        }
        s->texts = nt;
        s->cap = cap;
    }
    t = &s->texts[s->ntexts++];
    memset(t, 0, sizeof(*t));
    t->id = id = ++s->next_id;
    snprintf(t->sid, sizeof(t->sid), "%s", sid);
    snprintf(t->direction, sizeof(t->direction), "%s", dir);
    snprintf(t->from, sizeof(t->from), "%s", from);
    snprintf(t->to, sizeof(t->to), "%s", to);
    t->body = strdup(body ? body : "");
    snprintf(t->status, sizeof(t->status), "%s", status);
    t->at = wake_now_ms();
    pthread_mutex_unlock(&s->mu);
    return id;
}

void sim_set_gateway_status(struct sim *s, long id, long status)
{
    size_t i;

    pthread_mutex_lock(&s->mu);
    for (i = 0; i < s->ntexts; i++)
        if (s->texts[i].id == id)
            s->texts[i].gateway_status = status;
    pthread_mutex_unlock(&s->mu);
}

void sim_json_reply(struct http_response *res, int status, json_t *j)
{
    char *txt = json_dumps(j, JSON_COMPACT);

    res->status = status;
    res->content_type = "application/json";
    buf_reset(&res->body);
    buf_puts(&res->body, txt ? txt : "{}");
    free(txt);
    json_decref(j);
}

/* 1 when phone has opted out of our number at the carrier. Caller holds s->mu. */
int sim_opted_out_locked(const struct sim *s, const char *phone, const char *number)
{
    size_t i;

    for (i = 0; i < s->noptouts; i++)
        if (!strcmp(s->optouts[i][0], phone) && !strcmp(s->optouts[i][1], number))
            return 1;
    return 0;
}

int sim_opted_out(struct sim *s, const char *phone, const char *number)
{
    int opted;

    pthread_mutex_lock(&s->mu);
    opted = sim_opted_out_locked(s, phone, number);
    pthread_mutex_unlock(&s->mu);
    return opted;
}

void sim_enqueue_callback(struct sim *s, const char *url, const char *sid, const char *status,
                          int error_code, const char *from, const char *to, const char *text)
{
    struct sim_callback *cb = calloc(1, sizeof(*cb));

    if (!cb)
        return;
    if (text && !(cb->text = strdup(text))) {
        free(cb);
        return;
    }
    snprintf(cb->url, sizeof(cb->url), "%s", url);
    snprintf(cb->sid, sizeof(cb->sid), "%s", sid);
    snprintf(cb->status, sizeof(cb->status), "%s", status);
    cb->error_code = error_code;
    snprintf(cb->from, sizeof(cb->from), "%s", from);
    snprintf(cb->to, sizeof(cb->to), "%s", to);
    pthread_mutex_lock(&s->mu);
    if (s->cb_tail)
        s->cb_tail->next = cb;
    else
        s->cb_head = cb;
    s->cb_tail = cb;
    pthread_mutex_unlock(&s->mu);
    wake_signal(&s->cb_wake);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts))
        ;
}

int sim_fault_take(struct sim *s, struct http_response *res, char mode[8])
{
    int64_t start = wake_now_ms(), left;

    mode[0] = '\0';

    /* Held in short steps, so turning latency down releases calls already waiting. */
    for (;;) {
        pthread_mutex_lock(&s->mu);
        left = start + s->latency_ms - wake_now_ms();
        pthread_mutex_unlock(&s->mu);
        if (left <= 0)
            break;
        sleep_ms(left < 100 ? (long)left : 100);
    }
    pthread_mutex_lock(&s->mu);
    if (!strcmp(s->fault_mode, "down") || (s->fault_mode[0] && s->fault_count > 0)) {
        snprintf(mode, 8, "%s", s->fault_mode);
        if (strcmp(mode, "down") && --s->fault_count == 0)
            s->fault_mode[0] = '\0';
        s->faults++;
    }
    pthread_mutex_unlock(&s->mu);
    if (!mode[0])
        return 0;
    if (strcmp(mode, "429") && strcmp(mode, "500"))
        res->drop = 1; /* "drop" and "down": the connection closes with no answer */
    return 1;
}

void sim_next_delivery(struct sim *s, char out[16])
{
    pthread_mutex_lock(&s->mu);
    if (s->delivery_count > 0 && strcmp(s->delivery, "delivered")) {
        snprintf(out, 16, "%s", s->delivery);
        if (--s->delivery_count == 0)
            snprintf(s->delivery, sizeof(s->delivery), "delivered");
    } else {
        snprintf(out, 16, "delivered");
    }
    pthread_mutex_unlock(&s->mu);
}

size_t sim_sink(char *p, size_t size, size_t n, void *arg)
{
    (void)p;
    (void)arg;
    return size * n;
}

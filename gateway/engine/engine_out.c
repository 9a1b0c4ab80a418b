/*
 * engine_out.c - how the engine speaks: every text goes through
 * engine_send()/engine_say(), which only add outbox rows (split when long;
 * a relay carries at most RELAY_MAX_CHARS characters of what one person
 * wrote: engine_relay); the sender thread does the network. Also the small
 * roster and config lookups the texts need.
 */
#include "engine_priv.h"
#include "buf.h"
#include "config.h"
#include "log.h"
#include "roster.h"
#include "store.h"
#include "sms.h"
#include "texts.h"
#include "utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct part_ctx {
    struct engine *e;
    struct store_out *o;
    int rc;
};

static int add_part(void *arg, const char *part)
{
    struct part_ctx *pc = arg;
    struct engine *e = pc->e;

    pc->o->body = (char *)part;
    if (store_outbox_add(e->st, pc->o, e->now))
        return pc->rc = -1;
    e->queued++;
    if (e->arrival_us && e->nready < ENGINE_READY) { /* timed: see latency.h */
        e->ready[e->nready].outbox_id = store_last_id(e->st);
        e->ready[e->nready].arrival_us = e->arrival_us;
        e->nready++;
    }
    return 0;
}

/* Queues body (split when long) from -> to. expires_at 0: the usual useful life. */
int engine_send_full(struct engine *e, int64_t conv, const char *to, const char *from,
                     enum out_kind kind, const char *body, int64_t origin, int64_t expires_at,
                     int after_optout)
{
    struct store_out o = {0};
    struct part_ctx pc = {e, &o, 0};

    if (!body || !*body)
        return 0;
    if (kind == OUT_RELAY && e->cfg->limits.relay_gap > 0) {
        /*
         * Relays wait relay_gap before they go, and what the same writer sends
         * meanwhile joins them: a burst of fragments reaches the reader as one
         * text, a flood as a few. Nothing is dropped; it is only put together.
         */
        int merged = 0;
        if (store_outbox_merge_relay(e->st, conv, to, from, body, SMS_MAX_CHARS, &merged))
            return -1;
        if (merged)
            return 0;
        o.not_before = e->now + e->cfg->limits.relay_gap;
    }
    o.conv_id = conv;
    snprintf(o.to, sizeof(o.to), "%s", to);
    snprintf(o.from, sizeof(o.from), "%s", from);
    o.kind = kind;
    o.origin_inbound = origin;
    o.expires_at = expires_at ? expires_at : e->now + e->cfg->retry.max_age;
    o.after_optout = after_optout;
    if (sms_split(body, SMS_MAX_CHARS, add_part, &pc) || pc.rc)
        return -1;
    return 0;
}

int engine_send(struct engine *e, int64_t conv, const char *to, const char *from,
                enum out_kind kind, const char *body, int64_t origin)
{
    return engine_send_full(e, conv, to, from, kind, body, origin, 0, 0);
}

size_t engine_relay_len(const char *body, int *cut)
{
    size_t len = strlen(body), n = utf8_prefix(body, len, RELAY_MAX_CHARS);

    *cut = n < len;
    return n;
}

int engine_relay(struct engine *e, int64_t conv, const char *to, const char *from, const char *body,
                 int64_t origin, int *cut)
{
    size_t n = engine_relay_len(body, cut);
    char *part;
    int rc;

    if (!*cut)
        return engine_send(e, conv, to, from, OUT_RELAY, body, origin);
    part = strndup(body, n);
    if (!part)
        return -1;
    log_info("relay.shortened", "conv=%lld inbound=%lld chars=%zu", (long long)conv,
             (long long)origin, sms_chars(body));
    rc = engine_send(e, conv, to, from, OUT_RELAY, part, origin);
    free(part);
    return rc;
}

const char *engine_lang_of(struct engine *e, const char *number)
{
    const struct roster *r = e->roster;
    const struct roster_peer *p = roster_peer_by_phone(r, number);
    const char *const *codes;
    size_t n = texts_languages(e->texts, &codes), i;

    if (p) {
        /* Peers read the first of the line's languages they speak. */
        for (i = 0; i < n; i++) {
            int li = roster_lang_index(r, codes[i]);
            if (li >= 0 && (p->langs & (1ull << li)))
                return codes[i];
        }
        return codes[0];
    }
    if (roster_coordinator_by_phone(r, number))
        return codes[0];
    if (store_contact_lang(e->st, number, e->lang_buf) == STORE_FOUND)
        return texts_lang(e->texts, e->lang_buf);
    return codes[0];
}

int engine_render(struct engine *e, enum text_id id, const char *lang, const struct text_var *vars,
                  size_t nvars, struct buf *out)
{
    /* What any text may mention, after the caller's own values. */
    struct text_var all[32];
    size_t n = 0, i;

    for (i = 0; i < nvars && n < 28; i++)
        all[n++] = vars[i];
    all[n++] = (struct text_var){"line", e->roster->line_name};
    all[n++] = (struct text_var){"line_number", e->cfg->provider.line_number};
    all[n++] = (struct text_var){"crisis_line", e->cfg->crisis.crisis_line};
    all[n++] = (struct text_var){"emergency", e->cfg->crisis.emergency};
    return texts_render(e->texts, id, lang, all, n, out);
}

/* Renders a system text in the recipient's language and queues it. */
int engine_say_full(struct engine *e, int64_t conv, const char *to, const char *from,
                    enum text_id id, const struct text_var *vars, size_t nvars, enum out_kind kind,
                    int64_t expires_at, int after_optout)
{
    struct buf b = BUF_INIT(0);
    int rc = -1;

    if (!engine_render(e, id, engine_lang_of(e, to), vars, nvars, &b))
        rc = engine_send_full(e, conv, to, from, kind, b.p, 0, expires_at, after_optout);
    buf_free(&b);
    return rc;
}

int engine_say(struct engine *e, int64_t conv, const char *to, const char *from, enum text_id id,
               const struct text_var *vars, size_t nvars)
{
    return engine_say_full(e, conv, to, from, id, vars, nvars, OUT_SYSTEM, 0, 0);
}

int engine_say_shortened(struct engine *e, int64_t conv, const char *peer, const char *number,
                         enum text_id id)
{
    char max[16];
    struct text_var v[] = {{"max", max}};

    snprintf(max, sizeof(max), "%d", RELAY_MAX_CHARS);
    return engine_say(e, conv, peer, number, id, v, NVARS(v));
}

int engine_say_menu(struct engine *e, const struct store_conv *c, enum text_id id)
{
    const struct roster *r = e->roster;
    const char *lang = texts_lang(e->texts, c->lang), *const * codes;
    struct buf menu = BUF_INIT(0), sw = BUF_INIT(0);
    size_t n = texts_languages(e->texts, &codes), i;
    int rc = -1;

    for (i = 0; i < r->ntopics; i++)
        if (buf_printf(&menu, "%s%zu %s", i ? ", " : "", i + 1, r->topics[i].label))
            goto done;
    /* Each other language offers itself, in its own words: " Para español, responde ES." */
    for (i = 0; i < n; i++)
        if (strcmp(codes[i], lang) && texts_render(e->texts, TX_LANG_OFFER, codes[i], NULL, 0, &sw))
            goto done;
    {
        struct text_var v[] = {{"menu", menu.p ? menu.p : ""}, {"switch", sw.p ? sw.p : ""}};
        rc = engine_say(e, c->id, c->texter, c->line_number, id, v, NVARS(v));
    }
done:
    buf_free(&menu);
    buf_free(&sw);
    return rc;
}

int engine_is_pool(const struct config *c, const char *number)
{
    size_t i;

    for (i = 0; i < c->provider.npool; i++)
        if (!strcmp(c->provider.pool[i], number))
            return 1;
    return 0;
}

/* The numbers conversations with peers use: the pool, or the line number alone. */
size_t engine_conv_numbers(const struct config *c, const char *const **list)
{
    if (c->provider.npool) {
        *list = (const char *const *)c->provider.pool;
        return c->provider.npool;
    }
    *list = (const char *const *)&c->provider.line_number;
    return 1;
}

const char *engine_topic_label(const struct roster *r, const char *topic_id)
{
    int t = roster_topic_index(r, topic_id);

    return t >= 0 ? r->topics[t].label : topic_id;
}

void engine_format_minutes(int64_t ms, const char *lang, char *out, size_t n)
{
    int64_t min = ms / 60000;

    if (min < 1)
        snprintf(out, n, "%s",
                 lang && !strcmp(lang, "es") ? "menos de un minuto" : "under a minute");
    else if (min < 60)
        snprintf(out, n, "%lld min", (long long)min);
    else
        snprintf(out, n, "%lld h %lld min", (long long)(min / 60), (long long)(min % 60));
}

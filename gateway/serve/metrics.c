/*
 * metrics.c - see metrics.h. Names follow Prometheus conventions: counters
 * end in _total, durations are in seconds, every line has HELP and TYPE.
 */
#include "metrics.h"
#include "latency.h"
#include "buf.h"
#include "match.h"
#include "roster.h"
#include "status.h"
#include "store.h"

#include <string.h>

static const double latency_le[METRICS_LATENCY_BUCKETS] = {0.1, 0.25, 0.5, 1,  2.5,
                                                           5,   10,   30,  60, 300};

void metrics_init(struct metrics *m)
{
    int i;

    for (i = 0; i < MI_COUNT; i++)
        atomic_init(&m->inbound[i], 0);
    for (i = 0; i <= METRICS_LATENCY_BUCKETS; i++)
        atomic_init(&m->latency[i], 0);
    atomic_init(&m->send_attempts, 0);
    atomic_init(&m->send_retries, 0);
    atomic_init(&m->latency_count, 0);
    atomic_init(&m->latency_sum_ms, 0);
    atomic_init(&m->reloads_ok, 0);
    atomic_init(&m->config_generations, 0);
    atomic_init(&m->ingest_commits, 0);
    atomic_init(&m->ingest_items, 0);
    atomic_init(&m->reloads_failed, 0);
}

void metrics_inbound(struct metrics *m, enum metrics_inbound what)
{
    if (m)
        atomic_fetch_add(&m->inbound[what], 1);
}

void metrics_sent(struct metrics *m, int64_t latency_ms)
{
    int i;

    if (!m)
        return;
    if (latency_ms < 0)
        latency_ms = 0;
    for (i = 0; i < METRICS_LATENCY_BUCKETS && latency_ms > latency_le[i] * 1000; i++)
        ;
    atomic_fetch_add(&m->latency[i], 1);
    atomic_fetch_add(&m->latency_count, 1);
    atomic_fetch_add(&m->latency_sum_ms, (unsigned long long)latency_ms);
}

void metrics_attempt(struct metrics *m, int retry)
{
    if (!m)
        return;
    atomic_fetch_add(&m->send_attempts, 1);
    if (retry)
        atomic_fetch_add(&m->send_retries, 1);
}

void metrics_reload(struct metrics *m, int ok)
{
    if (m)
        atomic_fetch_add(ok ? &m->reloads_ok : &m->reloads_failed, 1);
}

void metrics_config_generations(struct metrics *m, unsigned long n)
{
    if (m)
        atomic_store(&m->config_generations, n);
}

void metrics_ingest(struct metrics *m, unsigned long commits, unsigned long items)
{
    if (!m)
        return;
    atomic_fetch_add(&m->ingest_commits, commits);
    atomic_fetch_add(&m->ingest_items, items);
}

static void head(struct buf *b, const char *name, const char *type, const char *help)
{
    buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Label values here are roster ids and fixed words: no escaping needed, but be safe. */
static void label(struct buf *b, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            buf_printf(b, "\\%c", *v);
        else if (*v == '\n')
            buf_puts(b, "\\n");
        else
            buf_printf(b, "%c", *v);
    }
}

/* Our own share of a text's time (latency.h), as a summary over the recent samples. */
static void timing(struct buf *b, struct latency *l)
{
    static const char *const stages[LATENCY_STAGES] = {"ready", "issued"};
    static const double q[] = {0.5, 0.99};
    double out[2], sum;
    uint64_t n;
    int st;

    head(b, "peerline_own_latency_seconds", "summary",
         "peerline's own time: webhook arrival to its outbox row committed (stage=ready), "
         "row committed to the provider request sent (stage=issued); recent texts.");
    for (st = 0; st < LATENCY_STAGES; st++) {
        n = latency_quantiles(l, (enum latency_stage)st, q, 2, out, &sum);
        buf_printf(b, "peerline_own_latency_seconds{stage=\"%s\",quantile=\"0.5\"} %.6f\n",
                   stages[st], out[0] / 1e6);
        buf_printf(b, "peerline_own_latency_seconds{stage=\"%s\",quantile=\"0.99\"} %.6f\n",
                   stages[st], out[1] / 1e6);
        buf_printf(b, "peerline_own_latency_seconds_sum{stage=\"%s\"} %.6f\n", stages[st],
                   sum / 1e6);
        buf_printf(b, "peerline_own_latency_seconds_count{stage=\"%s\"} %llu\n", stages[st],
                   (unsigned long long)n);
    }
}

static void process_counters(struct metrics *m, struct buf *b)
{
    static const char *const in_names[MI_COUNT] = {
        "stored", "duplicate", "bad_signature", "bad_request", "store_failed", "status", "spooled"};
    unsigned long cum = 0;
    int i;

    head(b, "peerline_webhooks_total", "counter",
         "Provider webhooks answered since this process started, by outcome.");
    for (i = 0; i < MI_COUNT; i++)
        buf_printf(b, "peerline_webhooks_total{outcome=\"%s\"} %lu\n", in_names[i],
                   m ? atomic_load(&m->inbound[i]) : 0UL);
    head(b, "peerline_send_retries_total", "counter",
         "Calls to the provider that were retries, since this process started.");
    buf_printf(b, "peerline_send_retries_total %lu\n", m ? atomic_load(&m->send_retries) : 0UL);
    head(b, "peerline_send_latency_seconds", "histogram",
         "From a text being queued to the provider accepting it, since this process started.");
    for (i = 0; i < METRICS_LATENCY_BUCKETS; i++) {
        cum += m ? atomic_load(&m->latency[i]) : 0;
        buf_printf(b, "peerline_send_latency_seconds_bucket{le=\"%g\"} %lu\n", latency_le[i], cum);
    }
    cum += m ? atomic_load(&m->latency[METRICS_LATENCY_BUCKETS]) : 0;
    buf_printf(b, "peerline_send_latency_seconds_bucket{le=\"+Inf\"} %lu\n", cum);
    buf_printf(b, "peerline_send_latency_seconds_sum %.3f\n",
               m ? (double)atomic_load(&m->latency_sum_ms) / 1000.0 : 0.0);
    buf_printf(b, "peerline_send_latency_seconds_count %lu\n",
               m ? atomic_load(&m->latency_count) : 0UL);
    timing(b, m ? m->timing : NULL);
    head(b, "peerline_ingest_commits_total", "counter",
         "Transactions the webhooks' writer committed (each groups every webhook waiting).");
    buf_printf(b, "peerline_ingest_commits_total %lu\n", m ? atomic_load(&m->ingest_commits) : 0UL);
    head(b, "peerline_ingest_webhooks_total", "counter",
         "Webhooks (texts and statuses) the webhooks' writer wrote, new or not.");
    buf_printf(b, "peerline_ingest_webhooks_total %lu\n", m ? atomic_load(&m->ingest_items) : 0UL);
    head(b, "peerline_reloads_total", "counter",
         "Config and roster reloads since this process started, by result.");
    buf_printf(b, "peerline_reloads_total{result=\"ok\"} %lu\n",
               m ? atomic_load(&m->reloads_ok) : 0UL);
    buf_printf(b, "peerline_reloads_total{result=\"failed\"} %lu\n",
               m ? atomic_load(&m->reloads_failed) : 0UL);
    head(b, "peerline_config_generations", "gauge",
         "Configs in memory: the one in use, the first (its restart-only settings), and old "
         "ones a thread may still be reading.");
    buf_printf(b, "peerline_config_generations %lu\n",
               m ? atomic_load(&m->config_generations) : 0UL);
}

static void database_totals(const struct store_totals *t, struct buf *b)
{
    static const char *const out_names[6] = {"pending", "sending", "sent",
                                             "failed",  "expired", "suppressed"};
    int i;

    head(b, "peerline_inbound_total", "counter", "Texts received and stored.");
    buf_printf(b, "peerline_inbound_total %lld\n", (long long)t->inbound);
    head(b, "peerline_inbound_ignored_total", "counter",
         "Texts stored but not acted on, by reason (own_number: from one of the line's numbers).");
    buf_printf(b, "peerline_inbound_ignored_total{reason=\"own_number\"} %lld\n",
               (long long)t->ignored_own);
    /* Finished texts only ever grow: a counter. Those on their way come and go: a gauge. */
    head(b, "peerline_outbound_total", "counter", "Texts the line finished sending, by outcome.");
    for (i = 2; i < 6; i++)
        buf_printf(b, "peerline_outbound_total{outcome=\"%s\"} %lld\n", out_names[i],
                   (long long)t->outbox[i]);
    head(b, "peerline_outbound_queued", "gauge", "Texts waiting to be sent, or being sent now.");
    for (i = 0; i < 2; i++)
        buf_printf(b, "peerline_outbound_queued{state=\"%s\"} %lld\n", out_names[i],
                   (long long)t->outbox[i]);
    head(b, "peerline_send_attempts_total", "counter", "Calls made to the provider's API.");
    buf_printf(b, "peerline_send_attempts_total %lld\n", (long long)t->send_attempts);
    head(b, "peerline_conversations_total", "counter", "Conversations started.");
    buf_printf(b, "peerline_conversations_total %lld\n", (long long)t->conversations);
    head(b, "peerline_offers_total", "counter", "Offers made to peers.");
    buf_printf(b, "peerline_offers_total %lld\n", (long long)t->offers);
    head(b, "peerline_offers_expired_total", "counter", "Offers no peer answered in time.");
    buf_printf(b, "peerline_offers_expired_total %lld\n", (long long)t->offers_expired);
    head(b, "peerline_alerts_total", "counter", "Safety alerts raised to coordinators.");
    buf_printf(b, "peerline_alerts_total %lld\n", (long long)t->alerts);
    head(b, "peerline_crisis_alerts_total", "counter", "Alerts raised by the crisis tripwire.");
    buf_printf(b, "peerline_crisis_alerts_total %lld\n", (long long)t->crisis_alerts);
}

static int resource_line(void *arg, const char *id, int64_t n)
{
    struct buf *b = arg;

    buf_puts(b, "peerline_resources_sent_total{resource=\"");
    label(b, id);
    return buf_printf(b, "\"} %lld\n", (long long)n);
}

/* What peers' tools were used for: counts only. */
static int tool_totals(struct store *st, struct buf *b)
{
    struct store_tool_counts t;
    struct buf res = BUF_INIT(0);
    int rc = store_tool_counts(st, 0, &t, resource_line, &res);

    if (!rc) {
        head(b, "peerline_notes_written_total", "counter", "Notes peers kept on chats (#note).");
        buf_printf(b, "peerline_notes_written_total %lld\n", (long long)t.notes);
        head(b, "peerline_resources_sent_total", "counter",
             "Resources peers sent to texters (#res ID), by resource id.");
        buf_append(b, res.p ? res.p : "", res.len);
        head(b, "peerline_shadowed_chats_total", "counter",
             "Chats a peer in training began to read along with.");
        buf_printf(b, "peerline_shadowed_chats_total %lld\n", (long long)t.shadowed);
        head(b, "peerline_debriefs_total", "counter",
             "Debriefs: check-ins offered after an urgent chat, and asked for (#debrief).");
        buf_printf(b, "peerline_debriefs_total{kind=\"offered\"} %lld\n",
                   (long long)t.debriefs_offered);
        buf_printf(b, "peerline_debriefs_total{kind=\"asked\"} %lld\n",
                   (long long)t.debriefs_asked);
    }
    buf_free(&res);
    return rc ? -1 : 0;
}

static void gauges(const struct line_status *s, struct buf *b)
{
    size_t i;

    head(b, "peerline_queue_length", "gauge", "Texters waiting for a peer, by topic.");
    for (i = 0; i < s->ntopics; i++) {
        buf_puts(b, "peerline_queue_length{topic=\"");
        label(b, s->topics[i].id);
        buf_printf(b, "\"} %d\n", s->topics[i].waiting);
    }
    head(b, "peerline_queue_longest_wait_seconds", "gauge",
         "How long the longest-waiting texter has waited, by topic.");
    for (i = 0; i < s->ntopics; i++) {
        buf_puts(b, "peerline_queue_longest_wait_seconds{topic=\"");
        label(b, s->topics[i].id);
        buf_printf(b, "\"} %.3f\n", (double)s->topics[i].longest_wait_ms / 1000.0);
    }
    head(b, "peerline_peers_available", "gauge", "Peers who could take a new chat now.");
    buf_printf(b, "peerline_peers_available %d\n", s->peers_ready);
    head(b, "peerline_conversations_open", "gauge", "Conversations not closed, by state.");
    buf_printf(b, "peerline_conversations_open{state=\"menu\"} %d\n", s->in_menu);
    buf_printf(b, "peerline_conversations_open{state=\"queued\"} %d\n", s->waiting);
    buf_printf(b, "peerline_conversations_open{state=\"offered\"} %d\n", s->offered);
    buf_printf(b, "peerline_conversations_open{state=\"active\"} %d\n", s->active);
    {
        static const char *const states[] = {"menu", "ringing", "connected", "voicemail"};
        size_t c, k;
        head(b, "peerline_calls_open", "gauge", "Calls to the line not over yet, by state.");
        for (k = 0; k < sizeof(states) / sizeof(states[0]); k++) {
            int n = 0;
            for (c = 0; c < s->ncalls; c++)
                n += !strcmp(s->calls[c].state, states[k]);
            buf_printf(b, "peerline_calls_open{state=\"%s\"} %d\n", states[k], n);
        }
    }
    head(b, "peerline_alerts_open", "gauge", "Safety alerts not acknowledged yet.");
    buf_printf(b, "peerline_alerts_open %zu\n", s->nalerts);
}

int metrics_render(struct metrics *m, struct store *st, const struct line_status *s,
                   struct buf *out)
{
    struct store_totals t;

    if (store_totals(st, &t))
        return -1;
    process_counters(m, out);
    database_totals(&t, out);
    if (tool_totals(st, out))
        return -1;
    gauges(s, out);
    return 0;
}

/*
 * metrics.h - GET /metrics in Prometheus text format.
 *
 * Two sources. Counters of what happens in this process and is not kept in
 * the database (webhook outcomes, send latency, retries, reloads) are
 * atomics any thread bumps. Everything the database knows (texts sent and
 * failed, offers expired, crisis alerts, the queue, the peers) is read at
 * scrape time, so it survives restarts and agrees with the dashboard.
 */
#ifndef PEERLINE_METRICS_H
#define PEERLINE_METRICS_H

#include <stdatomic.h>
#include <stdint.h>

struct buf;
struct latency;
struct line_status;
struct store;

enum metrics_inbound {
    MI_STORED,        /* a new text stored */
    MI_DUPLICATE,     /* a MessageSid seen before */
    MI_BAD_SIGNATURE, /* 403 */
    MI_BAD_REQUEST,   /* 400 */
    MI_STORE_FAILED,  /* 500 */
    MI_STATUS,        /* a delivery status stored */
    MI_SPOOLED,       /* the database failed; the Fallback URL's copy went to the spool */
    MI_COUNT
};

/* Upper bounds (seconds) of the send-latency buckets, +Inf after the last. */
#define METRICS_LATENCY_BUCKETS 10

struct metrics {
    atomic_ulong inbound[MI_COUNT];
    atomic_ulong send_attempts, send_retries;
    atomic_ulong latency[METRICS_LATENCY_BUCKETS + 1]; /* per bucket, not cumulative */
    atomic_ulong latency_count;
    atomic_ullong latency_sum_ms;
    atomic_ulong reloads_ok, reloads_failed;
    atomic_ulong config_generations; /* configs in memory: in use, or still read (generation.h) */
    atomic_ulong ingest_commits, ingest_items; /* webhooks written, and the commits they took */
    struct latency *timing; /* our own share of a text's time (latency.h); may be NULL */
};

void metrics_init(struct metrics *m);
/* All of these accept m == NULL (no metrics kept). */
void metrics_inbound(struct metrics *m, enum metrics_inbound what);
/* A provider accepted a text ms after it was queued. */
void metrics_sent(struct metrics *m, int64_t latency_ms);
void metrics_attempt(struct metrics *m, int retry);
void metrics_reload(struct metrics *m, int ok);
/* How many configs are in memory now. */
void metrics_config_generations(struct metrics *m, unsigned long n);
/* The ingest writer committed `items` webhooks in `commits` transactions. */
void metrics_ingest(struct metrics *m, unsigned long commits, unsigned long items);

/* Appends the whole exposition: m's counters, the database's totals, the status's gauges. */
int metrics_render(struct metrics *m, struct store *st, const struct line_status *s,
                   struct buf *out);

#endif

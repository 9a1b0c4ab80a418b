/*
 * latency.h - how long peerline itself takes with a text, in microseconds,
 * for /metrics and the benchmarks (bench/bench_line.c):
 *
 *   ready:  a webhook arrived -> the outbox row it caused is committed;
 *   issued: that row is committed -> its provider API request goes out.
 *
 * The carrier's share (its pacing, its answer) is not in either. Marks are
 * kept in memory only, in small tables keyed by row id where a collision
 * simply forgets the older mark: a lost mark costs one sample, never
 * correctness. After a restart, rows from before it give no sample. The
 * last LATENCY_SAMPLES samples of each stage give the quantiles.
 * Every function is thread-safe and accepts l == NULL (nothing kept).
 */
#ifndef PEERLINE_LATENCY_H
#define PEERLINE_LATENCY_H

#include <stddef.h>
#include <stdint.h>

#define LATENCY_SAMPLES 8192

enum latency_stage { LATENCY_READY, LATENCY_ISSUED, LATENCY_STAGES };

struct latency;

struct latency *latency_new(void);
void latency_free(struct latency *l);

/* A monotonic clock in microseconds. */
int64_t latency_now_us(void);

/* Inbound row `id` arrived (its webhook was received) at `us`. */
void latency_arrived(struct latency *l, int64_t inbound_id, int64_t us);
/* When inbound row `id` arrived, forgetting it; 0 when unknown. */
int64_t latency_take_arrival(struct latency *l, int64_t inbound_id);
/* Outbox row `id`, caused by a text that arrived at arrival_us, was committed at ready_us. */
void latency_ready(struct latency *l, int64_t outbox_id, int64_t arrival_us, int64_t ready_us);
/* Outbox row `id`'s request went out at `us`: a sample when its readiness is known. */
void latency_issued(struct latency *l, int64_t outbox_id, int64_t us);

/*
 * The quantiles q[0..n) (0..1) of the stage's recent samples into out[]
 * (microseconds), nearest-rank, and the sum of every sample ever taken into
 * *sum; returns how many samples were ever taken (0: all of it is 0).
 */
uint64_t latency_quantiles(struct latency *l, enum latency_stage stage, const double *q, size_t n,
                           double *out, double *sum);

#endif
